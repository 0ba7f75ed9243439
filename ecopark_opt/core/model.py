"""The park design MILP (SPEC §3), built in Pyomo from sparse pandas index sets.

``build_model`` reads like a table of contents: sets and data, variables, one call per
constraint family, metrics, objective. Each ``add_*`` function holds one family, with its
inequality and symbols in the docstring, and returns early when its index set is empty.

Symbols used throughout
=======================
==================  =========================================  ==============
symbol              meaning                                    unit
==================  =========================================  ==============
F_l  ``Flow``       quantity sent on link l                    supplied unit/yr
B_l  ``Build``      1 if link l is built                       binary
P_j  ``Purchase``   virgin purchase of demand row j            unit/yr
D_i  ``Discharge``  discharge of supply row i                  unit/yr
A_f  ``Admit``      1 if firm f is in the park                 binary (1 for existing)
S_fs ``Place``      1 if floating candidate f sits on plot s   binary
q_i, q_j            yearly quantity of a supply / demand row   unit/yr
η_l                 delivered per unit sent: ratio·(1 − loss)  —
U_l                 most that link l can carry (tight bound)   supplied unit/yr
==================  =========================================  ==============
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from ..park import Park

OBJECTIVES = ("cost", "virgin", "co2e", "weighted")


def build_model(park: Park, links: pd.DataFrame) -> pyo.ConcreteModel:
    """The whole MILP for ``park`` over the candidate ``links`` (see :mod:`.links`)."""
    m = pyo.ConcreteModel(name="ecopark")
    add_sets(m, park, links)
    add_variables(m)
    add_supply_balance(m)
    add_demand_balance(m)
    add_quality_limits(m)
    add_link_capacity(m)
    add_link_endpoints(m)
    add_siting(m)
    add_max_virgin(m)
    add_dependency_limit(m)
    add_max_links(m)
    add_firm_gains(m)
    add_win_win(m)
    add_metrics(m)
    set_objective(m, park.settings.objective)
    return m


# --- sets and data -------------------------------------------------------------------------


def add_sets(m: pyo.ConcreteModel, park: Park, links: pd.DataFrame) -> None:
    """Index sets and plain-number data (no Pyomo ``Param``: they cost build time).

    The park and the link frame stay on the model (``m.park``, ``m.links``) so that
    analyses can read the data the model was built from.
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

    m.qty = flows["quantity"].astype(float).to_dict()
    m.firm_of = flows["firm_id"].to_dict()
    m.price = flows["price"].astype(float).to_dict()
    m.buyable = {j: not np.isnan(m.price[j]) for j in m.DEMAND}
    resource_of = flows["resource_id"]
    m.virgin_weight = {j: float(res.at[resource_of[j], "virgin_weight"]) for j in m.DEMAND}
    m.virgin_co2e = {j: float(res.at[resource_of[j], "virgin_co2e"]) for j in m.DEMAND}
    m.disposal_co2e = {i: float(res.at[resource_of[i], "disposal_co2e"]) for i in m.SUPPLY}
    m.resource_of = resource_of.to_dict()
    # standalone baseline per row: buy every demand (if it can be bought), discharge every supply
    m.base_cost = {j: m.qty[j] * m.price[j] if m.buyable[j] else 0.0 for j in m.DEMAND}
    m.base_cost |= {i: m.qty[i] * m.price[i] for i in m.SUPPLY}
    m.base_virgin = {j: m.qty[j] * m.virgin_weight[j] if m.buyable[j] else 0.0 for j in m.DEMAND}
    m.base_co2e = {j: m.qty[j] * m.virgin_co2e[j] if m.buyable[j] else 0.0 for j in m.DEMAND}
    m.base_co2e |= {i: m.qty[i] * m.disposal_co2e[i] for i in m.SUPPLY}

    m.links_out = _group(links, "supply_flow")
    m.links_in = _group(links, "demand_flow")
    m.rows_of_firm = defaultdict(list)
    for row, firm in m.firm_of.items():
        m.rows_of_firm[firm].append(row)


def _group(links: pd.DataFrame, column: str) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for link, key in zip(links.index.tolist(), links[column].tolist()):  # lists: fast to walk
        groups[key].append(link)
    return groups


