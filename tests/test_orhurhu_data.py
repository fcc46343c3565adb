"""Schema, provenance and arithmetic checks of the Orhurhu 2019 data (kmeta.reviews.orhurhu2019).

Where the review's printed numbers do not add up, the test asserts the documented
discrepancy (the printed value and the value the data imply), so a silent edit to either
side fails here.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from kmeta.reviews import orhurhu2019 as oh

REVIEW_SOURCES = {"orhurhu2019", "orhurhu2019summary"}
ALL_SOURCES = REVIEW_SOURCES | set(oh.STUDIES)


def ids(*refs):
    """Study ids of the review's reference numbers, as printed (23–29)."""
    return {oh.study_of_ref(r) for r in refs}


@pytest.fixture(scope="module")
def T():
    return oh.trials()


@pytest.fixture(scope="module")
def P():
    return oh.published().set_index("claim_id", drop=False)


def claim(P, cid):
    return P.loc[cid]


def studies(P, cid):
    return set(oh.studies_of(P.loc[cid, "studies"]))


# ------------------------------------------------------------------ helpers


def test_reference_mapping_and_errors():
    assert oh.STUDIES == ("sigtermans2009", "schwartzman2009", "salas2012", "eichenberger2008",
                          "amr2010", "noppers2011", "mitchell2002")
    assert oh.study_of_ref(27) == "amr2010"
    with pytest.raises(ValueError, match="ref"):
        oh.study_of_ref(30)
    assert oh.studies_of("amr2010;noppers2011") == ["amr2010", "noppers2011"]
    assert oh.studies_of(float("nan")) == []


def test_loaders_return_fresh_copies():
    a = oh.published()
    a.loc[0, "estimate"] = 999.0
    assert oh.published().loc[0, "estimate"] != 999.0


# ------------------------------------------------------------------ trials


def test_trials_schema(T):
    assert list(T.index) == list(oh.STUDIES)
    assert T.index.is_unique
    assert list(T.columns) == list(oh.TRIAL_FIELDS)
    for col, dtype in oh.TRIAL_FIELDS.items():
        s = T[col]
        if dtype == "Int64":
            assert pd.api.types.is_integer_dtype(s), col
        elif dtype == "float64":
            assert pd.api.types.is_float_dtype(s), col
        elif dtype == "boolean":
            assert pd.api.types.is_bool_dtype(s), col
        else:
            assert pd.api.types.is_string_dtype(s), col
    assert T["ref"].tolist() == list(range(23, 30))
    assert T.loc["sigtermans2009", "label"] == "Sigtermans 2009"
    assert set(T["design"]) == {"parallel", "crossover"}
    assert T.index[T["design"] == "crossover"].tolist() == ["eichenberger2008"]
    assert set(T["setting"]) == {"inpatient", "outpatient"}
    assert set(T["drug"]) == {"racemic", "S(+)-ketamine"}
    assert set(T["pain_class"]) == {"neuropathic", "mixed", "nociplastic", "nociceptive"}
    assert set(T["dose_group"].dropna()) == {"high", "low"}
    assert sorted(T["table1_row"]) == list(range(1, 8))


def test_trial_values_provenance_complete():
    tv = oh.trial_values()
    assert list(tv.columns) == ["study", "field", "value", "source", "location", "kind", "note"]
    assert not tv.duplicated(["study", "field"]).any()
    assert set(tv["study"]) == set(oh.STUDIES)
    assert set(tv["field"]) <= set(oh.TRIAL_FIELDS)
    present = tv["value"].notna()
    assert present.sum() > 200
    for col in ("source", "location", "kind"):
        assert tv.loc[present, col].notna().all(), col
        assert (tv.loc[present, col].str.strip() != "").all(), col
        # no provenance on a value that is not there
        assert tv.loc[~present, col].isna().all(), col
    assert set(tv.loc[present, "kind"]) <= oh.KINDS
    assert set(tv.loc[present, "source"]) <= ALL_SOURCES
    # every missing value says why
    assert tv.loc[~present, "note"].notna().all()
    # every derived or converted value explains itself
    dc = present & tv["kind"].isin(["derived", "converted"])
    assert tv.loc[dc, "note"].notna().all()


