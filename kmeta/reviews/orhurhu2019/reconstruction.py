"""The primary outcome of Orhurhu et al. 2019, reconstructed from its printed pools.

The review pooled six trials' mean differences in the lowest pain score (0–10) by
DerSimonian–Laird (Methods; "D+L" in the Figure 3 caption) but printed no study-level
numbers in the text we have: Figure 3, the forest plot, did not survive. What it did
print are seven pooled results over overlapping sets of those six trials -- the overall
pool and six subgroups -- each with an estimate, a 95% CI (two decimals) and I² (one
decimal): 28 numbers for 12 unknowns (six effects and six standard errors).

:func:`reconstruct` finds the study inputs that reproduce all 28 within printed
rounding (:func:`~kmeta.forensics.reconstruct`) and how tightly each is determined
(:func:`kmeta.forensics.feasible_ranges`). Assumptions, all stated in the result:

* pooling by DerSimonian–Laird with a Wald 95% interval (z = 1.96), as Stata's
  ``metan``, which the review used (Stata 13);
* the overall I² is the Results' 48.5% (:data:`OVERALL_I2_CLAIMS`: the Heterogeneity
  paragraph and Table 2 print 45.9%; :func:`overall_i2_comparison` shows that only
  48.5% is consistent with the other 27 figures);
* Noppers (28) and Mitchell (29) sit in exactly the same pools, so the pools cannot
  tell their inputs apart. The review says Mitchell's trial, not Noppers', showed a
  significant benefit (the abstract's three trials with benefit are 23, 27 and 29), so
  the labelling whose study CI excludes zero for Mitchell is kept; the adjunct
  meta-regression P (adjunct = 26, 27, 29) is a second, independent test of it (see
  ``checks_primary`` and the chapter).

Other helpers: :func:`published_pools` (the printed pools as
:class:`kmeta.forensics.PublishedPool`), :func:`moderators` (the four meta-regression
groupings), :func:`overall_i2_comparison`, :func:`pools_rederived` (every pool
re-computed from the fit and over the feasible set), :func:`sigtermans_plus_minus`
(is Sigtermans' "±" an SD or an SEM?), :func:`study_cis`.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special

from ..._result import Result
from ...forensics import (
    Reconstruction,
    FeasibleRanges,
    Symmetry,
    drop_one,
    feasible_ranges,
    figure_range,
    published_pool,
    predict_pools,
    reconstruct as _reconstruct,
    symmetries,
)
from . import data

__all__ = [
    "POOL_CLAIMS",
    "OVERALL_I2_CLAIMS",
    "MODERATOR_CLAIMS",
    "OrhurhuReconstruction",
    "primary_studies",
    "published_pools",
    "moderators",
    "reconstruct",
    "overall_i2_comparison",
    "pools_rederived",
    "study_cis",
    "sigtermans_plus_minus",
]

#: The seven printed pools of the primary outcome, each name with the claim id that prints it.
POOL_CLAIMS: dict[str, str] = {
    "overall": "primary.md",
    "high dose": "sub.highdose.md",
    "low dose": "sub.lowdose.md",
    "neuropathic or mixed": "sub.neuromixed.md",
    "nonneuropathic": "sub.nonneuro.md",
    "CRPS": "sub.crps.md",
    "non-CRPS": "sub.noncrps.md",
}

#: Claims printing the overall I², 48.5% in the Results and 45.9% in the Heterogeneity paragraph and Table 2.
OVERALL_I2_CLAIMS: tuple[str, ...] = ("primary.md", "heterogeneity.i2", "table2.fn_b.i2")

#: The four meta-regressions, each moderator with the claim of its P and the claim listing its "1" group.
MODERATOR_CLAIMS: dict[str, tuple[str, str]] = {
    "high dose": ("metareg.dose.p", "sub.highdose.k"),
    "neuropathic or mixed": ("metareg.paintype.p", "sub.neuromixed.k"),
    "CRPS": ("metareg.crps.p", "sub.crps.k"),
    "adjunct analgesic": ("metareg.adjunct.p", "sub.adjunct.k"),
}

_SEED = 0
_STARTS = 12  # least-squares starts; every seed tried lands on the same fit with 12


@lru_cache(maxsize=1)
def _published() -> pd.DataFrame:
    return data.published().set_index("claim_id", drop=False)


def _claim(cid: str) -> pd.Series:
    return _published().loc[cid]


def _studies(cid: str) -> list[str]:
    return data.studies_of(_claim(cid)["studies"])


def primary_studies() -> list[str]:
    """The six trials of the primary meta-analysis, in the review's reference order."""
    cited = set(_studies("primary.md"))
    return [s for s in data.STUDIES if s in cited]


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    tv = data.trial_values()
    lab = tv[tv["field"] == "label"].set_index("study")["value"]
    ref = tv[tv["field"] == "ref"].set_index("study")["value"]
    return {s: f"{lab[s]} ({ref[s]})" for s in lab.index}


