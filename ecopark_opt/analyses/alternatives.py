"""TODO"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..core.model import objective_expression, set_objective
from ..core.optimize import RunOptions, prepare
from ..core.solution import Solution, extract_solution
from ..core.solve import SolveOptions, SolveResult, solve
from ..core.stages import check_result
from ..core.vocabulary import METRICS, tolerance
from ..errors import InputError
from ..park import Park
from .pareto import combine

MIN_FLOW_SHARE = 1e-4


@dataclass
class AlternativesResult:
    """The cost optimum and up to ``requested`` structurally different near-optimal designs.

    ``frame`` has one row per design (the optimum first): ``design``, absolute ``cost``,
    ``virgin``, ``co2e``, ``links`` (number used), ``cost_vs_optimum_pct``, ``gap``,
    ``status``.
    """

    optimum: Solution
    alternatives: list[Solution]
    requested: int
    within_pct: float
    cost_bound: float
    frame: pd.DataFrame
    stopped: str = ""
    seconds: float = 0.0

    @property
    def designs(self) -> list[Solution]:
        return [self.optimum, *self.alternatives]


def add_alternative_limits(
    m: pyo.ConcreteModel, cost: float, objective: float, slack: float
) -> None:
    r"""Near-optimality and "built means used" for the alternatives search.

    .. math:: C \le C^* + s + τ, \qquad \hat C \le \hat C^* + s + τ, \qquad
              F_l \ge μ U_l B_l \ (U_l > 0), \qquad B_l = 0 \ (U_l = 0)
    """
    m.alternative_cost_limit = pyo.Constraint(
        expr=m.Cost <= cost + slack + tolerance(cost), doc="design cost within the slack"
    )
    m.alternative_objective_limit = pyo.Constraint(
        expr=objective_expression(m, "cost") <= objective + slack + tolerance(objective),
        doc="cost against baseline within the slack",
    )
    upper = m.links["upper"].to_dict()

    def rule(m, l):
        if upper[l] <= 0:
            return m.Build[l] <= 0
        return m.Flow[l] >= MIN_FLOW_SHARE * upper[l] * m.Build[l]

    if m.BUILT_LINKS:
        m.alternative_min_flow = pyo.Constraint(
            m.BUILT_LINKS, rule=rule, doc="a built link carries flow"
        )
    m.alternative_cuts = pyo.ConstraintList(doc="exclude designs already found")


def add_cut(m: pyo.ConcreteModel, used: set) -> None:
    r"""No-good cut: the next design's link set differs from ``used``.

    .. math:: \sum_{l \in S} (1 - B_l) + \sum_{l \notin S} B_l \ge 1
    """
    m.alternative_cuts.add(
        sum(1 - m.Build[l] for l in used) + sum(m.Build[l] for l in m.BUILT_LINKS if l not in used)
        >= 1
    )


def structure(m: pyo.ConcreteModel, designs: list[set]):
    r"""Overlap with the designs found, plus the unused share of the links built.

    .. math:: Σ = \sum_l w_l B_l + \frac{1}{2|L|} \sum_{l \in L} (B_l - F_l / U_l)
    """
    weight = Counter(l for d in designs for l in d)
    upper = m.links["upper"].to_dict()
    overlap = sum(w * m.Build[l] for l, w in weight.items())
    built = [l for l in m.BUILT_LINKS if upper[l] > 0]
    if not built:
        return overlap
    unused = sum(m.Build[l] - m.Flow[l] / upper[l] for l in built)
    return overlap + (0.5 / len(built)) * unused


def next_design(m: pyo.ConcreteModel, designs: list[set], options: SolveOptions) -> SolveResult:
    """Least structure, then least cost with the structure held (values left in the model)."""
    m.del_component(m.objective)
    m.objective = pyo.Objective(expr=structure(m, designs), sense=pyo.minimize)
    first = solve(m, options)
    if not first.has_solution:
        return first
    best = float(first.objective)
    m.alternative_structure_hold = pyo.Constraint(
        expr=structure(m, designs) <= best + tolerance(best)
    )
    try:
        set_objective(m, "cost")
        second = solve(m, options)
    finally:
        m.del_component(m.alternative_structure_hold)
    # without a second solution the first stage's values are still in the model
    return combine([first, second]) if second.has_solution else combine([first])


def remove_alternative_helpers(m: pyo.ConcreteModel) -> None:
    for name in (
        "alternative_structure_hold",
        "alternative_cost_limit",
        "alternative_objective_limit",
        "alternative_min_flow",
        "alternative_cuts",
    ):
        if hasattr(m, name):
            m.del_component(name)
    set_objective(m, "cost")


def alternatives(
    park: Park, k: int, within_pct: float, options: RunOptions = RunOptions()
) -> AlternativesResult:
    """The cost optimum, then up to ``k`` designs with new link sets within ``within_pct`` %.

    The search is always around the least-cost design (``options.objective`` is not used);
    ``options`` time limit and gap apply to each solve (two per alternative). Stops early,
    without error, when no further design fits the cost bound (see ``stopped``).
    """
    problems = []
    if int(k) < 0:
        problems.append(f"number of alternatives {k}: must be ≥ 0")
    if not within_pct >= 0:
        problems.append(f"cost slack {within_pct} %: must be ≥ 0")
    if problems:
        raise InputError(problems)
    started = time.perf_counter()
    solve_options = options.solve_options(park)
    _, m = prepare(park)
    set_objective(m, "cost")
    result = solve(m, solve_options)
    check_result(m, result, solve_options)
    optimum = extract_solution(m, result)
    cost = float(pyo.value(m.Cost))
    objective = float(result.objective)
    slack = abs(cost) * within_pct / 100.0
    found: list[Solution] = []
    designs = [set(optimum.used_links.index)]
    stopped = ""
    add_alternative_limits(m, cost, objective, slack)
    try:
        for _ in range(int(k)):
            add_cut(m, designs[-1])
            step = next_design(m, designs, solve_options)
            if not step.has_solution:
                stopped = (
                    f"no further design within {within_pct:g} % of the optimum cost"
                    if step.status == "infeasible"
                    else f"the search stopped: {step.status} ({step.message})"
                )
                break
            design = extract_solution(m, step)
            used = set(design.used_links.index)
            if used in designs:  # cannot happen with the cuts; never report a repeat
                stopped = "the solver returned a design already found"
                break
            designs.append(used)
            found.append(design)
    finally:
        remove_alternative_helpers(m)
    frame = alternatives_frame(optimum, found)
    return AlternativesResult(
        optimum=optimum,
        alternatives=found,
        requested=int(k),
        within_pct=float(within_pct),
        cost_bound=cost + slack,
        frame=frame,
        stopped=stopped,
        seconds=time.perf_counter() - started,
    )


def alternatives_frame(optimum: Solution, found: list[Solution]) -> pd.DataFrame:
    best = optimum.metrics["cost"]["design"]
    rows = []
    for n, s in enumerate([optimum, *found]):
        c = s.metrics["cost"]["design"]
        rows.append(
            {
                "design": "optimum" if n == 0 else f"alternative {n}",
                **{k: s.metrics[k]["design"] for k in METRICS},
                "links": len(s.used_links),
                "cost_vs_optimum_pct": 100.0 * (c - best) / abs(best) if best else np.nan,
                "gap": s.gap,
                "status": s.status,
            }
        )
    return pd.DataFrame(rows)
