"""The Excel report, the network picture and the JSON result (SPEC §5, §6)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, ScatterChart
from openpyxl.utils import get_column_letter

from ecopark_opt.analyses.resilience import n_minus_1
from ecopark_opt.core.optimize import optimize
from ecopark_opt.core.records import solution_json
from ecopark_opt.errors import InputError
from ecopark_opt.outputs.jsonout import write_json
from ecopark_opt.outputs.network_draw import draw_network, quantity_label
from ecopark_opt.outputs.report import build_workbook, write_report
from ecopark_opt.outputs.report_sheets import status_text
from ecopark_opt.outputs.resilience_sheets import resilience_sheets
from ecopark_opt.outputs.sheets import ChartSpec, ExtraSheet, Picture
from tests.helpers import load_tables, solve_tables

# A (site S1) supplies 100 m3 of water, B (site S2, 5 km away) demands 80 m3; water costs 2 to
# buy and 1 to discharge; a pipe costs 50/yr per link plus 0.1 per m3·km.
#   baseline cost = A discharges 100 × 1 + B buys 80 × 2                  = 260
#   link A→B: 80 sent, cost 50 + 80 × 5 × 0.1                             = 90
#   design cost = link 90 + A discharges the 20 left × 1                  = 110
#   net saving = 80 × 2 + 80 × 1 − 90 = 150, split 75 / 75
#   transfer price = (75 − 80 × 1 + 90) / 80                              = 1.0625
#   virgin use: baseline 80 (B's purchase), design 0; waste: 100 → 20
TWO_FIRMS = {
    "firms": [{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
    "sites": [{"site_id": "S1", "x_km": 0, "y_km": 0}, {"site_id": "S2", "x_km": 3, "y_km": 4}],
    "resources": [
        {"resource_id": "water", "unit": "m3", "virgin_price": 2.0, "disposal_cost": 1.0}
    ],
    "flows": [
        {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
        {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
    ],
    "transport": [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}],
}

FORMULA_NAMES = ['=HYPERLINK("x")', "-1+2", "@SUM(A1)"]

EXPECTED_ORDER = ["Summary", "Links", "Firms", "Balances", "Network", "Pareto", "Inputs", "RunInfo"]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    return solve_tables(tmp_path_factory.mktemp("two"), TWO_FIRMS)


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    """Three firms whose names and a sector look like formulas.

    C (at S2, beside B) demands 10 m3: a pipe A→C would cost 50 + 10 × 5 × 0.1 = 55 to save
    10 × 2 + 10 × 1 = 30, so only A→B is built. The names are set on the loaded park (a
    workbook cell starting with "=" would be a formula, which the reader rejects).
    """
    tables = json.loads(json.dumps(TWO_FIRMS))
    tables["firms"].append({"firm_id": "C", "site": "S2"})
    tables["flows"].append(
        {"firm_id": "C", "resource_id": "water", "direction": "demand", "quantity": 10}
    )
    park = load_tables(tmp_path_factory.mktemp("tricky"), tables)
    park.firms["name"] = FORMULA_NAMES
    park.firms["sector"] = ["+energy", None, None]
    return optimize(park)


def pareto_sheet() -> ExtraSheet:
    frame = pd.DataFrame(
        {"cost [EUR/yr]": [110.0, 150.0, 260.0], "virgin [m3/yr]": [0.0, 20.0, 80.0]}
    )
    return ExtraSheet(
        "Pareto",
        frame,
        notes=["Cost against virgin use.", "=not a formula"],
        chart=ChartSpec("scatter", "cost [EUR/yr]", ("virgin [m3/yr]",), "Pareto front"),
    )


def rows_of(ws) -> dict[str, list]:
    """First-column label → the row's values (first occurrence)."""
    out: dict[str, list] = {}
    for row in ws.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and row[0] not in out:
            out[row[0]] = list(row)
    return out


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {
            n: z.read(n).decode("utf-8")
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
        }


