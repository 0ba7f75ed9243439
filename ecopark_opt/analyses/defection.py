"""A design that expects partners to leave: the defection-aware design.

A two-stage stochastic programme over the expected annual cost. The links built are decided
once; flows, purchases and discharges are decided per scenario: nobody leaves (probability
1 − Σ p_k) or firm k leaves (probability p_k, the firm's ``defection_probability``, blank =
``settings.defection_probability``; firms with p_k = 0 give no scenario). In scenario k,
firm k's rows vanish and its links are stranded (still paid for). Every constraint of the
core model applies in every scenario, except win-win, which applies to the planned park
(nobody leaves) as in the plain design. Existing firms only; the objective is cost.

The plain design (the core's cost-optimal design) is evaluated in the same model with its
links fixed, so the two expected costs are comparable; if the solver's defection-aware
design (within its MIP gap) is not cheaper in expectation, the plain design is kept, so the
defection-aware expected cost is never above the plain one.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..core.links import candidate_links
from ..core.optimize import RunOptions, optimize
from ..core.solve import SolveResult, require_solution, solve
from ..core.vocabulary import link_keys
from ..errors import InfeasibleError, InputError
from ..park import Park
from .resilience import BUILT_COLUMNS, COST_TOL, NOBODY


@dataclass
class DesignUnderDefection:
    """A design evaluated over the defection scenarios.

    ``built``: the links it builds (supplier, receiver, from/to resource, mode, sites,
    fixed_cost). ``scenarios``: per scenario cost, virgin, co2e (NaN when the design cannot
    be operated in that scenario). ``expected_cost``: probability-weighted cost (NaN if any
    scenario with positive probability cannot be operated).
    """

    name: str
    status: str
    built: pd.DataFrame
    scenarios: pd.DataFrame
    expected_cost: float

    @property
    def planned_cost(self) -> float:
        """Cost when nobody leaves."""
        return float(self.scenarios["cost"].iloc[0])

    @property
    def link_ids(self) -> set[int]:
        return set(self.built.index)


@dataclass
class DefectionResult:
    """Plain design vs defection-aware design over the same scenarios."""

    park: Park
    scenarios: pd.DataFrame  # index scenario number; firm (None = nobody), label, probability
    plain: DesignUnderDefection
    aware: DesignUnderDefection
    status: str
    gap: float | None
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def expected_saving(self) -> float:
        """Plain expected cost minus defection-aware expected cost (≥ 0)."""
        return self.plain.expected_cost - self.aware.expected_cost

    @property
    def robustness_cost(self) -> float:
        """What the defection-aware design costs more when nobody leaves."""
        return self.aware.planned_cost - self.plain.planned_cost

    def differing_links(self) -> pd.DataFrame:
        """Links built by one design only, with ``plain`` / ``aware`` flags."""
        ids = sorted(self.plain.link_ids ^ self.aware.link_ids)
        both = pd.concat([self.plain.built, self.aware.built])
        out = both[~both.index.duplicated()].reindex(ids)
        out["plain"] = [l in self.plain.link_ids for l in ids]
        out["aware"] = [l in self.aware.link_ids for l in ids]
        return out


def defection_scenarios(park: Park) -> pd.DataFrame:
    """Scenario 0: nobody leaves, probability 1 − Σ p_k; then one per firm with p_k > 0."""
    p = park.firms["defection_probability"].astype(float)
    p = p[p > 0]
    total = float(p.sum())
    if total > 1 + 1e-9:
        raise InputError(
            f"firms (defection_probability): the probabilities add up to {total:g} > 1; "
            "the scenarios 'firm k leaves' are exclusive, so their sum must be at most 1"
        )
    rows = [{"firm": None, "label": NOBODY, "probability": max(0.0, 1.0 - total)}]
    rows += [
        {"firm": f, "label": f"{park.firms.at[f, 'name']} leaves", "probability": float(q)}
        for f, q in p.items()
    ]
    out = pd.DataFrame(rows)
    out["firm"] = out["firm"].astype(object).where(out["firm"].notna(), None)
    out.index.name = "scenario"
    return out


def defection_aware_design(park: Park, options: RunOptions = RunOptions()) -> DefectionResult:
    """Minimise the expected annual cost over the defection scenarios; compare with the plain
    cost-optimal design evaluated over the same scenarios."""
    started = time.perf_counter()
    if options.objective not in (None, "cost"):
        raise InputError(
            f"the defection-aware design minimises expected cost; objective "
            f"'{options.objective}' is not supported"
        )
    candidates = list(park.firms.index[park.firms["status"] == "candidate"])
    if candidates:
        raise InputError(
            "defection-aware design supports existing firms only; candidates: "
            + ", ".join(candidates)
        )
    notes = []
    if park.settings.objective != "cost":
        notes.append(
            f"The workbook's objective is {park.settings.objective}; both designs "
            "here minimise cost."
        )
        park = replace(park, settings=park.settings.with_(objective="cost"))
    scenarios = defection_scenarios(park)
    if len(scenarios) == 1:
        notes.append(
            "No firm has a defection probability (firms column or the "
            "defection_probability setting): the two designs coincide."
        )
    solve_options = options.solve_options(park)

    plain = optimize(park, replace(options, objective="cost"))
    links = candidate_links(park)
    problems = scenario_problems(park, links, scenarios)
    if problems:
        raise InfeasibleError(problems)
    m = build_defection_model(park, links, scenarios)

    model_id = {key: l for l, key in zip(links.index, link_keys(links))}
    pl = plain.links
    plain_build = {l: 0 for l in m.BUILT_LINKS}
    for key, b, internal in zip(link_keys(pl), pl["build"], pl["internal"]):
        if b > 0.5 and not internal:
            plain_build[model_id[key]] = 1

    # the plain design, its links fixed, operated in every scenario
    for l in m.BUILT_LINKS:
        m.Build[l].fix(plain_build[l])
    plain_result = solve(m, solve_options)
    plain_eval = _evaluate(m, plain_result, "plain", scenarios)
    for l in m.BUILT_LINKS:
        m.Build[l].unfix()

    result = solve(m, solve_options)
    if result.status == "infeasible":
        raise InfeasibleError(
            "no design keeps the park running in every defection scenario (a max_virgin cap, "
            "a quality limit or max_dependency_share cannot hold when some firm leaves)"
        )
    require_solution(result)
    aware_eval = _evaluate(m, result, "defection-aware", scenarios)
    plain_expected = plain_eval.expected_cost
    if not math.isnan(plain_expected) and (
        aware_eval.link_ids == plain_eval.link_ids
        or aware_eval.expected_cost >= plain_expected - COST_TOL * max(1.0, abs(plain_expected))
    ):
        aware_eval = replace(plain_eval, name="defection-aware")
        notes.append(
            "Building for defection does not pay here: the defection-aware design "
            "is the plain design."
        )
    return DefectionResult(
        park=park,
        scenarios=scenarios,
        plain=plain_eval,
        aware=aware_eval,
        status=result.status,
        gap=result.gap,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def scenario_problems(park: Park, links: pd.DataFrame, scenarios: pd.DataFrame) -> list[str]:
    """A demand that cannot be bought must still be deliverable when a firm leaves."""
    problems = []
    flows = park.flows
    demand = flows[
        (flows["direction"] == "demand") & flows["price"].isna() & (flows["quantity"] > 0)
    ]
    reach = links["upper"] * links["delivered_factor"]
    for gone in scenarios["firm"]:
        if gone is None:
            continue
        for j, row in demand.iterrows():
            if row["firm_id"] == gone:
                continue
            into = (links["demand_flow"] == j) & (links["supplier"] != gone)
            possible = float(reach[into].sum())
            if possible < row["quantity"] * (1 - 1e-9):
                unit = park.resources.at[row["resource_id"], "unit"]
                problems.append(
                    f"{park.flow_cell(j)} (quantity): if {gone} leaves, {row['firm_id']} "
                    f"needs {row['quantity']:g} {unit} of {row['resource_id']}, which cannot "
                    f"be bought, and other firms can deliver at most {possible:g}; set "
                    f"{gone}'s defection_probability to 0 or give the resource a virgin_price"
                )
    return problems


def build_defection_model(
    park: Park, links: pd.DataFrame, scenarios: pd.DataFrame
) -> pyo.ConcreteModel:
    """The two-stage model: shared ``Build``, per-scenario operation, expected cost."""
    m = pyo.ConcreteModel(name="ecopark_defection")
    add_scenario_sets(m, park, links, scenarios)
    add_scenario_variables(m)
    add_scenario_supply_balance(m)
    add_scenario_demand_balance(m)
    add_scenario_quality_limits(m)
    add_scenario_link_capacity(m)
    add_scenario_max_virgin(m)
    add_scenario_dependency_limit(m)
    add_shared_max_links(m)
    add_planned_win_win(m)
    add_expected_cost(m)
    return m


def add_scenario_sets(
    m: pyo.ConcreteModel, park: Park, links: pd.DataFrame, scenarios: pd.DataFrame
) -> None:
    """Scenarios s (0 = nobody leaves) and the rows and links that remain in each.

    =========  ==================================================  =====
    π_s        probability of scenario s                            —
    g(s)       the firm gone in scenario s (none for s = 0)         —
    =========  ==================================================  =====
    """
    m.park = park
    m.links = links
    flows = park.flows
    m.SCENARIOS = list(scenarios.index)
    m.prob = scenarios["probability"].astype(float).to_dict()
    m.gone = scenarios["firm"].to_dict()
    m.qty = flows["quantity"].astype(float).to_dict()
    m.price = flows["price"].astype(float).to_dict()
    m.firm_of = flows["firm_id"].to_dict()
    m.resource_of = flows["resource_id"].to_dict()
    supply = list(flows.index[flows["direction"] == "supply"])
    demand = list(flows.index[flows["direction"] == "demand"])
    m.buyable = {j: not np.isnan(m.price[j]) for j in demand}
    m.BUILT_LINKS = list(links.index[~links["internal"].astype(bool)])
    ends = list(zip(links.index, links["supplier"], links["receiver"]))
    m.S_LINKS = [(s, l) for s in m.SCENARIOS for l, a, b in ends if m.gone[s] not in (a, b)]
    m.S_SUPPLY = [(s, i) for s in m.SCENARIOS for i in supply if m.firm_of[i] != m.gone[s]]
    m.S_DEMAND = [(s, j) for s in m.SCENARIOS for j in demand if m.firm_of[j] != m.gone[s]]
    supply_of = links["supply_flow"].to_dict()
    demand_of = links["demand_flow"].to_dict()
    m.links_out = defaultdict(list)
    m.links_in = defaultdict(list)
    for s, l in m.S_LINKS:
        m.links_out[s, supply_of[l]].append(l)
        m.links_in[s, demand_of[l]].append(l)


def add_scenario_variables(m: pyo.ConcreteModel) -> None:
    """``Build`` (first stage, shared); ``Flow``, ``Purchase``, ``Discharge`` per scenario."""
    upper = m.links["upper"].to_dict()
    m.Build = pyo.Var(m.BUILT_LINKS, within=pyo.Binary, doc="1 if the link is built")
    m.Flow = pyo.Var(
        m.S_LINKS,
        within=pyo.NonNegativeReals,
        bounds=lambda _, s, l: (0, upper[l]),
        doc="quantity sent on a link in a scenario [supplied unit/yr]",
    )
    m.Purchase = pyo.Var(
        m.S_DEMAND,
        within=pyo.NonNegativeReals,
        bounds=lambda _, s, j: (0, m.qty[j]),
        doc="virgin purchase [unit/yr]",
    )
    m.Discharge = pyo.Var(
        m.S_SUPPLY,
        within=pyo.NonNegativeReals,
        bounds=lambda _, s, i: (0, m.qty[i]),
        doc="discharge [unit/yr]",
    )
    for s, j in m.S_DEMAND:
        if not m.buyable[j]:
            m.Purchase[s, j].fix(0)


def add_scenario_supply_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit a remaining firm supplies is sent or discharged, in every scenario.

    .. math:: \sum_{l \in out_s(i)} F_{s,l} + D_{s,i} = q_i
              \qquad \forall s,\ i \in SUPPLY: f(i) \ne g(s)
    """
    if not m.S_SUPPLY:
        return

    def rule(m, s, i):
        sent = sum(m.Flow[s, l] for l in m.links_out.get((s, i), ()))
        return sent + m.Discharge[s, i] == m.qty[i]

    m.supply_balance = pyo.Constraint(m.S_SUPPLY, rule=rule, doc="supply balance per scenario")


