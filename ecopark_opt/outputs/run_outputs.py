"""A command's run and its outputs, from the command line's options to the files (docs/cli.md,
docs/maps.md).

Every output of a run — the report, its network picture, the JSON, the GeoJSON and the map —
is checked against the others and the inputs and locked before any work (:func:`claim`),
then written and put in place all together at the end (:func:`write_outputs`), so that a
failure or an interrupt leaves the earlier outputs as they were (README.md, "Output rules").
A :class:`Run` carries a solving command from its claimed outputs to its result line, saying
what it does through its :class:`~ecopark_opt.outputs.console.Console`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analyses.defection import defection_aware_design, unsupported
from ..analyses.resilience import n_minus_1
from ..core.mapdata import design_features
from ..core.model_file import write_park_model
from ..core.optimize import RunOptions, design_park
from ..core.park_model import ParkModel
from ..core.records import failure_json, solution_json
from ..core.solution import Solution
from ..core.solve import MODEL_FORMATS, ModelFile
from ..core.stages import Timer
from ..core.vocabulary import SOLVED
from ..errors import InfeasibleError, InputError, SolverError
from ..inputs.geo import LOCAL, coordinate_system
from ..park import Park
from . import jsonout
from .console import Console, load
from .files import atomic_write, check_output_path, claim_outputs, commit_outputs
from .geojson import check_geojson_allowed, check_geojson_suffix, write_geojson
from .report import network_picture_path, write_report
from .report_sheets import tie_break_text
from .resilience_sheets import defection_sheets, resilience_sheets
from .sheets import ExtraSheet
from .webmap import write_map


@dataclass(frozen=True)
class MapOutputs:
    """Where the design's map outputs go (checked before any work)."""

    geojson: Path | None = None
    html: Path | None = None
    local: bool = False
    title: str = ""

    def check_park(self, park: Park) -> None:
        """Refuse a GeoJSON the park cannot have (x/y without crs, no --local)."""
        if self.geojson:
            check_geojson_allowed(park, self.local)


def map_outputs(geojson: str | None, html: str | None, local: bool, title: str = "") -> MapOutputs:
    """The map paths, of the right kind (``.geojson``/``.json``, ``.html``); they are checked
    against the run's other outputs and the inputs with them (:func:`claim`)."""
    if geojson:
        check_geojson_suffix(geojson)
    if html and Path(html).suffix.lower() != ".html":
        raise InputError(f"{html}: the output must be a .html file")
    return MapOutputs(
        Path(geojson) if geojson else None, Path(html) if html else None, local, title
    )


def model_file_path(path: str | None) -> Path | None:
    """The ``--write-model`` path, ``.mps`` or ``.lp`` (HiGHS writes the format the
    extension names); checked against the run's other outputs with them (:func:`claim`)."""
    if path is None:
        return None
    if Path(path).suffix.lower() not in MODEL_FORMATS:
        raise InputError(
            f"{path}: --write-model writes an MPS or LP file; give a name ending in .mps or .lp"
        )
    return Path(path)


def report_path(
    workbook: str, out: str | None, suffix: str = "", inputs: Iterable[str] | None = None
) -> Path:
    """Where the report goes; checked before any solving so a long run is never lost."""
    path = Path(out) if out else Path("reports") / f"{Path(workbook).stem}{suffix}.xlsx"
    return check_output_path(path, inputs if inputs is not None else (workbook,))


def claim(inputs: Iterable[str], report: Path, *others: str | Path | None) -> None:
    """Before any work: check the run's whole set of outputs — the report, its network
    picture and ``others`` (None = an option not given) — against each other and the inputs,
    and lock them for the run (README.md, "Output rules")."""
    claim_outputs([report, network_picture_path(report), *others], inputs)


