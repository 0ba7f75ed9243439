"""Scenarios and uncertain inputs as data: overrides applied to a workbook's typed tables.

An :class:`Override` changes one column of some rows of one input sheet: ``set`` a value,
``scale`` it (multiply) or ``add`` to it. Overrides come from two sheets:

- ``scenarios`` (docs/workbook.md): named sets of overrides; ``ecopark solve --scenario NAME`` and
  ``ecopark compare --scenarios`` apply them.
- ``uncertainty`` (docs/uncertainty.md): each row names cells and a distribution; a sweep
  sample multiplies those cells by one draw (an override ``scale`` by the draw).

Overrides are applied, in row order, to the typed tables of
:func:`~ecopark_opt.reader.read_workbook` *before* the cross-sheet checks of
:func:`~ecopark_opt.inputs.validate.assemble_park`, so a scenario's park is checked exactly like the
base workbook. A row is named by its key: the id (``firm_id``, ``site_id``, ``resource_id``,
``mode``, ``property``), ``firm_id/resource_id/direction`` on ``flows``,
``from_resource/to_resource`` on ``substitutions``, ``from_site/to_site`` on ``distances``,
the setting's name on ``settings`` (column ``value``); ``*`` means every row of the sheet.

Every problem names the cell of the row that asked for the change
(``scenarios!C5 (key): no firms row 'X'``), and a new value is checked against the column's
type and range (``scenarios!F5 (value): scale 2 makes flows quantity of 'A/w/supply' -6;
must be ≥ 0``). A problem that the cross-sheet checks then find in a changed cell says which
row changed it. ``scale`` and ``add`` leave blank cells blank (a flow whose price is blank
takes the resource's price: scale the resource's price instead).
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..park import Park, is_blank
from .reader import (
    RawWorkbook,
    Table,
    convert_cell,
    did_you_mean,
    parse_number,
    read_workbook,
)
from .schema import INTEGER, NUMBER, SETTINGS, SHEETS, TYPE_WORDS, Column, property_column
from .validate import assemble_park

SCENARIOS = "scenarios"
UNCERTAINTY = "uncertainty"
OPERATIONS = ("set", "scale", "add")
NOT_CHANGEABLE = (SCENARIOS, UNCERTAINTY)  # sheets that hold overrides themselves
MAX_ROW_PROBLEMS = 3  # per override, out-of-range rows listed before "and N more"


@dataclass(frozen=True)
class Override:
    """One requested change: ``operation`` ``value`` on ``sheet``.``column`` of row ``key``.

    ``cells`` maps each request field (sheet, key, column, operation, value) to the cell it
    was written in, for messages; ``origin`` says in words where the request comes from.
    """

    sheet: str
    key: str
    column: str
    operation: str
    value: Any
    cells: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # field → its name in messages

    def where(self, part: str) -> str:
        """``scenarios!C5 (key)`` for one field of the request."""
        return f"{self.cells.get(part, self.origin)} ({self.labels.get(part, part)})"


@dataclass(frozen=True)
class UncertainRow:
    """One row of the ``uncertainty`` sheet: which cells to multiply and by what draw."""

    row: int
    sheet: str
    key: str
    column: str
    distribution: str
    p1: float
    p2: float
    p3: float | None
    cells: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``flows.quantity[A/water/supply]``: how the row reads in reports."""
        return f"{self.sheet}.{self.column}[{self.key}]"

    def override(self, draw: float) -> Override:
        """Multiply the named cells by ``draw``."""
        where = self.cells.get("distribution", "")
        return Override(
            self.sheet,
            self.key,
            self.column,
            "scale",
            float(draw),
            {**self.cells, "value": where, "operation": where},
            f"uncertainty row {self.row}",
            {"value": "draw", "operation": "distribution"},
        )


# --- reading the two sheets ---------------------------------------------------------------


