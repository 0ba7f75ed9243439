"""Writing cells, tables, notes, charts and pictures into a worksheet (docs/results.md).

What every sheet of the report shares: units sit in the headers, numbers stay numbers with a
readable format, user text that looks like a formula is written as text, columns are as wide
as their content (within limits), headers wrap, tables get an autofilter, and every sheet
prints on a page's width. :func:`extra_sheet` lays out an analysis' sheet
(:class:`~ecopark_opt.outputs.sheets.ExtraSheet`): notes, table, native chart, pictures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from io import BytesIO
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from .sheets import ChartSpec, ExtraSheet, Picture

MAX_WIDTH = 50
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell
MIN_WIDTH = 8
HEADER_WIDTH = 22  # headers wrap at word boundaries; a word longer than this widens no more
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FONT = Font(bold=True, size=12)
INDENTED = Alignment(horizontal="left", indent=1)
TOP = Alignment(vertical="top")
TOP_INDENTED = Alignment(horizontal="left", vertical="top", indent=1)
WRAPPED = Alignment(horizontal="left", vertical="top", wrap_text=True)
WRAPPED_INDENTED = Alignment(horizontal="left", vertical="top", wrap_text=True, indent=1)
FORMULA_START = ("=", "+", "-", "@")
INT_FORMAT = "#,##0"
DEC_FORMAT = "#,##0.00"
KM_FORMAT = "#,##0.0"
PCT_FORMAT = "+0.0%;-0.0%;0.0%"
PCT_POINTS_FORMAT = "#,##0.0"  # a column in percent already (header ends with [%])
MAX_ROW_POINTS = 409  # Excel's tallest row
LINE_POINTS = 15  # a line of 11-point text in a wrapped cell, as Excel sizes it
# characters of plain text per unit of column width (a unit is one "0"; measured with
# LibreOffice's Carlito, metric-compatible with Excel's Calibri: 1.1, less a margin)
TEXT_CHARS_PER_WIDTH = 1.05
WRAP_WIDTH = 30  # text columns of analysis sheets wrap beyond this many characters
CHART_BESIDE_MAX = 110  # a wider table gets its chart below it, so that a page stays legible
FROZEN_NOTE_LINES = 12  # more lines of notes than this: no frozen panes (they fill the screen)
SCI_FORMAT = "0.00E+00"
CM_PER_ROW = 0.53  # a default row (15 points)
PICTURE_WIDTH_PX = 900
ROW_PX = 20  # a default row is 15 points = 20 pixels


# --- cells ------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value openpyxl writes as it is: numbers, text, or None for blanks and NaN."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _display_len(value: Any, fmt: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return max((len(line) for line in value.split("\n")), default=0)
    if fmt == PCT_FORMAT:
        return len(f"{value * 100:+.1f}%")
    if fmt == INT_FORMAT:
        return len(f"{value:,.0f}")
    if fmt in (DEC_FORMAT, KM_FORMAT):
        return len(f"{value:,.2f}")
    if fmt == SCI_FORMAT:
        return 9
    return len(str(value))


def number_format(values: Any) -> str:
    """A readable format for a numeric column: thousands separators, 0–2 decimals."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    x = np.abs(x[np.isfinite(x) & (x != 0)])
    if x.size == 0 or np.all(x == np.round(x)) or x.max() >= 100:
        return INT_FORMAT
    if x.max() >= 0.01:
        return DEC_FORMAT
    return SCI_FORMAT


