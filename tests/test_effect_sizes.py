"""kmeta.effect_sizes against metafor's escalc (tests/reference/effect_sizes.R)."""
from __future__ import annotations

import doctest
import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmeta
from kmeta import effect_sizes

REF = json.loads((Path(__file__).parent / "reference" / "effect_sizes.json").read_text())
CASES = REF["cases"]


def _arr(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_fixture_provenance():
    assert REF["metafor_version"].startswith("3.8")
    assert len(CASES) >= 100
    measures = {c["measure"] for c in CASES}
    assert measures == {"MD", "SMD", "RR", "OR", "RD", "PETO", "PR", "PLO", "PFT"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_metafor_escalc(case):
    data = {k: v for k, v in case["data"].items() if k != "study"}
    labels = case["data"].get("study")
    a = case["args"]
    got = effect_sizes(
        case["measure"], labels=labels, add=a["add"], to=a["to"], drop00=a["drop00"],
        vtype=a["vtype"], **data,
    )
    for field in ("yi", "vi"):
        ref = _arr(case[field])
        val = got[field].to_numpy()
        np.testing.assert_array_equal(np.isnan(val), np.isnan(ref), err_msg=f"{field} NaN pattern")
        np.testing.assert_allclose(val, ref, rtol=1e-6, atol=1e-10, equal_nan=True, err_msg=field)
    if labels is not None:
        assert got["study"].tolist() == [str(x) for x in labels]
    # every missing value is explained
    for yi, note in zip(got["yi"], got["note"]):
        if np.isnan(yi):
            assert note != ""


def test_public_name():
    assert kmeta.effect_sizes is effect_sizes


# ---- hand-computed values -----------------------------------------------------------

def test_md_by_hand():
    # yi = 3.1 - 5.0 = -1.9; vi = 2.0^2/20 + 2.2^2/20 = 0.2 + 0.242 = 0.442
    es = effect_sizes("MD", m1=[3.1], sd1=[2.0], n1=[20], m2=[5.0], sd2=[2.2], n2=[20])
    assert es["yi"][0] == pytest.approx(-1.9, abs=1e-12)
    assert es["vi"][0] == pytest.approx(0.442, rel=1e-12)
    # vtype HO: sp^2 = (19*4 + 19*4.84)/38 = 4.42; vi = 4.42 * (1/20 + 1/20) = 0.442
    ho = effect_sizes("MD", m1=[3.1], sd1=[2.0], n1=[20], m2=[5.0], sd2=[2.2], n2=[20], vtype="HO")
    assert ho["vi"][0] == pytest.approx(0.442, rel=1e-12)


def test_smd_exact_correction_by_hand():
    # n1 = n2 = 6 -> m = 10; J = Gamma(5) / (sqrt(5) * Gamma(4.5))
    j = math.gamma(5) / (math.sqrt(5) * math.gamma(4.5))
    # the classic approximation 1 - 3/(4m - 1) = 1 - 3/39 = 0.923077 is close but not equal
    assert j == pytest.approx(1 - 3 / 39, abs=5e-4)
    # sp = sqrt((5*1 + 5*1)/10) = 1; d = (2 - 1)/1 = 1; g = J
    es = effect_sizes("SMD", m1=[2.0], sd1=[1.0], n1=[6], m2=[1.0], sd2=[1.0], n2=[6])
    assert es["yi"][0] == pytest.approx(j, rel=1e-12)
    # LS variance: 1/6 + 1/6 + g^2 / (2 * 12)
    assert es["vi"][0] == pytest.approx(2 / 6 + j**2 / 24, rel=1e-12)


def test_or_zero_cell_by_hand():
    # a=0, b=10, c=4, d=6 -> add 0.5: log((0.5*6.5)/(10.5*4.5)); vi = 1/.5+1/10.5+1/4.5+1/6.5
    es = effect_sizes("OR", e1=[0], n1=[10], e2=[4], n2=[10])
    assert es["yi"][0] == pytest.approx(math.log(0.5 * 6.5 / (10.5 * 4.5)), rel=1e-12)
    assert es["vi"][0] == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 4.5 + 1 / 6.5, rel=1e-12)
    assert es["note"][0] == "zero cell: 0.5 added to each cell"


def test_pft_by_hand_and_no_correction_by_default():
    # x = 0, n = 10: y = 1/2 (asin 0 + asin sqrt(1/11)); v = 1/42
    es = effect_sizes("PFT", events=[0], n=[10])
    assert es["yi"][0] == pytest.approx(0.5 * math.asin(math.sqrt(1 / 11)), rel=1e-12)
    assert es["vi"][0] == pytest.approx(1 / 42, rel=1e-12)
    assert es["note"][0] == ""
    assert es.attrs["add"] == 0.0


# ---- zero cells and double-zero studies -------------------------------------------------

ZERO = dict(e1=[5, 0, 2, 3], n1=[20, 10, 10, 3], e2=[2, 0, 0, 3], n2=[20, 10, 12, 3])
ZLAB = ["A", "DZ", "Z", "ALL"]


@pytest.mark.parametrize("measure", ["RR", "OR", "PETO"])
def test_double_zero_excluded_from_ratio_measures(measure):
    es = effect_sizes(measure, labels=ZLAB, **ZERO)
    assert np.isnan(es.loc[1, "yi"]) and np.isnan(es.loc[1, "vi"])
    assert "double-zero study" in es.loc[1, "note"] and "excluded" in es.loc[1, "note"]
    assert np.isnan(es.loc[3, "yi"])
    assert "every participant had the event in both arms" in es.loc[3, "note"]
    assert es.attrs["excluded"] == ["DZ", "ALL"]
    assert any(n.startswith("DZ: double-zero") for n in es.attrs["notes"])
    assert es.attrs["drop00"] is True
    kept = es.dropna(subset=["yi", "vi"])
    assert kept["study"].tolist() == ["A", "Z"]


def test_double_zero_kept_for_rd():
    es = effect_sizes("RD", labels=ZLAB, **ZERO)
    assert es.attrs["drop00"] is False
    assert np.isfinite(es.loc[1, "yi"])
    assert "kept for RD" in es.loc[1, "note"]
    # as metafor: 0.5 is added to the double-zero table, so with n1 = n2 the RD is 0
    assert es.loc[1, "yi"] == pytest.approx(0.0, abs=1e-15)
    assert es.attrs["excluded"] == []
    dropped = effect_sizes("RD", labels=ZLAB, drop00=True, **ZERO)
    assert dropped.attrs["excluded"] == ["DZ", "ALL"]


def test_drop00_false_keeps_double_zero_ratio():
    es = effect_sizes("RR", labels=ZLAB, drop00=False, **ZERO)
    # (0.5/10.5) / (0.5/10.5) = 1
    assert es.loc[1, "yi"] == pytest.approx(0.0, abs=1e-15)
    assert "kept for RR" in es.loc[1, "note"]


def test_to_none_gives_nan_with_note_and_no_warning():
    es = effect_sizes("RR", e1=[0, 4], n1=[10, 10], e2=[3, 2], n2=[10, 10], to="none")
    assert np.isnan(es["yi"][0]) and np.isnan(es["vi"][0])
    assert "not computable" in es["note"][0]
    assert np.isfinite(es["yi"][1])


def test_zero_variance_is_flagged():
    es = effect_sizes("PR", events=[0, 3], n=[10, 10], to="none")
    assert es["vi"][0] == 0
    assert "sampling variance is 0" in es["note"][0]


def test_if0all_notes_every_study():
    es = effect_sizes("OR", e1=[0, 4], n1=[10, 10], e2=[3, 2], n2=[10, 10], to="if0all")
    assert es["note"][0] == "zero cell: 0.5 added to each cell"
    assert es["note"][1] == "0.5 added to each cell (to='if0all')"


# ---- validation -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "measure, kwargs, match",
    [
        ("MD", dict(m1=[1, 2], sd1=[1, -1], n1=[5, 5], m2=[1, 1], sd2=[1, 1], n2=[5, 5]),
         r"sd1: study 'B' \(index 1\) is -1; standard deviations must be >= 0"),
        ("SMD", dict(m1=[1, 2], sd1=[1, 1], n1=[5, 0], m2=[1, 1], sd2=[1, 1], n2=[5, 5]),
         r"n1: study 'B' \(index 1\) is 0; group sizes must be >= 1"),
        ("RR", dict(e1=[3, 12], n1=[10, 10], e2=[1, 1], n2=[10, 10]),
         r"e1: study 'B' \(index 1\) has e1 = 12 > n1 = 10"),
        ("OR", dict(e1=[3, 2], n1=[10, 10], e2=[-1, 1], n2=[10, 10]),
         r"e2: study 'A' \(index 0\) is -1; event counts must be >= 0"),
        ("RD", dict(e1=[3, 2.5], n1=[10, 10], e2=[1, 1], n2=[10, 10]),
         r"e1: study 'B' \(index 1\) is 2.5; counts must be whole numbers"),
        ("RD", dict(e1=[3, 2], n1=[10, 10.2], e2=[1, 1], n2=[10, 10]),
         r"n1: study 'B' \(index 1\) is 10.2; counts must be whole numbers"),
        ("PFT", dict(events=[1, 2], n=[10, 0]),
         r"n: study 'B' \(index 1\) is 0; group sizes must be >= 1"),
        ("PLO", dict(events=[1, 2], n=[10, 10, 10]), r"n: has 3 values but there are 2 studies"),
        ("RR", dict(e1=[3, 2], n1=[10, 10], e2=[1, 1]), r"n2: required for measure 'RR'"),
        ("RR", dict(e1=[3, 2], n1=[10, 10], e2=[1, 1], n2=[10, 10], m1=[1, 1]),
         r"m1: not an argument of measure 'RR'"),
        ("XX", dict(events=[1, 2], n=[10, 10]), r"measure: unknown value 'XX'"),
        ("PR", dict(events=[1, np.nan], n=[10, 10]), r"events: study 'B' \(index 1\) is .*nan.*; values must be finite"),
    ],
)
def test_bad_input_names_study_and_field(measure, kwargs, match):
    with pytest.raises(ValueError, match=match):
        effect_sizes(measure, labels=["A", "B"], **kwargs)


