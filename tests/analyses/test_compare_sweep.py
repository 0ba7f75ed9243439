"""compare (options / scenarios side by side), sweep (Monte Carlo over the uncertainty sheet)
and the executors that run their solves: serially, in local processes or on Dask."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from scipy import stats as sps

from ecopark_opt.analyses import sweep as sweep_module
from ecopark_opt.analyses.compare import (
    firm_gains,
    kpi_frame,
    link_matrix,
    run_compare,
    scenario_tasks,
    siting_frame,
    verdict_frame,
    verdict_lines,
    workbook_tasks,
)
from ecopark_opt.analyses.executors import ProgressBar, run_tasks
from ecopark_opt.analyses.sweep import draw_samples, link_frequency, run_sweep
from ecopark_opt.cli import main
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.pool import TaskFailure
from ecopark_opt.errors import InputError
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.scenarios import UncertainRow
from ecopark_opt.outputs.compare_sheets import compare_sheets, network_png
from ecopark_opt.outputs.jsonout import compare_json, sweep_json
from ecopark_opt.outputs.sweep_sheets import sweep_sheets
from tests.helpers import park_file, two_firm_park

PIPE = [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}]


def uncertain(sheet, key, column, distribution="uniform", p1=0.9, p2=1.1, p3=None) -> dict:
    return {
        "sheet": sheet,
        "key": key,
        "column": column,
        "distribution": distribution,
        "p1": p1,
        "p2": p2,
        "p3": p3,
    }


def scenario(name, sheet, key, column, operation, value) -> dict:
    return {
        "scenario": name,
        "sheet": sheet,
        "key": key,
        "column": column,
        "operation": operation,
        "value": value,
    }


def run_cli(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


# --- sampling -------------------------------------------------------------------------------


def row(distribution, p1, p2, p3=None) -> UncertainRow:
    return UncertainRow(2, "flows", "*", "quantity", distribution, p1, p2, p3)


def test_draws_follow_the_inverse_cdf_and_do_not_depend_on_the_sample_count():
    rows = [
        row("uniform", 0.5, 1.5),
        row("triangular", 0.5, 1.0, 3.0),
        row("normal", 1.0, 0.2),
        row("lognormal", 0.0, 0.3),
    ]
    draws = draw_samples(rows, 50, seed=7)
    assert np.array_equal(draws[:20], draw_samples(rows, 20, seed=7))  # resume can extend
    assert not np.array_equal(draws, draw_samples(rows, 50, seed=8))
    # the same uniforms through scipy's quantile functions
    u = np.random.default_rng(7).random((50, 4))
    expected = np.column_stack(
        [
            sps.uniform(loc=0.5, scale=1.0).ppf(u[:, 0]),
            sps.triang(c=(1.0 - 0.5) / (3.0 - 0.5), loc=0.5, scale=2.5).ppf(u[:, 1]),
            sps.norm(loc=1.0, scale=0.2).ppf(u[:, 2]),
            sps.lognorm(s=0.3, scale=np.exp(0.0)).ppf(u[:, 3]),
        ]
    )
    np.testing.assert_allclose(draws, expected, rtol=1e-9)


# --- executors ------------------------------------------------------------------------------


def _square_or_fail(x: int) -> int:
    if x == 2:
        raise ValueError("two is not allowed")
    return x * x


def test_serial_executor_reports_a_failing_task_and_finishes_the_rest():
    seen = []
    results = run_tasks(_square_or_fail, [0, 1, 2, 3], on_result=lambda i, r: seen.append(i))
    assert results[:2] == [0, 1] and results[3] == 9
    assert results[2] == TaskFailure("ValueError: two is not allowed")
    assert seen == [0, 1, 2, 3]
    with pytest.raises(InputError, match="--executor threads"):
        run_tasks(_square_or_fail, [1], executor="threads")


def test_progress_bar_writes_a_line_per_tenth_on_a_pipe():
    stream = io.StringIO()
    bar = ProgressBar(4, "sweep", stream)
    for _ in range(4):
        bar.update()
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # 25 % steps: each crosses a tenth
    assert lines[-1].startswith("sweep [##############################] 4/4")


# --- sweep ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped_park(tmp_path_factory) -> Path:
    """A supplies 100 × m, B demands 80 and may buy at most 40 (max_virgin); pipe opex 50 × k.

    m ~ uniform(0.2, 1.2) on A's supply, k ~ uniform(0.5, 2) on the pipe's fixed opex.
    """
    tables = two_firm_park(
        transport=PIPE,
        uncertainty=[
            uncertain("flows", "A/water/supply", "quantity", p1=0.2, p2=1.2),
            uncertain("transport", "pipe", "opex_fixed", p1=0.5, p2=2.0),
        ],
    )
    tables["resources"][0]["max_virgin"] = 40
    return park_file(tmp_path_factory.mktemp("capped"), tables)


def expected_cost(m: float, k: float) -> float | None:
    """Hand-derived optimum of the capped park (5 km pipe: 0.5 per unit sent).

    B must receive ≥ 80 − 40 = 40 by pipe, so m < 0.4 is infeasible. Sending a unit saves
    2 (purchase) + 1 (discharge) and costs 0.5, so A sends all it can up to 80:
    m ≥ 0.8: 50k + 80·0.5 + (100m − 80)·1 discharged = 50k + 100m − 40;
    0.4 ≤ m < 0.8: 50k + 100m·0.5 + (80 − 100m)·2 bought = 50k + 160 − 150m.
    """
    if m < 0.4:
        return None
    if m >= 0.8:
        return 50 * k + 100 * m - 40
    return 50 * k + 160 - 150 * m


@pytest.fixture(scope="module")
def serial_sweep(capped_park):
    base = optimize(load_park(capped_park))
    return base, run_sweep(capped_park, base, samples=4, seed=1)


def test_sweep_samples_match_the_hand_derived_optimum(serial_sweep):
    base, result = serial_sweep
    s = result.samples
    assert list(s["sample"]) == [0, 1, 2, 3]
    for rec in s.to_dict("records"):
        m, k = rec["draws"]
        cost = expected_cost(m, k)
        if cost is None:
            assert rec["status"] == "infeasible"
            assert "max_virgin" in rec["reason"]
        else:
            assert rec["status"] == "optimal"
            assert rec["cost"] == pytest.approx(cost, rel=1e-6)
            # the pipe is needed in every feasible sample: the base design is optimal there
            assert rec["links"] == [["A", "B", "water", "water", "pipe", "S1", "S2"]]
            assert rec["regret"] == pytest.approx(0.0, abs=1e-6)
    # seed 1 draws m = 0.712, 0.344, 0.512, 1.028: one infeasible sample, three solved
    assert list(s["status"]) == ["optimal", "infeasible", "optimal", "optimal"]
    data = sweep_json(result)
    assert data["samples"] == 4 and data["solved"] == 3 and data["failed"] == 1
    assert data["link_frequency"] == [
        {
            "supplier": "A",
            "receiver": "B",
            "from_resource": "water",
            "to_resource": "water",
            "mode": "pipe",
            "from_site": "S1",
            "to_site": "S2",
            "share": 1.0,
        }
    ]
    costs = [expected_cost(*d) for d in s["draws"] if expected_cost(*d) is not None]
    assert data["metrics"]["cost"]["mean"] == pytest.approx(np.mean(costs))
    assert data["metrics"]["cost"]["p50"] == pytest.approx(np.median(costs))
    assert set(data["metrics"]) == {"cost", "virgin", "co2e"}


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["seconds"])


@pytest.mark.slow
def test_local_processes_give_the_serial_results(serial_sweep, capped_park):
    base, serial = serial_sweep
    local = run_sweep(capped_park, base, samples=4, seed=1, executor="local", workers=2)
    pd.testing.assert_frame_equal(comparable(local.samples), comparable(serial.samples))


@pytest.mark.slow
def test_dask_local_cluster_gives_the_serial_results(serial_sweep, capped_park):
    base, serial = serial_sweep
    dask = run_sweep(capped_park, base, samples=4, seed=1, executor="dask", workers=2)
    pd.testing.assert_frame_equal(comparable(dask.samples), comparable(serial.samples))


def test_regret_of_the_base_design(tmp_path):
    # pipe opex 50 × k, k ~ uniform(2, 6): the link (cost 50k + 40 + 20 discharged) beats
    # standalone (260) only while k < 4; the base design (k = 1) keeps it, so
    # regret = max(0, 50k + 60 − 260) = max(0, 50k − 200)
    tables = two_firm_park(
        transport=PIPE, uncertainty=[uncertain("transport", "pipe", "opex_fixed", p1=2, p2=6)]
    )
    path = park_file(tmp_path, tables)
    base = optimize(load_park(path))
    result = run_sweep(path, base, samples=6, seed=0)
    k = np.array([d[0] for d in result.samples["draws"]])
    np.testing.assert_allclose(result.samples["regret"], np.maximum(0.0, 50 * k - 200), atol=1e-6)
    np.testing.assert_allclose(result.samples["fixed_cost"], 50 * k + 60, rtol=1e-9)
    np.testing.assert_allclose(result.samples["cost"], np.minimum(50 * k + 60, 260), rtol=1e-9)
    data = sweep_json(result)
    # seed 0 draws k = 4.548, 3.079, 2.164, 2.066, 5.253, 5.651: the link in 3 of 6
    assert data["link_frequency"][0]["share"] == pytest.approx((k < 4).mean()) == 0.5
    assert data["robustness"]["still_optimal_share"] == pytest.approx(0.5)


def test_a_sample_out_of_range_is_a_row_not_a_crash(tmp_path):
    tables = two_firm_park(
        uncertainty=[uncertain("flows", "A/water/supply", "quantity", p1=-1.0, p2=-0.5)]
    )
    path = park_file(tmp_path, tables)
    base = optimize(load_park(path))
    result = run_sweep(path, base, samples=1, seed=0)
    rec = result.samples.iloc[0]
    m = rec["draws"][0]
    assert rec["status"] == "error"
    assert rec["reason"] == (
        f"invalid sample: uncertainty!D2 (draw): scale {m:g} makes flows quantity of "
        f"'A/water/supply' {100 * m:g}; must be ≥ 0"
    )


def test_resume_runs_only_the_missing_samples(capped_park, tmp_path, monkeypatch):
    base = optimize(load_park(capped_park))
    results = tmp_path / "samples.jsonl"
    calls = []
    real = sweep_module.run_sample

    def counting(task):
        calls.append(task.sample)
        return real(task)

    monkeypatch.setattr(sweep_module, "run_sample", counting)
    first = run_sweep(capped_park, base, samples=2, seed=1, results_path=results)
    assert calls == [0, 1]
    assert len(results.read_text().splitlines()) == 1 + 2  # header + one line per sample
    more = run_sweep(capped_park, base, samples=4, seed=1, results_path=results, resume=True)
    assert calls == [0, 1, 2, 3]  # samples 0 and 1 were read back
    assert more.resumed == 2
    pd.testing.assert_frame_equal(comparable(more.samples.iloc[:2]), comparable(first.samples))
    again = run_sweep(capped_park, base, samples=4, seed=1, results_path=results, resume=True)
    assert calls == [0, 1, 2, 3] and again.resumed == 4
    with pytest.raises(InputError, match="another workbook, seed"):
        run_sweep(capped_park, base, samples=4, seed=2, results_path=results, resume=True)


def test_sweep_tells_links_apart_by_their_sites(tmp_path):
    # candidate C (supplies 100 water) goes on plot P1 (site cost 5 × k) or P2 (20), both
    # 5 km from B: P1 while 5k < 20. k ~ uniform(0, 8), seed 0: k = 5.09, 2.16, 0.33, 0.13,
    # 6.50, 7.30 → P1 in samples 2, 3, 4 and P2 in 1, 5, 6
    tables = two_firm_park(
        transport=PIPE,
        firms=[{"firm_id": "B", "site": "S2"}, {"firm_id": "C", "status": "candidate"}],
        sites=[
            {"site_id": "S2", "x_km": 5, "y_km": 0},
            {"site_id": "P1", "x_km": 0, "y_km": 0, "kind": "plot", "site_cost": 5},
            {"site_id": "P2", "x_km": 10, "y_km": 0, "kind": "plot", "site_cost": 20},
        ],
        flows=[
            {"firm_id": "C", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
        uncertainty=[uncertain("sites", "P1", "site_cost", p1=0, p2=8)],
    )
    path = park_file(tmp_path, tables)
    result = run_sweep(path, optimize(load_park(path)), samples=6, seed=0)
    shares = [
        (r["from_site"], r["share"], r["in base design"])
        for r in link_frequency(result).to_dict("records")
    ]
    assert shares == [("P1", 0.5, True), ("P2", 0.5, False)]
    assert [r["from_site"] for r in sweep_json(result)["link_frequency"]] == ["P1", "P2"]


def test_resume_refuses_a_results_file_of_the_earlier_format(capped_park, tmp_path):
    base = optimize(load_park(capped_park))
    results = tmp_path / "samples.jsonl"
    run_sweep(capped_park, base, samples=1, seed=1, results_path=results)
    lines = results.read_text().splitlines()
    header = json.loads(lines[0])
    header["header"]["format"] = "ecopark-sweep/1"
    results.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(InputError, match="earlier format ecopark-sweep/1.*without --resume"):
        run_sweep(capped_park, base, samples=2, seed=1, results_path=results, resume=True)


def test_resume_warns_about_a_damaged_line_and_runs_its_sample_again(
    capped_park, tmp_path, monkeypatch
):
    base = optimize(load_park(capped_park))
    results = tmp_path / "samples.jsonl"
    run_sweep(capped_park, base, samples=3, seed=1, results_path=results)
    header, first, second, third = results.read_text().splitlines()
    # sample 2's line was edited; sample 3's was cut short by a crash (no line end)
    results.write_text("\n".join([header, first, "{not json", third[:25]]))
    calls = []
    real = sweep_module.run_sample

    def counting(task):
        calls.append(task.sample)
        return real(task)

    monkeypatch.setattr(sweep_module, "run_sample", counting)
    again = run_sweep(capped_park, base, samples=3, seed=1, results_path=results, resume=True)
    assert calls == [1, 2]
    assert again.warnings == [
        f"{results} line 3: not a complete JSON record (cut short by a crash?); dropped, "
        "its sample runs again",
        f"{results} line 4: not a complete JSON record (cut short by a crash?); dropped, "
        "its sample runs again",
    ]
    assert any("line 3" in note for note in sweep_sheets(again)[0].notes)
    # every line of the file is a record again, so a later resume has nothing to run
    assert [json.loads(line)["sample"] for line in results.read_text().splitlines()[1:]] == [
        0,
        1,
        2,
    ]
    last = run_sweep(capped_park, base, samples=3, seed=1, results_path=results, resume=True)
    assert calls == [1, 2] and last.warnings == [] and last.resumed == 3


@pytest.mark.slow
def test_sweep_command_prints_the_warnings_of_a_damaged_results_file(capped_park, tmp_path):
    out = tmp_path / "s.xlsx"
    args = ["sweep", str(capped_park), "--samples", "1", "--seed", "1", "--out", str(out)]
    assert run_cli([*args, "--quiet"]).exit_code == 0
    samples = tmp_path / "s_samples.jsonl"
    samples.write_text(samples.read_text() + "garbage\n")
    result = run_cli([*args, "--quiet", "--resume"])
    assert result.exit_code == 0, result.output
    assert f"warning: {samples} line 3: not a complete JSON record" in result.stderr


def test_sweep_command_writes_report_json_and_samples(capped_park, tmp_path):
    out, js = tmp_path / "s.xlsx", tmp_path / "s.json"
    result = run_cli(
        [
            "sweep",
            str(capped_park),
            "--samples",
            "2",
            "--seed",
            "1",
            "--quiet",
            "--out",
            str(out),
            "--json",
            str(js),
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    assert {"samples", "link_frequency", "metrics"} <= set(data["sweep"])
    assert data["sweep"]["samples"] == 2
    assert data["status"] == "optimal"  # the base design, as for solve
    assert (tmp_path / "s_samples.jsonl").exists()
    book = load_workbook(out)
    for name in ("Sweep", "Sweep links", "Sweep histogram", "Sweep samples"):
        assert name in book.sheetnames
    assert book["Sweep histogram"]._charts and book["Sweep links"]._charts


def test_sweep_without_uncertainty_rows_is_an_input_error(tmp_path):
    path = park_file(tmp_path, two_firm_park())
    result = run_cli(["sweep", str(path), "--samples", "2", "--out", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 2
    assert "no uncertainty rows to sample" in result.output


# --- compare --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario_comparison(tmp_path_factory):
    tables = two_firm_park(
        transport=PIPE,
        scenarios=[
            scenario("dear", "resources", "water", "virgin_price", "set", 4),
            scenario("costly", "transport", "pipe", "opex_fixed", "set", 1000),
            scenario("capped", "resources", "water", "max_virgin", "set", 0),
            scenario("capped", "flows", "B/water/demand", "quantity", "set", 500),
        ],
    )
    path = park_file(tmp_path_factory.mktemp("compare"), tables)
    return run_compare(scenario_tasks(path, RunOptions()), True, "scenarios")


def test_compare_scenarios_side_by_side(scenario_comparison):
    result = scenario_comparison
    # base: pipe 50 + 80·0.1·5 = 90, A discharges 20 → 110 vs 100 + 160 = 260
    # dear (water 4/t): 110 vs 100 + 320 = 420; costly (opex 1000): no link, 260 = baseline
    # capped: B needs 500 and may buy none, A has 100 → infeasible
    assert [(o["option"], o["status"]) for o in compare_json(result)] == [
        ("base", "optimal"),
        ("dear", "optimal"),
        ("costly", "optimal"),
        ("capped", "infeasible"),
    ]
    costs = {o["option"]: o["metrics"]["cost"] for o in compare_json(result)}
    assert costs["base"] == {"design": pytest.approx(110), "baseline": pytest.approx(260)}
    assert costs["dear"] == {"design": pytest.approx(110), "baseline": pytest.approx(420)}
    assert costs["costly"] == {"design": pytest.approx(260), "baseline": pytest.approx(260)}
    assert costs["capped"] == {"design": None, "baseline": None}
    assert [o["links"] for o in compare_json(result)] == [1, 1, 0, 0]
    assert result.reference == "base"
    capped = result.option("capped")
    assert "max_virgin" in capped["reason"] and "400" in capped["reason"]  # 500 − 100


def test_compare_verdict_links_and_firm_gains(scenario_comparison):
    result = scenario_comparison
    verdict = verdict_frame(result).set_index("metric")
    assert verdict.at["lowest cost", "best option"] == "base = dear (tie)"
    assert verdict.at["lowest cost", "runner-up"] == "costly"
    assert verdict.at["lowest cost", "margin"] == pytest.approx(150)  # 260 − 110
    # savings: base 150, dear 310, costly 0
    assert verdict.at["largest cost saving vs standalone", "best option"] == "dear"
    assert verdict.at["largest cost saving vs standalone", "margin"] == pytest.approx(160)
    links = link_matrix(result)
    assert links[["base", "dear", "costly", "capped", "options using it"]].values.tolist() == [
        [1, 1, 0, 0, 2]
    ]
    assert links.at[0, "link"] == "A → B (water, pipe; S1 → S2)"
    # link saving split half-half: base (80·2 + 80·1 − 90)/2 = 75; dear (80·4 + 80 − 90)/2 =
    # 155; costly: no link, 0
    gains = firm_gains(result).set_index("firm")
    assert gains.loc["A"].tolist() == pytest.approx([75, 155, 0])
    assert gains.loc["B"].tolist() == pytest.approx([75, 155, 0])


def test_an_option_named_like_a_column_does_not_overwrite_it(tmp_path):
    tables = two_firm_park(
        transport=PIPE,
        scenarios=[scenario("supplier", "resources", "water", "virgin_price", "set", 4)],
    )
    result = run_compare(scenario_tasks(park_file(tmp_path, tables), RunOptions()), True, "x")
    links = link_matrix(result)
    assert links.at[0, "supplier"] == "A"
    assert links[["base", "supplier (option)"]].values.tolist() == [[1, 1]]


def test_compare_workbooks_command(tmp_path):
    near = park_file(tmp_path, two_firm_park(transport=PIPE), "near.xlsx")
    far_park = two_firm_park(transport=PIPE)
    far_park["sites"][1]["x_km"] = 20
    far = park_file(tmp_path, far_park, "far.xlsx")
    out, js = tmp_path / "c.xlsx", tmp_path / "c.json"
    result = run_cli(
        ["compare", str(near), str(far), "--quiet", "--out", str(out), "--json", str(js)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text())
    # near: 110 as above; far: 50 + 80·0.1·20 = 210 + 20 discharged = 230 (< 260: built)
    assert [(o["option"], o["metrics"]["cost"]["design"]) for o in data["compare"]] == [
        ("near", pytest.approx(110)),
        ("far", pytest.approx(230)),
    ]
    assert set(data["compare"][0]) == {"option", "status", "metrics", "links", "siting"}
    assert data["compare"][0]["siting"] == []  # no candidates
    assert data["metrics"]["cost"]["design"] == pytest.approx(110)  # the best option's report
    book = load_workbook(out)
    for name in (
        "Comparison",
        "Comparison savings",
        "Comparison verdict",
        "Comparison links",
        "Comparison firms",
    ):
        assert name in book.sheetnames
    assert book["Comparison"]._charts and book["Comparison savings"]._charts
    assert book["Comparison"].freeze_panes is not None
    verdict = [
        r for r in book["Comparison verdict"].iter_rows(values_only=True) if r[0] == "lowest cost"
    ]
    assert verdict[0][1] == "near"


def test_compare_usage_errors(tmp_path):
    path = park_file(tmp_path, two_firm_park())
    result = run_cli(["compare", str(path)])
    assert result.exit_code == 2 and "two or more workbooks" in result.output
    result = run_cli(["compare", str(path), str(path), "--scenarios"])
    assert result.exit_code == 2 and "give exactly one" in result.output


def siting_option(plot_costs: dict[str, float], with_d: bool = True) -> dict:
    """Candidate C (supplies 100 water) goes on plot P1 (0, 0) or P2 (10, 0), both 5 km
    from B (demands 80), whichever costs less; candidate D (demands 10, admission 1000) is
    never admitted."""
    firms = [{"firm_id": "B", "site": "S2"}, {"firm_id": "C", "status": "candidate"}]
    flows = [
        {"firm_id": "C", "resource_id": "water", "direction": "supply", "quantity": 100},
        {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
    ]
    if with_d:
        firms.append({"firm_id": "D", "status": "candidate", "admission_cost": 1000})
        flows.append(
            {"firm_id": "D", "resource_id": "water", "direction": "demand", "quantity": 10}
        )
    return two_firm_park(
        transport=PIPE,
        firms=firms,
        sites=[
            {"site_id": "S2", "x_km": 5, "y_km": 0},
            {"site_id": "P1", "x_km": 0, "y_km": 0, "kind": "plot", "site_cost": plot_costs["P1"]},
            {"site_id": "P2", "x_km": 10, "y_km": 0, "kind": "plot", "site_cost": plot_costs["P2"]},
        ],
        flows=flows,
    )


@pytest.fixture(scope="module")
def siting_comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("siting")
    west = park_file(folder, siting_option({"P1": 5, "P2": 20}), "west.xlsx")
    east = park_file(folder, siting_option({"P1": 50, "P2": 20}, with_d=False), "east.xlsx")
    tasks = workbook_tasks([west, east], RunOptions(), draw=network_png)
    return run_compare(tasks, False, "siting options")


def test_compare_puts_each_options_candidates_on_their_plots(siting_comparison):
    result = siting_comparison
    # west: C on P1, 5 + pipe 50 + 80·0.5 + 20 discharged = 115; east: C on P2, 20 + 110
    assert [(o["option"], o["metrics"]["cost"]["design"]) for o in compare_json(result)] == [
        ("west", pytest.approx(115)),
        ("east", pytest.approx(130)),
    ]
    assert [o["siting"] for o in compare_json(result)] == [
        [{"firm": "C", "site": "P1"}],
        [{"firm": "C", "site": "P2"}],
    ]
    siting = siting_frame(result)
    assert siting.values.tolist() == [
        ["C", "P1", "P2", 2],
        ["D", "not admitted", "not in this park", 0],
    ]
    assert list(siting.columns) == ["candidate", "west", "east", "options admitting it"]
    assert kpi_frame(result)["candidates admitted"].tolist() == ["C on P1", "C on P2"]


def test_compare_tells_the_same_exchange_from_two_plots_apart(siting_comparison):
    links = link_matrix(siting_comparison)
    assert links[["link", "west", "east", "options using it"]].values.tolist() == [
        ["C → B (water, pipe; P1 → S2)", 1, 0, 1],
        ["C → B (water, pipe; P2 → S2)", 0, 1, 1],
    ]


def test_compare_draws_each_options_network_where_it_is_solved(siting_comparison):
    pictures = {o["option"]: o["picture"] for o in siting_comparison.options}
    for png in pictures.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert pictures["west"] != pictures["east"]  # C drawn on another plot
    sheet = next(s for s in compare_sheets(siting_comparison) if s.title == "Comparison networks")
    assert [p.caption for p in sheet.pictures] == [
        "west: 1 link, cost 115 EUR/yr, saving 145 EUR/yr against standalone operation; C on P1",
        "east: 1 link, cost 130 EUR/yr, saving 130 EUR/yr against standalone operation; C on P2",
    ]
    assert [p.png for p in sheet.pictures] == [pictures["west"], pictures["east"]]


def _broken_drawing(solution) -> bytes:
    raise RuntimeError("no canvas")


def test_a_picture_that_cannot_be_drawn_leaves_the_design(tmp_path):
    path = park_file(tmp_path, two_firm_park(transport=PIPE))
    result = run_compare(scenario_tasks(path, RunOptions(), draw=_broken_drawing), True, "x")
    (option,) = result.options
    assert option["status"] == "optimal" and option["picture"] is None
    assert option["picture_error"] == "RuntimeError: no canvas"


@pytest.fixture(scope="module")
def fewer_firms(tmp_path_factory):
    """A (100 water) sends 80 to B (5 km east) and 20 to C (5 km north), which pays 8 per t:
    base: baseline 100 + 160 + 160 = 420, links 90 + 60 → cost 150, saving 270 (64 %).
    Scenario "fewer": C becomes a candidate too dear to admit: baseline 100 + 160 = 260,
    cost 110, saving 150 (58 %) — cheaper in total, but it saves less."""
    tables = two_firm_park(
        transport=PIPE,
        scenarios=[
            scenario("fewer", "firms", "C", "status", "set", "candidate"),
            scenario("fewer", "firms", "C", "admission_cost", "set", 10000),
        ],
    )
    tables["firms"].append({"firm_id": "C", "site": "S3"})
    tables["sites"].append({"site_id": "S3", "x_km": 0, "y_km": 5})
    tables["flows"].append(
        {"firm_id": "C", "resource_id": "water", "direction": "demand", "quantity": 20, "price": 8}
    )
    return park_file(tmp_path_factory.mktemp("fewer"), tables)


def test_verdict_weighs_savings_against_each_options_own_baseline(fewer_firms):
    result = run_compare(scenario_tasks(fewer_firms, RunOptions()), True, "scenarios")
    verdict = verdict_frame(result).set_index("metric")
    assert verdict.at["lowest cost", "best option"] == "fewer"
    assert verdict.at["largest cost saving vs standalone", "best option"] == "base"
    assert verdict.at["largest cost saving vs standalone", "value"] == pytest.approx(270)
    assert list(verdict.index) == [
        "lowest cost",
        "largest cost saving vs standalone",
        "least virgin use",
        "largest virgin saving vs standalone",
        "least CO2e",
        "largest CO2e saving vs standalone",
    ]
    assert verdict_lines(result)[0] == (
        "Cost: fewer has the lowest cost (110 EUR/yr) but saves only 150 EUR/yr (58 % of its "
        "standalone 260 EUR/yr); base saves the most against its own standalone operation, "
        "270 EUR/yr (64 % of its standalone 420 EUR/yr). Their parks differ (other firms, "
        "quantities or prices), so the saving is the fair comparison"
    )
    # both buy no water (0 virgin use), but the base saves C's 20 t too
    assert verdict_lines(result)[1] == (
        "Virgin use: base = fewer (tie) have the lowest virgin use (0 units/yr) but fewer "
        "saves only 80 units/yr (100 % of its standalone 80 units/yr); base saves the most "
        "against its own standalone operation, 100 units/yr (100 % of its standalone 100 "
        "units/yr). Their parks differ (other firms, quantities or prices), so the saving is "
        "the fair comparison"
    )
    # C is an existing firm in the base, a candidate kept out in "fewer"
    assert siting_frame(result).values.tolist() == [["C", "existing firm on S3", "not admitted", 0]]


def test_compare_prints_the_verdict_on_stdout(fewer_firms, tmp_path):
    out = tmp_path / "c.xlsx"
    result = run_cli(["compare", str(fewer_firms), "--scenarios", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    verdict = [line for line in result.stdout.splitlines() if line.startswith("verdict: ")]
    assert verdict[0].startswith("verdict: Cost: fewer has the lowest cost (110 EUR/yr)")
    assert [line.split(":")[1] for line in verdict] == [" Cost", " Virgin use", " CO2e"]
    assert "verdict" not in result.stderr
    book = load_workbook(out)
    assert "Comparison siting" in book.sheetnames
    assert len(book["Comparison networks"]._images) == 2


def test_an_uncertainty_row_may_scale_a_profile_share(tmp_path):
    # heat_park (tests/core/test_periods.py): A supplies 500 MWh in each half year, B needs
    # 1 000 MWh, 80 % in winter. The winter share is scaled by k ~ uniform(0.5, 1.2), then
    # B's shares are renormalised: winter 0.8 k / (0.8 k + 0.2), summer 0.2 / (0.8 k + 0.2).
    # Exchanged: min(500, 1 000 × winter) + min(500, 1 000 × summer); B buys the rest at 40.
    from tests.core.test_periods import heat_park

    tables = heat_park()
    tables["uncertainty"] = [uncertain("profiles", "B/heat/demand/winter", "share", p1=0.5, p2=1.2)]
    path = park_file(tmp_path, tables)
    result = run_sweep(path, optimize(load_park(path)), samples=5, seed=3)
    k = np.array([d[0] for d in result.samples["draws"]])
    winter = 0.8 * k / (0.8 * k + 0.2)
    exchanged = np.minimum(500, 1000 * winter) + np.minimum(500, 1000 * (1 - winter))
    np.testing.assert_allclose(result.samples["cost"], 40 * (1000 - exchanged), rtol=1e-6)
