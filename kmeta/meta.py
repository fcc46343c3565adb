r"""Inverse-variance pooling: :func:`meta`, the workhorse of kmeta.

Given effect sizes :math:`y_i` with sampling variances :math:`v_i`, :func:`meta` fits the
common-effect model (``method="FE"``) or a random-effects model with one of the τ²
estimators of :mod:`kmeta.tau2`, exactly as metafor's ``rma.uni`` does for a model
without moderators:

* weights :math:`w_i = 1/(v_i + \hat\tau^2)`, estimate
  :math:`\hat\mu = \sum w_i y_i / \sum w_i`, standard error :math:`1/\sqrt{\sum w_i}`;
* ``test="z"``: Wald test and interval with the standard normal;
* ``test="t"``: the same standard error with a t distribution on k − 1 df;
* ``test="knha"`` (alias ``"hksj"``): Hartung–Knapp–Sidik–Jonkman. The variance is
  multiplied by :math:`q = \sum w_i (y_i - \hat\mu)^2/(k-1)` and t on k − 1 df is used
  (Hartung and Knapp 2001; Sidik and Jonkman 2002). Not truncated, as metafor;
* ``test="adhoc"``: the ad hoc variant that uses :math:`\max(1, q)` (Knapp and Hartung
  2003; Röver et al. 2015), so the interval is never narrower than the Wald-type t one.

Heterogeneity statistics (Q, I², H²) and the prediction interval are described in
:mod:`kmeta.heterogeneity`.

Edge cases (as metafor)
-----------------------
* k = 1: τ² is 0, the estimate is the study's own, Q = 0 on 0 df with p = 1, I² = 0,
  H² = 1; a t-based test falls back to ``"z"`` (recorded in ``notes``).
* k = 2: everything is defined except the prediction interval (NaN for k < 3).
* All studies with identical effects under ``"knha"``: q = 0, so the standard error is
  0 and the interval collapses to the estimate (metafor does the same).
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num, format_p, p_phrase
from ._validate import check_choice, check_level, read_effects
from .heterogeneity import _q_arrays, h2_from_q, h2_from_tau2, i2_from_q, i2_from_tau2, q_pvalue
from .tau2 import ALGORITHMS, METHODS, _rsum, _tau2_batch, _tau2_scalar

__all__ = ["meta", "MetaResult", "TESTS"]

TESTS = ("z", "t", "knha", "adhoc")
_SMALL_K = 64  # up to this k, meta() computes in Python floats (faster than numpy calls)
_TEST_ALIASES = {"HKSJ": "knha", "KH": "knha", "KNHA": "knha", "Z": "z", "T": "t", "ADHOC": "adhoc"}


def _canonical_test(test):
    if not isinstance(test, str):
        raise ValueError(f"test: expected one of {list(TESTS)} (or 'hksj'), got {test!r}")
    t = _TEST_ALIASES.get(test.upper())
    if t is None:
        raise ValueError(f"test: unknown value {test!r}; expected one of {list(TESTS)} (or 'hksj')")
    return t


@functools.lru_cache(maxsize=512)
def _crit(df, level):
    """Two-sided critical value: normal if df is None, else t on df."""
    if df is None:
        return float(special.ndtri(0.5 + level / 2.0))
    return float(special.stdtrit(df, 0.5 + level / 2.0))


def _by_df(df, func):
    """Evaluate ``func`` once per distinct degrees of freedom and spread it over rows."""
    if df.size and df[0] == df[-1] and (df == df[0]).all():
        return np.full(df.shape, func(float(df[0])))
    values, inverse = np.unique(df, return_inverse=True)
    return np.array([func(float(d)) for d in values])[inverse]


def _pool_arrays(Y, V, method, test, level, M=None, weights=True):
    """Fit the model to every row of (R, k) arrays (NaN marks an absent study).

    Returns a dict of arrays of shape (R,) (and ``weights`` of shape (R, k)).
    This is the implementation behind :func:`meta_batch` (and :func:`meta` for
    k > 64). ``M`` (present studies) may be passed if the caller has it;
    ``weights=False`` skips the (R, k) array of percent weights.
    """
    if M is None:
        M = np.isfinite(Y) & np.isfinite(V)
    full = bool(M.all())
    Mf = None if full else M.astype(float)
    Yc = Y if full else np.where(M, Y, 0.0)
    Vc = V if full else np.where(M, V, 1.0)
    k = np.full(Y.shape[0], float(Y.shape[1])) if full else _rsum(Mf)
    k_min = Y.shape[1] if full else k.min(initial=Y.shape[1])

    q, q_df, vt, c = _q_arrays(Yc, Vc, Mf, return_c=True)
    q = np.maximum(q, 0.0)
    tau2, conv, code, iters = _tau2_batch(Yc, Vc, method=method, fe=(q, c), prepared=(Yc, Vc, Mf, k))

    w = 1.0 / (Vc + tau2[:, None])
    if Mf is not None:
        w *= Mf
    sw = _rsum(w)
    mu = _rsum(w * Yc) / sw
    var = 1.0 / sw

    t_based = test in ("t", "knha", "adhoc")
    use_t = t_based & (k > 1)  # k = 1: metafor falls back to z
    if test in ("knha", "adhoc"):
        r = Yc - mu[:, None]
        rss = _rsum(w * r * r)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - 1.0))
        if test == "adhoc":
            s2w = np.maximum(s2w, 1.0)
        var = np.where(k > 1, var * s2w, var)
    se = np.sqrt(var)
    df = np.where(use_t, k - 1.0, np.nan)

    with np.errstate(divide="ignore", invalid="ignore"):
        stat = mu / se
    crit = np.full_like(mu, _crit(None, level))
    pval = 2.0 * special.ndtr(-np.abs(stat))
    if use_t.any():
        rows = np.flatnonzero(use_t)
        crit[rows] = _by_df(df[rows], lambda d: _crit(d, level))
        pval[rows] = 2.0 * special.stdtr(df[rows], -np.abs(stat[rows]))
    ci_low = mu - crit * se
    ci_high = mu + crit * se

    q_pval = q_pvalue(q, q_df)
    if method == "FE":
        i2 = i2_from_q(q, q_df)
        h2 = h2_from_q(q, q_df)
    else:
        # rows with k = 1 have tau2 = 0 (set so by _tau2_batch): I2 = 0 and H2 = 1
        i2 = i2_from_tau2(tau2, vt)
        h2 = h2_from_tau2(tau2, vt)

    if method != "FE" and k_min >= 3:  # every row has a prediction interval
        half = _by_df(k - 2.0, lambda d: _crit(d, level)) * np.sqrt(var + tau2)
        pi_low, pi_high = mu - half, mu + half
    else:
        pi_low = np.full_like(mu, np.nan)
        pi_high = np.full_like(mu, np.nan)
        if method != "FE" and (k >= 3).any():
            rows = np.flatnonzero(k >= 3)
            half = _by_df(k[rows] - 2.0, lambda d: _crit(d, level)) * np.sqrt(var[rows] + tau2[rows])
            pi_low[rows] = mu[rows] - half
            pi_high[rows] = mu[rows] + half

    if weights:
        weights = 100.0 * w / sw[:, None]
        if Mf is not None:
            weights = np.where(M, weights, np.nan)

    return {
        "k": k.astype(int),
        "estimate": mu,
        "se": se,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "stat": stat,
        "pval": pval,
        "df": df,
        "tau2": tau2,
        "tau": np.sqrt(tau2),
        "i2": i2,
        "h2": h2,
        "q": q,
        "q_df": q_df.astype(int),
        "q_pval": q_pval,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "vt": vt,
        "converged": conv,
        "algorithm": code,
        "iterations": iters,
        **({"weights": weights} if weights is not False else {}),
    }


def _pool_scalar(y, v, method, test, level):
    """:func:`_pool_arrays` for one meta-analysis given as lists of floats.

    The same formulas in the same order; tests/test_batch.py holds the two to 1e-10.
    """
    k = len(y)
    tau2, conv, code, iters = _tau2_scalar(y, v, method)
    w = [1.0 / (vi + tau2) for vi in v]
    sw = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y)) / sw
    var = 1.0 / sw
    use_t = test in ("t", "knha", "adhoc") and k > 1
    if test in ("knha", "adhoc") and k > 1:
        rss = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - 1.0)
        if test == "adhoc":
            s2w = max(s2w, 1.0)
        var *= s2w
    se = math.sqrt(var)
    df = float(k - 1) if use_t else math.nan
    if se > 0:
        stat = mu / se
    else:
        stat = math.copysign(math.inf, mu) if mu != 0 else math.nan
    if use_t:
        crit = _crit(df, level)
        pval = float(2.0 * special.stdtr(df, -abs(stat)))
    else:
        crit = _crit(None, level)
        pval = float(2.0 * special.ndtr(-abs(stat)))

    # Cochran's Q with common-effect weights, and the typical within-study variance
    w0 = [1.0 / vi for vi in v]
    sw0 = sum(w0)
    mu0 = sum(wi * yi for wi, yi in zip(w0, y)) / sw0
    q = max(0.0, sum(wi * (yi - mu0) ** 2 for wi, yi in zip(w0, y)))
    q_df = k - 1
    if q_df > 0:
        c = sw0 - sum(wi * wi for wi in w0) / sw0
        vt = q_df / c
        q_pval = float(special.chdtrc(q_df, q))
    else:
        vt, q_pval = 0.0, 1.0
    if method == "FE":
        i2 = max(0.0, 100.0 * (q - q_df) / q) if (q_df > 0 and q > 0) else 0.0
        h2 = q / q_df if q_df > 0 else 1.0
        pi_low = pi_high = math.nan
    else:
        i2 = 100.0 * tau2 / (tau2 + vt) if (k > 1 and tau2 > 0) else 0.0
        h2 = tau2 / vt + 1.0 if (k > 1 and tau2 > 0) else 1.0
        if k >= 3:
            half = _crit(float(k - 2), level) * math.sqrt(var + tau2)
            pi_low, pi_high = mu - half, mu + half
        else:
            pi_low = pi_high = math.nan
    return {
        "k": k,
        "estimate": mu,
        "se": se,
        "ci_low": mu - crit * se,
        "ci_high": mu + crit * se,
        "stat": stat,
        "pval": pval,
        "df": df,
        "tau2": tau2,
        "tau": math.sqrt(tau2),
        "i2": i2,
        "h2": h2,
        "q": q,
        "q_df": q_df,
        "q_pval": q_pval,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "vt": vt,
        "converged": conv,
        "algorithm": code,
        "iterations": iters,
        "weights": np.array([100.0 * wi / sw for wi in w]),
    }


@dataclasses.dataclass(frozen=True, repr=False)
class MetaResult(Result):
    """Result of :func:`meta`.

    Attributes
    ----------
    k : int
        Number of studies.
    estimate, se : float
        Pooled estimate and its standard error (HKSJ-adjusted for ``test="knha"``).
    ci_low, ci_high : float
        Confidence interval at ``level``.
    stat, pval : float
        z (or t) statistic and two-sided p-value for H0: mu = 0.
    df : float
        Degrees of freedom of the t distribution (NaN for z tests).
    tau2, tau : float
        Between-study variance and its square root (0 for ``"FE"``).
    i2, h2 : float
        I² (percent) and H², as metafor computes them for the fitted model.
    q, q_df, q_pval : float, int, float
        Cochran's Q test (always with common-effect weights 1/vi).
    pi_low, pi_high : float
        Prediction interval (t on k − 2 df); NaN for k < 3 and for ``"FE"``.
    weights : ndarray
        Study weights in percent.
    method, test : str
        The τ² estimator and the test used.
    level : float
        Confidence level.
    converged : bool
        Whether the τ² estimate was found (always True: see ``algorithm``).
    algorithm : str
        How τ² was obtained ("closed form", "Fisher scoring", "Newton ...",
        "bracketed root search ...").
    iterations : int
        Iterations of the primary algorithm.
    vt : float
        The typical within-study variance used for I² and H².
    yi, vi : ndarray
        The data.
    labels : tuple of str or None
        Study labels.
    notes : tuple of str
        Anything the reader should know about how the result was obtained.
    """

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    stat: float
    pval: float
    df: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pval: float
    pi_low: float
    pi_high: float
    weights: np.ndarray
    method: str
    test: str
    level: float
    converged: bool
    algorithm: str
    iterations: int
    vt: float
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    notes: tuple = ()

    @property
    def sei(self) -> np.ndarray:
        """Standard errors of the studies."""
        return np.sqrt(self.vi)

    def confint(self, level=None):
        """Q-profile confidence intervals for tau^2, tau, I^2 and H^2 (see :func:`kmeta.confint`)."""
        from .confint import confint

        return confint(self, level=level)

    def study_table(self) -> pd.DataFrame:
        """One row per study: label, yi, sei, study CI (normal), weight (percent)."""
        from scipy.stats import norm

        z = norm.ppf(0.5 + self.level / 2.0)
        sei = np.sqrt(self.vi)
        labels = self.labels if self.labels is not None else [str(i) for i in range(self.k)]
        return pd.DataFrame(
            {
                "study": list(labels),
                "yi": self.yi,
                "sei": sei,
                "ci_low": self.yi - z * sei,
                "ci_high": self.yi + z * sei,
                "weight": self.weights,
            }
        )

    def summary(self) -> str:
        model = "Common-effect" if self.method == "FE" else "Random-effects"
        est = "" if self.method == "FE" else f"; tau^2 estimator: {self.method}"
        lines = [f"{model} meta-analysis (k = {self.k}{est})", ""]
        if self.method != "FE":
            lines.append(
                f"tau^2 = {format_num(self.tau2)}, tau = {format_num(self.tau)}, "
                f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}"
            )
        else:
            lines.append(f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}")
        lines.append(
            f"Test for heterogeneity: Q(df = {self.q_df}) = {format_num(self.q)}, "
            f"{p_phrase(self.q_pval)}"
        )
        lines.append("")
        statname = "zval" if np.isnan(self.df) else "tval"
        pct = f"{100 * self.level:g}%"
        header = f"{'estimate':>10} {'se':>9} {statname:>9} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"
        row = (
            f"{format_num(self.estimate):>10} {format_num(self.se):>9} {format_num(self.stat):>9} "
            f"{format_p(self.pval):>8} {format_num(self.ci_low):>9} {format_num(self.ci_high):>9}"
        )
        lines += [header, row, ""]
        testname = {
            "z": "Wald (normal)",
            "t": f"t on {self.df:g} df",
            "knha": f"Hartung-Knapp-Sidik-Jonkman (t on {self.df:g} df)",
            "adhoc": f"HKSJ with ad hoc max(1, q) (t on {self.df:g} df)",
        }[self.test]
        lines.append(f"Test and {pct} CI: {testname}")
        if self.method != "FE":
            if np.isnan(self.pi_low):
                lines.append(f"{pct} prediction interval: not defined for k < 3")
            else:
                lines.append(
                    f"{pct} prediction interval (t on {self.k - 2} df): "
                    f"[{format_num(self.pi_low)}, {format_num(self.pi_high)}]"
                )
            lines.append(
                f"tau^2 found by: {self.algorithm}"
                + (f" ({self.iterations} iterations)" if self.iterations else "")
                + ("" if self.converged else " -- NOT CONVERGED")
            )
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the scalar results (labels, data and weights left out)."""
        cols = [
            "k", "estimate", "se", "ci_low", "ci_high", "stat", "pval", "df", "tau2", "tau",
            "i2", "h2", "q", "q_df", "q_pval", "pi_low", "pi_high", "method", "test", "level",
            "converged", "algorithm", "iterations",
        ]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])


