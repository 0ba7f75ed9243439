"""Solve a Pyomo model with HiGHS, through the linear standard-form compiler and highspy.

This is the only module that talks to the solver. Measured (PERFORMANCE-NOTES.md), compiling
the Pyomo model to sparse matrices and passing them to ``highspy`` is the fastest Pyomo →
HiGHS route (≈3× faster than appsi at 1 000 firms); it also gives direct access to HiGHS's
status, bound and gap. Values are written back to the Pyomo variables once, and a typed
:class:`SolveResult` says what happened — a time-limited incumbent is a result, never an
unlabelled "optimal".
"""

from __future__ import annotations

import atexit
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from scipy.sparse import csc_matrix, diags

from ..errors import SolverError

INF = highspy.kHighsInf
# Beyond these spans HiGHS's tolerances (≈1e-7 absolute feasibility, 1e-6 integrality) are no
# longer small against every number of the model: the smallest flows may come out inexact.
WIDE_MATRIX_RANGE = 1e9  # max / min |nonzero coefficient| of the constraint matrix
WIDE_VALUE_RANGE = 1e10  # max / min |nonzero| right-hand side or finite bound (quantities)
_threads_in_process: int | None = None  # HiGHS: threads can be set once per process
SCALED_BOUND = 2.0**8  # the largest continuous bound once scaled (see bound_scale)
PROBING_RULE = 1 << 15  # HiGHS presolve_rule_off bit of probing (named in HiGHS's own log)


@dataclass(frozen=True)
class SolveOptions:
    """What the solver is asked for; ``None`` keeps HiGHS's default."""

    time_limit: float = 300.0
    mip_gap: float = 1e-4
    threads: int = 0
    seed: int = 0
    log: bool = False
    warm_start: bool = False  # hand the variables' current values to HiGHS as a start
    relax: bool = False  # solve the LP relaxation: integer columns become continuous
    # HiGHS's presolve probing; off for the whole model of a coupled park, where it spent
    # 22 s of a 53 s run and its reductions did not pay (benchmarks/coupled.py)
    probing: bool = True


@dataclass
class SolveResult:
    """What one solve returned.

    ``status`` is ``optimal`` (proved within ``mip_gap``), ``time_limit`` (stopped early with
    an incumbent: see ``gap``), ``infeasible`` or ``error``.
    """

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    solver_version: str = ""
    has_solution: bool = False
    message: str = ""
    handoff_seconds: float = 0.0
    rows: int = 0
    columns: int = 0
    nonzeros: int = 0
    integers: int = 0
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. numerics; printed by the CLI


_banner_shown = False


def new_highs() -> highspy.Highs:
    """A HiGHS instance; the first one of a process prints a banner on stdout: swallow it."""
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    _banner_shown = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


# HiGHS stops at its next interrupt callback once asked to; most phases call it many times a
# second, but sub-MIP heuristics not at all (measured: 8 s without one on a 200-firm park).
STOP_GRACE_S = 1.0  # how long an interrupted caller waits for HiGHS before it goes on
_solver_jobs: queue.SimpleQueue | None = None
_unfinished: list[threading.Event] = []  # runs handed to the solver thread, not done yet


def run_highs(h: highspy.Highs) -> None:
    """``h.run()`` that Ctrl-C and SIGTERM stop at once (README.md, "Output rules").

    HiGHS is C++ that releases the GIL: run in the main thread, Python's signal handler waits
    until it returns (measured before: Ctrl-C 5 s into a 200-firm solve was acted on 60 s
    later, at the time limit), and an exception raised inside a HiGHS callback is lost. So
    the main thread hands ``run`` to one long-lived solver thread (always the same one:
    HiGHS's thread pool, and its ``threads`` option, belong to the thread that runs it) and
    waits, ready for a signal. When the wait is interrupted (KeyboardInterrupt, or
    :class:`~ecopark_opt.interrupts.Interrupted`), a flag tells HiGHS's interrupt callbacks to
    stop it, the caller waits at most :data:`STOP_GRACE_S` and re-raises: an interrupt is
    never turned into a "time_limit" result. Other threads call ``run`` directly.
    """
    global _solver_jobs
    stop = threading.Event()

    def interrupt_if_stopped(event) -> None:  # in the solver thread, many times a second
        if stop.is_set():
            event.interrupt()

    for callback in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
        callback.subscribe(interrupt_if_stopped)
    if threading.current_thread() is not threading.main_thread():
        h.run()
        return
    if _solver_jobs is None:
        _solver_jobs = queue.SimpleQueue()
        threading.Thread(
            target=_solver_loop, args=(_solver_jobs,), name="HiGHS", daemon=True
        ).start()
        atexit.register(_wait_for_highs)  # a HiGHS thread alive at exit aborts the process
    done = threading.Event()
    failure: list[BaseException] = []
    _unfinished[:] = [d for d in _unfinished if not d.is_set()] + [done]
    _solver_jobs.put((h, done, failure))
    try:
        while not done.wait(0.5):  # a signal's handler runs (and may raise) in this wait
            pass
    except BaseException:
        stop.set()
        done.wait(STOP_GRACE_S)
        raise
    if failure:
        raise failure[0]


