"""Resilience: what happens to the park when a partner leaves (SPEC §7), and a design that
expects it.

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

Defection-aware design (``defection_aware_design``)
===================================================
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..errors import InfeasibleError, InputError
from ..links import candidate_links
from ..model import set_objective
from ..optimize import RunOptions, merge_stages, optimize, prepare, tie_break_by_cost
from ..park import Park
from ..sheets import ChartSpec, ExtraSheet
from ..solution import METRICS, Solution, extract_solution
from ..solve import SolveOptions, SolveResult, require_solution, solve

LINK_KEY = ["supply_flow", "demand_flow", "mode", "from_site", "to_site"]
SHORTAGE_TOL = 1e-7  # slack (relative, at least absolute) on the least shortage in stage 2
QTY_TOL = 1e-6  # quantities below this (relative to the row's quantity) count as zero
NOBODY = "nobody leaves"
COST_TOL = 1e-9  # relative: expected costs closer than this are equal
BUILT_COLUMNS = ["supplier", "receiver", "from_resource", "to_resource", "mode", "from_site",
                 "to_site", "distance_km", "fixed_cost"]


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
        return {k: (None if math.isnan(v) else float(v))
                for k, v in (("cost", self.cost), ("virgin", self.virgin),
                             ("co2e", self.co2e))}


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


def n_minus_1(park: Park, design: Solution, options: RunOptions = RunOptions(),
              links: bool = False) -> ResilienceResult:
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
                _link_removal(park, design, m.links, link, fixed_sol, fixed, reopt))
        link_removals.sort(key=Removal.criticality)
    return ResilienceResult(
        park=park, design=design, objective=objective, firms=removals, links=link_removals,
        seconds=time.perf_counter() - started, solves=counter[0],
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
        place = {(f, s): int(bool(firms.at[f, "placed"]) and firms.at[f, "site"] == s)
                 for f, s in m.PLACEMENTS}
        model_id = {key: l for l, key in zip(m.links.index, _keys(m.links))}
        build: dict[int, int] = {l: 0 for l in m.BUILT_LINKS}
        used = []
        d = design.links
        for key, b, sent, internal in zip(_keys(d), d["build"], d["sent"], d["internal"]):
            if internal or b < 0.5:
                continue
            if key not in model_id:
                raise ValueError("the design holds a link that is not a candidate of this park")
            build[model_id[key]] = 1
            if sent > 0:
                used.append(model_id[key])
        admitted = [f for f in m.FIRMS if admit[f]]
        return cls(admit, place, build, admitted, used)

    def apply(self, m: pyo.ConcreteModel, gone_firm: str | None = None,
              gone_link: int | None = None) -> None:
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


def _keys(links: pd.DataFrame) -> list[tuple]:
    return list(zip(*(links[c] for c in LINK_KEY)))


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


def _run(m: pyo.ConcreteModel, objective: str, options: SolveOptions,
         counter: list[int]) -> tuple[Solution | None, RunOutcome]:
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


def _tie_break(m: pyo.ConcreteModel, first: SolveResult, options: SolveOptions,
               counter: list[int]) -> SolveResult:
    second = tie_break_by_cost(m, first, options)
    counter[0] += 1
    return merge_stages(first, second) if second.has_solution else first


def _solve_least_shortage(m: pyo.ConcreteModel, objective: str, options: SolveOptions,
                          counter: list[int]) -> SolveResult:
    r"""Lexicographic: minimise the shortage S = Σ_j P_j over demand rows that cannot be
    bought (their ``Purchase`` unfixed, acting as unmet demand), then the objective with
    S ≤ S* + tol · max(1, S*)."""
    rows = [j for j in m.DEMAND if not m.buyable[j]]
    infeasible = SolveResult("infeasible", message="no feasible operation")
    if not rows:
        return infeasible
    for j in rows:
        m.Purchase[j].unfix()
    m.resilience_shortage = pyo.Expression(expr=sum(m.Purchase[j] for j in rows),
                                           doc="demand that cannot be met")
    m.del_component(m.objective)
    m.objective = pyo.Objective(expr=m.resilience_shortage, sense=pyo.minimize)
    first = solve(m, options)
    counter[0] += 1
    if not first.has_solution:
        return first
    least = max(first.objective, 0.0)
    m.resilience_shortage_cap = pyo.Constraint(
        expr=m.resilience_shortage <= least + SHORTAGE_TOL * max(1.0, least))
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
        shortage=[(f, r, _rounded(q, total)) for f, r, q, total in
                  zip(short["firm_id"], short["resource_id"], short["market"],
                      short["quantity"])],
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


def _unmet(park: Park, design: Solution, fixed: Solution | None, gone_firm: str | None,
           gone_link=None) -> pd.DataFrame:
    """Per remaining demand row: delivered by exchange in the design minus in the fixed run.

    Without a fixed-run solution, what the removed firm or link delivered (a lower bound).
    """
    columns = ["firm", "resource", "quantity", "unit", "cannot_buy"]
    rows = design.rows
    demand = rows[(rows["direction"] == "demand") & rows["admitted"]
                  & (rows["firm_id"] != gone_firm)]
    if fixed is None:
        d = design.links
        kept = ~((d["supplier"] == gone_firm) | (d["receiver"] == gone_firm)
                 | (d.index == gone_link))
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
            "quantity": [_rounded(q, t) for q, t in
                         zip(lost, demand.loc[lost.index, "quantity"])],
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


def _firm_removal(park: Park, design: Solution, firm: str, fixed_sol: Solution | None,
                  fixed: RunOutcome, reopt: RunOutcome) -> Removal:
    d = design.links
    used = d[(d["build"] > 0.5) & ~d["internal"] & (d["sent"] > 0)]
    stranded = [_link_label(d, l) for l in used.index
                if firm in (used.at[l, "supplier"], used.at[l, "receiver"])]
    return Removal(
        kind="firm", key=firm, label=str(park.firms.at[firm, "name"]),
        reference=_reference(design, firm), fixed=fixed, reoptimized=reopt,
        unmet=_unmet(park, design, fixed_sol, firm),
        idle_links=_idle_links(design, fixed_sol), stranded_links=stranded,
    )


def _link_removal(park: Park, design: Solution, model_links: pd.DataFrame, link: int,
                  fixed_sol: Solution | None, fixed: RunOutcome,
                  reopt: RunOutcome) -> Removal:
    label = _link_label(model_links, link)
    design_id = {key: l for l, key in zip(design.links.index, _keys(design.links))}
    own = design_id[_keys(model_links.loc[[link]])[0]]
    return Removal(
        kind="link", key=label, label=label, reference=_reference(design, None),
        fixed=fixed, reoptimized=reopt, unmet=_unmet(park, design, fixed_sol, None, own),
        idle_links=_idle_links(design, fixed_sol, skip=own), stranded_links=[label],
    )


# --- N-1 report and JSON -------------------------------------------------------------------


def resilience_json(result: ResilienceResult) -> list[dict]:
    """SPEC §6 ``resilience``: per firm (most critical first), absolute metrics of both runs
    (null without a solution) and the unmet quantities of the fixed run."""
    return [
        {
            "firm": r.key,
            "fixed": r.fixed.as_dict(),
            "reoptimized": r.reoptimized.as_dict(),
            "unmet": [{"firm": f, "resource": res, "quantity": float(q)}
                      for f, res, q in zip(r.unmet["firm"], r.unmet["resource"],
                                           r.unmet["quantity"])],
        }
        for r in result.firms
    ]


def resilience_sheets(result: ResilienceResult) -> list[ExtraSheet]:
    """The "Resilience" sheet (and "Link resilience" when links were analysed)."""
    park = result.park
    cur = park.currency
    frame = _removal_table(park, result.firms, "firm")
    cost_fixed = f"fixed design: cost increase [{cur}/yr]"
    cost_reopt = f"re-optimised: cost increase [{cur}/yr]"
    notes = [
        "What happens if one firm leaves the park. Fixed design: the design's links stay "
        "(links to or from the leaving firm are stranded and still cost their capex and "
        "fixed opex) and only they can be used; the others buy and discharge what they must. "
        "Re-optimised: the park is designed again without the firm.",
        "Increases are against the design without the leaving firm's own purchases, "
        "discharges and admission costs; firms are ranked by the fixed-design cost increase.",
    ]
    notes += [_firm_note(park, r) for r in result.firms if r.critical]
    calm = [r.label for r in result.firms if not r.critical]
    if calm:
        notes.append("No other firm loses supply and the park cost does not rise if one of "
                     f"these leaves: {', '.join(calm)}.")
    sheets = [ExtraSheet(
        title="Resilience", frame=frame, notes=notes,
        chart=ChartSpec(kind="bar", x="name", y=(cost_fixed, cost_reopt),
                        title="Park cost increase if a firm leaves", x_title="firm",
                        y_title=f"{cur}/yr"),
    )]
    if result.links is not None:
        link_notes = [
            "What happens if one built link fails or is not built. Fixed design: every other "
            "link of the design stays and only they can be used. Re-optimised: the park is "
            "designed again without that link. Increases are against the design.",
        ]
        link_notes += [_link_note(park, r) for r in result.links if r.critical]
        sheets.append(ExtraSheet(title="Link resilience",
                                 frame=_removal_table(park, result.links, "link"),
                                 notes=link_notes))
    return sheets


def _removal_table(park: Park, removals: list[Removal], kind: str) -> pd.DataFrame:
    cur = park.currency
    records = []
    for rank, r in enumerate(removals, start=1):
        rec: dict = {"rank": rank}
        if kind == "firm":
            rec["firm"] = r.key
            rec["name"] = r.label
        else:
            rec["link"] = r.label
        for run, title in (("fixed", "fixed design"), ("reoptimized", "re-optimised")):
            for metric, label, unit in (("cost", "cost", f"{cur}/yr"),
                                        ("virgin", "virgin use", "units/yr"),
                                        ("co2e", "CO2e", "kg/yr")):
                rec[f"{title}: {label} increase [{unit}]"] = _num(r.increase(run, metric))
                rec[f"{title}: {label} increase [%]"] = _num(r.increase_pct(run, metric))
        rec["firms losing supply"] = len(r.firms_losing_supply)
        rec["unmet (fixed design)"] = "; ".join(
            f"{f}: {_qty(q)} {u} {res}".replace("  ", " ")
            for f, res, q, u in zip(r.unmet["firm"], r.unmet["resource"], r.unmet["quantity"],
                                    r.unmet["unit"])
        )
        rec["idle links"] = len(r.idle_links)
        rec["idle links (list)"] = "; ".join(r.idle_links)
        rec["remarks"] = _remarks(park, r)
        records.append(rec)
    frame = pd.DataFrame(records)
    return frame.astype(object).where(frame.notna(), None)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _qty(q: float) -> str:
    return f"{q:,.6g}" if abs(q) < 1e6 else f"{q:,.0f}"


def _signed_pct(r: Removal, run: str, currency: str) -> str:
    """``+3.2 %`` (or ``+120 EUR/yr`` when the reference is 0)."""
    pct = r.increase_pct(run, "cost")
    if math.isnan(pct):
        text = f"{r.increase(run, 'cost'):+,.0f} {currency}/yr"
    else:
        text = f"{pct:+.1f} %"
    return text.replace("-", "−", 1) if text.startswith("-") else text


def _resource_names(park: Park, ids: list[str]) -> str:
    names = [str(park.resources.at[r, "name"]) for r in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _who(park: Park, firms: list[str]) -> tuple[str, str]:
    """Subject and verb agreement: ("Gyproc", "loses"), ("4 firms", "lose")."""
    names = [str(park.firms.at[f, "name"]) for f in firms]
    if len(names) == 1:
        return names[0], "loses"
    if len(names) == 2:
        return f"{names[0]} and {names[1]}", "lose"
    return f"{len(names)} firms", "lose"


def _firm_note(park: Park, r: Removal) -> str:
    return f"If {r.label} leaves, " + _consequence(park, r)


def _link_note(park: Park, r: Removal) -> str:
    return f"Without the link {r.label}, " + _consequence(park, r)


def _consequence(park: Park, r: Removal) -> str:
    cur = park.currency
    if r.firms_losing_supply:
        who, verb = _who(park, r.firms_losing_supply)
        lost = f"{who} {verb} {_resource_names(park, r.resources_lost)}"
    else:
        lost = "no other firm loses supply"
    fixed = _signed_pct(r, "fixed", cur)
    reopt = _signed_pct(r, "reoptimized", cur)
    if r.fixed.ok and r.reoptimized.ok:
        text = f"{lost}; park cost {fixed} (fixed design), {reopt} after re-optimising."
    elif r.reoptimized.ok:
        text = (f"{lost}; the fixed design cannot be operated (a cap or limit cannot hold); "
                f"park cost {reopt} after re-optimising.")
    elif r.fixed.ok:
        text = f"{lost}; park cost {fixed} (fixed design); re-optimising finds no design."
    else:
        text = (f"{lost}; the park cannot be operated, even re-optimised (a cap or limit "
                "cannot hold).")
    if r.fixed.shortage:
        short = ", ".join(
            f"{park.firms.at[f, 'name']} {_qty(q)} {park.resources.at[res, 'unit']} {res}"
            .replace("  ", " ")
            for f, res, q in r.fixed.shortage
        )
        text += f" Demand that cannot be bought stays unmet with the fixed design: {short}."
    return text


def _remarks(park: Park, r: Removal) -> str:
    parts = []
    for run, title in (("fixed", "fixed design"), ("reoptimized", "re-optimised")):
        outcome: RunOutcome = getattr(r, run)
        if not outcome.ok:
            parts.append(f"{title}: no feasible operation ({outcome.status})")
            continue
        if outcome.status != "optimal":
            parts.append(f"{title}: {outcome.status} (best found)")
        for f, res, q in outcome.shortage:
            unit = park.resources.at[res, "unit"]
            parts.append(f"{title}: {f} short of {_qty(q)} {unit} {res} (cannot be bought)"
                         .replace("  ", " "))
    if r.kind == "firm" and r.stranded_links:
        parts.append(f"stranded: {'; '.join(r.stranded_links)}")
    return "; ".join(parts)


# --- defection-aware design ----------------------------------------------------------------


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
    rows += [{"firm": f, "label": f"{park.firms.at[f, 'name']} leaves", "probability": float(q)}
             for f, q in p.items()]
    out = pd.DataFrame(rows)
    out["firm"] = out["firm"].astype(object).where(out["firm"].notna(), None)
    out.index.name = "scenario"
    return out


def defection_aware_design(park: Park, options: RunOptions = RunOptions()) -> DefectionResult:
    """Minimise the expected annual cost over the defection scenarios; compare with the plain
    cost-optimal design evaluated over the same scenarios."""
    started = time.perf_counter()
    if options.objective not in (None, "cost"):
        raise InputError(f"the defection-aware design minimises expected cost; objective "
                         f"'{options.objective}' is not supported")
    candidates = list(park.firms.index[park.firms["status"] == "candidate"])
    if candidates:
        raise InputError(
            "defection-aware design supports existing firms only; candidates: "
            + ", ".join(candidates)
        )
    notes = []
    if park.settings.objective != "cost":
        notes.append(f"The workbook's objective is {park.settings.objective}; both designs "
                     "here minimise cost.")
        park = replace(park, settings=park.settings.with_(objective="cost"))
    scenarios = defection_scenarios(park)
    if len(scenarios) == 1:
        notes.append("No firm has a defection probability (firms column or the "
                     "defection_probability setting): the two designs coincide.")
    solve_options = options.solve_options(park)

    plain = optimize(park, replace(options, objective="cost"))
    links = candidate_links(park)
    problems = scenario_problems(park, links, scenarios)
    if problems:
        raise InfeasibleError(problems)
    m = build_defection_model(park, links, scenarios)

    model_id = {key: l for l, key in zip(links.index, _keys(links))}
    pl = plain.links
    plain_build = {l: 0 for l in m.BUILT_LINKS}
    for key, b, internal in zip(_keys(pl), pl["build"], pl["internal"]):
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
        notes.append("Building for defection does not pay here: the defection-aware design "
                     "is the plain design.")
    return DefectionResult(
        park=park, scenarios=scenarios, plain=plain_eval, aware=aware_eval,
        status=result.status, gap=result.gap, seconds=time.perf_counter() - started,
        notes=notes,
    )


def scenario_problems(park: Park, links: pd.DataFrame, scenarios: pd.DataFrame) -> list[str]:
    """A demand that cannot be bought must still be deliverable when a firm leaves."""
    problems = []
    flows = park.flows
    demand = flows[(flows["direction"] == "demand") & flows["price"].isna()
                   & (flows["quantity"] > 0)]
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


def build_defection_model(park: Park, links: pd.DataFrame,
                          scenarios: pd.DataFrame) -> pyo.ConcreteModel:
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


def add_scenario_sets(m: pyo.ConcreteModel, park: Park, links: pd.DataFrame,
                      scenarios: pd.DataFrame) -> None:
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
    m.Flow = pyo.Var(m.S_LINKS, within=pyo.NonNegativeReals,
                     bounds=lambda _, s, l: (0, upper[l]),
                     doc="quantity sent on a link in a scenario [supplied unit/yr]")
    m.Purchase = pyo.Var(m.S_DEMAND, within=pyo.NonNegativeReals,
                         bounds=lambda _, s, j: (0, m.qty[j]), doc="virgin purchase [unit/yr]")
    m.Discharge = pyo.Var(m.S_SUPPLY, within=pyo.NonNegativeReals,
                          bounds=lambda _, s, i: (0, m.qty[i]), doc="discharge [unit/yr]")
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
    triples = [(s, j, k) for k in park.property_names for s, j in m.S_DEMAND
               if not np.isnan(flows.at[j, k]) and m.qty[j] > 0]
    if not triples:
        return
    eta = m.links["delivered_factor"].to_dict()
    supply_of = m.links["supply_flow"].to_dict()

    def rule(m, s, j, k):
        limit = float(flows.at[j, k])
        virgin = float(park.resources.at[m.resource_of[j], k])
        delivered = sum(eta[l] * float(flows.at[supply_of[l], k]) * m.Flow[s, l]
                        for l in m.links_in.get((s, j), ()))
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
        m.S_BUILT, rule=lambda m, s, l: m.Flow[s, l] <= upper[l] * m.Build[l],
        doc="flow only on built links")


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
        doc="virgin purchase cap per scenario")


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
        rule=lambda m, s, j, g: sum(eta[l] * m.Flow[s, l] for l in groups[s, j, g])
        <= share * m.qty[j],
        doc="dependency limit per scenario")


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
    unit = (links["delivered_factor"] * links["receiver_price"] + links["supplier_price"]
            - links["var_cost"]).to_dict()
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
        m.WIN_WIN_FIRMS, rule=lambda m, f: sum(w * saving(l) for w, l in shares[f]) >= 0,
        doc="every firm gains in the planned park")


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
        + sum(m.prob[s] * m.price[j] * m.Purchase[s, j] for s, j in m.S_DEMAND
              if m.buyable[j] and m.price[j])
        + sum(m.prob[s] * m.price[i] * m.Discharge[s, i] for s, i in m.S_SUPPLY
              if m.price[i]),
        doc="expected annual cost [money/yr]",
    )
    m.objective = pyo.Objective(expr=m.ExpectedCost, sense=pyo.minimize)


def _evaluate(m: pyo.ConcreteModel, result: SolveResult, name: str,
              scenarios: pd.DataFrame) -> DesignUnderDefection:
    """Read the solved values once; cost, virgin and co2e of every scenario."""
    links = m.links
    park = m.park
    if not result.has_solution:
        frame = pd.DataFrame({"cost": math.nan, "virgin": math.nan, "co2e": math.nan},
                             index=scenarios.index)
        return DesignUnderDefection(name, result.status, links.iloc[0:0][BUILT_COLUMNS],
                                    frame, math.nan)
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


def defection_sheets(result: DefectionResult) -> list[ExtraSheet]:
    """"Defection-aware": cost per scenario of both designs and the expected cost;
    "Defection links": the links built by one design only."""
    park = result.park
    cur = park.currency
    sc = result.scenarios
    plain_col = f"plain design: cost [{cur}/yr]"
    aware_col = f"defection-aware design: cost [{cur}/yr]"
    frame = pd.DataFrame({
        "scenario": sc["label"],
        "firm leaving": [f or "" for f in sc["firm"]],
        "probability": sc["probability"],
        plain_col: result.plain.scenarios["cost"].reindex(sc.index),
        aware_col: result.aware.scenarios["cost"].reindex(sc.index),
    })
    frame[f"difference [{cur}/yr]"] = frame[aware_col] - frame[plain_col]
    expected = {
        "scenario": "expected", "firm leaving": "", "probability": float(sc["probability"].sum()),
        plain_col: result.plain.expected_cost, aware_col: result.aware.expected_cost,
        f"difference [{cur}/yr]": result.aware.expected_cost - result.plain.expected_cost,
    }
    frame = pd.concat([frame, pd.DataFrame([expected])], ignore_index=True)
    frame = frame.astype(object).where(frame.notna(), None)

    diff = result.differing_links()
    added = [_plain_link(r) for _, r in diff[diff["aware"]].iterrows()]
    dropped = [_plain_link(r) for _, r in diff[diff["plain"]].iterrows()]
    notes = [
        "Each firm may leave the park with its yearly defection_probability (one firm at a "
        "time). The defection-aware design chooses the links that minimise the expected "
        "annual cost over these scenarios; stranded links are still paid for.",
    ]
    if math.isnan(result.plain.expected_cost):
        notes.append("The plain design cannot be operated in some scenario (a cap or limit "
                     "cannot hold): its expected cost is undefined.")
    else:
        notes.append(
            f"Expected annual cost: plain design {result.plain.expected_cost:,.0f} {cur}, "
            f"defection-aware design {result.aware.expected_cost:,.0f} {cur} "
            f"(saving {result.expected_saving:,.0f} {cur}/yr)."
        )
    if result.robustness_cost > COST_TOL * max(1.0, abs(result.plain.planned_cost)):
        notes.append(
            f"What the robustness costs: {result.robustness_cost:,.0f} {cur}/yr more than the "
            "plain design when nobody leaves."
        )
    if added:
        notes.append("Links only the defection-aware design builds: " + "; ".join(added) + ".")
    if dropped:
        notes.append("Links only the plain design builds: " + "; ".join(dropped) + ".")
    if not added and not dropped:
        notes.append("Both designs build the same links.")
    notes += result.notes
    sheets = [ExtraSheet(
        title="Defection-aware", frame=frame, notes=notes,
        chart=ChartSpec(kind="bar", x="scenario", y=(plain_col, aware_col),
                        title="Annual cost per defection scenario", x_title="scenario",
                        y_title=f"{cur}/yr"),
    )]
    links = diff.reset_index(drop=True).rename(columns={
        "distance_km": "distance [km]", "fixed_cost": f"fixed cost [{cur}/yr]",
        "plain": "in plain design", "aware": "in defection-aware design"})
    sheets.append(ExtraSheet(title="Defection links", frame=links,
                             notes=["Links built by one of the two designs only."]))
    return sheets


def _plain_link(rec: pd.Series) -> str:
    resource = rec["from_resource"]
    if rec["to_resource"] != resource:
        resource = f"{resource}→{rec['to_resource']}"
    return f"{rec['supplier']}→{rec['receiver']} {resource} ({rec['mode']})"


__all__ = [
    "DefectionResult",
    "DesignUnderDefection",
    "Removal",
    "ResilienceResult",
    "RunOutcome",
    "defection_aware_design",
    "defection_scenarios",
    "defection_sheets",
    "n_minus_1",
    "resilience_json",
    "resilience_sheets",
]
