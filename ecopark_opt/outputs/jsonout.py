"""The machine-readable result file (``--json``): the records of :mod:`ecopark_opt.core.records`
and each analysis's key, written atomically like the report (docs/results.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..analyses.alternatives import AlternativesResult
from ..analyses.compare import CompareResult, option_links, option_metrics
from ..analyses.pareto import ParetoResult
from ..analyses.resilience import ResilienceResult
from ..analyses.sweep import SweepResult, link_frequency, robustness, stats
from ..core.records import json_gap, link_records, number
from ..core.vocabulary import LINK_KEY, METRICS
from .files import atomic_write


def write_json(data: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``data`` as indented JSON, atomically.

    NaN and infinities are refused (they are not JSON): convert them to None first.
    """
    text_out = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text_out, encoding="utf-8"))


def pareto_json(result: ParetoResult) -> list[dict]:
    """docs/results.md ``pareto``: absolute metrics, links used, gap; sorted by x."""
    return [
        {
            "cost": number(s.metrics["cost"]["design"]),
            "virgin": number(s.metrics["virgin"]["design"]),
            "co2e": number(s.metrics["co2e"]["design"]),
            "links": int(len(s.used_links)),
            "gap": json_gap(s),
        }
        for s in result.solutions
    ]


def alternatives_json(result: AlternativesResult) -> list[dict]:
    """docs/results.md ``alternatives``: the alternative designs (the optimum is the main result)."""
    return [
        {
            "cost": number(s.metrics["cost"]["design"]),
            "virgin": number(s.metrics["virgin"]["design"]),
            "co2e": number(s.metrics["co2e"]["design"]),
            "links": link_records(s.built_links),
        }
        for s in result.alternatives
    ]


def resilience_json(result: ResilienceResult) -> list[dict]:
    """docs/results.md ``resilience``: per firm (most critical first), absolute metrics of both runs
    (null without a solution) and the unmet quantities of the fixed run."""
    return [
        {
            "firm": r.key,
            "fixed": r.fixed.as_dict(),
            "reoptimized": r.reoptimized.as_dict(),
            "unmet": [
                {"firm": f, "resource": res, "quantity": float(q)}
                for f, res, q in zip(r.unmet["firm"], r.unmet["resource"], r.unmet["quantity"])
            ],
        }
        for r in result.firms
    ]


def compare_json(result: CompareResult) -> list[dict[str, Any]]:
    """docs/results.md ``compare``: per option its status, absolute metrics, links used and where
    its admitted candidates sit (``siting``)."""
    out = []
    for o in result.options:
        m = option_metrics(o)
        out.append(
            {
                "option": o["option"],
                "status": o["json"]["status"],
                "metrics": {
                    k: {"design": number(m[k]["design"]), "baseline": number(m[k]["baseline"])}
                    for k in METRICS
                },
                "links": len(option_links(o)),
                "siting": [{"firm": c["firm"], "site": c["site"]} for c in o.get("siting", [])],
            }
        )
    return out


def sweep_json(result: SweepResult) -> dict[str, Any]:
    """docs/results.md ``sweep`` (plus the saving, failures and the base design's robustness)."""
    solved = result.solved
    freq = link_frequency(result)
    return {
        "samples": int(len(result.samples)),
        "solved": int(len(solved)),
        "failed": int(len(result.samples) - len(solved)),
        "seed": int(result.seed),
        "link_frequency": [
            {k: str(r[k]) for k in LINK_KEY} | {"share": float(r["share"])}
            for r in freq.to_dict("records")
        ],
        "metrics": {k: stats(solved[k]) for k in METRICS},
        "saving": stats(solved["saving"]),
        "robustness": robustness(result),
    }
