"""`ecopark solve --write-model PATH` (docs/cli.md): an output like the others — checked
before any work, written with the report — holding the model HiGHS is given."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from ecopark_opt.cli import main
from ecopark_opt.core import solve as solve_module
from ecopark_opt.errors import InfeasibleError
from tests.cli.test_cli import TWO_FIRMS
from tests.helpers import park_file


def run(args: list) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def park(tmp_path: Path) -> Path:
    return park_file(tmp_path, TWO_FIRMS)


@pytest.mark.parametrize("name", ["model.mps", "model.LP"])
def test_solve_writes_the_model_and_highs_alone_finds_the_same_optimum(park, tmp_path, name):
    model, js, out = tmp_path / name, tmp_path / "r.json", tmp_path / "r.xlsx"
    result = run(["solve", park, "--write-model", model, "--json", js, "--out", out])
    assert result.exit_code == 0, result.output
    assert f"model written: {model}" in result.stderr
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(model)) == highspy.HighsStatus.kOk
    h.run()
    cost = json.loads(js.read_text())["metrics"]["cost"]
    # 110 designed against 260 standalone (tests/cli/test_cli.py): the objective is −150,
    # its constant −260 (the baseline)
    assert h.getInfo().objective_function_value == pytest.approx(cost["design"] - cost["baseline"])
    assert h.getLp().offset_ == pytest.approx(-cost["baseline"])
    info = {r[0]: r[1] for r in load_workbook(out)["RunInfo"].values}
    assert info["model file.path"] == str(model)
    assert info["model file.objective constant"] == pytest.approx(-260.0)
    assert info["model file.integer columns"] == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--write-model", "model.txt"], "model.txt: --write-model writes an MPS or LP file"),
        (
            ["--write-model", "same.mps", "--json", "same.mps"],
            "same.mps: the same file as same.mps, another output of this run",
        ),
    ],
    ids=["not .mps or .lp", "the same file as the JSON"],
)
def test_a_refused_model_path_stops_before_any_work(park, tmp_path, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "same.mps").write_text("an earlier file")
    result = run(["solve", park, "--out", "r.xlsx", *extra])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["park.xlsx", "same.mps"]
    assert (tmp_path / "same.mps").read_text() == "an earlier file"


def test_without_a_design_in_the_time_limit_the_model_file_is_still_written(
    park, tmp_path, monkeypatch
):
    def no_solution(model, options=None):
        return solve_module.SolveResult("time_limit", has_solution=False, message="Time limit")

    monkeypatch.setattr("ecopark_opt.core.stages._solve", no_solution)  # either route
    model = tmp_path / "m.lp"
    result = run(["solve", park, "--write-model", model, "--out", tmp_path / "r.xlsx"])
    assert result.exit_code == 4
    assert model.read_text().startswith("\\ File written by HiGHS")
    assert not (tmp_path / "r.xlsx").exists()


def test_an_infeasible_park_gets_its_model_file_and_json_status(park, tmp_path, monkeypatch):
    def infeasible(*args, **kwargs):
        raise InfeasibleError(["flows!D3 (quantity): the demand cannot be met"])

    monkeypatch.setattr("ecopark_opt.outputs.run_outputs.design_park", infeasible)
    model, js = tmp_path / "m.mps", tmp_path / "r.json"
    result = run(
        ["solve", park, "--write-model", model, "--json", js, "--out", tmp_path / "r.xlsx"]
    )
    assert result.exit_code == 3
    assert json.loads(js.read_text())["status"] == "infeasible"
    assert "ENDATA" in model.read_text()
    assert not (tmp_path / "r.xlsx").exists()
