"""What each candidate firm is worth, and where the admitted ones go.

For every candidate the model is re-solved with the decision flipped: an admitted candidate
is kept out, a rejected one is forced in. The change of objective is the saving the
candidate brings (or what forcing it in would cost). The model is built once; only the
fixing of ``Admit`` changes between solves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from ..core.optimize import RunOptions
from ..core.park_model import ParkModel
from ..core.solution import Solution
from ..core.stages import Timer
from ..core.vocabulary import tolerance
from ..park import Park


def candidate_values(
    model: ParkModel,
    design: Solution,
    options: RunOptions = RunOptions(),
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    r"""Per candidate: admitted?, plot, and the objective change when the decision flips.

    ``value`` > 0 means the park is better off with the decision the optimizer took by that
    amount (in objective units: EUR/yr for the cost objective). Both the design and the
    re-solve may stop within their gaps, so the value is known only within

    .. math:: [\underline{z}_f - z_d,\ z_f - \underline{z}_d]

    (z the objective found, \underline{z} the proved bound, d the design, f the flipped
    decision): ``value_low`` and ``value_high``. A value whose interval holds 0 is *not
    proved*; a negative one means the design, within its gap, is not optimal for this
    choice. Each re-solve gets an equal share of what is left of the command's time limit
    (``options.started``); candidates reached after the limit are not valued. Each starts
    from the design with the decision flipped and repaired (HiGHS's warm start), without
    presolve probing, so that a short share still gives a design and a bound.
    """
    park: Park = model.park
    rows = []
    design_value = design.objective_value
    design_bound = design.result.bound if design.result.bound is not None else design_value
    candidates = model.candidates
    start = model.values()
    for n, firm in enumerate(candidates):
        admitted = bool(design.firms.at[firm, "admitted"])
        if bool(park.firms.at[firm, "must_join"]):
            rows.append(_row(park, design, firm, admitted, None, "must_join: always in"))
            continue
        if options.out_of_time(park):
            rows.append(
                _row(park, design, firm, admitted, None, "not valued: the time limit was reached")
            )
            continue
        solve_options = options.solve_options(park, share=1.0 / (len(candidates) - n))
        if progress:
            progress(
                f"candidate {n + 1}/{len(candidates)}: {firm} "
                f"({'kept out' if admitted else 'forced in'}, "
                f"{solve_options.time_limit:.0f} s at most)"
            )
        with model.fixed(admit={firm: 0 if admitted else 1}):
            model.start_flipped(start, firm, not admitted)
            result = model.run(replace(solve_options, warm_start=True, probing=False))
        if not result.has_solution:
            note = "cannot be forced in (no feasible design)" if not admitted else "infeasible"
            if result.status != "infeasible":
                note = f"no design found in {solve_options.time_limit:.0f} s ({result.status})"
            rows.append(_row(park, design, firm, admitted, None, note))
            continue
        bound = result.bound if result.bound is not None else result.objective
        interval = (bound - design_value, result.objective - design_bound)
        change = result.objective - design_value
        rows.append(_row(park, design, firm, admitted, change, _note(admitted, interval), interval))
    return pd.DataFrame(rows)


def _note(admitted: bool, interval: tuple[float, float]) -> str:
    """What the value means, in words that agree with its sign and what is proved."""
    low, high = interval
    flip = "keeping it out" if admitted else "forcing it in"
    tol = tolerance(max(abs(low), abs(high)))
    if low >= -tol:
        exact = high - low <= tol
        return (
            f"{flip} would worsen the objective by this much"
            if exact
            else f"{flip} would worsen the objective by between the low and high values"
        )
    if high <= tol:
        return (
            f"{flip} would improve the objective: the design is within its MIP gap, "
            "not optimal for this choice"
        )
    return (
        "not proved: the design and the re-solve stopped within their gaps, which "
        "leave both signs possible (see low and high)"
    )


def _row(
    park: Park,
    design: Solution,
    firm: str,
    admitted: bool,
    value: float | None,
    note: str,
    interval: tuple[float, float] | None = None,
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
        "value_low": interval[0] if interval else None,
        "value_high": interval[1] if interval else None,
        "note": note,
    }


def siting_table(design: Solution) -> pd.DataFrame:
    """Plot by plot: which candidate the optimizer placed there, its cost, and why."""
    park = design.park
    plots = park.sites[park.sites["kind"] == "plot"]
    built = design.built_links
    built = built[~built["internal"].astype(bool)]  # a firm's own arcs enable nothing
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
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame | None:
    """The value of every candidate firm's decision (:func:`candidate_values`); None when
    the park has no candidate firms (``model`` may then be None)."""
    timer = timer or Timer()
    if model is None or not model.candidates:
        return None
    with timer.phase("candidate values"):
        return candidate_values(model, design, options, progress)
