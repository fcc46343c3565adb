r"""Simulated meta-analyses of small two-arm trials, and the coverage of their intervals.

:func:`simulate_md` draws many meta-analyses of ``k`` trials with a continuous outcome
(a mean difference, e.g. on a 0–10 pain scale), as small trials produce them:

1. each trial's arm sizes ``(n1, n2)`` are drawn (with replacement) from a list of real
   trials' arm sizes (by default, the seven trials of Orhurhu et al. 2019);
2. each trial's outcome SD :math:`\sigma_i` is drawn uniformly from
   ``sd * (1 - sd_spread, 1 + sd_spread)``;
3. its true effect is :math:`\theta_i \sim N(\mu, \tau^2)`;
4. the observed mean difference is :math:`y_i \sim N(\theta_i, \sigma_i^2 (1/n_1 + 1/n_2))`,
   and -- as in a real review -- its variance is *estimated* from the two sample SDs,
   :math:`v_i = s_1^2/n_1 + s_2^2/n_2` with :math:`s_j^2 \sim \sigma_i^2\chi^2_{n_j-1}/(n_j-1)`
   (independent of :math:`y_i` under normality).

:func:`coverage_study` runs a grid of scenarios (k × τ²) and reports, for each interval
method, the coverage of the true :math:`\mu`, the rate of rejecting a null value, and the
interval widths, with Monte Carlo standard errors. Every method is applied to all
scenarios at once through :func:`kmeta.meta_batch` / ``kmeta.bayes.bayesmeta_batch``
(rows padded with NaN), so tens of thousands of replicates per scenario take seconds.

Reproducibility: every scenario has its own random stream, seeded by
``numpy.random.SeedSequence([seed, k, round(1e6 * tau2)])``, so a scenario's data do
not depend on which other scenarios are run, nor on the order.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._result import Result
from ._validate import check_level
from .batch import meta_batch
from .bayes import bayesmeta_batch
from .tau2 import METHODS as TAU2_METHODS

__all__ = [
    "SimulatedMeta",
    "simulate_md",
    "orhurhu_arm_sizes",
    "CoverageResult",
    "coverage_study",
    "parse_method",
]

_TESTS = {"WALD": "z", "Z": "z", "HKSJ": "knha", "KNHA": "knha", "T": "t", "ADHOC": "adhoc"}


def orhurhu_arm_sizes() -> np.ndarray:
    """Arm sizes ``(n_ketamine, n_control)`` of the seven trials in Orhurhu et al. 2019.

    Read from ``kmeta.reviews.orhurhu2019.trials()`` (Table 1 of the review), shape (7, 2).
    """
    from .reviews import orhurhu2019

    t = orhurhu2019.trials()
    return t[["n_ketamine", "n_control"]].to_numpy(dtype=float)


@dataclasses.dataclass(frozen=True, repr=False)
class SimulatedMeta(Result):
    """Simulated meta-analyses: arrays of shape ``(replicates, k)``."""

    yi: np.ndarray
    vi: np.ndarray
    theta: np.ndarray
    n1: np.ndarray
    n2: np.ndarray
    sigma: np.ndarray
    mu: float
    tau2: float
    k: int

    @property
    def replicates(self) -> int:
        return int(self.yi.shape[0])

    def summary(self) -> str:
        return (
            f"{self.replicates} simulated meta-analyses of k = {self.k} trials; mu = {self.mu:g}, "
            f"tau^2 = {self.tau2:g}; mean arm size {np.mean(np.r_[self.n1.ravel(), self.n2.ravel()]):.1f}"
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"replicates": self.replicates, "k": self.k, "mu": self.mu, "tau2": self.tau2}])


def _check_int(value, field, minimum):
    try:
        iv = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a whole number, got {value!r}") from None
    if iv != value or iv < minimum:
        raise ValueError(f"{field}: is {value!r}; must be a whole number >= {minimum}")
    return iv


def _check_nonneg(value, field):
    try:
        fv = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected a number, got {value!r}") from None
    if not np.isfinite(fv) or fv < 0:
        raise ValueError(f"{field}: is {value!r}; must be a finite number >= 0")
    return fv


def _arm_sizes(arm_sizes):
    if arm_sizes is None:
        arm_sizes = orhurhu_arm_sizes()
    arr = np.asarray(arm_sizes, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
        raise ValueError(f"arm_sizes: expected pairs (n1, n2), shape (m, 2); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 2) or np.any(arr != np.round(arr)):
        raise ValueError("arm_sizes: every arm needs a whole number of at least 2 patients")
    return arr


def _simulate(rng, k, replicates, mu, tau2, arms, sd, sd_spread):
    R = replicates
    pick = rng.integers(0, arms.shape[0], size=(R, k))
    n1 = arms[pick, 0]
    n2 = arms[pick, 1]
    sigma = sd * rng.uniform(1.0 - sd_spread, 1.0 + sd_spread, size=(R, k))
    theta = mu + np.sqrt(tau2) * rng.standard_normal((R, k))
    se_true = sigma * np.sqrt(1.0 / n1 + 1.0 / n2)
    yi = theta + se_true * rng.standard_normal((R, k))
    s1sq = sigma**2 * rng.chisquare(n1 - 1.0) / (n1 - 1.0)
    s2sq = sigma**2 * rng.chisquare(n2 - 1.0) / (n2 - 1.0)
    vi = s1sq / n1 + s2sq / n2
    return yi, vi, theta, n1, n2, sigma


def _stream(seed, k, tau2):
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(k), int(round(1e6 * tau2))]))


def simulate_md(k, tau2, *, replicates=10_000, mu=0.0, seed=2019, arm_sizes=None, sd=2.0,
                sd_spread=0.25) -> SimulatedMeta:
    """Simulate ``replicates`` meta-analyses of ``k`` two-arm trials (mean differences).

    Parameters
    ----------
    k : int
        Trials per meta-analysis (>= 1).
    tau2 : float
        Between-trial variance of the true effects (>= 0), in squared outcome units.
    replicates : int
        Number of meta-analyses.
    mu : float
        True mean effect.
    seed : int
        Seed; the stream is ``SeedSequence([seed, k, round(1e6 * tau2)])``.
    arm_sizes : array_like of shape (m, 2), optional
        Pairs ``(n1, n2)`` to draw trials from; default :func:`orhurhu_arm_sizes`.
    sd : float
        Typical outcome SD (> 0); each trial's SD is uniform on ``sd*(1 ± sd_spread)``.
    sd_spread : float
        Relative spread of the trials' SDs, in [0, 1).

    Returns
    -------
    SimulatedMeta
        ``yi, vi`` (estimated variances), ``theta`` (true effects), ``n1, n2, sigma``.
    """
    k = _check_int(k, "k", 1)
    replicates = _check_int(replicates, "replicates", 1)
    tau2 = _check_nonneg(tau2, "tau2")
    sd = float(sd)
    if not np.isfinite(sd) or sd <= 0:
        raise ValueError(f"sd: is {sd!r}; the outcome SD must be > 0")
    sd_spread = float(sd_spread)
    if not 0 <= sd_spread < 1:
        raise ValueError(f"sd_spread: is {sd_spread!r}; must be in [0, 1)")
    if not np.isfinite(float(mu)):
        raise ValueError(f"mu: is {mu!r}; must be finite")
    arms = _arm_sizes(arm_sizes)
    yi, vi, theta, n1, n2, sigma = _simulate(_stream(seed, k, tau2), k, replicates, float(mu), tau2,
                                            arms, sd, sd_spread)
    return SimulatedMeta(yi=yi, vi=vi, theta=theta, n1=n1, n2=n2, sigma=sigma, mu=float(mu),
                         tau2=tau2, k=k)


def parse_method(name):
    """``"DL-Wald"`` -> ("DL", "z"); ``"REML-HKSJ"`` -> ("REML", "knha"); ``"Bayes"`` -> ("BAYES", None)."""
    if not isinstance(name, str):
        raise ValueError(f"methods: expected names such as 'DL-Wald', got {name!r}")
    if name.upper().startswith("BAYES"):
        return "BAYES", None
    parts = name.split("-")
    if len(parts) != 2:
        raise ValueError(f"methods: cannot read {name!r}; use '<estimator>-<interval>', e.g. 'DL-Wald', 'REML-HKSJ', or 'Bayes'")
    est = {m.upper(): m for m in TAU2_METHODS}.get(parts[0].upper())
    test = _TESTS.get(parts[1].upper())
    if est is None or test is None:
        raise ValueError(
            f"methods: unknown {name!r}; estimators {list(TAU2_METHODS)}, intervals Wald, HKSJ, t, adhoc"
        )
    return est, test


@dataclasses.dataclass(frozen=True, repr=False)
class CoverageResult(Result):
    """Result of :func:`coverage_study`.

    ``table`` has one row per (k, tau2, method): ``coverage`` (share of intervals that
    contain the true mu), ``coverage_se`` (its Monte Carlo SE), ``reject`` (share that
    exclude ``null``), ``mean_width``, ``median_width``, ``replicates``.
    """

    table: pd.DataFrame
    level: float
    mu: float
    null: float
    replicates: int
    seed: int
    methods: tuple
    bayes_prior: tuple

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def pivot(self, value="coverage") -> pd.DataFrame:
        """Wide table: rows (k, tau2), one column per method."""
        return self.table.pivot_table(index=["k", "tau2"], columns="method", values=value, sort=False)[
            list(self.methods)
        ]

    def summary(self) -> str:
        cov = self.pivot("coverage")
        return (
            f"Coverage of nominal {100 * self.level:g}% intervals for mu "
            f"({self.replicates} replicates per scenario, seed {self.seed})\n" + cov.round(3).to_string()
        )


def coverage_study(ks=(2, 3, 4, 5, 6, 8, 10), tau2s=(0.0, 0.0625, 0.25, 1.0, 2.25), *,
                   methods=("DL-Wald", "REML-HKSJ", "PM-HKSJ", "Bayes"), replicates=10_000, mu=0.0,
                   null=0.0, seed=2019, level=0.95, arm_sizes=None, sd=2.0, sd_spread=0.25,
                   bayes_prior=("halfnormal", 1.0)) -> CoverageResult:
    """Coverage, rejection rate and width of interval methods over a grid of scenarios.

    Parameters
    ----------
    ks : sequence of int
        Numbers of trials (each >= 2).
    tau2s : sequence of float
        Between-trial variances (>= 0).
    methods : sequence of str
        ``"<estimator>-<interval>"`` with an estimator of :mod:`kmeta.tau2` and an interval
        ``Wald``, ``HKSJ``, ``t`` or ``adhoc``; or ``"Bayes"`` (central credible interval
        of ``kmeta.bayes.bayesmeta_batch`` with prior ``bayes_prior``, flat for mu).
    replicates : int
        Meta-analyses per scenario.
    mu : float
        True mean effect; ``null`` the value whose rejection rate is reported
        (with ``mu == null`` this is the type I error, otherwise the power).
    seed, arm_sizes, sd, sd_spread
        As for :func:`simulate_md`.
    level : float
        Nominal level of the intervals.
    bayes_prior : (str, float)
        ``(tau_prior, tau_scale)`` for the Bayesian method.

    Returns
    -------
    CoverageResult
    """
    level = check_level(level)
    ks = [_check_int(k, "ks", 2) for k in ks]
    tau2s = [_check_nonneg(t, "tau2s") for t in tau2s]
    if not ks or not tau2s:
        raise ValueError("ks, tau2s: need at least one scenario")
    if len(set(ks)) != len(ks) or len(set(tau2s)) != len(tau2s):
        raise ValueError("ks, tau2s: values must not repeat")
    parsed = [parse_method(m) for m in methods]
    if not parsed:
        raise ValueError("methods: need at least one method")
    replicates = _check_int(replicates, "replicates", 1)
    for field, val in (("mu", mu), ("null", null)):
        if not np.isfinite(float(val)):
            raise ValueError(f"{field}: is {val!r}; must be finite")

    arms = _arm_sizes(arm_sizes)
    cells = [(k, t) for k in ks for t in tau2s]
    # one (cells_with_this_k * replicates, k) block per k: no NaN padding, one batch call
    # per method and k
    data = {}
    for k in ks:
        blocks = [simulate_md(k, t, replicates=replicates, mu=mu, seed=seed, arm_sizes=arms, sd=sd,
                              sd_spread=sd_spread) for t in tau2s]
        data[k] = (np.vstack([b.yi for b in blocks]), np.vstack([b.vi for b in blocks]))
    cell_id = np.repeat(np.arange(len(cells)), replicates)

    records = []
    for name, (est, test) in zip(methods, parsed):
        lows, highs = [], []
        for k, (Yk, Vk) in data.items():
            if est == "BAYES":
                res = bayesmeta_batch(Yk, Vk, tau_prior=bayes_prior[0], tau_scale=bayes_prior[1],
                                      level=level, median=False)
                lows.append(res.mu_low)
                highs.append(res.mu_high)
            else:
                res = meta_batch(Yk, Vk, method=est, test=test, level=level)
                lows.append(res.ci_low)
                highs.append(res.ci_high)
        low, high = np.concatenate(lows), np.concatenate(highs)
        cover = ((low <= mu) & (mu <= high)).astype(float)
        reject = ((null < low) | (null > high)).astype(float)
        width = high - low
        ncell = len(cells)
        cov = np.bincount(cell_id, cover, ncell) / replicates
        rej = np.bincount(cell_id, reject, ncell) / replicates
        mw = np.bincount(cell_id, width, ncell) / replicates
        for c, (k, t) in enumerate(cells):
            w = width[c * replicates:(c + 1) * replicates]
            records.append({
                "k": k, "tau2": t, "method": name,
                "coverage": cov[c],
                "coverage_se": float(np.sqrt(cov[c] * (1 - cov[c]) / replicates)),
                "reject": rej[c],
                "mean_width": mw[c],
                "median_width": float(np.median(w)),
                "replicates": replicates,
            })
    table = pd.DataFrame(records)
    return CoverageResult(table=table, level=level, mu=float(mu), null=float(null), replicates=replicates,
                          seed=int(seed), methods=tuple(methods), bayes_prior=tuple(bayes_prior))
