"""The park MILP built straight into standard form, for the pieces of a decomposed solve.

Pyomo creates an object per variable, row and term, and its compiler walks them all again:
at 2 000 firms the pieces of a decomposed solve took 7.9 s to build and 2.2 s to hand over,
against 36 s of HiGHS to the park's 1 % gap (benchmarks/scale.py). The pieces of
:mod:`.decompose` come from parks without candidate firms, processes, ``max_links`` or
``win_win`` (those couple a park into one problem); such a piece (:func:`supports`) is built
here instead, with numpy, into the sparse arrays HiGHS takes (:class:`.solve.Arrays`).

There is one function per constraint family, each building the rows of the family of the
same name in :mod:`.families` — whose docstring gives the maths and symbols — over the same
sets: the cases of the park's periods, every flows row, every candidate link, their bounds
U_cl (:func:`~ecopark_opt.inputs.periods.link_bounds`). ``Admit`` is 1 for every firm (all
exist) and a demand that cannot be bought has no ``Purchase`` column, as the Pyomo model's
compiled form has them once its fixed variables become constants. The model is the same
column for column and row for row: tests/core/test_standard_form.py compiles both on
generated parks and compares matrices, bounds and objectives. Analyses, which fix, add and
relax rows, keep the Pyomo model (:mod:`.park_model`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, vstack

from ..inputs.periods import link_bounds
from ..park import Park
from .model import METRIC_EXPRESSIONS
from .solve import INF, Arrays, SolveOptions, SolveResult, solve_arrays
from .vocabulary import OBJECTIVES


def supports(park: Park) -> bool:
    """Whether every family that holds rows for ``park`` is built here: no candidate firms
    (admission, siting, plot flows), no processes, no ``max_links``, no ``win_win``."""
    s = park.settings
    return (
        not (park.firms["status"] == "candidate").any()
        and not park.has_processes
        and s.max_links is None
        and not s.win_win
    )


@dataclass
class Block:
    """A variable's columns: ``keys[n]`` (its Pyomo index) is column ``start + n``."""

    name: str
    start: int
    keys: list


@dataclass
class Rows:
    """A family's rows: ``keys[n]`` (its Pyomo index) is row ``start + n``."""

    name: str
    start: int
    keys: list


@dataclass
class StandardForm:
    """A piece's MILP in standard form, with the metrics' cost vectors so that the objective
    can be switched and held (the cost tie-break of virgin / co2e, :mod:`.stages`)."""

    park: Park
    links: pd.DataFrame
    blocks: dict[str, Block]
    rows: list[Rows]
    A: object  # scipy CSC matrix, rows × columns
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    metric_cost: dict[str, np.ndarray]  # metric → cost vector of the design's metric
    baseline: dict[str, float]  # metric → the standalone baseline (a constant here)
    objective_name: str = "cost"
    held: list[tuple[np.ndarray, float, float]] = field(default_factory=list)
    x: np.ndarray | None = None  # the last solution's column values
    start: np.ndarray | None = None  # starting values (NaN: none) for the next solve

    @property
    def n_columns(self) -> int:
        return len(self.lower)

    def objective(self, name: str) -> tuple[np.ndarray, float]:
        """Cost vector and constant of objective ``name`` (a metric against its baseline,
        or the weighted sum, :func:`.model.objective_expression`)."""
        if name in METRIC_EXPRESSIONS:
            return self.metric_cost[name], -self.baseline[name]
        if name != "weighted":
            raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}")
        s = self.park.settings
        weights = {"cost": s.weight_cost, "virgin": s.weight_virgin, "co2e": s.weight_co2e}
        cost = sum(w * self.metric_cost[k] for k, w in weights.items())
        return np.asarray(cost, dtype=float), -sum(w * self.baseline[k] for k, w in weights.items())

    def set_objective(self, name: str) -> None:
        self.objective(name)  # an unknown name raises here
        self.objective_name = name

    @contextmanager
    def hold(self, name: str, bound: float) -> Iterator[None]:
        """Inside the block, objective ``name`` is held at most at ``bound`` (one more row)."""
        cost, offset = self.objective(name)
        self.held.append((cost, -INF, bound - offset))
        try:
            yield
        finally:
            self.held.pop()

    def arrays(self) -> Arrays:
        """The arrays HiGHS is given: the rows, any held objective, the current objective."""
        cost, offset = self.objective(self.objective_name)
        A, lower, upper = self.A, self.row_lower, self.row_upper
        if self.held:
            extra = coo_matrix(np.vstack([c for c, _, _ in self.held]))
            A = vstack([A, extra]).tocsc()
            lower = np.concatenate([lower, [lo for _, lo, _ in self.held]])
            upper = np.concatenate([upper, [up for _, _, up in self.held]])
        return Arrays(A, offset, cost, self.lower, self.upper, lower, upper, self.integer)

    def solve(self, options: SolveOptions) -> SolveResult:
        """Minimise the current objective; keep the solution's values in ``x``."""
        started = time.perf_counter()
        start = self.start if options.warm_start else None
        result, x = solve_arrays(self.arrays(), options, start, started)
        if x is not None:  # like a Pyomo model's variables, the values start the next solve
            self.x = self.start = x
        return result

    def values(self) -> dict[str, dict]:
        """The solution's values by variable and Pyomo index (every firm admitted)."""
        x = self.x if self.x is not None else np.zeros(self.n_columns)
        out: dict[str, dict] = {
            name: {}
            for name in (
                "Place",
                "ProcessBuilt",
                "ProcessCapacity",
                "Throughput",
                "Purchase",
                "Capacity",
            )
        }
        out["Admit"] = dict.fromkeys(self.park.firms.index, 1.0)
        for block in self.blocks.values():
            out[block.name] = dict(zip(block.keys, x[block.start : block.start + len(block.keys)]))
        return out

    def set_start(self, values: dict[str, dict] | None) -> None:
        """Starting values for the next solve: a design's ``values``, or none: no link
        built (standalone operation)."""
        start = np.full(self.n_columns, np.nan)
        build = self.blocks.get("Build")
        if build is not None:
            given = (values or {}).get("Build", {})
            start[build.start : build.start + len(build.keys)] = [
                given.get(k, 0.0) for k in build.keys
            ]
        self.start = start


