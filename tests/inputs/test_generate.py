"""The synthetic park generator and ``ecopark generate``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.core.links import candidate_links
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.generate import (
    BASE,
    BASE_RESOURCES,
    DEGREE_DAYS,
    MODES,
    MONTH_HOURS,
    SEASONAL,
    SECTORS,
    generate_park,
    seasonal_shares,
    write_generated,
)
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.presolve import presolve_problems


def frames(tables: dict) -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(v) if k != "settings" else pd.Series(v) for k, v in tables.items()}


def test_generated_park_loads_without_problems_or_warnings(tmp_path: Path):
    path = write_generated(
        tmp_path / "g.xlsx", firms=30, resources=20, seed=3, plots=3, candidates=4
    )
    park = load_park(path)  # raises InputError on any problem
    assert park.warnings == []
    # 30 existing + 4 candidates; 30 firm sites + 3 plots; all 20 base resources
    assert len(park.firms) == 34
    assert len(park.sites) == 33
    assert list(park.resources.index) == [r.id for r in BASE_RESOURCES]
    assert park.settings.time_limit_s == 60
    assert park.settings.mip_gap == pytest.approx(1e-4)
    assert "cod" in park.property_names
    assert len(candidate_links(park)) > 0


def test_same_seed_same_tables_other_seed_different():
    a = generate_park(25, 12, seed=7, plots=2, candidates=2)
    b = generate_park(25, 12, seed=7, plots=2, candidates=2)
    c = generate_park(25, 12, seed=8, plots=2, candidates=2)
    assert a == b
    assert frames(a)["flows"].equals(frames(b)["flows"])
    assert a["flows"] != c["flows"]
    assert a["sites"] != c["sites"]


@pytest.mark.parametrize("firms, resources", [(1, 1), (12, 5), (40, 20), (15, 27)])
def test_sizes_as_asked(firms: int, resources: int):
    tables = generate_park(firms, resources, seed=1)
    assert len(tables["firms"]) == firms
    assert len(tables["resources"]) == resources
    assert {f["status"] for f in tables["firms"]} == {"existing"}
    # every firm has at least one stream, and at most one row per (firm, resource, direction)
    flows = pd.DataFrame(tables["flows"])
    assert set(flows["firm_id"]) == {f["firm_id"] for f in tables["firms"]}
    assert not flows.duplicated(["firm_id", "resource_id", "direction"]).any()
    assert set(flows["resource_id"]) <= {r["resource_id"] for r in tables["resources"]}


def test_more_resources_than_the_base_list_adds_numbered_variants():
    # 27 resources = the 20 base ones, then variant 2 of the first 7 base resources
    ids = [r["resource_id"] for r in generate_park(5, 27, seed=0)["resources"]]
    assert ids[:20] == [r.id for r in BASE_RESOURCES]
    assert ids[20:] == [f"{r.id}_2" for r in BASE_RESOURCES[:7]]


def test_values_follow_the_sector_profiles_and_price_ranges():
    tables = generate_park(120, 20, seed=5)
    sector = {f["firm_id"]: f["sector"] for f in tables["firms"]}
    for row in tables["flows"]:
        assert row["resource_id"] in SECTORS[sector[row["firm_id"]]][row["direction"]]
        assert row["quantity"] >= 1
    for r in tables["resources"]:
        base = BASE[r["resource_id"]]
        assert base.virgin_price[0] <= r["virgin_price"] <= base.virgin_price[1]
        assert base.disposal_cost[0] <= r["disposal_cost"] <= base.disposal_cost[1]
    # pipelines reach 10–30 km, road and tanker 100–150 km
    reach = {m["mode"]: m["max_distance_km"] for m in MODES}
    assert all(10 <= reach[m] <= 30 for m in ("water_pipe", "steam_pipe", "heat_pipe", "gas_pipe"))
    assert all(100 <= reach[m] <= 150 for m in ("truck", "tanker"))
    modes = {t["mode"]: t["resources"].split(",") for t in tables["transport"]}
    assert "steam" in modes["steam_pipe"] and "fly_ash" in modes["truck"]


def test_firms_are_clustered():
    # clusters of 2–6 km spread in a region ≥ 40 km: the median distance to the nearest other
    # firm is far below what 200 firms spread uniformly over the region would give
    # (≈ 0.5·region/√200 ≈ 2.5 km for an 85 km region)
    sites = pd.DataFrame(generate_park(200, 20, seed=2)["sites"])
    xy = sites[["x_km", "y_km"]].to_numpy()
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2) ** 0.5
    d[range(len(d)), range(len(d))] = float("inf")
    assert pd.Series(d.min(axis=1)).median() < 1.5
    assert d[d < float("inf")].max() > 20


def test_candidates_and_plots_when_asked():
    tables = generate_park(8, 10, seed=4, plots=3, candidates=2)
    sites = pd.DataFrame(tables["sites"])
    firms = pd.DataFrame(tables["firms"])
    assert (sites["kind"] == "plot").sum() == 3
    cand = firms[firms["status"] == "candidate"]
    assert len(cand) == 2 and cand["site"].isna().all()  # the optimizer places them
    # without plots a candidate stands on a site of its own
    alone = generate_park(8, 10, seed=4, candidates=2)
    cand = pd.DataFrame(alone["firms"]).query("status == 'candidate'")
    assert cand["site"].notna().all()
    assert set(cand["site"]) <= {s["site_id"] for s in alone["sites"]}


def test_small_generated_park_solves_and_saves(tmp_path: Path):
    park = load_park(
        write_generated(tmp_path / "g.xlsx", firms=10, resources=20, seed=1, plots=2, candidates=2)
    )
    solution = optimize(park, RunOptions(time_limit=30))
    assert solution.result.status == "optimal"
    cost = solution.metrics["cost"]
    # the objective is cost − standalone baseline, and standalone operation is feasible
    assert cost["design"] <= cost["baseline"] + 1e-6
    assert solution.result.objective == pytest.approx(
        cost["design"] - cost["baseline"], rel=1e-6, abs=1e-3
    )


def test_cli_generate_writes_and_refuses_to_overwrite(tmp_path: Path):
    out = tmp_path / "park.xlsx"
    args = ["generate", "--firms", "6", "--resources", "8", "--seed", "2", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    park = load_park(out)
    assert len(park.firms) == 6 and len(park.resources) == 8
    stamp = out.stat().st_mtime_ns

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2
    assert "already exists" in again.output and "--force" in again.output
    assert out.stat().st_mtime_ns == stamp

    seven = ["generate", "--firms", "7", "--resources", "8", "--seed", "2", "--force", str(out)]
    forced = CliRunner().invoke(main, seven)
    assert forced.exit_code == 0, forced.output
    assert len(load_park(out).firms) == 7
    assert not list(tmp_path.glob(".park-*"))  # no temporary file left behind


# --- periods (--periods N) -----------------------------------------------------------------


def test_periods_workbook_validates_without_problems_or_warnings(tmp_path: Path):
    path = write_generated(tmp_path / "g.xlsx", firms=40, resources=20, seed=3, periods=4)
    park = load_park(path)  # raises InputError on any problem
    assert park.warnings == []
    assert presolve_problems(park, candidate_links(park)) == []  # what `validate` checks too
    # four periods of equal hours, named in calendar order
    assert park.period_hours.to_dict() == {"p1": 2190.0, "p2": 2190.0, "p3": 2190.0, "p4": 2190.0}
    assert len(park.profiles) > 0


@pytest.mark.parametrize("periods", [2, 4, 7, 12])
def test_profile_shares_cover_every_period_and_add_up_to_one(periods: int):
    tables = generate_park(60, 20, seed=5, periods=periods)
    names = [p["period_id"] for p in tables["periods"]]
    assert len(names) == periods
    assert sum(p["hours"] for p in tables["periods"]) == pytest.approx(8760)
    profiles = pd.DataFrame(tables["profiles"])
    assert (profiles["share"] >= 0).all() and (profiles["share"] <= 1).all()
    for _, stream in profiles.groupby(["firm_id", "resource_id", "direction"]):
        assert list(stream["period_id"]) == names
        assert stream["share"].sum() == pytest.approx(1.0, abs=1e-9)


def test_one_period_is_the_park_of_today_and_more_periods_the_same_park():
    one = generate_park(50, 20, seed=4, plots=2, candidates=2)
    assert "periods" not in one and "profiles" not in one
    assert all("capex_per_capacity_km" not in t for t in one["transport"])
    twelve = generate_park(50, 20, seed=4, plots=2, candidates=2, periods=12)
    for sheet in ("firms", "sites", "resources", "flows", "substitutions", "settings"):
        assert twelve[sheet] == one[sheet], sheet
    # with periods, heat and steam pipes also cost per unit of capacity per km
    sized = {t["mode"]: t.get("capex_per_capacity_km") for t in twelve["transport"]}
    assert sized["heat_pipe"] == pytest.approx(2.10)
    assert sized["steam_pipe"] == pytest.approx(1.96)
    assert sized["truck"] is None
    stripped = [
        {k: v for k, v in t.items() if k != "capex_per_capacity_km"} for t in twelve["transport"]
    ]
    assert stripped == one["transport"]


def test_same_arguments_same_profiles_other_seed_different():
    a = generate_park(40, 20, seed=7, periods=12)
    assert a == generate_park(40, 20, seed=7, periods=12)
    assert a["profiles"] != generate_park(40, 20, seed=8, periods=12)["profiles"]


def test_degree_day_shares_by_hand():
    # Equal hours: 4 periods of 2 190 h. The first holds January (744 h), February (672 h),
    # March (744 h) and 30 of April's 720 h. Pure heating (no constant base) gets the degree
    # days of those hours: (502 + 463 + 435 + 296 × 30 / 720) / 3 037 = 0.465 05.
    shares = seasonal_shares("heating", 0.0, 4)
    assert shares[0] == pytest.approx((502 + 463 + 435 + 296 * 30 / 720) / 3037)
    assert shares.sum() == pytest.approx(1.0)
    # a constant base spreads by hours: half flat, half heating
    half = seasonal_shares("heating", 0.5, 4)
    assert half[0] == pytest.approx(0.5 * 0.25 + 0.5 * shares[0])
    # 12 periods of 730 h: the first is 730 of January's 744 h
    assert seasonal_shares("heating", 0.0, 12)[0] == pytest.approx(502 * 730 / 744 / 3037)
    assert sum(DEGREE_DAYS) == 3037 and sum(MONTH_HOURS) == 8760


def test_seasonal_profiles_follow_the_sector():
    # district heating (the water utility's heat demand) and greenhouses: winter-heavy;
    # cooling water and construction materials: summer-heavy; process steam: flat (no rows)
    tables = generate_park(300, 20, seed=2, periods=4)
    sector = {f["firm_id"]: f["sector"] for f in tables["firms"]}
    profiles = pd.DataFrame(tables["profiles"])
    profiles["sector"] = profiles["firm_id"].map(sector)
    q = profiles.pivot_table(
        index=["sector", "firm_id", "resource_id", "direction"], columns="period_id", values="share"
    )
    heat = q.xs("heat", level="resource_id")
    for s in ("water utility", "agriculture"):
        rows = heat.xs(s, level="sector")
        assert len(rows) and (rows["p1"] > 0.35).all() and (rows["p3"] < 0.2).all(), s
    cooling = q.xs("cooling_water", level="resource_id")
    assert len(cooling) and (cooling["p3"] > cooling["p1"] * 1.5).all()
    building = q.xs("construction materials", level="sector")
    assert len(building) and (building["p3"] > building["p1"]).all()
    assert not (profiles["resource_id"] == "steam").any()
    # exactly the streams of SEASONAL have profile rows
    seasonal = [
        f
        for f in tables["flows"]
        if (sector[f["firm_id"]], f["direction"], f["resource_id"]) in SEASONAL
    ]
    assert len(q) == len(seasonal) > 0


@pytest.mark.slow
def test_generated_park_with_periods_solves_and_saves_no_more_than_with_fewer(tmp_path: Path):
    # 12 periods of 730 h refine 4 of 2 190 h, which refine the year: each finer model is a
    # restriction of the coarser one (its flows add up to a feasible coarser operation, and a
    # sized pipe pays for its peak), so it can only save less.
    objective = {}
    for n in (1, 4, 12):
        park = load_park(write_generated(tmp_path / f"g{n}.xlsx", 15, 20, seed=2, periods=n))
        solution = optimize(park, RunOptions(time_limit=30, mip_gap=1e-9))
        assert solution.result.status == "optimal"
        objective[n] = solution.objective_value
        if n > 1:
            links = solution.built_links
            sized = links[links["capacity"].notna()]
            assert set(sized["mode"]) <= {"heat_pipe", "steam_pipe"} and len(sized)
            hours = park.period_hours
            peak = solution.sent_by_period.loc[sized.index].div(hours / hours.sum()).max(axis=1)
            assert (sized["capacity"] >= peak * (1 - 1e-6)).all()
    assert objective[1] <= objective[4] + 1e-3 <= objective[12] + 2e-3
    assert objective[12] < 0  # still a saving


def test_cli_generate_periods(tmp_path: Path):
    out = tmp_path / "seasons.xlsx"
    args = ["generate", "--firms", "12", "--seed", "1", "--periods", "4", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "4 periods" in result.output
    park = load_park(out)
    assert list(park.period_hours) == [2190.0] * 4 and park.warnings == []


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--periods", "0"], "--periods"),
        (["--periods", "8761"], "--periods"),
        (["--seed", "-1"], "--seed"),
        # 200 firms have ~160 seasonal streams: × 8 760 periods is more than a sheet holds
        (["--firms", "200", "--periods", "8760"], "more than an Excel sheet holds"),
    ],
)
def test_cli_generate_refuses_bad_sizes_and_writes_nothing(tmp_path: Path, extra, message):
    out = tmp_path / "bad.xlsx"
    result = CliRunner().invoke(main, ["generate", "--firms", "5", *extra, str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())
