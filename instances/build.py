"""Build the shipped instance workbooks (see ``instances/README.md``).

Run from the repository root::

    python instances/build.py            # writes instances/*.xlsx

or import it: every instance has a ``*_tables()`` function returning its sheets as plain rows
and a ``build_*(path)`` function writing the workbook. The output is deterministic: the same
code always gives the same tables.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(HERE.parent))

from ecopark_opt.inputs.generate import DEGREE_DAYS, MONTH_HOURS  # noqa: E402
from ecopark_opt.inputs.workbook import write_workbook  # noqa: E402
from ecopark_opt.park import HOURS_PER_YEAR  # noqa: E402

Tables = dict[str, Any]


# --- two_firms: small enough to check by hand ---------------------------------------------


def two_firms_tables() -> Tables:
    """A CHP plant and a greenhouse 5 km apart; heat pays for a pipe, CO2 does not.

    The hand computation is in ``instances/README.md`` and ``tests/test_instances.py``.
    """
    # fmt: off
    return {
        "firms": [
            {"firm_id": "CHP", "name": "Combined heat and power plant", "sector": "energy",
             "site": "S_CHP"},
            {"firm_id": "GREENHOUSE", "name": "Greenhouse", "sector": "horticulture",
             "site": "S_GH"},
        ],
        "sites": [
            {"site_id": "S_CHP", "x_km": 0.0, "y_km": 0.0},
            {"site_id": "S_GH", "x_km": 3.0, "y_km": 4.0},
        ],
        "resources": [
            {"resource_id": "heat", "name": "Low-temperature heat", "unit": "MWh",
             "virgin_price": 40.0, "disposal_cost": 2.0, "virgin_co2e": 200.0},
            {"resource_id": "co2", "name": "Carbon dioxide", "unit": "t",
             "virgin_price": 50.0, "disposal_cost": 0.0},
        ],
        "flows": [
            {"firm_id": "CHP", "resource_id": "heat", "direction": "supply", "quantity": 1000.0},
            {"firm_id": "CHP", "resource_id": "co2", "direction": "supply", "quantity": 200.0},
            {"firm_id": "GREENHOUSE", "resource_id": "heat", "direction": "demand",
             "quantity": 600.0},
            {"firm_id": "GREENHOUSE", "resource_id": "co2", "direction": "demand",
             "quantity": 60.0},
        ],
        "transport": [
            {"mode": "pipe", "resources": "*", "capex_per_km": 10000.0, "lifetime_years": 20.0,
             "opex_fixed": 500.0, "cost_per_unit_km": 0.1, "loss_per_km": 0.02,
             "co2e_per_unit_km": 0.01},
        ],
        "settings": {"objective": "cost", "discount_rate": 0.0, "time_limit_s": 60,
                     "mip_gap": 1e-6},
    }


# --- water_pinch: Wang & Smith (1994), fixed-flowrate form ---------------------------------

# (sink flow t/h, max inlet ppm, source flow t/h, outlet ppm) of the four operations
WATER_PINCH_OPERATIONS = (
    (20.0, 0.0, 20.0, 100.0),
    (100.0, 50.0, 100.0, 100.0),
    (40.0, 50.0, 40.0, 800.0),
    (10.0, 400.0, 10.0, 800.0),
)


def water_pinch_tables() -> Tables:
    """Four water-using operations on one site; minimum fresh water 90 t/h."""
    # fmt: off
    firms = []
    flows = []
    for n, (sink, limit, source, outlet) in enumerate(WATER_PINCH_OPERATIONS, start=1):
        op = f"OP{n}"
        firms.append({"firm_id": op, "name": f"Operation {n}", "sector": "process",
                      "site": "PLANT"})
        flows.append({"firm_id": op, "resource_id": "water", "direction": "demand",
                      "quantity": sink, "contaminant": limit})
        flows.append({"firm_id": op, "resource_id": "water", "direction": "supply",
                      "quantity": source, "contaminant": outlet})
    return {
        "firms": firms,
        "sites": [{"site_id": "PLANT", "x_km": 0.0, "y_km": 0.0}],
        "resources": [
            {"resource_id": "water", "name": "Water", "unit": "t/h", "virgin_price": 1.0,
             "disposal_cost": 0.0, "contaminant": 0.0},
        ],
        "properties": [{"property": "contaminant", "unit": "ppm"}],
        "flows": flows,
        "settings": {"objective": "virgin", "internal_reuse": True, "time_limit_s": 60,
                     "mip_gap": 1e-6},
    }


# --- water_hub: Wang & Smith (1994) with a regeneration unit (regeneration recycling) ------

# The regeneration unit's fixed outlet concentration (ppm) and its cost per t/h treated: any
# cost between 0 and the price of fresh water (1) makes the optimizer pick, among the designs
# with the least fresh water, the one that regenerates least (ties are broken by cost).
REGENERATION_OUTLET_PPM = 5.0
REGENERATION_COST = 0.1


def water_hub_tables(regeneration: bool = True) -> Tables:
    """:func:`water_pinch_tables` with a regeneration unit (outlet 5 ppm) run by ``REGEN``.

    Without ``regeneration`` the unit's firm and process are left out: the problem is then
    ``water_pinch`` again (fresh water 90 t/h).
    """
    tables = water_pinch_tables()
    if not regeneration:
        return tables
    tables["firms"].append(
        {"firm_id": "REGEN", "name": "Regeneration unit", "sector": "utility", "site": "PLANT"}
    )
    # fmt: off
    tables["processes"] = [
        {"process_id": "regenerator", "firm_id": "REGEN", "max_throughput": 170.0,
         "cost_per_unit": REGENERATION_COST},
    ]
    tables["process_io"] = [
        # any water in (no limit on the mix), the same flow out at the fixed outlet quality
        {"process_id": "regenerator", "resource_id": "water", "direction": "input",
         "ratio": 1.0, "contaminant": None},
        {"process_id": "regenerator", "resource_id": "water", "direction": "output",
         "ratio": 1.0, "contaminant": REGENERATION_OUTLET_PPM},
    ]
    # fmt: on
    return tables


# --- kalundborg: the reference case --------------------------------------------------------


TRANSPORT_COLUMNS = (
    "mode",
    "resources",
    "capex_fixed",
    "capex_per_km",
    "lifetime_years",
    "opex_fixed",
    "cost_per_unit_km",
    "capacity",
    "max_distance_km",
    "loss_per_km",
    "co2e_per_unit_km",
    "detour_factor",
)


def _columns(rows: list[Mapping[str, Any]], columns: tuple[str, ...]) -> list[dict]:
    """Rows with the same columns in a fixed order (blank cells where a row has none)."""
    unknown = {k for r in rows for k in r} - set(columns)
    if unknown:
        raise ValueError(f"unexpected columns {sorted(unknown)}")
    return [{c: r.get(c) for c in columns} for r in rows]


def _flow(firm: str, resource: str, direction: str, quantity: float, **extra: Any) -> dict:
    return {
        "firm_id": firm,
        "resource_id": resource,
        "direction": direction,
        "quantity": quantity,
        **extra,
    }


# Yearly probability that a partner leaves (defection-aware design): the coal-fired power
# station is the likeliest to close or convert (Asnæs's coal unit was indeed retired); 2 % else.
DEFECTION_PROBABILITY = {"ASNAES": 0.2}


def kalundborg_tables() -> Tables:
    """A Kalundborg-like park: quantities per year, money in EUR (assumptions in the README)."""
    # fmt: off
    firms = [
        ("ASNAES", "Asnæs power station", "energy", "K_ASNAES"),
        ("REFINERY", "Oil refinery (Statoil, now Equinor)", "refining", "K_REFINERY"),
        ("GYPROC", "Plasterboard plant (Gyproc)", "construction materials", "K_GYPROC"),
        ("NOVO", "Pharmaceutical and enzyme plant (Novo Nordisk / Novozymes)", "biotech",
         "K_NOVO"),
        ("MUNI_DH", "Kalundborg district heating (municipality)", "utility", "K_TOWN"),
        ("MUNI_WWTP", "Kalundborg wastewater treatment plant (municipality)", "utility",
         "K_WWTP"),
        ("FISHFARM", "Fish farm", "aquaculture", "K_FISHFARM"),
        ("FARMS", "Farms around Kalundborg", "agriculture", "K_FARMS"),
        ("CEMENT", "Cement works (assumed, at Køge harbour)", "construction materials",
         "K_CEMENT"),
    ]
    # Where they are (WGS84 lat, lon; sources and precision in instances/README.md): the
    # power station as published by Global Energy Monitor, the town at its centre, the other
    # plants at their sites around the inner fjord to about a kilometre; farms and the cement
    # works are representative points.
    sites = [
        ("K_ASNAES", 55.6615, 11.0809),  # Asnæs power station, on the Asnæs peninsula
        ("K_FISHFARM", 55.6580, 11.0760),  # by the power station's cooling-water outlet
        ("K_REFINERY", 55.6700, 11.1000),  # at the head of Kalundborg Fjord
        ("K_GYPROC", 55.6760, 11.1090),  # on the harbour east of the town
        ("K_TOWN", 55.6814, 11.0850),  # Kalundborg's centre: the district heating network
        ("K_WWTP", 55.6650, 11.1150),  # between the refinery and the Novo site
        ("K_NOVO", 55.6630, 11.1330),  # Hallas Allé, south-east of the town
        ("K_FARMS", 55.5400, 11.2300),  # farmland around Gørlev, 15 km inland
        ("K_CEMENT", 55.4560, 12.1930),  # assumed: Køge harbour, 74 km east
    ]
    # id, name, unit, virgin_price, disposal_cost, virgin_weight, virgin_co2e, disposal_co2e
    resources = [
        ("steam", "Process steam", "MWh", 38.0, 0.0, 0.085, 230.0, 0.0),
        ("heat", "District heat (hot water)", "MWh", 42.0, 0.0, 0.085, 250.0, 0.0),
        ("refinery_heat", "Refinery surplus heat (needs a heat pump)", "MWh", None, 0.0, 0.0,
         0.0, 0.0),
        ("water", "Fresh surface water (Lake Tissø)", "m3", 0.9, 0.3, 1.0, 0.3, 0.0),
        ("treated_wastewater", "Treated municipal/industrial wastewater", "m3", None, 0.05,
         0.0, 0.0, 0.0),
        ("warm_seawater", "Warm cooling seawater", "m3", 0.12, 0.0, 0.0, 1.0, 0.0),
        ("refinery_gas", "Refinery fuel gas (flared if unused)", "MWh", None, 5.0, 0.0, 0.0,
         200.0),
        ("natural_gas", "Natural gas", "MWh", 32.0, 0.0, 0.076, 20.0, 0.0),
        ("fgd_gypsum", "FGD gypsum (flue-gas desulphurisation)", "t", None, 20.0, 0.0, 0.0,
         5.0),
        ("gypsum", "Mined natural gypsum (imported)", "t", 28.0, 0.0, 1.0, 30.0, 0.0),
        ("fly_ash", "Coal fly ash", "t", None, 45.0, 0.0, 0.0, 10.0),
        ("clinker", "Portland clinker (the share replaceable by fly ash)", "t", 50.0, 0.0, 1.5,
         830.0, 0.0),
        ("biomass_sludge", "Fermentation biomass sludge (NovoGro)", "t", None, 12.0, 0.0, 0.0,
         20.0),
        ("sewage_sludge", "Sewage sludge", "t", None, 30.0, 0.0, 0.0, 50.0),
        ("fertiliser", "Mineral fertiliser (NPK product)", "t", 450.0, 0.0, 1.0, 1800.0, 0.0),
    ]
    flows = [
        # Asnæs: steam, district heat, warm seawater, FGD gypsum, fly ash; takes water and gas
        _flow("ASNAES", "steam", "supply", 300_000, price=-12.0),
        _flow("ASNAES", "heat", "supply", 400_000, price=-6.0),
        _flow("ASNAES", "warm_seawater", "supply", 40_000_000),
        _flow("ASNAES", "fgd_gypsum", "supply", 170_000),
        _flow("ASNAES", "fly_ash", "supply", 150_000),
        _flow("ASNAES", "water", "demand", 1_200_000, chloride=150.0),
        _flow("ASNAES", "natural_gas", "demand", 60_000),
        # refinery: used cooling water, fuel gas, surplus heat; takes steam and water
        _flow("REFINERY", "water", "supply", 700_000, chloride=60.0),
        _flow("REFINERY", "refinery_gas", "supply", 120_000),
        _flow("REFINERY", "refinery_heat", "supply", 80_000),
        _flow("REFINERY", "steam", "demand", 100_000),
        _flow("REFINERY", "water", "demand", 1_800_000, chloride=100.0),
        # plasterboard
        _flow("GYPROC", "gypsum", "demand", 180_000),
        _flow("GYPROC", "natural_gas", "demand", 90_000),
        _flow("GYPROC", "water", "demand", 100_000, chloride=250.0),
        # pharma / enzymes
        _flow("NOVO", "steam", "demand", 160_000),
        _flow("NOVO", "water", "demand", 2_000_000, chloride=40.0),
        _flow("NOVO", "biomass_sludge", "supply", 150_000),
        # municipality
        _flow("MUNI_DH", "heat", "demand", 250_000),
        _flow("MUNI_WWTP", "treated_wastewater", "supply", 3_000_000, chloride=450.0),
        _flow("MUNI_WWTP", "sewage_sludge", "supply", 20_000),
        # fish farm, farms, cement works
        _flow("FISHFARM", "warm_seawater", "demand", 1_100_000),
        _flow("FARMS", "fertiliser", "demand", 4_000),
        _flow("CEMENT", "clinker", "demand", 200_000),
        _flow("CEMENT", "gypsum", "demand", 12_000),
    ]
    substitutions = [
        # from, to, ratio, treatment_cost, treatment_co2e
        ("fgd_gypsum", "gypsum", 0.9, 2.0, 3.0),  # 10 % moisture, drying
        ("fly_ash", "clinker", 1.0, 4.0, 5.0),  # classifying; blended cement
        ("biomass_sludge", "fertiliser", 0.025, 1.5, 2.0),  # t NPK-equivalent per t wet sludge
        ("sewage_sludge", "fertiliser", 0.02, 6.0, 5.0),  # hygienisation, liming
        ("treated_wastewater", "water", 0.95, 0.30, 0.1),  # sand filter + UV, 5 % reject
        ("refinery_gas", "natural_gas", 1.0, 1.5, 0.0),  # sweetening, compression
        ("refinery_heat", "heat", 1.0, 14.0, 0.0),  # heat pump electricity
    ]
    transport = [
        {"mode": "steam_pipe", "resources": "steam", "capex_per_km": 1_200_000,
         "lifetime_years": 30, "opex_fixed": 40_000, "loss_per_km": 0.008,
         "detour_factor": 1.2},
        {"mode": "heat_pipe", "resources": "heat,refinery_heat", "capex_per_km": 900_000,
         "lifetime_years": 30, "opex_fixed": 30_000, "loss_per_km": 0.004,
         "detour_factor": 1.2},
        {"mode": "water_pipe", "resources": "water,treated_wastewater",
         "capex_per_km": 300_000, "lifetime_years": 40, "opex_fixed": 10_000,
         "cost_per_unit_km": 0.005, "co2e_per_unit_km": 0.002, "detour_factor": 1.2},
        {"mode": "seawater_channel", "resources": "warm_seawater", "capex_per_km": 400_000,
         "lifetime_years": 25, "opex_fixed": 5_000, "cost_per_unit_km": 0.002,
         "max_distance_km": 3.0},
        {"mode": "gas_pipe", "resources": "refinery_gas", "capex_per_km": 400_000,
         "lifetime_years": 30, "opex_fixed": 15_000, "detour_factor": 1.2},
        {"mode": "truck", "resources": "fgd_gypsum,fly_ash,biomass_sludge,sewage_sludge",
         "capex_fixed": 50_000, "lifetime_years": 10, "opex_fixed": 15_000,
         "cost_per_unit_km": 0.12, "max_distance_km": 120.0, "co2e_per_unit_km": 0.09,
         "detour_factor": 1.3},
    ]
    columns = ("resource_id", "name", "unit", "virgin_price", "disposal_cost", "virgin_weight",
               "virgin_co2e", "disposal_co2e")
    resource_rows = [dict(zip(columns, r)) for r in resources]
    for r in resource_rows:
        r["chloride"] = 30.0 if r["resource_id"] == "water" else None
    return {
        "firms": [{"firm_id": f, "name": n, "sector": s, "status": "existing", "site": site,
                   "defection_probability": DEFECTION_PROBABILITY.get(f, 0.02)}
                  for f, n, s, site in firms],
        "sites": [{"site_id": s, "lat": lat, "lon": lon, "kind": "fixed"}
                  for s, lat, lon in sites],
        "resources": resource_rows,
        "properties": [{"property": "chloride", "unit": "mg/l"}],
        "flows": _columns(flows, ("firm_id", "resource_id", "direction", "quantity", "price",
                                  "chloride")),
        "substitutions": [
            dict(zip(("from_resource", "to_resource", "ratio", "treatment_cost",
                      "treatment_co2e"), s))
            for s in substitutions
        ],
        "transport": _columns(transport, TRANSPORT_COLUMNS),
        "settings": {"objective": "cost", "currency": "EUR", "discount_rate": 0.08,
                     "lifetime_years": 20, "time_limit_s": 60, "mip_gap": 1e-6},
    }


# --- kalundborg_seasonal: the same park over winter, shoulder and summer -------------------

# The heating season by month (1 = January): winter November–March, shoulder April–May and
# September–October, summer June–August (instances/README.md, with the degree days).
SEASON_MONTHS = {"winter": (11, 12, 1, 2, 3), "shoulder": (4, 5, 9, 10), "summer": (6, 7, 8)}
# Share of the town's yearly district-heating demand that does not depend on the weather
# (domestic hot water, the network's heat loss): spread by hours; the rest by degree days.
DH_WEATHER_INDEPENDENT = 0.30
# The fish farm's warm seawater, summer-weighted: feeding, growth and oxygen demand rise with
# the water temperature (an assumption; instances/README.md).
FISHFARM_SHARES = {"winter": 0.25, "shoulder": 0.35, "summer": 0.40}
# Pre-insulated district-heating pipes: cost per metre = 567 EUR + 18.377 EUR per MW of the
# pipe's capacity (linear fit over DN 20–400 at 90/55 °C, 250 Pa/m: Lambert et al. 2024,
# topotherm). Per km: 567 000 EUR + 18 377 EUR/MW; 1 MW at a constant rate = 8 760 MWh/yr.
HEAT_PIPE_CAPEX_PER_KM = 567_000.0
HEAT_PIPE_CAPEX_PER_MW_KM = 18_377.0
# Steam pipes cost 4/3 of a hot-water pipe of the same capacity, the ratio of the yearly
# instance's steam and heat pipes (1.2 and 0.9 M EUR/km): an assumption, not a published fit.
STEAM_PIPE_FACTOR = 4.0 / 3.0
SIZED_TRANSPORT_COLUMNS = (*TRANSPORT_COLUMNS, "capex_per_capacity", "capex_per_capacity_km")


def season_hours() -> dict[str, float]:
    """Hours of each season: the hours of its months (8 760 h in all)."""
    return {
        season: float(sum(MONTH_HOURS[m - 1] for m in months))
        for season, months in SEASON_MONTHS.items()
    }


def district_heating_shares(weather_independent: float = DH_WEATHER_INDEPENDENT) -> dict:
    """Each season's share of the yearly district-heating demand: the weather-independent
    part by hours, the rest by the Danish normal year's heating degree days."""
    hours = season_hours()
    degree_days = {
        season: float(sum(DEGREE_DAYS[m - 1] for m in months))
        for season, months in SEASON_MONTHS.items()
    }
    total_hours, total_dd = sum(hours.values()), sum(degree_days.values())
    return _sum_to_one(
        {
            s: weather_independent * hours[s] / total_hours
            + (1 - weather_independent) * degree_days[s] / total_dd
            for s in SEASON_MONTHS
        }
    )


