"""Shared plumbing of the claim-by-claim checks of Orhurhu et al. 2019.

Every ``checks_*`` module returns a :class:`pandas.DataFrame` with one row per claim of
:func:`kmeta.reviews.orhurhu2019.published` that it covers, in the scorecard's schema:

``claim_id``
    The claim (must exist in ``published()``).
``rederived``
    Our re-derived value, formatted like the printed one (same decimals, the review's
    own minus sign); ``""`` when nothing could be re-derived.
``rederived_value``
    The same as a float (NaN if none, or if the value is not a single number).
``status``
    One of :data:`STATUSES`.
``reason``
    What was computed and why the status, in our words.
``check``
    The function or analysis that produced the row.

How the statuses are used in these modules
------------------------------------------
``reproduced``
    The printed number follows, within its printed rounding, from the review's own data
    (Table 1, Figure 2, Table 2, its other passages) or arithmetic; or, for a fact about
    a trial or a cited source, the trial's abstract or the cited source as publicly
    available says the same (the ``reason`` names that source).
``reproduced under a stated assumption``
    As above, but only given an assumption the ``reason`` states (for example that
    Eichenberger's saline arm counts as 10 patients, or that two numbers of a
    "respectively" clause are in the opposite order).
``not reproducible: inputs not published``
    The inputs needed are not public (the forest-plot data, the trials' full texts), or
    the number is a statement of method or opinion with nothing to recompute.
    Consistency checks that *could* be done (a CI's midpoint, the P value a CI implies)
    are reported in the ``reason``.
``inconsistent within the paper``
    Two printed statements cannot both be right; the ``reason`` says which. When one of
    a conflicting pair agrees with the review's own data and the other does not, only
    the one that does not is marked inconsistent.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from . import data

#: The four statuses of the scorecard.
STATUSES: tuple[str, ...] = (
    "reproduced",
    "reproduced under a stated assumption",
    "not reproducible: inputs not published",
    "inconsistent within the paper",
)
REPRODUCED, ASSUMED, NOT_PUBLISHED, INCONSISTENT = STATUSES

#: Columns of every ``checks()`` frame, in order.
COLUMNS: tuple[str, ...] = ("claim_id", "rederived", "rederived_value", "status", "reason", "check")

#: The claims covered by the primary-outcome checks (the other Orhurhu share).
OTHER_SHARE = re.compile(
    r"^(primary|sub|metareg|heterogeneity|pubbias)\."
    r"|^(abstract|summary|results|discussion)\.(primary|metareg)\."
    r"|^abstract\.benefit_count$"
    r"|^table2\.fn_b\."
)

MINUS_CHARS = ("\u2212", "\u2013", "-")


@lru_cache(maxsize=1)
def _published() -> pd.DataFrame:
    return data.published().set_index("claim_id", drop=False)


class _Cached:
    """Memoised copies of the loaders (the pivot in ``trials()`` is slow under pandas 3).

    Each call returns a fresh copy, so callers may modify what they get.
    """

    @staticmethod
    @lru_cache(maxsize=None)
    def _get(name: str, wide: bool = False) -> pd.DataFrame:
        fn = getattr(data, name)
        return fn(wide=True) if wide else fn()

    def trials(self) -> pd.DataFrame:
        return self._get("trials").copy()

    def published(self) -> pd.DataFrame:
        return self._get("published").copy()

    def abstract_facts(self) -> pd.DataFrame:
        return self._get("abstract_facts").copy()

    def external_facts(self) -> pd.DataFrame:
        return self._get("external_facts").copy()

    def grade(self) -> pd.DataFrame:
        return self._get("grade").copy()

    def prisma(self) -> pd.DataFrame:
        return self._get("prisma").copy()

    def risk_of_bias(self, wide: bool = False) -> pd.DataFrame:
        return self._get("risk_of_bias", wide).copy()

    # pass-throughs, so that modules can use ``cached`` wherever they used ``data``
    STUDIES = data.STUDIES
    ROB_DOMAINS = data.ROB_DOMAINS
    studies_of = staticmethod(data.studies_of)


#: Memoised loaders with the interface of :mod:`kmeta.reviews.orhurhu2019.data`.
cached = _Cached()


def published_claims() -> pd.DataFrame:
    """``published()`` indexed by ``claim_id`` (a fresh copy)."""
    return _published().copy()


def claim(claim_id: str) -> pd.Series:
    """One published claim as a Series; ``ValueError`` naming the id if unknown."""
    p = _published()
    if claim_id not in p.index:
        raise ValueError(f"claim_id: {claim_id!r} is not a claim of published()")
    return p.loc[claim_id]


def my_share() -> list[str]:
    """Claim ids of ``published()`` covered by the design/secondary/certainty checks."""
    return [c for c in _published()["claim_id"] if not OTHER_SHARE.search(c)]


def _minus_of(printed) -> str:
    if not isinstance(printed, str):
        return "-"
    for ch in MINUS_CHARS[:1]:
        if ch in printed:
            return ch
    # an en dash directly before a digit is used as a minus in a few passages
    if re.search("\u2013\\d", printed) and not re.search("\\d\u2013\\d", printed):
        return "\u2013"
    return "-"


def fmt(value: float, decimals: int, minus: str = "-") -> str:
    """``value`` rounded to ``decimals`` with ``minus`` as the minus sign ("" for NaN)."""
    if value is None or not np.isfinite(value):
        return ""
    s = f"{value:.{int(decimals)}f}"
    if s.startswith("-"):
        if float(s) == 0.0:
            s = s[1:]
        else:
            s = minus + s[1:]
    return s


def fmt_like(value: float, claim_id: str, decimals: int | None = None) -> str:
    """Format ``value`` as the claim's main number is printed (decimals, minus sign)."""
    c = claim(claim_id)
    d = decimals if decimals is not None else (0 if pd.isna(c["decimals"]) else int(c["decimals"]))
    return fmt(value, d, _minus_of(c["printed"]))


