"""Where independent solves run (core/pool.py): local worker processes or a Dask cluster,
for a decomposed solve's components as for the analyses' tasks."""

from __future__ import annotations

import pandas as pd
import pytest

from ecopark_opt.core import decompose
from ecopark_opt.core import pool as pool_module
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.pool import DaskPool, Executor, ProcessPool, TaskFailure, check_scheduler
from ecopark_opt.errors import InputError
from tests.core.test_formulation import generated


def _halve(x: int) -> float:
    if x < 0:
        raise ValueError("no negative numbers")
    return x / 2


def test_where_components_run():
    assert not Executor("serial", 4).side_by_side
    assert not Executor("local", 1).side_by_side  # one worker: this process
    assert Executor("local", 2).side_by_side
    assert Executor("dask", 1).side_by_side
    # --executor serial keeps the components here whatever --workers says
    assert RunOptions(executor="serial", workers=3).pool() == Executor("serial", 1)
    assert RunOptions(workers=2, executor="dask", scheduler="tcp://h:8786").pool() == Executor(
        "dask", 2, "tcp://h:8786"
    )


def run_all(pool, tasks: list[int]) -> dict:
    try:
        for n, task in enumerate(tasks):
            pool.submit(f"task {n}", _halve, task)
        return dict(pool.wait(timeout=60) for _ in tasks)
    finally:
        pool.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "make", [lambda: ProcessPool(2), lambda: DaskPool(2)], ids=["local", "dask"]
)
def test_a_pool_hands_back_every_result_by_its_tag_and_a_failure_as_such(make):
    assert run_all(make(), [4, -1, 10]) == {
        "task 0": 2.0,
        "task 1": TaskFailure("ValueError: no negative numbers"),
        "task 2": 5.0,
    }


def _die(code: int) -> None:
    import os

    os._exit(code)


def _unpicklable(x: int):
    return lambda: x


@pytest.mark.slow
def test_a_local_worker_that_dies_is_a_failure_and_is_replaced():
    pool = ProcessPool(1)
    try:
        pool.submit("dies", _die, 3)
        pool.submit("after", _halve, 8)  # queued: runs in the worker that replaces it
        pool.submit("unsendable", _unpicklable, 1)
        results = dict(pool.wait(timeout=60) for _ in range(3))
    finally:
        pool.close()
    assert results["dies"] == TaskFailure("worker process died (exit code 3)")
    assert results["after"] == 4.0
    assert isinstance(results["unsendable"], TaskFailure)
    assert "could not be sent back" in results["unsendable"].error


def test_a_pool_that_never_answers_times_out():
    class Silent(pool_module.Pool):
        finished = pool_module._Finished()

        def wait(self, timeout=None):
            return self.finished.get(timeout)

    with pytest.raises(TimeoutError, match="no worker answered within 0 s"):
        Silent().wait(timeout=0.2)


@pytest.mark.slow
def test_components_on_a_dask_local_cluster_give_the_serial_design(tmp_path, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # every component a piece of its own
    park = generated(tmp_path, 25, 10, 3)
    exact = {"mip_gap": 1e-9, "time_limit": 60}
    serial = optimize(park, RunOptions(executor="serial", **exact))
    on_dask = optimize(park, RunOptions(executor="dask", workers=2, **exact))
    assert on_dask.result.extra["pieces solved"] == serial.result.extra["pieces solved"] > 5
    assert on_dask.status == serial.status == "optimal"
    assert on_dask.objective_value == pytest.approx(serial.objective_value, rel=1e-9)
    design = ["build", "sent", "delivered"]
    pd.testing.assert_frame_equal(on_dask.links[design], serial.links[design], atol=1e-6)


@pytest.mark.slow
def test_a_scheduler_out_of_reach_or_without_workers_is_refused(monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(pool_module, "DASK_CONNECT_S", 1.0)
    with pytest.raises(
        InputError, match="cannot start or reach the scheduler at tcp://127.0.0.1:9"
    ):
        check_scheduler("tcp://127.0.0.1:9")
    with LocalCluster(n_workers=0, dashboard_address=None, processes=False) as empty:
        with pytest.raises(InputError, match="the Dask scheduler has no workers"):
            check_scheduler(empty.scheduler_address)


HOLDER = """
import multiprocessing, pathlib, sys, time
from ecopark_opt.core.pool import ProcessPool

def hold(marker):
    # what Pyomo does as a worker imports it: a lock, i.e. a named semaphore that Python's
    # resource tracker watches; then a solve that is no longer needed when the pool closes
    lock = multiprocessing.get_context("spawn").Lock()
    if marker:
        pathlib.Path(marker).write_text("holding")
        time.sleep(120)
    return "done"

if __name__ == "__main__":
    marker = pathlib.Path(sys.argv[1])
    pool = ProcessPool(2)
    pool.submit("quick", hold, "")
    pool.submit("slow", hold, str(marker))
    assert pool.wait(60) == ("quick", "done")
    while not marker.exists():
        time.sleep(0.05)
    pool.close()  # one task still running: its worker is stopped
    print("closed")
"""


@pytest.mark.slow
def test_closing_a_pool_with_a_task_running_leaks_no_semaphore(tmp_path):
    """A worker stopped while its task runs releases what it holds: before, Python's
    resource tracker printed "leaked semaphore objects" warnings at the command's end."""
    import subprocess
    import sys

    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "marker")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"
    assert "leaked" not in done.stderr and "resource_tracker" not in done.stderr, done.stderr


@pytest.mark.slow
def test_no_more_worker_processes_than_pieces(tmp_path, monkeypatch):
    """--workers 64 on a park of a few pieces starts as many workers as there are pieces."""
    opened = []

    def record(executor):
        opened.append(executor)
        return pool_module.ProcessPool(executor.workers)

    monkeypatch.setattr(decompose, "open_pool", record)
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)
    park = generated(tmp_path, 12, 6, 1)
    solution = optimize(park, RunOptions(mip_gap=1e-9, time_limit=60, workers=64))
    pieces = solution.result.extra["pieces solved"]
    assert 1 < pieces < 64
    assert [e.workers for e in opened] == [pieces]
