"""Report sheets of ``ecopark compare``: KPIs, savings, verdict, siting, links, per-firm
gains and each option's network picture, with native charts (docs/uncertainty.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from ..analyses.compare import (
    CompareResult,
    firm_gains,
    kpi_frame,
    link_matrix,
    option_links,
    option_metrics,
    savings_frame,
    siting_frame,
    verdict_frame,
    verdict_lines,
)
from ..core.solution import Solution
from ..core.vocabulary import SOLVED
from .network_draw import draw_network
from .sheets import ChartSpec, ExtraSheet, Picture, bar_chart


def network_png(solution: Solution) -> bytes:
    """The design's network picture as PNG bytes: what ``compare`` hands its workers to
    draw each option where it is solved (a top-level function, so that it pickles)."""
    with tempfile.TemporaryDirectory(prefix="ecopark-") as folder:
        return draw_network(solution, Path(folder) / "network.png").read_bytes()


def compare_sheets(result: CompareResult) -> list[ExtraSheet]:
    """Comparison (KPIs, cost chart), savings chart, verdict, siting, links matrix,
    per-firm gains, and the options' network pictures."""
    cur = result.currency
    kpis = kpi_frame(result)
    verdict = verdict_frame(result)
    notes = [
        f"Comparison of {result.source}: {len(result.options)} options, "
        f"{len(result.solved)} with a design."
    ]
    if not verdict.empty:
        notes += [
            f"Verdict — {line}." for line in verdict_lines(result) if ": no design" not in line
        ]
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
            bar_chart(
                "option",
                ("cost saving [%]", "virgin saving [%]", "CO2e saving [%]"),
                "Savings against standalone operation",
                "%",
            ),
        )
    )
    sheets.append(
        ExtraSheet(
            "Comparison verdict",
            verdict,
            [
                *verdict_lines(result),
                "Best option per metric among the options with a design, on the design's "
                "value and on the saving against the option's own standalone operation (the "
                "fair comparison when the options' parks differ); ties are all named. "
                "Margin = how much the runner-up is behind.",
            ],
        )
    )
    siting = siting_frame(result)
    if not siting.empty:
        sheets.append(
            ExtraSheet(
                "Comparison siting",
                siting,
                [
                    "Where each option puts each candidate firm: the plot (or site) of an "
                    "admitted candidate, 'not admitted', or 'not in this park' when the "
                    "option's workbook does not list it."
                ],
            )
        )
    sheets.append(
        ExtraSheet(
            "Comparison links",
            link_matrix(result),
            ["1 = the option's design uses the link (built and carrying flow)."],
            bar_chart("link", ("options using it",), "How many options use each link", "options"),
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
    pictures = network_pictures(result)
    if pictures:
        sheets.append(
            ExtraSheet(
                "Comparison networks",
                pd.DataFrame(),
                [
                    "Each option's exchange network, one per page: arrows are the built links "
                    "(width grows with the quantity sent, colour is the resource), diamonds "
                    "are admitted candidates, grey squares are plots."
                ],
                pictures=pictures,
            )
        )
    return sheets


def network_pictures(result: CompareResult) -> list[Picture]:
    """One captioned picture per option (none when no option carries one)."""
    if not any(o.get("picture") for o in result.options):
        return []
    cur = result.currency
    out = []
    for o in result.options:
        name = o["option"]
        if o["status"] not in SOLVED:
            out.append(Picture(f"{name}: no design ({o['status']})", None))
            continue
        cost = option_metrics(o)["cost"]
        saving = cost["baseline"] - cost["design"]
        links = len(option_links(o))
        caption = (
            f"{name}: {links} link{'s' if links != 1 else ''}, cost {cost['design']:,.0f} "
            f"{cur}/yr, saving {saving:,.0f} {cur}/yr against standalone operation"
        )
        if o.get("siting"):
            caption += "; " + ", ".join(f"{c['firm']} on {c['site']}" for c in o["siting"])
        if not o.get("picture"):
            caption += f" (the picture could not be drawn: {o.get('picture_error') or 'none'})"
        out.append(Picture(caption, o.get("picture")))
    return out
