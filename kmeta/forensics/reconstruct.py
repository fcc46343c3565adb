r"""Reconstruct study-level inputs from published pooled results.

The problem
-----------
A review prints, for several (often overlapping) sets of studies, a pooled estimate,
its confidence interval and I², each rounded to a few decimals. The study-level
effects :math:`y_i` and standard errors :math:`s_i` it pooled are not printed. Every
printed figure is a function of them (through ``kmeta.meta`` with the review's
estimator), so each figure, after rounding, constrains the inputs: the figure holds
when the value predicted from the inputs rounds to the printed one.

With ``d`` printed decimals the half-width of the rounding interval is
:math:`h = 0.5\cdot 10^{-d}`, and the *scaled residual* of a figure is
:math:`r = (\text{predicted} - \text{printed})/h`. A figure holds exactly when
:math:`|r| \le 1`; an input set is *feasible* when every fitted figure holds. Figures
printed at the floor of their range (I² = 0.0%, τ² = 0, P = .000) are one-sided:
"I² = 0.0%" says only that I² < 0.05%, which for DerSimonian–Laird is the constraint
Q ≤ df/(1 − 0.0005). For DerSimonian–Laird (and the common-effect model) the
predicted I² is taken *unclipped*, :math:`100\,(Q - df)/Q`, which equals the printed
statistic whenever it is positive and tells the optimiser how far Q is from df when
it is not.

The fit
-------
:func:`reconstruct` parametrises :math:`\theta = (y_1..y_k, \log s_1..\log s_k)`,
draws a seeded set of candidate inputs, evaluates all of them at once with
``kmeta.meta_batch``, and runs a bounded least-squares fit
(``scipy.optimize.least_squares``) of the scaled residuals from the best
candidates. When no least-squares solution is feasible, the best ones are polished
by a minimax fit (minimise the largest scaled residual, SLSQP), which is feasible if
and only if some input set satisfies every figure (up to the optimiser reaching the
global minimum; the multi-start makes that likely, not certain). Everything is
deterministic for a given ``seed``.

:func:`drop_one` refits without each printed figure in turn; when the full set is
infeasible it shows which single figure no input set can satisfy together with the
rest.
"""
from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._result import Result, format_num
from .._validate import check_choice, check_level
from ..batch import meta_batch
from ..meta import _canonical_test
from ..tau2 import METHODS

__all__ = [
    "QUANTITIES",
    "Printed",
    "PublishedPool",
    "Reconstruction",
    "DropOneResult",
    "parse_printed",
    "published_pool",
    "reconstruct",
    "drop_one",
    "predict_pools",
]

