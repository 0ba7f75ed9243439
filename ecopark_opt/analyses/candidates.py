"""What each candidate firm is worth, and where the admitted ones go.

For every candidate the model is re-solved with the decision flipped: an admitted candidate
is kept out, a rejected one is forced in. The change of objective is the saving the
candidate brings (or what forcing it in would cost). The model is built once; only the
fixing of ``Admit`` changes between solves.
"""

from __future__ import annotations

import pandas as pd

from ..core.optimize import RunOptions
from ..core.park_model import ParkModel
from ..core.solution import Solution
from ..core.stages import Timer
from ..park import Park


def candidate_values(
    model: ParkModel, design: Solution, options: RunOptions = RunOptions()
) -> pd.DataFrame:
    """Per candidate: admitted?, plot, and the objective change when the decision flips.

    ``value`` > 0 means the park is better off with the decision the optimizer took by that
    amount (in objective units: EUR/yr for the cost objective).
    """
    park: Park = model.park
    solve_options = options.solve_options(park)
    rows = []
    for firm in model.candidates:
        admitted = bool(design.firms.at[firm, "admitted"])
        must = bool(park.firms.at[firm, "must_join"])
        if must:
            rows.append(_row(park, design, firm, admitted, None, "must_join: always in"))
            continue
        with model.fixed(admit={firm: 0 if admitted else 1}):
            result = model.run(solve_options)
        if not result.has_solution:
            note = "cannot be forced in (no feasible design)" if not admitted else "infeasible"
            rows.append(_row(park, design, firm, admitted, None, note))
            continue
        change = result.objective - design.objective_value
        note = (
            "keeping it out would worsen the objective by this much"
            if admitted
            else "forcing it in would worsen the objective by this much"
        )
        rows.append(_row(park, design, firm, admitted, change, note))
    return pd.DataFrame(rows)


def _row(
    park: Park, design: Solution, firm: str, admitted: bool, value: float | None, note: str
) -> dict:
    f = design.firms.loc[firm]
    return {
        "firm": firm,
        "name": f["name"],
        "sector": f["sector"],
        "admitted": admitted,
        "site": f["site"] if admitted else None,
        "admission_cost": float(park.firms.at[firm, "admission_cost"]),
        "site_cost": float(f["site_cost"]),
        "value": value,
        "note": note,
    }


def siting_table(design: Solution) -> pd.DataFrame:
    """Plot by plot: which candidate the optimizer placed there, its cost, and why."""
    park = design.park
    plots = park.sites[park.sites["kind"] == "plot"]
    built = design.built_links
    rows = []
    for plot, rec in plots.iterrows():
        firms = design.firms[design.firms["placed"] & (design.firms["site"] == plot)]
        if firms.empty:
            rows.append(
                {
                    "plot": plot,
                    "firm": None,
                    "name": None,
                    "site_cost": float(rec["site_cost"]),
                    "capacity": int(rec["capacity"]),
                    "why": "free",
                }
            )
            continue
        for firm, f in firms.iterrows():
            mine = built[
                ((built["supplier"] == firm) & (built["from_site"] == plot))
                | ((built["receiver"] == firm) & (built["to_site"] == plot))
            ]
            reasons = [
                f"{r.from_resource}{'→' + r.to_resource if r.to_resource != r.from_resource else ''}"
                f" {'to ' + r.receiver if r.supplier == firm else 'from ' + r.supplier}"
                f" ({r.distance_km:.1f} km)"
                for r in mine.itertuples()
            ]
            rows.append(
                {
                    "plot": plot,
                    "firm": firm,
                    "name": f["name"],
                    "site_cost": float(rec["site_cost"]),
                    "capacity": int(rec["capacity"]),
                    "why": "; ".join(reasons) or "admission value only",
                }
            )
    return pd.DataFrame(rows)


def analyse_candidates(
    model: ParkModel | None,
    design: Solution,
    options: RunOptions,
    timer: Timer | None = None,
) -> pd.DataFrame | None:
    """The value of every candidate firm's decision (:func:`candidate_values`); None when
    the park has no candidate firms (``model`` may then be None)."""
    timer = timer or Timer()
    if model is None or not model.candidates:
        return None
    with timer.phase("candidate values"):
        return candidate_values(model, design, options)