def _complete(raw: RawWorkbook, sheet: str) -> Table | None:
    """The table of ``sheet`` when it was read with every required column, else None."""
    table = raw.tables.get(sheet)
    if table is None:
        return None
    required = [c.name for c in SHEETS[sheet].columns if c.required]
    return table if all(name in table.letters for name in required) else None


def scenario_names(raw: RawWorkbook) -> list[str]:
    """Scenario names in the order they first appear on the ``scenarios`` sheet."""
    table = _complete(raw, SCENARIOS)
    if table is None:
        return []
    return list(dict.fromkeys(n for n in table.frame["scenario"] if isinstance(n, str) and n))


def scenario_overrides(raw: RawWorkbook, name: str) -> list[Override]:
    """The overrides of scenario ``name``, in row order."""
    return scenario_groups(raw).get(name, [])


def scenario_groups(raw: RawWorkbook) -> dict[str, list[Override]]:
    """Every scenario's overrides, in row order, scenarios in order of first appearance (one
    pass over the sheet)."""
    table = _complete(raw, SCENARIOS)
    if table is None:
        return {}
    parts = ("scenario", "sheet", "key", "column", "operation", "value")
    frame = table.frame
    out: dict[str, list[Override]] = {}
    for name, sheet, key, column, operation, value, row in zip(
        *(frame[p] for p in parts), frame["excel_row"]
    ):
        if not (isinstance(name, str) and name):
            continue
        row = int(row)
        out.setdefault(name, []).append(
            Override(
                sheet=sheet,
                key=key,
                column=column,
                operation=operation,
                value=value,
                cells={part: table.cell(part, row) for part in parts},
                origin=f"scenario '{name}' on {table.title} row {row}",
            )
        )
    return out


def uncertainty_rows(raw: RawWorkbook, problems: list[str]) -> list[UncertainRow]:
    """The ``uncertainty`` rows whose cells were read; distribution parameters are checked
    (problems appended), ignored ``p3`` cells give a warning."""
    table = _complete(raw, UNCERTAINTY)
    if table is None:
        return []
    out = []
    for rec in table.frame.to_dict("records"):
        row = int(rec["excel_row"])
        needed = ("sheet", "key", "column", "distribution", "p1", "p2")
        if any(is_blank(rec.get(k)) for k in needed):
            continue  # the reader has reported the blank or bad cell
        cells = {part: table.cell(part, row) for part in (*needed, "p3")}
        p1, p2 = float(rec["p1"]), float(rec["p2"])
        p3 = None if is_blank(rec.get("p3")) else float(rec["p3"])
        dist = rec["distribution"]
        before = len(problems)
        if dist == "uniform" and p1 > p2:
            problems.append(
                f"{cells['p2']} (p2): uniform needs low ≤ high, got low {p1:g} and high {p2:g}"
            )
        elif dist == "triangular":
            if p3 is None:
                problems.append(f"{cells['p3']} (p3): triangular needs p3 (high)")
            elif not (p1 <= p2 <= p3) or p1 == p3:
                problems.append(
                    f"{cells['p2']} (p2): triangular needs low ≤ mode ≤ high and "
                    f"low < high, got {p1:g}, {p2:g}, {p3:g}"
                )
        elif dist in ("normal", "lognormal") and p2 < 0:
            what = "standard deviation" if dist == "normal" else "σ"
            problems.append(f"{cells['p2']} (p2): the {what} must be ≥ 0, got {p2:g}")
        if dist != "triangular" and p3 is not None:
            raw.warnings.append(f"{cells['p3']} (p3): ignored for a {dist} distribution")
        if len(problems) > before:
            continue
        out.append(
            UncertainRow(row, rec["sheet"], rec["key"], rec["column"], dist, p1, p2, p3, cells)
        )
    return out


# --- applying overrides -------------------------------------------------------------------