def test_bad_options():
    d = dict(e1=[3], n1=[10], e2=[1], n2=[10])
    with pytest.raises(ValueError, match="vtype: unknown value 'HO'"):
        effect_sizes("RR", vtype="HO", **d)
    with pytest.raises(ValueError, match="to: unknown value 'some'"):
        effect_sizes("RR", to="some", **d)
    with pytest.raises(ValueError, match="add: expected a number >= 0"):
        effect_sizes("RR", add=-0.5, **d)
    with pytest.raises(ValueError, match="labels: got 2 labels for 1 studies"):
        effect_sizes("RR", labels=["a", "b"], **d)


def test_unlabelled_errors_use_index():
    with pytest.raises(ValueError, match=r"sd2: study 1 is -2"):
        effect_sizes("MD", m1=[1, 2], sd1=[1, 1], n1=[5, 5], m2=[1, 1], sd2=[1, -2], n2=[5, 5])


def test_case_insensitive_measure_and_scalars():
    es = effect_sizes("rr", e1=3, n1=10, e2=1, n2=10)
    assert es.attrs["measure"] == "RR"
    assert es["yi"][0] == pytest.approx(math.log(3), rel=1e-12)
    assert list(es.columns) == ["yi", "vi", "note"]


# ---- properties -----------------------------------------------------------------------

