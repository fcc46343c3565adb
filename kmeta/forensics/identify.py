r"""How well the printed figures pin down the reconstructed inputs.

A reconstruction (:func:`~kmeta.forensics.reconstruct`) returns one input set that
reproduces the printed figures; usually many do. :func:`feasible_ranges` measures
how many: for every study effect :math:`y_i` and standard error :math:`s_i` it gives
the range over which all fitted figures still hold after rounding.

Two complementary methods are used:

* **profiles** -- for each parameter, minimise and maximise it subject to every
  scaled residual lying in [−tol, tol] (SLSQP, started from the fit). This finds the
  extremes of the feasible set along each axis, but only of the part of it that is
  connected to the start and only up to a local optimum;
* **hit-and-run sampling** -- chains started at the fit and at the profile
  endpoints walk the feasible set: at each step a random direction (scaled by the
  profile ranges), the feasible chord through the current point found on a grid, and
  a uniform draw on it. The samples extend the ranges where a profile stopped short,
  and are a (roughly uniform) sample of the feasible set for derived quantities
  (a meta-regression P, a Begg test) to be evaluated on.

Reported ranges are the union of both: an inner approximation of the true ranges
(a point outside them may still be feasible; every point found is feasible).

:func:`symmetries` finds studies that are exchangeable because they belong to exactly
the same pools (their inputs can be swapped without changing any printed figure), and
which further groupings (moderators of a meta-regression, other subgroups) tell them
apart.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from .._result import Result
from .reconstruct import Reconstruction, _Problem, _resolve_labels

__all__ = ["FeasibleRanges", "FigureRange", "Symmetry", "feasible_ranges", "figure_range", "symmetries"]


@dataclasses.dataclass(frozen=True, repr=False)
class FeasibleRanges(Result):
    """Result of :func:`feasible_ranges`.

    Attributes
    ----------
    table : DataFrame
        One row per study: ``study``, ``yi``, ``yi_low``, ``yi_high``, ``sei``,
        ``sei_low``, ``sei_high`` (fit and ranges), and ``yi_at_bound`` /
        ``sei_at_bound`` (a range reaches the edge of the searched box, so the
        figures do not bound it there), ``exchangeable_with`` (studies whose inputs
        can be swapped with this one's; their ranges are then the union).
    samples_yi, samples_sei : ndarray
        Feasible input sets found by hit-and-run, one row per set (shape (n, k); the fit
        first).
    tol : float
        Feasibility threshold on the scaled residuals (1 = within printed rounding).
    order : tuple
        Ordering constraints imposed, as ``(a, b, "yi" or "sei")`` meaning a <= b.
    labels : tuple of str
    n_profile_failed : int
        Profile optimisations that did not end at a feasible point (their start was
        kept; the samples still cover that direction).
    """

    table: pd.DataFrame
    samples_yi: np.ndarray
    samples_sei: np.ndarray
    tol: float
    order: tuple
    labels: tuple
    n_profile_failed: int

    def samples(self) -> pd.DataFrame:
        """The samples as a DataFrame with columns ``yi:<study>`` and ``sei:<study>``."""
        cols = {f"yi:{s}": self.samples_yi[:, i] for i, s in enumerate(self.labels)}
        cols.update({f"sei:{s}": self.samples_sei[:, i] for i, s in enumerate(self.labels)})
        return pd.DataFrame(cols)

    def summary(self) -> str:
        lines = [
            f"Feasible ranges (every fitted figure within {self.tol:g} rounding half-width; "
            f"{self.samples_yi.shape[0]} feasible samples)",
            f"{'study':<22} {'yi':>8} {'[low':>9} {'high]':>8} {'sei':>8} {'[low':>8} {'high]':>8}",
        ]
        for _, r in self.table.iterrows():
            lines.append(
                f"{r['study']:<22} {r['yi']:>8.3f} {r['yi_low']:>9.3f} {r['yi_high']:>8.3f} "
                f"{r['sei']:>8.3f} {r['sei_low']:>8.3f} {r['sei_high']:>8.3f}"
                + ("  (yi range hits the box)" if r["yi_at_bound"] else "")
                + ("  (sei range hits the box)" if r["sei_at_bound"] else "")
                + (f"  (exchangeable with {r['exchangeable_with']})" if r["exchangeable_with"] else "")
            )
        if self.order:
            lines.append("ordering imposed: " + "; ".join(f"{w}[{a}] <= {w}[{b}]" for a, b, w in self.order))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _order_matrix(order, labels, free, k):
    """Linear constraints A z >= 0 (in free coordinates) for a <= b orderings."""
    rows = []
    pos = {int(p): j for j, p in enumerate(free)}
    for a, b, what in order:
        off = 0 if what == "yi" else k
        ia, ib = labels.index(a) + off, labels.index(b) + off
        if ia not in pos or ib not in pos:
            raise ValueError(f"order: {what} of {a!r} or {b!r} is fixed; cannot order it")
        row = np.zeros(len(free))
        row[pos[ib]] += 1.0
        row[pos[ia]] -= 1.0
        rows.append(row)
    return np.array(rows) if rows else np.zeros((0, len(free)))


def _feasible(prob, Z, tol, A):
    r = prob.scaled(prob.predict(prob.full(Z)))
    ok = np.max(np.abs(r), axis=1) <= tol + 1e-9
    if A.shape[0]:
        ok &= np.all(Z @ A.T >= -1e-12, axis=1)
    return ok


def _jacobians(prob, Zs, idx, step=1e-6):
    """Raw residuals and their Jacobians at several points, in one batch."""
    m, n = Zs.shape
    H = step * np.maximum(1.0, np.abs(Zs))  # (m, n)
    rows = np.repeat(Zs[:, None, :], 2 * n + 1, axis=1)  # (m, 2n+1, n)
    ar = np.arange(n)
    rows[:, 1 + 2 * ar, ar] += H
    rows[:, 2 + 2 * ar, ar] -= H
    rho = prob.raw(prob.predict(prob.full(rows.reshape(-1, n))), idx).reshape(m, 2 * n + 1, -1)
    J = (rho[:, 1::2, :] - rho[:, 2::2, :]) / (2.0 * H[:, :, None])  # (m, n, nfig)
    return rho[:, 0, :], np.transpose(J, (0, 2, 1))


def _linear_profiles(prob, z_fit, lb, ub, tol, A):
    """Endpoints of every parameter's range for the residuals linearised at the fit."""
    idx = prob.fit_idx
    kind = prob.kind[idx]
    up, low = (kind == 0) | (kind == 1), (kind == 0) | (kind == -1)
    n = z_fit.shape[0]
    rho, J = _jacobians(prob, z_fit[None, :], idx)
    rho, J = rho[0], J[0]
    A_ub = np.vstack([J[up], -J[low]] + ([-A] if A.shape[0] else []))
    b_ub = np.concatenate([tol - rho[up], tol + rho[low]] + ([A @ z_fit] if A.shape[0] else []))
    bounds = list(zip(lb - z_fit, ub - z_fit))
    ends = np.repeat(z_fit[None, :], 2 * n, axis=0)
    for j in range(n):
        for a, sign in enumerate((1.0, -1.0)):
            c = np.zeros(n)
            c[j] = sign
            res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
            if res.status == 0:
                ends[2 * j + a] = z_fit + res.x
    return ends


def _profiles(prob, z_fit, lb, ub, tol, A, maxiter=60):
    """Minimise and maximise every free parameter over the feasible set.

    First the residuals are linearised at the fit and each parameter's range found by
    linear programming (HiGHS); those ranges set the scale of every parameter (so the
    feasible set becomes roughly a unit box) and give warm starts: the linear endpoint
    pulled back toward the fit until it is feasible. Then SLSQP solves each nonlinear
    profile in the scaled coordinates. Only feasible points are returned as endpoints.
    """
    idx = prob.fit_idx
    kind = prob.kind[idx]
    up, low = (kind == 0) | (kind == 1), (kind == 0) | (kind == -1)
    n = z_fit.shape[0]
    ends = _linear_profiles(prob, z_fit, lb, ub, tol, A)
    scale = np.maximum(np.abs(ends - z_fit[None, :]).max(axis=0), 1e-6)
    fractions = np.array([1.0, 0.9, 0.75, 0.5, 0.25, 0.1, 0.0])
    cand = z_fit[None, None, :] + fractions[None, :, None] * (ends - z_fit[None, :])[:, None, :]
    ok = _feasible(prob, cand.reshape(-1, n), tol, A).reshape(2 * n, fractions.size)
    starts = np.array([cand[i, int(np.flatnonzero(ok[i])[0])] if ok[i].any() else z_fit for i in range(2 * n)])
    ulb, uub = (lb - z_fit) / scale, (ub - z_fit) / scale
    out = []
    for job in range(2 * n):
        j, sign = job // 2, (1.0, -1.0)[job % 2]
        cache = {}

        def ev(u):
            key = u.tobytes()
            if key not in cache:
                cache.clear()
                rho, J = _jacobians(prob, (z_fit + u * scale)[None, :], idx)
                cache[key] = (rho[0], J[0] * scale[None, :])
            return cache[key]

        def cons(u):
            rho, _ = ev(u)
            return np.concatenate([tol - rho[up], tol + rho[low]])

        def cons_jac(u):
            _, J = ev(u)
            return np.vstack([-J[up], J[low]])

        grad = np.zeros(n)
        grad[j] = sign
        constraints = [{"type": "ineq", "fun": cons, "jac": cons_jac}]
        if A.shape[0]:
            As = A * scale[None, :]
            constraints.append({"type": "ineq", "fun": lambda u, As=As: As @ u + A @ z_fit, "jac": lambda u, As=As: As})
        u0 = (starts[job] - z_fit) / scale
        res = optimize.minimize(
            lambda u: sign * u[j], u0, jac=lambda u: grad, method="SLSQP", bounds=list(zip(ulb, uub)),
            constraints=constraints, options={"maxiter": maxiter, "ftol": 1e-9},
        )
        z = z_fit + np.clip(res.x, ulb, uub) * scale
        out.append(z if _feasible(prob, z[None, :], tol, A)[0] else starts[job])
    return np.array(out)


def feasible_ranges(
    recon: Reconstruction,
    *,
    tol: float = 1.0,
    samples: int = 400,
    chains: int = 16,
    grid: int = 48,
    seed: int = 0,
    order: Sequence[tuple[str, str, str]] = (),
    profile: bool = True,
    symmetric: bool = True,
) -> FeasibleRanges:
    """Ranges of every ``yi`` and ``sei`` over which all fitted figures still hold.

    Parameters
    ----------
    recon : Reconstruction
        A feasible reconstruction (its fit is the starting point).
    tol : float
        Feasibility threshold on the scaled residuals; 1 means "rounds to the printed
        value". Larger values describe a looser set (e.g. to study an infeasible
        paper at the minimax level).
    samples : int
        Hit-and-run steps in total (over all chains); 0 for profiles only.
    chains : int
        Parallel chains (started at the fit and at profile endpoints).
    grid : int
        Points per line search of a hit-and-run step.
    seed : int
        Seed of the sampler.
    order : sequence of (a, b, "yi" or "sei")
        Impose ``value[a] <= value[b]``: breaks the symmetry between exchangeable
        studies (keep one labelling). The fit must satisfy it (use
        :meth:`kmeta.forensics.reconstruct.Reconstruction.swap` first if it does not).
    profile : bool
        Run the profile optimisations (recommended).
    symmetric : bool
        For studies that are exchangeable (same pools, see :func:`symmetries`; none of
        their parameters fixed or ordered), every input set with their inputs
        permuted is equally feasible: report the union of their ranges and add the
        permuted samples. With ``False`` the ranges describe only the labelling found.

    Returns
    -------
    FeasibleRanges
    """
    if not recon.max_abs_residual <= tol + 1e-9:
        raise ValueError(
            f"recon: the fit's largest scaled residual is {recon.max_abs_residual:.3f} > tol = {tol:g}; "
            "ranges of an empty feasible set are undefined (drop the offending figure or raise tol)"
        )
    labels = recon.labels
    fixed = {(lab, what): v for lab, what, v in recon.fixed}
    prob = _Problem(recon.pools, labels, fixed)
    k = prob.k
    b = recon.bounds
    lb_full = np.concatenate([b["yi_min"].to_numpy(), np.log(b["sei_min"].to_numpy())])
    ub_full = np.concatenate([b["yi_max"].to_numpy(), np.log(b["sei_max"].to_numpy())])
    lb, ub = lb_full[prob.free], ub_full[prob.free]
    order = tuple((str(a), str(b_), str(w)) for a, b_, w in order)
    for _, _, w in order:
        if w not in ("yi", "sei"):
            raise ValueError(f"order: third item must be 'yi' or 'sei', got {w!r}")
    A = _order_matrix(order, labels, prob.free, k)
    z_fit = recon.theta[prob.free]
    if not _feasible(prob, z_fit[None, :], tol, A)[0]:
        raise ValueError("order: the fit does not satisfy the ordering; swap the studies first")
    n = z_fit.shape[0]

    points = [z_fit[None, :]]
    failed = 0
    if profile:
        Xp = _profiles(prob, z_fit, lb, ub, tol, A)
        okp = _feasible(prob, Xp, tol, A)
        failed = int(np.sum(~okp))
        points.append(Xp[okp])
    P = np.vstack(points)
    lo, hi = P.min(axis=0), P.max(axis=0)

    # hit-and-run from the fit and the profile endpoints
    draws = [P]
    if samples > 0:
        rng = np.random.default_rng(seed)
        nchains = max(1, min(int(chains), P.shape[0]))
        pick = np.linspace(0, P.shape[0] - 1, nchains).round().astype(int)
        X = P[pick].copy()
        width = np.maximum(hi - lo, 1e-3 * np.maximum(1.0, np.abs(z_fit)))
        steps = max(1, int(math.ceil(samples / nchains)))
        tgrid = np.linspace(-1.0, 1.0, int(grid))
        for _ in range(steps):
            D = rng.standard_normal(X.shape) * width
            D /= np.linalg.norm(D / width, axis=1, keepdims=True)
            # line limits: the searched box, and twice the current ranges around them
            span_lo = np.maximum(lb, lo - width)
            span_hi = np.minimum(ub, hi + width)
            with np.errstate(divide="ignore", invalid="ignore"):
                t1 = (span_lo - X) / D
                t2 = (span_hi - X) / D
            tmin = np.max(np.where(D != 0, np.minimum(t1, t2), -np.inf), axis=1)
            tmax = np.min(np.where(D != 0, np.maximum(t1, t2), np.inf), axis=1)
            tmin = np.minimum(tmin, 0.0)
            tmax = np.maximum(tmax, 0.0)
            # grid on [tmin, tmax] with 0 included; a second, 16x finer grid near 0
            T = np.empty((X.shape[0], 2 * tgrid.size + 1))
            coarse = np.where(tgrid < 0, -tgrid * tmin[:, None], tgrid * tmax[:, None])
            fine = coarse / 16.0
            T[:, : tgrid.size] = coarse
            T[:, tgrid.size: 2 * tgrid.size] = fine
            T[:, -1] = 0.0
            T.sort(axis=1)
            C = X[:, None, :] + T[:, :, None] * D[:, None, :]
            ok = _feasible(prob, C.reshape(-1, n), tol, A).reshape(T.shape)
            newX = X.copy()
            for c in range(X.shape[0]):
                zero = int(np.flatnonzero(T[c] == 0.0)[0])
                a = zero
                while a > 0 and ok[c, a - 1]:
                    a -= 1
                e = zero
                while e < T.shape[1] - 1 and ok[c, e + 1]:
                    e += 1
                ta, te = T[c, a], T[c, e]
                t = rng.uniform(ta, te) if te > ta else 0.0
                newX[c] = X[c] + t * D[c]
            good = _feasible(prob, newX, tol, A)
            X = np.where(good[:, None], newX, X)
            draws.append(X.copy())
            lo = np.minimum(lo, X.min(axis=0))
            hi = np.maximum(hi, X.max(axis=0))
    S = np.vstack(draws)
    full = prob.full(S)
    exch = []
    if symmetric:
        ordered = {x for a, b_, _ in order for x in (a, b_)}
        fixed_labels = {lab for lab, _ in fixed}
        for g in symmetries(recon.pools, labels=labels).groups:
            if not (set(g) & (ordered | fixed_labels)):
                exch.append(g)
        for g in exch:
            ii = [labels.index(x) for x in g]
            extra = []
            for shift in range(1, len(ii)):
                Fp = full.copy()
                rolled = ii[shift:] + ii[:shift]
                Fp[:, ii] = full[:, rolled]
                Fp[:, [k + i for i in ii]] = full[:, [k + i for i in rolled]]
                extra.append(Fp)
            full = np.vstack([full] + extra)
    yi_s, sei_s = full[:, :k], np.exp(full[:, k:])
    fit_full = recon.theta
    eps = 1e-6
    table = pd.DataFrame({
        "study": list(labels),
        "yi": recon.yi,
        "yi_low": yi_s.min(axis=0),
        "yi_high": yi_s.max(axis=0),
        "sei": recon.sei,
        "sei_low": sei_s.min(axis=0),
        "sei_high": sei_s.max(axis=0),
        "yi_at_bound": (yi_s.min(axis=0) <= lb_full[:k] + eps) | (yi_s.max(axis=0) >= ub_full[:k] - eps),
        "sei_at_bound": (np.log(sei_s.min(axis=0)) <= lb_full[k:] + eps) | (np.log(sei_s.max(axis=0)) >= ub_full[k:] - eps),
    })
    # fixed parameters are their own range
    fixed_y = ~np.isnan(prob.theta_fixed[:k])
    fixed_s = ~np.isnan(prob.theta_fixed[k:])
    table.loc[fixed_y, ["yi_at_bound"]] = False
    table.loc[fixed_s, ["sei_at_bound"]] = False
    partner = {x: tuple(y for y in g if y != x) for g in exch for x in g}
    table["exchangeable_with"] = [", ".join(partner.get(s_, ())) for s_ in labels]
    assert np.allclose(full[0], fit_full)
    return FeasibleRanges(
        table=table, samples_yi=yi_s, samples_sei=sei_s, tol=float(tol), order=order,
        labels=tuple(labels), n_profile_failed=int(failed),
    )


# --------------------------------------------------------------------------- range of one figure


@dataclasses.dataclass(frozen=True, repr=False)
class FigureRange(Result):
    """Result of :func:`figure_range`.

    Attributes
    ----------
    pool, quantity : str
        The figure.
    low, high : float
        Smallest and largest value it takes over the input sets that satisfy the
        constraining figures (each end attained at a feasible point).
    fit : float
        Its value at the reconstruction's fit.
    printed : str
        The figure as printed ("" if the pool prints no such figure).
    printed_low, printed_high : float
        The interval the printed figure stands for (NaN if none).
    attainable : bool
        The printed interval meets [low, high]: some input set satisfying the other
        figures also reproduces this one.
    excluded : bool
        Whether the figure itself was left out of the constraints.
    """

    pool: str
    quantity: str
    low: float
    high: float
    fit: float
    printed: str
    printed_low: float
    printed_high: float
    attainable: bool
    excluded: bool

    def summary(self) -> str:
        head = f"{self.pool}: {self.quantity} ranges over [{self.low:.4g}, {self.high:.4g}]"
        head += " given the other figures" if self.excluded else " given every fitted figure"
        if self.printed:
            head += f"; printed {self.printed} is {'attainable' if self.attainable else 'NOT attainable'}"
        return head


def figure_range(recon: Reconstruction, pool: str, quantity: str, *, tol: float = 1.0, exclude: bool = True,
                 maxiter: int = 80, polish: int = 3, points=None) -> FigureRange:
    """Range of one pooled figure over the input sets that satisfy the others.

    Minimises and maximises the predicted value of ``quantity`` of ``pool`` (any of
    :data:`kmeta.forensics.reconstruct.QUANTITIES`; the pool must print it, fitted or
    only checked) subject to every *other* fitted figure holding within ``tol``
    rounding half-widths (``exclude=False`` keeps the figure itself among the
    constraints). ``recon``'s fit must satisfy those constraints (fit it with the
    figure marked ``fit=False``).

    Method: the parameter profiles of :func:`feasible_ranges` give a spread of
    feasible points (the extremes of every parameter); the figure is evaluated at all
    of them, and SLSQP (in coordinates scaled by the linearised ranges; on the log
    scale for P values) is started from the ``polish`` best for each direction. Only
    feasible points count, so the range is an inner approximation, tight when the
    optimiser reaches the true extremes.

    ``points`` -- a :class:`FeasibleRanges` (its samples) or ``(yi, sei)`` arrays of
    shape (n, k) -- replaces the profile endpoints as starting points (those that
    satisfy the constraints are used), e.g. the samples of a reconstruction with the
    figure included, which saves the profile runs.
    """
    fixed = {(lab, what): v for lab, what, v in recon.fixed}
    prob = _Problem(recon.pools, recon.labels, fixed)
    target = [i for i, (p, f) in enumerate(zip(prob.fig_pool, prob.fig)) if prob.pools[p].name == pool and f.quantity == quantity]
    if not target:
        raise ValueError(f"pool, quantity: pool {pool!r} prints no {quantity!r}")
    t = target[0]
    if exclude:
        prob.fit_idx = np.array([i for i in prob.fit_idx if i != t], dtype=int)
    b = recon.bounds
    lb_full = np.concatenate([b["yi_min"].to_numpy(), np.log(b["sei_min"].to_numpy())])
    ub_full = np.concatenate([b["yi_max"].to_numpy(), np.log(b["sei_max"].to_numpy())])
    lb, ub = lb_full[prob.free], ub_full[prob.free]
    z_fit = recon.theta[prob.free]
    A = np.zeros((0, z_fit.size))
    if not _feasible(prob, z_fit[None, :], tol, A)[0]:
        raise ValueError("recon: its fit does not satisfy the constraining figures; refit without this figure first")
    logscale = quantity in ("pval", "q_pval")

    def value(Z):
        v = prob.predict(prob.full(Z))[:, t]
        if quantity == "i2":
            v = np.maximum(v, 0.0)
        return np.log(np.maximum(v, 1e-300)) if logscale else v

    # feasible starting points: the fit and the parameter-profile endpoints (or the given points)
    if points is None:
        P = _profiles(prob, z_fit, lb, ub, tol, A)
    else:
        py, ps = (points.samples_yi, points.samples_sei) if isinstance(points, FeasibleRanges) else points
        full = np.hstack([np.asarray(py, float), np.log(np.asarray(ps, float))])
        P = full[:, prob.free]
    P = np.vstack([z_fit[None, :], P[_feasible(prob, P, tol, A)]])
    vP = value(P)
    scale = np.maximum(np.abs(P - z_fit[None, :]).max(axis=0), 1e-6)
    spread = max(float(vP.max() - vP.min()), 1e-8)
    kind = prob.kind[prob.fit_idx]
    up, low = (kind == 0) | (kind == 1), (kind == 0) | (kind == -1)
    ulb, uub = (lb - z_fit) / scale, (ub - z_fit) / scale
    idx = prob.fit_idx
    found = [P]
    for sign in (1.0, -1.0):
        cache = {}

        def ev(u):
            key = u.tobytes()
            if key not in cache:
                cache.clear()
                z = z_fit + u * scale
                n = z.size
                H = 1e-6 * np.maximum(1.0, np.abs(z))
                rows = np.repeat(z[None, :], 2 * n + 1, axis=0)
                ar = np.arange(n)
                rows[1 + 2 * ar, ar] += H
                rows[2 + 2 * ar, ar] -= H
                pred = prob.predict(prob.full(rows))
                rho = prob.raw(pred, idx)
                v = pred[:, t]
                if quantity == "i2":
                    v = np.maximum(v, 0.0)
                v = np.log(np.maximum(v, 1e-300)) if logscale else v
                Jr = ((rho[1::2] - rho[2::2]) / (2.0 * H[:, None])).T * scale[None, :]
                gv = (v[1::2] - v[2::2]) / (2.0 * H) * scale
                cache[key] = (rho[0], Jr, v[0], gv)
            return cache[key]

        def obj(u, sign=sign):
            return sign * ev(u)[2] / spread

        def obj_jac(u, sign=sign):
            return sign * ev(u)[3] / spread

        def cons(u):
            rho = ev(u)[0]
            return np.concatenate([tol - rho[up], tol + rho[low]])

        def cons_jac(u):
            J = ev(u)[1]
            return np.vstack([-J[up], J[low]])

        order = np.argsort(sign * vP, kind="stable")[: max(1, int(polish))]
        for i in order:
            res = optimize.minimize(
                obj, (P[i] - z_fit) / scale, jac=obj_jac, method="SLSQP", bounds=list(zip(ulb, uub)),
                constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}],
                options={"maxiter": maxiter, "ftol": 1e-12},
            )
            z = z_fit + np.clip(res.x, ulb, uub) * scale
            if _feasible(prob, z[None, :], tol, A)[0]:
                found.append(z[None, :])
    Z = np.vstack(found)
    vals = prob.predict(prob.full(Z))[:, t]
    f = prob.fig[t]
    if f.quantity == "i2":
        vals = np.maximum(vals, 0.0)
    lo_p, hi_p = f.bounds()
    lo, hi = float(vals.min()), float(vals.max())
    return FigureRange(
        pool=pool, quantity=quantity, low=lo, high=hi, fit=float(vals[0]), printed=f.text(),
        printed_low=lo_p, printed_high=hi_p, attainable=bool(lo <= hi_p + 1e-12 and lo_p <= hi + 1e-12),
        excluded=bool(exclude),
    )


