"""Family ``add_win_win`` (docs/model.md): every firm gains in the park as designed.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

import pytest

from tests.core.parks import (
    STEAM_RESOURCE,
    WATER_RESOURCE,
    cost_metrics,
    demand,
    links_by_pair,
    park,
    site,
    supply,
)
from tests.helpers import solve_tables

TOL = 1e-6


def test_win_win_drops_a_candidate_whose_link_loses_money(tmp_path):
    # A (S1) supplies 100 MWh steam (discharge free) and 100 t water; B (S3, 5 km west)
    # demands 80 t water; candidate C (S2, 5 km east) demands 100 MWh steam, which cannot be
    # bought, and brings a benefit of 120/yr (admission_cost −120).
    #   A→C steam: cost 50 + 0.5·100 = 100, saving 0 + 0 − 100 = −100 → A −50, C −50.
    #   A→B water: cost 50 + 0.5·80 = 90,  saving 160 + 80 − 90 = 150 → A +75, B +75.
    # Baseline: A water 100 + B 160 (+ steam 0, C's unbuyable demand 0) = 260.
    # Cost-optimal: C in: −120 + 100 + 90 + 20 (A's spare water) = 90 → −170 (C out: −150).
    # C's gain is −50, so win-win keeps C out: cost 90 + 20 = 110 → −150.
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S3"},
            {"firm_id": "C", "status": "candidate", "site": "S2", "admission_cost": -120},
        ],
        sites=[site("S1", 0), site("S2", 5), site("S3", -5)],
        flows=[
            supply("A", 100, "steam"),
            supply("A", 100),
            demand("B", 80),
            demand("C", 100, "steam"),
        ],
        resources=[WATER_RESOURCE, STEAM_RESOURCE],
    )
    plain = solve_tables(tmp_path, tables, "plain.xlsx")
    assert plain.firms.at["C", "admitted"]
    assert set(links_by_pair(plain)) == {("A", "B"), ("A", "C")}
    assert plain.objective_value == pytest.approx(-170)
    assert plain.firms["gain"].to_dict() == pytest.approx({"A": 25, "B": 75, "C": -50})

    tables["settings"] = {"win_win": True}
    fair = solve_tables(tmp_path, tables, "fair.xlsx")
    assert not fair.firms.at["C", "admitted"]
    assert set(links_by_pair(fair)) == {("A", "B")}
    assert fair.objective_value == pytest.approx(-150)
    assert cost_metrics(fair) == pytest.approx((110, 260))
    assert fair.firms["gain"].to_dict() == pytest.approx({"A": 75, "B": 75, "C": 0})


def test_win_win_moves_a_losing_link_to_a_supplier_who_can_carry_it(tmp_path):
    # supplier_share 1: each link's whole net saving goes to its supplier.
    # A (S1, x=0) and A2 (S3, x=15) each supply 100 MWh steam (discharge free); A2 also
    # supplies 200 t water to B (S4, x=20), who demands 200 t. Candidate C (S2, x=5) demands
    # 100 MWh steam (cannot be bought) and brings 200/yr (admission_cost −200).
    #   A→C  steam,  5 km: cost 50 + 0.5·100 = 100, saving −100 (all to A).
    #   A2→C steam, 10 km: cost 50 + 1.0·100 = 150, saving −150 (all to A2).
    #   A2→B water,  5 km: cost 50 + 0.5·200 = 150, saving 400 + 200 − 150 = 450 (to A2).
    # Baseline: A2 discharges 200 t water (200) + B buys 200 t (400) = 600.
    # Cost-optimal: C in, fed by A: −200 + 100 + 150 = 50 → −550; A's gain −100.
    #   (fed by A2: −200 + 150 + 150 = 100 → −500; C out: 150 → −450)
    # Win-win: A may not lose, so A2 feeds C: −500, A2's gain 450 − 150 = 300 ≥ 0.
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "A2", "site": "S3"},
            {"firm_id": "B", "site": "S4"},
            {"firm_id": "C", "status": "candidate", "site": "S2", "admission_cost": -200},
        ],
        sites=[site("S1", 0), site("S2", 5), site("S3", 15), site("S4", 20)],
        flows=[
            supply("A", 100, "steam"),
            supply("A2", 100, "steam"),
            supply("A2", 200),
            demand("B", 200),
            demand("C", 100, "steam"),
        ],
        resources=[WATER_RESOURCE, STEAM_RESOURCE],
        settings={"supplier_share": 1},
    )
    plain = solve_tables(tmp_path, tables, "plain.xlsx")
    assert set(links_by_pair(plain)) == {("A", "C"), ("A2", "B")}
    assert plain.objective_value == pytest.approx(-550)
    assert plain.firms.at["A", "gain"] == pytest.approx(-100)

    tables["settings"] = {"supplier_share": 1, "win_win": True}
    fair = solve_tables(tmp_path, tables, "fair.xlsx")
    assert fair.firms.at["C", "admitted"]
    assert set(links_by_pair(fair)) == {("A2", "C"), ("A2", "B")}
    assert links_by_pair(fair)[("A2", "C")].sent == pytest.approx(100)
    assert fair.objective_value == pytest.approx(-500)
    assert cost_metrics(fair) == pytest.approx((100, 600))
    assert fair.firms["gain"].to_dict() == pytest.approx({"A": 0, "A2": 300, "B": 0, "C": 0})
    assert (fair.firms.loc[fair.firms["admitted"], "gain"] >= -TOL).all()
