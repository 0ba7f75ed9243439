"""Pareto fronts and near-optimal alternative designs (SPEC §6, §7) on tiny parks.

Every expected number below is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ecopark_opt.analyses.alternatives import alternatives
from ecopark_opt.analyses.pareto import pareto_front, trace_front
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.errors import InputError
from ecopark_opt.outputs.design_sheets import alternatives_sheets, pareto_sheets
from ecopark_opt.outputs.jsonout import alternatives_json, pareto_json
from tests.helpers import two_firm_park

# the lexicographic second stage may use 1e-6 (relative) of the first stage's optimum
APPROX = {"rel": 1e-5, "abs": 1e-4}


def pipe(opex_fixed: float = 0.0, cost_per_unit_km: float = 0.0) -> list[dict[str, Any]]:
    return [
        {
            "mode": "pipe",
            "resources": "*",
            "opex_fixed": opex_fixed,
            "cost_per_unit_km": cost_per_unit_km,
        }
    ]


def three_firm_park() -> dict[str, Any]:
    """A supplies 100 t of water; B (price 2/t) and C (own price 0.5/t) each demand 50 t.

    Discharge costs 1/t; every pipe costs 100/yr and nothing per unit.
    Baseline: A discharges 100 (100) + B buys 50 × 2 (100) + C buys 50 × 0.5 (25) = 225;
    virgin 100.
    - A→B (50 t): saves 50 × (2 + 1) = 150 for 100 → cost 175, virgin 50;
    - A→C (50 t): saves 50 × (0.5 + 1) = 75 for 100 → alone 250, virgin 50;
    - both: 225 − 150 − 75 + 200 = 200, virgin 0; none: 225, virgin 100.
    """
    return {
        "firms": [
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "site": "S3"},
        ],
        "sites": [
            {"site_id": "S1", "x_km": 0, "y_km": 0},
            {"site_id": "S2", "x_km": 5, "y_km": 0},
            {"site_id": "S3", "x_km": 0, "y_km": 5},
        ],
        "resources": [{"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1}],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 50},
            {
                "firm_id": "C",
                "resource_id": "water",
                "direction": "demand",
                "quantity": 50,
                "price": 0.5,
            },
        ],
        "transport": pipe(opex_fixed=100),
    }


def four_firm_park() -> dict[str, Any]:
    """Two suppliers, two consumers, two resources, transport paid per km: a richer front."""
    return {
        "firms": [{"firm_id": f, "site": f"S{f}"} for f in "ABCD"],
        "sites": [
            {"site_id": "SA", "x_km": 0, "y_km": 0},
            {"site_id": "SB", "x_km": 4, "y_km": 0},
            {"site_id": "SC", "x_km": 0, "y_km": 7},
            {"site_id": "SD", "x_km": 9, "y_km": 3},
        ],
        "resources": [
            {
                "resource_id": "water",
                "unit": "m3",
                "virgin_price": 1.5,
                "disposal_cost": 0.5,
                "virgin_co2e": 0.3,
            },
            {
                "resource_id": "heat",
                "unit": "MWh",
                "virgin_price": 30,
                "disposal_cost": 0,
                "virgin_weight": 0.5,
                "virgin_co2e": 200,
            },
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 120},
            {"firm_id": "B", "resource_id": "heat", "direction": "supply", "quantity": 40},
            {"firm_id": "C", "resource_id": "water", "direction": "demand", "quantity": 90},
            {"firm_id": "D", "resource_id": "water", "direction": "demand", "quantity": 60},
            {"firm_id": "C", "resource_id": "heat", "direction": "demand", "quantity": 25},
            {"firm_id": "D", "resource_id": "heat", "direction": "demand", "quantity": 30},
        ],
        "transport": [
            {"mode": "pipe", "resources": "water", "opex_fixed": 40, "cost_per_unit_km": 0.25},
            {
                "mode": "steam",
                "resources": "heat",
                "opex_fixed": 300,
                "cost_per_unit_km": 4,
                "co2e_per_unit_km": 1,
            },
        ],
    }


# --- Pareto front ---------------------------------------------------------------------------


def test_one_costly_link_gives_two_points(load):
    """A→B saves 2 + 1 − 0.5 (5 km × 0.1) = 2.5 per t but costs 250/yr.

    cost-min: no link, cost 100 (discharge) + 160 (buy 80) = 260, virgin 80;
    virgin-min: link with 80 t, cost 260 − 2.5 × 80 + 250 = 310, virgin 0.
    The middle ε = 40 is met cheapest by sending all 80 t again (310, 0): a repeat, merged.
    """
    park = load(two_firm_park(transport=pipe(opex_fixed=250, cost_per_unit_km=0.1)))
    front = pareto_front(park, 3)
    assert [(p["cost"], p["virgin"], p["links"]) for p in pareto_json(front)] == [
        pytest.approx((260.0, 80.0, 0), **APPROX),
        pytest.approx((310.0, 0.0, 1), **APPROX),
    ]
    assert front.dropped == 1
    assert front.model_builds == 1
    assert [p["gap"] for p in pareto_json(front)] == [0.0, 0.0]


def test_same_links_at_different_levels_are_points_of_the_front(load):
    """Free pipe but 1 per t·km: each t sent costs 5 and saves 3 (buy 2 + discharge 1).

    Sending q t: cost 260 + 2q, virgin 80 − q. Five points: ε = 60, 40, 20 between the ends
    (80 and 0) → q = 0, 20, 40, 60, 80 → cost 260, 300, 340, 380, 420.
    """
    park = load(two_firm_park(transport=pipe(cost_per_unit_km=1)))
    data = pareto_json(pareto_front(park, 5))
    assert [p["cost"] for p in data] == pytest.approx([260, 300, 340, 380, 420], **APPROX)
    assert [p["virgin"] for p in data] == pytest.approx([80, 60, 40, 20, 0], **APPROX)
    assert [p["links"] for p in data] == [0, 1, 1, 1, 1]
    assert all(set(p) == {"cost", "virgin", "co2e", "links", "gap"} for p in data)


def test_end_points_are_the_single_objective_optima(load):
    """Cost-min builds A→B only (175, 50); virgin-min builds both (200, 0): see the park."""
    park = load(three_firm_park())
    front = pareto_front(park, 4)
    first, last = front.solutions[0], front.solutions[-1]
    by_cost = optimize(park, RunOptions(objective="cost"))
    by_virgin = optimize(park, RunOptions(objective="virgin"))
    for point, single in ((first, by_cost), (last, by_virgin)):
        for k in ("cost", "virgin", "co2e"):
            assert point.metrics[k]["design"] == pytest.approx(
                single.metrics[k]["design"], **APPROX
            )
        assert point.design_key() == single.design_key()
    assert (first.metrics["cost"]["design"], first.metrics["virgin"]["design"]) == pytest.approx(
        (175, 50), **APPROX
    )
    assert (last.metrics["cost"]["design"], last.metrics["virgin"]["design"]) == pytest.approx(
        (200, 0), **APPROX
    )
    # ε = 100/3 and 50/3 − both need A→C, whose cheapest use is all 50 t: repeats of (200, 0)
    assert len(front.solutions) == 2


def test_front_is_monotone_without_repeats_and_reuse_equals_rebuild(load):
    park = load(four_firm_park())
    front = pareto_front(park, 6, x="cost", y="co2e")
    data = pareto_json(front)
    xs = [p["cost"] for p in data]
    ys = [p["co2e"] for p in data]
    assert len(data) >= 3  # the ends and at least one point between
    assert all(a <= b + 1e-6 for a, b in zip(xs, xs[1:]))  # x non-decreasing
    assert all(a > b + 1e-6 for a, b in zip(ys, ys[1:]))  # y strictly decreasing
    assert len({(round(x, 6), round(y, 6)) for x, y in zip(xs, ys)}) == len(data)
    # end points: the cost optimum and the co2e optimum (ties by cost)
    assert xs[0] == pytest.approx(optimize(park).metrics["cost"]["design"], **APPROX)
    assert ys[-1] == pytest.approx(
        optimize(park, RunOptions(objective="co2e")).metrics["co2e"]["design"], **APPROX
    )
    # rebuilding the model for every point gives the same front, with one build per solve
    rebuilt = trace_front(park, 6, x="cost", y="co2e", reuse_model=False)
    assert pareto_json(rebuilt) == [pytest.approx(p, **APPROX) for p in data]
    assert front.model_builds == 1 and rebuilt.model_builds == 6


def test_other_axes_and_a_single_point(load):
    """x = virgin, y = cost on the three-firm park: the least-virgin design first (0, 200),
    then the least-cost one (50, 175); one point asked gives the least-virgin design only."""
    park = load(three_firm_park())
    data = pareto_json(pareto_front(park, 3, x="virgin", y="cost"))
    assert [(p["virgin"], p["cost"]) for p in data] == [
        pytest.approx((0, 200), **APPROX),
        pytest.approx((50, 175), **APPROX),
    ]
    single = pareto_json(pareto_front(park, 1, x="virgin", y="cost"))
    assert [(p["virgin"], p["cost"]) for p in single] == [pytest.approx((0, 200), **APPROX)]


def test_bad_front_arguments_are_input_errors(load):
    park = load(three_firm_park())
    with pytest.raises(InputError, match="different metrics"):
        pareto_front(park, 3, x="cost", y="cost")
    with pytest.raises(InputError, match="choose one of"):
        pareto_front(park, 3, y="water")
    with pytest.raises(InputError, match="at least 1 point"):
        pareto_front(park, 0)


def test_pareto_sheets(load):
    park = load(three_firm_park())
    front = pareto_front(park, 3)
    table, links = pareto_sheets(front)
    assert table.title == "Pareto" and links.title == "Pareto links"
    assert table.chart.kind == "scatter"
    assert table.chart.x == "cost [EUR/yr]" and table.chart.y == ("virgin [units/yr]",)
    assert {"cost [EUR/yr]", "virgin [units/yr]", "co2e [kg CO2e/yr]", "links used", "gap"} <= set(
        table.frame.columns
    )
    assert list(table.frame["cost [EUR/yr]"]) == pytest.approx([175, 200], **APPROX)
    # A→B in both points, A→C only once virgin use is pushed to 0
    matrix = links.frame.set_index("receiver")[["point 1", "point 2"]]
    assert matrix.loc["B"].tolist() == [1, 1]
    assert matrix.loc["C"].tolist() == [0, 1]


# --- alternatives -----------------------------------------------------------------------------


def link_set(record: dict) -> frozenset:
    return frozenset((link["supplier"], link["receiver"]) for link in record["links"])


def test_alternatives_within_the_bound_and_fewer_than_asked(load):
    """Optimum {A→B} costs 175. Within 30 % (≤ 227.5): no link (225) and both links (200) fit,
    A→C alone (250) does not. Least overlap with {A→B} first: no link, then both links."""
    park = load(three_firm_park())
    result = alternatives(park, 5, 30)
    data = alternatives_json(result)
    assert result.optimum.metrics["cost"]["design"] == pytest.approx(175, **APPROX)
    assert result.cost_bound == pytest.approx(227.5, **APPROX)
    assert [link_set(d) for d in data] == [frozenset(), frozenset({("A", "B"), ("A", "C")})]
    assert [d["cost"] for d in data] == pytest.approx([225, 200], **APPROX)
    assert [d["virgin"] for d in data] == pytest.approx([100, 0], **APPROX)
    assert "no further design" in result.stopped
    assert set(data[1]["links"][0]) == {
        "supplier",
        "receiver",
        "from_resource",
        "to_resource",
        "mode",
        "from_site",
        "to_site",
        "distance_km",
        "sent",
        "delivered",
        "annual_cost",
    }


def test_alternatives_are_distinct_cheap_enough_and_use_their_links(load):
    """Four-firm park: baseline = optimum (no link pays for itself) = water 90 × 1.5 + 60 × 1.5
    + heat 25 × 30 + 30 × 30 + discharge 120 × 0.5 = 1935; within 25 %: ≤ 2418.75.

    Cheapest first alternative: A→C (7 km) fully used, 90 m3: 1935 − 90 × (1.5 + 0.5) + 40
    + 90 × 0.25 × 7 = 1952.5. A→D (√90 = 9.487 km) alone must carry its full 60 m3 (not a
    trickle): 1935 − 60 × 2 + 40 + 60 × 0.25 × 9.487 = 1997.30.
    """
    park = load(four_firm_park())
    result = alternatives(park, 4, 25)
    best = result.optimum.metrics["cost"]["design"]
    assert best == pytest.approx(1935, **APPROX)
    assert result.optimum.built_links.empty
    sets = [frozenset()]
    for design in result.alternatives:
        assert design.metrics["cost"]["design"] <= 2418.75 + 1e-6
        sets.append(frozenset(zip(design.built_links["supplier"], design.built_links["receiver"])))
    assert len(result.alternatives) == 4
    assert len(set(sets)) == len(sets)
    first = result.alternatives[0]
    assert sets[1] == {("A", "C")}
    assert first.built_links["sent"].tolist() == pytest.approx([90], abs=1e-3)
    assert first.metrics["cost"]["design"] == pytest.approx(1952.5, **APPROX)
    to_d = [d for d, s in zip(result.alternatives, sets[1:]) if s == {("A", "D")}]
    assert len(to_d) == 1
    assert to_d[0].built_links["sent"].tolist() == pytest.approx([60], abs=1e-3)
    assert to_d[0].metrics["cost"]["design"] == pytest.approx(
        1935 - 120 + 40 + 15 * 90**0.5, rel=1e-5
    )


def test_no_slack_no_alternative(load):
    """Within 0 % only designs costing exactly 175 qualify: {A→B} is the only one."""
    result = alternatives(load(three_firm_park()), 2, 0)
    assert result.alternatives == [] and alternatives_json(result) == []
    assert result.stopped


def test_alternatives_sheet(load):
    result = alternatives(load(three_firm_park()), 2, 30)
    (sheet,) = alternatives_sheets(result)
    frame = sheet.frame.set_index("item")
    assert list(frame.columns) == ["optimum", "alternative 1", "alternative 2"]
    assert frame.loc["cost [EUR/yr]"].tolist() == pytest.approx([175, 225, 200], **APPROX)
    # (225 − 175) / 175 = 28.57 %, (200 − 175) / 175 = 14.29 %
    assert frame.loc["cost vs optimum [%]"].tolist() == pytest.approx(
        [0, 100 * 50 / 175, 100 * 25 / 175], **APPROX
    )
    assert frame.loc["links used"].tolist() == [1, 0, 2]
    to_c = [i for i in frame.index if i.startswith("link A → C")]
    assert len(to_c) == 1 and frame.loc[to_c[0]].tolist() == [0, 0, 1]
