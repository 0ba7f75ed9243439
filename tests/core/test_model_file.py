"""The model written for another solver (`solve --write-model`, docs/cli.md): exactly what
HiGHS is given, so HiGHS alone reading the file finds the tool's optimum."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest

from ecopark_opt.core import decompose
from ecopark_opt.core.model_file import write_park_model
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.solve import file_names, write_model
from tests.core.test_formulation import pipe, two_resources
from tests.core.test_solve_numerics import mixed_park
from tests.helpers import two_firm_park

EXACT = RunOptions(mip_gap=1e-9, time_limit=30)


def highs_alone(path: Path) -> highspy.Highs:
    """A fresh HiGHS that reads the file and solves it to optimality."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h


def column_names(h: highspy.Highs) -> list[str]:
    return [h.getColName(j)[1] for j in range(h.getNumCol())]


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_highs_alone_on_the_file_finds_the_tool_optimum_with_the_baseline_as_constant(
    load, tmp_path, suffix
):
    # A sends B 80 t of water on the cost-free default pipeline: the design costs 20 t
    # discharged = 20; standalone, B buys 80 × 2 and A discharges 100 × 1 = 260
    park = load(two_firm_park())
    tool = optimize(park, EXACT)
    assert tool.objective_value == pytest.approx(20 - 260)
    path = tmp_path / f"park{suffix}"
    info = write_park_model(park, EXACT, path)
    h = highs_alone(path)
    assert h.getInfo().objective_function_value == pytest.approx(tool.objective_value)
    # the objective's constant is minus the baseline of the firms always in the park: a
    # solver that drops it reports the design's cost, 20
    assert h.getLp().offset_ == pytest.approx(-260.0)
    assert info.objective_constant == pytest.approx(-260.0)
    assert h.getInfo().objective_function_value - h.getLp().offset_ == pytest.approx(20.0)
    assert (info.rows, info.columns, info.integers) == (h.getNumRow(), h.getNumCol(), 1)
    assert {"Build(0)", "Flow(0,0)", "Purchase(0,B_water_demand)"} <= set(column_names(h))


def test_a_decomposed_park_is_written_as_its_one_whole_model(load, tmp_path, monkeypatch):
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # two pieces, solved apart
    park = load(two_resources())
    tool = optimize(park, EXACT)
    assert tool.result.extra["pieces solved"] == 2
    path = tmp_path / "whole.mps"
    write_park_model(park, EXACT, path)
    h = highs_alone(path)
    # both components' links in one file; its optimum is the sum of theirs (see two_resources)
    assert {"Build(0)", "Build(1)"} <= set(column_names(h))
    assert h.getInfo().objective_function_value == pytest.approx(-440.0)
    assert tool.objective_value == pytest.approx(-440.0)


def test_links_pruned_before_the_solve_are_not_in_the_file(load, tmp_path):
    # a pipe whose 300 a year the link's 240 of saving can never pay: pruned
    park = load(two_firm_park(transport=[pipe(300)]))
    pruned = write_park_model(park, EXACT, tmp_path / "pruned.lp")
    whole = write_park_model(park, RunOptions(prune=False), tmp_path / "whole.lp")
    assert (pruned.integers, whole.integers) == (0, 1)
    assert "Build(0)" not in column_names(highs_alone(tmp_path / "pruned.lp"))
    assert highs_alone(tmp_path / "whole.lp").getInfo().objective_function_value == (
        pytest.approx(0.0, abs=1e-9)
    )


def test_a_park_solved_in_balanced_units_is_written_in_them(load, tmp_path):
    park = load(mixed_park())  # 1e7 t of water next to 1e-3 kg of catalyst
    tool = optimize(park, RunOptions(mip_gap=0.0, time_limit=30))
    info = write_park_model(park, EXACT, tmp_path / "mixed.mps")
    assert info.balanced and info.user_bound_scale == 0
    h = highs_alone(tmp_path / "mixed.mps")
    # balanced units change the columns' units, not the objective's value
    assert h.getInfo().objective_function_value == pytest.approx(tool.objective_value, rel=1e-9)
    # each flow in units of its bound rounded to a power of two: water A → B, 4e6 t of a
    # bound of 4e6 t, in units of 2^22 t; catalyst A → B, 1e-3 kg of 1e-3, in units of 2^-10
    flows = dict(zip(column_names(h), h.getSolution().col_value))
    sent = sorted(v for name, v in flows.items() if name.startswith("Flow(") and v > 0)
    assert sent == pytest.approx([4e6 / 2**22, 1e-3 / 2**-10], rel=1e-6)


def test_the_objective_written_is_the_chosen_one(load, tmp_path):
    # virgin use: B buys nothing once A's 100 t cover its 80 t, against 80 t standalone
    park = load(two_firm_park())
    write_park_model(park, RunOptions(objective="virgin"), tmp_path / "virgin.lp")
    h = highs_alone(tmp_path / "virgin.lp")
    assert h.getInfo().objective_function_value == pytest.approx(-80.0)
    assert h.getLp().offset_ == pytest.approx(-80.0)


def test_names_are_what_an_lp_file_allows_and_stay_unique():
    names = ["Flow[0,12]", "Purchase[0,'B/water/demand']", "Purchase[0,'B water demand']", "x"]
    assert file_names(names) == [
        "Flow(0,12)",
        "Purchase(0,B_water_demand)",
        "Purchase(0,B_water_demand)_2",
        "x",
    ]


def test_only_mps_and_lp_are_written(load, tmp_path):
    from ecopark_opt.core.optimize import prepare

    with pytest.raises(ValueError, match="ends in .mps or .lp"):
        write_model(prepare(load(two_firm_park())).m, tmp_path / "model.txt")
    assert not (tmp_path / "model.txt").exists()
