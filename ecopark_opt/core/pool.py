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
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing import connection
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
    """``workers`` local worker processes (``spawn``), each with a pipe of its own: a task is
    sent only to an idle worker, which is reading its pipe, so sending never blocks (the
    standard library's pools queue tasks ahead in a shared pipe; a worker that dies, e.g. on
    a terminal's Ctrl-C, can leave them blocked for ever as they close). A worker that dies
    hands back a :class:`TaskFailure` and is replaced. :meth:`close` lets idle workers end
    as processes do and stops busy ones (:func:`_serve`), so that a solve that is no longer
    needed (or a Ctrl-C) does not wait for its time limit."""

    STOP_S = 5.0  # how long close() waits for a worker to end before killing it

    def __init__(self, workers: int):
        self.workers = workers
        self.where = f"{workers} local worker processes"
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.pipes: list[Any] = []
        for _ in range(workers):
            self._start_worker()
        self.idle = list(range(workers))
        self.busy: dict[int, Hashable] = {}  # worker → tag of the task it runs
        self.queued: deque[tuple[Hashable, Callable[[Any], Any], Any]] = deque()
        self.done: deque[tuple[Hashable, Any]] = deque()

    def _start_worker(self, slot: int | None = None) -> None:
        here, there = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(there,), daemon=True)
        process.start()
        there.close()
        if slot is None:
            self.processes.append(process)
            self.pipes.append(here)
        else:
            self.processes[slot], self.pipes[slot] = process, here

    def submit(self, tag: Hashable, fn: Callable[[Any], Any], task: Any) -> None:
        self.queued.append((tag, fn, task))
        self._dispatch()

    def _dispatch(self) -> None:
        while self.idle and self.queued:
            worker = self.idle.pop()
            tag, fn, task = self.queued.popleft()
            try:
                self.pipes[worker].send((fn, task))
            except Exception as exc:  # the task cannot be pickled, or the worker is gone
                self.done.append((tag, TaskFailure(f"worker process failed: {exc}")))
                if not self.processes[worker].is_alive():
                    self._replace(worker)
                self.idle.append(worker)
            else:
                self.busy[worker] = tag

    def _replace(self, worker: int) -> None:
        """A new worker in the place of one that died (its pipe closed, its exit reaped)."""
        self.pipes[worker].close()
        self.processes[worker].join(self.STOP_S)
        self._start_worker(worker)

    def wait(self, timeout: float | None = None) -> tuple[Hashable, Any]:
        """The next finished task; waits in short steps, so that a signal's handler runs
        (and may raise) promptly in the waiting thread."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            waiting = {self.pipes[w]: w for w in self.busy}
            ready = connection.wait(list(waiting), 0.5 if left is None else min(0.5, left))
            for pipe in ready:
                worker = waiting[pipe]
                tag = self.busy.pop(worker)
                try:
                    result = pipe.recv()
                except (EOFError, OSError):  # the worker died
                    self.processes[worker].join(self.STOP_S)
                    code = self.processes[worker].exitcode
                    result = TaskFailure(f"worker process died (exit code {code})")
                    self._replace(worker)
                self.done.append((tag, result))
                self.idle.append(worker)
            self._dispatch()
            if not self.done and deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"no worker answered within {timeout:.0f} s")
        return self.done.popleft()

    def close(self) -> None:
        for worker, (process, pipe) in enumerate(zip(self.processes, self.pipes)):
            if worker in self.busy:
                process.terminate()  # its solve is no longer needed
            pipe.close()  # an idle worker ends as it reads the end of its pipe
        deadline = time.monotonic() + self.STOP_S
        for process in self.processes:
            process.join(max(deadline - time.monotonic(), 0))
            if process.is_alive():
                process.kill()
                process.join()


def _serve(pipe: Any) -> None:
    """A local worker: runs the tasks it reads from its pipe, one at a time, and sends back
    each result, until the pipe is closed.

    Ctrl-C and SIGTERM end it at once and quietly (a terminal's Ctrl-C reaches every process
    of the command; the command itself says that it was interrupted), after releasing what
    it holds as a process that ends normally does (multiprocessing's exit handler: Pyomo,
    imported in a worker, holds a named semaphore, which Python reports as leaked at exit
    when a killed worker leaves it behind)."""
    import multiprocessing.util
    import os
    import signal

    def end(signum: int, frame: Any) -> None:
        if multiprocessing.util._exiting:  # already ending normally: let it finish
            return
        multiprocessing.util._exit_function()
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, end)
    signal.signal(signal.SIGTERM, end)
    while True:
        try:
            fn, task = pipe.recv()
        except (EOFError, OSError):  # the pool closed
            return
        result = call(fn, task)
        try:
            pipe.send(result)
        except OSError:  # the command is gone (killed): nobody to answer
            return
        except Exception as exc:  # e.g. a result that cannot be pickled
            pipe.send(TaskFailure(f"the result could not be sent back: {exc}"))


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
