"""The core pipeline: park → candidate links → checks → model → HiGHS → solution.

Analyses (Pareto, resilience, scenarios) call these same steps; nothing here knows about
reports or the command line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .errors import InfeasibleError
from .links import candidate_links
from .model import build_model, objective_expression, set_objective
from .park import Park
from .solution import Solution, extract_solution
from .solve import SolveOptions, SolveResult, require_solution, solve

LEXICOGRAPHIC_TOL = 1e-6


@dataclass(frozen=True)
class RunOptions:
    """Command-line overrides of the workbook's settings; None keeps the workbook's value."""

    objective: str | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    log: bool = False

    def solve_options(self, park: Park) -> SolveOptions:
        s = park.settings
        return SolveOptions(
            time_limit=self.time_limit if self.time_limit is not None else s.time_limit_s,
            mip_gap=self.mip_gap if self.mip_gap is not None else s.mip_gap,
            threads=self.threads if self.threads is not None else s.threads,
            seed=self.seed,
            log=self.log,
        )


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


def prepare(park: Park, timer: Timer | None = None) -> tuple[pd.DataFrame, pyo.ConcreteModel]:
    """Candidate links, pre-solve checks and the built model."""
    timer = timer or Timer()
    with timer.phase("candidate links"):
        links = candidate_links(park)
    with timer.phase("pre-solve checks"):
        problems = presolve_problems(park, links)
    if problems:
        raise InfeasibleError(problems)
    with timer.phase("build model"):
        model = build_model(park, links)
    return links, model


def optimize(park: Park, options: RunOptions = RunOptions(), timer: Timer | None = None
             ) -> Solution:
    """Design the park: the optimum of the chosen objective, ties broken by cost."""
    return design_park(park, options, timer)[1]


def design_park(park: Park, options: RunOptions = RunOptions(), timer: Timer | None = None
                ) -> tuple[pyo.ConcreteModel, Solution]:
    """Like :func:`optimize`, also returning the built model for analyses to re-use."""
    timer = timer or Timer()
    park = with_objective(park, options.objective)
    _, model = prepare(park, timer)
    return model, solve_model(model, options.solve_options(park), timer)


def with_objective(park: Park, objective: str | None) -> Park:
    """The park with settings.objective overridden (the input park is left unchanged)."""
    if objective is None or objective == park.settings.objective:
        return park
    return replace(park, settings=park.settings.with_(objective=objective))


def solve_model(model: pyo.ConcreteModel, options: SolveOptions, timer: Timer) -> Solution:
    """Solve a built model (lexicographically for virgin / co2e) and extract the design."""
    started = time.perf_counter()
    with timer.phase("solve"):
        result = solve(model, options)
    check_result(model, result, options)
    stages = [result]
    if model.objective_name in ("virgin", "co2e"):
        remaining = max(options.time_limit - (time.perf_counter() - started), 1.0)
        with timer.phase("solve"):
            second = tie_break_by_cost(model, result, _with_time(options, remaining))
        stages.append(second)
        if second.has_solution:
            result = merge_stages(result, second)
        else:  # keep the first stage's design: put its values back
            with timer.phase("solve"):
                set_objective(model, model.objective_name)
                result = solve(model, options)
    with timer.phase("extract"):
        solution = extract_solution(model, result)
    solution.timings = timer.seconds
    solution.stage_results = stages
    return solution


def check_result(model: pyo.ConcreteModel, result: SolveResult, options: SolveOptions) -> None:
    """Raise for an infeasible model (with the data that conflicts) or no solution at all."""
    if result.status == "infeasible":
        from .diagnose import explain_infeasibility

        raise InfeasibleError(explain_infeasibility(model, options))
    require_solution(result)


def tie_break_by_cost(model: pyo.ConcreteModel, first: SolveResult,
                      options: SolveOptions) -> SolveResult:
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


def _with_time(options: SolveOptions, seconds: float) -> SolveOptions:
    return SolveOptions(time_limit=seconds, mip_gap=options.mip_gap, threads=options.threads,
                        seed=options.seed, log=options.log)


# --- pre-solve checks ----------------------------------------------------------------------


def presolve_problems(park: Park, links: pd.DataFrame) -> list[str]:
    """Infeasibilities visible in the data, each naming the cell to change.

    Only rows of firms that must be in the park (existing, must_join) are checked: a
    candidate that cannot be served is simply not admitted.
    """
    flows = park.flows
    firms = park.firms
    resources = park.resources
    fixed_in = set(firms.index[(firms["status"] == "existing") | firms["must_join"].astype(bool)])
    demand = flows[(flows["direction"] == "demand") & flows["firm_id"].isin(fixed_in)
                   & (flows["quantity"] > 0)]
    reach = (links["upper"] * links["delivered_factor"]).groupby(links["demand_flow"]).sum()
    problems: list[str] = []
    needed: dict[str, float] = {}
    for j, row in demand.iterrows():
        possible = min(float(reach.get(j, 0.0)), float(row["quantity"]))
        unit = resources.at[row["resource_id"], "unit"]
        if np.isnan(row["price"]):
            if possible < row["quantity"] * (1 - 1e-9):
                price_cell = park.cell("resources", "virgin_price",
                                       int(resources.at[row["resource_id"], "excel_row"]))
                problems.append(
                    f"{park.flow_cell(j)} (quantity): {row['firm_id']} needs "
                    f"{row['quantity']:g} {unit} of {row['resource_id']}, which cannot be "
                    f"bought ({price_cell} virgin_price is blank) and at most {possible:g} can be "
                    "delivered by candidate links"
                )
        else:
            needed[row["resource_id"]] = needed.get(row["resource_id"], 0.0) + (
                row["quantity"] - possible
            )
        problems.extend(_quality_problems(park, links, j, row))
    for r, cap in resources["max_virgin"].dropna().items():
        if needed.get(r, 0.0) > cap * (1 + 1e-9) + 1e-9:
            problems.append(
                f"{park.cell('resources', 'max_virgin', int(resources.at[r, 'excel_row']))} "
                f"(max_virgin): {r} purchase is capped at {cap:g} but at least "
                f"{needed[r]:g} must be bought even if every candidate link were used"
            )
    for f in firms.index[(firms["status"] == "candidate") & firms["must_join"].astype(bool)]:
        if firms.at[f, "site"] is None and not firms.at[f, "allowed_sites"]:
            problems.append(
                f"{park.cell('firms', 'must_join', int(firms.at[f, 'excel_row']))} (must_join): "
                f"{f} must join but has no plot to stand on"
            )
    return problems


def _quality_problems(park: Park, links: pd.DataFrame, j: str, row: pd.Series) -> list[str]:
    """A limit that neither the virgin resource nor any candidate source meets."""
    out = []
    resources = park.resources
    sources = links.loc[links["demand_flow"] == j, "supply_flow"]
    for k in park.property_names:
        limit = row[k]
        if np.isnan(limit):
            continue
        virgin = float(resources.at[row["resource_id"], k])
        virgin_ok = not np.isnan(row["price"]) and virgin <= limit + 1e-12
        source_ok = (park.flows.loc[sources, k].astype(float) <= limit + 1e-12).any()
        if not virgin_ok and not source_ok:
            out.append(
                f"{park.flow_cell(j, k)} ({k}): {row['firm_id']} accepts at most {limit:g} "
                f"{k} in {row['resource_id']}, but the virgin resource has {virgin:g} and no "
                "candidate source is that clean"
            )
    return out
