"""Claim-by-claim checks of Orhurhu et al. 2019: time course, responders, adverse effects.

Covers the pooled pain scores at 2, 4, 8 and 12 weeks and the sentences that summarise
them (Results, Key Points, Discussion), the responder analysis (Results, abstract,
summary page), the adverse-effect pools of Figure 4 and Table 1's adverse-effect
column. The GRADE rows of the same outcomes (Table 2) are in
:mod:`~kmeta.reviews.orhurhu2019.checks_certainty`.

:func:`checks` returns the scorecard rows (see :mod:`._checkrows`).
"""
from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from . import secondary, timecourse
from ._checkrows import cached as data
from ._checkrows import (
    ASSUMED,
    INCONSISTENT,
    NOT_PUBLISHED,
    REPRODUCED,
    claim,
    fmt,
    fmt_ci,
    fmt_like,
    frame,
    row,
)

__all__ = ["checks", "claim_ids", "responder_search"]

_CHECK = "kmeta.reviews.orhurhu2019.checks_secondary"


def _refs(studies) -> str:
    t = data.trials()
    return ", ".join(str(int(t.loc[s, "ref"])) for s in studies)


@lru_cache(maxsize=1)
def _responder_search_cached() -> dict:
    return {k: v.copy() for k, v in _responder_search_cached().items()}


def responder_search() -> dict:
    """The responder split searches the checks rely on.

    Returns a dict with the DerSimonian–Laird and Mantel–Haenszel searches for
    Eichenberger's saline arm as 10 and as 20 (keys ``("DL", 10)`` ...), each a
    DataFrame of every split with a boolean column ``match`` (pooled RR, CI, P and I²
    all round to the printed ones), and ``"dl_match"``: the matching DL splits with
    Eichenberger's saline arm as 10.
    """
    out = {}
    for method in ("DL", "MH"):
        for e in (10, 20):
            s = secondary.responder_splits(method=method, eichenberger_control=e)
            s["match"] = secondary.matches(s)
            s["match_rr_ci"] = secondary.matches(s, with_p=False, with_i2=False)
            out[(method, e)] = s
    dl = out[("DL", 10)]
    out["dl_match"] = dl[dl["match"]].reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- time course


_BENEFIT_EVIDENCE = {
    2: ("Sigtermans' row says pain was significantly lower from week 1 through week 8; Amr's that the ketamine "
        "group was lower for up to 2 weeks (its abstract: P < 0.0001 up to 2 weeks after the infusion); "
        "Schwartzman's that the primary outcome did not differ"),
    4: ("Sigtermans' row says pain was lower from week 1 through week 8; the Amr abstract finds no difference at "
        "4 weeks (P = 0.25); Schwartzman's primary outcome did not differ"),
    8: ("Sigtermans' row says pain was lower through week 8; Noppers' row finds no difference beyond 15 min (its "
        "abstract: no treatment effect over 8 weeks); Schwartzman's primary outcome did not differ"),
    12: ("Sigtermans' row says significance was lost by week 12 (its abstract: P = 0.07 at week 12); "
         "Schwartzman's primary outcome did not differ"),
}


