r"""Mixed-effects meta-regression: :func:`metareg`, as metafor's ``rma.uni`` with ``mods``.

The model is

.. math::

    y_i = x_i'\beta + u_i + e_i, \qquad u_i \sim N(0, \tau^2), \quad e_i \sim N(0, v_i),

with a design matrix :math:`X` (``k × p``; an intercept column and the moderators).
:math:`\tau^2` is now the *residual* heterogeneity, the variance of the true effects not
explained by the moderators. With ``method="FE"`` it is 0 (a fixed-effects
meta-regression, weighted least squares with weights :math:`1/v_i`).

Estimation of τ² with moderators
--------------------------------
Write :math:`W = \mathrm{diag}(w_i)`, :math:`w_i = 1/(v_i + \tau^2)` and
:math:`P = W - WX(X'WX)^{-1}X'W`, so that :math:`y'Py` is the weighted residual sum of
squares of the weighted least-squares fit. Following metafor (Viechtbauer 2005, 2010;
Viechtbauer et al. 2015) each estimator of :mod:`kmeta.tau2` generalises as follows,
with :math:`P_0 = I - X(X'X)^{-1}X'` the ordinary least-squares residual projector:

``"DL"``
    :math:`(y'P y - (k-p))/\mathrm{tr}(P)` at :math:`w_i = 1/v_i`, truncated at 0.
``"HE"``
    :math:`(y'P_0 y - \mathrm{tr}(P_0 V))/(k-p)`, truncated at 0.
``"SJ"``
    :math:`\tau_0^2\, y'Py/(k-p)` at :math:`w_i = 1/(v_i + \tau_0^2)` with
    :math:`\tau_0^2 = \sum (y_i - \bar y)^2/k` (the spread of the effects *about their
    mean*, not about the regression, exactly as metafor).
``"PM"``
    the root of :math:`y'P(\tau^2)y = k - p` (0 if :math:`y'P(0)y < k - p`). The left
    side is decreasing and convex in τ², so Newton's method from 0 climbs monotonically
    to the root.
``"EB"``
    metafor's iteration :math:`\Delta = (y'Py\,k/(k-p) - k)/\sum w_i`; its fixed point is
    the PM root.
``"ML"``
    Fisher scoring :math:`\Delta = (y'PPy - \sum w_i)/\sum w_i^2`.
``"REML"``
    Fisher scoring :math:`\Delta = (y'PPy - \mathrm{tr}(P))/\mathrm{tr}(PP)`.

The iterative estimators start, as metafor, at the (truncated) HE estimate, halve a step
that would make τ² negative, and for ML/REML compare the converged value with the
boundary τ² = 0 and keep the one with the higher likelihood. If the primary iteration
has not converged after 100 steps the estimate is found instead by a bracketed root
search (a grid over the likelihood to find the global maximum, then bisection on the
estimating equation; for PM/EB bisection on the monotone Q equation), and the result
says so in ``algorithm``. ``converged`` is therefore always True unless the data are
degenerate.

.. note::
   metafor computes the τ² estimating equations and the residual heterogeneity
   statistic :math:`Q_E` from the *mean-centred* effects :math:`y - \bar y`. With an
   intercept this changes nothing (the constant lies in the column space of X); for a
   model without intercept (``intercept=False``) it does, and kmeta does the same as
   metafor so that the two agree. The coefficients themselves always use the
   uncentred :math:`y`.

Tests and intervals
-------------------
The coefficients are :math:`\hat\beta = (X'WX)^{-1}X'Wy` with
:math:`\mathrm{Var}(\hat\beta) = (X'WX)^{-1}`.

* ``test="z"``: Wald z tests and normal intervals; the omnibus test of the moderators
  (all coefficients except the intercept) is
  :math:`Q_M = \hat\beta_2'\,\mathrm{Var}(\hat\beta_2)^{-1}\hat\beta_2 \sim \chi^2_m`.
* ``test="t"``: the same variance with t tests on :math:`k - p` df; :math:`Q_M/m` is
  referred to :math:`F(m, k-p)`.
* ``test="knha"`` (Knapp and Hartung 2003): the variance is multiplied by
  :math:`s^2 = \sum w_i (y_i - x_i'\hat\beta)^2/(k-p)`, t tests on :math:`k - p` df and
  :math:`F(m, k-p)` for the omnibus test. This is the default of Stata's ``metareg``
  (Harbord and Higgins 2008): to reproduce a Stata ``metareg`` analysis (REML with the
  Knapp–Hartung variance, t on k − p df) use ``method="REML", test="knha"``; Stata's
  ``metareg ..., mm`` corresponds to ``method="DL"`` and ``..., z`` to ``test="z"``.
  (kmeta, like metafor, does not truncate :math:`s^2`; an analysis that truncated it
  at 1 is reproduced by ``test="adhoc"``. Whether a given Stata run did cannot be told
  from its output when :math:`s^2 \ge 1`.)
* ``test="adhoc"``: as ``"knha"`` with :math:`\max(1, s^2)`.

Residual heterogeneity: :math:`Q_E = y'P y` at :math:`w_i = 1/v_i`, on :math:`k-p` df;
:math:`I^2 = 100\,\tau^2/(\tau^2 + \tilde v)` and :math:`H^2 = \tau^2/\tilde v + 1` with
:math:`\tilde v = (k-p)/\mathrm{tr}(P)` (for ``"FE"``: :math:`100(Q_E - (k-p))/Q_E` and
:math:`Q_E/(k-p)`). The pseudo-:math:`R^2` (Raudenbush 2009; metafor) is
:math:`\max\{0, 100(\hat\tau^2_{RE} - \hat\tau^2_{ME})/\hat\tau^2_{RE}\}`, with
:math:`\hat\tau^2_{RE}` from the model without moderators (same estimator); 0 when
:math:`\hat\tau^2_{RE} = 0` (kmeta: also when it is below :math:`10^{-10}\bar v`, where
metafor divides two rounding errors). For ``"FE"`` metafor reports the adjusted :math:`R^2` of the
weighted least-squares regression, and so does kmeta. R² is only defined for models
with an intercept and at least one moderator.

Permutation tests
-----------------
With ``permutations=n`` the p-values are also obtained by permuting the rows of the
design matrix across studies (Higgins and Thompson 2004; metafor's ``permutest``): the
model is refitted for each permutation and the permutation p-value of a coefficient is
the proportion of permutations with :math:`|z_j^*| \ge |z_j|` (and of :math:`Q_M^* \ge
Q_M` for the omnibus test), the observed arrangement included. When the number of
*distinct* arrangements of the rows, :math:`k!/\prod_g m_g!` (rows that are identical
count once), is at most ``n``, all of them are enumerated (an exact test, independent of
the seed); otherwise ``n`` random permutations are drawn with ``seed`` (the first being
the observed data, as metafor). For a model without moderators the test flips the signs
of the effects instead (:math:`2^k` arrangements), as metafor does.

References
----------
Harbord RM, Higgins JPT (2008). Meta-regression in Stata. *Stata Journal* 8(4):493–519.
Higgins JPT, Thompson SG (2004). Controlling the risk of spurious findings from
meta-regression. *Statistics in Medicine* 23:1663–1682.
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a
single covariate. *Statistics in Medicine* 22:2693–2710.
Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In Cooper H, Hedges
LV, Valentine JC (eds), *The Handbook of Research Synthesis and Meta-Analysis*, 2nd ed.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. *Journal of Educational and Behavioral Statistics* 30:261–293.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
Viechtbauer W, López-López JA, Sánchez-Meca J, Marín-Martínez F (2015). A comparison of
procedures to test for moderators in mixed-effects meta-regression models.
*Psychological Methods* 20:360–374.
"""
from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num, format_p, p_phrase
from ._validate import as_array, check_choice, check_k, check_level, check_positive, read_effects, study_labels, where
from .meta import _canonical_test
from .tau2 import ALGORITHMS, METHODS

