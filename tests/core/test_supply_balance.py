"""Family ``add_supply_balance`` (docs/model.md): every unit supplied is sent on a link or
discharged (sold outside when the disposal cost is negative).

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import pytest

from tests.core.parks import WATER, approx, firms, flows, mode, sites
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


def test_supply_balance_caps_what_two_receivers_share(tmp_path):
    # A supplies 100 t; B (S2, 5 km east) demands 80 t and C (S3, 5 km north) 50 t; the
    # default pipeline is cost-free, so each t sent saves 2 + 1 = 3 and A sends all it has:
    # 100 t between B and C (any split), nothing discharged, B and C buy 130 − 100 = 30 t.
    # cost = 30 × 2 = 60; baseline 100 × 1 + 80 × 2 + 50 × 2 = 360; objective −300.
    # (without the balance A would send 80 + 50 = 130 t: cost 0, objective −360)
    tables = two_firm_park(
        firms=firms(A="S1", B="S2", C="S3"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(0, 5)),
        flows=flows(
            ("A", WATER, "supply", 100), ("B", WATER, "demand", 80), ("C", WATER, "demand", 50)
        ),
    )
    s = solve_tables(tmp_path, tables)
    assert s.links["sent"].sum() == approx(100)
    assert row(s, "A", WATER, "supply")["exchanged"] == approx(100)
    assert row(s, "A", WATER, "supply")["market"] == approx(0)
    bought = row(s, "B", WATER, "demand")["market"] + row(s, "C", WATER, "demand")["market"]
    assert bought == approx(30)
    assert s.metrics["cost"] == {"design": approx(60), "baseline": approx(360)}
    assert s.objective_value == approx(-300)


def test_a_rejected_candidates_supply_is_neither_sent_nor_discharged(tmp_path):
    # Candidate C (S1) would supply 100 t to B (S2, 5 km, demands 80 t) for an admission
    # cost of 300/yr; the default pipeline is cost-free.
    #   admitted: cost 300 + 20 discharged × 1 = 320, baseline 100 + 160 = 260 → +60;
    #   rejected: its supply is q × A = 0: B buys 80 → cost = baseline = 160 → 0.
    # (were C's 100 t owed even when rejected, it would discharge them: 260 − 160 = +100,
    #  and admitting it (+60) would look better)
    tables = two_firm_park(
        firms=[
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "status": "candidate", "site": "S1", "admission_cost": 300},
        ],
        flows=flows(("C", WATER, "supply", 100), ("B", WATER, "demand", 80)),
    )
    s = solve_tables(tmp_path, tables)
    assert not s.firms.at["C", "admitted"]
    assert built(s) == set()
    assert row(s, "C", WATER, "supply")["market"] == approx(0)
    assert row(s, "C", WATER, "supply")["exchanged"] == approx(0)
    assert row(s, "B", WATER, "demand")["market"] == approx(80)
    assert s.metrics["cost"] == {"design": approx(160), "baseline": approx(160)}
    assert s.objective_value == approx(0)
