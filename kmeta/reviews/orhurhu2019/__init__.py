"""Orhurhu et al. 2019 re-derived: the review's data and the analyses that test it.

Orhurhu, Orhurhu, Bhatia, Cohen. Ketamine infusions for chronic pain: a systematic
review and meta-analysis of randomized controlled trials. Anesth Analg
2019;129:241–54.

Submodules
----------
data
    Loaders of everything the review printed and what the trials' public abstracts
    say, each value with its provenance (:func:`trials`, :func:`published`,
    :func:`risk_of_bias`, :func:`grade`, :func:`prisma`, :func:`abstract_facts` ...).

The loaders are re-exported here, so ``from kmeta.reviews import orhurhu2019`` and
``orhurhu2019.trials()`` work.
"""
from .data import *  # noqa: F401,F403
from .data import DATA_DIR, __all__ as _data_all  # noqa: F401

__all__ = list(_data_all)
