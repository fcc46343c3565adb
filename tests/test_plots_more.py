"""kmeta.plots beyond the forest plot: funnel, L'Abbé, Baujat, bubble, sensitivity forests,
risk of bias, PRISMA and GRADE. Checked by content (artists by gid, text, geometry)."""
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
from kmeta.plots import style
from kmeta.reviews import orhurhu2019 as oh

MINUS = "\u2212"


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def n_offsets(artists):
    return sum(len(a.get_offsets()) for a in artists)


@pytest.fixture(autouse=True)
def _no_pyplot_leftovers():
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before
    plt.close("all")


YI = [-2.1, -0.9, -1.5, -2.9, -1.2, -0.4]
VI = [0.25, 0.30, 0.15, 0.6, 0.2, 0.35]
LABELS = ["Sigtermans", "Schwartzman", "Eichenberger", "Amr", "Noppers", "Mitchell"]


@pytest.fixture
def res():
    return kmeta.meta(YI, VI, method="DL", labels=LABELS)


# --------------------------------------------------------------------------- funnel


def test_funnel_points_axes_and_pseudo_ci(res):
    fig = plots.funnel(res)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    (pts,) = by_gid(fig, "kmeta-studies")
    off = pts.get_offsets()
    assert np.allclose(off[:, 0], res.yi) and np.allclose(off[:, 1], np.sqrt(res.vi))
    lo, hi = ax.get_ylim()
    assert lo > hi and hi == 0.0  # inverted: SE 0 at the top
    lines = by_gid(fig, "kmeta-pseudo-ci")
    assert len(lines) == 2
    z = special.ndtri(0.975)
    for line in lines:
        x, y = line.get_xdata(), line.get_ydata()
        assert np.allclose(np.abs(x - res.estimate), z * y)
    assert by_gid(fig, "kmeta-estimate")[0].get_xdata()[0] == pytest.approx(res.estimate)
    assert "Funnel plot of 6 studies" in plots.alt_text(fig)


def test_funnel_contours_are_centred_on_no_effect(res):
    fig = plots.funnel(res, contours=True)
    regions = by_gid(fig, "kmeta-contour")
    assert len(regions) == 6  # three significance bands on each side
    labels = texts(fig)
    assert "0.10 > p > 0.05" in labels and "0.05 > p > 0.01" in labels and "p < 0.01" in labels
    # the inner edge of the first band is the p = 0.10 line through 0
    verts = regions[0].get_paths()[0].vertices
    inner = verts[np.argmax(verts[:, 1])]
    assert abs(inner[0]) == pytest.approx(special.ndtri(0.95) * inner[1], rel=1e-6)


def test_funnel_trimfill_studies_are_hollow(res):
    fy, fv = [0.4, 0.1], [0.5, 0.45]
    fig = plots.funnel(res, filled_yi=fy, filled_vi=fv, adjusted_estimate=-1.2)
    (filled,) = by_gid(fig, "kmeta-filled")
    assert np.allclose(filled.get_offsets()[:, 0], fy)
    assert np.allclose(filled.get_facecolors()[0][:3], 1.0)  # white inside: hollow
    assert by_gid(fig, "kmeta-adjusted")[0].get_xdata()[0] == -1.2
    tf = SimpleNamespace(filled_yi=np.array(fy), filled_vi=np.array(fv), side="right",
                         adjusted=SimpleNamespace(estimate=-1.1), original=res, yi=res.yi, vi=res.vi)
    fig2 = plots.funnel(tf)  # a trim-and-fill result on its own
    assert n_offsets(by_gid(fig2, "kmeta-filled")) == 2 and n_offsets(by_gid(fig2, "kmeta-studies")) == 6
    assert "2 studies filled in by trim and fill (hollow) on the right side" in plots.alt_text(fig2)
    with pytest.raises(ValueError, match="filled_yi"):
        plots.funnel(res, trimfill=SimpleNamespace(k0=1))


