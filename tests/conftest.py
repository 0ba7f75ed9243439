"""Shared fixtures; the plain functions live in :mod:`tests.helpers`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import load_tables, park_file, solve_tables, two_firm_park

__all__ = ["load_tables", "park_file", "solve_tables", "two_firm_park"]


@pytest.fixture
def solve(tmp_path) -> Callable[..., Any]:
    """``solve(tables, **run_options) -> Solution`` writing into the test's tmp_path."""
    return lambda tables, **options: solve_tables(tmp_path, tables, **options)


@pytest.fixture
def load(tmp_path) -> Callable[..., Any]:
    """``load(tables) -> Park`` writing into the test's tmp_path."""
    return lambda tables: load_tables(tmp_path, tables)
