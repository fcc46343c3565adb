r"""Outlier and influence diagnostics: :func:`influence` (with Baujat's plot coordinates).

For each study *i* the model is refitted without it (same τ² estimator and test) and
compared with the fit to all k studies, exactly as metafor's ``influence.rma.uni``
(Viechtbauer and Cheung 2010). With :math:`\hat\beta` the coefficients of the full fit,
:math:`\hat\beta_{(-i)}`, :math:`\hat\tau^2_{(-i)}`, :math:`\mathrm{Var}(\hat\beta_{(-i)})`
and :math:`s^2_{(-i)}` (the Knapp–Hartung factor, 1 for z tests) those of the fit
without study *i*, and :math:`x_i` its row of the design matrix (1 for a model without
moderators):

``rstudent``
    externally studentised residual
    :math:`(y_i - x_i'\hat\beta_{(-i)}) / \sqrt{s^2_{(-i)}(v_i + \hat\tau^2_{(-i)}) + x_i'\mathrm{Var}(\hat\beta_{(-i)})x_i}`;
``dffits``
    :math:`x_i'(\hat\beta - \hat\beta_{(-i)}) / \sqrt{s^2_{(-i)}\,h_i\,(\hat\tau^2_{(-i)} + v_i)}`;
``cook_d``
    Cook's distance
    :math:`(\hat\beta - \hat\beta_{(-i)})'\,\mathrm{Var}(\hat\beta)^{-1}(\hat\beta - \hat\beta_{(-i)})`;
``cov_r``
    covariance ratio :math:`\det\mathrm{Var}(\hat\beta_{(-i)})/\det\mathrm{Var}(\hat\beta)`;
``tau2_del``, ``qe_del``
    τ² and the (residual) heterogeneity statistic Q without study *i*;
``hat``
    leverage, the diagonal of :math:`X(X'WX)^{-1}X'W`;
``weight``
    weight in the full fit (percent);
``dfbetas``
    :math:`(\hat\beta - \hat\beta_{(-i)})/\sqrt{s^2_{(-i)}\,\mathrm{diag}(X'W_{(-i)}X)^{-1}}`
    with :math:`W_{(-i)}` the weights of all k studies at :math:`\hat\tau^2_{(-i)}`;
``inf``
    metafor's flag: :math:`|\mathrm{DFFITS}| > 3\sqrt{p/(k-p)}`, or
    :math:`P(\chi^2_p \le D) > 0.5` for Cook's D, or :math:`h_i > 3p/k`, or any
    :math:`|\mathrm{DFBETAS}| > 1`.

Baujat et al. (2002) plot, for each study, its contribution to the heterogeneity
statistic, ``baujat_x`` :math:`= (y_i - x_i'\hat\beta)^2/(v_i + \hat\tau^2)` (for a
common-effect model without moderators: its term in Cochran's Q), against its influence
on the pooled result, ``baujat_y`` :math:`= (x_i'\hat\beta_{(-i)} - x_i'\hat\beta)^2 /
x_i'\mathrm{Var}(\hat\beta_{(-i)})x_i` (metafor's ``baujat``).

References
----------
Baujat B, Mahé C, Pignon JP, Hill C (2002). A graphical method for exploring
heterogeneity in meta-analyses: application to a meta-analysis of 65 trials.
*Statistics in Medicine* 21:2641–2652.
Viechtbauer W, Cheung MWL (2010). Outlier and influence diagnostics for meta-analysis.
*Research Synthesis Methods* 1:112–125.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num

__all__ = ["influence", "InfluenceResult"]


@dataclasses.dataclass(frozen=True, repr=False)
class InfluenceResult(Result):
    """Result of :func:`influence`.

    Attributes
    ----------
    table : DataFrame
        One row per study (index: the study): ``rstudent, dffits, cook_d, cov_r,
        tau2_del, qe_del, hat, weight, inf, baujat_x, baujat_y`` and one ``dfbetas_<coef>``
        column per coefficient.
    rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, hat, weight, baujat_x, baujat_y : ndarray
        The same columns as arrays.
    dfbetas : ndarray
        DFBETAS, shape (k, p).
    inf : ndarray of bool
        metafor's influence flag.
    coef_names : tuple of str
    tau2, qe : float
        τ² and Q (or QE) of the full fit.
    method, test : str
    notes : tuple of str
    """

    table: pd.DataFrame
    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    qe_del: np.ndarray
    hat: np.ndarray
    weight: np.ndarray
    dfbetas: np.ndarray
    inf: np.ndarray
    baujat_x: np.ndarray
    baujat_y: np.ndarray
    coef_names: tuple
    tau2: float
    qe: float
    method: str
    test: str
    notes: tuple = ()

    @property
    def influential(self) -> list:
        """Studies flagged as influential."""
        return list(self.table.index[self.inf])

    def to_frame(self) -> pd.DataFrame:
        """The table (one row per study)."""
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Influence diagnostics (k = {len(self.table)}; method {self.method}, test {self.test})", "",
                 f"{'study':<20} {'rstudent':>9} {'dffits':>8} {'cook.d':>8} {'cov.r':>8} {'tau2.del':>9} "
                 f"{'QE.del':>8} {'hat':>7} {'weight':>7} inf"]
        for name, r in self.table.iterrows():
            lines.append(f"{str(name)[:20]:<20} {format_num(r.rstudent):>9} {format_num(r.dffits):>8} "
                         f"{format_num(r.cook_d):>8} {format_num(r.cov_r):>8} {format_num(r.tau2_del):>9} "
                         f"{format_num(r.qe_del):>8} {format_num(r.hat):>7} {format_num(r.weight, 2):>7} "
                         f"{'*' if r.inf else ''}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def influence(yi, vi=None, *, sei=None, method=None, test=None, level=None, labels=None) -> InfluenceResult:
    """Influence diagnostics and Baujat coordinates, as metafor's ``influence`` and ``baujat``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances (a model without moderators); or a
        :class:`~kmeta.MetaResult` or :class:`~kmeta.MetaregResult` as ``yi`` (its data,
        design and settings are reused); or a DataFrame with ``yi``/``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    method, test, level : optional
        As :func:`kmeta.meta` (defaults: the fit's, else ``"REML"``, ``"z"``, 0.95).
    labels : sequence of str, optional
        Study names (the index of the table).

    Returns
    -------
    InfluenceResult

    Raises
    ------
    ValueError
        Bad data, k < 2, an unknown option.

    Examples
    --------
    >>> res = influence([0.1, 0.3, 0.35, 0.6, 2.5], [0.01, 0.02, 0.03, 0.05, 0.04], method="DL",
    ...                 labels=list("ABCDE"))
    >>> res.influential
    ['E']
    """
    from ._validate import check_k
    from .metareg import MetaregResult, _fit
    from .sensitivity import _setup

    X = None
    coef_names = ("intrcpt",)
    btt = None
    if isinstance(yi, MetaregResult):
        fit0 = yi
        if vi is not None or sei is not None:
            raise ValueError("vi: not used when a MetaregResult is given (its data are used)")
        labels = list(fit0.labels) if (labels is None and fit0.labels is not None) else labels
        method = fit0.method if method is None else method
        test = fit0.test if test is None else test
        level = fit0.level if level is None else level
        X = fit0.X
        coef_names = fit0.coef_names
        yi, vi = fit0.yi, fit0.vi
    yi, vi, labels, method, test, level, notes = _setup(yi, vi, sei, method, test, level, labels, "influence")
    k = yi.shape[0]
    check_k(k, 2, "influence diagnostics")
    notes = list(notes)
    if X is None:
        X = np.ones((k, 1))
    p = X.shape[1]
    btt = list(range(p))
    full = _fit(yi[None, :], vi[None, :], X[None, :, :], method, test if k > 1 else "z", level, btt)
    beta = full["beta"][0]
    vb = full["vb"][0]
    tau2 = float(full["tau2"][0])
    w = full["w"][0]
    hat = full["hat"][0].copy()
    hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
    weight = 100.0 * w / w.sum()
    pred = X @ beta

    # all k deletion fits at once: row i holds the data without study i
    keep = ~np.eye(k, dtype=bool)
    Yd = np.stack([yi[keep[i]] for i in range(k)])
    Vd = np.stack([vi[keep[i]] for i in range(k)])
    Xd = np.stack([X[keep[i]] for i in range(k)])
    kd = k - 1
    ok_rows = np.ones(k, dtype=bool)
    test_del = test
    if kd == 1 and test != "z":
        test_del = "z"
        notes.append("k = 2: each deletion fit has one study and uses the z test (as metafor)")
    if method != "FE" and kd <= p and not (p == 1 and kd == 1):
        ok_rows[:] = False
        notes.append(f"without one study k - 1 = {kd} <= p = {p}: the deletion fits are not defined (NaN)")
    rank_ok = np.array([np.linalg.matrix_rank(Xd[i]) == p for i in range(k)])
    if not rank_ok.all():
        notes.append("deleting some studies makes the design singular; their diagnostics are NaN")
    ok_rows &= rank_ok
    nan = np.full(k, np.nan)
    out = {name: nan.copy() for name in ("tau2_del", "qe_del", "delpred", "vdelpred", "s2w_del", "dffits",
                                           "cook_d", "cov_r")}
    dfbs = np.full((k, p), np.nan)
    if ok_rows.any():
        rows = np.flatnonzero(ok_rows)
        d = _fit(Yd[rows], Vd[rows], Xd[rows], method, test_del, level, btt)
        bdel = d["beta"]
        vbdel = d["vb"]
        Xi = X[rows]
        out["tau2_del"][rows] = d["tau2"]
        out["qe_del"][rows] = d["qe"]
        out["s2w_del"][rows] = d["s2w"]
        out["delpred"][rows] = np.einsum("rp,rp->r", Xi, bdel)
        out["vdelpred"][rows] = np.einsum("rp,rpq,rq->r", Xi, vbdel, Xi)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["dffits"][rows] = (pred[rows] - out["delpred"][rows]) / np.sqrt(
                d["s2w"] * hat[rows] * (d["tau2"] + vi[rows]))
            svb = np.linalg.inv(vb)
            dfb = beta[None, :] - bdel
            out["cook_d"][rows] = np.einsum("rp,pq,rq->r", dfb, svb, dfb)
            out["cov_r"][rows] = np.linalg.det(vbdel) / np.linalg.det(vb)
            # Var(beta) of the full data at the deletion tau^2
            wdel = 1.0 / (vi[None, :] + d["tau2"][:, None])
            A = np.einsum("kp,rk,kq->rpq", X, wdel, X)
            vb_del_full = np.linalg.inv(A)
            dfbs[rows] = dfb / np.sqrt(d["s2w"][:, None] * np.diagonal(vb_del_full, axis1=1, axis2=2))
    resid = yi - out["delpred"]
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        seresid = np.sqrt(vi * out["s2w_del"] + out["vdelpred"] + out["tau2_del"] * out["s2w_del"])
        rstudent = resid / seresid
        baujat_x = (yi - pred) ** 2 / (tau2 + vi)
        baujat_y = (out["delpred"] - pred) ** 2 / out["vdelpred"]
        infl = (
            (np.abs(out["dffits"]) > 3.0 * np.sqrt(p / (k - p)) if k > p else np.zeros(k, bool))
            | (special.chdtr(p, out["cook_d"]) > 0.5)
            | (hat > 3.0 * p / k)
            | np.any(np.abs(dfbs) > 1.0, axis=1)
        )
    infl = np.where(np.isnan(out["cook_d"]) & np.isnan(out["dffits"]), False, infl)
    names = list(labels) if labels is not None else [f"Study {i + 1}" for i in range(k)]
    table = pd.DataFrame(
        {
            "rstudent": rstudent, "dffits": out["dffits"], "cook_d": out["cook_d"], "cov_r": out["cov_r"],
            "tau2_del": out["tau2_del"], "qe_del": out["qe_del"], "hat": hat, "weight": weight,
            "inf": infl.astype(bool), "baujat_x": baujat_x, "baujat_y": baujat_y,
        },
        index=pd.Index(names, name="study"),
    )
    for j, n in enumerate(coef_names):
        table[f"dfbetas_{n}"] = dfbs[:, j]
    return InfluenceResult(
        table=table, rstudent=rstudent, dffits=out["dffits"], cook_d=out["cook_d"], cov_r=out["cov_r"],
        tau2_del=out["tau2_del"], qe_del=out["qe_del"], hat=hat, weight=weight, dfbetas=dfbs,
        inf=infl.astype(bool), baujat_x=baujat_x, baujat_y=baujat_y, coef_names=tuple(coef_names), tau2=tau2,
        qe=float(full["qe"][0]), method=method, test=test, notes=tuple(notes),
    )
