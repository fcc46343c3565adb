"""Orhurhu et al. 2019, *Ketamine infusions for chronic pain* (Anesth Analg 2019;129:241–54), as data.

The review pooled seven randomized trials of IV ketamine for chronic pain
(six in its primary meta-analysis). This module loads what the review printed and
what the trials' own public abstracts say, every value with its provenance:

``source``
    bibliography key (``orhurhu2019`` for the review, ``orhurhu2019summary`` for the
    summary page that reproduces its PubMed abstract, or a trial key such as
    ``sigtermans2009``).
``location``
    table / figure / section (and row, column) where the value is printed.
``kind``
    ``reported`` (printed in the review), ``abstract`` (the trial's own public
    abstract), ``derived`` (computed or inferred by us; the rule is in ``note``),
    ``converted`` (a unit change, e.g. 30 min to 0.5 h) or ``digitised``;
    :func:`abstract_facts` also uses ``registry`` and ``secondary``.

Loaders (each returns a new :class:`pandas.DataFrame`):

* :func:`trials` -- Table 1 and the review's classifications, one row per trial;
  :func:`trial_values` gives the same values in long form with provenance per value.
* :func:`published` -- every numerical claim of the review, exactly as printed.
* :func:`risk_of_bias` -- Figure 2 (trial x domain).
* :func:`grade` and :func:`grade_footnotes` -- Table 2.
* :func:`prisma` -- the study-flow counts of Figure 1 as the Results give them.
* :func:`abstract_facts` -- numbers from the trials' public abstracts.

Helpers: :data:`STUDIES` (study ids in the review's reference order),
:func:`study_of_ref` and :func:`studies_of` (reference numbers and ``;``-lists to ids).

The data files live in ``kmeta/data/orhurhu2019/``; their README describes every column.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = [
    "STUDIES",
    "REFERENCES",
    "KINDS",
    "TRIAL_FIELDS",
    "ROB_DOMAINS",
    "study_of_ref",
    "studies_of",
    "trials",
    "trial_values",
    "published",
    "risk_of_bias",
    "grade",
    "grade_footnotes",
    "prisma",
    "abstract_facts",
    "external_facts",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "orhurhu2019"

#: The review's reference numbers (its ref list, 23–29) and our study ids.
REFERENCES: dict[int, str] = {
    23: "sigtermans2009",
    24: "schwartzman2009",
    25: "salas2012",
    26: "eichenberger2008",
    27: "amr2010",
    28: "noppers2011",
    29: "mitchell2002",
}
#: Study ids in the review's reference order.
STUDIES: tuple[str, ...] = tuple(REFERENCES[r] for r in sorted(REFERENCES))

#: Allowed provenance kinds for the review's own values.
KINDS: frozenset[str] = frozenset({"reported", "abstract", "derived", "converted", "digitised"})

# --------------------------------------------------------------------------- helpers


def study_of_ref(ref: int) -> str:
    """Study id of the review's reference number ``ref`` (23–29)."""
    try:
        return REFERENCES[int(ref)]
    except (KeyError, ValueError, TypeError):
        raise ValueError(
            f"ref: {ref!r} is not one of the review's trial references {sorted(REFERENCES)}"
        ) from None


