"""Claim-by-claim checks of Orhurhu et al. 2019: design, search, trials, regimens, risk of bias.

Covers the claims of :func:`kmeta.reviews.orhurhu2019.published` about how the review
was done and what it included: the search and study flow (PRISMA), eligibility
criteria and other statements of method, the participants paragraph, the trials'
classification and co-interventions, the infusion regimens and the 400-mg dose rule,
Table 1 (patients and regimens; its adverse-effect column is in
:mod:`~kmeta.reviews.orhurhu2019.checks_secondary`), the risk-of-bias statements, the
Introduction's numbers and the Discussion's statements about other sources.

:func:`checks` returns the scorecard rows (see :mod:`._checkrows` for the schema and
how the four statuses are used).
"""
from __future__ import annotations

import itertools
import re
from statistics import median

import pandas as pd

from . import dose
from ._checkrows import cached as data
from ._checkrows import (
    ASSUMED,
    INCONSISTENT,
    NOT_PUBLISHED,
    REPRODUCED,
    claim,
    fmt,
    fmt_like,
    frame,
    row,
)

__all__ = ["checks", "claim_ids", "overall_rob_by_rule", "blinding_pairs_83"]

_CHECK = "kmeta.reviews.orhurhu2019.checks_design"


def _refs(studies) -> str:
    t = data.trials()
    return ", ".join(str(int(t.loc[s, "ref"])) for s in studies)


def _cited(cid) -> list[str]:
    return data.studies_of(claim(cid)["studies"])


def _date(cid) -> str:
    m = re.search(r"([A-Z][a-z]+ \d{1,2}, \d{4})", str(claim(cid)["printed"]))
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- helpers the notebooks use too


def overall_rob_by_rule(rob_wide: pd.DataFrame | None = None) -> pd.Series:
    """Figure 2's overall judgement recomputed from its domain cells by the Methods' rule.

    High if any domain is high; otherwise unclear if any domain is unclear; otherwise low.
    """
    w = data.risk_of_bias(wide=True) if rob_wide is None else rob_wide
    doms = [d for d in data.ROB_DOMAINS if d != "overall"]
    def rule(r):
        v = set(r[doms])
        return "high" if "high" in v else ("unclear" if "unclear" in v else "low")
    return w.apply(rule, axis=1)


def blinding_pairs_83(pct: float | None = None) -> pd.DataFrame:
    """Which pairs of trials could give "83% of ketamine patients guessed right".

    For every pair of trials, the ketamine arms of Table 1 are added (N) and the counts
    x with round(100·x/N) equal to the printed percentage are listed.
    """
    pct = float(claim("discussion.blinding.pct")["value"]) if pct is None else float(pct)
    t = data.trials()
    rows = []
    for a, b in itertools.combinations(t.index, 2):
        n = int(t.loc[a, "n_ketamine"]) + int(t.loc[b, "n_ketamine"])
        xs = [x for x in range(n + 1) if abs(100 * x / n - pct) <= 0.5]
        rows.append({"pair": f"{t.loc[a, 'ref']}, {t.loc[b, 'ref']}", "studies": f"{a};{b}", "n_ketamine": n,
                     "counts": ", ".join(f"{x}/{n}" for x in xs), "possible": bool(xs)})
    return pd.DataFrame(rows)


def _patients_readings() -> pd.DataFrame:
    """Totals of Table 1 under the two readings of Eichenberger's saline arm."""
    t = data.trials()
    out = []
    for e in (20, 10):
        n2 = t["n_control"].astype(int).copy()
        n2.loc["eichenberger2008"] = e
        out.append({"eichenberger_saline": e, "ketamine": int(t["n_ketamine"].sum()), "control": int(n2.sum()),
                    "arms_total": int(t["n_ketamine"].sum() + n2.sum()), "population_total": int(t["n_total"].sum())})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- groups of checks


