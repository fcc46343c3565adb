"""Every chapter teaches: learning objectives at the top, exercises with solutions at the end,
and every numeric answer recomputed here so that it can never go stale.

For each chapter notebook listed in ``_toc.yml``:

(a) structure -- the first markdown cell holds a "Learning objectives" admonition with 2 to 4
    numbered objectives; there are at least two ``{exercise}`` directives, each with a
    ``:label:`` and a ``{solution}`` for that label; every glue key that a solution quotes is
    glued somewhere in the notebook's stored outputs;

(b) answers -- the values glued into the solutions, read from the *stored* outputs of the
    committed notebook (myst-nb's glue keeps them as ``application/papermill.record/text/plain``
    display data named by ``metadata.scrapbook.name``), are compared with an independent
    recomputation below, made with ``kmeta`` on the book's data. If ``kmeta`` or a data file
    changes and a chapter is not re-executed, this test fails and names the stale answer.
    Every numeric value quoted in a solution must be recomputed; text answers (a study
    name, a verdict) are compared where they are recomputed.

No notebook is executed here; the recomputations are plain ``kmeta`` calls. A new chapter
needs an entry in :data:`RECOMPUTE` (the test says so).
"""
from __future__ import annotations

import ast
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- reading notebooks

def _toc_files(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        if "file" in node:
            out.append(str(node["file"]))
        for value in node.values():
            if isinstance(value, (list, dict)):
                out.extend(_toc_files(value))
    elif isinstance(node, list):
        for item in node:
            out.extend(_toc_files(item))
    return out


def toc_notebooks() -> list[str]:
    """Stems of the chapter notebooks listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [f for f in _toc_files(toc) if f.startswith("notebooks/")]
    return [Path(f).name.removesuffix(".ipynb") for f in files]


NOTEBOOKS = toc_notebooks()


@lru_cache(maxsize=None)
def load(stem: str) -> dict:
    return json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))


def markdown(stem: str) -> list[str]:
    return ["".join(c["source"]) for c in load(stem)["cells"] if c["cell_type"] == "markdown"]


_NUMPY_SCALAR = re.compile(r"^np\.[a-z]+\d*_?\((?P<inner>.*)\)$", re.S)
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def parse_glued(text: str):
    """The Python value behind a glued ``text/plain`` representation."""
    t = text.strip()
    if t in ("np.True_", "np.False_"):
        return t == "np.True_"
    m = _NUMPY_SCALAR.match(t)
    if m:
        t = m.group("inner").strip()
    if t in _SPECIAL:
        return _SPECIAL[t]
    try:
        return ast.literal_eval(t)
    except (ValueError, SyntaxError):
        return t


@lru_cache(maxsize=None)
def glued(stem: str) -> dict:
    """Every glued value stored in the notebook's outputs: name -> value."""
    out = {}
    for cell in load(stem)["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            data = o.get("data", {})
            text = data.get("application/papermill.record/text/plain")
            if text is not None:
                out[name] = parse_glued("".join(text) if isinstance(text, list) else text)
            else:
                out[name] = None  # glued a figure or HTML: exists, no scalar value
    return out


_FENCE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<kind>exercise|solution)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.S | re.M,
)
_GLUE_REF = re.compile(r"\{glue(?::[a-z]+)?\}`(?P<ref>[^`]+)`")


def directives(stem: str) -> list[dict]:
    """The exercise and solution directives of a notebook, in order."""
    out = []
    for text in markdown(stem):
        for m in _FENCE.finditer(text):
            body = m.group("body")
            label = re.search(r"^:label:\s*(\S+)", body, re.M)
            out.append({"kind": m.group("kind"), "arg": m.group("arg").strip(),
                        "label": label.group(1) if label else None, "body": body})
    return out


def glue_keys(text: str) -> list[str]:
    keys = []
    for m in _GLUE_REF.finditer(text):
        ref = m.group("ref")
        ref = ref.split("<")[-1].rstrip(">") if "<" in ref else ref  # {glue:text}`title <key>`
        keys.append(ref.split(":", 1)[0].strip())
    return keys


def solution_keys(stem: str) -> list[str]:
    keys = []
    for d in directives(stem):
        if d["kind"] == "solution":
            keys.extend(k for k in glue_keys(d["body"]) if k not in keys)
    return keys


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ----------------------------------------------------------------------------- (a) structure

