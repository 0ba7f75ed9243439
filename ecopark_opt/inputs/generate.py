"""Synthetic eco-industrial parks of any size, for benchmarks and tests (``ecopark generate``).

A generated park looks like a real region rather than random noise:

- **Geography.** Firms sit in a few industrial clusters (Gaussian around centres spread over
  a region tens of km across; the region grows with √firms so that density stays realistic).
  Free plots are drawn near the cluster centres.
- **Sectors.** Each firm belongs to a sector (energy, refining, chemicals, food, construction
  materials, paper, metals, agriculture, water utility, recycling, biogas, manufacturing); the
  sector's profile decides which resources it may supply and demand and their typical
  yearly quantities (lognormal around the sector median, times a lognormal firm size).
- **Resources.** Twenty base resources in groups (water, heat and steam, gases, organic
  waste, mineral by-products, metals, plastics, solvents …) with realistic virgin prices,
  disposal costs and CO2e factors. With more resources than the base list, numbered variants
  (``steam_2``, ``fly_ash_2`` …) are added: a firm's stream of a base resource is of one
  variant, so variants split each market.
- **Substitutions** (slag → aggregates, steam → heat, wood waste → fuel gas …), **transport**
  by pipelines (capex per km, 10–30 km reach, heat loss per km) and by truck or tanker (cost
  per t·km, 100–150 km reach), and a water **quality** property (``cod``, mg/l) with
  limits on the demand rows of sensitive sectors.

- **Seasons** (``periods`` > 1): the year is cut into ``periods`` periods of **equal hours**
  (8 760 / N each, consecutive from 1 January: 4 periods are the quarters, 12 almost the
  months). Equal hours were chosen over season-like ones (a long winter, a short summer) so
  that N alone sets the time resolution, any N works, and the park's yearly numbers are
  the same for every N; the seasons are in the profiles instead. A stream's profile comes
  from its sector (:data:`SEASONAL`): heat demand of district heating (the water utility's,
  a municipal utility), greenhouses, food plants and buildings follows the Danish normal
  year's heating degree days (:data:`DEGREE_DAYS`) above a weather-independent base;
  cooling water, irrigation and construction materials follow the warm months; greenhouse
  CO2 the daylight; fertiliser (nutrients) the spring; agricultural residues the harvest.
  Most process streams (steam, process heat, surplus heat, water, by-products) stay flat:
  they have no profile rows and run at a constant rate. Heat and steam pipes then have a
  sizing cost per unit of capacity per km (:data:`SIZING`), so their capacity is a decision.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed`` (the profiles from
a second one, seeded by ``seed`` too, so that a park with periods is the same park as without
them, only operated over the periods): the same arguments always give the same tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .workbook import write_workbook

Tables = dict[str, Any]


@dataclass(frozen=True)
class ResourceType:
    """A base resource: unit, price and emission ranges, transport mode, size scale."""

    id: str
    name: str
    unit: str
    virgin_price: tuple[float, float]  # money/unit, uniform range
    disposal_cost: tuple[float, float]  # money/unit (negative = sold outside)
    virgin_co2e: float  # kg/unit bought
    disposal_co2e: float  # kg/unit discharged
    mode: str  # transport mode that carries it
    group: str


# The base list, most common first: with fewer resources than this, the first ones are kept.
BASE_RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "process_water",
        "process water",
        "m3",
        (1.2, 2.5),
        (1.5, 3.0),
        0.3,
        0.6,
        "water_pipe",
        "water",
    ),
    ResourceType(
        "steam", "process steam", "t", (22.0, 35.0), (0.0, 0.0), 220.0, 0.0, "steam_pipe", "heat"
    ),
    ResourceType(
        "heat",
        "low-temperature heat",
        "MWh",
        (35.0, 60.0),
        (0.0, 0.0),
        250.0,
        0.0,
        "heat_pipe",
        "heat",
    ),
    ResourceType(
        "organic_waste",
        "organic waste",
        "t",
        (20.0, 40.0),
        (60.0, 95.0),
        30.0,
        500.0,
        "truck",
        "organic",
    ),
    ResourceType(
        "fly_ash", "fly ash", "t", (35.0, 55.0), (45.0, 80.0), 800.0, 10.0, "truck", "mineral"
    ),
    ResourceType(
        "gypsum", "gypsum", "t", (18.0, 30.0), (30.0, 50.0), 60.0, 5.0, "truck", "mineral"
    ),
    ResourceType(
        "co2", "carbon dioxide", "t", (60.0, 120.0), (0.0, 0.0), 150.0, 1000.0, "tanker", "gas"
    ),
    ResourceType(
        "metal_scrap",
        "metal scrap",
        "t",
        (280.0, 380.0),
        (-180.0, -120.0),
        1800.0,
        0.0,
        "truck",
        "metal",
    ),
    ResourceType(
        "plastics",
        "plastic waste / recyclate",
        "t",
        (800.0, 1100.0),
        (70.0, 120.0),
        2000.0,
        2500.0,
        "truck",
        "plastics",
    ),
    ResourceType(
        "solvents",
        "spent solvents",
        "t",
        (700.0, 1000.0),
        (250.0, 400.0),
        1500.0,
        2000.0,
        "tanker",
        "solvents",
    ),
    ResourceType(
        "cooling_water",
        "cooling water",
        "m3",
        (0.3, 0.7),
        (0.2, 0.5),
        0.1,
        0.1,
        "water_pipe",
        "water",
    ),
    ResourceType(
        "fuel_gas", "fuel gas", "MWh", (25.0, 40.0), (2.0, 5.0), 200.0, 200.0, "gas_pipe", "gas"
    ),
    ResourceType(
        "sludge",
        "sewage / paper sludge",
        "t",
        (10.0, 25.0),
        (55.0, 90.0),
        20.0,
        300.0,
        "truck",
        "organic",
    ),
    ResourceType(
        "wood_waste", "wood waste", "t", (50.0, 80.0), (30.0, 55.0), 50.0, 50.0, "truck", "organic"
    ),
    ResourceType(
        "waste_paper",
        "waste paper / fibre",
        "t",
        (150.0, 250.0),
        (-50.0, -20.0),
        900.0,
        0.0,
        "truck",
        "fibre",
    ),
    ResourceType(
        "slag", "metallurgical slag", "t", (12.0, 20.0), (25.0, 40.0), 10.0, 2.0, "truck", "mineral"
    ),
    ResourceType(
        "aggregates", "aggregates", "t", (10.0, 18.0), (8.0, 15.0), 5.0, 1.0, "truck", "mineral"
    ),
    ResourceType(
        "sulphur", "sulphur", "t", (100.0, 180.0), (-60.0, -20.0), 150.0, 0.0, "truck", "mineral"
    ),
    ResourceType(
        "hydrogen", "hydrogen", "t", (1800.0, 3000.0), (0.0, 0.0), 10000.0, 0.0, "gas_pipe", "gas"
    ),
    ResourceType(
        "nutrients",
        "nutrient concentrate (N, P)",
        "t",
        (300.0, 500.0),
        (20.0, 50.0),
        2500.0,
        100.0,
        "truck",
        "organic",
    ),
)
BASE = {r.id: r for r in BASE_RESOURCES}

# Sector profiles: resource → (probability a firm has that stream, median quantity/yr).
SECTORS: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "energy": {
        "supply": {
            "steam": (0.8, 150_000),
            "heat": (0.8, 120_000),
            "fly_ash": (0.7, 40_000),
            "gypsum": (0.5, 25_000),
            "co2": (0.5, 300_000),
            "cooling_water": (0.6, 2_000_000),
        },
        "demand": {
            "fuel_gas": (0.6, 400_000),
            "wood_waste": (0.5, 30_000),
            "process_water": (0.7, 400_000),
            "sludge": (0.2, 10_000),
        },
    },
    "refining": {
        "supply": {
            "fuel_gas": (0.8, 300_000),
            "sulphur": (0.7, 20_000),
            "heat": (0.6, 80_000),
            "co2": (0.5, 200_000),
            "process_water": (0.6, 600_000),
            "hydrogen": (0.3, 2_000),
        },
        "demand": {
            "steam": (0.7, 100_000),
            "process_water": (0.8, 800_000),
            "cooling_water": (0.6, 1_500_000),
            "hydrogen": (0.6, 5_000),
        },
    },
    "chemicals": {
        "supply": {
            "co2": (0.5, 80_000),
            "solvents": (0.6, 3_000),
            "hydrogen": (0.4, 1_500),
            "heat": (0.5, 40_000),
            "process_water": (0.7, 300_000),
        },
        "demand": {
            "steam": (0.8, 60_000),
            "solvents": (0.5, 2_500),
            "sulphur": (0.4, 10_000),
            "process_water": (0.8, 350_000),
            "hydrogen": (0.3, 1_500),
        },
    },
    "food": {
        "supply": {
            "organic_waste": (0.9, 15_000),
            "process_water": (0.8, 250_000),
            "co2": (0.3, 10_000),
            "sludge": (0.4, 5_000),
        },
        "demand": {
            "heat": (0.7, 30_000),
            "steam": (0.5, 20_000),
            "process_water": (0.9, 300_000),
            "co2": (0.4, 5_000),
        },
    },
    "construction materials": {
        "supply": {"heat": (0.5, 50_000), "co2": (0.6, 250_000), "aggregates": (0.3, 30_000)},
        "demand": {
            "fly_ash": (0.7, 50_000),
            "gypsum": (0.6, 40_000),
            "slag": (0.6, 60_000),
            "aggregates": (0.7, 120_000),
            "wood_waste": (0.3, 20_000),
            "plastics": (0.2, 5_000),
        },
    },
    "paper": {
        "supply": {
            "sludge": (0.8, 20_000),
            "wood_waste": (0.5, 15_000),
            "heat": (0.6, 40_000),
            "process_water": (0.7, 500_000),
        },
        "demand": {
            "steam": (0.8, 120_000),
            "heat": (0.4, 30_000),
            "waste_paper": (0.7, 60_000),
            "process_water": (0.8, 600_000),
        },
    },
    "metals": {
        "supply": {
            "metal_scrap": (0.7, 8_000),
            "slag": (0.7, 50_000),
            "heat": (0.6, 60_000),
            "co2": (0.4, 150_000),
            "cooling_water": (0.4, 1_000_000),
        },
        "demand": {
            "metal_scrap": (0.6, 20_000),
            "cooling_water": (0.7, 1_200_000),
            "process_water": (0.5, 150_000),
            "hydrogen": (0.2, 2_000),
        },
    },
    "agriculture": {
        "supply": {"organic_waste": (0.7, 8_000)},
        "demand": {
            "heat": (0.8, 25_000),
            "co2": (0.7, 3_000),
            "nutrients": (0.6, 500),
            "organic_waste": (0.3, 5_000),
            "process_water": (0.6, 80_000),
        },
    },
    "water utility": {
        "supply": {
            "process_water": (0.9, 2_000_000),
            "sludge": (0.9, 25_000),
            "nutrients": (0.5, 800),
        },
        "demand": {"heat": (0.4, 10_000), "fuel_gas": (0.3, 20_000)},
    },
    "recycling": {
        "supply": {
            "plastics": (0.8, 6_000),
            "metal_scrap": (0.7, 5_000),
            "waste_paper": (0.7, 20_000),
            "wood_waste": (0.6, 10_000),
        },
        "demand": {"heat": (0.3, 5_000), "process_water": (0.4, 30_000)},
    },
    "biogas": {
        "supply": {
            "heat": (0.7, 20_000),
            "co2": (0.8, 8_000),
            "nutrients": (0.7, 400),
            "fuel_gas": (0.8, 40_000),
        },
        "demand": {"organic_waste": (0.9, 30_000), "sludge": (0.7, 15_000)},
    },
    "manufacturing": {
        "supply": {
            "plastics": (0.5, 2_000),
            "metal_scrap": (0.6, 3_000),
            "solvents": (0.4, 800),
            "waste_paper": (0.5, 3_000),
        },
        "demand": {
            "plastics": (0.5, 4_000),
            "solvents": (0.4, 1_000),
            "heat": (0.4, 10_000),
            "process_water": (0.5, 50_000),
        },
    },
}
SECTOR_WEIGHTS = {
    "energy": 0.06,
    "refining": 0.04,
    "chemicals": 0.12,
    "food": 0.12,
    "construction materials": 0.08,
    "paper": 0.06,
    "metals": 0.08,
    "agriculture": 0.10,
    "water utility": 0.04,
    "recycling": 0.08,
    "biogas": 0.06,
    "manufacturing": 0.16,
}

# Supplied resource → demanded resource: (ratio, treatment cost/unit, treatment kg CO2e/unit).
SUBSTITUTIONS: tuple[tuple[str, str, float, float, float], ...] = (
    ("slag", "aggregates", 0.9, 3.0, 2.0),
    ("fly_ash", "aggregates", 1.0, 4.0, 2.0),
    ("steam", "heat", 0.7, 0.5, 0.0),
    ("wood_waste", "fuel_gas", 4.0, 12.0, 15.0),
    ("cooling_water", "process_water", 1.0, 0.4, 0.2),
    ("sludge", "nutrients", 0.02, 8.0, 5.0),
)

# Transport modes (docs/workbook.md, transport). ``resources`` are filled from the resources' ``mode``.
MODES: tuple[dict[str, Any], ...] = (
    {
        "mode": "water_pipe",
        "capex_fixed": 40_000,
        "capex_per_km": 250_000,
        "lifetime_years": 30,
        "opex_fixed": 5_000,
        "cost_per_unit_km": 0.002,
        "max_distance_km": 15,
        "co2e_per_unit_km": 0.005,
        "detour_factor": 1.3,
    },
    {
        "mode": "steam_pipe",
        "capex_fixed": 100_000,
        "capex_per_km": 900_000,
        "lifetime_years": 25,
        "opex_fixed": 20_000,
        "cost_per_unit_km": 0.05,
        "max_distance_km": 10,
        "loss_per_km": 0.03,
        "detour_factor": 1.3,
    },
    {
        "mode": "heat_pipe",
        "capex_fixed": 80_000,
        "capex_per_km": 600_000,
        "lifetime_years": 30,
        "opex_fixed": 10_000,
        "cost_per_unit_km": 0.03,
        "max_distance_km": 30,
        "loss_per_km": 0.008,
        "detour_factor": 1.3,
    },
    {
        "mode": "gas_pipe",
        "capex_fixed": 60_000,
        "capex_per_km": 400_000,
        "lifetime_years": 30,
        "opex_fixed": 8_000,
        "cost_per_unit_km": 0.01,
        "max_distance_km": 20,
        "detour_factor": 1.2,
    },
    {
        "mode": "truck",
        "capex_fixed": 0,
        "capex_per_km": 0,
        "opex_fixed": 3_000,
        "cost_per_unit_km": 0.12,
        "max_distance_km": 120,
        "co2e_per_unit_km": 0.09,
        "detour_factor": 1.3,
    },
    {
        "mode": "tanker",
        "capex_fixed": 0,
        "capex_per_km": 0,
        "opex_fixed": 5_000,
        "cost_per_unit_km": 0.20,
        "max_distance_km": 150,
        "co2e_per_unit_km": 0.10,
        "detour_factor": 1.3,
    },
)

# Water quality: chemical oxygen demand of the stream (supply) or the most accepted (demand).
QUALITY = "cod"
QUALITY_RESOURCE = "process_water"
QUALITY_SUPPLY_MEDIAN = {"water utility": 12.0, "food": 250.0, "paper": 180.0}  # mg/l
QUALITY_SUPPLY_DEFAULT = 80.0
QUALITY_LIMIT = {
    "food": 15.0,
    "agriculture": 60.0,
    "chemicals": 100.0,
    "energy": 40.0,
    "paper": 150.0,
    "refining": 120.0,
}  # mg/l; other sectors: no limit
QUALITY_VIRGIN = 2.0  # mg/l in abstracted fresh water

SETTINGS = {"objective": "cost", "currency": "EUR", "time_limit_s": 60, "mip_gap": 1e-4}

# --- seasons -------------------------------------------------------------------------------

# Heating degree days (base 17 °C) of the Danish normal year, January to December, as the
# Danish District Heating Association supplies them to heat utilities (3 037 a year; sources
# in instances/README.md): how much heating each month needs.
DEGREE_DAYS = (502, 463, 435, 296, 138, 61, 21, 25, 97, 207, 347, 445)
MONTH_HOURS = (744, 672, 744, 720, 744, 720, 744, 744, 720, 744, 720, 744)  # 8 760 h
YEAR_HOURS = 8760.0
MAX_PERIODS = 8760  # one period per hour of the year
EXCEL_ROWS = 1_048_575  # data rows of one sheet, below its header

# Relative rate per hour in each month, January to December, of a seasonal stream's
# season-dependent part: degree days per hour (heating), its mirror (the warm months),
# day length at 56° N in hours (daylight), fertilising in spring (Danish rules allow
# spreading from February, most of it goes on in March–May) and crop residues at harvest.
_HEATING = tuple(d / h for d, h in zip(DEGREE_DAYS, MONTH_HOURS))
SHAPES: dict[str, tuple[float, ...]] = {
    "heating": _HEATING,
    "warmth": tuple(max(_HEATING) - r for r in _HEATING),
    "daylight": (7.3, 9.2, 11.6, 14.1, 16.3, 17.4, 16.9, 14.9, 12.6, 10.2, 8.0, 6.9),
    "spring": (0.1, 0.6, 2.0, 2.6, 2.2, 1.2, 0.6, 0.6, 0.6, 0.3, 0.1, 0.1),
    "harvest": (0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 1.2, 1.8, 2.0, 1.6, 0.8, 0.6),
}

# (sector, direction, base resource) → (shape, share of the yearly quantity that does not
# depend on the season). Streams not listed are flat. Each firm's base share is drawn around
# this value (± 0.05 standard deviation).
SEASONAL: dict[tuple[str, str, str], tuple[str, float]] = {
    ("water utility", "demand", "heat"): ("heating", 0.3),  # municipal district heating
    ("agriculture", "demand", "heat"): ("heating", 0.2),  # greenhouses
    ("food", "demand", "heat"): ("heating", 0.5),  # process heat and buildings
    ("manufacturing", "demand", "heat"): ("heating", 0.3),  # space heating
    ("recycling", "demand", "heat"): ("heating", 0.3),
    ("paper", "demand", "heat"): ("heating", 0.7),
    ("refining", "demand", "cooling_water"): ("warmth", 0.6),
    ("metals", "demand", "cooling_water"): ("warmth", 0.6),
    ("agriculture", "demand", "process_water"): ("warmth", 0.3),  # irrigation
    ("agriculture", "demand", "co2"): ("daylight", 0.2),  # greenhouse CO2 enrichment
    ("agriculture", "demand", "nutrients"): ("spring", 0.0),
    ("agriculture", "supply", "organic_waste"): ("harvest", 0.0),
    **{
        ("construction materials", "demand", r): ("warmth", 0.7)  # building season
        for r in ("fly_ash", "gypsum", "slag", "aggregates")
    },
}

# Sizing costs of the pipes when the park has periods, per unit/yr of capacity per km (on top
# of their cost per km). A hot-water pipe: 18 377 EUR per MW per km (topotherm's pipe cost
# fit, instances/README.md), 1 MW = 8 760 MWh/yr → 2.10 EUR per MWh/yr·km; steam in t:
# 4/3 of that per MWh at 0.7 MWh per t → 1.96 EUR per t/yr·km.
SIZING: dict[str, dict[str, float]] = {
    "heat_pipe": {"capex_per_capacity_km": 2.10},
    "steam_pipe": {"capex_per_capacity_km": 1.96},
}


def resource_list(count: int) -> list[tuple[str, ResourceType]]:
    """``count`` (resource id, base type) pairs: the base list, then numbered variants."""
    out = []
    for k in range(count):
        base = BASE_RESOURCES[k % len(BASE_RESOURCES)]
        variant = k // len(BASE_RESOURCES) + 1
        out.append((base.id if variant == 1 else f"{base.id}_{variant}", base))
    return out


def generate_park(
    firms: int, resources: int, seed: int, plots: int = 0, candidates: int = 0, periods: int = 1
) -> Tables:
    """The tables of a synthetic park (``write_workbook`` input), deterministic for ``seed``.

    ``firms`` existing firms, ``resources`` resources (the first of the base list, then
    numbered variants), ``plots`` free plots near the clusters, ``candidates`` candidate firms
    (with a blank site when there are plots, so the optimizer places them; otherwise on a
    site of their own), ``periods`` periods of equal hours with seasonal profiles and sized
    heat and steam pipes (1: no ``periods`` sheet; see the module docstring).
    """
    if firms < 1 or resources < 1 or plots < 0 or candidates < 0 or seed < 0:
        raise ValueError("firms and resources must be ≥ 1, plots, candidates and seed ≥ 0")
    if not 1 <= periods <= MAX_PERIODS:
        raise ValueError(f"periods must be between 1 and {MAX_PERIODS} (one per hour)")
    rng = np.random.default_rng(seed)
    res = resource_list(resources)
    variants: dict[str, list[str]] = {}
    for rid, base in res:
        variants.setdefault(base.id, []).append(rid)

    region_km = max(40.0, 6.0 * math.sqrt(firms))  # the region grows with √firms
    n_clusters = max(2, round(math.sqrt(firms) / 2))
    centres = rng.uniform(0.0, region_km, size=(n_clusters, 2))
    spread_km = rng.uniform(2.0, 6.0, size=n_clusters)

    def place(count: int) -> tuple[np.ndarray, np.ndarray]:
        cluster = rng.integers(0, n_clusters, size=count)
        xy = centres[cluster] + rng.normal(size=(count, 2)) * spread_km[cluster, None]
        return np.round(xy, 3), cluster

    sites: list[dict[str, Any]] = []
    firm_rows: list[dict[str, Any]] = []
    flow_rows: list[dict[str, Any]] = []
    sector_names = list(SECTORS)
    weights = np.array([SECTOR_WEIGHTS[s] for s in sector_names])
    weights /= weights.sum()

    width = len(str(firms))
    xy, _ = place(firms)
    for k in range(firms):
        fid = f"F{k + 1:0{width}d}"
        sid = f"S{k + 1:0{width}d}"
        sector = sector_names[rng.choice(len(sector_names), p=weights)]
        sites.append(
            {"site_id": sid, "x_km": float(xy[k, 0]), "y_km": float(xy[k, 1]), "kind": "fixed"}
        )
        firm_rows.append(
            {
                "firm_id": fid,
                "name": f"{sector.title()} {k + 1}",
                "sector": sector,
                "status": "existing",
                "site": sid,
            }
        )
        flow_rows.extend(_streams(rng, fid, sector, variants))

    if plots:
        pxy, _ = place(plots)
        pw = len(str(plots))
        for k in range(plots):
            sites.append(
                {
                    "site_id": f"P{k + 1:0{pw}d}",
                    "x_km": float(pxy[k, 0]),
                    "y_km": float(pxy[k, 1]),
                    "kind": "plot",
                    "capacity": int(rng.integers(1, 3)),
                    "site_cost": float(round(rng.uniform(10_000, 80_000), -2)),
                }
            )
    if candidates:
        cw = len(str(candidates))
        cxy, _ = place(candidates)
        for k in range(candidates):
            fid = f"C{k + 1:0{cw}d}"
            sector = sector_names[rng.choice(len(sector_names), p=weights)]
            site = None
            if not plots:
                site = f"CS{k + 1:0{cw}d}"
                sites.append(
                    {
                        "site_id": site,
                        "x_km": float(cxy[k, 0]),
                        "y_km": float(cxy[k, 1]),
                        "kind": "fixed",
                    }
                )
            streams = _streams(rng, fid, sector, variants)
            # hosting costs the park a share of the firm's standalone spend (incentives,
            # infrastructure); a few candidates bring a net benefit (negative cost)
            admission = _standalone_spend(streams) * rng.uniform(-0.05, 0.35)
            firm_rows.append(
                {
                    "firm_id": fid,
                    "name": f"Candidate {sector} {k + 1}",
                    "sector": sector,
                    "status": "candidate",
                    "site": site,
                    "admission_cost": float(round(admission, -2)),
                }
            )
            flow_rows.extend(streams)

    tables: Tables = {
        "firms": firm_rows,
        "sites": sites,
        "resources": _resource_rows(rng, res),
        "flows": _with_quality(rng, flow_rows, firm_rows),
        "properties": [{"property": QUALITY, "unit": "mg/l"}]
        if QUALITY_RESOURCE in variants
        else [],
        "substitutions": _substitution_rows(variants),
        "transport": _transport_rows(res),
        "settings": dict(SETTINGS),
    }
    if periods > 1:
        tables["periods"] = period_rows(periods)
        tables["profiles"] = _profile_rows(seed, periods, tables["flows"], firm_rows)
        tables["transport"] = [
            {**row, **SIZING.get(row["mode"], {})} for row in tables["transport"]
        ]
    return {sheet: rows for sheet, rows in tables.items() if len(rows)}  # optional sheets


def write_generated(
    path: str | Path,
    firms: int,
    resources: int,
    seed: int,
    plots: int = 0,
    candidates: int = 0,
    periods: int = 1,
) -> Path:
    """Generate a park and write it as an input workbook at ``path``."""
    return write_workbook(path, generate_park(firms, resources, seed, plots, candidates, periods))


# --- periods -------------------------------------------------------------------------------


def period_rows(periods: int) -> list[dict[str, Any]]:
    """``periods`` periods of equal hours (8 760 / N), named ``p1`` … ``pN`` (zero-padded)."""
    width = len(str(periods))
    return [
        {"period_id": f"p{k + 1:0{width}d}", "hours": YEAR_HOURS / periods} for k in range(periods)
    ]


def month_overlap(periods: int) -> np.ndarray:
    """Hours of each month (columns, January first) in each period (rows) when the year,
    from 1 January, is cut into ``periods`` slices of equal hours."""
    month_end = np.cumsum(MONTH_HOURS, dtype=float)
    month_start = month_end - np.asarray(MONTH_HOURS, dtype=float)
    edges = np.linspace(0.0, YEAR_HOURS, periods + 1)
    start, end = edges[:-1, None], edges[1:, None]
    return np.clip(np.minimum(end, month_end) - np.maximum(start, month_start), 0.0, None)


def seasonal_shares(shape: str, base: float, periods: int) -> np.ndarray:
    """Each period's share of a stream's yearly quantity: ``base`` of it at a constant rate,
    the rest at the monthly rates of ``SHAPES[shape]``; the shares add up to 1."""
    hours = np.asarray(MONTH_HOURS, dtype=float)
    seasonal = np.asarray(SHAPES[shape], dtype=float) * hours
    monthly = base * hours / hours.sum() + (1.0 - base) * seasonal / seasonal.sum()
    return month_overlap(periods) @ (monthly / hours)


def _profile_rows(
    seed: int, periods: int, flows: list[dict[str, Any]], firms: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Profile rows of the seasonal streams (:data:`SEASONAL`); the others stay flat.

    Shares are rounded to 8 decimals, the largest taking the rounding, so that each stream's
    add up to 1 well within the ±1e-6 that validation allows.
    """
    rng = np.random.default_rng([seed, 1])  # apart from the park's own draws
    sector = {f["firm_id"]: f["sector"] for f in firms}
    names = [r["period_id"] for r in period_rows(periods)]
    seasonal = [
        (row, SEASONAL[sector[row["firm_id"]], row["direction"], _base_id(row["resource_id"])])
        for row in flows
        if (sector[row["firm_id"]], row["direction"], _base_id(row["resource_id"])) in SEASONAL
    ]
    if len(seasonal) * periods > EXCEL_ROWS:
        raise ValueError(
            f"{periods} periods × {len(seasonal)} seasonal streams = "
            f"{len(seasonal) * periods} profile rows, more than an Excel sheet holds "
            f"({EXCEL_ROWS}); ask for fewer periods"
        )
    rows = []
    for row, (shape, base) in seasonal:
        firm_base = float(np.clip(base + rng.normal(0.0, 0.05), 0.0, 1.0))
        shares = np.round(seasonal_shares(shape, firm_base, periods), 8)
        largest = int(np.argmax(shares))
        shares[largest] = round(1.0 - (shares.sum() - shares[largest]), 8)
        for period, share in zip(names, shares):
            rows.append(
                {
                    "firm_id": row["firm_id"],
                    "resource_id": row["resource_id"],
                    "direction": row["direction"],
                    "period_id": period,
                    "share": float(share),
                }
            )
    return rows


