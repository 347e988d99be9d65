"""The one Pareto front of the package: rows that no other row dominates, each column minimised
or maximised as its objective says.

Used by sweeps (`--pareto "madds:min,params:max"`; merged chunk by chunk, since the front of a
union is the front of the parts' fronts) and by `cost frontier` (cost minimal, accuracy
maximal: `front_points`).

Objectives are written `name:min` or `name:max`, separated by commas (`parse_objectives`). The
default, `DEFAULT_OBJECTIVES`, is the design question of ShuffleNet ("more channels for the
same FLOPs"): cost to minimise against capacity to maximise, `madds:min,params:max`, so the
front lists, for each budget of multiply-adds, the configuration with the most parameters. (All
metrics minimised together would select the smallest network and little else.)

Comparisons are exact: int64 columns as integers, object columns (Python ints past int64,
Fractions) as Python numbers, ratio columns (num, den) by cross-multiplication (in int64 when
the products fit, as Python ints otherwise). Floats only choose the order in which front rows
are found; where float rounding could misorder two rows (ratios, values past float range), the
row found is checked against every remaining row before it is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from cost.errors import OptionError, did_you_mean

DIRECTIONS = ("min", "max")
DEFAULT_OBJECTIVES = "madds:min,params:max"
INT64_MAX = 2**63 - 1
FLOAT_EXACT = 2**53  # integers up to this are floats exactly


@dataclass(frozen=True)
class Objective:
    """One column of a front and its direction ("min" or "max")."""

    name: str
    direction: str = "min"

    def __str__(self) -> str:
        return f"{self.name}:{self.direction}"


def parse_objectives(text: str | Sequence[Objective] | None, known: Sequence[str],
                     option: str = "--pareto") -> tuple[Objective, ...]:
    """`"madds:min,params:max"` -> Objectives, each name one of `known` (None: the default).

    >>> [str(o) for o in parse_objectives("madds:min, params:max", ["madds", "params"])]
    ['madds:min', 'params:max']
    >>> parse_objectives("madds:low", ["madds"])
    Traceback (most recent call last):
    cost.errors.OptionError: --pareto 'madds:low': the direction must be min or max
      hint: write madds:min or madds:max
    """
    if text is None:
        text = DEFAULT_OBJECTIVES
    if not isinstance(text, str):
        objectives = tuple(text)
        for o in objectives:
            _check_name(o.name, known, option, str(o))
            _check_direction(o, option)
    else:
        items = [item.strip() for item in text.split(",")]
        if not text.strip() or not all(items):
            raise OptionError(f"{option} {text!r}: give objectives as METRIC:min or "
                              "METRIC:max separated by commas",
                              hint=f"e.g. {DEFAULT_OBJECTIVES} (the default)")
        objectives = tuple(_parse_one(item, known, option) for item in items)
    names = [o.name for o in objectives]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise OptionError(f"{option}: {', '.join(twice)} given more than once",
                          hint="give each objective once")
    return objectives


def _parse_one(item: str, known: Sequence[str], option: str) -> Objective:
    name, sep, direction = (part.strip() for part in item.partition(":"))
    _check_name(name, known, option, item)
    if not sep:
        raise OptionError(f"{option} {item!r}: say whether to minimise or maximise {name}",
                          hint=f"write {name}:min or {name}:max")
    objective = Objective(name, direction.lower())
    _check_direction(objective, option, item)
    return objective


def _check_name(name: str, known: Sequence[str], option: str, item: str) -> None:
    if name not in known:
        raise OptionError(f"{option} {item!r}: unknown objective {name!r}",
                          hint=did_you_mean(name, known))


def _check_direction(o: Objective, option: str, item: str | None = None) -> None:
    if o.direction not in DIRECTIONS:
        hint = did_you_mean(o.direction, DIRECTIONS)
        if not hint.startswith("did you mean"):
            hint = f"write {o.name}:min or {o.name}:max"
        raise OptionError(f"{option} {item or str(o)!r}: the direction must be min or max",
                          hint=hint)


class _Column:
    """One column, signed so that less is better: values, or ratios num/den (den >= 0)."""

    def __init__(self, values: Any, direction: str) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}: min or max")
        num, den = values if isinstance(values, tuple) else (values, 1)
        num = np.asarray(num)
        if direction == "max":
            num = -num.astype(object) if num.dtype == np.int64 and num.size and \
                num.min() == np.iinfo(np.int64).min else -num
        if not isinstance(den, (int, np.integer)):
            den = np.asarray(den)
            if den.size and bool(np.all(den == den.flat[0])):
                den = int(den.flat[0])
        self.ratio = not (isinstance(den, (int, np.integer)) and int(den) == 1)
        if self.ratio and num.dtype != object:  # products in int64 only where they fit
            big = int(np.max(np.abs(num.astype(object)))) if num.size else 0
            if num.dtype.kind == "f" or big * int(np.max(den)) > INT64_MAX:
                num = num.astype(object)
                den = den if isinstance(den, (int, np.integer)) else den.astype(object)
            if isinstance(den, np.integer):
                den = int(den)
        self.num, self.den = num, den
        self.key = _floats(num) if not self.ratio else _ratio_floats(num, den)
        # rounding to float is monotone for plain values, and for ratios of values that floats
        # hold exactly (IEEE division rounds the exact quotient); not for ratios of rounded ones
        self.inexact_key = self.ratio and not (_within(num, FLOAT_EXACT)
                                               and _within(den, FLOAT_EXACT))

    def __len__(self) -> int:
        return len(self.num)

    def sides(self, rows: np.ndarray, best: int) -> tuple[Any, Any]:
        """(rows' values, best's value), scaled to compare exactly with <, == and >."""
        if not self.ratio:
            return self.num[rows], self.num[best]
        den = self.den
        if isinstance(den, int):
            return self.num[rows], self.num[best]  # one positive denominator: compare nums
        return self.num[rows] * den[best], self.num[best] * den[rows]

    def exact(self, i: int) -> Any:
        """Row i's value as a Python number (for the tie-break between equal keys)."""
        n = self.num[i]
        n = n.item() if isinstance(n, np.generic) else n
        if not self.ratio:
            return n
        d = self.den if isinstance(self.den, int) else self.den[i]
        d = int(d)
        if d == 0:
            return float("inf") if n > 0 else float("-inf") if n < 0 else 0
        return Fraction(int(n), d)


