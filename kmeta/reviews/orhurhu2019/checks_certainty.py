"""Claim-by-claim checks of Orhurhu et al. 2019: GRADE (Table 2) and the sample-size paragraph.

Covers Table 2 (its study and patient counts, the responder percentages, footnotes a
and c–h; footnote b belongs to the primary-outcome checks), the Methods' sample-size
calculation and its significance threshold.

:func:`checks` returns the scorecard rows (see :mod:`._checkrows`).
"""
from __future__ import annotations

import itertools

import pandas as pd

from kmeta.forensics import q_interval_from_i2

from . import certainty, secondary
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
    q_pvalue,
    row,
)

__all__ = ["checks", "claim_ids", "arm_subsets"]

_CHECK = "kmeta.reviews.orhurhu2019.checks_certainty"


def _refs(studies) -> str:
    t = data.trials()
    return ", ".join(str(int(t.loc[s, "ref"])) for s in studies)


def arm_subsets(n_ketamine: int, n_placebo: int, sizes=(2, 3, 4, 5, 6, 7)) -> pd.DataFrame:
    """Subsets of the seven trials whose Table 1 arms add up to the given patient counts.

    Eichenberger's saline arm is tried as 20 (Table 1) and as 10. Returns one row per
    matching subset: ``studies`` (``;``-joined), ``k`` and ``eichenberger_saline``.
    """
    t = data.trials()
    rows = []
    for k in sizes:
        for sub in itertools.combinations(t.index, k):
            for e in ((10, 20) if "eichenberger2008" in sub else (None,)):
                n1 = sum(int(t.loc[s, "n_ketamine"]) for s in sub)
                n2 = sum((e if s == "eichenberger2008" else int(t.loc[s, "n_control"])) for s in sub)
                if (n1, n2) == (int(n_ketamine), int(n_placebo)):
                    rows.append({"studies": ";".join(sub), "k": k, "eichenberger_saline": e})
    return pd.DataFrame(rows, columns=["studies", "k", "eichenberger_saline"])