def _sum_to_one(shares: Mapping[str, float], digits: int = 4) -> dict[str, float]:
    """Shares rounded to ``digits``; the largest takes the rounding so that they add up to 1."""
    rounded = {k: round(v, digits) for k, v in shares.items()}
    largest = max(rounded, key=rounded.__getitem__)
    rounded[largest] = round(1.0 - sum(v for k, v in rounded.items() if k != largest), digits)
    return rounded


def _profile(firm: str, resource: str, direction: str, shares: Mapping[str, float]) -> list:
    return [
        {
            "firm_id": firm,
            "resource_id": resource,
            "direction": direction,
            "period_id": t,
            "share": share,
        }
        for t, share in shares.items()
    ]


def kalundborg_seasonal_tables() -> Tables:
    """Kalundborg (:func:`kalundborg_tables`: same firms, sites, resources and flows) operated
    over winter, shoulder and summer, with steam and heat pipes sized for what they carry.

    District heating is winter-weighted, the fish farm's warm seawater summer-weighted; every
    other stream (process steam, the power station's heat, water, gases, solids) runs at a
    constant rate. The heat and steam pipes' capex is split into a part per km and a part per
    unit of capacity per km (instances/README.md says where the numbers come from).
    """
    tables = kalundborg_tables()
    per_capacity_km = HEAT_PIPE_CAPEX_PER_MW_KM / HOURS_PER_YEAR  # EUR per (MWh/yr)·km
    sized = {
        "heat_pipe": (HEAT_PIPE_CAPEX_PER_KM, per_capacity_km),
        "steam_pipe": (
            HEAT_PIPE_CAPEX_PER_KM * STEAM_PIPE_FACTOR,
            per_capacity_km * STEAM_PIPE_FACTOR,
        ),
    }
    transport = []
    for row in tables["transport"]:
        row = dict(row)
        if row["mode"] in sized:
            per_km, per_capacity = sized[row["mode"]]
            row["capex_per_km"] = round(per_km, -3)
            row["capex_per_capacity_km"] = round(per_capacity, 2)
        transport.append(row)
    tables["transport"] = _columns(transport, SIZED_TRANSPORT_COLUMNS)
    tables["periods"] = [{"period_id": t, "hours": h} for t, h in season_hours().items()]
    tables["profiles"] = [
        *_profile("MUNI_DH", "heat", "demand", district_heating_shares()),
        *_profile("FISHFARM", "warm_seawater", "demand", FISHFARM_SHARES),
    ]
    return tables


