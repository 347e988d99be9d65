"""The numpy reference forward (cost.reference.forward, Op.forward, cost.ops.kernels) and `cost
check`,
without PyTorch: kernels against direct-loop oracles written from the definitions, property
tests of shapes and executed madds against the shape rules and formulas, and every bundled spec
passing the check. tests/test_torch_oracle.py compares the same kernels with PyTorch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from spec_cases import case_id, cases, full_resolution, name, smallest

import cost
from cost.cli.main import main
from cost.errors import ShapeError, SpecError
from cost.ops import get
from cost.ops.conv import Conv
from cost.ops.kernels import Tally
from cost.ops.norm import EPS
from cost.reference import forward as reference
from cost.symbolic import Checker

RNG = np.random.default_rng(20240601)

TINY = """\
spec: 1
name: tiny
symbols:
  n: {default: 1, doc: batch}
  r: {default: 8, doc: resolution}
input: [n, 4, r, r]
network:
  - {id: split, op: channel_split}                    # 2 × (n, 2, r, r)
  - {id: a, op: conv, in: split.0, out: 2, k: 3, pad: 1}
  - {op: bn}
  - {op: concat, in: [prev, split.1]}
  - {op: global_avgpool}
  - {op: flatten}
  - {id: fc, op: linear, out: 3}
