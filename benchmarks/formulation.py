"""Formulation benchmark: what safe pruning and decomposition buy on large generated parks.

    python benchmarks/formulation.py --sizes 200 500 1000 2000 --budget 60 \\
        --targets 1e-2 1e-3 --cap 600 [--routes monolithic decomposed target cbc]

For each size N one synthetic park is generated (``ecopark_opt.inputs.generate``, N existing firms,
20 resources, seed 1) and written once; every measurement then runs in a fresh Python
process (memory peaks and HiGHS's once-per-process thread setting do not leak):

1. **structure** — ``candidate_links`` (time, links, peak memory), ``prune_links`` (links
   left), the connected components of supply ↔ demand rows over the kept links and the
   pieces actually solved (``decompose.plan_pieces``: small components are batched).
2. **monolithic** — the model as it was before this work: every candidate link, one model,
   one HiGHS run (``RunOptions(prune=False, decompose=False)``), with the budget and gap
   target 1e-4. HiGHS MIP callbacks give the HiGHS running time at which the gap first fell
   to 1 % and 0.1 %.
3. **decomposed** — the default route of ``ecopark solve`` (``design_park``: pruning,
   components solved one by one, then the full model built for analyses), same budget and
   gap target: phase times and the gap reached.
4. **to target** — the default route again, once per gap target with the time cap as the
   budget: the wall time until the design is proved within the target (``optimize``, from
   the loaded park to the Solution; reading the workbook is shown on its own). Route
   ``target2`` does the same with the pieces solved in 2 worker processes
   (``ecopark solve --workers 2``, one HiGHS thread each).

5. **PuLP + CBC** (``--routes ... cbc``) — the same MILP written with PuLP (every candidate
   link: ``scale.pulp_model``), solved by PuLP's bundled CBC until its absolute gap is
   within the target × |the best objective HiGHS found| (CBC sees the objective without
   its constant, so a relative gap would mean something else), capped at ``--cap``; its
   answer is measured against the best bound HiGHS proved.

Phases: links = ``candidate_links``; checks = pre-solve checks; prune; build = ``build_model``
(summed over pieces); hand-off = standard-form compile + ``passModel``
(``SolveResult.handoff_seconds``, summed); HiGHS = solve time − hand-off; extract. Overhead
= everything but HiGHS's own run (``total − HiGHS``); peak memory is the process's peak
resident set (``ru_maxrss``; with 2 workers the largest worker's peak is recorded too, as
``worker_peak_mb``). Results: ``benchmarks/results/formulation.csv`` (one row per run) and
markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import in_process, load, pct  # benchmarks/, the script's folder
from results_csv import read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
GAPS = (1e-2, 1e-3)


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set of this process so far, or of its largest child process
    (``RUSAGE_CHILDREN``); Linux reports KiB."""
    return resource.getrusage(who).ru_maxrss / 1024.0


# --- runs (each in its own process) --------------------------------------------------------


def run_structure(workbook: str) -> dict[str, Any]:
    from ecopark_opt.core.decompose import component_labels, plan_pieces
    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.core.prune import prune_links

    park, read_s = load(workbook)
    before = peak_mb()
    started = time.perf_counter()
    links = candidate_links(park)
    links_s = time.perf_counter() - started
    links_mb = peak_mb() - before
    started = time.perf_counter()
    kept = prune_links(park, links)
    prune_s = time.perf_counter() - started
    labels = component_labels(park, kept)
    with_links = labels.reindex(kept["supply_flow"]).nunique()
    pieces = plan_pieces(park, kept) or []
    biggest = max((len(p.links) for p in pieces), default=len(kept))
    return {
        "read_s": read_s,
        "links": len(links),
        "links_s": links_s,
        "links_peak_growth_mb": links_mb,
        "kept": len(kept),
        "prune_s": prune_s,
        "components": int(with_links),
        "pieces": len(pieces),
        "biggest_piece": biggest,
    }