def test_funnel_ratio_ticks_and_bare_arrays():
    yi = np.log([0.5, 0.8, 1.5, 2.0, 1.1])
    fig = plots.funnel(yi=yi, sei=[0.3, 0.2, 0.4, 0.5, 0.1], measure="OR")
    ax = fig.axes[0]
    for pos, lab in zip(ax.get_xticks(), ax.get_xticklabels()):
        assert math.exp(pos) == pytest.approx(float(lab.get_text().replace(MINUS, "-")), rel=1e-3)
    assert "log scale" in ax.get_xlabel()


def test_funnel_single_study_and_into_given_axes():
    one = kmeta.meta([0.3], [0.04])
    assert n_offsets(by_gid(plots.funnel(one), "kmeta-studies")) == 1
    fig = style.new_figure((6, 3))
    ax1, ax2 = fig.subplots(1, 2)
    out = plots.funnel(one, ax=ax2)
    assert out is fig and by_gid(ax2, "kmeta-studies") and not by_gid(ax1, "kmeta-studies")
    assert plots.alt_text(ax2).startswith("Funnel plot of 1 study")
    assert plots.alt_text(fig) == ""


# --------------------------------------------------------------------------- L'Abbé


def test_labbe_points_are_the_arm_risks_with_zero_events():
    e1, n1, e2, n2 = [8, 5, 0, 12], [30, 20, 15, 40], [2, 1, 0, 3], [30, 20, 15, 40]
    fig = plots.labbe(e1, n1, e2, n2, arm_labels=("Ketamine", "Placebo"))
    (pts,) = by_gid(fig, "kmeta-studies")
    off = pts.get_offsets()
    assert np.allclose(off[:, 0], np.array(e2) / n2) and np.allclose(off[:, 1], np.array(e1) / n1)
    assert tuple(off[2]) == (0.0, 0.0)  # the zero-event study sits at the origin
    sizes = pts.get_sizes()
    assert np.argmax(sizes) == 3  # area grows with the study size
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Event rate, placebo" and ax.get_ylabel() == "Event rate, ketamine"
    assert "3 above the line of equality" in plots.alt_text(fig)


def test_labbe_pooled_curve_from_a_result():
    e1, n1, e2, n2 = [8, 5, 12], [30, 20, 40], [2, 1, 3], [30, 20, 40]
    mh = kmeta.mh(e1, n1, e2, n2, measure="RR")
    fig = plots.labbe(e1, n1, e2, n2, result=mh)
    (curve,) = by_gid(fig, "kmeta-pooled")
    x, y = curve.get_xdata(), curve.get_ydata()
    small = x < 0.1
    assert np.allclose(y[small], x[small] * mh.estimate_exp)
    assert f"Pooled risk ratio {mh.estimate_exp:.2f}" in texts(fig)
    from kmeta.plots.labbe import pooled_curve  # the curve for the other measures

    assert pooled_curve(0.2, 0.1, "RD") == pytest.approx(0.3)
    assert pooled_curve(0.5, math.log(3.0), "OR") == pytest.approx(0.75)


def test_labbe_validates_counts():
    with pytest.raises(ValueError, match="e1"):
        plots.labbe([5], [4], [1], [4])
    with pytest.raises(ValueError, match="measure"):
        plots.labbe([1], [4], [1], [4], result=kmeta.meta([0.1], [0.1]))


# --------------------------------------------------------------------------- Baujat


def test_baujat_x_adds_up_to_q_for_a_common_effect_model():
    fe = kmeta.meta(YI, VI, method="FE", labels=LABELS)
    d = plots.baujat_data(fe)
    assert d["x"].sum() == pytest.approx(fe.q, rel=1e-10)


