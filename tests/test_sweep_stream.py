"""Streamed sweeps (issue 16): chunk by chunk equals all at once, on any back end, atomically.

The reference is the in-memory `sweep` (every point in one array); the streamed reductions
(`stream`: summary, Pareto front, top k, CSV and Parquet rows) must equal it exactly, on a grid
of 6 × 4 × 5 × 3 = 360 points cut into chunks that do not divide it (7, 13, 64 points), in
both chunk layouts, on a process pool and on a Dask LocalCluster.
"""

from __future__ import annotations

import io
import json
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.design.chunks import chunk_layout, chunks
from cost.design.reduce import rank_key
from cost.design.sweep import closed_form, stream, sweep
from cost.render.sweep import to_csv

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "shufflenet_v1.yaml")
GRID = {"g": (1, 2, 3, 5, 8, 4), "s": (Fraction(1, 4), Fraction(1, 2), 1, Fraction(3, 2)),
        "r": (96, 100, 224, 160, 32), "n": (1, 3, 2)}  # 360 points, invalid ones included
WHERE = "madds >= 100e6 or g == 2"  # fronts of several points, not just the smallest one
OBJECTIVES = ["madds:min,params:max", "madds:min,params:min,mem:min", "intensity:max,s:min",
              "mem_read:max,r:min,n:max", "flops:min,g:max,intensity:min"]


@pytest.fixture(scope="module")
def form():
    return closed_form(cost.load(SPEC), tuple(GRID))


@pytest.fixture(scope="module")
def whole(form):
    return sweep(form.spec, GRID, form=form, where=WHERE)


def front_index(result) -> list[int]:
    return result.front.index.tolist()


@pytest.mark.parametrize("size", [7, 13, 64])
@pytest.mark.parametrize("broadcast", [True, False])
def test_chunked_reductions_equal_the_whole(form, whole, size: int, broadcast: bool) -> None:
    assert 360 % size and chunk_layout([6, 4, 5, 3], size, broadcast).count > 1
    streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=size, broadcast=broadcast)
    assert streamed.summary() == whole.summary()
    assert front_index(streamed) == np.flatnonzero(whole.pareto).tolist()
    assert len(streamed.front) > 1 and whole.summary()["kept"] < 360  # a real filter and front


@pytest.mark.parametrize("objectives", OBJECTIVES)
@pytest.mark.parametrize("size", [7, 64])
def test_chunked_fronts_of_any_objectives_equal_the_whole(form, size: int,
                                                          objectives: str) -> None:
    whole = sweep(form.spec, GRID, form=form, where=WHERE, objectives=objectives)
    streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=size,
                      objectives=objectives, pareto=True)
    assert front_index(streamed) == np.flatnonzero(whole.pareto).tolist()
    assert streamed.rows().index.tolist() == front_index(streamed) and streamed.rows().pareto.all()
    assert 0 < len(streamed.front) < whole.summary()["kept"]
    # brute force: no kept valid point is dominated by a front point's rival
    ok = np.flatnonzero(whole.valid & whole.kept)
    goal = whole.goal
    values = [[Fraction(*v) if isinstance(v, tuple) else Fraction(v)
               for v in _exact(goal, whole, o.name, ok)] for o in goal.objectives]
    signs = [1 if o.direction == "min" else -1 for o in goal.objectives]
    rows = [tuple(sign * col[j] for sign, col in zip(signs, values, strict=True))
            for j in range(len(ok))]
    expected = [ok[j] for j, r in enumerate(rows)
                if not any(all(a <= b for a, b in zip(o, r, strict=True)) and o != r
                           for o in rows)]
    assert np.flatnonzero(whole.pareto).tolist() == expected
    assert streamed.goal is not None and str(streamed.goal) == objectives


def _exact(goal, whole, name: str, ok: np.ndarray) -> list:
    from cost.design.reduce import objective_values

    v = objective_values(whole.block(ok), name, whole.grid)
    if isinstance(v, tuple):
        num, den = v
        den = np.broadcast_to(np.asarray(den, dtype=object), np.shape(num))
        return [(int(a), int(b)) for a, b in zip(num.tolist(), den.tolist(), strict=True)]
    return list(v.tolist())


def test_tasks_of_several_chunks_reduce_the_same(form, whole, monkeypatch) -> None:
    from cost.design import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "MIN_TASKS", 4)
    assert {len(g) for g in sweep_module._groups(52)} == {13}
    for top in (None, 5):
        streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=7, top=top)
        assert streamed.summary() == whole.summary()
        assert front_index(streamed) == np.flatnonzero(whole.pareto).tolist()
    ok = np.flatnonzero(whole.valid & whole.kept)
    madds = whole.number("madds")[ok]
    assert streamed.rows().index.tolist() == ok[np.lexsort((ok, madds))][:5].tolist()


