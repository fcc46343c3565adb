"""Peto's one-step odds ratio (metafor's ``rma.peto``, RevMan's "Peto")."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._result import Result, format_num, p_phrase
from ._validate import check_level
from .effect_sizes import effect_sizes
from .mh import _estimate_block, _study_table, _tables, _wald

__all__ = ["peto", "PetoResult"]


@dataclasses.dataclass(frozen=True, repr=False)
class PetoResult(Result):
    """Result of :func:`peto` (fields mirror metafor's ``rma.peto`` object).

    Attributes
    ----------
    measure, method : str
        ``"OR"`` and ``"Peto"``.
    k : int
        Number of tables (studies) given.
    k_yi : int
        Studies with a study-level Peto log odds ratio.
    k_pos : int
        Studies with information :math:`V_i > 0` (at least one event and one non-event).
    estimate, se : float
        Pooled log odds ratio and its standard error.
    stat, pval : float
        Wald z statistic and two-sided p-value.
    ci_low, ci_high : float
        Confidence interval for the log odds ratio at ``level``.
    estimate_exp, ci_low_exp, ci_high_exp : float
        The odds ratio and its confidence interval.
    q, q_df, q_pval : float, int, float
        Peto's heterogeneity statistic, df (k_yi - 1) and p-value.
    i2, h2 : float
        I² (percent) and H² from that Q.
    level : float
        Confidence level.
    weights : numpy.ndarray
        Weights :math:`V_i / \\sum V_i` in percent.
    yi, vi : numpy.ndarray
        Study-level Peto log odds ratios and variances (NaN where excluded).
    labels : tuple of str or None
    notes : tuple of str
    """

    measure: str
    method: str
    k: int
    k_yi: int
    k_pos: int
    estimate: float
    se: float
    stat: float
    pval: float
    ci_low: float
    ci_high: float
    estimate_exp: float
    ci_low_exp: float
    ci_high_exp: float
    q: float
    q_df: int
    q_pval: float
    i2: float
    h2: float
    level: float
    weights: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    notes: tuple = ()

    def study_table(self) -> pd.DataFrame:
        """One row per study: label, yi, vi, study CI (normal), Peto weight (percent)."""
        return _study_table(self)

    def summary(self) -> str:
        lines = [f"Common-effect model, Peto's method (odds ratio; k = {self.k})", ""]
        lines.append(f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}")
        lines.append(
            f"Test for heterogeneity: Q(df = {self.q_df}) = {format_num(self.q)}, {p_phrase(self.q_pval)}"
        )
        lines += ["", _estimate_block(self, "OR")]
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def peto(
    e1,
    n1,
    e2,
    n2,
    *,
    labels=None,
    level: float = 0.95,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = True,
) -> PetoResult:
    r"""Peto's one-step (O − E) common-effect meta-analysis of odds ratios.

    Matches metafor's ``rma.peto(ai=e1, n1i=n1, ci=e2, n2i=n2)`` (Yusuf et al., 1985).
    With :math:`a_i` events among :math:`n_{1i}` (experimental) and :math:`c_i` among
    :math:`n_{2i}` (control), :math:`N_i = n_{1i} + n_{2i}`, :math:`m_{1i} = a_i + c_i`
    events and :math:`m_{2i} = N_i - m_{1i}` non-events:

    .. math::

        O_i - E_i = a_i - \frac{n_{1i} m_{1i}}{N_i}, \qquad
        V_i = \frac{m_{1i} m_{2i} n_{1i} n_{2i}}{N_i^2 (N_i - 1)},

    .. math::

        \log\widehat{OR} = \frac{\sum (O_i - E_i)}{\sum V_i}, \qquad
        SE = \frac{1}{\sqrt{\sum V_i}},

    with Wald tests and intervals. Heterogeneity is Peto's statistic
    :math:`Q = \sum_{V_i > 0} (O_i - E_i)^2 / V_i - \{\sum (O_i - E_i)\}^2 / \sum V_i`
    on :math:`k_{y} - 1` df, with :math:`I^2 = \max(0, 100(Q - df)/Q)`, :math:`H^2 =
    Q/df`. Weights are :math:`V_i/\sum V_i` (percent).

    Parameters
    ----------
    e1, n1 : array_like
        Events and participants in the experimental arm, one value per study.
    e2, n2 : array_like
        Events and participants in the control arm.
    labels : sequence of str, optional
        Study names.
    level : float
        Confidence level (0.95; 95 is accepted).
    add, to, drop00
        How the study-level Peto log odds ratios in ``yi``/``vi`` (study table, forest
        plots) are computed, see :func:`kmeta.effect_sizes` (measure ``"PETO"``);
        defaults as metafor's ``rma.peto``. The pooled estimate always uses the raw
        counts (Peto's method needs no correction); pass ``add=0`` to get the
        uncorrected study odds ratios RevMan shows.

    Returns
    -------
    PetoResult

    Notes
    -----
    Tables without events (or without non-events) have :math:`V_i = 0`: they carry no
    information, get weight 0, and are listed in ``notes``. If no table has
    information the pooled odds ratio is undefined: everything is NaN and a note says
    so (metafor stops with an error).

    Peto's method is biased when the odds ratio is far from 1 or the arms are very
    unbalanced (Greenland & Salvan, 1990; Bradburn et al., 2007); it suits rare events
    in balanced trials.

    References
    ----------
    Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade
    during and after myocardial infarction: An overview of the randomized trials.
    *Progress in Cardiovascular Diseases*, 27(5), 335–371.

    Bradburn, M. J., Deeks, J. J., Berlin, J. A., & Localio, A. R. (2007). Much ado
    about nothing: a comparison of the performance of meta-analytical methods with rare
    events. *Statistics in Medicine*, 26(1), 53–77.

    Examples
    --------
    >>> res = peto([4, 6, 0], [50, 60, 20], [10, 12, 0], [50, 58, 20])
    >>> round(res.estimate_exp, 4), res.k_pos
    (0.4092, 2)
    """
    from scipy import stats  # imported on use: it takes a second to load
    level = check_level(level)
    a, b, c, d, lab = _tables(e1, n1, e2, n2, labels)
    k = a.shape[0]
    n1a, n2a = a + b, c + d
    N = n1a + n2a
    xt, yt = a + c, b + d
    notes: list[str] = []
    names = lab if lab is not None else [f"study {i}" for i in range(k)]

    es = effect_sizes("PETO", e1=a, n1=n1a, e2=c, n2=n2a, labels=lab, add=add, to=to, drop00=drop00)
    yi, vi = es["yi"].to_numpy(), es["vi"].to_numpy()
    k_yi = int(np.sum(np.isfinite(yi) & np.isfinite(vi)))

    oe = a - xt * n1a / N
    V = xt * yt * (n1a / N) * (n2a / N) / (N - 1)
    for i in np.flatnonzero(V == 0):
        what = "no events in either arm" if xt[i] == 0 else "every participant had the event in both arms"
        notes.append(f"{names[i]}: {what}; no information for Peto's OR (weight 0)")
    sv = float(V.sum())
    pos = V > 0
    k_pos = int(pos.sum())
    if sv == 0:
        notes.append("pooled odds ratio undefined: no table has both events and non-events")
        beta = se = np.nan
        weights = np.full(k, np.nan)
    else:
        beta = float(oe.sum() / sv)
        se = float(1 / np.sqrt(sv))
        weights = 100.0 * V / sv
    z, p, lo, hi = _wald(beta, se, level)

    if sv == 0:
        q = q_p = i2 = h2 = np.nan
        q_df = max(k_yi - 1, 0)
    else:
        q = max(0.0, float(np.sum(oe[pos] ** 2 / V[pos]) - oe.sum() ** 2 / sv))
        if k_pos > 1:
            q_df = k_yi - 1
            q_p = float(stats.chi2.sf(q, q_df)) if q_df > 0 else 1.0
            i2 = max(0.0, 100.0 * (q - q_df) / q) if q > 0 else 0.0
            h2 = q / q_df if q_df > 0 else 1.0
        else:
            q_df, q_p, i2, h2 = max(k_yi - 1, 0), 1.0, 0.0, 1.0

    bexp, lexp, hexp = (float(np.exp(x)) if np.isfinite(x) else np.nan for x in (beta, lo, hi))
    return PetoResult(
        measure="OR", method="Peto", k=k, k_yi=k_yi, k_pos=k_pos,
        estimate=float(beta), se=float(se), stat=float(z), pval=float(p),
        ci_low=float(lo), ci_high=float(hi),
        estimate_exp=bexp, ci_low_exp=lexp, ci_high_exp=hexp,
        q=float(q), q_df=int(q_df), q_pval=float(q_p), i2=float(i2), h2=float(h2),
        level=level, weights=weights, yi=yi, vi=vi,
        labels=tuple(lab) if lab is not None else None, notes=tuple(notes),
    )