def _forget_solver_thread() -> None:  # a forked child has no solver thread: start its own
    global _solver_jobs
    _solver_jobs = None
    _unfinished.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_solver_thread)


def _solver_loop(jobs: queue.SimpleQueue) -> None:
    while True:
        h, done, failure = jobs.get()
        try:
            h.run()
        except BaseException as exc:  # handed back to the caller
            failure.append(exc)
        finally:
            done.set()


def _wait_for_highs() -> None:
    for done in list(_unfinished):
        done.wait()


def highs_running() -> bool:
    """A HiGHS run is still going on, e.g. one its caller stopped waiting for on an interrupt
    (the command line then ends the process without waiting for it)."""
    return any(not done.is_set() for done in _unfinished)


def highs_version() -> str:
    return new_highs().version()


@dataclass
class Arrays:
    """A model in HiGHS's standard form: min c·x + offset, row_lower ≤ A x ≤ row_upper,
    lower ≤ x ≤ upper, x_j integer where ``integer[j]``; A column-wise (CSC)."""

    A: csc_matrix
    offset: float
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape

    def as_tuple(self) -> tuple:
        n_row, n_col = self.A.shape
        return (
            n_col,
            n_row,
            self.A,
            self.offset,
            self.cost,
            self.lower,
            self.upper,
            self.row_lower,
            self.row_upper,
            self.integer,
        )


def compile_model(model: pyo.ConcreteModel) -> tuple[Arrays, list]:
    """A Pyomo model's active objective and constraints in standard form (Pyomo's linear
    standard-form compiler), and its columns (the variables, in column order); raises
    ``InfeasibleConstraintException`` for a constraint that fixed variables violate."""
    form, columns, _ = _compile(model)
    return form, columns


def _compile(model: pyo.ConcreteModel) -> tuple[Arrays, list, list]:
    """:func:`compile_model`, and the constraints in row order."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True)
    columns = form.columns
    n_col = len(columns)
    A = form.A.tocsc()
    offset = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    cost = np.asarray(form.c.todense()).ravel() if n_col else np.zeros(0)
    lower = np.array([-INF if v.lb is None else v.lb for v in columns], dtype=float)
    upper = np.array([INF if v.ub is None else v.ub for v in columns], dtype=float)
    integer = np.array(
        [1 if v.is_integer() or v.is_binary() else 0 for v in columns], dtype=np.int32
    )
    sense = np.array([mult for _, mult in form.rows], dtype=int)
    rhs = np.asarray(form.rhs, dtype=float)
    row_lower = np.where(sense <= 0, rhs, -INF)
    row_upper = np.where(sense >= 0, rhs, INF)
    form_arrays = Arrays(A, offset, cost, lower, upper, row_lower, row_upper, integer)
    return form_arrays, columns, [con for con, _ in form.rows]


def solve(model: pyo.ConcreteModel, options: SolveOptions = SolveOptions()) -> SolveResult:
    """Minimise ``model``'s active objective; load the best solution found into its variables."""
    started = time.perf_counter()
    try:
        arrays, columns = compile_model(model)
    except InfeasibleConstraintException as exc:
        return SolveResult(
            "infeasible",
            seconds=time.perf_counter() - started,
            solver_version=highs_version(),
            message=str(exc),
        )
    start = None
    if options.warm_start:
        start = np.array([np.nan if v.value is None else v.value for v in columns], dtype=float)
    result, values = solve_arrays(arrays, options, start, started)
    if values is not None:
        for var, x in zip(columns, values):
            var.set_value(float(x), skip_validation=True)
    return result


