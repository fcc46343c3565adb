r"""Subgroup analysis: :func:`subgroups`.

Studies are split by a grouping variable, each subgroup is pooled, and the subgroups are
compared. Two models are offered, and they answer slightly different questions.

``tau2="separate"`` (the default; RevMan, Stata's ``metan ..., by()``)
    Each subgroup is an ordinary meta-analysis (:func:`kmeta.meta`) with its own τ².
    The test for subgroup differences is Cochran's Q of the subgroup estimates
    :math:`\hat\mu_g` with their standard errors :math:`s_g`:

    .. math::

        Q_B = \sum_g (\hat\mu_g - \bar\mu)^2 / s_g^2, \qquad
        \bar\mu = \frac{\sum_g \hat\mu_g/s_g^2}{\sum_g 1/s_g^2},

    on :math:`G - 1` degrees of freedom (Borenstein et al. 2009, ch. 19; Deeks, Higgins
    and Altman in the Cochrane Handbook, section 10.11.3), i.e. metafor's
    ``rma(estimates, sei = se, method = "FE")``. With ``test="knha"`` the subgroup
    standard errors are the Hartung–Knapp ones, and a subgroup of one study falls back
    to the z test, as in :func:`kmeta.meta`.

``tau2="common"`` (metafor's ``rma(yi, vi, mods = ~ factor(group))``)
    A mixed-effects meta-regression with one indicator per subgroup and a single
    residual τ² shared by all subgroups (:func:`kmeta.metareg`). The test for subgroup
    differences is the omnibus moderator test :math:`Q_M` (:math:`\chi^2_{G-1}`, or
    :math:`F(G-1, k-G)` for t-based tests). The subgroup estimates are the coefficients
    of the same model written without intercept (one mean per subgroup). Pooling τ² is
    sensible when subgroups are small, as in most reviews (Rubio-Aparicio et al. 2020).
    Each subgroup's :class:`~kmeta.MetaResult` then carries the common τ² and the
    model's residual I² and H²; its Q is the subgroup's own Cochran's Q.

With ``method="FE"`` both modes give the same test, :math:`Q_B = Q - \sum_g Q_g`.

Stata's ``metareg`` with a group indicator (what Orhurhu et al. 2019 report as the
"meta-regression P" comparing subgroups) is ``tau2="common", method="REML",
test="knha"`` for two groups; its P is the t test of the indicator's coefficient, which
for two groups equals ``p_between`` (F(1, k−2) = t²).

References
----------
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). *Introduction to
Meta-Analysis*. Wiley, chapter 19.
Rubio-Aparicio M, López-López JA, Viechtbauer W, Marín-Martínez F, Botella J,
Sánchez-Meca J (2020). Testing categorical moderators in mixed-effects meta-analysis in
the presence of heteroscedasticity. *Journal of Experimental Education* 88:288–310.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num, format_p, p_phrase
from ._validate import check_choice, check_level, where
from .meta import MetaResult, _canonical_test, meta
from ._validate import read_effects
from .metareg import _fit, metareg
from .tau2 import METHODS

__all__ = ["subgroups", "SubgroupResult"]


@dataclasses.dataclass(frozen=True, repr=False)
class SubgroupResult(Result):
    """Result of :func:`subgroups`.

    Attributes
    ----------
    groups : dict
        Group name → :class:`~kmeta.MetaResult`, in order of first appearance.
    overall : MetaResult
        The meta-analysis of all studies (its own τ²).
    q_between, df_between, p_between : float, int, float
        Test for subgroup differences: Cochran's Q of the subgroup estimates
        (``"separate"``) or the moderator test :math:`Q_M` (``"common"``; an F
        statistic for t-based tests, with ``df_between_den`` denominator df).
    df_between_den : float
        Denominator df of the F test (NaN for chi-square tests).
    between_test : str
        ``"chi2"`` or ``"F"``.
    tau2 : str
        ``"separate"`` or ``"common"``.
    tau2_common : float
        The pooled residual τ² (``"common"``; NaN for ``"separate"``).
    model : MetaregResult or None
        The meta-regression behind ``"common"`` (None for ``"separate"``).
    method, test, level : str, str, float
        As for :func:`kmeta.meta`.
    membership : tuple
        The group of each study, in the input order.
    notes : tuple of str
    """

    groups: dict
    overall: MetaResult
    q_between: float
    df_between: int
    p_between: float
    df_between_den: float
    between_test: str
    tau2: str
    tau2_common: float
    model: object
    method: str
    test: str
    level: float
    membership: tuple
    notes: tuple = ()

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def table(self, overall: bool = False) -> pd.DataFrame:
        """One row per subgroup: k, estimate, se, CI, p, τ², I², Q (and the overall row if asked)."""
        rows = []
        items = list(self.groups.items()) + ([("Overall", self.overall)] if overall else [])
        for name, r in items:
            rows.append(
                {
                    "group": name,
                    "k": r.k,
                    "estimate": r.estimate,
                    "se": r.se,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "pval": r.pval,
                    "tau2": r.tau2,
                    "i2": r.i2,
                    "q": r.q,
                    "q_df": r.q_df,
                    "q_pval": r.q_pval,
                }
            )
        return pd.DataFrame(rows).set_index("group")

    def summary(self) -> str:
        model = "common-effect" if self.method == "FE" else f"random-effects ({self.method})"
        how = {"separate": "tau^2 estimated separately in each subgroup",
               "common": "one tau^2 pooled across subgroups (mixed-effects meta-regression)"}[self.tau2]
        lines = [f"Subgroup analysis: {self.n_groups} subgroups, k = {self.overall.k}, {model}; {how}", ""]
        width = max(10, max(len(str(g)) for g in self.groups) + 1)
        lines.append(f"{'':<{width}} {'k':>3} {'estimate':>10} {'ci.lb':>9} {'ci.ub':>9} {'pval':>8} "
                     f"{'tau^2':>8} {'I^2':>7}")
        for name, r in list(self.groups.items()) + [("Overall", self.overall)]:
            lines.append(
                f"{str(name):<{width}} {r.k:>3} {format_num(r.estimate):>10} {format_num(r.ci_low):>9} "
                f"{format_num(r.ci_high):>9} {format_p(r.pval):>8} {format_num(r.tau2):>8} {format_num(r.i2, 1):>6}%"
            )
        lines.append("")
        if self.between_test == "F":
            lines.append(f"Test for subgroup differences: F(df1 = {self.df_between}, df2 = {self.df_between_den:g}) = "
                         f"{format_num(self.q_between)}, {p_phrase(self.p_between)}")
        else:
            lines.append(f"Test for subgroup differences: Q(df = {self.df_between}) = "
                         f"{format_num(self.q_between)}, {p_phrase(self.p_between)}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the test for subgroup differences."""
        cols = ["q_between", "df_between", "p_between", "df_between_den", "between_test", "tau2",
                "tau2_common", "method", "test", "level"]
        row = {c: getattr(self, c) for c in cols}
        row["n_groups"] = self.n_groups
        row["k"] = self.overall.k
        return pd.DataFrame([row])


