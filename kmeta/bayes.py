r"""Bayesian random-effects meta-analysis by numerical integration (no MCMC).

The model is the normal-normal hierarchical model (NNHM):

.. math::

    y_i \mid \theta_i \sim N(\theta_i, v_i), \qquad
    \theta_i \mid \mu, \tau \sim N(\mu, \tau^2),

with a prior :math:`p(\tau)` for the heterogeneity and either a flat prior or a normal
prior :math:`N(m_0, s_0^2)` for the overall mean :math:`\mu`. Because the prior for
:math:`\mu` is conjugate, everything conditional on :math:`\tau` is normal
(Röver 2020, the approach of the R package bayesmeta):

* the marginal likelihood of :math:`\tau` is, with :math:`w_i = 1/(v_i + \tau^2)`,
  :math:`S = \sum w_i\,(+\,1/s_0^2)` and :math:`m = (\sum w_i y_i\,(+\,m_0/s_0^2))/S`,

  .. math::

      p(y \mid \tau) \propto \prod_i w_i^{1/2}\; S^{-1/2}\;
      \exp\!\Big\{-\tfrac12\Big(\sum_i w_i y_i^2 \,(+\, m_0^2/s_0^2) - S m^2\Big)\Big\};

* :math:`\mu \mid \tau, y \sim N(m(\tau), 1/S(\tau))`;
* a new study's true effect :math:`\theta_{new} \mid \tau, y \sim N(m, 1/S + \tau^2)`;
* a study's own true effect, with :math:`B_i = v_i/(v_i+\tau^2)`,
  :math:`\theta_i \mid \tau, y \sim N(B_i m + (1-B_i) y_i,\; (1-B_i) v_i + B_i^2/S)`.

The posterior of :math:`\tau` is :math:`p(\tau \mid y) \propto p(\tau)\,p(y \mid \tau)`, a
one-dimensional density that is integrated deterministically: composite Gauss–Legendre
quadrature on a bounded coordinate (:math:`\tau` itself up to a prior quantile of
:math:`1 - 10^{-13}` for the light-tailed priors; the prior's own CDF for the half-Cauchy).
Marginal posteriors of :math:`\mu`, :math:`\theta_{new}` and :math:`\theta_i` are then
finite mixtures of normals over the quadrature nodes; their quantiles are found by
root-finding on the mixture CDF. The error of the quadrature is far below the printed
precision (tests/test_bayes.py compares with a brute-force two-dimensional grid).

Priors for :math:`\tau` (``tau_prior``, with ``tau_scale`` > 0):

``"halfnormal"``
    :math:`|N(0, \text{scale}^2)|`; median 0.674 × scale, 95% quantile 1.96 × scale.
``"halfcauchy"``
    :math:`|\text{Cauchy}(0, \text{scale})|`; median = scale, heavy tail.
``"exponential"``
    rate 1/scale; median 0.693 × scale.
``"uniform"``
    uniform on (0, scale).

Röver et al. (2021) discuss weakly informative choices for few studies and suggest
judging the scale against the *unit information standard deviation* (:func:`uisd`).

:func:`bayesmeta` analyses one data set; :func:`bayesmeta_batch` gives the credible
interval for :math:`\mu` for every row of ``(replicates, k)`` arrays (NaN-padded), for
simulation studies, with a coarser quadrature rule (checked against :func:`bayesmeta`).
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pandas as pd
from scipy import optimize, special

from ._result import Result, format_num
from ._validate import (
    as_array, check_choice, check_k, check_level, check_positive, check_positive_number, study_labels,
)

__all__ = [
    "TAU_PRIORS",
    "bayesmeta",
    "BayesMetaResult",
    "bayesmeta_batch",
    "BayesBatchResult",
    "prior_sensitivity",
    "uisd",
    "tau_prior_quantile",
]

TAU_PRIORS = ("halfnormal", "halfcauchy", "exponential", "uniform")
_TAIL = 1e-13  # prior mass left out beyond the upper integration limit (light-tailed priors)


# --------------------------------------------------------------------------- priors
def _check_prior(tau_prior, tau_scale):
    kind = check_choice(tau_prior, "tau_prior", TAU_PRIORS)
    scale = check_positive_number(tau_scale, "tau_scale", hint=" (the scale of the prior for tau)")
    return kind, scale


def _prior_logpdf(kind, scale, tau):
    tau = np.asarray(tau, dtype=float)
    if kind == "halfnormal":
        return math.log(2.0) - 0.5 * math.log(2 * math.pi) - math.log(scale) - 0.5 * (tau / scale) ** 2
    if kind == "halfcauchy":
        return math.log(2.0 / (math.pi * scale)) - np.log1p((tau / scale) ** 2)
    if kind == "exponential":
        return -math.log(scale) - tau / scale
    return np.full_like(tau, -math.log(scale))  # uniform on (0, scale)


def tau_prior_quantile(p, tau_prior="halfnormal", tau_scale=1.0):
    """Quantile of a heterogeneity prior (to describe it: median, 95% point ...).

    >>> round(float(tau_prior_quantile(0.5, "halfnormal", 1.0)), 4)
    0.6745
    """
    kind, scale = _check_prior(tau_prior, tau_scale)
    p = np.asarray(p, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p: probabilities must be in [0, 1]")
    if kind == "halfnormal":
        out = scale * special.ndtri((1.0 + p) / 2.0)
    elif kind == "halfcauchy":
        out = scale * np.tan(np.pi * p / 2.0)
    elif kind == "exponential":
        out = -scale * np.log1p(-p)
    else:
        out = scale * p
    return out[()] if out.ndim == 0 else out


def _coordinate(kind, scale, tail=_TAIL):
    """Map x in [0, 1] to tau; return (tau(x), log of d tau/dx, x(tau)).

    Light-tailed priors: tau = tau_max * x with tau_max the prior's 1 - ``tail`` quantile.
    Half-Cauchy: tau = scale * tan(pi x / 2), i.e. x is the prior CDF.
    """
    if kind == "halfcauchy":
        def tau_of(x):
            return scale * np.tan(np.pi * x / 2.0)

        def log_jac(x):
            # d tau/dx = scale * pi/2 / cos^2(pi x/2)
            return math.log(scale * np.pi / 2.0) - 2.0 * np.log(np.cos(np.pi * x / 2.0))

        def x_of(tau):
            return 2.0 / np.pi * np.arctan(np.asarray(tau, float) / scale)

        return tau_of, log_jac, x_of
    if kind == "halfnormal":
        tmax = scale * float(special.ndtri(1.0 - tail / 2.0))
    elif kind == "exponential":
        tmax = scale * math.log(1.0 / tail)
    else:
        tmax = scale
    return (lambda x: tmax * np.asarray(x, float),
            lambda x: np.full_like(np.asarray(x, float), math.log(tmax)),
            lambda tau: np.clip(np.asarray(tau, float) / tmax, 0.0, 1.0))


@functools.lru_cache(maxsize=32)
def _gl(order):
    x, w = np.polynomial.legendre.leggauss(order)
    return x, w


def _panel_nodes(edges, order):
    """Gauss–Legendre nodes and weights on each panel [edges[j], edges[j+1]] (flattened)."""
    x, w = _gl(order)
    a, b = edges[:-1, None], edges[1:, None]
    half = (b - a) / 2.0
    nodes = (a + b) / 2.0 + half * x[None, :]
    weights = half * w[None, :]
    return nodes.ravel(), weights.ravel()


# --------------------------------------------------------------------------- likelihood
def _mu_prior(mu_prior_mean, mu_prior_sd):
    if mu_prior_sd is None:
        if mu_prior_mean is not None:
            raise ValueError("mu_prior_sd: give a prior SD with mu_prior_mean (or neither, for a flat prior)")
        return None
    try:
        sd = float(mu_prior_sd)
        mean = 0.0 if mu_prior_mean is None else float(mu_prior_mean)
    except (TypeError, ValueError):
        raise ValueError("mu_prior_sd, mu_prior_mean: expected numbers") from None
    if not (np.isfinite(sd) and sd > 0):
        raise ValueError(f"mu_prior_sd: is {mu_prior_sd!r}; the prior SD of mu must be a finite number > 0")
    if not np.isfinite(mean):
        raise ValueError(f"mu_prior_mean: is {mu_prior_mean!r}; must be finite")
    return mean, sd


def _conditional(Y, V, M, tau, mu_prior):
    """Conditional-on-tau quantities for arrays Y, V (R, k) and tau (G,).

    Returns (loglik, m, S) of shape (R, G); M is the (R, k) float mask (1 = present)
    or None. Absent studies must carry a finite V (their weight is zeroed by M).
    """
    D = V[:, None, :] + (tau * tau)[None, :, None]  # (R, G, k): v_i + tau^2
    W = 1.0 / D
    if M is not None:
        W *= M[:, None, :]
        D = np.where(M[:, None, :] > 0, D, 1.0)
    S = W.sum(axis=2)
    WY = np.einsum("rgk,rk->rg", W, Y)
    WYY = np.einsum("rgk,rk->rg", W, Y * Y)
    # log prod(1/(v_i + tau^2)); the product of a few terms cannot overflow here
    logdet = -np.log(np.prod(D, axis=2)) if D.shape[2] <= 32 else -np.log(D).sum(axis=2)
    if mu_prior is not None:
        m0, s0 = mu_prior
        S = S + 1.0 / s0**2
        WY = WY + m0 / s0**2
        WYY = WYY + m0 * m0 / s0**2
        logdet = logdet - 2.0 * math.log(s0)
    m = WY / S
    quad = np.maximum(WYY - S * m * m, 0.0)
    loglik = 0.5 * logdet - 0.5 * np.log(S) - 0.5 * quad
    return loglik, m, S


# --------------------------------------------------------------------------- mixtures
def _mix_cdf(x, W, M, SD):
    return float(np.dot(W, special.ndtr((x - M) / SD)))


def _mix_pdf(x, W, M, SD):
    z = (x - M) / SD
    return float(np.dot(W, np.exp(-0.5 * z * z) / (SD * math.sqrt(2 * math.pi))))


def _mix_quantile(p, W, M, SD):
    """Quantile of a normal mixture (weights W sum to 1) by bracketed root-finding."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    mean = float(np.dot(W, M))
    sd = math.sqrt(max(float(np.dot(W, SD * SD + M * M)) - mean * mean, 1e-300))
    z = float(special.ndtri(p))
    lo = hi = mean + z * sd
    step = max(sd, 1e-8)
    while _mix_cdf(lo, W, M, SD) > p:
        lo -= step
        step *= 2.0
    step = max(sd, 1e-8)
    while _mix_cdf(hi, W, M, SD) < p:
        hi += step
        step *= 2.0
    if lo == hi:
        return lo
    return optimize.brentq(lambda x: _mix_cdf(x, W, M, SD) - p, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=200)