def solve_arrays(
    form: Arrays,
    options: SolveOptions = SolveOptions(),
    start: np.ndarray | None = None,
    started: float | None = None,
) -> tuple[SolveResult, np.ndarray | None]:
    """Minimise a model given in standard form; the result and, when it has a solution, the
    column values (integer columns rounded). ``start`` (with ``options.warm_start``) holds
    the columns' starting values, NaN where unknown: the integer columns' are handed to
    HiGHS (:func:`_set_start`). ``started`` is when the hand-off began (default: now)."""
    global _threads_in_process
    started = time.perf_counter() if started is None else started
    n_col, n_row, A, offset, cost, lower, upper, row_lower, row_upper, integer = form.as_tuple()
    arrays, column_scale, wide = balanced(form)
    warnings: list[str] = []
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.log))
    if _threads_in_process is None:
        _threads_in_process = int(options.threads)
        if options.threads:
            h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("time_limit", float(options.time_limit))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    h.setOptionValue("random_seed", int(options.seed))
    scale = bound_scale(upper, integer) if column_scale is None else 0
    h.setOptionValue("user_bound_scale", scale)
    if not options.probing:
        _set_option(h, "presolve_rule_off", PROBING_RULE)
    if options.relax:
        arrays = (*arrays[:-1], np.zeros_like(integer))
        integer = arrays[-1]
    version = h.version()
    if n_col == 0:
        seconds = time.perf_counter() - started
        result = SolveResult(
            "optimal", offset, offset, 0.0, seconds, version, True, "nothing to decide"
        )
        return result, np.zeros(0)
    _pass_model(h, *arrays)
    if options.warm_start and start is not None:
        _set_start(h, start, integer)
    handoff = time.perf_counter() - started
    run_highs(h)
    if scale and _finished_without_design(h):
        # HiGHS finished the scaled model without any design: solve again, unscaled
        h.setOptionValue("user_bound_scale", 0)
        h.setOptionValue(
            "time_limit", max(options.time_limit - (time.perf_counter() - started), 1.0)
        )
        h.clearSolver()
        run_highs(h)
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    S = highspy.HighsModelStatus
    is_mip = bool(integer.any())
    objective = float(info.objective_function_value) if has_solution else None
    polished = None
    if scale and is_mip and info.primal_solution_status == 1:
        # the scaled design misses HiGHS's absolute tolerances once unscaled (by ~1e-6 on
        # flows of 10^6): keep its decisions, solve for the flows in the workbook's units
        polished = _polish(arrays, np.asarray(h.getSolution().col_value, dtype=float))
        if polished is not None:
            has_solution = True
            objective = polished[0]
    seconds = time.perf_counter() - started
    bound = float(info.mip_dual_bound) if is_mip and has_solution else objective
    if polished is not None:
        bound = min(bound, objective)
        gap = relative_gap(objective, bound)
    else:
        gap = _gap(info, has_solution) if is_mip else (0.0 if has_solution else None)
    result = SolveResult(
        status="error",
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        solver_version=version,
        has_solution=has_solution,
        message=h.modelStatusToString(status),
        handoff_seconds=handoff,
        rows=n_row,
        columns=n_col,
        nonzeros=int(A.nnz),
        integers=int(integer.sum()),
        warnings=warnings,
    )
    if status == S.kOptimal:
        result.status = "optimal"
    elif status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        result.status = "infeasible"
        result.has_solution = False
    elif status in (
        S.kTimeLimit,
        S.kIterationLimit,
        S.kSolutionLimit,
        S.kObjectiveBound,
        S.kObjectiveTarget,
        S.kMemoryLimit,
    ):
        result.status = "time_limit"
    if not result.has_solution:
        return result, None
    values = (
        polished[1] if polished is not None else np.asarray(h.getSolution().col_value, dtype=float)
    )
    if column_scale is not None:
        values = values * column_scale
        result.extra["scaled"] = True
        result.warnings = inexact(A, values, row_lower, row_upper, lower, upper, wide)
    return result, np.where(integer.astype(bool), np.round(values), values)


