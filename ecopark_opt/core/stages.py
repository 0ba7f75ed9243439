"""Solving a built model in stages, and timing the phases of a run.

The objectives virgin and co2e are solved lexicographically: first the objective, then cost
with the objective held at its optimum (SPEC §3: ties are broken by cost). Every route that
solves a model — the whole park, a decomposed piece, an analysis — goes through
:func:`solve_stages`, so the tie-break and the merged result mean the same everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace

import pyomo.environ as pyo

from ..errors import InfeasibleError
from .diagnose import explain_infeasibility
from .model import objective_expression, set_objective
from .solve import SolveOptions, SolveResult, require_solution, solve

LEXICOGRAPHIC_TOL = 1e-6


Progress = Callable[[str, float], None]


class Timer:
    """Seconds per named phase, reported on stderr by the CLI and in RunInfo."""

    def __init__(self, progress: Progress | None = None):
        self.seconds: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
        if self.progress:
            self.progress(name, elapsed)


def solve_stages(
    model: pyo.ConcreteModel, options: SolveOptions, timer: Timer
) -> tuple[SolveResult, list[SolveResult]]:
    """Solve (then break ties by cost for virgin / co2e); the values stay in the model.
    Returns the run's result and each stage's."""
    started = time.perf_counter()
    with timer.phase("solve"):
        result = solve(model, options)
    check_result(model, result, options)
    stages = [result]
    if model.objective_name in ("virgin", "co2e"):
        remaining = max(options.time_limit - (time.perf_counter() - started), 1.0)
        with timer.phase("solve"):
            second = tie_break_by_cost(model, result, replace(options, time_limit=remaining))
        stages.append(second)
        if second.has_solution:
            result = merge_stages(result, second)
        else:  # keep the first stage's design: put its values back
            with timer.phase("solve"):
                set_objective(model, model.objective_name)
                result = solve(model, options)
    return result, stages


def check_result(model: pyo.ConcreteModel, result: SolveResult, options: SolveOptions) -> None:
    """Raise for an infeasible model (with the data that conflicts) or no solution at all."""
    if result.status == "infeasible":
        raise InfeasibleError(explain_infeasibility(model, options))
    require_solution(result)


def tie_break_by_cost(
    model: pyo.ConcreteModel, first: SolveResult, options: SolveOptions
) -> SolveResult:
    """Second lexicographic stage: hold the primary objective at its optimum, minimise cost."""
    name = model.objective_name
    best = first.objective
    tol = LEXICOGRAPHIC_TOL * max(1.0, abs(best))
    model.lexicographic = pyo.Constraint(expr=objective_expression(model, name) <= best + tol)
    model.del_component(model.objective)
    model.objective = pyo.Objective(expr=objective_expression(model, "cost"))
    try:
        return solve(model, options)
    finally:
        model.del_component(model.lexicographic)
        model.del_component(model.objective)
        model.objective = pyo.Objective(expr=objective_expression(model, name))


def merge_stages(first: SolveResult, second: SolveResult) -> SolveResult:
    """The run's result: the primary objective's status and gap, both stages' time."""
    status = "optimal" if first.status == second.status == "optimal" else "time_limit"
    merged = SolveResult(**{**first.__dict__})
    merged.status = status
    merged.seconds = first.seconds + second.seconds
    merged.extra = {"tie_break_gap": second.gap, "tie_break_status": second.status}
    return merged
