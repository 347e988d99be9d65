"""Each op's shape rule and costs on hand-derived numbers (arithmetic + derivation comments)."""

from __future__ import annotations

import pytest

from cost import ops
from cost.errors import ShapeError, UnknownOpError
from cost.measures import Cost
from cost.symbolic import Checker


def run(name: str, xs: list[tuple], **args) -> tuple[tuple, Cost]:
    op = ops.get(name)(**args)
    ys = op.outputs(xs, Checker())
    return ys, op.cost(xs, ys)


def test_grouped_pointwise_conv() -> None:
    x = (1, 240, 28, 28)
    (y,), c = run("conv", [x], out=240, k=1, groups=3)
    assert y == (1, 240, 28, 28)
    assert c.madds == 28 * 28 * 240 * 240 // 3        # h·w · cin · cout / g
    assert c.params == 240 * 240 // 3                 # cin/g · cout
    assert c.mem == 2 * 240 * 28 * 28 + 240 * 240 // 3  # ShuffleNet V2 Eq. 2: hw(c1+c2) + c1c2/g


def test_depthwise_stride2_conv_with_bias() -> None:
    (y,), c = run("conv", [(2, 60, 56, 56)], k=3, stride=2, pad=1, groups="depthwise", bias=True)
    assert y == (2, 60, 28, 28)                       # floor((56 + 2 − 3)/2) + 1 = 28
    assert c.madds == 2 * 28 * 28 * 9 * 60            # n·h'·w' · k² · (cin/g = 1) · cout
    assert c.params == 9 * 60 + 60                    # k²·1·cout weights + cout biases


def test_dilated_conv_shape() -> None:
    (y,), _ = run("conv", [(1, 8, 32, 32)], out=8, k=3, pad=2, dilation=2)
    assert y == (1, 8, 32, 32)                        # 32 + 4 − 2·2 − 1 + 1 = 32


def test_groups_must_divide_channels() -> None:
    with pytest.raises(ShapeError, match="groups=3 must divide in-channels 16"):
        run("conv", [(1, 16, 8, 8)], out=12, k=1, groups=3)


def test_linear() -> None:
    (y,), c = run("linear", [(4, 960)], out=1000)
    assert y == (4, 1000)
    assert c.madds == 4 * 960 * 1000                  # n · fin · out
    assert c.params == 960 * 1000 + 1000              # weight + bias (torch default)
    assert c.mem == 4 * 960 + c.params + 4 * 1000     # input + weights in, output out


def test_linear_needs_flatten() -> None:
    with pytest.raises(ShapeError, match="flatten"):
        run("linear", [(1, 960, 1, 1)], out=10)


def test_bn_params_and_traffic() -> None:
    (y,), c = run("bn", [(1, 24, 112, 112)])
    assert c.madds == 0 and c.params == 2 * 24        # scale and shift; folded: 0 madds
    assert c.mem == 2 * 24 * 112 * 112 + 2 * 24


@pytest.mark.parametrize("name", ["relu", "relu6", "sigmoid", "hard_sigmoid", "hard_swish"])
def test_activations_are_traffic_only(name: str) -> None:
    (y,), c = run(name, [(1, 16, 7, 7)])
    assert y == (1, 16, 7, 7) and c == Cost(0, 0, 16 * 49, 16 * 49)


def test_views_move_nothing() -> None:
    (y,), c = run("flatten", [(2, 960, 1, 1)])
    assert y == (2, 960) and c == Cost()
    (y,), c = run("dropout", [(2, 1280)], p=0.2)
    assert y == (2, 1280) and c == Cost()


def test_pooling_shapes() -> None:
    (y,), c = run("maxpool", [(1, 24, 112, 112)], k=3, stride=2, pad=1)
    assert y == (1, 24, 56, 56) and c.madds == 0
    (y,), _ = run("maxpool", [(1, 96, 111, 111)], k=3, stride=2, ceil_mode=True)
    assert y == (1, 96, 55, 55)                       # ceil((111 − 3)/2) + 1 = 55 (SqueezeNet)
    (y,), _ = run("maxpool", [(1, 96, 112, 112)], k=3, stride=2, ceil_mode=True)
    assert y == (1, 96, 56, 56)                       # ceil(109/2) + 1 = 56, last window inside
    (y,), _ = run("avgpool", [(1, 8, 8, 8)], k=2)
    assert y == (1, 8, 4, 4)                          # stride defaults to k
    (y,), _ = run("global_avgpool", [(1, 960, 7, 7)])
    assert y == (1, 960, 1, 1)


def test_adaptive_avgpool() -> None:
    (y,), c = run("adaptive_avgpool", [(2, 256, 13, 13)], size=6)
    assert y == (2, 256, 6, 6)                        # any map: (n, c, size, size)
    assert c == Cost(madds=0, params=0, mem_read=2 * 256 * 13 * 13, mem_write=2 * 256 * 6 * 6)
    (y,), c = run("adaptive_avgpool", [(1, 8, 5, 3)], size=6)
    assert y == (1, 8, 6, 6)                          # upsampling: bins repeat inputs
    assert c.mem == 8 * 5 * 3 + 8 * 6 * 6             # input read, output written
    with pytest.raises(ShapeError, match="4-d input"):
        run("adaptive_avgpool", [(1, 960)], size=1)


