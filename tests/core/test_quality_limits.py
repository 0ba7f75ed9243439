"""Family ``add_quality_limits`` (docs/model.md): the delivered mix of each limited property
stays within the receiver's limit.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import pytest

from ecopark_opt.core.links import candidate_links
from tests.core.parks import (
    WATER,
    WATER_RESOURCE,
    approx,
    demand,
    firms,
    flows,
    park,
    site,
    sites,
    supply,
)
from tests.helpers import built, load_tables, row, solve_tables, two_firm_park


@pytest.mark.parametrize(
    ("virgin_cod", "expected_sent"),
    [
        # virgin clean (blank = 0): 100 F + 0 P ≤ 50 × 80 = 4000 → F ≤ 40
        (None, 40.0),
        # virgin at 20 ppm, F + P = 80: 100 F + 20 (80 − F) ≤ 4000 → 80 F ≤ 2400 → F ≤ 30
        (20.0, 30.0),
    ],
)
def test_quality_limit_dilutes_a_dirty_source_with_virgin(tmp_path, virgin_cod, expected_sent):
    # A's water has 100 ppm COD, B accepts at most 50 ppm in its mix. Every t sent saves 3,
    # so the exchange runs at the quality limit.
    # cost = P × 2 + (100 − F) × 1 with P = 80 − F; baseline 260.
    #   F = 40: 40 × 2 + 60 = 140 → objective −120;  F = 30: 50 × 2 + 70 = 170 → −90.
    tables = two_firm_park(
        properties=[{"property": "cod", "unit": "ppm"}],
        resources=[
            {"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1, "cod": virgin_cod}
        ],
        flows=flows(
            ("A", WATER, "supply", 100),
            ("B", WATER, "demand", 80),
            **{"A/water/supply": {"cod": 100}, "B/water/demand": {"cod": 50}},
        ),
    )
    s = solve_tables(tmp_path, tables)
    purchase = 80 - expected_sent
    discharge = 100 - expected_sent
    assert s.built_links["sent"].iloc[0] == approx(expected_sent)
    assert row(s, "B", WATER, "demand")["market"] == approx(purchase)
    assert row(s, "A", WATER, "supply")["market"] == approx(discharge)
    assert s.metrics["cost"]["design"] == approx(purchase * 2 + discharge * 1)
    assert s.objective_value == approx(purchase * 2 + discharge - 260)
    # the delivered mix sits exactly at the limit
    mix = (expected_sent * 100 + purchase * (virgin_cod or 0)) / 80
    assert mix == approx(50)


def test_supply_of_unknown_quality_cannot_feed_a_limited_demand(tmp_path):
    # A's water has a blank COD: it may feed C (no limit) but not B (limit 50 ppm).
    # C at S3 = (0, 5) takes 30 t; B buys its 80 t; A discharges 70 t.
    # cost = 80 × 2 + 70 × 1 = 230; baseline 100 + 80 × 2 + 30 × 2 = 320; objective −90.
    tables = two_firm_park(
        firms=firms(A="S1", B="S2", C="S3"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(0, 5)),
        properties=[{"property": "cod", "unit": "ppm"}],
        flows=flows(
            ("A", WATER, "supply", 100),
            ("B", WATER, "demand", 80),
            ("C", WATER, "demand", 30),
            **{"B/water/demand": {"cod": 50}},
        ),
    )
    park = load_tables(tmp_path, tables)
    links = candidate_links(park)
    assert set(zip(links["supplier"], links["receiver"])) == {("A", "C")}
    s = solve_tables(tmp_path, tables)
    assert built(s) == {("A", "C", "pipeline")}
    assert row(s, "B", WATER, "demand")["market"] == approx(80)
    assert row(s, "A", WATER, "supply")["market"] == approx(70)
    assert s.metrics["cost"] == {"design": approx(230), "baseline": approx(320)}


def test_quality_limit_holds_for_the_mix_of_two_sources_and_virgin(tmp_path):
    # B (S2) accepts at most 50 ppm COD in its 80 t; virgin water has 40 ppm. A1 (S1, 5 km
    # west) supplies 100 t at 100 ppm, A2 (S3, 5 km east) 10 t at 0 ppm; the default pipeline
    # is cost-free, so every t sent saves 3. Each link's own bound lets A1 send
    # 80 × (50 − 0) / (100 − 0) = 40 t (were the rest as clean as A2); the mix is tighter:
    # A2 sends its 10 t, then with P = 70 − F1 bought:
    #   100 F1 + 0 × 10 + 40 (70 − F1) ≤ 50 × 80 → 60 F1 ≤ 1200 → F1 = 20, P = 50.
    # cost = A1 discharges 80 × 1 + B buys 50 × 2 = 180; baseline 100 + 10 + 160 = 270;
    # objective −90. (Without the mix constraint: F1 = 40, P = 30, a 65 ppm mix, −150.)
    tables = two_firm_park(
        firms=firms(A1="S1", A2="S3", B="S2"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(10, 0)),
        properties=[{"property": "cod", "unit": "ppm"}],
        resources=[{"resource_id": WATER, "virgin_price": 2, "disposal_cost": 1, "cod": 40}],
        flows=flows(
            ("A1", WATER, "supply", 100),
            ("A2", WATER, "supply", 10),
            ("B", WATER, "demand", 80),
            **{
                "A1/water/supply": {"cod": 100},
                "A2/water/supply": {"cod": 0},
                "B/water/demand": {"cod": 50},
            },
        ),
    )
    s = solve_tables(tmp_path, tables)
    sent = dict(zip(s.built_links["supplier"], s.built_links["sent"]))
    assert sent == {"A1": approx(20), "A2": approx(10)}
    assert row(s, "B", WATER, "demand")["market"] == approx(50)
    assert row(s, "A1", WATER, "supply")["market"] == approx(80)
    assert (20 * 100 + 10 * 0 + 50 * 40) / 80 == approx(50)  # the mix sits at the limit
    assert s.metrics["cost"] == {"design": approx(180), "baseline": approx(270)}
    assert s.objective_value == approx(-90)


def test_a_limit_no_blend_can_meet_is_explained_by_its_property_and_shortfall(tmp_path):
    # B needs 100 t of water with at most 5 cod; virgin water has 10 cod and can be bought;
    # A offers 40 t at 0 cod. A blend of x t from A and p t bought is within the limit when
    # 10 p ≤ 5 (x + p), i.e. p ≤ x ≤ 40: at most 80 t can be delivered, 20 t short. The
    # explanation names the property (not "cannot be bought": water can be bought) and the
    # true shortfall.
    from ecopark_opt.errors import InfeasibleError

    tables = park(
        firms=[{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
        sites=[site("S1", 0), site("S2", 1)],
        flows=[supply("A", 40, cod=0), demand("B", 100, cod=5)],
        resources=[{**WATER_RESOURCE, "cod": 10}],
    )
    tables["properties"] = [{"property": "cod", "unit": "mg/l"}]
    with pytest.raises(InfeasibleError) as caught:
        solve_tables(tmp_path, tables)
    (reason,) = caught.value.reasons
    assert reason.startswith("flows!E3 (cod): 20 of the 100 t of water that B needs")
    assert "limit of 5 cod" in reason and "virgin water has 10" in reason
    assert "cannot be bought" not in reason
