"""PyTorch as the independent oracle of the numpy reference forward.

Each op's `forward` against torch.nn.functional on random inputs (kernel sizes, strides,
paddings, dilations, groups 1 / g / depthwise, ceil_mode), and every bundled spec against the
`torch.nn.Module` that cost.reference.torch_module builds with the same weights: layer by layer on
the same
inputs (teacher forcing: each torch layer gets the numpy layer's inputs, so a difference points at
one kernel), and end to end. Tolerances are float32's: rtol 1e-4, atol 1e-5 (per layer) or 1e-4
(end to end) times the largest magnitude of the compared tensor.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from spec_cases import case_id, cases, smallest

from cost.ops import get
from cost.ops.conv import Conv
from cost.ops.kernels import Tally
from cost.reference import forward as reference
from cost.symbolic import Checker

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny tensors: threads only spin against numpy's BLAS threads
F = torch.nn.functional
RNG = np.random.default_rng(7)


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def close(actual: np.ndarray, expected: torch.Tensor | np.ndarray, atol: float = 1e-5) -> None:
    expected = expected.numpy() if isinstance(expected, torch.Tensor) else expected
    assert actual.shape == expected.shape
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=atol * max(scale, 1e-30))


def forward(op: object, *xs: np.ndarray, **weights: np.ndarray) -> tuple[np.ndarray, ...]:
    return op.forward(list(xs), weights, Tally())


# --- ops ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize("stride,pad,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 3, 1)])
@pytest.mark.parametrize("cin,cout,groups", [(6, 8, 1), (6, 9, 3), (6, 6, "depthwise"),
                                             (4, 8, "depthwise")])
def test_conv(k: int, stride: int, pad: int, dilation: int, cin: int, cout: int,
              groups: int | str) -> None:
    g = cin if groups == "depthwise" else groups
    x, w, b = randn(2, cin, 13, 11), randn(cout, cin // g, k, k), randn(cout)  # 11 >= 2·(7−1)+1−2·2
    op = Conv(out=cout, k=k, stride=stride, pad=pad, dilation=dilation, groups=groups, bias=True)
    (y,) = forward(op, x, weight=w, bias=b)
    close(y, F.conv2d(t(x), t(w), t(b), stride, pad, dilation, g))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,stride,pad", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (5, 3, 2), (3, 3, 0)])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("h,w", [(13, 13), (10, 7)])
def test_pooling(kind: str, k: int, stride: int, pad: int, ceil_mode: bool, h: int,
                 w: int) -> None:
    x = randn(2, 3, h, w)
    (y,) = forward(get(f"{kind}pool")(k=k, stride=stride, pad=pad, ceil_mode=ceil_mode), x)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d  # avg: count_include_pad=True
    close(y, pool(t(x), k, stride, pad, ceil_mode=ceil_mode))


@pytest.mark.parametrize("h,w,size", [
    (7, 7, 3), (13, 13, 6), (5, 5, 6), (1, 1, 6), (6, 6, 6), (8, 8, 7), (13, 10, 6), (3, 11, 4),
])  # overlapping bins, upsampling (5 -> 6, 1 -> 6), identity, VGG at r = 256, non-square
def test_adaptive_avgpool(h: int, w: int, size: int) -> None:
    x = randn(2, 3, h, w)
    (y,) = forward(get("adaptive_avgpool")(size=size), x)
    close(y, F.adaptive_avg_pool2d(t(x), size))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 16), st.integers(1, 16), st.integers(1, 10))
def test_random_adaptive_pools(h: int, w: int, size: int) -> None:
    x = randn(1, 2, h, w)
    (y,) = forward(get("adaptive_avgpool")(size=size), x)
    close(y, F.adaptive_avg_pool2d(t(x), size))


def test_global_avgpool_linear_flatten() -> None:
    x, w, b = randn(2, 5, 7, 7), randn(4, 5), randn(4)
    (pooled,) = forward(get("global_avgpool")(), x)
    close(pooled, F.adaptive_avg_pool2d(t(x), 1))
    (flat,) = forward(get("flatten")(), pooled)
    close(flat, torch.flatten(t(pooled), 1))
    (y,) = forward(get("linear")(out=4), flat, weight=w, bias=b)
    close(y, F.linear(t(flat), t(w), t(b)))


def test_bn_inference() -> None:
    x, w, b, mean = randn(2, 4, 5, 5), randn(4), randn(4), randn(4)
    var = RNG.uniform(0.1, 2, 4).astype(np.float32)
    (y,) = forward(get("bn")(), x, weight=w, bias=b, running_mean=mean, running_var=var)
    close(y, F.batch_norm(t(x), t(mean), t(var), t(w), t(b), training=False))


@pytest.mark.parametrize("name,oracle", [
    ("relu", F.relu), ("relu6", F.relu6), ("sigmoid", torch.sigmoid),
    ("hard_sigmoid", F.hardsigmoid), ("hard_swish", F.hardswish), ("silu", F.silu),
    ("swish", F.silu), ("gelu", F.gelu),
    ("dropout", lambda x: F.dropout(x, 0.5, training=False)),
])
def test_activations(name: str, oracle) -> None:
    edges = np.float32([-90, -6, -3, 0, 3, 6, 90])  # saturation and the kinks of relu6 & co.
    x = np.concatenate([randn(200) * 5, edges]).reshape(1, 1, 1, -1)
    (y,) = forward(get(name)(), x)
    close(y, oracle(t(x)), atol=1e-6)


def test_channel_ops() -> None:
    x = randn(2, 12, 3, 3)
    (shuffled,) = forward(get("channel_shuffle")(groups=3), x)
    close(shuffled, torch.nn.ChannelShuffle(3)(t(x)), atol=0)
    parts = forward(get("channel_split")(parts=2), x)
    for part, expected in zip(parts, torch.chunk(t(x), 2, dim=1), strict=True):
        close(part, expected, atol=0)
    (joined,) = forward(get("concat")(), *parts)
    close(joined, torch.cat(torch.chunk(t(x), 2, dim=1), 1), atol=0)


def test_add_mul() -> None:
    x, y, gate = randn(2, 4, 3, 3), randn(2, 4, 3, 3), randn(2, 4, 1, 1)
    close(forward(get("add")(), x, y)[0], t(x) + t(y))
    close(forward(get("mul")(), x, gate)[0], t(x) * t(gate))


@pytest.mark.parametrize("k,stride,pad,dilation", [
    ((1, 7), 1, (0, 3), 1), ((7, 1), 1, (3, 0), 1), ((3, 1), (2, 1), (1, 0), 1),
    ((2, 5), (1, 3), (1, 2), (2, 1)), (4, 1, "same", 1), (3, 1, "same", (2, 1)),
    ((2, 3), 1, "same", (1, 2)),
])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv_non_square_and_same(k: object, stride: object, pad: object, dilation: object,
                                  groups: int) -> None:
    x, b = randn(2, 4, 11, 10), randn(6)
    op = Conv(out=6, k=k, stride=stride, pad=pad, dilation=dilation, groups=groups, bias=True)
    w = randn(*op.weights([x.shape])["weight"])
    tally = Tally()
    (y,) = op.forward([x], {"weight": w, "bias": b}, tally)
    close(y, F.conv2d(t(x), t(w), t(b), stride, pad, dilation, groups))
    assert op.outputs([x.shape], Checker()) == (y.shape,)
    assert tally.madds == op.madds([x.shape], [y.shape])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,stride,pad,ceil_mode", [
    ((1, 3), (1, 2), (0, 1), False), ((3, 1), (2, 1), (1, 0), True), ((2, 3), None, 0, True),
    (3, 1, "same", False), ((5, 3), 1, "same", False),
])
def test_pooling_non_square_and_same(kind: str, k: object, stride: object, pad: object,
                                     ceil_mode: bool) -> None:
    x = randn(2, 3, 10, 9)
    op = get(f"{kind}pool")(k=k, stride=stride, pad=pad, ceil_mode=ceil_mode)
    (y,) = forward(op, x)
    k2, s2, p2, _ = op.window_args()
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    close(y, pool(t(x), k2, s2, p2, ceil_mode=ceil_mode))
    assert op.outputs([x.shape], Checker()) == (y.shape,)


@pytest.mark.parametrize("k,stride,pad,output_padding,dilation,groups", [
    (3, 2, 1, 1, 1, 1), (4, 2, 1, 0, 1, 2), (2, 2, 0, 0, 1, 2), (3, 1, 0, 0, 2, 1),
    ((2, 3), (2, 1), (0, 1), (1, 0), (1, 2), 2), (5, 3, 2, 2, 1, 1),
])
def test_conv_transpose(k: object, stride: object, pad: object, output_padding: object,
                        dilation: object, groups: int) -> None:
    op = get("conv_transpose")(out=6, k=k, stride=stride, pad=pad, output_padding=output_padding,
                               dilation=dilation, groups=groups, bias=True)
    x, b = randn(2, 4, 5, 7), randn(6)
    w = randn(*op.weights([x.shape])["weight"])
    tally = Tally()
    (y,) = op.forward([x], {"weight": w, "bias": b}, tally)
    close(y, F.conv_transpose2d(t(x), t(w), t(b), stride, pad, output_padding, groups,
                                dilation))
    assert op.outputs([x.shape], Checker()) == (y.shape,)
    assert tally.madds == op.madds([x.shape], [y.shape])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2), st.integers(1, 2), st.data())
def test_random_conv_transposes(g: int, k: int, stride: int, pad: int, dilation: int, n: int,
                                data: st.DataObject) -> None:
    cin, cout = g * data.draw(st.integers(1, 2)), g * data.draw(st.integers(1, 2))
    output_padding = data.draw(st.integers(0, max(stride, dilation) - 1))
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    full = [(s - 1) * stride + dilation * (k - 1) + 1 + output_padding for s in (h, w)]
    assume(min(full) > 2 * pad)
    op = get("conv_transpose")(out=cout, k=k, stride=stride, pad=pad,
                               output_padding=output_padding, dilation=dilation, groups=g)
    x = randn(n, cin, h, w)
    wt = randn(*op.weights([x.shape])["weight"])
    tally = Tally()
    (y,) = op.forward([x], {"weight": wt}, tally)
    close(y, F.conv_transpose2d(t(x), t(wt), None, stride, pad, output_padding, g, dilation))
    assert tally.madds == op.madds([x.shape], [y.shape])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale,size", [
    (2, None), ((3, 2), None), (1, None), (None, (9, 4)), (None, 20), (None, (14, 3)),
    (None, (5, 7)),
])  # 14 -> 20 on one axis: torch's float32 step 0.7 (below 7/10) moves a nearest index
def test_upsample(mode: str, scale: object, size: object) -> None:
    x = randn(2, 3, 14, 7)
    op = get("upsample")(scale=scale, size=size, mode=mode)
    (y,) = forward(op, x)
    factor = None if scale is None else tuple(float(v) for v in (scale if isinstance(
        scale, tuple) else (scale, scale)))
    expected = F.interpolate(t(x), size=size, scale_factor=factor, mode=mode,
                             align_corners=False if mode == "bilinear" else None)
    close(y, expected, atol=0 if mode == "nearest" else 1e-5)
    assert op.outputs([x.shape], Checker()) == (y.shape,)


@pytest.mark.parametrize("shape", [(2, 5, 4, 3), (3, 7)])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_layernorm(shape: tuple[int, ...], data_format: str) -> None:
    x = randn(*shape) * 3 + 1
    op = get("layernorm")(data_format=data_format)
    axis = 1 if data_format == "channels_first" else len(shape) - 1
    w, b = randn(shape[axis]), randn(shape[axis])
    (y,) = forward(op, x, weight=w, bias=b)
    moved = t(x).movedim(axis, -1)
    expected = F.layer_norm(moved, (shape[axis],), t(w), t(b), 1e-5).movedim(-1, axis)
    close(y, expected)
    module = op.torch_module(shape)
    with torch.no_grad():
        module.weight.copy_(t(w))
        module.bias.copy_(t(b))
        close(y, module(t(x)))


@st.composite
def conv_cases(draw: st.DrawFn) -> tuple[Conv, tuple[int, int, int, int]]:
    g = draw(st.integers(1, 3))
    depthwise = draw(st.booleans())
    cin = g * draw(st.integers(1, 3))
    cout = cin * draw(st.integers(1, 2)) if depthwise else g * draw(st.integers(1, 3))
    k, stride, dilation = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    pad = draw(st.integers(0, k))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    assume(min(h, w) + 2 * pad >= dilation * (k - 1) + 1)
    return (Conv(out=cout, k=k, stride=stride, pad=pad, dilation=dilation,
                 groups="depthwise" if depthwise else g), (draw(st.integers(1, 2)), cin, h, w))


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_random_convs(case: tuple) -> None:
    op, shape = case
    x = randn(*shape)
    w = randn(*op.weights([shape])["weight"])
    tally = Tally()
    (y,) = op.forward([x], {"weight": w}, tally)
    expected = F.conv2d(t(x), t(w), None, op.stride, op.pad, op.dilation,
                        op.group_count(shape[1]))
    close(y, expected)
    assert (tuple(expected.shape),) == op.outputs([shape], Checker())
    assert tally.madds == op.madds([shape], [y.shape])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.none() | st.integers(1, 4), st.data())
def test_random_pools(k: int, stride: int | None, data: st.DataObject) -> None:
    pad = data.draw(st.integers(0, k // 2))
    h, w = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    assume(min(h, w) + 2 * pad >= k)
    ceil_mode, kind = data.draw(st.booleans()), data.draw(st.sampled_from(["max", "avg"]))
    x = randn(1, 2, h, w)
    op = get(f"{kind}pool")(k=k, stride=stride, pad=pad, ceil_mode=ceil_mode)
    (y,) = forward(op, x)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    close(y, pool(t(x), k, stride or k, pad, ceil_mode=ceil_mode))


# --- whole networks ----------------------------------------------------------------------------

DEFAULTS = [case for case in cases() if case[1] is None]  # presets: cost check covers them


@pytest.mark.parametrize("case", DEFAULTS, ids=[case_id(c) for c in DEFAULTS])
def test_network_matches_pytorch(case: tuple) -> None:
    from cost.reference.torch_module import to_module

    p = reference.bound(smallest(*case))
    x = reference.random_input(p)
    run = reference.run(p, x, activations=True)
    net = to_module(p, run.weights)

    def key(source: tuple[int, int]) -> str:
        layer = p.layers[source[0]]
        return layer.path if len(layer.out_shapes) == 1 else f"{layer.path}.{source[1]}"

    with torch.no_grad():
        for i, (layer, module) in enumerate(zip(p.layers, net.layers, strict=True)):
            ins = [t(x if s == (-1, 0) else run.activations[key(s)]) for s in layer.sources]
            out = module(*ins)
            for j, expected in enumerate(out if isinstance(out, tuple) else (out,)):
                try:
                    close(run.activations[key((i, j))], expected)
                except AssertionError as e:
                    raise AssertionError(f"layer {key((i, j))} ({layer.op})\n{e}") from None
        close(run.output, net(t(x)), atol=1e-4)
