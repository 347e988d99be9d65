"""The grid of a sweep: parsing `--grid NAME=VALUES`, and each swept name as an `Axis`.

Grid values are exact numbers: `s=0.25:2:0.25` is 1/4, 1/2, ..., 2 (Fractions; the end is
included where the steps land on it). Points are in row-major order: the first --grid varies
slowest. An `Axis` carries, per value, its walk value as an integer numerator over one
denominator (what `cost.design.vectorize` evaluates) and the reason code of the first binding
check the value breaks (not positive, not whole, not a multiple, not a key of a table), so those
checks run once per value, not once per point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from cost.design.vectorize import Context, Node, Val
from cost.errors import CostError, SpecError
from cost.symbolic import render

if TYPE_CHECKING:
    from cost.design.closed_form import ClosedForm, Compiled

Num = int | Fraction
MAX_AXIS = 1_000_000  # values of one --grid (checked before any value is built; ~10 s)
MAX_POINTS = 5_000_000  # points of a sweep held in memory (about 40 bytes of results each)
MAX_STREAM_POINTS = 10**15  # points of a sweep reduced chunk by chunk (memory does not grow)


class SweepError(SpecError):
    """A grid, filter or sweep request that cannot be evaluated as asked."""


def parse_values(name: str, text: str) -> tuple[Num, ...]:
    """`1,2,3,4,8` (a list) or `0.25:2:0.25` (start:stop:step, stop included where it lands).

    >>> parse_values("s", "0.25:1:0.25")
    (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1)
    >>> parse_values("r", "96:200:32")
    (96, 128, 160, 192)
    """
    where = f"--grid {name}={text}"
    parts = [p.strip() for p in text.split(":")] if ":" in text else None
    if parts is not None:
        if len(parts) != 3 or not all(parts):
            raise SweepError(f"{where}: a range is start:stop:step", hint="e.g. s=0.25:2:0.25")
        start, stop, step = (_exact(p, where) for p in parts)
        if step == 0 or (stop - start) * step < 0:
            raise SweepError(f"{where}: the step {render(step)} does not lead from "
                             f"{render(start)} to {render(stop)}")
        count = math.floor(Fraction(stop - start) / step) + 1
        if count > MAX_AXIS:
            raise SweepError(f"{where}: {count:,} values; the limit is {MAX_AXIS:,}")
        return tuple(num(start + i * Fraction(step)) for i in range(count))
    if text.count(",") >= MAX_AXIS:
        raise SweepError(f"{where}: {text.count(',') + 1:,} values; the limit is {MAX_AXIS:,}")
    items = [p.strip() for p in text.split(",")]
    if not all(items):
        raise SweepError(f"{where}: empty value in the list", hint="e.g. g=1,2,3,4,8")
    values = tuple(_exact(p, where) for p in items)
    if len(set(values)) != len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise SweepError(f"{where}: {render(twice)} is listed twice")
    return values


def parse_grid(items: Sequence[str], limit: int = MAX_POINTS) -> dict[str, tuple[Num, ...]]:
    """`("g=1,2,3", "s=0.5:1:0.25")` -> {"g": (1, 2, 3), "s": (1/2, 3/4, 1)}, in the given order.

    `limit`: the most points allowed (MAX_POINTS for a sweep held in memory, MAX_STREAM_POINTS
    for one reduced chunk by chunk).
    """
    from cost.spec.bindings import parse_assignment

    grid: dict[str, tuple[Num, ...]] = {}
    for item in items:
        name, text = parse_assignment(item, option="--grid", form="NAME=VALUES", error=SweepError,
                                      hint="e.g. --grid g=1,2,3,4,8 or --grid s=0.25:2:0.25")
        if name in grid:
            raise SweepError(f"--grid {name} is given twice")
        grid[name] = parse_values(name, text.strip())
    if not grid:
        raise SweepError("nothing to sweep", hint="add --grid NAME=VALUES")
    size = math.prod(len(v) for v in grid.values())
    if size > limit:
        hint = ("stream it: --pareto, --top K, --output FILE or --format csv"
                if limit < MAX_STREAM_POINTS else "use fewer values or a coarser step")
        raise SweepError(f"the grid has {size:,} points; the limit is {limit:,}", hint=hint)
    return grid


def check_grid(grid: Any, limit: int = MAX_POINTS) -> dict[str, tuple[Num, ...]]:
    """A grid given through Python, checked as `--grid` is: exact numbers, none twice, limits."""
    if not isinstance(grid, dict) or not grid:
        raise SweepError("the grid must be a mapping {name: values} with at least one name")
    from cost.spec.bindings import exact

    out = {}
    for name, values in grid.items():
        where = f"grid {name}"
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise SweepError(f"{where}: the values must be a list of numbers, got {values!r}")
        values = tuple(values)
        if not values:
            raise SweepError(f"{where}: no values", hint="e.g. {'g': [1, 2, 3, 4, 8]}")
        if len(values) > MAX_AXIS:
            raise SweepError(f"{where}: {len(values):,} values; the limit is {MAX_AXIS:,}")
        try:
            values = tuple(num(exact(v)) for v in values)
        except CostError as e:
            raise SweepError(f"{where}: {getattr(e, 'message', e)}",
                             hint="values are numbers such as 8, 0.25 or 3/2") from None
        if len(set(values)) != len(values):
            raise SweepError(f"{where}: a value is listed twice")
        out[name] = values
    size = math.prod(len(v) for v in out.values())
    if size > limit:
        raise SweepError(f"the grid has {size:,} points; the limit is {limit:,}")
    return out


def _exact(text: str, where: str) -> Num:
    from cost.spec.bindings import exact

    try:
        return num(exact(text))
    except CostError as e:
        raise SweepError(f"{where}: {getattr(e, 'message', e)}",
                         hint="values are numbers such as 8, 0.25 or 3/2") from None


def num(v: Any) -> Num:
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


# --- axes: the values of one swept name ----------------------------------------------------------


@dataclass
class Axis:
    """One swept name: its values, their walk values as num/den, and per-value reason codes."""

    name: str
    values: tuple[Num, ...]
    num: np.ndarray  # walk value numerators (1 where the value is rejected)
    den: int
    user_num: np.ndarray  # the values themselves, over user_den (for --where)
    user_den: int
    codes: np.ndarray  # 0 or the reason code of the binding check the value breaks
    table_codes: np.ndarray  # 0 or the code of "not in table ..." for tables keyed by it
    order: int  # declaration order in the spec: binding checks run in this order


def _int_array(values: Sequence[int]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array(values, dtype=object)


def make_axes(form: ClosedForm, grid: dict[str, tuple[Num, ...]],
              reasons: list[str]) -> list[Axis]:
    """The axes of `grid` in the closed form's order; new reason texts are added to `reasons`."""
    axes = []
    declared = [*form.spec.symbols, *form.spec.lets]
    for name in form.names:
        values = grid[name]
        m = form.multiples.get(name, 1)
        codes = np.zeros(len(values), np.int32)
        walk: list[Fraction] = []
        for i, v in enumerate(values):
            problem = None
            if v <= 0:
                problem = f"{name} = {render(v)} must be positive"
            elif form.integer[name] and Fraction(v).denominator != 1:
                problem = f"{name} = {render(v)} is not a whole number"
            elif m > 1 and v % m:
                problem = f"{name} = {render(v)} is not a multiple of {m}"
            if problem:
                codes[i] = code(reasons, problem)
            walk.append(Fraction(v) / m if not problem else Fraction(1))
        den = math.lcm(*(w.denominator for w in walk))
        user_den = math.lcm(*(Fraction(v).denominator for v in values))
        axes.append(Axis(name, values, _int_array([int(w * den) for w in walk]), den,
                         _int_array([int(Fraction(v) * user_den) for v in values]), user_den,
                         codes, np.zeros(len(values), np.int32), declared.index(name)))
    return axes


