r"""Duval and Tweedie's trim-and-fill method: :func:`trimfill`.

Trim and fill (Duval and Tweedie 2000a, b) estimates how many studies are "missing" from
one side of a funnel plot, imputes their mirror images, and re-pools. kmeta follows
metafor's ``trimfill.rma.uni`` step by step:

1. **Side.** Unless ``side`` is given, the side with missing studies is chosen from the
   regression of the effects on their standard errors,
   ``rma(yi, vi, mods = ~ sqrt(vi), method)`` (with the same τ² estimator): a negative
   slope means the small studies lie to the left, so studies are missing on the
   ``"right"``; otherwise on the ``"left"``. For ``side="right"`` the effects are
   mirrored (:math:`y \to -y`) so that the algorithm always trims on the right.
2. **Iterate.** With the effects sorted increasingly and :math:`k_0 = 0` to start: pool
   the :math:`k - k_0` smallest effects (the trimmed set) with the chosen model, centre
   all k effects at that estimate, rank their absolute values (ties by position) and
   give each rank the sign of its centred effect. Then

   * ``"L0"``: :math:`k_0 = \{4 S_r - k(k+1)\}/(2k - 1)` with :math:`S_r` the sum of the
     positive signed ranks (Wilcoxon's statistic), with
     :math:`\mathrm{SE}(k_0) = 4\sqrt{\mathrm{Var}(S_r)}/(2k-1)`;
   * ``"R0"``: :math:`k_0 = \gamma^* - 1`, with :math:`\gamma^*` the length of the
     rightmost run of positive ranks, i.e. k minus the largest rank of a negative
     centred effect (all centred effects positive: :math:`\gamma^* = k`, where metafor
     fails), with :math:`\mathrm{SE}(k_0) = \sqrt{2\max(0,k_0) + 2}` and metafor's
     p-value ``p.k0`` :math:`= 2^{-(k_0+1)}` for the hypothesis that none is missing;
   * ``"Q0"``: :math:`k_0 = k - 1/2 - \sqrt{2k^2 - 4S_r + 1/4}`;

   rounded (half to even, as R) and truncated at 0, until :math:`k_0` no longer changes.
3. **Fill.** The :math:`k_0` most extreme studies on the trimmed side are reflected about
   the last trimmed estimate :math:`\hat\mu`: :math:`y^{fill} = 2\hat\mu - y`, with the
   same sampling variances, and all :math:`k + k_0` studies are pooled again.

As in metafor, the pooled model of the filled data uses the Wald (z) test unless
``test`` is given, even when the original analysis used another; with
:math:`k_0 = 0` the original analysis is returned unchanged.

References
----------
Duval S, Tweedie R (2000a). Trim and fill: a simple funnel-plot-based method of testing
and adjusting for publication bias in meta-analysis. *Biometrics* 56:455–463.
Duval S, Tweedie R (2000b). A nonparametric "trim and fill" method of accounting for
publication bias in meta-analysis. *Journal of the American Statistical Association*
95:89–98.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal
of Statistical Software* 36(3):1–48.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from ._result import Result, format_num, format_p

__all__ = ["trimfill", "TrimfillResult"]


@dataclasses.dataclass(frozen=True, repr=False)
class TrimfillResult(Result):
    """Result of :func:`trimfill`.

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies.
    se_k0 : float
        Its standard error (as metafor).
    p_k0 : float
        One-sided p-value of :math:`k_0` (``"R0"`` only; NaN otherwise).
    side : str
        ``"left"`` or ``"right"``: where the studies were imputed.
    estimator : str
        ``"L0"``, ``"R0"`` or ``"Q0"``.
    filled_yi, filled_vi : ndarray
        Effects and variances of the imputed studies (length k0).
    filled_labels : tuple of str
        ``"Filled 1"``, ``"Filled 2"``, ...
    adjusted : MetaResult
        The meta-analysis of the observed and imputed studies (observed first).
    original : MetaResult
        The meta-analysis of the observed studies.
    is_filled : ndarray of bool
        For each study of ``adjusted``: imputed or not.
    iterations : int
        Iterations of the trim step.
    converged : bool
        False if k0 was still changing after ``maxiter`` iterations (then the last value
        is reported, with a note).
    yi, vi : ndarray
        The observed data; ``labels`` their names.
    notes : tuple of str
    """

    k0: int
    se_k0: float
    p_k0: float
    side: str
    estimator: str
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    filled_labels: tuple
    adjusted: object
    original: object
    is_filled: np.ndarray
    iterations: int
    converged: bool
    method: str
    test: str
    level: float
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple | None
    notes: tuple = ()

    @property
    def estimate(self) -> float:
        """The adjusted pooled estimate."""
        return self.adjusted.estimate

    def study_table(self) -> pd.DataFrame:
        """Observed and imputed studies: label, yi, vi, filled."""
        labels = list(self.labels) if self.labels is not None else [f"Study {i + 1}" for i in range(self.yi.size)]
        return pd.DataFrame(
            {
                "study": labels + list(self.filled_labels),
                "yi": np.concatenate([self.yi, self.filled_yi]),
                "vi": np.concatenate([self.vi, self.filled_vi]),
                "filled": self.is_filled,
            }
        )

    def summary(self) -> str:
        a, o = self.adjusted, self.original
        lines = [
            f"Trim-and-fill analysis (estimator {self.estimator}; k = {o.k} observed)",
            "",
            f"Estimated number of missing studies on the {self.side} side: {self.k0} "
            f"(SE = {format_num(self.se_k0)})" + ("" if math.isnan(self.p_k0) else f", p = {format_p(self.p_k0)}"),
            f"observed: estimate {format_num(o.estimate)} [{format_num(o.ci_low)}, {format_num(o.ci_high)}]",
            f"filled:   estimate {format_num(a.estimate)} [{format_num(a.ci_low)}, {format_num(a.ci_high)}] "
            f"(k = {a.k}, tau^2 = {format_num(a.tau2)}, {format_p(a.pval)})",
        ]
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "k": self.original.k, "k0": self.k0, "se_k0": self.se_k0, "p_k0": self.p_k0, "side": self.side,
            "estimator": self.estimator, "estimate": self.adjusted.estimate, "se": self.adjusted.se,
            "ci_low": self.adjusted.ci_low, "ci_high": self.adjusted.ci_high, "pval": self.adjusted.pval,
            "tau2": self.adjusted.tau2, "original_estimate": self.original.estimate, "method": self.method,
            "iterations": self.iterations, "converged": self.converged,
        }])


def trimfill(yi, vi=None, *, sei=None, estimator="L0", side=None, method=None, test=None, level=None,
             labels=None, maxiter=100) -> TrimfillResult:
    """Trim-and-fill analysis, as metafor's ``trimfill``.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances, or a :class:`~kmeta.MetaResult` as ``yi``
        (its data, method, level and labels are used, and it is the ``original``), or a
        DataFrame with ``yi``/``vi`` columns.
    sei : array_like, optional
        Standard errors instead of ``vi``.
    estimator : {"L0", "R0", "Q0"}
        Estimator of the number of missing studies (default ``"L0"``, as metafor).
    side : {"left", "right"} or None
        Side on which studies are imputed; None chooses it as metafor (sign of the slope
        of the effects on their standard errors).
    method : str, optional
        τ² estimator for the pooling (default: the MetaResult's, else ``"REML"``).
    test : str, optional
        Test of the pooled model of the filled data (default ``"z"``, as metafor).
    level : float, optional
        Confidence level (default: the MetaResult's, else 0.95).
    labels : sequence of str, optional
        Study names.
    maxiter : int
        Maximum number of trim iterations (100).

    Returns
    -------
    TrimfillResult
        ``k0``, ``side``, ``filled_yi``, ``filled_vi`` and the ``adjusted`` MetaResult.

    Raises
    ------
    ValueError
        Bad data, k < 3, an unknown estimator or side, ``side=None`` when every study
        has the same variance (no slope to choose a side from), or ``"Q0"`` on data
        where it is undefined (the square root of a negative number; metafor stops
        there too).

    Examples
    --------
    >>> res = trimfill([0.1, 0.3, 0.35, 0.6, 0.7, 0.9, 1.2], [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15], method="FE")
    >>> res.side, res.k0
    ('left', 3)
    >>> res.adjusted.k
    10
    """
    from scipy import stats  # imported on use: it takes a second to load
    from ._validate import check_choice, check_k, check_level
    from .meta import MetaResult, _canonical_test, meta
    from ._validate import read_effects
    from .metareg import metareg
    from .tau2 import METHODS

    original = None
    if isinstance(yi, MetaResult):
        original = yi
        labels = list(original.labels) if (labels is None and original.labels is not None) else labels
        method = original.method if method is None else method
        level = original.level if level is None else level
        yi, vi, sei = original.yi, original.vi, None
    method = check_choice("REML" if method is None else method, "method", METHODS)
    level = check_level(0.95 if level is None else level)
    test = _canonical_test("z" if test is None else test)
    estimator = check_choice(estimator, "estimator", ("L0", "R0", "Q0"))
    if side is not None:
        side = check_choice(side, "side", ("left", "right"))
    if isinstance(maxiter, (bool, np.bool_)) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ValueError(f"maxiter: expected a whole number >= 1, got {maxiter!r}")
    yi, vi, labels, notes = read_effects(yi, vi, sei, labels, "trimfill")
    k = yi.shape[0]
    check_k(k, 3, "trim and fill")
    notes = list(notes)
    if original is None:
        original = meta(yi, vi, method=method, test=test, level=level, labels=labels)

    if side is None:
        if np.all(vi == vi[0]):
            raise ValueError(
                "side: every study has the same variance, so the side with missing studies "
                "cannot be read from the slope of yi on sqrt(vi) (metafor stops here too); "
                "pass side='left' or side='right'")
        fit = metareg(yi, vi, {"sei": np.sqrt(vi)}, method=method)
        side = "right" if fit.beta[1] < 0 else "left"
        notes.append(f"side chosen from the slope of yi on sqrt(vi) ({fit.beta[1]:.4g}): studies imputed on the {side}")

    y = -yi if side == "right" else yi.copy()
    order = np.argsort(y, kind="stable")
    ys, vs = y[order], vi[order]

    k0, k0_prev, it = 0, -1, 0
    converged = True
    beta = math.nan
    se_k0 = math.nan
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            converged = False
            notes.append(f"the trim step did not settle within {maxiter} iterations; the last k0 is reported")
            break
        beta = meta(ys[: k - k0], vs[: k - k0], method=method).estimate
        yc = ys - beta
        ranks = stats.rankdata(np.abs(yc), method="ordinal")
        signed = np.sign(yc) * ranks
        if estimator == "R0":
            neg = -signed[signed < 0]
            k0_raw = (k - (neg.max() if neg.size else 0.0)) - 1.0
            se_k0 = math.sqrt(2.0 * max(0.0, k0_raw) + 2.0)
        else:
            sr = float(signed[signed > 0].sum())
            if estimator == "L0":
                k0_raw = (4.0 * sr - k * (k + 1)) / (2.0 * k - 1.0)
            else:  # Q0
                disc = 2.0 * k * k - 4.0 * sr + 0.25
                if disc < 0:
                    raise ValueError(
                        f"estimator: Q0 is undefined for these data (2k^2 - 4 S_r + 1/4 = {disc:g} < 0 at "
                        f"iteration {it}; metafor stops with an error here); use 'L0' or 'R0'"
                    )
                k0_raw = k - 0.5 - math.sqrt(disc)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0_raw**3 + 27 * k0_raw**2 + 17 * k0_raw
                      - 18 * k * k0_raw**2 - 18 * k * k0_raw + 6 * k * k * k0_raw) / 24.0
            if var_sr < 0:
                se_k0 = math.nan
            elif estimator == "L0":
                se_k0 = 4.0 * math.sqrt(var_sr) / (2.0 * k - 1.0)
            else:
                d = (k - 0.5) ** 2 - k0_raw * (2.0 * k - k0_raw - 1.0)
                se_k0 = 2.0 * math.sqrt(var_sr) / math.sqrt(d) if d > 0 else math.nan
        k0 = max(0, int(round(k0_raw)))
        k0 = min(k0, k - 1)  # at least one study stays in the trimmed set
        se_k0 = max(0.0, se_k0) if not math.isnan(se_k0) else se_k0

    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else math.nan
    if k0 > 0:
        idx = slice(k - k0, k)
        filled_flipped = 2.0 * beta - ys[idx]
        filled_yi = -filled_flipped if side == "right" else filled_flipped
        filled_vi = vs[idx].copy()
        flabels = tuple(f"Filled {i + 1}" for i in range(k0))
        all_labels = None if labels is None else list(labels) + list(flabels)
        adjusted = meta(np.concatenate([yi, filled_yi]), np.concatenate([vi, filled_vi]), method=method,
                        test=test, level=level, labels=all_labels)
    else:
        filled_yi = np.array([])
        filled_vi = np.array([])
        flabels = ()
        adjusted = original
    return TrimfillResult(
        k0=int(k0), se_k0=float(se_k0), p_k0=float(p_k0), side=side, estimator=estimator,
        filled_yi=filled_yi, filled_vi=filled_vi, filled_labels=flabels, adjusted=adjusted, original=original,
        is_filled=np.array([False] * k + [True] * k0), iterations=it, converged=converged, method=method,
        test=adjusted.test, level=level, yi=yi.copy(), vi=vi.copy(),
        labels=tuple(labels) if labels is not None else None, notes=tuple(notes),
    )
