"""Bad input raises ValueError naming the field and the study."""
import numpy as np
import pytest

import kmeta


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(yi=[0.1, 0.2], vi=[0.1, -0.2], labels=["Amr", "Noppers"]), r"vi: study 'Noppers' \(index 1\) is -0.2"),
        (dict(yi=[0.1, 0.2], vi=[0.1, 0.0]), r"vi: study 1 is 0"),
        (dict(yi=[0.1, np.nan], vi=[0.1, 0.2], labels=["a", "b"]), r"yi: study 'b' \(index 1\) is nan"),
        (dict(yi=[0.1, 0.2], vi=[0.1, np.inf]), r"vi: study 1 is inf"),
        (dict(yi=[0.1, 0.2, 0.3], vi=[0.1, 0.2]), r"vi: has 2 values but there are 3 studies"),
        (dict(yi=[0.1, 0.2], vi=[0.1, 0.2], labels=["a"]), r"labels: got 1 labels for 2 studies"),
        (dict(yi=[], vi=[]), r"k = 0: meta needs at least 1 study$"),
        (dict(yi=[0.1, 0.2], vi=[0.1, 0.2], method="XX"), r"method: unknown value 'XX'"),
        (dict(yi=[0.1, 0.2], vi=[0.1, 0.2], test="wald"), r"test: unknown value 'wald'"),
        (dict(yi=[0.1, 0.2], vi=[0.1, 0.2], level=150), r"level: expected a number in \(0, 1\)"),
        (dict(yi=[0.1, 0.2]), r"vi: give exactly one of vi"),
        (dict(yi=[0.1, 0.2], sei=[0.1, -1.0]), r"sei: study 1 is -1; standard errors must be > 0"),
        (dict(yi=[[0.1, 0.2]], vi=[[0.1, 0.2]]), r"yi: expected a 1-d array"),
        (dict(yi=["a", "b"], vi=[0.1, 0.2]), r"yi: cannot be read as numbers"),
    ],
)
def test_meta_rejects_bad_input(kwargs, match):
    yi = kwargs.pop("yi")
    vi = kwargs.pop("vi", None)
    with pytest.raises(ValueError, match=match):
        kmeta.meta(yi, vi, **kwargs)


def test_methods_and_tests_are_case_insensitive():
    a = kmeta.meta([0.1, 0.5, 0.2], [0.1, 0.2, 0.1], method="reml", test="HKSJ")
    assert a.method == "REML" and a.test == "knha"


@pytest.mark.parametrize(
    "y, v, match",
    [
        (np.ones((2, 3)), np.ones((2, 4)), r"same shape"),
        (np.array([[0.1, np.nan]]), np.array([[0.1, 0.2]]), r"yi: row 0, study 1 is NaN"),
        (np.array([[0.1, 0.2]]), np.array([[0.1, -0.2]]), r"vi: row 0, study 1 is -0.2"),
        (np.array([[np.nan, np.nan]]), np.array([[np.nan, np.nan]]), r"k = 0: row 0 has no studies"),
        (np.array([[0.1, np.inf]]), np.array([[0.1, 0.2]]), r"yi: row 0, study 1 is infinite"),
        (np.zeros((5, 0)), np.ones((5, 0)), r"k = 0: yi and vi have shape \(5, 0\)"),
        ([[0.1, 0.2]], [[0.1, "a"]], r"vi: cannot be read as numbers"),
        ([[0.1, None]], [[0.1, 0.2]], r"yi: row 0, study 1 is NaN"),  # None reads as NaN
    ],
)
def test_meta_batch_rejects_bad_input(y, v, match):
    with pytest.raises(ValueError, match=match):
        kmeta.meta_batch(y, v)


@pytest.mark.parametrize("method", kmeta.tau2.METHODS)
def test_meta_batch_of_zero_rows_is_empty(method):
    res = kmeta.meta_batch(np.zeros((0, 6)), np.ones((0, 6)), method=method, test="knha")
    for f in ("k", "estimate", "se", "pval", "tau2", "i2", "q_pval", "pi_low", "converged", "algorithm"):
        assert getattr(res, f).shape == (0,), f
    assert res.weights.shape == (0, 6)
    assert len(res.to_frame()) == 0
    assert res.summary().startswith("0 meta-analyses")


def test_heterogeneity_helpers_validate():
    with pytest.raises(ValueError, match=r"vi: study 0 is -1"):
        kmeta.cochran_q([0.1, 0.2], [-1, 0.2])
    with pytest.raises(ValueError, match=r"k = 1: the typical within-study variance needs at least 2"):
        kmeta.heterogeneity.typical_variance([0.2])
    with pytest.raises(ValueError, match=r"method: unknown value"):
        kmeta.tau2.estimate_tau2([0.1, 0.2], [0.1, 0.1], "BAYES")
