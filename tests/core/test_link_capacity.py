"""Family ``add_link_capacity`` (docs/model.md): flow only on a built link, up to its bound.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260. How the bound U itself is found is tested in
test_links.py.
"""

from __future__ import annotations

import pytest

from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.solve import SolveOptions
from tests.core.parks import WATER, approx, mode
from tests.helpers import built, load_tables, row, solve_tables, two_firm_park


@pytest.mark.parametrize(
    ("opex_fixed", "links", "sent", "cost"),
    [
        # 80 t sent save 80 × (2 + 1) = 240 > 200: built, cost = 200 + 20 × 1 = 220
        (200, {("A", "B", "pipe")}, 80.0, 220.0),
        # 240 < 300: not built, so nothing flows: cost = baseline = 260
        (300, set(), 0.0, 260.0),
    ],
)
def test_flow_needs_a_link_built_and_paid_for(tmp_path, opex_fixed, links, sent, cost):
    # Without F ≤ U·B the 80 t would flow on the link left unbuilt, its fixed cost unpaid:
    # cost 20, objective −240. (At 300 the link never pays and is pruned before the solve,
    # see test_formulation.py; the fixed-Build test below covers that side.)
    s = solve_tables(tmp_path, two_firm_park(transport=[mode(opex_fixed=opex_fixed)]))
    assert built(s) == links
    assert s.links["sent"].sum() == approx(sent)
    assert row(s, "B", WATER, "demand")["market"] == approx(80 - sent)
    assert s.metrics["cost"] == {"design": approx(cost), "baseline": approx(260)}
    assert s.objective_value == approx(cost - 260)


def test_a_link_fixed_unbuilt_carries_nothing(tmp_path):
    # The free pipeline would carry all 80 t (objective −240). With Build fixed at 0 the
    # flow is 0: B buys 80, A discharges 100, cost = baseline = 260, objective 0.
    model = prepare(load_tables(tmp_path, two_firm_park()))
    assert list(model.links["receiver"]) == ["B"]
    with model.fixed(build={model.links.index[0]: 0}):
        s = model.solve(SolveOptions())
    assert s.links["sent"].sum() == approx(0)
    assert row(s, "B", WATER, "demand")["market"] == approx(80)
    assert row(s, "A", WATER, "supply")["market"] == approx(100)
    assert s.objective_value == approx(0)
