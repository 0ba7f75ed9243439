"""Family ``add_process_operation`` (docs/model.md) and processes in general (docs/workbook.md,
``processes`` and ``process_io``): conversion units whose inputs and outputs are streams of
ratio × throughput; shared hubs.

Every park is on a line, 1 km between neighbouring sites, with a cost-free pipe for every
resource unless a test says otherwise; ``discount_rate = 0`` and ``lifetime_years = 1`` make
capex equal to its annual cost. Every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from ecopark_opt.core.records import solution_json
from ecopark_opt.errors import InfeasibleError
from tests.helpers import solve_tables

FLAT = {"discount_rate": 0, "lifetime_years": 1}


def line_park(
    firms: list[dict],
    flows: list[dict],
    resources: list[dict],
    processes: list[dict],
    process_io: list[dict],
    **sheets: Any,
) -> dict:
    """Firms on sites S1, S2, … 1 km apart, in the order given."""
    sites = [{"site_id": f"S{n}", "x_km": n, "y_km": 0} for n in range(1, len(firms) + 1)]
    firms = [{"site": f"S{n}", **f} for n, f in enumerate(firms, start=1)]
    tables = {
        "firms": firms,
        "sites": sites,
        "resources": resources,
        "flows": flows,
        "processes": processes,
        "process_io": process_io,
        "settings": dict(FLAT),
    }
    tables.update(sheets)
    return tables


def row(firm: str, resource: str, direction: str, quantity: float, **extra) -> dict:
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": direction,
        "quantity": quantity,
        **extra,
    }


def io(process: str, resource: str, direction: str, ratio: float = 1.0, **extra) -> dict:
    return {
        "process_id": process,
        "resource_id": resource,
        "direction": direction,
        "ratio": ratio,
        **extra,
    }


def sent(solution, supplier: str, receiver: str) -> float:
    b = solution.built_links
    return float(b[(b["supplier"] == supplier) & (b["receiver"] == receiver)]["sent"].sum())


# --- a digester with a minimum throughput ------------------------------------------------------


def digester_park(sludge: float) -> dict:
    # A supplies sludge (cannot be bought, 10/t to discharge); D runs a digester (1 t sludge
    # → 0.5 MWh biogas; 80 to 200 t a year; 300/yr when built); B needs 100 MWh of gas (20).
    return line_park(
        firms=[{"firm_id": "A"}, {"firm_id": "D"}, {"firm_id": "B"}],
        flows=[row("A", "sludge", "supply", sludge), row("B", "gas", "demand", 100)],
        resources=[
            {"resource_id": "sludge", "unit": "t", "virgin_price": None, "disposal_cost": 10},
            {"resource_id": "gas", "unit": "MWh", "virgin_price": 20, "disposal_cost": 0},
        ],
        processes=[
            {
                "process_id": "dig",
                "firm_id": "D",
                "max_throughput": 200,
                "min_throughput": 80,
                "opex_fixed": 300,
            }
        ],
        process_io=[io("dig", "sludge", "input"), io("dig", "gas", "output", 0.5)],
    )


def test_a_digester_is_built_when_there_is_enough_sludge(tmp_path):
    # 100 t of sludge: the digester takes it all (100 ≥ 80): A saves 1 000 of discharge, B
    # gets 50 MWh and buys 50 (saves 1 000); the digester costs 300: objective −1 700.
    s = solve_tables(tmp_path, digester_park(100))
    assert s.objective_value == pytest.approx(-1700)
    (dig,) = s.processes.to_dict("records")
    assert dig["built"] and dig["throughput"] == pytest.approx(100)
    assert sent(s, "A", "D") == pytest.approx(100) and sent(s, "D", "B") == pytest.approx(50)
    # D's gain: its share (σ = 0.5) of both links' savings (A→D: 10 t⁻¹ discharge avoided
    # + 0 (biogas-less input) = 1 000; D→B: 0 + 20 × 50 = 1 000) minus its costs (300)
    assert s.firms.at["D", "gain"] == pytest.approx(0.5 * 1000 + 0.5 * 1000 - 300)


def test_a_digester_is_not_built_below_its_minimum(tmp_path):
    # 70 t of sludge is less than the minimum of 80 (and sludge cannot be bought): standalone
    s = solve_tables(tmp_path, digester_park(70))
    assert s.objective_value == pytest.approx(0)
    assert not s.processes.at["dig", "built"]
    assert s.processes.at["dig", "throughput"] == 0
    assert s.built_links.empty


# --- a CHP unit that buys gas when refinery gas runs short --------------------------------------


def chp_park(capex_per_capacity: float = 0.0) -> dict:
    # R supplies 60 MWh of gas (free to flare); C runs a CHP unit (1 MWh gas → 0.8 MWh
    # steam, at most 100, 5 per MWh of gas); S needs 80 MWh of steam (50). Gas costs 30.
    return line_park(
        firms=[{"firm_id": "R"}, {"firm_id": "C"}, {"firm_id": "S"}],
        flows=[row("R", "gas", "supply", 60), row("S", "steam", "demand", 80)],
        resources=[
            {"resource_id": "gas", "unit": "MWh", "virgin_price": 30, "disposal_cost": 0},
            {"resource_id": "steam", "unit": "MWh", "virgin_price": 50, "disposal_cost": 0},
        ],
        processes=[
            {
                "process_id": "chp",
                "firm_id": "C",
                "max_throughput": 100,
                "cost_per_unit": 5,
                "capex_per_capacity": capex_per_capacity,
            }
        ],
        process_io=[io("chp", "gas", "input"), io("chp", "steam", "output", 0.8)],
    )


def test_a_process_buys_its_input_when_the_exchange_runs_short(tmp_path):
    # a MWh of gas makes 0.8 MWh steam worth 40: refinery gas nets 40 − 5 = 35, bought gas
    # 40 − 5 − 30 = 5 > 0: the CHP runs at 100 (S's 80 MWh of steam), on 60 from R and 40
    # bought (1 200). Baseline 80 × 50 = 4 000; design 500 + 1 200 = 1 700: −2 300.
    s = solve_tables(tmp_path, chp_park())
    assert s.objective_value == pytest.approx(-2300)
    assert s.processes.at["chp", "throughput"] == pytest.approx(100)
    assert s.processes.at["chp", "built"]  # no decision to make: built since C is there
    purchases = {(p["firm"], p["resource"]): p["quantity"] for p in solution_json(s)["purchases"]}
    assert purchases == pytest.approx({("C", "gas"): 40})


def test_a_sized_process_is_built_for_what_pays(tmp_path):
    # capacity at 10 per MWh/yr: refinery gas nets 35 − 10 = 25, bought gas 5 − 10 < 0: the
    # CHP is sized for R's 60 MWh: 48 MWh of steam, S buys 32 (1 600). Design: 300 + 600
    # (capacity) + 1 600 = 2 500 against 4 000: −1 500.
    s = solve_tables(tmp_path, chp_park(capex_per_capacity=10))
    assert s.objective_value == pytest.approx(-1500)
    chp = s.processes.loc["chp"]
    assert chp["capacity"] == pytest.approx(60) and chp["throughput"] == pytest.approx(60)
    assert chp["annual_cost"] == pytest.approx(300 + 600)
    (record,) = solution_json(s)["processes"]
    assert record == {
        "process": "chp",
        "firm": "C",
        "built": True,
        "capacity": pytest.approx(60),
        "throughput": pytest.approx(60),
        "by_period": {"year": pytest.approx(60)},
        "annual_cost": pytest.approx(900),
    }


# --- a chain of two processes and a firm's own wastewater --------------------------------------


def chain_park() -> dict:
    """A (S1) supplies sludge; F (S2) digests it and burns the biogas in a CHP; H (S3) needs heat."""
    return line_park(
        firms=[{"firm_id": "A"}, {"firm_id": "F"}, {"firm_id": "H"}],
        flows=[row("A", "sludge", "supply", 100), row("H", "heat", "demand", 40)],
        resources=[
            {"resource_id": "sludge", "unit": "t", "virgin_price": None, "disposal_cost": 10},
            {"resource_id": "biogas", "unit": "MWh", "virgin_price": None, "disposal_cost": 0},
            {"resource_id": "heat", "unit": "MWh", "virgin_price": 50, "disposal_cost": 0},
        ],
        processes=[
            {"process_id": "dig", "firm_id": "F", "max_throughput": 200, "cost_per_unit": 1},
            {"process_id": "chp", "firm_id": "F", "max_throughput": 200, "cost_per_unit": 2},
        ],
        process_io=[
            io("dig", "sludge", "input"),
            io("dig", "biogas", "output", 0.5),
            io("chp", "biogas", "input"),
            io("chp", "heat", "output", 0.9),
        ],
    )


def test_a_chain_of_two_processes_in_one_firm(tmp_path):
    # A supplies 100 t sludge (10/t to discharge). F digests it (1 t → 0.5 MWh biogas, 1 per
    # t) and burns the biogas in a CHP (1 MWh → 0.9 MWh heat, 2 per MWh biogas); H needs 40
    # MWh of heat (50). Biogas cannot be bought and is flared for free. The digester takes
    # all 100 t (10 − 1 > 0); the CHP burns 40 / 0.9 = 44.44 MWh (the other 5.56 flared).
    # Saved 1 000 + 2 000, spent 100 + 88.89: objective −2 811.11.
    tables = chain_park()
    s = solve_tables(tmp_path, tables)
    assert s.objective_value == pytest.approx(-(3000 - 100 - 800 / 9))
    assert s.processes.at["dig", "throughput"] == pytest.approx(100)
    assert s.processes.at["chp", "throughput"] == pytest.approx(400 / 9)
    internal = s.built_links[s.built_links["internal"].astype(bool)]
    assert list(zip(internal["supply_flow"], internal["demand_flow"])) == [
        ("dig/biogas/output", "chp/biogas/input")
    ]


def test_a_firm_treats_its_own_wastewater(tmp_path):
    # W discharges 100 t wastewater (3/t) and needs 100 t process water (2/t, at most 10 cod;
    # virgin water has 0). Its treatment plant turns 1 t wastewater into 0.9 t water at 5 cod
    # for 1 per t: no link, an internal arc in and out (internal_reuse is off). Saved 300 +
    # 180, spent 100: −380; W still buys 10 t.
    tables = line_park(
        firms=[{"firm_id": "W"}],
        flows=[row("W", "wastewater", "supply", 100), row("W", "water", "demand", 100, cod=10)],
        resources=[
            {
                "resource_id": "wastewater",
                "unit": "t",
                "virgin_price": None,
                "disposal_cost": 3,
                "cod": 0,
            },
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1, "cod": 0},
        ],
        processes=[
            {"process_id": "wwtp", "firm_id": "W", "max_throughput": 100, "cost_per_unit": 1}
        ],
        process_io=[io("wwtp", "wastewater", "input"), io("wwtp", "water", "output", 0.9, cod=5)],
        properties=[{"property": "cod", "unit": "mg/l"}],
    )
    s = solve_tables(tmp_path, tables)
    assert s.objective_value == pytest.approx(-380)
    assert s.built_links["internal"].astype(bool).all() and len(s.built_links) == 2
    assert s.rows.loc["W/water/demand", "market"] == pytest.approx(10)


# --- shared hubs --------------------------------------------------------------------------------


def regeneration_park(opex: float) -> dict:
    # A supplies 100 t wastewater at 100 cod (1/t to discharge); B needs 100 t of water with at
    # most 20 cod (virgin water: 2/t, 0 cod). Candidate hub H regenerates water to 5 cod for
    # 0.5 per t and ``opex`` a year when built.
    return line_park(
        firms=[{"firm_id": "A"}, {"firm_id": "H", "status": "candidate"}, {"firm_id": "B"}],
        flows=[row("A", "water", "supply", 100, cod=100), row("B", "water", "demand", 100, cod=20)],
        resources=[
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1, "cod": 0}
        ],
        processes=[
            {
                "process_id": "regen",
                "firm_id": "H",
                "max_throughput": 200,
                "cost_per_unit": 0.5,
                "opex_fixed": opex,
            }
        ],
        process_io=[io("regen", "water", "input"), io("regen", "water", "output", cod=5)],
        properties=[{"property": "cod", "unit": "mg/l"}],
    )


@pytest.mark.parametrize(
    ("opex", "hub", "objective"),
    [
        # With the hub: x t straight from A and y regenerated, 100 x + 5 y ≤ 20 × 100 and
        # x + y ≤ 100: best at y = 100 − x, x = 1 500 / 95 = 15.79: saving 3 x + 2.5 y
        # = 250 + 0.5 x = 257.89, minus the hub's 100: −157.89.
        (100, True, -(250 + 0.5 * 1500 / 95 - 100)),
        # Without it (opex 250 > what it adds): A's water alone, at most 20 t under the limit:
        # 20 × (2 + 1) = 60 saved.
        (250, False, -60),
    ],
)
def test_a_regeneration_hub_competes_with_direct_reuse(tmp_path, opex, hub, objective):
    s = solve_tables(tmp_path, regeneration_park(opex), f"r{opex}.xlsx")
    assert s.objective_value == pytest.approx(objective)
    assert bool(s.firms.at["H", "admitted"]) is hub
    assert bool(s.processes.at["regen", "built"]) is hub
    if not hub:
        assert sent(s, "A", "B") == pytest.approx(20)


def hub_park(supplier_share: float) -> dict:
    """A's wastewater, B's clean water and hub H between them (see the test below)."""
    tables = line_park(
        firms=[{"firm_id": "A"}, {"firm_id": "H", "status": "candidate"}, {"firm_id": "B"}],
        flows=[row("A", "wastewater", "supply", 100), row("B", "clean", "demand", 90)],
        resources=[
            {"resource_id": "wastewater", "unit": "t", "virgin_price": None, "disposal_cost": 1},
            {"resource_id": "clean", "unit": "t", "virgin_price": 2, "disposal_cost": 0},
        ],
        processes=[
            {
                "process_id": "hub",
                "firm_id": "H",
                "max_throughput": 100,
                "cost_per_unit": 0.5,
                "opex_fixed": 90,
            }
        ],
        process_io=[io("hub", "wastewater", "input"), io("hub", "clean", "output", 0.9)],
    )
    tables["settings"] |= {"supplier_share": supplier_share}
    return tables


@pytest.mark.parametrize(("supplier_share", "built"), [(0.25, False), (0.75, True)])
def test_the_supplier_share_decides_whether_a_hub_is_built_under_win_win(
    tmp_path, supplier_share, built
):
    # A discharges 100 t wastewater (1/t); hub H turns 1 t wastewater into 0.9 t clean water
    # (0.5 per t, 90 a year); B needs 90 t of clean water (2/t). Only the hub links them.
    # Link savings: A→H 100 × 1 = 100 (H cannot buy wastewater: 0), H→B 90 × 2 = 180.
    # H's gain = (1 − σ) 100 + σ 180 − 50 − 90 = 80 σ − 40: < 0 at σ = 0.25, > 0 at 0.75.
    # Built, the park saves 280 − 140 = 140; win-win keeps the hub out when it would lose.
    tables = hub_park(supplier_share)
    plain = solve_tables(tmp_path, tables, f"plain{supplier_share}.xlsx")
    assert plain.objective_value == pytest.approx(-140)
    assert plain.firms.at["H", "gain"] == pytest.approx(80 * supplier_share - 40)
    tables["settings"] |= {"win_win": True}
    fair = solve_tables(tmp_path, tables, f"fair{supplier_share}.xlsx")
    assert bool(fair.firms.at["H", "admitted"]) is built
    assert fair.objective_value == pytest.approx(-140 if built else 0)


def test_a_floating_hub_takes_the_cheaper_plot(tmp_path):
    # A (x = 0) discharges 100 t of water at 100 cod (1/t); B (x = 10) needs 100 t at most 20
    # cod (2/t). Pipes reach 6 km and cost 0.01 per t·km, so A→B (10 km) is out. Hub H may
    # stand on P1 (5, 0) or P2 (5, 3): 5 km from both vs √34 = 5.83. It regenerates all 100 t
    # (5 cod): 100 + 50 + 0.01 × 100 × (5 + 5) = 160 on P1 (11.66 on P2 for the pipes)
    # against 300: −140.
    tables = regeneration_park(100)
    tables["firms"][1] |= {"site": None, "allowed_sites": "P1, P2"}
    tables["firms"][2]["site"] = "S3"
    tables["sites"] = [
        {"site_id": "S1", "x_km": 0, "y_km": 0},
        {"site_id": "S3", "x_km": 10, "y_km": 0},
        {"site_id": "P1", "x_km": 5, "y_km": 0, "kind": "plot"},
        {"site_id": "P2", "x_km": 5, "y_km": 3, "kind": "plot"},
    ]
    tables["transport"] = [
        {"mode": "pipe", "max_distance_km": 6, "cost_per_unit_km": 0.01, "opex_fixed": 0}
    ]
    s = solve_tables(tmp_path, tables)
    assert s.objective_value == pytest.approx(-140)
    assert s.firms.at["H", "site"] == "P1" and bool(s.firms.at["H", "admitted"])
    assert s.processes.at["regen", "throughput"] == pytest.approx(100)


def test_a_digester_that_must_be_built_without_enough_sludge_is_explained(tmp_path):
    # must_build with 70 t of sludge (not buyable) against a minimum of 80: 10 t short
    tables = digester_park(70)
    tables["processes"][0]["must_build"] = True
    with pytest.raises(InfeasibleError) as caught:
        solve_tables(tmp_path, tables)
    assert caught.value.reasons == [
        "processes!D2 (min_throughput): process dig of D lacks 10 t of sludge, which can "
        "neither be bought (resources!C2 virgin_price is blank) nor delivered by the "
        "candidate links, to run its minimum of 80 a year (must_build)"
    ]
