"""Secondary outcomes of Orhurhu et al. 2019: responders and adverse effects, re-derived.

Responders
----------
The review pooled the proportion of patients with a positive response in three trials
(Salas, Eichenberger, Noppers) as a DerSimonian–Laird relative risk: 2.43 (95% CI
1.10–5.40), P = .029, I² = 0.0%, with 17/33 responders on ketamine and 6/31 on
placebo (Table 2). How the 17 and the 6 split across the trials is not printed.
:func:`responder_splits` enumerates every split of the totals over the three trials'
arms (Table 1 sizes; Eichenberger's saline arm as 10 or as 20) and pools each one, by
DerSimonian–Laird (as the review says it did) or by Mantel–Haenszel; :func:`matches`
flags the splits whose pooled RR and CI round to the printed ones.

Adverse effects
---------------
The forest plots of Figure 4 are not in the public text, so the four pooled relative
risks cannot be recomputed. :func:`ae_ci_checks` does what can be done with the printed
numbers alone (the CI's midpoint on the log scale, the P value it implies), and
:func:`pooled_proportion` demonstrates the pooling of single-arm proportions the
Methods describe (Freeman–Tukey double arcsine without continuity correction,
DerSimonian–Laird, Wald CI, Miller's inverse with the harmonic mean of the sample sizes).
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ._checkrows import cached as data
from kmeta.forensics import check_ci_midpoint, check_p_from_ci

from ._checkrows import claim, p_decimals, rounds_to

__all__ = [
    "RESPONDER_STUDIES",
    "responder_arms",
    "responder_splits",
    "matches",
    "noppers_timepoints",
    "pooled_proportion",
    "ae_ci_checks",
    "psychotomimetic_denominators",
]

#: The three responder trials, in the review's reference order (25, 26, 28).
RESPONDER_STUDIES: tuple[str, ...] = ("salas2012", "eichenberger2008", "noppers2011")


def responder_arms(eichenberger_control: int = 10) -> pd.DataFrame:
    """Arm sizes of the responder trials from Table 1 (Eichenberger's saline arm given)."""
    t = data.trials().loc[list(RESPONDER_STUDIES)]
    out = pd.DataFrame({"label": t["label"], "n1": t["n_ketamine"].astype(int), "n2": t["n_control"].astype(int)})
    out.loc["eichenberger2008", "n2"] = int(eichenberger_control)
    return out


def _compositions(total: int, caps) -> np.ndarray:
    """All integer vectors ``x`` with ``0 <= x_i <= caps_i`` and ``sum(x) == total``."""
    rows = [c for c in itertools.product(*(range(int(m) + 1) for m in caps)) if sum(c) == total]
    return np.array(rows, dtype=int).reshape(-1, len(caps))


def _log_rr(e1, n1, e2, n2):
    """Study log RR and variance as metafor/Stata metan: 0.5 added to every cell of a
    table with a zero cell; double-zero (and all-event) tables give NaN."""
    e1, n1, e2, n2 = (np.asarray(a, dtype=float) for a in (e1, n1, e2, n2))
    zero = (e1 == 0) | (e2 == 0) | (e1 == n1) | (e2 == n2)
    a = np.where(zero, e1 + 0.5, e1)
    c = np.where(zero, e2 + 0.5, e2)
    m1 = np.where(zero, n1 + 1.0, n1)
    m2 = np.where(zero, n2 + 1.0, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(a / m1) - np.log(c / m2)
        v = 1 / a - 1 / m1 + 1 / c - 1 / m2
    drop = ((e1 == 0) & (e2 == 0)) | ((e1 == n1) & (e2 == n2))
    y = np.where(drop, np.nan, y)
    v = np.where(drop, np.nan, v)
    return y, v


def _mh_rr_batch(A, n1, C, n2, level: float = 0.95) -> dict:
    """Mantel–Haenszel risk ratios of many sets of 2x2 tables at once.

    ``A``, ``C``: events, shape (replicates, k); ``n1``, ``n2``: arm sizes, shape (k,).
    The estimator and the Greenland–Robins variance are those of :func:`kmeta.mh`
    (``measure="RR"``), as are Q and I² (study-level log RRs with 0.5 added to tables with
    a zero cell, double-zero tables left out, around the MH estimate); the tests check
    this against :func:`kmeta.mh` table by table. Rows without any event give NaN.
    """
    from scipy import stats

    A = np.asarray(A, dtype=float)
    C = np.asarray(C, dtype=float)
    n1 = np.broadcast_to(np.asarray(n1, dtype=float), A.shape)
    n2 = np.broadcast_to(np.asarray(n2, dtype=float), C.shape)
    N = n1 + n2
    R = (A * n2 / N).sum(axis=1)
    S = (C * n1 / N).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.log(R / S)
        var = ((n1 * n2 * (A + C) / N**2 - A * C / N).sum(axis=1)) / (R * S)
        se = np.sqrt(var)
        zc = stats.norm.ppf(0.5 + level / 2)
        lo, hi = est - zc * se, est + zc * se
        p = 2 * stats.norm.sf(np.abs(est / se))
    y, v = _log_rr(A, n1, C, n2)
    ok = np.isfinite(y)
    k_used = ok.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(ok, (y - est[:, None]) ** 2 / v, 0.0).sum(axis=1)
        df = k_used - 1
        i2 = np.where((q > df) & (q > 0), 100 * (q - df) / q, 0.0)
    bad = ~(np.isfinite(est) & np.isfinite(se) & (se > 0))
    out = {"rr": np.exp(est), "ci_low": np.exp(lo), "ci_high": np.exp(hi), "pval": p, "i2": i2,
           "k_used": k_used.astype(float)}
    for key in ("rr", "ci_low", "ci_high", "pval", "i2"):
        out[key] = np.where(bad, np.nan, out[key])
    return out


def responder_splits(events_ketamine: int | None = None, events_placebo: int | None = None,
                     eichenberger_control: int = 10, method: str = "DL") -> pd.DataFrame:
    """Every split of the responder totals over the three trials, each one pooled.

    Parameters
    ----------
    events_ketamine, events_placebo : int, optional
        Totals to split (default: Table 2's 17 and 6).
    eichenberger_control : int
        Size of Eichenberger's saline arm: 10 (what the review's totals imply) or 20
        (Table 1).
    method : {"DL", "MH"}
        DerSimonian–Laird random effects on the log RR (:func:`kmeta.meta_batch`, the
        review's stated method) or Mantel–Haenszel (:func:`kmeta.mh`).

    Returns
    -------
    DataFrame
        One row per split: events ``a_<study>`` (ketamine) and ``c_<study>`` (placebo),
        ``rr``, ``ci_low``, ``ci_high``, ``pval``, ``i2`` (percent), ``k_used`` (tables
        that entered, double-zero ones excluded), and the method.
    """
    from kmeta import meta_batch

    g = data.grade().set_index("outcome_id").loc["responders"]
    e1_tot = int(g["ketamine_events"]) if events_ketamine is None else int(events_ketamine)
    e2_tot = int(g["placebo_events"]) if events_placebo is None else int(events_placebo)
    arms = responder_arms(eichenberger_control)
    n1, n2 = arms["n1"].to_numpy(), arms["n2"].to_numpy()
    A = _compositions(e1_tot, n1)
    C = _compositions(e2_tot, n2)
    ia, ic = np.meshgrid(np.arange(len(A)), np.arange(len(C)), indexing="ij")
    A = A[ia.ravel()]
    C = C[ic.ravel()]
    R = len(A)
    names = list(RESPONDER_STUDIES)
    out = pd.DataFrame({f"a_{s}": A[:, i] for i, s in enumerate(names)})
    for i, s in enumerate(names):
        out[f"c_{s}"] = C[:, i]
    method = str(method).upper()
    if method == "DL":
        Y, V = _log_rr(A, np.broadcast_to(n1, A.shape), C, np.broadcast_to(n2, C.shape))
        k_used = np.isfinite(Y).sum(axis=1)
        # meta_batch wants the studies of each row first and NaN padding at the end
        order = np.argsort(~np.isfinite(Y), axis=1, kind="stable")
        Y = np.take_along_axis(Y, order, axis=1)
        V = np.take_along_axis(V, order, axis=1)
        ok = k_used > 0
        res = meta_batch(Y[ok], V[ok], method="DL")
        for col, src in (("rr", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            vals = np.full(R, np.nan)
            vals[ok] = np.exp(getattr(res, src))
            out[col] = vals
        for col, src in (("pval", "pval"), ("i2", "i2")):
            vals = np.full(R, np.nan)
            vals[ok] = getattr(res, src)
            out[col] = vals
        out["k_used"] = k_used
    elif method == "MH":
        res = _mh_rr_batch(A, n1, C, n2)
        for col in ("rr", "ci_low", "ci_high", "pval", "i2", "k_used"):
            out[col] = res[col]
    else:
        raise ValueError(f"method: expected 'DL' or 'MH', got {method!r}")
    out["method"] = method
    out["eichenberger_control"] = int(eichenberger_control)
    return out


def matches(splits: pd.DataFrame, claim_id: str = "responders.rr", with_p: bool = True,
            with_i2: bool = True) -> pd.Series:
    """Boolean mask of the splits whose pooled RR, CI (and P, I²) round to the claim's."""
    c = claim(claim_id)
    d = int(c["decimals"])

    def near(col, printed, decimals):
        x = splits[col].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return np.isfinite(x) & (np.abs(x - printed) <= 0.5 * 10.0 ** (-decimals) + 1e-9)

    m = near("rr", c["estimate"], d) & near("ci_low", c["ci_low"], d) & near("ci_high", c["ci_high"], d)
    if with_p:
        m &= near("pval", c["p_value"], p_decimals(c["p_text"]))
    if with_i2:
        m &= near("i2", c["i2"], 1)
    return pd.Series(m, index=splits.index)


def noppers_timepoints() -> pd.DataFrame:
    """Noppers' responder counts (>50% pain relief) at each time point of its abstract."""
    f = data.abstract_facts()
    f = f[f["fact_id"].str.startswith("noppers2011.responders.")].copy()
    f["when"] = f["fact_id"].str.split(".").str[2]
    f["arm_"] = np.where(f["arm"] == "ketamine", "ketamine", "control")
    w = f.pivot(index="when", columns="arm_", values="count")
    d = f.pivot(index="when", columns="arm_", values="denominator")
    out = pd.DataFrame({"timepoint": f.drop_duplicates("when").set_index("when").loc[w.index, "timepoint"],
                        "a": w["ketamine"].astype(int), "n1": d["ketamine"].astype(int),
                        "c": w["control"].astype(int), "n2": d["control"].astype(int)})
    order = ["15min", "180min", "wk1", "wk8"]
    return out.loc[[o for o in order if o in out.index]]


def pooled_proportion(events, n, method: str = "DL") -> dict:
    """Pool single-arm proportions as the review's Methods describe.

    Freeman–Tukey double arcsine without continuity correction
    (:func:`kmeta.effect_sizes` ``"PFT"``), random effects (DerSimonian–Laird by
    default), Wald CI, and Miller's (1978) inverse with the harmonic mean of the sample
    sizes (:func:`kmeta.transforms.transf_ipft_hm`).

    Returns a dict with ``estimate``, ``ci_low``, ``ci_high`` (proportions), the crude
    ``sum(events)/sum(n)``, the harmonic mean ``n_harmonic``, ``i2``, ``k`` and the
    pooled :class:`kmeta.MetaResult` under ``result``.
    """
    from kmeta import effect_sizes, meta
    from kmeta.transforms import harmonic_mean_n, transf_ipft_hm

    ev = np.asarray(events, dtype=float)
    nn = np.asarray(n, dtype=float)
    es = effect_sizes("PFT", events=ev, n=nn)
    res = meta(es["yi"].to_numpy(), es["vi"].to_numpy(), method=method)
    back = transf_ipft_hm(np.array([res.estimate, res.ci_low, res.ci_high]), nn)
    return {"estimate": float(back[0]), "ci_low": float(back[1]), "ci_high": float(back[2]),
            "crude": float(ev.sum() / nn.sum()), "n_harmonic": harmonic_mean_n(nn),
            "i2": float(res.i2), "k": int(res.k), "result": res}


#: The adverse-effect pools of Figure 4, by claim id.
AE_CLAIMS: tuple[str, ...] = ("ae.nausea.rr", "ae.psychotomimetic.rr", "ae.headache.rr", "ae.tiredness.rr")


def ae_ci_checks() -> pd.DataFrame:
    """What the printed RR, CI and P of each adverse-effect pool imply on their own.

    For each of Figure 4's pools: the CI's midpoint on the log scale (with its range
    over the rounding of the limits) against the printed RR, and the Wald P the CI
    implies (with its range over the rounding box) against the printed P.
    """
    rows = []
    for cid in AE_CLAIMS:
        c = claim(cid)
        d = int(c["decimals"])
        mid = check_ci_midpoint(c["estimate"], c["ci_low"], c["ci_high"], decimals=d, scale="log")
        pc = check_p_from_ci(c["estimate"], c["ci_low"], c["ci_high"], c["p_text"], decimals=d, scale="log")
        rows.append({
            "claim_id": cid,
            "rr": c["estimate"], "ci_low": c["ci_low"], "ci_high": c["ci_high"], "p_text": c["p_text"],
            "log_midpoint_rr": mid.midpoint, "mid_low": mid.midpoint_low, "mid_high": mid.midpoint_high,
            "midpoint_ok": mid.verdict == "consistent",
            "se_log": pc.se, "z": pc.z, "p_implied": pc.p, "p_low": pc.p_low, "p_high": pc.p_high,
            "p_ok": pc.verdict == "consistent",
        })
    return pd.DataFrame(rows)


def psychotomimetic_denominators(max_n: int = 30) -> pd.DataFrame:
    """Arm sizes and counts that print as the Sigtermans abstract's 76% and 18%.

    Lists every (count, n) with n ≤ ``max_n`` whose percentage rounds to each printed
    whole percentage (the abstract's ketamine and placebo figures).
    """
    f = data.abstract_facts().set_index("fact_id")
    rows = []
    for arm, fid in (("ketamine", "sigtermans2009.psychomimetic.ketamine"),
                     ("control", "sigtermans2009.psychomimetic.placebo")):
        pct = float(f.loc[fid, "value"])
        for n in range(1, max_n + 1):
            for x in range(n + 1):
                if rounds_to(100 * x / n, pct, 0):
                    rows.append({"arm": arm, "printed_pct": pct, "count": x, "n": n, "pct": 100 * x / n})
    return pd.DataFrame(rows)