def test_baujat_influence_is_the_standardised_leave_one_out_shift(res):
    d = plots.baujat_data(res)
    for i in range(res.k):
        keep = np.arange(res.k) != i
        r = kmeta.meta(np.array(YI)[keep], np.array(VI)[keep], method="DL")
        assert d["y"][i] == pytest.approx((r.estimate - res.estimate) ** 2 / r.se**2)
        assert d["x"][i] == pytest.approx((YI[i] - res.estimate) ** 2 / (VI[i] + res.tau2))
    fig = plots.baujat(res)
    (pts,) = by_gid(fig, "kmeta-studies")
    assert np.allclose(pts.get_offsets(), d[["x", "y"]].to_numpy())
    assert set(LABELS) <= set(texts(fig))
    with pytest.raises(ValueError, match="at least 2"):
        plots.baujat(kmeta.meta([0.1], [0.1]))


# --------------------------------------------------------------------------- bubble


def _metareg_like():
    yi = np.array([-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37, -0.34, 0.45, -0.02])
    vi = np.array([0.33, 0.19, 0.42, 0.02, 0.05, 0.007, 0.22, 0.004, 0.06, 0.07, 0.01, 0.53, 0.07])
    x = np.array([44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33], float)
    tau2 = 0.076
    X = np.c_[np.ones_like(x), x]
    w = 1 / (vi + tau2)
    V = np.linalg.inv(X.T @ (w[:, None] * X))
    b = V @ X.T @ (w * yi)
    return SimpleNamespace(coef_names=("intrcpt", "ablat"), X=X, beta=b, vcov=V, df=np.nan, level=0.95,
                           tau2=tau2, weights=100 * w / w.sum(), yi=yi, vi=vi, labels=None), x


def test_bubble_from_a_metareg_result_and_from_coefficients_agree():
    mr, x = _metareg_like()
    a = plots.bubble(result=mr, measure="RR")
    b = plots.bubble(mr.yi, mr.vi, x, intercept=mr.beta[0], slope=mr.beta[1], vcov=mr.vcov, tau2=mr.tau2,
                     measure="RR")
    la, lb = by_gid(a, "kmeta-fit")[0], by_gid(b, "kmeta-fit")[0]
    assert np.allclose(la.get_ydata(), mr.beta[0] + mr.beta[1] * la.get_xdata())
    assert np.allclose(la.get_ydata(), lb.get_ydata())
    # the band is the pointwise normal interval of the line
    band = by_gid(a, "kmeta-band")[0].get_paths()[0].vertices
    x0 = x.min()
    se0 = math.sqrt(mr.vcov[0, 0] + 2 * x0 * mr.vcov[0, 1] + x0 * x0 * mr.vcov[1, 1])
    at = band[np.isclose(band[:, 0], x0)][:, 1]
    fit0 = mr.beta[0] + mr.beta[1] * x0
    assert at.min() == pytest.approx(fit0 - special.ndtri(0.975) * se0)
    assert at.max() == pytest.approx(fit0 + special.ndtri(0.975) * se0)
    # bubble area follows the weights
    sizes = by_gid(a, "kmeta-studies")[0].get_sizes()
    assert np.argmax(sizes) == np.argmax(mr.weights)
    assert a.axes[0].get_xlabel() == "ablat"
    for pos, lab in zip(a.axes[0].get_yticks(), a.axes[0].get_yticklabels()):
        assert math.exp(pos) == pytest.approx(float(lab.get_text()), rel=1e-3)
    assert "slope " + style.fmt_num(mr.beta[1], 3) in plots.alt_text(a)


