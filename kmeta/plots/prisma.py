"""PRISMA 2020 flow diagram (Page et al. 2021) from counts, drawn with matplotlib boxes and arrows.

The main column runs identification → screening → retrieval → eligibility → inclusion;
each step's exclusions sit in a box to its right. Boxes whose count is not given are
left out and the arrows join the boxes that remain, so a review that reports only some
of the steps gets an honest, shorter diagram.

Counts (keys of the mapping, or the ``step`` column of a DataFrame with a ``count``
column, as ``kmeta.reviews.orhurhu2019.prisma()`` returns):

==============================  ==========================================================
key                             box
==============================  ==========================================================
``records_databases``           Records identified from databases
``records_registers``           Records identified from registers
``identified``                  Records identified (when not split by source)
``duplicates_removed``          Records removed before screening: duplicates
``automation_removed``          ... marked ineligible by automation tools
``other_removed``               ... removed for other reasons
``screened``                    Records screened
``excluded_at_screening``       Records excluded
``reports_sought``              Reports sought for retrieval
``reports_not_retrieved``       Reports not retrieved
``full_text_assessed``          Reports assessed for eligibility
``full_text_excluded``          Reports excluded (with ``reasons``: reason → n)
``included_systematic_review``  Studies included in review
``included_meta_analysis``      Studies included in meta-analysis
==============================  ==========================================================

Aliases: ``included_review`` for ``included_systematic_review``, and
``included_primary_meta_analysis`` or ``included_meta_analysis_as_stated`` (in that order
of preference) for ``included_meta_analysis``.

References
----------
Page, M. J., McKenzie, J. E., Bossuyt, P. M., et al. (2021). The PRISMA 2020 statement:
an updated guideline for reporting systematic reviews. *BMJ*, 372, n71.
https://doi.org/10.1136/bmj.n71
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.patches import FancyBboxPatch

from . import style
from ._table import text_width, wrap
from .style import COLORS, FONT_SIZE, OKABE_ITO, SMALL_SIZE

__all__ = ["prisma", "prisma_counts"]

_ALIASES = {
    "included_review": "included_systematic_review",
    "included_primary_meta_analysis": "included_meta_analysis",
    "included_meta_analysis_as_stated": "included_meta_analysis",
}

_TEXT = {
    "records_databases": "Records identified from databases",
    "records_registers": "Records identified from registers",
    "identified": "Records identified",
    "duplicates_removed": "Duplicate records removed",
    "automation_removed": "Records marked as ineligible by automation tools",
    "other_removed": "Records removed for other reasons",
    "screened": "Records screened",
    "excluded_at_screening": "Records excluded",
    "reports_sought": "Reports sought for retrieval",
    "reports_not_retrieved": "Reports not retrieved",
    "full_text_assessed": "Reports assessed for eligibility",
    "full_text_excluded": "Reports excluded",
    "included_systematic_review": "Studies included in review",
    "included_meta_analysis": "Studies included in meta-analysis",
}

# (phase, main-column keys, side keys)
_STAGES = (
    ("Identification", ("records_databases", "records_registers", "identified"),
     ("duplicates_removed", "automation_removed", "other_removed")),
    ("Screening", ("screened",), ("excluded_at_screening",)),
    ("Screening", ("reports_sought",), ("reports_not_retrieved",)),
    ("Screening", ("full_text_assessed",), ("full_text_excluded",)),
    ("Included", ("included_systematic_review",), ()),
    ("Included", ("included_meta_analysis",), ()),
)


def prisma_counts(counts) -> dict:
    """Counts as a dict of canonical keys → int (missing steps left out)."""
    if isinstance(counts, pd.DataFrame):
        if not {"step", "count"} <= set(counts.columns):
            raise ValueError("counts: a DataFrame needs columns 'step' and 'count'")
        items = list(zip(counts["step"], counts["count"]))
    elif isinstance(counts, Mapping):
        items = list(counts.items())
    else:
        raise ValueError("counts: expected a dict or a DataFrame with columns step, count")
    raw = {}
    for key, n in items:
        if n is None or n is pd.NA or (isinstance(n, float) and np.isnan(n)):
            continue
        n_f = float(n)
        if n_f < 0 or n_f != round(n_f):
            raise ValueError(f"counts: {key} is {n!r}; counts must be whole numbers >= 0")
        raw[str(key)] = int(round(n_f))
    out = {}
    for canon in _TEXT:
        # the exact key wins, then the aliases in the order of _ALIASES
        for key in [canon] + [a for a, c in _ALIASES.items() if c == canon]:
            if key in raw:
                out[canon] = raw[key]
                break
    if not out:
        raise ValueError("counts: none of the PRISMA steps was given")
    return out


def _fmt_n(n: int) -> str:
    return f"{n:,}".replace(",", "\u2009")  # thin space as thousands separator


@style.styled
def prisma(counts, *, reasons=None, labels=None, title=None, box_width=2.5):
    """PRISMA 2020 flow diagram.

    Parameters
    ----------
    counts : dict or DataFrame
        Counts by step (see the module docstring for the keys).
    reasons : mapping, optional
        Reasons for excluding full-text reports: reason → n (listed in that box).
    labels : mapping, optional
        Replace the text of any box: key → text (the count is added as "(n = ...)").
    title : str, optional
    box_width : float
        Width of the boxes in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Boxes are FancyBboxPatch artists with gid ``kmeta-prisma-<key>`` and their texts
        ``kmeta-prisma-text``; arrows have gid ``kmeta-prisma-arrow``.
        ``fig.kmeta_boxes`` lists the keys drawn, top to bottom.
    """
    c = prisma_counts(counts)
    text = dict(_TEXT)
    if labels:
        text.update({_ALIASES.get(k, k): v for k, v in labels.items()})

    def n_text(n):
        return f"(n\u00a0=\u00a0{_fmt_n(n)})"

    def box_lines(key):
        if key == "identification":
            parts = [k for k in ("records_databases", "records_registers") if k in c]
            if not parts:
                return wrap(f"{text['identified']} {n_text(c['identified'])}", box_width - 0.2, SMALL_SIZE)
            lines = ["Records identified from:"]
            for k in parts:
                lines += wrap(f"{text[k].replace('Records identified from ', '').capitalize()} {n_text(c[k])}",
                              box_width - 0.2, SMALL_SIZE)
            if "identified" in c:
                lines.append(f"Total {n_text(c['identified'])}")
            return lines
        lines = wrap(f"{text[key]} {n_text(c[key])}", box_width - 0.2, SMALL_SIZE)
        if key == "full_text_excluded" and reasons:
            for r, n in reasons.items():
                lines += wrap(f"{r} {n_text(int(n))}", box_width - 0.3, SMALL_SIZE)
        return lines

    # stages that have something to show
    stages = []
    for phase, main, side in _STAGES:
        m = [k for k in main if k in c]
        if m and phase == "Identification":
            m = ["identification"]
        s = [k for k in side if k in c]
        if m or s:
            stages.append((phase, m, s))

    line_h, pad = 0.17, 0.12
    phase_w, gap_x, gap_y = 0.3, 0.45, 0.32
    margin = 0.1
    heights = []
    for _, m, s in stages:
        hm = max([len(box_lines(k)) * line_h + 2 * pad for k in m] + [0])
        side_lines = sum(len(box_lines(k)) for k in s) + (1 if len(s) > 1 else 0)
        hs = side_lines * line_h + 2 * pad if s else 0
        heights.append(max(hm, hs))
    main_w = box_width
    # a phase band must be tall enough for its rotated name
    i = 0
    while i < len(stages):
        j = i
        while j + 1 < len(stages) and stages[j + 1][0] == stages[i][0]:
            j += 1
        need = text_width(stages[i][0], SMALL_SIZE, bold=True) + 0.2
        have = sum(heights[i:j + 1]) + gap_y * (j - i)
        if have < need:
            for q in range(i, j + 1):
                heights[q] += (need - have) / (j - i + 1)
        i = j + 1
    W = margin + phase_w + 0.15 + main_w + gap_x + box_width + margin
    title_h = 0.35 if title else 0.0
    H = margin + title_h + sum(heights) + gap_y * (len(stages) - 1) + margin

    fig = style.new_figure((W, H))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    x_main = margin + phase_w + 0.15
    x_side = x_main + main_w + gap_x
    edge = COLORS["text"]

    def draw_box(x, y_top, w, h, lines, key, face="white", bold_first=False):
        patch = FancyBboxPatch((x, y_top - h), w, h, boxstyle="round,pad=0,rounding_size=0.05", facecolor=face,
                               edgecolor=edge, linewidth=0.8, gid=f"kmeta-prisma-{key}")
        ax.add_patch(patch)
        y0 = y_top - h / 2 + (len(lines) - 1) * line_h / 2
        for i, s in enumerate(lines):
            ax.text(x + w / 2, y0 - i * line_h, s, ha="center", va="center", fontsize=SMALL_SIZE,
                    fontweight="bold" if (bold_first and i == 0) else "normal", gid="kmeta-prisma-text",
                    parse_math=False)
        return patch

    def arrow(xy_from, xy_to):
        ax.annotate("", xy=xy_to, xytext=xy_from, gid="kmeta-prisma-arrow",
                    arrowprops=dict(arrowstyle="-|>", color=edge, lw=0.9, shrinkA=0, shrinkB=0, mutation_scale=9))

    y = H - margin - title_h
    if title:
        ax.text(margin, H - margin - 0.15, title, ha="left", va="center", fontsize=FONT_SIZE + 1.5,
                fontweight="bold")
    drawn, prev_bottom, phase_spans = [], None, []
    for (phase, m, s), h in zip(stages, heights):
        top = y
        if m:
            (key,) = m
            draw_box(x_main, top, main_w, h, box_lines(key), key, bold_first=key == "identification" and
                     box_lines(key)[0] == "Records identified from:")
            if key == "identification":
                drawn += [k for k in ("records_databases", "records_registers", "identified") if k in c]
            else:
                drawn.append(key)
            if prev_bottom is not None:
                arrow((x_main + main_w / 2, prev_bottom), (x_main + main_w / 2, top))
            prev_bottom = top - h
        if s:
            lines = []
            if len(s) > 1:
                lines.append("Records removed before screening:")
            for key in s:
                lines += box_lines(key)
            hs = len(lines) * line_h + 2 * pad
            draw_box(x_side, top - (h - hs) / 2, box_width, hs, lines, "+".join(s), bold_first=len(s) > 1)
            drawn += s
            if m:
                arrow((x_main + main_w, top - h / 2), (x_side, top - h / 2))
        phase_spans.append((phase, top, top - h))
        y = top - h - gap_y

    # phase bands on the left (light blue, as the PRISMA template)
    merged = []
    for phase, t, b in phase_spans:
        if merged and merged[-1][0] == phase:
            merged[-1][2] = b
        else:
            merged.append([phase, t, b])
    for phase, t, b in merged:
        ax.add_patch(FancyBboxPatch((margin, b), phase_w, t - b, boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor=OKABE_ITO["sky_blue"], edgecolor="none", alpha=0.35,
                                    gid="kmeta-prisma-phase"))
        ax.text(margin + phase_w / 2, (t + b) / 2, phase, rotation=90, ha="center", va="center",
                fontsize=SMALL_SIZE, fontweight="bold")
    fig.kmeta_boxes = drawn

    parts = [f"{text[k].lower()} {c[k]}" for k in drawn]
    alt = "PRISMA flow diagram: " + "; ".join(parts)
    return style.finish(fig, alt + ".")
