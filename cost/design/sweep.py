"""Design-space sweeps: one symbolic walk, then every grid point from the closed forms.

`cost sweep SPEC --grid g=1,2,3,4,8 --grid s=0.25:2:0.25` walks the spec once with the swept
names kept free (`cost.design.closed_form`), compiles the totals (madds, params, mem_read,
mem_write) and every pending constraint with `cost.design.vectorize` (exact integers, numpy), and
evaluates the Cartesian product of the grids (`cost.design.grid`) in chunks of bounded size
(`cost.design.chunks`), as numpy broadcasts (a constraint on g and s alone is evaluated once per
(g, s), not once per point), in this process, on local cores or on a Dask cluster
(`cost.design.execute`).

Two ways to consume the chunks:

* `sweep(...)` keeps every point in memory (a `Sweep`: per-point arrays, a pandas frame, the
  HTML report); at most `MAX_POINTS` points;
* `stream(...)` reduces the chunks as they come (`cost.design.reduce`): summary, Pareto front,
  top k, and rows appended to a CSV or Parquet file written under a temporary name and renamed
  at the end. Memory does not depend on the number of points.

Conventions:

* A point is valid when its values fit the symbols (positive; whole for int symbols; a multiple
  for `multiple_of`), every table it selects a row of has that row, and every constraint of the
  walk holds (channels whole, groups dividing channels, sizes >= 1). An invalid point keeps its
  row with `reason`, the first check it breaks, and no metrics: nothing is computed with
  fractional channels.
* Metrics are exact integers (`madds`, `params`, `mem` = mem_read + mem_write, elements);
  `intensity` = madds / mem is rendered as a float.
* `--where` keeps the points where an allow-listed condition (`cost.design.where`) holds, e.g.
  `madds <= 150e6 and g >= 3`; it is evaluated exactly.
* `pareto` marks the points of the Pareto front of the sweep's objectives among the valid points
  that pass --where (ties are all on the front; `cost.design.pareto`). Objectives are metrics
  or swept names, each minimised or maximised: `objectives="madds:min,params:max"` (the
  default: for each budget of multiply-adds, the configuration with the most parameters).
* `latency` (seconds, with a device profile: `sweep(..., device=...)`, `cost sweep --device`) is
  the predicted latency of `cost.latency.predict` as one more closed form (a sum of per-kernel
  `Max` terms over 10**18), evaluated exactly like the others and rendered as a float: a column,
  a --where name, an objective of the front (`latency:min`) and a --by metric.

>>> s = sweep(cost.load("specs/shufflenet_v1.yaml"), {"g": (3, 8)})  # doctest: +SKIP
>>> s.metrics["madds"].tolist()  # doctest: +SKIP
[137460672, 138365952]
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from cost.design.chunks import CHUNK, Block, Chunk, Plan, chunk_layout, chunks, columns, evaluator
from cost.design.closed_form import Check, ClosedForm, Compiled, closed_form
from cost.design.execute import backend
from cost.design.grid import (
    MAX_AXIS,
    MAX_POINTS,
    MAX_STREAM_POINTS,
    Axis,
    Num,
    SweepError,
    check_grid,
    code,
    make_axes,
    parse_grid,
    parse_values,
    table_checks,
)
from cost.design.pareto import DEFAULT_OBJECTIVES, Objective, pareto_front
from cost.design.reduce import (
    DEVICE_METRICS,
    RANK_METRICS,
    SHOWN_METRICS,
    Goal,
    Summary,
    check_device,
    mark_front,
    top_of,
)
from cost.design.where import WHERE_NAMES, Filter
from cost.design.writers import csv_header

__all__ = ["CHUNK", "DEFAULT_OBJECTIVES", "MAX_AXIS", "MAX_POINTS", "MAX_STREAM_POINTS",
           "PROGRESS_MIN", "WHERE_NAMES", "Axis", "Block", "Check", "Chunk", "ClosedForm",
           "Compiled", "Filter", "Goal", "Num", "Objective", "Reduced", "Sweep", "SweepError",
           "chunk_layout", "chunks", "closed_form", "columns", "pareto_front", "pareto_mask",
           "parse_grid", "parse_values", "stream", "sweep"]

PROGRESS_MIN = 4 * CHUNK  # smaller sweeps finish before a bar would help


# --- setting a sweep up --------------------------------------------------------------------------


def _plan(spec: Any, grid: dict[str, Sequence[Any]], where: str | None, form: ClosedForm | None,
          size: int, broadcast: bool, device: Any = None,
          ) -> tuple[dict[str, tuple[Num, ...]], ClosedForm, Plan, dict[str, float]]:
    grid = check_grid(grid, MAX_STREAM_POINTS)  # sweep() holds at most MAX_POINTS of them
    if form is None:
        form = closed_form(spec, tuple(grid), device)
    if tuple(grid) != form.names:
        raise SweepError("the grid names differ from the closed form's: "
                         f"{', '.join(grid)} vs {', '.join(form.names)}")
    if size < 1:
        raise SweepError(f"chunk size {size}: give 1 or more")
    seconds = {"walk": form.seconds}
    reasons = [""]
    axes = make_axes(form, grid, reasons)
    compiled = form.compiled({a.name: a.den for a in axes})
    seconds["compile"] = compiled.seconds
    per_point = table_checks(form, compiled, axes, reasons)
    checks = [(code(reasons, c.message), c.condition) for c in form.checks]
    flt = Filter(where, form, axes) if where else None
    used = {name for _, name in per_point}
    plan = Plan(form.symbols, form.definitions, form.totals, checks,
                {name: pw for name, pw in form.tables if name in used}, per_point, axes, flt,
                chunk_layout([len(a.values) for a in axes], size, broadcast), grid, reasons)
    evaluator(plan, compiled)  # this process evaluates with the nodes compiled above
    return grid, form, plan, seconds


def _progress(n: int, progress: bool | None, total: int | None = None) -> Any:
    """A tqdm bar on stderr for sweeps of `n` points (`total`: points x passes), shown once the
    sweep has run for a second; None: only on a terminal; False: never."""
    if progress is False or n < PROGRESS_MIN:
        return None
    from tqdm import tqdm

    return tqdm(total=total or n, unit="pt", unit_scale=True, disable=None, desc="sweep",
                leave=False, delay=1.0)


class _Bar:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, n: int, desc: str | None = None) -> None:
        if self.bar is not None:
            if desc and self.bar.desc != desc:
                self.bar.set_description_str(desc, refresh=False)
            self.bar.update(n)


# --- a sweep held in memory ----------------------------------------------------------------------


@dataclass
class Sweep:
    """Results per point (row-major over `grid`): exact metrics, validity, filter, Pareto front."""

    form: ClosedForm
    grid: dict[str, tuple[Num, ...]]
    metrics: dict[str, np.ndarray]  # madds, params, mem_read, mem_write (latency); 0: invalid
    dens: dict[str, np.ndarray | None]  # denominators where a metric is not whole (rare)
    reason: np.ndarray  # int32 code into `reasons`; 0 = valid
    reasons: list[str]
    kept: np.ndarray  # passes --where
    pareto: np.ndarray
    where: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    goal: Goal | None = None  # the front's objectives

    @property
    def size(self) -> int:
        return len(self.reason)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values())

    @property
    def valid(self) -> np.ndarray:
        return self.reason == 0

    def block(self, select: Any = None) -> Block:
        """The points (all, or `select`: a mask or indices) as a `Block`, Pareto flags set."""
        if getattr(self, "_index", None) is None or len(self._index) != self.size:
            self._index = np.arange(self.size, dtype=np.int64)  # once, not per metric asked
        whole = Block(self._index, self.reason, self.kept, self.metrics, self.dens, self.pareto)
        return whole if select is None else whole.take(select)

    def rows(self, which: str = "kept") -> Block:
        """The rows a table or file shows: the points passing --where ("kept") or "all"."""
        return self.block(self.kept if which == "kept" else None)

    def exact(self, metric: str) -> tuple[np.ndarray, np.ndarray | int]:
        """(num, den) of a metric (mem included); den is 1 unless some value is fractional."""
        return self.block().exact(metric)

    def number(self, metric: str) -> np.ndarray:
        """A metric as int64 (or float64 if fractional anywhere, or object if past int64)."""
        return self.block().number(metric)

    def intensity(self) -> np.ndarray:
        """madds / mem per point as float64 (NaN where invalid)."""
        return self.block().intensity()

    def latency(self) -> np.ndarray:
        """Predicted latency in seconds per point as float64 (NaN where invalid; needs a
        device: `sweep(..., device=...)`)."""
        if "latency" not in self.metrics:
            raise SweepError("no latency in this sweep", hint="give a device profile: --device")
        return self.block().latency()

    def indices(self, name: str) -> np.ndarray:
        """Per point: the index of its value of `name` in grid[name]."""
        axis = list(self.grid).index(name)
        shape = self.shape
        stride = math.prod(shape[axis + 1:])
        return (np.arange(self.size) // stride) % shape[axis]

    def values(self, name: str) -> np.ndarray:
        """Per point: its value of `name` (int64 if all values are whole, else float64)."""
        return value_table(self.grid[name])[self.indices(name)]

    def reason_text(self) -> np.ndarray:
        return np.array(self.reasons, dtype=object)[self.reason]

    def frame(self, rows: str = "kept"):  # -> pandas.DataFrame (pandas imported late)
        """One row per point ("kept": passing --where; "all"): bindings, madds, params, mem,
        intensity, valid, reason, pareto (and latency in seconds, with a device profile).
        Metrics are nullable integers (<NA> where invalid)."""
        return frame(self.rows(rows), self.grid, self.reasons)

    def summary(self) -> dict[str, Any]:
        return Summary.of(self.block()).as_dict(self.reasons, int(self.pareto.sum()))


def value_table(values: tuple[Num, ...]) -> np.ndarray:
    """Grid values as int64 if all are whole, else float64."""
    whole = all(isinstance(v, int) for v in values)
    return np.array([v if whole else float(v) for v in values],
                    dtype=np.int64 if whole else np.float64)


def frame(block: Block, grid: dict[str, tuple], reasons: Sequence[str]):  # -> DataFrame
    """`columns` of a block as a pandas DataFrame (nullable integer metrics)."""
    import pandas as pd

    cols = columns(block, grid, reasons, lookup=value_table)
    valid = cols["valid"]
    data: dict[str, Any] = {name: cols[name] for name in grid}
    for metric in SHOWN_METRICS:
        v = cols[metric]
        if v.dtype == np.int64:
            data[metric] = pd.array(np.where(valid, v, 0), dtype="Int64")
            data[metric][~valid] = pd.NA
        else:
            data[metric] = pd.Series(v, dtype=object if v.dtype == object else np.float64
                                     ).where(valid)
    for name in ("intensity", "valid", "reason", "pareto", *DEVICE_METRICS):
        if name in cols:
            data[name] = cols[name]
    return pd.DataFrame(data)


def sweep(spec: Any, grid: dict[str, Sequence[Any]], *, where: str | None = None,
          progress: bool | None = False, form: ClosedForm | None = None,
          broadcast: bool = True, chunk: int = CHUNK, workers: int | None = 1,
          scheduler: Any = None, objectives: str | Sequence[Objective] | None = None,
          device: Any = None) -> Sweep:
    """Evaluate `spec` at every point of the grid and keep every point (see the module doc).

    `progress`: None shows a tqdm bar on a terminal for large sweeps, False never.
    `form`: a closed form built before (`closed_form(spec, names)`), to reuse its walk.
    `broadcast`: evaluate the grid as an outer product (False: one value per point; the same
    results, slower; for benchmarks). `chunk`: points per chunk. `workers`: processes (None:
    every core); `scheduler`: a Dask scheduler address (or Client/LocalCluster address).
    `objectives`: the front's, e.g. "madds:min,params:max" (None: that default).
    `device`: a `cost.latency.Device`; adds the predicted `latency` (seconds) to the metrics.
    """
    _early_goal(objectives, grid, device or form)
    grid, form, plan, seconds = _plan(spec, grid, where, form, chunk, broadcast, device)
    goal = Goal.of(objectives, grid, form.totals)
    n = plan.layout.points
    if n > MAX_POINTS:
        raise SweepError(f"the grid has {n:,} points; the limit is {MAX_POINTS:,}",
                         hint="stream it: cost.design.sweep.stream")
    start = time.perf_counter()
    reason = np.zeros(n, np.int32)
    kept = np.ones(n, bool)
    names = tuple(plan.totals)  # METRICS, and latency with a device profile
    metrics: dict[str, np.ndarray] = {m: np.zeros(n, np.int64) for m in names}
    dens: dict[str, np.ndarray | None] = dict.fromkeys(names)
    with backend(plan, workers, scheduler) as run, _Bar(_progress(n, progress)) as bar:
        for points, block in run.map("block", range(plan.layout.count)):
            at = slice(int(block.index[0]), int(block.index[-1]) + 1)
            reason[at] = block.reason
            kept[at] = block.kept
            for m in names:
                if block.nums[m].dtype == object and metrics[m].dtype != object:
                    metrics[m] = metrics[m].astype(object)
                metrics[m][at] = block.nums[m]
                if block.dens[m] is not None:
                    if dens[m] is None:
                        dens[m] = np.ones(n, np.int64)
                    dens[m][at] = block.dens[m]
            bar.update(points)
    seconds["evaluate"] = time.perf_counter() - start
    result = Sweep(form, grid, metrics, dens, reason, plan.reasons, kept, np.zeros(n, bool),
                   where, seconds, goal)
    start = time.perf_counter()
    result.pareto = pareto_mask(result, goal)
    seconds["pareto"] = time.perf_counter() - start
    return result


def _early_goal(objectives: Any, grid: Any, device: Any = None) -> None:
    """Check the objectives against the grid's names before the walk (a mistake costs nothing);
    `device`: a device profile, or a closed form (latency is known where it has one)."""
    if isinstance(device, ClosedForm):
        metrics: Any = device.totals
    else:
        metrics = DEVICE_METRICS if device is not None else ()
    Goal.of(objectives, {str(name): () for name in grid} if isinstance(grid, dict) else {},
            metrics)


def pareto_mask(result: Sweep, goal: Goal | None = None) -> np.ndarray:
    """Points on the front of `goal` (default: the sweep's) among the valid points kept."""
    goal = goal or result.goal or Goal.of(None, result.grid)
    candidates = np.flatnonzero(result.valid & result.kept)
    out = np.zeros(result.size, bool)
    if candidates.size:
        block = result.block(candidates)
        out[candidates[pareto_front(goal.columns(block),
                                    [o.direction for o in goal.objectives])]] = True
    return out


# --- a sweep reduced chunk by chunk --------------------------------------------------------------


@dataclass
class Reduced:
    """What a streamed sweep keeps: the summary, the Pareto front and the rows to show."""

    form: ClosedForm
    grid: dict[str, tuple[Num, ...]]
    reasons: list[str]
    totals: Summary
    front: Block  # the front's points, in point order
    shown: Block | None  # the front (pareto=True), the top k, or None (every kept row)
    where: str | None = None
    output: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    goal: Goal | None = None  # the front's objectives

    @property
    def size(self) -> int:
        return self.totals.points

    def summary(self) -> dict[str, Any]:
        return self.totals.as_dict(self.reasons, len(self.front))

    def rows(self, which: str = "kept") -> Block:
        if self.shown is None:
            raise SweepError("this sweep streamed its rows; it keeps the front and the summary")
        return self.shown

    def frame(self):  # -> pandas.DataFrame (pandas imported late)
        return frame(self.rows(), self.grid, self.reasons)


def parse_rank(by: str) -> tuple[str, bool]:
    """`madds` (least first) or `-intensity` (greatest first) -> (metric, descending)."""
    metric = by.strip().lstrip("-").strip()
    if metric not in RANK_METRICS:
        from cost.errors import did_you_mean

        raise SweepError(f"--by {by!r}: unknown metric", hint=did_you_mean(metric, RANK_METRICS))
    return metric, by.strip().startswith("-")


def sort_columns(grid: dict[str, Any], metrics: Any = ()) -> tuple[str, ...]:
    """What --sort orders a sweep's table by: the metrics (latency where `metrics`, the closed
    form's totals, has it) and the swept names."""
    return (*(m for m in RANK_METRICS if m not in DEVICE_METRICS or m in metrics), *grid)


def check_sort(column: str, grid: dict[str, Any], metrics: Any = ()) -> str:
    """`column` if --sort can order by it, else an OptionError naming the known columns."""
    from cost.errors import OptionError, did_you_mean

    known = sort_columns(grid, metrics)
    if column not in known:
        if column in DEVICE_METRICS:
            raise OptionError(f"--sort {column}: {column} needs a device profile",
                              hint="add --device device.yaml (written by cost calibrate)")
        raise OptionError(f"--sort {column!r} is not a column", hint=did_you_mean(column, known))
    return column


def sort_block(block: Block, column: str, grid: dict[str, tuple]) -> Block:
    """The rows of `block` ordered by `column` (a metric or a swept name), largest first; ties
    (and invalid points, last for metrics) keep grid order."""
    if column in grid:
        values = grid[column]
        rank = np.empty(len(values), np.int64)
        rank[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
        shape = tuple(len(v) for v in grid.values())
        positions = np.unravel_index(block.index, shape)
        key: np.ndarray = rank[positions[list(grid).index(column)]]
    elif column in ("intensity", *DEVICE_METRICS):
        key = block.intensity() if column == "intensity" else block.latency()
        key = np.where(np.isnan(key), -np.inf, key)
    else:
        key = block.number("madds" if column == "flops" else column)
        key = np.where(block.valid, key, -1) if key.dtype != object else np.array(
            [v if ok else -1 for v, ok in zip(key.tolist(), block.valid.tolist(), strict=True)],
            dtype=object)
    order = np.argsort(-key, kind="stable")
    return block.take(order)


OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def stream(spec: Any, grid: dict[str, Sequence[Any]], *, where: str | None = None,
           form: ClosedForm | None = None, broadcast: bool = True, chunk: int = CHUNK,
           workers: int | None = 1, scheduler: Any = None, pareto: bool = False,
           top: int | None = None, by: str = "madds", output: str | os.PathLike | None = None,
           out: IO[str] | None = None, progress: bool | None = False,
           objectives: str | Sequence[Objective] | None = None, device: Any = None) -> Reduced:
    """Evaluate `spec` over the grid chunk by chunk and reduce as it goes (see the module doc).

    `objectives`: the front's, e.g. "madds:min,params:max" (None: that default).
    `device`: a `cost.latency.Device`; adds the predicted `latency` (seconds) to the metrics.
    `pareto`: show only the front's points; `top`: only the first `top` points by `by` (a
    metric; `-metric` for greatest first); both: the top of the front. `output`: write the
    rows (every kept point, or those shown) to FILE.csv or FILE.parquet, atomically. `out`:
    stream the rows as CSV to this text stream (e.g. stdout). Every kept row written carries
    its Pareto flag, so writing all rows takes two passes over the grid (the front first).
    """
    kind = None
    if output is not None:
        output = Path(output)
        kind = OUTPUT_FORMATS.get(output.suffix.lower())
        if kind is None:
            raise SweepError(f"--output {output}: write FILE.csv or FILE.parquet")
        if kind == "parquet":
            _need_pyarrow()
    rank = parse_rank(by) if top is not None else None
    if top is not None and top < 1:
        raise SweepError(f"--top {top}: give 1 or more")
    _early_goal(objectives, grid, device or form)
    if rank is not None:
        check_device(rank[0], form.totals if form is not None else
                     DEVICE_METRICS if device is not None else (), f"--by {by!r}")
    grid, form, plan, seconds = _plan(spec, grid, where, form, chunk, broadcast, device)
    goal = Goal.of(objectives, grid, form.totals)
    n, count = plan.layout.points, plan.layout.count
    every_row = (output is not None or out is not None) and not pareto and top is None
    start = time.perf_counter()
    with backend(plan, workers, scheduler) as run, \
            _Bar(_progress(n, progress, n * (2 if every_row else 1))) as bar:
        want_top = (top, *rank) if rank and not pareto else None
        merged = None
        for points, part in run.map("reduce", _groups(count), (goal.objectives, want_top)):
            merged = part if merged is None else merged.merge(part, want_top, goal)
            bar.update(points, "sweep")
        assert merged is not None and merged.front is not None
        totals, best = merged.summary, merged.top
        front = merged.front.take(np.argsort(merged.front.index, kind="stable"))
        shown = front if pareto else best
        if pareto and rank:
            shown = top_of(front, top, *rank)
        if shown is not None:
            shown.pareto = mark_front(shown, front)
        seconds["evaluate"] = time.perf_counter() - start
        if every_row:
            def payloads(fmt: str) -> Any:
                for points, payload in run.map(fmt, range(count), (front, totals.kinds)):
                    bar.update(points, "write")
                    yield payload

            start = time.perf_counter()
            if output is not None:
                _write(output, kind, plan, totals, payloads(kind))
            else:
                out.write(csv_header(grid, plan.totals))
                for text in payloads("csv"):
                    out.write(text)
            seconds["write"] = time.perf_counter() - start
    if not every_row and shown is not None:
        from cost.design.writers import arrow_table, csv_rows

        if output is not None:
            one = (csv_rows(shown, grid, plan.reasons) if kind == "csv"
                   else arrow_table(shown, grid, plan.reasons, totals.kinds))
            _write(output, kind, plan, totals, [one])
        elif out is not None:
            out.write(csv_header(grid, plan.totals) + csv_rows(shown, grid, plan.reasons))
    return Reduced(form, grid, plan.reasons, totals, front, shown, where, output, seconds, goal)


TASK_CHUNKS = 16  # chunks reduced by one task at most (fewer results to send and merge)
MIN_TASKS = 64  # ... but at least this many tasks where there are as many chunks


def _groups(count: int) -> list[range]:
    """Chunks 0..count-1 in runs of consecutive chunks, one task each: up to TASK_CHUNKS, and
    at least MIN_TASKS tasks where there are as many chunks, so every worker stays busy."""
    per = max(1, min(TASK_CHUNKS, count // MIN_TASKS))
    return [range(a, min(count, a + per)) for a in range(0, count, per)]


def _need_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise SweepError("Parquet output needs pyarrow", hint='pip install "cost[parquet]"') \
            from None


def _write(path: Path, kind: str, plan: Plan, totals: Summary, payloads: Any) -> None:
    """Write the payloads to a temporary file beside `path`, then rename it to `path`: an
    interrupted sweep (Ctrl-C, an error) leaves no file, or the previous one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if kind == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(csv_header(plan.grid, plan.totals))
                for text in payloads:
                    f.write(text)
        else:
            import pyarrow.parquet as pq

            from cost.design.writers import arrow_schema

            schema = arrow_schema(plan.grid, totals.kinds, plan.totals)
            with pq.ParquetWriter(tmp, schema) as writer:
                for table in payloads:
                    if table.num_rows:
                        writer.write_table(table)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

