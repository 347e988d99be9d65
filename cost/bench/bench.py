"""Measured latency: warm-up, K timed repeats, median and interquartile range, per-node times.

A repeat times a batch of consecutive runs (as many as fit in `min_time`, at least one) and
records the time per run, so fast networks are not measured at the clock's resolution. The
statistics are over the K repeats: min, q1, median, q3, max (numpy's linear quantiles, so
min <= q1 <= median <= q3 <= max). Timing is a measurement with spread: every result carries
its IQR, the number of repeats and the machine's load average when it was taken.

Per-node times come from onnxruntime's profiler (`SessionOptions.enable_profiling`: the JSON
trace's `*_kernel_time` events, median over the profiled runs), mapped back to the spec's layer
paths through the exported node names (`/layers.<i>/...`); for torch, from `torch.profiler` per
aten op.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cost.bench.runtime import Network
    from cost.engine.profile import Profile

WARMUP = 3
REPEAT = 15
MIN_TIME = 0.01  # seconds per repeat; a repeat is one run if a run takes longer


@dataclass(frozen=True)
class Stats:
    """Summary of repeated timings in seconds per run."""

    samples: tuple[float, ...]
    runs_per_sample: int = 1

    @property
    def min(self) -> float:
        return float(np.min(self.samples))

    @property
    def q1(self) -> float:
        return float(np.quantile(self.samples, 0.25))

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def q3(self) -> float:
        return float(np.quantile(self.samples, 0.75))

    @property
    def max(self) -> float:
        return float(np.max(self.samples))

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def spread(self) -> float:
        """IQR relative to the median."""
        return self.iqr / self.median if self.median > 0 else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "q1": self.q1, "q3": self.q3, "min": self.min,
                "max": self.max, "iqr": self.iqr, "spread": self.spread,
                "repeats": len(self.samples), "runs_per_repeat": self.runs_per_sample}


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def measure(run: Callable[[], Any], *, warmup: int = WARMUP, repeat: int = REPEAT,
            min_time: float = MIN_TIME, clock: str = "wall") -> Stats:
    """Time `run`: `warmup` untimed calls, then `repeat` timed batches (see the docstring).

    `clock`: "wall" (perf_counter, the latency a user sees) or "cpu" (this thread's CPU time:
    with one runtime thread running on the caller's thread it leaves out the time other
    processes hold the core; for development on a shared machine, not a latency)."""
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    start = time.perf_counter()
    for _ in range(max(1, warmup)):
        run()
    first = (time.perf_counter() - start) / max(1, warmup)
    per = max(1, int(min_time / first)) if first > 0 else 1
    samples = []
    now = CLOCKS[clock]
    for _ in range(repeat):
        t0 = now()
        for _ in range(per):
            run()
        samples.append((now() - t0) / per)
    return Stats(tuple(samples), per)


@dataclass
class BenchResult:
    """A network measured on a runtime: its statistics, per-node times and context."""

    name: str
    bindings: dict[str, Any]
    runtime: dict[str, Any]
    stats: Stats
    nodes: list[dict[str, Any]] = field(default_factory=list)  # layer/op, seconds per run
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    machine: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bindings": self.bindings, "runtime": self.runtime,
                "machine": self.machine, "load": list(self.load), **self.stats.as_dict(),
                "nodes": self.nodes}


def bench(p: Profile, runtime: str = "onnxruntime", threads: int = 1, *, repeat: int = REPEAT,
          warmup: int = WARMUP, min_time: float = MIN_TIME, optimization: str = "extended",
          nodes: bool = True, clock: str = "wall") -> BenchResult:
    """Build the bound profile on `runtime` and measure it (see the module docstring)."""
    from cost.bench.runtime import build, machine_info

    net = build(p, runtime, threads, optimization=optimization)
    try:
        stats = measure(net.run, warmup=warmup, repeat=repeat, min_time=min_time, clock=clock)
        load = os.getloadavg()
        per_node = node_times(net, p) if nodes else []
    finally:
        net.close()
    return BenchResult(p.spec.name, {k: v for k, v in p.bindings.items()}, net.info, stats,
                       per_node, load, machine_info())


def node_times(net: Network, p: Profile, runs: int = 5) -> list[dict[str, Any]]:
    """Per-node (onnxruntime) or per-op (torch) median seconds per run over `runs` runs."""
    if net.runtime == "torch":
        return _torch_ops(net, runs)
    from cost.bench.runtime import _bound_run, onnx_session
    from cost.reference.forward import random_input

    session = onnx_session(net.path, net.threads, net.info.get("optimization", "extended"),
                           profiling=True)
    run = _bound_run(session, random_input(p))
    for _ in range(runs):
        run()
    trace = Path(session.end_profiling())
    try:
        events = json.loads(trace.read_text())
    finally:
        trace.unlink(missing_ok=True)
    return onnx_node_times(events, [layer.path for layer in p.layers], runs)


_LAYER = re.compile(r"/layers\.(\d+)/")


def onnx_node_times(events: list[dict[str, Any]], paths: list[str],
                    runs: int) -> list[dict[str, Any]]:
    """Aggregate an onnxruntime profile: per node, the median of its kernel times over the last
    `runs` runs (the first, session-warming run dropped when there are more)."""
    times: dict[str, list[float]] = {}
    ops: dict[str, str] = {}
    order: list[str] = []
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        node = e["name"][: -len("_kernel_time")]
        if node not in times:
            times[node] = []
            ops[node] = e.get("args", {}).get("op_name", "")
            order.append(node)
        times[node].append(e["dur"] * 1e-6)
    out = []
    for node in order:
        samples = times[node][-runs:]
        m = _LAYER.search(node)
        layer = paths[int(m.group(1))] if m and int(m.group(1)) < len(paths) else ""
        out.append({"node": node, "op_type": ops[node], "layer": layer,
                    "seconds": float(np.median(samples)), "calls": len(times[node])})
    return out


def _torch_ops(net: Network, runs: int) -> list[dict[str, Any]]:
    import torch

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(runs):
            net.run()
    out = []
    for ev in prof.key_averages():
        if ev.key.startswith("aten::") and ev.self_cpu_time_total > 0:
            out.append({"node": ev.key, "op_type": ev.key, "layer": "",
                        "seconds": ev.self_cpu_time_total * 1e-6 / runs, "calls": ev.count})
    return sorted(out, key=lambda r: -r["seconds"])
