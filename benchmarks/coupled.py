"""Coupled-park benchmark: parks with candidate firms and plots, our route against HiGHS alone
on the MPS of the same whole model, on several seeds.

    python benchmarks/coupled.py --seeds 11 1 7 2 3 --firms 400 --plots 12 --candidates 12 \\
        --limit 120 [--routes ours limit highs valuation] [--levers]

For each seed one park is generated (``ecopark generate --firms F --plots P --candidates C
--seed S``: F existing firms, C candidate firms with a blank site, P plots) and written once;
every measurement then runs in a fresh Python process (HiGHS's once-per-process thread
setting and memory peaks do not leak):

- **ours** — ``optimize`` (what ``ecopark solve`` designs) with ``--mip-gap 0.01`` and the
  limit: wall seconds from the loaded park to the Solution (reading the workbook shown
  apart), the phases of the coupled route (LP relaxation, the settled park by pieces, the
  whole model from that start), status and gap. The whole model our route handed to HiGHS
  is written to MPS (``writeModel`` on the ``Highs`` object ``ecopark_opt.core.solve``
  created, captured by wrapping ``new_highs``).
- **limit** — the same with gap target 1e-4: the gap reached at the limit.
- **highs** — a fresh ``highspy.Highs`` reads that MPS and solves it with HiGHS's default
  options, gap target 1e-4 and the limit; MIP callbacks give the HiGHS running time at which
  its gap first fell to 1 % (reading the MPS is added: *HiGHS alone to 1 %*).
- **valuation** — what ``ecopark solve`` does after the design on a park with candidates:
  the design gets 70 % of the limit, then every candidate's decision is flipped and the
  model re-solved in an equal share of what is left (``candidate_values``); how many got a
  value, how many have a proved sign, the width of their intervals and the seconds spent.
  ``valuation_cold`` is the same without the flipped starts (each re-solve from nothing,
  with presolve probing: how the re-solves ran before).
- levers (``--levers``), each our route with one change: ``probing`` (HiGHS presolve
  probing on in the whole model's run), ``nostart`` (the whole model without the settled
  start, probing off), ``noplotflow`` (without the ``plot_flow`` rows: the relaxation is
  weaker), ``whole`` (the whole model as before this route: no start, probing on).

Results: one row per run in ``benchmarks/results/coupled.csv`` and markdown tables on
stdout (``--from-csv`` prints the tables of an earlier run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import in_process, pct  # benchmarks/, the script's folder
from results_csv import read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGET = 1e-2
LEVERS = ("probing", "nostart", "noplotflow", "whole")


class GapClock:
    """First HiGHS running time at which the MIP gap fell to ``TARGET`` (callbacks)."""

    def __init__(self) -> None:
        self.first: float | None = None

    def __call__(self, event) -> None:
        gap = event.data_out.mip_gap
        if self.first is None and gap is not None and math.isfinite(gap) and gap <= TARGET:
            self.first = float(event.data_out.running_time)

    def attach(self, h) -> None:
        h.cbMipInterrupt += self
        h.cbMipImprovingSolution += self


# --- runs (each in its own process) --------------------------------------------------------


def run_ours(workbook: str, route: str, limit: float, mps: str) -> dict[str, Any]:
    """Our route (or a lever of it) to ``TARGET`` (``limit``: to 1e-4) within ``limit``."""
    import highspy

    import ecopark_opt.core.solve as solve_module
    from ecopark_opt.core import coupled, families
    from ecopark_opt.core.optimize import RunOptions, optimize
    from ecopark_opt.core.stages import Timer
    from ecopark_opt.inputs.load import load_park

    started = time.perf_counter()
    park = load_park(workbook)
    read_s = time.perf_counter() - started
    created: list[highspy.Highs] = []
    original = solve_module.new_highs

    def new_highs() -> highspy.Highs:
        created.append(original())
        return created[-1]

    solve_module.new_highs = new_highs
    decompose = True
    if route == "probing":
        coupled.WHOLE_PROBING = True
    elif route == "nostart":
        coupled.settle = lambda m: None
    elif route == "noplotflow":
        families.add_plot_flows = lambda m: None
    elif route == "whole":
        decompose = False
    gap = 1e-4 if route == "limit" else TARGET
    timer = Timer()
    started = time.perf_counter()
    solution = optimize(park, RunOptions(time_limit=limit, mip_gap=gap, decompose=decompose), timer)
    wall = time.perf_counter() - started
    r = solution.result
    t = timer.seconds
    if route == "ours":
        created[-1].writeModel(mps)
    from ecopark_opt.core.links import candidate_links

    return {
        "links": len(candidate_links(park)),
        "pruned": r.extra.get("pruned links"),
        "read_s": read_s,
        "wall_s": wall,
        "status": r.status,
        "gap": r.gap,
        "objective": r.objective,
        "bound": r.bound,
        "build_s": t.get("build model", 0.0),
        "relaxation_s": t.get("relaxation", 0.0),
        "settled_s": t.get("settled park", 0.0),
        "whole_s": t.get("solve", 0.0),
        "handoff_s": r.handoff_seconds,
        "start": r.extra.get("settled start"),
        "rows": r.rows,
        "columns": r.columns,
        "integers": r.integers,
    }


def run_highs(mps: str, limit: float) -> dict[str, Any]:
    """HiGHS alone: read the MPS our route wrote and solve it with its default options."""
    import highspy

    started = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(mps)
    read_s = time.perf_counter() - started
    h.setOptionValue("time_limit", float(limit))
    h.setOptionValue("mip_rel_gap", 1e-4)
    clock = GapClock()
    clock.attach(h)
    started = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - started
    info = h.getInfo()
    has = info.primal_solution_status == 2
    gap = float(info.mip_gap) if has and math.isfinite(info.mip_gap) else None
    first = clock.first
    if first is None and gap is not None and gap <= TARGET:
        first = run_s
    return {
        "read_s": read_s,
        "wall_s": run_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "gap": gap,
        "objective": float(info.objective_function_value) if has else None,
        "bound": float(info.mip_dual_bound) if has else None,
        "t_target_s": None if first is None else read_s + first,
    }


def run_valuation(workbook: str, route: str, limit: float) -> dict[str, Any]:
    """The design and the candidate values as ``ecopark solve --time-limit`` runs them."""
    from dataclasses import replace

    from ecopark_opt.analyses.candidates import candidate_values
    from ecopark_opt.core.optimize import RunOptions, design_park
    from ecopark_opt.core.park_model import ParkModel
    from ecopark_opt.inputs.load import load_park

    if route == "valuation_cold":  # the re-solves as before: no start, presolve probing on
        ParkModel.start_flipped = lambda self, design, firm, admitted: None
        real_run = ParkModel.run
        ParkModel.run = lambda self, o: real_run(self, replace(o, warm_start=False, probing=True))
    started = time.monotonic()
    park = load_park(workbook)
    options = RunOptions(time_limit=limit, mip_gap=TARGET, started=started)
    model, design = design_park(park, replace(options, share=0.7))
    design_s = time.monotonic() - started
    values = candidate_values(model, design, options)
    total = time.monotonic() - started
    valued = values[values["value"].notna()]
    proved = valued[(valued["value_low"] > 0) | (valued["value_high"] < 0)]
    width = (valued["value_high"] - valued["value_low"]).abs()
    return {
        "wall_s": total,
        "design_s": design_s,
        "valuation_s": total - design_s,
        "candidates": len(values),
        "valued": len(valued),
        "proved": len(proved),
        "median_width": float(width.median()) if len(width) else None,
        "median_value": float(valued["value"].abs().median()) if len(valued) else None,
        "gap": design.result.gap,
    }


def worker(kind: str, workbook: str, limit: float, mps: str) -> dict[str, Any]:
    if kind == "highs":
        return run_highs(mps, limit)
    if kind.startswith("valuation"):
        return run_valuation(workbook, kind, limit)
    return run_ours(workbook, kind, limit, mps)


# --- tables --------------------------------------------------------------------------------


def fmt(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def markdown(rows: list[dict[str, Any]]) -> str:
    out: list[str] = []
    by = {(r["seed"], r["route"]): r for r in rows}
    seeds = list(dict.fromkeys(r["seed"] for r in rows))
    out += [
        "| seed | links | rows | cols | ours: wall s to 1 % (gap) | relaxation s | settled s | "
        "whole s | gap at limit | HiGHS alone: s to 1 % | gap at limit | ours / HiGHS alone |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ratios = []
    for s in seeds:
        o, lim, h = by.get((s, "ours")), by.get((s, "limit")), by.get((s, "highs"))
        if o is None:
            continue
        reached = o["status"] == "optimal"
        ours_t = o["wall_s"] if reached else None
        alone = h.get("t_target_s") if h else None
        if h is None:
            ratio = "—"
        elif ours_t is not None and alone is not None:
            ratios.append(ours_t / alone)
            ratio = f"{ours_t / alone:.2f}"
        elif ours_t is not None:
            ratio = f"< {ours_t / h['wall_s']:.2f}"  # HiGHS alone never got there
            ratios.append(ours_t / h["wall_s"])
        else:
            ratio = "—"
        out.append(
            f"| {s} | {o.get('links', '—')} | {o['rows']} | {o['columns']} | "
            f"{fmt(ours_t) if reached else 'not in limit'} ({pct(o['gap'])}) | "
            f"{fmt(o['relaxation_s'])} | {fmt(o['settled_s'])} | {fmt(o['whole_s'])} | "
            f"{pct(lim['gap']) if lim else '—'} | "
            f"{fmt(alone) if alone is not None else 'not in limit'} | "
            f"{pct(h['gap']) if h else '—'} | {ratio} |"
        )
    if ratios:
        out.append("")
        out.append(
            f"ours / HiGHS alone, time to 1 %: median {statistics.median(ratios):.2f}, "
            f"largest {max(ratios):.2f} (seeds {len(ratios)})"
        )
    levers = [(s, r) for s in seeds for r in LEVERS if (s, r) in by]
    if levers:
        out += [
            "",
            "| seed | route | wall s | status | gap | start | objective |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in seeds:
            for route in ("ours", *LEVERS):
                r = by.get((s, route))
                if r is not None:
                    out.append(
                        f"| {s} | {route} | {fmt(r['wall_s'])} | {r['status']} | "
                        f"{pct(r['gap'])} | {r.get('start')} | {r['objective']:.6g} |"
                    )
    valuations = [(s, r) for s in seeds for r in ("valuation", "valuation_cold") if (s, r) in by]
    if valuations:
        out += [
            "",
            "| seed | re-solves | wall s (design s) | candidates valued | sign proved | "
            "median interval width | median |value| |",
            "|---|---|---|---|---|---|---|",
        ]
        for s, route in valuations:
            r = by[(s, route)]
            out.append(
                f"| {s} | {'from the design' if route == 'valuation' else 'cold'} | "
                f"{fmt(r['wall_s'])} ({fmt(r['design_s'])}) | {r['valued']}/{r['candidates']} | "
                f"{r['proved']} | {fmt(r['median_width'], 0)} | {fmt(r['median_value'], 0)} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 1, 7])
    parser.add_argument("--firms", type=int, default=400)
    parser.add_argument("--plots", type=int, default=12)
    parser.add_argument("--candidates", type=int, default=12)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per run")
    parser.add_argument(
        "--routes",
        nargs="+",
        default=["ours", "limit", "highs", "valuation"],
        help="of ours, limit, highs, valuation, valuation_cold",
    )
    parser.add_argument("--levers", action="store_true", help="also " + ", ".join(LEVERS))
    parser.add_argument("--out", type=Path, default=RESULTS / "coupled.csv")
    parser.add_argument("--from-csv", type=Path, default=None)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, workbook, limit, mps = args.worker
        print(json.dumps(worker(kind, workbook, float(limit), mps)))
        return
    if args.from_csv:
        print(markdown(read_rows(args.from_csv)))
        return

    from ecopark_opt.inputs.generate import write_generated

    routes = list(args.routes) + (list(LEVERS) if args.levers else [])
    if "highs" in routes and "ours" not in routes:
        parser.error("route highs solves the MPS that route ours writes")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            book = Path(tmp) / f"park_{seed}.xlsx"
            write_generated(book, args.firms, 20, seed, args.plots, args.candidates)
            mps = str(Path(tmp) / f"park_{seed}.mps")
            for route in sorted(routes, key=lambda r: r != "ours"):  # ours writes the MPS
                started = time.perf_counter()
                row = {
                    "seed": seed,
                    "firms": args.firms,
                    "route": route,
                    "limit_s": args.limit,
                    "load_avg_1min": os.getloadavg()[0],
                    **in_process(__file__, [route, str(book), str(args.limit), mps]),
                }
                rows.append(row)
                print(
                    f"seed {seed} {route}: {time.perf_counter() - started:.0f} s, "
                    f"{row.get('status', '')} gap {pct(row.get('gap'))}",
                    file=sys.stderr,
                )
                write_rows(rows, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
