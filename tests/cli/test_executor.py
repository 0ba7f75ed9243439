"""`ecopark solve --executor serial|local|dask [--workers N] [--scheduler ADDRESS]`: where a
decomposed solve's components run (docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from ecopark_opt.cli import main
from ecopark_opt.core import decompose
from ecopark_opt.core import pool as pool_module
from tests.core.test_formulation import two_resources
from tests.helpers import park_file


def run(args: list) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def park(tmp_path: Path) -> Path:
    return park_file(tmp_path, two_resources())


@pytest.mark.parametrize(
    "options, message",
    [
        (
            ["--scheduler", "tcp://127.0.0.1:8786"],
            "--scheduler tcp://127.0.0.1:8786: give --executor dask to use a Dask scheduler",
        ),
        (
            ["--executor", "serial", "--workers", "2"],
            "--workers 2: --executor serial solves the components here, one after the other; "
            "use --executor local (or dask) for worker processes",
        ),
    ],
    ids=["scheduler without dask", "serial with workers"],
)
def test_executor_options_that_contradict_each_other_are_refused(park, tmp_path, options, message):
    result = run(["solve", park, "--out", tmp_path / "r.xlsx", *options])
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.slow
def test_a_scheduler_out_of_reach_stops_the_run_before_any_solve(park, tmp_path, monkeypatch):
    monkeypatch.setattr(pool_module, "DASK_CONNECT_S", 1.0)
    solved = []
    monkeypatch.setattr(
        "ecopark_opt.outputs.run_outputs.design_park", lambda *a, **k: solved.append(1)
    )
    result = run(
        ["solve", park, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]
        + ["--out", tmp_path / "r.xlsx", "--json", tmp_path / "r.json"]
    )
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "error: --executor dask: cannot start or reach the scheduler at tcp://127.0.0.1:9 ("
    )
    assert solved == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["park.xlsx"]


@pytest.mark.slow
def test_solve_on_a_dask_local_cluster_gives_the_serial_result(park, tmp_path, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # water and heat: two pieces
    found = {}
    for executor in ("serial", "dask"):
        js = tmp_path / f"{executor}.json"
        result = run(
            ["solve", park, "--executor", executor, "--workers", 1 if executor == "serial" else 2]
            + ["--out", tmp_path / f"{executor}.xlsx", "--json", js, "--mip-gap", 0]
        )
        assert result.exit_code == 0, result.output
        found[executor] = json.loads(js.read_text())
    # −440 against a baseline cost of 660 (see two_resources): the design costs 220
    assert found["dask"]["metrics"]["cost"] == pytest.approx({"design": 220.0, "baseline": 660.0})
    assert found["dask"]["links"] == found["serial"]["links"]
    assert len(found["dask"]["links"]) == 2
    info = {r[0]: r[1] for r in load_workbook(tmp_path / "dask.xlsx")["RunInfo"].values}
    assert info["pieces solved"] == 2
    assert info["pieces run in"] == "Dask LocalCluster of 2 worker processes"
