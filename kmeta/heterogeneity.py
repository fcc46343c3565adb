r"""Heterogeneity statistics: Cochran's Q, I², H² and the prediction interval.

Definitions follow metafor (Viechtbauer 2010) and Higgins and Thompson (2002):

* Cochran's :math:`Q = \sum w_i (y_i - \hat\mu_{FE})^2` with :math:`w_i = 1/v_i`, on
  :math:`k-1` degrees of freedom, whatever the τ² estimator.
* The *typical* within-study variance
  :math:`\tilde v = (k-1)\sum w_i / ((\sum w_i)^2 - \sum w_i^2)`.
* Under a random-effects model, :math:`I^2 = 100\,\hat\tau^2/(\hat\tau^2 + \tilde v)` and
  :math:`H^2 = \hat\tau^2/\tilde v + 1`. With the DerSimonian–Laird estimate (when it is
  positive) this equals the familiar :math:`I^2 = 100\,(Q - df)/Q` that RevMan and Stata
  print; with other estimators it differs.
* Under the common-effect model, :math:`I^2 = \max\{0, 100\,(Q-df)/Q\}` and
  :math:`H^2 = Q/df`.
* The prediction interval for the true effect in a new study (Higgins, Thompson and
  Spiegelhalter 2009; Riley et al. 2011):
  :math:`\hat\mu \pm t_{k-2,\,1-\alpha/2}\sqrt{SE(\hat\mu)^2 + \hat\tau^2}`; undefined for
  :math:`k < 3`.

The functions accept scalars or numpy arrays and broadcast, so the same code serves a
single meta-analysis and a batch of them. The converters between Q and I² are the
consistency checks a reader can run on a paper (:mod:`kmeta.forensics` uses them).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from ._result import Result, format_num, p_phrase
from ._validate import as_array, check_k, check_level, check_positive, study_labels

__all__ = [
    "cochran_q",
    "QTest",
    "typical_variance",
    "i2_from_q",
    "h2_from_q",
    "q_from_i2",
    "i2_from_tau2",
    "h2_from_tau2",
    "prediction_interval",
]


@dataclasses.dataclass(frozen=True, repr=False)
class QTest(Result):
    """Cochran's Q test for heterogeneity."""

    k: int
    q: float
    q_df: int
    q_pval: float
    i2: float
    h2: float

    def summary(self) -> str:
        return (
            f"Test for heterogeneity (k = {self.k}): Q(df = {self.q_df}) = {format_num(self.q)}, "
            f"{p_phrase(self.q_pval)}; I^2 = {format_num(self.i2, 2)}%, "
            f"H^2 = {format_num(self.h2)}"
        )


def _q_arrays(y, v, mask=None, return_c=False):
    """Q, df and typical variance for (R, k) arrays (mask: present studies).

    With ``return_c`` also ``c = sum w - sum w^2 / sum w`` (the DerSimonian-Laird
    denominator), so the DL estimator can reuse this pass over the data.
    """
    w = 1.0 / v
    if mask is not None:
        w = w * mask
        y = np.where(mask > 0, y, 0.0)
    ones = np.ones(w.shape[1])
    sw = w @ ones
    mu = (w * y) @ ones / sw
    r = y - mu[:, None]
    q = (w * r * r) @ ones
    k = np.full(w.shape[0], float(w.shape[1])) if mask is None else mask @ ones
    df = k - 1.0
    c = sw - (w * w) @ ones / sw
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = np.where(df > 0, df / c, 0.0)
    if return_c:
        return q, df, vt, c
    return q, df, vt


