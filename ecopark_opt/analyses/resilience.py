"""Resilience: what happens to the park when a partner leaves (docs/model.md, analyses).

N-1 analysis (``n_minus_1``)
============================
For each firm k admitted in the design, two runs of the *same* model (built once with
:func:`~ecopark_opt.optimize.prepare`; only fixings change between solves):

- **fixed design**: ``Admit[k]`` is fixed at 0, so the balances force k's rows to 0; every
  other firm keeps the design's admission and plot; ``Build`` is fixed at the design's
  values, so the design's links all still exist and cost their annualised capex and fixed
  opex (links to or from k are *stranded*: built, paid for, idle) and no other link can be
  used. Flows, purchases and discharges are free: the rest of the park buys and discharges
  as it must. The win-win constraint is switched off in this run (it is a consequence, not
  a design), so is the rule that a link needs admitted ends (for a candidate k's stranded
  links).
- **re-optimised**: ``Admit[k]`` is fixed at 0 and the whole park is optimised again with
  the design's objective (links, candidates and plots free again).

Both runs are compared with the *reference*: the design's metric minus what firm k itself
contributed to it — its own purchases and discharges, and its admission and plot costs if
it is a candidate. Link costs stay in the reference: they are the park's. So

    increase = run metric − (design metric − firm k's own contribution)

and removing a firm that has no links changes nothing (increase 0). Percentages are taken
against the reference. Metrics are the absolute ``cost``, ``virgin`` and ``co2e`` of
SPEC §3, as in ``metrics.*.design``.

*Unmet* (per remaining demand row): what the design delivered to it by exchange minus what
the fixed run delivers, when positive; it must now be bought. If some of it cannot be
bought (blank ``virgin_price``) the run is first solved for the least such *shortage*, then
for the objective with the shortage held at that least value; the shortage is reported and
counts in no metric (as in the standalone baseline, a demand that cannot be bought adds
nothing). *Firms losing supply* are the firms with an unmet row; *idle links* are the
design's links carrying flow that carry nothing in the fixed run.

Ranking by criticality: runs with no feasible operation first, then runs with a shortage,
then by the cost increase of the fixed run, largest first.

With ``links=True`` the same two runs are made for each link the design builds (the link is
gone: ``Build`` fixed at 0; in the fixed run every other design link is kept), against the
design itself as reference.

The re-optimised run is never costlier than the fixed one for the cost objective without
win-win (up to the MIP gap); with win-win, or another objective, it may be, because it must
respect what the fixed run is spared.

The defection-aware design is in :mod:`.defection`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..core.model import set_objective
from ..core.optimize import RunOptions, prepare
from ..core.solution import Solution, extract_solution
from ..core.solve import SolveOptions, SolveResult, solve
from ..core.stages import merge_stages, tie_break_by_cost
from ..core.vocabulary import METRICS, link_keys
from ..park import Park

SHORTAGE_TOL = 1e-7  # slack (relative, at least absolute) on the least shortage in stage 2
QTY_TOL = 1e-6  # quantities below this (relative to the row's quantity) count as zero
NOBODY = "nobody leaves"
COST_TOL = 1e-9  # relative: expected costs closer than this are equal
BUILT_COLUMNS = [
    "supplier",
    "receiver",
    "from_resource",
    "to_resource",
    "mode",
    "from_site",
    "to_site",
    "distance_km",
    "fixed_cost",
]


# --- N-1 results ---------------------------------------------------------------------------


@dataclass
class RunOutcome:
    """One run after a removal: status and absolute metrics (NaN without a solution).

    ``shortage``: rows of (firm, resource, quantity) that could neither be delivered nor
    bought (resource with a blank virgin_price).
    """

    status: str
    cost: float = math.nan
    virgin: float = math.nan
    co2e: float = math.nan
    shortage: list[tuple[str, str, float]] = field(default_factory=list)
    links_built: int = 0

    @property
    def ok(self) -> bool:
        return not math.isnan(self.cost)

    def metric(self, name: str) -> float:
        return getattr(self, name)

    def as_dict(self) -> dict[str, float | None]:
        return {
            k: (None if math.isnan(v) else float(v))
            for k, v in (("cost", self.cost), ("virgin", self.virgin), ("co2e", self.co2e))
        }


@dataclass
class Removal:
    """What removing one firm (or one link) does to the park.

    ``reference``: the design's metrics without the removed firm's own contribution (see the
    module docstring). ``unmet``: frame of firm, resource, quantity (what the design delivered
    by exchange and the fixed run must now buy, or cannot), unit.
    """

    kind: str  # "firm" | "link"
    key: str  # firm id, or link label
    label: str  # display name
    reference: dict[str, float]
    fixed: RunOutcome
    reoptimized: RunOutcome
    unmet: pd.DataFrame
    idle_links: list[str]
    stranded_links: list[str]

    def increase(self, run: str, metric: str) -> float:
        """Run metric minus reference (NaN when the run has no solution)."""
        outcome: RunOutcome = getattr(self, run)
        return outcome.metric(metric) - self.reference[metric]

    def increase_pct(self, run: str, metric: str) -> float:
        ref = self.reference[metric]
        if abs(ref) < 1e-9:
            return math.nan
        return 100.0 * self.increase(run, metric) / abs(ref)

    @property
    def firms_losing_supply(self) -> list[str]:
        return list(dict.fromkeys(self.unmet["firm"]))

    @property
    def resources_lost(self) -> list[str]:
        return list(dict.fromkeys(self.unmet["resource"]))

    @property
    def critical(self) -> bool:
        """Someone loses supply, a run fails, or the fixed run costs more."""
        if not self.fixed.ok or self.fixed.shortage or not self.unmet.empty:
            return True
        return self.increase("fixed", "cost") > 1e-6 * max(1.0, abs(self.reference["cost"]))

    def criticality(self) -> tuple:
        """Sort key, most critical first."""
        inc = self.increase("fixed", "cost")
        return (self.fixed.ok, not self.fixed.shortage, -(inc if not math.isnan(inc) else 0.0))


@dataclass
class ResilienceResult:
    """The N-1 analysis of a design: one :class:`Removal` per admitted firm (and per built
    link with ``links=True``), ranked most critical first."""

    park: Park
    design: Solution
    objective: str
    firms: list[Removal]
    links: list[Removal] | None = None
    seconds: float = 0.0
    solves: int = 0


# --- N-1 analysis --------------------------------------------------------------------------


def n_minus_1(
    park: Park, design: Solution, options: RunOptions = RunOptions(), links: bool = False
) -> ResilienceResult:
    """Remove each admitted firm of ``design`` in turn: fixed-design and re-optimised runs."""
    started = time.perf_counter()
    objective = options.objective or design.objective
    if objective != park.settings.objective:
        park = replace(park, settings=park.settings.with_(objective=objective))
    solve_options = options.solve_options(park)
    _, m = prepare(park)
    plan = _DesignFixings.of(m, design)
    counter = [0]

    removals = []
    for firm in plan.admitted:
        with _restored(m):
            plan.apply(m, gone_firm=firm)
            fixed_sol, fixed = _run(m, objective, solve_options, counter)
        with _restored(m):
            m.Admit[firm].fix(0)
            _, reopt = _run(m, objective, solve_options, counter)
        removals.append(_firm_removal(park, design, firm, fixed_sol, fixed, reopt))
    removals.sort(key=Removal.criticality)

    link_removals = None
    if links:
        link_removals = []
        for link in plan.used_links:
            with _restored(m):
                plan.apply(m, gone_link=link)
                fixed_sol, fixed = _run(m, objective, solve_options, counter)
            with _restored(m):
                m.Build[link].fix(0)
                _, reopt = _run(m, objective, solve_options, counter)
            link_removals.append(
                _link_removal(park, design, m.links, link, fixed_sol, fixed, reopt)
            )
        link_removals.sort(key=Removal.criticality)
    return ResilienceResult(
        park=park,
        design=design,
        objective=objective,
        firms=removals,
        links=link_removals,
        seconds=time.perf_counter() - started,
        solves=counter[0],
    )


@dataclass
class _DesignFixings:
    """The design's decisions in the index of a freshly built model."""

    admit: dict[str, int]
    place: dict[tuple[str, str], int]
    build: dict[int, int]
    admitted: list[str]
    used_links: list[int]  # built, not internal, carrying flow

    @classmethod
    def of(cls, m: pyo.ConcreteModel, design: Solution) -> _DesignFixings:
        firms = design.firms
        admit = {f: int(bool(firms.at[f, "admitted"])) for f in m.FIRMS}
        place = {
            (f, s): int(bool(firms.at[f, "placed"]) and firms.at[f, "site"] == s)
            for f, s in m.PLACEMENTS
        }
        model_id = {key: l for l, key in zip(m.links.index, link_keys(m.links))}
        build: dict[int, int] = {l: 0 for l in m.BUILT_LINKS}
        used = []
        d = design.links
        for key, b, sent, internal in zip(link_keys(d), d["build"], d["sent"], d["internal"]):
            if internal or b < 0.5:
                continue
            if key not in model_id:
                raise ValueError("the design holds a link that is not a candidate of this park")
            build[model_id[key]] = 1
            if sent > 0:
                used.append(model_id[key])
        admitted = [f for f in m.FIRMS if admit[f]]
        return cls(admit, place, build, admitted, used)

    def apply(
        self, m: pyo.ConcreteModel, gone_firm: str | None = None, gone_link: int | None = None
    ) -> None:
        """Fix every decision at the design's value, without ``gone_firm`` / ``gone_link``.

        Stranded links stay built: the link-end rule of a gone candidate and win-win are
        switched off (restored by :func:`_restored`).
        """
        for f in m.FIRMS:
            m.Admit[f].fix(0 if f == gone_firm else self.admit[f])
        for f, s in m.PLACEMENTS:
            m.Place[f, s].fix(0 if f == gone_firm else self.place[f, s])
        for l in m.BUILT_LINKS:
            m.Build[l].fix(0 if l == gone_link else self.build[l])
        if hasattr(m, "win_win"):
            m.win_win.deactivate()
        if gone_firm is not None and hasattr(m, "link_endpoint"):
            for index in m.LINK_ENDS:
                if index[1] == gone_firm:
                    m.link_endpoint[index].deactivate()


