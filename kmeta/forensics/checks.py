r"""Consistency checks any reader can run on the numbers of a paper.

Each function takes printed numbers (with their printed precision) and returns a small
result with a ``verdict`` -- ``"consistent"`` or ``"inconsistent"`` -- and the numbers
behind it. Rounding is always honoured: a number printed with ``d`` decimals stands for
the interval ``value ± 0.5·10^-d`` (:func:`rounding_interval`), and a check fails only
when *no* values inside the printed intervals satisfy the relation.

* :func:`check_ci_midpoint` -- a Wald interval is symmetric about its estimate
  (on the log scale for ratios).
* :func:`check_p_from_ci` -- the P value implied by an estimate and its CI (normal
  approximation, or t on ``df``), against the printed P.
* :func:`q_interval_from_i2` -- the range of Cochran's Q that a printed I² allows.
* :func:`check_i2_pair` -- whether two printed I² values for the same analysis can
  both be right.
* :func:`begg_attainable_pvalues`, :func:`check_begg_p` -- Begg's rank correlation
  test has only finitely many possible P values for k studies; is the printed one
  among them?
* :func:`check_egger_p` -- the absolute t an Egger P implies on k − 2 df.
* :func:`check_percent` -- which counts n/d print as a given percentage.
* :func:`check_sum` -- does a printed total equal the sum of its parts?
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from .._result import Result, format_num
from .._validate import check_level
from .reconstruct import parse_printed

__all__ = [
    "rounding_interval",
    "MidpointCheck",
    "PCheck",
    "QInterval",
    "I2PairCheck",
    "BeggCheck",
    "EggerCheck",
    "PercentCheck",
    "SumCheck",
    "check_ci_midpoint",
    "check_p_from_ci",
    "q_interval_from_i2",
    "check_i2_pair",
    "begg_attainable_pvalues",
    "check_begg_p",
    "check_egger_p",
    "check_percent",
    "check_sum",
]

_EPS = 1e-12


def rounding_interval(value: float, decimals: int) -> tuple[float, float]:
    """The interval of numbers that print as ``value`` with ``decimals`` decimals."""
    if not (isinstance(decimals, (int, np.integer)) and decimals >= 0):
        raise ValueError(f"decimals: expected a non-negative integer, got {decimals!r}")
    h = 0.5 * 10.0 ** (-int(decimals))
    return float(value) - h, float(value) + h


def _verdict(ok: bool) -> str:
    return "consistent" if ok else "inconsistent"


def _read_p(p, p_op, p_decimals):
    if isinstance(p, str):
        op, value, dec = parse_printed(p)
        return op, value, dec if p_decimals is None else int(p_decimals)
    if p_decimals is None:
        raise ValueError("p_decimals: give the printed decimals of P (or P as printed text)")
    op = {"=": "=", "<": "<", ">": ">", "<=": "<", ">=": ">"}.get(p_op)
    if op is None:
        raise ValueError(f"p_op: expected '=', '<' or '>', got {p_op!r}")
    return op, float(p), int(p_decimals)


def _p_interval(op, value, decimals):
    if op == "<":
        return 0.0, value
    if op == ">":
        return value, 1.0
    lo, hi = rounding_interval(value, decimals)
    return max(lo, 0.0), min(hi, 1.0)


# --------------------------------------------------------------------------- CI midpoint


@dataclasses.dataclass(frozen=True, repr=False)
class MidpointCheck(Result):
    """Result of :func:`check_ci_midpoint` (log-scale quantities back on the printed scale)."""

    estimate: float
    ci_low: float
    ci_high: float
    decimals: int
    scale: str
    midpoint: float
    midpoint_low: float
    midpoint_high: float
    estimate_low: float
    estimate_high: float
    gap: float
    verdict: str

    def summary(self) -> str:
        return (
            f"CI midpoint ({self.scale} scale) of [{self.ci_low}, {self.ci_high}] is "
            f"{format_num(self.midpoint, self.decimals + 2)} (any value in "
            f"[{format_num(self.midpoint_low, self.decimals + 2)}, {format_num(self.midpoint_high, self.decimals + 2)}] "
            f"given rounding); printed estimate {self.estimate} stands for "
            f"[{format_num(self.estimate_low, self.decimals + 1)}, {format_num(self.estimate_high, self.decimals + 1)}]: "
            f"{self.verdict}" + (f" (gap {format_num(self.gap, self.decimals + 2)})" if self.gap > 0 else "")
        )


def check_ci_midpoint(estimate, ci_low, ci_high, *, decimals: int = 2, scale: str = "linear") -> MidpointCheck:
    """Is the printed estimate the midpoint of its printed CI (within rounding)?

    A Wald interval ``estimate ± z·se`` is symmetric about the estimate; for ratio
    measures (``scale="log"``) it is symmetric on the log scale, so the estimate is the
    geometric mean of the limits.

    >>> check_ci_midpoint(-1.75, -2.08, -1.43).verdict
    'consistent'
    """
    if scale not in ("linear", "log"):
        raise ValueError(f"scale: expected 'linear' or 'log', got {scale!r}")
    e_lo, e_hi = rounding_interval(estimate, decimals)
    l_lo, l_hi = rounding_interval(ci_low, decimals)
    u_lo, u_hi = rounding_interval(ci_high, decimals)
    if scale == "linear":
        mid = (ci_low + ci_high) / 2.0
        m_lo, m_hi = (l_lo + u_lo) / 2.0, (l_hi + u_hi) / 2.0
    else:
        if min(l_lo, e_lo) <= 0:
            raise ValueError("ci_low, estimate: a log-scale check needs positive values")
        mid = math.sqrt(ci_low * ci_high)
        m_lo, m_hi = math.sqrt(l_lo * u_lo), math.sqrt(l_hi * u_hi)
    gap = max(0.0, m_lo - e_hi, e_lo - m_hi)
    return MidpointCheck(
        estimate=float(estimate), ci_low=float(ci_low), ci_high=float(ci_high), decimals=int(decimals),
        scale=scale, midpoint=mid, midpoint_low=m_lo, midpoint_high=m_hi, estimate_low=e_lo,
        estimate_high=e_hi, gap=gap, verdict=_verdict(gap <= _EPS),
    )


# --------------------------------------------------------------------------- P from CI


@dataclasses.dataclass(frozen=True, repr=False)
class PCheck(Result):
    """Result of :func:`check_p_from_ci`.

    ``se`` and ``z`` are computed from the printed numbers as given; ``p_low`` and
    ``p_high`` span every P reachable with estimate and limits anywhere in their
    rounding intervals. ``p_printed_low``/``p_printed_high`` is what the printed P
    allows. ``verdict`` is consistent when the two ranges meet.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    z: float
    p: float
    p_low: float
    p_high: float
    p_text: str
    p_printed_low: float
    p_printed_high: float
    distribution: str
    verdict: str

    def summary(self) -> str:
        return (
            f"From {self.estimate} [{self.ci_low}, {self.ci_high}]: se = {self.se:.4f}, "
            f"{'z' if self.distribution == 'normal' else 't'} = {self.z:.3f}, P = {self.p:.3g} "
            f"(range {self.p_low:.3g} to {self.p_high:.3g} given rounding); printed P {self.p_text}: {self.verdict}"
        )


