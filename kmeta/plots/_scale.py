"""Axis scales of effect-size figures: analysis scale, back-transformed labels, nice ticks.

Everything is *drawn* on the analysis scale (log RR, logit, MD ...), so intervals stay
symmetric where the model is; only tick labels and printed numbers are back-transformed
(metafor's ``atransf``). For ratio measures the ticks sit at round ratios (0.1, 0.5, 1,
2, 10 ...), which is a logarithmic axis labelled in ratios.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from matplotlib.ticker import MaxNLocator

from .style import MINUS

#: Measures analysed on the log scale.
RATIO_MEASURES = frozenset({"RR", "OR", "PETO", "HR", "IRR", "ROM", "IR"})

#: Words for the measures (header of the effect column, axis labels).
MEASURE_NAMES = {
    "MD": "Mean difference",
    "SMD": "Std. mean difference",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "PETO": "Peto odds ratio",
    "RD": "Risk difference",
    "HR": "Hazard ratio",
    "IRR": "Rate ratio",
    "ROM": "Ratio of means",
    "PR": "Proportion",
    "PLO": "Proportion",
    "PFT": "Proportion",
}


def _ilogit(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p):
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p / (1.0 - p))


def _exp(x):
    with np.errstate(over="ignore"):
        return np.exp(np.asarray(x, dtype=float))


def _log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(x, dtype=float))


@dataclasses.dataclass(frozen=True)
class Scale:
    """How analysis-scale values are shown.

    kind : ``"identity"``, ``"log"`` (ratio measures) or ``"other"`` (a user transform).
    """

    kind: str = "identity"
    transf: Callable | None = None
    inverse: Callable | None = None
    null: float | None = 0.0  # no-effect value on the analysis scale (None: no reference line)

    def show(self, x):
        """Back-transform analysis-scale value(s) for display."""
        if self.transf is None:
            return x
        out = self.transf(np.asarray(x, dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def fmt(self, x, digits: int = 2) -> str:
        from .style import fmt_num

        return fmt_num(self.show(x), digits)


def resolve(measure=None, transf=None, inverse=None, refline="auto") -> Scale:
    """Build a :class:`Scale` from a measure name or an explicit transform.

    ``refline`` is on the *displayed* scale (``1`` for a ratio) when the transform's
    inverse is known, else on the analysis scale; ``None`` draws no line and
    ``"auto"`` uses the measure's no-effect value (0, or 1 for ratios, none for
    proportions).
    """
    m = measure.upper() if isinstance(measure, str) else None
    if transf is None and m in RATIO_MEASURES:
        transf, inverse, kind, null = _exp, _log, "log", 0.0
    elif transf is None and m == "PLO":
        transf, inverse, kind, null = _ilogit, _logit, "other", None
    elif transf is None and m in ("PR",):
        kind, null = "identity", None
    elif transf is None:
        kind, null = "identity", 0.0
    elif transf in (np.exp, math.exp, _exp) or getattr(transf, "__name__", "") in ("transf_exp",):
        transf, inverse, kind, null = _exp, _log, "log", 0.0
    elif getattr(transf, "__name__", "") in ("transf_ilogit",):
        transf, inverse, kind, null = _ilogit, _logit, "other", None
    else:
        kind, null = "other", 0.0 if inverse is None else None
        if inverse is not None:
            with np.errstate(all="ignore"):
                z = float(np.asarray(inverse(0.0)))
            null = z if np.isfinite(z) else None
    if refline != "auto":
        if refline is None:
            null = None
        elif inverse is not None:
            with np.errstate(all="ignore"):
                null = float(np.asarray(inverse(float(refline))))
            if not np.isfinite(null):
                raise ValueError(f"refline: {refline!r} is outside the range of the transformation")
        else:
            null = float(refline)
    return Scale(kind=kind, transf=transf, inverse=inverse, null=null)


def tick_label(v: float) -> str:
    """Compact tick label: up to 4 significant digits, true minus sign."""
    if v == 0:
        return "0"
    s = f"{v:.4g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s.replace("-", MINUS)


_LOG_SETS = {
    1.25: (0.8, 1.0, 1.25),
    1.5: (2 / 3, 1.0, 1.5),
    2.0: (0.5, 0.7, 1.0, 1.5, 2.0),
    5.0: (0.2, 0.5, 1.0, 2.0, 5.0),
    10.0: (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    20.0: (0.05, 0.2, 1.0, 5.0, 20.0),
    100.0: (0.01, 0.1, 1.0, 10.0, 100.0),
    1000.0: (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0),
}


def _log_symmetric(w: float):
    """Ticks (ratios) and the bound U for a log axis symmetric about 1 covering exp(±w)."""
    for u, ticks in _LOG_SETS.items():
        if math.log(u) >= w * (1 - 1e-9):
            return list(ticks), u
    n = math.ceil(w / math.log(10.0))
    step = max(1, math.ceil(n / 3))
    exps = sorted(set(list(range(-n, n + 1, step)) + [-n, n, 0]))
    return [10.0 ** e for e in exps], 10.0 ** n


def _log_ticks(lo: float, hi: float):
    """1-2-5 ticks (ratios) covering [exp(lo), exp(hi)], at most 7."""
    elo, ehi = math.floor(lo / math.log(10)) - 1, math.ceil(hi / math.log(10)) + 1
    for mant in ((1, 2, 5), (1, 10**0.5), (1,)):
        cands = sorted(m * 10.0 ** e for e in range(elo, ehi + 1) for m in mant)
        below = [c for c in cands if math.log(c) <= lo + 1e-12]
        above = [c for c in cands if math.log(c) >= hi - 1e-12]
        a, b = below[-1], above[0]
        ticks = [c for c in cands if a <= c <= b]
        if mant == (1, 10**0.5):
            ticks = [c for c in ticks if abs(math.log10(c) - round(math.log10(c))) < 1e-9] or ticks
            if len(ticks) < 2:
                continue
        if len(ticks) <= 7:
            return ticks
    while len(ticks) > 7:
        ticks = ticks[::2] if ticks[-1] in ticks[::2] else ticks[::2] + [ticks[-1]]
    return ticks


def limits_and_ticks(scale: Scale, core, extent, xlim=None, symmetric=True):
    """Axis limits (analysis scale), tick positions (analysis scale) and tick labels.

    core : values that must be inside (study estimates, pooled interval, prediction interval).
    extent : study interval bounds; they widen the axis up to 2.5 times the core's reach
        from the reference, beyond that they are clipped (and drawn with arrows).
    """
    core = np.asarray([c for c in np.ravel(core) if np.isfinite(c)], dtype=float)
    extent = np.asarray([c for c in np.ravel(extent) if np.isfinite(c)], dtype=float)
    ref = scale.null
    if xlim is not None:
        lo, hi = (float(v) for v in xlim)
        if scale.inverse is not None and scale.kind != "identity":
            with np.errstate(all="ignore"):
                lo, hi = float(scale.inverse(lo)), float(scale.inverse(hi))
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"xlim: expected two increasing values on the displayed scale, got {xlim!r}")
        ticks = _ticks_in(scale, lo, hi)
        return (lo, hi), ticks, [tick_label(scale.show(t)) for t in ticks]

    center = ref if (ref is not None and symmetric) else None
    if center is not None:
        wc = float(np.max(np.abs(core - center))) if core.size else 0.0
        we = float(np.max(np.abs(extent - center))) if extent.size else wc
        w = max(1.04 * wc, min(we, 2.5 * wc)) if wc > 0 else we  # estimates strictly inside
        if not w > 0:
            w = math.log(2.0) if scale.kind == "log" else 1.0
        if scale.kind == "log":
            ratios, u = _log_symmetric(w)
            ticks = [math.log(r) + center for r in ratios]
            return (center - math.log(u), center + math.log(u)), ticks, [tick_label(r) for r in ratios]
        if scale.kind == "identity":
            loc = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], symmetric=True)
            t = loc.tick_values(-w, w)
            t = t[np.abs(t) <= np.max(np.abs(t)) + 1e-12]
            top = float(np.max(np.abs(t)))
            if top < w * (1 - 1e-9):  # pragma: no cover - MaxNLocator covers its range
                top = w
            ticks = [float(v) + center for v in t if abs(v) <= top + 1e-12]
            return (center - top, center + top), ticks, [tick_label(scale.show(v)) for v in ticks]
    # asymmetric: cover the data (and the reference, if any)
    vals = np.concatenate([core, [ref] if ref is not None else []])
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (-1.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    if extent.size:
        lo = max(min(lo, float(extent.min())), lo - 1.5 * span)
        hi = min(max(hi, float(extent.max())), hi + 1.5 * span)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    if scale.kind == "log":
        ratios = _log_ticks(lo, hi)
        ticks = [math.log(r) for r in ratios]
        return (ticks[0], ticks[-1]), ticks, [tick_label(r) for r in ratios]
    ticks = _ticks_in(scale, lo, hi, expand=True)
    return (min(lo, ticks[0]), max(hi, ticks[-1])), ticks, [tick_label(scale.show(t)) for t in ticks]


def _ticks_in(scale: Scale, lo: float, hi: float, expand: bool = False):
    """Tick positions (analysis scale) for [lo, hi]; expand=True lets the outer ticks cover it."""
    if scale.kind == "log":
        ratios = _log_ticks(lo, hi)
        t = [math.log(r) for r in ratios]
    elif scale.kind == "other" and scale.inverse is not None:
        dlo, dhi = float(scale.show(lo)), float(scale.show(hi))
        shown = MaxNLocator(nbins=5).tick_values(min(dlo, dhi), max(dlo, dhi))
        with np.errstate(all="ignore"):
            t = [float(scale.inverse(v)) for v in shown]
        t = sorted(v for v in t if np.isfinite(v))
        expand = False
    else:
        t = [float(v) for v in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)]
    if expand:
        inner = [v for v in t if lo - 1e-12 <= v <= hi + 1e-12]
        below = [v for v in t if v < lo - 1e-12]
        above = [v for v in t if v > hi + 1e-12]
        t = ([below[-1]] if below else []) + inner + ([above[0]] if above else [])
    else:
        t = [v for v in t if lo - 1e-12 <= v <= hi + 1e-12]
    return t
