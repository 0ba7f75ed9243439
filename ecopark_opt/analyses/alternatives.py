r"""Near-optimal alternative designs (modelling to generate alternatives).

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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.optimize import RunOptions, prepare
from ..core.solution import Solution
from ..core.vocabulary import METRICS
from ..errors import InputError
from ..park import Park


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


def alternatives(
    park: Park, k: int, within_pct: float, options: RunOptions = RunOptions()
) -> AlternativesResult:
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
    model = prepare(park)
    model.set_objective("cost")
    optimum = model.solve(options.solve_options(park, share=1.0 / (int(k) + 1)))
    cost = model.metric_value("cost")
    objective = float(optimum.result.objective)
    slack = abs(cost) * within_pct / 100.0
    found: list[Solution] = []
    designs = [set(optimum.used_links.index)]
    stopped = ""
    with model.near_optimal(cost, objective, slack):
        for n in range(int(k)):
            if options.out_of_time(park):
                stopped = "the time limit was reached"
                break
            model.exclude(designs[-1])
            step = model.next_alternative(
                designs, options.solve_options(park, share=1.0 / (int(k) - n))
            )
            if not step.has_solution:
                stopped = (
                    f"no further design within {within_pct:g} % of the optimum cost"
                    if step.status == "infeasible"
                    else f"the search stopped: {step.status} ({step.message})"
                )
                break
            design = model.solution(step, "cost")
            used = set(design.used_links.index)
            if used in designs:  # cannot happen with the cuts; never report a repeat
                stopped = "the solver returned a design already found"
                break
            designs.append(used)
            found.append(design)
    frame = alternatives_frame(optimum, found)
    return AlternativesResult(
        optimum=optimum,
        alternatives=found,
        requested=int(k),
        within_pct=float(within_pct),
        cost_bound=cost + slack,
        frame=frame,
        stopped=stopped,
        seconds=time.perf_counter() - started,
    )


def alternatives_frame(optimum: Solution, found: list[Solution]) -> pd.DataFrame:
    best = optimum.metrics["cost"]["design"]
    rows = []
    for n, s in enumerate([optimum, *found]):
        c = s.metrics["cost"]["design"]
        rows.append(
            {
                "design": "optimum" if n == 0 else f"alternative {n}",
                **{k: s.metrics[k]["design"] for k in METRICS},
                "links": len(s.used_links),
                "cost_vs_optimum_pct": 100.0 * (c - best) / abs(best) if best else np.nan,
                "gap": s.gap,
                "status": s.status,
            }
        )
    return pd.DataFrame(rows)
