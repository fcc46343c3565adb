"""kmeta.transforms against metafor's transf.* (tests/reference/effect_sizes.R)."""
from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeta import transforms
from kmeta.transforms import (
    back_transform,
    harmonic_mean_n,
    ipft_hm,
    transf_exp,
    transf_ilogit,
    transf_ipft,
    transf_ipft_hm,
    transf_logit,
    transf_pft,
)

REF = json.loads((Path(__file__).parent / "reference" / "effect_sizes.json").read_text())["transforms"]


def test_ipft_hm_matches_metafor_on_grid():
    # the grid crosses both ends of the attainable range [pft(0, nhm), pft(1, nhm)]
    got = transf_ipft_hm(REF["y"], REF["pft_n"])
    np.testing.assert_allclose(got, REF["ipft_hm"], rtol=1e-6, atol=1e-9)
    assert harmonic_mean_n(REF["pft_n"]) == pytest.approx(REF["nhm"], rel=1e-12)
    assert ipft_hm is transf_ipft_hm


def test_ipft_hm_clamps_outside_attainable_range():
    n = REF["pft_n"]
    nhm = harmonic_mean_n(n)
    lo, hi = transf_pft(0.0, nhm), transf_pft(1.0, nhm)
    out = transf_ipft_hm([lo - 0.01, -1.0, hi + 0.01, 3.0], n)
    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0, 1.0])


def test_ipft_with_study_n_matches_metafor():
    got = transf_ipft(REF["ipft_n"]["y"], REF["ipft_n"]["n"])
    np.testing.assert_allclose(got, REF["ipft_n"]["p"], rtol=1e-6, atol=1e-9)


def test_pft_matches_metafor():
    got = transf_pft(REF["pft"]["p"], REF["pft"]["n"])
    np.testing.assert_allclose(got, REF["pft"]["y"], rtol=1e-9)


def test_exp_and_ilogit_match_metafor():
    np.testing.assert_allclose(transf_exp(REF["exp"]["y"]), REF["exp"]["value"], rtol=1e-12)
    np.testing.assert_allclose(transf_ilogit(REF["ilogit"]["y"]), REF["ilogit"]["value"], rtol=1e-12)


def test_harmonic_mean_by_hand():
    # 1 / mean(1/10, 1/40) = 1 / ((0.1 + 0.025)/2) = 1/0.0625 = 16; NaN is ignored
    assert harmonic_mean_n([10, 40, np.nan]) == pytest.approx(16.0, rel=1e-15)


def test_pft_matches_effect_sizes_pft():
    from kmeta import effect_sizes

    x, n = np.array([0, 3, 7, 12]), np.array([12, 20, 7, 30])
    es = effect_sizes("PFT", events=x, n=n)
    np.testing.assert_allclose(transf_pft(x / n, n), es["yi"], rtol=1e-12)


def test_scalar_in_scalar_out():
    assert isinstance(transf_exp(0.0), float)
    assert isinstance(transf_ipft(0.5, 10), float)
    assert isinstance(transf_ipft_hm(0.5, [10, 20]), float)
    assert transf_logit(0.5) == 0.0


def test_nan_passes_through_without_warning():
    assert math.isnan(transf_ipft(np.nan, 10))
    assert math.isnan(transf_exp(np.nan))
    assert transf_exp(1000.0) == math.inf


def test_back_transform_dispatch():
    assert back_transform(math.log(2), "RR") == pytest.approx(2.0)
    assert back_transform(math.log(2), "or") == pytest.approx(2.0)
    assert back_transform(0.0, "PLO") == pytest.approx(0.5)
    y = transf_pft(0.3, 16.0)
    assert back_transform(y, "PFT", n=[10, 40]) == pytest.approx(0.3, abs=1e-12)
    assert back_transform(-1.5, "MD") == -1.5
    np.testing.assert_array_equal(back_transform([0.1, 0.2], "RD"), [0.1, 0.2])


def test_errors():
    with pytest.raises(ValueError, match="n: study 1 is 0; sample sizes must be > 0"):
        transf_ipft([0.3, 0.4], [10, 0])
    with pytest.raises(ValueError, match="p: proportions must lie in"):
        transf_pft(1.2, 10)
    with pytest.raises(ValueError, match="n: the study sample sizes are needed"):
        back_transform(0.5, "PFT")
    with pytest.raises(ValueError, match="measure: unknown value 'HR'"):
        back_transform(0.5, "HR")
    with pytest.raises(ValueError, match="n: no sample sizes given"):
        harmonic_mean_n([np.nan])


@settings(max_examples=300, deadline=None)
@given(p=st.floats(min_value=0.0, max_value=1.0), n=st.integers(min_value=1, max_value=100_000))
def test_ipft_inverts_pft_on_attainable_range(p, n):
    assert transf_ipft(transf_pft(p, n), n) == pytest.approx(p, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(ns=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=20),
       y=st.floats(min_value=-1.0, max_value=3.0))
def test_ipft_hm_is_monotone_and_bounded(ns, y):
    a = transf_ipft_hm(y, ns)
    b = transf_ipft_hm(y + 0.01, ns)
    assert 0.0 <= a <= 1.0
    assert b >= a - 1e-12


def test_docstring_examples_run():
    res = doctest.testmod(transforms, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