__all__ = ["metareg", "MetaregResult"]

_MAXITER = 100
_TOL = 1e-12
_COMPTOL = np.sqrt(np.finfo(float).eps)  # metafor's tolerance when comparing permuted statistics


# ----------------------------------------------------------------------------- engine
# All functions work on a batch of R models at once: Y, V of shape (R, k) and X of
# shape (R, k, p) (or (1, k, p), broadcast). One model is a batch of one.
def _wls(w, X, y):
    """Weighted least squares through the QR decomposition of sqrt(W) X (as metafor).

    Returns beta (R, p), residuals y - X beta (R, k), leverages h (R, k) of the weighted
    problem, Q (R, k, p), Rinv (R, p, p) and log det(X'WX) (R,).
    """
    sw = np.sqrt(w)
    Xs = sw[:, :, None] * X
    Q, Rm = np.linalg.qr(Xs)
    Rinv = np.linalg.inv(Rm)
    qty = np.einsum("rkp,rk->rp", Q, sw * y)
    beta = np.einsum("rpq,rq->rp", Rinv, qty)
    resid = y - np.einsum("rkp,rp->rk", np.broadcast_to(X, Q.shape), beta)
    h = (Q * Q).sum(axis=2)
    logdet = 2.0 * np.log(np.abs(np.diagonal(Rm, axis1=1, axis2=2))).sum(axis=1)
    return beta, resid, h, Q, Rinv, logdet


def _quantities(Yc, V, X, tau2):
    """y'Py, y'PPy, sum w, sum w^2, tr(P), tr(PP), log det(X'WX) at tau2 (per row)."""
    w = 1.0 / (V + tau2[:, None])
    _, r, h, Q, _, logdet = _wls(w, X, Yc)
    sw = w.sum(axis=1)
    sw2 = (w * w).sum(axis=1)
    q = (w * r * r).sum(axis=1)
    d = (w * w * r * r).sum(axis=1)
    trp = (w * (1.0 - h)).sum(axis=1)
    qtwq = np.einsum("rki,rk,rkj->rij", Q, w, Q)
    trpp = sw2 - 2.0 * (w * w * h).sum(axis=1) + (qtwq * qtwq).sum(axis=(1, 2))
    return {"w": w, "q": q, "d": d, "sw": sw, "sw2": sw2, "trp": trp, "trpp": trpp, "logdet": logdet}


def _score(Yc, V, X, tau2, method, k, p):
    """Estimating function (positive below the root, negative above)."""
    s = _quantities(Yc, V, X, tau2)
    if method == "ML":
        return s["d"] - s["sw"]
    if method == "REML":
        return s["d"] - s["trp"]
    return s["q"] - (k - p)  # PM, EB


def _loglik(Yc, V, X, tau2, method):
    """(Restricted) log-likelihood up to a constant (as metafor's ll0check)."""
    s = _quantities(Yc, V, X, tau2)
    ll = -0.5 * np.log(V + tau2[:, None]).sum(axis=1) - 0.5 * s["q"]
    if method == "REML":
        ll -= 0.5 * s["logdet"]
    return ll


def _halve(t, adj):
    """metafor's rule: halve a step until tau2 + step >= 0 (computed, not looped)."""
    neg = t + adj < 0
    if not neg.any():
        return adj
    a, tt = adj[neg], t[neg]
    with np.errstate(divide="ignore", invalid="ignore"):
        j = np.ceil(np.log2(-a / tt))
    j = np.where(np.isfinite(j), np.maximum(j, 1.0), np.inf)
    a = a / np.exp2(j)
    a = np.where(tt + a < 0, a / 2.0, a)
    adj = adj.copy()
    adj[neg] = a
    return adj


def _closed_form(Yc, V, X, method, k, p):
    R = Yc.shape[0]
    if method == "HE":
        ones = np.ones_like(V)
        _, r, h, _, _, _ = _wls(ones, X, Yc)
        rss = (r * r).sum(axis=1)
        trpv = (V * (1.0 - h)).sum(axis=1)
        return (rss - trpv) / (k - p)
    if method == "DL":
        s = _quantities(Yc, V, X, np.zeros(R))
        return (s["q"] - (k - p)) / s["trp"]
    if method == "SJ":
        t0 = (Yc * Yc).sum(axis=1) / k  # Yc is centred: the plain variance (divisor k)
        s = _quantities(Yc, V, X, t0)
        return t0 * s["q"] / (k - p)
    raise AssertionError(method)  # pragma: no cover


