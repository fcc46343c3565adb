r"""Plasma concentrations of IV ketamine regimens: linear one- and two-compartment models.

A regimen is a :class:`Schedule`: piecewise-constant infusions (start, duration, rate)
plus optional IV boluses. Because the models are linear, the concentration is the sum
(superposition) of the exact response to each piece, so no differential equation is
solved numerically.

Units (any consistent set works; the book uses): time in **hours**, rates in **mg/h**,
doses in **mg**, clearance in **L/h**, volumes in **L**; concentrations are then in
**mg/L** (multiply by 1000 for ng/mL).

Models
------
One compartment, volume :math:`V`, clearance :math:`CL`, :math:`k = CL/V`. An infusion of
rate :math:`R` from :math:`t_0` for :math:`d` hours gives, with
:math:`\tau_\mathrm{on} = \min(\max(t - t_0, 0), d)` and
:math:`\tau_\mathrm{off} = \max(t - t_0 - d, 0)`,

.. math::

    C(t) = \frac{R}{CL}\left(1 - e^{-k\tau_\mathrm{on}}\right) e^{-k\tau_\mathrm{off}},

which is :math:`R/CL\,(1 - e^{-k(t-t_0)})` during the infusion and a mono-exponential
washout after it. A bolus :math:`D` at :math:`t_b` adds :math:`D/V\,e^{-k(t - t_b)}`.

Two compartments (central :math:`V_1`, peripheral :math:`V_2`, intercompartmental
clearance :math:`Q`): the unit-bolus response of the central concentration is
:math:`A e^{-\alpha t} + B e^{-\beta t}`, and every exponential term responds to an
infusion exactly as above with :math:`R/CL` replaced by :math:`R\,A/\alpha` (or
:math:`R\,B/\beta`). At steady state :math:`C_{ss} = R(A/\alpha + B/\beta) = R/CL`.

:func:`two_compartment_from_half_lives` finds :math:`V_1, Q, V_2` from what reviews
usually print: clearance, steady-state volume :math:`V_{ss} = V_1 + V_2` and the two
half-lives. A solution exists only if the mean residence time :math:`V_{ss}/CL` lies
strictly between :math:`1/\alpha` and :math:`1/\beta`; combinations outside that range are
reported as infeasible (NaN), not forced.

All model functions are vectorised over parameter sets: pass arrays of parameters (of
one common shape ``(P,)``) and get concentrations of shape ``(P, T)`` for a time grid of
``T`` points; scalar parameters give shape ``(T,)``.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._result import Result

__all__ = [
    "Schedule",
    "schedule",
    "constant_infusion",
    "repeated_infusions",
    "stepwise_infusion",
    "combine",
    "one_compartment",
    "two_compartment",
    "two_compartment_from_half_lives",
    "macro_constants",
    "TwoCompartmentParams",
    "clearance_l_per_h",
    "half_life",
]

LN2 = math.log(2.0)


# ----------------------------------------------------------------------------- validation

def _vector(x, field: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{field}: expected a 1-d array (one value per piece), got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: piece {i} is {arr[i]:g}; values must be finite")
    return arr


def _check(arr: np.ndarray, field: str, ok: np.ndarray, what: str, unit: str = "piece") -> None:
    bad = ~ok
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"{field}: {unit} {i} is {arr.reshape(-1)[i]:g}; {what}")


def _param(x, field: str) -> np.ndarray:
    """A model parameter: scalar or array, finite and > 0."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None
    if arr.ndim > 1:
        raise ValueError(f"{field}: expected a scalar or a 1-d array of parameter sets, got shape {arr.shape}")
    flat = arr.reshape(-1)
    if not np.isfinite(flat).all():
        i = int(np.flatnonzero(~np.isfinite(flat))[0])
        raise ValueError(f"{field}: parameter set {i} is {flat[i]:g}; values must be finite")
    _check(flat, field, flat > 0, "must be > 0", unit="parameter set")
    return arr


def _time_grid(t) -> np.ndarray:
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"t: cannot be read as numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"t: expected a 1-d time grid, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"t: time point {i} is {arr[i]:g}; times must be finite")
    return arr


