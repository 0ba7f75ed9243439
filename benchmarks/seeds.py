"""Multi-seed benchmark: time to 1 % and to 0.1 % gap of our route against HiGHS alone on
the model file the same run writes, on several generated parks per size.

    python benchmarks/seeds.py --sizes 200 500 1000 2000 --seeds 1 2 3 4 5 \\
        --candidates 0 12 --cap 600 --large 1000 --large-cap 300 --candidates-cap 300
    python benchmarks/seeds.py --from-csv benchmarks/results/seeds.csv   # tables only

One verdict per generated park is not a benchmark: a second seed has turned a "met" into a
tie before. So every size is measured on every seed, with and without candidate firms, and
the tables give the median and the range (min–max) over the seeds.

A *cell* is (firms, seed, candidates): ``ecopark generate --firms N --resources 20 --seed S``,
with ``--plots C --candidates C`` when C > 0 (candidate firms couple the park into one
model). Each measurement runs in a fresh Python process (memory and HiGHS's once-per-process
thread setting do not leak):

1. **structure** — candidate links, links left after safe pruning, the pieces the park
   splits into, and the route :mod:`ecopark_opt.core.optimize` takes for each gap target
   (``decompose.plan_pieces`` with the target: the rule lives in
   ``decompose.one_model_first``, this script only asks it).
2. **write** — ``write_park_model``, what ``ecopark solve --write-model`` writes: the whole
   model as HiGHS is given it, as MPS (time, size, balanced units or not).
3. **ours** — ``optimize`` (what ``ecopark solve`` runs, without the report) with the gap
   target and the time cap, one process, HiGHS default threads: wall seconds from the
   loaded park to the Solution. When the route is one model, HiGHS MIP callbacks also give
   the wall time at which its gap first fell to each looser target, so one run at 0.1 %
   gives both times; the components route gets one run per target (its rounds aim at the
   target). **ours, other route**: where the rule picks one model for 1 % on a park that
   splits, the components route is timed too (the evidence for the rule).
4. **HiGHS alone** — a fresh ``highspy.Highs`` reads that MPS and solves it with the same
   options (time cap, gap target 0.1 %, HiGHS default threads, seed 0); callbacks give the
   wall time (reading included) at which its gap first fell to 1 % and to 0.1 %. For the
   parks that the tool solves in balanced units (all generated parks from 200 firms on)
   the file is in those units and our route sets no other HiGHS option, so HiGHS alone and
   our one-model route solve the same model with the same options.

Times are wall seconds on a shared machine: each row records the 1-minute load average and
the process's CPU seconds. Rows go to ``--out`` (CSV) after every measurement; a run started
again with the same ``--out`` skips what is there (an interrupted run resumes). The MPS
files are removed after HiGHS alone has read them (``--keep-models`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from measure import in_process, load, pct  # benchmarks/, the script's folder
from results_csv import read_rows, write_rows

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGETS = (1e-2, 1e-3)  # gap targets, loose first
RESOURCES = 20


def _cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


class GapClock:
    """Wall seconds since ``started`` at which a HiGHS MIP callback first saw its gap at or
    below each target."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.first: dict[float, float] = {}

    def __call__(self, event) -> None:
        gap = event.data_out.mip_gap
        if gap is None or math.isnan(gap) or math.isinf(gap):
            return
        for target in TARGETS:
            if gap <= target and target not in self.first:
                self.first[target] = time.perf_counter() - self.started

    def attach(self, h) -> None:
        h.cbMipInterrupt += self
        h.cbMipImprovingSolution += self


# --- measurements (each in its own process) -----------------------------------------------


def run_structure(workbook: str) -> dict[str, Any]:
    from ecopark_opt.core import decompose
    from ecopark_opt.core.links import candidate_links
    from ecopark_opt.core.prune import prune_links

    park, read_s = load(workbook)
    links = candidate_links(park)
    kept = prune_links(park, links)
    pieces = decompose.plan_pieces(park, kept)
    row: dict[str, Any] = {
        "read_s": read_s,
        "links": len(links),
        "kept": len(kept),
        "pieces": len(pieces) if pieces else 1,
        "coupled_by": decompose.coupling(park) or "",
    }
    for target in TARGETS:
        planned = decompose.plan_pieces(park, kept, target)
        row[f"route_{target:g}"] = "components" if planned else "one model"
    return row