def _interval(qfun, level, kind):
    """Central or shortest interval from a quantile function."""
    a = 1.0 - level
    if kind == "central":
        return qfun(a / 2.0), qfun(1.0 - a / 2.0)
    res = optimize.minimize_scalar(
        lambda p: qfun(p + level) - qfun(p), bounds=(0.0, a), method="bounded",
        options={"xatol": 1e-9},
    )
    p = float(res.x)
    # the optimum may sit on the boundary (tau: interval starting at 0)
    cand = [(qfun(p + level) - qfun(p), p), (qfun(level) - qfun(0.0), 0.0)]
    width, p = min(cand)
    return qfun(p), qfun(p + level)


# --------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, repr=False)
class BayesMetaResult(Result):
    """Result of :func:`bayesmeta`.

    Attributes
    ----------
    k : int
        Number of studies.
    mu_median, mu_mean, mu_sd : float
        Posterior median, mean and SD of the overall mean effect.
    mu_low, mu_high : float
        Credible interval for mu at ``level`` (``interval`` type).
    tau_median, tau_mean : float
        Posterior median and mean of tau.
    tau_low, tau_high : float
        Credible interval for tau.
    pred_median, pred_low, pred_high : float
        Posterior predictive distribution of a new study's true effect.
    tau_prior, tau_scale : str, float
        The heterogeneity prior.
    mu_prior_mean, mu_prior_sd : float
        The normal prior for mu (NaN for the flat prior).
    level : float
        Credible level.
    interval : str
        ``"central"`` (equal tails) or ``"shortest"``.
    n_nodes : int
        Quadrature nodes over tau.
    log_evidence : float
        Log of the integral of prior times likelihood over tau (up to a constant that
        does not depend on the prior for tau; informational).
    tau_nodes, node_weights : ndarray
        Quadrature nodes over tau and posterior weights (summing to 1); not in
        ``to_frame()``.
    cond_mean, cond_sd : ndarray
        Mean and SD of mu given tau at each node.
    yi, vi : ndarray
        The data.
    labels : tuple or None
        Study labels.
    """

    k: int
    mu_median: float
    mu_mean: float
    mu_sd: float
    mu_low: float
    mu_high: float
    tau_median: float
    tau_mean: float
    tau_low: float
    tau_high: float
    pred_median: float
    pred_low: float
    pred_high: float
    tau_prior: str
    tau_scale: float
    mu_prior_mean: float
    mu_prior_sd: float
    level: float
    interval: str
    n_nodes: int
    log_evidence: float
    tau_nodes: np.ndarray
    node_weights: np.ndarray
    cond_mean: np.ndarray
    cond_sd: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    _panels: tuple = dataclasses.field(default=(), compare=False)

    # ---- mu
    def mu_cdf(self, x):
        """Posterior P(mu <= x) (vectorised over x)."""
        x = np.asarray(x, dtype=float)
        out = np.array([_mix_cdf(v, self.node_weights, self.cond_mean, self.cond_sd) for v in x.ravel()])
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def mu_pdf(self, x):
        """Posterior density of mu."""
        x = np.asarray(x, dtype=float)
        out = np.array([_mix_pdf(v, self.node_weights, self.cond_mean, self.cond_sd) for v in x.ravel()])
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def mu_quantile(self, p):
        """Posterior quantile(s) of mu."""
        p = np.asarray(p, dtype=float)
        out = np.array([_mix_quantile(v, self.node_weights, self.cond_mean, self.cond_sd) for v in p.ravel()])
        return out.reshape(p.shape)[()] if p.ndim == 0 else out.reshape(p.shape)

    def prob_mu_below(self, x):
        """Posterior probability that mu < x (e.g. x = -1: a benefit beyond one point)."""
        return self.mu_cdf(x)

    # ---- predictive
    def _pred_sd(self):
        return np.sqrt(self.cond_sd**2 + self.tau_nodes**2)

    def pred_cdf(self, x):
        """Posterior predictive P(theta_new <= x)."""
        x = np.asarray(x, dtype=float)
        sd = self._pred_sd()
        out = np.array([_mix_cdf(v, self.node_weights, self.cond_mean, sd) for v in x.ravel()])
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def pred_pdf(self, x):
        """Posterior predictive density of a new study's true effect."""
        x = np.asarray(x, dtype=float)
        sd = self._pred_sd()
        out = np.array([_mix_pdf(v, self.node_weights, self.cond_mean, sd) for v in x.ravel()])
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def pred_quantile(self, p):
        """Quantile(s) of the posterior predictive distribution."""
        p = np.asarray(p, dtype=float)
        sd = self._pred_sd()
        out = np.array([_mix_quantile(v, self.node_weights, self.cond_mean, sd) for v in p.ravel()])
        return out.reshape(p.shape)[()] if p.ndim == 0 else out.reshape(p.shape)

    # ---- tau
    def _log_post_tau(self, tau):
        """Unnormalised log posterior density of tau (same constant as the stored weights)."""
        edges, logz, kind, scale, mu_prior = self._panels[1], self._panels[2], self._panels[3], self._panels[4], self._panels[5]
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        M = None
        ll, _, _ = _conditional(self.yi[None, :], self.vi[None, :], M, tau, mu_prior)
        return ll[0] + _prior_logpdf(kind, scale, tau) - logz

    def tau_pdf(self, x):
        """Posterior density of tau (0 for x < 0)."""
        x = np.asarray(x, dtype=float)
        flat = x.ravel()
        out = np.zeros_like(flat)
        ok = flat >= 0
        if ok.any():
            out[ok] = np.exp(self._log_post_tau(flat[ok]))
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def _tau_cdf_scalar(self, t):
        if t <= 0:
            return 0.0
        order, edges, _, kind, scale, _, cum = self._panels[:7]
        tau_of, log_jac, x_of = _coordinate(kind, scale)
        xt = float(x_of(t))
        if xt >= 1.0:
            return 1.0
        j = int(np.searchsorted(edges, xt, side="right") - 1)
        j = min(max(j, 0), len(edges) - 2)
        nodes, w = _panel_nodes(np.array([edges[j], xt]), order)
        taus = tau_of(nodes)
        part = float(np.sum(w * np.exp(self._log_post_tau(taus) + log_jac(nodes))))
        return min(1.0, cum[j] + part)

    def tau_cdf(self, x):
        """Posterior P(tau <= x)."""
        x = np.asarray(x, dtype=float)
        out = np.array([self._tau_cdf_scalar(float(v)) for v in x.ravel()])
        return out.reshape(x.shape)[()] if x.ndim == 0 else out.reshape(x.shape)

    def _tau_quantile_scalar(self, p):
        if p <= 0:
            return 0.0
        if p >= 1:
            return math.inf
        order, edges, _, kind, scale, _, cum = self._panels[:7]
        tau_of, _, _ = _coordinate(kind, scale)
        j = int(np.searchsorted(cum, p, side="right") - 1)
        j = min(max(j, 0), len(edges) - 2)
        lo, hi = float(tau_of(edges[j])), float(tau_of(edges[j + 1]))
        if not np.isfinite(hi):
            hi = max(2 * lo, 1.0)
            while self._tau_cdf_scalar(hi) < p:
                hi *= 2
        flo, fhi = self._tau_cdf_scalar(lo) - p, self._tau_cdf_scalar(hi) - p
        if flo >= 0:
            return lo
        if fhi <= 0:
            return hi
        return optimize.brentq(lambda t: self._tau_cdf_scalar(t) - p, lo, hi, xtol=1e-12, rtol=1e-12)

    def tau_quantile(self, p):
        """Posterior quantile(s) of tau."""
        p = np.asarray(p, dtype=float)
        out = np.array([self._tau_quantile_scalar(float(v)) for v in p.ravel()])
        return out.reshape(p.shape)[()] if p.ndim == 0 else out.reshape(p.shape)

    # ---- studies
    def study_table(self) -> pd.DataFrame:
        """Shrinkage: posterior median and credible interval of each study's true effect."""
        tau2 = self.tau_nodes**2
        rows = []
        a = 1.0 - self.level
        labels = self.labels if self.labels is not None else [str(i) for i in range(self.k)]
        S = 1.0 / self.cond_sd**2
        for i in range(self.k):
            with np.errstate(divide="ignore", invalid="ignore"):
                B = np.where(tau2 > 0, self.vi[i] / (self.vi[i] + tau2), 1.0)
            mean = B * self.cond_mean + (1 - B) * self.yi[i]
            sd = np.sqrt(np.maximum((1 - B) * self.vi[i] + B * B / S, 1e-300))
            rows.append({
                "study": labels[i],
                "yi": self.yi[i],
                "sei": math.sqrt(self.vi[i]),
                "theta_median": _mix_quantile(0.5, self.node_weights, mean, sd),
                "theta_low": _mix_quantile(a / 2, self.node_weights, mean, sd),
                "theta_high": _mix_quantile(1 - a / 2, self.node_weights, mean, sd),
            })
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        cols = ["k", "mu_median", "mu_mean", "mu_sd", "mu_low", "mu_high", "tau_median", "tau_mean",
                "tau_low", "tau_high", "pred_median", "pred_low", "pred_high", "tau_prior", "tau_scale",
                "mu_prior_mean", "mu_prior_sd", "level", "interval", "n_nodes"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        mu_prior = ("flat (improper uniform)" if np.isnan(self.mu_prior_sd)
                    else f"normal(mean {format_num(self.mu_prior_mean)}, sd {format_num(self.mu_prior_sd)})")
        lines = [
            f"Bayesian random-effects meta-analysis (k = {self.k}; normal-normal hierarchical model)",
            f"Priors: tau ~ {self.tau_prior}(scale {format_num(self.tau_scale)}); mu ~ {mu_prior}",
            f"Posterior by numerical integration over tau ({self.n_nodes} quadrature nodes); "
            f"{self.interval} {pct} credible intervals",
            "",
            f"{'':>12} {'median':>9} {'mean':>9} {'ci.lb':>9} {'ci.ub':>9}",
            f"{'mu':>12} {format_num(self.mu_median):>9} {format_num(self.mu_mean):>9} "
            f"{format_num(self.mu_low):>9} {format_num(self.mu_high):>9}",
            f"{'tau':>12} {format_num(self.tau_median):>9} {format_num(self.tau_mean):>9} "
            f"{format_num(self.tau_low):>9} {format_num(self.tau_high):>9}",
            f"{'theta_new':>12} {format_num(self.pred_median):>9} {'':>9} "
            f"{format_num(self.pred_low):>9} {format_num(self.pred_high):>9}",
        ]
        return "\n".join(lines)


# --------------------------------------------------------------------------- main function
def _data(yi, vi, sei, labels):
    k = as_array(yi, "yi", finite=False).shape[0]
    check_k(k, 1, "bayesmeta")
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
    return yi, vi, labels, k


def bayesmeta(
    yi,
    vi=None,
    *,
    sei=None,
    tau_prior="halfnormal",
    tau_scale=1.0,
    mu_prior_mean=None,
    mu_prior_sd=None,
    level=0.95,
    interval="central",
    labels=None,
    panels=256,
    order=8,
) -> BayesMetaResult:
    """Bayesian random-effects meta-analysis (normal-normal hierarchical model).

    Parameters
    ----------
    yi : array_like
        Effect estimates (one per study).
    vi, sei : array_like
        Sampling variances or standard errors (give one).
    tau_prior : str
        Prior for the heterogeneity tau: ``"halfnormal"`` (default), ``"halfcauchy"``,
        ``"exponential"`` or ``"uniform"``.
    tau_scale : float
        Scale of that prior, in the units of ``yi`` (points on a 0–10 pain scale for a
        mean difference). Default 1.
    mu_prior_mean, mu_prior_sd : float, optional
        Normal prior for mu; if omitted, mu has a flat (improper uniform) prior.
    level : float
        Credible level (0.95).
    interval : str
        ``"central"`` (equal-tailed, default) or ``"shortest"`` (bayesmeta's default).
    labels : sequence of str, optional
        Study names.
    panels, order : int
        Quadrature: ``panels`` Gauss–Legendre panels of ``order`` nodes each.

    Returns
    -------
    BayesMetaResult

    Raises
    ------
    ValueError
        Bad data (naming the field and study), a non-positive prior scale or prior SD,
        an unknown prior, a level outside (0, 1).

    Examples
    --------
    >>> res = bayesmeta([-1.0, -2.0, -1.5], [0.3, 0.4, 0.5], tau_scale=1.0)
    >>> bool(res.mu_low < res.mu_median < res.mu_high)
    True
    """
    yi, vi, labels, k = _data(yi, vi, sei, labels)
    kind, scale = _check_prior(tau_prior, tau_scale)
    mu_prior = _mu_prior(mu_prior_mean, mu_prior_sd)
    level = check_level(level)
    interval = check_choice(interval, "interval", ("central", "shortest"))
    panels, order = int(panels), int(order)
    if panels < 1 or order < 2:
        raise ValueError("panels, order: need at least 1 panel and order >= 2")

    tau_of, log_jac, _ = _coordinate(kind, scale)
    edges = np.linspace(0.0, 1.0, panels + 1)
    x, wq = _panel_nodes(edges, order)
    tau = tau_of(x)
    ll, m, S = _conditional(yi[None, :], vi[None, :], None, tau, mu_prior)
    ll, m, S = ll[0], m[0], S[0]
    logw = ll + _prior_logpdf(kind, scale, tau) + log_jac(x) + np.log(wq)
    shift = float(np.max(logw))
    w = np.exp(logw - shift)
    Z = float(w.sum())
    W = w / Z
    logz = shift + math.log(Z)  # log integral of prior * likelihood over tau
    cum = np.concatenate([[0.0], np.cumsum(W.reshape(panels, order).sum(axis=1))])
    sd = 1.0 / np.sqrt(S)

    res = BayesMetaResult(
        k=k,
        mu_median=0.0, mu_mean=0.0, mu_sd=0.0, mu_low=0.0, mu_high=0.0,
        tau_median=0.0, tau_mean=0.0, tau_low=0.0, tau_high=0.0,
        pred_median=0.0, pred_low=0.0, pred_high=0.0,
        tau_prior=kind, tau_scale=scale,
        mu_prior_mean=math.nan if mu_prior is None else mu_prior[0],
        mu_prior_sd=math.nan if mu_prior is None else mu_prior[1],
        level=level, interval=interval, n_nodes=int(tau.size),
        log_evidence=logz,
        tau_nodes=tau, node_weights=W, cond_mean=m, cond_sd=sd,
        yi=yi.copy(), vi=vi.copy(), labels=tuple(labels) if labels is not None else None,
        _panels=(order, edges, logz, kind, scale, mu_prior, cum),
    )
    mu_mean = float(np.dot(W, m))
    mu_sd = math.sqrt(max(float(np.dot(W, sd * sd + m * m)) - mu_mean**2, 0.0))
    mu_low, mu_high = _interval(res.mu_quantile, level, interval)
    tau_low, tau_high = _interval(res.tau_quantile, level, interval)
    pred_low, pred_high = _interval(res.pred_quantile, level, interval)
    return dataclasses.replace(
        res,
        mu_median=float(res.mu_quantile(0.5)),
        mu_mean=mu_mean,
        mu_sd=mu_sd,
        mu_low=float(mu_low),
        mu_high=float(mu_high),
        tau_median=float(res.tau_quantile(0.5)),
        tau_mean=float(np.dot(W, tau)),
        tau_low=float(tau_low),
        tau_high=float(tau_high),
        pred_median=float(res.pred_quantile(0.5)),
        pred_low=float(pred_low),
        pred_high=float(pred_high),
    )


def prior_sensitivity(yi, vi=None, *, sei=None, priors=None, level=0.95, labels=None,
                      mu_prior_mean=None, mu_prior_sd=None, thresholds=(-1.0, -2.0)) -> pd.DataFrame:
    """Refit :func:`bayesmeta` under several heterogeneity priors; one row per prior.

    ``priors`` is a sequence of ``(tau_prior, tau_scale)`` pairs (default: half-normal
    with scales 0.5, 1 and 2, and half-Cauchy with scales 0.5 and 1). Columns: the prior,
    its median and 95% quantile, the posterior summaries of mu, tau and theta_new, and
    ``P(mu < t)`` for each threshold ``t``.
    """
    if priors is None:
        priors = [("halfnormal", 0.5), ("halfnormal", 1.0), ("halfnormal", 2.0),
                  ("halfcauchy", 0.5), ("halfcauchy", 1.0)]
    rows = []
    for kind, scale in priors:
        r = bayesmeta(yi, vi, sei=sei, tau_prior=kind, tau_scale=scale, level=level, labels=labels,
                      mu_prior_mean=mu_prior_mean, mu_prior_sd=mu_prior_sd)
        row = {
            "tau_prior": r.tau_prior,
            "tau_scale": r.tau_scale,
            "prior_tau_median": float(tau_prior_quantile(0.5, kind, scale)),
            "prior_tau_q95": float(tau_prior_quantile(0.95, kind, scale)),
            "mu_median": r.mu_median,
            "mu_low": r.mu_low,
            "mu_high": r.mu_high,
            "tau_median": r.tau_median,
            "tau_low": r.tau_low,
            "tau_high": r.tau_high,
            "pred_low": r.pred_low,
            "pred_high": r.pred_high,
        }
        for t in thresholds:
            row[f"p_mu_below_{t:g}"] = float(r.prob_mu_below(t))
        rows.append(row)
    return pd.DataFrame(rows)


def uisd(n, sei) -> float:
    r"""Unit information standard deviation :math:`\sqrt{\sum n_i / \sum \sigma_i^{-2}}`.

    The within-study SD that one patient contributes to the pooled estimate (Röver et al.
    2021): for a mean difference between two equal arms with outcome SD :math:`\sigma`
    it is close to :math:`2\sigma`. Heterogeneity priors are conveniently judged on
    this scale.
    """
    n = as_array(n, "n")
    check_positive(n, "n", None, "sample sizes must be > 0")
    sei = as_array(sei, "sei", None, n.shape[0])
    check_positive(sei, "sei", None, "standard errors must be > 0")
    return float(math.sqrt(n.sum() / np.sum(sei**-2.0)))


# --------------------------------------------------------------------------- batch
@dataclasses.dataclass(frozen=True, repr=False)
class BayesBatchResult(Result):
    """Result of :func:`bayesmeta_batch`: posterior summaries of mu, one per row.

    ``mu_median, mu_low, mu_high, mu_mean`` and ``tau_mean`` are arrays of shape
    ``(replicates,)``; ``k`` the number of studies in each row.
    """

    k: np.ndarray
    mu_median: np.ndarray
    mu_low: np.ndarray
    mu_high: np.ndarray
    mu_mean: np.ndarray
    tau_mean: np.ndarray
    tau_prior: str
    tau_scale: float
    level: float
    n_nodes: int

    @property
    def replicates(self) -> int:
        return int(self.mu_median.shape[0])

    def covers(self, value) -> np.ndarray:
        """Does each row's credible interval contain ``value``?"""
        return (self.mu_low <= value) & (value <= self.mu_high)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "k": self.k, "mu_median": self.mu_median, "mu_low": self.mu_low, "mu_high": self.mu_high,
            "mu_mean": self.mu_mean, "tau_mean": self.tau_mean,
        })

    def summary(self) -> str:
        return (
            f"{self.replicates} Bayesian meta-analyses (tau ~ {self.tau_prior}({self.tau_scale:g}), "
            f"flat prior for mu, {self.n_nodes} nodes); k from {int(self.k.min())} to {int(self.k.max())}\n"
            f"mean width of the {100 * self.level:g}% interval {np.mean(self.mu_high - self.mu_low):.4f}"
        )