def test_sheets_in_order_and_summary_kpis(two, tmp_path):
    out = write_report(two, tmp_path / "report.xlsx", [pareto_sheet()], {"command": "solve"})
    book = load_workbook(out)
    assert book.sheetnames == EXPECTED_ORDER
    kpi = rows_of(book["Summary"])
    # indicator | unit | baseline | design | change | change %
    assert kpi["annual cost"][1] == "EUR/yr"
    assert kpi["annual cost"][2:5] == pytest.approx([260.0, 110.0, -150.0])
    assert kpi["annual cost"][5] == pytest.approx(-150 / 260)
    assert kpi["annual cost"][2] == pytest.approx(two.metrics["cost"]["baseline"])
    assert kpi["annual cost"][3] == pytest.approx(two.metrics["cost"]["design"])
    assert kpi["virgin resource use"][2:4] == pytest.approx([80.0, 0.0])
    assert kpi["CO2e emissions"][2:4] == pytest.approx([0.0, 0.0])
    assert kpi["waste discharged"][2:4] == pytest.approx([100.0, 20.0])
    assert kpi["quantity exchanged (sent)"][3] == pytest.approx(80.0)
    assert kpi["links built"][3] == 1
    assert kpi["status"][1] == "optimal"
    assert kpi["objective value [EUR/yr]"][1] == pytest.approx(-150.0)
    water = kpi["water"]  # per-resource table: purchase 80 → 0, discharge 100 → 20
    assert water[3:9] == pytest.approx([80.0, 0.0, -1.0, 100.0, 20.0, -0.8])
    assert water[9] == "water purchase −100 %, discharge −80 %"
    assert book["Summary"].freeze_panes == "A2"
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1


def test_summary_gives_totals_per_unit_never_across_units(tmp_path):
    # A supplies 100 m3 water and 50 t ash, B demands 80 m3 and 30 t (ash cannot be bought);
    # the default pipeline is free: all of B's demand is exchanged. Virgin weights differ,
    # so virgin use is a weighted metric and the purchases follow it per unit.
    tables = json.loads(json.dumps(TWO_FIRMS))
    del tables["transport"]
    tables["resources"][0]["virgin_weight"] = 0.5
    tables["resources"].append(
        {"resource_id": "ash", "unit": "t", "virgin_price": None, "disposal_cost": 3.0}
    )
    tables["flows"] += [
        {"firm_id": "A", "resource_id": "ash", "direction": "supply", "quantity": 50},
        {"firm_id": "B", "resource_id": "ash", "direction": "demand", "quantity": 30},
    ]
    solution = solve_tables(tmp_path, tables)
    book = load_workbook(write_report(solution, tmp_path / "r.xlsx"))
    rows = [r for r in book["Summary"].iter_rows(values_only=True) if r[0]]
    kpi = {(r[0], r[1]): list(r[2:4]) for r in rows}
    assert kpi[("virgin resource use", "weighted units/yr")] == pytest.approx([40.0, 0.0])
    assert kpi[("virgin purchase", "m3/yr")] == pytest.approx([80.0, 0.0])
    assert ("virgin purchase", "t/yr") not in kpi  # ash cannot be bought: no purchase
    assert kpi[("waste discharged", "m3/yr")] == pytest.approx([100.0, 20.0])
    assert kpi[("waste discharged", "t/yr")] == pytest.approx([50.0, 20.0])
    assert kpi[("quantity exchanged (sent)", "m3/yr")] == pytest.approx([0.0, 80.0])
    assert kpi[("quantity exchanged (sent)", "t/yr")] == pytest.approx([0.0, 30.0])
    assert not any("mixed" in str(v) for r in rows for v in r)


def test_links_firms_balances_content(two, tmp_path):
    book = load_workbook(write_report(two, tmp_path / "r.xlsx"))
    links = pd.DataFrame(list(book["Links"].values)[1:], columns=next(book["Links"].values))
    assert len(links) == 1
    link = links.iloc[0]
    assert (link["supplier"], link["receiver"], link["mode"]) == ("A", "B", "pipe")
    assert link["distance [km]"] == pytest.approx(5.0)
    assert link["sent [unit/yr]"] == pytest.approx(80.0)
    assert link["sent unit"] == "m3"
    assert link["annual cost [EUR/yr]"] == pytest.approx(90.0)
    assert link["net saving [EUR/yr]"] == pytest.approx(150.0)
    assert link["supplier share [EUR/yr]"] == pytest.approx(75.0)
    assert link["transfer price [EUR/unit delivered]"] == pytest.approx(1.0625)
    assert book["Links"].freeze_panes == "C2"
    assert book["Links"]["A1"].font.b
    firms = rows_of(book["Firms"])
    # firm | name | sector | status | admitted | site | placed | baseline | design | gain
    assert firms["A"][4:6] == ["yes", "S1"]
    assert firms["A"][7:10] == pytest.approx([100.0, 25.0, 75.0])
    assert firms["B"][7:10] == pytest.approx([160.0, 85.0, 75.0])
    bal = pd.DataFrame(list(book["Balances"].values)[1:], columns=next(book["Balances"].values))
    b = bal.set_index("firm")
    assert b.loc["B", "demand met by exchange [unit/yr]"] == pytest.approx(80.0)
    assert b.loc["B", "demand met by purchase [unit/yr]"] == pytest.approx(0.0)
    assert b.loc["A", "supply exchanged [unit/yr]"] == pytest.approx(80.0)
    assert b.loc["A", "supply discharged [unit/yr]"] == pytest.approx(20.0)
    info = rows_of(book["RunInfo"])
    assert info["input SHA-256"][1] == two.park.sha256
    assert len(two.park.sha256) == 64
    inputs = [r[0] for r in book["Inputs"].iter_rows(values_only=True) if r[0]]
    n_settings = len(dataclasses.fields(two.park.settings))
    assert "firms (2 rows)" in inputs and f"settings ({n_settings} rows)" in inputs


