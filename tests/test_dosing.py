"""kmeta.dosing: conversions and cumulative doses against hand arithmetic (written out)."""
from __future__ import annotations

import numpy as np
import pytest

from kmeta import dosing


def test_rate_conversions_by_hand():
    # 1 µg/kg/min = 1 * 60 min/h / 1000 µg/mg = 0.06 mg/kg/h; 2 µg/kg/min = 0.12 mg/kg/h
    assert dosing.rate_to_mg_per_kg_per_h(1, "µg/kg/min") == pytest.approx(0.06, abs=1e-15)
    assert dosing.rate_to_mg_per_kg_per_h(2, "ug/kg/min") == pytest.approx(0.12, abs=1e-15)
    # 0.02 mg/kg/min = 0.02 * 60 = 1.2 mg/kg/h; 0.0025 mg/kg/min = 0.15 mg/kg/h
    assert dosing.rate_to_mg_per_kg_per_h(0.02, "mg/kg/min") == pytest.approx(1.2)
    assert dosing.rate_to_mg_per_kg_per_h(0.0025, "mg/kg/min") == pytest.approx(0.15)
    # 0.5 mg/kg/d = 0.5 / 24 = 0.0208333 mg/kg/h
    assert dosing.rate_to_mg_per_kg_per_h(0.5, "mg/kg/d") == pytest.approx(0.5 / 24)
    # 22.2 mg/h per 70 kg = 22.2 / 70 = 0.317143 mg/kg/h whatever the patient's weight
    assert dosing.rate_to_mg_per_kg_per_h(22.2, "mg/h/70kg", weight_kg=100) == pytest.approx(0.3171428571)
    # ... and 0.317143 * 100 kg = 31.714 mg/h for a 100-kg patient
    assert dosing.rate_to_mg_per_h(22.2, "mg/h/70kg", weight_kg=100) == pytest.approx(31.7142857)
    # a fixed 16 mg/h is 16 / 80 = 0.2 mg/kg/h at 80 kg
    assert dosing.rate_to_mg_per_kg_per_h(16, "mg/h", weight_kg=80) == pytest.approx(0.2)
    # 0.35 mg/kg/h at 70 kg = 24.5 mg/h
    assert dosing.rate_to_mg_per_h(0.35, "mg/kg/h") == pytest.approx(24.5)


def test_amounts_by_hand():
    assert dosing.amount_to_mg(1, "mg/kg") == 70.0             # 1 * 70
    assert dosing.amount_to_mg(0.35, "mg/kg", 80) == pytest.approx(28.0)   # 0.35 * 80
    assert dosing.amount_to_mg(80, "mg", 120) == 80.0           # fixed amounts ignore weight


def test_cumulative_doses_of_the_trials_by_hand():
    # Sigtermans, Table 1 mean: 0.32 mg/kg/h * 70 kg * 100 h = 2240 mg
    assert dosing.cumulative_dose_mg(0.32, "mg/kg/h", 100) == pytest.approx(2240.0)
    # Sigtermans, Table 1 maximum 0.43 mg/kg/h = 30.1 mg/h at 70 kg, capped at 30 mg/h: 30 * 100 = 3000 mg
    assert dosing.cumulative_dose_mg(0.43, "mg/kg/h", 100, cap_mg_per_h=30) == pytest.approx(3000.0)
    # Schwartzman: 0.35 * 70 = 24.5 mg/h (< 25 cap) * 4 h * 10 days = 980 mg
    assert dosing.cumulative_dose_mg(0.35, "mg/kg/h", 40, cap_mg_per_h=25) == pytest.approx(980.0)
    # ... at 90 kg the cap binds: min(31.5, 25) * 40 = 1000 mg
    assert dosing.cumulative_dose_mg(0.35, "mg/kg/h", 40, weight_kg=90, cap_mg_per_h=25) == pytest.approx(1000.0)
    # Amr, Table 1: 0.22 * 70 * 35 = 539 mg; Amr abstract: 80 mg/5 h = 16 mg/h * 35 h = 560 mg
    assert dosing.cumulative_dose_mg(0.22, "mg/kg/h", 35) == pytest.approx(539.0)
    assert dosing.cumulative_dose_mg(16, "mg/h", 35) == pytest.approx(560.0)
    # Salas: 0.5 mg/kg/d for 24 h = 0.5 * 70 = 35 mg
    assert dosing.cumulative_dose_mg(0.5, "mg/kg/d", 24) == pytest.approx(35.0)