def balanced(form: Arrays) -> tuple[tuple, np.ndarray | None, list[str]]:
    """The arrays HiGHS is given: ``form`` itself, or the same model in balanced units
    (:func:`equilibrate`, with its column scale) when its numbers span too wide a range for
    HiGHS's absolute tolerances; and, in words, what spans too wide a range."""
    n_col, n_row, A, offset, cost, lower, upper, row_lower, row_upper, integer = form.as_tuple()
    rhs = np.concatenate([row_lower[row_lower > -INF], row_upper[row_upper < INF]])
    arrays = form.as_tuple()
    wide = numeric_warnings(A.data, np.concatenate([rhs, lower, upper]), cost)
    column_scale = None
    if wide:
        arrays, column_scale = equilibrate(arrays)
    return arrays, column_scale, wide


MODEL_FORMATS = (".mps", ".lp")  # what HiGHS writes, chosen by the file's extension


@dataclass(frozen=True)
class ModelFile:
    """What :func:`write_model` wrote: the model's size, whether it is in balanced units
    (:func:`equilibrate`), and HiGHS's ``user_bound_scale``, the option :func:`solve` sets
    for it (not part of the file)."""

    rows: int
    columns: int
    nonzeros: int
    integers: int
    objective_constant: float
    balanced: bool
    user_bound_scale: int


def write_model(model: pyo.ConcreteModel, path: str | os.PathLike) -> ModelFile | None:
    """Write the model exactly as :func:`solve` hands it to HiGHS, from a ``Highs`` object
    after ``passModel``, as MPS or LP by the extension of ``path`` (docs/cli.md,
    ``--write-model``). Rows and columns carry the Pyomo names (``Flow(0,12)``), with every
    character an LP file does not allow replaced by ``_``. None when a constraint without
    variables cannot hold (nothing is written: the solve says why the park is infeasible).
    """
    if Path(path).suffix.lower() not in MODEL_FORMATS:
        raise ValueError(f"{path}: a model file ends in .mps or .lp")
    try:
        form, columns, rows = _compile(model)
    except InfeasibleConstraintException:
        return None
    arrays, column_scale, _ = balanced(form)
    h = new_highs()
    h.setOptionValue("output_flag", False)
    _pass_model(h, *arrays)
    for n, name in enumerate(file_names(v.name for v in columns)):
        h.passColName(n, name)
    for n, name in enumerate(file_names(c.name for c in rows)):
        h.passRowName(n, name)
    if h.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise SolverError(f"{path}: HiGHS could not write the model")
    is_balanced = column_scale is not None
    return ModelFile(
        rows=form.shape[0],
        columns=form.shape[1],
        nonzeros=int(form.A.nnz),
        integers=int(form.integer.sum()),
        objective_constant=form.offset,
        balanced=is_balanced,
        user_bound_scale=0 if is_balanced else bound_scale(form.upper, form.integer),
    )


_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_().,]")