def add_variables(m: pyo.ConcreteModel) -> None:
    """Decisions of SPEC §3; existing firms have ``Admit`` fixed at 1, must_join candidates too;
    a demand that cannot be bought has ``Purchase`` fixed at 0."""
    links = m.links
    firms = m.park.firms
    upper = links["upper"].to_dict()
    m.Flow = pyo.Var(
        m.LINKS,
        within=pyo.NonNegativeReals,
        bounds=lambda _, l: (0, upper[l]),
        doc="quantity sent on a link [supplied unit/yr]",
    )
    m.Build = pyo.Var(m.BUILT_LINKS, within=pyo.Binary, doc="1 if the link is built")
    m.Purchase = pyo.Var(
        m.DEMAND,
        within=pyo.NonNegativeReals,
        bounds=lambda _, j: (0, m.qty[j]),
        doc="virgin purchase [unit/yr]",
    )
    m.Discharge = pyo.Var(
        m.SUPPLY,
        within=pyo.NonNegativeReals,
        bounds=lambda _, i: (0, m.qty[i]),
        doc="discharge as waste [unit/yr]",
    )
    m.Admit = pyo.Var(m.FIRMS, within=pyo.Binary, doc="1 if the firm is in the park")
    m.Place = pyo.Var(m.PLACEMENTS, within=pyo.Binary, doc="1 if a candidate sits on a plot")
    for f in m.FIRMS:
        if firms.at[f, "status"] == "existing" or bool(firms.at[f, "must_join"]):
            m.Admit[f].fix(1)
    for j in m.DEMAND:
        if not m.buyable[j]:
            m.Purchase[j].fix(0)


# --- constraint families -------------------------------------------------------------------


def add_supply_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit supplied is sent on a link or discharged.

    .. math:: \sum_{l \in out(i)} F_l + D_i = q_i \, A_{f(i)} \qquad \forall i \in SUPPLY
    """
    if not m.SUPPLY:
        return

    def rule(m, i):
        sent = sum(m.Flow[l] for l in m.links_out.get(i, ()))
        return sent + m.Discharge[i] == m.qty[i] * m.Admit[m.firm_of[i]]

    m.supply_balance = pyo.Constraint(m.SUPPLY, rule=rule, doc="supply balance")


def add_demand_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit demanded is delivered by links (after ratio and loss) or bought.

    .. math:: \sum_{l \in in(j)} η_l F_l + P_j = q_j \, A_{f(j)} \qquad \forall j \in DEMAND
    """
    if not m.DEMAND:
        return
    eta = m.links["delivered_factor"].to_dict()

    def rule(m, j):
        delivered = sum(eta[l] * m.Flow[l] for l in m.links_in.get(j, ()))
        return delivered + m.Purchase[j] == m.qty[j] * m.Admit[m.firm_of[j]]

    m.demand_balance = pyo.Constraint(m.DEMAND, rule=rule, doc="demand balance")


def add_quality_limits(m: pyo.ConcreteModel) -> None:
    r"""Linear mixing: the delivered mix of each limited property stays within the limit.

    .. math:: \sum_{l \in in(j)} η_l F_l \, c_{i(l),k} + P_j \, c^{virgin}_{r(j),k}
              \le L_{j,k} \, q_j \, A_{f(j)} \qquad \forall (j,k): L_{j,k} \text{ given}

    ============  =================================================  =========
    c_{i,k}       value of property k in supply row i                property unit
    c^virgin      value of k in the virgin resource (blank = 0)       property unit
    L_{j,k}       most accepted by demand row j                      property unit
    ============  =================================================  =========
    """
    park = m.park
    value = {k: park.flows[k].astype(float).to_dict() for k in park.property_names}
    pairs = [
        (j, k)
        for k in park.property_names
        for j in m.DEMAND
        if not np.isnan(value[k][j]) and m.qty[j] > 0
    ]
    if not pairs:
        return
    eta = m.links["delivered_factor"].to_dict()
    supply_of = m.links["supply_flow"].to_dict()

    def rule(m, j, k):
        limit = value[k][j]
        virgin = float(park.resources.at[m.resource_of[j], k])
        delivered = sum(eta[l] * value[k][supply_of[l]] * m.Flow[l] for l in m.links_in.get(j, ()))
        return delivered + virgin * m.Purchase[j] <= limit * m.qty[j] * m.Admit[m.firm_of[j]]

    m.QUALITY = pairs
    m.quality_limit = pyo.Constraint(m.QUALITY, rule=rule, doc="quality of the delivered mix")


def add_link_capacity(m: pyo.ConcreteModel) -> None:
    r"""Flow only on a built link, up to its tightest bound (no arbitrary big-M).

    .. math:: F_l \le U_l \, B_l, \quad U_l = \min\left(q_{i(l)},\ \frac{q_{j(l)}}{η_l},\
              cap_{m(l)}\right) \qquad \forall l \in BUILT\_LINKS
    """
    if not m.BUILT_LINKS:
        return
    upper = m.links["upper"].to_dict()
    m.link_capacity = pyo.Constraint(
        m.BUILT_LINKS,
        rule=lambda m, l: m.Flow[l] <= upper[l] * m.Build[l],
        doc="flow only on built links",
    )


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