def _time_rows():
    rows = []
    pools = timecourse.pools().set_index("week")
    for w in timecourse.WEEKS:
        cid_k = f"time.wk{w}.k"
        cited = data.studies_of(claim(cid_k)["studies"])
        t1 = timecourse.trials_assessed_at(w)
        if set(t1) == set(cited):
            rows.append(row(cid_k, str(len(t1)), len(t1), REPRODUCED,
                            f"Table 1's assessment times include week {w} for refs {_refs(t1)}, the trials cited",
                            f"{_CHECK}: timecourse.trials_assessed_at"))
        else:
            missing = [s for s in cited if s not in t1]
            rows.append(row(cid_k, str(len(cited)), len(cited), REPRODUCED,
                            f"Table 1's assessment times include week {w} only for refs {_refs(t1)}: it stops "
                            f"{'/'.join(data.trials().loc[missing, 'first_author'])} at 3 weeks, but that trial's "
                            "abstract compares the groups at 4 weeks (P = 0.25), so the Results' three trials are "
                            "right and Table 1's follow-up entry is the inconsistent one (table1.amr.last_timepoint)",
                            f"{_CHECK}: timecourse.trials_assessed_at + abstract_facts amr2010.p_wk4"))
        cid_b = f"time.wk{w}.benefit"
        c = claim(cid_b)
        n = int(c["count"])
        rows.append(row(cid_b, str(n), n, REPRODUCED,
                        f"Table 1's Analgesic Outcomes column agrees: {_BENEFIT_EVIDENCE[w]}",
                        f"{_CHECK}: Table 1 analgesic outcomes + abstract_facts"))
        p = pools.loc[w]
        cid = f"time.wk{w}.md"
        c = claim(cid)
        # the CI's midpoint, with one decimal more than printed (it is exact, not rounded)
        mid = fmt_like(p["mid"], cid, decimals=int(c["decimals"]) + 1)
        checks_txt = (f"the CI's midpoint is {p['mid']:.3f} ({'matches' if p['midpoint_ok'] else 'does not match'} "
                      f"{c['estimate']:g}); the CI implies P = {p['p_implied']:.3g} (range {p['p_low']:.3g}–"
                      f"{p['p_high']:.3g} over the printed rounding; printed {c['p_text']}); I² = {c['i2']:g}% with "
                      f"{int(p['k'])} trials means Q between {p['q_low']:.2f} and {p['q_high']:.2f}, a heterogeneity "
                      f"P between {p['q_p_low']:.3f} and {p['q_p_high']:.3f}")
        if w == 2:
            fg = claim("table2.fn_g.p")
            rows.append(row(cid, mid, p["mid"], INCONSISTENT,
                            f"{checks_txt}; Table 2's footnote g gives this pool's heterogeneity as P = {fg['p_text']}, "
                            f"impossible with I² = 0.0% (which needs P ≥ {p['q_p_low']:.2f}); the trial-level inputs "
                            "(Supplemental Figure 5) are not public", f"{_CHECK}: timecourse.pools"))
        elif w == 8:
            r8 = timecourse.week8_readings().set_index("reading")
            lm = r8.loc["lost minus"]
            rows.append(row(cid, mid, p["mid"], INCONSISTENT,
                            f"{checks_txt}: a CI of {c['ci_low']:.2f} to {c['ci_high']:.2f} excludes 0, so it cannot go "
                            f"with P = {c['p_text']} or with "
                            f"the text's 'nonsignificant'; reading the upper limit as +{abs(c['ci_high']):.2f} (a lost minus "
                            f"sign) centres the CI on {lm['mid']:.3f} (= {c['estimate']:.2f} as printed) but implies P = "
                            f"{lm['p_implied']:.3f} (range {lm['p_low']:.3f}–{lm['p_high']:.3f}), still not {c['p_text']}; no "
                            "single-sign reading makes estimate, CI and P agree", f"{_CHECK}: timecourse.week8_readings"))
        else:
            ok = bool(p["midpoint_ok"] and p["p_ok"])
            extra = ""
            if w == 12:
                f = data.abstract_facts().set_index("fact_id").loc["sigtermans2009.pain_wk12.p"]
                mz = timecourse.max_single_trial_z(cid)
                extra = (f". One outside fact does not fit: Sigtermans' abstract gives P = {f['p_text']} at week "
                         f"12, but with I² = 0 no trial of this pool can have |z| above {mz['z_max']:.2f} "
                         f"(P ≥ {mz['p_min']:.2f}); so either the trial's P tests something other than the "
                         "difference the review pooled, or the pool's inputs differ from the trial's")
            rows.append(row(cid, mid, p["mid"], NOT_PUBLISHED,
                            f"the trial-level inputs (Supplemental Figures 6–8) are not public; "
                            f"{'what can be checked agrees' if ok else 'the printed numbers disagree'}: {checks_txt}{extra}",
                            f"{_CHECK}: timecourse.pools"))
    # summaries of the time course
    sig = [int(w) for w, p in pools.iterrows() if claim(f"time.wk{w}.md")["p_value"] < 0.05
           and claim(f"time.wk{w}.md")["p_op"] in ("<", "=")]
    last = max(sig)
    later = ", ".join(f"{claim(f'time.wk{w}.md')['p_text']} at {w} weeks" for w in timecourse.WEEKS if w not in sig)
    for cid in ("time.summary", "discussion.timecourse"):
        rows.append(row(cid, str(last), last, INCONSISTENT,
                        f"the printed P values are below .05 only at week {', '.join(map(str, sig))} ({later}), "
                        "and the 8-week pool is called nonsignificant in the sentence that reports it; calling 8 "
                        "weeks significant fits only its printed CI, which is itself inconsistent (see "
                        "time.wk8.md)", f"{_CHECK}: printed P values"))
    rows.append(row("keypoints.duration", str(last), last, REPRODUCED,
                    f"the last pooled time point with a printed P below .05 is week {last} (then P = {later})",
                    f"{_CHECK}: printed P values"))
    hd = list(data.trials().index[data.trials()["dose_group"] == "high"])
    wk2 = data.studies_of(claim("time.wk2.md")["studies"])
    same = set(hd) == set(wk2)
    rows.append(row("discussion.highdose_duration", "2", 2, REPRODUCED if same else INCONSISTENT,
                    f"the 2-week pool (refs {_refs(wk2)}) consists of exactly the three high-dose trials and "
                    f"is significant (P {claim('time.wk2.md')['p_text']}); the 4-week pool of the same trials is "
                    f"not (P = {claim('time.wk4.md')['p_text']}), so 'at least 2 weeks' is as far as the data go",
                    f"{_CHECK}: dose groups vs time-course pools"))
    return rows


