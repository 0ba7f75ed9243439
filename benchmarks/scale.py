"""Scale benchmark: time and memory of every phase, model size, gap reached, and the same model
solved by HiGHS alone (from MPS) and by PuLP + CBC.

    python benchmarks/scale.py --sizes 50 100 200 500 1000 2000 --repeats 3 \\
        --time-budget 60 --pulp

For each size N a synthetic park (``ecopark_opt.inputs.generate``, N existing firms, 20 resources,
seed 1) is written once; each repeat then runs three fresh Python processes (so memory peaks
and HiGHS's once-per-process thread setting do not leak from one route to another):

1. **ours** — after a warm-up on a 4-firm park (first-use imports: scipy through Pyomo's
   standard-form compiler, matplotlib, HiGHS's first instance; timed on their own), it
   measures ``read`` (``load_park``), ``links`` (``candidate_links``), ``build``
   (``build_model``), ``handoff`` (standard-form compile + ``passModel``:
   ``SolveResult.handoff_seconds``), ``solve`` (HiGHS's ``run``), ``load`` (values written
   back into the Pyomo variables), ``extract`` (``extract_solution``) and ``report``
   (``write_report``, when ``ecopark_opt.outputs.report`` exists); the model size (rows, columns,
   nonzeros, integer columns) and the gap reached in the budget. Time to 1 % and to 0.1 %
   gap are read from HiGHS MIP callbacks (``cbMipInterrupt`` and ``cbMipImprovingSolution``
   record HiGHS's own ``mip_gap`` and ``running_time``; the clock starts at ``run``) in the
   same run as the full solve (gap target 1e-4). The model our route passed to HiGHS is then
   written to MPS (``writeModel`` on the ``Highs`` object ``ecopark_opt.core.solve`` created,
   captured by wrapping ``ecopark_opt.core.solve.new_highs``; no change to the core).
2. **HiGHS alone** — a fresh ``highspy.Highs`` reads that MPS and solves it with the same
   options and callbacks (``highs_total`` = read + solve).
3. **PuLP + CBC** (``--pulp``) — the same MILP written with PuLP from the same park and
   ``links`` frame, solved by the CBC that PuLP ships (same time budget, gap target 1e-4).
   Before the sizes run, three small parks with candidates and plots are solved by both to a
   1e-7 gap and must give the same optimum. PuLP hands CBC the objective without its
   constant (the standalone baseline), and CBC's ``ratio`` gap is not HiGHS's, so CBC may
   stop earlier: its incumbent is also measured against the best HiGHS bound.

Peak memory per phase is the growth of the process's peak resident set (VmHWM) above the
resident set at the start of the phase, after resetting VmHWM through
``/proc/self/clear_refs`` (Linux); it counts C++ allocations (HiGHS) but not CBC, which
PuLP runs as a separate program. Where ``clear_refs`` is unavailable, ``ru_maxrss`` deltas
are used (they show only new process-wide peaks). CPU seconds (user + system, all threads)
are recorded beside wall seconds because the machine may be shared.

Results: one row per (size, repeat) in ``benchmarks/results/scale.csv`` and a markdown table
of medians on stdout.

**Overhead of the default route** (``--overhead``): what ``ecopark solve`` does on a park
without candidate firms — pruning, independent components, each piece built and solved —
run to the gap target ``--gap`` (default 1 %) with ``--time-budget`` as the cap, one fresh
process per size after the warm-up. Phases: read (``load_park``), links, checks, prune,
build (every piece's model, summed), hand-off (``SolveResult.handoff_seconds``, summed over
the pieces' runs), HiGHS (the pieces' solve time minus their hand-off), extract; the
overhead ratio is (read + build + hand-off) / HiGHS. Rows go to
``benchmarks/results/overhead.csv``.

    python benchmarks/scale.py --overhead --sizes 500 1000 2000 --time-budget 600
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from results_csv import read_rows, write_rows  # benchmarks/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
GAPS = (1e-2, 1e-3)


# --- measurement helpers -------------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


class Meter:
    """Wall seconds, CPU seconds and peak memory growth (MB) per named phase."""

    def __init__(self) -> None:
        self.row: dict[str, Any] = {}
        self.memory_method = "VmHWM" if _reset_peak() else "ru_maxrss"

    @contextmanager
    def phase(self, name: str):
        if self.memory_method == "VmHWM":
            _reset_peak()
            base = _status_kb("VmRSS") or 0
        else:
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        wall, cpu = time.perf_counter(), _cpu()
        yield
        self.row[f"{name}_s"] = time.perf_counter() - wall
        self.row[f"{name}_cpu_s"] = _cpu() - cpu
        if self.memory_method == "VmHWM":
            peak = _status_kb("VmHWM") or base
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.row[f"{name}_mb"] = max(peak - base, 0) / 1024
        self.row[f"{name}_rss_mb"] = (_status_kb("VmRSS") or 0) / 1024


class GapClock:
    """First HiGHS running time at which the MIP gap fell to each target (callbacks)."""

    def __init__(self) -> None:
        self.first: dict[float, float] = {}
        self.calls = 0

    def __call__(self, event) -> None:
        self.calls += 1
        out = event.data_out
        gap = out.mip_gap
        if gap is None or math.isnan(gap) or math.isinf(gap):
            return
        for target in GAPS:
            if gap <= target and target not in self.first:
                self.first[target] = float(out.running_time)

    def attach(self, h) -> None:
        h.cbMipInterrupt += self
        h.cbMipImprovingSolution += self

    def times(self, final_gap: float | None, run_seconds: float) -> dict[float, float | None]:
        """Targets never seen by a callback but met by the final result count at the end."""
        out: dict[float, float | None] = {}
        for target in GAPS:
            t = self.first.get(target)
            if t is None and final_gap is not None and final_gap <= target:
                t = run_seconds
            out[target] = t
        return out


# --- one run (in a fresh process) ----------------------------------------------------------


def run_ours(workbook: Path, budget: float, workdir: Path, mps: Path) -> dict[str, Any]:
    """Our pipeline, phase by phase; writes the model HiGHS was given to ``mps``."""
    import highspy

    import ecopark_opt.core.solve as solve_module
    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.core.model import build_model
    from ecopark_opt.core.solution import extract_solution
    from ecopark_opt.inputs.load import load_park

    meter = Meter()
    row = meter.row
    row["memory_method"] = meter.memory_method
    row["load_avg_1min"] = os.getloadavg()[0]

    created: list[highspy.Highs] = []
    ours_clock = GapClock()
    original_new_highs = solve_module.new_highs

    def new_highs_with_clock() -> highspy.Highs:
        h = original_new_highs()
        created.append(h)
        ours_clock.attach(h)
        return h

    # first-use imports (scipy through Pyomo's standard-form compiler, matplotlib in the
    # report, HiGHS's first instance) cost seconds once per process: pay them on a tiny park
    with meter.phase("warmup"):
        warm_up(workdir)
    with meter.phase("read"):
        park = load_park(workbook)
    with meter.phase("links"):
        links = candidate_links(park)
    with meter.phase("build"):
        model = build_model(park, links)
    solve_module.new_highs = new_highs_with_clock
    try:
        with meter.phase("solve_call"):
            result = solve_module.solve(
                model, solve_module.SolveOptions(time_limit=budget, mip_gap=1e-4)
            )
    finally:
        solve_module.new_highs = original_new_highs
    with meter.phase("extract"):
        solution = extract_solution(model, result)
    report_s = None
    if importlib.util.find_spec("ecopark_opt.outputs.report") is not None:
        from ecopark_opt.outputs.report import write_report

        with meter.phase("report"):
            write_report(solution, workdir / "report.xlsx")
        report_s = row["report_s"]

    run_s = result.seconds - result.handoff_seconds
    row.update(
        firms=len(park.firms),
        flows=len(park.flows),
        candidate_links=len(links),
        rows=result.rows,
        cols=result.columns,
        nonzeros=result.nonzeros,
        integers=result.integers,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        handoff_s=result.handoff_seconds,
        solve_s=run_s,
        load_s=row["solve_call_s"] - result.seconds,
        report_s=report_s,
        solver=f"HiGHS {result.solver_version}",
    )
    for target, t in ours_clock.times(result.gap, run_s).items():
        row[f"t_gap_{target:g}_s"] = t
    phases = ("read", "links", "build", "solve_call", "extract")
    row["ours_total_s"] = sum(row[f"{p}_s"] for p in phases)
    row["ours_total_cpu_s"] = sum(row[f"{p}_cpu_s"] for p in phases)
    row["overhead_s"] = row["ours_total_s"] - run_s

    created[-1].writeModel(str(mps))
    row["mps_mb"] = mps.stat().st_size / 2**20
    return row


def run_highs(mps: Path, budget: float) -> dict[str, Any]:
    """(a) HiGHS alone: read the MPS our route wrote and solve it with the same options."""
    import highspy

    meter = Meter()
    clock = GapClock()
    with meter.phase("highs_total"):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(mps))
        h.setOptionValue("time_limit", float(budget))
        h.setOptionValue("mip_rel_gap", 1e-4)
        h.setOptionValue("random_seed", 0)
        clock.attach(h)
        started = time.perf_counter()
        h.run()
        run_s = time.perf_counter() - started
    row = meter.row
    info = h.getInfo()
    has = info.primal_solution_status == 2
    gap = float(info.mip_gap) if has and math.isfinite(info.mip_gap) else None
    row.update(
        highs_status=h.modelStatusToString(h.getModelStatus()),
        highs_objective=float(info.objective_function_value) if has else None,
        highs_bound=float(info.mip_dual_bound) if has else None,
        highs_gap=gap,
        highs_solve_s=run_s,
        highs_read_s=row["highs_total_s"] - run_s,
    )
    for target, t in clock.times(gap, run_s).items():
        row[f"highs_t_gap_{target:g}_s"] = t
    return row


def run_pulp(workbook: Path, budget: float) -> dict[str, Any]:
    """(b) PuLP + CBC on the same park and ``links`` frame (their reading is not timed here:
    it is the same as ours)."""
    import pulp as pl

    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.inputs.load import load_park

    park = load_park(workbook)
    links = candidate_links(park)
    meter = Meter()
    with meter.phase("pulp_build"):
        prob = pulp_model(park, links)
    solver = pl.PULP_CBC_CMD(msg=False, timeLimit=budget, gapRel=1e-4)
    with meter.phase("pulp_solve"):
        prob.solve(solver)
    row = meter.row
    row.update(
        pulp_version=pl.__version__,
        pulp_status=pl.LpStatus[prob.status],
        pulp_sol_status=prob.sol_status,
        cbc_result=cbc_result(prob.sol_status),
        pulp_objective=pl.value(prob.objective) if prob.sol_status in (1, 2) else None,
    )
    return row


def compare(row: dict[str, Any]) -> None:
    """Cross-route figures of one merged row."""
    row["pulp_total_s"] = None
    if row.get("pulp_solve_s") is None:
        return
    pobj = row["pulp_objective"]
    bounds = [b for b in (row["bound"], row.get("highs_bound")) if b is not None]
    best_bound = max(bounds) if bounds else None  # minimisation: the tightest lower bound
    row["pulp_gap_vs_highs_bound"] = (
        (pobj - best_bound) / max(abs(pobj), 1e-9)
        if pobj is not None and best_bound is not None
        else None
    )
    row["pulp_objective_matches"] = None
    if row["status"] == "optimal" and row["pulp_sol_status"] == 1 and pobj is not None:
        tol = 2e-4 * max(abs(row["objective"]), 1.0)  # both stopped at a 1e-4 gap target
        row["pulp_objective_matches"] = abs(pobj - row["objective"]) <= tol
    row["pulp_total_s"] = row["read_s"] + row["links_s"] + row["pulp_build_s"] + row["pulp_solve_s"]


def cbc_result(sol_status: int | None) -> str:
    """What CBC did: PuLP's ``status`` says "Optimal" even when CBC stopped on time with an
    incumbent; ``sol_status`` tells them apart (1 proved, 2 feasible only)."""
    return {1: "optimal", 2: "time limit"}.get(sol_status, "no solution")


def verify_pulp(workdir: Path) -> list[str]:
    """The PuLP model and ours must agree on the optimum: small parks with candidates and
    plots, solved to a 1e-7 gap by both HiGHS (our route) and CBC."""
    import pulp as pl

    from ecopark_opt.core.optimize import prepare, solve_model
    from ecopark_opt.core.solve import SolveOptions
    from ecopark_opt.core.stages import Timer
    from ecopark_opt.inputs.generate import write_generated
    from ecopark_opt.inputs.load import load_park

    lines = []
    for seed, (firms, plots, candidates) in enumerate([(8, 2, 3), (12, 0, 3), (15, 3, 4)]):
        path = write_generated(workdir / f"verify_{seed}.xlsx", firms, 12, seed, plots, candidates)
        park = load_park(path)
        model = prepare(park)
        links = model.links
        ours = solve_model(model, SolveOptions(time_limit=60, mip_gap=1e-7), Timer())
        prob = pulp_model(park, links)
        prob.solve(pl.PULP_CBC_CMD(msg=False, timeLimit=60, gapRel=1e-7))
        theirs = pl.value(prob.objective)
        ok = (
            ours.result.status == "optimal"
            and prob.sol_status == 1
            and abs(theirs - ours.result.objective) <= 1e-6 * abs(ours.result.objective)
        )
        lines.append(
            f"{firms} firms, {plots} plots, {candidates} candidates (seed {seed}): "
            f"ours {ours.result.objective:,.2f}, PuLP+CBC {theirs:,.2f} — "
            f"{'equal' if ok else 'DIFFERENT'}"
        )
        if not ok:
            raise SystemExit("PuLP model and ours disagree:\n" + "\n".join(lines))
    return lines


def warm_up(workdir: Path) -> None:
    """The whole pipeline once on a 4-firm park, so that the phases measured after it are
    steady-state costs rather than first-use imports."""
    from ecopark_opt.core.optimize import RunOptions, optimize
    from ecopark_opt.inputs.generate import write_generated
    from ecopark_opt.inputs.load import load_park

    solution = optimize(
        load_park(write_generated(workdir / "warm.xlsx", 4, 5, 0)), RunOptions(time_limit=10)
    )
    if importlib.util.find_spec("ecopark_opt.outputs.report") is not None:
        from ecopark_opt.outputs.report import write_report

        write_report(solution, workdir / "warm_report.xlsx")


def run_overhead(workbook: Path, budget: float, gap: float, workdir: Path) -> dict[str, Any]:
    """The default route (:func:`ecopark_opt.core.optimize.optimize`) to ``gap``, by phase."""
    from ecopark_opt.core.optimize import RunOptions, optimize
    from ecopark_opt.core.stages import Timer
    from ecopark_opt.inputs.load import load_park

    warm_up(workdir)
    started = time.perf_counter()
    park = load_park(workbook)
    read_s = time.perf_counter() - started
    timer = Timer()
    started = time.perf_counter()
    solution = optimize(park, RunOptions(time_limit=budget, mip_gap=gap), timer)
    wall = time.perf_counter() - started
    r = solution.result
    t = timer.seconds
    highs = r.seconds - r.handoff_seconds
    build = t.get("build model", 0.0)
    row = {
        "gap_target": gap,
        "status": r.status,
        "gap": r.gap,
        "read_s": read_s,
        "links_s": t.get("candidate links", 0.0),
        "checks_s": t.get("pre-solve checks", 0.0),
        "prune_s": t.get("prune", 0.0),
        "build_s": build,
        "handoff_s": r.handoff_seconds,
        "highs_s": highs,
        "extract_s": t.get("extract", 0.0),
        "wall_s": wall,
        "pieces": r.extra.get("pieces solved"),
        "overhead_pct": 100 * (read_s + build + r.handoff_seconds) / highs,
        "load_avg_1min": os.getloadavg()[0],
    }
    return row


def overhead_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| firms | status (gap) | pieces | read s | links s | checks s | prune s | build s | "
        "hand-off s | HiGHS s | extract s | wall s (from the loaded park) | "
        "(read + build + hand-off) / HiGHS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['status']} ({pct(r['gap'])}) | {r['pieces']} | "
            + " | ".join(
                fmt(r[k])
                for k in (
                    "read_s",
                    "links_s",
                    "checks_s",
                    "prune_s",
                    "build_s",
                    "handoff_s",
                    "highs_s",
                    "extract_s",
                    "wall_s",
                )
            )
            + f" | {r['overhead_pct']:.1f} % |"
        )
    return "\n".join(lines)


def pulp_model(park, links):
    """The MILP of :mod:`ecopark_opt.core.model` (cost objective) written with PuLP.

    Supported: supply and demand balances, quality limits, link capacity, link endpoints,
    siting and plot capacity, max_virgin; candidates and floating candidates. Not written
    here (and refused): win_win, max_dependency_share < 1, max_links, internal_reuse and the
    non-cost objectives — the generated parks use none of them.
    """
    import numpy as np
    import pulp as pl

    s = park.settings
    unsupported = [
        name
        for name, on in (
            ("win_win", s.win_win),
            ("max_dependency_share", s.max_dependency_share < 1),
            ("max_links", s.max_links is not None),
            ("internal_reuse", s.internal_reuse),
            ("objective", s.objective != "cost"),
        )
        if on
    ]
    if unsupported:
        raise ValueError(f"the PuLP comparison model does not write {', '.join(unsupported)}")

    flows, firms, res = park.flows, park.firms, park.resources
    qty = flows["quantity"].astype(float).to_dict()
    price = flows["price"].astype(float).to_dict()
    firm_of = flows["firm_id"].to_dict()
    resource_of = flows["resource_id"].to_dict()
    supply = list(flows.index[flows["direction"] == "supply"])
    demand = list(flows.index[flows["direction"] == "demand"])
    buyable = {j: not np.isnan(price[j]) for j in demand}
    candidates = list(firms.index[firms["status"] == "candidate"])
    floating = [f for f in candidates if firms.at[f, "site"] is None]
    placements = [(f, p) for f in floating for p in firms.at[f, "allowed_sites"]]

    prob = pl.LpProblem("ecopark", pl.LpMinimize)
    upper = links["upper"].to_numpy(float)
    flow = [pl.LpVariable(f"F_{k}", 0, float(upper[k])) for k in range(len(links))]
    build = {
        k: pl.LpVariable(f"B_{k}", cat=pl.LpBinary)
        for k in np.flatnonzero(~links["internal"].to_numpy(bool))
    }
    purchase = {
        j: pl.LpVariable(f"P_{n}", 0, qty[j] if buyable[j] else 0.0) for n, j in enumerate(demand)
    }
    discharge = {i: pl.LpVariable(f"D_{n}", 0, qty[i]) for n, i in enumerate(supply)}
    admit: dict[str, Any] = {f: 1 for f in firms.index}  # existing (and must_join) firms: 1
    for n, f in enumerate(candidates):
        if not bool(firms.at[f, "must_join"]):
            admit[f] = pl.LpVariable(f"A_{n}", cat=pl.LpBinary)
    place = {fp: pl.LpVariable(f"S_{n}", cat=pl.LpBinary) for n, fp in enumerate(placements)}

    eta = links["delivered_factor"].to_numpy(float)
    out_of: dict[str, list[int]] = {}
    in_of: dict[str, list[int]] = {}
    for k, (i, j) in enumerate(zip(links["supply_flow"], links["demand_flow"])):
        out_of.setdefault(i, []).append(k)
        in_of.setdefault(j, []).append(k)

    for n, i in enumerate(supply):
        prob += (
            (
                pl.lpSum(flow[k] for k in out_of.get(i, ())) + discharge[i]
                == qty[i] * admit[firm_of[i]]
            ),
            f"supply_{n}",
        )
    for n, j in enumerate(demand):
        prob += (
            (
                pl.lpSum(eta[k] * flow[k] for k in in_of.get(j, ())) + purchase[j]
                == qty[j] * admit[firm_of[j]]
            ),
            f"demand_{n}",
        )
    supply_of = links["supply_flow"].to_numpy()
    for p, prop in enumerate(park.property_names):
        for n, j in enumerate(demand):
            limit = flows.at[j, prop]
            if np.isnan(limit) or qty[j] <= 0:
                continue
            virgin = float(res.at[resource_of[j], prop])
            prob += (
                (
                    pl.lpSum(
                        eta[k] * float(flows.at[supply_of[k], prop]) * flow[k]
                        for k in in_of.get(j, ())
                    )
                    + virgin * purchase[j]
                    <= float(limit) * qty[j] * admit[firm_of[j]]
                ),
                f"quality_{p}_{n}",
            )
    for k, b in build.items():
        prob += flow[k] - float(upper[k]) * b <= 0, f"capacity_{k}"
    cand, floats = set(candidates), set(floating)
    ends = set()
    for k, sup, rec, fs, ts in zip(
        links.index, links["supplier"], links["receiver"], links["from_site"], links["to_site"]
    ):
        if k not in build:
            continue
        for firm, site in ((sup, fs), (rec, ts)):
            if firm in floats:
                ends.add((k, firm, site))
            elif firm in cand and not isinstance(admit[firm], int):
                ends.add((k, firm, None))
    for n, (k, firm, site) in enumerate(sorted(ends, key=str)):
        rhs = admit[firm] if site is None else place[firm, site]
        prob += build[k] - rhs <= 0, f"endpoint_{n}"
    for n, f in enumerate(floating):
        prob += (pl.lpSum(v for (g, _), v in place.items() if g == f) == admit[f]), f"plot_{n}"
    capacity = park.sites["capacity"].to_dict()
    for n, p in enumerate(sorted({p for _, p in placements})):
        prob += (
            (pl.lpSum(v for (_, q), v in place.items() if q == p) <= float(capacity[p])),
            f"plotcap_{n}",
        )
    for n, (r, cap) in enumerate(res["max_virgin"].dropna().items()):
        rows = [purchase[j] for j in demand if resource_of[j] == r]
        if rows:
            prob += pl.lpSum(rows) <= float(cap), f"max_virgin_{n}"

    fixed = links["fixed_cost"].to_numpy(float)
    var = links["var_cost"].to_numpy(float)
    site_cost = park.sites["site_cost"].astype(float).to_dict()
    cost = (
        pl.lpSum(float(firms.at[f, "admission_cost"]) * admit[f] for f in candidates)
        + pl.lpSum(site_cost[p] * v for (_, p), v in place.items())
        + pl.lpSum(fixed[k] * b for k, b in build.items())
        + pl.lpSum(var[k] * flow[k] for k in range(len(flow)) if var[k])
        + pl.lpSum(price[j] * purchase[j] for j in demand if buyable[j])
        + pl.lpSum(price[i] * discharge[i] for i in supply)
    )
    baseline = pl.lpSum(
        [qty[j] * price[j] * admit[firm_of[j]] for j in demand if buyable[j]]
        + [qty[i] * price[i] * admit[firm_of[i]] for i in supply]
    )
    prob += cost - baseline
    return prob


# --- orchestration -------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    budget = args.time_budget
    if args.worker == "ours":
        with tempfile.TemporaryDirectory() as tmp:
            row = run_ours(Path(args.workbook), budget, Path(tmp), Path(args.mps))
    elif args.worker == "overhead":
        with tempfile.TemporaryDirectory() as tmp:
            row = run_overhead(Path(args.workbook), budget, args.gap, Path(tmp))
    elif args.worker == "highs":
        row = run_highs(Path(args.mps), budget)
    else:
        row = run_pulp(Path(args.workbook), budget)
    Path(args.worker_out).write_text(json.dumps(row))


def run_size(
    size: int, repeat: int, args: argparse.Namespace, workbook: Path, tmp: Path
) -> dict[str, Any] | None:
    """One repeat: our pipeline, HiGHS alone and PuLP + CBC, each in a fresh process."""
    mps = tmp / f"model_{size}.mps"
    row: dict[str, Any] = {"size": size, "repeat": repeat}
    for kind in ("ours", "highs", "pulp") if args.pulp else ("ours", "highs"):
        out = tmp / f"{kind}_{size}_{repeat}.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            kind,
            "--workbook",
            str(workbook),
            "--mps",
            str(mps),
            "--worker-out",
            str(out),
            "--time-budget",
            str(args.time_budget),
        ]
        done = subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if done.returncode != 0 or not out.exists():
            print(f"size {size} repeat {repeat} ({kind}) failed:\n{done.stderr}", file=sys.stderr)
            return None
        row.update(json.loads(out.read_text()))
    compare(row)
    return row


def overhead(args: argparse.Namespace) -> None:
    """``--overhead``: the default route to ``--gap`` for each size, in a fresh process."""
    from ecopark_opt.inputs.generate import write_generated

    out_csv = args.out if args.out != RESULTS / "scale.csv" else RESULTS / "overhead.csv"
    rows: list[dict[str, Any]] = []
    print(versions(), file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            book = write_generated(Path(tmp) / f"park_{size}.xlsx", size, args.resources, args.seed)
            out = Path(tmp) / f"overhead_{size}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "overhead"]
            cmd += ["--workbook", str(book), "--worker-out", str(out)]
            cmd += ["--time-budget", str(args.time_budget), "--gap", str(args.gap)]
            done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if done.returncode != 0 or not out.exists():
                print(f"size {size} failed:\n{done.stderr.decode()}", file=sys.stderr)
                continue
            rows.append({"size": size, **json.loads(out.read_text())})
            r = rows[-1]
            print(
                f"size {size}: {r['wall_s']:.0f} s, {r['status']} gap {pct(r['gap'])}, "
                f"overhead {r['overhead_pct']:.1f} %",
                file=sys.stderr,
            )
            write_rows(rows, out_csv)
    print(overhead_markdown(rows))


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def markdown(rows: list[dict[str, Any]], pulp: bool) -> str:
    sizes = sorted({r["size"] for r in rows})
    per = {n: [r for r in rows if r["size"] == n] for n in sizes}
    lines = []

    def table(header: list[str], body: list[list[str]]) -> None:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines.extend("| " + " | ".join(b) + " |" for b in body)
        lines.append("")

    table(
        [
            "firms",
            "runs",
            "links",
            "rows",
            "cols",
            "nonzeros",
            "integers",
            "read s",
            "links s",
            "build s",
            "hand-off s",
            "solve s",
            "load s",
            "extract s",
            "report s",
            "ours total s",
            "overhead s (% of total)",
        ],
        [
            [
                str(n),
                str(len(rs)),
                fmt(median(rs, "candidate_links"), 0),
                fmt(median(rs, "rows"), 0),
                fmt(median(rs, "cols"), 0),
                fmt(median(rs, "nonzeros"), 0),
                fmt(median(rs, "integers"), 0),
                fmt(median(rs, "read_s")),
                fmt(median(rs, "links_s")),
                fmt(median(rs, "build_s")),
                fmt(median(rs, "handoff_s")),
                fmt(median(rs, "solve_s")),
                fmt(median(rs, "load_s")),
                fmt(median(rs, "extract_s")),
                fmt(median(rs, "report_s")),
                fmt(median(rs, "ours_total_s")),
                f"{fmt(median(rs, 'overhead_s'))} "
                f"({100 * median(rs, 'overhead_s') / median(rs, 'ours_total_s'):.1f} %)",
            ]
            for n, rs in per.items()
        ],
    )
    table(
        [
            "firms",
            "first-use imports s",
            "RSS after build MB",
            "peak MB read",
            "links",
            "build",
            "hand-off + solve",
            "extract",
            "report",
            "HiGHS alone (read + solve)",
            "PuLP build",
        ],
        [
            [
                str(n),
                fmt(median(rs, "warmup_s")),
                fmt(median(rs, "build_rss_mb"), 0),
                fmt(median(rs, "read_mb"), 0),
                fmt(median(rs, "links_mb"), 0),
                fmt(median(rs, "build_mb"), 0),
                fmt(median(rs, "solve_call_mb"), 0),
                fmt(median(rs, "extract_mb"), 0),
                fmt(median(rs, "report_mb"), 0),
                fmt(median(rs, "highs_total_mb"), 0),
                fmt(median(rs, "pulp_build_mb"), 0),
            ]
            for n, rs in per.items()
        ],
    )
    header = [
        "firms",
        "ours: status",
        "gap",
        "t 1 %",
        "t 0.1 %",
        "HiGHS alone: gap",
        "t 1 %",
        "t 0.1 %",
        "total s",
        "ours / HiGHS alone (wall)",
        "(CPU)",
    ]
    if pulp:
        header += [
            "PuLP build s",
            "CBC s",
            "CBC status",
            "CBC gap vs HiGHS bound",
            "same objective (±2e-4)",
            "PuLP+CBC / ours",
        ]
    body = []
    for n, rs in per.items():
        statuses = "/".join(sorted({r["status"] for r in rs}))
        ratio = _ratio(rs, "ours_total_s", "highs_total_s")
        line = [
            str(n),
            statuses,
            pct(median(rs, "gap")),
            fmt(median(rs, "t_gap_0.01_s")),
            fmt(median(rs, "t_gap_0.001_s")),
            pct(median(rs, "highs_gap")),
            fmt(median(rs, "highs_t_gap_0.01_s")),
            fmt(median(rs, "highs_t_gap_0.001_s")),
            fmt(median(rs, "highs_total_s")),
            fmt(ratio),
            fmt(_ratio(rs, "ours_total_cpu_s", "highs_total_cpu_s")),
        ]
        if pulp:
            matches = {r.get("pulp_objective_matches") for r in rs}
            line += [
                fmt(median(rs, "pulp_build_s")),
                fmt(median(rs, "pulp_solve_s")),
                "/".join(sorted({cbc_result(r.get("pulp_sol_status")) for r in rs})),
                pct(median(rs, "pulp_gap_vs_highs_bound")),
                "yes" if matches == {True} else "no" if False in matches else "n/a",
                fmt(_ratio(rs, "pulp_total_s", "ours_total_s")),
            ]
        body.append(line)
    table(header, body)
    return "\n".join(lines)


def _ratio(rows: list[dict[str, Any]], num: str, den: str) -> float | None:
    values = [r[num] / r[den] for r in rows if r.get(num) and r.get(den)]
    return statistics.median(values) if values else None


def versions() -> str:
    import pandas
    import pyomo

    from ecopark_opt.core.solve import highs_version

    parts = [
        f"Python {platform.python_version()}",
        f"Pyomo {pyomo.__version__}",
        f"highspy {highs_version()}",
        f"pandas {pandas.__version__}",
    ]
    try:
        import pulp

        parts.append(f"PuLP {pulp.__version__} (CBC bundled)")
    except ImportError:
        pass
    cpu = platform.processor() or platform.machine()
    return f"{', '.join(parts)}; {os.cpu_count()} cores ({cpu}), {platform.system()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per size below --large (median quoted)"
    )
    parser.add_argument(
        "--large", type=int, default=500, help="sizes from this one up are run once"
    )
    parser.add_argument("--time-budget", type=float, default=60.0, help="solver seconds")
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pulp", action="store_true", help="also PuLP + CBC")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.csv")
    parser.add_argument(
        "--from-csv", type=Path, default=None, help="only print the tables of an earlier run's CSV"
    )
    parser.add_argument(
        "--overhead", action="store_true", help="the default route's overhead, by phase"
    )
    parser.add_argument("--gap", type=float, default=1e-2, help="gap target of --overhead")
    parser.add_argument(
        "--worker", choices=["ours", "highs", "pulp", "overhead"], help=argparse.SUPPRESS
    )
    parser.add_argument("--workbook", help=argparse.SUPPRESS)
    parser.add_argument("--mps", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return

    if args.from_csv:
        rows = read_rows(args.from_csv)
        if rows and "overhead_pct" in rows[0]:
            print(overhead_markdown(rows))
            return
        print(markdown(rows, any(r.get("pulp_solve_s") is not None for r in rows)))
        return
    if args.overhead:
        overhead(args)
        return

    from ecopark_opt.inputs.generate import write_generated

    rows: list[dict[str, Any]] = []
    print(versions(), file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        if args.pulp:
            for line in verify_pulp(Path(tmp)):
                print(f"PuLP model check: {line}", file=sys.stderr)
        for size in args.sizes:
            workbook = write_generated(
                Path(tmp) / f"park_{size}.xlsx", size, args.resources, args.seed
            )
            repeats = 1 if size >= args.large else args.repeats
            for repeat in range(repeats):
                started = time.perf_counter()
                row = run_size(size, repeat, args, workbook, Path(tmp))
                if row is None:
                    continue
                rows.append(row)
                print(
                    f"size {size} run {repeat + 1}/{repeats}: {time.perf_counter() - started:.0f}"
                    f" s wall, ours {row['status']} gap {pct(row['gap'])}, HiGHS alone "
                    f"{row['highs_status']} gap {pct(row['highs_gap'])}"
                    + (f", CBC {row.get('cbc_result')}" if args.pulp else ""),
                    file=sys.stderr,
                )
                write_rows(rows, args.out)
    print(markdown(rows, args.pulp))


if __name__ == "__main__":
    main()
