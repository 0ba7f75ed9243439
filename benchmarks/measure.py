"""What the benchmark scripts share: a measurement in a fresh interpreter, a timed park
load, and gaps as percentages."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def in_process(script: str, args: list[str]) -> dict[str, Any]:
    """Run ``script --worker ARGS`` in a fresh interpreter (memory and HiGHS's
    once-per-process thread setting do not leak between measurements); its JSON row back,
    the last line it prints."""
    out = subprocess.run(
        [sys.executable, script, "--worker", *args], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load(workbook: str):
    """The park of ``workbook`` and the seconds it took to read."""
    from ecopark_opt.inputs.load import load_park

    started = time.perf_counter()
    park = load_park(workbook)
    return park, time.perf_counter() - started


def pct(x: Any) -> str:
    return "—" if x is None else f"{100 * x:.2f} %"