def run_write(workbook: str, path: str) -> dict[str, Any]:
    from ecopark_opt.core.model_file import write_park_model
    from ecopark_opt.core.optimize import RunOptions

    park, read_s = load(workbook)
    started = time.perf_counter()
    info = write_park_model(park, RunOptions(), path)
    return {
        "read_s": read_s,
        "write_s": time.perf_counter() - started,
        "mps_mb": Path(path).stat().st_size / 2**20,
        "rows": info.rows,
        "columns": info.columns,
        "nonzeros": info.nonzeros,
        "integers": info.integers,
        "balanced": info.balanced,
        "user_bound_scale": info.user_bound_scale,
    }


def run_ours(workbook: str, target: float, cap: float, route: str) -> dict[str, Any]:
    """Our pipeline to ``target`` within ``cap`` seconds; ``route`` "rule" follows the
    tool's rule, "components" forces the components route where the park splits."""
    import ecopark_opt.core.solve as solve_module
    from ecopark_opt.core import decompose
    from ecopark_opt.core.optimize import RunOptions, optimize
    from ecopark_opt.core.stages import Timer

    park, read_s = load(workbook)
    if route == "components":
        decompose.ONE_MODEL_LINKS = -1
    started = time.perf_counter()
    clock = GapClock(started)
    original = solve_module.new_highs

    def new_highs():
        h = original()
        clock.attach(h)
        return h

    solve_module.new_highs = new_highs
    cpu = _cpu()
    timer = Timer()
    solution = optimize(park, RunOptions(time_limit=cap, mip_gap=target), timer)
    total = time.perf_counter() - started
    r = solution.result
    one_model = "pieces solved" not in r.extra
    row: dict[str, Any] = {
        "read_s": read_s,
        "route_taken": "one model" if one_model else "components",
        "status": r.status,
        "gap": r.gap,
        "objective": r.objective,
        "bound": r.bound,
        "total_s": total,
        "cpu_s": _cpu() - cpu,
        "highs_s": r.seconds - r.handoff_seconds,
        "build_s": timer.seconds.get("build model", 0.0),
        "handoff_s": r.handoff_seconds,
        "pieces_solved": r.extra.get("pieces solved"),
    }
    for g in TARGETS:
        reached = r.gap is not None and r.gap <= g
        if g == target:
            row[f"t_{g:g}_s"] = total if reached else None
        elif one_model and g > target:  # a looser target, seen on the way
            seen = clock.first.get(g)
            row[f"t_{g:g}_s"] = seen if seen is not None else (total if reached else None)
    return row


def run_highs(path: str, target: float, cap: float) -> dict[str, Any]:
    """HiGHS alone on the model file, same options as our route."""
    import highspy

    started = time.perf_counter()
    cpu = _cpu()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if h.readModel(path) != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS cannot read {path}")
    read_s = time.perf_counter() - started
    h.setOptionValue("time_limit", float(cap))
    h.setOptionValue("mip_rel_gap", float(target))
    h.setOptionValue("random_seed", 0)
    clock = GapClock(started)
    clock.attach(h)
    h.run()
    total = time.perf_counter() - started
    info = h.getInfo()
    has = info.primal_solution_status == 2
    gap = float(info.mip_gap) if has and math.isfinite(info.mip_gap) else None
    row: dict[str, Any] = {
        "read_s": read_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "gap": gap,
        "objective": float(info.objective_function_value) if has else None,
        "bound": float(info.mip_dual_bound) if has else None,
        "total_s": total,
        "cpu_s": _cpu() - cpu,
        "highs_s": total - read_s,
    }
    for g in TARGETS:
        seen = clock.first.get(g)
        if seen is None and gap is not None and gap <= g:
            seen = total
        row[f"t_{g:g}_s"] = seen
    return row


