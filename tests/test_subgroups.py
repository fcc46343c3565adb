"""kmeta.subgroups against metafor 3.8 (tests/reference/subgroups_metareg.R), properties and validation."""
import math

import numpy as np
import pandas as pd
import pytest

import kmeta
from _reference import load

REF = load("subgroups_metareg")
CASES = REF["subgroup_cases"]
ITERATIVE = {"PM", "EB", "ML", "REML"}


def _tol(method):
    return 1e-5 if method in ITERATIVE else 1e-6


def _id(r):
    return f"{r['case']}-{r['method']}-{r['test']}"


@pytest.mark.parametrize("row", REF["subgroups"], ids=_id)
def test_separate_matches_metafor(row):
    c = CASES[row["case"]]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method=row["method"], test=row["test"], tau2="separate")
    tol = _tol(row["method"])
    assert list(res.groups) == list(dict.fromkeys(c["groups"]))  # order of first appearance
    for g, ref in row["separate"].items():
        r = res.groups[g]
        assert r.k == ref["k"]
        for f in ("estimate", "se", "ci_low", "ci_high", "pval", "tau2", "i2", "q"):
            np.testing.assert_allclose(getattr(r, f), ref[f], rtol=tol, atol=tol, err_msg=f"{g}: {f}")
    np.testing.assert_allclose(res.q_between, row["separate_q"], rtol=tol, atol=tol)
    np.testing.assert_allclose(res.p_between, row["separate_p"], rtol=tol, atol=tol)
    assert res.df_between == row["separate_df"]
    assert res.between_test == "chi2" and res.tau2 == "separate"


@pytest.mark.parametrize("row", REF["subgroups"], ids=_id)
def test_common_matches_metafor(row):
    c = CASES[row["case"]]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method=row["method"], test=row["test"], tau2="common")
    tol = _tol(row["method"])
    np.testing.assert_allclose(res.q_between, row["common_qm"], rtol=tol, atol=tol)
    np.testing.assert_allclose(res.p_between, row["common_p"], rtol=tol, atol=tol)
    assert res.df_between == row["common_df"]
    if row["common_df2"] is None:
        assert math.isnan(res.df_between_den) and res.between_test == "chi2"
    else:
        assert res.df_between_den == row["common_df2"] and res.between_test == "F"
    np.testing.assert_allclose(res.tau2_common, row["common_tau2"], rtol=tol, atol=tol)
    np.testing.assert_allclose(res.model.qe, row["common_qe"], rtol=tol, atol=tol)
    for g, ref in row["common_groups"].items():
        r = res.groups[g]
        for f in ("estimate", "se", "ci_low", "ci_high", "pval", "stat"):
            np.testing.assert_allclose(getattr(r, f), ref[f], rtol=tol, atol=tol, err_msg=f"{g}: {f}")
        assert r.tau2 == res.tau2_common
        np.testing.assert_allclose(r.i2, row["common_i2"], rtol=tol, atol=tol)


def test_reference_covers_every_estimator_and_test_and_small_groups():
    seen = {(r["method"], r["test"]) for r in REF["subgroups"]}
    assert seen == {(m, t) for m in kmeta.tau2.METHODS for t in ("z", "t", "knha", "adhoc")}
    sizes = {tuple(sorted(pd.Series(c["groups"]).value_counts())) for c in CASES.values()}
    assert (3, 3) in sizes and (2, 4) in sizes and (2, 2, 2) in sizes and (1, 5) in sizes


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize("mode", ["separate", "common"])
def test_one_group_equals_meta(method, test, mode):
    c = CASES["rand_k6_24"]
    res = kmeta.subgroups(c["yi"], c["vi"], ["all"] * 6, method=method, test=test, tau2=mode)
    m = kmeta.meta(c["yi"], c["vi"], method=method, test=test)
    g = res.groups["all"]
    for f in ("estimate", "se", "ci_low", "ci_high", "pval", "tau2", "i2", "q"):
        np.testing.assert_allclose(getattr(g, f), getattr(m, f), rtol=1e-9, atol=1e-12, err_msg=f)
        np.testing.assert_allclose(getattr(res.overall, f), getattr(m, f), rtol=1e-12, atol=1e-14)
    assert res.q_between == 0 and res.df_between == 0 and res.p_between == 1.0


def test_fe_modes_agree_and_partition_q():
    """With a common effect, Q_between = Q_total - sum of Q within, in both modes."""
    c = CASES["bcg_alloc"]
    sep = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="FE", tau2="separate")
    com = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="FE", tau2="common")
    within = sum(r.q for r in sep.groups.values())
    np.testing.assert_allclose(sep.q_between, sep.overall.q - within, rtol=1e-9)
    np.testing.assert_allclose(com.q_between, sep.q_between, rtol=1e-9)
    for g in sep.groups:
        np.testing.assert_allclose(com.groups[g].estimate, sep.groups[g].estimate, rtol=1e-9)