def add_scenario_demand_balance(m: pyo.ConcreteModel) -> None:
    r"""Every unit a remaining firm demands is delivered or bought, in every scenario.

    .. math:: \sum_{l \in in_s(j)} η_l F_{s,l} + P_{s,j} = q_j
              \qquad \forall s,\ j \in DEMAND: f(j) \ne g(s)
    """
    if not m.S_DEMAND:
        return
    eta = m.links["delivered_factor"].to_dict()

    def rule(m, s, j):
        delivered = sum(eta[l] * m.Flow[s, l] for l in m.links_in.get((s, j), ()))
        return delivered + m.Purchase[s, j] == m.qty[j]

    m.demand_balance = pyo.Constraint(m.S_DEMAND, rule=rule, doc="demand balance per scenario")


def add_scenario_quality_limits(m: pyo.ConcreteModel) -> None:
    r"""Linear mixing of each limited property, in every scenario.

    .. math:: \sum_{l \in in_s(j)} η_l F_{s,l} c_{i(l),k} + P_{s,j} c^{virgin}_{r(j),k}
              \le L_{j,k} q_j
    """
    park = m.park
    flows = park.flows
    triples = [
        (s, j, k)
        for k in park.property_names
        for s, j in m.S_DEMAND
        if not np.isnan(flows.at[j, k]) and m.qty[j] > 0
    ]
    if not triples:
        return
    eta = m.links["delivered_factor"].to_dict()
    supply_of = m.links["supply_flow"].to_dict()

    def rule(m, s, j, k):
        limit = float(flows.at[j, k])
        virgin = float(park.resources.at[m.resource_of[j], k])
        delivered = sum(
            eta[l] * float(flows.at[supply_of[l], k]) * m.Flow[s, l]
            for l in m.links_in.get((s, j), ())
        )
        return delivered + virgin * m.Purchase[s, j] <= limit * m.qty[j]

    m.S_QUALITY = triples
    m.quality_limit = pyo.Constraint(m.S_QUALITY, rule=rule, doc="quality per scenario")