counts = st.integers(min_value=1, max_value=200).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=200, deadline=None)
@given(arm1=counts, arm2=counts, measure=st.sampled_from(["RR", "OR", "RD", "PETO"]),
       to=st.sampled_from(["only0", "all", "if0all"]))
def test_swapping_arms_negates_two_arm_measures(arm1, arm2, measure, to):
    (e1, n1), (e2, n2) = arm1, arm2
    fwd = effect_sizes(measure, e1=[e1], n1=[n1], e2=[e2], n2=[n2], to=to)
    rev = effect_sizes(measure, e1=[e2], n1=[n2], e2=[e1], n2=[n1], to=to)
    y, yr = fwd["yi"][0], rev["yi"][0]
    assert np.isnan(y) == np.isnan(yr)
    if not np.isnan(y):
        assert y == pytest.approx(-yr, abs=1e-9)
        assert fwd["vi"][0] == pytest.approx(rev["vi"][0], rel=1e-9)


finite = st.floats(min_value=-100, max_value=100, allow_nan=False)
sds = st.floats(min_value=0.01, max_value=50, allow_nan=False)
ns = st.integers(min_value=2, max_value=500)


@settings(max_examples=200, deadline=None)
@given(m1=finite, m2=finite, sd1=sds, sd2=sds, n1=ns, n2=ns, measure=st.sampled_from(["MD", "SMD"]))
def test_swapping_arms_negates_mean_measures(m1, m2, sd1, sd2, n1, n2, measure):
    fwd = effect_sizes(measure, m1=[m1], sd1=[sd1], n1=[n1], m2=[m2], sd2=[sd2], n2=[n2])
    rev = effect_sizes(measure, m1=[m2], sd1=[sd2], n1=[n2], m2=[m1], sd2=[sd1], n2=[n1])
    assert fwd["yi"][0] == pytest.approx(-rev["yi"][0], abs=1e-9)
    assert fwd["vi"][0] == pytest.approx(rev["vi"][0], rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(arm=counts)
def test_logit_is_logit_of_corrected_proportion(arm):
    x, n = arm
    pr = effect_sizes("PR", events=[x], n=[n])["yi"][0]
    plo = effect_sizes("PLO", events=[x], n=[n])["yi"][0]
    assert plo == pytest.approx(math.log(pr / (1 - pr)), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=1, max_value=300))
def test_pft_increases_with_events(n):
    y = effect_sizes("PFT", events=np.arange(n + 1), n=np.full(n + 1, n))["yi"].to_numpy()
    assert np.all(np.diff(y) > 0)


def test_docstring_examples_run():
    # the package attribute kmeta.effect_sizes is the function; fetch the module itself
    es_mod = importlib.import_module("kmeta.effect_sizes")
    res = doctest.testmod(es_mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