def _i2_printed(cid: str) -> tuple[float, int]:
    """The I² of a claim and its printed decimals (read from the printed fragment)."""
    c = _claim(cid)
    m = re.search(r"I²\s*=\s*(\d+(?:\.(\d+))?)%", str(c["printed"]))
    if m is None:
        raise ValueError(f"{cid}: no 'I² = ...%' in the printed fragment {c['printed']!r}")
    return float(m.group(1)), len(m.group(2) or "")


def published_pools(overall_i2: str | None = "primary.md", *, fit_overall_i2: bool = True) -> list:
    """The seven printed pools as :class:`kmeta.forensics.PublishedPool` (DL, Wald 95% CI).

    Estimates, limits and I² come from ``published()``
    with their printed precision; the printed P of each pool is attached as a checked
    (not fitted) figure. ``overall_i2`` chooses the claim whose I² is used for the
    overall pool (one of :data:`OVERALL_I2_CLAIMS`), or ``None`` to leave it out;
    ``fit_overall_i2=False`` keeps it as a checked figure only.
    """
    if overall_i2 is not None and overall_i2 not in OVERALL_I2_CLAIMS:
        raise ValueError(f"overall_i2: expected one of {OVERALL_I2_CLAIMS} or None, got {overall_i2!r}")
    pools = []
    for name, cid in POOL_CLAIMS.items():
        c = _claim(cid)
        dec = int(c["decimals"])
        if name == "overall":
            if overall_i2 is None:
                i2, i2_dec = None, 1
            elif overall_i2 == "primary.md":
                i2, i2_dec = _i2_printed(cid)
            else:
                i2, i2_dec = float(_claim(overall_i2)["i2"]), int(_claim(overall_i2)["decimals"])
        else:
            i2, i2_dec = _i2_printed(cid)
        pools.append(published_pool(
            name, _studies(cid), estimate=float(c["estimate"]), ci_low=float(c["ci_low"]),
            ci_high=float(c["ci_high"]), i2=i2, pval=str(c["p_text"]), decimals=dec,
            i2_decimals=i2_dec, method="DL", test="z", source=cid,
        ))
    if not fit_overall_i2:
        first = pools[0]
        figs = tuple(dataclasses.replace(f, fit=False) if f.quantity == "i2" else f for f in first.figures)
        pools[0] = dataclasses.replace(first, figures=figs)
    return pools


def moderators() -> pd.DataFrame:
    """The four meta-regression groupings, one row per primary trial (1 = in the group).

    Each column is the group listed in the claim named in :data:`MODERATOR_CLAIMS`
    (e.g. the adjunct column is 1 for refs 26, 27, 29).
    """
    studies = primary_studies()
    cols = {}
    for name, (_, kcid) in MODERATOR_CLAIMS.items():
        inside = set(_studies(kcid))
        cols[name] = [1.0 if s in inside else 0.0 for s in studies]
    return pd.DataFrame(cols, index=pd.Index(studies, name="study"))


