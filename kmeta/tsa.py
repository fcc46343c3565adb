r"""Trial sequential analysis: information size, spending functions, sequential boundaries.

A cumulative meta-analysis tests the pooled effect again every time a trial is added.
Trial sequential analysis (TSA; Wetterslev et al. 2008, 2009) treats those tests as the
interim analyses of a group sequential design, whose planned total ("required
information size", RIS) is the sample size a single adequately powered trial would need,
inflated for heterogeneity:

.. math::

    \text{RIS} = \frac{4\,(z_{1-\alpha/2} + z_{1-\beta})^2\,\sigma^2}{\delta^2},
    \qquad \text{DARIS} = \frac{\text{RIS}}{1 - D^2},

with :math:`\delta` the smallest effect worth detecting, :math:`\sigma` the outcome SD
and :math:`D^2 = 1 - V_F/V_R` the *diversity*: the relative increase of the variance of
the pooled estimate from the common-effect (:math:`V_F`) to the random-effects model
(:math:`V_R`) (Wetterslev et al. 2009).

Boundaries (Lan and DeMets 1983). An α-spending function :math:`\alpha^*(t)`, increasing
from 0 to α on the information fraction :math:`t \in [0, 1]`, says how much of the type I
error may have been used by fraction t:

* O'Brien–Fleming type: :math:`\alpha^*(t) = 2 - 2\Phi(z_{1-\alpha/2}/\sqrt t)`;
* Pocock type: :math:`\alpha^*(t) = \alpha\,\ln(1 + (e-1)t)`;
* power family: :math:`\alpha^*(t) = \alpha\,t^\rho`.

The boundary :math:`b_k` at the k-th look solves
:math:`P(|Z_1| < b_1, \dots, |Z_{k-1}| < b_{k-1}, |Z_k| \ge b_k) = \alpha^*(t_k) - \alpha^*(t_{k-1})`.
These probabilities are computed exactly (up to quadrature error) by the recursive
numerical integration of Armitage, McPherson and Rowe (1969), as in Reboussin et al.
(2000) and Jennison and Turnbull (2000, ch. 19): the B-value :math:`B_k = Z_k\sqrt{t_k}`
has independent normal increments :math:`N(\theta\Delta_k, \Delta_k)`, so the
sub-density of :math:`B_k` on the continuation region is the previous sub-density
convolved with a normal kernel; every convolution is evaluated with Simpson's rule on a
grid that resolves both the density and the kernel.

β-spending (futility) boundaries :math:`a_k` are found the same way under the alternative
(drift :math:`\theta`, the expected Z at full information): the probability of stopping
for futility by look k equals :math:`\beta^*(t_k)`. Efficacy boundaries are non-binding
(computed ignoring futility); the drift is raised until both boundaries meet at the final
look (the "inflation factor" :math:`(\theta/\theta_{fixed})^2` of the information size).

:func:`tsa` applies all this to a cumulative meta-analysis in publication order.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import optimize, special

from ._result import Result, format_num
from ._validate import (
    as_array, check_choice, check_k, check_positive, check_positive_number, check_probability,
    study_labels,
)

__all__ = [
    "SPENDING",
    "spending",
    "required_information_size",
    "RISResult",
    "diversity",
    "exit_probabilities",
    "group_sequential_bounds",
    "SequentialDesign",
    "classical_constant",
    "tsa",
    "TSAResult",
]

SPENDING = ("obf", "pocock", "power")
_Z_RANGE = 12.0  # grids cover the drift's mean +/- this many SDs of B
_MAX_NODES = 8001


# --------------------------------------------------------------------------- checks
def _check_fractions(t):
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if t.ndim != 1 or t.size == 0:
        raise ValueError("t: expected a non-empty 1-d sequence of information fractions")
    if not np.all(np.isfinite(t)) or np.any(t <= 0) or np.any(t > 1):
        raise ValueError("t: information fractions must be in (0, 1]")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t: information fractions must be strictly increasing")
    return t


# --------------------------------------------------------------------------- spending
def spending(t, alpha=0.05, kind="obf", rho=1.0):
    r"""Cumulative error spent by information fraction ``t`` (Lan–DeMets spending functions).

    Parameters
    ----------
    t : array_like
        Information fractions in [0, 1] (values above 1 are treated as 1).
    alpha : float
        Total error to spend, in (0, 1) (two-sided α for two-sided boundaries, or β).
    kind : str
        ``"obf"`` (O'Brien–Fleming type, :math:`2 - 2\Phi(z_{1-\alpha/2}/\sqrt t)`),
        ``"pocock"`` (:math:`\alpha\ln(1+(e-1)t)`) or ``"power"`` (:math:`\alpha t^\rho`).
    rho : float
        Exponent of the power family.

    >>> float(spending(1.0, 0.05, "obf"))
    0.05
    """
    alpha = check_probability(alpha, "alpha")
    kind = check_choice(kind, "spending", SPENDING)
    t = np.asarray(t, dtype=float)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("t: information fractions must be finite and >= 0")
    tc = np.minimum(t, 1.0)
    if kind == "obf":
        z = special.ndtri(1.0 - alpha / 2.0)
        with np.errstate(divide="ignore"):
            # 2 - 2 Phi(x) written as 2 Phi(-x): no cancellation in the far tail
            out = np.where(tc > 0, 2.0 * special.ndtr(-z / np.sqrt(np.where(tc > 0, tc, 1.0))), 0.0)
        out = np.where(tc >= 1.0, alpha, out)
    elif kind == "pocock":
        out = alpha * np.log1p((math.e - 1.0) * tc)
        out = np.where(tc >= 1.0, alpha, out)
    else:
        rho = check_positive_number(rho, "rho")
        out = alpha * tc**rho
    return out[()] if out.ndim == 0 else out


# --------------------------------------------------------------------------- information size
@dataclasses.dataclass(frozen=True, repr=False)
class RISResult(Result):
    """Required information size (total patients, both arms) and its ingredients."""

    ris: float
    daris: float
    per_group: float
    delta: float
    sd: float
    alpha: float
    beta: float
    diversity: float

    def summary(self) -> str:
        return (
            f"Required information size for delta = {self.delta:g}, SD = {self.sd:g}, "
            f"alpha = {self.alpha:g} (two-sided), power = {1 - self.beta:g}:\n"
            f"  RIS = {self.ris:.1f} patients ({self.per_group:.1f} per group); diversity D^2 = "
            f"{100 * self.diversity:.1f}% -> diversity-adjusted RIS = {self.daris:.1f}"
        )


def required_information_size(delta, sd, alpha=0.05, beta=0.1, diversity=0.0) -> RISResult:
    r"""Required (and diversity-adjusted) information size for a mean difference.

    :math:`\text{RIS} = 4(z_{1-\alpha/2}+z_{1-\beta})^2\sigma^2/\delta^2` patients in total
    (two equal arms), :math:`\text{DARIS} = \text{RIS}/(1-D^2)` (Wetterslev et al. 2009).
    Values are not rounded up (``math.ceil`` them for a count of patients).

    Parameters
    ----------
    delta : float
        Minimal effect worth detecting (its sign is ignored; > 0 in absolute value).
    sd : float
        Outcome standard deviation (> 0).
    alpha : float
        Two-sided type I error, in (0, 1).
    beta : float
        Type II error, in (0, 1) (power = 1 − β).
    diversity : float
        D² in [0, 1).
    """
    try:
        d = abs(float(delta))
    except (TypeError, ValueError):
        raise ValueError(f"delta: expected a number, got {delta!r}") from None
    if not (np.isfinite(d) and d > 0):
        raise ValueError(f"delta: is {delta!r}; the minimal effect must be a finite number other than 0")
    sd = check_positive_number(sd, "sd")
    alpha = check_probability(alpha, "alpha")
    beta = check_probability(beta, "beta")
    try:
        D2 = float(diversity)
    except (TypeError, ValueError):
        raise ValueError(f"diversity: expected a number in [0, 1), got {diversity!r}") from None
    if not 0.0 <= D2 < 1.0:
        raise ValueError(f"diversity: is {diversity!r}; D^2 must be in [0, 1)")
    z = float(special.ndtri(1.0 - alpha / 2.0) + special.ndtri(1.0 - beta))
    ris = 4.0 * z * z * sd * sd / (d * d)
    return RISResult(ris=ris, daris=ris / (1.0 - D2), per_group=ris / 2.0, delta=d, sd=sd, alpha=alpha,
                     beta=beta, diversity=D2)


def diversity(yi, vi=None, *, sei=None, method="DL", labels=None) -> float:
    r"""Diversity :math:`D^2 = 1 - V_F/V_R` of a meta-analysis (Wetterslev et al. 2009).

    :math:`V_F = 1/\sum v_i^{-1}` and :math:`V_R = 1/\sum (v_i+\hat\tau^2)^{-1}` are the
    variances of the common-effect and random-effects pooled estimates (τ² by ``method``).
    0 when τ² = 0.
    """
    from .meta import meta

    fe = meta(yi, vi, sei=sei, method="FE", labels=labels)
    re = meta(yi, vi, sei=sei, method=method, labels=labels)
    vf = fe.se**2
    vr = 1.0 / np.sum(1.0 / (fe.vi + re.tau2))
    return float(max(0.0, 1.0 - vf / vr))


# --------------------------------------------------------------------------- recursion
def _simpson(lo, hi, h):
    """Simpson nodes (odd count) and weights on [lo, hi] with spacing about h."""
    n = int(math.ceil((hi - lo) / h))
    n = max(2, n + (n % 2))  # even number of intervals
    n = min(n, _MAX_NODES - 1)
    n -= n % 2
    x = np.linspace(lo, hi, n + 1)
    w = np.ones(n + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return x, w * (hi - lo) / (3.0 * n)


class _Recursion:
    """Sub-density of the B-value B_k = Z_k sqrt(t_k) on the continuation region.

    The state is a set of nodes b_j with weights q_j such that sum_j q_j f(b_j)
    approximates the integral of f against the sub-density of B at the last look.
    """

    def __init__(self, t, drift):
        self.t = np.asarray(t, float)
        self.drift = float(drift)
        self.k = 0
        self.nodes = np.zeros(1)  # B_0 = 0 with probability 1
        self.q = np.ones(1)
        self.t_prev = 0.0

    def _step(self):
        tk = self.t[self.k]
        delta = tk - self.t_prev
        return tk, delta, math.sqrt(delta), self.drift * delta

    def p_upper(self, c):
        """P(continue to here and Z_k >= c) at the current (not yet taken) look."""
        tk, _, s, mshift = self._step()
        if not np.isfinite(c):
            return 0.0 if c > 0 else float(self.q.sum())
        u = c * math.sqrt(tk)
        return float(np.dot(self.q, special.ndtr((self.nodes + mshift - u) / s)))

    def p_lower(self, c):
        """P(continue to here and Z_k <= c)."""
        tk, _, s, mshift = self._step()
        if not np.isfinite(c):
            return 0.0 if c < 0 else float(self.q.sum())
        low = c * math.sqrt(tk)
        return float(np.dot(self.q, special.ndtr((low - self.nodes - mshift) / s)))

    def advance(self, lower, upper):
        """Take look k with continuation region lower < Z_k < upper."""
        tk, delta, s, mshift = self._step()
        rt = math.sqrt(tk)
        centre = self.drift * tk
        lo = max(lower * rt if np.isfinite(lower) else -np.inf, centre - _Z_RANGE * rt)
        hi = min(upper * rt if np.isfinite(upper) else np.inf, centre + _Z_RANGE * rt)
        nxt = self.t[self.k + 1] - tk if self.k + 1 < self.t.size else delta
        h = min(rt, s, math.sqrt(nxt)) / 24.0
        if hi <= lo:
            self.nodes, self.q = np.zeros(1), np.zeros(1)
        else:
            x, w = _simpson(lo, hi, h)
            # density of B_k at x: sum_j q_j phi((x - b_j - mshift)/s)/s, in row blocks
            dens = np.empty_like(x)
            step = max(1, 4_000_000 // max(1, self.nodes.size))
            for i in range(0, x.size, step):
                z = (x[i:i + step, None] - self.nodes[None, :] - mshift) / s
                dens[i:i + step] = np.exp(-0.5 * z * z) @ self.q
            dens /= s * math.sqrt(2.0 * math.pi)
            self.nodes, self.q = x, w * dens
        self.t_prev = tk
        self.k += 1


def exit_probabilities(t, upper, lower=None, drift=0.0):
    """Probabilities of first crossing each boundary at each look.

    Parameters
    ----------
    t : array_like
        Information fractions (increasing, in (0, 1]).
    upper, lower : array_like
        Boundaries on the Z scale (``lower`` default: ``-upper``; use ``-inf`` for none).
    drift : float
        Expected value of Z at t = 1 (0 under the null hypothesis).

    Returns
    -------
    (p_upper, p_lower) : ndarrays
        ``p_upper[k]`` = P(stop at look k by Z_k >= upper[k]), likewise for ``lower``.
    """
    t = _check_fractions(t)
    upper = np.broadcast_to(np.asarray(upper, float), t.shape).copy()
    lower = -upper if lower is None else np.broadcast_to(np.asarray(lower, float), t.shape).copy()
    rec = _Recursion(t, drift)
    pu, pl = np.zeros(t.size), np.zeros(t.size)
    for k in range(t.size):
        pu[k] = rec.p_upper(upper[k])
        pl[k] = rec.p_lower(lower[k])
        if k + 1 < t.size:
            rec.advance(lower[k], upper[k])
    return pu, pl


def _solve_bound(fun, target, lo=0.0, hi=40.0):
    """Boundary c with fun(c) = target for a decreasing fun (inf if target is 0)."""
    if target <= 0.0:
        return math.inf
    flo = fun(lo) - target
    if flo <= 0:
        return lo
    return optimize.brentq(lambda c: fun(c) - target, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=300)


def _efficacy_bounds(t, alpha, sides, kind, rho, alpha_split="total"):
    if sides == 2 and alpha_split == "per_side":
        cum = 2.0 * spending(t, alpha / 2.0, kind, rho)
    else:
        cum = spending(t, alpha, kind, rho)
    inc = np.diff(np.concatenate([[0.0], cum]))
    rec = _Recursion(t, 0.0)
    b = np.empty(t.size)
    for k in range(t.size):
        if sides == 2:
            b[k] = _solve_bound(lambda c: rec.p_upper(c) + rec.p_lower(-c), inc[k])
        else:
            b[k] = _solve_bound(rec.p_upper, inc[k])
        if k + 1 < t.size:
            rec.advance(-b[k] if sides == 2 else -np.inf, b[k])
    return b, cum


def _futility_bounds(t, upper, beta, drift, kind, rho):
    """Lower (futility) bounds by beta-spending under the drift; continuation (a_k, b_k)."""
    cum = spending(t, beta, kind, rho)
    inc = np.diff(np.concatenate([[0.0], cum]))
    rec = _Recursion(t, drift)
    a = np.empty(t.size)
    for k in range(t.size):
        if inc[k] <= 0:
            a[k] = -np.inf
        else:
            # p_lower increases in c: solve p_lower(c) = inc on a wide bracket
            f = lambda c: rec.p_lower(c) - inc[k]  # noqa: E731
            lo, hi = drift * math.sqrt(t[k]) - 40.0, max(upper[k], drift * math.sqrt(t[k])) + 40.0
            if not np.isfinite(hi):
                hi = drift * math.sqrt(t[k]) + 40.0
            a[k] = optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=300) if f(hi) > 0 else hi
        if a[k] > upper[k]:
            a[k] = upper[k]
        if k + 1 < t.size:
            rec.advance(a[k], upper[k])
    return a, cum


@dataclasses.dataclass(frozen=True, repr=False)
class SequentialDesign(Result):
    """Group sequential boundaries (Z scale) at the information fractions ``t``.

    ``upper`` are the efficacy boundaries (two-sided: reject when ``|Z| >= upper``),
    ``futility`` the β-spending boundaries on the side of benefit (NaN without
    futility), ``alpha_spent``/``beta_spent`` the cumulative spending, ``nominal_p`` the
    nominal two-sided (or one-sided) p-value of each efficacy boundary. ``drift`` is the
    expected Z at t = 1 under the alternative and ``inflation`` = (drift/drift_fixed)²,
    the factor by which the information size must grow for the sequential design to keep
    the power of the fixed design.
    """

    t: np.ndarray
    upper: np.ndarray
    futility: np.ndarray
    alpha_spent: np.ndarray
    beta_spent: np.ndarray
    nominal_p: np.ndarray
    alpha: float
    beta: float
    sides: int
    spending: str
    drift: float
    inflation: float
    power: float

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({
            "t": self.t, "upper": self.upper, "futility": self.futility,
            "alpha_spent": self.alpha_spent, "beta_spent": self.beta_spent, "nominal_p": self.nominal_p,
        })

    def to_frame(self) -> pd.DataFrame:
        return self.table()

    def summary(self) -> str:
        head = (f"Group sequential design: {self.sides}-sided alpha = {self.alpha:g}, "
                f"{self.spending} spending, {self.t.size} looks")
        if np.isfinite(self.beta):
            head += (f"; beta = {self.beta:g} (futility by beta-spending), drift {self.drift:.4f}, "
                     f"inflation factor {self.inflation:.4f}, power {self.power:.4f}")
        return head + "\n" + self.table().round(5).to_string(index=False)


def group_sequential_bounds(t, alpha=0.05, *, sides=2, spending_kind="obf", rho=1.0, alpha_split="total",
                            beta=None, beta_spending=None, drift=None, inflate=True) -> SequentialDesign:
    """Lan–DeMets efficacy boundaries and, optionally, β-spending futility boundaries.

    Parameters
    ----------
    t : array_like
        Information fractions of the looks, increasing, in (0, 1]; for the futility
        boundaries the last must be 1.
    alpha : float
        Type I error (two-sided if ``sides`` = 2).
    sides : int
        1 or 2.
    spending_kind : str
        ``"obf"``, ``"pocock"`` or ``"power"`` (with ``rho``).
    alpha_split : str
        Two-sided designs only. ``"total"`` (default; Lan and DeMets 1983): the spending
        function of the two-sided α is applied to ``P(|Z| >= b)``. ``"per_side"`` (the
        convention of gsDesign and rpact): the spending function of α/2 is applied to each
        tail. Both spend α by t = 1; for the O'Brien–Fleming type, ``"per_side"`` spends
        less early, so its early boundaries are higher.
    beta : float, optional
        Type II error; if given, futility boundaries are computed by β-spending with the
        same family (or ``beta_spending``).
    drift : float, optional
        Expected Z at t = 1 under the alternative. Default: the fixed-design value
        ``z(1-alpha/sides) + z(1-beta)``, raised (``inflate=True``) until the futility
        and efficacy boundaries meet at t = 1.

    Returns
    -------
    SequentialDesign
    """
    t = _check_fractions(t)
    alpha = check_probability(alpha, "alpha")
    if sides not in (1, 2):
        raise ValueError(f"sides: is {sides!r}; must be 1 or 2")
    kind = check_choice(spending_kind, "spending", SPENDING)
    alpha_split = check_choice(alpha_split, "alpha_split", ("total", "per_side"))
    upper, acum = _efficacy_bounds(t, alpha, sides, kind, rho, alpha_split)
    with np.errstate(over="ignore"):
        nominal = (2.0 if sides == 2 else 1.0) * special.ndtr(-upper)
    if beta is None:
        nan = np.full(t.size, np.nan)
        return SequentialDesign(t=t, upper=upper, futility=nan, alpha_spent=acum, beta_spent=nan,
                                nominal_p=nominal, alpha=alpha, beta=math.nan, sides=sides, spending=kind,
                                drift=math.nan, inflation=math.nan, power=math.nan)
    beta = check_probability(beta, "beta")
    bkind = check_choice(beta_spending or kind, "beta_spending", SPENDING)
    if abs(t[-1] - 1.0) > 1e-12:
        raise ValueError("t: futility boundaries need the last look at t = 1")
    fixed = float(special.ndtri(1.0 - alpha / sides) + special.ndtri(1.0 - beta))
    if drift is None and inflate:
        def gap(d):
            a, _ = _futility_bounds(t, upper, beta, d, bkind, rho)
            # before the cap a_K <= b_K: compare the uncapped final bound
            rec = _Recursion(t, d)
            for k in range(t.size - 1):
                rec.advance(a[k], upper[k])
            rest = beta - (spending(t[-2], beta, bkind, rho) if t.size > 1 else 0.0)
            return rec.p_lower(upper[-1]) - rest
        lo, hi = 0.5 * fixed, 3.0 * fixed
        drift = optimize.brentq(gap, lo, hi, xtol=1e-10, rtol=1e-12)
    elif drift is None:
        drift = fixed
    else:
        drift = check_positive_number(drift, "drift")
    fut, bcum = _futility_bounds(t, upper, beta, drift, bkind, rho)
    pu, _ = exit_probabilities(t, upper, fut, drift)
    return SequentialDesign(t=t, upper=upper, futility=fut, alpha_spent=acum, beta_spent=bcum,
                            nominal_p=nominal, alpha=alpha, beta=beta, sides=sides, spending=kind,
                            drift=float(drift), inflation=float((drift / fixed) ** 2), power=float(pu.sum()))


def classical_constant(K, alpha=0.05, kind="obf", sides=2) -> float:
    """The constant of the classical equally spaced designs (Pocock 1977; O'Brien–Fleming 1979).

    Pocock: reject at look k when ``|Z_k| >= C_P``. O'Brien–Fleming: when
    ``|Z_k| >= C_B sqrt(K/k)``. Returns C_P or C_B for K looks and overall level ``alpha``.
    """
    try:
        K = int(K)
    except (TypeError, ValueError):
        raise ValueError(f"K: expected a whole number of looks, got {K!r}") from None
    if K < 1:
        raise ValueError(f"K: is {K}; need at least one look")
    alpha = check_probability(alpha, "alpha")
    kind = check_choice(kind, "kind", ("obf", "pocock"))
    t = np.arange(1, K + 1) / K
    shape = np.sqrt(K / np.arange(1, K + 1)) if kind == "obf" else np.ones(K)

    def total(c):
        pu, pl = exit_probabilities(t, c * shape, -c * shape if sides == 2 else np.full(K, -np.inf))
        return pu.sum() + pl.sum()

    return float(optimize.brentq(lambda c: total(c) - alpha, 0.5, 10.0, xtol=1e-12, rtol=1e-12))


# --------------------------------------------------------------------------- TSA of a meta-analysis
@dataclasses.dataclass(frozen=True, repr=False)
class TSAResult(Result):
    """Result of :func:`tsa`.

    ``looks`` has one row per trial added (publication order): ``study``, ``n_cum``
    (cumulative patients), ``t`` (fraction of the DARIS, uncapped), ``estimate``, ``se``,
    ``z`` (the Z-curve, signed as the estimate), ``upper`` (efficacy boundary for ``|Z|``),
    ``futility`` (β-spending boundary for the benefit-side Z; NaN before any β is spent),
    ``conventional`` (``|Z| >= z(1-α/2)``) and ``crossed``: "benefit" or "harm" (the Z-curve is
    on or beyond the monitoring boundary on that side), "futility" (on or below the
    futility boundary before the DARIS) or "".
    ``design`` holds the boundaries at the observed fractions plus, when the DARIS has not
    been reached, a final look at t = 1.
    """

    looks: pd.DataFrame
    design: SequentialDesign
    ris: RISResult
    diversity: float
    method: str
    favours: str
    reached: bool
    crossed_efficacy: bool
    crossed_futility: bool
    adjusted_ci_low: float
    adjusted_ci_high: float
    notes: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        return self.looks.copy()

    def summary(self) -> str:
        last = self.looks.iloc[-1]
        lines = [
            self.ris.summary(),
            f"Cumulative meta-analysis ({self.method}), {len(self.looks)} trials, "
            f"{int(last['n_cum'])} patients = {100 * last['t']:.1f}% of the DARIS",
            self.looks.round(4).to_string(index=False),
            f"Monitoring boundary crossed: {'yes' if self.crossed_efficacy else 'no'}; "
            f"futility boundary crossed: {'yes' if self.crossed_futility else 'no'}; "
            f"DARIS reached: {'yes' if self.reached else 'no'}",
            f"TSA-adjusted {100 * (1 - self.design.alpha):g}% CI at the last look: "
            f"[{format_num(self.adjusted_ci_low)}, {format_num(self.adjusted_ci_high)}]",
        ]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def tsa(yi, vi=None, n=None, *, sei=None, delta, sd, alpha=0.05, beta=0.1, diversity_value=None,
        method="DL", favours="lower", spending_kind="obf", alpha_split="total", futility=True,
        labels=None) -> TSAResult:
    """Trial sequential analysis of a cumulative meta-analysis of mean differences.

    Parameters
    ----------
    yi, vi (or sei) : array_like
        Trial effects and variances, in publication order.
    n : array_like
        Patients in each trial (both arms): the information scale.
    delta : float
        Minimal effect worth detecting (magnitude; the direction is ``favours``).
    sd : float
        Outcome SD for the information size.
    alpha, beta : float
        Two-sided type I error and type II error.
    diversity_value : float, optional
        D² for the DARIS; default: :func:`diversity` of all trials with ``method``.
    method : str
        τ² estimator of the cumulative random-effects meta-analysis (Wald Z-curve, as
        the TSA software); ``"FE"`` for a common-effect Z-curve.
    favours : str
        ``"lower"`` if negative effects mean benefit (pain scores), else ``"higher"``.
    spending_kind : str
        α- and β-spending family (``"obf"`` as in TSA).
    alpha_split : str
        How the two-sided α is spent (see :func:`group_sequential_bounds`).
    futility : bool
        Compute β-spending futility boundaries.

    Returns
    -------
    TSAResult
    """
    from .meta import meta

    if n is None:
        raise ValueError("n: the number of patients in each trial is needed for the information scale")
    k = as_array(yi, "yi", finite=False).shape[0]
    check_k(k, 1, "tsa")
    labels = study_labels(labels, k)
    yi = as_array(yi, "yi", labels, k)
    n = as_array(n, "n", labels, k)
    check_positive(n, "n", labels, "trial sizes must be > 0")
    favours = check_choice(favours, "favours", ("lower", "higher"))
    alpha = check_probability(alpha, "alpha")
    beta = check_probability(beta, "beta")
    if diversity_value is None:
        D2 = diversity(yi, vi, sei=sei, method=method) if (k > 1 and method != "FE") else 0.0
    else:
        D2 = float(diversity_value)
    ris = required_information_size(delta, sd, alpha, beta, D2)
    vi_arr = None if vi is None else as_array(vi, "vi", labels, k)
    sei_arr = None if sei is None else as_array(sei, "sei", labels, k)

    rows = []
    for j in range(1, k + 1):
        m = meta(yi[:j], None if vi_arr is None else vi_arr[:j], sei=None if sei_arr is None else sei_arr[:j],
                 method=method if j > 1 else "FE", test="z")
        rows.append({"study": labels[j - 1] if labels else str(j - 1), "n_cum": float(n[:j].sum()),
                     "estimate": m.estimate, "se": m.se, "z": m.estimate / m.se})
    looks = pd.DataFrame(rows)
    frac = looks["n_cum"].to_numpy() / ris.daris
    looks.insert(2, "t", frac)
    notes = []

    # looks used for the boundaries: observed fractions below 1, then t = 1 (the first look at
    # or beyond the DARIS, or a hypothetical final look)
    below = frac[frac < 1.0]
    if below.size and np.any(np.diff(below) <= 0):
        raise ValueError("n: every trial must add patients (cumulative information must increase)")
    t_design = np.concatenate([below, [1.0]])
    design = group_sequential_bounds(t_design, alpha, sides=2, spending_kind=spending_kind,
                                     alpha_split=alpha_split, beta=beta if futility else None)
    upper = np.empty(k)
    fut = np.full(k, np.nan)
    for j in range(k):
        idx = min(j, t_design.size - 1) if frac[j] < 1.0 else t_design.size - 1
        upper[j] = design.upper[idx]
        if futility:
            fut[j] = design.futility[idx]
    if np.any(frac > 1.0):
        notes.append("looks beyond the DARIS use the final boundary (all alpha spent at t = 1)")
    sign = -1.0 if favours == "lower" else 1.0
    zb = sign * looks["z"].to_numpy()  # Z in the direction of benefit
    looks["upper"] = upper
    looks["futility"] = np.where(np.isfinite(fut), fut, np.nan)
    zc = float(special.ndtri(1.0 - alpha / 2.0))
    looks["conventional"] = np.abs(looks["z"].to_numpy()) >= zc
    crossed = np.where(zb >= upper, "benefit",
                       np.where(zb <= -upper, "harm",
                                np.where(np.isfinite(fut) & (zb <= fut) & (frac < 1.0), "futility", "")))
    looks["crossed"] = crossed
    last = looks.iloc[-1]
    b_last = upper[-1]
    return TSAResult(
        looks=looks, design=design, ris=ris, diversity=D2, method=method, favours=favours,
        reached=bool(frac[-1] >= 1.0), crossed_efficacy=bool(np.isin(crossed, ("benefit", "harm")).any()),
        crossed_futility=bool((crossed == "futility").any()),
        adjusted_ci_low=float(last["estimate"] - b_last * last["se"]),
        adjusted_ci_high=float(last["estimate"] + b_last * last["se"]),
        notes=tuple(notes),
    )
