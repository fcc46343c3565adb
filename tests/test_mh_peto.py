"""kmeta.mh and kmeta.peto against metafor's rma.mh / rma.peto (tests/reference/mh_peto.R)."""
from __future__ import annotations

import doctest
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmeta
from kmeta import mh, peto
from kmeta._result import Result

REF = json.loads((Path(__file__).parent / "reference" / "mh_peto.json").read_text())
CASES = REF["cases"]

COMMON = [
    ("beta", "estimate"), ("se", "se"), ("zval", "stat"), ("pval", "pval"),
    ("ci_lb", "ci_low"), ("ci_ub", "ci_high"), ("QE", "q"), ("QEp", "q_pval"),
    ("I2", "i2"), ("H2", "h2"), ("weights", "weights"), ("yi", "yi"), ("vi", "vi"),
]
OR_TESTS = [("MH", "cmh"), ("MHp", "cmh_pval"), ("BD", "bd"), ("BDp", "bd_pval"),
            ("TA", "tarone"), ("TAp", "tarone_pval")]


def _ref(v):
    if isinstance(v, list):
        return np.array([np.nan if x is None else x for x in v], dtype=float)
    return np.nan if v is None else float(v)


def _run(case):
    a = case["args"]
    # jsonlite writes a one-study column as a number, not a list
    d = {key: val if isinstance(val, list) else [val] for key, val in case["data"].items()}
    if case["method"] == "MH":
        return mh(d["e1"], d["n1"], d["e2"], d["n2"], measure=case["measure"],
                  labels=d.get("study"), level=a["level"], correct=a["correct"],
                  add=a["add"], to=a["to"], drop00=a["drop00"])
    return peto(d["e1"], d["n1"], d["e2"], d["n2"], labels=d.get("study"),
                level=a["level"], add=a["add"], to=a["to"], drop00=a["drop00"])


def test_fixture_provenance():
    assert REF["metafor_version"].startswith("3.8")
    methods = {(c["method"], c["measure"]) for c in CASES}
    assert methods == {("MH", "RR"), ("MH", "OR"), ("MH", "RD"), ("Peto", "OR")}
    assert len(CASES) >= 50


# cases where kmeta differs from metafor on purpose, each tested on its own below
OWN_ANSWER = {"allnone_MH_RD"}


@pytest.mark.parametrize("case", [c for c in CASES if c["name"] not in OWN_ANSWER],
                         ids=[c["name"] for c in CASES if c["name"] not in OWN_ANSWER])
def test_matches_metafor(case):
    res = _run(case)
    r = case["result"]
    pairs = list(COMMON)
    if case["method"] == "MH" and case["measure"] == "OR":
        pairs += OR_TESTS
    for rk, pk in pairs:
        ref, got = _ref(r[rk]), getattr(res, pk)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-10, equal_nan=True, err_msg=f"{rk} vs {pk}")
        assert np.all(np.isnan(got) == np.isnan(ref)), f"{rk} vs {pk}: NaN pattern"
    assert res.k == r["k"]
    assert res.k_yi == r["k_yi"]
    assert res.q_df == max(r["k_yi"] - 1, 0)
    if case["method"] == "Peto" or case["measure"] == "OR":
        assert res.k_pos == r["k_pos"]
    if case["measure"] != "RD":
        for f in ("estimate", "ci_low", "ci_high"):
            est = getattr(res, f)
            assert getattr(res, f + "_exp") == pytest.approx(math.exp(est), rel=1e-12) or np.isnan(est)


