"""Reductions over the chunks of a sweep: every consumer of a sweep is one, so memory is bounded.

Each chunk is evaluated to a `Block` and reduced where it was evaluated (`task`) to something
small; the parent merges the parts in chunk order:

* `Summary`: counts (points, valid, kept by --where, per invalid reason), the range of madds,
  params and mem (and of the predicted latency, with a device profile) over the kept valid
  points, and whether each metric stays in int64;
* `Goal.front`: the Pareto front of the kept valid points for the sweep's objectives
  (`cost.design.pareto`: metrics or swept names, each minimised or maximised; default
  madds:min,params:max); the front of a union is the front of the parts' fronts, so chunk
  fronts merge exactly;
* `top_of`: the k kept valid points least (or greatest) by one metric, ties in point order;
* rows for the writers (`cost.design.writers.csv_rows`, `arrow_table`), marked with the final
  front by `mark_front`.

Every comparison is exact (integers, or Python numbers past int64), so the reduction of any
chunking equals the reduction of one chunk holding every point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

from cost.design.chunks import Block, Plan, evaluator
from cost.design.pareto import Objective, pareto_front, parse_objectives
from cost.errors import OptionError
from cost.measures import METRICS

SHOWN_METRICS = ("madds", "params", "mem", "peak_mem")  # the summary's ranges and the rows' metrics
RANK_METRICS = ("madds", "flops", "params", "mem_read", "mem_write", "mem", "peak_mem",
                "intensity", "latency")
# what a front can minimise or maximise, besides the swept names (peak_mem where the sweep has it)
OBJECTIVE_METRICS = tuple(dict.fromkeys((*RANK_METRICS, *METRICS)))
DEVICE_METRICS = ("latency",)  # only where the sweep has a device profile (totals["latency"])
NEEDS_DEVICE = "add --device device.yaml (written by cost calibrate)"


def check_device(name: str, metrics: Any, option: str) -> None:
    """A metric that needs a device profile, asked of a sweep without one: an error."""
    if name in DEVICE_METRICS and name not in metrics:
        raise OptionError(f"{option}: {name} needs a device profile", hint=NEEDS_DEVICE)


@dataclass
class Summary:
    """Counts and ranges of a sweep, merged chunk by chunk."""

    points: int = 0
    valid: int = 0
    kept: int = 0
    reasons: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    ranges: dict[str, tuple[Any, Any] | None] = field(
        default_factory=lambda: dict.fromkeys(SHOWN_METRICS))
    kinds: dict[str, str] = field(  # "int" (int64), "big" (past int64) or "fraction"
        default_factory=lambda: dict.fromkeys(SHOWN_METRICS, "int"))

    @staticmethod
    def of(block: Block) -> Summary:
        valid = block.valid
        ok = valid & block.kept
        s = Summary(len(block), int(valid.sum()), int(block.kept.sum()),
                    np.bincount(block.reason).astype(np.int64))
        block = block.take(ok)  # dtypes stay: object where some value passed int64
        for metric in SHOWN_METRICS:
            num, den = block.exact(metric)
            if not isinstance(den, int) and np.any(np.asarray(den) != 1):
                s.kinds[metric] = "fraction"
            elif num.dtype == object:
                s.kinds[metric] = "big"
            v = block.number(metric)
            s.ranges[metric] = (_plain(v.min()), _plain(v.max())) if v.size else None
        if "latency" in block.nums:  # seconds, as floats (rounding keeps the order)
            v = block.latency()
            s.ranges["latency"] = (float(v.min()), float(v.max())) if v.size else None
        return s

    def merge(self, other: Summary) -> Summary:
        size = max(len(self.reasons), len(other.reasons))
        reasons = np.zeros(size, np.int64)
        reasons[:len(self.reasons)] += self.reasons
        reasons[:len(other.reasons)] += other.reasons
        ranges: dict[str, tuple[Any, Any] | None] = {}
        for m in dict.fromkeys((*self.ranges, *other.ranges)):
            a, b = self.ranges.get(m), other.ranges.get(m)
            ranges[m] = a if b is None else b if a is None else (min(a[0], b[0]),
                                                                  max(a[1], b[1]))
        rank = ("int", "big", "fraction")
        kinds = {m: max(self.kinds[m], other.kinds[m], key=rank.index) for m in SHOWN_METRICS}
        return Summary(self.points + other.points, self.valid + other.valid,
                       self.kept + other.kept, reasons, ranges, kinds)

    def as_dict(self, reasons: list[str], pareto: int) -> dict[str, Any]:
        counts = np.zeros(len(reasons), np.int64)
        counts[:len(self.reasons)] = self.reasons
        return {
            "points": self.points, "valid": self.valid, "kept": self.kept, "pareto": pareto,
            "invalid_reasons": {reasons[i]: int(counts[i])
                                for i in np.argsort(-counts, kind="stable") if i and counts[i]},
            **self.ranges,
        }


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class Goal:
    """The objectives of a sweep's front, resolved against its grid (swept names as values)."""

    objectives: tuple[Objective, ...]
    grid: dict[str, tuple]

    @staticmethod
    def of(objectives: str | Sequence[Objective] | None, grid: dict[str, tuple],
           metrics: Any = ()) -> Goal:
        """Objectives as `--pareto` gives them (None: the default), checked against the
        metrics and the swept names; latency only where `metrics` (the closed form's totals)
        has it."""
        parsed = parse_objectives(objectives, objective_names(grid))
        for o in parsed:
            if o.name not in grid:
                check_device(o.name, metrics, f"--pareto {str(o)!r}")
        return Goal(parsed, grid)

    def __str__(self) -> str:
        return ",".join(map(str, self.objectives))

    def columns(self, block: Block) -> list[Any]:
        return [objective_values(block, o.name, self.grid) for o in self.objectives]

    def front(self, block: Block) -> Block:
        """The points of `block` on its Pareto front, among the valid points kept by --where."""
        candidates = block.take(block.valid & block.kept)
        if not len(candidates):
            return candidates
        return candidates.take(pareto_front(self.columns(candidates),
                                            [o.direction for o in self.objectives]))

    def merge(self, a: Block | None, b: Block) -> Block:
        return b if a is None else self.front(Block.concat([a, b]))


