"""Ctrl-C and SIGTERM at any moment, and two runs at once, with real processes: exit 130 /
143 with one line, no traceback, earlier outputs untouched, no temporary or lock file left
(README.md, "Output rules")."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers import park_file, two_firm_park

GUARD_S = 150  # a run that ignores its interrupt is killed by then (and the test fails)
OLD = {"r.xlsx": b"old report", "r_network.png": b"old picture", "r.json": b'{"old": true}'}


def _default_sigint() -> None:  # a test runner started in the background ignores SIGINT
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(args: list, cwd: Path, module: str = "ecopark_opt") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module, *[str(a) for a in args]],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def finish(process: subprocess.Popen, stderr_so_far: str = "") -> tuple[int, str, str]:
    """Wait for the process (killed after GUARD_S); return code, stdout, stderr."""
    guard = threading.Timer(GUARD_S, process.kill)
    guard.start()
    try:
        err = stderr_so_far + process.stderr.read()
        out = process.stdout.read()
        return process.wait(), out, err
    finally:
        guard.cancel()


def wait_for_line(process: subprocess.Popen, text: str) -> str:
    """Read stderr until a line contains ``text``; return what was read."""
    seen = ""
    for line in process.stderr:
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"the run ended before {text!r}: {seen}")


def handles_sigterm(pid: int) -> bool:
    """The process has installed its SIGTERM handler (Linux: the SigCgt mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def put_old_outputs(folder: Path) -> None:
    for name, data in OLD.items():
        (folder / name).write_bytes(data)


def assert_untouched(folder: Path, *inputs: str) -> None:
    """The earlier outputs as they were, and no temporary or lock file beside them."""
    assert sorted(p.name for p in folder.iterdir()) == sorted([*OLD, *inputs])
    assert {name: (folder / name).read_bytes() for name in OLD} == OLD


def assert_one_line(err: str, expected: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err
    assert [line for line in err.splitlines() if "interrupted" in line] == [expected], err


@pytest.fixture(scope="module")
def big_park(tmp_path_factory) -> Path:
    """200 firms and 4 candidate firms on 4 plots: one MIP that HiGHS works on for minutes."""
    folder = tmp_path_factory.mktemp("big")
    args = ["generate", "--firms", 200, "--plots", 4, "--candidates", 4, "--seed", 1]
    code, out, err = finish(start([*args, "park.xlsx", "--quiet"], folder))
    assert code == 0, err
    return folder / "park.xlsx"


@pytest.fixture
def run_folder(tmp_path: Path, big_park: Path) -> Path:
    (tmp_path / "park.xlsx").write_bytes(big_park.read_bytes())
    put_old_outputs(tmp_path)
    return tmp_path


SOLVE = ["solve", "park.xlsx", "--out", "r.xlsx", "--json", "r.json", "--time-limit", 300]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupt_while_highs_solves_stops_the_run(run_folder: Path, sig: int):
    process = start(SOLVE, run_folder)
    seen = wait_for_line(process, "build model")
    time.sleep(2)  # HiGHS is inside its MIP search now (C++, no Python for seconds)
    process.send_signal(sig)
    code, out, err = finish(process, seen)
    assert code == 128 + sig, err
    name = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}[sig]
    assert_one_line(err, f"interrupted by {name}; the outputs were not written")
    assert out == ""
    assert_untouched(run_folder, "park.xlsx")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupt_while_the_package_is_imported(tmp_path: Path, sig: int):
    park_file(tmp_path, two_firm_park())
    put_old_outputs(tmp_path)
    process = start(SOLVE, tmp_path)
    while process.poll() is None and not handles_sigterm(process.pid):
        time.sleep(0.001)
    assert process.poll() is None, "the run ended before it handled signals"
    process.send_signal(sig)  # Pyomo, pandas and HiGHS take a second or more to import
    code, out, err = finish(process)
    assert code == 128 + sig, err
    assert "Traceback" not in err and "ImportError" not in err, err
    (line,) = err.splitlines()
    assert line.startswith("interrupted by "), err
    assert_untouched(tmp_path, "park.xlsx")


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    """200 firms, no candidates: independent pieces solved within the time limit."""
    folder = tmp_path_factory.mktemp("region")
    code, out, err = finish(start(["generate", "--firms", 200, "--seed", 2, "p.xlsx"], folder))
    assert code == 0, err
    return folder / "p.xlsx"


def processes_marked(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (a run's children inherit it)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and mark.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def solving_on_workers(
    folder: Path, region: Path, args: list[str], new_group: bool = False
) -> tuple[subprocess.Popen, str, str]:
    """A solve of the 200-firm region whose two worker processes are solving pieces now:
    the process, what it printed so far and the mark its processes carry in their
    environment. ``new_group``: a process group of its own, as a terminal's command has."""
    (folder / "p.xlsx").write_bytes(region.read_bytes())
    put_old_outputs(folder)
    process = subprocess.Popen(
        [sys.executable, "-m", "ecopark_opt", "solve", "p.xlsx", "--workers", "2", *args]
        + ["--out", "r.xlsx", "--json", "r.json", "--time-limit", "300"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        start_new_session=new_group,
        env={**os.environ, "ECOPARK_TEST_RUN": folder.name},
    )
    mark = f"ECOPARK_TEST_RUN={folder.name}"
    seen = wait_for_line(process, "prune")
    while process.poll() is None and len(processes_marked(mark)) < 3:
        time.sleep(0.1)  # the run and its two worker processes
    time.sleep(3)  # the workers are solving pieces now
    return process, seen, mark


def processes_left(mark: str) -> list[int]:
    """The marked processes still there after a few seconds (a worker may take a moment
    to notice that the run, or its nanny, is gone)."""
    left = processes_marked(mark)
    for _ in range(50):
        if not left:
            break
        time.sleep(0.1)
        left = processes_marked(mark)
    return left


@pytest.mark.slow
def test_ctrl_c_while_components_solve_on_a_dask_local_cluster(tmp_path: Path, region: Path):
    process, seen, mark = solving_on_workers(tmp_path, region, ["--executor", "dask"])
    process.send_signal(signal.SIGINT)
    code, out, err = finish(process, seen)
    assert code == 130, err
    assert_one_line(err, "interrupted by Ctrl-C (SIGINT); the outputs were not written")
    assert out == ""
    assert_untouched(tmp_path, "p.xlsx")
    assert processes_left(mark) == []


@pytest.mark.slow
def test_a_terminal_s_ctrl_c_while_components_solve_in_local_workers(tmp_path: Path, region: Path):
    """A terminal's Ctrl-C reaches the run and each of its worker processes: one line, no
    worker's traceback, nothing left running (it left the run blocked for ever as its
    worker pool closed: a worker that died had left tasks queued in a full pipe)."""
    process, seen, mark = solving_on_workers(tmp_path, region, ["--mip-gap", "1e-9"], True)
    os.killpg(process.pid, signal.SIGINT)
    code, out, err = finish(process, seen)
    assert code == 130, err
    assert_one_line(err, "interrupted by Ctrl-C (SIGINT); the outputs were not written")
    assert "leaked" not in err, err
    assert out == ""
    assert_untouched(tmp_path, "p.xlsx")
    assert processes_left(mark) == []


@pytest.mark.slow
def test_two_runs_writing_the_same_outputs(tmp_path: Path, region: Path):
    """The second run stops at once; the report and the JSON both come from the first."""
    (tmp_path / "first.xlsx").write_bytes(region.read_bytes())
    park_file(tmp_path, two_firm_park(), "second.xlsx")
    outputs = ["--out", "r.xlsx", "--json", "r.json", "--quiet"]
    first = start(["solve", "first.xlsx", *outputs, "--time-limit", 10], tmp_path)
    while first.poll() is None and not (tmp_path / ".r.xlsx.lock").exists():
        time.sleep(0.01)
    code, out, err = finish(start(["solve", "second.xlsx", *outputs], tmp_path))
    assert first.poll() is None, "the first run ended too early for this test"
    assert code == 2 and out == ""
    assert err == (
        "error: r.json: another ecopark run is writing this file (lock .r.json.lock); wait for "
        "it to finish or choose another output path\n"
    )
    code, out, err = finish(first)
    assert code == 0, err
    assert out.startswith(("optimal: ", "stopped at the time limit"))
    assert len(json.loads((tmp_path / "r.json").read_text())["firms"]) == 200
    info = {r[0]: r[1] for r in load_workbook(tmp_path / "r.xlsx")["RunInfo"].values}
    assert info["input SHA-256"] == hashlib.sha256(region.read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["first.xlsx", "second.xlsx", "r.xlsx", "r_network.png", "r.json"]
    )


@pytest.mark.slow
def test_a_run_killed_with_sigkill_never_blocks_the_next(run_folder: Path):
    first = start(SOLVE, run_folder)
    wait_for_line(first, "build model")
    first.kill()
    first.wait()
    park_file(run_folder, two_firm_park(), "small.xlsx")
    small = ["solve", "small.xlsx", "--out", "r.xlsx", "--json", "r.json", "--quiet"]
    code, out, err = finish(start(small, run_folder))
    assert code == 0, err
    assert out.startswith("optimal: 1 links")
    assert json.loads((run_folder / "r.json").read_text())["status"] == "optimal"
    assert sorted(p.name for p in run_folder.iterdir()) == sorted(["small.xlsx", "park.xlsx", *OLD])


HIGHS_SCRIPT = textwrap.dedent(
    """
    import os, signal
    import highspy
    import numpy as np
    from ecopark_opt.core.solve import highs_running, new_highs, run_highs

    # a market split problem (Cornuejols & Dawande): a tiny MIP that takes HiGHS minutes
    rng = np.random.default_rng(1)
    a = rng.integers(0, 100, size=(4, 30))
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 300.0)
    for j in range(30):
        h.addVar(0, 1)
        h.changeColIntegrality(j, highspy.HighsVarType.kInteger)
    for i in range(4):  # sum_j a_ij x_j + s+ - s- = floor(sum_j a_ij / 2), min s+ + s-
        h.addVar(0, 1e9)
        h.addVar(0, 1e9)
        h.changeColCost(30 + 2 * i, 1.0)
        h.changeColCost(31 + 2 * i, 1.0)
        rhs = float(a[i].sum() // 2)
        index = np.array(list(range(30)) + [30 + 2 * i, 31 + 2 * i], dtype=np.int32)
        value = np.array(list(a[i]) + [1.0, -1.0], dtype=float)
        h.addRow(rhs, rhs, len(index), index, value)
    sent = []

    def ctrl_c_while_solving(event):  # in the solver thread, while HiGHS searches
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    h.cbMipInterrupt.subscribe(ctrl_c_while_solving)
    try:
        run_highs(h)
        print("returned:", h.modelStatusToString(h.getModelStatus()))
    except KeyboardInterrupt:
        while highs_running():
            pass
        print("raised KeyboardInterrupt:", h.modelStatusToString(h.getModelStatus()))
    """
)


@pytest.mark.slow
def test_ctrl_c_stops_highs_and_raises_instead_of_returning(tmp_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-c", HIGHS_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    code, out, err = finish(process)
    assert code == 0, err
    assert out == "raised KeyboardInterrupt: Interrupted by user\n"


INTERRUPTS_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from ecopark_opt import interrupts

    interrupts.install()
    if sys.argv[1] == "starting":
        os.kill(os.getpid(), signal.SIGTERM)
        print("not reached")
    interrupts.started()
    log = []
    try:
        with interrupts.raising():
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGINT)
                log.append("held: the block goes on")
            log.append("not reached")
    except interrupts.Interrupted as exc:
        log.append(f"raised at the end of the block: exit {exc.exit_code}")
    os.kill(os.getpid(), signal.SIGTERM)  # outside raising(): recorded, not raised
    log.append(f"recorded: first {interrupts.received().name}")
    print(log)
    """
)


def test_signals_are_held_inside_a_block_and_raised_at_its_end():
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTS_SCRIPT, "running"],
        capture_output=True,
        text=True,
        preexec_fn=_default_sigint,
        timeout=GUARD_S,
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == str(
            [
                "held: the block goes on",
                "raised at the end of the block: exit 130",
                "recorded: first Ctrl-C (SIGINT)",
            ]
        )
        + "\n"
    )


def test_a_signal_before_the_imports_are_done_ends_the_process_at_once():
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTS_SCRIPT, "starting"],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
    )
    assert result.returncode == 143
    assert result.stdout == ""
    assert result.stderr == "interrupted by SIGTERM while starting; nothing was written\n"


FINALIZER_SCRIPT = textwrap.dedent(
    """
    import os, signal, weakref
    from ecopark_opt import interrupts

    interrupts.install()
    interrupts.started()


    class Model:
        pass


    def collected(ref):  # the handler raises inside this callback, where Python drops it
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))


    log = []
    try:
        with interrupts.raising():
            model = Model()
            ref = weakref.ref(model, collected)
            del model
            for _ in range(10**8):
                pass
            log.append("not reached")
    except interrupts.Interrupted as exc:
        log.append(f"raised: exit {exc.exit_code}")
    print(log)
    """
)


def test_an_interrupt_inside_a_garbage_collector_callback_is_not_lost():
    result = subprocess.run(
        [sys.executable, "-c", FINALIZER_SCRIPT],
        capture_output=True,
        text=True,
        preexec_fn=_default_sigint,
        timeout=GUARD_S,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['raised: exit 130']\n"
    assert result.stderr == ""  # no "Exception ignored in … Traceback"
