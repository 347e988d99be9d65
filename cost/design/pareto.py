"""The one Pareto front of the package: rows that no other row dominates, all columns minimised.

Used by sweeps (madds, params and mem minimal; merged chunk by chunk, since the front of a union
is the front of the parts' fronts) and by `cost frontier` (cost minimal, accuracy maximal: the
accuracy column negated, `front_points`).

Comparisons are exact: int64 columns as integers, object columns (Python ints past int64,
Fractions) as Python numbers. Floats only choose the order in which front rows are found (a sum
of the columns, rounded monotonically, so no row can precede a row that dominates it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pareto_front(columns: Sequence[Any]) -> np.ndarray:
    """True for the rows no other row dominates (<= in every column, < in one); ties all stay.

    Each step takes a row of least column sum (the lexicographically least among equal sums),
    which nothing dominates, and removes it, its equals (also on the front) and the rows it
    dominates, so the cost is (front size) x (rows), with no sort of all rows.

    >>> pareto_front([np.array([1, 2, 2, 3]), np.array([3, 1, 2, 3])]).tolist()
    [True, True, False, False]
    """
    cols = [np.asarray(c) for c in columns]
    n = len(cols[0]) if cols else 0
    on = np.zeros(n, bool)
    if n == 0:
        return on
    exact = any(c.dtype == object for c in cols)
    table = np.stack([c.astype(object) if exact else c for c in cols], axis=1)
    key = np.zeros(n, np.float64)
    for c in cols:
        key += c.astype(np.float64)
    remaining = np.arange(n)
    while remaining.size:
        k = key[remaining]
        ties = remaining[k == k.min()]
        best = ties[0] if ties.size == 1 else min(ties, key=lambda i: tuple(table[i]))
        rows = table[remaining]
        dominated = np.all(rows >= table[best], axis=1)
        on[remaining[dominated & np.all(rows == table[best], axis=1)]] = True
        remaining = remaining[~dominated]
    return on


def front_points(points: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """(cost, accuracy) points no other point beats (none cheaper-or-equal with higher-or-equal
    accuracy), once each, by cost.

    >>> front_points([(40, 60.3), (38, 56.8), (140, 67.4), (146, 69.4), (150, 69.4), (38, 56.8)])
    [(38, 56.8), (40, 60.3), (140, 67.4), (146, 69.4)]
    """
    unique = sorted(set(points), key=lambda p: (p[0], -p[1]))
    if not unique:
        return []
    x = np.array([p[0] for p in unique], dtype=object)
    y = np.array([-p[1] for p in unique], dtype=object)
    return [p for p, on in zip(unique, pareto_front([x, y]), strict=True) if on]