def _scoring(Yc, V, X, method, k, p, start):
    R = Yc.shape[0]
    tau2 = start.copy()
    conv = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    active = np.arange(R)
    for it in range(1, _MAXITER + 1):
        if active.size == 0:
            break
        Xa = X if X.shape[0] == 1 else X[active]
        t = tau2[active]
        s = _quantities(Yc[active], V[active], Xa, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == "ML":
                adj = (s["d"] - s["sw"]) / s["sw2"]
            elif method == "REML":
                adj = (s["d"] - s["trp"]) / s["trpp"]
            else:  # EB
                adj = (s["q"] * k / (k - p) - k) / s["sw"]
        adj = np.where(np.isfinite(adj), adj, 0.0)
        adj = _halve(t, adj)
        new = t + adj
        tau2[active] = new
        iters[active] = it
        done = np.abs(adj) <= _TOL * np.maximum(1.0, new)
        conv[active[done]] = True
        active = active[~done]
    return tau2, conv, iters


def _newton_pm(Yc, V, X, k, p):
    R = Yc.shape[0]
    target = float(k - p)
    tau2 = np.zeros(R)
    conv = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    active = np.arange(R)
    for it in range(0, _MAXITER + 1):
        if active.size == 0:
            break
        Xa = X if X.shape[0] == 1 else X[active]
        t = tau2[active]
        s = _quantities(Yc[active], V[active], Xa, t)
        f = s["q"] - target
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(f > 0, f / s["d"], 0.0)
        step = np.where(np.isfinite(step), step, 0.0)
        new = t + step
        tau2[active] = new
        iters[active] = it
        done = (f <= 0) | (step <= _TOL * 1e-2 * np.maximum(1.0, new))
        conv[active[done]] = True
        active = active[~done]
    return tau2, conv, iters


def _bracketed(Yc, V, X, method, k, p, ngrid=200):
    """Fallback: global maximum on a grid (ML/REML) or last sign change (PM/EB), then bisection."""
    R = Yc.shape[0]
    ss = (Yc * Yc).sum(axis=1) / max(k - 1, 1)
    hi = np.maximum(1.0, 10.0 * (ss + V.max(axis=1)))
    for _ in range(60):
        pos = _score(Yc, V, X, hi, method, k, p) > 0
        if not pos.any():
            break
        hi = np.where(pos, hi * 10.0, hi)
    frac = np.concatenate([[0.0], np.geomspace(1e-8, 1.0, ngrid - 1)])
    grid = hi[:, None] * frac[None, :]
    obj = np.empty((R, ngrid))
    for j in range(ngrid):
        if method in ("ML", "REML"):
            obj[:, j] = _loglik(Yc, V, X, grid[:, j], method)
        else:
            obj[:, j] = _score(Yc, V, X, grid[:, j], method, k, p)
    if method in ("ML", "REML"):
        best = obj.argmax(axis=1)
    else:
        pos = obj > 0
        best = np.where(pos.any(axis=1), ngrid - 1 - np.argmax(pos[:, ::-1], axis=1), 0)
    idx = np.arange(R)
    lo = grid[idx, np.maximum(best - 1, 0)]
    up = grid[idx, np.minimum(best + 1, ngrid - 1)]
    s_lo = _score(Yc, V, X, lo, method, k, p)
    s0 = _score(Yc, V, X, np.zeros(R), method, k, p)
    a, b = lo.copy(), up.copy()
    for _ in range(200):
        mid = 0.5 * (a + b)
        up_ = _score(Yc, V, X, mid, method, k, p) > 0
        a = np.where(up_, mid, a)
        b = np.where(up_, b, mid)
        if np.all(b - a <= 1e-15 * np.maximum(1.0, b)):
            break
    out = 0.5 * (a + b)
    boundary = (best == 0) & (s0 <= 0)
    out = np.where(boundary, 0.0, out)
    bad = (s_lo <= 0) & ~boundary & (best > 0)
    out = np.where(bad, grid[idx, best], out)
    return out


def _tau2_mr(Yc, V, X, method, k, p):
    """tau^2 of a meta-regression per row: (tau2, converged, algorithm code, iterations)."""
    R = Yc.shape[0]
    code = np.zeros(R, dtype=int)
    conv = np.ones(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    if k == 1:
        return np.zeros(R), conv, np.full(R, 4), iters
    if method == "FE":
        return np.zeros(R), conv, code, iters
    if method in ("HE", "DL", "SJ"):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = _closed_form(Yc, V, X, method, k, p)
        return np.maximum(np.nan_to_num(t, nan=0.0), 0.0), conv, code, iters
    if method == "PM":
        tau2, conv, iters = _newton_pm(Yc, V, X, k, p)
        code[:] = 2
    else:  # EB, ML, REML
        start = np.maximum(np.nan_to_num(_closed_form(Yc, V, X, "HE", k, p), nan=0.0), 0.0)
        tau2, conv, iters = _scoring(Yc, V, X, method, k, p, start)
        code[:] = 1
        if method in ("ML", "REML") and conv.any():
            rows = np.flatnonzero(conv & (tau2 > 0))
            if rows.size:
                Xr = X if X.shape[0] == 1 else X[rows]
                ll = _loglik(Yc[rows], V[rows], Xr, tau2[rows], method)
                ll0 = _loglik(Yc[rows], V[rows], Xr, np.zeros(rows.size), method)
                tau2[rows] = np.where(ll0 > ll + 1e-10, 0.0, tau2[rows])
    failed = np.flatnonzero(~conv)
    if failed.size:
        Xf = X if X.shape[0] == 1 else X[failed]
        tau2[failed] = _bracketed(Yc[failed], V[failed], Xf, method, k, p)
        code[failed] = 3
        conv[failed] = True
    return np.maximum(tau2, 0.0), conv, code, iters


def _crit(level, df):
    """Two-sided critical values: normal where df is NaN, else t on df."""
    df = np.asarray(df, dtype=float)
    z = special.ndtri(0.5 + level / 2.0)
    with np.errstate(invalid="ignore"):
        t = special.stdtrit(np.where(np.isfinite(df) & (df > 0), df, 1.0), 0.5 + level / 2.0)
    return np.where(np.isfinite(df), np.where(df > 0, t, np.nan), z)


def _fit(Y, V, X, method, test, level, btt, tau2=None, full=True):
    """Fit R meta-regressions. Y, V: (R, k); X: (R or 1, k, p). Returns a dict of arrays.

    ``btt``: indices of the coefficients in the omnibus test. ``tau2``: fixed values
    (skip estimation; used for permutations of FE fits and internal calls).
    """
    R, k = Y.shape
    p = X.shape[2]
    Yc = Y - Y.mean(axis=1, keepdims=True)
    if tau2 is None:
        tau2, conv, code, iters = _tau2_mr(Yc, V, X, method, k, p)
    else:
        conv = np.ones(R, dtype=bool)
        code = np.zeros(R, dtype=int)
        iters = np.zeros(R, dtype=int)
    w = 1.0 / (V + tau2[:, None])
    beta, resid, h, Q, Rinv, _ = _wls(w, X, Y)
    vb = np.einsum("rij,rkj->rik", Rinv, Rinv)
    t_based = test in ("t", "knha", "adhoc")
    df = float(k - p) if t_based else np.nan
    s2w = np.ones(R)
    if test in ("knha", "adhoc"):
        rss = (w * resid * resid).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - p))
        if test == "adhoc":
            s2w = np.maximum(s2w, 1.0)
        vb = vb * s2w[:, None, None]
    se = np.sqrt(np.maximum(np.diagonal(vb, axis1=1, axis2=2), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    if t_based:
        with np.errstate(invalid="ignore"):
            pval = 2.0 * special.stdtr(df, -np.abs(stat)) if df > 0 else np.full_like(stat, np.nan)
    else:
        pval = 2.0 * special.ndtr(-np.abs(stat))
    crit = float(_crit(level, df))
    ci_low = beta - crit * se
    ci_high = beta + crit * se

    btt = np.asarray(btt, dtype=int)
    m = btt.size
    bsub = beta[:, btt]
    vsub = vb[:, btt[:, None], btt[None, :]]
    qm = np.full(R, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.all(np.isfinite(vsub), axis=(1, 2)) & (np.linalg.det(vsub) > 0)
    if ok.any():
        sol = np.linalg.solve(vsub[ok], bsub[ok][:, :, None])[:, :, 0]
        qm[ok] = (bsub[ok] * sol).sum(axis=1)
    if t_based:
        qm = qm / m
        with np.errstate(invalid="ignore"):
            qm_pval = special.fdtrc(m, df, qm) if df > 0 else np.full(R, np.nan)
    else:
        with np.errstate(invalid="ignore"):
            qm_pval = special.chdtrc(m, qm)
    out = {
        "tau2": tau2, "converged": conv, "algorithm": code, "iterations": iters,
        "beta": beta, "se": se, "stat": stat, "pval": pval, "ci_low": ci_low, "ci_high": ci_high,
        "vb": vb, "s2w": s2w, "qm": qm, "qm_pval": qm_pval, "df": df, "m": m, "crit": crit,
        "w": w, "resid": resid, "hat": h,
    }
    if not full:
        return out
    # residual heterogeneity with weights 1/vi, from the centred effects (as metafor)
    if k > p:
        w0 = 1.0 / V
        _, r0, h0, _, _, _ = _wls(w0, X, Yc)
        qe = np.maximum((w0 * r0 * r0).sum(axis=1), 0.0)
        trp0 = (w0 * (1.0 - h0)).sum(axis=1)
        qe_pval = special.chdtrc(k - p, qe)
        vt = (k - p) / trp0
        if method == "FE":
            with np.errstate(divide="ignore", invalid="ignore"):
                i2 = np.where(qe > 0, np.maximum(0.0, 100.0 * (qe - (k - p)) / qe), 0.0)
            h2 = qe / (k - p)
        else:
            i2 = 100.0 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1.0
    else:
        qe = np.zeros(R)
        qe_pval = np.ones(R)
        vt = np.zeros(R)
        i2 = np.zeros(R)
        h2 = np.ones(R)
    out.update({"qe": qe, "qe_pval": qe_pval, "vt": vt, "i2": i2, "h2": h2})
    return out



# ----------------------------------------------------------------------------- input
# ----------------------------------------------------------------------------- design
def _is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(s.dtype)
        or pd.api.types.is_object_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
    )


def _levels(s: pd.Series, name: str, labels):
    """Levels of a categorical moderator: category order, else sorted (as R's factor)."""
    missing = s.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"moderators: column '{name}', {where(i, labels)} is missing (NaN/None)")
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.astype(object).tolist())
        return [c for c in s.cat.categories if c in present]
    values = s.astype(object).tolist()
    try:
        return sorted(set(values))
    except TypeError:
        return sorted(set(values), key=str)