def test_zero_variance_rd_is_metafors_up_to_rounding():
    """0/1 against 18/18 events: the variance is 0 in exact arithmetic. metafor's rounding
    leaves 6e-17 (SE 7.9e-9, so a z of -1.3e8 and p = 0); kmeta returns SE 0, no test
    and a point CI -- the same interval to 1e-7."""
    case = next(c for c in CASES if c["name"] == "allnone_MH_RD")
    res, r = _run(case), case["result"]
    assert res.estimate == r["beta"] == -1.0
    assert 0 < r["se"] < 1e-7 and res.se == 0.0
    assert res.ci_low == pytest.approx(r["ci_lb"], abs=1e-7)
    assert res.ci_high == pytest.approx(r["ci_ub"], abs=1e-7)
    assert np.isnan(res.stat) and np.isnan(res.pval) and r["pval"] == 0
    for rk, pk in [("QE", "q"), ("QEp", "q_pval"), ("I2", "i2"), ("H2", "h2"), ("yi", "yi"), ("vi", "vi")]:
        np.testing.assert_allclose(getattr(res, pk), _ref(r[rk]), rtol=1e-10, err_msg=rk)


def test_public_names():
    assert kmeta.mh is mh and kmeta.peto is peto
    res = mh([5, 3], [20, 20], [8, 9], [20, 20])
    assert isinstance(res, Result) and isinstance(peto([5, 3], [20, 20], [8, 9], [20, 20]), Result)


# ---- hand-computed values -----------------------------------------------------------

T = dict(e1=[4, 6], n1=[50, 60], e2=[10, 12], n2=[50, 58])


def test_mh_or_by_hand():
    # tables (a, b, c, d, N): (4, 46, 10, 40, 100) and (6, 54, 12, 46, 118)
    # R = 4*40/100 + 6*46/118 = 1.6 + 2.3389831 = 3.9389831
    # S = 46*10/100 + 54*12/118 = 4.6 + 5.4915254 = 10.0915254
    R = 4 * 40 / 100 + 6 * 46 / 118
    S = 46 * 10 / 100 + 54 * 12 / 118
    res = mh(**T, measure="OR")
    assert res.estimate_exp == pytest.approx(R / S, rel=1e-12)
    # weights b*c/N: 4.6 and 5.4915 -> 45.58% and 54.42%
    np.testing.assert_allclose(res.weights, [100 * 4.6 / S, 100 * (54 * 12 / 118) / S], rtol=1e-12)


def test_mh_rr_and_rd_by_hand():
    # RR = sum(a*n2/N) / sum(c*n1/N) = (4*50/100 + 6*58/118) / (10*50/100 + 12*60/118)
    rr = (4 * 50 / 100 + 6 * 58 / 118) / (10 * 50 / 100 + 12 * 60 / 118)
    assert mh(**T, measure="RR").estimate_exp == pytest.approx(rr, rel=1e-12)
    # RD = sum(w (p1 - p2)) / sum(w), w = n1 n2 / N = 25 and 29.491525
    w = np.array([50 * 50 / 100, 60 * 58 / 118])
    rd = np.sum(w * (np.array([4 / 50, 6 / 60]) - np.array([10 / 50, 12 / 58]))) / w.sum()
    res = mh(**T, measure="RD")
    assert res.estimate == pytest.approx(rd, rel=1e-12)
    assert np.isnan(res.estimate_exp)


def test_peto_single_table_by_hand():
    # a=4, n1=50, c=10, n2=50: N=100, m1=14, m2=86
    # E = 50*14/100 = 7; V = 14*86*50*50/(100^2 * 99) = 3010000/990000 = 3.0404040
    # log OR = (4 - 7)/V = -0.9867110; se = 1/sqrt(V)
    V = 14 * 86 * 50 * 50 / (100**2 * 99)
    res = peto([4], [50], [10], [50])
    assert res.estimate == pytest.approx(-3 / V, rel=1e-12)
    assert res.se == pytest.approx(1 / math.sqrt(V), rel=1e-12)
    assert res.q == 0 and res.q_df == 0 and res.q_pval == 1.0 and res.i2 == 0.0
    assert res.yi[0] == pytest.approx(-3 / V, rel=1e-12)


def test_mh_or_single_table_is_sample_or():
    # one table: MH OR = (a d / N) / (b c / N) = ad/bc = 4*40/(46*10)
    res = mh([4], [50], [10], [50], measure="OR")
    assert res.estimate_exp == pytest.approx(4 * 40 / (46 * 10), rel=1e-12)
    # the RGB variance reduces to Woolf's 1/a + 1/b + 1/c + 1/d for one table
    assert res.se**2 == pytest.approx(1 / 4 + 1 / 46 + 1 / 10 + 1 / 40, rel=1e-12)


