r"""Sensitivity analyses: :func:`leave_one_out` and :func:`cumulative`.

``leave_one_out`` repeats the meta-analysis k times, each time without one study
(metafor's ``leave1out``; Stata's ``metaninf``, what reviews call "excluding studies one
by one"). Row *i* of its table is exactly :func:`kmeta.meta` on the data without study
*i*, with the same τ² estimator, test and level.

``cumulative`` adds the studies one at a time in a given order (publication year,
precision ...) and pools after each addition (metafor's ``cumul``; Lau et al. 1992).
Row *i* is :func:`kmeta.meta` on the first *i* studies in that order. As in metafor, the
first row (one study) uses the z test whatever ``test`` is, because a t test needs
k >= 2.

Both accept a :class:`~kmeta.MetaResult` instead of ``yi, vi``: its data, labels,
τ² estimator, test and level are then reused (each can still be overridden).

References
----------
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992).
Cumulative meta-analysis of therapeutic trials for myocardial infarction. *New England
Journal of Medicine* 327:248–254.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._result import Result, format_num, format_p
from ._validate import check_choice, check_k, check_level, where

__all__ = ["leave_one_out", "cumulative", "LeaveOneOutResult", "CumulativeResult"]

_COLUMNS = ["k", "estimate", "se", "stat", "pval", "ci_low", "ci_high", "q", "q_df", "q_pval", "tau2", "i2",
            "h2", "pi_low", "pi_high"]


def _setup(yi, vi, sei, method, test, level, labels, what):
    """Data and settings from arrays, a DataFrame or a MetaResult."""
    from .meta import MetaResult, _canonical_test
    from ._validate import read_effects
    from .tau2 import METHODS

    if isinstance(yi, MetaResult):
        fit = yi
        if vi is not None or sei is not None:
            raise ValueError("vi: not used when a MetaResult is given (its data are used)")
        labels = list(fit.labels) if (labels is None and fit.labels is not None) else labels
        method = fit.method if method is None else method
        test = fit.test if test is None else test
        level = fit.level if level is None else level
        yi, vi = fit.yi, fit.vi
    method = check_choice("REML" if method is None else method, "method", METHODS)
    test = _canonical_test("z" if test is None else test)
    level = check_level(0.95 if level is None else level)
    yi, vi, labels, notes = read_effects(yi, vi, sei, labels, what)
    return yi, vi, labels, method, test, level, notes


def _row(res):
    return {c: getattr(res, c) for c in _COLUMNS}


def _names(labels, k):
    return list(labels) if labels is not None else [f"Study {i + 1}" for i in range(k)]


@dataclasses.dataclass(frozen=True, repr=False)
class LeaveOneOutResult(Result):
    """Result of :func:`leave_one_out`.

    Attributes
    ----------
    table : DataFrame
        One row per omitted study (index: the omitted study) with the columns of
        :class:`~kmeta.MetaResult`: ``k, estimate, se, stat, pval, ci_low, ci_high, q,
        q_df, q_pval, tau2, i2, h2, pi_low, pi_high``.
    full : MetaResult
        The analysis of all studies.
    method, test, level
        Settings of every fit.
    notes : tuple of str
    """

    table: pd.DataFrame
    full: object
    method: str
    test: str
    level: float
    notes: tuple = ()

    @property
    def significance_changes(self) -> pd.Series:
        """Omitted studies whose removal moves the p-value across 1 - level."""
        alpha = 1.0 - self.level
        return (self.table["pval"] < alpha) != (self.full.pval < alpha)

    @property
    def outside_ci(self) -> pd.Series:
        """Omitted studies whose removal moves the estimate outside the full analysis' CI."""
        return (self.table["estimate"] < self.full.ci_low) | (self.table["estimate"] > self.full.ci_high)

    def to_frame(self) -> pd.DataFrame:
        """The table (one row per omitted study)."""
        return self.table.copy()

    def summary(self) -> str:
        f = self.full
        lines = [f"Leave-one-out analysis (k = {f.k}; method {self.method}, test {self.test})", "",
                 f"{'omitted':<24} {'estimate':>9} {'ci.lb':>9} {'ci.ub':>9} {'pval':>8} {'tau^2':>8} {'I^2':>7}"]
        for name, r in self.table.iterrows():
            lines.append(f"{str(name)[:24]:<24} {format_num(r.estimate):>9} {format_num(r.ci_low):>9} "
                         f"{format_num(r.ci_high):>9} {format_p(r.pval):>8} {format_num(r.tau2):>8} "
                         f"{format_num(r.i2, 1):>6}%")
        lines += ["", f"{'all studies':<24} {format_num(f.estimate):>9} {format_num(f.ci_low):>9} "
                      f"{format_num(f.ci_high):>9} {format_p(f.pval):>8} {format_num(f.tau2):>8} {format_num(f.i2, 1):>6}%"]
        lines.append(f"estimates range from {format_num(self.table['estimate'].min())} to "
                     f"{format_num(self.table['estimate'].max())}; significance at {1 - self.level:g} changes when "
                     f"omitting: {', '.join(map(str, self.table.index[self.significance_changes])) or 'none'}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def leave_one_out(yi, vi=None, *, sei=None, method=None, test=None, level=None, labels=None) -> LeaveOneOutResult:
    """Leave-one-out sensitivity analysis, as metafor's ``leave1out``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances; or a :class:`~kmeta.MetaResult` as ``yi``
        (its data and settings are reused); or a DataFrame with ``yi``/``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    method, test, level : optional
        As :func:`kmeta.meta` (defaults: the MetaResult's, else ``"REML"``, ``"z"``, 0.95).
    labels : sequence of str, optional
        Study names (the index of the table).

    Returns
    -------
    LeaveOneOutResult
        ``table`` (one row per omitted study) and ``full``.

    Raises
    ------
    ValueError
        Bad data, k < 2, an unknown option.

    Examples
    --------
    >>> res = leave_one_out([-2.1, -1.5, -2.6, -1.2], [0.2, 0.3, 0.4, 0.1], method="DL", labels=list("ABCD"))
    >>> list(res.table.index), int(res.table["k"].iloc[0])
    (['A', 'B', 'C', 'D'], 3)
    """
    from .meta import meta

    yi, vi, labels, method, test, level, notes = _setup(yi, vi, sei, method, test, level, labels, "leave_one_out")
    k = yi.shape[0]
    check_k(k, 2, "a leave-one-out analysis")
    names = _names(labels, k)
    rows = []
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[:] = True
        keep[i] = False
        sub = [names[j] for j in range(k) if j != i]
        res = meta(yi[keep], vi[keep], method=method, test=test, level=level, labels=sub)
        rows.append(_row(res))
    table = pd.DataFrame(rows, index=pd.Index(names, name="omitted"))
    full = meta(yi, vi, method=method, test=test, level=level, labels=labels)
    if k == 2 and test != "z":
        notes = list(notes) + ["k = 2: each fit has one study, so the z test was used (as metafor)"]
    return LeaveOneOutResult(table=table, full=full, method=method, test=test, level=level, notes=tuple(notes))


@dataclasses.dataclass(frozen=True, repr=False)
class CumulativeResult(Result):
    """Result of :func:`cumulative`.

    Attributes
    ----------
    table : DataFrame
        One row per step (index: the study added at that step) with the columns of
        :class:`~kmeta.MetaResult` (``k`` is the number of studies pooled so far).
    order : ndarray of int
        The positions of the studies in the input, in the order they were added.
    method, test, level
        Settings (the first row, k = 1, always uses the z test).
    notes : tuple of str
    """

    table: pd.DataFrame
    order: np.ndarray
    method: str
    test: str
    level: float
    notes: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """The table (one row per step)."""
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Cumulative meta-analysis (k = {len(self.table)}; method {self.method}, test {self.test})", "",
                 f"{'adding':<24} {'k':>3} {'estimate':>9} {'ci.lb':>9} {'ci.ub':>9} {'pval':>8} {'tau^2':>8}"]
        for name, r in self.table.iterrows():
            lines.append(f"{str(name)[:24]:<24} {int(r.k):>3} {format_num(r.estimate):>9} {format_num(r.ci_low):>9} "
                         f"{format_num(r.ci_high):>9} {format_p(r.pval):>8} {format_num(r.tau2):>8}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def cumulative(yi, vi=None, *, sei=None, order=None, decreasing=False, method=None, test=None, level=None,
               labels=None) -> CumulativeResult:
    """Cumulative meta-analysis, as metafor's ``cumul``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances; or a :class:`~kmeta.MetaResult` as ``yi``
        (its data and settings are reused); or a DataFrame with ``yi``/``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    order : array_like, optional
        A value per study to sort by (e.g. the publication year), as metafor 3.8's
        ``order`` argument: studies are added in increasing order of these values
        (decreasing with ``decreasing=True``), ties in their input order. Default: the
        input order.
    decreasing : bool
        Sort ``order`` decreasingly.
    method, test, level : optional
        As :func:`kmeta.meta`.
    labels : sequence of str, optional
        Study names (the index of the table).

    Returns
    -------
    CumulativeResult

    Raises
    ------
    ValueError
        Bad data, ``order`` of the wrong length or with missing values (naming the
        study), an unknown option.

    Examples
    --------
    >>> res = cumulative([-2.1, -1.5, -2.6, -1.2], [0.2, 0.3, 0.4, 0.1], order=[2004, 1999, 2011, 2001],
    ...                  method="FE", labels=list("ABCD"))
    >>> list(res.table.index)
    ['B', 'D', 'A', 'C']
    """
    from .meta import meta

    yi, vi, labels, method, test, level, notes = _setup(yi, vi, sei, method, test, level, labels, "cumulative")
    k = yi.shape[0]
    names = _names(labels, k)
    if not isinstance(decreasing, (bool, np.bool_)):
        raise ValueError(f"decreasing: expected True or False, got {decreasing!r}")
    if order is None:
        idx = np.arange(k)
    else:
        s = pd.Series(list(order) if not isinstance(order, pd.Series) else order.tolist())
        if isinstance(order, str) or s.shape[0] != k:
            raise ValueError(f"order: has {1 if isinstance(order, str) else s.shape[0]} values but there are {k} studies")
        miss = s.isna().to_numpy()
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise ValueError(f"order: {where(i, labels)} has no value to sort by (missing)")
        try:
            rank = s.rank(method="dense").to_numpy(float)
        except TypeError:
            raise ValueError("order: values cannot be compared with each other (mixed types?)") from None
        idx = np.argsort(-rank if decreasing else rank, kind="stable")
    rows = []
    for i in range(1, k + 1):
        sel = idx[:i]
        res = meta(yi[sel], vi[sel], method=method, test=test, level=level, labels=[names[j] for j in sel])
        rows.append(_row(res))
    table = pd.DataFrame(rows, index=pd.Index([names[j] for j in idx], name="added"))
    if test != "z":
        notes = list(notes) + ["the first row has one study and uses the z test (as metafor)"]
    return CumulativeResult(table=table, order=idx, method=method, test=test, level=level, notes=tuple(notes))
