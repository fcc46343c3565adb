"""kmeta.meta and kmeta.confint against metafor 3.8 (tests/reference/core.R)."""
import numpy as np
import pytest

import kmeta
from _reference import load, num

CORE = load("core")
DATA = CORE["datasets"]
ITERATIVE = {"PM", "EB", "ML", "REML"}


def _tol(method):
    return 1e-5 if method in ITERATIVE else 1e-6


def _fit_id(row):
    return f"{row['dataset']}-{row['method']}-{row['test']}"


@pytest.mark.parametrize("row", CORE["fits"], ids=_fit_id)
def test_meta_matches_metafor(row):
    d = DATA[row["dataset"]]
    res = kmeta.meta(d["yi"], d["vi"], method=row["method"], test=row["test"])
    tol = _tol(row["method"])
    for field in ["estimate", "se", "stat", "pval", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_pval"]:
        np.testing.assert_allclose(getattr(res, field), num(row[field]), rtol=tol, atol=tol, err_msg=field)
    np.testing.assert_allclose(res.weights, num(row["weights"]), rtol=tol, atol=tol, err_msg="weights")
    if row["pi_low"] is None:
        assert np.isnan(res.pi_low) and np.isnan(res.pi_high)
    else:
        np.testing.assert_allclose([res.pi_low, res.pi_high], [row["pi_low"], row["pi_high"]], rtol=tol, atol=tol)
    assert res.converged


@pytest.mark.parametrize("row", CORE["confint"], ids=lambda r: f"{r['dataset']}-{r['method']}-{r['level']}")
def test_confint_matches_metafor(row):
    d = DATA[row["dataset"]]
    res = kmeta.meta(d["yi"], d["vi"], method=row["method"], level=row["level"])
    ci = kmeta.confint(res)
    # the Q-profile bounds are closed-form roots (tight); the I^2/H^2 bounds inherit them
    for field in ["tau2_low", "tau2_high", "tau_low", "tau_high", "i2_low", "i2_high", "h2_low", "h2_high"]:
        np.testing.assert_allclose(getattr(ci, field), row[field], rtol=1e-6, atol=1e-7, err_msg=field)
    np.testing.assert_allclose(ci.tau2, row["tau2"], rtol=_tol(row["method"]), atol=_tol(row["method"]))


@pytest.mark.parametrize("case", range(len(CORE["reml_hard"])))
def test_reml_where_metafor_default_fails(case):
    """metafor's default Fisher scoring stops with an error here; kmeta must still be right."""
    row = CORE["reml_hard"][case]
    assert "did not converge" in row["default_error"]
    res = kmeta.meta(row["yi"], row["vi"], method="REML")
    assert res.converged
    np.testing.assert_allclose(res.tau2, row["tau2"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.tau2, row["tau2_optimize"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res.estimate, row["estimate"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.se, row["se"], rtol=1e-6, atol=1e-8)
    assert res.algorithm  # says how tau^2 was found


def test_reference_covers_every_estimator_and_test():
    seen = {(r["method"], r["test"]) for r in CORE["fits"]}
    for m in kmeta.tau2.METHODS:
        for t in ("z", "t", "knha", "adhoc"):
            assert (m, t) in seen
