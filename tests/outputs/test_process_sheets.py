"""The report's Processes sheet (docs/results.md) and how the network picture marks firms
running processes. Parks and hand computations: tests/core/test_process_operation.py."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from ecopark_opt.outputs.network_draw import MARKS, _marks
from ecopark_opt.outputs.period_sheets import period_table
from ecopark_opt.outputs.process_sheets import process_sheets
from ecopark_opt.outputs.report import write_report
from tests.core.test_process_operation import chp_park, regeneration_park
from tests.helpers import solve_tables


def test_the_processes_sheet_says_where_the_hub_stands_and_what_it_treats(tmp_path):
    # opex 100: the hub regenerates 100 − 1 500 / 95 = 84.21 t; A sends it 84.21, it sends B
    # 84.21; it costs 100 + 0.5 × 84.21 = 142.11
    s = solve_tables(tmp_path, regeneration_park(100))
    (sheet,) = process_sheets(s)
    assert sheet.title == "Processes"
    (regen,) = sheet.frame.to_dict("records")
    assert (regen["process"], regen["firm"], regen["hub"], regen["site"], regen["built"]) == (
        "regen",
        "H",
        "yes",
        "S2",
        "yes",
    )
    assert regen["throughput [units/yr]"] == pytest.approx(100 - 1500 / 95)
    assert regen["use of capacity [%]"] == pytest.approx(100 * (100 - 1500 / 95) / 200)
    assert regen["annual cost [EUR/yr]"] == pytest.approx(100 + 0.5 * (100 - 1500 / 95))
    assert regen["takes"] == "water 84.2 t" and regen["gives"] == "water 84.2 t"
    (title, streams), *_ = sheet.tables
    assert title == "Inputs taken and outputs given"
    assert streams[["direction", "from / to"]].values.tolist() == [
        ["input", "A 84.2"],
        ["output", "B 84.2"],
    ]
    assert any(n.startswith("Shared hub H: worth building on S2") for n in sheet.notes)


def test_a_hub_not_worth_building_is_said_so(tmp_path):
    s = solve_tables(tmp_path, regeneration_park(250))
    (sheet,) = process_sheets(s)
    assert sheet.frame.at[0, "built"] == "no" and sheet.frame.at[0, "site"] is None
    assert "Shared hub H: not worth building in this design." in sheet.notes


def test_no_processes_sheet_without_processes(tmp_path):
    tables = regeneration_park(100)
    del tables["processes"], tables["process_io"]
    tables["firms"] = tables["firms"][::2]  # A and B
    assert process_sheets(solve_tables(tmp_path, tables)) == []


def test_throughput_by_period_and_process_inputs_in_the_periods_sheet(tmp_path):
    # the sized CHP of test_a_sized_process_is_built_for_what_pays over two half years: it
    # burns R's 30 MWh in each (capacity 60 per year), so its gas input is 30 each period
    tables = chp_park(capex_per_capacity=10)
    tables["periods"] = [{"period_id": "h1", "hours": 4380}, {"period_id": "h2", "hours": 4380}]
    s = solve_tables(tmp_path, tables)
    (sheet,) = process_sheets(s)
    titles = [t for t, _ in sheet.tables]
    assert titles == ["Inputs taken and outputs given", "Throughput by period [units]"]
    by_period = sheet.tables[1][1].set_index("process")
    assert by_period.loc["chp", ["h1", "h2"]].tolist() == pytest.approx([30, 30])
    per = period_table(s).set_index(["period", "resource"])
    # gas demanded: the CHP's input, ratio 1 × 30 in each period (not spread like a stream)
    assert per.loc[("h1", "gas"), "demand"] == pytest.approx(30)
    assert per.loc[("h1", "steam"), "demand"] == pytest.approx(40)


def test_the_report_has_the_processes_sheet(tmp_path):
    s = solve_tables(tmp_path, regeneration_park(100))
    book = load_workbook(write_report(s, tmp_path / "r.xlsx"))
    ws = book["Processes"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Inputs taken and outputs given", "takes", "gives", "hub"} <= texts


def test_the_network_marks_firms_running_a_process(tmp_path):
    s = solve_tables(tmp_path, regeneration_park(100))
    firms = s.firms[s.firms["admitted"]]
    assert dict(zip(firms.index, _marks(s, firms))) == {
        "A": MARKS["existing"],
        "H": MARKS["process"],
        "B": MARKS["existing"],
    }
