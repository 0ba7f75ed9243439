"""Solve a park as independent pieces when nothing in the model links them.

A link joins one supply row to one demand row. When no constraint sums over more than that,
the connected components of the bipartite graph *supply rows ↔ demand rows* (edges: the
candidate links) are separate MILPs: the optimum of the park is the sum of the optima of the
components. HiGHS does not split a model this way itself, and a branch-and-bound tree over
several independent problems is far larger than the trees of the pieces, so solving each
piece on its own reaches a given gap much sooner (see ``benchmarks/formulation.py``).

Which constraints couple rows (docs/model.md) is declared by the constraint families
themselves (:mod:`.families`):

- per demand row — quality limits and the dependency limit: inside one component;
- ``max_virgin`` sums the purchases of every demand row of a resource: the family *joins*
  the demand rows of a capped resource into one component;
- admission of a candidate firm (its ``Admit`` multiplies all its rows), ``max_links`` (all
  links) and ``win_win`` (a firm's gain sums its links across resources) *couple*
  everything: :func:`coupling` names them and the park is solved whole.

Each component is a sub-park (its rows and their firms, every other table unchanged) with its
own standalone baseline, so its objective, gap and cost tie-break (virgin / co2e) mean what
they mean for the whole park; objectives and bounds add up. Components without links (rows
that can only buy or discharge) and very small components are solved together in batches.

The merged design is turned into the same :class:`~ecopark_opt.solution.Solution` as a
monolithic solve (:func:`~ecopark_opt.solution.build_solution` over every candidate link).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import InfeasibleError, SolverError
from ..park import Park
from .families import coupling_reasons, joined_rows
from .model import build_model
from .pool import Executor, Pool, TaskFailure, open_pool
from .solution import VARIABLES, Solution, build_solution
from .solve import SolveOptions, SolveResult, relative_gap
from .stages import Model, Timer, solve_stages
from .standard_form import StandardForm, build_form, supports
from .vocabulary import tolerance

BATCH_LINKS = 200  # components with fewer links are solved together, up to this many links
# the route (benchmarks/seeds.py): a gap target at least ONE_MODEL_GAP on a park of at most
# ONE_MODEL_LINKS links (after pruning) is reached sooner by one model than by components
ONE_MODEL_GAP = 1e-2
ONE_MODEL_LINKS = 50_000
MIN_SECONDS = 1.0  # least time limit given to one piece
FIRST_PASS = 0.5  # share of the budget for the first pass over every piece
FIRST_CAP = 10.0  # longest first-pass time limit of one piece
# the first pass aims at FIRST_LOOSENESS × the park's gap target, and at least FIRST_GAP: a
# good design for every piece, quickly (benchmarks/README.md, "A looser first pass")
FIRST_GAP = 1e-2
FIRST_LOOSENESS = 3.0
MAX_ROUNDS = 20  # rounds after the first pass (limits double each round)
PIECE_SHARE = 0.1  # in the rounds a piece aims at this share of the park's gap
EXACT_GAP = 1e-6  # a run HiGHS calls optimal within this relative gap is proved (target 0)
WORKER_GRACE = 300.0  # seconds a worker may take beyond a run's time limit (build, start)

Values = dict[str, dict]  # variable name → {index: value}


@dataclass
class Piece:
    """Flows rows solved together, and the links between them (ids of the link frame)."""

    rows: list[str]
    links: list[int]
    components: int = 1  # components with links in the piece (batches hold several)


@dataclass
class PieceResult:
    """What solving one piece returned: plain data, so it can come back from a worker."""

    values: Values = field(default_factory=dict)
    result: SolveResult | None = None
    stages: list[SolveResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # build / solve phases
    infeasible: list[str] = field(default_factory=list)  # reasons, when infeasible
    error: str = ""  # a solver failure (no solution in the time limit)


def coupling(park: Park) -> str | None:
    """What makes the whole park one problem, in words (the first reason a constraint family
    gives, :func:`.families.coupling_reasons`); None when components are independent."""
    reasons = coupling_reasons(park)
    return reasons[0] if reasons else None


def component_labels(park: Park, links: pd.DataFrame) -> pd.Series:
    """Component number of every flows row: rows joined by a link, or by a constraint
    family that sums over them together (:func:`.families.joined_rows`, e.g. the demand rows
    of a resource with a max_virgin cap), share a number. Rows without links are components
    of their own."""
    rows = pd.Index(park.flows.index)
    a = [rows.get_indexer(links["supply_flow"])]
    b = [rows.get_indexer(links["demand_flow"])]
    for group in joined_rows(park):  # chain the rows of each group
        position = rows.get_indexer(group)
        a.append(position[:-1])
        b.append(position[1:])
    a, b = np.concatenate(a), np.concatenate(b)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(rows), len(rows)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=rows, name="component")


def one_model_first(links: int, mip_gap: float) -> bool:
    """The route rule: a loose gap target (at least ``ONE_MODEL_GAP``) on a park of at most
    ``ONE_MODEL_LINKS`` candidate links is reached sooner by solving the park as one model,
    even when it splits into independent components.

    Measured (benchmarks/seeds.py, 5 seeds per size): to 1 % HiGHS on the whole model of a
    200- or 500-firm park (7 k and 37 k links) needs a second or a few, while the components
    need several seconds to tens of seconds — every piece starts HiGHS and must reach the
    gap on its own. For tight targets (0.1 %) the components are faster at every size: one
    branch-and-bound tree over many independent problems grows far larger than theirs. For
    loose targets on larger parks (1 000 and 2 000 firms, 90 k and 220 k links) the whole
    model's time to 1 % has a long tail (89 s at 1 000 firms, more than 150 s at 2 000 on
    some seeds), where the components take 4–22 s on every seed, with medians of 7.9 s
    and 12.8 s against the whole model's 9.1 s and 19.2 s (benchmarks/README.md)."""
    return mip_gap >= ONE_MODEL_GAP and links <= ONE_MODEL_LINKS


