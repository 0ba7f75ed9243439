r"""Monte Carlo sweep over the ``uncertainty`` sheet (``ecopark sweep``, docs/analyses.md).

Sampling
========
Each row r of the ``uncertainty`` sheet names cells (sheet, key or ``*``, column) and a
distribution of a **multiplier** :math:`m_r`. Sample s multiplies every named cell by one
draw :math:`m_{s,r}` (a ``*`` row multiplies all its cells by the same draw) and the park is
optimised on its own. All draws are made up front, in the calling process, from
``numpy.random.default_rng(seed)``: a matrix :math:`u` of uniforms (sample-major, so sample s
gets the same draws whatever the number of samples and ``--resume`` can extend a sweep) turned
into multipliers by the inverse CDF of each row's distribution:

===========  ==========================  ==================================================
uniform      p1 = low, p2 = high          :math:`m = p_1 + u (p_2 - p_1)`
triangular   p1 = low, p2 = mode, p3 =    inverse CDF of the triangle
             high
normal       p1 = mean, p2 = sd           :math:`m = p_1 + p_2 \Phi^{-1}(u)`
lognormal    p1 = μ, p2 = σ of ln m       :math:`m = \exp(p_1 + p_2 \Phi^{-1}(u))`
===========  ==========================  ==================================================

A sample whose multiplied value leaves its column's range (a negative quantity), which is
infeasible or whose solve fails is a row with its status and the reason; the others go on.

Outputs
=======
- ``share`` of a link (supplier, receiver, from/to resource, mode, from/to site): samples
  whose design uses it / samples with a design;
- mean, 5th, 50th and 95th percentiles of the design's cost, virgin use, CO2e and cost
  saving against standalone operation, over the samples with a design;
- robustness of the base design (the design of the workbook as it is): in every sample the
  base design's links are fixed (``Build`` = 1 for them, 0 for every other link) and the
  rest is optimised; its cost is the *fixed-design cost* and
  ``regret = fixed-design cost − the sample's optimal cost`` (≥ 0 up to the MIP gap under
  the cost objective). A base link that is no longer a candidate in a sample (e.g. beyond a
  mode's reach) cannot be built there; the sample notes it.

Each result is appended, as it arrives, to a JSON-lines file beside the report; ``--resume``
reads it back and runs only the samples not in it (a file made from another workbook, seed
or uncertainty sheet, or in an earlier format, is refused; a damaged line is named in a
warning, left out of the file and its sample runs again).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..core.optimize import RunOptions, design_park
from ..core.park_model import ParkModel
from ..core.pool import TaskFailure
from ..core.records import number
from ..core.solution import Solution
from ..core.vocabulary import LINK_KEY, METRICS, SOLVED
from ..errors import EcoparkError, InfeasibleError, InputError, SolverError
from ..inputs.scenarios import UncertainRow, WorkbookData, park_with_overrides, uncertainty_rows
from .executors import run_tasks, task_seconds, worker_options

U_CLIP = 1e-12
FORMAT = "ecopark-sweep/2"  # /2: links carry their sites (LINK_KEY); /1 files are refused
STATS = ("mean", "p5", "p50", "p95")


# --- sampling -----------------------------------------------------------------------------


def draw_samples(rows: list[UncertainRow], samples: int, seed: int) -> np.ndarray:
    """``samples`` × ``len(rows)`` multipliers; row s is the same for any ``samples``."""
    rng = np.random.default_rng(seed)
    u = np.clip(rng.random((samples, len(rows))), U_CLIP, 1.0 - U_CLIP)
    out = np.empty_like(u)
    for k, row in enumerate(rows):
        out[:, k] = quantile(row, u[:, k])
    return out


def quantile(row: UncertainRow, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the row's distribution at probabilities ``u``."""
    p1, p2, p3 = row.p1, row.p2, row.p3
    if row.distribution == "uniform":
        return p1 + u * (p2 - p1)
    if row.distribution == "triangular":
        low, mode, high = p1, p2, float(p3)
        split = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < split, left, right)
    if row.distribution == "normal":
        return p1 + p2 * ndtri(u)
    if row.distribution == "lognormal":
        return np.exp(p1 + p2 * ndtri(u))
    raise ValueError(f"unknown distribution {row.distribution}")


def read_uncertainty(data: WorkbookData) -> list[UncertainRow]:
    """The workbook's uncertainty rows; an InputError when there are none or one is bad."""
    problems: list[str] = []
    rows = uncertainty_rows(data.raw(), problems)
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError(
            f"{data.name}: no uncertainty rows to sample; add an 'uncertainty' "
            "sheet (columns sheet, key, column, distribution, p1, p2, p3; see "
            "docs/uncertainty.md)"
        )
    return rows


