"""The SBU Enquiry Service's 2018 overview of systematic reviews on ketamine for chronic pain.

SBU Enquiry Service. *Ketamine for chronic pain.* Report ut201837 (registration no.
SBU 2018/556), Stockholm 2018 (bibliography key ``sbu2018``). The response lists 15
systematic reviews in three tables (four overviews of reviews; three reviews over
several pain conditions; eight reviews over specific conditions) and quotes each
review's conclusion. It pools nothing.

Loaders (each returns a new :class:`pandas.DataFrame`):

* :func:`reviews` -- one row per listed review, with what SBU says about it and our
  coding of its conclusion; :func:`review_values` gives the same in long form with
  provenance on every value.
* :func:`about` -- what the response says about itself (question, counts, how the
  Enquiry Service works), including the Swedish-language version's preamble.

Analyses: :func:`population_incidence` (review x condition), :func:`population_overlap`
(reviews sharing each condition, with their conclusions) and :func:`overlap_matrix`
(pairs of reviews sharing at least one condition).
"""
from __future__ import annotations

import pandas as pd

from ._provenance import check_provenance, pivot_long, read_csv, typed

__all__ = [
    "FIELDS",
    "CONCLUSION_CODES",
    "review_values",
    "reviews",
    "about",
    "population_incidence",
    "population_overlap",
    "overlap_matrix",
]

_FOLDER = "sbu2018"

#: Columns of :func:`reviews` in order.
FIELDS: tuple[str, ...] = (
    "sbu_ref", "sbu_table", "label", "first_author", "year", "journal", "review_kind",
    "included_printed", "n_included", "included_unit", "n_rct", "n_ketamine_studies",
    "n_iv_studies", "population_printed", "condition_group", "population_tags", "routes",
    "meta_analysis", "risk_of_bias", "evidence_grading", "conclusion_code", "conclusion_reason",
)
_INTS = ("sbu_ref", "sbu_table", "year", "n_included", "n_rct", "n_ketamine_studies", "n_iv_studies")

#: Our codes for the direction of a review's conclusion.
CONCLUSION_CODES: dict[str, str] = {
    "favourable": "concludes that ketamine works for the population, possibly only short-term",
    "inconclusive": "finds the evidence too weak to conclude either way (it may call ketamine promising)",
    "unfavourable": "concludes that ketamine does not work, or that harms outweigh a limited effect",
    "mixed": "reaches different conclusions for different populations, routes or time points",
}


def review_values() -> pd.DataFrame:
    """Every value about the 15 reviews in long form, with provenance.

    Columns
    -------
    review : str
        Bibliography key of the review (``"michelet2018"`` ...).
    field : str
        One of :data:`FIELDS`.
    value : str
        The value as text (missing where SBU's row does not give it; ``note`` says so).
    source, location, kind : str
        ``sbu2018``, the table/row/column or reference number, and ``reported`` (as SBU
        prints it) or ``derived`` (our reading or coding; ``note`` gives the rule).
    note : str
        Our remarks.
    """
    df = read_csv(_FOLDER, "reviews.csv")
    check_provenance(df, ["value"], "sbu2018/reviews.csv")
    return typed(df)


def reviews() -> pd.DataFrame:
    """The 15 reviews SBU lists, one row each, in SBU's order (index: bibliography key).

    Columns
    -------
    sbu_ref : Int64
        Number in SBU's reference list (1-15).
    sbu_table : Int64
        1 (overviews of reviews), 2 (several pain conditions) or 3 (specific conditions).
    label, first_author, year, journal : str, str, Int64, str
        As SBU prints them (journal written out).
    review_kind : str
        ``"overview"`` (of systematic reviews) or ``"systematic review"``.
    included_printed : str
        SBU's "Included studies" cell.
    n_included : Int64
        Number of included documents; its unit is ``included_unit`` (systematic reviews
        for the overviews, trials or studies otherwise).
    included_unit : str
        What ``n_included`` counts.
    n_rct, n_ketamine_studies, n_iv_studies : Int64
        Randomized trials, studies of ketamine, studies of IV ketamine, where SBU says.
    population_printed : str
        SBU's "Population" cell.
    condition_group : str
        Our grouping for the evidence map.
    population_tags : str
        ``;``-separated conditions named in the row (our vocabulary).
    routes : str
        ``"IV only"``, ``"any route"``, ``"IV or epidural"`` or ``"not stated"``.
    meta_analysis, risk_of_bias : str
        ``"yes"`` if SBU says the review has one, else ``"not stated"``.
    evidence_grading : str
        ``"GRADE"``, ``"evidence levels"``, ``"evidence grading"`` or ``"not stated"``.
    conclusion_code : str
        Our code of the quoted conclusion, one of :data:`CONCLUSION_CODES`.
    conclusion_reason : str
        Why, in one sentence.
    """
    df = read_csv(_FOLDER, "reviews.csv")
    return pivot_long(df, "review", FIELDS, ints=_INTS)


def about() -> pd.DataFrame:
    """What the response says about itself.

    Columns
    -------
    item : str
        ``question``, ``n_reviews``, ``service_assesses_rob``, ``swedish_quality_not_assessed`` ...
    value : str
        A number or yes/no where the item is one (else missing).
    printed : str
        The printed words (Swedish items in Swedish; ``note`` translates them).
    source, location, kind, note : str
        Provenance and remarks.
    """
    df = read_csv(_FOLDER, "about.csv")
    check_provenance(df, ["value", "printed"], "sbu2018/about.csv")
    return typed(df)


def population_incidence(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Review x condition table of 0/1: which conditions each review covers.

    Parameters
    ----------
    table : DataFrame, optional
        Output of :func:`reviews` (default: load it).

    Returns
    -------
    DataFrame
        Index: review key; columns: conditions (``population_tags``), ordered by how
        many reviews cover them (most first, ties alphabetical).
    """
    t = reviews() if table is None else table
    tags = t["population_tags"].str.split(";")
    rows = {k: {tag: 1 for tag in v} for k, v in tags.items()}
    inc = pd.DataFrame.from_dict(rows, orient="index").fillna(0).astype(int)
    order = sorted(inc.columns, key=lambda c: (-int(inc[c].sum()), c))
    return inc[order].reindex(t.index)


def population_overlap(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each condition: how many reviews cover it, which, and what they concluded.

    Returns
    -------
    DataFrame
        One row per condition (most-covered first) with ``n_reviews``, ``reviews``
        (labels), one count column per conclusion code, and ``years`` (first-last).
    """
    t = reviews() if table is None else table
    inc = population_incidence(t)
    out = []
    for tag in inc.columns:
        keys = inc.index[inc[tag] == 1]
        sub = t.loc[keys]
        row = {"condition": tag, "n_reviews": len(keys),
               "reviews": "; ".join(sub["label"].tolist())}
        for code in CONCLUSION_CODES:
            row[code] = int((sub["conclusion_code"] == code).sum())
        row["years"] = f"{int(sub['year'].min())}–{int(sub['year'].max())}"
        out.append(row)
    return pd.DataFrame(out).set_index("condition")


def overlap_matrix(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Review x review: the number of conditions two reviews share (diagonal: own count)."""
    inc = population_incidence(table)
    m = inc @ inc.T
    return m