@contextmanager
def _restored(m: pyo.ConcreteModel) -> Iterator[None]:
    """Put back every fixing, constraint activation and the objective after a run."""
    saved = [
        (v, v.fixed, v.value)
        for var in (m.Admit, m.Place, m.Build, m.Purchase)
        for v in var.values()
    ]
    objective = m.objective_name
    try:
        yield
    finally:
        for v, was_fixed, value in saved:
            if was_fixed:
                v.fix(value)
            else:
                v.unfix()
                v.set_value(value, skip_validation=True)
        for name in ("win_win", "link_endpoint"):
            if hasattr(m, name):
                getattr(m, name).activate()
        for name in ("resilience_shortage_cap", "resilience_shortage"):
            if hasattr(m, name):
                m.del_component(name)
        set_objective(m, objective)


def _run(
    m: pyo.ConcreteModel, objective: str, options: SolveOptions, counter: list[int]
) -> tuple[Solution | None, RunOutcome]:
    """Solve with the current fixings: the objective (then cost for virgin/co2e); when no
    operation is feasible, first the least shortage of demand that cannot be bought."""
    set_objective(m, objective)
    result = solve(m, options)
    counter[0] += 1
    if result.status == "infeasible":
        result = _solve_least_shortage(m, objective, options, counter)
    elif result.has_solution and objective in ("virgin", "co2e"):
        result = _tie_break(m, result, options, counter)
    if not result.has_solution:
        return None, RunOutcome(status=result.status)
    solution = extract_solution(m, result)
    return solution, _outcome(solution)