def copy_raw(raw: RawWorkbook) -> RawWorkbook:
    """A copy whose tables and problem lists can be changed without touching ``raw``."""
    tables = {
        name: replace(
            t, frame=t.frame.copy(deep=True), letters=dict(t.letters), extra=list(t.extra)
        )
        for name, t in raw.tables.items()
    }
    return replace(raw, tables=tables, problems=list(raw.problems), warnings=list(raw.warnings))


class RowIndex:
    """Each sheet's rows by the key an override names them with, and the declared properties
    of one workbook, computed once per sheet however many overrides and scenarios use them
    (key columns are never changed by an override, so they stay valid)."""

    def __init__(self, raw: RawWorkbook):
        self.raw = raw
        self._labels: dict[str, dict[Any, str | None]] = {}
        self._rows: dict[str, dict[str, list[Any]]] = {}
        self._properties: list[str] | None = None

    def labels(self, sheet: str) -> dict[Any, str | None]:
        """Row label of the sheet's frame → the row's key (None when a key cell is blank)."""
        if sheet not in self._labels:
            frame = self.raw.tables[sheet].frame
            keys = _row_keys(frame, sheet)
            self._labels[sheet] = dict(zip(frame.index, keys))
            rows: dict[str, list[Any]] = {}
            for i, key in zip(frame.index, keys):
                if key is not None:
                    rows.setdefault(key, []).append(i)
            self._rows[sheet] = rows
        return self._labels[sheet]

    def rows(self, sheet: str, key: str) -> list[Any]:
        """The row labels whose key is ``key``."""
        self.labels(sheet)
        return self._rows[sheet].get(key, [])

    def properties(self) -> list[str]:
        if self._properties is None:
            self._properties = _declared_properties(self.raw)
        return self._properties


class Edits:
    """The cells a list of overrides changes, kept beside the workbook's tables: a cell reads
    as its last written value, else as the workbook has it. Checking a scenario therefore
    costs the cells it touches, not a copy of the workbook; :meth:`write_to` puts the
    changes into a copy when the changed park is wanted."""

    def __init__(self, raw: RawWorkbook, index: RowIndex | None = None):
        self.raw = raw
        self.index = index or RowIndex(raw)
        self.cells: dict[tuple[str, Any, str], Any] = {}  # (sheet, row label, column) → value
        self.settings: dict[str, Any] = {}  # setting name → value

    def value(self, sheet: str, row: Any, column: str) -> Any:
        key = (sheet, row, column)
        if key in self.cells:
            return self.cells[key]
        frame = self.raw.tables[sheet].frame
        return frame.at[row, column] if column in frame.columns else None

    def write(self, sheet: str, row: Any, column: str, value: Any) -> None:
        self.cells[(sheet, row, column)] = value

    def write_to(self, work: RawWorkbook) -> None:
        """Apply the changes to ``work`` (a copy of the workbook: same tables, same rows)."""
        for (sheet, row, column), value in self.cells.items():
            _write(work.tables[sheet].frame, row, column, value)
        for name, value in self.settings.items():
            _write_setting(work, name, value)


def apply_overrides(
    raw: RawWorkbook, overrides: Iterable[Override]
) -> tuple[RawWorkbook, dict[str, str]]:
    """A copy of ``raw`` with ``overrides`` applied in order, and the changed cells
    (``flows!D3`` → origin). Problems are appended to the copy's ``problems``."""
    edits = Edits(raw)
    problems: list[str] = []
    changed: dict[str, str] = {}
    for override in overrides:
        _apply(edits, override, problems, changed)
    work = copy_raw(raw)
    edits.write_to(work)
    _normalise_profiles(
        work, [row for sheet, row, col in edits.cells if sheet == "profiles" and col == "share"]
    )
    work.problems.extend(problems)
    return work, changed