class _Builder:
    """Columns and rows as they are added; :meth:`form` puts them together."""

    def __init__(self) -> None:
        self.blocks: dict[str, Block] = {}
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n_col = 0
        self.rows: list[Rows] = []
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.row_lower: list[np.ndarray] = []
        self.row_upper: list[np.ndarray] = []
        self.n_row = 0

    def columns(self, name: str, keys: list, lower, upper, integer: bool = False) -> int:
        n = len(keys)
        self.blocks[name] = Block(name, self.n_col, keys)
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), n))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), n))
        self.integer.append(np.full(n, int(integer), dtype=np.int32))
        self.n_col += n
        return self.n_col - n

    def add(self, name: str, keys: list, terms, lower, upper) -> None:
        """Rows ``keys``; ``terms`` are (local row, column, coefficient) arrays."""
        n = len(keys)
        if not n:
            return
        self.rows.append(Rows(name, self.n_row, keys))
        for row, col, val in terms:
            self.r.append(np.asarray(row, dtype=np.int64) + self.n_row)
            self.c.append(np.asarray(col, dtype=np.int64))
            self.v.append(np.asarray(val, dtype=float))
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), n))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), n))
        self.n_row += n

    def matrix(self):
        r = np.concatenate(self.r) if self.r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        keep = v != 0  # as Pyomo's compiler, no explicit zeros
        A = coo_matrix((v[keep], (r[keep], c[keep])), shape=(self.n_row, self.n_col)).tocsc()
        A.sum_duplicates()
        return A


@dataclass
class _Sets:
    """The sets and data of :func:`.model.add_sets` as arrays, for the plain cases."""

    cases: list[str]  # period of each case
    rate: np.ndarray  # h_t / H per case
    supply: pd.Index  # supply rows
    demand: pd.Index  # demand rows
    amount: pd.DataFrame  # flows row × case: q × share
    upper: np.ndarray  # case × link: U_cl
    built: np.ndarray  # link positions that have a Build column
    sized: np.ndarray  # link positions with a Capacity column
    buyable: np.ndarray  # per demand row


def build_form(park: Park, links: pd.DataFrame) -> StandardForm:
    """The piece's MILP (``park`` must be :func:`supports`-ed) over the candidate ``links``."""
    sets = _sets(park, links)
    b = _Builder()
    _variables(b, park, links, sets)
    supply_balance(b, park, links, sets)
    demand_balance(b, park, links, sets)
    quality_limit(b, park, links, sets)
    link_capacity(b, park, links, sets)
    link_sizing(b, park, links, sets)
    max_virgin(b, park, links, sets)
    dependency_limit(b, park, links, sets)
    metric_cost, baseline = _metrics(b, park, links, sets)
    A = b.matrix()
    cat = np.concatenate
    return StandardForm(
        park=park,
        links=links,
        blocks=b.blocks,
        rows=b.rows,
        A=A,
        row_lower=cat(b.row_lower) if b.row_lower else np.zeros(0),
        row_upper=cat(b.row_upper) if b.row_upper else np.zeros(0),
        lower=cat(b.lower) if b.lower else np.zeros(0),
        upper=cat(b.upper) if b.upper else np.zeros(0),
        integer=cat(b.integer) if b.integer else np.zeros(0, dtype=np.int32),
        metric_cost=metric_cost,
        baseline=baseline,
        objective_name=park.settings.objective,
    )


