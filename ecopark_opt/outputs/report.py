"""The Excel report (docs/results.md): what to build, what it costs, what it saves, and how it was found.

Sheets, in a fixed order: Summary, Links, Firms, Balances, Network, the analyses' extra sheets,
Inputs, RunInfo. Units sit in the headers, numbers stay numbers, user text that looks like a
formula is written as text. The file is written atomically (temp file in the same folder, then
``os.replace``) and never over the input workbook or a workbook open in Excel.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

import ecopark_opt

from ..core.solution import Solution, resource_summary
from ..core.vocabulary import metric_units
from ..inputs.schema import SETTINGS
from ..park import PARK_TABLES
from .files import atomic_write, check_output_path, remove, remove_output
from .network_draw import draw_network
from .period_sheets import period_sheets
from .process_sheets import process_sheets
from .sheets import ChartSpec, ExtraSheet, Picture

FIXED_BEFORE = ("Summary", "Links", "Firms", "Balances", "Network")
FIXED_AFTER = ("Inputs", "RunInfo")
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
MINUS = "\u2212"
NO_UNIT = "units"  # a resource whose unit the resources sheet leaves blank


# --- entry point ----------------------------------------------------------------------------


def write_report(
    solution: Solution,
    path: str | Path,
    extra_sheets: Sequence[ExtraSheet] = (),
    run_info: dict | None = None,
) -> Path:
    """Write the report workbook (and ``<stem>_network.png`` beside it); return its path.

    Raises :class:`InputError` when the target is the input workbook, is open in Excel (lock
    file ``~$<name>``) or cannot be written. On any failure nothing is left half-written: the
    previous report, if any, is untouched and temporary files are removed.
    """
    path = check_output_path(path, (solution.park.source,))
    png_path = network_picture_path(path)
    pictures: list[Path] = []

    def save(tmp: Path) -> None:
        png_tmp = tmp.with_suffix(".png")
        pictures.append(png_tmp)
        book = build_workbook(solution, extra_sheets, run_info, png_tmp, png_path.name)
        book.save(tmp)

    try:
        atomic_write(path, save)
        picture = pictures[0] if pictures else None
        if picture is not None and picture.exists() and picture.stat().st_size:
            atomic_write(png_path, lambda tmp: os.replace(picture, tmp))
        else:  # no picture this time: do not leave an older one beside the new report
            remove_output(png_path)
    finally:
        for picture in pictures:
            remove(picture)
    return path


def network_picture_path(report: str | Path) -> Path:
    """``<report>_network.png``, written beside the report (one of a run's outputs)."""
    report = Path(report)
    return report.with_name(f"{report.stem}_network.png")


def build_workbook(
    solution: Solution,
    extra_sheets: Sequence[ExtraSheet] = (),
    run_info: dict | None = None,
    png_path: Path | None = None,
    png_name: str = "",
) -> Workbook:
    """The report as an in-memory workbook (every sheet, in order)."""
    book = Workbook()
    book.remove(book.active)
    ctx = _Context(solution)
    summary_sheet(_Sheet(book.create_sheet("Summary")), ctx)
    links_sheet(_Sheet(book.create_sheet("Links")), ctx)
    firms_sheet(_Sheet(book.create_sheet("Firms")), ctx)
    balances_sheet(_Sheet(book.create_sheet("Balances")), ctx)
    network_sheet(_Sheet(book.create_sheet("Network")), ctx, png_path, png_name)
    used = set(FIXED_BEFORE) | set(FIXED_AFTER)
    for extra in [*period_sheets(solution), *process_sheets(solution), *extra_sheets]:
        title = sheet_title(extra.title, used)
        used.add(title)
        extra_sheet(_Sheet(book.create_sheet(title)), extra)
    inputs_sheet(_Sheet(book.create_sheet("Inputs")), ctx)
    runinfo_sheet(_Sheet(book.create_sheet("RunInfo")), ctx, run_info)
    for ws in book.worksheets:
        _print_setup(ws)
    return book


# --- cell writing -----------------------------------------------------------------------------


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


class _Sheet:
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
        """Two columns, label and value (value measured to at most 24 characters)."""
        formats = formats or {}
        for label, value in pairs:
            if value is _SECTION:
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
                    _wrapped_lines(str(c.value), (final.get(c.column, MIN_WIDTH) - 1) / 1.15)
                    for c in self.ws[row]
                    if c.value is not None
                ),
                default=1,
            )
            self.ws.row_dimensions[row].height = 14.5 * min(lines, 5) + 3
        tallest: dict[int, int] = defaultdict(lambda: 1)
        for row, col, text in self.wrapped:  # rows sized here: not every reader sizes them
            width = (final.get(col, MIN_WIDTH) - 2) * TEXT_CHARS_PER_WIDTH
            tallest[row] = max(tallest[row], _wrapped_lines(text, width))
        for row, lines in tallest.items():
            if lines > 1:
                self.ws.row_dimensions[row].height = min(LINE_POINTS * lines + 2, MAX_ROW_POINTS)
        if freeze:
            self.ws.freeze_panes = freeze
        add_filters(self.ws, self.tables)