def _batch_quantiles(W, M, SD, probs, tol=1e-7, maxiter=80):
    """Quantiles of R normal mixtures at once; arrays (R, G), weights summing to 1.

    Newton's method on the mixture CDF from the moment-matched normal quantile, kept
    inside a bracket that every step narrows (bisection when Newton would leave it).
    A row stops once a Newton step is below ``tol`` (relative): by quadratic
    convergence the step just taken leaves an error of order ``tol**2``. Rows are
    dropped from the work arrays once converged.
    """
    mean = np.einsum("rg,rg->r", W, M)
    var = np.einsum("rg,rg->r", W, SD * SD + M * M) - mean**2
    sd = np.sqrt(np.maximum(var, 1e-300))
    lo0 = (M - 40.0 * SD).min(axis=1)
    hi0 = (M + 40.0 * SD).max(axis=1)
    P = 1.0 / SD  # precision-scale: z = (x - M) * P
    MP = M * P
    WP = W * P / math.sqrt(2.0 * math.pi)  # density weights
    out = []
    for p in probs:
        lo, hi = lo0.copy(), hi0.copy()
        x = np.clip(mean + float(special.ndtri(p)) * sd, lo, hi)
        idx = np.arange(x.shape[0])
        Wa, Pa, MPa, WPa = W, P, MP, WP
        for _ in range(maxiter):
            if idx.size == 0:
                break
            xa = x[idx]
            z = xa[:, None] * Pa
            z -= MPa
            F = np.einsum("rg,rg->r", Wa, special.ndtr(z)) - p
            z *= z
            z *= -0.5
            f = np.einsum("rg,rg->r", WPa, np.exp(z, out=z))
            below = F < 0
            lo_a = np.where(below, xa, lo[idx])
            hi_a = np.where(below, hi[idx], xa)
            lo[idx], hi[idx] = lo_a, hi_a
            with np.errstate(divide="ignore", invalid="ignore"):
                step = F / f
            xn = xa - step
            conv = np.isfinite(step) & (np.abs(step) <= tol * (1.0 + np.abs(xa)))
            inside = np.isfinite(xn) & (xn > lo_a) & (xn < hi_a)
            xn = np.where(inside | conv, xn, 0.5 * (lo_a + hi_a))
            conv |= (hi_a - lo_a) <= tol * (1.0 + np.abs(xa))
            x[idx] = xn
            keep = ~conv
            if not keep.all():
                idx = idx[keep]
                Wa, Pa, MPa, WPa = Wa[keep], Pa[keep], MPa[keep], WPa[keep]
        out.append(x)
    return out


