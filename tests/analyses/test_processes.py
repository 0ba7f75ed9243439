"""Analyses on parks with processes and shared hubs (docs/analyses.md): N-1 when a hub leaves
or a process loses its feed, Pareto, alternatives, scenarios and sweeps over process data.

The parks are those of tests/core/test_process_operation.py (their hand computations are
there); every expected number below is worked out in the comment next to it.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecopark_opt.analyses.alternatives import alternatives
from ecopark_opt.analyses.pareto import pareto_front
from ecopark_opt.analyses.resilience import n_minus_1
from ecopark_opt.analyses.sweep import run_sweep
from ecopark_opt.core.optimize import optimize
from ecopark_opt.inputs.load import load_park
from tests.core.test_process_operation import chp_park, digester_park, regeneration_park
from tests.helpers import park_file

APPROX = {"rel": 1e-5, "abs": 1e-4}


def removal(result, firm):
    return {r.key: r for r in result.firms}[firm]


# --- N-1 ----------------------------------------------------------------------------------


def test_a_digester_that_loses_its_sludge_idles_in_the_fixed_design(load):
    # design: the digester takes A's 100 t, B buys 50 MWh: cost 300 + 1 000 = 1 300.
    # Without A (reference 1 300: A discharges nothing in the design): the built digester
    # stays and costs its 300 with no feed (its 80 t minimum does not hold), B buys all 100
    # MWh: 2 300, +1 000. Re-optimised: no digester, 2 000, +700. B's 50 MWh are unmet by
    # exchange; the digester's sludge input is not a demand and is not listed.
    park = load(digester_park(100))
    design = optimize(park)
    a = removal(n_minus_1(park, design), "A")
    assert a.reference["cost"] == pytest.approx(1300, **APPROX)
    assert a.increase("fixed", "cost") == pytest.approx(1000, **APPROX)
    assert a.increase("reoptimized", "cost") == pytest.approx(700, **APPROX)
    assert a.unmet[["firm", "resource"]].values.tolist() == [["B", "gas"]]
    assert a.unmet["quantity"].tolist() == pytest.approx([50])


def test_the_firm_running_a_process_takes_it_along_when_it_leaves(load):
    # without D the digester goes with it: reference 1 300 − its 300 = 1 000; both runs: A
    # discharges 100 t (1 000), B buys 100 MWh (2 000) = 3 000, +2 000.
    park = load(digester_park(100))
    d = removal(n_minus_1(park, optimize(park)), "D")
    assert d.reference["cost"] == pytest.approx(1000, **APPROX)
    for run in ("fixed", "reoptimized"):
        assert d.increase(run, "cost") == pytest.approx(2000, **APPROX)


def test_a_shared_hub_leaving(load):
    # design (opex 100): 84.21 t regenerated, 15.79 t straight from A: cost 100 + 42.11 =
    # 142.11, all of it the hub's: reference 0. Without the hub, the direct pipe A→B takes
    # the 20 t the limit allows: A discharges 80, B buys 80 × 2: 240 in both runs.
    park = load(regeneration_park(100))
    design = optimize(park)
    assert bool(design.processes.at["regen", "built"])
    h = removal(n_minus_1(park, design), "H")
    assert h.reference["cost"] == pytest.approx(0, **APPROX)
    for run in ("fixed", "reoptimized"):
        assert h.increase(run, "cost") == pytest.approx(240, **APPROX)
    assert set(h.stranded_links) == {"A→H water (pipeline)", "H→B water (pipeline)"}


# --- Pareto and alternatives --------------------------------------------------------------


def test_pareto_front_of_a_chp_that_may_buy_gas(load):
    # the CHP burns R's 60 MWh and g bought: steam 0.8 (60 + g), S buys the rest.
    # cost = 5 (60 + g) + 30 g + 50 (80 − 0.8 (60 + g)) = 1 900 − 5 g,
    # virgin = g + 80 − 0.8 (60 + g) = 32 + 0.2 g, 0 ≤ g ≤ 40: a straight front from
    # (1 700, 40) to (1 900, 32).
    result = pareto_front(load(chp_park()), points=3)
    points = sorted(
        (s.metrics["cost"]["design"], s.metrics["virgin"]["design"]) for s in result.solutions
    )
    assert points[0] == pytest.approx((1700, 40), **APPROX)
    assert points[-1] == pytest.approx((1900, 32), **APPROX)
    for cost, virgin in points:
        assert virgin == pytest.approx(32 + 0.2 * (1900 - cost) / 5, **APPROX)


def test_alternatives_to_a_hub_design(load):
    # optimum (opex 100): links A→B, A→H, H→B, cost 142.11 (baseline 300). Within 100 %
    # (≤ 284.21): the hub alone, all 100 t regenerated (5 cod ≤ 20): 100 + 50 = 150; the
    # direct pipe alone: 240. No link (300) does not fit.
    result = alternatives(load(regeneration_park(100)), 3, 100)
    found = {
        frozenset(zip(s.used_links["supplier"], s.used_links["receiver"])): s
        for s in result.alternatives
    }
    assert set(found) == {frozenset({("A", "H"), ("H", "B")}), frozenset({("A", "B")})}
    hub_only = found[frozenset({("A", "H"), ("H", "B")})]
    assert hub_only.metrics["cost"]["design"] == pytest.approx(150, **APPROX)
    assert hub_only.processes.at["regen", "throughput"] == pytest.approx(100, **APPROX)
    direct = found[frozenset({("A", "B")})]
    assert direct.metrics["cost"]["design"] == pytest.approx(240, **APPROX)
    assert not direct.processes.at["regen", "built"]
    assert not direct.firms.at["H", "admitted"]


# --- scenarios and sweeps over process data ------------------------------------------------


def scenario(name, sheet, key, column, operation, value) -> dict:
    return {
        "scenario": name,
        "sheet": sheet,
        "key": key,
        "column": column,
        "operation": operation,
        "value": value,
    }


def test_scenarios_change_process_data(tmp_path):
    tables = digester_park(100)
    tables["scenarios"] = [
        # 1 t → 0.2 MWh: 20 MWh for B: saves 1 000 + 400 − 300 = 1 100
        scenario("poor yield", "process_io", "dig/gas/output", "ratio", "set", 0.2),
        # 2 500 a year is more than the 2 000 the digester saves: not built
        scenario("dear", "processes", "dig", "opex_fixed", "scale", 2500 / 300),
    ]
    path = park_file(tmp_path, tables)
    poor = optimize(load_park(path, "poor yield"))
    assert poor.objective_value == pytest.approx(-1100, **APPROX)
    assert poor.processes.at["dig", "throughput"] == pytest.approx(100, **APPROX)
    dear = optimize(load_park(path, "dear"))
    assert dear.objective_value == pytest.approx(0, **APPROX)
    assert not dear.processes.at["dig", "built"]


def test_sweep_over_a_process_cost_and_the_regret_of_building_it(tmp_path):
    # the digester's 300 a year scaled by k ~ uniform(2, 10): built while 300 k < 2 000 (it
    # saves 1 000 of discharge and 1 000 of gas), so the optimum costs min(1 000 + 300 k,
    # 3 000); the base design (k = 1) keeps it built: 1 000 + 300 k, regret
    # max(0, 300 k − 2 000).
    tables = digester_park(100)
    tables["uncertainty"] = [
        {
            "sheet": "processes",
            "key": "dig",
            "column": "opex_fixed",
            "distribution": "uniform",
            "p1": 2,
            "p2": 10,
        }
    ]
    path = park_file(tmp_path, tables)
    base = optimize(load_park(path))
    result = run_sweep(path, base, samples=6, seed=0)
    k = np.array([d[0] for d in result.samples["draws"]])
    assert (k < 2000 / 300).any() and (k > 2000 / 300).any()  # both sides are sampled
    np.testing.assert_allclose(result.samples["cost"], np.minimum(1000 + 300 * k, 3000), rtol=1e-6)
    np.testing.assert_allclose(result.samples["fixed_cost"], 1000 + 300 * k, rtol=1e-6)
    np.testing.assert_allclose(result.samples["regret"], np.maximum(0, 300 * k - 2000), atol=1e-4)
