"""Family ``add_dependency_limit`` (docs/model.md): no demand row takes more than a share of
its quantity from one supplying firm.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

import pytest

from tests.core.parks import PIPE, demand, links_by_pair, park, site, supply
from tests.helpers import solve_tables


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
    sol = solve_tables(tmp_path, tables)
    delivered = {k: r.delivered for k, r in links_by_pair(sol).items()}
    assert delivered == pytest.approx(expected)
    assert sol.rows.loc["B/water/demand", "market"] == pytest.approx(0)
    assert sol.objective_value == pytest.approx(objective)