def _sets(park: Park, links: pd.DataFrame) -> _Sets:
    flows = park.flows
    hours = park.period_hours
    shares = park.shares()
    cases = list(hours.index)
    amount = shares.mul(flows["quantity"].astype(float), axis=0)
    amount.columns = range(len(cases))
    upper = np.array([link_bounds(park, links, shares, t) for t in cases], dtype=float)
    internal = links["internal"].to_numpy(bool)
    return _Sets(
        cases=cases,
        rate=(hours / hours.sum()).to_numpy(float),
        supply=flows.index[flows["direction"] == "supply"],
        demand=flows.index[flows["direction"] == "demand"],
        amount=amount,
        upper=upper.reshape(len(cases), len(links)),
        built=np.flatnonzero(~internal),
        sized=np.flatnonzero(~internal & links["sized"].to_numpy(bool)),
        buyable=~np.isnan(flows.loc[flows["direction"] == "demand", "price"].to_numpy(float)),
    )


# --- columns -------------------------------------------------------------------------------


def _case_keys(n_cases: int, keys: list) -> list:
    return [(c, k) for c in range(n_cases) for k in keys]


def _variables(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """Flow, Build, Purchase (buyable demand rows), Discharge and Capacity columns, with the
    bounds of :func:`.model.add_variables`."""
    n_cases = len(s.cases)
    ids = links.index.tolist()
    b.columns("Flow", _case_keys(n_cases, ids), 0.0, s.upper.ravel())
    b.columns("Build", [ids[p] for p in s.built], 0.0, 1.0, integer=True)
    buy = s.demand[s.buyable]
    b.columns(
        "Purchase",
        _case_keys(n_cases, list(buy)),
        0.0,
        s.amount.loc[buy].to_numpy(float).T.ravel(),
    )
    b.columns(
        "Discharge",
        _case_keys(n_cases, list(s.supply)),
        0.0,
        s.amount.loc[s.supply].to_numpy(float).T.ravel(),
    )
    b.columns("Capacity", [ids[p] for p in s.sized], 0.0, _max_capacity(s))


def _max_capacity(s: _Sets) -> np.ndarray:
    """K^max_l = max_c U_cl / r_c of each sized link."""
    if not len(s.sized):
        return np.zeros(0)
    return (s.upper[:, s.sized] / s.rate[:, None]).max(axis=0)


def _flow_col(b: _Builder, n_links: int, case: np.ndarray, position: np.ndarray) -> np.ndarray:
    return b.blocks["Flow"].start + case * n_links + position


def _positions(index: pd.Index, rows) -> np.ndarray:
    return index.get_indexer(pd.Index(rows))


# --- constraint families (maths: the families of the same name in families.py) ------------


def supply_balance(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_supply_balance`: Σ_out F + D = q (every firm admitted)."""
    n_cases, n_links, n_sup = len(s.cases), len(links), len(s.supply)
    out = _positions(s.supply, links["supply_flow"])
    keys = _case_keys(n_cases, list(s.supply))
    terms = []
    for c in range(n_cases):
        base = c * n_sup
        p = np.arange(n_links)
        terms.append((base + out, _flow_col(b, n_links, c, p), np.ones(n_links)))
        d = b.blocks["Discharge"].start + base + np.arange(n_sup)
        terms.append((base + np.arange(n_sup), d, np.ones(n_sup)))
    rhs = s.amount.loc[s.supply].to_numpy(float).T.ravel()
    b.add("supply_balance", keys, terms, rhs, rhs)


def demand_balance(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_demand_balance`: Σ_in η F + P = q."""
    n_cases, n_links, n_dem = len(s.cases), len(links), len(s.demand)
    into = _positions(s.demand, links["demand_flow"])
    eta = links["delivered_factor"].to_numpy(float)
    keys = _case_keys(n_cases, list(s.demand))
    buy = np.flatnonzero(s.buyable)
    terms = []
    for c in range(n_cases):
        base = c * n_dem
        terms.append((base + into, _flow_col(b, n_links, c, np.arange(n_links)), eta))
        col = b.blocks["Purchase"].start + c * len(buy) + np.arange(len(buy))
        terms.append((base + buy, col, np.ones(len(buy))))
    rhs = s.amount.loc[s.demand].to_numpy(float).T.ravel()
    b.add("demand_balance", keys, terms, rhs, rhs)


def quality_limit(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_quality_limits`: Σ_in η c_i F + c^virgin P ≤ L q."""
    flows = park.flows
    n_cases, n_links = len(s.cases), len(links)
    eta = links["delivered_factor"].to_numpy(float)
    into = _positions(s.demand, links["demand_flow"])
    buy_rank = np.cumsum(s.buyable) - 1
    qty = flows["quantity"].reindex(s.demand).to_numpy(float)
    keys: list = []
    terms = []
    lower, upper = [], []
    for k in park.property_names:
        limit = flows[k].reindex(s.demand).to_numpy(float)
        limited = np.flatnonzero(~np.isnan(limit) & (qty > 0))
        if not len(limited):
            continue
        row_of = np.full(len(s.demand), -1)
        value = flows[k].reindex(links["supply_flow"]).to_numpy(float)
        virgin = park.resources[k].reindex(flows["resource_id"].reindex(s.demand)).to_numpy(float)
        for c in range(n_cases):
            row_of[limited] = len(keys) + np.arange(len(limited))
            keys += [(c, j, k) for j in s.demand[limited]]
            mine = row_of[into] >= 0
            p = np.flatnonzero(mine)
            terms.append((row_of[into[p]], _flow_col(b, n_links, c, p), eta[p] * value[p]))
            bought = limited[s.buyable[limited]]
            col = b.blocks["Purchase"].start + c * int(s.buyable.sum()) + buy_rank[bought]
            terms.append((row_of[bought], col, virgin[bought]))
            amount = s.amount.loc[s.demand[limited], c].to_numpy(float)
            lower.append(np.full(len(limited), -INF))
            upper.append(limit[limited] * amount)
            row_of[:] = -1
    if keys:
        b.add("quality_limit", keys, terms, np.concatenate(lower), np.concatenate(upper))


def link_capacity(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_link_capacity`: F − U B ≤ 0 on built links."""
    n_cases, n_links, n_built = len(s.cases), len(links), len(s.built)
    ids = links.index.to_numpy()
    keys = [(c, l) for c in range(n_cases) for l in ids[s.built].tolist()]
    build = b.blocks["Build"].start + np.arange(n_built)
    terms = []
    for c in range(n_cases):
        rows = c * n_built + np.arange(n_built)
        terms.append((rows, _flow_col(b, n_links, c, s.built), np.ones(n_built)))
        terms.append((rows, build, -s.upper[c, s.built]))
    b.add("link_capacity", keys, terms, -INF, 0.0)


def link_sizing(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_link_sizing`: F − r K ≤ 0 per case; K − K^max B ≤ 0."""
    n_sized = len(s.sized)
    if not n_sized:
        return
    n_cases, n_links = len(s.cases), len(links)
    ids = links.index.to_numpy()[s.sized].tolist()
    capacity = b.blocks["Capacity"].start + np.arange(n_sized)
    terms = []
    for c in range(n_cases):
        rows = c * n_sized + np.arange(n_sized)
        terms.append((rows, _flow_col(b, n_links, c, s.sized), np.ones(n_sized)))
        terms.append((rows, capacity, np.full(n_sized, -s.rate[c])))
    b.add("link_size", [(c, l) for c in range(n_cases) for l in ids], terms, -INF, 0.0)
    build_rank = np.searchsorted(s.built, s.sized)
    rows = np.arange(n_sized)
    terms = [
        (rows, capacity, np.ones(n_sized)),
        (rows, b.blocks["Build"].start + build_rank, -_max_capacity(s)),
    ]
    b.add("size_bound", ids, terms, -INF, 0.0)


def max_virgin(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_max_virgin`: Σ_{c, j of r} P_cj ≤ V^max_r."""
    caps = park.resources["max_virgin"].dropna()
    if caps.empty:
        return
    resource = park.flows["resource_id"].reindex(s.demand).to_numpy(object)
    present = [r for r in caps.index if (resource == r).any()]
    if not present:
        return
    n_buy = int(s.buyable.sum())
    buy_rank = np.cumsum(s.buyable) - 1
    terms = []
    for n, r in enumerate(present):
        rows = np.flatnonzero((resource == r) & s.buyable)
        for c in range(len(s.cases)):
            col = b.blocks["Purchase"].start + c * n_buy + buy_rank[rows]
            terms.append((np.full(len(rows), n), col, np.ones(len(rows))))
    b.add("max_virgin", [("", r) for r in present], terms, -INF, caps[present].to_numpy(float))


def dependency_limit(b: _Builder, park: Park, links: pd.DataFrame, s: _Sets) -> None:
    """:func:`.families.add_dependency_limit`: Σ_{c, l from g to j} η F ≤ δ q_j."""
    share = park.settings.max_dependency_share
    if share >= 1:
        return
    external = np.flatnonzero(~links["internal"].to_numpy(bool))
    if not len(external):
        return
    pairs = links.iloc[external][["demand_flow", "supplier"]]
    groups = pd.MultiIndex.from_frame(pairs).unique()
    group_of = groups.get_indexer(pd.MultiIndex.from_frame(pairs))
    eta = links["delivered_factor"].to_numpy(float)[external]
    n_links = len(links)
    terms = [(group_of, _flow_col(b, n_links, c, external), eta) for c in range(len(s.cases))]
    qty = park.flows["quantity"].astype(float).reindex(groups.get_level_values(0)).to_numpy()
    keys = [("", j, g) for j, g in groups]
    b.add("dependency_limit", keys, terms, -INF, share * qty)


# --- objective ------------------------------------------------------------------------------


def _metrics(
    b: _Builder, park: Park, links: pd.DataFrame, s: _Sets
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Cost vectors of the three metrics and their baselines (:func:`.model.add_metrics`;
    every case weighs 1, every firm is admitted)."""
    flows = park.flows
    res = park.resources
    n_cases = len(s.cases)
    cost = {m: np.zeros(b.n_col) for m in ("cost", "virgin", "co2e")}
    flow, build = b.blocks["Flow"].start, b.blocks["Build"].start
    n_flow = n_cases * len(links)
    cost["cost"][flow : flow + n_flow] = np.tile(links["var_cost"].to_numpy(float), n_cases)
    cost["co2e"][flow : flow + n_flow] = np.tile(links["co2e_per_unit"].to_numpy(float), n_cases)
    built = links["fixed_cost"].to_numpy(float)[s.built]
    cost["cost"][build : build + len(s.built)] = built
    capacity = b.blocks["Capacity"].start
    cost["cost"][capacity : capacity + len(s.sized)] = links["size_cost"].to_numpy(float)[s.sized]
    buy = s.demand[s.buyable]
    resource_of = flows["resource_id"]
    price = flows["price"].astype(float)
    purchase, n_buy = b.blocks["Purchase"].start, len(buy)
    for metric, per_unit in (
        ("cost", price.reindex(buy).to_numpy(float)),
        ("virgin", res["virgin_weight"].reindex(resource_of.reindex(buy)).to_numpy(float)),
        ("co2e", res["virgin_co2e"].reindex(resource_of.reindex(buy)).to_numpy(float)),
    ):
        cost[metric][purchase : purchase + n_cases * n_buy] = np.tile(per_unit, n_cases)
    discharge, n_sup = b.blocks["Discharge"].start, len(s.supply)
    for metric, per_unit in (
        ("cost", price.reindex(s.supply).to_numpy(float)),
        ("co2e", res["disposal_co2e"].reindex(resource_of.reindex(s.supply)).to_numpy(float)),
    ):
        cost[metric][discharge : discharge + n_cases * n_sup] = np.tile(per_unit, n_cases)
    qty = flows["quantity"].astype(float)
    q_buy, q_sup = qty.reindex(buy).to_numpy(float), qty.reindex(s.supply).to_numpy(float)
    per_buy = {m: cost[m][purchase : purchase + n_buy] for m in cost}
    per_sup = {m: cost[m][discharge : discharge + n_sup] for m in cost}
    baseline = {
        m: float(np.dot(q_buy, per_buy[m]) + np.dot(q_sup, per_sup[m])) for m in ("cost", "co2e")
    }
    baseline["virgin"] = float(np.dot(q_buy, per_buy["virgin"]))
    return cost, baseline


def pyomo_twin(form: StandardForm):
    """The Pyomo model of the same piece (to explain an infeasible one, :mod:`.diagnose`)."""
    from .model import build_model

    m = build_model(form.park, form.links)
    m.objective_name = form.objective_name
    return m
