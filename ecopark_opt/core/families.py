"""The constraint families of the park design MILP (docs/model.md), one function each.

Every family works over the index sets the model gives it (:func:`.model.add_sets`): the
operational ones over (case, …) pairs, the design ones over links, firms and plots. It
returns early when its index set is empty, and states its inequality and symbols in its
docstring. Symbols are those of :mod:`.model`.

Each family also declares, with :func:`family`, what other parts of the core need to know
about it: the constraint components it adds, whether an infeasible model may relax them to
explain itself (:mod:`.diagnose`), and whether it couples the park into one problem or joins
rows that must be solved together (:mod:`.decompose`). Nothing else keeps lists of family
names: a new family declares itself here and is known everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from ..park import Park
from .terms import grouped, linear


@dataclass(frozen=True)
class Family:
    """What a constraint family is, for the code that treats families generically."""

    name: str
    constraints: tuple[str, ...]  # components it adds to the model
    elastic: bool  # may get slack to explain an infeasible model
    couples: Callable[[Park], str | None] | None  # why it makes the park one problem
    joins: Callable[[Park], list[list[str]]] | None  # flows rows it solves together


FAMILIES: dict[str, Family] = {}  # in declaration order


def family(
    *constraints: str,
    elastic: bool = False,
    couples: Callable[[Park], str | None] | None = None,
    joins: Callable[[Park], list[list[str]]] | None = None,
) -> Callable:
    """Declare the decorated ``add_*`` function a constraint family (see :class:`Family`)."""

    def register(fn: Callable) -> Callable:
        FAMILIES[fn.__name__] = Family(fn.__name__, constraints, elastic, couples, joins)
        return fn

    return register


def elastic_constraints() -> list[str]:
    """Constraint components that may be relaxed, in declaration order."""
    return [c for f in FAMILIES.values() if f.elastic for c in f.constraints]


def coupling_reasons(park: Park) -> list[str]:
    """Why ``park`` must be solved as one problem, in words (empty: it may be split)."""
    return [r for f in FAMILIES.values() if f.couples and (r := f.couples(park))]


def joined_rows(park: Park) -> list[list[str]]:
    """Groups of flows rows that a family sums over together (beyond single links)."""
    return [group for f in FAMILIES.values() if f.joins for group in f.joins(park)]


def _candidates(park: Park) -> str | None:
    if (park.firms["status"] == "candidate").any():
        return "candidate firms (admitting one switches all its rows on)"
    return None


# --- balances and quality ------------------------------------------------------------------


@family("supply_balance", couples=_candidates)
def add_supply_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit supplied is sent on a link or discharged.

    .. math:: \sum_{l \in out(c,i)} F_{cl} + D_{ci} = q_{ci} \, A_{f(i)}
              \qquad \forall (c, i) \in S\_SUPPLY

    (for a process's output row, b T_cp instead of q_ci A_f(i): :func:`row_quantity`).
    """
    if not m.S_SUPPLY:
        return

    def rule(m, c, i):
        sent = sum(m.Flow[c, l] for l in m.links_out.get((c, i), ()))
        return sent + m.Discharge[c, i] == row_quantity(m, c, i)

    m.supply_balance = pyo.Constraint(m.S_SUPPLY, rule=rule, doc="supply balance")


