"""Tests of the claim-by-claim checks of Orhurhu et al. 2019 (design, secondary, certainty).

Each checks module must return the scorecard schema; together they cover every claim
outside the primary-outcome share exactly once. The key re-derivations are asserted as
properties computed again here from the data (not typed-in results).
"""
from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kmeta import effect_sizes, meta, mh
from kmeta.reviews import orhurhu2019 as oh
from kmeta.reviews.orhurhu2019 import (
    certainty,
    checks_certainty,
    checks_design,
    checks_secondary,
    dose,
    secondary,
    timecourse,
)
from kmeta.reviews.orhurhu2019 import _checkrows as cr

MODULES = (checks_design, checks_secondary, checks_certainty)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def frames():
    return {m.__name__.rsplit(".", 1)[1]: m.checks() for m in MODULES}


@pytest.fixture(scope="module")
def allrows(frames):
    return pd.concat(frames.values(), ignore_index=True).set_index("claim_id", drop=False)


@pytest.fixture(scope="module")
def P():
    return oh.published().set_index("claim_id", drop=False)


@pytest.fixture(scope="module")
def T():
    return oh.trials()


# ------------------------------------------------------------------ schema


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_schema(module, P):
    df = module.checks()
    assert tuple(df.columns) == cr.COLUMNS
    assert len(df) > 0
    assert set(df["status"]) <= set(cr.STATUSES)
    assert df["claim_id"].isin(P.index).all()
    assert not df["claim_id"].duplicated().any()
    assert df["rederived_value"].dtype == np.float64
    for c in ("claim_id", "rederived", "status", "reason", "check"):
        assert df[c].map(lambda v: isinstance(v, str)).all(), c
    assert (df["reason"].str.len() >= 20).all()
    assert df["check"].str.startswith("kmeta.reviews.orhurhu2019.").all()
    # a rederived number is given as text exactly when there is something to show
    has_value = df["rederived_value"].notna()
    assert (df.loc[has_value, "rederived"] != "").all()
    assert module.claim_ids() == list(df["claim_id"])


def test_statuses_are_the_scorecards_four():
    assert cr.STATUSES == (
        "reproduced",
        "reproduced under a stated assumption",
        "not reproducible: inputs not published",
        "inconsistent within the paper",
    )


def test_share_covered_exactly_once(frames, P):
    ids = [c for df in frames.values() for c in df["claim_id"]]
    assert len(ids) == len(set(ids)), "a claim is covered by two modules"
    mine = set(ids)
    other = {c for c in P.index if cr.OTHER_SHARE.search(c)}
    assert mine.isdisjoint(other)
    assert mine | other == set(P.index)
    assert mine == set(cr.my_share())


def test_other_share_pattern_matches_the_brief(P):
    # spot checks of the split rule (brief): the primary share and ours
    theirs = ["primary.md", "sub.crps.md", "metareg.dose.p", "heterogeneity.i2", "pubbias.begg.p",
              "abstract.primary.md", "summary.metareg.crps.p", "results.primary.k", "discussion.primary.k",
              "abstract.benefit_count", "table2.fn_b.i2"]
    ours = ["abstract.responders.rr", "results.patients.total", "discussion.k", "table2.fn_g.p", "time.wk8.md",
            "methods.samplesize.n1", "table1.amr.rate"]
    for c in theirs:
        assert cr.OTHER_SHARE.search(c), c
    for c in ours:
        assert not cr.OTHER_SHARE.search(c), c


def test_validate_rejects_bad_frames(frames):
    df = frames["checks_design"].copy()
    cr.validate(df)
    bad = df.copy()
    bad.loc[0, "status"] = "reproducible"
    with pytest.raises(ValueError, match="status"):
        cr.validate(bad)
    with pytest.raises(ValueError, match="claim_id"):
        cr.validate(pd.concat([df, df.iloc[:1]]))
    with pytest.raises(ValueError, match="claim_id"):
        cr.row("no.such.claim", reason="a reason long enough to pass")
    with pytest.raises(ValueError, match="status"):
        cr.row("discussion.k", status="maybe", reason="a reason long enough to pass")


def test_every_inconsistent_row_names_what_it_conflicts_with(allrows):
    inc = allrows[allrows["status"] == cr.INCONSISTENT]
    assert len(inc) >= 20
    # an inconsistency reason is specific: it quotes a number
    assert inc["reason"].str.contains(r"\d").all()


