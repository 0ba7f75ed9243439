"""The report's Processes sheet (docs/results.md): which conversion units and shared hubs to
build, where, how big, what each takes and gives, and what it costs.

Written only for a park with a ``processes`` sheet. Quantities are in each resource's own
unit; a process's throughput is in the units its ``process_io`` ratios refer to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.solution import Solution
from .network_text import quantity_label
from .sheets import ExtraSheet


def process_sheets(solution: Solution) -> list[ExtraSheet]:
    """The Processes sheet; none for a park without processes."""
    park = solution.park
    if not park.has_processes:
        return []
    money = f"[{park.currency}/yr]"
    main = process_frame(solution).rename(
        columns={
            "capacity": "capacity [units/yr]",
            "max_throughput": "max throughput [units/yr]",
            "throughput": "throughput [units/yr]",
            "use": "use of capacity [%]",
            "fixed_cost": f"fixed cost {money}",
            "capacity_cost": f"capacity cost {money}",
            "variable_cost": f"variable cost {money}",
            "annual_cost": f"annual cost {money}",
            "co2e": "CO2e [kg/yr]",
        }
    )
    tables = [("Inputs taken and outputs given", streams_frame(solution))]
    if park.has_periods:
        tables.append(("Throughput by period [units]", throughput_frame(solution)))
    return [ExtraSheet("Processes", main, process_notes(solution), tables=tables)]


def process_frame(solution: Solution) -> pd.DataFrame:
    """One row per process: its firm and plot, built, capacity, throughput, use, what it
    takes and gives (in words), costs and emissions."""
    park = solution.park
    procs = solution.processes
    firms = solution.firms
    streams = streams_frame(solution)
    out = pd.DataFrame(index=procs.index)
    out["process"] = procs.index
    out["firm"] = procs["firm"]
    out["hub"] = ["yes" if is_hub(solution, f) else "" for f in procs["firm"]]
    out["site"] = [firms.at[f, "site"] if firms.at[f, "admitted"] else None for f in procs["firm"]]
    out["built"] = np.where(procs["built"].astype(bool), "yes", "no")
    out["capacity"] = procs["capacity"]
    out["max_throughput"] = park.processes["max_throughput"].reindex(procs.index)
    out["throughput"] = procs["throughput"]
    room = procs["capacity"].fillna(out["max_throughput"])
    out["use"] = np.where(
        procs["built"].astype(bool) & (room > 0), 100.0 * procs["throughput"] / room, np.nan
    )
    out["takes"] = [_in_words(streams, p, "input") for p in procs.index]
    out["gives"] = [_in_words(streams, p, "output") for p in procs.index]
    for column in ("fixed_cost", "capacity_cost", "variable_cost", "annual_cost", "co2e"):
        out[column] = procs[column]
    return out.reset_index(drop=True)


def streams_frame(solution: Solution) -> pd.DataFrame:
    """One row per process input or output: its ratio, the yearly quantity, who it comes
    from or goes to by exchange, and what is bought or discharged."""
    park = solution.park
    rows = solution.rows
    rows = rows[rows["process"].notna()] if "process" in rows else rows.iloc[:0]
    units = park.resources["unit"].astype(str)
    links = solution.built_links
    out = []
    for row, rec in rows.iterrows():
        is_input = rec["direction"] == "demand"
        if is_input:
            mine = links[links["demand_flow"] == row]
            partners = mine.groupby("supplier")["delivered"].sum()
        else:
            mine = links[links["supply_flow"] == row]
            partners = mine.groupby("receiver")["sent"].sum()
        partners = partners[partners > 0]
        out.append(
            {
                "process": rec["process"],
                "direction": "input" if is_input else "output",
                "resource": rec["resource_id"],
                "unit": units.get(rec["resource_id"], ""),
                "ratio [per unit of throughput]": float(park.flows.at[row, "ratio"]),
                "quantity [unit/yr]": float(rec["quantity"]),
                "by exchange [unit/yr]": float(rec["exchanged"]),
                "from / to": ", ".join(f"{f} {quantity_label(q)}" for f, q in partners.items()),
                "bought / discharged [unit/yr]": float(rec["market"]),
            }
        )
    columns = [
        "process",
        "direction",
        "resource",
        "unit",
        "ratio [per unit of throughput]",
        "quantity [unit/yr]",
        "by exchange [unit/yr]",
        "from / to",
        "bought / discharged [unit/yr]",
    ]
    return pd.DataFrame(out, columns=columns)


def throughput_frame(solution: Solution) -> pd.DataFrame:
    """Throughput of every process in every period."""
    frame = solution.throughput_by_period.copy()
    frame.insert(0, "process", frame.index)
    return frame.reset_index(drop=True)


def is_hub(solution: Solution, firm: str) -> bool:
    """A candidate firm whose only rows are its processes' (docs/workbook.md)."""
    park = solution.park
    if park.firms.at[firm, "status"] != "candidate":
        return False
    own = park.flows[park.flows["firm_id"] == firm]
    return bool(own["process"].notna().all())


def process_notes(solution: Solution) -> list[str]:
    """What the sheet says in words: the processes built, and each hub's verdict."""
    park = solution.park
    procs = solution.processes
    built = procs[procs["built"].astype(bool)]
    notes = [
        f"{len(built)} of {len(procs)} processes built. A process turns its inputs into "
        "its outputs in fixed ratios to its throughput; its inputs come by exchange or are "
        "bought, its outputs go by exchange or are discharged. Costs are yearly (capex "
        "annualised) and borne by the firm that runs the process."
    ]
    firms = solution.firms
    rows = solution.rows
    money = park.currency
    for hub in dict.fromkeys(f for f in procs["firm"] if is_hub(solution, f)):
        mine = procs[procs["firm"] == hub]
        if not firms.at[hub, "admitted"]:
            notes.append(f"Shared hub {hub}: not worth building in this design.")
            continue
        running = [
            p for p in mine.index[mine["built"].astype(bool)] if mine.at[p, "throughput"] > 0
        ]
        cost = float(mine["annual_cost"].sum())
        market = float(rows.loc[rows["firm_id"] == hub, "design_cost"].sum())
        gain = float(firms.at[hub, "gain"])
        share = gain + cost + market  # its share of its links' net savings
        verdict = (
            f"it gains {gain:,.0f} {money}/yr"
            if gain >= 0
            else f"it loses {-gain:,.0f} {money}/yr (with win_win it would not be built)"
        )
        notes.append(
            f"Shared hub {hub}: worth building on {firms.at[hub, 'site']}, running "
            + ", ".join(
                f"{p} ({quantity_label(mine.at[p, 'throughput'])} units/yr)" for p in running
            )
            + f". Its share of its links' savings is {share:,.0f} {money}/yr; its processes "
            f"cost {cost:,.0f} and its own purchases and discharges less its sales "
            f"{market:,.0f}: {verdict}."
        )
    return notes


def _in_words(streams: pd.DataFrame, process: str, direction: str) -> str:
    mine = streams[(streams["process"] == process) & (streams["direction"] == direction)]
    return "; ".join(
        f"{r} {quantity_label(q)} {u}"
        for r, q, u in zip(mine["resource"], mine["quantity [unit/yr]"], mine["unit"])
        if q > 0
    )
