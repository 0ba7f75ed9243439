"""The benchmarks' raw results: one CSV row per run, read back for ``--from-csv``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """All rows so far (columns in order of first appearance), replacing the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of :func:`write_rows`, with numbers, booleans and blanks (None) restored."""

    def value(text: str) -> Any:
        if text == "":
            return None
        if text in ("True", "False"):
            return text == "True"
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    with open(path, newline="") as fh:
        return [{k: value(v) for k, v in r.items()} for r in csv.DictReader(fh)]
