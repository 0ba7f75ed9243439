"""Exception hierarchy; the CLI maps each class to an exit code (docs/cli.md)."""

from __future__ import annotations


class EcoparkError(Exception):
    """Base class of every error the tool reports to a user."""

    exit_code = 1


class InputError(EcoparkError):
    """The workbook or the command line is wrong. Carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class InfeasibleError(EcoparkError):
    """The model has no feasible design; the message names the conflicting data."""

    exit_code = 3

    def __init__(self, reasons: list[str] | str):
        if isinstance(reasons, str):
            reasons = [reasons]
        self.reasons = list(reasons)
        super().__init__("\n".join(self.reasons))


class SolverError(EcoparkError):
    """The solver failed or stopped without any feasible solution."""

    exit_code = 4
