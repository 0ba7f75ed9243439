"""Speed-ups that must not change answers: safe pruning, decomposition into independent
components, the spatial pre-filter of candidate links and HiGHS bound scaling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecopark_opt.core import decompose
from ecopark_opt.core import links as links_module
from ecopark_opt.core.links import candidate_links, site_pairs_within
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.park_model import ParkModel
from ecopark_opt.core.prune import prune_links
from ecopark_opt.core.solve import bound_scale
from ecopark_opt.inputs.generate import generate_park
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from tests.helpers import two_firm_park

EXACT = RunOptions(mip_gap=1e-9, time_limit=30)
MONOLITHIC = RunOptions(mip_gap=1e-9, time_limit=30, prune=False, decompose=False)


def generated(tmp_path: Path, firms: int, resources: int, seed: int, **extra) -> object:
    tables = generate_park(
        firms, resources, seed, plots=extra.pop("plots", 0), candidates=extra.pop("candidates", 0)
    )
    tables["settings"] = {**tables["settings"], **extra}
    return load_park(write_workbook(tmp_path / f"g{firms}_{resources}_{seed}.xlsx", tables))


def pipe(opex: float, **more) -> dict:
    return {"mode": "pipe", "opex_fixed": opex, "cost_per_unit_km": 0, **more}


# --- pruning: hand cases -------------------------------------------------------------------
# Two firms (helpers.two_firm_park): A supplies 100 t of water (disposal 1/t), B, 5 km away,
# demands 80 t (virgin price 2/t). One pipe, cost-free per unit, so U = min(100, 80) = 80 and
# the unit saving is η p_B + p_A − v = 2 + 1 − 0 = 3: the link can save at most
# 80 × 3 = 240 a year against its fixed cost.


def test_a_link_that_cannot_pay_its_fixed_cost_is_pruned(load):
    park = load(two_firm_park(transport=[pipe(300)]))
    links = candidate_links(park)
    assert len(links) == 1
    # 240 − 300 = −60 ≤ 0: never worth building
    assert prune_links(park, links).empty
    # the optimum is standalone operation either way (objective 0), and the solution still
    # lists the candidate link, not built
    pruned, full = optimize(park, EXACT), optimize(park, MONOLITHIC)
    assert pruned.objective_value == pytest.approx(0.0, abs=1e-9)
    assert full.objective_value == pytest.approx(0.0, abs=1e-9)
    assert pruned.result.extra["pruned links"] == 1
    assert len(pruned.links) == 1 and pruned.links["build"].sum() == 0


def test_a_link_that_can_pay_is_kept(load):
    park = load(two_firm_park(transport=[pipe(200)]))
    links = candidate_links(park)
    # 240 − 200 = 40 > 0
    assert len(prune_links(park, links)) == 1
    assert optimize(park, EXACT).objective_value == pytest.approx(-40.0)


def test_a_link_needed_for_max_virgin_is_not_pruned(load):
    tables = two_firm_park(transport=[pipe(300)])
    tables["resources"][0]["max_virgin"] = 50
    park = load(tables)
    assert len(prune_links(park, candidate_links(park))) == 1
    # B may buy at most 50, so the link must deliver ≥ 30; it costs 300 and saves 3 per
    # unit, best used to the full 80: 300 − 240 = +60 against standalone
    assert optimize(park, EXACT).objective_value == pytest.approx(60.0)


def test_a_link_into_a_demand_that_cannot_be_bought_is_not_pruned(load):
    tables = two_firm_park(transport=[pipe(300)])
    tables["resources"][0]["virgin_price"] = None
    park = load(tables)
    assert len(prune_links(park, candidate_links(park))) == 1
    # the 80 t must come through the link: cost 300 + discharge of the other 20 t (20),
    # baseline = discharge of 100 t (100, the unbuyable demand adds nothing): +220
    assert optimize(park, EXACT).objective_value == pytest.approx(220.0)


def quality_park(virgin_salt: float) -> dict:
    tables = two_firm_park(transport=[pipe(300)], properties=[{"property": "salt"}])
    tables["resources"][0]["salt"] = virgin_salt
    tables["flows"][0]["salt"] = 5  # A's water
    tables["flows"][1]["salt"] = 10  # B accepts at most 10 in its mix
    return tables


def test_a_link_needed_for_a_quality_limit_is_not_pruned(load):
    park = load(quality_park(virgin_salt=20))
    assert len(prune_links(park, candidate_links(park))) == 1
    # virgin water (20) is too salty for B on its own: 5 x + 20 (80 − x) ≤ 10 × 80 needs
    # x ≥ 53.3 from A, so the link is built and best used in full: 300 − 240 = +60
    assert optimize(park, EXACT).objective_value == pytest.approx(60.0)


def test_a_quality_limit_does_not_block_pruning_when_virgin_is_cleaner(load):
    # virgin 2 ≤ A's 5: buying instead never raises the mix, so the losing link goes
    park = load(quality_park(virgin_salt=2))
    assert prune_links(park, candidate_links(park)).empty
    assert optimize(park, EXACT).objective_value == pytest.approx(0.0, abs=1e-9)


def test_a_dirty_source_is_bounded_by_the_receivers_quality_limit(load):
    tables = quality_park(virgin_salt=0)
    tables["transport"] = [pipe(50)]
    tables["flows"][0]["salt"] = 30  # A's water is three times over B's limit of 10
    park = load(tables)
    links = candidate_links(park)
    # the rest of B's 80 t is at best virgin (0): 30 F + 0 (80 − F) ≤ 10 × 80 → F ≤ 26.67,
    # tighter than min(100, 80)
    assert links["upper"].tolist() == pytest.approx([80 * 10 / 30])
    # saving 3 per t on 26.67 t = 80 against the pipe's 50 a year: built, full to the limit
    s = optimize(park, EXACT)
    assert s.objective_value == pytest.approx(-30.0)
    assert s.built_links["sent"].tolist() == pytest.approx([80 / 3])
    # at 100 a year the best the link can do (80) does not pay: pruned
    tables["transport"] = [pipe(100)]
    park = load(tables)
    assert prune_links(park, candidate_links(park)).empty


def test_a_cleaner_source_relaxes_the_quality_bound(load):
    tables = quality_park(virgin_salt=50)  # buying is no help: virgin water is saltier
    tables["firms"].append({"firm_id": "C", "site": "S1"})
    tables["flows"][0]["salt"] = 30
    tables["flows"].append(
        {"firm_id": "C", "resource_id": "water", "direction": "supply", "quantity": 100, "salt": 2}
    )
    park = load(tables)
    links = candidate_links(park).set_index("supplier")
    # the cleanest other source is C (2): 30 F + 2 (80 − F) ≤ 800 → F ≤ 640 / 28 = 22.86;
    # C itself is within the limit and keeps min(100, 80)
    assert links.at["A", "upper"] == pytest.approx(640 / 28)
    assert links.at["C", "upper"] == pytest.approx(80)


def test_the_virgin_objective_keeps_links_that_lose_money(load):
    tables = two_firm_park(transport=[pipe(300)], settings={"objective": "virgin"})
    park = load(tables)
    # each unit exchanged avoids one unit bought: the link helps the virgin objective
    assert len(prune_links(park, candidate_links(park))) == 1
    assert optimize(park, EXACT).objective_value == pytest.approx(-80.0)


def test_a_dominated_parallel_mode_is_dropped(load):
    modes = [
        {"mode": "pipe", "opex_fixed": 100, "cost_per_unit_km": 0.1},
        {"mode": "gold_pipe", "opex_fixed": 150, "cost_per_unit_km": 0.2},  # worse in all
        {"mode": "truck", "opex_fixed": 0, "cost_per_unit_km": 0.5},  # cheaper to build
    ]
    park = load(two_firm_park(transport=modes))
    links = candidate_links(park)
    assert sorted(links["mode"]) == ["gold_pipe", "pipe", "truck"]
    assert sorted(prune_links(park, links)["mode"]) == ["pipe", "truck"]
    # pipe: 100 + 0.1 × 5 × 80 = 140 against 240 saved → −100; truck: 0.5 × 5 × 80 = 200 → −40
    s = optimize(park, EXACT)
    assert s.objective_value == pytest.approx(-100.0)
    assert list(s.built_links["mode"]) == ["pipe"]


def test_a_capacity_limited_mode_does_not_dominate(load):
    modes = [
        {"mode": "pipe", "opex_fixed": 100, "cost_per_unit_km": 0.1, "capacity": 50},
        {"mode": "gold_pipe", "opex_fixed": 150, "cost_per_unit_km": 0.2},
    ]
    park = load(two_firm_park(transport=modes))
    # the cheap pipe carries at most 50 of the 80: it cannot take over gold_pipe's flow
    assert len(prune_links(park, candidate_links(park))) == 2


# --- pruning: generated parks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("firms", "resources", "seed", "extra"),
    [
        (15, 6, 1, {}),
        (20, 8, 2, {}),
        (20, 8, 4, {"plots": 3, "candidates": 4}),
        (20, 8, 5, {"win_win": True, "max_dependency_share": 0.6}),
        (20, 8, 6, {"objective": "weighted", "weight_virgin": 0.5, "weight_co2e": 0.001}),
        (25, 10, 3, {"objective": "co2e"}),  # nothing can be pruned: every link cuts CO2e
    ],
)
@pytest.mark.slow
def test_pruning_keeps_the_optimum_of_generated_parks(tmp_path, firms, resources, seed, extra):
    park = generated(tmp_path, firms, resources, seed, **extra)
    options = RunOptions(mip_gap=1e-9, time_limit=30, decompose=False)
    pruned = optimize(park, options)
    full = optimize(park, MONOLITHIC)
    assert pruned.status == full.status == "optimal"
    if park.settings.objective != "co2e":  # the test prunes something
        assert pruned.result.extra.get("pruned links", 0) > 0
    assert pruned.objective_value == pytest.approx(full.objective_value, rel=1e-6, abs=1e-6)
    assert len(pruned.links) == len(full.links)  # every candidate is still reported


# --- decomposition -------------------------------------------------------------------------


def two_resources(**settings) -> dict:
    """Water A → B and heat C → D, both 5 km, no substitution: two independent problems.

    Water: 100 supplied (disposal 1), 80 demanded (price 2), pipe opex 100 → saves
    240 − 100 = 140. Heat: 50 supplied (disposal 0), 40 demanded (price 10), pipe opex 100 →
    saves 400 − 100 = 300. Together −440."""
    return {
        "firms": [{"firm_id": f, "site": f"S{f}"} for f in "ABCD"],
        "sites": [
            {"site_id": "SA", "x_km": 0, "y_km": 0},
            {"site_id": "SB", "x_km": 5, "y_km": 0},
            {"site_id": "SC", "x_km": 100, "y_km": 0},
            {"site_id": "SD", "x_km": 105, "y_km": 0},
        ],
        "resources": [
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "heat", "unit": "MWh", "virgin_price": 10, "disposal_cost": 0},
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
            {"firm_id": "C", "resource_id": "heat", "direction": "supply", "quantity": 50},
            {"firm_id": "D", "resource_id": "heat", "direction": "demand", "quantity": 40},
        ],
        "transport": [pipe(100, max_distance_km=10)],
        "settings": settings,
    }


def test_components_are_found_on_a_hand_case(load):
    park = load(two_resources())
    links = candidate_links(park)
    assert len(links) == 2  # A→B and C→D; the 100 km pairs are out of the pipe's reach
    labels = decompose.component_labels(park, links)
    assert labels["A/water/supply"] == labels["B/water/demand"]
    assert labels["C/heat/supply"] == labels["D/heat/demand"]
    assert labels["A/water/supply"] != labels["C/heat/supply"]


def test_a_max_virgin_cap_joins_the_rows_of_its_resource(load):
    tables = two_resources()
    # a second water pair far away: two water components, joined by a cap on water
    tables["resources"][1]["resource_id"] = "water2"
    tables["flows"][2]["resource_id"] = tables["flows"][3]["resource_id"] = "water"
    free = decompose.component_labels(load(tables), candidate_links(load(tables)))
    assert free["B/water/demand"] != free["D/water/demand"]
    tables["resources"][0]["max_virgin"] = 1000
    park = load(tables)
    capped = decompose.component_labels(park, candidate_links(park))
    assert capped["B/water/demand"] == capped["D/water/demand"]


def test_solving_components_apart_gives_the_monolithic_solution(load, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # every component is its own piece
    park = load(two_resources())
    pieces = decompose.plan_pieces(park, candidate_links(park))
    assert pieces is not None and len(pieces) == 2
    apart, whole = optimize(park, EXACT), optimize(park, MONOLITHIC)
    assert apart.result.extra["components"] == 2
    assert apart.objective_value == pytest.approx(-440.0)  # −140 − 300, see two_resources
    assert whole.objective_value == pytest.approx(-440.0)
    assert apart.result.gap == pytest.approx(0.0, abs=1e-9)
    pd.testing.assert_frame_equal(apart.links, whole.links)
    pd.testing.assert_frame_equal(apart.rows, whole.rows)
    pd.testing.assert_frame_equal(apart.firms, whole.firms)
    # cost: links 100 + 100, discharge 20 × 1 of water → 220; baseline 80 × 2 + 100 × 1 +
    # 40 × 10 = 660; virgin: 80 + 40 bought standalone, nothing with the links
    for s in (apart, whole):
        assert s.metrics["cost"] == pytest.approx({"design": 220.0, "baseline": 660.0})
        assert s.metrics["virgin"] == pytest.approx({"design": 0.0, "baseline": 120.0})


def with_a_digester(tables: dict) -> dict:
    """:func:`two_resources` plus sludge: A also supplies 100 t of sludge (10/t to discharge)
    to D's digester (1 t → 0.5 MWh of heat, 1 per t, 50 a year when built), whose heat goes
    to B (40 MWh, price 10)."""
    tables["resources"].append(
        {"resource_id": "sludge", "unit": "t", "virgin_price": None, "disposal_cost": 10}
    )
    tables["flows"] += [
        {"firm_id": "A", "resource_id": "sludge", "direction": "supply", "quantity": 100},
        {"firm_id": "B", "resource_id": "heat", "direction": "demand", "quantity": 40},
    ]
    tables["processes"] = [
        {"process_id": "dig", "firm_id": "D", "max_throughput": 100, "cost_per_unit": 1,
         "opex_fixed": 50}
    ]  # fmt: skip
    tables["process_io"] = [
        {"process_id": "dig", "resource_id": "sludge", "direction": "input", "ratio": 1},
        {"process_id": "dig", "resource_id": "heat", "direction": "output", "ratio": 0.5},
    ]
    tables["firms"][3]["site"] = "SB2"  # D next to A and B; C alone far away
    tables["sites"].append({"site_id": "SB2", "x_km": 5, "y_km": 1})
    tables["transport"] = [pipe(100, max_distance_km=10), pipe(0, max_distance_km=10) | {
        "mode": "truck"}]  # fmt: skip
    return tables


def test_components_follow_the_conversion_graph(load, monkeypatch):
    # the digester's sludge input and heat output are one component with A and B's rows;
    # C's heat (100 km away) stays apart. Solving apart = solving whole.
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = load(with_a_digester(two_resources()))
    labels = decompose.component_labels(park, candidate_links(park))
    assert labels["dig/sludge/input"] == labels["dig/heat/output"] == labels["A/sludge/supply"]
    assert labels["C/heat/supply"] != labels["dig/heat/output"]
    pieces = decompose.plan_pieces(park, candidate_links(park))
    assert pieces is not None and len(pieces) >= 2
    apart, whole = optimize(park, EXACT), optimize(park, MONOLITHIC)
    assert apart.result.extra["components"] >= 2
    assert apart.objective_value == pytest.approx(whole.objective_value)
    pd.testing.assert_frame_equal(apart.processes, whole.processes)
    pd.testing.assert_frame_equal(apart.rows, whole.rows)
    # the digester runs on all 100 t: 50 MWh of heat for B's 40 (10 left discharged free)
    assert whole.processes.at["dig", "throughput"] == pytest.approx(100)
    assert bool(whole.processes.at["dig", "built"])


def test_a_loose_gap_on_a_small_park_is_solved_as_one_model(load, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = load(two_resources())
    links = candidate_links(park)
    # the route rule (decompose.one_model_first): components for a tight gap, one model for
    # a gap of at least 1 % on a park of at most ONE_MODEL_LINKS links, components again on
    # a larger park
    assert len(decompose.plan_pieces(park, links, mip_gap=1e-3)) == 2
    assert decompose.plan_pieces(park, links, mip_gap=1e-2) is None
    monkeypatch.setattr(decompose, "ONE_MODEL_LINKS", 1)
    assert len(decompose.plan_pieces(park, links, mip_gap=1e-2)) == 2
    monkeypatch.setattr(decompose, "ONE_MODEL_LINKS", 2)
    loose = optimize(park, RunOptions(mip_gap=0.05, time_limit=30))
    assert "pieces solved" not in loose.result.extra
    assert loose.objective_value == pytest.approx(-440.0)  # see two_resources
    assert optimize(park, EXACT).result.extra["pieces solved"] == 2


@pytest.mark.parametrize("objective", ["cost", "virgin"])
def test_a_park_solved_whole_is_built_in_standard_form_with_the_pyomo_optimum(
    tmp_path, monkeypatch, objective
):
    """One model at a loose gap (or a park of one component) is built straight in standard
    form, not in Pyomo, when nothing needs the Pyomo model afterwards; same optimum, same
    tables, every candidate link listed (pruned ones too)."""
    park = generated(tmp_path, 20, 8, 2, objective=objective)
    whole = optimize(park, MONOLITHIC)  # in Pyomo

    def no_pyomo(*args, **kwargs):
        raise AssertionError("the Pyomo model was built")

    monkeypatch.setattr(ParkModel, "build", no_pyomo)
    monkeypatch.setattr(decompose, "ONE_MODEL_GAP", 1e-12)  # one model at any gap
    fast = optimize(park, RunOptions(mip_gap=1e-9, time_limit=30))
    assert "pieces solved" not in fast.result.extra
    if objective == "cost":  # links that cannot pay are left out of the model, not the tables
        assert fast.result.extra["pruned links"] > 0
    assert fast.status == whole.status == "optimal"
    assert fast.objective_value == pytest.approx(whole.objective_value, rel=1e-6)
    for metric in ("cost", "virgin", "co2e"):
        assert fast.metrics[metric]["design"] == pytest.approx(
            whole.metrics[metric]["design"], rel=1e-5, abs=1e-6
        )
    assert fast.links.index.equals(whole.links.index)
    assert fast.rows.index.equals(whole.rows.index)


@pytest.mark.parametrize("settings", [{"win_win": True}, {"max_links": 1}])
def test_coupling_settings_keep_the_park_whole(load, monkeypatch, settings):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = load(two_resources(**settings))
    assert decompose.coupling(park) is not None
    assert decompose.plan_pieces(park, candidate_links(park)) is None


def test_candidate_firms_keep_the_park_whole(load):
    tables = two_resources()
    tables["firms"][3]["status"] = "candidate"
    park = load(tables)
    assert "candidate" in decompose.coupling(park)


@pytest.mark.parametrize(
    ("firms", "resources", "seed", "objective"),
    [(25, 10, 3, "cost"), (30, 10, 4, "cost"), (20, 8, 2, "virgin")],
)
@pytest.mark.slow
def test_decomposition_matches_the_monolithic_model_on_generated_parks(
    tmp_path, monkeypatch, firms, resources, seed, objective
):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = generated(tmp_path, firms, resources, seed, objective=objective)
    apart = optimize(park, EXACT)
    whole = optimize(park, MONOLITHIC)
    assert apart.result.extra["components"] > 5  # really solved in pieces
    assert apart.status == whole.status == "optimal"
    assert apart.objective_value == pytest.approx(whole.objective_value, rel=1e-6)
    # the other metrics agree to 1e-5: the cost tie-break of the virgin objective holds
    # virgin within 1e-6 of its optimum (optimize.LEXICOGRAPHIC_TOL), per piece or in all
    for metric in ("cost", "virgin", "co2e"):
        for key in ("design", "baseline"):
            assert apart.metrics[metric][key] == pytest.approx(
                whole.metrics[metric][key], rel=1e-5, abs=1e-6
            )
    # the same tables, index for index
    assert apart.links.index.equals(whole.links.index)
    assert list(apart.links.columns) == list(whole.links.columns)
    assert apart.rows.index.equals(whole.rows.index)
    assert apart.firms.index.equals(whole.firms.index)


def test_a_design_park_model_holds_the_merged_design(tmp_path, monkeypatch):
    from ecopark_opt.core.optimize import design_park

    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = generated(tmp_path, 15, 6, 1)
    model, solution = design_park(park, EXACT)
    # the model has every candidate link and the design in its variables
    assert len(model.links) == len(solution.links)
    sent = {l: model.m.Flow[0, l].value for l in model.links.index}
    assert np.allclose([sent[l] for l in solution.links.index], solution.links["sent"], atol=1e-6)


# --- candidate links: spatial pre-filter ---------------------------------------------------


@pytest.mark.parametrize("kd_tree_pairs", [0, 10**9], ids=["k-d tree", "every pair"])
def test_the_spatial_prefilter_gives_the_same_links_on_a_generated_park(
    tmp_path, monkeypatch, kd_tree_pairs
):
    monkeypatch.setattr(links_module, "KD_TREE_PAIRS", kd_tree_pairs)
    park = generated(tmp_path, 40, 20, 7, plots=4, candidates=5, internal_reuse=True)
    fast, slow = candidate_links(park), candidate_links(park, spatial=False)
    assert len(fast) > 100
    pd.testing.assert_frame_equal(fast, slow)


def test_near_sites_are_the_same_pairs_in_the_same_order_with_or_without_a_k_d_tree(
    tmp_path, monkeypatch
):
    park = generated(tmp_path, 60, 8, 3)
    sites = park.sites.index.to_numpy()
    found = {}
    for kd_tree_pairs in (0, 10**9):
        monkeypatch.setattr(links_module, "KD_TREE_PAIRS", kd_tree_pairs)
        found[kd_tree_pairs] = site_pairs_within(park, sites[:25], sites[10:], 12.0)
    # some pairs near, most not
    assert 25 < len(found[0]) < 25 * (len(sites) - 10) / 2
    pd.testing.assert_frame_equal(found[0], found[10**9])


def test_the_spatial_prefilter_keeps_distance_overrides_and_geographic_sites(load):
    tables = two_resources()
    # lat/lon sites: A and B 0.04° of latitude apart (≈ 4.4 km), C and D ≈ 4.4 km apart too,
    # 0.9° (≈ 100 km) from A and B; a distances row brings A next to D (3 km route)
    tables["sites"] = [
        {"site_id": "SA", "lat": 55.00, "lon": 11.0},
        {"site_id": "SB", "lat": 55.04, "lon": 11.0},
        {"site_id": "SC", "lat": 55.90, "lon": 11.0},
        {"site_id": "SD", "lat": 55.94, "lon": 11.0},
    ]
    tables["flows"][3]["resource_id"] = "water"  # D now demands water too
    tables["distances"] = [{"from_site": "SA", "to_site": "SD", "distance_km": 3}]
    park = load(tables)
    fast, slow = candidate_links(park), candidate_links(park, spatial=False)
    pd.testing.assert_frame_equal(fast, slow)
    # A → B (4.4 km) and A → D (3 km by the distances sheet); C has heat, nobody wants it
    # within 10 km
    assert sorted(zip(fast["supplier"], fast["receiver"])) == [("A", "B"), ("A", "D")]


# --- bound scaling -------------------------------------------------------------------------


def test_bound_scale_brings_big_quantities_near_2_to_the_8():
    integer = np.array([0, 0, 1])
    # largest continuous bound 1e6: log2(1e6 / 256) = 11.93 → 2^-12; the smallest, 1e4,
    # stays 1e4 / 4096 = 2.4 ≥ 1
    assert bound_scale(np.array([1e4, 1e6, 1.0]), integer) == -12
    # a smallest bound of 100 allows only 2^-6 (100 / 64 = 1.6 ≥ 1; 2^-7 would give 0.8)
    assert bound_scale(np.array([100.0, 1e6, 1.0]), integer) == -6
    # a trace quantity (1e-3) next to a huge one: no scaling at all
    assert bound_scale(np.array([1e-3, 1e7, 1.0]), integer) == 0
    # binaries are not quantities; small quantities are left alone
    assert bound_scale(np.array([100.0, 200.0, 1.0]), integer) == 0
    assert bound_scale(np.array([np.inf, 10.0, 1.0]), integer) == 0


@pytest.mark.slow
def test_components_solved_in_worker_processes_give_the_same_design(load, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = load(two_resources())
    side_by_side = optimize(park, RunOptions(mip_gap=1e-9, time_limit=30, workers=2))
    assert side_by_side.result.extra["pieces solved"] == 2
    assert side_by_side.objective_value == pytest.approx(-440.0)  # see two_resources
    pd.testing.assert_frame_equal(side_by_side.links, optimize(park, MONOLITHIC).links)


def test_the_solve_command_takes_workers(tmp_path):
    from click.testing import CliRunner

    from ecopark_opt.cli import main
    from tests.helpers import park_file

    path = park_file(tmp_path, two_resources())
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "solve",
            str(path),
            "--workers",
            "2",
            "--quiet",
            "--out",
            str(out),
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    # −440 against a baseline cost of 660 (see two_resources): the design costs 220
    assert data["status"] == "optimal"
    assert data["metrics"]["cost"] == pytest.approx({"design": 220.0, "baseline": 660.0})
    assert len(data["links"]) == 2


def test_the_pieces_build_and_solve_times_are_reported_as_phases(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ecopark_opt.cli import main
    from tests.helpers import park_file

    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # two pieces
    path = park_file(tmp_path, two_resources())
    args = ["solve", str(path), "--mip-gap", "1e-6", "--out", str(tmp_path / "r.xlsx")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for phase in ("build model", "solve"):
        (line,) = [x for x in lines if x.strip().startswith(phase + " ")]
        assert line.endswith(" s  (2 pieces)"), line


# --- how the pieces share the time ---------------------------------------------------------


def piece(objective: float, bound: float, seconds: float = 1.0) -> decompose.PieceResult:
    from ecopark_opt.core.solve import SolveResult, relative_gap

    gap = relative_gap(objective, bound)
    result = SolveResult(
        "optimal" if gap <= 1e-4 else "time_limit", objective, bound, gap, seconds, "test", True
    )
    return decompose.PieceResult(
        values={"Build": {seconds: 1.0}}, result=result, seconds={"solve": seconds}
    )


def tie_break(p: decompose.PieceResult, objective: float, bound: float, status: str) -> None:
    """Give a scripted piece the cost tie-break (second stage) of a virgin / co2e run."""
    from ecopark_opt.core.solve import relative_gap

    gap = relative_gap(objective, bound)
    p.result.extra.update(
        tie_break_gap=gap,
        tie_break_status=status,
        tie_break_objective=objective,
        tie_break_bound=bound,
    )


def test_pieces_whose_cost_tie_break_did_not_finish_are_not_optimal():
    """virgin / co2e: the objective proved on every piece is not enough; as for one model
    (stages.merge_stages), the cost tie-break must be proved too — merged over the pieces
    as the objective is: Σ |objective − bound| / |Σ objective| of the second stages."""
    done, open_ = piece(-100, -100), piece(-1000, -1000)
    tie_break(done, 50.0, 50.0, "optimal")
    tie_break(open_, 500.0, 471.0, "time_limit")  # 5.8 % on its own
    merged = decompose.combine([done.result, open_.result], 1e-2)
    assert merged.gap == 0.0 and merged.status == "time_limit"
    assert merged.extra == {
        "tie_break_gap": pytest.approx(29 / 550),
        "tie_break_status": "time_limit",
    }
    # 4 % on a piece whose cost is small against the park's: 2 / 1 050 = 0.19 % merged
    tie_break(done, 1000.0, 1000.0, "optimal")
    tie_break(open_, 50.0, 48.0, "time_limit")
    merged = decompose.combine([done.result, open_.result], 1e-2)
    assert merged.status == "optimal" and merged.extra["tie_break_gap"] == pytest.approx(2 / 1050)
    assert decompose._done([done, open_], 1e-2)
    assert not decompose._done([done, open_], 1e-3)
    # the cost objective has no tie-break: nothing about it in the result
    assert decompose.combine([piece(-1, -1).result], 1e-2).extra == {}
    # at a target of 0, a tie-break HiGHS proved to its own (absolute) tolerance is done
    tie_break(open_, 50.0, 50.0 - 1.5e-7, "optimal")
    assert decompose.combine([done.result, open_.result], 0.0).status == "optimal"
    tie_break(open_, 50.0, 50.0 - 1.5e-7, "time_limit")
    assert decompose.combine([done.result, open_.result], 0.0).status == "time_limit"


def test_the_gap_a_piece_needs_leaves_room_for_the_others():
    # objectives −100, −1000, −900: the park's 0.1 % is 2.0 of absolute gap
    outcomes = [piece(-100, -101.0), piece(-1000, -1000.9), piece(-900, -900.7)]
    # piece 0: the others use 1.6 → 0.4 left = 0.4 % of its 100 (half its 1 % gap is 0.5 %)
    assert decompose._gap_needed(outcomes, 0, 1e-3, "cost") == pytest.approx(0.004)
    # gaps 1.0, 0.2, 0.2: 1.6 left would allow 1.6 %, but a run must at least halve its gap
    roomy = [piece(-100, -101.0), piece(-1000, -1000.2), piece(-900, -900.2)]
    assert decompose._gap_needed(roomy, 0, 1e-3, "cost") == pytest.approx(0.005)
    # the others alone exceed 2.0: a tenth of the park's gap (PIECE_SHARE), so that pieces
    # that close easily leave room for those that do not
    tight = [piece(-100, -101.0), piece(-1000, -1001.5), piece(-900, -901.0)]
    assert decompose._gap_needed(tight, 0, 1e-3, "cost") == pytest.approx(1e-4)
    # the cost tie-break of virgin / co2e must reach the park's gap on every piece
    assert decompose._gap_needed(outcomes, 0, 1e-3, "virgin") == pytest.approx(1e-4)
    # a piece without a design yet: nothing to lean on
    assert decompose._gap_needed([outcomes[0], None], 0, 1e-3, "cost") == pytest.approx(1e-4)


class ScriptedRunner(decompose._Runner):
    """Returns scripted outcomes in order and records every run it was asked for."""

    def __init__(self, script: dict[int, list[decompose.PieceResult]]):
        self.script = script
        self.asked: list[tuple[int, float, float, bool]] = []
        self.queued: list[int] = []

    def submit(self, n, options, start):
        self.asked.append((n, options.time_limit, options.mip_gap, start is None))
        self.queued.append(n)

    def wait(self, timeout):
        n = self.queued.pop(0)
        return n, self.script[n].pop(0)


def test_rounds_give_the_open_piece_the_time_left_and_stop_when_the_park_is_done():
    from ecopark_opt.core.solve import SolveOptions

    tasks = [(None, [0] * 10), (None, [0] * 30)]  # 10 and 30 links
    runner = ScriptedRunner(
        {
            0: [piece(-100, -100, seconds=2)],  # proved at once
            1: [
                piece(-1000, -1010, seconds=10),  # 1 % after its first-pass limit
                piece(-1005, -1005.05, seconds=30),
            ],  # within 1e-4 of the park: done
        }
    )
    options = SolveOptions(time_limit=100, mip_gap=1e-4)
    outcomes = decompose._solve_in_rounds(tasks, options, runner, "cost")
    # first pass: half the budget (50 s) split by links, at most FIRST_CAP = 10 s, gap 1 %,
    # from standalone operation: piece 0 gets min(50 × 10/40, 10) = 10 s and uses 2 s,
    # piece 1 min((50 − 2) × 30/30, 10) = 10 s. Then piece 1, the only open piece, gets
    # twice its limit, from its design, with the gap that closes the park: 1e-4 × 1100
    # = 0.11 of absolute gap over its 1000 → 1.1e-4 (half its 1 % gap would be 0.5 %; a
    # tenth of the park's gap, 1e-5, is tighter)
    assert runner.asked == [
        (0, 10.0, 1e-2, True),
        (1, 10.0, 1e-2, True),
        (1, 20.0, pytest.approx(1.1e-4), False),
    ]
    merged = decompose.combine([o.result for o in outcomes], options.mip_gap)
    assert merged.status == "optimal" and merged.objective == -1105
    # the piece keeps the better bound of its two runs and both runs' time
    assert outcomes[1].result.bound == -1005.05 and outcomes[1].result.seconds == 40


@pytest.mark.parametrize(
    ("objective", "target", "first"),
    [
        ("cost", 1e-2, 3e-2),  # three times the park's gap
        ("cost", 1e-3, 1e-2),  # at least 1 %
        ("cost", 1e-4, 1e-2),
        ("cost", 0.05, 0.15),
        ("virgin", 1e-2, 3e-2),  # the cost tie-breaks are merged too (combine)
        ("co2e", 0.05, 0.15),
        ("weighted", 1e-3, 1e-2),
    ],
)
def test_the_first_pass_aims_at_three_times_the_park_s_gap_and_at_least_1_percent(
    objective, target, first
):
    from ecopark_opt.core.solve import SolveOptions

    tasks = [(None, [0] * 10), (None, [0] * 10)]
    runner = ScriptedRunner({0: [piece(-100, -100)], 1: [piece(-100, -100)]})
    decompose._solve_in_rounds(
        tasks, SolveOptions(time_limit=20, mip_gap=target), runner, objective
    )
    assert [gap for _, _, gap, _ in runner.asked] == [pytest.approx(first)] * 2


def test_rounds_go_to_the_largest_gap_per_second_and_double_the_limit():
    from ecopark_opt.core.solve import SolveOptions

    tasks = [(None, [0] * 10), (None, [0] * 90)]
    runner = ScriptedRunner(
        {
            0: [piece(-100, -104, seconds=1), piece(-100, -100.5, seconds=2)],
            1: [piece(-1000, -1010, seconds=9), piece(-1000, -1006, seconds=18)],
        }
    )
    outcomes = decompose._solve_in_rounds(
        tasks, SolveOptions(time_limit=20, mip_gap=1e-4), runner, "cost"
    )
    # first pass, 10 s split by links: 1 s and 9 s. Then piece 0 has 4 of absolute gap per
    # second of its limit, piece 1 10 / 9 = 1.1: piece 0 runs first, with 2 s; its 0.5 / 2
    # is then below piece 1's 1.1, which gets twice its 9 s but only the 8 s left
    assert [(n, limit) for n, limit, _, _ in runner.asked] == [
        (0, 1.0),
        (1, 9.0),
        (0, 2.0),
        (1, 8.0),
    ]
    assert outcomes[0].result.bound == -100.5 and outcomes[1].result.bound == -1006


def test_side_by_side_a_run_the_park_no_longer_needs_is_not_waited_for():
    from ecopark_opt.core.solve import SolveOptions

    tasks = [(None, [0] * 10), (None, [0] * 10)]
    runner = ScriptedRunner(
        {
            0: [piece(-100, -110, seconds=5), piece(-100, -100, seconds=3)],
            1: [piece(-100, -101.5, seconds=5), piece(-100, -100, seconds=10)],
        }
    )
    runner.workers = 2
    outcomes = decompose._solve_in_rounds(
        tasks, SolveOptions(time_limit=60, mip_gap=1e-2), runner, "cost"
    )
    # both pieces are open after the first pass (10 % and 1.5 %, aim 0.1 %) and both run
    # again side by side; piece 0 comes back closed: 1.5 of gap over 200 = 0.75 % ≤ 1 %,
    # the park is done and piece 1's second run is not waited for
    assert [n for n, *_ in runner.asked] == [0, 1, 0, 1]
    assert len(runner.script[1]) == 1
    assert decompose.combine([o.result for o in outcomes], 1e-2).gap == pytest.approx(0.0075)


@pytest.mark.slow
def test_components_side_by_side_in_rounds_match_the_monolithic_model(tmp_path, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    # a first pass that stops at a 50 % gap: pieces go back to the workers with their designs
    monkeypatch.setattr(decompose, "FIRST_GAP", 0.5)
    runs = []
    submit = decompose._OnPool.submit
    monkeypatch.setattr(
        decompose._OnPool,
        "submit",
        lambda self, n, options, start: (
            runs.append(start is None),
            submit(self, n, options, start),
        ),
    )
    park = generated(tmp_path, 25, 10, 3)
    apart = optimize(park, RunOptions(mip_gap=1e-9, time_limit=30, workers=2))
    pieces = apart.result.extra["pieces solved"]
    assert pieces > 5
    assert runs.count(True) == pieces and runs.count(False) > 0  # first pass, then rounds
    assert apart.objective_value == pytest.approx(
        optimize(park, MONOLITHIC).objective_value, rel=1e-6
    )