def check_p_from_ci(
    estimate, ci_low, ci_high, p, *, p_op: str = "=", decimals: int = 2, p_decimals: int | None = None,
    level: float = 0.95, scale: str = "linear", df: float | None = None,
) -> PCheck:
    """The two-sided P implied by a printed estimate and CI, against the printed P.

    The standard error is ``(high - low) / (2 z_{1-α/2})`` (on the log scale for
    ``scale="log"``), the statistic ``estimate / se``, and P from the normal
    distribution (or t on ``df``). Every combination of values inside the rounding
    intervals is allowed (the extremes are at the corners).

    Parameters
    ----------
    p : float or str
        The printed P (``"< .0001"`` as text sets operator and decimals).
    """
    level = check_level(level)
    if scale not in ("linear", "log"):
        raise ValueError(f"scale: expected 'linear' or 'log', got {scale!r}")
    op, pv, pd_ = _read_p(p, p_op, p_decimals)
    crit = float(special.ndtri(0.5 + level / 2.0)) if df is None else float(special.stdtrit(df, 0.5 + level / 2.0))
    e = rounding_interval(estimate, decimals)
    lo = rounding_interval(ci_low, decimals)
    hi = rounding_interval(ci_high, decimals)
    f = (lambda x: math.log(x)) if scale == "log" else (lambda x: x)
    if scale == "log" and min(e[0], lo[0]) <= 0:
        raise ValueError("estimate, ci_low: a log-scale check needs positive values")

    def pval(stat):
        if df is None:
            return float(2.0 * special.ndtr(-abs(stat)))
        return float(2.0 * special.stdtr(df, -abs(stat)))

    se = (f(ci_high) - f(ci_low)) / (2.0 * crit)
    z = f(estimate) / se
    stats = []
    for ev in e:
        for lv in lo:
            for hv in hi:
                s = (f(hv) - f(lv)) / (2.0 * crit)
                if s > 0:
                    stats.append(abs(f(ev)) / s)
    # |estimate| may cross 0 inside its interval
    zmin = 0.0 if (f(e[0]) <= 0 <= f(e[1])) else min(stats)
    zmax = max(stats)
    p_lo, p_hi = pval(zmax), pval(zmin)
    a, b = _p_interval(op, pv, pd_)
    ok = p_lo <= b + _EPS and a <= p_hi + _EPS
    text = (f"{op} " if op != "=" else "") + f"{pv:.{pd_}f}"
    return PCheck(
        estimate=float(estimate), ci_low=float(ci_low), ci_high=float(ci_high), se=se, z=z, p=pval(z),
        p_low=p_lo, p_high=p_hi, p_text=text, p_printed_low=a, p_printed_high=b,
        distribution="normal" if df is None else f"t({df:g})", verdict=_verdict(ok),
    )


