"""kmeta.bayes against an independent brute-force grid over (mu, tau), limits and properties."""
import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import special

import kmeta
from kmeta import bayes as B

Y = np.array([-2.3, -1.2, -0.4, -2.0, -1.9, -1.1])
V = np.array([0.20, 0.50, 0.60, 0.15, 0.40, 0.30])


def brute_force(y, v, prior, scale, mu_prior=None, mu_lim=(-8.0, 5.0), tau_max=8.0, n=2001):
    """Joint posterior on a plain midpoint grid: a computation independent of bayes.py."""
    hm = (mu_lim[1] - mu_lim[0]) / n
    ht = tau_max / n
    mu = mu_lim[0] + hm * (np.arange(n) + 0.5)
    tau = ht * (np.arange(n) + 0.5)
    MU, T = np.meshgrid(mu, tau, indexing="ij")
    lp = np.zeros_like(MU)
    for yi, vi in zip(y, v):
        s2 = vi + T * T
        lp += -0.5 * np.log(s2) - 0.5 * (yi - MU) ** 2 / s2
    if prior == "halfnormal":
        lp += -0.5 * (T / scale) ** 2
    elif prior == "halfcauchy":
        lp += -np.log1p((T / scale) ** 2)
    elif prior == "exponential":
        lp += -T / scale
    elif prior == "uniform":
        lp = np.where(T <= scale, lp, -np.inf)
    if mu_prior is not None:
        lp += -0.5 * ((MU - mu_prior[0]) / mu_prior[1]) ** 2
    p = np.exp(lp - lp.max())
    p /= p.sum()
    pm, pt = p.sum(axis=1), p.sum(axis=0)
    cm, ct = np.cumsum(pm) - pm / 2, np.cumsum(pt) - pt / 2  # CDF at the cell midpoints

    def q(c, x, prob):
        return float(np.interp(prob, c, x))

    return {
        "mu": [q(cm, mu, pr) for pr in (0.025, 0.5, 0.975)],
        "tau": [q(ct, tau, pr) for pr in (0.025, 0.5, 0.975)],
        "mu_mean": float((pm * mu).sum()),
        "tau_mean": float((pt * tau).sum()),
        # CDF at the cell edges, interpolated linearly
        "p_below": lambda x: float(np.interp(x, np.r_[mu - hm / 2, mu[-1] + hm / 2], np.r_[0.0, np.cumsum(pm)])),
        "pred_cdf": lambda x: float((p * special.ndtr((x - MU) / np.maximum(T, 1e-300))).sum()),
    }


@pytest.mark.parametrize("prior,scale,tau_max", [
    ("halfnormal", 0.5, 4.0),
    ("halfnormal", 1.0, 7.0),
    ("halfcauchy", 0.5, 40.0),
    ("exponential", 1.0, 25.0),
    ("uniform", 2.0, 2.0),
])
def test_posterior_matches_brute_force_grid(prior, scale, tau_max):
    r = B.bayesmeta(Y, V, tau_prior=prior, tau_scale=scale)
    bf = brute_force(Y, V, prior, scale, tau_max=tau_max, n=1601 if tau_max < 10 else 2401)
    np.testing.assert_allclose([r.mu_low, r.mu_median, r.mu_high], bf["mu"], atol=2e-3)
    np.testing.assert_allclose([r.tau_low, r.tau_median, r.tau_high], bf["tau"], atol=4e-3)
    assert r.mu_mean == pytest.approx(bf["mu_mean"], abs=2e-3)
    assert r.tau_mean == pytest.approx(bf["tau_mean"], abs=5e-3)
    for x in (-2.0, -1.5, -1.0):
        assert float(r.prob_mu_below(x)) == pytest.approx(bf["p_below"](x), abs=3e-3)
    # predictive: P(theta_new <= bound) at the reported bounds
    assert bf["pred_cdf"](r.pred_low) == pytest.approx(0.025, abs=2e-3)
    assert bf["pred_cdf"](r.pred_high) == pytest.approx(0.975, abs=2e-3)


def test_normal_prior_for_mu_matches_brute_force():
    r = B.bayesmeta(Y, V, tau_scale=1.0, mu_prior_mean=0.0, mu_prior_sd=1.0)
    bf = brute_force(Y, V, "halfnormal", 1.0, mu_prior=(0.0, 1.0), tau_max=7.0)
    np.testing.assert_allclose([r.mu_low, r.mu_median, r.mu_high], bf["mu"], atol=2e-3)
    # the sceptical prior pulls mu towards 0
    flat = B.bayesmeta(Y, V, tau_scale=1.0)
    assert flat.mu_median < r.mu_median < 0


