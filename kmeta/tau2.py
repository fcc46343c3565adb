r"""Estimators of the between-study variance :math:`\tau^2`.

The random-effects model is :math:`y_i = \mu + u_i + e_i` with
:math:`u_i \sim N(0, \tau^2)` and :math:`e_i \sim N(0, v_i)`. This module computes
:math:`\hat\tau^2` by the methods of metafor's ``rma.uni`` (Viechtbauer 2005, 2010;
Veroniki et al. 2016), for an intercept-only model:

``"FE"``
    common (fixed) effect: :math:`\tau^2 = 0`.
``"DL"``
    DerSimonian and Laird (1986): :math:`\max\{0, (Q - (k-1)) / (\sum w_i - \sum w_i^2/\sum w_i)\}`
    with :math:`w_i = 1/v_i`.
``"HE"``
    Hedges (Hedges and Olkin 1985): :math:`\max\{0, \sum (y_i-\bar y)^2/(k-1) - \sum v_i / k\}`
    with the unweighted mean :math:`\bar y`.
``"SJ"``
    Sidik and Jonkman (2005): :math:`\tau_0^2 \sum w_i (y_i - \hat\mu_w)^2/(k-1)` with
    :math:`\tau_0^2 = \sum (y_i-\bar y)^2/k` and :math:`w_i = 1/(v_i + \tau_0^2)`. Never truncated.
``"PM"``
    Paule and Mandel (1982): the root of the generalized Q equation
    :math:`Q(\tau^2) = \sum w_i(\tau^2)(y_i - \hat\mu(\tau^2))^2 = k - 1`, or 0 when
    :math:`Q(0) < k - 1`. :math:`Q(\tau^2)` is decreasing and convex, so Newton's method
    started at 0 climbs monotonically to the root.
``"EB"``
    empirical Bayes (Morris 1983; Berkey et al. 1995), iterated as metafor does with the
    update :math:`\Delta = (Q(\tau^2)\,k/(k-1) - k)/\sum w_i`. Its fixed point solves the
    same equation as PM, so the two estimates coincide (Viechtbauer et al. 2015); they
    differ only in the algorithm.
``"ML"``, ``"REML"``
    (restricted) maximum likelihood by Fisher scoring, as metafor, started at the HE
    estimate, with step halving to stay at :math:`\tau^2 \ge 0`.

Iterative estimators never fail silently. Each returns a convergence flag and the
algorithm that produced the answer. When the primary iteration (Fisher scoring for
ML/REML/EB, Newton for PM) does not converge within ``maxiter`` steps -- metafor's
default REML stops with an error on roughly 1 in 400 random sets of six studies -- the
estimate is found instead by a bracketed root search on the estimating equation:
the (restricted) log-likelihood is evaluated on a grid to locate the global maximum,
and bisection then solves the score equation within the bracket around it. As metafor
does for ML and REML, a converged interior solution is compared with the boundary
:math:`\tau^2 = 0` and the one with the larger likelihood is kept.

All functions work on arrays of shape ``(replicates, k)`` so that many meta-analyses
are estimated at once (see :func:`kmeta.meta_batch`); :func:`kmeta.meta` calls the same
code with one replicate, so the two agree exactly.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_array, check_choice, check_positive, study_labels

__all__ = ["METHODS", "ALGORITHMS", "estimate_tau2"]

METHODS = ("FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML")

#: Codes of the algorithm that produced each estimate.
ALGORITHMS = {
    0: "closed form",
    1: "Fisher scoring",
    2: "Newton (monotone, on the generalized Q equation)",
    3: "bracketed root search (grid + bisection)",
    4: "k = 1: tau^2 set to 0",
}

_MAXITER = 100
_TOL = 1e-12  # convergence threshold on the change in tau^2 (relative above 1)


# --------------------------------------------------------------------------- helpers
def _prepare(Y, V, M=None):
    """Masked arrays: absent studies get y = 0, v = 1 and weight 0."""
    Y = np.asarray(Y, dtype=float)
    V = np.asarray(V, dtype=float)
    if M is None:
        M = np.isfinite(Y) & np.isfinite(V)
    if M.all():
        return Y, V, None, np.full(Y.shape[0], float(Y.shape[1]))
    Y = np.where(M, Y, 0.0)
    V = np.where(M, V, 1.0)
    return Y, V, M.astype(float), M.sum(axis=1).astype(float)


def _weights(V, Mf, tau2):
    """w = 1/(v + tau2) for present studies, 0 for padding. tau2 has shape (R,)."""
    w = 1.0 / (V + tau2[:, None])
    if Mf is not None:
        w *= Mf
    return w


def _wmean(Y, w):
    sw = w.sum(axis=1)
    return (w * Y).sum(axis=1) / sw, sw


def _gen_q(Y, V, Mf, tau2):
    """Generalized Q(tau2) = sum w (y - mu_w)^2 and sum w^2 r^2 (for derivatives)."""
    w = _weights(V, Mf, tau2)
    mu, sw = _wmean(Y, w)
    r = Y - mu[:, None]
    wr2 = w * r * r
    return wr2.sum(axis=1), (w * wr2).sum(axis=1), w, sw


def _unweighted_ss(Y, Mf, k):
    """Sum of squares about the unweighted mean, per row."""
    if Mf is None:
        ybar = Y.mean(axis=1)
        d = Y - ybar[:, None]
    else:
        ybar = (Y * Mf).sum(axis=1) / k
        d = (Y - ybar[:, None]) * Mf
    return (d * d).sum(axis=1)


def _sum_v(V, Mf):
    return V.sum(axis=1) if Mf is None else (V * Mf).sum(axis=1)


def _tau2_dl(Y, V, Mf, k):
    q, _, w, sw = _gen_q(Y, V, Mf, np.zeros(Y.shape[0]))
    c = sw - (w * w).sum(axis=1) / sw
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (q - (k - 1.0)) / c
    return np.where(k > 1, np.maximum(t, 0.0), 0.0)


def _tau2_he(Y, V, Mf, k):
    ss = _unweighted_ss(Y, Mf, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = ss / (k - 1.0) - _sum_v(V, Mf) / k
    return np.where(k > 1, np.maximum(t, 0.0), 0.0)


def _tau2_sj(Y, V, Mf, k):
    t0 = _unweighted_ss(Y, Mf, k) / k
    q, _, _, _ = _gen_q(Y, V, Mf, t0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t0 * q / (k - 1.0)
    return np.where(k > 1, t, 0.0)


def _loglik(Y, V, Mf, tau2, reml):
    """(Restricted) log-likelihood up to a constant, per row."""
    w = _weights(V, Mf, tau2)
    mu, sw = _wmean(Y, w)
    r = Y - mu[:, None]
    logv = np.log(V + tau2[:, None])
    if Mf is not None:
        logv = logv * Mf
    ll = -0.5 * logv.sum(axis=1) - 0.5 * (w * r * r).sum(axis=1)
    if reml:
        ll -= 0.5 * np.log(sw)
    return ll


def _score(Y, V, Mf, k, tau2, method):
    """Estimating function whose root is the estimate (decreasing at a maximum)."""
    q, swr2w, w, sw = _gen_q(Y, V, Mf, tau2)
    if method == "ML":
        return swr2w - sw
    if method == "REML":
        return swr2w - sw + (w * w).sum(axis=1) / sw
    # PM and EB: generalized Q equation
    return q - (k - 1.0)


def _scoring_step(Y, V, Mf, k, tau2, method):
    """metafor's Fisher-scoring (ML, REML) or EB update."""
    q, swr2w, w, sw = _gen_q(Y, V, Mf, tau2)
    if method == "ML":
        return (swr2w - sw) / (w * w).sum(axis=1)
    if method == "REML":
        sw2 = (w * w).sum(axis=1)
        sw3 = (w * w * w).sum(axis=1)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2
        return (swr2w - tr_p) / tr_pp
    # EB
    return (q * k / (k - 1.0) - k) / sw