def test_toc_lists_chapters():
    assert len(NOTEBOOKS) >= 10
    assert "appraisal_amstar2" in NOTEBOOKS
    for stem in NOTEBOOKS:
        assert (ROOT / "notebooks" / f"{stem}.ipynb").is_file(), stem


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_chapter_opens_with_two_to_four_objectives(stem):
    first = markdown(stem)[0]
    m = re.search(r"^(`{3,}|:{3,})\{admonition\}\s*Learning objectives\s*\n(?P<body>.*?)^\1\s*$",
                  first, re.S | re.M)
    assert m, f"{stem}: the first markdown cell has no 'Learning objectives' admonition"
    items = re.findall(r"^\s*\d+\.\s+\S", m.group("body"), re.M)
    assert 2 <= len(items) <= 4, f"{stem}: {len(items)} numbered objectives (expected 2 to 4)"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_chapter_ends_with_exercises_and_solutions(stem):
    ds = directives(stem)
    exercises = [d for d in ds if d["kind"] == "exercise"]
    solutions = [d for d in ds if d["kind"] == "solution"]
    assert len(exercises) >= 2, f"{stem}: {len(exercises)} exercise(s), expected at least 2"
    labels = [d["label"] for d in exercises]
    assert all(labels), f"{stem}: an exercise has no :label:"
    assert len(set(labels)) == len(labels), f"{stem}: duplicate exercise labels {labels}"
    solved = [d["arg"] for d in solutions]
    for label in labels:
        assert label in solved, f"{stem}: exercise {label!r} has no solution"
    for d in solutions:
        assert d["arg"] in labels, f"{stem}: solution for unknown exercise {d['arg']!r}"
        assert ":class: dropdown" in d["body"], f"{stem}: solution {d['arg']} is not a dropdown"
    # the exercises come at the end: after the first exercise, only exercises and solutions
    texts = markdown(stem)
    first = next(i for i, t in enumerate(texts) if "{exercise}" in t)
    for t in texts[first + 1:]:
        stripped = _FENCE.sub("", t).strip()
        assert not re.search(r"^#{1,2} ", stripped, re.M), f"{stem}: a new section follows the exercises"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_solution_glue_keys_are_produced(stem):
    keys = solution_keys(stem)
    values = glued(stem)
    missing = [k for k in keys if k not in values]
    assert not missing, f"{stem}: solutions quote glue keys the notebook never glues: {missing}"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_solutions_quote_computed_values(stem):
    """At least one solution of every chapter quotes a computed (glued) value."""
    assert solution_keys(stem), f"{stem}: no solution quotes a glued value"


# ----------------------------------------------------------------------------- (b) recomputation
# One function per chapter: the values its solutions quote, recomputed with kmeta.

def _join(items) -> str:
    return ", ".join(str(i) for i in items)


def _appraisal_amstar2() -> dict:
    from kmeta import appraisal

    j = appraisal.judgements("orhurhu2019")
    base = dict(zip(j["item"], j["response"]))

    def rate(changes=None, **kw):
        answers = dict(base)
        answers.update(changes or {})
        return appraisal.rate(answers, **kw)

    default, strict = rate(), rate(partial_yes="unmet")
    r7, r7_11, r6 = rate({7: "yes"}), rate({7: "yes", 11: "yes"}), rate({6: "yes"})
    panel = sorted((set(appraisal.CRITICAL_ITEMS) - {15}) | {12})
    r3 = rate(critical=panel)
    return {
        "am_rating": default.rating, "am_cf": default.critical_flaws, "am_nw": default.noncritical_weaknesses,
        "am_cf_items": _join(default.critical_flaw_items), "am_nw_items": _join(default.weakness_items),
        "appraisal_amstar2_ex1_cf_7": r7.critical_flaws, "appraisal_amstar2_ex1_items_7": _join(r7.critical_flaw_items),
        "appraisal_amstar2_ex1_rating_7": r7.rating, "appraisal_amstar2_ex1_cf_7_11": r7_11.critical_flaws,
        "appraisal_amstar2_ex1_items_7_11": _join(r7_11.critical_flaw_items), "appraisal_amstar2_ex1_rating_7_11": r7_11.rating,
        "appraisal_amstar2_ex2_new_items": _join(sorted(set(strict.critical_flaw_items) - set(default.critical_flaw_items))),
        "appraisal_amstar2_ex2_cf": strict.critical_flaws, "appraisal_amstar2_ex2_cf_items": _join(strict.critical_flaw_items),
        "appraisal_amstar2_ex2_rating": strict.rating, "appraisal_amstar2_ex2_nw_6": r6.noncritical_weaknesses, "appraisal_amstar2_ex2_rating_6": r6.rating,
        "appraisal_amstar2_ex3_critical": _join(panel), "appraisal_amstar2_ex3_cf": r3.critical_flaws,
        "appraisal_amstar2_ex3_cf_items": _join(r3.critical_flaw_items), "appraisal_amstar2_ex3_nw": r3.noncritical_weaknesses,
        "appraisal_amstar2_ex3_nw_items": _join(r3.weakness_items), "appraisal_amstar2_ex3_rating": r3.rating,
        "appraisal_amstar2_ex3_cf_default": default.critical_flaws,
    }


def _methods_reading_meta_analysis() -> dict:
    import kmeta
    from kmeta import datasets
    from kmeta.heterogeneity import i2_from_q, q_from_i2

    bcg = datasets.bcg()
    es = kmeta.effect_sizes("RR", e1=bcg.tpos, n1=bcg.n1, e2=bcg.cpos, n2=bcg.n2, labels=bcg.study)
    reml = kmeta.meta(es.yi, es.vi, method="REML")
    dl = kmeta.meta(es.yi, es.vi, method="DL")
    kh = kmeta.meta(es.yi, es.vi, method="REML", test="knha")
    loo = kmeta.leave_one_out(es.yi, es.vi, method="REML", labels=list(es.study)).table
    shift = (loo["estimate"] - reml.estimate).abs()
    most = shift.idxmax()
    return {
        "read_tau2": reml.tau2, "read_re_rr": math.exp(reml.estimate),
        "read_ex1_tau2_dl": dl.tau2, "read_ex1_rr_dl": math.exp(dl.estimate),
        "read_ex1_lo_dl": math.exp(dl.ci_low), "read_ex1_hi_dl": math.exp(dl.ci_high),
        "read_ex1_lo_kh": math.exp(kh.ci_low), "read_ex1_hi_kh": math.exp(kh.ci_high),
        "read_ex1_df_kh": len(es) - 1,
        "read_ex2_i2": float(i2_from_q(152.23, 12)), "read_ex2_q": float(q_from_i2(92.1, 12)),
        "read_ex3_study": most, "read_ex3_rr": math.exp(loo.loc[most, "estimate"]),
    }


