"""Risk-of-bias figures (Cochrane RoB 1): the traffic-light grid and the summary bars.

Input is a table of judgements, long (one row per study and domain, with columns
``study``, ``domain``, ``judgement`` and optionally ``domain_printed``, as
``kmeta.reviews.orhurhu2019.risk_of_bias()`` returns it) or wide (studies as the
index, domains as columns, as ``risk_of_bias(wide=True)``).

Judgements are ``"low"``, ``"unclear"`` or ``"high"`` (also accepted: ``"+"``, ``"?"``,
``"-"``, ``"low risk"``, ``"some concerns"`` ...). A missing judgement is drawn as an
empty cell. Every judgement is shown by colour *and* symbol (+, ?, −) so the figures
read in greyscale; the summary bars add hatching.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from . import style
from ._table import text_width, wrap
from .style import COLORS, FONT_SIZE, ROB_LABELS, ROB_SYMBOLS, SMALL_SIZE

__all__ = ["rob_traffic_light", "rob_summary", "ROB1_DOMAINS", "rob_frame"]

#: Printed names of the Cochrane RoB 1 domains, by the domain keys of kmeta's review data.
ROB1_DOMAINS: dict[str, str] = {
    "random_sequence": "Random sequence generation (selection bias)",
    "allocation_concealment": "Allocation concealment (selection bias)",
    "blinding_participants_personnel": "Blinding of participants and personnel (performance bias)",
    "blinding_outcome_assessment": "Blinding of outcome assessment (detection bias)",
    "incomplete_outcome_data": "Incomplete outcome data (attrition bias)",
    "selective_reporting": "Selective reporting (reporting bias)",
    "other_bias": "Other bias",
    "overall": "Overall risk of bias",
}

_ALIASES = {
    "low": "low", "+": "low", "low risk": "low", "l": "low",
    "unclear": "unclear", "?": "unclear", "unclear risk": "unclear", "some concerns": "unclear", "u": "unclear",
    "high": "high", "-": "high", "\u2212": "high", "high risk": "high", "h": "high",
}
_HATCH = {"low": "", "unclear": "....", "high": "////"}
_LEVELS = ("low", "unclear", "high")
_SYMBOL_COLOR = {"low": "white", "unclear": "black", "high": "white"}


def _judgement(v, study, domain):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return None
    key = str(v).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"judgement: study '{study}', domain '{domain}' has {v!r}; expected low, unclear or high")
    return _ALIASES[key]


def rob_frame(df, study_labels=None, domain_labels=None) -> tuple:
    """Normalise a long or wide risk-of-bias table.

    Returns ``(grid, domains, names)``: a DataFrame of judgements (``"low"``,
    ``"unclear"``, ``"high"`` or None; index: study labels in input order, columns:
    domain keys in input order with ``overall`` last), the domain keys, and their
    printed names.
    """
    df = pd.DataFrame(df)
    printed = {}
    if {"study", "domain", "judgement"} <= set(df.columns):
        studies = list(dict.fromkeys(df["study"].astype(str)))
        domains = list(dict.fromkeys(df["domain"].astype(str)))
        if "domain_printed" in df.columns:
            for d, p in zip(df["domain"].astype(str), df["domain_printed"]):
                if isinstance(p, str) and p and d not in printed:
                    printed[d] = p
        grid = pd.DataFrame(None, index=studies, columns=domains, dtype=object)
        for s, d, j in zip(df["study"].astype(str), df["domain"].astype(str), df["judgement"]):
            grid.loc[s, d] = _judgement(j, s, d)
    else:
        grid = pd.DataFrame(
            {c: [_judgement(v, s, c) for s, v in zip(df.index, df[c])] for c in df.columns},
            index=[str(s) for s in df.index], dtype=object,
        )
        domains = [str(c) for c in df.columns]
        grid.columns = domains
    if "overall" in domains:
        domains = [d for d in domains if d != "overall"] + ["overall"]
        grid = grid[domains]
    names = []
    for d in domains:
        if domain_labels is not None and d in domain_labels:
            names.append(str(domain_labels[d]))
        elif d in ROB1_DOMAINS and d not in printed:
            names.append(ROB1_DOMAINS[d])
        else:
            names.append(printed.get(d, d))
    if study_labels is not None:
        mapping = dict(study_labels)
        grid.index = [str(mapping.get(s, s)) for s in grid.index]
    if grid.empty:
        raise ValueError("df: no risk-of-bias judgements")
    return grid, domains, names


@style.styled
def rob_traffic_light(df, *, study_labels=None, domain_labels=None, title=None, cell=0.34):
    """Traffic-light grid: studies × domains (and the overall judgement).

    Parameters
    ----------
    df : DataFrame
        Long (``study``, ``domain``, ``judgement`` [, ``domain_printed``]) or wide
        (index: studies, columns: domains) judgements.
    study_labels : mapping, optional
        Display labels for study ids (e.g. ``trials()["label"]``).
    domain_labels : mapping, optional
        Printed names of domains for the key (default: ``domain_printed``, or the RoB 1
        names for kmeta's domain keys).
    title : str, optional
    cell : float
        Size of one cell in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Judgements: PathCollection with gid ``kmeta-rob-cells`` (one marker per judged
        cell; ``fig.kmeta_cells`` lists (study, domain, judgement) in drawing order);
        symbols: texts with gid ``kmeta-rob-symbol``.
    """
    grid, domains, names = rob_frame(df, study_labels, domain_labels)
    n_s, n_d = grid.shape
    has_overall = domains[-1] == "overall"
    short = [f"D{i + 1}" for i in range(n_d - has_overall)] + (["Overall"] if has_overall else [])
    xs = np.arange(n_d, dtype=float)
    if has_overall:
        xs[-1] += 0.5  # set the overall column apart

    label_w = max(text_width(s, FONT_SIZE) for s in grid.index) + 0.15
    grid_w = (xs[-1] + 1) * cell
    key = [f"{sh}: {nm}" for sh, nm in zip(short, names) if sh != "Overall"]
    key_w = max([text_width(s, SMALL_SIZE) for s in key] + [0.0])
    legend_w = 3 * 1.1
    margin = 0.1
    W = max(margin + label_w + grid_w + 0.3, margin + key_w + 0.2, legend_w + 0.3)
    head_h = 0.35
    title_h = 0.3 if title else 0.0
    key_line = 0.17
    bottom_h = 0.4 + len(key) * key_line + 0.08
    H = margin + title_h + head_h + n_s * cell + bottom_h

    fig = style.new_figure((W, H))
    ax = fig.add_axes((
        (margin + label_w) / W, (bottom_h) / H, grid_w / W, n_s * cell / H,
    ))
    ax.set_xlim(-0.5, xs[-1] + 0.5)
    ax.set_ylim(n_s - 0.5, -0.5)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0, labelsize=FONT_SIZE, pad=4)
    ax.xaxis.tick_top()
    ax.set_xticks(xs, short)
    for t, sh in zip(ax.get_xticklabels(), short):
        t.set_fontweight("bold")
    ax.set_yticks(np.arange(n_s), list(grid.index))
    # light cell grid
    for i in range(n_s + 1):
        ax.plot([-0.5, xs[-1] + 0.5], [i - 0.5, i - 0.5], color="#DDDDDD", lw=0.5, zorder=0)

    px, py, colors, cells = [], [], [], []
    for i, s in enumerate(grid.index):
        for j, d in enumerate(domains):
            jv = grid.iloc[i, j]
            if jv is None:
                continue
            px.append(xs[j])
            py.append(i)
            colors.append(COLORS[jv])
            cells.append((s, d, jv))
    diam = 0.78 * cell * 72.0
    ax.scatter(px, py, s=diam**2, c=colors, edgecolors=COLORS["text"], linewidths=0.6, zorder=2,
               gid="kmeta-rob-cells")
    for x, y, (_, _, jv) in zip(px, py, cells):
        ax.text(x, y, ROB_SYMBOLS[jv], ha="center", va="center_baseline", fontsize=FONT_SIZE + 2,
                fontweight="bold", color=_SYMBOL_COLOR[jv], zorder=3, gid="kmeta-rob-symbol", parse_math=False)
    if title:
        fig.text(margin / W, 1 - (margin + 0.15) / H, title, ha="left", va="center", fontsize=FONT_SIZE + 1.5,
                 fontweight="bold")

    # legend (colour + symbol + word) and the domain key
    handles = [Line2D([], [], ls="none", marker="o", markersize=9, markerfacecolor=COLORS[j],
                      markeredgecolor=COLORS["text"], label=f"{ROB_SYMBOLS[j]}  {ROB_LABELS[j]}") for j in _LEVELS]
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(margin / W, (len(key) * key_line + 0.06) / H),
               ncol=3, frameon=False, fontsize=SMALL_SIZE, handletextpad=0.3, columnspacing=1.2, borderaxespad=0)
    for i, s in enumerate(key):
        fig.text(margin / W, (0.06 + (len(key) - i - 0.5) * key_line) / H, s, ha="left", va="center",
                 fontsize=SMALL_SIZE, gid="kmeta-rob-key", parse_math=False)
    fig.kmeta_cells = cells

    alt = (f"Risk-of-bias traffic-light plot of {n_s} {'study' if n_s == 1 else 'studies'} across "
           f"{n_d - has_overall} domains, each judgement shown as a coloured circle with +, ? or − "
           f"(low, unclear, high risk)")
    if has_overall:
        ov = grid["overall"].tolist()
        alt += "; overall: " + ", ".join(f"{ov.count(j)} {j}" for j in _LEVELS)
    return style.finish(fig, alt + ".")


@style.styled
def rob_summary(df, *, weights=None, study_labels=None, domain_labels=None, show_percent=True, title=None,
                figsize=None):
    """Summary bars: the proportion of studies at low, unclear and high risk per domain.

    Parameters
    ----------
    df : DataFrame
        Long or wide judgements (see :func:`rob_traffic_light`).
    weights : mapping or Series, optional
        Weight of each study (keyed by study id, e.g. meta-analysis weights): the bars
        then show weighted proportions, as RevMan's weighted summary.
    study_labels, domain_labels : mapping, optional
        As in :func:`rob_traffic_light` (``weights`` are matched before relabelling).
    show_percent : bool
        Write the percentage in segments wide enough for it.
    title, figsize : optional

    Returns
    -------
    matplotlib.figure.Figure
        Bars: Rectangles with gid ``kmeta-rob-low``, ``kmeta-rob-unclear``,
        ``kmeta-rob-high`` (one per domain each; their widths are the percentages).
        ``fig.kmeta_percent`` is the DataFrame of percentages (domains × judgements).
    """
    grid, domains, names = rob_frame(df, None, domain_labels)
    if weights is not None:
        wmap = pd.Series(weights, dtype=float)
        missing = [s for s in grid.index if s not in wmap.index]
        if missing:
            raise ValueError(f"weights: no weight for study {missing[0]!r}")
        w = wmap.reindex(grid.index).to_numpy(float)
        if np.any(w < 0) or not np.any(w > 0):
            raise ValueError("weights: must be >= 0 and not all 0")
    else:
        w = np.ones(len(grid))
    pct = {}
    for d in domains:
        col = grid[d].tolist()
        judged = np.array([j is not None for j in col])
        tot = w[judged].sum()
        pct[d] = {j: (100.0 * w[np.array([c == j for c in col])].sum() / tot) if tot > 0 else 0.0 for j in _LEVELS}
    table = pd.DataFrame(pct).T.reindex(domains)
    table.index = names

    n_d = len(domains)
    shown = ["\n".join(wrap(nm, 3.6, FONT_SIZE)) for nm in names]  # long names on two lines
    label_w = max(text_width(nm, FONT_SIZE) for nm in shown)
    if figsize is None:
        figsize = (min(9.0, label_w + 3.4), 0.8 + 0.32 * n_d + 0.14 * sum(nm.count("\n") for nm in shown))
    fig = style.new_figure(figsize, layout="constrained")
    ax = fig.add_subplot()
    ys = np.arange(n_d)[::-1].astype(float)
    left = np.zeros(n_d)
    for j in _LEVELS:
        vals = table[j].to_numpy(float)
        bars = ax.barh(ys, vals, left=left, height=0.7, color=COLORS[j], edgecolor=COLORS["text"], linewidth=0.5,
                       hatch=_HATCH[j], label=f"{ROB_SYMBOLS[j]}  {ROB_LABELS[j]}")
        for b in bars:
            b.set_gid(f"kmeta-rob-{j}")
        if show_percent:
            for y, l, v in zip(ys, left, vals):
                if v >= 12:
                    ax.text(l + v / 2, y, f"{v:.0f}%", ha="center", va="center", fontsize=SMALL_SIZE,
                            color=_SYMBOL_COLOR[j], fontweight="bold", gid="kmeta-rob-percent",
                            bbox=dict(boxstyle="round,pad=0.15", facecolor=COLORS[j], edgecolor="none"))
        left += vals
    ax.set_yticks(ys, shown)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Percentage of studies" + (" (weighted)" if weights is not None else ""))
    fig.legend(loc="outside lower center", ncol=3, fontsize=SMALL_SIZE)
    if title:
        ax.set_title(title, loc="left")
    fig.kmeta_percent = table

    alt = (f"Risk-of-bias summary: for each of {n_d} domains, the {'weighted ' if weights is not None else ''}"
           f"percentage of {len(grid)} studies at low, unclear and high risk")
    if "overall" in domains:
        row = table.iloc[-1]
        alt += f"; overall {row['low']:.0f}% low, {row['unclear']:.0f}% unclear, {row['high']:.0f}% high"
    return style.finish(fig, alt + ".")