def test_every_non_missing_trial_value_is_in_the_long_file(T):
    tv = oh.trial_values().dropna(subset=["value"])
    have = set(zip(tv["study"], tv["field"]))
    for study, row in T.iterrows():
        for field, val in row.items():
            if not pd.isna(val):
                assert (study, field) in have, (study, field)


def test_table1_population_column_sums_to_218_not_the_printed_211(T, P):
    assert claim(P, "results.patients.total")["count"] == 211
    assert int(T["n_total"].sum()) == 218  # documented discrepancy
    # the printed split is at least internally consistent
    assert claim(P, "results.patients.ketamine")["count"] + claim(P, "results.patients.control")["count"] == 211
    # Table 1 arm sizes: ketamine-alone arms 110, control arms 118 (printed 108 / 103)
    assert int(T["n_ketamine"].sum()) == 110
    assert int(T["n_control"].sum()) == 118


def test_arm_sizes_match_table1_claims(T, P):
    short = {"amr2010": "amr", "eichenberger2008": "eichenberger", "salas2012": "salas",
             "schwartzman2009": "schwartzman", "sigtermans2009": "sigtermans", "noppers2011": "noppers",
             "mitchell2002": "mitchell"}
    for sid, s in short.items():
        for f in ("n_total", "n_ketamine", "n_control"):
            assert T.loc[sid, f] == claim(P, f"table1.{s}.{f}")["count"], (sid, f)
    # parallel trials: arms add up to the population
    par = T[T["design"] == "parallel"]
    assert (par["n_ketamine"] + par["n_control"] == par["n_total"]).all()


def test_grade_patient_totals_against_table1(T, P):
    # 2-week row (refs 23, 24, 27): 59 / 60 = Table 1 arms exactly
    wk2 = list(ids(23, 24, 27))
    assert int(T.loc[wk2, "n_ketamine"].sum()) == claim(P, "table2.wk2.n_ketamine")["count"] == 59
    assert int(T.loc[wk2, "n_control"].sum()) == claim(P, "table2.wk2.n_placebo")["count"] == 60
    # primary row: printed 97 / 94, Table 1 arms of the six trials give 99 / 109
    prim = T.index[T["in_primary"].astype(bool)]
    assert claim(P, "table2.primary.n_ketamine")["count"] == 97
    assert claim(P, "table2.primary.n_placebo")["count"] == 94
    assert int(T.loc[prim, "n_ketamine"].sum()) == 99
    assert int(T.loc[prim, "n_control"].sum()) == 109


def test_responder_counts_and_percentages(T, P):
    k = claim(P, "table2.responders.ketamine")
    c = claim(P, "table2.responders.placebo")
    assert (k["count"], k["denominator"], k["value"]) == (17, 33, 51.3)
    assert (c["count"], c["denominator"], c["value"]) == (6, 31, 19.4)
    # computed from the counts: 51.5% (printed 51.3%) and 19.4% (as printed)
    assert round(100 * 17 / 33, 1) == 51.5
    assert round(100 * 6 / 31, 1) == 19.4
    assert claim(P, "abstract.responders.pct_ketamine")["value"] == 51.3
    # footnote e: 64 patients, 23 events
    assert claim(P, "table2.fn_e.patients")["count"] == k["denominator"] + c["denominator"] == 64
    assert claim(P, "table2.fn_e.events")["count"] == k["count"] + c["count"] == 23
    # the denominators fit Table 1 only with Eichenberger's control arm counted as 10, not 20
    resp = list(ids(25, 26, 28))
    assert set(resp) == set(T.index[T["in_responder_analysis"].astype(bool)])
    assert int(T.loc[resp, "n_ketamine"].sum()) == 33
    assert int(T.loc[resp, "n_control"].sum()) == 41
    assert 31 - T.loc["salas2012", "n_control"] - T.loc["noppers2011", "n_control"] == 10
    # the Results print the two percentages in the other order
    assert claim(P, "results.responders.pct_first")["value"] == 19.4
    assert claim(P, "results.responders.pct_second")["value"] == 51.3