def _significant(yi, sei) -> np.ndarray:
    z = special.ndtri(0.975)
    return (np.asarray(yi) + z * np.asarray(sei) < 0) | (np.asarray(yi) - z * np.asarray(sei) > 0)


@dataclasses.dataclass(frozen=True, repr=False)
class OrhurhuReconstruction(Result):
    """Result of :func:`reconstruct` with ``full=True``.

    Attributes
    ----------
    table : DataFrame
        What :func:`reconstruct` returns: one row per trial (``study``, ``label``,
        ``yi``, ``sei``, ``yi_low``, ``yi_high``, ``sei_low``, ``sei_high``,
        ``significant``, ``note``).
    fit : kmeta.forensics.Reconstruction
        The fit (figures table with predicted vs printed values and residuals).
    ranges : kmeta.forensics.FeasibleRanges
        Feasible ranges with the Noppers/Mitchell labelling fixed; its samples are
        feasible input sets for derived quantities.
    symmetry : kmeta.forensics.Symmetry
        Exchangeable trials and the groupings that separate them.
    labelling : DataFrame
        The two labellings of the exchangeable pair, with the trials' significance
        pattern under each and whether it matches the review's benefit claims.
    overall_i2_claim : str
        The claim whose I² was used for the overall pool.
    note : str
        The assumptions, in words.
    """

    table: pd.DataFrame
    fit: Reconstruction
    ranges: FeasibleRanges
    symmetry: Symmetry
    labelling: pd.DataFrame
    overall_i2_claim: str
    note: str

    def summary(self) -> str:
        lines = [
            "Orhurhu 2019, primary outcome: study inputs reconstructed from the printed pools",
            f"{self.fit.figures['fit'].sum()} printed figures fitted; largest |scaled residual| "
            f"{self.fit.max_abs_residual:.3f} -> {'all hold' if self.fit.feasible else 'NOT all hold'}",
            "",
            f"{'trial':<30} {'yi':>7} {'range':>17} {'sei':>7} {'range':>15}",
        ]
        for _, r in self.table.iterrows():
            lines.append(
                f"{r['label']:<30} {r['yi']:>7.3f} [{r['yi_low']:>6.3f}, {r['yi_high']:>6.3f}] "
                f"{r['sei']:>7.3f} [{r['sei_low']:>5.3f}, {r['sei_high']:>5.3f}]"
            )
        lines += ["", self.note]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@lru_cache(maxsize=4)
