"""The report's own sheets (docs/results.md): Summary, Links, Firms, Balances, Inputs and
RunInfo, each a frame of the design written with :mod:`ecopark_opt.outputs.excel`.

Quantities of different units are never added up: totals are given per unit (t, m3, MWh, …).
"""

from __future__ import annotations

import datetime as dt
import math
import platform
from collections.abc import Mapping
from dataclasses import fields
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font

import ecopark_opt

from ..core.solution import Solution, resource_summary
from ..core.solve import SolveResult
from ..core.vocabulary import metric_units
from ..inputs.schema import SETTINGS
from ..park import PARK_TABLES
from .excel import (
    DEC_FORMAT,
    INT_FORMAT,
    KM_FORMAT,
    PCT_FORMAT,
    SECTION,
    SECTION_FONT,
    SheetWriter,
    number_format,
    plain,
)

MINUS = "\u2212"
NO_UNIT = "units"  # a resource whose unit the resources sheet leaves blank


# --- shared facts -------------------------------------------------------------------------------


class Context:
    """Names, units and labels used by several sheets."""

    def __init__(self, solution: Solution):
        self.solution = solution
        park = solution.park
        self.park = park
        self.currency = park.settings.currency
        self.money = f"{self.currency}/yr"
        self.units = park.resources["unit"].fillna("").astype(str).to_dict()
        self.names = {
            f: (n if isinstance(n, str) and n else f) for f, n in park.firms["name"].items()
        }

    def unit_of(self, resource: str) -> str:
        """The resource's unit label (``units`` when the resources sheet gives none)."""
        return self.units.get(resource, "") or NO_UNIT

    def unit_labels(self, items: Any, units: bool = False) -> list[str]:
        """The distinct units of these resources (or of these unit labels when ``units``), in
        the order of the resources sheet."""
        wanted = set(items) if units else {self.unit_of(r) for r in items}
        order = [self.unit_of(r) for r in self.park.resources.index]
        return [u for u in dict.fromkeys(order) if u in wanted]

    def unit_rows(
        self, label: str, before: dict[str, float], after: dict[str, float], always: bool = True
    ) -> list[tuple[str, str, float, float]]:
        """One indicator row per unit where it is not 0 both before and after (one blank-unit
        row of zeros when there is none and ``always``)."""
        rows = [
            (label, f"{u}/yr", before.get(u, 0.0), after.get(u, 0.0))
            for u in self.unit_labels([*before, *after], units=True)
            if before.get(u, 0.0) or after.get(u, 0.0)
        ]
        return rows or ([(label, "", 0.0, 0.0)] if always else [])

    def by_unit(self, resources: pd.Series, values: pd.Series) -> dict[str, float]:
        """Sums of ``values`` per unit of their resource (never across units), in the order
        of the resources sheet."""
        unit = [self.unit_of(r) for r in resources]
        sums = pd.Series(np.asarray(values, dtype=float)).groupby(unit).sum().to_dict()
        return {u: float(sums[u]) for u in self.unit_labels(sums, units=True)}

    def objective_unit(self) -> str:
        obj = self.solution.objective
        if obj == "cost":
            return self.money
        if obj == "co2e":
            return "kg CO2e/yr"
        if obj == "virgin":
            return "virgin units/yr"
        return "weighted"


def tie_break_text(result: SolveResult) -> str:
    """``, cost tie-break gap 5.82 %`` when the cost tie-break of a virgin or CO2e run
    stopped before it was proved (the objective's own gap can then read 0.00 %); else
    nothing."""
    extra = result.extra or {}
    if extra.get("tie_break_status", "optimal") == "optimal":
        return ""
    tie_gap = extra.get("tie_break_gap")
    return ", cost tie-break gap " + ("unknown" if tie_gap is None else f"{tie_gap * 100:.2f} %")


