"""The validated park: typed pandas tables the model and the reports are built from."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .inputs.schema import SETTINGS

# The Park's input tables, in workbook order (settings aside).
PARK_TABLES = (
    "firms",
    "sites",
    "resources",
    "flows",
    "properties",
    "substitutions",
    "transport",
    "distances",
    "periods",
    "profiles",
    "processes",
)
YEAR = "year"  # the one period of a park without a periods sheet
HOURS_PER_YEAR = 8760.0


def _default(key: str) -> Any:
    """The schema's default of a setting (:data:`~ecopark_opt.inputs.schema.SETTINGS`)."""
    return SETTINGS[key].default


@dataclass(frozen=True)
class Settings:
    """The ``settings`` sheet (docs/workbook.md); every default is the schema's."""

    objective: str = _default("objective")
    weight_cost: float = _default("weight_cost")
    weight_virgin: float = _default("weight_virgin")
    weight_co2e: float = _default("weight_co2e")
    currency: str = _default("currency")
    discount_rate: float = _default("discount_rate")
    lifetime_years: float = _default("lifetime_years")
    internal_reuse: bool = _default("internal_reuse")
    win_win: bool = _default("win_win")
    supplier_share: float = _default("supplier_share")
    max_dependency_share: float = _default("max_dependency_share")
    max_links: int | None = _default("max_links")
    time_limit_s: float = _default("time_limit_s")
    mip_gap: float = _default("mip_gap")
    threads: int = _default("threads")
    defection_probability: float = _default("defection_probability")
    crs: str | None = _default(
        "crs"
    )  # "EPSG:25832" (normalised by validation); None: a local plane

    def with_(self, **changes: Any) -> Settings:
        """A copy with some options changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


assert {f.name for f in fields(Settings)} == set(SETTINGS), "Settings and schema out of sync"


@dataclass
class Park:
    """Every input table, typed and checked. Ids are the frames' indexes where unique.

    - ``firms``: index firm_id; name, sector, status, site (blank = floating candidate),
      allowed_sites (tuple of plot ids, already defaulted), admission_cost, must_join,
      defection_probability (blank filled with the setting).
    - ``sites``: index site_id; x_km, y_km, lat, lon, kind, capacity, site_cost.
    - ``resources``: index resource_id; name, unit, virgin_price (NaN = cannot be bought),
      disposal_cost, virgin_weight, virgin_co2e, disposal_co2e, max_virgin, property columns
      (NaN filled with 0: the virgin resource is clean unless stated).
    - ``flows``: index ``firm/resource/direction``; firm_id, resource_id, direction,
      quantity, price (effective: the row's or the resource's; NaN = cannot be bought),
      property columns (NaN = unknown / no limit); ``process`` and ``ratio`` are blank. The
      inputs and outputs of processes are rows here too, with id
      ``process/resource/input|output``, ``process`` and ``ratio`` set and quantity ratio ×
      max_throughput (:mod:`ecopark_opt.inputs.processes`).
    - ``properties``: index property; unit.
    - ``substitutions``: from_resource, to_resource, ratio, treatment_cost, treatment_co2e.
    - ``transport``: index mode; resources (tuple, or ("*",)), capex_fixed, capex_per_km,
      lifetime_years, opex_fixed, cost_per_unit_km, capacity, max_distance_km, loss_per_km,
      co2e_per_unit_km, detour_factor, crf (capital recovery factor).
    - ``distances``: from_site, to_site, distance_km.
    - ``periods``: index period_id; hours (empty: the year is one period).
    - ``profiles``: firm_id, resource_id, direction, period_id, share, flow_id.
    - ``processes``: index process_id; firm_id, max_throughput, min_throughput, capex_fixed,
      capex_per_capacity, lifetime_years, opex_fixed, cost_per_unit, co2e_per_unit,
      must_build, crf (empty without a processes sheet).
    Every frame keeps ``excel_row``, the Excel row it came from (0 when made up by default).
    """

    firms: pd.DataFrame
    sites: pd.DataFrame
    resources: pd.DataFrame
    flows: pd.DataFrame
    properties: pd.DataFrame
    substitutions: pd.DataFrame
    transport: pd.DataFrame
    distances: pd.DataFrame
    settings: Settings
    periods: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"hours": pd.Series(dtype=float)}, index=pd.Index([], name="period_id")
        )
    )
    profiles: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["firm_id", "resource_id", "direction", "period_id", "share", "flow_id"]
        )
    )
    processes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["firm_id", "max_throughput"], index=pd.Index([], name="process_id")
        )
    )
    source: Path | None = None
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    sheet_titles: dict[str, str] = field(default_factory=dict)
    letters: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def property_names(self) -> list[str]:
        """The quality properties declared on the properties sheet, in its order."""
        return list(self.properties.index)

    @property
    def currency(self) -> str:
        """The label of every money figure (settings.currency)."""
        return self.settings.currency

    @property
    def has_periods(self) -> bool:
        """The workbook has a periods sheet (otherwise the year is one period)."""
        return not self.periods.empty

    @property
    def period_hours(self) -> pd.Series:
        """Hours of each period (``YEAR``: 8 760 h without a periods sheet)."""
        if self.periods.empty:
            return pd.Series({YEAR: HOURS_PER_YEAR}, name="hours")
        return self.periods["hours"].astype(float)

    def shares(self) -> pd.DataFrame:
        """Per flows row and period, the share of the row's yearly quantity in that period:
        the profile's, or h_t / H (a constant rate) for a stream without profile rows."""
        hours = self.period_hours
        rate = hours / hours.sum()
        out = pd.DataFrame(
            np.tile(rate.to_numpy(), (len(self.flows), 1)),
            index=self.flows.index,
            columns=hours.index,
        )
        profiles = self.profiles
        if len(profiles):
            given = profiles.pivot_table(
                index="flow_id", columns="period_id", values="share", aggfunc="first"
            )
            given = given.reindex(columns=hours.index)
            rows = given.index.intersection(out.index)
            out.loc[rows] = given.loc[rows].to_numpy(float)
        return out

    def cell(self, sheet: str, column: str, row: int) -> str:
        """``sheet!C7`` of a record, for messages; ``sheet!7:7`` (the row) when the workbook has
        no such column (its value came from a default or a scenario)."""
        title = self.sheet_titles.get(sheet, sheet)
        if not row:
            return title
        letter = self.letters.get(sheet, {}).get(column)
        return f"{title}!{letter}{row}" if letter else f"{title}!{row}:{row}"

    def flow_cell(self, flow_id: str, column: str = "quantity") -> str:
        """The cell of a stream: on flows, or on process_io for a process's input or output
        (whose quantity is set by the process's max_throughput)."""
        row = int(self.flows.at[flow_id, "excel_row"])
        if self.is_process_row(flow_id):
            return self.cell("process_io", "ratio" if column == "quantity" else column, row)
        return self.cell("flows", column, row)

    def is_process_row(self, flow_id: str) -> bool:
        return "process" in self.flows and not is_blank(self.flows.at[flow_id, "process"])

    @property
    def has_processes(self) -> bool:
        return not self.processes.empty


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annuity factor turning an investment into an equal yearly cost over ``years``."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def flow_id(firm: str, resource: str, direction: str) -> str:
    return f"{firm}/{resource}/{direction}"


def is_blank(value: Any) -> bool:
    """A missing value: None or NaN (an empty cell once read)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
