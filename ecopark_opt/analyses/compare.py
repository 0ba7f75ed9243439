"""Siting options and scenarios side by side (``ecopark compare``).

Each *option* is optimised on its own, by whichever executor runs the tasks
(:mod:`ecopark_opt.executors`):

- several workbooks, one per siting option: the option's name is the file's stem;
- one workbook with ``--scenarios``: the base workbook (option ``base``) and every scenario
  of its ``scenarios`` sheet (docs/workbook.md), applied to the base by
  :mod:`ecopark_opt.scenarios`.

A worker receives the workbook's bytes and the scenario name, builds and solves the park
itself and returns plain data: the option's docs/results.md record (status, metrics, links, firms),
the candidates it admitted and the plots they sit on, and — when the caller passes a drawing
function (``analyses`` never import ``outputs``) — a PNG picture of its network. An option
that is infeasible or fails is a row with its status and the reason; the others complete.

A link is told apart by :data:`~ecopark_opt.core.vocabulary.LINK_KEY`, sites included: the
same exchange from a candidate on plot P1 and on plot P2 are two links.

The verdict names, per metric, the best option among those with a design, both on the
absolute value (lowest design cost, virgin use, CO2e) and on the saving against the
option's *own* standalone baseline. The two differ when the options' parks differ (another
firm, other prices): an option with one firm fewer can cost less in total and save less.
:func:`verdict_lines` says so in words. Values within 10⁻⁶ (relative) of the best are ties
and are all named (docs/uncertainty.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.mapdata import design_features
from ..core.optimize import RunOptions, optimize
from ..core.pool import TaskFailure
from ..core.records import failure_json, solution_json
from ..core.solution import Solution
from ..core.vocabulary import LINK_KEY, METRICS, SOLVED, link_label, metric_units
from ..errors import EcoparkError, InfeasibleError
from ..inputs.scenarios import WorkbookData, scenario_names
from .executors import run_tasks, task_seconds, worker_options

BASE = "base"
TIE = 1e-6
NOT_ADMITTED = "not admitted"
NOT_IN_PARK = "not in this park"

Draw = Callable[[Solution], bytes]  # a design → its network picture as PNG bytes


@dataclass(frozen=True)
class OptionTask:
    """What a worker needs to design one option: the workbook, a scenario, the options, and
    the function that draws its network (a top-level function, so that it can be pickled
    to worker processes; None: no picture)."""

    option: str
    workbook: WorkbookData
    scenario: str | None
    options: RunOptions
    draw: Draw | None = None


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


def workbook_tasks(
    paths: Sequence[str | Path], options: RunOptions, draw: Draw | None = None
) -> list[OptionTask]:
    """One task per workbook; the option is the file's stem (made unique if two clash)."""
    names = option_names([Path(p) for p in paths])
    return [
        OptionTask(name, WorkbookData.from_path(p), None, options, draw)
        for name, p in zip(names, paths)
    ]


def scenario_tasks(
    path: str | Path, options: RunOptions, draw: Draw | None = None
) -> list[OptionTask]:
    """The base workbook and each of its scenarios."""
    data = WorkbookData.from_path(path)
    names = scenario_names(data.raw())
    return [OptionTask(BASE, data, None, options, draw)] + [
        OptionTask(name if name != BASE else f"{name} (scenario)", data, name, options, draw)
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
        if task.draw is not None:
            record |= option_picture(task.draw, solution)
    record["seconds"] = time.perf_counter() - started
    return record


def option_picture(draw: Draw, solution: Solution) -> dict[str, Any]:
    """The option's network picture (PNG bytes), or why it could not be drawn: a failed
    picture never costs the option its design."""
    try:
        return {"picture": bytes(draw(solution)), "picture_error": ""}
    except Exception as exc:  # any drawing failure is reported beside the option
        return {"picture": None, "picture_error": f"{type(exc).__name__}: {exc}"}


def failed_record(status: str, reason: str, task: OptionTask) -> dict[str, Any]:
    objective = task.options.objective or "cost"
    return {
        "status": status,
        "reason": reason,
        "json": failure_json(status, objective),
        "candidates": [],
        "siting": [],
        "candidate_firms": [],
        "currency": "EUR",
    }


def option_record(solution: Solution) -> dict[str, Any]:
    """What the comparison needs of one design, as plain data: its JSON record, the
    admitted candidate firms with the site each sits on, and ``map``: its firms, plots and
    links with their positions, for ``compare --map``."""
    firms = solution.firms
    candidates = firms[firms["status"] == "candidate"]
    admitted = candidates[candidates["admitted"].astype(bool)]
    return {
        "status": solution.status,
        "reason": "",
        "json": solution_json(solution),
        "candidates": [str(f) for f in admitted.index],
        "siting": [{"firm": str(f), "site": str(s)} for f, s in admitted["site"].items()],
        "candidate_firms": [str(f) for f in candidates.index],
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
    seconds_left: float | None = None,
) -> CompareResult:
    """Design every option and pick the reference one (see :func:`reference_option`).

    With ``seconds_left`` the options share that much time (each solve's limit is its part,
    :func:`.executors.task_seconds`); without it each solve has the options' own limit."""
    side_by_side = 1 if executor == "serial" else workers
    seconds = task_seconds(seconds_left, len(tasks), side_by_side) if seconds_left else None
    tasks = [replace(t, options=worker_options(t.options, seconds)) for t in tasks]
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
                f"virgin use [{metric_units(cur)['virgin']}]": m["virgin"]["design"],
                "virgin saving [%]": _pct(saving["virgin"], m["virgin"]["baseline"]),
                f"CO2e [{metric_units(cur)['co2e']}]": m["co2e"]["design"],
                "CO2e saving [%]": _pct(saving["co2e"], m["co2e"]["baseline"]),
                "links": len(option_links(o)) if solved else None,
                "admitted firms": sum(1 for f in firms if f["admitted"]) if solved else None,
                "candidates admitted": ", ".join(
                    f"{c['firm']} on {c['site']}" for c in o.get("siting", [])
                ),
                "MIP gap [%]": 100.0 * o["json"]["mip_gap"]
                if o["json"]["mip_gap"] is not None
                else None,
                "solve time [s]": o.get("seconds"),
                "reason": o["reason"],
            }
        )
    return pd.DataFrame(rows)