def _full(overall_i2: str, seed: int) -> OrhurhuReconstruction:
    pools = published_pools(overall_i2)
    studies = primary_studies()
    fit = _reconstruct(pools, labels=studies, seed=seed, starts=_STARTS)
    sym = symmetries(pools, labels=studies, partitions={
        "review's benefit claims (abstract: 23, 27, 29)": set(_studies("abstract.benefit_count")),
        **{f"meta-regression on {name}": set(_studies(k)) for name, (_, k) in MODERATOR_CLAIMS.items()},
    })
    benefit = set(_studies("abstract.benefit_count"))
    order = []
    rows = []
    for group in sym.groups:
        if len(group) != 2:  # pragma: no cover - the Orhurhu pools have one pair
            raise ValueError(f"symmetry: a group of {len(group)} exchangeable trials is not handled")
        a, b = group
        candidates = [("as fitted", fit), (f"{a} and {b} swapped", fit.swap(a, b))]
        for name, cand in candidates:
            sig = _significant(cand.yi, cand.sei)
            pattern = {s: bool(sig[studies.index(s)]) for s in group}
            rows.append({
                "labelling": name,
                **{f"{s} significant": pattern[s] for s in group},
                "matches_benefit_claims": all(pattern[s] == (s in benefit) for s in group),
                **{f"yi {s}": float(cand.yi[studies.index(s)]) for s in group},
                **{f"sei {s}": float(cand.sei[studies.index(s)]) for s in group},
            })
        good = [cand for (name, cand), r in zip(candidates, rows[-2:]) if r["matches_benefit_claims"]]
        if len(good) != 1:  # pragma: no cover - decided by the data
            raise ValueError(f"labelling: the benefit claims do not single out one labelling of {group}")
        fit = good[0]
        ia, ib = studies.index(a), studies.index(b)
        order.append((a, b, "sei") if fit.sei[ia] <= fit.sei[ib] else (b, a, "sei"))
    ranges = feasible_ranges(fit, order=order, seed=seed, samples=240)
    t = ranges.table
    labels = _labels()
    pair = {x: y for g in sym.groups for x in g for y in g if y != x}
    i2_text = {"primary.md": "48.5% (Results)", "heterogeneity.i2": "45.9% (Heterogeneity paragraph)",
               "table2.fn_b.i2": "45.9% (Table 2, footnote b)"}[overall_i2]
    note = (
        "Inputs reconstructed from the review's seven printed pools (estimate, 95% CI, I^2), "
        "assuming DerSimonian-Laird pooling with a Wald interval (z = 1.96) as Stata's metan, and the "
        f"overall I^2 of {i2_text}. Ranges: every input set found that reproduces all fitted figures "
        "within printed rounding (profiles plus hit-and-run). Noppers (28) and Mitchell (29) appear in "
        "exactly the same pools; the labelling kept is the one in which, as the review says, Mitchell's "
        "trial and not Noppers' shows a significant benefit."
    )
    table = pd.DataFrame({
        "study": studies,
        "label": [labels[s] for s in studies],
        "yi": fit.yi,
        "sei": fit.sei,
        "yi_low": t["yi_low"].to_numpy(),
        "yi_high": t["yi_high"].to_numpy(),
        "sei_low": t["sei_low"].to_numpy(),
        "sei_high": t["sei_high"].to_numpy(),
        "significant": _significant(fit.yi, fit.sei),
        "note": [
            (f"in the same pools as {labels[pair[s]]}; labelled by the review's benefit claims" if s in pair else "")
            for s in studies
        ],
    })
    return OrhurhuReconstruction(
        table=table, fit=fit, ranges=ranges, symmetry=sym, labelling=pd.DataFrame(rows),
        overall_i2_claim=overall_i2, note=note,
    )


def reconstruct(full: bool = False, *, overall_i2: str = "primary.md", seed: int = _SEED):
    """The six trials' mean differences and standard errors, as the review must have had them.

    Parameters
    ----------
    full : bool
        Return the :class:`~kmeta.reviews.orhurhu2019.reconstruction.OrhurhuReconstruction`
        (fit, ranges, symmetry, labelling)
        instead of only its table.
    overall_i2 : str
        The claim whose I² is used for the overall pool (``"primary.md"``, 48.5%, by
        default; ``"heterogeneity.i2"`` for 45.9%, which no input set reconciles with
        the other figures: the fit is then the best compromise and
        ``fit.feasible`` is False, and ranges are not defined).
    seed : int
        Seed of the multi-start fit and the sampler (deterministic).

    Returns
    -------
    DataFrame or OrhurhuReconstruction
        One row per trial: ``study``, ``label``, ``yi`` (mean difference, ketamine minus
        control, 0–10 scale), ``sei``, their feasible ranges ``yi_low``, ``yi_high``,
        ``sei_low``, ``sei_high``, ``significant`` (the study's 95% CI excludes 0) and a
        ``note``. The assumptions are in the full result's ``note`` (and in the table's
        ``attrs["note"]``).
    """
    if overall_i2 not in OVERALL_I2_CLAIMS:
        raise ValueError(f"overall_i2: expected one of {OVERALL_I2_CLAIMS}, got {overall_i2!r}")
    if overall_i2 != "primary.md":
        pools = published_pools(overall_i2)
        fit = _reconstruct(pools, labels=primary_studies(), seed=int(seed), starts=_STARTS)
        if not fit.feasible:
            if full:
                raise ValueError(
                    f"overall_i2={overall_i2!r}: no input set reproduces every figure (largest scaled residual "
                    f"{fit.max_abs_residual:.2f}); see overall_i2_comparison()"
                )
            return fit.study_table()
    res = _full(overall_i2, int(seed))
    if full:
        return res
    table = res.table.copy()
    table.attrs["note"] = res.note
    return table


