"""Load a workbook into a checked :class:`~ecopark_opt.park.Park`: the one entry point.

Reading (:mod:`.reader`), scenario overrides (:mod:`.scenarios`) and the cross-sheet checks
(:mod:`.validate`) meet here, so none of them needs to import another one above it.
"""

from __future__ import annotations

from pathlib import Path

from ..park import Park
from .reader import read_workbook
from .scenarios import park_from_raw
from .validate import assemble_park


def load_park(path: str | Path, scenario: str | None = None) -> Park:
    """Read, type and check a workbook; raise :class:`InputError` listing every problem.

    ``scenario`` names a scenario of the ``scenarios`` sheet to apply to the base workbook;
    overrides on the ``scenarios`` and ``uncertainty`` sheets are checked in any case
    (:mod:`.scenarios`).
    """
    raw = read_workbook(path)
    if scenario is not None or {"scenarios", "uncertainty"} & raw.tables.keys():
        return park_from_raw(raw, scenario)
    return assemble_park(raw)
