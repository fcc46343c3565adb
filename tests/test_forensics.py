"""kmeta.forensics on synthetic cases where the truth is known, and hand-made checks."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import special

from kmeta import meta, meta_batch
from kmeta.forensics import (
    Printed,
    begg_attainable_pvalues,
    check_begg_p,
    check_ci_midpoint,
    check_egger_p,
    check_i2_pair,
    check_p_from_ci,
    check_percent,
    check_sum,
    drop_one,
    feasible_ranges,
    predict_pools,
    published_pool,
    q_interval_from_i2,
    reconstruct,
    rounding_interval,
    symmetries,
)
from kmeta.forensics.reconstruct import _Problem, parse_printed

LABELS = ["a", "b", "c", "d", "e", "f"]
SUBSETS = {
    "all": LABELS,
    "g1": ["a", "b", "c"],
    "g2": ["d", "e", "f"],
    "h1": ["a", "c", "e"],
    "h2": ["b", "d", "f"],
    "pair": ["a", "d"],
}


def _publish(yi, sei, subsets=SUBSETS, decimals=2, i2_decimals=1, method="DL"):
    """Pool the true inputs and print every figure rounded, as a paper would."""
    pools = []
    for name, studies in subsets.items():
        idx = [LABELS.index(s) for s in studies]
        res = meta(yi[idx], sei=sei[idx], method=method)
        pools.append(published_pool(
            name, studies, estimate=round(res.estimate, decimals), ci_low=round(res.ci_low, decimals),
            ci_high=round(res.ci_high, decimals), i2=round(res.i2, i2_decimals), decimals=decimals,
            i2_decimals=i2_decimals, method=method,
        ))
    return pools


def _truth(seed):
    rng = np.random.default_rng(seed)
    sei = rng.uniform(0.2, 0.9, size=6)
    yi = rng.normal(-1.5, np.sqrt(sei**2 + 0.3))
    return yi, sei


@pytest.fixture(scope="module")
def synthetic():
    yi, sei = _truth(11)
    pools = _publish(yi, sei)
    rec = reconstruct(pools, labels=LABELS, seed=3)
    return yi, sei, pools, rec


# --------------------------------------------------------------------------- reconstruction


def test_truth_reproduces_its_own_rounded_figures(synthetic):
    yi, sei, pools, rec = synthetic
    table = rec.check(yi, sei)
    assert table["holds"].all()


def test_fit_is_feasible_and_matches_every_printed_figure(synthetic):
    yi, sei, pools, rec = synthetic
    assert rec.feasible
    assert rec.max_abs_residual <= 1.0
    # re-pool the fitted inputs independently with meta(): every figure rounds back
    again = predict_pools(pools, rec.labels, rec.yi, rec.sei).set_index("pool")
    for pool in pools:
        for f in pool.figures:
            value = again.loc[pool.name, f.quantity]
            lo, hi = f.bounds()
            assert lo - 1e-9 <= value <= hi + 1e-9, (pool.name, f.quantity, value, f.value)


def test_truth_lies_inside_the_feasible_ranges(synthetic):
    yi, sei, pools, rec = synthetic
    rng_ = feasible_ranges(rec, samples=200, seed=1)
    t = rng_.table
    assert (t["yi_low"] <= yi + 1e-9).all() and (yi <= t["yi_high"] + 1e-9).all()
    assert (t["sei_low"] <= sei + 1e-9).all() and (sei <= t["sei_high"] + 1e-9).all()
    # the fit is inside too, and the ranges are proper intervals
    assert (t["yi_low"] <= t["yi"] + 1e-12).all() and (t["yi"] <= t["yi_high"] + 1e-12).all()
    assert (t["sei_low"] <= t["sei"] + 1e-12).all() and (t["sei"] <= t["sei_high"] + 1e-12).all()
    # every sample is feasible
    prob = _Problem(pools, LABELS)
    theta = np.hstack([rng_.samples_yi, np.log(rng_.samples_sei)])
    r = prob.scaled(prob.predict(theta))
    assert np.max(np.abs(r)) <= 1.0 + 1e-9


def test_reconstruction_is_deterministic(synthetic):
    yi, sei, pools, rec = synthetic
    again = reconstruct(pools, labels=LABELS, seed=3)
    np.testing.assert_array_equal(rec.yi, again.yi)
    np.testing.assert_array_equal(rec.sei, again.sei)
    a = feasible_ranges(rec, samples=64, seed=5).table
    b = feasible_ranges(again, samples=64, seed=5).table
    assert a.equals(b)


def test_fast_path_equals_meta_batch():
    yi, sei = _truth(4)
    pools = _publish(yi, sei)
    prob = _Problem(pools, LABELS)
    rng = np.random.default_rng(0)
    T = np.hstack([rng.normal(-1, 1, (40, 6)), np.log(rng.uniform(0.1, 2, (40, 6)))])
    pred = prob.predict(T)
    for p, pool in enumerate(pools):
        m = prob.mask[p]
        res = meta_batch(np.where(m, T[:, :6], np.nan), np.where(m, np.exp(2 * T[:, 6:]), np.nan), method="DL")
        for i, (pp, f) in enumerate(zip(prob.fig_pool, prob.fig)):
            if pp != p:
                continue
            want = getattr(res, f.quantity)
            got = np.maximum(pred[:, i], 0.0) if f.quantity == "i2" else pred[:, i]
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_other_estimators_use_meta_batch():
    yi, sei = _truth(5)
    pools = _publish(yi, sei, subsets={"all": LABELS, "g1": ["a", "b", "c"], "g2": ["d", "e", "f"]}, method="REML")
    rec = reconstruct(pools, labels=LABELS, starts=8, seed=0)
    table = rec.check(yi, sei)
    assert table["holds"].all()
    assert rec.feasible


def test_fixed_parameter_at_truth_stays_feasible(synthetic):
    yi, sei, pools, rec = synthetic
    fixed = {("a", "sei"): float(sei[0]), ("b", "yi"): float(yi[1])}
    r = reconstruct(pools, labels=LABELS, fixed=fixed, starts=12, seed=1)
    assert r.feasible
    assert r.sei[0] == pytest.approx(sei[0], rel=1e-12)
    assert r.yi[1] == pytest.approx(yi[1], rel=1e-12)


def test_drop_one_finds_a_corrupted_figure():
    yi, sei = _truth(11)
    pools = _publish(yi, sei)
    # print the overall I^2 three points off: no input set can satisfy it with the rest
    bad = pools[0]
    figs = tuple(
        Printed("i2", f.value + 3.0, f.decimals) if f.quantity == "i2" else f for f in bad.figures
    )
    pools = [published_pool("all", bad.studies)] + pools[1:]
    pools[0] = type(bad)(name="all", studies=bad.studies, figures=figs)
    rec = reconstruct(pools, labels=LABELS, seed=0)
    assert not rec.feasible
    d = drop_one(rec)
    assert d.full_max_abs_residual > 1.0
    assert "all: i2" in d.culprits
    row = d.table[(d.table["pool"] == "all") & (d.table["quantity"] == "i2")].iloc[0]
    assert row["feasible"] and abs(row["residual"]) > 1.0


def test_one_sided_zero_i2_is_q_below_df():
    p = Printed("i2", 0.0, 1)
    assert p.kind == "upper"
    lo, hi = p.bounds()
    assert lo == -math.inf and hi == pytest.approx(0.05)
    # a common-effect-looking set of studies (Q < df) satisfies I^2 = 0.0%
    pools = [published_pool("all", ["x", "y", "z"], estimate=-1.0, ci_low=-1.4, ci_high=-0.6, i2=0.0)]
    rec = reconstruct(pools, starts=6, candidates=512, seed=0)
    assert rec.feasible
    q = predict_pools(pools, rec.labels, rec.yi, rec.sei)["q"].iloc[0]
    assert q <= 2.0 / (1 - 0.0005) + 1e-9


def test_symmetries_and_what_breaks_them():
    pools = [
        published_pool("all", ["a", "b", "c", "d"], estimate=-1, ci_low=-2, ci_high=0),
        published_pool("s", ["a", "b"], estimate=-1, ci_low=-2, ci_high=0),
    ]
    sym = symmetries(pools, partitions={"mod": {"a"}, "other": {"a", "b"}})
    assert set(map(frozenset, sym.groups)) == {frozenset({"a", "b"}), frozenset({"c", "d"})}
    row = sym.table[sym.table["studies"].map(set) == {"a", "b"}].iloc[0]
    assert row["broken_by"] == ("mod",)
    row = sym.table[sym.table["studies"].map(set) == {"c", "d"}].iloc[0]
    assert row["unbroken"]


def test_exchangeable_studies_get_the_union_of_ranges():
    yi, sei = _truth(2)
    subsets = {"all": LABELS, "g1": ["a", "b", "c"], "g2": ["d", "e", "f"], "h": ["a", "d", "e"]}
    pools = _publish(yi, sei, subsets=subsets)
    rec = reconstruct(pools, labels=LABELS, starts=8, seed=0)
    assert rec.feasible
    t = feasible_ranges(rec, samples=0).table.set_index("study")
    # b and c are in exactly the same pools (all, g1)
    assert t.loc["b", "exchangeable_with"] == "c"
    assert t.loc["b", "yi_low"] == t.loc["c", "yi_low"] and t.loc["b", "sei_high"] == t.loc["c", "sei_high"]
    swapped = rec.swap("b", "c")
    assert swapped.feasible
    assert swapped.max_abs_residual == pytest.approx(rec.max_abs_residual, abs=1e-9)
    # with an ordering imposed, the union is not taken
    first, second = ("b", "c") if rec.yi[1] <= rec.yi[2] else ("c", "b")
    t2 = feasible_ranges(rec, samples=0, order=[(first, second, "yi")]).table.set_index("study")
    assert t2.loc["b", "exchangeable_with"] == ""


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="quantity"):
        Printed("mean", 1.0, 2)
    with pytest.raises(ValueError, match="studies"):
        published_pool("x", [])
    pools = [published_pool("all", ["a", "b"], estimate=-1, ci_low=-2, ci_high=0)]
    with pytest.raises(ValueError, match="labels"):
        reconstruct(pools, labels=["a", "b", "zzz"])
    with pytest.raises(ValueError, match="fixed"):
        reconstruct(pools, fixed={("a", "sd"): 1.0})
    with pytest.raises(ValueError, match="printed"):
        parse_printed("n/a")


def test_parse_printed():
    assert parse_printed("< .0001") == ("<", 0.0001, 4)
    assert parse_printed("−1.30") == ("=", -1.3, 2)
    assert parse_printed("–2.35") == ("=", -2.35, 2)
    assert parse_printed("48.5%") == ("=", 48.5, 1)
    assert parse_printed("P = .213") == ("=", 0.213, 3)


# --------------------------------------------------------------------------- checks


def test_rounding_interval():
    assert rounding_interval(1.83, 2) == pytest.approx((1.825, 1.835))
    assert rounding_interval(48.5, 1) == pytest.approx((48.45, 48.55))


def test_ci_midpoint():
    assert check_ci_midpoint(-1.75, -2.08, -1.43).verdict == "consistent"
    bad = check_ci_midpoint(-0.68, -1.75, -0.40)  # midpoint -1.075
    assert bad.verdict == "inconsistent" and bad.gap > 0.3
    assert check_ci_midpoint(2.43, 1.10, 5.40, scale="log").verdict == "consistent"
    assert check_ci_midpoint(2.00, 1.10, 5.40, scale="log").verdict == "inconsistent"


def test_p_from_ci_by_hand():
    # estimate 1.96, CI 0.00 to 3.92: se = 1, z = 1.96, P = .05
    c = check_p_from_ci(1.96, 0.0, 3.92, ".050")
    assert c.se == pytest.approx(1.0, rel=1e-3)
    assert c.p == pytest.approx(2 * special.ndtr(-1.96 / c.se), rel=1e-12)
    assert c.verdict == "consistent"
    assert check_p_from_ci(1.96, 0.0, 3.92, "< .001").verdict == "inconsistent"
    # a log-scale ratio: RR 2 [1, 4] -> z = ln2 / (ln4/3.92)
    r = check_p_from_ci(2.0, 1.0, 4.0, ".050", scale="log")
    assert r.z == pytest.approx(math.log(2) / (math.log(4) / (2 * special.ndtri(0.975))))


def test_q_interval_from_i2():
    q = q_interval_from_i2(50.0, 4)
    assert q.q == pytest.approx(8.0)
    assert q.q_low < 8.0 < q.q_high
    assert q.q_low == pytest.approx(4 / (1 - 0.4995)) and q.q_high == pytest.approx(4 / (1 - 0.5005))
    z = q_interval_from_i2(0.0, 3)
    assert z.one_sided and z.q_low == 0.0 and z.q_high == pytest.approx(3 / (1 - 0.0005))
    with pytest.raises(ValueError):
        q_interval_from_i2(100.0, 3)


def test_i2_pair():
    assert check_i2_pair(50.0, 50.1, 4).verdict == "consistent"  # intervals touch at 50.05
    c = check_i2_pair(48.5, 45.9, 5)
    assert c.verdict == "inconsistent" and not c.overlap
    # a pair that is the same Q on another df is found: Q = 10 is I^2 50% on 5 df, 60% on 4 df
    d = check_i2_pair(50.0, 60.0, 5)
    assert 4 in d.other_df


def test_begg_attainable_pvalues_against_brute_force():
    k = 5
    table = begg_attainable_pvalues(k).set_index("S")
    scores = []
    for perm in itertools.permutations(range(k)):
        scores.append(sum(np.sign(perm[j] - perm[i]) for i in range(k) for j in range(i + 1, k)))
    scores = np.abs(np.array(scores))
    sigma = math.sqrt(k * (k - 1) * (2 * k + 5) / 18)
    for s, row in table.iterrows():
        assert row["p_exact"] == pytest.approx(min(1.0, np.mean(scores >= s)))
        assert row["p_normal"] == pytest.approx(2 * special.ndtr(-s / sigma))
        assert row["p_normal_cc"] == pytest.approx(min(1.0, 2 * special.ndtr(-max(s - 1, 0) / sigma)))
    assert set(table.index) == {int(x) for x in np.unique(scores)}


def test_check_begg_p():
    t = begg_attainable_pvalues(6)
    p = float(t.loc[t["S"] == 5, "p_exact"].iloc[0])
    ok = check_begg_p(round(p, 3), 6, decimals=3)
    assert ok.verdict == "consistent" and "exact" in set(ok.matches["variant"])
    # a P strictly between attainable values is not attainable
    pv = np.sort(np.concatenate([t["p_exact"], t["p_normal"], t["p_normal_cc"]]))
    gaps = np.diff(pv)
    i = int(np.argmax(gaps))
    mid = round((pv[i] + pv[i + 1]) / 2, 3)
    assert check_begg_p(mid, 6, decimals=3).verdict == "inconsistent"


def test_check_egger_p_round_trip():
    t = 1.234
    p = 2 * special.stdtr(4, -t)
    c = check_egger_p(round(p, 3), 6, decimals=3, t=t)
    assert c.df == 4 and c.t_low <= t <= c.t_high and c.verdict == "consistent"
    assert check_egger_p(round(p, 3), 6, decimals=3, t=2.5).verdict == "inconsistent"


def test_check_percent():
    assert check_percent(51.3, count=17, denominator=33).verdict == "inconsistent"
    assert check_percent(51.5, count=17, denominator=33).verdict == "consistent"
    cand = check_percent(51.3, max_denominator=40).candidates
    assert {(20, 39)} <= set(zip(cand["count"], cand["denominator"]))
    for n, d in zip(cand["count"], cand["denominator"]):
        assert round(100 * n / d, 1) == 51.3


def test_check_sum():
    assert check_sum([108, 103], 211).verdict == "consistent"
    c = check_sum([60, 19, 40], 118)
    assert c.verdict == "inconsistent" and c.difference == 1


def test_figure_range_contains_the_truth_and_flags_a_wrong_figure(synthetic):
    import dataclasses

    from kmeta.forensics import figure_range

    yi, sei, pools, rec = synthetic
    # the overall I^2 as a checked figure only: its range given the other figures
    first = pools[0]
    figs = tuple(dataclasses.replace(f, fit=False) if f.quantity == "i2" else f for f in first.figures)
    free_pools = [dataclasses.replace(first, figures=figs)] + list(pools[1:])
    free = dataclasses.replace(rec, pools=tuple(free_pools))
    r = figure_range(free, "all", "i2")
    true_i2 = meta(yi, sei=sei, method="DL").i2
    assert r.low - 1e-9 <= true_i2 <= r.high + 1e-9
    assert r.attainable and r.low <= r.fit <= r.high
    # a printed value far outside the range is not attainable
    wrong = dataclasses.replace(figs[3], value=round(r.high + 5.0, 1)) if figs[3].quantity == "i2" else None
    assert wrong is not None
    bad_pools = [dataclasses.replace(first, figures=figs[:3] + (wrong,))] + list(pools[1:])
    bad = figure_range(dataclasses.replace(rec, pools=tuple(bad_pools)), "all", "i2")
    assert not bad.attainable
    with pytest.raises(ValueError, match="prints no"):
        figure_range(free, "all", "tau2")


def test_begg_with_tied_variances_and_initial_points(synthetic):
    t = begg_attainable_pvalues(6, tied_variances=(2,))
    assert t["p_exact"].isna().all()
    assert (t["S"] % 2 == 0).all() and t["S"].max() == 14
    c = check_begg_p(".380", 6, tied_variances=(2,))
    assert set(c.nearest["variant"]) == {"normal", "normal_cc"}
    # a starting point at the truth: the fit is feasible and no worse than the truth's residuals
    yi, sei, pools, rec = synthetic
    r = reconstruct(pools, labels=LABELS, starts=1, candidates=8, initial=[(yi, sei)], seed=0)
    assert r.feasible
    with pytest.raises(ValueError, match="initial"):
        reconstruct(pools, labels=LABELS, initial=[(yi[:3], sei)])