def add_siting(m: pyo.ConcreteModel) -> None:
    r"""Each admitted floating candidate sits on exactly one allowed plot; plot capacity.

    .. math:: \sum_{s} S_{f,s} = A_f \ \forall f \in FLOATING, \qquad
              \sum_{f} S_{f,s} \le cap_s \ \forall s \in PLOTS
    """
    if not m.PLACEMENTS:
        return
    plots_of: dict[str, list[str]] = defaultdict(list)
    firms_on: dict[str, list[str]] = defaultdict(list)
    for f, s in m.PLACEMENTS:
        plots_of[f].append(s)
        firms_on[s].append(f)
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


def add_max_virgin(m: pyo.ConcreteModel) -> None:
    r"""Cap on the park's total purchase of a resource.

    .. math:: \sum_{j: r(j) = r} P_j \le V^{max}_r \qquad \forall r: V^{max}_r \text{ given}
    """
    caps = m.park.resources["max_virgin"].dropna()
    if caps.empty:
        return
    rows_of: dict[str, list[str]] = defaultdict(list)
    for j in m.DEMAND:
        rows_of[m.resource_of[j]].append(j)
    m.CAPPED = [r for r in caps.index if rows_of[r]]
    if not m.CAPPED:
        return
    m.max_virgin = pyo.Constraint(
        m.CAPPED,
        rule=lambda m, r: sum(m.Purchase[j] for j in rows_of[r]) <= float(caps[r]),
        doc="virgin purchase cap",
    )


def add_dependency_limit(m: pyo.ConcreteModel) -> None:
    r"""No demand row takes more than a share δ from one supplying firm (internal arcs aside).

    .. math:: \sum_{l \in in(j), f(i(l)) = g} η_l F_l \le δ \, q_j \, A_{f(j)}
              \qquad \forall (j, g)
    """
    share = m.park.settings.max_dependency_share
    if share >= 1:
        return
    links = m.links[~m.links["internal"].astype(bool)]
    groups = _group(links.assign(key=list(zip(links["demand_flow"], links["supplier"]))), "key")
    if not groups:
        return
    eta = m.links["delivered_factor"].to_dict()
    m.DEPENDENCIES = list(groups)

    def rule(m, j, g):
        delivered = sum(eta[l] * m.Flow[l] for l in groups[(j, g)])
        return delivered <= share * m.qty[j] * m.Admit[m.firm_of[j]]

    m.dependency_limit = pyo.Constraint(m.DEPENDENCIES, rule=rule, doc="dependency limit")


def add_max_links(m: pyo.ConcreteModel) -> None:
    r"""Cap on the number of links built (internal arcs are not links).

    .. math:: \sum_l B_l \le N^{max}
    """
    cap = m.park.settings.max_links
    if cap is None or not m.BUILT_LINKS:
        return
    m.max_links = pyo.Constraint(expr=sum(m.Build[l] for l in m.BUILT_LINKS) <= cap)


def add_firm_gains(m: pyo.ConcreteModel) -> None:
    r"""Each firm's gain: its share of the net saving of every link it is part of.

    .. math:: s_l = F_l (η_l p_{j(l)} + p_{i(l)} - v_l) - k_l B_l, \qquad
              G_f = \sum_{l: f \text{ supplies}} σ s_l + \sum_{l: f \text{ receives}} (1-σ) s_l

    ======  ===============================================  ============
    p_j     receiver's purchase price (0 if it cannot buy)    money/unit
    p_i     supplier's discharge price                        money/unit
    v_l     transport + treatment cost per unit sent          money/unit
    k_l     annualised capex + fixed opex of the link         money/yr
    σ       settings.supplier_share                           —
    ======  ===============================================  ============
    """
    links = m.links
    sigma = m.park.settings.supplier_share
    unit_saving = (
        links["delivered_factor"] * links["receiver_price"]
        + links["supplier_price"]
        - links["var_cost"]
    ).to_dict()
    fixed = links["fixed_cost"].to_dict()
    built = set(m.BUILT_LINKS)

    # σ s_l for the supplier, (1 − σ) s_l for the receiver, as flat coefficient lists
    terms: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for l, sup, rec in zip(
        links.index.tolist(), links["supplier"].tolist(), links["receiver"].tolist()
    ):
        for firm, w in ((sup, sigma), (rec, 1 - sigma)):
            coefs, variables = terms[firm]
            coefs.append(w * unit_saving[l])
            variables.append(m.Flow[l])
            if l in built:
                coefs.append(-w * fixed[l])
                variables.append(m.Build[l])
    m.Gain = pyo.Expression(
        m.FIRMS,
        rule=lambda m, f: linear(*terms[f]) if f in terms else 0,
        doc="firm's gain against standalone [money/yr]",
    )


