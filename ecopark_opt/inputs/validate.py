"""Cross-sheet checks and the assembly of a :class:`Park` from a read workbook.

One ``check_*`` function per rule; each appends messages of the form
``sheet!cell (column): message`` to a shared list. :func:`assemble_park` raises once with all of them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..errors import InputError
from ..park import Park, Settings, capital_recovery_factor, flow_id, is_blank
from .geo import area_of_use, outside, parse_crs, uses_latlon, xy_to_lonlat
from .processes import check_processes, empty_processes, finish_processes, process_rows
from .reader import (
    RawWorkbook,
    Table,
    convert_cell,
    did_you_mean,
    reread_with_properties,
)
from .schema import PROPERTY_SHEETS, SETTINGS, SHEETS

DEFAULT_MODE = "pipeline"
COORDINATES = ("x_km", "y_km", "lat", "lon")


def assemble_park(raw: RawWorkbook) -> Park:
    """Cross-sheet checks and defaults; raise once with the reader's and the checks' problems.

    Cell-level problems (a bad number, an unknown choice) do not stop the cross-sheet checks,
    so that one run lists everything; a missing sheet or column does, as every row would
    then be reported.
    """
    problems = raw.problems
    tables = raw.tables
    if not structure_complete(raw):
        raise InputError(problems)
    check_rows(tables, problems)
    properties = _properties(tables.get("properties"), problems)
    reread_with_properties(raw, list(properties.index))
    settings = _settings(tables.get("settings"), problems)

    bad = flagged_cells(problems)
    sites = _unique(tables["sites"], "site_id", problems)
    firms = _unique(tables["firms"], "firm_id", problems)
    resources = _unique(tables["resources"], "resource_id", problems)
    flows = tables["flows"].frame.copy()
    substitutions = _frame(tables.get("substitutions"), "substitutions")
    transport = _transport(tables.get("transport"), problems)
    distances = _frame(tables.get("distances"), "distances")
    periods = _periods(tables.get("periods"), problems)
    profiles = _frame(tables.get("profiles"), "profiles")
    processes = (
        _unique(tables["processes"], "process_id", problems)
        if "processes" in tables
        else empty_processes()
    )
    process_io = _frame(tables.get("process_io"), "process_io")

    check_sites(sites, tables["sites"], problems, bad)
    check_firms(firms, sites, tables["firms"], problems, bad)
    flows = check_flows(flows, firms, resources, tables["flows"], problems)
    check_substitutions(substitutions, resources, tables.get("substitutions"), problems)
    check_transport(transport, resources, tables.get("transport"), problems)
    check_distances(distances, sites, tables.get("distances"), problems)
    profiles = check_profiles(profiles, periods, flows, tables.get("profiles"), problems)
    check_processes(processes, process_io, firms, resources, tables, problems, flows.index)
    if not problems:
        check_crs(sites, settings, raw, problems)
    if problems:
        raise InputError(problems)

    resources = _resources_with_defaults(resources, list(properties.index))
    processes = finish_processes(processes, settings)
    flows = _flows_with_defaults(flows, resources)
    flows = _with_process_rows(flows, processes, process_io, resources, list(properties.index))
    return Park(
        firms=_firms_with_defaults(firms, sites, settings),
        sites=_sites_with_defaults(sites),
        resources=resources,
        flows=flows,
        properties=properties,
        substitutions=substitutions.reset_index(drop=True),
        transport=_transport_with_defaults(transport, settings),
        distances=distances.reset_index(drop=True),
        settings=settings,
        periods=periods,
        profiles=profiles,
        processes=processes,
        source=raw.path,
        sha256=raw.sha256,
        warnings=list(raw.warnings) + default_mode_warning(tables.get("transport")),
        sheet_titles={name: t.title for name, t in tables.items()},
        letters={name: t.letters for name, t in tables.items()},
    )


# --- defaults (docs/workbook.md) -----------------------------------------------------------


def _names_or_ids(frame: pd.DataFrame) -> list:
    """The ``name`` column, each blank name replaced by the row's id."""
    return [n if isinstance(n, str) and n else i for i, n in zip(frame.index, frame["name"])]


