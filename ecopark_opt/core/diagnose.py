"""Explain an infeasible model: an elastic re-solve names the rows that cannot all hold.

Every constraint of the families that declare themselves elastic (:mod:`.families`) gets
non-negative slack variables; minimising the total slack finds the smallest violation, and the
constraints that need slack are reported in the words of the workbook (sheet, cell, firm,
resource).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from ..park import Park
from .families import delivered_mix, elastic_constraints, quality_load
from .solve import SolveOptions, solve


def explain_infeasibility(model: pyo.ConcreteModel, options: SolveOptions) -> list[str]:
    """Messages naming the data in conflict (the model is changed and should be discarded).

    Quality limits are measured against the mix actually delivered (a demand that goes
    short needs less of the limited property): the shortfall reported is then what no blend
    of the candidate sources and the virgin resource can supply within the limit.
    """
    for c, j, k in getattr(model, "S_QUALITY", []):
        limit = float(model.park.flows.at[j, k])
        model.quality_limit[c, j, k].set_value(
            quality_load(model, c, j, k) - limit * delivered_mix(model, c, j) <= 0
        )
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
        c, j = index
        return _shortfall(park, m, c, j, amount)
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


def _process_shortfall(
    park: Park, m: pyo.ConcreteModel, j: str, amount: float, unit: str, period: str | None
) -> str:
    """A process input that cannot be fed: what it lacks and, when it must run at a
    minimum, the cells that make it run."""
    process = m.process_of[j]
    rec = park.processes.loc[process]
    resource = park.flows.at[j, "resource_id"]
    lacks = f"process {process} of {rec['firm_id']} lacks {amount:g} {unit} of {resource}" + (
        f" in period {period}" if period else ""
    )
    if m.buyable[j]:
        source = "beyond what may be bought and delivered by the candidate links"
    else:
        price_cell = park.cell(
            "resources", "virgin_price", int(park.resources.at[resource, "excel_row"])
        )
        source = (
            f"which can neither be bought ({price_cell} virgin_price is blank) nor "
            "delivered by the candidate links"
        )
    row = int(rec["excel_row"])
    if rec["min_throughput"] > 0 and (rec["must_build"] or process not in m.DECIDED):
        forced = " (must_build)" if rec["must_build"] else ""
        return (
            f"{park.cell('processes', 'min_throughput', row)} (min_throughput): {lacks}, "
            f"{source}, to run its minimum of {rec['min_throughput']:g} a year{forced}"
        )
    return f"{park.flow_cell(j)} (ratio): {lacks}, {source}"


def _shortfall(park: Park, m: pyo.ConcreteModel, c: int, j: str, amount: float) -> str:
    """Why ``amount`` of demand row j cannot be met in case c, in the workbook's words: the
    resource cannot be bought; or a quality limit that the virgin resource breaks and the
    candidate sources cannot make up in a blend; or the other constraints (caps, limits)."""
    row = park.flows.loc[j]
    unit = park.resources.at[row["resource_id"], "unit"]
    period = m.case[c].period if park.has_periods else None
    if j in m.process_of:
        return _process_shortfall(park, m, j, amount, unit, period)
    wanted = m.amount[c, j]
    what = (
        f"{amount:g} of the {wanted:g} {unit} of {row['resource_id']} that {row['firm_id']} "
        f"needs" + (f" in period {period}" if period else "")
    )
    if not m.buyable[j]:
        price_cell = park.cell(
            "resources", "virgin_price", int(park.resources.at[row["resource_id"], "excel_row"])
        )
        return (
            f"{park.flow_cell(j)} (quantity): {what} can neither be bought ({price_cell} "
            "virgin_price is blank) nor delivered by the candidate links"
        )
    dirty = [
        k
        for k in park.property_names
        if not np.isnan(row[k]) and float(park.resources.at[row["resource_id"], k]) > row[k]
    ]
    if dirty:
        k = dirty[0]
        virgin = float(park.resources.at[row["resource_id"], k])
        return (
            f"{park.flow_cell(j, k)} ({k}): {what} cannot be met within its limit of "
            f"{row[k]:g} {k}: the virgin {row['resource_id']} has {virgin:g}, and the "
            "candidate sources are not clean enough or not large enough to bring the blend "
            f"within the limit ({amount:g} {unit} short)"
        )
    return (
        f"{park.flow_cell(j)} (quantity): {what} can neither be bought nor delivered under "
        "the other constraints (caps and limits)"
    )
