"""kmeta.simulate: reproducible, distributionally right, and coverage computed as defined."""
import numpy as np
import pytest

import kmeta
from kmeta import simulate as S

ARMS = np.array([[30, 30], [9, 10], [11, 9], [10, 20], [20, 20], [12, 12], [18, 17]], dtype=float)


def test_orhurhu_arm_sizes_come_from_table_1():
    arms = S.orhurhu_arm_sizes()
    t = kmeta.reviews.orhurhu2019.trials()
    assert arms.shape == (7, 2)
    np.testing.assert_array_equal(arms[:, 0], t["n_ketamine"].to_numpy(dtype=float))
    np.testing.assert_array_equal(arms[:, 1], t["n_control"].to_numpy(dtype=float))


def test_same_seed_same_data_other_seed_other_data():
    a = S.simulate_md(6, 0.25, replicates=500, seed=11, arm_sizes=ARMS)
    b = S.simulate_md(6, 0.25, replicates=500, seed=11, arm_sizes=ARMS)
    c = S.simulate_md(6, 0.25, replicates=500, seed=12, arm_sizes=ARMS)
    np.testing.assert_array_equal(a.yi, b.yi)
    np.testing.assert_array_equal(a.vi, b.vi)
    assert not np.array_equal(a.yi, c.yi)


def test_scenarios_do_not_depend_on_which_others_are_run():
    one = S.coverage_study(ks=(4,), tau2s=(0.25,), replicates=800, methods=("DL-Wald",), seed=5, arm_sizes=ARMS)
    many = S.coverage_study(ks=(2, 4), tau2s=(0.0, 0.25), replicates=800, methods=("DL-Wald",), seed=5,
                            arm_sizes=ARMS)
    row = many.table.query("k == 4 and tau2 == 0.25").iloc[0]
    assert row["coverage"] == one.table.iloc[0]["coverage"]
    assert row["mean_width"] == one.table.iloc[0]["mean_width"]


def test_simulated_data_have_the_stated_distribution():
    R = 40_000
    sim = S.simulate_md(3, 0.5, replicates=R, mu=-1.5, seed=3, arm_sizes=ARMS, sd=2.0, sd_spread=0.25)
    # arm sizes are pairs of the given table
    pairs = {tuple(p) for p in ARMS}
    assert {(a, b) for a, b in zip(sim.n1.ravel()[:2000], sim.n2.ravel()[:2000])} <= pairs
    # trial SDs uniform on 2 * (0.75, 1.25)
    assert sim.sigma.min() >= 1.5 and sim.sigma.max() <= 2.5
    assert sim.sigma.mean() == pytest.approx(2.0, abs=0.01)
    # true effects: N(mu, tau2)
    assert sim.theta.mean() == pytest.approx(-1.5, abs=4 * np.sqrt(0.5 / sim.theta.size))
    assert sim.theta.var() == pytest.approx(0.5, rel=0.02)
    # estimates: unbiased for theta with variance sigma^2 (1/n1 + 1/n2)
    v_true = sim.sigma**2 * (1 / sim.n1 + 1 / sim.n2)
    resid = (sim.yi - sim.theta) / np.sqrt(v_true)
    assert resid.mean() == pytest.approx(0.0, abs=0.01)
    assert resid.var() == pytest.approx(1.0, rel=0.02)
    # estimated variances are unbiased for the true ones (chi-square scaling)
    assert (sim.vi / v_true).mean() == pytest.approx(1.0, abs=0.01)
    assert "simulated meta-analyses" in sim.summary()


