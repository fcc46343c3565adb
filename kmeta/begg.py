r"""Begg and Mazumdar's rank correlation test for funnel-plot asymmetry: :func:`begg`.

The test (Begg and Mazumdar 1994) correlates the standardised deviates

.. math::

    y_i^* = \frac{y_i - \hat\theta_{FE}}{\sqrt{v_i - v_{FE}}}, \qquad
    \hat\theta_{FE} = \frac{\sum y_i/v_i}{\sum 1/v_i}, \quad v_{FE} = \frac{1}{\sum 1/v_i},

with the sampling variances :math:`v_i` by Kendall's rank correlation. Over the
:math:`N = k(k-1)/2` pairs of studies, Kendall's score is :math:`S = P - Q` (concordant
minus discordant pairs). Three ways of turning S into a p-value are in use, and they give
different answers for the same data; ``variant`` chooses one and the result carries all
of them:

``variant="metafor"`` (default; metafor's ``ranktest``, R's ``cor.test``)
    Without ties, the *exact* permutation distribution of S (every ordering of the
    :math:`k` studies equally likely; the number of concordant pairs then follows the
    Mahonian distribution): :math:`p = \min\{1, 2\min(P(T \le q), P(T \ge q))\}` with
    :math:`q = P`. metafor asks ``cor.test`` for the exact p-value whatever k is (not
    only for k < 50, ``cor.test``'s own default), so does kmeta (``exact=None``). With
    ties (equal variances, or equal deviates) the exact distribution is not available
    and R uses the normal approximation :math:`z = S/\sqrt{\mathrm{Var}(S)}` with the
    tie-corrected variance (Kendall 1970, eq. 4.4)

    .. math::

        \mathrm{Var}(S) = \frac{v_0 - v_t - v_u}{18} + \frac{v_1}{2k(k-1)} + \frac{v_2}{9k(k-1)(k-2)},

    :math:`v_0 = k(k-1)(2k+5)`, :math:`v_t = \sum t(t-1)(2t+5)` over groups of tied
    deviates, :math:`v_u` likewise for the variances,
    :math:`v_1 = \sum t(t-1)\sum u(u-1)`, :math:`v_2 = \sum t(t-1)(t-2)\sum u(u-1)(u-2)`;
    no continuity correction. ``exact=False`` forces this normal approximation.
    The reported ``tau`` is Kendall's :math:`\tau_b = S/\sqrt{(N - T_1)(N - T_2)}`.

``variant="stata"`` (Stata ``metabias, begg``, the ``Pr > |z|`` line)
    The normal approximation :math:`z = S/\mathrm{SD}(S)` with
    :math:`\mathrm{Var}(S) = k(k-1)(2k+5)/18` when there are no ties, and
    :math:`p = 2\{1 - \Phi(|z|)\}` (1 when S = 0).

``variant="stata_cc"`` (Stata ``metabias, begg``, "continuity corrected")
    :math:`z = (|S| - 1)/\mathrm{SD}(S)`. This is the p-value that Stata's ``metabias``
    returns as ``r(p_bias)`` and the one the older ``metabias`` (Steichen 1998) printed
    last.

With ties, Stata's ``ktau2`` routine (the one ``metabias`` calls) computes
:math:`18\,\mathrm{Var}(S) = v_0 - (v_u - v_t) + v_2/(9k(k-1)(k-2)) + v_1/(2k(k-1))`
(variances are its first variable, deviates its second): the deviate-tie term enters
with a plus sign and the last two terms are also divided by 18. kmeta's ``"stata"``
variants reproduce that formula as Stata computes it, so that a printed Stata P can be
matched; with ties it differs from the textbook variance used by ``"metafor"``. (Stata
also stores the variances and deviates in single precision, so values equal to 7
digits count as ties there; kmeta compares doubles.)

:func:`begg_attainable_pvalues` lists every p-value a test variant can produce for k
studies: with k = 6 there are only 16 possible values of S, hence at most 8 distinct
p-values, which is what lets a printed P be checked.

References
----------
Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
publication bias. *Biometrics* 50:1088–1101.
Kendall MG, Gibbons JD (1990). *Rank Correlation Methods*, 5th ed. Arnold, ch. 4.
Steichen TJ (1998). Tests for publication bias in meta-analysis. *Stata Technical
Bulletin* 41:9–15 (sbe19); Harbord RM, Harris RJ, Sterne JAC (2009). Updated tests for
small-study effects in meta-analyses. *Stata Journal* 9:197–210.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import special

from ._result import Result, format_num, p_phrase
from ._validate import check_choice, check_k

__all__ = ["begg", "BeggResult", "begg_attainable_pvalues"]

VARIANTS = ("metafor", "stata", "stata_cc")


# ----------------------------------------------------------------------------- Kendall
@functools.lru_cache(maxsize=64)
def _mahonian_cdf(n: int) -> tuple:
    """P(T <= q), q = 0..n(n-1)/2, for the number of concordant pairs T of a random ordering.

    Exact rational arithmetic up to n = 170 (then floats). The counts are the Mahonian
    numbers (permutations of n with q inversions); the distribution is symmetric.
    """
    N = n * (n - 1) // 2
    if n <= 170:
        counts = [1]
        for m in range(2, n + 1):
            # convolve with the uniform distribution on 0..m-1 via prefix sums
            new_len = len(counts) + m - 1
            prefix = [0]
            for c in counts:
                prefix.append(prefix[-1] + c)
            new = []
            for j in range(new_len):
                hi = min(j, len(counts) - 1)
                lo = j - (m - 1)
                new.append(prefix[hi + 1] - (prefix[lo] if lo > 0 else 0))
            counts = new
        total = math.factorial(n)
        cum = 0
        out = []
        for c in counts:
            cum += c
            out.append(float(Fraction(cum, total)))
        assert len(out) == N + 1
        return tuple(out)
    f = np.array([1.0])
    for m in range(2, n + 1):
        c = np.concatenate([[0.0], np.cumsum(f)])
        j = np.arange(f.size + m - 1)
        hi = np.minimum(j, f.size - 1) + 1
        lo = np.maximum(j - (m - 1), 0)
        f = (c[hi] - c[lo]) / m
    return tuple(np.minimum(np.cumsum(f), 1.0).tolist())


def _exact_p(concordant: int, n: int) -> float:
    """R's cor.test(method = "kendall", exact = TRUE) two-sided p-value."""
    cdf = _mahonian_cdf(n)
    N = n * (n - 1) // 2
    q = int(concordant)
    if q > N / 2:
        p = 1.0 - (cdf[q - 1] if q >= 1 else 0.0)
    else:
        p = cdf[q]
    return min(2.0 * p, 1.0)


