"""The Excel report (docs/results.md): what to build, what it costs, what it saves, and how it was found.

Sheets, in a fixed order: Summary, Links, Firms, Balances, Network, the analyses' extra sheets,
Inputs, RunInfo. What the sheets say is in :mod:`ecopark_opt.outputs.report_sheets`, how
cells and tables are written in :mod:`ecopark_opt.outputs.excel`. The file is written
atomically (temp file in the same folder, then ``os.replace``) and never over the input
workbook or a workbook open in Excel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from ..core.solution import Solution
from .excel import SheetWriter, add_picture, extra_sheet, print_setup, sheet_title
from .files import atomic_write, check_output_path, remove, remove_output
from .network_draw import draw_network
from .period_sheets import period_sheets
from .process_sheets import process_sheets
from .report_sheets import (
    Context,
    balances_sheet,
    firms_sheet,
    inputs_sheet,
    links_sheet,
    runinfo_sheet,
    summary_sheet,
)
from .sheets import ExtraSheet

FIXED_BEFORE = ("Summary", "Links", "Firms", "Balances", "Network")
FIXED_AFTER = ("Inputs", "RunInfo")


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
    ctx = Context(solution)
    summary_sheet(SheetWriter(book.create_sheet("Summary")), ctx)
    links_sheet(SheetWriter(book.create_sheet("Links")), ctx)
    firms_sheet(SheetWriter(book.create_sheet("Firms")), ctx)
    balances_sheet(SheetWriter(book.create_sheet("Balances")), ctx)
    network_sheet(SheetWriter(book.create_sheet("Network")), ctx, png_path, png_name)
    used = set(FIXED_BEFORE) | set(FIXED_AFTER)
    for extra in [*period_sheets(solution), *process_sheets(solution), *extra_sheets]:
        title = sheet_title(extra.title, used)
        used.add(title)
        extra_sheet(SheetWriter(book.create_sheet(title)), extra)
    inputs_sheet(SheetWriter(book.create_sheet("Inputs")), ctx)
    runinfo_sheet(SheetWriter(book.create_sheet("RunInfo")), ctx, run_info)
    for ws in book.worksheets:
        print_setup(ws)
    return book


def network_sheet(sh: SheetWriter, ctx: Context, png_path: Path | None, png_name: str) -> None:
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
    add_picture(sh.ws, png_path.read_bytes(), "A5")
    sh.finish(freeze="A2")
