"""kmeta.pk against closed forms, an independent ODE solution and hand arithmetic."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from kmeta import pk

CL, V = 50.0, 200.0          # L/h, L  -> k = 0.25 /h, t1/2 = ln2/0.25 = 2.77 h
K = CL / V


# ----------------------------------------------------------------------------- one compartment

def test_constant_infusion_matches_closed_form_during_and_after():
    # R = 20 mg/h for 6 h. During: C = R/CL (1 - e^{-kt}); after: C(6) e^{-k(t-6)}.
    R, d = 20.0, 6.0
    t = np.linspace(-1.0, 30.0, 311)
    c = pk.one_compartment(t, pk.constant_infusion(R, d), CL, V)
    during = R / CL * (1 - np.exp(-K * np.clip(t, 0, None)))
    c_end = R / CL * (1 - math.exp(-K * d))
    expected = np.where(t <= 0, 0.0, np.where(t <= d, during, c_end * np.exp(-K * (t - d))))
    np.testing.assert_allclose(c, expected, rtol=1e-12, atol=1e-15)
    # hand check at t = 4 h: 20/50 * (1 - e^{-1}) = 0.4 * 0.6321206 = 0.2528482
    assert c[t == 4.0][0] == pytest.approx(0.4 * (1 - math.exp(-1.0)), rel=1e-12)


def test_constant_infusion_approaches_steady_state_r_over_cl():
    # after 20 half-lives C = R/CL to 1e-6: 10 mg/h / 50 L/h = 0.2 mg/L
    c = pk.one_compartment([20 * math.log(2) / K], pk.constant_infusion(10.0, 1000.0), CL, V)
    assert c[0] == pytest.approx(0.2, rel=1e-6)


def test_bolus_is_dose_over_v_decaying():
    # 35 mg at t = 2 h: C(2) = 35/200 = 0.175 mg/L, then halves every ln2/k h
    s = pk.schedule(bolus_times=[2.0], bolus_doses=[35.0])
    t = np.array([0.0, 1.999, 2.0, 2.0 + math.log(2) / K, 10.0])
    c = pk.one_compartment(t, s, CL, V)
    np.testing.assert_allclose(c[:2], 0.0)
    assert c[2] == pytest.approx(0.175, rel=1e-12)
    assert c[3] == pytest.approx(0.0875, rel=1e-12)
    assert c[4] == pytest.approx(0.175 * math.exp(-K * 8.0), rel=1e-12)


def test_superposition_of_daily_infusions():
    # Three daily 4-h infusions equal the sum of three single infusions, and the trough
    # before day 2 carries over the washout of day 1 exactly.
    R = 24.5
    s = pk.repeated_infusions(R, hours=4.0, days=3)
    t = np.linspace(0, 80, 801)
    total = pk.one_compartment(t, s, CL, V)
    parts = sum(pk.one_compartment(t, pk.constant_infusion(R, 4.0, start=24.0 * i), CL, V) for i in range(3))
    np.testing.assert_allclose(total, parts, rtol=1e-12, atol=1e-15)
    c4 = R / CL * (1 - math.exp(-4 * K))             # end of infusion 1
    trough = c4 * math.exp(-20 * K)                    # 20 h later, just before infusion 2
    assert pk.one_compartment([24.0], s, CL, V)[0] == pytest.approx(trough, rel=1e-12)


def test_vectorised_over_parameter_sets_equals_loop():
    s = pk.stepwise_infusion([5.0, 10.0, 20.0], 3.0)
    t = np.linspace(0, 24, 97)
    cls = np.array([40.0, 60.0, 80.0])
    vs = np.array([120.0, 180.0, 240.0])
    c = pk.one_compartment(t, s, cls, vs)
    assert c.shape == (3, t.size)
    for i in range(3):
        np.testing.assert_allclose(c[i], pk.one_compartment(t, s, cls[i], vs[i]), rtol=1e-14)


def test_one_compartment_against_an_ode_solution():
    s = pk.combine(pk.stepwise_infusion([5.0, 15.0, 22.2], [2.0, 4.0, 10.0]),
                   pk.schedule(bolus_times=[0.0], bolus_doses=[20.0]))
    t_eval = np.linspace(0.0, 30.0, 61)

    def rhs(t, a):
        return [s.rate_at([t])[0] - K * a[0]]

    sol = solve_ivp(rhs, (0, 30), [20.0], t_eval=t_eval, rtol=1e-10, atol=1e-12, max_step=0.05)
    np.testing.assert_allclose(pk.one_compartment(t_eval, s, CL, V), sol.y[0] / V, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- two compartments

P2 = dict(cl=60.0, v1=70.0, q=150.0, v2=140.0)


def test_two_compartment_steady_state_is_r_over_cl():
    # C_ss = R/CL whatever the distribution: 30 mg/h / 60 L/h = 0.5 mg/L
    prm = pk.macro_constants(**P2)
    t_long = 40 * math.log(2) / float(prm.beta)
    c = pk.two_compartment([t_long], pk.constant_infusion(30.0, 2 * t_long), **P2)
    assert c[0] == pytest.approx(0.5, rel=1e-9)
    # and A/alpha + B/beta = 1/CL exactly
    assert float(prm.A / prm.alpha + prm.B / prm.beta) == pytest.approx(1 / 60.0, rel=1e-12)
    # bolus response at t=0 is 1/V1
    assert float(prm.A + prm.B) == pytest.approx(1 / 70.0, rel=1e-12)


def test_two_compartment_mass_balance_and_ode():
    # Integrate the two-compartment ODE for amounts; compare the central concentration and
    # check that dose = amount in body + CL * AUC at every time (mass balance).
    s = pk.combine(pk.repeated_infusions(24.5, 4.0, [0, 1, 2]), pk.schedule(bolus_times=[1.0], bolus_doses=[10.0]))
    cl, v1, q, v2 = P2["cl"], P2["v1"], P2["q"], P2["v2"]
    t_eval = np.linspace(0.0, 72.0, 145)

    def rhs(t, a):
        a1, a2, elim = a
        c1 = a1 / v1
        return [s.rate_at([t])[0] - cl * c1 - q * c1 + q * a2 / v2, q * c1 - q * a2 / v2, cl * c1]


    # the ODE has no bolus: integrate to t = 1, add the bolus, restart
    sol1 = solve_ivp(rhs, (0, 1.0), [0.0, 0.0, 0.0], rtol=1e-10, atol=1e-12, max_step=0.02)
    a0 = sol1.y[:, -1] + np.array([10.0, 0.0, 0.0])
    sol2 = solve_ivp(rhs, (1.0, 72.0), a0, t_eval=t_eval[t_eval >= 1.0], rtol=1e-10, atol=1e-12, max_step=0.02)
    c_model = pk.two_compartment(sol2.t, s, cl, v1, q, v2)
    np.testing.assert_allclose(c_model, sol2.y[0] / v1, rtol=1e-6, atol=1e-9)
    given = np.array([_given(s, tt) for tt in sol2.t])
    np.testing.assert_allclose(sol2.y.sum(axis=0), given, rtol=1e-7, atol=1e-8)
    # long after the last dose, CL * AUC = total dose (numerical AUC of the closed form)
    # (trapezoid on each side of the bolus at t = 1 h, so the jump is not smeared)
    left = np.linspace(0.0, np.nextafter(1.0, 0.0), 2_001)
    right = np.linspace(1.0, 400.0, 400_001)
    auc = sum(np.trapezoid(pk.two_compartment(g, s, cl, v1, q, v2), g) for g in (left, right))
    assert cl * auc == pytest.approx(s.total_dose(), rel=1e-6)


def _given(s, t):
    """Amount given up to time t (mg)."""
    inf = np.clip(t - s.starts, 0, s.durations) * s.rates
    bol = s.bolus_doses[s.bolus_times <= t]
    return float(inf.sum() + bol.sum())


def test_from_half_lives_round_trip_and_feasibility():
    # 70 kg: CL 18 mL/kg/min = 75.6 L/h; Vss 2.5 L/kg = 175 L; t1/2 alpha 10 min, beta 2.5 h
    cl = pk.clearance_l_per_h(18, 70)
    assert cl == pytest.approx(75.6)
    prm = pk.two_compartment_from_half_lives(cl, 175.0, 10 / 60, 2.5)
    assert bool(prm.feasible)
    back = pk.macro_constants(prm.cl, prm.v1, prm.q, prm.v2)
    assert float(pk.half_life(back.alpha)) == pytest.approx(10 / 60, rel=1e-10)
    assert float(pk.half_life(back.beta)) == pytest.approx(2.5, rel=1e-10)
    assert float(back.v1 + back.v2) == pytest.approx(175.0, rel=1e-12)
    # infeasible: MRT = Vss/CL = 224/50.4 = 4.44 h > t1/2beta/ln2 = 2/0.693 = 2.89 h
    bad = pk.two_compartment_from_half_lives(50.4, 224.0, 0.25, 2.0)
    assert not bool(bad.feasible) and np.isnan(bad.v1)
    c = pk.two_compartment([1.0, 2.0], pk.constant_infusion(10, 5), params=bad)
    assert np.isnan(c).all()
    # vectorised: mixed feasibility
    many = pk.two_compartment_from_half_lives([75.6, 50.4], [175.0, 224.0], 10 / 60, [2.5, 2.0])
    assert many.feasible.tolist() == [True, False]


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs, message", [
    (dict(starts=[0, 1], durations=[1, 0], rates=[5, 5]), "durations: piece 1 is 0; infusion durations must be > 0"),
    (dict(starts=[0], durations=[1], rates=[-5]), "rates: piece 0 is -5; infusion rates must be >= 0"),
    (dict(starts=[-1], durations=[1], rates=[5]), "starts: piece 0 is -1"),
    (dict(starts=[0, 1], durations=[1], rates=[5]), "need one value each per piece"),
    (dict(starts=[0], durations=[np.inf], rates=[5]), "durations: piece 0 is inf"),
    (dict(bolus_times=[0], bolus_doses=[-1]), "bolus_doses: bolus 0 is -1"),
])
def test_schedule_errors_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pk.schedule(**kwargs)


def test_model_errors_name_the_field():
    s = pk.constant_infusion(10, 1)
    with pytest.raises(ValueError, match="cl: parameter set 1 is 0; must be > 0"):
        pk.one_compartment([0, 1], s, [50, 0], [100, 100])
    with pytest.raises(ValueError, match="v: parameter set 0 is -1"):
        pk.one_compartment([0, 1], s, 50, -1)
    with pytest.raises(ValueError, match="t: time point 1 is nan"):
        pk.one_compartment([0, np.nan], s, 50, 100)
    with pytest.raises(ValueError, match="t_half_alpha: parameter set 0 is 3"):
        pk.two_compartment_from_half_lives(50, 100, 3.0, 2.0)
    with pytest.raises(ValueError, match="sched: expected a Schedule"):
        pk.one_compartment([0], [1, 2], 50, 100)
    with pytest.raises(ValueError, match="hours: is 25"):
        pk.repeated_infusions(10, 25, 3)
    with pytest.raises(ValueError, match="step_hours: piece 1 is 0"):
        pk.stepwise_infusion([1, 2], [1, 0])


def test_schedule_bookkeeping():
    # Schwartzman-like: 24.5 mg/h x 4 h on days 0-4 and 7-11 -> 10 x 98 = 980 mg, 40 h
    s = pk.repeated_infusions(24.5, 4.0, [0, 1, 2, 3, 4, 7, 8, 9, 10, 11])
    assert s.total_dose() == pytest.approx(980.0)
    assert s.infusion_hours == 40.0
    assert s.end == 11 * 24 + 4
    assert s.rate_at([0.0, 3.99, 4.0, 5 * 24 + 1, 7 * 24 + 1]).tolist() == [24.5, 24.5, 0.0, 0.0, 24.5]
    assert "total dose: 980 mg" in s.summary()
