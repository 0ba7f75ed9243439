"""Broken workbooks: every problem is reported at once, each as ``sheet!CELL (column): message``.

The base park is :func:`tests.helpers.two_firm_park`; its sheets are laid out as
firms A=firm_id B=site (rows 2 A, 3 B), sites A=site_id B=x_km C=y_km (rows 2 S1, 3 S2),
resources A=resource_id B=unit C=virgin_price D=disposal_cost (row 2 water),
flows A=firm_id B=resource_id C=direction D=quantity (row 2 A supply 100, row 3 B demand 80).
Columns added to the first row of a sheet come after these, in the order given.
"""

from __future__ import annotations

import copy
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ecopark_opt.core.optimize import prepare
from ecopark_opt.errors import InfeasibleError, InputError
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from tests.helpers import two_firm_park


def problems(path: Path) -> list[str]:
    """Every problem ``load_park`` reports (fails the test when the workbook loads)."""
    with pytest.raises(InputError) as caught:
        load_park(path)
    return caught.value.problems


def problems_of(tmp_path: Path, tables: dict[str, Any]) -> list[str]:
    return problems(write_workbook(tmp_path / "park.xlsx", tables))


def park_with(sheet: str, index: int, **values: Any) -> dict[str, Any]:
    """The two-firm park with some cells of one row changed."""
    tables = copy.deepcopy(two_firm_park())
    tables[sheet][index].update(values)
    return tables


def edited(tmp_path: Path, tables: dict[str, Any], edit) -> Path:
    """Write the tables, then change the file with openpyxl (formulas, errors, merges)."""
    path = write_workbook(tmp_path / "park.xlsx", tables)
    book = load_workbook(path)
    edit(book)
    book.save(path)
    return path


def with_raw_cell(tmp_path: Path, sheet_xml: str, old: bytes, new: bytes) -> Path:
    """The two-firm park with one cell's XML replaced (values openpyxl will not write)."""
    good = write_workbook(tmp_path / "good.xlsx", two_firm_park())
    out = tmp_path / "park.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == sheet_xml:
                assert old in data
                data = data.replace(old, new)
            dst.writestr(info, data)
    return out


# --- files that are not workbooks --------------------------------------------------------


def test_text_file_renamed_to_xlsx(tmp_path):
    path = tmp_path / "park.xlsx"
    path.write_text("firm_id,site\nA,S1\n")
    assert problems(path) == [
        f"{path}: not an .xlsx workbook (an .xlsx file is a zip archive; save the file as "
        "'Excel Workbook (.xlsx)')"
    ]


def test_truncated_zip(tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", two_firm_park())
    path = tmp_path / "park.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert problems(path) == [
        f"{path}: corrupt or truncated .xlsx file (the zip archive is incomplete); copy it "
        "again or re-save it from Excel"
    ]


def test_damaged_zip_member(tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", two_firm_park())
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/workbook.xml")
    # overwrite the start of the member's compressed data (after its 30-byte local header)
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 20] = b"\xff" * 20
    path = tmp_path / "park.xlsx"
    path.write_bytes(bytes(data))
    assert problems(path) == [
        f"{path}: corrupt .xlsx file (Error -3 while decompressing data: invalid block type)"
    ]


def test_empty_file(tmp_path):
    path = tmp_path / "park.xlsx"
    path.write_bytes(b"")
    assert problems(path) == [f"{path}: the file is empty (0 bytes), not an .xlsx workbook"]


def test_directory(tmp_path):
    path = tmp_path / "park.xlsx"
    path.mkdir()
    assert problems(path) == [f"{path}: is a directory, not an .xlsx workbook"]


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.xlsx"
    assert problems(path) == [f"{path}: file not found"]


def test_old_xls_workbook(tmp_path):
    path = tmp_path / "park.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    assert problems(path) == [
        f"{path}: an old Excel 97-2003 (.xls) workbook; save it as 'Excel Workbook (.xlsx)'"
    ]


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "park.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert problems(path) == [
        f"{path}: a zip archive but not an .xlsx workbook (no xl/workbook.xml)"
    ]


# --- sheets and columns ------------------------------------------------------------------


def test_missing_required_sheet_with_a_close_name(tmp_path):
    tables = two_firm_park()
    tables["Site"] = tables.pop("sites")
    assert problems_of(tmp_path, tables) == [
        "sites: missing required sheet (the sheet 'Site' looks like it; rename it 'sites')"
    ]