#: Quantities of a pooled result a printed figure can refer to.
QUANTITIES = ("estimate", "ci_low", "ci_high", "se", "i2", "tau2", "q", "pval", "q_pval")
#: Quantities that cannot go below a floor (a figure printed at the floor is one-sided).
_FLOORS = {"i2": 0.0, "tau2": 0.0, "q": 0.0, "pval": 0.0, "q_pval": 0.0, "se": 0.0}
_OPS = {"=": "=", "==": "=", "<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">"}
_BIG = 1.0e6  # scaled residual given to a figure whose prediction is not finite
_SHORT_NFEV = 25  # least-squares evaluations per start in the first stage
_LONG_NFEV = 300  # ... and for the few best starts, run on to convergence
_POLISH = 4  # starts run to convergence, and minimax-polished when none is feasible


# --------------------------------------------------------------------------- printed figures


def parse_printed(text) -> tuple[str, float, int]:
    """Read a printed number such as ``"-1.83"``, ``"< .0001"``, ``".213"``, ``"0.0%"``.

    Returns ``(op, value, decimals)``; ``op`` is ``"="``, ``"<"`` or ``">"``. Unicode
    minus signs and en dashes used as minus signs are accepted.

    >>> parse_printed("< .0001")
    ('<', 0.0001, 4)
    >>> parse_printed("−1.30")
    ('=', -1.3, 2)
    """
    if not isinstance(text, str):
        raise ValueError(f"printed: expected text such as '-1.83' or '< .0001', got {text!r}")
    s = text.strip().replace("−", "-").replace("–", "-").replace("%", "").replace(" ", "")
    s = re.sub(r"^[Pp]=?", "", s)
    m = re.fullmatch(r"(<=|>=|<|>|≤|≥|=)?([+-]?)(\d*)(?:\.(\d*))?", s)
    if m is None or (m.group(3) == "" and not m.group(4)):
        raise ValueError(f"printed: cannot read {text!r} as a number")
    op = _OPS[m.group(1) or "="]
    decimals = len(m.group(4) or "")
    value = float(f"{m.group(2)}{m.group(3) or '0'}.{m.group(4) or '0'}")
    return op, value, decimals


@dataclasses.dataclass(frozen=True)
class Printed:
    """One printed figure of a pooled result.

    Attributes
    ----------
    quantity : str
        One of :data:`QUANTITIES` (``"estimate"``, ``"ci_low"``, ``"ci_high"``, ``"i2"``
        in percent, ``"pval"`` ...).
    value : float
        The number as printed.
    decimals : int
        Printed decimals; the rounding half-width is ``0.5 * 10**-decimals``.
    op : str
        ``"="`` (the value is rounded), ``"<"`` or ``">"`` (a bound, as in P < .0001).
    fit : bool
        Whether the reconstruction is fitted to this figure (True) or only checks it
        afterwards (False; the default for P values, which follow from the estimate
        and the CI and are often printed inconsistently).
    """

    quantity: str
    value: float
    decimals: int
    op: str = "="
    fit: bool = True

    def __post_init__(self):
        if self.quantity not in QUANTITIES:
            raise ValueError(f"quantity: {self.quantity!r} is not one of {list(QUANTITIES)}")
        if self.op not in _OPS:
            raise ValueError(f"op: {self.op!r}; expected '=', '<' or '>'")
        object.__setattr__(self, "op", _OPS[self.op])
        if not (isinstance(self.decimals, (int, np.integer)) and 0 <= self.decimals <= 12):
            raise ValueError(f"decimals: expected an integer from 0 to 12, got {self.decimals!r}")
        if not np.isfinite(self.value):
            raise ValueError(f"value: printed {self.quantity} must be finite, got {self.value!r}")

    @property
    def half_width(self) -> float:
        """Half-width of the rounding interval, ``0.5 * 10**-decimals``."""
        return 0.5 * 10.0 ** (-int(self.decimals))

    @property
    def kind(self) -> str:
        """``"both"`` (two-sided), ``"upper"`` (only an upper bound) or ``"lower"``."""
        if self.op == "<":
            return "upper"
        if self.op == ">":
            return "lower"
        floor = _FLOORS.get(self.quantity)
        if floor is not None and self.value <= floor:
            return "upper"
        return "both"

    def bounds(self) -> tuple[float, float]:
        """The interval of true values that print as this figure."""
        h = self.half_width
        if self.op == "<":
            return -math.inf, self.value
        if self.op == ">":
            return self.value, math.inf
        if self.kind == "upper":
            return -math.inf, self.value + h
        return self.value - h, self.value + h

    def anchor(self) -> float:
        """The point from which the (unclipped) scaled residual is measured."""
        h = self.half_width
        lo, hi = self.bounds()
        if self.kind == "upper":
            return hi - h
        if self.kind == "lower":
            return lo + h
        return self.value

    def text(self) -> str:
        """The figure as printed, e.g. ``'-1.83'`` or ``'< 0.0001'``."""
        num = f"{self.value:.{int(self.decimals)}f}"
        return num if self.op == "=" else f"{self.op} {num}"


@dataclasses.dataclass(frozen=True)
class PublishedPool:
    """A printed pooled analysis: its studies, its estimator and its printed figures."""

    name: str
    studies: tuple[str, ...]
    figures: tuple[Printed, ...]
    method: str = "DL"
    test: str = "z"
    level: float = 0.95
    source: str = ""

    def __post_init__(self):
        if not self.studies:
            raise ValueError(f"studies: pool {self.name!r} has no studies")
        if len(set(self.studies)) != len(self.studies):
            raise ValueError(f"studies: pool {self.name!r} lists a study twice")
        object.__setattr__(self, "studies", tuple(str(s) for s in self.studies))
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "method", check_choice(self.method, "method", METHODS))
        object.__setattr__(self, "test", _canonical_test(self.test))
        object.__setattr__(self, "level", check_level(self.level))
        seen = set()
        for f in self.figures:
            if not isinstance(f, Printed):
                raise ValueError(f"figures: pool {self.name!r} holds {f!r}, not a Printed figure")
            if f.quantity in seen:
                raise ValueError(f"figures: pool {self.name!r} prints {f.quantity} twice")
            seen.add(f.quantity)


def _figure(quantity, value, decimals, op="=", fit=True):
    if isinstance(value, str):
        op, value, dec = parse_printed(value)
        decimals = dec if decimals is None else decimals
    if decimals is None:
        raise ValueError(f"{quantity}: give its printed decimals (or the value as printed text)")
    return Printed(quantity, float(value), int(decimals), op, fit)


def published_pool(
    name: str,
    studies: Iterable[str],
    *,
    estimate=None,
    ci_low=None,
    ci_high=None,
    i2=None,
    tau2=None,
    pval=None,
    p_op: str = "=",
    decimals: int | None = 2,
    i2_decimals: int | None = 1,
    tau2_decimals: int | None = None,
    p_decimals: int | None = None,
    fit_p: bool = False,
    method: str = "DL",
    test: str = "z",
    level: float = 0.95,
    source: str = "",
) -> PublishedPool:
    """Describe a printed pooled result.

    Numbers may be given as floats (with their printed ``decimals``) or as the printed
    text (``"-1.83"``, ``"< .0001"``), from which operator and decimals are read.

    Parameters
    ----------
    name : str
        A name for the pool (``"overall"``, ``"high dose"`` ...).
    studies : iterable of str
        Labels of the studies it pools.
    estimate, ci_low, ci_high : float or str, optional
        The pooled estimate and its confidence interval, printed with ``decimals``.
    i2 : float or str, optional
        I² in percent, printed with ``i2_decimals``.
    tau2 : float or str, optional
        τ², printed with ``tau2_decimals``.
    pval : float or str, optional
        P of the test of the pooled effect; ``p_op`` ``"<"`` for "P < .0001".
        Checked but not fitted unless ``fit_p``.
    method, test, level
        The estimator and test the review used (as for ``kmeta.meta``).
    source : str
        Where the pool is printed (a claim id, a table), for the record.

    Returns
    -------
    PublishedPool
    """
    figs = []
    for q, v in (("estimate", estimate), ("ci_low", ci_low), ("ci_high", ci_high)):
        if v is not None:
            figs.append(_figure(q, v, None if isinstance(v, str) else decimals))
    if i2 is not None:
        figs.append(_figure("i2", i2, None if isinstance(i2, str) else i2_decimals))
    if tau2 is not None:
        figs.append(_figure("tau2", tau2, None if isinstance(tau2, str) else tau2_decimals))
    if pval is not None:
        if isinstance(pval, str):
            op, v, d = parse_printed(pval)
            figs.append(Printed("pval", v, d if p_decimals is None else p_decimals, op, fit_p))
        else:
            if p_decimals is None:
                raise ValueError("p_decimals: give the printed decimals of pval (or pval as text)")
            figs.append(Printed("pval", float(pval), int(p_decimals), p_op, fit_p))
    return PublishedPool(
        name=str(name), studies=tuple(studies), figures=tuple(figs), method=method, test=test,
        level=level, source=source,
    )


