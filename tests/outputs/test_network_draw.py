"""The network picture: framing, schematic layout, labels (ecopark_opt.outputs.network_draw).

The tests draw a stand-in for a solved design (tests/outputs/network_parks.py), so that they
need no solver and stay fast.
"""

from __future__ import annotations

import math
import re

import numpy as np
from matplotlib.text import Text

from ecopark_opt.outputs.network_draw import draw_network, render
from ecopark_opt.outputs.network_layout import TOP_FIRMS, TOP_LINKS
from tests.outputs.network_parks import (
    SMALL_FIRMS,
    SMALL_LINKS,
    SMALL_SITES,
    fake_solution,
    hub_park,
)


def test_small_park_picture_labels_every_link(tmp_path):
    fig, drawn = render(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS))
    assert drawn.to_scale
    assert (drawn.link_labels, drawn.omitted) == (4, 0)
    assert drawn.off_plots == ["FAR"]
    assert any("FAR (20 km E)" in note for note in drawn.notes)
    # the four firms are spread over the picture, not crammed in a corner: the park is
    # 4 km × 3 km and the axes about 790 × 685 px, so the firms span hundreds of pixels
    xs = [p[0] for p in drawn.positions.values()]
    assert max(xs) - min(xs) > 400
    png = draw_network(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS), tmp_path / "a.png")
    again = draw_network(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS), tmp_path / "b.png")
    assert png.read_bytes() == again.read_bytes()


def test_label_of_a_short_arrow_stands_off_its_arrow_with_a_leader():
    # A and B 0.6 km apart in a 4 km park: the arrow A→B (about 100 px) is shorter than its
    # label (about 180 px), so no spot on or beside the arrow is free of the two markers
    sites = {"A": (0.0, 0.0, "fixed"), "B": (0.6, 0.1, "fixed"), "C": (4.0, 3.0, "fixed")}
    sites["D"] = (0.0, 3.0, "fixed")
    firms = {f: (f, f"Firm {f}", "food", "existing") for f in sites}
    links = [("A", "B", "spent_grain_and_yeast", 25e3), ("C", "D", "heat", 5e4)]
    links.append(("D", "A", "water", 1e3))
    fig, drawn = render(fake_solution(sites, firms, links))
    assert (drawn.link_labels, drawn.omitted) == (3, 0)
    ax = fig.axes[0]
    box = next(t for t in ax.texts if t.get_text().startswith("spent_grain_and_yeast"))
    box = box.get_window_extent().padded(3)  # the text, and its box's padding
    (leader,) = [line for line in ax.lines if line.get_color() == "#555555"]
    start, end = ax.transData.transform(leader.get_xydata())
    a, b = drawn.positions["A"], drawn.positions["B"]
    assert min(a[0], b[0]) < start[0] < max(a[0], b[0])  # from the arrow between A and B …
    assert box.x0 <= end[0] <= box.x1 and box.y0 <= end[1] <= box.y1  # … to its label
    # a crowded picture (more than 12 firms) keeps labels beside their arrows
    for i in range(10):
        sites[f"X{i}"] = (1.5 + 0.25 * i, 1.5 - 0.1 * i, "fixed")
        firms[f"X{i}"] = (f"X{i}", f"Other {i}", "food", "existing")
    fig, drawn = render(fake_solution(sites, firms, links))
    assert drawn.omitted == 1
    assert not [line for line in fig.axes[0].lines if line.get_color() == "#555555"]


def test_uneven_park_is_drawn_schematic():
    # the harbour of test_uneven_spread, one firm per site, a chain of links
    sites = {f"H{i}": (0.3 * i, 0.1 * (i % 2), "fixed") for i in range(7)}
    sites.update({"FARMS": (15.0, -12.0, "fixed"), "CEMENT": (55.0, -60.0, "fixed")})
    firms = {f"F_{s}": (s, "", "", "existing") for s in sites}
    names = list(firms)
    links = [(a, b, "steam", 100.0 * (i + 1)) for i, (a, b) in enumerate(zip(names, names[1:]))]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert not drawn.to_scale
    assert any(note.startswith("schematic layout, not to scale") for note in drawn.notes)
    # harbour neighbours (0.3 km apart) at least a marker and a label's height apart
    pos = drawn.positions
    gaps = [math.dist(pos[f"F_H{i}"], pos[f"F_H{i + 1}"]) for i in range(6)]
    assert min(gaps) > 40


def test_one_site_on_a_circle():
    sites = {"PLANT": (0.0, 0.0, "fixed")}
    firms = {f"OP{i}": ("PLANT", f"Operation {i}", "process", "existing") for i in range(1, 5)}
    fig, drawn = render(fake_solution(sites, firms, [("OP2", "OP3", "water", 20.0)]))
    assert not drawn.to_scale and drawn.link_labels == 1
    centre = np.mean(list(drawn.positions.values()), axis=0)
    radii = [math.dist(p, centre) for p in drawn.positions.values()]
    assert max(radii) - min(radii) < 1.0 and min(radii) > 100


def test_edge_cases_draw(tmp_path):
    # geographic sites, no link, a name with dollar signs (no maths mode), no sector
    sites = {"A": (11.10, 55.65, "fixed"), "B": (11.15, 55.66, "fixed")}
    firms = {"A": ("A", "Plant $1 and $2", None, "existing"), "B": ("B", "", None, "existing")}
    png = draw_network(fake_solution(sites, firms, [], geographic=True), tmp_path / "g.png")
    assert png.stat().st_size > 10_000
    fig, drawn = render(fake_solution(sites, {}, []))
    assert drawn.positions == {}