def file_names(names: Iterable[str]) -> list[str]:
    """Names an LP or MPS file takes: Pyomo's ``Flow[0,'a b']`` becomes ``Flow(0,a_b)``
    (brackets to parentheses, quotes dropped, any other character an LP file does not
    allow to ``_``); a name that comes out twice gets ``_2``, ``_3``… (HiGHS would
    otherwise drop every name)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        clean = _NOT_IN_NAMES.sub(
            "_", name.replace("[", "(").replace("]", ")").replace("'", "").replace('"', "")
        )
        unique, n = clean, 1
        while unique in seen:
            n += 1
            unique = f"{clean}_{n}"
        seen.add(unique)
        out.append(unique)
    return out


def equilibrate(arrays: tuple) -> tuple[tuple, np.ndarray]:
    r"""The same model in balanced units: x = C x', rows multiplied by R, with C and R
    diagonal powers of two (exact in floating point).

    A continuous column is measured in units of its upper bound (C_j = 2^round(log2 u_j)):
    a bulk stream of 10^12 t becomes a number near 1, and its price per unit, 10^-9, a
    coefficient near 10^3 that HiGHS's optimality tolerance (10^-7 absolute) no longer
    mistakes for zero. Each row is then divided by its largest coefficient (R_i). Binary
    and integer columns keep their units. The objective's value and bound are unchanged
    (c'x' = c x); a solution found within HiGHS's tolerances is exact to about 10^-7 of each
    row's scale in the workbook's units.
    """
    n_col, n_row, A, offset, cost, lower, upper, row_lower, row_upper, integer = arrays
    col = np.ones(n_col)
    bounded = (integer == 0) & np.isfinite(upper) & (upper < INF) & (upper > 0)
    col[bounded] = np.exp2(np.round(np.log2(upper[bounded])))
    scaled = A @ diags(col)
    biggest = abs(scaled).max(axis=1).toarray().ravel()
    row = np.where(biggest > 0, np.exp2(-np.round(np.log2(np.where(biggest > 0, biggest, 1)))), 1)
    scaled = (diags(row) @ scaled).tocsc()
    return (
        n_col,
        n_row,
        scaled,
        offset,
        cost * col,
        lower / col,
        np.where(upper >= INF, INF, upper / col),
        np.where(row_lower <= -INF, -INF, row_lower * row),
        np.where(row_upper >= INF, INF, row_upper * row),
        integer,
    ), col


def inexact(A, x: np.ndarray, row_lower, row_upper, lower, upper, wide: list[str]) -> list[str]:
    """A warning when a design found in balanced units misses a row of the workbook's
    units by more than 10^-6 of that row's size (the design is then not trustworthy);
    none when every row holds."""
    activity = A @ x
    size = np.maximum(abs(A) @ abs(x), 1.0)
    low = np.where(row_lower <= -INF, -np.inf, row_lower)
    high = np.where(row_upper >= INF, np.inf, row_upper)
    missed = (activity < low - 1e-6 * size) | (activity > high + 1e-6 * size)
    if not missed.any():
        return []
    worst = float(np.max(np.maximum(low - activity, activity - high)[missed] / size[missed]))
    return [
        f"the design misses {int(missed.sum())} constraint(s) by up to {worst:.1e} of their size "
        "in the workbook's units, although it was solved in balanced units: " + "; ".join(wide)
    ]


def _set_option(h: highspy.Highs, name: str, value) -> None:
    """Set a HiGHS option; HiGHS only warns about a bad one and solves on, so refuse it."""
    if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
        raise SolverError(f"HiGHS refused option {name} = {value!r}")


def _pass_model(
    h: highspy.Highs,
    n_col: int,
    n_row: int,
    A,
    offset: float,
    cost,
    lower,
    upper,
    row_lower,
    row_upper,
    integer,
) -> None:
    h.passModel(
        n_col,
        n_row,
        A.nnz,
        1,
        1,
        offset,  # column-wise matrix, minimise
        cost,
        lower,
        upper,
        row_lower,
        row_upper,
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(float),
        integer,
    )


def _finished_without_design(h: highspy.Highs) -> bool:
    """HiGHS stopped for a reason other than time and has no design at all to give."""
    stopped = h.getModelStatus() in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
    )
    return not stopped and h.getInfo().primal_solution_status == 0


def _polish(arrays: tuple, incumbent: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The incumbent's integer decisions fixed, the rest solved unscaled (a small LP after
    HiGHS's presolve): the design checked and completed in the workbook's units. Returns
    (objective, column values), or None if even that fails."""
    n_col, n_row, A, offset, cost, lower, upper, row_lower, row_upper, integer = arrays
    fixed = integer.astype(bool)
    lower, upper = lower.copy(), upper.copy()
    lower[fixed] = upper[fixed] = np.round(incumbent[fixed])
    h = new_highs()
    h.setOptionValue("output_flag", False)
    _pass_model(h, n_col, n_row, A, offset, cost, lower, upper, row_lower, row_upper, integer)
    run_highs(h)
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return None
    return float(info.objective_function_value), np.asarray(h.getSolution().col_value, dtype=float)


def _set_start(h: highspy.Highs, start: np.ndarray, integer: np.ndarray) -> None:
    """The integer columns' starting values (the design's decisions) as a partial starting
    solution: HiGHS completes the other columns with an LP, and rejects a start it cannot
    complete, so a stale start costs a little time, never an answer."""
    index = np.flatnonzero(integer.astype(bool) & ~np.isnan(start))
    if index.size:
        h.setSolution(index.size, index.astype(np.int32), np.round(start[index]).astype(float))


