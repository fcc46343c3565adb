"""kmeta.metareg against metafor 3.8 (tests/reference/subgroups_metareg.R), properties and validation."""
import math

import numpy as np
import pandas as pd
import pytest

import kmeta
from _reference import load, num

REF = load("subgroups_metareg")
CASES = REF["cases"]
ITERATIVE = {"PM", "EB", "ML", "REML"}
CORE = load("core")["datasets"]


def _tol(method):
    return 1e-5 if method in ITERATIVE else 1e-6


def _r_name(name):
    """kmeta's 'col[level]' is R's 'factor(col)level'."""
    if name.endswith("]") and "[" in name:
        col, lev = name[:-1].split("[", 1)
        return f"factor({col}){lev}"
    return name


def _fit(case, method, test, **kw):
    c = CASES[case]
    return kmeta.metareg(c["yi"], c["vi"], pd.DataFrame(c["mods"]), method=method, test=test,
                         intercept=c["intercept"], **kw)


@pytest.mark.parametrize("row", REF["fits"], ids=lambda r: f"{r['case']}-{r['method']}-{r['test']}")
def test_metareg_matches_metafor(row):
    res = _fit(row["case"], row["method"], row["test"])
    tol = _tol(row["method"])
    assert [_r_name(n) for n in res.coef_names] == list(np.atleast_1d(row["coef_names"]))
    for field, ours in [
        ("estimate", res.beta), ("se", res.se), ("stat", res.stat), ("pval", res.pval),
        ("ci_low", res.ci_low), ("ci_high", res.ci_high), ("vcov", res.vcov.T.ravel()),
        ("tau2", res.tau2), ("i2", res.i2), ("h2", res.h2), ("qe", res.qe), ("qe_pval", res.qe_pval),
        ("qm", res.qm), ("qm_pval", res.qm_pval), ("s2w", res.s2w), ("weights", res.weights),
        ("hat", res.hat), ("fitted", res.fitted),
    ]:
        np.testing.assert_allclose(ours, num(row[field]), rtol=tol, atol=tol, err_msg=field)
    assert res.qm_df == row["qm_df"]
    if row["qm_df2"] is None:
        assert math.isnan(res.qm_df2)
    else:
        assert res.qm_df2 == row["qm_df2"]
    # pseudo-R^2: undefined without intercept or moderators; where tau^2 of the model
    # without moderators is at rounding level metafor returns a ratio of two rounding
    # errors and kmeta 0 (documented)
    if row["r2"] is None:
        assert math.isnan(res.r2)
    elif row["method"] != "FE" and row["tau2_re"] < 1e-8:
        assert res.r2 == 0.0
    else:
        np.testing.assert_allclose(res.r2, row["r2"], rtol=tol, atol=tol * 100, err_msg="r2")
    assert res.converged


def test_reference_covers_every_estimator_and_test():
    seen = {(r["method"], r["test"]) for r in REF["fits"]}
    assert seen == {(m, t) for m in kmeta.tau2.METHODS for t in ("z", "t", "knha", "adhoc")}
    assert any(not CASES[r["case"]]["intercept"] for r in REF["fits"])  # no-intercept models too
    assert any(len(CASES[c]["yi"]) == 3 for c in CASES)


