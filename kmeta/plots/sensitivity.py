"""Leave-one-out and cumulative forest plots.

Each row is a *pooled* estimate with its confidence interval (a point, not a
weight-sized square): without one study (leave-one-out) or with the studies up to
that row (cumulative, in a chosen order such as publication year). A dotted line marks
the estimate from all studies, so that shifts read at a glance.

The analyses are re-run with :func:`kmeta.meta` with the same τ² estimator, test and
level as the given result; results computed elsewhere (e.g. by a sensitivity module)
can be passed instead as a table with columns ``study``, ``estimate``, ``ci_low``,
``ci_high`` and optionally ``tau2``, ``i2``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import _scale, _table, style
from ._table import Axis, Col, Row
from .forest import _model_line

__all__ = ["leave_one_out_forest", "cumulative_forest", "leave_one_out_table", "cumulative_table"]


def _check_meta(result):
    for f in ("yi", "vi", "method", "test", "level", "estimate", "ci_low", "ci_high"):
        if not hasattr(result, f):
            raise ValueError(f"result: expected a kmeta.meta() result (it has no '{f}')")


_COLUMNS = ["study", "k", "estimate", "ci_low", "ci_high", "pval", "tau2", "i2"]


def _as_plot_table(result_table) -> pd.DataFrame:
    """The sensitivity module's table (indexed by study) in the columns the plots use."""
    df = result_table.reset_index()
    df = df.rename(columns={df.columns[0]: "study"})
    return df[_COLUMNS]


def leave_one_out_table(result) -> pd.DataFrame:
    """Pooled estimate without each study in turn, from :func:`kmeta.leave_one_out`
    (same method, test and level as ``result``).

    Columns: ``study`` (the one left out), ``k``, ``estimate``, ``ci_low``, ``ci_high``,
    ``pval``, ``tau2``, ``i2`` (percent). Needs k ≥ 2.
    """
    from ..sensitivity import leave_one_out

    _check_meta(result)
    if np.asarray(result.yi).size < 2:
        raise ValueError("result: leave-one-out needs at least 2 studies (k = 1)")
    return _as_plot_table(leave_one_out(result).table)


def cumulative_table(result, order=None) -> pd.DataFrame:
    """Pooled estimate as studies are added one by one, from :func:`kmeta.cumulative`
    (same method, test and level as ``result``).

    Parameters
    ----------
    result : MetaResult
    order : array_like, optional
        One sort key per study (e.g. publication years; ties keep the given order), as
        metafor's ``cumul``. Default: the order of the data.

    Columns: ``study`` (the one added), ``k``, ``estimate``, ``ci_low``, ``ci_high``,
    ``pval``, ``tau2``, ``i2``.
    """
    from ..sensitivity import cumulative

    _check_meta(result)
    return _as_plot_table(cumulative(result, order=order).table)


def _as_table(obj) -> pd.DataFrame:
    """Accept a DataFrame, an object with table()/to_frame(), or one with array fields."""
    if isinstance(obj, pd.DataFrame):
        df = obj.copy()
    elif hasattr(obj, "table") and callable(obj.table):
        df = obj.table()
    elif all(hasattr(obj, f) for f in ("estimate", "ci_low", "ci_high")) and np.ndim(obj.estimate) == 1:
        df = pd.DataFrame({f: np.asarray(getattr(obj, f)) for f in ("estimate", "ci_low", "ci_high", "tau2", "i2")
                           if hasattr(obj, f) and np.ndim(getattr(obj, f)) == 1})
        labels = getattr(obj, "labels", None)
        if labels is not None:
            df["study"] = list(labels)
    else:
        raise ValueError("table: expected a DataFrame with columns study, estimate, ci_low, ci_high")
    for alias in ("label", "omitted", "added"):
        if "study" not in df.columns and alias in df.columns:
            df = df.rename(columns={alias: "study"})
    missing = [c for c in ("estimate", "ci_low", "ci_high") if c not in df.columns]
    if missing:
        raise ValueError(f"table: missing column(s) {missing}")
    if "study" not in df.columns:
        df["study"] = [f"Study {i + 1}" for i in range(len(df))]
    return df.reset_index(drop=True)


