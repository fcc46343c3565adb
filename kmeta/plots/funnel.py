"""Funnel plots: effect against standard error, optionally contour-enhanced and with trim-and-fill studies.

The y-axis is the standard error, inverted (precise studies at the top, as metafor
draws it). Around the pooled estimate the pseudo-confidence region
:math:`\\hat\\mu \\pm z_{1-\\alpha/2}\\,\\mathrm{SE}` shows where studies would scatter
without heterogeneity or small-study effects.

``contours=True`` draws the contour-enhanced funnel of Peters et al. (2008): shaded
regions where a study's own two-sided test against *no effect* has p between 0.10 and
0.05, between 0.05 and 0.01, and below 0.01, so that missing studies can be judged
against significance rather than against the pooled estimate.

Trim-and-fill (Duval and Tweedie 2000) studies are drawn hollow, with the adjusted
estimate as a dashed line.

References
----------
Peters, J. L., Sutton, A. J., Jones, D. R., Abrams, K. R., & Rushton, L. (2008).
Contour-enhanced meta-analysis funnel plots help distinguish publication bias from
other causes of asymmetry. *J Clin Epidemiol*, 61(10), 991–996.
https://doi.org/10.1016/j.jclinepi.2007.11.010
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch
from scipy import special

from . import _scale, style
from .style import COLORS, SMALL_SIZE

__all__ = ["funnel", "CONTOUR_SHADES"]

#: Greys of the significance regions (p between 0.10 and 0.05, 0.05 and 0.01, below 0.01).
CONTOUR_SHADES = ("#E8E8E8", "#CCCCCC", "#ADADAD")


def _first_attr(obj, names):
    for n in names:
        if obj is not None and hasattr(obj, n):
            return getattr(obj, n)
    return None


def _filled_from(trimfill):
    """(filled yi, filled vi, side, adjusted estimate) from a trim-and-fill result."""
    fy = _first_attr(trimfill, ("filled_yi", "yi_filled", "yi_fill", "fill_yi"))
    fv = _first_attr(trimfill, ("filled_vi", "vi_filled", "vi_fill", "fill_vi"))
    if fv is None:
        fs = _first_attr(trimfill, ("filled_sei", "sei_filled"))
        fv = None if fs is None else np.asarray(fs, float) ** 2
    if fy is None or fv is None:
        raise ValueError(
            "trimfill: the result must expose the filled studies as filled_yi and filled_vi "
            "(or pass filled_yi=, filled_vi= explicitly)"
        )
    side = _first_attr(trimfill, ("side",))
    adj = _first_attr(trimfill, ("estimate",))
    adj_obj = _first_attr(trimfill, ("adjusted", "filled_result", "result"))
    if adj is None and adj_obj is not None:
        adj = getattr(adj_obj, "estimate", None)
    return np.asarray(fy, float).ravel(), np.asarray(fv, float).ravel(), side, adj


@style.styled
def funnel(
    result=None,
    *,
    yi=None,
    vi=None,
    sei=None,
    estimate=None,
    measure=None,
    transf=None,
    inverse=None,
    level=None,
    contours=False,
    contour_levels=(0.10, 0.05, 0.01),
    pseudo_ci=True,
    trimfill=None,
    filled_yi=None,
    filled_vi=None,
    adjusted_estimate=None,
    labels=None,
    annotate=False,
    xlabel=None,
    title=None,
    legend=True,
    ax=None,
    figsize=(4.8, 3.8),
):
    """Funnel plot of a meta-analysis.

    Parameters
    ----------
    result : MetaResult (or anything with ``yi, vi, estimate``), optional
        The meta-analysis (a ``kmeta.trimfill`` result is also accepted: its
        observed studies, filled studies and adjusted estimate are drawn); or give ``yi`` with ``vi``/``sei`` (and ``estimate``; the
        inverse-variance common-effect mean is used without one).
    measure, transf, inverse : optional
        As in :func:`kmeta.plots.forest`: ratio measures get ratio tick labels on the
        log scale where the study estimates live.
    level : float
        Level of the pseudo-confidence region (default the result's, else 0.95).
    contours : bool
        Shade the regions where the studies' own tests of no effect reach p <
        ``contour_levels`` (0.10, 0.05, 0.01), centred on the line of no effect.
    pseudo_ci : bool
        Draw the pseudo-confidence lines around the pooled estimate.
    trimfill : trim-and-fill result, optional
        Its filled-in studies (``filled_yi``, ``filled_vi``) are drawn hollow and its
        adjusted ``estimate`` as a dashed line. Or give ``filled_yi``, ``filled_vi``
        (and ``adjusted_estimate``) explicitly.
    labels, annotate : optional
        Study labels, written next to the points with ``annotate=True``.
    xlabel, title, legend : optional
        Axis label (default: the measure's name), title, and whether to draw the legend.
    ax : matplotlib Axes, optional
        Draw into this panel (its figure is returned; the alt text goes to ``ax.kmeta_alt``).
    figsize : (float, float)
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The points are the PathCollection with gid ``kmeta-studies`` (and
        ``kmeta-filled`` for filled studies); ``fig.kmeta_alt`` holds the alt text.
    """
    if result is not None and trimfill is None and hasattr(result, "filled_yi") and hasattr(result, "original"):
        result, trimfill = result.original, result  # a trim-and-fill result: plot its observed studies
    if result is not None:
        yi_a = np.asarray(result.yi, float)
        vi_a = np.asarray(result.vi, float)
        est = float(result.estimate) if estimate is None else float(estimate)
        labels = labels if labels is not None else getattr(result, "labels", None)
        level = getattr(result, "level", 0.95) if level is None else level
        if measure is None:
            measure = getattr(result, "measure", None)
    else:
        if yi is None or (vi is None) == (sei is None):
            raise ValueError("yi: give a result, or yi with exactly one of vi or sei")
        yi_a = np.asarray(yi, float).ravel()
        vi_a = np.asarray(vi, float).ravel() if vi is not None else np.asarray(sei, float).ravel() ** 2
        if yi_a.shape != vi_a.shape:
            raise ValueError(f"vi: has {vi_a.size} values for {yi_a.size} studies")
        level = 0.95 if level is None else level
        if estimate is None:
            ok = np.isfinite(yi_a) & np.isfinite(vi_a) & (vi_a > 0)
            w = 1.0 / vi_a[ok]
            est = float(np.sum(w * yi_a[ok]) / np.sum(w)) if ok.any() else np.nan
        else:
            est = float(estimate)
    level = level / 100.0 if level > 1 else level
    keep = np.isfinite(yi_a) & np.isfinite(vi_a) & (vi_a > 0)
    if not keep.any():
        raise ValueError("yi: no study with a finite estimate and a positive variance to plot")
    k = int(keep.sum())
    sei_a = np.sqrt(vi_a)

    side = None
    if trimfill is not None:
        fy, fv, side, adj = _filled_from(trimfill)
        adjusted_estimate = adj if adjusted_estimate is None else adjusted_estimate
    elif filled_yi is not None or filled_vi is not None:
        if filled_yi is None or filled_vi is None:
            raise ValueError("filled_yi: give filled_yi and filled_vi together")
        fy, fv = np.asarray(filled_yi, float).ravel(), np.asarray(filled_vi, float).ravel()
        if fy.shape != fv.shape:
            raise ValueError(f"filled_vi: has {fv.size} values for {fy.size} filled studies")
    else:
        fy = fv = np.empty(0)
    fse = np.sqrt(fv)

    scale = _scale.resolve(measure, transf, inverse)
    z = float(special.ndtri(0.5 + level / 2.0))
    se_all = np.concatenate([sei_a[keep], fse[np.isfinite(fse)]])
    se_max = float(se_all.max()) * 1.08 if se_all.max() > 0 else 1.0

    xs = list(yi_a[keep]) + list(fy[np.isfinite(fy)])
    if pseudo_ci and np.isfinite(est):
        xs += [est - z * se_max, est + z * se_max]
    if contours and scale.null is not None:
        zc = float(special.ndtri(1 - min(contour_levels) / 2))
        xs += [scale.null - zc * se_max * 0.6, scale.null + zc * se_max * 0.6]
    lo, hi = float(np.min(xs)), float(np.max(xs))
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    lo, hi = lo - pad, hi + pad

    own = ax is None
    fig, ax = style.figure_and_axes(ax, figsize)
    ax.set_xlim(lo, hi)
    ax.set_ylim(se_max, 0.0)
    grid = np.linspace(0.0, se_max, 64)
    handles = []

    if contours and scale.null is not None:
        levels = sorted(contour_levels, reverse=True)  # 0.10, 0.05, 0.01
        zs = [float(special.ndtri(1 - p / 2)) for p in levels]
        bounds = zs + [np.inf]
        shades = list(CONTOUR_SHADES) + [CONTOUR_SHADES[-1]] * max(0, len(levels) - len(CONTOUR_SHADES))
        for j in range(len(levels)):
            za, zb = bounds[j], bounds[j + 1]
            for sign in (-1, 1):
                a = scale.null + sign * za * grid
                b = scale.null + sign * zb * grid if np.isfinite(zb) else np.full_like(grid, hi if sign > 0 else lo)
                ax.fill_betweenx(grid, a, b, color=shades[j], linewidth=0, zorder=0, gid="kmeta-contour")
            upper = levels[j]
            lower = levels[j + 1] if j + 1 < len(levels) else None
            text = f"{upper:.2f} > p > {lower:.2f}" if lower is not None else f"p < {upper:.2f}"
            handles.append(Patch(facecolor=shades[j], edgecolor="none", label=text))
        ax.axvline(scale.null, color=COLORS["reference"], lw=0.8, zorder=1, gid="kmeta-refline")
    elif scale.null is not None and lo < scale.null < hi:
        ax.axvline(scale.null, color=COLORS["reference"], lw=0.6, ls=":", zorder=1, gid="kmeta-refline")

    if np.isfinite(est):
        if pseudo_ci:
            ax.plot(est - z * grid, grid, color=COLORS["summary"], lw=0.8, ls="--", zorder=2, gid="kmeta-pseudo-ci")
            ax.plot(est + z * grid, grid, color=COLORS["summary"], lw=0.8, ls="--", zorder=2, gid="kmeta-pseudo-ci")
        ax.axvline(est, color=COLORS["summary"], lw=0.9, zorder=2, gid="kmeta-estimate")

    ax.scatter(yi_a[keep], sei_a[keep], s=28, color=COLORS["study"], edgecolors="white", linewidths=0.5,
               zorder=4, clip_on=False, gid="kmeta-studies", label="Studies")
    if fy.size:
        ax.scatter(fy, fse, s=28, facecolors="white", edgecolors=COLORS["filled"], linewidths=1.1,
                   zorder=4, clip_on=False, gid="kmeta-filled", label="Filled-in studies (trim and fill)")
        if adjusted_estimate is not None and np.isfinite(adjusted_estimate):
            ax.axvline(float(adjusted_estimate), color=COLORS["filled"], lw=0.9, ls="--", zorder=2,
                       gid="kmeta-adjusted")

    if annotate and labels is not None:
        for lab, x, y in zip(np.asarray(labels, dtype=object)[keep], yi_a[keep], sei_a[keep]):
            ax.annotate(str(lab), (x, y), xytext=(4, 2), textcoords="offset points", fontsize=SMALL_SIZE - 1,
                        annotation_clip=False)

    ticks = _scale._ticks_in(scale, lo, hi)
    ax.set_xticks(ticks, [_scale.tick_label(scale.show(t)) for t in ticks])
    ax.set_xlim(lo, hi)
    name = _scale.MEASURE_NAMES.get(measure.upper() if isinstance(measure, str) else None, "Effect size")
    ax.set_xlabel(xlabel or (name + (" (log scale)" if scale.kind == "log" else "")))
    ax.set_ylabel("Standard error")
    if title:
        ax.set_title(title)
    point_handles = ax.get_legend_handles_labels()[0]
    if legend and (fy.size or handles):
        if own:
            fig.legend(handles=point_handles + handles, loc="outside lower center", ncol=min(3, len(point_handles + handles)),
                       fontsize=SMALL_SIZE - 0.5)
        else:
            ax.legend(handles=point_handles + handles, loc="best", fontsize=SMALL_SIZE - 0.5)

    pct = f"{100 * level:g}%"
    alt = (f"Funnel plot of {k} {'study' if k == 1 else 'studies'}: {name.lower()} against its standard error "
           f"(precise studies at the top)")
    if np.isfinite(est) and pseudo_ci:
        alt += f", with a {pct} pseudo-confidence funnel around the pooled estimate {scale.fmt(est)}"
    if contours and scale.null is not None:
        alt += "; grey contours mark where a study's own test reaches p < " + ", ".join(
            f"{p:.2f}" for p in sorted(contour_levels, reverse=True))
    if fy.size:
        alt += f"; {fy.size} {'study' if fy.size == 1 else 'studies'} filled in by trim and fill (hollow)"
        if side:
            alt += f" on the {side} side"
    return style.finish(fig, alt + ".", ax=None if own else ax)
