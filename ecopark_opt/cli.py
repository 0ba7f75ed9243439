"""The ``ecopark`` command line (SPEC §4).

Exit codes: 0 ok, 1 internal error, 2 bad input or usage, 3 infeasible, 4 solver failure or
time limit without any solution. One clear line per problem on stderr; a traceback only with
``--debug``.
"""

from __future__ import annotations

import functools
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import EcoparkError, InfeasibleError, InputError
from .optimize import RunOptions, Timer
from .park import Park
from .solve import SolveResult

OBJECTIVE = click.Choice(["cost", "virgin", "co2e", "weighted"])


class Console:
    """Messages and phase timings on stderr (stdout stays free for pipelines)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def phase(self, name: str, seconds: float) -> None:
        self.say(f"  {name:<18} {seconds:8.2f} s")


def command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Shared error handling: map errors to exit codes, no traceback unless --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        debug = kwargs.get("debug", False)
        try:
            code = fn(*args, **kwargs) or 0
        except EcoparkError as exc:
            if debug:
                traceback.print_exc()
            lines = getattr(exc, "problems", None) or getattr(exc, "reasons", None) or [str(exc)]
            label = {2: "error", 3: "infeasible", 4: "solver"}.get(exc.exit_code, "error")
            if isinstance(exc, InputError) and len(lines) > 1:
                click.echo(f"{len(lines)} problems found:", err=True)
            for line in lines:
                click.echo(f"{label}: {line}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            code = 130
        except Exception as exc:  # an internal error: say so plainly
            if debug:
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for "
                       "the traceback)", err=True)
            code = 1
        sys.exit(code)

    return wrapper


def common_options(fn: Callable) -> Callable:
    for option in reversed([
        click.option("--quiet", is_flag=True, help="Print only problems."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]):
        fn = option(fn)
    return fn


def solver_options(fn: Callable) -> Callable:
    for option in reversed([
        click.option("--out", type=click.Path(dir_okay=False), default=None,
                     help="Report path (default reports/<workbook-stem>.xlsx)."),
        click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
                     help="Also write the machine-readable result (SPEC §6)."),
        click.option("--objective", type=OBJECTIVE, default=None,
                     help="Override settings.objective."),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Solver time limit in seconds."),
        click.option("--mip-gap", type=click.FloatRange(0, 1), default=None,
                     help="Relative MIP gap."),
        click.option("--threads", type=click.IntRange(min=0), default=None,
                     help="Solver threads (0 = HiGHS default)."),
        click.option("--solver-log", is_flag=True, help="Show HiGHS's log on stdout."),
    ]):
        fn = option(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecopark")
def main() -> None:
    """Design eco-industrial parks: which symbiosis links to build, which firms to attract and
    where, and what every firm gains."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@common_options
@command
def template(path: str, quiet: bool, debug: bool) -> None:
    """Write a blank input workbook with every sheet, column, unit and description."""
    from .files import atomic_write, check_output_path
    from .template import write_template

    check_output_path(path)
    atomic_write(path, write_template)
    Console(quiet).say(f"template written: {path}")


@main.command()
@click.argument("workbook", type=click.Path())
@common_options
@command
def validate(workbook: str, quiet: bool, debug: bool) -> None:
    """Check a workbook and list every problem at once (exit 2 when there is any)."""
    from .links import candidate_links
    from .optimize import presolve_problems

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
@solver_options
@common_options
@command
def solve(workbook: str, out: str | None, json_path: str | None, objective: str | None,
          time_limit: float | None, mip_gap: float | None, threads: int | None,
          solver_log: bool, quiet: bool, debug: bool) -> int:
    """Optimise the park and write the Excel report."""
    from .analyses.candidates import analyse_candidates

    console = Console(quiet)
    out_path = report_path(workbook, out)
    park = load(workbook, console)
    options = RunOptions(objective, time_limit, mip_gap, threads, log=solver_log)
    timer = Timer(console.phase)
    model, solution = run_design(park, options, timer, json_path)
    sheets = analyse_candidates(model, solution, options, timer)
    return finish(solution, out_path, json_path, console, timer, sheets)


@main.command()
@click.argument("workbook", type=click.Path())
@click.option("--points", type=click.IntRange(min=2), default=7, show_default=True,
              help="Number of points on the front.")
@click.option("--x", "x_metric", type=click.Choice(["cost", "virgin", "co2e"]), default="cost",
              show_default=True, help="Metric on the x axis.")
@click.option("--y", "y_metric", type=click.Choice(["cost", "virgin", "co2e"]),
              default="virgin", show_default=True, help="Metric on the y axis.")