def test_small_k_against_brute_force():
    y, v = np.array([-2.4, -0.9]), np.array([0.25, 0.35])
    r = B.bayesmeta(y, v, tau_scale=1.0)
    bf = brute_force(y, v, "halfnormal", 1.0, mu_lim=(-12.0, 9.0), tau_max=7.0)
    np.testing.assert_allclose([r.mu_low, r.mu_median, r.mu_high], bf["mu"], atol=3e-3)


def test_vanishing_heterogeneity_prior_gives_the_common_effect_posterior():
    r = B.bayesmeta(Y, V, tau_scale=1e-7)
    fe = kmeta.meta(Y, V, method="FE")
    z = NormalDist().inv_cdf(0.975)
    assert r.mu_median == pytest.approx(fe.estimate, abs=1e-6)
    assert r.mu_low == pytest.approx(fe.estimate - z * fe.se, abs=1e-6)
    assert r.mu_high == pytest.approx(fe.estimate + z * fe.se, abs=1e-6)


def test_very_wide_normal_prior_is_close_to_flat():
    a = B.bayesmeta(Y, V, mu_prior_mean=0.0, mu_prior_sd=1e4)
    b = B.bayesmeta(Y, V)
    np.testing.assert_allclose([a.mu_low, a.mu_median, a.mu_high], [b.mu_low, b.mu_median, b.mu_high], atol=1e-5)


def test_distribution_functions_are_consistent():
    r = B.bayesmeta(Y, V, tau_prior="halfcauchy", tau_scale=0.5)
    for p in (0.01, 0.3, 0.5, 0.9):
        assert float(r.mu_cdf(r.mu_quantile(p))) == pytest.approx(p, abs=1e-9)
        assert float(r.tau_cdf(r.tau_quantile(p))) == pytest.approx(p, abs=1e-9)
        assert float(r.pred_cdf(r.pred_quantile(p))) == pytest.approx(p, abs=1e-9)
    # densities integrate to one and are the derivatives of the CDFs
    x = np.linspace(-8, 5, 20001)
    assert np.trapezoid(r.mu_pdf(x), x) == pytest.approx(1.0, abs=1e-6)
    t = np.linspace(0, 60, 60001)
    assert np.trapezoid(r.tau_pdf(t), t) == pytest.approx(float(r.tau_cdf(60.0)), abs=1e-5)
    h = 1e-5
    for v in (-2.0, -1.5):
        assert float(r.mu_pdf(v)) == pytest.approx((float(r.mu_cdf(v + h)) - float(r.mu_cdf(v - h))) / (2 * h), rel=1e-5)
    assert float(r.tau_pdf(-1.0)) == 0.0 and float(r.tau_cdf(-1.0)) == 0.0


def test_shortest_interval_is_not_longer_than_central():
    c = B.bayesmeta(Y, V, interval="central")
    s = B.bayesmeta(Y, V, interval="shortest")
    assert s.tau_high - s.tau_low <= c.tau_high - c.tau_low + 1e-9
    assert s.mu_high - s.mu_low <= c.mu_high - c.mu_low + 1e-9
    assert float(s.mu_cdf(s.mu_high) - s.mu_cdf(s.mu_low)) == pytest.approx(0.95, abs=1e-7)


def test_shrinkage_lies_between_study_and_pooled_mean():
    r = B.bayesmeta(Y, V, labels=list("ABCDEF"))
    st = r.study_table()
    assert list(st["study"]) == list("ABCDEF")
    lo = np.minimum(st["yi"], r.mu_median) - 1e-9
    hi = np.maximum(st["yi"], r.mu_median) + 1e-9
    assert np.all((st["theta_median"] >= lo) & (st["theta_median"] <= hi))
    assert np.all(st["theta_high"] - st["theta_low"] < 2 * 1.96 * st["sei"])


def test_single_study_is_defined():
    r = B.bayesmeta([-1.5], [0.3], tau_scale=0.5)
    assert r.k == 1 and r.mu_low < -1.5 < r.mu_high
    # with k = 1 the data say nothing about tau: the posterior of tau is the prior
    assert r.tau_median == pytest.approx(0.5 * NormalDist().inv_cdf(0.75), abs=1e-7)


