"""What a command says on the terminal, and how it ends (docs/cli.md).

Progress, phase timings, warnings and problems go to stderr, the result line of a run to
stdout (for scripts). An error is reported as one line per problem and an exit code (2 bad
input, 3 infeasible, 4 solver failure, 1 internal error), an interrupt as one line and exit
130 / 143 (README.md, "Output rules"); a traceback only with ``--debug``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING

import click

from .. import interrupts
from ..errors import EcoparkError, InputError

if TYPE_CHECKING:
    from ..park import Park


class Console:
    """Messages and phase timings on stderr; the result line on stdout, for scripts."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def warn(self, text: str) -> None:
        """A warning: on stderr, also with ``--quiet``."""
        click.echo(f"warning: {text}", err=True)

    def result(self, text: str) -> None:
        """The line a script reads: on stdout, also with ``--quiet``."""
        try:
            click.echo(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader is gone (``| head -0``): the run still succeeded
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def phase(self, name: str, seconds: float, note: str = "") -> None:
        self.say(f"  {name:<18} {seconds:8.2f} s" + (f"  ({note})" if note else ""))


def load(workbook: str, console: Console, scenario: str | None = None) -> Park:
    """The checked park of a workbook (and scenario); its warnings said on stderr."""
    from ..inputs.load import load_park  # start-up time: pandas, openpyxl

    start = time.perf_counter()
    park = load_park(workbook, scenario)
    console.phase("read + validate", time.perf_counter() - start)
    for warning in park.warnings:
        console.warn(warning)
    return park


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


def highs_running() -> bool:
    """Whether a HiGHS run is under way: never before a command has loaded the solver (which
    commands that do not solve never import: start-up time)."""
    solve = sys.modules.get("ecopark_opt.core.solve")
    return solve is not None and solve.highs_running()


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
        lines = error.lines or [str(error)]
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
