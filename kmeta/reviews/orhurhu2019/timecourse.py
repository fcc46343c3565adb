"""The time course of Orhurhu et al. 2019 (pooled pain scores at 2, 4, 8 and 12 weeks).

The review pooled pain scores at four later time points (Results > Efficacy of
Ketamine at Different Time Points): three trials at 2, 4 and 8 weeks and two at 12
weeks, each printed as an estimate, a 95% CI, a P value and I². The trial-level inputs
(the Supplemental forest plots, Figures 5–8) are not public. This module gathers what
the printed numbers say on their own:

* :data:`ASSESSED_WEEKS` -- the post-infusion weeks at which each trial assessed pain,
  as Table 1's "Pain Assessment Time Points" column lists them;
* :func:`pools` -- the four printed pools with the checks that need no inputs (the CI's
  midpoint, the P value the CI implies, the range of Cochran's Q and of its P value that
  the printed I² allows; :mod:`kmeta.forensics` does the arithmetic);
* :func:`week8_readings` -- the 8-week pool as printed and with its upper limit read as
  +0.40 (a lost minus sign), and what each reading implies.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._checkrows import cached as data
from kmeta.forensics import check_ci_midpoint, check_p_from_ci, q_interval_from_i2

from ._checkrows import claim, q_pvalue

__all__ = [
    "WEEKS",
    "ASSESSED_WEEKS",
    "ASSESSED_TEXT",
    "trials_assessed_at",
    "pools",
    "week8_readings",
    "implied_common_sd",
    "two_trial_region",
    "max_single_trial_z",
]

#: The pooled time points (weeks after the infusion).
WEEKS: tuple[int, ...] = (2, 4, 8, 12)

#: Table 1, "Pain Assessment Time Points", as printed (shortened; seed 004).
ASSESSED_TEXT: dict[str, str] = {
    "sigtermans2009": "weekly during the 12-wk study; outcomes at 1, 3, 6 and 12 wk",
    "schwartzman2009": "1–2 wk, 3–4 wk, 5–8 wk and 9–12 wk after the infusion",
    "salas2012": "2, 24 and 48 h after starting the infusions",
    "eichenberger2008": "during and after the infusion; at 48 h after it",
    "amr2010": "daily during the infusion week; weekly for 3 wk after it",
    "noppers2011": "1 and 8 wk",
    "mitchell2002": "24 h and 5 d after the infusion",
}

#: Post-infusion weeks with a pain assessment, read from :data:`ASSESSED_TEXT`
#: (Schwartzman's windows count for every week they span; hours and days below one
#: week count as week 0).
ASSESSED_WEEKS: dict[str, frozenset[int]] = {
    "sigtermans2009": frozenset(range(1, 13)),
    "schwartzman2009": frozenset(range(1, 13)),
    "salas2012": frozenset({0}),
    "eichenberger2008": frozenset({0}),
    "amr2010": frozenset({1, 2, 3}),
    "noppers2011": frozenset({1, 8}),
    "mitchell2002": frozenset({0}),
}


def trials_assessed_at(week: int, weeks: dict | None = None) -> list[str]:
    """Study ids (reference order) whose Table 1 time points include ``week``."""
    weeks = ASSESSED_WEEKS if weeks is None else weeks
    return [s for s in data.STUDIES if week in weeks[s]]


def pools() -> pd.DataFrame:
    """The four printed time-course pools with the checks that need no inputs.

    Columns: ``week``, ``claim_id``, ``k``, ``studies``, the printed ``estimate``,
    ``ci_low``, ``ci_high``, ``p_text``, ``i2``; the CI's ``mid`` (and ``mid_low``,
    ``mid_high`` over the rounding of the limits), ``midpoint_ok``; the implied
    ``p_implied`` (range ``p_low``–``p_high``), ``p_ok``; and ``q_low``, ``q_high``,
    ``q_p_low``, ``q_p_high``: the Cochran's Q and heterogeneity P values that the printed
    I² allows for ``k`` trials.
    """
    rows = []
    for w in WEEKS:
        cid = f"time.wk{w}.md"
        c = claim(cid)
        k = len(data.studies_of(c["studies"]))
        d = int(c["decimals"])
        mid = check_ci_midpoint(c["estimate"], c["ci_low"], c["ci_high"], decimals=d)
        pc = check_p_from_ci(c["estimate"], c["ci_low"], c["ci_high"], c["p_text"], decimals=d)
        qi = q_interval_from_i2(c["i2"], k - 1)
        rows.append({
            "week": w, "claim_id": cid, "k": k, "studies": c["studies"],
            "estimate": c["estimate"], "ci_low": c["ci_low"], "ci_high": c["ci_high"],
            "p_text": c["p_text"], "i2": c["i2"],
            "mid": mid.midpoint, "mid_low": mid.midpoint_low, "mid_high": mid.midpoint_high,
            "midpoint_ok": mid.verdict == "consistent",
            "se": pc.se, "p_implied": pc.p, "p_low": pc.p_low, "p_high": pc.p_high,
            "p_ok": pc.verdict == "consistent",
            "q_low": qi.q_low, "q_high": qi.q_high,
            "q_p_low": q_pvalue(qi.q_high, k - 1), "q_p_high": q_pvalue(qi.q_low, k - 1),
        })
    return pd.DataFrame(rows)


def week8_readings() -> pd.DataFrame:
    """The 8-week pool under two readings of its upper limit.

    ``as printed`` takes the CI as −1.75 to −0.40; ``lost minus`` reads the upper limit
    as +0.40. For each: the CI's midpoint (and its rounding range), whether it matches
    the printed −0.68, the P value the CI implies for −0.68 (and its range over the
    rounding box), whether that matches the printed P = .174, and the CI that the
    printed estimate and P together would imply (Wald).
    """
    from scipy import stats

    c = claim("time.wk8.md")
    d = int(c["decimals"])
    rows = []
    for name, hi in (("as printed", c["ci_high"]), ("lost minus", abs(c["ci_high"]))):
        mid = check_ci_midpoint(c["estimate"], c["ci_low"], hi, decimals=d)
        pc = check_p_from_ci(c["estimate"], c["ci_low"], hi, c["p_text"], decimals=d)
        rows.append({
            "reading": name, "estimate": c["estimate"], "ci_low": c["ci_low"], "ci_high": hi,
            "mid": mid.midpoint, "mid_low": mid.midpoint_low, "mid_high": mid.midpoint_high,
            "midpoint_ok": mid.verdict == "consistent",
            "p_implied": pc.p, "p_low": pc.p_low, "p_high": pc.p_high, "p_ok": pc.verdict == "consistent",
        })
    out = pd.DataFrame(rows)
    # the CI implied by the printed estimate and P alone
    z = stats.norm.isf(c["p_value"] / 2)
    se = abs(c["estimate"]) / z
    zc = stats.norm.ppf(0.975)
    out.attrs["ci_from_estimate_and_p"] = (c["estimate"] - zc * se, c["estimate"] + zc * se)
    out.attrs["se_from_estimate_and_p"] = se
    return out


def implied_common_sd(arms: dict | None = None) -> pd.DataFrame:
    """The common SD of the pain scores that each pool's printed precision implies.

    If every trial of a pool had the same SD σ, a trial's mean difference would have
    variance σ²(1/n₁ + 1/n₂), and with τ² = 0 (printed I² = 0.0%) the pooled SE would be
    σ / sqrt(Σ n₁n₂/(n₁+n₂)). Solving for σ with the SE read off the printed CI gives the
    SD the pool implies; for pools with I² > 0 the random-effects SE also contains τ², so
    σ is only bounded from above. Arm sizes are Table 1's unless ``arms`` gives
    ``{study: (n1, n2)}``.

    Columns: ``week``, ``k``, ``se`` (from the CI), ``se_low``/``se_high`` (over the
    rounding of the limits), ``sum_eff_n`` (Σ n₁n₂/(n₁+n₂)), ``sd`` with ``sd_low``/
    ``sd_high``, and ``kind`` (``"estimate"`` when I² = 0, ``"upper bound"`` otherwise).
    """
    from scipy import stats

    t = data.trials()
    z = stats.norm.ppf(0.975)
    rows = []
    for w in WEEKS:
        c = claim(f"time.wk{w}.md")
        st = data.studies_of(c["studies"])
        h = 0.5 * 10.0 ** (-int(c["decimals"]))
        width = c["ci_high"] - c["ci_low"]
        se, se_lo, se_hi = width / (2 * z), (width - 2 * h) / (2 * z), (width + 2 * h) / (2 * z)
        eff = 0.0
        for s in st:
            n1, n2 = (arms or {}).get(s, (int(t.loc[s, "n_ketamine"]), int(t.loc[s, "n_control"])))
            eff += n1 * n2 / (n1 + n2)
        root = float(np.sqrt(eff))
        rows.append({"week": w, "k": len(st), "se": se, "se_low": se_lo, "se_high": se_hi, "sum_eff_n": eff,
                     "sd": se * root, "sd_low": se_lo * root, "sd_high": se_hi * root,
                     "kind": "estimate" if c["i2"] == 0 else "upper bound"})
    return pd.DataFrame(rows)


def two_trial_region(claim_id: str = "time.wk12.md", s1=None) -> pd.DataFrame:
    """The feasible inputs of a two-trial pool printed with I² = 0.0%, in closed form.

    With I² = 0 the DerSimonian–Laird τ² is 0 and the pool is a fixed-effect mean with
    total weight W = 1/SE² (SE from the printed CI) and mean μ (the printed estimate).
    For a first trial with standard error ``s1`` (weight w₁ = 1/s1² < W) the second has
    w₂ = W − w₁, and Cochran's Q = w₁w₂(y₁ − y₂)²/W ≤ 1 (I² printed as 0 with one degree of
    freedom) confines the first trial's mean difference to μ ± s1·sqrt(1 − w₁/W).
    Rounding of the printed numbers is ignored here (the forensics reconstruction keeps it).

    Returns one row per ``s1`` with ``s1``, ``s2``, ``y1_low``, ``y1_high`` and the second
    trial's range ``y2_low``/``y2_high`` (where Q = 1 at the ends).
    """
    from scipy import stats

    c = claim(claim_id)
    if len(data.studies_of(c["studies"])) != 2 or c["i2"] != 0:
        raise ValueError(f"claim_id: {claim_id} is not a two-trial pool printed with I² = 0")
    z = stats.norm.ppf(0.975)
    se = (c["ci_high"] - c["ci_low"]) / (2 * z)
    W = 1.0 / se**2
    mu = float(c["estimate"])
    s1 = np.linspace(se * 1.0005, 6 * se, 200) if s1 is None else np.asarray(s1, dtype=float)
    if np.any(s1 <= se):
        raise ValueError("s1: each trial's SE must exceed the pooled SE")
    w1 = 1.0 / s1**2
    w2 = W - w1
    half1 = s1 * np.sqrt(1.0 - w1 / W)
    # y2 = (W mu - w1 y1)/w2: decreasing in y1
    y2_at_low = (W * mu - w1 * (mu - half1)) / w2
    y2_at_high = (W * mu - w1 * (mu + half1)) / w2
    return pd.DataFrame({"s1": s1, "s2": 1.0 / np.sqrt(w2), "y1_low": mu - half1, "y1_high": mu + half1,
                         "y2_low": np.minimum(y2_at_low, y2_at_high), "y2_high": np.maximum(y2_at_low, y2_at_high)})


def max_single_trial_z(claim_id: str) -> dict:
    """The largest |z| (smallest P) any single trial of a pool printed with I² = 0 can have.

    With τ² = 0 the pool is a fixed-effect mean, and Σ wᵢyᵢ² = Wμ² + Q, so each trial has
    zᵢ² = wᵢyᵢ² ≤ z² + Q, where z = μ/SE is the pooled statistic. The bound uses the most
    generous values the printed rounding allows (largest |μ|, smallest SE, largest Q).

    Returns a dict with ``z_pool`` (as printed), ``q_max``, ``z_max`` and ``p_min``
    (two-sided normal P at ``z_max``).
    """
    from scipy import stats

    c = claim(claim_id)
    if c["i2"] != 0:
        raise ValueError(f"claim_id: {claim_id} is not printed with I² = 0 (τ² would enter the bound)")
    k = len(data.studies_of(c["studies"]))
    h = 0.5 * 10.0 ** (-int(c["decimals"]))
    zc = stats.norm.ppf(0.975)
    se = (c["ci_high"] - c["ci_low"]) / (2 * zc)
    se_min = (c["ci_high"] - c["ci_low"] - 2 * h) / (2 * zc)
    q_max = q_interval_from_i2(c["i2"], k - 1).q_high
    z_pool = abs(c["estimate"]) / se
    z_gen = (abs(c["estimate"]) + h) / se_min
    z_max = float(np.sqrt(z_gen**2 + q_max))
    return {"z_pool": float(z_pool), "q_max": float(q_max), "z_max": z_max, "p_min": float(2 * stats.norm.sf(z_max))}
