"""Figures of meta-analysis, in the book's style (:mod:`kmeta.plots.style`).

Every function returns matplotlib objects (a :class:`~matplotlib.figure.Figure`, or a
pandas ``Styler`` for tables) and never calls ``plt.show()``; the figure is not kept by
pyplot, so nothing accumulates in a notebook. In Jupyter, a figure shows when it is
the last expression of a cell; elsewhere use ``fig.savefig(...)``.

Each figure carries a short description in ``fig.kmeta_alt`` (its numbers are computed
from the inputs). Give a chapter figure its alt text and caption in the cell metadata::

    {"mystnb": {"image": {"alt": "Forest plot of the six trials ..."},
                "figure": {"caption": "...", "name": "fig-oh-primary"}}}

See :func:`alt_text` and the "Figures" section of DEVELOPING.md.
"""
from . import style
from .forest import forest, heterogeneity_text, overall_test_text, subgroup_test_text

__all__ = [
    "style",
    "forest",
    "heterogeneity_text",
    "overall_test_text",
    "subgroup_test_text",
    "alt_text",
]


def alt_text(fig) -> str:
    """The default alt text a kmeta figure function set on ``fig`` ("" if none)."""
    return getattr(fig, "kmeta_alt", "")
