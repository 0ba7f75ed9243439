"""The workbook schema: the single source of truth for sheets, columns and settings.

Reading, validation, ``ecopark template`` and ``docs/workbook.md`` are all driven by the
tables below (docs/workbook.md). Change the format here and everything follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Column types understood by the reader.
TEXT = "text"  # free text
ID = "id"  # identifier (text, stripped)
IDS = "ids"  # comma-separated identifiers
NUMBER = "number"  # float
INTEGER = "integer"  # whole number
BOOL = "bool"  # true/false, yes/no, 1/0
ENUM = "enum"  # one of ``choices``
# how a value of a type is named in a message ("… is a choice"); text for the others
TYPE_WORDS = {ID: "an id", IDS: "a list of ids", ENUM: "a choice", BOOL: "true/false"}


@dataclass(frozen=True)
class Column:
    """One column of an input sheet."""

    name: str
    type: str
    description: str
    unit: str = ""
    default: Any = None
    required: bool = False  # a value is required on every row
    header_required: bool = False  # the column itself must exist (even if cells may be blank)
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # sheet whose ids this column refers to
    default_text: str = ""  # how the default reads in the docs when it is not a plain value

    @property
    def range_text(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        lo = "" if self.min is None else f"{'>' if self.min_exclusive else '≥'} {self.min:g}"
        hi = "" if self.max is None else f"{'<' if self.max_exclusive else '≤'} {self.max:g}"
        return " and ".join(t for t in (lo, hi) if t)

    @property
    def default_label(self) -> str:
        if self.default_text:
            return self.default_text
        if self.required:
            return "required"
        if self.default is None:
            return "blank"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)


@dataclass(frozen=True)
class Sheet:
    """One input sheet: its columns, its key and whether the workbook must have it."""

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()
    property_columns: bool = False  # accepts one extra numeric column per declared property

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class Setting:
    """One key of the ``settings`` sheet."""

    key: str
    type: str
    default: Any
    description: str
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""

    def column(self) -> Column:
        """The setting's value as a column: its type, unit, range and choices (to read,
        check and describe a value like a cell)."""
        return Column(
            self.key,
            self.type,
            self.description,
            unit=self.unit,
            min=self.min,
            max=self.max,
            min_exclusive=self.min_exclusive,
            max_exclusive=self.max_exclusive,
            choices=self.choices,
        )


def _amount(name: str, description: str, unit: str) -> Column:
    """A number ≥ 0 that is 0 when blank: a cost or an emission factor of a mode."""
    return Column(name, NUMBER, description, unit=unit, default=0.0, min=0)


def _limit(name: str, description: str, unit: str) -> Column:
    """A number ≥ 0 that sets no limit when blank: a capacity or a reach of a mode."""
    return Column(name, NUMBER, description, unit=unit, min=0, default_text="unlimited")


def _stream(direction: str) -> tuple[Column, Column, Column]:
    """The columns that name a stream (a row of ``flows``): firm, resource, direction."""
    return (
        Column("firm_id", ID, "firm of the stream", required=True, ref="firms"),
        Column("resource_id", ID, "resource of the stream", required=True, ref="resources"),
        Column("direction", ENUM, direction, required=True, choices=DIRECTIONS),
    )


def _cells(sheet: str, key: str, column: str) -> tuple[Column, Column, Column]:
    """The columns that name the cells an override or an uncertain input changes."""
    return (
        Column("sheet", ID, sheet, required=True),
        Column("key", TEXT, key, required=True),
        Column("column", ID, column, required=True),
    )


STATUSES = ("existing", "candidate")
DIRECTIONS = ("supply", "demand")
PROCESS_DIRECTIONS = ("input", "output")
SITE_KINDS = ("plot", "fixed")
OBJECTIVES = ("cost", "virgin", "co2e", "weighted")
DISTRIBUTIONS = ("uniform", "triangular", "normal", "lognormal")

SHEETS: dict[str, Sheet] = {
    s.name: s
    for s in (
        Sheet(
            "firms",
            "Firms that are in the park or could come.",
            required=True,
            key=("firm_id",),
            columns=(
                Column("firm_id", ID, "identifier used on other sheets", required=True),
                Column("name", TEXT, "display name", default_text="firm_id"),
                Column("sector", TEXT, "e.g. energy, refining, construction materials"),
                Column(
                    "status",
                    ENUM,
                    "existing firms are always in the park; candidates are admitted only if "
                    "the optimizer chooses to",
                    default="existing",
                    choices=STATUSES,
                ),
                Column(
                    "site",
                    ID,
                    "where the firm is; required for existing firms; blank for a candidate "
                    "means the optimizer chooses a plot",
                    ref="sites",
                ),
                Column(
                    "allowed_sites",
                    IDS,
                    "comma-separated plots a candidate with a blank site may be placed on",
                    ref="sites",
                    default_text="all plots",
                ),
                Column(
                    "admission_cost",
                    NUMBER,
                    "annual cost to the park of hosting this candidate; negative = net "
                    "annual benefit (rent, jobs value)",
                    unit="money/yr",
                    default=0.0,
                ),
                Column("must_join", BOOL, "force a candidate in", default=False),
                Column(
                    "defection_probability",
                    NUMBER,
                    "yearly probability that this firm leaves the park (defection-aware design)",
                    min=0,
                    max=1,
                    default_text="settings.defection_probability",
                ),
            ),
        ),
        Sheet(
            "sites",
            "Where firms are and the free plots candidates may be placed on.",
            required=True,
            key=("site_id",),
            columns=(
                Column("site_id", ID, "identifier of the site", required=True),
                Column("x_km", NUMBER, "planar x coordinate (either x/y or lat/lon)", unit="km"),
                Column("y_km", NUMBER, "planar y coordinate", unit="km"),
                Column(
                    "lat",
                    NUMBER,
                    "latitude; distances by great circle (haversine)",
                    unit="deg",
                    min=-90,
                    max=90,
                ),
                Column("lon", NUMBER, "longitude", unit="deg", min=-180, max=180),
                Column(
                    "kind",
                    ENUM,
                    "plot = free plot where candidates may be placed",
                    default="fixed",
                    choices=SITE_KINDS,
                ),
                Column(
                    "capacity",
                    INTEGER,
                    "how many candidates the optimizer may place on this plot",
                    min=0,
                    default_text="1 for plots",
                ),
                Column(
                    "site_cost",
                    NUMBER,
                    "annual cost paid when the optimizer places a candidate here",
                    unit="money/yr",
                    default=0.0,
                ),
            ),
        ),
        Sheet(
            "resources",
            "Materials, water and energy that firms buy, discharge or exchange.",
            required=True,
            key=("resource_id",),
            property_columns=True,
            columns=(
                Column("resource_id", ID, "identifier of the resource", required=True),
                Column("name", TEXT, "display name", default_text="resource_id"),
                Column("unit", TEXT, "unit label, e.g. t, m3, MWh"),
                Column(
                    "virgin_price",
                    NUMBER,
                    "price to buy it from outside the park; blank = cannot be bought",
                    unit="money/unit",
                    header_required=True,
                    default_text="column required",
                ),
                Column(
                    "disposal_cost",
                    NUMBER,
                    "cost of discharging it as waste; negative = it is sold outside",
                    unit="money/unit",
                    default=0.0,
                ),
                Column(
                    "virgin_weight",
                    NUMBER,
                    "contribution of one unit bought to virgin resource use",
                    default=1.0,
                    min=0,
                ),
                Column(
                    "virgin_co2e",
                    NUMBER,
                    "emissions of one unit bought",
                    unit="kg/unit",
                    default=0.0,
                ),
                Column(
                    "disposal_co2e",
                    NUMBER,
                    "emissions of one unit discharged",
                    unit="kg/unit",
                    default=0.0,
                ),
                Column(
                    "max_virgin",
                    NUMBER,
                    "cap on the park's total purchase (e.g. abstraction permit)",
                    unit="units/yr",
                    min=0,
                ),
            ),
        ),
        Sheet(
            "flows",
            "One row per stream a firm supplies (discharges) or demands (consumes) each year.",
            required=True,
            key=("firm_id", "resource_id", "direction"),
            property_columns=True,
            columns=(
                *_stream("supply = the firm discharges it; demand = the firm consumes it"),
                Column(
                    "quantity", NUMBER, "yearly quantity", unit="units/yr", required=True, min=0
                ),
                Column(
                    "price",
                    NUMBER,
                    "firm-specific purchase price (demand) or disposal cost (supply)",
                    unit="money/unit",
                    default_text="resource's virgin_price / disposal_cost",
                ),
            ),
        ),
        Sheet(
            "properties",
            "Quality properties (contaminants, moisture…); each may be a column on flows and "
            "resources. Supply rows give the stream's value, demand rows the maximum accepted "
            "in the delivered mix, resources the value of the virgin resource.",
            key=("property",),
            columns=(
                Column("property", ID, "column name used on flows / resources", required=True),
                Column("unit", TEXT, "e.g. ppm"),
            ),
        ),
        Sheet(
            "substitutions",
            "A supplied resource that may replace a demanded one.",
            key=("from_resource", "to_resource"),
            columns=(
                Column("from_resource", ID, "resource supplied", required=True, ref="resources"),
                Column("to_resource", ID, "resource demanded", required=True, ref="resources"),
                Column(
                    "ratio",
                    NUMBER,
                    "units of demand met per unit supplied",
                    default=1.0,
                    min=0,
                    min_exclusive=True,
                ),
                Column(
                    "treatment_cost",
                    NUMBER,
                    "cost of making it usable",
                    unit="money/unit supplied",
                    default=0.0,
                ),
                Column(
                    "treatment_co2e",
                    NUMBER,
                    "emissions of treatment",
                    unit="kg/unit supplied",
                    default=0.0,
                ),
            ),
        ),
        Sheet(
            "transport",
            "Ways to carry resources between sites. Without this sheet, or with the sheet and "
            "no rows (as the template ships it), one cost-free pipeline mode carries everything "
            "with no distance limit; `validate` and `solve` warn, naming the sheet, when it is "
            "there but empty.",
            key=("mode",),
            columns=(
                Column(
                    "mode", ID, "name of the mode, e.g. pipeline, steam_pipe, truck", required=True
                ),
                Column(
                    "resources",
                    IDS,
                    "comma-separated resources this mode can carry, or *",
                    default="*",
                    ref="resources",
                ),
                _amount("capex_fixed", "investment per link built", "money"),
                _amount("capex_per_km", "investment per km of link", "money/km"),
                Column(
                    "lifetime_years",
                    NUMBER,
                    "annualisation of capex by the capital recovery factor",
                    unit="years",
                    min=0,
                    min_exclusive=True,
                    default_text="settings.lifetime_years",
                ),
                _amount("opex_fixed", "yearly cost per link built", "money/yr"),
                _amount("cost_per_unit_km", "variable transport cost", "money/(unit·km)"),
                _limit("capacity", "most one link of this mode can carry", "units/yr"),
                _limit("max_distance_km", "longer links are not candidates", "km"),
                Column(
                    "loss_per_km",
                    NUMBER,
                    "share lost per km: delivered = sent × (1 − loss_per_km × distance)",
                    unit="fraction/km",
                    default=0.0,
                    min=0,
                    max=1,
                    max_exclusive=True,
                ),
                _amount("co2e_per_unit_km", "transport emissions", "kg/(unit·km)"),
                Column(
                    "detour_factor",
                    NUMBER,
                    "route length = straight-line distance × factor (not for distances rows)",
                    default=1.0,
                    min=1,
                ),
                _amount(
                    "capex_per_capacity",
                    "investment per unit of the link's sized capacity (pipe diameter, pump, "
                    "heat exchanger); > 0 here or in capex_per_capacity_km makes the capacity "
                    "a decision",
                    "money per unit/yr",
                ),
                _amount(
                    "capex_per_capacity_km",
                    "investment per unit of sized capacity and per km of route",
                    "money per unit/yr·km",
                ),
            ),
        ),
        Sheet(
            "distances",
            "Route distances that override computed ones; a row applies both ways unless the "
            "reverse row is also given.",
            key=("from_site", "to_site"),
            columns=(
                Column("from_site", ID, "site id", required=True, ref="sites"),
                Column("to_site", ID, "site id", required=True, ref="sites"),
                Column("distance_km", NUMBER, "route distance", unit="km", required=True, min=0),
            ),
        ),
        Sheet(
            "periods",
            "Operation in seasons or representative periods. Without this sheet the year is "
            "one period.",
            key=("period_id",),
            columns=(
                Column("period_id", ID, "e.g. winter, shoulder, summer", required=True),
                Column(
                    "hours",
                    NUMBER,
                    "hours of the year this period stands for (they need not add up to 8 760)",
                    unit="h",
                    required=True,
                    min=0,
                    min_exclusive=True,
                ),
            ),
        ),
        Sheet(
            "profiles",
            "How a stream's yearly quantity falls over the periods (needs periods). A stream "
            "without profile rows runs at a constant rate (shares in proportion to hours); a "
            "stream with profile rows gives every period, and its shares add up to 1.",
            key=("firm_id", "resource_id", "direction", "period_id"),
            columns=(
                *_stream("as on flows"),
                Column("period_id", ID, "period", required=True, ref="periods"),
                Column(
                    "share",
                    NUMBER,
                    "fraction of the stream's yearly quantity in this period",
                    required=True,
                    min=0,
                    max=1,
                ),
            ),
        ),
        Sheet(
            "processes",
            "Conversion units the park can build: a process turns inputs into outputs in fixed "
            "ratios to its throughput, which the optimizer chooses (regeneration, digestion, "
            "CHP). A candidate firm whose only rows are processes is a shared hub.",
            key=("process_id",),
            columns=(
                Column("process_id", ID, "identifier of the process", required=True),
                Column(
                    "firm_id",
                    ID,
                    "the firm that runs it and bears its costs; the process exists only if that "
                    "firm is admitted",
                    required=True,
                    ref="firms",
                ),
                Column(
                    "max_throughput",
                    NUMBER,
                    "most throughput per year (at a constant rate)",
                    unit="units/yr",
                    required=True,
                    min=0,
                    min_exclusive=True,
                ),
                Column(
                    "min_throughput",
                    NUMBER,
                    "least yearly throughput when the process is built",
                    unit="units/yr",
                    default=0.0,
                    min=0,
                ),
                Column(
                    "capex_fixed", NUMBER, "investment if built", unit="money", default=0.0, min=0
                ),
                Column(
                    "capex_per_capacity",
                    NUMBER,
                    "investment per unit of sized throughput capacity (> 0 makes the capacity "
                    "a decision)",
                    unit="money per unit/yr",
                    default=0.0,
                    min=0,
                ),
                Column(
                    "lifetime_years",
                    NUMBER,
                    "annualisation of capex by the capital recovery factor",
                    unit="years",
                    min=0,
                    min_exclusive=True,
                    default_text="settings.lifetime_years",
                ),
                Column(
                    "opex_fixed",
                    NUMBER,
                    "yearly cost if built",
                    unit="money/yr",
                    default=0.0,
                    min=0,
                ),
                Column(
                    "cost_per_unit",
                    NUMBER,
                    "variable cost per unit of throughput",
                    unit="money/unit",
                    default=0.0,
                ),
                Column(
                    "co2e_per_unit",
                    NUMBER,
                    "emissions per unit of throughput",
                    unit="kg/unit",
                    default=0.0,
                ),
                Column(
                    "must_build",
                    BOOL,
                    "force it to be built (its firm must then be admitted)",
                    default=False,
                ),
            ),
        ),
        Sheet(
            "process_io",
            "What a process takes and gives per unit of throughput (required with processes). "
            "An input row is a demand and an output row a supply whose quantity is ratio × "
            "throughput: links, substitutions, quality, purchase and discharge apply to them "
            "as to flows rows.",
            key=("process_id", "resource_id", "direction"),
            property_columns=True,
            columns=(
                Column("process_id", ID, "process", required=True, ref="processes"),
                Column(
                    "resource_id", ID, "resource taken or given", required=True, ref="resources"
                ),
                Column(
                    "direction",
                    ENUM,
                    "input = taken, output = given",
                    required=True,
                    choices=PROCESS_DIRECTIONS,
                ),
                Column(
                    "ratio",
                    NUMBER,
                    "units of the resource per unit of throughput",
                    default=1.0,
                    min=0,
                    min_exclusive=True,
                ),
                Column(
                    "price",
                    NUMBER,
                    "purchase price of an input (only if the resource can be bought) or "
                    "disposal cost of an output",
                    unit="money/unit",
                    default_text="resource's virgin_price / disposal_cost",
                ),
            ),
        ),
        Sheet(
            "settings",
            "Options of the model and the solver: two columns, key and value.",
            key=("key",),
            columns=(
                Column("key", ID, "setting name (see the settings table)", required=True),
                Column(
                    "value",
                    TEXT,
                    "setting value; blank = the setting's default",
                    default_text="the setting's default",
                ),
            ),
        ),
        Sheet(
            "scenarios",
            "Named sets of overrides applied to the base workbook.",
            columns=(
                Column("scenario", ID, "scenario name", required=True),
                *_cells(
                    "sheet to change",
                    "id of the row to change; * = every row; for flows firm_id/resource_id/"
                    "direction",
                    "column to change",
                ),
                Column(
                    "operation",
                    ENUM,
                    "set, scale (multiply) or add",
                    required=True,
                    choices=("set", "scale", "add"),
                ),
                Column("value", TEXT, "new value, factor or increment", required=True),
            ),
        ),
        Sheet(
            "uncertainty",
            "Uncertain inputs for `ecopark sweep`: each sample draws one multiplier per row "
            "from its distribution and multiplies the named cells by it (docs/uncertainty.md).",
            columns=(
                *_cells(
                    "sheet of the values to perturb",
                    "id of the row to perturb, as on scenarios; * = every row (one draw for "
                    "all of them)",
                    "numeric column to perturb",
                ),
                Column(
                    "distribution",
                    ENUM,
                    "distribution of the multiplier",
                    required=True,
                    choices=DISTRIBUTIONS,
                ),
                Column(
                    "p1",
                    NUMBER,
                    "uniform, triangular: low; normal: mean; lognormal: μ of the underlying normal",
                    required=True,
                ),
                Column(
                    "p2",
                    NUMBER,
                    "uniform: high; triangular: mode; normal: standard deviation; lognormal: "
                    "σ of the underlying normal",
                    required=True,
                ),
                Column("p3", NUMBER, "triangular: high (blank for the other distributions)"),
            ),
        ),
    )
}

SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("objective", ENUM, "cost", "what the optimizer minimises", choices=OBJECTIVES),
        Setting("weight_cost", NUMBER, 1.0, "weight of cost in the weighted objective"),
        Setting("weight_virgin", NUMBER, 0.0, "weight of virgin use in the weighted objective"),
        Setting("weight_co2e", NUMBER, 0.0, "weight of CO2e (kg) in the weighted objective"),
        Setting("currency", TEXT, "EUR", "currency label"),
        Setting("discount_rate", NUMBER, 0.08, "for the capital recovery factor", min=0),
        Setting(
            "lifetime_years",
            NUMBER,
            20.0,
            "default mode lifetime",
            min=0,
            min_exclusive=True,
            unit="years",
        ),
        Setting(
            "internal_reuse",
            BOOL,
            False,
            "allow a firm's own supply to meet its own demand (internal arc, no link)",
        ),
        Setting("win_win", BOOL, False, "require every admitted firm to gain"),
        Setting(
            "supplier_share",
            NUMBER,
            0.5,
            "share of each link's net saving credited to the supplier",
            min=0,
            max=1,
        ),
        Setting(
            "max_dependency_share",
            NUMBER,
            1.0,
            "most of one demand row that may come from a single supplying firm",
            min=0,
            max=1,
        ),
        Setting("max_links", INTEGER, None, "cap on the number of links built", min=0),
        Setting(
            "time_limit_s", NUMBER, 300.0, "solver time limit", min=0, min_exclusive=True, unit="s"
        ),
        Setting("mip_gap", NUMBER, 1e-4, "relative MIP gap", min=0, max=1),
        Setting("threads", INTEGER, 0, "solver threads (0 = solver default)", min=0),
        Setting(
            "defection_probability",
            NUMBER,
            0.0,
            "default yearly probability that a firm leaves (defection-aware design)",
            min=0,
            max=1,
        ),
        Setting(
            "crs",
            TEXT,
            None,
            "EPSG code of the x_km/y_km plane (e.g. 25832 for Denmark, ETRS89 / UTM 32N, x/y "
            "in km); blank = a local plane, not on a map; lat/lon sites are WGS84",
        ),
    )
}


# the sheets that take property columns, in the order their cells are reported
PROPERTY_SHEETS = ("flows", "resources", "process_io")
assert set(PROPERTY_SHEETS) == {n for n, sheet in SHEETS.items() if sheet.property_columns}


def property_column(name: str, sheet: str) -> Column:
    """The column a declared property takes on ``flows``, ``resources`` or ``process_io``."""
    meaning = {
        "flows": "supply: value in the stream; demand: most accepted in the delivered mix",
        "resources": "value in the virgin resource (blank = 0)",
        "process_io": "output: value in the output stream (fixed outlet quality); input: most "
        "accepted in the mix it receives",
    }[sheet]
    return Column(name, NUMBER, meaning, min=0)
