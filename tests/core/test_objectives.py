"""Objectives and metrics of the model (docs/model.md): cost, virgin use, CO2e and the weighted
sum, each against the standalone baseline; ties broken by cost; every metric recomputed
independently.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import math

import pytest

from tests.core.parks import WATER, approx, firms, flows, mode, sites
from tests.helpers import built, row, solve_tables, two_firm_park

# --- objectives ----------------------------------------------------------------------------


def two_supplier_park() -> dict:
    """A1 (5 km) and A2 (10 km) each supply 100 t water; B demands 80 t.
    Pipe: 300/yr per link + 0.1 per t·km. Baseline 100 + 100 + 160 = 360."""
    return two_firm_park(
        firms=firms(A1="S1", A2="S3", B="S2"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(15, 0)),
        flows=flows(
            ("A1", WATER, "supply", 100), ("A2", WATER, "supply", 100), ("B", WATER, "demand", 80)
        ),
        transport=[mode(opex_fixed=300, cost_per_unit_km=0.1)],
    )


def test_cost_objective_skips_links_that_do_not_pay(tmp_path):
    # via A1: 300 + 80 × 0.5 = 340 > 80 × 3 = 240 saved → standalone, cost 360
    s = solve_tables(tmp_path, two_supplier_park())
    assert built(s) == set()
    assert s.metrics["cost"]["design"] == approx(360)
    assert s.objective_value == approx(0)


def test_virgin_objective_breaks_ties_by_cost(tmp_path):
    # Virgin 0 needs all 80 t delivered; one link either way has virgin 0.
    # via A1: 300 + 80 × 0.5 + A1 discharges 20 + A2 discharges 100 = 460
    # via A2: 300 + 80 × 1.0 + 100 + 20 = 500 → the tie-break picks A1.
    # objective: virgin 0 − 80 = −80.
    s = solve_tables(tmp_path, two_supplier_park(), objective="virgin")
    assert s.objective == "virgin"
    assert built(s) == {("A1", "B", "pipe")}
    assert s.metrics["virgin"] == {"design": approx(0), "baseline": approx(80)}
    assert s.metrics["cost"]["design"] == approx(460)
    assert s.objective_value == approx(-80)


@pytest.mark.parametrize(
    ("objective", "sent", "co2e"),
    [
        # cost: the free pipe saves 3 per t → 80 t; co2e = 80 × 2.5 = 200
        ("cost", 80.0, 200.0),
        # co2e: each t sent emits 2.5 kg but saves only 1 kg of virgin → no link, co2e 80
        ("co2e", 0.0, 80.0),
    ],
)
def test_co2e_objective(tmp_path, objective, sent, co2e):
    tables = two_firm_park(
        resources=[{"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1, "virgin_co2e": 1}],
        transport=[mode(co2e_per_unit_km=0.5)],
        settings={"objective": objective},
    )
    s = solve_tables(tmp_path, tables)
    assert s.objective == objective
    assert s.links["sent"].sum() == approx(sent)
    # baseline co2e 80 × 1 = 80
    assert s.metrics["co2e"] == {"design": approx(co2e), "baseline": approx(80)}
    if objective == "co2e":
        assert s.objective_value == approx(0)


@pytest.mark.parametrize(
    ("weight_virgin", "links", "objective_value"),
    [
        # link (opex 300): Δcost = 300 + 20 − 260 = +60, Δvirgin = −80.
        # w = 1: 60 − 80 = −20 < 0 → build; objective −20
        (1.0, {("A", "B", "pipe")}, -20.0),
        # w = 0.5: 60 − 40 = +20 > 0 → standalone; objective 0
        (0.5, set(), 0.0),
    ],
)
def test_weighted_objective(tmp_path, weight_virgin, links, objective_value):
    tables = two_firm_park(
        transport=[mode(opex_fixed=300)],
        settings={"objective": "weighted", "weight_cost": 1, "weight_virgin": weight_virgin},
    )
    s = solve_tables(tmp_path, tables)
    assert s.objective == "weighted"
    assert built(s) == links
    assert s.objective_value == approx(objective_value)
    assert s.result.objective == approx(objective_value)


def test_weighted_objective_with_co2e_weight(tmp_path):
    # the pipe costs 100/yr, emits 2.5 kg per t sent; water virgin 1 kg/t, disposal 3 kg/t.
    # link: Δcost = 100 + 20 − 260 = −140; Δco2e = (200 + 60) − (80 + 300) = −120.
    # weights cost 0.5, co2e 2: 0.5 × −140 + 2 × −120 = −310.
    tables = two_firm_park(
        resources=[
            {
                "resource_id": WATER,
                "virgin_price": 2,
                "disposal_cost": 1,
                "virgin_co2e": 1,
                "disposal_co2e": 3,
            }
        ],
        transport=[mode(opex_fixed=100, co2e_per_unit_km=0.5)],
        settings={"objective": "weighted", "weight_cost": 0.5, "weight_co2e": 2},
    )
    s = solve_tables(tmp_path, tables)
    assert s.objective_value == approx(-310)


# --- metrics recomputed independently ------------------------------------------------------


def test_metrics_match_an_independent_recomputation(tmp_path):
    """Three firms, two resources, a substitution, capex, transport, co2e: recompute every
    metric from the tables of this test and the design's quantities."""
    resources = {
        WATER: {
            "virgin_price": 2.0,
            "disposal_cost": 1.0,
            "virgin_co2e": 0.5,
            "disposal_co2e": 0.2,
            "virgin_weight": 1.0,
        },
        "fly_ash": {
            "virgin_price": 30.0,
            "disposal_cost": 20.0,
            "virgin_co2e": 0.0,
            "disposal_co2e": 5.0,
            "virgin_weight": 1.0,
        },
        "clinker": {
            "virgin_price": 60.0,
            "disposal_cost": 0.0,
            "virgin_co2e": 800.0,
            "disposal_co2e": 0.0,
            "virgin_weight": 2.0,
        },
    }
    pipe = {
        "capex_fixed": 500.0,
        "capex_per_km": 100.0,
        "opex_fixed": 20.0,
        "cost_per_unit_km": 0.05,
        "co2e_per_unit_km": 0.3,
    }
    subst = {"ratio": 0.8, "treatment_cost": 5.0, "treatment_co2e": 10.0}
    quantities = {
        ("A", WATER, "supply"): 100.0,
        ("A", "fly_ash", "supply"): 60.0,
        ("B", WATER, "demand"): 80.0,
        ("B", "clinker", "demand"): 40.0,
        ("C", WATER, "demand"): 30.0,
        ("C", "fly_ash", "demand"): 20.0,
    }
    tables = {
        "firms": firms(A="S1", B="S2", C="S3"),
        "sites": sites(S1=(0, 0), S2=(3, 4), S3=(0, 10)),
        "resources": [{"resource_id": r, **v} for r, v in resources.items()],
        "flows": flows(*[(f, r, d, q) for (f, r, d), q in quantities.items()]),
        "substitutions": [{"from_resource": "fly_ash", "to_resource": "clinker", **subst}],
        "transport": [mode(**pipe)],
    }
    s = solve_tables(tmp_path, tables)
    crf = 0.08 / (1 - 1.08**-20)

    # distances by hand: A → B 5 km (3-4-5), A → C 10 km
    km = {("S1", "S2"): 5.0, ("S1", "S3"): 10.0, ("S2", "S3"): math.hypot(3, 6)}
    cost = virgin = co2e = 0.0
    delivered: dict[tuple[str, str], float] = {}
    sent_from: dict[tuple[str, str], float] = {}
    for link in s.links.itertuples():
        if link.build < 0.5:
            assert link.sent == 0
            continue
        d = km[tuple(sorted((link.from_site, link.to_site)))]
        assert link.distance_km == approx(d)
        cost += (pipe["capex_fixed"] + pipe["capex_per_km"] * d) * crf + pipe["opex_fixed"]
        substituted = link.from_resource != link.to_resource
        ratio = subst["ratio"] if substituted else 1.0
        per_unit = pipe["cost_per_unit_km"] * d + (subst["treatment_cost"] if substituted else 0)
        cost += per_unit * link.sent
        co2e += (
            pipe["co2e_per_unit_km"] * d + (subst["treatment_co2e"] if substituted else 0)
        ) * link.sent
        key_in = (link.receiver, link.to_resource)
        delivered[key_in] = delivered.get(key_in, 0.0) + link.sent * ratio
        key_out = (link.supplier, link.from_resource)
        sent_from[key_out] = sent_from.get(key_out, 0.0) + link.sent
    assert delivered, "the park should exchange something"

    base_cost = base_virgin = base_co2e = 0.0
    for (firm, res, direction), q in quantities.items():
        r = resources[res]
        if direction == "demand":
            bought = q - delivered.get((firm, res), 0.0)
            assert row(s, firm, res, direction)["market"] == approx(bought)
            cost += bought * r["virgin_price"]
            virgin += bought * r["virgin_weight"]
            co2e += bought * r["virgin_co2e"]
            base_cost += q * r["virgin_price"]
            base_virgin += q * r["virgin_weight"]
            base_co2e += q * r["virgin_co2e"]
        else:
            discharged = q - sent_from.get((firm, res), 0.0)
            assert discharged >= -1e-6
            assert row(s, firm, res, direction)["market"] == approx(discharged)
            cost += discharged * r["disposal_cost"]
            co2e += discharged * r["disposal_co2e"]
            base_cost += q * r["disposal_cost"]
            base_co2e += q * r["disposal_co2e"]

    # baseline by hand: 100 × 1 + 60 × 20 + 80 × 2 + 40 × 60 + 30 × 2 + 20 × 30 = 4520
    assert base_cost == approx(4520)
    assert s.metrics["cost"] == {"design": approx(cost), "baseline": approx(base_cost)}
    assert s.metrics["virgin"] == {"design": approx(virgin), "baseline": approx(base_virgin)}
    assert s.metrics["co2e"] == {"design": approx(co2e), "baseline": approx(base_co2e)}
    assert s.objective_value == approx(cost - base_cost)
    # the solver's objective is the same number
    assert s.result.objective == pytest.approx(cost - base_cost, rel=1e-6, abs=1e-4)
    # per-firm gains share the links' net savings: they add up to the park's saving
    assert s.firms["gain"].sum() == approx(base_cost - cost)
    assert (s.firms["baseline_cost"] - s.firms["design_cost"]).sum() == approx(base_cost - cost)
