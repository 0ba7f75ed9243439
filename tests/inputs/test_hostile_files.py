"""Hostile and damaged workbooks: each is refused by ``ecopark validate`` with exit 2 and a
clear message (or, when it is valid, read correctly), quickly, in bounded memory and without
a traceback. The files are built at run time by :mod:`tests.inputs.adversarial`.
"""

from __future__ import annotations

import io
import os
import random
import resource
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from ecopark_opt.cli import main
from ecopark_opt.inputs import reader
from ecopark_opt.inputs.load import load_park
from ecopark_opt.inputs.sheetxml import content_rows_xml, drop_empty_rows
from tests.inputs import adversarial as adv

MEMORY_MIB = 1024  # growth of the process's peak memory allowed for one run


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def validate(path: Path | str) -> tuple[int, str]:
    """Run ``ecopark validate PATH``; (exit code, output), checking memory and that the run
    ended by the CLI's own exit (never an escaped exception or a traceback). How long it
    takes is measured by benchmarks/scale.py, not asserted here."""
    before = peak_mib()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert peak_mib() - before < MEMORY_MIB
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    return result.exit_code, result.output


def refused(path: Path, *fragments: str) -> str:
    code, output = validate(path)
    assert code == 2, output
    for fragment in fragments:
        assert fragment in output, output
    return output


# --- archives ----------------------------------------------------------------------------------


def test_compression_ratio_bomb_is_refused_before_unpacking(tmp_path):
    # 64 MiB of zeros deflate to ≈ 65 KiB: about 1000:1, above the 200:1 limit
    path = adv.ratio_bomb(tmp_path / "bomb.xlsx", megabytes=64)
    refused(path, "refused: unpacks to 64 MiB", "200:1")


def test_member_declaring_a_huge_size_is_refused(tmp_path):
    # a 1000-byte member whose headers declare 0xFFFFFFF0 bytes (≈ 4096 MiB)
    path = adv.declared_size_bomb(tmp_path / "declared.xlsx")
    refused(path, "refused: unpacks to 4096 MiB", "1024 MiB")


@pytest.mark.parametrize("where", ["sharedStrings", "sheet"])
def test_billion_laughs_is_refused_with_a_clear_message(tmp_path, where):
    path = adv.entity_bomb(tmp_path / "laughs.xlsx", where=where)
    refused(path, "XML bomb", "re-save the file from Excel")


def test_macro_workbook_renamed_to_xlsx_is_refused(tmp_path):
    refused(adv.macro_workbook(tmp_path / "macro.xlsx"), "macro-enabled workbook")


def test_truncated_zip_is_refused(tmp_path):
    refused(adv.truncated(tmp_path / "cut.xlsx"), "corrupt or truncated .xlsx")


def test_empty_file_and_directory_are_refused(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    refused(empty, "empty (0 bytes)")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    refused(folder, "is a directory")


def test_unreadable_file_is_refused(tmp_path, monkeypatch):
    path = adv.unreadable(tmp_path / "locked.xlsx")
    try:
        if os.access(path, os.R_OK):
            # root reads anything: make the reader see what any other user would
            real = os.access
            monkeypatch.setattr(
                reader.os,
                "access",
                lambda p, mode, *a, **k: False if Path(p) == path else real(p, mode, *a, **k),
            )
        output = refused(path)
        assert "permission denied" in output or "is not readable" in output, output
    finally:
        os.chmod(path, 0o600)


# --- sheet contents ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_empty_formatted_rows_read_in_seconds(tmp_path, monkeypatch):
    # flows has its 2 real rows, then styled empty rows 4 … 1 000 000 (dimension A1:E1000000):
    # the reader hands openpyxl only the rows with content, whatever the dimension says
    path = adv.empty_formatted_rows(tmp_path / "rows.xlsx", last_row=1_000_000)
    handed: list[int] = []
    real = reader.content_rows_xml

    def counted(source):
        xml = real(source)
        handed.append(xml.count(b"<row") if xml is not None else -1)
        return xml

    monkeypatch.setattr(reader, "content_rows_xml", counted)
    code, output = validate(path)
    assert handed and max(handed) <= 10
    assert code == 0, output
    assert "ok: 2 firms, 2 sites, 1 resource, 2 flows" in output


@pytest.mark.slow
def test_a_value_after_a_million_empty_rows_is_still_read(tmp_path):
    # the last of the million rows holds a fourth flows cell: 'abc' as a quantity
    path = adv.empty_formatted_rows(
        tmp_path / "far.xlsx",
        last_row=1_000_000,
        last_cells={"A": "A", "B": "water", "C": "demand", "D": "abc"},
    )
    refused(path, "flows!D1000000 (quantity): text 'abc' where a number is expected")


def test_wrong_stored_dimension_loses_no_row_or_column(tmp_path):
    # the flows sheet claims to span A1 only, or A1:D2; its 4 columns and 3 rows are read
    for ref in ("A1", "A1:D2"):
        park = load_park(
            adv.set_dimension(tmp_path / f"dim-{ref.replace(':', '')}.xlsx", "flows", ref)
        )
        assert list(park.flows.index) == ["A/water/supply", "B/water/demand"]
        assert list(park.flows["quantity"]) == [100.0, 80.0]


def test_merged_header_cells_are_refused(tmp_path):
    path = adv.base_workbook(tmp_path / "merged.xlsx")
    book = load_workbook(path)
    book["firms"].merge_cells("A1:B1")
    book.save(path)
    refused(path, "firms!A1:B1", "merged cells")


def test_very_long_id_is_refused(tmp_path):
    tables = dict(adv.BASE_TABLES)
    tables["firms"] = [{"firm_id": "A" * 250, "site": "S1"}, {"firm_id": "B", "site": "S2"}]
    refused(
        adv.base_workbook(tmp_path / "long.xlsx", tables),
        "firms!A2 (firm_id): id longer than 200 characters",
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("A_x0001_B", "contains control characters"),  # how Excel stores U+0001
        ("A_x000A_B", "id contains a tab or line break"),  # a line break inside an id
    ],
)
def test_control_characters_in_ids_are_refused(tmp_path, text, message):
    path = adv.shared_string_cell(tmp_path / "ctrl.xlsx", "firms", "A2", text)
    refused(path, f"firms!A2 (firm_id): {message}")