def _as_frame(moderators, k):
    if isinstance(moderators, pd.DataFrame):
        return moderators.reset_index(drop=True)
    if isinstance(moderators, pd.Series):
        name = moderators.name if moderators.name is not None else "x"
        return moderators.reset_index(drop=True).to_frame(name=str(name))
    if isinstance(moderators, dict):
        return pd.DataFrame({str(c): list(v) if not np.isscalar(v) else v for c, v in moderators.items()})
    arr = np.asarray(moderators)
    if arr.ndim == 0:
        raise ValueError("moderators: expected one value per study (an array, Series or DataFrame), got a scalar")
    if arr.ndim == 1:
        if arr.dtype.kind in "biufc":
            return pd.DataFrame({"x": arr})
        return pd.DataFrame({"x": pd.Series(arr, dtype=object)})
    if arr.ndim == 2:
        if arr.shape[0] != k and arr.shape[1] == k:
            raise ValueError(
                f"moderators: has shape {arr.shape}; expected one row per study ({k} rows), "
                "perhaps it needs transposing"
            )
        return pd.DataFrame(arr, columns=[f"x{j + 1}" for j in range(arr.shape[1])])
    raise ValueError(f"moderators: expected a 1-d or 2-d array, got shape {arr.shape}")


def _design(moderators, k, labels, intercept=True):
    """Design matrix X (k, p), coefficient names and notes.

    Numeric columns are used as they are; categorical, string and bool columns are
    dummy coded with the first level as reference (pandas categories in their order,
    otherwise the sorted levels, as R's ``factor``).
    """
    names: list[str] = []
    cols: list[np.ndarray] = []
    notes: list[str] = []
    if intercept:
        names.append("intrcpt")
        cols.append(np.ones(k))
    if moderators is not None:
        df = _as_frame(moderators, k)
        if df.shape[0] != k:
            raise ValueError(f"moderators: has {df.shape[0]} rows but there are {k} studies")
        if df.shape[1] == 0:
            raise ValueError("moderators: no columns were given")
        for col in df.columns:
            s = df[col]
            name = str(col)
            if _is_categorical(s):
                levels = _levels(s, name, labels)
                if len(levels) < 2:
                    raise ValueError(
                        f"moderators: column '{name}' has a single level ({levels[0]!r}); "
                        "it is constant, so the design matrix would be singular"
                    )
                vals = s.astype(object).to_numpy()
                use = levels[1:] if intercept else levels
                for lev in use:
                    names.append(f"{name}[{lev}]")
                    cols.append((vals == lev).astype(float))
                if intercept:
                    notes.append(f"moderator '{name}': dummy coded, reference level {levels[0]!r}")
            else:
                try:
                    x = s.to_numpy(dtype=float, na_value=np.nan)
                except (TypeError, ValueError):
                    raise ValueError(f"moderators: column '{name}' cannot be read as numbers") from None
                bad = ~np.isfinite(x)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise ValueError(
                        f"moderators: column '{name}', {where(i, labels)} is {x[i]:g}; values must be finite"
                    )
                names.append(name)
                cols.append(x)
    if not cols:
        raise ValueError("moderators: a model without intercept needs at least one moderator")
    X = np.column_stack(cols)
    _check_rank(X, names)
    if len(set(names)) != len(names):
        dup = [n for n in names if names.count(n) > 1][0]
        raise ValueError(f"moderators: the coefficient name '{dup}' occurs twice; rename a column")
    return X, names, notes


