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
:func:`samplesize_table` recomputes both figures with :func:`kmeta.power.n_two_means`:
the normal approximation :math:`n = 2 (z_{1-\\alpha/2} + z_{1-\\beta})^2 \\sigma^2 /
\\delta^2` (rounded up) and the smallest *n* whose exact two-sample *t*-test power
(noncentral *t*, 2n − 2 degrees of freedom) reaches 1 − β; :func:`trial_power` gives
each trial's power with :func:`kmeta.power.power_two_means`.
"""
from __future__ import annotations

import pandas as pd

from kmeta.power import n_two_means, power_two_means

from ._checkrows import cached as data

__all__ = [
    "LEVELS",
    "DOWNGRADE",
    "grade_certainty",
    "grade_table",
    "samplesize_table",
    "trial_power",
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
        normal = n_two_means(delta, sd, alpha, 1 - beta, method="normal")
        exact_t = n_two_means(delta, sd, alpha, 1 - beta, method="t")
        printed = int(p.loc[nk, "count"])
        rows.append({"delta": delta, "sd": sd, "alpha": alpha, "beta": beta,
                     "n_normal_exact": normal.n1_exact, "n_normal": normal.n1, "n_t": exact_t.n1,
                     "printed_respectively": printed,
                     "power_t_at_printed": power_two_means(printed, delta, sd, alpha)})
    return pd.DataFrame(rows)


def trial_power(deltas=(1.0, 1.5), sd: float | None = None, alpha: float | None = None) -> pd.DataFrame:
    """Power of each trial's two-arm comparison for the Methods' differences.

    Arms are Table 1's (Eichenberger's saline arm counted as its 10 ketamine patients,
    the crossover's paired comparison); SD and α default to the Methods' 2.0 and 5%.
    A two-sample *t*-test is assumed for every trial, which ignores crossover pairing and
    repeated measures: a rough yardstick, not the trials' own power.
    """
    p = data.published().set_index("claim_id")
    sd = float(p.loc["methods.samplesize.sd", "value"]) if sd is None else float(sd)
    alpha = float(p.loc["methods.samplesize.alpha", "value"]) / 100.0 if alpha is None else float(alpha)
    t = data.trials()
    rows = []
    for s, r in t.iterrows():
        n1 = int(r["n_ketamine"])
        n2 = n1 if s == "eichenberger2008" else int(r["n_control"])
        row = {"study": s, "label": r["label"], "n_ketamine": n1, "n_control": n2}
        for d in deltas:
            row[f"power_{d:g}"] = power_two_means(n1, d, sd, alpha, n2=n2)
        rows.append(row)
    return pd.DataFrame(rows).set_index("study")