# --- siting_options: where to put the firms that could come -------------------------------

STEAM_CAPEX_PER_KM = 1_500_000.0
SITING_CRS = "EPSG:25832"  # ETRS89 / UTM zone 32N
SITING_ORIGIN_KM = (640.0, 6168.0)  # the CHP plant, 10 km east of Kalundborg
SITING_ADMISSION_COSTS = {
    "BIOREFINERY": -150_000.0,  # net benefit: lease income and jobs
    "GREENHOUSE": 300_000.0,  # start-up incentive paid by the park
    "RECYCLER": 250_000.0,  # permit and yard preparation
    "DATACENTRE": 600_000.0,  # grid connection subsidy
}


def siting_tables(
    steam_capex_per_km: float = STEAM_CAPEX_PER_KM,
    admission_costs: Mapping[str, float] | None = None,
) -> Tables:
    """An existing park (CHP plant, brewery, paper mill, concrete plant), four candidate
    firms with a blank site and five free plots.

    ``steam_capex_per_km`` (EUR/km) and ``admission_costs`` (EUR/yr per candidate, merged
    over :data:`SITING_ADMISSION_COSTS`) are the knobs a planner turns in a what-if.
    """
    # fmt: off
    admission = {**SITING_ADMISSION_COSTS, **(admission_costs or {})}
    firms = [
        {"firm_id": "CHP", "name": "Combined heat and power plant", "sector": "energy",
         "status": "existing", "site": "E_CHP"},
        {"firm_id": "BREWERY", "name": "Brewery", "sector": "food and drink",
         "status": "existing", "site": "E_BREWERY"},
        {"firm_id": "PAPER", "name": "Paper mill", "sector": "pulp and paper",
         "status": "existing", "site": "E_PAPER"},
        {"firm_id": "CONCRETE", "name": "Ready-mix concrete plant",
         "sector": "construction materials", "status": "existing", "site": "E_CONCRETE"},
        {"firm_id": "BIOREFINERY", "name": "Biorefinery (spent grain to chemicals)",
         "sector": "biotech", "status": "candidate"},
        {"firm_id": "GREENHOUSE", "name": "Greenhouse (waste heat and CO2)",
         "sector": "horticulture", "status": "candidate"},
        {"firm_id": "RECYCLER", "name": "Construction-materials recycler",
         "sector": "construction materials", "status": "candidate",
         "allowed_sites": "P_SOUTH,P_RING,P_FAR"},
        {"firm_id": "DATACENTRE", "name": "Data centre (surplus heat)", "sector": "ICT",
         "status": "candidate"},
    ]
    for f in firms:
        f["admission_cost"] = admission.get(f["firm_id"], 0.0)
    sites = [
        # site_id, x_km, y_km (from the CHP plant), kind, capacity, site_cost (EUR/yr)
        ("E_CHP", 0.0, 0.0, "fixed", None, 0.0),
        ("E_BREWERY", 1.5, 0.5, "fixed", None, 0.0),
        ("E_PAPER", -1.0, 2.0, "fixed", None, 0.0),
        ("E_CONCRETE", 2.5, -1.5, "fixed", None, 0.0),
        ("P_NEAR", 0.6, 0.6, "plot", 1, 120_000.0),  # next to the CHP plant, serviced
        ("P_EAST", 3.0, 1.0, "plot", 1, 60_000.0),
        ("P_SOUTH", 1.0, -3.0, "plot", 1, 40_000.0),
        ("P_RING", 8.0, 0.0, "plot", 2, 15_000.0),  # ring-road business park
        ("P_FAR", 20.0, 5.0, "plot", 2, 5_000.0),  # greenfield, no services
    ]
    # On the map: the (made-up) park lies 10 km east of Kalundborg, its x/y in km of
    # ETRS89 / UTM zone 32N (settings.crs); distances are those of the plane.
    sites = [(s, SITING_ORIGIN_KM[0] + x, SITING_ORIGIN_KM[1] + y, *rest)
             for s, x, y, *rest in sites]
    # id, name, unit, virgin_price, disposal_cost, virgin_weight, virgin_co2e, disposal_co2e
    resources = [
        ("steam", "Process steam", "MWh", 38.0, 0.0, 0.085, 230.0, 0.0),
        ("heat", "Low-temperature heat", "MWh", 45.0, 0.0, 0.085, 250.0, 0.0),
        ("co2", "Carbon dioxide", "t", 80.0, 0.0, 0.0, 300.0, 1000.0),
        ("spent_grain", "Brewer's spent grain", "t", 40.0, 5.0, 1.0, 50.0, 30.0),
        ("bottom_ash", "Bottom ash", "t", None, 50.0, 0.0, 0.0, 10.0),
        ("paper_sludge", "Paper sludge", "t", None, 40.0, 0.0, 0.0, 60.0),
        ("mineral_feed", "Mineral feedstock (crushed C&D waste)", "t", 6.0, 0.0, 1.0, 5.0,
         0.0),
        ("recycled_aggregate", "Recycled aggregate", "t", None, -8.0, 0.0, 0.0, 0.0),
        ("aggregate", "Virgin aggregate (quarried)", "t", 15.0, 0.0, 1.0, 8.0, 0.0),
    ]
    flows = [
        _flow("CHP", "steam", "supply", 120_000, price=-15.0),
        _flow("CHP", "heat", "supply", 150_000, price=-4.0),
        _flow("CHP", "co2", "supply", 40_000),
        _flow("CHP", "bottom_ash", "supply", 30_000),
        _flow("BREWERY", "spent_grain", "supply", 25_000),
        _flow("BREWERY", "steam", "demand", 30_000),
        _flow("BREWERY", "heat", "demand", 10_000),
        _flow("PAPER", "steam", "demand", 60_000),
        _flow("PAPER", "paper_sludge", "supply", 15_000),
        _flow("CONCRETE", "aggregate", "demand", 100_000),
        _flow("BIOREFINERY", "steam", "demand", 40_000),
        _flow("BIOREFINERY", "spent_grain", "demand", 25_000),
        _flow("GREENHOUSE", "heat", "demand", 50_000),
        _flow("GREENHOUSE", "co2", "demand", 10_000),
        _flow("RECYCLER", "mineral_feed", "demand", 60_000),
        _flow("RECYCLER", "recycled_aggregate", "supply", 50_000),
        _flow("DATACENTRE", "heat", "supply", 40_000),
    ]
    substitutions = [
        ("bottom_ash", "mineral_feed", 1.0, 3.0, 1.0),  # metal separation, screening
        ("paper_sludge", "mineral_feed", 0.5, 5.0, 2.0),  # ash-rich fraction only
        ("recycled_aggregate", "aggregate", 1.0, 0.0, 0.0),
    ]
    transport = [
        {"mode": "steam_pipe", "resources": "steam", "capex_per_km": steam_capex_per_km,
         "lifetime_years": 30, "opex_fixed": 20_000, "loss_per_km": 0.01,
         "detour_factor": 1.2},
        {"mode": "heat_pipe", "resources": "heat", "capex_per_km": 800_000,
         "lifetime_years": 30, "opex_fixed": 15_000, "loss_per_km": 0.005,
         "detour_factor": 1.2},
        {"mode": "co2_pipe", "resources": "co2", "capex_per_km": 300_000,
         "lifetime_years": 25, "opex_fixed": 10_000, "co2e_per_unit_km": 0.05,
         "detour_factor": 1.2},
        {"mode": "truck", "resources": "spent_grain,bottom_ash,paper_sludge,recycled_aggregate",
         "capex_fixed": 20_000, "lifetime_years": 10, "opex_fixed": 10_000,
         "cost_per_unit_km": 0.10, "max_distance_km": 50.0, "co2e_per_unit_km": 0.09,
         "detour_factor": 1.3},
    ]
    columns = ("resource_id", "name", "unit", "virgin_price", "disposal_cost", "virgin_weight",
               "virgin_co2e", "disposal_co2e")
    return {
        "firms": _columns(firms, ("firm_id", "name", "sector", "status", "site",
                                  "allowed_sites", "admission_cost")),
        "sites": [dict(zip(("site_id", "x_km", "y_km", "kind", "capacity", "site_cost"), s))
                  for s in sites],
        "resources": [dict(zip(columns, r)) for r in resources],
        "flows": _columns(flows, ("firm_id", "resource_id", "direction", "quantity", "price")),
        "substitutions": [
            dict(zip(("from_resource", "to_resource", "ratio", "treatment_cost",
                      "treatment_co2e"), s))
            for s in substitutions
        ],
        "transport": _columns(transport, TRANSPORT_COLUMNS),
        "settings": {"objective": "cost", "currency": "EUR", "discount_rate": 0.08,
                     "lifetime_years": 20, "time_limit_s": 60, "mip_gap": 1e-6,
                     "crs": SITING_CRS},
    }


