"""Parks coupled by candidate firms, solved from a settled start (core/coupled.py): the LP
relaxation rounded into who comes and where, the settled park solved by pieces, then the
whole model from that design. The optimum and the bound are the whole model's, whatever the
start.

Unless a test says otherwise the parks use one transport mode ``pipe`` (no capex, fixed
opex 50/yr, 0.1 per unit·km) and water bought at 2/t, discharged at 1/t.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecopark_opt.core import coupled
from ecopark_opt.core.coupled import Settlement, settle, settled_park
from ecopark_opt.core.optimize import RunOptions, design_park, optimize, prepare
from ecopark_opt.core.solve import SolveOptions
from ecopark_opt.errors import InfeasibleError
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from tests.core.parks import demand, park, plot, site, supply
from tests.core.test_properties import SETTINGS, close, parks


@pytest.fixture
def whole_route(monkeypatch):
    """The route for every park with candidates, however small."""
    monkeypatch.setattr(coupled, "MIN_LINKS", 0)


def siting_park(candidates, plots) -> dict[str, Any]:
    """A at the origin supplies 100 t of water to floating candidates (blank site)."""
    return park(
        firms=[{"firm_id": "A", "site": "S1"}]
        + [{"firm_id": f, "status": "candidate", "admission_cost": 0} for f, _ in candidates],
        sites=[site("S1", 0), *plots],
        flows=[supply("A", 100)] + [demand(f, q) for f, q in candidates],
    )


# P1 (3, 4) is 5 km from A, P2 (6, 8) 10 km; one candidate each. C1 and C2 demand 40 t:
# on P1 a link costs 50 + 0.5·40 = 70, on P2 50 + 1.0·40 = 90 (still saves 80 + 40 − 90 =
# 30). Both admitted: 70 + 90 + 20 (A discharges 20) = 180 against 100 + 80 + 80 = 260 → −80.
TWO_PLOTS = siting_park([("C1", 40), ("C2", 40)], [plot("P1", 3, 4), plot("P2", 6, 8)])


def test_the_route_starts_from_a_settled_design_and_finds_the_optimum(tmp_path, whole_route):
    park = write_workbook(tmp_path / "park.xlsx", TWO_PLOTS)
    solution = optimize(load_park(park), RunOptions(mip_gap=0.0))
    assert solution.objective_value == pytest.approx(-80)
    assert solution.result.extra["settled start"] is True
    assert sorted(solution.firms.loc[["C1", "C2"], "site"]) == ["P1", "P2"]
    assert "relaxation" in solution.timings and "settled park" in solution.timings


def test_a_bad_start_does_not_change_the_optimum(tmp_path, whole_route, monkeypatch):
    # C2 kept out and C1 on the far plot: 90 + 60 (A discharges 60) + 0 vs 100 + 80 → −30;
    # the whole model still finds −80
    bad = Settlement(frozenset({"C1"}), {"C1": "P2"})
    monkeypatch.setattr(coupled, "settle", lambda m: bad)
    park = write_workbook(tmp_path / "park.xlsx", TWO_PLOTS)
    solution = optimize(load_park(park), RunOptions(mip_gap=0.0))
    assert solution.objective_value == pytest.approx(-80)
    assert solution.result.bound == pytest.approx(-80)


def test_an_infeasible_settled_park_leaves_the_whole_model_without_a_start(
    tmp_path, whole_route, monkeypatch
):
    # steam cannot be bought: C on P2 (10 km) is beyond the 6 km pipe, so its demand has no
    # supply; the whole model places it on P1 (5 km): link 50 + 0.5·40 = 70, A discharges 60
    steam = {"resource_id": "water", "unit": "t", "virgin_price": None, "disposal_cost": 1}
    tables = siting_park([("C", 40)], [plot("P1", 3, 4), plot("P2", 6, 8)])
    tables["resources"] = [steam]
    tables["transport"] = [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}]
    tables["transport"][0]["max_distance_km"] = 6
    tables["firms"][1]["must_join"] = True
    monkeypatch.setattr(coupled, "settle", lambda m: Settlement(frozenset({"C"}), {"C": "P2"}))
    solution = optimize(load_park(write_workbook(tmp_path / "p.xlsx", tables)), RunOptions())
    assert solution.result.extra["settled start"] is False
    assert solution.firms.at["C", "site"] == "P1"
    assert solution.objective_value == pytest.approx(70 + 60 - 100)


def test_settle_assigns_plots_by_the_largest_total_relaxed_share(load):
    # Relaxed: C1 on P1 0.6 (P2 0); C2 on P1 0.7, P2 0.6; C3 admitted 0.3 → out. One by one
    # from the largest share puts C2 on P1 and C1 on P2 (0.7 + 0); the assignment puts C1
    # on P1 and C2 on P2 (0.6 + 0.6).
    tables = siting_park([("C1", 40), ("C2", 40), ("C3", 40)], [plot("P1", 3, 4), plot("P2", 6, 8)])
    m = prepare(load(tables)).m
    admit = {"C1": 1.0, "C2": 0.8, "C3": 0.3}
    share = {("C1", "P1"): 0.6, ("C2", "P1"): 0.7, ("C2", "P2"): 0.6, ("C3", "P1"): 0.3}
    for f in m.CANDIDATES:
        m.Admit[f].set_value(admit[f])
    for k in m.PLACEMENTS:
        m.Place[k].set_value(share.get(k, 0.0))
    assert settle(m) == Settlement(frozenset({"C1", "C2"}), {"C1": "P1", "C2": "P2"})
    # three admitted, two places: the least-placed one stays out
    m.Admit["C3"].set_value(0.5)
    assert settle(m) == Settlement(frozenset({"C1", "C2"}), {"C1": "P1", "C2": "P2"})


def test_settle_places_must_join_candidates_first_and_gives_up_without_room(load):
    tables = siting_park([("C1", 40), ("C2", 40)], [plot("P1", 3, 4)])
    tables["firms"][2]["must_join"] = True  # C2
    m = prepare(load(tables)).m
    m.Admit["C1"].set_value(1.0)
    m.Place["C1", "P1"].set_value(0.9)
    m.Place["C2", "P1"].set_value(0.1)
    assert settle(m) == Settlement(frozenset({"C2"}), {"C2": "P1"})
    tables["firms"][1]["must_join"] = True  # both must join one place
    m = prepare(load(tables)).m
    assert settle(m) is None


def test_the_settled_park_has_admitted_candidates_on_their_plots(load):
    tables = siting_park([("C1", 40), ("C2", 40)], [plot("P1", 3, 4), plot("P2", 6, 8, capacity=2)])
    model = prepare(load(tables))
    settled, links = settled_park(
        model.park, model.links, Settlement(frozenset({"C1"}), {"C1": "P2"})
    )
    assert list(settled.firms.index) == ["A", "C1"]
    assert settled.firms.at["C1", "status"] == "existing"
    assert settled.firms.at["C1", "site"] == "P2"
    assert list(settled.flows["firm_id"]) == ["A", "C1"]
    # the one link left is A → C1 on P2, with its id in the whole park's link frame
    assert list(zip(links["receiver"], links["to_site"])) == [("C1", "P2")]
    assert links.index.isin(model.links.index).all()


def brute_force(model) -> float | None:
    """The optimum over every admission and placement, each solved with them fixed."""
    m = model.m
    free = [f for f in m.CANDIDATES if not m.Admit[f].fixed]
    plots_of = {f: [s for g, s in m.PLACEMENTS if g == f] for f in m.FLOATING}
    best = None
    for admitted in itertools.product((0, 1), repeat=len(free)):
        admit = dict(zip(free, admitted)) | {f: 1 for f in m.CANDIDATES if f not in free}
        floating = [f for f in m.FLOATING if admit[f]]
        for where in itertools.product(*(plots_of[f] for f in floating)):
            chosen = dict(zip(floating, where))
            place = {(f, s): int(chosen.get(f) == s) for f, s in m.PLACEMENTS}
            with model.fixed(admit=admit, place=place):
                result = model.run(SolveOptions(time_limit=10, mip_gap=0.0))
            if result.status == "optimal" and (best is None or result.objective < best):
                best = result.objective
    return best


@pytest.mark.slow
@settings(max_examples=30, **SETTINGS)
@given(tables=parks(max_firms=5, max_resources=2, max_modes=2), win_win=st.booleans())
def test_the_route_finds_the_brute_force_optimum_over_admission_and_placement(tables, win_win):
    assume(any(f.get("status") == "candidate" for f in tables["firms"]))
    tables["settings"]["win_win"] = win_win
    tables["settings"]["objective"] = "cost"
    with tempfile.TemporaryDirectory() as tmp:
        park = load_park(write_workbook(Path(tmp) / "park.xlsx", tables))
    best = brute_force(prepare(park))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coupled, "MIN_LINKS", 0)
        if best is None:
            with pytest.raises(InfeasibleError):
                design_park(park, RunOptions(mip_gap=0.0, time_limit=30))
            return
        _, solution = design_park(park, RunOptions(mip_gap=0.0, time_limit=30))
    scale = max(1.0, solution.metrics["cost"]["baseline"])
    assert close(solution.result.objective, best, scale=scale)
    assert solution.result.bound <= best + 1e-6 * scale  # the whole model's bound