def test_dose_groups_follow_the_400_mg_rule(T, P):
    assert claim(P, "methods.dose.threshold")["value"] == 400
    assert claim(P, "methods.dose.weight")["value"] == 70
    assigned = T.dropna(subset=["dose_group"])
    assert set(assigned.index) == set(T.index[T["in_primary"].astype(bool)])
    rule = assigned["cum_dose_mg_70kg"].ge(400).map({True: "high", False: "low"})
    assert (rule == assigned["dose_group"]).all()
    assert set(T.index[T["dose_group"] == "high"]) == ids(23, 24, 27)
    # the derived cumulative doses follow their formulas
    per_h = T["dose_basis"].eq("rate") & T["rate_unit"].eq("mg/kg/h")
    for sid in T.index[per_h]:
        rate = T.loc[sid, "mean_rate"] if not pd.isna(T.loc[sid, "mean_rate"]) else T.loc[sid, "rate"]
        assert T.loc[sid, "cum_dose_mg_70kg"] == pytest.approx(rate * 70 * T.loc[sid, "infusion_hours_total"])
    for sid in T.index[T["dose_basis"].eq("total")]:
        assert T.loc[sid, "cum_dose_mg_70kg"] == pytest.approx(T.loc[sid, "rate"] * 70)


def test_regimen_summaries_against_table1(T, P):
    n = T["n_total"].astype(float)
    med = claim(P, "results.sample_size.median")
    assert (n.median(), n.min(), n.max()) == (med["value"], med["value_low"], med["value_high"]) == (24, 19, 60)
    days = claim(P, "results.days.median")
    assert (T["days"].median(), T["days"].min(), T["days"].max()) == (1, 1, 10) == (
        days["value"], days["value_low"], days["value_high"])
    dur = claim(P, "results.duration.median")
    assert (T["infusion_hours_total"].min(), T["infusion_hours_total"].max()) == (dur["value_low"], dur["value_high"])
    # documented discrepancy: printed median 5 h, Table 1 gives 24 h (totals) or 4 h (per day)
    assert dur["value"] == 5
    assert T["infusion_hours_total"].median() == 24
    assert T["hours_per_day"].median() == 4
    # Amr's rate is printed 0.22 in Table 1 but the text's dose range starts at 0.23
    assert T.loc["amr2010", "rate"] == 0.22
    assert claim(P, "results.dose.median")["value_low"] == 0.23


def test_settings_and_the_outpatient_reference_list(T, P):
    inpatient = set(T.index[T["setting"] == "inpatient"])
    outpatient = set(T.index[T["setting"] == "outpatient"])
    assert studies(P, "heterogeneity.inpatient.k") == inpatient == ids(23, 25, 26, 27, 29)
    # printed outpatient list is (23, 24); Table 1 says 24 and 28
    assert studies(P, "heterogeneity.outpatient.k") == ids(23, 24)
    assert outpatient == ids(24, 28)
    assert claim(P, "heterogeneity.outpatient.k")["count"] == len(outpatient) == 2


def test_classifications_match_the_cited_reference_lists(T, P):
    by = lambda col, val: set(T.index[T[col] == val])  # noqa: E731
    assert by("pain_class", "neuropathic") == studies(P, "results.class.neuropathic") == ids(26, 27)
    assert by("pain_class", "mixed") == studies(P, "results.class.mixed") == ids(24, 25)
    assert by("pain_class", "nociplastic") == studies(P, "results.class.nociplastic") == ids(23, 28)
    assert by("pain_class", "nociceptive") == studies(P, "results.class.nociceptive") == ids(29)
    # abstract counts 2 / 2 / 3
    assert T["pain_class"].value_counts()[["neuropathic", "mixed"]].tolist() == [2, 2]
    nonneuro = by("pain_subgroup", "nonneuropathic")
    assert nonneuro == studies(P, "sub.nonneuro.md") == ids(23, 28, 29)
    assert claim(P, "abstract.class.nonneuropathic")["count"] == len(nonneuro) == 3
    assert set(T.index[T["crps"].astype(bool)]) == ids(23, 24)
    adj = set(T.index[T["adjunct_analgesic"].astype(bool) & T["in_primary"].astype(bool)])
    assert adj == studies(P, "sub.adjunct.k") == ids(26, 27, 29)
    assert set(T.index[T["in_primary"].astype(bool)]) == studies(P, "results.primary.k") == ids(23, 24, 26, 27, 28, 29)
    assert set(T.index[T["review_reports_benefit"].astype(bool)]) == studies(P, "abstract.benefit_count")
    assert claim(P, "abstract.benefit_count")["count"] == 3
    assert set(T.index[T["drug"] == "S(+)-ketamine"]) == ids(23, 28)  # the text says one study
    assert claim(P, "results.sketamine.k")["count"] == 1