def add_win_win(m: pyo.ConcreteModel) -> None:
    r"""Every firm gains (non-admitted firms have no flows, so 0 ≥ 0 holds for them).

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


# --- metrics and objective -----------------------------------------------------------------


def add_metrics(m: pyo.ConcreteModel) -> None:
    r"""The three metrics of the design and of the standalone baseline of the admitted firms.

    .. math::
        cost = \sum_f a_f A_f + \sum_{f,s} c_s S_{f,s} + \sum_l (k_l B_l + v_l F_l)
               + \sum_j p_j P_j + \sum_i p_i D_i
    .. math:: virgin = \sum_j w_{r(j)} P_j, \qquad
              co2e = \sum_j e^{v}_{r(j)} P_j + \sum_i e^{d}_{r(i)} D_i + \sum_l e_l F_l

    Baselines use q instead of P and D (every admitted firm buys and discharges everything),
    weighted by ``Admit``; a demand that cannot be bought adds nothing.
    """
    park = m.park
    links = m.links
    firms = park.firms
    sites = park.sites
    admission = {f: float(firms.at[f, "admission_cost"]) for f in m.CANDIDATES}
    site_cost = sites["site_cost"].astype(float).to_dict()
    fixed = links["fixed_cost"].to_dict()
    var = links["var_cost"].to_dict()
    co2 = links["co2e_per_unit"].to_dict()
    buy = [j for j in m.DEMAND if m.buyable[j]]

    m.Cost = pyo.Expression(
        expr=linear_sum(
            ((admission[f], m.Admit[f]) for f in m.CANDIDATES),
            ((site_cost[s], m.Place[f, s]) for f, s in m.PLACEMENTS),
            ((fixed[l], m.Build[l]) for l in m.BUILT_LINKS),
            ((var[l], m.Flow[l]) for l in m.LINKS),
            ((m.price[j], m.Purchase[j]) for j in buy),
            ((m.price[i], m.Discharge[i]) for i in m.SUPPLY),
        ),
        doc="annual cost of the design",
    )
    m.Virgin = pyo.Expression(
        expr=linear_sum((m.virgin_weight[j], m.Purchase[j]) for j in buy),
        doc="virgin resource use",
    )
    m.Co2e = pyo.Expression(
        expr=linear_sum(
            ((m.virgin_co2e[j], m.Purchase[j]) for j in buy),
            ((m.disposal_co2e[i], m.Discharge[i]) for i in m.SUPPLY),
            ((co2[l], m.Flow[l]) for l in m.LINKS),
        ),
        doc="emissions [kg CO2e/yr]",
    )

    def baseline(per_row: dict[str, float]):
        return sum(v * m.Admit[m.firm_of[r]] for r, v in per_row.items() if v)

    m.CostBaseline = pyo.Expression(expr=baseline(m.base_cost), doc="standalone cost")
    m.VirginBaseline = pyo.Expression(expr=baseline(m.base_virgin), doc="standalone virgin use")
    m.Co2eBaseline = pyo.Expression(expr=baseline(m.base_co2e), doc="standalone emissions")


def linear(coefs: list[float], variables: list) -> LinearExpression:
    """Σ coefs·variables as one flat linear expression (built ≈2× faster than ``sum``)."""
    return LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=variables)


def linear_sum(*groups) -> LinearExpression:
    """One linear expression from groups of (coefficient, variable) pairs, in order."""
    coefs: list[float] = []
    variables: list = []
    for group in groups:
        for c, v in group:
            coefs.append(c)
            variables.append(v)
    return linear(coefs, variables)


def objective_expression(m: pyo.ConcreteModel, objective: str):
    """A metric measured against the standalone baseline of the admitted firms."""
    if objective == "cost":
        return m.Cost - m.CostBaseline
    if objective == "virgin":
        return m.Virgin - m.VirginBaseline
    if objective == "co2e":
        return m.Co2e - m.Co2eBaseline
    if objective == "weighted":
        s = m.park.settings
        return (
            s.weight_cost * (m.Cost - m.CostBaseline)
            + s.weight_virgin * (m.Virgin - m.VirginBaseline)
            + s.weight_co2e * (m.Co2e - m.Co2eBaseline)
        )
    raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")


def set_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Minimise the chosen metric against the baseline (ties broken in :mod:`.solve`)."""
    if hasattr(m, "objective"):
        m.del_component(m.objective)
    m.objective_name = objective
    m.objective = pyo.Objective(expr=objective_expression(m, objective), sense=pyo.minimize)