def test_missing_required_sheet(tmp_path):
    tables = two_firm_park()
    del tables["resources"]
    assert problems_of(tmp_path, tables) == ["resources: missing required sheet"]


def test_missing_required_column_points_at_the_misspelt_header(tmp_path):
    tables = two_firm_park()
    for row in tables["flows"]:
        row["quantitiy"] = row.pop("quantity")
    # the misspelt header is reported once, as the missing column, not also as an unknown
    # column or property
    assert problems_of(tmp_path, tables) == [
        "flows!D1 (quantitiy): missing required column 'quantity' (the header 'quantitiy' "
        "looks like a misspelling of it)"
    ]


def test_missing_required_column_without_a_close_header(tmp_path):
    tables = two_firm_park()
    for row in tables["resources"]:
        del row["virgin_price"]
    # resources keeps A=resource_id B=unit C=disposal_cost: the column would go in D
    assert problems_of(tmp_path, tables) == ["resources!D1: missing required column 'virgin_price'"]


def test_duplicate_column_header(tmp_path):
    def edit(book):
        book["firms"]["C1"] = "Site"

    path = edited(tmp_path, two_firm_park(), edit)
    assert problems(path) == ["firms!C1 (site): duplicate column header (first in column B)"]


def test_required_sheet_without_rows(tmp_path):
    tables = two_firm_park(
        flows=[{"firm_id": None, "resource_id": None, "direction": None, "quantity": None}]
    )
    # the only row is entirely empty and skipped: the header stands alone
    assert problems_of(tmp_path, tables) == [
        "flows: no rows below the header; at least one row is required"
    ]


def test_unknown_sheet_and_column_are_warnings(tmp_path):
    tables = two_firm_park(notes=[{"text": "hello"}], Setings=[{"key": "objective"}])
    tables["firms"][0]["sectr"] = "energy"
    tables["flows"][0]["comment"] = "steam"
    park = load_park(write_workbook(tmp_path / "park.xlsx", tables))
    assert park.warnings == [
        "notes: unknown sheet, ignored",
        "Setings: unknown sheet, ignored (did you mean 'settings'?)",
        "firms!C1 (sectr): unknown column, ignored (did you mean 'sector'?)",
        "flows!E1 (comment): unknown column, ignored",
    ]
    assert list(park.firms.index) == ["A", "B"]


def test_merged_cells(tmp_path):
    tables = two_firm_park()
    tables["flows"][0]["price"] = 3  # flows column E
    tables["flows"][1]["price"] = 3

    def edit(book):
        book["flows"].merge_cells("E2:E3")

    # row 3 would silently read a blank price (the resource's 2) instead of the 3 on screen
    assert problems(edited(tmp_path, tables, edit)) == [
        "flows!E2:E3 (price): merged cells; unmerge them and fill every cell (only the first "
        "cell of a merged range holds a value)"
    ]


def test_merged_header_stops_before_cross_sheet_checks(tmp_path):
    def edit(book):
        book["firms"].merge_cells("A1:B1")

    # the site header is hidden by the merge: no "existing firm needs a site" for each row
    assert problems(edited(tmp_path, two_firm_park(), edit)) == [
        "firms!A1:B1 (firm_id): merged cells; unmerge them and fill every cell (only the "
        "first cell of a merged range holds a value)"
    ]


# --- cells -------------------------------------------------------------------------------


def test_negative_quantity(tmp_path):
    assert problems_of(tmp_path, park_with("flows", 1, quantity=-3)) == [
        "flows!D3 (quantity): must be ≥ 0, got -3"
    ]


def test_text_in_a_numeric_cell(tmp_path):
    assert problems_of(tmp_path, park_with("flows", 1, quantity="lots")) == [
        "flows!D3 (quantity): text 'lots' where a number is expected"
    ]


def test_date_and_boolean_in_numeric_columns(tmp_path):
    tables = park_with("flows", 1, quantity=dt.datetime(2024, 1, 5))
    tables["resources"][0]["virgin_price"] = True
    assert problems_of(tmp_path, tables) == [
        "resources!C2 (virgin_price): a true/false value (TRUE) where a number is expected",
        "flows!D3 (quantity): a date/time (2024-01-05) where a number is expected",
    ]