def status_text(solution: Solution) -> str:
    """Plain words for the run's status; a time-limited run never reads as optimal."""
    status = solution.status
    gap = solution.gap
    if status == "optimal":
        text = "optimal"
        if gap is not None and gap > 0:
            text += f" (proved within a gap of {gap * 100:.2g} %)"
        tie_gap = (solution.result.extra or {}).get("tie_break_gap")
        if tie_gap:  # virgin / co2e: the cheapest of the best designs, to within this
            text += f", cost tie-break within {tie_gap * 100:.2g} %"
        return text
    if status == "time_limit":
        gap_text = "gap unknown" if gap is None else f"gap {gap * 100:.2f} %"
        gap_text += tie_break_text(solution.result)
        return f"stopped at time limit, {gap_text}: the best design found, a better one may exist"
    if status == "infeasible":
        return "infeasible: no design satisfies the constraints"
    return f"error: {solution.result.message or 'the solver failed'}"


OBJECTIVE_TEXT = {
    "cost": "cost: minimise the park's annual cost",
    "virgin": "virgin: minimise virgin resource use (ties broken by cost)",
    "co2e": "co2e: minimise CO2e emissions (ties broken by cost)",
    "weighted": "weighted: minimise the weighted sum of cost, virgin use and CO2e",
}


