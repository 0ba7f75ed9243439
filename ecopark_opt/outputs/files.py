"""Safe output files: regular files only, never over an input, never half-written, never two
runs at once, never into an open workbook (README.md, "Output rules").

A run's outputs go through three steps:

1. :func:`claim_outputs` before any work: the whole set of the run's outputs is checked
   against itself and the run's inputs (:func:`check_outputs`), then each output is locked
   (:class:`RunLock`) for the rest of the run.
2. :func:`atomic_write` writes each file to a temporary file beside it. While outputs are
   claimed the rename is held back until :func:`commit_outputs`, which puts them all in place
   together: an interrupt or an error leaves every earlier output as it was.
3. :func:`release_outputs` (always, even after an error or an interrupt) removes the run's
   temporary files and lock files, and the folders it created that stayed empty.

A new kind of output joins by being listed in the run's :func:`claim_outputs` call; writing a
file that was not claimed is refused while a run holds a claim.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import InputError
from ..interrupts import held

PathLike = str | Path


def check_output_path(
    out: PathLike, inputs: Iterable[PathLike | None] = (), suffix: str | None = ".xlsx"
) -> Path:
    """Refuse an output that is not (or cannot become) a regular file, is an input, is open in
    Excel, or cannot be written. Symbolic links and ``..`` are followed first."""
    path = Path(out)
    if suffix and path.suffix.lower() != suffix:
        raise InputError(f"{path}: the output must be a {suffix} file")
    target = real_path(path)
    kind = _file_kind(path)
    if kind == "folder":
        wanted = f"a file name ending in {suffix}" if suffix else "a file name"
        raise InputError(f"{path}: is a folder; give {wanted}")
    if kind is not None:
        raise InputError(f"{path}: is a {kind}, not a regular file; outputs are regular files only")
    stream = _standard_stream(path)
    if stream:
        raise InputError(f"{path}: is this run's {stream}; outputs are regular files of their own")
    folder = _existing_parent(target)
    if not folder.is_dir():
        raise InputError(f"{path}: {folder} is not a folder")
    for source in inputs:
        if source is not None and same_file(path, Path(source)):
            raise InputError(
                f"{path}: refusing to write over the input workbook; choose another output "
                "path (--out)"
            )
    for lock in lock_files(target):
        if lock.exists():
            raise InputError(
                f"{path}: the file is open in Excel (lock file {lock.name} exists); close it "
                "in Excel and run again"
            )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{folder}: the output folder is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"{path}: the existing file is read-only")
    return path


def check_outputs(
    outputs: Iterable[PathLike | None], inputs: Iterable[PathLike | None] = ()
) -> list[Path]:
    """Check the whole set of a run's outputs (None entries are options not given) before any
    work: each one alone (:func:`check_output_path`, any suffix), and no two of them, nor one
    and another's run lock file, the same file — also through symbolic links, hard links or
    ``..``. Returns the outputs as paths."""
    inputs = [Path(p) for p in inputs if p is not None]
    paths = [Path(p) for p in outputs if p is not None]
    seen: dict[object, Path] = {}
    for path in paths:
        check_output_path(path, inputs, suffix=None)
        for key in _identities(path):
            if key in seen:
                other = seen[key]
                raise InputError(
                    f"{path}: the same file as {other}, another output of this run; give "
                    "each output its own path"
                )
        for key in _identities(path):
            seen[key] = path
    for path in paths:
        lock = run_lock_path(path)
        for key in _identities(lock):
            if key in seen:
                raise InputError(
                    f"{seen[key]}: is the lock file of {path}, another output of this run; "
                    "choose another name"
                )
        for other in paths:
            if real_path(other) in real_path(path).parents:
                raise InputError(
                    f"{other}: is the folder of {path}, another output of this run; choose "
                    "another name"
                )
    return paths


def real_path(path: PathLike) -> Path:
    """``path`` with every symbolic link and ``..`` resolved (the file really written)."""
    return Path(os.path.realpath(path))


def _identities(path: Path) -> list[object]:
    keys: list[object] = [str(real_path(path))]
    try:
        st = os.stat(path)
    except OSError:
        return keys
    return keys + [(st.st_dev, st.st_ino)]


def _standard_stream(path: Path) -> str | None:
    """The name of this process's standard stream that ``path`` is (e.g. ``--json
    /dev/stdout`` with stdout redirected to a file: replacing that file would lose
    everything printed after it), or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    for fd, name in ((0, "standard input"), (1, "standard output"), (2, "standard error")):
        try:
            if os.path.samestat(st, os.fstat(fd)):
                return name
        except OSError:
            continue
    return None


