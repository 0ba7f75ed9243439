"""Results leave the model once (docs/results.md): solver noise below the documented
tolerance is reported as 0 everywhere, and every link that carries something is listed."""

from __future__ import annotations

import pytest

from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.records import solution_json
from ecopark_opt.core.solution import ZERO, build_solution
from ecopark_opt.core.solve import SolveResult
from tests.helpers import load_tables, two_firm_park


def noisy_solution(tmp_path, flow: float, build: float, purchase: float, discharge: float):
    """The two-firm park (A supplies 100 t, B demands 80 t) with the given raw values."""
    park = load_tables(tmp_path, two_firm_park())
    links = prepare(park).links
    (link,) = links.index
    values = {
        "Admit": {"A": 1.0, "B": 1.0},
        "Place": {},
        "Build": {link: build},
        "Capacity": {},
        "Flow": {(0, link): flow},
        "Purchase": {(0, "B/water/demand"): purchase},
        "Discharge": {(0, "A/water/supply"): discharge},
    }
    result = SolveResult("optimal", objective=0.0, has_solution=True)
    return build_solution(park, links.copy(), values, result, "cost", {0: "year"})


def test_noise_below_the_tolerance_is_zero_in_rows_links_and_json(tmp_path):
    # 80 t sent; the solver leaves 80 · 1e-9 t bought by B and 100 · 1e-9 t discharged
    # beyond what the balances need: both under ZERO (1e-7 of the row) → 0
    s = noisy_solution(tmp_path, flow=80.0, build=1.0, purchase=8e-8, discharge=20 + 1e-7)
    assert s.rows.loc["B/water/demand", "market"] == 0.0
    assert s.rows.loc["A/water/supply", "market"] == pytest.approx(20 + 1e-7)
    data = solution_json(s)
    assert data["purchases"] == []
    assert [d["quantity"] for d in data["discharges"]] == [pytest.approx(20)]
    # just above the tolerance it is reported as it is
    above = noisy_solution(tmp_path, flow=79.0, build=1.0, purchase=80 * ZERO * 2, discharge=21)
    assert above.rows.loc["B/water/demand", "market"] == pytest.approx(80 * ZERO * 2)


def test_a_flow_on_a_link_whose_binary_rounds_to_zero_is_noise(tmp_path):
    # Build = 3e-7 rounds to 0 but the flow bound U·B lets 80 · 3e-7 t through: noise, not
    # a link that carries something without being built (and counted nowhere)
    s = noisy_solution(tmp_path, flow=80 * 3e-7, build=3e-7, purchase=80, discharge=100)
    assert s.built_links.empty
    assert s.links["sent"].sum() == 0.0
    assert solution_json(s)["links"] == []
