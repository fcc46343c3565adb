"""meta_batch agrees with meta row by row (1e-10), with NaN padding and fallbacks."""
import zlib

import numpy as np
import pytest

import kmeta
from _reference import load

FIELDS = ["estimate", "se", "ci_low", "ci_high", "stat", "pval", "tau2", "i2", "h2", "q", "q_pval",
          "pi_low", "pi_high"]


def _random_padded(seed, R=120, kmax=9):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 1.0, size=(R, kmax))
    y = rng.normal(0.2, np.sqrt(v + rng.exponential(0.3, size=(R, 1))))
    ks = rng.integers(1, kmax + 1, size=R)
    pad = np.arange(kmax)[None, :] >= ks[:, None]
    y[pad] = np.nan
    v[pad] = np.nan
    return y, v, ks


def _seed(*names):
    """A seed from names that is the same in every run (str hashes are salted)."""
    return zlib.crc32("-".join(names).encode())


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("test", ["z", "t", "knha", "adhoc"])
def test_batch_equals_scalar_on_every_row(method, test):
    y, v, ks = _random_padded(_seed(method, test))
    b = kmeta.meta_batch(y, v, method=method, test=test)
    assert b.estimate.shape == (y.shape[0],)
    for r in range(y.shape[0]):
        k = ks[r]
        s = kmeta.meta(y[r, :k], v[r, :k], method=method, test=test)
        assert b.k[r] == k
        for f in FIELDS:
            np.testing.assert_allclose(getattr(b, f)[r], getattr(s, f), rtol=1e-10, atol=1e-10,
                                       err_msg=f"row {r} field {f}")
        np.testing.assert_allclose(b.weights[r, :k], s.weights, rtol=1e-10, atol=1e-10)
        assert np.all(np.isnan(b.weights[r, k:]))


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_unpadded_batch_equals_scalar_on_every_row(method, k):
    """Without padding every row has the same k: the path that skips the masks, the
    per-row degrees of freedom and the row selection must give the same numbers."""
    rng = np.random.default_rng(_seed(method, str(k)))
    v = rng.uniform(0.01, 1.0, size=(40, k))
    y = rng.normal(0.2, np.sqrt(v + rng.exponential(0.3, size=(40, 1))))
    for test in ("z", "knha"):
        b = kmeta.meta_batch(y, v, method=method, test=test)
        for r in range(y.shape[0]):
            s = kmeta.meta(y[r], v[r], method=method, test=test)
            for f in FIELDS + ["tau", "df", "vt"]:
                np.testing.assert_allclose(getattr(b, f)[r], getattr(s, f), rtol=1e-10, atol=1e-10,
                                           err_msg=f"row {r} field {f} ({test})")
            code = {text: c for c, text in kmeta.tau2.ALGORITHMS.items()}[s.algorithm]
            assert (b.k[r], b.algorithm[r], b.converged[r]) == (k, code, s.converged)


@pytest.mark.parametrize("method", ["DL", "PM", "REML"])
def test_large_k_uses_the_array_kernel_and_still_agrees(method):
    rng = np.random.default_rng(5)
    v = rng.uniform(0.01, 1.0, size=200)
    y = rng.normal(0.1, np.sqrt(v + 0.2))
    s = kmeta.meta(y, v, method=method, test="knha")  # k > 64: numpy path
    small = kmeta.meta(y[:60], v[:60], method=method, test="knha")  # Python-float path
    b = kmeta.meta_batch(np.vstack([y, np.r_[y[:60], [np.nan] * 140]]),
                         np.vstack([v, np.r_[v[:60], [np.nan] * 140]]), method=method, test="knha")
    for f in FIELDS:
        np.testing.assert_allclose(getattr(b, f), [getattr(s, f), getattr(small, f)], rtol=1e-10, atol=1e-10)


def test_batch_handles_the_hard_reml_sets_without_a_loop():
    hard = load("core")["reml_hard"]
    y = np.array([h["yi"] for h in hard])
    v = np.array([h["vi"] for h in hard])
    b = kmeta.meta_batch(y, v, method="REML")
    np.testing.assert_allclose(b.tau2, [h["tau2"] for h in hard], rtol=1e-6, atol=1e-8)
    assert b.converged.all()
    assert (b.algorithm == 3).all()  # every one needed the bracketed fallback
    assert "bracketed root search" in b.summary()


def test_batch_result_helpers():
    y, v, _ = _random_padded(11, R=50)
    b = kmeta.meta_batch(y, v, method="DL")
    frame = b.to_frame()
    assert frame.shape[0] == 50 and {"estimate", "tau2", "method"} <= set(frame.columns)
    cov = b.covers(0.2)
    assert cov.dtype == bool and cov.shape == (50,)
    assert b.replicates == 50


def test_one_dimensional_input_is_one_replicate():
    b = kmeta.meta_batch([0.1, 0.4, -0.2], [0.05, 0.1, 0.2], method="PM")
    s = kmeta.meta([0.1, 0.4, -0.2], [0.05, 0.1, 0.2], method="PM")
    assert b.replicates == 1 and b.estimate[0] == pytest.approx(s.estimate, abs=1e-12)


@pytest.mark.parametrize("method", ["DL", "REML", "PM"])
def test_blocks_give_the_same_rows_as_one_pass(method, monkeypatch):
    """meta_batch works in blocks of rows: results must not depend on the split,
    including the last, short block and padded rows that straddle a boundary."""
    y, v, _ = _random_padded(23, R=103)
    whole = kmeta.meta_batch(y, v, method=method, test="knha")
    monkeypatch.setattr(kmeta.batch, "CHUNK", 10)
    monkeypatch.setattr(kmeta.batch, "CHUNK_ITERATIVE", 10)
    split = kmeta.meta_batch(y, v, method=method, test="knha")
    for f in FIELDS + ["k", "converged", "algorithm", "iterations"]:
        np.testing.assert_allclose(getattr(split, f), getattr(whole, f), rtol=1e-12, atol=1e-12,
                                   err_msg=f)
        # fields of the split run share blocks (one per dtype): each must still be its
        # own contiguous array of the same type and shape as in one pass
        a, b = getattr(split, f), getattr(whole, f)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f
        assert a.flags.c_contiguous, f
    np.testing.assert_allclose(split.weights, whole.weights, rtol=1e-12, atol=1e-12)
    # writing to one field must leave every other field alone
    before = {f: getattr(split, f).copy() for f in FIELDS if f != "estimate"}
    split.estimate[:] = 1e9
    for f, val in before.items():
        np.testing.assert_array_equal(getattr(split, f), val, err_msg=f)


def test_errors_name_the_row_in_a_later_block(monkeypatch):
    y, v, _ = _random_padded(29, R=40)
    v[33, 0] = -0.1
    monkeypatch.setattr(kmeta.batch, "CHUNK", 10)
    with pytest.raises(ValueError, match=r"vi: row 33, study 0 is -0.1"):
        kmeta.meta_batch(y, v, method="DL")
