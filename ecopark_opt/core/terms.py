"""Building blocks of model expressions: flat linear sums and grouped index lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

from pyomo.core.expr.numeric_expr import LinearExpression


def linear(coefs: list[float], variables: list) -> LinearExpression:
    """Σ coefs·variables as one flat linear expression (built ≈2× faster than ``sum``)."""
    return LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=variables)


def linear_sum(*groups: Iterable) -> LinearExpression:
    """One linear expression from groups of (coefficient, variable) pairs, in order."""
    coefs: list[float] = []
    variables: list = []
    for group in groups:
        for c, v in group:
            coefs.append(c)
            variables.append(v)
    return linear(coefs, variables)


def grouped(keys: Iterable[Hashable], items: Iterable) -> dict:
    """``{key: [items with that key]}`` in order of appearance."""
    groups: dict = defaultdict(list)
    for key, item in zip(keys, items):
        groups[key].append(item)
    return groups
