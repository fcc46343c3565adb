"""The look of every kmeta figure: an Okabe–Ito palette with named roles and print defaults.

Colours
-------
The palette is Okabe and Ito's (2008) eight colours, chosen to stay distinguishable
for the common forms of colour-vision deficiency. :data:`OKABE_ITO` holds them by
name; :data:`COLORS` assigns them to the *roles* a meta-analysis figure needs, so that
every figure of the book uses one colour for one meaning:

=================  ==============  ==================================================
role               colour          used for
=================  ==============  ==================================================
``study``          blue            study squares, points, bubbles
``study_ci``       black           study confidence-interval lines
``summary``        black           pooled (overall) diamond
``subgroup``       sky blue        subgroup diamonds (drawn with a black edge)
``prediction``     vermillion      prediction-interval bar
``reference``      grey            line of no effect, pseudo-confidence lines
``favours_left``   blue            "Favours ..." label left of the line of no effect
``favours_right``  vermillion      "Favours ..." label right of the line
``filled``         vermillion      trim-and-fill studies (drawn hollow)
``fit``            vermillion      fitted meta-regression line
``band``           orange          its confidence band (translucent)
``low``            bluish green    low risk of bias (with "+")
``unclear``        yellow          unclear risk of bias (with "?")
``high``           vermillion      high risk of bias (with "−")
``text``           black           all text
``rule``           dark grey       table rules
=================  ==============  ==================================================

Colour is never the only carrier of meaning: risk-of-bias judgements also carry a
symbol (:data:`ROB_SYMBOLS`), hollow and filled markers separate trim-and-fill
studies from observed ones, and significance contours are shades of grey.

Print defaults
--------------
:data:`RC` is a dict of matplotlib rcParams (fonts of 8–9 pt, thin lines, no top or
right spines, no grid, embeddable TrueType fonts in PDF/PS). It is applied *inside*
each figure function with :func:`context` and never changes the global rcParams.
Use it for your own figures with ``with kmeta.plots.style.context(): ...``.

References
----------
Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""
from __future__ import annotations

import contextlib
import functools

import matplotlib as mpl

__all__ = [
    "OKABE_ITO",
    "COLORS",
    "ROB_SYMBOLS",
    "ROB_LABELS",
    "RC",
    "FONT_SIZE",
    "SMALL_SIZE",
    "context",
    "styled",
    "new_figure",
    "figure_and_axes",
    "MINUS",
    "fmt_num",
]

#: The Okabe–Ito palette (plus its usual grey).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: Colour of each role (see the module docstring).
COLORS: dict[str, str] = {
    "study": OKABE_ITO["blue"],
    "study_ci": OKABE_ITO["black"],
    "summary": OKABE_ITO["black"],
    "subgroup": OKABE_ITO["sky_blue"],
    "prediction": OKABE_ITO["vermillion"],
    "reference": OKABE_ITO["grey"],
    "favours_left": OKABE_ITO["blue"],
    "favours_right": OKABE_ITO["vermillion"],
    "filled": OKABE_ITO["vermillion"],
    "fit": OKABE_ITO["vermillion"],
    "band": OKABE_ITO["orange"],
    "low": OKABE_ITO["bluish_green"],
    "unclear": OKABE_ITO["yellow"],
    "high": OKABE_ITO["vermillion"],
    "text": OKABE_ITO["black"],
    "rule": "#555555",
}

#: Symbol drawn in each risk-of-bias judgement (reads in greyscale). U+2212 is a minus.
ROB_SYMBOLS: dict[str, str] = {"low": "+", "unclear": "?", "high": "\u2212"}
#: Legend words of the judgements.
ROB_LABELS: dict[str, str] = {"low": "Low risk", "unclear": "Unclear risk", "high": "High risk"}

#: Body text size (points) and the smaller size for footers and tick labels.
FONT_SIZE = 9.0
SMALL_SIZE = 8.0

#: rcParams applied inside every kmeta figure function.
RC: dict = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib; has τ, ², ⊕, ◯, −
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.titleweight": "bold",
    "axes.labelsize": FONT_SIZE,
    "axes.linewidth": 0.8,
    "axes.edgecolor": COLORS["text"],
    "axes.labelcolor": COLORS["text"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.unicode_minus": True,
    "axes.prop_cycle": mpl.cycler(
        color=[OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black")]
    ),
    "xtick.labelsize": SMALL_SIZE,
    "ytick.labelsize": SMALL_SIZE,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.color": COLORS["text"],
    "ytick.color": COLORS["text"],
    "legend.fontsize": SMALL_SIZE,
    "legend.frameon": False,
    "lines.linewidth": 1.0,
    "patch.linewidth": 0.8,
    "text.color": COLORS["text"],
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "pdf.fonttype": 42,  # TrueType in PDF/PS: text stays text (searchable, editable)
    "ps.fonttype": 42,
    "svg.fonttype": "none",
}

#: The typographic minus sign used in figure text.
MINUS = "\u2212"


def fmt_num(x, digits: int = 2) -> str:
    """Format a number for figure text: fixed decimals and a true minus sign.

    ``NaN`` prints as ``"NA"``, infinities as ``"∞"`` / ``"−∞"``, and a value that would
    round to ``-0.00`` prints as ``"0.00"``.

    >>> fmt_num(-1.834)
    '−1.83'
    """
    x = float(x)
    if x != x:
        return "NA"
    if x in (float("inf"), float("-inf")):
        return ("" if x > 0 else MINUS) + "\u221e"
    s = f"{x:.{digits}f}"
    if s.startswith("-"):
        if float(s) == 0.0:
            s = s[1:]
        else:
            s = MINUS + s[1:]
    return s


@contextlib.contextmanager
def context(extra: dict | None = None):
    """Apply :data:`RC` (and ``extra`` rcParams) for the duration of a ``with`` block.

    The global rcParams are restored on exit (it is :func:`matplotlib.rc_context`).
    """
    rc = dict(RC)
    if extra:
        rc.update(extra)
    with mpl.rc_context(rc):
        yield


def styled(func):
    """Decorator: run a figure function inside :func:`context`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context():
            return func(*args, **kwargs)

    return wrapper


def new_figure(figsize, layout=None) -> "mpl.figure.Figure":
    """A new Figure that pyplot does not keep.

    The figure is made through pyplot (so that Jupyter's inline backend is loaded and
    shows a returned Figure as the cell's result) and closed at once, so that pyplot
    holds no reference: nothing accumulates over a notebook, nothing is drawn twice,
    and ``plt.show()`` elsewhere does not pick it up. Display it by returning it from a
    cell, with ``IPython.display.display(fig)``, or save it with ``fig.savefig``.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout=layout)
    plt.close(fig)
    return fig


def finish(fig, alt: str, ax=None):
    """Set the default alt text and resolve text and ticks under the current rcParams.

    With ``ax`` (a panel the caller gave us) the text goes on the axes (``ax.kmeta_alt``)
    and the caller's figure is left alone.
    """
    if ax is not None:
        ax.kmeta_alt = alt
        return fig
    fig.kmeta_alt = alt
    # Draw once inside the style context: ticks and their labels are created lazily at
    # draw time, and would otherwise pick up whatever rcParams are active then.
    fig.draw_without_rendering()
    return fig


def figure_and_axes(ax=None, figsize=(4.8, 3.6)):
    """``(fig, ax)``: the given axes and its figure, or a new one-panel figure (see :func:`new_figure`)."""
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(figsize, layout="constrained")
    return fig, fig.add_subplot()
