"""The blank input workbook (``ecopark template``) and ``docs/workbook.md``, from the schema.

Both are generated from :data:`ecopark_opt.schema.SHEETS` and
:data:`ecopark_opt.schema.SETTINGS` only: change the schema and the template and the docs
follow (``python scripts/make_docs.py`` rewrites the docs page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .schema import BOOL, ENUM, ID, IDS, INTEGER, NUMBER, SETTINGS, SHEETS, TEXT, Column, Setting

README_SHEET = "README"
LISTS_SHEET = "lists"  # hidden sheet holding the dropdown choices; the reader ignores it
BOOL_CHOICES = ("true", "false")
BOOL_LIST = "bool_list"
LAST_ROW = 1048576  # dropdowns cover the whole column below the header

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)

TYPE_LABELS = {
    TEXT: "text",
    ID: "id",
    IDS: "comma-separated ids",
    NUMBER: "number",
    INTEGER: "whole number",
    BOOL: "true/false",
    ENUM: "one of",
}

PROPERTY_NOTE = (
    "Quality properties declared on the properties sheet each add a number column (named like "
    "the property) to flows and resources: on a supply row the stream's value, on a demand row "
    "the most the firm accepts in the delivered mix (blank = no limit), on resources the value "
    "of the virgin resource (blank = 0). Mixing is linear (flow-weighted mean)."
)


# --- what the schema says, in words ---------------------------------------------------------


def type_label(col: Column, sheet: str) -> str:
    """How a column's type reads for a planner, e.g. ``site id`` or ``number``."""
    if col.type == ENUM:
        return "choice"
    if col.type in (ID, IDS) and col.ref:
        noun = col.ref.removesuffix("es" if col.ref.endswith("sses") else "s")
        label = f"{noun} id" if col.type == ID else f"comma-separated {noun} ids"
        return label
    label = TYPE_LABELS[col.type]
    if SHEETS[sheet].key == (col.name,):
        label += ", unique"
    return label


def setting_default(setting: Setting) -> str:
    """The default of a setting as it reads in a cell or in the docs."""
    return _plain(setting.default)


def setting_range(setting: Setting) -> str:
    """Allowed values of a setting, e.g. ``≥ 0 and ≤ 1`` or ``cost | virgin``."""
    return _range(setting.column())


def list_name(name: str) -> str:
    """Workbook defined name holding the choices of an enumerated column or setting."""
    return f"{name}_list"


def column_list(col: Column) -> str | None:
    """Defined name of the dropdown for a column, or None when it takes free input: the
    column's name, and its first choice too when an earlier column of that name offers other
    choices (``direction`` of flows and of process_io)."""
    if col.type == ENUM:
        first = _first_choices().get(col.name, col.choices)
        return list_name(col.name if first == col.choices else f"{col.name}_{col.choices[0]}")
    if col.type == BOOL:
        return BOOL_LIST
    return None


def _first_choices() -> dict[str, tuple[str, ...]]:
    """The choices of the first enumerated column of each name, in schema order."""
    out: dict[str, tuple[str, ...]] = {}
    for sheet in SHEETS.values():
        for col in sheet.columns:
            if col.type == ENUM:
                out.setdefault(col.name, col.choices)
    return out


def setting_list(setting: Setting) -> str | None:
    """Defined name of the dropdown for a setting's value cell, or None."""
    return column_list(setting.column())


def choice_lists() -> dict[str, tuple[str, ...]]:
    """Every dropdown list of the template: defined name → choices (in schema order)."""
    lists: dict[str, tuple[str, ...]] = {}
    columns = [c for sheet in SHEETS.values() for c in sheet.columns]
    columns += [s.column() for s in SETTINGS.values()]
    for col in columns:
        name = column_list(col)
        if name is None:
            continue
        choices = BOOL_CHOICES if col.type == BOOL else col.choices
        if lists.setdefault(name, choices) != choices:
            raise ValueError(f"two enumerations share the list name {name} with other choices")
    return lists


def column_note(col: Column, sheet: str) -> str:
    """The header comment: meaning, type, unit, default and allowed range."""
    return _note(col, type_label(col, sheet), col.default_label)


def setting_note(setting: Setting) -> str:
    """The comment of a setting's row, in the words of a header comment."""
    kind = "choice" if setting.type == ENUM else TYPE_LABELS[setting.type]
    return _note(setting.column(), kind, setting_default(setting))