def _search_rows():
    rows = []
    pr = data.prisma().set_index("step")["count"].astype(int)
    t = data.trials()
    # dates printed twice
    for cid, other in (("abstract.search_end", "methods.search_end"), ("methods.search_end", "abstract.search_end")):
        rows.append(row(cid, _date(other), None, REPRODUCED,
                        f"the {claim(other)['section']} prints the same end date ({_date(other)}); the searches "
                        "themselves cannot be re-run from the paper (the strategy is in a supplement we could not "
                        "reach), so this is agreement between two passages", f"{_CHECK}: date printed twice"))
    rows.append(row("methods.prospero_date", "", None, NOT_PUBLISHED,
                    "a statement of method: the PROSPERO record CRD42017075521 was not reachable to us, so the "
                    f"registration date ({_date('methods.prospero_date')}) cannot be checked; the front matter gives "
                    "the same identifier and year, and the date precedes the stated end of the search "
                    f"({_date('methods.search_end')})", f"{_CHECK}: registry record"))
    # screeners: 3 in the abstract, 2 in the Methods (and in the risk-of-bias text)
    rows.append(row("abstract.screeners", "2", 2, INCONSISTENT,
                    "the abstract says three authors screened the studies; the Methods name two (V.O. and M.S.O.) "
                    "for screening, the risk-of-bias paragraph the same two, and the Results compare 'the 2 "
                    "reviewers'; the senior author only resolved disagreements", f"{_CHECK}: passages compared"))
    rows.append(row("methods.screeners", "2", 2, REPRODUCED,
                    "two named screeners agree with the risk-of-bias Methods and Results ('the 2 reviewers') and "
                    "with the authors' contributions; only the abstract's 'three authors' disagrees (see "
                    "abstract.screeners)", f"{_CHECK}: passages compared"))
    # PRISMA
    rows.append(row("abstract.records", str(pr["full_text_assessed"]), pr["full_text_assessed"], INCONSISTENT,
                    f"the abstract calls 696 the studies 'assessed for eligibility'; the Results give 696 as records "
                    f"identified, of which {pr['full_text_assessed']} full texts were assessed for eligibility "
                    f"({pr['screened']} screened − {pr['excluded_at_screening']} excluded)", f"{_CHECK}: PRISMA arithmetic"))
    rows.append(row("results.prisma.identified", "", None, NOT_PUBLISHED,
                    f"696 = {pr['screened']} records screened + the duplicates removed, and the number of duplicates "
                    f"is not printed (it would be {pr['duplicates_removed']}); Figure 1 is not in the public text, so "
                    "696 cannot be recomputed from anything else", f"{_CHECK}: PRISMA arithmetic"))
    v = pr["excluded_at_screening"] + pr["full_text_assessed"]
    rows.append(row("results.prisma.screened", str(v), v, REPRODUCED,
                    f"{pr['excluded_at_screening']} excluded at screening + {pr['full_text_assessed']} full texts "
                    f"= {v}", f"{_CHECK}: PRISMA arithmetic"))
    v = pr["screened"] - pr["full_text_assessed"]
    rows.append(row("results.prisma.excluded", str(v), v, REPRODUCED,
                    f"{pr['screened']} screened − {pr['full_text_assessed']} full texts = {v}", f"{_CHECK}: PRISMA arithmetic"))
    v = pr["full_text_excluded"] + pr["included_systematic_review"]
    rows.append(row("results.prisma.fulltext", str(v), v, REPRODUCED,
                    f"{pr['screened']} − {pr['excluded_at_screening']} = {pr['screened'] - pr['excluded_at_screening']}"
                    f" and {pr['full_text_excluded']} excluded + {pr['included_systematic_review']} included = {v}",
                    f"{_CHECK}: PRISMA arithmetic"))
    v = pr["full_text_assessed"] - pr["included_systematic_review"]
    rows.append(row("results.prisma.fulltext_excluded", str(v), v, REPRODUCED,
                    f"{pr['full_text_assessed']} full texts − {pr['included_systematic_review']} included = {v}",
                    f"{_CHECK}: PRISMA arithmetic"))
    k = len(t)
    for cid in ("results.included", "abstract.included", "discussion.k"):
        rows.append(row(cid, str(k), k, REPRODUCED,
                        f"Table 1 has {k} trials (refs {_refs(t.index)}) and the study flow gives "
                        f"{pr['full_text_assessed']} − {pr['full_text_excluded']} = {k}", f"{_CHECK}: Table 1 rows"))
    used = t.index[t["in_primary"].astype(bool) | t["in_responder_analysis"].astype(bool)]
    rows.append(row("results.all_meta_analysed", str(len(used)), len(used), REPRODUCED,
                    f"every trial enters at least one pooled analysis: {int(t['in_primary'].sum())} the primary "
                    f"outcome (all but Salas) and {int(t['in_responder_analysis'].sum())} the responder analysis "
                    f"(Salas, Eichenberger, Noppers); the union is {len(used)} trials", f"{_CHECK}: pools' trial sets"))
    return rows


def _patients_rows():
    rows = []
    t = data.trials()
    rd = _patients_readings().set_index("eichenberger_saline")
    pop = int(t["n_total"].sum())
    ket = int(rd.loc[20, "ketamine"])
    reason_tot = (f"Table 1's population column adds up to {pop}; its arms add up to {ket} ketamine + "
                  f"{rd.loc[20, 'control']} comparator = {rd.loc[20, 'arms_total']} with Eichenberger's saline arm "
                  f"as printed (20), or {ket} + {rd.loc[10, 'control']} = {rd.loc[10, 'arms_total']} with it as 10 "
                  "(the crossover's patients counted once); no reading gives 211 (= 108 + 103, which the Results "
                  "print)")
    for cid in ("abstract.patients", "results.patients.total"):
        rows.append(row(cid, str(pop), pop, INCONSISTENT, reason_tot, f"{_CHECK}: Table 1 sums"))
    rows.append(row("results.patients.ketamine", str(ket), ket, INCONSISTENT,
                    f"Table 1's ketamine arms add up to {ket} (30 + 9 + 11 + 10 + 20 + 12 + 18; Eichenberger's "
                    "ketamine-alone arm as 10), not 108", f"{_CHECK}: Table 1 sums"))
    rows.append(row("results.patients.control", str(rd.loc[20, "control"]), rd.loc[20, "control"], INCONSISTENT,
                    f"Table 1's comparator arms add up to {rd.loc[20, 'control']} ({rd.loc[10, 'control']} with "
                    "Eichenberger's saline arm as 10, as the review's Table 2 totals imply), not 103",
                    f"{_CHECK}: Table 1 sums"))
    n_cross = int((t["design"] == "crossover").sum())
    rows.append(row("results.crossover", str(n_cross), n_cross, REPRODUCED,
                    "Table 1 describes one crossover trial (Eichenberger), as does its abstract (four infusions "
                    "per patient)", f"{_CHECK}: Table 1 design column"))
    ns = t["n_total"].astype(int).to_list()
    med, lo, hi = median(ns), min(ns), max(ns)
    rows.append(row("results.sample_size.median", f"{med:g} ({lo}–{hi})", med, REPRODUCED,
                    f"median of Table 1's trial sizes {sorted(ns)} is {med:g}, range {lo}–{hi}",
                    f"{_CHECK}: median of Table 1 n_total"))
    rows.append(row("discussion.median_n", f"{med:g}", med, REPRODUCED,
                    f"median of Table 1's trial sizes {sorted(ns)} is {med:g}", f"{_CHECK}: median of Table 1 n_total"))
    f = data.abstract_facts().set_index("fact_id")
    salas_age = f.loc["salas2012.secondary.age_mean", "value"]
    rows.append(row("results.age.median", "", None, NOT_PUBLISHED,
                    "no age summary of the trials is printed in the review or in the trials' abstracts we could "
                    f"reach (only a secondary summary gives Salas' mean age, {salas_age:g} years, inside the printed "
                    "range); the median of 48 years and its range cannot be recomputed", f"{_CHECK}: trial ages"))
    return rows


