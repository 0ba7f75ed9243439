"""Numerics: quantities from 1e-3 to 1e7 in one park, and the warning for wide ranges."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.core.solve import WIDE_MATRIX_RANGE, numeric_warnings
from tests.checker import check_design
from tests.helpers import built, park_file, row, solve_tables

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
    # link bounds from 1e-3 (catalyst) and 2.5e-3 (A→C water) to 4e6 (A→B water): 4e6/1e-3
    assert any("constraint coefficients span 4e+09" in w for w in s.result.warnings)


def test_wide_range_warning_is_printed_by_the_cli(tmp_path):
    path = park_file(tmp_path, mixed_park())
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    assert "warning: the model's constraint coefficients span 4e+09" in result.output


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