@pytest.mark.parametrize("text", ["inf", "nan", "-Infinity"])
def test_infinite_or_nan_text_is_refused(tmp_path, text):
    # float() parses these words: they must still be refused
    assert problems_of(tmp_path, park_with("flows", 1, quantity=text)) == [
        f"flows!D3 (quantity): must be a finite number, got {text}"
    ]


def test_infinite_number_cell_is_refused(tmp_path):
    # 1E999 overflows to inf when the cell is read as a float
    path = with_raw_cell(
        tmp_path,
        "xl/worksheets/sheet4.xml",
        b'<c r="D3" t="n"><v>80</v></c>',
        b'<c r="D3" t="n"><v>1E999</v></c>',
    )
    assert problems(path) == ["flows!D3 (quantity): must be a finite number, got inf"]


def test_formula_without_a_saved_value(tmp_path):
    def edit(book):
        book["flows"]["D3"] = "=1/0"

    assert problems(edited(tmp_path, two_firm_park(), edit)) == [
        "flows!D3 (quantity): formula =1/0 has no saved value (open the workbook in Excel or "
        "LibreOffice and save it again)"
    ]


def test_cached_error_value(tmp_path):
    def edit(book):
        cell = book["flows"]["D3"]
        cell.value = "#DIV/0!"
        cell.data_type = "e"

    assert problems(edited(tmp_path, two_firm_park(), edit)) == [
        "flows!D3 (quantity): the cell holds the error #DIV/0!; fix the formula or type a value"
    ]


@pytest.mark.parametrize("ratio", [0, -1])
def test_substitution_ratio_must_be_positive(tmp_path, ratio):
    tables = two_firm_park(
        resources=[
            {"resource_id": "water", "virgin_price": 2},
            {"resource_id": "steam", "virgin_price": 5},
        ],
        substitutions=[{"from_resource": "steam", "to_resource": "water", "ratio": ratio}],
    )
    assert problems_of(tmp_path, tables) == [f"substitutions!C2 (ratio): must be > 0, got {ratio}"]


@pytest.mark.parametrize("loss", [1, 1.5, -0.1])
def test_loss_per_km_outside_zero_one(tmp_path, loss):
    tables = two_firm_park(transport=[{"mode": "pipe", "loss_per_km": loss}])
    assert problems_of(tmp_path, tables) == [
        f"transport!B2 (loss_per_km): must be ≥ 0 and < 1, got {loss:g}"
    ]


def test_invalid_enumerations(tmp_path):
    tables = park_with("flows", 1, direction="demnd")
    tables["firms"][1]["status"] = "candidat"  # firms column C
    tables["sites"][1]["kind"] = "parcel"  # sites column D
    tables["settings"] = {"objective": "cheapest"}
    assert problems_of(tmp_path, tables) == [
        "firms!C3 (status): must be one of existing, candidate, got 'candidat' (did you mean "
        "'candidate'?)",
        "sites!D3 (kind): must be one of plot, fixed, got 'parcel'",
        "flows!C3 (direction): must be one of supply, demand, got 'demnd' (did you mean 'demand'?)",
        "settings!B2 (objective): must be one of cost, virgin, co2e, weighted, got 'cheapest'",
    ]


def test_invalid_boolean(tmp_path):
    tables = park_with("firms", 1, status="candidate", site="S2", must_join="perhaps")
    assert problems_of(tmp_path, tables) == [
        "firms!D3 (must_join): must be true or false, got 'perhaps'"
    ]


def test_unknown_setting_and_malformed_values(tmp_path):
    tables = two_firm_park(
        settings={
            "objectiv": "cost",
            "time_limit_s": "fast",
            "win_win": "maybe",
            "mip_gap": 2,
            "max_links": 1.5,
        }
    )
    assert problems_of(tmp_path, tables) == [
        "settings!A2 (key): unknown setting 'objectiv' (did you mean 'objective'?)",
        "settings!B3 (time_limit_s): text 'fast' where a number is expected",
        "settings!B4 (win_win): must be true or false, got 'maybe'",
        "settings!B5 (mip_gap): must be ≥ 0 and ≤ 1, got 2",
        "settings!B6 (max_links): must be a whole number, got 1.5",
    ]


def test_setting_given_twice(tmp_path):
    tables = two_firm_park(
        settings=[{"key": "win_win", "value": None}, {"key": "WIN_WIN", "value": "true"}]
    )
    assert problems_of(tmp_path, tables) == [
        "settings!A3 (key): setting 'win_win' given twice (first on row 2)"
    ]


