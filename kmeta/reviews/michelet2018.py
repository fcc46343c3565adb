"""Michelet et al. 2018, ketamine for chronic non-cancer pain, beside Orhurhu et al. 2019.

Michelet D, Brasher C, Horlin AL, et al. *Eur J Pain* 2018;22:632–646 (key
``michelet2018``). Only the abstract was reachable; a news report gives the other time
points. This module loads those numbers (:func:`published`), derives what a printed interval
implies (:func:`implied_test`) and lines up both reviews' pooled mean differences over time
(:func:`time_course`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._provenance import check_provenance, read_csv, typed

__all__ = ["published", "implied_test", "time_course", "compare"]


def published() -> pd.DataFrame:
    """Every number about Michelet et al. 2018 that we saw, with provenance (index ``fact_id``).

    Columns: ``quantity``, ``week`` (after the beginning of treatment), ``estimate``,
    ``ci_low``, ``ci_high``, ``p_text``, ``count``, ``printed``, ``source``, ``location``,
    ``kind``, ``note``.
    """
    df = read_csv("michelet2018", "published.csv")
    check_provenance(df, ["week", "estimate", "ci_low", "ci_high", "p_text", "count", "printed"],
                     "michelet2018/published.csv")
    return typed(df, floats=("week", "estimate", "ci_low", "ci_high"), ints=("count",)).set_index("fact_id")


def implied_test(estimate, ci_low, ci_high, level: float = 0.95, log: bool = False) -> pd.DataFrame:
    """Standard error, z and two-sided p implied by a printed Wald interval.

    ``se = (ci_high - ci_low) / (2 z_{(1+level)/2})`` (on the log scale if ``log``), ``z =
    estimate / se`` and ``p = 2 Phi(-|z|)``; also ``asymmetry``, the difference between the
    upper and the lower arm (0 for a Wald interval, up to rounding).
    """
    est, lo, hi = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (estimate, ci_low, ci_high))
    if np.any(hi < lo):
        i = int(np.flatnonzero(hi < lo)[0])
        raise ValueError(f"ci_high: row {i} is below ci_low ({hi[i]:g} < {lo[i]:g})")
    if log:
        if np.any(np.concatenate([est, lo, hi]) <= 0):
            raise ValueError("estimate, ci_low, ci_high: ratios must be > 0 when log=True")
        est, lo, hi = np.log(est), np.log(lo), np.log(hi)
    zc = stats.norm.ppf(0.5 + level / 2)
    se = (hi - lo) / (2 * zc)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    p = 2 * stats.norm.sf(np.abs(z))
    return pd.DataFrame({"se": se, "z": z, "p": p, "asymmetry": (hi - est) - (est - lo)})


def time_course() -> pd.DataFrame:
    """Both reviews' pooled pain MDs by week, with their sources.

    Rows: Orhurhu et al.'s primary pool (placed at week 1, "48 h to 2 weeks") and its 2-, 4-,
    8- and 12-week pools; Michelet et al.'s 4-week pool (abstract) and the 1-, 2-, 8- and
    12-week pools from the news report. Columns: ``review``, ``week``, ``anchor``,
    ``estimate``, ``ci_low``, ``ci_high``, ``k``, ``p_printed``, ``source``, ``kind``,
    ``claim`` (the id in the source table) and the implied ``se``, ``z`` and ``p``.
    """
    from . import orhurhu2019

    pub = orhurhu2019.published().set_index("claim_id")
    rows = []
    for claim, week in [("primary.md", 1.0), ("time.wk2.md", 2.0), ("time.wk4.md", 4.0),
                        ("time.wk8.md", 8.0), ("time.wk12.md", 12.0)]:
        r = pub.loc[claim]
        kclaim = "results.primary.k" if claim == "primary.md" else claim.replace(".md", ".k")
        rows.append({"review": "Orhurhu 2019", "week": week,
                     "anchor": "after the infusion" + (" (48 h to 2 wk; lowest score)" if claim == "primary.md" else ""),
                     "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "k": pub.loc[kclaim, "count"], "p_printed": f"P {r['p_op']} {r['p_text'].lstrip('<= ')}".replace("= =", "="),
                     "source": "orhurhu2019", "kind": "reported", "claim": claim})
    mic = published()
    for fid in ["cpa.wk1.md", "cpa.wk2.md", "michelet.wk4.md", "cpa.wk8.md", "cpa.wk12.md"]:
        r = mic.loc[fid]
        k = pd.NA   # the abstract gives no k per time point (the news report gives 4 at 4 weeks)
        rows.append({"review": "Michelet 2018", "week": r["week"], "anchor": "after the beginning of treatment",
                     "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "k": k,
                     "p_printed": "" if pd.isna(r["p_text"]) else f"P {r['p_text']}",
                     "source": r["source"], "kind": r["kind"], "claim": fid})
    out = pd.DataFrame(rows)
    out["k"] = out["k"].astype("Int64")
    return pd.concat([out, implied_test(out["estimate"], out["ci_low"], out["ci_high"])], axis=1)


def compare(est1, lo1, hi1, est2, lo2, hi2, level: float = 0.95) -> dict:
    """z-test of the difference of two pooled estimates *as if* independent.

    The two reviews share trials, so their estimates are positively correlated and this
    test is conservative (the true SE of the difference is smaller).
    """
    a = implied_test(est1, lo1, hi1, level).iloc[0]
    b = implied_test(est2, lo2, hi2, level).iloc[0]
    diff = float(est1) - float(est2)
    se = float(np.hypot(a["se"], b["se"]))
    z = diff / se
    return {"difference": diff, "se": se, "z": z, "p": float(2 * stats.norm.sf(abs(z)))}
