"""Layout engine of the forest-type figures: a text table with a plot panel beside it.

A figure is a list of :class:`Row` objects and a list of :class:`Col` objects. Every
row has the same height; text columns are measured with the Agg text engine so that
nothing overlaps, whatever the labels. Geometry is worked out in inches, then the
figure is made exactly that size:

* a text axes covering the whole figure (data coordinates = inches) holds the table;
* the plot axes sits right of the table, its y-axis in row units (row i at y = i),
  so glyphs line up with their text rows;
* lines that span the table (heterogeneity, tests) never reach into the plot panel:
  the label column is widened until they fit.

Artists that tests and readers may want to find carry a ``gid``:
``kmeta-squares`` (one PathCollection, one square per estimable study),
``kmeta-points`` (leave-one-out / cumulative estimates), ``kmeta-ci`` (one
LineCollection, one segment per drawn interval), ``kmeta-arrows`` (clipped
interval ends), ``kmeta-diamond-summary`` / ``kmeta-diamond-subgroup`` (Polygons),
``kmeta-prediction`` (Line2D per prediction interval), ``kmeta-refline``.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Polygon

from . import style
from .style import COLORS, FONT_SIZE, SMALL_SIZE

PT = 1.0 / 72.0  # inches per point
_MEASURE_DPI = 600  # high resolution: font hinting at small pixel sizes distorts widths


@functools.lru_cache(maxsize=1)
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(8, 8, _MEASURE_DPI)


@functools.lru_cache(maxsize=4096)
def text_width(s: str, size: float = FONT_SIZE, bold: bool = False, italic: bool = False) -> float:
    """Width of ``s`` in inches when drawn in the kmeta font."""
    if not s:
        return 0.0
    prop = FontProperties(
        family=style.RC["font.sans-serif"],
        size=size,
        weight="bold" if bold else "normal",
        style="italic" if italic else "normal",
    )
    width = max(
        _renderer().get_text_width_height_descent(line, prop, ismath=False)[0] for line in s.split("\n")
    )
    # low-resolution renders (screens at 72-100 dpi) hint glyphs a few percent wider
    return 1.06 * width / _MEASURE_DPI


@dataclasses.dataclass
class Col:
    key: str
    header: str = ""
    align: str = "right"  # "left", "right" or "center"
    group: str | None = None  # first header line, spanning adjacent columns of the group
    gap: float = 0.12  # space before the column (inches)


@dataclasses.dataclass
class Row:
    kind: str  # study, header, summary, subtotal, prediction, text, blank, events, point
    cells: dict = dataclasses.field(default_factory=dict)
    span: str | None = None  # text spanning the table from the label column
    glyph: tuple | None = None
    bold: bool = False
    italic: bool = False
    indent: float = 0.0
    size: float = FONT_SIZE


@dataclasses.dataclass
class Axis:
    xlim: tuple
    ticks: list
    ticklabels: list
    ref: float | None = None
    favours: tuple | None = None
    xlabel: str | None = None
    header: tuple = ()  # lines over the plot panel
    summary_line: float | None = None  # dotted vertical line at a pooled estimate


def _ha(align):
    return {"left": "left", "right": "right", "center": "center"}[align]


def draw(
    rows: list,
    cols: list,
    axis: Axis,
    *,
    group_subheaders: dict | None = None,
    footer: list | None = None,
    plot_width: float = 2.6,
    row_height: float = 0.2,
    title: str | None = None,
    max_side: float | None = None,
    note: str | None = None,
):
    """Draw the table figure; returns (fig, table_axes, plot_axes).

    ``footer`` lines sit left of the axis, under the table (they widen the table to fit);
    ``note`` is wrapped across the whole figure width under everything.
    """
    footer = list(footer or [])
    group_subheaders = dict(group_subheaders or {})
    margin_l, margin_r, margin_t, margin_b = 0.08, 0.15, 0.08, 0.06
    foot_h = 0.17

    # ---- column widths
    widths = []
    for j, c in enumerate(cols):
        w = text_width(c.header, FONT_SIZE, bold=True) if not (c.group in group_subheaders) else 0.0
        for r in rows:
            s = r.cells.get(c.key, "")
            if s:
                extra = r.indent if j == 0 else 0.0
                w = max(w, text_width(s, r.size, bold=r.bold, italic=r.italic) + extra)
        widths.append(w)
    # groups: a group's header (line 1) and shared subheader (line 2) must fit its columns
    groups = []
    for j, c in enumerate(cols):
        if c.group is not None and (not groups or groups[-1][0] != c.group):
            groups.append([c.group, j, j])
        elif c.group is not None:
            groups[-1][2] = j
    for name, a, b in groups:
        need = max(text_width(name, FONT_SIZE, bold=True), text_width(group_subheaders.get(name, ""), FONT_SIZE))
        have = sum(widths[a : b + 1]) + sum(cols[i].gap for i in range(a + 1, b + 1))
        if need > have:
            widths[b] += need - have
    table_w = sum(widths) + sum(c.gap for c in cols[1:])
    # spanning text (heterogeneity lines ...) and the footer must fit left of the plot
    span_need = max(
        [text_width(r.span, r.size, bold=r.bold, italic=r.italic) + r.indent for r in rows if r.span]
        + [text_width(s, SMALL_SIZE) for s in footer]
        + [0.0]
    )
    if span_need > table_w:
        widths[0] += span_need - table_w
        table_w = span_need
    x0, x1 = axis.xlim
    gap = 0.2
    if axis.ticks and abs(axis.ticks[0] - x0) <= 1e-9 * max(1.0, abs(x0)):
        gap = max(gap, text_width(axis.ticklabels[0], SMALL_SIZE) / 2 + 0.1)
    if axis.ticks and abs(axis.ticks[-1] - x1) <= 1e-9 * max(1.0, abs(x1)):
        margin_r = max(margin_r, text_width(axis.ticklabels[-1], SMALL_SIZE) / 2 + 0.05)

    # ---- favours labels must fit on their side of the reference line
    if axis.favours and axis.ref is not None and x0 < axis.ref < x1:
        fl = (axis.ref - x0) / (x1 - x0)
        wl = text_width(axis.favours[0], SMALL_SIZE) + 0.1
        wr = text_width(axis.favours[1], SMALL_SIZE) + 0.1
        plot_width = max(plot_width, wl / max(fl, 1e-6), wr / max(1 - fl, 1e-6))
    if axis.header:
        plot_width = max(plot_width, max(text_width(h, FONT_SIZE, bold=(i == 0)) for i, h in enumerate(axis.header)) + 0.1)

    # ---- vertical geometry
    n_head = 2 if (groups or len(axis.header) > 1) else 1
    head_h = n_head * row_height + 0.06
    title_h = 0.3 if title else 0.0
    body_h = len(rows) * row_height
    below_axis = 0.24 + (row_height if axis.favours else 0.0) + (row_height if axis.xlabel else 0.0)
    bottom_h = max(below_axis, len(footer) * foot_h + 0.04)
    W = margin_l + table_w + gap + plot_width + margin_r
    note_lines = wrap(note, W - margin_l - margin_r, SMALL_SIZE) if note else []
    note_h = len(note_lines) * foot_h + (0.04 if note_lines else 0.0)
    H = margin_t + title_h + head_h + body_h + bottom_h + note_h + margin_b

    fig = style.new_figure((W, H))
    tax = fig.add_axes((0, 0, 1, 1))
    tax.set_axis_off()
    tax.set_xlim(0, W)
    tax.set_ylim(0, H)
    tax.set_gid("kmeta-table")

    def text(x, y, s, **kw):
        kw.setdefault("va", "center")
        kw.setdefault("fontsize", FONT_SIZE)
        return tax.text(x, y, s, parse_math=False, clip_on=False, **kw)

    top = H - margin_t
    if title:
        text(margin_l, top - 0.15, title, ha="left", fontsize=FONT_SIZE + 1.5, fontweight="bold")
        top -= title_h

    # x positions: left and right edge of every column
    edges = []
    x = margin_l
    for j, c in enumerate(cols):
        if j > 0:
            x += c.gap
        edges.append((x, x + widths[j]))
        x += widths[j]
    px0 = margin_l + table_w + gap

    # ---- header
    y_line2 = top - (n_head - 0.5) * row_height
    y_line1 = top - 0.5 * row_height
    for j, c in enumerate(cols):
        if c.group in group_subheaders or not c.header:
            continue
        a, b = edges[j]
        xx = {"left": a, "right": b, "center": (a + b) / 2}[c.align]
        text(xx, y_line2 if n_head == 2 else y_line1, c.header, ha=_ha(c.align), fontweight="bold")
    for name, a, b in groups:
        xa, xb = edges[a][0], edges[b][1]
        text((xa + xb) / 2, y_line1, name, ha="center", fontweight="bold")
        sub = group_subheaders.get(name)
        if sub:
            text((xa + xb) / 2, y_line2, sub, ha="center")
    for i, h in enumerate(axis.header):
        yy = y_line1 if (i == 0 and n_head == 2) or len(axis.header) == 1 else y_line2
        if len(axis.header) == 1 and n_head == 2:
            yy = y_line2
        text(px0 + plot_width / 2, yy, h, ha="center", fontweight="bold" if i == 0 else "normal")
    rule_y = top - head_h + 0.03
    tax.plot([margin_l, px0 + plot_width], [rule_y, rule_y], color=COLORS["rule"], lw=0.6, solid_capstyle="butt")
    body_top = top - head_h

    # ---- body text
    def row_y(i):
        return body_top - (i + 0.5) * row_height

    for i, r in enumerate(rows):
        y = row_y(i)
        weight = "bold" if r.bold else "normal"
        fstyle = "italic" if r.italic else "normal"
        if r.span:
            text(edges[0][0] + r.indent, y, r.span, ha="left", fontsize=r.size, fontweight=weight, fontstyle=fstyle)
        for j, c in enumerate(cols):
            s = r.cells.get(c.key, "")
            if not s:
                continue
            a, b = edges[j]
            if j == 0:
                a += r.indent
            xx = {"left": a, "right": b, "center": (a + b) / 2}[c.align]
            text(xx, y, s, ha=_ha(c.align), fontsize=r.size, fontweight=weight, fontstyle=fstyle)

    # ---- plot panel
    body_bottom = body_top - body_h
    pax = fig.add_axes((px0 / W, body_bottom / H, plot_width / W, body_h / H))
    pax.set_gid("kmeta-plot")
    pax.set_xlim(x0, x1)
    pax.set_ylim(len(rows) - 0.5, -0.5)
    for side in ("left", "top", "right"):
        pax.spines[side].set_visible(False)
    pax.set_yticks([])
    pax.set_xticks(axis.ticks, axis.ticklabels)
    pax.tick_params(axis="x", labelsize=SMALL_SIZE, length=3, width=0.8, pad=2)
    pax.patch.set_alpha(0.0)
    if axis.ref is not None and x0 <= axis.ref <= x1:
        pax.axvline(axis.ref, color=COLORS["reference"], lw=0.8, zorder=0.5, gid="kmeta-refline")

    if axis.summary_line is not None and x0 <= axis.summary_line <= x1:
        pax.axvline(axis.summary_line, color=COLORS["summary"], lw=0.8, ls=(0, (1, 2)), zorder=0.6,
                    gid="kmeta-summary-line")
    _draw_glyphs(pax, rows, (x0, x1), row_height, max_side)

    # ---- under the axis: favours labels, x label; footer lines on the left
    y = body_bottom - 0.24
    if axis.favours:
        y -= row_height / 2
        if axis.ref is not None and x0 < axis.ref < x1:
            xr = px0 + (axis.ref - x0) / (x1 - x0) * plot_width
        else:
            xr = px0 + plot_width / 2
        left, right = axis.favours
        if left:
            text(xr - 0.06, y, left, ha="right", fontsize=SMALL_SIZE, color=COLORS["favours_left"], gid="kmeta-favours-left")
        if right:
            text(xr + 0.06, y, right, ha="left", fontsize=SMALL_SIZE, color=COLORS["favours_right"], gid="kmeta-favours-right")
        y -= row_height / 2
    if axis.xlabel:
        text(px0 + plot_width / 2, y - row_height / 2, axis.xlabel, ha="center", fontsize=FONT_SIZE)
    for i, s in enumerate(footer):
        text(margin_l, body_bottom - 0.04 - (i + 0.5) * foot_h, s, ha="left", fontsize=SMALL_SIZE, gid="kmeta-footer")
    for i, s in enumerate(note_lines):
        text(margin_l, margin_b + note_h - 0.04 - (i + 0.5) * foot_h, s, ha="left", fontsize=SMALL_SIZE,
             gid="kmeta-note")
    return fig, tax, pax


def wrap(s: str, width: float, size: float = SMALL_SIZE) -> list:
    """Greedy word wrap of ``s`` to ``width`` inches in the kmeta font.

    Breaks only at ordinary spaces: join words with a no-break space (U+00A0) to keep
    them together.
    """
    lines, cur = [], ""
    for word in [w for w in s.split(" ") if w]:
        trial = f"{cur} {word}" if cur else word
        if cur and text_width(trial, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def _clip_interval(lo, hi, x0, x1):
    """Clip [lo, hi] to the axis; returns (a, b, arrow_left, arrow_right) or None if outside."""
    if not (np.isfinite(lo) or np.isinf(lo)) or not (np.isfinite(hi) or np.isinf(hi)):
        return None
    if hi < x0 or lo > x1:
        return None
    return max(lo, x0), min(hi, x1), lo < x0, hi > x1


def _draw_glyphs(pax, rows, xlim, row_height, max_side):
    x0, x1 = xlim
    segs, arrows_l, arrows_r = [], [], []
    sq_x, sq_y, sq_s = [], [], []
    pt_x, pt_y = [], []
    max_side = max_side if max_side is not None else 0.72 * row_height * 72.0  # points
    for i, r in enumerate(rows):
        g = r.glyph
        if g is None:
            continue
        kind = g[0]
        if kind in ("square", "point"):
            est, lo, hi = g[1], g[2], g[3]
            if np.isnan(lo) or np.isnan(hi):
                continue
            c = _clip_interval(lo, hi, x0, x1)
            if c is not None:
                a, b, al, ar = c
                segs.append([(a, i), (b, i)])
                if al:
                    arrows_l.append((x0, i))
                if ar:
                    arrows_r.append((x1, i))
            if np.isfinite(est) and x0 <= est <= x1:
                if kind == "square":
                    rel = g[4]
                    side = max(3.0, max_side * np.sqrt(rel)) if np.isfinite(rel) else 3.0
                    sq_x.append(est)
                    sq_y.append(i)
                    sq_s.append(side * side)
                else:
                    pt_x.append(est)
                    pt_y.append(i)
        elif kind == "diamond":
            est, lo, hi, role = g[1], g[2], g[3], g[4]
            h = 0.36
            poly = Polygon(
                [(lo, i), (est, i - h), (hi, i), (est, i + h)],
                closed=True,
                facecolor=COLORS["summary"] if role == "summary" else COLORS["subgroup"],
                edgecolor=COLORS["summary"],
                lw=0.8,
                zorder=3,
                gid=f"kmeta-diamond-{role}",
            )
            pax.add_patch(poly)
            if lo < x0:
                arrows_l.append((x0, i))
            if hi > x1:
                arrows_r.append((x1, i))
        elif kind == "prediction":
            lo, hi = g[1], g[2]
            c = _clip_interval(lo, hi, x0, x1)
            if c is None:
                continue
            a, b, al, ar = c
            pax.plot(
                [a, b], [i, i], color=COLORS["prediction"], lw=3.5, solid_capstyle="butt",
                zorder=2, gid="kmeta-prediction",
            )
            if al:
                arrows_l.append((x0, i))
            if ar:
                arrows_r.append((x1, i))
    if segs:
        pax.add_collection(LineCollection(segs, colors=COLORS["study_ci"], linewidths=0.9, zorder=2, gid="kmeta-ci"))
    if sq_x:
        pax.scatter(sq_x, sq_y, s=sq_s, marker="s", color=COLORS["study"], linewidths=0, zorder=3, gid="kmeta-squares")
    if pt_x:
        pax.scatter(pt_x, pt_y, s=22, marker="o", color=COLORS["study"], linewidths=0, zorder=3, gid="kmeta-points")
    # clipped interval ends: one marker per clipped end, pointing outwards
    for pts, marker in ((arrows_l, "<"), (arrows_r, ">")):
        if pts:
            pax.scatter([p[0] for p in pts], [p[1] for p in pts], s=22, marker=marker, color=COLORS["study_ci"],
                        linewidths=0, zorder=4, clip_on=False, gid="kmeta-arrows")
