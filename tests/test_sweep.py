"""Sweeps, budget solving and sweep reports (issue 6).

Golden numbers are written as arithmetic from the ShuffleNet v1 closed form (style-anchors §5):
with r = 32·m and stem = 24·s,

    madds = n·[m²·(128c²s² − 96cs²)/g + m²·(384cs² + 324cs + 165888s) + 4000cs]

so at g = 3 (c = 240), s = 1, r = 224 (m = 7), n = 1: 49·(128·240² − 96·240)/3
+ 49·(384·240 + 324·240 + 165888) + 4000·240 = 137,460,672.
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cost
from cost.cli.main import main
from cost.design.solve import parse_target, solve
from cost.design.sweep import (
    SweepError,
    chunks,
    closed_form,
    pareto_front,
    parse_grid,
    parse_values,
    sweep,
)
from cost.design.vectorize import Compiler, Context, Val

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "shufflenet_v1.yaml")
C = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # Table 1, stage 2 widths


def madds_closed_form(g: int, s: Fraction = Fraction(1), r: int = 224, n: int = 1) -> Fraction:
    """style-anchors §5, with stem = 24·s."""
    c, m = C[g], r // 32
    return n * (m**2 * (128 * c**2 * s**2 - 96 * c * s**2) / Fraction(g)
                + m**2 * (384 * c * s**2 + 324 * c * s + 165888 * s) + 4000 * c * s)


@pytest.fixture(scope="module")
def family() -> cost.Spec:
    return cost.load(SPEC)


@pytest.fixture(scope="module")
def form4(family):  # one walk shared by the property tests
    return closed_form(family, ("g", "s", "r", "n"))


# --- grids ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,values", [
    ("1,2,3,4,8", (1, 2, 3, 4, 8)),
    ("0.25:1:0.25", (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1)),
    ("96:200:32", (96, 128, 160, 192)),            # 224 would pass 200: the end is not forced
    ("96:224:32", (96, 128, 160, 192, 224)),       # the end is included where it lands
    ("2:1:-0.5", (2, Fraction(3, 2), 1)),
    ("1/3,2/3", (Fraction(1, 3), Fraction(2, 3))),
    ("0.1:0.3:0.1", (Fraction(1, 10), Fraction(1, 5), Fraction(3, 10))),  # 3/10, not 0.3000…04
])
def test_grid_values(text: str, values: tuple) -> None:
    assert parse_values("x", text) == values


@pytest.mark.parametrize("item,message", [
    ("g", "is not NAME=VALUES"),
    ("g=1,,2", "empty value"),
    ("g=1,2,1", "listed twice"),
    ("s=1:2", "start:stop:step"),
    ("s=1:0:0.5", "does not lead from 1 to 0"),
    ("s=1:2:0", "does not lead"),
    ("g=two", "unknown name 'two'"),
    ("g=__import__('os')", "not allowed"),
    ("r=1:1e9:1", "the limit is"),
])
def test_grid_errors(item: str, message: str) -> None:
    with pytest.raises(SweepError, match=message.replace("(", r"\(")):
        parse_grid([item])


def test_grid_too_many_points() -> None:
    with pytest.raises(SweepError, match="points; the limit is"):
        parse_grid(["a=1:5000:1", "b=1:5000:1"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(1, 50))
def test_chunks_cover_every_point_once_in_order(lengths: list[int], size: int) -> None:
    seen = []
    for broadcast in (True, False):
        seen = []
        for ch in chunks(lengths, size, broadcast=broadcast):
            index = np.broadcast_arrays(*ch.index)
            assert index[0].shape == ch.shape
            flat = np.ravel_multi_index([i.ravel() for i in index], lengths)
            assert flat.tolist() == list(range(ch.start, ch.stop))
            seen.extend(flat.tolist())
        assert seen == list(range(math.prod(lengths)))


# --- values: golden and against cost.engine.profile ----------------------------------------------

def test_sweep_reproduces_table1_complexities(family) -> None:
    result = sweep(family, {"g": (1, 2, 3, 4, 8)})
    assert result.valid.all()
    madds = result.metrics["madds"].tolist()
    assert madds == [madds_closed_form(g) for g in (1, 2, 3, 4, 8)]
    assert madds[2] == 49 * (128 * 240**2 - 96 * 240) // 3 + 49 * (384 * 240 + 324 * 240 + 165888) \
        + 4000 * 240 == 137_460_672
    assert result.metrics["params"][2] == 1_864_728  # the spec's own expect entry (megvii 1.0x g3)


def test_fractional_width_multiplier_is_exact(family) -> None:
    # s = 1/2 at g = 3: the megvii 0.5x model (stem 12 = 24·s): 37,589,856 (style-anchors §5)
    result = sweep(family, {"s": (Fraction(1, 2), Fraction(3, 4), 2), "g": (3,)})
    assert result.metrics["madds"].tolist() == [
        37_589_856, madds_closed_form(3, Fraction(3, 4)), 524_045_184]


POOL = {
    "g": (1, 2, 3, 4, 5, 8),  # 5 is not a key of table c
    "s": (Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(3, 4), 1, Fraction(3, 2), 2),
    "r": (0, 32, 96, 100, 224, 512),  # 0: not positive; 100: not a multiple of 32
    "n": (1, 2, 7),
}


@st.composite
def grids(draw: st.DrawFn) -> dict[str, tuple]:
    return {name: tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3,
                                      unique=True)))
            for name, values in POOL.items()}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=grids(), picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=3))
def test_every_point_equals_cost_profile(form4, grid: dict, picks: list[int]) -> None:
    result = sweep(form4.spec, grid, form=form4)
    for pick in picks:
        i = pick % result.size
        bindings = {name: grid[name][result.indices(name)[i]] for name in grid}
        try:
            p = cost.profile(cost.load(SPEC, **bindings))
        except cost.SpecError as e:
            reason = result.reason_text()[i]
            assert not result.valid[i], (bindings, str(e))
            if isinstance(e, cost.ShapeError):  # the same layer breaks first
                assert reason.startswith(f"{e.where}: "), (bindings, reason, str(e))
            else:
                assert reason.startswith(e.message.split(" (")[0]), (bindings, reason, str(e))
            continue
        assert result.valid[i], (bindings, result.reason_text()[i])
        for metric in ("madds", "params", "mem_read", "mem_write"):
            assert result.metrics[metric][i] == getattr(p.total, metric), (metric, bindings)
        assert result.number("mem")[i] == p.total.mem
        assert result.intensity()[i] == pytest.approx(float(p.total.intensity), rel=1e-15)


def test_invalid_points_carry_no_metrics(family) -> None:
    # g = 2, s = 1/4: c·s/4 = 200/16 = 25/2 channels
    result = sweep(family, {"g": (2,), "s": (Fraction(1, 4), 1)})
    assert result.valid.tolist() == [False, True]
    assert result.reason_text()[0] == \
        "stage2/unit_down/pw1 (conv): out = c*s/4 must be a whole number"
    frame = result.frame()
    assert frame["madds"].isna().tolist() == [True, False]
    assert frame["madds"][1] == madds_closed_form(2)


def test_bindings_and_table_keys_are_checked_per_value(family) -> None:
    # cost.engine.profile's order: every binding (as the spec declares them), then tables, then
    # layers
    result = sweep(family, {"g": (3, 5), "r": (100, 224, 0)})
    assert result.reason_text().tolist() == [
        "r = 100 is not a multiple of 32", "", "r = 0 must be positive",
        "r = 100 is not a multiple of 32",
        "g = 5 is not in table 'c' (allowed: 1, 2, 3, 4, 8)",
        "r = 0 must be positive"]
    whole = sweep(family, {"g": (Fraction(3, 2), 3)})
    assert whole.reason_text()[0] == "g = 3/2 is not a whole number"


def test_past_int64_results_stay_exact(family) -> None:
    n = 10**13  # 137,460,672·10^13 > 2^63
    result = sweep(family, {"n": (1, n)})
    assert result.metrics["madds"].tolist() == [137_460_672, 137_460_672 * n]


def test_flat_layout_gives_the_same_results(form4) -> None:
    grid = {"g": (1, 3, 5, 8), "s": (Fraction(1, 2), 1, 2), "r": (96, 100, 224), "n": (1, 2)}
    a = sweep(form4.spec, grid, form=form4)
    b = sweep(form4.spec, grid, form=form4, broadcast=False)
    for metric in a.metrics:
        assert (a.metrics[metric] == b.metrics[metric]).all()
    assert (a.reason == b.reason).all() and (a.pareto == b.pareto).all()


def test_let_can_be_swept(family) -> None:
    result = sweep(family.with_bindings(g=8), {"c": (384, 392, 416)})
    # c = 392: c/4 = 98 channels, not divisible by g = 8
    assert result.valid.tolist() == [True, False, True]
    assert result.metrics["madds"][0] == 784 * 384**2 + 38104 * 384 + 8128512  # see the solve test


# --- --where and the Pareto front ----------------------------------------------------------------

def test_where_is_exact_at_the_boundary(family) -> None:
    grid = {"g": (1, 2, 3, 4, 8)}
    assert sweep(family, grid, where="madds <= 137460672").kept.tolist() == \
        [False, False, True, True, False]
    assert sweep(family, grid, where="madds < 137460672").kept.tolist() == \
        [False, False, False, True, False]
    assert sweep(family, grid, where="flops == 2 * 137460672 or g == 8").kept.tolist() == \
        [False, False, True, False, True]
    assert sweep(family, grid, where="not (intensity > 5)").kept.tolist() == \
        [False, False, False, True, True]


def test_where_drops_invalid_rows_only_when_it_names_a_metric(family) -> None:
    grid = {"g": (3, 5)}
    assert sweep(family, grid, where="g >= 3").kept.tolist() == [True, True]
    assert sweep(family, grid, where="madds >= 0").kept.tolist() == [True, False]


@pytest.mark.parametrize("where,message", [
    ("madds + 1", "is not a condition"),
    ("madds <= budget", "unknown name 'budget'"),
    ("madds.real > 1", "not allowed"),
    ("g[0] > 1", "only table values can be indexed"),
])
def test_where_errors(family, where: str, message: str) -> None:
    with pytest.raises(cost.SpecError, match=message):
        sweep(family, {"g": (3,)}, where=where)


def test_pareto_front_of_table1(family) -> None:
    # madds: 143.1M 140.8M 137.5M 134.3M 138.4M; params grow with g (1.53M ... 2.43M).
    # Default objectives, madds:min and params:max: g = 4 has the fewest madds, g = 8 the most
    # params; g = 1, 2, 3 have more madds and fewer params than g = 4, so they are dominated.
    result = sweep(family, {"g": (1, 2, 3, 4, 8)})
    assert result.pareto.tolist() == [False, False, False, True, True]
    # All minimised together (the front before issue 15): only g = 8 (more of everything than
    # g = 4) is dominated.
    every = sweep(family, {"g": (1, 2, 3, 4, 8)}, objectives="madds:min,params:min,mem:min")
    assert every.pareto.tolist() == [True, True, True, True, False]
    # a swept name as an objective: least madds against the most groups
    by_g = sweep(family, {"g": (1, 2, 3, 4, 8)}, objectives="madds:min,g:max")
    assert by_g.pareto.tolist() == [False, False, False, True, True]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
                min_size=1, max_size=40),
       st.tuples(*[st.sampled_from(["min", "max"])] * 3))
def test_pareto_front_equals_brute_force(rows: list[tuple[int, int, int]],
                                         directions: tuple[str, str, str]) -> None:
    a = np.array(rows)
    front = pareto_front([a[:, 0], a[:, 1], a[:, 2]], directions)
    signed = a * np.array([1 if d == "min" else -1 for d in directions])
    for i, row in enumerate(signed):
        dominated = any((other <= row).all() and (other < row).any() for other in signed)
        assert front[i] == (not dominated)


# hand-made points (x, y): the four fronts of the four directions
POINTS = [(1, 1), (1, 3), (2, 2), (3, 1), (3, 3), (2, 1)]


@pytest.mark.parametrize("directions,expected", [
    (("min", "min"), [0]),  # (1, 1) beats every other point
    (("min", "max"), [1]),  # (1, 3): least x, greatest y
    (("max", "max"), [4]),  # (3, 3)
    (("max", "min"), [3]),  # (3, 1)
])
def test_pareto_front_directions_on_hand_made_points(directions, expected) -> None:
    x, y = (np.array(c) for c in zip(*POINTS, strict=True))
    assert np.flatnonzero(pareto_front([x, y], directions)).tolist() == expected


def test_pareto_front_of_a_trade_off_and_of_ties() -> None:
    # cost against capacity: each step up in cost buys capacity, except the dominated ones
    cost_ = np.array([10, 20, 20, 30, 40, 40, 50])
    capacity = np.array([5, 9, 7, 9, 12, 12, 11])
    front = pareto_front([cost_, capacity], ["min", "max"])
    assert np.flatnonzero(front).tolist() == [0, 1, 4, 5]  # equal points both stay
    # past int64 and fractions, exactly: 2**70 + 1 is worse than 2**70 however floats round
    big = np.array([2**70, 2**70 + 1, 2**70], dtype=object)
    third = np.array([Fraction(1, 3), Fraction(1, 3), Fraction(1, 3) + Fraction(1, 10**30)],
                     dtype=object)
    assert pareto_front([big, third], ["max", "min"]).tolist() == [False, True, False]
    # ratios num/den compared by cross-multiplication (7/3 < 12/5 though both round alike)
    num, den = np.array([7 * 10**17, 12 * 10**17, 1]), np.array([3 * 10**17, 5 * 10**17, 1])
    assert pareto_front([(num, den)], ["max"]).tolist() == [False, True, False]
    near = (np.array([10**17 + 1, 10**17]), np.array([10**17, 10**17 - 1]))
    assert pareto_front([near], ["min"]).tolist() == [True, False]  # 1 + 1e-17 < 1 + 1e-17+


def test_objectives_are_checked_before_the_walk(family) -> None:
    with pytest.raises(cost.SpecError, match="unknown objective 'madz'") as e:
        sweep(family, {"g": (3,)}, objectives="madz:min")
    assert "did you mean 'madds'" in e.value.hint
    with pytest.raises(cost.SpecError, match="direction must be min or max"):
        sweep(family, {"g": (3,)}, objectives="madds:most")
    with pytest.raises(cost.SpecError, match="more than once"):
        sweep(family, {"g": (3,)}, objectives="madds:min,madds:max")


# --- the exact vectorized evaluator --------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(1, 12)), min_size=1, max_size=8),
       st.integers(1, 7))
def test_vectorized_evaluation_equals_sympy(points: list[tuple[int, int]], q: int) -> None:
    import sympy

    x = sympy.Symbol("x", integer=True)
    y = sympy.Symbol("y", positive=True)
    exprs = [x**2 * y / 3 - x / 7, sympy.floor(x * y / 5), sympy.ceiling(x / (2 * y)),
             sympy.Mod(3 * x * y, 4), sympy.Max(x, 2 * y, 1) - sympy.Min(x / 3, y),
             sympy.Abs(x - 7 * y), sympy.Piecewise((x, x > y), (y / 2, True))]
    compiler = Compiler({x: 1, y: q})
    xs = np.array([p[0] for p in points], np.int64)
    ys = np.array([p[1] for p in points], np.int64)  # y = ys / q
    ctx = Context({x: Val(xs), y: Val(ys, q)})
    for e in exprs:
        v = compiler.number(e).evaluate(ctx)
        num, den = np.broadcast_arrays(v.num, v.den)
        for k, (a, b) in enumerate(points):
            want = e.subs({x: a, y: sympy.Rational(b, q)})
            assert Fraction(int(num[k]), int(den[k])) == Fraction(int(want.p), int(want.q)), e
    cond = compiler.condition(sympy.And(sympy.Eq(sympy.Mod(x, 2), 0), x >= y))
    expected = [a % 2 == 0 and a * q >= b for a, b in points]
    assert np.broadcast_to(cond.evaluate(ctx), xs.shape).tolist() == expected


def test_vectorized_evaluation_switches_to_python_integers_past_int64() -> None:
    import sympy

    x = sympy.Symbol("x", integer=True)
    v = Compiler({x: 1}).number(x**3 - 1).evaluate(Context({x: Val(np.array([10**7, 3]))}))
    assert v.num.tolist() == [10**21 - 1, 26]  # 10^21 > 2^63: computed with Python ints


# --- cost solve ----------------------------------------------------------------------------------

@pytest.mark.parametrize("g", [1, 2, 3, 4, 8])
def test_solve_reproduces_table1_widths(family, g: int) -> None:
    """Table 1 picks, for each g, the valid width nearest the exact 140-MFLOPs solution.

    Valid c (s = 1, stem 24): g | c/4 (the shuffle after stage 2's first 1×1) and g | c − 24,
    so c is a multiple of 4g. The paper's widths are, for every g, the multiple of 4g nearest
    the solution c* of madds(c) = 140e6, and equally the one whose madds is nearest 140M:
    g = 1: c* = 142.3 -> 144; 2: 199.4 -> 200; 3: 242.4 -> 240; 4: 278.3 -> 272; 8: 386.5 -> 384.
    It is not "the largest width within budget": g = 1 (143.1M) and g = 2 (140.8M) exceed it.
    """
    sol = solve(family.with_bindings(g=g), "c", "madds", 140_000_000)
    assert sol.method == "exact" and len(sol.roots) == 1
    root = sol.roots[0]
    # madds(c) = a·c² + b·c + d from the closed form at s = 1, m = 7, stem = 24:
    a, b, d = Fraction(49 * 128, g), Fraction(-49 * 96, g) + 49 * 708 + 4000, 49 * 165888
    c_star = (-b + math.sqrt(b * b - 4 * a * (d - 140_000_000))) / (2 * a)
    assert root.value == pytest.approx(float(c_star), rel=1e-12)
    assert root.step == 4 * g
    assert root.below.value <= root.value < root.above.value
    assert abs(C[g] - root.value) <= root.step  # within one valid step
    nearest_c = min((root.below, root.above), key=lambda n: abs(n.value - root.value))
    assert nearest_c.value == C[g]
    assert root.nearest(140_000_000, "madds").value == C[g]
    assert root.nearest(140_000_000, "madds").metrics["madds"] == madds_closed_form(g)


def test_solve_for_g_is_numeric(family) -> None:
    # madds falls from g = 2 (140.8M) to g = 3 (137.5M); g only takes table keys
    sol = solve(family, "g", "madds", 138_000_000)
    root = sol.roots[0]
    assert sol.method == "numeric" and root.value is None
    assert (root.below.value, root.above.value) == (2, 3)


def test_solve_for_a_real_symbol_uses_the_constraint_lattice(family) -> None:
    # g = 3: 24s and c·s/(4g) = 20s whole and ... -> valid s are multiples of 1/4
    sol = solve(family.with_bindings(g=3), "s", "params", 3_000_000)
    root = sol.roots[0]
    assert (root.below.value, root.above.value) == (Fraction(5, 4), Fraction(3, 2))
    assert root.below.metrics["params"] < 3_000_000 < root.above.metrics["params"]


def test_solve_for_a_multiple_of_symbol(family) -> None:
    # g = 3: madds(r) = 43527·r²/16 + 960000 (r = 32m); 300e6 -> r ≈ 331.5
    sol = solve(family, "r", "madds", 300_000_000)
    root = sol.roots[0]
    assert root.value == pytest.approx(math.sqrt((300_000_000 - 960_000) * 16 / 43527))
    assert (root.below.value, root.above.value, root.step) == (320, 352, 32)


@pytest.mark.parametrize("call,message", [
    (lambda f: solve(f, "r", "madds", 1), "no solution"),
    (lambda f: solve(f, "q", "madds", 1e8), "unknown symbol 'q'"),
    (lambda f: solve(f, "r", "speed", 1e8), "unknown metric"),
    (lambda f: solve(f, "r", "latency", 1e-2), "needs a device profile"),
    (lambda f: parse_target("madds"), "METRIC=VALUE"),
    (lambda f: parse_target("madds=-5"), "positive"),
])
def test_solve_errors(family, call, message: str) -> None:
    with pytest.raises(cost.SpecError, match=message):
        call(family)


# --- CLI and report ------------------------------------------------------------------------------

def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_cli_sweep_formats() -> None:
    code, out, _ = run("sweep", SPEC, "--grid", "g=3,5", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert [(r["g"], r["madds"], r["valid"]) for r in doc["rows"]] == \
        [(3, 137_460_672, True), (5, None, False)]
    code, out, _ = run("sweep", SPEC, "--grid", "s=0.5,1/3", "--set", "g=1", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "s,madds,params,mem,peak_mem,intensity,valid,reason,pareto"
    assert lines[1].startswith("0.5,38517408,") and lines[2].startswith("1/3,")
    code, out, _ = run("sweep", SPEC, "--grid", "g=3", "--where", "madds > 1e9")
    assert code == 0 and "kept by --where 'madds > 1e9': 0" in out


@pytest.mark.parametrize("args,message", [
    (("--grid", "g=1,2", "--set", "g=3"), "both swept"),
    (("--grid", "gg=1"), "did you mean 'g'"),
    (("--grid", "g=1", "--where", "open('x')"), "not allowed"),
])
def test_cli_sweep_errors_exit_2_without_traceback(args: tuple, message: str) -> None:
    code, out, err = run("sweep", SPEC, *args)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


@pytest.mark.parametrize("objectives,message", [
    ("madds:min,parms:max", "unknown objective 'parms'"),
    ("madds:min,parms:max", "did you mean 'params'"),
    ("madds:mni", "did you mean 'min'"),
    ("madds:low", "write madds:min or madds:max"),
    ("madds", "say whether to minimise or maximise madds"),
    ("gg:max", "did you mean 'g'"),
    ("", "METRIC:min or METRIC:max"),
])
def test_cli_pareto_objective_errors_exit_2(objectives: str, message: str) -> None:
    code, out, err = run("sweep", SPEC, "--grid", "g=1,3", "--pareto", objectives)
    assert code == 2 and message in err and "Traceback" not in err and out == "", err


def test_cli_pareto_objectives() -> None:
    # bare --pareto: the default objectives, madds:min,params:max
    code, out, _ = run("sweep", SPEC, "--grid", "g=1,2,3,4,8", "--pareto", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["pareto_objectives"] == "madds:min,params:max"
    assert [r["g"] for r in doc["rows"]] == [4, 8]
    code, out, _ = run("sweep", SPEC, "--grid", "g=1,2,3,4,8", "--pareto",
                       "madds:min, params:min, mem:min")
    assert code == 0 and "Pareto front (madds:min, params:min, mem:min): 4" in out
    code, out, _ = run("sweep", SPEC, "--grid", "g=1,2,3,4,8", "--grid", "s=0.5,1",
                       "--pareto", "params:max,s:min", "--format", "json")
    assert code == 0
    rows = [(r["g"], r["s"]) for r in json.loads(out)["rows"]]
    # the most params at each s (g = 8 is invalid at s = 0.5, where g = 3 has the most)
    assert rows == [(3, 0.5), (8, 1)]
    # every sweep output carries the pareto column of the (default) objectives
    code, out, _ = run("sweep", SPEC, "--grid", "g=1,2,3,4,8", "--format", "csv")
    assert [line.rsplit(",", 1)[1] for line in out.splitlines()[1:]] == \
        ["false", "false", "false", "true", "true"]


def test_cli_solve() -> None:
    code, out, _ = run("solve", SPEC, "--target", "madds=140e6", "--for", "c", "--set", "g=8")
    assert code == 0
    assert "madds(c) = 784*c**2 + 38104*c + 8128512" in out
    assert "below  384  138,365,952" in out and "nearest" in out
    code, out, _ = run("solve", SPEC, "--target", "madds=140e6", "--for", "c", "--set", "g=8",
                       "--format", "json")
    root = json.loads(out)["roots"][0]
    assert (root["below"]["value"], root["above"]["value"], root["step"]) == (384, 416, 32)


def test_report_is_self_contained_and_replaces_a_previous_one(tmp_path: Path) -> None:
    target = tmp_path / "rep"
    code, out, _ = run("sweep", SPEC, "--grid", "g=1,3,5", "--grid", "s=0.5,1", "--report",
                       str(target))
    assert code == 0 and "report:" in out
    assert sorted(p.name for p in target.iterdir()) == ["index.html", "summary.md", "sweep.csv"]
    page = (target / "index.html").read_text()
    assert page.count("data:image/png;base64,") == 2 + 5 * 2  # 2 + metrics × names
    assert "src=\"http" not in page and "<script" not in page
    assert "## Pareto front (madds:min, params:max)" in (target / "summary.md").read_text()
    assert (target / "sweep.csv").read_text().count("\n") == 1 + 6
    code, _, _ = run("sweep", SPEC, "--grid", "g=3", "--report", str(target))
    assert code == 0 and (target / "sweep.csv").read_text().count("\n") == 1 + 1
    assert sorted(os.listdir(tmp_path)) == ["rep"]  # no staging directory left


def test_report_refuses_a_directory_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run("sweep", SPEC, "--grid", "g=3", "--report", str(tmp_path))
    assert code == 2 and "holds other files (notes.txt)" in err
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_interrupted_report_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           family) -> None:
    from cost.render import html as report

    calls = []

    def interrupted(self: Path, text: str, encoding: str = "utf-8") -> int:
        calls.append(self.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return Path.write_bytes(self, text.encode(encoding))

    result = sweep(family, {"g": (3,)})
    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(result, tmp_path / "rep")
    assert calls and os.listdir(tmp_path) == []


def test_progress_bar_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from cost.design import sweep as sweep_module

    bar = sweep_module._progress(sweep_module.PROGRESS_MIN, None)
    assert bar is not None and bar.disable  # stderr is captured, not a TTY
    bar.close()
    assert sweep_module._progress(sweep_module.PROGRESS_MIN - 1, None) is None
    assert capsys.readouterr().err == ""