# --------------------------------------------------------------------------- the engine


class _Problem:
    """Printed pools over a fixed study order: predictions and residuals in batch.

    Parameters are ``theta = (y_1..y_k, log s_1..log s_k)``; some may be fixed.
    """

    def __init__(self, pools: Sequence[PublishedPool], labels: Sequence[str], fixed=None):
        self.pools = tuple(pools)
        self.labels = tuple(labels)
        k = self.k = len(self.labels)
        index = {s: i for i, s in enumerate(self.labels)}
        self.mask = np.zeros((len(self.pools), k), dtype=bool)
        for p, pool in enumerate(self.pools):
            for s in pool.studies:
                if s not in index:
                    raise ValueError(f"studies: pool {pool.name!r} names study {s!r}, which is not among the labels")
                self.mask[p, index[s]] = True
        # pools grouped by (method, test, level): one meta_batch call per group
        groups: dict = {}
        for p, pool in enumerate(self.pools):
            groups.setdefault((pool.method, pool.test, pool.level), []).append(p)
        self.groups = groups
        # figures, flattened
        self.fig_pool, self.fig = [], []
        for p, pool in enumerate(self.pools):
            for f in pool.figures:
                self.fig_pool.append(p)
                self.fig.append(f)
        self.n_fig = len(self.fig)
        self.fit_idx = np.array([i for i, f in enumerate(self.fig) if f.fit], dtype=int)
        self.h = np.array([f.half_width for f in self.fig])
        self.anchor = np.array([f.anchor() for f in self.fig])
        self.kind = np.array([{"both": 0, "upper": 1, "lower": -1}[f.kind] for f in self.fig])
        # fixed parameters
        self.theta_fixed = np.full(2 * k, np.nan)
        for (label, what), value in (fixed or {}).items():
            if label not in index:
                raise ValueError(f"fixed: study {label!r} is not among the labels")
            if what == "yi":
                self.theta_fixed[index[label]] = float(value)
            elif what == "sei":
                if not value > 0:
                    raise ValueError(f"fixed: sei of {label!r} must be > 0, got {value!r}")
                self.theta_fixed[k + index[label]] = math.log(float(value))
            else:
                raise ValueError(f"fixed: key ({label!r}, {what!r}); the second item must be 'yi' or 'sei'")
        self.free = np.flatnonzero(np.isnan(self.theta_fixed))
        self.n_eval = 0

    # -- parameters
    def full(self, Z):
        """Free parameters (R, n_free) -> full theta (R, 2k)."""
        Z = np.atleast_2d(Z)
        T = np.broadcast_to(self.theta_fixed, (Z.shape[0], 2 * self.k)).copy()
        T[:, self.free] = Z
        return T

    # -- predictions
    def predict(self, T) -> np.ndarray:
        """Predicted value of every figure, shape (R, n_fig), from full thetas (R, 2k)."""
        T = np.atleast_2d(np.asarray(T, dtype=float))
        R, k = T.shape[0], self.k
        Y = T[:, :k]
        V = np.exp(2.0 * T[:, k:])
        out = np.full((R, self.n_fig), np.nan)
        values = {}
        for (method, test, level), plist in self.groups.items():
            if method in ("DL", "FE") and test == "z":
                values.update(self._fast(Y, V, plist, method, level))
                continue
            m = len(plist)
            Yb = np.empty((m * R, k))
            Vb = np.empty((m * R, k))
            for j, p in enumerate(plist):
                msk = self.mask[p]
                Yb[j * R:(j + 1) * R] = np.where(msk, Y, np.nan)
                Vb[j * R:(j + 1) * R] = np.where(msk, V, np.nan)
            res = meta_batch(Yb, Vb, method=method, test=test, level=level)
            self.n_eval += m * R
            q, df = res.q, res.q_df.astype(float)
            if method in ("DL", "FE"):
                with np.errstate(divide="ignore", invalid="ignore"):
                    i2 = np.where(q > 0, 100.0 * (q - df) / np.where(q > 0, q, 1.0), -1.0e4)
                i2 = np.where(df > 0, np.maximum(i2, -1.0e4), 0.0)
            else:
                i2 = res.i2
            fields = {
                "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "se": res.se, "i2": i2, "tau2": res.tau2, "q": q, "pval": res.pval,
                "q_pval": res.q_pval,
            }
            for j, p in enumerate(plist):
                values[p] = {name: arr[j * R:(j + 1) * R] for name, arr in fields.items()}
        for i, (p, f) in enumerate(zip(self.fig_pool, self.fig)):
            out[:, i] = values[p][f.quantity]
        return out

    def _fast(self, Y, V, plist, method, level):
        """Closed-form DL/FE pooling with a Wald test for many pools at once.

        The same formulas as ``kmeta.meta_batch`` (tests hold the two to 1e-10),
        on arrays of shape (R, pools, k): an order of magnitude faster for the small
        batches an optimiser asks for.
        """
        R = Y.shape[0]
        M = self.mask[plist].astype(float)  # (P, k)
        MT = M.T.copy()
        df = M.sum(axis=1) - 1.0  # (P,)
        W0 = 1.0 / V
        W0Y = W0 * Y
        sw0 = W0 @ MT  # (R, P)
        swy = W0Y @ MT
        mu0 = swy / sw0
        # Q = sum w (y - mu0)^2, expanded; the cancellation costs ~1e-14 relative
        q = np.maximum((W0Y * Y) @ MT - swy * mu0, 0.0)
        c = sw0 - (W0 * W0) @ MT / sw0
        if method == "DL":
            with np.errstate(invalid="ignore", divide="ignore"):
                tau2 = np.where(df > 0, np.maximum((q - df) / c, 0.0), 0.0)
        else:
            tau2 = np.zeros_like(q)
        W = M[None, :, :] / (V[:, None, :] + tau2[:, :, None])  # (R, P, k)
        sw = W @ np.ones(W.shape[2])
        mu = np.einsum("rpk,rk->rp", W, Y) / sw
        se = np.sqrt(1.0 / sw)
        crit = special.ndtri(0.5 + level / 2.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            i2 = np.where(q > 0, 100.0 * (q - df) / np.where(q > 0, q, 1.0), -1.0e4)
        i2 = np.where(df > 0, np.maximum(i2, -1.0e4), 0.0)
        wanted = {f.quantity for p in plist for f in self.pools[p].figures}
        # P values only when a figure needs them (the special functions are the slow part)
        pval = 2.0 * special.ndtr(-np.abs(mu / se)) if "pval" in wanted else None
        q_pval = np.where(df > 0, special.chdtrc(np.maximum(df, 1.0), q), 1.0) if "q_pval" in wanted else None
        self.n_eval += R * len(plist)
        out = {}
        for j, p in enumerate(plist):
            out[p] = {
                "estimate": mu[:, j], "ci_low": mu[:, j] - crit * se[:, j], "ci_high": mu[:, j] + crit * se[:, j],
                "se": se[:, j], "i2": i2[:, j], "tau2": tau2[:, j], "q": q[:, j],
                "pval": None if pval is None else pval[:, j], "q_pval": None if q_pval is None else q_pval[:, j],
            }
        return out

    def raw(self, pred, idx=None):
        """Unclipped scaled residuals (pred - anchor)/h; non-finite -> +BIG."""
        idx = self.fit_idx if idx is None else idx
        with np.errstate(invalid="ignore", over="ignore"):
            rho = (pred[:, idx] - self.anchor[idx]) / self.h[idx]
        return np.where(np.isfinite(rho), rho, _BIG)

    def scaled(self, pred, idx=None):
        """Scaled residuals (0 inside a one-sided bound)."""
        idx = self.fit_idx if idx is None else idx
        rho = self.raw(pred, idx)
        kind = self.kind[idx]
        return np.where(kind == 1, np.maximum(rho, 0.0), np.where(kind == -1, np.minimum(rho, 0.0), rho))

    # -- finite-difference Jacobian in one batch (central differences on free params)
    def jacobian_raw(self, z, idx=None, step=1e-6):
        z = np.asarray(z, dtype=float)
        n = z.shape[0]
        hstep = step * np.maximum(1.0, np.abs(z))
        Z = np.repeat(z[None, :], 2 * n + 1, axis=0)
        for j in range(n):
            Z[1 + 2 * j, j] += hstep[j]
            Z[2 + 2 * j, j] -= hstep[j]
        rho = self.raw(self.predict(self.full(Z)), idx)
        J = (rho[1::2] - rho[2::2]) / (2.0 * hstep[:, None])
        return rho[0], J.T


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True, repr=False)
class Reconstruction(Result):
    """Result of :func:`reconstruct`.

    Attributes
    ----------
    labels : tuple of str
        Study labels, in the order of ``yi`` and ``sei``.
    yi, sei : ndarray
        The fitted study effects and standard errors.
    figures : DataFrame
        One row per printed figure: ``pool``, ``quantity``, ``printed`` (text),
        ``value``, ``decimals``, ``op``, ``fit`` (fitted or only checked), ``low``,
        ``high`` (the interval it stands for), ``predicted``, ``residual`` (scaled by
        the rounding half-width; 0 inside a one-sided bound) and ``holds``
        (``|residual| <= 1``).
    max_abs_residual : float
        Largest scaled residual over the fitted figures.
    feasible : bool
        Every fitted figure holds.
    objective : str
        ``"least squares"`` (the least-squares fit was feasible or no minimax was
        needed) or ``"minimax"`` (the fit minimising the largest residual).
    sum_sq : float
        Sum of squared scaled residuals of the fitted figures.
    pools : tuple of PublishedPool
        The input.
    fixed : tuple
        Parameters held fixed, as ``(label, "yi" or "sei", value)``.
    starts, seed : int
        Multi-start settings.
    bounds : DataFrame
        The box searched: ``yi_min, yi_max, sei_min, sei_max`` per study.
    n_feasible_starts : int
        How many least-squares runs ended feasible (the short first-stage runs count,
        so this is a lower bound on how often the fit lands in the feasible set).
    """

    labels: tuple
    yi: np.ndarray
    sei: np.ndarray
    figures: pd.DataFrame
    max_abs_residual: float
    feasible: bool
    objective: str
    sum_sq: float
    pools: tuple
    fixed: tuple
    starts: int
    seed: int
    bounds: pd.DataFrame
    n_feasible_starts: int

    @property
    def k(self) -> int:
        return len(self.labels)

    @property
    def theta(self) -> np.ndarray:
        """``(yi..., log sei...)``, the parametrisation used by the fit."""
        return np.concatenate([self.yi, np.log(self.sei)])

    def study_table(self) -> pd.DataFrame:
        """One row per study: ``study``, ``yi``, ``sei``, ``vi``."""
        return pd.DataFrame({"study": list(self.labels), "yi": self.yi, "sei": self.sei, "vi": self.sei**2})

    def pooled(self) -> pd.DataFrame:
        """Every pool re-computed from the fitted inputs (see :func:`predict_pools`)."""
        return predict_pools(self.pools, self.labels, self.yi, self.sei)

    def check(self, yi, sei) -> pd.DataFrame:
        """The figures table for other inputs (same pools): predicted, residual, holds."""
        prob = _Problem(self.pools, self.labels)
        theta = np.concatenate([np.asarray(yi, float), np.log(np.asarray(sei, float))])
        return _figure_table(prob, prob.predict(theta[None, :])[0])

    def swap(self, a: str, b: str) -> "Reconstruction":
        """The same fit with the inputs of studies ``a`` and ``b`` exchanged.

        For exchangeable studies (see :func:`kmeta.forensics.symmetries`) this is an
        equally good fit; its figures are recomputed, so any difference shows.
        """
        ia, ib = self.labels.index(a), self.labels.index(b)
        yi, sei = self.yi.copy(), self.sei.copy()
        yi[[ia, ib]] = yi[[ib, ia]]
        sei[[ia, ib]] = sei[[ib, ia]]
        prob = _Problem(self.pools, self.labels)
        theta = np.concatenate([yi, np.log(sei)])
        pred = prob.predict(theta[None, :])
        table = _figure_table(prob, pred[0])
        r = prob.scaled(pred)[0]
        return dataclasses.replace(
            self, yi=yi, sei=sei, figures=table, max_abs_residual=float(np.max(np.abs(r))),
            feasible=bool(np.max(np.abs(r)) <= 1.0 + 1e-9), sum_sq=float(np.sum(r * r)),
        )

    def summary(self) -> str:
        fitted = self.figures[self.figures["fit"]]
        lines = [
            f"Reconstruction of {self.k} studies from {len(self.pools)} pools "
            f"({len(fitted)} fitted figures, {len(self.figures) - len(fitted)} checked only)",
            f"fit: {self.objective}; largest |scaled residual| = {format_num(self.max_abs_residual, 3)} "
            f"-> {'FEASIBLE: every fitted figure holds' if self.feasible else 'NOT feasible'}",
            f"{self.n_feasible_starts} of {self.starts} least-squares starts ended feasible (seed {self.seed})",
            "",
            f"{'study':<24} {'yi':>9} {'sei':>9}",
        ]
        for lab, y, s in zip(self.labels, self.yi, self.sei):
            lines.append(f"{lab:<24} {y:>9.4f} {s:>9.4f}")
        bad = self.figures[~self.figures["holds"]]
        if len(bad):
            lines.append("")
            lines.append("figures that do not hold:")
            for _, r in bad.iterrows():
                lines.append(
                    f"  {r['pool']}: {r['quantity']} printed {r['printed']}, predicted "
                    f"{r['predicted']:.4f} (residual {r['residual']:+.2f}{'' if r['fit'] else ', checked only'})"
                )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "k": self.k, "pools": len(self.pools), "figures": int(self.figures["fit"].sum()),
            "max_abs_residual": self.max_abs_residual, "feasible": self.feasible,
            "objective": self.objective, "sum_sq": self.sum_sq, "starts": self.starts,
            "seed": self.seed, "n_feasible_starts": self.n_feasible_starts,
        }])


