"""The Orhurhu 2019 scorecard: complete, each claim covered once, statuses computed."""
from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from kmeta.egger import egger
from kmeta.metareg import metareg
from kmeta.reviews.orhurhu2019 import published, scorecard
from kmeta.reviews.orhurhu2019 import checks_primary as C
from kmeta.reviews.orhurhu2019 import reconstruction as R

# the package re-exports the function scorecard(), which shadows the module of that name
S = importlib.import_module("kmeta.reviews.orhurhu2019.scorecard")


@pytest.fixture(scope="module")
def card():
    return scorecard()


def test_every_claim_has_exactly_one_row(card):
    ids = published()["claim_id"]
    assert len(card) == len(ids)
    assert list(card["claim_id"]) == list(ids)
    assert not card["claim_id"].duplicated().any()


def test_every_row_has_an_allowed_status_and_a_reason(card):
    assert set(card["status"]) <= set(S.STATUSES)
    assert card["status"].notna().all() and (card["status"] != "unknown").all()
    assert card["reason"].str.strip().str.len().min() >= 20
    assert card["check"].str.strip().str.len().min() > 0


def test_each_module_covers_exactly_the_claims_it_owns():
    own = S.owners()
    seen = []
    for module in S.MODULES:
        rows = importlib.import_module(f"kmeta.reviews.orhurhu2019.{module}").checks()
        assert set(rows["claim_id"]) == set(own.loc[own["module"] == module, "claim_id"]), module
        seen += list(rows["claim_id"])
    assert len(seen) == len(set(seen)) == len(published())


def test_owner_rule():
    assert S.owner("primary.md") == "checks_primary"
    assert S.owner("abstract.metareg.dose.p") == "checks_primary"
    assert S.owner("table2.fn_b.i2") == "checks_primary"
    assert S.owner("table2.fn_a") == "checks_certainty"
    assert S.owner("time.wk2.md") == "checks_secondary"
    assert S.owner("table1.amr.rate") == "checks_design"
    with pytest.raises(ValueError):
        S.owner("")


def test_status_counts_are_computed(card):
    counts = S.status_counts(card)
    assert list(counts["status"]) == list(S.STATUSES)
    assert counts["claims"].sum() == len(card)
    for status, n in zip(counts["status"], counts["claims"]):
        assert n == int((card["status"] == status).sum())
    by = S.status_counts(card, by="module").set_index("status")
    assert by.to_numpy().sum() == len(card)
    with pytest.raises(ValueError, match="by"):
        S.status_counts(card, by="nope")


def test_a_missing_module_is_a_clear_error(monkeypatch):
    real = importlib.import_module

    def fake(name, *a, **k):
        if name.endswith("checks_secondary"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *a, **k)

    monkeypatch.setattr(S.importlib, "import_module", fake)
    with pytest.raises(ModuleNotFoundError, match="checks_secondary is missing"):
        S.scorecard()


def test_primary_rows_cover_the_primary_share():
    rows = C.checks()
    assert set(rows["claim_id"]) == set(C.claim_ids())
    assert len(rows) == len(C.claim_ids()) > 40
    assert set(rows["status"]) <= set(S.STATUSES)


def test_metareg_batch_agrees_with_kmeta_metareg():
    res = R.reconstruct(full=True)
    Y, Sd = res.ranges.samples_yi[::40], res.ranges.samples_sei[::40]
    mods = R.moderators()
    for name in mods.columns:
        x = mods[name].to_numpy()
        for method, test in C.SETTINGS + (("REML", "t"), ("ML", "knha")):
            b, se, p, tau2 = C.metareg_batch(Y, Sd**2, x, method, test)
            for i in range(Y.shape[0]):
                m = metareg(Y[i], Sd[i] ** 2, pd.DataFrame({"x": x}), method=method, test=test)
                t = m.table()
                assert b[i] == pytest.approx(t.loc["x", "estimate"], abs=1e-5)
                assert p[i] == pytest.approx(t.loc["x", "pval"], abs=1e-5)
                assert tau2[i] == pytest.approx(m.tau2, abs=1e-5)


def test_egger_batch_agrees_with_kmeta_egger():
    res = R.reconstruct(full=True)
    Y, Sd = res.ranges.samples_yi[::25], res.ranges.samples_sei[::25]
    bias, t, p = C.egger_batch(Y, Sd)
    for i in range(Y.shape[0]):
        e = egger(Y[i], Sd[i] ** 2)
        assert p[i] == pytest.approx(e.pval, rel=1e-9)
        assert abs(t[i]) == pytest.approx(abs(e.stat), rel=1e-9)


def test_metareg_table_ranges_contain_the_fit():
    mr = C.metareg_pvalues()
    assert len(mr) == 4 * len(C.SETTINGS)
    assert ((mr["p_low"] <= mr["p_fit"] + 1e-12) & (mr["p_fit"] <= mr["p_high"] + 1e-12)).all()
    h = 0.0005
    expect = (mr["p_low"] <= mr["value"] + h) & (mr["value"] - h <= mr["p_high"])
    assert (mr["attainable"] == expect).all()


def test_statuses_follow_the_computations(card):
    c = card.set_index("claim_id")
    cmp_ = R.overall_i2_comparison().set_index("claim_id")
    # 45.9% is marked inconsistent exactly because it lies outside the range the other figures allow
    outside = not (cmp_["i2_free_low"].iloc[0] <= 45.95 and 45.85 <= cmp_["i2_free_high"].iloc[0])
    assert (c.loc["heterogeneity.i2", "status"] == "inconsistent within the paper") == outside
    mr = C.metareg_pvalues()
    for name, (pcid, _) in R.MODERATOR_CLAIMS.items():
        any_ok = bool(mr.loc[mr["claim_id"] == pcid, "attainable"].any())
        assert (c.loc[pcid, "status"] != "inconsistent within the paper") == any_ok
    begg = C.small_study_tests()["begg_check"]
    assert (c.loc["pubbias.begg.p", "status"] == "inconsistent within the paper") == (begg.verdict == "inconsistent")


def test_leave_one_out_and_subgroup_tables():
    loo = C.leave_one_out_table()
    assert len(loo) == 6
    assert ((loo["ci_low"] < loo["estimate"]) & (loo["estimate"] < loo["ci_high"])).all()
    assert (loo["pval"] <= loo["p_max"]).all()
    sg = C.subgroup_differences()
    assert len(sg) == 4
    assert ((sg["p_low"] <= sg["p_fit"] + 1e-12) & (sg["p_fit"] <= sg["p_high"] + 1e-12)).all()
    assert np.isnan(sg.set_index("moderator").loc["adjunct analgesic", "p_printed_pools"])