def test_blank_setting_value_keeps_the_default(tmp_path):
    tables = two_firm_park(
        settings=[{"key": "max_links", "value": None}, {"key": "mip_gap", "value": 0.01}]
    )
    park = load_park(write_workbook(tmp_path / "park.xlsx", tables))
    assert park.settings.max_links is None
    assert park.settings.mip_gap == 0.01
    assert park.settings.time_limit_s == 300.0  # schema default


# --- references and ids ------------------------------------------------------------------


def test_duplicate_ids(tmp_path):
    tables = two_firm_park()
    tables["firms"].append({"firm_id": "A", "site": "S1"})
    tables["resources"].append({"resource_id": "water", "virgin_price": 3})
    assert problems_of(tmp_path, tables) == [
        "firms!A4 (firm_id): duplicate id 'A' (first on row 2)",
        "resources!A3 (resource_id): duplicate id 'water' (first on row 2)",
    ]


def test_ids_differing_only_by_case(tmp_path):
    tables = two_firm_park()
    tables["sites"].append({"site_id": "s1", "x_km": 1, "y_km": 1})
    assert problems_of(tmp_path, tables) == [
        "sites!A4 (site_id): id 's1' differs from 'S1' (row 2) only by case; ids are "
        "case-sensitive, use one spelling"
    ]


def test_second_flow_row_for_the_same_stream(tmp_path):
    tables = two_firm_park()
    tables["flows"].append(
        {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 5}
    )
    assert problems_of(tmp_path, tables) == [
        "flows!A4 (firm_id): second demand row for firm 'B' and resource 'water' (first on "
        "row 3); merge them"
    ]


def test_unknown_references_with_suggestions(tmp_path):
    tables = park_with("flows", 1, firm_id="b", resource_id="watr")
    tables["firms"][1]["site"] = "S3"
    tables["transport"] = [{"mode": "pipe", "resources": "water, wter"}]
    tables["distances"] = [{"from_site": "S1", "to_site": "S-2", "distance_km": 4}]
    tables["substitutions"] = [{"from_resource": "Water", "to_resource": "water"}]
    assert problems_of(tmp_path, tables) == [
        "firms!B3 (site): unknown site 'S3'",
        "flows!A3 (firm_id): unknown firm 'b' (did you mean 'B'?)",
        "flows!B3 (resource_id): unknown resource 'watr' (did you mean 'water'?)",
        "substitutions!A2 (from_resource): unknown resource 'Water' (did you mean 'water'?)",
        "transport!B2 (resources): unknown resource 'wter' (did you mean 'water'?)",
        "distances!B2 (to_site): unknown site 'S-2' (did you mean 'S2'?)",
    ]


def test_repeated_substitutions_and_distances(tmp_path):
    tables = two_firm_park()
    tables["resources"].append({"resource_id": "steam", "virgin_price": 1})
    tables["substitutions"] = [
        {"from_resource": "water", "to_resource": "steam"},  # row 2
        {"from_resource": "steam", "to_resource": "steam"},  # row 3
        {"from_resource": "water", "to_resource": "steam"},  # row 4
        {"from_resource": "steam", "to_resource": "water"},  # row 5: the other way is another
    ]
    tables["distances"] = [
        {"from_site": "S1", "to_site": "S2", "distance_km": 4},  # row 2
        {"from_site": "S2", "to_site": "S1", "distance_km": 5},  # row 3: the way back
        {"from_site": "S1", "to_site": "S2", "distance_km": 6},  # row 4
    ]
    assert problems_of(tmp_path, tables) == [
        "substitutions!B3 (to_resource): a resource cannot substitute itself",
        "substitutions!A4 (from_resource): duplicate substitution water → steam (first on row 2)",
        "distances!A4 (from_site): distance S1 → S2 given twice (first on row 2)",
    ]


def test_profile_of_an_unknown_period(tmp_path):
    tables = two_firm_park()
    tables["periods"] = [
        {"period_id": "winter", "hours": 4380},
        {"period_id": "summer", "hours": 4380},
    ]
    tables["profiles"] = [
        {
            "firm_id": "A",
            "resource_id": "water",
            "direction": "supply",
            "period_id": "winterr",
            "share": 0.5,
        },
    ]
    assert problems_of(tmp_path, tables)[0] == (
        "profiles!D2 (period_id): unknown period 'winterr' (did you mean 'winter'?)"
    )


