"""The blank workbook of ``ecopark template`` and docs/workbook.md follow the schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from ecopark_opt.core.optimize import optimize
from ecopark_opt.errors import InputError
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.reader import IGNORED_SHEETS, read_workbook
from ecopark_opt.inputs.schema import BOOL, ENUM, SETTINGS, SHEETS
from ecopark_opt.inputs.template import (
    BOOL_CHOICES,
    LISTS_SHEET,
    README_SHEET,
    workbook_markdown,
    write_template,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "blank.xlsx")


@pytest.fixture(scope="module")
def book(template):
    return load_workbook(template)


def validations_by_cell(ws) -> dict[str, str]:
    """First cell of every list validation's range → its formula (the defined name)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0]] = dv.formula1
    return out


def defined_choices(book, name: str) -> list[str]:
    """The values a workbook defined name points at."""
    ((title, ref),) = list(book.defined_names[name].destinations)
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    ws = book[title]
    return [ws.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]


def test_sheet_order_readme_first_lists_hidden(book):
    assert book.sheetnames == [README_SHEET, *SHEETS, LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in SHEETS)


def test_every_schema_column_is_a_bold_commented_header(book):
    for name, sheet in SHEETS.items():
        ws = book[name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.name for c in sheet.columns], name
        assert ws.freeze_panes == "A2", name
        for number, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=number)
            assert cell.font.bold, cell.coordinate
            note = cell.comment.text
            assert note.startswith(f"{col.name}: {col.description}"), note
            assert f"default: {col.default_label}" in note
            if col.unit:
                assert f"unit: {col.unit}" in note
            if col.range_text:
                assert f"allowed: {col.range_text}" in note
            width = ws.column_dimensions[get_column_letter(number)].width
            assert width >= max(12, len(col.name) + 2), (name, col.name, width)


def test_comment_spells_out_a_range(book):
    # loss_per_km is the 10th transport column (J): min 0 inclusive, max 1 exclusive
    note = book["transport"]["J1"].comment.text
    assert "unit: fraction/km" in note
    assert "allowed: ≥ 0 and < 1" in note
    assert "default: 0" in note


def test_enumerated_columns_have_dropdowns_through_defined_names(book):
    checked = 0
    for name, sheet in SHEETS.items():
        found = validations_by_cell(book[name])
        for number, col in enumerate(sheet.columns, start=1):
            first = f"{get_column_letter(number)}2"
            if col.type not in (ENUM, BOOL):
                if name != "settings":  # settings validates single value cells, see below
                    assert first not in found, (name, col.name)
                continue
            list_name = found[first]
            # one list per column name; a second column of that name with other choices
            # (process_io's input/output direction) adds its first choice to the name
            named = f"{col.name}_list" if list_name == f"{col.name}_list" else None
            assert list_name == (
                "bool_list" if col.type == BOOL else named or f"{col.name}_{col.choices[0]}_list"
            )
            expected = list(BOOL_CHOICES) if col.type == BOOL else list(col.choices)
            assert defined_choices(book, list_name) == expected
            checked += 1
    # at least status, must_join, kind, direction, operation
    assert checked == sum(c.type in (ENUM, BOOL) for s in SHEETS.values() for c in s.columns)
    assert checked >= 5


def test_status_dropdown_offers_existing_and_candidate(book):
    assert validations_by_cell(book["firms"])["D2"] == "status_list"
    assert defined_choices(book, "status_list") == ["existing", "candidate"]


