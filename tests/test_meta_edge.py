"""Degenerate but legal input gets the documented answer (k = 1, k = 2, tau^2 = 0 ...)."""
import numpy as np
import pandas as pd
import pytest

import kmeta


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
def test_single_study(method):
    res = kmeta.meta([0.4], [0.09], method=method, test="knha")
    assert res.k == 1
    assert res.estimate == pytest.approx(0.4)
    assert res.se == pytest.approx(0.3)
    assert res.tau2 == 0.0 and res.q == 0.0 and res.q_df == 0 and res.q_pval == 1.0
    assert res.i2 == 0.0 and res.h2 == 1.0
    assert np.isnan(res.pi_low) and np.isnan(res.pi_high)
    # metafor switches to the z test for k = 1; so do we, and say so
    assert res.test == "z" and np.isnan(res.df)
    assert any("z test was used" in n for n in res.notes)
    assert res.ci_low == pytest.approx(0.4 - 1.959963984540054 * 0.3)


def test_two_studies_have_no_prediction_interval():
    res = kmeta.meta([0.4, -0.1], [0.09, 0.04], method="DL")
    assert np.isnan(res.pi_low) and np.isnan(res.pi_high)
    assert "not defined for k < 3" in res.summary()


def test_common_effect_has_no_prediction_interval():
    res = kmeta.meta([0.4, -0.1, 0.2], [0.09, 0.04, 0.05], method="FE")
    assert np.isnan(res.pi_low)


def test_identical_effects_under_knha_give_zero_se():
    # q = 0, so the HKSJ variance is 0: the interval collapses to the estimate (as metafor)
    res = kmeta.meta([0.2, 0.2, 0.2], [0.1, 0.2, 0.3], method="DL", test="knha")
    assert res.tau2 == 0.0
    assert res.se == 0.0
    assert res.ci_low == res.ci_high == pytest.approx(0.2)
    assert np.isinf(res.stat) and res.pval == 0.0


def test_adhoc_never_narrower_than_t():
    rng = np.random.default_rng(3)
    for _ in range(50):
        v = rng.uniform(0.05, 0.5, 5)
        y = rng.normal(0, 0.2, 5)
        a = kmeta.meta(y, v, method="REML", test="adhoc")
        t = kmeta.meta(y, v, method="REML", test="t")
        assert a.ci_high - a.ci_low >= t.ci_high - t.ci_low - 1e-12


def test_tau2_zero_boundary_for_homogeneous_data():
    for m in ("DL", "HE", "PM", "EB", "ML", "REML"):
        res = kmeta.meta([0.3, 0.35, 0.28, 0.31], [0.5, 0.6, 0.4, 0.7], method=m)
        assert res.tau2 == 0.0, m


def test_dataframe_and_sei_input():
    df = pd.DataFrame({"study": ["a", "b", "c"], "yi": [0.1, 0.3, -0.2], "vi": [0.04, 0.09, 0.16]})
    r1 = kmeta.meta(df, method="DL")
    r2 = kmeta.meta([0.1, 0.3, -0.2], sei=[0.2, 0.3, 0.4], method="DL")
    assert r1.labels == ("a", "b", "c")
    assert r1.estimate == pytest.approx(r2.estimate, abs=1e-14)
    assert r1.tau2 == pytest.approx(r2.tau2, abs=1e-14)


def test_result_objects_print_and_frame():
    res = kmeta.meta([0.1, 0.3, -0.2, 0.5], [0.04, 0.09, 0.16, 0.05], labels=list("abcd"))
    text = res.summary()
    assert "Random-effects meta-analysis (k = 4; tau^2 estimator: REML)" in text
    assert str(res) == text == repr(res)
    frame = res.to_frame()
    assert frame.shape[0] == 1
    assert frame.loc[0, "estimate"] == res.estimate and frame.loc[0, "method"] == "REML"
    table = res.study_table()
    assert list(table.study) == list("abcd")
    assert table.weight.sum() == pytest.approx(100.0)
    ci = res.confint()
    assert ci.tau2_low <= res.tau2 <= ci.tau2_high
    assert ci.table().shape == (4, 3)
    assert "Q-profile" in ci.summary()


