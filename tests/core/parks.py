"""Builders of the small parks the core's behaviour tests work out by hand (docs/model.md).

Rows can be written two ways: many at once from tuples (:func:`flows`, :func:`sites`,
:func:`firms`) or one at a time (:func:`supply`, :func:`demand`, :func:`site`, :func:`plot`);
:func:`park` puts the sheets together. Whole parks shared by every layer, such as
``two_firm_park``, live in :mod:`tests.helpers`.
"""

from __future__ import annotations

from typing import Any

import pytest

from ecopark_opt.core.solution import Solution

approx = lambda x: pytest.approx(x, rel=1e-6, abs=1e-6)  # noqa: E731

WATER = "water"
# water bought at 2/t and discharged at 1/t, as in ``two_firm_park``
WATER_RESOURCE = {"resource_id": WATER, "unit": "t", "virgin_price": 2, "disposal_cost": 1}
# steam cannot be bought (blank virgin_price): a demand for it is met by exchange or not at all
STEAM_RESOURCE = {"resource_id": "steam", "unit": "MWh", "virgin_price": None, "disposal_cost": 0}
# no capex, fixed opex 50/yr, 0.1 per unit·km, carries every resource
PIPE = {"mode": "pipe", "resources": "*", "opex_fixed": 50, "cost_per_unit_km": 0.1}


def flows(*records: tuple[str, str, str, float], **extra: dict[str, Any]) -> list[dict]:
    """flows rows from (firm, resource, direction, quantity) tuples; ``extra`` maps
    ``firm/resource/direction`` to additional columns of that row."""
    out = []
    for firm, resource, direction, quantity in records:
        rec = {
            "firm_id": firm,
            "resource_id": resource,
            "direction": direction,
            "quantity": quantity,
        }
        rec.update(extra.get(f"{firm}/{resource}/{direction}", {}))
        out.append(rec)
    return out


def supply(firm: str, qty: float, resource: str = WATER, **extra: Any) -> dict[str, Any]:
    """One supply row of the flows sheet."""
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": "supply",
        "quantity": qty,
        **extra,
    }


def demand(firm: str, qty: float, resource: str = WATER, **extra: Any) -> dict[str, Any]:
    """One demand row of the flows sheet."""
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": "demand",
        "quantity": qty,
        **extra,
    }


def mode(name: str = "pipe", **columns: Any) -> dict[str, Any]:
    """One transport row."""
    return {"mode": name, **columns}


def site(site_id: str, x: float, y: float = 0.0, **extra: Any) -> dict[str, Any]:
    """One sites row at (x, y) km."""
    return {"site_id": site_id, "x_km": x, "y_km": y, **extra}


def plot(site_id: str, x: float, y: float = 0.0, **extra: Any) -> dict[str, Any]:
    """One plot (a site where candidates may be placed) at (x, y) km."""
    return site(site_id, x, y, kind="plot", **extra)


def sites(**coords: tuple[float, float]) -> list[dict[str, Any]]:
    """sites rows from ``S1=(x, y)`` keywords."""
    return [site(s, x, y) for s, (x, y) in coords.items()]


def firms(**site_of: str) -> list[dict[str, Any]]:
    """Existing firms from ``A="S1"`` keywords."""
    return [{"firm_id": f, "site": s} for f, s in site_of.items()]


def park(
    firms: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    flows: list[dict[str, Any]],
    resources: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (WATER_RESOURCE,),
    transport: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (PIPE,),
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The tables of a park; by default water (:data:`WATER_RESOURCE`) and :data:`PIPE`."""
    tables: dict[str, Any] = {
        "firms": list(firms),
        "sites": list(sites),
        "resources": list(resources),
        "flows": list(flows),
        "transport": list(transport),
    }
    if settings:
        tables["settings"] = settings
    return tables


def links_by_pair(solution: Solution) -> dict[tuple[str, str], Any]:
    """(supplier, receiver) → record of each built link carrying flow."""
    b = solution.built_links
    return {(r.supplier, r.receiver): r for r in b.itertuples()}


def cost_metrics(solution: Solution) -> tuple[float, float]:
    """(design, baseline) cost."""
    return solution.metrics["cost"]["design"], solution.metrics["cost"]["baseline"]