# --- one sample (runs in a worker) --------------------------------------------------------


@dataclass(frozen=True)
class SampleTask:
    """What a worker needs for one sample: the workbook, the draws, the base design."""

    sample: int
    draws: tuple[float, ...]
    workbook: WorkbookData
    options: RunOptions
    base_design: frozenset = frozenset()  # DESIGN_KEY tuples of the base design's links
    base_processes: frozenset = frozenset()  # ids of the processes the base design builds


def run_sample(task: SampleTask) -> dict[str, Any]:
    """Optimise one sample, then evaluate the base design on it; plain data out."""
    started = time.perf_counter()
    record = empty_record(task.sample, task.draws)
    raw = task.workbook.raw()
    rows = uncertainty_rows(raw, [])
    overrides = [row.override(draw) for row, draw in zip(rows, task.draws)]
    try:
        park = park_with_overrides(raw, overrides)
        model, solution = design_park(park, task.options)
    except InfeasibleError as exc:
        record.update(status="infeasible", reason="; ".join(exc.reasons))
    except InputError as exc:
        record.update(status="error", reason="invalid sample: " + "; ".join(exc.problems))
    except EcoparkError as exc:
        record.update(status="error", reason=str(exc))
    else:
        record.update(design_record(solution))
        record.update(fixed_design(model, park, solution, task))
    record["seconds"] = time.perf_counter() - started
    return record


def empty_record(sample: int, draws: tuple[float, ...]) -> dict[str, Any]:
    return {
        "sample": int(sample),
        "draws": [float(d) for d in draws],
        "status": "error",
        "reason": "",
        "cost": None,
        "virgin": None,
        "co2e": None,
        "cost_baseline": None,
        "virgin_baseline": None,
        "co2e_baseline": None,
        "saving": None,
        "links": [],
        "fixed_status": None,
        "fixed_cost": None,
        "regret": None,
        "note": "",
        "seconds": None,
    }


def design_record(solution: Solution) -> dict[str, Any]:
    m = solution.metrics
    used = solution.built_links[~solution.built_links["internal"].astype(bool)]
    return {
        "status": solution.status,
        **{k: float(m[k]["design"]) for k in METRICS},
        **{f"{k}_baseline": float(m[k]["baseline"]) for k in METRICS},
        "saving": float(m["cost"]["baseline"] - m["cost"]["design"]),
        "links": sorted(
            [list(map(str, key)) for key in used[list(LINK_KEY)].itertuples(index=False, name=None)]
        ),
    }


def fixed_design(model: ParkModel, park, solution: Solution, task: SampleTask) -> dict[str, Any]:
    """The base design's links and processes fixed on this sample (every other link and
    process off; a built process may run from 0 to its capacity); its cost and the regret
    of having built it."""
    cost = solution.metrics["cost"]["design"]
    same = solution.built_processes() == task.base_processes
    if solution.design_key() == task.base_design and same:
        return {"fixed_status": solution.status, "fixed_cost": float(cost), "regret": 0.0}
    build, missing = model.link_ids(set(task.base_design))
    note = (
        f"{missing} link(s) of the base design are not candidates in this sample" if missing else ""
    )
    try:
        processes = model.process_ids(task.base_processes)
        with model.fixed(build=build, processes=processes), model.without("process_minimum"):
            fixed = model.solve(task.options.solve_options(park))
    except InfeasibleError as exc:
        return {"fixed_status": "infeasible", "note": "; ".join([note, *exc.reasons]).strip("; ")}
    except SolverError as exc:
        return {"fixed_status": "error", "note": "; ".join([note, str(exc)]).strip("; ")}
    fixed_cost = float(fixed.metrics["cost"]["design"])
    return {
        "fixed_status": fixed.status,
        "fixed_cost": fixed_cost,
        "regret": fixed_cost - float(cost),
        "note": note,
    }


# --- the sweep ----------------------------------------------------------------------------