# ----------------------------------------------------------------------------- schedules

@dataclasses.dataclass(frozen=True, repr=False)
class Schedule(Result):
    """A dosing regimen: piecewise-constant infusions plus IV boluses.

    Attributes
    ----------
    starts, durations, rates : ndarray
        One entry per infusion piece: start time (h), duration (h, > 0) and rate (mg/h,
        >= 0). Pieces may overlap; overlapping rates add (superposition).
    bolus_times, bolus_doses : ndarray
        IV boluses: time (h) and dose (mg, >= 0).
    """

    starts: np.ndarray
    durations: np.ndarray
    rates: np.ndarray
    bolus_times: np.ndarray
    bolus_doses: np.ndarray

    @property
    def n_pieces(self) -> int:
        return int(self.starts.shape[0])

    @property
    def end(self) -> float:
        """Time (h) when the last infusion ends or the last bolus is given."""
        ends = [self.starts + self.durations, self.bolus_times]
        allv = np.concatenate(ends)
        return float(allv.max()) if allv.size else 0.0

    @property
    def infusion_hours(self) -> float:
        """Total hours of infusion (sum of piece durations; overlaps counted twice)."""
        return float(self.durations.sum())

    def total_dose(self) -> float:
        """Total amount given (mg): sum of rate x duration plus boluses."""
        return float((self.rates * self.durations).sum() + self.bolus_doses.sum())

    def rate_at(self, t) -> np.ndarray:
        """Infusion rate (mg/h) at times ``t`` (pieces are half-open, [start, start + duration))."""
        tt = _time_grid(t)
        on = (tt[:, None] >= self.starts[None, :]) & (tt[:, None] < (self.starts + self.durations)[None, :])
        return (on * self.rates[None, :]).sum(axis=1)

    def summary(self) -> str:
        lines = [f"Schedule: {self.n_pieces} infusion piece(s), {self.bolus_times.size} bolus(es)",
                 f"  infusion hours: {self.infusion_hours:g}   total dose: {self.total_dose():.6g} mg"]
        for s, d, r in zip(self.starts, self.durations, self.rates):
            lines.append(f"  {s:8.3g} h  for {d:7.3g} h  at {r:8.4g} mg/h")
        for tb, db in zip(self.bolus_times, self.bolus_doses):
            lines.append(f"  {tb:8.3g} h  bolus {db:.4g} mg")
        return "\n".join(lines)


def schedule(starts=(), durations=(), rates=(), bolus_times=(), bolus_doses=()) -> Schedule:
    """Build a validated :class:`Schedule`.

    Parameters
    ----------
    starts, durations, rates : array_like
        Infusion pieces: start (h, >= 0), duration (h, > 0), rate (mg/h, >= 0); equal lengths.
    bolus_times, bolus_doses : array_like
        Boluses: time (h, >= 0) and dose (mg, >= 0); equal lengths.

    Raises
    ------
    ValueError
        Naming the field and the piece, e.g. ``"durations: piece 1 is 0; infusion
        durations must be > 0"`` or ``"rates: piece 0 is -5; infusion rates must be >= 0"``.

    Examples
    --------
    >>> s = schedule(starts=[0, 24], durations=[4, 4], rates=[20, 20])
    >>> s.total_dose()
    160.0
    """
    st = _vector(starts, "starts")
    du = _vector(durations, "durations")
    ra = _vector(rates, "rates")
    if not (st.shape == du.shape == ra.shape):
        raise ValueError(
            f"starts, durations, rates: need one value each per piece, got {st.size}, {du.size}, {ra.size}"
        )
    _check(st, "starts", st >= 0, "infusion start times must be >= 0")
    _check(du, "durations", du > 0, "infusion durations must be > 0")
    _check(ra, "rates", ra >= 0, "infusion rates must be >= 0")
    bt = _vector(bolus_times, "bolus_times")
    bd = _vector(bolus_doses, "bolus_doses")
    if bt.shape != bd.shape:
        raise ValueError(f"bolus_times, bolus_doses: need one value each per bolus, got {bt.size} and {bd.size}")
    _check(bt, "bolus_times", bt >= 0, "bolus times must be >= 0", unit="bolus")
    _check(bd, "bolus_doses", bd >= 0, "bolus doses must be >= 0", unit="bolus")
    return Schedule(st, du, ra, bt, bd)