def objective_names(grid: dict[str, tuple]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*OBJECTIVE_METRICS, *grid)))


def objective_values(block: Block, name: str, grid: dict[str, tuple]) -> Any:
    """Exact values of a metric or swept name per point of `block`: an array, or (num, den)."""
    if name == "flops":  # 2 x madds: the same order
        name = "madds"
    if name == "intensity":
        (n1, d1), (n2, d2) = block.exact("madds"), block.exact("mem")
        if isinstance(d1, int) and isinstance(d2, int) and d1 == d2 == 1:
            return n1, np.asarray(n2)
        n1, n2 = np.asarray(n1, dtype=object), np.asarray(n2, dtype=object)
        return n1 * d2, n2 * d1
    if name == "mem" or name in block.nums:
        return block.exact(name)
    names = list(grid)
    positions = np.unravel_index(block.index, tuple(len(v) for v in grid.values()))
    num, den = _value_table(grid[name])
    return num[positions[names.index(name)]], den


@lru_cache(maxsize=8)
def _value_table(values: tuple) -> tuple[np.ndarray, int]:
    """Grid values as integer numerators over one denominator."""
    den = math.lcm(*(Fraction(v).denominator for v in values)) if values else 1
    nums = [int(Fraction(v) * den) for v in values]
    try:
        return np.array(nums, np.int64), den
    except OverflowError:
        return np.array(nums, dtype=object), den


def mark_front(block: Block, front: Block) -> np.ndarray:
    """True for the rows of `block` on the sweep's front (the front holds every point no
    other point dominates, ties included, so membership is by point number)."""
    return np.isin(block.index, front.index) & block.valid & block.kept


def rank_key(block: Block, by: str) -> np.ndarray:
    """The values that order points by `by` (exact; intensity as its float value)."""
    if by == "intensity":
        return block.intensity()
    return block.exact_values("madds" if by == "flops" else by)


def top_of(block: Block, k: int, by: str, descending: bool = False) -> Block:
    """The k kept valid points of `block` least (greatest) by `by`, ties in point order."""
    candidates = block.take(block.valid & block.kept)
    if not len(candidates):
        return candidates
    key = rank_key(candidates, by)
    if key.dtype == object:
        sign = -1 if descending else 1
        order = np.array(sorted(range(len(key)),
                                key=lambda j: (sign * key[j], candidates.index[j])), np.int64)
    else:
        order = np.lexsort((candidates.index, -key if descending else key))
    return candidates.take(order[:k])


def merge_tops(a: Block | None, b: Block, k: int, by: str, descending: bool) -> Block:
    return b if a is None else top_of(Block.concat([a, b]), k, by, descending)


@dataclass
class Part:
    """What one chunk reduces to."""

    summary: Summary
    front: Block | None
    top: Block | None

    def merge(self, other: Part, top: tuple[int, str, bool] | None, goal: Goal) -> Part:
        """The reduction of both parts' chunks (`top`: (k, by, descending) or None)."""
        return Part(self.summary.merge(other.summary),
                    None if other.front is None else goal.merge(self.front, other.front),
                    None if other.top is None or top is None
                    else merge_tops(self.top, other.top, *top))


def task(plan: Plan, kind: str, i: int | range, arg: Any) -> tuple[int, Any]:
    """Evaluate chunk i of `plan` and reduce it: (points evaluated, result).

    kind "block": the whole Block; "reduce": a Part (i may be a range of chunks, reduced here
    one after the other; arg: (objectives of the front or None, top (k, by, descending) or
    None)); "csv" /
    "parquet": the kept rows rendered, marked with the front (arg: (front Block, Parquet
    metric kinds)).
    """
    if kind == "reduce":
        objectives, top = arg
        goal = None if objectives is None else Goal(objectives, plan.grid)
        n, part = 0, None
        for j in (i if isinstance(i, range) else (i,)):
            block = evaluator(plan).block(j)
            n += len(block)
            here = Part(Summary.of(block), None if goal is None else goal.front(block),
                        top_of(block, *top) if top else None)
            part = here if part is None else part.merge(here, top, goal)
        return n, part
    block = evaluator(plan).block(i)
    n = len(block)
    if kind == "block":
        return n, block
    front, kinds = arg
    rows = block.take(block.kept)
    rows.pareto = mark_front(rows, front)
    from cost.design import writers

    if kind == "csv":
        return n, writers.csv_rows(rows, plan.grid, plan.reasons)
    if kind == "parquet":
        return n, writers.arrow_table(rows, plan.grid, plan.reasons, kinds)
    raise ValueError(f"unknown task kind {kind!r}")