def _normalise_profiles(work: RawWorkbook, changed: list[Any]) -> None:
    """A stream's shares after an override changed some of them: divided by their sum, so
    they add up to 1 again (an uncertainty row that scales the winter share up moves that
    much of the stream out of the other periods, in proportion; docs/uncertainty.md)."""
    table = work.tables.get("profiles")
    if table is None or not changed:
        return
    frame = table.frame
    stream = ["firm_id", "resource_id", "direction"]
    key_of = {i: tuple(k) for i, k in zip(frame.index, frame[stream].itertuples(index=False))}
    for key in {key_of[row] for row in changed}:
        rows = [i for i, k in key_of.items() if k == key]
        shares = pd.to_numeric(frame.loc[rows, "share"], errors="coerce")
        total = float(shares.sum())
        if shares.notna().all() and total > 0:
            frame.loc[rows, "share"] = (shares / total).to_numpy()


def check_overrides(
    raw: RawWorkbook, overrides: Iterable[Override], index: RowIndex | None = None
) -> list[str]:
    """The problems ``overrides`` (applied in order) would give, without copying ``raw``."""
    edits = Edits(raw, index)
    problems: list[str] = []
    for override in overrides:
        _apply(edits, override, problems, {})
    return problems


def park_with_overrides(raw: RawWorkbook, overrides: Sequence[Override] = ()) -> Park:
    """The park of ``raw`` with ``overrides`` applied, checked like any workbook."""
    work, changed = apply_overrides(raw, overrides)
    try:
        return assemble_park(work)
    except InputError as exc:
        raise InputError(annotate(exc.problems, changed)) from None


def park_from_raw(raw: RawWorkbook, scenario: str | None = None) -> Park:
    """``load_park``'s path for workbooks with scenarios or uncertainty rows.

    Every scenario and every uncertainty row is checked (each scenario on its own), so that
    ``validate`` reports a bad override whichever scenario is run; then ``scenario``, when
    given, is applied and the result checked like the base workbook.
    """
    problems = override_problems(raw)
    if scenario is not None:
        names = scenario_names(raw)
        if scenario not in names:
            listing = ", ".join(names) if names else "none (no scenarios sheet)"
            raise InputError(
                f"--scenario {scenario}: no such scenario"
                f"{did_you_mean(scenario, names)}; the workbook has: {listing}"
            )
        work, changed = apply_overrides(raw, scenario_overrides(raw, scenario))
        work.problems[len(raw.problems) :] = []  # this scenario's problems are in `problems`
    else:
        work, changed = raw, {}
    work.problems.extend(problems)
    try:
        return assemble_park(work)
    except InputError as exc:
        raise InputError(annotate(exc.problems, changed)) from None


def override_problems(raw: RawWorkbook) -> list[str]:
    """Problems of every scenario (each applied alone) and of every uncertainty row (its
    parameters, and its target as a numeric cell that exists).

    Linear in the number of rows of the two sheets: the scenarios are grouped in one pass,
    each sheet's row keys are computed once for all of them, and a scenario's changes are
    kept beside the tables (:class:`Edits`) instead of in a copy of the workbook
    (``benchmarks/scenarios.py`` measures it).
    """
    index = RowIndex(raw)
    problems: list[str] = []
    for overrides in scenario_groups(raw).values():
        problems.extend(check_overrides(raw, overrides, index))
    rows = uncertainty_rows(raw, problems)
    if rows:
        problems.extend(check_overrides(raw, [r.override(1.0) for r in rows], index))
    return list(dict.fromkeys(problems))


def annotate(problems: Sequence[str], changed: Mapping[str, str]) -> list[str]:
    """Say which override changed the cell a problem points at."""
    if not changed:
        return list(problems)
    out = []
    for problem in problems:
        cell = problem.split(" ", 1)[0].rstrip(":")
        origin = changed.get(cell)
        out.append(f"{problem} (value set by {origin})" if origin else problem)
    return out