def test_chunks_of_the_pieces_layout_cover_every_point_once() -> None:
    # a long last axis: the leading axes take one value per chunk
    layout = chunk_layout([3, 2, 1000], 300)
    assert layout.kind == "pieces" or layout.kind == "runs"
    for lengths, size in (([3, 2, 1000], 300), ([5, 7, 9], 4), ([1, 1000], 64), ([2000], 300)):
        seen = []
        for ch in chunks(lengths, size):
            index = np.broadcast_arrays(*ch.index)
            assert index[0].shape == ch.shape and ch.stop - ch.start <= size
            seen.extend(np.ravel_multi_index([i.ravel() for i in index], lengths).tolist())
        assert seen == list(range(int(np.prod(lengths))))
    assert chunk_layout([5, 1_000_000], 1 << 18).kind == "pieces"


@pytest.mark.parametrize("by,descending", [("madds", False), ("intensity", True),
                                           ("params", False)])
def test_top_k_chunked_equals_sorting_everything(form, whole, by: str, descending: bool) -> None:
    streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=11, top=9,
                      by=("-" if descending else "") + by)
    ok = np.flatnonzero(whole.valid & whole.kept)
    key = rank_key(whole.block(ok), by)
    order = sorted(range(len(ok)), key=lambda j: (-key[j] if descending else key[j], ok[j]))
    assert streamed.rows().index.tolist() == ok[order[:9]].tolist()
    pareto = set(np.flatnonzero(whole.pareto).tolist())
    assert streamed.rows().pareto.tolist() == [i in pareto for i in ok[order[:9]]]


def test_pareto_rows_and_top_of_the_front(form, whole) -> None:
    front = np.flatnonzero(whole.pareto)
    shown = stream(form.spec, GRID, form=form, where=WHERE, chunk=7, pareto=True).rows()
    assert shown.index.tolist() == front.tolist() and shown.pareto.all()
    top = stream(form.spec, GRID, form=form, where=WHERE, chunk=7, pareto=True, top=2).rows()
    madds = whole.number("madds")[front]
    assert top.index.tolist() == front[np.lexsort((front, madds))][:2].tolist()


@pytest.mark.parametrize("size", [7, 64])
def test_csv_written_chunk_by_chunk_equals_the_whole(form, whole, tmp_path: Path,
                                                     size: int) -> None:
    expected = to_csv(whole)
    path = tmp_path / "rows.csv"
    stream(form.spec, GRID, form=form, where=WHERE, chunk=size, output=path)
    assert path.read_text() == expected
    out = io.StringIO()
    stream(form.spec, GRID, form=form, where=WHERE, chunk=size, out=out)
    assert out.getvalue() == expected
    assert sorted(os.listdir(tmp_path)) == ["rows.csv"]


def test_parquet_written_chunk_by_chunk_equals_the_whole(form, whole, tmp_path: Path) -> None:
    import pandas as pd

    chunked, single = tmp_path / "a.parquet", tmp_path / "b.parquet"
    stream(form.spec, GRID, form=form, where=WHERE, chunk=7, output=chunked)
    stream(form.spec, GRID, form=form, where=WHERE, chunk=10**6, output=single)
    a, b = pd.read_parquet(chunked), pd.read_parquet(single)
    pd.testing.assert_frame_equal(a, b)
    expected = whole.frame()
    assert len(a) == len(expected) == whole.kept.sum()
    assert a["g"].tolist() == expected["g"].tolist()
    assert a["s"].tolist() == [float(v) for v in expected["s"]]  # quarters: exact as floats
    valid = expected["valid"].to_numpy()
    for m in ("madds", "params", "mem"):
        assert a[m].isna().tolist() == (~valid).tolist()
        assert a[m][valid].astype("int64").tolist() == expected[m][valid].astype("int64").tolist()
    assert a["pareto"].tolist() == expected["pareto"].tolist()
    assert a["reason"].tolist() == expected["reason"].tolist()


def test_worker_processes_equal_one_process(form, whole, tmp_path: Path) -> None:
    streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=13, workers=2)
    assert streamed.summary() == whole.summary()
    assert front_index(streamed) == np.flatnonzero(whole.pareto).tolist()
    held = sweep(form.spec, GRID, form=form, where=WHERE, chunk=13, workers=2)
    assert (held.metrics["madds"] == whole.metrics["madds"]).all()
    assert (held.reason == whole.reason).all() and (held.pareto == whole.pareto).all()
    path = tmp_path / "rows.csv"
    stream(form.spec, GRID, form=form, where=WHERE, chunk=13, workers=2, output=path)
    assert path.read_text() == to_csv(whole)


