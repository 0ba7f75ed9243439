"""The report's Processes sheet (docs/results.md) and how the network picture marks firms
running processes. Parks and hand computations: tests/core/test_process_operation.py."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from ecopark_opt.analyses.candidates import siting_table
from ecopark_opt.outputs.network_draw import MARKS, _marks
from ecopark_opt.outputs.period_sheets import period_table
from ecopark_opt.outputs.process_sheets import process_sheets
from ecopark_opt.outputs.report import write_report
from ecopark_opt.outputs.report_sheets import Context, balances_frame, kpi_table, resource_table
from tests.core.test_process_operation import (
    chp_park,
    digester_park,
    io,
    line_park,
    regeneration_park,
    row,
)
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


# --- the other sheets with processes ---------------------------------------------------------


def own_wastewater_park() -> dict:
    """W discharges 100 t of wastewater (3/t) and needs 100 t of water (2/t); its treatment
    plant turns 1 t of wastewater into 0.9 t of water (tests/core/test_process_operation.py:
    internal arcs in and out, W still buys 10 t)."""
    return line_park(
        firms=[{"firm_id": "W"}],
        flows=[row("W", "wastewater", "supply", 100), row("W", "water", "demand", 100)],
        resources=[
            {"resource_id": "wastewater", "unit": "t", "virgin_price": None, "disposal_cost": 3},
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
        ],
        processes=[
            {"process_id": "wwtp", "firm_id": "W", "max_throughput": 100, "cost_per_unit": 1}
        ],
        process_io=[io("wwtp", "wastewater", "input"), io("wwtp", "water", "output", 0.9)],
    )


def test_process_rows_add_nothing_to_the_standalone_columns(tmp_path):
    # standalone W discharges its 100 t of wastewater and buys 100 t of water; the plant's
    # own rows (100 t in, 90 t out) do not run there
    s = solve_tables(tmp_path, own_wastewater_park())
    ctx = Context(s)
    per = resource_table(ctx).set_index("resource")
    assert per.at["water", "virgin purchase before [unit/yr]"] == pytest.approx(100)
    assert per.at["water", "virgin purchase after [unit/yr]"] == pytest.approx(10)
    assert per.at["water", "discharge before [unit/yr]"] == pytest.approx(0)
    assert per.at["wastewater", "discharge before [unit/yr]"] == pytest.approx(100)
    kpi = kpi_table(ctx).set_index("indicator")
    assert kpi.loc["waste discharged", "standalone baseline"] == pytest.approx(100)
    assert kpi.loc["waste discharged", "design"] == pytest.approx(0)


def test_internal_arcs_are_neither_links_of_a_firm_nor_priced(tmp_path):
    s = solve_tables(tmp_path, own_wastewater_park())
    assert s.firms.at["W", "links_in"] == 0 and s.firms.at["W", "links_out"] == 0
    internal = s.built_links[s.built_links["internal"].astype(bool)]
    assert len(internal) == 2 and internal["transfer_price"].isna().all()
    ctx = Context(s)
    balances = balances_frame(ctx)
    # demand rows (wastewater into the plant, water), then supply rows (wastewater, water out)
    assert list(balances["process"]) == ["wwtp", "", "", "wwtp"]


def test_an_output_sold_at_a_negative_price_is_not_waste(tmp_path):
    # the digester park with gas sold at 5/MWh (disposal_cost −5) and B needing 20 of the
    # 50 MWh: 30 MWh sold; A's 100 t of sludge no longer discharged
    tables = digester_park(100)
    tables["resources"][1]["disposal_cost"] = -5
    tables["flows"][1]["quantity"] = 20
    s = solve_tables(tmp_path, tables)
    kpi = kpi_table(Context(s)).set_index(["indicator", "unit"])
    assert kpi.loc[("sold to the market", "MWh/yr"), "standalone baseline"] == 0
    assert kpi.loc[("sold to the market", "MWh/yr"), "design"] == pytest.approx(30)
    assert kpi.loc[("waste discharged", "t/yr"), "standalone baseline"] == pytest.approx(100)
    assert kpi.loc[("waste discharged", "t/yr"), "design"] == pytest.approx(0)


def test_an_idle_process_has_no_balance_rows(tmp_path):
    s = solve_tables(tmp_path, digester_park(70))  # below the minimum: not built
    assert "dig" not in set(balances_frame(Context(s))["process"])


def test_the_siting_sheet_names_links_not_a_hubs_own_arcs(tmp_path):
    # the chain of test_a_chain_of_two_processes_in_one_firm, run by a floating candidate F
    from tests.core.test_process_operation import chain_park

    tables = chain_park()
    tables["firms"][1] |= {"status": "candidate", "site": None, "allowed_sites": "P1"}
    tables["sites"].append({"site_id": "P1", "x_km": 2, "y_km": 0, "kind": "plot"})
    s = solve_tables(tmp_path, tables)
    (placed,) = [r for r in siting_table(s).to_dict("records") if r["firm"] == "F"]
    assert placed["why"] == "heat to H (1.0 km); sludge from A (1.0 km)"


def test_a_hub_that_loses_money_is_said_so(tmp_path):
    # the win-win park of test_process_operation at σ = 0.25 (without win_win): the hub
    # is built, its share of the savings is 0.75 × 100 + 0.25 × 180 = 120, its costs 50
    # + 90 = 140 and it buys and discharges nothing: it loses 20 a year
    from tests.core.test_process_operation import hub_park

    s = solve_tables(tmp_path, hub_park(0.25))
    (note,) = [n for n in process_sheets(s)[0].notes if n.startswith("Shared hub H")]
    assert note == (
        "Shared hub H: worth building on S2, running hub (100 units/yr). Its share of its "
        "links' savings is 120 EUR/yr; its processes cost 140 and its own purchases and "
        "discharges less its sales 0: it loses 20 EUR/yr (with win_win it would not be built)."
    )
