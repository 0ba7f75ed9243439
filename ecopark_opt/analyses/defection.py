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
from dataclasses import dataclass, field, replace

import pandas as pd

from ..core.links import candidate_links
from ..core.model import PLANNED, Case
from ..core.optimize import RunOptions, optimize
from ..core.park_model import ParkModel
from ..core.solve import SolveResult, require_solution
from ..errors import InfeasibleError, InputError
from ..inputs.presolve import deliverable
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


def unsupported(park: Park) -> str | None:
    """Why the defection-aware design cannot be made for ``park`` (None: it can)."""
    candidates = list(park.firms.index[park.firms["status"] == "candidate"])
    if candidates:
        return "defection-aware design supports existing firms only; candidates: " + ", ".join(
            candidates
        )
    return None


def defection_aware_design(park: Park, options: RunOptions = RunOptions()) -> DefectionResult:
    """Minimise the expected annual cost over the defection scenarios; compare with the plain
    cost-optimal design evaluated over the same scenarios."""
    started = time.perf_counter()
    if options.objective not in (None, "cost"):
        raise InputError(
            f"the defection-aware design minimises expected cost; objective "
            f"'{options.objective}' is not supported"
        )
    reason = unsupported(park)
    if reason:
        raise InputError(reason)
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
    plain = optimize(park, replace(options, objective="cost", share=1.0 / 3))
    links = candidate_links(park)
    problems = scenario_problems(park, links, scenarios)
    if problems:
        raise InfeasibleError(problems)
    model = ParkModel.build(park, links, defection_cases(park, scenarios))
    model.minimise_absolute("cost")  # the expected annual cost

    # the plain design, its links fixed, operated in every scenario
    plain_build, _ = model.link_ids(set(plain.design_key()))
    plain_processes = model.process_ids(plain.built_processes())
    with model.fixed(build=plain_build, processes=plain_processes):
        plain_eval = _evaluate(
            model, model.run(options.solve_options(park, share=0.5)), "plain", scenarios
        )

    result = model.run(options.solve_options(park))
    if result.status == "infeasible":
        raise InfeasibleError(
            "no design keeps the park running in every defection scenario (a max_virgin cap, "
            "a quality limit or max_dependency_share cannot hold when some firm leaves)"
        )
    require_solution(result)
    aware_eval = _evaluate(model, result, "defection-aware", scenarios)
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
    """A demand that cannot be bought must still be deliverable, in every period, when a
    firm leaves."""
    problems = []
    flows = park.flows
    demand = flows[
        (flows["direction"] == "demand") & flows["price"].isna() & (flows["quantity"] > 0)
    ]
    shares = park.shares()
    for gone in scenarios["firm"]:
        if gone is None:
            continue
        remaining = links[links["supplier"] != gone]
        for t in park.period_hours.index:
            reach = deliverable(park, remaining, shares, t)
            when = f" in period {t}" if park.has_periods else ""
            for j, row in demand.iterrows():
                if row["firm_id"] == gone:
                    continue
                wanted = float(row["quantity"]) * float(shares.at[j, t])
                possible = float(reach.get(j, 0.0))
                if possible < wanted * (1 - 1e-9):
                    unit = park.resources.at[row["resource_id"], "unit"]
                    problems.append(
                        f"{park.flow_cell(j)} (quantity): if {gone} leaves, {row['firm_id']} "
                        f"needs {wanted:g} {unit} of {row['resource_id']}{when}, which cannot "
                        f"be bought, and other firms can deliver at most {possible:g}; set "
                        f"{gone}'s defection_probability to 0 or give the resource a "
                        "virgin_price"
                    )
    return list(dict.fromkeys(problems))


def defection_cases(park: Park, scenarios: pd.DataFrame) -> list[Case]:
    """One operating case per scenario and period: nobody leaves (the park as designed), or
    firm k leaves (its rows and links are absent); each weighted by its scenario's
    probability, so that the model's cost is the expected annual cost."""
    return [
        Case(
            scenario=PLANNED if firm is None else firm,
            period=period,
            weight=float(probability),
            gone=frozenset() if firm is None else frozenset({firm}),
        )
        for firm, probability in zip(scenarios["firm"], scenarios["probability"])
        for period in park.period_hours.index
    ]


def _evaluate(
    model: ParkModel, result: SolveResult, name: str, scenarios: pd.DataFrame
) -> DesignUnderDefection:
    """The design now in the model: cost, virgin and co2e of every scenario."""
    links = model.links
    if not result.has_solution:
        frame = pd.DataFrame(
            {"cost": math.nan, "virgin": math.nan, "co2e": math.nan}, index=scenarios.index
        )
        return DesignUnderDefection(
            name, result.status, links.iloc[0:0][BUILT_COLUMNS], frame, math.nan
        )
    by_scenario = model.scenario_metrics()
    names = [PLANNED if firm is None else firm for firm in scenarios["firm"]]
    frame = by_scenario.loc[names].set_axis(scenarios.index)
    expected = float((frame["cost"] * scenarios["probability"]).sum())
    built = links.loc[model.built(), BUILT_COLUMNS]
    return DesignUnderDefection(name, result.status, built, frame, expected)
