"""Speed of kmeta's pooling, measured as ratios in one run.

    OMP_NUM_THREADS=1 python bench/bench_meta.py [--quick]

Measures, for k = 6 studies per meta-analysis:

* ``kmeta.meta_batch`` (DL, REML, PM) over arrays of shape (replicates, 6);
* a Python loop over ``kmeta.meta`` (one call per meta-analysis);
* a Python loop over statsmodels' ``combine_effects`` (DL), the other Python
  implementation of random-effects pooling (install statsmodels to include it);

and prints meta-analyses per second and the ratios between them, then writes the
table to ``bench/results/bench_meta.csv``. The issue's targets on one core:
DL >= 5e6/s and REML >= 5e5/s for ``meta_batch``, and scalar ``meta`` at least 2x
faster than ``combine_effects`` for DL. This is a measurement, not a test: CI does
not run it, and the numbers depend on the machine and what else it is doing.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import kmeta

K = 6


def _data(R, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.05, 0.5, size=(R, K))
    y = rng.normal(0.0, np.sqrt(v + 0.1))
    return y, v


def _rates(cases, repeat):
    """Best of ``repeat`` timings of each case, in meta-analyses per second.

    ``cases`` is a list of (implementation, method, fn, n). The cases are timed in
    turn, round after round, so that a slow spell of a shared machine falls on all of
    them alike rather than on whichever was running; the best (least disturbed) time
    of each is kept.
    """
    for *_, fn, _n in cases:
        fn()  # warm up
    best = [np.inf] * len(cases)
    for _ in range(repeat):
        for i, (*_, fn, _n) in enumerate(cases):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [(impl, method, n / b) for (impl, method, _fn, n), b in zip(cases, best)]


def main(quick=False, repeat=7):
    R_batch = {"DL": 1_000_000, "REML": 200_000, "PM": 200_000}
    n_loop = 2_000
    if quick:
        R_batch = {m: r // 20 for m, r in R_batch.items()}
        n_loop = 200
        repeat = 2
    cases = []
    for method, R in R_batch.items():
        y, v = _data(R)
        cases.append(("kmeta.meta_batch", method,
                      lambda y=y, v=v, method=method: kmeta.meta_batch(y, v, method=method), R))
    y, v = _data(n_loop, seed=1)
    for method in ("DL", "REML"):
        cases.append(("loop over kmeta.meta", method,
                      lambda method=method: [kmeta.meta(y[i], v[i], method=method) for i in range(n_loop)],
                      n_loop))
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:  # pragma: no cover - optional comparison
        print("statsmodels not installed: skipping combine_effects")
    else:
        def sm_loop():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # combine_effects warns on sqrt of negative HKSJ variances
                for i in range(n_loop):
                    combine_effects(y[i], v[i], method_re="dl")
        cases.append(("loop over statsmodels combine_effects", "DL", sm_loop, n_loop))
    rows = _rates(cases, repeat)

    table = pd.DataFrame(rows, columns=["implementation", "method", "per_second"])
    dl_scalar = table.query("implementation == 'loop over kmeta.meta' and method == 'DL'").per_second.iloc[0]
    table["ratio_to_scalar_meta_DL"] = table.per_second / dl_scalar
    # the targets for meta_batch (one core, k = 6), and how far each run gets
    target = {("kmeta.meta_batch", "DL"): 5e6, ("kmeta.meta_batch", "REML"): 5e5}
    table["target_per_second"] = [target.get((i, m), np.nan) for i, m in zip(table.implementation, table.method)]
    table["fraction_of_target"] = table.per_second / table.target_per_second
    print(f"k = {K}; {platform.processor() or platform.machine()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; load average {os.getloadavg()[0]:.2f}")
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 140):
        print(table.to_string(index=False))
    sm = table.query("implementation.str.startswith('loop over statsmodels')", engine="python")
    if len(sm):
        print(f"\nscalar kmeta.meta (DL) is {dl_scalar / sm.per_second.iloc[0]:.1f}x statsmodels "
              "combine_effects (target: at least 2x)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    table.to_csv(out / "bench_meta.csv", index=False)
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeat", type=int, default=7, help="rounds of timings (best kept; default 7)")
    main(**vars(parser.parse_args()))
