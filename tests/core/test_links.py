"""Candidate links, the data the model is built on (docs/model.md): substitutions, transport
modes, annualised capex, distance limits, losses, detours, the distances sheet, geographic
sites, internal reuse and the tightest link bound U.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import math

import pytest
from pyomo.repn import generate_standard_repn

from ecopark_opt.core.links import candidate_links
from ecopark_opt.core.optimize import prepare
from ecopark_opt.park import capital_recovery_factor
from tests.core.parks import WATER, approx, firms, flows, mode, sites
from tests.helpers import built, load_tables, row, solve_tables, two_firm_park

# --- substitutions -------------------------------------------------------------------------


def substitution_park(**subst) -> dict:
    """A supplies 100 t fly ash (disposal 20/t); B demands 40 t clinker (60/t, 800 kg CO2e/t)."""
    return {
        "firms": firms(A="S1", B="S2"),
        "sites": sites(S1=(0, 0), S2=(5, 0)),
        "resources": [
            {"resource_id": "fly_ash", "unit": "t", "virgin_price": 30, "disposal_cost": 20},
            {"resource_id": "clinker", "unit": "t", "virgin_price": 60, "virgin_co2e": 800},
        ],
        "flows": flows(("A", "fly_ash", "supply", 100), ("B", "clinker", "demand", 40)),
        "substitutions": [{"from_resource": "fly_ash", "to_resource": "clinker", **subst}],
    }


def test_substitution_ratio_and_treatment(tmp_path):
    # 1 t fly ash meets 0.8 t clinker; treatment 5 per t supplied, 10 kg CO2e per t supplied.
    # U = min(100, 40 / 0.8 = 50) = 50. Saving per t sent: 0.8 × 60 + 20 − 5 = 63 > 0 → 50 t.
    # delivered 50 × 0.8 = 40 (no purchase); A discharges 50.
    # cost = 50 × 5 + 50 × 20 = 1250; baseline 100 × 20 + 40 × 60 = 4400; objective −3150.
    # co2e = 50 × 10 = 500 (treatment); baseline 40 × 800 = 32000.
    tables = substitution_park(ratio=0.8, treatment_cost=5, treatment_co2e=10)
    s = solve_tables(tmp_path, tables)
    link = s.built_links.iloc[0]
    assert (link["from_resource"], link["to_resource"]) == ("fly_ash", "clinker")
    assert link["upper"] == approx(50)
    assert link["sent"] == approx(50)
    assert link["delivered"] == approx(40)
    assert link["annual_cost"] == approx(250)
    assert row(s, "B", "clinker", "demand")["market"] == approx(0)
    assert row(s, "A", "fly_ash", "supply")["market"] == approx(50)
    assert s.metrics["cost"] == {"design": approx(1250), "baseline": approx(4400)}
    assert s.metrics["co2e"] == {"design": approx(500), "baseline": approx(32000)}
    assert s.objective_value == approx(-3150)


def test_substitution_too_costly_to_treat_is_not_used(tmp_path):
    # treatment 70 per t supplied: saving per t sent 0.8 × 60 + 20 − 70 = −2 < 0 → no link.
    # cost = baseline = 4400.
    s = solve_tables(tmp_path, substitution_park(ratio=0.8, treatment_cost=70))
    assert built(s) == set()
    assert s.metrics["cost"]["design"] == approx(4400)
    assert s.objective_value == approx(0)


def test_without_substitution_different_resources_do_not_link(tmp_path):
    tables = substitution_park()
    del tables["substitutions"]
    assert candidate_links(load_tables(tmp_path, tables)).empty


# --- transport modes -----------------------------------------------------------------------


def test_capital_recovery_factor():
    # 0.08 / (1 − 1.08^−20) = 0.08 / (1 − 0.214548) = 0.08 / 0.785452 = 0.101852
    assert capital_recovery_factor(0.08, 20) == pytest.approx(0.10185, abs=1e-5)
    # 0.08 / (1 − 1.08^−10) = 0.08 / (1 − 0.463193) = 0.149029
    assert capital_recovery_factor(0.08, 10) == pytest.approx(0.149029, abs=1e-6)
    # no discounting: straight line
    assert capital_recovery_factor(0.0, 20) == approx(0.05)


def test_capex_is_annualised_with_the_capital_recovery_factor(tmp_path):
    # capex 1000 + 200/km × 5 km = 2000 → × 0.101852 = 203.704/yr; + opex_fixed 10 = 213.704.
    # Water at 10/t: per t sent 10 + 1 − 0.1 × 5 = 10.5 → 80 × 10.5 = 840 > 213.704, built.
    # cost = 213.704 + 80 × 0.5 + 20 × 1 = 273.704; baseline 100 + 800 = 900; obj −626.296.
    crf = 0.08 / (1 - 1.08**-20)
    tables = two_firm_park(
        resources=[{"resource_id": WATER, "virgin_price": 10, "disposal_cost": 1}],
        transport=[mode(capex_fixed=1000, capex_per_km=200, opex_fixed=10, cost_per_unit_km=0.1)],
    )
    s = solve_tables(tmp_path, tables)
    link = s.built_links.iloc[0]
    assert link["capex_annual"] == approx(2000 * crf)
    assert link["fixed_cost"] == approx(2000 * crf + 10)
    assert link["annual_cost"] == approx(2000 * crf + 10 + 40)
    assert s.metrics["cost"]["design"] == approx(2000 * crf + 10 + 40 + 20)
    assert s.objective_value == approx(2000 * crf + 70 - 900)


def test_mode_lifetime_and_discount_rate(tmp_path):
    # lifetime 10 yr at 5 %: crf = 0.05 / (1 − 1.05^−10) = 0.129505; capex 1000 → 129.505.
    tables = two_firm_park(
        transport=[mode(capex_fixed=1000, lifetime_years=10)],
        settings={"discount_rate": 0.05},
    )
    links = candidate_links(load_tables(tmp_path, tables))
    assert links["capex_annual"].iloc[0] == pytest.approx(129.505, abs=1e-3)


def test_mode_capacity_limits_a_link(tmp_path):
    # capacity 50: A sends 50, B buys 30, A discharges 50.
    # cost = 30 × 2 + 50 × 1 = 110; baseline 260; objective −150.
    s = solve_tables(tmp_path, two_firm_park(transport=[mode(capacity=50)]))
    link = s.built_links.iloc[0]
    assert link["upper"] == approx(50)
    assert link["sent"] == approx(50)
    assert row(s, "B", WATER, "demand")["market"] == approx(30)
    assert row(s, "A", WATER, "supply")["market"] == approx(50)
    assert s.metrics["cost"]["design"] == approx(110)


@pytest.mark.parametrize(("max_km", "candidates"), [(4.9, 0), (5.0, 1), (None, 1)])
def test_max_distance_excludes_longer_links(tmp_path, max_km, candidates):
    # the link is 5 km long
    tables = two_firm_park(transport=[mode(max_distance_km=max_km)])
    assert len(candidate_links(load_tables(tmp_path, tables))) == candidates


def test_too_far_means_standalone(tmp_path):
    # no candidate: cost = baseline = 260, objective 0
    s = solve_tables(tmp_path, two_firm_park(transport=[mode(max_distance_km=4)]))
    assert built(s) == set()
    assert s.metrics["cost"]["design"] == approx(260)
    assert s.objective_value == approx(0)


def test_loss_per_km_makes_the_supplier_send_more(tmp_path):
    # loss 0.02/km × 5 km = 0.1 → delivered = 0.9 × sent. Per t sent: 0.9 × 2 + 1 = 2.8 > 0.
    # To meet 80 t, A sends 80 / 0.9 = 88.889 t; discharges 100 − 88.889 = 11.111 t.
    # cost = 11.111 × 1 = 11.111; baseline 260; objective −248.889.
    s = solve_tables(tmp_path, two_firm_park(transport=[mode(loss_per_km=0.02)]))
    link = s.built_links.iloc[0]
    assert link["loss"] == approx(0.1)
    assert link["upper"] == approx(80 / 0.9)
    assert link["sent"] == approx(80 / 0.9)
    assert link["delivered"] == approx(80)
    assert row(s, "B", WATER, "demand")["market"] == approx(0)
    assert row(s, "A", WATER, "supply")["market"] == approx(100 - 80 / 0.9)
    assert s.metrics["cost"]["design"] == approx(100 - 80 / 0.9)


def test_loss_of_everything_is_not_a_candidate(tmp_path):
    # 0.2/km × 5 km = 1: nothing would arrive
    tables = two_firm_park(transport=[mode(loss_per_km=0.2)])
    assert candidate_links(load_tables(tmp_path, tables)).empty


def test_transport_co2e(tmp_path):
    # 0.5 kg/(t·km) × 5 km = 2.5 kg per t sent; water: virgin 1 kg/t, disposal 3 kg/t.
    # cost objective: 80 t sent. co2e = 80 × 2.5 + 20 × 3 = 260; baseline 80 × 1 + 100 × 3 = 380.
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
        transport=[mode(co2e_per_unit_km=0.5)],
    )
    s = solve_tables(tmp_path, tables)
    assert s.built_links["co2e"].iloc[0] == approx(200)
    assert s.metrics["co2e"] == {"design": approx(260), "baseline": approx(380)}


def test_detour_factor_lengthens_the_route(tmp_path):
    # 5 km × 1.5 = 7.5 km; 0.1 × 7.5 = 0.75 per t → 80 t cost 60.
    # cost = 60 + 20 × 1 = 80; baseline 260; objective −180.
    tables = two_firm_park(transport=[mode(cost_per_unit_km=0.1, detour_factor=1.5)])
    s = solve_tables(tmp_path, tables)
    assert s.built_links["distance_km"].iloc[0] == approx(7.5)
    assert s.built_links["annual_cost"].iloc[0] == approx(60)
    assert s.metrics["cost"]["design"] == approx(80)


@pytest.mark.parametrize(
    ("quantity", "expected_mode", "expected_cost"),
    [
        # 80 t over 5 km: pipe 100 + 80 × 0.01 × 5 = 104; truck 80 × 0.2 × 5 = 80 → truck.
        # cost = 80 + 20 discharged × 1 = 100
        (80, "truck", 100.0),
        # 1000 t (supply 1000): pipe 100 + 1000 × 0.05 = 150; truck 1000 × 1 = 1000 → pipe.
        # cost = 150, nothing bought or discharged
        (1000, "pipe", 150.0),
    ],
)
def test_cheaper_of_two_modes_is_chosen(tmp_path, quantity, expected_mode, expected_cost):
    tables = two_firm_park(
        flows=flows(("A", WATER, "supply", max(100, quantity)), ("B", WATER, "demand", quantity)),
        transport=[
            mode("pipe", opex_fixed=100, cost_per_unit_km=0.01),
            mode("truck", cost_per_unit_km=0.2),
        ],
    )
    s = solve_tables(tmp_path, tables)
    assert built(s) == {("A", "B", expected_mode)}
    assert s.metrics["cost"]["design"] == approx(expected_cost)


def test_mode_carries_only_its_resources(tmp_path):
    # the steam pipe cannot carry water: no candidate link
    tables = two_firm_park(
        resources=[
            {"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "steam", "virgin_price": 5},
        ],
        transport=[mode("steam_pipe", resources="steam")],
    )
    assert candidate_links(load_tables(tmp_path, tables)).empty


# --- distances -----------------------------------------------------------------------------


def test_distance_override_applies_both_ways_without_detour(tmp_path):
    # distances: S2 → S1 = 12 km, used for A (S1) → B (S2) too, detour 2 not applied.
    # A → C (S3 at 3 km, no override): 3 × 2 = 6 km.
    # per t: to B 0.1 × 12 = 1.2 (< 3 saved), to C 0.6. A sends 80 + 10 = 90, discharges 10.
    # cost = 80 × 1.2 + 10 × 0.6 + 10 × 1 = 112; baseline 100 + 160 + 20 = 280; objective −168.
    tables = two_firm_park(
        firms=firms(A="S1", B="S2", C="S3"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(0, 3)),
        flows=flows(
            ("A", WATER, "supply", 100), ("B", WATER, "demand", 80), ("C", WATER, "demand", 10)
        ),
        transport=[mode(cost_per_unit_km=0.1, detour_factor=2)],
        distances=[{"from_site": "S2", "to_site": "S1", "distance_km": 12}],
    )
    s = solve_tables(tmp_path, tables)
    km = dict(zip(s.built_links["receiver"], s.built_links["distance_km"]))
    assert km == {"B": approx(12), "C": approx(6)}
    assert s.metrics["cost"] == {"design": approx(112), "baseline": approx(280)}
    assert s.objective_value == approx(-168)


def test_distance_rows_in_both_directions_each_apply_their_own(tmp_path):
    # S1 → S2 = 12 and S2 → S1 = 20: A → B uses 12, B → A uses 20.
    tables = two_firm_park(
        flows=flows(
            ("A", WATER, "supply", 100),
            ("B", WATER, "demand", 80),
            ("B", "steam", "supply", 10),
            ("A", "steam", "demand", 10),
        ),
        resources=[
            {"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "steam", "virgin_price": 5},
        ],
        distances=[
            {"from_site": "S1", "to_site": "S2", "distance_km": 12},
            {"from_site": "S2", "to_site": "S1", "distance_km": 20},
        ],
    )
    links = candidate_links(load_tables(tmp_path, tables))
    km = dict(zip(links["supplier"], links["distance_km"]))
    assert km == {"A": approx(12), "B": approx(20)}


def test_lat_lon_sites_use_haversine(tmp_path):
    # one degree of latitude: 6371.0088 × π / 180 = 111.195 km
    # one degree of longitude at 60° N: 2 R asin(cos 60° × sin 0.5°) = 55.597 km
    tables = two_firm_park(
        firms=firms(A="S1", B="S2", C="S3"),
        sites=[
            {"site_id": "S1", "lat": 60.0, "lon": 10.0},
            {"site_id": "S2", "lat": 61.0, "lon": 10.0},
            {"site_id": "S3", "lat": 60.0, "lon": 11.0},
        ],
        flows=flows(
            ("A", WATER, "supply", 100), ("B", WATER, "demand", 80), ("C", WATER, "demand", 10)
        ),
    )
    links = candidate_links(load_tables(tmp_path, tables))
    km = dict(zip(links["receiver"], links["distance_km"]))
    assert km["B"] == pytest.approx(111.195, abs=0.001)
    r = 6371.0088
    expected = 2 * r * math.asin(math.cos(math.radians(60)) * math.sin(math.radians(0.5)))
    assert expected == pytest.approx(55.597, abs=0.001)
    assert km["C"] == pytest.approx(expected, abs=1e-6)


# --- internal reuse ------------------------------------------------------------------------


def internal_park(internal_reuse: bool | None, max_links: int | None = None) -> dict:
    """A supplies 100 t water and demands 30 t itself; B (5 km) demands 60 t; pipe 50/yr.
    Baseline 100 × 1 + 30 × 2 + 60 × 2 = 280."""
    settings = {}
    if internal_reuse is not None:
        settings["internal_reuse"] = internal_reuse
    if max_links is not None:
        settings["max_links"] = max_links
    return two_firm_park(
        flows=flows(
            ("A", WATER, "supply", 100), ("A", WATER, "demand", 30), ("B", WATER, "demand", 60)
        ),
        transport=[mode(opex_fixed=50)],
        settings=settings,
    )


@pytest.mark.parametrize("internal_reuse", [None, False])
def test_internal_reuse_is_off_by_default(tmp_path, internal_reuse):
    # no internal arc: A → B 60 t, A buys its 30 t, discharges 40 t.
    # cost = 50 + 30 × 2 + 40 × 1 = 150; baseline 280; objective −130.
    tables = internal_park(internal_reuse)
    assert not candidate_links(load_tables(tmp_path, tables))["internal"].any()
    s = solve_tables(tmp_path, tables)
    assert row(s, "A", WATER, "demand")["market"] == approx(30)
    assert s.metrics["cost"]["design"] == approx(150)
    assert s.objective_value == approx(-130)


def test_internal_reuse_is_free_and_not_a_link(tmp_path):
    # internal arc: no mode, no build, no cost. With max_links = 1 the park still has the
    # internal arc AND the link to B: A reuses 30 t, sends 60 t to B, discharges 10 t.
    # cost = 50 + 10 × 1 = 60; baseline 280; objective −220.
    # (had the arc counted as a link: link only 150 − 280 = −130; arc only
    #  60 × 2 + 70 × 1 = 190 → −90.)
    s = solve_tables(tmp_path, internal_park(True, max_links=1))
    links = s.links[s.links["sent"] > 0]
    internal = links[links["internal"]]
    assert len(internal) == 1
    arc = internal.iloc[0]
    assert (arc["supplier"], arc["receiver"], arc["mode"]) == ("A", "A", "internal")
    assert arc["distance_km"] == 0 and arc["fixed_cost"] == 0 and arc["annual_cost"] == 0
    assert arc["sent"] == approx(30)
    external = links[~links["internal"]]
    assert list(zip(external["supplier"], external["receiver"])) == [("A", "B")]
    assert external["sent"].iloc[0] == approx(60)
    assert row(s, "A", WATER, "demand")["market"] == approx(0)
    assert row(s, "B", WATER, "demand")["market"] == approx(0)
    assert row(s, "A", WATER, "supply")["market"] == approx(10)
    assert s.metrics["cost"] == {"design": approx(60), "baseline": approx(280)}
    assert s.objective_value == approx(-220)
    assert len(s.design_key()) == 1


# --- tight link bound ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supply", "demand", "capacity", "upper"),
    [
        # η = 0.8 × (1 − 0.02 × 5) = 0.72; demand 36 / 0.72 = 50 < supply 100
        (100, 36, None, 50.0),
        # mode capacity 40 is tighter than 50
        (100, 36, 40, 40.0),
        # supply 30 is the tightest
        (30, 36, 40, 30.0),
    ],
)
def test_link_bound_is_the_tightest(tmp_path, supply, demand, capacity, upper):
    tables = substitution_park(ratio=0.8)
    tables["flows"] = flows(("A", "fly_ash", "supply", supply), ("B", "clinker", "demand", demand))
    tables["transport"] = [mode(loss_per_km=0.02, capacity=capacity)]
    park = load_tables(tmp_path, tables)
    model = prepare(park)
    links = model.links
    assert links["delivered_factor"].iloc[0] == approx(0.72)
    assert links["upper"].iloc[0] == approx(upper)
    # the model uses U both as the flow's bound and as the coefficient of Build
    assert model.m.Flow[0, 0].ub == approx(upper)
    body = model.m.link_capacity[0, 0].body
    repn = generate_standard_repn(body)
    coef = {v.name: c for v, c in zip(repn.linear_vars, repn.linear_coefs)}
    assert coef["Build[0]"] == approx(-upper)
    # each t sent saves 0.72 × 60 + 20 > 0, so the link runs at U
    s = solve_tables(tmp_path, tables)
    assert s.built_links["sent"].iloc[0] == approx(upper)
    assert s.built_links["delivered"].iloc[0] == approx(upper * 0.72)