# --------------------------------------------------------------------------- Q from I²


@dataclasses.dataclass(frozen=True, repr=False)
class QInterval(Result):
    """Result of :func:`q_interval_from_i2`: the Q values that print as ``i2``."""

    i2: float
    df: int
    decimals: int
    q: float
    q_low: float
    q_high: float
    one_sided: bool

    def summary(self) -> str:
        return (
            f"I^2 = {self.i2:.{self.decimals}f}% on {self.df} df means Q in "
            f"[{self.q_low:.4f}, {self.q_high:.4f}]" + (" (I^2 printed as 0: Q <= df, within rounding)" if self.one_sided else "")
        )


def q_interval_from_i2(i2, df: int, *, decimals: int = 1) -> QInterval:
    """Cochran's Q implied by a printed I² = 100 (Q − df)/Q, as an interval.

    ``I² = 0.0%`` only says Q ≤ df/(1 − h/100) (h the rounding half-width), so the
    interval starts at 0 there.

    >>> round(q_interval_from_i2(48.5, 5).q, 3)
    9.709
    """
    i2 = float(i2)
    df = int(df)
    if df < 1:
        raise ValueError(f"df: need at least 1 degree of freedom, got {df}")
    if not 0.0 <= i2 < 100.0:
        raise ValueError(f"i2: must be in [0, 100) percent, got {i2}")
    lo, hi = rounding_interval(i2, decimals)
    hi = min(hi, 100.0 - 1e-9)
    one = lo <= 0.0
    q_low = 0.0 if one else df / (1.0 - lo / 100.0)
    q_high = df / (1.0 - hi / 100.0)
    return QInterval(
        i2=i2, df=df, decimals=int(decimals), q=df / (1.0 - i2 / 100.0) if i2 > 0 else float(df),
        q_low=q_low, q_high=q_high, one_sided=one,
    )