@dataclass
class SweepResult:
    """Every sample's record (``samples``, one row per sample) and what they add up to."""

    samples: pd.DataFrame
    rows: list[UncertainRow]
    seed: int
    base: Solution
    results_path: Path | None = None
    resumed: int = 0
    base_links: list[tuple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. damaged lines of the results file

    @property
    def solved(self) -> pd.DataFrame:
        return self.samples[self.samples["status"].isin(SOLVED)]

    @property
    def currency(self) -> str:
        return self.base.park.currency


def run_sweep(
    path: str | Path,
    base: Solution,
    samples: int,
    seed: int,
    options: RunOptions = RunOptions(),
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    results_path: str | Path | None = None,
    resume: bool = False,
    progress: str | None = None,
) -> SweepResult:
    """Draw every sample, run those not already in ``results_path`` (with ``resume``),
    append each result to it as it arrives, and gather them all."""
    if samples < 1:
        raise InputError(f"--samples {samples}: must be at least 1")
    data = WorkbookData.from_path(path)
    rows = read_uncertainty(data)
    draws = draw_samples(rows, samples, seed)
    header = results_header(data, rows, seed, options)
    done: dict[int, dict[str, Any]] = {}
    warnings: list[str] = []
    if results_path is not None:
        results_path = Path(results_path)
        if resume:
            done, warnings = read_results(results_path, header, draws)
        if not (resume and results_path.exists()):
            start_results(results_path, header)
    base_design = base.design_key()
    base_processes = base.built_processes()
    todo = [i for i in range(samples) if i not in done]
    side_by_side = 1 if executor == "serial" else workers
    seconds = (
        task_seconds(options.seconds_left(base.park), len(todo), side_by_side)
        if options.started is not None
        else None
    )
    opts = worker_options(options, seconds)
    tasks = [
        SampleTask(i, tuple(float(d) for d in draws[i]), data, opts, base_design, base_processes)
        for i in todo
    ]

    def on_result(index: int, result: Any) -> None:
        if isinstance(result, TaskFailure):
            result = empty_record(tasks[index].sample, tasks[index].draws) | {
                "reason": result.error
            }
        new[tasks[index].sample] = result
        if results_path is not None:
            append_result(results_path, result)

    new: dict[int, dict[str, Any]] = {}
    run_tasks(
        run_sample, tasks, executor, workers, scheduler, on_result=on_result, progress=progress
    )
    records = [done.get(i) or new[i] for i in range(samples)]
    used = base.built_links[~base.built_links["internal"].astype(bool)]
    return SweepResult(
        samples=samples_frame(records),
        rows=rows,
        seed=seed,
        base=base,
        results_path=results_path,
        resumed=len(done),
        base_links=sorted(used[list(LINK_KEY)].itertuples(index=False, name=None)),
        warnings=warnings,
    )


def samples_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per sample, in sample order (``draws`` and ``links`` stay lists)."""
    frame = pd.DataFrame(records)
    numeric = [
        "cost",
        "virgin",
        "co2e",
        "cost_baseline",
        "virgin_baseline",
        "co2e_baseline",
        "saving",
        "fixed_cost",
        "regret",
        "seconds",
    ]
    for col in numeric:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame.sort_values("sample").reset_index(drop=True)


# --- the results file ---------------------------------------------------------------------


def results_header(
    data: WorkbookData, rows: list[UncertainRow], seed: int, options: RunOptions
) -> dict[str, Any]:
    """What a results file must match to be resumed."""
    return {
        "format": FORMAT,
        "workbook": data.name,
        "sha256": data.sha256,
        "seed": int(seed),
        "objective": options.objective,
        "uncertainty": [[r.label, r.distribution, r.p1, r.p2, r.p3] for r in rows],
    }


def start_results(path: Path, header: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"header": header}) + "\n")


def append_result(path: Path, record: dict[str, Any]) -> None:
    """One JSON line per sample, flushed at once (a crash loses at most the line being
    written, which ``--resume`` skips)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(_plain(record), allow_nan=False) + "\n")
        fh.flush()


