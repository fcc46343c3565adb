"""The undated clinical web summary on IV ketamine for chronic pain (seed 001), checked claim by claim.

Bibliography key ``clinsummary``. The page cites numbered sources 1–6 but our copy has no
reference list; :func:`cited_sources` records which we could identify (1 = Orhurhu et al.
2019 and 4 = Zhao et al. 2018, by matching numbers).

* :func:`claims` -- every claim as printed, with the source numbers it cites;
* :func:`evidence` -- the numbers this book re-derives that bear on the claims (the
  reconstructed Orhurhu trial inputs re-pooled, the review's printed pools, the dose
  arithmetic, Zhao's abstract);
* :func:`verdicts` -- one verdict per claim (``supported``, ``overstated``,
  ``unsupported``, ``not checkable here``) with the reason, its numbers computed from
  :func:`evidence`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._provenance import check_provenance, read_csv, typed

__all__ = ["VERDICTS", "claims", "cited_sources", "evidence", "verdicts"]

#: The verdicts used, with their meaning.
VERDICTS: dict[str, str] = {
    "supported": "the evidence re-derived here agrees with the claim as worded",
    "overstated": "the evidence points the same way but is weaker than the wording",
    "unsupported": "the evidence here contradicts the claim or does not back it",
    "not checkable here": "the cited source is not identified, or the claim needs evidence this book does not hold",
}


def claims() -> pd.DataFrame:
    """Every claim of the summary as printed (index ``claim_id``): ``section``, ``printed``,
    ``cites`` (the page's own source numbers), ``source``, ``location``, ``kind``, ``note``."""
    df = read_csv("clinsummary", "claims.csv")
    check_provenance(df, ["printed", "cites"], "clinsummary/claims.csv")
    return typed(df).set_index("claim_id")


def cited_sources() -> pd.DataFrame:
    """The page's source numbers and what we could identify them as (index ``ref``)."""
    df = read_csv("clinsummary", "cited_sources.csv")
    check_provenance(df, ["identified_as", "basis"], "clinsummary/cited_sources.csv")
    return typed(df).set_index("ref")


def _pool(yi, sei):
    from .. import meta
    r = meta(np.asarray(yi, float), sei=np.asarray(sei, float), method="DL")
    return r


def evidence() -> dict:
    """Numbers re-derived in this book that bear on the summary's claims.

    Keys (all plain Python numbers): ``primary_est``, ``primary_lo``, ``primary_hi``,
    ``primary_p``, ``primary_i2`` (DerSimonian–Laird pool of the six reconstructed trial
    inputs); ``high_est``, ``low_est``, ``dose_diff``, ``dose_diff_p`` (high- vs low-dose
    subgroup pools and a z-test of their difference); ``dose_metareg_p`` (printed);
    ``wk12_est``, ``wk12_p`` (printed 12-week pool); ``resp_*`` (Table 2 responder counts and
    the crude risk ratio); ``n_rob_high_fig2``, ``n_rob_high_abstract``; ``median_n``;
    ``adjunct_p``, ``paintype_p`` (printed meta-regressions); ``eichenberger_*``,
    ``noppers_*``, ``mitchell_*`` (reconstructed trial MDs and 95% CIs); ``max_total_mg``,
    ``sigtermans_course_mg``, ``max_trial_rate``; ``zhao_matches`` (bool).
    """
    from .. import dosing
    from . import orhurhu2019, zhao2018

    pub = orhurhu2019.published().set_index("claim_id")
    tr = orhurhu2019.trials()
    rec = orhurhu2019.reconstruct().set_index("study")
    ev: dict = {}
    r = _pool(rec["yi"], rec["sei"])
    ev.update(primary_est=r.estimate, primary_lo=r.ci_low, primary_hi=r.ci_high, primary_p=r.pval, primary_i2=r.i2)
    groups = tr.loc[rec.index, "dose_group"]
    hi = _pool(rec.loc[groups == "high", "yi"], rec.loc[groups == "high", "sei"])
    lo = _pool(rec.loc[groups == "low", "yi"], rec.loc[groups == "low", "sei"])
    diff = hi.estimate - lo.estimate
    se = float(np.hypot(hi.se, lo.se))
    ev.update(high_est=hi.estimate, low_est=lo.estimate, dose_diff=diff,
              dose_diff_p=float(2 * stats.norm.sf(abs(diff / se))),
              dose_metareg_p=float(pub.loc["metareg.dose.p", "p_value"]),
              n_high=int((groups == "high").sum()), n_low=int((groups == "low").sum()))
    ev.update(wk12_est=float(pub.loc["time.wk12.md", "estimate"]), wk12_p=float(pub.loc["time.wk12.md", "p_value"]),
              wk4_p=float(pub.loc["time.wk4.md", "p_value"]), wk12_k=int(pub.loc["time.wk12.k", "count"]))
    k_ev, k_n = int(pub.loc["table2.responders.ketamine", "count"]), 33
    p_ev, p_n = int(pub.loc["table2.responders.placebo", "count"]), 31
    ev.update(resp_k_events=k_ev, resp_k_n=k_n, resp_p_events=p_ev, resp_p_n=p_n,
              resp_crude_rr=(k_ev / k_n) / (p_ev / p_n), resp_events=k_ev + p_ev, resp_patients=k_n + p_n,
              resp_rr=float(pub.loc["responders.rr", "estimate"]))
    rob = orhurhu2019.risk_of_bias(wide=True)["overall"]
    ev.update(n_rob_high_fig2=int((rob == "high").sum()), n_rob_high_abstract=int(pub.loc["abstract.rob_high", "count"]),
              median_n=float(pub.loc["results.sample_size.median", "value"]),
              adjunct_p=float(pub.loc["metareg.adjunct.p", "p_value"]),
              paintype_p=float(pub.loc["metareg.paintype.p", "p_value"]))
    for s in ("eichenberger2008", "noppers2011", "mitchell2002"):
        y, e = float(rec.loc[s, "yi"]), float(rec.loc[s, "sei"])
        short = s[:-4]
        ev.update({f"{short}_md": y, f"{short}_lo": y - 1.959963984540054 * e, f"{short}_hi": y + 1.959963984540054 * e})
    conv = dosing.convert_statements().set_index("statement_id")
    ev.update(max_total_mg=float(conv.loc["clinsummary.max_total", "mg_high"]),
              sigtermans_course_mg=float(conv.loc["orhurhu2019.table1_sigtermans_mean", "course_mg_high"]),
              max_trial_rate=float(conv.loc["orhurhu2019.table1_sigtermans_max", "value_high"]))
    z = zhao2018.published()
    ev["zhao_matches"] = bool(
        (z.loc["clinsummary.immediate.rate", ["estimate", "ci_low", "ci_high"]].to_numpy()
         == z.loc["zhao.immediate.rate", ["estimate", "ci_low", "ci_high"]].to_numpy()).all()
        and (z.loc["clinsummary.followup.rate", ["estimate", "ci_low", "ci_high"]].to_numpy()
             == z.loc["zhao.followup.rate", ["estimate", "ci_low", "ci_high"]].to_numpy()).all())
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ev.items()}