@dataclasses.dataclass(frozen=True, repr=False)
class I2PairCheck(Result):
    """Result of :func:`check_i2_pair`.

    ``overlap`` is True when some Q prints as both I² values (so both can be right);
    ``other_df`` lists degrees of freedom under which the second I² would describe the
    same Q as the first (an explanation such as a different number of studies).
    """

    i2_a: float
    i2_b: float
    df: int
    q_a_low: float
    q_a_high: float
    q_b_low: float
    q_b_high: float
    overlap: bool
    other_df: tuple
    verdict: str

    def summary(self) -> str:
        s = (
            f"I^2 {self.i2_a}% -> Q in [{self.q_a_low:.3f}, {self.q_a_high:.3f}]; I^2 {self.i2_b}% -> Q in "
            f"[{self.q_b_low:.3f}, {self.q_b_high:.3f}] (df = {self.df}): {self.verdict}"
        )
        if not self.overlap:
            s += "; same Q with another df: " + (", ".join(map(str, self.other_df)) if self.other_df else "none")
        return s


def check_i2_pair(i2_a, i2_b, df: int, *, decimals: int = 1, max_df: int | None = None) -> I2PairCheck:
    """Can two printed I² values for the same analysis (same Q, same df) both be right?"""
    a = q_interval_from_i2(i2_a, df, decimals=decimals)
    b = q_interval_from_i2(i2_b, df, decimals=decimals)
    overlap = a.q_low <= b.q_high + _EPS and b.q_low <= a.q_high + _EPS
    other = []
    for d in range(1, (max_df or 4 * int(df) + 4) + 1):
        if d == df:
            continue
        bb = q_interval_from_i2(i2_b, d, decimals=decimals)
        if a.q_low <= bb.q_high + _EPS and bb.q_low <= a.q_high + _EPS:
            other.append(d)
    return I2PairCheck(
        i2_a=float(i2_a), i2_b=float(i2_b), df=int(df), q_a_low=a.q_low, q_a_high=a.q_high,
        q_b_low=b.q_low, q_b_high=b.q_high, overlap=bool(overlap), other_df=tuple(other),
        verdict=_verdict(overlap),
    )


# --------------------------------------------------------------------------- Begg


def begg_attainable_pvalues(k: int, *, tied_variances: Sequence[int] = ()) -> pd.DataFrame:
    r"""Every P value Begg's rank-correlation test can give for ``k`` studies, by variant.

    Begg and Mazumdar's test is Kendall's tau between the standardised effects and
    their variances, so its statistic is Kendall's score S = concordant − discordant
    pairs, which for k studies without ties takes only the values
    −k(k−1)/2, −k(k−1)/2 + 2, ..., k(k−1)/2. Three P values are in use (computed by
    ``kmeta.begg.begg_attainable_pvalues``):

    ``p_exact``
        the exact permutation P (R's ``cor.test(method = "kendall")``, metafor's
        ``ranktest``); NaN with ties, where it is not defined;
    ``p_normal``
        the normal approximation :math:`2\Phi(-|S|/\sigma)` (Stata ``metabias``,
        uncorrected; :math:`\sigma^2 = k(k-1)(2k+5)/18` without ties);
    ``p_normal_cc``
        the same with a continuity correction, :math:`(|S|-1)/\sigma` (Stata
        ``metabias``, "continuity corrected").

    ``tied_variances`` gives the sizes of groups of studies with equal variances
    (e.g. ``(2,)``): tied pairs add nothing to S, which changes its range and variance.

    Returns one row per attainable ``|S|``: ``S``, ``tau`` (S/(k(k−1)/2)) and the three P.
    """
    from ..begg import begg_attainable_pvalues as _attainable

    k = int(k)
    if k < 3:
        raise ValueError(f"k: Begg's test needs at least 3 studies, got {k}")
    ties = tuple(int(t) for t in tied_variances)
    frames = {}
    for col, variant in (("p_exact", "exact"), ("p_normal", "stata"), ("p_normal_cc", "stata_cc")):
        if ties and variant == "exact":
            continue
        f = _attainable(k, variant, tied_variances=ties, as_frame=True)
        f = f[f["score"] >= 0]
        frames[col] = f.set_index("score")
    base = next(iter(frames.values()))
    npairs = k * (k - 1) / 2.0
    out = pd.DataFrame({"S": base.index.astype(int), "tau": base.index.to_numpy() / npairs})
    for col in ("p_exact", "p_normal", "p_normal_cc"):
        out[col] = frames[col].loc[out["S"], "pval"].to_numpy() if col in frames else np.nan
    return out.reset_index(drop=True)