def test_dask_local_cluster_equals_the_local_run(form, whole, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        streamed = stream(form.spec, GRID, form=form, where=WHERE, chunk=13, scheduler=address)
        assert streamed.summary() == whole.summary()
        assert front_index(streamed) == np.flatnonzero(whole.pareto).tolist()
        path = tmp_path / "rows.csv"
        stream(form.spec, GRID, form=form, where=WHERE, chunk=13, scheduler=address,
               output=path)
        assert path.read_text() == to_csv(whole)
        code = CliRunner().invoke(main, ["sweep", SPEC, "--grid", "g=1,3,5", "--pareto",
                                         "--scheduler", address, "--format", "csv"])
        assert code.exit_code == 0, code.output
        assert code.stdout.splitlines()[1].startswith("3,")  # g = 3: fewer madds, more params


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_interrupted_sweep_leaves_no_file(form, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          suffix: str) -> None:
    from cost.design import reduce

    calls = []
    task = reduce.task

    def interrupted(plan, kind, i, arg):
        if kind in ("csv", "parquet"):
            calls.append(i)
            if len(calls) % 3 == 0:  # the third rows of each sweep
                raise KeyboardInterrupt
        return task(plan, kind, i, arg)

    monkeypatch.setattr("cost.design.execute.task", interrupted)
    (tmp_path / f"old{suffix}").write_text("previous")
    for name in ("new", "old"):
        with pytest.raises(KeyboardInterrupt):
            stream(form.spec, GRID, form=form, chunk=7, output=tmp_path / f"{name}{suffix}")
    assert len(calls) == 6
    assert sorted(os.listdir(tmp_path)) == [f"old{suffix}"]  # no new file, no temporary one
    assert (tmp_path / f"old{suffix}").read_text() == "previous"


def test_cli_streams_past_the_in_memory_limit() -> None:
    # 30,000,000 points: over the in-memory limit, fine streamed to the front
    args = ["sweep", SPEC, "--grid", "g=1,2,3,4,8", "--grid", "s=0.25:2:0.25",
            "--grid", "r=32:1024:32", "--grid", "n=1:23437:1", "--where", "madds <= 600e6"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "--pareto, --top K, --output FILE or --format csv" in r.stderr
    r = CliRunner().invoke(main, [*args, "--pareto", "-q"])
    assert r.exit_code == 0, r.output
    assert "points: 29,999,360" in r.stdout
    r = CliRunner().invoke(main, [*args[:-4], "--grid", "n=1:3:1", "--top", "2", "--by",
                                  "-intensity", "--workers", "2", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["rows"]
    assert len(rows) == 2 and rows[0]["intensity"] >= rows[1]["intensity"]


@pytest.mark.parametrize("args,message", [
    (("--output", "x.txt"), "FILE.csv or FILE.parquet"),
    (("--top", "3", "--by", "speed"), "unknown metric"),
    (("--top", "3", "--by", "latency"), "latency needs a device profile"),  # tests/test_latency
    (("--top", "3", "--report", "rep"), "--report shows every point"),
    (("--pareto", "madds:min,speed:min"), "unknown objective 'speed'"),
    (("--pareto", "madds:min,latency:min"), "latency needs a device profile"),
    (("--pareto", "madds:minimum"), "the direction must be min or max"),
])
def test_cli_stream_errors(args: tuple, message: str) -> None:
    r = CliRunner().invoke(main, ["sweep", SPEC, "--grid", "g=1,3", *args])
    assert r.exit_code == 2 and message in r.stderr, r.output


def test_optional_back_ends_are_imported_only_where_used() -> None:
    import subprocess
    import sys

    code = ("import sys, cost, cost.design.sweep, cost.cli.sweep; "
            "print(sorted(m for m in ('dask', 'distributed', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docstring_examples() -> None:
    import doctest
    import importlib

    for name in ("cost.design.pareto", "cost.design.grid", "cost.papers.frontier"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name


def test_horner_form_by_array_shape_equals_the_expanded_polynomial() -> None:
    # cost.design.vectorize evaluates P in Horner form in its array arguments, largest first
    import sympy

    from cost.design.vectorize import Compiler, Context, Val

    x, y, z = sympy.symbols("x y z", integer=True)
    expr = 3 * x**3 * y * z - 7 * x**2 * z**2 + 5 * x * y**2 - 11 * y * z + 2 * x - 13
    node = Compiler({x: 1, y: 1, z: 1}).number(expr)
    rng = np.random.default_rng(0)
    shapes = [((50, 1, 1), (1, 1, 1), (1, 1, 1)), ((1, 1, 1), (1, 7, 1), (3, 1, 9)),
              ((4, 1), (1, 1), (4, 5))]
    for sx, sy, sz in shapes:
        vx, vy, vz = (rng.integers(-50, 50, size=s) for s in (sx, sy, sz))
        got = node.evaluate(Context({x: Val(vx), y: Val(vy), z: Val(vz)}))
        want = (3 * vx**3 * vy * vz - 7 * vx**2 * vz**2 + 5 * vx * vy**2 - 11 * vy * vz + 2 * vx
                - 13)
        assert (np.broadcast_to(got.num, want.shape) == want).all() and got.den == 1
    big = node.evaluate(Context({x: Val(np.array([10**6, 2])), y: Val(np.array([[10**6]])),
                                 z: Val(np.array([[1]]))}))  # past int64: Python integers
    assert big.num.tolist() == [[int(expr.subs({x: v, y: 10**6, z: 1})) for v in (10**6, 2)]]
