"""The ``processes`` and ``process_io`` sheets (docs/workbook.md): what is refused, with the
cell to change, and how process rows become streams of the park.

Sheets as written by :func:`process_tables`: processes A=process_id B=firm_id
C=max_throughput (D=min_throughput when given); process_io A=process_id B=resource_id
C=direction D=ratio (row 2 the input, row 3 the output).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from tests.helpers import two_firm_park
from tests.inputs.test_validation import problems_of


def process_tables(**process: Any) -> dict[str, Any]:
    """The two-firm park (water) plus a treatment unit at B: water in, water out at 0.9."""
    tables = two_firm_park()
    tables["processes"] = [{"process_id": "wwtp", "firm_id": "B", "max_throughput": 50, **process}]
    tables["process_io"] = [
        {"process_id": "wwtp", "resource_id": "water", "direction": "input", "ratio": 1},
        {"process_id": "wwtp", "resource_id": "water", "direction": "output", "ratio": 0.9},
    ]
    return tables


def test_process_rows_are_streams_of_the_park(tmp_path):
    park = load_park(write_workbook(tmp_path / "p.xlsx", process_tables()))
    flows = park.flows
    inp, out = flows.loc["wwtp/water/input"], flows.loc["wwtp/water/output"]
    # an input is a demand, an output a supply; their size is ratio × max_throughput
    assert (inp["direction"], inp["quantity"], inp["price"]) == ("demand", 50, 2)
    assert (out["direction"], out["quantity"], out["price"]) == ("supply", 45, 1)
    assert inp["firm_id"] == out["firm_id"] == "B"
    assert math.isnan(flows.loc["A/water/supply", "ratio"])
    assert park.processes.at["wwtp", "crf"] > 0 and park.has_processes
    assert park.flow_cell("wwtp/water/output") == "process_io!D3"  # its ratio: its size


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["processes"][0].update(firm_id="Z"),
            "processes!B2 (firm_id): unknown firm 'Z'",
        ),
        (
            lambda t: t["processes"][0].update(min_throughput=60),
            "processes!D2 (min_throughput): wwtp must run at least 60 but at most 50",
        ),
        (
            lambda t: t["process_io"][1].update(process_id="wwt"),
            "process_io!A3 (process_id): unknown process 'wwt' (did you mean 'wwtp'?)",
        ),
        (
            lambda t: t["process_io"][1].update(resource_id="steam"),
            "process_io!B3 (resource_id): unknown resource 'steam'",
        ),
        (
            lambda t: t["process_io"][1].update(direction="input"),
            "process_io!A3 (process_id): second input row of 'water' for process 'wwtp' "
            "(first on row 2); merge them",
        ),
        (
            lambda t: t["process_io"][1].update(direction="outflow"),
            "process_io!C3 (direction)",
        ),
        (
            lambda t: t["process_io"][0].update(ratio=0),
            "process_io!D2 (ratio)",
        ),
        (
            lambda t: t["processes"][0].update(max_throughput=None),
            "processes!C2 (max_throughput)",
        ),
        (
            lambda t: t.pop("process_io"),
            "processes: processes need a process_io sheet",
        ),
        (
            lambda t: t.pop("processes"),
            "process_io: process_io rows need a processes sheet",
        ),
        (
            lambda t: t["processes"].append(
                {"process_id": "idle", "firm_id": "A", "max_throughput": 1}
            ),
            "processes!A3 (process_id): process 'idle' has no process_io rows",
        ),
    ],
)
def test_bad_processes_are_refused_naming_the_cell(tmp_path, change, message):
    tables = process_tables()
    change(tables)
    found = problems_of(tmp_path, tables)
    assert any(p.startswith(message) for p in found), found


def test_validate_exits_2_and_writes_nothing(tmp_path):
    tables = process_tables(min_throughput=60)
    path = write_workbook(tmp_path / "p.xlsx", tables)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "processes!D2 (min_throughput)" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_stream_ids_that_collide_through_a_slash_are_refused(tmp_path):
    # process "x" giving resource "y/w" and process "x/y" giving "w": both streams would be
    # x/y/w/output
    tables = process_tables()
    tables["resources"].append({"resource_id": "y/w", "unit": "t"})
    tables["resources"].append({"resource_id": "w", "unit": "t"})
    tables["processes"] += [
        {"process_id": "x", "firm_id": "A", "max_throughput": 1},
        {"process_id": "x/y", "firm_id": "A", "max_throughput": 1},
    ]
    tables["process_io"] += [
        {"process_id": "x", "resource_id": "y/w", "direction": "output"},
        {"process_id": "x/y", "resource_id": "w", "direction": "output"},
    ]
    assert problems_of(tmp_path, tables) == [
        "process_io!A5 (process_id): the stream id 'x/y/w/output' of this row is also that of "
        "process_io row 4; rename the process or the resource (an id with '/' in it can collide)"
    ]


def test_flows_ids_that_collide_through_a_slash_are_refused(tmp_path):
    tables = two_firm_park()
    tables["firms"] += [{"firm_id": "x", "site": "S1"}, {"firm_id": "x/y", "site": "S1"}]
    tables["resources"] += [{"resource_id": "y/w", "unit": "t"}, {"resource_id": "w", "unit": "t"}]
    tables["flows"] += [
        {"firm_id": "x", "resource_id": "y/w", "direction": "supply", "quantity": 1},
        {"firm_id": "x/y", "resource_id": "w", "direction": "supply", "quantity": 1},
    ]
    assert problems_of(tmp_path, tables) == [
        "flows!A5 (firm_id): the stream id 'x/y/w/supply' of this row is also that of row 4; "
        "rename the firm or the resource (an id with '/' in it can collide)"
    ]