def studies_of(value) -> list[str]:
    """Split a ``;``-separated ``studies`` cell into a list of ids (empty list if missing)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return []
    return [s for s in str(value).split(";") if s]


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    # keep_default_na=False: an empty cell is "" (missing), and text such as "NA" or
    # "none" stays text; numeric columns are converted by the loaders.
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")


def _blank_to_na(df: pd.DataFrame) -> pd.DataFrame:
    return df.replace("", pd.NA)


def _typed(df: pd.DataFrame, ints=(), floats=(), bools=()) -> pd.DataFrame:
    """Cast columns: ints to Int64, floats to float64, bools to boolean, the rest to str."""
    df = _blank_to_na(df.copy())
    for c in df.columns:
        if c in ints:
            df[c] = pd.to_numeric(df[c]).astype("Int64")
        elif c in floats:
            df[c] = pd.to_numeric(df[c]).astype("float64")
        elif c in bools:
            df[c] = df[c].map({"True": True, "False": False}, na_action="ignore").astype("boolean")
        else:
            df[c] = df[c].astype("str")  # pandas' text dtype; missing stays missing
    return df


# --------------------------------------------------------------------------- trials

#: Fields of :func:`trials` (wide form) with their dtypes.
TRIAL_FIELDS: dict[str, str] = {
    "label": "str", "ref": "Int64", "first_author": "str", "year": "Int64", "citation": "str",
    "table1_row": "Int64", "design": "str", "setting": "str", "condition": "str",
    "n_total": "Int64", "n_ketamine": "Int64", "n_control": "Int64", "other_arms": "str",
    "drug": "str", "comparator": "str", "co_interventions": "str",
    "hours_per_day": "float64", "days": "float64", "infusion_hours_total": "float64",
    "rate": "float64", "rate_unit": "str", "dose_basis": "str", "mean_rate": "float64",
    "rate_range_low": "float64", "rate_range_high": "float64", "max_rate_mg_per_h": "float64",
    "cum_dose_mg_70kg": "float64", "dose_group": "str", "outcome_scale": "str",
    "primary_timepoint": "str", "primary_timepoint_days": "float64", "pain_class": "str",
    "pain_subgroup": "str", "crps": "boolean", "adjunct_analgesic": "boolean",
    "in_primary": "boolean", "in_responder_analysis": "boolean",
    "review_reports_benefit": "boolean", "stopped_early": "boolean",
    "n_female": "Int64", "pct_female": "float64", "age_mean": "float64",
}


def trial_values() -> pd.DataFrame:
    """Every trial-level value in long form, with its provenance.

    Columns
    -------
    study : str
        Study id (``"sigtermans2009"`` ...), see :data:`STUDIES`.
    field : str
        Name of the value; the columns of :func:`trials` (see :data:`TRIAL_FIELDS`).
    value : str
        The value as text (``<NA>`` where no source gives it; ``note`` then says why).
    source, location, kind : str
        Provenance: bibliography key, where it is printed, and how we obtained it
        (one of :data:`KINDS`). Missing exactly when ``value`` is missing.
    note : str
        Our remarks: conversions, judgements, discrepancies with other parts of the review.
    """
    return _typed(_read("trial_values.csv"))


def trials() -> pd.DataFrame:
    """Table 1 of the review and its classification of each trial, one row per trial.

    Rows are in the review's reference order (23–29); the index is the study id.
    Values come from the review (Table 1, Results) unless :func:`trial_values` says
    otherwise (e.g. ``n_female`` from the Sigtermans abstract, ``cum_dose_mg_70kg`` derived).

    Columns
    -------
    label : str
        Display label, e.g. ``"Sigtermans 2009"``.
    ref : Int64
        The review's reference number (23–29).
    first_author, year, citation : str, Int64, str
        From the review's reference list.
    table1_row : Int64
        Position of the trial's row in Table 1 (also its column in Figure 2).
    design : str
        ``"parallel"`` or ``"crossover"`` (only Eichenberger).
    setting : str
        ``"inpatient"`` or ``"outpatient"`` (Table 1).
    condition : str
        The pain condition, shortened from Table 1.
    n_total : Int64
        Patients, Table 1 "Patient Population" column.
    n_ketamine, n_control : Int64
        Arm sizes as Table 1 prints them (Eichenberger: ketamine alone 10, saline 20).
    other_arms : str
        Further arms (Eichenberger's crossover only).
    drug : str
        ``"S(+)-ketamine"`` or ``"racemic"`` (racemic where no isomer is named; derived).
    comparator : str
        Control infusion (normal saline, or midazolam 5 mg for Noppers).
    co_interventions : str
        Treatment given to both arms (``"none"`` if Table 1 lists none).
    hours_per_day, days, infusion_hours_total : float64
        Infusion schedule; Table 1 prints the total for multi-day regimens.
    rate : float64
        The dose printed in Table 1's "Maximum Dose" column, in ``rate_unit``.
    rate_unit : str
        Unit as printed: ``"mg/kg/h"``, ``"mg/kg/d"`` or ``"mg/kg"``.
    dose_basis : str
        ``"rate"`` (per hour or per day) or ``"total"`` (the whole infusion).
    mean_rate, rate_range_low, rate_range_high : float64
        Sigtermans' mean rate and tailoring range (mg/kg/h); missing for the others.
    max_rate_mg_per_h : float64
        Hourly cap in mg where printed (Schwartzman 25, Sigtermans 30).
    cum_dose_mg_70kg : float64
        Cumulative dose for a 70-kg patient (derived; the formula is in the value's note).
    dose_group : str
        ``"high"`` or ``"low"`` as the review assigns it (missing for Salas).
    outcome_scale : str
        Pain scale used for the primary outcome.
    primary_timepoint : str
        Time point marked by Table 1 footnote b, as printed (missing for Salas).
    primary_timepoint_days : float64
        The same in days where it is one time (converted).
    pain_class : str
        ``"neuropathic"``, ``"mixed"``, ``"nociplastic"`` or ``"nociceptive"`` (Results).
    pain_subgroup : str
        ``"neuropathic_or_mixed"`` or ``"nonneuropathic"``, the subgroup analysis.
    crps : boolean
        Complex regional pain syndrome trial.
    adjunct_analgesic : boolean
        Analgesic adjunct by the review's definition (opioids, gabapentin, calcitonin;
        not midazolam or clonidine).
    in_primary : boolean
        Entered the primary meta-analysis (all but Salas).
    in_responder_analysis : boolean
        Entered the responder meta-analysis (Salas, Eichenberger, Noppers).
    review_reports_benefit : boolean
        The review says the trial found lower pain with ketamine (Sigtermans, Amr, Mitchell).
    stopped_early : boolean
        Trial stopped early (Schwartzman, per Table 1).
    n_female, pct_female : Int64, float64
        Women (only Sigtermans' abstract gives this: 48 of 60).
    age_mean : float64
        Mean age; no reachable public source gives it for any trial.
    """
    long = _read("trial_values.csv")
    wide = long.pivot(index="study", columns="field", values="value")
    wide = wide.reindex(index=list(STUDIES), columns=list(TRIAL_FIELDS))
    wide.index.name = "study"
    wide.columns.name = None
    wide = wide.fillna("").reset_index()
    out = _typed(
        wide,
        ints=[c for c, t in TRIAL_FIELDS.items() if t == "Int64"],
        floats=[c for c, t in TRIAL_FIELDS.items() if t == "float64"],
        bools=[c for c, t in TRIAL_FIELDS.items() if t == "boolean"],
    )
    return out.set_index("study")


# --------------------------------------------------------------------------- published claims

_PUBLISHED_FLOATS = ("estimate", "ci_low", "ci_high", "p_value", "i2", "value", "value_low", "value_high")
_PUBLISHED_INTS = ("count", "denominator", "decimals")


def published() -> pd.DataFrame:
    """Every numerical claim printed in the review, exactly as printed.

    One row per claim. Where the review prints the same quantity twice with different
    values, both are rows and ``conflicts_with`` links them.

    Columns
    -------
    claim_id : str
        Stable readable id, e.g. ``"primary.md"``, ``"sub.highdose.md"``, ``"metareg.dose.p"``.
    section : str
        ``abstract``, ``abstract (summary page)``, ``key points``, ``introduction``,
        ``methods``, ``results``, ``discussion``, ``table1`` or ``table2``.
    location : str
        Heading path or table row/column/footnote.
    quantity : str
        What the number is, in words.
    measure : str
        ``MD``, ``RR``, ``P``, ``I2``, ``percent``, ``count``, ``median``, ``threshold``,
        ``dose``, ``duration``, ``date``, ``year`` or ``other``.
    studies : str
        ``;``-separated study ids the claim covers (see ``studies_basis``).
    studies_basis : str
        ``cited`` (reference numbers printed with the claim), ``derived`` (the set is
        inferred from another passage; ``note`` says which), ``not cited`` (unknown:
        the adverse-effect pools) or missing (not about a set of studies).
    estimate, ci_low, ci_high : float64
        Pooled estimate and its 95% CI as printed (MD in points, RR on the ratio scale).
    p_text : str
        P as printed, without "P" and "=" (``"< .0001"``, ``".213"``).
    p_op : str
        ``"<"`` for a bound, ``"="`` for a value.
    p_value : float64
        The number in ``p_text``.
    i2 : float64
        I² in percent.
    value, value_low, value_high : float64
        Other numbers: a value, or a range / median's range.
    count, denominator : Int64
        Counts (studies, patients, events) and their denominator where printed.
    printed : str
        The printed fragment (short), with the review's own dash and minus characters.
    decimals : Int64
        Decimals of the main printed number (estimate and CI, or value), for rounding checks.
    unit : str
        Unit of estimate/value.
    source, kind : str
        ``orhurhu2019`` (or ``orhurhu2019summary``) and ``reported``.
    conflicts_with : str
        ``;``-separated claim ids that print the same or a contradicting quantity.
    note : str
        Our remarks: inconsistencies, typos, arithmetic that does not match.
    """
    df = _read("published.csv")
    return _typed(df, ints=_PUBLISHED_INTS, floats=_PUBLISHED_FLOATS)


# --------------------------------------------------------------------------- figure 2, table 2, figure 1

#: Figure 2 domains in printed order.
ROB_DOMAINS: tuple[str, ...] = (
    "random_sequence",
    "allocation_concealment",
    "blinding_participants_personnel",
    "blinding_outcome_assessment",
    "incomplete_outcome_data",
    "selective_reporting",
    "other_bias",
    "overall",
)


def risk_of_bias(wide: bool = False) -> pd.DataFrame:
    """Figure 2, the review's risk-of-bias summary, as data.

    Parameters
    ----------
    wide : bool
        If True, return a trial x domain table of judgements (index: study id,
        columns: :data:`ROB_DOMAINS`) without provenance.

    Columns (long form)
    -------------------
    study : str
        Study id.
    domain : str
        One of :data:`ROB_DOMAINS`.
    domain_printed : str
        Row label as printed (allocation concealment is printed as
        "Allocation sequence generation").
    judgement : str
        ``"low"`` (+), ``"high"`` (-) or ``"unclear"`` (blank, per the figure caption).
    symbol : str
        The symbol as printed (``"+"``, ``"-"`` or empty).
    source, location, kind, note : str
        Provenance and remarks (e.g. where Table 2's footnotes contradict a cell).
    """
    df = _typed(_read("risk_of_bias.csv"))
    if wide:
        w = df.pivot(index="study", columns="domain", values="judgement")
        w = w.reindex(index=list(STUDIES), columns=list(ROB_DOMAINS))
        w.columns.name = None
        return w
    return df


_GRADE_INTS = ("n_studies", "n_studies_implied", "ketamine_events", "ketamine_n", "placebo_events", "placebo_n")


def grade() -> pd.DataFrame:
    """Table 2, the GRADE evidence profile, one row per outcome.

    Columns
    -------
    outcome_id : str
        ``primary``, ``responders``, ``wk2`` or ``nausea``.
    outcome : str
        The outcome in words.
    n_studies : Int64
        No. of studies as printed (missing for ``primary``: the cell is empty in the text).
    n_studies_implied : Int64
        The same, with the primary row's 6 derived from the Results.
    study_design : str
        ``randomized trials``.
    risk_of_bias, inconsistency, indirectness, imprecision : str
        Ratings as printed (``not serious``, ``serious``, ``very serious``).
    risk_of_bias_fn, inconsistency_fn, indirectness_fn, imprecision_fn : str
        Footnote letter attached to the rating (see :func:`grade_footnotes`).
    other_considerations : str
        ``none``.
    ketamine_events, ketamine_n, placebo_events, placebo_n : Int64
        Events / patients per arm (events only for the responder row).
    ketamine_pct, placebo_pct : float64
        Percentages as printed (responder row).
    certainty : str
        ``low`` for every row.
    certainty_printed : str
        The symbols as the text rendering shows them.
    importance : str
        ``important``.
    source, location, kind, note : str
        Provenance and remarks.
    """
    return _typed(_read("grade.csv"), ints=_GRADE_INTS, floats=("ketamine_pct", "placebo_pct"))


def grade_footnotes() -> pd.DataFrame:
    """Table 2 footnotes a–h, summarised in our words.

    Columns
    -------
    footnote : str
        Letter.
    attached_to : str
        ``outcome_id: rating`` pairs the footnote is attached to.
    summary : str
        What the footnote says, paraphrased.
    source, location, kind, note : str
        Provenance and remarks (contradictions with Figure 2 or the Results).
    """
    return _typed(_read("grade_footnotes.csv"))


def prisma() -> pd.DataFrame:
    """The study-selection counts of Figure 1, as the Results text gives them.

    Columns
    -------
    step : str
        ``identified``, ``duplicates_removed`` (derived), ``screened``,
        ``excluded_at_screening``, ``full_text_assessed``, ``full_text_excluded``,
        ``included_systematic_review``, ``included_meta_analysis_as_stated`` (7, per the
        text) and ``included_primary_meta_analysis`` (6).
    count : Int64
        Number of records / articles / trials.
    printed : str
        Printed fragment (empty for derived rows).
    source, location, kind, note : str
        Provenance and remarks.
    """
    return _typed(_read("prisma.csv"), ints=("count",))


#: Allowed kinds in :func:`abstract_facts`.
ABSTRACT_KINDS: frozenset[str] = frozenset({"abstract", "registry", "secondary"})


def abstract_facts() -> pd.DataFrame:
    """Numbers from the seven trials' own public abstracts (and a few other public records).

    Columns
    -------
    fact_id : str
        ``<study>.<what>``, e.g. ``"sigtermans2009.pain_wk1.ketamine"``.
    study : str
        Study id.
    quantity : str
        What the number is.
    arm : str
        ``ketamine``, ``control``, ``both`` or a description.
    timepoint : str
        When it was measured, where relevant.
    value, value_low, value_high : float64
        The number, or a range.
    plus_minus : float64
        The number after "±" where printed (the abstracts do not always say SD or SEM).
    count, denominator : Int64
        Counts and their denominators.
    p_text : str
        P as printed (``"< 0.05"``, ``"0.54"``, ``"ns"``).
    unit : str
        Unit.
    printed : str
        Short printed fragment.
    source : str
        The trial's bibliography key.
    location : str
        Which record (abstract, registry entry, secondary summary) and its citation.
    url : str
        Where we read it (a public copy of the abstract).
    kind : str
        ``abstract`` (the trial's abstract), ``registry`` (its ClinicalTrials.gov record) or
        ``secondary`` (someone else's summary of the trial; not seen first-hand in the trial).
    note : str
        Remarks.
    """
    return _typed(
        _read("abstract_facts.csv"),
        ints=("count", "denominator"),
        floats=("value", "value_low", "value_high", "plus_minus"),
    )


#: Allowed kinds in :func:`external_facts`.
EXTERNAL_KINDS: frozenset[str] = frozenset({"label", "abstract", "reported", "secondary"})


def external_facts() -> pd.DataFrame:
    """Numbers the review quotes from sources other than its trials, as those sources give them.

    Used to check the Introduction's and Discussion's statements about the drug label,
    the consensus guideline and another review (Michelet et al. 2018).

    Columns
    -------
    fact_id : str
        ``<source>.<what>``.
    claim_id : str
        The claim of :func:`published` the fact bears on.
    quantity : str
        What the number is.
    value, value_low, value_high : float64
        The number, or a range.
    unit : str
        Unit.
    printed : str
        Short fragment of the source.
    source : str
        Bibliography key of the source.
    location : str
        Where in the source.
    url : str
        The public copy we read.
    kind : str
        ``label`` (a drug label), ``abstract``, ``reported`` (a title or reference list)
        or ``secondary`` (someone else's summary).
    note : str
        Remarks.
    """
    return _typed(_read("external_facts.csv"), floats=("value", "value_low", "value_high"))