def test_validation_names_the_field():
    with pytest.raises(ValueError, match="rate: is -1; a rate must be >= 0"):
        dosing.rate_to_mg_per_kg_per_h(-1, "mg/kg/h")
    with pytest.raises(ValueError, match="hours: is 0; a duration must be > 0"):
        dosing.cumulative_dose_mg(0.3, "mg/kg/h", 0)
    with pytest.raises(ValueError, match="hours: is -2; a duration must be > 0"):
        dosing.cumulative_dose_mg(0.3, "mg/kg/h", -2)
    with pytest.raises(ValueError, match="weight_kg: is 0"):
        dosing.rate_to_mg_per_h(0.3, "mg/kg/h", weight_kg=0)
    with pytest.raises(ValueError, match="unit: unknown unit 'mg/kg/week'"):
        dosing.rate_to_mg_per_kg_per_h(1, "mg/kg/week")
    with pytest.raises(ValueError, match="unit: unknown unit 'mg/h'"):
        dosing.amount_to_mg(1, "mg/h")
    with pytest.raises(ValueError, match="cap_mg_per_h: is 0"):
        dosing.cumulative_dose_mg(0.3, "mg/kg/h", 10, cap_mg_per_h=0)
    with pytest.raises(ValueError, match="rate: expected a number"):
        dosing.rate_to_mg_per_h("fast", "mg/h")
    with pytest.raises(ValueError, match="rate: is nan"):
        dosing.rate_to_mg_per_h(float("nan"), "mg/h")


@pytest.fixture(scope="module")
def conv():
    return dosing.convert_statements().set_index("statement_id")


def test_statement_table_covers_the_three_sources(conv):
    assert set(conv["source"]) == {"clinsummary", "practice2016", "orhurhu2019"}
    assert (conv["kind"] == "reported").all()
    assert set(conv["basis"]) == {"rate", "amount"}
    assert set(conv.loc[conv.basis == "rate", "unit"]) <= set(dosing.RATE_UNITS)
    assert set(conv.loc[conv.basis == "amount", "unit"]) <= set(dosing.AMOUNT_UNITS)
    # every row has at least one printed number, and low <= high
    assert (conv["value_low"].notna() | conv["value_high"].notna()).all()
    both = conv["value_low"].notna() & conv["value_high"].notna()
    assert (conv.loc[both, "value_low"] <= conv.loc[both, "value_high"]).all()
    # a missing side is an explicit bound
    assert (conv.loc[conv["value_low"].isna(), "bound"] == "upper").all()
    assert (conv.loc[conv["value_high"].isna(), "bound"] == "lower").all()
    # all five dosing bullets of seed 001 are there
    assert conv.index.str.startswith("clinsummary.").sum() == 6