@pytest.mark.parametrize("case", range(len(REF["reml_hard"])))
def test_reml_with_moderator_where_metafor_default_fails(case):
    row = REF["reml_hard"][case]
    assert "did not converge" in row["default_error"]
    res = kmeta.metareg(row["yi"], row["vi"], {"x": row["x"]}, method="REML")
    assert res.converged
    np.testing.assert_allclose(res.tau2, row["tau2"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.tau2, row["tau2_optimize"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res.beta, row["estimate"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.se, row["se"], rtol=1e-6, atol=1e-8)
    assert res.algorithm


@pytest.mark.parametrize("row", REF["permutest"], ids=lambda r: f"{r['case']}-{r['method']}-{r['test']}")
def test_exact_permutation_test_matches_metafor(row):
    if row["case"] == "rand_k6_intercept_only":
        c = CASES["rand_k6_x"]
        res = kmeta.metareg(c["yi"], c["vi"], None, method=row["method"], test=row["test"], permutations=1000)
    else:
        res = _fit(row["case"], row["method"], row["test"], permutations=1000)
    assert res.perm_exact
    assert res.permutations == row["exact_iter"]
    np.testing.assert_allclose(res.perm_pval, num(row["pval"]), atol=1e-12)
    np.testing.assert_allclose(res.perm_qm_pval, row["qm_pval"], atol=1e-12)


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize("name", ["bcg", "hine1989", "k2", "rand_k6_tau2_1", "rand_k30_tau2_0.1", "homogeneous"])
@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("test", ["z", "t", "knha", "adhoc"])
def test_without_moderators_equals_meta(name, method, test):
    d = CORE[name]
    a = kmeta.meta(d["yi"], d["vi"], method=method, test=test)
    b = kmeta.metareg(d["yi"], d["vi"], None, method=method, test=test)
    assert b.coef_names == ("intrcpt",)
    for fa, fb in [("estimate", b.beta[0]), ("se", b.se[0]), ("stat", b.stat[0]), ("pval", b.pval[0]),
                   ("ci_low", b.ci_low[0]), ("ci_high", b.ci_high[0]), ("tau2", b.tau2), ("i2", b.i2),
                   ("h2", b.h2), ("q", b.qe), ("q_pval", b.qe_pval)]:
        np.testing.assert_allclose(fb, getattr(a, fa), rtol=1e-9, atol=1e-10, err_msg=fa)
    np.testing.assert_allclose(b.weights, a.weights, rtol=1e-9)
    # the omnibus test of the intercept is the squared z (or t) statistic
    np.testing.assert_allclose(b.qm, a.stat**2, rtol=1e-9)
    np.testing.assert_allclose(b.qm_pval, a.pval, rtol=1e-9, atol=1e-14)
    assert math.isnan(b.r2)


def test_k1_without_moderators_equals_meta():
    a = kmeta.meta([0.4], [0.09], method="REML", test="knha")
    b = kmeta.metareg([0.4], [0.09], None, method="REML", test="knha")
    assert b.test == "z" and a.test == "z"
    assert b.beta[0] == a.estimate and b.tau2 == 0.0
    assert b.qe == 0.0 and b.qe_pval == 1.0
    assert any("k = 1" in n for n in b.notes)


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_constant_shift_and_scale_of_a_moderator(method, test):
    c = CASES["bcg_ablat"]
    base = kmeta.metareg(c["yi"], c["vi"], {"x": c["mods"]["ablat"]}, method=method, test=test)
    x = np.asarray(c["mods"]["ablat"], float)
    shifted = kmeta.metareg(c["yi"], c["vi"], {"x": x - 33.0}, method=method, test=test)
    scaled = kmeta.metareg(c["yi"], c["vi"], {"x": x / 10.0}, method=method, test=test)
    for other in (shifted, scaled):
        for f in ("tau2", "qm", "qm_pval", "qe", "i2", "r2"):
            np.testing.assert_allclose(getattr(other, f), getattr(base, f), rtol=1e-7, atol=1e-10, err_msg=f)
        np.testing.assert_allclose(other.fitted, base.fitted, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(other.pval[1], base.pval[1], rtol=1e-7)
    np.testing.assert_allclose(shifted.beta[1], base.beta[1], rtol=1e-8)
    np.testing.assert_allclose(shifted.beta[0], base.beta[0] + 33.0 * base.beta[1], rtol=1e-8)
    np.testing.assert_allclose(scaled.beta[1], 10.0 * base.beta[1], rtol=1e-8)


def test_study_order_does_not_matter():
    c = CASES["bcg_ablat_alloc"]
    mods = pd.DataFrame(c["mods"])
    a = kmeta.metareg(c["yi"], c["vi"], mods, method="REML", test="knha")
    perm = np.random.default_rng(4).permutation(len(c["yi"]))
    b = kmeta.metareg(np.asarray(c["yi"])[perm], np.asarray(c["vi"])[perm], mods.iloc[perm], method="REML",
                      test="knha")
    np.testing.assert_allclose(b.beta, a.beta, rtol=1e-8)
    np.testing.assert_allclose([b.tau2, b.qm, b.qe], [a.tau2, a.qm, a.qe], rtol=1e-8)


def test_reference_level_of_a_categorical():
    c = CASES["bcg_alloc"]
    g = c["mods"]["alloc"]
    default = kmeta.metareg(c["yi"], c["vi"], {"alloc": g}, method="DL")
    assert default.coef_names == ("intrcpt", "alloc[random]", "alloc[systematic]")  # sorted: alternate first
    cat = pd.Categorical(g, categories=["random", "alternate", "systematic"])
    other = kmeta.metareg(c["yi"], c["vi"], pd.DataFrame({"alloc": cat}), method="DL")
    assert other.coef_names == ("intrcpt", "alloc[alternate]", "alloc[systematic]")
    np.testing.assert_allclose([other.tau2, other.qm, other.qe], [default.tau2, default.qm, default.qe], rtol=1e-9)
    # intercept of the second = mean of 'random' in the first
    np.testing.assert_allclose(other.beta[0], default.beta[0] + default.beta[1], rtol=1e-9)
    assert any("reference level 'random'" in n for n in other.notes)


def test_bool_moderator_is_dummy_coded_false_first():
    c = CASES["rand_k6_bin33"]
    flag = [g == "low" for g in c["mods"]["g"]]
    a = kmeta.metareg(c["yi"], c["vi"], {"low": flag}, method="REML")
    b = kmeta.metareg(c["yi"], c["vi"], {"low": np.array(flag, float)}, method="REML")
    assert a.coef_names == ("intrcpt", "low[True]")
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-10)


def test_array_moderators_are_named():
    c = CASES["rand_k10_x1x2"]
    X = np.column_stack([c["mods"]["x1"], c["mods"]["x2"]])
    a = kmeta.metareg(c["yi"], c["vi"], X, method="ML")
    assert a.coef_names == ("intrcpt", "x1", "x2")
    b = kmeta.metareg(c["yi"], c["vi"], X[:, 0], method="ML")
    assert b.coef_names == ("intrcpt", "x")
    s = kmeta.metareg(c["yi"], c["vi"], pd.Series(X[:, 0], name="dose"), method="ML")
    assert s.coef_names == ("intrcpt", "dose")
    np.testing.assert_allclose(s.beta, b.beta, rtol=1e-12)


def test_knha_two_groups_is_the_t_test_of_the_indicator():
    """Stata's metareg with a binary covariate: F(1, k-2) of QM = t^2 of the coefficient."""
    c = CASES["rand_k6_bin24"]
    res = kmeta.metareg(c["yi"], c["vi"], {"g": c["mods"]["g"]}, method="REML", test="knha")
    np.testing.assert_allclose(res.qm, res.stat[1] ** 2, rtol=1e-10)
    np.testing.assert_allclose(res.qm_pval, res.pval[1], rtol=1e-10)
    assert res.df == 4 and res.qm_df2 == 4


def test_random_permutations_reproducible_and_close_to_exact():
    c = CASES["rand_k6_x"]
    mods = pd.DataFrame(c["mods"])
    exact = kmeta.metareg(c["yi"], c["vi"], mods, method="DL", permutations=1000)
    assert exact.perm_exact and exact.permutations == 720
    r1 = kmeta.metareg(c["yi"], c["vi"], mods, method="DL", permutations=500, seed=11)
    r2 = kmeta.metareg(c["yi"], c["vi"], mods, method="DL", permutations=500, seed=11)
    assert not r1.perm_exact and r1.permutations == 500 and r1.seed == 11
    np.testing.assert_array_equal(r1.perm_pval, r2.perm_pval)
    assert r1.perm_qm_pval == r2.perm_qm_pval
    # 500 draws: the Monte Carlo standard error of a p-value is at most 0.5/sqrt(500) = 0.022
    assert abs(r1.perm_qm_pval - exact.perm_qm_pval) < 0.09
    # the observed arrangement is among the permutations, so p >= 1/n
    assert r1.perm_qm_pval >= 1 / 500 and exact.perm_qm_pval >= 1 / 720


def test_permutation_p_of_a_perfect_ordering_is_the_minimum():
    # effects increasing exactly with x: no permutation gives a larger |z|
    x = np.arange(6.0)
    y = 0.5 * x
    v = np.full(6, 0.1)
    res = kmeta.metareg(y, v, {"x": x}, method="FE", permutations=1000)
    assert res.perm_exact and res.permutations == 720
    np.testing.assert_allclose(res.perm_qm_pval, 2 / 720)  # x and its reversal
    assert "pval*" in res.summary()


def test_summary_table_and_frame():
    res = _fit("bcg_ablat_alloc", "REML", "knha")
    text = res.summary()
    assert "Mixed-effects meta-regression (k = 13, p = 4" in text
    assert "F(df1 = 3, df2 = 9)" in text and "R^2" in text and "alloc[random]" in text
    tab = res.table()
    assert list(tab.index) == list(res.coef_names)
    assert list(tab.columns) == ["estimate", "se", "stat", "pval", "ci_low", "ci_high"]
    np.testing.assert_allclose(tab["estimate"].to_numpy(), res.beta)
    frame = res.to_frame()
    assert frame.shape[0] == 1 and frame.loc[0, "qm"] == res.qm
    assert res.coef("ablat") == res.beta[1]
    assert str(res) == text


def test_dataframe_input_with_study_column():
    c = CASES["bcg_ablat"]
    d = pd.DataFrame({"study": [f"s{i}" for i in range(13)], "yi": c["yi"], "vi": c["vi"]})
    a = kmeta.metareg(d, moderators={"ablat": c["mods"]["ablat"]}, method="REML")
    b = kmeta.metareg(c["yi"], c["vi"], {"ablat": c["mods"]["ablat"]}, method="REML")
    np.testing.assert_allclose(a.beta, b.beta)
    assert a.labels[0] == "s0"
    e = kmeta.metareg(c["yi"], sei=np.sqrt(c["vi"]), moderators={"ablat": c["mods"]["ablat"]})
    np.testing.assert_allclose(e.beta, b.beta, rtol=1e-12)


# ------------------------------------------------------------------ validation
Y = [0.1, 0.4, -0.2, 0.6, 0.3, 0.0]
V = [0.05, 0.08, 0.04, 0.1, 0.06, 0.07]
LAB = ["A", "B", "C", "D", "E", "F"]


def test_moderator_with_nan_names_column_and_study():
    with pytest.raises(ValueError, match=r"moderators: column 'dose', study 'C' \(index 2\) is nan"):
        kmeta.metareg(Y, V, {"dose": [1, 2, np.nan, 4, 5, 6]}, labels=LAB)
    with pytest.raises(ValueError, match=r"moderators: column 'g', study 'B' \(index 1\) is missing"):
        kmeta.metareg(Y, V, {"g": ["a", None, "b", "a", "b", "a"]}, labels=LAB)


def test_constant_and_collinear_columns_are_named():
    with pytest.raises(ValueError, match="column 'c' is constant"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6], "c": [2] * 6})
    with pytest.raises(ValueError, match="column 'x2' is a linear combination"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6], "x2": [2, 4, 6, 8, 10, 12]})
    with pytest.raises(ValueError, match="column 'g' has a single level"):
        kmeta.metareg(Y, V, {"g": ["a"] * 6})


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="moderators: has 5 rows but there are 6 studies"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5]})
    with pytest.raises(ValueError, match="vi: has 5 values but there are 6 studies"):
        kmeta.metareg(Y, V[:5], {"x": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(ValueError, match="vi: study 'D' \\(index 3\\) is -0.1"):
        kmeta.metareg(Y, [0.05, 0.08, 0.04, -0.1, 0.06, 0.07], {"x": [1, 2, 3, 4, 5, 6]}, labels=LAB)


def test_too_few_studies_for_the_coefficients():
    with pytest.raises(ValueError, match=r"k = 3: a random-effects meta-regression with p = 3"):
        kmeta.metareg(Y[:3], V[:3], {"x": [1, 2, 3], "z": [0, 1, 5]})
    with pytest.raises(ValueError, match="k = 2: test 'knha' needs k > p"):
        kmeta.metareg(Y[:2], V[:2], {"x": [1, 2]}, method="FE", test="knha")
    # FE with k = p and a z test is legal (a saturated model)
    res = kmeta.metareg(Y[:2], V[:2], {"x": [1, 2]}, method="FE")
    assert res.qe == 0 and res.qe_df == 0


def test_permutation_needs_three_studies_and_a_count():
    with pytest.raises(ValueError, match="k = 2: a permutation test needs at least 3 studies"):
        kmeta.metareg(Y[:2], V[:2], None, permutations=100)
    for bad in (1, 2.5, True, "many"):
        with pytest.raises(ValueError, match="permutations"):
            kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, permutations=bad)
    with pytest.raises(ValueError, match="seed"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, permutations=10, seed="x")


def test_unknown_options():
    with pytest.raises(ValueError, match="method: unknown value 'XX'"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, method="XX")
    with pytest.raises(ValueError, match="test: unknown value 'f'"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, test="f")
    with pytest.raises(ValueError, match="intercept"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, intercept="yes")
    with pytest.raises(ValueError, match="btt"):
        kmeta.metareg(Y, V, {"x": [1, 2, 3, 4, 5, 6]}, btt=[5])
    with pytest.raises(ValueError, match="needs at least one moderator"):
        kmeta.metareg(Y, V, None, intercept=False)
    with pytest.raises(ValueError, match="perhaps it needs transposing"):
        kmeta.metareg(Y, V, np.ones((2, 6)))


def test_btt_selects_coefficients():
    c = CASES["bcg_ablat_year"]
    full = _fit("bcg_ablat_year", "REML", "z")
    one = kmeta.metareg(c["yi"], c["vi"], pd.DataFrame(c["mods"]), method="REML", btt=[2])
    np.testing.assert_allclose(one.qm, full.stat[2] ** 2, rtol=1e-10)
    assert one.btt == (2,) and one.qm_df == 1


# ------------------------------------------------------------------ randomised properties
from hypothesis import given, settings, strategies as st  # noqa: E402


def _random_data(seed, k, p_extra=1):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 2.0, k)
    X = rng.normal(size=(k, p_extra))
    yi = rng.normal(X @ rng.normal(size=p_extra), np.sqrt(vi + rng.exponential(0.5)))
    return yi, vi, X


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(4, 12), method=st.sampled_from(kmeta.tau2.METHODS),
       shift=st.floats(-50, 50), test=st.sampled_from(["z", "knha"]))