def code(reasons: list[str], message: str) -> int:
    if message not in reasons:
        reasons.append(message)
    return reasons.index(message)


def table_checks(form: ClosedForm, compiled: Compiled, axes: list[Axis],
                 reasons: list[str]) -> list[tuple[int, str]]:
    """Tables keyed by one swept name are checked per value (with the value in the message);
    the others per point: their (reason code, table name) are returned (see `Matched`)."""
    per_point = []
    by_symbol = {form.symbols[a.name]: a for a in axes}
    for name, node in compiled.tables:
        pw = dict(form.tables)[name]
        symbols = pw.free_symbols
        base = name.split("[")[0]
        decl = form.spec.lets.get(base)
        allowed = ", ".join(render(k) for k in decl.table) if decl and decl.table else ""
        if len(symbols) == 1 and next(iter(symbols)) in by_symbol:
            axis = by_symbol[next(iter(symbols))]
            ctx = Context({form.symbols[axis.name]: Val(axis.num, axis.den)})
            matched = np.broadcast_to(np.asarray(node.matched(ctx)), axis.num.shape)
            for i in np.flatnonzero(~matched & (axis.table_codes == 0)):
                axis.table_codes[i] = code(reasons, f"{axis.name} = {render(axis.values[i])} "
                                            f"is not in table {base!r} (allowed: {allowed})")
        else:
            per_point.append((code(reasons, f"no row of table {base!r} matches"
                                   + (f" (allowed: {allowed})" if allowed else "")), name))
    return per_point


class Matched(Node):
    """True where some row of a table (a Piecewise without a default) applies."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def _evaluate(self, ctx: Context) -> Any:
        return self.table.matched(ctx)
