"""N-1 resilience (SPEC §7) and the defection-aware design, on parks of two to five firms.

Unless a test says otherwise the parks use one mode "pipe": 50 EUR/yr fixed opex per link and
0.1 EUR per unit and km, water bought at 2 EUR/t and discharged at 1 EUR/t.
"""

from __future__ import annotations

import random

import pytest

from ecopark_opt.analyses.defection import defection_aware_design, defection_scenarios
from ecopark_opt.analyses.resilience import n_minus_1
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.errors import InputError
from ecopark_opt.outputs.jsonout import resilience_json
from ecopark_opt.outputs.resilience_sheets import defection_sheets, resilience_sheets
from tests.helpers import two_firm_park

PIPE = [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}]
WATER = {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1}


def pipe_park(**overrides):
    """A (S1) supplies 100 t water, B (S2, 5 km away) demands 80 t, by pipe.

    Design (by hand): link A→B, 80 t sent: 50 opex + 0.1 × 5 km × 80 t = 90, A discharges
    20 t = 20; cost 110 against the baseline 160 + 100 = 260.
    """
    return two_firm_park(transport=PIPE, **overrides)


def by_key(result, kind="firm"):
    removals = result.firms if kind == "firm" else result.links
    return {r.key: r for r in removals}


# --- N-1 ------------------------------------------------------------------------------------


def test_removing_a_firm_without_links_changes_nothing(load):
    tables = pipe_park()
    tables["firms"].append({"firm_id": "C", "site": "S1"})
    tables["resources"].append({"resource_id": "steel", "unit": "t", "virgin_price": 3})
    tables["flows"].append(
        {"firm_id": "C", "resource_id": "steel", "direction": "demand", "quantity": 10}
    )
    park = load(tables)
    design = optimize(park)
    assert design.metrics["cost"]["design"] == pytest.approx(140.0)  # 110 + C buys 10 × 3
    c = by_key(n_minus_1(park, design))["C"]
    # reference: 140 − C's own 30 = 110; both runs are the design without C: 110
    assert c.reference["cost"] == pytest.approx(110.0)
    for run in ("fixed", "reoptimized"):
        for metric in ("cost", "virgin", "co2e"):
            assert c.increase(run, metric) == pytest.approx(0.0, abs=1e-6)
    assert c.unmet.empty and c.idle_links == [] and c.stranded_links == []
    assert not c.critical


def test_removing_the_sole_supplier_makes_the_receiver_buy_what_it_received(load):
    park = load(pipe_park())
    design = optimize(park)
    result = n_minus_1(park, design)
    a = by_key(result)["A"]
    # unmet = the 80 t B received by exchange, now bought
    assert a.unmet[["firm", "resource"]].values.tolist() == [["B", "water"]]
    assert a.unmet["quantity"].tolist() == pytest.approx([80.0])
    assert a.firms_losing_supply == ["B"]
    # reference: 110 − A's discharge 20 = 90
    # fixed: stranded link 50 (opex still paid) + B buys 80 × 2 = 160 → 210, +120 (+133.3 %)
    # re-optimised: no link, B buys 160 → +70 (+77.8 %)
    assert a.reference["cost"] == pytest.approx(90.0)
    assert a.fixed.cost == pytest.approx(210.0)
    assert a.increase("fixed", "cost") == pytest.approx(120.0)
    assert a.increase_pct("fixed", "cost") == pytest.approx(100 * 120 / 90)
    assert a.reoptimized.cost == pytest.approx(160.0)
    assert a.reoptimized.links_built == 0
    # virgin use: the design bought nothing; B now buys 80 t
    assert a.increase("fixed", "virgin") == pytest.approx(80.0)
    assert a.stranded_links == ["A→B water (pipe)"] == a.idle_links
    # B leaving: A discharges 100 → 100 + stranded 50 = 150 against 110: +40
    b = by_key(result)["B"]
    assert b.unmet.empty
    assert b.fixed.cost == pytest.approx(150.0)
    assert b.reoptimized.cost == pytest.approx(100.0)
    # ranked by the fixed-design cost increase: A (+120) before B (+40)
    assert [r.key for r in result.firms] == ["A", "B"]


