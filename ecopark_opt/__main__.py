"""The ``ecopark`` command (and ``python -m ecopark_opt``).

Ctrl-C and SIGTERM are taken over first, before the heavy imports (Pyomo, pandas, HiGHS): an
interrupt during the imports ends the process at once with one line, instead of surfacing as
``ImportError: initialization failed``. At the end the process exits without the interpreter's
teardown, during which Python puts the default signal handlers back: Ctrl-C there (freeing a
200-firm model takes a fraction of a second) killed the finished run without a word
(README.md, "Output rules").
"""

from __future__ import annotations

import atexit
import os
import sys


def main() -> None:
    from . import interrupts

    interrupts.install()
    from .cli import main as cli

    interrupts.started()
    try:
        cli(prog_name="ecopark")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    atexit._run_exitfuncs()  # worker pools, temporary folders: signals still only recorded
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    late = interrupts.received()
    if late is not None and not code:
        # a signal while the command line was parsed or help printed, or after the command
        # reported its end: no line said so yet
        print(f"interrupted by {late.name}", file=sys.stderr)
        code = late.exit_code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe: nobody left to read it
            pass
    os._exit(code or 0)


if __name__ == "__main__":
    main()
