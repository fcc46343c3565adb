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
_ITERATIVE = ("PM", "EB", "ML", "REML")

#: Codes of the algorithm that produced each estimate.
ALGORITHMS = {
    0: "closed form",
    1: "Fisher scoring",
    2: "Newton (monotone, on the generalized Q equation)",
    3: "bracketed root search (grid + bisection)",
    4: "k = 1: tau^2 set to 0",
}

_MAXITER = 100
_SCORING_TOL = 1e-5  # metafor's threshold on the change in tau^2 (absolute)
_TOL = 1e-12  # convergence threshold of the monotone Newton iteration (PM; relative above 1)
# Newton polishing converges quadratically: once a step is below 1e-7 (relative), the
# error after taking it is of order 1e-14, so polishing stops there.
_POLISH_TOL = 1e-7


# --------------------------------------------------------------------------- helpers
def _rsum(a):
    """Sum over studies (axis 1). A matrix-vector product with ones is several times
    faster than ``a.sum(axis=1)`` for the short rows of meta-analyses."""
    return a @ np.ones(a.shape[1])


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
    Mf = M.astype(float)
    return Y, V, Mf, _rsum(Mf)


def _weights(V, Mf, tau2):
    """w = 1/(v + tau2) for present studies, 0 for padding. tau2 has shape (R,)."""
    w = 1.0 / (V + tau2[:, None])
    if Mf is not None:
        w *= Mf
    return w


def _wmean(Y, w):
    sw = _rsum(w)
    return _rsum(w * Y) / sw, sw


def _gen_q(Y, V, Mf, tau2):
    """Generalized Q(tau2) = sum w (y - mu_w)^2 and sum w^2 r^2 (for derivatives)."""
    w = _weights(V, Mf, tau2)
    mu, sw = _wmean(Y, w)
    r = Y - mu[:, None]
    wr2 = w * r * r
    return _rsum(wr2), _rsum(w * wr2), w, sw


def _unweighted_ss(Y, Mf, k):
    """Sum of squares about the unweighted mean, per row."""
    if Mf is None:
        ybar = _rsum(Y) / k
        d = Y - ybar[:, None]
    else:
        ybar = _rsum(Y * Mf) / k
        d = (Y - ybar[:, None]) * Mf
    return _rsum(d * d)


def _sum_v(V, Mf):
    return _rsum(V) if Mf is None else _rsum(V * Mf)


def _tau2_dl(Y, V, Mf, k):
    q, _, w, sw = _gen_q(Y, V, Mf, np.zeros(Y.shape[0]))
    c = sw - _rsum(w * w) / sw
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
    ll = -0.5 * _rsum(logv) - 0.5 * _rsum(w * r * r)
    if reml:
        ll -= 0.5 * np.log(sw)
    return ll


def _score(Y, V, Mf, k, tau2, method):
    """Estimating function whose root is the estimate (decreasing at a maximum)."""
    q, swr2w, w, sw = _gen_q(Y, V, Mf, tau2)
    if method == "ML":
        return swr2w - sw
    if method == "REML":
        return swr2w - sw + _rsum(w * w) / sw
    # PM and EB: generalized Q equation
    return q - (k - 1.0)


def _score_and_slope(Y, V, Mf, k, tau2, method):
    """The estimating function S(tau2) and its exact derivative dS/dtau2.

    With w = 1/(v + tau2), r = y - mu(tau2) and a = sum w^2 r / sum w:
    ML    S = sum w^2 r^2 - sum w;  S' = -2 sum w^3 r^2 + 2 a sum w^2 r + sum w^2
    REML  S = ML + sum w^2 / sum w; S' = ML' - 2 sum w^3 / sum w + (sum w^2 / sum w)^2
    EB    S = Q(tau2) - (k - 1);    S' = -sum w^2 r^2
    """
    w = _weights(V, Mf, tau2)
    mu, sw = _wmean(Y, w)
    r = Y - mu[:, None]
    w2 = w * w
    w2r = w2 * r
    sw2r2 = _rsum(w2r * r)
    if method == "EB":
        return _rsum(w * r * r) - (k - 1.0), -sw2r2
    sw2 = _rsum(w2)
    sw3r2 = _rsum(w2r * r * w)
    s2r = _rsum(w2r)
    S = sw2r2 - sw
    dS = -2.0 * sw3r2 + 2.0 * s2r * s2r / sw + sw2
    if method == "REML":
        sw3 = _rsum(w2 * w)
        S = S + sw2 / sw
        dS = dS - 2.0 * sw3 / sw + (sw2 / sw) ** 2
    return S, dS


