"""Scenarios (SPEC §2) and the uncertainty sheet: overrides change the park as asked, and a bad
override is an input error naming the row that asked for it."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.core.optimize import optimize
from ecopark_opt.errors import InputError
from ecopark_opt.inputs import scenarios
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.reader import read_workbook
from ecopark_opt.inputs.scenarios import override_problems
from tests.helpers import park_file, two_firm_park


def scenario(name: str, sheet: str, key: str, column: str, operation: str, value) -> dict:
    return {
        "scenario": name,
        "sheet": sheet,
        "key": key,
        "column": column,
        "operation": operation,
        "value": value,
    }


def with_scenarios(*rows: dict, **sheets) -> dict:
    tables = two_firm_park(**sheets)
    tables["scenarios"] = list(rows)
    return tables


def problems_of(path: Path, name: str | None = None) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_park(path, name)
    return caught.value.problems


# --- overrides change the park ------------------------------------------------------------


def test_set_scale_add_on_ids_flows_and_settings(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("s", "resources", "water", "virgin_price", "scale", 2),
            scenario("s", "flows", "A/water/supply", "quantity", "add", -10),
            scenario("s", "firms", "B", "sector", "set", "cement"),
            scenario("s", "settings", "discount_rate", "value", "set", 0.05),
            scenario("s", "settings", "max_links", "value", "set", 3),
        ),
    )
    base = load_park(path)
    park = load_park(path, "s")
    # the base is untouched by the scenario rows
    assert base.resources.at["water", "virgin_price"] == 2.0
    assert base.settings.discount_rate == 0.08 and base.settings.max_links is None
    # 2 × 2 = 4; 100 − 10 = 90; the demand row keeps 80
    assert park.resources.at["water", "virgin_price"] == 4.0
    assert park.flows.at["A/water/supply", "quantity"] == 90.0
    assert park.flows.at["B/water/demand", "quantity"] == 80.0
    assert park.firms.at["B", "sector"] == "cement" and park.firms.at["A", "sector"] == ""
    # the demand row's price falls back to the changed resource price
    assert park.flows.at["B/water/demand", "price"] == 4.0
    assert park.settings.discount_rate == 0.05 and park.settings.max_links == 3


def test_star_key_changes_every_row_and_overrides_compound_in_order(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("half", "flows", "*", "quantity", "scale", 0.5),
            scenario("half", "flows", "*", "quantity", "add", 1),
        ),
    )
    park = load_park(path, "half")
    # (100 · 0.5) + 1 = 51 and (80 · 0.5) + 1 = 41
    assert park.flows["quantity"].tolist() == [51.0, 41.0]


def test_scenario_changes_the_optimum(tmp_path):
    path = park_file(
        tmp_path, with_scenarios(scenario("dear", "resources", "water", "virgin_price", "scale", 2))
    )
    solution = optimize(load_park(path, "dear"))
    # cost-free default pipeline: B gets 80 from A, A discharges 20 at 1 → design 20;
    # baseline: A discharges 100 at 1, B buys 80 at 2 · 2 = 4 → 100 + 320 = 420
    assert solution.metrics["cost"]["design"] == pytest.approx(20.0)
    assert solution.metrics["cost"]["baseline"] == pytest.approx(420.0)


def test_settings_override_without_a_settings_sheet_and_scale_of_a_setting(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("s", "settings", "mip_gap", "value", "scale", 10),
            scenario("s", "settings", "objective", "value", "set", "virgin"),
        ),
    )
    park = load_park(path, "s")
    # default mip_gap 1e-4 × 10 = 1e-3
    assert park.settings.mip_gap == pytest.approx(1e-3)
    assert park.settings.objective == "virgin"


def test_choices_bools_lists_and_property_columns(tmp_path):
    tables = with_scenarios(
        scenario("s", "firms", "B", "status", "set", "candidate"),
        scenario("s", "firms", "B", "must_join", "set", "yes"),
        scenario("s", "firms", "C", "allowed_sites", "set", "P2, P1"),
        scenario("s", "flows", "A/water/supply", "ppm", "scale", 3),
        scenario("s", "resources", "water", "max_virgin", "scale", 2),
        properties=[{"property": "ppm"}],
    )
    tables["firms"].append({"firm_id": "C", "status": "candidate"})
    tables["sites"] += [{"site_id": p, "x_km": 1, "y_km": 1, "kind": "plot"} for p in ("P1", "P2")]
    tables["flows"][0]["ppm"] = 5
    park = load_park(park_file(tmp_path, tables), "s")
    assert park.firms.at["B", "status"] == "candidate"
    assert park.firms.at["B", "must_join"] is True or park.firms.at["B", "must_join"] == 1
    assert park.firms.at["C", "allowed_sites"] == ("P2", "P1")
    assert park.flows.at["A/water/supply", "ppm"] == 15.0  # 5 × 3
    assert math.isnan(park.resources.at["water", "max_virgin"])  # blank stays blank


# --- bad overrides ------------------------------------------------------------------------


def test_every_bad_override_names_its_scenarios_row(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("bad", "firmz", "A", "sector", "set", "x"),  # row 2
            scenario("bad", "firms", "Q", "sector", "set", "x"),  # row 3
            scenario("bad", "firms", "A", "sectr", "set", "x"),  # row 4
            scenario("bad", "firms", "A", "name", "scale", 2),  # row 5
            scenario("bad", "flows", "A/water/supply", "quantity", "add", "lots"),  # row 6
            scenario("bad", "settings", "mip_gp", "value", "set", 0.1),  # row 7
            scenario("bad", "flows", "A/water/demand", "quantity", "set", 1),  # row 8
            scenario("bad", "firms", "A", "firm_id", "set", "Z"),  # row 9
            scenario("bad", "firms", "A", "status", "set", "maybe"),  # row 10
        ),
    )
    # checked even when the base workbook is loaded: validate reports them
    assert problems_of(path) == [
        "scenarios!B2 (sheet): unknown sheet 'firmz' (did you mean 'firms'?)",
        "scenarios!C3 (key): no firms row 'Q' (key: firm_id)",
        "scenarios!D4 (column): unknown column 'sectr' on firms (did you mean 'sector'?)",
        "scenarios!E5 (operation): scale needs a numeric column; firms name is text",
        "scenarios!F6 (value): text 'lots' where a number is expected",
        "scenarios!C7 (key): unknown setting 'mip_gp' (did you mean 'mip_gap'?)",
        "scenarios!C8 (key): no flows row 'A/water/demand' (key: "
        "firm_id/resource_id/direction) (did you mean 'B/water/demand'?)",
        "scenarios!D9 (column): firm_id identifies the row; an override cannot change it",
        "scenarios!F10 (value): must be one of existing, candidate, got 'maybe'",
    ]


def test_bad_operation_is_reported_by_the_reader(tmp_path):
    path = park_file(
        tmp_path, with_scenarios(scenario("s", "flows", "*", "quantity", "multiply", 2))
    )
    assert problems_of(path) == [
        "scenarios!E2 (operation): must be one of set, scale, add, got 'multiply'"
    ]


def test_a_blank_request_cell_is_reported_once_by_the_reader(tmp_path):
    path = park_file(tmp_path, with_scenarios(scenario("s", "flows", None, "quantity", "scale", 2)))
    assert problems_of(path) == ["scenarios!C2 (key): required value is blank"]


def test_ranges_are_checked_again_after_an_override(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("neg", "flows", "*", "quantity", "add", -90),
            scenario("gap", "settings", "mip_gap", "value", "scale", 20000),
        ),
    )
    # 100 − 90 = 10 is fine, 80 − 90 = −10 is not; 1e-4 × 20000 = 2 > 1
    assert problems_of(path, "neg") == [
        "scenarios!F2 (value): add -90 makes flows quantity of 'B/water/demand' -10; must be ≥ 0",
        "scenarios!F3 (value): scale 20000 makes setting mip_gap 2; must be ≥ 0 and ≤ 1",
    ]


def test_scale_and_add_of_a_setting_need_a_numeric_setting_and_a_number(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("s", "settings", "currency", "value", "scale", 2),  # row 2
            scenario("s", "settings", "mip_gap", "value", "add", "lots"),  # row 3
        ),
    )
    assert problems_of(path, "s") == [
        "scenarios!E2 (operation): scale needs a numeric setting; currency is text",
        "scenarios!F3 (value): text 'lots' where a number is expected",
    ]


def test_cross_sheet_problem_in_a_changed_cell_names_the_scenario(tmp_path):
    path = park_file(tmp_path, with_scenarios(scenario("move", "firms", "A", "site", "set", "S9")))
    load_park(path)  # the base is fine: S9 is only wrong once applied
    assert problems_of(path, "move") == [
        "firms!B2 (site): unknown site 'S9' (value set by scenario 'move' on scenarios row 2)"
    ]


def test_unknown_scenario_lists_the_names(tmp_path):
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("high", "flows", "*", "quantity", "scale", 2),
            scenario("low", "flows", "*", "quantity", "scale", 0.5),
        ),
    )
    assert problems_of(path, "hihg") == [
        "--scenario hihg: no such scenario (did you mean 'high'?); the workbook has: high, low"
    ]
    bare = park_file(tmp_path, two_firm_park(), "bare.xlsx")
    assert problems_of(bare, "high") == [
        "--scenario high: no such scenario; the workbook has: none (no scenarios sheet)"
    ]


# --- the uncertainty sheet ----------------------------------------------------------------


def uncertain(
    sheet="flows", key="*", column="quantity", distribution="uniform", p1=0.9, p2=1.1, p3=None
) -> dict:
    return {
        "sheet": sheet,
        "key": key,
        "column": column,
        "distribution": distribution,
        "p1": p1,
        "p2": p2,
        "p3": p3,
    }


def test_uncertainty_sheet_is_read_through_the_schema_without_warnings(tmp_path):
    tables = two_firm_park(
        uncertainty=[
            uncertain(),
            uncertain("resources", "water", "virgin_price", "triangular", 0.8, 1, 1.5),
        ]
    )
    path = park_file(tmp_path, tables)
    raw = read_workbook(path)
    assert raw.warnings == [] and raw.problems == []
    assert list(raw.tables["uncertainty"].frame["distribution"]) == ["uniform", "triangular"]
    assert load_park(path).warnings == []


def test_bad_uncertainty_rows_name_their_cells(tmp_path):
    tables = two_firm_park(
        uncertainty=[
            uncertain(p1=1.2, p2=0.8),  # row 2: low > high
            uncertain(distribution="triangular", p1=0.5, p2=2, p3=1),  # row 3: mode > high
            uncertain(distribution="normal", p1=1, p2=-0.1),  # row 4: sd < 0
            uncertain(column="price_x"),  # row 5: no column
            uncertain(sheet="firms", column="name"),  # row 6: text
            uncertain(distribution="gaussian"),  # row 7: reader
        ]
    )
    assert problems_of(park_file(tmp_path, tables)) == [
        "uncertainty!D7 (distribution): must be one of uniform, triangular, normal, "
        "lognormal, got 'gaussian'",
        "uncertainty!F2 (p2): uniform needs low ≤ high, got low 1.2 and high 0.8",
        "uncertainty!F3 (p2): triangular needs low ≤ mode ≤ high and low < high, got 0.5, 2, 1",
        "uncertainty!F4 (p2): the standard deviation must be ≥ 0, got -0.1",
        "uncertainty!C5 (column): unknown column 'price_x' on flows (did you mean 'price'?)",
        "uncertainty!D6 (distribution): scale needs a numeric column; firms name is text",
    ]


# --- cost of checking ----------------------------------------------------------------------


def test_each_scenario_is_checked_alone_from_the_base_values(tmp_path):
    # alone, each scenario leaves A's supply of 100 at 50 and 40; compounded it would be -10
    path = park_file(
        tmp_path,
        with_scenarios(
            scenario("s1", "flows", "A/water/supply", "quantity", "add", -50),
            scenario("s2", "flows", "A/water/supply", "quantity", "add", -60),
            scenario("s3", "settings", "max_links", "value", "set", 2),
            scenario("s3", "settings", "max_links", "value", "add", -3),
        ),
    )
    assert override_problems(read_workbook(path)) == [
        "scenarios!F5 (value): add -3 makes setting max_links -1; must be ≥ 0"
    ]
    raw = read_workbook(path)
    work, _ = scenarios.apply_overrides(raw, scenarios.scenario_overrides(raw, "s2"))
    assert work.tables["flows"].frame.at[0, "quantity"] == 40.0
    assert raw.tables["flows"].frame.at[0, "quantity"] == 100.0  # the base is untouched


def test_checking_scenarios_does_not_grow_with_their_number_per_row(tmp_path, monkeypatch):
    # every scenario row used to copy the whole workbook and recompute the keys of its sheet
    # (quadratic: 2 000 rows took 38 s); timings are in benchmarks/scenarios.py
    rows = []
    for i in range(30):
        rows.append(scenario(f"s{i}", "flows", "A/water/supply", "quantity", "scale", 1.1))
        rows.append(scenario(f"s{i}", "resources", "water", "virgin_price", "add", 1))
    raw = read_workbook(park_file(tmp_path, with_scenarios(*rows)))
    calls: Counter[str] = Counter()
    for name in ("_row_keys", "copy_raw"):
        real = getattr(scenarios, name)
        monkeypatch.setattr(
            scenarios, name, lambda *a, real=real, name=name: calls.update([name]) or real(*a)
        )
    assert override_problems(raw) == []
    # the keys of flows and of resources once each, no copy of the workbook
    assert calls == Counter({"_row_keys": 2})


# --- command line ---------------------------------------------------------------------------


def test_solve_with_scenario_on_the_command_line(tmp_path):
    path = park_file(
        tmp_path, with_scenarios(scenario("dear", "resources", "water", "virgin_price", "set", 4))
    )
    js = tmp_path / "r.json"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "solve",
            str(path),
            "--scenario",
            "dear",
            "--quiet",
            "--out",
            str(tmp_path / "r.xlsx"),
            "--json",
            str(js),
        ],
    )
    assert result.exit_code == 0, result.output
    # as in test_scenario_changes_the_optimum: design 20, baseline 100 + 80 · 4 = 420
    assert json.loads(js.read_text())["metrics"]["cost"] == {
        "design": pytest.approx(20.0),
        "baseline": pytest.approx(420.0),
    }
    result = runner.invoke(
        main, ["solve", str(path), "--scenario", "cheap", "--out", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 2
    assert "error: --scenario cheap: no such scenario; the workbook has: dear" in result.output
