"""Family ``add_firm_gains`` (docs/model.md): each firm's gain is its share of the net saving
of the links it is part of; design costs and transfer prices follow from it.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.solve import SolveOptions
from tests.core.parks import PIPE, cost_metrics, demand, links_by_pair, park, plot, site, supply
from tests.helpers import load_tables, solve_tables


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
    sol = solve_tables(tmp_path, tables)
    firms = sol.firms
    assert firms.at["C", "admitted"] and firms.at["C", "site"] == "P"
    links = links_by_pair(sol)
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


def test_the_models_gain_of_each_firm_is_its_share_of_its_links(tmp_path):
    # The Gain expressions the win-win constraint bounds, read from the solved model.
    # A (S1) supplies 100 t; B (S2, 5 km east) demands 60 t, C (S3, 5 km north) 10 t;
    # supplier_share 0.25; win_win (every gain below is ≥ 0: the design is unchanged).
    #   A→B: 50 + 0.5·60 = 80; saving 60·2 + 60·1 − 80 = 100 → A 25, B 75.
    #   A→C: 50 + 0.5·10 = 55; saving 10·2 + 10·1 − 55 = −25 → not built, C gains 0.
    # Park: baseline 100 + 120 + 20 = 240, cost 80 + 40 × 1 + 10 × 2 = 140: saving 100 = 25 + 75.
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "site": "S3"},
        ],
        sites=[site("S1", 0), site("S2", 5), site("S3", 0, 5)],
        flows=[supply("A", 100), demand("B", 60), demand("C", 10)],
        settings={"supplier_share": 0.25, "win_win": True},
    )
    model = prepare(load_tables(tmp_path, tables))
    sol = model.solve(SolveOptions())
    assert set(links_by_pair(sol)) == {("A", "B")}
    gains = {f: pyo.value(model.m.Gain[f]) for f in ("A", "B", "C")}
    assert gains == pytest.approx({"A": 25, "B": 75, "C": 0})
    assert sol.firms["gain"].to_dict() == pytest.approx(gains)
    assert cost_metrics(sol) == pytest.approx((140, 240))
    assert sol.objective_value == pytest.approx(-100)


def test_the_gains_are_built_only_for_win_win(tmp_path):
    # without win_win nothing bounds the gains: the model has none (the report recomputes
    # each firm's gain from the design)
    tables = park(
        firms=[{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
        sites=[site("S1", 0), site("S2", 5)],
        flows=[supply("A", 100), demand("B", 60)],
    )
    assert not hasattr(prepare(load_tables(tmp_path, tables)).m, "Gain")
    tables["settings"] = {"win_win": True}
    assert hasattr(prepare(load_tables(tmp_path, tables, "ww.xlsx")).m, "Gain")
