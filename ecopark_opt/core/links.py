"""Candidate links and distances, computed sparsely in pandas before any model is built.

A candidate link is (supply row, demand row, mode, from_site, to_site) such that the
resources match or a substitution allows it, the mode carries the supplied resource, the
route is within the mode's limit, something arrives, and the firms differ. Floating
candidates are expanded over their allowed plots, so distances stay data, not decisions.
Pairs are formed only between sites within a mode's reach (a k-d tree per resource on large
parks), so the work grows with the number of links. The pruning of candidates that can never be part of
an optimal design is in :mod:`.prune`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..park import Park

EARTH_RADIUS_KM = 6371.0088
INTERNAL = "internal"
# supply sites × demand sites up to which the near pairs are found by comparing every pair
# (a workbook-sized park); above it a k-d tree keeps the work in proportion to the links
KD_TREE_PAIRS = 4096

LINK_COLUMNS = [
    "supplier",
    "receiver",
    "supply_flow",
    "demand_flow",
    "from_resource",
    "to_resource",
    "mode",
    "from_site",
    "to_site",
    "distance_km",
    "internal",
    "ratio",
    "loss",
    "delivered_factor",
    "upper",
    "mode_capacity",
    "quality_upper",
    "fixed_cost",
    "capex_annual",
    "sized",
    "size_cost",
    "opex_fixed",
    "var_cost",
    "transport_cost",
    "treatment_cost",
    "co2e_per_unit",
    "receiver_price",
    "supplier_price",
    "supplier_floats",
    "receiver_floats",
]


def site_options(park: Park) -> pd.DataFrame:
    """One row per (firm, site it may stand on): its fixed site, or each allowed plot."""
    firms = park.firms
    rows = [
        (firm, site, rec_site is None)
        for firm, rec_site, allowed in zip(firms.index, firms["site"], firms["allowed_sites"])
        for site in allowed
    ]
    return pd.DataFrame(rows, columns=["firm_id", "site", "floats"])


def pair_distances(park: Park, from_sites: np.ndarray, to_sites: np.ndarray) -> np.ndarray:
    """Straight-line (or great-circle) distance in km for aligned arrays of site ids."""
    sites = park.sites
    if sites["lat"].notna().all() and len(sites):
        lat = np.radians(sites["lat"].astype(float))
        lon = np.radians(sites["lon"].astype(float))
        lat1, lon1 = lat.reindex(from_sites).to_numpy(), lon.reindex(from_sites).to_numpy()
        lat2, lon2 = lat.reindex(to_sites).to_numpy(), lon.reindex(to_sites).to_numpy()
        a = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    x = sites["x_km"].astype(float)
    y = sites["y_km"].astype(float)
    dx = x.reindex(from_sites).to_numpy() - x.reindex(to_sites).to_numpy()
    dy = y.reindex(from_sites).to_numpy() - y.reindex(to_sites).to_numpy()
    return np.hypot(dx, dy)


def distance_overrides(park: Park) -> dict[tuple[str, str], float]:
    """The distances sheet as a lookup; a row applies both ways unless its reverse is given."""
    given = {
        (f, t): float(d)
        for f, t, d in zip(
            park.distances["from_site"], park.distances["to_site"], park.distances["distance_km"]
        )
    }
    out = dict(given)
    for (f, t), d in given.items():
        out.setdefault((t, f), d)
    return out


def resource_pairs(park: Park) -> pd.DataFrame:
    """Which supplied resource can meet which demanded one: identity plus substitutions."""
    same = pd.DataFrame(
        {
            "from_resource": park.resources.index,
            "to_resource": park.resources.index,
            "ratio": 1.0,
            "treatment_cost": 0.0,
            "treatment_co2e": 0.0,
        }
    )
    subs = park.substitutions[
        ["from_resource", "to_resource", "ratio", "treatment_cost", "treatment_co2e"]
    ]
    return pd.concat([same, subs], ignore_index=True).astype(
        {"ratio": float, "treatment_cost": float, "treatment_co2e": float}
    )


def mode_resources(park: Park) -> pd.DataFrame:
    """(mode, resource) pairs a mode may carry, ``*`` expanded."""
    rows = []
    for mode, carried in zip(park.transport.index, park.transport["resources"]):
        resources = park.resources.index if "*" in carried else carried
        rows.extend((mode, r) for r in resources)
    return pd.DataFrame(rows, columns=["mode", "from_resource"]).drop_duplicates()


def candidate_links(park: Park, spatial: bool = True) -> pd.DataFrame:
    """Every candidate link with its distance, delivered fraction, bound and costs.

    Columns: see ``LINK_COLUMNS``. ``upper`` is U, the most that can be sent in a year:
    min(supply quantity, demand quantity / (ratio × (1 − loss)), ``mode_capacity``,
    ``quality_upper`` — the most the receiver's quality limits let through
    (:func:`quality_upper`)); per period the model scales each term by the period's share.
    ``fixed_cost`` is the annual cost of building it (annualised capex + fixed opex),
    ``var_cost`` the cost per unit sent (transport + treatment), ``co2e_per_unit`` the kg
    emitted per unit sent. A ``sized`` link (its mode has a sizing cost) has a capacity to
    decide, at ``size_cost`` per unit of capacity and year (annualised capex per capacity
    and per capacity·km). Internal arcs (internal_reuse) have mode ``internal``.

    With ``spatial`` (the default) supply and demand rows are paired only when their sites
    are within reach of a mode that carries the resource (:func:`_external_pairs`, a k-d
    tree), so the work grows with the number of links, not with supplies × demands; without
    it every pair is formed first and filtered by distance. Both give the same frame.
    """
    flows = park.flows
    options = site_options(park)
    supply = flows[(flows["direction"] == "supply") & (flows["quantity"] > 0)]
    demand = flows[(flows["direction"] == "demand") & (flows["quantity"] > 0)]
    sup = pd.DataFrame(
        {
            "supply_flow": supply.index,
            "supplier": supply["firm_id"].to_numpy(),
            "from_resource": supply["resource_id"].to_numpy(),
            "supply_qty": supply["quantity"].to_numpy(float),
            "supplier_price": supply["price"].to_numpy(float),
        }
    )
    dem = pd.DataFrame(
        {
            "demand_flow": demand.index,
            "receiver": demand["firm_id"].to_numpy(),
            "to_resource": demand["resource_id"].to_numpy(),
            "demand_qty": demand["quantity"].to_numpy(float),
            "receiver_price": np.nan_to_num(demand["price"].to_numpy(float), nan=0.0),
        }
    )
    supplier_at = options.rename(
        columns={"firm_id": "supplier", "site": "from_site", "floats": "supplier_floats"}
    )
    receiver_at = options.rename(
        columns={"firm_id": "receiver", "site": "to_site", "floats": "receiver_floats"}
    )
    if spatial:
        external = _external_pairs(
            park, sup.merge(supplier_at, on="supplier"), dem.merge(receiver_at, on="receiver")
        )
        external = _quality_compatible(park, external)
    else:
        pairs = sup.merge(resource_pairs(park), on="from_resource").merge(dem, on="to_resource")
        pairs = _quality_compatible(park, pairs)
        external = pairs[pairs["supplier"] != pairs["receiver"]]
        external = external.merge(supplier_at, on="supplier").merge(receiver_at, on="receiver")
    external = external.merge(mode_resources(park), on="from_resource")
    external = _with_transport(park, external)

    frames = [external]
    own = _own_pairs(park, sup, dem)
    if not own.empty:
        frames.append(_internal_arcs(park, _quality_compatible(park, own)))
    links = pd.concat(frames, ignore_index=True)
    links["mode_capacity"] = links["capacity"]
    links["quality_upper"] = quality_upper(park, links)
    links["upper"] = np.minimum(
        links["supply_qty"], links["demand_qty"] / links["delivered_factor"]
    )
    links["upper"] = np.fmin(links["upper"], links["capacity"])
    links["upper"] = np.minimum(links["upper"], links["quality_upper"])
    links = links.sort_values(
        ["from_resource", "to_resource", "supplier", "receiver", "mode", "from_site", "to_site"],
        kind="stable",
    ).reset_index(drop=True)
    links.index.name = "link"
    return links[LINK_COLUMNS]


def quality_upper(park: Park, links: pd.DataFrame) -> np.ndarray:
    r"""The most a link can send without breaking its receiver's quality limits (inf where
    no limit binds): a tighter big-M for F_l ≤ U_l B_l, valid in every design.

    A demand row j is met exactly (η_l F_l + the rest = q_j), and the rest comes from other
    links or the virgin resource, none cleaner than c^min_{j,k} = min(c_{i(l'),k} over every
    candidate link l' into j, c^virgin_{r(j),k} when j can buy). When a source is dirtier
    than the limit, c_{i(l),k} > L_{j,k} > c^min_{j,k}, the mix stays within the limit only if

    .. math:: η_l F_l \, c_{i(l),k} + (q_j - η_l F_l) \, c^{min}_{j,k} \le L_{j,k} q_j
              \iff F_l \le \frac{q_j (L_{j,k} - c^{min}_{j,k})}{η_l (c_{i(l),k} - c^{min}_{j,k})}

    Using fewer links (a firm that leaves, a link left out) only raises c^min, so the bound
    stays valid for every analysis built on these links.
    """
    upper = np.full(len(links), np.inf)
    if links.empty or not park.property_names:
        return upper
    flows = park.flows
    demand = links["demand_flow"].to_numpy()
    buyable = flows["price"].reindex(demand).notna().to_numpy()
    qty = links["demand_qty"].to_numpy(float)
    eta = links["delivered_factor"].to_numpy(float)
    for k in park.property_names:
        limit = flows[k].reindex(demand).to_numpy(float)
        source = flows[k].reindex(links["supply_flow"]).to_numpy(float)
        virgin = park.resources[k].reindex(links["to_resource"]).to_numpy(float)
        virgin = np.where(buyable, virgin, np.inf)
        cleanest = pd.Series(source).groupby(demand).transform("min").to_numpy(float)
        cleanest = np.fmin(cleanest, virgin)
        binds = ~np.isnan(limit) & (source > limit) & (cleanest < limit) & (eta > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = qty * (limit - cleanest) / (eta * (source - cleanest))
        upper = np.where(binds, np.minimum(upper, bound), upper)
    return upper


def reach_km(park: Park) -> dict[str, float]:
    """Per supplied resource, the longest straight-line distance a mode carrying it may
    span: max over those modes of max_distance_km / detour_factor (inf when one is unlimited;
    resources no mode carries are absent). ``distances`` rows are handled apart."""
    modes = mode_resources(park).merge(park.transport, left_on="mode", right_index=True)
    straight = modes["max_distance_km"].astype(float) / modes["detour_factor"].astype(float)
    return straight.fillna(np.inf).groupby(modes["from_resource"]).max().to_dict()


def _site_points(park: Park) -> pd.DataFrame:
    """Site coordinates in which Euclidean distance orders pairs as ``pair_distances`` does:
    planar km, or points on a sphere of the Earth's radius (chord length) for lat/lon."""
    sites = park.sites
    if sites["lat"].notna().all() and len(sites):
        lat = np.radians(sites["lat"].astype(float))
        lon = np.radians(sites["lon"].astype(float))
        return EARTH_RADIUS_KM * pd.DataFrame(
            {"a": np.cos(lat) * np.cos(lon), "b": np.cos(lat) * np.sin(lon), "c": np.sin(lat)}
        )
    return sites[["x_km", "y_km"]].astype(float)


def _search_radius(park: Park, km: float) -> float:
    """A radius in ``_site_points`` space that includes every pair within ``km``, with a
    margin for rounding (the exact distance test comes later, in ``_with_transport``)."""
    if park.sites["lat"].notna().all() and len(park.sites):
        angle = min(km / EARTH_RADIUS_KM, np.pi)
        km = 2 * EARTH_RADIUS_KM * np.sin(angle / 2)
    return km * (1 + 1e-6) + 1e-6


def site_pairs_within(
    park: Park, from_sites: np.ndarray, to_sites: np.ndarray, km: float
) -> pd.DataFrame:
    """(from_site, to_site) pairs at most ``km`` apart in a straight line, plus every pair
    the distances sheet gives a route for; a superset of the pairs a mode with that reach
    may join. Up to ``KD_TREE_PAIRS`` site pairs every pair is measured; above it a k-d tree
    answers (the same pairs, in the same order)."""
    points = _site_points(park)
    from_sites, to_sites = np.asarray(from_sites, dtype=object), np.asarray(to_sites, dtype=object)
    origins = points.loc[from_sites].to_numpy()
    targets = points.loc[to_sites].to_numpy()
    radius = _search_radius(park, km)
    if len(origins) * len(targets) <= KD_TREE_PAIRS:
        apart = ((origins[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
        near = [np.flatnonzero(row) for row in apart <= radius**2]
    else:
        # start-up time: SciPy takes 0.2 s to import, which `ecopark validate` of a
        # workbook-sized park does not need (docs/architecture.md)
        from scipy.spatial import cKDTree

        near = cKDTree(targets).query_ball_point(origins, r=radius)
    a = np.repeat(from_sites, [len(n) for n in near])
    b = to_sites[np.concatenate(near).astype(int)] if len(a) else to_sites[:0]
    pairs = pd.DataFrame({"from_site": a, "to_site": b})
    overrides = [
        (f, t) for f, t in distance_overrides(park) if f in set(from_sites) and t in set(to_sites)
    ]
    if overrides:
        pairs = pd.concat([pairs, pd.DataFrame(overrides, columns=["from_site", "to_site"])])
    return pairs.drop_duplicates()


def _external_pairs(park: Park, sup_at: pd.DataFrame, dem_at: pd.DataFrame) -> pd.DataFrame:
    """(supply row on a site, demand row on a site) of different firms, resources matching
    (identity or substitution), sites within reach of some mode carrying the resource.

    Per (supplied, demanded) resource: a k-d tree over the demand sites answers, for each
    supply site, which demand sites lie within the resource's reach (:func:`reach_km`); an
    unlimited mode pairs every site."""
    reach = reach_km(park)
    sup_at = sup_at.merge(resource_pairs(park), on="from_resource")
    demand_of = dict(tuple(dem_at.groupby("to_resource", sort=False)))
    frames = []
    for (from_r, to_r), s in sup_at.groupby(["from_resource", "to_resource"], sort=False):
        d = demand_of.get(to_r)
        if d is None or from_r not in reach:
            continue
        if np.isinf(reach[from_r]):
            pairs = s.merge(d, on="to_resource")
        else:
            sites = site_pairs_within(
                park, s["from_site"].unique(), d["to_site"].unique(), reach[from_r]
            )
            pairs = s.merge(sites, on="from_site").merge(d, on=["to_resource", "to_site"])
        frames.append(pairs[pairs["supplier"] != pairs["receiver"]])
    if not frames:
        return sup_at.merge(dem_at, on="to_resource").iloc[:0]
    return pd.concat(frames, ignore_index=True)


def _quality_compatible(park: Park, pairs: pd.DataFrame) -> pd.DataFrame:
    """Drop pairs where the demand limits a property the supply leaves blank (unknown)."""
    if pairs.empty:
        return pairs
    keep = np.ones(len(pairs), dtype=bool)
    for prop in park.property_names:
        supply_value = park.flows[prop].reindex(pairs["supply_flow"]).to_numpy(float)
        limit = park.flows[prop].reindex(pairs["demand_flow"]).to_numpy(float)
        keep &= ~(np.isnan(supply_value) & ~np.isnan(limit))
    return pairs[keep]


def _with_transport(park: Park, links: pd.DataFrame) -> pd.DataFrame:
    """Add distance, losses, costs and emissions of each (pair, mode, sites); drop the
    links a mode cannot serve (too long, nothing delivered)."""
    transport = park.transport
    if links.empty:
        return _empty_transport_columns(links)
    mode = links["mode"].to_numpy()
    t = transport.reindex(mode)
    straight = pair_distances(park, links["from_site"].to_numpy(), links["to_site"].to_numpy())
    route = straight * t["detour_factor"].to_numpy(float)
    overrides = distance_overrides(park)
    if overrides:
        key = list(zip(links["from_site"], links["to_site"]))
        given = np.array([overrides.get(k, np.nan) for k in key], dtype=float)
        route = np.where(np.isnan(given), route, given)
    same_site = links["from_site"].to_numpy() == links["to_site"].to_numpy()
    if overrides:
        route = np.where(same_site & np.isnan(given), 0.0, route)
    else:
        route = np.where(same_site, 0.0, route)
    links = links.assign(distance_km=route)
    loss = t["loss_per_km"].to_numpy(float) * route
    max_km = t["max_distance_km"].to_numpy(float)
    ok = (np.isnan(max_km) | (route <= max_km + 1e-9)) & (loss < 1.0)
    links = links.assign(
        loss=loss,
        capacity=t["capacity"].to_numpy(float),
        capex_annual=(t["capex_fixed"].to_numpy(float) + t["capex_per_km"].to_numpy(float) * route)
        * t["crf"].to_numpy(float),
        size_cost=(
            t["capex_per_capacity"].to_numpy(float)
            + t["capex_per_capacity_km"].to_numpy(float) * route
        )
        * t["crf"].to_numpy(float),
        sized=(t["capex_per_capacity"].to_numpy(float) > 0)
        | (t["capex_per_capacity_km"].to_numpy(float) > 0),
        opex_fixed=t["opex_fixed"].to_numpy(float),
        transport_cost=t["cost_per_unit_km"].to_numpy(float) * route,
        transport_co2e=t["co2e_per_unit_km"].to_numpy(float) * route,
        internal=False,
    )[ok]
    return _finish_costs(links)


def _empty_transport_columns(links: pd.DataFrame) -> pd.DataFrame:
    for col in ("from_site", "to_site", "mode"):
        if col not in links:
            links[col] = pd.Series(dtype=object)
    for col in (
        "distance_km",
        "loss",
        "capacity",
        "capex_annual",
        "size_cost",
        "opex_fixed",
        "transport_cost",
        "transport_co2e",
    ):
        links[col] = pd.Series(dtype=float)
    links["internal"] = pd.Series(dtype=bool)
    links["sized"] = pd.Series(dtype=bool)
    for col in ("supplier_floats", "receiver_floats"):
        if col not in links:
            links[col] = pd.Series(dtype=bool)
    return _finish_costs(links)


def _finish_costs(links: pd.DataFrame) -> pd.DataFrame:
    return links.assign(
        delivered_factor=links["ratio"] * (1.0 - links["loss"]),
        fixed_cost=links["capex_annual"] + links["opex_fixed"],
        var_cost=links["transport_cost"] + links["treatment_cost"],
        co2e_per_unit=links["transport_co2e"] + links["treatment_co2e"],
    )


def _own_pairs(park: Park, sup: pd.DataFrame, dem: pd.DataFrame) -> pd.DataFrame:
    """A firm's own supply rows paired with its own demand rows: every pair with
    ``internal_reuse``; else only pairs joining a flows row and one of the firm's processes,
    or two of its processes (docs/workbook.md, process_io). A process never feeds its own
    input."""
    process = park.flows["process"] if "process" in park.flows else None
    if not park.settings.internal_reuse and (process is None or process.isna().all()):
        return sup.iloc[0:0]
    own = sup.merge(resource_pairs(park), on="from_resource").merge(
        dem, left_on=["to_resource", "supplier"], right_on=["to_resource", "receiver"]
    )
    if process is None or own.empty:
        return own
    of_supply = process.reindex(own["supply_flow"]).to_numpy(dtype=object)
    of_demand = process.reindex(own["demand_flow"]).to_numpy(dtype=object)
    with_process = pd.notna(of_supply) | pd.notna(of_demand)
    keep = with_process | park.settings.internal_reuse
    keep &= ~(pd.notna(of_supply) & (of_supply == of_demand))
    return own[keep]


def _internal_arcs(park: Park, pairs: pd.DataFrame) -> pd.DataFrame:
    """A firm's own supply meeting its own demand (or its processes'): no mode, no build,
    distance 0."""
    site = park.firms["site"].reindex(pairs["supplier"]).to_numpy()
    arcs = pairs.assign(
        mode=INTERNAL,
        from_site=site,
        to_site=site,
        distance_km=0.0,
        loss=0.0,
        capacity=np.nan,
        capex_annual=0.0,
        size_cost=0.0,
        sized=False,
        opex_fixed=0.0,
        transport_cost=0.0,
        transport_co2e=0.0,
        internal=True,
        supplier_floats=False,
        receiver_floats=False,
    )
    return _finish_costs(arcs)