def test_reoptimised_is_never_costlier_than_the_fixed_design(load):
    # two suppliers, two receivers, a substitution: several links to lose
    tables = {
        "firms": [{"firm_id": f, "site": f"S{f}"} for f in ("A", "B", "C", "D")],
        "sites": [
            {"site_id": "SA", "x_km": 0, "y_km": 0},
            {"site_id": "SB", "x_km": 4, "y_km": 0},
            {"site_id": "SC", "x_km": 0, "y_km": 3},
            {"site_id": "SD", "x_km": 6, "y_km": 2},
        ],
        "resources": [
            WATER,
            {"resource_id": "heat", "unit": "MWh", "virgin_price": 5, "disposal_cost": 0},
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 60},
            {"firm_id": "A", "resource_id": "heat", "direction": "supply", "quantity": 40},
            {"firm_id": "B", "resource_id": "water", "direction": "supply", "quantity": 50},
            {"firm_id": "C", "resource_id": "water", "direction": "demand", "quantity": 70},
            {"firm_id": "C", "resource_id": "heat", "direction": "demand", "quantity": 30},
            {"firm_id": "D", "resource_id": "water", "direction": "demand", "quantity": 30},
            {"firm_id": "D", "resource_id": "heat", "direction": "demand", "quantity": 25},
        ],
        "transport": [{"mode": "pipe", "opex_fixed": 20, "cost_per_unit_km": 0.1}],
    }
    park = load(tables)
    design = optimize(park)
    result = n_minus_1(park, design, links=True)
    assert len(result.firms) == 4
    assert len(result.links) == len(design.built_links) >= 3
    for r in result.firms + result.links:
        assert r.fixed.ok and r.reoptimized.ok
        assert r.reoptimized.cost <= r.fixed.cost + 1e-6 * max(1.0, abs(r.fixed.cost))
    # the fixed-design cost increases are sorted, largest first
    increases = [r.increase("fixed", "cost") for r in result.firms]
    assert increases == sorted(increases, reverse=True)


def test_removing_a_link_and_its_sheet(load):
    park = load(pipe_park())
    design = optimize(park)
    result = n_minus_1(park, design, links=True)
    (link,) = result.links
    # the link is gone (no opex): B buys 160, A discharges 100 → 260 against 110: +150
    assert link.key == "A→B water (pipe)"
    assert link.fixed.cost == pytest.approx(260.0)
    assert link.increase("fixed", "cost") == pytest.approx(150.0)
    assert link.unmet["quantity"].tolist() == pytest.approx([80.0])
    sheets = resilience_sheets(result)
    assert [s.title for s in sheets] == ["Resilience", "Link resilience"]
    assert sheets[1].frame.loc[0, "link"] == "A→B water (pipe)"


