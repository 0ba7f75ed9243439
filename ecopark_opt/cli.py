"""The ``ecopark`` command line (docs/cli.md).

Exit codes: 0 ok, 1 internal error, 2 bad input or usage, 3 infeasible, 4 solver failure or
time limit without any solution, 130 / 143 interrupted by Ctrl-C / SIGTERM. One clear line per
problem on stderr; a traceback only with ``--debug``. The result line of a run goes to stdout,
everything else (progress, phase timings, warnings, problems) to stderr. Every output of a run
is checked and locked before any work and written all together at the end (README.md,
"Output rules"; :mod:`ecopark_opt.outputs.run_outputs`).

Start-up time: this module imports only click and light modules, so that ``ecopark --help``
answers at once; each command imports what it needs (the modelling stack only in commands
that solve) when it runs (docs/architecture.md).
"""

from __future__ import annotations

import functools
import importlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, interrupts
from .errors import InputError, check_each
from .inputs.schema import OBJECTIVES
from .outputs.console import Console, load, report_error, report_interrupt
from .outputs.files import (
    atomic_write,
    check_output_path,
    claim_outputs,
    commit_outputs,
    outputs_committed,
    release_outputs,
)

if TYPE_CHECKING:
    from .core.optimize import RunOptions
    from .outputs.run_outputs import MapOutputs

_STARTED = [time.monotonic()]  # when the running command started (its time limit counts from it)
DESIGN_SHARE = 0.7  # of the time limit, for the design when analyses follow in one command