def _oh_inputs():
    from kmeta.reviews import orhurhu2019

    t = orhurhu2019.reconstruct()
    return t, t["yi"].to_numpy(), t["sei"].to_numpy()


def _published(claim_id: str) -> pd.Series:
    from kmeta.reviews import orhurhu2019

    return orhurhu2019.published().set_index("claim_id").loc[claim_id]


def _hksj_q(yi, sei, method) -> float:
    """The HKSJ scaling factor q = sum w*(y - mu)^2 / (k - 1), w = 1/(v + tau2)."""
    import kmeta

    tau2 = kmeta.meta(yi, sei=sei, method=method).tau2
    w = 1.0 / (sei**2 + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w * (yi - mu) ** 2) / (len(yi) - 1))


def _beyond_1_estimators() -> dict:
    import kmeta
    from kmeta import clinical

    t, yi, sei = _oh_inputs()
    keep = (t["study"] != "sigtermans2009").to_numpy()
    ex1 = kmeta.meta(yi[keep], sei=sei[keep], method="REML", test="knha")
    rr = _published("responders.rr")
    ex2 = clinical.nnt_from_rr(rr["estimate"], 0.40, rr["ci_low"], rr["ci_high"])
    qs = {m: _hksj_q(yi, sei, m) for m in ("DL", "REML", "PM", "SJ")}
    return {
        "beyond_1_estimators_ex1_est": ex1.estimate, "beyond_1_estimators_ex1_lo": ex1.ci_low, "beyond_1_estimators_ex1_hi": ex1.ci_high,
        "beyond_1_estimators_ex1_verdict": clinical.mid_table(ex1.estimate, ex1.ci_low, ex1.ci_high, {"g": 1.0}).verdict[0],
        "beyond_1_estimators_ex2_nnt": ex2.nnt, "beyond_1_estimators_ex2_lo": ex2.nnt_low, "beyond_1_estimators_ex2_hi": ex2.nnt_high,
        "beyond_1_estimators_ex2_p1": 100 * 0.40 * rr["estimate"], "beyond_1_estimators_ex2_capped": ex2.capped,
        **{f"beyond_1_estimators_ex3_q_{m.lower()}": q for m, q in qs.items()},
        "beyond_1_estimators_ex3_below": ", ".join(m for m, q in qs.items() if q < 1 - 1e-9) or "none",
    }


def _beyond_2_bayes() -> dict:
    from scipy import stats

    from kmeta import bayes

    t, yi, sei = _oh_inputs()
    post = bayes.bayesmeta(yi, sei=sei, tau_prior="halfnormal", tau_scale=1.0)
    sceptic = bayes.bayesmeta(yi, sei=sei, tau_prior="halfnormal", tau_scale=1.0, mu_prior_mean=0.0, mu_prior_sd=1.0)
    crps = t["study"].isin(["sigtermans2009", "schwartzman2009"]).to_numpy()
    import kmeta

    dl2 = kmeta.meta(yi[crps], sei=sei[crps], method="DL")
    b2 = bayes.bayesmeta(yi[crps], sei=sei[crps], tau_prior="halfnormal", tau_scale=1.0)
    return {
        "beyond_2_bayes_ex1_flat_med": post.mu_median, "beyond_2_bayes_ex1_flat_p1": 100 * post.prob_mu_below(-1.0),
        "beyond_2_bayes_ex1_med": sceptic.mu_median, "beyond_2_bayes_ex1_p1": 100 * sceptic.prob_mu_below(-1.0),
        "beyond_2_bayes_ex2_dl_lo": dl2.ci_low, "beyond_2_bayes_ex2_dl_hi": dl2.ci_high,
        "beyond_2_bayes_ex2_b_lo": b2.mu_low, "beyond_2_bayes_ex2_b_hi": b2.mu_high,
        "beyond_2_bayes_ex2_ratio": (b2.mu_high - b2.mu_low) / (dl2.ci_high - dl2.ci_low),
        "beyond_2_bayes_ex3_post": 1.0 - post.tau_cdf(1.0), "beyond_2_bayes_ex3_prior": float(stats.halfnorm.sf(1.0)),
    }


