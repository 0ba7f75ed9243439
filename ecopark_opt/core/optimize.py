"""The core pipeline: park → candidate links → checks → model → HiGHS → solution.

Analyses (Pareto, resilience, scenarios) call these same steps; nothing here knows about
reports or the command line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd

from ..errors import InfeasibleError
from ..inputs.presolve import presolve_problems
from ..park import Park
from . import coupled, decompose
from .links import candidate_links
from .park_model import ParkModel
from .pool import Executor
from .prune import prune_links
from .solution import Solution
from .solve import SolveOptions
from .stages import Timer, solve_stages
from .standard_form import supports

MIN_SOLVE_SECONDS = 1.0  # no solve is started with less time than this
WRITE_SHARE = 0.05  # the last part of a command's time limit is kept for writing its outputs


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
    executor: str = "local"  # where components run side by side: local processes or dask
    scheduler: str | None = None  # the Dask scheduler (None: a LocalCluster of ``workers``)
    # the whole command's time limit (docs/cli.md): when ``started`` is set, every solve ends
    # by ``started`` + the time limit; ``share`` is the part of what is left a solve may use
    started: float | None = None  # time.monotonic() when the command started
    share: float = 1.0

    def time_limit_s(self, park: Park) -> float:
        """The time limit: the option's, else the workbook's ``time_limit_s``."""
        return self.time_limit if self.time_limit is not None else park.settings.time_limit_s

    def seconds_left(self, park: Park) -> float:
        """What is left of the command's time limit for solving (the whole limit when not
        started): the last ``WRITE_SHARE`` of it is kept for writing the outputs."""
        if self.started is None:
            return self.time_limit_s(park)
        budget = (1.0 - WRITE_SHARE) * self.time_limit_s(park)
        return budget - (time.monotonic() - self.started)

    def out_of_time(self, park: Park) -> bool:
        """Too little time left to start another solve (docs/cli.md)."""
        return self.started is not None and self.seconds_left(park) < MIN_SOLVE_SECONDS

    def pool(self) -> Executor:
        """Where the components of a decomposed solve run (:mod:`.pool`)."""
        workers = 1 if self.executor == "serial" else self.workers
        return Executor(self.executor, workers, self.scheduler)

    def solve_options(self, park: Park, share: float | None = None) -> SolveOptions:
        """Solver options for one solve: the time limit is ``share`` (default ``self.share``)
        of what is left of the command's limit, at least ``MIN_SOLVE_SECONDS``."""
        s = park.settings
        limit = self.time_limit_s(park)
        if self.started is not None:
            part = self.share if share is None else share
            limit = min(limit, max(part * self.seconds_left(park), MIN_SOLVE_SECONDS))
        return SolveOptions(
            time_limit=limit,
            mip_gap=self.mip_gap if self.mip_gap is not None else s.mip_gap,
            threads=self.threads if self.threads is not None else s.threads,
            seed=self.seed,
            log=self.log,
        )


def prepare(park: Park, timer: Timer | None = None) -> ParkModel:
    """Candidate links, pre-solve checks and the built model (every candidate link, so that
    analyses may change the objective or add constraints)."""
    timer = timer or Timer()
    links = checked_links(park, timer)
    with timer.phase("build model"):
        return ParkModel.build(park, links)


def checked_links(park: Park, timer: Timer) -> pd.DataFrame:
    """Candidate links, after the pre-solve checks (which raise :class:`InfeasibleError`)."""
    with timer.phase("candidate links"):
        links = candidate_links(park)
    with timer.phase("pre-solve checks"):
        problems = presolve_problems(park, links)
    if problems:
        raise InfeasibleError(problems)
    return links


def optimize(
    park: Park, options: RunOptions = RunOptions(), timer: Timer | None = None
) -> Solution:
    """Design the park: the optimum of the chosen objective, ties broken by cost."""
    return _design(park, options, timer, keep_model=False)[1]


def design_park(
    park: Park,
    options: RunOptions = RunOptions(),
    timer: Timer | None = None,
    keep_model: bool = True,
) -> tuple[ParkModel | None, Solution]:
    """Like :func:`optimize`, also returning the built model for analyses to re-use: it has
    every candidate link, and its variables hold the design. With ``keep_model`` False the
    model is returned only when the solve built it anyway (None after a decomposed solve)."""
    return _design(park, options, timer, keep_model)


def _design(
    park: Park, options: RunOptions, timer: Timer | None, keep_model: bool
) -> tuple[ParkModel | None, Solution]:
    """Links → (pruning) → one model, or independent components solved apart.

    Pruned links stay in the model with ``Build`` and ``Flow`` fixed at 0 for the solve and
    released afterwards, so the model handed back is the full one. When the park splits into
    components (:func:`.decompose.plan_pieces`), each is built and solved on its own and the
    full model is built afterwards only if ``keep_model``. A park solved whole is built
    straight in standard form when nothing needs its Pyomo model afterwards and every
    family it holds is built there (:func:`.decompose.solve_whole`). A park that candidate
    firms couple into one model is solved whole from a settled start (:mod:`.coupled`).
    """
    timer = timer or Timer()
    park = with_objective(park, options.objective)
    links = checked_links(park, timer)
    kept = links
    if options.prune:
        with timer.phase("prune"):
            kept = prune_links(park, links)
    solve_options = options.solve_options(park)
    pieces = decompose.plan_pieces(park, kept, solve_options.mip_gap) if options.decompose else None
    if pieces is not None:
        solution, values = decompose.solve_by_pieces(
            park, kept, links, pieces, solve_options, timer, options.pool()
        )
        solution.result.extra["pruned links"] = len(links) - len(kept)
        model = None
        if keep_model:
            with timer.phase("build full model"):
                model = ParkModel.build(park, links)
            decompose.load_values(model.m, values)
        return model, solution
    if options.decompose and not keep_model and supports(park):
        solution = decompose.solve_whole(park, kept, links, solve_options, timer)
        if len(links) > len(kept):
            solution.result.extra["pruned links"] = len(links) - len(kept)
        return None, solution
    with timer.phase("build model"):
        model = ParkModel.build(park, links)
    pruned = links.index.difference(kept.index)
    with model.fixed(links_off=pruned):
        if options.decompose and coupled.applies(model, kept):
            solution = coupled.solve_coupled(model, kept, solve_options, timer, options.pool())
        else:
            solution = solve_model(model, solve_options, timer)
    if len(pruned):
        solution.result.extra["pruned links"] = len(pruned)
    return model, solution


def with_objective(park: Park, objective: str | None) -> Park:
    """The park with settings.objective overridden (the input park is left unchanged)."""
    if objective is None or objective == park.settings.objective:
        return park
    return replace(park, settings=park.settings.with_(objective=objective))


def solve_model(model: ParkModel, options: SolveOptions, timer: Timer) -> Solution:
    """Solve a built model (lexicographically for virgin / co2e) and extract the design."""
    result, stages = solve_stages(model.m, options, timer)
    with timer.phase("extract"):
        solution = model.solution(result)
    solution.timings = timer.seconds
    solution.stage_results = stages
    return solution
