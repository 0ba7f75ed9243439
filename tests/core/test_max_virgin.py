"""Family ``add_max_virgin`` (docs/model.md): a cap on the park's yearly purchase of a
resource.

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


@pytest.mark.parametrize(
    ("max_virgin", "links", "cost"),
    [
        # the pipe costs 300/yr and saves only 80 × 3 = 240: standalone, cost 260
        (None, set(), 260.0),
        # buying at most 50 forces ≥ 30 t of exchange; once built the link carries all 80
        # (each t saves 3): cost = 300 + 20 × 1 = 320, objective +60
        (50, {("A", "B", "pipe")}, 320.0),
    ],
)
def test_max_virgin_forces_an_exchange(tmp_path, max_virgin, links, cost):
    tables = two_firm_park(
        resources=[
            {"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1, "max_virgin": max_virgin}
        ],
        transport=[mode(opex_fixed=300)],
    )
    s = solve_tables(tmp_path, tables)
    assert built(s) == links
    assert s.metrics["cost"]["design"] == approx(cost)
    assert s.objective_value == approx(cost - 260)
    if max_virgin is not None:
        assert row(s, "B", WATER, "demand")["market"] <= max_virgin + 1e-6


def test_max_virgin_below_what_exchange_can_cover_is_infeasible(tmp_path):
    # A can cover at most 80 of B's 80 t... but B demands 150: 70 must be bought, cap 50.
    tables = two_firm_park(
        resources=[{"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1, "max_virgin": 50}],
        flows=flows(("A", WATER, "supply", 80), ("B", WATER, "demand", 150)),
    )
    with pytest.raises(InfeasibleError, match="max_virgin"):
        solve_tables(tmp_path, tables)