def _check_rank(X, names):
    """Name the first column that is constant or a linear combination of the ones before it."""
    k = X.shape[0]
    for j in range(X.shape[1]):
        x = X[:, j]
        scale = max(np.linalg.norm(x), 1e-300)
        if j == 0:
            if np.linalg.norm(x) == 0:
                raise ValueError(f"moderators: column '{names[j]}' is all zero; the design matrix is singular")
            continue
        prev = X[:, :j]
        coef, *_ = np.linalg.lstsq(prev, x, rcond=None)
        r = x - prev @ coef
        if np.linalg.norm(r) <= 1e-7 * scale:
            if names[0] == "intrcpt" and np.ptp(x) == 0:
                why = "is constant, which duplicates the intercept"
            else:
                why = "is a linear combination of the columns before it"
            raise ValueError(f"moderators: column '{names[j]}' {why}; the design matrix is singular")
    if X.shape[1] > k:
        raise ValueError(f"moderators: {X.shape[1]} coefficients for {k} studies; the design matrix is singular")


# ----------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, repr=False)
class MetaregResult(Result):
    r"""Result of :func:`metareg`.

    Attributes
    ----------
    k, p : int
        Number of studies and of coefficients (columns of the design matrix).
    coef_names : tuple of str
        Names of the coefficients (``"intrcpt"``, moderator names, ``"col[level]"`` for
        dummy-coded levels).
    beta, se, stat, pval, ci_low, ci_high : ndarray
        Coefficients, standard errors, z (or t) statistics, p-values and confidence
        limits, one per coefficient.
    vcov : ndarray
        Variance-covariance matrix of the coefficients (``p × p``).
    df : float
        Residual degrees of freedom k − p of the t and F tests (NaN for ``test="z"``).
    qm, qm_df, qm_df2, qm_pval : float, int, float, float
        Omnibus test of the moderators (coefficients ``btt``): chi-square on ``qm_df``
        for ``test="z"``; for t-based tests ``qm`` is the F statistic on
        ``(qm_df, qm_df2)``.
    btt : tuple of int
        Indices of the coefficients tested by ``qm`` (all but the intercept by default).
    qe, qe_df, qe_pval : float, int, float
        Test for residual heterogeneity.
    tau2, tau : float
        Residual between-study variance and its square root.
    i2, h2 : float
        Residual I² (percent) and H².
    r2 : float
        Pseudo-R² in percent (NaN when not defined: no intercept or no moderator).
    tau2_re : float
        τ² of the model without moderators (used for R²; NaN when R² is undefined).
    s2w : float
        The Knapp–Hartung variance factor (1 for ``"z"``/``"t"``).
    vt : float
        The typical within-study variance :math:`(k-p)/\mathrm{tr}(P)` used for I², H².
    fitted, residuals, weights, hat : ndarray
        Fitted values :math:`x_i'\hat\beta`, residuals, weights (percent) and leverages.
    perm_pval : ndarray or None
        Permutation p-values of the coefficients (``permutations`` given).
    perm_qm_pval : float
        Permutation p-value of the omnibus test (NaN without permutations).
    permutations : int
        Number of permutations used (0 without a permutation test).
    perm_exact : bool
        Whether all distinct permutations were enumerated.
    method, test, level, converged, algorithm, iterations
        As for :class:`kmeta.MetaResult`.
    X, yi, vi, labels : ndarray, ndarray, ndarray, tuple or None
        Design matrix and data.
    notes : tuple of str
        How the result was obtained (dummy coding, fallbacks ...).
    """

    k: int
    p: int
    coef_names: tuple
    beta: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    vcov: np.ndarray
    df: float
    qm: float
    qm_df: int
    qm_df2: float
    qm_pval: float
    btt: tuple
    qe: float
    qe_df: int
    qe_pval: float
    tau2: float
    tau: float
    i2: float
    h2: float
    r2: float
    tau2_re: float
    s2w: float
    vt: float
    fitted: np.ndarray
    residuals: np.ndarray
    weights: np.ndarray
    hat: np.ndarray
    method: str
    test: str
    level: float
    converged: bool
    algorithm: str
    iterations: int
    intercept: bool
    X: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    perm_pval: np.ndarray | None = None
    perm_qm_pval: float = math.nan
    permutations: int = 0
    perm_exact: bool = False
    seed: int | None = None
    notes: tuple = ()

    def coef(self, name=None):
        """Coefficient(s) by name; all of them as a Series without a name."""
        s = pd.Series(self.beta, index=list(self.coef_names), name="estimate")
        return s if name is None else float(s[name])

    def table(self) -> pd.DataFrame:
        """Coefficient table: estimate, se, stat (z or t), pval, ci_low, ci_high (and perm_pval)."""
        t = pd.DataFrame(
            {
                "estimate": self.beta,
                "se": self.se,
                "stat": self.stat,
                "pval": self.pval,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            },
            index=pd.Index(list(self.coef_names), name="coefficient"),
        )
        if self.perm_pval is not None:
            t["perm_pval"] = self.perm_pval
        return t

    def summary(self) -> str:
        model = "Fixed-effects" if self.method == "FE" else "Mixed-effects"
        est = "" if self.method == "FE" else f"; tau^2 estimator: {self.method}"
        lines = [f"{model} meta-regression (k = {self.k}, p = {self.p}{est})", ""]
        if self.method != "FE":
            lines.append(
                f"tau^2 (residual heterogeneity) = {format_num(self.tau2)}, tau = {format_num(self.tau)}, "
                f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}"
            )
            if not math.isnan(self.r2):
                lines.append(f"R^2 (amount of heterogeneity accounted for) = {format_num(self.r2, 2)}%")
        else:
            lines.append(f"I^2 = {format_num(self.i2, 2)}%, H^2 = {format_num(self.h2)}")
            if not math.isnan(self.r2):
                lines.append(f"R^2 (adjusted, weighted least squares) = {format_num(self.r2, 2)}%")
        lines.append(
            f"Test for residual heterogeneity: QE(df = {self.qe_df}) = {format_num(self.qe)}, {p_phrase(self.qe_pval)}"
        )
        coefs = ", ".join(str(b + 1) for b in self.btt)
        if np.isnan(self.df):
            lines.append(f"Test of moderators (coefficients {coefs}): QM(df = {self.qm_df}) = "
                         f"{format_num(self.qm)}, {p_phrase(self.qm_pval)}")
        else:
            lines.append(f"Test of moderators (coefficients {coefs}): F(df1 = {self.qm_df}, df2 = {self.qm_df2:g}) = "
                         f"{format_num(self.qm)}, {p_phrase(self.qm_pval)}")
        if self.permutations:
            kind = "exact" if self.perm_exact else f"random, seed {self.seed}"
            lines.append(f"Permutation test ({self.permutations} permutations, {kind}): "
                         f"{p_phrase(self.perm_qm_pval)}")
        lines.append("")
        statname = "zval" if np.isnan(self.df) else "tval"
        width = max(10, max(len(n) for n in self.coef_names) + 1)
        header = (f"{'':<{width}} {'estimate':>10} {'se':>9} {statname:>9} {'pval':>8} "
                  f"{'ci.lb':>9} {'ci.ub':>9}" + (f" {'pval*':>8}" if self.perm_pval is not None else ""))
        lines.append(header)
        for j, n in enumerate(self.coef_names):
            row = (f"{n:<{width}} {format_num(self.beta[j]):>10} {format_num(self.se[j]):>9} "
                   f"{format_num(self.stat[j]):>9} {format_p(self.pval[j]):>8} {format_num(self.ci_low[j]):>9} "
                   f"{format_num(self.ci_high[j]):>9}")
            if self.perm_pval is not None:
                row += f" {format_p(self.perm_pval[j]):>8}"
            lines.append(row)
        lines.append("")
        testname = {
            "z": "Wald (normal)",
            "t": f"t on {self.df:g} df",
            "knha": f"Knapp-Hartung (t on {self.df:g} df)",
            "adhoc": f"Knapp-Hartung with ad hoc max(1, s^2) (t on {self.df:g} df)",
        }[self.test]
        lines.append(f"Tests and {100 * self.level:g}% CIs: {testname}")
        if self.method != "FE":
            lines.append(
                f"tau^2 found by: {self.algorithm}"
                + (f" ({self.iterations} iterations)" if self.iterations else "")
                + ("" if self.converged else " -- NOT CONVERGED")
            )
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the scalar results (coefficients are in :meth:`table`)."""
        cols = ["k", "p", "df", "qm", "qm_df", "qm_df2", "qm_pval", "qe", "qe_df", "qe_pval", "tau2", "tau",
                "i2", "h2", "r2", "s2w", "perm_qm_pval", "permutations", "method", "test", "level",
                "converged", "algorithm", "iterations"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])


# ----------------------------------------------------------------------------- permutations
def _multiset_permutations(codes):
    """All distinct orderings of a sequence of integer codes (lexicographic)."""
    a = sorted(codes)
    n = len(a)
    while True:
        yield list(a)
        i = n - 2
        while i >= 0 and a[i] >= a[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while a[j] <= a[i]:
            j -= 1
        a[i], a[j] = a[j], a[i]
        a[i + 1:] = reversed(a[i + 1:])


def _n_distinct(counts, k):
    n = math.factorial(k)
    for c in counts:
        n //= math.factorial(c)
    return n


def _permutation_test(yi, vi, X, method, test, level, btt, obs, n_perm, seed, int_only):
    k = yi.shape[0]
    if int_only:
        n_exact = 2 ** k
    else:
        _, codes, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
        codes = codes.ravel()
        n_exact = _n_distinct(counts.tolist(), k)
    exact = n_exact <= n_perm
    rng = None if exact else np.random.default_rng(seed)
    if int_only:
        if exact:
            signs = np.array(list(itertools.product([1.0, -1.0], repeat=k)))
        else:
            signs = rng.choice([-1.0, 1.0], size=(n_perm, k))
            signs[0] = 1.0
        Y = signs * yi[None, :]
        V = np.broadcast_to(vi, Y.shape).copy()
        Xb = X[None, :, :]
    else:
        if exact:
            # arrangements of the distinct design rows over the studies
            rows_of_code = {}
            for i, c in enumerate(codes):
                rows_of_code.setdefault(int(c), i)
            arr = [[rows_of_code[c] for c in perm] for perm in _multiset_permutations(codes.tolist())]
            idx = np.array(arr)
        else:
            idx = np.array([rng.permutation(k) for _ in range(n_perm)])
            idx[0] = np.arange(k)
        Y = np.broadcast_to(yi, (idx.shape[0], k)).copy()
        V = np.broadcast_to(vi, (idx.shape[0], k)).copy()
        Xb = X[idx]
    stats = []
    qms = []
    chunk = max(1, int(2_000_000 // max(1, k * k)))
    for s in range(0, Y.shape[0], chunk):
        Xc = Xb if Xb.shape[0] == 1 else Xb[s:s + chunk]
        f = _fit(Y[s:s + chunk], V[s:s + chunk], Xc, method, test, level, btt, full=False)
        stats.append(f["stat"])
        qms.append(f["qm"])
    zperm = np.concatenate(stats)
    qmperm = np.concatenate(qms)
    with np.errstate(invalid="ignore"):
        pval = np.nanmean(np.abs(zperm) >= np.abs(obs["stat"])[None, :] - _COMPTOL, axis=0)
        qm_p = float(np.nanmean(qmperm >= obs["qm"] - _COMPTOL))
    return np.minimum(pval, 1.0), qm_p, int(Y.shape[0]), bool(exact)


# ----------------------------------------------------------------------------- public
def _r2_fe(yi, vi, X):
    """metafor's R^2 for FE models: adjusted R^2 of the weighted least-squares fit."""
    k, p = X.shape
    if np.ptp(yi) == 0:
        return 0.0
    if k == p:
        return math.nan  # saturated: no residual df for the adjustment (R gives NaN too)
    w = 1.0 / vi
    ybar = np.sum(w * yi) / np.sum(w)
    tss = np.sum(w * (yi - ybar) ** 2)
    beta, r, *_ = _wls(w[None, :], X[None, :, :], yi[None, :])
    rss = np.sum(w * r[0] ** 2)
    r2 = 1.0 - rss / tss
    adj = 1.0 - (1.0 - r2) * (k - 1) / (k - p)
    return max(0.0, 100.0 * adj)


