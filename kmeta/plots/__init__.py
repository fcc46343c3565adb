"""Figures of meta-analysis, in the book's style (:mod:`kmeta.plots.style`).

Every figure function returns a :class:`~matplotlib.figure.Figure` (the GRADE table a
pandas ``Styler``) and never calls ``plt.show()``. Figures are made through pyplot and
closed at once, so pyplot keeps no reference: nothing accumulates in a notebook and
nothing is drawn twice. In Jupyter a figure shows when it is the last expression of a
cell (or with ``IPython.display.display(fig)``); elsewhere use ``fig.savefig(...)``.
The one-panel figures (funnel, L'Abbé, Baujat, bubble) also draw into an ``ax=`` you give.

* :func:`~kmeta.plots.forest.forest`: RevMan-layout forest plot (pooled result, subgroups, bare arrays)
* :func:`~kmeta.plots.sensitivity.leave_one_out_forest`: pooled estimate without each study
* :func:`~kmeta.plots.sensitivity.cumulative_forest`: pooled estimate as studies are added
* :func:`~kmeta.plots.funnel.funnel`: funnel plot, contour-enhanced, with trim-and-fill studies
* :func:`~kmeta.plots.labbe.labbe`: L'Abbé plot of event rates
* :func:`~kmeta.plots.baujat.baujat`: Baujat plot (contribution to heterogeneity against influence)
* :func:`~kmeta.plots.bubble.bubble`: meta-regression bubble plot with fitted line and band
* :func:`~kmeta.plots.rob.rob_traffic_light`: risk-of-bias grid (colour and symbol)
* :func:`~kmeta.plots.rob.rob_summary`: risk-of-bias summary bars
* :func:`~kmeta.plots.prisma.prisma`: PRISMA 2020 flow diagram
* :func:`~kmeta.plots.grade.grade_table`: GRADE evidence profile (HTML table)

Alt text
--------
Each figure carries a short description in ``fig.kmeta_alt`` (``kmeta.plots.alt_text(fig)``); every
number in it is computed from the inputs. A chapter gives its figure alt text and a
caption in the code cell's metadata, which myst-nb reads::

    {"mystnb": {"image": {"alt": "Forest plot of the six trials of the primary outcome"},
                "figure": {"caption": "...", "name": "fig-oh-primary"}}}

Cell metadata is typed by hand, so keep numbers out of it (the book's rule: computed
numbers come from computation). To print ``fig.kmeta_alt`` while writing the chapter,
run ``print(kmeta.plots.alt_text(fig))`` and describe the figure from it; numbers
belong in the prose, glued.
"""
from . import style
from .baujat import baujat, baujat_data
from .bubble import bubble
from .forest import forest, heterogeneity_text, overall_test_text, subgroup_test_text
from .funnel import funnel
from .grade import certainty_symbols, grade_table
from .labbe import labbe
from .prisma import prisma
from .rob import rob_summary, rob_traffic_light
from .sensitivity import cumulative_forest, cumulative_table, leave_one_out_forest, leave_one_out_table

__all__ = [
    "style",
    "forest",
    "heterogeneity_text",
    "overall_test_text",
    "subgroup_test_text",
    "leave_one_out_forest",
    "cumulative_forest",
    "leave_one_out_table",
    "cumulative_table",
    "funnel",
    "labbe",
    "baujat",
    "baujat_data",
    "bubble",
    "rob_traffic_light",
    "rob_summary",
    "prisma",
    "grade_table",
    "certainty_symbols",
    "alt_text",
]


def alt_text(fig) -> str:
    """The default alt text a kmeta figure function set on ``fig`` (or an ``ax``); "" if none."""
    return getattr(fig, "kmeta_alt", "")