def test_time_limited_run_never_reads_optimal(two):
    result = dataclasses.replace(two.result, status="time_limit", gap=0.032)
    stopped = dataclasses.replace(two, result=result)
    text = status_text(stopped)
    assert text.startswith("stopped at time limit, gap 3.20 %")
    assert "optimal" not in text
    book = build_workbook(stopped)
    assert rows_of(book["Summary"])["status"][1] == text
    assert solution_json(stopped)["status"] == "time_limit"
    assert solution_json(stopped)["mip_gap"] == pytest.approx(0.032)


def test_an_unfinished_cost_tie_break_is_said_even_when_the_objective_is_proved(two):
    from ecopark_opt.outputs.run_outputs import outcome_line

    extra = {"tie_break_gap": 0.0583, "tie_break_status": "time_limit"}
    result = dataclasses.replace(two.result, status="time_limit", gap=0.0, extra=extra)
    stopped = dataclasses.replace(two, result=result)
    assert status_text(stopped).startswith(
        "stopped at time limit, gap 0.00 %, cost tie-break gap 5.83 %: the best design"
    )
    assert outcome_line(stopped).startswith(
        "stopped at the time limit, gap 0.00 %, cost tie-break gap 5.83 %: "
    )
    finished = {"tie_break_gap": 0.0, "tie_break_status": "optimal"}
    result = dataclasses.replace(two.result, status="time_limit", gap=0.02, extra=finished)
    assert "tie-break" not in status_text(dataclasses.replace(two, result=result))
    # proved: the tie-break's own gap is said when it is not 0
    within = {"tie_break_gap": 0.0094, "tie_break_status": "optimal"}
    result = dataclasses.replace(two.result, status="optimal", gap=0.0, extra=within)
    proved = dataclasses.replace(two, result=result)
    assert status_text(proved) == "optimal, cost tie-break within 0.94 %"
    assert outcome_line(proved).startswith("optimal: ")


def test_formula_looking_text_is_written_as_text(tricky, tmp_path):
    out = write_report(tricky, tmp_path / "tricky.xlsx", [pareto_sheet()])
    for name, xml in sheet_xml(out).items():
        assert "<f>" not in xml and "<f " not in xml, name
    book = load_workbook(out)
    names = [r[1] for r in book["Firms"].iter_rows(min_row=2, values_only=True)]
    assert names == FORMULA_NAMES
    assert book["Firms"]["C2"].value == "+energy"
    suppliers = {r[1] for r in book["Links"].iter_rows(min_row=2, values_only=True)}
    assert suppliers == {FORMULA_NAMES[0]}
    assert book["Pareto"]["A2"].value == "=not a formula"
    assert book["Firms"]["B2"].data_type == "s"


def test_refuses_to_overwrite_the_input(two):
    source = two.park.source
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="input workbook"):
        write_report(two, source)
    # the same file through another spelling of its path
    with pytest.raises(InputError, match="input workbook"):
        write_report(two, source.parent / "." / source.name)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_refuses_when_open_in_excel(two, tmp_path):
    (tmp_path / "~$report.xlsx").write_bytes(b"lock")
    with pytest.raises(InputError, match="close it in Excel"):
        write_report(two, tmp_path / "report.xlsx")
    assert not (tmp_path / "report.xlsx").exists()


