"""A one-page web summary of Orhurhu et al. 2019 (seed 003), checked against the paper.

Bibliography key ``orhurhu2019summary``. The page has a three-part summary ("Why?",
"What?", "The underlying problem"), the citation and the PubMed abstract.

* :func:`statements` -- each statement as printed, with the place in the paper it reports;
* :func:`fidelity` -- a verdict per statement (``faithful``, ``faithful to the paper's
  conclusion, not its results``, ``overstated``, ``not in the paper``, ``commentary``,
  ``altered``) with the reason, numbers computed from the book's re-derivations
  (:func:`kmeta.reviews.clinsummary.evidence`).
"""
from __future__ import annotations

import pandas as pd

from ._provenance import check_provenance, read_csv, typed

__all__ = ["FIDELITY", "statements", "fidelity"]

#: Fidelity verdicts and their meaning.
FIDELITY: dict[str, str] = {
    "faithful": "says what the paper says",
    "faithful to the conclusion, not the results": "repeats the paper's own conclusion, which its results do not bear out",
    "overstated": "stronger than the paper",
    "not in the paper": "a statement the paper does not make (it may still be true)",
    "commentary": "the summariser's own judgement, consistent with the paper",
    "altered": "the reproduced text differs from the paper",
}


def statements() -> pd.DataFrame:
    """The summary's statements (index ``statement_id``): ``part``, ``printed``,
    ``paper_location``, ``source``, ``location``, ``kind``, ``note``."""
    df = read_csv("orhurhu2019summary", "statements.csv")
    check_provenance(df, ["part", "printed", "paper_location"], "orhurhu2019summary/statements.csv")
    return typed(df).set_index("statement_id")


def fidelity(ev: dict | None = None) -> pd.DataFrame:
    """One fidelity verdict per statement, with the reason.

    Parameters
    ----------
    ev : dict, optional
        Output of :func:`kmeta.reviews.clinsummary.evidence` (computed if not given).
    """
    from . import clinsummary

    e = clinsummary.evidence() if ev is None else ev
    V = {
        "why_uncertain": ("faithful", "The abstract's background says the long-term impact remains uncertain."),
        "why_growth": ("faithful", "The introduction describes use that has 'skyrocketed' and a postulated action by "
                       "reversing central sensitisation."),
        "what_two_weeks": ("faithful", "The abstract's wording; the pool itself is of each trial's lowest pain score between "
                           f"48 h and 2 weeks (re-derived MD {e['primary_est']:.2f})."),
        "what_long_term": ("faithful", f"4- and 12-week pools not significant (P = {e['wk4_p']:.3f}, {e['wk12_p']:.3f}); the "
                           "paper's own summary also calls 8 weeks significant, on an interval that is internally inconsistent."),
        "what_dose_response": ("faithful to the conclusion, not the results",
                               f"The paper's meta-regression gives P = {e['dose_metareg_p']:.3f} for high vs low dose and a "
                               f"re-derived subgroup test p = {e['dose_diff_p']:.2f}; its conclusion nevertheless speaks of "
                               "'some evidence of a dose-response relationship', which the summary repeats as 'appears'."),
        "problem_perioperative": ("not in the paper", "The paper excluded perioperative studies at screening but makes no "
                                  "statement about where most research is."),
        "problem_small_trials": ("faithful", f"Median trial size {e['median_n']:.0f}; the paper names the lack of standardisation; "
                                 f"high risk of bias in {e['n_rob_high_abstract']} of 7 trials by its abstract "
                                 f"({e['n_rob_high_fig2']} by its Figure 2). 'Universally' is the summary's word."),
        "problem_no_clarity": ("commentary", "The summariser's judgement; consistent with the paper's call for larger trials "
                               "with longer follow-up."),
        "problem_case_by_case": ("faithful", "The paper recommends use 'on a case-by-case basis' (weak recommendation, low "
                                 "evidence); the summary leaves out that it recommends it as a primary analgesic."),
        "citation": ("faithful", "Journal, year, volume and pages agree."),
        "abstract_classes": ("altered", "The reproduced abstract reads 'nociplastic or nociceptive' where the paper's abstract "
                             "prints 'nociceptive or nociceptive'; the page's version agrees with the paper's Results, so it "
                             "corrects a typo."),
        "abstract_i2": ("altered", "I² has lost its superscript ('I = 0.0%'): a rendering loss, not a change of meaning."),
        "abstract_rest": ("faithful", "Otherwise word for word."),
    }
    st = statements()
    rows = [{"statement_id": sid, "part": r["part"], "verdict": V[sid][0], "reason": V[sid][1]}
            for sid, r in st.iterrows()]
    out = pd.DataFrame(rows).set_index("statement_id")
    bad = set(out["verdict"]) - set(FIDELITY)
    if bad:  # pragma: no cover
        raise ValueError(f"verdict: unknown values {sorted(bad)}")
    return out
