"""The command line: every exit code of SPEC §4, outputs, and no traceback without --debug."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.core import solve as solve_module
from ecopark_opt.inputs.workbook import write_workbook

TWO_FIRMS = {
    "firms": [{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
    "sites": [{"site_id": "S1", "x_km": 0, "y_km": 0}, {"site_id": "S2", "x_km": 3, "y_km": 4}],
    "resources": [
        {"resource_id": "water", "unit": "m3", "virgin_price": 2.0, "disposal_cost": 1.0}
    ],
    "flows": [
        {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
        {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
    ],
    "transport": [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}],
}


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def park(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "park.xlsx", TWO_FIRMS)


def test_solve_writes_report_and_json(park: Path, tmp_path: Path):
    out, js = tmp_path / "r.xlsx", tmp_path / "r.json"
    result = run(["solve", str(park), "--out", str(out), "--json", str(js)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    data = json.loads(js.read_text())
    # 80 m3 sent 5 km: 80·0.1·5 + 50 = 90; A discharges 20 → cost 110 (baseline 160 + 100)
    assert data["status"] == "optimal"
    assert data["metrics"]["cost"] == {
        "design": pytest.approx(110.0),
        "baseline": pytest.approx(260.0),
    }
    assert [(lk["supplier"], lk["receiver"], lk["sent"]) for lk in data["links"]] == [
        ("A", "B", pytest.approx(80.0))
    ]
    assert set(data) == {
        "status",
        "objective",
        "mip_gap",
        "metrics",
        "links",
        "purchases",
        "discharges",
        "firms",
    }


def test_default_report_path_is_reports_stem(park: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["solve", str(park), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "park.xlsx").exists()


def test_bad_input_exit_2_lists_every_problem(tmp_path: Path):
    tables = {
        **TWO_FIRMS,
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": -1},
            {"firm_id": "Z", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
    }
    path = write_workbook(tmp_path / "bad.xlsx", tables)
    out = tmp_path / "r.xlsx"
    result = run(["solve", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "flows!D2 (quantity): must be ≥ 0, got -1" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    result = run(["validate", str(path)])
    assert result.exit_code == 2
    assert "2 problems found" in result.output or "flows!A3 (firm_id): unknown firm 'Z'" in (
        result.output
    )


def test_not_a_workbook_exit_2(tmp_path: Path):
    path = tmp_path / "notes.xlsx"
    path.write_text("hello")
    result = run(["validate", str(path)])
    assert result.exit_code == 2
    assert "not an .xlsx workbook" in result.output


def test_infeasible_exit_3_names_the_culprit(tmp_path: Path):
    tables = {
        **TWO_FIRMS,
        "resources": [
            {"resource_id": "water", "unit": "m3", "virgin_price": None, "disposal_cost": 1.0}
        ],
        "transport": [{"mode": "pipe", "max_distance_km": 1}],
    }
    path = write_workbook(tmp_path / "inf.xlsx", tables)
    js = tmp_path / "r.json"
    result = run(["solve", str(path), "--out", str(tmp_path / "r.xlsx"), "--json", str(js)])
    assert result.exit_code == 3
    assert "flows!D3 (quantity)" in result.output and "cannot be bought" in result.output
    assert json.loads(js.read_text())["status"] == "infeasible"


def test_no_solution_exit_4(park: Path, tmp_path: Path, monkeypatch):
    def no_solution(model, options=None):
        return solve_module.SolveResult("time_limit", has_solution=False, message="Time limit")

    monkeypatch.setattr("ecopark_opt.core.stages._solve", no_solution)  # either route
    result = run(["solve", str(park), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 4
    assert "without any feasible design" in result.output


def test_internal_error_exit_1_without_traceback(park: Path, tmp_path: Path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("ecopark_opt.core.optimize.checked_links", boom)
    result = run(["solve", str(park), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1
    assert "internal error: RuntimeError: boom" in result.output
    assert "Traceback" not in result.output
    result = run(["solve", str(park), "--out", str(tmp_path / "r.xlsx"), "--debug"])
    assert result.exit_code == 1
    assert "Traceback" in result.output


def test_usage_error_exit_2(park: Path):
    assert run(["solve", str(park), "--objective", "profit"]).exit_code == 2
    assert run(["frobnicate"]).exit_code == 2


def test_output_over_input_refused(park: Path):
    before = park.read_bytes()
    result = run(["solve", str(park), "--out", str(park)])
    assert result.exit_code == 2
    assert "refusing to write over the input workbook" in result.output
    assert park.read_bytes() == before


def test_objective_option_and_time_limit(park: Path, tmp_path: Path):
    js = tmp_path / "r.json"
    result = run(
        [
            "solve",
            str(park),
            "--objective",
            "virgin",
            "--time-limit",
            "10",
            "--mip-gap",
            "0",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "r.xlsx"),
            "--json",
            str(js),
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    assert data["objective"] == "virgin"
    assert data["metrics"]["virgin"]["design"] == pytest.approx(0.0)


def test_template_then_validate(tmp_path: Path):
    path = tmp_path / "blank.xlsx"
    assert run(["template", str(path)]).exit_code == 0
    assert path.exists()


def test_pareto_and_alternatives_and_resilience_commands(park: Path, tmp_path: Path):
    js = tmp_path / "p.json"
    result = run(
        [
            "pareto",
            str(park),
            "--points",
            "3",
            "--out",
            str(tmp_path / "p.xlsx"),
            "--json",
            str(js),
            "--quiet",
        ]
    )
    assert result.exit_code == 0, result.output
    front = json.loads(js.read_text())["pareto"]
    # cost-min point builds the link (cost 110, virgin 0): it is also virgin-min → one point
    assert front[0]["cost"] == pytest.approx(110.0) and front[0]["virgin"] == pytest.approx(0.0)
    js = tmp_path / "s.json"
    result = run(
        [
            "solve",
            str(park),
            "--alternatives",
            "2",
            "--within",
            "200",
            "--resilience",
            "--out",
            str(tmp_path / "s.xlsx"),
            "--json",
            str(js),
            "--quiet",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    # the only other design is no link at all: cost 260 ≤ 110·(1 + 200 %)
    assert [a["cost"] for a in data["alternatives"]] == [pytest.approx(260.0)]
    assert {r["firm"] for r in data["resilience"]} == {"A", "B"}


@pytest.mark.parametrize("command", ["validate", pytest.param("solve", marks=pytest.mark.slow)])
def test_an_empty_transport_sheet_is_a_warning_naming_it(tmp_path: Path, command: str):
    header_only = pd.DataFrame(columns=["mode", "resources", "capex_per_km"])
    without = {k: v for k, v in TWO_FIRMS.items() if k != "transport"}
    park = write_workbook(tmp_path / "park.xlsx", {**without, "Transport": header_only})
    args = [command, str(park)] + (
        ["--out", str(tmp_path / "r.xlsx")] if command == "solve" else []
    )
    result = run(args)
    assert result.exit_code == 0, result.output
    assert (
        "warning: Transport: the sheet has no rows, so no transport mode is declared; every "
        "resource travels by the default 'pipeline', which costs nothing and has no distance "
        "limit" in result.stderr
    )
    # a sheet with rows, or no sheet at all, says nothing of the kind
    for tables in (TWO_FIRMS, without):
        park = write_workbook(tmp_path / "other.xlsx", tables)
        assert "no transport mode" not in run(["validate", str(park)]).stderr


def test_resilience_of_a_park_with_candidates_and_defection_keeps_the_n_minus_1(tmp_path):
    # the defection-aware design supports existing firms only: with a candidate it is left
    # out with a warning, and the N-1 analysis is still reported (it used to exit 2 after
    # the whole N-1 analysis had run)
    from openpyxl import load_workbook

    from tests.helpers import two_firm_park

    tables = two_firm_park()
    tables["firms"].append({"firm_id": "C", "site": "S2", "status": "candidate"})
    tables["settings"] = {"defection_probability": 0.1}
    path = write_workbook(tmp_path / "p.xlsx", tables)
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(main, ["resilience", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: defection-aware design supports existing firms only; candidates: C" in (
        result.output
    )
    assert "Resilience" in load_workbook(out).sheetnames