def _apply(edits: Edits, ov: Override, problems: list[str], changed: dict[str, str]) -> None:
    """Apply one override to ``edits``; problems name the request."""
    raw = edits.raw
    if ov.operation not in OPERATIONS or any(
        is_blank(v) or v == "" for v in (ov.sheet, ov.key, ov.column, ov.value)
    ):
        return  # the reader has reported the blank or bad cell
    sheet = str(ov.sheet).strip().lower()
    allowed = [s for s in SHEETS if s not in NOT_CHANGEABLE]
    if sheet in NOT_CHANGEABLE:
        problems.append(f"{ov.where('sheet')}: the {sheet} sheet cannot be changed by an override")
        return
    if sheet not in SHEETS:
        problems.append(
            f"{ov.where('sheet')}: unknown sheet '{ov.sheet}'{did_you_mean(sheet, allowed)}"
        )
        return
    if sheet == "settings":
        _apply_setting(edits, ov, problems, changed)
        return
    table = raw.tables.get(sheet)
    if table is None:
        problems.append(
            f"{ov.where('sheet')}: the workbook has no {sheet} sheet; an override "
            "changes rows that exist"
        )
        return
    col = _target_column(edits.index, sheet, ov, problems)
    if col is None:
        return
    key = str(ov.key).strip()
    if key == "*":
        rows = list(table.frame.index)
    else:
        rows = edits.index.rows(sheet, key)
        if not rows:
            form = "/".join(SHEETS[sheet].key)
            known = [k for k in edits.index.labels(sheet).values() if k]
            problems.append(
                f"{ov.where('key')}: no {sheet} row '{key}' (key: {form}){did_you_mean(key, known)}"
            )
            return
    new_values = _new_values(edits, rows, col, sheet, ov, problems)
    excel_rows = table.frame["excel_row"]
    for i, value in new_values.items():
        edits.write(sheet, i, col.name, value)
        changed[table.cell(col.name, int(excel_rows.at[i]))] = ov.origin


def _target_column(index: RowIndex, sheet: str, ov: Override, problems: list[str]) -> Column | None:
    """The schema column (or declared property column) an override changes."""
    spec = SHEETS[sheet]
    name = str(ov.column).strip().lower()
    known = {c.name: c for c in spec.columns}
    properties = index.properties() if spec.property_columns else []
    if name in spec.key:
        problems.append(
            f"{ov.where('column')}: {name} identifies the row; an override cannot change it"
        )
        return None
    if name in known:
        return known[name]
    if name in properties:
        return property_column(name, sheet)
    problems.append(
        f"{ov.where('column')}: unknown column '{ov.column}' on {sheet}"
        f"{did_you_mean(name, [*known, *properties])}"
    )
    return None


def _declared_properties(raw: RawWorkbook) -> list[str]:
    table = raw.tables.get("properties")
    if table is None or "property" not in table.frame.columns:
        return []
    return [p.strip().lower() for p in table.frame["property"] if isinstance(p, str)]


def _row_keys(frame: pd.DataFrame, sheet: str) -> list[str | None]:
    """Each row's key as written in an override (None when a key cell is blank)."""
    columns = SHEETS[sheet].key
    keys: list[str | None] = []
    for rec in frame[list(columns)].itertuples(index=False):
        parts = list(rec)
        if any(is_blank(p) for p in parts):
            keys.append(None)
        else:
            keys.append("/".join(str(p) for p in parts))
    return keys


def _new_values(
    edits: Edits,
    rows: list,
    col: Column,
    sheet: str,
    ov: Override,
    problems: list[str],
) -> dict:
    """Row label → new typed value; rows whose new value is out of range are reported."""
    if ov.operation == "set":
        before = len(problems)
        typed = convert_cell(col, ov.value, ov.where("value"), problems)
        if len(problems) > before:
            return {}
        if typed is None and col.required:
            problems.append(
                f"{ov.where('value')}: {sheet} {col.name} is required; it cannot be set blank"
            )
            return {}
        return {i: typed for i in rows}
    operand = _operand(ov, col, f"column; {sheet} {col.name}", problems)
    if operand is None:
        return {}
    label = edits.index.labels(sheet)
    out: dict = {}
    bad: list[str] = []
    for i in rows:
        current = _as_number(edits.value(sheet, i, col.name), col)
        if current is None:
            continue  # blank stays blank
        what = f"{sheet} {col.name} of '{label[i]}'"
        new, problem = _operate(ov.operation, current, operand, col, what)
        if problem:
            bad.append(problem)
            continue
        out[i] = new
    for text in bad[:MAX_ROW_PROBLEMS]:
        problems.append(f"{ov.where('value')}: {text}")
    if len(bad) > MAX_ROW_PROBLEMS:
        problems.append(
            f"{ov.where('value')}: … and {len(bad) - MAX_ROW_PROBLEMS} more rows out of range"
        )
    return out