def _beyond_3_simulation() -> dict:
    from kmeta import simulate

    reps = 10_000
    cov = np.array([simulate.coverage_study(ks=(6,), tau2s=(0.25,), methods=("DL-Wald",), replicates=reps,
                                            seed=s).table["coverage"].iloc[0] for s in range(2020, 2030)])
    ex2 = simulate.coverage_study(ks=(3,), tau2s=(0.0,), methods=("REML-HKSJ", "REML-adhoc"), replicates=reps,
                                  seed=2019).table.set_index("method")
    taus = np.round(np.arange(0.5, 1.01, 0.1), 1)
    ex3 = simulate.coverage_study(ks=(6,), tau2s=[x**2 for x in taus], methods=("DL-Wald",), replicates=reps,
                                  seed=2019).table.assign(tau=taus)
    below = ex3[ex3["coverage"] < 0.90]
    return {
        "beyond_3_simulation_ex1_min": 100 * cov.min(), "beyond_3_simulation_ex1_max": 100 * cov.max(),
        "beyond_3_simulation_ex1_sd": 100 * cov.std(ddof=1),
        "beyond_3_simulation_ex1_se": 100 * math.sqrt(cov.mean() * (1 - cov.mean()) / reps),
        "beyond_3_simulation_ex2_cov_hk": 100 * ex2.loc["REML-HKSJ", "coverage"],
        "beyond_3_simulation_ex2_cov_ad": 100 * ex2.loc["REML-adhoc", "coverage"],
        "beyond_3_simulation_ex2_w_hk": ex2.loc["REML-HKSJ", "median_width"],
        "beyond_3_simulation_ex2_w_ad": ex2.loc["REML-adhoc", "median_width"],
        "beyond_3_simulation_ex3_tau": float(below["tau"].iloc[0]) if len(below) else math.nan,
        "beyond_3_simulation_ex3_cov": 100 * float(below["coverage"].iloc[0]) if len(below) else math.nan,
    }


def _beyond_4_tsa() -> dict:
    from kmeta import tsa
    from kmeta.reviews import orhurhu2019

    t, yi, sei = _oh_inputs()
    trials = orhurhu2019.trials()
    order = (t.assign(year=trials.loc[t["study"], "year"].to_numpy(), ref=trials.loc[t["study"], "ref"].to_numpy())
             .sort_values(["year", "ref"]))
    y, s = order["yi"].to_numpy(), order["sei"].to_numpy()
    n = trials.loc[order["study"], "n_total"].to_numpy(dtype=float)
    d2 = tsa.diversity(y, sei=s, method="DL")
    ex1 = tsa.required_information_size(2.0, 2.0, 0.05, 0.20, d2)
    obf = tsa.group_sequential_bounds(np.arange(1, 6) / 5, alpha=0.05)
    poc = tsa.group_sequential_bounds(np.arange(1, 6) / 5, alpha=0.05, spending_kind="pocock")
    fe = tsa.tsa(y, sei=s, n=n, delta=1.0, sd=2.0, method="FE", labels=list(order["label"]))
    hit = fe.looks[fe.looks["crossed"] == "benefit"]
    cross = (f"first crosses the monitoring boundary at {int(hit['n_cum'].iloc[0])} patients "
             f"({hit['study'].iloc[0]})" if len(hit) else "does not cross the monitoring boundary")
    return {
        "beyond_4_tsa_ex1_ris": ex1.ris, "beyond_4_tsa_ex1_daris": ex1.daris,
        "beyond_4_tsa_ex2_first": poc.upper[0], "beyond_4_tsa_ex2_last": poc.upper[-1],
        "beyond_4_tsa_ex2_obf_first": obf.upper[0], "beyond_4_tsa_ex2_obf_last": obf.upper[-1],
        "beyond_4_tsa_ex3_ris": fe.ris.daris, "beyond_4_tsa_ex3_cross": cross,
    }


def _beyond_5_planning() -> dict:
    from kmeta import power
    from kmeta.reviews import orhurhu2019

    trials = orhurhu2019.trials()
    n_arm = int(np.median(np.r_[trials["n_ketamine"], trials["n_control"]]))
    return {
        "beyond_5_planning_ex3_n_usual": n_arm,
        "beyond_5_planning_ex3_k_usual": power.k_for_power(1.0, n_per_arm=n_arm, sd=2.0, tau2=0.25, power=0.9),
        "beyond_5_planning_ex1_plain": power.n_two_means(2.0, 2.0).n1,
        "beyond_5_planning_ex1_anc": power.n_two_means(2.0, 2.0, rho=0.5).n1,
        "beyond_5_planning_ex2_sd2": power.power_two_means(30, 1.0, 2.0),
        "beyond_5_planning_ex2_sd15": power.power_two_means(30, 1.0, 1.5),
        "beyond_5_planning_ex3_k": power.k_for_power(1.0, n_per_arm=40, sd=2.0, tau2=0.25),
    }


def _clinsummary_claims() -> dict:
    from kmeta.reviews import clinsummary, orhurhu2019

    g = orhurhu2019.grade().set_index("outcome_id").loc["responders"]
    rr = (g["ketamine_events"] / g["ketamine_n"]) / (g["placebo_events"] / g["placebo_n"])
    claims = clinsummary.claims()
    cites3 = [cid for cid, cites in claims["cites"].items() if "3" in [c.strip() for c in str(cites).split(",")]]
    return {"clinsummary_claims_ex1_rr": float(rr), "clinsummary_claims_ex2_n": len(cites3),
            "clinsummary_claims_ex2_ids": ", ".join(cites3)}