def test_bubble_t_band_and_inputs():
    mr, x = _metareg_like()
    mr.df = 11.0
    fig = plots.bubble(result=mr)
    band = by_gid(fig, "kmeta-band")[0].get_paths()[0].vertices
    x0 = x.min()
    se0 = math.sqrt(mr.vcov[0, 0] + 2 * x0 * mr.vcov[0, 1] + x0 * x0 * mr.vcov[1, 1])
    assert band[np.isclose(band[:, 0], x0)][:, 1].max() == pytest.approx(
        mr.beta[0] + mr.beta[1] * x0 + special.stdtrit(11.0, 0.975) * se0)
    bare = plots.bubble([0.1, 0.2, 0.4], [0.1, 0.1, 0.2], [1, 2, 3])
    assert not by_gid(bare, "kmeta-fit") and n_offsets(by_gid(bare, "kmeta-studies")) == 3
    with pytest.raises(ValueError, match="slope"):
        plots.bubble([0.1, 0.2], [0.1, 0.1], [1, 2], intercept=0.0)
    two = SimpleNamespace(**{**vars(mr), "coef_names": ("intrcpt", "a", "b")})
    with pytest.raises(ValueError, match="moderator"):
        plots.bubble(result=two)


# --------------------------------------------------------------------------- sensitivity forests


def test_leave_one_out_forest(res):
    fig = plots.leave_one_out_forest(res, measure="MD")
    (pts,) = by_gid(fig, "kmeta-points")
    table = plots.leave_one_out_table(res)
    assert len(pts.get_offsets()) == res.k
    assert np.allclose(pts.get_offsets()[:, 0], table["estimate"])
    for i in range(res.k):
        keep = np.arange(res.k) != i
        r = kmeta.meta(np.array(YI)[keep], np.array(VI)[keep], method="DL")
        assert table["estimate"][i] == pytest.approx(r.estimate)
        assert table["i2"][i] == pytest.approx(r.i2)
    (diamond,) = by_gid(fig, "kmeta-diamond-summary")
    assert diamond.get_xy()[:, 0].min() == pytest.approx(res.ci_low)
    assert by_gid(fig, "kmeta-summary-line")[0].get_xdata()[0] == pytest.approx(res.estimate)
    t = texts(fig)
    assert "All studies" in t and "Study omitted" in t
    assert f"{table['i2'][0]:.1f}%" in t
    i_max = int(np.argmax(table["estimate"]))
    assert f"(without {table['study'][i_max]})" in plots.alt_text(fig)


def test_cumulative_forest_in_year_order(res):
    years = [2009, 2009, 2008, 2010, 2011, 2002]
    fig = plots.cumulative_forest(res, order=years)
    t = texts(fig)
    assert "+ Mitchell" in t and "+ Noppers" in t
    table = plots.cumulative_table(res, order=years)
    assert list(table["study"]) == ["Mitchell", "Eichenberger", "Sigtermans", "Schwartzman", "Amr", "Noppers"]
    assert list(table["k"]) == [1, 2, 3, 4, 5, 6]
    assert table["estimate"].iloc[-1] == pytest.approx(res.estimate)
    assert table["estimate"].iloc[0] == pytest.approx(YI[5])
    (pts,) = by_gid(fig, "kmeta-points")
    assert np.allclose(pts.get_offsets()[:, 0], table["estimate"])
    # the order is a sort key (as metafor's cumul): ranks give the same sequence
    t2 = plots.cumulative_table(res, order=[2, 3, 1, 4, 5, 0])
    assert list(t2["study"]) == list(table["study"])
    # and the table is kmeta.cumulative's
    ref = kmeta.cumulative(res, order=years).table
    assert np.allclose(table["estimate"], ref["estimate"])


def test_sensitivity_forest_accepts_a_precomputed_table(res):
    table = plots.leave_one_out_table(res).rename(columns={"study": "omitted"})
    fig = plots.leave_one_out_forest(res, table=table)
    assert len(by_gid(fig, "kmeta-points")[0].get_offsets()) == res.k
    with pytest.raises(ValueError, match="ci_low"):
        plots.leave_one_out_forest(res, table=pd.DataFrame({"estimate": [1.0]}))
    with pytest.raises(ValueError, match="at least 2"):
        plots.leave_one_out_forest(kmeta.meta([0.1], [0.1]))


# --------------------------------------------------------------------------- risk of bias


@pytest.fixture
def rob_long():
    return oh.risk_of_bias()