class SheetWriter:
    """A worksheet with width bookkeeping: every written cell widens its column if needed."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.widths: dict[int, float] = defaultdict(float)
        self.header_rows: list[int] = []
        self.tables: list[str] = []  # ranges (header row included) that get an autofilter
        self.wrapped: list[tuple[int, int, str]] = []  # (row, column, text) of wrapping cells
        self.final_widths: dict[int, float] = {}

    def put(
        self,
        row: int,
        col: int,
        value: Any,
        fmt: str | None = None,
        *,
        bold: bool = False,
        measure: int | None = None,
        font: Font | None = None,
    ):
        """Write one cell; text is always text (never a formula)."""
        value = plain(value)
        cell = self.ws.cell(row=row, column=col)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
            cell.value = value
            cell.data_type = "s"
            if value.startswith(FORMULA_START):
                cell.quotePrefix = True
        else:
            cell.value = value
            if fmt and value is not None:
                cell.number_format = fmt
        if font is not None:
            cell.font = font
        elif bold:
            cell.font = Font(bold=True)
        length = _display_len(value, fmt)
        if measure is not None:
            length = min(length, measure)
        self.widths[col] = max(self.widths[col], length)
        return cell

    def header(self, row: int, col: int, text: str, indent: int = 0) -> None:
        longest = max((len(w) for w in text.split()), default=0)
        cell = self.put(
            row,
            col,
            text,
            bold=True,
            measure=min(max(math.ceil(longest * 1.15) + 1, 6), HEADER_WIDTH),
        )
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(
            wrap_text=True, vertical="top", indent=indent, horizontal="left" if indent else None
        )

    def table(
        self,
        frame: pd.DataFrame,
        row: int,
        col: int = 1,
        formats: Mapping[str, str] | None = None,
        caps: Mapping[str, int] | None = None,
        wrap: Collection[str] = (),
    ) -> int:
        """Header row then one row per record; returns the first free row after the table.

        ``formats`` overrides a column's number format; ``caps`` limits how wide a column's
        content may make it (longer text spills into the empty cells on its right, or wraps
        onto more lines in the columns named in ``wrap``). Text after the first column is
        indented by one so that it never touches a number. A table with rows gets an
        autofilter (an Excel table, see :func:`add_filters`).
        """
        formats = dict(formats or {})
        caps = caps or {}
        for j, name in enumerate(frame.columns):
            self.header(row, col + j, str(name), indent=1 if j else 0)
        self.header_rows.append(row)
        kinds = []
        for name in frame.columns:
            series = frame[name]
            if name in formats:
                kinds.append(formats[name])
            elif pd.api.types.is_bool_dtype(series):
                kinds.append(None)
            elif pd.api.types.is_numeric_dtype(series):
                kinds.append(number_format(series))
            else:
                kinds.append(None)
        measures = [caps.get(name) for name in frame.columns]
        wrapped = [name in wrap for name in frame.columns]
        for i, record in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(record):
                cell = self.put(row + i, col + j, value, kinds[j], measure=measures[j])
                if wrapped[j]:
                    cell.alignment = WRAPPED_INDENTED if j else WRAPPED
                    if isinstance(cell.value, str):
                        self.wrapped.append((row + i, col + j, cell.value))
                elif j and isinstance(cell.value, str):
                    cell.alignment = TOP_INDENTED if wrap else INDENTED
                elif wrap:  # rows of several lines: every cell starts at the top
                    cell.alignment = TOP
                if j and isinstance(cell.value, str):
                    self.widths[col + j] = max(
                        self.widths[col + j], min(len(cell.value), measures[j] or 999) + 1
                    )
        if len(frame) and len(frame.columns):
            last = get_column_letter(col + len(frame.columns) - 1)
            self.tables.append(f"{get_column_letter(col)}{row}:{last}{row + len(frame)}")
        return row + len(frame) + 1

    def keyvalues(
        self,
        pairs: Sequence[tuple[str, Any]],
        row: int,
        col: int = 1,
        formats: Mapping[str, str] | None = None,
    ) -> int:
        """Two columns, label and value (value measured to at most 24 characters); a pair
        whose value is :data:`SECTION` is a section title."""
        formats = formats or {}
        for label, value in pairs:
            if value is SECTION:
                row += 1 if row > 1 else 0
                self.put(row, col, label, font=SECTION_FONT)
            else:
                self.put(row, col, label, bold=True)
                v = plain(value)
                fmt = formats.get(label)
                if fmt is None and isinstance(v, (int, float)):
                    fmt = number_format([v])
                cell = self.put(row, col + 1, v, fmt, measure=16)
                cell.alignment = Alignment(horizontal="left")
            row += 1
        return row

    def finish(self, freeze: str | None = None, min_width: int = MIN_WIDTH) -> None:
        final = {}
        for col, length in self.widths.items():
            final[col] = min(max(length + 2, min_width), MAX_WIDTH)
            self.ws.column_dimensions[get_column_letter(col)].width = final[col]
        self.final_widths = final
        for row in self.header_rows:  # room for wrapped headers
            lines = max(
                (
                    wrapped_lines(str(c.value), (final.get(c.column, MIN_WIDTH) - 1) / 1.15)
                    for c in self.ws[row]
                    if c.value is not None
                ),
                default=1,
            )
            self.ws.row_dimensions[row].height = 14.5 * min(lines, 5) + 3
        tallest: dict[int, int] = defaultdict(lambda: 1)
        for row, col, text in self.wrapped:  # rows sized here: not every reader sizes them
            width = (final.get(col, MIN_WIDTH) - 2) * TEXT_CHARS_PER_WIDTH
            tallest[row] = max(tallest[row], wrapped_lines(text, width))
        for row, lines in tallest.items():
            if lines > 1:
                self.ws.row_dimensions[row].height = min(LINE_POINTS * lines + 2, MAX_ROW_POINTS)
        if freeze:
            self.ws.freeze_panes = freeze
        add_filters(self.ws, self.tables)


SECTION = object()  # as the value of a key-value pair: the label starts a section


def add_filters(ws: Worksheet, ranges: Sequence[str]) -> None:
    """An autofilter on every table: each range becomes an Excel table (a sheet may hold
    several; a sheet-wide autofilter can only be one). Excel refuses a table whose headers
    are not distinct texts: such a range keeps no filter rather than risk a damaged file."""
    for ref in ranges:
        names = [c.value for c in ws[ref][0]]
        if not all(isinstance(n, str) and n for n in names):
            continue
        if len({n.casefold() for n in names}) < len(names):
            continue
        number = sum(len(w.tables) for w in ws.parent.worksheets) + 1
        ws.add_table(Table(displayName=f"Table{number}", ref=ref))


def wrapped_lines(text: str, width: float) -> int:
    """Lines a header takes when wrapped at word boundaries in a column ``width`` wide."""
    width = max(width, 1.0)
    lines, used = 1, 0
    for word in text.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= width:
            used = need
            continue
        if used:
            lines += 1
        extra = math.ceil(len(word) / width) - 1  # a word wider than the column breaks
        lines += extra
        used = len(word) - extra * width
    return lines


def print_setup(ws: Worksheet) -> None:
    """Landscape, fit every column on one page width."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unused sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in str(title))
    clean = " ".join(clean.split()).strip("'") or "Sheet"
    clean = clean[:31]
    lower = {u.lower() for u in used}
    candidate, n = clean, 2
    while candidate.lower() in lower:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