def test_salas_time_point_falls_short_of_the_48_hour_rule(T, P):
    # last assessment 48 h after the start of a 24-h infusion: 24 h after it ended
    after_end = P.loc["table1.salas.last_timepoint", "value"] - T.loc["salas2012", "infusion_hours_total"]
    assert after_end == 24 < P.loc["methods.followup_min", "value"] == 48
    assert not T.loc["salas2012", "in_primary"] and T.loc["salas2012", "in_responder_analysis"]


def test_sigtermans_moderator_from_its_abstract(T):
    assert T.loc["sigtermans2009", "n_female"] == 48
    assert T.loc["sigtermans2009", "pct_female"] == pytest.approx(100 * 48 / 60)
    assert T["age_mean"].isna().all()


# ------------------------------------------------------------------ published claims

SECTIONS = {"abstract", "abstract (summary page)", "key points", "introduction", "methods", "results",
            "discussion", "table1", "table2"}
MEASURES = {"MD", "RR", "P", "I2", "percent", "count", "median", "threshold", "dose", "duration", "date",
            "year", "other"}


def test_published_schema(P):
    p = oh.published()
    assert len(p) >= 60
    assert p["claim_id"].is_unique
    for col in ("estimate", "ci_low", "ci_high", "p_value", "i2", "value", "value_low", "value_high"):
        assert pd.api.types.is_float_dtype(p[col]), col
    for col in ("count", "denominator", "decimals"):
        assert pd.api.types.is_integer_dtype(p[col]), col
    for col in ("claim_id", "section", "location", "quantity", "measure", "printed", "p_text", "note"):
        assert pd.api.types.is_string_dtype(p[col]), col
    assert set(p["section"]) <= SECTIONS
    assert set(p["measure"]) <= MEASURES
    assert p["location"].notna().all() and (p["location"].str.len() > 3).all()
    assert p["quantity"].notna().all()
    assert set(p["source"]) <= REVIEW_SOURCES
    assert set(p["kind"]) == {"reported"}
    assert set(p["studies_basis"].dropna()) <= {"cited", "derived", "not cited"}
    # a printed fragment wherever a number was parsed; the one empty cell is documented
    numeric = p[["estimate", "p_value", "i2", "value", "value_low", "count"]].notna().any(axis=1)
    assert p.loc[numeric, "printed"].notna().all()
    empty = p.loc[p["printed"].isna(), "claim_id"].tolist()
    assert empty == ["table2.primary.k"]
    assert "missing" in P.loc["table2.primary.k", "note"]
    # claims cover every section of the paper
    counts = p["section"].value_counts()
    for s in ("abstract", "methods", "results", "discussion", "table1", "table2"):
        assert counts.get(s, 0) >= 5, s