def _class_rows():
    rows = []
    t = data.trials()
    by = {
        "neuropathic": t.index[t["pain_class"] == "neuropathic"],
        "mixed": t.index[t["pain_class"] == "mixed"],
        "nonneuropathic": t.index[t["pain_subgroup"] == "nonneuropathic"],
        "nociplastic": t.index[t["pain_class"] == "nociplastic"],
        "nociceptive": t.index[t["pain_class"] == "nociceptive"],
    }
    for cls in ("neuropathic", "mixed", "nonneuropathic", "nociplastic", "nociceptive"):
        members = list(by[cls])
        for cid in (f"results.class.{cls}", f"abstract.class.{cls}", f"summary.class.{cls}"):
            try:
                c = claim(cid)
            except ValueError:
                continue
            n = len(members)
            ok = int(c["count"]) == n and set(_cited(cid)) == set(members)
            extra = ""
            if cid == "abstract.class.nonneuropathic":
                extra = ("; the journal abstract prints 'nociceptive or nociceptive' where the PubMed copy reads "
                         "'nociplastic or nociceptive' (a typo in words, not in the number)")
            rows.append(row(cid, str(n), n, REPRODUCED if ok else INCONSISTENT,
                            f"the Results' Participants paragraph classes {n} trials as {cls} (refs "
                            f"{_refs(members)}), the same trials and count everywhere the class is used; the "
                            f"conditions in Table 1 ({'; '.join(t.loc[members, 'condition'])}) fit the class{extra}",
                            f"{_CHECK}: classification counts"))
    nm = list(t.index[t["pain_subgroup"] == "neuropathic_or_mixed"])
    c = claim("discussion.class.neuro_mixed")
    rows.append(row("discussion.class.neuro_mixed", str(len(nm)), len(nm),
                    REPRODUCED if int(c["count"]) == len(nm) and set(_cited("discussion.class.neuro_mixed")) == set(nm) else INCONSISTENT,
                    f"the Results class refs {_refs(nm)} as neuropathic or mixed ({len(nm)} trials), the set the "
                    "Discussion cites", f"{_CHECK}: classification counts"))
    # co-interventions against Table 1's co-intervention column
    co = t["co_interventions"].fillna("")
    for cid, pat, what in (("results.cointervention.opioids", r"opioid|morphine", "opioids (morphine in Salas)"),
                           ("results.cointervention.gabapentin", r"gabapentin", "gabapentin"),
                           ("results.cointervention.midazolam_clonidine", r"midazolam", "midazolam and clonidine")):
        members = list(t.index[co.str.contains(pat, case=False, regex=True)])
        ok = int(claim(cid)["count"]) == len(members) and set(_cited(cid)) == set(members)
        rows.append(row(cid, str(len(members)), len(members), REPRODUCED if ok else INCONSISTENT,
                        f"Table 1 gives {what} in both arms of {len(members)} trial(s) (refs {_refs(members)})",
                        f"{_CHECK}: Table 1 co-interventions"))
    return rows


