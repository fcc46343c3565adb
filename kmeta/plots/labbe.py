"""L'Abbé plots: the event rate with treatment against the event rate with control.

Each study is a point at (control risk, treatment risk) with area proportional to its
total sample size. Points above the line of equality had more events with treatment.
A pooled effect can be drawn as the curve it implies: ``y = RR·x`` for a risk ratio,
the corresponding odds for an odds ratio, ``y = x + RD`` for a risk difference
(L'Abbé, Detsky and O'Rourke 1987).

References
----------
L'Abbé, K. A., Detsky, A. S., & O'Rourke, K. (1987). Meta-analysis in clinical research.
*Ann Intern Med*, 107(2), 224–233. https://doi.org/10.7326/0003-4819-107-2-224
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import _validate as v
from . import _scale, style
from .style import COLORS, SMALL_SIZE, fmt_num

__all__ = ["labbe", "pooled_curve"]

_NAMES = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference", "PETO": "Peto odds ratio"}


def pooled_curve(x, estimate: float, measure: str):
    """Treatment risk implied by a pooled effect at control risk(s) ``x``.

    ``estimate`` is on the analysis scale (log RR, log OR, RD). Risks are kept in [0, 1].
    """
    x = np.asarray(x, dtype=float)
    m = measure.upper()
    if m == "RR":
        y = x * np.exp(estimate)
    elif m in ("OR", "PETO"):
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = x / (1.0 - x) * np.exp(estimate)
            y = np.where(np.isinf(odds), 1.0, odds / (1.0 + odds))
    elif m == "RD":
        y = x + estimate
    else:
        raise ValueError(f"measure: {measure!r} has no L'Abbé curve; expected 'RR', 'OR' or 'RD'")
    return np.clip(y, 0.0, 1.0)


@style.styled
def labbe(
    e1,
    n1,
    e2,
    n2,
    *,
    labels=None,
    result=None,
    measure=None,
    estimate=None,
    arm_labels=("Treatment", "Control"),
    annotate=False,
    lim=None,
    title=None,
    ax=None,
    figsize=(4.2, 4.4),
):
    """L'Abbé plot of two-arm event data.

    Parameters
    ----------
    e1, n1, e2, n2 : array_like
        Events and patients with treatment (arm 1) and control (arm 2), one per study.
        Zero events are fine (the point sits on the axis).
    labels : sequence of str, optional
        Study labels (written next to the points with ``annotate=True``).
    result : pooled result, optional
        Draw the pooled effect as a curve: :func:`kmeta.mh` / :func:`kmeta.peto` results
        carry their measure; for :func:`kmeta.meta` give ``measure``.
    measure, estimate : optional
        Or give the measure (``"RR"``, ``"OR"``, ``"RD"``) and the pooled estimate on
        the analysis scale (log RR, log OR, RD) directly.
    arm_labels : (str, str)
        Names of the arms for the axis labels.
    lim : float, optional
        Upper limit of both axes (default 1, or less when every risk is small).
    annotate, title, ax, figsize : optional
        Labels beside points; title; panel to draw into; size of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Points: PathCollection with gid ``kmeta-studies`` (offsets are the control and
        treatment risks); the pooled curve: Line2D with gid ``kmeta-pooled``.
    """
    k = v.as_array(e1, "e1").shape[0]
    labs = v.study_labels(labels, k)
    a = {}
    for name, arr in (("e1", e1), ("n1", n1), ("e2", e2), ("n2", n2)):
        a[name] = v.as_array(arr, name, labs, k)
        v.check_integer(a[name], name, labs)
    for e, n in (("e1", "n1"), ("e2", "n2")):
        v.check_positive(a[n], n, labs, "the number of patients must be > 0")
        v.check_nonnegative(a[e], e, labs, "events must be >= 0")
        v.check_not_greater(a[e], a[n], e, n, labs)
    p1, p2 = a["e1"] / a["n1"], a["e2"] / a["n2"]
    ntot = a["n1"] + a["n2"]

    if result is not None:
        if measure is None:
            measure = getattr(result, "measure", None)
            if measure == "OR" and getattr(result, "method", None) == "Peto":
                measure = "PETO"
        if measure is None:
            raise ValueError("measure: give the measure ('RR', 'OR', 'RD') of the pooled result")
        estimate = float(result.estimate) if estimate is None else estimate

    own = ax is None
    fig, ax = style.figure_and_axes(ax, figsize)
    ax.plot([0, 1], [0, 1], color=COLORS["reference"], lw=0.8, zorder=1, gid="kmeta-equality",
            label="Line of equality")
    if measure is not None and estimate is not None:
        x = np.linspace(0.0, 1.0, 201)
        m = measure.upper()
        shown = np.exp(estimate) if m in ("RR", "OR", "PETO") else estimate
        ax.plot(x, pooled_curve(x, estimate, m), color=COLORS["summary"], lw=1.0, ls="--", zorder=2,
                gid="kmeta-pooled", label=f"Pooled {_NAMES.get(m, m)} {fmt_num(shown)}")
    sizes = 15.0 + 235.0 * ntot / ntot.max()
    ax.scatter(p2, p1, s=sizes, color=COLORS["study"], alpha=0.75, edgecolors="white", linewidths=0.6,
               zorder=3, clip_on=False, gid="kmeta-studies")
    if annotate and labs is not None:
        for lab, x, y in zip(labs, p2, p1):
            ax.annotate(lab, (x, y), xytext=(5, 3), textcoords="offset points", fontsize=SMALL_SIZE - 1)
    if lim is None:
        top = float(max(p1.max(), p2.max()))
        lim = 1.0 if top > 0.6 else max(0.1, math.ceil(top * 1.15 * 10.0) / 10.0)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_aspect("equal")
    ticks = [float(t) for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, lim) if 0 <= t <= lim + 1e-12]
    ax.set_xticks(ticks, [_scale.tick_label(t) for t in ticks])
    ax.set_yticks(ticks, [_scale.tick_label(t) for t in ticks])
    ax.set_xlabel(f"Event rate, {arm_labels[1].lower()}")
    ax.set_ylabel(f"Event rate, {arm_labels[0].lower()}")
    ax.legend(loc="best", fontsize=SMALL_SIZE - 0.5)
    if title:
        ax.set_title(title)

    above, below = int(np.sum(p1 > p2)), int(np.sum(p1 < p2))
    alt = (f"L'Abbé plot of {k} {'study' if k == 1 else 'studies'}: event rate with {arm_labels[0].lower()} "
           f"against event rate with {arm_labels[1].lower()}, point area proportional to study size; "
           f"{above} above the line of equality (more events with {arm_labels[0].lower()}), {below} below")
    if measure is not None and estimate is not None:
        alt += f"; dashed curve: pooled {_NAMES.get(measure.upper(), measure)}"
    return style.finish(fig, alt + ".", ax=None if own else ax)
