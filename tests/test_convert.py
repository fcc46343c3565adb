"""kmeta.convert: hand-computed values, published worked examples, exact identities."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kmeta import convert, effect_sizes
from kmeta.convert import (
    combine_groups,
    corr_from_sd_change,
    mean_sd_from_median,
    pooled_sd,
    sd_change,
    sd_from_ci,
    sd_from_ci_diff,
    sd_from_se_diff,
    sd_from_sem,
    se_from_ci,
    vas100_to_nrs10,
)

# ---- SEs and CIs ------------------------------------------------------------------------


def test_sd_from_sem_by_hand():
    # 0.4 * sqrt(25) = 0.4 * 5 = 2.0 ; 1.2 * sqrt(9) = 3.6
    assert sd_from_sem(0.4, 25) == pytest.approx(2.0, rel=1e-15)
    np.testing.assert_allclose(sd_from_sem([0.4, 1.2], [25, 9]), [2.0, 3.6], rtol=1e-15)


def test_sd_from_ci_by_hand():
    # z: sqrt(100) * (4.3 - 2.1) / (2 * 1.959964) = 10 * 2.2 / 3.919928 = 5.612348
    assert sd_from_ci(2.1, 4.3, 100, dist="z") == pytest.approx(5.612348, abs=1e-6)
    # t on 24 df: t_0.975 = 2.063899; sqrt(25) * 2.2 / (2 * 2.063899) = 11 / 4.127798 = 2.664860
    assert sd_from_ci(2.1, 4.3, 25) == pytest.approx(2.664860, abs=1e-6)
    # 90% z-interval: 2 * 1.644854 = 3.289707 (the Handbook's "3.29")
    assert sd_from_ci(0, 3.289707, 1, dist="z", level=0.90) == pytest.approx(1.0, abs=1e-6)


def test_sd_from_ci_recovers_sample_sd_from_scipy_interval():
    # independent implementation: the t interval of scipy for a sample
    rng = np.random.default_rng(7)
    for n in (5, 12, 40):
        x = rng.normal(3.0, 2.0, n)
        sd = x.std(ddof=1)
        lo, hi = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=sd / math.sqrt(n))
        assert sd_from_ci(lo, hi, n) == pytest.approx(sd, rel=1e-10)
        lo, hi = stats.norm.interval(0.99, loc=x.mean(), scale=sd / math.sqrt(n))
        assert sd_from_ci(lo, hi, n, dist="z", level=99) == pytest.approx(sd, rel=1e-10)


def test_sd_from_ci_diff_recovers_pooled_sd_from_scipy_ttest():
    rng = np.random.default_rng(11)
    x, y = rng.normal(4, 2, 14), rng.normal(5, 2.5, 19)
    ci = stats.ttest_ind(x, y, equal_var=True).confidence_interval(0.95)
    sp = pooled_sd(x.std(ddof=1), 14, y.std(ddof=1), 19)
    assert sd_from_ci_diff(ci.low, ci.high, 14, 19) == pytest.approx(sp, rel=1e-10)


def test_sd_from_se_diff_by_hand():
    # 1 / sqrt(1/8 + 1/8) = 1 / 0.5 = 2 ; Handbook-style: 1.37 / sqrt(1/25 + 1/22)
    assert sd_from_se_diff(1.0, 8, 8) == pytest.approx(2.0, rel=1e-15)
    # 1/25 + 1/22 = 0.04 + 0.0454545 = 0.0854545, sqrt = 0.2923260; 1.37 / 0.2923260 = 4.686547
    assert sd_from_se_diff(1.37, 25, 22) == pytest.approx(4.686547, abs=1e-6)


def test_se_from_ci_by_hand():
    # Orhurhu's RR 2.43 (1.10-5.40): (ln 5.4 - ln 1.1) / 3.919928 = 1.591089 / 3.919928 = 0.405898
    assert se_from_ci(1.10, 5.40, log=True) == pytest.approx(0.405898, abs=1e-6)
    # MD -1.83 (-2.35 to -1.31): 1.04 / 3.919928 = 0.265311
    assert se_from_ci(-2.35, -1.31) == pytest.approx(0.265311, abs=1e-6)
    # t on 10 df: t_0.975 = 2.228139; 2 / (2 * 2.228139) = 0.448805
    assert se_from_ci(0, 2, dist="t", df=10) == pytest.approx(0.448805, abs=1e-6)


# ---- median, range, IQR ---------------------------------------------------------------

def test_mean_sd_from_median_metablue_published_example():
    # metaBLUE 1.0.0 documentation: X = (1, 4, 10), n = 30, "S1":
    # Luo.mean -> 4.356748, Wan.std -> 2.205578
    r = mean_sd_from_median(4, 30, min=1, max=10)
    assert r.loc[0, "mean"] == pytest.approx(4.356748, abs=5e-7)
    assert r.loc[0, "sd"] == pytest.approx(2.205578, abs=5e-7)


def test_mean_sd_from_median_by_hand_all_scenarios():
    # n = 50, min 0, q1 2, median 4, q3 7, max 10
    # xi(50)  = 2 Phi^-1((50 - .375)/50.25)   = 2 Phi^-1(0.987562) = 4.486658
    # eta(50) = 2 Phi^-1((37.5 - .125)/50.25) = 2 Phi^-1(0.743781) = 1.310093
    # S1: w = 4/(4 + 50^.75) = 4/22.803015 = 0.175415; mean = 0.175415*5 + 0.824585*4 = 4.175415
    #     sd = 10 / 4.486658 = 2.228831
    # S2: w = 0.7 + 0.39/50 = 0.7078; mean = 0.7078*4.5 + 0.2922*4 = 4.353900; sd = 5/1.310093 = 3.816523
    # S3: w1 = 2.2/(2.2 + 18.803015) = 0.104747, w2 = 0.7 - 0.72/50^.55 = 0.616267
    #     mean = 0.104747*5 + 0.616267*4.5 + 0.278986*4 = 4.412880; sd = (2.228831 + 3.816523)/2 = 3.022677
    nan = np.nan
    r = mean_sd_from_median([4, 4, 4], [50, 50, 50], min=[0, nan, 0], max=[10, nan, 10],
                            q1=[nan, 2, 2], q3=[nan, 7, 7], labels=["s1", "s2", "s3"])
    assert r["scenario"].tolist() == ["S1", "S2", "S3"]
    assert r["study"].tolist() == ["s1", "s2", "s3"]
    np.testing.assert_allclose(r["mean"], [4.175415, 4.353900, 4.412880], atol=2e-6)
    np.testing.assert_allclose(r["sd"], [2.228831, 3.816523, 3.022677], atol=2e-6)
    # Wan means: (0 + 8 + 10)/4 = 4.5; (2 + 4 + 7)/3 = 4.333333; (0 + 4 + 8 + 14 + 10)/8 = 4.5
    w = mean_sd_from_median([4, 4, 4], [50, 50, 50], min=[0, nan, 0], max=[10, nan, 10],
                            q1=[nan, 2, 2], q3=[nan, 7, 7], method_mean="wan")
    np.testing.assert_allclose(w["mean"], [4.5, 13 / 3, 4.5], rtol=1e-14)
    np.testing.assert_allclose(w["sd"], r["sd"], rtol=1e-14)


def test_mean_sd_from_median_errors():
    with pytest.raises(ValueError, match=r"q3: study 'B' \(index 1\) is missing but q1 is given"):
        mean_sd_from_median([4, 4], 20, q1=[2, 2], q3=[6, np.nan], labels=["A", "B"])
    with pytest.raises(ValueError, match=r"neither the range"):
        mean_sd_from_median(4, 20)
    with pytest.raises(ValueError, match=r"median: study 0 is 4 < q1 = 5"):
        mean_sd_from_median(4, 20, q1=5, q3=6)
    with pytest.raises(ValueError, match=r"n: study 0 is 1; sample sizes must be >= 2"):
        mean_sd_from_median(4, 1, min=1, max=7)
    with pytest.raises(ValueError, match=r"method_mean: unknown value"):
        mean_sd_from_median(4, 20, min=1, max=7, method_mean="hozo")
    with pytest.raises(ValueError, match=r"min: has 3 values but there are 2 studies"):
        mean_sd_from_median([4, 4], 20, min=[1, 1, 1], max=[7, 7])


five = st.tuples(*[st.floats(-50, 50) for _ in range(5)]).map(sorted)


@settings(max_examples=200, deadline=None)
@given(v=five, n=st.integers(2, 2000), c=st.floats(0.1, 10), shift=st.floats(-20, 20),
       method=st.sampled_from(["luo", "wan"]))
def test_mean_sd_from_median_location_scale_equivariant(v, n, c, shift, method):
    a, q1, m, q3, b = v
    r = mean_sd_from_median(m, n, min=a, q1=q1, q3=q3, max=b, method_mean=method)
    t = mean_sd_from_median(c * m + shift, n, min=c * a + shift, q1=c * q1 + shift,
                            q3=c * q3 + shift, max=c * b + shift, method_mean=method)
    assert t.loc[0, "mean"] == pytest.approx(c * r.loc[0, "mean"] + shift, abs=1e-8)
    assert t.loc[0, "sd"] == pytest.approx(c * r.loc[0, "sd"], abs=1e-8)
    # the mean estimate lies within [min, max]
    assert a - 1e-9 <= r.loc[0, "mean"] <= b + 1e-9


# ---- scales, groups, change scores -------------------------------------------------------

def test_vas100_to_nrs10():
    assert vas100_to_nrs10(45.0) == 4.5
    np.testing.assert_allclose(vas100_to_nrs10([45.0, 18.0, -12.5, np.nan]), [4.5, 1.8, -1.25, np.nan])


def test_pooled_sd_by_hand_and_as_smd_denominator():
    # sqrt((10*4 + 10*16)/20) = sqrt(200/20) = sqrt(10)
    assert pooled_sd(2.0, 11, 4.0, 11) == pytest.approx(math.sqrt(10), rel=1e-15)
    # effect_sizes("SMD") divides by the same pooled SD: g / J = (m1 - m2) / sp
    es = effect_sizes("SMD", m1=[5.0], sd1=[2.0], n1=[11], m2=[3.0], sd2=[4.0], n2=[11])
    m = 20
    j = math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))
    assert es["yi"][0] / j == pytest.approx(2.0 / math.sqrt(10), rel=1e-12)


def test_combine_groups_equals_sample_of_union():
    rng = np.random.default_rng(3)
    x, y = rng.normal(4, 1, 13), rng.normal(6, 2, 8)
    n, mean, sd = combine_groups(13, x.mean(), x.std(ddof=1), 8, y.mean(), y.std(ddof=1))
    u = np.concatenate([x, y])
    assert n == 21
    assert mean == pytest.approx(u.mean(), rel=1e-12)
    assert sd == pytest.approx(u.std(ddof=1), rel=1e-12)


def test_sd_change_identity_on_samples():
    # for sample quantities the identity var(f - b) = var b + var f - 2 r sd_b sd_f is exact
    rng = np.random.default_rng(5)
    b = rng.normal(6, 1.5, 30)
    f = 0.6 * b + rng.normal(0, 1.0, 30)
    r = np.corrcoef(b, f)[0, 1]
    assert sd_change(b.std(ddof=1), f.std(ddof=1), r) == pytest.approx((f - b).std(ddof=1), rel=1e-12)
    assert corr_from_sd_change(b.std(ddof=1), f.std(ddof=1), (f - b).std(ddof=1)) == pytest.approx(r, rel=1e-12)


def test_sd_change_handbook_example():
    # Cochrane Handbook 5.1, 16.4.6.4: SDs 2.38 and 2.21, r = 0.68, n = 10 -> SE 0.583
    # 2.38^2 + 2.21^2 - 2*0.68*2.38*2.21 = 5.6644 + 4.8841 - 7.153328 = 3.395172 -> sd 1.842599
    s = sd_change(2.38, 2.21, 0.68)
    assert s == pytest.approx(math.sqrt(3.395172), rel=1e-12)
    assert round(s / math.sqrt(10), 3) == 0.583


@settings(max_examples=200, deadline=None)
@given(sb=st.floats(0.1, 20), sf=st.floats(0.1, 20), r=st.floats(-1, 1))
def test_corr_from_sd_change_inverts_sd_change(sb, sf, r):
    s = sd_change(sb, sf, r)
    assert corr_from_sd_change(sb, sf, s) == pytest.approx(r, abs=1e-7)


# ---- validation and shapes ---------------------------------------------------------------

def test_errors_name_field_and_study():
    with pytest.raises(ValueError, match=r"sem: study 1 is -0.2; standard errors must be >= 0"):
        sd_from_sem([0.3, -0.2], [10, 10])
    with pytest.raises(ValueError, match=r"n: study 0 is 0; group sizes must be >= 1"):
        sd_from_sem(0.3, 0)
    with pytest.raises(ValueError, match=r"high: study 0 is 1; the upper limit must be >= the lower limit"):
        sd_from_ci(2, 1, 10)
    with pytest.raises(ValueError, match=r"n: study 0 is 1; group sizes must be >= 2"):
        sd_from_ci(1, 2, 1)
    with pytest.raises(ValueError, match=r"r: study 0 is 1.5; correlations must lie in \[-1, 1\]"):
        sd_change(1, 1, 1.5)
    with pytest.raises(ValueError, match=r"sd2: study 0 is -1"):
        pooled_sd(1, 10, -1, 10)
    with pytest.raises(ValueError, match=r"df: required when dist='t'"):
        se_from_ci(1, 2, dist="t")
    with pytest.raises(ValueError, match=r"low: study 0 is 0; limits must be > 0 when log=True"):
        se_from_ci(0, 2, log=True)
    with pytest.raises(ValueError, match=r"dist: unknown value 'normal'"):
        sd_from_ci(1, 2, 10, dist="normal")
    with pytest.raises(ValueError, match=r"sem: study 0 is nan"):
        sd_from_sem(np.nan, 10)


def test_scalar_and_array_returns():
    assert isinstance(sd_from_sem(0.5, 16), float)
    out = sd_from_ci([1, 2], [3, 5], [10, 20])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    n, m, s = combine_groups([10, 5], [1, 2], [1, 1], [10, 5], [3, 2], [1, 1])
    assert n.shape == (2,)


def test_docstring_examples_run():
    res = doctest.testmod(convert, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