def plan_pieces(
    park: Park, links: pd.DataFrame, mip_gap: float | None = None
) -> list[Piece] | None:
    """The pieces to solve, smallest first; None when the park must be solved whole
    (:func:`coupling`), has a single piece, or — given the gap target ``mip_gap`` — is
    solved sooner as one model (:func:`one_model_first`)."""
    if coupling(park) is not None:
        return None
    if mip_gap is not None and one_model_first(len(links), mip_gap):
        return None
    labels = component_labels(park, links)
    rows_of = labels.groupby(labels).groups
    links_of = links.groupby(labels.reindex(links["supply_flow"]).to_numpy()).groups
    components = sorted((len(links_of.get(c, ())), c) for c in rows_of)
    pieces: list[Piece] = []
    batch: Piece | None = None
    for size, c in components:
        rows, ids = list(rows_of[c]), list(links_of.get(c, ()))
        if size >= BATCH_LINKS:
            pieces.append(Piece(rows, ids))
            continue
        if batch is None or len(batch.links) + size > BATCH_LINKS:
            batch = Piece([], [], components=0)
            pieces.append(batch)
        batch.rows += rows
        batch.links += ids
        batch.components += 1 if size else 0
    if len(pieces) <= 1:
        return None
    return sorted(pieces, key=lambda p: len(p.links))


def sub_park(park: Park, rows: list[str]) -> Park:
    """The park restricted to some flows rows, the firms they belong to and the processes
    whose rows they are (a process's rows are always in one piece: they are joined)."""
    flows = park.flows.loc[rows]
    firms = park.firms.loc[park.firms.index.isin(flows["firm_id"])]
    processes = park.processes
    if park.has_processes:
        processes = processes.loc[processes.index.isin(flows["process"].dropna())]
    return replace(park, flows=flows, firms=firms, processes=processes)


def variable_values(m: pyo.ConcreteModel) -> Values:
    """Every decision's value, read once (unset values count as 0)."""
    return {
        name: {k: (v.value if v.value is not None else 0.0) for k, v in getattr(m, name).items()}
        for name in VARIABLES
    }


def load_values(m: pyo.ConcreteModel, values: Values) -> None:
    """Write a design's values into a model's variables (fixed variables keep theirs)."""
    for name in VARIABLES:
        var = getattr(m, name)
        given = values.get(name, {})
        for k, v in var.items():
            if not v.fixed:
                v.set_value(float(given.get(k, 0.0)), skip_validation=True)


