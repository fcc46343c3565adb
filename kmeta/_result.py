"""Small result objects shared by every kmeta function.

Every public kmeta function returns an instance of a subclass of :class:`Result`:
a frozen dataclass whose fields are the named results (``estimate``, ``ci_low``,
``tau2`` ...).  Printing one gives its :meth:`~Result.summary`; :meth:`~Result.to_frame`
gives a one-row :class:`pandas.DataFrame` of the scalar fields, so results of many
analyses can be stacked with :func:`pandas.concat`.
"""
from __future__ import annotations

import dataclasses
import math
from numbers import Number

import numpy as np
import pandas as pd

__all__ = ["Result", "format_p", "format_num", "p_phrase"]


def format_p(p: float, digits: int = 4) -> str:
    """Format a p-value as metafor prints it: ``"<.0001"`` below 10**-digits.

    >>> format_p(0.03412)
    '0.0341'
    >>> format_p(1e-7)
    '<.0001'
    """
    if p is None or not np.isfinite(p):
        return "NA"
    floor = 10.0 ** (-digits)
    if p < floor:
        return "<." + "0" * (digits - 1) + "1"
    return f"{p:.{digits}f}"


def p_phrase(p: float, digits: int = 4) -> str:
    """``"p < .0001"`` or ``"p = 0.0341"``: a p-value in a sentence."""
    text = format_p(p, digits)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def format_num(x: float, digits: int = 4) -> str:
    """Format a number with fixed decimals; NaN as ``NA`` and infinities as ``inf``."""
    if x is None:
        return "NA"
    x = float(x)
    if math.isnan(x):
        return "NA"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}f}"


def _is_scalar(value) -> bool:
    return isinstance(value, (Number, str, bool, np.generic)) or value is None


@dataclasses.dataclass(frozen=True, repr=False)
class Result:
    """Base class: named fields, a readable ``summary()`` and ``to_frame()``."""

    def fields(self) -> dict:
        """All fields as a plain ``dict`` (arrays included)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the scalar fields (arrays and tables are left out)."""
        row = {k: v for k, v in self.fields().items() if _is_scalar(v)}
        return pd.DataFrame([row])

    def summary(self) -> str:  # pragma: no cover - every subclass overrides
        lines = [type(self).__name__]
        for k, v in self.fields().items():
            if _is_scalar(v):
                lines.append(f"  {k}: {v}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p, cycle):  # IPython: print the summary, not a dataclass dump
        p.text(self.summary())