def add_scenario_link_capacity(m: pyo.ConcreteModel) -> None:
    r"""Flow only on a built link, in every scenario.

    .. math:: F_{s,l} \le U_l B_l \qquad \forall (s, l), l \text{ not internal}
    """
    built = set(m.BUILT_LINKS)
    pairs = [(s, l) for s, l in m.S_LINKS if l in built]
    if not pairs:
        return
    upper = m.links["upper"].to_dict()
    m.S_BUILT = pairs
    m.link_capacity = pyo.Constraint(
        m.S_BUILT,
        rule=lambda m, s, l: m.Flow[s, l] <= upper[l] * m.Build[l],
        doc="flow only on built links",
    )


def add_scenario_max_virgin(m: pyo.ConcreteModel) -> None:
    r"""The park's purchase cap of a resource holds in every scenario.

    .. math:: \sum_{j: r(j) = r} P_{s,j} \le V^{max}_r \qquad \forall s, r
    """
    caps = m.park.resources["max_virgin"].dropna()
    rows_of: dict[tuple, list[str]] = defaultdict(list)
    for s, j in m.S_DEMAND:
        if m.resource_of[j] in caps.index:
            rows_of[s, m.resource_of[j]].append(j)
    if not rows_of:
        return
    m.S_CAPPED = list(rows_of)
    m.max_virgin = pyo.Constraint(
        m.S_CAPPED,
        rule=lambda m, s, r: sum(m.Purchase[s, j] for j in rows_of[s, r]) <= float(caps[r]),
        doc="virgin purchase cap per scenario",
    )


