"""Where chunk tasks run: in this process, on local cores, or on a Dask cluster.

Every back end maps `cost.design.reduce.task` over chunk numbers and yields the results in
chunk order, with a bounded number of tasks in flight (so memory does not grow with the grid):

* `Serial`: in this process (`--workers 1`);
* `Processes`: a `concurrent.futures.ProcessPoolExecutor` of N processes (`--workers N`); each
  receives the plan once, when it starts, and compiles it once;
* `DaskCluster`: a `dask.distributed.Client` (`--scheduler ADDRESS`, the optional extra
  `cost[dask]`); the plan is scattered to every worker once and each task names it. Dask is
  imported here only, never by `import cost`. Dask schedules; cost supplies the chunk function.

A back end is a context manager; leaving it on an exception (Ctrl-C) cancels what is queued.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from cost.design.chunks import Plan
from cost.design.grid import SweepError
from cost.design.reduce import task


class Serial:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(self, kind: str, indices: Iterable[int], arg: Any = None) -> Iterator[tuple[int, Any]]:
        for i in indices:
            yield task(self.plan, kind, i, arg)


def _ordered(submit: Any, indices: Iterable[int], window: int) -> Iterator[Any]:
    """Submit tasks ahead, at most `window` in flight, and yield their results in order."""
    pending: deque[Any] = deque()
    for i in indices:
        pending.append(submit(i))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def tune_malloc() -> None:
    """Keep chunk-sized numpy temporaries in this process's heap (glibc only; process-wide, so
    called by the `cost sweep` command and in the worker processes it starts, not by the
    library). By default glibc maps and unmaps each array past its mmap threshold, or trims
    the heap after each chunk, and the page faults then cost as much system time as the
    evaluation's user time (measured: 5.5 s of system time for 4.9 s of user time)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MB of freed heap
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: arrays under 32 MB come from the heap
    except (OSError, AttributeError):  # not glibc
        pass


_PLAN: Plan | None = None  # the plan of this worker process


def _install(plan: Plan) -> None:
    import signal

    global _PLAN
    _PLAN = plan
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    tune_malloc()


def _process_task(kind: str, i: int, arg: Any) -> tuple[int, Any]:
    assert _PLAN is not None
    return task(_PLAN, kind, i, arg)


class Processes:
    def __init__(self, plan: Plan, workers: int) -> None:
        self.plan = plan
        self.workers = workers

    def __enter__(self) -> Processes:
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(self.workers, initializer=_install,
                                        initargs=(self.plan,))
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.pool.shutdown(wait=kind is None, cancel_futures=True)

    def map(self, kind: str, indices: Iterable[int], arg: Any = None) -> Iterator[tuple[int, Any]]:
        return _ordered(lambda i: self.pool.submit(_process_task, kind, i, arg), indices,
                        2 * self.workers + 1)


def _dask_task(plan: Plan, kind: str, i: int, arg: Any) -> tuple[int, Any]:
    return task(plan, kind, i, arg)


class DaskCluster:
    def __init__(self, plan: Plan, address: Any) -> None:
        self.plan = plan
        self.address = address

    def __enter__(self) -> DaskCluster:
        try:
            from dask.distributed import Client
        except ImportError:
            raise SweepError("--scheduler needs Dask distributed",
                             hint='pip install "cost[dask]"') from None
        try:
            self.client = Client(self.address, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise SweepError(f"cannot reach the Dask scheduler at {self.address}: {e}") from None
        self.plan_future = self.client.scatter(self.plan, broadcast=True, hash=False)
        self.window = 2 * max(1, sum(self.client.nthreads().values())) + 1
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.client.close()

    def map(self, kind: str, indices: Iterable[int], arg: Any = None) -> Iterator[tuple[int, Any]]:
        arg_future = self.client.scatter([arg], broadcast=True, hash=False)[0]  # a list: one
        return _ordered(lambda i: self.client.submit(_dask_task, self.plan_future, kind, i,
                                                     arg_future, pure=False),
                        indices, self.window)


def backend(plan: Plan, workers: int | None = 1, scheduler: Any = None) -> Any:
    """The back end for `--workers N` (0 or None: every core) or `--scheduler ADDRESS`."""
    if scheduler is not None:
        return DaskCluster(plan, scheduler)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise SweepError(f"--workers {workers}: give 1 or more")
    return Serial(plan) if workers == 1 or plan.layout.count <= 1 else Processes(plan, workers)
