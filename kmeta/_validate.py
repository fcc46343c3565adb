"""Input validation shared by every public kmeta function.

Errors are :class:`ValueError` and always name the *field* and, where the problem is
in one study, the *study* (its label if labels were given, otherwise its 0-based
index), e.g.::

    ValueError: vi: study 'Amr 2010' (index 2) is -0.1; sampling variances must be > 0
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "study_labels",
    "as_array",
    "check_positive",
    "check_nonnegative",
    "check_integer",
    "check_not_greater",
    "check_choice",
    "check_k",
    "check_level",
    "where",
    "read_effects",
]


def study_labels(labels, k: int) -> list[str] | None:
    """Return labels as a list of ``str`` of length k (or None), checking the length."""
    if labels is None:
        return None
    if isinstance(labels, str):
        raise ValueError("labels: expected one label per study, got a single string")
    labels = [str(x) for x in labels]
    if len(labels) != k:
        raise ValueError(f"labels: got {len(labels)} labels for {k} studies")
    return labels


def where(i: int, labels: Sequence[str] | None) -> str:
    """Describe study ``i`` for an error message."""
    if labels is not None:
        return f"study '{labels[i]}' (index {i})"
    return f"study {i}"


def as_array(
    x, field: str, labels=None, k: int | None = None, allow_nan: bool = False, finite: bool = True
) -> np.ndarray:
    """Convert ``x`` to a 1-d float array, checking length and finiteness.

    Parameters
    ----------
    x : array_like
        The values, one per study.
    field : str
        Its name, used in error messages (``"yi"``, ``"sd1"`` ...).
    labels : list of str, optional
        Study labels, for error messages.
    k : int, optional
        Required length.
    allow_nan : bool
        Let NaN through (used where a missing value has a defined meaning).
    finite : bool
        Check finiteness at all (False: only convert and check shape, e.g. to learn k
        before the labels are known).
    """
    if x is None:
        raise ValueError(f"{field}: missing (None was given)")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{field}: expected a 1-d array (one value per study), got shape {arr.shape}")
    if k is not None and arr.shape[0] != k:
        raise ValueError(f"{field}: has {arr.shape[0]} values but there are {k} studies")
    if not finite:
        return arr
    bad = ~np.isfinite(arr) if not allow_nan else np.isinf(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: {where(i, labels)} is {arr[i]:g}; values must be finite")
    return arr


def check_positive(arr: np.ndarray, field: str, labels=None, what: str = "must be > 0") -> None:
    bad = ~(arr > 0) & ~np.isnan(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: {where(i, labels)} is {arr[i]:g}; {what}")


def check_nonnegative(arr: np.ndarray, field: str, labels=None, what: str = "must be >= 0") -> None:
    bad = arr < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: {where(i, labels)} is {arr[i]:g}; {what}")


def check_integer(arr: np.ndarray, field: str, labels=None) -> None:
    bad = np.abs(arr - np.round(arr)) > 1e-8
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: {where(i, labels)} is {arr[i]:g}; counts must be whole numbers")


def check_not_greater(a: np.ndarray, b: np.ndarray, field_a: str, field_b: str, labels=None) -> None:
    """Raise if a > b anywhere (e.g. events > n)."""
    bad = a > b
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{field_a}: {where(i, labels)} has {field_a} = {a[i]:g} > {field_b} = {b[i]:g}"
        )


def check_choice(value, field: str, choices) -> str:
    """Case-insensitive choice check; returns the canonical spelling."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected one of {list(choices)}, got {value!r}")
    lookup = {c.upper(): c for c in choices}
    try:
        return lookup[value.upper()]
    except KeyError:
        raise ValueError(f"{field}: unknown value {value!r}; expected one of {list(choices)}") from None


def check_k(k: int, min_k: int, what: str) -> None:
    if k < min_k:
        raise ValueError(f"k = {k}: {what} needs at least {min_k} stud{'y' if min_k == 1 else 'ies'}")


def check_probability(value, field: str, hint: str = "") -> float:
    """A single probability strictly between 0 and 1 (alpha, beta, a risk), as float.

    ``hint`` is appended to the message when the value is out of range (e.g. that a
    percentage must be given as a proportion).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a probability in (0, 1), got {value!r}") from None
    if not 0.0 < v < 1.0:
        raise ValueError(f"{field}: is {value!r}; must be in (0, 1){hint}")
    return v


def check_positive_number(value, field: str, hint: str = "") -> float:
    """A single finite number > 0 (an SD, a sample size, a scale), as float.

    ``hint`` is appended to the message when the value is out of range.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a positive number, got {value!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{field}: is {value!r}; must be a finite number > 0{hint}")
    return v


def check_level(level: float) -> float:
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}") from None
    if level > 1 and level < 100:  # accept 95 as metafor does
        level = level / 100
    if not 0 < level < 1:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    return level


def read_effects(yi, vi, sei, labels, what):
    """Validated (yi, vi, labels, notes) from arrays or a DataFrame with yi/vi (or sei) columns.

    A DataFrame as :func:`kmeta.effect_sizes` returns it is accepted like
    :func:`kmeta.meta` does: ``study`` gives the labels, and rows whose ``yi``/``vi`` are
    missing with a ``note`` (studies effect_sizes excluded) are dropped with a note.
    Shared by every function that takes effect sizes (meta, metareg, subgroups, the
    bias tests, the sensitivity analyses); ``what`` names the caller in messages.
    """
    notes = []
    if isinstance(yi, pd.DataFrame) and vi is None and sei is None:
        df = yi
        if "yi" not in df.columns or not ({"vi", "sei"} & set(df.columns)):
            raise ValueError(f"data: a DataFrame passed to {what}() needs columns 'yi' and 'vi' (or 'sei')")
        col = "vi" if "vi" in df.columns else "sei"
        if "note" in df.columns:
            missing = (df["yi"].isna() | df[col].isna()).to_numpy()
            noted = df["note"].fillna("").astype(str).str.len().gt(0).to_numpy()
            for i in np.flatnonzero(missing & noted):
                name = df["study"].iloc[i] if "study" in df.columns else f"row {i}"
                notes.append(f"excluded {name}: {df['note'].iloc[i]}")
            df = df.loc[~(missing & noted)]
        if labels is None and "study" in df.columns:
            labels = df["study"].tolist()
        yi = df["yi"].to_numpy(float)
        if col == "vi":
            vi = df["vi"].to_numpy(float)
        else:
            sei = df["sei"].to_numpy(float)
    k = as_array(yi, "yi", finite=False).shape[0]
    check_k(k, 1, what)
    labels = study_labels(labels, k)
    yi = as_array(yi, "yi", labels, k)
    if (vi is None) == (sei is None):
        raise ValueError("vi: give exactly one of vi (sampling variances) or sei (standard errors)")
    if vi is None:
        sei = as_array(sei, "sei", labels, k)
        check_positive(sei, "sei", labels, "standard errors must be > 0")
        vi = sei * sei
    else:
        vi = as_array(vi, "vi", labels, k)
        check_positive(vi, "vi", labels, "sampling variances must be > 0")
    return yi, vi, labels, notes
