"""Data conversions for extracting continuous outcomes from published reports.

Trials rarely report exactly the mean, standard deviation and sample size per arm
that a meta-analysis of mean differences needs. The functions here turn what *is*
reported into those numbers, each with the formula and its source:

========================================  =============================================
function                                  from -> to
========================================  =============================================
:func:`sd_from_sem`                       standard error of a group mean -> SD
:func:`sd_from_ci`                        CI of a group mean -> SD
:func:`se_from_ci`                        symmetric CI of any estimate -> its SE
:func:`sd_from_se_diff`                   SE of a difference in means -> within-group SD
:func:`sd_from_ci_diff`                   CI of a difference in means -> within-group SD
:func:`mean_sd_from_median`               median, range and/or IQR -> mean and SD
                                          (Luo et al. 2018; Wan et al. 2014)
:func:`vas100_to_nrs10`                   0–100 VAS -> 0–10 scale
:func:`pooled_sd`                         two groups' SDs -> pooled within-group SD
:func:`combine_groups`                    two arms (n, mean, SD) -> one arm
:func:`sd_change`                         baseline and final SDs, r -> SD of change
:func:`corr_from_sd_change`               baseline, final and change SDs -> r
========================================  =============================================

All functions work elementwise like numpy ufuncs: scalars give a ``float``, arrays
give an array (inputs broadcast against each other). Invalid values raise
``ValueError`` naming the argument and the (0-based) study index.

Every converted value entered in a ``kmeta/data`` CSV should carry ``kind =
converted`` and a ``note`` naming the function used (see DEVELOPING.md).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import check_choice, check_level, study_labels, where

__all__ = [
    "sd_from_sem",
    "sd_from_ci",
    "se_from_ci",
    "sd_from_se_diff",
    "sd_from_ci_diff",
    "mean_sd_from_median",
    "vas100_to_nrs10",
    "pooled_sd",
    "combine_groups",
    "sd_change",
    "corr_from_sd_change",
]


# ---- helpers --------------------------------------------------------------------------

def _num(x, field: str, *, allow_nan: bool = False) -> np.ndarray:
    if x is None:
        raise ValueError(f"{field}: missing (None was given)")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None
    flat = arr.reshape(-1)
    bad = np.isinf(flat) if allow_nan else ~np.isfinite(flat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: study {i} is {float(flat[i])!r}; values must be finite")
    return arr


def _check(arr: np.ndarray, ok: np.ndarray, field: str, what: str, labels=None) -> None:
    flat_ok = np.broadcast_to(ok, np.broadcast_shapes(ok.shape, arr.shape)).reshape(-1)
    flat = np.broadcast_to(arr, flat_ok.shape).reshape(-1)
    bad = ~flat_ok
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{field}: {where(i, labels)} is {float(flat[i]):g}; {what}")


def _ret(value: np.ndarray, *inputs):
    if all(np.ndim(x) == 0 for x in inputs):
        return float(value)
    return value


def _crit(level: float, dist: str, df) -> np.ndarray:
    from scipy import stats  # imported on use: it takes a second to load
    q = 1 - (1 - level) / 2
    if dist == "z":
        return np.asarray(stats.norm.ppf(q), dtype=float)
    return np.asarray(stats.t.ppf(q, df), dtype=float)


# ---- standard errors and confidence intervals -------------------------------------------

def sd_from_sem(sem, n):
    r"""Standard deviation from the standard error of a group mean: :math:`SD = SE\sqrt{n}`.

    Parameters
    ----------
    sem : float or array_like
        Standard error(s) of the mean (>= 0).
    n : float or array_like
        Group size(s) (>= 1).

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Higgins, J. P. T., Li, T., & Deeks, J. J. (2023). Choosing effect measures and
    computing estimates of effect. In *Cochrane Handbook for Systematic Reviews of
    Interventions* (version 6.4), section 6.5.2.2.

    Examples
    --------
    >>> sd_from_sem(0.4, 25)   # 0.4 * sqrt(25) = 2.0
    2.0
    """
    s = _num(sem, "sem")
    nn = _num(n, "n")
    _check(s, s >= 0, "sem", "standard errors must be >= 0")
    _check(nn, nn >= 1, "n", "group sizes must be >= 1")
    return _ret(s * np.sqrt(nn), sem, n)


def se_from_ci(low, high, *, level: float = 0.95, log: bool = False, dist: str = "z", df=None):
    r"""Standard error from a symmetric confidence interval: :math:`(u - l) / (2 c)`.

    :math:`c` is the normal (``dist="z"``) or t (``dist="t"``, with ``df``) quantile
    at :math:`1 - (1 - \text{level})/2`. For ratio measures (RR, OR, HR) whose
    interval is symmetric on the log scale, use ``log=True``: :math:`(\log u - \log
    l)/(2c)` is the SE of the log ratio.

    Parameters
    ----------
    low, high : float or array_like
        Confidence limits (``low <= high``; both > 0 when ``log=True``).
    level : float
        Confidence level of the interval (0.95; 95 accepted).
    log : bool
        Take logarithms of the limits first.
    dist : {"z", "t"}
        Distribution the interval was built with.
    df : float or array_like, optional
        Degrees of freedom, required when ``dist="t"``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    A risk ratio of 2.43 (95% CI 1.10 to 5.40):

    >>> round(se_from_ci(1.10, 5.40, log=True), 4)   # (ln 5.40 - ln 1.10) / 3.919928
    0.4059
    """
    level = check_level(level)
    dist = check_choice(dist, "dist", ("z", "t"))
    lo, hi = _num(low, "low"), _num(high, "high")
    _check(hi, hi >= lo, "high", "the upper limit must be >= the lower limit")
    if log:
        _check(lo, lo > 0, "low", "limits must be > 0 when log=True")
        lo, hi = np.log(lo), np.log(hi)
    if dist == "t":
        if df is None:
            raise ValueError("df: required when dist='t'")
        d = _num(df, "df")
        _check(d, d > 0, "df", "degrees of freedom must be > 0")
    else:
        d = None
    return _ret((hi - lo) / (2 * _crit(level, dist, d)), low, high)


def sd_from_ci(low, high, n, *, dist: str = "t", level: float = 0.95):
    r"""Standard deviation from the confidence interval of a single group mean.

    .. math::

        SD = \sqrt{n}\,\frac{u - l}{2\,c},

    with :math:`c` the :math:`1 - (1-\text{level})/2` quantile of the t distribution
    on :math:`n - 1` df (``dist="t"``, the default, as the Cochrane Handbook advises
    for small samples) or of the normal distribution (``dist="z"``; :math:`2c = 3.92`
    for 95%).

    Parameters
    ----------
    low, high : float or array_like
        Lower and upper confidence limits of the mean.
    n : float or array_like
        Group size (>= 2 for ``dist="t"``, >= 1 for ``"z"``).
    dist : {"t", "z"}
        Distribution the interval was built with.
    level : float
        Confidence level (0.95; 95 accepted).

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Cochrane Handbook for Systematic Reviews of Interventions (version 6.4), section
    6.5.2.2.

    Examples
    --------
    >>> round(sd_from_ci(2.1, 4.3, 100, dist="z"), 4)   # 10 * 2.2 / 3.919928
    5.6123
    """
    level = check_level(level)
    dist = check_choice(dist, "dist", ("t", "z"))
    lo, hi, nn = _num(low, "low"), _num(high, "high"), _num(n, "n")
    _check(hi, hi >= lo, "high", "the upper limit must be >= the lower limit")
    if dist == "t":
        _check(nn, nn >= 2, "n", "group sizes must be >= 2 for a t-based interval")
    else:
        _check(nn, nn >= 1, "n", "group sizes must be >= 1")
    c = _crit(level, dist, nn - 1 if dist == "t" else None)
    return _ret(np.sqrt(nn) * (hi - lo) / (2 * c), low, high, n)


def sd_from_se_diff(se, n1, n2):
    r"""Within-group SD from the standard error of a difference between two means.

    Assuming a common SD in both arms, :math:`SE = SD\sqrt{1/n_1 + 1/n_2}`, so

    .. math::

        SD = \frac{SE}{\sqrt{1/n_1 + 1/n_2}}.

    Use the same SD for both arms. Not valid for paired/crossover designs.

    Parameters
    ----------
    se : float or array_like
        Standard error of the mean difference (>= 0).
    n1, n2 : float or array_like
        Group sizes (>= 1).

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Cochrane Handbook (version 6.4), section 6.5.2.3.

    Examples
    --------
    >>> sd_from_se_diff(1.0, 8, 8)   # 1 / sqrt(1/8 + 1/8) = 1 / 0.5
    2.0
    """
    s, a, b = _num(se, "se"), _num(n1, "n1"), _num(n2, "n2")
    _check(s, s >= 0, "se", "standard errors must be >= 0")
    _check(a, a >= 1, "n1", "group sizes must be >= 1")
    _check(b, b >= 1, "n2", "group sizes must be >= 1")
    return _ret(s / np.sqrt(1 / a + 1 / b), se, n1, n2)


def sd_from_ci_diff(low, high, n1, n2, *, dist: str = "t", level: float = 0.95):
    r"""Within-group SD from the confidence interval of a difference between two means.

    The SE of the difference is :math:`(u - l)/(2c)`, with :math:`c` the t quantile on
    :math:`n_1 + n_2 - 2` df (``dist="t"``) or the normal quantile (``"z"``); then
    :math:`SD = SE / \sqrt{1/n_1 + 1/n_2}` (:func:`sd_from_se_diff`), the SD common to
    both arms.

    Parameters
    ----------
    low, high : float or array_like
        Confidence limits of the mean difference.
    n1, n2 : float or array_like
        Group sizes (>= 1, and n1 + n2 >= 3 for ``dist="t"``).
    dist : {"t", "z"}
    level : float

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Cochrane Handbook (version 6.4), section 6.5.2.3.

    Examples
    --------
    >>> round(sd_from_ci_diff(-2.35, -1.31, 500, 500, dist="z"), 4)
    4.1949
    """
    level = check_level(level)
    dist = check_choice(dist, "dist", ("t", "z"))
    lo, hi = _num(low, "low"), _num(high, "high")
    a, b = _num(n1, "n1"), _num(n2, "n2")
    _check(hi, hi >= lo, "high", "the upper limit must be >= the lower limit")
    _check(a, a >= 1, "n1", "group sizes must be >= 1")
    _check(b, b >= 1, "n2", "group sizes must be >= 1")
    if dist == "t":
        _check(a + b, a + b >= 3, "n1", "n1 + n2 must be >= 3 for a t-based interval")
    c = _crit(level, dist, a + b - 2 if dist == "t" else None)
    se = (hi - lo) / (2 * c)
    return _ret(se / np.sqrt(1 / a + 1 / b), low, high, n1, n2)


# ---- medians, ranges, quartiles ---------------------------------------------------------

def mean_sd_from_median(
    median,
    n,
    *,
    min=None,  # noqa: A002 - the statistics' names, as metafor's conv.fivenum
    q1=None,
    q3=None,
    max=None,  # noqa: A002
    method_mean: str = "luo",
    labels=None,
) -> pd.DataFrame:
    r"""Estimate sample means and SDs from the median with the range and/or the IQR.

    The scenario is chosen per study from what is given (NaN or None = not given):

    * **S1** -- minimum :math:`a`, median :math:`m`, maximum :math:`b`;
    * **S2** -- first quartile :math:`q_1`, median, third quartile :math:`q_3`;
    * **S3** -- all five numbers.

    **Mean** (``method_mean="luo"``, default; Luo et al., 2018):

    * S1: :math:`w\,\frac{a+b}{2} + (1-w)\,m`, :math:`w = 4/(4 + n^{0.75})`;
    * S2: :math:`w\,\frac{q_1+q_3}{2} + (1-w)\,m`, :math:`w = 0.7 + 0.39/n`;
    * S3: :math:`w_1\frac{a+b}{2} + w_2\frac{q_1+q_3}{2} + (1-w_1-w_2)\,m`,
      :math:`w_1 = 2.2/(2.2 + n^{0.75})`, :math:`w_2 = 0.7 - 0.72/n^{0.55}`.

    With ``method_mean="wan"`` (Wan et al., 2014; for S1 the estimator of Hozo et al.,
    2005): S1 :math:`(a + 2m + b)/4`, S2 :math:`(q_1 + m + q_3)/3`, S3
    :math:`(a + 2q_1 + 2m + 2q_3 + b)/8`.

    **SD** (Wan et al., 2014, eqs. 9 and 16, and their average for S3):

    * S1: :math:`(b - a)/\xi(n)`, :math:`\xi(n) = 2\,\Phi^{-1}\!\left(\frac{n - 0.375}{n + 0.25}\right)`;
    * S2: :math:`(q_3 - q_1)/\eta(n)`, :math:`\eta(n) = 2\,\Phi^{-1}\!\left(\frac{0.75n - 0.125}{n + 0.25}\right)`;
    * S3: :math:`\tfrac12\left[(b - a)/\xi(n) + (q_3 - q_1)/\eta(n)\right]`.

    :math:`\xi(n)` and :math:`\eta(n)` are Blom-type approximations of the expected
    range and IQR of *n* standard normal variables, as recommended by Wan et al. and
    used by metafor's ``conv.fivenum(method = "wan2014")`` and the metaBLUE package;
    Wan et al.'s exact tables differ slightly for small *n*.

    All these estimators assume roughly normal data. That a trial reported a median
    often means the data were skewed; flag such conversions in sensitivity analyses.

    Parameters
    ----------
    median : float or array_like
        Sample medians.
    n : float or array_like
        Sample sizes (>= 2; the size of the group the summary describes).
    min, max : float or array_like, optional
        Sample minimum and maximum (give both or neither per study).
    q1, q3 : float or array_like, optional
        First and third quartiles (give both or neither per study).
    method_mean : {"luo", "wan"}
        Mean estimator.
    labels : sequence of str, optional
        Study names for the result and error messages.

    Returns
    -------
    pandas.DataFrame
        One row per study with ``study`` (if labels), ``mean``, ``sd`` and ``scenario``
        (``"S1"``, ``"S2"``, ``"S3"``).

    Raises
    ------
    ValueError
        Neither range nor IQR given, only one end of either, values out of order
        (``min <= q1 <= median <= q3 <= max``), or ``n < 2``; naming field and study.

    References
    ----------
    Hozo, S. P., Djulbegovic, B., & Hozo, I. (2005). Estimating the mean and variance
    from the median, range, and the size of a sample. *BMC Medical Research
    Methodology*, 5, 13.

    Luo, D., Wan, X., Liu, J., & Tong, T. (2018). Optimally estimating the sample mean
    from the sample size, median, mid-range, and/or mid-quartile range. *Statistical
    Methods in Medical Research*, 27(6), 1785–1805.

    Wan, X., Wang, W., Liu, J., & Tong, T. (2014). Estimating the sample mean and
    standard deviation from the sample size, median, range and/or interquartile range.
    *BMC Medical Research Methodology*, 14, 135.

    Examples
    --------
    The metaBLUE documentation's example (min 1, median 4, max 10, n = 30) gives a
    Luo mean of 4.356748 and a Wan SD of 2.205578:

    >>> r = mean_sd_from_median(4, 30, min=1, max=10)
    >>> round(float(r.loc[0, "mean"]), 6), round(float(r.loc[0, "sd"]), 6), r.loc[0, "scenario"]
    (4.356748, 2.205578, 'S1')
    """
    from scipy import stats  # imported on use: it takes a second to load
    method_mean = check_choice(method_mean, "method_mean", ("luo", "wan"))
    med = np.atleast_1d(_num(median, "median"))
    k = med.shape[0]
    lab = study_labels(labels, k)

    def vec(x, field, allow_nan):
        if x is None:
            return np.full(k, np.nan)
        arr = _num(x, field, allow_nan=allow_nan)
        arr = np.broadcast_to(np.atleast_1d(arr), (k,)).astype(float) if np.ndim(arr) == 0 else np.atleast_1d(arr)
        if arr.shape[0] != k:
            raise ValueError(f"{field}: has {arr.shape[0]} values but there are {k} studies")
        return arr

    nn = vec(n, "n", False)
    a, b = vec(min, "min", True), vec(max, "max", True)
    lq, uq = vec(q1, "q1", True), vec(q3, "q3", True)
    _check(nn, nn >= 2, "n", "sample sizes must be >= 2", lab)

    has_r = ~np.isnan(a) & ~np.isnan(b)
    has_q = ~np.isnan(lq) & ~np.isnan(uq)
    for x, y, fx, fy in ((a, b, "min", "max"), (lq, uq, "q1", "q3")):
        half = np.isnan(x) != np.isnan(y)
        if half.any():
            i = int(np.flatnonzero(half)[0])
            given, other = (fx, fy) if not np.isnan(x[i]) else (fy, fx)
            raise ValueError(f"{other}: {where(i, lab)} is missing but {given} is given; give both or neither")
    none = ~has_r & ~has_q
    if none.any():
        i = int(np.flatnonzero(none)[0])
        raise ValueError(f"min: {where(i, lab)} has neither the range (min, max) nor the IQR (q1, q3)")
    seq = [("min", a), ("q1", lq), ("median", med), ("q3", uq), ("max", b)]
    for i in range(k):
        vals = [(f, v[i]) for f, v in seq if not np.isnan(v[i])]
        for (f0, v0), (f1, v1) in zip(vals, vals[1:]):
            if v1 < v0:
                raise ValueError(
                    f"{f1}: {where(i, lab)} is {v1:g} < {f0} = {v0:g}; "
                    "expected min <= q1 <= median <= q3 <= max"
                )

    xi = 2 * stats.norm.ppf((nn - 0.375) / (nn + 0.25))
    eta = 2 * stats.norm.ppf((0.75 * nn - 0.125) / (nn + 0.25))
    s1 = has_r & ~has_q
    s2 = has_q & ~has_r
    s3 = has_r & has_q
    mean = np.full(k, np.nan)
    sd = np.full(k, np.nan)
    with np.errstate(invalid="ignore"):
        if method_mean == "luo":
            w = 4 / (4 + nn**0.75)
            m1 = w * (a + b) / 2 + (1 - w) * med
            w = 0.7 + 0.39 / nn
            m2 = w * (lq + uq) / 2 + (1 - w) * med
            w1 = 2.2 / (2.2 + nn**0.75)
            w2 = 0.7 - 0.72 / nn**0.55
            m3 = w1 * (a + b) / 2 + w2 * (lq + uq) / 2 + (1 - w1 - w2) * med
        else:
            m1 = (a + 2 * med + b) / 4
            m2 = (lq + med + uq) / 3
            m3 = (a + 2 * lq + 2 * med + 2 * uq + b) / 8
        mean = np.where(s1, m1, np.where(s2, m2, m3))
        sd1 = (b - a) / xi
        sd2 = (uq - lq) / eta
        sd = np.where(s1, sd1, np.where(s2, sd2, 0.5 * (sd1 + sd2)))
    scenario = np.where(s1, "S1", np.where(s2, "S2", "S3"))
    out = pd.DataFrame({"mean": mean, "sd": sd, "scenario": scenario})
    if lab is not None:
        out.insert(0, "study", lab)
    out.attrs["method_mean"] = method_mean
    out.attrs["method_sd"] = "wan2014"
    return out


# ---- scales and groups -------------------------------------------------------------------

def vas100_to_nrs10(x):
    """Rescale values on a 0–100 mm visual analogue scale to the 0–10 scale.

    A linear rescaling by 1/10. It applies unchanged to means, SDs, standard errors,
    mean differences and confidence limits (the scales share the origin); it assumes
    the two instruments measure pain on the same interval scale, which is a judgement
    to state where it is made.

    Parameters
    ----------
    x : float or array_like
        Values in VAS millimetres (NaN passes through).

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> vas100_to_nrs10(45.0), vas100_to_nrs10(18.0)   # a mean of 45 mm, SD 18 mm
    (4.5, 1.8)
    """
    arr = _num(x, "x", allow_nan=True)
    return _ret(arr / 10.0, x)


def pooled_sd(sd1, n1, sd2, n2):
    r"""Pooled within-group standard deviation of two groups.

    .. math::

        s_p = \sqrt{\frac{(n_1 - 1)s_1^2 + (n_2 - 1)s_2^2}{n_1 + n_2 - 2}},

    the denominator of the standardised mean difference (metafor's ``sdpi``).

    Parameters
    ----------
    sd1, sd2 : float or array_like
        Standard deviations (>= 0).
    n1, n2 : float or array_like
        Group sizes (>= 1, with n1 + n2 >= 3).

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> pooled_sd(2.0, 11, 4.0, 11)   # sqrt((10*4 + 10*16)/20) = sqrt(10)
    3.1622776601683795
    """
    s1, s2 = _num(sd1, "sd1"), _num(sd2, "sd2")
    a, b = _num(n1, "n1"), _num(n2, "n2")
    _check(s1, s1 >= 0, "sd1", "standard deviations must be >= 0")
    _check(s2, s2 >= 0, "sd2", "standard deviations must be >= 0")
    _check(a, a >= 1, "n1", "group sizes must be >= 1")
    _check(b, b >= 1, "n2", "group sizes must be >= 1")
    _check(a + b, a + b >= 3, "n1", "n1 + n2 must be >= 3")
    return _ret(np.sqrt(((a - 1) * s1**2 + (b - 1) * s2**2) / (a + b - 2)), sd1, n1, sd2, n2)


def combine_groups(n1, m1, sd1, n2, m2, sd2) -> tuple:
    r"""Combine two arms (e.g. two ketamine doses) into a single arm.

    .. math::

        N = n_1 + n_2, \quad M = \frac{n_1 m_1 + n_2 m_2}{N}, \quad
        SD = \sqrt{\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2 + \frac{n_1 n_2}{N}(m_1 - m_2)^2}{N - 1}},

    the exact sample mean and SD of the union of the two samples (Cochrane Handbook,
    version 6.4, Table 6.5.a).

    Parameters
    ----------
    n1, m1, sd1 : float or array_like
        Size, mean and SD of the first arm.
    n2, m2, sd2 : float or array_like
        Size, mean and SD of the second arm.

    Returns
    -------
    tuple
        ``(n, mean, sd)`` of the combined arm.

    Examples
    --------
    >>> combine_groups(10, 4.0, 1.0, 10, 6.0, 1.0)   # SD = sqrt((9 + 9 + 5*4)/19)
    (20.0, 5.0, 1.4142135623730951)
    """
    a, b = _num(n1, "n1"), _num(n2, "n2")
    x1, x2 = _num(m1, "m1"), _num(m2, "m2")
    s1, s2 = _num(sd1, "sd1"), _num(sd2, "sd2")
    _check(a, a >= 1, "n1", "group sizes must be >= 1")
    _check(b, b >= 1, "n2", "group sizes must be >= 1")
    _check(s1, s1 >= 0, "sd1", "standard deviations must be >= 0")
    _check(s2, s2 >= 0, "sd2", "standard deviations must be >= 0")
    N = a + b
    M = (a * x1 + b * x2) / N
    SD = np.sqrt(((a - 1) * s1**2 + (b - 1) * s2**2 + a * b / N * (x1 - x2) ** 2) / (N - 1))
    ins = (n1, m1, sd1, n2, m2, sd2)
    return _ret(N, *ins), _ret(M, *ins), _ret(SD, *ins)


def sd_change(sd_baseline, sd_final, r):
    r"""Standard deviation of change from baseline, given a correlation.

    .. math::

        SD_{change} = \sqrt{SD_b^2 + SD_f^2 - 2\,r\,SD_b\,SD_f}

    (Cochrane Handbook, version 6.4, section 6.5.2.8; also the SD of within-person
    differences in a crossover trial, section 23.2.7). The correlation ``r`` between
    baseline and final values is rarely reported: impute it from a trial that reports
    all three SDs (:func:`corr_from_sd_change`) and vary it in sensitivity analyses.

    Parameters
    ----------
    sd_baseline, sd_final : float or array_like
        Standard deviations at baseline and at follow-up (>= 0).
    r : float or array_like
        Correlation between baseline and final measurements, in [-1, 1].

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    The Handbook's crossover example (SDs 2.38 and 2.21, r = 0.68) gives an SD of the
    differences of about 1.843 and, with 10 patients, the SE of 0.583 the Handbook
    (version 5.1, section 16.4.6.4) prints:

    >>> s = sd_change(2.38, 2.21, 0.68)
    >>> round(s, 3), round(s / 10 ** 0.5, 3)
    (1.843, 0.583)
    """
    sb, sf, rr = _num(sd_baseline, "sd_baseline"), _num(sd_final, "sd_final"), _num(r, "r")
    _check(sb, sb >= 0, "sd_baseline", "standard deviations must be >= 0")
    _check(sf, sf >= 0, "sd_final", "standard deviations must be >= 0")
    _check(rr, (rr >= -1) & (rr <= 1), "r", "correlations must lie in [-1, 1]")
    var = sb**2 + sf**2 - 2 * rr * sb * sf
    return _ret(np.sqrt(np.maximum(var, 0.0)), sd_baseline, sd_final, r)


def corr_from_sd_change(sd_baseline, sd_final, sd_change):
    r"""Correlation implied by baseline, final and change-score SDs (for imputation).

    .. math::

        r = \frac{SD_b^2 + SD_f^2 - SD_{change}^2}{2\,SD_b\,SD_f}

    (Cochrane Handbook, version 6.4, section 6.5.2.8). Values outside [-1, 1] signal
    inconsistent inputs and are returned as computed, so that they can be inspected.

    Parameters
    ----------
    sd_baseline, sd_final : float or array_like
        Standard deviations at baseline and follow-up (> 0).
    sd_change : float or array_like
        Standard deviation of the change scores (>= 0).

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(corr_from_sd_change(2.0, 2.0, 2.0), 12)   # (4 + 4 - 4) / 8
    0.5
    """
    sb, sf, sc = _num(sd_baseline, "sd_baseline"), _num(sd_final, "sd_final"), _num(sd_change, "sd_change")
    _check(sb, sb > 0, "sd_baseline", "standard deviations must be > 0")
    _check(sf, sf > 0, "sd_final", "standard deviations must be > 0")
    _check(sc, sc >= 0, "sd_change", "standard deviations must be >= 0")
    return _ret((sb**2 + sf**2 - sc**2) / (2 * sb * sf), sd_baseline, sd_final, sd_change)