# ------------------------------------------------------------------ formatting helpers


def test_formatting_helpers():
    assert cr.fmt(-0.675, 2, "\u2212") in ("\u22120.68", "\u22120.67")
    assert cr.fmt(-0.0001, 2) == "0.00"
    assert cr.fmt(float("nan"), 2) == ""
    assert cr.fmt_p(0.0289) == ".029"
    assert cr.fmt_p(3e-7, 5) == "< .00001"
    assert cr.p_decimals("< .00001") == 5 and cr.p_decimals(".029") == 3
    assert cr.q_pvalue(2.0, 2) == pytest.approx(math.exp(-1))
    assert cr.rounds_to(2.4319, 2.43, 2) and not cr.rounds_to(2.436, 2.43, 2)


# ------------------------------------------------------------------ design


def test_dose_rule_reproduces_the_review_groups(T):
    r = dose.regimens()
    assigned = T["dose_group"].notna()
    for col in ("dose_mean_rate", "dose_printed_rate"):
        groups = dose.dose_groups(r[col])
        assert (groups[assigned] == T.loc[assigned, "dose_group"]).all(), col
        assert (dose.dose_groups(r[col], strict=True)[assigned] == T.loc[assigned, "dose_group"]).all()
    # the review left Salas unassigned; by the rule it is low
    assert dose.dose_groups(r["dose_mean_rate"])["salas2012"] == "low"
    # the Methods' "mg/kg/min" does not reproduce the split
    per_min = dose.dose_groups(r["dose_per_min"])
    assert (per_min[assigned] != T.loc[assigned, "dose_group"]).any()
    # caps: Schwartzman's 0.35 mg/kg/h x 70 kg stays under 25 mg/h, Sigtermans' 0.43 is capped at 30
    assert r.loc["schwartzman2009", "mg_per_h"] < T.loc["schwartzman2009", "max_rate_mg_per_h"]
    assert r.loc["sigtermans2009", "dose_printed_rate"] == pytest.approx(
        T.loc["sigtermans2009", "max_rate_mg_per_h"] * T.loc["sigtermans2009", "infusion_hours_total"])
    # the data file's derived cumulative doses are the mean-rate reading
    assert np.allclose(r["dose_mean_rate"], T["cum_dose_mg_70kg"])


def test_cumulative_dose_units(T):
    row = T.loc["amr2010"]
    assert dose.cumulative_dose(row) == pytest.approx(row["rate"] * 70 * row["infusion_hours_total"])
    assert dose.cumulative_dose(T.loc["noppers2011"], weight=80) == pytest.approx(T.loc["noppers2011", "rate"] * 80)
    bad = row.copy()
    bad["rate_unit"] = "mg/h"
    with pytest.raises(ValueError, match="rate_unit"):
        dose.cumulative_dose(bad)


def test_sample_sizes_summed_against_211(allrows, T):
    # the population column equals the arms with the crossover's patients counted once
    n2 = T["n_control"].astype(int).copy()
    n2["eichenberger2008"] = T.loc["eichenberger2008", "n_ketamine"]
    assert int(T["n_total"].sum()) == int(T["n_ketamine"].sum() + n2.sum())
    assert int(T["n_total"].sum()) != 211
    assert 211 not in {int(T["n_total"].sum()), int(T["n_ketamine"].sum() + T["n_control"].sum())}
    assert allrows.loc["results.patients.total", "rederived_value"] == T["n_total"].sum()
    assert allrows.loc["results.patients.total", "status"] == cr.INCONSISTENT


def test_participant_medians(allrows, T, P):
    n = T["n_total"].astype(float)
    c = P.loc["results.sample_size.median"]
    assert (n.median(), n.min(), n.max()) == (c["value"], c["value_low"], c["value_high"])
    assert allrows.loc["results.sample_size.median", "status"] == cr.REPRODUCED
    d = T["days"].astype(float)
    assert d.median() == P.loc["results.days.median", "value"]
    # the printed median duration is not among the readings of Table 1
    dr = dose.duration_readings()
    assert not (dr["median"] == P.loc["results.duration.median", "value"]).any()
    assert allrows.loc["results.duration.median", "status"] == cr.INCONSISTENT


