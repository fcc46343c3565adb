"""Mantel–Haenszel pooling of 2x2 tables (metafor's ``rma.mh``, RevMan's "M-H").

The Mantel–Haenszel method pools risk ratios, odds ratios or risk differences under
a common-effect (fixed-effect) model directly from the event counts. It needs no
continuity correction, which makes it the method of choice for sparse data.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._result import Result, format_num, format_p, p_phrase
from ._validate import as_array, check_choice, check_level, study_labels
from .effect_sizes import _check_counts, effect_sizes

__all__ = ["mh", "MHResult"]

_MEASURE_NAMES = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}


def _tables(e1, n1, e2, n2, labels):
    """Validated 2x2 tables; returns (a, b, c, d, labels)."""
    first = np.asarray(e1, dtype=object)
    k = 1 if first.ndim == 0 else len(first)
    lab = study_labels(labels, k)
    e1 = as_array(e1, "e1", lab, k)
    n1 = as_array(n1, "n1", lab, k)
    e2 = as_array(e2, "e2", lab, k)
    n2 = as_array(n2, "n2", lab, k)
    _check_counts(e1, n1, "e1", "n1", lab)
    _check_counts(e2, n2, "e2", "n2", lab)
    return e1, n1 - e1, e2, n2 - e2, lab


def _q_stats(yi, vi, beta):
    """Cochran's Q of the study estimates around ``beta`` as metafor reports for MH/Peto.

    Uses the studies with finite ``yi`` and ``vi > 0``. Returns (q, df, pval, i2, h2,
    k_yi); for k_yi <= 1: Q = 0, p = 1, I² = 0, H² = 1 (metafor's convention).
    """
    from scipy import stats  # imported on use: it takes a second to load
    ok = np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
    k_yi = int(ok.sum())
    if k_yi <= 1:
        return 0.0, 0, 1.0, 0.0, 1.0, k_yi
    if not np.isfinite(beta):
        return np.nan, k_yi - 1, np.nan, np.nan, np.nan, k_yi
    q = max(0.0, float(np.sum((yi[ok] - beta) ** 2 / vi[ok])))
    df = k_yi - 1
    pval = float(stats.chi2.sf(q, df))
    i2 = max(0.0, 100.0 * (q - df) / q) if q > 0 else 0.0
    return q, df, pval, i2, q / df, k_yi


def _wald(beta, se, level):
    from scipy import stats  # imported on use: it takes a second to load
    if not (np.isfinite(beta) and np.isfinite(se)):
        return np.nan, np.nan, np.nan, np.nan
    if se == 0:  # e.g. an RD when every arm has no events or only events: no test, a point CI
        return np.nan, np.nan, beta, beta
    z = beta / se
    crit = stats.norm.isf((1 - level) / 2)
    return z, float(2 * stats.norm.sf(abs(z))), beta - crit * se, beta + crit * se


@dataclasses.dataclass(frozen=True, repr=False)
class MHResult(Result):
    """Result of :func:`mh` (fields mirror metafor's ``rma.mh`` object).

    Attributes
    ----------
    measure : str
        ``"RR"``, ``"OR"`` or ``"RD"``.
    method : str
        ``"MH"``.
    k : int
        Number of tables (studies) given; all enter the Mantel–Haenszel sums
        (double-zero tables contribute nothing to a ratio and weight 0).
    k_yi : int
        Studies with a study-level estimate (used for Q).
    estimate, se : float
        Pooled estimate on the analysis scale (log RR, log OR, or RD) and its
        standard error.
    stat, pval : float
        Wald z statistic and two-sided p-value for H0: estimate = 0.
    ci_low, ci_high : float
        Wald confidence interval at ``level``.
    estimate_exp, ci_low_exp, ci_high_exp : float
        The estimate and interval exponentiated (the RR or OR itself); NaN for RD.
    q, q_df, q_pval : float, int, float
        Cochran's Q of the study-level inverse-variance estimates around the MH
        estimate, its df (k_yi - 1) and p-value.
    i2, h2 : float
        I² (percent) and H² derived from that Q.
    cmh, cmh_pval : float
        Cochran–Mantel–Haenszel test of H0: OR = 1 (1 df); NaN unless ``measure="OR"``.
    bd, bd_pval : float
        Breslow–Day test for heterogeneity of the OR; NaN unless ``measure="OR"``.
    tarone, tarone_pval : float
        Tarone's corrected Breslow–Day test; NaN unless ``measure="OR"``.
    k_pos : int
        Tables used by the Breslow–Day/Tarone tests (df = k_pos - 1).
    level : float
        Confidence level.
    correct : bool
        Whether the CMH test used the continuity correction.
    weights : numpy.ndarray
        Mantel–Haenszel weights in percent, one per study.
    yi, vi : numpy.ndarray
        Study-level estimates and variances (NaN for excluded studies).
    labels : tuple of str or None
        Study labels.
    notes : tuple of str
        Zero-cell handling and anything else the reader should know.
    """

    measure: str
    method: str
    k: int
    k_yi: int
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
    cmh: float
    cmh_pval: float
    bd: float
    bd_pval: float
    tarone: float
    tarone_pval: float
    k_pos: int
    level: float
    correct: bool
    weights: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    notes: tuple = ()

    def study_table(self) -> pd.DataFrame:
        """One row per study: label, yi, vi, study CI (normal), MH weight (percent)."""
        return _study_table(self)

    def summary(self) -> str:
        name = self.measure if self.measure != "RD" else "RD"
        lines = [
            f"Common-effect model, Mantel-Haenszel method ({_MEASURE_NAMES[self.measure]}; "
            f"k = {self.k})",
            "",
        ]
        lines.append(f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}")
        lines.append(
            f"Test for heterogeneity: Q(df = {self.q_df}) = {format_num(self.q)}, {p_phrase(self.q_pval)}"
        )
        if self.measure == "OR":
            lines.append(
                f"Tarone's test for heterogeneity: X^2(df = {max(self.k_pos - 1, 0)}) = "
                f"{format_num(self.tarone)}, {p_phrase(self.tarone_pval)}"
            )
            lines.append(
                f"Cochran-Mantel-Haenszel test: CMH = {format_num(self.cmh)}, df = 1, "
                f"{p_phrase(self.cmh_pval)}"
                + ("" if self.correct else " (no continuity correction)")
            )
        lines += ["", _estimate_block(self, name)]
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def _estimate_block(res, name) -> str:
    scale = {"RR": "log RR", "OR": "log OR", "RD": "RD"}.get(res.measure, "log OR")
    pct = f"{100 * res.level:g}%"
    header = f"{'':>8} {'estimate':>10} {'se':>9} {'zval':>9} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"
    row = (
        f"{scale:>8} {format_num(res.estimate):>10} {format_num(res.se):>9} {format_num(res.stat):>9} "
        f"{format_p(res.pval):>8} {format_num(res.ci_low):>9} {format_num(res.ci_high):>9}"
    )
    lines = [header, row]
    if res.measure != "RD":
        lines.append(
            f"{name:>8} {format_num(res.estimate_exp):>10} {'':>9} {'':>9} {'':>8} "
            f"{format_num(res.ci_low_exp):>9} {format_num(res.ci_high_exp):>9}"
        )
    lines.append(f"({pct} Wald confidence interval)")
    return "\n".join(lines)


def _study_table(res) -> pd.DataFrame:
    from scipy import stats  # imported on use: it takes a second to load
    z = stats.norm.isf((1 - res.level) / 2)
    sei = np.sqrt(res.vi)
    labels = res.labels if res.labels is not None else [str(i) for i in range(res.k)]
    return pd.DataFrame(
        {
            "study": list(labels),
            "yi": res.yi,
            "vi": res.vi,
            "ci_low": res.yi - z * sei,
            "ci_high": res.yi + z * sei,
            "weight": res.weights,
        }
    )


def mh(
    e1,
    n1,
    e2,
    n2,
    *,
    measure: str = "RR",
    labels=None,
    level: float = 0.95,
    correct: bool = True,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = True,
) -> MHResult:
    r"""Mantel–Haenszel common-effect meta-analysis of 2x2 tables.

    Matches metafor's ``rma.mh(measure, ai=e1, n1i=n1, ci=e2, n2i=n2)`` (and RevMan's
    Mantel–Haenszel fixed-effect analysis). With :math:`a_i, c_i` the events and
    :math:`b_i = n_{1i} - a_i`, :math:`d_i = n_{2i} - c_i` the non-events in the
    experimental and control arms, :math:`N_i = n_{1i} + n_{2i}`:

    *Odds ratio* (Mantel & Haenszel, 1959):
    :math:`\widehat{OR} = R/S`, :math:`R = \sum a_i d_i/N_i`, :math:`S = \sum b_i c_i/N_i`,
    with the Robins–Breslow–Greenland (1986) variance of :math:`\log\widehat{OR}`

    .. math::

        \frac{\sum P_i R_i}{2R^2} + \frac{\sum (P_i S_i + Q_i R_i)}{2RS}
        + \frac{\sum Q_i S_i}{2S^2},

    :math:`P_i = (a_i + d_i)/N_i`, :math:`Q_i = (b_i + c_i)/N_i`,
    :math:`R_i = a_i d_i/N_i`, :math:`S_i = b_i c_i/N_i`.

    *Risk ratio* (Nurminen, 1981; Tarone, 1981):
    :math:`\widehat{RR} = \sum a_i n_{2i}/N_i \big/ \sum c_i n_{1i}/N_i`, with the
    Greenland–Robins (1985) variance of :math:`\log\widehat{RR}`:
    :math:`\sum (n_{1i} n_{2i} (a_i + c_i)/N_i^2 - a_i c_i/N_i) / (R S)`, here
    :math:`R = \sum a_i n_{2i}/N_i`, :math:`S = \sum c_i n_{1i}/N_i`.

    *Risk difference* (Greenland & Robins, 1985): weights
    :math:`w_i = n_{1i} n_{2i}/N_i`, :math:`\widehat{RD} = \sum w_i (a_i/n_{1i} -
    c_i/n_{2i}) / \sum w_i`, with the Sato, Greenland & Robins (1989) variance

    .. math::

        \frac{\widehat{RD}\sum\left(c_i n_{1i}^2 - a_i n_{2i}^2 + n_{1i} n_{2i}(n_{2i} -
        n_{1i})/2\right)/N_i^2 + \sum\left(a_i(n_{2i} - c_i) + c_i(n_{1i} - a_i)\right)/(2N_i)}
        {\left(\sum w_i\right)^2}.

    Confidence intervals and tests are Wald (normal) on the log scale for ratios.

    Heterogeneity: Cochran's Q of the study-level inverse-variance estimates (computed
    as :func:`kmeta.effect_sizes` does, with ``add``/``to``/``drop00``) around the MH
    estimate, :math:`Q = \sum (y_i - \hat\theta)^2 / v_i` on :math:`k_{y} - 1` df, with
    :math:`I^2 = \max(0, 100 (Q - df)/Q)` and :math:`H^2 = Q/df` -- what metafor
    reports for ``rma.mh`` and RevMan prints under an M-H analysis.

    For odds ratios also the Cochran–Mantel–Haenszel test (Cochran, 1954; Mantel &
    Haenszel, 1959) :math:`(|\sum (a_i - n_{1i} m_{1i}/N_i)| - 1/2)^2 / \sum n_{1i}
    n_{2i} m_{1i} m_{2i} / \{N_i^2 (N_i - 1)\}` (:math:`m_{1i} = a_i + c_i`,
    :math:`m_{2i} = b_i + d_i`; without the 1/2 when ``correct=False``), and the
    Breslow–Day test with Tarone's (1985) correction for heterogeneity of the odds ratios.

    Weights (percent): :math:`b_i c_i/N_i` (OR), :math:`c_i n_{1i}/N_i` (RR),
    :math:`n_{1i} n_{2i}/N_i` (RD), as metafor's ``weights.rma.mh``.

    Parameters
    ----------
    e1, n1 : array_like
        Events and participants in the experimental arm, one value per study.
    e2, n2 : array_like
        Events and participants in the control arm.
    measure : {"RR", "OR", "RD"}
        Risk ratio (default), odds ratio, or risk difference.
    labels : sequence of str, optional
        Study names.
    level : float
        Confidence level (0.95; 95 is accepted, as in metafor).
    correct : bool
        Continuity correction in the CMH test (default True, as metafor).
    add, to, drop00
        How the *study-level* estimates (``yi``, ``vi``, used only for Q, I² and the
        study table) are computed; see :func:`kmeta.effect_sizes`. Defaults as
        metafor's ``rma.mh``: 0.5 added to tables with a zero cell, double-zero (and
        all-event) studies excluded -- for all three measures. The Mantel–Haenszel
        estimate itself always uses the raw counts, without correction.

    Returns
    -------
    MHResult

    Notes
    -----
    Studies with no events in either arm (or with every participant an event in both
    arms) contribute nothing to a pooled RR or OR: their MH weight is 0 and they have
    no study-level estimate, so they are not counted in the df of Q; a note lists them.
    For the RD they do contribute to the MH estimate (weight :math:`n_1 n_2/N`) but,
    as in metafor with ``drop00=True``, not to Q.

    When the pooled ratio is undefined (no events in one arm of every study for RR;
    :math:`R = 0` or :math:`S = 0` for OR) the estimate and everything derived from it
    are NaN and a note says why.

    When every arm of every study has either no events or only events, the risk
    difference is known without sampling error: its variance is 0. Rounding can leave
    the computed variance a few units in the last place either side of 0 (metafor
    3.8-1 reports a standard error of 7.9e-9 for 0/1 events against 18/18; a negative
    one would be NaN); kmeta sets it to 0. The standard error is then 0, the CI is the
    point estimate, there is no test, and a note says so.

    References
    ----------
    Cochran, W. G. (1954). Some methods for strengthening the common chi-square tests.
    *Biometrics*, 10(4), 417–451.

    Greenland, S., & Robins, J. M. (1985). Estimation of a common effect parameter from
    sparse follow-up data. *Biometrics*, 41(1), 55–68.

    Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data from
    retrospective studies of disease. *Journal of the National Cancer Institute*,
    22(4), 719–748.

    Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the Mantel–Haenszel
    variance consistent in both sparse data and large-strata limiting models.
    *Biometrics*, 42(2), 311–323.

    Sato, T., Greenland, S., & Robins, J. M. (1989). On the variance estimator for the
    Mantel–Haenszel risk difference. *Biometrics*, 45(4), 1323–1324.

    Tarone, R. E. (1985). On heterogeneity tests based on efficient scores.
    *Biometrika*, 72(1), 91–95.

    Examples
    --------
    >>> res = mh([4, 6, 0], [50, 60, 20], [10, 12, 0], [50, 58, 20], measure="RR",
    ...          labels=["A", "B", "C"])
    >>> round(res.estimate_exp, 4), res.k, res.k_yi
    (0.4458, 3, 2)
    >>> res.weights.round(1).tolist()
    [45.0, 55.0, 0.0]
    """
    from scipy import stats  # imported on use: it takes a second to load
    measure = check_choice(measure, "measure", ("RR", "OR", "RD"))
    level = check_level(level)
    a, b, c, d, lab = _tables(e1, n1, e2, n2, labels)
    k = a.shape[0]
    n1a, n2a = a + b, c + d
    N = n1a + n2a
    notes: list[str] = []

    es = effect_sizes(measure, e1=a, n1=n1a, e2=c, n2=n2a, labels=lab, add=add, to=to, drop00=drop00)
    yi, vi = es["yi"].to_numpy(), es["vi"].to_numpy()
    names = lab if lab is not None else [f"study {i}" for i in range(k)]
    none00 = (a == 0) & (c == 0)
    all11 = (b == 0) & (d == 0)
    for i in np.flatnonzero(none00 | all11):
        what = "no events in either arm" if none00[i] else "every participant had the event in both arms"
        if measure == "RD":
            notes.append(
                f"{names[i]}: {what}; included in the MH risk difference"
                + (", excluded from Q" if drop00 else "")
            )
        else:
            notes.append(f"{names[i]}: {what}; contributes nothing to the MH {measure} (weight 0)"
                         + (", excluded from Q" if drop00 else ""))

    cmh = cmh_p = bd = bd_p = ta = ta_p = np.nan
    k_pos = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            Ri, Si = a * d / N, b * c / N
            Pi, Qi = (a + d) / N, (b + c) / N
            R, S = Ri.sum(), Si.sum()
            if R == 0 or S == 0:
                beta = se = np.nan
                notes.append("pooled odds ratio undefined: " + ("no table has a*d > 0" if R == 0 else "no table has b*c > 0"))
            else:
                beta = float(np.log(R / S))
                se = float(np.sqrt(0.5 * ((Pi * Ri).sum() / R**2 + (Pi * Si + Qi * Ri).sum() / (R * S) + (Qi * Si).sum() / S**2)))
            wts = b * c / N
            # Cochran-Mantel-Haenszel test
            xt, yt = a + c, b + d
            if xt.sum() > 0 and yt.sum() > 0:
                dev = abs(float(np.sum(a - n1a * xt / N))) - (0.5 if correct else 0.0)
                cmh = dev**2 / float(np.sum(n1a * n2a * xt * yt / (N**2 * (N - 1))))
                cmh_p = float(stats.chi2.sf(cmh, 1))
            if np.isfinite(beta):
                bd, bd_p, ta, ta_p, k_pos = _breslow_day(a, n1a, n2a, xt, yt, N, R / S)
        elif measure == "RR":
            R, S = float(np.sum(a * n2a / N)), float(np.sum(c * n1a / N))
            if a.sum() == 0 or c.sum() == 0:
                beta = se = np.nan
                notes.append("pooled risk ratio undefined: no events in the "
                             + ("experimental" if a.sum() == 0 else "control") + " arm of any study")
            else:
                beta = float(np.log(R / S))
                se = float(np.sqrt(np.sum(n1a * n2a * (a + c) / N**2 - a * c / N) / (R * S)))
            wts = c * n1a / N
        else:  # RD
            w = n1a * n2a / N
            sw = w.sum()
            beta = float(np.sum(a * n2a / N - c * n1a / N) / sw)
            part1 = beta * np.sum(c * n1a**2 / N**2 - a * n2a**2 / N**2 + n1a * n2a * (n2a - n1a) / (2 * N**2))
            part2 = np.sum(a * (n2a - c) / N + c * (n1a - a) / N) / 2
            num = part1 + part2
            if abs(num) <= 64 * np.finfo(float).eps * (abs(part1) + abs(part2)):
                # a variance that is exactly 0 (every arm has all or no events, e.g. 0/1
                # against 18/18), left a few ulp either side of 0 by rounding
                num = 0.0
            var = num / sw**2
            if var >= 0:
                se = float(np.sqrt(var))
            else:
                se = np.nan
                notes.append(f"the Sato-Greenland-Robins variance is negative ({var:.3g}): "
                             "no standard error, test or CI")
            wts = w
        sw = wts.sum()
        weights = 100.0 * wts / sw if sw > 0 else np.full(k, np.nan)

    if se == 0:
        notes.append("standard error is 0 (every arm has either no events or only events): "
                     "no test, the CI is a point")
    z, p, lo, hi = _wald(beta, se, level)
    q, q_df, q_p, i2, h2, k_yi = _q_stats(yi, vi, beta)
    if measure == "RD":
        bexp = lexp = hexp = np.nan
    else:
        bexp, lexp, hexp = (float(np.exp(x)) if np.isfinite(x) else np.nan for x in (beta, lo, hi))
    return MHResult(
        measure=measure, method="MH", k=k, k_yi=k_yi,
        estimate=float(beta), se=float(se), stat=float(z), pval=float(p),
        ci_low=float(lo), ci_high=float(hi),
        estimate_exp=bexp, ci_low_exp=lexp, ci_high_exp=hexp,
        q=float(q), q_df=int(q_df), q_pval=float(q_p), i2=float(i2), h2=float(h2),
        cmh=float(cmh), cmh_pval=float(cmh_p), bd=float(bd), bd_pval=float(bd_p),
        tarone=float(ta), tarone_pval=float(ta_p), k_pos=int(k_pos),
        level=level, correct=bool(correct), weights=weights, yi=yi, vi=vi,
        labels=tuple(lab) if lab is not None else None, notes=tuple(notes),
    )


def _breslow_day(a, n1, n2, xt, yt, N, psi):
    """Breslow–Day statistic and Tarone's correction at the MH odds ratio ``psi``.

    For each table the expected count :math:`\\tilde a_i` of the (1,1) cell with the
    margins fixed and odds ratio ``psi`` solves a quadratic (Breslow & Day, 1980).
    """
    from scipy import stats  # imported on use: it takes a second to load
    if psi == 1:
        e11 = n1 * xt / N
    else:
        A = psi * (n1 + xt) + (n2 - xt)
        B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
        e11 = (A - B) / (2 * (psi - 1))
    pos = (e11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(pos.sum())
    e11 = e11[pos]
    e12 = n1[pos] - e11
    e21 = xt[pos] - e11
    e22 = N[pos] - n1[pos] - xt[pos] + e11
    inv = 1 / e11 + 1 / e12 + 1 / e21 + 1 / e22  # 1 / Var(a_i) under psi
    dev = a[pos] - e11
    bd = max(0.0, float(np.sum(dev**2 * inv)))
    ta = max(0.0, bd - float(np.sum(dev)) ** 2 / float(np.sum(1 / inv)))
    if k_pos > 1:
        return bd, float(stats.chi2.sf(bd, k_pos - 1)), ta, float(stats.chi2.sf(ta, k_pos - 1)), k_pos
    return bd, np.nan, ta, np.nan, k_pos