def test_traffic_light_has_one_marker_per_judged_cell(rob_long):
    fig = plots.rob_traffic_light(rob_long, study_labels=oh.trials()["label"])
    (cells,) = by_gid(fig, "kmeta-rob-cells")
    n_cells = len(rob_long)
    assert len(cells.get_offsets()) == n_cells
    symbols = by_gid(fig, "kmeta-rob-symbol")
    assert len(symbols) == n_cells
    # colour and symbol agree with the data, cell by cell
    judged = {(s, d): j for s, d, j in zip(rob_long["study"], rob_long["domain"], rob_long["judgement"])}
    labels = oh.trials()["label"]
    inv = {v: k for k, v in labels.items()}
    for (study, domain, jv), color, sym in zip(fig.kmeta_cells, cells.get_facecolors(), symbols):
        assert judged[(inv[study], domain)] == jv
        assert np.allclose(color[:3], matplotlib.colors.to_rgb(style.COLORS[jv]))
        assert sym.get_text() == style.ROB_SYMBOLS[jv]
    t = texts(fig)
    assert "Overall" in t and "Amr 2010" in t
    assert any(s.startswith("D1: Random sequence generation") for s in t)
    n_high = int((rob_long.query("domain == 'overall'")["judgement"] == "high").sum())
    assert f"{n_high} high" in plots.alt_text(fig)


def test_traffic_light_from_wide_and_with_missing_cells():
    wide = pd.DataFrame({"D_a": ["low", "+", None], "D_b": ["?", "high", "-"], "overall": ["high", "unclear", "low"]},
                        index=["s1", "s2", "s3"])
    fig = plots.rob_traffic_light(wide)
    assert len(by_gid(fig, "kmeta-rob-cells")[0].get_offsets()) == 8  # the missing cell is empty
    bad = pd.DataFrame({"D": ["maybe"]}, index=["s1"])
    with pytest.raises(ValueError, match="maybe"):
        plots.rob_traffic_light(bad)


def test_rob_summary_percentages(rob_long):
    fig = plots.rob_summary(rob_long)
    pct = fig.kmeta_percent
    overall = rob_long.query("domain == 'overall'")["judgement"]
    assert pct.iloc[-1]["high"] == pytest.approx(100 * (overall == "high").mean())
    assert np.allclose(pct.sum(axis=1), 100.0)
    highs = by_gid(fig, "kmeta-rob-high")
    assert len(highs) == pct.shape[0]
    assert sorted(round(b.get_width(), 9) for b in highs) == sorted(round(v, 9) for v in pct["high"])
    # weighted: one study with all the weight decides every bar
    w = {s: (1.0 if s == "amr2010" else 0.0) for s in rob_long["study"].unique()}
    figw = plots.rob_summary(rob_long, weights=w)
    amr = rob_long.query("study == 'amr2010'").set_index("domain")["judgement"]
    for d, row in zip(amr.index, figw.kmeta_percent.itertuples()):
        assert getattr(row, amr[d]) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="weights"):
        plots.rob_summary(rob_long, weights={"amr2010": 1.0})


# --------------------------------------------------------------------------- PRISMA


def test_prisma_shows_every_count():
    counts = oh.prisma()
    fig = plots.prisma(counts)
    t = " ".join(texts(fig)).replace("\u00a0", " ")
    from kmeta.plots.prisma import prisma_counts

    shown = prisma_counts(counts)
    assert len(shown) == 8
    for n in shown.values():
        assert f"(n = {n})" in t
    assert "Records identified (n = 696)" in t
    # the meta-analysis box prefers the primary pool (6) over the "as stated" 7
    assert "Studies included in meta-analysis (n = 6)" in t
    assert fig.kmeta_boxes[0] == "identified" and fig.kmeta_boxes[-1] == "included_meta_analysis"
    arrows = by_gid(fig, "kmeta-prisma-arrow")
    assert len(arrows) == 7  # 4 down the main column, 3 to the exclusion boxes


