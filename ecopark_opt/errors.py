"""Exception hierarchy; the CLI maps each class to an exit code (docs/cli.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")
Checked = TypeVar("Checked")


class EcoparkError(Exception):
    """Base class of every error the tool reports to a user: one line, or several (``lines``,
    each reported on its own line)."""

    exit_code = 1

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class InputError(EcoparkError):
    """The workbook or the command line is wrong. Carries every problem found."""

    exit_code = 2

    @property
    def problems(self) -> list[str]:
        return self.lines


class InfeasibleError(EcoparkError):
    """The model has no feasible design; the message names the conflicting data."""

    exit_code = 3

    @property
    def reasons(self) -> list[str]:
        return self.lines


class SolverError(EcoparkError):
    """The solver failed or stopped without any feasible solution."""

    exit_code = 4


def check_each(
    items: Iterable[Item], check: Callable[[Item], Checked], label: Callable[[Item], str]
) -> list[Checked]:
    """``check(item)`` for every item; every problem of every one is raised at once, each
    prefixed with its item's ``label`` (several workbooks, several scenarios)."""
    checked: list[Checked] = []
    problems: list[str] = []
    for item in items:
        try:
            checked.append(check(item))
        except InputError as exc:
            problems += [f"{label(item)}: {p}" for p in exc.problems]
    if problems:
        raise InputError(problems)
    return checked
