"""kmeta.leave_one_out, kmeta.cumulative and kmeta.influence against metafor 3.8
(tests/reference/sensitivity.R), properties and validation."""
import numpy as np
import pandas as pd
import pytest

import kmeta
from _reference import load, num

REF = load("sensitivity")
DATA = REF["datasets"]
ITERATIVE = {"PM", "EB", "ML", "REML"}


def _tol(method):
    return 1e-5 if method in ITERATIVE else 1e-6


def _id(r):
    return f"{r['dataset']}-{r['method']}-{r['test']}" + ("-mods" if r.get("mods") else "")


@pytest.mark.parametrize("row", REF["leave1out"], ids=_id)
def test_leave_one_out_matches_metafor(row):
    d = DATA[row["dataset"]]
    res = kmeta.leave_one_out(d["yi"], d["vi"], method=row["method"], test=row["test"])
    t = res.table
    tol = _tol(row["method"])
    assert len(t) == len(d["yi"]) and (t["k"] == len(d["yi"]) - 1).all()
    for field in ("estimate", "se", "stat", "pval", "ci_low", "ci_high", "q", "q_pval", "tau2", "i2", "h2"):
        np.testing.assert_allclose(t[field].to_numpy(), num(row[field]), rtol=tol, atol=tol, err_msg=field)


@pytest.mark.parametrize("row", REF["cumul"], ids=_id)
def test_cumulative_matches_metafor(row):
    d = DATA[row["dataset"]]
    res = kmeta.cumulative(d["yi"], d["vi"], order=row["order"], method=row["method"], test=row["test"])
    t = res.table
    tol = _tol(row["method"])
    assert list(t["k"]) == list(range(1, len(d["yi"]) + 1))
    for field in ("estimate", "se", "pval", "ci_low", "ci_high", "q", "q_pval", "tau2", "i2", "h2"):
        np.testing.assert_allclose(t[field].to_numpy(), num(row[field]), rtol=tol, atol=tol, err_msg=field)


@pytest.mark.parametrize("row", REF["influence"], ids=_id)
def test_influence_matches_metafor(row):
    d = DATA[row["dataset"]]
    if row["mods"]:
        fit = kmeta.metareg(d["yi"], d["vi"], pd.DataFrame(d["mods"]), method=row["method"], test=row["test"])
        res = kmeta.influence(fit)
    else:
        res = kmeta.influence(d["yi"], d["vi"], method=row["method"], test=row["test"])
    tol = _tol(row["method"])
    for field in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "baujat_x",
                  "baujat_y"):
        np.testing.assert_allclose(getattr(res, field), num(row[field]), rtol=tol, atol=tol, err_msg=field)
    np.testing.assert_allclose(res.dfbetas, np.array(row["dfbetas"], dtype=float).reshape(res.dfbetas.shape),
                               rtol=tol, atol=tol, err_msg="dfbetas")
    np.testing.assert_array_equal(res.inf, np.array(row["inf"], dtype=bool))