@lru_cache(maxsize=2)
def overall_i2_comparison(seed: int = _SEED) -> pd.DataFrame:
    """Fit the pools with each printed overall I² and see which one the rest allow.

    One row per candidate (48.5% of the Results; 45.9% of the Heterogeneity paragraph
    and Table 2): ``claim_id``, ``i2`` (printed), ``feasible``, ``max_abs_residual``
    (of the best fit: minimax when infeasible), ``culprits`` (figures whose removal
    alone restores feasibility, from :func:`kmeta.forensics.drop_one`), and
    ``i2_free_low``/``i2_free_high``: the range of the overall I² over input sets that
    satisfy the *other* 27 figures (overall I² left out of the fit).
    """
    rows = []
    free = _full_free(seed)
    for cid in ("primary.md", "heterogeneity.i2"):
        main = _full("primary.md", seed).fit
        if cid == "primary.md":
            fit = main
        else:
            fit = _reconstruct(published_pools(cid), labels=primary_studies(), seed=seed, starts=_STARTS,
                               initial=[(main.yi, main.sei)])
        culprits = ()
        if not fit.feasible:
            culprits = drop_one(fit).culprits
        i2 = float(fit.figures.query("pool == 'overall' and quantity == 'i2'")["value"].iloc[0])
        rows.append({
            "claim_id": cid, "i2": i2, "feasible": bool(fit.feasible), "max_abs_residual": fit.max_abs_residual,
            "culprits": "; ".join(culprits), "i2_free_low": free[0], "i2_free_high": free[1],
        })
    return pd.DataFrame(rows)


@lru_cache(maxsize=2)
def _full_free(seed: int) -> tuple[float, float]:
    """Range of the overall DL I² over inputs fitting the other 27 figures."""
    # the main fit satisfies the other 27 figures: start from it, with the I^2 only checked
    full = _full("primary.md", seed)
    fit = dataclasses.replace(full.fit, pools=tuple(published_pools("primary.md", fit_overall_i2=False)))
    # start from the feasible samples of the full problem: they satisfy the other 27 figures
    r = figure_range(fit, "overall", "i2", points=full.ranges, polish=4)
    return r.low, r.high


def pools_rederived(seed: int = _SEED) -> pd.DataFrame:
    """Every printed pool beside its re-computation from the reconstructed inputs.

    One row per pool and quantity (estimate, ci_low, ci_high, i2, pval): ``printed``
    (text), ``value``, ``decimals``, ``fit`` (the fit's value), ``low``/``high``
    (range over the feasible samples), ``holds`` (the fit rounds to the printed
    number; for P, whether the printed P is compatible with the fit: P values were
    not fitted), ``claim_id``.
    """
    res = reconstruct(full=True, seed=seed)
    studies = primary_studies()
    Ys, Ss = res.ranges.samples_yi, res.ranges.samples_sei
    rows = []
    from ...batch import meta_batch

    for pool in res.fit.pools:
        idx = [studies.index(s) for s in pool.studies]
        b = meta_batch(Ys[:, idx], Ss[:, idx] ** 2, method="DL")
        fit_row = predict_pools([pool], studies, res.fit.yi, res.fit.sei).iloc[0]
        for f in pool.figures:
            vals = getattr(b, f.quantity)
            fv = float(fit_row[f.quantity])
            lo, hi = f.bounds()
            rows.append({
                "pool": pool.name, "claim_id": pool.source, "quantity": f.quantity, "printed": f.text(),
                "value": f.value, "decimals": int(f.decimals), "fitted": bool(f.fit), "fit": fv,
                "low": float(np.min(vals)), "high": float(np.max(vals)),
                "holds": bool(lo - 1e-12 <= fv <= hi + 1e-12),
            })
    return pd.DataFrame(rows)