def test_published_studies_are_known_and_pools_list_them(P):
    for cid, row in P.iterrows():
        ss = oh.studies_of(row["studies"])
        assert set(ss) <= set(oh.STUDIES), cid
        assert len(ss) == len(set(ss)), cid
        if ss:
            assert row["studies_basis"] in ("cited", "derived"), cid
    pools = P[P["measure"].isin(["MD", "RR"])]
    unlisted = pools[pools["studies"].isna()]
    # only the adverse-effect pools have no cited trials, and they say so
    assert set(unlisted.index) == {"ae.nausea.rr", "ae.psychotomimetic.rr", "ae.headache.rr", "ae.tiredness.rr"}
    assert (unlisted["studies_basis"] == "not cited").all()
    assert pools["estimate"].notna().all() and pools["ci_low"].notna().all() and pools["ci_high"].notna().all()
    # counts of studies agree with the listed studies where both are given
    for cid, row in P.iterrows():
        if cid.endswith(".k") and not pd.isna(row["count"]) and row["studies_basis"] == "cited":
            assert len(oh.studies_of(row["studies"])) == row["count"], cid


def test_subgroup_study_sets_are_the_cited_references(P):
    expected = {
        "primary.md": ids(23, 24, 26, 27, 28, 29),
        "sub.highdose.md": ids(23, 24, 27),
        "sub.lowdose.md": ids(26, 28, 29),
        "sub.neuromixed.md": ids(24, 26, 27),
        "sub.nonneuro.md": ids(23, 28, 29),
        "sub.crps.md": ids(23, 24),
        "sub.noncrps.md": ids(26, 27, 28, 29),
        "sub.standalone.k": ids(23, 24, 28),
        "sub.adjunct.k": ids(26, 27, 29),
        "time.wk2.md": ids(23, 24, 27),
        "time.wk4.md": ids(23, 24, 27),
        "time.wk8.md": ids(23, 24, 28),
        "time.wk12.md": ids(23, 24),
        "responders.rr": ids(25, 26, 28),
    }
    for cid, want in expected.items():
        assert studies(P, cid) == want, cid
        assert P.loc[cid, "studies_basis"] == "cited", cid
    # each split partitions the primary-analysis trials
    prim = expected["primary.md"]
    for a, b in [("sub.highdose.md", "sub.lowdose.md"), ("sub.neuromixed.md", "sub.nonneuro.md"),
                 ("sub.crps.md", "sub.noncrps.md"), ("sub.standalone.k", "sub.adjunct.k")]:
        assert expected[a] | expected[b] == prim and not expected[a] & expected[b], (a, b)


def test_pooled_numbers_as_printed(P):
    want = {  # claim: (estimate, ci_low, ci_high, p_text, i2)
        "primary.md": (-1.83, -2.35, -1.31, "< .0001", 48.5),
        "sub.highdose.md": (-2.11, -2.87, -1.35, "< .0001", 69.2),
        "sub.lowdose.md": (-1.30, -2.01, -0.59, ".0001", 0.0),
        "sub.neuromixed.md": (-1.75, -2.08, -1.43, "< .00001", 0.0),
        "sub.nonneuro.md": (-1.97, -3.04, -0.90, "< .00001", 69.5),
        "sub.crps.md": (-2.38, -3.53, -1.23, "< .0001", 34.9),
        "sub.noncrps.md": (-1.71, -2.01, -1.41, ".001", 0.0),
        "time.wk2.md": (-2.23, -2.59, -1.87, "< .001", 0.0),
        "time.wk4.md": (-0.74, -1.88, 0.41, ".208", 58.6),
        "time.wk8.md": (-0.68, -1.75, -0.40, ".174", 48.2),
        "time.wk12.md": (-0.55, -1.50, 0.39, ".251", 0.0),
        "responders.rr": (2.43, 1.10, 5.40, ".029", 0.0),
        "ae.nausea.rr": (3.52, 1.74, 7.14, "< .00001", None),
        "ae.psychotomimetic.rr": (5.92, 2.95, 11.89, "< .00001", None),
        "ae.headache.rr": (1.26, 0.67, 2.34, ".475", None),
        "ae.tiredness.rr": (2.16, 0.64, 7.33, ".218", None),
    }
    for cid, (e, lo, hi, p, i2) in want.items():
        r = P.loc[cid]
        assert (r["estimate"], r["ci_low"], r["ci_high"], r["p_text"]) == (e, lo, hi, p), cid
        assert r["decimals"] == 2, cid
        assert (pd.isna(r["i2"]) if i2 is None else r["i2"] == i2), cid
        assert r["ci_low"] <= r["estimate"] <= r["ci_high"], cid
        assert r["p_value"] == float(p.lstrip("< ")), cid
        assert r["p_op"] == ("<" if p.startswith("<") else "="), cid
    for cid, p in [("metareg.dose.p", ".213"), ("metareg.paintype.p", ".720"), ("metareg.crps.p", ".079"),
                   ("metareg.adjunct.p", ".127"), ("pubbias.begg.p", ".380"), ("pubbias.egger.p", ".423"),
                   ("table2.fn_g.p", ".02")]:
        assert P.loc[cid, "p_text"] == p, cid


