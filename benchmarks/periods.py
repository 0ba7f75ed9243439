"""Periods benchmark: how the model and its solve grow with the number of periods.

    python benchmarks/periods.py --firms 200 500 --periods 1 4 12 --time-limit 60
    python benchmarks/periods.py --from-csv benchmarks/results/periods.csv   # tables only
    python benchmarks/periods.py --firms 500 --periods 12 --profile         # where build goes

Each (firms, periods) park comes from ``ecopark generate --firms F --periods N`` (20
resources, seed 1): the same firms, flows and links for every N, operated over N periods of
equal hours with seasonal profiles by sector, and heat and steam pipes whose capacity is a
decision (``ecopark_opt.inputs.generate``). Each run is a fresh Python process (HiGHS's
thread setting and the memory peak do not leak between runs) that first solves a 4-firm park
with 2 periods, so that first-use imports are not charged to the phases, then measures:

- ``generate`` (tables and workbook), ``read`` (``load_park``), ``links``
  (``candidate_links``);
- ``build``: ``build_model``, the Pyomo model (sets, variables, every constraint family);
- ``handoff``: compiling the Pyomo model to sparse matrices and ``passModel`` into HiGHS
  (``SolveResult.handoff_seconds``);
- ``highs``: HiGHS's own run time (``Highs.getRunTime`` of the instance
  ``ecopark_opt.core.solve`` created, captured by wrapping its ``new_highs``), at the fixed
  ``--time-limit`` with gap target 1e-4; status and the gap reached;
- the model's size as passed to HiGHS: rows, columns, nonzeros, integer columns.

The whole model is solved (no pruning or decomposition), as ``scale.py`` does, so that the
numbers are those of the model itself. Build time must grow no faster than linearly in the
number of periods: the script prints build seconds per period and the marginal seconds of an
added period (from N = 1 to 4 and from 4 to 12), and says whether the growth is linear.

Results: one row per run in ``benchmarks/results/periods.csv`` and markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from results_csv import read_rows, write_rows  # benchmarks/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
LINEAR_TOLERANCE = 0.15  # noise allowed on a shared 2-core machine before "faster than linear"


# --- one run (in a fresh process) ----------------------------------------------------------


def run_one(firms: int, periods: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Generate, read, build and solve one park; phase times and model size."""
    import highspy

    import ecopark_opt.core.solve as solve_module
    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.core.model import build_model
    from ecopark_opt.inputs.generate import write_generated
    from ecopark_opt.inputs.load import load_park

    warm_up(workdir)
    row: dict[str, Any] = {"firms": firms, "periods": periods, "load_avg_1min": os.getloadavg()[0]}
    started = time.perf_counter()
    path = write_generated(workdir / "park.xlsx", firms, args.resources, args.seed, periods=periods)
    row["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    park = load_park(path)
    row["read_s"] = time.perf_counter() - started
    started = time.perf_counter()
    links = candidate_links(park)
    row["links_s"] = time.perf_counter() - started
    started = time.perf_counter()
    model = build_model(park, links)
    row["build_s"] = time.perf_counter() - started

    created: list[highspy.Highs] = []
    original = solve_module.new_highs

    def capture() -> highspy.Highs:
        h = original()
        created.append(h)
        return h

    solve_module.new_highs = capture
    try:
        result = solve_module.solve(
            model, solve_module.SolveOptions(time_limit=args.time_limit, mip_gap=1e-4)
        )
    finally:
        solve_module.new_highs = original
    row.update(
        flows=len(park.flows),
        profile_rows=len(park.profiles),
        candidate_links=len(links),
        sized_links=int(links["sized"].astype(bool).sum()),
        operated_links=len(model.S_LINKS),  # (period, link) pairs
        rows=result.rows,
        cols=result.columns,
        nonzeros=result.nonzeros,
        integers=result.integers,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        handoff_s=result.handoff_seconds,
        highs_s=created[-1].getRunTime() if created else None,
        solve_call_s=result.seconds,
        solver=f"HiGHS {result.solver_version}",
    )
    return row


def warm_up(workdir: Path) -> None:
    """The pipeline once on a 4-firm park with 2 periods: first-use imports (scipy through
    Pyomo's standard-form compiler, HiGHS's first instance) are then not in the phases."""
    from ecopark_opt.core.optimize import RunOptions, optimize
    from ecopark_opt.inputs.generate import write_generated
    from ecopark_opt.inputs.load import load_park

    park = load_park(write_generated(workdir / "warm.xlsx", 4, 5, 0, periods=2))
    optimize(park, RunOptions(time_limit=10))


def profile_build(firms: int, periods: int, args: argparse.Namespace, top: int = 25) -> str:
    """cProfile of ``build_model`` alone on one park: the functions that take the time."""
    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.core.model import build_model
    from ecopark_opt.inputs.generate import write_generated
    from ecopark_opt.inputs.load import load_park

    with tempfile.TemporaryDirectory() as tmp:
        park = load_park(
            write_generated(Path(tmp) / "p.xlsx", firms, args.resources, args.seed, periods=periods)
        )
    links = candidate_links(park)
    build_model(park, links)  # first use of every code path
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    build_model(park, links)
    profiler.disable()
    wall = time.perf_counter() - started
    out = io.StringIO()
    out.write(f"build_model, {firms} firms, {periods} periods: {wall:.2f} s (under cProfile)\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- orchestration -------------------------------------------------------------------------


def run_in_process(firms: int, periods: int, repeat: int, args, tmp: Path) -> dict | None:
    out = tmp / f"run_{firms}_{periods}_{repeat}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        f"{firms},{periods}",
        "--worker-out",
        str(out),
        "--time-limit",
        str(args.time_limit),
        "--resources",
        str(args.resources),
        "--seed",
        str(args.seed),
    ]
    done = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if done.returncode != 0 or not out.exists():
        print(f"{firms} firms, {periods} periods failed:\n{done.stderr}", file=sys.stderr)
        return None
    row = json.loads(out.read_text())
    row["repeat"] = repeat
    return row


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def growth(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Per firm count: ``key`` per period, the marginal seconds of an added period between
    consecutive period counts, and whether the growth is at most linear."""
    out = []
    for firms in sorted({r["firms"] for r in rows}):
        by_n = {
            n: median([r for r in rows if r["firms"] == firms and r["periods"] == n], key)
            for n in sorted({r["periods"] for r in rows if r["firms"] == firms})
        }
        by_n = {n: v for n, v in by_n.items() if v is not None}
        ns = sorted(by_n)
        marginal = [(a, b, (by_n[b] - by_n[a]) / (b - a)) for a, b in zip(ns, ns[1:]) if b > a]
        # linear or better: the marginal cost of a period does not grow with the number of
        # periods, and N periods cost at most N times one period (beyond noise)
        increments_ok = all(
            m2 <= m1 * (1 + LINEAR_TOLERANCE) + 0.01
            for (_, _, m1), (_, _, m2) in zip(marginal, marginal[1:])
        )
        first = ns[0] if ns else None
        scale_ok = all(
            by_n[n] <= by_n[first] * n / first * (1 + LINEAR_TOLERANCE) for n in ns if first
        )
        out.append(
            {
                "firms": firms,
                "values": by_n,
                "per_period": {n: by_n[n] / n for n in ns},
                "marginal": marginal,
                "linear": increments_ok and scale_ok,
            }
        )
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines: list[str] = []

    def table(header: list[str], body: list[list[str]]) -> None:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines.extend("| " + " | ".join(b) + " |" for b in body)
        lines.append("")

    keys = sorted({(r["firms"], r["periods"]) for r in rows})
    body = []
    for firms, periods in keys:
        runs = [r for r in rows if (r["firms"], r["periods"]) == (firms, periods)]
        last = runs[-1]
        body.append(
            [
                str(firms),
                str(periods),
                str(len(runs)),
                str(last["candidate_links"]),
                str(last["sized_links"]),
                str(last["profile_rows"]),
                str(last["rows"]),
                str(last["cols"]),
                str(last["nonzeros"]),
                str(last["integers"]),
                fmt(median(runs, "read_s")),
                fmt(median(runs, "build_s")),
                fmt(median(runs, "build_s") / periods),
                fmt(median(runs, "handoff_s")),
                fmt(median(runs, "highs_s")),
                last["status"] if last.get("objective") is not None else "no design found",
                pct(median(runs, "gap")),
            ]
        )
    table(
        [
            "firms",
            "periods",
            "runs",
            "links",
            "sized links",
            "profile rows",
            "rows",
            "cols",
            "nonzeros",
            "integers",
            "read s",
            "build s",
            "build s / period",
            "hand-off s",
            "HiGHS s",
            "status",
            "gap",
        ],
        body,
    )
    for key, label in (("build_s", "build"), ("handoff_s", "hand-off")):
        body = []
        for g in growth(rows, key):
            ns = sorted(g["values"])
            body.append(
                [
                    str(g["firms"]),
                    ", ".join(f"{n}: {g['values'][n]:.2f}" for n in ns),
                    ", ".join(f"{n}: {g['per_period'][n]:.3f}" for n in ns),
                    ", ".join(f"{a}→{b}: {m:.3f}" for a, b, m in g["marginal"]),
                    "yes" if g["linear"] else "NO",
                ]
            )
        table(
            [
                "firms",
                f"{label} s by periods",
                f"{label} s / period",
                "s per added period",
                "no faster than linear",
            ],
            body,
        )
    return "\n".join(lines)


def versions() -> str:
    import pandas
    import pyomo

    from ecopark_opt.core.solve import highs_version

    parts = [
        f"Python {platform.python_version()}",
        f"Pyomo {pyomo.__version__}",
        f"highspy {highs_version()}",
        f"pandas {pandas.__version__}",
    ]
    cpu = platform.processor() or platform.machine()
    return f"{', '.join(parts)}; {os.cpu_count()} cores ({cpu}), {platform.system()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--periods", type=int, nargs="+", default=[1, 4, 12])
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell (median quoted)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="HiGHS seconds per run")
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "periods.csv")
    parser.add_argument("--from-csv", type=Path, help="only print the tables of an earlier CSV")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile build_model for each cell instead"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        firms, periods = (int(v) for v in args.worker.split(","))
        with tempfile.TemporaryDirectory() as tmp:
            row = run_one(firms, periods, args, Path(tmp))
        Path(args.worker_out).write_text(json.dumps(row))
        return
    if args.from_csv:
        print(markdown(read_rows(args.from_csv)))
        return
    if args.profile:
        for firms in args.firms:
            for periods in args.periods:
                print(profile_build(firms, periods, args))
        return

    print(versions(), file=sys.stderr)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for firms in args.firms:
            for periods in args.periods:
                for repeat in range(args.repeats):
                    started = time.perf_counter()
                    row = run_in_process(firms, periods, repeat, args, Path(tmp))
                    if row is None:
                        continue
                    rows.append(row)
                    write_rows(rows, args.out)
                    print(
                        f"{firms} firms, {periods} periods, run {repeat + 1}/{args.repeats}: "
                        f"{time.perf_counter() - started:.0f} s wall; build {row['build_s']:.2f}"
                        f" s, hand-off {row['handoff_s']:.2f} s, HiGHS {row['status']} gap "
                        f"{pct(row['gap'])}",
                        file=sys.stderr,
                    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
