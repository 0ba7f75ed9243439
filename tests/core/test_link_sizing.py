"""Family ``add_link_sizing`` (docs/model.md): a link whose mode has a sizing cost gets a
capacity K to decide, paid per unit of capacity, and carries in each period at most K's rate.

The transport mode ``pipe`` has no other cost; ``discount_rate = 0`` and
``lifetime_years = 1`` make the annualised capex equal to the capex. Every expected number is
worked out by hand in the comments.
"""

from __future__ import annotations

import pytest

from tests.core.parks import demand, links_by_pair, mode, park, site, supply
from tests.core.test_periods import HALVES, heat_park, profile
from tests.helpers import solve_tables

NO_DISCOUNT = {"discount_rate": 0, "lifetime_years": 1}


def water_park(**pipe) -> dict:
    """A (S1) supplies 100 t of water, B (S2, 1 km) demands 80 t; water 2/t to buy, 1/t to
    discharge."""
    return park(
        firms=[{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
        sites=[site("S1", 0), site("S2", 1)],
        flows=[supply("A", 100), demand("B", 80)],
        transport=[mode("pipe", **pipe)],
        settings=NO_DISCOUNT,
    )


def test_one_period_capacity_is_the_flow_and_costs_per_unit_carried(tmp_path):
    # capex 1 per t/yr of capacity: each t sent saves 2 + 1 and needs 1 t/yr of capacity →
    # 80 t sent, K = 80, cost 80 (capacity) + 20 (A's spare water discharged) = 100 against
    # 100 + 160 standalone: objective −160.
    s = solve_tables(tmp_path, water_park(capex_per_capacity=1))
    link = links_by_pair(s)["A", "B"]
    assert link.sent == pytest.approx(80)
    assert link.capacity == pytest.approx(80)
    assert link.annual_cost == pytest.approx(80)
    assert s.objective_value == pytest.approx(-160)


def test_capacity_dearer_than_what_it_carries_is_not_built(tmp_path):
    # capex 2 per t/yr per km over 1 km plus 1.5 per t/yr: 3.5 per t > the 3 it saves.
    s = solve_tables(tmp_path, water_park(capex_per_capacity=1.5, capex_per_capacity_km=2))
    assert s.built_links.empty
    assert s.objective_value == pytest.approx(0)


@pytest.mark.parametrize(
    ("kappa", "winter", "capacity", "objective"),
    [
        # κ = 25: a winter unit beyond the summer flow needs 2 units of capacity (a half year
        # carries K/2) costing 50 > 40 saved, so the pipe is sized for summer: winter =
        # summer = 200, K = 400: saving 40·400 − 25·400 = 6 000.
        (25, 200, 400, -6_000),
        # κ = 15: one more winter unit costs 30 < 40: sized for the winter supply of 500,
        # K = 1 000, summer 200: saving 40·700 − 15·1 000 = 13 000 (200/200: 10 000).
        (15, 500, 1000, -13_000),
    ],
)
def test_a_pipe_is_sized_for_the_season_that_pays(tmp_path, kappa, winter, capacity, objective):
    # A supplies 1 000 MWh flat; B demands 1 000 MWh, 80 % in winter (800 / 200).
    tables = heat_park(transport=[mode("pipe", capex_per_capacity=kappa)], settings=NO_DISCOUNT)
    s = solve_tables(tmp_path, tables, f"k{kappa}.xlsx")
    link = links_by_pair(s)["A", "B"]
    assert s.sent_by_period.loc[link.Index].to_dict() == pytest.approx(
        {"winter": winter, "summer": 200}
    )
    assert link.capacity == pytest.approx(capacity)
    assert s.objective_value == pytest.approx(objective)


def test_sizing_and_a_fixed_capex_together(tmp_path):
    # The same pipe with κ = 15 also costs 12 000 to build: the sized design saves 13 000,
    # so it is still built (net 1 000); at 14 000 it is not (−1 000 < 0).
    built = solve_tables(
        tmp_path,
        heat_park(
            transport=[mode("pipe", capex_per_capacity=15, capex_fixed=12_000)],
            settings=NO_DISCOUNT,
        ),
        "built.xlsx",
    )
    assert built.objective_value == pytest.approx(-1_000)
    left = solve_tables(
        tmp_path,
        heat_park(
            transport=[mode("pipe", capex_per_capacity=15, capex_fixed=14_000)],
            settings=NO_DISCOUNT,
        ),
        "left.xlsx",
    )
    assert left.built_links.empty and left.objective_value == pytest.approx(0)


def test_periods_and_profiles_shape_a_sized_heat_pipe(tmp_path):
    # The flat supply can also be shaped: A gives 70 % in summer (700) and 30 % in winter
    # (300); B still wants 800 in winter and 200 in summer. Exchange ≤ 300 + 200 = 500.
    # κ = 15: winter 300 needs K = 600 (cost 9 000), saving 40·500 − 9 000 = 11 000.
    tables = heat_park(transport=[mode("pipe", capex_per_capacity=15)], settings=NO_DISCOUNT)
    tables["profiles"] += profile("A", "heat", "supply", winter=0.3, summer=0.7)
    tables["periods"] = HALVES
    s = solve_tables(tmp_path, tables)
    link = links_by_pair(s)["A", "B"]
    assert link.capacity == pytest.approx(600)
    assert s.objective_value == pytest.approx(-11_000)


def test_a_sized_mode_never_prunes_a_cheaper_parallel_mode(tmp_path):
    # Two parallel modes from A to B: a plain pipe (opex 10/yr) and a sized pipe (no fixed
    # cost, 1 per t/yr of capacity). Plain: 80 t × 3 − 10 = 230 saved; sized: 80 × (3 − 1)
    # = 160. The sized mode looks free on fixed and variable cost alone: it must not be
    # taken to dominate the plain one (which pruning would then drop).
    tables = water_park()
    tables["transport"] = [mode("pipe", opex_fixed=10), mode("sized", capex_per_capacity=1)]
    s = solve_tables(tmp_path, tables)
    assert s.objective_value == pytest.approx(-230)
    assert set(s.built_links["mode"]) == {"pipe"}
    unpruned = solve_tables(tmp_path, tables, "unpruned.xlsx", prune=False)
    assert unpruned.objective_value == pytest.approx(-230)
