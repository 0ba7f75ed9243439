"""An independent check of a design against the raw input tables.

The tables are the plain dicts a test wrote into the workbook (sheet → list of row dicts,
``settings`` a dict), read here with the defaults of SPEC §2 written out again. From the
design, only *what was decided* is read — which firms are admitted and where, which links are
built (by supplier, receiver, resources, mode and sites), how much each sends, and what each
flows row buys or discharges. Every distance, price, loss, annuity and emission is worked out
here from the tables, never taken from the park, the candidate-link frame or the model.

``check_design(tables, solution)`` returns the recomputed metrics and a list of every broken
rule (balances, unbuilt links, admission, siting, modes, quality).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REL = 1e-6  # relative tolerance of every balance and limit
EARTH_RADIUS_KM = 6371.0088

SETTING_DEFAULTS = {
    "objective": "cost",
    "weight_cost": 1.0,
    "weight_virgin": 0.0,
    "weight_co2e": 0.0,
    "discount_rate": 0.08,
    "lifetime_years": 20.0,
    "internal_reuse": False,
}
MODE_DEFAULTS = {
    "resources": "*",
    "capex_fixed": 0.0,
    "capex_per_km": 0.0,
    "lifetime_years": None,
    "opex_fixed": 0.0,
    "cost_per_unit_km": 0.0,
    "capacity": None,
    "max_distance_km": None,
    "loss_per_km": 0.0,
    "co2e_per_unit_km": 0.0,
    "detour_factor": 1.0,
}


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def value_or(record: Mapping[str, Any], key: str, default: Any) -> Any:
    value = record.get(key)
    return default if blank(value) else value


def ids(text: Any) -> list[str]:
    return [] if blank(text) else [p.strip() for p in str(text).split(",") if p.strip()]


@dataclass
class Check:
    """Recomputed metrics of a design and the rules it breaks (empty = all hold)."""

    cost: float = 0.0
    cost_baseline: float = 0.0
    virgin: float = 0.0
    virgin_baseline: float = 0.0
    co2e: float = 0.0
    co2e_baseline: float = 0.0
    problems: list[str] = field(default_factory=list)

    def objective(self, name: str, settings: Mapping[str, Any]) -> float:
        delta = {
            "cost": self.cost - self.cost_baseline,
            "virgin": self.virgin - self.virgin_baseline,
            "co2e": self.co2e - self.co2e_baseline,
        }
        if name == "weighted":
            return sum(
                float(value_or(settings, f"weight_{k}", SETTING_DEFAULTS[f"weight_{k}"])) * delta[k]
                for k in delta
            )
        return delta[name]


class RawPark:
    """The raw tables with the SPEC defaults applied, and the physics of a link."""

    def __init__(self, tables: Mapping[str, Any]):
        self.tables = tables
        self.settings = {
            **SETTING_DEFAULTS,
            **{k: v for k, v in dict(tables.get("settings") or {}).items() if not blank(v)},
        }
        self.firms = {f["firm_id"]: f for f in tables["firms"]}
        self.sites = {s["site_id"]: s for s in tables["sites"]}
        self.resources = {r["resource_id"]: r for r in tables["resources"]}
        self.properties = [p["property"].strip().lower() for p in tables.get("properties", [])]
        self.flows = {(f["firm_id"], f["resource_id"], f["direction"]): f for f in tables["flows"]}
        if "transport" in tables:
            self.modes = {
                m["mode"]: {**MODE_DEFAULTS, **{k: v for k, v in m.items() if not blank(v)}}
                for m in tables["transport"]
            }
        else:  # SPEC: one cost-free pipeline mode carries everything
            self.modes = {"pipeline": dict(MODE_DEFAULTS)}
        self.subs = {
            (s["from_resource"], s["to_resource"]): s for s in tables.get("substitutions", [])
        }
        given = {
            (d["from_site"], d["to_site"]): float(d["distance_km"])
            for d in tables.get("distances", [])
        }
        self.distances = dict(given)
        for (a, b), km in given.items():
            self.distances.setdefault((b, a), km)

    # --- inputs per row / link ---------------------------------------------------------------

    def price(self, firm: str, resource: str, direction: str) -> float | None:
        """What one unit costs the firm: bought (demand) or discharged (supply); None when it
        cannot be bought."""
        row = self.flows[(firm, resource, direction)]
        if not blank(row.get("price")):
            return float(row["price"])
        res = self.resources[resource]
        if direction == "demand":
            return None if blank(res.get("virgin_price")) else float(res["virgin_price"])
        return float(value_or(res, "disposal_cost", 0.0))

    def route_km(self, mode: str, a: str, b: str) -> float:
        if (a, b) in self.distances:
            return self.distances[(a, b)]
        if a == b:
            return 0.0
        sa, sb = self.sites[a], self.sites[b]
        if not blank(sa.get("lat")):
            la1, lo1, la2, lo2 = map(
                math.radians,
                (float(sa["lat"]), float(sa["lon"]), float(sb["lat"]), float(sb["lon"])),
            )
            h = (
                math.sin((la2 - la1) / 2) ** 2
                + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
            )
            straight = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
        else:
            straight = math.hypot(
                float(sa["x_km"]) - float(sb["x_km"]), float(sa["y_km"]) - float(sb["y_km"])
            )
        return straight * float(self.modes[mode]["detour_factor"])

    def crf(self, mode: str) -> float:
        rate = float(self.settings["discount_rate"])
        years = float(value_or(self.modes[mode], "lifetime_years", self.settings["lifetime_years"]))
        return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** -years)

    def ratio(self, src: str, dst: str) -> float:
        return 1.0 if src == dst else float(value_or(self.subs[(src, dst)], "ratio", 1.0))

    def treatment(self, src: str, dst: str, key: str) -> float:
        return 0.0 if src == dst else float(value_or(self.subs[(src, dst)], key, 0.0))

    def fixed_cost(self, mode: str, km: float) -> float:
        m = self.modes[mode]
        return (float(m["capex_fixed"]) + float(m["capex_per_km"]) * km) * self.crf(mode) + float(
            m["opex_fixed"]
        )

    def delivered_factor(self, mode: str | None, km: float, src: str, dst: str) -> float:
        loss = 0.0 if mode is None else float(self.modes[mode]["loss_per_km"]) * km
        return self.ratio(src, dst) * (1.0 - loss)


def check_design(tables: Mapping[str, Any], solution: Any) -> Check:
    """Recompute the design's metrics from ``tables`` and list every rule it breaks."""
    raw = RawPark(tables)
    out = Check()
    problems = out.problems
    internal_ok = bool(raw.settings["internal_reuse"])
    admitted = {f: bool(a) for f, a in zip(solution.firms.index, solution.firms["admitted"])}
    site_of = dict(zip(solution.firms.index, solution.firms["site"]))

    # --- firms: admission and siting ---------------------------------------------------------
    plot_use: dict[str, int] = defaultdict(int)
    for firm, rec in raw.firms.items():
        status = value_or(rec, "status", "existing")
        if status == "existing" and not admitted[firm]:
            problems.append(f"existing firm {firm} is not admitted")
        if not admitted[firm]:
            continue
        if status == "candidate":
            out.cost += float(value_or(rec, "admission_cost", 0.0))
        given = value_or(rec, "site", None)
        if given is not None:
            if site_of[firm] != given:
                problems.append(f"{firm} stands on {site_of[firm]}, not on its site {given}")
            continue
        plot = site_of[firm]
        allowed = ids(rec.get("allowed_sites")) or [
            s for s, r in raw.sites.items() if value_or(r, "kind", "fixed") == "plot"
        ]
        if plot not in allowed:
            problems.append(f"floating candidate {firm} placed on {plot}, not in {allowed}")
            continue
        plot_use[plot] += 1
        out.cost += float(value_or(raw.sites[plot], "site_cost", 0.0))
    for plot, used in plot_use.items():
        cap = int(value_or(raw.sites[plot], "capacity", 1))
        if used > cap:
            problems.append(f"plot {plot} holds {used} candidates, capacity {cap}")

    # --- links ---------------------------------------------------------------------------------
    sent_from: dict[tuple[str, str], float] = defaultdict(float)
    delivered_to: dict[tuple[str, str], float] = defaultdict(float)
    quality_in: dict[tuple[str, str, str], float] = defaultdict(float)
    for rec in solution.links.to_dict("records"):
        sent, build = float(rec["sent"]), float(rec["build"]) > 0.5
        sup, rcv = rec["supplier"], rec["receiver"]
        src, dst, mode = rec["from_resource"], rec["to_resource"], rec["mode"]
        name = f"link {sup}→{rcv} {src}→{dst} by {mode} {rec['from_site']}→{rec['to_site']}"
        internal = mode == "internal"
        if sent < 0:
            problems.append(f"{name}: negative flow {sent}")
        if not internal and sent > 0 and not build:
            problems.append(f"{name}: {sent:g} sent on a link that is not built")
        if not (sent > 0 or (build and not internal)):
            continue
        for firm in (sup, rcv):
            if not admitted[firm]:
                problems.append(f"{name}: touches {firm}, which is not admitted")
        if (rec["from_site"], rec["to_site"]) != (site_of[sup], site_of[rcv]):
            problems.append(
                f"{name}: ends are not where the firms stand ({site_of[sup]}→{site_of[rcv]})"
            )
        if src != dst and (src, dst) not in raw.subs:
            problems.append(f"{name}: {src} cannot replace {dst}")
        if (sup, src, "supply") not in raw.flows or (rcv, dst, "demand") not in raw.flows:
            problems.append(f"{name}: no such supply or demand row")
            continue
        if internal:
            if not internal_ok or sup != rcv:
                problems.append(f"{name}: internal arc not allowed")
            km, eta, var, co2 = 0.0, raw.ratio(src, dst), 0.0, 0.0
        else:
            if sup == rcv:
                problems.append(f"{name}: a firm linked to itself")
            m = raw.modes[mode]
            carried = ids(m["resources"])
            if "*" not in carried and src not in carried:
                problems.append(f"{name}: mode {mode} does not carry {src}")
            km = raw.route_km(mode, rec["from_site"], rec["to_site"])
            if not blank(m["max_distance_km"]) and km > float(m["max_distance_km"]) + 1e-9:
                problems.append(f"{name}: {km:g} km beyond the mode's {m['max_distance_km']} km")
            if not blank(m["capacity"]) and sent > float(m["capacity"]) * (1 + REL) + 1e-9:
                problems.append(f"{name}: {sent:g} sent above the capacity {m['capacity']}")
            eta = raw.delivered_factor(mode, km, src, dst)
            if eta <= 0:
                problems.append(f"{name}: nothing arrives ({eta:g} delivered per unit)")
            var = float(m["cost_per_unit_km"]) * km
            co2 = float(m["co2e_per_unit_km"]) * km
            if build:
                out.cost += raw.fixed_cost(mode, km)
        out.cost += sent * (var + raw.treatment(src, dst, "treatment_cost"))
        out.co2e += sent * (co2 + raw.treatment(src, dst, "treatment_co2e"))
        sent_from[(sup, src)] += sent
        delivered_to[(rcv, dst)] += sent * eta
        supply_row = raw.flows[(sup, src, "supply")]
        demand_row = raw.flows[(rcv, dst, "demand")]
        for prop in raw.properties:
            if blank(demand_row.get(prop)):
                continue
            if blank(supply_row.get(prop)):
                if sent > 0:
                    problems.append(
                        f"{name}: {prop} of the supply is unknown but the demand limits it"
                    )
                continue
            quality_in[(rcv, dst, prop)] += sent * eta * float(supply_row[prop])

    # --- rows: balances, market, quality -------------------------------------------------------
    market = {
        (r["firm_id"], r["resource_id"], r["direction"]): float(r["market"])
        for r in solution.rows.to_dict("records")
    }
    for (firm, res, direction), row in raw.flows.items():
        q = float(row["quantity"])
        bought = market[(firm, res, direction)]
        price = raw.price(firm, res, direction)
        resource = raw.resources[res]
        where = f"{firm}/{res}/{direction}"
        if not admitted[firm]:
            if bought > 0 or sent_from.get((firm, res), 0) or delivered_to.get((firm, res), 0):
                problems.append(f"{where}: firm not admitted but its row is used")
            continue
        tol = REL * q + 1e-9
        if direction == "supply":
            exchanged = sent_from.get((firm, res), 0.0)
            if abs(exchanged + bought - q) > tol:
                problems.append(f"{where}: sent {exchanged:.9g} + discharged {bought:.9g} ≠ {q:g}")
            out.cost += bought * price
            out.cost_baseline += q * price
            unit_co2 = float(value_or(resource, "disposal_co2e", 0.0))
            out.co2e += bought * unit_co2
            out.co2e_baseline += q * unit_co2
            continue
        delivered = delivered_to.get((firm, res), 0.0)
        if abs(delivered + bought - q) > tol:
            problems.append(f"{where}: delivered {delivered:.9g} + bought {bought:.9g} ≠ {q:g}")
        weight = float(value_or(resource, "virgin_weight", 1.0))
        unit_co2 = float(value_or(resource, "virgin_co2e", 0.0))
        if price is None:
            if bought > tol:
                problems.append(f"{where}: buys {bought:g} of a resource that cannot be bought")
        else:
            out.cost += bought * price
            out.cost_baseline += q * price
            out.virgin_baseline += q * weight
            out.co2e_baseline += q * unit_co2
        out.virgin += bought * weight
        out.co2e += bought * unit_co2
        for prop in raw.properties:
            limit = row.get(prop)
            if blank(limit):
                continue
            mix = quality_in[(firm, res, prop)] + bought * float(value_or(resource, prop, 0.0))
            if mix > float(limit) * q * (1 + REL) + 1e-9:
                problems.append(
                    f"{where}: {prop} in the delivered mix {mix / q:.9g} above the limit {limit}"
                )
    return out
