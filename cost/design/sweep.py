"""Design-space sweeps: one symbolic walk, then every grid point from the closed forms.

`cost sweep SPEC --grid g=1,2,3,4,8 --grid s=0.25:2:0.25` walks the spec once with the swept
names kept free (`cost.load(..., keep=names)`), compiles the totals (madds, params, mem_read,
mem_write) and every pending constraint with `cost.design.vectorize` (exact integers, numpy), and
evaluates the Cartesian product of the grids in chunks, as numpy broadcasts (a constraint on g
and s alone is evaluated once per (g, s), not once per point).

Conventions:

* Grid values are exact numbers: `s=0.25:2:0.25` is 1/4, 1/2, ..., 2 (Fractions; the end is
  included where the steps land on it). Points are in row-major order: the first --grid varies
  slowest.
* A point is valid when its values fit the symbols (positive; whole for int symbols; a multiple
  for `multiple_of`), every table it selects a row of has that row, and every constraint of the
  walk holds (channels whole, groups dividing channels, sizes >= 1). An invalid point keeps its
  row with `reason`, the first check it breaks, and no metrics: nothing is computed with
  fractional channels.
* Metrics are exact integers (`madds`, `params`, `mem` = mem_read + mem_write, elements);
  `intensity` = madds / mem is rendered as a float.
* `--where` keeps the points where an allow-listed condition (`cost.spec.expr`) holds, e.g.
  `madds <= 150e6 and g >= 3`; it is evaluated exactly. A condition that names a metric is not
  true at an invalid point, so those rows are dropped; a condition on the swept names only keeps
  invalid rows that match it.
* `latency` (seconds, with a device profile: `sweep(..., device=...)`, `cost sweep --device`) is
  the predicted latency of `cost.latency.predict` as one more closed form (a sum of per-kernel
  `Max` terms over 10**18), evaluated exactly like the others and rendered as a float.
* `pareto` marks the points of the front that minimises madds, params and mem together, among
  the valid points that pass --where (ties are all on the front).

>>> s = sweep(cost.load("specs/shufflenet_v1.yaml"), {"g": (3, 8)})  # doctest: +SKIP
>>> s.metrics["madds"].tolist()  # doctest: +SKIP
[137460672, 138365952]
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from cost.design.vectorize import Compiler, Context, Node, Val, add_vals, mul, reduce
from cost.errors import CostError, SpecError, did_you_mean
from cost.measures import METRICS
from cost.spec.parse import Spec
from cost.symbolic import render, sp

Num = int | Fraction
MAX_AXIS = 10_000_000  # values of one --grid
MAX_POINTS = 20_000_000  # points of a sweep (about 40 bytes of results each)
CHUNK = 1 << 18  # points evaluated together; bounds memory and paces the progress bar
PROGRESS_MIN = 4 * CHUNK  # smaller sweeps finish before a bar would help
WHERE_NAMES = ("madds", "flops", "params", "mem_read", "mem_write", "mem", "intensity", "latency")


class SweepError(SpecError):
    """A grid, filter or sweep request that cannot be evaluated as asked."""


# --- grids ---------------------------------------------------------------------------------------


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
        return tuple(_num(start + i * Fraction(step)) for i in range(count))
    items = [p.strip() for p in text.split(",")]
    if not all(items):
        raise SweepError(f"{where}: empty value in the list", hint="e.g. g=1,2,3,4,8")
    values = tuple(_exact(p, where) for p in items)
    if len(set(values)) != len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise SweepError(f"{where}: {render(twice)} is listed twice")
    return values


def parse_grid(items: Sequence[str]) -> dict[str, tuple[Num, ...]]:
    """`("g=1,2,3", "s=0.5:1:0.25")` -> {"g": (1, 2, 3), "s": (1/2, 3/4, 1)}, in the given order."""
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
    if size > MAX_POINTS:
        raise SweepError(f"the grid has {size:,} points; the limit is {MAX_POINTS:,}",
                         hint="use fewer values or a coarser step")
    return grid


def _exact(text: str, where: str) -> Num:
    from cost.spec.bindings import exact

    try:
        return _num(exact(text))
    except CostError as e:
        raise SweepError(f"{where}: {getattr(e, 'message', e)}",
                         hint="values are numbers such as 8, 0.25 or 3/2") from None


def _num(v: Any) -> Num:
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


# --- the closed form -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A condition every valid point meets, and what to say where it does not."""

    condition: Any  # sympy Boolean in the walk symbols and lets
    message: str


