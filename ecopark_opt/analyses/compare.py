"""Siting options and scenarios side by side (``ecopark compare``).

Each *option* is optimised on its own, by whichever executor runs the tasks
(:mod:`ecopark_opt.executors`):

- several workbooks, one per siting option: the option's name is the file's stem;
- one workbook with ``--scenarios``: the base workbook (option ``base``) and every scenario
  of its ``scenarios`` sheet (SPEC §2), applied to the base by
  :mod:`ecopark_opt.scenarios`.

A worker receives the workbook's bytes and the scenario name, builds and solves the park
itself and returns plain data: the option's SPEC §6 record (status, metrics, links, firms)
and the candidates it admitted. An option that is infeasible or fails is a row with its
status and the reason; the others complete.

The verdict names, per metric, the best option among those with a design: the lowest
design cost, virgin use and CO2e, and the largest cost saving against standalone operation
(which differs from the lowest cost when the options' baselines differ, e.g. other firms).
Values within 10⁻⁶ (relative) of the best are ties and are all named.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.mapdata import design_features
from ..core.optimize import RunOptions, optimize
from ..core.records import failure_json, solution_json
from ..core.solution import Solution
from ..core.vocabulary import METRICS, SOLVED
from ..errors import EcoparkError, InfeasibleError
from ..inputs.scenarios import WorkbookData, scenario_names
from .executors import TaskFailure, run_tasks

BASE = "base"
TIE = 1e-6
LINK_KEY = ("supplier", "receiver", "from_resource", "to_resource", "mode")


@dataclass(frozen=True)
class OptionTask:
    """What a worker needs to design one option: the workbook, a scenario, the options."""

    option: str
    workbook: WorkbookData
    scenario: str | None
    options: RunOptions


@dataclass
class CompareResult:
    """One record per option, in the order given (see :func:`solve_option`)."""

    options: list[dict[str, Any]]
    by_scenarios: bool
    source: str  # what was compared, in words
    reference: str  # the option the report's main sheets describe ('' when none has a design)

    @property
    def solved(self) -> list[dict[str, Any]]:
        return [o for o in self.options if o["status"] in SOLVED]

    @property
    def currency(self) -> str:
        return next((o["currency"] for o in self.solved), "EUR")

    def option(self, name: str) -> dict[str, Any]:
        return next(o for o in self.options if o["option"] == name)


# --- tasks --------------------------------------------------------------------------------


def workbook_tasks(paths: Sequence[str | Path], options: RunOptions) -> list[OptionTask]:
    """One task per workbook; the option is the file's stem (made unique if two clash)."""
    names = option_names([Path(p) for p in paths])
    return [
        OptionTask(name, WorkbookData.from_path(p), None, worker_options(options))
        for name, p in zip(names, paths)
    ]


def scenario_tasks(path: str | Path, options: RunOptions) -> list[OptionTask]:
    """The base workbook and each of its scenarios."""
    data = WorkbookData.from_path(path)
    names = scenario_names(data.raw())
    opts = worker_options(options)
    return [OptionTask(BASE, data, None, opts)] + [
        OptionTask(name if name != BASE else f"{name} (scenario)", data, name, opts)
        for name in names
    ]


def option_names(paths: Sequence[Path]) -> list[str]:
    """File stems; a stem given twice takes its folder's name too, then a number."""
    stems = [p.stem for p in paths]
    out = []
    for p, stem in zip(paths, stems):
        name = stem if stems.count(stem) == 1 else f"{p.parent.name}/{stem}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def worker_options(options: RunOptions) -> RunOptions:
    """One HiGHS thread per worker unless --threads says otherwise."""
    return replace(options, threads=1 if options.threads is None else options.threads)


def solve_option(task: OptionTask) -> dict[str, Any]:
    """Design one option (runs in a worker): its record, or its status and reason."""
    started = time.perf_counter()
    record: dict[str, Any] = {
        "option": task.option,
        "scenario": task.scenario,
        "workbook": task.workbook.name,
    }
    try:
        park = task.workbook.park(task.scenario)
        solution = optimize(park, task.options)
    except InfeasibleError as exc:
        record |= failed_record("infeasible", "; ".join(exc.reasons), task)
    except EcoparkError as exc:
        record |= failed_record("error", str(exc).replace("\n", "; "), task)
    else:
        record |= option_record(solution)
    record["seconds"] = time.perf_counter() - started
    return record