# --- hub_options: two shared hubs the Kalundborg park could build --------------------------

# Free plots for the hubs (WGS84 lat, lon; capacity 1 each) and their yearly lease (EUR/yr):
# serviced industrial land by the plants, farmland inland (assumptions, instances/README.md).
HUB_PLOTS = (
    ("P_ASNAES", 55.6570, 11.0880, 60_000.0),  # beside the power station (Kalundborg Bioenergy's)
    ("P_NOVO", 55.6600, 11.1450, 90_000.0),  # beside Novo's site, on the road to the farms
    ("P_HARBOUR", 55.6720, 11.1050, 120_000.0),  # harbour area by the refinery and Gyproc
    ("P_FARMS", 55.5450, 11.2250, 15_000.0),  # farmland by Gørlev, next to the farms
)
# Biogas: Kalundborg Bioenergy digests about 300 000 t of Novo Nordisk's and Novozymes'
# biomass a year into about 8 million Nm3 of bio natural gas (2017 press release):
# 26.7 Nm3 CH4 per t × 9.97 kWh/Nm3 (LHV) = 0.266 MWh per t; upgrading keeps 98 %.
SLUDGE_BIOGAS_MWH_PER_T = 0.266 / 0.98
# Brewers' spent grain: 0.064 Nm3 CH4 per kg wet (co-digestion trials, Penn State) = 0.64 MWh/t.
GRAIN_BIOGAS_MWH_PER_T = 0.064 * 9.97
# Biomethane injected into the gas grid earns the natural gas price (32 EUR/MWh, as bought in
# the park) less 2 EUR/MWh for injection, plus the Danish premium for upgraded biogas:
# DKK 13 bn for 7.9 PJ a year over 20 years = 82.3 DKK/GJ = 39.7 EUR/MWh at 7.46 DKK/EUR.
BIOMETHANE_PREMIUM = 13e9 / (7.9e6 * 20) * 3.6 / 7.46
BIOMETHANE_GRID_PRICE = 32.0 - 2.0