def _michelet2018_comparison() -> dict:
    from kmeta.reviews import michelet2018

    w12, w8 = _published("time.wk12.md"), _published("time.wk8.md")
    e1 = michelet2018.implied_test(w12["estimate"], w12["ci_low"], w12["ci_high"]).iloc[0]
    upper = abs(w8["ci_high"])  # the lost-minus reading: +0.40
    printed = michelet2018.implied_test(w8["estimate"], w8["ci_low"], w8["ci_high"]).iloc[0]
    return {
        "michelet2018_comparison_ex1_se": e1["se"], "michelet2018_comparison_ex1_z": e1["z"],
        "michelet2018_comparison_ex1_p": e1["p"],
        "michelet2018_comparison_ex2_centre": (w8["ci_low"] + upper) / 2,
        "michelet2018_comparison_ex2_p": michelet2018.implied_test(w8["estimate"], w8["ci_low"], upper).iloc[0]["p"],
        "michelet2018_comparison_ex2_p_printed": printed["p"],
    }


def _orhurhu2019summary_fidelity() -> dict:
    from kmeta.reviews import clinsummary, orhurhu2019summary

    ev = clinsummary.evidence()
    fid = orhurhu2019summary.fidelity(ev)
    what = fid[fid["part"] == "What?"]
    return {
        "orhurhu2019summary_fidelity_ex1_n": len(what),
        "orhurhu2019summary_fidelity_ex1_faithful": int((what["verdict"] == "faithful").sum()),
        "os_dose_p": ev["dose_metareg_p"], "os_n_high": ev["n_high"], "os_n_low": ev["n_low"],
        "orhurhu2019summary_fidelity_ex2_p": ev["dose_metareg_p"],
        "orhurhu2019summary_fidelity_ex2_n_high": ev["n_high"],
        "orhurhu2019summary_fidelity_ex2_n_low": ev["n_low"],
    }


def _practice2016_dosing_pk() -> dict:
    from kmeta import dosing, pk
    from kmeta.reviews import practice2016

    weight = dosing.REFERENCE_WEIGHT_KG
    par = practice2016.pk_parameters()

    def span(name, k, scale=1.0):
        return np.linspace(par.loc[name, "value_low"], par.loc[name, "value_high"], k) * scale

    cl = pk.clearance_l_per_h(span("clearance", 5), weight)
    v = span("volume_of_distribution", 5, weight)
    ta = span("t_half_redistribution", 3, 1 / 60)

    def grid(tb_hours):
        CL, VSS, TA, TB = [a.ravel() for a in np.meshgrid(cl, v, ta, tb_hours)]
        return pk.two_compartment_from_half_lives(CL, VSS, TA, TB)

    before = grid(span("t_half_elimination", 3))
    terminal = grid(span("t_half_terminal", 3, 1 / 60))
    sig = pk.constant_infusion(dosing.rate_to_mg_per_h(0.32, "mg/kg/h", weight), 100.0)
    t_end = np.array([99.9])

    def plateau(prm):
        return float(np.median(pk.two_compartment(t_end, sig, params=prm)[prm.feasible]) * 1000)

    course = dosing.cumulative_dose_mg(0.5, "mg/kg/h", 100, weight)
    return {
        "practice2016_dosing_pk_ex1_total": dosing.cumulative_dose_mg(0.35, "mg/kg/h", 40, weight_kg=100,
                                                                      cap_mg_per_h=25),
        "practice2016_dosing_pk_ex1_rate": 25.0 / 100,
        "practice2016_dosing_pk_ex2_feasible": int(terminal.feasible.sum()),
        "pr_n_grid": int(before.feasible.size), "pr_n_feasible": int(before.feasible.sum()),
        "practice2016_dosing_pk_ex2_n_grid": int(before.feasible.size),
        "practice2016_dosing_pk_ex2_n_before": int(before.feasible.sum()),
        "practice2016_dosing_pk_ex2_plateau": plateau(terminal),
        "practice2016_dosing_pk_ex2_plateau_before": plateau(before),
        "practice2016_dosing_pk_ex3_min_hi": 60 * 1.0 / 1.0, "practice2016_dosing_pk_ex3_min_lo": 60 * 1.0 / 0.5,
        "practice2016_dosing_pk_ex3_course": course,
        "practice2016_dosing_pk_ex3_ratio": course / dosing.amount_to_mg(1, "mg/kg", weight),
    }


def _sbu2018_landscape() -> dict:
    from kmeta.reviews import sbu2018

    rev = sbu2018.reviews()
    ex1 = rev[(rev["routes"] == "IV only") & (rev["meta_analysis"] == "yes")]
    # the exercise's made-up citation matrix: review -> trials included
    matrix = {"review 1": "ABC", "review 2": "ABDE", "review 3": "AB", "review 4": "ABCDEF"}
    n_ticks = sum(len(v) for v in matrix.values())
    r, c = len(set("".join(matrix.values()))), len(matrix)
    recoded = rev["conclusion_code"].copy()
    recoded["azari2012"] = "favourable"
    recoded["mcnicol2014"] = "unfavourable"
    counts = recoded.value_counts()
    return {
        "sbu2018_landscape_ex1_n": len(ex1), "sbu2018_landscape_ex1_labels": ", ".join(ex1["label"]),
        "sbu2018_landscape_ex2_N": n_ticks, "sbu2018_landscape_ex2_r": r,
        "sbu2018_landscape_ex2_cca": 100 * (n_ticks - r) / (r * c - r),
        **{f"sbu2018_landscape_ex3_{short}": int(counts.get(code, 0))
           for short, code in (("fav", "favourable"), ("inc", "inconclusive"), ("unfav", "unfavourable"),
                               ("mixed", "mixed"))},
    }