# --- pieces --------------------------------------------------------------------------------


def _streams(
    rng: np.random.Generator, firm: str, sector: str, variants: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The supply and demand rows of one firm; every firm gets at least one row."""
    size = rng.lognormal(0.0, 0.7)  # the firm's scale against its sector's median
    rows = []
    for direction in ("supply", "demand"):
        for base, (probability, median) in SECTORS[sector][direction].items():
            draw = rng.random()
            if base not in variants or draw >= probability:
                continue
            rid = variants[base][int(rng.integers(len(variants[base])))]
            quantity = float(round(median * size * rng.lognormal(0.0, 0.5)))
            row = {
                "firm_id": firm,
                "resource_id": rid,
                "direction": direction,
                "quantity": max(quantity, 1.0),
            }
            if rng.random() < 0.25:  # a firm-specific contract price: ±15 % of the market's
                row["price_factor"] = float(rng.uniform(0.85, 1.15))
            rows.append(row)
    if not rows:  # small resource lists: give the firm one stream of an available resource
        rid = list(variants.values())[int(rng.integers(len(variants)))][0]
        direction = "supply" if rng.random() < 0.5 else "demand"
        rows.append(
            {
                "firm_id": firm,
                "resource_id": rid,
                "direction": direction,
                "quantity": float(round(1_000 * size * rng.lognormal(0.0, 0.5))) or 1.0,
            }
        )
    # one row per (firm, resource, direction): variants can repeat a base resource
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["resource_id"], row["direction"])
        if key in unique:
            unique[key]["quantity"] += row["quantity"]
        else:
            unique[key] = row
    return list(unique.values())


def _standalone_spend(streams: list[dict[str, Any]]) -> float:
    """What a firm's streams cost a year at mid-range market prices, operating alone."""
    spend = 0.0
    for row in streams:
        base = BASE[_base_id(row["resource_id"])]
        low, high = base.virgin_price if row["direction"] == "demand" else base.disposal_cost
        spend += row["quantity"] * max((low + high) / 2, 0.0)
    return spend


def _resource_rows(
    rng: np.random.Generator, res: list[tuple[str, ResourceType]]
) -> list[dict[str, Any]]:
    rows = []
    for rid, base in res:
        row = {
            "resource_id": rid,
            "name": base.name if rid == base.id else f"{base.name} ({rid})",
            "unit": base.unit,
            "virgin_price": float(round(rng.uniform(*base.virgin_price), 2)),
            "disposal_cost": float(round(rng.uniform(*base.disposal_cost), 2)),
            "virgin_weight": 1.0,
            "virgin_co2e": base.virgin_co2e,
            "disposal_co2e": base.disposal_co2e,
        }
        if base.id == QUALITY_RESOURCE:
            row[QUALITY] = QUALITY_VIRGIN
        rows.append(row)
    return rows


def _with_quality(
    rng: np.random.Generator, flows: list[dict[str, Any]], firms: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Turn price factors into prices and add the water quality property.

    Process-water supplies get their COD (mg/l, lognormal around the sector's median);
    process-water demands of sensitive sectors get a limit; other rows leave it blank.
    """
    sector = {f["firm_id"]: f["sector"] for f in firms}
    out = []
    for row in flows:
        row = dict(row)
        factor = row.pop("price_factor", None)
        out.append(row)
        rid = row["resource_id"]
        base = BASE[_base_id(rid)]
        if factor is not None:
            low, high = base.virgin_price if row["direction"] == "demand" else base.disposal_cost
            row["price"] = float(round((low + high) / 2 * factor, 2))
        if base.id != QUALITY_RESOURCE:
            continue
        s = sector[row["firm_id"]]
        if row["direction"] == "supply":
            median = QUALITY_SUPPLY_MEDIAN.get(s, QUALITY_SUPPLY_DEFAULT)
            row[QUALITY] = float(round(median * rng.lognormal(0.0, 0.4), 1))
        elif s in QUALITY_LIMIT:
            row[QUALITY] = QUALITY_LIMIT[s]
    return out


def _base_id(rid: str) -> str:
    if rid in BASE:
        return rid
    return rid.rsplit("_", 1)[0]


def _substitution_rows(variants: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each substitution between variants of the same number, when both exist."""
    rows = []
    for src, dst, ratio, cost, co2e in SUBSTITUTIONS:
        for a, b in zip(variants.get(src, ()), variants.get(dst, ())):
            rows.append(
                {
                    "from_resource": a,
                    "to_resource": b,
                    "ratio": ratio,
                    "treatment_cost": cost,
                    "treatment_co2e": co2e,
                }
            )
    return rows


def _transport_rows(res: list[tuple[str, ResourceType]]) -> list[dict[str, Any]]:
    rows = []
    for mode in MODES:
        carried = [rid for rid, base in res if base.mode == mode["mode"]]
        if carried:
            rows.append({**mode, "resources": ",".join(carried)})
    return rows
