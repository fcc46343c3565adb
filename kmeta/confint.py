r"""Confidence intervals for τ², τ, I² and H² by the Q-profile method.

The generalized Q statistic :math:`Q(\tau^2) = \sum w_i(\tau^2)(y_i - \hat\mu(\tau^2))^2`,
with :math:`w_i = 1/(v_i + \tau^2)`, follows a :math:`\chi^2_{k-1}` distribution at the
true τ² and decreases in τ². The Q-profile interval (Viechtbauer 2007) collects the
values of τ² at which :math:`Q(\tau^2)` lies between the :math:`\alpha/2` and
:math:`1-\alpha/2` quantiles of :math:`\chi^2_{k-1}`:

* lower bound: the root of :math:`Q(\tau^2) = \chi^2_{k-1,\,1-\alpha/2}`, or 0 if
  :math:`Q(0)` is already below that quantile;
* upper bound: the root of :math:`Q(\tau^2) = \chi^2_{k-1,\,\alpha/2}`, or 0 if
  :math:`Q(0)` is below it (then the interval is the single point 0).

Bounds for I² and H² follow from those for τ² through the typical within-study
variance :math:`\tilde v`: :math:`I^2 = 100\,\tau^2/(\tau^2 + \tilde v)` and
:math:`H^2 = \tau^2/\tilde v + 1`, as metafor's ``confint.rma.uni`` does. The interval
does not depend on which estimator produced the point estimate.

Differences from metafor: metafor searches for the bounds within ``[0, tau2.max]``
(``tau2.max`` = max(100, 10 τ²)) and reports "> tau2.max" beyond it; kmeta solves
without an upper limit (Newton's method on the convex, decreasing Q(τ²) converges from
0), so the bounds agree wherever metafor's are inside its search range.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num
from ._validate import check_level
from .heterogeneity import h2_from_tau2, i2_from_tau2
from .tau2 import _newton_gen_q

__all__ = ["confint", "ConfintResult"]


@dataclasses.dataclass(frozen=True, repr=False)
class ConfintResult(Result):
    """Q-profile confidence intervals for τ², τ, I² (percent) and H²."""

    k: int
    method: str
    level: float
    tau2: float
    tau2_low: float
    tau2_high: float
    tau: float
    tau_low: float
    tau_high: float
    i2: float
    i2_low: float
    i2_high: float
    h2: float
    h2_low: float
    h2_high: float
    ci_method: str = "Q-profile"

    def table(self) -> pd.DataFrame:
        """Four rows (tau^2, tau, I^2 (%), H^2) with estimate, ci_low, ci_high."""
        rows = [
            ("tau^2", self.tau2, self.tau2_low, self.tau2_high),
            ("tau", self.tau, self.tau_low, self.tau_high),
            ("I^2 (%)", self.i2, self.i2_low, self.i2_high),
            ("H^2", self.h2, self.h2_low, self.h2_high),
        ]
        return pd.DataFrame(rows, columns=["parameter", "estimate", "ci_low", "ci_high"]).set_index("parameter")

    def summary(self) -> str:
        lines = [
            f"{100 * self.level:g}% {self.ci_method} confidence intervals "
            f"(k = {self.k}; tau^2 estimator of the fit: {self.method})",
            "",
            f"{'':>8} {'estimate':>10} {'ci.lb':>10} {'ci.ub':>10}",
        ]
        for name, row in self.table().iterrows():
            lines.append(
                f"{name:>8} {format_num(row.estimate):>10} {format_num(row.ci_low):>10} {format_num(row.ci_high):>10}"
            )
        return "\n".join(lines)


def _qprofile_bounds(Y, V, level):
    """Q-profile bounds for each row of (R, k) arrays without padding."""
    k = np.full(Y.shape[0], float(Y.shape[1]))
    alpha = 1.0 - level
    df = k - 1.0
    crit_u = special.chdtri(df, alpha / 2.0)  # upper alpha/2 quantile
    crit_l = special.chdtri(df, 1.0 - alpha / 2.0)  # lower alpha/2 quantile
    lb, _, _ = _newton_gen_q(Y, V, None, k, crit_u)
    ub, _, _ = _newton_gen_q(Y, V, None, k, crit_l)
    return lb, ub


def confint(result, level=None) -> ConfintResult:
    """Q-profile confidence intervals for τ², τ, I² and H² of a random-effects fit.

    Parameters
    ----------
    result : MetaResult
        A fit from :func:`kmeta.meta` with a τ² estimator (not ``"FE"``) and k >= 2.
    level : float, optional
        Confidence level; defaults to the level of the fit.

    Returns
    -------
    ConfintResult

    Raises
    ------
    ValueError
        For a common-effect fit (no τ² to bound) or k = 1, as metafor.
    """
    from .meta import MetaResult

    if not isinstance(result, MetaResult):
        raise ValueError("result: confint() needs a MetaResult returned by kmeta.meta()")
    if result.method == "FE":
        raise ValueError("method: a common-effect (FE) fit has no tau^2; fit a random-effects model for confint()")
    if result.k < 2:
        raise ValueError(f"k = {result.k}: confint() needs at least 2 studies")
    level = result.level if level is None else check_level(level)
    lb, ub = _qprofile_bounds(result.yi[None, :], result.vi[None, :], level)
    lb, ub = float(lb[0]), float(ub[0])
    vt = result.vt
    return ConfintResult(
        k=result.k,
        method=result.method,
        level=level,
        tau2=result.tau2,
        tau2_low=lb,
        tau2_high=ub,
        tau=result.tau,
        tau_low=float(np.sqrt(lb)),
        tau_high=float(np.sqrt(ub)),
        i2=result.i2,
        i2_low=float(i2_from_tau2(lb, vt)),
        i2_high=float(i2_from_tau2(ub, vt)),
        h2=result.h2,
        h2_low=float(h2_from_tau2(lb, vt)),
        h2_high=float(h2_from_tau2(ub, vt)),
    )
