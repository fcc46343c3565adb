"""Speed of the coverage simulation (chapter "How sure can we be?"), measured as ratios in one run.

    OMP_NUM_THREADS=1 python bench/bench_simulation.py [--quick]

The workload is the chapter's: meta-analyses of k = 6 trials simulated by
``kmeta.simulate.simulate_md`` (arm sizes of the Orhurhu et al. 2019 trials, SD about 2
points, tau^2 = 0.25), each pooled and given a 95% interval. For each interval method it
measures replicates (meta-analyses) per second of

* ``kmeta.meta_batch`` / ``kmeta.bayes.bayesmeta_batch`` on the whole (replicates, 6) array;
* a Python loop over ``kmeta.meta`` / ``kmeta.bayes.bayesmeta`` (one call per replicate);
* a Python loop over statsmodels' ``combine_effects`` (DerSimonian-Laird and Paule-Mandel,
  Wald and HKSJ intervals), the other Python implementation of random-effects pooling;

and the wall time of the chapter's complete coverage study (``coverage_study()`` with its
defaults: 7 values of k x 5 values of tau^2 x 10 000 replicates x 4 methods). It prints a
table with the ratios to the scalar loop and writes it to
``bench/results/bench_simulation.csv``. A measurement, not a test: CI does not run it and
the numbers depend on the machine and its load (printed with the table).
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
from kmeta import bayes, simulate

K, TAU2 = 6, 0.25


def _rate(fn, n, repeat=3):
    """Best of ``repeat`` runs, in replicates per second."""
    fn()  # warm up
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(quick=False):
    R_batch, n_loop, n_sm, n_bayes = (100_000, 2_000, 500, 200) if not quick else (5_000, 200, 50, 20)
    arms = simulate.orhurhu_arm_sizes()
    big = simulate.simulate_md(K, TAU2, replicates=R_batch, seed=1, arm_sizes=arms)
    small = simulate.simulate_md(K, TAU2, replicates=n_loop, seed=2, arm_sizes=arms)
    y, v = big.yi, big.vi
    ys, vs = small.yi, small.vi
    rows = []
    for label, method, test in [("DL-Wald", "DL", "z"), ("PM-HKSJ", "PM", "knha"), ("REML-HKSJ", "REML", "knha")]:
        rows.append(("kmeta.meta_batch", label,
                     _rate(lambda: kmeta.meta_batch(y, v, method=method, test=test), R_batch)))
        rows.append(("loop over kmeta.meta", label,
                     _rate(lambda: [kmeta.meta(ys[i], vs[i], method=method, test=test) for i in range(n_loop)],
                           n_loop)))
    rows.append(("kmeta.bayes.bayesmeta_batch", "Bayes HN(1)",
                 _rate(lambda: bayes.bayesmeta_batch(y, v, median=False), R_batch, repeat=2)))
    rows.append(("loop over kmeta.bayes.bayesmeta", "Bayes HN(1)",
                 _rate(lambda: [bayes.bayesmeta(ys[i], vs[i]) for i in range(n_bayes)], n_bayes, repeat=1)))
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:  # pragma: no cover - optional comparison
        print("statsmodels not installed: skipping combine_effects")
    else:
        def sm_loop(method_re, hksj):
            def run():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    for i in range(n_sm):
                        res = combine_effects(ys[i], vs[i], method_re=method_re, use_t=hksj)
                        # (fixed, random, fixed wls, random wls): Wald RE is [1], HKSJ is [3]
                        res.conf_int(use_t=hksj)[3 if hksj else 1]
            return run
        rows.append(("loop over statsmodels combine_effects", "DL-Wald", _rate(sm_loop("dl", False), n_sm)))
        rows.append(("loop over statsmodels combine_effects", "PM-HKSJ", _rate(sm_loop("pm", True), n_sm)))

    table = pd.DataFrame(rows, columns=["implementation", "method", "replicates_per_second"])
    scalar = {m: r for impl, m, r in rows if impl.startswith("loop over kmeta")}
    table["ratio_to_kmeta_loop"] = [r / scalar[m] for _, m, r in rows]

    t0 = time.perf_counter()
    c0 = time.process_time()
    study = simulate.coverage_study(replicates=10_000 if not quick else 500)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_rep = int(study.table["replicates"].sum() / len(study.methods))

    print(f"k = {K}, tau^2 = {TAU2}; {platform.processor() or platform.machine()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
          f"load average {os.getloadavg()[0]:.2f}")
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 120):
        print(table.to_string(index=False))
    print(f"\nchapter coverage study: {n_rep:,} meta-analyses x {len(study.methods)} methods in "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    full = pd.concat([table, pd.DataFrame([{
        "implementation": "kmeta.simulate.coverage_study (whole chapter study)",
        "method": "+".join(study.methods),
        "replicates_per_second": n_rep * len(study.methods) / wall,
        "ratio_to_kmeta_loop": np.nan,
    }])], ignore_index=True)
    full["wall_seconds_study"] = [np.nan] * len(table) + [wall]
    full.to_csv(out / "bench_simulation.csv", index=False)
    return full


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    main(**vars(parser.parse_args()))
