"""Issue-level check on the shipped Kalundborg park: who is critical, and what designing
against defection changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecopark_opt.analyses.defection import defection_aware_design
from ecopark_opt.analyses.resilience import n_minus_1
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.load import load_park
from ecopark_opt.outputs.resilience_sheets import resilience_sheets

KALUNDBORG = Path(__file__).resolve().parents[2] / "instances" / "kalundborg.xlsx"


@pytest.fixture(scope="module")
def park():
    return load_park(KALUNDBORG)


def test_power_station_is_the_most_critical_partner(park):
    design = optimize(park)
    result = n_minus_1(park, design, RunOptions())
    first = result.firms[0]
    assert first.key == "ASNAES"
    # its departure costs more than any other firm's, in the immediate (fixed-design) shock
    increases = {r.key: r.fixed.cost - r.reference["cost"] for r in result.firms}
    assert increases["ASNAES"] == max(increases.values())
    # re-optimising never does worse than living with the stranded design
    for removal in result.firms:
        assert removal.reoptimized.cost <= removal.fixed.cost * (1 + 1e-6)
    # the power station's links go idle and several firms must buy what it supplied
    assert len(first.idle_links) >= 4
    assert first.unmet["firm"].nunique() >= 4
    notes = resilience_sheets(result)[0].notes
    assert any(note.startswith("If Asnæs power station leaves") for note in notes)


def test_defection_aware_design_adds_a_backup_heat_supplier(park):
    result = defection_aware_design(park, RunOptions())
    assert result.aware.expected_cost <= result.plain.expected_cost * (1 + 1e-9)
    aware = set(zip(result.aware.built["supplier"], result.aware.built["receiver"]))
    plain = set(zip(result.plain.built["supplier"], result.plain.built["receiver"]))
    assert ("REFINERY", "MUNI_DH") in aware - plain
