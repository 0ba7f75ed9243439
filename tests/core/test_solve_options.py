"""Solver options of core/solve.py that routes use: the LP relaxation (``relax``) and HiGHS's
presolve probing (``probing``)."""

from __future__ import annotations

import highspy
import pyomo.environ as pyo
import pytest

from ecopark_opt.core import solve as solve_module
from ecopark_opt.core.optimize import prepare
from ecopark_opt.core.solve import PROBING_RULE, SolveOptions, solve
from ecopark_opt.errors import SolverError
from tests.core.parks import demand, park, site, supply


def shared_supply_park():
    """A (S1) supplies 100 t of water to B (S2, 5 km) and C (S3, 6 km), each demanding 80 t.

    A t sent saves 2 (bought) + 1 (discharged) = 3 and costs 0.1 per km; a link costs 50.
    The MIP builds A→B for 80 t (80·2.5 − 50 = 150); A→C for the other 20 t would save
    20·2.4 − 50 = −2: objective −150. The LP relaxation pays the opex in proportion to the
    flow (B = F/80, 0.625 per t): 80 t to B save 1.875 each, 20 t to C 1.775 each: −185.5.
    """
    return park(
        firms=[{"firm_id": f, "site": s} for f, s in (("A", "S1"), ("B", "S2"), ("C", "S3"))],
        sites=[site("S1", 0), site("S2", 5), site("S3", 0, 6)],
        flows=[supply("A", 100), demand("B", 80), demand("C", 80)],
    )


def test_relax_solves_the_lp_relaxation_and_keeps_fractions(load):
    model = prepare(load(shared_supply_park()))
    mip = solve(model.m, SolveOptions(mip_gap=0.0))
    assert mip.objective == pytest.approx(-150)
    relaxed = solve(model.m, SolveOptions(relax=True))
    assert relaxed.status == "optimal" and relaxed.integers == 0
    assert relaxed.objective == pytest.approx(-185.5)
    built = sorted(v.value for v in model.m.Build.values())
    assert built == pytest.approx([0.25, 1.0])  # 20 t and 80 t of 80: not rounded
    # the same as relaxing the variables' domains in Pyomo
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model.m)
    assert solve(model.m, SolveOptions()).objective == pytest.approx(relaxed.objective)


def test_probing_off_is_handed_to_highs(load, monkeypatch):
    model = prepare(load(shared_supply_park()))
    created: list[highspy.Highs] = []
    real = solve_module.new_highs

    def new_highs() -> highspy.Highs:
        created.append(real())
        return created[-1]

    monkeypatch.setattr(solve_module, "new_highs", new_highs)
    assert solve(model.m, SolveOptions(mip_gap=0.0, probing=False)).objective == pytest.approx(-150)
    assert created[-1].getOptionValue("presolve_rule_off")[1] == PROBING_RULE
    solve(model.m, SolveOptions(mip_gap=0.0))
    assert created[-1].getOptionValue("presolve_rule_off")[1] == 0


def test_an_option_highs_refuses_is_an_error_not_a_warning():
    with pytest.raises(SolverError, match="presolve_rule_off"):
        solve_module._set_option(highspy.Highs(), "presolve_rule_off", -1)