def constant_infusion(rate: float, hours: float, start: float = 0.0) -> Schedule:
    """One infusion at ``rate`` mg/h for ``hours`` h starting at ``start``."""
    return schedule([start], [hours], [rate])


def repeated_infusions(rate: float, hours: float, days, every: float = 24.0, start: float = 0.0) -> Schedule:
    """Intermittent infusions of ``hours`` h at ``rate`` mg/h, one per period.

    Parameters
    ----------
    rate : float
        mg/h during each infusion.
    hours : float
        Length of each infusion (h), > 0 and <= ``every``.
    days : int or sequence of int
        Number of consecutive infusions, or the indices of the periods in which one is
        given (e.g. ``[0, 1, 2, 3, 4, 7, 8, 9, 10, 11]`` for 5 days on, 2 off, 5 on).
    every : float
        Period (h), 24 for daily.
    start : float
        Start of the first period (h).
    """
    if every <= 0:
        raise ValueError(f"every: is {every:g}; the period between infusions must be > 0")
    if hours > every:
        raise ValueError(f"hours: is {hours:g}; each infusion must fit in its period every = {every:g}")
    if np.ndim(days) == 0:
        n = int(days)
        if n != days or n < 1:
            raise ValueError(f"days: is {days!r}; expected a whole number >= 1 or a list of period indices")
        idx = np.arange(n, dtype=float)
    else:
        idx = _vector(days, "days")
        _check(idx, "days", (idx >= 0) & (idx == np.round(idx)), "period indices must be whole numbers >= 0")
    return schedule(start + idx * every, np.full(idx.shape, float(hours)), np.full(idx.shape, float(rate)))


def stepwise_infusion(rates, step_hours, start: float = 0.0) -> Schedule:
    """Consecutive pieces: ``rates[i]`` mg/h for ``step_hours[i]`` h, one after the other.

    A scalar ``step_hours`` applies to every step.
    """
    ra = _vector(rates, "rates")
    sh = np.broadcast_to(np.asarray(step_hours, dtype=float), ra.shape).copy()
    sh = _vector(sh, "step_hours")
    _check(sh, "step_hours", sh > 0, "step durations must be > 0")
    starts = start + np.concatenate([[0.0], np.cumsum(sh)[:-1]])
    return schedule(starts, sh, ra)


def combine(*schedules: Schedule) -> Schedule:
    """Superpose several schedules (e.g. a loading bolus and an infusion)."""
    if not schedules:
        raise ValueError("schedules: give at least one schedule")
    cat = lambda name: np.concatenate([getattr(s, name) for s in schedules])  # noqa: E731
    return schedule(cat("starts"), cat("durations"), cat("rates"), cat("bolus_times"), cat("bolus_doses"))


# ----------------------------------------------------------------------------- engine

def _response(t: np.ndarray, sched: Schedule, coefs, lams) -> np.ndarray:
    """Sum over exponential terms j and pieces of the exact infusion/bolus responses.

    ``coefs[j]`` and ``lams[j]`` have a common parameter shape S (() or (P,)); the result
    has shape S + (T,).
    """
    shape = np.broadcast(*coefs, *lams).shape
    out = np.zeros(shape + t.shape)
    for c, lam in zip(coefs, lams):
        c = np.broadcast_to(c, shape)[..., None]
        lam = np.broadcast_to(lam, shape)[..., None]
        for s, d, r in zip(sched.starts, sched.durations, sched.rates):
            if r == 0:
                continue
            tau_on = np.clip(t - s, 0.0, d)
            tau_off = np.maximum(t - s - d, 0.0)
            out += r * (c / lam) * (-np.expm1(-lam * tau_on)) * np.exp(-lam * tau_off)
        for tb, db in zip(sched.bolus_times, sched.bolus_doses):
            if db == 0:
                continue
            after = t >= tb
            out += np.where(after, db * c * np.exp(-lam * np.where(after, t - tb, 0.0)), 0.0)
    return out