def test_concat_and_split() -> None:
    (y,), c = run("concat", [(1, 24, 28, 28), (1, 216, 28, 28)])
    assert y == (1, 240, 28, 28)
    assert c.mem == 2 * 240 * 28 * 28                 # pure data movement: read all, write all
    ys, c = run("channel_split", [(1, 116, 28, 28)])
    assert ys == ((1, 58, 28, 28), (1, 58, 28, 28))
    assert c.mem == 2 * 116 * 28 * 28


def test_add_and_broadcast_mul() -> None:
    (y,), c = run("add", [(1, 240, 28, 28), (1, 240, 28, 28)])
    assert y == (1, 240, 28, 28) and c.mem == 3 * 240 * 28 * 28
    (y,), c = run("mul", [(1, 72, 28, 28), (1, 72, 1, 1)])  # squeeze-excitation gate
    assert y == (1, 72, 28, 28) and c.mem == 2 * 72 * 28 * 28 + 72
    with pytest.raises(ShapeError, match="add inputs differ in dimension c: 240 != 120"):
        run("add", [(1, 240, 28, 28), (1, 120, 28, 28)])


def test_channel_shuffle() -> None:
    (y,), c = run("channel_shuffle", [(1, 60, 56, 56)], groups=3)
    assert y == (1, 60, 56, 56) and c.madds == 0 and c.mem == 2 * 60 * 56 * 56
    with pytest.raises(ShapeError, match="groups=7 must divide channels 60"):
        run("channel_shuffle", [(1, 60, 56, 56)], groups=7)


def test_registry() -> None:
    assert {"conv", "linear", "bn", "relu", "relu6", "sigmoid", "hard_sigmoid", "hard_swish",
            "maxpool", "avgpool", "adaptive_avgpool", "global_avgpool", "add", "mul", "concat",
            "channel_split", "channel_shuffle", "flatten", "dropout"} <= set(ops.names())
    with pytest.raises(UnknownOpError, match="did you mean 'channel_shuffle'"):
        ops.get("chanel_shuffle")
    with pytest.raises(ValueError, match="duplicate registration of op 'conv'"):
        ops.register("conv")(type("Again", (ops.Op,), {}))


def test_every_op_declares_a_kind() -> None:
    """The kind each op declares (cost.ops.base.KINDS): what the conventions count it by, and
    what `elementwise` and `view` follow from."""
    kinds = {name: ops.get(name).kind for name in ops.names()}
    assert set(kinds.values()) <= set(ops.KINDS)
    assert {name: kinds[name] for name in (
        "conv", "linear", "bn", "relu", "hard_swish", "maxpool", "avgpool", "adaptive_avgpool",
        "global_avgpool", "add", "mul", "concat", "channel_split", "channel_shuffle", "flatten",
        "dropout", "silu", "swish", "gelu", "layernorm", "upsample", "conv_transpose")} == {
        "conv": "contraction", "linear": "contraction", "bn": "norm", "relu": "activation",
        "hard_swish": "activation", "maxpool": "pool", "avgpool": "pool",
        "adaptive_avgpool": "adaptive_pool", "global_avgpool": "global_pool",
        "add": "elementwise_binary", "mul": "elementwise_binary", "concat": "data_movement",
        "channel_split": "data_movement", "channel_shuffle": "data_movement", "flatten": "view",
        "dropout": "view", "silu": "activation", "swish": "activation", "gelu": "activation",
        "layernorm": "norm", "upsample": "resample", "conv_transpose": "contraction"}
    elementwise = {name for name in ops.names() if ops.get(name).elementwise}
    assert elementwise == {"bn", "relu", "relu6", "sigmoid", "hard_sigmoid", "hard_swish", "add",
                           "mul", "silu", "swish", "gelu", "layernorm"}
    assert {name for name in ops.names() if ops.get(name).view} == {"flatten", "dropout"}


def test_what_guidelines_and_fusion_ask_of_an_op() -> None:
    conv, linear = ops.get("conv"), ops.get("linear")
    x = [(1, 8, 10, 10)]
    assert conv(k=1, groups=2).is_pointwise() and not conv(k=3).is_pointwise()
    assert conv(k=3, groups="depthwise").is_depthwise(x) and conv(k=3, groups=8).is_depthwise(x)
    assert conv(out=16, k=3, groups=8).is_depthwise(x)      # depth multiplier 2: still cin/g = 1
    assert not conv(k=3, groups=4).is_depthwise(x)
    assert not linear(out=3).is_pointwise() and not ops.get("maxpool")(k=1).is_pointwise()
    assert conv(k=3).with_bias() == conv(k=3, bias=True)
    biased = conv(k=3, bias=True)
    assert biased.with_bias() is biased and ops.get("bn")().with_bias() == ops.get("bn")()
    assert linear(out=3, bias=False).with_bias() == linear(out=3)


def test_doctests_of_the_ops() -> None:
    import doctest
    import importlib

    for name in ("base", "registry", "conv", "norm", "activation", "pool", "combine", "reshape",
                 "resample", "kernels"):
        module = importlib.import_module(f"cost.ops.{name}")
        assert doctest.testmod(module).failed == 0, name