def _figure_table(prob: _Problem, pred_row: np.ndarray) -> pd.DataFrame:
    all_idx = np.arange(prob.n_fig)
    r = prob.scaled(pred_row[None, :], all_idx)[0]
    rows = []
    for i, (p, f) in enumerate(zip(prob.fig_pool, prob.fig)):
        lo, hi = f.bounds()
        rows.append({
            "pool": prob.pools[p].name,
            "quantity": f.quantity,
            "printed": f.text(),
            "value": f.value,
            "decimals": int(f.decimals),
            "op": f.op,
            "fit": bool(f.fit),
            "low": lo,
            "high": hi,
            "predicted": float(pred_row[i]) if f.quantity != "i2" else float(max(pred_row[i], 0.0)),
            "residual": float(r[i]) if abs(r[i]) < _BIG else math.inf,
            "holds": bool(abs(r[i]) <= 1.0 + 1e-9),
        })
    return pd.DataFrame(rows)


def _default_box(pools, k):
    """A search box for (yi, log sei) from the printed figures."""
    vals, ses = [], []
    for pool in pools:
        d = {f.quantity: f.value for f in pool.figures if f.op == "="}
        vals += [d[q] for q in ("estimate", "ci_low", "ci_high") if q in d]
        if "ci_low" in d and "ci_high" in d:
            z = special.ndtri(0.5 + pool.level / 2.0)
            ses.append((d["ci_high"] - d["ci_low"]) / (2.0 * z))
        elif "se" in d:
            ses.append(d["se"])
    if not vals or not ses:
        raise ValueError(
            "pools: cannot set a search box without printed estimates and CIs; give y_bounds and sei_bounds"
        )
    lo, hi = min(vals), max(vals)
    spread = max(hi - lo, 1e-3)
    ses = [s for s in ses if s > 0]
    y_bounds = (lo - 4.0 * spread, hi + 4.0 * spread)
    sei_bounds = (min(ses) / 5.0, max(ses) * math.sqrt(k) * 10.0)
    return y_bounds, sei_bounds, (lo - 0.5 * spread, hi + 0.5 * spread), (min(ses), max(ses) * math.sqrt(k) * 2.0)