def one_compartment(t, sched: Schedule, cl, v) -> np.ndarray:
    """Concentration (mg/L) of a one-compartment model on the time grid ``t`` (h).

    Parameters
    ----------
    t : array_like of shape (T,)
        Times (h); may be negative (concentration 0 before the first dose).
    sched : Schedule
        The regimen (:func:`schedule`, :func:`constant_infusion` ...).
    cl : float or array_like of shape (P,)
        Clearance (L/h), > 0.
    v : float or array_like of shape (P,)
        Volume of distribution (L), > 0.

    Returns
    -------
    ndarray
        Shape (T,) for scalar parameters, (P, T) for arrays.

    Examples
    --------
    >>> s = constant_infusion(rate=10.0, hours=100.0)
    >>> round(float(one_compartment([99.0], s, cl=50.0, v=100.0)[0]), 6)   # ~ R/CL
    0.2
    """
    tt = _time_grid(t)
    if not isinstance(sched, Schedule):
        raise ValueError("sched: expected a Schedule (see kmeta.pk.schedule)")
    cl = _param(cl, "cl")
    v = _param(v, "v")
    cl, v = np.broadcast_arrays(cl, v)
    k = cl / v
    return _response(tt, sched, [1.0 / v], [k])


@dataclasses.dataclass(frozen=True, repr=False)
class TwoCompartmentParams(Result):
    """Micro- and macro-constants of a two-compartment model (arrays of one shape).

    Attributes
    ----------
    cl, v1, q, v2 : ndarray
        Clearance (L/h), central volume (L), intercompartmental clearance (L/h),
        peripheral volume (L). NaN where ``feasible`` is False.
    alpha, beta : ndarray
        Fast and slow disposition rate constants (1/h), alpha > beta.
    A, B : ndarray
        Coefficients of the unit-bolus response A e^{-alpha t} + B e^{-beta t} (1/L).
    feasible : ndarray of bool
        Whether the inputs admit a two-compartment model.
    """

    cl: np.ndarray
    v1: np.ndarray
    q: np.ndarray
    v2: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    A: np.ndarray
    B: np.ndarray
    feasible: np.ndarray

    def summary(self) -> str:
        n = int(np.size(self.feasible))
        nf = int(np.sum(self.feasible))
        return f"TwoCompartmentParams: {nf} of {n} parameter set(s) feasible"


def macro_constants(cl, v1, q, v2) -> TwoCompartmentParams:
    """Disposition rate constants and coefficients of a two-compartment model.

    With :math:`k_{10} = CL/V_1`, :math:`k_{12} = Q/V_1`, :math:`k_{21} = Q/V_2`:
    :math:`\\alpha, \\beta` are the roots of :math:`\\lambda^2 - (k_{10}+k_{12}+k_{21})\\lambda
    + k_{10}k_{21} = 0`, :math:`A = (\\alpha - k_{21})/(V_1(\\alpha-\\beta))` and
    :math:`B = (k_{21} - \\beta)/(V_1(\\alpha-\\beta))`.
    """
    cl = _param(cl, "cl")
    v1 = _param(v1, "v1")
    q = _param(q, "q")
    v2 = _param(v2, "v2")
    cl, v1, q, v2 = np.broadcast_arrays(cl, v1, q, v2)
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    disc = np.sqrt(s * s - 4.0 * k10 * k21)   # > 0 for positive rate constants
    alpha = 0.5 * (s + disc)
    beta = (k10 * k21) / alpha                  # stable form of (s - disc)/2
    A = (alpha - k21) / (v1 * (alpha - beta))
    B = (k21 - beta) / (v1 * (alpha - beta))
    feasible = np.ones(cl.shape, dtype=bool)
    return TwoCompartmentParams(cl, v1, q, v2, alpha, beta, A, B, feasible)