def test_thirty_firms_are_drawn_in_the_axes(tmp_path):
    # a full picture (not an overview) of 30 firms with long names and 6 resources; how long
    # it takes is measured by benchmarks/network.py, not here
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 30, size=(30, 2))
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    sectors = ["energy", "food", "metals", "chemicals", "recycling"]
    firms = {
        f"F{i:02d}": (f"S{i}", f"Firm number {i} of the park", sectors[i % 5], "existing")
        for i in range(30)
    }
    links = [
        (f"F{i:02d}", f"F{(i * 7 + 3) % 30:02d}", f"r{i % 6}", 10.0 * (i + 1)) for i in range(30)
    ]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert not drawn.overview and sorted(drawn.positions) == sorted(firms)
    assert drawn.link_labels + drawn.omitted == 30 and drawn.link_labels > 0
    box = fig.axes[0].get_window_extent()
    for x, y in drawn.positions.values():
        assert box.x0 < x < box.x1 and box.y0 < y < box.y1
    png = draw_network(fake_solution(sites, firms, links), tmp_path / "n.png")
    assert png.stat().st_size > 20_000


def test_large_park_is_an_overview_labelling_the_largest_flows(tmp_path):
    sites, firms, links = hub_park()
    fig, drawn = render(fake_solution(sites, firms, links))
    assert drawn.overview and drawn.to_scale  # 180 firms > 90; spread evenly: to scale
    # the largest water flow is 40 t (hub 0), so a link of hub k counts (40 − k) / 40 and
    # hub k scores 5 (40 − k) / 40: hub 24 scores 2.0, every receiver at most 1.0 → the 25
    # labelled firms are H00..H24
    assert len(drawn.labelled) <= TOP_FIRMS
    assert drawn.labelled == [f"H{k:02d}" for k in range(25)]
    # ten largest links labelled (those of hubs 0 and 1); 150 − 10 = 140 labels left out,
    # and 180 − 25 = 155 firm labels
    assert (drawn.link_labels, drawn.omitted) == (TOP_LINKS, 140)
    assert any("left out: 155 firm and 140 link labels" in note for note in drawn.notes)
    assert any(note.startswith("overview: dots are firms") for note in drawn.notes)
    a = draw_network(fake_solution(sites, firms, links), tmp_path / "a.png")
    b = draw_network(fake_solution(sites, firms, links), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()


def test_dense_cluster_overview_is_schematic():
    # 120 firms within about a kilometre and two partners 40 and 60 km away: dots 2.5 px
    # wide at ~10 px/km would pile up, so the sites are spread by rank (schematic)
    rng = np.random.default_rng(4)
    xy = np.vstack([rng.normal(0, 0.3, size=(120, 2)), [(40.0, 0.0), (0.0, -60.0)]])
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    firms = {f"F{i}": (f"S{i}", "", "x", "existing") for i in range(len(xy))}
    links = [("F120", "F0", "heat", 10.0), ("F1", "F121", "heat", 5.0)]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert drawn.overview and not drawn.to_scale
    assert any(note.startswith("schematic layout, not to scale") for note in drawn.notes)
    # only the four firms with a link can carry a label
    assert sorted(drawn.labelled) == ["F0", "F1", "F120", "F121"]


# --- numbers: never in scientific notation ----------------------------------------------------

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def all_texts(fig) -> list[str]:
    """Every text of a drawn figure: labels, ticks and their offset, legend, notes."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_no_number_drawn_in_scientific_notation():
    # to scale, x about 5 000 000 km (matplotlib would add an offset "+5e6" to the ticks),
    # flows from 4e-5 to 1.2e12 t
    x = 5e6
    sites = {"A": (x, 0.0, "fixed"), "B": (x + 3, 1.0, "fixed"), "C": (x + 1, 4.0, "fixed")}
    firms = {f: (f, f"Firm {f}", "energy", "existing") for f in sites}
    links = [("A", "B", "steam", 1.2e12), ("B", "C", "water", 3.5e5), ("C", "A", "ash", 4e-5)]
    fig, drawn = render(fake_solution(sites, firms, links))
    texts = all_texts(fig)
    assert drawn.to_scale and drawn.link_labels == 3
    assert {"steam 1.2 T t", "water 350 k t", "ash 0.00004 t"} <= set(texts)
    assert not [t for t in texts if SCIENTIFIC.search(t)]
    assert "5000000" in texts  # a plain x tick

    # geographic, a few metres apart near (0°, 0°): ticks of a few millionths of a degree
    sites = {"A": (0.00001, 0.00001, "fixed"), "B": (0.00004, 0.00003, "fixed")}
    firms = {f: (f, f"Firm {f}", "energy", "existing") for f in sites}
    fig, drawn = render(fake_solution(sites, firms, [("A", "B", "heat", 2.5e7)], geographic=True))
    texts = all_texts(fig)
    assert drawn.to_scale and "heat 25 M t" in texts
    assert not [t for t in texts if SCIENTIFIC.search(t)]

    # a schematic note giving the range of distances: 0.00004 km (4 cm) to 80 km
    sites = {f"H{i}": (0.00004 * i, 0.0, "fixed") for i in range(6)}
    sites.update({"FAR": (50.0, -62.45, "fixed")})
    firms = {f"F_{s}": (s, "", "", "existing") for s in sites}
    fig, drawn = render(fake_solution(sites, firms, [("F_H0", "F_FAR", "slag", 1e3)]))
    note = next(n for n in drawn.notes if n.startswith("schematic layout"))
    assert "firms 0.00004 to 80 km apart" in note
    assert not [t for t in all_texts(fig) if SCIENTIFIC.search(t)]