def study_cis(seed: int = _SEED) -> pd.DataFrame:
    """Do any two trials' 95% CIs (from the reconstructed inputs) fail to overlap?

    Returns one row per pair of trials: ``a``, ``b``, ``overlap_fit`` (length of the
    overlap of their 95% CIs at the fit; negative = a gap), ``overlap_least`` (the
    smallest overlap any inputs inside the feasible ranges could give: positive means
    the two CIs overlap for every reconstruction), and ``ever_disjoint`` /
    ``always_disjoint`` over the feasible samples.
    """
    res = reconstruct(full=True, seed=seed)
    studies = primary_studies()
    z = float(special.ndtri(0.975))
    Y, S = res.ranges.samples_yi, res.ranges.samples_sei
    lo, hi = Y - z * S, Y + z * S
    t = res.table
    rows = []
    for i in range(len(studies)):
        for j in range(i + 1, len(studies)):
            disjoint = (hi[:, i] < lo[:, j]) | (hi[:, j] < lo[:, i])
            # overlap at the fit: the upper end of the lower CI minus the lower end of the upper one
            a, b_ = (i, j) if t["yi"].iloc[i] <= t["yi"].iloc[j] else (j, i)
            overlap = (t["yi"].iloc[a] + z * t["sei"].iloc[a]) - (t["yi"].iloc[b_] - z * t["sei"].iloc[b_])
            # the least overlap any input set inside the feasible ranges could give
            least = (t["yi_low"].iloc[a] + z * t["sei_low"].iloc[a]) - (t["yi_high"].iloc[b_] - z * t["sei_low"].iloc[b_])
            rows.append({
                "a": studies[i], "b": studies[j], "overlap_fit": float(overlap), "overlap_least": float(least),
                "ever_disjoint": bool(disjoint.any()), "always_disjoint": bool(disjoint.all()),
            })
    return pd.DataFrame(rows)


def sigtermans_plus_minus(seed: int = _SEED) -> pd.DataFrame:
    """Is the "±" of Sigtermans' abstract an SD or an SEM? Both readings vs the reconstruction.

    The abstract gives the lowest pain scores at the end of week 1 as 2.68 ± 0.51
    (ketamine, n = 30) and 5.45 ± 0.48 (placebo, n = 30). One row per reading: the
    mean difference and its standard error under that reading, and whether each lies
    inside the feasible range of the reconstructed Sigtermans input.
    """
    af = data.abstract_facts().set_index("fact_id")
    k = af.loc["sigtermans2009.pain_wk1.ketamine"]
    c = af.loc["sigtermans2009.pain_wk1.placebo"]
    n1 = int(af.loc["sigtermans2009.n_ketamine", "count"])
    n2 = int(af.loc["sigtermans2009.n_placebo", "count"])
    md = float(k["value"]) - float(c["value"])
    res = reconstruct(full=True, seed=seed)
    r = res.table.set_index("study").loc["sigtermans2009"]
    rows = []
    for reading, se in (
        ("SD", float(np.sqrt(k["plus_minus"] ** 2 / n1 + c["plus_minus"] ** 2 / n2))),
        ("SEM", float(np.sqrt(k["plus_minus"] ** 2 + c["plus_minus"] ** 2))),
    ):
        rows.append({
            "reading": reading, "md": md, "se": se,
            "md_in_range": bool(r["yi_low"] <= md <= r["yi_high"]),
            "se_in_range": bool(r["sei_low"] <= se <= r["sei_high"]),
            "yi_low": r["yi_low"], "yi_high": r["yi_high"], "sei_low": r["sei_low"], "sei_high": r["sei_high"],
        })
    return pd.DataFrame(rows)
