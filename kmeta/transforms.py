"""Transformations and back-transformations of effect sizes (metafor's ``transf.*``).

Pooling happens on a scale where the sampling distribution is close to normal
(log risk ratio, logit, Freeman–Tukey double arcsine ...); results are reported on
the natural scale.  The functions here map between the two, matching the
definitions of metafor's ``transf`` family exactly:

==========================  ====================================  ==========================
kmeta                       metafor                               maps
==========================  ====================================  ==========================
:func:`transf_exp`          ``exp``                               log RR, log OR -> ratio
:func:`transf_logit`        ``transf.logit``                      proportion -> logit
:func:`transf_ilogit`       ``transf.ilogit``                     logit -> proportion
:func:`transf_pft`          ``transf.pft``                        proportion -> double arcsine
:func:`transf_ipft`         ``transf.ipft``                       double arcsine -> proportion
:func:`transf_ipft_hm`      ``transf.ipft.hm``                    double arcsine -> proportion
                                                                  (harmonic-mean n)
==========================  ====================================  ==========================

:func:`back_transform` picks the right inverse for a measure name used by
:func:`kmeta.effect_sizes`.

The Freeman–Tukey double arcsine transformation (Freeman & Tukey, 1950) of ``x``
events out of ``n`` is, in metafor's (halved) form,

.. math::

    y = \\tfrac12\\left[\\arcsin\\sqrt{\\frac{x}{n+1}} + \\arcsin\\sqrt{\\frac{x+1}{n+1}}\\right],

and Miller (1978) gave its inverse for a given ``n``: with :math:`t = 2y`,

.. math::

    p = \\tfrac12\\left\\{1 - \\operatorname{sgn}(\\cos t)
        \\left[1 - \\left(\\sin t + \\frac{\\sin t - 1/\\sin t}{n}\\right)^2\\right]^{1/2}\\right\\}.

For a pooled estimate there is no single ``n``; Miller proposed the harmonic mean of
the study sample sizes, which is what metafor's ``transf.ipft.hm`` and Stata's
``metaprop`` use.  (Stata's ``metaprop`` works with the un-halved
:math:`t = 2y` and variance :math:`1/(n + 1/2)`; the back-transformed proportions
are identical.)

References
----------
Freeman, M. F., & Tukey, J. W. (1950). Transformations related to the angular and the
square root. *Annals of Mathematical Statistics*, 21(4), 607–611.
https://doi.org/10.1214/aoms/1177729756

Miller, J. J. (1978). The inverse of the Freeman–Tukey double arcsine transformation.
*The American Statistician*, 32(4), 138. https://doi.org/10.1080/00031305.1978.10479283

Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
*Journal of Statistical Software*, 36(3), 1–48. https://doi.org/10.18637/jss.v036.i03
"""
from __future__ import annotations

import numpy as np
from scipy import special

from ._validate import check_choice

__all__ = [
    "transf_exp",
    "transf_logit",
    "transf_ilogit",
    "transf_pft",
    "transf_ipft",
    "transf_ipft_hm",
    "ipft_hm",
    "harmonic_mean_n",
    "back_transform",
]


def _float_array(x, field: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None
    return arr


def _out(arr: np.ndarray, like):
    """Return a Python float for scalar input, an array otherwise."""
    if np.ndim(like) == 0:
        return float(arr)
    return arr


def _check_n(n, field: str = "n") -> np.ndarray:
    n_arr = _float_array(n, field)
    if np.isinf(n_arr).any():
        raise ValueError(f"{field}: sample sizes must be finite")
    bad = ~(n_arr > 0) & ~np.isnan(n_arr)
    if bad.any():
        flat = n_arr.reshape(-1)
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"{field}: study {i} is {flat[i]:g}; sample sizes must be > 0")
    return n_arr


def transf_exp(y):
    """Exponential back-transformation (log risk/odds ratio -> ratio).

    Parameters
    ----------
    y : float or array_like
        Values on the log scale (estimates or confidence limits). NaN stays NaN.

    Returns
    -------
    float or numpy.ndarray
        ``exp(y)``; overflow gives ``inf`` without a warning.

    Examples
    --------
    >>> round(transf_exp(-0.4537), 4)
    0.6353
    """
    arr = _float_array(y, "y")
    with np.errstate(over="ignore"):
        return _out(np.exp(arr), y)