def test_dose_median_readings(P, allrows):
    mr = dose.median_readings()
    c = P.loc["results.dose.median"]
    hit = mr[(mr["median_2dp"] == c["value"]) & (mr["low_2dp"] == c["value_low"]) & (mr["high_1dp"] == c["value_high"])]
    assert len(hit) == 1
    # and it is a reading that mixes hourly rates with total doses
    h = hit.iloc[0]
    assert h["reading_noppers2011"].endswith("total") and h["reading_schwartzman2009"] == "0.35"
    assert allrows.loc["results.dose.median", "status"] == cr.ASSUMED


def test_prisma_rows_follow_the_flow(allrows):
    pr = oh.prisma().set_index("step")["count"]
    assert allrows.loc["results.prisma.fulltext", "rederived_value"] == pr["screened"] - pr["excluded_at_screening"]
    assert allrows.loc["results.prisma.fulltext_excluded", "rederived_value"] == pr["full_text_assessed"] - pr["included_systematic_review"]
    for cid in ("results.prisma.screened", "results.prisma.excluded", "results.prisma.fulltext",
                "results.prisma.fulltext_excluded", "results.included"):
        assert allrows.loc[cid, "status"] == cr.REPRODUCED
    assert allrows.loc["abstract.records", "status"] == cr.INCONSISTENT


def test_risk_of_bias_rule_and_counts(allrows):
    w = oh.risk_of_bias(wide=True)
    assert (checks_design.overall_rob_by_rule(w) == w["overall"]).all()
    n_high = int((w["overall"] == "high").sum())
    assert allrows.loc["results.rob.high", "rederived_value"] == n_high
    assert (allrows.loc["abstract.rob_high", "status"] == cr.INCONSISTENT) == (n_high != 6)
    # footnote c counts two high-risk responder trials; Figure 2 has
    T = oh.trials()
    resp = T.index[T["in_responder_analysis"].astype(bool)]
    assert allrows.loc["table2.fn_c.rob_high", "rederived_value"] == (w.loc[resp, "overall"] == "high").sum()


def test_blinding_pairs_arithmetic():
    bp = checks_design.blinding_pairs_83().set_index("studies")
    for key, r in bp.iterrows():
        n = r["n_ketamine"]
        counts = [int(c.split("/")[0]) for c in r["counts"].split(", ")] if r["counts"] else []
        assert counts == [x for x in range(n + 1) if abs(100 * x / n - 83) <= 0.5]
    assert bool(bp.loc["sigtermans2009;noppers2011", "possible"]) is True
    assert bool(bp.loc["schwartzman2009;eichenberger2008", "possible"]) is False


def test_external_facts_provenance():
    ef = oh.external_facts()
    assert len(ef) >= 4
    assert ef["source"].notna().all() and ef["location"].notna().all() and ef["url"].str.startswith("http").all()
    assert set(ef["kind"]) <= oh.EXTERNAL_KINDS
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    assert set(ef["source"]) <= keys
    assert set(ef["claim_id"]) <= set(oh.published()["claim_id"])


def test_amr_rate_from_abstract(allrows):
    f = oh.abstract_facts().set_index("fact_id")
    rate = f.loc["amr2010.daily_dose", "value"] / f.loc["amr2010.hours_per_day", "value"] / 70
    assert round(rate, 2) != 0.22 and math.floor(rate * 100) / 100 == 0.22
    assert allrows.loc["table1.amr.rate", "rederived_value"] == pytest.approx(rate)


# ------------------------------------------------------------------ secondary: responders


@pytest.fixture(scope="module")
def search():
    return checks_secondary.responder_search()


def test_responder_search_is_exhaustive(search):
    s = search[("DL", 10)]
    arms = secondary.responder_arms(10)
    g = oh.grade().set_index("outcome_id").loc["responders"]
    a = s[[f"a_{x}" for x in secondary.RESPONDER_STUDIES]].to_numpy()
    c = s[[f"c_{x}" for x in secondary.RESPONDER_STUDIES]].to_numpy()
    assert (a.sum(axis=1) == g["ketamine_events"]).all() and (c.sum(axis=1) == g["placebo_events"]).all()
    assert (a <= arms["n1"].to_numpy()).all() and (c <= arms["n2"].to_numpy()).all()
    n_a = sum(1 for x in itertools.product(*(range(n + 1) for n in arms["n1"])) if sum(x) == g["ketamine_events"])
    n_c = sum(1 for x in itertools.product(*(range(n + 1) for n in arms["n2"])) if sum(x) == g["placebo_events"])
    assert len(s) == n_a * n_c
    assert not s.duplicated(subset=[col for col in s.columns if col.startswith(("a_", "c_"))]).any()