def solve_piece(task: tuple[Park, pd.DataFrame, SolveOptions, Values | None]) -> PieceResult:
    """Build and solve one piece (in this process or a worker), starting from a design
    (None: standalone operation, no link built); plain data out."""
    park, links, options, start = task
    m, seconds = _build(park, links)
    _start_from(m, start)
    return _solve_built(m, options, seconds)


def _build(park: Park, links: pd.DataFrame) -> tuple[Model, dict[str, float]]:
    """A piece's model and the time it took to build: straight in standard form when the
    piece allows it (:func:`.standard_form.supports`), else in Pyomo."""
    began = time.perf_counter()
    m = build_form(park, links) if supports(park) else build_model(park, links)
    return m, {"build model": time.perf_counter() - began}


def _start_from(m: Model, start: Values | None) -> None:
    """Put a starting design into a piece's model: ``start``, or no link built."""
    if isinstance(m, StandardForm):
        m.set_start(start)
    elif start is None:
        for var in m.Build.values():
            var.set_value(0)
    else:
        load_values(m, start)


def _solve_built(
    m: Model, options: SolveOptions, seconds: dict[str, float] | None = None
) -> PieceResult:
    """Solve a piece's built model (the values stay in it)."""
    timer = Timer()
    timer.seconds.update(seconds or {})
    try:
        result, stages = solve_stages(m, options, timer)
    except InfeasibleError as exc:
        return PieceResult(infeasible=exc.reasons, seconds=timer.seconds)
    except SolverError as exc:
        return PieceResult(error=str(exc), seconds=timer.seconds)
    values = m.values() if isinstance(m, StandardForm) else variable_values(m)
    return PieceResult(values, result, stages, timer.seconds)


def solve_by_pieces(
    park: Park,
    links: pd.DataFrame,
    all_links: pd.DataFrame,
    pieces: list[Piece],
    options: SolveOptions,
    timer,
    workers: int | Executor = 1,
) -> tuple[Solution, Values]:
    """Solve every piece and merge them into one design over ``all_links``; the design's
    variable values too (for :func:`load_values`).

    ``links`` are the links the pieces use (after pruning), ``all_links`` every candidate
    (the solution lists them all; the others are not built). See :func:`solve_pieces`.
    """
    result, values = solve_pieces(park, links, pieces, options, timer, workers)
    return _design_solution(park, all_links, values, result, [result], timer), values


def solve_whole(
    park: Park, links: pd.DataFrame, all_links: pd.DataFrame, options: SolveOptions, timer
) -> Solution:
    """The park as one model built straight in standard form (a park that
    :func:`.standard_form.supports`, solved whole: one component, or a gap target that one
    model reaches sooner, :func:`one_model_first`), without Pyomo's build and hand-off; the
    design over ``all_links`` as :func:`solve_by_pieces` gives it.

    Measured (benchmarks/seeds.py, 5 seeds, to 1 %): building the whole park in Pyomo and
    handing it over took 0.5 s of a 0.9 s median at 200 firms and 1.4–2.5 s at 500 firms,
    where HiGHS alone needed 0.4 s and 1.8 s."""
    with timer.phase("build model"):
        form = build_form(park, links)
    result, stages = solve_stages(form, options, timer)
    return _design_solution(park, all_links, form.values(), result, stages, timer)


def _design_solution(
    park: Park,
    all_links: pd.DataFrame,
    values: Values,
    result: SolveResult,
    stages: list[SolveResult],
    timer,
) -> Solution:
    """The design of variable values solved without the Pyomo model, over every candidate
    link (``all_links``: the pruned ones are listed, not built)."""
    with timer.phase("extract"):
        periods = dict(enumerate(park.period_hours.index))  # the plain cases, in order
        solution = build_solution(
            park, all_links.copy(), values, result, park.settings.objective, periods
        )
    solution.timings = timer.seconds
    solution.stage_results = stages
    return solution


