"""Solving a built model in stages, and timing the phases of a run.

The objectives virgin and co2e are solved lexicographically: first the objective, then cost
with the objective held at its optimum (docs/model.md: ties are broken by cost). Every route that
solves a model — the whole park, a decomposed piece, an analysis — goes through
:func:`solve_stages`, so the tie-break and the merged result mean the same everywhere; a
piece built straight in standard form (:mod:`.standard_form`) is solved in the same stages.
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
from .standard_form import StandardForm, pyomo_twin
from .vocabulary import TIE_BROKEN, tolerance

Model = pyo.ConcreteModel | StandardForm  # a Pyomo model, or a piece built in standard form

Progress = Callable[[str, float, str], None]  # phase, seconds, note


class Timer:
    """Seconds per named phase, reported on stderr by the CLI and in RunInfo."""

    def __init__(self, progress: Progress | None = None):
        self.seconds: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float, note: str = "") -> None:
        """Seconds of a phase measured elsewhere (e.g. the pieces of a decomposed solve,
        added up over the pieces), reported as a phase timed here would be, with ``note``
        (what was added up) beside its name on the console."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        if self.progress:
            self.progress(name, seconds, note)


def solve_stages(
    model: Model, options: SolveOptions, timer: Timer, check: bool = True
) -> tuple[SolveResult, list[SolveResult]]:
    """Solve the model's objective, then break ties by cost for virgin / co2e (the values
    stay in the model). Returns the run's result and each stage's; with ``check`` an
    infeasible model or a solve without any design raises (:func:`check_result`)."""
    primary = model.objective_name
    secondary = "cost" if primary in TIE_BROKEN else None
    return solve_lexicographic(model, primary, secondary, options, timer, check)


def solve_lexicographic(
    model: Model,
    primary: str,
    secondary: str | None,
    options: SolveOptions,
    timer: Timer | None = None,
    check: bool = True,
) -> tuple[SolveResult, list[SolveResult]]:
    r"""Minimise ``primary``; then, if ``secondary`` is given, minimise it with the primary
    held at its optimum, in the time the first stage left:

    .. math:: \min \hat s \ \text{s.t.}\ \hat p \le \hat p^* + τ,
              \quad τ = 10^{-6} \max(1, |\hat p^*|)

    The result is :func:`merge_stages` of the stages. When the second stage finds no design
    the first stage's values are still in the model (a solve without a design writes none)
    and its result is the run's. The model's objective is ``primary`` afterwards.
    """
    timer = timer or Timer()
    started = time.perf_counter()
    if model.objective_name != primary:
        _set_objective(model, primary)
    with timer.phase("solve"):
        first = _solve(model, options)
    if check:
        check_result(model, first, options)
    if secondary is None or not first.has_solution:
        return first, [first]
    remaining = max(options.time_limit - (time.perf_counter() - started), 1.0)
    best = float(first.objective)
    try:
        with _held(model, primary, best + tolerance(best)):
            _set_objective(model, secondary)
            with timer.phase("solve"):
                second = _solve(model, replace(options, time_limit=remaining))
    finally:
        _set_objective(model, primary)
    result = merge_stages(first, second) if second.has_solution else first
    return result, [first, second]


def _solve(model: Model, options: SolveOptions) -> SolveResult:
    return model.solve(options) if isinstance(model, StandardForm) else solve(model, options)


def _set_objective(model: Model, name: str) -> None:
    if isinstance(model, StandardForm):
        model.set_objective(name)
    else:
        set_objective(model, name)


@contextmanager
def _held(model: Model, name: str, bound: float):
    """Objective ``name`` at most ``bound`` inside the block (one more row)."""
    if isinstance(model, StandardForm):
        with model.hold(name, bound):
            yield
        return
    model.lexicographic = pyo.Constraint(
        expr=objective_expression(model, name) <= bound, doc="hold the primary objective"
    )
    try:
        yield
    finally:
        model.del_component(model.lexicographic)


def check_result(model: Model, result: SolveResult, options: SolveOptions) -> None:
    """Raise for an infeasible model (with the data that conflicts) or no solution at all."""
    if result.status == "infeasible":
        if isinstance(model, StandardForm):  # explained on the same piece in Pyomo
            model = pyomo_twin(model)
        raise InfeasibleError(explain_infeasibility(model, options))
    require_solution(result)


def merge_stages(first: SolveResult, second: SolveResult) -> SolveResult:
    """The run's result: optimal only when both stages are; the primary objective's value,
    bound and gap; both stages' time; the tie-break's gap, status, objective and bound in
    ``extra``."""
    merged = replace(first, extra=dict(first.extra), warnings=list(first.warnings))
    merged.status = "optimal" if first.status == second.status == "optimal" else "time_limit"
    merged.seconds = first.seconds + second.seconds
    merged.extra.update(
        tie_break_gap=second.gap,
        tie_break_status=second.status,
        tie_break_objective=second.objective,
        tie_break_bound=second.bound,
    )
    return merged