def hub_options_tables(biomethane_premium: float = BIOMETHANE_PREMIUM) -> Tables:
    """:func:`kalundborg_tables` with a brewery, four free plots and two candidate hubs
    with a blank site: a biogas plant (digests Novo's biomass sludge and the brewery's spent
    grain, upgrades the biogas to biomethane for the gas grid, digestate to the farms) and a
    shared water regeneration unit (reverse osmosis on the town's treated wastewater,
    process water at 10 mg/l chloride). Numbers and sources: instances/README.md.

    ``biomethane_premium`` (EUR/MWh on top of the grid price) is the knob of a what-if.
    """
    # fmt: off
    tables = kalundborg_tables()
    hubs = ",".join(p for p, *_ in HUB_PLOTS)
    tables["firms"] = [
        *tables["firms"],
        {"firm_id": "BREWERY", "name": "Brewery (assumed, harbour area)",
         "sector": "food and drink", "status": "existing", "site": "K_BREWERY",
         "defection_probability": 0.02},
        {"firm_id": "BIOGAS", "name": "Shared biogas plant (digestion and upgrading)",
         "sector": "energy", "status": "candidate", "allowed_sites": hubs},
        {"firm_id": "WATERHUB", "name": "Shared water regeneration unit (reverse osmosis)",
         "sector": "utility", "status": "candidate", "allowed_sites": hubs},
    ]
    tables["sites"] = [
        *tables["sites"],
        {"site_id": "K_BREWERY", "lat": 55.6790, "lon": 11.0990, "kind": "fixed"},
        *({"site_id": p, "lat": lat, "lon": lon, "kind": "plot", "capacity": 1,
           "site_cost": cost} for p, lat, lon, cost in HUB_PLOTS),
    ]
    # id, name, unit, virgin_price, disposal_cost, virgin_weight, virgin_co2e, disposal_co2e
    resources = [
        # sold as cattle feed (negative disposal cost = income), 25 EUR/t
        ("spent_grain", "Brewers' spent grain (wet)", "t", None, -25.0, 0.0, 0.0, 0.0),
        ("biogas", "Raw biogas (methane content)", "MWh", None, 2.0, 0.0, 0.0, 0.0),
        # sold into the gas grid (negative disposal cost = income)
        ("biomethane", "Upgraded biogas, injected into the gas grid", "MWh", None,
         -(BIOMETHANE_GRID_PRICE + biomethane_premium), 0.0, 0.0, 0.0),
        ("digestate", "Digestate (wet)", "t", None, 12.0, 0.0, 0.0, 20.0),
        ("brine", "Reverse-osmosis reject (to the outfall)", "m3", None, 0.05, 0.0, 0.0, 0.0),
    ]
    columns = ("resource_id", "name", "unit", "virgin_price", "disposal_cost", "virgin_weight",
               "virgin_co2e", "disposal_co2e")
    tables["resources"] = [*tables["resources"],
                           *({**dict(zip(columns, r)), "chloride": None} for r in resources)]
    tables["flows"] = _columns(
        [*tables["flows"], _flow("BREWERY", "spent_grain", "supply", 20_000)],
        ("firm_id", "resource_id", "direction", "quantity", "price", "chloride"),
    )
    tables["substitutions"] = [
        *tables["substitutions"],
        # the sludge's nutrients, in 0.95 t of digestate per t of sludge
        {"from_resource": "digestate", "to_resource": "fertiliser", "ratio": 0.025 / 0.95,
         "treatment_cost": 1.5, "treatment_co2e": 2.0},
    ]
    transport = []
    for row in tables["transport"]:
        row = dict(row)
        if row["mode"] == "truck":
            row["resources"] += ",spent_grain,digestate"
        transport.append(row)
    tables["transport"] = transport
    # Digesters: about 60 EUR per t/yr of capacity and 6 EUR/t to run (Monnet 2003, GBP 5 M and
    # GBP 0.53 M/yr for 200 000 t/yr, in today's EUR). Upgrading: 16 EUR/MWh all in (0.16 EUR
    # per Nm3 of methane, Danish plants) and 1 M EUR for the grid connection. Reverse osmosis
    # (ultrafiltration + RO): 1 M EUR + 2 EUR per m3/yr of capacity, 0.35 EUR/m3 to run, 80 %
    # recovery (assumptions). Sources and reasoning: instances/README.md.
    tables["processes"] = [
        {"process_id": "digest_sludge", "firm_id": "BIOGAS", "max_throughput": 300_000,
         "capex_per_capacity": 60.0, "lifetime_years": 20, "cost_per_unit": 6.0},
        {"process_id": "digest_grain", "firm_id": "BIOGAS", "max_throughput": 50_000,
         "capex_per_capacity": 60.0, "lifetime_years": 20, "cost_per_unit": 6.0},
        {"process_id": "upgrading", "firm_id": "BIOGAS", "max_throughput": 150_000,
         "capex_fixed": 1_000_000, "lifetime_years": 20, "cost_per_unit": 16.0},
        {"process_id": "reverse_osmosis", "firm_id": "WATERHUB", "max_throughput": 3_000_000,
         "capex_fixed": 1_000_000, "capex_per_capacity": 2.0, "lifetime_years": 20,
         "cost_per_unit": 0.35},
    ]
    io = [
        # process, resource, direction, ratio, chloride
        ("digest_sludge", "biomass_sludge", "input", 1.0, None),
        ("digest_sludge", "biogas", "output", SLUDGE_BIOGAS_MWH_PER_T, None),
        ("digest_sludge", "digestate", "output", 0.95, None),
        ("digest_grain", "spent_grain", "input", 1.0, None),
        ("digest_grain", "biogas", "output", GRAIN_BIOGAS_MWH_PER_T, None),
        ("digest_grain", "digestate", "output", 0.85, None),  # grain loses more mass as gas
        ("upgrading", "biogas", "input", 1.0, None),
        ("upgrading", "biomethane", "output", 0.98, None),
        ("reverse_osmosis", "treated_wastewater", "input", 1.0, None),
        ("reverse_osmosis", "water", "output", 0.8, 10.0),
        ("reverse_osmosis", "brine", "output", 0.2, None),
    ]
    tables["process_io"] = [
        dict(zip(("process_id", "resource_id", "direction", "ratio", "chloride"), r))
        for r in io
    ]
    return tables