def test_unwritable_target_is_an_input_error(two, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(InputError):
        write_report(two, blocker / "report.xlsx")
    with pytest.raises(InputError, match=".xlsx"):
        write_report(two, tmp_path / "report.csv")


def test_failed_save_leaves_old_report_intact(two, tmp_path, monkeypatch):
    target = tmp_path / "report.xlsx"
    write_report(two, target)
    old_report = target.read_bytes()
    old_png = (tmp_path / "report_network.png").read_bytes()

    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(two, target)
    assert target.read_bytes() == old_report
    assert (tmp_path / "report_network.png").read_bytes() == old_png
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx", "report_network.png"]


def test_json_keys_exactly_as_spec(two, tmp_path):
    data = solution_json(two)
    assert list(data) == [
        "status",
        "objective",
        "mip_gap",
        "metrics",
        "links",
        "purchases",
        "discharges",
        "firms",
    ]
    assert data["status"] == "optimal" and data["objective"] == "cost"
    assert isinstance(data["mip_gap"], float)
    assert data["metrics"] == {
        "cost": {"design": 110.0, "baseline": 260.0},
        "virgin": {"design": 0.0, "baseline": 80.0},
        "co2e": {"design": 0.0, "baseline": 0.0},
    }
    assert data["links"] == [
        {
            "supplier": "A",
            "receiver": "B",
            "from_resource": "water",
            "to_resource": "water",
            "mode": "pipe",
            "from_site": "S1",
            "to_site": "S2",
            "distance_km": 5.0,
            "sent": 80.0,
            "delivered": 80.0,
            "annual_cost": 90.0,
        }
    ]
    assert data["purchases"] == []  # B's demand is fully met by the link
    assert data["discharges"] == [{"firm": "A", "resource": "water", "quantity": 20.0}]
    assert [set(f) for f in data["firms"]] == [
        {"firm", "admitted", "site", "baseline_cost", "design_cost", "gain"}
    ] * 2
    assert data["firms"][1] == {
        "firm": "B",
        "admitted": True,
        "site": "S2",
        "baseline_cost": 160.0,
        "design_cost": 85.0,
        "gain": 75.0,
    }
    path = write_json(data, tmp_path / "out" / "r.json")
    assert json.loads(path.read_text()) == data
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]
    for value in (data["links"][0]["sent"], data["firms"][0]["gain"]):
        assert type(value) is float


def test_network_picture(tricky, tmp_path):
    png = draw_network(tricky, tmp_path / "net.png")
    assert png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(png).shape[:2] == (840, 1200)  # 10 × 7 in at 120 dpi
    assert quantity_label(120_000) == "120 k"
    assert quantity_label(80) == "80"


def test_report_embeds_network_and_saves_it_beside(two, tmp_path):
    out = write_report(two, tmp_path / "rep.xlsx")
    assert (tmp_path / "rep_network.png").stat().st_size > 20_000
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/media/") and n.endswith(".png") for n in z.namelist())


def test_extra_sheet_chart(two, tmp_path):
    bars = ExtraSheet(
        "Resilience",
        pd.DataFrame({"firm": ["A", "B"], "cost fixed [EUR/yr]": [260.0, 200.0]}),
        chart=ChartSpec("column", "firm", ("cost fixed [EUR/yr]",), "Defection"),
    )
    book = build_workbook(two, [pareto_sheet(), bars])
    ws = book["Pareto"]
    assert len(ws._charts) == 1 and isinstance(ws._charts[0], ScatterChart)
    assert ws["A1"].value == "Cost against virgin use."
    assert ws["A4"].value == "cost [EUR/yr]" and ws.freeze_panes == "A5"
    assert isinstance(book["Resilience"]._charts[0], BarChart)
    out = write_report(two, tmp_path / "charts.xlsx", [pareto_sheet(), bars])
    with zipfile.ZipFile(out) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 2


def test_report_survives_a_failed_picture(two, tmp_path, monkeypatch):
    import ecopark_opt.outputs.report as report

    def broken(solution, path):
        raise ValueError("no coordinates")

    monkeypatch.setattr(report, "draw_network", broken)
    out = write_report(two, tmp_path / "r.xlsx")
    cells = [c for row in load_workbook(out)["Network"].iter_rows(values_only=True) for c in row]
    assert "the network picture could not be drawn: no coordinates" in cells
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def table_headers(ws) -> dict[str, list]:
    """Each Excel table (autofilter) of a sheet: its range → its header cells."""
    return {t.ref: [c.value for c in ws[t.ref][0]] for t in ws.tables.values()}


