"""Drop the empty rows of a worksheet's XML before openpyxl parses it.

Excel saves every row whose format was changed — a whole column coloured, a border drawn
down to row 1 048 576 — even when it holds nothing. openpyxl parses each of those rows (the
reader does it twice: values and formulas), which takes minutes for a million rows. This
module copies the sheet XML with such rows left out, using only C-speed byte searches over
the stream, so that reading time follows the rows that hold data.

Only a stretch of ``<row>``/``<c>`` tags with no value (``<v>``), formula (``<f>``) or inline
string (``<is>``) and with every row numbered (``r="…"``) is dropped; anything this code
does not recognise is copied unchanged. Leaving a row in is always correct (openpyxl just
reads it), so every doubt keeps the bytes as they are.
"""

from __future__ import annotations

from typing import BinaryIO

CHUNK = 1 << 22  # bytes read at a time
_AFTER_NAME = (b" ", b">", b"/", b"\t", b"\n", b"\r")


def content_rows_xml(source: BinaryIO) -> bytes | None:
    """The sheet XML read from ``source`` without its empty rows, or None when the sheet
    has no ``sheetData`` to filter (read it as it is)."""
    out: list[bytes] = []
    buf = b""
    prefix: bytes | None = None  # namespace prefix of the sheet's tags (b"" or b"x:")
    ended = False  # </sheetData> seen: the rest is copied
    while True:
        chunk = source.read(CHUNK)
        buf += chunk
        if ended:
            out.append(buf)
            buf = b""
        elif prefix is None:
            opened = _open_sheet_data(buf)
            if opened is None:
                if not chunk:
                    return None
                continue
            if opened == -1:  # <sheetData/> or a tag not understood
                return None
            end, prefix = opened
            out.append(buf[:end])
            buf = buf[end:]
        if prefix is not None and not ended:
            close = buf.find(b"</" + prefix + b"sheetData")
            if close >= 0:
                out.append(drop_empty_rows(buf[:close], prefix))
                out.append(buf[close:])
                buf = b""
                ended = True
            else:
                if not chunk:  # truncated XML: let the parser report it
                    return None
                row_end = buf.rfind(b"</" + prefix + b"row")
                gt = buf.find(b">", row_end) if row_end >= 0 else -1
                if gt >= 0:  # complete rows up to here; the rest waits for more bytes
                    out.append(drop_empty_rows(buf[: gt + 1], prefix))
                    buf = buf[gt + 1 :]
        if not chunk:
            out.append(buf)
            return b"".join(out)


def _open_sheet_data(buf: bytes) -> tuple[int, bytes] | int | None:
    """(position after the ``<sheetData>`` start tag, tag prefix); None = need more bytes;
    -1 = nothing to filter."""
    at = buf.find(b"sheetData")
    while at >= 0:
        lt = buf.rfind(b"<", 0, at)
        prefix = buf[lt + 1 : at] if lt >= 0 else b"?"
        if prefix == b"" or (
            prefix.endswith(b":")
            and b"<" not in prefix
            and b" " not in prefix
            and b"/" not in prefix
        ):
            gt = buf.find(b">", at)
            if gt < 0:
                return None
            if buf[gt - 1 : gt] == b"/":
                return -1
            return gt + 1, prefix
        at = buf.find(b"sheetData", at + 1)
    return None


def _find_tag(data: bytes, tag: bytes, start: int) -> int:
    """Position of the next ``tag`` (e.g. ``<v``) followed by a name end, or -1."""
    at = data.find(tag, start)
    while at >= 0 and data[at + len(tag) : at + len(tag) + 1] not in _AFTER_NAME:
        at = data.find(tag, at + 1)
    return at


def drop_empty_rows(rows: bytes, prefix: bytes = b"") -> bytes:
    """``rows`` (a run of complete ``<row>`` elements) without the stretches between rows
    holding content that :func:`_droppable` proves empty."""
    tokens = [b"<" + prefix + name for name in (b"v", b"f", b"is")]
    row_tag, row_close = b"<" + prefix + b"row", b"</" + prefix + b"row"
    upcoming = [_find_tag(rows, token, 0) for token in tokens]
    kept: list[tuple[int, int]] = []  # (start, end) of each row holding content
    pos = 0
    while True:
        for i, token in enumerate(tokens):
            if 0 <= upcoming[i] < pos:
                upcoming[i] = _find_tag(rows, token, pos)
        live = [at for at in upcoming if at >= 0]
        if not live:
            break
        at = min(live)
        start = rows.rfind(row_tag, pos, at)
        close = rows.find(row_close, at)
        end = rows.find(b">", close) + 1 if close >= 0 else 0
        head_end = rows.find(b">", start) if start >= 0 else -1
        if start < 0 or close < 0 or end <= 0 or b" r=" not in rows[start:head_end]:
            return rows  # not understood, or an unnumbered row: keep everything
        kept.append((start, end))
        pos = end
    pieces: list[bytes] = []
    last = 0
    for start, end in kept + [(len(rows), len(rows))]:
        gap = rows[last:start]
        if gap and not _droppable(gap, prefix):
            pieces.append(gap)
        pieces.append(rows[start:end])
        last = end
    return b"".join(pieces)


def _droppable(gap: bytes, prefix: bytes) -> bool:
    """Only row and cell tags, every one of them numbered (openpyxl numbers an unnumbered
    row after the one before it, so dropping rows would shift it)."""
    row, cell = b"<" + prefix + b"row", b"<" + prefix + b"c"
    starts = (
        gap.count(row + b" ")
        + gap.count(row + b">")
        + gap.count(cell + b" ")
        + gap.count(cell + b">")
    )
    closes = gap.count(b"</" + prefix + b"row>") + gap.count(b"</" + prefix + b"c>")
    numbered = gap.count(b' r="') + gap.count(b" r='")
    return gap.count(b"<") == starts + closes and numbered == starts
