"""Report sheets of ``ecopark sweep``: link shares, metric percentiles, histogram, regret
and the sample table.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.sweep import STATS, SweepResult, histogram, link_frequency, robustness, stats
from ..core.vocabulary import METRICS, SOLVED, link_label, metric_units
from ..inputs.scenarios import UncertainRow
from .sheets import ChartSpec, ExtraSheet, bar_chart


def sweep_sheets(result: SweepResult) -> list[ExtraSheet]:
    """Sweep (statistics), Sweep links (share, chart), Sweep histogram (chart), Sweep
    samples (one row per sample)."""
    cur = result.currency
    solved = result.solved
    base = result.base.metrics
    rb = robustness(result)
    units = metric_units(cur) | {"saving": f"{cur}/yr"}
    base_values = {k: base[k]["design"] for k in METRICS} | {
        "saving": base["cost"]["baseline"] - base["cost"]["design"]
    }
    rows = []
    for name, label in (
        ("cost", "cost"),
        ("virgin", "virgin use"),
        ("co2e", "CO2e"),
        ("saving", "cost saving vs standalone"),
    ):
        rows.append(
            {
                "metric": label,
                "unit": units[name],
                "base workbook": base_values[name],
                **stats(solved[name]),
            }
        )
    rows.append(
        {
            "metric": "base design's cost (links fixed)",
            "unit": units["cost"],
            "base workbook": base_values["cost"],
            **rb["fixed_cost"],
        }
    )
    rows.append(
        {
            "metric": "regret of the base design",
            "unit": units["cost"],
            "base workbook": 0.0,
            **rb["regret"],
        }
    )
    summary = pd.DataFrame(rows, columns=["metric", "unit", "base workbook", *STATS])
    failed = len(result.samples) - len(solved)
    notes = [
        f"Monte Carlo sweep: {len(result.samples)} samples (seed {result.seed}), "
        f"{len(solved)} with a design, {failed} without.",
        "Each sample multiplies the cells named on the uncertainty sheet by one draw of the "
        "row's distribution and is optimised on its own; statistics are over the samples "
        "with a design (mean, 5th, 50th, 95th percentile).",
        "Base design = the design of the workbook as it is. Its links are fixed in every "
        "sample (no other link may be built); regret = its cost − the sample's optimal cost.",
    ]
    if rb["still_optimal_share"] is not None:
        notes.append(
            f"The base design is still optimal in {100 * rb['still_optimal_share']:.0f} %"
            f" of the samples; it cannot operate in {rb['fixed_infeasible']}."
        )
    if result.resumed:
        notes.append(f"{result.resumed} samples were read back from {result.results_path}.")
    notes.extend(f"Warning: {w}." for w in result.warnings)
    notes.extend(f"Row {r.row}: {r.label} × {_dist_text(r)}" for r in result.rows)

    freq = link_frequency(result)
    freq.insert(0, "link", [link_label(r) for r in freq.to_dict("records")])
    freq["share [%]"] = 100.0 * freq.pop("share")
    hist = histogram(result)
    return [
        ExtraSheet("Sweep", summary, notes),
        ExtraSheet(
            "Sweep links",
            freq,
            ["Share of the samples with a design whose design uses the link."],
            bar_chart("link", ("share [%]",), "How often each link is built", "% of samples"),
        ),
        ExtraSheet(
            "Sweep histogram",
            hist,
            ["Design cost of the samples, in equal-width bins."],
            ChartSpec(
                kind="column",
                x=hist.columns[0],
                y=("samples",),
                title="Distribution of the design cost",
                x_title=f"cost [{cur}/yr]",
                y_title="samples",
            ),
        ),
        ExtraSheet(
            "Sweep samples",
            sample_table(result),
            [
                "One row per sample: the multipliers drawn, the status and the design's numbers; "
                "fixed-design cost and regret evaluate the base design on the sample."
            ],
        ),
    ]


def sample_table(result: SweepResult) -> pd.DataFrame:
    """The samples as a report table (multipliers as columns, units in headers)."""
    cur = result.currency
    s = result.samples
    table = pd.DataFrame({"sample": s["sample"] + 1, "status": s["status"]})
    for k, row in enumerate(result.rows):
        table[f"× {row.label}"] = [d[k] for d in s["draws"]]
    table[f"cost [{cur}/yr]"] = s["cost"]
    table[f"saving [{cur}/yr]"] = s["saving"]
    table[f"virgin [{metric_units(cur)['virgin']}]"] = s["virgin"]
    table[f"CO2e [{metric_units(cur)['co2e']}]"] = s["co2e"]
    table["links used"] = [
        len(x) if st in SOLVED else None for x, st in zip(s["links"], s["status"])
    ]
    table["base design status"] = s["fixed_status"]
    table[f"base design cost [{cur}/yr]"] = s["fixed_cost"]
    table[f"regret [{cur}/yr]"] = s["regret"]
    table["reason"] = [
        " ".join(x for x in (r, n) if isinstance(x, str) and x)
        for r, n in zip(s["reason"], s["note"])
    ]
    return table


def _dist_text(row: UncertainRow) -> str:
    if row.distribution == "uniform":
        return f"uniform({row.p1:g}, {row.p2:g})"
    if row.distribution == "triangular":
        return f"triangular(low {row.p1:g}, mode {row.p2:g}, high {row.p3:g})"
    if row.distribution == "normal":
        return f"normal(mean {row.p1:g}, sd {row.p2:g})"
    return f"lognormal(μ {row.p1:g}, σ {row.p2:g})"
