"""GRADE evidence profiles as styled HTML tables (pandas ``Styler``).

One row per outcome: number of studies and design, the four downgrading domains
(risk of bias, inconsistency, indirectness, imprecision: "not serious", "serious",
"very serious", each with its footnote letter), other considerations, the patients
(and events) per arm, optional effects, the certainty (⊕⊕◯◯ LOW ...) and the
importance. Footnotes go under the table.

The input is a DataFrame shaped like ``kmeta.reviews.orhurhu2019.grade()``: columns
``outcome``, ``n_studies`` (or ``n_studies_implied``), ``study_design``,
``risk_of_bias``, ``inconsistency``, ``indirectness``, ``imprecision`` (each optionally
with a ``<domain>_fn`` footnote letter), ``other_considerations``, per arm
``<arm>_events`` / ``<arm>_n`` (/ ``<arm>_pct``), optionally ``relative_effect`` and
``absolute_effect``, ``certainty`` and ``importance``. Missing columns are left out.

The table renders in Jupyter and in the HTML book (it needs jinja2, which comes with
Jupyter). Percentages are shown as the input gives them (a published profile is
reproduced as printed); without a ``<arm>_pct`` column they are computed from events / n.

Reference: Guyatt, G. H., Oxman, A. D., Vist, G. E., et al. (2008). GRADE: an emerging
consensus on rating quality of evidence and strength of recommendations. *BMJ*,
336(7650), 924–926. https://doi.org/10.1136/bmj.39489.470347.AD
"""
from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .style import COLORS

__all__ = ["grade_table", "certainty_symbols", "CERTAINTY"]

#: Certainty → symbols (⊕ filled, ◯ empty).
CERTAINTY = {
    "high": "\u2295\u2295\u2295\u2295",
    "moderate": "\u2295\u2295\u2295\u25ef",
    "low": "\u2295\u2295\u25ef\u25ef",
    "very low": "\u2295\u25ef\u25ef\u25ef",
}
_DOMAINS = (
    ("risk_of_bias", "Risk of bias"),
    ("inconsistency", "Inconsistency"),
    ("indirectness", "Indirectness"),
    ("imprecision", "Imprecision"),
)
_RATINGS = ("not serious", "serious", "very serious")
# tints for the ratings (vermillion, lightened): words carry the meaning, colour helps
_TINT = {"not serious": "", "serious": "#FBE3D3", "very serious": "#F3B998"}


def certainty_symbols(certainty: str) -> str:
    """``"low"`` → ``"⊕⊕◯◯ LOW"``."""
    key = str(certainty).strip().lower().replace("_", " ")
    if key not in CERTAINTY:
        raise ValueError(f"certainty: {certainty!r}; expected one of {list(CERTAINTY)}")
    return f"{CERTAINTY[key]} {key.upper()}"


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def _sup(letters) -> str:
    if _missing(letters):
        return ""
    return "".join(f"<sup>{html.escape(str(x).strip())}</sup>" for x in str(letters).split(";") if x.strip())


def _arms(df):
    arms = []
    for c in df.columns:
        if c.endswith("_n") and c != "n_studies" and not c.startswith("n_"):
            arms.append(c[:-2])
    return arms


def _arm_cell(row, arm, digits=1):
    n = row.get(f"{arm}_n")
    e = row.get(f"{arm}_events")
    if _missing(n):
        return ""
    n = int(n)
    if _missing(e):
        return f"{n}"
    e = int(e)
    pct = row.get(f"{arm}_pct")
    if _missing(pct):
        pct = 100.0 * e / n if n > 0 else np.nan
    return f"{e}/{n} ({float(pct):.{digits}f}%)"


