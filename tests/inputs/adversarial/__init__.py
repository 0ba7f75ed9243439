"""A small corpus of hostile and broken workbooks, built at test time into a temporary folder.

Every builder starts from a valid two-firm workbook (:func:`base_workbook`) and changes the
zip archive or the XML inside it directly, so that each file is exactly the attack it is
named after and is made in well under a second.
"""

from __future__ import annotations

import functools
import os
import random
import re
import struct
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from ecopark_opt.inputs.workbook import write_workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

BASE_TABLES: dict[str, Any] = {
    "firms": [{"firm_id": "A", "site": "S1"}, {"firm_id": "B", "site": "S2"}],
    "sites": [{"site_id": "S1", "x_km": 0, "y_km": 0}, {"site_id": "S2", "x_km": 5, "y_km": 0}],
    "resources": [{"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1}],
    "flows": [
        {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
        {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
    ],
    "transport": [{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}],
}


def base_workbook(path: Path, tables: Mapping[str, Any] | None = None) -> Path:
    """A valid workbook (``BASE_TABLES`` unless ``tables`` is given)."""
    return write_workbook(path, tables if tables is not None else BASE_TABLES)


def members(path: Path) -> dict[str, bytes]:
    """Every member of a zip archive, in archive order."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path: Path, content: Mapping[str, bytes], level: int = 6) -> Path:
    """A zip archive of ``content`` (deflated)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def sheet_member(path: Path, title: str) -> str:
    """The zip member holding the sheet called ``title`` (openpyxl writes them in order)."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    titles = [part.split('"', 1)[0] for part in workbook.split('<sheet name="')[1:]]
    return f"xl/worksheets/sheet{titles.index(title) + 1}.xml"


def patch(src: Path, dst: Path, change: Callable[[dict[str, bytes]], None], level: int = 6) -> Path:
    """Copy ``src`` to ``dst`` with ``change`` applied to its members (a dict, in place)."""
    content = members(src)
    change(content)
    return write_members(dst, content, level)


# --- the corpus -------------------------------------------------------------------------------


def ratio_bomb(path: Path, megabytes: int = 64) -> Path:
    """A valid workbook plus a member of ``megabytes`` MiB of zeros (≈ 1000:1 compression)."""
    base = base_workbook(path.with_name("base-" + path.name))
    content = members(base)
    content["xl/media/image1.bin"] = bytes(megabytes * 2**20)
    return write_members(path, content, level=9)


def declared_size_bomb(path: Path, declared: int = 0xFFFF_FFF0) -> Path:
    """A valid workbook whose extra member *declares* ``declared`` bytes unpacked (the headers
    are edited after writing; the data itself is tiny)."""
    base = base_workbook(path.with_name("base-" + path.name))
    content = members(base)
    name = "xl/media/image1.bin"
    content[name] = b"\0" * 1000
    write_members(path, content)
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")  # the first central directory record
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == encoded:
            struct.pack_into("<I", data, central + 24, declared)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    "<!DOCTYPE lolz [\n"
    ' <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


def entity_bomb(path: Path, where: str = "sharedStrings") -> Path:
    """Billion laughs: nine levels of entities, each ten times the one below (10⁹ "lol"),
    in the shared strings or in the firms sheet's XML."""
    base = base_workbook(path.with_name("base-" + path.name))
    if where == "sheet":
        member = sheet_member(base, "firms")
        body = (
            f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
        )
    else:
        member = "xl/sharedStrings.xml"
        body = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'

    def change(content: dict[str, bytes]) -> None:
        content[member] = (BILLION_LAUGHS + body).encode()
        if member == "xl/sharedStrings.xml":  # make openpyxl read it: declare the part
            types = content["[Content_Types].xml"].decode()
            content["[Content_Types].xml"] = types.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ).encode()

    return patch(base, path, change)


def macro_workbook(path: Path) -> Path:
    """A macro-enabled workbook (xl/vbaProject.bin inside) saved under an .xlsx name."""
    base = base_workbook(path.with_name("base-" + path.name))

    def change(content: dict[str, bytes]) -> None:
        content["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)

    return patch(base, path, change)


@functools.lru_cache(maxsize=2)
def _empty_rows(first: int, stop: int) -> str:
    """Rows ``first`` … ``stop − 1``, styled, with two styled empty cells each."""
    return "".join(
        f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/><c r="E{r}" s="1"/></row>'
        for r in range(first, stop)
    )


def empty_formatted_rows(
    path: Path, last_row: int = 1_000_000, last_cells: Mapping[str, Any] | None = None
) -> Path:
    """The flows sheet carries styled but empty rows up to ``last_row`` (as Excel saves a
    sheet whose whole columns were formatted). ``last_cells`` (column letter → value) puts
    values on ``last_row`` itself."""
    base = base_workbook(path.with_name("base-" + path.name))
    member = sheet_member(base, "flows")
    real = len(BASE_TABLES["flows"]) + 1

    def cell(ref: str, value: Any) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}" s="1"><v>{value}</v></c>'
        return f'<c r="{ref}" s="1" t="inlineStr"><is><t>{value}</t></is></c>'

    def change(content: dict[str, bytes]) -> None:
        xml = content[member].decode()
        head, rest = xml.split("<sheetData>", 1)
        rows, tail = rest.split("</sheetData>", 1)
        head = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:E{last_row}"/>', head)
        filler = _empty_rows(real + 1, last_row)
        cells = last_cells or {}
        last = "".join(cell(f"{col}{last_row}", v) for col, v in sorted(cells.items()))
        last = last or f'<c r="A{last_row}" s="1"/>'
        last = f'<row r="{last_row}" s="1" customFormat="1">{last}</row>'
        content[member] = (
            head + "<sheetData>" + rows + filler + last + "</sheetData>" + tail
        ).encode()
        styles = content["xl/styles.xml"].decode()
        if 'cellXfs count="1"' in styles:  # make style 1 exist: a bold, bordered cell
            styles = styles.replace(
                'cellXfs count="1">',
                'cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
                'applyFill="1"/>',
            )
            content["xl/styles.xml"] = styles.encode()

    return patch(base, path, change, level=1)  # fast to write; ≈ 10:1, under the limit


def shared_string_cell(path: Path, sheet: str, ref: str, text: str) -> Path:
    """A valid workbook whose cell ``sheet!ref`` holds ``text`` as a shared string, the way
    Excel stores text (``text`` goes into the XML as it is: Excel escapes a control
    character as ``_xHHHH_``)."""
    base = base_workbook(path.with_name("base-" + path.name))
    member = sheet_member(base, sheet)

    def change(content: dict[str, bytes]) -> None:
        xml = content[member].decode()
        cell = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', re.S)
        assert cell.search(xml), f"no cell {ref} in {sheet}"
        content[member] = cell.sub(f'<c r="{ref}" t="s"><v>0</v></c>', xml, count=1).encode()
        content["xl/sharedStrings.xml"] = (
            f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
        ).encode()
        content["[Content_Types].xml"] = content["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        content["xl/_rels/workbook.xml.rels"] = content["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdStrings"/>'
            b"</Relationships>",
        )

    return patch(base, path, change)


def set_dimension(path: Path, sheet: str, ref: str) -> Path:
    """A valid workbook whose ``sheet`` declares the dimension ``ref`` (e.g. a wrong ``A1``,
    as some writers store)."""
    base = base_workbook(path.with_name("base-" + path.name))
    member = sheet_member(base, sheet)

    def change(content: dict[str, bytes]) -> None:
        content[member] = re.sub(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), content[member]
        )

    return patch(base, path, change)


def truncated(path: Path, keep: float = 0.6) -> Path:
    """The first ``keep`` share of a valid workbook's bytes (an interrupted copy)."""
    base = base_workbook(path.with_name("base-" + path.name))
    data = base.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def flip_bytes(src: Path, dst: Path, rng: random.Random, count: int) -> Path:
    """``src`` with ``count`` random bytes replaced by random values."""
    data = bytearray(src.read_bytes())
    for _ in range(count):
        data[rng.randrange(len(data))] = rng.randrange(256)
    dst.write_bytes(bytes(data))
    return dst


def random_value(rng: random.Random) -> Any:
    """A cell value of a random type: number, huge or odd float, text, bool, date, formula."""
    import datetime as dt

    choices: list[Callable[[], Any]] = [
        lambda: rng.uniform(-1e6, 1e6),
        lambda: rng.randint(-5, 5),
        lambda: rng.choice([0, -0.0, 1e308, -1e308, 1e-308, float("inf"), float("nan")]),
        lambda: rng.choice(
            [
                "",
                " ",
                "A",
                "B",
                "S1",
                "water",
                "supply",
                "demand",
                "plot",
                "existing",
                "candidate",
                "yes",
                "x" * 300,
                "#REF!",
                "1,5",
                "=1+1",
                "'=cmd",
                "ünïcödé",
                "A ",
                " a",
            ]
        ),
        lambda: rng.choice([True, False]),
        lambda: dt.datetime(2024, 1, rng.randint(1, 28), rng.randint(0, 23)),
        lambda: dt.date(1900, 1, 1),
        lambda: None,
        lambda: f"={rng.choice(['A1', 'SUM(A1:A3)', '1/0', 'NOW()'])}",
    ]
    return rng.choice(choices)()


def mutate_cells(src: Path, dst: Path, rng: random.Random, count: int) -> Path:
    """``src`` re-saved by openpyxl with ``count`` random cells (header included) set to
    random values of random types; cells that openpyxl cannot store are left as they were."""
    book = load_workbook(src)
    for _ in range(count):
        ws = book[rng.choice(book.sheetnames)]
        row = rng.randint(1, ws.max_row + 1)
        col = rng.randint(1, ws.max_column + 1)
        value = random_value(rng)
        try:
            ws.cell(row=row, column=col).value = value
        except (ValueError, TypeError):
            pass
    book.save(dst)
    return dst


def unreadable(path: Path) -> Path:
    """A valid workbook with every permission bit removed."""
    base_workbook(path)
    os.chmod(path, 0)
    return path


def xml_text(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode()


__all__ = [
    "BASE_TABLES",
    "base_workbook",
    "declared_size_bomb",
    "empty_formatted_rows",
    "entity_bomb",
    "flip_bytes",
    "macro_workbook",
    "members",
    "mutate_cells",
    "patch",
    "ratio_bomb",
    "set_dimension",
    "shared_string_cell",
    "sheet_member",
    "truncated",
    "unreadable",
    "write_members",
    "xml_text",
]