def test_batch_agrees_with_scalar_on_simulated_ketamine_like_data():
    rows = []
    for k, t2 in [(2, 0.0), (3, 0.25), (6, 0.0625), (6, 1.0), (10, 2.25)]:
        sim = kmeta.simulate.simulate_md(k, t2, replicates=15, seed=7)
        rows += [(sim.yi[i], sim.vi[i]) for i in range(15)]
    kmax = 10
    Yp = np.full((len(rows), kmax), np.nan)
    Vp = np.full_like(Yp, np.nan)
    for i, (y, v) in enumerate(rows):
        Yp[i, kmax - len(y):] = y  # padding on the left: the position of NaN must not matter
        Vp[i, kmax - len(v):] = v
    for prior, scale in [("halfnormal", 1.0), ("halfcauchy", 0.5)]:
        bb = B.bayesmeta_batch(Yp, Vp, tau_prior=prior, tau_scale=scale)
        for i, (y, v) in enumerate(rows):
            r = B.bayesmeta(y, v, tau_prior=prior, tau_scale=scale)
            np.testing.assert_allclose([bb.mu_low[i], bb.mu_median[i], bb.mu_high[i]],
                                       [r.mu_low, r.mu_median, r.mu_high], atol=1e-4, err_msg=f"row {i}")
            assert bb.k[i] == len(y)
    assert bb.covers(0.0).dtype == bool
    nomed = B.bayesmeta_batch(Yp, Vp, median=False)
    assert np.all(np.isnan(nomed.mu_median))
    np.testing.assert_allclose(nomed.mu_low, B.bayesmeta_batch(Yp, Vp).mu_low)


def test_prior_sensitivity_and_helpers():
    tab = B.prior_sensitivity(Y, V)
    assert len(tab) == 5
    assert np.all(np.diff(tab["mu_high"].to_numpy()[:3] - tab["mu_low"].to_numpy()[:3]) > 0)  # wider HN, wider CrI
    nd = NormalDist()
    assert float(B.tau_prior_quantile(0.5, "halfnormal", 2.0)) == pytest.approx(2 * nd.inv_cdf(0.75), abs=1e-12)
    assert float(B.tau_prior_quantile(0.5, "halfcauchy", 0.5)) == pytest.approx(0.5, abs=1e-12)
    assert float(B.tau_prior_quantile(0.5, "exponential", 1.0)) == pytest.approx(math.log(2), abs=1e-12)
    n = np.array([60, 19, 30, 40])
    se = np.array([0.5, 0.9, 0.7, 0.6])
    assert B.uisd(n, se) == pytest.approx(math.sqrt(n.sum() / np.sum(se ** -2.0)))
    r = B.bayesmeta(Y, V)
    assert "mu" in r.summary() and r.to_frame().shape == (1, 20)


@pytest.mark.parametrize("kwargs,field", [
    (dict(tau_scale=0.0), "tau_scale"),
    (dict(tau_scale=-1.0), "tau_scale"),
    (dict(tau_prior="lognormal"), "tau_prior"),
    (dict(mu_prior_sd=-1.0), "mu_prior_sd"),
    (dict(mu_prior_mean=0.0), "mu_prior_sd"),
    (dict(level=0.0), "level"),
    (dict(interval="hpd"), "interval"),
])
def test_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        B.bayesmeta(Y, V, **kwargs)


def test_data_validation():
    with pytest.raises(ValueError, match="vi"):
        B.bayesmeta(Y, -V)
    with pytest.raises(ValueError, match="vi"):
        B.bayesmeta(Y)
    with pytest.raises(ValueError, match="k = 0"):
        B.bayesmeta([], [])
    Yp = np.array([[0.1, np.nan], [0.2, 0.3]])
    with pytest.raises(ValueError, match="yi: row 0, study 1"):
        B.bayesmeta_batch(Yp, np.array([[0.1, 0.2], [0.1, 0.1]]))
    with pytest.raises(ValueError, match="k = 0"):
        B.bayesmeta_batch(np.full((1, 2), np.nan), np.full((1, 2), np.nan))
    with pytest.raises(ValueError, match="nodes"):
        B.bayesmeta_batch(Y, V, nodes=2)


@pytest.mark.parametrize("scale", [0, -1.0, float("inf")])
def test_bad_prior_scale_names_the_prior(scale):
    with pytest.raises(ValueError, match=r"tau_scale: is .*; must be a finite number > 0 \(the scale of the prior for tau\)"):
        B.bayesmeta(Y, V, tau_scale=scale)