def _zhao2018_crps_proportions() -> dict:
    import kmeta
    from kmeta import transforms
    from kmeta.reviews import zhao2018

    fu = zhao2018.published().loc["zhao.followup.rate"]
    cons = zhao2018.ci_consistency(fu["estimate"], fu["ci_low"], fu["ci_high"])
    names = {"PLO": "the logit scale", "PR": "the raw scale", "PFT": "Freeman–Tukey"}
    ruled = cons.loc[~cons["consistent"], "scale"].unique().tolist()
    ex2 = zhao2018.implied_heterogeneity(fu["estimate"], fu["ci_low"], fu["ci_high"], k=6, n_total=100).iloc[0]
    # the chapter's labelled rare-event example (made-up counts, stated in the chapter)
    n_rare = np.array([5, 6, 8, 10, 2000])
    x_rare = np.array([0, 0, 1, 0, 20])
    ft = kmeta.meta(kmeta.effect_sizes("PFT", events=x_rare, n=n_rare), method="DL")
    gm = float(np.exp(np.mean(np.log(n_rare))))
    am = float(n_rare.mean())
    return {
        "zhao2018_crps_proportions_ex1_lower": int(fu["estimate"] - fu["ci_low"]),
        "zhao2018_crps_proportions_ex1_upper": int(fu["ci_high"] - fu["estimate"]),
        "zhao2018_crps_proportions_ex1_ruled_out": ", ".join(names[s] for s in ruled) or "none",
        "zhao2018_crps_proportions_ex2_tau": 100 * ex2["tau"], "zhao2018_crps_proportions_ex2_i2": ex2["i2"],
        "zhao2018_crps_proportions_ex3_gm": gm,
        "zhao2018_crps_proportions_ex3_est": 100 * transforms.transf_ipft(ft.estimate, gm),
        "zhao2018_crps_proportions_ex3_am": am,
        "zhao2018_crps_proportions_ex3_est_am": 100 * transforms.transf_ipft(ft.estimate, am),
        "zhao2018_crps_proportions_ex3_est_total": 100 * transforms.transf_ipft(ft.estimate, n_rare.sum()),
    }


#: chapter stem -> function recomputing the values its solutions quote
RECOMPUTE = {
    "appraisal_amstar2": _appraisal_amstar2,
    "methods_reading_meta_analysis": _methods_reading_meta_analysis,
    "beyond_1_estimators": _beyond_1_estimators,
    "beyond_2_bayes": _beyond_2_bayes,
    "beyond_3_simulation": _beyond_3_simulation,
    "beyond_4_tsa": _beyond_4_tsa,
    "beyond_5_planning": _beyond_5_planning,
    "clinsummary_claims": _clinsummary_claims,
    "michelet2018_comparison": _michelet2018_comparison,
    "orhurhu2019summary_fidelity": _orhurhu2019summary_fidelity,
    "practice2016_dosing_pk": _practice2016_dosing_pk,
    "sbu2018_landscape": _sbu2018_landscape,
    "zhao2018_crps_proportions": _zhao2018_crps_proportions,
}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(stored, fresh) -> bool:
    stored, fresh = _plain(stored), _plain(fresh)
    if _is_number(stored) and _is_number(fresh):
        if math.isnan(stored) or math.isnan(fresh):
            return math.isnan(stored) and math.isnan(fresh)
        return fresh == pytest.approx(stored, rel=1e-6, abs=1e-9)
    return stored == fresh


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_solutions_match_an_independent_recomputation(stem):
    assert stem in RECOMPUTE, (
        f"{stem}: no recomputation of its solutions in tests/test_exercises.py (add one to RECOMPUTE)"
    )
    stored = glued(stem)
    fresh = {k: _plain(v) for k, v in RECOMPUTE[stem]().items()}
    numeric = [k for k in solution_keys(stem) if _is_number(stored.get(k))]
    not_recomputed = [k for k in numeric if k not in fresh]
    assert not not_recomputed, f"{stem}: numeric answers not recomputed here: {not_recomputed}"
    compared = [k for k in fresh if k in stored]
    assert compared, f"{stem}: nothing to compare"
    stale = {k: (stored[k], fresh[k]) for k in compared if not _same(stored[k], fresh[k])}
    assert not stale, f"{stem}: stored answer != recomputed (stored, recomputed): {stale}"


# ----------------------------------------------------------------------------- the Orhurhu chapters