def test_responder_matches_round_to_the_printed_rr(search, P):
    m = search["dl_match"]
    assert len(m) >= 1
    c = P.loc["responders.rr"]
    arms = secondary.responder_arms(10)
    for _, sp in m.iterrows():
        # recompute each matching split independently with effect_sizes + meta (DL)
        es = effect_sizes("RR", e1=[sp[f"a_{s}"] for s in secondary.RESPONDER_STUDIES], n1=arms["n1"].tolist(),
                          e2=[sp[f"c_{s}"] for s in secondary.RESPONDER_STUDIES], n2=arms["n2"].tolist())
        es = es.dropna(subset=["yi", "vi"])
        res = meta(es["yi"], es["vi"], method="DL")
        for got, printed in ((math.exp(res.estimate), c["estimate"]), (math.exp(res.ci_low), c["ci_low"]),
                             (math.exp(res.ci_high), c["ci_high"])):
            assert round(got, 2) == pytest.approx(printed)
        assert round(res.pval, 3) == pytest.approx(c["p_value"])
        assert round(res.i2, 1) == pytest.approx(c["i2"])
    # and no non-matching split does (spot check of a sample)
    s = search[("DL", 10)]
    rest = s[~s["match"]].sample(200, random_state=1)
    ok = secondary.matches(rest)
    assert not ok.any()


def test_responder_mh_batch_equals_kmeta_mh(search):
    s = search[("MH", 10)].sample(30, random_state=2)
    arms = secondary.responder_arms(10)
    for _, r in s.iterrows():
        a = [int(r[f"a_{x}"]) for x in secondary.RESPONDER_STUDIES]
        c = [int(r[f"c_{x}"]) for x in secondary.RESPONDER_STUDIES]
        m = mh(a, arms["n1"].tolist(), c, arms["n2"].tolist(), measure="RR")
        assert np.allclose([m.estimate_exp, m.ci_low_exp, m.ci_high_exp, m.pval, m.i2],
                           [r["rr"], r["ci_low"], r["ci_high"], r["pval"], r["i2"]], rtol=1e-10, atol=1e-12)


def test_responder_rows_follow_the_search(search, allrows):
    m = search["dl_match"]
    want = cr.ASSUMED if len(m) else cr.INCONSISTENT
    for cid in ("responders.rr", "abstract.responders.rr", "summary.responders.rr"):
        assert allrows.loc[cid, "status"] == want
    # Eichenberger's saline arm as 20 does not reproduce it
    assert not search[("DL", 20)]["match"].any()


def test_responder_percentages(allrows):
    g = oh.grade().set_index("outcome_id").loc["responders"]
    pk = 100 * g["ketamine_events"] / g["ketamine_n"]
    assert round(pk, 1) != g["ketamine_pct"]
    assert allrows.loc["abstract.responders.pct_ketamine", "status"] == cr.INCONSISTENT
    pp = 100 * g["placebo_events"] / g["placebo_n"]
    assert round(pp, 1) == g["placebo_pct"]
    assert allrows.loc["abstract.responders.pct_placebo", "status"] == cr.REPRODUCED


def test_pooled_proportion_is_the_freeman_tukey_method():
    # equal proportions and equal n: the Miller back-transform returns the proportion exactly
    r = secondary.pooled_proportion([3, 3, 3], [12, 12, 12])
    assert r["estimate"] == pytest.approx(0.25, abs=1e-12)
    assert r["ci_low"] < 0.25 < r["ci_high"]
    # zero events need no continuity correction
    r0 = secondary.pooled_proportion([0, 1, 2], [10, 10, 10])
    assert 0 <= r0["ci_low"] <= r0["estimate"] <= r0["ci_high"] <= 1
    assert r0["n_harmonic"] == pytest.approx(10)


def test_noppers_timepoints_are_from_its_abstract():
    nop = secondary.noppers_timepoints()
    assert list(nop.index) == ["15min", "180min", "wk1", "wk8"]
    assert (nop["n1"] == 12).all() and (nop["n2"] == 12).all()


# ------------------------------------------------------------------ secondary: adverse effects, time course


