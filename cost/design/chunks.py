"""Chunks of a grid, and the evaluation of one chunk: the unit of work of every sweep.

The row-major product of the axes is cut into chunks of at most `size` points (`chunk_layout`),
each a numpy broadcast of index arrays, addressed by number (`chunk_at`), so a chunk task is
just (plan, number) wherever it runs. A `Plan` is everything a worker needs: the closed form's
sympy expressions, the axes and the reason codes; it pickles small and is sent once per worker,
which compiles it once (`evaluator`). Evaluating chunk i gives a `Block`: the points of the
chunk with their reason code, --where result and exact metrics.

A `Block` is also what the reductions keep (the Pareto front, the top k) and what the writers
render: `columns` builds the per-point columns of any block, for tables, CSV, JSON, Parquet and
pandas alike.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from cost.design.grid import Axis, Matched
from cost.design.vectorize import Compiler, Context, Node, Val, add_vals, reduce
from cost.design.where import Filter

CHUNK = 1 << 18  # points evaluated together; bounds memory and paces the progress bar
BROADCAST_MIN = 256  # below this many points of whole trailing axes, chunks fix the leading ones


# --- chunks of the grid --------------------------------------------------------------------------


@dataclass
class Chunk:
    start: int
    stop: int
    shape: tuple[int, ...]  # broadcast shape; its row-major order is the points start:stop
    index: list[np.ndarray]  # per axis: value indices, shaped to broadcast to `shape`


@dataclass(frozen=True)
class Layout:
    """How a grid is cut: the trailing axes [split:] are whole in every chunk.

    "runs": each chunk is a run of consecutive values of the flattened leading axes [:split]
    (broadcast against the whole trailing axes). "pieces" (when the trailing axes are few
    points): the axes before `split - 1` take one value per chunk, axis `split - 1` a piece of
    `piece` consecutive values, so the closed form's terms in the leading axes are evaluated
    once per chunk, not once per point.
    """

    lengths: tuple[int, ...]
    split: int
    kind: str  # "runs" or "pieces"
    run: int  # values per chunk of the flattened leading axes, or of axis split - 1
    count: int  # chunks

    @property
    def points(self) -> int:
        return math.prod(self.lengths)


def chunk_layout(lengths: Sequence[int], size: int = CHUNK, broadcast: bool = True) -> Layout:
    """Cut the row-major product of `lengths` into chunks of at most `size` points (at least
    one point each). `broadcast=False` gives every axis one value per point (the layout of a
    plain list of points; for benchmarks)."""
    lengths = tuple(int(n) for n in lengths)
    k = len(lengths)
    split, inner = k, 1
    while broadcast and split > 0 and inner * lengths[split - 1] <= size:
        split -= 1
        inner *= lengths[split]
    if broadcast and split > 0 and inner < BROADCAST_MIN:
        axis = lengths[split - 1]
        pieces = math.ceil(axis / max(1, size // inner))
        piece = math.ceil(axis / pieces)  # balanced: no small last piece
        return Layout(lengths, split, "pieces", piece,
                      math.prod(lengths[:split - 1]) * math.ceil(axis / piece))
    outer = math.prod(lengths[:split])
    run = max(1, size // inner)
    return Layout(lengths, split, "runs", run, math.ceil(outer / run) if outer else 0)


def chunk_at(layout: Layout, i: int) -> Chunk:
    """The i-th chunk of `layout` (0 <= i < layout.count)."""
    lengths, split, k = layout.lengths, layout.split, len(layout.lengths)
    inner = math.prod(lengths[split:])
    index: list[np.ndarray] = []
    if layout.kind == "pieces":
        a = split - 1
        per = math.ceil(lengths[a] / layout.run)
        prefix, piece = divmod(i, per)
        lo = piece * layout.run
        hi = min(lengths[a], lo + layout.run)
        fixed = np.unravel_index(prefix, lengths[:a]) if a else ()
        shape = (hi - lo, *lengths[split:])
        ones = (1,) * len(shape)
        index = [np.full(ones, int(v), np.int64) for v in fixed]
        index.append(np.arange(lo, hi).reshape((hi - lo,) + (1,) * (k - split)))
        start = (prefix * lengths[a] + lo) * inner
    else:
        outer_shape = lengths[:split]
        first = i * layout.run
        last = min(math.prod(outer_shape), first + layout.run)
        m = last - first
        idx = np.unravel_index(np.arange(first, last), outer_shape) if outer_shape else ()
        shape = (m, *lengths[split:])
        index = [idx[axis].reshape((m,) + (1,) * (k - split)) for axis in range(split)]
        start = first * inner
    for axis in range(split, k):
        view = [1] * len(shape)
        view[len(shape) - (k - axis)] = lengths[axis]
        index.append(np.arange(lengths[axis]).reshape(view))
    return Chunk(start, start + math.prod(shape), shape, index)


def chunks(lengths: Sequence[int], size: int = CHUNK, broadcast: bool = True) -> Iterator[Chunk]:
    """The chunks of the row-major product of `lengths`, in order (see `chunk_layout`)."""
    layout = chunk_layout(lengths, size, broadcast)
    for i in range(layout.count):
        yield chunk_at(layout, i)


# --- blocks: points and what is known about them -------------------------------------------------


@dataclass
class Block:
    """Some points of a sweep: number (row-major), reason code, --where result, exact metrics.

    `nums[m]` is 0 where the point is invalid; `dens[m]` is None where every value is whole.
    `pareto` is set where the rows are rendered (membership of the sweep's front).
    """

    index: np.ndarray  # int64 point numbers
    reason: np.ndarray  # int32 codes into the sweep's reasons; 0 = valid
    kept: np.ndarray  # bool: passes --where
    nums: dict[str, np.ndarray]  # madds, params, mem_read, mem_write
    dens: dict[str, np.ndarray | None]
    pareto: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.index)

    @property
    def valid(self) -> np.ndarray:
        return self.reason == 0

    def take(self, select: Any) -> Block:
        return Block(self.index[select], self.reason[select], self.kept[select],
                     {m: v[select] for m, v in self.nums.items()},
                     {m: None if d is None else d[select] for m, d in self.dens.items()},
                     None if self.pareto is None else self.pareto[select])

    @staticmethod
    def concat(blocks: Sequence[Block]) -> Block:
        def cat(arrays: list[np.ndarray]) -> np.ndarray:
            if any(a.dtype == object for a in arrays):
                arrays = [a.astype(object) for a in arrays]
            return np.concatenate(arrays)

        first = blocks[0]
        dens = {}
        for m in first.nums:
            if all(b.dens[m] is None for b in blocks):
                dens[m] = None
            else:
                dens[m] = cat([np.ones(len(b), np.int64) if b.dens[m] is None else b.dens[m]
                               for b in blocks])
        pareto = (None if any(b.pareto is None for b in blocks)
                  else np.concatenate([b.pareto for b in blocks]))
        return Block(np.concatenate([b.index for b in blocks]),
                     np.concatenate([b.reason for b in blocks]),
                     np.concatenate([b.kept for b in blocks]),
                     {m: cat([b.nums[m] for b in blocks]) for m in first.nums}, dens, pareto)

    def exact(self, metric: str) -> tuple[np.ndarray, np.ndarray | int]:
        """(num, den) of a metric (mem included); den is 1 unless some value is fractional."""
        if metric == "mem":
            v = add_vals(Val(*self.exact("mem_read")), Val(*self.exact("mem_write")))
            return np.asarray(v.num), v.den
        den = self.dens.get(metric)
        return self.nums[metric], 1 if den is None else den

    def number(self, metric: str) -> np.ndarray:
        """A metric as int64 (or float64 if fractional anywhere, or object if past int64)."""
        num, den = self.exact(metric)
        return num if isinstance(den, int) else num / den

    def exact_values(self, metric: str) -> np.ndarray:
        """A metric as int64, or as exact Python numbers (object) past int64 or fractional."""
        num, den = self.exact(metric)
        if isinstance(den, int):
            return num
        return np.array([Fraction(int(a), int(b)) for a, b in
                         zip(num.tolist(), np.broadcast_to(den, num.shape).tolist(),
                             strict=True)], dtype=object)

    def intensity(self) -> np.ndarray:
        """madds / mem per point as float64 (NaN where invalid)."""
        madds, mem = self.number("madds"), self.number("mem")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(madds, dtype=np.float64) / np.asarray(mem, dtype=np.float64)
        return np.where(self.valid, out, np.nan)

    def latency(self) -> np.ndarray:
        """Predicted latency in seconds per point as float64 (NaN where invalid); only where the
        sweep has a device profile (`"latency" in nums`)."""
        num, den = self.exact("latency")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(num, dtype=np.float64) / np.asarray(den, dtype=np.float64)
        return np.where(self.valid, out, np.nan)


def columns(block: Block, grid: dict[str, tuple], reasons: Sequence[str],
            lookup: Callable[[tuple], np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The rows of `block`: binding values, madds, params, mem, intensity, valid, reason, pareto,
    and latency where the sweep has a device profile.

    Bindings are `lookup(grid[name])` indexed per point (default: the exact values as Python
    objects); metrics are `Block.number` arrays with 0 where invalid (`valid` says where);
    intensity and latency (seconds) are float64 (NaN where invalid); reason is the text. The one
    place rows are built: tables, CSV, JSON, Parquet and `Sweep.frame` all render these columns.
    """
    lookup = lookup or (lambda values: np.array(values, dtype=object))
    shape = tuple(len(v) for v in grid.values())
    positions = np.unravel_index(block.index, shape)
    out: dict[str, np.ndarray] = {name: lookup(values)[pos] for (name, values), pos in
                                  zip(grid.items(), positions, strict=True)}
    valid = block.valid
    for metric in ("madds", "params", "mem", "peak_mem"):  # writers.INT_COLUMNS
        out[metric] = block.number(metric)
    out["intensity"] = block.intensity()
    out["valid"] = valid
    out["reason"] = np.array(reasons, dtype=object)[block.reason]
    out["pareto"] = (np.zeros(len(block), bool) if block.pareto is None else block.pareto)
    if "latency" in block.nums:
        out["latency"] = block.latency()
    return out


# --- the plan of a sweep, and its evaluation -----------------------------------------------------


@dataclass
class Plan:
    """What a worker needs to evaluate any chunk of a sweep (pickles small; see the module doc)."""

    symbols: dict[str, Any]  # swept name -> walk symbol
    definitions: dict[Any, Any]
    totals: dict[str, Any]
    checks: list[tuple[int, Any]]  # (reason code, sympy condition), in the walk's order
    tables: dict[str, Any]  # name -> Piecewise, for the tables checked per point
    table_codes: list[tuple[int, str]]  # (reason code, table name) checked per point
    axes: list[Axis]
    where: Filter | None
    layout: Layout
    grid: dict[str, tuple]  # name -> values (for rendering rows where they are evaluated)
    reasons: list[str]  # reason texts by code
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def resized(self, size: int, broadcast: bool = True) -> Plan:
        return replace(self, layout=chunk_layout(self.layout.lengths, size, broadcast),
                       token=uuid.uuid4().hex)


class Evaluator:
    """A plan compiled for numpy, in the process that evaluates its chunks."""

    def __init__(self, plan: Plan, compiled: Any = None) -> None:
        """`compiled`: the plan's `ClosedForm.compiled(...)`, where it is already at hand."""
        self.plan = plan
        if compiled is None:
            variables = {plan.symbols[a.name]: a.den for a in plan.axes}
            compiler = Compiler(variables, plan.definitions)
            self.metrics = {m: compiler.number(v) for m, v in plan.totals.items()}
            tables = {name: compiler.number(pw) for name, pw in plan.tables.items()}
            conditions = [compiler.condition(c) for _, c in plan.checks]
        else:
            self.metrics = compiled.metrics
            tables = dict(compiled.tables)
            conditions = [node for _, node in compiled.checks]
        self.checks: list[tuple[int, Node | bool]] = [
            *((code, Matched(tables[name])) for code, name in plan.table_codes),
            *((code, node) for (code, _), node in zip(plan.checks, conditions, strict=True))]
        self.order = [*((a.codes, i) for i, a in sorted(enumerate(plan.axes),
                                                         key=lambda p: p[1].order)),
                      *((a.table_codes, i) for i, a in enumerate(plan.axes))]

    def block(self, i: int) -> Block:
        """Evaluate chunk i."""
        plan = self.plan
        chunk = chunk_at(plan.layout, i)
        index = chunk.index
        ctx = Context({plan.symbols[a.name]: Val(a.num[j], a.den)
                       for a, j in zip(plan.axes, index, strict=True)})
        with np.errstate(divide="ignore", invalid="ignore"):
            # reasons: the first broken check wins, in cost.engine.profile's order: the
            # bindings (as the spec declares them), then tables, then the constraints of the
            # walk; applied last-first
            r = np.zeros(chunk.shape, np.int32)
            for code, node in reversed(self.checks):
                fail = np.logical_not(node if isinstance(node, bool) else node.evaluate(ctx))
                if np.any(fail):
                    r = np.where(fail, code, r)
            for codes, axis in reversed(self.order):
                if codes.any():
                    here = codes[index[axis]]
                    r = np.where(here != 0, here, r)
            r = np.broadcast_to(r, chunk.shape)
            valid = r == 0
            values = {}
            nums, dens = {}, {}
            for metric, node in self.metrics.items():
                num, den = _whole(node.evaluate(ctx), valid)
                values[metric] = Val(num, 1 if den is None else den)
                nums[metric] = _flat(np.where(valid, num, 0), chunk.shape)
                dens[metric] = None if den is None else _flat(np.where(valid, den, 1),
                                                              chunk.shape)
            kept = (np.ones(chunk.shape, bool) if plan.where is None
                    else plan.where.evaluate(values, plan.axes, chunk, valid))
        return Block(np.arange(chunk.start, chunk.stop, dtype=np.int64),
                     _flat(r, chunk.shape).astype(np.int32), _flat(kept, chunk.shape), nums, dens)


def _flat(a: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(a, shape).reshape(-1)


def _whole(v: Val, valid: np.ndarray) -> tuple[Any, Any]:
    """Integer values (num, None) where every valid point is whole; else reduced (num, den)."""
    if isinstance(v.den, (int, np.integer)) and int(v.den) == 1:
        return v.num, None
    d = int(v.den) if isinstance(v.den, (int, np.integer)) else 0
    num = np.asarray(v.num)
    if d > 0 and not d & (d - 1) and num.dtype == np.int64:  # a power of 2: bits, no division
        shift = d.bit_length() - 1
        if not np.any((num & (d - 1) != 0) & valid):
            return num >> shift, None
    else:
        whole = np.asarray(v.num % v.den == 0)
        if not np.any(~whole & valid):
            return v.num // v.den, None
    r = reduce(Val(np.asarray(v.num), v.den))
    return r.num, r.den


_EVALUATORS: dict[str, Evaluator] = {}  # per process: plans compiled here, by token


def evaluator(plan: Plan, compiled: Any = None) -> Evaluator:
    """The compiled plan, built once per process (a process keeps the last few; a forked
    worker inherits its parent's)."""
    found = _EVALUATORS.get(plan.token)
    if found is None:
        while len(_EVALUATORS) >= 4:
            _EVALUATORS.pop(next(iter(_EVALUATORS)))
        found = _EVALUATORS[plan.token] = Evaluator(plan, compiled)
    return found