# --- an analysis sheet -------------------------------------------------------------------


def extra_sheet(sh: SheetWriter, extra: ExtraSheet) -> None:
    """Notes as lines above the table (wrapped to the table's width); a native chart beside
    the table, or below it when the table is wide; then the pictures, each under its
    caption and on a printed page of its own.

    Columns in percent (``[%]`` in the header) show one decimal; text columns longer than
    :data:`WRAP_WIDTH` wrap, so that a sheet prints legibly on a page's width.
    """
    row = 1
    for note in extra.notes:
        sh.put(row, 1, note, measure=12)
        row += 1
    header = row + 1 if extra.notes else 1
    frame = extra.frame.reset_index(drop=True)
    if len(frame.columns) == 0:  # no table: the notes, then the pictures
        pictures_below(sh, extra.pictures, header)
        sh.finish(freeze="A2")
        return
    formats = {
        name: PCT_POINTS_FORMAT
        for name in frame.columns
        if str(name).endswith("[%]") and pd.api.types.is_numeric_dtype(frame[name])
    }
    # text a little longer than the cap still fits on one line of the capped column
    wrap = [name for name in frame.columns if _longest_text(frame[name]) > 1.2 * WRAP_WIDTH]
    end = sh.table(frame, header, formats=formats, caps={n: WRAP_WIDTH for n in wrap}, wrap=wrap)
    if extra.tables:  # chart below the first table, then the other tables
        tables_below(sh, extra, frame, header, end)
        return
    sh.finish()
    note_lines = wrap_notes(sh, list(range(1, len(extra.notes) + 1)), len(frame.columns))
    if note_lines <= FROZEN_NOTE_LINES:
        sh.ws.freeze_panes = f"A{header + 1}"
    sh.ws.print_title_rows = f"{header}:{header}"
    below = end + 1
    if extra.chart is not None and not frame.empty:
        chart = make_chart(sh.ws, frame, extra.chart, header, end - 1)
        if chart is not None:
            if sum(sh.final_widths.values()) > CHART_BESIDE_MAX:
                sh.ws.add_chart(chart, f"A{end + 1}")
                below = end + 1 + math.ceil(chart.height / CM_PER_ROW) + 1
            else:
                sh.ws.add_chart(chart, f"{get_column_letter(len(frame.columns) + 2)}{header}")
    pictures_below(sh, extra.pictures, below)


