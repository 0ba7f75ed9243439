"""A built park model that analyses drive without touching Pyomo (docs/architecture.md).

Everything an analysis does to a model is a method of :class:`ParkModel`: fix decisions and
put them back (:meth:`ParkModel.fixed`), switch the objective, solve lexicographically, bound
a metric (ε-constraint), require near-optimality and exclude designs found (alternatives),
let unbuyable demand go short (resilience), read the design and per-scenario metrics. The
constraints these methods add are stated with their maths below, like the core families.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from ..park import Park
from .decompose import Values, load_values, variable_values
from .model import Case, build_model, metric_expression, set_objective
from .solution import Solution, extract_solution
from .solve import SolveOptions, SolveResult, solve
from .stages import Timer, merge_stages, solve_lexicographic, solve_stages
from .vocabulary import METRICS, link_keys, tolerance

MIN_FLOW_SHARE = 1e-4  # alternatives: a built link carries at least this share of its bound
SHORTAGE_TOL = 1e-7  # resilience: slack (relative, at least absolute) on the least shortage


@dataclass
class DesignFixings:
    """A design's decisions in the index of a model: what :meth:`ParkModel.fixed` takes."""

    admit: dict[str, int]
    place: dict[tuple[str, str], int]
    build: dict[int, int]
    used_links: list[int]  # built, not internal, carrying flow
    capacity: dict[int, float] = field(default_factory=dict)  # sized links' capacity
    processes: dict[str, int] = field(default_factory=dict)  # built, where a decision exists
    process_capacity: dict[str, float] = field(default_factory=dict)  # sized processes

    @property
    def admitted(self) -> list[str]:
        return [f for f, a in self.admit.items() if a]