def solve_pieces(
    park: Park,
    links: pd.DataFrame,
    pieces: list[Piece],
    options: SolveOptions,
    timer,
    workers: int | Executor = 1,
) -> tuple[SolveResult, Values]:
    """Solve every piece of ``park`` over ``links``; the merged result (:func:`combine`)
    and the design's variable values. Raises :class:`InfeasibleError` when a piece is
    infeasible and :class:`SolverError` when one has no design.

    ``options.time_limit`` is the budget of the whole solve and ``options.mip_gap`` the gap
    the merged design must reach; see :func:`_solve_in_rounds`. ``workers`` > 1 solves
    pieces side by side in that many worker processes; an :class:`~.pool.Executor` says
    where (local processes or a Dask cluster: :mod:`.pool`); one HiGHS thread per worker
    unless ``options.threads`` says otherwise.
    """
    started = time.perf_counter()
    tasks = [(sub_park(park, p.rows), links.loc[p.links]) for p in pieces]
    executor = workers if isinstance(workers, Executor) else Executor("local", workers)
    # no more worker processes than pieces (a Dask scheduler's own workers are what it has)
    executor = replace(executor, workers=max(1, min(executor.workers, len(tasks))))
    if executor.side_by_side:
        if not options.threads:  # one HiGHS thread per worker process
            options = replace(options, threads=1)
        runner: _Runner = _OnPool(tasks, open_pool(executor))
    else:
        runner = _InThisProcess(tasks)
    try:
        outcomes = _solve_in_rounds(tasks, options, runner, park.settings.objective)
    finally:
        runner.close()
    phases: dict[str, float] = {}  # the pieces' build and solve seconds, added up
    for outcome in outcomes:
        for phase, seconds in outcome.seconds.items():
            phases[phase] = phases.get(phase, 0.0) + seconds
    note = f"{len(pieces)} pieces"
    if runner.workers > 1:
        note += f", added up over {runner.workers} workers"
    for phase, seconds in phases.items():
        timer.add(phase, seconds, note)
    reasons = [r for o in outcomes for r in o.infeasible]
    if reasons:
        raise InfeasibleError(reasons)
    errors = [o.error for o in outcomes if o.error]
    if errors:
        raise SolverError(errors[0])
    wall = time.perf_counter() - started
    result = combine(
        [o.result for o in outcomes], options.mip_gap, wall if runner.workers > 1 else None
    )
    result.extra["components"] = int(sum(p.components for p in pieces))
    result.extra["pieces solved"] = len(pieces)
    result.extra["pieces run in"] = (
        runner.pool.where if isinstance(runner, _OnPool) else "this process"
    )
    values: Values = {name: {} for name in VARIABLES}
    for outcome in outcomes:
        for name in VARIABLES:
            values[name].update(outcome.values[name])
    return result, values


