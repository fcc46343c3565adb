"""kmeta.appraisal: the AMSTAR 2 items, the rating rules, validation, and the stored appraisal."""
from __future__ import annotations

import itertools

import pandas as pd
import pytest

from kmeta import appraisal
from kmeta.appraisal import CRITICAL_ITEMS, ITEMS, RATINGS, rate, rating_from_counts

NONCRITICAL = tuple(i for i in range(1, 17) if i not in CRITICAL_ITEMS)


def all_yes() -> dict[int, str]:
    return {i: "yes" for i in range(1, 17)}


def with_no(items) -> dict[int, str]:
    answers = all_yes()
    for i in items:
        answers[i] = "no"
    return answers


# ---------------------------------------------------------------- the instrument as data

def test_sixteen_items_in_order_with_the_proposed_critical_domains():
    assert [it.number for it in ITEMS] == list(range(1, 17))
    assert CRITICAL_ITEMS == (2, 4, 7, 9, 11, 13, 15)
    assert [it.number for it in ITEMS if it.critical] == list(CRITICAL_ITEMS)
    table = appraisal.items()
    assert list(table.columns) == ["item", "domain", "question", "critical", "responses"]
    assert table["critical"].sum() == 7
    assert table["domain"].is_unique and table["question"].str.len().gt(30).all()


def test_allowed_responses_per_item():
    partial = {it.number for it in ITEMS if "partial yes" in it.responses}
    nma = {it.number for it in ITEMS if "no meta-analysis conducted" in it.responses}
    assert partial == {2, 4, 7, 8, 9}
    assert nma == {11, 12, 15}
    assert all({"yes", "no"} <= set(it.responses) for it in ITEMS)


# ---------------------------------------------------------------- the rules

@pytest.mark.parametrize("cf, nw, expected", [
    (0, 0, "high"), (0, 1, "high"),
    (0, 2, "moderate"), (0, 9, "moderate"),
    (1, 0, "low"), (1, 1, "low"), (1, 9, "low"),
    (2, 0, "critically low"), (2, 9, "critically low"), (7, 9, "critically low"),
])
def test_rating_from_counts_every_branch(cf, nw, expected):
    assert rating_from_counts(cf, nw) == expected


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_rating_from_counts_rejects_non_counts(bad):
    with pytest.raises(ValueError, match="critical_flaws"):
        rating_from_counts(bad, 0)
    with pytest.raises(ValueError, match="noncritical_weaknesses"):
        rating_from_counts(0, bad)


def test_all_yes_is_high_with_nothing_counted():
    r = rate(all_yes())
    assert r.rating == "high"
    assert (r.critical_flaws, r.noncritical_weaknesses) == (0, 0)
    assert r.critical_flaw_items == () and r.weakness_items == ()
    assert (r.table["counts_as"] == "met").all()
    assert "gives 'high'" in r.reasoning


@pytest.mark.parametrize("n_weak", range(len(NONCRITICAL) + 1))
def test_noncritical_weaknesses_alone_give_high_then_moderate(n_weak):
    r = rate(with_no(NONCRITICAL[:n_weak]))
    assert r.critical_flaws == 0
    assert r.noncritical_weaknesses == n_weak
    assert r.weakness_items == NONCRITICAL[:n_weak]
    assert r.rating == ("high" if n_weak <= 1 else "moderate")


@pytest.mark.parametrize("item", CRITICAL_ITEMS)
def test_any_single_critical_flaw_gives_low_whatever_the_weaknesses(item):
    assert rate(with_no([item])).rating == "low"
    r = rate(with_no([item, *NONCRITICAL]))
    assert r.rating == "low"
    assert r.critical_flaw_items == (item,)
    assert r.noncritical_weaknesses == len(NONCRITICAL)
    assert "exactly one critical flaw" in r.reasoning


@pytest.mark.parametrize("pair", list(itertools.combinations(CRITICAL_ITEMS, 2)))
def test_any_two_critical_flaws_give_critically_low(pair):
    r = rate(with_no(pair))
    assert r.rating == "critically low"
    assert r.critical_flaw_items == pair
    assert "more than one critical flaw" in r.reasoning


def test_rating_agrees_with_counts_over_many_patterns():
    # every pattern of "no" over three critical and three non-critical items
    pool = (2, 7, 15, 3, 10, 12)
    for n in range(len(pool) + 1):
        for subset in itertools.combinations(pool, n):
            r = rate(with_no(subset))
            cf = sum(i in CRITICAL_ITEMS for i in subset)
            assert (r.critical_flaws, r.noncritical_weaknesses) == (cf, n - cf)
            assert r.rating == rating_from_counts(cf, n - cf)


def test_partial_yes_met_by_default_and_unmet_on_request():
    answers = all_yes()
    answers.update({2: "partial yes", 8: "PY"})
    lenient = rate(answers)
    assert lenient.rating == "high" and lenient.partial_yes_items == (2, 8)
    assert "counted as met" in lenient.reasoning
    strict = rate(answers, partial_yes="unmet")
    assert strict.critical_flaw_items == (2,) and strict.weakness_items == (8,)
    assert strict.rating == "low"
    assert "counted as not met" in strict.reasoning


def test_no_meta_analysis_is_not_counted():
    answers = all_yes()
    answers.update({11: "no meta-analysis conducted", 12: "NMA", 15: "nma"})
    r = rate(answers)
    assert r.rating == "high"
    assert r.not_applicable_items == (11, 12, 15)
    assert set(r.table.loc[r.table["item"].isin([11, 12, 15]), "counts_as"]) == {"not applicable"}
    assert "not applicable" in r.reasoning


