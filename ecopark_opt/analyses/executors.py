"""Run independent tasks one after the other, in local worker processes, or on Dask.

A task is a plain picklable value; ``fn(task)`` runs in the worker, builds and solves its own
model and returns plain data (dicts, DataFrames), never Pyomo objects. Solves never run in
threads: ``local`` uses worker processes started with ``spawn``, and a Dask ``LocalCluster``
has worker processes with one thread each (start remote Dask workers with ``--nthreads 1``).
Results come back in task order whatever the executor; ``on_result(index, result)`` is
called in the calling process as each result arrives (to append it to a results file). A
task that raises does not stop the others: its result is a :class:`TaskFailure`. The Dask
pool, the task wrapper and the executors' names are those of a decomposed solve's components
(``core/pool.py``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TextIO

from ..core.optimize import MIN_SOLVE_SECONDS, RunOptions
from ..core.pool import EXECUTORS, DaskPool, Pool, ProcessPool, call
from ..errors import InputError


def worker_options(options: RunOptions, seconds: float | None = None) -> RunOptions:
    """Solver options for the solves of tasks: one HiGHS thread per worker unless --threads
    says otherwise, and each solve's own time limit (``seconds``, else the options') instead
    of the command's clock, which a worker on another machine does not share."""
    return replace(
        options,
        threads=1 if options.threads is None else options.threads,
        time_limit=seconds if seconds is not None else options.time_limit,
        started=None,
        share=1.0,
    )


def task_seconds(left: float, tasks: int, workers: int) -> float:
    """Each task's part of ``left`` seconds when ``workers`` run ``tasks`` tasks side by
    side, one round after the other (docs/cli.md: the time limit bounds the whole command)."""
    rounds = -(-max(tasks, 1) // max(min(workers, tasks), 1))
    return max(left / rounds, MIN_SOLVE_SECONDS)


OnResult = Callable[[int, Any], None]


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Iterable[Any],
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    on_result: OnResult | None = None,
    progress: str | None = None,
) -> list[Any]:
    """``[fn(task) for task in tasks]``, run by ``executor``; results in task order.

    - ``serial``: in this process, one after the other.
    - ``local``: ``workers`` local worker processes (``spawn`` context).
    - ``dask``: the Dask scheduler at ``scheduler`` (``tcp://host:8786``), or a
      ``LocalCluster`` of ``workers`` single-threaded worker processes when none is given.

    ``progress``: a label; a text progress bar is drawn on stderr when given.
    """
    tasks = list(tasks)
    if executor not in EXECUTORS:
        raise InputError(f"--executor {executor}: must be one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    results: list[Any] = [None] * len(tasks)
    bar = ProgressBar(len(tasks), progress) if progress else None

    def done(index: int, result: Any) -> None:
        results[index] = result
        if on_result is not None:
            on_result(index, result)
        if bar is not None:
            bar.update()

    if tasks:
        runner = {"serial": _serial, "local": _local, "dask": _dask}[executor]
        try:
            runner(fn, tasks, done, workers, scheduler)
        finally:
            if bar is not None:
                bar.close()
    return results


def _serial(
    fn: Callable[[Any], Any], tasks: list, done: OnResult, workers: int, scheduler: str | None
) -> None:
    for index, task in enumerate(tasks):
        done(index, call(fn, task))


def _local(
    fn: Callable[[Any], Any], tasks: list, done: OnResult, workers: int, scheduler: str | None
) -> None:
    _on_pool(ProcessPool(min(workers, len(tasks))), fn, tasks, done)


def _dask(
    fn: Callable[[Any], Any], tasks: list, done: OnResult, workers: int, scheduler: str | None
) -> None:
    _on_pool(DaskPool(workers, scheduler), fn, tasks, done)


def _on_pool(pool: Pool, fn: Callable[[Any], Any], tasks: list, done: OnResult) -> None:
    """The tasks on a pool of workers (the same pools as a decomposed solve's components),
    each result handed to ``done`` as it arrives; what still runs is stopped on an error or
    an interrupt."""
    try:
        for index, task in enumerate(tasks):
            pool.submit(index, fn, task)
        for _ in tasks:
            done(*pool.wait())
    finally:
        pool.close()


class ProgressBar:
    """``label [#####.....] 37/200  12 s``, redrawn in place on a terminal; on a pipe or
    file, one line at every tenth of the work."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.count = 0
        self.started = time.perf_counter()
        self.next_line = 0.1

    def update(self, step: int = 1) -> None:
        self.count += step
        fraction = self.count / self.total if self.total else 1.0
        if self.tty:
            self.stream.write("\r" + self.text())
            self.stream.flush()
        elif fraction >= self.next_line - 1e-12 or self.count == self.total:
            self.stream.write(self.text() + "\n")
            self.stream.flush()
            while self.next_line <= fraction + 1e-12:
                self.next_line += 0.1

    def text(self) -> str:
        fraction = self.count / self.total if self.total else 1.0
        filled = int(round(self.WIDTH * fraction))
        elapsed = time.perf_counter() - self.started
        left = ""
        if 0 < self.count < self.total:
            left = f", about {elapsed / self.count * (self.total - self.count):.0f} s left"
        return (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.count}/{self.total}  {elapsed:.0f} s{left}"
        )

    def close(self) -> None:
        if self.tty and self.count:
            self.stream.write("\n")
            self.stream.flush()