class ParkModel:
    """The MILP of a park (:func:`.model.build_model`) with the operations analyses need."""

    def __init__(self, model: pyo.ConcreteModel):
        self.m = model
        self.solves = 0  # HiGHS runs made through this object

    def _solve(self, options: SolveOptions) -> SolveResult:
        self.solves += 1
        return solve(self.m, options)

    @classmethod
    def build(cls, park: Park, links: pd.DataFrame, cases: list[Case] | None = None) -> ParkModel:
        return cls(build_model(park, links, cases))

    # --- what the model is over ------------------------------------------------------------

    @property
    def park(self) -> Park:
        return self.m.park

    @property
    def links(self) -> pd.DataFrame:
        return self.m.links

    @property
    def candidates(self) -> list[str]:
        return list(self.m.CANDIDATES)

    def process_firms(self) -> dict[str, str]:
        """The firm running each process."""
        return dict(self.m.firm_of_process)

    @property
    def objective_name(self) -> str:
        return self.m.objective_name

    # --- solving ---------------------------------------------------------------------------

    def solve(self, options: SolveOptions, timer: Timer | None = None) -> Solution:
        """Solve with the current objective (ties broken by cost for virgin / co2e) and
        read the design; raises ``InfeasibleError`` / ``SolverError`` like the core."""
        timer = timer or Timer()
        result, stages = solve_stages(self.m, options, timer)
        self.solves += len(stages)
        solution = self.solution(result)
        solution.stage_results = stages
        return solution

    def run(self, options: SolveOptions) -> SolveResult:
        """One solve of the current objective; never raises: the status says what happened
        (the design's values are in the model only when ``has_solution``)."""
        return self._solve(options)

    def run_staged(self, options: SolveOptions) -> SolveResult:
        """Like :meth:`run`, with the cost tie-break of virgin / co2e; never raises."""
        result, stages = solve_stages(self.m, options, Timer(), check=False)
        self.solves += len(stages)
        return result

    def lexicographic(self, primary: str, secondary: str, options: SolveOptions) -> SolveResult:
        """Minimise ``primary``, then ``secondary`` with the primary held at its optimum
        (:func:`.stages.solve_lexicographic`); raises like :meth:`solve`."""
        result, stages = solve_lexicographic(self.m, primary, secondary, options)
        self.solves += len(stages)
        return result

    def solution(self, result: SolveResult, objective: str | None = None) -> Solution:
        """The design now in the model as a :class:`Solution`, reported with ``objective``
        (default: the model's)."""
        return extract_solution(self.m, result, objective)

    def set_objective(self, name: str) -> None:
        """Minimise metric ``name`` (or ``weighted``) against the standalone baseline."""
        set_objective(self.m, name)

    def minimise_absolute(self, metric: str) -> None:
        """Minimise the metric itself, not against the baseline (the expected cost of the
        defection-aware design)."""
        m = self.m
        if hasattr(m, "objective"):
            m.del_component(m.objective)
        m.objective_name = metric
        m.objective = pyo.Objective(expr=metric_expression(m, metric, against_baseline=False))

    def metric_value(self, metric: str) -> float:
        """The absolute value of a metric for the design now in the model."""
        return float(pyo.value(metric_expression(self.m, metric, against_baseline=False)))

    # --- decisions -------------------------------------------------------------------------

    def design_fixings(self, design: Solution) -> DesignFixings:
        """The decisions of ``design`` (from this park, maybe another model) in this model's
        index; raises ``ValueError`` if the design builds a link this model lacks."""
        m = self.m
        firms = design.firms
        admit = {f: int(bool(firms.at[f, "admitted"])) for f in m.FIRMS}
        place = {
            (f, s): int(bool(firms.at[f, "placed"]) and firms.at[f, "site"] == s)
            for f, s in m.PLACEMENTS
        }
        model_id = dict(zip(link_keys(m.links, rows=True), m.links.index))
        build = dict.fromkeys(m.BUILT_LINKS, 0)
        capacity = dict.fromkeys(m.SIZED, 0.0)
        used = []
        d = design.links
        sized = d["capacity"] if "capacity" in d else pd.Series(float("nan"), index=d.index)
        for key, b, sent, internal, size in zip(
            link_keys(d, rows=True), d["build"], d["sent"], d["internal"], sized
        ):
            if internal or b < 0.5:
                continue
            if key not in model_id:
                raise ValueError("the design holds a link that is not a candidate of this park")
            build[model_id[key]] = 1
            if model_id[key] in capacity and size == size:  # not NaN
                capacity[model_id[key]] = float(size)
            if sent > 0:
                used.append(model_id[key])
        processes, process_capacity = self._process_fixings(design)
        return DesignFixings(admit, place, build, used, capacity, processes, process_capacity)

    def _process_fixings(self, design: Solution) -> tuple[dict[str, int], dict[str, float]]:
        """Which processes ``design`` builds (where a decision exists) and their sized
        capacity; a process this park lacks is not built."""
        m = self.m
        procs = design.processes
        built = set(procs.index[procs["built"].astype(bool)]) if not procs.empty else set()
        sized = procs["capacity"].dropna().to_dict() if not procs.empty else {}
        return (
            {p: int(p in built) for p in m.DECIDED},
            {p: float(sized.get(p, 0.0)) for p in m.SIZED_PROCESSES},
        )

    def process_ids(self, built: frozenset | set) -> dict[str, int]:
        """``ProcessBuilt`` fixings that build exactly the processes named in ``built``."""
        return {p: int(p in built) for p in self.m.DECIDED}

    def link_ids(self, keys: set[tuple]) -> tuple[dict[int, int], int]:
        """``Build`` fixings that build exactly the links of ``keys`` (a :data:`DESIGN_KEY`
        set), and how many of the keys are not candidates of this model."""
        build = {}
        for l, key, internal in zip(
            self.m.links.index, link_keys(self.m.links, rows=True), self.m.links["internal"]
        ):
            if not internal:
                build[l] = int(key in keys)
        present = set(link_keys(self.m.links, rows=True)) & keys
        return build, len(keys - present)

    def values(self) -> Values:
        """Every decision's value now in the model (a design to start later solves from)."""
        return variable_values(self.m)

    def start_flipped(self, design: Values, firm: str, admitted: bool) -> None:
        """Put ``design`` into the model as the start of the next solve (``warm_start``),
        with candidate ``firm``'s admission flipped to ``admitted`` and repaired where the
        flip breaks it: a firm kept out has no plot, link or process; a firm forced in
        takes the allowed plot with room left in the design whose site cost is least
        (none: no plot, and HiGHS finds the start infeasible), builds no link, and as a
        hub builds its first process. HiGHS completes the flows (partners buy and
        discharge what the firm no longer exchanges) or drops a start it cannot complete.
        """
        m = self.m
        load_values(m, design)
        if not m.Admit[firm].fixed:
            m.Admit[firm].set_value(int(admitted))
        links = m.links
        mine = links.index[(links["supplier"] == firm) | (links["receiver"] == firm)]
        for l in mine:
            if l in m.Build and not m.Build[l].fixed:
                m.Build[l].set_value(0)
        plots = [s for f, s in m.PLACEMENTS if f == firm]
        for s in plots:
            m.Place[firm, s].set_value(0)
        processes = [p for p in m.DECIDED if m.firm_of_process[p] == firm]
        for p in processes:
            if not m.ProcessBuilt[p].fixed:
                m.ProcessBuilt[p].set_value(int(admitted and firm in m.HUBS and p == processes[0]))
        if not admitted or not plots:
            return
        capacity = m.park.sites["capacity"].to_dict()
        used = Counter(s for (f, s), v in m.Place.items() if f != firm and round(v.value or 0))
        site_cost = m.park.sites["site_cost"].to_dict()
        free = [s for s in plots if used[s] < capacity[s]]
        if free:
            m.Place[firm, min(free, key=lambda s: (site_cost[s], s))].set_value(1)

    @contextmanager
    def fixed(
        self,
        admit: dict | None = None,
        place: dict | None = None,
        build: dict | None = None,
        links_off=(),
        shortage: bool = False,
        capacity: dict | None = None,
        processes: dict | None = None,
        process_capacity: dict | None = None,
    ) -> Iterator[None]:
        """Inside the block the given decisions are fixed: ``admit`` / ``place`` / ``build``
        / ``processes`` map model indexes to 0 or 1, ``capacity`` and ``process_capacity``
        sized links and processes to their capacity (a link fixed unbuilt keeps capacity 0);
        ``links_off`` are links that may neither be built nor carry flow; with ``shortage`` demand that cannot be bought may go unmet (its
        ``Purchase`` is free). Afterwards the variables touched have their fixing and value
        back and the objective is the one before the block; the other variables keep what
        the solves inside the block wrote (the last design found)."""
        m = self.m
        fixes: list[tuple[pyo.Var, float | None]] = []  # (variable, value to fix; None: free)
        for var, values in (
            (m.Admit, admit),
            (m.Place, place),
            (m.Build, build),
            (m.Capacity, capacity),
            (m.ProcessBuilt, processes),
            (m.ProcessCapacity, process_capacity),
        ):
            fixes += [(var[k], v) for k, v in (values or {}).items()]
        for l in links_off:
            if l in m.Build:
                fixes.append((m.Build[l], 0))
            fixes += [(m.Flow[c, l], 0) for c in m.CASES if (c, l) in m.Flow]
        if shortage:
            fixes += [(m.Purchase[c, j], None) for c, j in m.S_DEMAND if not m.buyable[j]]
        saved = [(v, v.fixed, v.value) for v, _ in fixes]
        objective = m.objective_name
        try:
            for v, value in fixes:
                if value is None:
                    v.unfix()
                else:
                    v.fix(value)
            yield
        finally:
            for v, was_fixed, value in saved:
                if was_fixed:
                    v.fix(value)
                else:
                    v.unfix()
                    v.set_value(value, skip_validation=True)
            if m.objective_name != objective:
                set_objective(m, objective)

    @contextmanager
    def without(
        self, constraint: str, where: Callable[[object], bool] | None = None
    ) -> Iterator[None]:
        """The rows of constraint component ``constraint`` switched off inside the block (only
        those whose index ``where`` accepts, when given), back on after it."""
        m = self.m
        component = getattr(m, constraint, None)
        rows = []
        if component is not None:
            rows = [c for k, c in component.items() if where is None or where(k)]
        for row in rows:
            row.deactivate()
        try:
            yield
        finally:
            for row in rows:
                row.activate()

    # --- Pareto ----------------------------------------------------------------------------

    @contextmanager
    def epsilon(self, metric: str) -> Iterator:
        r"""The ε-constraint on ``metric``, set by the function yielded (None lifts it).

        .. math:: \hat y = y - y^{base} \le ε \qquad (ε \text{: a mutable parameter, so the
                  model is compiled again for each bound but never rebuilt})
        """
        m = self.m
        m.pareto_epsilon = pyo.Param(mutable=True, initialize=0.0, doc="bound on y − baseline")
        m.pareto_epsilon_limit = pyo.Constraint(
            expr=metric_expression(m, metric) <= m.pareto_epsilon, doc="ε-constraint"
        )
        m.pareto_epsilon_limit.deactivate()

        def bound(value: float | None) -> None:
            if value is None:
                m.pareto_epsilon_limit.deactivate()
                return
            m.pareto_epsilon.set_value(float(value))
            m.pareto_epsilon_limit.activate()

        try:
            yield bound
        finally:
            m.del_component(m.pareto_epsilon_limit)
            m.del_component(m.pareto_epsilon)

    # --- alternatives ----------------------------------------------------------------------

    @contextmanager
    def near_optimal(self, cost: float, objective: float, slack: float) -> Iterator[None]:
        r"""Near-optimality and "built means used", for the search of alternatives.

        .. math:: C \le C^* + s + τ, \qquad \hat C \le \hat C^* + s + τ, \qquad
                  \sum_c F_{cl} \ge μ \sum_c U_{cl} B_l \ (\textstyle\sum_c U_{cl} > 0),
                  \qquad B_l = 0 \ (\textstyle\sum_c U_{cl} = 0)

        (μ = ``MIN_FLOW_SHARE``: a built link carries at least that share of what it could
        carry over the year); :meth:`exclude` adds no-good cuts inside the block.
        """
        m = self.m
        m.alternative_cost_limit = pyo.Constraint(
            expr=m.Cost <= cost + slack + tolerance(cost), doc="design cost within the slack"
        )
        m.alternative_objective_limit = pyo.Constraint(
            expr=metric_expression(m, "cost") <= objective + slack + tolerance(objective),
            doc="cost against baseline within the slack",
        )
        cases = self._cases_of_links()

        def rule(m, l):
            reach = sum(m.upper[c, l] for c in cases[l])
            if reach <= 0:
                return m.Build[l] <= 0
            return sum(m.Flow[c, l] for c in cases[l]) >= MIN_FLOW_SHARE * reach * m.Build[l]

        built = [l for l in m.BUILT_LINKS if cases.get(l)]
        if built:
            m.alternative_min_flow = pyo.Constraint(
                built, rule=rule, doc="a built link carries flow"
            )
        m.alternative_cuts = pyo.ConstraintList(doc="exclude designs already found")
        try:
            yield
        finally:
            for name in (
                "alternative_structure_hold",
                "alternative_cost_limit",
                "alternative_objective_limit",
                "alternative_min_flow",
                "alternative_cuts",
            ):
                if hasattr(m, name):
                    m.del_component(name)
            set_objective(m, m.objective_name)

    def exclude(self, used: set) -> None:
        r"""No-good cut: the next design's set of links differs from ``used``.

        .. math:: \sum_{l \in S} (1 - B_l) + \sum_{l \notin S} B_l \ge 1
        """
        m = self.m
        m.alternative_cuts.add(
            sum(1 - m.Build[l] for l in used)
            + sum(m.Build[l] for l in m.BUILT_LINKS if l not in used)
            >= 1
        )

    def _cases_of_links(self) -> dict[int, list[int]]:
        """The cases each link operates in (the link's flow variables)."""
        cases: dict[int, list[int]] = {}
        for c, l in self.m.S_LINKS:
            cases.setdefault(l, []).append(c)
        return cases

    def _structure(self, designs: list[set]):
        r"""Overlap with the designs found, plus the unused share of the links built.

        .. math:: Σ = \sum_l w_l B_l + \frac{1}{2|L|} \sum_{l \in L}
                  \Big(B_l - \frac{\sum_c F_{cl}}{\sum_c U_{cl}}\Big)

        (w_l: designs found that use link l; L: links that need building and can carry
        something over the year).
        """
        m = self.m
        weight = Counter(l for d in designs for l in d)
        overlap = sum(w * m.Build[l] for l, w in weight.items())
        cases = self._cases_of_links()
        reach = {l: sum(m.upper[c, l] for c in cases.get(l, ())) for l in m.BUILT_LINKS}
        built = [l for l in m.BUILT_LINKS if reach[l] > 0]
        if not built:
            return overlap
        unused = sum(m.Build[l] - sum(m.Flow[c, l] for c in cases[l]) / reach[l] for l in built)
        return overlap + (0.5 / len(built)) * unused

    def next_alternative(self, designs: list[set], options: SolveOptions) -> SolveResult:
        """Least structure (:meth:`_structure`), then least cost with it held (merged like
        every staged solve, :func:`.stages.merge_stages`); the design is left in the model
        when the result has a solution."""
        m = self.m
        m.del_component(m.objective)
        m.objective = pyo.Objective(expr=self._structure(designs), sense=pyo.minimize)
        first = self._solve(options)
        if not first.has_solution:
            return first
        best = float(first.objective)
        m.alternative_structure_hold = pyo.Constraint(
            expr=self._structure(designs) <= best + tolerance(best)
        )
        try:
            set_objective(m, "cost")
            second = self._solve(options)
        finally:
            m.del_component(m.alternative_structure_hold)
        return merge_stages(first, second) if second.has_solution else first

    # --- resilience ------------------------------------------------------------------------

    def least_shortage(self, objective: str, options: SolveOptions) -> SolveResult:
        r"""Inside :meth:`fixed` with ``shortage``: minimise the shortage
        S = Σ_{c,j} P_{cj} over demand rows that cannot be bought, then ``objective`` (with
        its cost tie-break) with S ≤ S* + τ · max(1, S*) (τ = ``SHORTAGE_TOL``). Infeasible
        when no demand row is unbuyable."""
        m = self.m
        rows = [(c, j) for c, j in m.S_DEMAND if not m.buyable[j]]
        if not rows:
            return SolveResult("infeasible", message="no feasible operation")
        m.resilience_shortage = pyo.Expression(
            expr=sum(m.Purchase[c, j] for c, j in rows), doc="demand that cannot be met"
        )
        m.del_component(m.objective)
        m.objective = pyo.Objective(expr=m.resilience_shortage, sense=pyo.minimize)
        try:
            first = self._solve(options)
            if not first.has_solution:
                return first
            least = max(first.objective, 0.0)
            m.resilience_shortage_cap = pyo.Constraint(
                expr=m.resilience_shortage <= least + SHORTAGE_TOL * max(1.0, least)
            )
            set_objective(m, objective)
            return self.run_staged(options)
        finally:
            for name in ("resilience_shortage_cap", "resilience_shortage"):
                if hasattr(m, name):
                    m.del_component(name)
            set_objective(m, objective)

    # --- scenarios -------------------------------------------------------------------------

    def built(self) -> list[int]:
        """The links the design now in the model builds (internal arcs aside)."""
        return [l for l, v in self.m.Build.items() if round(v.value or 0.0)]

    def scenario_metrics(self) -> pd.DataFrame:
        """Per scenario of the model's cases: absolute cost, virgin and co2e of the design now
        in the model (the yearly metrics of that scenario's cases, not weighted)."""
        m = self.m
        links = m.links
        res = m.park.resources
        fixed_cost = links["fixed_cost"].to_dict()
        var = links["var_cost"].to_dict()
        co2 = links["co2e_per_unit"].to_dict()
        fixed_total = sum(fixed_cost[l] for l in self.built())
        rows = {s: {"cost": fixed_total, "virgin": 0.0, "co2e": 0.0} for s in m.SCENARIOS}
        scenario = {c: m.case[c].scenario for c in m.CASES}
        for (c, l), v in m.Flow.items():
            x = v.value or 0.0
            rows[scenario[c]]["cost"] += var[l] * x
            rows[scenario[c]]["co2e"] += co2[l] * x
        for (c, j), v in m.Purchase.items():
            x = v.value or 0.0
            if m.buyable[j]:
                r = m.resource_of[j]
                rows[scenario[c]]["cost"] += m.price[j] * x
                rows[scenario[c]]["virgin"] += float(res.at[r, "virgin_weight"]) * x
                rows[scenario[c]]["co2e"] += float(res.at[r, "virgin_co2e"]) * x
        for (c, i), v in m.Discharge.items():
            x = v.value or 0.0
            rows[scenario[c]]["cost"] += m.price[i] * x
            rows[scenario[c]]["co2e"] += float(res.at[m.resource_of[i], "disposal_co2e"]) * x
        frame = pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)]
        frame.index.name = "scenario"
        return frame