def _table2_rows():
    rows = []
    t = data.trials()
    g = data.grade().set_index("outcome_id")
    w = data.risk_of_bias(wide=True)
    prim = list(t.index[t["in_primary"].astype(bool)])
    # --- primary row
    rows.append(row("table2.primary.k", str(len(prim)), len(prim), ASSUMED,
                    f"the cell is empty in the text we have; the primary pool has {len(prim)} trials (Results, refs "
                    f"{_refs(prim)}), assuming the empty cell stands for that number", f"{_CHECK}: trial sets"))
    n1_prim = int(t.loc[prim, "n_ketamine"].sum())
    n2_20 = int(t.loc[prim, "n_control"].sum())
    n2_10 = n2_20 - 10
    subs = arm_subsets(int(g.loc["primary", "ketamine_n"]), int(g.loc["primary", "placebo_n"]))
    for cid, v in (("table2.primary.n_ketamine", n1_prim), ("table2.primary.n_placebo", n2_10)):
        rows.append(row(cid, str(v), v, INCONSISTENT,
                        f"Table 1's arms of the six primary trials add up to {n1_prim} ketamine and {n2_20} "
                        f"comparator patients ({n2_10} with Eichenberger's saline arm as 10, as the review's other "
                        f"totals count it), not {int(g.loc['primary', 'ketamine_n'])}/"
                        f"{int(g.loc['primary', 'placebo_n'])}; no subset of the seven trials gives those totals "
                        f"({len(subs)} found), while the 2-week, responder and nausea rows of the same table do "
                        "equal Table 1 sums; Figure 3, which might show analysed numbers, is not public",
                        f"{_CHECK}: arm_subsets"))
    # --- responders row
    resp = list(t.index[t["in_responder_analysis"].astype(bool)])
    rows.append(row("table2.responders.k", str(len(resp)), len(resp), REPRODUCED,
                    f"the responder analysis pools refs {_refs(resp)}", f"{_CHECK}: trial sets"))
    e1, n1 = int(g.loc["responders", "ketamine_events"]), int(g.loc["responders", "ketamine_n"])
    e2, n2 = int(g.loc["responders", "placebo_events"]), int(g.loc["responders", "placebo_n"])
    arms10 = secondary.responder_arms(10)
    arms20 = secondary.responder_arms(20)
    ok1 = int(arms10["n1"].sum()) == n1
    rows.append(row("table2.responders.ketamine", fmt(100 * e1 / n1, 1), 100 * e1 / n1, INCONSISTENT,
                    f"{e1}/{n1} = {100 * e1 / n1:.2f}%, printed 51.3% beside it; the denominator is Table 1's "
                    f"ketamine arms ({' + '.join(str(x) for x in arms10['n1'])} = {int(arms10['n1'].sum())}"
                    f"{'' if ok1 else ', not ' + str(n1)})", f"{_CHECK}: arithmetic"))
    rows.append(row("table2.responders.placebo", fmt(100 * e2 / n2, 1), 100 * e2 / n2, ASSUMED,
                    f"{e2}/{n2} = {100 * e2 / n2:.2f}%; {n2} = {' + '.join(str(x) for x in arms10['n2'])} only with "
                    f"Eichenberger's saline arm as 10 (Table 1 prints 20, which would give {int(arms20['n2'].sum())})",
                    f"{_CHECK}: arithmetic"))
    rows.append(row("table2.fn_e.patients", str(n1 + n2), n1 + n2, REPRODUCED,
                    f"{n1} + {n2} patients in the same row", f"{_CHECK}: arithmetic"))
    rows.append(row("table2.fn_e.events", str(e1 + e2), e1 + e2, REPRODUCED,
                    f"{e1} + {e2} responders in the same row", f"{_CHECK}: arithmetic"))
    # --- 2-week row
    wk2 = data.studies_of(claim("time.wk2.md")["studies"])
    rows.append(row("table2.wk2.k", str(len(wk2)), len(wk2), REPRODUCED,
                    f"the 2-week pool has refs {_refs(wk2)}", f"{_CHECK}: trial sets"))
    for cid, col, arm in (("table2.wk2.n_ketamine", "n_ketamine", "ketamine"), ("table2.wk2.n_placebo", "n_control", "control")):
        v = int(t.loc[wk2, col].sum())
        rows.append(row(cid, str(v), v, REPRODUCED,
                        f"Table 1's {arm} arms of refs {_refs(wk2)}: {' + '.join(str(int(x)) for x in t.loc[wk2, col])} = {v}",
                        f"{_CHECK}: Table 1 sums"))
    # --- nausea row
    ns = arm_subsets(int(g.loc["nausea", "ketamine_n"]), int(g.loc["nausea", "placebo_n"]))
    if len(ns) == 1:
        sub = ns.iloc[0]["studies"].split(";")
        e = ns.iloc[0]["eichenberger_saline"]
        fit = (f"the only subset of the seven trials whose Table 1 arms add up to {int(g.loc['nausea', 'ketamine_n'])}"
               f"/{int(g.loc['nausea', 'placebo_n'])} is refs {_refs(sub)}"
               f"{'' if pd.isna(e) else f' with Eichenberger saline arm as {int(e)}'}")
        pub = data.published()
        ae = pub[pub["claim_id"].str.startswith("table1.ae.") & pub["printed"].str.contains("nausea", case=False)]
        t1_nausea = [s for s in data.STUDIES if s in set(ae["studies"])]
        rows.append(row("table2.nausea.k", str(len(sub)), len(sub), ASSUMED,
                        f"the trials are not named; {fit}; of these Table 1 reports nausea only for refs "
                        f"{_refs(t1_nausea)} (Schwartzman within a composite)", f"{_CHECK}: arm_subsets"))
        for cid, col in (("table2.nausea.n_ketamine", "ketamine_n"), ("table2.nausea.n_placebo", "placebo_n")):
            v = int(g.loc["nausea", col])
            rows.append(row(cid, str(v), v, ASSUMED, f"{fit}, assuming those are the three trials pooled",
                            f"{_CHECK}: arm_subsets"))
    else:
        for cid in ("table2.nausea.k", "table2.nausea.n_ketamine", "table2.nausea.n_placebo"):
            rows.append(row(cid, "", None, NOT_PUBLISHED,
                            f"the trials are not named and {len(ns)} subsets of Table 1 fit the patient counts",
                            f"{_CHECK}: arm_subsets"))
        sub = []
    # --- footnotes
    high = list(w.index[w["overall"] == "high"])
    hp = [s for s in prim if s in high]
    rows.append(row("table2.fn_a.rob_high", str(len(hp)), len(hp), REPRODUCED,
                    f"Figure 2 rates {len(hp)} of the primary trials high overall (refs {_refs(hp)}); but the "
                    "footnote's reason (inadequate randomisation and allocation concealment) contradicts Figure 2, "
                    f"which rates both low for refs {_refs([s for s in hp if w.loc[s, 'random_sequence'] == 'low' and w.loc[s, 'allocation_concealment'] == 'low'])}",
                    f"{_CHECK}: Figure 2"))
    hr = [s for s in resp if s in high]
    rows.append(row("table2.fn_c.rob_high", str(len(hr)), len(hr), INCONSISTENT,
                    f"of the responder trials (refs {_refs(resp)}) Figure 2 rates {len(hr)} high overall (ref "
                    f"{_refs(hr)}), and none high for detection or attrition bias, the footnote's stated reasons",
                    f"{_CHECK}: Figure 2"))
    rows.append(row("table2.fn_d.k", str(len(resp)), len(resp), REPRODUCED,
                    f"the responder row has {len(resp)} trials, all of which the footnote describes; it is attached "
                    "to a 'not serious' inconsistency rating, which the footnote's wording does not explain",
                    f"{_CHECK}: trial sets"))
    h2 = [s for s in wk2 if s in high]
    hn = [s for s in sub if s in high]
    rows.append(row("table2.fn_f.rob_high", str(len(h2)), len(h2), INCONSISTENT,
                    f"footnote f serves the 2-week and nausea rows; of the 2-week trials (refs {_refs(wk2)}) Figure 2 "
                    f"rates {len(h2)} high overall (refs {_refs(h2)}), not one; for the nausea trials inferred above "
                    f"({_refs(sub)}) it would be {len(hn)}", f"{_CHECK}: Figure 2"))
    rows.append(row("table2.fn_g.nonoverlap", "", None, NOT_PUBLISHED,
                    "whether two trials' CIs fail to overlap at 2 weeks needs the trial-level results of "
                    "Supplemental Figure 5, which are not public", f"{_CHECK}: forest plot not public"))
    q_hi = q_interval_from_i2(claim("time.wk2.md")["i2"], len(wk2) - 1).q_high
    pmin = q_pvalue(q_hi, len(wk2) - 1)
    rows.append(row("table2.fn_g.p", "", None, INCONSISTENT,
                    f"the 2-week pool prints I² = 0.0% with {len(wk2)} trials, so Q ≤ {q_hi:.2f} and the "
                    f"heterogeneity P is at least {pmin:.2f}; P = .02 cannot belong to that pool",
                    f"{_CHECK}: kmeta.forensics.q_interval_from_i2"))
    rows.append(row("table2.fn_h.k", str(int(g.loc["nausea", "n_studies"])), int(g.loc["nausea", "n_studies"]),
                    INCONSISTENT,
                    f"'both trials' for a row of {int(g.loc['nausea', 'n_studies'])} studies; a possible reading is "
                    "that only two of the three had nausea events (Table 1 reports nausea for two), but the "
                    "footnote does not say so", f"{_CHECK}: passages compared"))
    return rows