class GapClock:
    """First HiGHS running time at which the MIP gap fell to each target (callbacks)."""

    def __init__(self) -> None:
        self.first: dict[float, float] = {}

    def __call__(self, event) -> None:
        gap = event.data_out.mip_gap
        if gap is None or math.isnan(gap) or math.isinf(gap):
            return
        for target in GAPS:
            if gap <= target and target not in self.first:
                self.first[target] = float(event.data_out.running_time)


def run_route(workbook: str, route: str, budget: float, gap: float) -> dict[str, Any]:
    import ecopark_opt.core.solve as solve_module
    from ecopark_opt.core.optimize import RunOptions, design_park, optimize
    from ecopark_opt.core.stages import Timer

    park, read_s = load(workbook)
    clock = GapClock()
    original = solve_module.new_highs

    def new_highs():
        h = original()
        h.cbMipInterrupt += clock
        h.cbMipImprovingSolution += clock
        return h

    timer = Timer()
    started = time.perf_counter()
    if route == "monolithic":
        solve_module.new_highs = new_highs
        options = RunOptions(time_limit=budget, mip_gap=gap, prune=False, decompose=False)
        solution = optimize(park, options, timer)
    elif route == "decomposed":
        _, solution = design_park(park, RunOptions(time_limit=budget, mip_gap=gap), timer)
    else:  # "target" / "target2": the default route, without keeping a model
        workers = 2 if route == "target2" else 1
        solution = optimize(
            park, RunOptions(time_limit=budget, mip_gap=gap, workers=workers), timer
        )
    total = time.perf_counter() - started
    r = solution.result
    t = timer.seconds
    highs = r.seconds - r.handoff_seconds
    row = {
        "route": route,
        "budget_s": budget,
        "gap_target": gap,
        "read_s": read_s,
        "status": r.status,
        "gap": r.gap,
        "objective": r.objective,
        "bound": r.bound,
        "links_s": t.get("candidate links", 0.0),
        "checks_s": t.get("pre-solve checks", 0.0),
        "prune_s": t.get("prune", 0.0),
        "build_s": t.get("build model", 0.0),
        "handoff_s": r.handoff_seconds,
        "highs_s": highs,
        "extract_s": t.get("extract", 0.0),
        "full_model_s": t.get("build full model", 0.0),
        "total_s": total,
        "overhead_s": total - highs,
        "overhead_pct_of_highs": 100 * (total - highs) / highs,
        "peak_mb": peak_mb(),
        "worker_peak_mb": peak_mb(resource.RUSAGE_CHILDREN),
        "rows": r.rows,
        "columns": r.columns,
        "integers": r.integers,
        "components": r.extra.get("components"),
        "pruned": r.extra.get("pruned links"),
    }
    if route == "monolithic":
        for target in GAPS:
            seen = clock.first.get(target)
            if seen is None and r.gap is not None and r.gap <= target:
                seen = highs
            row[f"highs_t_{target:g}_s"] = seen
    return row


def run_cbc(workbook: str, budget: float, gap: float, abs_gap: float) -> dict[str, Any]:
    """PuLP + CBC on the same park (``scale.pulp_model``, every candidate link), stopped at
    an absolute gap: CBC sees the objective without its constant (the standalone baseline),
    so its relative gap has another denominator; ``abs_gap`` = ``gap`` × |the best objective
    our route found| asks for the same absolute distance to the bound."""
    import pulp as pl
    from scale import pulp_model

    from ecopark_opt.core.links import candidate_links

    park, read_s = load(workbook)
    started = time.perf_counter()
    links = candidate_links(park)
    prob = pulp_model(park, links)
    build = time.perf_counter() - started
    prob.solve(pl.PULP_CBC_CMD(msg=False, timeLimit=budget, gapAbs=abs_gap, gapRel=0))
    total = time.perf_counter() - started
    solved = prob.sol_status in (1, 2)
    return {
        "route": "cbc",
        "budget_s": budget,
        "gap_target": gap,
        "read_s": read_s,
        "build_s": build,
        "total_s": total,
        "abs_gap": abs_gap,
        "status": "optimal"
        if prob.sol_status == 1
        else ("time_limit" if solved else pl.LpStatus[prob.status]),
        "objective": pl.value(prob.objective) if solved else None,
        "peak_mb": peak_mb(),
    }


