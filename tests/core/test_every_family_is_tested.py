"""Every constraint family has its own test file (docs/architecture.md, "Tests").

A family registered in ``ecopark_opt.core.families.FAMILIES`` as ``add_<name>`` is tested in
``tests/core/test_<name>.py``, which holds at least one test: a behaviour test on a 2–3 firm
park whose answer is worked out by hand in a comment. A family added without one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ecopark_opt.core.families import FAMILIES

HERE = Path(__file__).parent


def family_test_file(family: str, folder: Path = HERE) -> Path:
    """Where the tests of constraint family ``family`` (an ``add_*`` name) live."""
    return folder / f"test_{family.removeprefix('add_')}.py"


def collectable_tests(path: Path) -> list[str]:
    """Names of the test functions pytest collects from ``path``: top-level ``test_*``
    functions and ``test_*`` methods of ``Test*`` classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names += [
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test_")
            ]
    return names


def untested(family: str, folder: Path = HERE) -> str | None:
    """Why ``family`` counts as untested, or None when its test file holds a test."""
    path = family_test_file(family, folder)
    if not path.is_file():
        return f"constraint family {family} has no test file tests/core/{path.name}"
    if not collectable_tests(path):
        return f"tests/core/{path.name} holds no test of constraint family {family}"
    return None


def test_the_families_are_registered():
    # build_model calls eleven families today; an empty registry would make the check
    # below pass vacuously
    assert len(FAMILIES) >= 11
    assert all(name.startswith("add_") for name in FAMILIES)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_has_a_file_of_tests(family):
    assert untested(family) is None, untested(family)


def test_a_family_without_tests_is_caught(tmp_path):
    assert untested("add_max_discharge", tmp_path) == (
        "constraint family add_max_discharge has no test file tests/core/test_max_discharge.py"
    )
    path = tmp_path / "test_max_discharge.py"
    path.write_text('"""Nothing yet."""\n\n\ndef helper():\n    pass\n', encoding="utf-8")
    assert untested("add_max_discharge", tmp_path) == (
        "tests/core/test_max_discharge.py holds no test of constraint family add_max_discharge"
    )
    path.write_text("class TestCap:\n    def test_cap(self):\n        pass\n", encoding="utf-8")
    assert untested("add_max_discharge", tmp_path) is None
    assert collectable_tests(path) == ["TestCap.test_cap"]
    path.write_text("def test_cap():\n    pass\n", encoding="utf-8")
    assert untested("add_max_discharge", tmp_path) is None