def test_reference_covers_estimators_tests_and_models():
    assert {(r["method"], r["test"]) for r in REF["leave1out"]} == {
        (m, t) for m in kmeta.tau2.METHODS for t in ("z", "t", "knha", "adhoc")}
    assert any(r["mods"] for r in REF["influence"]) and any(any(r["inf"]) for r in REF["influence"])
    assert {len(d["yi"]) for d in DATA.values()} >= {2, 3, 6}


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_row_i_is_meta_without_study_i(method, test):
    d = DATA["rand_k6"]
    yi, vi = np.asarray(d["yi"]), np.asarray(d["vi"])
    res = kmeta.leave_one_out(yi, vi, method=method, test=test)
    for i in range(6):
        m = kmeta.meta(np.delete(yi, i), np.delete(vi, i), method=method, test=test)
        row = res.table.iloc[i]
        for f in ("estimate", "se", "pval", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low", "pi_high"):
            np.testing.assert_allclose(row[f], getattr(m, f), rtol=1e-12, atol=1e-14, err_msg=f)


def test_cumulative_last_row_is_the_full_analysis_and_order_is_stable():
    d = DATA["bcg"]
    res = kmeta.cumulative(d["yi"], d["vi"], order=d["year"], method="REML", test="knha")
    full = kmeta.meta(d["yi"], d["vi"], method="REML", test="knha")
    last = res.table.iloc[-1]
    np.testing.assert_allclose([last.estimate, last.se, last.tau2], [full.estimate, full.se, full.tau2], rtol=1e-10)
    years = np.asarray(d["year"])[res.order]
    assert np.all(np.diff(years) >= 0)
    # ties keep their input order; decreasing reverses the years
    ties = kmeta.cumulative([1, 2, 3, 4], [1, 1, 1, 1], order=[2, 1, 2, 1], method="FE", labels=list("abcd"))
    assert list(ties.table.index) == ["b", "d", "a", "c"]
    dec = kmeta.cumulative([1, 2, 3, 4], [1, 1, 1, 1], order=[2, 1, 2, 1], decreasing=True, method="FE",
                           labels=list("abcd"))
    assert list(dec.table.index) == ["a", "c", "b", "d"]
    assert res.table.iloc[0]["k"] == 1 and np.isnan(res.table.iloc[0]["pi_low"])


def test_meta_result_input_reuses_data_and_settings():
    d = DATA["hackshaw1998"]
    fit = kmeta.meta(d["yi"], d["vi"], method="PM", test="knha", level=0.9, labels=[f"s{i}" for i in range(37)])
    a = kmeta.leave_one_out(fit)
    b = kmeta.leave_one_out(d["yi"], d["vi"], method="PM", test="knha", level=0.9)
    np.testing.assert_allclose(a.table["ci_low"], b.table["ci_low"])
    assert a.table.index[0] == "s0" and a.method == "PM" and a.level == 0.9
    c = kmeta.cumulative(fit, order=d["year"])
    assert c.test == "knha"
    i1 = kmeta.influence(fit)
    i2 = kmeta.influence(d["yi"], d["vi"], method="PM", test="knha")
    np.testing.assert_allclose(i1.cook_d, i2.cook_d)
    assert i1.table.index[1] == "s1"
    # overriding a setting
    z = kmeta.leave_one_out(fit, test="z")
    assert z.test == "z" and not np.allclose(z.table["ci_low"], a.table["ci_low"])


def test_influence_of_the_fe_model_is_the_contribution_to_q():
    d = DATA["normand1999"]
    res = kmeta.influence(d["yi"], d["vi"], method="FE")
    q = kmeta.meta(d["yi"], d["vi"], method="FE").q
    np.testing.assert_allclose(res.baujat_x.sum(), q, rtol=1e-10)
    np.testing.assert_allclose(res.weight.sum(), 100)
    np.testing.assert_allclose(res.hat, res.weight / 100, rtol=1e-12)


def test_summaries_and_frames():
    d = DATA["rand_k8"]
    l1o = kmeta.leave_one_out(d["yi"], d["vi"], method="DL")
    assert "Leave-one-out analysis (k = 8" in l1o.summary()
    assert l1o.to_frame().shape == (8, 15)
    assert l1o.significance_changes.dtype == bool and l1o.outside_ci.shape == (8,)
    cum = kmeta.cumulative(d["yi"], d["vi"], method="DL")
    assert "Cumulative meta-analysis" in str(cum) and cum.to_frame().shape[0] == 8
    inf = kmeta.influence(d["yi"], d["vi"], method="DL")
    assert "Influence diagnostics" in str(inf) and "dfbetas_intrcpt" in inf.to_frame().columns
    assert isinstance(inf.influential, list)


def test_two_studies():
    d = DATA["k2"]
    l1o = kmeta.leave_one_out(d["yi"], d["vi"], method="REML", test="knha")
    np.testing.assert_allclose(l1o.table["estimate"], d["yi"][::-1])
    assert (l1o.table["k"] == 1).all() and any("z test" in n for n in l1o.notes)


# ------------------------------------------------------------------ validation
def test_validation():
    with pytest.raises(ValueError, match="k = 1: a leave-one-out analysis needs at least 2 studies"):
        kmeta.leave_one_out([0.1], [0.1])
    with pytest.raises(ValueError, match="k = 1: influence diagnostics needs at least 2 studies"):
        kmeta.influence([0.1], [0.1])
    with pytest.raises(ValueError, match="order: has 3 values but there are 4 studies"):
        kmeta.cumulative([1, 2, 3, 4], [1, 1, 1, 1], order=[1, 2, 3])
    with pytest.raises(ValueError, match=r"order: study 'c' \(index 2\) has no value to sort by"):
        kmeta.cumulative([1, 2, 3, 4], [1, 1, 1, 1], order=[1, 2, None, 3], labels=list("abcd"))
    with pytest.raises(ValueError, match=r"vi: study 1 is -1"):
        kmeta.leave_one_out([1, 2, 3], [1, -1, 1])
    with pytest.raises(ValueError, match="method: unknown value"):
        kmeta.influence([1, 2, 3], [1, 1, 1], method="OLS")
    fit = kmeta.meta([1, 2, 3], [1, 1, 1])
    with pytest.raises(ValueError, match="vi: not used when a MetaResult is given"):
        kmeta.leave_one_out(fit, [1, 1, 1])
    with pytest.raises(ValueError, match="decreasing"):
        kmeta.cumulative([1, 2, 3], [1, 1, 1], decreasing="yes")


# ------------------------------------------------------------------ randomised properties
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 9), method=st.sampled_from(kmeta.tau2.METHODS),
       test=st.sampled_from(["z", "t", "knha", "adhoc"]))
def test_leave_one_out_and_cumulative_are_meta_on_subsets(seed, k, method, test):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 1.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + rng.exponential(0.3)))
    l1o = kmeta.leave_one_out(yi, vi, method=method, test=test)
    i = int(rng.integers(k))
    m = kmeta.meta(np.delete(yi, i), np.delete(vi, i), method=method, test=test)
    np.testing.assert_allclose(l1o.table.iloc[i][["estimate", "se", "tau2"]].to_numpy(float),
                               [m.estimate, m.se, m.tau2], rtol=1e-12, atol=1e-14)
    key = rng.permutation(k) + 1990
    cum = kmeta.cumulative(yi, vi, order=key, method=method, test=test)
    j = int(rng.integers(1, k + 1))
    first = np.argsort(key)[:j]
    m = kmeta.meta(yi[first], vi[first], method=method, test=test)
    np.testing.assert_allclose(cum.table.iloc[j - 1][["estimate", "se", "tau2"]].to_numpy(float),
                               [m.estimate, m.se, m.tau2], rtol=1e-12, atol=1e-14)
    inf = kmeta.influence(yi, vi, method=method, test=test)
    np.testing.assert_allclose(inf.weight.sum(), 100.0)
    assert np.all(np.isfinite(inf.tau2_del))