def _solve_in_rounds(
    tasks: list, options: SolveOptions, runner: _Runner, objective: str
) -> list[PieceResult]:
    """Solve the pieces until the merged gap is within ``options.mip_gap`` or the budget —
    ``options.time_limit`` solver seconds per worker — is spent.

    1. First pass: every piece, smallest first, with standalone operation (no link built)
       as HiGHS's starting design, a loose gap (:func:`_first_gap`) and a short time limit: its
       share of ``FIRST_PASS`` × the budget in proportion to its links among the pieces not
       started yet (time a piece does not use goes to the next ones), at least
       ``MIN_SECONDS`` and at most ``FIRST_CAP``. Every piece gets a good design before any
       gets a long run, and most are proved within the park's gap here; small components
       can be much harder than big ones (quality-limited water networks), which only this
       pass can tell.
    2. Rounds: whenever a worker is free, an open piece is solved again from its best
       design with twice its last time limit (HiGHS restarts its search, so doubling wastes
       at most about half of a piece's time). It aims at ``PIECE_SHARE`` × the park's gap —
       pieces that close easily leave room in the park's gap for those that do not — or at
       the gap that puts the merged design within ``options.mip_gap`` given the other
       pieces' present gaps (:func:`_gap_needed`), so a run stops as soon as the park is
       done. A piece stays open until it reaches that aim. The piece chosen has the largest
       absolute gap (objective − bound) per second of its last limit; any without a design
       comes first. A piece whose gap closes slowly (a hard water network) thus waits while
       others close more gap in less time, instead of holding the park's gap up with one
       long run. Each piece keeps its best design and the best bound of its runs.

    The budget counts solver time only (as for one model, where ``time_limit`` is HiGHS's),
    not the building of the pieces' models; side by side, no run goes past
    ``options.time_limit`` of wall time either.
    """
    started = time.perf_counter()
    budget = options.time_limit * runner.workers
    weight = np.array([max(len(sl), 1) for _, sl in tasks], dtype=float)
    outcomes: list[PieceResult | None] = [None] * len(tasks)
    first_pass = list(range(len(tasks)))
    open_pieces: set[int] = set()
    limit: dict[int, float] = {}
    rounds = dict.fromkeys(range(len(tasks)), 0)  # runs after the first pass
    running: dict[int, float] = {}  # piece → time limit of its run
    spent = 0.0  # solver seconds of finished runs

    def next_run() -> tuple[int, SolveOptions, Values | None] | None:
        left = budget - spent - sum(running.values())
        if runner.workers > 1:
            left = min(left, options.time_limit - (time.perf_counter() - started))
        if first_pass:
            n = first_pass.pop(0)
            share = FIRST_PASS * budget - spent - sum(running.values())
            limit[n] = min(
                max(share * weight[n] / weight[[n, *first_pass]].sum(), MIN_SECONDS), FIRST_CAP
            )
            return (
                n,
                replace(
                    options,
                    time_limit=limit[n],
                    warm_start=True,
                    mip_gap=_first_gap(options.mip_gap),
                ),
                None,
            )
        if left < MIN_SECONDS:  # (a park within its gap stops the loop below)
            return None
        waiting = [k for k in open_pieces if k not in running and rounds[k] < MAX_ROUNDS]
        if not waiting:
            return None
        n = max(waiting, key=lambda k: _abs_gap(_result(outcomes[k])) / limit[k])
        limit[n] = max(min(2 * limit[n], left), MIN_SECONDS)
        rounds[n] += 1
        outcome = outcomes[n]
        start = outcome.values if outcome is not None and outcome.result is not None else None
        gap = _gap_needed(outcomes, n, options.mip_gap, objective)
        return n, replace(options, time_limit=limit[n], warm_start=True, mip_gap=gap), start

    while True:
        while len(running) < runner.workers:
            run = next_run()
            if run is None:
                break
            running[run[0]] = run[1].time_limit
            runner.submit(*run)
        if not running:
            break
        n, outcome = runner.wait(max(running.values()) + WORKER_GRACE)
        del running[n]
        spent += outcome.seconds.get("solve", 0.0)
        earlier = outcomes[n]
        outcomes[n] = outcome if earlier is None else _better(earlier, outcome, options.mip_gap)
        if outcome.infeasible or (not first_pass and _done(outcomes, options.mip_gap)):
            break  # runs still going are stopped: the park no longer needs them
        if outcomes[n].error or not _within(outcomes[n].result, PIECE_SHARE * options.mip_gap):
            open_pieces.add(n)
        else:
            open_pieces.discard(n)
    return [o for o in outcomes if o is not None]


def _first_gap(mip_gap: float) -> float:
    """The gap a piece aims at in the first pass: ``FIRST_LOOSENESS`` × the park's target,
    at least ``FIRST_GAP`` (1 % for a target of 0.1 %, 3 % for 1 %). The rounds then close
    the park's gap where it is cheapest (:func:`_gap_needed`), and the run stops once the
    merged design is within it (:func:`_done`): a small piece with a hard quality-limited
    network need not reach the park's gap on its own, nor its cost tie-break (virgin /
    co2e). Measured on 1 000- and 2 000-firm parks to 1 % (benchmarks/seeds.py): 20–40 %
    less time than a first pass at the park's own gap, and half the time in virgin use
    and CO2e on two 1 000-firm parks; at 5 × the target some parks took longer again."""
    return max(FIRST_GAP, FIRST_LOOSENESS * mip_gap)


def _gap_needed(
    outcomes: list[PieceResult | None], n: int, mip_gap: float, objective: str
) -> float:
    r"""The relative gap piece n aims at in a round: ``PIECE_SHARE`` × ``mip_gap``, or
    what the merged design needs to be within ``mip_gap`` with the other pieces' gaps as
    they are, when that is looser:

    .. math:: g_n = \max\left(s\,g,\ \min\left(\frac{g\,|\sum_k z_k| - \sum_{k \ne n} a_k}
              {|z_n|},\ \tfrac12\,gap_n\right)\right)

    (s = ``PIECE_SHARE``, z objectives, a absolute gaps; never more than half the piece's
    present gap, so each run makes progress). Only s g while another piece has no design,
    when the others leave no room, and for the virgin / co2e objectives (a run's gap holds
    for both its stages, and the room would have to be shared in the objective and in the
    cost tie-break at once; the run still stops once both merged gaps are within
    ``mip_gap``, :func:`_done`).
    """
    aim = PIECE_SHARE * mip_gap
    results = [_result(o) for o in outcomes]
    own = results[n]
    if objective != "cost" or own is None or None in results or not own.objective:
        return aim
    total = abs(sum(r.objective for r in results))
    others = sum(_abs_gap(r) for k, r in enumerate(results) if k != n)
    room = mip_gap * total - others
    if room <= 0:
        return aim
    return max(aim, min(room / abs(own.objective), 0.5 * (own.gap or 0.0)))