def meta(yi, vi=None, *, method="REML", test="z", level=0.95, labels=None, sei=None) -> MetaResult:
    """Meta-analysis of effect sizes by inverse-variance weighting.

    Parameters
    ----------
    yi : array_like or DataFrame
        Effect sizes (one per study), or a DataFrame with columns ``yi`` and ``vi``
        (and optionally ``study``), such as :func:`kmeta.effect_sizes` returns; the
        studies it excluded (e.g. double-zero studies for RR/OR) are left out and
        named in ``notes``.
    vi : array_like
        Sampling variances (> 0). Give either ``vi`` or ``sei``.
    method : str
        ``"FE"`` (common effect) or a τ² estimator: ``"DL", "REML", "ML", "PM", "HE",
        "SJ", "EB"`` (see :mod:`kmeta.tau2`). Default ``"REML"``, as metafor.
    test : str
        ``"z"`` (Wald), ``"t"``, ``"knha"``/``"hksj"`` (Hartung–Knapp–Sidik–Jonkman) or
        ``"adhoc"`` (HKSJ truncated at max(1, q)).
    level : float
        Confidence level for the CI and the prediction interval (0.95; 95 also accepted).
    labels : sequence of str, optional
        Study names (used in errors, summaries and plots).
    sei : array_like, optional
        Standard errors instead of ``vi``.

    Returns
    -------
    MetaResult
        See :class:`MetaResult` for the fields.

    Raises
    ------
    ValueError
        For non-finite values, non-positive variances, mismatched lengths, an unknown
        method or test, or no studies at all. The message names the study and field.

    Examples
    --------
    >>> res = meta([-0.5, -0.2, -0.9], [0.04, 0.05, 0.06], method="DL")
    >>> res.k, res.method
    (3, 'DL')
    """
    method = check_choice(method, "method", METHODS)
    test = _canonical_test(test)
    level = check_level(level)
    yi, vi, labels, frame_notes = read_effects(yi, vi, sei, labels, "meta")
    k = yi.shape[0]

    if k <= _SMALL_K:
        out = _pool_scalar(yi.tolist(), vi.tolist(), method, test, level)
    else:
        out = {key: val[0] for key, val in _pool_arrays(yi[None, :], vi[None, :], method, test, level).items()}
    notes = list(frame_notes)
    if k == 1:
        notes.append("k = 1: tau^2 is 0 and the estimate is the single study's effect")
        if test != "z":
            notes.append(f"k = 1: test '{test}' needs k >= 2; the z test was used instead (as metafor)")
    code = int(out["algorithm"])
    if method in ("FE", "DL", "HE", "SJ") and k > 1:
        algorithm = ALGORITHMS[0]
    else:
        algorithm = ALGORITHMS[code]
    if code == 3:
        notes.append(
            f"the primary iteration for {method} did not converge in 100 steps; tau^2 was found "
            "by a bracketed root search on the estimating equation"
        )
    eff_test = test if k > 1 else "z"
    return MetaResult(
        k=k,
        estimate=float(out["estimate"]),
        se=float(out["se"]),
        ci_low=float(out["ci_low"]),
        ci_high=float(out["ci_high"]),
        stat=float(out["stat"]),
        pval=float(out["pval"]),
        df=float(out["df"]),
        tau2=float(out["tau2"]),
        tau=float(out["tau"]),
        i2=float(out["i2"]),
        h2=float(out["h2"]),
        q=float(out["q"]),
        q_df=int(out["q_df"]),
        q_pval=float(out["q_pval"]),
        pi_low=float(out["pi_low"]),
        pi_high=float(out["pi_high"]),
        weights=np.array(out["weights"], dtype=float),
        method=method,
        test=eff_test,
        level=level,
        converged=bool(out["converged"]),
        algorithm=algorithm,
        iterations=int(out["iterations"]),
        vt=float(out["vt"]),
        yi=yi.copy(),
        vi=vi.copy(),
        labels=tuple(labels) if labels is not None else None,
        notes=tuple(notes),
    )