def fmt_p(p: float, decimals: int = 3) -> str:
    """A P value as the review prints it: ``.029``, ``< .00001`` below the last decimal."""
    if p is None or not np.isfinite(p):
        return ""
    floor = 10.0 ** (-decimals)
    if p < floor:
        return "< " + f"{floor:.{decimals}f}".lstrip("0")
    s = f"{p:.{decimals}f}"
    return s.lstrip("0") if s.startswith("0") else s


def fmt_ci(est: float, lo: float, hi: float, decimals: int, minus: str = "-", dash: str = "\u2013") -> str:
    """``est (lo–hi)`` with the given decimals."""
    sep = " to " if min(lo, hi) < 0 else dash
    return f"{fmt(est, decimals, minus)} ({fmt(lo, decimals, minus)}{sep}{fmt(hi, decimals, minus)})"


def rounds_to(value: float, printed: float, decimals: int, tol: float = 1e-9) -> bool:
    """True if ``value`` lies in the rounding interval of ``printed`` (± half a unit)."""
    if value is None or printed is None or not (np.isfinite(value) and np.isfinite(printed)):
        return False
    return abs(value - printed) <= 0.5 * 10.0 ** (-decimals) + tol


@dataclass(frozen=True)
class Row:
    """One scorecard row (see the module docstring)."""

    claim_id: str
    rederived: str
    rederived_value: float
    status: str
    reason: str
    check: str

    def __post_init__(self):
        claim(self.claim_id)  # raises for an unknown id
        if self.status not in STATUSES:
            raise ValueError(f"status: {self.status!r} for {self.claim_id} is not one of {STATUSES}")
        if not isinstance(self.reason, str) or len(self.reason.strip()) < 20:
            raise ValueError(f"reason: {self.claim_id} needs a reason in words")
        if not isinstance(self.rederived, str):
            raise ValueError(f"rederived: {self.claim_id} must be text")


def row(claim_id, rederived="", value=math.nan, status=REPRODUCED, reason="", check="") -> Row:
    """Build a :class:`Row`; ``value`` may be None (stored as NaN)."""
    v = math.nan if value is None else float(value)
    return Row(claim_id, rederived, v, status, reason, check)


def frame(rows) -> pd.DataFrame:
    """The rows as a scorecard frame; ``ValueError`` on a duplicated claim id."""
    df = pd.DataFrame([r.__dict__ for r in rows], columns=list(COLUMNS))
    dup = df["claim_id"][df["claim_id"].duplicated()]
    if len(dup):
        raise ValueError(f"claim_id: {dup.iloc[0]!r} is covered twice")
    df["rederived_value"] = df["rederived_value"].astype("float64")
    for c in ("claim_id", "rederived", "status", "reason", "check"):
        df[c] = df[c].astype("str")
    return df.reset_index(drop=True)


def validate(df: pd.DataFrame, expected_ids=None) -> None:
    """Check the scorecard schema of a ``checks()`` frame; ``ValueError`` on a problem."""
    if tuple(df.columns) != COLUMNS:
        raise ValueError(f"columns: expected {COLUMNS}, got {tuple(df.columns)}")
    bad = set(df["status"]) - set(STATUSES)
    if bad:
        raise ValueError(f"status: unknown {sorted(bad)}")
    unknown = set(df["claim_id"]) - set(_published().index)
    if unknown:
        raise ValueError(f"claim_id: not in published(): {sorted(unknown)}")
    if df["claim_id"].duplicated().any():
        raise ValueError("claim_id: duplicated")
    if expected_ids is not None:
        missing = set(expected_ids) - set(df["claim_id"])
        extra = set(df["claim_id"]) - set(expected_ids)
        if missing or extra:
            raise ValueError(f"claim_id: missing {sorted(missing)}, unexpected {sorted(extra)}")


# --------------------------------------------------------------------------- small arithmetic


def p_decimals(p_text: str) -> int:
    """Number of decimals of a printed P such as ``".029"`` or ``"< .00001"``."""
    m = re.search(r"\.(\d+)", str(p_text))
    return len(m.group(1)) if m else 0


def q_pvalue(q: float, df: int) -> float:
    """Upper-tail chi-square P of Cochran's Q on ``df`` degrees of freedom."""
    from scipy import stats

    return float(stats.chi2.sf(q, df))