def read_results(
    path: Path, header: dict[str, Any], draws: np.ndarray
) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Finished samples of a previous run with the same workbook, seed and uncertainty, and
    a warning per damaged line (named by its line number; its sample runs again).

    A damaged line (cut short by a crash, edited, or whose draws are not this seed's) is left
    out of the file, which is rewritten without it, so that new results start on a line of
    their own. A file in another format or from another run is refused.
    """
    if not path.exists():
        return {}, []
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    lines = text.splitlines()
    if not lines:
        return {}, []
    try:
        first = json.loads(lines[0]).get("header")
    except (json.JSONDecodeError, AttributeError):
        first = None
    fmt = first.get("format") if isinstance(first, dict) else None
    if isinstance(fmt, str) and fmt.startswith("ecopark-sweep/") and fmt != FORMAT:
        raise InputError(
            f"{path}: results in the earlier format {fmt} (now {FORMAT}: links are told apart "
            "by their sites); run without --resume to start the sweep afresh"
        )
    if first != json.loads(json.dumps(header)):
        raise InputError(
            f"{path}: these results come from another workbook, seed, objective or "
            "uncertainty sheet; delete the file or run without --resume"
        )
    out: dict[int, dict[str, Any]] = {}
    kept = [lines[0]]
    warnings = []
    for line_no, line in enumerate(lines[1:], start=2):
        record, sample, problem = _sample_line(line, draws)
        if problem:
            which = f"sample {sample + 1}" if sample is not None else "its sample"
            warnings.append(f"{path} line {line_no}: {problem}; dropped, {which} runs again")
            continue
        kept.append(line)
        if record is not None:
            out[int(record["sample"])] = record
    if warnings or not text.endswith("\n"):
        _rewrite(path, kept)
    return out, warnings


RECORD_KEYS = frozenset(empty_record(0, ()))


def _sample_line(line: str, draws: np.ndarray) -> tuple[dict[str, Any] | None, int | None, str]:
    """A results line as (record, sample, what is wrong with it or ''); the record is None
    when the line is damaged or its sample is beyond this run's samples (kept, not used)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None, None, "not a complete JSON record (cut short by a crash?)"
    try:
        sample = int(record["sample"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None, None, "not a sample record"
    if sample < 0:
        return None, None, f"sample number {sample} is not a sample of a sweep"
    links = record.get("links")
    if not RECORD_KEYS <= set(record) or not (
        isinstance(links, list)
        and all(isinstance(k, list) and len(k) == len(LINK_KEY) for k in links)
    ):
        return None, sample, "an incomplete or damaged record"
    if sample >= len(draws):
        return None, sample, ""
    try:
        same = np.allclose(record["draws"], draws[sample], rtol=1e-12, atol=0.0)
    except (TypeError, ValueError):
        same = False
    if not same:
        return None, sample, "its draws are not this seed's"
    return record, sample, ""


def _rewrite(path: Path, lines: list[str]) -> None:
    """Replace the results file by ``lines`` (a temporary file renamed over it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# --- summaries ----------------------------------------------------------------------------


def stats(values: pd.Series) -> dict[str, float | None]:
    """Mean and the 5th, 50th and 95th percentiles (None without values)."""
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(float)
    if x.size == 0:
        return {k: None for k in STATS}
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def link_frequency(result: SweepResult) -> pd.DataFrame:
    """Per link used by some sample or by the base design: samples using it and share."""
    solved = result.solved
    counts: dict[tuple, int] = {}
    for links in solved["links"]:
        for key in {tuple(k) for k in links}:
            counts[key] = counts.get(key, 0) + 1
    for key in result.base_links:
        counts.setdefault(tuple(key), 0)
    base = {tuple(k) for k in result.base_links}
    n = len(solved)
    rows = [
        dict(zip(LINK_KEY, key))
        | {"in base design": key in base, "samples": c, "share": c / n if n else 0.0}
        for key, c in counts.items()
    ]
    frame = pd.DataFrame(rows, columns=[*LINK_KEY, "in base design", "samples", "share"])
    return frame.sort_values(
        ["share", *LINK_KEY], ascending=[False, *[True] * len(LINK_KEY)]
    ).reset_index(drop=True)


def histogram(result: SweepResult, bins: int | None = None) -> pd.DataFrame:
    """Sample design costs in equal-width bins."""
    cost = result.solved["cost"].dropna().to_numpy(float)
    cur = result.currency
    columns = [f"cost bin [{cur}/yr]", "from", "to", "samples", "share [%]"]
    if cost.size == 0:
        return pd.DataFrame(columns=columns)
    bins = bins or int(min(12, max(1, math.ceil(math.sqrt(cost.size)))))
    lo, hi = float(cost.min()), float(cost.max())
    if hi - lo <= 1e-9 * max(1.0, abs(hi)):
        counts, edges = np.array([cost.size]), np.array([lo, hi])
    else:
        counts, edges = np.histogram(cost, bins=bins, range=(lo, hi))
    return pd.DataFrame(
        {
            columns[0]: [f"{a:,.0f} – {b:,.0f}" for a, b in zip(edges[:-1], edges[1:])],
            "from": edges[:-1],
            "to": edges[1:],
            "samples": counts.astype(int),
            "share [%]": 100.0 * counts / cost.size,
        }
    )


def robustness(result: SweepResult) -> dict[str, Any]:
    """The base design over the samples: fixed-design cost and regret statistics."""
    solved = result.solved
    fixed_ok = solved[solved["fixed_status"].isin(SOLVED)]
    regret = fixed_ok["regret"]
    tol = 1e-6 * np.maximum(1.0, fixed_ok["cost"].abs())
    n = len(solved)
    return {
        "fixed_cost": stats(fixed_ok["fixed_cost"]),
        "regret": stats(regret) | {"max": number(regret.max()) if len(regret) else None},
        "still_optimal_share": float((regret <= tol).sum() / n) if n else None,
        "fixed_infeasible": int((solved["fixed_status"] == "infeasible").sum()),
    }
