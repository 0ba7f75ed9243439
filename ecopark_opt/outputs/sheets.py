"""What analyses hand to the report: extra sheets as data (tables, notes, a native chart)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd


@dataclass(frozen=True)
class ChartSpec:
    """A native Excel chart drawn from columns of the sheet's table."""

    kind: Literal["scatter", "bar", "column"]
    x: str  # column holding categories (bar/column) or x values (scatter)
    y: tuple[str, ...]  # one series per column
    title: str
    x_title: str = ""
    y_title: str = ""


def bar_chart(x: str, y: tuple[str, ...], title: str, unit: str, x_title: str = "") -> ChartSpec:
    """Horizontal bars of the ``y`` columns for each row, named by column ``x`` (the axis
    title is ``x`` unless ``x_title`` says otherwise); values in ``unit``."""
    return ChartSpec("bar", x, y, title, x_title, unit)


@dataclass(frozen=True)
class Picture:
    """A PNG picture under a caption (e.g. one option's network in a comparison)."""

    caption: str
    png: bytes | None  # None: no picture, the caption says why


@dataclass
class ExtraSheet:
    """One report sheet added by an analysis: plain-language notes above a table (none when
    the frame has no columns), its chart, more titled ``tables`` below, then its pictures,
    one per printed page.

    Column names carry their unit in brackets, e.g. ``cost [EUR/yr]``.
    """

    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    chart: ChartSpec | None = None
    pictures: list[Picture] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