def test_two_groups_common_knha_is_statas_metareg_t_test():
    c = CASES["rand_k6_24"]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="REML", test="knha", tau2="common")
    mr = kmeta.metareg(c["yi"], c["vi"], {"g": c["groups"]}, method="REML", test="knha")
    np.testing.assert_allclose(res.p_between, mr.pval[1], rtol=1e-10)
    np.testing.assert_allclose(res.q_between, mr.stat[1] ** 2, rtol=1e-10)


def test_table_summary_and_frame():
    c = CASES["rand_k6_222"]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="DL", labels=[f"T{i}" for i in range(6)])
    tab = res.table()
    assert list(tab.index) == ["neuropathic", "mixed", "nociceptive"]
    assert list(tab.columns[:7]) == ["k", "estimate", "se", "ci_low", "ci_high", "pval", "tau2"]
    assert (tab["k"] == 2).all()
    assert list(res.table(overall=True).index)[-1] == "Overall"
    np.testing.assert_allclose(tab.loc["mixed", "estimate"], res.groups["mixed"].estimate)
    text = res.summary()
    assert "Test for subgroup differences: Q(df = 2)" in text and "Overall" in text
    frame = res.to_frame()
    assert frame.loc[0, "n_groups"] == 3 and frame.loc[0, "p_between"] == res.p_between
    assert res.groups["mixed"].labels == ("T1", "T3")
    assert res.membership[0] == "neuropathic"


def test_single_study_subgroup_knha_falls_back_to_z():
    c = CASES["rand_k6_15"]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="REML", test="knha")
    assert res.groups["a"].k == 1 and res.groups["a"].test == "z"
    assert any("one study use the z test" in n for n in res.notes)


def test_common_group_results_are_consistent():
    c = CASES["rand_k7_34"]
    res = kmeta.subgroups(c["yi"], c["vi"], c["groups"], method="REML", test="knha", tau2="common")
    g = res.groups["in"]
    assert g.df == 7 - 2  # t on k - G df
    assert g.q_df == g.k - 1
    w = 1.0 / (np.asarray(g.vi) + res.tau2_common)
    np.testing.assert_allclose(g.weights, 100 * w / w.sum())
    assert not np.isnan(g.pi_low)  # t on k - G - 1 = 4 df
    assert "common to all subgroups" in g.notes[0]


def test_groups_can_be_numbers_or_series():
    c = CASES["rand_k6_33"]
    codes = [1 if g == "high" else 0 for g in c["groups"]]
    a = kmeta.subgroups(c["yi"], c["vi"], codes, method="DL")
    b = kmeta.subgroups(c["yi"], c["vi"], pd.Series(np.array(codes)), method="DL")
    assert list(a.groups) == [1, 0] and list(b.groups) == [1, 0]
    np.testing.assert_allclose(a.q_between, b.q_between)


# ------------------------------------------------------------------ validation
Y = [0.1, 0.4, -0.2, 0.6, 0.3, 0.0]
V = [0.05, 0.08, 0.04, 0.1, 0.06, 0.07]
LAB = ["A", "B", "C", "D", "E", "F"]


def test_missing_group_names_the_study():
    with pytest.raises(ValueError, match=r"groups: study 'C' \(index 2\) has no group"):
        kmeta.subgroups(Y, V, ["a", "a", None, "b", "b", "b"], labels=LAB)
    with pytest.raises(ValueError, match=r"groups: study 4 has no group"):
        kmeta.subgroups(Y, V, [1, 1, 1, 2, np.nan, 2])


def test_group_length_and_type():
    with pytest.raises(ValueError, match="groups: has 5 values but there are 6 studies"):
        kmeta.subgroups(Y, V, ["a"] * 5)
    with pytest.raises(ValueError, match="groups: expected one group per study"):
        kmeta.subgroups(Y, V, "abcdef")
    with pytest.raises(ValueError, match="groups: missing"):
        kmeta.subgroups(Y, V)


def test_bad_options_and_data():
    with pytest.raises(ValueError, match="tau2: unknown value 'pooled'"):
        kmeta.subgroups(Y, V, ["a"] * 3 + ["b"] * 3, tau2="pooled")
    with pytest.raises(ValueError, match="method: unknown value"):
        kmeta.subgroups(Y, V, ["a"] * 3 + ["b"] * 3, method="XX")
    with pytest.raises(ValueError, match=r"vi: study 'B' \(index 1\) is 0"):
        kmeta.subgroups(Y, [0.05, 0, 0.04, 0.1, 0.06, 0.07], ["a"] * 3 + ["b"] * 3, labels=LAB)


def test_common_needs_more_studies_than_groups():
    with pytest.raises(ValueError, match="k = 3: tau2='common' with 3 subgroups needs k > 3"):
        kmeta.subgroups(Y[:3], V[:3], ["a", "b", "c"], tau2="common", method="REML")
    # FE with one study per group and a z test is legal
    res = kmeta.subgroups(Y[:3], V[:3], ["a", "b", "c"], tau2="common", method="FE")
    assert res.df_between == 2