def _within(v: Any, limit: int) -> bool:
    a = np.asarray(v)
    return a.size == 0 or int(np.max(np.abs(a.astype(object)))) <= limit


def _floats(num: np.ndarray) -> np.ndarray:
    if num.dtype != object:
        return num.astype(np.float64)
    return np.array([_float(v) for v in num.tolist()], np.float64)


def _float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:  # an exact value past float range
        return float("inf") if v > 0 else float("-inf")


def _ratio_floats(num: np.ndarray, den: Any) -> np.ndarray:
    d = np.asarray(den).astype(object) if np.asarray(den).dtype == object else den
    with np.errstate(divide="ignore", invalid="ignore"):
        return _floats(num) / _floats(np.broadcast_to(np.asarray(d), num.shape))


def pareto_front(columns: Sequence[Any], directions: Sequence[str] | None = None) -> np.ndarray:
    """True for the rows no other row dominates (no worse in every column, better in one);
    ties all stay. `directions`: "min" or "max" per column (default: all "min"). A column is
    an array of values or a (num, den) pair of arrays (or den an int): the ratios num/den.

    Each step takes a row of least key (the sum of the signed columns as floats; the
    lexicographically least among equal keys), which nothing dominates, and removes it, its
    equals (also on the front) and the rows it dominates, so the cost is (front size) x (rows),
    with no sort of all rows.

    >>> pareto_front([np.array([1, 2, 2, 3]), np.array([3, 1, 2, 3])]).tolist()
    [True, True, False, False]
    >>> pareto_front([np.array([1, 2, 2, 3]), np.array([3, 1, 2, 4])], ["min", "max"]).tolist()
    [True, False, False, True]
    """
    directions = list(directions or ["min"] * len(columns))
    if len(directions) != len(columns):
        raise ValueError(f"{len(columns)} columns, {len(directions)} directions")
    cols = [_Column(c, d) for c, d in zip(columns, directions, strict=True)]
    n = len(cols[0]) if cols else 0
    on = np.zeros(n, bool)
    if n == 0:
        return on
    key = np.zeros(n, np.float64)
    for c in cols:
        key += c.key
    verify = any(c.inexact_key for c in cols) or not np.all(np.isfinite(key))
    key[np.isnan(key)] = np.inf

    def compare(rows: np.ndarray, best: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: no better than best in every column, equal in every column, no worse."""
        ge = np.ones(rows.size, bool)
        eq = np.ones(rows.size, bool)
        le = np.ones(rows.size, bool)
        for c in cols:
            a, b = c.sides(rows, best)
            ge &= np.asarray(a >= b, bool)
            eq &= np.asarray(a == b, bool)
            le &= np.asarray(a <= b, bool)
        return ge, eq, le

    def least(rows: np.ndarray) -> int:
        k = key[rows]
        ties = rows[k == k.min()]
        if ties.size == 1:
            return int(ties[0])
        return int(min(ties, key=lambda i: tuple(c.exact(i) for c in cols)))

    remaining = np.arange(n)
    while remaining.size:
        best = least(remaining)
        ge, eq, le = compare(remaining, best)
        while verify and np.any(le & ~eq):  # a row the float key misordered dominates best
            best = least(remaining[le & ~eq])
            ge, eq, le = compare(remaining, best)
        on[remaining[eq]] = True
        remaining = remaining[~ge]
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
    y = np.array([p[1] for p in unique], dtype=object)
    return [p for p, on in zip(unique, pareto_front([x, y], ["min", "max"]), strict=True) if on]