def test_shifting_a_moderator_changes_only_the_intercept(seed, k, method, shift, test):
    yi, vi, X = _random_data(seed, k)
    a = kmeta.metareg(yi, vi, {"x": X[:, 0]}, method=method, test=test)
    b = kmeta.metareg(yi, vi, {"x": X[:, 0] + shift}, method=method, test=test)
    assert a.converged and b.converged
    np.testing.assert_allclose(b.tau2, a.tau2, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose([b.beta[1], b.qm, b.qe], [a.beta[1], a.qm, a.qe], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.beta[0], a.beta[0] - shift * a.beta[1], rtol=1e-6, atol=1e-7)


def _restricted_loglik(t2, yi, vi, X, reml):
    w = 1.0 / (vi + t2)
    A = X.T @ (w[:, None] * X)
    b = np.linalg.solve(A, X.T @ (w * yi))
    r = yi - X @ b
    ll = -0.5 * np.sum(np.log(vi + t2)) - 0.5 * np.sum(w * r * r)
    return ll - 0.5 * np.linalg.slogdet(A)[1] if reml else ll


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(4, 10), method=st.sampled_from(["ML", "REML"]))
def test_ml_and_reml_estimates_maximise_the_likelihood(seed, k, method):
    yi, vi, X = _random_data(seed, k)
    res = kmeta.metareg(yi, vi, {"x": X[:, 0]}, method=method)
    Xd = np.column_stack([np.ones(k), X[:, 0]])
    best = _restricted_loglik(res.tau2, yi, vi, Xd, method == "REML")
    grid = np.concatenate([[0.0], np.geomspace(1e-6, 100.0, 400)])
    others = [_restricted_loglik(t, yi, vi, Xd, method == "REML") for t in grid]
    assert best >= max(others) - 1e-9