def test_allowed_sites_must_be_known_plots(tmp_path):
    tables = two_firm_park()
    tables["sites"].append({"site_id": "P1", "x_km": 2, "y_km": 0, "kind": "plot"})
    tables["firms"].append({"firm_id": "C", "status": "candidate", "allowed_sites": "P1, S1, P2"})
    # firms: A=firm_id B=site C=status D=allowed_sites; row 4 is C
    assert problems_of(tmp_path, tables) == [
        "firms!D4 (allowed_sites): site 'S1' is not a plot (kind=plot)",
        "firms!D4 (allowed_sites): unknown site 'P2'",
    ]


def test_property_column_not_declared_is_a_warning(tmp_path):
    tables = two_firm_park(properties=[{"property": "chloride", "unit": "ppm"}])
    tables["flows"][1]["chlorid"] = 20  # flows column E
    park = load_park(write_workbook(tmp_path / "park.xlsx", tables))
    assert park.warnings == [
        "flows!E1 (chlorid): unknown column, ignored (did you mean 'chloride'?)"
    ]


def test_negative_property_value_names_its_column(tmp_path):
    tables = two_firm_park(properties=[{"property": "cod", "unit": "mg/l"}])
    tables["flows"][1]["cod"] = -5  # flows column E, B's demand row (row 3)
    tables["resources"][0]["cod"] = -1  # resources column E
    assert problems_of(tmp_path, tables) == [
        "flows!E3 (cod): must be ≥ 0, got -5",
        "resources!E2 (cod): must be ≥ 0, got -1",
    ]


# --- coordinates -------------------------------------------------------------------------


def test_sites_mixing_xy_and_latlon(tmp_path):
    tables = two_firm_park(
        sites=[
            {"site_id": "S1", "x_km": 0, "y_km": 0},
            {"site_id": "S2", "lat": 55.66, "lon": 11.1},  # sites columns D, E
        ]
    )
    assert problems_of(tmp_path, tables) == [
        "sites!D3 (lat): site 'S2' uses lat/lon coordinates but site 'S1' (row 2) uses x/y; "
        "use one system on every row"
    ]


def test_site_with_both_systems(tmp_path):
    tables = two_firm_park(
        sites=[
            {"site_id": "S1", "x_km": 0, "y_km": 0, "lat": 55.0, "lon": 11.0},
            {"site_id": "S2", "x_km": 5, "y_km": 0},
        ]
    )
    assert problems_of(tmp_path, tables) == [
        "sites!D2 (lat): site 'S1' has both x/y and lat/lon coordinates; use one system"
    ]


def test_missing_coordinates(tmp_path):
    tables = two_firm_park(
        sites=[
            {"site_id": "S1", "x_km": 0, "y_km": None},
            {"site_id": "S2", "x_km": None, "y_km": None},
        ]
    )
    assert problems_of(tmp_path, tables) == [
        "sites!C2 (y_km): site 'S1' has x_km but no y_km",
        "sites!B3 (x_km): site 'S2' has no coordinates (give x_km and y_km, or lat and lon)",
    ]


def test_bad_coordinate_cell_is_not_blamed_twice(tmp_path):
    tables = park_with("sites", 1, x_km="five")
    assert problems_of(tmp_path, tables) == [
        "sites!B3 (x_km): text 'five' where a number is expected"
    ]


# --- all at once -------------------------------------------------------------------------


def test_three_different_errors_give_three_messages(tmp_path):
    # a cell error (negative quantity), an enumeration error and a cross-sheet reference:
    # the reference is still checked although the cells already failed
    tables = park_with("flows", 1, quantity=-3, firm_id="C")
    tables["sites"][0]["kind"] = "plott"  # sites column D
    assert problems_of(tmp_path, tables) == [
        "sites!D2 (kind): must be one of plot, fixed, got 'plott' (did you mean 'plot'?)",
        "flows!D3 (quantity): must be ≥ 0, got -3",
        "flows!A3 (firm_id): unknown firm 'C'",
    ]


def test_invalid_status_does_not_cascade(tmp_path):
    # the status falls back to its default (existing) once refused; the blank site must not
    # then be blamed as "existing firm needs a site"
    tables = park_with("firms", 1, status="cand", site=None)
    assert problems_of(tmp_path, tables) == [
        "firms!C3 (status): must be one of existing, candidate, got 'cand' (did you mean "
        "'candidate'?)"
    ]