def _tie_groups(x):
    _, counts = np.unique(x, return_counts=True)
    return counts[counts > 1].astype(float)


def _kendall_score(x, y):
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(x.size, 1)
    prod = (dx * dy)[iu]
    return int(np.sum(prod > 0)), int(np.sum(prod < 0))


def _var_s_r(n, t, u):
    """R's tie-corrected variance of S (t: tie groups of x, u: of y)."""
    v0 = n * (n - 1) * (2 * n + 5)
    vt = np.sum(t * (t - 1) * (2 * t + 5))
    vu = np.sum(u * (u - 1) * (2 * u + 5))
    v1 = np.sum(t * (t - 1)) * np.sum(u * (u - 1))
    v2 = np.sum(t * (t - 1) * (t - 2)) * np.sum(u * (u - 1) * (u - 2))
    var = (v0 - vt - vu) / 18.0
    if n > 1:
        var += v1 / (2.0 * n * (n - 1))
    if n > 2:
        var += v2 / (9.0 * n * (n - 1) * (n - 2))
    return float(var)


def _var_s_stata(n, tv, td):
    """Stata ktau2's variance of S as coded (tv: tie groups of the variances, td: of the deviates)."""
    nn = n * (n - 1)
    s = nn * (2 * n + 5)
    if tv.size or td.size:
        xt = np.sum(tv * (tv - 1) * (2 * tv + 5))
        yt = np.sum(td * (td - 1) * (2 * td + 5))
        xt2 = np.sum(tv * (tv - 1))
        yt2 = np.sum(td * (td - 1))
        xt3 = np.sum(tv * (tv - 1) * (tv - 2))
        yt3 = np.sum(td * (td - 1) * (td - 2))
        s = s - (xt - yt) + (xt3 * yt3 / (9.0 * nn * (n - 2)) if n > 2 else 0.0) + xt2 * yt2 / (2.0 * nn)
    return float(s) / 18.0


