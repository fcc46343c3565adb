"""kmeta.tsa: sequential boundaries against rpact and published constants; RIS; TSA."""
import math
from statistics import NormalDist

import numpy as np
import pytest

import kmeta
from kmeta import tsa as T
from _reference import load, num

CASES = load("tsa")["cases"]
Z = NormalDist().inv_cdf  # stdlib quantiles: independent of scipy


# ------------------------------------------------------------------ boundaries vs rpact
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["type"] in ("asOF", "asP", "asUser")])
def test_spending_boundaries_match_rpact(name):
    c = CASES[name]
    t = np.atleast_1d(num(c["t"]))
    kind = "pocock" if c["type"] == "asP" else "obf"
    beta = c["beta"] if c["futility"] is not None else None
    d = T.group_sequential_bounds(t, c["alpha"], sides=c["sides"], spending_kind=kind,
                                  alpha_split=c["split"], beta=beta)
    ref = np.atleast_1d(num(c["upper"]))
    # rpact reports a boundary as Inf when it would exceed 8 (virtually no alpha spent)
    capped = np.isinf(ref)
    assert np.all(d.upper[capped] > 8)
    # 5e-6: rpact's own quadrature error reaches about 3e-6 (obf2_close, look 2, where the
    # exact value is known in closed form: see test_second_look_after_a_negligible_first)
    np.testing.assert_allclose(d.upper[~capped], ref[~capped], atol=5e-6, rtol=0)
    np.testing.assert_allclose(d.alpha_spent, np.atleast_1d(num(c["alpha_spent"])), atol=1e-7, rtol=0)
    if beta is not None:
        # rpact lists futility bounds for the interim looks only; at the last look they meet
        fut = np.atleast_1d(num(c["futility"]))
        np.testing.assert_allclose(d.futility[:-1], fut, atol=2e-5, rtol=0)
        assert d.futility[-1] == pytest.approx(d.upper[-1], abs=1e-9)
        np.testing.assert_allclose(d.beta_spent, np.atleast_1d(num(c["beta_spent"])), atol=1e-6, rtol=0)
        assert d.inflation == pytest.approx(c["inflation"], abs=2e-5)
        assert d.power == pytest.approx(1 - beta, abs=1e-6)


@pytest.mark.parametrize("K", [2, 3, 4, 5])
@pytest.mark.parametrize("kind,rp", [("obf", "classicOF"), ("pocock", "classicP")])
def test_classical_constants_match_rpact(K, kind, rp):
    c = CASES[f"{rp}_K{K}"]
    C = T.classical_constant(K, 0.05, kind)
    shape = np.sqrt(K / np.arange(1, K + 1)) if kind == "obf" else np.ones(K)
    np.testing.assert_allclose(C * shape, num(c["upper"]), atol=2e-6)


def test_classical_constants_match_published_tables():
    # Pocock (1977), Table 1 / Jennison and Turnbull (2000), Table 2.1: C_P(K, 0.05);
    # O'Brien and Fleming (1979) / Jennison and Turnbull (2000), Table 2.3: C_B(K, 0.05).
    published_pocock = {2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413}
    published_obf = {2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040}
    for K, v in published_pocock.items():
        assert round(T.classical_constant(K, 0.05, "pocock"), 3) == v
    for K, v in published_obf.items():
        assert round(T.classical_constant(K, 0.05, "obf"), 3) == v
    # Pocock's two-look design: nominal two-sided level 0.0294 at each look
    c2 = T.classical_constant(2, 0.05, "pocock")
    assert round(2 * (1 - NormalDist().cdf(c2)), 4) == 0.0294


def test_one_look_and_first_look_closed_forms():
    assert T.group_sequential_bounds([1.0], 0.05).upper[0] == pytest.approx(Z(0.975), abs=1e-9)
    # total O'Brien-Fleming-type spending: the first boundary is z(1 - alpha/2) / sqrt(t1)
    for t1 in (0.05, 0.2, 0.5):
        d = T.group_sequential_bounds([t1, 1.0], 0.05)
        assert d.upper[0] == pytest.approx(Z(0.975) / math.sqrt(t1), abs=1e-8)


def test_second_look_after_a_negligible_first():
    # a first look at t = 0.05 spends ~1e-23: the second boundary is then the normal
    # quantile of the alpha spent by t = 0.3 (per side), in closed form
    d = T.group_sequential_bounds([0.05, 0.3, 1.0], 0.05, alpha_split="per_side")
    nd = NormalDist()
    side = lambda t: 2 * (1 - nd.cdf(Z(1 - 0.0125) / math.sqrt(t)))  # noqa: E731
    assert d.upper[1] == pytest.approx(-Z((side(0.3) - side(0.05))), abs=1e-7)