def _sens_forest(table, result, *, kind, measure, transf, inverse, refline, favours, digits, xlim, symmetric,
                 title, plot_width, row_height, effect_label, xlabel):
    scale = _scale.resolve(measure, transf, inverse, refline)
    level = float(getattr(result, "level", 0.95)) if result is not None else 0.95
    pct = f"{100 * level:g}% CI"
    m_up = measure.upper() if isinstance(measure, str) else None
    eff = effect_label or _scale.MEASURE_NAMES.get(m_up, "Estimate")
    show_tau = "tau2" in table.columns and result is not None and getattr(result, "method", "FE") != "FE"
    show_i2 = "i2" in table.columns
    first = "Study omitted" if kind == "loo" else "Study added"
    cols = [Col("label", first, "left", gap=0.0)]
    if show_tau:
        cols.append(Col("tau2", "\u03c4\u00b2", "right", gap=0.2))
    if show_i2:
        cols.append(Col("i2", "I\u00b2", "right", gap=0.2))
    cols += [Col("est", "", "right", group=eff, gap=0.2), Col("ci", "", "left", group=eff, gap=0.06)]
    model = _model_line(result, level) if result is not None else pct
    rows, core = [], []
    prefix = "" if kind == "loo" else "+ "
    for _, r in table.iterrows():
        cells = {"label": prefix + str(r["study"]), "est": scale.fmt(r["estimate"], digits),
                 "ci": f"[{scale.fmt(r['ci_low'], digits)}, {scale.fmt(r['ci_high'], digits)}]"}
        if show_tau:
            cells["tau2"] = style.fmt_num(r["tau2"], digits)
        if show_i2:
            cells["i2"] = f"{r['i2']:.1f}%"
        rows.append(Row("point", cells, glyph=("point", r["estimate"], r["ci_low"], r["ci_high"])))
        core += [r["estimate"], r["ci_low"], r["ci_high"]]
    summary = None
    if result is not None and kind == "loo":
        rows.append(Row("blank"))
        cells = {"label": "All studies", "est": scale.fmt(result.estimate, digits),
                 "ci": f"[{scale.fmt(result.ci_low, digits)}, {scale.fmt(result.ci_high, digits)}]"}
        if show_tau:
            cells["tau2"] = style.fmt_num(result.tau2, digits)
        if show_i2:
            cells["i2"] = f"{result.i2:.1f}%"
        rows.append(Row("summary", cells, glyph=("diamond", result.estimate, result.ci_low, result.ci_high,
                                                 "summary"), bold=True))
        core += [result.ci_low, result.estimate, result.ci_high]
    if result is not None:
        summary = float(result.estimate)
    (lo, hi), ticks, labels = _scale.limits_and_ticks(scale, core, [], xlim=xlim, symmetric=symmetric)
    axis = Axis(xlim=(lo, hi), ticks=ticks, ticklabels=labels, ref=scale.null,
                favours=tuple(favours) if favours else None, xlabel=xlabel, header=(eff, model),
                summary_line=summary)
    note = None
    if result is not None:
        what = "without the study in that row" if kind == "loo" else "of the studies up to that row"
        note = f"Each row: pooled estimate {what} ({model}); dotted line: all studies."
    fig, _, _ = _table.draw(rows, cols, axis, group_subheaders={eff: model}, note=note,
                            plot_width=plot_width, row_height=row_height, title=title)
    return fig, scale, eff


@style.styled
def leave_one_out_forest(result, *, table=None, measure=None, transf=None, inverse=None, refline="auto",
                         favours=None, digits=2, xlim=None, symmetric=True, effect_label=None, xlabel=None,
                         title=None, plot_width=2.6, row_height=0.2):
    """Forest plot of the leave-one-out analysis of a :func:`kmeta.meta` result.

    Parameters
    ----------
    result : MetaResult
        The full analysis (its diamond is the bottom row). At least two studies.
    table : DataFrame or result, optional
        Leave-one-out results computed elsewhere (columns ``study``, ``estimate``,
        ``ci_low``, ``ci_high``, optionally ``tau2``, ``i2``); computed with
        :func:`leave_one_out_table` when not given.
    measure, transf, inverse, refline, favours, digits, xlim, symmetric, effect_label, xlabel, title, plot_width, row_height
        As in :func:`~kmeta.plots.forest.forest`.

    Returns
    -------
    matplotlib.figure.Figure
        Pooled estimates are the PathCollection with gid ``kmeta-points`` (one per
        row), their intervals the LineCollection ``kmeta-ci``.
    """
    t = _as_table(table) if table is not None else leave_one_out_table(result)
    fig, scale, eff = _sens_forest(t, result, kind="loo", measure=measure, transf=transf, inverse=inverse,
                                   refline=refline, favours=favours, digits=digits, xlim=xlim, symmetric=symmetric,
                                   title=title, plot_width=plot_width, row_height=row_height,
                                   effect_label=effect_label, xlabel=xlabel)
    i_min, i_max = int(np.argmin(t["estimate"])), int(np.argmax(t["estimate"]))
    alt = (f"Leave-one-out forest plot: the pooled {eff.lower()} without each of the {len(t)} studies in turn, "
           f"from {scale.fmt(t['estimate'][i_min], digits)} (without {t['study'][i_min]}) to "
           f"{scale.fmt(t['estimate'][i_max], digits)} (without {t['study'][i_max]}); "
           f"all studies: {scale.fmt(result.estimate, digits)}.")
    return style.finish(fig, alt)


@style.styled
def cumulative_forest(result, order=None, *, table=None, measure=None, transf=None, inverse=None, refline="auto",
                      favours=None, digits=2, xlim=None, symmetric=True, effect_label=None, xlabel=None,
                      title=None, plot_width=2.6, row_height=0.2):
    """Forest plot of a cumulative meta-analysis of a :func:`kmeta.meta` result.

    Parameters
    ----------
    result : MetaResult
        The full analysis (the last row equals it).
    order : array_like, optional
        Order of adding studies: a permutation of ``0..k-1`` or one sort key per study
        (e.g. years). Default: as given.
    table : DataFrame or result, optional
        Cumulative results computed elsewhere (see :func:`leave_one_out_forest`).
    measure, transf, inverse, refline, favours, digits, xlim, symmetric, effect_label, xlabel, title, plot_width, row_height
        As in :func:`~kmeta.plots.forest.forest`.

    Returns
    -------
    matplotlib.figure.Figure
        Pooled estimates are the PathCollection with gid ``kmeta-points`` (one per
        row), their intervals the LineCollection ``kmeta-ci``.
    """
    t = _as_table(table) if table is not None else cumulative_table(result, order)
    fig, scale, eff = _sens_forest(t, result, kind="cumulative", measure=measure, transf=transf, inverse=inverse,
                                   refline=refline, favours=favours, digits=digits, xlim=xlim, symmetric=symmetric,
                                   title=title, plot_width=plot_width, row_height=row_height,
                                   effect_label=effect_label, xlabel=xlabel)
    alt = (f"Cumulative forest plot: the pooled {eff.lower()} as {len(t)} studies are added one by one, "
           f"from {scale.fmt(t['estimate'].iloc[0], digits)} with {t['study'].iloc[0]} alone to "
           f"{scale.fmt(t['estimate'].iloc[-1], digits)} with all of them.")
    return style.finish(fig, alt)