def _regimen_rows():
    rows = []
    t = data.trials()
    r = dose.regimens()
    groups = dose.dose_groups(r["dose_mean_rate"])
    review = t["dose_group"]
    has = review.notna()
    match = bool((groups[has] == review[has]).all())
    strict = dose.dose_groups(r["dose_mean_rate"], strict=True)
    match_strict = bool((strict[has] == review[has]).all())
    per_min = dose.dose_groups(r["dose_per_min"])
    n_diff_min = int((per_min[has] != review[has]).sum())
    nearest = float(r["dose_mean_rate"].sub(dose.THRESHOLD_MG).abs().min())
    doses_txt = ", ".join(f"{t.loc[s, 'first_author']} {r.loc[s, 'dose_mean_rate']:g}" for s in t.index)
    split_reason = (f"cumulative doses for 70 kg (rate × weight × hours, hourly caps applied; Sigtermans at its mean "
                    f"rate): {doses_txt} mg; the 400-mg rule gives the review's high/low groups for all six trials it "
                    f"classed ({'all agree' if match else 'NOT all agree'}); with Sigtermans at its maximum rate the "
                    f"dose is {r.loc['sigtermans2009', 'dose_printed_rate']:g} mg, still high")
    for cid, status_ok in (("methods.dose.threshold", match), ("results.dose.threshold", match_strict)):
        other = "'exceeding 400 mg' (Results)" if cid == "methods.dose.threshold" else "'≥ 400 mg' (Methods)"
        rows.append(row(cid, "400", 400, REPRODUCED if status_ok else INCONSISTENT,
                        f"{split_reason}; '≥' and '>' give the same split, since no regimen is near 400 mg (nearest "
                        f"{nearest:g} mg away), so the wording differs from {other} without consequence",
                        f"{_CHECK}: dose.dose_groups"))
    for cid in ("methods.dose.weight", "table1.footnote_a.weight"):
        other = "Table 1's footnote a" if cid == "methods.dose.weight" else "the Methods"
        rows.append(row(cid, "70", 70, REPRODUCED if match else INCONSISTENT,
                        f"{other} also assume 70 kg, and with 70 kg the 400-mg rule reproduces every dose group "
                        f"the review assigns; read as per minute (the Methods write 'mg/kg/min'), the hourly rates "
                        f"would change {n_diff_min} group(s) (Eichenberger's 1-h infusion would give "
                        f"{r.loc['eichenberger2008', 'dose_per_min']:g} mg), so the unit must be per hour",
                        f"{_CHECK}: dose.regimens"))
    # median duration
    dr = dose.duration_readings()
    claim_d = claim("results.duration.median")
    hits = dr[(dr["median"] == claim_d["value"]) & (dr["low"] == claim_d["value_low"]) & (dr["high"] == claim_d["value_high"])]
    tot = dr[(dr["durations"] == "total hours") & (dr["trials"] == "all 7")].iloc[0]
    ses = dr[(dr["durations"] == "hours per session") & (dr["trials"] == "all 7")].iloc[0]
    rows.append(row("results.duration.median", f"{tot['median']:g} ({tot['low']:g}–{tot['high']:g})", tot["median"],
                    INCONSISTENT if hits.empty else ASSUMED,
                    f"Table 1's total infusion hours ({tot['values']}) have median {tot['median']:g} h, range "
                    f"{tot['low']:g}–{tot['high']:g}; hours per session ({ses['values']}) have median "
                    f"{ses['median']:g} h; none of the {len(dr)} readings we tried (totals, sessions or hours per "
                    "day; all 7 trials or the primary 6; usual, lower or upper median) gives the printed 5 h with "
                    "range 0.5–100 h", f"{_CHECK}: dose.duration_readings"))
    days = t["days"].astype(float).to_list()
    md = median(days)
    rows.append(row("results.days.median", f"{md:g} ({min(days):g}–{max(days):g})", md, REPRODUCED,
                    f"Table 1's infusion days {days} have median {md:g}, range {min(days):g}–{max(days):g}",
                    f"{_CHECK}: median of Table 1 days"))
    mr = dose.median_readings()
    c = claim("results.dose.median")
    hit = mr[(mr["median_2dp"] == c["value"]) & (mr["low_2dp"] == c["value_low"]) & (mr["high_1dp"] == c["value_high"])]
    usual = mr[(mr["median_kind"] == "usual") & (mr["reading_salas2012"] == "0.5/d")
               & (mr["reading_sigtermans2009"] == "max 0.43") & (mr["reading_amr2010"] == "0.22 (Table 1)")
               & (mr["reading_noppers2011"] == "0.5 total") & (mr["reading_mitchell2002"] == "0.6 total")].iloc[0]
    if len(hit) == 1:
        h = hit.iloc[0]
        reason = (f"the printed numbers of Table 1's dose column ({usual['k']} values mixing mg/kg/h, mg/kg/d and "
                  f"mg/kg) have median {usual['median']:.2f}, range {usual['low']:.2f}–{usual['high']:.1f}; of "
                  f"{len(mr)} readings we enumerated exactly one gives 0.35 (0.23–0.6): Sigtermans at its mean "
                  f"rate 0.32, Amr at 80 mg over 5 h for 70 kg ({h['low']:.3f}, the trial abstract), Salas left "
                  "out, Noppers and Mitchell at their total doses (mg/kg, not per hour), and the lower of the two "
                  "middle values of six; that mixes hourly rates with total doses, so the assumption is a stretch")
        rows.append(row("results.dose.median", f"{h['median']:.2f} ({h['low']:.2f}–{h['high']:.1f})", h["median"],
                        ASSUMED, reason, f"{_CHECK}: dose.median_readings"))
    else:
        rows.append(row("results.dose.median", f"{usual['median']:.2f} ({usual['low']:.2f}–{usual['high']:.1f})",
                        usual["median"], INCONSISTENT,
                        f"Table 1's dose column has median {usual['median']:.2f}; {len(hit)} of {len(mr)} readings "
                        "give the printed 0.35 (0.23–0.6)", f"{_CHECK}: dose.median_readings"))
    s_plus = list(t.index[t["drug"] == "S(+)-ketamine"])
    rows.append(row("results.sketamine.k", str(len(s_plus)), len(s_plus), INCONSISTENT,
                    f"Table 1 lists S(+)-ketamine for {len(s_plus)} trials (refs {_refs(s_plus)}: Sigtermans and "
                    "Noppers, whose title in the reference list also names S-ketamine), not one",
                    f"{_CHECK}: Table 1 drug column"))
    rng = (t.loc["sigtermans2009", "rate_range_low"], t.loc["sigtermans2009", "rate_range_high"])
    cap = t.loc["sigtermans2009", "max_rate_mg_per_h"]
    rows.append(row("results.sketamine.range", f"{rng[0]:.2f}–{rng[1]:.2f}", None, REPRODUCED,
                    f"the same range as Table 1's Sigtermans row ({rng[0]:.2f}–{rng[1]:.2f} mg/kg/h); its upper end is "
                    f"the {cap:g} mg/h cap for 70 kg ({cap / dose.WEIGHT_KG:.4f} mg/kg/h)", f"{_CHECK}: Table 1 Sigtermans row"))
    from .timecourse import trials_assessed_at
    wk2 = trials_assessed_at(2)
    ok = set(wk2) == set(_cited("results.twoweek.k"))
    rows.append(row("results.twoweek.k", str(len(wk2)), len(wk2), REPRODUCED if ok else INCONSISTENT,
                    f"Table 1's assessment times include week 2 for {len(wk2)} trials (refs {_refs(wk2)}), the "
                    "trials cited; they are also the three high-dose trials", f"{_CHECK}: timecourse.trials_assessed_at"))
    return rows


