"""Write input workbooks from plain tables (tests, instance scripts, the generator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

Rows = Sequence[Mapping[str, Any]] | pd.DataFrame


def write_workbook(path: str | Path, tables: Mapping[str, Rows]) -> Path:
    """One sheet per table, header row first; ``settings`` may be a plain dict."""
    book = Workbook()
    book.remove(book.active)
    for sheet, rows in tables.items():
        if sheet == "settings" and isinstance(rows, Mapping):
            rows = [{"key": k, "value": v} for k, v in rows.items()]
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if sheet == "settings" and frame.empty and not len(frame.columns):
            frame = pd.DataFrame(columns=["key", "value"])  # no settings: header only
        ws = book.create_sheet(sheet)
        ws.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            ws.append([_cell(v) for v in record])
        for i, col in enumerate(frame.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, len(str(col)) + 2)
        ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
