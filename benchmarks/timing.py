"""The median of repeated wall-clock timings, shared by the benchmark scripts (run as
`python benchmarks/NAME.py`, which puts this folder on the import path)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeat: int = 5, *, warmup: bool = False) -> float:
    """Median seconds of `repeat` calls of `fn`; with `warmup`, one untimed call first
    (imports, caches)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
