"""Time a Monte Carlo sweep serially, in local worker processes and on a Dask LocalCluster.

    python benchmarks/sweep.py [--firms 50] [--resources 8] [--samples 200] [--workers 2]
                               [--seed 1] [--executors serial,local,dask]

The park is synthetic (``ecopark_opt.inputs.generate``) with an uncertainty sheet added: the
virgin prices (one draw for all resources, uniform ±20 %), every flow quantity
(normal, 5 % sd) and the capex per km of every mode (triangular 0.8 / 1 / 1.5). Every
executor runs the same samples and must give the same results (checked); the script prints
wall times and speed-ups against serial.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from ecopark_opt.analyses.sweep import run_sweep
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.generate import generate_park
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook

UNCERTAINTY = [
    {
        "sheet": "resources",
        "key": "*",
        "column": "virgin_price",
        "distribution": "uniform",
        "p1": 0.8,
        "p2": 1.2,
        "p3": None,
    },
    {
        "sheet": "flows",
        "key": "*",
        "column": "quantity",
        "distribution": "normal",
        "p1": 1.0,
        "p2": 0.05,
        "p3": None,
    },
    {
        "sheet": "transport",
        "key": "*",
        "column": "capex_per_km",
        "distribution": "triangular",
        "p1": 0.8,
        "p2": 1.0,
        "p3": 1.5,
    },
]
COMPARED = ["sample", "status", "cost", "virgin", "co2e", "fixed_status", "fixed_cost"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=50)
    parser.add_argument("--resources", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--executors", default="serial,local,dask")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tables = generate_park(args.firms, args.resources, args.seed)
        tables["uncertainty"] = UNCERTAINTY
        path = write_workbook(Path(folder) / f"park{args.firms}.xlsx", tables)
        park = load_park(path)
        started = time.perf_counter()
        base = optimize(park, RunOptions(threads=1))
        print(
            f"park: {args.firms} firms, {len(park.flows)} flows, "
            f"{len(base.links)} candidate links; base design {base.status}, "
            f"{len(base.built_links)} links, one solve {time.perf_counter() - started:.2f} s"
        )
        print(f"machine: {os.cpu_count()} cores; {args.samples} samples, {args.workers} workers")
        times: dict[str, float] = {}
        frames: dict[str, pd.DataFrame] = {}
        for executor in args.executors.split(","):
            started = time.perf_counter()
            result = run_sweep(
                path,
                base,
                args.samples,
                args.seed,
                RunOptions(),
                executor=executor,
                workers=args.workers,
            )
            times[executor] = time.perf_counter() - started
            frames[executor] = result.samples
            solved = result.solved
            print(
                f"{executor:>7}: {times[executor]:8.1f} s wall, {len(solved)} solved, "
                f"mean cost {solved['cost'].mean():,.0f}, "
                f"sum of per-sample times {result.samples['seconds'].sum():.1f} s",
                flush=True,
            )
        reference = next(iter(frames))
        for executor, frame in frames.items():
            same = frame[COMPARED].equals(frames[reference][COMPARED])
            print(
                f"{executor:>7}: speed-up vs {reference} "
                f"{times[reference] / times[executor]:.2f}×, "
                f"results {'identical' if same else 'DIFFERENT'}"
            )


if __name__ == "__main__":
    main()
