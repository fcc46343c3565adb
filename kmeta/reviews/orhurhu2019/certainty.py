"""GRADE arithmetic and the sample-size paragraph of Orhurhu et al. 2019.

GRADE
-----
Evidence from randomized trials starts at *high* certainty and loses one level for
each domain rated "serious" and two for each rated "very serious" (risk of bias,
inconsistency, indirectness, imprecision, publication bias), ending no lower than
*very low* (Guyatt et al. 2008; GRADE handbook). :func:`grade_certainty` applies that
rule to the ratings of the review's Table 2.

Sample size
-----------
The Methods give a sample-size calculation: a difference of 1 or 1.5 points on a 0–10
scale, SD 2.0, two-sided α = 5%, β = 10% (power 90%), and 40 or 86 patients per group.
:func:`n_per_group_normal` is the normal approximation
:math:`n = 2 (z_{1-\\alpha/2} + z_{1-\\beta})^2 \\sigma^2 / \\delta^2` (rounded up);
:func:`n_per_group_t` the smallest *n* whose exact two-sample *t*-test power (noncentral
*t*, 2n − 2 degrees of freedom) reaches 1 − β; :func:`power_t` that power for any *n*.
These are kept here, small and local: the project's general power module
(``kmeta.power``) did not exist when this was written.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ._checkrows import cached as data

__all__ = [
    "LEVELS",
    "DOWNGRADE",
    "grade_certainty",
    "grade_table",
    "n_per_group_normal",
    "n_per_group_t",
    "power_t",
    "samplesize_table",
]

#: GRADE certainty levels, from the top.
LEVELS: tuple[str, ...] = ("high", "moderate", "low", "very low")
#: Levels lost per rating.
DOWNGRADE: dict[str, int] = {"not serious": 0, "serious": 1, "very serious": 2}
#: The domains of Table 2 that carry a rating.
DOMAINS: tuple[str, ...] = ("risk_of_bias", "inconsistency", "indirectness", "imprecision")


def grade_certainty(ratings, start: str = "high") -> tuple[str, int]:
    """Certainty after downgrading, and the number of levels lost.

    Parameters
    ----------
    ratings : iterable of str
        Domain ratings, each ``"not serious"``, ``"serious"`` or ``"very serious"``.
    start : str
        Starting level (``"high"`` for randomized trials).

    Returns
    -------
    (level, levels_lost)
        ``level`` is floored at ``"very low"``; ``levels_lost`` is the unfloored sum.
    """
    if start not in LEVELS:
        raise ValueError(f"start: {start!r} is not one of {LEVELS}")
    lost = 0
    for r in ratings:
        key = str(r).strip().lower()
        if key not in DOWNGRADE:
            raise ValueError(f"ratings: {r!r} is not one of {tuple(DOWNGRADE)}")
        lost += DOWNGRADE[key]
    i = min(LEVELS.index(start) + lost, len(LEVELS) - 1)
    return LEVELS[i], lost


def grade_table() -> pd.DataFrame:
    """Table 2's ratings with the certainty the downgrading rule gives.

    Columns: ``outcome_id``, the four domain ratings, ``levels_lost``, ``certainty_rule``
    (from :func:`grade_certainty`), ``certainty_printed`` (Table 2) and ``agrees``.
    """
    g = data.grade()
    rows = []
    for _, r in g.iterrows():
        level, lost = grade_certainty([r[d] for d in DOMAINS])
        rows.append({"outcome_id": r["outcome_id"], **{d: r[d] for d in DOMAINS},
                     "levels_lost": lost, "certainty_rule": level, "certainty_printed": r["certainty"],
                     "agrees": level == r["certainty"]})
    return pd.DataFrame(rows)


def n_per_group_normal(delta: float, sd: float, alpha: float = 0.05, beta: float = 0.10) -> tuple[float, int]:
    """Normal-approximation sample size per group: (exact value, rounded up)."""
    if delta <= 0 or sd <= 0:
        raise ValueError("delta, sd: must be > 0")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(1 - beta)
    n = 2.0 * z * z * sd * sd / (delta * delta)
    return float(n), int(math.ceil(n - 1e-12))


def power_t(n: float, delta: float, sd: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample *t*-test with ``n`` per group (equal SDs)."""
    if n < 2:
        raise ValueError("n: at least 2 per group")
    df = 2.0 * n - 2.0
    nc = delta / (sd * math.sqrt(2.0 / n))
    tc = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(tc, df, nc) + stats.nct.cdf(-tc, df, nc))


def n_per_group_t(delta: float, sd: float, alpha: float = 0.05, beta: float = 0.10) -> int:
    """Smallest *n* per group whose exact *t*-test power is at least 1 − ``beta``."""
    n0 = max(2, n_per_group_normal(delta, sd, alpha, beta)[1] - 2)
    n = n0
    while power_t(n, delta, sd, alpha) < 1 - beta:
        n += 1
    while n > 2 and power_t(n - 1, delta, sd, alpha) >= 1 - beta:
        n -= 1
    return int(n)


def samplesize_table() -> pd.DataFrame:
    """The Methods' sample-size inputs and both calculations for each difference.

    The inputs are read from :func:`kmeta.reviews.orhurhu2019.published`
    (``methods.samplesize.*``). Columns: ``delta``, ``sd``, ``alpha``, ``beta``,
    ``n_normal_exact``, ``n_normal``, ``n_t``, ``printed_respectively`` (the figure the
    sentence's "respectively" pairs with this difference) and ``power_t_at_printed``.
    """
    p = data.published().set_index("claim_id")
    sd = float(p.loc["methods.samplesize.sd", "value"])
    alpha = float(p.loc["methods.samplesize.alpha", "value"]) / 100.0
    beta = float(p.loc["methods.samplesize.beta", "value"]) / 100.0
    rows = []
    for dk, nk in (("methods.samplesize.diff1", "methods.samplesize.n1"), ("methods.samplesize.diff2", "methods.samplesize.n2")):
        delta = float(p.loc[dk, "value"])
        exact, nn = n_per_group_normal(delta, sd, alpha, beta)
        printed = int(p.loc[nk, "count"])
        rows.append({"delta": delta, "sd": sd, "alpha": alpha, "beta": beta,
                     "n_normal_exact": exact, "n_normal": nn, "n_t": n_per_group_t(delta, sd, alpha, beta),
                     "printed_respectively": printed,
                     "power_t_at_printed": power_t(printed, delta, sd, alpha)})
    return pd.DataFrame(rows)
