"""Stand-ins for a solved design, for the network picture's tests: the few tables the picture
reads (sites, resources, admitted firms, built links), so that the tests need no solver."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd


def fake_solution(sites, firms, links, geographic=False):
    """A stand-in for a Solution: sites {id: (x, y, kind)}, firms {id: (site, name, sector,
    status)}, links [(supplier, receiver, resource, sent)] with every resource in t."""
    cols = ("lon", "lat") if geographic else ("x_km", "y_km")
    other = ("x_km", "y_km") if geographic else ("lon", "lat")
    site_table = pd.DataFrame(
        {
            cols[0]: [v[0] for v in sites.values()],
            cols[1]: [v[1] for v in sites.values()],
            other[0]: [float("nan")] * len(sites),
            other[1]: [float("nan")] * len(sites),
            "kind": [v[2] for v in sites.values()],
        },
        index=pd.Index(list(sites), name="site_id"),
    )
    firm_table = pd.DataFrame(
        {
            "name": [v[1] for v in firms.values()],
            "sector": [v[2] for v in firms.values()],
            "status": [v[3] for v in firms.values()],
            "admitted": [True] * len(firms),
            "site": [v[0] for v in firms.values()],
        },
        index=pd.Index(list(firms), name="firm_id"),
    )
    link_table = pd.DataFrame(
        {
            "supplier": [lk[0] for lk in links],
            "receiver": [lk[1] for lk in links],
            "from_resource": [lk[2] for lk in links],
            "to_resource": [lk[2] for lk in links],
            "sent": [float(lk[3]) for lk in links],
            "internal": [False] * len(links),
        }
    )
    resources = sorted({lk[2] for lk in links}) or ["water"]
    resource_table = pd.DataFrame(
        {"unit": ["t"] * len(resources)}, index=pd.Index(resources, name="resource_id")
    )
    park = SimpleNamespace(sites=site_table, resources=resource_table)
    return SimpleNamespace(
        park=park, firms=firm_table, built_links=link_table, processes=pd.DataFrame()
    )


# Four firms in a 4 km park, plus a free plot NEAR inside it and a free plot FAR 20 km east.
SMALL_SITES = {
    "S1": (0.0, 0.0, "fixed"),
    "S2": (4.0, 0.0, "fixed"),
    "S3": (0.0, 3.0, "fixed"),
    "S4": (4.0, 3.0, "fixed"),
    "NEAR": (2.0, 1.5, "plot"),
    "FAR": (22.0, 5.5, "plot"),
}
SMALL_FIRMS = {
    "CHP": ("S1", "Combined heat and power plant", "energy", "existing"),
    "BREW": ("S2", "Brewery", "food", "existing"),
    "GH": ("S3", "Greenhouse (waste heat and CO2)", "horticulture", "existing"),
    "PAPER": ("S4", "Paper mill", "paper", "existing"),
}
SMALL_LINKS = [
    ("CHP", "BREW", "steam", 4e4),
    ("CHP", "GH", "heat", 5e4),
    ("BREW", "PAPER", "sludge", 2e3),
    ("GH", "PAPER", "co2", 1e4),
]


def hub_park(rng_seed: int = 2):
    """30 hubs H00..H29, hub k sending 40 − k t of water to each of 5 receivers of its own
    (150 receivers R000..R149): 180 firms, 150 links, on random sites in a 40 km square."""
    rng = np.random.default_rng(rng_seed)
    hubs = [f"H{k:02d}" for k in range(30)]
    receivers = [f"R{j:03d}" for j in range(150)]
    names = hubs + receivers
    xy = rng.uniform(0, 40, size=(len(names), 2))
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    firms = {
        f: (f"S{i}", "", ("hub" if f[0] == "H" else "user"), "existing")
        for i, f in enumerate(names)
    }
    links = [
        (hubs[k], receivers[5 * k + m], "water", 40.0 - k) for k in range(30) for m in range(5)
    ]
    return sites, firms, links