def bayesmeta_batch(
    yi,
    vi,
    *,
    tau_prior="halfnormal",
    tau_scale=1.0,
    level=0.95,
    nodes=24,
    tail=1e-7,
    median=True,
    chunk=4096,
) -> BayesBatchResult:
    """Posterior median and central credible interval of mu for every row of (R, k) arrays.

    The same model and priors as :func:`bayesmeta` (flat prior for mu), computed for many
    meta-analyses at once with a cheaper quadrature rule: one Gauss–Legendre rule of
    ``nodes`` points over tau from 0 to the prior's ``1 - tail`` quantile (half-Cauchy:
    over the prior CDF). With the defaults the interval bounds agree with
    :func:`bayesmeta` to about 1e-5 on data like the ketamine trials
    (tests/test_bayes.py). Rows may be padded with NaN (the same cells in ``yi`` and
    ``vi``); rows are grouped by their number of studies, so padding costs nothing.

    Parameters
    ----------
    yi, vi : array_like, shape (replicates, k)
        Effect estimates and sampling variances.
    tau_prior, tau_scale, level
        As for :func:`bayesmeta`.
    nodes : int
        Quadrature nodes over tau (>= 4).
    tail : float
        Prior mass left out above the integration limit (light-tailed priors), in (0, 0.01].
    median : bool
        Also compute the posterior median (``mu_median`` is NaN otherwise; coverage
        studies only need the interval).
    chunk : int
        Rows processed at once (memory is about chunk × nodes × k floats).

    Returns
    -------
    BayesBatchResult
    """
    kind, scale = _check_prior(tau_prior, tau_scale)
    level = check_level(level)
    nodes = int(nodes)
    if nodes < 4:
        raise ValueError(f"nodes: is {nodes}; need at least 4 quadrature nodes")
    tail = float(tail)
    if not 0 < tail <= 0.01:
        raise ValueError(f"tail: is {tail!r}; must be in (0, 0.01]")
    Y = np.asarray(yi, dtype=float)
    V = np.asarray(vi, dtype=float)
    if Y.ndim == 1:
        Y = Y[None, :]
    if V.ndim == 1:
        V = V[None, :]
    if Y.ndim != 2 or Y.shape != V.shape:
        raise ValueError(f"yi, vi: expected two arrays of the same shape (replicates, k); got {np.shape(yi)} and {np.shape(vi)}")
    ny, nv = np.isnan(Y), np.isnan(V)
    if (ny != nv).any():
        r, i = np.argwhere(ny != nv)[0]
        field = "yi" if ny[r, i] else "vi"
        raise ValueError(f"{field}: row {r}, study {i} is NaN but the other array is not; pad both with NaN")
    if np.isinf(Y).any() or np.isinf(V).any():
        r, i = np.argwhere(np.isinf(Y) | np.isinf(V))[0]
        field = "yi" if np.isinf(Y[r, i]) else "vi"
        raise ValueError(f"{field}: row {r}, study {i} is infinite; values must be finite")
    bad = ~nv & ~(V > 0)
    if bad.any():
        r, i = np.argwhere(bad)[0]
        raise ValueError(f"vi: row {r}, study {i} is {V[r, i]:g}; sampling variances must be > 0")
    present = ~ny
    kk = present.sum(axis=1)
    if (kk == 0).any():
        r = int(np.flatnonzero(kk == 0)[0])
        raise ValueError(f"k = 0: row {r} has no studies; bayesmeta_batch needs at least 1 per row")

    tau_of, log_jac, _ = _coordinate(kind, scale, tail)
    x, wq = _panel_nodes(np.array([0.0, 1.0]), nodes)
    tau = tau_of(x)
    base = _prior_logpdf(kind, scale, tau) + log_jac(x) + np.log(wq)
    a = 1.0 - level
    R = Y.shape[0]
    med, low, high = np.empty(R), np.empty(R), np.empty(R)
    mmean, tmean = np.empty(R), np.empty(R)
    for k in np.unique(kk):
        rows = np.flatnonzero(kk == k)
        sub = present[rows]
        Yk = Y[rows][sub].reshape(rows.size, k)
        Vk = V[rows][sub].reshape(rows.size, k)
        for start in range(0, rows.size, int(chunk)):
            sl = slice(start, min(rows.size, start + int(chunk)))
            idx = rows[sl]
            ll, m, S = _conditional(Yk[sl], Vk[sl], None, tau, None)
            lw = ll + base[None, :]
            lw -= lw.max(axis=1, keepdims=True)
            W = np.exp(lw)
            W /= W.sum(axis=1, keepdims=True)
            mmean[idx] = (W * m).sum(axis=1)
            tmean[idx] = W @ tau
            used = W.max(axis=0) > 1e-16  # drop nodes without weight in any row of the chunk
            SD = 1.0 / np.sqrt(S[:, used])
            probs = (a / 2.0, 1.0 - a / 2.0) + ((0.5,) if median else ())
            q = _batch_quantiles(W[:, used], m[:, used], SD, probs)
            low[idx], high[idx] = q[0], q[1]
            med[idx] = q[2] if median else np.nan
    return BayesBatchResult(
        k=kk.astype(int), mu_median=med, mu_low=low, mu_high=high, mu_mean=mmean, tau_mean=tmean,
        tau_prior=kind, tau_scale=scale, level=level, n_nodes=int(tau.size),
    )