def test_converted_statements_by_hand(conv):
    # seed 001's own conversion of 1-2 µg/kg/min to 0.06-0.12 mg/kg/h is right:
    np.testing.assert_allclose(conv.loc["clinsummary.postsurgical_ug", ["mg_per_kg_per_h_low", "mg_per_kg_per_h_high"]].astype(float),
                               conv.loc["clinsummary.postsurgical_mg", ["value_low", "value_high"]].astype(float), rtol=1e-12)
    # seed 001's maximum total: 1 mg/kg * 70 = 70 mg
    assert conv.loc["clinsummary.max_total", "mg_high"] == pytest.approx(70.0)
    # seed 002 Sigtermans: 22 mg/h/70kg for 4.2 d = 100.8 h -> 22 * 100.8 = 2217.6 mg
    assert conv.loc["practice2016.sigtermans", "course_mg_low"] == pytest.approx(2217.6)
    # seed 002 Amr: 80 mg over 5 h -> 16 mg/h = 0.22857 mg/kg/h; 7 x 80 = 560 mg
    assert conv.loc["practice2016.amr", "mg_per_h_low"] == pytest.approx(16.0)
    assert conv.loc["practice2016.amr", "mg_per_kg_per_h_low"] == pytest.approx(16 / 70)
    assert conv.loc["practice2016.amr", "course_mg_low"] == pytest.approx(560.0)
    # Kapural: 10-100 mg/h, 3 h, 3-6 weekly -> 10*3*3 = 90 to 100*3*6 = 1800 mg (lower bounds)
    assert conv.loc["practice2016.kapural", ["course_mg_low", "course_mg_high"]].tolist() == pytest.approx([90.0, 1800.0])
    # Quinlan SC: 2.5-40 mg/h for 120 h -> 300-4800 mg
    assert conv.loc["practice2016.quinlan", ["course_mg_low", "course_mg_high"]].tolist() == pytest.approx([300.0, 4800.0])
    # protocol maximum 0.5 mg/kg/h = 35 mg/h; for 2-5 days (48-120 h): 35*48 = 1680 to 35*120 = 4200 mg
    assert conv.loc["practice2016.protocol_max", "mg_per_h_high"] == pytest.approx(35.0)
    assert conv.loc["practice2016.protocol_max", "course_mg_high"] == pytest.approx(4200.0)
    # WHO psychotropic maintenance 0.0025-0.02 mg/kg/min = 0.15-1.2 mg/kg/h
    assert conv.loc["practice2016.who_psychotropic_maint", ["mg_per_kg_per_h_low", "mg_per_kg_per_h_high"]].tolist() == pytest.approx([0.15, 1.2])
    # Noppers 0.5 mg/kg in 30 min -> 1 mg/kg/h while it runs, 35 mg in total
    assert conv.loc["orhurhu2019.table1_noppers", "mg_per_kg_per_h_low"] == pytest.approx(1.0)
    assert conv.loc["orhurhu2019.table1_noppers", "course_mg_low"] == pytest.approx(35.0)
    # Mitchell 0.6 mg/kg over 4 h -> 0.15 mg/kg/h, 42 mg
    assert conv.loc["orhurhu2019.table1_mitchell", "mg_per_kg_per_h_low"] == pytest.approx(0.15)
    # Table 1 courses: Sigtermans mean 2240, max 3000 (capped); Schwartzman 980; Amr 539; Eichenberger 28
    expected = {"table1_sigtermans_mean": 2240.0, "table1_schwartzman": 980.0, "table1_amr": 539.0,
                "table1_eichenberger": 28.0, "table1_salas": 35.0}
    for sid, mg in expected.items():
        assert conv.loc[f"orhurhu2019.{sid}", "course_mg_high"] == pytest.approx(mg), sid
    assert conv.loc["orhurhu2019.table1_sigtermans_max", "course_mg_high"] == pytest.approx(3000.0)


def test_the_400_mg_threshold_splits_the_trials_with_a_wide_gap(conv):
    t1 = conv[conv.index.str.startswith("orhurhu2019.table1_") & conv["course_mg_high"].notna()]
    high = t1[t1["course_mg_high"] >= 400]
    low = t1[t1["course_mg_high"] < 400]
    assert set(high["regimen"].str.split(":").str[0]) == {"Amr 2010", "Schwartzman 2009", "Sigtermans 2009"}
    # the largest low-dose course is 42 mg (Mitchell), the smallest high-dose one 539 mg (Amr):
    # every threshold between them gives the same split
    assert low["course_mg_high"].max() == pytest.approx(42.0)
    assert high["course_mg_high"].min() == pytest.approx(539.0)
