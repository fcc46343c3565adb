"""Baujat plots: each study's contribution to heterogeneity against its influence on the result.

As metafor's ``baujat()`` for a model without moderators (Baujat et al. 2002):

* x: the squared Pearson residual :math:`(y_i - \\hat\\mu)^2 / (v_i + \\hat\\tau^2)`; for a
  common-effect model these add up to Cochran's Q, the study's contribution to it;
* y: the influence on the pooled result,
  :math:`(\\hat\\mu_{(-i)} - \\hat\\mu)^2 / \\mathrm{Var}(\\hat\\mu_{(-i)})`, where
  :math:`\\hat\\mu_{(-i)}` is re-estimated without study i by :func:`kmeta.meta` with the
  same τ² estimator, test and level.

Studies at the top right both drive the heterogeneity and move the estimate.

References
----------
Baujat, B., Mahé, C., Pignon, J.-P., & Hill, C. (2002). A graphical method for exploring
heterogeneity in meta-analyses: application to a meta-analysis of 65 trials.
*Stat Med*, 21(18), 2641–2652. https://doi.org/10.1002/sim.1221
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .style import COLORS, SMALL_SIZE

__all__ = ["baujat", "baujat_data"]


def baujat_data(result) -> pd.DataFrame:
    """The coordinates of the Baujat plot, one row per study.

    Parameters
    ----------
    result : MetaResult
        A :func:`kmeta.meta` result (``yi, vi, estimate, tau2, method, test, level``),
        with at least two studies.

    Returns
    -------
    DataFrame
        ``study`` (label), ``x`` (squared Pearson residual; contribution to Q for a
        common-effect model), ``y`` (influence on the pooled estimate), and
        ``estimate_without`` (the estimate with the study left out).
    """
    from ..meta import meta

    yi, vi = np.asarray(result.yi, float), np.asarray(result.vi, float)
    k = yi.size
    if k < 2:
        raise ValueError("result: a Baujat plot needs at least 2 studies (k = 1)")
    if not hasattr(result, "tau2") or not hasattr(result, "method"):
        raise ValueError("result: expected a kmeta.meta() result (with tau2 and method)")
    mu = float(result.estimate)
    x = (yi - mu) ** 2 / (vi + result.tau2)
    y = np.empty(k)
    est_wo = np.empty(k)
    for i in range(k):
        keep = np.arange(k) != i
        r = meta(yi[keep], vi[keep], method=result.method, test=result.test, level=result.level)
        est_wo[i] = r.estimate
        y[i] = (r.estimate - mu) ** 2 / r.se**2 if r.se > 0 else np.nan
    labels = list(result.labels) if result.labels is not None else [str(i + 1) for i in range(k)]
    return pd.DataFrame({"study": labels, "x": x, "y": y, "estimate_without": est_wo})


@style.styled
def baujat(result, *, annotate=True, title=None, ax=None, figsize=(4.6, 3.8)):
    """Baujat plot of a :func:`kmeta.meta` result (see :func:`baujat_data` for the axes).

    Parameters
    ----------
    result : MetaResult
        At least two studies.
    annotate : bool
        Write the study labels (or numbers 1..k) beside the points.
    title, ax, figsize : optional
        Title; panel to draw into; size of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Points: PathCollection with gid ``kmeta-studies``.
    """
    d = baujat_data(result)
    own = ax is None
    fig, ax = style.figure_and_axes(ax, figsize)
    ax.scatter(d["x"], d["y"], s=30, color=COLORS["study"], edgecolors="white", linewidths=0.5, zorder=3,
               clip_on=False, gid="kmeta-studies")
    if annotate:
        for lab, x, y in zip(d["study"], d["x"], d["y"]):
            ax.annotate(str(lab), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=SMALL_SIZE - 1)
    xmax, ymax = np.nanmax(d["x"].to_numpy()), np.nanmax(d["y"].to_numpy())
    ax.set_xlim(0, 1.15 * xmax if xmax > 0 else 1.0)
    ax.set_ylim(0, 1.15 * ymax if ymax > 0 else 1.0)
    xlab = "Contribution to overall heterogeneity" if result.method == "FE" else "Squared Pearson residual"
    ax.set_xlabel(xlab)
    ax.set_ylabel("Influence on overall result")
    if title:
        ax.set_title(title)
    alt = (f"Baujat plot of {len(d)} studies: contribution to heterogeneity (x) against influence on the "
           f"pooled estimate (y)")
    if np.all(np.isfinite(d[["x", "y"]].to_numpy())):
        alt += (f"; largest contribution: {d.loc[d['x'].idxmax(), 'study']}, "
                f"largest influence: {d.loc[d['y'].idxmax(), 'study']}")
    return style.finish(fig, alt + ".", ax=None if own else ax)