def kpi_table(ctx: Context) -> pd.DataFrame:
    """Indicators before (standalone baseline) and after (design).

    Quantities of different units are never added up: waste discharged and quantity
    exchanged take one row per unit (t, m3, MWh, …). A supply discharged at a negative
    price is sold, not waste. Process rows add nothing to the standalone baseline. Virgin resource use is the model's
    metric (purchases weighted by ``virgin_weight``, docs/workbook.md); when that is not a
    plain quantity of one unit, the purchases follow it, one row per unit.
    """
    s = ctx.solution
    rows = s.rows[s.rows["admitted"]]
    supply = rows[rows["direction"] == "supply"]
    demand = rows[rows["direction"] == "demand"]
    built = s.built_links
    links = built[~built["internal"].astype(bool)]
    m = s.metrics
    res = ctx.park.resources
    units = ctx.unit_labels(res.index)
    virgin_unit = next(iter(units)) if len(units) == 1 and (res["virgin_weight"] == 1).all() else ""
    table = [
        ("annual cost", ctx.money, m["cost"]["baseline"], m["cost"]["design"]),
        (
            "virgin resource use",
            f"{virgin_unit or 'weighted units'}/yr",
            m["virgin"]["baseline"],
            m["virgin"]["design"],
        ),
    ]
    if not virgin_unit:
        buyable = demand[demand["buyable"].astype(bool)]
        table += ctx.unit_rows(
            "virgin purchase",
            ctx.by_unit(buyable["resource_id"], buyable["baseline_quantity"]),
            ctx.by_unit(demand["resource_id"], demand["market"]),
            always=False,
        )
    sold = supply["price"] < 0  # a negative disposal price is a sale (docs/workbook.md)
    waste, sales = supply[~sold], supply[sold]
    table += ctx.unit_rows(
        "waste discharged",
        ctx.by_unit(waste["resource_id"], waste["baseline_quantity"]),
        ctx.by_unit(waste["resource_id"], waste["market"]),
    )
    table += ctx.unit_rows(
        "sold to the market",
        ctx.by_unit(sales["resource_id"], sales["baseline_quantity"]),
        ctx.by_unit(sales["resource_id"], sales["market"]),
        always=False,
    )
    table.append(
        ("CO2e emissions", metric_units("")["co2e"], m["co2e"]["baseline"], m["co2e"]["design"])
    )
    table += ctx.unit_rows(
        "quantity exchanged (sent)", {}, ctx.by_unit(built["from_resource"], built["sent"])
    )
    table.append(("links built", "", 0, len(links)))
    n_internal = len(built) - len(links)
    if n_internal:
        table.append(("internal reuse arcs", "", 0, n_internal))
    frame = pd.DataFrame(table, columns=["indicator", "unit", "standalone baseline", "design"])
    frame["change"] = frame["design"] - frame["standalone baseline"]
    base = frame["standalone baseline"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change [%]"] = np.where(base != 0, frame["change"] / base.abs(), np.nan)
    return frame


def _pct_words(pct: float) -> str:
    if not math.isfinite(pct):
        return ""
    value = f"{abs(pct):.0f}" if abs(pct) >= 1 else f"{abs(pct):.1f}"
    sign = MINUS if pct < 0 else "+" if pct > 0 else ""
    return f"{sign}{value} %"


def resource_table(ctx: Context) -> pd.DataFrame:
    """Per resource: virgin purchase and discharge before / after, with a one-line reading."""
    rs = resource_summary(ctx.solution)
    words = []
    for r, rec in rs.iterrows():
        parts = []
        if rec["purchase_before"] > 0:
            parts.append(f"{r} purchase {_pct_words(rec['purchase_change_pct'])}")
        elif rec["purchase_after"] > 0:
            parts.append(f"{r} purchase new")
        if rec["discharge_before"] > 0:
            parts.append(f"discharge {_pct_words(rec['discharge_change_pct'])}")
        words.append(", ".join(parts))
    return pd.DataFrame(
        {
            "resource": rs.index,
            "name": rs["name"].to_numpy(),
            "unit": rs["unit"].fillna("").to_numpy(),
            "virgin purchase before [unit/yr]": rs["purchase_before"].to_numpy(float),
            "virgin purchase after [unit/yr]": rs["purchase_after"].to_numpy(float),
            "purchase change [%]": rs["purchase_change_pct"].to_numpy(float) / 100,
            "discharge before [unit/yr]": rs["discharge_before"].to_numpy(float),
            "discharge after [unit/yr]": rs["discharge_after"].to_numpy(float),
            "discharge change [%]": rs["discharge_change_pct"].to_numpy(float) / 100,
            "in words": words,
        }
    )


# --- sheets -------------------------------------------------------------------------------------


def summary_sheet(sh: SheetWriter, ctx: Context) -> None:
    """Status, objective, KPIs against the standalone baseline, per-resource change."""
    s = ctx.solution
    park = ctx.park
    sh.put(1, 1, "Eco-industrial park design", font=Font(bold=True, size=14), measure=10)
    source = park.source.name if park.source else "(workbook in memory)"
    sh.put(2, 1, f"input: {source}", measure=10)
    firms = s.firms
    cand = firms[firms["status"] == "candidate"]
    admitted_cand = int(cand["admitted"].sum())
    existing = int((firms["status"] == "existing").sum())
    gap = s.gap
    pairs: list[tuple[str, Any]] = [
        ("status", status_text(s)),
        ("objective", OBJECTIVE_TEXT.get(s.objective, s.objective)),
        (f"objective value [{ctx.objective_unit()}]", s.objective_value),
        ("relative MIP gap", gap if gap is not None else "unknown"),
        (
            "firms",
            f"{existing} existing"
            + (
                f", {admitted_cand} of {len(cand)} candidates admitted"
                if len(cand)
                else ", no candidates"
            ),
        ),
    ]
    pairs += [("warning", w) for w in s.result.warnings]
    row = sh.keyvalues(pairs, 4, formats={"relative MIP gap": "0.00%"})
    sh.put(4 + 2, 3, "design minus standalone baseline (negative = better)", measure=0)
    row += 1
    sh.put(
        row,
        1,
        "Key indicators (design against every firm operating alone)",
        font=SECTION_FONT,
        measure=10,
    )
    kpis = kpi_table(ctx)
    row = sh.table(kpis, row + 1, formats={"change [%]": PCT_FORMAT})
    row += 1
    sh.put(row, 1, "Per resource: virgin purchase and discharge", font=SECTION_FONT, measure=10)
    resources = resource_table(ctx)
    if resources.empty:
        sh.put(row + 1, 1, "(no flows)")
    else:
        sh.table(
            resources,
            row + 1,
            formats={"purchase change [%]": PCT_FORMAT, "discharge change [%]": PCT_FORMAT},
        )
    sh.finish(freeze="A2")


def links_frame(ctx: Context) -> pd.DataFrame:
    """The built links, one row each, with units, costs and how the saving is shared."""
    s = ctx.solution
    b = s.built_links.sort_values(["supplier", "receiver", "from_resource", "mode"])
    money = ctx.money
    build = b["build"].astype(float) * (~b["internal"].astype(bool))
    sized = b["sized"].astype(bool).any()
    frame = pd.DataFrame(
        {
            "supplier": b["supplier"].to_numpy(),
            "supplier name": b["supplier"].map(ctx.names).to_numpy(),
            "receiver": b["receiver"].to_numpy(),
            "receiver name": b["receiver"].map(ctx.names).to_numpy(),
            "from resource": b["from_resource"].to_numpy(),
            "to resource": b["to_resource"].to_numpy(),
            "mode": b["mode"].to_numpy(),
            "from site": b["from_site"].to_numpy(),
            "to site": b["to_site"].to_numpy(),
            "distance [km]": b["distance_km"].to_numpy(float),
            "sent [unit/yr]": b["sent"].to_numpy(float),
            "sent unit": b["from_resource"].map(ctx.units).to_numpy(),
            "delivered [unit/yr]": b["delivered"].to_numpy(float),
            "delivered unit": b["to_resource"].map(ctx.units).to_numpy(),
            f"annual cost [{money}]": b["annual_cost"].to_numpy(float),
            f"capex, annualised [{money}]": (build * b["capex_annual"]).to_numpy(float),
            f"fixed opex [{money}]": (build * b["opex_fixed"]).to_numpy(float),
            f"transport + treatment [{money}]": (b["sent"] * b["var_cost"]).to_numpy(float),
            f"net saving [{money}]": b["saving"].to_numpy(float),
            f"supplier share [{money}]": b["supplier_gain"].to_numpy(float),
            f"receiver share [{money}]": b["receiver_gain"].to_numpy(float),
            f"transfer price [{ctx.currency}/unit delivered]": b["transfer_price"].to_numpy(float),
            "CO2e [kg CO2e/yr]": b["co2e"].to_numpy(float),
        }
    )
    if sized:  # the capacity a sized link is built for, and what that capacity costs
        at = frame.columns.get_loc("delivered unit") + 1
        frame.insert(at, "capacity [unit/yr]", b["capacity"].to_numpy(float))
        frame.insert(
            frame.columns.get_loc(f"fixed opex [{money}]") + 1,
            f"capacity capex, annualised [{money}]",
            (b["capacity"].fillna(0.0) * b["size_cost"]).to_numpy(float),
        )
    return frame


def links_sheet(sh: SheetWriter, ctx: Context) -> None:
    frame = links_frame(ctx)
    sh.table(
        frame,
        1,
        formats={
            "distance [km]": KM_FORMAT,
            f"transfer price [{ctx.currency}/unit delivered]": DEC_FORMAT,
        },
    )
    if frame.empty:
        sh.put(2, 1, "no exchange link is built in this design")
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def firms_frame(ctx: Context) -> pd.DataFrame:
    f = ctx.solution.firms
    money = ctx.money
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(f["baseline_cost"] != 0, f["gain"] / f["baseline_cost"].abs(), np.nan)
    return pd.DataFrame(
        {
            "firm": f.index.to_numpy(),
            "name": [ctx.names.get(x, x) for x in f.index],
            "sector": f["sector"].to_numpy(),
            "status": f["status"].to_numpy(),
            "admitted": f["admitted"].to_numpy(bool),
            "site": f["site"].to_numpy(),
            "placed by optimizer": f["placed"].to_numpy(bool),
            f"baseline cost [{money}]": f["baseline_cost"].to_numpy(float),
            f"design cost [{money}]": f["design_cost"].to_numpy(float),
            f"gain [{money}]": f["gain"].to_numpy(float),
            "gain [% of baseline]": share,
            f"admission cost [{money}]": f["admission_cost"].to_numpy(float),
            f"site cost [{money}]": f["site_cost"].to_numpy(float),
            "links in": f["links_in"].to_numpy(int),
            "links out": f["links_out"].to_numpy(int),
        }
    )


def firms_sheet(sh: SheetWriter, ctx: Context) -> None:
    sh.table(firms_frame(ctx), 1, formats={"gain [% of baseline]": PCT_FORMAT})
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def balances_frame(ctx: Context) -> pd.DataFrame:
    """Each admitted row: quantity, met by exchange / purchase, exchanged / discharged; a
    process's rows name it (and are left out when it does not run)."""
    rows = ctx.solution.rows
    rows = rows[rows["admitted"]]
    if ctx.park.has_processes:
        idle = rows["process"].notna() & (rows["quantity"] <= 0)
        rows = rows[~idle]
    rows = rows.sort_values(["firm_id", "direction", "resource_id"])
    demand = (rows["direction"] == "demand").to_numpy()
    ex = rows["exchanged"].to_numpy(float)
    mk = rows["market"].to_numpy(float)
    q = rows["quantity"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(q > 0, ex / q, np.nan)
    return pd.DataFrame(
        {
            "firm": rows["firm_id"].to_numpy(),
            "firm name": rows["firm_id"].map(ctx.names).to_numpy(),
            **(
                {"process": rows["process"].fillna("").to_numpy()} if ctx.park.has_processes else {}
            ),
            "resource": rows["resource_id"].to_numpy(),
            "unit": rows["resource_id"].map(ctx.units).to_numpy(),
            "direction": rows["direction"].to_numpy(),
            "quantity [unit/yr]": q,
            "demand met by exchange [unit/yr]": np.where(demand, ex, np.nan),
            "demand met by purchase [unit/yr]": np.where(demand, mk, np.nan),
            "supply exchanged [unit/yr]": np.where(demand, np.nan, ex),
            "supply discharged [unit/yr]": np.where(demand, np.nan, mk),
            "share exchanged [%]": share,
        }
    )


def balances_sheet(sh: SheetWriter, ctx: Context) -> None:
    sh.table(balances_frame(ctx), 1, formats={"share exchanged [%]": "0.0%"})
    sh.finish(freeze="C2")
    sh.ws.print_title_rows = "1:1"


def input_frames(park) -> list[tuple[str, pd.DataFrame]]:
    """Every input table as used by the model (defaults filled in), then the settings."""
    out = []
    for name in PARK_TABLES:
        frame: pd.DataFrame = getattr(park, name)
        frame = frame.drop(columns=["excel_row"], errors="ignore")
        if frame.index.name and frame.index.name not in frame.columns:
            frame = frame.reset_index()
        else:
            frame = frame.reset_index(drop=True)
        out.append((name, frame))
    settings = pd.DataFrame(
        [
            (
                f.name,
                plain(getattr(park.settings, f.name)),
                plain(SETTINGS[f.name].default),
                SETTINGS[f.name].description,
            )
            for f in fields(park.settings)
        ],
        columns=["key", "value", "default", "meaning"],
    )
    out.append(("settings", settings))
    return out


def inputs_sheet(sh: SheetWriter, ctx: Context) -> None:
    """Echo of the park's input tables, as the model used them (defaults applied)."""
    park = ctx.park
    sh.put(
        1,
        1,
        f"Inputs as used by the model (defaults applied): "
        f"{park.source.name if park.source else 'workbook in memory'}",
        font=Font(bold=True, size=14),
        measure=10,
    )
    row = 3
    for name, frame in input_frames(park):
        title = park.sheet_titles.get(name, name)
        sh.put(
            row,
            1,
            f"{title} ({len(frame)} row{'s' if len(frame) != 1 else ''})",
            font=SECTION_FONT,
            measure=10,
        )
        if frame.empty:
            sh.put(row + 1, 1, "(none)")
            row += 3
            continue
        formats = {
            c: DEC_FORMAT
            for c in frame.columns
            if c not in ("capacity",)
            and pd.api.types.is_float_dtype(frame[c])
            and number_format(frame[c]) == INT_FORMAT
            and (frame[c].abs() < 100).all()
        }
        row = sh.table(frame, row + 1, formats=formats, caps={"meaning": 12}) + 1
    sh.finish(freeze="A2")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out.extend(_flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    if isinstance(value, Path):
        value = str(value)
    return [(prefix, value)]


def runinfo_sheet(sh: SheetWriter, ctx: Context, run_info: dict | None) -> None:
    """Provenance: versions, input file and hash, options, solver outcome, model size, timings."""
    s = ctx.solution
    r = s.result
    park = ctx.park
    st = park.settings
    pairs: list[tuple[str, Any]] = [
        ("Software", SECTION),
        ("ecopark_opt version", ecopark_opt.__version__),
        ("HiGHS version", r.solver_version or "unknown"),
        ("highspy", _version("highspy")),
        ("pyomo", _version("pyomo")),
        ("pandas", _version("pandas")),
        ("openpyxl", _version("openpyxl")),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        (
            "report written (UTC)",
            dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        ),
        ("Input", SECTION),
        ("input file", str(Path(park.source).resolve()) if park.source else "(in memory)"),
        ("input SHA-256", park.sha256 or "(unknown)"),
        ("Options", SECTION),
        ("objective", s.objective),
        ("time limit [s] (settings)", st.time_limit_s),
        ("MIP gap (settings)", st.mip_gap),
        ("threads (settings, 0 = solver default)", st.threads),
        ("Solve", SECTION),
        ("status", r.status),
        ("status in words", status_text(s)),
        ("solver message", r.message),
        ("solver objective", r.objective),
        ("solver bound", r.bound),
        ("relative gap", r.gap if r.gap is not None else "unknown"),
        ("solve time [s]", r.seconds),
        ("hand-off to HiGHS [s]", r.handoff_seconds),
    ]
    for k, v in (r.extra or {}).items():
        pairs.append((k.replace("_", " "), v))
    for i, stage in enumerate(s.stage_results, start=1):
        objective = "none" if stage.objective is None else f"{stage.objective:.6g}"
        gap_text = "unknown" if stage.gap is None else f"{stage.gap:.2%}"
        pairs.append(
            (
                f"stage {i}",
                f"{stage.status}, objective {objective}, gap {gap_text}, {stage.seconds:.2f} s",
            )
        )
    pairs += [
        ("Model size", SECTION),
        ("rows (constraints)", r.rows),
        ("columns (variables)", r.columns),
        ("nonzeros", r.nonzeros),
        ("integer variables", r.integers),
        ("candidate links", len(s.links)),
        ("Timings [s]", SECTION),
    ]
    timing_labels = [f"{phase} [s]" for phase in (s.timings or {})]
    pairs += [(label, float(sec)) for label, sec in zip(timing_labels, (s.timings or {}).values())]
    if park.warnings:
        pairs.append(("Input warnings", SECTION))
        pairs += [(f"warning {i}", w) for i, w in enumerate(park.warnings, start=1)]
    if r.warnings:
        pairs.append(("Solver warnings", SECTION))
        pairs += [(f"solver warning {i}", w) for i, w in enumerate(r.warnings, start=1)]
    if run_info:
        pairs.append(("Run", SECTION))
        pairs += _flatten("", run_info)
    formats = {
        "relative gap": "0.00%",
        "MIP gap (settings)": "0.00E+00",
        "time limit [s] (settings)": KM_FORMAT,
    }
    formats.update({label: "0.000" for label in timing_labels})
    formats.update({"solve time [s]": "0.000", "hand-off to HiGHS [s]": "0.000"})
    sh.keyvalues(pairs, 1, formats=formats)
    sh.widths[2] = max(sh.widths[2], 40)
    sh.finish(freeze="A2")
