"""Orhurhu et al. 2019 re-derived: the review's data and the analyses that test it.

Orhurhu, Orhurhu, Bhatia, Cohen. Ketamine infusions for chronic pain: a systematic
review and meta-analysis of randomized controlled trials. Anesth Analg
2019;129:241–54.

Submodules
----------
data
    Loaders of everything the review printed and what the trials' public abstracts
    say, each value with its provenance (:func:`~kmeta.reviews.orhurhu2019.data.trials`, :func:`~kmeta.reviews.orhurhu2019.data.published`,
    :func:`~kmeta.reviews.orhurhu2019.data.risk_of_bias`, :func:`~kmeta.reviews.orhurhu2019.data.grade`, :func:`~kmeta.reviews.orhurhu2019.data.prisma`, :func:`~kmeta.reviews.orhurhu2019.data.abstract_facts` ...).

reconstruction
    The primary outcome's study inputs reconstructed from the printed pools
    (:func:`~kmeta.reviews.orhurhu2019.reconstruction.reconstruct`).
scorecard
    Every published claim beside its re-derivation and status (:func:`~kmeta.reviews.orhurhu2019.scorecard.scorecard`);
    the rows come from the ``checks_*`` modules, imported when it runs.

The loaders are re-exported here, so ``from kmeta.reviews import orhurhu2019`` and
``orhurhu2019.trials()`` work.
"""
from . import data as _data

# every public name of the loaders module (constants such as TRIAL_FIELDS included)
globals().update({name: getattr(_data, name) for name in dir(_data) if not name.startswith("_")})
__all__ = list(_data.__all__)

from .reconstruction import reconstruct  # noqa: E402
from .scorecard import scorecard  # noqa: E402

__all__ += ["reconstruct", "scorecard"]
