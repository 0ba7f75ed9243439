r"""Trade-offs between two metrics (ε-constraint Pareto front) and near-optimal alternatives.

Both analyses build the model once (:func:`~ecopark_opt.optimize.prepare`) and then only add
named helper constraints and change the objective between solves (SPEC §7, STYLE "analyses
sit on top of the core").

Pareto front (x, y among cost, virgin, co2e)
============================================
The optimizer minimises each metric *against the standalone baseline* (SPEC §3), so the front
is traced in those terms, written :math:`\hat x = x - x^{base}` and :math:`\hat y`:

1. first point: :math:`\min \hat x`, then :math:`\min \hat y` s.t. :math:`\hat x \le \hat x^* + τ`;
2. last point: :math:`\min \hat y`, then :math:`\min \hat x` s.t. :math:`\hat y \le \hat y^* + τ`;
3. the N − 2 points between: :math:`\min \hat x` s.t. :math:`\hat y \le ε_k`, with
   :math:`ε_k = \hat y_{first} - k (\hat y_{first} - \hat y_{last}) / (N - 1)`,
   k = 1 … N − 2 (evenly spaced, strictly between the end points);
4. weakly dominated points are dropped, points equal in both metrics are merged (the same
   design found again, or a tie), and the rest is sorted by x.

τ = 10⁻⁶ · max(1, |value|). :math:`ε_k` is a mutable ``Param`` of one constraint, so the model
is compiled again for each point but never rebuilt. The reported metrics are the absolute
design values (``metrics[m]["design"]``, SPEC §6). With existing firms only, the baseline is a
constant and both views coincide; when candidate firms can be admitted the baseline moves
with admission, and the order along the front is the order of the optimised quantity.

Points with the same set of links but different metrics are all kept: the same links can
carry more or less (a continuous stretch of the front), and each such point is non-dominated.

Alternatives (modelling to generate alternatives)
=================================================
After the cost optimum (design cost :math:`C^*` = ``m.Cost``, objective :math:`\hat C^*`),
each next design is found in two solves over the same near-optimal region

.. math::
    C \le C^* + s, \quad \hat C \le \hat C^* + s, \quad F_l \ge μ U_l B_l, \quad
    \sum_{l \in S_d} (1 - B_l) + \sum_{l \notin S_d} B_l \ge 1 \ \ \forall d \text{ found}

1. *structure*: :math:`\min Σ = \sum_l w_l B_l + \frac{1}{2|L|} \sum_{l \in L}
   (B_l - F_l / U_l)`;
2. *cost*: :math:`\min \hat C` s.t. :math:`Σ \le Σ^* + τ`.

=========  ====================================================================
s          slack |C*| · P / 100 (P = ``within_pct``)
w_l        number of designs found so far that use link l
L          candidate links that need building (internal arcs aside), |L| of them
S_d        links used by design d (built, carrying flow, not internal arcs)
μ          1e-4: a built link carries at least 0.01 % of its bound U_l
=========  ====================================================================

The choice, in order of priority: (a) *use as few of the links already used as possible*
(overlap, as in SPORES) rather than maximise the number of differing links, which rewards
building links for the sake of it; (b) *use the links built as fully as possible* (the
second term, below ½ in total, never outweighs one link of overlap) — otherwise the cheapest
way to take a link that does not pay for itself would be to build it and send almost nothing,
which no planner would call a design; (c) then the cheapest (second solve). The no-good cuts
guarantee every design has a new link set, and the minimum flow makes "built" mean "used",
so a link cannot be switched on without flow to dodge a cut. Both the absolute cost and the
objective are bounded: they coincide with existing firms only; with candidates an
alternative is then near-optimal in both senses.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..errors import InputError
from ..jsonout import json_gap, link_records, number
from ..model import objective_expression, set_objective
from ..optimize import RunOptions, check_result, prepare
from ..park import Park
from ..sheets import ChartSpec, ExtraSheet
from ..solution import METRICS, Solution, extract_solution
from ..solve import SolveOptions, SolveResult, solve

REL_TOL = 1e-6
MIN_FLOW_SHARE = 1e-4
LINK_COLUMNS = ["supplier", "receiver", "from_resource", "to_resource", "mode", "from_site",
                "to_site"]


def _tol(value: float) -> float:
    return REL_TOL * max(1.0, abs(value))


def metric_units(park: Park) -> dict[str, str]:
    """The unit of each metric (virgin use is weighted by ``virgin_weight``)."""
    return {"cost": f"{park.currency}/yr", "virgin": "units/yr", "co2e": "kg/yr"}


def metric_labels(park: Park, suffix: str = "") -> dict[str, str]:
    """Column labels with units, e.g. ``cost [EUR/yr]`` or ``cost vs baseline [EUR/yr]``."""
    return {k: f"{k}{suffix} [{u}]" for k, u in metric_units(park).items()}


def used_links(solution: Solution) -> pd.Index:
    """Model indexes of the links a design uses: built, carrying flow, not internal arcs."""
    links = solution.links
    mask = (links["build"] > 0.5) & (links["sent"] > 0) & ~links["internal"].astype(bool)
    return links.index[mask]


def relative(solution: Solution, metric: str) -> float:
    """A metric against the standalone baseline, as the optimizer minimises it."""
    return solution.metrics[metric]["design"] - solution.metrics[metric]["baseline"]


def combine(stages: list[SolveResult]) -> SolveResult:
    """One result for several solves of one point: worst status and gap, total time."""
    merged = SolveResult(**{**stages[-1].__dict__})
    merged.status = "optimal" if all(s.status == "optimal" for s in stages) else "time_limit"
    gaps = [s.gap for s in stages if s.gap is not None]
    merged.gap = max(gaps) if gaps else None
    merged.seconds = sum(s.seconds for s in stages)
    merged.extra = {"stages": [s.status for s in stages]}
    return merged


# --- Pareto front ---------------------------------------------------------------------------


@dataclass
class ParetoResult:
    """The front: one :class:`Solution` per point, sorted by x, and a tidy table.

    ``frame`` has one row per point: ``point``, absolute ``cost``, ``virgin``, ``co2e``, the
    same against the baseline (``*_vs_baseline``), ``links`` (links used, internal arcs
    aside), ``gap``, ``status`` and ``epsilon`` (the bound on y − baseline, NaN for the end
    points).
    """

    x: str
    y: str
    requested: int
    solutions: list[Solution]
    frame: pd.DataFrame
    dropped: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    model_builds: int = 0

    @property
    def points(self) -> list[Solution]:
        return self.solutions

    @property
    def park(self) -> Park:
        return self.solutions[0].park


class _Models:
    """The model(s) a front is traced on: one shared model, or a fresh one per point."""

    def __init__(self, park: Park, y: str, reuse: bool):
        self.park = park
        self.y = y
        self.reuse = reuse
        self.builds = 0
        self._shared: pyo.ConcreteModel | None = None

    def get(self) -> pyo.ConcreteModel:
        if self.reuse and self._shared is not None:
            return self._shared
        _, m = prepare(self.park)
        self.builds += 1
        add_epsilon_limit(m, self.y)
        if self.reuse:
            self._shared = m
        return m

    def release(self) -> None:
        if self._shared is not None:
            remove_helpers(self._shared)
            self._shared = None


def add_epsilon_limit(m: pyo.ConcreteModel, metric: str) -> None:
    r"""The ε-constraint, inactive until a bound is set.

    .. math:: \hat y = y - y^{base} \le ε \quad (ε: mutable ``pareto_epsilon``)
    """
    m.pareto_epsilon = pyo.Param(mutable=True, initialize=0.0, doc="bound on y − baseline")
    m.pareto_epsilon_limit = pyo.Constraint(
        expr=objective_expression(m, metric) <= m.pareto_epsilon, doc="ε-constraint")
    m.pareto_epsilon_limit.deactivate()


def set_epsilon(m: pyo.ConcreteModel, bound: float | None) -> None:
    """Bound y − baseline by ``bound``; None lifts the bound."""
    if bound is None:
        m.pareto_epsilon_limit.deactivate()
        return
    m.pareto_epsilon.set_value(float(bound))
    m.pareto_epsilon_limit.activate()


def remove_helpers(m: pyo.ConcreteModel) -> None:
    for name in ("pareto_epsilon_limit", "pareto_epsilon", "pareto_hold"):
        if hasattr(m, name):
            m.del_component(name)


def lexicographic(m: pyo.ConcreteModel, primary: str, secondary: str, report_as: str,
                  options: SolveOptions) -> Solution:
    r"""Minimise ``primary``, then ``secondary`` with the primary held at its optimum.

    .. math:: \min \hat s \ \text{s.t.}\ \hat p \le \hat p^* + τ

    The design is reported with objective ``report_as``; its result has the worse status and
    gap of the two solves.
    """
    set_objective(m, primary)
    first = solve(m, options)
    check_result(m, first, options)
    best = float(first.objective)
    m.pareto_hold = pyo.Constraint(
        expr=objective_expression(m, primary) <= best + _tol(best), doc="hold the primary")
    try:
        set_objective(m, secondary)
        second = solve(m, options)
    finally:
        m.del_component(m.pareto_hold)
    # without a second solution the first stage's values are still in the model
    result = combine([first, second]) if second.has_solution else combine([first])
    m.objective_name = report_as
    return extract_solution(m, result)


def pareto_front(park: Park, points: int, x: str = "cost", y: str = "virgin",
                 options: RunOptions = RunOptions()) -> ParetoResult:
    """The ε-constraint front of x against y (SPEC §7), on one model built once.

    ``points`` solves are made (two for each end point); ``options`` time limit and gap apply
    to each solve. Raises ``InputError`` for bad arguments, ``InfeasibleError`` when the park
    has no feasible design and ``SolverError`` when the first solve finds none in time; a
    point between the ends that finds none in time is left out (``skipped``).
    """
    return trace_front(park, points, x, y, options, reuse_model=True)


def trace_front(park: Park, points: int, x: str = "cost", y: str = "virgin",
                options: RunOptions = RunOptions(), reuse_model: bool = True) -> ParetoResult:
    """:func:`pareto_front`, optionally rebuilding the model for every point (benchmarks)."""
    _check_front(points, x, y)
    started = time.perf_counter()
    solve_options = options.solve_options(park)
    models = _Models(park, y, reuse_model)
    found: list[tuple[Solution, float]] = []
    skipped: list[str] = []
    try:
        m = models.get()
        first = lexicographic(m, x, y, x, solve_options)
        found.append((first, np.nan))
        if points >= 2:
            m = models.get()
            last = lexicographic(m, y, x, x, solve_options)
            found.append((last, np.nan))
            high, low = relative(first, y), relative(last, y)
            if points > 2 and high - low > _tol(high):
                step = (high - low) / (points - 1)
                for k in range(1, points - 1):
                    eps = high - k * step
                    m = models.get()
                    set_epsilon(m, eps)
                    set_objective(m, x)
                    result = solve(m, solve_options)
                    set_epsilon(m, None)
                    if not result.has_solution:
                        skipped.append(f"{y} − baseline ≤ {eps:g}: {result.status} "
                                       f"({result.message})")
                        continue
                    found.append((extract_solution(m, result), eps))
    finally:
        models.release()
    kept = non_dominated(found, x, y)
    solutions = [s for s, _ in kept]
    frame = front_frame(kept)
    return ParetoResult(x=x, y=y, requested=points, solutions=solutions, frame=frame,
                        dropped=len(found) - len(kept), skipped=skipped,
                        seconds=time.perf_counter() - started, model_builds=models.builds)


def _check_front(points: int, x: str, y: str) -> None:
    problems = []
    for name, metric in (("x", x), ("y", y)):
        if metric not in METRICS:
            problems.append(f"--{name} {metric!r}: choose one of {', '.join(METRICS)}")
    if x == y:
        problems.append("--x and --y must be different metrics")
    if int(points) < 1:
        problems.append(f"--points {points}: at least 1 point is needed")
    if problems:
        raise InputError(problems)


def non_dominated(found: list[tuple[Solution, float]], x: str, y: str
                  ) -> list[tuple[Solution, float]]:
    """Drop weakly dominated points, merge points equal in both metrics; sort by x.

    q dominates p when q is no worse in both (within τ) and better in one (beyond τ).
    """
    values = [(relative(s, x), relative(s, y)) for s, _ in found]
    keep = []
    for i, (px, py) in enumerate(values):
        dominated = any(
            qx <= px + _tol(px) and qy <= py + _tol(py)
            and (qx < px - _tol(px) or qy < py - _tol(py))
            for j, (qx, qy) in enumerate(values) if j != i
        )
        if not dominated:
            keep.append(i)
    keep.sort(key=lambda i: values[i])
    out: list[int] = []
    for i in keep:
        px, py = values[i]
        if any(abs(px - values[j][0]) <= _tol(px) and abs(py - values[j][1]) <= _tol(py)
               for j in out):
            continue  # the same point again (the same design, or a tie)
        out.append(i)
    return [found[i] for i in out]


def front_frame(kept: list[tuple[Solution, float]]) -> pd.DataFrame:
    rows = []
    for n, (s, eps) in enumerate(kept, start=1):
        row: dict = {"point": n}
        row |= {k: s.metrics[k]["design"] for k in METRICS}
        row |= {f"{k}_vs_baseline": relative(s, k) for k in METRICS}
        row |= {"links": len(used_links(s)), "gap": s.gap, "status": s.status, "epsilon": eps}
        rows.append(row)
    columns = ["point", *METRICS, *(f"{k}_vs_baseline" for k in METRICS), "links", "gap",
               "status", "epsilon"]
    return pd.DataFrame(rows, columns=columns)


def pareto_json(result: ParetoResult) -> list[dict]:
    """SPEC §6 ``pareto``: absolute metrics, links used, gap; sorted by x."""
    return [
        {"cost": number(s.metrics["cost"]["design"]),
         "virgin": number(s.metrics["virgin"]["design"]),
         "co2e": number(s.metrics["co2e"]["design"]),
         "links": int(len(used_links(s))),
         "gap": json_gap(s)}
        for s in result.solutions
    ]


def link_table(solutions: list[Solution], labels: list[str]) -> pd.DataFrame:
    """Link × design presence (1 = the design uses the link), links in order of appearance."""
    first_seen: dict[tuple, int] = {}
    present: dict[tuple, set[int]] = {}
    for n, s in enumerate(solutions):
        links = s.links.loc[used_links(s), LINK_COLUMNS]
        for key in links.itertuples(index=False, name=None):
            first_seen.setdefault(key, n)
            present.setdefault(key, set()).add(n)
    keys = sorted(first_seen, key=lambda k: (first_seen[k], k))
    rows = [
        dict(zip(LINK_COLUMNS, key))
        | {label: int(n in present[key]) for n, label in enumerate(labels)}
        for key in keys
    ]
    return pd.DataFrame(rows, columns=[*LINK_COLUMNS, *labels])


def pareto_sheets(result: ParetoResult) -> list[ExtraSheet]:
    """``Pareto`` (one row per point, scatter chart of x vs y) and ``Pareto links``."""
    park = result.park
    labels = metric_labels(park)
    versus = metric_labels(park, " vs baseline")
    x_col, y_col = labels[result.x], labels[result.y]
    frame = result.frame.rename(columns={
        **labels,
        **{f"{k}_vs_baseline": versus[k] for k in METRICS},
        "links": "links used",
        "epsilon": f"{result.y} − baseline bound [{metric_units(park)[result.y]}]",
    })
    notes = [
        f"Trade-off between {result.x} and {result.y}: {len(result.solutions)} non-dominated "
        f"points of {result.requested} requested, sorted by {result.x}.",
        f"Point 1 is the least-{result.x} design (ties broken by {result.y}); the last point "
        f"is the least-{result.y} design (ties broken by {result.x}); points between minimise "
        f"{result.x} with {result.y} capped at the bound shown (ε-constraint method).",
        "Metrics are absolute yearly values of the design; the 'vs baseline' columns compare "
        "them with every firm operating alone (what the optimizer minimises).",
    ]
    if result.dropped:
        notes.append(f"{result.dropped} solve(s) gave a dominated or repeated point and were "
                     "left out.")
    notes.extend(f"No design found for {s}" for s in result.skipped)
    chart = ChartSpec(kind="scatter", x=x_col, y=(y_col,),
                      title=f"Pareto front: {result.x} vs {result.y}", x_title=x_col,
                      y_title=y_col)
    points = [f"point {n}" for n in range(1, len(result.solutions) + 1)]
    links = link_table(result.solutions, points)
    link_notes = [
        f"Which links each point of the front uses (1 = used), from the least-{result.x} "
        f"point to the least-{result.y} point: links appear as {result.y} is pushed down.",
    ]
    return [ExtraSheet("Pareto", frame, notes, chart),
            ExtraSheet("Pareto links", links, link_notes)]


# --- alternatives -----------------------------------------------------------------------------


@dataclass
class AlternativesResult:
    """The cost optimum and up to ``requested`` structurally different near-optimal designs.

    ``frame`` has one row per design (the optimum first): ``design``, absolute ``cost``,
    ``virgin``, ``co2e``, ``links`` (number used), ``cost_vs_optimum_pct``, ``gap``,
    ``status``.
    """

    optimum: Solution
    alternatives: list[Solution]
    requested: int
    within_pct: float
    cost_bound: float
    frame: pd.DataFrame
    stopped: str = ""
    seconds: float = 0.0

    @property
    def designs(self) -> list[Solution]:
        return [self.optimum, *self.alternatives]


def add_alternative_limits(m: pyo.ConcreteModel, cost: float, objective: float,
                           slack: float) -> None:
    r"""Near-optimality and "built means used" for the alternatives search.

    .. math:: C \le C^* + s + τ, \qquad \hat C \le \hat C^* + s + τ, \qquad
              F_l \ge μ U_l B_l \ (U_l > 0), \qquad B_l = 0 \ (U_l = 0)
    """
    m.alternative_cost_limit = pyo.Constraint(
        expr=m.Cost <= cost + slack + _tol(cost), doc="design cost within the slack")
    m.alternative_objective_limit = pyo.Constraint(
        expr=objective_expression(m, "cost") <= objective + slack + _tol(objective),
        doc="cost against baseline within the slack")
    upper = m.links["upper"].to_dict()

    def rule(m, l):
        if upper[l] <= 0:
            return m.Build[l] <= 0
        return m.Flow[l] >= MIN_FLOW_SHARE * upper[l] * m.Build[l]

    if m.BUILT_LINKS:
        m.alternative_min_flow = pyo.Constraint(m.BUILT_LINKS, rule=rule,
                                                doc="a built link carries flow")
    m.alternative_cuts = pyo.ConstraintList(doc="exclude designs already found")


def add_cut(m: pyo.ConcreteModel, used: set) -> None:
    r"""No-good cut: the next design's link set differs from ``used``.

    .. math:: \sum_{l \in S} (1 - B_l) + \sum_{l \notin S} B_l \ge 1
    """
    m.alternative_cuts.add(
        sum(1 - m.Build[l] for l in used)
        + sum(m.Build[l] for l in m.BUILT_LINKS if l not in used) >= 1
    )


def structure(m: pyo.ConcreteModel, designs: list[set]):
    r"""Overlap with the designs found, plus the unused share of the links built.

    .. math:: Σ = \sum_l w_l B_l + \frac{1}{2|L|} \sum_{l \in L} (B_l - F_l / U_l)
    """
    weight = Counter(l for d in designs for l in d)
    upper = m.links["upper"].to_dict()
    overlap = sum(w * m.Build[l] for l, w in weight.items())
    built = [l for l in m.BUILT_LINKS if upper[l] > 0]
    if not built:
        return overlap
    unused = sum(m.Build[l] - m.Flow[l] / upper[l] for l in built)
    return overlap + (0.5 / len(built)) * unused


def next_design(m: pyo.ConcreteModel, designs: list[set], options: SolveOptions
                ) -> SolveResult:
    """Least structure, then least cost with the structure held (values left in the model)."""
    m.del_component(m.objective)
    m.objective = pyo.Objective(expr=structure(m, designs), sense=pyo.minimize)
    first = solve(m, options)
    if not first.has_solution:
        return first
    best = float(first.objective)
    m.alternative_structure_hold = pyo.Constraint(expr=structure(m, designs) <= best + _tol(best))
    try:
        set_objective(m, "cost")
        second = solve(m, options)
    finally:
        m.del_component(m.alternative_structure_hold)
    # without a second solution the first stage's values are still in the model
    return combine([first, second]) if second.has_solution else combine([first])


def remove_alternative_helpers(m: pyo.ConcreteModel) -> None:
    for name in ("alternative_structure_hold", "alternative_cost_limit",
                 "alternative_objective_limit", "alternative_min_flow", "alternative_cuts"):
        if hasattr(m, name):
            m.del_component(name)
    set_objective(m, "cost")


def alternatives(park: Park, k: int, within_pct: float,
                 options: RunOptions = RunOptions()) -> AlternativesResult:
    """The cost optimum, then up to ``k`` designs with new link sets within ``within_pct`` %.

    The search is always around the least-cost design (``options.objective`` is not used);
    ``options`` time limit and gap apply to each solve (two per alternative). Stops early,
    without error, when no further design fits the cost bound (see ``stopped``).
    """
    problems = []
    if int(k) < 0:
        problems.append(f"number of alternatives {k}: must be ≥ 0")
    if not within_pct >= 0:
        problems.append(f"cost slack {within_pct} %: must be ≥ 0")
    if problems:
        raise InputError(problems)
    started = time.perf_counter()
    solve_options = options.solve_options(park)
    _, m = prepare(park)
    set_objective(m, "cost")
    result = solve(m, solve_options)
    check_result(m, result, solve_options)
    optimum = extract_solution(m, result)
    cost = float(pyo.value(m.Cost))
    objective = float(result.objective)
    slack = abs(cost) * within_pct / 100.0
    found: list[Solution] = []
    designs = [set(used_links(optimum))]
    stopped = ""
    add_alternative_limits(m, cost, objective, slack)
    try:
        for _ in range(int(k)):
            add_cut(m, designs[-1])
            step = next_design(m, designs, solve_options)
            if not step.has_solution:
                stopped = (f"no further design within {within_pct:g} % of the optimum cost"
                           if step.status == "infeasible"
                           else f"the search stopped: {step.status} ({step.message})")
                break
            design = extract_solution(m, step)
            used = set(used_links(design))
            if used in designs:  # cannot happen with the cuts; never report a repeat
                stopped = "the solver returned a design already found"
                break
            designs.append(used)
            found.append(design)
    finally:
        remove_alternative_helpers(m)
    frame = alternatives_frame(optimum, found)
    return AlternativesResult(optimum=optimum, alternatives=found, requested=int(k),
                              within_pct=float(within_pct), cost_bound=cost + slack,
                              frame=frame, stopped=stopped,
                              seconds=time.perf_counter() - started)


def alternatives_frame(optimum: Solution, found: list[Solution]) -> pd.DataFrame:
    best = optimum.metrics["cost"]["design"]
    rows = []
    for n, s in enumerate([optimum, *found]):
        c = s.metrics["cost"]["design"]
        rows.append({
            "design": "optimum" if n == 0 else f"alternative {n}",
            **{k: s.metrics[k]["design"] for k in METRICS},
            "links": len(used_links(s)),
            "cost_vs_optimum_pct": 100.0 * (c - best) / abs(best) if best else np.nan,
            "gap": s.gap,
            "status": s.status,
        })
    return pd.DataFrame(rows)


def alternatives_json(result: AlternativesResult) -> list[dict]:
    """SPEC §6 ``alternatives``: the alternative designs (the optimum is the main result)."""
    return [
        {"cost": number(s.metrics["cost"]["design"]),
         "virgin": number(s.metrics["virgin"]["design"]),
         "co2e": number(s.metrics["co2e"]["design"]),
         "links": link_records(s.built_links)}
        for s in result.alternatives
    ]


def alternatives_sheets(result: AlternativesResult) -> list[ExtraSheet]:
    """``Alternatives``: the optimum and each alternative side by side, then their links."""
    park = result.optimum.park
    names = metric_labels(park)
    frame = result.frame
    labels = list(frame["design"])
    items = {
        **{names[k]: list(frame[k]) for k in METRICS},
        "links used": list(frame["links"]),
        "cost vs optimum [%]": list(frame["cost_vs_optimum_pct"]),
        "gap": list(frame["gap"]),
    }
    table = pd.DataFrame(
        [{"item": name, **dict(zip(labels, values))} for name, values in items.items()],
        columns=["item", *labels],
    )
    links = link_table(result.designs, labels)
    if not links.empty:
        link_names = [
            f"link {r.supplier} → {r.receiver}: {_resource(r)} by {r.mode} "
            f"({r.from_site} → {r.to_site})"
            for r in links.itertuples()
        ]
        table = pd.concat([table, links[labels].assign(item=link_names)[["item", *labels]]],
                          ignore_index=True)
    notes = [
        f"The least-cost design and {len(result.alternatives)} alternative(s) of "
        f"{result.requested} requested, each with a different set of links and a cost at most "
        f"{result.within_pct:g} % above the optimum (≤ {result.cost_bound:,.2f} "
        f"{park.currency}/yr).",
        "Each alternative uses as few of the links of the designs before it as it can, uses the "
        "links it builds as fully as it can, and is the cheapest such design; link rows show 1 "
        "where the design uses the link.",
    ]
    if result.stopped:
        notes.append(f"Fewer designs than requested: {result.stopped}.")
    return [ExtraSheet("Alternatives", table, notes)]


def _resource(r) -> str:
    if r.from_resource == r.to_resource:
        return str(r.from_resource)
    return f"{r.from_resource} → {r.to_resource}"
