"""Command-line options and streams: finite float options, the result line on stdout
(README.md, "Output rules")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecopark_opt.cli import main
from tests.helpers import park_file, two_firm_park

OUTCOME = "optimal: 1 links, cost 20 EUR/yr (saving 240 EUR/yr against standalone operation)\n"


def run(args: list) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def park(tmp_path: Path) -> Path:
    return park_file(tmp_path, two_firm_park())


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    "option",
    [
        ["--time-limit", "nan"],
        ["--time-limit", "inf"],
        ["--mip-gap", "nan"],
        ["--mip-gap", "-inf"],
        ["--within", "nan"],
        ["--within", "inf"],
    ],
)
def test_float_options_refuse_nan_and_inf(park: Path, out: Path, option: list[str]):
    result = run(["solve", park, "--out", out / "r.xlsx", *option])
    assert result.exit_code == 2
    assert f"Invalid value for '{option[0]}'" in result.stderr
    assert list(out.iterdir()) == []


def test_the_result_line_goes_to_stdout(park: Path, out: Path):
    result = run(["solve", park, "--out", out / "r.xlsx", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == OUTCOME and result.stderr == ""
    result = run(["solve", park, "--out", out / "r.xlsx", "--json", out / "r.json"])
    assert result.stdout == OUTCOME
    assert "report written" in result.stderr and "read + validate" in result.stderr
    assert json.loads((out / "r.json").read_text())["status"] == "optimal"


def test_analysis_commands_print_their_result_line_on_stdout(park: Path, out: Path):
    for command in (["pareto", "--points", "2"], ["resilience"]):
        result = run([command[0], park, *command[1:], "--out", out / "a.xlsx", "--quiet"])
        assert result.exit_code == 0, result.output
        assert result.stdout == OUTCOME and result.stderr == ""


@pytest.mark.slow
def test_a_reader_that_closed_stdout_does_not_fail_the_run(park: Path, out: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "ecopark_opt", "solve", park, "--out", out / "r.xlsx", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # `ecopark solve … | head -0`
    err = process.stderr.read()
    assert process.wait(timeout=120) == 0, err
    assert err == ""
    assert sorted(p.name for p in out.iterdir()) == ["r.xlsx", "r_network.png"]
