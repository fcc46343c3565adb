"""kmeta.begg, kmeta.egger and kmeta.trimfill against metafor 3.8 (tests/reference/bias.R)."""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

import kmeta
from _reference import load, num

REF = load("bias")
DATA = REF["datasets"]
ITERATIVE = {"PM", "EB", "ML", "REML"}


def _ni(d):
    ni = d["ni"]
    return None if ni is None or (isinstance(ni, list) and ni[0] is None) else ni


# ------------------------------------------------------------------ Begg
@pytest.mark.parametrize("name", list(REF["ranktest"]))
def test_begg_matches_metafor_ranktest(name):
    ref = REF["ranktest"][name]
    d = DATA[name]
    res = kmeta.begg(d["yi"], d["vi"])
    np.testing.assert_allclose(res.tau, ref["tau"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.pval, ref["pval"], rtol=1e-10, atol=1e-14)
    assert res.ties == ref["ties"]
    assert res.exact == (not ref["ties"])
    normal = kmeta.begg(d["yi"], d["vi"], exact=False)
    np.testing.assert_allclose(normal.pval, ref["pval_normal"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.pval_normal, ref["pval_normal"], rtol=1e-10, atol=1e-14)
    if not ref["ties"]:
        # without ties Stata's z is R's normal approximation, and its continuity-corrected
        # z is cor.test(..., exact = FALSE, continuity = TRUE)
        stata = kmeta.begg(d["yi"], d["vi"], variant="stata")
        cc = kmeta.begg(d["yi"], d["vi"], variant="stata_cc")
        np.testing.assert_allclose(stata.pval, ref["pval_normal"], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(cc.pval, ref["pval_cc"], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(res.pval_exact, ref["pval"], rtol=1e-10, atol=1e-14)


def test_begg_reference_includes_large_k_exact_and_ties():
    assert len(DATA["rand_k60"]["yi"]) == 60 and not REF["ranktest"]["rand_k60"]["ties"]
    assert REF["ranktest"]["k6_tied_vi"]["ties"]
    # metafor uses the exact distribution for k = 60 too (not only k < 50)
    res = kmeta.begg(DATA["rand_k60"]["yi"], DATA["rand_k60"]["vi"])
    assert res.exact and res.pval != res.pval_normal


@pytest.mark.parametrize("seed", range(4))
def test_exact_p_equals_enumeration_of_all_orderings(seed):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.05, 1, 6)
    yi = rng.normal(-1.5, np.sqrt(vi + 0.2))
    res = kmeta.begg(yi, vi)
    s_obs = res.score
    scores = []
    for perm in itertools.permutations(range(6)):
        x = res.yi_star[list(perm)]
        s = sum(np.sign(x[i] - x[j]) * np.sign(vi[i] - vi[j]) for i in range(6) for j in range(i + 1, 6))
        scores.append(s)
    scores = np.array(scores)
    p_enum = 1.0 if s_obs == 0 else np.mean(np.abs(scores) >= abs(s_obs))
    np.testing.assert_allclose(res.pval_exact, p_enum, rtol=1e-12)
    # Kendall's tau from scipy (tau-b) for the same pairs
    np.testing.assert_allclose(res.tau, stats.kendalltau(res.yi_star, vi).statistic, rtol=1e-12)


def test_stata_tie_formula_as_coded_in_ktau2():
    """With tied variances Stata's Var(S) is 18 Var = N(N-1)(2N+5) - sum t(t-1)(2t+5)."""
    d = DATA["k6_tied_vi"]
    res = kmeta.begg(d["yi"], d["vi"], variant="stata")
    k = 6
    t = np.array([2.0])  # two studies share a variance
    var = (k * (k - 1) * (2 * k + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18.0
    np.testing.assert_allclose(res.se_score, math.sqrt(var), rtol=1e-12)
    np.testing.assert_allclose(res.pval, 2 * stats.norm.sf(abs(res.score) / math.sqrt(var)), rtol=1e-12)
    cc = kmeta.begg(d["yi"], d["vi"], variant="stata_cc")
    np.testing.assert_allclose(cc.pval, 2 * stats.norm.sf((abs(res.score) - 1) / math.sqrt(var)), rtol=1e-12)
    assert res.ties and any("ktau2" in n for n in res.notes)
    # metafor with ties: normal approximation with R's variance (here the same formula)
    m = kmeta.begg(d["yi"], d["vi"], exact=True)
    assert not m.exact and any("not available" in n for n in m.notes)


@pytest.mark.parametrize("variant", ["exact", "normal", "stata", "stata_cc"])
def test_attainable_pvalues_contain_every_observed_one(variant):
    rng = np.random.default_rng(7)
    table = kmeta.begg_attainable_pvalues(6, variant, as_frame=True)
    assert list(table["score"]) == list(range(-15, 16, 2))
    allowed = kmeta.begg_attainable_pvalues(6, variant)
    assert np.all(np.diff(allowed) > 0) and len(allowed) == 8
    field = {"exact": "pval_exact", "normal": "pval_normal", "stata": "pval_stata", "stata_cc": "pval_stata_cc"}
    for _ in range(40):
        vi = rng.uniform(0.05, 1, 6)
        yi = rng.normal(-1.5, np.sqrt(vi + 0.3))
        p = getattr(kmeta.begg(yi, vi), field[variant])
        assert np.min(np.abs(allowed - p)) < 1e-12


def test_attainable_pvalues_with_tied_variances_and_metafor_alias():
    rng = np.random.default_rng(8)
    allowed = kmeta.begg_attainable_pvalues(6, "stata_cc", tied_variances=(2,))
    table = kmeta.begg_attainable_pvalues(6, "stata_cc", tied_variances=(2,), as_frame=True)
    assert table["score"].abs().max() == 14
    for _ in range(20):
        vi = rng.uniform(0.05, 1, 6)
        vi[3] = vi[1]
        yi = rng.normal(-1.5, np.sqrt(vi + 0.3))
        p = kmeta.begg(yi, vi, variant="stata_cc").pval
        assert np.min(np.abs(allowed - p)) < 1e-12
    np.testing.assert_array_equal(kmeta.begg_attainable_pvalues(6, "metafor"), kmeta.begg_attainable_pvalues(6, "exact"))
    np.testing.assert_array_equal(kmeta.begg_attainable_pvalues(6, "metafor", tied_variances=(2,)),
                                  kmeta.begg_attainable_pvalues(6, "normal", tied_variances=(2,)))


def test_begg_accepts_a_meta_result_and_validates():
    d = DATA["bcg"]
    fit = kmeta.meta(d["yi"], d["vi"], method="DL")
    assert kmeta.begg(fit).pval == kmeta.begg(d["yi"], d["vi"]).pval
    with pytest.raises(ValueError, match="k = 2: the rank correlation test needs at least 3 studies"):
        kmeta.begg([0.1, 0.2], [0.1, 0.2])
    with pytest.raises(ValueError, match="variant: unknown value 'R'"):
        kmeta.begg(d["yi"], d["vi"], variant="R")
    with pytest.raises(ValueError, match="exact"):
        kmeta.begg(d["yi"], d["vi"], exact="yes")
    with pytest.raises(ValueError, match="vi: has 12 values but there are 13 studies"):
        kmeta.begg(d["yi"], d["vi"][:12])
    with pytest.raises(ValueError, match="the exact test is not defined with tied variances"):
        kmeta.begg_attainable_pvalues(6, "exact", tied_variances=(2,))
    with pytest.raises(ValueError, match="tied_variances"):
        kmeta.begg_attainable_pvalues(6, "normal", tied_variances=(7,))
    with pytest.raises(ValueError, match="k: expected a whole number"):
        kmeta.begg_attainable_pvalues(6.5)


# ------------------------------------------------------------------ Egger
@pytest.mark.parametrize("row", REF["regtest"],
                         ids=lambda r: f"{r['dataset']}-{r['model']}-{r['predictor']}-{r['method']}-{r['test']}")
def test_egger_matches_metafor_regtest(row):
    d = DATA[row["dataset"]]
    if row["model"] == "lm":
        res = kmeta.egger(d["yi"], d["vi"], predictor=row["predictor"], ni=_ni(d))
    else:
        res = kmeta.egger(d["yi"], d["vi"], model="rma", method=row["method"], test=row["test"])
    tol = 1e-5 if row["method"] in ITERATIVE else 1e-7
    for field, ours in [("stat", res.stat), ("pval", res.pval), ("bias", res.bias), ("bias_se", res.bias_se),
                        ("intercept", res.fit.beta[0]), ("intercept_se", res.fit.se[0]), ("est", res.estimate),
                        ("ci_low", res.ci_low), ("ci_high", res.ci_high), ("df", res.df)]:
        np.testing.assert_allclose(ours, num(row[field]), rtol=tol, atol=tol, err_msg=field)


def test_egger_is_the_classical_regression_of_snd_on_precision():
    for name in ("egger2001", "hackshaw1998", "rand_k6_1", "rand_k3"):
        d = DATA[name]
        yi, sei = np.asarray(d["yi"]), np.sqrt(d["vi"])
        X = np.column_stack([np.ones_like(sei), 1 / sei])
        z = yi / sei
        coef, rss, *_ = np.linalg.lstsq(X, z, rcond=None)
        k = yi.size
        s2 = np.sum((z - X @ coef) ** 2) / (k - 2)
        se = np.sqrt(s2 * np.diag(np.linalg.inv(X.T @ X)))
        res = kmeta.egger(yi, d["vi"])
        np.testing.assert_allclose(res.bias, coef[0], rtol=1e-9)  # Egger's intercept
        np.testing.assert_allclose(res.bias_se, se[0], rtol=1e-9)
        np.testing.assert_allclose(res.estimate, coef[1], rtol=1e-9)  # slope = limit estimate
        np.testing.assert_allclose(res.stat, coef[0] / se[0], rtol=1e-9)
        np.testing.assert_allclose(res.pval, 2 * stats.t.sf(abs(coef[0] / se[0]), k - 2), rtol=1e-9)


def test_egger_t_from_p_inverts_the_test():
    d = DATA["rand_k6_2"]
    res = kmeta.egger(d["yi"], d["vi"])
    np.testing.assert_allclose(kmeta.egger_t_from_p(res.pval, 6), abs(res.stat), rtol=1e-9)
    t = kmeta.egger_t_from_p(0.423, 6)
    np.testing.assert_allclose(2 * stats.t.sf(t, 4), 0.423, rtol=1e-12)
    lo, hi = kmeta.egger_t_interval(0.423, 6, digits=3)
    assert lo < t < hi
    np.testing.assert_allclose(2 * stats.t.sf([lo, hi], 4), [0.4235, 0.4225], rtol=1e-12)
    for bad in (0, 1.5, "x"):
        with pytest.raises(ValueError, match="p: expected a p-value"):
            kmeta.egger_t_from_p(bad, 6)
    with pytest.raises(ValueError, match="k = 2"):
        kmeta.egger_t_from_p(0.4, 2)
    with pytest.raises(ValueError, match="digits"):
        kmeta.egger_t_interval(0.4, 6, digits=0)


def test_egger_validation_and_meta_result_input():
    d = DATA["normand1999"]
    fit = kmeta.meta(d["yi"], d["vi"], method="DL", test="knha")
    a = kmeta.egger(fit, model="rma")
    b = kmeta.egger(d["yi"], d["vi"], model="rma", method="DL", test="knha")
    assert a.pval == b.pval and a.method == "DL" and a.test == "knha"
    with pytest.raises(ValueError, match="k = 2: Egger's regression test needs at least 3 studies"):
        kmeta.egger([0.1, 0.2], [0.1, 0.2])
    with pytest.raises(ValueError, match="ni: predictor 'ninv' needs the sample sizes"):
        kmeta.egger(d["yi"], d["vi"], predictor="ninv")
    with pytest.raises(ValueError, match="sei: all studies have the same value"):
        kmeta.egger([0.1, 0.2, 0.5], [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="model: unknown value"):
        kmeta.egger(d["yi"], d["vi"], model="glm")
    with pytest.raises(ValueError, match=r"ni: study 1 is -3"):
        kmeta.egger(d["yi"], d["vi"], predictor="ni", ni=[10, -3] + [10] * (len(d["yi"]) - 2))
    assert "limit estimate" in str(b) and b.to_frame().shape[0] == 1


# ------------------------------------------------------------------ trim and fill
def _tf_id(r):
    return f"{r['dataset']}-{r['method']}-{r['estimator']}-{r['side_arg']}"


@pytest.mark.parametrize("row", REF["trimfill"], ids=_tf_id)
def test_trimfill_matches_metafor(row):
    d = DATA[row["dataset"]]
    side = None if row["side_arg"] == "auto" else row["side_arg"]
    if row["error"] is not None:
        # metafor stops ('missing value where TRUE/FALSE needed'): Q0 takes the root of a negative number
        assert row["estimator"] == "Q0"
        with pytest.raises(ValueError, match="Q0 is undefined"):
            kmeta.trimfill(d["yi"], d["vi"], method=row["method"], estimator="Q0", side=side)
        return
    res = kmeta.trimfill(d["yi"], d["vi"], method=row["method"], estimator=row["estimator"], side=side)
    tol = 1e-5 if row["method"] in ITERATIVE else 1e-7
    assert res.k0 == row["k0"]
    assert res.side == row["side"]
    np.testing.assert_allclose(res.se_k0, num(row["se_k0"]), rtol=1e-9)  # NaN where Var(S_r) < 0
    np.testing.assert_allclose(res.p_k0, num(row["p_k0"]), rtol=1e-12)
    a = res.adjusted
    for field in ("estimate", "se", "ci_low", "ci_high", "pval", "tau2"):
        np.testing.assert_allclose(getattr(a, field), row[field], rtol=tol, atol=tol, err_msg=field)
    np.testing.assert_allclose(res.filled_yi, np.atleast_1d(num(row["filled_yi"])) if res.k0 else [], atol=tol)
    np.testing.assert_allclose(res.filled_vi, np.atleast_1d(num(row["filled_vi"])) if res.k0 else [], rtol=1e-12)
    assert res.converged


def test_trimfill_reference_has_missing_studies_on_both_sides():
    sides = {(r["side"], r["k0"] > 0) for r in REF["trimfill"] if r["error"] is None}
    assert ("left", True) in sides and ("right", True) in sides


def test_filled_studies_mirror_the_extreme_ones():
    d = DATA["egger2001"]
    res = kmeta.trimfill(d["yi"], d["vi"], method="REML")
    assert res.k0 > 0 and res.side == "right"
    # the k0 smallest effects are reflected about the trimmed estimate
    order = np.argsort(d["yi"], kind="stable")[: res.k0]
    extreme = np.asarray(d["yi"])[order]
    pairs = np.sort(extreme) + np.sort(res.filled_yi)[::-1]
    np.testing.assert_allclose(pairs, pairs[0], rtol=1e-12)
    # ... and the centre is the estimate of the trimmed data (the k - k0 largest effects)
    rest = np.setdiff1d(np.arange(len(d["yi"])), order)
    mu = kmeta.meta(np.asarray(d["yi"])[rest], np.asarray(d["vi"])[rest], method="REML").estimate
    np.testing.assert_allclose(pairs[0], 2 * mu, rtol=1e-9)
    np.testing.assert_allclose(np.sort(res.filled_vi), np.sort(np.asarray(d["vi"])[order]))
    assert res.adjusted.k == len(d["yi"]) + res.k0
    assert res.is_filled.sum() == res.k0
    table = res.study_table()
    assert table["filled"].sum() == res.k0 and table["study"].iloc[-1] == f"Filled {res.k0}"
    assert res.adjusted.test == "z"


def test_trimfill_from_meta_result_and_k0_zero():
    d = DATA["rand_k6_2"]
    fit = kmeta.meta(d["yi"], d["vi"], method="DL", test="knha")
    res = kmeta.trimfill(fit, side="left", estimator="R0")
    ref = kmeta.trimfill(d["yi"], d["vi"], method="DL", side="left", estimator="R0")
    assert res.k0 == ref.k0 and res.method == "DL"
    if res.k0 == 0:
        assert res.adjusted is fit
    # a symmetric funnel: nothing to fill
    y = np.array([-0.3, 0.3, -0.2, 0.2, 0.0])
    v = np.array([0.1, 0.1, 0.05, 0.05, 0.02])
    sym = kmeta.trimfill(y, v, method="FE")
    assert sym.k0 == 0 and sym.filled_yi.size == 0 and sym.adjusted.k == 5
    assert "Trim-and-fill" in str(sym)
    assert sym.to_frame().loc[0, "k0"] == 0


def test_trimfill_validation():
    with pytest.raises(ValueError, match="k = 2: trim and fill needs at least 3 studies"):
        kmeta.trimfill([0.1, 0.2], [0.1, 0.2])
    with pytest.raises(ValueError, match="estimator: unknown value 'L1'"):
        kmeta.trimfill([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], estimator="L1")
    with pytest.raises(ValueError, match="side: unknown value 'up'"):
        kmeta.trimfill([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], side="up")
    with pytest.raises(ValueError, match="maxiter"):
        kmeta.trimfill([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], maxiter=0)


def test_trimfill_with_equal_variances_needs_a_side():
    """No slope of yi on sqrt(vi) to choose the side from: metafor 3.8-1 stops with
    'missing value where TRUE/FALSE needed'; kmeta says what to do instead."""
    y, v = [0.1, 0.5, 0.3, 0.9, 0.2], [0.1] * 5
    with pytest.raises(ValueError, match=r"side: every study has the same variance.*side='left'"):
        kmeta.trimfill(y, v)
    res = kmeta.trimfill(y, v, side="left")
    assert res.side == "left" and res.k0 >= 0


# ------------------------------------------------------------------ randomised properties
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(3, 9))
def test_begg_p_values_are_attainable_and_egger_inverts(seed, k):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 1.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + rng.exponential(0.3)))
    b = kmeta.begg(yi, vi)
    for variant, p in (("exact", b.pval_exact), ("stata", b.pval_stata), ("stata_cc", b.pval_stata_cc)):
        assert np.min(np.abs(kmeta.begg_attainable_pvalues(k, variant) - p)) < 1e-12
    assert b.concordant + b.discordant == k * (k - 1) // 2
    e = kmeta.egger(yi, vi)
    if e.pval > 1e-10:
        np.testing.assert_allclose(kmeta.egger_t_from_p(e.pval, k), abs(e.stat), rtol=1e-7)
    t = kmeta.trimfill(yi, vi, method="FE")
    assert 0 <= t.k0 < k and t.adjusted.k == k + t.k0
