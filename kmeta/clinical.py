r"""Clinical scale: pooled effects against minimal important differences, and NNT.

Minimal important differences (MID). For chronic-pain trials on a 0–10 scale, the
IMMPACT recommendations (Dworkin et al. 2008) distinguish the change that matters to an
*individual* patient (about 2 points, or 30%; Farrar et al. 2001) from a *group*
difference between treatment and placebo, which can matter clinically when it is
smaller. :func:`mid_table` sets a pooled estimate and its interval against such
thresholds.

Number needed to treat (NNT) from a relative risk of *response* (a good outcome, RR > 1)
and an assumed control-group response risk :math:`p_0` (Laupacis et al. 1988):

.. math::

    p_1 = \min(1,\ p_0\,RR), \qquad \text{ARI} = p_1 - p_0, \qquad \text{NNT} = 1/\text{ARI}.

A relative risk is often assumed to be the portable summary, so the NNT is recomputed
for each stated control risk. Its confidence interval comes from transforming the RR
bounds the same way (Altman 1998); if the RR interval includes 1, the NNT interval runs
through infinity: from "needed to treat to benefit" (NNTB) to "needed to treat to harm"
(NNTH). A constant RR cannot hold at every control risk: when :math:`p_0\,RR > 1` the
response risk in the treated arm would exceed 100%; it is capped at 1 and noted.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from ._result import Result
from ._validate import check_positive_number, check_probability

__all__ = ["nnt_from_rr", "NNTResult", "nnt_table", "mid_table"]


@dataclasses.dataclass(frozen=True, repr=False)
class NNTResult(Result):
    """Result of :func:`nnt_from_rr` (responder outcome: more responses is better).

    ``nnt`` is the NNT to benefit (positive) or, for RR < 1, to harm (negative);
    ``nnt_low``/``nnt_high`` come from the RR bounds. ``through_infinity`` is True when the
    RR interval includes 1 (the NNT interval then consists of NNTB >= ``nnt_low`` and
    NNTH >= ``|nnt_high|``). ``capped`` names the bounds at which ``control_risk * RR``
    exceeded 1.
    """

    rr: float
    rr_low: float
    rr_high: float
    control_risk: float
    treated_risk: float
    treated_risk_low: float
    treated_risk_high: float
    ari: float
    ari_low: float
    ari_high: float
    nnt: float
    nnt_low: float
    nnt_high: float
    through_infinity: bool
    capped: str

    def summary(self) -> str:
        def f(x):
            return "inf" if not np.isfinite(x) else f"{x:.1f}"

        txt = (f"Control risk {100 * self.control_risk:.1f}%, RR {self.rr:g} -> treated risk "
               f"{100 * self.treated_risk:.1f}%, absolute increase {100 * self.ari:.1f} points, "
               f"NNT {f(self.nnt)}")
        if np.isfinite(self.rr_low):
            if self.through_infinity:
                txt += f" (CI: NNTB {f(self.nnt_low)} to infinity to NNTH {f(abs(self.nnt_high))})"
            else:
                txt += f" (CI {f(self.nnt_low)} to {f(self.nnt_high)})"
        if self.capped:
            txt += f"\nNote: control risk x RR exceeds 100% at the {self.capped}; the treated risk is capped at 1"
        return txt


def nnt_from_rr(rr, control_risk, rr_low=None, rr_high=None) -> NNTResult:
    """NNT for a responder outcome from a relative risk and an assumed control risk.

    Parameters
    ----------
    rr : float
        Relative risk of response (treated / control), > 0.
    control_risk : float
        Response risk without treatment, in (0, 1) (a proportion, not percent).
    rr_low, rr_high : float, optional
        Confidence bounds of the RR (both or neither).

    Returns
    -------
    NNTResult
    """
    rr = check_positive_number(rr, "rr")
    p0 = check_probability(control_risk, "control_risk", hint=" (a proportion: 19.4% is 0.194)")
    if (rr_low is None) != (rr_high is None):
        raise ValueError("rr_low, rr_high: give both confidence bounds or neither")
    if rr_low is not None:
        rr_low = check_positive_number(rr_low, "rr_low")
        rr_high = check_positive_number(rr_high, "rr_high")
        if not rr_low <= rr <= rr_high:
            raise ValueError(f"rr_low, rr_high: the interval [{rr_low:g}, {rr_high:g}] must contain rr = {rr:g}")
    else:
        rr_low = rr_high = math.nan

    capped = []

    def risk(r, name):
        if not np.isfinite(r):
            return math.nan
        p1 = p0 * r
        if p1 > 1.0:
            capped.append(name)
            return 1.0
        return p1

    p1, p1l, p1h = risk(rr, "estimate"), risk(rr_low, "lower bound"), risk(rr_high, "upper bound")
    ari, aril, arih = p1 - p0, p1l - p0, p1h - p0

    def inv(a):
        if not np.isfinite(a):
            return math.nan
        return math.inf if a == 0 else 1.0 / a

    through = bool(np.isfinite(rr_low) and rr_low <= 1.0 <= rr_high)
    # the larger absolute increase gives the smaller NNT
    nnt_low, nnt_high = inv(arih), inv(aril)
    return NNTResult(rr=rr, rr_low=rr_low, rr_high=rr_high, control_risk=p0, treated_risk=p1,
                     treated_risk_low=p1l, treated_risk_high=p1h, ari=ari, ari_low=aril, ari_high=arih,
                     nnt=inv(ari), nnt_low=nnt_low, nnt_high=nnt_high, through_infinity=through,
                     capped=", ".join(capped))


def nnt_table(rr, control_risks, rr_low=None, rr_high=None) -> pd.DataFrame:
    """:func:`nnt_from_rr` for several control risks: one row each."""
    return pd.concat([nnt_from_rr(rr, p, rr_low, rr_high).to_frame() for p in control_risks], ignore_index=True)


def mid_table(estimate, ci_low, ci_high, mids, *, favours="lower", label="CI") -> pd.DataFrame:
    """Where an estimate and its interval lie relative to minimal important differences.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Pooled effect (e.g. a mean difference in points) and interval bounds.
    mids : dict
        Name -> threshold (a positive magnitude, e.g. ``{"group": 1.0, "individual": 2.0}``).
    favours : str
        ``"lower"`` if negative values are benefit (pain), else ``"higher"``.
    label : str
        Name of the interval in the ``verdict`` text ("CI", "PI", "CrI").

    Returns
    -------
    DataFrame
        One row per threshold: ``mid``, ``threshold`` (signed), ``estimate_beyond``
        (the point estimate is at least as large a benefit), ``interval_beyond`` (the whole
        interval is), ``interval_short`` (the whole interval is a smaller benefit or
        none), and a ``verdict``.
    """
    if favours not in ("lower", "higher"):
        raise ValueError(f"favours: is {favours!r}; expected 'lower' or 'higher'")
    est, lo, hi = float(estimate), float(ci_low), float(ci_high)
    if not lo <= est <= hi:
        raise ValueError(f"ci_low, ci_high: the interval [{lo:g}, {hi:g}] must contain the estimate {est:g}")
    sign = -1.0 if favours == "lower" else 1.0
    rows = []
    for name, m in dict(mids).items():
        m = check_positive_number(m, f"mids[{name!r}]")
        thr = sign * m
        # benefit as a positive magnitude
        b_est, b_near, b_far = sign * est, min(sign * lo, sign * hi), max(sign * lo, sign * hi)
        beyond = b_near >= m
        short = b_far < m
        verdict = (f"whole {label} beyond the MID" if beyond else
                   f"whole {label} short of the MID" if short else f"{label} includes the MID")
        rows.append({"mid": name, "threshold": thr, "estimate_beyond": bool(b_est >= m),
                     "interval_beyond": bool(beyond), "interval_short": bool(short), "verdict": verdict})
    return pd.DataFrame(rows)
