"""Ketamine regimens of the seven trials as doses for a 70-kg patient (Orhurhu et al. 2019).

The review's Methods split the trials into "high-dose" and "low-dose" by the cumulative
amount of ketamine a 70-kg patient would receive: rate × weight × duration, with
a cumulative dose of at least 400 mg counted as high. Table 1 gives each regimen in its
own unit (mg/kg/h, mg/kg/d, or a total in mg/kg), some with an hourly cap, and
Sigtermans' S(+)-ketamine was titrated stepwise (a range and a mean rate).

:func:`regimens` turns Table 1 into one row per trial with the cumulative dose under
each reading we consider; :func:`dose_groups` applies the 400-mg rule;
:func:`median_readings` and :func:`duration_readings` enumerate the ways the
Results' "median dose" and "median duration" could have been computed.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ._checkrows import cached as data

__all__ = [
    "WEIGHT_KG",
    "THRESHOLD_MG",
    "cumulative_dose",
    "regimens",
    "dose_groups",
    "median_readings",
    "duration_readings",
]

#: Body weight the review assumes (Methods; Table 1 footnote a).
WEIGHT_KG = 70.0
#: Cumulative dose (mg) at or above which a regimen is "high-dose" (Methods).
THRESHOLD_MG = 400.0


def cumulative_dose(row: pd.Series, weight: float = WEIGHT_KG, rate: str = "printed",
                    rate_per: str = "h", extra_day: bool = False) -> float:
    """Cumulative ketamine dose (mg) of one Table 1 regimen for a patient of ``weight`` kg.

    Parameters
    ----------
    row : Series
        A row of :func:`kmeta.reviews.orhurhu2019.trials`.
    weight : float
        Body weight in kg.
    rate : {"printed", "mean"}
        Which rate to use where Table 1 gives both a maximum and a mean (Sigtermans):
        the printed (maximum, 0.43 mg/kg/h) or the mean (0.32 mg/kg/h).
    rate_per : {"h", "min"}
        Reads an hourly rate as per hour (Table 1) or per minute (the Methods' wording
        "mg/kg/min").
    extra_day : bool
        For Salas' 0.5 mg/kg/d regimen, add the second day at 1 mg/kg/d that Table 1
        describes for patients whose pain did not improve.

    Notes
    -----
    Hourly rates are capped at ``max_rate_mg_per_h`` where Table 1 prints a cap
    (Schwartzman 25 mg/h, Sigtermans 30 mg/h); daily rates are multiplied by the
    number of days; a dose printed in mg/kg is the whole infusion's dose.
    """
    unit = row["rate_unit"]
    r = row["rate"]
    if rate == "mean" and not pd.isna(row["mean_rate"]):
        r = row["mean_rate"]
    if unit == "mg/kg/h":
        per_hour = r * weight * (60.0 if rate_per == "min" else 1.0)
        cap = row["max_rate_mg_per_h"]
        if not pd.isna(cap):
            per_hour = min(per_hour, float(cap))
        return float(per_hour * row["infusion_hours_total"])
    if unit == "mg/kg/d":
        dose = r * weight * row["days"]
        if extra_day:
            dose += 1.0 * weight  # the step-up to 1 mg/kg/d for one more day
        return float(dose)
    if unit == "mg/kg":
        return float(r * weight)
    raise ValueError(f"rate_unit: {unit!r} of {row.name} is not one of mg/kg/h, mg/kg/d, mg/kg")


def regimens(weight: float = WEIGHT_KG) -> pd.DataFrame:
    """Table 1's regimens with the cumulative dose under several readings.

    Columns: ``label``, ``rate``, ``rate_unit``, ``hours_per_day``, ``days``,
    ``infusion_hours_total``, ``max_rate_mg_per_h``, ``mean_rate``, the review's
    ``dose_group``, and the doses (mg) ``dose_printed_rate`` (maximum rates, caps applied),
    ``dose_mean_rate`` (Sigtermans at its mean rate: the reading of the data file's
    ``cum_dose_mg_70kg``), ``dose_per_min`` (hourly rates read per minute, as the Methods
    write the unit), ``dose_salas_two_days`` (Salas with the step-up day), and
    ``mg_per_h`` (the hourly amount before capping, for hourly regimens).
    """
    t = data.trials()
    out = t[["label", "rate", "rate_unit", "hours_per_day", "days", "infusion_hours_total",
             "max_rate_mg_per_h", "mean_rate", "dose_group"]].copy()
    out["dose_printed_rate"] = [cumulative_dose(r, weight) for _, r in t.iterrows()]
    out["dose_mean_rate"] = [cumulative_dose(r, weight, rate="mean") for _, r in t.iterrows()]
    out["dose_per_min"] = [cumulative_dose(r, weight, rate="mean", rate_per="min") for _, r in t.iterrows()]
    out["dose_salas_two_days"] = [cumulative_dose(r, weight, rate="mean", extra_day=True) for _, r in t.iterrows()]
    out["mg_per_h"] = [r["rate"] * weight if r["rate_unit"] == "mg/kg/h" else math.nan for _, r in t.iterrows()]
    return out


def dose_groups(doses: pd.Series, threshold: float = THRESHOLD_MG, strict: bool = False) -> pd.Series:
    """``"high"``/``"low"`` by the cumulative-dose rule (``>=``, or ``>`` if ``strict``)."""
    high = doses > threshold if strict else doses >= threshold
    return pd.Series(np.where(high, "high", "low"), index=doses.index, dtype="str")


def _median(values, kind: str) -> float:
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n % 2 == 1:
        return float(v[n // 2])
    if kind == "lower":
        return float(v[n // 2 - 1])
    if kind == "upper":
        return float(v[n // 2])
    return float((v[n // 2 - 1] + v[n // 2]) / 2)


def median_readings(weight: float = WEIGHT_KG) -> pd.DataFrame:
    """Every reading of the Results' "median dose (range)" that we could think of.

    Each trial contributes one number per reading:

    * Sigtermans: its maximum rate (0.43) or its mean rate (0.32 mg/kg/h);
    * Amr: Table 1's 0.22 or the trial abstract's 80 mg over 5 h for 70 kg (0.229);
    * Salas: its daily rate as printed (0.5), its hourly equivalent (0.5/24), or left out;
    * Noppers and Mitchell: their total doses as printed (0.5, 0.6 mg/kg) or as hourly
      rates (0.5/0.5 h = 1.0, 0.6/4 h = 0.15 mg/kg/h);
    * Schwartzman 0.35 and Eichenberger 0.4 mg/kg/h as printed;

    and the median is the usual one, or the lower or upper middle value for an even
    count. Returns one row per reading with the values, the median and the range,
    each rounded as printed (2 decimals; the range's upper end to 1).
    """
    t = data.trials()
    facts = data.abstract_facts().set_index("fact_id")
    # the Amr abstract: 80 mg over 5 h daily, i.e. 16 mg/h, per kg of a 70-kg patient
    amr_abstract = float(facts.loc["amr2010.daily_dose", "value"]) / float(facts.loc["amr2010.hours_per_day", "value"]) / weight
    choices = {
        "sigtermans2009": {"max 0.43": t.loc["sigtermans2009", "rate"], "mean 0.32": t.loc["sigtermans2009", "mean_rate"]},
        "schwartzman2009": {"0.35": t.loc["schwartzman2009", "rate"]},
        "salas2012": {"0.5/d": t.loc["salas2012", "rate"], "0.5/24 per h": t.loc["salas2012", "rate"] / 24.0, "left out": None},
        "eichenberger2008": {"0.4": t.loc["eichenberger2008", "rate"]},
        "amr2010": {"0.22 (Table 1)": t.loc["amr2010", "rate"], "80 mg/5 h (abstract)": amr_abstract},
        "noppers2011": {"0.5 total": t.loc["noppers2011", "rate"],
                        "per h": t.loc["noppers2011", "rate"] / t.loc["noppers2011", "infusion_hours_total"]},
        "mitchell2002": {"0.6 total": t.loc["mitchell2002", "rate"],
                         "per h": t.loc["mitchell2002", "rate"] / t.loc["mitchell2002", "infusion_hours_total"]},
    }
    studies = list(choices)
    rows = []
    for combo in itertools.product(*(choices[s].items() for s in studies)):
        vals = {s: v for s, (lab, v) in zip(studies, combo) if v is not None}
        labels = {s: lab for s, (lab, v) in zip(studies, combo)}
        x = list(vals.values())
        for kind in (("usual",) if len(x) % 2 else ("usual", "lower", "upper")):
            rows.append({
                **{f"reading_{s}": labels[s] for s in studies},
                "k": len(x),
                "median_kind": kind,
                "median": _median(x, kind),
                "low": float(min(x)),
                "high": float(max(x)),
            })
    out = pd.DataFrame(rows)
    out["median_2dp"] = out["median"].round(2)
    out["low_2dp"] = out["low"].round(2)
    out["high_1dp"] = out["high"].round(1)
    return out


def duration_readings() -> pd.DataFrame:
    """Readings of the Results' "median duration of infusion (range)" from Table 1.

    Per trial the duration is either the total hours of ketamine (Table 1 totals: 100,
    40, 24, 1, 35, 0.5, 4) or the hours of one session (24 for a continuous infusion,
    4 or 5 for the daily sessions, 100 for Sigtermans' single continuous run); with all
    seven trials or the six of the primary analysis (Salas left out); with the usual,
    lower or upper median.
    """
    t = data.trials()
    session = t["hours_per_day"].copy()
    # Sigtermans ran continuously for 4.2 days: its one "session" is the whole 100 h
    session.loc["sigtermans2009"] = t.loc["sigtermans2009", "infusion_hours_total"]
    variants = {
        "total hours": t["infusion_hours_total"],
        "hours per session": session,
        "hours per day": t["hours_per_day"],
    }
    rows = []
    for name, s in variants.items():
        for subset, mask in (("all 7", t.index), ("primary 6", t.index[t["in_primary"].astype(bool)])):
            x = s.loc[mask].astype(float).to_numpy()
            for kind in (("usual",) if len(x) % 2 else ("usual", "lower", "upper")):
                rows.append({"durations": name, "trials": subset, "k": len(x), "median_kind": kind,
                             "median": _median(x, kind), "low": float(x.min()), "high": float(x.max()),
                             "values": ", ".join(f"{v:g}" for v in x)})
    return pd.DataFrame(rows)