def _file_kind(path: Path) -> str | None:
    """None for a regular file or no file; else what the path is (links followed by the
    system, which also knows where ``/dev/stdout`` leads)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder check names the problem
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot be used as an output ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


# --- locks --------------------------------------------------------------------------------


def run_lock_path(path: PathLike) -> Path:
    """The lock file of an output: ``.<name>.lock`` beside the file really written."""
    target = real_path(path)
    return target.with_name(f".{target.name}.lock")


class RunLock:
    """An advisory ``flock`` on ``.<name>.lock`` beside an output, held for a whole run.

    A second run that wants the same output fails at once (exit 2) instead of writing a report
    from one run next to a JSON file from another. The lock file is removed when the lock is
    released; one left by a killed run (``kill -9``) holds no lock (the kernel drops it with the
    process), so it never blocks a later run, which takes it over and removes it.
    """

    def __init__(self, output: PathLike):
        self.output = Path(output)
        self.path = run_lock_path(output)
        self.fd: int | None = None

    def acquire(self) -> None:
        for _ in range(10):
            try:
                fd = os.open(
                    self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644
                )
            except OSError as exc:
                raise InputError(
                    f"{self.output}: cannot create the lock file {self.path} "
                    f"({exc.strerror or exc})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise InputError(
                        f"{self.output}: another ecopark run is writing this file (lock "
                        f"{self.path.name}); wait for it to finish or choose another output path"
                    ) from None
                raise
            # the run that held it may have removed the file just before we locked it: lock
            # the file that is there now
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return
            os.close(fd)
        raise InputError(f"{self.output}: cannot lock {self.path}; another run keeps replacing it")

    def release(self) -> None:
        if self.fd is None:
            return
        remove(self.path)  # while still holding the lock: see acquire
        os.close(self.fd)
        self.fd = None


# --- one run's outputs ----------------------------------------------------------------------


class OutputSet:
    """The outputs one run claimed: their locks, the files written but not yet renamed into
    place, and the folders created for them."""

    def __init__(self, outputs: list[Path]):
        self.outputs = outputs
        self.targets = {real_path(p) for p in outputs}
        self.locks: list[RunLock] = []
        self.staged: list[tuple[Path | None, Path]] = []  # (temporary file or None, target)
        self.created: list[Path] = []  # folders made for the outputs, outermost first
        self.committed = False

    def lock(self) -> None:
        """Lock every output, in one sorted order: two runs that want overlapping sets cannot
        each get half of them — the first to the first lock gets all it can, the other stops."""
        for output in sorted(self.outputs, key=lambda p: str(run_lock_path(p))):
            self._make_folder(real_path(output).parent)
            lock = RunLock(output)
            with held():
                lock.acquire()
                self.locks.append(lock)

    def _make_folder(self, folder: Path) -> None:
        missing = []
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            try:
                with held():  # never a folder made that release() does not know of
                    path.mkdir()
                    self.created.append(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise InputError(
                    f"{path}: cannot create the output folder ({exc.strerror or exc})"
                ) from None

    def commit(self) -> None:
        """Rename every staged file into place, signals held (all or, on a failed rename,
        every one before it)."""
        with held():
            while self.staged:
                tmp, target = self.staged[0]
                try:
                    if tmp is None:  # an output this run does not produce: no stale copy
                        remove(target)
                    else:
                        os.replace(tmp, target)
                except OSError as exc:
                    raise InputError(
                        f"{target}: cannot write the file ({exc.strerror or exc})"
                    ) from None
                self.staged.pop(0)
                self.committed = True

    def release(self) -> None:
        """Remove what was not committed, every temporary file of the outputs this run holds
        the lock of (one left by a killed run included; those of an output another run
        holds are that run's), the locks and the empty folders this run created."""
        with held():
            for tmp, _ in self.staged:
                if tmp is not None:
                    remove(tmp)
            self.staged.clear()
            for target in {real_path(lock.output) for lock in self.locks}:
                for leftover in target.parent.glob(f".{_glob_escape(target.name)}.*.tmp*"):
                    remove(leftover)
            for lock in reversed(self.locks):
                lock.release()
            self.locks.clear()
            for folder in reversed(self.created):
                try:
                    folder.rmdir()
                except OSError:
                    pass


_claimed: OutputSet | None = None


def claim_outputs(
    outputs: Iterable[PathLike | None], inputs: Iterable[PathLike | None] = ()
) -> list[Path]:
    """Before any work: check every output of the run (:func:`check_outputs`) and lock them.
    From now on :func:`atomic_write` only writes claimed outputs and holds the renames back
    until :func:`commit_outputs`; :func:`release_outputs` ends the claim."""
    global _claimed
    if _claimed is not None:
        raise RuntimeError("a run's outputs are already claimed")
    paths = check_outputs(outputs, inputs)
    _claimed = OutputSet(paths)
    try:
        _claimed.lock()
    except BaseException:
        release_outputs()
        raise
    return paths


def commit_outputs() -> None:
    """Put every output written so far in place (no-op without a claim)."""
    if _claimed is not None:
        _claimed.commit()


def outputs_committed() -> bool:
    """Some output of the claimed run is in place already."""
    return _claimed is not None and _claimed.committed


def release_outputs() -> None:
    """End the run's claim: drop what was not committed, remove temporary and lock files."""
    global _claimed
    claimed = _claimed
    if claimed is not None:
        try:
            claimed.release()
        finally:
            _claimed = None


# --- writing --------------------------------------------------------------------------------


def atomic_write(path: PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A crash or Ctrl-C leaves the old file (or none), never a broken one; the temporary file is
    always removed. The new file gets the old file's permissions, or the usual new-file ones.
    A symbolic link is followed: its target is replaced, the link stays. While a run's outputs
    are claimed (:func:`claim_outputs`) ``path`` must be one of them and the rename waits for
    :func:`commit_outputs`. A failed write (disk full, permission) is an :class:`InputError`
    naming the path.
    """
    path = Path(path)
    target = real_path(path)
    if _claimed is not None and target not in _claimed.targets:
        raise RuntimeError(f"{path}: not among the outputs claimed before the run")
    kind = _file_kind(path)
    if kind is not None:  # never rename over a device, a FIFO or a folder
        raise InputError(f"{path}: is a {kind}, not a regular file; outputs are regular files only")
    tmp: Path | None = None
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with held():  # never a temporary file that nobody will remove
                fd, name = tempfile.mkstemp(
                    dir=target.parent, prefix=f".{target.name}.", suffix=".tmp" + target.suffix
                )
                os.close(fd)
                tmp = Path(name)
        except OSError as exc:
            raise InputError(
                f"{target.parent}: cannot write in the output folder ({exc.strerror or exc})"
            ) from None
        write(tmp)
        _set_new_file_mode(tmp, target)
        if _claimed is not None:
            with held():
                _claimed.staged.append((tmp, target))
                tmp = None
        else:
            with held():
                os.replace(tmp, target)
                tmp = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    finally:
        if tmp is not None:
            remove(tmp)
    return path


def remove_output(path: PathLike) -> None:
    """Remove an old output that this run does not produce again (with the commit while a
    run's outputs are claimed)."""
    target = real_path(path)
    if _claimed is None:
        remove(target)
        return
    if target not in _claimed.targets:
        raise RuntimeError(f"{path}: not among the outputs claimed before the run")
    _claimed.staged.append((None, target))


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


def remove(path: PathLike) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _existing_parent(path: Path) -> Path:
    folder = path.parent
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