def test_ae_ci_checks(allrows):
    ae = secondary.ae_ci_checks().set_index("claim_id")
    for cid, r in ae.iterrows():
        assert r["midpoint_ok"], cid
        want = cr.NOT_PUBLISHED if r["p_ok"] else cr.INCONSISTENT
        assert allrows.loc[cid, "status"] == want, cid
    # nausea: the CI implies P near 5e-4, above the printed bound
    assert ae.loc["ae.nausea.rr", "p_low"] > 1e-5


def test_psychotomimetic_denominators():
    d = secondary.psychotomimetic_denominators()
    assert ((100 * d["count"] / d["n"] - d["printed_pct"]).abs() <= 0.5).all()
    k = d[d["arm"] == "ketamine"]
    assert not ((k["count"] == 23) & (k["n"] == 30)).any()


def test_time_course_pools(allrows):
    pools = timecourse.pools().set_index("week")
    assert list(pools.index) == [2, 4, 8, 12]
    # 8 weeks: printed CI excludes 0 but printed P > .05
    w8 = pools.loc[8]
    assert w8["ci_high"] < 0 and w8["p_implied"] < 0.06 and not w8["p_ok"]
    assert allrows.loc["time.wk8.md", "status"] == cr.INCONSISTENT
    for w in (4, 12):
        assert pools.loc[w, "midpoint_ok"] and pools.loc[w, "p_ok"]
        assert allrows.loc[f"time.wk{w}.md", "status"] == cr.NOT_PUBLISHED
    # 2 weeks: I² = 0 with 3 trials forces a heterogeneity P >= exp(-1) (chi2 on 2 df at Q = 2)
    assert pools.loc[2, "q_p_low"] == pytest.approx(math.exp(-1), abs=1e-3)
    assert oh.published().set_index("claim_id").loc["table2.fn_g.p", "p_value"] < pools.loc[2, "q_p_low"]


def test_week8_lost_minus_reading():
    r = timecourse.week8_readings().set_index("reading")
    assert not r.loc["as printed", "midpoint_ok"]
    assert r.loc["lost minus", "midpoint_ok"]
    # the lost-minus reading fixes the midpoint but still does not give P = .174
    assert not r.loc["lost minus", "p_ok"]
    lo, hi = timecourse.week8_readings().attrs["ci_from_estimate_and_p"]
    assert lo < -0.68 < hi and hi > 0


def test_trials_assessed_at(T):
    assert timecourse.trials_assessed_at(2) == ["sigtermans2009", "schwartzman2009", "amr2010"]
    assert set(timecourse.trials_assessed_at(8)) == set(oh.studies_of(
        oh.published().set_index("claim_id").loc["time.wk8.k", "studies"]))


# ------------------------------------------------------------------ certainty


def test_grade_downgrading_rule():
    assert certainty.grade_certainty(["not serious"] * 4) == ("high", 0)
    assert certainty.grade_certainty(["serious", "serious"]) == ("low", 2)
    assert certainty.grade_certainty(["very serious", "serious"]) == ("very low", 3)
    assert certainty.grade_certainty(["very serious", "very serious"])[0] == "very low"
    with pytest.raises(ValueError, match="ratings"):
        certainty.grade_certainty(["severe"])
    gt = certainty.grade_table().set_index("outcome_id")
    g = oh.grade().set_index("outcome_id")
    assert gt.loc["primary", "certainty_rule"] == "very low" != g.loc["primary", "certainty"]
    assert gt.loc[["responders", "wk2", "nausea"], "agrees"].all()


def test_sample_size_formulas(allrows, P):
    from kmeta.power import power_two_means

    ss = certainty.samplesize_table().set_index("delta")
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.9)
    for delta, r in ss.iterrows():
        # normal approximation, by hand
        exact = 2 * z**2 * r["sd"] ** 2 / delta**2
        assert r["n_normal_exact"] == pytest.approx(exact)
        assert r["n_normal"] == math.ceil(exact)
        # exact t: the smallest n with power >= 0.9
        nt = int(r["n_t"])
        assert power_two_means(nt, delta, r["sd"]) >= 0.9 > power_two_means(nt - 1, delta, r["sd"])
    # 86 is the t-based n for a 1-point difference: the "respectively" is reversed
    assert int(ss.loc[1.0, "n_t"]) == P.loc["methods.samplesize.n2", "count"]
    assert int(ss.loc[1.5, "n_t"]) != P.loc["methods.samplesize.n1", "count"]
    assert allrows.loc["methods.samplesize.n2", "status"] == cr.ASSUMED
    assert allrows.loc["methods.samplesize.n1", "status"] == cr.INCONSISTENT