def _polish_newton(Y, V, Mf, k, tau2, method, maxiter=20):
    """Newton steps on the estimating function from an interior scoring solution.

    Rows at tau2 = 0 are left alone. A step that would cross below 0 ends at the
    boundary 0 when the estimating function is <= 0 there (the solution is tau2 = 0,
    which scoring approaches only geometrically by step halving); otherwise, and when
    the slope is not negative (not at a maximum), polishing stops for that row.
    """
    active = np.flatnonzero(tau2 > 0)
    for _ in range(maxiter):
        if active.size == 0:
            break
        sub = (Y[active], V[active], None if Mf is None else Mf[active], k[active])
        t = tau2[active]
        S, dS = _score_and_slope(*sub, t, method)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = -S / dS
        ok = (dS < 0) & np.isfinite(step) & (t + step >= 0)
        new = np.where(ok, t + step, t)
        cross = (dS < 0) & np.isfinite(step) & (t + step < 0)
        if cross.any():
            c = np.flatnonzero(cross)
            s0, _ = _score_and_slope(*(a if a is None else a[c] for a in sub), np.zeros(c.size), method)
            new[c] = np.where(s0 <= 0, 0.0, t[c])
        tau2[active] = new
        done = ~ok | (np.abs(step) <= _POLISH_TOL * np.maximum(1.0, new))
        active = active[~done]
    return tau2


def _scoring_step(Y, V, Mf, k, tau2, method):
    """metafor's Fisher-scoring (ML, REML) or EB update."""
    q, swr2w, w, sw = _gen_q(Y, V, Mf, tau2)
    if method == "ML":
        return (swr2w - sw) / _rsum(w * w)
    if method == "REML":
        sw2 = _rsum(w * w)
        sw3 = _rsum(w * w * w)
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
    """metafor's iteration (Fisher scoring for ML/REML, its EB update) with step
    halving at 0 and metafor's stopping rule (change < 1e-5), then Newton polishing.

    Rows still moving after ``maxiter`` steps are returned unconverged (the caller
    then uses the bracketed root search) -- the same rows on which metafor stops with
    "Fisher scoring algorithm did not converge".
    """
    R = Y.shape[0]
    conv = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    tau2 = tau2.copy()
    rows = np.flatnonzero(k > 1)  # the block being iterated (re-compacted as rows finish)
    block = (Y[rows], V[rows], None if Mf is None else Mf[rows], k[rows])
    live = np.ones(rows.size, dtype=bool)  # rows of the block still iterating
    for it in range(1, maxiter + 1):
        if not live.any():
            break
        if live.sum() < 0.75 * rows.size:  # drop finished rows from the block
            rows = rows[live]
            block = tuple(a if a is None else a[live] for a in block)
            live = np.ones(rows.size, dtype=bool)
        t = tau2[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = _scoring_step(*block, t, method)
        adj = np.where(live & np.isfinite(adj), adj, 0.0)
        adj = _halve_to_nonnegative(t, adj)
        tau2[rows] = t + adj
        iters[rows[live]] = it
        done = live & (np.abs(adj) < _SCORING_TOL)
        conv[rows[done]] = True
        live &= ~done
    finished = np.flatnonzero(conv)
    if finished.size:
        sub = (Y[finished], V[finished], None if Mf is None else Mf[finished], k[finished])
        tau2[finished] = _polish_newton(*sub, tau2[finished].copy(), method)
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


def _bisect(Y, V, Mf, k, method, lo, hi, n=64):
    """Bisection on the estimating function within [lo, hi] (s(lo) > 0 > s(hi)).

    64 halvings shrink any bracket below double precision."""
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        s = _score(Y, V, Mf, k, mid, method)
        up = s > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return 0.5 * (lo + hi)


def _on_grid(Y, V, Mf, k, grid, fn):
    """Evaluate ``fn(Y, V, Mf, k, tau2)`` at every grid point of every row at once.

    ``grid`` has shape (r, G); the rows are repeated G times so one vectorised call
    does the whole grid. Returns (r, G)."""
    r, G = grid.shape
    rep = lambda a: None if a is None else np.repeat(a, G, axis=0)  # noqa: E731
    return fn(rep(Y), rep(V), rep(Mf), np.repeat(k, G), grid.ravel()).reshape(r, G)


def _bracketed(Y, V, Mf, k, method, rows, ngrid=200):
    """Fallback: grid search for the global maximum, then bisection on the score."""
    hi = _upper_bracket(Y, V, Mf, k, method, rows)
    sub = (Y[rows], V[rows], None if Mf is None else Mf[rows], k[rows])
    frac = np.concatenate([[0.0], np.geomspace(1e-8, 1.0, ngrid - 1)])
    grid = hi[:, None] * frac[None, :]  # (r, ngrid): 0 plus geometric points up to hi
    r = len(rows)
    if method in ("ML", "REML"):
        reml = method == "REML"
        obj = _on_grid(*sub, grid, lambda y, v, m, kk, t: _loglik(y, v, m, t, reml))
        best = obj.argmax(axis=1)
    else:  # PM/EB: decreasing estimating function, unique root: last grid point with s > 0
        s = _on_grid(*sub, grid, lambda y, v, m, kk, t: _score(y, v, m, kk, t, method))
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
    # if the bracket does not straddle a sign change, keep the best grid value
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


def _tau2_batch(Y, V, M=None, method="REML", fe=None, prepared=None):
    """Estimate tau2 for each row of (R, k) arrays.

    Returns ``(tau2, converged, algorithm_code, iterations)``, each of shape (R,).
    ``M`` marks present studies (default: finite y and v). ``fe = (q, c)``, Cochran's Q
    and the DL denominator already computed by the caller, saves DL a pass;
    ``prepared``, the output of :func:`_prepare` the caller already has, saves
    checking the data for padding again.
    """
    Y, V, Mf, k = _prepare(Y, V, M) if prepared is None else prepared
    R = Y.shape[0]
    code = np.zeros(R, dtype=int)
    conv = np.ones(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    if method == "FE":
        tau2 = np.zeros(R)
    elif method == "DL":
        if fe is None:
            tau2 = _tau2_dl(Y, V, Mf, k)
        else:
            q, c = fe
            with np.errstate(invalid="ignore", divide="ignore"):
                tau2 = np.where(k > 1, np.maximum((q - (k - 1.0)) / c, 0.0), 0.0)
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
            ok = conv & (k > 1) & (tau2 > 0)  # at tau2 = 0 there is nothing to compare
            if ok.any():
                rows = np.flatnonzero(ok)
                sub = (Y[rows], V[rows], None if Mf is None else Mf[rows])
                tau2[rows] = _ll0_check(*sub, tau2[rows], method)
    else:  # pragma: no cover - validated by callers
        raise ValueError(f"method: unknown tau^2 estimator {method!r}")
    failed = np.flatnonzero(~conv & (k > 1)) if method in _ITERATIVE else ()
    if len(failed):
        tau2[failed] = _bracketed(Y, V, Mf, k, method, failed)
        code[failed] = 3
        conv[failed] = True
    single = k <= 1
    if (Mf is not None or Y.shape[1] <= 1) and single.any():
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
    0.110667
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


def _score_slope_py(y, v, t, method):
    """Python-float mirror of :func:`_score_and_slope`."""
    k = len(y)
    w = [1.0 / (vi + t) for vi in v]
    sw = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y)) / sw
    r = [yi - mu for yi in y]
    sw2r2 = sum(wi * wi * ri * ri for wi, ri in zip(w, r))
    if method == "EB":
        return sum(wi * ri * ri for wi, ri in zip(w, r)) - (k - 1.0), -sw2r2
    sw2 = sum(wi * wi for wi in w)
    sw3r2 = sum(wi ** 3 * ri * ri for wi, ri in zip(w, r))
    s2r = sum(wi * wi * ri for wi, ri in zip(w, r))
    S = sw2r2 - sw
    dS = -2.0 * sw3r2 + 2.0 * s2r * s2r / sw + sw2
    if method == "REML":
        sw3 = sum(wi ** 3 for wi in w)
        S += sw2 / sw
        dS += -2.0 * sw3 / sw + (sw2 / sw) ** 2
    return S, dS


