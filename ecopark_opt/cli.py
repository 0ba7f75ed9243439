"""The ``ecopark`` command line (docs/cli.md).

Exit codes: 0 ok, 1 internal error, 2 bad input or usage, 3 infeasible, 4 solver failure or
time limit without any solution, 130 / 143 interrupted by Ctrl-C / SIGTERM. One clear line per
problem on stderr; a traceback only with ``--debug``. The result line of a run goes to stdout,
everything else (progress, phase timings, warnings, problems) to stderr. Every output of a run
is checked and locked before any work and written all together at the end (README.md,
"Output rules").
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from . import __version__, interrupts
from .analyses.executors import EXECUTORS
from .core.optimize import RunOptions
from .core.solve import SolveResult, highs_running
from .core.stages import Timer
from .core.vocabulary import METRICS, OBJECTIVES
from .errors import EcoparkError, InfeasibleError, InputError
from .outputs.files import claim_outputs, commit_outputs, outputs_committed, release_outputs
from .park import Park

OBJECTIVE = click.Choice(list(OBJECTIVES))


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf`` (which compare false
    with every bound, so the range alone lets them through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Console:
    """Messages and phase timings on stderr; the result line on stdout, for scripts."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def result(self, text: str) -> None:
        """The line a script reads: on stdout, also with ``--quiet``."""
        try:
            click.echo(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader is gone (``| head -0``): the run still succeeded
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def phase(self, name: str, seconds: float) -> None:
        self.say(f"  {name:<18} {seconds:8.2f} s")


_STARTED = [time.monotonic()]  # when the running command started (its time limit counts from it)
DESIGN_SHARE = 0.7  # of the time limit, for the design when analyses follow in one command


def run_options(
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    **more: Any,
) -> RunOptions:
    """The command line's solver options; ``--time-limit`` (or the workbook's) bounds the
    whole command from its start (docs/cli.md)."""
    return RunOptions(
        objective, time_limit, mip_gap, threads, log=solver_log, started=_STARTED[0], **more
    )


def command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Shared error handling: map errors to exit codes, no traceback unless --debug.

    Signals raise only while ``fn`` runs (:func:`interrupts.raising`); the claimed outputs
    are released (temporary and lock files removed) and the outcome reported with signals
    held, so an interrupt at any moment gives exit 130 / 143 and one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        _STARTED[0] = time.monotonic()
        debug = kwargs.get("debug", False)
        error: BaseException | None = None
        code = 0
        try:
            with interrupts.raising():
                code = fn(*args, **kwargs) or 0
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

    return wrapper


def report_interrupt(
    error: BaseException | None,
    signal_seen: interrupts.Interrupted | None,
    written: bool,
    debug: bool,
) -> int:
    """One line; worker processes stopped; a HiGHS run that has not noticed yet is not
    waited for (the process ends at once)."""
    stop = signal_seen or (error if isinstance(error, interrupts.Interrupted) else None)
    name = stop.name if stop is not None else "Ctrl-C"
    code = stop.exit_code if stop is not None else 130
    if debug and error is not None:
        traceback.print_exception(error)
    if written:
        click.echo(f"interrupted by {name} after the outputs were written", err=True)
    else:
        click.echo(f"interrupted by {name}; the outputs were not written", err=True)
    stop_worker_processes()
    if highs_running():  # end now, without waiting for a HiGHS run that has not noticed yet
        # (it would abort the interpreter's exit); every file of the run is cleaned up
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def stop_worker_processes(grace_s: float = 3.0) -> None:
    """Stop the run's worker processes (``--executor local``, ``--workers``) instead of
    waiting for their solves: Ctrl-C first, so that each cleans up after itself (a killed
    worker leaves semaphores that Python then reports as leaked), then SIGTERM."""
    children = multiprocessing.active_children()
    for child in children:
        try:
            os.kill(child.pid, signal.SIGINT)
        except OSError:
            pass
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(max(deadline - time.monotonic(), 0))
        if child.is_alive():
            child.terminate()


def report_error(error: BaseException, debug: bool) -> int:
    if isinstance(error, EcoparkError):
        if debug:
            traceback.print_exception(error)
        lines = getattr(error, "problems", None) or getattr(error, "reasons", None) or [str(error)]
        label = {2: "error", 3: "infeasible", 4: "solver"}.get(error.exit_code, "error")
        if isinstance(error, InputError) and len(lines) > 1:
            click.echo(f"{len(lines)} problems found:", err=True)
        for line in lines:
            click.echo(f"{label}: {line}", err=True)
        return error.exit_code
    if not isinstance(error, Exception):  # SystemExit and the like: not ours to report
        raise error
    if debug:  # an internal error: say so plainly
        traceback.print_exception(error)
    click.echo(
        f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
        err=True,
    )
    return 1


def common_options(fn: Callable) -> Callable:
    for option in reversed(
        [
            click.option(
                "--quiet",
                is_flag=True,
                help="Print only problems on stderr (the result line still goes to stdout).",
            ),
            click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
        ]
    ):
        fn = option(fn)
    return fn


def solver_options(fn: Callable) -> Callable:
    for option in reversed(
        [
            click.option(
                "--out",
                type=click.Path(dir_okay=False),
                default=None,
                help="Report path (default reports/<workbook-stem>.xlsx).",
            ),
            click.option(
                "--json",
                "json_path",
                type=click.Path(dir_okay=False),
                default=None,
                help="Also write the machine-readable result (docs/results.md).",
            ),
            click.option(
                "--objective", type=OBJECTIVE, default=None, help="Override settings.objective."
            ),
            click.option(
                "--time-limit",
                type=FiniteFloatRange(min=0, min_open=True),
                default=None,
                help="Time limit of the whole command in seconds: the design and every analysis in it "
                "(docs/cli.md).",
            ),
            click.option(
                "--mip-gap",
                type=FiniteFloatRange(0, 1),
                default=None,
                help="Relative MIP gap.",
            ),
            click.option(
                "--threads",
                type=click.IntRange(min=0),
                default=None,
                help="Solver threads (0 = HiGHS default).",
            ),
            click.option("--solver-log", is_flag=True, help="Show HiGHS's log on stdout."),
        ]
    ):
        fn = option(fn)
    return fn


def map_options(fn: Callable) -> Callable:
    """--geojson, --map and --local: the design on a map (docs/maps.md)."""
    for option in reversed(
        [
            click.option(
                "--geojson",
                "geojson_path",
                type=click.Path(dir_okay=False),
                default=None,
                help="Also write the design as GeoJSON (WGS84) for QGIS/ArcGIS.",
            ),
            click.option(
                "--map",
                "map_path",
                type=click.Path(dir_okay=False),
                default=None,
                help="Also write the design as an interactive map: one .html file that "
                "works offline.",
            ),
            click.option(
                "--local",
                is_flag=True,
                help="Allow --geojson for x/y sites without settings.crs (positions in km "
                "on the park's own plane, not WGS84).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class MapOutputs:
    """Where the design's map outputs go (checked before any work)."""

    geojson: Path | None = None
    html: Path | None = None
    local: bool = False
    title: str = ""

    def check_park(self, park: Park) -> None:
        """Refuse a GeoJSON the park cannot have (x/y without crs, no --local)."""
        if self.geojson:
            from .outputs.geojson import check_geojson_allowed

            check_geojson_allowed(park, self.local)


def map_outputs(geojson: str | None, html: str | None, local: bool, title: str = "") -> MapOutputs:
    """The map paths, of the right kind (``.geojson``/``.json``, ``.html``); they are checked
    against the run's other outputs and the inputs with them (:func:`claim`)."""
    from .outputs.geojson import check_geojson_suffix

    if geojson:
        check_geojson_suffix(geojson)
    if html and Path(html).suffix.lower() != ".html":
        raise InputError(f"{html}: the output must be a .html file")
    return MapOutputs(
        Path(geojson) if geojson else None, Path(html) if html else None, local, title
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecopark")
def main() -> None:
    """Design eco-industrial parks: which symbiosis links to build, which firms to attract and
    where, and what every firm gains."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@common_options
@command
def template(path: str, force: bool, quiet: bool, debug: bool) -> None:
    """Write a blank input workbook with every sheet, column, unit and description."""
    from .inputs.template import write_template
    from .outputs.files import atomic_write, check_output_path

    check_output_path(path)
    claim_outputs([path])
    refuse_existing(path, force)
    atomic_write(path, write_template)
    commit_outputs()
    Console(quiet).say(f"template written: {path}")


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--firms", type=click.IntRange(min=1), required=True, help="Existing firms.")
@click.option(
    "--resources",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Resources (base list first, then numbered variants).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed (≥ 0)."
)
@click.option(
    "--plots",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Free plots near the clusters.",
)
@click.option(
    "--candidates",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Candidate firms (placed by the optimizer when there are plots).",
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
@common_options
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
    quiet: bool,
    debug: bool,
) -> None:
    """Write a synthetic park of a given size (for benchmarks): clustered firms, sector
    profiles, pipelines and trucks, optionally seasons. The same arguments always give the
    same workbook."""
    from .inputs.generate import generate_park
    from .inputs.workbook import write_workbook
    from .outputs.files import atomic_write, check_output_path

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
    Console(quiet).say(
        f"park written: {out} ({firms} firms, {resources} resources, "
        f"{plots} plots, {candidates} candidates{seasons}, seed {seed})"
    )


@main.command()
@click.argument("workbook", type=click.Path())
@common_options
@command
def validate(workbook: str, quiet: bool, debug: bool) -> None:
    """Check a workbook and list every problem at once (exit 2 when there is any)."""
    from .core.links import candidate_links
    from .inputs.presolve import presolve_problems

    console = Console(quiet)
    park = load(workbook, console)
    problems = presolve_problems(park, candidate_links(park))
    if problems:
        raise InputError(problems)
    console.say(
        f"ok: {len(park.firms)} firms, {len(park.sites)} sites, {len(park.resources)} resources,"
        f" {len(park.flows)} flows"
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
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Solve the park's independent components in this many worker processes, "
    "one HiGHS thread each unless --threads is given (the time limit stays "
    "the wall-clock limit of the whole solve).",
)
@map_options
@solver_options
@common_options
@command
def solve(
    workbook: str,
    scenario: str | None,
    alternatives: int,
    within: float,
    with_resilience: bool,
    workers: int,
    geojson_path: str | None,
    map_path: str | None,
    local: bool,
    out: str | None,
    json_path: str | None,
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Optimise the park and write the Excel report."""
    from .analyses.candidates import analyse_candidates
    from .outputs.design_sheets import candidate_sheets

    console = Console(quiet)
    out_path = report_path(workbook, out, suffix=scenario_suffix(scenario))
    title = Path(workbook).stem + (f" (scenario {scenario})" if scenario else "")
    maps = map_outputs(geojson_path, map_path, local, title)
    claim([workbook], out_path, json_path, maps.geojson, maps.html)
    park = load(workbook, console, scenario)
    maps.check_park(park)
    options = run_options(objective, time_limit, mip_gap, threads, solver_log, workers=workers)
    timer = Timer(console.phase)
    # the model is re-used only to value candidate firms
    has_candidates = bool((park.firms["status"] == "candidate").any())
    more = has_candidates or alternatives or with_resilience  # analyses share the time limit
    design_options = replace(options, share=DESIGN_SHARE) if more else options
    model, solution = run_design(park, design_options, timer, json_path, keep_model=has_candidates)
    values = analyse_candidates(model, solution, options, timer, progress=console.say)
    sheets = candidate_sheets(solution, values)
    extra_json: dict = {}
    if alternatives:
        from .analyses.alternatives import alternatives as find_alternatives
        from .outputs.design_sheets import alternatives_sheets
        from .outputs.jsonout import alternatives_json

        with timer.phase("alternatives"):
            found = find_alternatives(park, alternatives, within, options)
        console.say(
            f"{len(found.alternatives)} alternative design(s) within {within:g} % of the "
            "optimal cost"
        )
        sheets += alternatives_sheets(found)
        extra_json["alternatives"] = alternatives_json(found)
    if with_resilience:
        more, extra = analyse_resilience(park, solution, options, timer, False, console)
        sheets += more
        extra_json.update(extra)
    return finish(
        solution,
        out_path,
        json_path,
        console,
        timer,
        sheets,
        extra_json,
        run_info={"scenario": scenario} if scenario else None,
        maps=maps,
    )


@main.command()
@click.argument("workbook", type=click.Path())
@click.option(
    "--points",
    type=click.IntRange(min=2),
    default=7,
    show_default=True,
    help="Number of points on the front.",
)
@click.option(
    "--x",
    "x_metric",
    type=click.Choice(list(METRICS)),
    default="cost",
    show_default=True,
    help="Metric on the x axis.",
)
@click.option(
    "--y",
    "y_metric",
    type=click.Choice(list(METRICS)),
    default="virgin",
    show_default=True,
    help="Metric on the y axis.",
)
@solver_options
@common_options
@command
def pareto(
    workbook: str,
    points: int,
    x_metric: str,
    y_metric: str,
    out: str | None,
    json_path: str | None,
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Trace the trade-off between two metrics (ε-constraint front)."""
    from .analyses.pareto import pareto_front
    from .outputs.design_sheets import pareto_sheets
    from .outputs.jsonout import pareto_json

    if x_metric == y_metric:
        raise InputError("--x and --y must be different metrics")
    console = Console(quiet)
    out_path = report_path(workbook, out, suffix="_pareto")
    claim([workbook], out_path, json_path)
    park = load(workbook, console)
    options = run_options(objective, time_limit, mip_gap, threads, solver_log)
    timer = Timer(console.phase)
    with timer.phase("pareto front"):
        front = pareto_front(park, points, x=x_metric, y=y_metric, options=options)
    first = front.solutions[0]
    first.timings = timer.seconds
    return finish(
        first,
        out_path,
        json_path,
        console,
        timer,
        pareto_sheets(front),
        {"pareto": pareto_json(front)},
    )


@main.command()
@click.argument("workbook", type=click.Path())
@click.option("--links", "by_link", is_flag=True, help="Also remove each built link in turn.")
@map_options
@solver_options
@common_options
@command
def resilience(
    workbook: str,
    by_link: bool,
    geojson_path: str | None,
    map_path: str | None,
    local: bool,
    out: str | None,
    json_path: str | None,
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Solve, then remove each firm in turn (N-1): what breaks, what it costs.

    When firms have a defection probability (settings or the firms column), the
    defection-aware design is computed too and compared with the plain one."""
    console = Console(quiet)
    out_path = report_path(workbook, out, suffix="_resilience")
    maps = map_outputs(geojson_path, map_path, local, Path(workbook).stem)
    claim([workbook], out_path, json_path, maps.geojson, maps.html)
    park = load(workbook, console)
    maps.check_park(park)
    options = run_options(objective, time_limit, mip_gap, threads, solver_log)
    timer = Timer(console.phase)
    design_options = replace(options, share=DESIGN_SHARE)
    _, solution = run_design(park, design_options, timer, json_path, keep_model=False)
    sheets, extra = analyse_resilience(park, solution, options, timer, by_link, console)
    return finish(solution, out_path, json_path, console, timer, sheets, extra, maps=maps)


def analyse_resilience(
    park: Park, solution, options: RunOptions, timer: Timer, by_link: bool, console: Console
) -> tuple[list, dict]:
    """N-1 sheets and JSON, plus the defection-aware comparison when probabilities are set."""
    from .analyses.defection import defection_aware_design, unsupported
    from .analyses.resilience import n_minus_1
    from .outputs.jsonout import resilience_json
    from .outputs.resilience_sheets import defection_sheets, resilience_sheets

    with timer.phase("N-1 analysis"):
        result = n_minus_1(park, solution, options, links=by_link, progress=console.say)
    sheets = list(resilience_sheets(result))
    if (park.firms["defection_probability"] > 0).any():
        if reason := unsupported(park):  # say so; the N-1 analysis still stands
            click.echo(f"warning: {reason}: it is left out of this report", err=True)
        else:
            with timer.phase("defection-aware"):
                sheets += defection_sheets(defection_aware_design(park, options))
    return sheets, {"resilience": resilience_json(result)}


def executor_options(fn: Callable) -> Callable:
    for option in reversed(
        [
            click.option(
                "--executor",
                type=click.Choice(EXECUTORS),
                default="serial",
                show_default=True,
                help="Where the solves run: here one after the other, in local worker "
                "processes, or on Dask.",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                default=2,
                show_default=True,
                help="Worker processes (local, and a Dask LocalCluster).",
            ),
            click.option(
                "--scheduler",
                default=None,
                metavar="ADDRESS",
                help="Dask scheduler (tcp://host:8786); without it a LocalCluster of "
                "--workers processes is started.",
            ),
        ]
    ):
        fn = option(fn)
    return fn


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path())
@click.option(
    "--scenarios",
    "by_scenarios",
    is_flag=True,
    help="Compare the workbook with each scenario of its scenarios sheet.",
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write every option's design on one interactive map (.html, a layer per option).",
)
@executor_options
@solver_options
@common_options
@command
def compare(
    workbooks: tuple[str, ...],
    by_scenarios: bool,
    map_path: str | None,
    executor: str,
    workers: int,
    scheduler: str | None,
    out: str | None,
    json_path: str | None,
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Siting options (one workbook each) or the scenarios of one workbook, side by side."""
    from .analyses.compare import (
        no_design_error,
        run_compare,
        scenario_tasks,
        verdict_lines,
        workbook_tasks,
    )
    from .inputs.load import load_park
    from .outputs.compare_sheets import compare_sheets, network_png
    from .outputs.jsonout import compare_json

    if by_scenarios and len(workbooks) != 1:
        raise InputError("--scenarios compares the scenarios of one workbook; give exactly one")
    if not by_scenarios and len(workbooks) < 2:
        raise InputError(
            "compare needs two or more workbooks (one per siting option), or one "
            "workbook with --scenarios"
        )
    console = Console(quiet)
    out_path = report_path(workbooks[0], out, suffix="_compare", inputs=workbooks)
    maps = map_outputs(None, map_path, False)
    claim(workbooks, out_path, json_path, maps.html)
    options = run_options(objective, time_limit, mip_gap, threads, solver_log)
    timer = Timer(console.phase)
    if by_scenarios:
        first_park = load(workbooks[0], console)
        tasks = scenario_tasks(workbooks[0], options, draw=network_png)
        check_scenarios(tasks)
        source = f"the scenarios of {Path(workbooks[0]).name}"
    else:
        parks = load_all(workbooks, console)
        first_park = parks[0]
        if maps.html:
            check_one_plane(workbooks, parks)
        tasks = workbook_tasks(workbooks, options, draw=network_png)
        source = "siting options " + ", ".join(Path(w).name for w in workbooks)
    paths = [workbooks[0]] * len(tasks) if by_scenarios else list(workbooks)
    with timer.phase("compare"):
        result = run_compare(
            tasks,
            by_scenarios,
            source,
            executor,
            workers,
            scheduler,
            progress=None if quiet else "compare",
            seconds_left=DESIGN_SHARE * options.seconds_left(first_park),
        )
    if not result.reference:
        write_failure_json(json_path, "infeasible", objective or "cost")
        raise no_design_error(result)
    index = [t.option for t in tasks].index(result.reference)
    park = load_park(paths[index], tasks[index].scenario)  # checked above: no warnings again
    _, solution = run_design(park, options, timer, json_path, keep_model=False)
    code = finish(
        solution,
        out_path,
        json_path,
        console,
        timer,
        compare_sheets(result),
        {"compare": compare_json(result)},
        run_info={
            "compare": {
                "options": len(tasks),
                "executor": executor,
                "reference option": result.reference,
            }
        },
        more_outputs=(
            (lambda: write_compare_map(result, maps.html, f"compare: {source}"))
            if maps.html
            else None
        ),
    )
    for line in verdict_lines(result):  # the result of the command: on stdout for scripts
        click.echo(f"verdict: {line}")
    return code


def check_one_plane(workbooks: tuple[str, ...], parks: list[Park]) -> None:
    """Options drawn on one map must share its system: WGS84 (lat/lon, or x/y with a crs)
    or one local plane in km."""
    from .inputs.geo import LOCAL, coordinate_system

    local = [
        Path(w).name
        for w, p in zip(workbooks, parks)
        if coordinate_system(p.sites, p.settings.crs) == LOCAL
    ]
    if local and len(local) < len(parks):
        raise InputError(
            f"--map: {', '.join(local)} ha{'s' if len(local) == 1 else 've'} x/y sites without "
            "settings crs, the other options are placed on the Earth; set the same crs in every "
            "workbook to draw them on one map"
        )


def write_compare_map(result, path: Path, title: str) -> list[Path]:
    """Every option with a design on one map, a layer per option; the report's option first."""
    from .core.vocabulary import SOLVED
    from .outputs.webmap import write_map

    layers = [(o["option"], o["map"]) for o in result.options if o["status"] in SOLVED]
    dropped = write_map(layers, path, title, selected=result.reference)
    for name in dropped:
        click.echo(
            f"warning: --map: option {name} is on another coordinate system than "
            f"{layers[0][0]} and is not drawn",
            err=True,
        )
    return [path]


@main.command()
@click.argument("workbook", type=click.Path())
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Number of Monte Carlo samples.",
)
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
@common_options
@command
def sweep(
    workbook: str,
    samples: int,
    seed: int,
    resume: bool,
    geojson_path: str | None,
    map_path: str | None,
    local: bool,
    executor: str,
    workers: int,
    scheduler: str | None,
    out: str | None,
    json_path: str | None,
    objective: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    solver_log: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Monte Carlo over the uncertainty sheet: link shares, metric percentiles, regret."""
    from .analyses.sweep import read_uncertainty, run_sweep
    from .inputs.scenarios import WorkbookData
    from .outputs.jsonout import sweep_json
    from .outputs.sweep_sheets import sweep_sheets

    console = Console(quiet)
    out_path = report_path(workbook, out, suffix="_sweep")
    results_path = out_path.with_name(f"{out_path.stem}_samples.jsonl")
    maps = map_outputs(geojson_path, map_path, local, Path(workbook).stem)
    claim([workbook], out_path, json_path, results_path, maps.geojson, maps.html)
    park = load(workbook, console)
    maps.check_park(park)
    read_uncertainty(WorkbookData.from_path(workbook))
    options = run_options(objective, time_limit, mip_gap, threads, solver_log)
    timer = Timer(console.phase)
    design_options = replace(options, share=1.0 - DESIGN_SHARE)  # the samples need the most
    _, base = run_design(park, design_options, timer, json_path, keep_model=False)
    with timer.phase("sweep"):
        result = run_sweep(
            workbook,
            base,
            samples,
            seed,
            options,
            executor,
            workers,
            scheduler,
            results_path,
            resume,
            progress=None if quiet else "sweep",
        )
    for warning in result.warnings:  # damaged lines of the results file
        click.echo(f"warning: {warning}", err=True)
    console.say(f"samples written: {results_path}")
    return finish(
        base,
        out_path,
        json_path,
        console,
        timer,
        sweep_sheets(result),
        {"sweep": sweep_json(result)},
        run_info={
            "sweep": {
                "samples": samples,
                "seed": seed,
                "executor": executor,
                "resumed samples": result.resumed,
            }
        },
        maps=maps,
    )


# --- shared steps --------------------------------------------------------------------------


def scenario_suffix(scenario: str | None) -> str:
    """``_<scenario>`` for a default report name (characters safe in file names)."""
    if not scenario:
        return ""
    return "_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in scenario)


def load_all(workbooks: tuple[str, ...], console: Console) -> list[Park]:
    """Load several workbooks; every problem of every one, each prefixed with its file."""
    parks, problems = [], []
    for workbook in workbooks:
        try:
            parks.append(load(workbook, console))
        except InputError as exc:
            problems += [f"{Path(workbook).name}: {p}" for p in exc.problems]
    if problems:
        raise InputError(problems)
    return parks


def check_scenarios(tasks) -> None:
    """Every scenario's park passes the cross-sheet checks (before any solve)."""
    problems = []
    for task in tasks:
        if task.scenario is None:
            continue
        try:
            task.workbook.park(task.scenario)
        except InputError as exc:
            problems += [f"scenario {task.scenario}: {p}" for p in exc.problems]
    if problems:
        raise InputError(problems)


def report_path(
    workbook: str, out: str | None, suffix: str = "", inputs: Iterable[str] | None = None
) -> Path:
    """Where the report goes; checked before any solving so a long run is never lost."""
    from .outputs.files import check_output_path

    path = Path(out) if out else Path("reports") / f"{Path(workbook).stem}{suffix}.xlsx"
    return check_output_path(path, inputs if inputs is not None else (workbook,))


def claim(inputs: Iterable[str], report: Path, *others: str | Path | None) -> None:
    """Before any work: check the run's whole set of outputs — the report, its network
    picture and ``others`` (None = an option not given) — against each other and the inputs,
    and lock them for the run (README.md, "Output rules")."""
    from .outputs.report import network_picture_path

    claim_outputs([report, network_picture_path(report), *others], inputs)


def refuse_existing(path: str | Path, force: bool) -> None:
    if not force and Path(path).exists():
        raise InputError(f"{path}: already exists; use --force to overwrite it")


def load(workbook: str, console: Console, scenario: str | None = None) -> Park:
    from .inputs.load import load_park

    start = time.perf_counter()
    park = load_park(workbook, scenario)
    console.phase("read + validate", time.perf_counter() - start)
    for warning in park.warnings:
        click.echo(f"warning: {warning}", err=True)
    return park


def run_design(
    park: Park, options: RunOptions, timer: Timer, json_path: str | None, keep_model: bool = True
):
    """The optimal design and its model; an infeasible park still gets its JSON status."""
    from .core.optimize import design_park

    try:
        return design_park(park, options, timer, keep_model)
    except InfeasibleError:
        write_failure_json(json_path, "infeasible", options.objective or park.settings.objective)
        raise


def finish(
    solution,
    out_path: Path,
    json_path: str | None,
    console: Console,
    timer: Timer,
    extra_sheets=(),
    extra_json: dict | None = None,
    run_info: dict | None = None,
    maps: MapOutputs | None = None,
    more_outputs: Callable[[], list[Path]] | None = None,
) -> int:
    """Write the report (and JSON, GeoJSON, map, and what ``more_outputs`` writes), put them
    all in place together, print the outcome line; the exit code is 0."""
    from .core.records import solution_json
    from .outputs.jsonout import write_json
    from .outputs.report import write_report

    with timer.phase("report"):
        write_report(solution, out_path, extra_sheets=extra_sheets, run_info=run_info)
    if json_path:
        data = solution_json(solution)
        data.update(extra_json or {})
        write_json(data, json_path)
    written = write_design_maps(solution, maps, timer) if maps else []
    written += more_outputs() if more_outputs else []
    commit_outputs()  # the report, its picture, the JSON and the maps appear together
    for warning in solution.result.warnings:  # e.g. numbers too far apart for the solver
        click.echo(f"warning: {warning}", err=True)
    console.result(outcome_line(solution))
    console.say(f"report written: {out_path}")
    for path in written:
        console.say(f"map written: {path}")
    return 0


def write_design_maps(solution, maps: MapOutputs, timer: Timer) -> list[Path]:
    """The design as GeoJSON and as an HTML map (docs/maps.md); the paths written."""
    if not (maps.geojson or maps.html):
        return []
    from .core.mapdata import design_features
    from .outputs.geojson import write_geojson
    from .outputs.webmap import write_map

    with timer.phase("maps"):
        record = design_features(solution)
        if maps.geojson:
            write_geojson(record, maps.geojson)
        if maps.html:
            write_map([("design", record)], maps.html, maps.title or "design")
    return [p for p in (maps.geojson, maps.html) if p]


def outcome_line(solution) -> str:
    r: SolveResult = solution.result
    cost = solution.metrics["cost"]
    saving = cost["baseline"] - cost["design"]
    cur = solution.park.currency
    links = len(solution.built_links[~solution.built_links["internal"]])
    state = (
        "optimal"
        if r.status == "optimal"
        else f"stopped at the time limit, gap {100 * (r.gap or 0):.2f} %"
    )
    return (
        f"{state}: {links} links, cost {cost['design']:,.0f} {cur}/yr "
        f"(saving {saving:,.0f} {cur}/yr against standalone operation)"
    )


def write_failure_json(json_path: str | None, status: str, objective: str) -> None:
    if not json_path:
        return
    from .core.records import failure_json
    from .outputs.jsonout import write_json

    write_json(failure_json(status, objective), json_path)
    commit_outputs()


if __name__ == "__main__":  # pragma: no cover
    from .__main__ import main as entry_point

    entry_point()
