"""Ctrl-C and SIGTERM on the command line: exit 130 / 143 with one line at any moment
(README.md, "Output rules").

A Python signal handler runs only between two bytecodes of the main thread, and an exception
it raises at the wrong moment does harm: inside the import of a C extension it surfaces as
``ImportError: initialization failed``, inside a HiGHS callback it is lost (measured: the solve
went on to its time limit), and between the creation of a temporary file and the ``try`` that
removes it, the file stays behind.

So :func:`install` (first thing in ``ecopark``) takes over SIGINT and SIGTERM: while the
package is still being imported a signal ends the process at once, nothing having been
written; afterwards the handler only *records* the signal, except inside :func:`raising` (the
body of a command), where the first signal raises :class:`Interrupted` — a
:class:`KeyboardInterrupt`, so ``except Exception`` never swallows it and every ``finally``
cleans up. Inside :func:`held` (creating a temporary file, renaming a run's outputs into place,
removing its lock and temporary files) the signal is raised only at the end of the block.
HiGHS runs in a solver thread while the main thread waits, ready for the signal, and is
stopped by its interrupt callback (``ecopark_opt.core.solve.run_highs``).

A library caller (a script, a notebook) that never calls :func:`install` keeps Python's own
Ctrl-C; a solve still stops on it promptly.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; the command line exits with ``128 + signum``."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(SIGNAL_NAMES.get(self.signum, f"signal {self.signum}"))

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return SIGNAL_NAMES.get(self.signum, f"signal {self.signum}")


_installed = False  # install() was called: this process is the command line
_starting = False  # the command line is still importing: a signal ends the process at once
_hold = 0  # > 0: a signal is only recorded
_pending: int | None = None  # a signal recorded and not raised yet
_first: int | None = None  # the first signal of the process (what the command line reports)


def _record(signum: int, frame: FrameType | None) -> None:
    global _pending, _first
    if _starting:  # nothing claimed or written yet, and an import must not be interrupted
        name = SIGNAL_NAMES.get(signum, f"signal {signum}")
        os.write(2, f"interrupted by {name} while starting; nothing was written\n".encode())
        os._exit(128 + signum)
    if _first is None:
        _first = signum
    if _pending is None:
        _pending = signum
    if _hold == 0:
        _raise_pending()


def _raise_pending() -> None:
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT and SIGTERM for the whole process, first thing: until :func:`started` a
    signal ends the process at once (an exception raised inside the import of a C extension
    would surface as ``ImportError: initialization failed``); then signals are held except
    inside :func:`raising`. SIGINT stays ignored when the process was started with it ignored
    (a background job of a script)."""
    global _installed, _starting, _hold
    if _installed:
        return
    _installed = _starting = True
    _hold += 1
    signal.signal(signal.SIGTERM, _record)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _record)
    sys.unraisablehook = _unraisable(sys.unraisablehook)


def _unraisable(previous):
    """An :class:`Interrupted` raised where Python cannot raise it (a ``__del__``, a weakref
    callback of the garbage collector: seen while the report was written) would be printed as
    "Exception ignored … Traceback" and dropped: send the signal again a moment later instead
    (from another thread: sent from here, the handler would run at once, here again), so that
    it is raised in ordinary code."""

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, Interrupted):
            signum = unraisable.exc_value.signum
            threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()
        else:
            previous(unraisable)

    return hook


def started() -> None:
    """The command line's imports are done: from now on signals are recorded (and raised
    inside :func:`raising`)."""
    global _starting
    _starting = False


def installed() -> bool:
    """:func:`install` was called: this process is the command line."""
    return _installed


def received() -> Interrupted | None:
    """The first signal of the process, as the exception that reports it (or None)."""
    return None if _first is None else Interrupted(_first)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def held() -> Iterator[None]:
    """Inside, a signal is only recorded; leaving the block raises :class:`Interrupted` if one
    arrived (unless an enclosing block holds signals too). Without :func:`install` (a library
    caller) Python's own Ctrl-C is left alone."""
    global _hold
    if not _installed or not _main_thread():  # handlers run in the main thread only
        yield
        return
    _hold += 1
    try:
        yield
    finally:
        _hold -= 1
        if _hold == 0:  # the interrupt wins over an exception on its way out
            _raise_pending()


@contextmanager
def raising() -> Iterator[None]:
    """Let signals raise :class:`Interrupted` at once inside (the body of a command); one that
    arrived while they were held is raised on entry."""
    global _hold
    if not _installed or not _main_thread():
        yield
        return
    _hold -= 1
    try:
        if _hold == 0:
            _raise_pending()
        yield
    finally:
        _hold += 1