# --------------------------------------------------------------------------- responders


def _responder_rows():
    rows = []
    g = data.grade().set_index("outcome_id").loc["responders"]
    e1, n1, e2, n2 = int(g["ketamine_events"]), int(g["ketamine_n"]), int(g["placebo_events"]), int(g["placebo_n"])
    pk, pp = 100 * e1 / n1, 100 * e2 / n2
    arms = secondary.responder_arms(10)
    cited = data.studies_of(claim("responders.k")["studies"])
    for cid in ("responders.k", "abstract.responders.k"):
        n = len(data.studies_of(claim(cid)["studies"]))
        ok = n == int(claim(cid)["count"]) and set(data.trials().index[data.trials()["in_responder_analysis"].astype(bool)]) == set(cited)
        rows.append(row(cid, str(n), n, REPRODUCED if ok else INCONSISTENT,
                        f"the responder analysis uses refs {_refs(cited)} (Results; Table 2 counts 3 studies)",
                        f"{_CHECK}: trial sets"))
    rows.append(row("responders.threshold30.k", "", None, NOT_PUBLISHED,
                    "which threshold Salas used is not in its public abstract; the count agrees with the one "
                    "reference cited", f"{_CHECK}: abstract_facts"))
    rows.append(row("responders.threshold50.k", "", None, NOT_PUBLISHED,
                    "the Noppers abstract does count patients with > 50% pain relief; Eichenberger's responder "
                    "definition is not in its public abstract, so the count of 2 is only half checked",
                    f"{_CHECK}: abstract_facts"))
    # percentages
    rows.append(row("abstract.responders.pct_ketamine", fmt(pk, 1), pk, INCONSISTENT,
                    f"Table 2 gives {e1}/{n1} responders on ketamine, which is {pk:.2f}% (51.5%), not 51.3%; "
                    "nor is 51.3% the Freeman–Tukey pooled proportion of the split that reproduces the RR "
                    "(that gives 51.5% too)", f"{_CHECK}: arithmetic"))
    rows.append(row("abstract.responders.pct_placebo", fmt(pp, 1), pp, REPRODUCED,
                    f"Table 2's {e2}/{n2} = {pp:.2f}%", f"{_CHECK}: arithmetic"))
    rows.append(row("results.responders.pct_first", fmt(pk, 1), pk, INCONSISTENT,
                    f"the sentence compares ketamine with placebo but prints 19.4% first; the abstract and Table 2 "
                    f"give ketamine {e1}/{n1} (printed 51.3%, computed {pk:.1f}%) and placebo {e2}/{n2} (19.4%): "
                    "the two percentages are swapped", f"{_CHECK}: passages compared"))
    rows.append(row("results.responders.pct_second", fmt(pp, 1), pp, INCONSISTENT,
                    f"the second percentage (51.3%) belongs to ketamine; placebo's is {e2}/{n2} = {pp:.1f}% (see "
                    "results.responders.pct_first)", f"{_CHECK}: passages compared"))
    # the pooled RR: exhaustive search over splits
    srch = responder_search()
    dl10, dl20, mh10, mh20 = srch[("DL", 10)], srch[("DL", 20)], srch[("MH", 10)], srch[("MH", 20)]
    m = srch["dl_match"]
    if len(m) >= 1:
        sp = m.iloc[0]
        split_txt = "; ".join(
            f"{data.trials().loc[s, 'first_author']} {int(sp['a_' + s])}/{int(arms.loc[s, 'n1'])} vs "
            f"{int(sp['c_' + s])}/{int(arms.loc[s, 'n2'])}" for s in secondary.RESPONDER_STUDIES)
        nop = secondary.noppers_timepoints()
        nop_match = [i for i, r in nop.iterrows() if (r["a"], r["c"]) == (int(sp["a_noppers2011"]), int(sp["c_noppers2011"]))]
        reason = (f"the split of {e1}/{n1} and {e2}/{n2} over the three trials is not printed; of the "
                  f"{len(dl10)} splits (Table 1 arms, Eichenberger's saline arm as 10) "
                  f"{len(m)} reproduce{'s' if len(m) == 1 else ''} RR, CI, P and I² under DerSimonian–Laird: "
                  f"{split_txt} (RR {sp['rr']:.3f}, {sp['ci_low']:.3f}–{sp['ci_high']:.3f}, P = {sp['pval']:.4f}, "
                  f"I² = {sp['i2']:.1f}%); with the saline arm as 20 none does ({int(dl20['match'].sum())} of "
                  f"{len(dl20)}), and under Mantel–Haenszel none does ({int(mh10['match_rr_ci'].sum())} and "
                  f"{int(mh20['match_rr_ci'].sum())}). Noppers' {int(sp['a_noppers2011'])} vs "
                  f"{int(sp['c_noppers2011'])} matches "
                  f"{'the abstract at ' + ', '.join(nop_match) if nop_match else 'none of the time points in its abstract (8/3, 6/2, 2/0, 2/2)'}")
        for cid in ("responders.rr", "abstract.responders.rr", "summary.responders.rr"):
            c = claim(cid)
            rows.append(row(cid, fmt_ci(sp["rr"], sp["ci_low"], sp["ci_high"], int(c["decimals"])), sp["rr"],
                            ASSUMED, reason, f"{_CHECK}: secondary.responder_splits (exhaustive)"))
    else:
        for cid in ("responders.rr", "abstract.responders.rr", "summary.responders.rr"):
            rows.append(row(cid, "", None, INCONSISTENT,
                            f"no split of {e1}/{n1} and {e2}/{n2} over the three trials reproduces the printed RR "
                            "under DerSimonian–Laird or Mantel–Haenszel", f"{_CHECK}: secondary.responder_splits"))
    return rows