def _setting_rows(table: Table | None, name: str) -> list[Any]:
    """Row labels of the settings table's rows for setting ``name``."""
    if table is None:
        return []
    return [
        i
        for i, k in zip(table.frame.index, table.frame["key"])
        if isinstance(k, str) and k.strip().lower() == name
    ]


def _apply_setting(
    edits: Edits, ov: Override, problems: list[str], changed: dict[str, str]
) -> None:
    """An override of the settings sheet: key = the setting's name, column = value."""
    if str(ov.column).strip().lower() != "value":
        problems.append(
            f"{ov.where('column')}: on settings the column to change is 'value', got '{ov.column}'"
        )
        return
    name = str(ov.key).strip().lower()
    if name == "*":
        problems.append(f"{ov.where('key')}: name one setting; * does not apply to settings")
        return
    if name not in SETTINGS:
        problems.append(
            f"{ov.where('key')}: unknown setting '{ov.key}'{did_you_mean(name, list(SETTINGS))}"
        )
        return
    spec = SETTINGS[name]
    col = spec.column()
    table = edits.raw.tables.get("settings")
    rows = _setting_rows(table, name)
    current: Any = spec.default
    if name in edits.settings:
        current = edits.settings[name]
    elif rows:
        value = table.frame.at[rows[0], "value"]
        if not is_blank(value) and value != "":
            current = convert_cell(col, value, "", [])
    if ov.operation == "set":
        before = len(problems)
        new = convert_cell(col, ov.value, ov.where("value"), problems)
        if len(problems) > before:
            return
    else:
        operand = _operand(ov, col, f"setting; {name}", problems)
        if operand is None or current is None:
            return  # a blank setting (e.g. max_links) stays blank
        new, problem = _operate(ov.operation, current, operand, col, f"setting {name}")
        if problem:
            problems.append(f"{ov.where('value')}: {problem}")
            return
    edits.settings[name] = new
    if rows:
        cell = table.cell("value", int(table.frame.at[rows[0], "excel_row"]))
    else:
        cell = f"{table.title if table is not None else 'settings'}!{name}"
    changed[cell] = ov.origin


def _write_setting(raw: RawWorkbook, name: str, new: Any) -> None:
    """Set setting ``name`` on ``raw``'s settings table (a row, or a sheet, added if needed)."""
    table = raw.tables.get("settings")
    if table is None:
        frame = pd.DataFrame(
            {
                "key": pd.Series(dtype=object),
                "value": pd.Series(dtype=object),
                "excel_row": pd.Series(dtype=int),
            }
        )
        table = Table("settings", frame, {"key": "A", "value": "B"}, "settings")
        raw.tables["settings"] = table
    frame = table.frame
    rows = _setting_rows(table, name)
    if rows:
        for i in rows:
            _write(frame, i, "value", new)
        return
    record = {c: None for c in frame.columns} | {"key": name, "value": new, "excel_row": 0}
    added = pd.DataFrame([record], columns=frame.columns).astype({"key": object, "value": object})
    table.frame = (
        added
        if frame.empty
        else pd.concat([frame.astype({"key": object, "value": object}), added], ignore_index=True)
    )


