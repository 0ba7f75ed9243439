"""Report sheets of ``ecopark compare``: KPIs, savings, verdict, links and per-firm gains
per option, with native charts.
"""

from __future__ import annotations

from ..analyses.compare import (
    CompareResult,
    firm_gains,
    kpi_frame,
    link_matrix,
    savings_frame,
    verdict_frame,
)
from ..core.vocabulary import SOLVED
from .sheets import ChartSpec, ExtraSheet


def compare_sheets(result: CompareResult) -> list[ExtraSheet]:
    """Comparison (KPIs, cost chart), savings chart, verdict, links matrix, per-firm gains."""
    cur = result.currency
    kpis = kpi_frame(result)
    verdict = verdict_frame(result)
    notes = [
        f"Comparison of {result.source}: {len(result.options)} options, "
        f"{len(result.solved)} with a design."
    ]
    if not verdict.empty:
        notes.append(
            "Verdict: "
            + "; ".join(f"{r['metric']}: {r['best option']}" for r in verdict.to_dict("records"))
            + "."
        )
    if result.reference:
        notes.append(
            f"The Summary, Links, Firms, Balances and Network sheets describe option "
            f"'{result.reference}'."
        )
    failed = [o for o in result.options if o["status"] not in SOLVED]
    notes.extend(
        f"Option '{o['option']}' has no design ({o['status']}): {o['reason']}" for o in failed
    )
    notes.append(
        "Savings are against every admitted firm operating alone (standalone "
        "baseline), in each option's own park."
    )
    cost_chart = ChartSpec(
        kind="column",
        x="option",
        y=(f"cost [{cur}/yr]", f"standalone cost [{cur}/yr]"),
        title="Annual cost by option",
        x_title="option",
        y_title=f"{cur}/yr",
    )
    sheets = [ExtraSheet("Comparison", kpis, notes, cost_chart)]
    savings = savings_frame(result)
    sheets.append(
        ExtraSheet(
            "Comparison savings",
            savings,
            ["Savings against standalone operation, in % of the baseline, per option."],
            ChartSpec(
                kind="bar",
                x="option",
                y=("cost saving [%]", "virgin saving [%]", "CO2e saving [%]"),
                title="Savings against standalone operation",
                x_title="option",
                y_title="%",
            ),
        )
    )
    sheets.append(
        ExtraSheet(
            "Comparison verdict",
            verdict,
            [
                "Best option per metric among the options with a design; ties are all named. "
                "Margin = how much the runner-up is behind."
            ],
        )
    )
    sheets.append(
        ExtraSheet(
            "Comparison links",
            link_matrix(result),
            ["1 = the option's design uses the link (built and carrying flow)."],
            ChartSpec(
                kind="bar",
                x="link",
                y=("options using it",),
                title="How many options use each link",
                x_title="link",
                y_title="options",
            ),
        )
    )
    gains = firm_gains(result)
    gain_columns = tuple(c for c in gains.columns if c != "firm")
    sheets.append(
        ExtraSheet(
            "Comparison firms",
            gains,
            [
                "Each firm's yearly gain against operating alone, per option (blank = not in that "
                "option's park)."
            ],
            ChartSpec(
                kind="column",
                x="firm",
                y=gain_columns,
                title="Per-firm gain by option",
                x_title="firm",
                y_title=f"{cur}/yr",
            )
            if gain_columns
            else None,
        )
    )
    return sheets