def verdicts(ev: dict | None = None) -> pd.DataFrame:
    """One verdict per claim, with the reason (numbers formatted from ``ev``).

    Parameters
    ----------
    ev : dict, optional
        Output of :func:`evidence` (computed if not given).

    Returns
    -------
    DataFrame
        Index ``claim_id``; columns ``section``, ``cites``, ``cited_source`` (what the
        page's numbers were identified as), ``verdict`` (one of :data:`VERDICTS`) and
        ``reason``.
    """
    ev = evidence() if ev is None else ev
    e = ev
    ci = lambda a, b, c: f"{a:.2f} ({b:.2f} to {c:.2f})"  # noqa: E731
    nc2 = "source 2 is not identified (it is not the 2016 practice review)"
    nc3 = "source 3 is not identified"
    V = {
        "short_term_benefit": ("supported",
            f"Re-pooling the six reconstructed trial inputs gives MD {ci(e['primary_est'], e['primary_lo'], e['primary_hi'])}, "
            f"p = {e['primary_p']:.1g}; the 4- and 12-week pools are not significant (P = {e['wk4_p']:.3f}, {e['wk12_p']:.3f})."),
        "third_line": ("unsupported",
            "Source 1 does not call ketamine third-line: it recommends case-by-case use as a primary analgesic in refractory "
            "pain (weak recommendation, low-quality evidence). 'Third line' is Hocking and Cousins' phrase (2003), quoted in "
            "the 2016 practice review."),
        "dose_bolus": ("not checkable here", nc2 + "; no trial in Orhurhu et al. used a bolus."),
        "dose_maintenance": ("not checkable here",
            nc2 + f"; the range lies above every trial rate in Orhurhu et al.'s Table 1 (highest {e['max_trial_rate']:.2f} mg/kg/h) "
            "and starts at the 2016 protocol's maximum."),
        "dose_postsurgical": ("supported", "The unit conversion is right: 1-2 µg/kg/min x 60 / 1000 = 0.06-0.12 mg/kg/h."),
        "dose_pca": ("not checkable here", nc2 + "; no IV-PCA trial is in the reviews checked here."),
        "dose_max_total": ("unsupported",
            f"1 mg/kg is {e['max_total_mg']:.0f} mg at 70 kg; the trials with effects beyond 48 h gave far more "
            f"(Sigtermans {e['sigtermans_course_mg']:.0f} mg, {e['sigtermans_course_mg'] / e['max_total_mg']:.0f} times as much)."),
        "neuropathic_moderate": ("not checkable here",
            nc2 + f"; in Orhurhu et al. the neuropathic/mixed and non-neuropathic subgroups did not differ (meta-regression P = {e['paintype_p']:.3f})."),
        "plp_phn": ("not checkable here",
            nc3 + f"; the one phantom-limb trial in Orhurhu et al. (Eichenberger) shows no significant effect at 48 h: "
            f"reconstructed MD {ci(e['eichenberger_md'], e['eichenberger_lo'], e['eichenberger_hi'])}."),
        "nonspecific_neuropathic": ("not checkable here", nc3 + "."),
        "crps_immediate": ("supported" if e["zhao_matches"] else "unsupported",
            "Quoted exactly from Zhao et al.'s abstract; note it is an uncontrolled event rate (before-after), not an effect against placebo."),
        "crps_followup": ("supported" if e["zhao_matches"] else "unsupported",
            "Quoted exactly from Zhao et al.'s abstract; same caveat: no control group."),
        "crps_epidural": ("not checkable here", nc3 + "."),
        "fibromyalgia_level2": ("not checkable here",
            nc3 + f"; the fibromyalgia trial in Orhurhu et al. (Noppers) shows no significant effect at 1 week: "
            f"reconstructed MD {ci(e['noppers_md'], e['noppers_lo'], e['noppers_hi'])}."),
        "fibromyalgia_cases": ("not checkable here", "Source 5 is not identified; case reports cannot establish efficacy."),
        "central_pain": ("not checkable here", nc3 + "."),
        "ischaemic_pain": ("not checkable here",
            nc3 + f"; the limb-ischaemia trial in Orhurhu et al. (Mitchell) is positive at 5 days: reconstructed MD "
            f"{ci(e['mitchell_md'], e['mitchell_lo'], e['mitchell_hi'])}; dose-dependence is not testable with one dose."),
        "two_weeks": ("overstated",
            f"The numbers are the abstract's and re-derive ({ci(e['primary_est'], e['primary_lo'], e['primary_hi'])}), but the pool "
            "is of each trial's *lowest* pain score between 48 h and 2 weeks, not an effect lasting 2 weeks."),
        "beyond_3_months": ("supported",
            f"Orhurhu et al.'s 12-week pool is small and not significant (MD {e['wk12_est']:.2f}, P = {e['wk12_p']:.3f}, {e['wk12_k']} trials)."),
        "responders": ("overstated",
            f"The numbers are the abstract's; they rest on {e['resp_events']} responders among {e['resp_patients']} patients "
            f"({e['resp_k_events']}/{e['resp_k_n']} vs {e['resp_p_events']}/{e['resp_p_n']}, crude RR {e['resp_crude_rr']:.2f}), "
            "mix 30% and 50% thresholds and were graded low certainty."),
        "multimodal": ("not checkable here",
            nc2 + f"; in Orhurhu et al. trials with and without analgesic adjuncts did not differ (meta-regression P = {e['adjunct_p']:.3f})."),
        "opioid_adjuvant": ("not checkable here", "Source 6 is not identified."),
        "paracetamol_nsaid": ("not checkable here", nc2 + "."),
        "contraindications": ("not checkable here", nc2 + "; not an efficacy claim."),
        "monitoring": ("not checkable here", nc2 + "; not an efficacy claim."),
        "third_line_again": ("not checkable here", nc3 + "; the phrase matches Hocking and Cousins (2003) as quoted in the 2016 practice review."),
        "elderly": ("not checkable here", nc2 + "; none of the reviewed trials compared age groups with opioids."),
        "dose_response": ("overstated",
            f"High- and low-dose pools differ by {e['dose_diff']:.2f} points (re-derived subgroup test p = {e['dose_diff_p']:.2f}; "
            f"the review's meta-regression P = {e['dose_metareg_p']:.3f}): not significant, from {e['n_high']} and {e['n_low']} trials."),
        "limitations": ("supported",
            f"I² = {e['primary_i2']:.1f}% in the re-derived primary pool; median trial size {e['median_n']:.0f}; high risk of bias in "
            f"{e['n_rob_high_fig2']} of 7 trials by Figure 2 ({e['n_rob_high_abstract']} by the abstract)."),
    }
    cl = claims()
    refs = cited_sources()
    rows = []
    for cid, row in cl.iterrows():
        verdict, reason = V[cid]
        ids = [refs.loc[r.strip(), "identified_as"] for r in str(row["cites"]).split(",")]
        rows.append({"claim_id": cid, "section": row["section"], "cites": row["cites"],
                     "cited_source": ", ".join(ids), "verdict": verdict, "reason": reason})
    out = pd.DataFrame(rows).set_index("claim_id")
    bad = set(out["verdict"]) - set(VERDICTS)
    if bad:  # pragma: no cover - guards the table above
        raise ValueError(f"verdict: unknown values {sorted(bad)}")
    return out
