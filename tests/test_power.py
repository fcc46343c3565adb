"""kmeta.power against R's power.t.test, hand-computed formulas and published examples."""
import math
from statistics import NormalDist

import numpy as np
import pytest

from kmeta import power as P
from _reference import load

REF = load("power")
Z = NormalDist().inv_cdf
PHI = NormalDist().cdf


@pytest.mark.parametrize("case", REF["n_cases"], ids=lambda c: f"d{c['delta']}-sd{c['sd']}-p{c['power']}-s{c['sides']}")
def test_t_sample_size_matches_power_t_test(case):
    r = P.n_two_means(case["delta"], case["sd"], case["alpha"], case["power"], sides=case["sides"])
    assert r.n1_exact == pytest.approx(case["n"], abs=1e-5)
    assert r.n1 == math.ceil(case["n"])
    assert r.power >= case["power"]


@pytest.mark.parametrize("case", REF["power_cases"], ids=lambda c: f"n{c['n']}-d{c['delta']}")
def test_t_power_matches_power_t_test(case):
    p = P.power_two_means(case["n"], case["delta"], case["sd"], case["alpha"])
    assert p == pytest.approx(case["power_strict"], abs=1e-9)


def test_normal_formula_by_hand():
    # n per group = 2 (z_{1-a/2} + z_{1-b})^2 sd^2 / delta^2, rounded up
    for delta in (1.0, 1.5):
        r = P.n_two_means(delta, 2.0, 0.05, 0.9, method="normal")
        exact = 2 * (Z(0.975) + Z(0.9)) ** 2 * 4.0 / delta**2
        assert r.n1_exact == pytest.approx(exact, rel=1e-12)
        assert r.n1 == math.ceil(exact)
    # unequal allocation: n1 = (z+z)^2 sd^2 (1 + 1/r) / delta^2
    r = P.n_two_means(1.0, 2.0, ratio=2.0, method="normal")
    assert r.n1_exact == pytest.approx((Z(0.975) + Z(0.9)) ** 2 * 4.0 * 1.5, rel=1e-12)
    assert r.n2 == math.ceil(2 * r.n1)
    # ANCOVA: variance times (1 - rho^2)
    a = P.n_two_means(1.0, 2.0, rho=0.6, method="normal")
    assert a.n1_exact == pytest.approx(2 * (Z(0.975) + Z(0.9)) ** 2 * 4.0 * 0.64, rel=1e-12)


def test_cohen_table_examples():
    # Cohen (1988), Table 2.4.1: two-sided alpha 0.05, power 0.80, n per group 64 for
    # d = 0.5 and 26 for d = 0.8 (t test)
    assert P.n_two_means(0.5, 1.0, 0.05, 0.8).n1 == 64
    assert P.n_two_means(0.8, 1.0, 0.05, 0.8).n1 == 26


def test_orhurhu_sample_size_paragraph_recomputed():
    # "a difference of 1 or 1.5 point(s) ... SD of 2.0 ... type I error of 5% and type II
    # error of 10%": the t test gives 86 per group for 1 point (as printed) and 39 for 1.5
    assert P.n_two_means(1.0, 2.0, 0.05, 0.9).n1 == 86
    assert P.n_two_means(1.5, 2.0, 0.05, 0.9).n1 == 39
    assert P.n_two_means(1.0, 2.0, 0.05, 0.9, method="normal").n1 == 85
    assert P.n_two_means(1.5, 2.0, 0.05, 0.9, method="normal").n1 == 38


def test_ancova_needs_fewer_patients_and_t_costs_a_df():
    plain = P.n_two_means(1.0, 2.0)
    anc = P.n_two_means(1.0, 2.0, rho=0.5)
    assert anc.n1 < plain.n1
    assert anc.n1_exact >= P.n_two_means(1.0, 2.0, rho=0.5, method="normal").n1_exact


def test_power_meta_by_hand():
    # Hedges and Pigott (2001): v* = (v + tau^2)/k, lambda = delta/sqrt(v*)
    k, n, sd, tau2, delta = 6, 17, 2.0, 0.25, 1.0
    v = 2 * sd**2 / n
    lam = delta / math.sqrt((v + tau2) / k)
    expected = 1 - PHI(Z(0.975) - lam) + PHI(-Z(0.975) - lam)
    r = P.power_meta(delta, k=k, n_per_arm=n, sd=sd, tau2=tau2)
    assert r.power == pytest.approx(expected, abs=1e-12)
    assert r.v_pooled == pytest.approx((v + tau2) / k)
    lam0 = delta / math.sqrt(v / k)
    assert r.power_fixed == pytest.approx(1 - PHI(Z(0.975) - lam0) + PHI(-Z(0.975) - lam0), abs=1e-12)
    # unequal trials
    vi = np.array([0.2, 0.5, 0.9])
    r2 = P.power_meta(0.8, vi=vi, tau2=0.1)
    lam2 = 0.8 / math.sqrt(1 / np.sum(1 / (vi + 0.1)))
    assert r2.power == pytest.approx(1 - PHI(Z(0.975) - lam2) + PHI(-Z(0.975) - lam2), abs=1e-12)


def test_heterogeneity_caps_the_power_of_a_meta_analysis():
    # however large the trials, with tau^2 > 0 the pooled variance cannot fall below tau^2/k
    big = P.power_meta(0.5, k=3, n_per_arm=1e9, sd=2.0, tau2=1.0)
    lam = 0.5 / math.sqrt(1.0 / 3)
    assert big.power == pytest.approx(1 - PHI(Z(0.975) - lam) + PHI(-Z(0.975) - lam), abs=1e-6)
    assert P.k_for_power(1.0, n_per_arm=17, sd=2.0, tau2=0.25) > P.k_for_power(1.0, n_per_arm=17, sd=2.0)
    tab = P.power_table([1.0], [2, 4, 6], n_per_arm=17, sd=2.0, tau2s=(0.0, 0.25))
    assert len(tab) == 6 and np.all(np.diff(tab.query("tau2 == 0.25")["power"]) > 0)


@pytest.mark.parametrize("kwargs,field", [
    (dict(delta=1.0, sd=-2.0), "sd"),
    (dict(delta=0.0, sd=2.0), "delta"),
    (dict(delta=1.0, sd=2.0, alpha=1.5), "alpha"),
    (dict(delta=1.0, sd=2.0, power=1.0), "power"),
    (dict(delta=1.0, sd=2.0, ratio=0.0), "ratio"),
    (dict(delta=1.0, sd=2.0, rho=1.0), "rho"),
    (dict(delta=1.0, sd=2.0, method="exact"), "method"),
    (dict(delta=1.0, sd=2.0, sides=3), "sides"),
])
def test_sample_size_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        P.n_two_means(**kwargs)


def test_power_validation_names_the_field():
    with pytest.raises(ValueError, match="n1"):
        P.power_two_means(1, 1.0, 2.0)
    with pytest.raises(ValueError, match="tau2"):
        P.power_meta(1.0, k=3, n_per_arm=10, sd=2.0, tau2=-1)
    with pytest.raises(ValueError, match="k"):
        P.power_meta(1.0, k=0, n_per_arm=10, sd=2.0)
    with pytest.raises(ValueError, match="vi"):
        P.power_meta(1.0, vi=[0.1, -0.2])
    with pytest.raises(ValueError, match="k"):
        P.power_meta(1.0)
