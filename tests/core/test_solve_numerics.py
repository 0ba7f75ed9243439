"""Numerics: quantities and prices far apart in one park are solved in balanced units
(docs/model.md, solving), exactly, and a design that misses its rows would be flagged."""

from __future__ import annotations

import numpy as np
import pytest

from ecopark_opt.core.solve import WIDE_MATRIX_RANGE, numeric_warnings
from tests.checker import check_design
from tests.helpers import built, row, solve_tables

approx = lambda x: pytest.approx(x, rel=1e-9, abs=1e-12)  # noqa: E731


def mixed_park() -> dict:
    """Bulk water and a trace catalyst in one park.

    A at S1 = (0, 0) supplies 1e7 t of water and 1e-3 kg of catalyst; B at S2 = (3, 4), 5 km
    away, demands 4e6 t of water and 2e-3 kg of catalyst; C at S3 = (6, 8), 10 km from A,
    demands 2.5e-3 t of water. Water: buy 2/t, discharge 1/t, by pipe (1000/yr per link,
    0.01 per t·km). Catalyst: buy 5000/kg, discharge 100/kg, by courier (no fixed cost, 1
    per kg·km).
    """
    return {
        "firms": [{"firm_id": f, "site": s} for f, s in (("A", "S1"), ("B", "S2"), ("C", "S3"))],
        "sites": [
            {"site_id": "S1", "x_km": 0, "y_km": 0},
            {"site_id": "S2", "x_km": 3, "y_km": 4},
            {"site_id": "S3", "x_km": 6, "y_km": 8},
        ],
        "resources": [
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "catalyst", "unit": "kg", "virgin_price": 5000, "disposal_cost": 100},
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 1e7},
            {"firm_id": "A", "resource_id": "catalyst", "direction": "supply", "quantity": 1e-3},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 4e6},
            {"firm_id": "B", "resource_id": "catalyst", "direction": "demand", "quantity": 2e-3},
            {"firm_id": "C", "resource_id": "water", "direction": "demand", "quantity": 2.5e-3},
        ],
        "transport": [
            {"mode": "pipe", "resources": "water", "opex_fixed": 1000, "cost_per_unit_km": 0.01},
            {"mode": "courier", "resources": "catalyst", "cost_per_unit_km": 1},
        ],
    }


def test_tiny_and_huge_quantities_solve_exactly(tmp_path):
    tables = mixed_park()
    s = solve_tables(tmp_path, tables, mip_gap=0.0)
    assert s.status == "optimal"
    # water A→B: 4e6 t saves 2 + 1 − 0.01 × 5 = 2.95/t, far above the 1000/yr pipe.
    # water A→C: 2.5e-3 t would save 2.5e-3 × (3 − 0.1) ≈ 0.007 < 1000: C buys.
    # catalyst A→B: all 1e-3 kg (saves 5100 − 5 per kg), B buys the other 1e-3 kg.
    assert built(s) == {("A", "B", "pipe"), ("A", "B", "courier")}
    links = s.built_links.set_index("mode")
    assert links.at["pipe", "sent"] == approx(4e6)
    assert links.at["courier", "sent"] == approx(1e-3)
    assert row(s, "A", "water", "supply")["market"] == approx(6e6)
    assert row(s, "A", "catalyst", "supply")["market"] == approx(0)
    assert row(s, "B", "water", "demand")["market"] == approx(0)
    assert row(s, "B", "catalyst", "demand")["market"] == approx(1e-3)
    assert row(s, "C", "water", "demand")["market"] == approx(2.5e-3)
    # baseline: 1e7 × 1 + 1e-3 × 100 + 4e6 × 2 + 2e-3 × 5000 + 2.5e-3 × 2 = 18 000 010.105
    # design: pipe 1000 + 4e6 × 0.05 = 201 000; courier 1e-3 × 5 = 0.005; A discharges
    # 6e6 × 1; B buys 1e-3 × 5000 = 5; C buys 0.005 → 6 201 005.01
    assert s.metrics["cost"]["baseline"] == pytest.approx(18_000_010.105, rel=1e-12)
    assert s.metrics["cost"]["design"] == pytest.approx(6_201_005.01, rel=1e-12)
    assert s.result.objective == pytest.approx(6_201_005.01 - 18_000_010.105, rel=1e-9)
    # every balance closes to 1e-6 of its own quantity, the trace rows included
    check = check_design(tables, s)
    assert check.problems == []
    assert check.cost == pytest.approx(6_201_005.01, rel=1e-12)
    # link bounds from 1e-3 (catalyst) and 2.5e-3 (A→C water) to 4e6 (A→B water) span
    # 4e9: solved in balanced units, and exact in the workbook's units (no warning)
    assert s.result.extra.get("scaled") is True
    assert s.result.warnings == []


