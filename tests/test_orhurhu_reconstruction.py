"""The reconstruction of Orhurhu 2019's primary-outcome inputs from its printed pools."""
from __future__ import annotations

import numpy as np
import pytest

from kmeta import meta
from kmeta.forensics import reconstruct as forensics_reconstruct
from kmeta.reviews.orhurhu2019 import published, reconstruct
from kmeta.reviews.orhurhu2019 import reconstruction as R


@pytest.fixture(scope="module")
def full():
    return reconstruct(full=True)


def test_table_shape_and_columns(full):
    t = reconstruct()
    assert list(t["study"]) == R.primary_studies()
    for col in ("study", "label", "yi", "sei", "yi_low", "yi_high", "sei_low", "sei_high", "note"):
        assert col in t.columns
    assert "DerSimonian-Laird" in t.attrs["note"]
    assert len(t) == 6 and (t["sei"] > 0).all()


def test_every_printed_figure_holds(full):
    assert full.fit.feasible
    fitted = full.fit.figures[full.fit.figures["fit"]]
    assert len(fitted) == 28
    assert fitted["holds"].all()


def test_pools_recomputed_independently_round_to_the_printed_numbers(full):
    """Re-pool the reconstructed inputs with meta() (DL, Wald) and round as printed."""
    p = published().set_index("claim_id")
    t = full.table.set_index("study")
    for name, cid in R.POOL_CLAIMS.items():
        studies = R._studies(cid)
        res = meta(t.loc[studies, "yi"].to_numpy(), sei=t.loc[studies, "sei"].to_numpy(), method="DL")
        c = p.loc[cid]
        d = int(c["decimals"])
        assert round(res.estimate, d) == pytest.approx(c["estimate"]), cid
        assert round(res.ci_low, d) == pytest.approx(c["ci_low"]), cid
        assert round(res.ci_high, d) == pytest.approx(c["ci_high"]), cid
        i2_printed, i2_dec = R._i2_printed(cid)
        assert abs(res.i2 - i2_printed) <= 0.5 * 10 ** -i2_dec + 1e-9, cid


def test_ranges_contain_the_fit_and_samples_are_feasible(full):
    t = full.table
    assert (t["yi_low"] <= t["yi"]).all() and (t["yi"] <= t["yi_high"]).all()
    assert (t["sei_low"] <= t["sei"]).all() and (t["sei"] <= t["sei_high"]).all()
    s = full.ranges
    assert s.samples_yi.shape[0] > 50
    lo = s.samples_yi.min(axis=0)
    hi = s.samples_yi.max(axis=0)
    assert np.all(lo >= t["yi_low"].to_numpy() - 1e-12) and np.all(hi <= t["yi_high"].to_numpy() + 1e-12)
    checked = full.fit.check(s.samples_yi[-1], s.samples_sei[-1])
    assert checked[checked["fit"]]["holds"].all()


def test_deterministic():
    pools = R.published_pools()
    a = forensics_reconstruct(pools, labels=R.primary_studies(), seed=0, starts=R._STARTS)
    b = forensics_reconstruct(pools, labels=R.primary_studies(), seed=0, starts=R._STARTS)
    np.testing.assert_array_equal(a.yi, b.yi)
    np.testing.assert_array_equal(a.sei, b.sei)


def test_the_exchangeable_pair_is_labelled_by_the_benefit_claims(full):
    assert [set(g) for g in full.symmetry.groups] == [{"noppers2011", "mitchell2002"}]
    t = full.table.set_index("study")
    benefit = set(R._studies("abstract.benefit_count"))
    for s in ("noppers2011", "mitchell2002"):
        assert bool(t.loc[s, "significant"]) == (s in benefit)
    assert full.labelling["matches_benefit_claims"].sum() == 1
    # the adjunct meta-regression separates the pair; no pool does
    row = full.symmetry.table.iloc[0]
    assert "meta-regression on adjunct analgesic" in row["broken_by"]


def test_only_the_48_5_percent_overall_i2_fits_with_the_rest():
    cmp_ = R.overall_i2_comparison().set_index("claim_id")
    assert cmp_.loc["primary.md", "feasible"]
    assert not cmp_.loc["heterogeneity.i2", "feasible"]
    assert cmp_.loc["heterogeneity.i2", "culprits"] == "overall: i2"
    lo, hi = cmp_["i2_free_low"].iloc[0], cmp_["i2_free_high"].iloc[0]
    assert lo <= 48.5 <= hi
    assert not (lo <= 45.9 + 0.05 and 45.9 - 0.05 <= hi)


def test_pools_rederived_report_fit_within_rounding():
    d = R.pools_rederived()
    fitted = d[d["fitted"]]
    assert fitted["holds"].all()
    assert (d["low"] <= d["fit"] + 1e-12).all() and (d["fit"] <= d["high"] + 1e-12).all()
    assert set(d["pool"]) == set(R.POOL_CLAIMS)


def test_sigtermans_readings_computed_from_the_abstract():
    s = R.sigtermans_plus_minus().set_index("reading")
    n = 30
    assert s.loc["SD", "se"] == pytest.approx(np.sqrt(0.51**2 / n + 0.48**2 / n))
    assert s.loc["SEM", "se"] == pytest.approx(np.hypot(0.51, 0.48))
    assert s.loc["SD", "md"] == pytest.approx(2.68 - 5.45)
    for reading in ("SD", "SEM"):
        r = s.loc[reading]
        assert r["se_in_range"] == (r["sei_low"] <= r["se"] <= r["sei_high"])
    # the chapter says neither reading is what the review pooled
    assert not s["se_in_range"].any() and not s["md_in_range"].any()


def test_study_cis_overlap_measures(full):
    c = R.study_cis()
    assert len(c) == 15
    assert (c["overlap_least"] <= c["overlap_fit"] + 1e-12).all()
    # no pair of 95% CIs is disjoint anywhere in the feasible set (Table 2 footnote b says 2 are)
    assert (c["overlap_least"] > 0).all() and not c["ever_disjoint"].any()


def test_moderators_from_the_claims():
    m = R.moderators()
    assert list(m.index) == R.primary_studies()
    assert m["adjunct analgesic"].to_dict() == {
        "sigtermans2009": 0.0, "schwartzman2009": 0.0, "eichenberger2008": 1.0,
        "amr2010": 1.0, "noppers2011": 0.0, "mitchell2002": 1.0,
    }
    assert m["CRPS"].sum() == 2 and m["high dose"].sum() == 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="overall_i2"):
        reconstruct(overall_i2="nope")
    with pytest.raises(ValueError, match="overall_i2"):
        R.published_pools("primary.md x")
