"""kmeta.clinical: NNT from a relative risk and stated control risks; MID comparisons."""
import math

import numpy as np
import pytest

from kmeta import clinical as C


def test_nnt_by_hand():
    # treated risk = p0 * RR, NNT = 1 / (p0 (RR - 1))
    r = C.nnt_from_rr(2.0, 0.25, 1.2, 3.0)
    assert r.treated_risk == pytest.approx(0.5)
    assert r.nnt == pytest.approx(1 / 0.25)
    assert r.nnt_low == pytest.approx(1 / (0.25 * 2.0))   # from RR 3.0
    assert r.nnt_high == pytest.approx(1 / (0.25 * 0.2))  # from RR 1.2
    assert not r.through_infinity and r.capped == ""


def test_orhurhu_responder_rr_at_the_printed_control_risk():
    # RR 2.43 (1.10-5.40) with the printed placebo response 19.4%: the upper RR bound
    # would imply a response above 100%, which is capped
    r = C.nnt_from_rr(2.43, 0.194, 1.10, 5.40)
    assert r.treated_risk == pytest.approx(0.194 * 2.43)
    assert r.nnt == pytest.approx(1 / (0.194 * 1.43))
    assert r.nnt_high == pytest.approx(1 / (0.194 * 0.10))
    assert r.capped == "upper bound"
    assert r.treated_risk_high == 1.0
    assert r.nnt_low == pytest.approx(1 / (1 - 0.194))
    assert "capped" in r.summary()


def test_interval_through_infinity():
    r = C.nnt_from_rr(1.3, 0.2, 0.8, 2.0)
    assert r.through_infinity
    assert r.nnt_low == pytest.approx(1 / 0.2)
    assert r.nnt_high == pytest.approx(1 / (0.2 * -0.2))  # negative: NNT to harm
    assert "infinity" in r.summary()
    assert math.isinf(C.nnt_from_rr(1.0, 0.3).nnt)


def test_nnt_table_and_monotonicity():
    tab = C.nnt_table(2.43, [0.1, 0.194, 0.3], 1.10, 5.40)
    assert list(tab["control_risk"]) == [0.1, 0.194, 0.3]
    assert np.all(np.diff(tab["nnt"]) < 0)  # a constant RR helps more people when responses are common


def test_mid_table():
    t = C.mid_table(-1.83, -2.35, -1.31, {"group": 1.0, "individual": 2.0})
    g, i = t.iloc[0], t.iloc[1]
    assert g["interval_beyond"] and g["estimate_beyond"] and g["threshold"] == -1.0
    assert not i["interval_beyond"] and not i["interval_short"] and not i["estimate_beyond"]
    assert i["verdict"] == "CI includes the MID"
    h = C.mid_table(0.5, 0.1, 0.9, {"x": 1.0}, favours="higher", label="PI")
    assert h.iloc[0]["interval_short"] and h.iloc[0]["verdict"] == "whole PI short of the MID"


@pytest.mark.parametrize("args,kwargs,field", [
    ((2.0, 19.4), {}, "control_risk"),
    ((-2.0, 0.2), {}, "rr"),
    ((2.0, 0.2), {"rr_low": 1.1}, "rr_low"),
    ((2.0, 0.2), {"rr_low": 2.5, "rr_high": 3.0}, "rr_low"),
])
def test_nnt_validation_names_the_field(args, kwargs, field):
    with pytest.raises(ValueError, match=field):
        C.nnt_from_rr(*args, **kwargs)


def test_mid_validation():
    with pytest.raises(ValueError, match="favours"):
        C.mid_table(-1, -2, 0, {"g": 1}, favours="down")
    with pytest.raises(ValueError, match="mids"):
        C.mid_table(-1, -2, 0, {"g": -1})
    with pytest.raises(ValueError, match="ci_low"):
        C.mid_table(-3, -2, 0, {"g": 1})


def test_control_risk_given_as_a_percentage_is_explained():
    with pytest.raises(ValueError, match=r"control_risk: is 19.4; must be in \(0, 1\) \(a proportion: 19.4% is 0.194\)"):
        C.nnt_from_rr(2.43, 19.4)