_SECTION = object()


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


def _wrapped_lines(text: str, width: float) -> int:
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


def _print_setup(ws: Worksheet) -> None:
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


# --- shared facts -------------------------------------------------------------------------------


class _Context:
    """Names, units and labels used by several sheets."""

    def __init__(self, solution: Solution):
        self.solution = solution
        park = solution.park
        self.park = park
        self.currency = park.settings.currency
        self.money = f"{self.currency}/yr"
        self.units = park.resources["unit"].fillna("").astype(str).to_dict()
        self.names = {
            f: (n if isinstance(n, str) and n else f) for f, n in park.firms["name"].items()
        }

    def unit_of(self, resource: str) -> str:
        """The resource's unit label (``units`` when the resources sheet gives none)."""
        return self.units.get(resource, "") or NO_UNIT

    def unit_labels(self, items: Any, units: bool = False) -> list[str]:
        """The distinct units of these resources (or of these unit labels when ``units``), in
        the order of the resources sheet."""
        wanted = set(items) if units else {self.unit_of(r) for r in items}
        order = [self.unit_of(r) for r in self.park.resources.index]
        return [u for u in dict.fromkeys(order) if u in wanted]

    def unit_rows(
        self, label: str, before: dict[str, float], after: dict[str, float], always: bool = True
    ) -> list[tuple[str, str, float, float]]:
        """One indicator row per unit where it is not 0 both before and after (one blank-unit
        row of zeros when there is none and ``always``)."""
        rows = [
            (label, f"{u}/yr", before.get(u, 0.0), after.get(u, 0.0))
            for u in self.unit_labels([*before, *after], units=True)
            if before.get(u, 0.0) or after.get(u, 0.0)
        ]
        return rows or ([(label, "", 0.0, 0.0)] if always else [])

    def by_unit(self, resources: pd.Series, values: pd.Series) -> dict[str, float]:
        """Sums of ``values`` per unit of their resource (never across units), in the order
        of the resources sheet."""
        unit = [self.unit_of(r) for r in resources]
        sums = pd.Series(np.asarray(values, dtype=float)).groupby(unit).sum().to_dict()
        return {u: float(sums[u]) for u in self.unit_labels(sums, units=True)}

    def objective_unit(self) -> str:
        obj = self.solution.objective
        if obj == "cost":
            return self.money
        if obj == "co2e":
            return "kg CO2e/yr"
        if obj == "virgin":
            return "virgin units/yr"
        return "weighted"


def status_text(solution: Solution) -> str:
    """Plain words for the run's status; a time-limited run never reads as optimal."""
    status = solution.status
    gap = solution.gap
    if status == "optimal":
        if gap is None or gap <= 0:
            return "optimal"
        return f"optimal (proved within a gap of {gap * 100:.2g} %)"
    if status == "time_limit":
        gap_text = "gap unknown" if gap is None else f"gap {gap * 100:.2f} %"
        return f"stopped at time limit, {gap_text}: the best design found, a better one may exist"
    if status == "infeasible":
        return "infeasible: no design satisfies the constraints"
    return f"error: {solution.result.message or 'the solver failed'}"