def test_coverage_is_what_meta_batch_gives_on_the_same_data():
    res = S.coverage_study(ks=(5,), tau2s=(1.0,), methods=("DL-Wald", "REML-HKSJ"), replicates=1500,
                           mu=-1.0, seed=9, arm_sizes=ARMS)
    sim = S.simulate_md(5, 1.0, replicates=1500, mu=-1.0, seed=9, arm_sizes=ARMS)
    for name, (m, t) in [("DL-Wald", ("DL", "z")), ("REML-HKSJ", ("REML", "knha"))]:
        b = kmeta.meta_batch(sim.yi, sim.vi, method=m, test=t)
        row = res.table.query("method == @name").iloc[0]
        assert row["coverage"] == pytest.approx(b.covers(-1.0).mean(), abs=1e-15)
        assert row["reject"] == pytest.approx(((b.ci_low > 0) | (b.ci_high < 0)).mean(), abs=1e-15)
        assert row["mean_width"] == pytest.approx((b.ci_high - b.ci_low).mean(), rel=1e-12)
        assert row["coverage_se"] == pytest.approx(np.sqrt(row["coverage"] * (1 - row["coverage"]) / 1500))


def test_bayes_method_uses_the_batch_posterior():
    res = S.coverage_study(ks=(3,), tau2s=(0.25,), methods=("Bayes",), replicates=300, seed=1, arm_sizes=ARMS,
                           bayes_prior=("halfcauchy", 0.5))
    sim = S.simulate_md(3, 0.25, replicates=300, seed=1, arm_sizes=ARMS)
    b = kmeta.bayes.bayesmeta_batch(sim.yi, sim.vi, tau_prior="halfcauchy", tau_scale=0.5)
    assert res.table["coverage"].iloc[0] == pytest.approx(b.covers(0.0).mean())


def test_the_known_undercoverage_of_dl_wald_and_the_repair_by_hksj():
    # With few trials and real heterogeneity the Wald interval around the DerSimonian-Laird
    # estimate is too narrow (IntHout et al. 2014); HKSJ stays close to the nominal 95%.
    res = S.coverage_study(ks=(3,), tau2s=(2.25,), methods=("DL-Wald", "REML-HKSJ"), replicates=10_000,
                           seed=2019, arm_sizes=ARMS)
    cov = res.table.set_index("method")["coverage"]
    assert cov["DL-Wald"] < 0.90
    assert 0.93 < cov["REML-HKSJ"] < 0.96
    # with mu == null, the rejection rate is the type I error: 1 - coverage
    rej = res.table.set_index("method")["reject"]
    np.testing.assert_allclose(rej, 1 - cov)
    assert res.pivot().shape == (1, 2)
    assert "Coverage" in res.summary()


def test_parse_method():
    assert S.parse_method("DL-Wald") == ("DL", "z")
    assert S.parse_method("pm-hksj") == ("PM", "knha")
    assert S.parse_method("Bayes") == ("BAYES", None)
    with pytest.raises(ValueError, match="methods"):
        S.parse_method("DL")
    with pytest.raises(ValueError, match="methods"):
        S.parse_method("XX-Wald")


@pytest.mark.parametrize("kwargs,field", [
    (dict(k=0, tau2=0.1), "k"),
    (dict(k=2.5, tau2=0.1), "k"),
    (dict(k=3, tau2=-0.1), "tau2"),
    (dict(k=3, tau2=0.1, sd=-2.0), "sd"),
    (dict(k=3, tau2=0.1, sd_spread=1.0), "sd_spread"),
    (dict(k=3, tau2=0.1, replicates=0), "replicates"),
    (dict(k=3, tau2=0.1, arm_sizes=[[1, 10]]), "arm_sizes"),
    (dict(k=3, tau2=0.1, arm_sizes=[10, 10]), "arm_sizes"),
])
def test_simulate_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        S.simulate_md(**kwargs)


@pytest.mark.parametrize("kwargs,field", [
    (dict(ks=(1, 3)), "ks"),
    (dict(ks=(3, 3)), "ks"),
    (dict(tau2s=(-1.0,)), "tau2s"),
    (dict(methods=("DL-Foo",)), "methods"),
    (dict(level=0.0), "level"),
])
def test_coverage_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        S.coverage_study(replicates=10, arm_sizes=ARMS, **kwargs)