def test_trial_power_uses_table1_arms(T):
    from kmeta.power import power_two_means

    tp = certainty.trial_power()
    assert list(tp.index) == list(T.index)
    assert tp.loc["eichenberger2008", "n_control"] == T.loc["eichenberger2008", "n_ketamine"]
    r = tp.loc["mitchell2002"]
    assert r["power_1"] == pytest.approx(power_two_means(r["n_ketamine"], 1.0, 2.0, n2=r["n_control"]))
    assert (tp["power_1"] < tp["power_1.5"]).all()


def test_table2_patient_counts(allrows, T):
    wk2 = oh.studies_of(oh.published().set_index("claim_id").loc["time.wk2.md", "studies"])
    g = oh.grade().set_index("outcome_id")
    assert T.loc[wk2, "n_ketamine"].sum() == g.loc["wk2", "ketamine_n"]
    assert T.loc[wk2, "n_control"].sum() == g.loc["wk2", "placebo_n"]
    subs = checks_certainty.arm_subsets(g.loc["nausea", "ketamine_n"], g.loc["nausea", "placebo_n"])
    assert len(subs) == 1 and subs.iloc[0]["eichenberger_saline"] == 10
    assert checks_certainty.arm_subsets(g.loc["primary", "ketamine_n"], g.loc["primary", "placebo_n"]).empty
    assert allrows.loc["table2.primary.n_ketamine", "status"] == cr.INCONSISTENT


def test_two_trial_region_is_the_feasible_set():
    c = oh.published().set_index("claim_id").loc["time.wk12.md"]
    reg = timecourse.two_trial_region("time.wk12.md", s1=[0.6, 0.9, 1.5])
    se = (c["ci_high"] - c["ci_low"]) / (2 * stats.norm.ppf(0.975))
    for _, r in reg.iterrows():
        for frac, q_want in ((0.0, 1.0), (1.0, 1.0), (0.5, 0.0)):
            y1 = r["y1_low"] + frac * (r["y1_high"] - r["y1_low"])
            w1, w2 = 1 / r["s1"] ** 2, 1 / r["s2"] ** 2
            y2 = (c["estimate"] * (w1 + w2) - w1 * y1) / w2
            res = meta([y1, y2], [r["s1"] ** 2, r["s2"] ** 2], method="DL")
            assert res.estimate == pytest.approx(c["estimate"])
            assert res.se == pytest.approx(se)
            assert res.q == pytest.approx(q_want, abs=1e-9)
            assert res.tau2 == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match="claim_id"):
        timecourse.two_trial_region("time.wk4.md")
    with pytest.raises(ValueError, match="s1"):
        timecourse.two_trial_region("time.wk12.md", s1=[0.1])


def test_max_single_trial_z_bounds_every_feasible_trial():
    mz = timecourse.max_single_trial_z("time.wk12.md")
    reg = timecourse.two_trial_region("time.wk12.md")
    z1 = np.maximum(reg["y1_low"].abs(), reg["y1_high"].abs()) / reg["s1"]
    assert (z1 <= mz["z_max"] + 1e-9).all()
    assert z1.max() > 0.95 * mz["z_pool"]  # the bound is not vacuous
    assert mz["p_min"] == pytest.approx(2 * stats.norm.sf(mz["z_max"]))
    with pytest.raises(ValueError, match="I²"):
        timecourse.max_single_trial_z("time.wk4.md")


def test_implied_common_sd_reproduces_the_pooled_se(T):
    sd = timecourse.implied_common_sd().set_index("week")
    for w in (2, 12):
        st = oh.studies_of(oh.published().set_index("claim_id").loc[f"time.wk{w}.md", "studies"])
        n1 = T.loc[st, "n_ketamine"].astype(float).to_numpy()
        n2 = T.loc[st, "n_control"].astype(float).to_numpy()
        v = sd.loc[w, "sd"] ** 2 * (1 / n1 + 1 / n2)
        res = meta(np.zeros(len(st)), v, method="FE")
        assert res.se == pytest.approx(sd.loc[w, "se"])
        assert sd.loc[w, "kind"] == "estimate"
    assert (sd.loc[[4, 8], "kind"] == "upper bound").all()
