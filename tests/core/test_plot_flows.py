"""Family ``add_plot_flows`` (docs/model.md): a floating candidate exchanges on a plot at most
what its row holds, and only on the plot it is placed on. It never changes a design (the
balances and the link-end rule imply it for a placed candidate); it tightens the LP
relaxation of a candidate spread over plots.

Every expected number is worked out by hand in the comments: water is bought at 2/t and
discharged at 1/t; the pipe costs 50/yr per link and 0.1 per t·km, and reaches 10 km.
"""

from __future__ import annotations

import pytest

from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.solve import SolveOptions
from tests.core.parks import demand, park, plot, site, supply


def spread_park():
    """Candidate C (floating) supplies 100 t; B1 and B2, 1 km from plot P1 (site cost 100),
    demand 100 t each; plot P2 (no site cost) is out of the pipe's reach."""
    return park(
        firms=[
            {"firm_id": "B1", "site": "S1"},
            {"firm_id": "B2", "site": "S2"},
            {"firm_id": "C", "status": "candidate", "admission_cost": 0},
        ],
        sites=[
            site("S1", 1, 0),
            site("S2", 0, 1),
            plot("P1", 0, 0, site_cost=100),
            plot("P2", 100, 0, site_cost=0),
        ],
        flows=[supply("C", 100), demand("B1", 100), demand("B2", 100)],
        transport=[
            {"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1, "max_distance_km": 10}
        ],
    )


def test_a_candidate_spread_over_plots_cannot_send_its_row_from_each(load):
    # A t sent saves 2 (bought) + 1 (discharged) − 0.1 (1 km) = 2.9.
    # MIP: C on P1 sends 100 t to B1: 290 − 50 − site 100 = 140 → objective −140 (two links
    # of 50 t: 290 − 100 − 100 = 90; C on P2 or out: 0).
    # LP without the family: C half on P1, half on P2 (site cost 50); from P1 50 t to each
    # of B1 and B2 on links built by half (each F ≤ 100·B ≤ 100·S): 290 − 50 − 50 → −190.
    # With it: F1 + F2 ≤ 100·S_P1, so 100 t from P1 need S_P1 = 1: −140, the MIP optimum.
    model = prepare(load(spread_park()))
    assert list(model.m.plot_flow) == [(0, "C/water/supply", "C", "P1")]  # P2: no links
    relaxed = SolveOptions(relax=True)
    assert model.run(SolveOptions(mip_gap=0.0)).objective == pytest.approx(-140)
    assert model.run(relaxed).objective == pytest.approx(-140)
    with model.without("plot_flow"):
        assert model.run(relaxed).objective == pytest.approx(-190)


def test_parks_without_floating_candidates_have_no_such_rows(load):
    tables = spread_park()
    tables["firms"][2]["site"] = "P1"
    assert not hasattr(prepare(load(tables)).m, "plot_flow")