def test_custom_critical_domains():
    answers = with_no([3, 10])  # two non-critical weaknesses: moderate
    assert rate(answers).rating == "moderate"
    r = rate(answers, critical=(3,))  # item 3 made critical, 10 still not
    assert r.critical == (3,) and r.critical_flaw_items == (3,) and r.weakness_items == (10,)
    assert r.rating == "low"
    assert rate(with_no(CRITICAL_ITEMS), critical=()).rating == "moderate"


def test_input_forms_and_aliases_are_equivalent():
    base = with_no([7, 11])
    as_strings = {f"Q{k}" if k % 2 else f"item {k}": v.upper() for k, v in base.items()}
    as_frame = pd.DataFrame({"item": list(base), "response": list(base.values())})
    ratings = {rate(x).rating for x in (base, as_strings, as_frame)}
    assert ratings == {"critically low"}
    assert appraisal.normalize_response(" Partial-Yes ", 4) == "partial yes"


def test_result_objects_follow_the_project_convention():
    r = rate(with_no([7, 11, 15, 3]))
    frame = r.to_frame()
    assert frame.shape[0] == 1
    assert frame.loc[0, "rating"] == "critically low"
    assert frame.loc[0, "critical_flaw_items"] == "7, 11, 15"
    assert frame.loc[0, "weakness_items"] == "3"
    text = r.summary()
    assert "CRITICALLY LOW" in text and str(r) == text
    assert len(r.table) == 16
    assert r.rating in RATINGS


# ---------------------------------------------------------------- validation

def test_unknown_item_is_named():
    answers = all_yes()
    answers[17] = "yes"
    with pytest.raises(ValueError, match="item 17 is not an AMSTAR 2 item"):
        rate(answers)
    with pytest.raises(ValueError, match="'Q0' is not an AMSTAR 2 item"):
        rate({**all_yes(), "Q0": "yes"})
    with pytest.raises(ValueError, match="'seven' is not an AMSTAR 2 item"):
        rate({**all_yes(), "seven": "yes"})


def test_missing_items_are_named():
    answers = all_yes()
    del answers[5], answers[13]
    with pytest.raises(ValueError, match=r"items 5, 13 missing"):
        rate(answers)
    with pytest.raises(ValueError, match=r"item 1 missing"):
        rate({k: v for k, v in all_yes().items() if k != 1})


def test_invalid_responses_are_named():
    with pytest.raises(ValueError, match=r"item 3: 'maybe' is not an AMSTAR 2 response"):
        rate({**all_yes(), 3: "maybe"})
    with pytest.raises(ValueError, match=r"item 1: 'partial yes' is not allowed"):
        rate({**all_yes(), 1: "partial yes"})
    with pytest.raises(ValueError, match=r"item 13: 'no meta-analysis conducted' is not allowed"):
        rate({**all_yes(), 13: "NMA"})
    with pytest.raises(ValueError, match=r"item 9: response 1 is not text"):
        rate({**all_yes(), 9: 1})


def test_other_bad_input():
    frame = pd.DataFrame({"item": [1, 1], "response": ["yes", "no"]})
    with pytest.raises(ValueError, match="item 1 is given more than once"):
        rate(frame)
    with pytest.raises(ValueError, match="columns 'item' and 'response'"):
        rate(pd.DataFrame({"item": [1]}))
    with pytest.raises(ValueError, match="expected a mapping"):
        rate(["yes"] * 16)
    with pytest.raises(ValueError, match="partial_yes"):
        rate(all_yes(), partial_yes="half")
    with pytest.raises(ValueError, match="critical: 20"):
        rate(all_yes(), critical=(2, 20))
    with pytest.raises(ValueError, match="critical: expected item numbers"):
        rate(all_yes(), critical="2,4")


# ---------------------------------------------------------------- the stored appraisal

def test_orhurhu_appraisal_is_complete_with_provenance():
    j = appraisal.judgements("orhurhu2019")
    assert j["item"].tolist() == list(range(1, 17))
    assert (j["source"] == "orhurhu2019").all() and (j["kind"] == "derived").all()
    for col in ("location", "basis", "book_evidence"):
        assert (j[col].str.len() > 20).all(), col
    # every response is a valid one for its item (normalised by the loader)
    assert all(r in it.responses for r, it in zip(j["response"], ITEMS))
    assert j.loc[j["critical"], "item"].tolist() == list(CRITICAL_ITEMS)


def test_orhurhu_scorecard_claims_exist():
    from kmeta.reviews.orhurhu2019 import published

    ids = set(published()["claim_id"])
    cited = [c for cell in appraisal.judgements()["scorecard_claims"] for c in str(cell).split(";") if c]
    assert cited, "the appraisal links no scorecard claim"
    assert sorted(set(cited) - ids) == []


def test_orhurhu_rating_follows_the_rules_from_the_stored_responses():
    j = appraisal.judgements()
    r = rate(j)
    no = j.loc[j["response"] == "no", ["item", "critical"]]
    assert r.critical_flaw_items == tuple(no.loc[no["critical"], "item"])
    assert r.weakness_items == tuple(no.loc[~no["critical"], "item"])
    assert r.rating == rating_from_counts(len(r.critical_flaw_items), len(r.weakness_items))


def test_judgements_rejects_unknown_review():
    with pytest.raises(ValueError, match="no appraisal stored for 'nosuchreview'"):
        appraisal.judgements("nosuchreview")
    with pytest.raises(ValueError, match="review: expected a review key"):
        appraisal.judgements("")
