"""kmeta.plots: style, forest plots and the conventions every figure follows.

Figures are checked by their content (artists found by ``gid``, text, tick labels,
geometry), not by comparing images.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import special

import kmeta
from kmeta import plots
from kmeta.plots import forest, style
from kmeta.plots._scale import limits_and_ticks, resolve

MINUS = "\u2212"


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def num(s):
    return float(s.replace(MINUS, "-"))


def n_offsets(artists):
    return sum(len(a.get_offsets()) for a in artists)


@pytest.fixture(autouse=True)
def _close_all():
    before = set(plt.get_fignums())
    yield
    # kmeta figures are not registered with pyplot: nothing may have been left open
    assert set(plt.get_fignums()) == before
    plt.close("all")


LABELS6 = ["Sigtermans 2009", "Schwartzman 2009", "Eichenberger 2008", "Amr 2010", "Noppers 2011", "Mitchell 2002"]
YI6 = [-2.1, -0.9, -1.5, -2.9, -1.2, -0.4]
VI6 = [0.25, 0.30, 0.15, 0.6, 0.2, 0.35]


@pytest.fixture
def res6():
    return kmeta.meta(YI6, VI6, method="DL", labels=LABELS6)


# --------------------------------------------------------------------------- style


def test_style_does_not_change_global_rcparams(res6):
    before = dict(matplotlib.rcParams)
    fig = forest(res6)
    after = dict(matplotlib.rcParams)
    assert before == after
    # ... but the figure was made with it: the table font is the style's size
    table_texts = fig.axes[0].texts
    assert {t.get_fontsize() for t in table_texts} <= {style.FONT_SIZE, style.SMALL_SIZE, style.FONT_SIZE + 1.5}


def test_palette_is_okabe_ito_and_roles_resolve():
    assert len(set(style.OKABE_ITO.values())) == 9
    for role in ("study", "summary", "prediction", "subgroup", "reference", "favours_left", "favours_right",
                 "low", "unclear", "high"):
        assert matplotlib.colors.is_color_like(style.COLORS[role])
        assert style.COLORS[role] in style.OKABE_ITO.values()
    # risk-of-bias judgements differ by symbol as well as colour
    assert len(set(style.ROB_SYMBOLS.values())) == 3


def test_context_restores_rcparams():
    size = matplotlib.rcParams["font.size"]
    with style.context({"font.size": 20}):
        assert matplotlib.rcParams["font.size"] == 20
    assert matplotlib.rcParams["font.size"] == size


def test_fmt_num_uses_true_minus_and_no_negative_zero():
    assert style.fmt_num(-1.834) == MINUS + "1.83"
    assert style.fmt_num(-0.001) == "0.00"
    assert style.fmt_num(float("nan")) == "NA"
    assert style.fmt_num(float("-inf")) == MINUS + "\u221e"


# --------------------------------------------------------------------------- forest: basics


def test_forest_returns_a_figure_not_kept_by_pyplot(res6):
    n_before = len(plt.get_fignums())
    fig = forest(res6)
    assert isinstance(fig, Figure)
    assert len(plt.get_fignums()) == n_before
    assert len(fig.axes) == 2 and fig.axes[1].get_gid() == "kmeta-plot"


def test_forest_draws_one_square_and_one_interval_per_study(res6):
    fig = forest(res6)
    squares = by_gid(fig, "kmeta-squares")
    assert n_offsets(squares) == res6.k
    # squares sit at the study estimates, in plot order (row i at y = i)
    off = squares[0].get_offsets()
    assert np.allclose(off[:, 0], res6.yi)
    assert np.allclose(off[:, 1], np.arange(res6.k))
    (ci,) = by_gid(fig, "kmeta-ci")
    segs = ci.get_segments()
    assert len(segs) == res6.k
    z = special.ndtri(0.975)
    for i, seg in enumerate(segs):
        assert seg[0][0] == pytest.approx(res6.yi[i] - z * math.sqrt(res6.vi[i]))
        assert seg[1][0] == pytest.approx(res6.yi[i] + z * math.sqrt(res6.vi[i]))


def test_square_area_is_proportional_to_weight(res6):
    fig = forest(res6)
    sizes = by_gid(fig, "kmeta-squares")[0].get_sizes()  # points^2 = area
    ratio = sizes / sizes.max()
    assert np.allclose(ratio, res6.weights / res6.weights.max())


def test_summary_diamond_vertices(res6):
    fig = forest(res6)
    (diamond,) = by_gid(fig, "kmeta-diamond-summary")
    xy = diamond.get_xy()
    xs = sorted(set(np.round(xy[:, 0], 12)))
    assert xs == pytest.approx(sorted([res6.ci_low, res6.estimate, res6.ci_high]))
    left = xy[np.argmin(xy[:, 0])]
    right = xy[np.argmax(xy[:, 0])]
    assert left[0] == pytest.approx(res6.ci_low) and right[0] == pytest.approx(res6.ci_high)
    assert left[1] == right[1]  # the diamond's waist is on its row


def test_prediction_interval_bar(res6):
    fig = forest(res6)
    (bar,) = by_gid(fig, "kmeta-prediction")
    assert sorted(bar.get_xdata()) == pytest.approx([res6.pi_low, res6.pi_high])
    assert not by_gid(forest(res6, prediction=False), "kmeta-prediction")


def test_heterogeneity_and_overall_lines_are_formatted_from_the_result(res6):
    fig = forest(res6)
    footer = [t.get_text() for t in by_gid(fig, "kmeta-footer")]
    het, test = footer
    assert het == (
        f"Heterogeneity: \u03c4\u00b2 = {res6.tau2:.2f}; Q = {res6.q:.2f}, df = {res6.q_df} "
        f"(p = {res6.q_pval:.4f}); I\u00b2 = {res6.i2:.1f}%"
    )
    assert test == f"Test for overall effect: z = {res6.stat:.2f} ({'p < 0.0001' if res6.pval < 1e-4 else f'p = {res6.pval:.4f}'})".replace("-", MINUS)
    assert het == plots.heterogeneity_text(res6) and test == plots.overall_test_text(res6)


def test_heterogeneity_text_variants():
    fe = kmeta.meta([0.1, 0.3, 0.2], [0.1, 0.1, 0.1], method="FE")
    assert "\u03c4" not in plots.heterogeneity_text(fe)
    one = kmeta.meta([0.1], [0.1])
    assert plots.heterogeneity_text(one) == "Heterogeneity: not applicable"
    kh = kmeta.meta([0.1, 0.5, 0.2], [0.1, 0.1, 0.1], method="DL", test="knha")
    assert plots.overall_test_text(kh).startswith(f"Test for overall effect: t = {kh.stat:.2f}, df = 2 (")
    small = SimpleNamespace(q_df=2, method="REML", tau2=0.0012, q=2.5, q_pval=0.28, i2=5.0)
    assert "\u03c4\u00b2 = 0.0012;" in plots.heterogeneity_text(small)


def test_text_columns_show_estimates_weights_and_labels(res6):
    fig = forest(res6)
    t = texts(fig)
    for i, lab in enumerate(LABELS6):
        assert lab in t
        assert f"{res6.weights[i]:.1f}%" in t
        assert style.fmt_num(res6.yi[i]) in t
    assert "Total (95% CI)" in t
    assert f"[{style.fmt_num(res6.ci_low)}, {style.fmt_num(res6.ci_high)}]" in t
    assert "IV, Random (DL), 95% CI" in t


def test_favours_labels_sit_either_side_of_the_reference_line(res6):
    fig = forest(res6, favours=("Favours ketamine", "Favours placebo"))
    (left,) = by_gid(fig, "kmeta-favours-left")
    (right,) = by_gid(fig, "kmeta-favours-right")
    assert left.get_text() == "Favours ketamine" and right.get_text() == "Favours placebo"
    (ref,) = by_gid(fig, "kmeta-refline")
    pax = fig.axes[1]
    fig.draw_without_rendering()
    x_ref_px = pax.transData.transform((ref.get_xdata()[0], 0))[0]
    assert left.get_window_extent().x1 <= x_ref_px <= right.get_window_extent().x0
    assert ref.get_xdata()[0] == 0.0


def test_nothing_overlaps(res6):
    """Footer lines, favours labels and tick labels must not collide with each other."""
    arms = pd.DataFrame({"m1": [3.2] * 6, "sd1": [1.9] * 6, "n1": [30] * 6,
                         "m2": [5.3] * 6, "sd2": [2.0] * 6, "n2": [30] * 6})
    for fig in (forest(res6, favours=("Favours ketamine", "Favours placebo")),
                forest(res6, arms=arms, measure="MD", favours=("Favours ketamine", "Favours placebo")),
                forest(kmeta.meta(np.log([1.5, 3, 0.8]), [0.1, 0.2, 0.3]), measure="OR")):
        fig.draw_without_rendering()
        boxes = [t.get_window_extent() for t in by_gid(fig, "kmeta-footer")]
        boxes += [t.get_window_extent() for t in by_gid(fig, "kmeta-favours-left") + by_gid(fig, "kmeta-favours-right")]
        boxes += [lab.get_window_extent() for lab in fig.axes[1].get_xticklabels() if lab.get_text()]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes[i].overlaps(boxes[j]), (i, j)
        # every table text is inside the figure
        W, H = fig.bbox.width, fig.bbox.height
        for t in fig.axes[0].texts:
            bb = t.get_window_extent()
            assert bb.x0 >= 0 and bb.x1 <= W + 0.5 and bb.y0 >= 0 and bb.y1 <= H + 0.5


def test_study_texts_stay_left_of_the_plot_panel(res6):
    fig = forest(res6)
    fig.draw_without_rendering()
    x_plot = fig.axes[1].get_window_extent().x0
    header_over_plot = {"Estimate", "IV, Random (DL), 95% CI"}
    for t in fig.axes[0].texts:
        if t.get_text() in header_over_plot:
            continue
        assert t.get_window_extent().x1 < x_plot, t.get_text()


# --------------------------------------------------------------------------- forest: scales


def test_ratio_measure_uses_log_positions_with_ratio_labels():
    res = kmeta.meta(np.log([3.5, 6.0, 1.3, 2.2]), [0.2, 0.3, 0.25, 0.4], method="DL")
    fig = forest(res, measure="RR")
    pax = fig.axes[1]
    ticks = pax.get_xticks()
    labels = [t.get_text() for t in pax.get_xticklabels()]
    assert "1" in labels
    for pos, lab in zip(ticks, labels):
        assert math.exp(pos) == pytest.approx(num(lab), rel=1e-3)
    # the axis is symmetric about RR = 1 and holds the pooled interval
    lo, hi = pax.get_xlim()
    assert lo == pytest.approx(-hi)
    assert lo < res.ci_low and res.ci_high < hi
    # text is back-transformed too
    t = texts(fig)
    assert f"{math.exp(res.estimate):.2f}" in t
    assert f"[{math.exp(res.ci_low):.2f}, {math.exp(res.ci_high):.2f}]" in t
    (ref,) = by_gid(fig, "kmeta-refline")
    assert ref.get_xdata()[0] == 0.0  # log(1)
    # the diamond is drawn on the log scale, where the interval was computed
    xy = by_gid(fig, "kmeta-diamond-summary")[0].get_xy()
    assert xy[:, 0].min() == pytest.approx(res.ci_low)


def test_transf_exp_equals_measure_ratio():
    res = kmeta.meta(np.log([3.5, 6.0, 1.3]), [0.2, 0.3, 0.25], method="DL")
    a = forest(res, transf=np.exp)
    b = forest(res, measure="OR")
    assert [t.get_text() for t in a.axes[1].get_xticklabels()] == [t.get_text() for t in b.axes[1].get_xticklabels()]


def test_mh_result_is_a_ratio_forest_with_events_and_not_estimable_rows():
    e1, n1, e2, n2 = [8, 5, 0, 12], [30, 20, 15, 40], [2, 1, 0, 3], [30, 20, 15, 40]
    res = kmeta.mh(e1, n1, e2, n2, measure="RR", labels=["A", "B", "C", "D"])
    fig = forest(res, arms={"e1": e1, "n1": n1, "e2": e2, "n2": n2}, arm_labels=("Ketamine", "Placebo"))
    t = texts(fig)
    assert "Not estimable" in t  # the double-zero study
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 3
    assert "Risk ratio" in t and "M-H, Fixed, 95% CI" in t
    assert "Ketamine" in t and "Placebo" in t and "Events" in t
    # totals are computed from the arms
    assert str(sum(n1)) in t and str(sum(e1)) in t and str(sum(e2)) in t
    assert "Total events" in t
    assert "\u03c4" not in " ".join(t)
    labels = [x.get_text() for x in fig.axes[1].get_xticklabels()]
    assert "1" in labels


def test_mean_arms_columns_and_decimals():
    res = kmeta.meta([-2.1, -0.9], [0.25, 0.3], labels=["X", "Y"])
    arms = pd.DataFrame({"study": ["Y", "X"], "m1": [5.1, 3.2], "sd1": [2.0, 1.95], "n1": [9, 30],
                         "m2": [6.0, 5.3], "sd2": [2.2, 2.0], "n2": [10, 30]})
    fig = forest(res, arms=arms, arm_labels=("Ketamine", "Placebo"))
    t = texts(fig)
    # matched by the study column; one number of decimals per column (SD: 2.00 and 1.95)
    assert "1.95" in t and "2.00" in t
    assert "39" in t and "40" in t  # total n per arm
    assert t.count("Mean") == 2 and t.count("SD") == 2


def test_arms_of_wrong_length_raise():
    res = kmeta.meta([-2.1, -0.9], [0.25, 0.3])
    with pytest.raises(ValueError, match="arms"):
        forest(res, arms={"n1": [1, 2, 3]})


# --------------------------------------------------------------------------- forest: sizes and edges


def test_one_study():
    res = kmeta.meta([0.5], [0.1], labels=["Solo"])
    fig = forest(res)
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 1
    assert len(by_gid(fig, "kmeta-diamond-summary")) == 1
    assert "Heterogeneity: not applicable" in texts(fig)
    assert not by_gid(fig, "kmeta-prediction")


def test_two_studies_have_no_prediction_bar():
    res = kmeta.meta([0.5, -0.2], [0.1, 0.2])
    fig = forest(res, measure="SMD")
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 2
    assert not by_gid(fig, "kmeta-prediction")
    assert "Study 1" in texts(fig) and "Std. mean difference" in texts(fig)


def test_forty_studies_grow_the_figure_and_stay_readable():
    rng = np.random.default_rng(3)
    yi, vi = rng.normal(0.3, 0.4, 40), rng.uniform(0.01, 0.3, 40)
    res40 = kmeta.meta(yi, vi, labels=[f"Author{i} {1980 + i}" for i in range(40)])
    res6 = kmeta.meta(yi[:6], vi[:6])
    f40, f6 = forest(res40), forest(res6)
    h40, h6 = f40.get_size_inches()[1], f6.get_size_inches()[1]
    assert h40 - h6 == pytest.approx(34 * 0.2)  # one row height per extra study
    assert n_offsets(by_gid(f40, "kmeta-squares")) == 40
    assert len(by_gid(f40, "kmeta-ci")[0].get_segments()) == 40


def test_huge_variance_is_clipped_with_arrows():
    yi = [0.2, 0.4, 0.1, 0.3]
    vi = [0.05, 0.04, 1e6, 0.06]
    res = kmeta.meta(yi, vi, method="DL")
    fig = forest(res)
    lo, hi = fig.axes[1].get_xlim()
    assert hi - lo < 10  # the axis follows the other studies, not the huge interval
    arrows = by_gid(fig, "kmeta-arrows")
    assert n_offsets(arrows) == 2
    assert {tuple(o) for a in arrows for o in a.get_offsets()} == {(lo, 2.0), (hi, 2.0)}
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 4


def test_bare_arrays_with_an_infinite_interval():
    fig = forest([0.1, 0.5, -0.3], sei=[0.2, np.inf, 0.1], labels=["a", "b", "c"])
    t = texts(fig)
    assert "[" + MINUS + "\u221e, \u221e]" in t
    assert not by_gid(fig, "kmeta-diamond-summary") and not by_gid(fig, "kmeta-footer")
    assert "Weight" not in t
    assert n_offsets(by_gid(fig, "kmeta-arrows")) == 2
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 3
    # squares sized by precision without weights
    sizes = by_gid(fig, "kmeta-squares")[0].get_sizes()
    assert sizes[2] == sizes.max()


def test_bare_arrays_need_variances():
    with pytest.raises(ValueError, match="vi"):
        forest(yi=[0.1, 0.2])
    with pytest.raises(ValueError, match="vi"):
        forest(yi=[0.1, 0.2], vi=[0.1, -0.2])


def test_user_xlim_on_the_displayed_scale():
    res = kmeta.meta(np.log([2.0, 3.0]), [0.1, 0.2])
    fig = forest(res, measure="RR", xlim=(0.2, 20))
    lo, hi = fig.axes[1].get_xlim()
    assert math.exp(lo) == pytest.approx(0.2) and math.exp(hi) == pytest.approx(20)


def test_alt_text_is_computed(res6):
    fig = forest(res6, measure="MD", favours=("Favours ketamine", "Favours placebo"))
    alt = plots.alt_text(fig)
    assert alt.startswith("Forest plot of 6 studies, mean difference with 95% CIs")
    assert style.fmt_num(res6.estimate) in alt and "favours ketamine" in alt


# --------------------------------------------------------------------------- forest: subgroups


@pytest.fixture
def subgroup_parts():
    rng = np.random.default_rng(1)
    yi, vi = rng.normal(-1.5, 0.8, 6), rng.uniform(0.1, 0.5, 6)
    labs = [f"Trial {c}" for c in "ABCDEF"]
    g1 = kmeta.meta(yi[:4], vi[:4], method="DL", labels=labs[:4])
    g2 = kmeta.meta(yi[4:], vi[4:], method="DL", labels=labs[4:])
    ov = kmeta.meta(yi, vi, method="DL", labels=labs)
    return {"Neuropathic": g1, "Nociceptive": g2}, ov


def test_subgroup_result_object(subgroup_parts):
    groups, ov = subgroup_parts
    sg = SimpleNamespace(groups=groups, overall=ov, q_between=1.23, df_between=1, p_between=0.267)
    fig = forest(sg, measure="MD")
    assert len(by_gid(fig, "kmeta-diamond-subgroup")) == 2
    assert len(by_gid(fig, "kmeta-diamond-summary")) == 1
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 6
    t = texts(fig)
    assert "Neuropathic" in t and "Nociceptive" in t
    assert t.count("Subtotal (95% CI)") == 2
    assert plots.subgroup_test_text(1.23, 1, 0.267) in t
    assert "Test for subgroup differences: Q = 1.23, df = 1 (p = 0.2670); I\u00b2 = 18.7%" in t
    # one heterogeneity line per subgroup and one overall
    assert sum(s.startswith("Heterogeneity:") for s in t) == 3
    # weights are the overall analysis's, matched by label; subtotals add up
    for lab, w in zip(ov.labels, ov.weights):
        assert f"{w:.1f}%" in t
    assert f"{ov.weights[:4].sum():.1f}%" in t
    # subgroup diamonds at the subgroup estimates
    xs = sorted(d.get_xy()[:, 0].min() for d in by_gid(fig, "kmeta-diamond-subgroup"))
    assert xs == pytest.approx(sorted([groups["Neuropathic"].ci_low, groups["Nociceptive"].ci_low]))


def test_subgroup_pieces_given_explicitly(subgroup_parts):
    groups, ov = subgroup_parts
    fig = forest(groups, overall=ov, q_between=0.5, df_between=1, p_between=0.48)
    assert len(by_gid(fig, "kmeta-diamond-subgroup")) == 2
    assert "Test for subgroup differences: Q = 0.50, df = 1 (p = 0.4800); I\u00b2 = 0.0%" in texts(fig)
    # without an overall analysis: no overall diamond, within-subgroup weights
    fig2 = forest(groups)
    assert not by_gid(fig2, "kmeta-diamond-summary")
    assert len(by_gid(fig2, "kmeta-diamond-subgroup")) == 2
    with pytest.raises(ValueError, match="df_between"):
        forest(groups, q_between=1.0)


def test_subgroup_with_a_single_study_group():
    g1 = kmeta.meta([0.1, 0.3], [0.1, 0.2], labels=["a", "b"])
    g2 = kmeta.meta([0.5], [0.2], labels=["c"])
    fig = forest({"two": g1, "one": g2})
    assert "Heterogeneity: not applicable" in texts(fig)
    assert n_offsets(by_gid(fig, "kmeta-squares")) == 3


# --------------------------------------------------------------------------- scales


def test_log_ticks_are_round_ratios():
    scale = resolve("RR")
    for w in (0.1, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0):
        (lo, hi), ticks, labels = limits_and_ticks(scale, [w, -0.2 * w], [])
        assert lo <= -w and hi >= w
        assert 3 <= len(ticks) <= 7
        assert "1" in labels
        assert all(lo - 1e-9 <= t <= hi + 1e-9 for t in ticks)


def test_linear_ticks_cover_the_data_and_include_zero():
    scale = resolve("MD")
    (lo, hi), ticks, labels = limits_and_ticks(scale, [-1.83, -2.9, -0.4], [-4.42, 0.76])
    assert lo == -hi and lo <= -2.9 * 1.04 and 0.0 in ticks


def test_proportion_scale_labels_proportions():
    scale = resolve("PLO")
    assert scale.null is None
    (lo, hi), ticks, labels = limits_and_ticks(scale, special.logit([0.2, 0.5, 0.7]), [])
    for t, lab in zip(ticks, labels):
        assert special.expit(t) == pytest.approx(num(lab), abs=1e-9)