def _orhurhu2019_0_scorecard() -> dict:
    from kmeta.reviews import orhurhu2019
    from kmeta.reviews.orhurhu2019 import reconstruction
    from kmeta.reviews.orhurhu2019.scorecard import owner

    card = orhurhu2019.scorecard()
    results = card[card["section"] == "results"]
    i2_ids = list(reconstruction.OVERALL_I2_CLAIMS)
    ok = card[card["claim_id"].isin(i2_ids) & (card["status"] != "inconsistent within the paper")]
    return {
        "oh0_ex1_n": len(results), "oh0_ex1_rep": int((results["status"] == "reproduced").sum()),
        "oh0_ex1_pct": 100.0 * float((results["status"] == "reproduced").mean()),
        "oh0_ex1_bad": int((results["status"] == "inconsistent within the paper").sum()),
        "oh0_ex2_ids": ", ".join(i2_ids),
        "oh0_ex2_owner": ", ".join(sorted({owner(c) for c in i2_ids})),
        "oh0_ex2_ok": ", ".join(ok["claim_id"]),
    }


def _orhurhu2019_1_trials() -> dict:
    from kmeta.reviews import orhurhu2019
    from kmeta.reviews.orhurhu2019 import dose

    T = orhurhu2019.trials()
    W = orhurhu2019.risk_of_bias(wide=True)
    assigned = T["dose_group"].notna()
    g80 = dose.dose_groups(dose.regimens(weight=80)["dose_mean_rate"])
    amr = T.loc["amr2010"]
    prim = T.index[T["in_primary"].astype(bool)]
    sizes = T["n_total"].astype(int).copy()
    e = T.loc["eichenberger2008"]
    sizes["eichenberger2008"] = int(e["n_ketamine"] + e["n_control"])
    return {
        "oh1_ex1_changed": int((g80[assigned] != T.loc[assigned, "dose_group"]).sum()),
        "oh1_ex1_amr_w": dose.THRESHOLD_MG / (amr["rate"] * amr["infusion_hours_total"]),
        "oh1_ex2_all": 100 * float((W["overall"] == "high").mean()),
        "oh1_ex2_prim": 100 * float((W.loc[prim, "overall"] == "high").mean()),
        "oh1_ex3_sizes": ", ".join(str(v) for v in sorted(sizes)),
        "oh1_ex3_med": float(sizes.median()),
    }


def _orhurhu2019_2_primary() -> dict:
    from scipy import stats

    import kmeta
    from kmeta import forensics
    from kmeta.reviews import orhurhu2019

    low = _published("sub.lowdose.md")
    pc = forensics.check_p_from_ci(low["estimate"], low["ci_low"], low["ci_high"], str(low["p_text"]))
    q = forensics.q_interval_from_i2(_published("sub.crps.md")["i2"], 1)
    full = orhurhu2019.reconstruct(full=True)
    tab = full.table.set_index("study")
    crps = tab.loc[["sigtermans2009", "schwartzman2009"]]
    rc = kmeta.meta(crps["yi"].to_numpy(), sei=crps["sei"].to_numpy(), method="DL")
    sw = full.fit.swap("noppers2011", "mitchell2002")
    z = stats.norm.ppf(0.975)
    sig = [s for s, y, e in zip(sw.labels, sw.yi, sw.sei) if y + z * e < 0 or y - z * e > 0]
    half = (low["ci_high"] - low["ci_low"]) / 2
    return {
        "oh2_ex1_half": half, "oh2_ex1_crit": half / pc.se,
        "oh2_ex1_top": forensics.rounding_interval(float(low["p_value"]), 4)[1],
        "oh2_ex3_res0": full.fit.max_abs_residual,
        "oh2_ex1_se": pc.se, "oh2_ex1_z": abs(pc.z), "oh2_ex1_p": pc.p, "oh2_ex1_pmin": pc.p_low,
        "oh2_ex1_verdict": pc.verdict,
        "oh2_ex2_qlo": q.q_low, "oh2_ex2_qhi": q.q_high, "oh2_ex2_q": rc.q, "oh2_ex2_tau2": rc.tau2,
        "oh2_maxres": full.fit.max_abs_residual, "oh2_ex3_res": sw.max_abs_residual,
        "oh2_ex3_n": len(sig), "oh2_ex3_which": ", ".join(tab.loc[s, "label"] for s in sig),
    }