def _chi2_sf_int(x, d):
    """Chi-square survival function for one integer df ``d`` by its closed form.

    Even d = 2m: exp(-y) sum_{j<m} y^j/j!; odd d = 2m+1: erfc(sqrt y) +
    exp(-y) sum_{j=1..m} y^(j-1/2)/Gamma(j+1/2), with y = x/2. Several times faster
    than ``scipy.special.chdtrc`` on arrays (the batch engine needs one per row);
    tests hold it to 1e-12 of scipy.
    """
    y = 0.5 * x
    if d % 2 == 0:
        term = np.ones_like(y)
        total = np.ones_like(y)
        for j in range(1, d // 2):
            term = term * y / j
            total += term
        return np.exp(-y) * total
    sq = np.sqrt(y)
    term = sq * (2.0 / np.sqrt(np.pi))
    total = term.copy()
    for j in range(1, d // 2):
        term = term * y / (j + 0.5)
        total += term
    return special.erfc(sq) + (np.exp(-y) * total if d > 1 else 0.0)


def q_pvalue(q, df):
    """Upper-tail chi-square p-value of Q; 1 when df = 0 (k = 1), as metafor."""
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    if q.ndim == 0:
        return float(special.chdtrc(df, q)) if df > 0 else 1.0
    out = np.ones_like(q)
    if df.size and df[0] == df[-1] and (df == df[0]).all():  # one k for all rows (no sort)
        d = float(df[0])
        if d >= 1:
            out = _chi2_sf_int(q, int(d)) if (d <= 200 and d == int(d)) else special.chdtrc(d, q)
        return out
    for d in np.unique(df):
        rows = df == d
        if d < 1:
            continue
        if d <= 200 and d == int(d):
            out[rows] = _chi2_sf_int(q[rows], int(d))
        else:
            out[rows] = special.chdtrc(d, q[rows])
    return out


def cochran_q(yi, vi, *, labels=None) -> QTest:
    """Cochran's Q test with I² and H² as for a common-effect model.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances (``vi > 0``).
    labels : sequence of str, optional
        Study names for error messages.

    Returns
    -------
    QTest
        ``k, q, q_df, q_pval, i2`` (percent, ``max(0, 100 (Q - df)/Q)``), ``h2`` (Q/df).
        For k = 1, Q = 0 on 0 df with p = 1, I² = 0 and H² = 1 (metafor's convention).
    """
    yi = as_array(yi, "yi")
    k = yi.shape[0]
    check_k(k, 1, "cochran_q")
    labels = study_labels(labels, k)
    vi = as_array(vi, "vi", labels, k)
    check_positive(vi, "vi", labels, "sampling variances must be > 0")
    q, df, _ = _q_arrays(yi[None, :], vi[None, :])
    q, df = float(q[0]), int(df[0])
    return QTest(
        k=k,
        q=q,
        q_df=df,
        q_pval=float(q_pvalue(q, df)),
        i2=float(i2_from_q(q, df)),
        h2=float(h2_from_q(q, df)),
    )


def typical_variance(vi):
    r"""The 'typical' within-study variance :math:`(k-1)\sum w/((\sum w)^2 - \sum w^2)`."""
    vi = as_array(vi, "vi")
    check_positive(vi, "vi", None, "sampling variances must be > 0")
    check_k(vi.shape[0], 2, "the typical within-study variance")
    return float(_q_arrays(np.zeros((1, vi.shape[0])), vi[None, :])[2][0])


def i2_from_q(q, df):
    """I² in percent from Q and its degrees of freedom: ``max(0, 100 (Q - df) / Q)``.

    0 when df = 0 or Q = 0. Broadcasts over arrays.
    """
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        i2 = 100.0 * (q - df) / q
    out = np.where((df > 0) & (q > 0), np.maximum(i2, 0.0), 0.0)
    return out[()] if out.ndim == 0 else out


def h2_from_q(q, df):
    """H² = Q/df (1 when df = 0, as metafor does for k = 1)."""
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h2 = q / df
    out = np.where(df > 0, h2, 1.0)
    return out[()] if out.ndim == 0 else out


def q_from_i2(i2, df):
    """The Q that a printed I² implies: ``df / (1 - I²/100)`` for I² > 0.

    An I² of exactly 0 only says Q <= df, so this returns ``df`` there (the largest Q
    consistent with it); use intervals of printed precision to get the full range.
    """
    i2 = np.asarray(i2, dtype=float)
    df = np.asarray(df, dtype=float)
    if np.any((i2 < 0) | (i2 >= 100)):
        raise ValueError("i2: must be in [0, 100) percent")
    out = df / (1.0 - i2 / 100.0)
    return out[()] if out.ndim == 0 else out


def i2_from_tau2(tau2, vt):
    """I² (percent) of a random-effects model: ``100 tau2 / (tau2 + vt)``."""
    tau2 = np.asarray(tau2, dtype=float)
    vt = np.asarray(vt, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(tau2 > 0, 100.0 * tau2 / (tau2 + vt), 0.0)
    return out[()] if out.ndim == 0 else out


def h2_from_tau2(tau2, vt):
    """H² of a random-effects model: ``tau2 / vt + 1`` (1 when tau2 = 0)."""
    tau2 = np.asarray(tau2, dtype=float)
    vt = np.asarray(vt, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(tau2 > 0, tau2 / vt + 1.0, 1.0)
    return out[()] if out.ndim == 0 else out


def prediction_interval(estimate, se, tau2, k, level=0.95):
    """Prediction interval for the true effect in a new study (Higgins et al. 2009).

    ``estimate ± t(k-2) * sqrt(se**2 + tau2)``. Returns ``(low, high)``; both NaN when
    k < 3 (the t distribution needs k - 2 >= 1 degrees of freedom). Broadcasts.
    """
    level = check_level(level)
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    tau2 = np.asarray(tau2, dtype=float)
    df = np.asarray(k, dtype=float) - 2.0
    ok = df >= 1
    crit = special.stdtrit(np.where(ok, df, 1.0), 0.5 + level / 2.0)
    half = crit * np.sqrt(se * se + tau2)
    low = np.where(ok, estimate - half, np.nan)
    high = np.where(ok, estimate + half, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