def _halve_to_nonnegative(t, adj):
    """metafor's rule: halve the step until tau2 + step >= 0 (exactly, not by a loop)."""
    neg = t + adj < 0
    if neg.any():
        a = adj[neg]
        tt = t[neg]
        with np.errstate(divide="ignore", invalid="ignore"):
            j = np.ceil(np.log2(-a / tt))
        j = np.where(np.isfinite(j), np.maximum(j, 1.0), np.inf)
        a = a / np.exp2(j)
        a = np.where(tt + a < 0, a / 2.0, a)  # guard against log2 rounding
        adj = adj.copy()
        adj[neg] = a
    return adj


def _iterate_scoring(Y, V, Mf, k, tau2, method, maxiter=_MAXITER):
    R = Y.shape[0]
    conv = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    active = np.flatnonzero(k > 1)
    tau2 = tau2.copy()
    for it in range(1, maxiter + 1):
        if active.size == 0:
            break
        sub = (Y[active], V[active], None if Mf is None else Mf[active], k[active])
        t = tau2[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = _scoring_step(*sub, t, method)
        adj = np.where(np.isfinite(adj), adj, 0.0)
        adj = _halve_to_nonnegative(t, adj)
        new = t + adj
        tau2[active] = new
        iters[active] = it
        done = np.abs(adj) <= _TOL * np.maximum(1.0, new)
        conv[active[done]] = True
        active = active[~done]
    return tau2, conv, iters


def _newton_gen_q(Y, V, Mf, k, target, maxiter=_MAXITER):
    """Solve Q(tau2) = target by Newton from 0 (monotone: Q is convex and decreasing).

    Rows with Q(0) <= target get 0. Returns (tau2, converged, iterations).
    """
    R = Y.shape[0]
    tau2 = np.zeros(R)
    conv = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    q0, d0, _, _ = _gen_q(Y, V, Mf, tau2)
    f0 = q0 - target
    conv[f0 <= 0] = True
    active = np.flatnonzero(f0 > 0)
    for it in range(1, maxiter + 1):
        if active.size == 0:
            break
        sub = (Y[active], V[active], None if Mf is None else Mf[active])
        t = tau2[active]
        q, d, _, _ = _gen_q(*sub, t)
        f = q - target[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(f > 0, f / d, 0.0)
        step = np.where(np.isfinite(step), step, 0.0)
        new = t + step
        tau2[active] = new
        iters[active] = it
        done = (step <= _TOL * 1e-2 * np.maximum(1.0, new)) | (f <= 0)
        conv[active[done]] = True
        active = active[~done]
    return tau2, conv, iters


def _upper_bracket(Y, V, Mf, k, method, rows):
    """An upper end where the estimating function is negative, per row."""
    sub = (Y[rows], V[rows], None if Mf is None else Mf[rows], k[rows])
    ss = _unweighted_ss(sub[0], sub[2], sub[3])
    hi = np.maximum(1.0, 10.0 * (ss / np.maximum(sub[3] - 1.0, 1.0) + sub[1].max(axis=1)))
    for _ in range(60):
        s = _score(*sub, hi, method)
        pos = s > 0
        if not pos.any():
            break
        hi = np.where(pos, hi * 10.0, hi)
    return hi


def _bisect(Y, V, Mf, k, method, lo, hi, n=200):
    """Bisection on the estimating function within [lo, hi] (s(lo) > 0 > s(hi))."""
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        s = _score(Y, V, Mf, k, mid, method)
        up = s > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
        if np.all(hi - lo <= 1e-15 * np.maximum(1.0, hi)):
            break
    return 0.5 * (lo + hi)


def _bracketed(Y, V, Mf, k, method, rows, ngrid=200):
    """Fallback: grid search for the global maximum, then bisection on the score."""
    hi = _upper_bracket(Y, V, Mf, k, method, rows)
    sub = (Y[rows], V[rows], None if Mf is None else Mf[rows], k[rows])
    # grid: 0 plus geometric points up to hi
    frac = np.concatenate([[0.0], np.geomspace(1e-8, 1.0, ngrid - 1)])
    grid = hi[:, None] * frac[None, :]  # (r, ngrid)
    r = len(rows)
    if method in ("ML", "REML"):
        obj = np.empty((r, ngrid))
        for j in range(ngrid):
            obj[:, j] = _loglik(*sub[:3], grid[:, j], method == "REML")
        best = obj.argmax(axis=1)
    else:  # PM/EB: monotone estimating function, unique root
        s = np.empty((r, ngrid))
        for j in range(ngrid):
            s[:, j] = _score(*sub, grid[:, j], method)
        # last grid point with s > 0
        pos = s > 0
        best = np.where(pos.any(axis=1), ngrid - 1 - np.argmax(pos[:, ::-1], axis=1), 0)
    idx = np.arange(r)
    lo = grid[idx, np.maximum(best - 1, 0)]
    up = grid[idx, np.minimum(best + 1, ngrid - 1)]
    s_lo = _score(*sub, lo, method)
    s_at0 = _score(*sub, np.zeros(r), method)
    out = _bisect(*sub, method, lo.copy(), up.copy())
    # boundary maximum: the best grid point is 0 and the score there is <= 0
    boundary = (best == 0) & (s_at0 <= 0)
    out = np.where(boundary, 0.0, out)
    # if the bracket does not straddle a sign change, keep the best grid value refined
    bad = (s_lo <= 0) & ~boundary & (best > 0)
    if bad.any():
        out = np.where(bad, grid[idx, best], out)
    return out


def _ll0_check(Y, V, Mf, tau2, method):
    """metafor's ll0check: keep tau2 = 0 if its likelihood is higher."""
    reml = method == "REML"
    ll = _loglik(Y, V, Mf, tau2, reml)
    ll0 = _loglik(Y, V, Mf, np.zeros_like(tau2), reml)
    return np.where(ll0 > ll + 1e-10, 0.0, tau2)


def _tau2_batch(Y, V, M=None, method="REML"):
    """Estimate tau2 for each row of (R, k) arrays.

    Returns ``(tau2, converged, algorithm_code, iterations)``, each of shape (R,).
    ``M`` marks present studies (default: finite y and v).
    """
    Y, V, Mf, k = _prepare(Y, V, M)
    R = Y.shape[0]
    code = np.zeros(R, dtype=int)
    conv = np.ones(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    if method == "FE":
        tau2 = np.zeros(R)
    elif method == "DL":
        tau2 = _tau2_dl(Y, V, Mf, k)
    elif method == "HE":
        tau2 = _tau2_he(Y, V, Mf, k)
    elif method == "SJ":
        tau2 = _tau2_sj(Y, V, Mf, k)
    elif method == "PM":
        tau2, conv, iters = _newton_gen_q(Y, V, Mf, k, k - 1.0)
        code[:] = 2
    elif method in ("EB", "ML", "REML"):
        start = _tau2_he(Y, V, Mf, k)
        tau2, conv, iters = _iterate_scoring(Y, V, Mf, k, start, method)
        code[:] = 1
        if method in ("ML", "REML"):
            ok = conv & (k > 1)
            if ok.any():
                rows = np.flatnonzero(ok)
                sub = (Y[rows], V[rows], None if Mf is None else Mf[rows])
                tau2[rows] = _ll0_check(*sub, tau2[rows], method)
    else:  # pragma: no cover - validated by callers
        raise ValueError(f"method: unknown tau^2 estimator {method!r}")
    failed = np.flatnonzero(~conv & (k > 1))
    if failed.size:
        tau2[failed] = _bracketed(Y, V, Mf, k, method, failed)
        code[failed] = 3
        conv[failed] = True
    single = k <= 1
    if single.any():
        tau2[single] = 0.0
        code[single] = 4
        conv[single] = True
    return tau2, conv, code, iters


def estimate_tau2(yi, vi, method="REML", *, labels=None):
    """Estimate the between-study variance of one meta-analysis.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and their sampling variances (``vi > 0``).
    method : str
        One of ``"FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML"``.
    labels : sequence of str, optional
        Study names for error messages.

    Returns
    -------
    dict
        ``tau2``, ``converged``, ``algorithm`` (text) and ``iterations``.

    Examples
    --------
    >>> round(estimate_tau2([0.1, 0.5, 0.9], [0.04, 0.05, 0.06], "DL")["tau2"], 6)
    0.112222
    """
    method = check_choice(method, "method", METHODS)
    yi = as_array(yi, "yi")
    k = yi.shape[0]
    labels = study_labels(labels, k)
    vi = as_array(vi, "vi", labels, k)
    check_positive(vi, "vi", labels, "sampling variances must be > 0")
    t, c, code, it = _tau2_batch(yi[None, :], vi[None, :], None, method)
    return {
        "tau2": float(t[0]),
        "converged": bool(c[0]),
        "algorithm": ALGORITHMS[int(code[0])],
        "iterations": int(it[0]),
    }


# ----------------------------------------------------------------- one meta-analysis
# The same estimators in plain Python floats. For the small k of real meta-analyses a
# numpy call costs more than the arithmetic, so kmeta.meta() uses these for k <= 64.
# tests/test_batch.py holds them to 1e-10 of the vectorised versions above.
def _genq_py(y, v, t):
    w = [1.0 / (vi + t) for vi in v]
    sw = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y)) / sw
    q = d = 0.0
    for wi, yi in zip(w, y):
        r = yi - mu
        a = wi * r * r
        q += a
        d += wi * a
    return q, d, w, sw


def _ss_py(y):
    k = len(y)
    ybar = sum(y) / k
    return sum((yi - ybar) ** 2 for yi in y)


def _he_py(y, v):
    k = len(y)
    return max(0.0, _ss_py(y) / (k - 1) - sum(v) / k)


def _step_py(y, v, t, method):
    q, d, w, sw = _genq_py(y, v, t)
    k = len(y)
    if method == "ML":
        return (d - sw) / sum(wi * wi for wi in w)
    if method == "REML":
        sw2 = sum(wi * wi for wi in w)
        sw3 = sum(wi * wi * wi for wi in w)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2
        return (d - tr_p) / tr_pp
    return (q * k / (k - 1.0) - k) / sw  # EB


def _loglik_py(y, v, t, reml):
    q, _, _, sw = _genq_py(y, v, t)
    ll = -0.5 * sum(np.log(vi + t) for vi in v) - 0.5 * q
    return ll - 0.5 * np.log(sw) if reml else ll


def _tau2_scalar(y, v, method):
    """(tau2, converged, algorithm_code, iterations) for one meta-analysis (lists of floats)."""
    k = len(y)
    if k == 1:
        return 0.0, True, 4, 0
    if method == "FE":
        return 0.0, True, 0, 0
    if method == "DL":
        q, _, w, sw = _genq_py(y, v, 0.0)
        c = sw - sum(wi * wi for wi in w) / sw
        return max(0.0, (q - (k - 1.0)) / c), True, 0, 0
    if method == "HE":
        return _he_py(y, v), True, 0, 0
    if method == "SJ":
        t0 = _ss_py(y) / k
        q, _, _, _ = _genq_py(y, v, t0)
        return t0 * q / (k - 1.0), True, 0, 0
    if method == "PM":
        t = 0.0
        target = k - 1.0
        for it in range(1, _MAXITER + 1):
            q, d, _, _ = _genq_py(y, v, t)
            f = q - target
            if f <= 0:
                return t, True, 2, it - 1
            step = f / d if d > 0 else 0.0
            t += step
            if step <= _TOL * 1e-2 * max(1.0, t):
                return t, True, 2, it
    else:  # EB, ML, REML: metafor's scoring from the HE estimate, step halving at 0
        t = _he_py(y, v)
        for it in range(1, _MAXITER + 1):
            try:
                adj = _step_py(y, v, t, method)
            except ZeroDivisionError:
                adj = 0.0
            if not np.isfinite(adj):
                adj = 0.0
            if t + adj < 0:
                adj = float(_halve_to_nonnegative(np.array([t]), np.array([adj]))[0])
            t += adj
            if abs(adj) <= _TOL * max(1.0, t):
                if method in ("ML", "REML") and t > 0:
                    reml = method == "REML"
                    if _loglik_py(y, v, 0.0, reml) > _loglik_py(y, v, t, reml) + 1e-10:
                        t = 0.0
                return t, True, 1, it
    # not converged: the shared bracketed root search
    tb, conv, code, _ = _tau2_batch(np.array([y]), np.array([v]), None, method)
    return float(tb[0]), bool(conv[0]), int(code[0]), _MAXITER
