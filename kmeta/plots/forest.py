"""Forest plots in the RevMan layout, from a pooled result, a subgroup analysis or bare arrays.

Layout (left to right): study label, optional per-arm columns (mean, SD, total, or
events, total), weight (%), the estimate with its confidence interval as text, and
the plot panel (squares with area proportional to the weight, study intervals,
diamonds for pooled estimates, a bar for the prediction interval, the line of no
effect). Under the pooled row: the heterogeneity line (τ², Q, df, p, I²) and the
test for the overall effect; under the axis, "favours" labels.

Ratio measures (``measure="RR"``, ``"OR"``, ``"HR"`` ..., or ``transf=np.exp``) are
drawn on the log scale, where the intervals are computed, with tick labels and text
back-transformed (0.1, 0.5, 1, 2, 10).

The text lines are made by :func:`heterogeneity_text`, :func:`overall_test_text` and
:func:`subgroup_test_text`; use the same functions (or the result's fields) when you
glue numbers into prose, so figure and text agree.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special

from . import _scale, _table, style
from ._table import Axis, Col, Row
from .style import SMALL_SIZE, fmt_num

__all__ = ["forest", "heterogeneity_text", "overall_test_text", "subgroup_test_text", "format_p"]


# --------------------------------------------------------------------------- text lines


def format_p(p: float) -> str:
    """``"p = 0.0341"`` or ``"p < 0.0001"`` (four decimals, as metafor prints p)."""
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 1e-4:
        return "p < 0.0001"
    return f"p = {p:.4f}"


def _fmt_tau2(tau2: float, digits: int) -> str:
    if 0 < tau2 < 0.5 * 10.0 ** (-digits):
        return f"{tau2:.2g}"
    return fmt_num(tau2, digits)


def _is_random(res) -> bool:
    return getattr(res, "method", "FE") not in ("FE", "MH", "Peto") and hasattr(res, "tau2")


def heterogeneity_text(result, digits: int = 2) -> str:
    """The heterogeneity line of a forest plot, from a pooled result.

    Random-effects: ``"Heterogeneity: τ² = 0.19; Q = 9.71, df = 5 (p = 0.0839); I² = 48.5%"``;
    common-effect (and Mantel–Haenszel, Peto): the same without τ².
    τ² has ``digits`` decimals (two significant digits when smaller), Q two decimals,
    I² one decimal, p four decimals (:func:`format_p`).
    """
    if result.q_df < 1:
        return "Heterogeneity: not applicable"
    parts = []
    if _is_random(result):
        parts.append(f"\u03c4\u00b2 = {_fmt_tau2(result.tau2, digits)}; ")
    parts.append(f"Q = {fmt_num(result.q, 2)}, df = {result.q_df} ({format_p(result.q_pval)}); ")
    parts.append(f"I\u00b2 = {fmt_num(result.i2, 1)}%")
    return "Heterogeneity: " + "".join(parts)


def overall_test_text(result) -> str:
    """``"Test for overall effect: z = −6.85 (p < 0.0001)"`` (``t = ..., df = ...`` for t tests)."""
    df = getattr(result, "df", np.nan)
    if df is not None and np.isfinite(df):
        return f"Test for overall effect: t = {fmt_num(result.stat, 2)}, df = {df:g} ({format_p(result.pval)})"
    return f"Test for overall effect: z = {fmt_num(result.stat, 2)} ({format_p(result.pval)})"


def subgroup_test_text(q: float, df: int, p: float, df_den: float | None = None) -> str:
    """``"Test for subgroup differences: Q = 2.45, df = 1 (p = 0.1176); I² = 59.2%"``.

    I² of the subgroup differences is max(0, (Q − df)/Q), as RevMan prints it. With a
    denominator df (an F test, from a t-based common-τ² analysis) the line reads
    ``"F = 1.20, df = 1, 4 (p = 0.3350)"`` and has no I².
    """
    if df_den is not None and np.isfinite(df_den):
        return (f"Test for subgroup differences: F = {fmt_num(q, 2)}, df = {int(df)}, {df_den:g} "
                f"({format_p(p)})")
    i2 = max(0.0, 100.0 * (q - df) / q) if q > 0 else 0.0
    return (
        f"Test for subgroup differences: Q = {fmt_num(q, 2)}, df = {int(df)} ({format_p(p)}); "
        f"I\u00b2 = {fmt_num(i2, 1)}%"
    )


# --------------------------------------------------------------------------- inputs


def _model_line(res, level) -> str:
    pct = f"{100 * level:g}% CI"
    if res is None:
        return pct
    method = getattr(res, "method", None)
    if method == "MH":
        return f"M-H, Fixed, {pct}"
    if method == "Peto":
        return f"Peto, Fixed, {pct}"
    if method == "FE":
        return f"IV, Fixed, {pct}"
    test = getattr(res, "test", "z")
    extra = {"knha": ", HKSJ", "adhoc": ", HKSJ ad hoc", "t": ", t"}.get(test, "")
    return f"IV, Random ({method}{extra}), {pct}"


def _labels(res_or_labels, k, start=1):
    labels = res_or_labels
    if labels is None:
        return [f"Study {i + start}" for i in range(k)]
    return [str(s) for s in labels]


def _arm_frame(arms, n_rows, labels):
    """Arms as a DataFrame aligned with the displayed study rows."""
    if arms is None:
        return None
    df = pd.DataFrame(arms)
    if "study" in df.columns:
        df = df.set_index("study")
    if not isinstance(df.index, pd.RangeIndex) and df.index.is_unique and set(labels) <= set(map(str, df.index)):
        df.index = df.index.map(str)
        return df.loc[list(labels)].reset_index(drop=True)
    if len(df) != n_rows:
        raise ValueError(
            f"arms: has {len(df)} rows for {n_rows} studies; give one row per study in plot order "
            "(or a 'study' column / index with the study labels)"
        )
    return df.reset_index(drop=True)


_MEAN_COLS = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_EVENT_COLS = ("e1", "n1", "e2", "n2")
_ARM_HEAD = {"m": "Mean", "sd": "SD", "n": "Total", "e": "Events"}


def _arm_columns(df, arm_labels):
    """Column specs for the arms and whether totals/events rows apply."""
    cols = set(df.columns)
    if set(_MEAN_COLS) <= cols:
        keys, kind = _MEAN_COLS, "means"
    elif set(_EVENT_COLS) <= cols:
        keys, kind = _EVENT_COLS, "events"
    else:
        return [Col(f"arm:{c}", str(c), "right") for c in df.columns], [f"arm:{c}" for c in df.columns], None
    specs = []
    for key in keys:
        arm = int(key[-1])
        specs.append(Col(f"arm:{key}", _ARM_HEAD[key[:-1]], "right", group=arm_labels[arm - 1]))
    return specs, [f"arm:{k}" for k in keys], kind


def _decimals(values, max_digits: int) -> int:
    """Fewest decimals (up to max_digits) that show every numeric value of a column."""
    need = 0
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(f):
            continue
        for d in range(max_digits + 1):
            if abs(round(f, d) - round(f, max_digits)) < 1e-9:
                need = max(need, d)
                break
    return need


def _format_arms(df, max_digits: int = 2) -> pd.DataFrame:
    """Arm columns as text, each column with one number of decimals."""
    out = {}
    for c in df.columns:
        d = _decimals(df[c].tolist(), max_digits)
        out[c] = [_cell(v, d) for v in df[c].tolist()]
    return pd.DataFrame(out, index=df.index)


def _cell(v, digits) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not np.isfinite(f):
        return fmt_num(f)
    if digits == 0 and abs(f) < 1e15:
        return fmt_num(f, 0)
    return fmt_num(f, digits)


# --------------------------------------------------------------------------- rows


def _study_rows(yi, vi, labels, weights, level, scale, digits, arms_df, arm_keys, start, indent, show_weight):
    z = float(special.ndtri(0.5 + level / 2.0))
    rows, core, extent = [], [], []
    w_rel = np.asarray(weights, dtype=float) if weights is not None else None
    for i in range(len(yi)):
        y, v = float(yi[i]), float(vi[i])
        cells = {"label": labels[i]}
        if arms_df is not None:
            for key in arm_keys:
                cells[key] = arms_df.iloc[start + i][key[4:]]
        if show_weight and weights is not None and np.isfinite(weights[i]):
            cells["weight"] = f"{weights[i]:.1f}%"
        if not np.isfinite(y) or not np.isfinite(v) and not np.isinf(v):
            cells["ci"] = "Not estimable"
            rows.append(Row("study", cells, indent=indent))
            continue
        se = np.sqrt(v)
        with np.errstate(invalid="ignore"):
            lo, hi = y - z * se, y + z * se
        cells["est"] = scale.fmt(y, digits)
        cells["ci"] = f"[{scale.fmt(lo, digits)}, {scale.fmt(hi, digits)}]"
        rel = w_rel[i] if w_rel is not None else np.nan
        rows.append(Row("study", cells, glyph=("square", y, lo, hi, rel), indent=indent))
        core.append(y)
        extent += [lo, hi]
    return rows, core, extent


def _summary_row(res, label, scale, digits, arms_df, kind, start, stop, weight_text, role, indent, bold=True):
    cells = {"label": label, "est": scale.fmt(res.estimate, digits),
             "ci": f"[{scale.fmt(res.ci_low, digits)}, {scale.fmt(res.ci_high, digits)}]"}
    if weight_text:
        cells["weight"] = weight_text
    if arms_df is not None and kind in ("means", "events"):
        part = arms_df.iloc[start:stop]
        cells["arm:n1"] = _cell(pd.to_numeric(part["n1"], errors="coerce").sum(), 0)
        cells["arm:n2"] = _cell(pd.to_numeric(part["n2"], errors="coerce").sum(), 0)
    return Row(role, cells, glyph=("diamond", res.estimate, res.ci_low, res.ci_high,
                                   "summary" if role == "summary" else "subgroup"), bold=bold, indent=indent)


def _events_row(arms_df, start, stop, indent):
    part = arms_df.iloc[start:stop]
    cells = {"label": "Total events",
             "arm:e1": _cell(pd.to_numeric(part["e1"], errors="coerce").sum(), 0),
             "arm:e2": _cell(pd.to_numeric(part["e2"], errors="coerce").sum(), 0)}
    return Row("events", cells, indent=indent)


def _pi_row(res, scale, digits, indent):
    lo, hi = getattr(res, "pi_low", np.nan), getattr(res, "pi_high", np.nan)
    cells = {"label": "Prediction interval", "ci": f"[{scale.fmt(lo, digits)}, {scale.fmt(hi, digits)}]"}
    return Row("prediction", cells, glyph=("prediction", lo, hi), italic=True, indent=indent)


def _has_pi(res) -> bool:
    return bool(np.isfinite(getattr(res, "pi_low", np.nan)) and np.isfinite(getattr(res, "pi_high", np.nan)))


def _subgroup_parts(result, overall, q_between, df_between, p_between):
    """Normalise the subgroup inputs to (groups dict, overall, (q, df, p) or None)."""
    den = None
    if isinstance(result, Mapping):
        groups = dict(result)
    else:
        groups = dict(result.groups)
        overall = overall if overall is not None else getattr(result, "overall", None)
        if q_between is None:
            q_between = getattr(result, "q_between", None)
            df_between = getattr(result, "df_between", None)
            p_between = getattr(result, "p_between", None)
            if getattr(result, "between_test", "chi2") == "F":
                den = getattr(result, "df_between_den", None)
    test = None
    if q_between is not None:
        if df_between is None or p_between is None:
            raise ValueError("q_between: give df_between and p_between with it")
        test = (float(q_between), int(df_between), float(p_between), den)
    return groups, overall, test


def _overall_weights(groups, overall, membership=None):
    """Each group's study weights in the overall analysis; None if they cannot be matched.

    With ``membership`` (the group of each study of ``overall``, in its order, as
    ``kmeta.subgroups.SubgroupResult`` has it) the match is by position; otherwise
    by unique labels.
    """
    if overall is None:
        return None
    if membership is not None:
        mem = list(membership)
        if len(mem) == len(overall.weights):
            out = {}
            for name, g in groups.items():
                idx = [i for i, m in enumerate(mem) if m == name]
                if len(idx) != g.k:
                    return None
                out[name] = np.asarray(overall.weights, float)[idx]
            if sum(len(v) for v in out.values()) == len(mem):
                return out
    if getattr(overall, "labels", None) is None:
        return None
    olabels = list(overall.labels)
    if len(set(olabels)) != len(olabels):
        return None
    pos = {lab: i for i, lab in enumerate(olabels)}
    out = {}
    for name, g in groups.items():
        if g.labels is None or any(lab not in pos for lab in g.labels):
            return None
        out[name] = np.array([overall.weights[pos[lab]] for lab in g.labels], dtype=float)
    if sum(len(v) for v in out.values()) != len(olabels):
        return None
    return out


# --------------------------------------------------------------------------- forest


@style.styled
def forest(
    result=None,
    *,
    yi=None,
    vi=None,
    sei=None,
    labels=None,
    weights=None,
    measure=None,
    transf=None,
    inverse=None,
    refline="auto",
    arms=None,
    arm_labels=("Treatment", "Control"),
    favours=None,
    effect_label=None,
    summary_label=None,
    prediction=None,
    show_weights=True,
    heterogeneity=True,
    overall=None,
    q_between=None,
    df_between=None,
    p_between=None,
    level=None,
    xlim=None,
    symmetric=True,
    xlabel=None,
    title=None,
    digits=2,
    plot_width=2.6,
    row_height=0.2,
):
    """Forest plot (RevMan layout) of a meta-analysis.

    Parameters
    ----------
    result : MetaResult, MHResult, PetoResult, dict or array_like, optional
        * a pooled result (anything with ``yi, vi, weights, estimate, ci_low, ci_high,
          q, q_df, q_pval, i2, stat, pval, level``; :func:`kmeta.meta`, :func:`kmeta.mh`,
          :func:`kmeta.peto`): study rows, the pooled diamond, heterogeneity and test lines;
        * a subgroup analysis (anything with ``.groups``, an ordered mapping name →
          pooled result, ``.overall`` and ``q_between, df_between, p_between``), or a
          ``dict`` name → pooled result with ``overall=`` and ``q_between=`` ... given
          explicitly: a block per subgroup (header, studies, subtotal diamond,
          heterogeneity and test lines), the overall diamond and the test for subgroup
          differences. Without an overall result, no overall diamond is drawn;
        * array_like: the effect sizes ``yi`` (same as ``yi=``), with ``vi=`` or ``sei=``:
          study rows only, no pooling.
    yi, vi, sei, labels, weights : array_like, optional
        Bare data (instead of a result): effects, variances or standard errors, labels,
        and optional weights in percent (shown in the weight column and used for the
        square sizes; without them squares are sized by 1/vi).
    measure : str, optional
        Effect measure: names the effect column and, for ratio measures (``"RR"``,
        ``"OR"``, ``"PETO"``, ``"HR"``, ``"IRR"``, ``"ROM"``), selects a log axis with
        ratios as labels. Taken from the result (``MHResult.measure``) when it has one.
    transf, inverse : callable, optional
        Back-transformation for labels and text (``np.exp`` for a log scale) and its
        inverse (used to place ticks at round displayed values).
    refline : float or None
        Line of no effect on the displayed scale (``1`` for ratios); ``None``: no line;
        the default ``"auto"`` uses 0 (1 for ratios).
    arms : DataFrame or dict, optional
        Per-arm columns, one row per study in plot order (or with a ``study`` column /
        index holding the labels). With columns ``m1, sd1, n1, m2, sd2, n2`` (means) or
        ``e1, n1, e2, n2`` (events) they are shown RevMan-style under ``arm_labels``
        and totalled in the pooled rows (plus a "Total events" row for events);
        other columns are shown as they are.
    arm_labels : (str, str)
        Names of arm 1 (treatment, ``*1`` columns) and arm 2 (control).
    favours : (str, str), optional
        Labels under the axis, left and right of the line of no effect, e.g.
        ``("Favours ketamine", "Favours placebo")`` for pain scores.
    effect_label : str, optional
        Header of the effect column (default from ``measure``, e.g. "Mean difference").
    summary_label : str, optional
        Label of the pooled row (default "Total (95% CI)").
    prediction : bool, optional
        Show the prediction interval as a bar under the pooled diamond; default: when
        the result has one (random effects, k ≥ 3).
    show_weights, heterogeneity : bool
        Show the weight column; show the heterogeneity and overall-effect lines.
    overall, q_between, df_between, p_between : optional
        Subgroup pieces given explicitly (see ``result``).
    level : float, optional
        Confidence level of the study intervals (default: the result's, else 0.95).
    xlim : (float, float), optional
        Axis limits on the displayed scale (e.g. ``(0.1, 10)`` for ratios). By default
        the axis is symmetric about the line of no effect (``symmetric=False``: fitted
        to the data) and wide enough for all estimates and pooled intervals; study
        intervals reaching further are clipped and end in an arrow.
    xlabel, title : str, optional
        Axis label under the favours labels; title above the table.
    digits : int
        Decimals of estimates and intervals in the text columns.
    plot_width, row_height : float
        Plot-panel width and row height in inches (the figure grows with the rows).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` holds the table text, ``fig.axes[1]`` the plot panel.
        ``fig.kmeta_alt`` is a short description for alt text.

    Examples
    --------
    >>> import kmeta
    >>> res = kmeta.meta([-1.2, -2.5, -0.8], [0.20, 0.35, 0.15], method="DL",
    ...                  labels=["A 2001", "B 2005", "C 2010"])
    >>> fig = forest(res, favours=("Favours ketamine", "Favours placebo"))
    >>> len(fig.axes)
    2
    """
    # ---- normalise the input
    if result is not None and not hasattr(result, "estimate") and not hasattr(result, "groups") \
            and not isinstance(result, Mapping):
        if yi is not None:
            raise ValueError("yi: given twice (as result and as yi=)")
        yi, result = result, None
    subgroup = result is not None and (hasattr(result, "groups") or isinstance(result, Mapping))
    if result is None and yi is None:
        raise ValueError("result: give a pooled result, a subgroup result, or yi with vi/sei")

    if subgroup:
        groups, overall, between = _subgroup_parts(result, overall, q_between, df_between, p_between)
        if not groups:
            raise ValueError("result: the subgroup analysis has no groups")
        first = next(iter(groups.values()))
        ref_res = overall if overall is not None else first
    else:
        ref_res = result

    if measure is None and ref_res is not None:
        measure = getattr(ref_res, "measure", None)
        if measure == "OR" and getattr(ref_res, "method", None) == "Peto":
            measure = "PETO"
    scale = _scale.resolve(measure, transf, inverse, refline)
    if level is None:
        level = getattr(ref_res, "level", 0.95) if ref_res is not None else 0.95
    level = float(level) / 100.0 if level > 1 else float(level)
    m_up = measure.upper() if isinstance(measure, str) else None
    eff_name = effect_label or _scale.MEASURE_NAMES.get(m_up, "Estimate")
    model_line = _model_line(ref_res, level)
    pct = f"{100 * level:g}% CI"

    # ---- study data in plot order
    if subgroup:
        blocks = [(name, g) for name, g in groups.items()]
        all_labels = []
        for name, g in blocks:
            all_labels += _labels(g.labels, g.k, start=len(all_labels) + 1)
        n_study = len(all_labels)
    else:
        if result is None:
            yi_arr = np.asarray(yi, dtype=float).ravel()
            if (vi is None) == (sei is None):
                raise ValueError("vi: give exactly one of vi or sei with bare effect sizes")
            vi_arr = np.asarray(vi, dtype=float).ravel() if vi is not None else np.asarray(sei, dtype=float).ravel() ** 2
            if vi_arr.shape != yi_arr.shape:
                raise ValueError(f"vi: has {vi_arr.size} values for {yi_arr.size} studies")
            if yi_arr.size == 0:
                raise ValueError("yi: no studies to plot")
            if np.any(vi_arr <= 0):
                raise ValueError("vi: sampling variances must be > 0")
            lab = _labels(labels, yi_arr.size)
            if len(lab) != yi_arr.size:
                raise ValueError(f"labels: got {len(lab)} labels for {yi_arr.size} studies")
            w = None if weights is None else np.asarray(weights, dtype=float).ravel()
        else:
            yi_arr, vi_arr = np.asarray(result.yi, float), np.asarray(result.vi, float)
            lab = _labels(labels if labels is not None else result.labels, yi_arr.size)
            w = np.asarray(result.weights, dtype=float)
        all_labels = lab
        n_study = len(lab)

    arms_df = _arm_frame(arms, n_study, all_labels)
    arms_txt = None
    if arms_df is not None:
        arm_specs, arm_keys, arm_kind = _arm_columns(arms_df, arm_labels)
        arms_txt = _format_arms(arms_df)
    else:
        arm_specs, arm_keys, arm_kind = [], [], None

    has_weights = show_weights and (subgroup or w is not None)
    cols = [Col("label", "Study", "left", gap=0.0)] + arm_specs
    if has_weights:
        cols.append(Col("weight", "Weight", "right", gap=0.2 if arm_specs else 0.15))
    cols += [Col("est", "", "right", group=eff_name, gap=0.2), Col("ci", "", "left", group=eff_name, gap=0.06)]
    group_sub = {eff_name: model_line}

    rows, core, extent, footer = [], [], [], []
    if summary_label is None:
        summary_label = f"Total ({pct})"

    if not subgroup:
        if w is not None and np.any(np.isfinite(w)) and np.nanmax(w) > 0:
            rel = w / np.nanmax(w)
        else:
            with np.errstate(divide="ignore"):
                prec = 1.0 / vi_arr
            finite = np.isfinite(prec) & (prec > 0)
            rel = np.where(finite, prec / prec[finite].max(), np.nan) if finite.any() else np.full(n_study, np.nan)
        srows, core, extent = _study_rows(
            yi_arr, vi_arr, lab, w if has_weights else None, level, scale, digits, arms_txt, arm_keys, 0, 0.0, has_weights,
        )
        for r, rr in zip(srows, rel):
            if r.glyph is not None:
                r.glyph = r.glyph[:4] + (rr,)
        rows += srows
        if result is not None:
            rows.append(Row("blank"))
            wt = f"{np.nansum(w):.1f}%" if has_weights else ""
            rows.append(_summary_row(result, summary_label, scale, digits, arms_df, arm_kind, 0, n_study, wt, "summary", 0.0))
            core += [result.ci_low, result.estimate, result.ci_high]
            show_pi = _has_pi(result) if prediction is None else bool(prediction)
            if show_pi and _has_pi(result):
                rows.append(_pi_row(result, scale, digits, 0.0))
                core += [result.pi_low, result.pi_high]
            if arm_kind == "events":
                rows.append(_events_row(arms_df, 0, n_study, 0.0))
            if heterogeneity:
                footer = [heterogeneity_text(result), overall_test_text(result)]
    else:
        ow = _overall_weights(groups, overall, getattr(result, "membership", None))
        all_w = np.concatenate([ow[n] if ow is not None else np.asarray(g.weights, float) for n, g in blocks])
        wmax = np.nanmax(all_w) if np.any(np.isfinite(all_w)) else np.nan
        start = 0
        indent = 0.12
        for name, g in blocks:
            gw = ow[name] if ow is not None else np.asarray(g.weights, dtype=float)
            rows.append(Row("header", {"label": str(name)}, bold=True))
            glab = all_labels[start:start + g.k]
            srows, c, e = _study_rows(
                np.asarray(g.yi, float), np.asarray(g.vi, float), glab, gw if has_weights else None, level,
                scale, digits, arms_txt, arm_keys, start, indent, has_weights,
            )
            for r, wi in zip(srows, gw):
                if r.glyph is not None:
                    r.glyph = r.glyph[:4] + (wi / wmax if np.isfinite(wmax) and wmax > 0 else np.nan,)
            rows += srows
            core += c
            extent += e
            wt = f"{np.nansum(gw):.1f}%" if (has_weights and ow is not None) else ""
            rows.append(_summary_row(g, f"Subtotal ({pct})", scale, digits, arms_df, arm_kind, start, start + g.k,
                                     wt, "subtotal", indent))
            core += [g.ci_low, g.estimate, g.ci_high]
            if arm_kind == "events":
                rows.append(_events_row(arms_df, start, start + g.k, indent))
            if heterogeneity:
                rows.append(Row("text", span=heterogeneity_text(g), size=SMALL_SIZE, indent=indent))
                rows.append(Row("text", span=overall_test_text(g), size=SMALL_SIZE, indent=indent))
            rows.append(Row("blank"))
            start += g.k
        if overall is not None:
            wt = f"{np.nansum(overall.weights):.1f}%" if (has_weights and ow is not None) else ""
            rows.append(_summary_row(overall, summary_label, scale, digits, arms_df, arm_kind, 0, n_study, wt,
                                     "summary", 0.0))
            core += [overall.ci_low, overall.estimate, overall.ci_high]
            show_pi = _has_pi(overall) if prediction is None else bool(prediction)
            if show_pi and _has_pi(overall):
                rows.append(_pi_row(overall, scale, digits, 0.0))
                core += [overall.pi_low, overall.pi_high]
            if arm_kind == "events":
                rows.append(_events_row(arms_df, 0, n_study, 0.0))
            if heterogeneity:
                footer = [heterogeneity_text(overall), overall_test_text(overall)]
        elif rows and rows[-1].kind == "blank":
            rows.pop()
        if between is not None:
            footer.append(subgroup_test_text(*between))

    if not has_weights:
        for r in rows:
            r.cells.pop("weight", None)

    (lo, hi), ticks, ticklabels = _scale.limits_and_ticks(scale, core, extent, xlim=xlim, symmetric=symmetric)
    axis = Axis(
        xlim=(lo, hi), ticks=ticks, ticklabels=ticklabels, ref=scale.null,
        favours=tuple(favours) if favours else None, xlabel=xlabel, header=(eff_name, model_line),
    )
    fig, tax, pax = _table.draw(
        rows, cols, axis, group_subheaders=group_sub, footer=footer,
        plot_width=plot_width, row_height=row_height, title=title,
    )

    # ---- alt text (every number in it is computed here)
    if subgroup:
        alt = (f"Forest plot of {n_study} studies in {len(groups)} subgroups ({', '.join(map(str, groups))}), "
               f"{eff_name.lower()} with {pct}s")
        if overall is not None:
            alt += (f"; overall {eff_name.lower()} {scale.fmt(overall.estimate, digits)} "
                    f"({pct} {scale.fmt(overall.ci_low, digits)} to {scale.fmt(overall.ci_high, digits)})")
    else:
        alt = f"Forest plot of {n_study} {'study' if n_study == 1 else 'studies'}, {eff_name.lower()} with {pct}s"
        if result is not None:
            alt += (f"; pooled {eff_name.lower()} {scale.fmt(result.estimate, digits)} "
                    f"({pct} {scale.fmt(result.ci_low, digits)} to {scale.fmt(result.ci_high, digits)})")
    if favours:
        alt += f"; left of the line: {favours[0].lower()}, right: {favours[1].lower()}"
    return style.finish(fig, alt + ".")