@dataclass
class ClosedForm:
    """The totals and constraints of one symbolic walk, as sympy expressions of the kept names."""

    spec: Spec
    names: tuple[str, ...]  # swept names, in grid order
    symbols: dict[str, Any]  # name -> symbol of the walk (r/32 for r with multiple_of 32)
    multiples: dict[str, int]
    integer: dict[str, bool]  # name -> must be a whole number
    fixed: dict[str, Any]  # the bound names and their values
    totals: dict[str, Any]  # metric -> int or sympy expression
    definitions: dict[Any, Any]  # let symbol -> expression (tables are Piecewise)
    checks: list[Check]
    tables: list[tuple[str, Any]]  # (let name, Piecewise without a default)
    seconds: float = 0.0  # time of the walk
    device: Any = None  # the cost.latency.Device behind totals["latency"], if any
    _compiled: dict[tuple, Compiled] = field(default_factory=dict, repr=False)

    def compiled(self, dens: dict[str, int]) -> Compiled:
        """Numpy evaluators for these denominators of the swept values (cached)."""
        key = tuple(dens[n] for n in self.names)
        if key not in self._compiled:
            self._compiled[key] = Compiled(self, dens)
        return self._compiled[key]


def closed_form(spec: Spec, names: Sequence[str], device: Any = None) -> ClosedForm:
    """Walk `spec` once with `names` free (they may be symbols or lets); with a `device`
    (`cost.latency.Device`), the predicted latency is one more total."""
    from cost.engine.profile import profile

    names = tuple(names)
    both = [n for n in names if n in spec.bindings]
    if both:
        raise SweepError(f"{both[0]!r} is both swept (--grid) and set (--set)")
    known = {**spec.symbols, **spec.lets}
    for n in names:
        if n not in known:
            raise SweepError(f"unknown symbol {n!r} in --grid", file=spec.path,
                             hint=did_you_mean(n, known))
    start = time.perf_counter()
    p = profile(spec.with_bindings(keep=names))
    seconds = time.perf_counter() - start
    extra = [n for n in p.env.free if n not in names]
    if extra:
        raise SweepError(f"{extra[0]!r} is free but not swept",
                         hint="bind it (--set) or add a --grid for it")
    symbols = {n: p.env.free[n] for n in names}
    integer = {n: bool(symbols[n].is_integer) for n in names}
    checks = []
    seen = set()
    for c in p.constraints:
        if c.condition in seen:
            continue
        seen.add(c.condition)
        checks.append(Check(c.condition, f"{c.where}: {c.message}" if c.where else c.message))
    tables = []
    s = sp()
    for symbol, definition in p.env.definitions.items():
        if isinstance(definition, s.Piecewise) and not any(
                cond is s.true for _, cond in definition.args):
            tables.append((str(symbol), definition))
    totals = {m: getattr(p.total, m) for m in METRICS}
    if device is not None:
        from cost.latency.predict import latency

        totals["latency"] = latency(p, device)
    return ClosedForm(spec, names, symbols, dict(p.env.multiples), integer, dict(p.env.bound),
                      totals, dict(p.env.definitions), checks, tables, seconds, device)


class Compiled:
    """The closed form compiled for numpy: metric nodes and (code, condition) checks."""

    def __init__(self, form: ClosedForm, dens: dict[str, int]) -> None:
        start = time.perf_counter()
        variables = {form.symbols[n]: dens[n] for n in form.names}
        self.compiler = Compiler(variables, form.definitions)
        self.metrics = {m: self.compiler.number(v) for m, v in form.totals.items()}
        self.tables = [(name, self.compiler.number(pw)) for name, pw in form.tables]
        self.checks = [(c.message, self.compiler.condition(c.condition)) for c in form.checks]
        self.seconds = time.perf_counter() - start


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


def _axes(form: ClosedForm, grid: dict[str, tuple[Num, ...]],
          reasons: list[str]) -> list[Axis]:
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
                codes[i] = _code(reasons, problem)
            walk.append(Fraction(v) / m if not problem else Fraction(1))
        den = math.lcm(*(w.denominator for w in walk))
        user_den = math.lcm(*(Fraction(v).denominator for v in values))
        axes.append(Axis(name, values, _int_array([int(w * den) for w in walk]), den,
                         _int_array([int(Fraction(v) * user_den) for v in values]), user_den,
                         codes, np.zeros(len(values), np.int32), declared.index(name)))
    return axes


