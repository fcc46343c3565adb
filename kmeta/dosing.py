"""Ketamine dose arithmetic: unit conversions, cumulative doses, and the sources' dosing statements.

Dosing statements come in many units: mg/kg/h, µg/kg/min, mg/h "per 70 kg", mg/kg/d,
a bolus in mg/kg, a fixed amount in mg per infusion. This module puts them on common
scales for a reference patient (70 kg unless said otherwise):

* a **rate** in mg/kg/h and in mg/h;
* an **amount** (bolus, per-infusion dose, maximum total) in mg;
* a **course total** in mg where the statement gives a duration (hours per session and
  number of sessions).

Functions
---------
:func:`rate_to_mg_per_kg_per_h`, :func:`rate_to_mg_per_h`
    One rate in any :data:`RATE_UNITS` to mg/kg/h or mg/h.
:func:`amount_to_mg`
    One amount in :data:`AMOUNT_UNITS` to mg.
:func:`cumulative_dose_mg`
    rate x hours x weight, with an optional hourly cap (mg/h) as trial protocols set.
:func:`convert_statements`
    The whole table of :func:`statements` on common scales.
:func:`statements`
    Every dosing statement in the three clinical sources (seed 001 ``clinsummary``,
    seed 002 ``practice2016``, seed 004 ``orhurhu2019``), as printed, with provenance.

Errors name the field: ``"rate: is -1; a rate must be >= 0"``,
``"hours: is 0; a duration must be > 0"``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "REFERENCE_WEIGHT_KG",
    "RATE_UNITS",
    "AMOUNT_UNITS",
    "rate_to_mg_per_kg_per_h",
    "rate_to_mg_per_h",
    "amount_to_mg",
    "cumulative_dose_mg",
    "statements",
    "convert_statements",
]

#: The reference patient of Orhurhu et al. (2019) and of most dose tables.
REFERENCE_WEIGHT_KG = 70.0

# factor to mg/kg/h, and whether the unit is per kg of the patient, per 70 kg, or fixed
#: Rate units understood, each mapped to (factor, basis). The value times factor is
#: mg/kg/h (basis ``"per_kg"``), mg/h (``"fixed"``) or mg/h per 70 kg (``"per_70kg"``).
RATE_UNITS: dict[str, tuple[float, str]] = {
    "mg/kg/h": (1.0, "per_kg"),
    "mg/kg/min": (60.0, "per_kg"),
    "µg/kg/min": (60.0 / 1000.0, "per_kg"),
    "ug/kg/min": (60.0 / 1000.0, "per_kg"),
    "mg/kg/d": (1.0 / 24.0, "per_kg"),
    "mg/h": (1.0, "fixed"),
    "mg/h/70kg": (1.0, "per_70kg"),
}
#: Amount units understood, ``"mg/kg"`` (per kg of the patient) and ``"mg"`` (fixed).
AMOUNT_UNITS: dict[str, str] = {"mg/kg": "per_kg", "mg": "fixed"}


def _number(x, field: str, positive: bool = False) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a number, got {x!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{field}: is {v:g}; must be finite")
    if positive and not v > 0:
        raise ValueError(f"{field}: is {v:g}; {'a duration' if field == 'hours' else 'it'} must be > 0")
    if not positive and v < 0:
        raise ValueError(f"{field}: is {v:g}; {'a rate' if field == 'rate' else 'it'} must be >= 0")
    return v


def _unit(unit: str, table: dict, field: str = "unit") -> str:
    if not isinstance(unit, str) or unit not in table:
        raise ValueError(f"{field}: unknown unit {unit!r}; expected one of {list(table)}")
    return unit


def rate_to_mg_per_kg_per_h(rate, unit: str, weight_kg: float = REFERENCE_WEIGHT_KG) -> float:
    """A rate in ``unit`` as mg/kg/h for a patient of ``weight_kg``.

    Examples
    --------
    >>> rate_to_mg_per_kg_per_h(2, "µg/kg/min")     # 2 * 60 / 1000
    0.12
    >>> round(rate_to_mg_per_kg_per_h(22.2, "mg/h/70kg"), 4)   # 22.2 / 70
    0.3171
    """
    r = _number(rate, "rate")
    w = _number(weight_kg, "weight_kg", positive=True)
    factor, basis = RATE_UNITS[_unit(unit, RATE_UNITS)]
    if basis == "per_kg":
        return r * factor
    if basis == "per_70kg":
        return r * factor / REFERENCE_WEIGHT_KG
    return r * factor / w


def rate_to_mg_per_h(rate, unit: str, weight_kg: float = REFERENCE_WEIGHT_KG) -> float:
    """A rate in ``unit`` as mg/h for a patient of ``weight_kg``.

    ``mg/h/70kg`` is scaled to the patient's weight (22 mg/h/70 kg is 22 mg/h at 70 kg
    and 33 mg/h at 105 kg).

    Examples
    --------
    >>> rate_to_mg_per_h(0.35, "mg/kg/h")             # 0.35 * 70
    24.5
    """
    w = _number(weight_kg, "weight_kg", positive=True)
    return rate_to_mg_per_kg_per_h(rate, unit, w) * w


def amount_to_mg(amount, unit: str, weight_kg: float = REFERENCE_WEIGHT_KG) -> float:
    """An amount (``mg/kg`` or ``mg``) in mg for a patient of ``weight_kg``.

    >>> amount_to_mg(1, "mg/kg")
    70.0
    """
    a = _number(amount, "amount")
    w = _number(weight_kg, "weight_kg", positive=True)
    return a * w if AMOUNT_UNITS[_unit(unit, AMOUNT_UNITS)] == "per_kg" else a


def cumulative_dose_mg(rate, unit: str, hours, weight_kg: float = REFERENCE_WEIGHT_KG,
                       cap_mg_per_h: float | None = None) -> float:
    """Total mg delivered by ``rate`` (in ``unit``) for ``hours`` hours.

    Orhurhu et al. (2019) computed this for a 70-kg patient ("multiplying the amount of
    the assumed weight by the infusion rate ... and duration of infusion") and called a
    course of 400 mg or more "high-dose".

    Parameters
    ----------
    rate : float
        The rate, >= 0.
    unit : str
        One of :data:`RATE_UNITS`.
    hours : float
        Total infusion time (h), > 0.
    weight_kg : float
        Patient weight (kg), > 0.
    cap_mg_per_h : float, optional
        An hourly ceiling in mg/h (Schwartzman 2009: 25 mg/h; Sigtermans 2009: 30 mg/h).

    Examples
    --------
    >>> cumulative_dose_mg(0.32, "mg/kg/h", 100)        # 0.32 * 70 * 100
    2240.0
    >>> cumulative_dose_mg(0.35, "mg/kg/h", 40, weight_kg=90, cap_mg_per_h=25)  # 31.5 -> 25 mg/h
    1000.0
    """
    h = _number(hours, "hours", positive=True)
    mg_h = rate_to_mg_per_h(rate, unit, weight_kg)
    if cap_mg_per_h is not None:
        mg_h = min(mg_h, _number(cap_mg_per_h, "cap_mg_per_h", positive=True))
    return mg_h * h


# ----------------------------------------------------------------------------- statements

_FLOATS = ("value_low", "value_high", "hours_per_session", "sessions_low", "sessions_high", "cap_mg_per_h")


def statements() -> pd.DataFrame:
    """Every dosing statement in seeds 001, 002 and 004, as printed, with provenance.

    Columns
    -------
    statement_id : str
        ``<source>.<what>``, e.g. ``"clinsummary.max_total"``.
    source, location, kind : str
        ``clinsummary`` (seed 001), ``practice2016`` (seed 002) or ``orhurhu2019`` (seed 004);
        the section or table; ``reported``.
    regimen : str
        Short label of the regimen or recommendation.
    quantity : str
        ``bolus``, ``infusion rate``, ``maximum rate``, ``induction rate``,
        ``per-infusion dose``, ``maximum total dose``, ``PCA dose``, ``dose range``,
        ``threshold`` ...
    context : str
        ``chronic pain``, ``postsurgical``, ``perioperative``, ``anaesthesia``,
        ``analgesia``, ``psychotropic``, ``trial`` or a dose-table row.
    route : str
        ``IV``, ``IV or SC``, ``SC``, ``IM``, ``IV-PCA`` or ``not stated``.
    basis : str
        ``rate`` (``unit`` is a rate) or ``amount`` (``unit`` is mg/kg or mg).
    value_low, value_high : float64
        The printed number(s); equal for a single value. An upper bound ("<0.35",
        "should not exceed") is stored as ``value_high`` with ``bound = "upper"``.
    bound : str
        ``"upper"``, ``"lower"`` or missing.
    unit : str
        Normalised unit (one of :data:`RATE_UNITS` or :data:`AMOUNT_UNITS`).
    unit_printed : str
        The unit exactly as printed.
    hours_per_session, sessions_low, sessions_high : float64
        Duration where the statement gives one (a continuous infusion is one session).
    cap_mg_per_h : float64
        An hourly ceiling in mg/h printed with the statement.
    printed : str
        The printed fragment (short).
    note : str
        Our remarks.
    """
    from .reviews._provenance import check_provenance, read_csv, typed

    df = read_csv("dosing", "statements.csv")
    check_provenance(df, ["value_low", "value_high"], "dosing/statements.csv")
    return typed(df, floats=_FLOATS)


def convert_statements(table: pd.DataFrame | None = None,
                       weight_kg: float = REFERENCE_WEIGHT_KG) -> pd.DataFrame:
    """Put every statement on common scales for a patient of ``weight_kg``.

    Adds, for low and high values:

    * ``mg_per_kg_per_h_low/high`` and ``mg_per_h_low/high``: the rate (for ``basis =
      "rate"``), or the rate implied by an amount given over ``hours_per_session``;
    * ``mg_low/high``: the amount in mg (``basis = "amount"``);
    * ``course_mg_low/high``: the total per course where a duration is given
      (rate x hours x sessions, capped at ``cap_mg_per_h``; or amount x sessions).

    Returns
    -------
    DataFrame
        The statements with the added columns (NaN where not applicable).
    """
    t = statements() if table is None else table.copy()
    w = _number(weight_kg, "weight_kg", positive=True)
    cols = {c: [] for c in ("mg_per_kg_per_h_low", "mg_per_kg_per_h_high", "mg_per_h_low",
                            "mg_per_h_high", "mg_low", "mg_high", "course_mg_low", "course_mg_high")}
    for _, r in t.iterrows():
        vals = {}
        for side in ("low", "high"):
            v = r[f"value_{side}"]
            sess = r[f"sessions_{side}"]
            h = r["hours_per_session"]
            rate_kg = rate_h = amt = course = np.nan
            if pd.notna(v):
                if r["basis"] == "rate":
                    rate_kg = rate_to_mg_per_kg_per_h(v, r["unit"], w)
                    rate_h = rate_kg * w
                    if pd.notna(r["cap_mg_per_h"]):
                        rate_h = min(rate_h, float(r["cap_mg_per_h"]))
                        rate_kg = rate_h / w
                    if pd.notna(h) and pd.notna(sess):
                        course = rate_h * float(h) * float(sess)
                else:
                    amt = amount_to_mg(v, r["unit"], w)
                    if pd.notna(h):
                        rate_h = amt / _number(h, "hours", positive=True)
                        rate_kg = rate_h / w
                    if pd.notna(sess):
                        course = amt * float(sess)
            vals[side] = (rate_kg, rate_h, amt, course)
        for side in ("low", "high"):
            rk, rh, a, c = vals[side]
            cols[f"mg_per_kg_per_h_{side}"].append(rk)
            cols[f"mg_per_h_{side}"].append(rh)
            cols[f"mg_{side}"].append(a)
            cols[f"course_mg_{side}"].append(c)
    for c, v in cols.items():
        t[c] = np.asarray(v, dtype=float)
    return t