def test_level_95_accepted_and_changes_ci():
    a = mh(**T, level=95)
    b = mh(**T, level=0.95)
    c = mh(**T, level=0.8)
    assert a.ci_low == b.ci_low
    assert c.ci_low > b.ci_low


# ---- zero cells and degenerate data ------------------------------------------------------

Z = dict(e1=[5, 0, 0], n1=[40, 30, 20], e2=[9, 0, 3], n2=[41, 29, 20])
ZL = ["A", "DZ", "Z"]


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_double_zero_weight_zero_and_noted(measure):
    res = mh(**Z, measure=measure, labels=ZL)
    assert res.weights[1] == 0.0
    assert np.isnan(res.yi[1])
    assert res.k == 3 and res.k_yi == 2
    assert any(n.startswith("DZ: no events in either arm") for n in res.notes)
    # dropping the double-zero study changes nothing in the pooled estimate
    without = mh([5, 0], [40, 20], [9, 3], [41, 20], measure=measure)
    assert res.estimate == pytest.approx(without.estimate, rel=1e-12)
    assert res.se == pytest.approx(without.se, rel=1e-12)


def test_double_zero_counts_in_mh_rd():
    res = mh(**Z, measure="RD", labels=ZL)
    assert res.weights[1] > 0
    assert "included in the MH risk difference" in " ".join(res.notes)


@pytest.mark.parametrize("e1, n1, e2, n2, rd", [
    ([0], [1], [18], [18], -1.0),  # found by hypothesis: the variance came out -1e-17
    ([18], [18], [0], [1], 1.0),
    ([0, 0], [1, 3], [18, 5], [18, 5], -1.0),
    ([0, 0], [10, 12], [0, 0], [10, 11], 0.0),
])
def test_rd_with_all_or_no_events_in_every_arm_has_se_zero(e1, n1, e2, n2, rd):
    """Every arm 0/n or n/n: the Sato-Greenland-Robins variance is exactly 0, whatever the
    rounding; the result is a point CI and no test, said in a note (not a NaN SE)."""
    res = mh(e1, n1, e2, n2, measure="RD")
    assert res.estimate == pytest.approx(rd, abs=1e-15)
    assert res.se == 0.0
    assert res.ci_low == res.ci_high == res.estimate
    assert np.isnan(res.stat) and np.isnan(res.pval)
    assert any("standard error is 0" in n for n in res.notes)


def test_peto_double_zero():
    res = peto(**Z, labels=ZL)
    assert res.weights[1] == 0.0 and res.k_pos == 2
    assert any("no information for Peto's OR" in n for n in res.notes)


def test_undefined_pooled_ratio_is_nan_with_note():
    res = mh([0, 0], [10, 12], [3, 1], [10, 11], measure="RR")
    assert np.isnan(res.estimate) and np.isnan(res.ci_low) and np.isnan(res.estimate_exp)
    assert any("pooled risk ratio undefined" in n for n in res.notes)
    res_or = mh([0, 0], [10, 12], [3, 1], [10, 11], measure="OR")
    assert np.isnan(res_or.estimate)
    assert any("pooled odds ratio undefined" in n for n in res_or.notes)
    assert "NA" in res_or.summary()


def test_peto_without_information_is_nan_with_note():
    res = peto([0, 0], [10, 12], [0, 0], [10, 11])
    assert np.isnan(res.estimate) and np.isnan(res.q)
    assert any("no table has both events and non-events" in n for n in res.notes)
    assert np.isnan(res.weights).all()


