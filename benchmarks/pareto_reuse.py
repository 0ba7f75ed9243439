"""Time a Pareto front: one model re-used (ε bound changed) vs a model rebuilt per point.

    python benchmarks/pareto_reuse.py [--firms 40] [--resources 8] [--points 10] [--seed 7]

The park is synthetic (``ecopark_opt.inputs.generate``, ``--firms`` existing firms); the shipped
``instances/kalundborg.xlsx`` is timed too when it exists. Both variants make the same solves
and must give the same front; the table shows the time of each, the time spent building
models and the largest difference between the two fronts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ecopark_opt.analyses.pareto import trace_front
from ecopark_opt.core.optimize import RunOptions, prepare
from ecopark_opt.core.stages import Timer
from ecopark_opt.inputs.generate import write_generated
from ecopark_opt.inputs.load import load_park
from ecopark_opt.outputs.jsonout import pareto_json
from ecopark_opt.park import Park

ROOT = Path(__file__).resolve().parent.parent


def bench(name: str, park: Park, points: int, x: str, y: str) -> dict:
    """Both variants on one park; returns a row of the summary table."""
    timer = Timer()
    links = prepare(park, timer).links
    build_s = timer.seconds.get("candidate links", 0.0) + timer.seconds.get("build model", 0.0)
    options = RunOptions()
    started = time.perf_counter()
    reused = trace_front(park, points, x, y, options, reuse_model=True)
    reuse_s = time.perf_counter() - started
    started = time.perf_counter()
    rebuilt = trace_front(park, points, x, y, options, reuse_model=False)
    rebuild_s = time.perf_counter() - started
    a, b = pareto_json(reused), pareto_json(rebuilt)
    diff = (
        max(
            (abs(p[k] - q[k]) / max(1.0, abs(p[k])) for p, q in zip(a, b) for k in (x, y)),
            default=0.0,
        )
        if len(a) == len(b)
        else float("nan")
    )
    return {
        "park": name,
        "firms": len(park.firms),
        "links": len(links),
        "points": len(a),
        "build_s": build_s,
        "reuse_s": reuse_s,
        "rebuild_s": rebuild_s,
        "builds": (reused.model_builds, rebuilt.model_builds),
        "diff": diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=40)
    parser.add_argument("--resources", type=int, default=8)
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--x", default="cost")
    parser.add_argument("--y", default="virgin")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_generated(Path(tmp) / "park.xlsx", args.firms, args.resources, args.seed)
        rows.append(
            bench(f"synthetic (seed {args.seed})", load_park(path), args.points, args.x, args.y)
        )
    kalundborg = ROOT / "instances" / "kalundborg.xlsx"
    if kalundborg.exists():
        rows.append(bench("kalundborg.xlsx", load_park(kalundborg), args.points, args.x, args.y))
    print(f"{args.points}-point front, {args.x} vs {args.y}")
    header = (
        f"{'park':<22}{'firms':>6}{'links':>7}{'points':>7}{'one build [s]':>14}"
        f"{'re-use [s]':>12}{'rebuild [s]':>13}{'speed-up':>10}{'builds':>9}"
        f"{'max diff':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        builds = f"{r['builds'][0]}/{r['builds'][1]}"
        print(
            f"{r['park']:<22}{r['firms']:>6}{r['links']:>7}{r['points']:>7}"
            f"{r['build_s']:>14.2f}{r['reuse_s']:>12.2f}{r['rebuild_s']:>13.2f}"
            f"{r['rebuild_s'] / r['reuse_s']:>9.2f}×{builds:>9}{r['diff']:>10.1e}"
        )


if __name__ == "__main__":
    main()