def failed_record(status: str, reason: str, task: OptionTask) -> dict[str, Any]:
    objective = task.options.objective or "cost"
    return {
        "status": status,
        "reason": reason,
        "json": failure_json(status, objective),
        "candidates": [],
        "currency": "EUR",
    }


def option_record(solution: Solution) -> dict[str, Any]:
    """What the comparison needs of one design, as plain data (``map``: its firms, plots
    and links with their positions, for ``compare --map``)."""
    firms = solution.firms
    admitted = firms[firms["admitted"] & (firms["status"] == "candidate")]
    return {
        "status": solution.status,
        "reason": "",
        "json": solution_json(solution),
        "candidates": [str(f) for f in admitted.index],
        "currency": solution.park.currency,
        "objective_value": float(solution.objective_value),
        "map": design_features(solution),
    }


def run_compare(
    tasks: list[OptionTask],
    by_scenarios: bool,
    source: str,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    progress: str | None = None,
) -> CompareResult:
    """Design every option and pick the reference one (see :func:`reference_option`)."""
    results = run_tasks(solve_option, tasks, executor, workers, scheduler, progress=progress)
    options = []
    for task, result in zip(tasks, results):
        if isinstance(result, TaskFailure):
            result = {
                "option": task.option,
                "scenario": task.scenario,
                "workbook": task.workbook.name,
                "seconds": math.nan,
                **failed_record("error", result.error, task),
            }
        options.append(result)
    out = CompareResult(options, by_scenarios, source, "")
    out.reference = reference_option(out)
    return out


def reference_option(result: CompareResult) -> str:
    """The option the report describes in full: the base for scenarios (when it has a
    design), else the best option on the objective; '' when no option has a design."""
    solved = result.solved
    if not solved:
        return ""
    if result.by_scenarios and solved[0]["option"] == BASE:
        return BASE
    return min(solved, key=lambda o: objective_of(o))["option"]


def objective_of(record: dict[str, Any]) -> float:
    """The option's objective as the optimizer minimised it (against its baseline)."""
    return record["objective_value"]


def reference_task(result: CompareResult, tasks: list[OptionTask]) -> OptionTask:
    return next(t for t in tasks if t.option == result.reference)


def no_design_error(result: CompareResult) -> InfeasibleError:
    return InfeasibleError(
        [f"option {o['option']}: {o['status']}: {o['reason']}" for o in result.options]
    )


# --- tables -------------------------------------------------------------------------------


