"""Time the command line's start-up: ``ecopark --help`` and ``ecopark validate``.

    python benchmarks/startup.py [--repeats 10] [--workbook instances/kalundborg.xlsx]
                                 [--importtime]

Each command runs ``--repeats`` times in a fresh process (``python -m ecopark_opt``, the
same entry point as the ``ecopark`` script); the table gives the median, the fastest and the
slowest wall time. A process pays the interpreter's start, the imports and the work itself,
which is what a user waits for. ``--importtime`` also lists the slowest imports of
``import ecopark_opt.cli`` (``python -X importtime``, cumulative microseconds), and which of
the modelling stack (Pyomo, HiGHS, SciPy, matplotlib) it pulls in: none should be there.
The same from outside, with hyperfine: ``hyperfine -N -w 2 -r 10 'ecopark --help'``
(benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pyomo", "highspy", "scipy", "matplotlib", "networkx", "openpyxl", "pandas")


def timed(args: list[str], repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` fresh runs of ``python -m ecopark_opt ARGS``."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ecopark_opt", *args], capture_output=True, cwd=ROOT
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"ecopark {' '.join(args)}: exit {done.returncode}")
    return seconds


def import_times(top: int = 15) -> tuple[list[tuple[int, str]], list[str]]:
    """The slowest imports of ``import ecopark_opt.cli`` (cumulative µs, module) and which
    packages of :data:`HEAVY` it imports."""
    probe = (
        f"import sys, ecopark_opt.cli; print(' '.join(p for p in {HEAVY!r} if p in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return rows[:top], done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--workbook", default="instances/kalundborg.xlsx")
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    timed(["--help"], 1)  # warm the file system cache and the byte-code
    commands = {
        "ecopark --help": ["--help"],
        f"ecopark validate {args.workbook}": ["validate", args.workbook, "--quiet"],
    }
    print(f"{'command':<45} {'median s':>9} {'min s':>7} {'max s':>7}  ({args.repeats} runs)")
    for name, argv in commands.items():
        seconds = timed(argv, args.repeats)
        print(
            f"{name:<45} {statistics.median(seconds):9.3f} {min(seconds):7.3f} {max(seconds):7.3f}"
        )
    if args.importtime:
        rows, heavy = import_times()
        print("\nslowest imports of `import ecopark_opt.cli` (cumulative):")
        for micros, module in rows:
            print(f"  {micros / 1e6:7.3f} s  {module}")
        print(f"heavy packages imported: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
