"""Write, then compare, the JSON results of a fixed set of runs: a refactoring check.

    python scripts/json_snapshot.py write DIR      # run every case, JSON files into DIR
    python scripts/json_snapshot.py compare A B    # same files, same contents (timings aside)

The cases are every shipped instance (``solve``, and the analyses on the instances they are
meant for) and three generated parks (one with candidate firms and plots). A change that
should not change any result — moving code, renaming, sharing a function — must leave
``compare`` with nothing to report. Runs use ``--mip-gap 0`` where the answer must not
depend on which of several near-optimal designs the solver stops at.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
GENERATED = {  # name: ecopark generate arguments
    "gen40": ["--firms", "40", "--seed", "1"],
    "gen60_candidates": ["--firms", "60", "--seed", "2", "--plots", "3", "--candidates", "3"],
    "gen80": ["--firms", "80", "--seed", "3"],
}
TIMING_KEYS = {"seconds"}  # keys whose values are measured times, not results
REL = 1e-9  # numbers closer than this (relative) are equal
EXACT_ANALYSIS = ["--time-limit", "3600", "--threads", "1"]  # one HiGHS path, time to finish


def cases(parks: Path) -> dict[str, list[str]]:
    """Case name → ecopark arguments (without --json and --out)."""
    out: dict[str, list[str]] = {}
    for path in sorted(INSTANCES.glob("*.xlsx")):
        out[f"solve_{path.stem}"] = ["solve", str(path)]
    kalundborg = str(INSTANCES / "kalundborg.xlsx")
    siting = str(INSTANCES / "siting_options.xlsx")
    two = str(INSTANCES / "two_firms.xlsx")
    out["resilience_kalundborg"] = ["resilience", kalundborg, "--links"]
    out["pareto_kalundborg"] = ["pareto", kalundborg, "--points", "4", "--y", "co2e"]
    out["alternatives_two_firms"] = ["solve", two, "--alternatives", "2", "--within", "50"]
    out["solve_siting_virgin"] = ["solve", siting, "--objective", "virgin"]
    for name in GENERATED:
        park = str(parks / f"{name}.xlsx")
        out[f"solve_{name}"] = ["solve", park, "--mip-gap", "0"]
    # exact re-solves of every defection: with the default time limit, shared among them,
    # the last ones could stop early on a busy machine and the snapshot depend on timing
    gen40 = str(parks / "gen40.xlsx")
    out["resilience_gen40"] = ["resilience", gen40, "--mip-gap", "0"] + EXACT_ANALYSIS
    return out


def write(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for name, args in GENERATED.items():
            _run(["generate", str(tmp_path / f"{name}.xlsx"), *args])
        for name, args in cases(tmp_path).items():
            json_path = target / f"{name}.json"
            out = tmp_path / f"{name}.xlsx"
            code = _run(
                [*args, "--json", str(json_path), "--out", str(out), "--quiet"], check=False
            )
            print(f"{name:<28} exit {code}")


def _run(args: list[str], check: bool = True) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "ecopark_opt.cli", *args], cwd=ROOT, capture_output=True, text=True
    )
    if check and done.returncode:
        raise SystemExit(f"ecopark {' '.join(args)} failed:\n{done.stderr}")
    return done.returncode


def differences(a, b, where: str = "") -> list[str]:
    """Every place where two JSON values differ (numbers within ``REL``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key in TIMING_KEYS:
                continue
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'the second' if key in b else 'the first'}")
                continue
            out += differences(a[key], b[key], f"{where}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        return [d for n, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{n}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isclose(a, b, rel_tol=REL, abs_tol=1e-9):
            return []
    elif a == b:
        return []
    return [f"{where}: {a!r} against {b!r}"]


def compare(first: Path, second: Path) -> int:
    names = sorted({p.name for p in first.glob("*.json")} | {p.name for p in second.glob("*.json")})
    problems = 0
    for name in names:
        a, b = first / name, second / name
        if not a.exists() or not b.exists():
            print(f"{name}: missing in {'the first' if not a.exists() else 'the second'} folder")
            problems += 1
            continue
        diff = differences(json.loads(a.read_text()), json.loads(b.read_text()))
        print(f"{name:<34} {'identical' if not diff else f'{len(diff)} difference(s)'}")
        for line in diff[:20]:
            print(f"    {line}")
        problems += bool(diff)
    print(f"{len(names)} files, {problems} with differences")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "write":
        write(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
