"""The report's Periods sheet (docs/results.md): what each season exchanges, buys and
discharges, resource by resource, and what size each sized link must be.

Written only for a park with a ``periods`` sheet; quantities are in each resource's own unit
and never added across resources.
"""

from __future__ import annotations

import pandas as pd

from ..core.solution import Solution
from .sheets import ChartSpec, ExtraSheet


def period_sheets(solution: Solution) -> list[ExtraSheet]:
    """The Periods sheet; none for a park without periods."""
    park = solution.park
    if not park.has_periods:
        return []
    per_resource = period_table(solution)
    units = park.resources["unit"].astype(str)

    def label(resource: str) -> str:
        unit = units.get(resource, "")
        return f"{resource} exchanged [{unit}]" if unit else f"{resource} exchanged"

    wide = per_resource.pivot_table(
        index="period", columns="resource", values="exchanged", aggfunc="sum", sort=False
    )
    wide = wide.reindex(index=list(park.period_hours.index))
    wide = wide[[r for r in wide.columns if wide[r].abs().sum() > 0]]
    wide.columns = [label(r) for r in wide.columns]
    wide = wide.reset_index().rename(columns={"period": "period"})
    hours = park.period_hours
    wide.insert(1, "hours [h]", [float(hours[t]) for t in wide["period"]])
    notes = [
        f"Operation in {len(hours)} periods ({', '.join(f'{t}: {h:g} h' for t, h in hours.items())}): "
        "every stream is spread over them by its profile (or at a constant rate), and links "
        "carry in each period at most their capacity's rate.",
        "The chart shows what is exchanged in each period, resource by resource, each in its "
        "own unit.",
    ]
    chart = None
    series = tuple(c for c in wide.columns if c not in ("period", "hours [h]"))
    if series:
        chart = ChartSpec(
            kind="column",
            x="period",
            y=series,
            title="Exchanged by period and resource",
            x_title="period",
            y_title="quantity (each resource in its unit)",
        )
    table = per_resource.assign(unit=[units.get(r, "") for r in per_resource["resource"]])
    table = table[["period", "resource", "unit", "demand", "exchanged", "bought", "discharged"]]
    tables = [
        (
            "Per period and resource",
            table.rename(
                columns={
                    "demand": "demand",
                    "exchanged": "delivered by exchange",
                    "bought": "bought",
                    "discharged": "discharged",
                }
            ),
        )
    ]
    sized = sized_links_table(solution)
    if not sized.empty:
        tables.append(("Sized links: capacity and use in each period", sized))
        notes.append(
            "A sized link's capacity is a rate (units per year at a constant rate): in a "
            "period it carries at most capacity × the period's share of the year; use = what "
            "it carries in the period against that."
        )
    return [ExtraSheet("Periods", wide, notes, chart, tables=tables)]


def period_table(solution: Solution) -> pd.DataFrame:
    """Per period and resource: demand, delivered by exchange, bought, discharged (admitted
    firms; each resource in its unit)."""
    park = solution.park
    rows = solution.rows[solution.rows["admitted"]]
    shares = park.shares()
    links = solution.links
    delivered = solution.sent_by_period.mul(links["delivered_factor"], axis=0)
    market = solution.market_by_period
    out = []
    for t in park.period_hours.index:
        demand_rows = rows[rows["direction"] == "demand"]
        supply_rows = rows[rows["direction"] == "supply"]
        wanted = demand_rows["quantity"] * shares.loc[demand_rows.index, t]
        if park.has_processes:  # a process input: ratio × the period's throughput
            of = demand_rows["process"]
            ran = of.map(solution.throughput_by_period[t]).fillna(0.0)
            ratio = park.flows["ratio"].reindex(demand_rows.index)
            wanted = wanted.where(of.isna(), ratio * ran)
        demand = wanted.groupby(demand_rows["resource_id"]).sum()
        exchanged = delivered[t].groupby(links["to_resource"]).sum()
        bought = market.loc[demand_rows.index, t].groupby(demand_rows["resource_id"]).sum()
        discharged = market.loc[supply_rows.index, t].groupby(supply_rows["resource_id"]).sum()
        for r in park.resources.index:
            values = [float(x.get(r, 0.0)) for x in (demand, exchanged, bought, discharged)]
            if any(values):
                out.append(
                    {
                        "period": t,
                        "resource": r,
                        "demand": values[0],
                        "exchanged": values[1],
                        "bought": values[2],
                        "discharged": values[3],
                    }
                )
    return pd.DataFrame(
        out, columns=["period", "resource", "demand", "exchanged", "bought", "discharged"]
    )


def sized_links_table(solution: Solution) -> pd.DataFrame:
    """Each built sized link: its capacity, and per period what it carries and its use."""
    park = solution.park
    links = solution.built_links
    links = links[links["sized"].astype(bool) & links["capacity"].notna()]
    if links.empty:
        return pd.DataFrame()
    hours = park.period_hours
    rate = hours / hours.sum()
    units = park.resources["unit"].astype(str)
    out = []
    for l, rec in links.iterrows():
        resource = rec["from_resource"]
        unit = units.get(resource, "")
        row = {
            "link": f"{rec['supplier']} → {rec['receiver']} ({resource}, {rec['mode']})",
            "unit": unit,
            "capacity [unit/yr]": float(rec["capacity"]),
            "capacity cost [" + park.currency + "/yr]": float(rec["capacity"] * rec["size_cost"]),
        }
        for t in hours.index:
            sent = float(solution.sent_by_period.at[l, t])
            room = float(rec["capacity"]) * float(rate[t])
            row[f"{t}: sent [unit]"] = sent
            row[f"{t}: use [%]"] = 100.0 * sent / room if room > 0 else None
        out.append(row)
    return pd.DataFrame(out)
