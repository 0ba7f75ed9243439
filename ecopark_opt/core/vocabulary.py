"""The words every layer shares: objectives, metrics and their units, what identifies a link,
what a used link is, which statuses come with a design, and when two numbers are equal.

Each fact is stated once here; every other module imports it (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..inputs.schema import OBJECTIVES

__all__ = [
    "DESIGN_KEY",
    "LINK_KEY",
    "link_label",
    "METRICS",
    "OBJECTIVES",
    "SOLVED",
    "TIE_BROKEN",
    "link_keys",
    "metric_labels",
    "metric_units",
    "objective_unit",
    "tolerance",
    "used_mask",
]

METRICS = ("cost", "virgin", "co2e")  # the three yearly metrics of a design (docs/model.md)
TIE_BROKEN = ("virgin", "co2e")  # objectives whose ties are broken by cost (lexicographic)
SOLVED = ("optimal", "time_limit")  # statuses that come with a design
REL_TOL = 1e-6  # relative tolerance of "equal" objectives (at least an absolute 1e-6)

# What identifies a link across runs, parks and scenarios: who sends what to whom, by which
# mode, between which sites (a candidate placed on another plot is another link).
LINK_KEY = ("supplier", "receiver", "from_resource", "to_resource", "mode", "from_site", "to_site")
# A link of one park (its designs, its samples and scenarios): LINK_KEY and the rows it joins.
DESIGN_KEY = (*LINK_KEY, "supply_flow", "demand_flow")


def link_label(link: Mapping[str, Any]) -> str:
    """How a link (a mapping with the :data:`LINK_KEY` fields) reads in reports:
    ``A → B (water, pipe; S1 → S2)``, a substitution ``(slag → cement, truck; …)``."""
    a, b = link["from_resource"], link["to_resource"]
    resource = a if a == b else f"{a} → {b}"
    return (
        f"{link['supplier']} → {link['receiver']} ({resource}, {link['mode']}; "
        f"{link['from_site']} → {link['to_site']})"
    )


def tolerance(value: float, rel: float = REL_TOL) -> float:
    """How far from ``value`` another number may be and still count as equal."""
    return rel * max(1.0, abs(value))


def metric_units(currency: str) -> dict[str, str]:
    """The unit of each metric; virgin use is weighted by ``virgin_weight``."""
    return {"cost": f"{currency}/yr", "virgin": "units/yr", "co2e": "kg CO2e/yr"}


def objective_unit(objective: str, currency: str) -> str:
    """The unit of an objective's value: its metric's, or weighted units for ``weighted``."""
    return metric_units(currency).get(objective, "weighted units/yr")


def metric_labels(currency: str, suffix: str = "") -> dict[str, str]:
    """Column labels with units, e.g. ``cost [EUR/yr]`` or ``cost vs baseline [EUR/yr]``."""
    return {k: f"{k}{suffix} [{u}]" for k, u in metric_units(currency).items()}


def used_mask(links: pd.DataFrame) -> pd.Series:
    """The links a design uses: built, carrying flow, not internal arcs."""
    return (links["build"] > 0.5) & (links["sent"] > 0) & ~links["internal"].astype(bool)


def link_keys(links: pd.DataFrame, rows: bool = False) -> list[tuple]:
    """The :data:`LINK_KEY` of every row of a link frame, in order; with ``rows`` also its
    supply and demand rows (:data:`DESIGN_KEY`), which tell apart the links of two
    processes of one firm that send the same resource to the same receiver."""
    return list(zip(*(links[c] for c in (DESIGN_KEY if rows else LINK_KEY))))