def _stata_p(S, sd, cc):
    if S == 0:
        return 1.0, 0.0
    z = (abs(S) - 1.0) / sd if cc else abs(S) / sd
    return float(2.0 * special.ndtr(-z)), float(math.copysign(z, S))


# ----------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, repr=False)
class BeggResult(Result):
    """Result of :func:`begg`.

    Attributes
    ----------
    k : int
        Number of studies.
    tau : float
        Kendall's tau-b between the standardised deviates and the variances (metafor's
        ``tau``).
    tau_a : float
        Kendall's tau-a, S/N.
    score : int
        Kendall's score S = P − Q (concordant minus discordant pairs).
    concordant, discordant : int
        P and Q.
    pval : float
        The p-value of the chosen ``variant`` (see the module documentation).
    stat : float
        The z statistic of the chosen variant (NaN for the exact test).
    se_score : float
        SD(S) used by the chosen variant (NaN for the exact test).
    variant : str
        ``"metafor"``, ``"stata"`` or ``"stata_cc"``.
    exact : bool
        Whether the p-value is from the exact distribution.
    ties : bool
        Whether there are tied variances or deviates.
    pval_exact : float
        Exact p-value (NaN with ties).
    pval_normal : float
        Normal approximation as R's ``cor.test(exact = FALSE)`` (tie-corrected, no
        continuity correction).
    pval_stata, pval_stata_cc : float
        Stata ``metabias, begg``: without and with continuity correction.
    yi_star : ndarray
        The standardised deviates.
    notes : tuple of str
    """

    k: int
    tau: float
    tau_a: float
    score: int
    concordant: int
    discordant: int
    pval: float
    stat: float
    se_score: float
    variant: str
    exact: bool
    ties: bool
    pval_exact: float
    pval_normal: float
    pval_stata: float
    pval_stata_cc: float
    yi_star: np.ndarray
    notes: tuple = ()

    def summary(self) -> str:
        how = "exact" if self.exact else {"metafor": "normal approximation",
                                           "stata": "normal approximation (Stata)",
                                           "stata_cc": "normal approximation, continuity corrected (Stata)"}[self.variant]
        lines = [
            f"Rank correlation test for funnel plot asymmetry (Begg and Mazumdar; k = {self.k})",
            "",
            f"Kendall's tau = {format_num(self.tau)}, score S = P - Q = {self.score} "
            f"({self.concordant} concordant, {self.discordant} discordant pairs)",
            f"{how}: {p_phrase(self.pval)}",
            "",
            "All variants: exact " + ("NA (ties)" if math.isnan(self.pval_exact) else format_num(self.pval_exact))
            + f"; normal {format_num(self.pval_normal)}; Stata {format_num(self.pval_stata)}; "
            f"Stata continuity-corrected {format_num(self.pval_stata_cc)}",
        ]
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)