def _code(reasons: list[str], message: str) -> int:
    if message not in reasons:
        reasons.append(message)
    return reasons.index(message)


def _table_checks(form: ClosedForm, compiled: Compiled, axes: list[Axis],
                  reasons: list[str]) -> list[tuple[int, Node | bool]]:
    """Tables keyed by one swept name are checked per value (with the value in the message);
    others per point."""
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
                axis.table_codes[i] = _code(reasons, f"{axis.name} = {render(axis.values[i])} "
                                            f"is not in table {base!r} (allowed: {allowed})")
        else:
            per_point.append((_code(reasons, f"no row of table {base!r} matches"
                                    + (f" (allowed: {allowed})" if allowed else "")),
                              _Matched(node)))
    return per_point


class _Matched(Node):
    """True where some row of a table (a Piecewise without a default) applies."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def _evaluate(self, ctx: Context) -> Any:
        return self.table.matched(ctx)


# --- chunks of the grid --------------------------------------------------------------------------


@dataclass
class Chunk:
    start: int
    stop: int
    shape: tuple[int, ...]  # broadcast shape; its row-major order is the points start:stop
    index: list[np.ndarray]  # per axis: value indices, shaped to broadcast to `shape`


def chunks(lengths: Sequence[int], size: int = CHUNK, broadcast: bool = True) -> Iterator[Chunk]:
    """Split the row-major product of `lengths` into broadcastable blocks of about `size` points.

    The last axes whose product fits in `size` stay whole (broadcast); the leading axes are
    walked in runs of consecutive points. `broadcast=False` gives every axis one value per
    point (the layout of a plain list of points; for benchmarks).
    """
    k = len(lengths)
    split = k
    inner = 1
    while broadcast and split > 0 and inner * lengths[split - 1] <= size:
        split -= 1
        inner *= lengths[split]
    outer_shape = tuple(lengths[:split])
    outer = math.prod(outer_shape)
    run = max(1, size // inner)
    for first in range(0, outer, run):
        last = min(outer, first + run)
        flat = np.arange(first, last)
        idx = np.unravel_index(flat, outer_shape) if outer_shape else ()
        m = last - first
        shape = (m, *lengths[split:])
        index = []
        for axis in range(k):
            if axis < split:
                index.append(idx[axis].reshape((m,) + (1,) * (k - split)))
            else:
                view = [1] * (k - split + 1)
                view[1 + axis - split] = lengths[axis]
                index.append(np.arange(lengths[axis]).reshape(view))
        yield Chunk(first * inner, last * inner, shape, index)


# --- the sweep -----------------------------------------------------------------------------------


@dataclass
class Sweep:
    """Results per point (row-major over `grid`): exact metrics, validity, filter, Pareto front."""

    form: ClosedForm
    grid: dict[str, tuple[Num, ...]]
    metrics: dict[str, np.ndarray]  # madds, params, mem_read, mem_write; 0 where invalid
    dens: dict[str, np.ndarray | None]  # denominators where a metric is not whole (rare)
    reason: np.ndarray  # int32 code into `reasons`; 0 = valid
    reasons: list[str]
    kept: np.ndarray  # passes --where
    pareto: np.ndarray
    where: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.reason)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values())

    @property
    def valid(self) -> np.ndarray:
        return self.reason == 0

    def exact(self, metric: str) -> tuple[np.ndarray, np.ndarray | int]:
        """(num, den) of a metric (mem included); den is 1 unless some value is fractional."""
        if metric == "mem":
            v = add_vals(Val(*self.exact("mem_read")), Val(*self.exact("mem_write")))
            return v.num, v.den
        den = self.dens.get(metric)
        return self.metrics[metric], 1 if den is None else den

    def number(self, metric: str) -> np.ndarray:
        """A metric as int64 (or float64 if fractional anywhere, or object if past int64)."""
        num, den = self.exact(metric)
        return num if isinstance(den, int) else num / den

    def intensity(self) -> np.ndarray:
        """madds / mem per point as float64 (NaN where invalid)."""
        madds, mem = self.number("madds"), self.number("mem")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(madds, dtype=np.float64) / np.asarray(mem, dtype=np.float64)
        return np.where(self.valid, out, np.nan)

    def indices(self, name: str) -> np.ndarray:
        """Per point: the index of its value of `name` in grid[name]."""
        axis = list(self.grid).index(name)
        shape = self.shape
        stride = math.prod(shape[axis + 1:])
        return (np.arange(self.size) // stride) % shape[axis]

    def values(self, name: str) -> np.ndarray:
        """Per point: its value of `name` (int64 if all values are whole, else float64)."""
        values = self.grid[name]
        whole = all(isinstance(v, int) for v in values)
        table = np.array([v if whole else float(v) for v in values],
                         dtype=np.int64 if whole else np.float64)
        return table[self.indices(name)]

    def reason_text(self) -> np.ndarray:
        return np.array(self.reasons, dtype=object)[self.reason]

    def frame(self, rows: str = "kept"):  # noqa: ANN201 - pandas.DataFrame
        """One row per point ("kept": passing --where; "all"): bindings, madds, params, mem,
        intensity, valid, reason, pareto. Metrics are nullable integers (<NA> where invalid)."""
        import pandas as pd

        select = self.kept if rows == "kept" else np.ones(self.size, bool)
        valid = self.valid[select]
        data: dict[str, Any] = {name: self.values(name)[select] for name in self.grid}
        for metric in ("madds", "params", "mem"):
            v = self.number(metric)[select]
            if v.dtype == np.int64:
                data[metric] = pd.array(np.where(valid, v, 0), dtype="Int64")
                data[metric][~valid] = pd.NA
            else:
                data[metric] = pd.Series(v, dtype=object if v.dtype == object else np.float64
                                         ).where(valid)
        data["intensity"] = self.intensity()[select]
        if "latency" in self.metrics:
            data["latency"] = self.latency()[select]
        data["valid"] = valid
        data["reason"] = self.reason_text()[select]
        data["pareto"] = self.pareto[select]
        return pd.DataFrame(data)

    def summary(self) -> dict[str, Any]:
        valid = self.valid
        counts = np.bincount(self.reason, minlength=len(self.reasons))
        out: dict[str, Any] = {
            "points": self.size, "valid": int(valid.sum()), "kept": int(self.kept.sum()),
            "pareto": int(self.pareto.sum()),
            "invalid_reasons": {self.reasons[i]: int(counts[i])
                                for i in np.argsort(-counts, kind="stable")
                                if i and counts[i]},
        }
        ok = valid & self.kept
        for metric in ("madds", "params", "mem"):
            v = self.number(metric)[ok]
            out[metric] = (_plain(v.min()), _plain(v.max())) if v.size else None
        if "latency" in self.metrics:
            v = self.latency()[ok]
            out["latency"] = (float(v.min()), float(v.max())) if v.size else None
        return out

    def latency(self) -> np.ndarray:
        """Predicted latency in seconds per point as float64 (NaN where invalid; needs a
        device: `sweep(..., device=...)`)."""
        if "latency" not in self.metrics:
            raise SweepError("no latency in this sweep", hint="give a device profile: --device")
        num, den = self.exact("latency")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(num, dtype=np.float64) / np.asarray(den, dtype=np.float64)
        return np.where(self.valid, out, np.nan)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def sweep(spec: Spec, grid: dict[str, Sequence[Any]], *, where: str | None = None,
          progress: bool | None = False, form: ClosedForm | None = None,
          broadcast: bool = True, device: Any = None) -> Sweep:
    """Evaluate `spec` at every point of the grid (see the module docstring).

    `progress`: None shows a tqdm bar on a terminal for large sweeps, False never.
    `form`: a closed form built before (`closed_form(spec, names)`), to reuse its walk.
    `broadcast`: evaluate the grid as an outer product (False: one value per point; the same
    results, slower; for benchmarks).
    `device`: a `cost.latency.Device`; adds the predicted `latency` (seconds) to the metrics.
    """
    grid = {name: tuple(_num(v) for v in values) for name, values in grid.items()}
    if form is None:
        form = closed_form(spec, tuple(grid), device)
    if set(form.names) != set(grid) or tuple(grid) != form.names:
        raise SweepError("the grid names differ from the closed form's: "
                         f"{', '.join(grid)} vs {', '.join(form.names)}")
    seconds = {"walk": form.seconds}
    reasons = [""]
    axes = _axes(form, grid, reasons)
    compiled = form.compiled({a.name: a.den for a in axes})
    seconds["compile"] = compiled.seconds
    table_checks = _table_checks(form, compiled, axes, reasons)
    checks = table_checks + [(_code(reasons, msg), node) for msg, node in compiled.checks]
    flt = _Filter(where, form, axes) if where else None

    start = time.perf_counter()
    n = math.prod(len(a.values) for a in axes)
    out = _Results(n, tuple(form.totals))
    bar = _progress(n, progress)
    with np.errstate(divide="ignore", invalid="ignore"):
        for chunk in chunks([len(a.values) for a in axes], broadcast=broadcast):
            _evaluate_chunk(chunk, form, compiled, axes, checks, flt, out)
            if bar is not None:
                bar.update(chunk.stop - chunk.start)
    if bar is not None:
        bar.close()
    seconds["evaluate"] = time.perf_counter() - start
    result = Sweep(form, grid, out.metrics, out.dens, out.reason, reasons, out.kept,
                   np.zeros(n, bool), where, seconds)
    start = time.perf_counter()
    result.pareto = pareto_mask(result)
    seconds["pareto"] = time.perf_counter() - start
    return result


class _Results:
    """The per-point arrays a sweep fills chunk by chunk."""

    def __init__(self, n: int, metrics: Sequence[str] = METRICS) -> None:
        self.n = n
        self.reason = np.zeros(n, np.int32)
        self.kept = np.ones(n, bool)
        self.metrics = {m: np.zeros(n, np.int64) for m in metrics}
        self.dens: dict[str, np.ndarray | None] = {m: None for m in metrics}

    def put(self, array: np.ndarray, chunk: Chunk, value: Any) -> None:
        array[chunk.start:chunk.stop].reshape(chunk.shape)[...] = value

    def put_metric(self, metric: str, chunk: Chunk, num: Any, den: Any, valid: Any) -> None:
        value = np.where(valid, num, 0)
        if value.dtype == object and self.metrics[metric].dtype != object:
            self.metrics[metric] = self.metrics[metric].astype(object)
        self.put(self.metrics[metric], chunk, value)
        if den is not None:
            if self.dens[metric] is None:
                self.dens[metric] = np.ones(self.n, np.int64)
            self.put(self.dens[metric], chunk, np.where(valid, den, 1))


def _evaluate_chunk(chunk: Chunk, form: ClosedForm, compiled: Compiled, axes: list[Axis],
                    checks: list[tuple[int, Node | bool]], flt: _Filter | None,
                    out: _Results) -> None:
    index = {a.name: i for a, i in zip(axes, chunk.index, strict=True)}
    ctx = Context({form.symbols[a.name]: Val(a.num[index[a.name]], a.den) for a in axes})
    # reasons: the first broken check wins, in cost.engine.profile's order: the bindings (as the
    # spec declares them), then tables, then the constraints of the walk; applied last-first
    r = np.zeros(chunk.shape, np.int32)
    for code, node in reversed(checks):
        fail = np.logical_not(node if isinstance(node, bool) else node.evaluate(ctx))
        if np.any(fail):
            r = np.where(fail, code, r)
    ordered = [*((a.codes, index[a.name]) for a in sorted(axes, key=lambda a: a.order)),
               *((a.table_codes, index[a.name]) for a in axes)]
    for codes, i in reversed(ordered):
        if codes.any():
            here = codes[i]
            r = np.where(here != 0, here, r)
    r = np.broadcast_to(r, chunk.shape)
    valid = r == 0
    out.put(out.reason, chunk, r)
    values = {}
    for metric, node in compiled.metrics.items():
        num, den = _whole(node.evaluate(ctx), valid)
        values[metric] = Val(num, 1 if den is None else den)
        out.put_metric(metric, chunk, num, den, valid)
    if flt is not None:
        out.put(out.kept, chunk, flt.evaluate(values, axes, chunk, valid))


def _whole(v: Val, valid: np.ndarray) -> tuple[Any, Any]:
    """Integer values (num, None) where every valid point is whole; else reduced (num, den)."""
    if isinstance(v.den, (int, np.integer)) and int(v.den) == 1:
        return v.num, None
    whole = np.asarray(v.num % v.den == 0)
    if not np.any(~whole & valid):
        return v.num // v.den, None
    r = reduce(Val(np.asarray(v.num), v.den))
    return r.num, r.den


def _progress(n: int, progress: bool | None) -> Any:
    if progress is False or n < PROGRESS_MIN:
        return None
    from tqdm import tqdm

    return tqdm(total=n, unit="pt", unit_scale=True, disable=None, desc="sweep", leave=False,
                delay=0.5)  # appears only if the sweep is still running after 0.5 s


# --- --where -------------------------------------------------------------------------------------


class _Filter:
    """A --where condition, as a sympy Boolean over metrics and names, compiled exactly."""

    def __init__(self, text: str, form: ClosedForm, axes: list[Axis]) -> None:
        from cost.spec.expr import parse

        s = sp()
        expr = parse(text, comparisons=True)
        self.text = text
        self.symbols = {m: s.Symbol(f"_{m}") for m in WHERE_NAMES}
        self.names = {a.name: s.Symbol(f"_{a.name}") for a in axes}
        known = {**self.symbols, **self.names}
        constants = {k: v for k, v in form.fixed.items() if k not in known}
        unknown = sorted(n for n in expr.names if n not in known and n not in constants)
        if unknown:
            raise SweepError(f"unknown name {unknown[0]!r} in --where {text!r}",
                             hint=did_you_mean(unknown[0], [*known, *constants]))
        self.uses_metrics = bool(expr.names & set(WHERE_NAMES))
        if "latency" in expr.names and "latency" not in form.totals:
            raise SweepError(f"--where {text!r} names latency, which needs a device profile",
                             hint="add --device device.yaml (written by cost calibrate)")
        try:
            condition = s.sympify(expr.evaluate({**known, **constants}))
        except SpecError as e:
            raise SweepError(f"--where {text!r}: {e.message}", hint=e.hint) from None
        if not isinstance(condition, s.logic.boolalg.Boolean):
            raise SweepError(f"--where {text!r} is not a condition",
                             hint="compare a metric, e.g. madds <= 150e6")
        variables = {self.symbols[m]: None for m in ("madds", "params", "mem_read",
                                                     "mem_write", "mem", "intensity", "latency")}
        variables |= {self.names[a.name]: a.user_den for a in axes}
        definitions = {self.symbols["flops"]: 2 * self.symbols["madds"]}
        self.node = Compiler(variables, definitions).condition(condition)

    def evaluate(self, values: dict[str, Val], axes: list[Axis], chunk: Chunk,
                 valid: np.ndarray) -> np.ndarray:
        if isinstance(self.node, bool):
            ok: Any = self.node
        else:
            mem = add_vals(values["mem_read"], values["mem_write"])
            zero = np.asarray(mem.num) == 0
            intensity = Val(mul(values["madds"].num, mem.den),
                            np.where(zero, 1, mul(mem.num, values["madds"].den)))
            variables = {self.symbols[m]: values[m] for m in values}
            variables[self.symbols["mem"]] = mem
            variables[self.symbols["intensity"]] = intensity
            variables |= {self.names[a.name]: Val(a.user_num[i], a.user_den)
                          for a, i in zip(axes, chunk.index, strict=True)}
            ok = self.node.evaluate(Context(variables))
        ok = np.broadcast_to(np.asarray(ok, bool), chunk.shape)
        return ok & valid if self.uses_metrics else ok


# --- the Pareto front ----------------------------------------------------------------------------


def pareto_mask(result: Sweep, metrics: Sequence[str] = ("madds", "params", "mem")) -> np.ndarray:
    """Points on the front of `metrics` (all minimised) among the valid points kept by --where."""
    candidates = np.flatnonzero(result.valid & result.kept)
    out = np.zeros(result.size, bool)
    if candidates.size:
        columns = [np.asarray(result.number(m))[candidates] for m in metrics]
        if any(c.dtype == object for c in columns):
            columns = [c.astype(np.float64) for c in columns]
        out[candidates[pareto_front(columns)]] = True
    return out


def pareto_front(columns: Sequence[np.ndarray]) -> np.ndarray:
    """True for the rows no other row dominates (<= in every column, < in one); ties all stay.

    The lexicographically smallest remaining row is always on the front; each step removes
    what it dominates, so the cost is (front size) x (rows).

    >>> pareto_front([np.array([1, 2, 2, 3]), np.array([3, 1, 2, 3])]).tolist()
    [True, True, False, False]
    """
    order = np.lexsort(columns[::-1])  # by the first column, then the second, ...
    table = np.stack([np.asarray(c)[order] for c in columns], axis=1)
    first = np.ones(len(order), bool)
    first[1:] = np.any(table[1:] != table[:-1], axis=1)
    unique = table[first]
    inverse = np.empty(len(order), np.int64)
    inverse[order] = np.cumsum(first) - 1
    remaining = np.arange(len(unique))
    front = []
    while remaining.size:
        best = remaining[0]
        front.append(best)
        dominated = np.all(unique[remaining] >= unique[best], axis=1)
        remaining = remaining[~dominated]
    on_front = np.zeros(len(unique), bool)
    on_front[front] = True
    return on_front[inverse]
