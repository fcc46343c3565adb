"""Forensics: reconstructing study inputs from published pools, and consistency checks.

A review that prints only pooled results (an estimate, its confidence interval, I²)
for several overlapping sets of studies still says a good deal about the studies'
own effects and standard errors: every printed figure, after rounding, is a
constraint. This package turns those constraints into numbers.

Reconstruction (``kmeta.forensics.reconstruct``)
    :func:`~kmeta.forensics.reconstruct.published_pool` describes one printed pool (which studies, which
    estimator, the printed numbers and their precision); :func:`~kmeta.forensics.reconstruct.reconstruct` finds
    study-level ``yi`` and ``sei`` that reproduce every printed figure after
    rounding (a seeded multi-start least-squares fit, polished by a minimax fit when
    needed) and returns a :class:`~kmeta.forensics.reconstruct.Reconstruction` with the fitted inputs, predicted
    versus printed values and residuals scaled by the rounding half-width.
    :func:`~kmeta.forensics.reconstruct.drop_one` refits without each printed figure in turn: when no input set
    satisfies every figure, it shows which single figure is to blame.

Identifiability (``kmeta.forensics.identify``)
    :func:`~kmeta.forensics.identify.feasible_ranges` gives, for every ``yi`` and ``sei``, the range over which
    all printed figures still hold (profiles: minimise and maximise each parameter
    subject to feasibility, checked by hit-and-run sampling of the feasible set);
    :func:`~kmeta.forensics.identify.figure_range` the range of one pooled figure over the input sets that
    satisfy all the others (can the printed value be right?).
    :func:`~kmeta.forensics.identify.symmetries` lists studies that are exchangeable because they appear in
    exactly the same pools, and which further grouping (a meta-regression, a
    subgroup) would tell them apart.

Consistency checks (``kmeta.forensics.checks``)
    Small functions any reader can run on a paper, each returning a result with a
    ``verdict`` and the numbers behind it: :func:`~kmeta.forensics.checks.check_ci_midpoint`,
    :func:`~kmeta.forensics.checks.check_p_from_ci`, :func:`~kmeta.forensics.checks.q_interval_from_i2`, :func:`~kmeta.forensics.checks.check_i2_pair`,
    :func:`~kmeta.forensics.checks.begg_attainable_pvalues`, :func:`~kmeta.forensics.checks.check_begg_p`, :func:`~kmeta.forensics.checks.check_egger_p`,
    :func:`~kmeta.forensics.checks.check_percent`, :func:`~kmeta.forensics.checks.check_sum`.

Printed precision
-----------------
A number printed with ``d`` decimals stands for the interval ``value ± 0.5·10^-d``;
residuals are scaled by that half-width, so a figure holds exactly when its scaled
residual lies in [-1, 1]. Quantities with a floor (I², τ², Q, P) printed *at* the
floor are one-sided: "I² = 0.0%" says only I² < 0.05%, that is (for DerSimonian–Laird)
Q ≤ df / (1 − 0.0005).
"""
from .reconstruct import QUANTITIES as _QUANTITIES
from .reconstruct import (
    Printed,
    PublishedPool,
    Reconstruction,
    DropOneResult,
    published_pool,
    reconstruct,
    drop_one,
    predict_pools,
)
from .identify import FeasibleRanges, FigureRange, Symmetry, feasible_ranges, figure_range, symmetries
from .checks import (
    MidpointCheck,
    PCheck,
    QInterval,
    I2PairCheck,
    BeggCheck,
    EggerCheck,
    PercentCheck,
    SumCheck,
    check_ci_midpoint,
    check_p_from_ci,
    q_interval_from_i2,
    check_i2_pair,
    begg_attainable_pvalues,
    check_begg_p,
    check_egger_p,
    check_percent,
    check_sum,
    rounding_interval,
)

#: Quantities of a pooled result that a printed figure can refer to (``"estimate"``,
#: ``"ci_low"``, ``"ci_high"``, ``"se"``, ``"i2"`` in percent, ``"tau2"``, ``"q"``, ``"pval"``
#: and ``"q_pval"``).
QUANTITIES: tuple[str, ...] = _QUANTITIES

__all__ = [
    "QUANTITIES",
    "Printed",
    "PublishedPool",
    "Reconstruction",
    "DropOneResult",
    "published_pool",
    "reconstruct",
    "drop_one",
    "predict_pools",
    "FeasibleRanges",
    "FigureRange",
    "Symmetry",
    "feasible_ranges",
    "figure_range",
    "symmetries",
    "MidpointCheck",
    "PCheck",
    "QInterval",
    "I2PairCheck",
    "BeggCheck",
    "EggerCheck",
    "PercentCheck",
    "SumCheck",
    "check_ci_midpoint",
    "check_p_from_ci",
    "q_interval_from_i2",
    "check_i2_pair",
    "begg_attainable_pvalues",
    "check_begg_p",
    "check_egger_p",
    "check_percent",
    "check_sum",
    "rounding_interval",
]