def begg(yi, vi=None, *, sei=None, exact=None, variant="metafor", labels=None) -> BeggResult:
    """Begg and Mazumdar's rank correlation test, as metafor's ``ranktest`` (or Stata's).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances; or a :class:`~kmeta.MetaResult` as ``yi``
        (its data are used); or a DataFrame with ``yi`` and ``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    exact : bool or None
        For ``variant="metafor"``: None (default) uses the exact distribution whenever
        there are no ties, as metafor; True insists on it (with ties the normal
        approximation is used and a note says so, as R does); False uses the normal
        approximation. Ignored by the Stata variants (always normal).
    variant : {"metafor", "stata", "stata_cc"}
        Which p-value is reported as ``pval`` (all are in the result).
    labels : sequence of str, optional
        Study names for error messages.

    Returns
    -------
    BeggResult

    Raises
    ------
    ValueError
        Bad data, k < 3 (the test needs at least three studies), an unknown variant.

    Examples
    --------
    >>> res = begg([-1.9, -2.4, -1.1, -2.9, -0.8, -1.6], [0.30, 0.55, 0.12, 0.20, 0.09, 0.25])
    >>> res.score, res.exact
    (-9, True)
    >>> round(res.pval, 4), round(res.pval_stata, 4), round(res.pval_stata_cc, 4)
    (0.1361, 0.0909, 0.1329)
    """
    from .meta import MetaResult
    from ._validate import read_effects

    variant = check_choice(variant, "variant", VARIANTS)
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise ValueError(f"exact: expected True, False or None, got {exact!r}")
    if isinstance(yi, MetaResult):
        labels = list(yi.labels) if (labels is None and yi.labels is not None) else labels
        yi, vi, sei = yi.yi, yi.vi, None
    yi, vi, labels, notes = read_effects(yi, vi, sei, labels, "begg")
    k = yi.shape[0]
    check_k(k, 3, "the rank correlation test")
    w = 1.0 / vi
    theta = float(np.sum(w * yi) / np.sum(w))
    vstar = vi - 1.0 / np.sum(w)
    ystar = (yi - theta) / np.sqrt(vstar)

    P, Q = _kendall_score(ystar, vi)
    S = P - Q
    N = k * (k - 1) // 2
    td = _tie_groups(ystar)  # ties among deviates
    tv = _tie_groups(vi)  # ties among variances
    ties = bool(td.size or tv.size)
    T1 = float(np.sum(td * (td - 1) / 2))
    T2 = float(np.sum(tv * (tv - 1) / 2))
    denom = math.sqrt((N - T1) * (N - T2))
    tau_b = S / denom if denom > 0 else math.nan
    notes = list(notes)

    p_exact = math.nan
    if not ties:
        q = round((tau_b + 1) * k * (k - 1) / 4)
        p_exact = _exact_p(q, k)
    var_r = _var_s_r(k, td, tv)
    z_r = S / math.sqrt(var_r) if var_r > 0 else math.nan
    p_normal = float(2.0 * min(special.ndtr(z_r), special.ndtr(-z_r))) if np.isfinite(z_r) else math.nan
    sd_stata = math.sqrt(_var_s_stata(k, tv, td))
    p_stata, z_stata = _stata_p(S, sd_stata, cc=False)
    p_cc, z_cc = _stata_p(S, sd_stata, cc=True)

    if variant == "metafor":
        use_exact = (exact is not False) and not ties
        if exact is True and ties:
            notes.append("ties among the variances or deviates: the exact distribution is not available; "
                         "normal approximation used (as R's cor.test)")
        if use_exact:
            pval, stat, se = p_exact, math.nan, math.nan
        else:
            pval, stat, se = p_normal, z_r, math.sqrt(var_r)
    elif variant == "stata":
        use_exact = False
        pval, stat, se = p_stata, z_stata, sd_stata
    else:
        use_exact = False
        pval, stat, se = p_cc, z_cc, sd_stata
    if ties and variant != "metafor":
        notes.append("ties: Stata's tie correction of Var(S) as coded in its ktau2 routine was used")
    return BeggResult(
        k=k, tau=float(tau_b), tau_a=S / N, score=int(S), concordant=int(P), discordant=int(Q),
        pval=float(pval), stat=float(stat), se_score=float(se), variant=variant, exact=bool(use_exact),
        ties=ties, pval_exact=float(p_exact), pval_normal=float(p_normal), pval_stata=float(p_stata),
        pval_stata_cc=float(p_cc), yi_star=ystar, notes=tuple(notes),
    )


