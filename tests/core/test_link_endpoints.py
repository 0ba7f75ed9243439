"""Family ``add_link_endpoints`` (docs/model.md): a link is built only between admitted firms,
on the plots they are placed on.

Every expected number is worked out by hand in the comments. The parks use one transport mode
``pipe`` (no capex, fixed opex 50/yr, 0.1 per unit·km) and water bought at 2/t, discharged
at 1/t.
"""

from __future__ import annotations

import pytest

from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.solve import SolveOptions
from tests.core.parks import cost_metrics, demand, links_by_pair, park, plot, site, supply
from tests.helpers import load_tables, solve_tables


def test_a_link_reaches_a_floating_candidate_only_on_the_plot_it_stands_on(tmp_path):
    # A at the origin supplies 100 t; floating candidate C (admission 0) demands 80 t and may
    # stand on P1 at (3, 4), 5 km away, site cost 100, or on P2 at (6, 8), 10 km, free.
    #   on P1: link 50 + 0.1·5·80 = 90, site 100 → 190;  on P2: link 50 + 0.1·10·80 = 130.
    # C on P2: cost 130 + 20 (A discharges 20 t) = 150; baseline 100 + 160 = 260 → −110.
    # (Were a link's end not tied to C's plot, C would stand on the free P2 and take the
    #  short link into P1: 90 + 20 = 110 → −150.)
    tables = park(
        firms=[{"firm_id": "A", "site": "S1"}, {"firm_id": "C", "status": "candidate"}],
        sites=[site("S1", 0), plot("P1", 3, 4, site_cost=100), plot("P2", 6, 8)],
        flows=[supply("A", 100), demand("C", 80)],
    )
    sol = solve_tables(tmp_path, tables)
    assert sol.firms.at["C", "admitted"]
    assert sol.firms.at["C", "site"] == "P2"
    link = links_by_pair(sol)[("A", "C")]
    assert link.to_site == "P2"
    assert link.distance_km == pytest.approx(10)
    assert link.annual_cost == pytest.approx(130)
    assert cost_metrics(sol) == pytest.approx((150, 260))
    assert sol.objective_value == pytest.approx(-110)


def test_building_a_link_admits_its_candidate_end(tmp_path):
    # A (S1) supplies 100 t; candidate C (S2, 5 km east, admission 300) demands 80 t.
    # Left free, C stays out: the link saves 160 + 80 − 90 = 150 < 300 → objective 0.
    # With the link A→C forced built, C must be admitted; the best is then to use it:
    #   cost 300 + (50 + 0.5·80) + 20 = 410; baseline 100 + 160 = 260 → +150.
    # (Were a built link not tied to its ends, C would stay out beside an idle link:
    #  cost 50 + 100 = 150, baseline 100 → +50.)
    tables = park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "C", "status": "candidate", "site": "S2", "admission_cost": 300},
        ],
        sites=[site("S1", 0), site("S2", 5)],
        flows=[supply("A", 100), demand("C", 80)],
    )
    model = prepare(load_tables(tmp_path, tables))
    free = model.solve(SolveOptions())
    assert not free.firms.at["C", "admitted"]
    assert free.objective_value == pytest.approx(0)

    links = model.links
    (to_c,) = links.index[(links["supplier"] == "A") & (links["receiver"] == "C")]
    with model.fixed(build={to_c: 1}):
        forced = model.solve(SolveOptions())
    assert forced.firms.at["C", "admitted"]
    assert links_by_pair(forced)[("A", "C")].sent == pytest.approx(80)
    assert cost_metrics(forced) == pytest.approx((410, 260))
    assert forced.objective_value == pytest.approx(150)