@dataclasses.dataclass(frozen=True, repr=False)
class BeggCheck(Result):
    """Result of :func:`check_begg_p`.

    ``matches`` lists (variant, S, P) that print as the given P; ``nearest`` the
    closest attainable P of each variant.
    """

    p: float
    k: int
    decimals: int
    matches: pd.DataFrame
    nearest: pd.DataFrame
    verdict: str

    def summary(self) -> str:
        if self.verdict == "consistent":
            m = "; ".join(f"{r.variant}: S = {r.S}, P = {r.p:.4f}" for r in self.matches.itertuples())
            return f"Begg P = {self.p} with k = {self.k} is attainable ({m})"
        near = "; ".join(f"{r.variant}: P = {r.p:.4f} (S = {r.S})" for r in self.nearest.itertuples())
        return f"Begg P = {self.p} with k = {self.k} is not attainable without ties; nearest: {near}"


def check_begg_p(p, k: int, *, decimals: int | None = None, tied_variances: Sequence[int] = ()) -> BeggCheck:
    """Could Begg's test on ``k`` studies print P = ``p``? (No ties unless ``tied_variances``.)"""
    if isinstance(p, str):
        _, p, dec = parse_printed(p)
        decimals = dec if decimals is None else decimals
    if decimals is None:
        raise ValueError("decimals: give the printed decimals of P (or P as text)")
    lo, hi = rounding_interval(p, decimals)
    table = begg_attainable_pvalues(k, tied_variances=tied_variances)
    rows, near = [], []
    for variant in ("p_exact", "p_normal", "p_normal_cc"):
        if table[variant].isna().all():
            continue
        for r in table.itertuples():
            pv = getattr(r, variant)
            if lo - _EPS <= pv <= hi + _EPS:
                rows.append({"variant": variant[2:], "S": int(r.S), "p": pv})
        i = int(np.argmin(np.abs(table[variant].to_numpy() - p)))
        near.append({"variant": variant[2:], "S": int(table["S"].iloc[i]), "p": float(table[variant].iloc[i])})
    matches = pd.DataFrame(rows, columns=["variant", "S", "p"])
    return BeggCheck(
        p=float(p), k=int(k), decimals=int(decimals), matches=matches, nearest=pd.DataFrame(near),
        verdict=_verdict(len(rows) > 0),
    )


# --------------------------------------------------------------------------- Egger


@dataclasses.dataclass(frozen=True, repr=False)
class EggerCheck(Result):
    """Result of :func:`check_egger_p`: the absolute t on k − 2 df that prints as P."""

    p: float
    k: int
    df: int
    t: float
    t_low: float
    t_high: float
    t_given: float
    verdict: str

    def summary(self) -> str:
        s = (
            f"Egger P = {self.p} with k = {self.k} means |t| = {self.t:.3f} on {self.df} df "
            f"(|t| in [{self.t_low:.3f}, {self.t_high:.3f}] given rounding)"
        )
        if np.isfinite(self.t_given):
            s += f"; given |t| = {abs(self.t_given):.3f}: {self.verdict}"
        return s


def check_egger_p(p, k: int, *, decimals: int | None = None, t: float | None = None) -> EggerCheck:
    """The absolute t statistic an Egger regression P implies (t on k − 2 df).

    Egger's test regresses the standard normal deviate on precision; the P of its
    intercept comes from t on k − 2 df. With ``t`` (e.g. computed from reconstructed
    inputs), the verdict says whether that t prints as the given P; without it the
    verdict is "consistent" (every P in (0, 1] is attainable).
    """
    if isinstance(p, str):
        _, p, dec = parse_printed(p)
        decimals = dec if decimals is None else decimals
    if decimals is None:
        raise ValueError("decimals: give the printed decimals of P (or P as text)")
    k = int(k)
    if k < 3:
        raise ValueError(f"k: Egger's test needs at least 3 studies, got {k}")
    df = k - 2
    lo, hi = rounding_interval(p, decimals)
    lo, hi = max(lo, 1e-300), min(hi, 1.0)
    tval = float(special.stdtrit(df, 1.0 - p / 2.0))
    t_high = float(special.stdtrit(df, 1.0 - lo / 2.0))
    t_low = float(special.stdtrit(df, 1.0 - hi / 2.0))
    if t is None:
        tg, ok = math.nan, True
    else:
        tg = float(t)
        ok = t_low - 1e-9 <= abs(tg) <= t_high + 1e-9
    return EggerCheck(p=float(p), k=k, df=df, t=tval, t_low=t_low, t_high=t_high, t_given=tg, verdict=_verdict(ok))


