"""Published reviews re-derived by kmeta, one module per review.

Each module loads the review's data from ``kmeta/data/<review>/`` (every value with
its ``source``, ``location`` and ``kind``) and holds the analyses that try to
reproduce it.

Modules
-------
orhurhu2019
    Orhurhu, Orhurhu, Bhatia, Cohen. Ketamine infusions for chronic pain: a
    systematic review and meta-analysis of randomized controlled trials.
    Anesth Analg 2019;129:241–54.

Import a review module explicitly, e.g. ``from kmeta.reviews import orhurhu2019``.
"""

__all__ = ["orhurhu2019"]