def test_every_table_gets_an_autofilter(two, tmp_path):
    book = load_workbook(write_report(two, tmp_path / "r.xlsx", [pareto_sheet()]))
    summary = table_headers(book["Summary"])
    assert len(summary) == 2  # key indicators, per resource
    assert ["indicator", "unit", "standalone baseline", "design", "change", "change [%]"] in (
        summary.values()
    )
    for name in ("Links", "Firms", "Balances"):
        (headers,) = table_headers(book[name]).values()
        assert headers[0] == next(book[name].values)[0]
    (pareto,) = table_headers(book["Pareto"])
    assert pareto == "A4:B7"  # two notes, a blank row, the header, three points
    inputs = table_headers(book["Inputs"])
    assert len(inputs) == 6  # firms, sites, resources, flows, transport, settings
    for ws in book.worksheets:
        assert all(t.autoFilter is not None for t in ws.tables.values())
    names = [t.displayName for ws in book.worksheets for t in ws.tables.values()]
    assert len(set(n.lower() for n in names)) == len(names)


def test_a_table_whose_headers_repeat_keeps_no_filter(two):
    clash = ExtraSheet("Clash", pd.DataFrame([[1, 2]], columns=["x", "X"]))
    fine = ExtraSheet("Fine", pd.DataFrame([[1, 2]], columns=["x", "y"]))
    book = build_workbook(two, [clash, fine])
    assert book["Clash"].tables == {} and book["Clash"]["A2"].value == 1  # Excel refuses it
    assert [t.ref for t in book["Fine"].tables.values()] == ["A1:B2"]


def test_resilience_sheet_has_number_formats_and_a_printable_layout(two, tmp_path):
    result = n_minus_1(two.park, two)
    book = load_workbook(write_report(two, tmp_path / "r.xlsx", resilience_sheets(result)))
    ws = book["Resilience"]
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == "rank")
    names = [c.value for c in ws[header]]
    first = ws[header + 1]
    cost = first[names.index("fixed design: cost increase [EUR/yr]")]
    pct = first[names.index("fixed design: cost increase [%]")]
    # without A, B buys its 80 m3 (160) over the pipe left stranded (50): +120 on 90
    assert cost.value == pytest.approx(120.0) and cost.number_format == "#,##0"
    assert pct.value == pytest.approx(133.33, abs=0.01) and pct.number_format == "#,##0.0"
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.orientation == "landscape"
    assert [t.ref for t in ws.tables.values()] == [
        f"A{header}:{get_column_letter(len(names))}{header + 2}"
    ]
    # the chart sits beside a narrow table, below a wide one: the page stays legible
    anchor = ws._charts[0].anchor._from
    widths = sum(ws.column_dimensions[get_column_letter(i)].width for i in range(1, 21))
    assert (anchor.row + 1 > header + 2) == (widths > 110)


def test_long_text_wraps_in_rows_tall_enough_and_notes_wrap_over_the_table(two):
    words = " ".join(["stranded: A→B water (pipe)"] * 8)  # 215 characters
    frame = pd.DataFrame({"firm": ["A", "B"], "remarks": [words, "short"], "n [%]": [1.25, 2]})
    note = "A long note. " * 30  # 390 characters, wider than the table
    ws = build_workbook(two, [ExtraSheet("Notes", frame, [note])])["Notes"]
    remarks = ws["B4"]
    assert remarks.alignment.wrap_text and remarks.alignment.vertical == "top"
    assert ws["A4"].alignment.vertical == "top"  # the whole row starts at the top
    width = ws.column_dimensions["B"].width
    assert width <= 33  # capped, wraps instead of spilling over the next columns
    lines = ws.row_dimensions[4].height / 15
    assert lines >= len(words) / (width * 1.1)  # enough lines for the text
    assert ws.row_dimensions[5].height is None  # a one-line row keeps Excel's height
    assert ws["C4"].number_format == "#,##0.0"
    assert "A1:C1" in ws.merged_cells and ws["A1"].alignment.wrap_text
    assert ws.row_dimensions[1].height >= 15 * 2


def test_pictures_of_an_extra_sheet_one_per_page(two):
    pictures = [
        Picture("first", _tiny_png()),
        Picture("second: no design", None),
        Picture("third", _tiny_png()),
    ]
    ws = build_workbook(two, [ExtraSheet("Pics", pd.DataFrame(), ["Notes."], pictures=pictures)])[
        "Pics"
    ]
    assert ws.tables == {}
    assert [c.value for c in ws["A"] if c.value] == [
        "Notes.",
        "first",
        "second: no design",
        "third",
    ]
    assert len(ws._images) == 2
    # a page break before the third caption; the second, without a picture, stays on page 1
    third = next(c.row for c in ws["A"] if c.value == "third")
    assert [b.id for b in ws.row_breaks.brk] == [third - 1]


def _tiny_png() -> bytes:
    from io import BytesIO

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1], [0, 1])
    buffer = BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