def test_exit_probabilities_spend_exactly_alpha_and_match_monte_carlo():
    t = np.array([0.15, 0.4, 0.55, 0.8, 1.0])
    d = T.group_sequential_bounds(t, 0.05)
    pu, pl = T.exit_probabilities(t, d.upper, -d.upper, drift=0.0)
    assert pu.sum() + pl.sum() == pytest.approx(0.05, abs=1e-9)
    np.testing.assert_allclose(np.cumsum(pu + pl), d.alpha_spent, atol=1e-9)
    # Brownian motion simulated at the looks: an independent check of the recursion
    rng = np.random.default_rng(20260101)
    incr = rng.standard_normal((400_000, t.size)) * np.sqrt(np.diff(np.r_[0.0, t]))
    drift = 3.0
    B = np.cumsum(incr + drift * np.diff(np.r_[0.0, t]), axis=1)
    Zs = B / np.sqrt(t)
    crossed = np.abs(Zs) >= d.upper
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    up = (first >= 0) & (Zs[np.arange(len(first)), np.maximum(first, 0)] > 0)
    pu3, pl3 = T.exit_probabilities(t, d.upper, -d.upper, drift=drift)
    se = math.sqrt(pu3.sum() * (1 - pu3.sum()) / len(first))
    assert abs(up.mean() - pu3.sum()) < 4 * se


def test_per_side_split_spends_less_early():
    t = np.array([0.25, 0.5, 0.75, 1.0])
    tot = T.group_sequential_bounds(t, 0.05, alpha_split="total")
    per = T.group_sequential_bounds(t, 0.05, alpha_split="per_side")
    assert np.all(per.upper[:-1] > tot.upper[:-1])
    assert tot.alpha_spent[-1] == pytest.approx(0.05) and per.alpha_spent[-1] == pytest.approx(0.05)


def test_spending_functions():
    t = np.array([0.0, 0.3, 1.0, 1.5])
    obf = T.spending(t, 0.05, "obf")
    assert obf[0] == 0 and obf[2] == pytest.approx(0.05) and obf[3] == pytest.approx(0.05)
    assert obf[1] == pytest.approx(2 - 2 * NormalDist().cdf(Z(0.975) / math.sqrt(0.3)), abs=1e-12)
    poc = T.spending(0.3, 0.05, "pocock")
    assert poc == pytest.approx(0.05 * math.log(1 + (math.e - 1) * 0.3), abs=1e-12)
    assert T.spending(0.3, 0.05, "power", rho=2) == pytest.approx(0.05 * 0.09)


# ------------------------------------------------------------------ information size
def test_required_information_size_by_hand():
    r = T.required_information_size(1.0, 2.0, alpha=0.05, beta=0.1)
    z = Z(0.975) + Z(0.9)
    assert r.ris == pytest.approx(4 * z * z * 4.0, rel=1e-12)
    assert r.per_group == pytest.approx(r.ris / 2)
    r2 = T.required_information_size(-1.5, 2.0, alpha=0.05, beta=0.1, diversity=0.4)
    assert r2.ris == pytest.approx(4 * z * z * 4.0 / 2.25, rel=1e-12)
    assert r2.daris == pytest.approx(r2.ris / 0.6, rel=1e-12)


def test_diversity_definition_and_bounds():
    rng = np.random.default_rng(11)
    for _ in range(50):
        k = int(rng.integers(2, 10))
        v = rng.uniform(0.05, 1.0, k)
        y = rng.normal(0, np.sqrt(v + rng.exponential(0.4)))
        d2 = T.diversity(y, v)
        re = kmeta.meta(y, v, method="DL")
        vf = 1 / np.sum(1 / v)
        vr = 1 / np.sum(1 / (v + re.tau2))
        assert d2 == pytest.approx(1 - vf / vr, abs=1e-12)
        assert d2 >= re.i2 / 100 - 1e-12  # Wetterslev et al. (2009): D^2 >= I^2
    assert T.diversity([0.1, 0.1, 0.1], [0.1, 0.2, 0.3]) == 0.0


# ------------------------------------------------------------------ tsa()
def _toy():
    y = np.array([-2.5, -0.8, -1.6, -0.2, -2.1])
    v = np.array([0.30, 0.45, 0.25, 0.60, 0.35])
    n = np.array([40, 24, 60, 20, 35])
    return y, v, n


