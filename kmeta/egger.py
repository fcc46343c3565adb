r"""Egger's regression test for funnel-plot asymmetry: :func:`egger`.

Egger et al. (1997) regress the standard normal deviate :math:`y_i/s_i` on the precision
:math:`1/s_i` by ordinary least squares,

.. math::

    \frac{y_i}{s_i} = b_0 + b_1 \frac{1}{s_i} + \varepsilon_i ,

and test the intercept :math:`b_0` ("bias") with a t test on :math:`k - 2` df. Dividing
by :math:`1/s_i` shows that this is the weighted least-squares regression of the
effects on their standard errors,

.. math::

    y_i = b_1 + b_0\, s_i + \varepsilon_i s_i, \qquad \text{weights } 1/v_i ,

with the residual variance estimated (a multiplicative error term). The slope on
:math:`s_i` is Egger's bias coefficient with the same t statistic, and the intercept
:math:`b_1` is the *limit estimate*, the predicted effect of a study with
:math:`s_i \to 0` (Rücker et al. 2011). This second form is metafor's
``regtest(model = "lm", predictor = "sei")`` and Stata's ``metabias, egger`` (which
prints ``bias`` and ``slope``); ``model="lm"`` (the default) is exactly that.

``model="rma"`` is metafor's default ``regtest``: the mixed-effects meta-regression
``rma(yi, vi, mods = ~ sei, method, test)`` (an additive between-study variance
instead of the multiplicative one), testing the ``sei`` coefficient with a z (or t)
test; the limit estimate is its intercept.

Other predictors, as metafor: ``"vi"`` (the variances), and with sample sizes ``ni``:
``"ni"``, ``"ninv"`` (1/n), ``"sqrtni"``, ``"sqrtninv"`` (1/√n). The limit estimate is
reported for the predictors that vanish for an infinitely large study (``"sei"``,
``"vi"``, ``"ninv"``, ``"sqrtninv"``).

:func:`egger_t_from_p` inverts the test: the :math:`|t|` (on k − 2 df) that a published Egger
P-value implies, and with ``digits`` the range of :math:`|t|` consistent with the P as printed.

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by
a simple, graphical test. *BMJ* 315:629–634.
Rücker G, Schwarzer G, Carpenter JR, Binder H, Schumacher M (2011). Treatment-effect
estimates adjusted for small-study effects via a limit meta-analysis. *Biostatistics*
12:122–142.
Sterne JAC, Egger M (2005). Regression methods to detect publication and other bias in
meta-analysis. In Rothstein HR, Sutton AJ, Borenstein M (eds), *Publication Bias in
Meta-Analysis*. Wiley.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import special

from ._result import Result, format_num, p_phrase
from ._validate import as_array, check_choice, check_k, check_level, check_positive

__all__ = ["egger", "EggerResult", "egger_t_from_p", "egger_t_interval"]

PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")
_LIMIT = ("sei", "vi", "ninv", "sqrtninv")


@dataclasses.dataclass(frozen=True, repr=False)
class EggerResult(Result):
    """Result of :func:`egger`.

    Attributes
    ----------
    k : int
        Number of studies.
    stat : float
        t statistic (``model="lm"``, or ``"rma"`` with a t-based test) or z statistic of
        the predictor's coefficient.
    df : float
        Degrees of freedom (k − 2; NaN for a z test).
    pval : float
        Two-sided p-value of the test for asymmetry.
    bias, bias_se, bias_ci_low, bias_ci_high : float
        The predictor's coefficient (Egger's "bias", the intercept of the classical
        regression of y/s on 1/s, for ``predictor="sei"``), its SE and CI.
    estimate, se, ci_low, ci_high : float
        The limit estimate (intercept) with its SE and CI; NaN for predictors without a
        limit (``"ni"``, ``"sqrtni"``).
    model, predictor : str
        ``"lm"`` or ``"rma"``; the predictor.
    method, test : str
        τ² estimator and test of the ``"rma"`` model (``"FE"`` and ``"knha"`` describe
        the ``"lm"`` model: weights 1/vi and the residual variance estimated).
    level : float
    fit : MetaregResult
        The underlying regression.
    notes : tuple of str
    """

    k: int
    stat: float
    df: float
    pval: float
    bias: float
    bias_se: float
    bias_ci_low: float
    bias_ci_high: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    model: str
    predictor: str
    method: str
    test: str
    level: float
    fit: object
    notes: tuple = ()

    def summary(self) -> str:
        what = ("Egger's regression test (weighted least squares, multiplicative dispersion)" if self.model == "lm"
                else f"Regression test (mixed-effects meta-regression, tau^2 estimator {self.method})")
        statname = "z" if math.isnan(self.df) else f"t(df = {self.df:g})"
        lines = [
            f"{what} for funnel plot asymmetry (k = {self.k}; predictor: {self.predictor})",
            "",
            f"test for asymmetry: {statname} = {format_num(self.stat)}, {p_phrase(self.pval)}",
            f"bias (coefficient of {self.predictor}) = {format_num(self.bias)} "
            f"(SE {format_num(self.bias_se)}; {100 * self.level:g}% CI {format_num(self.bias_ci_low)} to "
            f"{format_num(self.bias_ci_high)})",
        ]
        if not math.isnan(self.estimate):
            lines.append(f"limit estimate (as {self.predictor} -> 0) = {format_num(self.estimate)} "
                         f"({100 * self.level:g}% CI {format_num(self.ci_low)} to {format_num(self.ci_high)})")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def egger(yi, vi=None, *, sei=None, model="lm", predictor="sei", method="REML", test="z", level=0.95,
          ni=None, labels=None) -> EggerResult:
    """Egger's regression test for funnel-plot asymmetry, as metafor's ``regtest``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances; or a :class:`~kmeta.MetaResult` as ``yi``
        (its data, and for ``model="rma"`` its method and test, are used unless given);
        or a DataFrame with ``yi``/``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    model : {"lm", "rma"}
        ``"lm"`` (default): Egger's original test (weighted regression with a
        multiplicative dispersion, t on k − 2 df), ``regtest(model = "lm")`` and Stata's
        ``metabias, egger``. ``"rma"``: metafor's default mixed-effects version.
    predictor : {"sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv"}
        The covariate (standard errors by default).
    method, test : str
        τ² estimator and test for ``model="rma"`` (ignored by ``"lm"``).
    level : float
        Confidence level of the intervals.
    ni : array_like, optional
        Sample sizes, for the sample-size predictors.
    labels : sequence of str, optional
        Study names for error messages.

    Returns
    -------
    EggerResult

    Raises
    ------
    ValueError
        Bad data, k < 3 (a regression with two coefficients needs a residual df), a
        sample-size predictor without ``ni``, a predictor that is constant (all studies
        equally precise: the design is singular), an unknown option.

    Examples
    --------
    >>> res = egger([-1.9, -2.4, -1.1, -2.9, -0.8, -1.6], [0.30, 0.55, 0.12, 0.20, 0.09, 0.25])
    >>> res.df, round(res.pval, 4)
    (4.0, 0.1171)
    >>> round(egger_t_from_p(res.pval, 6), 4) == round(abs(res.stat), 4)
    True
    """
    from .meta import MetaResult, _canonical_test
    from ._validate import read_effects
    from .metareg import metareg
    from .tau2 import METHODS

    model = check_choice(model, "model", ("lm", "rma"))
    predictor = check_choice(predictor, "predictor", PREDICTORS)
    level = check_level(level)
    if isinstance(yi, MetaResult):
        res0 = yi
        labels = list(res0.labels) if (labels is None and res0.labels is not None) else labels
        yi, vi, sei = res0.yi, res0.vi, None
        if model == "rma":
            method = res0.method if method == "REML" else method
            test = res0.test if test == "z" else test
    method = check_choice(method, "method", METHODS)
    test = _canonical_test(test)
    yi, vi, labels, notes = read_effects(yi, vi, sei, labels, "egger")
    k = yi.shape[0]
    check_k(k, 3, "Egger's regression test")
    if predictor in ("ni", "ninv", "sqrtni", "sqrtninv"):
        if ni is None:
            raise ValueError(f"ni: predictor '{predictor}' needs the sample sizes ni")
        ni = as_array(ni, "ni", labels, k)
        check_positive(ni, "ni", labels, "sample sizes must be > 0")
    x = {
        "sei": lambda: np.sqrt(vi),
        "vi": lambda: vi,
        "ni": lambda: ni,
        "ninv": lambda: 1.0 / ni,
        "sqrtni": lambda: np.sqrt(ni),
        "sqrtninv": lambda: 1.0 / np.sqrt(ni),
    }[predictor]()
    if np.ptp(x) == 0:
        raise ValueError(f"{predictor}: all studies have the same value ({x[0]:g}); the regression on it is "
                         "not defined (the design matrix is singular)")
    if model == "lm":
        fit = metareg(yi, vi, {predictor: x}, method="FE", test="knha", level=level, labels=labels)
        fit_method, fit_test = "FE", "knha"
    else:
        fit = metareg(yi, vi, {predictor: x}, method=method, test=test, level=level, labels=labels)
        fit_method, fit_test = method, test
    has_limit = predictor in _LIMIT
    nan = math.nan
    return EggerResult(
        k=k,
        stat=float(fit.stat[1]),
        df=float(fit.df),
        pval=float(fit.pval[1]),
        bias=float(fit.beta[1]),
        bias_se=float(fit.se[1]),
        bias_ci_low=float(fit.ci_low[1]),
        bias_ci_high=float(fit.ci_high[1]),
        estimate=float(fit.beta[0]) if has_limit else nan,
        se=float(fit.se[0]) if has_limit else nan,
        ci_low=float(fit.ci_low[0]) if has_limit else nan,
        ci_high=float(fit.ci_high[0]) if has_limit else nan,
        model=model,
        predictor=predictor,
        method=fit_method,
        test=fit_test,
        level=level,
        fit=fit,
        notes=tuple(notes),
    )


def _check_p_k(p, k):
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p: expected a p-value in (0, 1], got {p!r}") from None
    if not 0 < p <= 1:
        raise ValueError(f"p: expected a p-value in (0, 1], got {p!r}")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k: expected a whole number of studies, got {k!r}")
    check_k(int(k), 3, "Egger's regression test")
    return p, int(k)


def egger_t_from_p(p, k) -> float:
    """The :math:`|t|` on k − 2 degrees of freedom that a two-sided Egger p-value implies.

    Parameters
    ----------
    p : float
        The two-sided p-value, in (0, 1].
    k : int
        Number of studies (>= 3).

    Returns
    -------
    float
        :math:`t_{k-2}^{-1}(1 - p/2)`.

    Examples
    --------
    >>> round(egger_t_from_p(0.423, 6), 4)
    0.8916
    """
    p, k = _check_p_k(p, k)
    return float(special.stdtrit(k - 2, 1.0 - p / 2.0))


def egger_t_interval(p, k, digits=3) -> tuple:
    """The range of :math:`|t|` consistent with an Egger p-value printed to ``digits`` decimals.

    A printed ``P = .423`` means :math:`0.4225 \\le p < 0.4235`; the :math:`|t|` on k − 2 df lies
    between the values these bounds imply.

    Returns
    -------
    (float, float)
        Lowest and highest :math:`|t|`.

    Examples
    --------
    >>> lo, hi = egger_t_interval(0.423, 6, digits=3)
    >>> round(lo, 4), round(hi, 4)
    (0.8905, 0.8926)
    """
    p, k = _check_p_k(p, k)
    if isinstance(digits, (bool, np.bool_)) or not isinstance(digits, (int, np.integer)) or digits < 1:
        raise ValueError(f"digits: expected a whole number >= 1, got {digits!r}")
    half = 0.5 * 10.0 ** (-int(digits))
    p_hi = min(p + half, 1.0)
    p_lo = max(p - half, np.nextafter(0.0, 1.0))
    return float(special.stdtrit(k - 2, 1.0 - p_hi / 2.0)), float(special.stdtrit(k - 2, 1.0 - p_lo / 2.0))