def transf_logit(p):
    """Logit transformation ``log(p / (1 - p))`` (metafor ``transf.logit``).

    Parameters
    ----------
    p : float or array_like
        Proportions in [0, 1]; 0 and 1 map to -inf and inf.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> transf_logit(0.5)
    0.0
    """
    arr = _float_array(p, "p")
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError("p: proportions must lie in [0, 1]")
    return _out(special.logit(arr), p)


def transf_ilogit(y):
    """Inverse logit ``1 / (1 + exp(-y))`` (metafor ``transf.ilogit``, R ``plogis``).

    Parameters
    ----------
    y : float or array_like
        Log odds. Computed stably for large ``|y|`` (no overflow warning).

    Returns
    -------
    float or numpy.ndarray
        Proportions in [0, 1].

    Examples
    --------
    >>> round(transf_ilogit(0.0), 3)
    0.5
    >>> round(transf_ilogit(-2.1972), 4)
    0.1
    """
    arr = _float_array(y, "y")
    return _out(special.expit(arr), y)


def transf_pft(p, n):
    """Freeman–Tukey double arcsine of a proportion ``p`` with sample size ``n``.

    The forward transformation written, as metafor's ``transf.pft``, in terms of the
    proportion: with ``x = p * n`` events,

    ``y = 1/2 * (asin(sqrt(x / (n + 1))) + asin(sqrt((x + 1) / (n + 1))))``.

    Parameters
    ----------
    p : float or array_like
        Proportions in [0, 1].
    n : float or array_like
        Sample sizes (> 0), broadcast against ``p``.

    Returns
    -------
    float or numpy.ndarray
        Values in ``[transf_pft(0, n), transf_pft(1, n)]``, a sub-interval of
        ``(0, pi/2)``.

    Examples
    --------
    >>> round(transf_pft(0.0, 10), 6)
    0.153139
    """
    p_arr = _float_array(p, "p")
    if ((p_arr < 0) | (p_arr > 1)).any():
        raise ValueError("p: proportions must lie in [0, 1]")
    n_arr = _check_n(n)
    x = p_arr * n_arr
    y = 0.5 * (np.arcsin(np.sqrt(x / (n_arr + 1))) + np.arcsin(np.sqrt((x + 1) / (n_arr + 1))))
    if np.ndim(p) == 0 and np.ndim(n) == 0:
        return float(y)
    return y


def transf_ipft(y, n):
    """Inverse Freeman–Tukey double arcsine for a given ``n`` (Miller, 1978).

    Matches metafor's ``transf.ipft(xi, ni)``: with :math:`t = 2y`,

    .. math::

        p = \\tfrac12\\left\\{1 - \\operatorname{sgn}(\\cos t)
            \\left[1 - \\left(\\sin t + \\frac{\\sin t - 1/\\sin t}{n}\\right)^2\\right]^{1/2}\\right\\}.

    Values outside the attainable range are handled as metafor does: ``y`` above
    ``transf_pft(1, n)`` gives 1, ``y`` below ``transf_pft(0, n)`` gives 0; where the
    square root has a negative argument inside the range the result is NaN (metafor
    ``NA``). NaN in ``y`` or ``n`` gives NaN.

    Parameters
    ----------
    y : float or array_like
        Double arcsine values (metafor's halved scale, as produced by
        ``effect_sizes("PFT", ...)``).
    n : float or array_like
        Sample size(s), > 0, broadcast against ``y``.

    Returns
    -------
    float or numpy.ndarray
        Proportions in [0, 1].

    See Also
    --------
    transf_ipft_hm : the same with the harmonic mean of several sample sizes.

    Examples
    --------
    >>> y = transf_pft(0.3, 20)
    >>> round(transf_ipft(y, 20), 12)
    0.3
    """
    y_arr = _float_array(y, "y")
    n_arr = _check_n(n)
    y_b, n_b = np.broadcast_arrays(y_arr, n_arr)
    t = 2.0 * y_b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.sin(t)
        inner = 1.0 - (s + (s - 1.0 / s) / n_b) ** 2
        p = 0.5 * (1.0 - np.sign(np.cos(t)) * np.sqrt(inner))
        upper = 0.5 * (np.arcsin(np.sqrt(n_b / (n_b + 1))) + np.arcsin(1.0))
        lower = 0.5 * (np.arcsin(0.0) + np.arcsin(np.sqrt(1.0 / (n_b + 1))))
    p = np.where(np.isnan(p), np.nan, p)
    p = np.where(y_b > upper, 1.0, p)
    p = np.where(y_b < lower, 0.0, p)
    if np.ndim(y) == 0 and np.ndim(n) == 0:
        return float(p)
    return p


