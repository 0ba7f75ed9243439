"""The shipped instances (``instances/*.xlsx``): they load, match ``instances/build.py``, and
solve to their expected optimum, with properties that must hold in any correct design.

Expected numbers of ``two_firms``, ``water_pinch`` and ``water_hub`` are worked out by hand
below; those of ``kalundborg``, ``kalundborg_seasonal``, ``siting_options`` and
``hub_options`` are the recorded optima, cross-checked by hand on single links and by the
identity objective = admission + site costs (+ processes' costs) − Σ link savings.
"""

from __future__ import annotations

import importlib.util
import math
from functools import cache
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.solution import Solution
from ecopark_opt.inputs.geo import site_positions
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from ecopark_opt.park import PARK_TABLES, Park, capital_recovery_factor

INSTANCES = Path(__file__).resolve().parent.parent / "instances"
NAMES = (
    "kalundborg",
    "kalundborg_seasonal",
    "water_pinch",
    "two_firms",
    "siting_options",
    "water_hub",
    "hub_options",
)
REL = 1e-6


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("instances_build", INSTANCES / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


@cache
def solved(name: str) -> Solution:
    """The committed workbook's optimum (solved once per test session)."""
    return optimize(load_park(INSTANCES / f"{name}.xlsx"), RunOptions())


def solve_tables(tmp_path: Path, tables: dict, name: str = "park.xlsx") -> Solution:
    return optimize(load_park(write_workbook(tmp_path / name, tables)), RunOptions())


def link(solution: Solution, supplier: str, receiver: str, resource: str) -> pd.Series:
    """The one candidate link from ``supplier`` to ``receiver`` carrying ``resource``."""
    links = solution.links
    hit = links[
        (links["supplier"] == supplier)
        & (links["receiver"] == receiver)
        & (links["from_resource"] == resource)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def built_pairs(solution: Solution) -> set[tuple[str, str, str]]:
    b = solution.built_links
    return set(zip(b["supplier"], b["receiver"], b["from_resource"]))


def savings_identity(solution: Solution) -> float:
    """Cost against baseline rebuilt from its parts: admission + site costs − Σ savings."""
    firms = solution.firms
    return (
        float(firms["admission_cost"].sum())
        + float(firms["site_cost"].sum())
        - float(solution.links["saving"].sum())
    )


# --- every instance -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_instance_loads_without_warnings(name):
    park = load_park(INSTANCES / f"{name}.xlsx")
    assert park.warnings == []
    assert park.settings.time_limit_s == 60
    assert park.settings.mip_gap == 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_committed_workbook_is_what_the_script_builds(name, tmp_path):
    committed = load_park(INSTANCES / f"{name}.xlsx")
    rebuilt = load_park(build.INSTANCES[name](tmp_path / f"{name}.xlsx"))
    assert_same_park(committed, rebuilt)


def assert_same_park(a: Park, b: Park) -> None:
    for table in PARK_TABLES:
        pd.testing.assert_frame_equal(
            getattr(a, table), getattr(b, table), check_exact=True, obj=table
        )
    assert a.settings == b.settings
    assert a.warnings == b.warnings


def test_build_all_writes_every_instance(tmp_path):
    written = build.build_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.xlsx" for n in NAMES)


# --- two_firms: by hand --------------------------------------------------------------------


def test_two_firms_hand_computed():
    # Distance S_CHP (0,0) → S_GH (3,4) = 5 km. Pipe: capex 10 000/km, 20 years at a 0 %
    # discount rate → 10 000 × 5 / 20 = 2 500/yr; + opex 500 → fixed 3 000/yr.
    # Variable 0.1 × 5 = 0.5 per unit sent; loss 0.02 × 5 = 10 % → delivered factor η = 0.9.
    # Heat: sent ≤ min(1 000, 600 / 0.9 = 666.67). Net saving per unit sent =
    #   0.9 × 40 (heat not bought) + 2 (heat not discharged) − 0.5 = 37.5
    #   → 666.67 × 37.5 − 3 000 = 25 000 − 3 000 = 22 000 > 0: built, full.
    # CO2: sent ≤ min(200, 60 / 0.9 = 66.67). Per unit sent 0.9 × 50 + 0 − 0.5 = 44.5
    #   → 66.67 × 44.5 − 3 000 = 2 966.67 − 3 000 = −33.33 < 0: not built.
    # Baseline: 600 × 40 + 1 000 × 2 + 60 × 50 + 200 × 0 = 29 000.
    # Design:   3 000 + 666.67 × 0.5 + (1 000 − 666.67) × 2 + 60 × 50 = 7 000.
    # Objective 7 000 − 29 000 = −22 000. Virgin 660 → 60 (the CO2). CO2e: baseline
    # 600 × 200 = 120 000 kg; design 666.67 × 0.01 × 5 = 33.33 kg of pumping.
    s = solved("two_firms")
    assert s.status == "optimal"
    assert s.objective_value == pytest.approx(-22_000, rel=REL)
    assert s.metrics["cost"]["baseline"] == pytest.approx(29_000, rel=REL)
    assert s.metrics["cost"]["design"] == pytest.approx(7_000, rel=REL)
    assert s.metrics["virgin"]["design"] == pytest.approx(60, rel=REL)
    assert s.metrics["virgin"]["baseline"] == pytest.approx(660, rel=REL)
    assert s.metrics["co2e"]["baseline"] == pytest.approx(120_000, rel=REL)
    assert s.metrics["co2e"]["design"] == pytest.approx(100 / 3, rel=REL)
    heat = link(s, "CHP", "GREENHOUSE", "heat")
    assert heat["build"] == 1
    assert heat["distance_km"] == pytest.approx(5.0)
    assert heat["sent"] == pytest.approx(2000 / 3, rel=REL)
    assert heat["delivered"] == pytest.approx(600, rel=REL)
    assert heat["saving"] == pytest.approx(22_000, rel=REL)
    assert link(s, "CHP", "GREENHOUSE", "co2")["build"] == 0
    # the saving is split 50/50: each firm gains 11 000
    assert s.firms.loc["CHP", "gain"] == pytest.approx(11_000, rel=REL)
    assert s.firms.loc["GREENHOUSE", "gain"] == pytest.approx(11_000, rel=REL)


def test_two_firms_co2_link_pays_once_co2_is_dearer(tmp_path):
    # At 51/t the CO2 link saves 66.67 × (0.9 × 51 − 0.5) − 3 000 = 26.67 > 0: built too,
    # and the objective improves by exactly that: −22 000 − 26.67.
    tables = build.two_firms_tables()
    tables["resources"][1]["virgin_price"] = 51.0
    s = solve_tables(tmp_path, tables)
    assert link(s, "CHP", "GREENHOUSE", "co2")["build"] == 1
    assert s.objective_value == pytest.approx(-22_000 - 80 / 3, rel=REL)


# --- water_pinch: Wang & Smith (1994) -----------------------------------------------------


def test_water_pinch_minimum_fresh_water_is_90():
    # Sinks (t/h @ max ppm): 20 @ 0, 100 @ 50, 40 @ 50, 10 @ 400; sources: 20 @ 100,
    # 100 @ 100, 40 @ 800, 10 @ 800. Fresh water has 0 ppm.
    # Sink 1 (0 ppm) takes fresh water only: 20. Sink 2: fresh f + 100-ppm water w with
    # f + w = 100 and 100 w ≤ 50 × 100 → w ≤ 50, f = 50. Sink 3 likewise: w ≤ 20, f = 20.
    # Sink 4: 10 t/h of 100-ppm water gives 100 ppm ≤ 400, f = 0. The 100-ppm sources hold
    # 120 ≥ 50 + 20 + 10, and an 800-ppm source can only replace 100-ppm water (never fresh
    # water, whose place is set by the load limits), so fresh = 20 + 50 + 20 + 0 = 90 t/h,
    # the literature's target; wastewater = 170 − 80 = 90 t/h.
    s = solved("water_pinch")
    assert s.status == "optimal"
    assert abs(s.metrics["virgin"]["design"] - 90) <= 1e-6
    assert s.metrics["virgin"]["baseline"] == pytest.approx(170, rel=REL)
    assert s.objective_value == pytest.approx(-80, rel=REL)
    rows = s.rows
    assert rows.loc[rows["direction"] == "supply", "market"].sum() == pytest.approx(90, rel=REL)
    assert rows.at["OP1/water/demand", "market"] == pytest.approx(20, rel=REL)
    # operation 1's source (100 ppm) is not needed: cost-free pipes that carry nothing are
    # not reported as built links
    assert s.firms.at["OP1", "links_out"] == 0
    # every sink's delivered mix respects its limit
    links = s.links
    flows = s.park.flows
    for j in flows.index[flows["direction"] == "demand"]:
        into = links[links["demand_flow"] == j]
        load = (into["delivered"] * flows.loc[into["supply_flow"], "contaminant"].to_numpy()).sum()
        assert load <= flows.at[j, "contaminant"] * flows.at[j, "quantity"] + 1e-6


# --- water_hub: Wang & Smith (1994) with a 5 ppm regeneration unit ------------------------

REGENERATED = 1400 / 19  # t/h, the least regeneration at the least fresh water (by hand below)


def test_water_hub_minimum_fresh_water_is_20_with_the_least_regeneration():
    # Sinks (t/h @ max ppm): 20 @ 0, 100 @ 50, 40 @ 50, 10 @ 400; sources 20 and 100 @ 100,
    # 40 and 10 @ 800; the regenerator returns any water at 5 ppm. Sink 1 (0 ppm) can only
    # take fresh water: 20 t/h at least. The others need none: sink 2 takes x of 100-ppm
    # water and r = 100 − x regenerated, 100 x + 5 r ≤ 50 × 100 → x ≤ 4 500 / 95, r ≥ 100 −
    # 4 500 / 95 = 1 000 / 19; sink 3 likewise r ≥ 40 − 1 800 / 95 = 400 / 19; sink 4 takes
    # 100-ppm water (100 ≤ 400), r = 0. The 100-ppm sources (120 t/h) cover the 76.3 t/h this
    # uses. Least regeneration 1 400 / 19 = 73.68 t/h; fresh water 20 t/h, wastewater 20 t/h
    # (170 in = 170 out). The regeneration's cost (0.1 per t/h, less than fresh water's 1)
    # makes the tie-break pick the least regeneration among the 20 t/h designs.
    s = solved("water_hub")
    assert s.status == "optimal"
    assert abs(s.metrics["virgin"]["design"] - 20) <= 1e-6 * 20
    assert s.metrics["virgin"]["baseline"] == pytest.approx(170, rel=REL)
    assert s.objective_value == pytest.approx(-150, rel=REL)
    regenerator = s.processes.loc["regenerator"]
    assert regenerator["firm"] == "REGEN" and regenerator["built"]
    assert regenerator["throughput"] == pytest.approx(REGENERATED, rel=REL)
    rows = s.rows
    wastewater = rows.loc[rows["direction"] == "supply", "market"].sum()
    assert wastewater == pytest.approx(20, rel=REL)
    # the design cost is fresh water (1 per t/h) plus the regeneration (0.1 per t/h)
    assert s.metrics["cost"]["design"] == pytest.approx(20 + 0.1 * REGENERATED, rel=REL)


def test_water_hub_mixes_respect_every_limit():
    # regenerated water counts at the outlet quality (5 ppm), whatever went in; the
    # regenerator's input has no limit
    s = solved("water_hub")
    flows = s.park.flows
    assert flows.at["regenerator/water/output", "contaminant"] == 5.0
    assert pd.isna(flows.at["regenerator/water/input", "contaminant"])
    links = s.links
    sinks = flows.index[(flows["direction"] == "demand") & flows["process"].isna()]
    assert len(sinks) == 4
    for j in sinks:
        into = links[links["demand_flow"] == j]
        load = (into["delivered"] * flows.loc[into["supply_flow"], "contaminant"].to_numpy()).sum()
        assert load <= flows.at[j, "contaminant"] * flows.at[j, "quantity"] + 1e-6


def test_water_hub_without_the_regenerator_is_water_pinch_again(tmp_path):
    # the same source's problem without regeneration: the 90 t/h target of water_pinch
    s = solve_tables(tmp_path, build.water_hub_tables(regeneration=False))
    assert abs(s.metrics["virgin"]["design"] - 90) <= 1e-6 * 90
    assert s.processes.empty


# --- kalundborg ---------------------------------------------------------------------------

KALUNDBORG_OPTIMUM = -42_517_625.92148663  # EUR/yr against every firm operating alone


def test_kalundborg_optimum():
    s = solved("kalundborg")
    assert s.status == "optimal"
    assert s.objective_value == pytest.approx(KALUNDBORG_OPTIMUM, rel=REL)
    assert s.objective_value == pytest.approx(savings_identity(s), rel=1e-9)
    assert s.metrics["cost"]["design"] < s.metrics["cost"]["baseline"]
    assert s.metrics["virgin"]["design"] < s.metrics["virgin"]["baseline"]
    assert s.metrics["co2e"]["design"] < s.metrics["co2e"]["baseline"]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean Earth sphere (radius 6 371.0088 km, IUGG)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_kalundborg_sites_are_on_real_coordinates():
    # lat/lon (WGS84): the power station on the Asnæs peninsula south of the town, the
    # other partners within 5 km of it, the farms inland and the cement works to the east
    park = load_park(INSTANCES / "kalundborg.xlsx")
    sites = park.sites
    assert sites["x_km"].isna().all() and sites["lat"].notna().all()
    asnaes = sites.loc["K_ASNAES"]
    assert (asnaes["lat"], asnaes["lon"]) == (55.6615, 11.0809)
    town = sites.loc["K_TOWN"]
    assert town["lat"] > asnaes["lat"]  # the town lies north of the power station
    near = ["K_FISHFARM", "K_REFINERY", "K_GYPROC", "K_TOWN", "K_WWTP", "K_NOVO"]
    for site in near:
        km = great_circle_km(asnaes["lat"], asnaes["lon"], *sites.loc[site, ["lat", "lon"]])
        assert 0.3 < km < 5, site


def test_kalundborg_fly_ash_link_by_hand():
    # Asnæs (55.6615° N, 11.0809° E) → cement works at Køge (55.4560° N, 12.1930° E):
    # 73.57 km great circle × detour 1.3 = 95.65 km, within the trucks' 120 km. Per tonne:
    # 0.12 × 95.65 + 4 (classifying) = 15.48 EUR; per link 50 000 × crf(8 %, 10 y) + 15 000
    # = 22 451.47 EUR/yr. All 150 000 t go:
    # saving = 150 000 × (50 clinker + 45 landfill − 15.48) − 22 451.47 ≈ 11.91 M EUR/yr.
    s = solved("kalundborg")
    fly = link(s, "ASNAES", "CEMENT", "fly_ash")
    km = great_circle_km(55.6615, 11.0809, 55.4560, 12.1930) * 1.3
    assert km == pytest.approx(95.65, abs=0.01)
    fixed = 50_000 * capital_recovery_factor(0.08, 10) + 15_000
    assert fly["distance_km"] == pytest.approx(km)
    assert fly["sent"] == pytest.approx(150_000, rel=REL)
    assert fly["saving"] == pytest.approx(150_000 * (50 + 45 - 0.12 * km - 4) - fixed, rel=REL)


def test_kalundborg_design_follows_the_history():
    s = solved("kalundborg")
    pairs = built_pairs(s)
    # gypsum to the plasterboard maker, fly ash to the cement works, steam to the refinery
    # and to Novo, heat to the town, warm seawater to the fish farm, cooling water back
    assert ("ASNAES", "GYPROC", "fgd_gypsum") in pairs
    assert ("ASNAES", "CEMENT", "fly_ash") in pairs
    assert ("ASNAES", "NOVO", "steam") in pairs
    assert ("ASNAES", "REFINERY", "steam") in pairs
    assert ("ASNAES", "MUNI_DH", "heat") in pairs
    assert ("ASNAES", "FISHFARM", "warm_seawater") in pairs
    assert ("REFINERY", "ASNAES", "water") in pairs
    assert ("REFINERY", "GYPROC", "refinery_gas") in pairs
    assert ("NOVO", "FARMS", "biomass_sludge") in pairs
    # all FGD gypsum goes to Gyproc: 0.9 × 170 000 = 153 000 t of its 180 000 t
    gyproc = s.rows.loc["GYPROC/gypsum/demand"]
    assert gyproc["exchanged"] == pytest.approx(153_000, rel=REL)
    assert gyproc["market"] == pytest.approx(27_000, rel=REL)
    # the refinery's heat (dearer: heat pump) is a backup, not used while Asnæs is there
    assert ("REFINERY", "MUNI_DH", "refinery_heat") not in pairs


def test_kalundborg_power_station_is_the_hub():
    s = solved("kalundborg")
    b = s.built_links
    degree = pd.concat([b["supplier"], b["receiver"]]).value_counts()
    assert degree.idxmax() == "ASNAES"
    assert degree["ASNAES"] >= 8
    assert degree["ASNAES"] > 1.5 * degree.drop("ASNAES").max()
    # with the default 50/50 split every partner gains
    assert (s.firms["gain"] > 0).all()


def test_kalundborg_water_saving_and_chloride_limits():
    # Fresh water: 5.1 Mm³ bought standalone. Asnæs takes all 700 000 m³ of the refinery's
    # cooling water (60 mg/l); treated wastewater (450 mg/l) fills up to the 150 mg/l limit:
    # 700 000 × 60 + 450 d + 30 (500 000 − d) ≤ 150 × 1 200 000 → d ≤ 292 857 m³; the
    # refinery (limit 100): 450 d + 30 (1.8 M − d) ≤ 100 × 1.8 M → d ≤ 300 000 m³.
    # Saving 700 000 + 292 857 + 300 000 = 1.29 Mm³ (about the 1.2 Mm³ reported), −25 %.
    # NOVO (limit 40) could take only 10 × 2 M / 420 = 47 600 m³ of wastewater, worth about
    # 47 600 × 0.6 ≈ 29 000 EUR/yr, less than its pipe (≈ 55 000 EUR/yr): no link; GYPROC
    # (limit 250, 52 400 m³, pipe ≈ 90 000 EUR/yr) likewise.
    s = solved("kalundborg")
    water = s.rows[(s.rows["resource_id"] == "water") & (s.rows["direction"] == "demand")]
    bought = water["market"].sum()
    assert bought == pytest.approx(5_100_000 - 1_292_857.142857, rel=REL)
    flows = s.park.flows
    links = s.links
    for j in water.index:
        into = links[links["demand_flow"] == j]
        load = (into["delivered"] * flows.loc[into["supply_flow"], "chloride"].to_numpy()).sum()
        load += water.at[j, "market"] * 30.0
        assert load <= flows.at[j, "chloride"] * flows.at[j, "quantity"] * (1 + 1e-9)
    # the power station's mix is exactly at its 150 mg/l limit
    assert s.rows.at["ASNAES/water/demand", "exchanged"] == pytest.approx(
        700_000 + 123_000_000 / 420, rel=REL
    )


def test_kalundborg_backup_supplier_takes_over_when_the_power_station_leaves(tmp_path):
    # Without Asnæs the town's heat can only come from the refinery's heat pump:
    # 80 000 MWh × (42 × η − 14) − capex ≫ 0, so that backup link is built.
    tables = build.kalundborg_tables()
    tables["firms"] = [f for f in tables["firms"] if f["firm_id"] != "ASNAES"]
    tables["flows"] = [f for f in tables["flows"] if f["firm_id"] != "ASNAES"]
    s = solve_tables(tmp_path, tables)
    assert ("REFINERY", "MUNI_DH", "refinery_heat") in built_pairs(s)
    assert s.objective_value > KALUNDBORG_OPTIMUM  # losing the hub costs the park


# --- kalundborg_seasonal -------------------------------------------------------------------

KALUNDBORG_SEASONAL_OPTIMUM = -42_424_550.70  # EUR/yr, winter + shoulder + summer
HOURS = {"winter": 3624.0, "shoulder": 2928.0, "summer": 2208.0}  # 8 760 h


def test_kalundborg_seasonal_optimum():
    s = solved("kalundborg_seasonal")
    assert s.status == "optimal"
    assert s.objective_value == pytest.approx(KALUNDBORG_SEASONAL_OPTIMUM, rel=REL)
    assert s.objective_value == pytest.approx(savings_identity(s), rel=1e-9)
    # the same park saves less when the district-heating pipe must carry the winter peak
    assert KALUNDBORG_OPTIMUM < s.objective_value < 0
    assert built_pairs(s) == built_pairs(solved("kalundborg"))


def test_kalundborg_seasonal_periods_follow_the_danish_heating_season():
    park = load_park(INSTANCES / "kalundborg_seasonal.xlsx")
    assert park.period_hours.to_dict() == HOURS
    shares = park.shares()
    town = shares.loc["MUNI_DH/heat/demand"]
    # 30 % by hours, 70 % by degree days (2 192 / 738 / 107 of 3 037): winter-heavy
    assert town["winter"] == pytest.approx(0.3 * 3624 / 8760 + 0.7 * 2192 / 3037, abs=1e-4)
    assert town["winter"] > 0.6 and town["summer"] < 0.11
    fish = shares.loc["FISHFARM/warm_seawater/demand"]
    assert fish["summer"] / HOURS["summer"] > fish["winter"] / HOURS["winter"] * 2
    # process steam and the power station's heat run at a constant rate
    for row in ("ASNAES/steam/supply", "NOVO/steam/demand", "ASNAES/heat/supply"):
        assert shares.loc[row].to_dict() == pytest.approx({t: h / 8760 for t, h in HOURS.items()})


def test_kalundborg_seasonal_pipes_are_sized_for_what_they_carry():
    # District heat: the winter takes 62.93 % of the town's 250 000 MWh in 3 624 h; at
    # 0.4 %/km over 2.673 km (η = 0.98931) that is 159 025 MWh sent, 43.9 MW: the pipe is
    # sized for it, K = 159 025 × 8 760 / 3 624 = 384 399 MWh/yr, 1.52 × the yearly average.
    # Steam runs flat: each steam pipe's capacity is its yearly flow.
    s = solved("kalundborg_seasonal")
    heat = link(s, "ASNAES", "MUNI_DH", "heat")
    winter = s.sent_by_period.loc[heat.name, "winter"]
    eta = 1 - 0.004 * heat["distance_km"]
    assert winter == pytest.approx(250_000 * 0.6293 / eta, rel=REL)
    assert heat["capacity"] == pytest.approx(winter * 8760 / HOURS["winter"], rel=REL)
    assert heat["capacity"] == pytest.approx(384_399.2, rel=1e-6)
    assert heat["delivered"] == pytest.approx(250_000, rel=REL)  # no heat link shrinks
    for receiver in ("NOVO", "REFINERY"):
        steam = link(s, "ASNAES", receiver, "steam")
        assert steam["capacity"] == pytest.approx(steam["sent"], rel=REL)
    # the fish farm's channel follows its summer-weighted demand: 25 / 35 / 40 %
    sea = link(s, "ASNAES", "FISHFARM", "warm_seawater")
    assert s.sent_by_period.loc[sea.name].to_dict() == pytest.approx(
        {"winter": 275_000, "shoulder": 385_000, "summer": 440_000}, rel=REL
    )


def test_kalundborg_seasonal_heat_pipe_cost_by_hand():
    # heat_pipe: 567 000 EUR/km + 2.10 EUR per MWh/yr of capacity per km, 30 years at 8 %,
    # opex 30 000 EUR/yr: annual cost = crf × (567 000 + 2.10 K) × d + 30 000.
    s = solved("kalundborg_seasonal")
    heat = link(s, "ASNAES", "MUNI_DH", "heat")
    crf = capital_recovery_factor(0.08, 30)
    expected = crf * (567_000 + 2.10 * heat["capacity"]) * heat["distance_km"] + 30_000
    assert heat["annual_cost"] == pytest.approx(expected, rel=REL)


# --- siting_options -----------------------------------------------------------------------

SITING_OPTIMUM = -7_494_466.0708920285  # EUR/yr


def candidate_sites(solution: Solution) -> dict[str, str | None]:
    firms = solution.firms[solution.firms["status"] == "candidate"]
    return {
        f: (site if admitted else None)
        for f, site, admitted in zip(firms.index, firms["site"], firms["admitted"])
    }


def test_siting_optimum():
    # Admission 400 000 (−150 000 + 300 000 + 250 000) + plots 220 000 (P_NEAR 120 000,
    # P_EAST 60 000, P_SOUTH 40 000) − the links' savings.
    s = solved("siting_options")
    assert s.status == "optimal"
    assert s.objective_value == pytest.approx(SITING_OPTIMUM, rel=REL)
    assert s.objective_value == pytest.approx(savings_identity(s), rel=1e-9)
    assert s.firms["admission_cost"].sum() == pytest.approx(400_000)
    assert s.firms["site_cost"].sum() == pytest.approx(220_000)
    assert candidate_sites(s) == {
        "BIOREFINERY": "P_NEAR",
        "GREENHOUSE": "P_EAST",
        "RECYCLER": "P_SOUTH",
        "DATACENTRE": None,
    }


def test_siting_park_is_placed_near_kalundborg():
    # x/y in km of ETRS89 / UTM zone 32N: the CHP plant 10 km east of Kalundborg's centre
    park = load_park(INSTANCES / "siting_options.xlsx")
    assert park.settings.crs == "EPSG:25832"
    where = site_positions(park.sites, park.settings.crs)
    lon, lat = where.loc["E_CHP", "x"], where.loc["E_CHP", "y"]
    assert great_circle_km(lat, lon, 55.6814, 11.0850) == pytest.approx(10.0, abs=0.5)
    assert where.loc["P_FAR", "x"] > lon  # 20 km further east


def test_siting_heat_link_by_hand():
    # CHP (0,0) → P_EAST (3,1): √10 × 1.2 = 3.795 km; η = 1 − 0.005 × 3.795 = 0.98103;
    # sent = 50 000 / η = 50 967 MWh; capex 800 000 × 3.795 × crf(8 %, 30 y) + 15 000
    # = 284 661 EUR/yr; saving = 50 000 × 45 − 4 × 50 967 − 284 661 = 1 761 471 EUR/yr.
    s = solved("siting_options")
    links = s.links
    heat = links[
        (links["supplier"] == "CHP")
        & (links["receiver"] == "GREENHOUSE")
        & (links["from_resource"] == "heat")
        & (links["build"] > 0.5)
    ].iloc[0]
    km = math.sqrt(10) * 1.2
    eta = 1 - 0.005 * km
    fixed = 800_000 * km * capital_recovery_factor(0.08, 30) + 15_000
    assert heat["to_site"] == "P_EAST"
    assert heat["sent"] == pytest.approx(50_000 / eta, rel=REL)
    assert heat["saving"] == pytest.approx(50_000 * 45 - 4 * 50_000 / eta - fixed, rel=REL)


def test_siting_cheaper_steam_pipes_swap_the_plots(tmp_path):
    # The plot next to the CHP plant (P_NEAR) goes to whoever pays most per km of pipe from
    # it: the greenhouse's heat + CO2 pipes cost 1.1 M EUR/km; the biorefinery's steam pipe
    # 1.5 M EUR/km by default (biorefinery next door), 0.2 M EUR/km here (greenhouse next door).
    s = optimize(
        load_park(build.build_siting(tmp_path / "s.xlsx", steam_capex_per_km=200_000)), RunOptions()
    )
    assert candidate_sites(s) == {
        "BIOREFINERY": "P_EAST",
        "GREENHOUSE": "P_NEAR",
        "RECYCLER": "P_SOUTH",
        "DATACENTRE": None,
    }
    assert s.objective_value < SITING_OPTIMUM  # cheaper pipes, cheaper park


def test_siting_admission_costs_change_who_comes(tmp_path):
    # At 3 M EUR/yr the greenhouse costs more than its links can save (≈ 1.76 M of heat
    # + 0.68 M of CO2): it stays out. A data centre paying the park 200 000 EUR/yr comes,
    # on the cheapest plot (P_FAR, 5 000 EUR/yr), its heat unused.
    s = optimize(
        load_park(
            build.build_siting(
                tmp_path / "a.xlsx",
                admission_costs={"GREENHOUSE": 3_000_000, "DATACENTRE": -200_000},
            )
        ),
        RunOptions(),
    )
    sites = candidate_sites(s)
    assert sites["GREENHOUSE"] is None
    assert sites["DATACENTRE"] == "P_FAR"
    assert sites["BIOREFINERY"] == "P_NEAR"


# --- hub_options: a biogas plant and a water regeneration unit for Kalundborg --------------

HUB_OPTIONS_OPTIMUM = -42_862_176.71625151  # EUR/yr
BIOGAS_ONLY = -42_693_098.74606387  # the water hub kept out
WATERHUB_ONLY = -42_686_703.89167427  # the biogas plant kept out


def hub_sites(solution: Solution) -> dict[str, str | None]:
    return {h: candidate_sites(solution)[h] for h in ("BIOGAS", "WATERHUB")}


def process_rows_standalone_cost(solution: Solution) -> float:
    """What the processes' rows would cost bought and discharged in full: outputs at their
    disposal price, inputs at their price where they can be bought."""
    rows = solution.rows
    rows = rows[rows["process"].notna()]
    buyable = rows["buyable"].astype(bool) | (rows["direction"] == "output")
    return float((rows["quantity"] * rows["price"].fillna(0))[buyable].sum())


def test_hub_options_optimum():
    # Objective = plots (15 000 + 90 000) + the processes' costs + their rows at full
    # purchase / discharge − Σ link savings (a process row adds nothing to the baseline).
    s = solved("hub_options")
    assert s.status == "optimal"
    assert s.objective_value == pytest.approx(HUB_OPTIONS_OPTIMUM, rel=REL)
    identity = (
        savings_identity(s)
        + float(s.processes["annual_cost"].sum())
        + process_rows_standalone_cost(s)
    )
    assert s.objective_value == pytest.approx(identity, rel=1e-9)
    assert s.firms["site_cost"].sum() == pytest.approx(105_000)
    # the hubs add to Kalundborg's optimum; the brewery alone changes nothing
    assert s.objective_value < KALUNDBORG_OPTIMUM


def test_hub_options_builds_both_hubs_each_on_its_plot():
    s = solved("hub_options")
    assert hub_sites(s) == {"BIOGAS": "P_FARMS", "WATERHUB": "P_NOVO"}
    p = s.processes
    # all of Novo's 150 000 t of sludge: 0.266 / 0.98 MWh of biogas and 0.95 t of
    # digestate a t; the spent grain stays cattle feed
    assert p.at["digest_sludge", "throughput"] == pytest.approx(150_000, rel=REL)
    assert p.at["digest_grain", "throughput"] == pytest.approx(0, abs=1e-6)
    assert p.at["upgrading", "throughput"] == pytest.approx(150_000 * 0.266 / 0.98, rel=REL)
    biomethane = s.rows.at["upgrading/biomethane/output", "market"]
    assert biomethane == pytest.approx(150_000 * 0.266, rel=REL)  # sold into the grid
    # the farms take the digestate's 3 600 t NPK-eq (4 000 less the sewage sludge's 400)
    b = s.built_links
    to_farms = b[(b["supplier"] == "BIOGAS") & (b["receiver"] == "FARMS")]
    assert list(to_farms["supply_flow"]) == ["digest_sludge/digestate/output"]
    assert to_farms["delivered"].sum() == pytest.approx(3_600, rel=REL)


def test_hub_options_reverse_osmosis_takes_the_effluent_left_by_hand():
    # Asnæs and the refinery take treated wastewater directly up to their chloride limits
    # (292 857 and 300 000 m3 delivered, / 0.95 sent). Of the rest, E = 3 M − 308 271 −
    # 315 789 = 2 375 940 m3, Novo takes s_d directly (0.95 s_d at 450 mg/l) and the RO the
    # rest (0.8 s_r at 10 mg/l); Novo's mix meets its 40 mg/l limit with fresh water (30):
    # 420 × 0.95 s_d − 20 × 0.8 s_r = (40 − 30) × 2 M → 415 s_d = 20 M + 16 E.
    s = solved("hub_options")
    effluent = 3_000_000 - 123_000_000 / 420 / 0.95 - 300_000 / 0.95
    direct = (20_000_000 + 16 * effluent) / 415
    assert s.processes.at["reverse_osmosis", "throughput"] == pytest.approx(
        effluent - direct, rel=REL
    )
    assert s.rows.at["MUNI_WWTP/treated_wastewater/supply", "market"] == pytest.approx(0, abs=1e-3)


def test_hub_options_biogas_needs_the_biomethane_premium(tmp_path):
    # at the grid price alone (30 EUR/MWh) the plant does not pay: only the water hub
    s = optimize(
        load_park(build.build_hub_options(tmp_path / "h.xlsx", biomethane_premium=0)),
        RunOptions(),
    )
    assert hub_sites(s) == {"BIOGAS": None, "WATERHUB": "P_NOVO"}
    assert s.objective_value == pytest.approx(WATERHUB_ONLY, rel=REL)


def test_hub_options_water_hub_loses_for_its_operator_and_win_win_keeps_it_out(tmp_path):
    # at the default 50/50 split the RO operator's shares do not pay for the unit
    s = solved("hub_options")
    assert s.firms.at["WATERHUB", "gain"] < 0 < s.firms.at["BIOGAS", "gain"]
    tables = build.hub_options_tables()
    tables["settings"]["win_win"] = True
    fair = solve_tables(tmp_path, tables)
    assert hub_sites(fair) == {"BIOGAS": "P_FARMS", "WATERHUB": None}
    assert fair.objective_value == pytest.approx(BIOGAS_ONLY, rel=REL)
    assert (fair.firms.loc[fair.firms["admitted"].astype(bool), "gain"] >= -1e-6).all()
