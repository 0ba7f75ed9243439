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
    MODES,
    SECTORS,
    generate_park,
    write_generated,
)
from ecopark_opt.inputs.load import load_park


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