def option_metrics(record: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    return record["json"]["metrics"]


def option_links(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [lk for lk in record["json"]["links"] if lk["mode"] != "internal"]


def _pct(saving: float | None, baseline: float | None) -> float | None:
    if saving is None or baseline is None or abs(baseline) < 1e-12:
        return None
    return 100.0 * saving / baseline


def kpi_frame(result: CompareResult) -> pd.DataFrame:
    """One row per option: status, absolute metrics, savings against standalone, links."""
    cur = result.currency
    rows = []
    for o in result.options:
        m = option_metrics(o)
        solved = o["status"] in SOLVED
        cost, base = m["cost"]["design"], m["cost"]["baseline"]
        saving = {k: (m[k]["baseline"] - m[k]["design"]) if solved else None for k in METRICS}
        firms = o["json"]["firms"]
        rows.append(
            {
                "option": o["option"],
                "status": o["status"],
                f"cost [{cur}/yr]": cost,
                f"standalone cost [{cur}/yr]": base,
                f"cost saving [{cur}/yr]": saving["cost"],
                "cost saving [%]": _pct(saving["cost"], base),
                "virgin use [units/yr]": m["virgin"]["design"],
                "virgin saving [%]": _pct(saving["virgin"], m["virgin"]["baseline"]),
                "CO2e [kg/yr]": m["co2e"]["design"],
                "CO2e saving [%]": _pct(saving["co2e"], m["co2e"]["baseline"]),
                "links": len(option_links(o)) if solved else None,
                "admitted firms": sum(1 for f in firms if f["admitted"]) if solved else None,
                "candidates admitted": ", ".join(o["candidates"]) if solved else "",
                "MIP gap [%]": 100.0 * o["json"]["mip_gap"]
                if o["json"]["mip_gap"] is not None
                else None,
                "solve time [s]": o.get("seconds"),
                "reason": o["reason"],
            }
        )
    return pd.DataFrame(rows)


VERDICT_METRICS = (
    # (label, how to read it from a record, unit key, lower is better)
    ("lowest cost", lambda m: m["cost"]["design"], "money", True),
    (
        "largest cost saving vs standalone",
        lambda m: m["cost"]["baseline"] - m["cost"]["design"],
        "money",
        False,
    ),
    ("least virgin use", lambda m: m["virgin"]["design"], "units/yr", True),
    ("least CO2e", lambda m: m["co2e"]["design"], "kg/yr", True),
)


def verdict_frame(result: CompareResult) -> pd.DataFrame:
    """Per metric: the best option (ties all named), its value, the runner-up and the
    margin between them."""
    cur = result.currency
    rows = []
    for label, read, unit, lower in VERDICT_METRICS:
        unit = f"{cur}/yr" if unit == "money" else unit
        scored = [(o["option"], read(option_metrics(o))) for o in result.solved]
        scored.sort(key=lambda t: t[1] if lower else -t[1])
        if not scored:
            continue
        best_value = scored[0][1]
        tol = TIE * max(1.0, abs(best_value))
        best = [name for name, v in scored if abs(v - best_value) <= tol]
        others = [(name, v) for name, v in scored if name not in best]
        runner, runner_value = others[0] if others else ("", None)
        rows.append(
            {
                "metric": label,
                "best option": " = ".join(best) + (" (tie)" if len(best) > 1 else ""),
                "value": best_value,
                "unit": unit,
                "runner-up": runner,
                "runner-up value": runner_value,
                "margin": abs(runner_value - best_value) if runner_value is not None else None,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "metric",
            "best option",
            "value",
            "unit",
            "runner-up",
            "runner-up value",
            "margin",
        ],
    )


def link_matrix(result: CompareResult) -> pd.DataFrame:
    """Link × option presence (1 = the option's design uses the link), links in order of
    first appearance; a link is told apart by supplier, receiver, resources and mode."""
    seen: dict[tuple, int] = {}
    present: dict[tuple, set[str]] = {}
    for n, o in enumerate(result.options):
        for lk in option_links(o):
            key = tuple(lk[k] for k in LINK_KEY)
            seen.setdefault(key, n)
            present.setdefault(key, set()).add(o["option"])
    names = [o["option"] for o in result.options]
    rows = []
    for key in sorted(seen, key=lambda k: (seen[k], k)):
        supplier, receiver, r_from, r_to, mode = key
        resource = r_from if r_from == r_to else f"{r_from} → {r_to}"
        rows.append(
            {
                "link": f"{supplier} → {receiver} ({resource}, {mode})",
                **dict(zip(LINK_KEY, key)),
                **{name: int(name in present[key]) for name in names},
                "options using it": len(present[key]),
            }
        )
    return pd.DataFrame(rows, columns=["link", *LINK_KEY, *names, "options using it"])


def firm_gains(result: CompareResult) -> pd.DataFrame:
    """Firm × option: each admitted firm's yearly gain against operating alone (blank when
    the firm is not in that option's park)."""
    cur = result.currency
    order: list[str] = []
    gains: dict[str, dict[str, float | None]] = {}
    for o in result.options:
        if o["status"] not in SOLVED:
            continue
        for f in o["json"]["firms"]:
            if f["firm"] not in gains:
                order.append(f["firm"])
                gains[f["firm"]] = {}
            gains[f["firm"]][o["option"]] = f["gain"] if f["admitted"] else None
    columns = {o["option"]: f"{o['option']} [{cur}/yr]" for o in result.solved}
    rows = [
        {"firm": firm, **{label: gains[firm].get(name) for name, label in columns.items()}}
        for firm in order
    ]
    return pd.DataFrame(rows, columns=["firm", *columns.values()])


def savings_frame(result: CompareResult) -> pd.DataFrame:
    kpis = kpi_frame(result)
    kpis = kpis[kpis["status"].isin(SOLVED)]
    return kpis[["option", "cost saving [%]", "virgin saving [%]", "CO2e saving [%]"]]


# --- report sheets and JSON ---------------------------------------------------------------