def two_compartment_from_half_lives(cl, vss, t_half_alpha, t_half_beta) -> TwoCompartmentParams:
    """Two-compartment parameters from clearance, V_ss and the two half-lives.

    Parameters
    ----------
    cl : float or array_like
        Clearance (L/h).
    vss : float or array_like
        Steady-state volume of distribution V_1 + V_2 (L).
    t_half_alpha, t_half_beta : float or array_like
        Distribution (redistribution) and elimination half-lives (h), alpha < beta.

    Returns
    -------
    TwoCompartmentParams
        Arrays of the broadcast shape; infeasible sets (mean residence time V_ss/CL not
        strictly between t_half_alpha/ln 2 and t_half_beta/ln 2) are NaN with
        ``feasible = False``.

    Notes
    -----
    With :math:`M = V_{ss}/CL`: :math:`V_1 = CL/(\\alpha + \\beta - \\alpha\\beta M)`,
    :math:`k_{21} = \\alpha\\beta V_1/CL`, :math:`V_2 = V_{ss} - V_1`, :math:`Q = k_{21}V_2`.
    """
    cl = _param(cl, "cl")
    vss = _param(vss, "vss")
    ta = _param(t_half_alpha, "t_half_alpha")
    tb = _param(t_half_beta, "t_half_beta")
    cl, vss, ta, tb = np.broadcast_arrays(cl, vss, ta, tb)
    _check(ta, "t_half_alpha", ta < tb, "the distribution half-life must be shorter than t_half_beta",
           unit="parameter set")
    alpha, beta = LN2 / ta, LN2 / tb
    mrt = vss / cl
    feasible = (mrt > 1.0 / alpha) & (mrt < 1.0 / beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = np.where(feasible, cl / (alpha + beta - alpha * beta * mrt), np.nan)
        k21 = alpha * beta * v1 / cl
        v2 = vss - v1
        q = k21 * v2
        A = (alpha - k21) / (v1 * (alpha - beta))
        B = (k21 - beta) / (v1 * (alpha - beta))
    nan = np.where(feasible, 1.0, np.nan)
    return TwoCompartmentParams(cl * nan, v1, q, v2, alpha * nan, beta * nan, A, B, feasible)


def two_compartment(t, sched: Schedule, cl=None, v1=None, q=None, v2=None, *, params: TwoCompartmentParams | None = None) -> np.ndarray:
    """Central concentration (mg/L) of a two-compartment model on the grid ``t`` (h).

    Give either ``cl, v1, q, v2`` (scalars or arrays of shape (P,)) or ``params`` from
    :func:`macro_constants` / :func:`two_compartment_from_half_lives`. Infeasible
    parameter sets give rows of NaN.

    Returns
    -------
    ndarray
        Shape (T,) for scalar parameters, (P, T) for arrays.
    """
    tt = _time_grid(t)
    if not isinstance(sched, Schedule):
        raise ValueError("sched: expected a Schedule (see kmeta.pk.schedule)")
    if params is None:
        if any(x is None for x in (cl, v1, q, v2)):
            raise ValueError("cl, v1, q, v2: give all four, or params=")
        params = macro_constants(cl, v1, q, v2)
    with np.errstate(invalid="ignore"):
        out = _response(tt, sched, [params.A, params.B], [params.alpha, params.beta])
    return out


# ----------------------------------------------------------------------------- helpers

def clearance_l_per_h(ml_per_kg_per_min, weight_kg=70.0):
    """Convert clearance in mL/kg/min to L/h for a patient of ``weight_kg``.

    >>> clearance_l_per_h(12, 70)     # 12 * 70 * 60 / 1000
    50.4
    """
    c = _param(ml_per_kg_per_min, "ml_per_kg_per_min")
    w = _param(weight_kg, "weight_kg")
    out = c * w * 60.0 / 1000.0
    return float(out) if np.ndim(out) == 0 else out


def half_life(rate_constant):
    """Half-life ln 2 / k (same time unit as 1/k)."""
    k = _param(rate_constant, "rate_constant")
    out = LN2 / k
    return float(out) if np.ndim(out) == 0 else out
