"""Where the network picture puts things (ecopark_opt.outputs.network_layout)."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from ecopark_opt.outputs.network_layout import (
    arrange,
    declutter_sparse,
    is_overview,
    is_uneven,
    off_plots,
    rank_spread,
    segment_samples,
    stress_layout,
    top_firms,
)
from tests.outputs.network_parks import SMALL_FIRMS, SMALL_SITES


def test_uneven_spread():
    # a 3 × 3 grid, spacing 1: span 2, even spacing 2 / √9 = 0.67, median nearest 1 → even
    grid = np.array([(x, y) for x in range(3) for y in range(3)], dtype=float)
    assert not is_uneven(grid)
    # a harbour of 7 sites 0.3 km apart, farms 19 km and a cement works 80 km away:
    # span 60, even spacing 60 / 3 = 20, median nearest 0.3 < 0.15 × 20 = 3 → uneven
    harbour = [(0.3 * i, 0.0) for i in range(7)] + [(15.0, -12.0), (55.0, -60.0)]
    assert is_uneven(np.array(harbour))


def test_stress_layout_compresses_and_keeps_orientation():
    # three sites 1 km apart and one 100 km east: nearest-neighbour distances 1, 1, 1, 99,
    # lower quartile d0 = 1; targets log(1 + d): 1 km → 0.69, 100 km → 4.6, ratio ≈ 6.7 (true 100)
    xy = np.array([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (100.0, 0.0)])
    out = stress_layout(xy)
    near = math.dist(out[0], out[1])
    far = math.dist(out[0], out[3])
    assert 3 < far / near < 15
    assert out[3, 0] == max(out[:, 0])  # the far site stays east
    assert out[2, 1] > out[0, 1]  # the northern site stays north
    assert np.array_equal(out, stress_layout(xy))  # deterministic


def test_stress_layout_splits_sites_at_the_same_point():
    # three site ids at one point, a fourth 1 m away, two far partners: the layout is finite,
    # every site on a spot of its own, computed without a division by zero
    xy = np.array([(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.001, 0.0), (80.0, 0.0), (0.0, 60.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = stress_layout(xy)
    assert np.isfinite(out).all()
    gaps = [math.dist(a, b) for i, a in enumerate(out) for b in out[i + 1 :]]
    assert min(gaps) > 1e-3 * max(gaps)


def test_view_frames_the_firms_and_lists_far_plots():
    firm_site = {f: v[0] for f, v in SMALL_FIRMS.items()}
    site_km = {s: (v[0], v[1]) for s, v in SMALL_SITES.items()}
    lay = arrange(firm_site, site_km, ["NEAR", "FAR"], 60.0, (786.0, 685.0))
    assert lay.to_scale
    x0, y0, x1, y1 = lay.frame
    assert x0 < 0 and x1 > 4 and y0 < 0 and y1 > 3
    assert x1 < 10  # framed on the 4 km park, not stretched to FAR at 22 km
    assert "NEAR" in lay.plots and "FAR" not in lay.plots
    # FAR from the centre of the firms' box (2, 1.5): 20 km east, 4 km north → 20.4 km, E
    (name, dx, dy), *_ = off_plots(lay, ["NEAR", "FAR"], firm_site, site_km)
    assert (name, dx, dy) == ("FAR", 20.0, 4.0)


def test_overview_threshold():
    assert not is_overview(90, 250)  # 80 firms / 209 links still read in the full picture
    assert is_overview(91, 0)
    assert is_overview(10, 251)


def test_top_firms_weigh_units_alike():
    # A→B 100 t (the largest in t: 1.0), C→D 50 MWh of 200 MWh max (0.25), D→E 200 MWh (1.0),
    # A→C 25 t (0.25): A 1.25, D 1.25, B 1.0, E 1.0, C 0.5 → ties by id
    links = pd.DataFrame(
        {
            "supplier": ["A", "C", "D", "A"],
            "receiver": ["B", "D", "E", "C"],
            "rel": [1.0, 0.25, 1.0, 0.25],
            "internal": [False] * 4,
        }
    )
    assert top_firms(links, 3) == ["A", "D", "B"]
    assert top_firms(links, 10) == ["A", "D", "B", "E", "C"]


def test_sparse_declutter_and_rank_spread():
    # two points on top of each other are pushed about a gap apart; a far one stays put
    xy = np.array([(0.0, 0.0), (0.0, 0.0), (10.0, 10.0)])
    out = declutter_sparse(xy, 1.0)
    assert 0.9 < math.dist(out[0], out[1]) < 1.2
    assert tuple(out[2]) == (10.0, 10.0)
    # x = 0, 1, 2, 100: ranks 0, ⅓, ⅔, 1 of the range 100 → 0, 33.3, 66.7, 100; halfway:
    # 0, 17.17, 34.33, 100 (y all 0 stays 0)
    spread = rank_spread(np.array([(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (100.0, 0.0)]))
    assert np.allclose(spread[:, 0], [0.0, 17.1667, 34.3333, 100.0], atol=1e-3)
    assert np.allclose(spread[:, 1], 0.0)


def test_segment_samples():
    # 9 px at 3 px steps: ceil(9 / 3) + 1 = 4 points, 0, 3, 6, 9; a 1 px segment: its 2 ends
    pts = segment_samples(np.array([(0.0, 0.0), (5.0, 5.0)]), np.array([(9.0, 0.0), (5.0, 6.0)]))
    assert pts.tolist() == [[0, 0], [3, 0], [6, 0], [9, 0], [5, 5], [5, 6]]


@pytest.mark.slow
def test_layout_and_text_need_no_matplotlib():
    # where things go and what they say are computed without the drawing library
    code = (
        "import sys; import ecopark_opt.outputs.network_layout, ecopark_opt.outputs.network_text;"
        " print(sorted(m for m in ('matplotlib', 'pyomo') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
