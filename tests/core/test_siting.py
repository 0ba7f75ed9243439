"""Family ``add_siting`` (docs/model.md): each admitted floating candidate sits on one allowed
plot; plot capacity; site costs; an impossible placement explained.

Every expected number is worked out by hand in the comments. Unless a test says otherwise the
parks use one transport mode ``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and
water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

from typing import Any

import pytest

from ecopark_opt.errors import InfeasibleError
from tests.core.parks import cost_metrics, demand, links_by_pair, park, plot, site, supply
from tests.helpers import solve_tables


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
    sol = solve_tables(tmp_path, siting_park([("C", 80)], [plot("P1", 3, 4), plot("P2", 6, 8)]))
    assert sol.firms.at["C", "site"] == "P1"
    link = links_by_pair(sol)[("A", "C")]
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
    sol = solve_tables(tmp_path, siting_park([("C1", 40), ("C2", 40)], plots))
    assert sol.firms.loc[["C1", "C2"], "admitted"].all()
    assert sorted(sol.firms.loc[["C1", "C2"], "site"]) == sites
    assert len(links_by_pair(sol)) == 2
    for link in links_by_pair(sol).values():
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
    sol = solve_tables(tmp_path, siting_park([("C", 80)], plots))
    assert sol.firms.at["C", "site"] == chosen
    assert sol.firms.at["C", "site_cost"] == pytest.approx(p1_cost if chosen == "P1" else 0)
    assert links_by_pair(sol)[("A", "C")].to_site == chosen
    assert sol.objective_value == pytest.approx(objective)
    assert cost_metrics(sol) == pytest.approx((260 + objective, 260))


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
        solve_tables(tmp_path, tables)
    assert caught.value.exit_code == 3
    message = str(caught.value)
    # the elastic re-solve blames the plot's capacity cell or the candidate's allowed_sites
    assert ("plot P1" in message and "(capacity)" in message) or (
        "candidate C" in message and "(allowed_sites)" in message
    )