def add_scenario_dependency_limit(m: pyo.ConcreteModel) -> None:
    r"""No demand row takes more than a share δ from one supplying firm, in every scenario.

    .. math:: \sum_{l \in in_s(j), f(i(l)) = g} η_l F_{s,l} \le δ q_j
    """
    share = m.park.settings.max_dependency_share
    if share >= 1:
        return
    links = m.links
    eta = links["delivered_factor"].to_dict()
    internal = links["internal"].astype(bool).to_dict()
    demand_of = links["demand_flow"].to_dict()
    supplier = links["supplier"].to_dict()
    groups: dict[tuple, list] = defaultdict(list)
    for s, l in m.S_LINKS:
        if not internal[l]:
            groups[s, demand_of[l], supplier[l]].append(l)
    if not groups:
        return
    m.S_DEPENDENCIES = list(groups)
    m.dependency_limit = pyo.Constraint(
        m.S_DEPENDENCIES,
        rule=lambda m, s, j, g: (
            sum(eta[l] * m.Flow[s, l] for l in groups[s, j, g]) <= share * m.qty[j]
        ),
        doc="dependency limit per scenario",
    )


def add_shared_max_links(m: pyo.ConcreteModel) -> None:
    r"""Cap on the number of links built.

    .. math:: \sum_l B_l \le N^{max}
    """
    cap = m.park.settings.max_links
    if cap is None or not m.BUILT_LINKS:
        return
    m.max_links = pyo.Constraint(expr=sum(m.Build[l] for l in m.BUILT_LINKS) <= cap)