# (metric, its label in words, unit key): each is judged on the design's value (lower is
# better) and on the saving against the option's own standalone baseline (larger is better)
VERDICT_METRICS = (
    ("cost", "cost", "money"),
    ("virgin", "virgin use", metric_units("")["virgin"]),
    ("co2e", "CO2e", metric_units("")["co2e"]),
)


@dataclass(frozen=True)
class Verdict:
    """The best option(s) on one criterion: their value, and the runner-up."""

    metric: str
    label: str  # e.g. "lowest cost", "largest cost saving vs standalone"
    unit: str
    best: list[str]
    value: float
    runner_up: str
    runner_up_value: float | None


def _rank(result: CompareResult, read: Callable[[dict], float], lower: bool) -> list:
    scored = [(o["option"], read(option_metrics(o))) for o in result.solved]
    scored.sort(key=lambda t: t[1] if lower else -t[1])
    return scored


def verdicts(result: CompareResult) -> list[Verdict]:
    """Per metric: the best design value, then the largest saving against the option's own
    standalone baseline (ties all named); empty when no option has a design."""
    cur = result.currency
    out = []
    for metric, words, unit in VERDICT_METRICS:
        unit = f"{cur}/yr" if unit == "money" else unit
        criteria = (
            (f"lowest {words}" if metric == "cost" else f"least {words}", _design(metric), True),
            (
                f"largest {words.replace(' use', '')} saving vs standalone",
                _saving(metric),
                False,
            ),
        )
        for label, read, lower in criteria:
            scored = _rank(result, read, lower)
            if not scored:
                continue
            best_value = scored[0][1]
            tol = TIE * max(1.0, abs(best_value))
            best = [name for name, v in scored if abs(v - best_value) <= tol]
            others = [(name, v) for name, v in scored if name not in best]
            runner, runner_value = others[0] if others else ("", None)
            out.append(Verdict(metric, label, unit, best, best_value, runner, runner_value))
    return out


def _design(metric: str) -> Callable[[dict], float]:
    return lambda m: m[metric]["design"]


def _saving(metric: str) -> Callable[[dict], float]:
    return lambda m: m[metric]["baseline"] - m[metric]["design"]


def _verb(names: list[str], one: str, many: str) -> str:
    return one if len(names) == 1 else many


def _names(names: list[str]) -> str:
    return " = ".join(names) + (" (tie)" if len(names) > 1 else "")


def verdict_frame(result: CompareResult) -> pd.DataFrame:
    """Per metric: the best option on the design's value and on the saving against its own
    standalone baseline (ties all named), its value, the runner-up and the margin."""
    rows = [
        {
            "metric": v.label,
            "best option": _names(v.best),
            "value": v.value,
            "unit": v.unit,
            "runner-up": v.runner_up,
            "runner-up value": v.runner_up_value,
            "margin": abs(v.runner_up_value - v.value) if v.runner_up_value is not None else None,
        }
        for v in verdicts(result)
    ]
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


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}"


def _saving_text(record: dict[str, Any], metric: str, unit: str) -> str:
    """``150 EUR/yr (58 % of its standalone 260 EUR/yr)``."""
    m = option_metrics(record)[metric]
    saving = m["baseline"] - m["design"]
    pct = _pct(saving, m["baseline"])
    share = f"{pct:.0f} % of " if pct is not None else ""
    return f"{_amount(saving, unit)} ({share}its standalone {_amount(m['baseline'], unit)})"


