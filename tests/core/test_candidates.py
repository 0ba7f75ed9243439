"""Candidate firms (docs/model.md): admitted when their exchanges pay for their admission cost,
forced in by ``must_join``.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.parks import cost_metrics, demand, links_by_pair, park, site, supply
from tests.helpers import solve_tables


def candidate_park(admission_cost: float, must_join: bool = False) -> dict[str, Any]:
    """A (S1) supplies 100 t of water; candidate C (S2, 5 km east) would demand 80 t."""
    return park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {
                "firm_id": "C",
                "status": "candidate",
                "site": "S2",
                "admission_cost": admission_cost,
                "must_join": must_join,
            },
        ],
        sites=[site("S1", 0), site("S2", 5)],
        flows=[supply("A", 100), demand("C", 80)],
    )


def test_candidate_admitted_when_its_exchange_pays_for_admission(tmp_path):
    # Link A→C, 80 t over 5 km: opex 50 + 0.1·5·80 = 40 → 90; A discharges the other 20 t → 20.
    # Baseline with C: A discharges 100 (100) + C buys 80 (160) = 260.
    # Admitted: cost = 140 + 90 + 20 = 250, objective 250 − 260 = −10 < 0 (not admitted: 0).
    sol = solve_tables(tmp_path, candidate_park(140))
    assert sol.firms.at["C", "admitted"]
    assert set(links_by_pair(sol)) == {("A", "C")}
    assert links_by_pair(sol)[("A", "C")].sent == pytest.approx(80)
    assert sol.objective_value == pytest.approx(-10)
    assert cost_metrics(sol) == pytest.approx((250, 260))
    assert sol.firms.at["C", "admission_cost"] == pytest.approx(140)


def test_candidate_rejected_when_admission_costs_more_than_it_saves(tmp_path):
    # Break-even is 150 (the link saves 160 + 80 − 90 = 150). With 160:
    # admitted with the link → 160 − 150 = +10; admitted without → +160; not admitted → 0.
    # Not admitted: only A, discharging 100 t → design = baseline = 100 (C's 160 not counted).
    sol = solve_tables(tmp_path, candidate_park(160))
    assert not sol.firms.at["C", "admitted"]
    assert links_by_pair(sol) == {}
    assert sol.objective_value == pytest.approx(0)
    assert cost_metrics(sol) == pytest.approx((100, 100))
    assert sol.firms.at["C", "admission_cost"] == 0


def test_must_join_forces_a_costly_candidate_in(tmp_path):
    # Same park, admission 160 but must_join: the best it can do is use the link:
    # cost 160 + 90 + 20 = 270 vs baseline 260 → objective +10 (without the link: +160).
    sol = solve_tables(tmp_path, candidate_park(160, must_join=True))
    assert sol.firms.at["C", "admitted"]
    assert set(links_by_pair(sol)) == {("A", "C")}
    assert sol.objective_value == pytest.approx(10)
    assert cost_metrics(sol) == pytest.approx((270, 260))