OBJECTIVE_TEXT = {
    "cost": "cost: minimise the park's annual cost",
    "virgin": "virgin: minimise virgin resource use (ties broken by cost)",
    "co2e": "co2e: minimise CO2e emissions (ties broken by cost)",
    "weighted": "weighted: minimise the weighted sum of cost, virgin use and CO2e",
}


def kpi_table(ctx: _Context) -> pd.DataFrame:
    """Indicators before (standalone baseline) and after (design).

    Quantities of different units are never added up: waste discharged and quantity
    exchanged take one row per unit (t, m3, MWh, …). Virgin resource use is the model's
    metric (purchases weighted by ``virgin_weight``, docs/workbook.md); when that is not a
    plain quantity of one unit, the purchases follow it, one row per unit.
    """
    s = ctx.solution
    rows = s.rows[s.rows["admitted"]]
    supply = rows[rows["direction"] == "supply"]
    demand = rows[rows["direction"] == "demand"]
    built = s.built_links
    links = built[~built["internal"].astype(bool)]
    m = s.metrics
    res = ctx.park.resources
    units = ctx.unit_labels(res.index)
    virgin_unit = next(iter(units)) if len(units) == 1 and (res["virgin_weight"] == 1).all() else ""
    table = [
        ("annual cost", ctx.money, m["cost"]["baseline"], m["cost"]["design"]),
        (
            "virgin resource use",
            f"{virgin_unit or 'weighted units'}/yr",
            m["virgin"]["baseline"],
            m["virgin"]["design"],
        ),
    ]
    if not virgin_unit:
        buyable = demand[demand["buyable"].astype(bool)]
        table += ctx.unit_rows(
            "virgin purchase",
            ctx.by_unit(buyable["resource_id"], buyable["quantity"]),
            ctx.by_unit(demand["resource_id"], demand["market"]),
            always=False,
        )
    table += ctx.unit_rows(
        "waste discharged",
        ctx.by_unit(supply["resource_id"], supply["quantity"]),
        ctx.by_unit(supply["resource_id"], supply["market"]),
    )
    table.append(
        ("CO2e emissions", metric_units("")["co2e"], m["co2e"]["baseline"], m["co2e"]["design"])
    )
    table += ctx.unit_rows(
        "quantity exchanged (sent)", {}, ctx.by_unit(built["from_resource"], built["sent"])
    )
    table.append(("links built", "", 0, len(links)))
    n_internal = len(built) - len(links)
    if n_internal:
        table.append(("internal reuse arcs", "", 0, n_internal))
    frame = pd.DataFrame(table, columns=["indicator", "unit", "standalone baseline", "design"])
    frame["change"] = frame["design"] - frame["standalone baseline"]
    base = frame["standalone baseline"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change [%]"] = np.where(base != 0, frame["change"] / base.abs(), np.nan)
    return frame


def _pct_words(pct: float) -> str:
    if not math.isfinite(pct):
        return ""
    value = f"{abs(pct):.0f}" if abs(pct) >= 1 else f"{abs(pct):.1f}"
    sign = MINUS if pct < 0 else "+" if pct > 0 else ""
    return f"{sign}{value} %"


def resource_table(ctx: _Context) -> pd.DataFrame:
    """Per resource: virgin purchase and discharge before / after, with a one-line reading."""
    rs = resource_summary(ctx.solution)
    words = []
    for r, rec in rs.iterrows():
        parts = []
        if rec["purchase_before"] > 0:
            parts.append(f"{r} purchase {_pct_words(rec['purchase_change_pct'])}")
        elif rec["purchase_after"] > 0:
            parts.append(f"{r} purchase new")
        if rec["discharge_before"] > 0:
            parts.append(f"discharge {_pct_words(rec['discharge_change_pct'])}")
        words.append(", ".join(parts))
    return pd.DataFrame(
        {
            "resource": rs.index,
            "name": rs["name"].to_numpy(),
            "unit": rs["unit"].fillna("").to_numpy(),
            "virgin purchase before [unit/yr]": rs["purchase_before"].to_numpy(float),
            "virgin purchase after [unit/yr]": rs["purchase_after"].to_numpy(float),
            "purchase change [%]": rs["purchase_change_pct"].to_numpy(float) / 100,
            "discharge before [unit/yr]": rs["discharge_before"].to_numpy(float),
            "discharge after [unit/yr]": rs["discharge_after"].to_numpy(float),
            "discharge change [%]": rs["discharge_change_pct"].to_numpy(float) / 100,
            "in words": words,
        }
    )


# --- sheets -------------------------------------------------------------------------------------


def summary_sheet(sh: _Sheet, ctx: _Context) -> None:
    """Status, objective, KPIs against the standalone baseline, per-resource change."""
    s = ctx.solution
    park = ctx.park
    sh.put(1, 1, "Eco-industrial park design", font=Font(bold=True, size=14), measure=10)
    source = park.source.name if park.source else "(workbook in memory)"
    sh.put(2, 1, f"input: {source}", measure=10)
    firms = s.firms
    cand = firms[firms["status"] == "candidate"]
    admitted_cand = int(cand["admitted"].sum())
    existing = int((firms["status"] == "existing").sum())
    gap = s.gap
    pairs: list[tuple[str, Any]] = [
        ("status", status_text(s)),
        ("objective", OBJECTIVE_TEXT.get(s.objective, s.objective)),
        (f"objective value [{ctx.objective_unit()}]", s.objective_value),
        ("relative MIP gap", gap if gap is not None else "unknown"),
        (
            "firms",
            f"{existing} existing"
            + (
                f", {admitted_cand} of {len(cand)} candidates admitted"
                if len(cand)
                else ", no candidates"
            ),
        ),
    ]
    pairs += [("warning", w) for w in s.result.warnings]
    row = sh.keyvalues(pairs, 4, formats={"relative MIP gap": "0.00%"})
    sh.put(4 + 2, 3, "design minus standalone baseline (negative = better)", measure=0)
    row += 1
    sh.put(
        row,
        1,
        "Key indicators (design against every firm operating alone)",
        font=SECTION_FONT,
        measure=10,
    )
    kpis = kpi_table(ctx)
    row = sh.table(kpis, row + 1, formats={"change [%]": PCT_FORMAT})
    row += 1
    sh.put(row, 1, "Per resource: virgin purchase and discharge", font=SECTION_FONT, measure=10)
    resources = resource_table(ctx)
    if resources.empty:
        sh.put(row + 1, 1, "(no flows)")
    else:
        sh.table(
            resources,
            row + 1,
            formats={"purchase change [%]": PCT_FORMAT, "discharge change [%]": PCT_FORMAT},
        )
    sh.finish(freeze="A2")


def links_frame(ctx: _Context) -> pd.DataFrame:
    """The built links, one row each, with units, costs and how the saving is shared."""
    s = ctx.solution
    b = s.built_links.sort_values(["supplier", "receiver", "from_resource", "mode"])
    money = ctx.money
    build = b["build"].astype(float) * (~b["internal"].astype(bool))
    sized = b["sized"].astype(bool).any()
    frame = pd.DataFrame(
        {
            "supplier": b["supplier"].to_numpy(),
            "supplier name": b["supplier"].map(ctx.names).to_numpy(),
            "receiver": b["receiver"].to_numpy(),
            "receiver name": b["receiver"].map(ctx.names).to_numpy(),
            "from resource": b["from_resource"].to_numpy(),
            "to resource": b["to_resource"].to_numpy(),
            "mode": b["mode"].to_numpy(),
            "from site": b["from_site"].to_numpy(),
            "to site": b["to_site"].to_numpy(),
            "distance [km]": b["distance_km"].to_numpy(float),
            "sent [unit/yr]": b["sent"].to_numpy(float),
            "sent unit": b["from_resource"].map(ctx.units).to_numpy(),
            "delivered [unit/yr]": b["delivered"].to_numpy(float),
            "delivered unit": b["to_resource"].map(ctx.units).to_numpy(),
            f"annual cost [{money}]": b["annual_cost"].to_numpy(float),
            f"capex, annualised [{money}]": (build * b["capex_annual"]).to_numpy(float),
            f"fixed opex [{money}]": (build * b["opex_fixed"]).to_numpy(float),
            f"transport + treatment [{money}]": (b["sent"] * b["var_cost"]).to_numpy(float),
            f"net saving [{money}]": b["saving"].to_numpy(float),
            f"supplier share [{money}]": b["supplier_gain"].to_numpy(float),
            f"receiver share [{money}]": b["receiver_gain"].to_numpy(float),
            f"transfer price [{ctx.currency}/unit delivered]": b["transfer_price"].to_numpy(float),
            "CO2e [kg CO2e/yr]": b["co2e"].to_numpy(float),
        }
    )
    if sized:  # the capacity a sized link is built for, and what that capacity costs
        at = frame.columns.get_loc("delivered unit") + 1
        frame.insert(at, "capacity [unit/yr]", b["capacity"].to_numpy(float))
        frame.insert(
            frame.columns.get_loc(f"fixed opex [{money}]") + 1,
            f"capacity capex, annualised [{money}]",
            (b["capacity"].fillna(0.0) * b["size_cost"]).to_numpy(float),
        )
    return frame


def links_sheet(sh: _Sheet, ctx: _Context) -> None:
    frame = links_frame(ctx)
    sh.table(
        frame,
        1,
        formats={
            "distance [km]": KM_FORMAT,
            f"transfer price [{ctx.currency}/unit delivered]": DEC_FORMAT,
        },
    )
    if frame.empty:
        sh.put(2, 1, "no exchange link is built in this design")
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def firms_frame(ctx: _Context) -> pd.DataFrame:
    f = ctx.solution.firms
    money = ctx.money
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(f["baseline_cost"] != 0, f["gain"] / f["baseline_cost"].abs(), np.nan)
    return pd.DataFrame(
        {
            "firm": f.index.to_numpy(),
            "name": [ctx.names.get(x, x) for x in f.index],
            "sector": f["sector"].to_numpy(),
            "status": f["status"].to_numpy(),
            "admitted": f["admitted"].to_numpy(bool),
            "site": f["site"].to_numpy(),
            "placed by optimizer": f["placed"].to_numpy(bool),
            f"baseline cost [{money}]": f["baseline_cost"].to_numpy(float),
            f"design cost [{money}]": f["design_cost"].to_numpy(float),
            f"gain [{money}]": f["gain"].to_numpy(float),
            "gain [% of baseline]": share,
            f"admission cost [{money}]": f["admission_cost"].to_numpy(float),
            f"site cost [{money}]": f["site_cost"].to_numpy(float),
            "links in": f["links_in"].to_numpy(int),
            "links out": f["links_out"].to_numpy(int),
        }
    )


def firms_sheet(sh: _Sheet, ctx: _Context) -> None:
    sh.table(firms_frame(ctx), 1, formats={"gain [% of baseline]": PCT_FORMAT})
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def balances_frame(ctx: _Context) -> pd.DataFrame:
    rows = ctx.solution.rows
    rows = rows[rows["admitted"]].sort_values(["firm_id", "direction", "resource_id"])
    demand = (rows["direction"] == "demand").to_numpy()
    ex = rows["exchanged"].to_numpy(float)
    mk = rows["market"].to_numpy(float)
    q = rows["quantity"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(q > 0, ex / q, np.nan)
    return pd.DataFrame(
        {
            "firm": rows["firm_id"].to_numpy(),
            "firm name": rows["firm_id"].map(ctx.names).to_numpy(),
            "resource": rows["resource_id"].to_numpy(),
            "unit": rows["resource_id"].map(ctx.units).to_numpy(),
            "direction": rows["direction"].to_numpy(),
            "quantity [unit/yr]": q,
            "demand met by exchange [unit/yr]": np.where(demand, ex, np.nan),
            "demand met by purchase [unit/yr]": np.where(demand, mk, np.nan),
            "supply exchanged [unit/yr]": np.where(demand, np.nan, ex),
            "supply discharged [unit/yr]": np.where(demand, np.nan, mk),
            "share exchanged [%]": share,
        }
    )


def balances_sheet(sh: _Sheet, ctx: _Context) -> None:
    sh.table(balances_frame(ctx), 1, formats={"share exchanged [%]": "0.0%"})
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def network_sheet(sh: _Sheet, ctx: _Context, png_path: Path | None, png_name: str) -> None:
    sh.put(1, 1, "Exchange network", font=Font(bold=True, size=14), measure=10)
    sh.put(
        2,
        1,
        "Arrows (lines in the overview of a large park) are the built links (width grows "
        "with the quantity sent, colour is the resource); diamonds are admitted candidates; "
        "grey squares are plots.",
        measure=10,
    )
    if png_path is None:
        sh.finish(freeze="A2")
        return
    try:
        draw_network(ctx.solution, png_path)
    except Exception as exc:  # a report without its picture beats no report
        sh.put(4, 1, f"the network picture could not be drawn: {exc}", measure=10)
        remove(png_path)
        sh.finish(freeze="A2")
        return
    if png_name:
        sh.put(3, 1, f"The picture is also saved as {png_name} beside this report.", measure=10)
    image = Image(BytesIO(png_path.read_bytes()))
    scale = 900 / image.width
    image.width, image.height = int(image.width * scale), int(image.height * scale)
    sh.ws.add_image(image, "A5")
    sh.finish(freeze="A2")


def extra_sheet(sh: _Sheet, extra: ExtraSheet) -> None:
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


CM_PER_ROW = 0.53  # a default row (15 points)


def wrap_notes(sh: _Sheet, rows: Sequence[int], columns: int) -> int:
    """Wrap each note across the table's columns (merged, with a row height for its lines:
    Excel does not size merged rows itself); returns the lines the notes take."""
    width = sum(sh.final_widths.get(c, MIN_WIDTH) for c in range(1, columns + 1))
    lines = 0
    for row in rows:
        cell = sh.ws.cell(row=row, column=1)
        text = str(cell.value or "")
        n = max(1, _wrapped_lines(text, max(width - 2, 10) * TEXT_CHARS_PER_WIDTH))
        lines += n
        if columns < 2 or n == 1 and len(text) <= width:
            continue
        sh.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sh.ws.row_dimensions[row].height = min(LINE_POINTS * n + 2, MAX_ROW_POINTS)
    return lines


PICTURE_WIDTH_PX = 900
ROW_PX = 20  # a default row is 15 points = 20 pixels


def tables_below(sh: _Sheet, extra: ExtraSheet, frame: pd.DataFrame, header: int, end: int) -> None:
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


def pictures_below(sh: _Sheet, pictures: Sequence[Picture], row: int) -> int:
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
        image = Image(BytesIO(picture.png))
        scale = PICTURE_WIDTH_PX / image.width
        image.width, image.height = int(image.width * scale), int(image.height * scale)
        sh.ws.add_image(image, f"A{row}")
        row += math.ceil(image.height / ROW_PX) + 1
    return row


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


def input_frames(park) -> list[tuple[str, pd.DataFrame]]:
    """Every input table as used by the model (defaults filled in), then the settings."""
    out = []
    for name in PARK_TABLES:
        frame: pd.DataFrame = getattr(park, name)
        frame = frame.drop(columns=["excel_row"], errors="ignore")
        if frame.index.name and frame.index.name not in frame.columns:
            frame = frame.reset_index()
        else:
            frame = frame.reset_index(drop=True)
        out.append((name, frame))
    settings = pd.DataFrame(
        [
            (
                f.name,
                plain(getattr(park.settings, f.name)),
                plain(SETTINGS[f.name].default),
                SETTINGS[f.name].description,
            )
            for f in fields(park.settings)
        ],
        columns=["key", "value", "default", "meaning"],
    )
    out.append(("settings", settings))
    return out


def inputs_sheet(sh: _Sheet, ctx: _Context) -> None:
    """Echo of the park's input tables, as the model used them (defaults applied)."""
    park = ctx.park
    sh.put(
        1,
        1,
        f"Inputs as used by the model (defaults applied): "
        f"{park.source.name if park.source else 'workbook in memory'}",
        font=Font(bold=True, size=14),
        measure=10,
    )
    row = 3
    for name, frame in input_frames(park):
        title = park.sheet_titles.get(name, name)
        sh.put(
            row,
            1,
            f"{title} ({len(frame)} row{'s' if len(frame) != 1 else ''})",
            font=SECTION_FONT,
            measure=10,
        )
        if frame.empty:
            sh.put(row + 1, 1, "(none)")
            row += 3
            continue
        formats = {
            c: DEC_FORMAT
            for c in frame.columns
            if c not in ("capacity",)
            and pd.api.types.is_float_dtype(frame[c])
            and number_format(frame[c]) == INT_FORMAT
            and (frame[c].abs() < 100).all()
        }
        row = sh.table(frame, row + 1, formats=formats, caps={"meaning": 12}) + 1
    sh.finish(freeze="A2")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out.extend(_flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    if isinstance(value, Path):
        value = str(value)
    return [(prefix, value)]


def runinfo_sheet(sh: _Sheet, ctx: _Context, run_info: dict | None) -> None:
    """Provenance: versions, input file and hash, options, solver outcome, model size, timings."""
    s = ctx.solution
    r = s.result
    park = ctx.park
    st = park.settings
    pairs: list[tuple[str, Any]] = [
        ("Software", _SECTION),
        ("ecopark_opt version", ecopark_opt.__version__),
        ("HiGHS version", r.solver_version or "unknown"),
        ("highspy", _version("highspy")),
        ("pyomo", _version("pyomo")),
        ("pandas", _version("pandas")),
        ("openpyxl", _version("openpyxl")),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        (
            "report written (UTC)",
            dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        ),
        ("Input", _SECTION),
        ("input file", str(Path(park.source).resolve()) if park.source else "(in memory)"),
        ("input SHA-256", park.sha256 or "(unknown)"),
        ("Options", _SECTION),
        ("objective", s.objective),
        ("time limit [s] (settings)", st.time_limit_s),
        ("MIP gap (settings)", st.mip_gap),
        ("threads (settings, 0 = solver default)", st.threads),
        ("Solve", _SECTION),
        ("status", r.status),
        ("status in words", status_text(s)),
        ("solver message", r.message),
        ("solver objective", r.objective),
        ("solver bound", r.bound),
        ("relative gap", r.gap if r.gap is not None else "unknown"),
        ("solve time [s]", r.seconds),
        ("hand-off to HiGHS [s]", r.handoff_seconds),
    ]
    for k, v in (r.extra or {}).items():
        pairs.append((k.replace("_", " "), v))
    for i, stage in enumerate(s.stage_results, start=1):
        objective = "none" if stage.objective is None else f"{stage.objective:.6g}"
        gap_text = "unknown" if stage.gap is None else f"{stage.gap:.2%}"
        pairs.append(
            (
                f"stage {i}",
                f"{stage.status}, objective {objective}, gap {gap_text}, {stage.seconds:.2f} s",
            )
        )
    pairs += [
        ("Model size", _SECTION),
        ("rows (constraints)", r.rows),
        ("columns (variables)", r.columns),
        ("nonzeros", r.nonzeros),
        ("integer variables", r.integers),
        ("candidate links", len(s.links)),
        ("Timings [s]", _SECTION),
    ]
    timing_labels = [f"{phase} [s]" for phase in (s.timings or {})]
    pairs += [(label, float(sec)) for label, sec in zip(timing_labels, (s.timings or {}).values())]
    if park.warnings:
        pairs.append(("Input warnings", _SECTION))
        pairs += [(f"warning {i}", w) for i, w in enumerate(park.warnings, start=1)]
    if r.warnings:
        pairs.append(("Solver warnings", _SECTION))
        pairs += [(f"solver warning {i}", w) for i, w in enumerate(r.warnings, start=1)]
    if run_info:
        pairs.append(("Run", _SECTION))
        pairs += _flatten("", run_info)
    formats = {
        "relative gap": "0.00%",
        "MIP gap (settings)": "0.00E+00",
        "time limit [s] (settings)": KM_FORMAT,
    }
    formats.update({label: "0.000" for label in timing_labels})
    formats.update({"solve time [s]": "0.000", "hand-off to HiGHS [s]": "0.000"})
    sh.keyvalues(pairs, 1, formats=formats)
    sh.widths[2] = max(sh.widths[2], 40)
    sh.finish(freeze="A2")