def _note(col: Column, kind: str, default: str) -> str:
    lines = [f"{col.name}: {col.description}", f"type: {kind}"]
    if col.unit:
        lines.append(f"unit: {col.unit}")
    lines.append(f"default: {default}")
    if _range(col):
        lines.append(f"allowed: {_range(col)}")
    if col.ref:
        lines.append(f"refers to: {col.ref} sheet")
    return "\n".join(lines)


# --- the workbook ---------------------------------------------------------------------------


def write_template(path: str | Path) -> Path:
    """Write a blank input workbook: README, every schema sheet, hidden dropdown lists."""
    book = Workbook()
    book.remove(book.active)
    _readme(book.create_sheet(README_SHEET))
    lists = _lists(book)
    for sheet in SHEETS.values():
        ws = book.create_sheet(sheet.name)
        _header(ws, sheet.name, sheet.columns)
        for col_number, col in enumerate(sheet.columns, start=1):
            name = column_list(col)
            if name:
                letter = get_column_letter(col_number)
                _dropdown(ws, name, lists[name], f"{letter}2:{letter}{LAST_ROW}")
        if sheet.name == "settings":
            _settings_rows(ws, lists)
    lists_ws = book[LISTS_SHEET]
    book.move_sheet(lists_ws, offset=len(book.sheetnames) - 1 - book.index(lists_ws))
    book.active = 0
    path = Path(path)
    book.save(path)
    return path


def _readme(ws: Worksheet) -> None:
    """What the workbook is, one line per sheet, properties, settings with defaults."""
    rows: list[tuple[Any, ...]] = [
        ("ecopark input workbook",),
        (
            "One workbook describes one eco-industrial park: the firms that are there or could "
            "come, their plots, the resources they buy and discharge each year, and how resources "
            "can be carried between them. Run `ecopark solve` on it to get the design report.",
        ),
        (
            "Fill one row per record below the header of each sheet. Hover over a header to read "
            "its meaning, unit, default and allowed values. Sheet and column names are matched "
            "case-insensitively; empty rows are skipped; quantities are per year.",
        ),
        (),
        ("Sheets", "required?", "what it holds"),
    ]
    for sheet in SHEETS.values():
        rows.append((sheet.name, "required" if sheet.required else "optional", sheet.description))
    rows += [
        (),
        ("Properties",),
        (PROPERTY_NOTE,),
        (),
        ("Settings", "default", "meaning"),
    ]
    for setting in SETTINGS.values():
        meaning = setting.description
        allowed = setting_range(setting)
        if allowed:
            meaning += f" (allowed: {allowed})"
        rows.append((setting.key, setting_default(setting), meaning))
    widths = {"A": 24, "B": 14, "C": 100}
    for number, values in enumerate(rows, start=1):
        for col_number, value in enumerate(values, start=1):
            cell = ws.cell(row=number, column=col_number, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        text = str(values[0]) if len(values) == 1 else ""
        if len(text) > widths["A"]:  # a paragraph: across the three columns, wrapped
            ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=3)
            lines = -(-len(text) // int(sum(widths.values()) * 0.95))
            ws.row_dimensions[number].height = 15 * lines + 3
        elif len(values) == 3 and len(str(values[2])) > widths["C"]:
            lines = -(-len(str(values[2])) // int(widths["C"] * 0.95))
            ws.row_dimensions[number].height = 15 * lines + 3
        if values and values[0] in ("Sheets", "Properties", "Settings"):
            for col_number in range(1, len(values) + 1):
                ws.cell(row=number, column=col_number).font = SECTION_FONT
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(wrap_text=False)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def _lists(book: Workbook) -> dict[str, tuple[str, ...]]:
    """Hidden sheet with one column per choice list, each under a workbook defined name."""
    ws = book.create_sheet(LISTS_SHEET)
    lists = choice_lists()
    for col_number, (name, choices) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col_number)
        ws.cell(row=1, column=col_number, value=name).font = HEADER_FONT
        for row, choice in enumerate(choices, start=2):
            ws.cell(row=row, column=col_number, value=choice)
        ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(choices) + 1}"
        book.defined_names[name] = DefinedName(name, attr_text=ref)
    ws.sheet_state = "hidden"
    return lists


