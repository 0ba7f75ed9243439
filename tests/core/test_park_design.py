"""Park design on 2–3 firm parks: candidates, siting, per-firm economics, win-win, dependency.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.solution import Solution
from ecopark_opt.errors import InfeasibleError
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook

TOL = 1e-6

WATER = {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1}
# steam cannot be bought (blank virgin_price): a demand for it is met by exchange or not at all
STEAM = {"resource_id": "steam", "unit": "MWh", "virgin_price": None, "disposal_cost": 0}
PIPE = {"mode": "pipe", "resources": "*", "opex_fixed": 50, "cost_per_unit_km": 0.1}


def solve_park(tmp_path: Path, tables: dict[str, Any], name: str = "park.xlsx") -> Solution:
    """Write the tables as a workbook, load it and optimise it."""
    return optimize(load_park(write_workbook(tmp_path / name, tables)), RunOptions())


def supply(firm: str, qty: float, resource: str = "water", **extra: Any) -> dict[str, Any]:
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": "supply",
        "quantity": qty,
        **extra,
    }


def demand(firm: str, qty: float, resource: str = "water", **extra: Any) -> dict[str, Any]:
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": "demand",
        "quantity": qty,
        **extra,
    }


def site(site_id: str, x: float, y: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"site_id": site_id, "x_km": x, "y_km": y, **extra}


def plot(site_id: str, x: float, y: float = 0.0, **extra: Any) -> dict[str, Any]:
    return site(site_id, x, y, kind="plot", **extra)


def park(firms, sites, flows, resources=(WATER,), transport=(PIPE,), settings=None):
    tables: dict[str, Any] = {
        "firms": list(firms),
        "sites": list(sites),
        "resources": list(resources),
        "flows": list(flows),
        "transport": list(transport),
    }
    if settings:
        tables["settings"] = settings
    return tables


def built(solution: Solution) -> dict[tuple[str, str], Any]:
    """(supplier, receiver) → record of each built link carrying flow."""
    b = solution.built_links
    return {(r.supplier, r.receiver): r for r in b.itertuples()}


def cost_metrics(solution: Solution) -> tuple[float, float]:
    return solution.metrics["cost"]["design"], solution.metrics["cost"]["baseline"]


# --- 1, 2: candidates and admission cost ---------------------------------------------------


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
    sol = solve_park(tmp_path, candidate_park(140))
    assert sol.firms.at["C", "admitted"]
    assert set(built(sol)) == {("A", "C")}
    assert built(sol)[("A", "C")].sent == pytest.approx(80)
    assert sol.objective_value == pytest.approx(-10)
    assert cost_metrics(sol) == pytest.approx((250, 260))
    assert sol.firms.at["C", "admission_cost"] == pytest.approx(140)


def test_candidate_rejected_when_admission_costs_more_than_it_saves(tmp_path):
    # Break-even is 150 (the link saves 160 + 80 − 90 = 150). With 160:
    # admitted with the link → 160 − 150 = +10; admitted without → +160; not admitted → 0.
    # Not admitted: only A, discharging 100 t → design = baseline = 100 (C's 160 not counted).
    sol = solve_park(tmp_path, candidate_park(160))
    assert not sol.firms.at["C", "admitted"]
    assert built(sol) == {}
    assert sol.objective_value == pytest.approx(0)
    assert cost_metrics(sol) == pytest.approx((100, 100))
    assert sol.firms.at["C", "admission_cost"] == 0


def test_must_join_forces_a_costly_candidate_in(tmp_path):
    # Same park, admission 160 but must_join: the best it can do is use the link:
    # cost 160 + 90 + 20 = 270 vs baseline 260 → objective +10 (without the link: +160).
    sol = solve_park(tmp_path, candidate_park(160, must_join=True))
    assert sol.firms.at["C", "admitted"]
    assert set(built(sol)) == {("A", "C")}
    assert sol.objective_value == pytest.approx(10)
    assert cost_metrics(sol) == pytest.approx((270, 260))


# --- 3, 4, 5: siting -----------------------------------------------------------------------


def siting_park(candidates, plots) -> dict[str, Any]:
    """A at the origin supplies 100 t of water to floating candidates (blank site)."""
    return park(
        firms=[{"firm_id": "A", "site": "S1"}]
        + [{"firm_id": f, "status": "candidate", "admission_cost": 0} for f, _ in candidates],
        sites=[site("S1", 0), *plots],
        flows=[supply("A", 100)] + [demand(f, q) for f, q in candidates],
    )


def test_floating_candidate_placed_on_the_nearer_plot(tmp_path):
    # P1 at (3, 4) is 5 km from A, P2 at (6, 8) is 10 km.
    # Link to P1: 50 + 0.1·5·80 = 90; to P2: 50 + 0.1·10·80 = 130 → P1.
    # Cost 90 + 20 (A discharges 20) = 110; baseline 100 + 160 = 260 → objective −150.
    sol = solve_park(tmp_path, siting_park([("C", 80)], [plot("P1", 3, 4), plot("P2", 6, 8)]))
    assert sol.firms.at["C", "site"] == "P1"
    link = built(sol)[("A", "C")]
    assert link.to_site == "P1"
    assert link.distance_km == pytest.approx(5)
    assert link.annual_cost == pytest.approx(90)
    assert sol.objective_value == pytest.approx(-150)


@pytest.mark.parametrize(
    ("capacity", "sites", "objective"),
    [
        # capacity 1: one candidate on P1 (5 km): 50 + 0.5·40 = 70, the other on P2 (10 km):
        # 50 + 1.0·40 = 90 (still saves 80 + 40 − 90 = 30); A discharges 20.
        # Cost 70 + 90 + 20 = 180; baseline 100 + 80 + 80 = 260 → −80.
        (1, ["P1", "P2"], -80),
        # capacity 2: both on P1: 70 + 70 + 20 = 160 → −100.
        (2, ["P1", "P1"], -100),
    ],
)
def test_plot_capacity_sends_the_second_candidate_elsewhere(tmp_path, capacity, sites, objective):
    plots = [plot("P1", 3, 4, capacity=capacity), plot("P2", 6, 8, capacity=1)]
    sol = solve_park(tmp_path, siting_park([("C1", 40), ("C2", 40)], plots))
    assert sol.firms.loc[["C1", "C2"], "admitted"].all()
    assert sorted(sol.firms.loc[["C1", "C2"], "site"]) == sites
    assert len(built(sol)) == 2
    for link in built(sol).values():
        assert link.to_site == sol.firms.at[link.receiver, "site"]
    assert sol.objective_value == pytest.approx(objective)


@pytest.mark.parametrize(
    ("p1_cost", "chosen", "objective"),
    [
        # P1: link 90 + site 30 = 120 < P2: link 130 → P1; cost 120 + 20 = 140 − 260 = −120.
        (30, "P1", -120),
        # P1: link 90 + site 50 = 140 > P2: 130 → P2; cost 130 + 20 = 150 − 260 = −110.
        (50, "P2", -110),
    ],
)
def test_site_cost_is_paid_and_can_move_the_candidate(tmp_path, p1_cost, chosen, objective):
    plots = [plot("P1", 3, 4, site_cost=p1_cost), plot("P2", 6, 8)]
    sol = solve_park(tmp_path, siting_park([("C", 80)], plots))
    assert sol.firms.at["C", "site"] == chosen
    assert sol.firms.at["C", "site_cost"] == pytest.approx(p1_cost if chosen == "P1" else 0)
    assert built(sol)[("A", "C")].to_site == chosen
    assert sol.objective_value == pytest.approx(objective)
    assert cost_metrics(sol) == pytest.approx((260 + objective, 260))


# --- 6: win-win ----------------------------------------------------------------------------


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
        resources=[WATER, STEAM],
    )
    plain = solve_park(tmp_path, tables, "plain.xlsx")
    assert plain.firms.at["C", "admitted"]
    assert set(built(plain)) == {("A", "B"), ("A", "C")}
    assert plain.objective_value == pytest.approx(-170)
    assert plain.firms["gain"].to_dict() == pytest.approx({"A": 25, "B": 75, "C": -50})

    tables["settings"] = {"win_win": True}
    fair = solve_park(tmp_path, tables, "fair.xlsx")
    assert not fair.firms.at["C", "admitted"]
    assert set(built(fair)) == {("A", "B")}
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
        resources=[WATER, STEAM],
        settings={"supplier_share": 1},
    )
    plain = solve_park(tmp_path, tables, "plain.xlsx")
    assert set(built(plain)) == {("A", "C"), ("A2", "B")}
    assert plain.objective_value == pytest.approx(-550)
    assert plain.firms.at["A", "gain"] == pytest.approx(-100)

    tables["settings"] = {"supplier_share": 1, "win_win": True}
    fair = solve_park(tmp_path, tables, "fair.xlsx")
    assert fair.firms.at["C", "admitted"]
    assert set(built(fair)) == {("A2", "C"), ("A2", "B")}
    assert built(fair)[("A2", "C")].sent == pytest.approx(100)
    assert fair.objective_value == pytest.approx(-500)
    assert cost_metrics(fair) == pytest.approx((100, 600))
    assert fair.firms["gain"].to_dict() == pytest.approx({"A": 0, "A2": 300, "B": 0, "C": 0})
    assert (fair.firms.loc[fair.firms["admitted"], "gain"] >= -TOL).all()


# --- 7: per-firm economics -----------------------------------------------------------------


def test_firm_gains_design_costs_and_transfer_prices(tmp_path):
    # pipe: capex 200 over 10 years at 0 % → 20/yr, opex 30 → 50/yr fixed, 0.1 per t·km.
    # A (S1) supplies 100 t; B (S2, 5 km) demands 60 t; candidate C (floating, only plot P at
    # (0, 5), 5 km from A; site_cost 5, admission_cost 10) demands 40 t at its own price 3/t.
    # supplier_share 0.4.
    #   A→B: 50 + 0.5·60 = 80;  saving 60·2 + 60·1 − 80 = 100 → A 40, B 60.
    #   A→C: 50 + 0.5·40 = 70;  saving 40·3 + 40·1 − 70 = 90  → A 36, C 54.
    # Gains A 76, B 60, C 54 (sum 190). Baselines: A 100, B 120, C 120 (sum 340).
    # Design costs = baseline − gain: A 24, B 60, C 66.
    # Park: cost 10 + 5 + 80 + 70 = 165, saving 340 − 165 = 175 = 190 − 10 − 5.
    # Transfer price (supplier's payment per unit delivered = its gain − avoided discharge +
    # link cost): A→B (40 − 60 + 80) / 60 = 1.0, so B pays 60 and saves 120 − 60 = 60 ✓;
    # A→C (36 − 40 + 70) / 40 = 1.65, so C pays 66 and saves 120 − 66 = 54 ✓.
    pipe = {**PIPE, "capex_fixed": 200, "lifetime_years": 10, "opex_fixed": 30}
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "status": "candidate", "admission_cost": 10},
        ],
        sites=[site("S1", 0), site("S2", 5), plot("P", 0, 5, site_cost=5)],
        flows=[supply("A", 100), demand("B", 60), demand("C", 40, price=3)],
        transport=[pipe],
        settings={"supplier_share": 0.4, "discount_rate": 0},
    )
    sol = solve_park(tmp_path, tables)
    firms = sol.firms
    assert firms.at["C", "admitted"] and firms.at["C", "site"] == "P"
    links = built(sol)
    ab, ac = links[("A", "B")], links[("A", "C")]
    assert (ab.annual_cost, ac.annual_cost) == pytest.approx((80, 70))
    assert (ab.saving, ac.saving) == pytest.approx((100, 90))
    assert (ab.supplier_gain, ab.receiver_gain) == pytest.approx((40, 60))
    assert (ac.supplier_gain, ac.receiver_gain) == pytest.approx((36, 54))
    assert (ab.transfer_price, ac.transfer_price) == pytest.approx((1.0, 1.65))

    assert firms["gain"].to_dict() == pytest.approx({"A": 76, "B": 60, "C": 54})
    assert firms["baseline_cost"].to_dict() == pytest.approx({"A": 100, "B": 120, "C": 120})
    assert firms["design_cost"].to_dict() == pytest.approx({"A": 24, "B": 60, "C": 66})
    assert (firms["admission_cost"].sum(), firms["site_cost"].sum()) == pytest.approx((10, 5))

    design, baseline = cost_metrics(sol)
    assert (design, baseline) == pytest.approx((165, 340))
    park_saving = baseline - design
    assert park_saving == pytest.approx(
        firms["gain"].sum() - firms["admission_cost"].sum() - firms["site_cost"].sum()
    )
    assert sol.objective_value == pytest.approx(-175)


# --- 8: dependency limit -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "expected", "objective"),
    [
        # no limit: all 100 t from A1 (5 km): 10 + 0.5·100 = 60; A2 discharges 100.
        # Baseline: 100 + 100 + 200 = 400; cost 60 + 100 = 160 → −240.
        (1, {("A1", "B"): 100}, -240),
        # 0.6: A1 60 t: 10 + 30 = 40; A2 (10 km) 40 t: 10 + 40 = 50 (saves 80 + 40 − 50 = 70 > 0,
        # better than buying); discharges 40 + 60 = 100. Cost 190 → −210.
        (0.6, {("A1", "B"): 60, ("A2", "B"): 40}, -210),
    ],
)
def test_dependency_limit_splits_a_demand_between_suppliers(tmp_path, share, expected, objective):
    tables = park(
        firms=[
            {"firm_id": "A1", "site": "S1"},
            {"firm_id": "A2", "site": "S2"},
            {"firm_id": "B", "site": "S0"},
        ],
        sites=[site("S0", 0), site("S1", 5), site("S2", -10)],
        flows=[supply("A1", 100), supply("A2", 100), demand("B", 100)],
        transport=[{**PIPE, "opex_fixed": 10}],
        settings={"max_dependency_share": share},
    )
    sol = solve_park(tmp_path, tables)
    delivered = {k: r.delivered for k, r in built(sol).items()}
    assert delivered == pytest.approx(expected)
    assert sol.rows.loc["B/water/demand", "market"] == pytest.approx(0)
    assert sol.objective_value == pytest.approx(objective)


# --- 9: infeasibility explained ------------------------------------------------------------


def test_must_join_candidate_without_room_is_infeasible_and_explained(tmp_path):
    # C must join, may stand only on P1, and P1 has room for no candidate (capacity 0);
    # P2 is free but not allowed for C.
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "C", "status": "candidate", "must_join": True, "allowed_sites": "P1"},
        ],
        sites=[site("S1", 0), plot("P1", 5, capacity=0), plot("P2", 10)],
        flows=[supply("A", 100), demand("C", 80)],
    )
    with pytest.raises(InfeasibleError) as caught:
        solve_park(tmp_path, tables)
    assert caught.value.exit_code == 3
    message = str(caught.value)
    # the elastic re-solve blames the plot's capacity cell or the candidate's allowed_sites
    assert ("plot P1" in message and "(capacity)" in message) or (
        "candidate C" in message and "(allowed_sites)" in message
    )