def _rob_rows():
    rows = []
    w = data.risk_of_bias(wide=True)
    rule = overall_rob_by_rule(w)
    high = list(w.index[w["overall"] == "high"])
    counts = w["overall"].value_counts()
    agree = bool((rule == w["overall"]).all())
    rows.append(row("abstract.rob_high", str(len(high)), len(high), INCONSISTENT,
                    f"Figure 2 rates {len(high)} trials high overall (refs {_refs(high)}), "
                    f"{int(counts.get('unclear', 0))} unclear and {int(counts.get('low', 0))} low, as the Results "
                    "say; 'all except one' (6 of 7) fits neither the high count nor the not-low count (7)",
                    f"{_CHECK}: Figure 2 overall column"))
    ok = set(high) == set(_cited("results.rob.high"))
    rows.append(row("results.rob.high", str(len(high)), len(high), REPRODUCED if ok and agree else INCONSISTENT,
                    f"Figure 2's overall column is high for refs {_refs(high)}; recomputing it from the domain "
                    f"cells by the Methods' rule (high if any key domain is high, else unclear if any is unclear) "
                    f"{'gives the same column' if agree else 'gives a different column'}",
                    f"{_CHECK}: overall_rob_by_rule"))
    det = list(w.index[w["blinding_outcome_assessment"] == "high"])
    ok = set(det) == set(_cited("results.rob.detection_high"))
    rows.append(row("results.rob.detection_high", str(len(det)), len(det), REPRODUCED if ok else INCONSISTENT,
                    f"Figure 2 rates blinding of outcome assessment high for refs {_refs(det)}",
                    f"{_CHECK}: Figure 2 detection-bias row"))
    bp = blinding_pairs_83()
    res_pair = set(_cited("results.blinding_assessed"))
    dis_pair = set(_cited("discussion.blinding.k"))
    def pair_row(s):
        return bp[bp["studies"].map(lambda x: set(x.split(";")) == s)].iloc[0]
    rp, dp = pair_row(res_pair), pair_row(dis_pair)
    rows.append(row("results.blinding_assessed", "2", 2, ASSUMED,
                    f"the Results name refs {rp['pair']} as the two trials that assessed blinding, the Discussion "
                    f"refs {dp['pair']}; if the Discussion's 83% is one proportion over the two trials' ketamine "
                    f"arms, the Results' pair ({rp['n_ketamine']} patients) allows it ({rp['counts']}) and the "
                    f"Discussion's pair ({dp['n_ketamine']} patients) does not ({'no count' if not dp['possible'] else dp['counts']}); "
                    "the Noppers abstract also discusses how well blinding worked. The trials' full texts would settle it",
                    f"{_CHECK}: blinding_pairs_83"))
    rows.append(row("discussion.blinding.k", "2", 2, INCONSISTENT,
                    f"the Discussion cites refs {dp['pair']} for the two trials that assessed blinding, the Results "
                    f"refs {rp['pair']}; no count out of the {dp['n_ketamine']} ketamine patients of refs "
                    f"{dp['pair']} rounds to the 83% the same sentence reports", f"{_CHECK}: blinding_pairs_83"))
    rows.append(row("discussion.blinding.pct", "", None, NOT_PUBLISHED,
                    "how many ketamine patients guessed their allocation is not printed and not in the trials' "
                    f"abstracts; 83% is possible for the Results' pair (e.g. {rp['counts']}) but not for the "
                    f"Discussion's ({dp['n_ketamine']} patients)", f"{_CHECK}: blinding_pairs_83"))
    other = _cited("results.blinding_ineffective_other")
    assessors = [x for x in other if x in res_pair]
    left_out = [x for x in data.STUDIES if x not in other and x not in res_pair]
    n_other = 7 - len(res_pair)
    rows.append(row("results.blinding_ineffective_other", str(n_other), n_other, INCONSISTENT,
                    f"'the other trials' should be the {n_other} that did not assess blinding; "
                    f"{len(data.STUDIES)} − {len(res_pair)} = {n_other} matches the count, but the list (refs "
                    f"{_refs(other)}) includes the trial(s) the same paragraph says did assess blinding (refs "
                    f"{_refs(assessors)}) and leaves out refs {_refs(left_out)}", f"{_CHECK}: passages compared"))
    n_fair = int(claim("results.reporting.fair")["count"])
    n_good = int(claim("results.reporting.good")["count"])
    for cid in ("results.reporting.fair", "results.reporting.good"):
        rows.append(row(cid, "", None, NOT_PUBLISHED,
                        "'quality of reporting' is a judgement with no criteria or table in the review and no "
                        f"domain of Figure 2; the counts ({n_fair} fair + {n_good} good = {n_fair + n_good}) agree "
                        "with the references cited, but the ratings cannot be re-derived",
                        f"{_CHECK}: statement of judgement"))
    return rows


def _methods_rows():
    rows = []
    t = data.trials()
    f = data.abstract_facts().set_index("fact_id")
    # follow-up >= 48 h after the end of the infusion: Salas fails it by Table 1
    salas_h = float(claim("table1.salas.last_timepoint")["value"]) - float(t.loc["salas2012", "infusion_hours_total"])
    for cid in ("abstract.followup_min", "methods.followup_min"):
        rows.append(row(cid, "48", 48, INCONSISTENT,
                        f"Table 1 has Salas (ref 25) assessed at most 48 h after *starting* a 24-h infusion, i.e. "
                        f"{salas_h:g} h after it ended, short of the 48 h the review requires; Salas is included "
                        "(and pooled for responders), so the criterion and Table 1 cannot both hold",
                        f"{_CHECK}: Table 1 time points vs criterion"))
    prim = t[t["in_primary"].astype(bool)]
    min_days = float(prim["primary_timepoint_days"].min())
    rows.append(row("methods.primary_window.min", "48", 48, REPRODUCED,
                    f"every primary time point marked in Table 1 lies at or after 48 h (earliest {min_days * 24:g} h, "
                    "Eichenberger; the others 5 days to 2 weeks), so the window's lower end is respected and agrees "
                    "with the 48-h follow-up rule", f"{_CHECK}: Table 1 footnote b"))
    rows.append(row("methods.primary_window.max", "", None, NOT_PUBLISHED,
                    "a statement of method: the time points actually pooled run from 48 h to 2 weeks (Results), "
                    "so the 12-week upper end is never reached and cannot be checked", f"{_CHECK}: statement of method"))
    age = f.loc["salas2012.age_min", "value"]
    rows.append(row("methods.age_min", "", None, NOT_PUBLISHED,
                    f"a statement of method; trial age limits are public only for Salas (≥ {age:g} years, abstract) "
                    "and Schwartzman (18–65, registry), both consistent", f"{_CHECK}: statement of method"))
    dd = f.loc["sigtermans2009.disease_duration"]
    rows.append(row("methods.pain_duration_min", "", None, NOT_PUBLISHED,
                    f"a statement of method; of the trials' public abstracts only Sigtermans' gives disease "
                    f"duration, a median {dd['value']:g} years with range {dd['value_low']:g}–{dd['value_high']:g}: "
                    f"its shortest ({dd['value_low']:g} years ≈ {dd['value_low'] * 12:.1f} months) is under 3 months, "
                    "so at least one included patient appears not to meet the criterion (Amr's 'over 6 mo' does)",
                    f"{_CHECK}: statement of method"))
    for cid in ("methods.pain_min_nrs", "methods.pain_min_vas"):
        rows.append(row(cid, "", None, NOT_PUBLISHED,
                        "a statement of method; the two thresholds are the same on the two scales (40/100 = 4/10, "
                        "as the review's rescaling of VAS to 0–10 requires), but the trials' baseline pain is not "
                        "public, so whether they met it cannot be checked", f"{_CHECK}: statement of method"))
    rows.append(row("methods.responder_thresholds", "30 or 50", None, REPRODUCED,
                    "the Results say one responder trial used ≥ 30% (Salas) and two ≥ 50% (Eichenberger, Noppers), "
                    "and the Noppers abstract reports > 50% responders; the Methods' pair of thresholds matches",
                    f"{_CHECK}: passages compared"))
    rows.append(row("methods.funnel_min_k", "10", 10, INCONSISTENT,
                    f"the Methods reserve the Begg and Egger tests for ≥ 10 studies, yet the Results report both "
                    f"(P = {claim('pubbias.begg.p')['p_text']} and {claim('pubbias.egger.p')['p_text']}) for the "
                    f"{int(t['in_primary'].sum())} trials of the primary analysis",
                    f"{_CHECK}: passages compared"))
    sig = t.loc["sigtermans2009", "pct_female"]
    salas_f = f.loc["salas2012.secondary.pct_female", "value"]
    rows.append(row("methods.subgroup.female", "", None, NOT_PUBLISHED,
                    f"a statement of method; the share of women is public for Sigtermans ({sig:g}%, abstract) and, "
                    f"from a secondary summary, Salas ({salas_f:g}%), so the subgroups cannot be formed",
                    f"{_CHECK}: statement of method"))
    rows.append(row("methods.subgroup.age", "", None, NOT_PUBLISHED,
                    "a statement of method; no trial's median age is public to us, so the subgroups cannot be formed",
                    f"{_CHECK}: statement of method"))
    rows.append(row("methods.stata_version", "", None, NOT_PUBLISHED,
                    "a statement of method with nothing to recompute (Figure 3's caption names the D+L estimator, "
                    "as Stata's metan would print it)", f"{_CHECK}: statement of method"))
    return rows