def add_planned_win_win(m: pyo.ConcreteModel) -> None:
    r"""Win-win for the planned park (scenario 0, nobody leaves), as in the plain design.

    .. math:: G_f = \sum_{l: f \text{ supplies}} σ s_l + \sum_{l: f \text{ receives}}
              (1-σ) s_l \ge 0, \quad s_l = F_{0,l}(η_l p_{j(l)} + p_{i(l)} - v_l) - k_l B_l
    """
    if not m.park.settings.win_win:
        return
    links = m.links
    sigma = m.park.settings.supplier_share
    unit = (
        links["delivered_factor"] * links["receiver_price"]
        + links["supplier_price"]
        - links["var_cost"]
    ).to_dict()
    fixed = links["fixed_cost"].to_dict()
    built = set(m.BUILT_LINKS)
    planned = m.SCENARIOS[0]
    shares: dict[str, list] = defaultdict(list)
    for l, sup, rec in zip(links.index, links["supplier"], links["receiver"]):
        shares[sup].append((sigma, l))
        shares[rec].append((1 - sigma, l))

    def saving(l):
        expr = unit[l] * m.Flow[planned, l]
        return expr - fixed[l] * m.Build[l] if l in built else expr

    m.WIN_WIN_FIRMS = sorted(shares)
    m.win_win = pyo.Constraint(
        m.WIN_WIN_FIRMS,
        rule=lambda m, f: sum(w * saving(l) for w, l in shares[f]) >= 0,
        doc="every firm gains in the planned park",
    )


