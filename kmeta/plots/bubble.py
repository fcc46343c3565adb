"""Bubble plots of a meta-regression: effect against a moderator, fitted line and its band.

Each study is a circle with area proportional to its weight in the meta-regression
(``1/(v_i + τ²)``). The fitted line is :math:`b_0 + b_1 x`; the band is its pointwise
confidence interval :math:`\\pm c\\,\\sqrt{\\mathrm{Var}(b_0 + b_1 x)}` with
:math:`c` from the normal distribution (z tests) or t on the residual df (t/Knapp–Hartung
tests), as metafor's ``regplot``. With several moderators, the others are held at their
mean.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from . import _scale, style
from .style import COLORS, SMALL_SIZE, fmt_num

__all__ = ["bubble"]


def _from_metareg(result, moderator):
    names = list(result.coef_names)
    X = np.asarray(result.X, float)
    slopes = [n for n in names if n != "intrcpt"]
    if moderator is None:
        if len(slopes) != 1:
            raise ValueError(f"moderator: the meta-regression has coefficients {names}; name the one to plot")
        moderator = slopes[0]
    if moderator not in names:
        raise ValueError(f"moderator: {moderator!r} is not one of the coefficients {names}")
    j = names.index(moderator)
    return X, j, moderator


@style.styled
def bubble(
    yi=None,
    vi=None,
    x=None,
    *,
    result=None,
    moderator=None,
    intercept=None,
    slope=None,
    vcov=None,
    df=None,
    tau2=0.0,
    level=0.95,
    weights=None,
    labels=None,
    annotate=False,
    band=True,
    measure=None,
    transf=None,
    inverse=None,
    xlabel=None,
    ylabel=None,
    title=None,
    ax=None,
    figsize=(4.8, 3.8),
):
    """Bubble plot of a meta-regression on one moderator.

    Parameters
    ----------
    yi, vi, x : array_like, optional
        Effects, sampling variances and the moderator values (not needed with ``result``).
    result : MetaregResult, optional
        A ``kmeta.metareg`` fit: data, coefficients, their covariance, τ², df and
        level are taken from it.
    moderator : str, optional
        Coefficient to plot against (required when the model has several).
    intercept, slope : float, optional
        Explicit coefficients of the line (without ``result``); no line without them.
    vcov : 2×2 array_like, optional
        Covariance of (intercept, slope) for the band (without ``result``).
    df : float, optional
        Degrees of freedom of a t-based band (default: normal).
    tau2 : float
        Residual τ² for the bubble sizes (without ``result``).
    level : float
        Confidence level of the band.
    weights : array_like, optional
        Bubble weights (default ``1/(vi + tau2)``, or the result's weights).
    labels, annotate : optional
        Study labels, written beside the bubbles with ``annotate=True``.
    band : bool
        Draw the confidence band (needs ``vcov`` or ``result``).
    measure, transf, inverse : optional
        As in :func:`kmeta.plots.forest` for the y-axis (ratio measures: log scale
        with ratio labels).
    xlabel, ylabel, title, ax, figsize : optional

    Returns
    -------
    matplotlib.figure.Figure
        Bubbles: PathCollection with gid ``kmeta-studies``; line ``kmeta-fit``; band
        ``kmeta-band``.
    """
    if result is not None:
        X, j, moderator = _from_metareg(result, moderator)
        yi_a, vi_a = np.asarray(result.yi, float), np.asarray(result.vi, float)
        x_a = X[:, j]
        beta = np.asarray(result.beta, float)
        V = np.asarray(result.vcov, float)
        df = result.df
        level = result.level
        tau2 = result.tau2
        w = np.asarray(result.weights, float) if weights is None else np.asarray(weights, float)
        labels = labels if labels is not None else result.labels
        xbar = X.mean(axis=0)

        def line(xs):
            rows = np.tile(xbar, (xs.size, 1))
            rows[:, j] = xs
            fit = rows @ beta
            se = np.sqrt(np.einsum("ij,jk,ik->i", rows, V, rows))
            return fit, se

        have_line = True
        xlabel = xlabel or moderator
        b1 = float(beta[j])
    else:
        if yi is None or vi is None or x is None:
            raise ValueError("yi: give yi, vi and x (or a metareg result)")
        yi_a, vi_a, x_a = (np.asarray(a, float).ravel() for a in (yi, vi, x))
        if not (yi_a.shape == vi_a.shape == x_a.shape):
            raise ValueError(f"x: yi, vi and x must have one value per study (got {yi_a.size}, {vi_a.size}, {x_a.size})")
        if np.any(~np.isfinite(x_a)) or np.any(~np.isfinite(yi_a)) or np.any(~(vi_a > 0)):
            raise ValueError("yi: effects and moderators must be finite and variances > 0")
        w = 1.0 / (vi_a + tau2) if weights is None else np.asarray(weights, float)
        have_line = intercept is not None and slope is not None
        if (intercept is None) != (slope is None):
            raise ValueError("slope: give intercept and slope together")
        if have_line:
            b0, b1 = float(intercept), float(slope)
            V = None if vcov is None else np.asarray(vcov, float)
            if V is not None and V.shape != (2, 2):
                raise ValueError(f"vcov: expected a 2×2 covariance of (intercept, slope), got shape {V.shape}")

            def line(xs):
                fit = b0 + b1 * xs
                if V is None:
                    return fit, np.full_like(xs, np.nan)
                se = np.sqrt(V[0, 0] + 2 * xs * V[0, 1] + xs * xs * V[1, 1])
                return fit, se
        xlabel = xlabel or "Moderator"
    level = level / 100.0 if level > 1 else level
    k = yi_a.size
    scale = _scale.resolve(measure, transf, inverse)

    own = ax is None
    fig, ax = style.figure_and_axes(ax, figsize)
    wrel = w / np.nanmax(w) if np.nanmax(w) > 0 else np.ones_like(w)
    ax.scatter(x_a, yi_a, s=20 + 330 * wrel, color=COLORS["study"], alpha=0.6, edgecolors=COLORS["text"],
               linewidths=0.5, zorder=3, gid="kmeta-studies")
    xs = np.linspace(x_a.min(), x_a.max(), 101) if x_a.max() > x_a.min() else np.array([x_a.min()] * 2)
    if have_line:
        fit, se = line(xs)
        ax.plot(xs, fit, color=COLORS["fit"], lw=1.3, zorder=4, gid="kmeta-fit")
        if band and np.all(np.isfinite(se)):
            crit = float(special.stdtrit(df, 0.5 + level / 2)) if (df is not None and np.isfinite(df)) \
                else float(special.ndtri(0.5 + level / 2))
            ax.fill_between(xs, fit - crit * se, fit + crit * se, color=COLORS["band"], alpha=0.25, linewidth=0,
                            zorder=1, gid="kmeta-band")
            ax.plot(xs, fit - crit * se, color=COLORS["fit"], lw=0.6, ls="--", zorder=2)
            ax.plot(xs, fit + crit * se, color=COLORS["fit"], lw=0.6, ls="--", zorder=2)
    if scale.null is not None:
        ax.axhline(scale.null, color=COLORS["reference"], lw=0.7, ls=":", zorder=0, gid="kmeta-refline")
    if annotate and labels is not None:
        for lab, xx, yy in zip(labels, x_a, yi_a):
            ax.annotate(str(lab), (xx, yy), xytext=(5, 3), textcoords="offset points", fontsize=SMALL_SIZE - 1)
    ax.margins(x=0.08, y=0.12)
    if scale.kind != "identity":
        lo, hi = ax.get_ylim()
        ticks = _scale._ticks_in(scale, lo, hi)
        ax.set_yticks(ticks, [_scale.tick_label(scale.show(t)) for t in ticks])
        ax.set_ylim(lo, hi)
    name = _scale.MEASURE_NAMES.get(measure.upper() if isinstance(measure, str) else None, "Effect size")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or (name + (" (log scale)" if scale.kind == "log" else "")))
    if title:
        ax.set_title(title)

    alt = (f"Bubble plot of {k} {'study' if k == 1 else 'studies'}: {name.lower()} against {xlabel}, "
           f"bubble area proportional to the study's weight")
    if have_line:
        alt += f"; fitted meta-regression line with slope {fmt_num(b1, 3)} per unit"
        if band:
            alt += f" and its {100 * level:g}% confidence band"
    return style.finish(fig, alt + ".", ax=None if own else ax)
