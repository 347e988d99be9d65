"""peak_mem as a sweep metric (exact against cost.profile at each point), and --sort."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main as cli
from cost.design.closed_form import closed_form
from cost.design.solve import solve
from cost.design.sweep import sweep
from cost.design.vectorize import Compiler
from cost.symbolic import sp

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "shufflenet_v1.yaml")
GRID = {"g": (1, 2, 3, 4, 8), "s": (Fraction(1, 2), 1, Fraction(3, 2)), "r": (128, 224)}


@pytest.fixture(scope="module")
def result():
    return sweep(cost.load(SPEC), GRID)


def test_peak_mem_matches_profile(result) -> None:
    values = result.number("peak_mem")
    valid = result.valid
    checked = 0
    for i, (g, s, r) in enumerate((g, s, r) for g in GRID["g"] for s in GRID["s"]
                                  for r in GRID["r"]):
        if not valid.flat[i]:
            continue
        expected = cost.profile(cost.load(SPEC, g=g, s=s, r=r)).peak_mem
        assert values.flat[i] == expected, (g, s, r)
        checked += 1
    assert checked >= 8


def test_where_peak_mem_boundary(result) -> None:
    values = sorted({int(v) for v, ok in zip(result.number("peak_mem").flat, result.valid.flat,
                                              strict=True) if ok})
    bound = values[len(values) // 2]
    kept = sweep(cost.load(SPEC), GRID, where=f"peak_mem <= {bound}")
    below = sum(v <= bound for v, ok in zip(result.number("peak_mem").flat, result.valid.flat,
                                            strict=True) if ok)
    assert int(kept.kept.sum()) == below
    strict_ = sweep(cost.load(SPEC), GRID, where=f"peak_mem < {bound}")
    assert int(strict_.kept.sum()) == below - sum(v == bound for v in values)


def test_unevaluated_max_compiles() -> None:
    s = sp()
    x = s.Symbol("x", positive=True, integer=True)
    terms = [x * k + k * k for k in range(1, 16)]
    node = Compiler({x: 1}, {}).number(s.Max(*terms, evaluate=False))
    import numpy as np

    from cost.design.vectorize import Context, Val
    out = node.evaluate(Context({x: Val(np.array([1, 5, 30]), 1)}))
    assert [int(v) for v in np.asarray(out.num)] == [max(v * k + k * k for k in range(1, 16))
                                                     for v in (1, 5, 30)]


def test_closed_form_has_peak_mem() -> None:
    form = closed_form(cost.load(SPEC), ("g", "s", "r"))
    assert "peak_mem" in form.totals


def test_solve_peak_mem() -> None:
    sol = solve(cost.load(SPEC, g=3, r=224), "s", "peak_mem", 1_200_000)
    root = sol.roots[0]
    assert root.below is not None and root.above is not None
    assert root.below.metrics["peak_mem"] <= 1_200_000 < root.above.metrics["peak_mem"]
    assert root.below.metrics["peak_mem"] == cost.profile(
        cost.load(SPEC, g=3, r=224, s=root.below.value)).peak_mem


def test_cli_peak_mem_and_sort() -> None:
    runner = CliRunner()
    args = ["sweep", SPEC, "--grid", "g=1,3", "--grid", "s=0.5,1", "--format", "json"]
    out = runner.invoke(cli, [*args, "--sort", "peak_mem"])
    assert out.exit_code == 0, out.output
    import json

    rows = json.loads(out.output)["rows"]
    peaks = [r["peak_mem"] for r in rows]
    assert peaks == sorted(peaks, reverse=True)
    out = runner.invoke(cli, [*args, "--sort", "s"])
    assert [r["s"] for r in json.loads(out.output)["rows"]] == [1, 1, 0.5, 0.5]
    out = runner.invoke(cli, [*args, "--top", "2", "--by", "peak_mem", "--pareto",
                              "peak_mem:min,madds:max"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, [*args, "--sort", "peak_me"])
    assert out.exit_code == 2
    assert "did you mean 'peak_mem'" in out.output