def _tie_break(
    m: pyo.ConcreteModel, first: SolveResult, options: SolveOptions, counter: list[int]
) -> SolveResult:
    second = tie_break_by_cost(m, first, options)
    counter[0] += 1
    return merge_stages(first, second) if second.has_solution else first


def _solve_least_shortage(
    m: pyo.ConcreteModel, objective: str, options: SolveOptions, counter: list[int]
) -> SolveResult:
    r"""Lexicographic: minimise the shortage S = Σ_j P_j over demand rows that cannot be
    bought (their ``Purchase`` unfixed, acting as unmet demand), then the objective with
    S ≤ S* + tol · max(1, S*)."""
    rows = [j for j in m.DEMAND if not m.buyable[j]]
    infeasible = SolveResult("infeasible", message="no feasible operation")
    if not rows:
        return infeasible
    for j in rows:
        m.Purchase[j].unfix()
    m.resilience_shortage = pyo.Expression(
        expr=sum(m.Purchase[j] for j in rows), doc="demand that cannot be met"
    )
    m.del_component(m.objective)
    m.objective = pyo.Objective(expr=m.resilience_shortage, sense=pyo.minimize)
    first = solve(m, options)
    counter[0] += 1
    if not first.has_solution:
        return first
    least = max(first.objective, 0.0)
    m.resilience_shortage_cap = pyo.Constraint(
        expr=m.resilience_shortage <= least + SHORTAGE_TOL * max(1.0, least)
    )
    set_objective(m, objective)
    result = solve(m, options)
    counter[0] += 1
    if result.has_solution and objective in ("virgin", "co2e"):
        result = _tie_break(m, result, options, counter)
    return result