# ---- validation -------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [mh, peto])
def test_bad_input(fn):
    lab = ["A", "B"]
    with pytest.raises(ValueError, match=r"e1: study 'B' \(index 1\) has e1 = 30 > n1 = 20"):
        fn([1, 30], [20, 20], [2, 3], [20, 20], labels=lab)
    with pytest.raises(ValueError, match=r"e2: study 'A' \(index 0\) is -2; event counts must be >= 0"):
        fn([1, 3], [20, 20], [-2, 3], [20, 20], labels=lab)
    with pytest.raises(ValueError, match=r"n2: study 'B' \(index 1\) is 0; group sizes must be >= 1"):
        fn([1, 3], [20, 20], [0, 0], [20, 0], labels=lab)
    with pytest.raises(ValueError, match=r"n1: study 'A' \(index 0\) is 20.5; counts must be whole numbers"):
        fn([1, 3], [20.5, 20], [2, 3], [20, 20], labels=lab)
    with pytest.raises(ValueError, match=r"n2: has 3 values but there are 2 studies"):
        fn([1, 3], [20, 20], [2, 3], [20, 20, 20], labels=lab)
    with pytest.raises(ValueError, match=r"level"):
        fn([1, 3], [20, 20], [2, 3], [20, 20], level=150)


def test_bad_measure():
    with pytest.raises(ValueError, match=r"measure: unknown value 'SMD'"):
        mh([1], [10], [2], [10], measure="SMD")


# ---- output --------------------------------------------------------------------------------

def test_summary_and_frame():
    res = mh(**T, measure="OR", labels=["A", "B"])
    text = res.summary()
    assert "Mantel-Haenszel" in text and "Cochran-Mantel-Haenszel" in text and "Tarone" in text
    assert str(res) == text
    frame = res.to_frame()
    assert frame.shape[0] == 1
    for col in ("estimate", "se", "pval", "ci_low", "ci_high", "estimate_exp", "q", "i2", "k"):
        assert col in frame.columns
    assert "weights" not in frame.columns
    table = res.study_table()
    assert isinstance(table, pd.DataFrame)
    assert table["study"].tolist() == ["A", "B"]
    assert table["weight"].sum() == pytest.approx(100.0)
    p = peto(**T)
    assert "Peto" in p.summary() and p.to_frame().loc[0, "method"] == "Peto"


# ---- properties ------------------------------------------------------------------------------

tables = st.lists(
    st.tuples(st.integers(1, 200), st.integers(1, 200)).flatmap(
        lambda nn: st.tuples(st.integers(0, nn[0]), st.just(nn[0]), st.integers(0, nn[1]), st.just(nn[1]))
    ),
    min_size=1, max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(tabs=tables, measure=st.sampled_from(["RR", "OR", "RD", "PETO"]))
def test_swapping_arms_negates_pooled_estimate(tabs, measure):
    e1, n1, e2, n2 = (list(x) for x in zip(*tabs))
    if measure == "PETO":
        fwd, rev = peto(e1, n1, e2, n2), peto(e2, n2, e1, n1)
    else:
        fwd, rev = mh(e1, n1, e2, n2, measure=measure), mh(e2, n2, e1, n1, measure=measure)
    assert np.isnan(fwd.estimate) == np.isnan(rev.estimate)
    if np.isfinite(fwd.estimate):
        assert fwd.estimate == pytest.approx(-rev.estimate, abs=1e-9)
        assert fwd.se == pytest.approx(rev.se, rel=1e-9)
        assert fwd.q == pytest.approx(rev.q, rel=1e-7, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(tabs=tables, measure=st.sampled_from(["RR", "OR", "RD"]), seed=st.integers(0, 10_000))
def test_study_order_does_not_matter(tabs, measure, seed):
    e1, n1, e2, n2 = (np.array(x) for x in zip(*tabs))
    perm = np.random.default_rng(seed).permutation(len(e1))
    a = mh(e1, n1, e2, n2, measure=measure)
    b = mh(e1[perm], n1[perm], e2[perm], n2[perm], measure=measure)
    assert (np.isnan(a.estimate) and np.isnan(b.estimate)) or a.estimate == pytest.approx(b.estimate, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(a.weights[perm], b.weights, rtol=1e-9, atol=1e-12)


def test_docstring_examples_run():
    for name in ("kmeta.mh", "kmeta.peto"):
        mod = importlib.import_module(name)
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, name