def _minimax(prob, z0, lb, ub, idx=None, maxiter=200):
    """Minimise the largest scaled residual (SLSQP on (z, t)). Returns (z, t)."""
    idx = prob.fit_idx if idx is None else idx
    kind = prob.kind[idx]
    both, up, low = kind == 0, kind == 1, kind == -1
    n = z0.shape[0]
    cache = {}

    def eval_(x):
        key = x[:n].tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = prob.jacobian_raw(x[:n], idx)
        return cache[key]

    def cons(x):
        rho, _ = eval_(x)
        t = x[n]
        return np.concatenate([t - rho[both | up], t + rho[both | low]])

    def cons_jac(x):
        _, J = eval_(x)
        m1 = int(np.sum(both | up))
        m2 = int(np.sum(both | low))
        out = np.zeros((m1 + m2, n + 1))
        out[:m1, :n] = -J[both | up]
        out[m1:, :n] = J[both | low]
        out[:, n] = 1.0
        return out

    rho0 = prob.raw(prob.predict(prob.full(z0[None, :])), idx)[0]
    r0 = np.where(kind == 1, np.maximum(rho0, 0), np.where(kind == -1, np.minimum(rho0, 0), rho0))
    t0 = float(np.max(np.abs(r0))) + 1e-3
    x0 = np.concatenate([z0, [t0]])
    bnds = list(zip(lb, ub)) + [(0.0, None)]
    res = optimize.minimize(
        lambda x: x[n], x0, jac=lambda x: np.eye(n + 1)[n], method="SLSQP", bounds=bnds,
        constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
        options={"maxiter": maxiter, "ftol": 1e-10},
    )
    z = np.clip(res.x[:n], lb, ub)
    r = prob.scaled(prob.predict(prob.full(z[None, :])), idx)[0]
    return z, float(np.max(np.abs(r)))