# --------------------------------------------------------------------------- percentages, sums


@dataclasses.dataclass(frozen=True, repr=False)
class PercentCheck(Result):
    """Result of :func:`check_percent`.

    ``computed`` is 100·count/denominator when both are given; ``candidates`` lists
    the (count, denominator) pairs that print as the percentage (restricted to the
    given count or denominator, if any).
    """

    percent: float
    decimals: int
    count: float
    denominator: float
    computed: float
    candidates: pd.DataFrame
    verdict: str

    def summary(self) -> str:
        head = f"{self.percent:.{self.decimals}f}%"
        if np.isfinite(self.computed):
            return (
                f"{int(self.count)}/{int(self.denominator)} = {self.computed:.{self.decimals + 2}f}% "
                f"vs printed {head}: {self.verdict}"
            )
        pairs = ", ".join(f"{int(r.count)}/{int(r.denominator)}" for r in self.candidates.head(8).itertuples())
        return f"{head} is printed by {len(self.candidates)} fractions, e.g. {pairs}"


def check_percent(
    percent, *, decimals: int = 1, count: int | None = None, denominator: int | None = None,
    max_denominator: int = 200,
) -> PercentCheck:
    """Which counts give a printed percentage?

    With ``count`` and ``denominator``: does 100·count/denominator round to
    ``percent``? The candidates are all (n, d) with d up to ``max_denominator`` (or
    the given d, or with the given n) that do.

    >>> check_percent(51.3, count=17, denominator=33).verdict
    'inconsistent'
    """
    lo, hi = rounding_interval(percent, decimals)
    rows = []
    dens = [int(denominator)] if denominator is not None else range(1, int(max_denominator) + 1)
    for d in dens:
        ns = [int(count)] if count is not None else range(0, d + 1)
        for n in ns:
            if n > d:
                continue
            v = 100.0 * n / d
            if lo - _EPS <= v <= hi + _EPS:
                rows.append({"count": n, "denominator": d, "percent": v})
    cand = pd.DataFrame(rows, columns=["count", "denominator", "percent"])
    if count is not None and denominator is not None:
        if denominator <= 0 or count < 0:
            raise ValueError("count, denominator: need count >= 0 and denominator > 0")
        computed = 100.0 * count / denominator
        ok = len(cand) > 0
        return PercentCheck(
            percent=float(percent), decimals=int(decimals), count=float(count), denominator=float(denominator),
            computed=computed, candidates=cand, verdict=_verdict(ok),
        )
    return PercentCheck(
        percent=float(percent), decimals=int(decimals), count=math.nan if count is None else float(count),
        denominator=math.nan if denominator is None else float(denominator), computed=math.nan,
        candidates=cand, verdict=_verdict(len(cand) > 0),
    )


@dataclasses.dataclass(frozen=True, repr=False)
class SumCheck(Result):
    """Result of :func:`check_sum`."""

    values: tuple
    total: float
    computed: float
    difference: float
    verdict: str

    def summary(self) -> str:
        return (
            f"sum of {list(self.values)} = {format_num(self.computed, 0 if float(self.computed).is_integer() else 3)} "
            f"vs printed {self.total:g}: {self.verdict}"
            + (f" (difference {self.difference:+g})" if self.difference else "")
        )


def check_sum(values: Sequence[float], total: float, *, tolerance: float = 0.0) -> SumCheck:
    """Does a printed total equal the sum of its printed parts (within ``tolerance``)?"""
    vals = tuple(float(v) for v in values)
    if not vals:
        raise ValueError("values: need at least one number")
    s = float(sum(vals))
    diff = s - float(total)
    return SumCheck(values=vals, total=float(total), computed=s, difference=diff,
                    verdict=_verdict(abs(diff) <= tolerance + 1e-9))
