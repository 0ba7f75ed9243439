"""The pieces of a decomposed solve built straight in standard form (core/standard_form.py):
the same model as Pyomo's compiled one, row for row and column for column, on generated
parks; solved in the same stages; used only where every family is built there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from ecopark_opt.core import decompose
from ecopark_opt.core.links import candidate_links
from ecopark_opt.core.model import build_model, set_objective
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.core.prune import prune_links
from ecopark_opt.core.solve import INF, SolveOptions
from ecopark_opt.core.stages import Timer, solve_stages
from ecopark_opt.core.standard_form import StandardForm, build_form, supports
from ecopark_opt.errors import InfeasibleError
from ecopark_opt.inputs.generate import generate_park
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.workbook import write_workbook
from tests.core.parks import STEAM_RESOURCE, park, site

Canonical = tuple[dict, dict, float, dict]  # rows, objective, offset, column bounds


def same(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def rows_of(A, names: list, lower, upper, columns: list) -> dict:
    """``{row name: ({column name: coefficient}, lower, upper)}`` of the non-empty rows."""
    A = A.tocsr()
    A.eliminate_zeros()
    out = {}
    for r, name in enumerate(names):
        s, e = A.indptr[r], A.indptr[r + 1]
        if s < e:
            terms = {columns[j]: float(v) for j, v in zip(A.indices[s:e], A.data[s:e])}
            out[name] = (terms, float(lower[r]), float(upper[r]))
    return out


def pyomo_canonical(m) -> Canonical:
    """The Pyomo model compiled by Pyomo's standard-form compiler, named."""
    f = LinearStandardFormCompiler().write(m, mixed_form=True)
    columns = [(v.parent_component().name, v.index()) for v in f.columns]
    names = [(c.parent_component().name, c.index()) for c, _ in f.rows]
    sense = np.array([s for _, s in f.rows])
    lower = np.where(sense <= 0, f.rhs, -INF)
    upper = np.where(sense >= 0, f.rhs, INF)
    cost = np.asarray(f.c.todense()).ravel()
    bounds = {
        name: (v.lb, INF if v.ub is None else v.ub, v.is_binary())
        for name, v in zip(columns, f.columns)
    }
    objective = {columns[j]: cost[j] for j in np.flatnonzero(cost)}
    return rows_of(f.A, names, lower, upper, columns), objective, float(f.c_offset[0]), bounds


def form_canonical(form: StandardForm) -> Canonical:
    """The standard form as built, named like Pyomo's components."""
    arrays = form.arrays()
    columns: list = [None] * form.n_columns
    for block in form.blocks.values():
        for n, key in enumerate(block.keys):
            columns[block.start + n] = (block.name, key)
    names: list = [None] * arrays.A.shape[0]
    for block in form.rows:
        for n, key in enumerate(block.keys):
            names[block.start + n] = (block.name, key)
    used = set(arrays.A.tocoo().col) | set(np.flatnonzero(arrays.cost))
    bounds = {columns[j]: (arrays.lower[j], arrays.upper[j], bool(arrays.integer[j])) for j in used}
    objective = {columns[j]: arrays.cost[j] for j in np.flatnonzero(arrays.cost)}
    rows = rows_of(arrays.A, names, arrays.row_lower, arrays.row_upper, columns)
    return rows, objective, arrays.offset, bounds


def differences(a: Canonical, b: Canonical) -> list[str]:
    """What differs between two named standard forms (a row may be written negated)."""
    (rows_a, obj_a, off_a, bounds_a), (rows_b, obj_b, off_b, bounds_b) = a, b
    out = []
    if set(rows_a) != set(rows_b):
        out.append(f"rows: {sorted(set(rows_a) ^ set(rows_b), key=str)[:5]}")
    for name in set(rows_a) & set(rows_b):
        (ta, la, ua), (tb, lb, ub) = rows_a[name], rows_b[name]
        if set(ta) != set(tb):
            out.append(f"{name}: columns {sorted(set(ta) ^ set(tb), key=str)}")
        elif not (all(same(ta[k], tb[k]) for k in ta) and same(la, lb) and same(ua, ub)) and not (
            all(same(ta[k], -tb[k]) for k in ta) and same(la, -ub) and same(ua, -lb)
        ):
            out.append(f"{name}: {ta} [{la}, {ua}] against {tb} [{lb}, {ub}]")
    if set(obj_a) != set(obj_b) or not all(same(obj_a[k], obj_b[k]) for k in obj_a):
        out.append("objective coefficients")
    if not same(off_a, off_b):
        out.append(f"objective constant {off_a} against {off_b}")
    if set(bounds_a) != set(bounds_b):
        out.append(f"columns: {sorted(set(bounds_a) ^ set(bounds_b), key=str)[:5]}")
    for name in set(bounds_a) & set(bounds_b):
        (la, ua, ia), (lb, ub, ib) = bounds_a[name], bounds_b[name]
        if not (same(la, lb) and same(ua, ub) and ia == ib):
            out.append(f"bounds of {name}: {bounds_a[name]} against {bounds_b[name]}")
    return out


