"""kmeta: meta-analysis in numpy/scipy, checked against R's metafor.

The statistics behind the kmeta book on intravenous ketamine for chronic pain.
Functions are plain and return small result objects with named fields,
``summary()`` and ``to_frame()``; see the API page of the book.
"""
__version__ = "0.1.0"

# core pooling (lead)
from .meta import meta, MetaResult  # noqa: E402
from .confint import confint, ConfintResult  # noqa: E402
from .batch import meta_batch, BatchResult  # noqa: E402
from .heterogeneity import cochran_q  # noqa: E402
from . import tau2, heterogeneity  # noqa: E402

# effect sizes, back-transforms, conversions
from .effect_sizes import effect_sizes  # noqa: E402
from . import transforms  # noqa: E402
from .mh import mh, MHResult  # noqa: E402
from .peto import peto, PetoResult  # noqa: E402
from . import convert  # noqa: E402

# figures: ``kmeta.plots`` is imported on first use (see ``__getattr__`` below), so
# that ``import kmeta`` does not load matplotlib for a reader who only computes

# beyond the reviews: Bayesian pooling, simulation, sequential analysis, power
from .bayes import bayesmeta, BayesMetaResult, bayesmeta_batch  # noqa: E402
from . import bayes, simulate, tsa, power, clinical  # noqa: E402

# heterogeneity, subgroups, meta-regression, small-study effects, sensitivity
from .metareg import metareg, MetaregResult  # noqa: E402
from .subgroups import subgroups, SubgroupResult  # noqa: E402
from .begg import begg, BeggResult, begg_attainable_pvalues  # noqa: E402
from .egger import egger, EggerResult, egger_t_from_p, egger_t_interval  # noqa: E402
from .trimfill import trimfill, TrimfillResult  # noqa: E402
from .sensitivity import leave_one_out, cumulative, LeaveOneOutResult, CumulativeResult  # noqa: E402
from .influence import influence, InfluenceResult  # noqa: E402


def __getattr__(name):
    """Import the figure package on first access (``kmeta.plots``).

    Only a pure submodule is loaded lazily: names that are also functions (``meta``,
    ``mh``, ``egger`` ...) are bound above, eagerly, so that they always mean the
    function.
    """
    if name == "plots":
        import importlib

        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + ["plots"])