def begg_attainable_pvalues(k, variant="exact", *, tied_variances=(), as_frame=False):
    """Every p-value the Begg test can produce with k studies.

    Without ties Kendall's score S takes the values :math:`-N, -N+2, \\ldots, N`
    (:math:`N = k(k-1)/2`), so only a handful of p-values are possible for small k; a
    published P that is not among them cannot come from that variant of the test.

    Parameters
    ----------
    k : int
        Number of studies (>= 3).
    variant : {"exact", "normal", "stata", "stata_cc"}
        ``"exact"``: the exact permutation test (metafor without ties); ``"normal"``:
        R's normal approximation (metafor with ties, or ``exact=False``); ``"stata"`` and
        ``"stata_cc"``: Stata ``metabias, begg`` without and with continuity correction.
        ``"metafor"`` means ``"exact"`` without ties and ``"normal"`` with them.
    tied_variances : sequence of int
        Sizes of groups of studies sharing the same variance (e.g. ``(2,)`` when two
        trials have equal standard errors). Tied pairs contribute 0 to S, so S moves in
        steps of 2 within :math:`\\pm(N - \\sum t(t-1)/2)` and its variance changes. The
        exact variant is not defined with ties.
    as_frame : bool
        Return a DataFrame with columns ``score``, ``tau_a`` and ``pval`` (one row per
        attainable S) instead of the sorted unique p-values.

    Returns
    -------
    ndarray or DataFrame
        The attainable p-values in increasing order (rounded to 12 decimals to merge
        S and −S), or the table.

    Examples
    --------
    >>> begg_attainable_pvalues(6, "stata").round(3)
    array([0.005, 0.015, 0.039, 0.091, 0.188, 0.348, 0.573, 0.851])
    >>> 0.380 in begg_attainable_pvalues(6, "stata_cc").round(3)
    False
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k: expected a whole number of studies, got {k!r}")
    k = int(k)
    check_k(k, 3, "the rank correlation test")
    variant = check_choice(variant, "variant", ("exact", "normal", "stata", "stata_cc", "metafor"))
    t = np.array([int(x) for x in tied_variances], dtype=float)
    if np.any(t < 2) or t.sum() > k:
        raise ValueError(f"tied_variances: group sizes must be >= 2 and sum to at most k = {k}, got {tuple(tied_variances)}")
    if variant == "metafor":
        variant = "normal" if t.size else "exact"
    if variant == "exact" and t.size:
        raise ValueError("variant: the exact test is not defined with tied variances; use 'normal' (what metafor does)")
    N = k * (k - 1) // 2
    n_untied = N - int(np.sum(t * (t - 1) / 2))
    scores = np.arange(-n_untied, n_untied + 1, 2)
    rows = []
    for S in scores:
        if variant == "exact":
            p = _exact_p((S + N) // 2, k)
        elif variant == "normal":
            sd = math.sqrt(_var_s_r(k, np.array([]), t))
            z = S / sd
            p = float(2.0 * min(special.ndtr(z), special.ndtr(-z)))
        else:
            sd = math.sqrt(_var_s_stata(k, t, np.array([])))
            p, _ = _stata_p(int(S), sd, cc=(variant == "stata_cc"))
        rows.append((int(S), S / N, float(p)))
    frame = pd.DataFrame(rows, columns=["score", "tau_a", "pval"])
    if as_frame:
        return frame
    return np.unique(np.round(frame["pval"].to_numpy(), 12))