def test_documented_internal_inconsistencies(P):
    # I² of the primary pool printed twice
    assert P.loc["primary.md", "i2"] == 48.5
    assert P.loc["heterogeneity.i2", "i2"] == P.loc["table2.fn_b.i2", "i2"] == 45.9
    assert "heterogeneity.i2" in P.loc["primary.md", "conflicts_with"]
    # 8-week CI excludes 0 while P = .174 and the text calls it nonsignificant
    wk8 = P.loc["time.wk8.md"]
    assert wk8["ci_high"] < 0 and wk8["p_value"] > 0.05
    # 2-week pool: I² = 0 but footnote g gives heterogeneity P = .02
    assert P.loc["time.wk2.md", "i2"] == 0.0 and P.loc["table2.fn_g.p", "p_value"] == 0.02
    # high risk of bias: abstract 6 of 7, Results 4
    assert P.loc["abstract.rob_high", "count"] == 6 and P.loc["results.rob.high", "count"] == 4
    # blinding assessed in refs 23, 28 (Results) vs 24, 26 (Discussion)
    assert studies(P, "results.blinding_assessed") == ids(23, 28)
    assert studies(P, "discussion.blinding.k") == ids(24, 26)
    # screeners: three (abstract) vs two (Methods)
    assert (P.loc["abstract.screeners", "count"], P.loc["methods.screeners", "count"]) == (3, 2)
    # sample size: 'respectively' pairs 40 with 1 point and 86 with 1.5 points
    assert (P.loc["methods.samplesize.diff1", "value"], P.loc["methods.samplesize.n1", "count"]) == (1, 40)
    assert (P.loc["methods.samplesize.diff2", "value"], P.loc["methods.samplesize.n2", "count"]) == (1.5, 86)
    # 'all 7 subjected to meta-analysis' vs 6 in the primary pool
    assert P.loc["results.all_meta_analysed", "count"] == 7 and P.loc["results.primary.k", "count"] == 6
    # nausea row of Table 2: 3 studies, footnote h says 'both trials'
    assert P.loc["table2.nausea.k", "count"] == 3 and P.loc["table2.fn_h.k", "count"] == 2
    # every conflict link points at an existing claim and is noted on at least one side
    for cid, row in P.iterrows():
        for other in oh.studies_of(row["conflicts_with"]):
            assert other in P.index, (cid, other)


def test_prisma_arithmetic(P):
    f = oh.prisma().set_index("step")
    assert pd.api.types.is_integer_dtype(f["count"])
    c = f["count"]
    assert c["identified"] - c["screened"] == c["duplicates_removed"] == 229
    assert c["screened"] - c["excluded_at_screening"] == c["full_text_assessed"] == 30
    assert c["full_text_assessed"] - c["full_text_excluded"] == c["included_systematic_review"] == 7
    assert c["included_meta_analysis_as_stated"] == 7 and c["included_primary_meta_analysis"] == 6
    assert f.loc["duplicates_removed", "kind"] == "derived"
    assert (f.drop(index="duplicates_removed")["kind"] == "reported").all()
    for step, cid in [("identified", "results.prisma.identified"), ("screened", "results.prisma.screened"),
                      ("excluded_at_screening", "results.prisma.excluded"),
                      ("full_text_assessed", "results.prisma.fulltext"),
                      ("full_text_excluded", "results.prisma.fulltext_excluded")]:
        assert c[step] == P.loc[cid, "count"], step
    assert f["source"].eq("orhurhu2019").all() and f["location"].notna().all()


