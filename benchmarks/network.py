"""Time the network picture of the report on generated parks of growing size.

    python benchmarks/network.py [--sizes 30 300 1000] [--repeats 3] [--seed 1]
                                 [--time-limit 30]

Each size N gets one park (``ecopark_opt.inputs.generate``: N existing firms, 20 resources),
solved once to a 1 % gap within ``--time-limit`` seconds (the picture needs a design, not a
proof). The design is then drawn ``--repeats`` times: *layout* is where the firms go
(``network_layout.arrange``), *render* the whole picture on its canvas (layout, marks,
label placement, legend), *png* writing the file. The table gives the median of the repeats
and the kind of picture (full, schematic, overview). The first drawing of a process pays
matplotlib's font cache and imports; a warm-up drawing of the smallest park is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.generate import write_generated
from ecopark_opt.inputs.load import load_park
from ecopark_opt.outputs import network_draw
from ecopark_opt.outputs.network_draw import DPI, render


def timed_layout(calls: list[float]):
    """Wrap the layout function the picture calls, adding each call's seconds to ``calls``."""

    def wrap(fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                calls.append(time.perf_counter() - start)

        return timed

    network_draw.arrange = wrap(network_draw.arrange)


def draw_times(solution, folder: Path, repeats: int, calls: list[float]) -> dict:
    """Median seconds of layout, render and PNG writing over the repeats, and what was drawn."""
    layout, rendered, png = [], [], []
    for i in range(repeats):
        calls.clear()
        start = time.perf_counter()
        fig, drawn = render(solution)
        rendered.append(time.perf_counter() - start)
        layout.append(sum(calls))
        start = time.perf_counter()
        fig.savefig(folder / f"network_{i}.png", dpi=DPI, format="png")
        png.append(time.perf_counter() - start)
    kind = "overview" if drawn.overview else "full"
    return {
        "kind": kind + ("" if drawn.to_scale else ", schematic"),
        "labels": drawn.link_labels,
        "layout_s": statistics.median(layout),
        "render_s": statistics.median(rendered),
        "png_s": statistics.median(png),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    calls: list[float] = []
    timed_layout(calls)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for k, n in enumerate(sorted(args.sizes)):
            book = folder / f"park{n}.xlsx"
            write_generated(book, firms=n, resources=20, seed=args.seed)
            solution = optimize(
                load_park(book), RunOptions(time_limit=args.time_limit, mip_gap=1e-2)
            )
            if k == 0:  # warm-up: font cache, first imports
                draw_times(solution, folder, 1, calls)
            row = draw_times(solution, folder, args.repeats, calls)
            row["firms"] = n
            row["links"] = int((~solution.built_links["internal"].astype(bool)).sum())
            rows.append(row)
            print(f"{n} firms done", flush=True)
    print()
    print("| firms | links | picture | link labels | layout s | render s | png s | total s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["render_s"] + r["png_s"]
        print(
            f"| {r['firms']} | {r['links']} | {r['kind']} | {r['labels']} | "
            f"{r['layout_s']:.2f} | {r['render_s']:.2f} | {r['png_s']:.2f} | {total:.2f} |"
        )


if __name__ == "__main__":
    main()