def _header(ws: Worksheet, sheet: str, columns: tuple[Column, ...]) -> None:
    """Bold, frozen header row with one comment per column and readable widths."""
    for col_number, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col_number, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        note = column_note(col, sheet)
        cell.comment = _comment(note)
        wide = col.type in (TEXT, IDS) or col.name in ("key", "value")
        ws.column_dimensions[get_column_letter(col_number)].width = max(
            len(col.name) + 4, 22 if wide else 14
        )
    ws.freeze_panes = "A2"


def _settings_rows(ws: Worksheet, lists: dict[str, tuple[str, ...]]) -> None:
    """Every setting with its default value, the key cell commented, the value validated."""
    for row, setting in enumerate(SETTINGS.values(), start=2):
        key = ws.cell(row=row, column=1, value=setting.key)
        key.comment = _comment(setting_note(setting))
        ws.cell(row=row, column=2, value=_cell_value(setting.default))
        name = setting_list(setting)
        if name:
            _dropdown(ws, name, lists[name], f"B{row}")


def _dropdown(ws: Worksheet, name: str, choices: tuple[str, ...], cells: str) -> None:
    dv = DataValidation(type="list", formula1=name, allow_blank=True)
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorTitle = "Not an allowed value"
    dv.error = f"Choose one of: {', '.join(choices)}"
    dv.add(cells)
    ws.add_data_validation(dv)


def _comment(text: str) -> Comment:
    lines = text.splitlines()
    comment = Comment(text, "ecopark")
    comment.width = 320
    comment.height = 22 * (len(lines) + sum(len(line) // 45 for line in lines)) + 10
    return comment


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _plain(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- docs/workbook.md -----------------------------------------------------------------------


def workbook_markdown() -> str:
    """``docs/workbook.md``: one table per sheet and the settings table, from the schema."""
    out = [
        "# Input workbook",
        "",
        "<!-- Generated from ecopark_opt/schema.py by scripts/make_docs.py; do not edit. -->",
        "",
        "One `.xlsx` workbook describes one park. `ecopark template PATH` writes a blank one "
        "with every sheet below, header comments and dropdowns. Sheet names and column headers "
        "are matched case-insensitively, surrounding spaces ignored; entirely empty rows are "
        "skipped; ids are text. Quantities are per year in the resource's unit, money in one "
        "currency (`settings.currency`), distances in km. Optional sheets switch their "
        "feature on by being present. Unknown sheets or columns give a warning, not an error.",
        "",
        "Problems are reported all at once, each as `sheet!CELL (column): message`.",
        "",
    ]
    for sheet in SHEETS.values():
        out.append(f"## {sheet.name} ({'required' if sheet.required else 'optional'})")
        out.append("")
        out.append(sheet.description)
        if sheet.key:
            out.append("")
            key = ", ".join(sheet.key)
            out.append(f"Each row is identified by {key} (at most one row per {key}).")
        out.append("")
        out.append("| column | type | unit | default | range | meaning |")
        out.append("|---|---|---|---|---|---|")
        for col in sheet.columns:
            out.append(
                "| "
                + " | ".join(
                    _md(v)
                    for v in (
                        col.name,
                        type_label(col, sheet.name),
                        col.unit,
                        col.default_label,
                        _range(col),
                        col.description,
                    )
                )
                + " |"
            )
        if sheet.property_columns:
            out.append(
                "| *property columns* | number |  | blank |  | one per property "
                "declared on the properties sheet (see below) |"
            )
        out.append("")
        if sheet.name == "properties":
            out.append(PROPERTY_NOTE)
            out.append("")
        if sheet.name == "settings":
            out.append("### settings keys")
            out.append("")
            out.append("| key | type | unit | default | range | meaning |")
            out.append("|---|---|---|---|---|---|")
            for setting in SETTINGS.values():
                out.append(
                    "| "
                    + " | ".join(
                        _md(v)
                        for v in (
                            setting.key,
                            "choice" if setting.type == ENUM else TYPE_LABELS[setting.type],
                            setting.unit,
                            setting_default(setting),
                            setting_range(setting),
                            setting.description,
                        )
                    )
                    + " |"
                )
            out.append("")
    return "\n".join(out)


def _range(col: Column) -> str:
    if col.type == BOOL:
        return " | ".join(BOOL_CHOICES)
    return col.range_text


def _md(text: str) -> str:
    """A table cell: pipes escaped so that choices like ``a | b`` stay in one cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")
