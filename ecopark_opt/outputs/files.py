"""Safe output files: never over an input, never half-written, never into an open workbook.

Every file the tool writes (reports, pictures, JSON, templates, generated parks) goes through
:func:`check_output_path` before any work starts and :func:`atomic_write` at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import InputError


def check_output_path(
    out: str | Path, inputs: Iterable[str | Path | None] = (), suffix: str | None = ".xlsx"
) -> Path:
    """Refuse an output that is an input, is open in Excel, or cannot be written."""
    path = Path(out)
    if suffix and path.suffix.lower() != suffix:
        raise InputError(f"{path}: the output must be a {suffix} file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name ending in {suffix or ''}".strip())
    for source in inputs:
        if source is not None and same_file(path, Path(source)):
            raise InputError(
                f"{path}: refusing to write over the input workbook; choose another output "
                "path (--out)"
            )
    for lock in lock_files(path):
        if lock.exists():
            raise InputError(
                f"{path}: the file is open in Excel (lock file {lock.name} exists); close it "
                "in Excel and run again"
            )
    folder = _existing_parent(path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{folder}: the output folder is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{path}: the existing file is read-only")
    return path


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A crash or Ctrl-C leaves the old file (or none), never a broken one; the temporary file is
    always removed. The new file gets the old file's permissions, or the usual new-file ones.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix
        )
    except OSError as exc:
        raise InputError(
            f"{path.parent}: cannot write in the output folder ({exc.strerror or exc})"
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _set_new_file_mode(tmp, path)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the file ({exc.strerror or exc})") from exc
    finally:
        remove(tmp)
    return path


def lock_files(path: Path) -> list[Path]:
    """Owner files Office writes beside an open document: ``~$name`` (Excel), and
    ``~$me`` with the first two characters replaced (Word's style, used for long names)."""
    names = {f"~${path.name}"}
    if len(path.stem) > 2:
        names.add(f"~${path.name[2:]}")
    return [path.parent / n for n in sorted(names)]


def same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def remove(path: str | Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _existing_parent(path: Path) -> Path:
    folder = path.resolve().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _set_new_file_mode(tmp: Path, target: Path) -> None:
    """Give a temp file (created 0600) the target's permissions, or the usual new-file ones."""
    if target.exists():
        mode = target.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