def test_a_leaving_candidate_strands_its_links(load):
    # C is a candidate placed by the optimizer on plot P1 (5 km from B), admission 10/yr,
    # plot 5/yr. With C: 10 + 5 + link 50 + 40 + C discharges 20 = 125 against the baseline
    # 160 + 100 = 260: admitted (objective −135, without C 0).
    tables = pipe_park(
        firms=[
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "status": "candidate", "admission_cost": 10},
        ],
        sites=[
            {"site_id": "S2", "x_km": 5, "y_km": 0},
            {"site_id": "P1", "x_km": 0, "y_km": 0, "kind": "plot", "site_cost": 5},
        ],
        flows=[
            {"firm_id": "C", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
    )
    park = load(tables)
    design = optimize(park)
    assert design.metrics["cost"]["design"] == pytest.approx(125.0)
    result = n_minus_1(park, design)
    c = by_key(result)["C"]
    # reference 125 − 20 − 10 − 5 = 90; fixed: stranded 50 + B buys 160 = 210; re-opt. 160
    assert c.reference["cost"] == pytest.approx(90.0)
    assert c.fixed.cost == pytest.approx(210.0)
    assert c.reoptimized.cost == pytest.approx(160.0)
    # B's removal afterwards sees the model restored (C admitted and placed again)
    b = by_key(result)["B"]
    assert b.fixed.cost == pytest.approx(10 + 5 + 50 + 100)


def test_the_fixed_design_keeps_the_link_of_the_process_that_used_it(load):
    # D runs two digesters whose gas can go to B by the same (cost-free) pipeline: the
    # candidate links D→B from "sludge/gas/output" and from "grain/gas/output" differ only
    # in their supply row. A's 100 t of sludge (10/t to discharge) make 50 MWh of gas for B
    # (20/MWh): the design saves 1 000 + 1 000. C, with no links, leaving changes nothing.
    def process(pid: str, resource: str) -> list[dict]:
        return [
            {"process_id": pid, "resource_id": resource, "direction": "input", "ratio": 1},
            {"process_id": pid, "resource_id": "gas", "direction": "output", "ratio": 0.5},
        ]

    tables = {
        "firms": [{"firm_id": f, "site": "S1"} for f in ("A", "D", "B", "C")],
        "sites": [{"site_id": "S1", "x_km": 0, "y_km": 0}],
        "resources": [
            {"resource_id": "sludge", "unit": "t", "virgin_price": None, "disposal_cost": 10},
            {"resource_id": "grain", "unit": "t", "virgin_price": None, "disposal_cost": 0},
            {"resource_id": "gas", "unit": "MWh", "virgin_price": 20, "disposal_cost": 0},
            {"resource_id": "steel", "unit": "t", "virgin_price": 3, "disposal_cost": 0},
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "sludge", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "gas", "direction": "demand", "quantity": 50},
            {"firm_id": "C", "resource_id": "steel", "direction": "demand", "quantity": 10},
        ],
        "processes": [
            {"process_id": "sludge", "firm_id": "D", "max_throughput": 200},
            {"process_id": "grain", "firm_id": "D", "max_throughput": 200},
        ],
        "process_io": process("sludge", "sludge") + process("grain", "grain"),
    }
    park = load(tables)
    design = optimize(park)
    assert design.objective_value == pytest.approx(-2000.0)
    c = by_key(n_minus_1(park, design))["C"]
    assert c.increase("fixed", "cost") == pytest.approx(0.0, abs=1e-6)
    assert c.unmet.empty


def test_demand_that_cannot_be_bought_is_reported_short(load):
    # steam cannot be bought; A sends B its 30 MWh by pipe (50 + 0.1 × 5 × 30 = 65)
    tables = pipe_park(
        resources=[
            {
                "resource_id": "steam",
                "unit": "MWh",
                "virgin_price": None,
                "disposal_cost": 0,
                "virgin_weight": 1,
            }
        ],
        flows=[
            {"firm_id": "A", "resource_id": "steam", "direction": "supply", "quantity": 30},
            {"firm_id": "B", "resource_id": "steam", "direction": "demand", "quantity": 30},
        ],
    )
    park = load(tables)
    design = optimize(park)
    a = by_key(n_minus_1(park, design))["A"]
    assert a.fixed.shortage == [("B", "steam", pytest.approx(30.0))]
    assert a.unmet["cannot_buy"].tolist() == [True]
    # the stranded link still costs 50; the shortage costs nothing and is no virgin use
    assert a.fixed.cost == pytest.approx(50.0)
    assert a.increase("fixed", "virgin") == pytest.approx(0.0, abs=1e-6)
    assert a.critical
    note = [n for n in resilience_sheets(n_minus_1(park, design))[0].notes if "If A" in n]
    assert "B 30 MWh steam" in note[0]