def add_expected_cost(m: pyo.ConcreteModel) -> None:
    r"""Objective: fixed link costs plus the expected operating cost.

    .. math:: \min \sum_l k_l B_l + \sum_s π_s \Big( \sum_l v_l F_{s,l}
              + \sum_j p_j P_{s,j} + \sum_i p_i D_{s,i} \Big)

    ======  ===========================================  ============
    k_l     annualised capex + fixed opex of link l       money/yr
    v_l     transport + treatment cost per unit sent      money/unit
    p_j     purchase price; p_i discharge price           money/unit
    ======  ===========================================  ============
    """
    fixed = m.links["fixed_cost"].to_dict()
    var = m.links["var_cost"].to_dict()
    m.ExpectedCost = pyo.Expression(
        expr=sum(fixed[l] * m.Build[l] for l in m.BUILT_LINKS)
        + sum(m.prob[s] * var[l] * m.Flow[s, l] for s, l in m.S_LINKS if var[l])
        + sum(
            m.prob[s] * m.price[j] * m.Purchase[s, j]
            for s, j in m.S_DEMAND
            if m.buyable[j] and m.price[j]
        )
        + sum(m.prob[s] * m.price[i] * m.Discharge[s, i] for s, i in m.S_SUPPLY if m.price[i]),
        doc="expected annual cost [money/yr]",
    )
    m.objective = pyo.Objective(expr=m.ExpectedCost, sense=pyo.minimize)


def _evaluate(
    m: pyo.ConcreteModel, result: SolveResult, name: str, scenarios: pd.DataFrame
) -> DesignUnderDefection:
    """Read the solved values once; cost, virgin and co2e of every scenario."""
    links = m.links
    park = m.park
    if not result.has_solution:
        frame = pd.DataFrame(
            {"cost": math.nan, "virgin": math.nan, "co2e": math.nan}, index=scenarios.index
        )
        return DesignUnderDefection(
            name, result.status, links.iloc[0:0][BUILT_COLUMNS], frame, math.nan
        )
    build = {l: round(v.value or 0.0) for l, v in m.Build.items()}
    flow = {k: v.value or 0.0 for k, v in m.Flow.items()}
    purchase = {k: v.value or 0.0 for k, v in m.Purchase.items()}
    discharge = {k: v.value or 0.0 for k, v in m.Discharge.items()}

    res = park.resources
    fixed_cost = links["fixed_cost"].to_dict()
    var = links["var_cost"].to_dict()
    co2 = links["co2e_per_unit"].to_dict()
    fixed_total = sum(fixed_cost[l] for l, b in build.items() if b)
    rows = {s: {"cost": fixed_total, "virgin": 0.0, "co2e": 0.0} for s in m.SCENARIOS}
    for (s, l), x in flow.items():
        rows[s]["cost"] += var[l] * x
        rows[s]["co2e"] += co2[l] * x
    for (s, j), x in purchase.items():
        r = m.resource_of[j]
        if m.buyable[j]:
            rows[s]["cost"] += m.price[j] * x
            rows[s]["virgin"] += float(res.at[r, "virgin_weight"]) * x
            rows[s]["co2e"] += float(res.at[r, "virgin_co2e"]) * x
    for (s, i), x in discharge.items():
        rows[s]["cost"] += m.price[i] * x
        rows[s]["co2e"] += float(res.at[m.resource_of[i], "disposal_co2e"]) * x
    frame = pd.DataFrame.from_dict(rows, orient="index")[["cost", "virgin", "co2e"]]
    frame.index.name = "scenario"
    expected = float((frame["cost"] * scenarios["probability"]).sum())
    built = links.loc[[l for l, b in build.items() if b], BUILT_COLUMNS]
    return DesignUnderDefection(name, result.status, built, frame, expected)