"""
# conv a: r·r · k²·cin·cout = 8·8 · 3·3·2 · 2; fc: n · fin · out = 1 · 4 · 3
TINY_MADDS = 8 * 8 * 3 * 3 * 2 * 2 + 4 * 3


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def run_op(op: object, *xs: np.ndarray, **weights: np.ndarray) -> tuple[tuple, Tally]:
    tally = Tally()
    return op.forward(list(xs), weights, tally), tally


# --- oracles written from the definitions, with loops (tiny sizes only) ----------------------


def conv_oracle(x: np.ndarray, w: np.ndarray, stride: int, pad: int, dilation: int,
                groups: int) -> np.ndarray:
    """out[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · xpad[n, gi·cg + c, i·s + a·d, j·s + b·d]."""
    n, cin, h, wd = x.shape
    cout, cg, k, _ = w.shape
    xp = np.zeros((n, cin, h + 2 * pad, wd + 2 * pad), np.float64)
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    ho = (h + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    wo = (wd + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((n, cout, ho, wo))
    for o in range(cout):
        g = o // (cout // groups)
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * stride:i * stride + dilation * (k - 1) + 1:dilation,
                           j * stride:j * stride + dilation * (k - 1) + 1:dilation]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return out


def pool_oracle(x: np.ndarray, k: int, s: int, p: int, ceil_mode: bool, kind: str) -> np.ndarray:
    """PyTorch's documented pooling: windows start at i·s − p; with ceil_mode the last may
    overhang, unless it would start in the right padding; the average divides by the window
    clipped to the padded map (count_include_pad=True)."""
    n, c, h, w = x.shape

    def size(length: int) -> int:
        span = length + 2 * p - k
        out = (-(-span // s) if ceil_mode else span // s) + 1
        return out - 1 if ceil_mode and (out - 1) * s >= length + p else out

    ho, wo = size(h), size(w)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            h0, w0 = i * s - p, j * s - p
            h1, w1 = min(h0 + k, h + p), min(w0 + k, w + p)
            window = x[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)]
            if kind == "max":
                out[:, :, i, j] = window.max(axis=(2, 3))
            else:
                out[:, :, i, j] = window.sum(axis=(2, 3)) / ((h1 - h0) * (w1 - w0))
    return out


CONVS = [  # (cin, cout, k, stride, pad, dilation, groups)
    (3, 4, 3, 1, 1, 1, 1),
    (4, 6, 3, 2, 1, 1, 2),      # grouped, strided
    (6, 6, 3, 1, 2, 2, 6),      # depthwise, dilated
    (6, 12, 5, 2, 2, 1, 6),     # depthwise with multiplier 2
    (4, 4, 1, 1, 0, 1, 4),
    (2, 3, 2, 3, 0, 1, 1),      # even kernel, stride > kernel
]


@pytest.mark.parametrize("cin,cout,k,stride,pad,dilation,groups", CONVS)
def test_conv_matches_direct_loops(cin: int, cout: int, k: int, stride: int, pad: int,
                                   dilation: int, groups: int) -> None:
    x, w = randn(2, cin, 9, 10), randn(cout, cin // groups, k, k)
    op = Conv(out=cout, k=k, stride=stride, pad=pad, dilation=dilation, groups=groups)
    (y,), _ = run_op(op, x, weight=w)
    np.testing.assert_allclose(y, conv_oracle(x, w, stride, pad, dilation, groups),
                               rtol=1e-5, atol=1e-5)


def test_conv_bias_is_added_per_output_channel() -> None:
    x, w, b = randn(1, 2, 5, 5), randn(3, 2, 3, 3), randn(3)
    (y,), _ = run_op(Conv(out=3, k=3, bias=True), x, weight=w, bias=b)
    np.testing.assert_allclose(y, conv_oracle(x, w, 1, 0, 1, 1) + b[:, None, None], rtol=1e-5,
                               atol=1e-5)


POOLS = [  # (k, stride, pad, ceil_mode, h, w)
    (3, 2, 1, False, 112, 112),  # ShuffleNet's pool1 and shortcut
    (3, 2, 0, True, 13, 13),     # SqueezeNet's ceil_mode pools: 13 -> 6
    (2, 2, 1, True, 5, 6),       # the last ceil window would start in the padding: dropped
    (3, 3, 1, True, 7, 8),
    (2, 1, 0, False, 4, 4),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,stride,pad,ceil_mode,h,w", POOLS)
def test_pooling_matches_direct_loops(kind: str, k: int, stride: int, pad: int, ceil_mode: bool,
                                      h: int, w: int) -> None:
    x = randn(1, 3, h, w)
    op = get(f"{kind}pool")(k=k, stride=stride, pad=pad, ceil_mode=ceil_mode)
    (y,), tally = run_op(op, x)
    np.testing.assert_allclose(y, pool_oracle(x, k, stride, pad, ceil_mode, kind), rtol=1e-5,
                               atol=1e-6)
    assert tally.madds == 0  # sums and maxima are not contractions


def adaptive_pool_oracle(x: np.ndarray, size: int) -> np.ndarray:
    """PyTorch's documented adaptive average: output (i, j) is the mean of rows
    [floor(i·h/size), ceil((i+1)·h/size)) and columns [floor(j·w/size), ceil((j+1)·w/size))."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, size, size))
    for i in range(size):
        for j in range(size):
            h0, h1 = i * h // size, -(-(i + 1) * h // size)
            w0, w1 = j * w // size, -(-(j + 1) * w // size)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].astype(np.float64).mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("h,w,size", [
    (7, 7, 3),    # bins [0,3) [2,5) [4,7): overlapping
    (13, 13, 6),  # AlexNet at r = 256+: lengths 3 and 4, overlapping
    (5, 5, 6),    # upsampling: bins of 1 and 2 inputs repeat rows
    (1, 1, 6),    # one input copied to every output
    (6, 6, 6),    # identity
    (10, 7, 4),   # non-square map
    (8, 8, 1),    # global average
])
def test_adaptive_avgpool_matches_direct_loops(h: int, w: int, size: int) -> None:
    x = randn(2, 3, h, w)
    (y,), tally = run_op(get("adaptive_avgpool")(size=size), x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, adaptive_pool_oracle(x, size), rtol=1e-5, atol=1e-6)
    assert tally.madds == 0  # sums and one divide: not contractions