def test_a_run_that_cannot_be_operated_has_no_metrics(load):
    # the park may buy at most 10 t water: without A, B would need 80 t → no operation
    tables = pipe_park(resources=[WATER | {"max_virgin": 10}])
    park = load(tables)
    result = n_minus_1(park, optimize(park))
    a = by_key(result)["A"]
    assert not a.fixed.ok and not a.reoptimized.ok
    assert a.fixed.status == "infeasible"
    # unmet falls back to what A delivered: 80 t to B
    assert a.unmet["quantity"].tolist() == pytest.approx([80.0])
    assert result.firms[0].key == "A"  # ranked first
    record = resilience_json(result)[0]
    assert record["fixed"] == {"cost": None, "virgin": None, "co2e": None}
    notes = resilience_sheets(result)[0].notes
    assert any(
        n.startswith("If A leaves, B loses water; the park cannot be operated") for n in notes
    )


def test_json_and_sheet_follow_the_spec(load):
    park = load(pipe_park())
    result = n_minus_1(park, optimize(park))
    records = resilience_json(result)
    assert [r["firm"] for r in records] == ["A", "B"]
    a = records[0]
    assert set(a) == {"firm", "fixed", "reoptimized", "unmet"}
    assert set(a["fixed"]) == set(a["reoptimized"]) == {"cost", "virgin", "co2e"}
    assert a["fixed"]["cost"] == pytest.approx(210.0)  # absolute, as metrics.*.design
    assert a["unmet"] == [{"firm": "B", "resource": "water", "quantity": pytest.approx(80.0)}]

    (sheet,) = resilience_sheets(result)
    assert sheet.title == "Resilience"
    assert sheet.chart is not None and sheet.chart.kind == "bar"
    for column in (sheet.chart.x, *sheet.chart.y):
        assert column in sheet.frame.columns
    assert sheet.frame["firm"].tolist() == ["A", "B"]
    assert sheet.frame.loc[0, "fixed design: cost increase [EUR/yr]"] == pytest.approx(120.0)
    # +120 / 90 = +133.3 %; +70 / 90 = +77.8 %
    assert (
        "If A leaves, B loses water; park cost +133.3 % (fixed design), +77.8 % after "
        "re-optimising."
    ) in sheet.notes


# --- defection-aware design ---------------------------------------------------------------