def test_ids_differing_only_by_case_or_trailing_space(tmp_path):
    tables = dict(adv.BASE_TABLES)
    tables["firms"] = [
        {"firm_id": "A", "site": "S1"},
        {"firm_id": "a", "site": "S2"},
        {"firm_id": "B", "site": "S2"},
    ]
    refused(adv.base_workbook(tmp_path / "case.xlsx", tables), "firms!A3", "only by case")
    # a trailing space is stripped: 'B ' is 'B' again, a duplicate
    tables["firms"] = [
        {"firm_id": "A", "site": "S1"},
        {"firm_id": "B", "site": "S2"},
        {"firm_id": "B ", "site": "S1"},
    ]
    refused(
        adv.base_workbook(tmp_path / "space.xlsx", tables), "firms!A4 (firm_id): duplicate id 'B'"
    )


def test_blank_ids_are_reported_not_crashed_on(tmp_path):
    # a blank id on a row whose other cells are filled (pandas ≥ 3 made it NaN, which the
    # duplicate check then treated as text)
    tables = dict(adv.BASE_TABLES)
    tables["firms"] = [
        {"firm_id": None, "site": "S1"},
        {"firm_id": "A", "site": "S1"},
        {"firm_id": "B", "site": "S2"},
    ]
    tables["properties"] = [{"property": None, "unit": "mg/l"}]
    refused(
        adv.base_workbook(tmp_path / "blank.xlsx", tables),
        "firms!A2 (firm_id): required value is blank",
        "properties!A2 (property): required value is blank",
    )


def test_huge_number_is_refused(tmp_path):
    tables = dict(adv.BASE_TABLES)
    tables["flows"] = [
        dict(adv.BASE_TABLES["flows"][0], quantity=1e308),
        adv.BASE_TABLES["flows"][1],
    ]
    refused(
        adv.base_workbook(tmp_path / "huge.xlsx", tables),
        "flows!D2 (quantity)",
        "out of the supported range",
    )


# --- the row filter on its own -----------------------------------------------------------------


def sheet(rows: str, prefix: str = "") -> bytes:
    p = prefix
    ns = f' xmlns:{p[:-1]}="x"' if p else ' xmlns="x"'
    return (
        f"<{p}worksheet{ns}><{p}sheetData>{rows}</{p}sheetData><{p}mergeCells/></{p}worksheet>"
    ).encode()


def test_row_filter_drops_only_numbered_empty_rows():
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="2" s="1"><c r="A2" s="1"/></row><row r="3"/>'
        '<row r="4"><c r="A4"><f>A1</f></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    out = content_rows_xml(io.BytesIO(sheet(rows)))
    assert out == sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="4"><c r="A4"><f>A1</f></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    # with a namespace prefix, the same
    prefixed = rows.replace("<", "<x:").replace("<x:/", "</x:")
    out = content_rows_xml(io.BytesIO(sheet(prefixed, "x:")))
    assert b'r="2"' not in out and b'r="3"' not in out and out.count(b"<x:row") == 3


def test_row_filter_keeps_whatever_it_does_not_understand():
    # an unnumbered row: the rows after it are numbered from it, so nothing is dropped
    rows = '<row><c><v>1</v></c></row><row s="1"/><row><c><v>2</v></c></row>'
    assert drop_empty_rows(rows.encode()) == rows.encode()
    # a row with an element the filter does not know is kept
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><extLst/></row>'
    assert drop_empty_rows(rows.encode()) == rows.encode()
    # no sheetData, or an empty one: read as it is
    assert content_rows_xml(io.BytesIO(b'<worksheet xmlns="x"><sheetData/></worksheet>')) is None


def test_row_filter_streams_in_chunks(monkeypatch):
    # tiny chunks: rows and tags are cut anywhere between two reads
    import ecopark_opt.inputs.sheetxml as sheetxml

    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
        if r % 7 == 0
        else f'<row r="{r}" s="1"><c r="A{r}" s="1"/></row>'
        for r in range(1, 200)
    )
    expected = sheet(
        "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(7, 200, 7))
    )
    for chunk in (5, 13, 64):
        monkeypatch.setattr(sheetxml, "CHUNK", chunk)
        assert content_rows_xml(io.BytesIO(sheet(rows))) == expected


# --- fuzzing -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_fuzzed_workbooks_never_crash(tmp_path):
    """25 byte-flipped archives and 25 workbooks with random cells of random types: every
    run ends with exit 0, 2 or 3, in bounded time, without a traceback."""
    rng = random.Random(20240611)
    base = adv.base_workbook(tmp_path / "base.xlsx")
    codes = []
    for i in range(25):
        path = adv.flip_bytes(base, tmp_path / f"flip{i}.xlsx", rng, rng.choice([1, 3, 20]))
        code, output = validate(path)
        assert code in (0, 2, 3), output
        codes.append(code)
    for i in range(25):
        path = adv.mutate_cells(base, tmp_path / f"cells{i}.xlsx", rng, rng.randint(1, 6))
        code, output = validate(path)
        assert code in (0, 2, 3), output
        codes.append(code)
    assert codes.count(2) >= 10  # the mutations do break most workbooks