def test_tsa_z_curve_is_the_cumulative_meta_analysis():
    y, v, n = _toy()
    r = T.tsa(y, v, n, delta=1.0, sd=2.0, labels=list("ABCDE"))
    for j in range(2, 6):
        m = kmeta.meta(y[:j], v[:j], method="DL")
        assert r.looks["z"].iloc[j - 1] == pytest.approx(m.estimate / m.se, rel=1e-12)
        assert r.looks["n_cum"].iloc[j - 1] == n[:j].sum()
    assert r.diversity == pytest.approx(T.diversity(y, v))
    assert r.ris.daris == pytest.approx(r.ris.ris / (1 - r.diversity))
    np.testing.assert_allclose(r.looks["t"], np.cumsum(n) / r.ris.daris)
    # boundaries at the observed fractions are those of the design with a final look at 1
    below = r.looks["t"].to_numpy() < 1
    d = T.group_sequential_bounds(np.r_[r.looks["t"].to_numpy()[below], 1.0], beta=0.1)
    np.testing.assert_allclose(r.looks["upper"].to_numpy()[below], d.upper[:-1], atol=1e-10)
    last = r.looks.iloc[-1]
    assert r.adjusted_ci_low == pytest.approx(last["estimate"] - last["upper"] * last["se"])
    assert "DARIS" in r.summary()


def test_tsa_direction_is_symmetric():
    y, v, n = _toy()
    a = T.tsa(y, v, n, delta=1.0, sd=2.0, favours="lower")
    b = T.tsa(-y, v, n, delta=1.0, sd=2.0, favours="higher")
    assert list(a.looks["crossed"]) == list(b.looks["crossed"])
    np.testing.assert_allclose(a.looks["z"], -b.looks["z"])


def test_tsa_beyond_the_information_size_uses_the_final_boundary():
    y, v, n = _toy()
    r = T.tsa(y, v, n * 10, delta=1.5, sd=2.0)
    assert r.reached
    assert r.looks["t"].iloc[-1] > 1
    assert r.looks["upper"].iloc[-1] == pytest.approx(r.design.upper[-1])
    assert r.notes


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("kwargs,field", [
    (dict(t=[0.5, 1.0], alpha=1.5), "alpha"),
    (dict(t=[0.5, 1.0], alpha=0.0), "alpha"),
    (dict(t=[0.6, 0.5, 1.0]), "t"),
    (dict(t=[0.0, 1.0]), "t"),
    (dict(t=[0.5, 1.0], beta=1.2), "beta"),
    (dict(t=[0.5, 0.9], beta=0.1), "t"),
    (dict(t=[0.5, 1.0], sides=3), "sides"),
])
def test_bounds_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        T.group_sequential_bounds(**kwargs)


@pytest.mark.parametrize("kwargs,field", [
    (dict(delta=1.0, sd=-2.0), "sd"),
    (dict(delta=0.0, sd=2.0), "delta"),
    (dict(delta=1.0, sd=2.0, alpha=1.0), "alpha"),
    (dict(delta=1.0, sd=2.0, beta=0.0), "beta"),
    (dict(delta=1.0, sd=2.0, diversity=1.0), "diversity"),
])
def test_ris_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        T.required_information_size(**kwargs)


def test_tsa_validation():
    y, v, n = _toy()
    with pytest.raises(ValueError, match="n"):
        T.tsa(y, v, delta=1.0, sd=2.0)
    with pytest.raises(ValueError, match="n: "):
        T.tsa(y, v, -n, delta=1.0, sd=2.0)
    with pytest.raises(ValueError, match="favours"):
        T.tsa(y, v, n, delta=1.0, sd=2.0, favours="up")


def test_tsa_labels_the_side_that_was_crossed():
    y, v, n = _toy()
    r = T.tsa(y, v, n, delta=1.5, sd=2.0)
    crossed = set(r.looks["crossed"]) - {""}
    assert crossed == {"benefit"} and r.crossed_efficacy
    h = T.tsa(-y, v, n, delta=1.5, sd=2.0, favours="lower")  # the same trials read as harm
    labels = set(h.looks["crossed"])
    assert "harm" in labels and "benefit" not in labels  # (and far from benefit: futility too)
    assert all(abs(z) >= u for z, u, c in zip(r.looks["z"], r.looks["upper"], r.looks["crossed"]) if c)
