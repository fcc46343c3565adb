r"""Power and sample size: two-arm trials of a continuous outcome, and meta-analyses.

Two-sample comparison of means (difference :math:`\delta`, common SD :math:`\sigma`,
allocation :math:`n_2 = r\,n_1`):

* normal approximation: :math:`n_1 = (z_{1-\alpha/2} + z_{1-\beta})^2\,\sigma^2\,(1 + 1/r)/\delta^2`;
* t test: the smallest :math:`n_1` whose power, from the noncentral t distribution with
  :math:`n_1 + n_2 - 2` degrees of freedom and noncentrality
  :math:`\delta/(\sigma\sqrt{1/n_1 + 1/n_2})`, reaches the target;
* with a baseline measurement correlated :math:`\rho` with the outcome, analysis of
  covariance (ANCOVA) reduces the residual variance to :math:`\sigma^2(1-\rho^2)`
  (Borm et al. 2007) and costs one degree of freedom.

Meta-analysis of k trials (Hedges and Pigott 2001): if every trial has within-trial
variance :math:`v` and the true effects vary with variance :math:`\tau^2`, the pooled
estimate has variance :math:`v_* = (v + \tau^2)/k` (general: :math:`1/\sum 1/(v_i+\tau^2)`),
and the two-sided Wald test has power
:math:`1 - \Phi(z_{1-\alpha/2} - \lambda) + \Phi(-z_{1-\alpha/2} - \lambda)` with
:math:`\lambda = \delta/\sqrt{v_*}`. This treats :math:`\tau^2` as known; with few trials
the real tests behave differently (Jackson and Turner 2017), which
:func:`kmeta.simulate.coverage_study` can show (its ``reject`` column).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result
from ._validate import check_positive_number, check_probability

__all__ = [
    "n_two_means",
    "SampleSizeResult",
    "power_two_means",
    "power_meta",
    "MetaPowerResult",
    "k_for_power",
]


def _delta(value):
    try:
        d = abs(float(value))
    except (TypeError, ValueError):
        raise ValueError(f"delta: expected a number, got {value!r}") from None
    if not (np.isfinite(d) and d > 0):
        raise ValueError(f"delta: is {value!r}; the difference to detect must be finite and not 0")
    return d


def _rho(value):
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"rho: expected a correlation in [0, 1), got {value!r}") from None
    if not (np.isfinite(r) and -1.0 < r < 1.0):
        raise ValueError(f"rho: is {value!r}; the baseline-outcome correlation must be in (-1, 1)")
    return r


def _t_power(n1, n2, delta, sd, alpha, sides, rho):
    from scipy import stats  # imported on use: it takes a second to load
    df = n1 + n2 - 2.0 - (1.0 if rho != 0.0 else 0.0)
    ncp = delta / (sd * math.sqrt(1.0 - rho * rho) * math.sqrt(1.0 / n1 + 1.0 / n2))
    tcrit = float(stats.t.ppf(1.0 - alpha / sides, df))
    upper = float(stats.nct.sf(tcrit, df, ncp))
    lower = float(stats.nct.cdf(-tcrit, df, ncp)) if sides == 2 else 0.0
    return upper + lower


def _z_power(n1, n2, delta, sd, alpha, sides, rho):
    lam = delta / (sd * math.sqrt(1.0 - rho * rho) * math.sqrt(1.0 / n1 + 1.0 / n2))
    z = float(special.ndtri(1.0 - alpha / sides))
    return float(special.ndtr(lam - z) + (special.ndtr(-z - lam) if sides == 2 else 0.0))


def power_two_means(n1, delta, sd, alpha=0.05, *, n2=None, method="t", rho=0.0, sides=2) -> float:
    """Power of a two-arm trial comparing means.

    Parameters
    ----------
    n1 : float
        Patients in arm 1 (>= 2); ``n2`` defaults to ``n1``.
    delta, sd : float
        True difference (its sign is ignored) and outcome SD (> 0).
    alpha : float
        Significance level (two-sided if ``sides`` = 2).
    method : str
        ``"t"`` (noncentral t) or ``"normal"``.
    rho : float
        Baseline-outcome correlation for ANCOVA (0: plain comparison of means).
    """
    n1 = check_positive_number(n1, "n1")
    n2 = n1 if n2 is None else check_positive_number(n2, "n2")
    if n1 < 2 or n2 < 2:
        raise ValueError("n1, n2: each arm needs at least 2 patients")
    delta, sd = _delta(delta), check_positive_number(sd, "sd")
    alpha, rho = check_probability(alpha, "alpha"), _rho(rho)
    if sides not in (1, 2):
        raise ValueError(f"sides: is {sides!r}; must be 1 or 2")
    method = _method(method)
    fn = _t_power if method == "t" else _z_power
    return fn(n1, n2, delta, sd, alpha, sides, rho)


def _method(method):
    if not isinstance(method, str) or method.lower() not in ("t", "normal"):
        raise ValueError(f"method: is {method!r}; expected 't' or 'normal'")
    return method.lower()


@dataclasses.dataclass(frozen=True, repr=False)
class SampleSizeResult(Result):
    """Sample size of a two-arm trial (:func:`n_two_means`)."""

    n1: int
    n2: int
    n_total: int
    n1_exact: float
    power: float
    delta: float
    sd: float
    alpha: float
    target_power: float
    ratio: float
    rho: float
    method: str
    sides: int

    def summary(self) -> str:
        design = "ANCOVA" if self.rho else "comparison of means"
        return (
            f"Sample size ({self.method}, {design}): {self.n1} + {self.n2} = {self.n_total} patients "
            f"to detect {self.delta:g} with SD {self.sd:g} (alpha {self.alpha:g}, {self.sides}-sided); "
            f"power {self.power:.4f} (target {self.target_power:g})"
        )


def n_two_means(delta, sd, alpha=0.05, power=0.9, *, ratio=1.0, method="t", rho=0.0, sides=2) -> SampleSizeResult:
    """Patients per arm to detect a difference in means with the given power.

    Parameters
    ----------
    delta, sd : float
        Difference to detect (sign ignored) and outcome SD.
    alpha : float
        Type I error (two-sided if ``sides`` = 2).
    power : float
        Target power, 1 − β.
    ratio : float
        Allocation n2/n1 (> 0).
    method : str
        ``"t"`` (smallest whole n1 with noncentral-t power >= target) or ``"normal"``
        (the closed form, rounded up).
    rho : float
        Baseline-outcome correlation for ANCOVA.

    Returns
    -------
    SampleSizeResult
        ``n1`` (rounded up), ``n2 = ceil(ratio * n1)``, ``n1_exact`` (the normal-formula
        value before rounding, or for ``"t"`` the fractional n1 at which the power equals
        the target, as R's ``power.t.test`` reports it) and the achieved ``power``.
    """
    delta, sd = _delta(delta), check_positive_number(sd, "sd")
    alpha, target = check_probability(alpha, "alpha"), check_probability(power, "power")
    ratio, rho = check_positive_number(ratio, "ratio"), _rho(rho)
    method = _method(method)
    if sides not in (1, 2):
        raise ValueError(f"sides: is {sides!r}; must be 1 or 2")
    z = float(special.ndtri(1.0 - alpha / sides) + special.ndtri(target))
    n_norm = z * z * sd * sd * (1.0 - rho * rho) * (1.0 + 1.0 / ratio) / (delta * delta)
    if method == "normal":
        n1 = max(2, math.ceil(n_norm - 1e-9))
        exact = n_norm
        fn = _z_power
    else:
        fn = _t_power

        def gap(n):
            return fn(n, ratio * n, delta, sd, alpha, sides, rho) - target

        lo = 2.0 + (1.0 if rho else 0.0)
        hi = max(4.0, 2.0 * n_norm + 10.0)
        while gap(hi) < 0:
            hi *= 2.0
        if gap(lo) >= 0:
            exact = lo
        else:
            from scipy import optimize

            exact = optimize.brentq(gap, lo, hi, xtol=1e-10)
        n1 = max(2, math.ceil(exact - 1e-9))
        while fn(n1, math.ceil(ratio * n1), delta, sd, alpha, sides, rho) < target:
            n1 += 1
    n2 = math.ceil(ratio * n1 - 1e-9)
    achieved = fn(n1, n2, delta, sd, alpha, sides, rho)
    return SampleSizeResult(n1=int(n1), n2=int(n2), n_total=int(n1 + n2), n1_exact=float(exact),
                            power=float(achieved), delta=delta, sd=sd, alpha=alpha, target_power=target,
                            ratio=ratio, rho=rho, method=method, sides=sides)


@dataclasses.dataclass(frozen=True, repr=False)
class MetaPowerResult(Result):
    """Power of a random-effects meta-analysis (Hedges and Pigott 2001)."""

    power: float
    k: int
    v: float
    tau2: float
    v_pooled: float
    lam: float
    delta: float
    alpha: float
    power_fixed: float

    def summary(self) -> str:
        return (
            f"Power of a random-effects meta-analysis of k = {self.k} trials (within-trial variance "
            f"{self.v:.4g}, tau^2 = {self.tau2:g}): {self.power:.4f} for delta = {self.delta:g} at alpha "
            f"{self.alpha:g} (common-effect model: {self.power_fixed:.4f})"
        )


def power_meta(delta, *, k=None, vi=None, n_per_arm=None, sd=None, tau2=0.0, alpha=0.05) -> MetaPowerResult:
    r"""Power of the two-sided Wald test of a random-effects meta-analysis (τ² known).

    Give either ``vi`` (the trials' within-trial variances) or ``k`` equal trials with
    ``n_per_arm`` patients per arm and outcome ``sd`` (then :math:`v = 2\sigma^2/n`).

    Returns
    -------
    MetaPowerResult
        ``power``, the pooled variance ``v_pooled`` and noncentrality ``lam``; also
        ``power_fixed``, the power if τ² were 0.
    """
    delta, alpha = _delta(delta), check_probability(alpha, "alpha")
    try:
        tau2 = float(tau2)
    except (TypeError, ValueError):
        raise ValueError(f"tau2: expected a number >= 0, got {tau2!r}") from None
    if not (np.isfinite(tau2) and tau2 >= 0):
        raise ValueError(f"tau2: is {tau2!r}; must be >= 0")
    if vi is not None:
        v = np.atleast_1d(np.asarray(vi, dtype=float))
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise ValueError("vi: within-trial variances must be finite and > 0")
    else:
        if k is None or n_per_arm is None or sd is None:
            raise ValueError("k: give vi, or k together with n_per_arm and sd")
        if int(k) != k or k < 1:
            raise ValueError(f"k: is {k!r}; the number of trials must be a whole number >= 1")
        n = check_positive_number(n_per_arm, "n_per_arm")
        sd = check_positive_number(sd, "sd")
        v = np.full(int(k), 2.0 * sd * sd / n)
    vstar = 1.0 / np.sum(1.0 / (v + tau2))
    vfix = 1.0 / np.sum(1.0 / v)
    z = float(special.ndtri(1.0 - alpha / 2.0))

    def pw(var):
        lam = delta / math.sqrt(var)
        return float(special.ndtr(lam - z) + special.ndtr(-z - lam)), lam

    p, lam = pw(vstar)
    return MetaPowerResult(power=p, k=int(v.size), v=float(np.mean(v)), tau2=tau2, v_pooled=float(vstar),
                           lam=float(lam), delta=delta, alpha=alpha, power_fixed=pw(vfix)[0])


def k_for_power(delta, *, n_per_arm, sd, tau2=0.0, alpha=0.05, power=0.9, k_max=10_000) -> int:
    """Smallest number of equal trials for which :func:`power_meta` reaches ``power``."""
    target = check_probability(power, "power")
    for k in range(1, int(k_max) + 1):
        if power_meta(delta, k=k, n_per_arm=n_per_arm, sd=sd, tau2=tau2, alpha=alpha).power >= target:
            return k
    raise ValueError(f"k_max: no k up to {k_max} reaches power {target:g}")


def power_table(deltas, ks, *, n_per_arm, sd, tau2s=(0.0,), alpha=0.05) -> pd.DataFrame:
    """:func:`power_meta` over a grid: one row per (delta, k, tau2)."""
    rows = []
    for d in deltas:
        for t in tau2s:
            for k in ks:
                r = power_meta(d, k=k, n_per_arm=n_per_arm, sd=sd, tau2=t, alpha=alpha)
                rows.append({"delta": d, "tau2": t, "k": k, "power": r.power})
    return pd.DataFrame(rows)


__all__.append("power_table")