@dataclass
class Run:
    """A solving command from its claimed outputs to its result line: the park, where the
    report and the JSON go, the maps, the solver options and the phase timer."""

    park: Park
    report: Path
    json_path: str | None
    options: RunOptions
    console: Console
    timer: Timer
    maps: MapOutputs = field(default_factory=MapOutputs)
    model_file: tuple[Path, ModelFile] | None = None  # written by write_model, not in place yet

    def write_model(self, path: Path) -> None:
        """The park's whole model as HiGHS would be given it (``--write-model``, docs/cli.md),
        written now and put in place with the run's other outputs; not written when the data
        alone make the park infeasible (the solve then says why)."""
        written: list[ModelFile] = []

        def write(tmp: Path) -> None:
            info = write_park_model(self.park, self.options, tmp)
            if info is None:
                raise _NothingToWrite
            written.append(info)

        with self.timer.phase("write model"):
            try:
                atomic_write(path, write)
            except _NothingToWrite:
                return
        self.model_file = (path, written[0])

    def design(
        self, share: float = 1.0, keep_model: bool = False
    ) -> tuple[ParkModel | None, Solution]:
        """The optimal design, given ``share`` of the time left, and its model when
        ``keep_model``; an infeasible park still gets its JSON status, and its model file
        (also a park without a design in the time limit: it is what a solver expert needs)."""
        options = replace(self.options, share=share)
        try:
            return design_park(self.park, options, self.timer, keep_model)
        except InfeasibleError:
            objective = options.objective or self.park.settings.objective
            write_failure_json(self.json_path, "infeasible", objective)
            self._model_file_in_place()
            raise
        except SolverError:
            self._model_file_in_place()
            raise

    def _model_file_in_place(self) -> None:
        if self.model_file is not None:
            commit_outputs()
            self.console.say(f"model written: {self.model_file[0]}")

    def finish(
        self,
        solution: Solution,
        extra_sheets: Sequence[ExtraSheet] = (),
        extra_json: dict | None = None,
        run_info: dict | None = None,
        more_outputs: Callable[[], list[Path]] | None = None,
    ) -> int:
        """Write every output together (:func:`write_outputs`), then say so and print the
        outcome line; the exit code is 0."""
        if self.model_file is not None:
            run_info = {**(run_info or {}), "model file": model_file_info(*self.model_file)}
        written = write_outputs(
            solution,
            self.report,
            self.json_path,
            self.timer,
            extra_sheets,
            extra_json,
            run_info,
            self.maps,
            more_outputs,
        )
        for warning in solution.result.warnings:  # e.g. numbers too far apart for the solver
            self.console.warn(warning)
        self.console.result(outcome_line(solution))
        self.console.say(f"report written: {self.report}")
        for path in written:
            self.console.say(f"map written: {path}")
        if self.model_file is not None:
            self.console.say(f"model written: {self.model_file[0]}")
        return 0


class _NothingToWrite(Exception):
    """The model could not be written (the data make it infeasible)."""


def model_file_info(path: Path, info: ModelFile) -> dict:
    """What RunInfo says of a ``--write-model`` file."""
    return {
        "path": str(path),
        "rows": info.rows,
        "columns": info.columns,
        "nonzeros": info.nonzeros,
        "integer columns": info.integers,
        "objective constant": info.objective_constant,
        "units": "balanced (see docs/cli.md)" if info.balanced else "the workbook's",
        "HiGHS user_bound_scale": info.user_bound_scale,
    }


def start_run(
    workbook: str,
    console: Console,
    report: Path,
    json_path: str | None,
    options: RunOptions,
    maps: MapOutputs | None = None,
    scenario: str | None = None,
    also: Sequence[Path] = (),
) -> Run:
    """Claim the run's outputs (the report and its picture, the JSON, the maps and
    ``also``) before any work, then load the park (a GeoJSON it cannot have is refused)."""
    maps = maps or MapOutputs()
    claim([workbook], report, json_path, *also, maps.geojson, maps.html)
    park = load(workbook, console, scenario)
    maps.check_park(park)
    return Run(park, report, json_path, options, console, Timer(console.phase), maps)


