"""Start-up: the command line imports the modelling stack only in commands that solve
(docs/architecture.md). What it costs in seconds is measured in benchmarks/startup.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from tests.helpers import park_file, two_firm_park

MODELLING = {"pyomo", "highspy", "scipy", "matplotlib", "networkx"}
TABLES = {"pandas", "numpy", "openpyxl"}


def imported_by(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in done.stdout.splitlines()[-1].split()}


def command_line(*args: str) -> str:
    """Python code that runs ``ecopark ARGS`` in-process, as the entry point does."""
    return (
        "from ecopark_opt.cli import main\n"
        "try:\n"
        f"    main({list(args)!r}, prog_name='ecopark')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )


def test_importing_the_command_line_imports_no_modelling_stack_and_no_tables():
    assert imported_by("import ecopark_opt.cli") & (MODELLING | TABLES) == set()


@pytest.mark.parametrize("args", [["--help"], ["solve", "--help"], ["template", "--help"]])
def test_help_imports_no_modelling_stack(args):
    assert imported_by(command_line(*args)) & MODELLING == set()


def test_validate_reads_the_workbook_without_the_solver(tmp_path: Path):
    path = park_file(tmp_path, two_firm_park())
    imported = imported_by(command_line("validate", str(path), "--quiet"))
    assert {"pandas", "openpyxl"} <= imported  # it did read the workbook
    assert imported & {"pyomo", "highspy", "matplotlib"} == set()


def test_validate_of_a_workbook_sized_park_does_without_scipy():
    # Kalundborg's modes have a reach: its candidate links pair sites within it, which a
    # park of this size does without SciPy's k-d tree (0.2 s to import)
    kalundborg = Path(__file__).resolve().parents[2] / "instances" / "kalundborg.xlsx"
    imported = imported_by(command_line("validate", str(kalundborg), "--quiet"))
    assert "openpyxl" in imported
    assert "scipy" not in imported


def test_choices_read_late_are_listed_and_checked():
    runner = CliRunner()
    help_text = runner.invoke(main, ["pareto", "--help"]).output
    assert "[cost|virgin|co2e]" in help_text
    assert "[serial|local|dask]" in runner.invoke(main, ["sweep", "--help"]).output
    refused = runner.invoke(main, ["pareto", "park.xlsx", "--x", "money"])
    assert refused.exit_code == 2
    assert "'money' is not one of 'cost', 'virgin', 'co2e'" in refused.stderr
