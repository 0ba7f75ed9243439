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
from .links import candidate_links, prune_links
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
    # how the model is solved; none of these changes the optimum (benchmarks/formulation.py)
    prune: bool = True  # drop links that can never pay (links.prune_links)
    decompose: bool = True  # solve independent components apart (decompose.py)
    workers: int = 1  # > 1: solve components in that many worker processes

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
    """Candidate links, pre-solve checks and the built model (every candidate link, so that
    analyses may change the objective or add constraints)."""
    timer = timer or Timer()
    links = checked_links(park, timer)
    with timer.phase("build model"):
        model = build_model(park, links)
    return links, model


def checked_links(park: Park, timer: Timer) -> pd.DataFrame:
    """Candidate links, after the pre-solve checks (which raise :class:`InfeasibleError`)."""
    with timer.phase("candidate links"):
        links = candidate_links(park)
    with timer.phase("pre-solve checks"):
        problems = presolve_problems(park, links)
    if problems:
        raise InfeasibleError(problems)
    return links


def optimize(park: Park, options: RunOptions = RunOptions(), timer: Timer | None = None
             ) -> Solution:
    """Design the park: the optimum of the chosen objective, ties broken by cost."""
    return _design(park, options, timer, keep_model=False)[1]


def design_park(park: Park, options: RunOptions = RunOptions(), timer: Timer | None = None,
                keep_model: bool = True) -> tuple[pyo.ConcreteModel | None, Solution]:
    """Like :func:`optimize`, also returning the built model for analyses to re-use: it has
    every candidate link, and its variables hold the design. With ``keep_model`` False the
    model is returned only when the solve built it anyway (None after a decomposed solve)."""
    return _design(park, options, timer, keep_model)


def _design(park: Park, options: RunOptions, timer: Timer | None, keep_model: bool
            ) -> tuple[pyo.ConcreteModel | None, Solution]:
    """Links → (pruning) → one model, or independent components solved apart.

    Pruned links stay in the model with ``Build`` and ``Flow`` fixed at 0 for the solve and
    released afterwards, so the model handed back is the full one. When the park splits into
    components (:func:`.decompose.plan_pieces`), each is built and solved on its own and the
    full model is built afterwards only if ``keep_model``.
    """
    from . import decompose

    timer = timer or Timer()
    park = with_objective(park, options.objective)
    links = checked_links(park, timer)
    kept = links
    if options.prune:
        with timer.phase("prune"):
            kept = prune_links(park, links)
    solve_options = options.solve_options(park)
    pieces = decompose.plan_pieces(park, kept) if options.decompose else None
    if pieces is not None:
        solution, values = decompose.solve_by_pieces(park, kept, links, pieces, solve_options,
                                                     timer, options.workers)
        solution.result.extra["pruned links"] = len(links) - len(kept)
        model = None
        if keep_model:
            with timer.phase("build full model"):
                model = build_model(park, links)
            decompose.load_values(model, values)
        return model, solution
    with timer.phase("build model"):
        model = build_model(park, links)
    pruned = links.index.difference(kept.index)
    with links_fixed_off(model, pruned):
        solution = solve_model(model, solve_options, timer)
    if len(pruned):
        solution.result.extra["pruned links"] = len(pruned)
    return model, solution


@contextmanager
def links_fixed_off(model: pyo.ConcreteModel, ids: pd.Index):
    """Links ``ids`` fixed off (Build = Flow = 0) inside the block, released after it."""
    for l in ids:
        model.Flow[l].fix(0)
        if l in model.Build:
            model.Build[l].fix(0)
    try:
        yield
    finally:
        for l in ids:
            model.Flow[l].unfix()
            if l in model.Build:
                model.Build[l].unfix()


def with_objective(park: Park, objective: str | None) -> Park:
    """The park with settings.objective overridden (the input park is left unchanged)."""
    if objective is None or objective == park.settings.objective:
        return park
    return replace(park, settings=park.settings.with_(objective=objective))


def solve_model(model: pyo.ConcreteModel, options: SolveOptions, timer: Timer) -> Solution:
    """Solve a built model (lexicographically for virgin / co2e) and extract the design."""
    result, stages = solve_stages(model, options, timer)
    with timer.phase("extract"):
        solution = extract_solution(model, result)
    solution.timings = timer.seconds
    solution.stage_results = stages
    return solution


def solve_stages(model: pyo.ConcreteModel, options: SolveOptions, timer: Timer
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
            second = tie_break_by_cost(model, result, _with_time(options, remaining))
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
    for k in park.property_names:
        limit = row[k]
        if np.isnan(limit):
            continue
        virgin = float(resources.at[row["resource_id"], k])
        virgin_ok = not np.isnan(row["price"]) and virgin <= limit + 1e-12
        if virgin_ok:  # the common case; the sources are looked up only when needed
            continue
        sources = links.loc[links["demand_flow"] == j, "supply_flow"]
        source_ok = (park.flows.loc[sources, k].astype(float) <= limit + 1e-12).any()
        if not source_ok:
            out.append(
                f"{park.flow_cell(j, k)} ({k}): {row['firm_id']} accepts at most {limit:g} "
                f"{k} in {row['resource_id']}, but the virgin resource has {virgin:g} and no "
                "candidate source is that clean"
            )
    return out
