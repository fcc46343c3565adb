"""kmeta.plots with the results of kmeta.subgroups, kmeta.trimfill and kmeta.metareg (the real objects,
not stand-ins: the plots read their fields)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from kmeta import plots
from kmeta.metareg import metareg
from kmeta.subgroups import subgroups


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def texts(fig):
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


@pytest.fixture(autouse=True)
def _no_pyplot_leftovers():
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


RNG = np.random.default_rng(5)
YI = RNG.normal(-1.5, 0.8, 7)
VI = RNG.uniform(0.1, 0.5, 7)
GROUPS = ["CRPS", "CRPS", "other", "CRPS", "other", "other", "CRPS"]


def test_forest_of_a_subgroup_analysis():
    sg = subgroups(YI, VI, GROUPS, method="DL", labels=[f"T{i}" for i in range(7)])
    fig = plots.forest(sg)
    assert len(by_gid(fig, "kmeta-diamond-subgroup")) == len(sg.groups) == 2
    t = texts(fig)
    assert plots.subgroup_test_text(sg.q_between, sg.df_between, sg.p_between) in t
    # weights are the overall analysis's, matched through the membership
    for i, w in enumerate(sg.overall.weights):
        assert f"{w:.1f}%" in t
    crps = [i for i, g in enumerate(GROUPS) if g == "CRPS"]
    assert f"{sg.overall.weights[crps].sum():.1f}%" in t


def test_forest_of_a_common_tau2_subgroup_analysis_with_an_f_test():
    sg = subgroups(YI, VI, GROUPS, method="DL", test="knha", tau2="common")
    fig = plots.forest(sg)
    assert sg.between_test == "F"
    line = plots.subgroup_test_text(sg.q_between, sg.df_between, sg.p_between, sg.df_between_den)
    assert line in texts(fig) and line.startswith("Test for subgroup differences: F = ")


def test_funnel_of_a_trimfill_result():
    trimfill = pytest.importorskip("kmeta.trimfill").trimfill  # until kmeta.trimfill is committed
    vi = RNG.uniform(0.01, 0.3, 12)
    yi = RNG.normal(0.4, np.sqrt(vi))
    yi[vi > 0.15] += 0.4
    tf = trimfill(yi, vi)
    fig = plots.funnel(tf, contours=True)
    assert len(by_gid(fig, "kmeta-studies")[0].get_offsets()) == len(yi)
    filled = by_gid(fig, "kmeta-filled")
    assert sum(len(f.get_offsets()) for f in filled) == tf.k0
    if tf.k0:
        assert np.allclose(filled[0].get_offsets()[:, 0], tf.filled_yi)
        assert by_gid(fig, "kmeta-adjusted")[0].get_xdata()[0] == pytest.approx(tf.adjusted.estimate)
        assert f"on the {tf.side} side" in plots.alt_text(fig)


def test_bubble_of_a_metareg_result():
    x = np.array([44, 55, 42, 52, 13, 44, 19], float)
    mr = metareg(YI, VI, {"dose": x}, method="DL")
    fig = plots.bubble(result=mr)
    (line,) = by_gid(fig, "kmeta-fit")
    b = mr.coef()
    assert np.allclose(line.get_ydata(), b["intrcpt"] + b["dose"] * line.get_xdata())
    assert fig.axes[0].get_xlabel() == "dose"
