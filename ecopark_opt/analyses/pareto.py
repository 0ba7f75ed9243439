r"""Trade-offs between two metrics: the ε-constraint Pareto front (docs/analyses.md).

The model is built once (:func:`~ecopark_opt.core.optimize.prepare`); between solves only a
bound (:meth:`~ecopark_opt.core.park_model.ParkModel.epsilon`) and the objective change.

Pareto front (x, y among cost, virgin, co2e)
============================================
The optimizer minimises each metric *against the standalone baseline* (docs/model.md), so the
front is traced in those terms, written :math:`\hat x = x - x^{base}` and :math:`\hat y`:

1. first point: :math:`\min \hat x`, then :math:`\min \hat y` s.t. :math:`\hat x \le \hat x^* + τ`;
2. last point: :math:`\min \hat y`, then :math:`\min \hat x` s.t. :math:`\hat y \le \hat y^* + τ`;
3. the N − 2 points between: :math:`\min \hat x` s.t. :math:`\hat y \le ε_k`, with
   :math:`ε_k = \hat y_{first} - k (\hat y_{first} - \hat y_{last}) / (N - 1)`,
   k = 1 … N − 2 (evenly spaced, strictly between the end points);
4. weakly dominated points are dropped, points equal in both metrics are merged (the same
   design found again, or a tie), and the rest is sorted by x.

τ = 10⁻⁶ · max(1, |value|). :math:`ε_k` is a mutable parameter of one constraint, so the model
is compiled again for each point but never rebuilt. The reported metrics are the absolute
design values (``metrics[m]["design"]``, docs/results.md). With existing firms only, the baseline is a
constant and both views coincide; when candidate firms can be admitted the baseline moves
with admission, and the order along the front is the order of the optimised quantity.

Points with the same set of links but different metrics are all kept: the same links can
carry more or less (a continuous stretch of the front), and each such point is non-dominated.

Near-optimal alternative designs are in :mod:`.alternatives`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.optimize import RunOptions, prepare
from ..core.park_model import ParkModel
from ..core.solution import Solution
from ..core.solve import SolveOptions
from ..core.vocabulary import LINK_KEY, METRICS, tolerance
from ..errors import InputError
from ..park import Park


def relative(solution: Solution, metric: str) -> float:
    """A metric against the standalone baseline, as the optimizer minimises it."""
    return solution.metrics[metric]["design"] - solution.metrics[metric]["baseline"]


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

    def __init__(self, park: Park, reuse: bool):
        self.park = park
        self.reuse = reuse
        self.builds = 0
        self._shared: ParkModel | None = None

    def get(self) -> ParkModel:
        if self.reuse and self._shared is not None:
            return self._shared
        model = prepare(self.park)
        self.builds += 1
        if self.reuse:
            self._shared = model
        return model


def lexicographic(
    model: ParkModel, primary: str, secondary: str, report_as: str, options: SolveOptions
) -> Solution:
    r"""Minimise ``primary``, then ``secondary`` with the primary held at its optimum
    (:meth:`~ecopark_opt.core.park_model.ParkModel.lexicographic`); the design is reported
    with objective ``report_as``."""
    return model.solution(model.lexicographic(primary, secondary, options), report_as)


def pareto_front(
    park: Park, points: int, x: str = "cost", y: str = "virgin", options: RunOptions = RunOptions()
) -> ParetoResult:
    """The ε-constraint front of x against y (docs/analyses.md), on one model built once.

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
    models = _Models(park, reuse_model)
    found: list[tuple[Solution, float]] = []
    skipped: list[str] = []

    def solve_options(left: int) -> SolveOptions:
        """This point's share of the command's time left, ``left`` points to go."""
        return options.solve_options(park, share=1.0 / left)

    first = lexicographic(models.get(), x, y, x, solve_options(points))
    found.append((first, np.nan))
    if points >= 2:
        last = lexicographic(models.get(), y, x, x, solve_options(points - 1))
        found.append((last, np.nan))
        high, low = relative(first, y), relative(last, y)
        if points > 2 and high - low > tolerance(high):
            step = (high - low) / (points - 1)
            for k in range(1, points - 1):
                eps = high - k * step
                if options.out_of_time(park):
                    skipped.append(f"{y} − baseline ≤ {eps:g}: the time limit was reached")
                    continue
                model = models.get()
                with model.epsilon(y) as bound:
                    bound(eps)
                    model.set_objective(x)
                    result = model.run(solve_options(points - 1 - k))
                    if not result.has_solution:
                        skipped.append(
                            f"{y} − baseline ≤ {eps:g}: {result.status} ({result.message})"
                        )
                        continue
                    found.append((model.solution(result), eps))
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