def _outcome(solution: Solution) -> RunOutcome:
    """Absolute metrics of a run; shortage (unbuyable demand 'bought') counts in none."""
    rows = solution.rows
    short = rows[(rows["direction"] == "demand") & ~rows["buyable"] & (rows["market"] > 0)]
    virgin = solution.metrics["virgin"]["design"] - float(short["design_virgin"].sum())
    co2e = solution.metrics["co2e"]["design"] - float(short["design_co2e"].sum())
    links = solution.links
    return RunOutcome(
        status=solution.status,
        cost=solution.metrics["cost"]["design"],
        virgin=virgin,
        co2e=co2e,
        shortage=[
            (f, r, _rounded(q, total))
            for f, r, q, total in zip(
                short["firm_id"], short["resource_id"], short["market"], short["quantity"]
            )
        ],
        links_built=int(((links["build"] > 0.5) & ~links["internal"]).sum()),
    )


def _rounded(q: float, scale: float) -> float:
    """``q`` to a millionth of ``scale`` (a row's quantity): hides solver tolerances."""
    digits = 6 - math.floor(math.log10(max(abs(float(scale)), 1.0)))
    return float(round(float(q), digits))


def _reference(design: Solution, firm: str | None) -> dict[str, float]:
    """The design's metrics without ``firm``'s own purchases, discharges, admission, plot."""
    ref = {k: design.metrics[k]["design"] for k in METRICS}
    if firm is None:
        return ref
    own = design.rows[design.rows["firm_id"] == firm]
    ref["cost"] -= float(own["design_cost"].sum())
    ref["cost"] -= float(design.firms.at[firm, "admission_cost"])
    ref["cost"] -= float(design.firms.at[firm, "site_cost"])
    ref["virgin"] -= float(own["design_virgin"].sum())
    ref["co2e"] -= float(own["design_co2e"].sum())
    return ref