def _result(outcome: PieceResult | None) -> SolveResult | None:
    return outcome.result if outcome is not None else None


def _done(outcomes: list[PieceResult | None], mip_gap: float) -> bool:
    """Every piece has a design and the merged design is proved within ``mip_gap``, its
    cost tie-break too (virgin / co2e objectives): :func:`combine`."""
    results = [_result(o) for o in outcomes]
    return None not in results and combine(results, mip_gap).status == "optimal"


def _within(result: SolveResult | None, mip_gap: float) -> bool:
    """A piece proved within the gap the park asks for (the first pass asks for less), its
    cost tie-break (virgin / co2e objectives) too."""
    if result is None or not _tie_break_done(result, mip_gap):
        return False
    return (result.gap is not None and result.gap <= mip_gap) or _abs_gap(result) <= 1e-6


def _merged_tie_break_gap(results: list[SolveResult]) -> float | None:
    """The pieces' cost tie-breaks as one (virgin / co2e objectives): Σ |objective − bound|
    / |Σ objective| of their second stages, as :func:`combine` merges the objective; None
    when one of them is unknown (or there is none: the cost objective)."""
    stages = [r.extra for r in results if "tie_break_gap" in r.extra]
    objectives = [e.get("tie_break_objective") for e in stages]
    bounds = [e.get("tie_break_bound") for e in stages]
    if not stages or None in objectives or None in bounds:
        return None
    return relative_gap(float(sum(objectives)), float(sum(bounds)))


def _tie_break_done(result: SolveResult, mip_gap: float) -> bool:
    """A piece's cost tie-break (virgin / co2e objectives; True for the others) within
    ``mip_gap``, or proved by HiGHS to its own tolerances: its absolute gap tolerance leaves
    a relative gap of up to ``EXACT_GAP`` on a small objective when the target is 0."""
    gap = result.extra.get("tie_break_gap")
    if gap is None or gap <= mip_gap:
        return True
    return result.extra.get("tie_break_status") == "optimal" and gap <= EXACT_GAP


def _better(first: PieceResult, again: PieceResult, mip_gap: float) -> PieceResult:
    """Two runs of one piece: the better design (the later one on a tie), the better bound
    (both are valid), both runs' time; ``optimal`` when that gap is within ``mip_gap``."""
    if again.result is None:
        keep, other = first, again
    elif first.result is None or again.result.objective <= first.result.objective + (
        tolerance(first.result.objective)
    ):
        # the later run, also when the objectives tie: its cost tie-break (virgin / co2e)
        # was solved to the tighter gap, from the earlier design
        keep, other = again, first
    else:
        keep, other = first, again
    for phase, seconds in other.seconds.items():
        keep.seconds[phase] = keep.seconds.get(phase, 0.0) + seconds
    if keep.result is not None and other.result is not None:
        r = keep.result
        r.seconds += other.result.seconds
        r.handoff_seconds += other.result.handoff_seconds
        if other.result.bound is not None:
            r.bound = max(r.bound if r.bound is not None else -np.inf, other.result.bound)
            r.bound = min(r.bound, r.objective)
            r.gap = relative_gap(r.objective, r.bound)
            if r.gap <= mip_gap:
                r.status = "optimal"
    if keep.result is not None:
        keep.error = ""
    return keep


def _abs_gap(result: SolveResult | None) -> float:
    """|objective − bound| of a piece; infinite when it has no design yet."""
    if result is None:
        return float("inf")
    return abs(result.objective - (result.bound if result.bound is not None else result.objective))


class _Runner:
    """Runs one piece at a time per worker: ``submit`` a run, ``wait`` for any to finish."""

    workers = 1

    def submit(self, n: int, options: SolveOptions, start: Values | None) -> None:
        raise NotImplementedError

    def wait(self, timeout: float) -> tuple[int, PieceResult]:
        """The next finished run; :class:`SolverError` when none comes within ``timeout``."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop what is still running (its result is not needed)."""


