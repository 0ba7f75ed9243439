"""Report sheets of the design analyses: Siting and Candidates, Pareto, Alternatives.

The analyses (:mod:`ecopark_opt.analyses`) compute; these functions turn their results into
:class:`~.sheets.ExtraSheet` tables with notes, units in the headers and native charts.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.alternatives import AlternativesResult
from ..analyses.candidates import siting_table
from ..analyses.pareto import ParetoResult, link_table
from ..core.solution import Solution
from ..core.vocabulary import METRICS, metric_labels, metric_units, objective_unit
from .sheets import ChartSpec, ExtraSheet


def candidate_sheets(design: Solution, values: pd.DataFrame | None) -> list[ExtraSheet]:
    """The Siting and Candidates sheets of the report (only when the park has candidates)."""
    park = design.park
    cur = park.currency
    sheets = []
    plots = park.sites[park.sites["kind"] == "plot"]
    if not plots.empty:
        table = siting_table(design).rename(columns={"site_cost": f"site cost [{cur}/yr]"})
        sheets.append(
            ExtraSheet(
                "Siting",
                table,
                notes=["Each free plot, the candidate placed on it and the links it enables."],
            )
        )
    if values is not None and not values.empty:
        unit = objective_unit(design.objective, cur)
        frame = values.rename(
            columns={
                "admission_cost": f"admission cost [{cur}/yr]",
                "site_cost": f"site cost [{cur}/yr]",
                "value": f"value of the decision [{unit}]",
                "value_low": f"value, at least [{unit}]",
                "value_high": f"value, at most [{unit}]",
            }
        )
        admitted = values[values["admitted"]]
        notes = [
            f"{len(admitted)} of {len(values)} candidates admitted: "
            + (", ".join(f"{r.name} on {r.site}" for r in admitted.itertuples()) or "none"),
            "value = how much worse the objective gets if the decision is flipped "
            "(admitted kept out, rejected forced in), from a re-solve; when the design or the "
            "re-solve stopped within a MIP gap, the value is known only between 'at least' "
            "and 'at most', and the note says whether its sign is proved.",
        ]
        sheets.append(ExtraSheet("Candidates", frame, notes=notes))
    return sheets


def pareto_sheets(result: ParetoResult) -> list[ExtraSheet]:
    """``Pareto`` (one row per point, scatter chart of x vs y) and ``Pareto links``."""
    park = result.park
    labels = metric_labels(park.currency)
    versus = metric_labels(park.currency, " vs baseline")
    x_col, y_col = labels[result.x], labels[result.y]
    frame = result.frame.rename(
        columns={
            **labels,
            **{f"{k}_vs_baseline": versus[k] for k in METRICS},
            "links": "links used",
            "epsilon": f"{result.y} − baseline bound [{metric_units(park.currency)[result.y]}]",
        }
    )
    notes = [
        f"Trade-off between {result.x} and {result.y}: {len(result.solutions)} non-dominated "
        f"points of {result.requested} requested, sorted by {result.x}.",
        f"Point 1 is the least-{result.x} design (ties broken by {result.y}); the last point "
        f"is the least-{result.y} design (ties broken by {result.x}); points between minimise "
        f"{result.x} with {result.y} capped at the bound shown (ε-constraint method).",
        "Metrics are absolute yearly values of the design; the 'vs baseline' columns compare "
        "them with every firm operating alone (what the optimizer minimises).",
    ]
    if result.dropped:
        notes.append(
            f"{result.dropped} solve(s) gave a dominated or repeated point and were left out."
        )
    notes.extend(f"No design found for {s}" for s in result.skipped)
    chart = ChartSpec(
        kind="scatter",
        x=x_col,
        y=(y_col,),
        title=f"Pareto front: {result.x} vs {result.y}",
        x_title=x_col,
        y_title=y_col,
    )
    points = [f"point {n}" for n in range(1, len(result.solutions) + 1)]
    links = link_table(result.solutions, points)
    link_notes = [
        f"Which links each point of the front uses (1 = used), from the least-{result.x} "
        f"point to the least-{result.y} point: links appear as {result.y} is pushed down.",
    ]
    return [
        ExtraSheet("Pareto", frame, notes, chart),
        ExtraSheet("Pareto links", links, link_notes),
    ]


def alternatives_sheets(result: AlternativesResult) -> list[ExtraSheet]:
    """``Alternatives``: the optimum and each alternative side by side, then their links."""
    park = result.optimum.park
    names = metric_labels(park.currency)
    frame = result.frame
    labels = list(frame["design"])
    items = {
        **{names[k]: list(frame[k]) for k in METRICS},
        "links used": list(frame["links"]),
        "cost vs optimum [%]": list(frame["cost_vs_optimum_pct"]),
        "gap": list(frame["gap"]),
    }
    table = pd.DataFrame(
        [{"item": name, **dict(zip(labels, values))} for name, values in items.items()],
        columns=["item", *labels],
    )
    links = link_table(result.designs, labels)
    if not links.empty:
        link_names = [
            f"link {r.supplier} → {r.receiver}: {_resource(r)} by {r.mode} "
            f"({r.from_site} → {r.to_site})"
            for r in links.itertuples()
        ]
        table = pd.concat(
            [table, links[labels].assign(item=link_names)[["item", *labels]]], ignore_index=True
        )
    notes = [
        f"The least-cost design and {len(result.alternatives)} alternative(s) of "
        f"{result.requested} requested, each with a different set of links and a cost at most "
        f"{result.within_pct:g} % above the optimum (≤ {result.cost_bound:,.2f} "
        f"{park.currency}/yr).",
        "Each alternative uses as few of the links of the designs before it as it can, uses the "
        "links it builds as fully as it can, and is the cheapest such design; link rows show 1 "
        "where the design uses the link.",
    ]
    if result.stopped:
        notes.append(f"Fewer designs than requested: {result.stopped}.")
    return [ExtraSheet("Alternatives", table, notes)]


def _resource(r) -> str:
    if r.from_resource == r.to_resource:
        return str(r.from_resource)
    return f"{r.from_resource} → {r.to_resource}"