def _polish_py(y, v, t, method, maxiter=20):
    """Python-float mirror of :func:`_polish_newton`."""
    if t <= 0:
        return t
    for _ in range(maxiter):
        S, dS = _score_slope_py(y, v, t, method)
        if not dS < 0:
            break
        step = -S / dS
        if not np.isfinite(step):
            break
        if t + step < 0:  # boundary solution if the estimating function is <= 0 at 0
            if _score_slope_py(y, v, 0.0, method)[0] <= 0:
                t = 0.0
            break
        t += step
        if abs(step) <= _POLISH_TOL * max(1.0, t):
            break
    return t


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
    else:  # EB, ML, REML: metafor's scoring from the HE estimate, then Newton polishing
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
            if abs(adj) < _SCORING_TOL:
                t = _polish_py(y, v, t, method)
                if method in ("ML", "REML") and t > 0:
                    reml = method == "REML"
                    if _loglik_py(y, v, 0.0, reml) > _loglik_py(y, v, t, reml) + 1e-10:
                        t = 0.0
                return t, True, 1, it
    # not converged: the shared bracketed root search
    tb, conv, code, _ = _tau2_batch(np.array([y]), np.array([v]), None, method)
    return float(tb[0]), bool(conv[0]), int(code[0]), _MAXITER
