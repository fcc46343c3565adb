"""Data of the source chapters (issue 5): schema, provenance on every value, and the
arithmetic that the chapters rely on.

Files covered: kmeta/data/{sbu2018,dosing,zhao2018,michelet2018,clinsummary,
orhurhu2019summary}/*.csv. Each file has `source`, `location` and `kind` columns; a row
that holds a value must have all three (DEVELOPING.md, "Provenance of data").
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from kmeta.reviews import _provenance, sbu2018

DATA = Path(_provenance.DATA_ROOT)
FOLDERS = ["sbu2018", "dosing", "zhao2018", "michelet2018", "clinsummary", "orhurhu2019summary"]
# Columns that hold provenance or our remarks, never a value.
META = {"source", "location", "kind", "note", "url"}
# Columns that identify a row (names, ids), not values that need a source.
KEYS = {"review", "field", "item", "statement_id", "claim_id", "fact_id", "pool_id", "row_id"}


def _files():
    out = []
    for folder in FOLDERS:
        d = DATA / folder
        if d.is_dir():
            out.extend(sorted(d.glob("*.csv")))
    return out


FILES = _files()
BIB = (Path(__file__).resolve().parent.parent / "book" / "references.bib").read_text(encoding="utf-8")


def test_every_source_folder_has_data_and_a_readme():
    present = [f for f in FOLDERS if (DATA / f).is_dir()]
    assert "sbu2018" in present
    for folder in present:
        assert list((DATA / folder).glob("*.csv")), folder
        assert (DATA / folder / "README.md").is_file(), f"{folder} has no README.md"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_no_value_lacks_source_location_kind(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("source", "location", "kind"):
        assert col in df.columns, f"{path.name}: no {col} column"
    value_cols = [c for c in df.columns if c not in META | KEYS]
    assert value_cols, path.name
    has_value = (df[value_cols] != "").any(axis=1)
    assert has_value.sum() > 0
    for col in ("source", "location", "kind"):
        missing = df.index[has_value & (df[col] == "")].tolist()
        assert not missing, f"{path.name}: rows {missing} have a value but no {col}"
    kinds = set(df.loc[has_value, "kind"])
    assert kinds <= _provenance.KINDS, f"{path.name}: unknown kinds {kinds - _provenance.KINDS}"
    # derived and converted values must say how
    needs_note = has_value & df["kind"].isin(["derived", "converted"])
    if "note" in df.columns:
        bad = df.index[needs_note & (df["note"] == "")].tolist()
        assert not bad, f"{path.name}: derived/converted rows {bad} have no note"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_every_source_key_is_in_the_bibliography(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for key in sorted(set(df["source"]) - {""}):
        assert "{" + key + "," in BIB, f"{path.name}: source {key!r} is not a key of references.bib"


def test_check_provenance_names_the_missing_field():
    df = pd.DataFrame({"value": ["1", "2"], "source": ["a", ""], "location": ["x", "y"],
                       "kind": ["reported", "reported"]})
    with pytest.raises(ValueError, match="row 1 has a value but no source"):
        _provenance.check_provenance(df, ["value"], "demo")
    df.loc[1, "source"] = "a"
    df.loc[0, "kind"] = "guessed"
    with pytest.raises(ValueError, match="kind 'guessed'"):
        _provenance.check_provenance(df, ["value"], "demo")


# ----------------------------------------------------------------------------- SBU 2018

@pytest.fixture(scope="module")
def sbu():
    return sbu2018.reviews()


def test_sbu_has_fifteen_reviews_in_three_tables(sbu):
    assert len(sbu) == 15
    assert sbu["sbu_ref"].tolist() == list(range(1, 16))
    assert sbu.groupby("sbu_table").size().to_dict() == {1: 4, 2: 3, 3: 8}
    # Table 1 is the overviews of reviews, exactly
    assert (sbu["review_kind"] == "overview").tolist() == (sbu["sbu_table"] == 1).tolist()
    about = sbu2018.about().set_index("item")
    assert int(about.loc["n_reviews", "value"]) == len(sbu)
    assert int(about.loc["n_overviews", "value"]) + int(about.loc["n_systematic_reviews", "value"]) == 15


def test_sbu_review_keys_are_in_the_bibliography_with_sbu_numbers(sbu):
    for key, row in sbu.iterrows():
        start = BIB.index("{" + key + ",")
        entry = BIB[start:BIB.index("\n}", start)]
        assert re.search(r"sburef\s*=\s*\{" + str(row["sbu_ref"]) + r"\}", entry), key


def test_sbu_codes_and_vocabularies(sbu):
    assert set(sbu["conclusion_code"]) <= set(sbu2018.CONCLUSION_CODES)
    assert sbu["conclusion_reason"].str.len().min() > 40   # a real reason, not a word
    assert set(sbu["routes"]) <= {"IV only", "any route", "IV or epidural", "not stated"}
    assert set(sbu["meta_analysis"]) <= {"yes", "not stated"}
    assert set(sbu["risk_of_bias"]) <= {"yes", "not stated"}
    # what SBU states in so many words
    assert sbu.loc["michelet2018", ["meta_analysis", "risk_of_bias"]].tolist() == ["yes", "yes"]
    assert sbu.loc["zhao2018", ["routes", "meta_analysis"]].tolist() == ["IV only", "yes"]
    assert sbu.loc["oconnell2013", "evidence_grading"] == "GRADE"


def test_sbu_counts_that_add_up_and_the_one_that_does_not(sbu):
    # Connolly 2015: 6 reviews + 5 RCTs + 13 observational + 21 case reports
    assert sbu.loc["connolly2015", "n_included"] == 6 + 5 + 13 + 21
    # Azari 2012: 3 RCTs + 7 observational + 9 case studies
    assert sbu.loc["azari2012", "n_included"] == 3 + 7 + 9
    # Bredlau 2013: 5 RCTs + 6 uncontrolled + 0 paediatric RCTs
    assert sbu.loc["bredlau2013", "n_included"] == 5 + 6 + 0
    # Maher 2017 as printed: 26 studies, but the listed kinds are 11 + 4 + 4 = 19
    assert sbu.loc["maher2017", "n_included"] == 26
    assert sbu.loc["maher2017", "n_rct"] + 4 + 4 == 19
    # Michelet: 4 of 6 IV; Noppers: 21 of 36 IV
    assert (sbu.loc["michelet2018", "n_iv_studies"], sbu.loc["michelet2018", "n_included"]) == (4, 6)
    assert (sbu.loc["noppers2010", "n_iv_studies"], sbu.loc["noppers2010", "n_included"]) == (21, 36)
    # sub-counts never exceed totals
    for col in ("n_rct", "n_ketamine_studies", "n_iv_studies"):
        ok = sbu[col].isna() | (sbu[col] <= sbu["n_included"])
        assert ok.all(), col


def test_sbu_overlap_tables(sbu):
    inc = sbu2018.population_incidence(sbu)
    assert inc.shape[0] == 15 and set(inc.to_numpy().ravel()) <= {0, 1}
    assert (inc.sum(axis=1) >= 1).all()
    ov = sbu2018.population_overlap(sbu)
    assert ov.index[0] == "CRPS"
    # the CRPS reviews, by name: the four CRPS-only reviews and three that list CRPS among others
    crps = set(inc.index[inc["CRPS"] == 1])
    assert crps == {"connolly2015", "oconnell2013", "zhao2018", "azari2012", "michelet2018",
                    "maher2017", "noppers2010"}
    codes = ["favourable", "inconclusive", "unfavourable", "mixed"]
    assert (ov[codes].sum(axis=1) == ov["n_reviews"]).all()
    m = sbu2018.overlap_matrix(sbu)
    assert (m.to_numpy() == m.to_numpy().T).all()
    assert (pd.Series(m.to_numpy().diagonal(), index=m.index) == inc.sum(axis=1)).all()


# ----------------------------------------------------------------------------- Zhao 2018

def test_zhao_published_numbers_and_who_says_them():
    from kmeta.reviews import zhao2018
    f = zhao2018.published()
    assert f.loc["zhao.immediate.rate", ["estimate", "ci_low", "ci_high"]].tolist() == [69, 53, 84]
    assert f.loc["zhao.followup.rate", ["estimate", "ci_low", "ci_high"]].tolist() == [58, 41, 75]
    # the clinical summary quotes both exactly
    for pool in ("immediate", "followup"):
        assert (f.loc[f"clinsummary.{pool}.rate", ["estimate", "ci_low", "ci_high"]].tolist()
                == f.loc[f"zhao.{pool}.rate", ["estimate", "ci_low", "ci_high"]].tolist())
    # only the news report gives patients; SBU and the news report agree on 15 studies
    assert f.loc[f["count"] == 258].index.tolist() == ["cpa.n"]
    assert f.loc["sbu.k", "count"] == f.loc["cpa.k", "count"] == 15
    assert (f.loc[f.index.str.startswith("zhao."), "kind"] == "abstract").all()


def test_zhao_interval_checks():
    from kmeta.reviews import zhao2018
    c = zhao2018.ci_consistency(69, 53, 84).set_index("scale")
    # raw scale: arms 16 and 15 points; symmetric within rounding
    assert c.loc["PR", "lower_arm"] == pytest.approx(0.16) and c.loc["PR", "upper_arm"] == pytest.approx(0.15)
    assert bool(c.loc["PR", "consistent"])
    # logit: logit(.69) - logit(.53) = 0.8001 - 0.1201 = 0.680; a symmetric upper limit would be
    # expit(0.8001 + 0.680) = expit(1.480) = 0.8146, far below 0.84 even allowing rounding
    assert c.loc["PLO", "lower_arm"] == pytest.approx(0.680, abs=1e-3)
    assert c.loc["PLO", "upper_if_symmetric"] == pytest.approx(81.46, abs=0.01)
    assert not bool(c.loc["PLO", "consistent"])
    # implied SE on the raw scale: (0.84 - 0.53) / (2 * 1.959964) = 0.07908
    h = zhao2018.implied_heterogeneity(69, 53, 84, k=9, n_total=[34.2, 258])
    assert h["se"].iloc[0] == pytest.approx(0.31 / (2 * 1.959964), rel=1e-6)
    # tau^2 = 9 * 0.07908^2 - 0.69 * 0.31 / (258 / 9) = 0.056288 - 0.007462 = 0.048826
    z = 1.959963984540054
    assert h["tau2"].iloc[1] == pytest.approx(9 * (0.31 / (2 * z)) ** 2 - 0.69 * 0.31 / (258 / 9), rel=1e-9)
    assert h["tau2"].iloc[0] == pytest.approx(0.0, abs=1e-4)   # ~34 patients: binomial alone explains the width
    with pytest.raises(ValueError, match="k: is 0"):
        zhao2018.implied_heterogeneity(69, 53, 84, k=0, n_total=100)
    with pytest.raises(ValueError, match="scale: unknown value 'log'"):
        zhao2018.transform(0.5, "log")


def test_zhao_simulated_data_is_seeded_and_labelled():
    from kmeta.reviews import zhao2018
    a, b = zhao2018.simulated_crps(seed=2018), zhao2018.simulated_crps(seed=2018)
    pd.testing.assert_frame_equal(a, b)
    assert a["simulated"].all() and (a["events"] <= a["n"]).all()
    assert not zhao2018.simulated_crps(seed=1)["events"].equals(a["events"])


# ----------------------------------------------------------------------------- Michelet 2018

def test_michelet_abstract_numbers_and_implied_test():
    from kmeta.reviews import michelet2018
    m = michelet2018.published()
    assert m.loc["michelet.wk4.md", ["estimate", "ci_low", "ci_high"]].tolist() == [-1.12, -2.33, 0.09]
    assert (m.loc["michelet.k", "count"], m.loc["michelet.n_ketamine", "count"], m.loc["michelet.n_placebo", "count"]) == (6, 99, 96)
    assert m.loc["michelet.wk4.md", "kind"] == "abstract"
    # the news report's 4-week numbers are the abstract's
    assert m.loc["cpa.wk4.md", ["estimate", "ci_low", "ci_high"]].tolist() == m.loc["michelet.wk4.md", ["estimate", "ci_low", "ci_high"]].tolist()
    # SE = (0.09 + 2.33) / (2 * 1.959964) = 0.617358; z = -1.12 / 0.617358 = -1.8142; p = 0.0696
    t = michelet2018.implied_test(-1.12, -2.33, 0.09).iloc[0]
    assert t["se"] == pytest.approx(2.42 / (2 * 1.959963984540054), rel=1e-9)
    assert t["z"] == pytest.approx(-1.8142, abs=1e-4)
    assert t["p"] == pytest.approx(0.0696, abs=1e-4)
    with pytest.raises(ValueError, match="ci_high: row 0 is below ci_low"):
        michelet2018.implied_test(0, 1, -1)


def test_time_course_lines_up_both_reviews():
    from kmeta.reviews import michelet2018
    tc = michelet2018.time_course()
    assert tc.groupby("review").size().to_dict() == {"Michelet 2018": 5, "Orhurhu 2019": 5}
    o = tc[tc.review == "Orhurhu 2019"].set_index("week")
    assert o.loc[4.0, ["estimate", "ci_low", "ci_high"]].tolist() == [-0.74, -1.88, 0.41]
    # Orhurhu 4 weeks: SE = 2.29 / 3.919928 = 0.5842, p = 0.205 (printed .208)
    assert o.loc[4.0, "p"] == pytest.approx(0.205, abs=1e-3)
    # the 8-week interval as printed is off-centre by 0.79 points
    assert o.loc[8.0, "asymmetry"] == pytest.approx(-0.79, abs=1e-9)
    # every other interval is symmetric to rounding
    assert (tc.drop(index=o.index.get_loc(8.0))["asymmetry"].abs() <= 0.011).all()


# ----------------------------------------------------------------------------- the two summaries

def test_clinsummary_claims_sources_and_verdicts():
    from kmeta.reviews import clinsummary
    c = clinsummary.claims()
    refs = clinsummary.cited_sources()
    assert refs.index.tolist() == ["1", "2", "3", "4", "5", "6"]
    assert refs.loc["1", "identified_as"] == "orhurhu2019" and refs.loc["4", "identified_as"] == "zhao2018"
    # every number the claims cite is in the page's numbering
    cited = {x.strip() for v in c["cites"] for x in v.split(",")}
    assert cited <= set(refs.index)
    # the claims quoting Orhurhu's abstract carry its numbers exactly
    from kmeta.reviews import orhurhu2019
    pub = orhurhu2019.published().set_index("claim_id")
    assert "-1.83" in c.loc["two_weeks", "printed"] and pub.loc["abstract.primary.md", "estimate"] == -1.83
    assert "2.43" in c.loc["responders", "printed"] and pub.loc["abstract.responders.rr", "estimate"] == 2.43
    ev = clinsummary.evidence()
    # the reconstructed inputs re-pool to the printed primary result (two decimals)
    assert (round(ev["primary_est"], 2), round(ev["primary_lo"], 2), round(ev["primary_hi"], 2)) == (-1.83, -2.35, -1.31)
    assert ev["zhao_matches"] is True
    assert ev["resp_crude_rr"] == pytest.approx((17 / 33) / (6 / 31))
    v = clinsummary.verdicts(ev)
    assert v.index.tolist() == c.index.tolist()
    assert set(v["verdict"]) <= set(clinsummary.VERDICTS)
    assert v.loc["dose_max_total", "verdict"] == "unsupported" and "32 times" in v.loc["dose_max_total", "reason"]
    assert v.loc["dose_response", "verdict"] == "overstated"
    # claims citing an unidentified source are never 'supported' on that source's authority,
    # except the unit conversion, which is arithmetic
    unident = v[v["cited_source"] == "unidentified"]
    assert set(unident.loc[unident["verdict"] == "supported"].index) == {"dose_postsurgical"}


def test_orhurhu2019summary_fidelity():
    from kmeta.reviews import orhurhu2019summary as s
    st = s.statements()
    f = s.fidelity()
    assert f.index.tolist() == st.index.tolist()
    assert set(f["verdict"]) <= set(s.FIDELITY)
    assert f.loc["what_dose_response", "verdict"] == "faithful to the conclusion, not the results"
    assert "0.213" in f.loc["what_dose_response", "reason"]
    assert (f.loc[["abstract_classes", "abstract_i2"], "verdict"] == "altered").all()
