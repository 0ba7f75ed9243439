"""Safe pruning of candidate links.

Two reductions that never change the optimum of the model built over the links (for the
objective the park's settings name, with its cost tie-break): each drops a link only when
every design that uses it can be changed, link by link, into a design that does not and is
feasible and no worse in every objective that counts. They are applied by
:func:`~ecopark_opt.core.optimize.optimize` (``RunOptions.prune``); analyses that change the objective or enumerate
near-optimal designs on one model (Pareto, alternatives) build theirs without pruning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.periods import link_bounds
from ..park import Park
from .vocabulary import TIE_BROKEN


def prune_links(park: Park, links: pd.DataFrame) -> pd.DataFrame:
    """The candidate links that may be part of an optimal design: ``links`` without those
    that cannot pay for themselves (:func:`cannot_pay`) and without parallel links in a
    dominated mode (:func:`dominated_modes`). Link ids (the index) are kept."""
    if links.empty:
        return links
    drop = cannot_pay(park, links) | dominated_modes(park, links)
    return links[~drop]


def objective_weights(settings) -> list[tuple[float, float, float]]:
    """(cost, virgin, co2e) weights of every objective a pruned link must not help.

    The primary objective; cost too when it breaks ties (virgin, co2e: docs/model.md lexicographic
    order) or when win_win makes every firm's share of a link's cost saving matter.
    """
    primary = {
        "cost": (1.0, 0.0, 0.0),
        "virgin": (0.0, 1.0, 0.0),
        "co2e": (0.0, 0.0, 1.0),
        "weighted": (settings.weight_cost, settings.weight_virgin, settings.weight_co2e),
    }[settings.objective]
    weights = [tuple(float(w) for w in primary)]
    if settings.objective in TIE_BROKEN or settings.win_win:
        weights.append((1.0, 0.0, 0.0))
    return weights


def cannot_pay(park: Park, links: pd.DataFrame) -> np.ndarray:
    r"""Links that can never improve the objective over buying and discharging instead.

    Replacing the flow F of a built link l (supply row i → demand row j) by a discharge of F
    at i and a purchase of η F at j changes the weighted objective by

    .. math:: W(F) = w_c (F s^c_l - k_l) + w_v F s^v_l + w_e F s^e_l, \quad
              s^c_l = η_l p_j + p_i - v_l - κ_l,\ s^v_l = η_l ω_{r(j)},\
              s^e_l = η_l e^v_{r(j)} + e^d_{r(i)} - e_l

    (p prices, v cost per unit sent, k annual fixed cost, κ a sized link's capacity cost —
    its capacity K is at least the yearly flow F = Σ_t F_t ≤ Σ_t r_t K, so κK ≥ κF —,
    ω virgin weight, e^v / e^d the CO2e of buying / discharging, e_l of sending; F the
    yearly flow, the swap made in every period). W is linear in F ∈ [0, U_l], so the link is
    dropped when W(U_l) ≤ 0 and W(0) = −w_c k_l ≤ 0 for every weight vector of
    :func:`objective_weights` — for the cost objective: U_l (η_l p_j + p_i − v_l) − k_l ≤ 0.

    The replacement must always be feasible, which holds when demand row j

    - can be bought (its price is not blank; purchase stays ≤ quantity, as delivered + bought
      = quantity);
    - is of a resource without ``max_virgin`` (the swap buys more);
    - has, for every property it limits, a virgin value no higher than the supply's (the
      swap then never raises the mix; no limit at all is the common case).

    Nothing else can break: discharge has no cap, the dependency limit and quality sums
    only lose a term, max_links counts one link fewer, admission and placement are
    untouched (so the trade-off of admitting a candidate is the same with or without the
    link: its baseline is paid either way), and with win_win the cost condition is required
    too (see :func:`objective_weights`), so no firm's share of the link's net saving
    (≤ 0) was helping it gain.
    """
    flows = park.flows
    resources = park.resources
    demand = links["demand_flow"].to_numpy()
    supply = links["supply_flow"].to_numpy()
    demand_resource = flows["resource_id"].reindex(demand).to_numpy()
    supply_resource = flows["resource_id"].reindex(supply).to_numpy()
    buyable = flows["price"].reindex(demand).notna().to_numpy()
    uncapped = resources["max_virgin"].reindex(demand_resource).isna().to_numpy()
    swappable = buyable & uncapped
    for prop in park.property_names:
        limit = flows[prop].reindex(demand).to_numpy(float)
        virgin = resources[prop].reindex(demand_resource).to_numpy(float)
        source = flows[prop].reindex(supply).to_numpy(float)
        swappable &= np.isnan(limit) | (virgin <= source)

    eta = links["delivered_factor"].to_numpy(float)
    upper = links["upper"].to_numpy(float)
    fixed = links["fixed_cost"].to_numpy(float)
    s_cost = (
        eta * links["receiver_price"].to_numpy(float)
        + links["supplier_price"].to_numpy(float)
        - links["var_cost"].to_numpy(float)
        - links["size_cost"].to_numpy(float)  # K ≥ the yearly flow: κ K ≥ κ F
    )
    s_virgin = eta * resources["virgin_weight"].reindex(demand_resource).to_numpy(float)
    s_co2e = (
        eta * resources["virgin_co2e"].reindex(demand_resource).to_numpy(float)
        + resources["disposal_co2e"].reindex(supply_resource).to_numpy(float)
        - links["co2e_per_unit"].to_numpy(float)
    )
    never_helps = swappable.copy()
    for w_cost, w_virgin, w_co2e in objective_weights(park.settings):
        unit = w_cost * s_cost + w_virgin * s_virgin + w_co2e * s_co2e
        never_helps &= (upper * unit - w_cost * fixed <= 0) & (w_cost * fixed >= 0)
    return never_helps


def dominated_modes(park: Park, links: pd.DataFrame) -> np.ndarray:
    r"""Parallel links (same supply row, demand row and sites) in a mode another one beats.

    Link a is dominated by a parallel link b when moving a's flow F onto b — sending
    F η_a / η_b on b (the same delivery) and discharging the rest — is feasible and worse in
    nothing:

    - η_b ≥ η_a (r = η_a / η_b ≤ 1) and b's own capacity never binds, in any period
      (U_bt = min(q_i s_it, q_j s_jt / η_b)): the merged flow fits whatever b already carries;
    - b is not sized (a sized link's cost grows with what it may carry; a sized a is only
      dearer than the terms below say, so it may be dominated);
    - k_b ≤ k_a (building b instead of a costs no more);
    - per unit sent on a: v_b r + p_i (1 − r) ≤ v_a and e_b r + e^d_{r(i)} (1 − r) ≤ e_a
      (cost and CO2e; virgin use does not change: the same quantity is delivered);
    - every objective weight of :func:`objective_weights` is ≥ 0.

    Same supplier, receiver, supply and demand rows, and delivery: quality, dependency,
    win_win shares (each firm's share of a saving that does not fall) and max_links are
    kept. Of equal links the first is kept. Internal arcs are never compared.
    """
    drop = np.zeros(len(links), dtype=bool)
    if any(w < 0 for ws in objective_weights(park.settings) for w in ws):
        return drop
    external = links[~links["internal"].astype(bool)]
    key = ["supply_flow", "demand_flow", "from_site", "to_site"]
    parallel = external[external.duplicated(key, keep=False)]
    if parallel.empty:
        return drop
    disposal_co2e = park.resources["disposal_co2e"].astype(float)
    free = _never_binds(park, parallel)
    position = {label: n for n, label in enumerate(links.index)}
    for _, group in parallel.groupby(key, sort=False):
        rows = list(group.itertuples())
        for a in rows:
            for b in rows:
                if a.Index != b.Index and free[b.Index] and _beats(b, a, disposal_co2e, park):
                    drop[position[a.Index]] = True
                    break
    return drop


def _never_binds(park: Park, links: pd.DataFrame) -> pd.Series:
    """Per link: unsized, and its bound is the rows' bound in every period (its mode's
    capacity and the receiver's quality limits never bind)."""
    shares = park.shares()
    qty = park.flows["quantity"].astype(float)
    q_i = qty.reindex(links["supply_flow"]).to_numpy(float)
    q_j = qty.reindex(links["demand_flow"]).to_numpy(float)
    eta = links["delivered_factor"].to_numpy(float)
    ok = ~links["sized"].to_numpy(bool)
    for t in park.period_hours.index:
        s_i = shares[t].reindex(links["supply_flow"]).to_numpy(float)
        s_j = shares[t].reindex(links["demand_flow"]).to_numpy(float)
        rows = np.minimum(q_i * s_i, q_j * s_j / eta)
        bound = np.asarray(link_bounds(park, links, shares, t), dtype=float)
        ok &= bound >= rows * (1 - 1e-12)
    return pd.Series(ok, index=links.index)


def _beats(b, a, disposal_co2e: pd.Series, park: Park) -> bool:
    """Whether parallel link ``b`` dominates link ``a`` (see :func:`dominated_modes`)."""
    if b.delivered_factor < a.delivered_factor:
        return False
    r = a.delivered_factor / b.delivered_factor
    e_discharge = float(disposal_co2e[park.flows.at[a.supply_flow, "resource_id"]])
    b_terms = (
        b.fixed_cost,
        b.var_cost * r + a.supplier_price * (1 - r),
        b.co2e_per_unit * r + e_discharge * (1 - r),
    )
    a_terms = (a.fixed_cost, a.var_cost, a.co2e_per_unit)
    if any(x > y for x, y in zip(b_terms, a_terms)):
        return False
    equal = (
        all(x == y for x, y in zip(b_terms, a_terms)) and b.delivered_factor == a.delivered_factor
    )
    return not equal or b.Index < a.Index
