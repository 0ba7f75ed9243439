"""Where independent solves run: in this process, in local worker processes, or on a Dask
cluster — for the components of a decomposed solve (:mod:`.decompose`) and for the samples
and options of the analyses (``analyses/executors.py``) alike (docs/cli.md).

A :class:`Pool` runs ``fn(arg)`` for each submitted task in a worker and hands back, one at
a time, whichever finishes first: ``submit`` / ``wait`` / ``close``. A task is a plain
picklable value and ``fn`` returns plain data (never Pyomo objects); a task that raises does
not stop the others, its result is a :class:`TaskFailure`. Solves never run in threads of
one process: local workers are processes started with ``spawn``, and a Dask
``LocalCluster`` has worker processes with one thread each.

Start-up time: this module imports neither the modelling stack nor Dask (imported when a
Dask pool is opened), so that the command line can offer its choices at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

EXECUTORS = ("serial", "local", "dask")
DASK_CONNECT_S = 10.0  # how long to try to reach a Dask scheduler before giving up


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised (or whose worker died): the error in words."""

    error: str


def call(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run one task in the worker; an exception becomes a :class:`TaskFailure`."""
    try:
        return fn(task)
    except Exception as exc:  # any failure of one task is reported, not raised
        return TaskFailure(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Executor:
    """Where tasks run: ``serial`` (this process), ``local`` (``workers`` worker processes;
    one worker is this process) or ``dask`` (the scheduler at ``scheduler``, or a
    ``LocalCluster`` of ``workers`` single-threaded processes when it is None)."""

    kind: str = "local"
    workers: int = 1
    scheduler: str | None = None

    @property
    def side_by_side(self) -> bool:
        """Tasks run in workers of their own (a :class:`Pool`), not in this process."""
        return self.kind == "dask" or (self.kind == "local" and self.workers > 1)


class Pool:
    """Workers that run submitted tasks; :meth:`wait` hands back the next one finished."""

    workers = 1  # tasks that run side by side
    where = "this process"  # in words, for RunInfo

    def submit(self, tag: Hashable, fn: Callable[[Any], Any], task: Any) -> None:
        """Start ``fn(task)`` in a worker; ``tag`` comes back with its result."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> tuple[Hashable, Any]:
        """(tag, result) of the next task to finish — a :class:`TaskFailure` if it raised;
        :class:`TimeoutError` when none finishes within ``timeout`` seconds."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop what still runs (its result is not needed) and release the workers."""


def open_pool(executor: Executor) -> Pool:
    """The pool of an executor whose tasks run side by side (:attr:`Executor.side_by_side`);
    :class:`InputError` when its Dask scheduler cannot be reached or has no workers."""
    if executor.kind == "dask":
        return DaskPool(executor.workers, executor.scheduler)
    return ProcessPool(executor.workers)


class _Finished:
    """The results of finished tasks, handed over by the threads that receive them."""

    def __init__(self) -> None:
        self.results: queue.SimpleQueue = queue.SimpleQueue()

    def get(self, timeout: float | None) -> tuple[Hashable, Any]:
        """The next result; waits in short steps, so that a signal's handler runs (and may
        raise) promptly in the waiting thread."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.5 if deadline is None else min(0.5, max(deadline - time.monotonic(), 0))
            try:
                return self.results.get(timeout=step)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"no worker answered within {timeout:.0f} s") from None


class ProcessPool(Pool):
    """``workers`` local worker processes (``spawn``); :meth:`close` terminates them, so a
    solve that is no longer needed (or a Ctrl-C) does not wait for its time limit."""

    def __init__(self, workers: int):
        self.workers = workers
        self.where = f"{workers} local worker processes"
        self.pool = multiprocessing.get_context("spawn").Pool(workers)
        self.finished = _Finished()

    def submit(self, tag: Hashable, fn: Callable[[Any], Any], task: Any) -> None:
        def failed(exc: BaseException) -> None:  # the task or its result could not be sent
            self.finished.results.put((tag, TaskFailure(f"worker process failed: {exc}")))

        self.pool.apply_async(
            call,
            (fn, task),
            callback=lambda result: self.finished.results.put((tag, result)),
            error_callback=failed,
        )

    def wait(self, timeout: float | None = None) -> tuple[Hashable, Any]:
        # e.g. workers that die as they start (a script without a __main__ guard re-runs
        # itself in every spawned worker) never answer
        return self.finished.get(timeout)

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def dask_client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """A Dask client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of
    ``workers`` single-threaded worker processes (returned too, to be closed with the
    client; None for a scheduler). :class:`InputError` when Dask is not installed, the
    scheduler cannot be reached within ``DASK_CONNECT_S`` or the cluster cannot start."""
    try:
        # start-up time: Dask is needed only by the runs that ask for it
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "--executor dask needs dask.distributed: pip install 'ecopark_opt[dask]'"
        ) from None
    cluster = None
    try:
        if scheduler:
            return Client(scheduler, timeout=f"{DASK_CONNECT_S}s"), None
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # a closing cluster logs errors; ours say it
        )
        return Client(cluster), cluster
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"the scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise InputError(f"--executor dask: cannot start or reach {where} ({exc})") from None


def check_scheduler(scheduler: str) -> None:
    """Reach the Dask scheduler once and check that it has workers: :class:`InputError`
    otherwise, before any work is given to it."""
    client, _ = dask_client(scheduler, 0)
    try:
        if not client.nthreads():
            raise InputError(
                f"--scheduler {scheduler}: the Dask scheduler has no workers; start some "
                f"with `dask worker {scheduler} --nthreads 1`"
            )
    finally:
        client.close()


class DaskPool(Pool):
    """Tasks on a Dask cluster: the scheduler at ``scheduler`` (as many side by side as its
    workers have threads) or a ``LocalCluster`` of ``workers`` processes. :meth:`close`
    cancels what is still queued or running and, for a local cluster, stops its processes;
    a task already running on a remote worker is not interrupted (Dask cannot), its solve
    ends at its own time limit and its result is dropped."""

    def __init__(self, workers: int, scheduler: str | None = None):
        self.client, self.cluster = dask_client(scheduler, workers)
        threads = sum(self.client.nthreads().values())
        if not threads:
            self.close()
            raise InputError(f"--scheduler {scheduler}: the Dask scheduler has no workers")
        self.workers = threads
        self.where = (
            f"Dask scheduler {scheduler} ({threads} worker threads)"
            if scheduler
            else f"Dask LocalCluster of {threads} worker processes"
        )
        self.finished = _Finished()
        self.futures: dict[str, Any] = {}

    def submit(self, tag: Hashable, fn: Callable[[Any], Any], task: Any) -> None:
        future = self.client.submit(call, fn, task, pure=False)
        self.futures[future.key] = future
        future.add_done_callback(lambda done: self.finished.results.put((tag, done)))

    def wait(self, timeout: float | None = None) -> tuple[Hashable, Any]:
        tag, future = self.finished.get(timeout)
        self.futures.pop(future.key, None)
        try:
            return tag, future.result()
        except Exception as exc:  # a worker died, or the task could not be sent
            return tag, TaskFailure(f"dask task failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        try:
            if self.futures:
                self.client.cancel(list(self.futures.values()))
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