def bound_scale(upper: np.ndarray, integer: np.ndarray) -> int:
    """HiGHS ``user_bound_scale``: the power of two (≤ 0) that brings the largest finite
    upper bound of a continuous column (a yearly quantity) down to about ``SCALED_BOUND``,
    but never the smallest positive one below 1.

    HiGHS then works on quantities in units of 2^k instead of the workbook's: the same model,
    but link capacity rows F ≤ U·B no longer pair a 1 with a U of 10^6, and the MIP gap
    closes much faster on parks with big flows (at 1 000 firms a water component went from
    2.2 % to 0.3 % gap in 15 s; benchmarks/formulation.py). The smallest quantity stays ≥ 1
    unit of 2^k, far above HiGHS's absolute tolerances (1e-7), so no stream becomes
    negligible: a park with a trace resource (1e-3 kg next to 1e7 t of water) is not scaled
    at all. HiGHS checks the design again in the workbook's units; when its tolerances fail
    there, :func:`_polish` completes the design's decisions unscaled, and a scaled solve that
    ends with no design at all is run again unscaled.
    """
    bounds = np.abs(upper[(integer == 0) & np.isfinite(upper) & (np.abs(upper) < INF)])
    bounds = bounds[bounds > 0]
    if not bounds.size or bounds.max() <= SCALED_BOUND:
        return 0
    shrink = int(round(math.log2(bounds.max() / SCALED_BOUND)))
    room = int(math.floor(math.log2(bounds.min()))) if bounds.min() >= 1 else 0
    return -max(min(shrink, room), 0)


def _span(values: np.ndarray) -> tuple[float, float] | None:
    """(smallest, largest) |value| over the finite nonzero ``values``; None if there are none."""
    magnitude = np.abs(np.asarray(values, dtype=float))
    magnitude = magnitude[np.isfinite(magnitude) & (magnitude > 0) & (magnitude < INF)]
    if not magnitude.size:
        return None
    return float(magnitude.min()), float(magnitude.max())


def numeric_warnings(
    coefficients: np.ndarray, values: np.ndarray, costs: np.ndarray | None = None
) -> list[str]:
    """What spans too wide a range for HiGHS's absolute tolerances, in words (empty when
    nothing does): :func:`solve` then solves in balanced units (:func:`equilibrate`) and
    warns only if the design misses the workbook's units (:func:`inexact`).

    ``coefficients`` are the constraint matrix's nonzeros (link bounds U, quantities of
    candidate firms, delivered factors, quality values); ``values`` the right-hand sides and
    variable bounds (the yearly quantities); ``costs`` the objective's coefficients (prices).
    """
    out = []
    for span, limit, what in (
        (_span(coefficients), WIDE_MATRIX_RANGE, "constraint coefficients"),
        (_span(values), WIDE_VALUE_RANGE, "quantities and bounds"),
        (_span(costs if costs is not None else []), WIDE_MATRIX_RANGE, "prices and costs"),
    ):
        if span and span[1] / span[0] > limit:
            low, high = span
            out.append(
                f"the model's {what} span {high / low:.0e} (from {low:.3g} to {high:.3g}), "
                f"more than {limit:.0e}; give tiny and huge resources units closer in size "
                "(e.g. kg instead of t for a trace chemical, kt instead of t for bulk water)"
            )
    return out


def relative_gap(objective: float, bound: float) -> float:
    """|objective − bound| / |objective|, HiGHS's definition (0 when the objective is 0)."""
    return abs(objective - bound) / abs(objective) if objective else 0.0


def _gap(info: highspy.HighsInfo, has_solution: bool) -> float | None:
    """HiGHS's own relative gap |primal − bound| / |primal|, None when undefined."""
    if not has_solution:
        return None
    gap = float(info.mip_gap)
    return None if math.isinf(gap) or math.isnan(gap) else max(gap, 0.0)


def require_solution(result: SolveResult) -> None:
    """Raise when a solve gave nothing to report (exit code 4)."""
    if result.status == "infeasible":
        return
    if not result.has_solution:
        raise SolverError(
            f"HiGHS stopped ({result.message}) after {result.seconds:.1f} s without any "
            "feasible design; raise --time-limit"
        )