def _external_rows():
    rows = []
    ef = data.external_facts().set_index("claim_id")
    e = ef.loc["intro.fda_dose"]
    c = claim("intro.fda_dose")
    ok = e["value_low"] == c["value_low"] and e["value_high"] == c["value_high"]
    rows.append(row("intro.fda_dose", f"{e['value_low']:g}–{e['value_high']:g}", None, REPRODUCED if ok else INCONSISTENT,
                    f"the Ketalar label (ref 1; public copy: {e['url']}) gives an intravenous induction dose of "
                    f"{e['value_low']:g} to {e['value_high']:g} mg/kg", f"{_CHECK}: data.external_facts"))
    rows.append(row("intro.clinical_use_since", "", None, NOT_PUBLISHED,
                    "an uncited historical statement; we did not check it against a primary record (FDA approval "
                    "history)", f"{_CHECK}: statement without source"))
    e = ef.loc["intro.societies"]
    rows.append(row("intro.societies", f"{e['value']:g}", e["value"], REPRODUCED,
                    f"the title of the consensus guideline (ref 3) names three societies ({e['printed']})",
                    f"{_CHECK}: data.external_facts"))
    for cid in ("discussion.michelet.wk4", "discussion.michelet.wk12"):
        e = ef.loc[cid]
        rows.append(row(cid, f"{e['value']:g}", e["value"], REPRODUCED,
                        f"Michelet et al.'s abstract (ref 4): '{e['printed']}' ({e['note']})",
                        f"{_CHECK}: data.external_facts"))
    rows.append(row("discussion.bioavailability", "", None, NOT_PUBLISHED,
                    "quoted from ref 35 (Peltoniemi et al. 2016), whose public abstract calls oral bioavailability "
                    "poor without giving figures; the full text was not reachable", f"{_CHECK}: cited source"))
    rows.append(row("discussion.blinding.inflation", "", None, NOT_PUBLISHED,
                    "quoted from refs 53–55 (meta-epidemiological studies) that we did not check; nothing in the "
                    "review to recompute", f"{_CHECK}: cited source"))
    rows.append(row("discussion.fda_weeks", "", None, NOT_PUBLISHED,
                    "a general, uncited statement about registration trials; nothing to recompute",
                    f"{_CHECK}: statement without source"))
    rows.append(row("discussion.immpact_points", "", None, NOT_PUBLISHED,
                    "part of a quotation from the IMMPACT recommendations (ref 58) that we did not check against "
                    "the paper; nothing in the review to recompute", f"{_CHECK}: cited source"))
    return rows