def grade_table(df, footnotes=None, *, arm_labels=None, caption=None):
    """GRADE evidence profile as a pandas Styler (HTML).

    Parameters
    ----------
    df : DataFrame
        One row per outcome (see the module docstring for the columns).
    footnotes : DataFrame or mapping, optional
        Footnote texts: a mapping letter → text, or a DataFrame with columns
        ``footnote`` and ``summary`` (``kmeta.reviews.orhurhu2019.grade_footnotes()``).
    arm_labels : mapping, optional
        Header of each arm column: arm prefix → label (default: the prefix capitalised,
        e.g. ``ketamine`` → "Ketamine").
    caption : str, optional
        Text placed under the table before the footnotes.

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as an HTML table in notebooks and the book (``.to_html()``); its
        ``.data`` is the displayed table.
    """
    df = pd.DataFrame(df).reset_index(drop=True)
    if "outcome" not in df.columns:
        raise ValueError("df: a GRADE table needs an 'outcome' column")
    out = pd.DataFrame(index=df.index)
    out["Outcome"] = [html.escape(str(v)[:1].upper() + str(v)[1:]) for v in df["outcome"]]
    nst = "n_studies" if "n_studies" in df.columns else None
    if nst is not None or "n_studies_implied" in df.columns:
        vals = []
        for _, r in df.iterrows():
            v = r.get("n_studies")
            if _missing(v) and "n_studies_implied" in df.columns:
                v = r.get("n_studies_implied")
            vals.append("" if _missing(v) else str(int(v)))
        out["No. of studies"] = vals
    if "study_design" in df.columns:
        out["Study design"] = [html.escape(str(v)).capitalize() if not _missing(v) else "" for v in df["study_design"]]
    tints = {}
    for key, head in _DOMAINS:
        if key not in df.columns:
            continue
        cells = []
        for i, r in df.iterrows():
            v = r[key]
            if _missing(v):
                cells.append("")
                continue
            word = str(v).strip().lower()
            if word not in _RATINGS:
                raise ValueError(f"{key}: outcome {r['outcome']!r} has {v!r}; expected one of {list(_RATINGS)}")
            cells.append(html.escape(word).capitalize() + _sup(r.get(f"{key}_fn")))
            if _TINT[word]:
                tints[(i, head)] = _TINT[word]
        out[head] = cells
    if "other_considerations" in df.columns:
        out["Other considerations"] = [
            ("" if _missing(v) else html.escape(str(v)).capitalize()) + _sup(r.get("other_considerations_fn"))
            for (_, r), v in zip(df.iterrows(), df["other_considerations"])
        ]
    labels = dict(arm_labels or {})
    for arm in _arms(df):
        out[labels.get(arm, arm.replace("_", " ").capitalize())] = [_arm_cell(r, arm) for _, r in df.iterrows()]
    for col, head in (("relative_effect", "Relative effect (95% CI)"), ("absolute_effect", "Absolute effect")):
        if col in df.columns:
            out[head] = ["" if _missing(v) else html.escape(str(v)) for v in df[col]]
    if "certainty" in df.columns:
        out["Certainty"] = [
            ("" if _missing(v) else certainty_symbols(v)) + _sup(r.get("certainty_fn"))
            for (_, r), v in zip(df.iterrows(), df["certainty"])
        ]
    if "importance" in df.columns:
        out["Importance"] = ["" if _missing(v) else html.escape(str(v)).upper() for v in df["importance"]]

    notes = []
    if footnotes is not None:
        if isinstance(footnotes, pd.DataFrame):
            if not {"footnote", "summary"} <= set(footnotes.columns):
                raise ValueError("footnotes: a DataFrame needs columns 'footnote' and 'summary'")
            items = list(zip(footnotes["footnote"], footnotes["summary"]))
        elif isinstance(footnotes, Mapping):
            items = list(footnotes.items())
        else:
            raise ValueError("footnotes: expected a mapping letter -> text or a DataFrame")
        notes = [f"<sup>{html.escape(str(k))}</sup> {html.escape(str(v))}" for k, v in items]

    try:
        styler = out.style
    except ImportError as exc:  # pragma: no cover - jinja2 ships with Jupyter
        raise ImportError("grade_table needs jinja2 (pip install jinja2; it comes with Jupyter)") from exc
    styler = styler.hide(axis="index")
    styler = styler.set_table_attributes('class="kmeta-grade"')
    rule = COLORS["rule"]
    styler = styler.set_table_styles([
        {"selector": "", "props": "border-collapse: collapse; font-size: 0.85em;"},
        {"selector": "th", "props": f"border-bottom: 1px solid {rule}; padding: 4px 6px; text-align: center; "
                                    "vertical-align: bottom; font-weight: bold;"},
        {"selector": "td", "props": "padding: 4px 6px; text-align: center; vertical-align: top; "
                                    "border-bottom: 1px solid #DDDDDD;"},
        {"selector": "td.col0", "props": "text-align: left;"},
        {"selector": "caption", "props": "caption-side: bottom; text-align: left; font-size: 0.85em; "
                                         "padding-top: 6px;"},
    ])
    if "Certainty" in out.columns:
        j = list(out.columns).index("Certainty")
        styler = styler.set_table_styles([{"selector": f"td.col{j}", "props": "white-space: nowrap;"}], overwrite=False)
    if tints:
        css = pd.DataFrame("", index=out.index, columns=out.columns)
        for (i, head), color in tints.items():
            css.loc[i, head] = f"background-color: {color};"
        styler = styler.apply(lambda _: css, axis=None)
    parts = ([html.escape(caption)] if caption else []) + notes
    if parts:
        styler = styler.set_caption("<br>".join(parts))
    return styler