def bulk_park(tonnes: float) -> dict:
    """Ordinary water and heat links beside a bulk stream of ``tonnes`` t/yr.

    A (x=0) supplies 700 t water to B (x=1, demands 650); B supplies 90 MWh heat to C (x=2,
    demands 80); C supplies ``tonnes`` of bulk sand to D (x=3), who demands as much. Water
    2/t to buy, 1/t to discharge; heat 30/MWh; pipes (water, heat) 300/yr + 0.05 per unit·km;
    sand costs 3000 / ``tonnes`` per t to buy and 1000 / ``tonnes`` per t to discharge (the
    same 4 000 a year, whatever the unit), by belt at 300/yr.
    """
    return {
        "firms": [{"firm_id": f, "site": f"S{f}"} for f in "ABCD"],
        "sites": [{"site_id": f"S{f}", "x_km": i, "y_km": 0} for i, f in enumerate("ABCD")],
        "resources": [
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "heat", "unit": "MWh", "virgin_price": 30, "disposal_cost": 0},
            {
                "resource_id": "sand",
                "unit": "t",
                "virgin_price": 3000 / tonnes,
                "disposal_cost": 1000 / tonnes,
            },
        ],
        "flows": [
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 700},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 650},
            {"firm_id": "B", "resource_id": "heat", "direction": "supply", "quantity": 90},
            {"firm_id": "C", "resource_id": "heat", "direction": "demand", "quantity": 80},
            {"firm_id": "C", "resource_id": "sand", "direction": "supply", "quantity": tonnes},
            {"firm_id": "D", "resource_id": "sand", "direction": "demand", "quantity": tonnes},
        ],
        "transport": [
            {
                "mode": "pipe",
                "resources": "water,heat",
                "opex_fixed": 300,
                "cost_per_unit_km": 0.05,
            },
            {"mode": "belt", "resources": "sand", "opex_fixed": 300},
        ],
    }


@pytest.mark.parametrize("tonnes", [1e3, 1e12, 1e15])
def test_a_bulk_stream_at_a_tiny_price_gives_the_same_design_in_any_unit(tmp_path, tonnes):
    # water: 650 × (2 + 1 − 0.05) − 300 = 1 617.5 saved; heat: 80 × (30 − 0.05) − 300
    # = 2 096; sand: 4 000 − 300 = 3 700 (1e12 t at 3e-9 + 1e-9 per t is still 4 000 a
    # year, the belt pays): 7 413.5 saved, with every link built, whatever the unit of sand.
    # Solved in the workbook's units, HiGHS's tolerance (1e-7 per unit) hid the sand link.
    for gap in (1e-4, 0.0):
        s = solve_tables(tmp_path, bulk_park(tonnes), f"{tonnes:g}_{gap}.xlsx", mip_gap=gap)
        assert s.status == "optimal"
        assert s.objective_value == pytest.approx(-7413.5, rel=1e-9)
        assert set(zip(s.built_links["supplier"], s.built_links["receiver"])) == {
            ("A", "B"),
            ("B", "C"),
            ("C", "D"),
        }
        assert s.built_links.set_index("receiver").at["D", "sent"] == pytest.approx(tonnes)
        assert s.result.warnings == []


def test_a_design_that_misses_its_rows_in_the_workbooks_units_is_flagged():
    from scipy.sparse import csc_matrix

    from ecopark_opt.core.solve import inexact

    # x + y = 1e12 (a balance) with x = 1e12, y = 1e6: off by 1e6, i.e. 1e-6 of its size
    A = csc_matrix(np.array([[1.0, 1.0]]))
    x = np.array([1e12, 2e6])
    lines = inexact(
        A,
        x,
        np.array([1e12]),
        np.array([1e12]),
        np.zeros(2),
        np.full(2, 1e12),
        ["the model's quantities and bounds span 1e+12"],
    )
    assert len(lines) == 1 and "misses 1 constraint(s) by up to 2.0e-06" in lines[0]
    assert (
        inexact(
            A,
            np.array([1e12, 0.0]),
            np.array([1e12]),
            np.array([1e12]),
            np.zeros(2),
            np.full(2, 1e12),
            [],
        )
        == []
    )


def test_ordinary_park_has_no_numerics_warning(tmp_path):
    from tests.helpers import two_firm_park

    # the matrix holds 1 (balances) and U = 80 (link bound): a span of 80
    s = solve_tables(tmp_path, two_firm_park())
    assert s.result.warnings == []


def test_numeric_warnings_thresholds():
    # coefficients 1 … 1e9 are fine (span exactly 1e9); 1e-3 … 1e7 are not (1e10)
    assert numeric_warnings(np.array([1.0, -1e9, 0.0]), np.array([1.0])) == []
    lines = numeric_warnings(np.array([1e-3, 1e7]), np.array([5.0]))
    assert len(lines) == 1 and "span 1e+10 (from 0.001 to 1e+07)" in lines[0]
    assert WIDE_MATRIX_RANGE == 1e9
    # quantities and bounds: infinite bounds and zeros are ignored; 1e-4 … 1e7 is 1e11
    lines = numeric_warnings(np.array([1.0]), np.array([0.0, np.inf, -np.inf, 1e-4, 1e7]))
    assert len(lines) == 1 and "quantities and bounds span 1e+11" in lines[0]
    # prices and costs: 3e-9 … 30 is 1e10
    lines = numeric_warnings(np.array([1.0]), np.array([1.0]), np.array([3e-9, 30.0]))
    assert len(lines) == 1 and "prices and costs span 1e+10" in lines[0]
