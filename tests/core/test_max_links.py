"""Family ``add_max_links`` (docs/model.md): a cap on the number of links built.

Every expected number is worked out by hand in the comment next to it. Unless a test says
otherwise the park is ``two_firm_park()``: A at S1 = (0, 0) supplies 100 t of water, B at
S2 = (5, 0) demands 80 t; water costs 2/t to buy and 1/t to discharge, so the standalone
baseline costs 100 × 1 + 80 × 2 = 260.
"""

from __future__ import annotations

import pytest

from tests.core.parks import WATER, approx, firms, flows, sites
from tests.helpers import built, solve_tables, two_firm_park


@pytest.mark.parametrize(
    ("max_links", "links", "cost"),
    [
        # both: A sends 60 to B and 40 to C, C buys 10: cost 10 × 2 = 20
        (None, {("A", "B", "pipeline"), ("A", "C", "pipeline")}, 20.0),
        # one: to B (60 × 3 = 180 saved) beats to C (50 × 3 = 150):
        # cost = 40 discharged × 1 + C buys 50 × 2 = 140
        (1, {("A", "B", "pipeline")}, 140.0),
        # none: standalone 100 + 120 + 100 = 320
        (0, set(), 320.0),
    ],
)
def test_max_links_keeps_the_best(tmp_path, max_links, links, cost):
    # baseline 100 × 1 + 60 × 2 + 50 × 2 = 320
    tables = two_firm_park(
        firms=firms(A="S1", B="S2", C="S3"),
        sites=sites(S1=(0, 0), S2=(5, 0), S3=(0, 5)),
        flows=flows(
            ("A", WATER, "supply", 100), ("B", WATER, "demand", 60), ("C", WATER, "demand", 50)
        ),
        settings={"max_links": max_links} if max_links is not None else {},
    )
    s = solve_tables(tmp_path, tables)
    assert built(s) == links
    assert s.metrics["cost"] == {"design": approx(cost), "baseline": approx(320)}