def harmonic_mean_n(n) -> float:
    """Harmonic mean ``1 / mean(1 / n)`` of sample sizes, ignoring NaN (as metafor).

    Parameters
    ----------
    n : array_like
        Sample sizes (> 0).

    Returns
    -------
    float

    Examples
    --------
    >>> harmonic_mean_n([10, 40])
    16.0
    """
    n_arr = _check_n(n).reshape(-1)
    n_arr = n_arr[~np.isnan(n_arr)]
    if n_arr.size == 0:
        raise ValueError("n: no sample sizes given (all missing)")
    return float(1.0 / np.mean(1.0 / n_arr))


def transf_ipft_hm(y, n):
    """Inverse Freeman–Tukey with the harmonic mean of the sample sizes (Miller, 1978).

    Matches metafor's ``transf.ipft.hm(xi, targs = list(ni = n))``: the harmonic mean
    :math:`\\tilde n = 1/\\overline{(1/n_i)}` of *all* the sample sizes given (NaN
    ignored) is used as the single ``n`` of :func:`transf_ipft`, for every value of
    ``y`` (typically a pooled estimate and its confidence or prediction limits).
    Values above ``transf_pft(1, ñ)`` give 1 and below ``transf_pft(0, ñ)`` give 0.

    Parameters
    ----------
    y : float or array_like
        Pooled double arcsine value(s) on metafor's halved scale.
    n : array_like
        Sample sizes of the studies that were pooled (> 0).

    Returns
    -------
    float or numpy.ndarray
        Proportions in [0, 1].

    Notes
    -----
    This is the back-transformation of Stata's ``metaprop`` and of Orhurhu et al.
    (2019). With very unequal sample sizes the harmonic mean can make the
    back-transformed estimate misleading (Schwarzer et al., 2019, *Res Synth Methods*
    10:476–483); report it with that caveat.

    Examples
    --------
    >>> ys = [transf_pft(0.2, 30), transf_pft(0.25, 30)]
    >>> float(round(transf_ipft_hm(ys, [30, 30])[0], 12))
    0.2
    """
    nhm = harmonic_mean_n(n)
    return transf_ipft(y, nhm)


#: Short alias of :func:`transf_ipft_hm`.
ipft_hm = transf_ipft_hm

_BACK = ("MD", "SMD", "RD", "PR", "RR", "OR", "PETO", "PLO", "PFT")


def back_transform(y, measure: str, n=None):
    """Back-transform values of ``measure`` to the natural scale.

    Parameters
    ----------
    y : float or array_like
        Estimate(s) on the analysis scale.
    measure : str
        A measure of :func:`kmeta.effect_sizes`: ``"RR"``, ``"OR"``, ``"PETO"``
        (exponentiated), ``"PLO"`` (inverse logit), ``"PFT"`` (inverse Freeman–Tukey
        with the harmonic mean of ``n``), ``"MD"``, ``"SMD"``, ``"RD"``, ``"PR"``
        (identity).
    n : array_like, optional
        Study sample sizes; required for ``"PFT"``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(back_transform(0.0, "RR"), 6)
    1.0
    """
    measure = check_choice(measure, "measure", _BACK)
    if measure in ("RR", "OR", "PETO"):
        return transf_exp(y)
    if measure == "PLO":
        return transf_ilogit(y)
    if measure == "PFT":
        if n is None:
            raise ValueError("n: the study sample sizes are needed to back-transform PFT")
        return transf_ipft_hm(y, n)
    arr = _float_array(y, "y")
    return _out(arr.copy(), y)
