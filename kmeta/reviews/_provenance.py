"""Reading the provenance-carrying CSV files of ``kmeta/data/<source>/`` (shared helper).

Every data file of the source chapters has the columns ``source``, ``location`` and
``kind`` (and usually ``note``); see DEVELOPING.md, "Provenance of data". The helpers
here read such a file with every cell as text (an empty cell is missing, never the
string ``"NA"``), cast the columns a loader asks for, and check the provenance rule.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["DATA_ROOT", "KINDS", "read_csv", "typed", "check_provenance", "pivot_long"]

DATA_ROOT = Path(__file__).resolve().parent.parent / "data"

#: Provenance kinds used by the source chapters (DEVELOPING.md).
KINDS: frozenset[str] = frozenset({"reported", "converted", "digitised", "derived", "abstract"})


def read_csv(folder: str, name: str) -> pd.DataFrame:
    """Read ``kmeta/data/<folder>/<name>`` with every column as text ("" for empty)."""
    return pd.read_csv(DATA_ROOT / folder / name, dtype=str, keep_default_na=False, encoding="utf-8")


def typed(df: pd.DataFrame, ints=(), floats=(), bools=()) -> pd.DataFrame:
    """Cast columns (ints to Int64, floats to float64, bools to boolean, the rest to str).

    Empty cells become missing values.
    """
    df = df.copy().replace("", pd.NA)
    for c in df.columns:
        if c in ints:
            df[c] = pd.to_numeric(df[c]).astype("Int64")
        elif c in floats:
            df[c] = pd.to_numeric(df[c]).astype("float64")
        elif c in bools:
            df[c] = df[c].map({"True": True, "False": False, "yes": True, "no": False},
                              na_action="ignore").astype("boolean")
        else:
            df[c] = df[c].astype("str")
    return df


def check_provenance(df: pd.DataFrame, value_columns, name: str = "table",
                     kinds=KINDS) -> None:
    """Raise ``ValueError`` if a row with a value lacks ``source``, ``location`` or ``kind``.

    Parameters
    ----------
    df : DataFrame
        Read with :func:`read_csv` (text, "" for empty).
    value_columns : sequence of str
        Columns holding values; a row counts as having a value if any of them is non-empty.
    name : str
        File name for the error message.
    kinds : set of str
        Allowed values of ``kind``.
    """
    has_value = (df[list(value_columns)] != "").any(axis=1)
    for field in ("source", "location", "kind"):
        bad = has_value & (df[field] == "")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(f"{name}: row {i} has a value but no {field}")
    bad_kind = has_value & ~df["kind"].isin(list(kinds))
    if bad_kind.any():
        i = int(bad_kind.to_numpy().nonzero()[0][0])
        raise ValueError(f"{name}: row {i} has kind {df['kind'].iloc[i]!r}; expected one of {sorted(kinds)}")


def pivot_long(df: pd.DataFrame, key: str, fields, ints=(), floats=(), bools=()) -> pd.DataFrame:
    """Pivot a long ``key, field, value`` table to one row per key (fields in the given order)."""
    order = list(dict.fromkeys(df[key]))
    wide = df.pivot(index=key, columns="field", values="value").reindex(index=order, columns=list(fields))
    wide.columns.name = None
    wide = wide.fillna("").reset_index()
    return typed(wide, ints=ints, floats=floats, bools=bools).set_index(key)
