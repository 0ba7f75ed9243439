"""Time to a gap target in virgin use and CO2e (objectives with a cost tie-break) on
generated parks that split into components, several seeds, each run in a fresh process.

    python benchmarks/objectives.py --firms 1000 --seeds 1 2 3 4 5 --objectives virgin co2e \\
        --gap 0.01 --cap 60

A virgin or CO2e design is proved when its objective and its cost tie-break (the cheapest
design among those with the least virgin use, or CO2e) are both within the gap target. On a
park solved by components the tie-breaks of the pieces are merged as the objectives are
(``decompose.combine``). A row per (seed, objective): wall seconds from the loaded park to
the design (``optimize``, what ``ecopark solve`` runs without the report), the status, the
objective's gap and the merged tie-break's gap. To compare two versions of the code, run the
script once per checkout with ``PYTHONPATH`` pointing at it (the generated parks are the
same: ``--workdir`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from measure import in_process, load, pct  # benchmarks/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = 20


def run(workbook: str, objective: str, gap: float, cap: float) -> dict:
    from ecopark_opt.core.optimize import RunOptions, optimize

    park, read_s = load(workbook)
    started = time.perf_counter()
    solution = optimize(park, RunOptions(mip_gap=gap, time_limit=cap, objective=objective))
    r = solution.result
    return {
        "read_s": read_s,
        "total_s": time.perf_counter() - started,
        "status": r.status,
        "gap": r.gap,
        "tie_break_gap": r.extra.get("tie_break_gap"),
        "pieces": r.extra.get("pieces solved"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--objectives", nargs="+", default=["virgin", "co2e"])
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--cap", type=float, default=60.0, help="time limit of a run, seconds")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "results" / "parks")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        workbook, objective, gap, cap = args.worker
        print(json.dumps(run(workbook, objective, float(gap), float(cap))))
        return
    from ecopark_opt.inputs.generate import write_generated

    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"code: {os.environ.get('PYTHONPATH') or ROOT}", file=sys.stderr)
    print("| seed | objective | s to the gap | status | gap | cost tie-break gap | pieces |")
    print("|---|---|---|---|---|---|---|")
    times: dict[str, list[float]] = {o: [] for o in args.objectives}
    for seed in args.seeds:
        book = args.workdir / f"park_{args.firms}_{seed}_0.xlsx"
        if not book.exists():
            write_generated(book, args.firms, RESOURCES, seed, 0, 0)
        for objective in args.objectives:
            row = in_process(__file__, [str(book), objective, str(args.gap), str(args.cap)])
            done = row["status"] == "optimal"
            times[objective].append(row["total_s"] if done else float("inf"))
            seconds = f"{row['total_s']:.1f}" if done else f"> {args.cap:g} (cap)"
            print(
                f"| {seed} | {objective} | {seconds} | {row['status']} | {pct(row['gap'])} "
                f"| {pct(row['tie_break_gap'])} | {row['pieces']} |",
                flush=True,
            )
    for objective, values in times.items():
        median = statistics.median(values)
        shown = f"{median:.1f} s" if median != float("inf") else f"> {args.cap:g} s"
        print(f"\n{objective}: median {shown} to {pct(args.gap)} over {len(values)} seeds")


if __name__ == "__main__":
    main()
