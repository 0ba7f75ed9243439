"""Family ``add_demand_balance`` (docs/model.md): every unit demanded is delivered by links or
bought; a demand that cannot be bought is met by exchange only.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import pytest

from ecopark_opt.errors import InfeasibleError
from tests.core.parks import WATER, approx, flows, mode
from tests.helpers import built, row, solve_tables, two_firm_park


def test_demand_balance_buys_what_is_not_delivered(tmp_path):
    # B now demands 150 t: A sends all 100 t, B buys 150 − 100 = 50 t, A discharges 0.
    # cost = 50 + 100 × 0.5 + 50 × 2 = 200; baseline 100 × 1 + 150 × 2 = 400; objective −200.
    # virgin: 50 against 150.
    tables = two_firm_park(
        transport=[mode(opex_fixed=50, cost_per_unit_km=0.1)],
        flows=flows(("A", WATER, "supply", 100), ("B", WATER, "demand", 150)),
    )
    s = solve_tables(tmp_path, tables)
    assert s.built_links["sent"].iloc[0] == approx(100)
    assert row(s, "B", WATER, "demand")["market"] == approx(50)
    assert row(s, "B", WATER, "demand")["exchanged"] == approx(100)
    assert row(s, "A", WATER, "supply")["market"] == approx(0)
    assert s.metrics["cost"] == {"design": approx(200), "baseline": approx(400)}
    assert s.metrics["virgin"] == {"design": approx(50), "baseline": approx(150)}
    assert s.objective_value == approx(-200)


def steam_park(steam_supply: float) -> dict:
    """A supplies steam (cannot be bought, free to vent) to B, who needs 50 steam and 10 water;
    the pipe costs 100/yr."""
    return two_firm_park(
        resources=[
            {"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "steam", "unit": "MWh", "virgin_price": None},
        ],
        flows=flows(
            ("A", "steam", "supply", steam_supply),
            ("B", "steam", "demand", 50),
            ("B", WATER, "demand", 10),
        ),
        transport=[mode(opex_fixed=100)],
    )


def test_unbuyable_demand_is_met_by_exchange_only(tmp_path):
    # the link must carry 50 even though it only costs: cost = 100 + 10 × 2 = 120.
    # baseline: steam adds nothing, water 10 × 2 = 20; objective +100.
    # virgin: water only, 10 before and after.
    s = solve_tables(tmp_path, steam_park(80))
    assert built(s) == {("A", "B", "pipe")}
    assert s.built_links["sent"].iloc[0] == approx(50)
    assert row(s, "B", "steam", "demand")["market"] == approx(0)
    assert row(s, "A", "steam", "supply")["market"] == approx(30)
    assert s.metrics["cost"] == {"design": approx(120), "baseline": approx(20)}
    assert s.metrics["virgin"] == {"design": approx(10), "baseline": approx(10)}
    assert s.objective_value == approx(100)


def test_unbuyable_demand_without_enough_supply_is_infeasible(tmp_path):
    with pytest.raises(InfeasibleError, match="cannot be bought"):
        solve_tables(tmp_path, steam_park(40))
