"""The park design MILP (docs/model.md), built in Pyomo from sparse pandas index sets.

``build_model`` reads like a table of contents: sets and data, variables, one call per
constraint family (:mod:`.families`), metrics, objective.

Cases
=====
The design — which links are built, which candidates admitted and where — is decided once.
Operation (flows, purchases, discharges) is decided per *case* (:class:`Case`): a period of
the year in a scenario of who is in the park. The plain model has one case per period of
the park (one case when the workbook has no ``periods`` sheet); the defection-aware design
(:mod:`ecopark_opt.analyses.defection`) builds the same families over one case per scenario
"firm k leaves" as well, in which firm k's rows and links are absent. Operational sets are
therefore indexed by case: ``S_LINKS`` holds (case, link), ``S_SUPPLY`` (case, supply row),
``S_DEMAND`` (case, demand row), and every family works over the sets it is given.

Symbols used throughout
=======================
==================  =========================================  ==============
symbol              meaning                                    unit
==================  =========================================  ==============
c                   a case (period of a scenario)              —
F_cl ``Flow``       quantity sent on link l in case c          supplied unit/yr
B_l  ``Build``      1 if link l is built                       binary
P_cj ``Purchase``   virgin purchase of demand row j in case c  unit/yr
D_ci ``Discharge``  discharge of supply row i in case c        unit/yr
A_f  ``Admit``      1 if firm f is in the park                 binary (1 for existing)
S_fs ``Place``      1 if floating candidate f sits on plot s   binary
q_ci                quantity of a supply / demand row in c     unit/yr
η_l                 delivered per unit sent: ratio·(1 − loss)  —
U_cl                most that link l can carry in case c       supplied unit/yr
w_c                 weight of case c in yearly metrics         —
r_c                 share of the year of c's period: h_t / H   —
K_l  ``Capacity``   sized capacity of link l (constant rate)   supplied unit/yr
κ_l                 annualised capex per unit of capacity      money/(unit/yr)/yr
==================  =========================================  ==============
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..inputs.periods import link_bounds
from ..park import YEAR, Park
from . import families
from .families import process_fixed_cost
from .terms import linear_sum
from .vocabulary import OBJECTIVES

PLANNED = ""  # the scenario of the park as designed (nobody leaves)


@dataclass(frozen=True)
class Case:
    """One operating case: a period of the year in a scenario of who is in the park."""

    scenario: str = PLANNED
    period: str = YEAR
    weight: float = 1.0  # weight in yearly metrics (the scenario's probability)
    gone: frozenset[str] = field(default_factory=frozenset)  # firms absent in this case


def plain_cases(park: Park) -> list[Case]:
    """The cases of the plain design: the park as designed, in each period."""
    return [Case(period=t) for t in park.period_hours.index]


def build_model(
    park: Park, links: pd.DataFrame, cases: list[Case] | None = None
) -> pyo.ConcreteModel:
    """The whole MILP for ``park`` over the candidate ``links`` (see :mod:`.links`), operated
    in ``cases`` (default: :func:`plain_cases`)."""
    m = pyo.ConcreteModel(name="ecopark")
    add_sets(m, park, links, cases if cases is not None else plain_cases(park))
    add_variables(m)
    families.add_supply_balance(m)
    families.add_demand_balance(m)
    families.add_quality_limits(m)
    families.add_link_capacity(m)
    families.add_link_sizing(m)
    families.add_link_endpoints(m)
    families.add_plot_flows(m)
    families.add_siting(m)
    families.add_max_virgin(m)
    families.add_dependency_limit(m)
    families.add_max_links(m)
    families.add_process_operation(m)
    families.add_firm_gains(m)
    families.add_win_win(m)
    add_metrics(m)
    set_objective(m, park.settings.objective)
    return m


# --- sets and data -------------------------------------------------------------------------


def add_sets(m: pyo.ConcreteModel, park: Park, links: pd.DataFrame, cases: list[Case]) -> None:
    """Index sets and plain-number data (no Pyomo ``Param``: they cost build time).

    The park and the link frame stay on the model (``m.park``, ``m.links``) so that the
    families and :mod:`.solution` read the data the model was built from.
    """
    m.park = park
    m.links = links
    flows = park.flows
    firms = park.firms
    res = park.resources
    m.FIRMS = list(firms.index)
    m.CANDIDATES = list(firms.index[firms["status"] == "candidate"])
    m.FLOATING = [f for f in m.CANDIDATES if firms.at[f, "site"] is None]
    m.PLACEMENTS = [(f, s) for f in m.FLOATING for s in firms.at[f, "allowed_sites"]]
    m.SUPPLY = list(flows.index[flows["direction"] == "supply"])
    m.DEMAND = list(flows.index[flows["direction"] == "demand"])
    m.LINKS = list(links.index)
    m.BUILT_LINKS = list(links.index[~links["internal"].astype(bool)])
    m.eta = links["delivered_factor"].to_dict()
    m.supply_of = links["supply_flow"].to_dict()
    m.property_value = {k: flows[k].astype(float).to_dict() for k in park.property_names}

    m.qty = flows["quantity"].astype(float).to_dict()
    m.firm_of = flows["firm_id"].to_dict()
    m.price = flows["price"].astype(float).to_dict()
    m.buyable = {j: not np.isnan(m.price[j]) for j in m.DEMAND}
    resource_of = flows["resource_id"]
    m.virgin_weight = {j: float(res.at[resource_of[j], "virgin_weight"]) for j in m.DEMAND}
    m.virgin_co2e = {j: float(res.at[resource_of[j], "virgin_co2e"]) for j in m.DEMAND}
    m.disposal_co2e = {i: float(res.at[resource_of[i], "disposal_co2e"]) for i in m.SUPPLY}
    m.resource_of = resource_of.to_dict()
    add_process_sets(m, park)
    # standalone baseline per row: buy every demand (if it can be bought), discharge every
    # supply; the rows of processes add nothing (processes do not run in the baseline)
    demand = [j for j in m.DEMAND if j not in m.process_of]
    supply = [i for i in m.SUPPLY if i not in m.process_of]
    m.base_cost = {j: m.qty[j] * m.price[j] if m.buyable[j] else 0.0 for j in demand}
    m.base_cost |= {i: m.qty[i] * m.price[i] for i in supply}
    m.base_virgin = {j: m.qty[j] * m.virgin_weight[j] if m.buyable[j] else 0.0 for j in demand}
    m.base_co2e = {j: m.qty[j] * m.virgin_co2e[j] if m.buyable[j] else 0.0 for j in demand}
    m.base_co2e |= {i: m.qty[i] * m.disposal_co2e[i] for i in supply}
    m.rows_of_firm = defaultdict(list)
    for row, firm in m.firm_of.items():
        m.rows_of_firm[firm].append(row)
    add_case_sets(m, cases)


def add_process_sets(m: pyo.ConcreteModel, park: Park) -> None:
    """Processes (docs/workbook.md, ``processes``): their rows and firms, which of them have
    a build decision (``DECIDED``: a fixed cost, a minimum throughput, a candidate firm or
    must_build; the others run whenever their firm is in the park) and which a sized
    capacity (``SIZED_PROCESSES``), and which candidate firms are hubs: firms with processes
    and no flows of their own (``HUBS``)."""
    flows = park.flows
    procs = park.processes
    m.PROCESSES = list(procs.index)
    m.process_of = {}
    m.ratio = {}
    if "process" in flows:
        for row, process, ratio in zip(flows.index, flows["process"], flows["ratio"]):
            if isinstance(process, str):
                m.process_of[row] = process
                m.ratio[row] = float(ratio)
    m.rows_of_process = defaultdict(list)
    for row, process in m.process_of.items():
        m.rows_of_process[process].append(row)
    m.firm_of_process = procs["firm_id"].to_dict() if m.PROCESSES else {}
    candidates = set(m.CANDIDATES)
    m.DECIDED = [
        p
        for p in m.PROCESSES
        if procs.at[p, "capex_fixed"] > 0
        or procs.at[p, "opex_fixed"] > 0
        or procs.at[p, "min_throughput"] > 0
        or bool(procs.at[p, "must_build"])
        or m.firm_of_process[p] in candidates
    ]
    m.SIZED_PROCESSES = [p for p in m.PROCESSES if procs.at[p, "capex_per_capacity"] > 0]
    own = {m.firm_of[row] for row in m.firm_of if row not in m.process_of}
    m.HUBS = sorted({f for f in m.firm_of_process.values() if f in candidates and f not in own})


def add_case_sets(m: pyo.ConcreteModel, cases: list[Case]) -> None:
    """The cases and, per case, the rows and links of the firms present in it.

    ``amount[c, row]`` is the row's quantity in case c (its yearly quantity times its share
    of the case's period, :meth:`~ecopark_opt.park.Park.shares`), ``rate[c]`` the share of
    the year the period stands for (h_t / H), ``upper[c, l]`` the link's bound U_cl (the
    yearly bound's terms scaled to the period: supply and demand by their shares, the mode's
    capacity by h_t / H, the quality bound by the demand's share), ``links_out[c, i]`` /
    ``links_in[c, j]`` the links of a row present in case c. Sized links (``SIZED``) may be
    given a capacity up to ``max_capacity[l]`` = max_c U_cl / rate_c.
    """
    park = m.park
    links = m.links
    m.case = list(cases)
    m.CASES = list(range(len(cases)))
    m.SCENARIOS = list(dict.fromkeys(case.scenario for case in cases))
    m.cases_of = {s: [c for c in m.CASES if cases[c].scenario == s] for s in m.SCENARIOS}
    m.weight = {c: cases[c].weight for c in m.CASES}
    m.PLANNED_CASES = m.cases_of.get(PLANNED, [])
    hours = park.period_hours
    m.rate = {c: float(hours[cases[c].period] / hours.sum()) for c in m.CASES}
    shares = park.shares()
    period_upper = {t: link_bounds(park, links, shares, t) for t in hours.index}

    supplier = links["supplier"].tolist()
    receiver = links["receiver"].tolist()
    supply_of = links["supply_flow"].tolist()
    demand_of = links["demand_flow"].tolist()
    ids = links.index.tolist()
    m.S_LINKS, m.S_SUPPLY, m.S_DEMAND = [], [], []
    m.amount, m.upper = {}, {}
    m.links_out, m.links_in = defaultdict(list), defaultdict(list)
    for c, case in enumerate(cases):
        gone = case.gone
        share = shares[case.period].to_dict()
        for i in m.SUPPLY:
            if m.firm_of[i] not in gone:
                m.S_SUPPLY.append((c, i))
                m.amount[c, i] = m.qty[i] * share[i]
        for j in m.DEMAND:
            if m.firm_of[j] not in gone:
                m.S_DEMAND.append((c, j))
                m.amount[c, j] = m.qty[j] * share[j]
        upper = period_upper[case.period]
        for l, a, b, i, j, u in zip(ids, supplier, receiver, supply_of, demand_of, upper):
            if gone and (a in gone or b in gone):
                continue
            m.S_LINKS.append((c, l))
            m.upper[c, l] = u
            m.links_out[c, i].append(l)
            m.links_in[c, j].append(l)
    m.S_PROCESS = [
        (c, p)
        for c, case in enumerate(cases)
        for p in m.PROCESSES
        if m.firm_of_process[p] not in case.gone
    ]
    sized = links["sized"].astype(bool).to_dict()
    m.SIZED = [l for l in m.BUILT_LINKS if sized[l]]
    m.max_capacity = {l: 0.0 for l in m.SIZED}
    for c, l in m.S_LINKS:
        if l in m.max_capacity:
            m.max_capacity[l] = max(m.max_capacity[l], m.upper[c, l] / m.rate[c])


def add_variables(m: pyo.ConcreteModel) -> None:
    """Decisions of docs/model.md; existing firms have ``Admit`` fixed at 1, must_join
    candidates too; a demand that cannot be bought has ``Purchase`` fixed at 0."""
    firms = m.park.firms
    m.Flow = pyo.Var(
        m.S_LINKS,
        within=pyo.NonNegativeReals,
        bounds=lambda _, c, l: (0, m.upper[c, l]),
        doc="quantity sent on a link [supplied unit/yr]",
    )
    m.Build = pyo.Var(m.BUILT_LINKS, within=pyo.Binary, doc="1 if the link is built")
    m.Purchase = pyo.Var(
        m.S_DEMAND,
        within=pyo.NonNegativeReals,
        bounds=lambda _, c, j: (0, m.amount[c, j]),
        doc="virgin purchase [unit/yr]",
    )
    m.Discharge = pyo.Var(
        m.S_SUPPLY,
        within=pyo.NonNegativeReals,
        bounds=lambda _, c, i: (0, m.amount[c, i]),
        doc="discharge as waste [unit/yr]",
    )
    m.Admit = pyo.Var(m.FIRMS, within=pyo.Binary, doc="1 if the firm is in the park")
    m.Place = pyo.Var(m.PLACEMENTS, within=pyo.Binary, doc="1 if a candidate sits on a plot")
    m.Capacity = pyo.Var(
        m.SIZED,
        within=pyo.NonNegativeReals,
        bounds=lambda _, l: (0, m.max_capacity[l]),
        doc="sized capacity of a link [supplied unit/yr at a constant rate]",
    )
    procs = m.park.processes
    m.Throughput = pyo.Var(
        m.S_PROCESS,
        within=pyo.NonNegativeReals,
        bounds=lambda _, c, p: (0, procs.at[p, "max_throughput"] * m.rate[c]),
        doc="throughput of a process in a case [units]",
    )
    m.ProcessBuilt = pyo.Var(m.DECIDED, within=pyo.Binary, doc="1 if the process is built")
    m.ProcessCapacity = pyo.Var(
        m.SIZED_PROCESSES,
        within=pyo.NonNegativeReals,
        bounds=lambda _, p: (0, procs.at[p, "max_throughput"]),
        doc="sized throughput capacity of a process [units/yr at a constant rate]",
    )
    for p in m.DECIDED:
        if bool(procs.at[p, "must_build"]):
            m.ProcessBuilt[p].fix(1)
    for f in m.FIRMS:
        if firms.at[f, "status"] == "existing" or bool(firms.at[f, "must_join"]):
            m.Admit[f].fix(1)
    for c, j in m.S_DEMAND:
        if not m.buyable[j]:
            m.Purchase[c, j].fix(0)


# --- metrics and objective -----------------------------------------------------------------


def add_metrics(m: pyo.ConcreteModel) -> None:
    r"""The three metrics of the design and of the standalone baseline of the admitted firms.

    .. math::
        cost = \sum_f a_f A_f + \sum_{f,s} c_s S_{f,s} + \sum_l (k_l B_l + κ_l K_l)
               + \sum_c w_c \Big(\sum_l v_l F_{cl} + \sum_j p_j P_{cj} + \sum_i p_i D_{ci}\Big)
    .. math:: virgin = \sum_c w_c \sum_j ω_{r(j)} P_{cj}, \qquad
              co2e = \sum_c w_c \Big(\sum_j e^{v}_{r(j)} P_{cj} + \sum_i e^{d}_{r(i)} D_{ci}
              + \sum_l e_l F_{cl}\Big)

    Baselines use q instead of P and D (every admitted firm buys and discharges everything),
    weighted by ``Admit``; a demand that cannot be bought adds nothing. With the plain cases
    (w_c = 1) the metrics are yearly totals (periods add up); over defection scenarios they
    are expectations. κ_l is a sized link's annualised capex per unit of capacity K_l.
    """
    park = m.park
    links = m.links
    firms = park.firms
    sites = park.sites
    w = m.weight
    admission = {f: float(firms.at[f, "admission_cost"]) for f in m.CANDIDATES}
    site_cost = sites["site_cost"].astype(float).to_dict()
    fixed = links["fixed_cost"].to_dict()
    size_cost = links["size_cost"].to_dict()
    var = links["var_cost"].to_dict()
    co2 = links["co2e_per_unit"].to_dict()
    buy = [(c, j) for c, j in m.S_DEMAND if m.buyable[j]]
    procs = park.processes

    m.Cost = pyo.Expression(
        expr=linear_sum(
            ((admission[f], m.Admit[f]) for f in m.CANDIDATES),
            ((site_cost[s], m.Place[f, s]) for f, s in m.PLACEMENTS),
            ((fixed[l], m.Build[l]) for l in m.BUILT_LINKS),
            ((size_cost[l], m.Capacity[l]) for l in m.SIZED),
            ((process_fixed_cost(procs, p), m.ProcessBuilt[p]) for p in m.DECIDED),
            (
                (procs.at[p, "crf"] * procs.at[p, "capex_per_capacity"], m.ProcessCapacity[p])
                for p in m.SIZED_PROCESSES
            ),
            ((w[c] * var[l], m.Flow[c, l]) for c, l in m.S_LINKS),
            ((w[c] * procs.at[p, "cost_per_unit"], m.Throughput[c, p]) for c, p in m.S_PROCESS),
            ((w[c] * m.price[j], m.Purchase[c, j]) for c, j in buy),
            ((w[c] * m.price[i], m.Discharge[c, i]) for c, i in m.S_SUPPLY),
        ),
        doc="annual cost of the design",
    )
    m.Virgin = pyo.Expression(
        expr=linear_sum((w[c] * m.virgin_weight[j], m.Purchase[c, j]) for c, j in buy),
        doc="virgin resource use",
    )
    m.Co2e = pyo.Expression(
        expr=linear_sum(
            ((w[c] * m.virgin_co2e[j], m.Purchase[c, j]) for c, j in buy),
            ((w[c] * m.disposal_co2e[i], m.Discharge[c, i]) for c, i in m.S_SUPPLY),
            ((w[c] * co2[l], m.Flow[c, l]) for c, l in m.S_LINKS),
            ((w[c] * procs.at[p, "co2e_per_unit"], m.Throughput[c, p]) for c, p in m.S_PROCESS),
        ),
        doc="emissions [kg CO2e/yr]",
    )

    def baseline(per_row: dict[str, float]):
        return sum(v * m.Admit[m.firm_of[r]] for r, v in per_row.items() if v)

    m.CostBaseline = pyo.Expression(expr=baseline(m.base_cost), doc="standalone cost")
    m.VirginBaseline = pyo.Expression(expr=baseline(m.base_virgin), doc="standalone virgin use")
    m.Co2eBaseline = pyo.Expression(expr=baseline(m.base_co2e), doc="standalone emissions")


METRIC_EXPRESSIONS = {
    "cost": ("Cost", "CostBaseline"),
    "virgin": ("Virgin", "VirginBaseline"),
    "co2e": ("Co2e", "Co2eBaseline"),
}


def metric_expression(m: pyo.ConcreteModel, metric: str, against_baseline: bool = True):
    """A metric of the design, against the standalone baseline of the admitted firms unless
    ``against_baseline`` is False (the absolute yearly value)."""
    design, base = METRIC_EXPRESSIONS[metric]
    if against_baseline:
        return getattr(m, design) - getattr(m, base)
    return getattr(m, design)


def objective_expression(m: pyo.ConcreteModel, objective: str):
    """A metric measured against the standalone baseline of the admitted firms."""
    if objective in METRIC_EXPRESSIONS:
        return metric_expression(m, objective)
    if objective == "weighted":
        s = m.park.settings
        return (
            s.weight_cost * (m.Cost - m.CostBaseline)
            + s.weight_virgin * (m.Virgin - m.VirginBaseline)
            + s.weight_co2e * (m.Co2e - m.Co2eBaseline)
        )
    raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")


def set_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Minimise the chosen metric against the baseline (ties broken in :mod:`.stages`)."""
    if hasattr(m, "objective"):
        m.del_component(m.objective)
    m.objective_name = objective
    m.objective = pyo.Objective(expr=objective_expression(m, objective), sense=pyo.minimize)