# --------------------------------------------------------------------------- adverse effects


def _ae_rows():
    rows = []
    ae = secondary.ae_ci_checks().set_index("claim_id")
    g = data.grade().set_index("outcome_id").loc["nausea"]
    for cid, r in ae.iterrows():
        c = claim(cid)
        txt = (f"Figure 4's forest plots (the trials and their counts) are not in the public text; the CI's "
               f"log-scale midpoint is {r['log_midpoint_rr']:.3f} (range {r['mid_low']:.3f}–{r['mid_high']:.3f}; "
               f"printed RR {c['estimate']:g}) and the CI implies P = {r['p_implied']:.2g} (range "
               f"{r['p_low']:.2g}–{r['p_high']:.2g}; printed {c['p_text']})")
        if cid == "ae.nausea.rr":
            txt += (f"; Table 2 puts {int(g['ketamine_n'])} and {int(g['placebo_n'])} patients in this pool "
                    "(Sigtermans + Schwartzman + Eichenberger with its saline arm as 10 is the only fit)")
        if r["midpoint_ok"] and r["p_ok"]:
            rows.append(row(cid, fmt_like(r["log_midpoint_rr"], cid, decimals=int(c["decimals"]) + 1), r["log_midpoint_rr"], NOT_PUBLISHED,
                            txt + ": consistent", f"{_CHECK}: secondary.ae_ci_checks"))
        else:
            rows.append(row(cid, fmt_like(r["log_midpoint_rr"], cid, decimals=int(c["decimals"]) + 1), r["log_midpoint_rr"], INCONSISTENT,
                            txt + f": the printed P ({c['p_text']}) cannot go with the printed CI",
                            f"{_CHECK}: secondary.ae_ci_checks"))
    t1ae = data.published()
    vom = t1ae[t1ae["claim_id"].str.startswith("table1.ae.") & t1ae["claim_id"].str.contains("vomit")]
    n_vom = len(set(vom["studies"]))
    rows.append(row("ae.vomiting.k", str(n_vom), n_vom, REPRODUCED,
                    f"Table 1 lists vomiting for {n_vom} trial (Sigtermans); read as the pair 'nausea and "
                    "vomiting', as the sentence does (nausea alone was pooled over 3 trials, Table 2)",
                    f"{_CHECK}: Table 1 adverse-effect column"))
    # Table 1's adverse-effect column
    f = data.abstract_facts().set_index("fact_id")
    comp = f.loc["schwartzman2009.composite_ae"]
    comp_c = int(comp["count"])
    # the same quotation prints the control arm too ("4/9 vs 2/10")
    mm = re.search(r"(\d+)\s*/\s*(\d+)\s*vs\.?\s*(\d+)\s*/\s*(\d+)", str(comp["printed"]))
    if mm is None or int(mm.group(1)) != comp_c:
        raise ValueError("abstract_facts: schwartzman2009.composite_ae no longer prints 'a/n vs c/m'")
    comp_ctrl = int(mm.group(3))
    rows.append(row("table1.ae.schwartzman.composite", str(comp_c + comp_ctrl), comp_c + comp_ctrl, ASSUMED,
                    f"a secondary quotation of the trial gives any of nausea, headache, tiredness or dysphoria in "
                    f"{comp['printed']} (ketamine vs placebo); 6 = {comp_c} + {comp_ctrl} if Table 1's n counts both "
                    "arms (Table 1 files it under the ketamine group)", f"{_CHECK}: abstract_facts schwartzman2009.composite_ae"))
    dens = secondary.psychotomimetic_denominators()
    k76 = dens[dens["arm"] == "ketamine"]
    k18 = dens[dens["arm"] == "control"]
    rows.append(row("table1.ae.sigtermans.psychotomimetic", "", None, NOT_PUBLISHED,
                    "Table 1 does not say which arm the 23 belong to; the trial abstract gives 76% vs 18%: 23/30 "
                    f"would print 77%, and with at most 30 per arm 76% needs "
                    f"{', '.join(f'{a}/{b}' for a, b in zip(k76['count'], k76['n']))} and 18% needs "
                    f"{', '.join(f'{a}/{b}' for a, b in zip(k18['count'], k18['n']))}, so the analysed numbers "
                    "differ from Table 1's arms; the counts cannot be rebuilt", f"{_CHECK}: secondary.psychotomimetic_denominators"))
    for cid, why in (
        ("table1.ae.sigtermans.nausea", "Sigtermans' abstract gives no nausea count, and Table 1 does not say the arm"),
        ("table1.ae.sigtermans.vomiting", "Sigtermans' abstract gives no vomiting count, and Table 1 does not say the arm"),
        ("table1.ae.sigtermans.headache", "Sigtermans' abstract gives no headache count, and Table 1 does not say the arm"),
        ("table1.ae.amr.delusions", "the Amr abstract says only that no side effect required intervention"),
        ("table1.ae.amr.hr_increase", "the Amr abstract says only that no side effect required intervention"),
        ("table1.ae.eichenberger.deep_sedation", "the Eichenberger abstract gives no adverse-effect counts"),
        ("table1.ae.eichenberger.sedation", "the Eichenberger abstract gives no adverse-effect counts"),
        ("table1.ae.eichenberger.perceptual", "the Eichenberger abstract gives no adverse-effect counts"),
        ("table1.ae.mitchell.emotional", "the Mitchell abstract gives no adverse-effect counts"),
    ):
        rows.append(row(cid, "", None, NOT_PUBLISHED, f"{why}; only the trial's full text could confirm it",
                        f"{_CHECK}: abstract_facts"))
    return rows


def checks() -> pd.DataFrame:
    """Scorecard rows of the time-course, responder and adverse-effect claims."""
    return frame(_time_rows() + _responder_rows() + _ae_rows())


def claim_ids() -> list[str]:
    """The claim ids this module covers."""
    return list(checks()["claim_id"])