def _operand(ov: Override, col: Column, what: str, problems: list[str]) -> float | None:
    """The number a ``scale`` or ``add`` override applies to ``what`` (``column; <sheet>
    <column>`` or ``setting; <key>``); None, with the problem said, when that is not numeric
    or the value is not a number."""
    if col.type not in (NUMBER, INTEGER):
        problems.append(
            f"{ov.where('operation')}: {ov.operation} needs a numeric {what} is "
            f"{TYPE_WORDS.get(col.type, 'text')}"
        )
        return None
    before = len(problems)
    operand = parse_number(ov.value, ov.where("value"), problems)
    return None if len(problems) > before else operand


def _operate(
    operation: str, current: float, operand: float, col: Column, what: str
) -> tuple[Any, str]:
    """``current`` scaled by ``operand`` or plus ``operand``, as the column's type (an
    integer column rounds), and no problem; out of the column's range, None and the problem
    (``scale 2 makes <what> 12; must be ≤ 10``)."""
    new = current * operand if operation == "scale" else current + operand
    reason = _range_problem(col, new)
    if reason:
        return None, f"{operation} {operand:g} makes {what} {new:g}; {reason}"
    return (int(round(new)) if col.type == INTEGER else float(new)), ""


def _as_number(value: Any, col: Column) -> float | None:
    """A cell as a number (a property cell may still hold raw text), None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    converted = convert_cell(col, value, "", [])
    return None if converted is None else float(converted)


def _range_problem(col: Column, number: float) -> str:
    """Why ``number`` does not fit ``col`` ('' when it does)."""
    if not math.isfinite(number) or abs(number) > 1e15:
        return "out of the supported range (|x| ≤ 1e15)"
    if col.type == INTEGER and abs(number - round(number)) > 1e-9:
        return "must be a whole number"
    lo, hi = col.min, col.max
    if lo is not None and (number < lo or (col.min_exclusive and number == lo)):
        return f"must be {col.range_text}"
    if hi is not None and (number > hi or (col.max_exclusive and number == hi)):
        return f"must be {col.range_text}"
    return ""


def _write(frame: pd.DataFrame, index: Any, column: str, value: Any) -> None:
    """Set one cell, keeping numeric columns numeric."""
    if column not in frame.columns:
        frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    dtype = frame[column].dtype
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (
        numeric and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ):
        if not pd.api.types.is_object_dtype(dtype):
            frame[column] = frame[column].astype(object)
    frame.at[index, column] = value


# --- a workbook that travels to worker processes ------------------------------------------


_RAW_CACHE: dict[str, RawWorkbook] = {}
_CACHE_SIZE = 4


@dataclass(frozen=True)
class WorkbookData:
    """A workbook's bytes and name: what a worker process needs to build a park itself."""

    name: str
    data: bytes
    sha256: str

    @classmethod
    def from_path(cls, path: str | Path) -> WorkbookData:
        path = Path(path)
        data = path.read_bytes()
        return cls(path.name, data, hashlib.sha256(data).hexdigest())

    def raw(self) -> RawWorkbook:
        """The workbook as read (cached per process: a sweep reads it once per worker)."""
        cached = _RAW_CACHE.get(self.sha256)
        if cached is None:
            with tempfile.TemporaryDirectory(prefix="ecopark-") as folder:
                path = Path(folder) / self.name
                path.write_bytes(self.data)
                cached = read_workbook(path)
            cached.path = Path(self.name)
            while len(_RAW_CACHE) >= _CACHE_SIZE:
                _RAW_CACHE.pop(next(iter(_RAW_CACHE)))
            _RAW_CACHE[self.sha256] = cached
        return copy_raw(cached)

    def park(self, scenario: str | None = None, overrides: Sequence[Override] = ()) -> Park:
        """The park of this workbook, with a scenario and then ``overrides`` applied."""
        raw = self.raw()
        first: list[Override] = []
        if scenario is not None:
            if scenario not in scenario_names(raw):
                raise InputError(f"--scenario {scenario}: no such scenario")
            first = scenario_overrides(raw, scenario)
        return park_with_overrides(raw, [*first, *overrides])