# --- driver --------------------------------------------------------------------------------


def best_objective(rows: list[dict[str, Any]], firms: int) -> float:
    """The lowest objective any HiGHS route found for this size (minimisation)."""
    found = [
        r["objective"]
        for r in rows
        if r["firms"] == firms and r.get("objective") is not None and r["route"] != "cbc"
    ]
    if not found:
        raise SystemExit(f"{firms} firms: run a HiGHS route before 'cbc' (its gap is absolute)")
    return min(found)


def best_bound(rows: list[dict[str, Any]], firms: int) -> float | None:
    """The highest bound any HiGHS route proved for this size."""
    found = [r["bound"] for r in rows if r["firms"] == firms and r.get("bound") is not None]
    return max(found) if found else None


def fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def markdown(rows: list[dict[str, Any]]) -> str:
    by = {(r["firms"], r["route"], r.get("gap_target")): r for r in rows}
    sizes = sorted({r["firms"] for r in rows})
    out = [
        "| firms | links | after pruning | components | pieces (largest, links) | "
        "links s | links peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        s = by.get((n, "structure", None))
        if s:
            out.append(
                f"| {n} | {s['links']} | {s['kept']} | {s['components']} | "
                f"{s['pieces']} ({s['biggest_piece']}) | {fmt(s['links_s'])} | "
                f"{fmt(s['links_peak_growth_mb'], 0)} |"
            )
    out += [
        "",
        "| firms | route | status | gap in budget | links s | checks s | prune s | "
        "build s | hand-off s | HiGHS s | extract s | full model s | total s | "
        "overhead (% of HiGHS) | peak MB |",
        "|" + "---|" * 15,
    ]
    for n in sizes:
        for r in rows:
            if r["firms"] == n and r["route"] in ("monolithic", "decomposed"):
                out.append(
                    f"| {n} | {r['route']} | {r['status']} | {pct(r['gap'])} | "
                    f"{fmt(r['links_s'])} | {fmt(r['checks_s'])} | {fmt(r['prune_s'])} | "
                    f"{fmt(r['build_s'])} | {fmt(r['handoff_s'])} | {fmt(r['highs_s'])} | "
                    f"{fmt(r['extract_s'])} | {fmt(r['full_model_s'])} | {fmt(r['total_s'])} | "
                    f"{fmt(r['overhead_s'])} ({r['overhead_pct_of_highs']:.0f} %) | "
                    f"{fmt(r['peak_mb'], 0)} |"
                )
    out += [
        "",
        "| firms | monolithic: HiGHS t 1 % | t 0.1 % | decomposed: wall t 1 % "
        "(gap, overhead % of HiGHS) | wall t 0.1 % (gap, overhead) | 2 workers: wall t 1 % "
        "(gap) | wall t 0.1 % (gap) | peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in sizes:
        mono = by.get((n, "monolithic", 1e-4), {})
        cells = []
        for route in ("target", "target2"):
            for g in GAPS:
                r = by.get((n, route, g))
                if r is None:
                    cells.append("—")
                    continue
                reached = r["gap"] is not None and r["gap"] <= g
                when = fmt(r["total_s"], 1) if reached else f"not in {fmt(r['budget_s'], 0)}"
                overhead = f", {r['overhead_pct_of_highs']:.0f} %" if route == "target" else ""
                cells.append(f"{when} ({pct(r['gap'])}{overhead})")
        peak = max(
            (r["peak_mb"] for r in rows if r["firms"] == n and r.get("peak_mb")), default=None
        )
        out.append(
            f"| {n} | {fmt(mono.get('highs_t_0.01_s'), 1)} | "
            f"{fmt(mono.get('highs_t_0.001_s'), 1)} | {' | '.join(cells)} | "
            f"{fmt(peak, 0)} |"
        )
    cbc = [r for r in rows if r["route"] == "cbc"]
    if cbc:
        out += [
            "",
            "| firms | gap target | PuLP + CBC: wall s | status | gap vs best HiGHS "
            "bound | ours: wall s (default route) | CBC / ours |",
            "|---|---|---|---|---|---|---|",
        ]
    for r in cbc:
        n, g = r["firms"], r["gap_target"]
        bound = best_bound(rows, n)
        gap = (
            None
            if r["objective"] is None or bound is None
            else (r["objective"] - bound) / abs(r["objective"])
        )
        ours = by.get((n, "target", g), {})
        ours_s = ours.get("total_s") if ours.get("gap") is not None and ours["gap"] <= g else None
        reached = r["status"] == "optimal"
        cbc_s = fmt(r["total_s"], 1) if reached else f"not in {fmt(r['budget_s'], 0)}"
        ratio = (
            "—"
            if ours_s is None
            else f"{r['total_s'] / ours_s:.1f}×"
            if reached
            else f"> {r['total_s'] / ours_s:.1f}×"
        )
        out.append(
            f"| {n} | {pct(g)} | {cbc_s} | {r['status']} | {pct(gap)} | "
            f"{fmt(ours_s, 1)} | {ratio} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds for the monolithic and decomposed runs"
    )
    parser.add_argument(
        "--targets",
        type=float,
        nargs="*",
        default=list(GAPS),
        help="gap targets timed on the default route",
    )
    parser.add_argument("--cap", type=float, default=600.0, help="time limit of target runs")
    parser.add_argument(
        "--routes",
        nargs="+",
        default=["monolithic", "decomposed", "target"],
        help="also 'cbc': PuLP + CBC to each --cbc-targets gap, capped at --cap "
        "(after the other routes of the size, whose best objective sets "
        "CBC's absolute gap)",
    )
    parser.add_argument(
        "--append",
        type=Path,
        default=None,
        help="start from the rows of an earlier run's CSV (e.g. to add 'cbc')",
    )
    parser.add_argument("--cbc-targets", type=float, nargs="*", default=[1e-2])
    parser.add_argument("--out", type=Path, default=RESULTS / "formulation.csv")
    parser.add_argument(
        "--from-csv", type=Path, default=None, help="only print the tables of an earlier run's CSV"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, workbook, *rest = args.worker
        if kind == "structure":
            row = run_structure(workbook)
        elif kind == "cbc":
            row = run_cbc(workbook, *map(float, rest))
        else:
            row = run_route(workbook, kind, float(rest[0]), float(rest[1]))
        print(json.dumps(row))
        return
    if args.from_csv:
        print(markdown(read_rows(args.from_csv)))
        return

    from ecopark_opt.inputs.generate import write_generated

    rows: list[dict[str, Any]] = read_rows(args.append) if args.append else []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            book = str(write_generated(Path(tmp) / f"park_{n}.xlsx", n, args.resources, args.seed))
            done = {r["route"] for r in rows if r["firms"] == n}
            plan = [] if "structure" in done else [("structure", [])]
            if "monolithic" in args.routes:
                plan.append(("monolithic", [args.budget, 1e-4]))
            if "decomposed" in args.routes:
                plan.append(("decomposed", [args.budget, 1e-4]))
            for route in ("target", "target2"):
                if route in args.routes:
                    plan += [(route, [args.cap, g]) for g in args.targets]
            if "cbc" in args.routes:
                plan += [("cbc", [args.cap, g]) for g in args.cbc_targets]
            for kind, extra in plan:
                if kind == "cbc":
                    extra = [*extra, extra[1] * abs(best_objective(rows, n))]
                started = time.perf_counter()
                row = {
                    "firms": n,
                    "route": kind,
                    "load_avg_1min": os.getloadavg()[0],
                    **in_process(__file__, [kind, book, *map(str, extra)]),
                }
                rows.append(row)
                print(
                    f"{n} firms, {kind} {extra}: {time.perf_counter() - started:.0f} s, "
                    f"{row.get('status', '')} gap {pct(row.get('gap'))}",
                    file=sys.stderr,
                )
                write_rows(rows, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