def _unmet(
    park: Park, design: Solution, fixed: Solution | None, gone_firm: str | None, gone_link=None
) -> pd.DataFrame:
    """Per remaining demand row: delivered by exchange in the design minus in the fixed run.

    Without a fixed-run solution, what the removed firm or link delivered (a lower bound).
    """
    columns = ["firm", "resource", "quantity", "unit", "cannot_buy"]
    rows = design.rows
    demand = rows[
        (rows["direction"] == "demand") & rows["admitted"] & (rows["firm_id"] != gone_firm)
    ]
    if fixed is None:
        d = design.links
        kept = ~(
            (d["supplier"] == gone_firm) | (d["receiver"] == gone_firm) | (d.index == gone_link)
        )
        now = d[kept].groupby("demand_flow")["delivered"].sum().reindex(demand.index)
        now = now.fillna(0.0)
    else:
        now = fixed.rows["exchanged"].reindex(demand.index).fillna(0.0)
    lost = demand["exchanged"] - now
    lost = lost[lost > QTY_TOL * np.maximum(demand["quantity"].astype(float), 1.0)]
    units = park.resources["unit"]
    out = pd.DataFrame(
        {
            "firm": demand.loc[lost.index, "firm_id"],
            "resource": demand.loc[lost.index, "resource_id"],
            "quantity": [_rounded(q, t) for q, t in zip(lost, demand.loc[lost.index, "quantity"])],
            "unit": [units.get(r, "") for r in demand.loc[lost.index, "resource_id"]],
            "cannot_buy": ~demand.loc[lost.index, "buyable"].astype(bool),
        },
        columns=columns,
    )
    return out.reset_index(drop=True)


def _link_label(links: pd.DataFrame, l) -> str:
    rec = links.loc[l]
    resource = rec["from_resource"]
    if rec["to_resource"] != resource:
        resource = f"{resource}→{rec['to_resource']}"
    return f"{rec['supplier']}→{rec['receiver']} {resource} ({rec['mode']})"


def _idle_links(design: Solution, fixed: Solution | None, skip=None) -> list[str]:
    """Labels of the design's used links that carry nothing in the fixed run."""
    d = design.links
    used = d[(d["build"] > 0.5) & ~d["internal"] & (d["sent"] > 0)]
    now = fixed.links["sent"] if fixed is not None else pd.Series(0.0, index=d.index)
    return [_link_label(d, l) for l in used.index if l != skip and now.get(l, 0.0) <= 0.0]


def _firm_removal(
    park: Park,
    design: Solution,
    firm: str,
    fixed_sol: Solution | None,
    fixed: RunOutcome,
    reopt: RunOutcome,
) -> Removal:
    d = design.links
    used = d[(d["build"] > 0.5) & ~d["internal"] & (d["sent"] > 0)]
    stranded = [
        _link_label(d, l)
        for l in used.index
        if firm in (used.at[l, "supplier"], used.at[l, "receiver"])
    ]
    return Removal(
        kind="firm",
        key=firm,
        label=str(park.firms.at[firm, "name"]),
        reference=_reference(design, firm),
        fixed=fixed,
        reoptimized=reopt,
        unmet=_unmet(park, design, fixed_sol, firm),
        idle_links=_idle_links(design, fixed_sol),
        stranded_links=stranded,
    )


def _link_removal(
    park: Park,
    design: Solution,
    model_links: pd.DataFrame,
    link: int,
    fixed_sol: Solution | None,
    fixed: RunOutcome,
    reopt: RunOutcome,
) -> Removal:
    label = _link_label(model_links, link)
    design_id = {key: l for l, key in zip(design.links.index, link_keys(design.links))}
    own = design_id[link_keys(model_links.loc[[link]])[0]]
    return Removal(
        kind="link",
        key=label,
        label=label,
        reference=_reference(design, None),
        fixed=fixed,
        reoptimized=reopt,
        unmet=_unmet(park, design, fixed_sol, None, own),
        idle_links=_idle_links(design, fixed_sol, skip=own),
        stranded_links=[label],
    )


# --- N-1 report and JSON -------------------------------------------------------------------