def test_settings_prefilled_with_every_default(book):
    ws = book["settings"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2)]
    assert [k for k, _ in rows] == list(SETTINGS)
    values = dict(rows)
    assert values["objective"] == "cost"
    assert values["mip_gap"] == pytest.approx(1e-4)
    assert values["time_limit_s"] == 300
    assert values["win_win"] == "false"
    assert values["max_links"] is None  # no default: left blank
    for number, key in enumerate(SETTINGS, start=2):
        assert ws.cell(row=number, column=1).comment.text.startswith(
            f"{key}: {SETTINGS[key].description}"
        )
    found = validations_by_cell(ws)
    objective_row = list(SETTINGS).index("objective") + 2
    win_win_row = list(SETTINGS).index("win_win") + 2
    assert found[f"B{objective_row}"] == "objective_list"
    assert defined_choices(book, "objective_list") == ["cost", "virgin", "co2e", "weighted"]
    assert found[f"B{win_win_row}"] == "bool_list"


def test_readme_lists_sheets_and_settings(book):
    ws = book[README_SHEET]
    rows = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows() if r[0].value}
    for name, sheet in SHEETS.items():
        assert rows[name][:2] == ["required" if sheet.required else "optional", sheet.description]
    for key, setting in SETTINGS.items():
        assert rows[key][1].startswith(setting.description)
    assert rows["mip_gap"][0] == "0.0001"
    assert rows["max_links"][0] == "blank"
    assert any("properties sheet" in str(k) for k in rows)


def test_template_reads_without_problems_or_warnings(template):
    raw = read_workbook(template)
    assert raw.problems == []
    assert raw.warnings == []
    assert {README_SHEET.lower(), LISTS_SHEET} <= IGNORED_SHEETS


def test_blank_template_only_lacks_rows(template):
    with pytest.raises(InputError) as caught:
        load_park(template)
    assert caught.value.problems == [
        f"{name}: no rows below the header; at least one row is required"
        for name in ("firms", "sites", "resources", "flows")
    ]


def test_filled_template_loads_and_solves(template, tmp_path):
    book = load_workbook(template)
    book["firms"].append(["A", None, None, None, "S1"])
    book["firms"].append(["B", None, None, None, "S2"])
    book["sites"].append(["S1", 0, 0])
    book["sites"].append(["S2", 5, 0])
    book["resources"].append(["water", None, "t", 2, 1])
    book["flows"].append(["A", "water", "supply", 100])
    book["flows"].append(["B", "water", "demand", 80])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    park = load_park(path)
    # the template's transport sheet is empty: the planner is told what that means
    assert park.warnings == [
        "transport: the sheet has no rows, so no transport mode is declared; every resource "
        "travels by the default 'pipeline', which costs nothing and has no distance limit "
        "(add rows to price and limit transport)"
    ]
    assert park.settings.max_links is None and park.settings.objective == "cost"
    solution = optimize(park)
    # the template's transport sheet is empty, so the default cost-free pipeline applies:
    # B gets all 80 t from A; A discharges 100 − 80 = 20 t at 1
    # → design 20; baseline: A discharges 100 × 1 + B buys 80 × 2 = 260
    assert solution.metrics["cost"]["design"] == pytest.approx(20.0)
    assert solution.metrics["cost"]["baseline"] == pytest.approx(260.0)


def test_markdown_has_a_table_row_per_column_and_setting():
    text = workbook_markdown()
    for name, sheet in SHEETS.items():
        assert f"## {name} ({'required' if sheet.required else 'optional'})" in text
        for col in sheet.columns:
            assert f"\n| {col.name} | " in text, (name, col.name)
    for key in SETTINGS:
        assert f"\n| {key} | " in text
    assert "| loss_per_km | number | fraction/km | 0 | ≥ 0 and < 1 |" in text
    assert "| status | choice |  | existing | existing \\| candidate |" in text


def test_docs_page_is_up_to_date():
    page = ROOT / "docs" / "workbook.md"
    assert page.read_text(encoding="utf-8") == workbook_markdown(), (
        "docs/workbook.md is stale: run python scripts/make_docs.py"
    )


def test_make_docs_script_writes_the_page(tmp_path):
    script = ROOT / "scripts" / "make_docs.py"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "docs/workbook.md" in result.stdout
    assert (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8") == workbook_markdown()