@solver_options
@common_options
@command
def pareto(workbook: str, points: int, x_metric: str, y_metric: str, out: str | None,
           json_path: str | None, objective: str | None, time_limit: float | None,
           mip_gap: float | None, threads: int | None, solver_log: bool, quiet: bool,
           debug: bool) -> int:
    """Trace the trade-off between two metrics (ε-constraint front)."""
    from .analyses.pareto import pareto_front, pareto_json, pareto_sheets

    if x_metric == y_metric:
        raise InputError("--x and --y must be different metrics")
    console = Console(quiet)
    out_path = report_path(workbook, out, suffix="_pareto")
    park = load(workbook, console)
    options = RunOptions(objective, time_limit, mip_gap, threads, log=solver_log)
    timer = Timer(console.phase)
    with timer.phase("pareto front"):
        front = pareto_front(park, points, x=x_metric, y=y_metric, options=options)
    first = front.solutions[0]
    first.timings = timer.seconds
    return finish(first, out_path, json_path, console, timer, pareto_sheets(front),
                  {"pareto": pareto_json(front)})


@main.command()
@click.argument("workbook", type=click.Path())
@click.option("--links", "by_link", is_flag=True, help="Also remove each built link in turn.")
@solver_options
@common_options
@command
def resilience(workbook: str, by_link: bool, out: str | None, json_path: str | None,
               objective: str | None, time_limit: float | None, mip_gap: float | None,
               threads: int | None, solver_log: bool, quiet: bool, debug: bool) -> int:
    """Solve, then remove each firm in turn (N-1): what breaks, what it costs."""
    from .analyses.resilience import n_minus_1, resilience_json, resilience_sheets

    console = Console(quiet)
    out_path = report_path(workbook, out, suffix="_resilience")
    park = load(workbook, console)
    options = RunOptions(objective, time_limit, mip_gap, threads, log=solver_log)
    timer = Timer(console.phase)
    _, solution = run_design(park, options, timer, json_path)
    with timer.phase("N-1 analysis"):
        result = n_minus_1(park, solution, options, links=by_link)
    return finish(solution, out_path, json_path, console, timer, resilience_sheets(result),
                  {"resilience": resilience_json(result)})


# --- shared steps --------------------------------------------------------------------------


def report_path(workbook: str, out: str | None, suffix: str = "") -> Path:
    """Where the report goes; checked before any solving so a long run is never lost."""
    from .files import check_output_path

    path = Path(out) if out else Path("reports") / f"{Path(workbook).stem}{suffix}.xlsx"
    return check_output_path(path, (workbook,))


def load(workbook: str, console: Console) -> Park:
    from .validate import load_park

    start = time.perf_counter()
    park = load_park(workbook)
    console.phase("read + validate", time.perf_counter() - start)
    for warning in park.warnings:
        click.echo(f"warning: {warning}", err=True)
    return park


def run_design(park: Park, options: RunOptions, timer: Timer, json_path: str | None):
    """The optimal design and its model; an infeasible park still gets its JSON status."""
    from .optimize import design_park

    try:
        return design_park(park, options, timer)
    except InfeasibleError:
        write_failure_json(json_path, "infeasible", options.objective or park.settings.objective)
        raise


def finish(solution, out_path: Path, json_path: str | None, console: Console, timer: Timer,
           extra_sheets=(), extra_json: dict | None = None) -> int:
    """Write the report (and JSON), print the outcome line; the exit code is 0."""
    from .jsonout import solution_json, write_json
    from .report import write_report

    with timer.phase("report"):
        write_report(solution, out_path, extra_sheets=extra_sheets)
    if json_path:
        data = solution_json(solution)
        data.update(extra_json or {})
        write_json(data, json_path)
    console.say(outcome_line(solution))
    console.say(f"report written: {out_path}")
    return 0


def outcome_line(solution) -> str:
    r: SolveResult = solution.result
    cost = solution.metrics["cost"]
    saving = cost["baseline"] - cost["design"]
    cur = solution.park.currency
    links = len(solution.built_links[~solution.built_links["internal"]])
    state = "optimal" if r.status == "optimal" else f"stopped at the time limit, gap {100 * (r.gap or 0):.2f} %"
    return (f"{state}: {links} links, cost {cost['design']:,.0f} {cur}/yr "
            f"(saving {saving:,.0f} {cur}/yr against standalone operation)")


def write_failure_json(json_path: str | None, status: str, objective: str) -> None:
    if not json_path:
        return
    from .jsonout import write_json

    write_json({"status": status, "objective": objective, "mip_gap": None,
                "metrics": {m: {"design": None, "baseline": None}
                            for m in ("cost", "virgin", "co2e")},
                "links": [], "purchases": [], "discharges": [], "firms": []}, json_path)


if __name__ == "__main__":  # pragma: no cover
    main()
