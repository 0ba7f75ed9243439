"""The same workbook and options give the same design, run after run and process after
process (string hashing is randomised per process: nothing may depend on set order).

The park is built to have many equally good designs: twelve firms on a circle around the
centre, quantities from a short list, so that several suppliers are at the same distance
from a receiver with the same amount. Any order-dependent choice would show as a different
tie broken.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook

LINK_COLUMNS = [
    "supplier",
    "receiver",
    "from_resource",
    "to_resource",
    "mode",
    "from_site",
    "to_site",
    "build",
    "sent",
    "delivered",
    "annual_cost",
]
ROOT = Path(__file__).resolve().parents[2]


def tied_park(seed: int = 7, firms: int = 12) -> dict:
    rng = random.Random(seed)
    resources = ["water", "steam", "ash"]
    sites = [
        {
            "site_id": f"S{i}",
            "x_km": round(5 * math.cos(2 * math.pi * i / firms), 6),
            "y_km": round(5 * math.sin(2 * math.pi * i / firms), 6),
        }
        for i in range(firms)
    ]
    sites += [
        {"site_id": "P0", "x_km": 0, "y_km": 1, "kind": "plot"},
        {"site_id": "P1", "x_km": 0, "y_km": -1, "kind": "plot"},
    ]
    firm_rows = [{"firm_id": f"F{i:02d}", "site": f"S{i}"} for i in range(firms)]
    firm_rows += [
        {"firm_id": "C1", "status": "candidate", "admission_cost": 20},
        {"firm_id": "C2", "status": "candidate", "admission_cost": 20},
    ]
    flows = []
    for firm in firm_rows:
        for r in rng.sample(resources, 2):
            flows.append(
                {
                    "firm_id": firm["firm_id"],
                    "resource_id": r,
                    "direction": rng.choice(["supply", "demand"]),
                    "quantity": rng.choice([50, 100]),
                }
            )
    return {
        "firms": firm_rows,
        "sites": sites,
        "resources": [
            {"resource_id": r, "unit": "t", "virgin_price": 3, "disposal_cost": 1}
            for r in resources
        ],
        "flows": flows,
        "substitutions": [{"from_resource": "steam", "to_resource": "water", "ratio": 1}],
        "transport": [
            {
                "mode": "pipe",
                "resources": "water,steam",
                "opex_fixed": 40,
                "cost_per_unit_km": 0.05,
                "max_distance_km": 8,
            },
            {"mode": "truck", "resources": "*", "opex_fixed": 10, "cost_per_unit_km": 0.2},
        ],
        "settings": {"max_links": 6},
    }


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("determinism") / "tied.xlsx", tied_park())


def test_three_solves_give_identical_designs(workbook):
    designs = []
    for _ in range(3):
        solution = optimize(load_park(workbook), RunOptions(time_limit=30))
        assert solution.status == "optimal"
        designs.append(solution)
    first = designs[0]
    assert len(first.built_links) >= 3  # a real design, not the empty one
    for other in designs[1:]:
        pd.testing.assert_frame_equal(
            first.links[LINK_COLUMNS], other.links[LINK_COLUMNS], check_exact=True
        )
        pd.testing.assert_frame_equal(first.rows, other.rows, check_exact=True)
        pd.testing.assert_frame_equal(first.firms, other.firms, check_exact=True)
        assert other.result.objective == first.result.objective
        assert other.metrics == first.metrics


SOLVE_AND_PRINT = """
import json, sys
from ecopark_opt.core.records import solution_json
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.load import load_park
print(json.dumps(solution_json(optimize(load_park(sys.argv[1]), RunOptions(time_limit=30)))))
"""


@pytest.mark.slow
def test_processes_with_different_hash_seeds_agree(workbook):
    """Two processes with PYTHONHASHSEED 1 and 2, run side by side, print the same JSON
    result (SPEC §6: links, purchases, discharges, firms, metrics)."""
    processes = []
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", SOLVE_AND_PRINT, str(workbook)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    documents = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        documents.append(json.loads(out.decode().strip().splitlines()[-1]))
    assert documents[0]["links"]
    for other in documents[1:]:
        assert other == documents[0]
