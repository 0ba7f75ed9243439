"""The value of each candidate firm's decision (analyses/candidates.py): a re-solve with the
decision flipped, shown with what is proved when a solve stops within its gap, in the time
the command has left (docs/cli.md: --time-limit bounds the whole command)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecopark_opt.analyses.candidates import candidate_values
from ecopark_opt.core import optimize as optimize_module
from ecopark_opt.core.optimize import RunOptions, design_park
from ecopark_opt.core.park_model import ParkModel
from ecopark_opt.core.solve import SolveOptions
from tests.core.test_candidates import candidate_park
from tests.helpers import load_tables


def designed(tmp_path, admission_cost: float = 140, name: str = "park.xlsx"):
    park = load_tables(tmp_path, candidate_park(admission_cost), name)
    return design_park(park, RunOptions(mip_gap=0.0))


def test_an_exact_value_and_its_words(tmp_path):
    # admission 140: admitted, objective −10 (see test_candidates); kept out: 0 → value +10
    model, design = designed(tmp_path)
    (row,) = candidate_values(model, design).to_dict("records")
    assert row["admitted"] and row["value"] == pytest.approx(10)
    assert row["value_low"] == pytest.approx(10) and row["value_high"] == pytest.approx(10)
    assert row["note"] == "keeping it out would worsen the objective by this much"


@pytest.mark.parametrize(
    ("bound", "words"),
    [
        # the design (objective −10) proved only ≥ −15: the value is in [10, 15]
        (-15, "keeping it out would worsen the objective by between the low and high values"),
        # proved only ≥ −30: the value is in [10, 30], still positive
        (-30, "keeping it out would worsen the objective by between the low and high values"),
    ],
)
def test_a_design_within_its_gap_gives_an_interval(tmp_path, bound, words):
    model, design = designed(tmp_path)
    design.result = replace(design.result, bound=bound, status="time_limit")
    (row,) = candidate_values(model, design).to_dict("records")
    assert row["value_low"] == pytest.approx(10)
    assert row["value_high"] == pytest.approx(0 - bound)  # kept out: 0, proved exactly
    assert row["note"] == words


def test_a_negative_value_is_never_explained_as_a_loss(tmp_path, monkeypatch):
    # The design reports −10, the re-solve without C finds −12 (a better design the first
    # solve missed within its gap): the value −2 says the design is not optimal for this
    # choice; a re-solve proved only ≥ −14 would leave both signs possible: "not proved".
    model, design = designed(tmp_path)
    real_run = ParkModel.run

    def run(self, options, objective=-12.0, bound=-12.0):
        result = real_run(self, options)
        return replace(result, objective=objective, bound=bound)

    monkeypatch.setattr(ParkModel, "run", run)
    (row,) = candidate_values(model, design).to_dict("records")
    assert row["value"] == pytest.approx(-2)
    assert row["note"].startswith("keeping it out would improve the objective")
    monkeypatch.setattr(ParkModel, "run", lambda self, o: run(self, o, -9.0, -14.0))
    (row,) = candidate_values(model, design).to_dict("records")
    assert row["value_low"] == pytest.approx(-4) and row["value_high"] == pytest.approx(1)
    assert row["note"].startswith("not proved")


def test_the_candidates_share_the_time_left_and_stop_at_the_limit(tmp_path, monkeypatch):
    # A fake clock: the command started at t = 0 with a 30 s limit and the design is done at
    # t = 12. Four candidates share the 18 s left: the first gets 18/4 = 4.5 s and uses it,
    # the second 13.5/3 = 4.5 s, the third 9/2 = 4.5 s but runs 11.5 s (to t = 32.5), so
    # nothing is left for the fourth (less than 1 s): it is not valued.
    tables = candidate_park(140)
    c = tables["firms"][1]
    tables["firms"] += [dict(c, firm_id="C2"), dict(c, firm_id="C3"), dict(c, firm_id="C4")]
    tables["flows"] += [dict(tables["flows"][1], firm_id=f) for f in ("C2", "C3", "C4")]
    park = load_tables(tmp_path, tables)
    model, design = design_park(park, RunOptions(mip_gap=0.0))
    clock = [12.0]
    monkeypatch.setattr(optimize_module.time, "monotonic", lambda: clock[0])
    limits = []
    real_run = ParkModel.run

    def run(self, options):
        limits.append(options.time_limit)
        clock[0] += options.time_limit if len(limits) < 3 else 11.5
        return real_run(self, options)

    monkeypatch.setattr(ParkModel, "run", run)
    progress: list[str] = []
    values = candidate_values(
        model, design, RunOptions(time_limit=30, started=0.0), progress.append
    )
    # 5 % of the 30 s is kept for the report: 28.5 − 12 = 16.5 left for 4 re-solves, …
    assert limits == pytest.approx([16.5 / 4, (28.5 - 16.125) / 3, (28.5 - 20.25) / 2])
    assert values["note"].iloc[-1] == "not valued: the time limit was reached"
    assert len(progress) == 3 and progress[0].startswith("candidate 1/4: C")


def test_each_re_solve_starts_from_the_design_with_the_decision_flipped(tmp_path, monkeypatch):
    # admission 140: C is admitted with the link A→C; kept out, the start has C out and the
    # link unbuilt (A discharges what it sent: HiGHS completes the flows), without probing
    model, design = designed(tmp_path)
    (link,) = [l for l in model.m.BUILT_LINKS if round(model.m.Build[l].value)]
    seen = []
    real_run = ParkModel.run

    def run(self, options):
        m = self.m
        seen.append((options.warm_start, options.probing, m.Admit["C"].value, m.Build[link].value))
        return real_run(self, options)

    monkeypatch.setattr(ParkModel, "run", run)
    (row,) = candidate_values(model, design).to_dict("records")
    assert seen == [(True, False, 0, 0)]
    assert row["value"] == pytest.approx(10)


def test_a_candidate_forced_in_starts_on_the_cheapest_plot_with_room(tmp_path):
    # C1 sits on P1 in the design; forcing the rejected C2 in puts it on the cheapest plot
    # with room among those it may use: P1 is full, P3 not allowed → P2
    tables = candidate_park(140)
    tables["sites"] += [
        {"site_id": p, "x_km": 0, "y_km": y, "kind": "plot", "site_cost": cost}
        for p, y, cost in (("P1", 1, 0), ("P2", 2, 30), ("P3", 3, 10))
    ]
    tables["firms"] += [
        {"firm_id": "C1", "status": "candidate", "admission_cost": -5},
        {
            "firm_id": "C2",
            "status": "candidate",
            "admission_cost": 1000,
            "allowed_sites": "P1,P2",
        },
    ]
    model, design = design_park(load_tables(tmp_path, tables), RunOptions(mip_gap=0.0))
    assert design.firms.at["C1", "site"] == "P1" and not design.firms.at["C2", "admitted"]
    m = model.m
    start = model.values()
    with model.fixed(admit={"C2": 1}):
        model.start_flipped(start, "C2", True)
        assert {s: m.Place["C2", s].value for s in ("P1", "P2")} == {"P1": 0, "P2": 1}
        assert m.Place["C1", "P1"].value == 1
        result = model.run(SolveOptions(mip_gap=0.0, warm_start=True))
    # the re-solve from that start does better: C2 takes P1 (no site cost) and C1 leaves
    # (its −5 does not pay P3's 10): −10 (C, as designed) + 1000 = 990
    assert design.objective_value == pytest.approx(-15)
    assert result.objective == pytest.approx(990)
