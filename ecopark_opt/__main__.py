"""The ``ecopark`` command (and ``python -m ecopark_opt``).

Ctrl-C and SIGTERM are taken over first, before the heavy imports (Pyomo, pandas, HiGHS): an
interrupt during the imports ends the process at once with one line, instead of surfacing as
``ImportError: initialization failed`` (README.md, "Output rules").
"""

from __future__ import annotations

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
    late = interrupts.received()
    if late is not None and code in (0, None):
        # a signal while the command line was parsed or help printed: no command reported it
        print(f"interrupted by {late.name}", file=sys.stderr)
        code = late.exit_code
    sys.exit(code)


if __name__ == "__main__":
    main()
