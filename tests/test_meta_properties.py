"""Invariances every meta-analysis must satisfy (property-based, with hypothesis)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import kmeta

METHODS = kmeta.tau2.METHODS
effects = st.floats(-3, 3, allow_nan=False)
variances = st.floats(0.01, 2.0, allow_nan=False)


@st.composite
def datasets(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    y = draw(st.lists(effects, min_size=k, max_size=k))
    v = draw(st.lists(variances, min_size=k, max_size=k))
    return np.array(y), np.array(v)


def close(a, b, tol=1e-7):
    return np.allclose(a, b, rtol=tol, atol=tol)


@settings(max_examples=60, deadline=None)
@given(data=datasets(), method=st.sampled_from(METHODS), seed=st.integers(0, 10**6))
def test_study_order_does_not_matter(data, method, seed):
    y, v = data
    perm = np.random.default_rng(seed).permutation(len(y))
    a = kmeta.meta(y, v, method=method)
    b = kmeta.meta(y[perm], v[perm], method=method)
    assert close(a.estimate, b.estimate) and close(a.tau2, b.tau2) and close(a.se, b.se)
    assert close(a.weights[perm], b.weights)


@settings(max_examples=60, deadline=None)
@given(data=datasets(), method=st.sampled_from(METHODS), shift=st.floats(-5, 5))
def test_shifting_all_effects_shifts_the_estimate(data, method, shift):
    y, v = data
    a = kmeta.meta(y, v, method=method)
    b = kmeta.meta(y + shift, v, method=method)
    assert close(b.estimate, a.estimate + shift, 1e-6)
    assert close(b.tau2, a.tau2, 1e-6) and close(b.se, a.se, 1e-6)
    assert close(b.ci_low - a.ci_low, shift, 1e-6)


@settings(max_examples=60, deadline=None)
@given(data=datasets(), method=st.sampled_from(METHODS), c=st.floats(0.1, 10))
def test_scaling_effects_scales_estimate_and_tau(data, method, c):
    y, v = data
    a = kmeta.meta(y, v, method=method)
    b = kmeta.meta(c * y, c * c * v, method=method)
    assert close(b.estimate, c * a.estimate, 1e-6)
    assert close(b.tau2, c * c * a.tau2, 1e-6)
    assert close(b.i2, a.i2, 1e-6) and close(b.q, a.q, 1e-6)


@settings(max_examples=60, deadline=None)
@given(data=datasets(), method=st.sampled_from(METHODS))
def test_random_effects_equals_common_effect_when_tau2_is_zero(data, method):
    y, v = data
    re = kmeta.meta(y, v, method=method)
    if re.tau2 == 0.0:
        fe = kmeta.meta(y, v, method="FE")
        assert close(re.estimate, fe.estimate, 1e-12) and close(re.se, fe.se, 1e-12)


@settings(max_examples=40, deadline=None)
@given(data=datasets(), method=st.sampled_from(METHODS), test=st.sampled_from(["z", "knha"]))
def test_batch_row_equals_scalar(data, method, test):
    y, v = data
    s = kmeta.meta(y, v, method=method, test=test)
    b = kmeta.meta_batch(y[None, :], v[None, :], method=method, test=test)
    for f in ("estimate", "se", "tau2", "ci_low", "ci_high", "pval", "i2", "q"):
        assert np.allclose(getattr(b, f)[0], getattr(s, f), rtol=1e-10, atol=1e-10), f


@settings(max_examples=60, deadline=None)
@given(data=datasets(min_k=3), method=st.sampled_from(["DL", "REML", "PM", "ML", "EB", "HE", "SJ"]))
def test_estimate_lies_within_the_range_of_effects_and_intervals_nest(data, method):
    y, v = data
    res = kmeta.meta(y, v, method=method)
    assert y.min() - 1e-12 <= res.estimate <= y.max() + 1e-12
    assert res.ci_low <= res.estimate <= res.ci_high
    assert res.pi_low <= res.ci_low + 1e-12 and res.pi_high >= res.ci_high - 1e-12
    assert res.tau2 >= 0 and 0 <= res.i2 < 100
