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
contributed to it — its own purchases and discharges, its processes' costs and emissions,
and its admission and plot costs if it is a candidate. Link costs stay in the reference: they are the park's. So

    increase = run metric − (design metric − firm k's own contribution)

and removing a firm that has no links changes nothing (increase 0). Percentages are taken
against the reference. Metrics are the absolute ``cost``, ``virgin`` and ``co2e`` of
docs/model.md, as in ``metrics.*.design``.

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
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..core.optimize import RunOptions, prepare
from ..core.park_model import DesignFixings, ParkModel
from ..core.solution import Solution
from ..core.solve import SolveOptions
from ..core.vocabulary import LINK_KEY, METRICS, link_keys
from ..park import Park

QTY_TOL = 1e-6  # quantities below this (relative to the row's quantity) count as zero
NOBODY = "nobody leaves"
COST_TOL = 1e-9  # relative: expected costs closer than this are equal
BUILT_COLUMNS = [*LINK_KEY, "distance_km", "fixed_cost"]


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
    skipped: list[str] = field(default_factory=list)  # not analysed: the time limit was reached


# --- N-1 analysis --------------------------------------------------------------------------


def n_minus_1(
    park: Park,
    design: Solution,
    options: RunOptions = RunOptions(),
    links: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ResilienceResult:
    """Remove each admitted firm of ``design`` in turn: fixed-design and re-optimised runs.

    Each run gets an equal share of what is left of the command's time limit; firms (and
    links) not reached before it are listed in ``skipped``."""
    started = time.perf_counter()
    objective = options.objective or design.objective
    if objective != park.settings.objective:
        park = replace(park, settings=park.settings.with_(objective=objective))
    model = prepare(park)
    plan = model.design_fixings(design)
    runs = 2 * (len(plan.admitted) + (len(plan.used_links) if links else 0))
    skipped: list[str] = []

    def solve_options() -> SolveOptions | None:
        """The next run's share of the time left (None: no time left for it)."""
        nonlocal runs
        runs -= 1
        if options.out_of_time(park):
            return None
        return options.solve_options(park, share=1.0 / (runs + 1))

    removals = []
    for firm in plan.admitted:
        first, second = solve_options(), solve_options()
        if first is None or second is None:
            skipped.append(firm)
            continue
        if progress:
            progress(f"N-1: without {firm}")
        fixed_sol, fixed = run_fixed_design(model, plan, objective, first, gone_firm=firm)
        _, reopt = run_reoptimised(model, objective, second, gone_firm=firm)
        removals.append(_firm_removal(park, design, firm, fixed_sol, fixed, reopt))
    removals.sort(key=Removal.criticality)

    link_removals = None
    if links:
        link_removals = []
        for link in plan.used_links:
            first, second = solve_options(), solve_options()
            if first is None or second is None:
                skipped.append(_link_label(model.links, link))
                continue
            fixed_sol, fixed = run_fixed_design(model, plan, objective, first, gone_link=link)
            _, reopt = run_reoptimised(model, objective, second, gone_link=link)
            link_removals.append(
                _link_removal(park, design, model.links, link, fixed_sol, fixed, reopt)
            )
        link_removals.sort(key=Removal.criticality)
    return ResilienceResult(
        park=park,
        design=design,
        objective=objective,
        firms=removals,
        links=link_removals,
        seconds=time.perf_counter() - started,
        solves=model.solves,
        skipped=skipped,
    )


def run_fixed_design(
    model: ParkModel,
    plan: DesignFixings,
    objective: str,
    options: SolveOptions,
    gone_firm: str | None = None,
    gone_link: int | None = None,
) -> tuple[Solution | None, RunOutcome]:
    """The design's decisions fixed, without ``gone_firm`` / ``gone_link``. Stranded links
    stay built, sized links keep their capacity: win-win and the link-end rule of a gone
    candidate are switched off. Built processes stay built (those of a gone firm go with
    it) and may run anywhere from 0 to their capacity: a minimum throughput decides whether
    to build a unit, not how a built one copes with a lost partner (docs/analyses.md)."""
    admit = {f: 0 if f == gone_firm else a for f, a in plan.admit.items()}
    place = {k: 0 if k[0] == gone_firm else v for k, v in plan.place.items()}
    build = {l: 0 if l == gone_link else b for l, b in plan.build.items()}
    capacity = {l: 0.0 if l == gone_link else k for l, k in plan.capacity.items()}
    firm_of = model.process_firms()
    processes = {p: 0 if firm_of[p] == gone_firm else b for p, b in plan.processes.items()}
    process_capacity = {
        p: 0.0 if firm_of[p] == gone_firm else k for p, k in plan.process_capacity.items()
    }
    with ExitStack() as stack:
        stack.enter_context(
            model.fixed(
                admit,
                place,
                build,
                capacity=capacity,
                processes=processes,
                process_capacity=process_capacity,
            )
        )
        stack.enter_context(model.without("win_win"))
        stack.enter_context(model.without("process_minimum"))
        if gone_firm is not None:
            stack.enter_context(model.without("link_endpoint", lambda k: k[1] == gone_firm))
        return _run(model, objective, options)


def run_reoptimised(
    model: ParkModel,
    objective: str,
    options: SolveOptions,
    gone_firm: str | None = None,
    gone_link: int | None = None,
) -> tuple[Solution | None, RunOutcome]:
    """The park designed again without ``gone_firm`` / ``gone_link``."""
    admit = {gone_firm: 0} if gone_firm is not None else None
    build = {gone_link: 0} if gone_link is not None else None
    with model.fixed(admit=admit, build=build):
        return _run(model, objective, options)


def _run(
    model: ParkModel, objective: str, options: SolveOptions
) -> tuple[Solution | None, RunOutcome]:
    """Solve with the current fixings: the objective (then cost for virgin/co2e); when no
    operation is feasible, first the least shortage of demand that cannot be bought."""
    model.set_objective(objective)
    result = model.run_staged(options)
    if result.status == "infeasible":
        with model.fixed(shortage=True):
            result = model.least_shortage(objective, options)
            if result.has_solution:  # read the shortage before the purchases are fixed again
                solution = model.solution(result)
                return solution, _outcome(solution)
    if not result.has_solution:
        return None, RunOutcome(status=result.status)
    solution = model.solution(result)
    return solution, _outcome(solution)


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
    """The design's metrics without ``firm``'s own purchases, discharges, admission, plot
    and processes."""
    ref = {k: design.metrics[k]["design"] for k in METRICS}
    if firm is None:
        return ref
    own = design.rows[design.rows["firm_id"] == firm]
    ref["cost"] -= float(own["design_cost"].sum())
    ref["cost"] -= float(design.firms.at[firm, "admission_cost"])
    ref["cost"] -= float(design.firms.at[firm, "site_cost"])
    ref["virgin"] -= float(own["design_virgin"].sum())
    ref["co2e"] -= float(own["design_co2e"].sum())
    procs = design.processes
    if not procs.empty:  # the firm's processes go with it
        mine = procs[procs["firm"] == firm]
        ref["cost"] -= float(mine["annual_cost"].sum())
        ref["co2e"] -= float(mine["co2e"].sum())
    return ref


def _unmet(
    park: Park, design: Solution, fixed: Solution | None, gone_firm: str | None, gone_link=None
) -> pd.DataFrame:
    """Per remaining demand row (not process inputs): delivered by exchange in the design
    minus in the fixed run.

    Without a fixed-run solution, what the removed firm or link delivered (a lower bound).
    """
    columns = ["firm", "resource", "quantity", "unit", "cannot_buy"]
    rows = design.rows
    demand = rows[
        (rows["direction"] == "demand") & rows["admitted"] & (rows["firm_id"] != gone_firm)
    ]
    if "process" in rows:  # a process input is not a demand: the process runs on less
        demand = demand[demand["process"].isna()]
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
    keys = link_keys(design.links, rows=True)
    design_id = {key: l for l, key in zip(design.links.index, keys)}
    own = design_id[link_keys(model_links.loc[[link]], rows=True)[0]]
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