def _firms_with_defaults(
    firms: pd.DataFrame, sites: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """Names, sectors, the settings' defection probability; a blank site is None (a floating
    candidate) and a floating candidate may go on every plot unless allowed_sites says."""
    firms["name"] = _names_or_ids(firms)
    firms["sector"] = firms["sector"].fillna("").astype(str)
    firms["defection_probability"] = (
        firms["defection_probability"].fillna(settings.defection_probability).astype(float)
    )
    plots = list(sites.index[sites["kind"] == "plot"])
    firms["site"] = pd.Series(
        [None if is_blank(s) else s for s in firms["site"]], index=firms.index, dtype=object
    )
    firms["allowed_sites"] = pd.Series(
        [
            (tuple(a) if isinstance(a, tuple) and a else tuple(plots)) if s is None else (s,)
            for s, a in zip(firms["site"], firms["allowed_sites"])
        ],
        index=firms.index,
        dtype=object,
    )
    return firms


def _sites_with_defaults(sites: pd.DataFrame) -> pd.DataFrame:
    """A plot takes one candidate unless its capacity says otherwise, a fixed site none."""
    sites["capacity"] = [
        (c if c is not None and not is_blank(c) else (1 if k == "plot" else 0))
        for c, k in zip(sites["capacity"], sites["kind"])
    ]
    return sites


def _resources_with_defaults(resources: pd.DataFrame, properties: list[str]) -> pd.DataFrame:
    """Names, units; the virgin resource has 0 of a property it leaves blank (clean)."""
    for prop in properties:
        resources[prop] = resources[prop].fillna(0.0).astype(float)
    resources["name"] = _names_or_ids(resources)
    resources["unit"] = resources["unit"].fillna("").astype(str)
    return resources


def _flows_with_defaults(flows: pd.DataFrame, resources: pd.DataFrame) -> pd.DataFrame:
    """A blank price is the resource's: its virgin price on a demand row (NaN: it cannot be
    bought), its disposal cost on a supply row."""
    flows["price"] = [
        p
        if not is_blank(p)
        else (
            resources.at[r, "virgin_price"] if d == "demand" else resources.at[r, "disposal_cost"]
        )
        for p, r, d in zip(flows["price"], flows["resource_id"], flows["direction"])
    ]
    flows["price"] = flows["price"].astype(float)
    return flows


def _with_process_rows(
    flows: pd.DataFrame,
    processes: pd.DataFrame,
    process_io: pd.DataFrame,
    resources: pd.DataFrame,
    properties: list[str],
) -> pd.DataFrame:
    """The streams of the processes' inputs and outputs appended to the flows rows
    (docs/workbook.md, ``process_io``); ``process`` and ``ratio`` are blank on flows rows."""
    flows["process"] = pd.Series(None, index=flows.index, dtype=object)
    flows["ratio"] = math.nan
    if processes.empty:
        return flows
    rows = process_rows(processes, process_io, resources, properties)
    return pd.concat([flows, rows[flows.columns.intersection(rows.columns)]])


def _transport_with_defaults(transport: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The settings' lifetime where a mode leaves it blank, and each mode's capital recovery
    factor at the settings' discount rate."""
    transport["lifetime_years"] = (
        transport["lifetime_years"].fillna(settings.lifetime_years).astype(float)
    )
    transport["crf"] = [
        capital_recovery_factor(settings.discount_rate, years)
        for years in transport["lifetime_years"]
    ]
    return transport


# --- helpers -------------------------------------------------------------------------------


def _frame(table: Table | None, sheet: str) -> pd.DataFrame:
    if table is None:
        cols = [c.name for c in SHEETS[sheet].columns] + ["excel_row"]
        return pd.DataFrame(columns=cols)
    return table.frame.copy()


def _no_rows(key: str, **dtypes: type) -> pd.DataFrame:
    """The frame of a sheet the workbook does not have: no rows, indexed by ``key``, its
    columns (and ``excel_row``) of the given types."""
    columns = {name: pd.Series(dtype=t) for name, t in {**dtypes, "excel_row": int}.items()}
    return pd.DataFrame(columns, index=pd.Index([], name=key))


def _unique(table: Table, key: str, problems: list[str]) -> pd.DataFrame:
    """Index a table by its id column, reporting duplicates (also case/space variants)."""
    frame = table.frame
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}
    keep = []
    for value, row in zip(frame[key], frame["excel_row"]):
        if is_blank(value):  # blank or refused: already reported
            keep.append(False)
            continue
        where = f"{table.cell(key, row)} ({key})"
        if value in seen:
            problems.append(f"{where}: duplicate id '{value}' (first on row {seen[value]})")
            keep.append(False)
            continue
        fold = value.casefold()
        if fold in folded:
            other, other_row = folded[fold]
            problems.append(
                f"{where}: id '{value}' differs from '{other}' (row {other_row}) only by case; "
                "ids are case-sensitive, use one spelling"
            )
        seen[value] = row
        folded[fold] = (value, row)
        keep.append(True)
    out = frame.loc[pd.Series(keep, index=frame.index, dtype=bool)].set_index(key)
    out.index.name = key
    return out


def _periods(table: Table | None, problems: list[str]) -> pd.DataFrame:
    """Periods by id (hours as float); an empty frame without a periods sheet."""
    if table is None:
        return _no_rows("period_id", hours=float)
    out = _unique(table, "period_id", problems)
    out["hours"] = pd.to_numeric(out["hours"], errors="coerce").astype(float)
    return out


def _properties(table: Table | None, problems: list[str]) -> pd.DataFrame:
    if table is None:
        return _no_rows("property", unit=str)
    frame = table.frame.copy()
    frame["property"] = [p.strip().lower() if isinstance(p, str) else p for p in frame["property"]]
    table = Table(table.sheet, frame, table.letters, table.title)
    out = _unique(table, "property", problems)
    reserved = {c.name for s in PROPERTY_SHEETS for c in SHEETS[s].columns}
    for name, row in zip(out.index, out["excel_row"]):
        if name in reserved:
            problems.append(
                f"{table.cell('property', row)} (property): '{name}' is already a column name "
                "on flows/resources; choose another name"
            )
    out["unit"] = out["unit"].fillna("").astype(str)
    return out


def _settings(table: Table | None, problems: list[str]) -> Settings:
    if table is None:
        return Settings()
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for key, value, row in zip(table.frame["key"], table.frame["value"], table.frame["excel_row"]):
        if key is None:
            continue
        name = key.strip().lower()
        if name not in SETTINGS:
            problems.append(
                f"{table.cell('key', row)} (key): unknown setting '{key}'"
                f"{did_you_mean(name, list(SETTINGS))}"
            )
            continue
        if name in seen:
            problems.append(
                f"{table.cell('key', row)} (key): setting '{name}' given twice (first on row "
                f"{seen[name]})"
            )
            continue
        seen[name] = row
        if is_blank(value) or value == "":
            continue  # a blank value keeps the setting's default
        col = SETTINGS[name].column()
        where = f"{table.cell('value', row)} ({name})"
        before = len(problems)
        typed = convert_cell(col, value, where, problems)
        if name == "crs" and typed is not None:
            typed, problem = parse_crs(value)
            if problem:
                problems.append(f"{where}: {problem}")
        if len(problems) == before and typed is not None:
            values[name] = typed
    return Settings(**values)


def check_crs(
    sites: pd.DataFrame, settings: Settings, raw: RawWorkbook, problems: list[str]
) -> None:
    """A ``crs`` places x/y sites on the Earth: every site must land somewhere PROJ can
    place it (x/y are in km, not metres), and within a degree of the system's area of use
    (else a warning). With lat/lon sites the setting has nothing to place: a warning."""
    if not settings.crs:
        return
    table = raw.tables["settings"]
    rows = [r for k, r in zip(table.frame["key"], table.frame["excel_row"]) if _is_key(k, "crs")]
    where = f"{table.cell('value', rows[0]) if rows else table.title} (crs)"
    if uses_latlon(sites):
        raw.warnings.append(
            f"{where}: the sites are given as lat/lon (WGS84); crs applies to x_km/y_km only "
            "and is ignored"
        )
        return
    lon, lat = xy_to_lonlat(sites["x_km"], sites["y_km"], settings.crs)
    bounds = area_of_use(settings.crs)
    site_table = raw.tables["sites"]
    for site, row, x, y, lo, la in zip(
        sites.index, sites["excel_row"], sites["x_km"], sites["y_km"], lon, lat
    ):
        cell = f"{site_table.cell('x_km', row)} (x_km)"
        if not (math.isfinite(lo) and math.isfinite(la)):
            problems.append(
                f"{cell}: site '{site}' at ({x:.10g}, {y:.10g}) km cannot be placed in "
                f"{settings.crs} ({where}); x_km and y_km are in km, not metres"
            )
        elif outside(lo, la, bounds):
            raw.warnings.append(
                f"{cell}: site '{site}' at ({x:.10g}, {y:.10g}) km lies at {la:.4f}° N, "
                f"{lo:.4f}° E, outside the area where {settings.crs} is used ({where}); check "
                "the crs and that x_km/y_km are in km"
            )


def _is_key(key: Any, name: str) -> bool:
    return isinstance(key, str) and key.strip().lower() == name


def _transport(table: Table | None, problems: list[str]) -> pd.DataFrame:
    """Modes by name; without a transport sheet, or with an empty one (as in the template),
    the default cost-free pipeline carries everything."""
    if table is None or table.frame.empty:
        frame = pd.DataFrame(
            [{c.name: c.default for c in SHEETS["transport"].columns} | {"excel_row": 0}]
        )
        frame["mode"] = DEFAULT_MODE
        frame["resources"] = [("*",)]
        return frame.set_index("mode")
    out = _unique(table, "mode", problems)
    out["resources"] = [r if r else ("*",) for r in out["resources"]]
    for col in ("capacity", "max_distance_km", "lifetime_years"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def default_mode_warning(table: Table | None) -> list[str]:
    """An empty ``transport`` sheet (headers only, as the template ships it) declares no mode:
    say that everything then travels free and without limit (docs/workbook.md)."""
    if table is None or not table.frame.empty:
        return []
    return [
        f"{table.title}: the sheet has no rows, so no transport mode is declared; every "
        f"resource travels by the default '{DEFAULT_MODE}', which costs nothing and has no "
        "distance limit (add rows to price and limit transport)"
    ]


# --- checks --------------------------------------------------------------------------------


def structure_complete(raw: RawWorkbook) -> bool:
    """Every required sheet was read, every read sheet has its required columns, no header
    cell is merged."""
    if raw.merged_headers:
        return False
    for name, sheet in SHEETS.items():
        table = raw.tables.get(name)
        if table is None:
            if sheet.required:
                return False
            continue
        for col in sheet.columns:
            if (col.required or col.header_required) and col.name not in table.letters:
                return False
    return True


def check_rows(tables: dict[str, Table], problems: list[str]) -> None:
    """A required sheet needs at least one row below its header."""
    for name, sheet in SHEETS.items():
        table = tables.get(name)
        if sheet.required and table is not None and table.frame.empty:
            problems.append(
                f"{table.title}: no rows below the header; at least one row is required"
            )


def flagged_cells(problems: list[str]) -> set[str]:
    """Cells (``sheet!C7``) that already have a problem: later checks do not re-blame them."""
    return {p.split(" ", 1)[0].rstrip(":") for p in problems if "!" in p.split(" ", 1)[0]}


def check_sites(
    sites: pd.DataFrame, table: Table, problems: list[str], bad: set[str] = frozenset()
) -> None:
    """Every site has x/y or lat/lon, and every site uses the system of the first one."""
    first: tuple[str, str, int] | None = None  # (system, site, row) of the first complete site
    for site, row in sites[["excel_row"]].itertuples():
        if any(table.cell(c, row) in bad for c in COORDINATES if c in table.letters):
            continue  # a coordinate cell is already reported
        given = [c for c in COORDINATES if not is_blank(sites.at[site, c])]
        xy = [c for c in given if c in ("x_km", "y_km")]
        ll = [c for c in given if c in ("lat", "lon")]
        if xy and ll:
            problems.append(
                f"{table.cell(ll[0], row)} ({ll[0]}): site '{site}' has both x/y and lat/lon "
                "coordinates; use one system"
            )
        elif not given:
            problems.append(
                f"{table.cell('x_km', row)} (x_km): site '{site}' has no coordinates (give "
                "x_km and y_km, or lat and lon)"
            )
        elif len(given) == 1:
            present = given[0]
            missing = {"x_km": "y_km", "y_km": "x_km", "lat": "lon", "lon": "lat"}[present]
            col = missing if missing in table.letters else present
            problems.append(
                f"{table.cell(col, row)} ({col}): site '{site}' has {present} but no {missing}"
            )
        else:
            system = "x/y" if xy else "lat/lon"
            if first is None:
                first = (system, site, row)
            elif system != first[0]:
                col = given[0]
                problems.append(
                    f"{table.cell(col, row)} ({col}): site '{site}' uses {system} coordinates "
                    f"but site '{first[1]}' (row {first[2]}) uses {first[0]}; use one system "
                    "on every row"
                )


def check_firms(
    firms: pd.DataFrame,
    sites: pd.DataFrame,
    table: Table,
    problems: list[str],
    bad: set[str] = frozenset(),
) -> None:
    """Sites exist; existing firms have one; allowed_sites are plots."""
    plots = set(sites.index[sites["kind"] == "plot"])
    for firm, rec in firms.iterrows():
        row = rec["excel_row"]
        site = rec["site"]
        # a site or status cell already reported is not blamed again through its default
        settled = table.cell("site", row) not in bad and table.cell("status", row) not in bad
        if not is_blank(site) and site not in sites.index:
            problems.append(unknown(table, "site", row, "site", site, sites.index))
        if settled and rec["status"] == "existing" and is_blank(site):
            problems.append(
                f"{table.cell('site', row)} (site): existing firm '{firm}' needs a site"
            )
        allowed = rec["allowed_sites"] or ()
        for plot in allowed:
            if plot not in sites.index:
                problems.append(unknown(table, "allowed_sites", row, "site", plot, sites.index))
            elif plot not in plots:
                problems.append(
                    f"{table.cell('allowed_sites', row)} (allowed_sites): site '{plot}' is not a "
                    "plot (kind=plot)"
                )
        if (
            settled
            and rec["status"] == "candidate"
            and is_blank(site)
            and not allowed
            and not plots
        ):
            problems.append(
                f"{table.cell('site', row)} (site): candidate '{firm}' has no site and the "
                "workbook has no plot (sites with kind=plot) to place it on"
            )
        if rec["status"] == "existing" and rec["must_join"] is True:
            pass  # harmless: existing firms are always in


def check_flows(
    flows: pd.DataFrame,
    firms: pd.DataFrame,
    resources: pd.DataFrame,
    table: Table,
    problems: list[str],
) -> pd.DataFrame:
    """References exist and each (firm, resource, direction) appears once; index by it."""
    ids = []
    first: dict[str, int] = {}
    given: dict[str, tuple] = {}
    for rec in flows.itertuples():
        row = rec.excel_row
        check_known(table, rec, ("firm_id",), "firm", firms.index, problems)
        check_known(table, rec, ("resource_id",), "resource", resources.index, problems)
        key = flow_id(rec.firm_id, rec.resource_id, rec.direction)
        triple = (rec.firm_id, rec.resource_id, rec.direction)
        if key in first and None not in triple and given[key] == triple:
            problems.append(
                f"{table.cell('firm_id', row)} (firm_id): second {rec.direction} row for firm "
                f"'{rec.firm_id}' and resource '{rec.resource_id}' (first on row {first[key]}); "
                "merge them"
            )
        elif key in first and None not in triple:  # e.g. x + y/gas and x/y + gas
            problems.append(
                f"{table.cell('firm_id', row)} (firm_id): the stream id '{key}' of this row is "
                f"also that of row {first[key]}; rename the firm or the resource (an id with "
                "'/' in it can collide)"
            )
        first.setdefault(key, row)
        given.setdefault(key, triple)
        ids.append(key)
    flows = flows.copy()
    flows.index = pd.Index(ids, name="flow_id")
    return flows[~flows.index.duplicated()]


def check_substitutions(
    subs: pd.DataFrame, resources: pd.DataFrame, table: Table | None, problems: list[str]
) -> None:
    """Both resources exist and differ; each pair is given once (no sheet: no rows)."""
    first = first_rows(subs, ("from_resource", "to_resource"))
    for rec in subs.itertuples():
        check_known(
            table, rec, ("from_resource", "to_resource"), "resource", resources.index, problems
        )
        if rec.from_resource == rec.to_resource and rec.from_resource is not None:
            problems.append(
                f"{table.cell('to_resource', rec.excel_row)} (to_resource): a resource cannot "
                "substitute itself"
            )
        if rec.excel_row in first:
            problems.append(
                f"{table.cell('from_resource', rec.excel_row)} (from_resource): duplicate "
                f"substitution {rec.from_resource} → {rec.to_resource} (first on row "
                f"{first[rec.excel_row]})"
            )


def check_transport(
    transport: pd.DataFrame, resources: pd.DataFrame, table: Table | None, problems: list[str]
) -> None:
    if table is None:
        return
    for mode, rec in transport.iterrows():
        if mode == "internal":
            problems.append(
                f"{table.cell('mode', rec['excel_row'])} (mode): 'internal' is reserved for "
                "internal reuse arcs; choose another mode name"
            )
        for res in rec["resources"]:
            if res != "*" and res not in resources.index:
                where = rec["excel_row"]
                problems.append(
                    unknown(table, "resources", where, "resource", res, resources.index)
                )


def check_distances(
    distances: pd.DataFrame, sites: pd.DataFrame, table: Table | None, problems: list[str]
) -> None:
    """Both sites exist; each ordered pair is given once (no sheet: no rows)."""
    first = first_rows(distances, ("from_site", "to_site"))
    for rec in distances.itertuples():
        check_known(table, rec, ("from_site", "to_site"), "site", sites.index, problems)
        if rec.excel_row in first:
            problems.append(
                f"{table.cell('from_site', rec.excel_row)} (from_site): distance {rec.from_site} "
                f"→ {rec.to_site} given twice (first on row {first[rec.excel_row]})"
            )


def check_profiles(
    profiles: pd.DataFrame,
    periods: pd.DataFrame,
    flows: pd.DataFrame,
    table: Table | None,
    problems: list[str],
) -> pd.DataFrame:
    """Profile rows refer to a flows row and a period, once each; a stream with profile rows
    gives every period and its shares add up to 1 (±1e-6). Returns the rows with their
    stream's ``flow_id``."""
    if table is None or profiles.empty:
        return profiles.assign(flow_id=pd.Series(dtype=object))
    if periods.empty:
        problems.append(f"{table.title}: profiles need a periods sheet (period_id, hours)")
        return profiles.assign(flow_id=pd.Series(dtype=object))
    ids, seen = [], {}
    rows_of: dict[str, list[tuple[int, str, float]]] = {}
    known = list(periods.index)
    for rec in profiles.itertuples():
        row = rec.excel_row
        if None in (rec.firm_id, rec.resource_id, rec.direction, rec.period_id):
            ids.append(None)
            continue
        stream = flow_id(rec.firm_id, rec.resource_id, rec.direction)
        ids.append(stream)
        if stream not in flows.index:
            problems.append(
                f"{table.cell('firm_id', row)} (firm_id): no flows row {rec.direction} of "
                f"'{rec.resource_id}' for firm '{rec.firm_id}': a profile shapes a stream of "
                "the flows sheet"
            )
            continue
        if rec.period_id not in periods.index:
            problems.append(unknown(table, "period_id", row, "period", rec.period_id, known))
            continue
        if (stream, rec.period_id) in seen:
            problems.append(
                f"{table.cell('period_id', row)} (period_id): second share of {stream} in "
                f"period '{rec.period_id}' (first on row {seen[stream, rec.period_id]})"
            )
            continue
        seen[stream, rec.period_id] = row
        if not is_blank(rec.share):
            rows_of.setdefault(stream, []).append((row, rec.period_id, float(rec.share)))
    for stream, given in rows_of.items():
        first, last = min(r for r, _, _ in given), max(r for r, _, _ in given)
        where = table.cell("share", first)
        rows = f"row {first}" if first == last else f"rows {first}–{last}"
        present = {p for _, p, _ in given}
        missing = [t for t in known if t not in present]
        if missing:
            problems.append(
                f"{where} (share): {stream} ({rows}) gives no share for period "
                f"{', '.join(repr(t) for t in missing)}; a profile gives every period"
            )
            continue
        total = sum(x for _, _, x in given)
        if abs(total - 1.0) > 1e-6:
            problems.append(
                f"{where} (share): the shares of {stream} ({rows}) add up to {total:g}; "
                "they must add up to 1"
            )
    return profiles.assign(flow_id=ids)


def unknown(table: Table, column: str, row: int, noun: str, value: Any, known: Any) -> str:
    """The problem of a cell that names a ``noun`` not among ``known``, with a did-you-mean:
    ``flows!A7 (firm_id): unknown firm 'powr' (did you mean 'power'?)``."""
    return (
        f"{table.cell(column, row)} ({column}): unknown {noun} '{value}'"
        f"{did_you_mean(value, list(known))}"
    )


def check_known(
    table: Table,
    rec: Any,
    columns: tuple[str, ...],
    noun: str,
    known: pd.Index,
    problems: list[str],
) -> None:
    """Each of ``columns`` of the row ``rec`` is blank (reported by the reader) or names a
    ``noun`` among ``known``."""
    for column in columns:
        value = getattr(rec, column)
        if value is not None and value not in known:
            problems.append(unknown(table, column, rec.excel_row, noun, value, known))


def first_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[int, int]:
    """Excel row → the row where its ``columns`` were first given, for each row that repeats
    them (rows with a blank among them never count as repeats)."""
    seen: dict[tuple, int] = {}
    repeats: dict[int, int] = {}
    for key, row in zip(zip(*(frame[c] for c in columns)), frame["excel_row"]):
        if None in key:
            continue
        if key in seen:
            repeats[row] = seen[key]
        else:
            seen[key] = row
    return repeats
