"""Results leave Pyomo here, once: variable values become pandas tables.

Everything downstream (reports, JSON, analyses) reads a :class:`Solution`; none of it imports
Pyomo. Metrics and per-firm economics are recomputed from the data and the values, not read
from model expressions, so the report is an independent statement of the design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..park import Park
from .solve import SolveResult
from .vocabulary import METRICS, link_keys, used_mask

# Quantities at most this share of their row's size (and at most this many units when the
# row is small) are solver noise and reported as 0 everywhere (docs/results.md).
ZERO = 1e-7


@dataclass
class Solution:
    """A design and its numbers.

    - ``links``: every candidate link with ``build`` (0/1), ``sent``, ``delivered`` (yearly),
      ``capacity`` (the sized capacity of a sized link, NaN for the others),
      ``annual_cost``, ``saving`` (net, docs/model.md), ``supplier_gain``,
      ``receiver_gain`` and ``transfer_price`` (per unit delivered, paid by the receiver to the
      supplier, who builds and runs the link).
    - ``rows``: every flows row with ``admitted``, ``exchanged`` (sent or delivered by
      exchange), ``market`` (bought or discharged), ``baseline_quantity`` (what it buys or
      discharges standalone: 0 for process rows), yearly.
    - ``firms``: per firm ``admitted``, ``site``, ``baseline_cost``, ``design_cost``, ``gain``.
    - ``metrics``: ``{metric: {"design": x, "baseline": y}}`` for cost, virgin, co2e.
    - ``sent_by_period`` (link × period) and ``market_by_period`` (flows row × period): the
      same quantities per period of the park (one column, the year, without periods).
    - ``processes``: per process ``firm``, ``built``, ``capacity`` (sized ones, else NaN),
      ``throughput`` (yearly), ``fixed_cost``, ``capacity_cost``, ``variable_cost``,
      ``annual_cost``, ``co2e``; ``throughput_by_period`` (process × period). The rows of a
      process's inputs and outputs are in ``rows`` with their actual yearly quantity.
    """

    park: Park
    result: SolveResult
    objective: str
    objective_value: float
    links: pd.DataFrame
    rows: pd.DataFrame
    firms: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    sent_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    market_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    processes: pd.DataFrame = field(default_factory=pd.DataFrame)
    throughput_by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)
    stage_results: list[SolveResult] = field(default_factory=list)

    @property
    def built_links(self) -> pd.DataFrame:
        """Links built and carrying flow, internal arcs too (what the report and JSON list)."""
        return self.links[(self.links["build"] > 0.5) & (self.links["sent"] > 0)]

    @property
    def used_links(self) -> pd.DataFrame:
        """The links the design uses (:func:`~.vocabulary.used_mask`: no internal arcs)."""
        return self.links[used_mask(self.links)]

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def gap(self) -> float | None:
        return self.result.gap

    def design_key(self) -> frozenset:
        """The set of built links (:data:`~.vocabulary.DESIGN_KEY` tuples), to tell designs
        of one park apart."""
        b = self.links[(self.links["build"] > 0.5) & ~self.links["internal"]]
        return frozenset(link_keys(b, rows=True))

    def built_processes(self) -> frozenset:
        """The ids of the processes built (empty without processes)."""
        procs = self.processes
        if procs.empty:
            return frozenset()
        return frozenset(procs.index[procs["built"].astype(bool)])


def _values(var: pyo.Var) -> dict:
    return {k: (v.value if v.value is not None else 0.0) for k, v in var.items()}


def extract_solution(
    m: pyo.ConcreteModel, result: SolveResult, objective: str | None = None
) -> Solution:
    """Read every variable once and compute the design's tables and metrics, for the park as
    designed (the planned scenario's cases); ``objective`` names the objective the design is
    reported with (default: the model's)."""
    planned = set(m.PLANNED_CASES)
    values = {name: _values(getattr(m, name)) for name in VARIABLES}
    for name in CASE_VARIABLES:
        values[name] = {k: v for k, v in values[name].items() if k[0] in planned}
    periods = {c: m.case[c].period for c in planned}
    return build_solution(
        m.park, m.links.copy(), values, result, objective or m.objective_name, periods
    )


VARIABLES = (
    "Admit",
    "Place",
    "Build",
    "Capacity",
    "ProcessBuilt",
    "ProcessCapacity",
    "Flow",
    "Purchase",
    "Discharge",
    "Throughput",
)


def yearly(values: dict) -> dict:
    """``{(case, key): value}`` added up over the cases: ``{key: total}``."""
    out: dict = {}
    for (_, key), v in values.items():
        out[key] = out.get(key, 0.0) + v
    return out


CASE_VARIABLES = ("Flow", "Purchase", "Discharge", "Throughput")  # indexed by (case, …)


def by_period(values: dict, periods: dict[int, str]) -> pd.DataFrame:
    """``{(case, key): value}`` as a frame key × period (cases of one period added up)."""
    out: dict = {}
    for (c, key), v in values.items():
        out.setdefault(key, {})
        t = periods[c]
        out[key][t] = out[key].get(t, 0.0) + v
    columns = list(dict.fromkeys(periods.values()))
    return pd.DataFrame.from_dict(out, orient="index", columns=columns).fillna(0.0)


def build_solution(
    park: Park,
    links: pd.DataFrame,
    values: dict[str, dict],
    result: SolveResult,
    objective: str,
    periods: dict[int, str],
) -> Solution:
    """Tables and metrics from plain variable values: ``values[name]`` for each of
    :data:`VARIABLES`, design decisions by their model index, operation by (case, index);
    ``periods`` maps the cases to report (the park as designed) to their period."""
    settings = park.settings
    flows = park.flows
    admit, place, built = values["Admit"], values["Place"], values["Build"]
    flow = yearly(values["Flow"])
    purchase, discharge = yearly(values["Purchase"]), yearly(values["Discharge"])
    sent = links.index.map(lambda l: max(flow.get(l, 0.0), 0.0)).to_numpy(float)
    upper = links["upper"].to_numpy(float)
    sent = np.where(sent <= ZERO * np.maximum(upper, 1.0), 0.0, sent)
    capacity = values.get("Capacity", {})
    sized = links["sized"].to_numpy(bool)
    size = np.array([max(capacity.get(l, 0.0), 0.0) for l in links.index], dtype=float)
    size = np.where(sized, np.where(size <= ZERO * np.maximum(upper, 1.0), 0.0, size), np.nan)
    build = np.array(
        [
            1.0 if internal else float(round(built.get(l, 0.0)))
            for l, internal in zip(links.index, links["internal"])
        ]
    )
    # a flow on a link whose binary rounds to 0 is within the solver's tolerance: noise
    sent = np.where(build > 0.5, sent, 0.0)
    # a cost-free link that carries nothing is not part of the design: the solver may leave
    # its binary at 1 (it costs nothing), which would count phantom links per firm
    build = np.where((sent == 0) & (links["fixed_cost"].to_numpy(float) == 0), 0.0, build)
    links["build"] = np.where(links["internal"], (sent > 0).astype(float), build)
    links["sent"] = sent
    links["delivered"] = sent * links["delivered_factor"]
    links["capacity"] = size
    size_cost = np.nan_to_num(size) * links["size_cost"].to_numpy(float)
    links["annual_cost"] = (
        np.where(links["internal"], 0.0, build * links["fixed_cost"])
        + sent * links["var_cost"]
        + size_cost
    )
    links["co2e"] = sent * links["co2e_per_unit"]
    links["saving"] = (
        links["delivered"] * links["receiver_price"]
        + sent * links["supplier_price"]
        - links["annual_cost"]
    )
    sigma = settings.supplier_share
    links["supplier_gain"] = sigma * links["saving"]
    links["receiver_gain"] = (1 - sigma) * links["saving"]
    with np.errstate(divide="ignore", invalid="ignore"):
        # the supplier builds and runs the link; the receiver pays it per unit delivered
        transfer = (
            links["supplier_gain"] - sent * links["supplier_price"] + links["annual_cost"]
        ) / links["delivered"]
    # a firm does not pay itself: no transfer price on its internal arcs
    links["transfer_price"] = np.where(
        (links["delivered"] > 0) & ~links["internal"].astype(bool), transfer, np.nan
    )

    rows = flows[["firm_id", "resource_id", "direction", "quantity", "price"]].copy()
    rows["admitted"] = [admit.get(f, 1.0) > 0.5 for f in rows["firm_id"]]
    processes, throughput_by_period = process_table(park, values, periods, admit)
    process = flows["process"] if "process" in flows else pd.Series(None, index=flows.index)
    rows["process"] = process
    of_process = process.notna().to_numpy()
    if of_process.any():  # a process row's quantity: ratio × what the process ran
        ran = process[of_process].map(processes["throughput"]).fillna(0.0)
        rows.loc[of_process, "quantity"] = (flows.loc[of_process, "ratio"] * ran).to_numpy()
    ex_out = links.groupby("supply_flow")["sent"].sum()
    ex_in = links.groupby("demand_flow")["delivered"].sum()
    is_supply = rows["direction"] == "supply"
    rows["exchanged"] = np.where(
        is_supply, ex_out.reindex(rows.index).fillna(0.0), ex_in.reindex(rows.index).fillna(0.0)
    )
    market = pd.Series(purchase) if purchase else pd.Series(dtype=float)
    market = pd.concat([market, pd.Series(discharge, dtype=float)])
    market = market.reindex(rows.index).fillna(0.0).clip(lower=0.0).to_numpy()
    quantity = flows["quantity"].to_numpy(float)  # the row's size (a process row's largest)
    rows["market"] = np.where(market <= ZERO * np.maximum(quantity, 1.0), 0.0, market)
    rows.loc[~rows["admitted"], ["exchanged", "market"]] = 0.0
    rows["buyable"] = ~(~is_supply & rows["price"].isna())
    res = park.resources.reindex(rows["resource_id"])
    price = rows["price"].fillna(0.0)
    weight = np.where(is_supply, 0.0, res["virgin_weight"].to_numpy(float))
    unit_co2 = np.where(
        is_supply, res["disposal_co2e"].to_numpy(float), res["virgin_co2e"].to_numpy(float)
    )
    in_base = rows["admitted"] & rows["buyable"] & ~of_process  # processes: no baseline
    # what the row buys or discharges standalone (processes do not run there)
    rows["baseline_quantity"] = np.where(rows["admitted"] & ~of_process, rows["quantity"], 0.0)
    rows["baseline_cost"] = np.where(in_base, rows["quantity"] * price, 0.0)
    rows["design_cost"] = rows["market"] * price
    rows["baseline_virgin"] = np.where(in_base, rows["quantity"] * weight, 0.0)
    rows["design_virgin"] = rows["market"] * weight
    rows["baseline_co2e"] = np.where(in_base, rows["quantity"] * unit_co2, 0.0)
    rows["design_co2e"] = rows["market"] * unit_co2

    firms = park.firms
    out = pd.DataFrame(index=firms.index)
    out["name"] = firms["name"]
    out["sector"] = firms["sector"]
    out["status"] = firms["status"]
    out["admitted"] = [admit.get(f, 1.0) > 0.5 for f in firms.index]
    placed = {f: s for (f, s), v in place.items() if v > 0.5}
    out["site"] = [
        (placed.get(f) if s is None else s) if a else None
        for f, s, a in zip(firms.index, firms["site"], out["admitted"])
    ]
    out["placed"] = [f in placed for f in firms.index]
    # a floating candidate's internal arcs are on the plot it was placed on (None: not placed)
    floating = links["internal"].astype(bool) & links["from_site"].isna()
    if floating.any():
        plot = links.loc[floating, "supplier"].map(out["site"])
        links.loc[floating, "from_site"] = plot
        links.loc[floating, "to_site"] = plot
    site_cost = park.sites["site_cost"].astype(float)
    out["admission_cost"] = np.where(
        (firms["status"] == "candidate") & out["admitted"],
        firms["admission_cost"].astype(float),
        0.0,
    )
    out["site_cost"] = [float(site_cost[placed[f]]) if f in placed else 0.0 for f in firms.index]
    out["baseline_cost"] = (
        rows.groupby("firm_id")["baseline_cost"].sum().reindex(firms.index).fillna(0.0)
    )
    gain = links.groupby("supplier")["supplier_gain"].sum().reindex(firms.index).fillna(
        0.0
    ) + links.groupby("receiver")["receiver_gain"].sum().reindex(firms.index).fillna(0.0)
    if not processes.empty:  # a firm bears its processes' costs and its process rows' market
        gain -= processes.groupby("firm")["annual_cost"].sum().reindex(firms.index).fillna(0.0)
        gain -= (
            rows[of_process]
            .groupby("firm_id")["design_cost"]
            .sum()
            .reindex(firms.index)
            .fillna(0.0)
        )
    out["gain"] = np.where(out["admitted"], gain, 0.0)
    out["design_cost"] = out["baseline_cost"] - out["gain"]
    between = links[(links["build"] > 0.5) & ~links["internal"].astype(bool)]  # not own arcs
    out["links_out"] = between.groupby("supplier").size().reindex(firms.index).fillna(0).astype(int)
    out["links_in"] = between.groupby("receiver").size().reindex(firms.index).fillna(0).astype(int)

    built_mask = (links["build"] > 0.5) & ~links["internal"]
    cost = (
        float(out["admission_cost"].sum())
        + float(out["site_cost"].sum())
        + float((links["fixed_cost"] * built_mask).sum())
        + float(size_cost.sum())
        + float((links["var_cost"] * links["sent"]).sum())
        + float(rows["design_cost"].sum())
        + float(processes["annual_cost"].sum() if not processes.empty else 0.0)
    )
    metrics = {
        "cost": {"design": cost, "baseline": float(rows["baseline_cost"].sum())},
        "virgin": {
            "design": float(rows["design_virgin"].sum()),
            "baseline": float(rows["baseline_virgin"].sum()),
        },
        "co2e": {
            "design": float(rows["design_co2e"].sum())
            + float(links["co2e"].sum())
            + float(processes["co2e"].sum() if not processes.empty else 0.0),
            "baseline": float(rows["baseline_co2e"].sum()),
        },
    }
    value = objective_value(metrics, objective, settings)
    sent_by_period = by_period(values["Flow"], periods).reindex(links.index).fillna(0.0)
    sent_by_period[sent == 0] = 0.0
    sent_by_period = sent_by_period.mask(
        sent_by_period.to_numpy() <= ZERO * np.maximum(upper, 1.0)[:, None], 0.0
    )
    market_by_period = (
        pd.concat([by_period(values["Purchase"], periods), by_period(values["Discharge"], periods)])
        .reindex(rows.index)
        .fillna(0.0)
        .clip(lower=0.0)
    )
    market_by_period[~rows["admitted"].to_numpy()] = 0.0
    noise = market_by_period.to_numpy() <= ZERO * np.maximum(quantity, 1.0)[:, None]
    market_by_period = market_by_period.mask(noise, 0.0)
    return Solution(
        park=park,
        result=result,
        objective=objective,
        objective_value=value,
        links=links,
        rows=rows,
        firms=out,
        metrics=metrics,
        sent_by_period=sent_by_period,
        market_by_period=market_by_period,
        processes=processes,
        throughput_by_period=throughput_by_period,
    )


def process_table(
    park: Park, values: dict[str, dict], periods: dict[int, str], admit: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per process: built, capacity, yearly throughput and costs; and throughput by period.

    A process without a build decision is built when its firm is in the park; throughput
    below the tolerance of its capacity is 0 (docs/results.md)."""
    procs = park.processes
    columns = [
        "firm",
        "built",
        "capacity",
        "throughput",
        "fixed_cost",
        "capacity_cost",
        "variable_cost",
        "annual_cost",
        "co2e",
    ]
    if procs.empty:
        return pd.DataFrame(columns=columns), pd.DataFrame()
    by = by_period(values.get("Throughput", {}), periods).reindex(procs.index).fillna(0.0)
    by = by.reindex(columns=list(dict.fromkeys(periods.values()))).fillna(0.0).clip(lower=0.0)
    capacity_bound = procs["max_throughput"].to_numpy(float)
    by = by.mask(by.to_numpy() <= ZERO * np.maximum(capacity_bound, 1.0)[:, None], 0.0)
    decided = values.get("ProcessBuilt", {})
    sized = values.get("ProcessCapacity", {})
    out = pd.DataFrame(index=procs.index)
    out["firm"] = procs["firm_id"]
    firm_in = [admit.get(f, 1.0) > 0.5 for f in procs["firm_id"]]
    out["built"] = [
        (round(decided[p]) > 0.5) if p in decided else bool(a) for p, a in zip(procs.index, firm_in)
    ]
    out["capacity"] = [max(sized[p], 0.0) if p in sized else np.nan for p in procs.index]
    out["throughput"] = by.sum(axis=1)
    out["fixed_cost"] = np.where(
        out["built"] & pd.Series([p in decided for p in procs.index], index=procs.index),
        procs["crf"] * procs["capex_fixed"] + procs["opex_fixed"],
        0.0,
    )
    out["capacity_cost"] = out["capacity"].fillna(0.0) * procs["crf"] * procs["capex_per_capacity"]
    out["variable_cost"] = out["throughput"] * procs["cost_per_unit"]
    out["annual_cost"] = out["fixed_cost"] + out["capacity_cost"] + out["variable_cost"]
    out["co2e"] = out["throughput"] * procs["co2e_per_unit"]
    return out, by


def objective_value(metrics: dict, objective: str, settings) -> float:
    """The objective as the model defines it: a metric against the baseline."""
    delta = {k: metrics[k]["design"] - metrics[k]["baseline"] for k in METRICS}
    if objective == "weighted":
        return (
            settings.weight_cost * delta["cost"]
            + settings.weight_virgin * delta["virgin"]
            + settings.weight_co2e * delta["co2e"]
        )
    return delta[objective]


def resource_summary(solution: Solution) -> pd.DataFrame:
    """Per resource: virgin purchase and discharge before (standalone) and after (design)."""
    rows = solution.rows
    rows = rows[rows["admitted"]]
    demand = rows[rows["direction"] == "demand"]
    supply = rows[rows["direction"] == "supply"]
    res = solution.park.resources
    out = pd.DataFrame(index=res.index)
    out["name"] = res["name"]
    out["unit"] = res["unit"]
    bought = demand[demand["buyable"]]
    out["purchase_before"] = bought.groupby("resource_id")["baseline_quantity"].sum()
    out["purchase_after"] = demand.groupby("resource_id")["market"].sum()
    out["discharge_before"] = supply.groupby("resource_id")["baseline_quantity"].sum()
    out["discharge_after"] = supply.groupby("resource_id")["market"].sum()
    out = out.fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["purchase_change_pct"] = np.where(
            out["purchase_before"] > 0,
            100 * (out["purchase_after"] / out["purchase_before"] - 1),
            np.nan,
        )
        out["discharge_change_pct"] = np.where(
            out["discharge_before"] > 0,
            100 * (out["discharge_after"] / out["discharge_before"] - 1),
            np.nan,
        )
    used = (
        out[["purchase_before", "purchase_after", "discharge_before", "discharge_after"]]
        .abs()
        .sum(axis=1)
        > 0
    )
    return out[used]