def _longest_text(values: pd.Series) -> int:
    return max((len(v) for v in values if isinstance(v, str)), default=0)


def wrap_notes(sh: SheetWriter, rows: Sequence[int], columns: int) -> int:
    """Wrap each note across the table's columns (merged, with a row height for its lines:
    Excel does not size merged rows itself); returns the lines the notes take."""
    width = sum(sh.final_widths.get(c, MIN_WIDTH) for c in range(1, columns + 1))
    lines = 0
    for row in rows:
        cell = sh.ws.cell(row=row, column=1)
        text = str(cell.value or "")
        n = max(1, wrapped_lines(text, max(width - 2, 10) * TEXT_CHARS_PER_WIDTH))
        lines += n
        if columns < 2 or n == 1 and len(text) <= width:
            continue
        sh.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sh.ws.row_dimensions[row].height = min(LINE_POINTS * n + 2, MAX_ROW_POINTS)
    return lines


def tables_below(
    sh: SheetWriter, extra: ExtraSheet, frame: pd.DataFrame, header: int, end: int
) -> None:
    """The chart under the first table, then each further table under its title, then the
    pictures (a sheet of several tables, e.g. Periods)."""
    row = end + 1
    if extra.chart is not None and not frame.empty:
        chart = make_chart(sh.ws, frame, extra.chart, header, end - 1)
        if chart is not None:
            sh.ws.add_chart(chart, f"A{row}")
            row += math.ceil(chart.height / CM_PER_ROW) + 1
    for title, table in extra.tables:
        sh.put(row, 1, title, font=SECTION_FONT, measure=10)
        row = sh.table(table.reset_index(drop=True), row + 1) + 1
    sh.finish()
    sh.ws.freeze_panes = f"A{header + 1}"
    pictures_below(sh, extra.pictures, row)


def pictures_below(sh: SheetWriter, pictures: Sequence[Picture], row: int) -> int:
    """Each picture under its caption, on a printed page of its own (a caption without a
    picture stays on the page before); returns the first free row."""
    for n, picture in enumerate(pictures):
        if n and picture.png is not None:
            sh.ws.row_breaks.append(Break(id=row - 1))
        sh.put(row, 1, picture.caption, font=SECTION_FONT, measure=10)
        row += 1
        if picture.png is None:
            row += 1
            continue
        row += add_picture(sh.ws, picture.png, f"A{row}") + 1
    return row


def add_picture(ws: Worksheet, png: bytes, anchor: str) -> int:
    """A PNG scaled to :data:`PICTURE_WIDTH_PX` wide, its top left corner in the cell
    ``anchor``; returns the rows it covers."""
    image = Image(BytesIO(png))
    scale = PICTURE_WIDTH_PX / image.width
    image.width, image.height = int(image.width * scale), int(image.height * scale)
    ws.add_image(image, anchor)
    return math.ceil(image.height / ROW_PX)


def make_chart(ws: Worksheet, frame: pd.DataFrame, spec: ChartSpec, header: int, last: int):
    """A native ScatterChart or BarChart over the table's columns (None if a column is missing)."""
    cols = list(frame.columns)
    if spec.x not in cols or any(y not in cols for y in spec.y):
        return None
    xcol = cols.index(spec.x) + 1
    if spec.kind == "scatter":
        chart = ScatterChart(scatterStyle="lineMarker")
        chart.style = 13
        xref = Reference(ws, min_col=xcol, min_row=header + 1, max_row=last)
        for y in spec.y:
            yref = Reference(ws, min_col=cols.index(y) + 1, min_row=header, max_row=last)
            series = Series(yref, xref, title_from_data=True)
            series.marker.symbol = "circle"
            series.marker.size = 7
            series.smooth = False
            chart.series.append(series)
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
        for y in spec.y:
            ref = Reference(ws, min_col=cols.index(y) + 1, min_row=header, max_row=last)
            chart.add_data(ref, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=xcol, min_row=header + 1, max_row=last))
    chart.title = spec.title
    chart.x_axis.title = spec.x_title or spec.x
    chart.y_axis.title = spec.y_title or (spec.y[0] if len(spec.y) == 1 else "")
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = 18, 10
    return chart