# --- pre-solve checks --------------------------------------------------------------------


def infeasible_reasons(tmp_path: Path, tables: dict[str, Any]) -> list[str]:
    park = load_park(write_workbook(tmp_path / "park.xlsx", tables))
    with pytest.raises(InfeasibleError) as caught:
        prepare(park)
    return caught.value.reasons


def test_demand_that_cannot_be_bought_nor_served(tmp_path):
    tables = two_firm_park(
        resources=[
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "steam", "unit": "MWh", "virgin_price": None},
        ],
    )
    tables["flows"].append(
        {"firm_id": "B", "resource_id": "steam", "direction": "demand", "quantity": 10}
    )
    # nobody supplies steam: no candidate link can deliver any of the 10 MWh
    assert infeasible_reasons(tmp_path, tables) == [
        "flows!D4 (quantity): B needs 10 MWh of steam, which cannot be bought (resources!C3 "
        "virgin_price is blank) and at most 0 can be delivered by candidate links"
    ]


def test_a_floating_candidate_supplies_once_whatever_its_plots(tmp_path):
    # B needs 20 000 t of sludge, which cannot be bought. A supplies 8 000 t; candidate C
    # supplies 3 000 t and may stand on any of three plots, each within reach: C's 3 000 t
    # count once (11 000 in all), not once per plot (17 000).
    tables = {
        "firms": [
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "status": "candidate"},
        ],
        "sites": [
            {"site_id": "S1", "x_km": 0, "y_km": 0},
            {"site_id": "S2", "x_km": 1, "y_km": 0},
            *({"site_id": f"P{n}", "x_km": n, "y_km": 1, "kind": "plot"} for n in (1, 2, 3)),
        ],
        "resources": [{"resource_id": "sludge", "unit": "t", "virgin_price": None}],
        "flows": [
            {"firm_id": "A", "resource_id": "sludge", "direction": "supply", "quantity": 8000},
            {"firm_id": "C", "resource_id": "sludge", "direction": "supply", "quantity": 3000},
            {"firm_id": "B", "resource_id": "sludge", "direction": "demand", "quantity": 20000},
        ],
    }
    (reason,) = infeasible_reasons(tmp_path, tables)
    assert "at most 11000 can be delivered" in reason


def test_demand_that_cannot_be_bought_and_is_only_partly_served(tmp_path):
    tables = park_with("flows", 0, quantity=50)
    tables["resources"][0]["virgin_price"] = None
    # A supplies 50 t, B needs 80 t: the one link can bring at most 50
    assert infeasible_reasons(tmp_path, tables) == [
        "flows!D3 (quantity): B needs 80 t of water, which cannot be bought (resources!C2 "
        "virgin_price is blank) and at most 50 can be delivered by candidate links"
    ]


def test_max_virgin_below_what_must_be_bought(tmp_path):
    tables = park_with("flows", 0, quantity=50)
    tables["resources"][0]["max_virgin"] = 10  # resources column E
    # B needs 80 t, exchanges can bring at most 50 → at least 80 − 50 = 30 t must be bought
    assert infeasible_reasons(tmp_path, tables) == [
        "resources!E2 (max_virgin): water purchase is capped at 10 but at least 30 must be "
        "bought even if every candidate link were used"
    ]


def test_max_virgin_that_exchanges_can_respect_is_feasible(tmp_path):
    tables = park_with("flows", 0, quantity=50)
    tables["resources"][0]["max_virgin"] = 30  # exactly 80 − 50
    park = load_park(write_workbook(tmp_path / "park.xlsx", tables))
    assert len(prepare(park).links) == 1


def test_quality_limit_nobody_meets(tmp_path):
    tables = two_firm_park(properties=[{"property": "chloride", "unit": "ppm"}])
    tables["resources"][0]["chloride"] = 50  # virgin water: 50 ppm
    tables["flows"][0]["chloride"] = 30  # A's stream: 30 ppm (flows column E)
    tables["flows"][1]["chloride"] = 20  # B accepts at most 20 ppm
    assert infeasible_reasons(tmp_path, tables) == [
        "flows!E3 (chloride): B accepts at most 20 chloride in water, but the virgin resource "
        "has 50 and no candidate source is that clean"
    ]