@family("demand_balance", elastic=True)
def add_demand_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit demanded is delivered by links (after ratio and loss) or bought.

    .. math:: \sum_{l \in in(c,j)} η_l F_{cl} + P_{cj} = q_{cj} \, A_{f(j)}
              \qquad \forall (c, j) \in S\_DEMAND

    (for a process's input row, a T_cp instead of q_cj A_f(j): :func:`row_quantity`).
    """
    if not m.S_DEMAND:
        return
    eta = m.links["delivered_factor"].to_dict()

    def rule(m, c, j):
        delivered = sum(eta[l] * m.Flow[c, l] for l in m.links_in.get((c, j), ()))
        return delivered + m.Purchase[c, j] == row_quantity(m, c, j)

    m.demand_balance = pyo.Constraint(m.S_DEMAND, rule=rule, doc="demand balance")


@family("quality_limit")
def add_quality_limits(m: pyo.ConcreteModel) -> None:
    r"""Linear mixing: the delivered mix of each limited property stays within the limit.

    .. math:: \sum_{l \in in(c,j)} η_l F_{cl} \, c_{i(l),k} + P_{cj} \, c^{virgin}_{r(j),k}
              \le L_{j,k} \, q_{cj} \, A_{f(j)} \qquad \forall (c,j,k): L_{j,k} \text{ given}

    ============  =================================================  =========
    c_{i,k}       value of property k in supply row i                property unit
    c^virgin      value of k in the virgin resource (blank = 0)       property unit
    L_{j,k}       most accepted by demand row j                      property unit
    ============  =================================================  =========

    The right-hand side is the limit times the mix's quantity, q_cj A_f(j) by the demand
    balance; an infeasible park is explained with the mix's own quantity instead
    (:func:`quality_load`), so that a shortfall is what no blend can supply.
    """
    m.S_QUALITY = [
        (c, j, k)
        for k in m.park.property_names
        for c, j in m.S_DEMAND
        if not np.isnan(m.property_value[k][j]) and m.qty[j] > 0
    ]
    if not m.S_QUALITY:
        return

    def rule(m, c, j, k):
        limit = m.property_value[k][j]
        return quality_load(m, c, j, k) <= limit * row_quantity(m, c, j)

    m.quality_limit = pyo.Constraint(m.S_QUALITY, rule=rule, doc="quality of the delivered mix")


def row_quantity(m: pyo.ConcreteModel, c: int, row: str):
    """The quantity a balance sets for a row in case c: q_c A_f for a stream of the flows
    sheet, ratio × T_cp for an input or output of process p (the term the balances, quality
    limits and dependency limit share)."""
    process = m.process_of.get(row)
    if process is None:
        return m.amount[c, row] * m.Admit[m.firm_of[row]]
    return m.ratio[row] * m.Throughput[c, process]


def yearly_quantity(m: pyo.ConcreteModel, scenario: str, row: str):
    """A row's quantity over the year of one scenario: q A_f, or ratio × Σ_c T_cp."""
    process = m.process_of.get(row)
    if process is None:
        return m.qty[row] * m.Admit[m.firm_of[row]]
    return m.ratio[row] * sum(
        m.Throughput[c, process] for c in m.cases_of[scenario] if (c, process) in m.Throughput
    )


def quality_load(m: pyo.ConcreteModel, c: int, j: str, k: str):
    """Σ η_l F_cl c_{i(l),k} + P_cj c^virgin_k: how much of property k the mix delivered to
    demand row j in case c carries."""
    value = m.property_value[k]
    virgin = float(m.park.resources.at[m.resource_of[j], k])
    delivered = sum(
        m.eta[l] * value[m.supply_of[l]] * m.Flow[c, l] for l in m.links_in.get((c, j), ())
    )
    return delivered + virgin * m.Purchase[c, j]


def delivered_mix(m: pyo.ConcreteModel, c: int, j: str):
    """Σ η_l F_cl + P_cj: the quantity delivered to demand row j in case c (links, purchase)."""
    eta = m.links["delivered_factor"]
    return (
        sum(float(eta.at[l]) * m.Flow[c, l] for l in m.links_in.get((c, j), ()))
        + (m.Purchase[c, j])
    )


# --- links ---------------------------------------------------------------------------------


@family("link_capacity")
def add_link_capacity(m: pyo.ConcreteModel) -> None:
    r"""Flow only on a built link, up to its tightest bound (no arbitrary big-M).

    .. math:: F_{cl} \le U_{cl} \, B_l, \quad U_{cl} = \min\left(q_{c,i(l)},\
              \frac{q_{c,j(l)}}{η_l},\ cap_{m(l)}\right) \qquad \forall (c, l),\
              l \in BUILT\_LINKS
    """
    built = set(m.BUILT_LINKS)
    pairs = [(c, l) for c, l in m.S_LINKS if l in built]
    if not pairs:
        return
    m.S_BUILT = pairs
    m.link_capacity = pyo.Constraint(
        m.S_BUILT,
        rule=lambda m, c, l: m.Flow[c, l] <= m.upper[c, l] * m.Build[l],
        doc="flow only on built links",
    )


@family("link_size", "size_bound")
def add_link_sizing(m: pyo.ConcreteModel) -> None:
    r"""A sized link carries in each period at most its capacity's rate, and has a capacity
    only if built (docs/workbook.md, transport ``capex_per_capacity``).

    .. math:: F_{cl} \le r_c K_l \quad \forall (c, l), l \in SIZED, \qquad
              K_l \le K^{max}_l B_l, \quad K^{max}_l = \max_c U_{cl} / r_c

    With one period (r = 1) K_l is simply the yearly flow, so sizing turns part of the
    link's capex into a cost per unit carried (κ_l K_l in the cost, :func:`.model.add_metrics`).
    K^max_l is the most any period can use at a constant rate: never an arbitrary big-M.
    """
    if not m.SIZED:
        return
    sized = set(m.SIZED)
    m.S_SIZED = [(c, l) for c, l in m.S_LINKS if l in sized]
    m.link_size = pyo.Constraint(
        m.S_SIZED,
        rule=lambda m, c, l: m.Flow[c, l] <= m.rate[c] * m.Capacity[l],
        doc="flow within the sized capacity",
    )
    m.size_bound = pyo.Constraint(
        m.SIZED,
        rule=lambda m, l: m.Capacity[l] <= m.max_capacity[l] * m.Build[l],
        doc="capacity only on built links",
    )


@family("link_endpoint")
def add_link_endpoints(m: pyo.ConcreteModel) -> None:
    r"""A link is built only between admitted firms, on the plots they are placed on.

    .. math:: B_l \le A_f \ (f \text{ a candidate end with a given site}), \qquad
              B_l \le S_{f,s} \ (f \text{ a floating end on plot } s)
    """
    links = m.links
    rows = []
    candidates = set(m.CANDIDATES)
    floating = set(m.FLOATING)
    columns = ("supplier", "receiver", "from_site", "to_site", "internal")
    for l, sup, rec, fs, ts, internal in zip(
        links.index.tolist(), *(links[c].tolist() for c in columns)
    ):
        if internal:
            continue
        for firm, site in ((sup, fs), (rec, ts)):
            if firm in floating:
                rows.append((l, firm, site))
            elif firm in candidates:
                rows.append((l, firm, None))
    if not rows:
        return
    m.LINK_ENDS = list(dict.fromkeys(rows))

    def rule(m, l, firm, site):
        if site is None:
            return m.Build[l] <= m.Admit[firm]
        return m.Build[l] <= m.Place[firm, site]

    m.link_endpoint = pyo.Constraint(m.LINK_ENDS, rule=rule, doc="links need admitted ends")


@family("plot_flow")
def add_plot_flows(m: pyo.ConcreteModel) -> None:
    r"""A floating candidate exchanges on a plot at most what its row holds, and only on
    the plot it is placed on.

    .. math:: \sum_{l \in out(c,i),\ from(l) = s} F_{cl} \le \bar q_{ci} \, S_{f(i),s},
              \qquad
              \sum_{l \in in(c,j),\ to(l) = s} η_l F_{cl} \le \bar q_{cj} \, S_{f(j),s}
              \qquad f \in FLOATING

    ===============  ========================================================  =======
    \bar q_{ci}      most row i holds in case c (process row: ratio·T̄_p·r_c)     unit/yr
    from(l), to(l)   the sites link l leaves from and arrives at                —
    ===============  ========================================================  =======

    With the candidate on one plot these follow from the balances and B_l ≤ S_{f,s}
    (:func:`add_link_endpoints`), so no design is cut off; the LP relaxation of a candidate
    spread over several plots, though, could send its whole row from each of them through
    links of its own. Measured on generated 400-firm parks with 12 candidates on 12 plots,
    the relaxation's bound came 0.3–0.7 % closer to the optimum (benchmarks/coupled.py).
    """
    floating = set(m.FLOATING)
    if not floating:
        return
    links = m.links
    external = ~links["internal"].astype(bool)
    cases_of = grouped((l for _, l in m.S_LINKS), (c for c, _ in m.S_LINKS))
    # Σ w F per (case, row, firm, plot): w = 1 on the supply side, η_l on the demand side
    terms: dict[tuple, tuple[list, list]] = {}
    for firm, row, at, factor in (
        ("supplier", "supply_flow", "from_site", None),
        ("receiver", "demand_flow", "to_site", "delivered_factor"),
    ):
        mine = links[external & links[firm].isin(floating)]
        weights = mine[factor].tolist() if factor else [1.0] * len(mine)
        for l, r, f, s, w in zip(mine.index, mine[row], mine[firm], mine[at], weights):
            for c in cases_of.get(l, ()):
                coefs, variables = terms.setdefault((c, r, f, s), ([], []))
                coefs.append(w)
                variables.append(m.Flow[c, l])
    if not terms:
        return
    m.PLOT_FLOWS = list(terms)
    m.plot_flow = pyo.Constraint(
        m.PLOT_FLOWS,
        rule=lambda m, c, row, firm, site: (
            linear(*terms[c, row, firm, site]) <= m.amount[c, row] * m.Place[firm, site]
        ),
        doc="a floating candidate exchanges only on its plot",
    )


# --- caps over the park --------------------------------------------------------------------


def _capped_rows(park: Park) -> list[list[str]]:
    """The demand rows of each resource with a max_virgin cap: one purchase sum."""
    flows = park.flows
    capped = park.resources["max_virgin"].dropna().index
    demand = flows[(flows["direction"] == "demand") & flows["resource_id"].isin(capped)]
    return [list(group.index) for _, group in demand.groupby("resource_id")]


@family("max_virgin", elastic=True, joins=_capped_rows)
def add_max_virgin(m: pyo.ConcreteModel) -> None:
    r"""Cap on the park's yearly purchase of a resource, in every scenario.

    .. math:: \sum_{c \in s} \sum_{j: r(j) = r} P_{cj} \le V^{max}_r
              \qquad \forall s, r: V^{max}_r \text{ given}
    """
    caps = m.park.resources["max_virgin"].dropna()
    if caps.empty:
        return
    rows_of = grouped(((m.case[c].scenario, m.resource_of[j]) for c, j in m.S_DEMAND), m.S_DEMAND)
    m.S_CAPPED = [(s, r) for s in m.SCENARIOS for r in caps.index if rows_of.get((s, r))]
    if not m.S_CAPPED:
        return
    m.max_virgin = pyo.Constraint(
        m.S_CAPPED,
        rule=lambda m, s, r: sum(m.Purchase[c, j] for c, j in rows_of[s, r]) <= float(caps[r]),
        doc="virgin purchase cap",
    )


@family("plot_capacity", "one_plot", elastic=True)
def add_siting(m: pyo.ConcreteModel) -> None:
    r"""Each admitted floating candidate sits on exactly one allowed plot; plot capacity.

    .. math:: \sum_{s} S_{f,s} = A_f \ \forall f \in FLOATING, \qquad
              \sum_{f} S_{f,s} \le cap_s \ \forall s \in PLOTS
    """
    if not m.PLACEMENTS:
        return
    plots_of = grouped((f for f, _ in m.PLACEMENTS), (s for _, s in m.PLACEMENTS))
    firms_on = grouped((s for _, s in m.PLACEMENTS), (f for f, _ in m.PLACEMENTS))
    m.one_plot = pyo.Constraint(
        m.FLOATING,
        rule=lambda m, f: sum(m.Place[f, s] for s in plots_of[f]) == m.Admit[f],
        doc="an admitted floating candidate sits on one plot",
    )
    capacity = m.park.sites["capacity"].to_dict()
    m.PLOTS = sorted(firms_on)
    m.plot_capacity = pyo.Constraint(
        m.PLOTS,
        rule=lambda m, s: sum(m.Place[f, s] for f in firms_on[s]) <= capacity[s],
        doc="plot capacity",
    )


@family("dependency_limit", elastic=True)
def add_dependency_limit(m: pyo.ConcreteModel) -> None:
    r"""No demand row takes more than a share δ of its yearly quantity from one supplying
    firm (internal arcs aside), in every scenario.

    .. math:: \sum_{c \in s} \sum_{l \in in(c,j), f(i(l)) = g} η_l F_{cl}
              \le δ \, q_j \, A_{f(j)} \qquad \forall (s, j, g)
    """
    share = m.park.settings.max_dependency_share
    if share >= 1:
        return
    internal = m.links["internal"].astype(bool).to_dict()
    demand_of = m.links["demand_flow"].to_dict()
    supplier = m.links["supplier"].to_dict()
    external = [(c, l) for c, l in m.S_LINKS if not internal[l]]
    groups = grouped(
        ((m.case[c].scenario, demand_of[l], supplier[l]) for c, l in external), external
    )
    if not groups:
        return
    eta = m.links["delivered_factor"].to_dict()
    m.S_DEPENDENCIES = list(groups)

    def rule(m, s, j, g):
        delivered = sum(eta[l] * m.Flow[c, l] for c, l in groups[(s, j, g)])
        return delivered <= share * yearly_quantity(m, s, j)

    m.dependency_limit = pyo.Constraint(m.S_DEPENDENCIES, rule=rule, doc="dependency limit")


def _max_links(park: Park) -> str | None:
    if park.settings.max_links is not None:
        return "max_links (one cap over every link)"
    return None


@family("max_links", elastic=True, couples=_max_links)
def add_max_links(m: pyo.ConcreteModel) -> None:
    r"""Cap on the number of links built (internal arcs are not links).

    .. math:: \sum_l B_l \le N^{max}
    """
    cap = m.park.settings.max_links
    if cap is None or not m.BUILT_LINKS:
        return
    m.max_links = pyo.Constraint(expr=sum(m.Build[l] for l in m.BUILT_LINKS) <= cap)


# --- processes -----------------------------------------------------------------------------


def process_fixed_cost(processes, process: str) -> float:
    """What building a process costs a year, whatever it treats: annualised capex + opex."""
    return float(
        processes.at[process, "crf"] * processes.at[process, "capex_fixed"]
        + processes.at[process, "opex_fixed"]
    )


def _process_rows(park: Park) -> list[list[str]]:
    """Each process's inputs and outputs: converting one into the other couples them."""
    if "process" not in park.flows or park.processes.empty:
        return []
    rows = park.flows[park.flows["process"].notna()]
    return [list(group.index) for _, group in rows.groupby("process")]


@family(
    "process_rate",
    "process_minimum",
    "process_size",
    "process_firm",
    "hub_has_process",
    joins=_process_rows,
)
def add_process_operation(m: pyo.ConcreteModel) -> None:
    r"""A process runs only if built and its firm is in the park, within its capacity in
    every period, and at least its minimum over the year when built.

    .. math:: T_{cp} \le r_c \, \bar T_p \, Y_p \ (\text{or } r_c K^P_p
              \text{ when sized}), \qquad K^P_p \le \bar T_p Y_p, \qquad
              \sum_{c \in s} T_{cp} \ge \underline T_p Y_p, \qquad Y_p \le A_{f(p)},
              \qquad A_h \le \sum_{p \in h} Y_p

    ================  ========================================  =============
    T_cp              throughput of process p in case c          units
    Y_p               1 if p is built (fixed at 1 if must_build;  binary
                      none where nothing forces a decision)
    K^P_p             sized throughput capacity                  units/yr
    \bar T_p          max_throughput                             units/yr
    \underline T_p    min_throughput                             units/yr
    ================  ========================================  =============

    Its inputs and outputs are rows whose quantity is ratio × T_cp (:func:`row_quantity`);
    a process of a firm without a build decision runs whenever the firm is in the park. The
    minimum holds in every scenario the park is operated in, not in a scenario where a firm
    has left (defection, docs/analyses.md): a built unit that loses its feed idles. A
    hub h (a candidate firm whose only rows are its processes') joins the park only to run
    at least one of them.
    """
    if not m.PROCESSES:
        return
    procs = m.park.processes
    decided = set(m.DECIDED)
    sized = set(m.SIZED_PROCESSES)

    def built(p):
        return m.ProcessBuilt[p] if p in decided else m.Admit[m.firm_of_process[p]]

    def rate(m, c, p):
        if p in sized:
            return m.Throughput[c, p] <= m.rate[c] * m.ProcessCapacity[p]
        return m.Throughput[c, p] <= m.rate[c] * procs.at[p, "max_throughput"] * built(p)

    m.process_rate = pyo.Constraint(m.S_PROCESS, rule=rate, doc="throughput within capacity")
    operated = [s for s in m.SCENARIOS if not any(m.case[c].gone for c in m.cases_of[s])]
    minimum = [
        (s, p)
        for s in operated
        for p in m.DECIDED
        if procs.at[p, "min_throughput"] > 0 and any((c, p) in m.Throughput for c in m.cases_of[s])
    ]
    if minimum:
        m.S_PROCESS_MINIMUM = minimum
        m.process_minimum = pyo.Constraint(
            minimum,
            rule=lambda m, s, p: (
                sum(m.Throughput[c, p] for c in m.cases_of[s] if (c, p) in m.Throughput)
                >= procs.at[p, "min_throughput"] * m.ProcessBuilt[p]
            ),
            doc="minimum yearly throughput when built",
        )
    if m.SIZED_PROCESSES:
        m.process_size = pyo.Constraint(
            m.SIZED_PROCESSES,
            rule=lambda m, p: m.ProcessCapacity[p] <= procs.at[p, "max_throughput"] * built(p),
            doc="sized capacity only when built",
        )
    if m.DECIDED:
        m.process_firm = pyo.Constraint(
            m.DECIDED,
            rule=lambda m, p: m.ProcessBuilt[p] <= m.Admit[m.firm_of_process[p]],
            doc="a process exists only if its firm is in the park",
        )
    if m.HUBS:
        processes_of = {h: [p for p in m.DECIDED if m.firm_of_process[p] == h] for h in m.HUBS}
        m.hub_has_process = pyo.Constraint(
            m.HUBS,
            rule=lambda m, h: m.Admit[h] <= sum(m.ProcessBuilt[p] for p in processes_of[h]),
            doc="a hub joins only to run a process",
        )


# --- per-firm economics --------------------------------------------------------------------


@family()
def add_firm_gains(m: pyo.ConcreteModel) -> None:
    r"""Each firm's gain in the park as designed: its share of the net saving of every link
    it is part of, over the cases of the planned scenario.

    .. math:: s_l = \sum_{c} F_{cl} (η_l p_{j(l)} + p_{i(l)} - v_l) - k_l B_l - κ_l K_l,
              \qquad
              G_f = \sum_{l: f \text{ supplies}} σ s_l + \sum_{l: f \text{ receives}} (1-σ) s_l

    A firm running processes also bears their costs and its process rows' purchases and
    discharges (they add nothing to its baseline), :func:`_process_costs_to_firms`.

    ======  ===============================================  ============
    p_j     receiver's purchase price (0 if it cannot buy)    money/unit
    p_i     supplier's discharge price                        money/unit
    v_l     transport + treatment cost per unit sent          money/unit
    k_l     annualised capex + fixed opex of the link         money/yr
    σ       settings.supplier_share                           —
    ======  ===============================================  ============

    The gains are built only when ``win_win`` bounds them: the report's per-firm economics
    are recomputed from the design (:mod:`.solution`), and at 2 000 firms these 2 000 sums
    of 480 000 terms took a quarter of the model's build (benchmarks/scale.py).
    """
    if not m.park.settings.win_win:
        return
    links = m.links
    sigma = m.park.settings.supplier_share
    unit_saving = (
        links["delivered_factor"] * links["receiver_price"]
        + links["supplier_price"]
        - links["var_cost"]
    ).to_dict()
    fixed = links["fixed_cost"].to_dict()
    size_cost = links["size_cost"].to_dict()
    built = set(m.BUILT_LINKS)
    sized = set(m.SIZED)
    ends = dict(
        zip(links.index.tolist(), zip(links["supplier"].tolist(), links["receiver"].tolist()))
    )
    planned = set(m.PLANNED_CASES)
    flows_of = grouped(
        (l for c, l in m.S_LINKS if c in planned),
        (m.Flow[c, l] for c, l in m.S_LINKS if c in planned),
    )

    # σ s_l for the supplier, (1 − σ) s_l for the receiver, as flat coefficient lists
    terms: dict[str, tuple[list, list]] = {}
    for l in links.index.tolist():
        if l not in flows_of:
            continue
        sup, rec = ends[l]
        for firm, w in ((sup, sigma), (rec, 1 - sigma)):
            coefs, variables = terms.setdefault(firm, ([], []))
            for flow in flows_of[l]:
                coefs.append(w * unit_saving[l])
                variables.append(flow)
            if l in built:
                coefs.append(-w * fixed[l])
                variables.append(m.Build[l])
            if l in sized:
                coefs.append(-w * size_cost[l])
                variables.append(m.Capacity[l])
    _process_costs_to_firms(m, terms, planned)
    m.Gain = pyo.Expression(
        m.FIRMS,
        rule=lambda m, f: linear(*terms[f]) if f in terms else 0,
        doc="firm's gain against standalone [money/yr]",
    )


def _process_costs_to_firms(m: pyo.ConcreteModel, terms: dict, planned: set[int]) -> None:
    """A process's costs, and its rows' purchases and discharges, are its firm's (its rows
    add nothing to the baseline): − (k_p Y_p + κ_p K_p + Σ_c v_p T_cp + Σ p P + Σ p D)."""
    if not m.PROCESSES:
        return
    procs = m.park.processes
    for p in m.PROCESSES:
        coefs, variables = terms.setdefault(m.firm_of_process[p], ([], []))
        if p in m.ProcessBuilt:
            coefs.append(-process_fixed_cost(procs, p))
            variables.append(m.ProcessBuilt[p])
        if p in m.ProcessCapacity:
            coefs.append(-procs.at[p, "crf"] * procs.at[p, "capex_per_capacity"])
            variables.append(m.ProcessCapacity[p])
        for c in planned:
            if (c, p) in m.Throughput:
                coefs.append(-procs.at[p, "cost_per_unit"])
                variables.append(m.Throughput[c, p])
        for row in m.rows_of_process[p]:
            market = m.Purchase if row in m.buyable else m.Discharge
            for c in planned:
                if (c, row) in market and not np.isnan(m.price[row]) and m.price[row]:
                    coefs.append(-m.price[row])
                    variables.append(market[c, row])


def _win_win(park: Park) -> str | None:
    if park.settings.win_win:
        return "win_win (a firm's gain sums its links over every resource)"
    return None


@family("win_win", elastic=True, couples=_win_win)
def add_win_win(m: pyo.ConcreteModel) -> None:
    r"""Every firm gains in the park as designed (non-admitted firms have no flows, so
    0 ≥ 0 holds for them).

    .. math:: G_f \ge 0 \qquad \forall f \in FIRMS
    """
    if not m.park.settings.win_win:
        return
    active = [f for f in m.FIRMS if not isinstance(m.Gain[f].expr, (int, float))]
    if not active:
        return
    m.WIN_WIN_FIRMS = active
    m.win_win = pyo.Constraint(
        m.WIN_WIN_FIRMS, rule=lambda m, f: m.Gain[f] >= 0, doc="every firm gains"
    )