def metareg(
    yi,
    vi=None,
    moderators=None,
    *,
    method="REML",
    test="z",
    level=0.95,
    labels=None,
    permutations=None,
    seed=None,
    intercept=True,
    btt=None,
    sei=None,
) -> MetaregResult:
    """Mixed-effects meta-regression, as metafor's ``rma(yi, vi, mods = ...)``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances (> 0), one per study. ``yi`` may also be a
        DataFrame with columns ``yi`` and ``vi`` (as :func:`kmeta.meta`).
    moderators : DataFrame, Series, dict, array_like or None
        Study-level covariates, one row per study. DataFrame column names become the
        coefficient names. Numeric columns enter as they are. Categorical, string (object)
        and bool columns are dummy coded with the *first level as reference*: the first
        category of a pandas ``Categorical`` (so ``pd.Categorical(x, categories=[...])``
        chooses the reference), otherwise the first of the sorted levels, as R's
        ``factor()`` does (False before True). Their coefficients are named
        ``"column[level]"``. A 1-d array is one moderator named ``"x"``; a 2-d array has
        columns ``"x1", "x2", ...``. ``None`` fits the model without moderators, which
        equals :func:`kmeta.meta`.
    method : str
        τ² estimator: ``"FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML"`` (default), as
        generalised to a design matrix by metafor (see the module documentation).
    test : str
        ``"z"``, ``"t"``, ``"knha"`` (Knapp–Hartung; alias ``"hksj"``) or ``"adhoc"``.
        ``method="REML", test="knha"`` reproduces Stata's ``metareg`` defaults.
    level : float
        Confidence level (0.95; 95 also accepted).
    labels : sequence of str, optional
        Study names, used in error messages.
    permutations : int, optional
        Also compute permutation p-values (metafor's ``permutest``) with up to this many
        permutations: exact enumeration when the number of distinct permutations is at
        most ``permutations``, otherwise that many random permutations. Needs k >= 3.
    seed : int, optional
        Seed of the random permutations (``numpy.random.default_rng``).
    intercept : bool
        Include an intercept (default). Without it, dummy coding keeps every level and
        the omnibus test covers all coefficients.
    btt : sequence of int, optional
        0-based indices of the coefficients for the omnibus test (default: all but the
        intercept; the intercept alone for a model without moderators).
    sei : array_like, optional
        Standard errors instead of ``vi``.

    Returns
    -------
    MetaregResult
        Coefficient table (:meth:`MetaregResult.table`), omnibus test ``qm``, residual
        heterogeneity ``qe``, ``tau2``, ``i2``, ``h2``, ``r2`` and optional permutation
        p-values.

    Raises
    ------
    ValueError
        Mismatched lengths, non-finite values, non-positive variances, a moderator with
        a missing value (naming the column and study), a constant or collinear column
        (naming it), k <= p (too few studies for the coefficients), permutations with
        k < 3, or an unknown option.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> yi = np.array([-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02])
    >>> vi = np.array([0.33, 0.19, 0.42, 0.02, 0.05, 0.007, 0.22, 0.004, 0.06, 0.07, 0.01, 0.53, 0.07])
    >>> ablat = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
    >>> res = metareg(yi, vi, pd.DataFrame({"ablat": ablat}), method="REML")
    >>> res.coef_names
    ('intrcpt', 'ablat')
    >>> bool(res.coef("ablat") < 0)
    True
    """
    method = check_choice(method, "method", METHODS)
    test = _canonical_test(test)
    level = check_level(level)
    yi, vi, labels, frame_notes = read_effects(yi, vi, sei, labels, "metareg")
    k = yi.shape[0]
    if not isinstance(intercept, (bool, np.bool_)):
        raise ValueError(f"intercept: expected True or False, got {intercept!r}")
    X, names, notes = _design(moderators, k, labels, bool(intercept))
    p = X.shape[1]
    int_only = p == 1 and bool(intercept)
    notes = list(frame_notes) + list(notes)

    if int_only and k == 1:
        if test != "z":
            notes.append(f"k = 1: test '{test}' needs k >= 2; the z test was used instead (as metafor)")
            test = "z"
    elif method == "FE":
        if k < p:
            raise ValueError(f"k = {k}: a meta-regression with p = {p} coefficients needs at least {p} studies")
        if k == p and test != "z":
            raise ValueError(f"k = {k}: test '{test}' needs k > p = {p} (t tests on k - p = 0 df are undefined)")
    elif k <= p:
        raise ValueError(
            f"k = {k}: a random-effects meta-regression with p = {p} coefficients needs k > p "
            "(one more study than coefficients, for tau^2)"
        )

    if btt is None:
        btt_idx = list(range(1, p)) if (intercept and p > 1) else list(range(p))
    else:
        try:
            btt_idx = sorted({int(b) for b in np.atleast_1d(btt)})
        except (TypeError, ValueError):
            raise ValueError(f"btt: expected coefficient indices, got {btt!r}") from None
        if not btt_idx or btt_idx[0] < 0 or btt_idx[-1] >= p:
            raise ValueError(f"btt: indices must be in 0..{p - 1}, got {btt!r}")

    out = _fit(yi[None, :], vi[None, :], X[None, :, :], method, test, level, btt_idx)
    one = {key: (val[0] if isinstance(val, np.ndarray) and val.ndim >= 1 else val) for key, val in out.items()}

    code = int(one["algorithm"])
    if method in ("FE", "DL", "HE", "SJ") and k > 1:
        algorithm = ALGORITHMS[0]
    else:
        algorithm = ALGORITHMS[code]
    if code == 3:
        notes.append(
            f"the primary iteration for {method} did not converge in {_MAXITER} steps; tau^2 was found by a "
            "bracketed root search on the estimating equation"
        )

    # pseudo R^2
    r2 = math.nan
    tau2_re = math.nan
    if intercept and p > 1:
        if method == "FE":
            r2 = _r2_fe(yi, vi, X)
        else:
            re = _fit(yi[None, :], vi[None, :], np.ones((1, k, 1)), method, "z", level, [0], full=False)
            tau2_re = float(re["tau2"][0])
            if tau2_re <= 1e-10 * float(np.mean(vi)):
                # no heterogeneity to account for; metafor's ratio of two rounding-level
                # numbers would be noise here (it returns 0 only when tau2_RE is exactly 0)
                r2 = 0.0
            else:
                r2 = max(0.0, 100.0 * (tau2_re - float(one["tau2"])) / tau2_re)

    perm_pval = None
    perm_qm = math.nan
    n_used = 0
    exact = False
    if permutations is not None:
        if isinstance(permutations, (bool, np.bool_)) or not isinstance(permutations, (int, np.integer)):
            raise ValueError(f"permutations: expected a whole number >= 2 (or None), got {permutations!r}")
        if permutations < 2:
            raise ValueError(f"permutations: expected a whole number >= 2, got {permutations}")
        check_k(k, 3, "a permutation test")
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed: expected an integer (or None), got {seed!r}")
        perm_pval, perm_qm, n_used, exact = _permutation_test(
            yi, vi, X, method, test, level, btt_idx,
            {"stat": one["stat"], "qm": one["qm"]}, int(permutations), seed, int_only,
        )
        if int_only:
            notes.append("permutation test of a model without moderators: signs of the effects flipped (as metafor)")

    w = one["w"]
    hat = one["hat"].copy()
    hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
    eff_test = test
    return MetaregResult(
        k=k,
        p=p,
        coef_names=tuple(names),
        beta=one["beta"].copy(),
        se=one["se"].copy(),
        stat=one["stat"].copy(),
        pval=one["pval"].copy(),
        ci_low=one["ci_low"].copy(),
        ci_high=one["ci_high"].copy(),
        vcov=one["vb"].copy(),
        df=float(one["df"]),
        qm=float(one["qm"]),
        qm_df=int(one["m"]),
        qm_df2=float(one["df"]),
        qm_pval=float(one["qm_pval"]),
        btt=tuple(btt_idx),
        qe=float(one["qe"]),
        qe_df=int(k - p),
        qe_pval=float(one["qe_pval"]),
        tau2=float(one["tau2"]),
        tau=float(math.sqrt(one["tau2"])),
        i2=float(one["i2"]),
        h2=float(one["h2"]),
        r2=float(r2),
        tau2_re=float(tau2_re),
        s2w=float(one["s2w"]),
        vt=float(one["vt"]),
        fitted=X @ one["beta"],
        residuals=yi - X @ one["beta"],
        weights=100.0 * w / w.sum(),
        hat=hat,
        method=method,
        test=eff_test,
        level=level,
        converged=bool(one["converged"]),
        algorithm=algorithm,
        iterations=int(one["iterations"]),
        intercept=bool(intercept),
        X=X,
        yi=yi.copy(),
        vi=vi.copy(),
        labels=tuple(labels) if labels is not None else None,
        perm_pval=None if perm_pval is None else np.asarray(perm_pval, dtype=float),
        perm_qm_pval=float(perm_qm),
        permutations=n_used,
        perm_exact=exact,
        seed=seed if (permutations is not None and not exact) else None,
        notes=tuple(notes),
    )
