"""Small builders shared by the test files: tables → workbook → park → solution."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.solution import Solution
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from ecopark_opt.park import Park

Tables = Mapping[str, Any]


def park_file(tmp_path: Path, tables: Tables, name: str = "park.xlsx") -> Path:
    """Write ``tables`` (sheet name → list of row dicts; ``settings`` may be a dict)."""
    return write_workbook(Path(tmp_path) / name, tables)


def load_tables(tmp_path: Path, tables: Tables, name: str = "park.xlsx") -> Park:
    """Write the tables and load them back as a validated :class:`Park`."""
    return load_park(park_file(tmp_path, tables, name))


def solve_tables(
    tmp_path: Path, tables: Tables, name: str = "park.xlsx", **run_options: Any
) -> Solution:
    """Write, load and optimise; ``run_options`` are :class:`RunOptions` fields."""
    return optimize(load_tables(tmp_path, tables, name), RunOptions(**run_options))


def two_firm_park(**overrides: Any) -> dict[str, Any]:
    """A (water) at site S1 supplies 100 t, B at site S2 (5 km east) demands 80 t.

    Water costs 2/t to buy and 1/t to discharge; without a transport sheet the default
    pipeline is cost-free. ``overrides`` replace whole sheets.
    """
    tables: dict[str, Any] = {
        "firms": [{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
        "sites": [{"site_id": "S1", "x_km": 0, "y_km": 0}, {"site_id": "S2", "x_km": 5, "y_km": 0}],
        "resources": [{"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1}],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
    }
    tables.update(overrides)
    return tables


def row(solution: Solution, firm: str, resource: str, direction: str) -> Any:
    """The ``solution.rows`` record of one flows row."""
    return solution.rows.loc[f"{firm}/{resource}/{direction}"]


def built(solution: Solution) -> set[tuple[str, str, str]]:
    """(supplier, receiver, mode) of every built link carrying flow."""
    b = solution.built_links
    return set(zip(b["supplier"], b["receiver"], b["mode"]))