def test_adaptive_avgpool_of_one_is_the_global_average() -> None:
    x = randn(2, 4, 9, 5)
    (a,), _ = run_op(get("adaptive_avgpool")(size=1), x)
    (g,), _ = run_op(get("global_avgpool")(), x)
    np.testing.assert_allclose(a, g, rtol=1e-5, atol=1e-6)


def test_avgpool_divisor_counts_padding() -> None:
    (y,), _ = run_op(get("avgpool")(k=3, stride=2, pad=1), np.ones((1, 1, 4, 4), np.float32))
    # corner window: 2×2 real ones of a 3×3 window that includes padding -> 4/9
    assert y[0, 0, 0, 0] == pytest.approx(4 / 9)


def test_channel_shuffle_is_the_papers_transpose() -> None:
    n, c, g = 2, 12, 3
    x = randn(n, c, 2, 3)
    (y,), _ = run_op(get("channel_shuffle")(groups=g), x)
    # reshape (g, c/g), transpose, flatten: output channel j·g + i is input channel i·(c/g) + j
    source = [(o % g) * (c // g) + o // g for o in range(c)]
    np.testing.assert_array_equal(y, x[:, source])
    (back,), _ = run_op(get("channel_shuffle")(groups=c // g), y)  # shuffling by c/g undoes it
    np.testing.assert_array_equal(back, x)


def test_channel_split_then_concat_is_the_identity() -> None:
    x = randn(2, 6, 3, 3)
    parts, _ = run_op(get("channel_split")(parts=3), x)
    assert [p.shape for p in parts] == [(2, 2, 3, 3)] * 3
    np.testing.assert_array_equal(parts[1], x[:, 2:4])
    (y,), _ = run_op(get("concat")(), *parts)
    np.testing.assert_array_equal(y, x)


def test_bn_uses_running_statistics() -> None:
    x = randn(2, 3, 4, 4)
    w, b = np.float32([1, 2, 3]), np.float32([0, 1, -1])
    mean, var = np.float32([0.5, -1, 2]), np.float32([1, 4, 0.25])
    (y,), tally = run_op(get("bn")(), x, weight=w, bias=b, running_mean=mean, running_var=var)
    c = (slice(None), None, None)
    expected = (x - mean[c]) / np.sqrt(var[c] + EPS) * w[c] + b[c]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert tally.madds == 0  # folded into the conv before it: element-wise, not a contraction


@pytest.mark.parametrize("name,formula", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("relu6", lambda x: np.minimum(np.maximum(x, 0), 6)),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("hard_sigmoid", lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6),
    ("hard_swish", lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6),
    ("dropout", lambda x: x),
])
def test_activations_follow_their_formulas(name: str, formula) -> None:
    x = np.linspace(-100, 100, 4001, dtype=np.float32).reshape(1, 1, 1, -1)
    (y,), _ = run_op(get(name)(), x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, formula(x.astype(np.float64)), rtol=1e-6, atol=1e-7)


def test_add_and_mul_broadcast_like_the_shape_rule() -> None:
    x, gate = randn(2, 4, 3, 3), randn(2, 4, 1, 1)
    (y,), _ = run_op(get("mul")(), x, gate)
    np.testing.assert_array_equal(y, x * gate)
    (z,), _ = run_op(get("add")(), x, x, x)
    np.testing.assert_allclose(z, 3 * x, rtol=1e-6)


def test_linear_and_flatten() -> None:
    x, w, b = randn(2, 3, 2, 2), randn(5, 12), randn(5)
    (flat,), _ = run_op(get("flatten")(), x)
    (y,), tally = run_op(get("linear")(out=5), flat, weight=w, bias=b)
    np.testing.assert_allclose(y, x.reshape(2, 12) @ w.T + b, rtol=1e-5, atol=1e-6)
    assert tally.madds == 2 * 12 * 5  # n · fin · out


def test_tally_counts_the_operands_of_each_product() -> None:
    t = Tally()
    t.matmul(randn(4, 3, 5), randn(5, 2))   # batch 4 · (3×5)(5×2)
    t.matmul(randn(2, 1, 6, 7), randn(3, 7, 1))  # broadcast batch 2·3 · (6×7)(7×1)
    assert t.madds == 4 * 3 * 5 * 2 + 2 * 3 * 6 * 7 * 1
    with pytest.raises(ValueError):
        t.matmul(randn(2, 3), randn(4, 2))


# --- properties: the forward's shapes and madds are the shape rules' and the formulas' ---------


@st.composite
def conv_cases(draw: st.DrawFn) -> tuple[Conv, tuple[int, int, int, int]]:
    groups = draw(st.sampled_from(["one", "some", "depthwise"]))
    g = 1 if groups == "one" else draw(st.integers(2, 4))
    cin = g * draw(st.integers(1, 3))
    cout = cin * draw(st.integers(1, 2)) if groups == "depthwise" else g * draw(st.integers(1, 3))
    k, stride, dilation = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pad = draw(st.integers(0, k))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    assume(min(h, w) + 2 * pad >= dilation * (k - 1) + 1)
    op = Conv(out=cout, k=k, stride=stride, pad=pad, dilation=dilation,
              groups="depthwise" if groups == "depthwise" else g, bias=draw(st.booleans()))
    return op, (draw(st.integers(1, 2)), cin, h, w)


@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_conv_forward_agrees_with_shape_rule_and_madds(case: tuple) -> None:
    op, shape = case
    ys = op.outputs([shape], Checker())
    weights = {name: randn(*s) for name, s in op.weights([shape]).items()}
    out, tally = run_op(op, randn(*shape), **weights)
    assert tuple(y.shape for y in out) == ys
    assert tally.madds == op.madds([shape], ys)


@st.composite
def pool_cases(draw: st.DrawFn) -> tuple[object, tuple[int, int, int, int]]:
    k = draw(st.integers(1, 5))
    stride = draw(st.none() | st.integers(1, 4))
    pad = draw(st.integers(0, k // 2))  # PyTorch's limit: a window always holds a real element
    h, w = draw(st.integers(1, 14)), draw(st.integers(1, 14))
    assume(min(h, w) + 2 * pad >= k)
    op = get(draw(st.sampled_from(["maxpool", "avgpool"])))(
        k=k, stride=stride, pad=pad, ceil_mode=draw(st.booleans()))
    return op, (1, draw(st.integers(1, 3)), h, w)


@settings(max_examples=150, deadline=None)
@given(pool_cases())
def test_pool_forward_agrees_with_shape_rule(case: tuple) -> None:
    op, shape = case
    (y,), tally = run_op(op, randn(*shape))
    assert (y.shape,) == op.outputs([shape], Checker())
    assert np.isfinite(y).all()  # no window lies wholly in the padding
    assert tally.madds == op.madds([shape], [y.shape]) == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 14), st.integers(1, 14), st.integers(1, 9), st.integers(1, 3))
def test_adaptive_pool_forward_agrees_with_shape_rule(h: int, w: int, size: int, c: int) -> None:
    op, shape = get("adaptive_avgpool")(size=size), (1, c, h, w)
    x = randn(*shape)
    (y,), tally = run_op(op, x)
    assert (y.shape,) == op.outputs([shape], Checker())
    np.testing.assert_allclose(y, adaptive_pool_oracle(x, size), rtol=1e-5, atol=1e-6)
    assert tally.madds == op.madds([shape], [y.shape]) == 0


# --- cost.reference.forward: the Python API ------------------------------------------------------


def test_forward_returns_output_and_activations(tiny: Path) -> None:
    y, acts = reference.forward(tiny, activations=True)
    assert y.shape == (1, 3) and y.dtype == np.float32
    assert list(acts) == ["split.0", "split.1", "a", "bn", "concat", "global_avgpool",
                          "flatten", "fc"]
    np.testing.assert_array_equal(acts["fc"], y)
    np.testing.assert_array_equal(acts["concat"][:, 2:], acts["split.1"])


def test_forward_is_seeded(tiny: Path) -> None:
    np.testing.assert_array_equal(reference.forward(tiny, seed=3), reference.forward(tiny, seed=3))
    assert not np.array_equal(reference.forward(tiny, seed=3), reference.forward(tiny, seed=4))


def test_given_weights_and_input_are_used(tiny: Path) -> None:
    bias = np.float32([1, 2, 3])
    y = reference.forward(tiny, weights={"fc": {"weight": np.zeros((3, 4)), "bias": bias}})
    np.testing.assert_array_equal(y, bias[None])
    run = reference.run(tiny, np.zeros((1, 4, 8, 8)), activations=True)
    assert run.weights["a"]["weight"].shape == (2, 2, 3, 3)  # as Conv.weights declares
    np.testing.assert_array_equal(run.activations["a"], 0)  # no bias: zeros in, zeros out


def test_bn_statistics_are_calibrated_on_the_input(tiny: Path) -> None:
    run = reference.run(tiny, activations=True)
    a, stats = run.activations["a"], run.weights["bn"]
    np.testing.assert_allclose(stats["running_mean"], [a.mean()] * 2, rtol=1e-5)
    np.testing.assert_allclose(stats["running_var"], a.var(axis=(0, 2, 3)) + a.var(), rtol=1e-5)


def test_forward_errors_are_user_errors(tiny: Path) -> None:
    with pytest.raises(ShapeError, match=r"weights\['fc'\]\['weight'\] has shape \[4, 3\]"):
        reference.forward(tiny, weights={"fc": {"weight": np.zeros((4, 3)), "bias": np.zeros(3)}})
    with pytest.raises(ShapeError, match="has no 'bias'"):
        reference.forward(tiny, weights={"fc": {"weight": np.zeros((3, 4))}})
    with pytest.raises(SpecError, match="unknown layer 'fcc'"):
        reference.forward(tiny, weights={"fcc": {}})
    with pytest.raises(ShapeError, match=r"input has shape \[1, 4, 9, 9\]"):
        reference.forward(tiny, x=np.zeros((1, 4, 9, 9)))
    with pytest.raises(SpecError, match="r are free"):
        reference.forward(cost.load(tiny, keep=("r",)))


# --- the check --------------------------------------------------------------------------------


def test_check_counts_the_executed_madds(tiny: Path) -> None:
    report = reference.check(tiny)
    assert report.ok and report.layers_checked == 7
    assert report.madds_executed == report.madds_counted == TINY_MADDS
    assert report.peak_bytes > 4 * 8 * 8 * 4  # at least the float32 input


def test_check_names_the_first_layer_whose_madds_disagree(tiny: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    formula = Conv.madds
    monkeypatch.setattr(Conv, "madds", lambda self, xs, ys: formula(self, xs, ys) + 1)
    report = reference.check(tiny)
    (m,) = report.mismatches
    assert (m.path, m.what, m.engine, m.forward) == ("a", "madds", 8 * 8 * 3 * 3 * 2 * 2 + 1,
                                                     8 * 8 * 3 * 3 * 2 * 2)


def test_check_reports_a_wrong_shape_rule_then_stops(tiny: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pool = type(get("global_avgpool")())
    monkeypatch.setattr(pool, "output", lambda self, xs, check: (*xs[0][:2], 2, 2))
    report = reference.check(tiny)
    first = report.mismatches[0]
    assert (first.path, first.what, first.engine, first.forward) == (
        "global_avgpool", "shape", (1, 4, 2, 2), (1, 4, 1, 1))
    # flatten follows the wrong rule too; fc's weights were sized for 4·2·2 features, the
    # kernel gets 4: it fails and the check stops there
    assert [(m.path, m.what) for m in report.mismatches] == [
        ("global_avgpool", "shape"), ("flatten", "shape"), ("fc", "inputs")]
    assert (report.mismatches[2].engine, report.mismatches[2].forward) == ((1, 16), (1, 4))
    assert report.layers_checked == 6


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_spec_passes_the_check_at_small_resolution(case: tuple) -> None:
    report = reference.check(smallest(*case))
    assert report.ok, str(report.mismatches[0])
    assert report.madds_executed == report.madds_counted > 0


@pytest.mark.parametrize("path", full_resolution(), ids=name)
def test_small_specs_pass_the_check_at_their_own_resolution(path: Path) -> None:
    report = reference.check(cost.load(path))
    assert report.ok, str(report.mismatches[0])


# --- the command line -------------------------------------------------------------------------


def test_cli_check_json(tiny: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tiny), "--batch", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["spec", "bindings", "layers_checked", "madds_executed",
                          "madds_counted", "forward_seconds", "peak_bytes", "mismatches"]
    assert data["bindings"] == {"n": 2, "r": 8}
    assert data["madds_executed"] == data["madds_counted"] == 2 * TINY_MADDS
    assert data["mismatches"] == []


def test_cli_check_table(tiny: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tiny), "--set", "r=6", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "7: every output shape and madds count agrees" in result.output
    six = 6 * 6 * 3 * 3 * 2 * 2 + 4 * 3  # conv a on 6×6, fc
    assert f"{six:,} executed, {six:,} counted" in result.output


def test_cli_check_exits_2_naming_the_layer(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    formula = Conv.madds
    monkeypatch.setattr(Conv, "madds", lambda self, xs, ys: formula(self, xs, ys) * 2)
    result = CliRunner().invoke(main, ["check", str(tiny), "--format", "json"])
    assert result.exit_code == 2
    assert "error: a (conv): madds is 4608 by the engine but 2304 in the forward" in result.stderr
    assert json.loads(result.stdout)["mismatches"][0]["path"] == "a"


def test_cli_check_user_errors(tiny: Path, tmp_path: Path) -> None:
    no_batch = tmp_path / "no_batch.yaml"
    no_batch.write_text(TINY.replace("  n: {default: 1, doc: batch}\n", "")
                        .replace("input: [n, 4, r, r]", "input: [1, 4, r, r]"))
    result = CliRunner().invoke(main, ["check", str(no_batch), "--batch", "2"])
    assert result.exit_code == 2 and "does not declare" in result.stderr
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["check", str(tiny), "--batch", "2", "--set", "n=3"])
    assert result.exit_code == 2 and "disagree" in result.stderr


def test_blas_threads_are_set_for_the_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    """`cost check` was slow because OpenBLAS ran its default threads against each other; the
    forward now runs with `threads` BLAS threads (default `DEFAULT_THREADS`, measured fastest)."""
    import tomllib
    from threadpoolctl import threadpool_info

    from cost.cli.check import check_command

    seen: list[int] = []

    class Watching(Tally):
        def __init__(self) -> None:
            super().__init__()
            seen.append(max(p["num_threads"] for p in threadpool_info()))

    before = [p["num_threads"] for p in threadpool_info()]
    monkeypatch.setattr(reference, "Tally", Watching)
    spec = str(Path(__file__).resolve().parent.parent / "specs" / "squeezenet_v1_1.yaml")
    reference.check(spec)
    assert seen and set(seen) == {reference.DEFAULT_THREADS}
    seen.clear()
    reference.run(spec, threads=2)
    assert set(seen) == {min(2, max(before))}
    assert [p["num_threads"] for p in threadpool_info()] == before  # restored afterwards
    option = next(o for o in check_command.params if o.name == "threads")
    assert option.default == reference.DEFAULT_THREADS
    result = CliRunner().invoke(check_command, [spec, "--threads", "1"])
    assert result.exit_code == 0, result.output
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())["project"]
    assert any(d.startswith("threadpoolctl") for d in project["dependencies"])
