"""Read an input workbook into typed tables, collecting every cell-level problem.

The reader knows nothing about the model: it turns sheets into pandas frames whose columns
follow :mod:`ecopark_opt.schema`, with the Excel row number of each record kept in ``excel_row``
so that later checks can point at cells. Every problem is collected; the caller raises once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import math
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import InputError
from .schema import (
    BOOL,
    ENUM,
    ID,
    IDS,
    INTEGER,
    NUMBER,
    PROPERTY_SHEETS,
    SHEETS,
    TEXT,
    Column,
    Sheet,
    property_column,
)
from .sheetxml import content_rows_xml

# Input limits (stated in the README): beyond them a workbook is refused, not read.
MAX_FILE_BYTES = 100 * 2**20
MAX_UNCOMPRESSED_BYTES = 1024 * 2**20
MAX_COMPRESSION_RATIO = 200
MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 2000

MERGE_CELL_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .xls, .doc
ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Excel stores control characters in strings as _xHHHH_; openpyxl leaves them escaped
ESCAPED_CONTROL = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff])_")
LINE_BREAKS = re.compile(r"[\t\n\r]")
# Sheets a workbook may carry that the reader skips without a warning: the template's README
# and hidden dropdown lists.
IGNORED_SHEETS = {"readme", "lists"}
TRUE_WORDS = {"true", "yes", "y", "1", "x"}
FALSE_WORDS = {"false", "no", "n", "0"}


@dataclass
class Table:
    """One sheet read into a typed frame; ``letters`` maps column name to Excel letter."""

    sheet: str
    frame: pd.DataFrame
    letters: dict[str, str]
    title: str  # the sheet's name as written in the workbook
    extra: list[str] = field(default_factory=list)  # columns not in the schema (properties?)
    header_row: int = 1  # Excel row of the header

    def cell(self, column: str, row: int) -> str:
        """``sheet!C7`` for a column name and an Excel row number (``sheet!7:7`` when the
        sheet has no such column)."""
        letter = self.letters.get(column)
        return f"{self.title}!{letter}{row}" if letter else f"{self.title}!{row}:{row}"


@dataclass
class RawWorkbook:
    """Everything read from a workbook, before cross-sheet checks."""

    path: Path
    sha256: str
    tables: dict[str, Table]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merged_headers: list[str] = field(default_factory=list)  # sheets with a merged header cell


def did_you_mean(name: str, known: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` naming the closest known spelling (case-insensitive), or ''."""
    originals = {str(k).lower(): str(k) for k in reversed(list(known))}
    word = str(name).lower()
    starting = [k for k in originals if k.startswith(word)] if len(word) >= 3 else []
    close = starting if len(starting) == 1 else []
    close = close or difflib.get_close_matches(word, list(originals), n=1, cutoff=0.7)
    return f" (did you mean '{originals[close[0]]}'?)" if close else ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: Path) -> None:
    """Refuse what is not a readable, reasonably sized .xlsx before openpyxl sees it."""
    name = str(path)
    if not path.exists():
        raise InputError(f"{name}: file not found")
    if path.is_dir():
        raise InputError(f"{name}: is a directory, not an .xlsx workbook")
    if not os.access(path, os.R_OK):
        raise InputError(f"{name}: permission denied (cannot read the file)")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{name}: the file is empty (0 bytes), not an .xlsx workbook")
    if size > MAX_FILE_BYTES:
        raise InputError(f"{name}: file is {size / 2**20:.0f} MiB, above the 100 MiB limit")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            magic = handle.read(8)
        if magic.startswith(b"PK\x03\x04"):
            raise InputError(
                f"{name}: corrupt or truncated .xlsx file (the zip archive is incomplete); "
                "copy it again or re-save it from Excel"
            )
        if magic == OLE_MAGIC:
            raise InputError(
                f"{name}: an old Excel 97-2003 (.xls) workbook; save it as 'Excel Workbook (.xlsx)'"
            )
        raise InputError(
            f"{name}: not an .xlsx workbook (an .xlsx file is a zip archive; "
            "save the file as 'Excel Workbook (.xlsx)')"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            # the declared sizes are checked before anything is decompressed (zip bombs)
            bomb = total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO
            bad = archive.testzip() if size < 5 * 2**20 and not bomb else None
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:  # unknown method or version, encrypted
        raise InputError(f"{name}: corrupt .xlsx file ({exc})") from None
    if bomb:
        raise InputError(
            f"{name}: refused: unpacks to {total / 2**20:.0f} MiB (ratio {total / packed:.0f}:1), "
            f"above the limits of {MAX_UNCOMPRESSED_BYTES // 2**20} MiB and "
            f"{MAX_COMPRESSION_RATIO}:1"
        )
    if bad is not None:
        raise InputError(f"{name}: corrupt .xlsx file (damaged member '{bad}')")
    if "xl/workbook.xml" not in names:
        raise InputError(f"{name}: a zip archive but not an .xlsx workbook (no xl/workbook.xml)")
    if "xl/vbaProject.bin" in names:
        raise InputError(
            f"{name}: macro-enabled workbook (contains VBA); save it as a plain .xlsx workbook"
        )


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every known sheet of ``path``; problems and warnings are collected, not raised."""
    path = Path(path)
    check_file(path)
    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formula_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        if _xml_attack(exc):
            raise InputError(f"{path}: {XML_ATTACK}") from None
        raise InputError(f"{path}: cannot be read as an .xlsx workbook ({exc})") from None

    raw = RawWorkbook(path=path, sha256=file_sha256(path), tables={})
    titles = {title.strip().lower(): title for title in values_book.sheetnames}
    for key, title in titles.items():
        if key not in SHEETS and key not in IGNORED_SHEETS:
            raw.warnings.append(f"{title}: unknown sheet, ignored{did_you_mean(key, list(SHEETS))}")
    for name, sheet in SHEETS.items():
        if name not in titles:
            if sheet.required:
                raw.problems.append(f"{name}: missing required sheet{_sheet_hint(name, titles)}")
            continue
        title = titles[name]
        try:
            rows = _sheet_rows(values_book[title], formula_book[title])
            raw.tables[name] = _read_sheet(sheet, title, rows, raw)
            _report_merged(raw.tables[name], _merged_ranges(values_book[title]), raw)
        except InputError:
            raise
        except Exception as exc:
            if _xml_attack(exc):
                raise InputError(f"{path}: sheet '{title}': {XML_ATTACK}") from None
            raw.problems.append(f"{title}: cannot be read ({type(exc).__name__}: {exc})")
    values_book.close()
    formula_book.close()
    return raw


def reread_with_properties(raw: RawWorkbook, properties: list[str]) -> None:
    """Property columns are only known once ``properties`` is read: type them now."""
    for name in PROPERTY_SHEETS:
        table = raw.tables.get(name)
        if table is None:
            continue
        frame = table.frame
        for prop in properties:
            if prop not in frame.columns:
                frame[prop] = math.nan
                continue
            col = property_column(prop, name)
            # pandas turned the blank cells of a column kept raw into NaN: blank again
            frame[prop] = [
                None
                if _blank(value)
                else convert_cell(col, value, f"{table.cell(prop, row)} ({prop})", raw.problems)
                for value, row in zip(frame[prop], frame["excel_row"])
            ]
            frame[prop] = frame[prop].astype(float)
        for extra in table.extra:
            if extra in properties:
                continue
            raw.warnings.append(
                f"{table.title}!{table.letters[extra]}1 ({extra}): unknown column, ignored"
                f"{did_you_mean(extra, [c.name for c in SHEETS[name].columns] + properties)}"
            )
            del frame[extra]


def _sheet_hint(name: str, titles: dict[str, str]) -> str:
    hint = did_you_mean(name, list(titles.values()))
    if not hint:
        return ""
    title = hint.split("'")[1]
    return f" (the sheet '{title}' looks like it; rename it '{name}')"


XML_ATTACK = (
    "refused: the workbook's XML declares entities or external references (an 'XML bomb' "
    "or external-entity attack); Excel never writes these: re-save the file from Excel"
)


def _xml_attack(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is defusedxml refusing a dangerous XML construct."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _read_efficiently(*sheets: Any) -> None:
    """Make read-only sheets (views of one sheet XML) parse only the rows holding content
    (:mod:`.sheetxml`), and ignore the stored dimension (some writers store a wrong one,
    e.g. ``A1``, which would make openpyxl cut rows and columns off)."""
    try:
        with sheets[0]._get_source() as source:
            xml = content_rows_xml(source)
    except AttributeError:  # not a read-only sheet of a zip archive
        return
    for ws in sheets:
        if xml is not None:
            ws._get_source = lambda xml=xml: io.BytesIO(xml)
        ws.reset_dimensions()


def _sheet_rows(values_ws: Any, formula_ws: Any) -> list[tuple[int, list[Any]]]:
    """Rows as (Excel row number, cells); formula cells keep their cached value or a marker."""
    out: list[tuple[int, list[Any]]] = []
    _read_efficiently(values_ws, formula_ws)
    formula_rows = formula_ws.iter_rows(values_only=True)
    for number, values in enumerate(values_ws.iter_rows(values_only=True), start=1):
        formulas = next(formula_rows, ())
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            if not any(isinstance(f, str) and f.startswith("=") for f in formulas):
                continue
        cells = list(values)
        for i, formula in enumerate(formulas):
            if i < len(cells) and cells[i] is None and isinstance(formula, str):
                if formula.startswith("="):
                    cells[i] = _NoCachedValue(formula)
        out.append((number, cells))
    return out


def _merged_ranges(ws: Any) -> list[str]:
    """Merged ranges (``E2:E3``) of a read-only worksheet, read from its XML."""
    try:
        source = ws._get_source()
    except Exception:  # not a read-only sheet of a zip archive: nothing to look at
        return []
    ranges = []
    with source:
        for _, element in iterparse(source, events=("end",)):
            if element.tag == MERGE_CELL_TAG:
                ranges.append(element.get("ref", ""))
            element.clear()
    return [r for r in ranges if r]


def _report_merged(table: Table, ranges: list[str], raw: RawWorkbook) -> None:
    """Only the first cell of a merged range holds a value: the others would read as blank."""
    names = {letter: name for name, letter in table.letters.items()}
    for ref in ranges:
        first = ref.split(":")[0]
        letter = first.rstrip("0123456789")
        column = names.get(letter)
        if int(first[len(letter) :] or 0) <= table.header_row:
            raw.merged_headers.append(table.title)
        label = f" ({column})" if column else ""
        raw.problems.append(
            f"{table.title}!{ref}{label}: merged cells; unmerge them and fill every cell "
            "(only the first cell of a merged range holds a value)"
        )


class _NoCachedValue:
    """A formula cell whose workbook was saved without computed values."""

    def __init__(self, formula: str):
        self.formula = formula


def _read_sheet(
    sheet: Sheet,
    title: str,
    rows: list[tuple[int, list[Any]]],
    raw: RawWorkbook,
) -> Table:
    known = {c.name: c for c in sheet.columns}
    letters: dict[str, str] = {}
    positions: dict[str, int] = {}
    if not rows:
        header_number, header = 1, []
        body: list[tuple[int, list[Any]]] = []
    else:
        header_number, header = rows[0]
        body = rows[1:]
    unknown: dict[str, str] = {}  # header not in the schema → its letter
    for position, cell in enumerate(header):
        letter = get_column_letter(position + 1)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            if any(position < len(r) and r[position] is not None for _, r in body):
                raw.warnings.append(
                    f"{title}!{letter}{header_number}: column without a header, ignored"
                )
            continue
        name = str(cell).strip().lower()
        if name in positions or name in unknown:
            first = letters.get(name) or unknown[name]
            raw.problems.append(
                f"{title}!{letter}{header_number} ({name}): duplicate column header (first in "
                f"column {first})"
            )
            continue
        if name not in known:
            unknown[name] = letter
            if not sheet.property_columns:
                continue
        positions[name] = position
        letters[name] = letter
    for col in sheet.columns:
        if (col.required or col.header_required) and col.name not in positions:
            close = did_you_mean(col.name, list(unknown))
            if close:  # a misspelt header: point at it, and do not read it as anything else
                header_name = close.split("'")[1]
                letter = unknown.pop(header_name)
                positions.pop(header_name, None)
                letters.pop(header_name, None)
                raw.problems.append(
                    f"{title}!{letter}{header_number} ({header_name}): missing required column "
                    f"'{col.name}' (the header '{header_name}' looks like a misspelling of it)"
                )
            else:
                raw.problems.append(
                    f"{title}!{get_column_letter(len(header) + 1)}{header_number}: missing "
                    f"required column '{col.name}'"
                )
    if not sheet.property_columns:
        for name, letter in unknown.items():
            raw.warnings.append(
                f"{title}!{letter}{header_number} ({name}): unknown column, ignored"
                f"{did_you_mean(name, list(known))}"
            )

    records: dict[str, list[Any]] = {name: [] for name in positions}
    flagged: set[tuple[str, int]] = set()  # (column, row) of cells already reported
    numbers: list[int] = []
    for number, cells in body:
        numbers.append(number)
        for name, position in positions.items():
            value = cells[position] if position < len(cells) else None
            where = f"{title}!{letters[name]}{number} ({name})"
            col = known.get(name)
            before = len(raw.problems)
            if col is None:  # a property column or an unknown one: kept raw for now
                records[name].append(_check_special(value, where, raw.problems))
            else:
                records[name].append(convert_cell(col, value, where, raw.problems))
            if len(raw.problems) > before:
                flagged.add((name, number))
    # text columns stay object columns: pandas ≥ 3 would infer a string dtype and turn the
    # None of a blank or refused cell into NaN, which later checks take for a value
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=object)
            if name in known and known[name].type in (ID, IDS, TEXT, ENUM)
            else values
            for name, values in records.items()
        }
    )
    frame["excel_row"] = numbers
    for col in sheet.columns:
        if col.name not in frame.columns:
            frame[col.name] = col.default if col.default is not None else None
        else:
            for value, number in zip(frame[col.name], frame["excel_row"]):
                if col.required and _blank(value) and (col.name, number) not in flagged:
                    raw.problems.append(
                        f"{title}!{letters[col.name]}{number} ({col.name}): required value is blank"
                    )
            if col.default is not None:
                frame[col.name] = frame[col.name].map(
                    lambda v, d=col.default: d if _blank(v) else v
                )
        if col.type in (NUMBER,) and col.default is None:
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").astype(float)
    extra = [c for c in positions if c not in known]  # property columns, typed later
    return Table(
        sheet=sheet.name,
        frame=frame,
        letters=letters,
        title=title,
        extra=extra,
        header_row=header_number,
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _check_special(value: Any, where: str, problems: list[str]) -> Any:
    """Formula and error cells are wrong in any column."""
    if isinstance(value, _NoCachedValue):
        problems.append(
            f"{where}: formula {value.formula} has no saved value (open the workbook in Excel "
            "or LibreOffice and save it again)"
        )
        return None
    if isinstance(value, str) and value.strip() in ERROR_VALUES:
        problems.append(
            f"{where}: the cell holds the error {value.strip()}; fix the formula or type a value"
        )
        return None
    return value


def convert_cell(col: Column, value: Any, where: str, problems: list[str]) -> Any:
    """Type one cell per its schema column; a problem is recorded and None returned."""
    value = _check_special(value, where, problems)
    if value is None:
        return None
    if isinstance(value, str):
        value = ESCAPED_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), value)
        if CONTROL_CHARS.search(value):
            problems.append(f"{where}: contains control characters")
            return None
        if not value.strip():
            return None
    kind = col.type
    if kind in (NUMBER, INTEGER):
        number = parse_number(value, where, problems)
        if number is None:
            return None
        if kind == INTEGER and number != int(number):
            problems.append(f"{where}: must be a whole number, got {number:g}")
            return None
        if not _in_range(col, number):
            problems.append(f"{where}: must be {col.range_text}, got {number:g}")
            return None
        return int(number) if kind == INTEGER else number
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        problems.append(f"{where}: must be true or false, got '{value}'")
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        expected = {ENUM: "one of " + ", ".join(col.choices), ID: "an id", IDS: "ids"}
        problems.append(
            f"{where}: a date/time ({_when(value)}) where {expected.get(kind, 'text')} is expected"
        )
        return None
    text = _text(value)
    if kind == ENUM:
        word = text.lower()
        if word not in col.choices:
            problems.append(
                f"{where}: must be one of {', '.join(col.choices)}, got '{text}'"
                f"{did_you_mean(word, col.choices)}"
            )
            return None
        return word
    if kind == ID:
        if len(text) > MAX_ID_LENGTH:
            problems.append(f"{where}: id longer than {MAX_ID_LENGTH} characters")
            return None
        if LINE_BREAKS.search(text):
            problems.append(f"{where}: id contains a tab or line break")
            return None
        return text
    if kind == IDS:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind == TEXT:
        if len(text) > MAX_TEXT_LENGTH:
            problems.append(f"{where}: text longer than {MAX_TEXT_LENGTH} characters")
            return None
        return text
    raise ValueError(f"unknown column type {kind}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_number(value: Any, where: str, problems: list[str]) -> float | None:
    if isinstance(value, bool):
        problems.append(
            f"{where}: a true/false value ({str(value).upper()}) where a number is expected"
        )
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        problems.append(f"{where}: a date/time ({_when(value)}) where a number is expected")
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "")
        try:
            number = float(text)
        except ValueError:
            problems.append(f"{where}: text '{_short(text)}' where a number is expected")
            return None
    if math.isnan(number) or math.isinf(number):
        problems.append(f"{where}: must be a finite number, got {_short(str(value).strip())}")
        return None
    if abs(number) > 1e15:
        problems.append(f"{where}: {number:g} is out of the supported range (|x| ≤ 1e15)")
        return None
    return number


def _when(value: Any) -> str:
    """A date or time as it reads in a message: ``2024-01-05``, ``2024-01-05 08:30``."""
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0)
        return value.strftime("%Y-%m-%d") if midnight else value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_range(col: Column, number: float) -> bool:
    if col.min is not None and (number < col.min or (col.min_exclusive and number == col.min)):
        return False
    if col.max is not None and (number > col.max or (col.max_exclusive and number == col.max)):
        return False
    return True
