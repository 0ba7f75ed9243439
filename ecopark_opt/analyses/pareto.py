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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..core.model import objective_expression, set_objective
from ..core.optimize import RunOptions, prepare
from ..core.solution import Solution, extract_solution
from ..core.solve import SolveOptions, SolveResult, solve
from ..core.stages import check_result
from ..core.vocabulary import LINK_KEY, METRICS, tolerance
from ..errors import InputError
from ..park import Park


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
        expr=objective_expression(m, metric) <= m.pareto_epsilon, doc="ε-constraint"
    )
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


def lexicographic(
    m: pyo.ConcreteModel, primary: str, secondary: str, report_as: str, options: SolveOptions
) -> Solution:
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
        expr=objective_expression(m, primary) <= best + tolerance(best), doc="hold the primary"
    )
    try:
        set_objective(m, secondary)
        second = solve(m, options)
    finally:
        m.del_component(m.pareto_hold)
    # without a second solution the first stage's values are still in the model
    result = combine([first, second]) if second.has_solution else combine([first])
    m.objective_name = report_as
    return extract_solution(m, result)


def pareto_front(
    park: Park, points: int, x: str = "cost", y: str = "virgin", options: RunOptions = RunOptions()
) -> ParetoResult:
    """The ε-constraint front of x against y (SPEC §7), on one model built once.

    ``points`` solves are made (two for each end point); ``options`` time limit and gap apply
    to each solve. Raises ``InputError`` for bad arguments, ``InfeasibleError`` when the park
    has no feasible design and ``SolverError`` when the first solve finds none in time; a
    point between the ends that finds none in time is left out (``skipped``).
    """
    return trace_front(park, points, x, y, options, reuse_model=True)


def trace_front(
    park: Park,
    points: int,
    x: str = "cost",
    y: str = "virgin",
    options: RunOptions = RunOptions(),
    reuse_model: bool = True,
) -> ParetoResult:
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
            if points > 2 and high - low > tolerance(high):
                step = (high - low) / (points - 1)
                for k in range(1, points - 1):
                    eps = high - k * step
                    m = models.get()
                    set_epsilon(m, eps)
                    set_objective(m, x)
                    result = solve(m, solve_options)
                    set_epsilon(m, None)
                    if not result.has_solution:
                        skipped.append(
                            f"{y} − baseline ≤ {eps:g}: {result.status} ({result.message})"
                        )
                        continue
                    found.append((extract_solution(m, result), eps))
    finally:
        models.release()
    kept = non_dominated(found, x, y)
    solutions = [s for s, _ in kept]
    frame = front_frame(kept)
    return ParetoResult(
        x=x,
        y=y,
        requested=points,
        solutions=solutions,
        frame=frame,
        dropped=len(found) - len(kept),
        skipped=skipped,
        seconds=time.perf_counter() - started,
        model_builds=models.builds,
    )


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


def non_dominated(
    found: list[tuple[Solution, float]], x: str, y: str
) -> list[tuple[Solution, float]]:
    """Drop weakly dominated points, merge points equal in both metrics; sort by x.

    q dominates p when q is no worse in both (within τ) and better in one (beyond τ).
    """
    values = [(relative(s, x), relative(s, y)) for s, _ in found]
    keep = []
    for i, (px, py) in enumerate(values):
        dominated = any(
            qx <= px + tolerance(px)
            and qy <= py + tolerance(py)
            and (qx < px - tolerance(px) or qy < py - tolerance(py))
            for j, (qx, qy) in enumerate(values)
            if j != i
        )
        if not dominated:
            keep.append(i)
    keep.sort(key=lambda i: values[i])
    out: list[int] = []
    for i in keep:
        px, py = values[i]
        if any(
            abs(px - values[j][0]) <= tolerance(px) and abs(py - values[j][1]) <= tolerance(py)
            for j in out
        ):
            continue  # the same point again (the same design, or a tie)
        out.append(i)
    return [found[i] for i in out]


def front_frame(kept: list[tuple[Solution, float]]) -> pd.DataFrame:
    rows = []
    for n, (s, eps) in enumerate(kept, start=1):
        row: dict = {"point": n}
        row |= {k: s.metrics[k]["design"] for k in METRICS}
        row |= {f"{k}_vs_baseline": relative(s, k) for k in METRICS}
        row |= {"links": len(s.used_links), "gap": s.gap, "status": s.status, "epsilon": eps}
        rows.append(row)
    columns = [
        "point",
        *METRICS,
        *(f"{k}_vs_baseline" for k in METRICS),
        "links",
        "gap",
        "status",
        "epsilon",
    ]
    return pd.DataFrame(rows, columns=columns)


def link_table(solutions: list[Solution], labels: list[str]) -> pd.DataFrame:
    """Link × design presence (1 = the design uses the link), links in order of appearance."""
    first_seen: dict[tuple, int] = {}
    present: dict[tuple, set[int]] = {}
    for n, s in enumerate(solutions):
        links = s.used_links[list(LINK_KEY)]
        for key in links.itertuples(index=False, name=None):
            first_seen.setdefault(key, n)
            present.setdefault(key, set()).add(n)
    keys = sorted(first_seen, key=lambda k: (first_seen[k], k))
    rows = [
        dict(zip(LINK_KEY, key)) | {label: int(n in present[key]) for n, label in enumerate(labels)}
        for key in keys
    ]
    return pd.DataFrame(rows, columns=[*LINK_KEY, *labels])


# --- alternatives -----------------------------------------------------------------------------
