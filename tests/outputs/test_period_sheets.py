"""The report's Periods sheet (docs/results.md): per period and resource what is demanded,
exchanged, bought and discharged, each sized link's capacity and use, and a native chart."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from ecopark_opt.outputs.period_sheets import period_sheets
from ecopark_opt.outputs.report import write_report
from tests.core.parks import mode
from tests.core.test_periods import heat_park
from tests.helpers import solve_tables

SIZED = {
    "transport": [mode("pipe", capex_per_capacity=25)],
    "settings": {"discount_rate": 0, "lifetime_years": 1},
}


def test_periods_sheet_numbers(tmp_path):
    # the sized heat pipe of test_link_sizing (κ = 25): 200 MWh a half year, K = 400
    s = solve_tables(tmp_path, heat_park(**SIZED))
    (sheet,) = period_sheets(s)
    assert sheet.title == "Periods"
    assert list(sheet.frame["period"]) == ["winter", "summer"]
    assert list(sheet.frame["heat exchanged [MWh]"]) == pytest.approx([200, 200])
    assert sheet.chart.kind == "column" and sheet.chart.y == ("heat exchanged [MWh]",)
    (title, per), (sized_title, sized) = sheet.tables
    winter = per[per["period"] == "winter"].iloc[0]
    # winter: B needs 800, gets 200, buys 600; A discharges 500 − 200 = 300
    assert (
        winter["demand"],
        winter["delivered by exchange"],
        winter["bought"],
        winter["discharged"],
    ) == pytest.approx((800, 200, 600, 300))
    (link,) = sized.to_dict("records")
    assert link["capacity [unit/yr]"] == pytest.approx(400)
    assert link["winter: use [%]"] == pytest.approx(100)  # 200 of 400 × 0.5


def test_no_periods_sheet_without_periods(tmp_path):
    tables = heat_park()
    del tables["periods"], tables["profiles"]
    assert period_sheets(solve_tables(tmp_path, tables)) == []


def test_the_report_has_the_periods_sheet_with_its_chart(tmp_path):
    s = solve_tables(tmp_path, heat_park(**SIZED))
    path = write_report(s, tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book.sheetnames.index("Periods") == book.sheetnames.index("Network") + 1
    ws = book["Periods"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Per period and resource", "Sized links: capacity and use in each period"} <= texts
    assert len(ws._charts) == 1