def two_suppliers(p1=0.2, p2=0.1):
    """B (S0) needs 80 t water at 10 EUR/t; A1 is 5 km away, A2 10 km, each with 100 t
    (discharge free); pipe 50/yr per link + 0.1 per t·km: A1→B costs 50 + 40, A2→B 50 + 80.

    Scenarios: nobody leaves 1 − p1 − p2, A1 leaves p1, A2 leaves p2.
    """
    return {
        "firms": [
            {"firm_id": "A1", "site": "S1", "defection_probability": p1},
            {"firm_id": "A2", "site": "S2", "defection_probability": p2},
            {"firm_id": "B", "site": "S0"},
        ],
        "sites": [
            {"site_id": "S0", "x_km": 0, "y_km": 0},
            {"site_id": "S1", "x_km": 5, "y_km": 0},
            {"site_id": "S2", "x_km": -10, "y_km": 0},
        ],
        "resources": [
            {"resource_id": "water", "unit": "t", "virgin_price": 10, "disposal_cost": 0}
        ],
        "flows": [
            {"firm_id": "A1", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "A2", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
        "transport": PIPE,
    }


def test_defection_aware_design_adds_a_second_supplier(load):
    park = load(two_suppliers())
    result = defection_aware_design(park)
    # plain: A1→B only (90 when nobody leaves). Expected:
    #   0.7 × 90 + 0.2 × (50 stranded + 800 bought) + 0.1 × 90 = 63 + 170 + 9 = 242
    # aware: both links (100 fixed); A1 sends unless gone, then A2 does:
    #   100 + 0.7 × 40 + 0.2 × 80 + 0.1 × 40 = 148
    # (A2→B alone: 50 + 0.9 × 80 + 0.1 × 800 = 202; both is cheaper)
    assert set(zip(result.plain.built["supplier"], result.plain.built["receiver"])) == {("A1", "B")}
    assert set(zip(result.aware.built["supplier"], result.aware.built["receiver"])) == {
        ("A1", "B"),
        ("A2", "B"),
    }
    assert result.plain.expected_cost == pytest.approx(242.0)
    assert result.aware.expected_cost == pytest.approx(148.0)
    assert result.expected_saving == pytest.approx(94.0)
    assert result.robustness_cost == pytest.approx(50.0)  # 140 − 90 when nobody leaves
    diff = result.differing_links()
    assert diff[["supplier", "aware", "plain"]].values.tolist() == [["A2", True, False]]

    main, links = defection_sheets(result)
    assert (main.title, links.title) == ("Defection-aware", "Defection links")
    assert main.frame["scenario"].tolist() == [
        "nobody leaves",
        "A1 leaves",
        "A2 leaves",
        "expected",
    ]
    assert main.frame.iloc[-1]["defection-aware design: cost [EUR/yr]"] == pytest.approx(148.0)
    assert any("A2→B water (pipe)" in n for n in main.notes)


def test_without_defection_risk_the_designs_coincide(load):
    park = load(two_suppliers(0.0, 0.0))
    result = defection_aware_design(park)
    assert len(result.scenarios) == 1
    assert result.aware.expected_cost == pytest.approx(result.plain.expected_cost) == 90.0
    assert result.differing_links().empty


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_defection_aware_expected_cost_is_never_above_the_plain_one(load, seed):
    rng = random.Random(seed)
    firms, flows = [], []
    for k in range(5):
        firms.append(
            {
                "firm_id": f"F{k}",
                "site": f"S{k}",
                "defection_probability": rng.choice([None, 0.05, 0.15]),
            }
        )
        for res in ("water", "heat"):
            flows.append(
                {
                    "firm_id": f"F{k}",
                    "resource_id": res,
                    "direction": "supply" if (k + len(res)) % 2 else "demand",
                    "quantity": rng.randint(10, 100),
                }
            )
    tables = {
        "firms": firms,
        "sites": [
            {"site_id": f"S{k}", "x_km": rng.uniform(0, 10), "y_km": rng.uniform(0, 10)}
            for k in range(5)
        ],
        "resources": [
            WATER | {"virgin_price": 6},
            {"resource_id": "heat", "unit": "MWh", "virgin_price": 8, "disposal_cost": 0.5},
        ],
        "flows": flows,
        "transport": [{"mode": "pipe", "opex_fixed": 60, "cost_per_unit_km": 0.05}],
        "settings": {"defection_probability": 0.1},
    }
    result = defection_aware_design(load(tables))
    assert result.scenarios["probability"].sum() == pytest.approx(1.0)
    assert result.aware.expected_cost <= result.plain.expected_cost + 1e-9


def test_defection_probabilities_default_to_the_setting_and_must_add_up(load):
    tables = two_suppliers(None, 0.3)
    tables["settings"] = {"defection_probability": 0.05}
    scenarios = defection_scenarios(load(tables))
    # A1 and B blank → 0.05 each; A2 0.3; nobody leaves 1 − 0.4 = 0.6
    assert scenarios["firm"].tolist() == [None, "A1", "A2", "B"]
    assert scenarios["probability"].tolist() == pytest.approx([0.6, 0.05, 0.3, 0.05])
    with pytest.raises(InputError, match="add up to 1.2"):
        defection_scenarios(load(two_suppliers(0.6, 0.6)))


def test_defection_aware_design_refuses_candidates(load):
    tables = two_suppliers()
    tables["firms"][1] |= {"status": "candidate"}
    with pytest.raises(InputError, match="existing firms only"):
        defection_aware_design(load(tables))
    with pytest.raises(InputError, match="expected cost"):
        defection_aware_design(load(two_suppliers()), RunOptions(objective="virgin"))