def resilience_outputs(
    run: Run, solution: Solution, by_link: bool
) -> tuple[list[ExtraSheet], dict]:
    """N-1 sheets and JSON, plus the defection-aware comparison when probabilities are set."""
    park, options = run.park, run.options
    with run.timer.phase("N-1 analysis"):
        result = n_minus_1(park, solution, options, links=by_link, progress=run.console.say)
    sheets = list(resilience_sheets(result))
    if (park.firms["defection_probability"] > 0).any():
        if reason := unsupported(park):  # say so; the N-1 analysis still stands
            run.console.warn(f"{reason}: it is left out of this report")
        else:
            with run.timer.phase("defection-aware"):
                sheets += defection_sheets(defection_aware_design(park, options))
    return sheets, {"resilience": jsonout.resilience_json(result)}


def write_outputs(
    solution: Solution,
    out_path: Path,
    json_path: str | None,
    timer: Timer,
    extra_sheets: Sequence[ExtraSheet] = (),
    extra_json: dict | None = None,
    run_info: dict | None = None,
    maps: MapOutputs | None = None,
    more_outputs: Callable[[], list[Path]] | None = None,
) -> list[Path]:
    """Write the report (and JSON, GeoJSON, map, and what ``more_outputs`` writes) and put
    them all in place together; returns the map files written."""
    with timer.phase("report"):
        write_report(solution, out_path, extra_sheets=extra_sheets, run_info=run_info)
    if json_path:
        data = solution_json(solution)
        data.update(extra_json or {})
        jsonout.write_json(data, json_path)
    written = write_design_maps(solution, maps, timer) if maps else []
    written += more_outputs() if more_outputs else []
    commit_outputs()  # the report, its picture, the JSON and the maps appear together
    return written


def write_design_maps(solution: Solution, maps: MapOutputs, timer: Timer) -> list[Path]:
    """The design as GeoJSON and as an HTML map (docs/maps.md); the paths written."""
    if not (maps.geojson or maps.html):
        return []
    with timer.phase("maps"):
        record = design_features(solution)
        if maps.geojson:
            write_geojson(record, maps.geojson)
        if maps.html:
            write_map([("design", record)], maps.html, maps.title or "design")
    return [p for p in (maps.geojson, maps.html) if p]


def check_one_plane(workbooks: Sequence[str], parks: Sequence[Park]) -> None:
    """Options drawn on one map must share its system: WGS84 (lat/lon, or x/y with a crs)
    or one local plane in km."""
    local = [
        Path(w).name
        for w, p in zip(workbooks, parks)
        if coordinate_system(p.sites, p.settings.crs) == LOCAL
    ]
    if local and len(local) < len(parks):
        raise InputError(
            f"--map: {', '.join(local)} ha{'s' if len(local) == 1 else 've'} x/y sites without "
            "settings crs, the other options are placed on the Earth; set the same crs in every "
            "workbook to draw them on one map"
        )


def write_compare_map(options: Sequence[dict], path: Path, title: str, reference: str) -> list[str]:
    """Every compared option with a design on one map, a layer per option, the ``reference``
    option first; returns a warning for each option on another coordinate system (not drawn)."""
    layers = [(o["option"], o["map"]) for o in options if o["status"] in SOLVED]
    dropped = write_map(layers, path, title, selected=reference)
    return [
        f"--map: option {name} is on another coordinate system than {layers[0][0]} and is not drawn"
        for name in dropped
    ]


def outcome_line(solution: Solution) -> str:
    """The run's result in one line: status, links, cost and saving."""
    r = solution.result
    cost = solution.metrics["cost"]
    saving = cost["baseline"] - cost["design"]
    cur = solution.park.currency
    links = len(solution.built_links[~solution.built_links["internal"]])
    state = (
        "optimal"
        if r.status == "optimal"
        else f"stopped at the time limit, gap {100 * (r.gap or 0):.2f} %{tie_break_text(r)}"
    )
    return (
        f"{state}: {links} links, cost {cost['design']:,.0f} {cur}/yr "
        f"(saving {saving:,.0f} {cur}/yr against standalone operation)"
    )


def write_failure_json(json_path: str | None, status: str, objective: str) -> None:
    """The JSON of a run without a design (``status``: infeasible), put in place at once."""
    if not json_path:
        return
    jsonout.write_json(failure_json(status, objective), json_path)
    commit_outputs()