def test_prisma_full_and_partial():
    full = {"records_databases": 1200, "records_registers": 35, "duplicates_removed": 300,
            "automation_removed": 20, "other_removed": 5, "screened": 910, "excluded_at_screening": 850,
            "reports_sought": 60, "reports_not_retrieved": 4, "full_text_assessed": 56, "full_text_excluded": 40,
            "included_systematic_review": 16, "included_meta_analysis": 12}
    fig = plots.prisma(full, reasons={"Wrong population": 25, "No control": 15})
    t = " ".join(texts(fig)).replace("\u00a0", " ")
    assert "(n = 1\u2009200)" in t and "Wrong population (n = 25)" in t
    assert "Records removed before screening:" in t
    for n in (35, 300, 20, 5, 910, 850, 60, 4, 56, 40, 16, 12):
        assert f"(n = {n})" in t
    part = plots.prisma({"screened": 100, "included_systematic_review": 3})
    assert part.kmeta_boxes == ["screened", "included_systematic_review"]
    assert len(by_gid(part, "kmeta-prisma-arrow")) == 1
    with pytest.raises(ValueError, match="whole"):
        plots.prisma({"screened": -1})
    with pytest.raises(ValueError, match="none"):
        plots.prisma({"something": 3})


# --------------------------------------------------------------------------- GRADE


def test_grade_table_from_the_review():
    g, fn = oh.grade(), oh.grade_footnotes()
    st = plots.grade_table(g, fn)
    assert isinstance(st, pd.io.formats.style.Styler)
    data = st.data
    assert list(data["Certainty"]) == ["\u2295\u2295\u25ef\u25ef LOW"] * len(g)
    assert data.loc[0, "Risk of bias"] == "Very serious<sup>a</sup>"
    assert data.loc[1, "Ketamine"] == "17/33 (51.3%)"  # as printed
    assert data.loc[0, "Ketamine"] == "97"
    assert data.loc[0, "No. of studies"] == "6"
    html = st.to_html()
    for letter, summary in zip(fn["footnote"], fn["summary"]):
        assert f"<sup>{letter}</sup> " in html
    assert "caption-side: bottom" in html
    assert "background-color" in html  # serious ratings are tinted
    assert html.count("<tr") == len(g) + 1


def test_grade_certainty_and_validation():
    assert plots.certainty_symbols("very low") == "\u2295\u25ef\u25ef\u25ef VERY LOW"
    assert plots.certainty_symbols("High") == "\u2295\u2295\u2295\u2295 HIGH"
    with pytest.raises(ValueError, match="certainty"):
        plots.certainty_symbols("medium")
    df = pd.DataFrame({"outcome": ["pain <2"], "risk_of_bias": ["fine"]})
    with pytest.raises(ValueError, match="risk_of_bias"):
        plots.grade_table(df)
    ok = plots.grade_table(pd.DataFrame({"outcome": ["pain <2"], "treat_events": [3], "treat_n": [10]}))
    assert ok.data.loc[0, "Outcome"] == "Pain &lt;2"  # escaped
    assert ok.data.loc[0, "Treat"] == "3/10 (30.0%)"  # computed when no percentage is given


# --------------------------------------------------------------------------- every figure


def test_every_figure_function_sets_alt_text_and_returns_a_figure(res):
    e1, n1, e2, n2 = [8, 5], [30, 20], [2, 1], [30, 20]
    figs = [
        plots.forest(res), plots.funnel(res), plots.labbe(e1, n1, e2, n2), plots.baujat(res),
        plots.bubble(YI, VI, [1, 2, 3, 4, 5, 6]), plots.leave_one_out_forest(res), plots.cumulative_forest(res),
        plots.rob_traffic_light(oh.risk_of_bias()), plots.rob_summary(oh.risk_of_bias()), plots.prisma(oh.prisma()),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        alt = plots.alt_text(fig)
        assert len(alt) > 40 and alt.endswith(".")
        assert "nan" not in alt.lower().replace("nance", "")