class _InThisProcess(_Runner):
    """Solves in this process when asked for the result; each piece's model is built once
    and keeps its values between runs."""

    def __init__(self, tasks: list):
        self.tasks = tasks
        self.models: dict[int, Model] = {}
        self.queued: list[tuple[int, SolveOptions, Values | None]] = []

    def submit(self, n: int, options: SolveOptions, start: Values | None) -> None:
        self.queued.append((n, options, start))

    def wait(self, timeout: float) -> tuple[int, PieceResult]:
        n, options, start = self.queued.pop(0)
        seconds: dict[str, float] = {}
        if n not in self.models:
            self.models[n], seconds = _build(*self.tasks[n])
        m = self.models[n]
        _start_from(m, start)
        return n, _solve_built(m, options, seconds)


class _OnPool(_Runner):
    """Solves on a pool of workers (local processes or Dask, :mod:`.pool`): each run builds
    its piece's model there (:func:`solve_piece`) and sends back plain data."""

    def __init__(self, tasks: list, pool: Pool):
        self.tasks = tasks
        self.pool = pool
        self.workers = pool.workers

    def submit(self, n: int, options: SolveOptions, start: Values | None) -> None:
        park, links = self.tasks[n]
        self.pool.submit(n, solve_piece, (park, links, options, start))

    def wait(self, timeout: float) -> tuple[int, PieceResult]:
        try:
            n, outcome = self.pool.wait(timeout)
        except TimeoutError as exc:  # e.g. workers that die as they start
            raise SolverError(str(exc)) from None
        if isinstance(outcome, TaskFailure):
            outcome = PieceResult(error=f"a piece's worker failed: {outcome.error}")
        return n, outcome

    def close(self) -> None:
        self.pool.close()


def combine(
    results: list[SolveResult | None], mip_gap: float, wall: float | None = None
) -> SolveResult:
    r"""One result for the pieces: objectives and bounds add up.

    gap = (Σ objective − Σ bound) / |Σ objective| — at most the largest piece's gap when the
    pieces' objectives have one sign (each saves against its baseline). ``optimal`` when
    that gap is within ``mip_gap`` (or every piece was proved within it: :func:`_within`)
    and, for the virgin and CO2e objectives, the pieces' cost tie-break too, merged the same
    way (:func:`_merged_tie_break_gap`), or every piece's own (as
    :func:`.stages.merge_stages` labels one model); ``extra`` then has the merged
    ``tie_break_gap`` (None when a piece's is unknown) and the ``tie_break_status``.
    ``seconds`` is the sum of the pieces' solves, or the wall time when they ran side by side
    (``wall``).
    Pieces not solved yet (None) are left out.
    """
    results = [r for r in results if r is not None]
    objective = float(sum(r.objective for r in results))
    bound = float(sum(r.bound if r.bound is not None else r.objective for r in results))
    gap = relative_gap(objective, bound)
    extra: dict = {}
    tie_break_gap = _merged_tie_break_gap(results)
    tie_breaks_done = (tie_break_gap is not None and tie_break_gap <= mip_gap) or all(
        _tie_break_done(r, mip_gap) for r in results
    )
    if any("tie_break_gap" in r.extra for r in results):
        extra["tie_break_gap"] = tie_break_gap
        extra["tie_break_status"] = "optimal" if tie_breaks_done else "time_limit"
    proved = tie_breaks_done and (gap <= mip_gap or all(_within(r, mip_gap) for r in results))
    status = "optimal" if proved else "time_limit"
    stopped = sum(r.status != "optimal" for r in results)
    return SolveResult(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=wall if wall is not None else float(sum(r.seconds for r in results)),
        solver_version=results[0].solver_version,
        has_solution=True,
        message=f"{len(results)} independent pieces, {stopped} stopped at their time limit",
        handoff_seconds=float(sum(r.handoff_seconds for r in results)),
        rows=sum(r.rows for r in results),
        columns=sum(r.columns for r in results),
        nonzeros=sum(r.nonzeros for r in results),
        integers=sum(r.integers for r in results),
        warnings=list(dict.fromkeys(w for r in results for w in r.warnings)),
        extra=extra,
    )