def _least_squares(prob, z0, lb, ub, idx=None, max_nfev=300):
    idx = prob.fit_idx if idx is None else idx
    kind = prob.kind[idx]

    def clip(rho):
        return np.where(kind == 1, np.maximum(rho, 0), np.where(kind == -1, np.minimum(rho, 0), rho))

    def fun(z):
        return clip(prob.raw(prob.predict(prob.full(z[None, :])), idx)[0])

    def jac(z):
        rho, J = prob.jacobian_raw(z, idx)
        active = ((kind == 0) | ((kind == 1) & (rho > 0)) | ((kind == -1) & (rho < 0)))
        return J * active[:, None]

    res = optimize.least_squares(fun, z0, jac=jac, bounds=(lb, ub), method="trf", x_scale="jac", max_nfev=max_nfev)
    return res.x, fun(res.x)


def _resolve_labels(pools, labels):
    if labels is None:
        seen = []
        for pool in pools:
            for s in pool.studies:
                if s not in seen:
                    seen.append(s)
        return tuple(seen)
    labels = tuple(str(s) for s in labels)
    if len(set(labels)) != len(labels):
        raise ValueError("labels: a study label appears twice")
    return labels


def reconstruct(
    pools: Sequence[PublishedPool],
    *,
    labels: Sequence[str] | None = None,
    fixed: Mapping | None = None,
    starts: int = 24,
    candidates: int = 4096,
    seed: int = 0,
    y_bounds: tuple[float, float] | None = None,
    sei_bounds: tuple[float, float] | None = None,
    time_limit: float = 10.0,
    initial: Sequence[tuple] = (),
) -> Reconstruction:
    """Find study-level ``yi`` and ``sei`` that reproduce every printed pooled figure.

    Parameters
    ----------
    pools : sequence of PublishedPool
        The printed pools (see :func:`published_pool`).
    labels : sequence of str, optional
        Study order of the result (default: order of first appearance in ``pools``).
        Studies in no pool are not allowed.
    fixed : mapping, optional
        Parameters known from elsewhere, ``{(label, "yi" or "sei"): value}``; held fixed.
    starts : int
        Least-squares runs, started from the best ``starts`` of ``candidates`` random
        candidates (uniform in the box, log-uniform for ``sei``).
    candidates : int
        Random candidates screened in one ``kmeta.meta_batch`` evaluation.
    seed : int
        Seed of the random candidates: the same seed gives the same answer.
    y_bounds, sei_bounds : (float, float), optional
        The box searched; by default derived from the printed estimates and CIs
        (four times their spread around them; a fifth of the smallest pooled SE to ten
        times sqrt(k) times the largest).
    time_limit : float
        Seconds after which no further least-squares runs are started (the runs
        already done are used); a safety net, not part of the answer when enough
        time is given (the default is ample for a dozen unknowns).
    initial : sequence of (yi, sei)
        Starting points to try first (e.g. the fit of a closely related problem),
        in addition to the ``starts`` best random candidates.

    Returns
    -------
    Reconstruction

    Examples
    --------
    >>> p = [published_pool("all", ["a", "b"], estimate=-1.0, ci_low=-1.5, ci_high=-0.5, i2=0.0)]
    >>> bool(reconstruct(p, starts=4, candidates=256).feasible)
    True
    """
    pools = tuple(pools)
    if not pools:
        raise ValueError("pools: need at least one published pool")
    labels = _resolve_labels(pools, labels)
    in_pool = {s for pool in pools for s in pool.studies}
    missing = [s for s in labels if s not in in_pool]
    if missing:
        raise ValueError(f"labels: {missing} appear in no pool; nothing constrains them")
    if int(starts) < 1 or int(candidates) < int(starts):
        raise ValueError("starts: need 1 <= starts <= candidates")
    prob = _Problem(pools, labels, fixed)
    if prob.fit_idx.size == 0:
        raise ValueError("pools: no figure is marked fit=True; nothing to fit")
    k = prob.k
    yb, sb, y_start, s_start = _default_box(pools, k)
    y_bounds = yb if y_bounds is None else tuple(map(float, y_bounds))
    sei_bounds = sb if sei_bounds is None else tuple(map(float, sei_bounds))
    if not (y_bounds[0] < y_bounds[1] and 0 < sei_bounds[0] < sei_bounds[1]):
        raise ValueError("y_bounds, sei_bounds: need low < high (and sei > 0)")
    y_start = (max(y_start[0], y_bounds[0]), min(y_start[1], y_bounds[1]))
    s_start = (max(s_start[0], sei_bounds[0]), min(s_start[1], sei_bounds[1]))
    lb_full = np.concatenate([np.full(k, y_bounds[0]), np.full(k, math.log(sei_bounds[0]))])
    ub_full = np.concatenate([np.full(k, y_bounds[1]), np.full(k, math.log(sei_bounds[1]))])
    lb, ub = lb_full[prob.free], ub_full[prob.free]
    nfree = prob.free.size
    if nfree == 0:
        raise ValueError("fixed: every parameter is fixed; nothing to fit")

    rng = np.random.default_rng(seed)
    C = np.empty((int(candidates), 2 * k))
    C[:, :k] = rng.uniform(y_start[0], y_start[1], size=(int(candidates), k))
    C[:, k:] = rng.uniform(math.log(s_start[0]), math.log(s_start[1]), size=(int(candidates), k))
    Z = C[:, prob.free]
    r = prob.scaled(prob.predict(prob.full(Z)))
    score = np.sum(np.minimum(np.abs(r), 1e3) ** 2, axis=1)
    order = np.argsort(score, kind="stable")[: int(starts)]
    if len(initial):
        extra = []
        for yi0, sei0 in initial:
            yi0, sei0 = np.asarray(yi0, float), np.asarray(sei0, float)
            if yi0.shape != (k,) or sei0.shape != (k,) or not np.all(sei0 > 0):
                raise ValueError("initial: each starting point is (yi, sei) with one positive sei per study")
            extra.append(np.clip(np.concatenate([yi0, np.log(sei0)]), lb_full, ub_full)[prob.free])
        Z = np.vstack([np.array(extra), Z])
        order = np.concatenate([np.arange(len(extra)), order + len(extra)])

    t0 = time.perf_counter()
    runs = []
    # stage 1: a short least-squares run from every start
    for j, i in enumerate(order):
        if j > 0 and time.perf_counter() - t0 > time_limit:
            break
        z, res = _least_squares(prob, Z[i], lb, ub, max_nfev=_SHORT_NFEV)
        runs.append((float(np.sum(res * res)), float(np.max(np.abs(res))), z))
    runs.sort(key=lambda t: (t[1] > 1.0 + 1e-9, t[0]))
    # stage 2: run the most promising ones to convergence
    for j in range(min(_POLISH, len(runs))):
        z, res = _least_squares(prob, runs[j][2], lb, ub, max_nfev=_LONG_NFEV)
        runs[j] = (float(np.sum(res * res)), float(np.max(np.abs(res))), z)
    n_feasible = sum(1 for _, mx, _ in runs if mx <= 1.0 + 1e-9)
    runs.sort(key=lambda t: (t[1] > 1.0 + 1e-9, t[0]))
    best_ss, best_max, best_z = runs[0]
    objective = "least squares"
    if best_max > 1.0 + 1e-9:
        # no feasible least-squares fit: minimise the largest residual from the best few
        polished = []
        for ss, mx, z in sorted(runs, key=lambda t: t[1])[:_POLISH]:
            zp, m = _minimax(prob, z, lb, ub)
            polished.append((m, zp))
        polished.sort(key=lambda t: t[0])
        if polished[0][0] < best_max:
            best_max, best_z = polished[0]
            objective = "minimax"
    theta = prob.full(best_z[None, :])[0]
    pred = prob.predict(theta[None, :])
    r = prob.scaled(pred)[0]
    table = _figure_table(prob, pred[0])
    bounds = pd.DataFrame({
        "study": list(labels),
        "yi_min": np.where(np.isnan(prob.theta_fixed[:k]), y_bounds[0], prob.theta_fixed[:k]),
        "yi_max": np.where(np.isnan(prob.theta_fixed[:k]), y_bounds[1], prob.theta_fixed[:k]),
        "sei_min": np.where(np.isnan(prob.theta_fixed[k:]), sei_bounds[0], np.exp(prob.theta_fixed[k:])),
        "sei_max": np.where(np.isnan(prob.theta_fixed[k:]), sei_bounds[1], np.exp(prob.theta_fixed[k:])),
    })
    fixed_t = tuple(
        (lab, what, float(v)) for (lab, what), v in sorted((fixed or {}).items(), key=lambda kv: (labels.index(kv[0][0]), kv[0][1]))
    )
    return Reconstruction(
        labels=labels,
        yi=theta[:k].copy(),
        sei=np.exp(theta[k:]),
        figures=table,
        max_abs_residual=float(np.max(np.abs(r))),
        feasible=bool(np.max(np.abs(r)) <= 1.0 + 1e-9),
        objective=objective,
        sum_sq=float(np.sum(r * r)),
        pools=pools,
        fixed=fixed_t,
        starts=int(starts),
        seed=int(seed),
        bounds=bounds,
        n_feasible_starts=int(n_feasible),
    )