def verdict_lines(result: CompareResult) -> list[str]:
    """The verdict in words, one line per metric: which option is best on the design's value
    and which saves the most against its own standalone baseline, and why they differ when
    they do (the options' parks differ). Then the options without a design."""
    if not result.solved:
        return ["no option has a design"]
    lines = []
    found = {(v.metric, v.label.startswith("largest")): v for v in verdicts(result)}
    for metric, words, _ in VERDICT_METRICS:
        absolute, saving = found[(metric, False)], found[(metric, True)]
        unit = absolute.unit
        title = words[0].upper() + words[1:]
        if len(result.solved) == 1:
            only = result.option(absolute.best[0])
            lines.append(
                f"{title}: only {absolute.best[0]} has a design: "
                f"{_amount(absolute.value, unit)}, saving {_saving_text(only, metric, unit)}"
            )
            continue
        lesser = [n for n in absolute.best if n not in saving.best]
        if not lesser:  # the lowest value also saves the most
            first = result.option(absolute.best[0])
            lines.append(
                f"{title}: {_names(absolute.best)} {_verb(absolute.best, 'is', 'are')} best on "
                f"both counts: the lowest {words} ({_amount(absolute.value, unit)}) and the "
                f"largest saving against standalone operation, "
                f"{_saving_text(first, metric, unit)}"
            )
            continue
        low, saver = result.option(lesser[0]), result.option(saving.best[0])
        who = "" if lesser == absolute.best else f"{_names(lesser)} "
        lines.append(
            f"{title}: {_names(absolute.best)} {_verb(absolute.best, 'has', 'have')} the lowest "
            f"{words} ({_amount(absolute.value, unit)}) but {who}"
            f"{_verb(lesser, 'saves', 'save')} only {_saving_text(low, metric, unit)}; "
            f"{_names(saving.best)} {_verb(saving.best, 'saves', 'save')} the most against "
            f"{_verb(saving.best, 'its', 'their')} own standalone operation, "
            f"{_saving_text(saver, metric, unit)}. Their parks differ (other firms, "
            "quantities or prices), so the saving is the fair comparison"
        )
    lines.extend(
        f"{o['option']}: no design ({o['status']})"
        for o in result.options
        if o["status"] not in SOLVED
    )
    return lines


def option_columns(result: CompareResult, fixed: Sequence[str]) -> dict[str, str]:
    """Option → its column label in a table whose other columns are ``fixed``: the option's
    name, or ``<name> (option)`` when it would clash with one of them (an option called
    ``supplier`` must not overwrite the supplier column)."""
    taken = {f.casefold() for f in fixed}
    return {
        o["option"]: o["option"]
        if o["option"].casefold() not in taken
        else f"{o['option']} (option)"
        for o in result.options
    }


def link_matrix(result: CompareResult) -> pd.DataFrame:
    """Link × option presence (1 = the option's design uses the link), links in order of
    first appearance; a link is told apart by :data:`LINK_KEY` (sites included)."""
    seen: dict[tuple, int] = {}
    present: dict[tuple, set[str]] = {}
    for n, o in enumerate(result.options):
        for lk in option_links(o):
            key = tuple(lk[k] for k in LINK_KEY)
            seen.setdefault(key, n)
            present.setdefault(key, set()).add(o["option"])
    columns = option_columns(result, ["link", *LINK_KEY, "options using it"])
    rows = []
    for key in sorted(seen, key=lambda k: (seen[k], k)):
        link = dict(zip(LINK_KEY, key))
        rows.append(
            {
                "link": link_label(link),
                **link,
                **{label: int(name in present[key]) for name, label in columns.items()},
                "options using it": len(present[key]),
            }
        )
    return pd.DataFrame(rows, columns=["link", *LINK_KEY, *columns.values(), "options using it"])


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


def siting_frame(result: CompareResult) -> pd.DataFrame:
    """Candidate × option: the plot each option puts the candidate on, ``not admitted``,
    ``existing firm on <site>`` (an option where it is not a candidate), or ``not in this
    park``; ``no design`` for an option without one. Candidates in order of first
    appearance; empty when no option's park has a candidate."""
    order: list[str] = []
    for o in result.options:
        order += [f for f in o.get("candidate_firms", []) if f not in order]
    columns = option_columns(result, ["candidate", "options admitting it"])
    rows = []
    for firm in order:
        row: dict[str, Any] = {"candidate": firm}
        admitting = 0
        for o in result.options:
            column = columns[o["option"]]
            if o["status"] not in SOLVED:
                row[column] = f"no design ({o['status']})"
                continue
            site = next((c["site"] for c in o["siting"] if c["firm"] == firm), None)
            existing = next((f for f in o["json"]["firms"] if f["firm"] == firm), None)
            admitting += site is not None
            if site is not None:
                row[column] = site
            elif firm in o["candidate_firms"]:
                row[column] = NOT_ADMITTED
            elif existing is not None:
                row[column] = f"existing firm on {existing['site']}"
            else:
                row[column] = NOT_IN_PARK
        row["options admitting it"] = admitting
        rows.append(row)
    return pd.DataFrame(rows, columns=["candidate", *columns.values(), "options admitting it"])


def savings_frame(result: CompareResult) -> pd.DataFrame:
    kpis = kpi_frame(result)
    kpis = kpis[kpis["status"].isin(SOLVED)]
    return kpis[["option", "cost saving [%]", "virgin saving [%]", "CO2e saving [%]"]]


# --- report sheets and JSON ---------------------------------------------------------------