def _orhurhu2019_3_timecourse() -> dict:
    from scipy import stats

    from kmeta import forensics
    from kmeta.reviews import orhurhu2019
    from kmeta.reviews.orhurhu2019 import timecourse

    T = orhurhu2019.trials()
    c8 = _published("time.wk8.md")
    z = stats.norm.isf(c8["p_value"] / 2)
    se = abs(c8["estimate"]) / z
    zc = stats.norm.ppf(0.975)
    lo_ep, hi_ep = c8["estimate"] - zc * se, c8["estimate"] + zc * se
    s_schw = 2.0 * math.sqrt(1 / T.loc["schwartzman2009", "n_ketamine"] + 1 / T.loc["schwartzman2009", "n_control"])
    reg = timecourse.two_trial_region("time.wk12.md", s1=[s_schw]).iloc[0]
    q02 = stats.chi2.isf(float(_published("table2.fn_g.p")["p_value"]), 2)
    i2_02 = 100 * (q02 - 2) / q02
    c2 = _published("time.wk2.md")
    pool = forensics.published_pool("2 weeks, I2 from P = .02", orhurhu2019.studies_of(c2["studies"]),
                                    estimate=c2["estimate"], ci_low=c2["ci_low"], ci_high=c2["ci_high"],
                                    i2=round(i2_02, 1), method="DL")
    r2 = forensics.reconstruct([pool], starts=6, candidates=512, seed=1, time_limit=600)
    return {
        "oh3_ex1_z": z, "oh3_ex1_se": se, "oh3_ep_lo": lo_ep, "oh3_ep_hi": hi_ep,
        "oh3_ex1_dlo": abs(c8["ci_low"] - lo_ep), "oh3_ex1_dhi": abs(c8["ci_high"] - hi_ep),
        "oh3_ex1_dhi_plus": abs(abs(c8["ci_high"]) - hi_ep),
        "oh3_ex2_s_schw": s_schw, "oh3_ex2_s_sig": reg["s2"], "oh3_ex2_y_lo": reg["y2_low"],
        "oh3_ex2_y_hi": reg["y2_high"], "oh3_ex2_y2_lo": reg["y1_low"], "oh3_ex2_y2_hi": reg["y1_high"],
        "oh3_q02": q02, "oh3_i2_02": i2_02, "oh3_ex3_i2_printed": f"{round(i2_02, 1):.1f}%",
        "oh3_ex3_feasible": "feasible" if r2.feasible else "infeasible",
        "oh3_ex3_min": float(np.min(r2.yi)), "oh3_ex3_max": float(np.max(r2.yi)),
    }


def _orhurhu2019_4_secondary() -> dict:
    from scipy import stats

    from kmeta import effect_sizes
    from kmeta.reviews.orhurhu2019 import checks_secondary, secondary

    search = checks_secondary.responder_search()
    dl10 = search[("DL", 10)]
    sp = search["dl_match"].iloc[0]
    arms10 = secondary.responder_arms(10)
    c = _published("ae.nausea.rr")
    z = stats.norm.isf(c["p_value"] / 2)
    se = math.log(c["estimate"]) / z
    zc = stats.norm.ppf(0.975)
    se_printed = (math.log(c["ci_high"]) - math.log(c["ci_low"])) / (2 * zc)
    events = [0, int(sp["c_salas2012"]), int(sp["c_eichenberger2008"])]
    n = [12, int(arms10.loc["salas2012", "n2"]), int(arms10.loc["eichenberger2008", "n2"])]
    pp = secondary.pooled_proportion(events, n)
    return {
        "oh4_n_rrci_only": int(dl10["match_rr_ci"].sum()), "oh4_m_p": sp["pval"],
        "oh4_ex2_z": z, "oh4_ex2_se": se, "oh4_ex2_lo": c["estimate"] * math.exp(-zc * se),
        "oh4_ex2_hi": c["estimate"] * math.exp(zc * se), "oh4_ex2_se_printed": se_printed,
        "oh4_sal_c": events[1], "oh4_eic_c": events[2],
        "oh4_ex3_est": 100 * pp["estimate"], "oh4_ex3_lo": 100 * pp["ci_low"], "oh4_ex3_hi": 100 * pp["ci_high"],
        "oh4_ex3_crude": 100 * sum(events) / sum(n),
        "oh4_ex3_y0": float(effect_sizes("PFT", events=[0], n=[12])["yi"].iloc[0]),
    }


def _orhurhu2019_5_certainty() -> dict:
    from scipy import optimize

    from kmeta.power import n_two_means, power_two_means
    from kmeta.reviews import orhurhu2019
    from kmeta.reviews.orhurhu2019 import certainty

    order = ["not serious", "serious", "very serious"]
    domains = ["risk_of_bias", "inconsistency", "indirectness", "imprecision"]
    row = orhurhu2019.grade().set_index("outcome_id").loc["primary"]
    hits = []
    for d in domains:
        i = order.index(row[d])
        if i > 0:
            ratings = [order[i - 1] if dd == d else row[dd] for dd in domains]
            if certainty.grade_certainty(ratings)[0] == row["certainty"]:
                hits.append(f"{d.replace('_', ' ')} from {row[d]} to {order[i - 1]}")
    return {
        "oh5_ex1_n": len(hits), "oh5_ex1_which": "; ".join(hits),
        "oh5_ex2_power": power_two_means(59, 1.0, 2.0, n2=60),
        "oh5_ex2_delta": optimize.brentq(lambda d: power_two_means(59, d, 2.0, n2=60) - 0.9, 0.1, 5.0, xtol=1e-12),
        "oh5_ex3_n1": n_two_means(1.0, 2.5).n1, "oh5_ex3_n15": n_two_means(1.5, 2.5).n1,
    }


RECOMPUTE.update({
    "orhurhu2019_0_scorecard": _orhurhu2019_0_scorecard,
    "orhurhu2019_1_trials": _orhurhu2019_1_trials,
    "orhurhu2019_2_primary": _orhurhu2019_2_primary,
    "orhurhu2019_3_timecourse": _orhurhu2019_3_timecourse,
    "orhurhu2019_4_secondary": _orhurhu2019_4_secondary,
    "orhurhu2019_5_certainty": _orhurhu2019_5_certainty,
})
