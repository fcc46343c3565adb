"""Zhao et al. 2018, ketamine infusion for CRPS: checking pooled proportions from their summary.

Zhao J, Wang Y, Wang D. *Curr Pain Headache Rep* 2018;22(2):12 (key ``zhao2018``). The
study-level data are not public; the abstract prints two pooled "pain relief event rates"
(the share of patients with at least 30% relief) with 95% CIs. What a reader can still check
from three rounded numbers:

* :func:`ci_consistency` -- on which scale (raw proportion, logit, Freeman–Tukey double
  arcsine) the printed interval can be symmetric, allowing for rounding. A Wald interval is
  symmetric on the scale where the pooling was done.
* :func:`implied_heterogeneity` -- the standard error the interval implies on that scale,
  against what binomial sampling alone would give for an assumed number of patients: the
  excess is between-study variance (τ², I²).
* :func:`simulated_crps` -- a **simulated**, clearly labelled CRPS-like dataset for
  demonstrating the three pooling methods and the Freeman–Tukey back-transformation.

:func:`published` loads every number seen (abstract, SBU, the clinical summary and a news
report), with provenance.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from .. import transforms
from ._provenance import check_provenance, read_csv, typed

__all__ = ["published", "SCALES", "transform", "ci_consistency", "implied_heterogeneity",
           "simulated_crps"]

#: Scales a pooled proportion may have been computed on.
SCALES: tuple[str, ...] = ("PR", "PLO", "PFT")


def published() -> pd.DataFrame:
    """Every number about Zhao et al. 2018 that we could see, with provenance.

    Columns: ``fact_id``, ``quantity``, ``estimate``, ``ci_low``, ``ci_high`` (float64,
    percent for rates), ``unit``, ``count`` (Int64), ``printed``, ``source``, ``location``,
    ``kind``, ``note``. Index: ``fact_id``.
    """
    df = read_csv("zhao2018", "summary.csv")
    check_provenance(df, ["estimate", "ci_low", "ci_high", "count", "printed"], "zhao2018/summary.csv")
    return typed(df, floats=("estimate", "ci_low", "ci_high"), ints=("count",)).set_index("fact_id")


def transform(p, scale: str, n: float | None = None):
    """Map proportions ``p`` (0-1) to the analysis ``scale``.

    ``"PR"``: identity; ``"PLO"``: logit; ``"PFT"``: Freeman–Tukey double arcsine for a
    study of ``n`` patients (metafor's halved form), whose inverse with the same ``n`` is
    Miller's back-transformation (:func:`kmeta.transforms.transf_ipft`).
    """
    p = np.asarray(p, dtype=float)
    if scale == "PR":
        return p
    if scale == "PLO":
        return special.logit(p)
    if scale == "PFT":
        if n is None or not n > 0:
            raise ValueError(f"n: is {n!r}; the Freeman-Tukey scale needs a sample size > 0")
        return transforms.transf_pft(p, n)
    raise ValueError(f"scale: unknown value {scale!r}; expected one of {list(SCALES)}")


def _within_variance(p: float, n: np.ndarray, scale: str) -> np.ndarray:
    """Binomial sampling variance of one study of n patients on the scale."""
    if scale == "PR":
        return p * (1 - p) / n
    if scale == "PLO":
        return 1.0 / (n * p * (1 - p))
    return 1.0 / (4.0 * n + 2.0)


def ci_consistency(estimate: float, ci_low: float, ci_high: float, decimals: int = 0,
                   n_values=(5, 10, 17, 30, 100), level: float = 0.95) -> pd.DataFrame:
    """Can the printed interval be a symmetric (Wald) interval on each scale?

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        As printed, in percent.
    decimals : int
        Decimals printed: every printed value may be off by half a unit of the last digit.
    n_values : sequence of float
        Harmonic-mean sample sizes tried for the Freeman–Tukey scale (its back-transform
        depends on n).
    level : float
        Confidence level of the printed interval.

    Returns
    -------
    DataFrame
        One row per scale (and n for PFT): ``lower_arm`` and ``upper_arm`` (distance of the
        printed limits from the printed estimate on that scale), ``asymmetry`` (upper minus
        lower arm), ``consistent`` (whether some values within rounding of the printed ones
        are exactly symmetric), ``se`` (standard error implied by the printed limits) and
        ``upper_if_symmetric`` (the upper limit, in percent, that a symmetric interval with the
        printed lower limit would have).
    """
    h = 0.5 * 10.0 ** (-decimals)
    e, lo, hi = (np.array([v - h, v, v + h]) / 100.0 for v in (estimate, ci_low, ci_high))
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for scale in SCALES:
        for n in (n_values if scale == "PFT" else [None]):
            T = lambda p: transform(p, scale, n)  # noqa: E731
            te, tl, th = T(e), T(lo), T(hi)
            s_min, s_max = tl[0] + th[0], tl[2] + th[2]
            consistent = bool(s_max >= 2 * te[0] and s_min <= 2 * te[2])
            sym_hi = 2 * te[1] - tl[1]
            if scale == "PR":
                up = sym_hi
            elif scale == "PLO":
                up = special.expit(sym_hi)
            else:
                up = transforms.transf_ipft(sym_hi, n)
            rows.append({"scale": scale, "n_hm": np.nan if n is None else float(n),
                         "lower_arm": float(te[1] - tl[1]), "upper_arm": float(th[1] - te[1]),
                         "asymmetry": float((th[1] - te[1]) - (te[1] - tl[1])),
                         "consistent": consistent, "se": float((th[1] - tl[1]) / (2 * z)),
                         "upper_if_symmetric": float(100 * up)})
    return pd.DataFrame(rows)


def implied_heterogeneity(estimate: float, ci_low: float, ci_high: float, k: int, n_total,
                          scale: str = "PR", level: float = 0.95) -> pd.DataFrame:
    """τ² and I² implied by a printed interval, for assumed numbers of patients.

    Assumes ``k`` studies of equal size ``n_total / k`` and a random-effects pool with a Wald
    interval on ``scale``: then :math:`SE^2 = (v + \\tau^2)/k` with :math:`v` the binomial
    sampling variance of one study, so :math:`\\tau^2 = k\\,SE^2 - v` and
    :math:`I^2 = \\tau^2/(\\tau^2 + v)`. A negative τ² (truncated to 0) means the interval is
    no wider than binomial sampling alone would make it.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Printed, in percent.
    k : int
        Studies in the pool.
    n_total : float or array_like
        Assumed total patients in the pool.
    scale : str
        ``"PR"``, ``"PLO"`` or ``"PFT"``.

    Returns
    -------
    DataFrame
        Columns ``n_total``, ``n_per_study``, ``se``, ``se_no_heterogeneity`` (SE of a pool
        without heterogeneity), ``tau2``, ``tau`` and ``i2`` (percent).
    """
    if k < 1 or int(k) != k:
        raise ValueError(f"k: is {k!r}; the number of studies must be a whole number >= 1")
    N = np.atleast_1d(np.asarray(n_total, dtype=float))
    if not (N > 0).all():
        raise ValueError("n_total: assumed numbers of patients must be > 0")
    p = estimate / 100.0
    z = stats.norm.ppf(0.5 + level / 2)
    n_i = N / k
    if scale == "PFT":
        se = np.array([(transform(ci_high / 100, scale, n) - transform(ci_low / 100, scale, n)) / (2 * z) for n in n_i])
    else:
        se = np.full(N.shape, float((transform(ci_high / 100, scale) - transform(ci_low / 100, scale)) / (2 * z)))
    v = _within_variance(p, n_i, scale)
    tau2 = np.maximum(k * se ** 2 - v, 0.0)
    return pd.DataFrame({"n_total": N, "n_per_study": n_i, "se": se,
                         "se_no_heterogeneity": np.sqrt(v / k), "tau2": tau2, "tau": np.sqrt(tau2),
                         "i2": 100 * tau2 / (tau2 + v)})


def simulated_crps(seed: int = 2018, k: int = 9, mean_rate: float = 0.65, tau_logit: float = 0.9) -> pd.DataFrame:
    """A SIMULATED CRPS-like set of single-arm studies (not Zhao's data).

    Study sizes are fixed and skewed like small CRPS case series (6 to 40 patients); true
    responder proportions vary between studies on the logit scale (SD ``tau_logit``) around
    ``mean_rate``; responders are binomial. Seeded, so the same ``seed`` gives the same data.

    Returns
    -------
    DataFrame
        ``study`` ("sim 1" ...), ``n``, ``events``, ``true_p``, and ``simulated`` (always True).
    """
    sizes = np.array([6, 8, 9, 10, 12, 15, 20, 28, 40])
    if k != sizes.size:
        sizes = np.round(np.geomspace(6, 40, k)).astype(int)
    rng = np.random.default_rng(seed)
    true_p = special.expit(rng.normal(special.logit(mean_rate), tau_logit, size=k))
    events = rng.binomial(sizes, true_p)
    return pd.DataFrame({"study": [f"sim {i + 1}" for i in range(k)], "n": sizes, "events": events,
                         "true_p": true_p, "simulated": True})
