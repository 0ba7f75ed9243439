"""Pre-solve checks: infeasibilities visible in the data, before any model is built.

Used by ``ecopark validate`` and by the solve pipeline; each problem names the workbook cell
to change. The candidate links are an argument (computed by :mod:`ecopark_opt.core.links`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..park import Park
from .periods import link_bounds


def presolve_problems(park: Park, links: pd.DataFrame) -> list[str]:
    """Infeasibilities visible in the data, each naming the cell to change.

    Only rows of firms that must be in the park (existing, must_join) are checked: a
    candidate that cannot be served is simply not admitted. A process's input rows are
    not demands to be met (docs/model.md, processes). With periods, each period is
    checked (a demand must be met in every period, docs/model.md).
    """
    flows = park.flows
    firms = park.firms
    resources = park.resources
    fixed_in = set(firms.index[(firms["status"] == "existing") | firms["must_join"].astype(bool)])
    demand = flows[
        (flows["direction"] == "demand") & flows["firm_id"].isin(fixed_in) & (flows["quantity"] > 0)
    ]
    if "process" in flows:  # a process takes what it is given, up to its capacity
        demand = demand[demand["process"].isna()]
    shares = park.shares()
    periods = list(park.period_hours.index)
    reach = {t: deliverable(park, links, shares, t) for t in periods}
    problems: list[str] = []
    needed: dict[str, float] = {}
    for j, row in demand.iterrows():
        unit = resources.at[row["resource_id"], "unit"]
        for t in periods:
            wanted = float(row["quantity"]) * float(shares.at[j, t])
            possible = min(float(reach[t].get(j, 0.0)), wanted)
            when = f" in period {t}" if park.has_periods else ""
            if np.isnan(row["price"]):
                if possible < wanted * (1 - 1e-9):
                    price_cell = park.cell(
                        "resources",
                        "virgin_price",
                        int(resources.at[row["resource_id"], "excel_row"]),
                    )
                    problems.append(
                        f"{park.flow_cell(j)} (quantity): {row['firm_id']} needs "
                        f"{wanted:g} {unit} of {row['resource_id']}{when}, which cannot be "
                        f"bought ({price_cell} virgin_price is blank) and at most "
                        f"{possible:g} can be delivered by candidate links"
                    )
                    break
            else:
                needed[row["resource_id"]] = needed.get(row["resource_id"], 0.0) + (
                    wanted - possible
                )
        problems.extend(_quality_problems(park, links, j, row))
    for r, cap in resources["max_virgin"].dropna().items():
        if needed.get(r, 0.0) > cap * (1 + 1e-9) + 1e-9:
            problems.append(
                f"{park.cell('resources', 'max_virgin', int(resources.at[r, 'excel_row']))} "
                f"(max_virgin): {r} purchase is capped at {cap:g} but at least "
                f"{needed[r]:g} must be bought even if every candidate link were used"
            )
    for f in firms.index[(firms["status"] == "candidate") & firms["must_join"].astype(bool)]:
        if firms.at[f, "site"] is None and not firms.at[f, "allowed_sites"]:
            problems.append(
                f"{park.cell('firms', 'must_join', int(firms.at[f, 'excel_row']))} (must_join): "
                f"{f} must join but has no plot to stand on"
            )
    return problems


def deliverable(park: Park, links: pd.DataFrame, shares: pd.DataFrame, period: str) -> pd.Series:
    r"""Per demand row, the most the candidate links can deliver to it in ``period``:

    .. math:: \sum_i \min\Big(\sum_{l: i \to j} η_l U_{lt},\ q_i s_{it} \max_{l: i \to j} η_l\Big)

    A supply row sends at most its quantity over all its links together — a floating
    candidate has one link per allowed plot, but supplies its quantity only once.
    """
    if links.empty:
        return pd.Series(dtype=float)
    upper = np.asarray(link_bounds(park, links, shares, period), dtype=float)
    eta = links["delivered_factor"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "i": links["supply_flow"].to_numpy(),
            "j": links["demand_flow"].to_numpy(),
            "reach": upper * eta,
            "eta": eta,
        }
    )
    per_pair = frame.groupby(["i", "j"], sort=False).agg(reach=("reach", "sum"), eta=("eta", "max"))
    i = per_pair.index.get_level_values("i")
    supply = park.flows["quantity"].astype(float).reindex(i).to_numpy() * (
        shares[period].reindex(i).to_numpy(float)
    )
    per_pair["reach"] = np.minimum(
        per_pair["reach"].to_numpy(), supply * per_pair["eta"].to_numpy()
    )
    return per_pair["reach"].groupby(level="j").sum()


def _quality_problems(park: Park, links: pd.DataFrame, j: str, row: pd.Series) -> list[str]:
    """A limit that neither the virgin resource nor any candidate source meets."""
    out = []
    resources = park.resources
    for k in park.property_names:
        limit = row[k]
        if np.isnan(limit):
            continue
        virgin = float(resources.at[row["resource_id"], k])
        virgin_ok = not np.isnan(row["price"]) and virgin <= limit + 1e-12
        if virgin_ok:  # the common case; the sources are looked up only when needed
            continue
        sources = links.loc[links["demand_flow"] == j, "supply_flow"]
        source_ok = (park.flows.loc[sources, k].astype(float) <= limit + 1e-12).any()
        if not source_ok:
            out.append(
                f"{park.flow_cell(j, k)} ({k}): {row['firm_id']} accepts at most {limit:g} "
                f"{k} in {row['resource_id']}, but the virgin resource has {virgin:g} and no "
                "candidate source is that clean"
            )
    return out