# --- driver --------------------------------------------------------------------------------


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout.strip() or "unknown"


def plan_cell(structure: dict[str, Any], cap: float) -> list[tuple[str, list[str]]]:
    """The measurements of a cell after its structure: (kind, arguments)."""
    tight, loose = min(TARGETS), max(TARGETS)
    plan = [("ours", [str(tight), str(cap), "rule"])]
    if not (structure[f"route_{loose:g}"] == structure[f"route_{tight:g}"] == "one model"):
        plan.append(("ours", [str(loose), str(cap), "rule"]))
    if structure[f"route_{loose:g}"] == "one model" and structure["pieces"] > 1:
        plan.append(("ours", [str(loose), str(cap), "components"]))
    plan.append(("highs", [str(tight), str(cap)]))
    return plan


def key(row: dict[str, Any]) -> tuple:
    return tuple(row.get(k) for k in ("firms", "seed", "candidates", "kind", "target", "route"))


def found(rows: list[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any] | None:
    """The row of an earlier measurement of the same thing, if any (resuming)."""
    return next((r for r in rows if key(r) == key(row)), None)


def measure(
    rows: list[dict[str, Any]],
    cell: dict[str, Any],
    kind: str,
    extra: list[str],
    cap: float,
    version: str,
    out: Path,
    **fields: Any,
) -> dict[str, Any]:
    """One measurement of a cell in a fresh process, unless the CSV has it already; the
    row is added to ``rows`` and the CSV rewritten at once."""
    row = {**cell, "kind": kind, **fields}
    earlier = found(rows, row)
    if earlier is not None:
        return earlier
    began = time.perf_counter()
    row.update(load_avg_1min=os.getloadavg()[0], commit=version, cap_s=cap)
    row.update(in_process(__file__, [kind, *extra]))
    rows.append(row)
    write_rows(rows, out)
    print(
        f"{cell['firms']} firms, seed {cell['seed']}, {cell['candidates']} candidates: "
        f"{kind} {fields or ''} {time.perf_counter() - began:.0f} s, "
        f"{row.get('status', '')} gap {pct(row.get('gap'))}",
        file=sys.stderr,
    )
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000, 2000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--candidates", type=int, nargs="+", default=[0, 12])
    parser.add_argument("--cap", type=float, default=600.0, help="time cap of a run, seconds")
    parser.add_argument("--large", type=int, default=1000, help="from this size on: --large-cap")
    parser.add_argument("--large-cap", type=float, default=300.0)
    parser.add_argument("--candidates-cap", type=float, default=300.0)
    parser.add_argument("--workdir", type=Path, default=RESULTS / "seeds")
    parser.add_argument("--out", type=Path, default=RESULTS / "seeds.csv")
    parser.add_argument("--keep-models", action="store_true")
    parser.add_argument("--from-csv", type=Path, default=None, help="only print the tables")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "structure":
            row = run_structure(*rest)
        elif kind == "write":
            row = run_write(*rest)
        elif kind == "ours":
            row = run_ours(rest[0], float(rest[1]), float(rest[2]), rest[3])
        else:
            row = run_highs(rest[0], float(rest[1]), float(rest[2]))
        print(json.dumps(row))
        return
    if args.from_csv:
        print(markdown(read_rows(args.from_csv)))
        return

    from ecopark_opt.inputs.generate import write_generated

    rows: list[dict[str, Any]] = read_rows(args.out) if args.out.exists() else []
    args.workdir.mkdir(parents=True, exist_ok=True)
    version = commit()
    for candidates in args.candidates:  # the plain parks first: they answer the rule
        for n in args.sizes:
            for seed in args.seeds:
                cap = args.large_cap if n >= args.large else args.cap
                if candidates:
                    cap = min(cap, args.candidates_cap)
                book = args.workdir / f"park_{n}_{seed}_{candidates}.xlsx"
                if not book.exists():
                    write_generated(book, n, RESOURCES, seed, candidates, candidates)
                mps = book.with_suffix(".mps")
                cell = {"firms": n, "seed": seed, "candidates": candidates}
                structure = measure(rows, cell, "structure", [str(book)], cap, version, args.out)
                for kind, extra in plan_cell(structure, cap):
                    fields = {"target": float(extra[0])}
                    if kind == "ours":
                        fields["route"] = extra[2]
                        extra = [str(book), *extra]
                    else:
                        if not found(rows, {**cell, "kind": kind, **fields}) and not mps.exists():
                            write = {**cell, "kind": "write"}
                            if found(rows, write):  # written before, removed since
                                in_process(__file__, ["write", str(book), str(mps)])
                            measure(rows, cell, "write", [str(book), str(mps)], cap, version,
                                    args.out)  # fmt: skip
                        extra = [str(mps), *extra]
                    measure(rows, cell, kind, extra, cap, version, args.out, **fields)
                if mps.exists() and not args.keep_models:
                    mps.unlink()
    print(markdown(rows))


# --- tables --------------------------------------------------------------------------------


def spread(values: list[float | None], cap: float | None) -> str:
    """median (min–max) of seconds over seeds, a run that missed the target counting as
    longer than any ("> cap"); with how many reached it when not all did."""
    if not values:
        return "—"
    finite = sorted(v if v is not None else math.inf for v in values)
    median = statistics.median_low(finite) if len(finite) % 2 == 0 else statistics.median(finite)

    def show(v: float) -> str:
        if math.isinf(v):
            return f"> {cap:.0f}" if cap else "not reached"
        return f"{v:.1f}" if v < 100 else f"{v:.0f}"

    reached = sum(v is not None for v in values)
    text = f"{show(median)} ({show(finite[0])}–{show(finite[-1])})"
    return text if reached == len(values) else f"{text}, {reached}/{len(values)}"


def gap_spread(rows: list[dict[str, Any]], target: float) -> str:
    """Median (min–max) of the final gaps of the runs that missed ``target``."""
    gaps = sorted(r["gap"] for r in rows if r.get("gap") is not None and r["gap"] > target)
    if not gaps:
        return "—"
    return f"{pct(statistics.median(gaps))} ({pct(gaps[0])}–{pct(gaps[-1])})"


def same_problem(runs: list[dict[str, Any]]) -> bool:
    """Every run's design is no better than any run's bound (minimisation, 1e-6 relative):
    our route and HiGHS alone on the MPS solved one problem."""
    found = [r for r in runs if r.get("objective") is not None and r.get("bound") is not None]
    if not found:
        return False
    best = min(r["objective"] for r in found)
    bound = max(r["bound"] for r in found)
    return best >= bound - 1e-6 * max(abs(best), 1.0)


def verdict(faster: list[int], ratios: list[float]) -> str:
    """``k/n`` seeds on which ours reached the gap first, and the median ratio of the times
    over the seeds where both reached it."""
    text = f"{faster[0]}/{faster[1]}"
    if ratios:
        text += f"; ours / HiGHS {statistics.median(ratios):.2f}×"
    return text


def markdown(rows: list[dict[str, Any]]) -> str:
    """The multi-seed tables: per (firms, candidates), medians and ranges over the seeds."""
    cells = sorted({(r["firms"], r["candidates"]) for r in rows}, key=lambda c: (c[1], c[0]))
    out = [
        "| firms | candidates | seeds | links after pruning | route 1 % | route 0.1 % | "
        "MPS write s | MPS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, c in cells:
        st = [r for r in rows if (r["firms"], r["candidates"], r["kind"]) == (n, c, "structure")]
        wr = [r for r in rows if (r["firms"], r["candidates"], r["kind"]) == (n, c, "write")]
        routes = {g: "/".join(sorted({r[f"route_{g:g}"] for r in st})) for g in TARGETS}
        kept = sorted(r["kept"] for r in st)
        out.append(
            f"| {n} | {c} | {len(st)} | {statistics.median(kept):,.0f} "
            f"({kept[0]:,}–{kept[-1]:,}) | {routes[1e-2]} | {routes[1e-3]} | "
            f"{spread([r['write_s'] for r in wr], None)} | "
            f"{statistics.median(r['mps_mb'] for r in wr):.0f} |"
            if st and wr
            else f"| {n} | {c} | {len(st)} | | | | | |"
        )
    out += [
        "",
        "Wall seconds to the gap, median (min–max) over the seeds; `> cap`: not reached in the "
        "run's cap, `k/5`: seeds that reached it. Ours: from the loaded park to the design; "
        "HiGHS alone: reading the MPS and solving it. Same problem: on how many seeds no "
        "design of either route is better than a bound the other proved.",
        "",
        "| firms | candidates | cap s | ours t 1 % | HiGHS alone t 1 % | ours faster (1 %) | "
        "components t 1 % | ours t 0.1 % | HiGHS alone t 0.1 % | ours faster (0.1 %) | "
        "gap at cap: ours | HiGHS alone | same problem |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, c in cells:
        seeds = sorted({r["seed"] for r in rows if (r["firms"], r["candidates"]) == (n, c)})
        ours, highs, other = {}, {}, {}
        for g in TARGETS:
            ours[g], highs[g], other[g] = [], [], []
        tight_ours, tight_highs = [], []
        agree: list[bool] = []
        faster = {g: [0, 0] for g in TARGETS}
        ratios: dict[float, list[float]] = {g: [] for g in TARGETS}
        cap = None
        for s in seeds:
            of_seed = [r for r in rows if (r["firms"], r["candidates"], r["seed"]) == (n, c, s)]
            rule = [r for r in of_seed if r["kind"] == "ours" and r["route"] == "rule"]
            alone = [r for r in of_seed if r["kind"] == "highs"]
            if not rule or not alone:
                continue
            cap = rule[0]["cap_s"]
            h = alone[0]
            tight_highs.append(h)
            tight_ours += [r for r in rule if r["target"] == min(TARGETS)]
            agree.append(same_problem([*rule, h]))
            for g in TARGETS:
                # the run aimed at g, else the one-model run to the tighter target
                run = next((r for r in rule if r["target"] == g), None) or next(
                    r for r in rule if r["target"] == min(TARGETS)
                )
                t = run.get(f"t_{g:g}_s")
                ours[g].append(t)
                highs[g].append(h.get(f"t_{g:g}_s"))
                forced = [
                    r
                    for r in of_seed
                    if r["kind"] == "ours" and r["route"] == "components" and r["target"] == g
                ]
                if forced:
                    other[g].append(forced[0].get(f"t_{g:g}_s"))
                a = t if t is not None else math.inf
                b = h.get(f"t_{g:g}_s")
                b = b if b is not None else math.inf
                if not (math.isinf(a) and math.isinf(b)):
                    faster[g][0] += a < b
                    faster[g][1] += 1
                if not (math.isinf(a) or math.isinf(b)) and b > 0:
                    ratios[g].append(a / b)
        if not ours[1e-2]:
            continue
        out.append(
            f"| {n} | {c} | {cap:.0f} | {spread(ours[1e-2], cap)} | "
            f"{spread(highs[1e-2], cap)} | {verdict(faster[1e-2], ratios[1e-2])} | "
            f"{spread(other[1e-2], cap) if other[1e-2] else '—'} | "
            f"{spread(ours[1e-3], cap)} | {spread(highs[1e-3], cap)} | "
            f"{verdict(faster[1e-3], ratios[1e-3])} | {gap_spread(tight_ours, 1e-3)} | "
            f"{gap_spread(tight_highs, 1e-3)} | {sum(agree)}/{len(agree)} |"
        )
    loads = [r["load_avg_1min"] for r in rows if r.get("load_avg_1min") is not None]
    if loads:
        out += ["", f"1-minute load average at the start of the runs: {min(loads):.1f}–"
                f"{max(loads):.1f} (median {statistics.median(loads):.1f})."]  # fmt: skip
    return "\n".join(out)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