# --- option types and groups ---------------------------------------------------------------


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf`` (which compare false
    with every bound, so the range alone lets them through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class LateChoice(click.Choice):
    """A choice among the values of ``module.name``, read when first needed (start-up time:
    the modules that state them import pandas or the modelling stack, which ``ecopark
    --help`` must not wait for)."""

    def __init__(self, module: str, name: str) -> None:
        self.source = (module, name)
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        module, name = self.source
        return tuple(getattr(importlib.import_module(module, __package__), name))


OBJECTIVE = click.Choice(list(OBJECTIVES))
METRIC = LateChoice(".core.vocabulary", "METRICS")
EXECUTOR = LateChoice(".core.pool", "EXECUTORS")


def grouped(name: str, group: type, *options: Callable) -> Callable[[Callable], Callable]:
    """Add ``options`` to a command, which receives their values as one ``group`` (a
    dataclass whose fields are the options' parameter names) in its argument ``name``."""
    keys = [f.name for f in fields(group)]

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {key: kwargs.pop(key) for key in keys}
            return fn(*args, **kwargs, **{name: group(**values)})

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


def output_option(*decls: str, help: str) -> Callable:
    """An option naming an output file (a file, never a folder); None when not given."""
    return click.option(*decls, type=click.Path(dir_okay=False), default=None, help=help)


def count_option(decl: str, minimum: int, default: int, help: str) -> Callable:
    """An option whose value is a whole number of at least ``minimum``, its default shown."""
    return click.option(
        decl, type=click.IntRange(min=minimum), default=default, show_default=True, help=help
    )


@dataclass(frozen=True)
class SolverArgs:
    """The options of every command that solves: outputs and solver settings."""

    out: str | None
    json_path: str | None
    objective: str | None
    time_limit: float | None
    mip_gap: float | None
    threads: int | None
    solver_log: bool

    def run_options(self, **more: Any) -> RunOptions:
        """The solver options; ``--time-limit`` (or the workbook's) bounds the whole command
        from its start (docs/cli.md)."""
        from .core.optimize import RunOptions  # start-up time: the modelling stack

        return RunOptions(
            self.objective,
            self.time_limit,
            self.mip_gap,
            self.threads,
            log=self.solver_log,
            started=_STARTED[0],
            **more,
        )


solver_options = grouped(
    "solver",
    SolverArgs,
    output_option("--out", help="Report path (default reports/<workbook-stem>.xlsx)."),
    output_option(
        "--json", "json_path", help="Also write the machine-readable result (docs/results.md)."
    ),
    click.option("--objective", type=OBJECTIVE, default=None, help="Override settings.objective."),
    click.option(
        "--time-limit",
        type=FiniteFloatRange(min=0, min_open=True),
        default=None,
        help="Time limit of the whole command in seconds: the design and every analysis in it "
        "(docs/cli.md).",
    ),
    click.option("--mip-gap", type=FiniteFloatRange(0, 1), default=None, help="Relative MIP gap."),
    click.option(
        "--threads",
        type=click.IntRange(min=0),
        default=None,
        help="Solver threads (0 = HiGHS default).",
    ),
    click.option("--solver-log", is_flag=True, help="Show HiGHS's log on stdout."),
)


@dataclass(frozen=True)
class MapArgs:
    """--geojson, --map and --local: the design on a map (docs/maps.md)."""

    geojson_path: str | None
    map_path: str | None
    local: bool

    def outputs(self, title: str) -> MapOutputs:
        from .outputs.run_outputs import map_outputs  # start-up time

        return map_outputs(self.geojson_path, self.map_path, self.local, title)


map_options = grouped(
    "maps",
    MapArgs,
    output_option(
        "--geojson",
        "geojson_path",
        help="Also write the design as GeoJSON (WGS84) for QGIS/ArcGIS.",
    ),
    output_option(
        "--map",
        "map_path",
        help="Also write the design as an interactive map: one .html file that works offline.",
    ),
    click.option(
        "--local",
        is_flag=True,
        help="Allow --geojson for x/y sites without settings.crs (positions in km on the park's "
        "own plane, not WGS84).",
    ),
)


@dataclass(frozen=True)
class PoolArgs:
    """Where the independent solves of an analysis run (docs/cli.md)."""

    executor: str
    workers: int
    scheduler: str | None


executor_options = grouped(
    "pool",
    PoolArgs,
    click.option(
        "--executor",
        type=EXECUTOR,
        default="serial",
        show_default=True,
        help="Where the solves run: here one after the other, in local worker processes, or "
        "on Dask.",
    ),
    count_option("--workers", 1, 2, "Worker processes (local, and a Dask LocalCluster)."),
    click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler (tcp://host:8786); without it a LocalCluster of --workers "
        "processes is started.",
    ),
)


# --- how a command runs --------------------------------------------------------------------


def command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """--quiet and --debug, and shared error handling: map errors to exit codes, no
    traceback unless --debug. The command receives a :class:`Console` as ``console``.

    Signals raise only while ``fn`` runs (:func:`interrupts.raising`); the claimed outputs
    are released (temporary and lock files removed) and the outcome reported with signals
    held, so an interrupt at any moment gives exit 130 / 143 and one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, quiet: bool, debug: bool, **kwargs: Any) -> None:
        _STARTED[0] = time.monotonic()
        error: BaseException | None = None
        code = 0
        try:
            with interrupts.raising():
                code = fn(*args, console=Console(quiet), **kwargs) or 0
        except BaseException as exc:  # reported below, signals held from here on
            error = exc
        written = outputs_committed()
        release_outputs()
        signal_seen = interrupts.received()
        if signal_seen is not None or isinstance(error, KeyboardInterrupt):
            code = report_interrupt(error, signal_seen, written, debug)
        elif error is not None:
            code = report_error(error, debug)
        sys.exit(code)

    wrapper = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(
        wrapper
    )
    return click.option(
        "--quiet",
        is_flag=True,
        help="Print only problems on stderr (the result line still goes to stdout).",
    )(wrapper)


# --- commands ------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecopark")
def main() -> None:
    """Design eco-industrial parks: which symbiosis links to build, which firms to attract and
    where, and what every firm gains."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@command
def template(path: str, force: bool, console: Console) -> None:
    """Write a blank input workbook with every sheet, column, unit and description."""
    from .inputs.template import write_template  # start-up time: openpyxl

    check_output_path(path)
    claim_outputs([path])
    refuse_existing(path, force)
    atomic_write(path, write_template)
    commit_outputs()
    console.say(f"template written: {path}")


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--firms", type=click.IntRange(min=1), required=True, help="Existing firms.")
@count_option("--resources", 1, 20, "Resources (base list first, then numbered variants).")
@count_option("--seed", 0, 0, "Random seed (≥ 0).")
@count_option("--plots", 0, 0, "Free plots near the clusters.")
@count_option(
    "--candidates", 0, 0, "Candidate firms (placed by the optimizer when there are plots)."
)
@click.option(
    "--periods",
    type=click.IntRange(min=1, max=8760),
    default=1,
    show_default=True,
    metavar="N",
    help="Split the year into N periods of equal hours (from 1 January), with seasonal "
    "profiles by sector and heat and steam pipes whose capacity is a decision; 1 = one "
    "yearly period (no periods sheet).",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@command
def generate(
    out: str,
    firms: int,
    resources: int,
    seed: int,
    plots: int,
    candidates: int,
    periods: int,
    force: bool,
    console: Console,
) -> None:
    """Write a synthetic park of a given size (for benchmarks): clustered firms, sector
    profiles, pipelines and trucks, optionally seasons. The same arguments always give the
    same workbook."""
    from .inputs.generate import generate_park  # start-up time: numpy, openpyxl
    from .inputs.workbook import write_workbook

    path = check_output_path(out)
    try:
        tables = generate_park(firms, resources, seed, plots, candidates, periods)
    except ValueError as exc:  # sizes the workbook cannot hold
        raise InputError(str(exc)) from exc
    claim_outputs([path])
    refuse_existing(path, force)
    atomic_write(path, lambda tmp: write_workbook(tmp, tables))
    commit_outputs()
    seasons = f", {periods} periods" if periods > 1 else ""
    console.say(
        f"park written: {out} ({firms} firms, {resources} resources, "
        f"{plots} plots, {candidates} candidates{seasons}, seed {seed})"
    )


@main.command()
@click.argument("workbook", type=click.Path())
@command
def validate(workbook: str, console: Console) -> None:
    """Check a workbook and list every problem at once (exit 2 when there is any)."""
    from .core.links import candidate_links  # start-up time: pandas, scipy
    from .inputs.presolve import presolve_problems

    park = load(workbook, console)
    problems = presolve_problems(park, candidate_links(park))
    if problems:
        raise InputError(problems)
    streams = int(park.flows["process"].isna().sum())  # the flows sheet's rows
    counts = [
        (len(park.firms), "firm"),
        (len(park.sites), "site"),
        (len(park.resources), "resource"),
        (streams, "flow"),
        (len(park.processes), "process"),
        (len(park.periods), "period"),
    ]
    console.say(
        "ok: "
        + ", ".join(
            f"{n} {word}{'' if n == 1 else 'es' if word.endswith('s') else 's'}"
            for n, word in counts
            if n or word in ("firm", "site", "resource", "flow")
        )
    )


@main.command()
@click.argument("workbook", type=click.Path())
@click.option(
    "--scenario",
    default=None,
    metavar="NAME",
    help="Apply this scenario of the scenarios sheet to the workbook first.",
)
@click.option(
    "--alternatives",
    type=click.IntRange(min=0),
    default=0,
    metavar="K",
    help="Also find K structurally different designs within --within % of the optimum.",
)
@click.option(
    "--within",
    type=FiniteFloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="P",
    help="Cost slack for --alternatives, in % of the optimal cost.",
)
@click.option(
    "--resilience",
    "with_resilience",
    is_flag=True,
    help="Add the N-1 defection analysis of the design (see `ecopark resilience`).",
)
@count_option(
    "--workers",
    1,
    1,
    "Solve the park's independent components in this many worker processes (or Dask "
    "LocalCluster workers), one HiGHS thread each unless --threads is given (the time "
    "limit stays the wall-clock limit of the whole solve).",
)
@click.option(
    "--executor",
    type=EXECUTOR,
    default=None,
    help="Where the independent components are solved: here one after the other, in "
    "--workers local processes (local, the default), or on Dask (docs/cli.md).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="With --executor dask: the Dask scheduler (tcp://host:8786); without it a "
    "LocalCluster of --workers processes is started.",
)
@output_option(
    "--write-model",
    "model_path",
    help="Also write the whole model as handed to HiGHS, for another solver: MPS or LP by "
    "the extension (.mps, .lp; docs/cli.md).",
)
@map_options
@solver_options
@command
def solve(
    workbook: str,
    scenario: str | None,
    alternatives: int,
    within: float,
    with_resilience: bool,
    workers: int,
    executor: str | None,
    scheduler: str | None,
    model_path: str | None,
    maps: MapArgs,
    solver: SolverArgs,
    console: Console,
) -> int:
    """Optimise the park and write the Excel report."""
    # start-up time: the modelling stack
    from .analyses.alternatives import alternatives as find_alternatives
    from .analyses.candidates import analyse_candidates
    from .outputs.design_sheets import alternatives_sheets, candidate_sheets
    from .outputs.jsonout import alternatives_json
    from .outputs.run_outputs import model_file_path, report_path, resilience_outputs, start_run

    out_path = report_path(workbook, solver.out, suffix=scenario_suffix(scenario))
    model_out = model_file_path(model_path)
    title = Path(workbook).stem + (f" (scenario {scenario})" if scenario else "")
    map_out = maps.outputs(title)
    options = solver.run_options(**component_pool(executor, workers, scheduler))
    run = start_run(
        workbook,
        console,
        out_path,
        solver.json_path,
        options,
        map_out,
        scenario,
        also=[model_out] if model_out else [],
    )
    if model_out:
        run.write_model(model_out)
    # the model is re-used only to value candidate firms
    has_candidates = bool((run.park.firms["status"] == "candidate").any())
    more = has_candidates or alternatives or with_resilience  # analyses share the time limit
    model, solution = run.design(DESIGN_SHARE if more else 1.0, keep_model=has_candidates)
    values = analyse_candidates(model, solution, options, run.timer, progress=console.say)
    sheets = candidate_sheets(solution, values)
    extra_json: dict = {}
    if alternatives:
        with run.timer.phase("alternatives"):
            found = find_alternatives(run.park, alternatives, within, options)
        console.say(
            f"{len(found.alternatives)} alternative design(s) within {within:g} % of the "
            "optimal cost"
        )
        sheets += alternatives_sheets(found)
        extra_json["alternatives"] = alternatives_json(found)
    if with_resilience:
        more_sheets, extra = resilience_outputs(run, solution, by_link=False)
        sheets += more_sheets
        extra_json.update(extra)
    return run.finish(
        solution, sheets, extra_json, run_info={"scenario": scenario} if scenario else None
    )


@main.command()
@click.argument("workbook", type=click.Path())
@count_option("--points", 2, 7, "Number of points on the front.")
@click.option(
    "--x",
    "x_metric",
    type=METRIC,
    default="cost",
    show_default=True,
    help="Metric on the x axis.",
)
@click.option(
    "--y",
    "y_metric",
    type=METRIC,
    default="virgin",
    show_default=True,
    help="Metric on the y axis.",
)
@solver_options
@command
def pareto(
    workbook: str,
    points: int,
    x_metric: str,
    y_metric: str,
    solver: SolverArgs,
    console: Console,
) -> int:
    """Trace the trade-off between two metrics (ε-constraint front)."""
    # start-up time: the modelling stack
    from .analyses.pareto import pareto_front
    from .outputs.design_sheets import pareto_sheets
    from .outputs.jsonout import pareto_json
    from .outputs.run_outputs import report_path, start_run

    if x_metric == y_metric:
        raise InputError("--x and --y must be different metrics")
    out_path = report_path(workbook, solver.out, suffix="_pareto")
    run = start_run(workbook, console, out_path, solver.json_path, solver.run_options())
    with run.timer.phase("pareto front"):
        front = pareto_front(run.park, points, x=x_metric, y=y_metric, options=run.options)
    first = front.solutions[0]
    first.timings = run.timer.seconds
    return run.finish(first, pareto_sheets(front), {"pareto": pareto_json(front)})


@main.command()
@click.argument("workbook", type=click.Path())
@click.option("--links", "by_link", is_flag=True, help="Also remove each built link in turn.")
@map_options
@solver_options
@command
def resilience(
    workbook: str, by_link: bool, maps: MapArgs, solver: SolverArgs, console: Console
) -> int:
    """Solve, then remove each firm in turn (N-1): what breaks, what it costs.

    When firms have a defection probability (settings or the firms column), the
    defection-aware design is computed too and compared with the plain one."""
    from .outputs.run_outputs import report_path, resilience_outputs, start_run  # start-up time

    out_path = report_path(workbook, solver.out, suffix="_resilience")
    map_out = maps.outputs(Path(workbook).stem)
    run = start_run(workbook, console, out_path, solver.json_path, solver.run_options(), map_out)
    _, solution = run.design(DESIGN_SHARE)
    sheets, extra = resilience_outputs(run, solution, by_link)
    return run.finish(solution, sheets, extra)


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path())
@click.option(
    "--scenarios",
    "by_scenarios",
    is_flag=True,
    help="Compare the workbook with each scenario of its scenarios sheet.",
)
@output_option(
    "--map",
    "map_path",
    help="Also write every option's design on one interactive map (.html, a layer per option).",
)
@executor_options
@solver_options
@command
def compare(
    workbooks: tuple[str, ...],
    by_scenarios: bool,
    map_path: str | None,
    pool: PoolArgs,
    solver: SolverArgs,
    console: Console,
) -> int:
    """Siting options (one workbook each) or the scenarios of one workbook, side by side."""
    # start-up time: the modelling stack
    from .analyses.compare import (
        no_design_error,
        run_compare,
        scenario_tasks,
        verdict_lines,
        workbook_tasks,
    )
    from .core.stages import Timer
    from .inputs.load import load_park
    from .outputs import run_outputs as outputs
    from .outputs.compare_sheets import compare_sheets, network_png
    from .outputs.jsonout import compare_json

    if by_scenarios and len(workbooks) != 1:
        raise InputError("--scenarios compares the scenarios of one workbook; give exactly one")
    if not by_scenarios and len(workbooks) < 2:
        raise InputError(
            "compare needs two or more workbooks (one per siting option), or one "
            "workbook with --scenarios"
        )
    out_path = outputs.report_path(workbooks[0], solver.out, suffix="_compare", inputs=workbooks)
    html = outputs.map_outputs(None, map_path, False).html
    outputs.claim(workbooks, out_path, solver.json_path, html)
    options = solver.run_options()
    timer = Timer(console.phase)
    if by_scenarios:
        first_park = load(workbooks[0], console)
        tasks = scenario_tasks(workbooks[0], options, draw=network_png)
        scenarios = [t for t in tasks if t.scenario is not None]  # each checked before any solve
        check_each(
            scenarios, lambda t: t.workbook.park(t.scenario), lambda t: f"scenario {t.scenario}"
        )
        source = f"the scenarios of {Path(workbooks[0]).name}"
    else:
        parks = check_each(workbooks, lambda w: load(w, console), lambda w: Path(w).name)
        first_park = parks[0]
        if html:
            outputs.check_one_plane(workbooks, parks)
        tasks = workbook_tasks(workbooks, options, draw=network_png)
        source = "siting options " + ", ".join(Path(w).name for w in workbooks)
    paths = [workbooks[0]] * len(tasks) if by_scenarios else list(workbooks)
    with timer.phase("compare"):
        result = run_compare(
            tasks,
            by_scenarios,
            source,
            pool.executor,
            pool.workers,
            pool.scheduler,
            progress=None if console.quiet else "compare",
            seconds_left=DESIGN_SHARE * options.seconds_left(first_park),
        )
    if not result.reference:
        outputs.write_failure_json(solver.json_path, "infeasible", solver.objective or "cost")
        raise no_design_error(result)
    index = [t.option for t in tasks].index(result.reference)
    park = load_park(paths[index], tasks[index].scenario)  # checked above: no warnings again
    run = outputs.Run(park, out_path, solver.json_path, options, console, timer)
    _, solution = run.design()

    def compare_map() -> list[Path]:
        title = f"compare: {source}"
        for warning in outputs.write_compare_map(result.options, html, title, result.reference):
            console.warn(warning)
        return [html]

    code = run.finish(
        solution,
        compare_sheets(result),
        {"compare": compare_json(result)},
        run_info={
            "compare": {
                "options": len(tasks),
                "executor": pool.executor,
                "reference option": result.reference,
            }
        },
        more_outputs=compare_map if html else None,
    )
    for line in verdict_lines(result):  # the result of the command: on stdout for scripts
        click.echo(f"verdict: {line}")
    return code


@main.command()
@click.argument("workbook", type=click.Path())
@count_option("--samples", 1, 100, "Number of Monte Carlo samples.")
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the draws: the same seed gives the same samples.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the samples already in <report>_samples.jsonl; run only the others.",
)
@executor_options
@map_options
@solver_options
@command
def sweep(
    workbook: str,
    samples: int,
    seed: int,
    resume: bool,
    pool: PoolArgs,
    maps: MapArgs,
    solver: SolverArgs,
    console: Console,
) -> int:
    """Monte Carlo over the uncertainty sheet: link shares, metric percentiles, regret."""
    # start-up time: the modelling stack
    from .analyses.sweep import read_uncertainty, run_sweep
    from .inputs.scenarios import WorkbookData
    from .outputs.jsonout import sweep_json
    from .outputs.run_outputs import report_path, start_run
    from .outputs.sweep_sheets import sweep_sheets

    out_path = report_path(workbook, solver.out, suffix="_sweep")
    results_path = out_path.with_name(f"{out_path.stem}_samples.jsonl")
    map_out = maps.outputs(Path(workbook).stem)
    options = solver.run_options()
    run = start_run(
        workbook, console, out_path, solver.json_path, options, map_out, also=[results_path]
    )
    read_uncertainty(WorkbookData.from_path(workbook))
    _, base = run.design(1.0 - DESIGN_SHARE)  # the samples need the most
    with run.timer.phase("sweep"):
        result = run_sweep(
            workbook,
            base,
            samples,
            seed,
            options,
            pool.executor,
            pool.workers,
            pool.scheduler,
            results_path,
            resume,
            progress=None if console.quiet else "sweep",
        )
    for warning in result.warnings:  # damaged lines of the results file
        console.warn(warning)
    console.say(f"samples written: {results_path}")
    return run.finish(
        base,
        sweep_sheets(result),
        {"sweep": sweep_json(result)},
        run_info={
            "sweep": {
                "samples": samples,
                "seed": seed,
                "executor": pool.executor,
                "resumed samples": result.resumed,
            }
        },
    )


# --- shared steps --------------------------------------------------------------------------


def component_pool(executor: str | None, workers: int, scheduler: str | None) -> dict[str, Any]:
    """``solve``'s --executor, --workers and --scheduler as :class:`RunOptions` fields,
    checked: a Dask scheduler is reached (and must have workers) before any work."""
    kind = executor or "local"
    if scheduler and kind != "dask":
        raise InputError(f"--scheduler {scheduler}: give --executor dask to use a Dask scheduler")
    if kind == "serial" and workers > 1:
        raise InputError(
            f"--workers {workers}: --executor serial solves the components here, one after "
            "the other; use --executor local (or dask) for worker processes"
        )
    if scheduler:
        from .core.pool import check_scheduler  # start-up time: Dask, only when asked for

        check_scheduler(scheduler)
    return {"workers": workers, "executor": kind, "scheduler": scheduler}


def scenario_suffix(scenario: str | None) -> str:
    """``_<scenario>`` for a default report name (characters safe in file names)."""
    if not scenario:
        return ""
    return "_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in scenario)


def refuse_existing(path: str | Path, force: bool) -> None:
    if not force and Path(path).exists():
        raise InputError(f"{path}: already exists; use --force to overwrite it")


if __name__ == "__main__":  # pragma: no cover
    from .__main__ import main as entry_point

    entry_point()
