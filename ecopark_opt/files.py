"""Safe output files: never over the input, never half-written, never into an open workbook."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InputError


def check_output_path(out: str | Path, inputs: tuple[str | Path, ...] = ()) -> Path:
    """Refuse an output that is an input, is open in Excel, or cannot be written."""
    out = Path(out)
    resolved = out.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == resolved:
            raise InputError(
                f"{out}: the output would overwrite the input workbook; choose another --out"
            )
    if resolved.is_dir():
        raise InputError(f"{out}: is a directory; give a file name ending in .xlsx")
    lock = resolved.parent / f"~${resolved.name}"
    if lock.exists():
        raise InputError(
            f"{out}: the file is open in Excel or LibreOffice (lock file {lock.name}); "
            "close it and run again"
        )
    parent = resolved.parent
    if parent.exists() and not os.access(parent, os.W_OK):
        raise InputError(f"{out}: cannot write in {parent} (permission denied)")
    if resolved.exists() and not os.access(resolved, os.W_OK):
        raise InputError(f"{out}: the existing file is read-only")
    return out


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A crash or Ctrl-C leaves the old file (or none), never a broken one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