# --------------------------------------------------------------------------- symmetries


@dataclasses.dataclass(frozen=True, repr=False)
class Symmetry(Result):
    """Result of :func:`symmetries`.

    Attributes
    ----------
    groups : tuple of tuple of str
        Groups of two or more studies that appear in exactly the same pools.
    table : DataFrame
        One row per group: ``studies``, ``pools`` (the pools they share),
        ``broken_by`` (the partitions that put them in different classes; empty if
        none does), ``unbroken`` (True if no partition separates them).
    """

    groups: tuple
    table: pd.DataFrame

    def summary(self) -> str:
        if not self.groups:
            return "No two studies appear in exactly the same pools: no exchangeable studies."
        lines = ["Exchangeable studies (same pools; their inputs can be swapped without changing any figure):"]
        for _, r in self.table.iterrows():
            lines.append(
                f"  {', '.join(r['studies'])} -- in {', '.join(r['pools']) or 'no pool'}; "
                + (f"told apart by: {', '.join(r['broken_by'])}" if r["broken_by"] else "no other result tells them apart")
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def symmetries(pools, *, labels: Sequence[str] | None = None, partitions: Mapping | None = None) -> Symmetry:
    """Studies that appear in exactly the same pools, and what separates them.

    Parameters
    ----------
    pools : sequence of PublishedPool
    labels : sequence of str, optional
        Study order (default: first appearance).
    partitions : mapping, optional
        ``{name: grouping}`` for other reported analyses, where ``grouping`` maps each
        study to a class (a dict) or is the collection of studies in one class (e.g.
        the moderator of a meta-regression: ``{"adjunct": {"a", "c"}}``). A partition
        *breaks* a group when it puts its members in different classes.

    Returns
    -------
    Symmetry
    """
    pools = tuple(pools)
    labels = _resolve_labels(pools, labels)
    member = {s: tuple(p.name for p in pools if s in p.studies) for s in labels}
    by_pattern: dict = {}
    for s in labels:
        by_pattern.setdefault(member[s], []).append(s)
    groups = tuple(tuple(g) for g in by_pattern.values() if len(g) > 1)
    parts = {}
    for name, grouping in (partitions or {}).items():
        if isinstance(grouping, Mapping):
            parts[name] = {str(s): grouping.get(s) for s in labels}
        else:
            inside = {str(s) for s in grouping}
            parts[name] = {s: (s in inside) for s in labels}
    rows = []
    for g in groups:
        broken = tuple(name for name, cls in parts.items() if len({cls[s] for s in g}) > 1)
        rows.append({"studies": g, "pools": member[g[0]], "broken_by": broken, "unbroken": not broken})
    table = pd.DataFrame(rows, columns=["studies", "pools", "broken_by", "unbroken"])
    return Symmetry(groups=groups, table=table)
