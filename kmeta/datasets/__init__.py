"""Classic public meta-analysis datasets, each with its provenance.

These are teaching datasets for the methods chapters; the ketamine data live in
:mod:`kmeta.reviews`. Every row carries ``source`` (a key of the book's
bibliography), ``location`` (where the values were taken from) and ``kind``.

Datasets
--------
bcg()
    13 trials of the BCG vaccine against tuberculosis (Colditz et al. 1994), as
    distributed in the R package metadat (``dat.bcg``), the standard example of
    metafor: 2x2 tables, absolute latitude and the method of allocation.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["bcg"]

_HERE = Path(__file__).resolve().parent


def bcg() -> pd.DataFrame:
    """The BCG vaccine trials (Colditz et al. 1994).

    Returns
    -------
    DataFrame
        One row per trial: ``trial`` (1-13), ``author``, ``year``, ``tpos``/``tneg``
        (tuberculosis cases / non-cases among the vaccinated), ``cpos``/``cneg`` (the
        same in the control group), ``ablat`` (absolute latitude of the study site, in
        degrees), ``alloc`` (random, alternate or systematic allocation), and the
        provenance columns ``source``, ``location``, ``kind``. Convenience columns
        ``study`` ("Aronson 1948" ...), ``n1 = tpos + tneg`` and ``n2 = cpos + cneg``
        are added for use with :func:`kmeta.effect_sizes`.

    Examples
    --------
    >>> df = bcg()
    >>> len(df), int(df.tpos.sum())
    (13, 1065)
    """
    df = pd.read_csv(_HERE / "bcg.csv")
    df.insert(1, "study", df["author"] + " " + df["year"].astype(str))
    df["n1"] = df["tpos"] + df["tneg"]
    df["n2"] = df["cpos"] + df["cneg"]
    return df