# ------------------------------------------------------------------ risk of bias


def test_risk_of_bias_schema_and_provenance():
    rb = oh.risk_of_bias()
    assert len(rb) == 7 * 8
    assert not rb.duplicated(["study", "domain"]).any()
    assert set(rb["study"]) == set(oh.STUDIES)
    assert set(rb["domain"]) == set(oh.ROB_DOMAINS)
    assert set(rb["judgement"]) == {"low", "unclear", "high"}
    sym = rb["symbol"].fillna("")
    assert (rb["judgement"] == sym.map({"+": "low", "-": "high", "": "unclear"})).all()
    assert rb["source"].eq("orhurhu2019").all() and rb["kind"].eq("reported").all()
    assert rb["location"].str.startswith("Figure 2").all()
    alloc = rb[rb["domain"] == "allocation_concealment"]
    assert alloc["domain_printed"].str.startswith("Allocation sequence generation").all()


def test_risk_of_bias_agrees_with_the_results_text(P):
    w = oh.risk_of_bias(wide=True)
    assert list(w.index) == list(oh.STUDIES) and list(w.columns) == list(oh.ROB_DOMAINS)
    assert set(w.index[w["overall"] == "high"]) == studies(P, "results.rob.high") == ids(23, 27, 28, 29)
    assert set(w.index[w["blinding_outcome_assessment"] == "high"]) == studies(P, "results.rob.detection_high")
    assert set(w.index[w["blinding_participants_personnel"] == "high"]) == ids(23, 27, 28, 29)
    # the abstract's 'all except one' (6 high) does not match the figure's 4
    assert (w["overall"] == "high").sum() == 4 != P.loc["abstract.rob_high", "count"]
    # the overall column follows the Methods' rule over the other domains
    doms = [d for d in oh.ROB_DOMAINS if d != "overall"]
    for sid, row in w.iterrows():
        worst = "high" if (row[doms] == "high").any() else ("unclear" if (row[doms] == "unclear").any() else "low")
        assert row["overall"] == worst, sid
    # Table 2 footnote a says the four high-risk trials lacked adequate randomisation,
    # yet Figure 2 rates three of them low for it
    high = w[w["overall"] == "high"]
    assert (high["random_sequence"] == "low").sum() == 3


# ------------------------------------------------------------------ GRADE


def test_grade_schema_and_values(P):
    g = oh.grade().set_index("outcome_id")
    assert list(g.index) == ["primary", "responders", "wk2", "nausea"]
    for col in ("n_studies", "n_studies_implied", "ketamine_n", "placebo_n", "ketamine_events", "placebo_events"):
        assert pd.api.types.is_integer_dtype(g[col]), col
    assert pd.isna(g.loc["primary", "n_studies"]) and g.loc["primary", "n_studies_implied"] == 6
    assert g["certainty"].eq("low").all() and g["importance"].eq("important").all()
    assert g["source"].eq("orhurhu2019").all() and g["kind"].eq("reported").all() and g["location"].notna().all()
    for dom in ("risk_of_bias", "inconsistency", "indirectness", "imprecision"):
        assert set(g[dom]) <= {"not serious", "serious", "very serious"}, dom
    for oid, kn, pn in [("primary", 97, 94), ("responders", 33, 31), ("wk2", 59, 60), ("nausea", 49, 50)]:
        assert (g.loc[oid, "ketamine_n"], g.loc[oid, "placebo_n"]) == (kn, pn), oid
    assert (g.loc["responders", "ketamine_events"], g.loc["responders", "placebo_events"]) == (17, 6)
    # footnote letters used in the table all exist
    fn = oh.grade_footnotes()
    assert list(fn["footnote"]) == list("abcdefgh")
    used = set(g[["risk_of_bias_fn", "inconsistency_fn", "indirectness_fn", "imprecision_fn"]].stack().dropna())
    assert used == set("abcdefgh")
    # usual GRADE arithmetic: start at 4, -1 serious, -2 very serious; the primary row prints LOW
    step = {"not serious": 0, "serious": 1, "very serious": 2}
    level = {
        oid: 4 - sum(step[g.loc[oid, d]] for d in ("risk_of_bias", "inconsistency", "indirectness", "imprecision"))
        for oid in g.index
    }
    assert level == {"primary": 1, "responders": 2, "wk2": 2, "nausea": 2}  # 1 = very low, 2 = low