# Table 1 entries and the public facts that bear on them: (fact_id or None, how)
def _table1_rows():
    rows = []
    t = data.trials()
    f = data.abstract_facts().set_index("fact_id")
    ef = data.external_facts().set_index("claim_id")

    def fact(fid, col="count"):
        v = f.loc[fid, col]
        return None if pd.isna(v) else float(v)

    def src(fid):
        k = f.loc[fid, "kind"]
        return {"abstract": "the trial's abstract", "registry": "the trial's registry record",
                "secondary": "a secondary summary of the trial"}[k]

    def vs_fact(cid, fid, col="count", extra=""):
        c = claim(cid)
        printed = c["count"] if not pd.isna(c["count"]) else c["value"]
        v = fact(fid, col)
        ok = v is not None and abs(v - float(printed)) < 1e-9
        rows.append(row(cid, fmt_like(v, cid) if v is not None else "", v,
                        REPRODUCED if ok else INCONSISTENT,
                        f"{src(fid)} gives {v:g} ({f.loc[fid, 'printed']}){extra}", f"{_CHECK}: abstract_facts {fid}"))

    # patients
    vs_fact("table1.sigtermans.n_total", "sigtermans2009.n")
    vs_fact("table1.sigtermans.n_ketamine", "sigtermans2009.n_ketamine")
    vs_fact("table1.sigtermans.n_control", "sigtermans2009.n_placebo")
    n = int(t.loc["schwartzman2009", "n_ketamine"] + t.loc["schwartzman2009", "n_control"])
    rows.append(row("table1.schwartzman.n_total", str(n), n, REPRODUCED,
                    f"the two arms Table 1 gives (9 + 10) add up to {n}; the trial abstract gives no numbers and "
                    f"the registry's planned enrolment was {fact('schwartzman2009.registry.enrollment'):g} (the trial "
                    "stopped early)", f"{_CHECK}: Table 1 arms"))
    for cid in ("table1.schwartzman.n_ketamine", "table1.schwartzman.n_control"):
        rows.append(row(cid, "", None, NOT_PUBLISHED,
                        "the trial abstract gives no arm sizes and the registry only the planned enrolment; the "
                        "arm sizes rest on Table 1 alone", f"{_CHECK}: abstract_facts"))
    n = int(fact("salas2012.n_ketamine") + fact("salas2012.n_placebo"))
    rows.append(row("table1.salas.n_total", str(n), n, REPRODUCED,
                    f"the abstract's arms (11 ketamine + 9 placebo) add up to {n}", f"{_CHECK}: abstract_facts"))
    vs_fact("table1.salas.n_ketamine", "salas2012.n_ketamine")
    vs_fact("table1.salas.n_control", "salas2012.n_placebo")
    vs_fact("table1.eichenberger.n_total", "eichenberger2008.n")
    vs_fact("table1.eichenberger.n_ketamine", "eichenberger2008.n_ketamine_alone")
    for cid in ("table1.eichenberger.n_control", "table1.eichenberger.n_combination", "table1.eichenberger.n_calcitonin"):
        rows.append(row(cid, "20", 20, ASSUMED,
                        "the abstract describes a crossover of 20 patients with four infusions, ketamine alone "
                        "being given to only 10; 20 holds if every patient received this infusion, as nothing in "
                        "the abstract says otherwise (the review's own pooled denominators, 31 responders' and 50 "
                        "nausea patients, count the saline arm as 10)", f"{_CHECK}: abstract_facts"))
    vs_fact("table1.amr.n_total", "amr2010.n")
    for cid in ("table1.amr.n_ketamine", "table1.amr.n_control"):
        n = fact("amr2010.n") / 2
        rows.append(row(cid, f"{n:g}", n, REPRODUCED,
                        f"the abstract randomises {fact('amr2010.n'):g} patients into two equal groups: {n:g} each",
                        f"{_CHECK}: abstract_facts amr2010.n"))
    vs_fact("table1.noppers.n_total", "noppers2011.n")
    vs_fact("table1.noppers.n_ketamine", "noppers2011.dose")
    vs_fact("table1.noppers.n_control", "noppers2011.midazolam")
    vs_fact("table1.mitchell.n_total", "mitchell2002.n_completed", extra="; patients who completed the study")
    vs_fact("table1.mitchell.n_ketamine", "mitchell2002.n_ketamine")
    vs_fact("table1.mitchell.n_control", "mitchell2002.n_placebo")
    # regimens
    vs_fact("table1.amr.hours_per_day", "amr2010.hours_per_day", col="value")
    vs_fact("table1.amr.days", "amr2010.days", col="value", extra="; 'one week' read as 7 days")
    h = t.loc["amr2010", "hours_per_day"] * t.loc["amr2010", "days"]
    rows.append(row("table1.amr.hours_total", f"{h:g}", h, REPRODUCED,
                    f"5 h a day for 7 days = {h:g} h, as the abstract's regimen gives", f"{_CHECK}: arithmetic"))
    amr_rate = fact("amr2010.daily_dose", "value") / fact("amr2010.hours_per_day", "value") / dose.WEIGHT_KG
    rows.append(row("table1.amr.rate", fmt(amr_rate, 3), amr_rate, ASSUMED,
                    f"the abstract's 80 mg over 5 h for a 70-kg patient is {amr_rate:.4f} mg/kg/h: 0.23 rounded (as "
                    "the Results print the low end of the dose range) but 0.22 if truncated, which is what Table 1 "
                    "prints", f"{_CHECK}: abstract_facts amr2010.daily_dose"))
    vs_fact("table1.amr.gabapentin", "amr2010.gabapentin", col="value")
    rows.append(row("table1.amr.pain_duration", "", None, NOT_PUBLISHED,
                    "the Amr abstract does not give the duration of pain at entry; only the full text could",
                    f"{_CHECK}: abstract_facts"))
    rows.append(row("table1.eichenberger.hours_total", "", None, NOT_PUBLISHED,
                    "the abstract gives the dose (0.4 mg/kg) but not how long the infusion ran",
                    f"{_CHECK}: abstract_facts"))
    ed = fact("eichenberger2008.dose", "value")
    tot = t.loc["eichenberger2008", "rate"] * t.loc["eichenberger2008", "infusion_hours_total"]
    rows.append(row("table1.eichenberger.rate", fmt(ed / t.loc["eichenberger2008", "infusion_hours_total"], 1),
                    ed / t.loc["eichenberger2008", "infusion_hours_total"], ASSUMED,
                    f"the abstract's dose is {ed:g} mg/kg in total; over Table 1's 1-h infusion that is {ed:g} mg/kg/h "
                    f"(Table 1's rate × hours = {tot:g} mg/kg), assuming the 1-h duration", f"{_CHECK}: abstract_facts"))
    rows.append(row("table1.salas.hours_total", "", None, INCONSISTENT,
                    "the same Table 1 cell says the rate was raised to 1 mg/kg/d after the first 24 h in patients "
                    "still in pain, so the infusion could not have been limited to 24 h; the abstract describes the "
                    "same step-up with assessments up to 48 h", f"{_CHECK}: Table 1 cell read whole"))
    s = f.loc["salas2012.secondary.dose"]
    rows.append(row("table1.salas.rate", f"{s['value']:g}", s["value"], REPRODUCED,
                    f"a secondary summary of the trial gives {s['value']:g} mg/kg per day ('{s['printed']}')",
                    f"{_CHECK}: abstract_facts salas2012.secondary.dose"))
    rows.append(row("table1.salas.rate_step", "1", 1, REPRODUCED,
                    f"the same summary says the dose was increased to 1 mg/kg per day ({s['note']}); the "
                    "condition printed as '≥ 1/10' looks garbled", f"{_CHECK}: abstract_facts salas2012.secondary.dose"))
    vs_fact("table1.schwartzman.hours_per_day", "schwartzman2009.hours_per_day", col="value")
    vs_fact("table1.schwartzman.days", "schwartzman2009.days", col="value",
            extra="; Table 1 calls them consecutive but splits them 5 on, 2 off, 5 on (weekdays)")
    h = t.loc["schwartzman2009", "hours_per_day"] * t.loc["schwartzman2009", "days"]
    rows.append(row("table1.schwartzman.hours_total", f"{h:g}", h, REPRODUCED,
                    f"4 h a day on 10 days = {h:g} h", f"{_CHECK}: arithmetic"))
    vs_fact("table1.schwartzman.rate", "schwartzman2009.max_rate", col="value")
    vs_fact("table1.schwartzman.max_rate", "schwartzman2009.max_rate_mg", col="value")
    vs_fact("table1.sigtermans.days", "sigtermans2009.infusion_days", col="value")
    d = float(claim("table1.sigtermans.hours_total")["value"]) / 24
    rows.append(row("table1.sigtermans.hours_total", "100", 100, REPRODUCED,
                    f"100 h is {d:.2f} days, printed 4.2 as in the abstract (the reverse, 4.2 × 24 = "
                    f"{4.2 * 24:g} h, would round to 101)", f"{_CHECK}: arithmetic"))
    cap = t.loc["sigtermans2009", "max_rate_mg_per_h"]
    rows.append(row("table1.sigtermans.rate", fmt(cap / dose.WEIGHT_KG, 2), cap / dose.WEIGHT_KG, REPRODUCED,
                    f"the {cap:g} mg/h cap of the same cell is {cap / dose.WEIGHT_KG:.4f} mg/kg/h for 70 kg; the "
                    "abstract gives only the mean end-of-infusion dose", f"{_CHECK}: arithmetic"))
    mr = fact("sigtermans2009.dose_end", "value") / dose.WEIGHT_KG
    rows.append(row("table1.sigtermans.mean_rate", fmt(mr, 2), mr, REPRODUCED,
                    f"the abstract's {fact('sigtermans2009.dose_end', 'value'):g} mg/h per 70 kg at the end of the "
                    f"infusion is {mr:.4f} mg/kg/h", f"{_CHECK}: abstract_facts sigtermans2009.dose_end"))
    rate = t.loc["sigtermans2009", "rate"]
    rows.append(row("table1.sigtermans.max_rate", fmt(rate * dose.WEIGHT_KG, 0), rate * dose.WEIGHT_KG, REPRODUCED,
                    f"{rate:g} mg/kg/h × 70 kg = {rate * dose.WEIGHT_KG:g} mg/h; cap and maximum rate agree (neither "
                    "is in the abstract)", f"{_CHECK}: arithmetic"))
    rows.append(row("table1.sigtermans.rate_range", "", None, NOT_PUBLISHED,
                    "the upper end follows from the 30 mg/h cap (0.43 mg/kg/h for 70 kg), but the lower end "
                    "(0.07) is in no public source we could reach", f"{_CHECK}: abstract_facts"))
    n30 = fact("noppers2011.infusion_min", "value")
    rows.append(row("table1.noppers.hours_total", f"{n30:g}", n30, REPRODUCED,
                    f"the abstract gives a {n30:g}-min infusion", f"{_CHECK}: abstract_facts noppers2011.infusion_min"))
    vs_fact("table1.noppers.dose", "noppers2011.dose", col="value")
    vs_fact("table1.noppers.midazolam", "noppers2011.midazolam", col="value")
    e = ef.loc["table1.noppers.drug"]
    rows.append(row("table1.noppers.drug", "1", 1, REPRODUCED,
                    f"{e['location']} reads '{e['printed']}', so the row's S(+)-ketamine is right (and makes two "
                    "S(+) trials, against the Results' 'one study')", f"{_CHECK}: data.external_facts"))
    rows.append(row("table1.mitchell.hours_total", "", None, NOT_PUBLISHED,
                    "the Mitchell abstract gives the dose (0.6 mg/kg) and a single infusion but not its length",
                    f"{_CHECK}: abstract_facts"))
    vs_fact("table1.mitchell.dose", "mitchell2002.dose", col="value")
    # last time points
    rows.append(row("table1.amr.last_timepoint", "4", 4, INCONSISTENT,
                    "Table 1 stops Amr's follow-up at 3 weeks, but the Results pool Amr at 4 weeks (refs 23, 24, 27) "
                    f"and the trial abstract compares the groups at 3 and 4 weeks (P = {f.loc['amr2010.p_wk3', 'p_text']} "
                    f"and {f.loc['amr2010.p_wk4', 'p_text']})", f"{_CHECK}: passages compared"))
    vs_fact("table1.eichenberger.last_timepoint", "eichenberger2008.followup", col="value")
    vs_fact("table1.salas.last_timepoint", "salas2012.timepoints", col="value",
            extra="; measured from the start of the infusion")
    fu = fact("schwartzman2009.followup", "value")
    rows.append(row("table1.schwartzman.last_timepoint", "12", 12, REPRODUCED,
                    f"the abstract follows patients for {fu:g} months after treatment, i.e. the 9–12-week window",
                    f"{_CHECK}: abstract_facts schwartzman2009.followup"))
    rows.append(row("table1.sigtermans.last_timepoint", "12", 12, REPRODUCED,
                    f"the abstract reports the week-12 comparison (P = {f.loc['sigtermans2009.pain_wk12.p', 'p_text']})",
                    f"{_CHECK}: abstract_facts sigtermans2009.pain_wk12.p"))
    vs_fact("table1.noppers.last_timepoint", "noppers2011.followup_wk", col="value")
    rows.append(row("table1.mitchell.last_timepoint", "5", 5, REPRODUCED,
                    "the abstract reports pain relief 5 days after the infusion", f"{_CHECK}: abstract_facts mitchell2002.bpi_relief.p"))
    return rows


def checks() -> pd.DataFrame:
    """Scorecard rows of the design claims (see :mod:`._checkrows` for the columns)."""
    rows = (_search_rows() + _patients_rows() + _class_rows() + _regimen_rows() + _rob_rows()
            + _methods_rows() + _external_rows() + _table1_rows())
    return frame(rows)


def claim_ids() -> list[str]:
    """The claim ids this module covers."""
    return list(checks()["claim_id"])
