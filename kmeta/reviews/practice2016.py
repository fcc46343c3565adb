"""The 2016 clinical practice review on low-dose ketamine infusion in chronic non-cancer pain.

Bibliography key ``practice2016`` (seed 002): an executive summary, an annotated literature
review, a proposed protocol and two appendices (mechanisms; clinical pharmacology). This
module loads what the chapter *The 2016 practice review: doses and pharmacokinetics* uses:

* :func:`dosing_statements` -- the review's dosing statements (a slice of
  :func:`kmeta.dosing.statements`);
* :func:`pk_parameters` -- the IV pharmacokinetic parameters of Appendix 2, with the
  literature values we checked them against (Kamp et al. 2020);
* :func:`duration_speculation` -- the infusion-duration speculation the review quotes;
* :func:`rct_schedules` -- the three long-infusion RCTs it describes (Sigtermans 2009,
  Schwartzman 2009, Amr 2010) as :class:`kmeta.pk.Schedule` objects for a patient of a
  given weight, built from the review's own description.
"""
from __future__ import annotations

import pandas as pd

from .. import dosing, pk
from ._provenance import check_provenance, read_csv, typed

__all__ = ["dosing_statements", "pk_parameters", "duration_speculation", "rct_schedules",
           "SCHWARTZMAN_DAYS"]

#: Infusion days of Schwartzman 2009 as day indices (4-h infusions on 10 weekdays, 5 on, 2 off, 5 on).
SCHWARTZMAN_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)


def dosing_statements() -> pd.DataFrame:
    """The dosing statements of the practice review (``source == "practice2016"``)."""
    s = dosing.statements()
    return s[s["source"] == "practice2016"].reset_index(drop=True)


def pk_parameters() -> pd.DataFrame:
    """Pharmacokinetic parameters of IV ketamine as printed (Appendix 2) and a literature check.

    Columns
    -------
    parameter : str
        ``volume_of_distribution``, ``clearance``, ``t_half_distribution``,
        ``t_half_redistribution``, ``t_half_elimination``, ``t_half_terminal``,
        ``t_half_ke0``, ``s_vs_r_volume``, ``s_vs_r_clearance`` (seed 002) and
        ``kamp_volume``, ``kamp_clearance`` (95% CI) and their point estimates (Kamp 2020).
    value_low, value_high : float64
        The printed range (equal for one value).
    unit, printed, source, location, kind, note : str
        The unit, the value as printed, and its provenance.
    """
    df = read_csv("dosing", "pk_parameters.csv")
    check_provenance(df, ["value_low", "value_high"], "dosing/pk_parameters.csv")
    return typed(df, floats=("value_low", "value_high")).set_index("parameter")


def duration_speculation() -> pd.DataFrame:
    """The speculation on infusion duration and the probability of an effect lasting > 48 h."""
    df = read_csv("dosing", "duration_speculation.csv")
    check_provenance(df, ["infusion_hours_above", "probability_percent", "effect_hours_above"],
                     "dosing/duration_speculation.csv")
    return typed(df, floats=("infusion_hours_above", "probability_percent", "effect_hours_above"))


def rct_schedules(weight_kg: float = dosing.REFERENCE_WEIGHT_KG) -> dict[str, pk.Schedule]:
    """The three long-infusion RCTs as the practice review describes them, for one patient.

    * ``"sigtermans2009"``: 22 mg/h per 70 kg, continuous for 4.2 days (100.8 h);
    * ``"schwartzman2009"``: 0.35 mg/kg/h (at most 25 mg/h), 4 h a day on 10 weekdays
      (:data:`SCHWARTZMAN_DAYS`);
    * ``"amr2010"``: 80 mg over 5 h, once a day for 7 days (a fixed amount: 16 mg/h).

    Parameters
    ----------
    weight_kg : float
        Patient weight (kg), > 0.
    """
    sig = dosing.rate_to_mg_per_h(22, "mg/h/70kg", weight_kg)
    sch = min(dosing.rate_to_mg_per_h(0.35, "mg/kg/h", weight_kg), 25.0)
    amr = 80.0 / 5.0
    return {
        "sigtermans2009": pk.constant_infusion(sig, 4.2 * 24),
        "schwartzman2009": pk.repeated_infusions(sch, 4.0, list(SCHWARTZMAN_DAYS)),
        "amr2010": pk.repeated_infusions(amr, 5.0, 7),
    }