def _samplesize_rows():
    rows = []
    ss = certainty.samplesize_table()
    one, onehalf = ss.iloc[0], ss.iloc[1]   # delta = 1 and 1.5
    reversed_ok = int(one["n_t"]) == int(onehalf["printed_respectively"])  # 86 belongs to 1 point
    rows.append(row("methods.samplesize.n2", str(int(one["n_t"])), one["n_t"], ASSUMED if reversed_ok else INCONSISTENT,
                    f"the sentence pairs 86 with 1.5 points ('respectively'), but 86 is what a 1-point difference "
                    f"needs: the exact two-sample t-test calculation gives {int(one['n_t'])} per group for 1 point "
                    f"(normal approximation {one['n_normal_exact']:.2f} → {int(one['n_normal'])}) and "
                    f"{int(onehalf['n_t'])} for 1.5 points; so 86 is reproduced if the order is reversed",
                    f"{_CHECK}: certainty.samplesize_table (kmeta.power.n_two_means)"))
    rows.append(row("methods.samplesize.n1", str(int(onehalf["n_t"])), onehalf["n_t"], INCONSISTENT,
                    f"'respectively' pairs 40 with a 1-point difference, which needs {int(one['n_t'])}; read with the "
                    f"1.5-point difference, the printed inputs give {int(onehalf['n_t'])} per group (t-test; normal "
                    f"approximation {onehalf['n_normal_exact']:.2f} → {int(onehalf['n_normal'])}), not 40; the t "
                    "calculation that reproduces 86 does not give 40, so no single method yields both figures",
                    f"{_CHECK}: certainty.samplesize_table (kmeta.power.n_two_means)"))
    for cid, what in (("methods.samplesize.diff1", "the 1-point difference"), ("methods.samplesize.sd", "the SD of 2.0"),
                      ("methods.samplesize.alpha", "α = 5% (two-sided)"), ("methods.samplesize.beta", "β = 10%")):
        v = float(claim(cid)["value"])
        rows.append(row(cid, fmt_like(v, cid), v, REPRODUCED,
                        f"an input of the calculation; with {what} and the other printed inputs the t-test "
                        f"calculation gives {int(one['n_t'])} per group for 1 point, the printed 86, so the inputs "
                        "are consistent with an output (the pairing aside)", f"{_CHECK}: certainty.samplesize_table"))
    v = float(claim("methods.samplesize.diff2")["value"])
    rows.append(row("methods.samplesize.diff2", f"{v:g}", v, ASSUMED,
                    f"an input; with 1.5 points the calculation gives {int(onehalf['n_t'])} per group (t) or "
                    f"{int(onehalf['n_normal'])} (normal), one or two short of the printed 40; assumed to be the "
                    "difference the 40 was meant for", f"{_CHECK}: certainty.samplesize_table"))
    rows.append(row("methods.p_threshold", "", None, NOT_PUBLISHED,
                    "a statement of method with nothing to recompute; it agrees with the sample-size "
                    "paragraph's 5% type I error, though the time-course summary applies it inconsistently "
                    "(see time.summary)", f"{_CHECK}: statement of method"))
    return rows


def checks() -> pd.DataFrame:
    """Scorecard rows of the GRADE and sample-size claims."""
    return frame(_table2_rows() + _samplesize_rows())


def claim_ids() -> list[str]:
    """The claim ids this module covers."""
    return list(checks()["claim_id"])