# --- writing -------------------------------------------------------------------------------


def build_two_firms(path: str | Path) -> Path:
    return write_workbook(path, two_firms_tables())


def build_water_pinch(path: str | Path) -> Path:
    return write_workbook(path, water_pinch_tables())


def build_water_hub(path: str | Path) -> Path:
    return write_workbook(path, water_hub_tables())


def build_hub_options(path: str | Path, biomethane_premium: float = BIOMETHANE_PREMIUM) -> Path:
    return write_workbook(path, hub_options_tables(biomethane_premium))


def build_kalundborg(path: str | Path) -> Path:
    return write_workbook(path, kalundborg_tables())


def build_kalundborg_seasonal(path: str | Path) -> Path:
    return write_workbook(path, kalundborg_seasonal_tables())


def build_siting(
    path: str | Path,
    steam_capex_per_km: float = STEAM_CAPEX_PER_KM,
    admission_costs: Mapping[str, float] | None = None,
) -> Path:
    return write_workbook(path, siting_tables(steam_capex_per_km, admission_costs))


INSTANCES: dict[str, Callable[[str | Path], Path]] = {
    "kalundborg": build_kalundborg,
    "kalundborg_seasonal": build_kalundborg_seasonal,
    "water_pinch": build_water_pinch,
    "two_firms": build_two_firms,
    "siting_options": build_siting,
    "water_hub": build_water_hub,
    "hub_options": build_hub_options,
}


def build_all(directory: str | Path = HERE) -> list[Path]:
    """Write every instance as ``<directory>/<name>.xlsx``."""
    return [build(Path(directory) / f"{name}.xlsx") for name, build in INSTANCES.items()]


if __name__ == "__main__":
    for written in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
