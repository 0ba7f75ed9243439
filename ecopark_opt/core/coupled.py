"""Parks whose candidate firms couple them into one problem: a complete start, then the
whole model.

Admitting a candidate switches all its rows on and placing it decides where its links
start, so a park with candidate firms cannot be split into independent components
(:mod:`.decompose`). HiGHS on the whole model finds a good bound quickly but good designs
slowly: on a generated park of 400 firms with 12 candidates and 12 plots its bound was
within 0.8 % of the best design known after 120 s, its own design 4.4 % away
(benchmarks/coupled.py). This route gives HiGHS a complete design to start from:

1. **Relax** — the LP relaxation of the whole model (a few seconds): how much of each
   candidate it admits and on which plots.
2. **Settle** — admission and placement are rounded (:func:`settle`): a candidate is
   admitted when the relaxation admits at least half of it, and placed on the allowed plot
   the relaxation puts most of it on that still has room.
3. **Components** — with admission and placement settled, nothing couples the components:
   admitted candidates become firms on their plots, the others leave (:func:`settled_park`),
   and that park is solved by pieces (:func:`.decompose.solve_pieces`) in a share of the
   time. Its design, with the settled admission and placement, is a complete design of
   the whole park.
4. **Whole model** — HiGHS solves the whole model from that design (its warm start: HiGHS
   completes the given integer columns with an LP and keeps the result as its incumbent),
   so it may change admission and placement too; the bound, and so the gap, is the whole
   model's own.

The optimum is the whole model's: the start only changes how fast HiGHS gets there. When
the relaxation or the settled park gives no design, the whole model is solved without a
start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy.optimize import linear_sum_assignment

from ..errors import InfeasibleError, SolverError
from ..park import Park
from . import decompose
from .decompose import Piece, Values
from .park_model import ParkModel
from .pool import Executor
from .solution import Solution
from .solve import SolveOptions, solve
from .stages import Timer, solve_stages

SETTLE_SHARE = 0.4  # of the time left after the relaxation, for the settled park's pieces
SETTLE_GAP = 0.25  # the settled park aims at this share of the park's gap
MIN_LINKS = 200  # smaller parks are solved whole at once (HiGHS closes them in a second)
MIN_SECONDS = 1.0
# HiGHS's presolve probing in the whole model's run: off. On a 400-firm park it took 22 s of
# a 53 s run to 1 % and its reductions did not pay (benchmarks/coupled.py)
WHOLE_PROBING = False
UNPLACED = 1e9  # weight of a candidate on a plot it may not use


@dataclass(frozen=True)
class Settlement:
    """Who comes and where: admitted candidates, and the plot of each floating one."""

    admitted: frozenset[str]
    plots: dict[str, str]  # floating candidate → plot


def applies(model: ParkModel, links: pd.DataFrame) -> bool:
    """The route is for parks with candidate firms and at least ``MIN_LINKS`` links."""
    return bool(model.m.CANDIDATES) and len(links) >= MIN_LINKS


def solve_coupled(
    model: ParkModel,
    links: pd.DataFrame,
    options: SolveOptions,
    timer: Timer,
    workers: int | Executor = 1,
) -> Solution:
    """Solve a built model of a coupled park (pruned links already fixed off; ``links``
    are those left) from a settled start (module docstring); raises like
    :func:`.stages.solve_stages`."""
    m = model.m
    started = time.perf_counter()
    start: Values | None = None
    with timer.phase("relaxation"):
        relaxed = solve(m, replace(options, relax=True, warm_start=False))
    settlement = settle(m) if relaxed.status == "optimal" else None
    if settlement is not None:
        left = options.time_limit - (time.perf_counter() - started)
        piece_options = replace(
            options,
            time_limit=max(SETTLE_SHARE * left, MIN_SECONDS),
            mip_gap=SETTLE_GAP * options.mip_gap,
        )
        with timer.phase("settled park"):
            start = settled_design(model.park, links, settlement, piece_options, workers)
    if start is not None:
        load_start(m, start, settlement)
    left = max(options.time_limit - (time.perf_counter() - started), MIN_SECONDS)
    whole = replace(options, time_limit=left, warm_start=start is not None, probing=WHOLE_PROBING)
    result, stages = solve_stages(m, whole, timer)
    with timer.phase("extract"):
        solution = model.solution(result)
    result.extra["settled start"] = start is not None
    solution.timings = timer.seconds
    solution.stage_results = stages
    return solution


def settle(m: pyo.ConcreteModel) -> Settlement | None:
    """Round the relaxed admission and placement now in the model into a settlement.

    A candidate is admitted when its relaxed ``Admit`` is at least 1/2 (must_join
    candidates always are). The admitted floating candidates are then placed by the
    assignment of candidates to plot places (a plot of capacity k has k places) that
    maximises the sum of their relaxed ``Place`` (:func:`scipy.optimize.linear_sum_assignment`),
    must_join candidates first; one left without an allowed place stays out. Measured on a
    400-firm park whose relaxation spreads candidates over plots in thirds, this start was
    0.9 % better than placing candidates one by one on their largest share
    (benchmarks/coupled.py). None when a must_join candidate finds no place.
    """
    firms = m.park.firms
    admit = {f: (m.Admit[f].value or 0.0) >= 0.5 for f in m.CANDIDATES}
    floating = [f for f in m.FLOATING if admit[f]]
    capacity = m.park.sites["capacity"].to_dict()
    plots = sorted({s for _, s in m.PLACEMENTS})
    places = [s for s in plots for _ in range(int(capacity[s]))]
    must = {f: bool(firms.at[f, "must_join"]) for f in floating}
    weight = np.full((len(floating), len(places)), -UNPLACED)
    for a, f in enumerate(floating):
        for b, s in enumerate(places):
            if (f, s) in m.Place:
                weight[a, b] = (m.Place[f, s].value or 0.0) + (len(floating) if must[f] else 0)
    rows, columns = linear_sum_assignment(weight, maximize=True) if places else ([], [])
    placed = {floating[a]: places[b] for a, b in zip(rows, columns) if weight[a, b] > -UNPLACED}
    for f in floating:
        if f not in placed:
            if must[f]:
                return None
            admit[f] = False
    return Settlement(frozenset(f for f, a in admit.items() if a), placed)


def settled_park(
    park: Park, links: pd.DataFrame, settlement: Settlement
) -> tuple[Park, pd.DataFrame]:
    """The park with admission and placement settled: admitted candidates are firms on
    their plots, the others are gone with their rows; the links (ids kept) between firms
    present, from and to the sites they stand on."""
    firms = park.firms
    gone = [f for f in firms.index[firms["status"] == "candidate"] if f not in settlement.admitted]
    firms = firms.drop(index=gone).copy()
    for f in firms.index[firms["status"] == "candidate"]:
        plot = settlement.plots.get(f)
        if plot is not None:
            firms.at[f, "site"] = plot
            firms.at[f, "allowed_sites"] = (plot,)
        firms.at[f, "status"] = "existing"
    flows = park.flows[~park.flows["firm_id"].isin(gone)]
    processes = park.processes
    if park.has_processes:
        processes = processes[~processes["firm_id"].isin(gone)]
    site = firms["site"]
    keep = links["supplier"].isin(site.index) & links["receiver"].isin(site.index)
    for firm, at in (("supplier", "from_site"), ("receiver", "to_site")):
        keep &= links["internal"].astype(bool) | (
            site.reindex(links[firm]).to_numpy() == links[at].to_numpy()
        )
    settled = replace(park, firms=firms, flows=flows, processes=processes)
    return settled, links[keep]


def settled_design(
    park: Park,
    links: pd.DataFrame,
    settlement: Settlement,
    options: SolveOptions,
    workers: int | Executor = 1,
) -> Values | None:
    """The settled park's design, solved by pieces (one piece when something else still
    couples it: win_win, max_links); None when it has none (infeasible, or no design in
    time)."""
    park, links = settled_park(park, links, settlement)
    pieces = decompose.plan_pieces(park, links) or [
        Piece(list(park.flows.index), list(links.index))
    ]
    try:
        _, values = decompose.solve_pieces(park, links, pieces, options, Timer(), workers)
    except (InfeasibleError, SolverError):
        return None
    return values


def load_start(m: pyo.ConcreteModel, values: Values, settlement: Settlement) -> None:
    """Put the settled design into the whole model: the pieces' values, the settlement's
    admission and placement, and built = admitted for the processes of admitted candidates
    that the settled park let run without a build decision."""
    decompose.load_values(m, values)
    for f in m.CANDIDATES:
        if not m.Admit[f].fixed:
            m.Admit[f].set_value(int(f in settlement.admitted))
    for f, s in m.PLACEMENTS:
        m.Place[f, s].set_value(int(settlement.plots.get(f) == s))
    decided = values.get("ProcessBuilt", {})
    for p in m.DECIDED:
        if p not in decided and not m.ProcessBuilt[p].fixed:
            m.ProcessBuilt[p].set_value(int(m.firm_of_process[p] in settlement.admitted))
