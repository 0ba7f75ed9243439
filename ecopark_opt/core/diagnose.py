"""Explain an infeasible model: an elastic re-solve names the rows that cannot all hold.

Every constraint of the families that declare themselves elastic (:mod:`.families`) gets
non-negative slack variables; minimising the total slack finds the smallest violation, and the
constraints that need slack are reported in the words of the workbook (sheet, cell, firm,
resource).
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..park import Park
from .families import elastic_constraints
from .solve import SolveOptions, solve


def explain_infeasibility(model: pyo.ConcreteModel, options: SolveOptions) -> list[str]:
    """Messages naming the data in conflict (the model is changed and should be discarded)."""
    model.ElasticSlack = pyo.VarList(domain=pyo.NonNegativeReals)
    slack_of: list[tuple[str, object, object]] = []
    for family in elastic_constraints():
        component = getattr(model, family, None)
        if component is None:
            continue
        for index, con in list(component.items()):
            lb, body, ub = con.to_bounded_expression()
            up = model.ElasticSlack.add()
            down = model.ElasticSlack.add()
            con.set_value((lb, body - up + down, ub))
            slack_of.append((family, index, (up, down)))
    model.objective.deactivate()
    model.elastic = pyo.Objective(expr=sum(model.ElasticSlack[i] for i in model.ElasticSlack))
    result = solve(model, options)
    if not result.has_solution:
        return [
            "the model is infeasible and the elastic re-solve found no explanation "
            f"({result.message}); check must_join candidates and plot capacities"
        ]
    park: Park = model.park
    messages = []
    for family, index, (up, down) in slack_of:
        amount = (up.value or 0.0) + (down.value or 0.0)
        if amount > 1e-6:
            messages.append(describe(park, model, family, index, amount))
    return messages or ["the model is infeasible, but no single row could be blamed"]


def describe(park: Park, m: pyo.ConcreteModel, family: str, index, amount: float) -> str:
    """One sentence per violated row, pointing at the workbook."""
    s = park.settings
    if family == "demand_balance":
        index = index[1]  # (case, row)
        row = park.flows.loc[index]
        return (
            f"{park.flow_cell(index)} (quantity): {amount:g} of the {row['quantity']:g} "
            f"{row['resource_id']} demanded by {row['firm_id']} can neither be bought nor "
            "delivered under the other constraints"
        )
    if family == "quality_limit":
        _, j, k = index
        return (
            f"{park.flow_cell(j, k)} ({k}): the quality limit of {j} cannot be met "
            f"(excess {amount:g} {k}·units)"
        )
    if family == "max_virgin":
        index = index[1]  # (scenario, resource)
        return (
            f"{park.cell('resources', 'max_virgin', int(park.resources.at[index, 'excel_row']))}"
            f" (max_virgin): the cap on {index} is {amount:g} too low"
        )
    if family == "plot_capacity":
        return (
            f"{park.cell('sites', 'capacity', int(park.sites.at[index, 'excel_row']))} "
            f"(capacity): plot {index} would need room for {amount:g} more candidate(s)"
        )
    if family == "one_plot":
        return (
            f"{park.cell('firms', 'allowed_sites', int(park.firms.at[index, 'excel_row']))} "
            f"(allowed_sites): candidate {index} must join but no allowed plot is free"
        )
    if family == "dependency_limit":
        _, j, g = index
        return (
            f"settings (max_dependency_share): {j} would have to take more than "
            f"{s.max_dependency_share:g} of its demand from {g} (short by {amount:g})"
        )
    if family == "max_links":
        return (
            f"settings (max_links): {s.max_links} links are not enough; "
            f"{amount:g} more would be needed"
        )
    if family == "win_win":
        return (
            f"settings (win_win): firm {index} would lose {amount:g} {s.currency}/yr; "
            "no design lets every firm gain"
        )
    return f"{family}[{index}] violated by {amount:g}"