def generated(tmp_path: Path, firms: int, seed: int, periods: int = 1, **settings):
    tables = generate_park(firms, 12, seed, periods=periods)
    if settings.pop("max_virgin", False):
        for resource in tables["resources"][:4]:
            resource["max_virgin"] = 2e4
    tables["settings"] = dict(tables["settings"], **settings)
    return load_park(write_workbook(tmp_path / "park.xlsx", tables))


@pytest.mark.parametrize(
    ("firms", "seed", "periods", "settings"),
    [
        # quality limits, substitutions, losses, trucks and pipes
        (40, 3, 1, {}),
        # three seasons: profiles, link bounds per period, sized heat and steam pipes
        (40, 4, 3, {}),
        # the dependency limit and caps on purchases, over periods
        (50, 5, 2, {"max_dependency_share": 0.6, "max_virgin": True}),
    ],
)
def test_the_same_model_as_pyomo_compiles_on_generated_parks(
    tmp_path, firms, seed, periods, settings
):
    park = generated(tmp_path, firms, seed, periods, **settings)
    assert supports(park)
    links = prune_links(park, candidate_links(park))
    m, form = build_model(park, links), build_form(park, links)
    assert form.A.nnz > 1000
    families = {rows.name for rows in form.rows}
    assert {"supply_balance", "demand_balance", "quality_limit", "link_capacity"} <= families
    if periods > 1:
        assert {"link_size", "size_bound"} <= families
    if settings:
        assert {"max_virgin", "dependency_limit"} <= families
    for objective in ("cost", "virgin", "co2e", "weighted"):
        set_objective(m, objective)
        form.set_objective(objective)
        assert differences(pyomo_canonical(m), form_canonical(form)) == [], objective


def test_the_same_optimum_in_the_same_stages(tmp_path):
    # virgin first, then cost with virgin held (the tie-break): the Pyomo model and the
    # standard form of the same park agree on both stages
    park = generated(tmp_path, 15, 6, objective="virgin")
    links = candidate_links(park)
    exact = SolveOptions(mip_gap=0.0, time_limit=30)
    m, form = build_model(park, links), build_form(park, links)
    (a, stages_a), (b, stages_b) = (solve_stages(x, exact, Timer()) for x in (m, form))
    assert len(stages_a) == len(stages_b) == 2
    for s_a, s_b in zip(stages_a, stages_b):
        assert s_a.objective == pytest.approx(s_b.objective, rel=1e-7, abs=1e-6)
    assert a.objective == pytest.approx(b.objective, rel=1e-7, abs=1e-6)
    values = form.values()
    assert set(values["Admit"].values()) == {1.0}  # every firm of a piece exists
    assert form.objective_name == "virgin"  # the primary objective again


def test_an_infeasible_piece_is_explained_on_its_pyomo_twin(load):
    # B needs 50 MWh of steam, which cannot be bought; A supplies only 10
    tables = park(
        firms=[{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
        sites=[site("S1", 0), site("S2", 1)],
        flows=[
            {"firm_id": "A", "resource_id": "steam", "direction": "supply", "quantity": 10},
            {"firm_id": "B", "resource_id": "steam", "direction": "demand", "quantity": 50},
        ],
        resources=[STEAM_RESOURCE],
    )
    p = load(tables)
    form = build_form(p, candidate_links(p))
    with pytest.raises(InfeasibleError) as err:
        solve_stages(form, SolveOptions(), Timer())
    assert any("B/steam/demand" in r or "B" in r for r in err.value.reasons)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["firms"][0].update(status="candidate"),
        lambda t: t["settings"].update(max_links=3),
        lambda t: t["settings"].update(win_win=True),
    ],
)
def test_what_the_form_does_not_build_stays_in_pyomo(tmp_path, change):
    tables = generate_park(10, 5, 1)
    change(tables)
    assert not supports(load_park(write_workbook(tmp_path / "p.xlsx", tables)))


def test_decomposed_pieces_are_built_in_standard_form(tmp_path, monkeypatch):
    park = generated(tmp_path, 25, 3)

    def refuse(*args, **kwargs):
        raise AssertionError("a supported piece was built in Pyomo")

    monkeypatch.setattr(decompose, "build_model", refuse)
    monkeypatch.setattr(decompose, "BATCH_LINKS", 0)  # every component is its own piece
    solution = optimize(park, RunOptions(mip_gap=1e-3, time_limit=60))
    assert solution.result.extra["pieces solved"] > 1
    assert solution.result.handoff_seconds < solution.timings["solve"]
