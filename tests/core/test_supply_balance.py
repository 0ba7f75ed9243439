"""Family ``add_supply_balance`` (docs/model.md): every unit supplied is sent on a link or
discharged (sold outside when the disposal cost is negative).

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import pytest

from tests.core.parks import WATER, approx, mode
from tests.helpers import built, row, solve_tables, two_firm_park


def test_supply_balance_discharges_what_is_not_sent(tmp_path):
    # pipe over 5 km: 50/yr fixed + 0.1 × 5 = 0.5 per t; each t sent saves 2 + 1 = 3 > 0.5.
    # B takes all 80 t; A discharges 100 − 80 = 20 t.
    # cost = 50 + 80 × 0.5 + 20 × 1 = 110; baseline 260; objective 110 − 260 = −150.
    tables = two_firm_park(transport=[mode(opex_fixed=50, cost_per_unit_km=0.1)])
    s = solve_tables(tmp_path, tables)
    assert s.status == "optimal"
    assert built(s) == {("A", "B", "pipe")}
    assert s.built_links["sent"].iloc[0] == approx(80)
    assert s.built_links["distance_km"].iloc[0] == approx(5)
    assert row(s, "A", WATER, "supply")["market"] == approx(20)
    assert row(s, "A", WATER, "supply")["exchanged"] == approx(80)
    assert row(s, "B", WATER, "demand")["market"] == approx(0)
    assert s.metrics["cost"] == {"design": approx(110), "baseline": approx(260)}
    assert s.objective_value == approx(-150)
    assert s.result.objective == approx(-150)


@pytest.mark.parametrize(
    ("disposal_cost", "links", "cost", "baseline"),
    [
        # A sells its water outside at 30/t; B would save only 20/t: no link.
        # cost = baseline = 100 × −30 + 80 × 20 = −1400
        (-30, set(), -1400.0, -1400.0),
        # sold at 10/t: each t exchanged gains 20 − 10 = 10 → 80 t.
        # cost = 20 × −10 = −200; baseline −1000 + 1600 = 600; objective −800
        (-10, {("A", "B", "pipeline")}, -200.0, 600.0),
    ],
)
def test_negative_disposal_cost_sells_outside(tmp_path, disposal_cost, links, cost, baseline):
    tables = two_firm_park(
        resources=[{"resource_id": WATER, "virgin_price": 20, "disposal_cost": disposal_cost}],
    )
    s = solve_tables(tmp_path, tables)
    assert built(s) == links
    assert s.metrics["cost"] == {"design": approx(cost), "baseline": approx(baseline)}
    assert s.objective_value == approx(cost - baseline)