# ------------------------------------------------------------------ trial abstracts


def test_abstract_facts_schema_and_provenance():
    a = oh.abstract_facts()
    assert a["fact_id"].is_unique
    assert set(a["study"]) == set(oh.STUDIES)
    assert (a["source"] == a["study"]).all()
    assert set(a["kind"]) <= oh.ABSTRACT_KINDS
    assert a["location"].notna().all() and a["printed"].notna().all() and a["quantity"].notna().all()
    # every row carries a number or a P value, except the one that records the setting
    has_number = a[["value", "value_low", "count", "p_text"]].notna().any(axis=1)
    assert a.loc[~has_number, "fact_id"].tolist() == ["amr2010.setting"]
    # every first-hand fact names where we read it; second-hand ones say so in location
    first_hand = a["kind"].isin(["abstract", "registry"])
    assert a.loc[first_hand, "url"].notna().all()
    assert a.loc[~first_hand, "location"].str.contains("secondary").all()
    assert (~first_hand).sum() == 4
    for col in ("value", "value_low", "value_high", "plus_minus"):
        assert pd.api.types.is_float_dtype(a[col]), col
    for col in ("count", "denominator"):
        assert pd.api.types.is_integer_dtype(a[col]), col


def test_abstract_facts_key_values(T):
    a = oh.abstract_facts().set_index("fact_id")
    k, p = a.loc["sigtermans2009.pain_wk1.ketamine"], a.loc["sigtermans2009.pain_wk1.placebo"]
    assert (k["value"], k["plus_minus"], p["value"], p["plus_minus"]) == (2.68, 0.51, 5.45, 0.48)
    assert "SEM" in k["note"]
    assert a.loc["sigtermans2009.n_female", "count"] == T.loc["sigtermans2009", "n_female"] == 48
    # Noppers: >50% responders per time point, out of 12 per arm
    nop = a[a.index.str.startswith("noppers2011.responders.")]
    assert len(nop) == 8 and nop["denominator"].eq(12).all()
    assert (a.loc["noppers2011.responders.wk1.ketamine", "count"], a.loc["noppers2011.responders.wk1.midazolam", "count"]) == (2, 0)
    # Schwartzman composite adverse events are secondary, and add up to Table 1's n = 6
    comp = a.loc["schwartzman2009.composite_ae"]
    assert comp["kind"] == "secondary" and (comp["count"], comp["denominator"]) == (4, 9)
    # Amr 80 mg over 5 h for 70 kg vs Table 1's 0.22 mg/kg/h
    assert a.loc["amr2010.daily_dose", "value"] / a.loc["amr2010.hours_per_day", "value"] / 70 == pytest.approx(0.2286, abs=1e-4)
    # Sigtermans end-of-infusion dose per kg vs Table 1's mean rate 0.32
    assert round(a.loc["sigtermans2009.dose_end", "value"] / 70, 2) == T.loc["sigtermans2009", "mean_rate"]
    # arm sizes in the abstracts agree with Table 1 where both give them
    for fid, sid, col in [("sigtermans2009.n_ketamine", "sigtermans2009", "n_ketamine"),
                          ("salas2012.n_ketamine", "salas2012", "n_ketamine"),
                          ("salas2012.n_placebo", "salas2012", "n_control"),
                          ("mitchell2002.n_ketamine", "mitchell2002", "n_ketamine"),
                          ("mitchell2002.n_placebo", "mitchell2002", "n_control"),
                          ("eichenberger2008.n_ketamine_alone", "eichenberger2008", "n_ketamine")]:
        assert a.loc[fid, "count"] == T.loc[sid, col], fid
    assert math.isclose(a.loc["noppers2011.dose", "value"], T.loc["noppers2011", "rate"])