def test_confint_refuses_fe_and_single_study():
    with pytest.raises(ValueError, match="FE"):
        kmeta.meta([0.1, 0.2], [0.1, 0.1], method="FE").confint()
    with pytest.raises(ValueError, match="k = 1"):
        kmeta.meta([0.1], [0.1], method="DL").confint()


def test_confint_collapses_to_zero_when_q_is_tiny():
    res = kmeta.meta([0.3, 0.3001, 0.2999, 0.3], [0.5, 0.6, 0.4, 0.7], method="DL")
    ci = res.confint()
    assert ci.tau2_low == 0.0 and ci.tau2_high == 0.0
    assert ci.i2_low == 0.0 and ci.h2_high == 1.0


def test_cochran_q_helper_matches_meta():
    y, v = [0.1, 0.5, -0.2, 0.3], [0.04, 0.09, 0.16, 0.05]
    qt = kmeta.cochran_q(y, v)
    fe = kmeta.meta(y, v, method="FE")
    assert qt.q == pytest.approx(fe.q) and qt.q_pval == pytest.approx(fe.q_pval)
    assert qt.i2 == pytest.approx(fe.i2) and qt.h2 == pytest.approx(fe.h2)


def test_q_i2_converters_invert():
    from kmeta.heterogeneity import i2_from_q, q_from_i2

    for df in (1, 5, 12):
        for i2 in (0.0, 25.0, 48.5, 90.0):
            q = q_from_i2(i2, df)
            assert i2_from_q(q, df) == pytest.approx(i2, abs=1e-12)
    with pytest.raises(ValueError, match="i2"):
        q_from_i2(100.0, 3)


def test_prediction_interval_helper_matches_meta():
    from kmeta.heterogeneity import prediction_interval

    res = kmeta.meta([0.1, 0.5, -0.2, 0.3, 0.9], [0.04, 0.09, 0.16, 0.05, 0.1], method="DL")
    lo, hi = prediction_interval(res.estimate, res.se, res.tau2, res.k)
    assert (lo, hi) == pytest.approx((res.pi_low, res.pi_high), abs=1e-14)
    assert np.isnan(prediction_interval(0.0, 0.1, 0.1, 2)[0])


@pytest.mark.parametrize("method", ["ML", "REML", "EB"])
def test_newton_slope_is_the_derivative_of_the_estimating_function(method):
    """The polishing step's dS/dtau2 must match a central difference of S."""
    from kmeta.tau2 import _score_and_slope, _score_slope_py

    rng = np.random.default_rng(9)
    v = rng.uniform(0.05, 0.6, size=(40, 7))
    y = rng.normal(0.0, np.sqrt(v + 0.3))
    k = np.full(40, 7.0)
    t = rng.uniform(0.01, 1.0, 40)
    h = 1e-6
    S, dS = _score_and_slope(y, v, None, k, t, method)
    Sp, _ = _score_and_slope(y, v, None, k, t + h, method)
    Sm, _ = _score_and_slope(y, v, None, k, t - h, method)
    np.testing.assert_allclose(dS, (Sp - Sm) / (2 * h), rtol=1e-5, atol=1e-6)
    for i in range(5):  # the Python-float mirror agrees
        s1, d1 = _score_slope_py(y[i].tolist(), v[i].tolist(), float(t[i]), method)
        assert s1 == pytest.approx(S[i], rel=1e-12, abs=1e-12) and d1 == pytest.approx(dS[i], rel=1e-12, abs=1e-12)


def test_effect_size_frame_with_excluded_double_zero_study():
    es = kmeta.effect_sizes("RR", e1=[3, 0, 5], n1=[20, 15, 30], e2=[1, 0, 2], n2=[20, 15, 30],
                            labels=["a", "b", "c"])
    assert np.isnan(es.loc[1, "yi"])  # the double-zero study, kept with a note
    res = kmeta.meta(es, method="DL")
    assert res.k == 2 and res.labels == ("a", "c")
    assert any(n.startswith("excluded b:") for n in res.notes)
    direct = kmeta.meta(es.yi[[0, 2]], es.vi[[0, 2]], method="DL")
    assert res.estimate == pytest.approx(direct.estimate, abs=1e-14)


def test_unexplained_missing_value_in_a_frame_is_still_an_error():
    df = pd.DataFrame({"study": ["a", "b"], "yi": [0.1, np.nan], "vi": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"yi: study 'b' \(index 1\) is nan"):
        kmeta.meta(df)