# --------------------------------------------------------------------------- helpers


def predict_pools(pools: Sequence[PublishedPool], labels: Sequence[str], yi, sei) -> pd.DataFrame:
    """Re-compute every pool from study inputs.

    Returns one row per pool: ``pool``, ``k``, ``method``, ``estimate``, ``ci_low``,
    ``ci_high``, ``se``, ``pval``, ``i2`` (as the estimator reports it), ``q``,
    ``q_df``, ``q_pval``, ``tau2``.
    """
    pools = tuple(pools)
    labels = tuple(labels)
    yi = np.asarray(yi, dtype=float)
    sei = np.asarray(sei, dtype=float)
    if yi.shape != (len(labels),) or sei.shape != (len(labels),):
        raise ValueError("yi, sei: need one value per label")
    from ..meta import meta

    rows = []
    for pool in pools:
        idx = [labels.index(s) for s in pool.studies]
        res = meta(yi[idx], sei=sei[idx], method=pool.method, test=pool.test, level=pool.level)
        rows.append({
            "pool": pool.name, "k": res.k, "method": pool.method, "estimate": res.estimate,
            "ci_low": res.ci_low, "ci_high": res.ci_high, "se": res.se, "pval": res.pval,
            "i2": res.i2, "q": res.q, "q_df": res.q_df, "q_pval": res.q_pval, "tau2": res.tau2,
        })
    return pd.DataFrame(rows)