def _group_codes(groups, k, labels):
    """Group of each study (python scalars) and the groups in order of first appearance."""
    if isinstance(groups, str):
        raise ValueError("groups: expected one group per study, got a single string")
    if isinstance(groups, (pd.Series, pd.Index)):
        values = groups.tolist()
    else:
        arr = np.asarray(groups, dtype=object)
        if arr.ndim != 1:
            raise ValueError(f"groups: expected a 1-d sequence (one group per study), got shape {arr.shape}")
        values = arr.tolist()
    if len(values) != k:
        raise ValueError(f"groups: has {len(values)} values but there are {k} studies")
    out = []
    for i, g in enumerate(values):
        if g is None or (isinstance(g, float) and math.isnan(g)) or g is pd.NA or g is pd.NaT:
            raise ValueError(f"groups: {where(i, labels)} has no group (missing value)")
        if isinstance(g, np.generic):
            g = g.item()
        out.append(g)
    order = list(dict.fromkeys(out))
    return out, order


def _subset_labels(labels, idx):
    return None if labels is None else [labels[i] for i in idx]


def subgroups(
    yi,
    vi=None,
    groups=None,
    *,
    method="REML",
    test="z",
    tau2="separate",
    level=0.95,
    labels=None,
    sei=None,
) -> SubgroupResult:
    """Subgroup meta-analysis with a test for subgroup differences.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances (``yi`` may be a DataFrame with ``yi``,
        ``vi`` and ``study`` columns, as :func:`kmeta.meta`).
    groups : array_like
        The subgroup of each study (any hashable values; no missing values). Subgroups
        are reported in order of first appearance.
    method : str
        τ² estimator (``"FE"`` for a common-effect analysis), as :func:`kmeta.meta`.
    test : str
        ``"z"``, ``"t"``, ``"knha"`` or ``"adhoc"``, used for the subgroup estimates (and,
        with ``tau2="common"``, for the test of differences).
    tau2 : {"separate", "common"}
        Estimate τ² within each subgroup (``"separate"``) or pool one residual τ² across
        subgroups by meta-regression (``"common"``). See the module documentation.
    level : float
        Confidence level.
    labels : sequence of str, optional
        Study names.
    sei : array_like, optional
        Standard errors instead of ``vi``.

    Returns
    -------
    SubgroupResult
        ``.groups`` (ordered dict of :class:`~kmeta.MetaResult`), ``.overall``,
        ``q_between``, ``df_between``, ``p_between`` and :meth:`SubgroupResult.table`.

    Raises
    ------
    ValueError
        Missing or mismatched ``groups`` (naming the study), bad ``yi``/``vi``, an
        unknown option, or (``"common"``) too few studies for a random-effects model
        with one coefficient per subgroup (k must exceed the number of subgroups).

    Examples
    --------
    >>> res = subgroups([-2.1, -1.5, -2.6, -1.2, -1.0, -1.4], [0.2, 0.3, 0.4, 0.1, 0.2, 0.3],
    ...                 ["high", "high", "high", "low", "low", "low"], method="DL")
    >>> list(res.groups)
    ['high', 'low']
    >>> res.df_between
    1
    """
    method = check_choice(method, "method", METHODS)
    test = _canonical_test(test)
    level = check_level(level)
    mode = check_choice(tau2, "tau2", ("separate", "common"))
    yi, vi, labels, frame_notes = read_effects(yi, vi, sei, labels, "subgroups")
    k = yi.shape[0]
    if groups is None:
        raise ValueError("groups: missing (None was given); give the subgroup of each study")
    member, order = _group_codes(groups, k, labels)
    member_arr = np.empty(k, dtype=object)
    member_arr[:] = member
    index = {g: np.flatnonzero(np.array([m == g for m in member])) for g in order}
    G = len(order)
    notes = list(frame_notes)
    overall = meta(yi, vi, method=method, test=test, level=level, labels=labels)

    if mode == "separate":
        res = {}
        for g in order:
            idx = index[g]
            res[g] = meta(yi[idx], vi[idx], method=method, test=test, level=level,
                          labels=_subset_labels(labels, idx))
        if G == 1:
            q, df, p = 0.0, 0, 1.0
            notes.append("one subgroup: there are no differences to test (Q = 0 on 0 df)")
        else:
            est = np.array([r.estimate for r in res.values()])
            se = np.array([r.se for r in res.values()])
            if np.any(se <= 0):
                bad = [str(g) for g, r in res.items() if r.se <= 0][0]
                q, p = math.nan, math.nan
                notes.append(f"subgroup '{bad}' has a standard error of 0 (Hartung-Knapp with identical "
                             "effects); the test for differences is undefined")
            else:
                w = 1.0 / se**2
                mu = np.sum(w * est) / np.sum(w)
                q = float(max(0.0, np.sum(w * (est - mu) ** 2)))
                p = float(special.chdtrc(G - 1, q))
            df = G - 1
        singles = [str(g) for g, r in res.items() if r.k == 1]
        if singles and test != "z":
            notes.append(f"subgroup(s) {', '.join(singles)} with one study use the z test (as metafor)")
        return SubgroupResult(
            groups=res, overall=overall, q_between=q, df_between=int(df), p_between=p,
            df_between_den=math.nan, between_test="chi2", tau2="separate", tau2_common=math.nan, model=None,
            method=method, test=test, level=level, membership=tuple(member), notes=tuple(notes),
        )

    # common tau^2: meta-regression with one indicator per subgroup
    p_needed = G if method == "FE" else G + 1
    if k < p_needed or (method == "FE" and test != "z" and k <= G):
        raise ValueError(
            f"k = {k}: tau2='common' with {G} subgroups needs "
            + (f"k > {G} studies (one more than subgroups, for tau^2)" if method != "FE"
               else f"k > {G} studies for test '{test}'")
        )
    cat = pd.Categorical(member_arr, categories=order)
    mods = pd.DataFrame({"group": cat})
    if G == 1:
        model = metareg(yi, vi, None, method=method, test=test, level=level, labels=labels)
        q, df, p, df2 = 0.0, 0, 1.0, math.nan
        notes.append("one subgroup: there are no differences to test (Q = 0 on 0 df)")
    else:
        model = metareg(yi, vi, mods, method=method, test=test, level=level, labels=labels)
        q, df, p, df2 = model.qm, model.qm_df, model.qm_pval, model.qm_df2
    # one mean per subgroup: the same model without intercept (same tau^2, fitted values, s2w)
    Xc = np.column_stack([(np.array([m == g for m in member])).astype(float) for g in order])
    cm = _fit(yi[None, :], vi[None, :], Xc[None, :, :], method, test, level, list(range(G)),
              tau2=np.array([model.tau2]), full=False)
    res = {}
    for j, g in enumerate(order):
        idx = index[g]
        yg, vg = yi[idx], vi[idx]
        kg = idx.size
        wg = 1.0 / (vg + model.tau2)
        w0 = 1.0 / vg
        mu0 = np.sum(w0 * yg) / np.sum(w0)
        qg = float(max(0.0, np.sum(w0 * (yg - mu0) ** 2)))
        qg_p = float(special.chdtrc(kg - 1, qg)) if kg > 1 else 1.0
        se = float(cm["se"][0, j])
        est = float(cm["beta"][0, j])
        dfg = float(cm["df"])
        pi_df = k - G - 1
        if method != "FE" and pi_df >= 1:
            half = float(special.stdtrit(pi_df, 0.5 + level / 2.0)) * math.sqrt(se * se + model.tau2)
            pi_low, pi_high = est - half, est + half
        else:
            pi_low = pi_high = math.nan
        res[g] = MetaResult(
            k=int(kg), estimate=est, se=se, ci_low=float(cm["ci_low"][0, j]), ci_high=float(cm["ci_high"][0, j]),
            stat=float(cm["stat"][0, j]), pval=float(cm["pval"][0, j]), df=dfg,
            tau2=float(model.tau2), tau=float(model.tau), i2=float(model.i2), h2=float(model.h2),
            q=qg, q_df=int(kg - 1), q_pval=qg_p, pi_low=pi_low, pi_high=pi_high,
            weights=100.0 * wg / wg.sum(), method=method, test=test, level=level,
            converged=model.converged, algorithm=model.algorithm, iterations=model.iterations,
            vt=float(model.vt),
            yi=yg.copy(), vi=vg.copy(), labels=None if labels is None else tuple(labels[i] for i in idx),
            notes=(
                "subgroup estimate from a meta-regression with one tau^2 common to all subgroups; "
                "tau^2, I^2 and H^2 are the model's residual values"
                + ("" if test == "z" else f"; t tests on k - G = {k - G} df")
                + ("" if method == "FE" else f"; prediction interval with t on k - G - 1 = {pi_df} df"),
            ),
        )
    return SubgroupResult(
        groups=res, overall=overall, q_between=float(q), df_between=int(df), p_between=float(p),
        df_between_den=float(df2), between_test="F" if (test != "z" and G > 1) else "chi2", tau2="common",
        tau2_common=float(model.tau2), model=model, method=method, test=test, level=level,
        membership=tuple(member), notes=tuple(notes),
    )
