"""A design as plain data with the fixed keys of the JSON result (docs/results.md).

Every number is a plain Python ``float`` (never a numpy type); a value that is unknown or not
finite is ``None``. These records are what crosses a process boundary (workers of
``compare``), what analyses list, and what :mod:`ecopark_opt.outputs.jsonout` writes.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .solution import Solution
from .vocabulary import METRICS

STATUSES = ("optimal", "time_limit", "infeasible", "error")
LINK_KEYS = (
    "supplier",
    "receiver",
    "from_resource",
    "to_resource",
    "mode",
    "from_site",
    "to_site",
    "distance_km",
    "sent",
    "delivered",
    "annual_cost",
)
_LINK_NUMBERS = ("distance_km", "sent", "delivered", "annual_cost")


def number(value: Any) -> float | None:
    """A plain float, or None for a blank, NaN or infinite value."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def json_status(status: str) -> str:
    return status if status in STATUSES else "error"


def json_gap(solution: Solution) -> float | None:
    """The relative MIP gap; 0.0 for a proven optimum whose gap the solver does not report."""
    gap = number(solution.gap)
    if gap is None and solution.status == "optimal":
        return 0.0
    return gap


def link_records(
    links: pd.DataFrame, by_period: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """Link records (docs/results.md) for a frame of built links (also used by analyses): a
    sized link adds its ``capacity``; with ``by_period`` (link × period), each link adds
    ``by_period``: what it sends in each period."""
    out = []
    for l, rec in zip(links.index, links.to_dict("records")):
        item = {k: number(rec[k]) if k in _LINK_NUMBERS else text(rec[k]) for k in LINK_KEYS}
        if number(rec.get("capacity")) is not None:
            item["capacity"] = number(rec["capacity"])
        if by_period is not None:
            item["by_period"] = _periods(by_period.loc[l])
        out.append(item)
    return out


def _periods(values: pd.Series) -> dict[str, float | None]:
    return {str(t): number(v) for t, v in values.items()}


def solution_json(solution: Solution) -> dict[str, Any]:
    """The design with the keys of docs/results.md: status, objective, gap, metrics, links,
    purchases, discharges, firms (and ``by_period`` / ``capacity`` where they apply,
    ``processes`` with processes)."""
    rows = solution.rows
    admitted = rows[rows["admitted"] & (rows["market"] > 0)]
    periods = solution.park.has_periods

    def market(direction: str) -> list[dict[str, Any]]:
        part = admitted[admitted["direction"] == direction]
        out = []
        for row, f, r, q in zip(part.index, part["firm_id"], part["resource_id"], part["market"]):
            item: dict[str, Any] = {"firm": str(f), "resource": str(r), "quantity": number(q)}
            if periods:
                item["by_period"] = _periods(solution.market_by_period.loc[row])
            out.append(item)
        return out

    firms = solution.firms
    out = {
        "status": json_status(solution.status),
        "objective": str(solution.objective),
        "mip_gap": json_gap(solution),
        "metrics": {
            k: {
                "design": number(solution.metrics[k]["design"]),
                "baseline": number(solution.metrics[k]["baseline"]),
            }
            for k in METRICS
        },
        "links": link_records(solution.built_links, solution.sent_by_period if periods else None),
        "purchases": market("demand"),
        "discharges": market("supply"),
        "firms": [
            {
                "firm": str(f),
                "admitted": bool(a),
                "site": text(s),
                "baseline_cost": number(b),
                "design_cost": number(d),
                "gain": number(g),
            }
            for f, a, s, b, d, g in zip(
                firms.index,
                firms["admitted"],
                firms["site"],
                firms["baseline_cost"],
                firms["design_cost"],
                firms["gain"],
            )
        ],
    }
    if solution.park.has_processes:
        out["processes"] = process_records(solution)
    return out


def process_records(solution: Solution) -> list[dict[str, Any]]:
    """Per process: firm, built, sized capacity (None when not sized), yearly throughput,
    throughput by period and annual cost (docs/results.md)."""
    procs = solution.processes
    return [
        {
            "process": str(p),
            "firm": str(procs.at[p, "firm"]),
            "built": bool(procs.at[p, "built"]),
            "capacity": number(procs.at[p, "capacity"]),
            "throughput": number(procs.at[p, "throughput"]),
            "by_period": _periods(solution.throughput_by_period.loc[p]),
            "annual_cost": number(procs.at[p, "annual_cost"]),
        }
        for p in procs.index
    ]


def failure_json(status: str, objective: str) -> dict[str, Any]:
    """The same keys for a run without a design (infeasible, solver failure)."""
    return {
        "status": json_status(status),
        "objective": objective,
        "mip_gap": None,
        "metrics": {k: {"design": None, "baseline": None} for k in METRICS},
        "links": [],
        "purchases": [],
        "discharges": [],
        "firms": [],
    }