@dataclasses.dataclass(frozen=True, repr=False)
class DropOneResult(Result):
    """Result of :func:`drop_one`.

    Attributes
    ----------
    table : DataFrame
        One row per fitted figure: ``pool``, ``quantity``, ``printed``, and
        ``max_abs_residual`` / ``feasible`` of the minimax fit without that figure,
        plus ``predicted`` (the dropped figure's value at that fit) and ``residual``.
    full_max_abs_residual : float
        The minimax value with every figure (> 1 means infeasible).
    culprits : tuple of str
        Figures ("pool: quantity") whose removal alone makes the rest feasible; when the
        full set is infeasible and this is non-empty, each is a one-figure explanation.
    """

    table: pd.DataFrame
    full_max_abs_residual: float
    culprits: tuple

    def summary(self) -> str:
        lines = [
            f"Drop-one refits: with every figure the smallest attainable largest |residual| is "
            f"{self.full_max_abs_residual:.3f} ({'feasible' if self.full_max_abs_residual <= 1 + 1e-9 else 'infeasible'})"
        ]
        if self.culprits:
            lines.append("figures whose removal alone restores feasibility: " + "; ".join(self.culprits))
        else:
            lines.append("no single figure's removal restores feasibility" if self.full_max_abs_residual > 1 + 1e-9 else "")
        return "\n".join(x for x in lines if x)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def drop_one(recon: Reconstruction, *, figures: Iterable[tuple[str, str]] | None = None) -> DropOneResult:
    """Refit (minimax) without each fitted figure in turn, starting from ``recon``'s fit.

    A figure whose removal alone makes the rest feasible, when the whole set is not,
    is one that no input set can satisfy together with the others. ``figures`` limits
    the refits to some ``(pool, quantity)`` pairs.
    """
    fixed = {(lab, what): v for lab, what, v in recon.fixed}
    prob = _Problem(recon.pools, recon.labels, fixed)
    k = prob.k
    b = recon.bounds
    lb_full = np.concatenate([b["yi_min"].to_numpy(), np.log(b["sei_min"].to_numpy())])
    ub_full = np.concatenate([b["yi_max"].to_numpy(), np.log(b["sei_max"].to_numpy())])
    lb, ub = lb_full[prob.free], ub_full[prob.free]
    z0 = np.clip(recon.theta[prob.free], lb, ub)
    z_full, m_full = _minimax(prob, z0, lb, ub)
    if m_full > recon.max_abs_residual:
        m_full = recon.max_abs_residual
        z_full = z0
    wanted = None if figures is None else {tuple(x) for x in figures}
    rows, culprits = [], []
    for i in prob.fit_idx:
        pool, f = prob.pools[prob.fig_pool[i]], prob.fig[i]
        if wanted is not None and (pool.name, f.quantity) not in wanted:
            continue
        idx = np.array([j for j in prob.fit_idx if j != i], dtype=int)
        z, m = _minimax(prob, z_full, lb, ub, idx)
        pred = prob.predict(prob.full(z[None, :]))
        r_i = float(prob.scaled(pred, np.array([i]))[0, 0])
        feas = bool(m <= 1.0 + 1e-9)
        rows.append({
            "pool": pool.name, "quantity": f.quantity, "printed": f.text(),
            "max_abs_residual": m, "feasible": feas, "predicted": float(pred[0, i]), "residual": r_i,
        })
        if feas and m_full > 1.0 + 1e-9:
            culprits.append(f"{pool.name}: {f.quantity}")
    return DropOneResult(table=pd.DataFrame(rows), full_max_abs_residual=float(m_full), culprits=tuple(culprits))
