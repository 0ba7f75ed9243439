"""Time the N-1 resilience loop: one model re-used (fixings changed) vs a model rebuilt per run.

    python benchmarks/resilience_n1.py [--firms 20] [--seed 7] [--links]

The park is synthetic (``ecopark_opt.inputs.generate``, ``--firms`` existing firms); when
``instances/kalundborg.xlsx`` exists it is timed too. Both variants make the same runs
(fixed design and re-optimised, per admitted firm) and must give the same costs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ecopark_opt.analyses.resilience import n_minus_1, run_fixed_design, run_reoptimised
from ecopark_opt.core.optimize import RunOptions, optimize, prepare
from ecopark_opt.core.solution import Solution
from ecopark_opt.inputs.generate import write_generated
from ecopark_opt.inputs.load import load_park
from ecopark_opt.park import Park

ROOT = Path(__file__).resolve().parent.parent


def rebuilt_loop(park: Park, design: Solution, options: RunOptions) -> tuple[list, int]:
    """The same runs as ``n_minus_1``, building the model afresh for each of them."""
    solve_options = options.solve_options(park)
    objective = design.objective
    solves = 0
    costs = []
    for firm in prepare(park).design_fixings(design).admitted:
        model = prepare(park)
        plan = model.design_fixings(design)
        _, fixed = run_fixed_design(model, plan, objective, solve_options, gone_firm=firm)
        solves += model.solves
        model = prepare(park)
        _, reopt = run_reoptimised(model, objective, solve_options, gone_firm=firm)
        solves += model.solves
        costs.append((firm, fixed.cost, reopt.cost))
    return costs, solves


def bench(name: str, park: Park, links: bool) -> None:
    options = RunOptions()
    started = time.perf_counter()
    links_frame = prepare(park).links
    design = optimize(park, options)
    design_s = time.perf_counter() - started

    started = time.perf_counter()
    result = n_minus_1(park, design, options, links=links)
    reuse_s = time.perf_counter() - started

    started = time.perf_counter()
    rebuilt, rebuilt_solves = rebuilt_loop(park, design, options)
    rebuild_s = time.perf_counter() - started

    reused = {r.key: (r.fixed.cost, r.reoptimized.cost) for r in result.firms}
    worst = max(
        (abs(reused[f][0] - fc) + abs(reused[f][1] - rc) for f, fc, rc in rebuilt),
        default=0.0,
    )
    firm_solves = result.solves - (2 * len(result.links) if result.links else 0)
    print(
        f"{name}: {len(park.firms)} firms, {len(park.flows)} flows rows, "
        f"{len(links_frame)} candidate links, {len(design.built_links)} built; "
        f"design {design_s:.2f} s"
    )
    print(
        f"  N-1 re-using one model: {reuse_s:.2f} s, {result.solves} solves"
        + (f" ({len(result.links)} links too)" if result.links else "")
    )
    print(
        f"  N-1 rebuilding per run: {rebuild_s:.2f} s, {rebuilt_solves} solves "
        f"(firm runs only; re-use made {firm_solves})"
    )
    if not links:
        print(f"  speed-up {rebuild_s / reuse_s:.2f}×; largest cost difference {worst:.3g}")
    critical = [r for r in result.firms if r.critical]
    print(f"  critical firms: {len(critical)} of {len(result.firms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=20)
    parser.add_argument("--resources", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--links", action="store_true", help="also remove each built link")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_generated(Path(tmp) / "park.xlsx", args.firms, args.resources, args.seed)
        bench(f"synthetic park (seed {args.seed})", load_park(path), args.links)
    kalundborg = ROOT / "instances" / "kalundborg.xlsx"
    if kalundborg.exists():
        bench("instances/kalundborg.xlsx", load_park(kalundborg), args.links)


if __name__ == "__main__":
    main()
