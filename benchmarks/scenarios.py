"""Time the checking of a ``scenarios`` sheet as it grows (what ``ecopark validate`` does).

    python benchmarks/scenarios.py [--rows 500 2000 20000] [--per-scenario 1] [--firms 50]

The park is synthetic (``ecopark_opt.inputs.generate``, 8 resources); the scenarios sheet
gets ``--rows`` rows, ``--per-scenario`` rows per scenario name, each scaling one flow's
quantity (the flows in turn). For each size the script prints the seconds to read the
workbook and to check every scenario (``override_problems``, run by ``load_park`` whenever
a workbook has a scenarios sheet), and the checking time per row: constant per row when the
checking is linear in the number of rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ecopark_opt.inputs.generate import generate_park
from ecopark_opt.inputs.reader import read_workbook
from ecopark_opt.inputs.scenarios import override_problems
from ecopark_opt.inputs.workbook import write_workbook


def scenario_rows(flows: list[dict], rows: int, per_scenario: int) -> list[dict]:
    out = []
    for i in range(rows):
        flow = flows[i % len(flows)]
        out.append(
            {
                "scenario": f"s{i // per_scenario}",
                "sheet": "flows",
                "key": f"{flow['firm_id']}/{flow['resource_id']}/{flow['direction']}",
                "column": "quantity",
                "operation": "scale",
                "value": 1.1,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 2000, 20000])
    parser.add_argument("--per-scenario", type=int, default=1)
    parser.add_argument("--firms", type=int, default=50)
    args = parser.parse_args()
    tables = generate_park(args.firms, 8, 1)
    print(f"park: {args.firms} firms, {len(tables['flows'])} flows rows")
    print(f"{'rows':>8} {'scenarios':>10} {'read [s]':>9} {'check [s]':>10} {'µs/row':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            tables["scenarios"] = scenario_rows(tables["flows"], rows, args.per_scenario)
            path = write_workbook(Path(folder) / f"scenarios_{rows}.xlsx", tables)
            start = time.perf_counter()
            raw = read_workbook(path)
            read = time.perf_counter() - start
            start = time.perf_counter()
            problems = override_problems(raw)
            check = time.perf_counter() - start
            assert not problems, problems[:3]
            scenarios = -(-rows // args.per_scenario)
            print(
                f"{rows:>8} {scenarios:>10} {read:>9.2f} {check:>10.2f} {1e6 * check / rows:>8.0f}"
            )


if __name__ == "__main__":
    main()
