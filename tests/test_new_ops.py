"""The ops of issue 15 ("Breadth users expect") through the engine: silu (alias swish), gelu,
layernorm (both forms), upsample (nearest, bilinear; scale or size), conv_transpose, non-square
kernels/strides/pads (`k: [1, 7]`), and `pad: same`.

Shape rules, madds and params exactly and as closed forms in symbols (symbolic-then-bind equals
bind-then-walk), the errors a spec writer meets, the alias, `cost ops`, and the two small specs
of tests/specs/ run by the numpy forward (`cost check`) and against their torch modules.
The tools' counts are in tests/test_tools_agree.py, the op-by-op torch comparison in
tests/test_torch_oracle.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from spec_cases import numpy_and_torch

import cost
from cost import ops
from cost.cli.main import main
from cost.conventions import CONVENTIONS, count
from cost.errors import CostError, ShapeError, SpecError
from cost.reference import forward as reference

ROOT = Path(__file__).resolve().parent.parent
NEW_SPECS = [ROOT / "tests" / "specs" / "inception_factorized.yaml",
             ROOT / "tests" / "specs" / "convnext_decoder.yaml"]
NEW_OPS = {"silu", "swish", "gelu", "layernorm", "upsample", "conv_transpose"}


def net(tmp_path: Path, shape: str, *layers: str, symbols: str = "") -> cost.Profile:
    text = "\n".join(["spec: 1", "name: t", *([f"symbols:\n{symbols}"] if symbols else []),
                      f"input: {shape}", "network:", *(f"  - {x}" for x in layers)])
    path = tmp_path / "t.yaml"
    path.write_text(text + "\n")
    return cost.profile(cost.load(path, symbolic=bool(symbols)))


# --- shapes and costs ---------------------------------------------------------------------------


def test_non_square_conv_shape_madds_params(tmp_path: Path) -> None:
    p = net(tmp_path, "[1, 16, 17, 17]", "{op: conv, out: 32, k: [1, 7], pad: [0, 3]}",
            "{op: conv, k: [7, 1], stride: [2, 1], pad: [3, 0], bias: true}")
    a, b = p.layers
    assert a.out_shape == (1, 32, 17, 17) and b.out_shape == (1, 32, 9, 17)
    assert a.cost.madds == 17 * 17 * 7 * 16 * 32 and a.cost.params == 7 * 16 * 32
    assert b.cost.madds == 9 * 17 * 7 * 32 * 32 and b.cost.params == 7 * 32 * 32 + 32
    assert a.node.weights(a.in_shapes)["weight"] == (32, 16, 1, 7)


def test_a_pair_of_equal_values_is_the_value(tmp_path: Path) -> None:
    square = net(tmp_path, "[1, 8, 10, 10]", "{op: conv, k: [3, 3], pad: [1, 1]}")
    plain = net(tmp_path, "[1, 8, 10, 10]", "{op: conv, k: 3, pad: 1}")
    assert square.layers[0].node == plain.layers[0].node
    assert square.total == plain.total


def test_pad_same_keeps_the_size_and_splits_as_torch(tmp_path: Path) -> None:
    p = net(tmp_path, "[1, 4, 9, 8]", "{op: conv, out: 6, k: 4, pad: same}",
            "{op: conv, k: [3, 5], pad: same, dilation: [1, 2]}",
            "{op: avgpool, k: [3, 5], stride: 1, pad: same}")
    assert [la.out_shape for la in p.layers] == [(1, 6, 9, 8)] * 3
    assert p.layers[0].node.padding() == ((1, 1), (2, 2))  # 3 = 1 before + 2 after
    assert p.layers[1].node.padding() == ((1, 4), (1, 4))
    assert p.layers[0].cost.madds == 9 * 8 * 16 * 4 * 6


def test_conv_transpose_shape_madds_params(tmp_path: Path) -> None:
    p = net(tmp_path, "[2, 8, 7, 5]", "{op: conv_transpose, out: 12, k: 3, stride: 2, pad: 1, "
            "output_padding: 1, groups: 4, bias: true}")
    (la,) = p.layers
    assert la.out_shape == (2, 12, 14, 10)  # (7−1)·2 − 2 + 2 + 1 + 1
    assert la.cost.madds == 2 * 7 * 5 * 9 * 8 * 12 // 4  # input positions, as torch's counter
    assert la.cost.params == 8 * 3 * 9 + 12
    assert la.cost.mem_read == 2 * 8 * 7 * 5 + la.cost.params
    assert la.cost.mem_write == 2 * 12 * 14 * 10


def test_upsample_layernorm_activations(tmp_path: Path) -> None:
    p = net(tmp_path, "[1, 6, 5, 4]", "{op: upsample, scale: 2, mode: bilinear}",
            "{op: upsample, size: [7, 3]}", "{op: layernorm}",
            "{op: layernorm, data_format: channels_last}", "{op: gelu}", "{op: swish}")
    shapes = [la.out_shape for la in p.layers]
    assert shapes == [(1, 6, 10, 8), (1, 6, 7, 3), (1, 6, 7, 3), (1, 6, 7, 3), (1, 6, 7, 3),
                      (1, 6, 7, 3)]
    assert [la.cost.params for la in p.layers] == [0, 0, 12, 6, 0, 0]
    assert all(la.cost.madds == 0 for la in p.layers)
    assert p.layers[0].cost.mem == 6 * 5 * 4 + 6 * 10 * 8


def test_symbolic_closed_forms_bind_to_the_walk(tmp_path: Path) -> None:
    """Symbols through pairs, pad: same and conv_transpose stay exact: binding the closed form
    equals walking the bound spec."""
    text = "\n".join([
        "spec: 1", "name: t", "symbols:", "  r: {default: 12}", "  c: {default: 4}",
        "  k: {default: 5}", "  s: {default: 3}", "input: [1, 8, r, r]", "network:",
        "  - {op: conv, out: c, k: [1, k], pad: [0, k // 2]}", "  - {op: conv, k: 3, pad: same}",
        "  - {op: conv_transpose, k: [2, k], stride: 2}", "  - {op: upsample, scale: [2, s]}",
        "  - {op: layernorm}", "  - {op: maxpool, k: [1, k], stride: 1, pad: same}"])
    path = tmp_path / "sym.yaml"
    path.write_text(text + "\n")
    free = cost.profile(cost.load(path, symbolic=True))
    assert free.symbolic
    madds = free.layers[0].cost.madds  # r·r · k · 8 · c, a closed form
    assert not isinstance(madds, int)
    for values in ({"r": 12, "c": 4, "k": 5, "s": 3}, {"r": 9, "c": 6, "k": 3, "s": 1}):
        bound = free.subs(**values)
        walked = cost.profile(cost.load(path, **values))
        assert [la.out_shapes for la in bound.layers] == [la.out_shapes for la in walked.layers]
        assert [la.cost for la in bound.layers] == [la.cost for la in walked.layers]
        assert [la.node for la in bound.layers] == [la.node for la in walked.layers]
        r, c, k = values["r"], values["c"], values["k"]
        assert bound.layers[0].cost.madds == r * r * k * 8 * c


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer,message", [
    ("{op: conv, k: [1, 2, 3]}", "allowed: a value or a pair"),
    ("{op: conv, k: 3, stride: 2, pad: same}", "pad: same needs stride 1"),
    ("{op: maxpool, k: 2, stride: 1, pad: same}", "odd kernel"),
    ("{op: maxpool, k: 3, pad: same}", "pad: same needs stride 1"),
    ("{op: upsample, mode: cubic, scale: 2}", "allowed: nearest, bilinear"),
    ("{op: upsample}", "exactly one of scale and size"),
    ("{op: upsample, scale: 2, size: 4}", "exactly one of scale and size"),
    ("{op: layernorm, data_format: nhwc}", "allowed: channels_first, channels_last"),
    ("{op: conv_transpose, k: 3, stride: 2, output_padding: 2}", "output_padding 2 must be"),
    ("{op: conv, k: [1, 0]}", "must be at least 1"),
])
def test_what_a_spec_writer_is_told(tmp_path: Path, layer: str, message: str) -> None:
    with pytest.raises(CostError, match=message):
        net(tmp_path, "[1, 4, 6, 6]", layer)


def test_errors_are_spec_or_shape_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError):
        net(tmp_path, "[1, 4, 6, 6]", "{op: upsample, mode: cubic, scale: 2}")
    with pytest.raises(ShapeError):
        net(tmp_path, "[1, 4, 6, 6]", "{op: conv, k: 3, stride: 2, pad: same}")


# --- the alias, the registry and `cost ops` ---------------------------------------------------


def test_swish_is_silu_under_another_name(tmp_path: Path) -> None:
    assert ops.get("swish") is ops.get("silu") and ops.get("swish").name == "silu"
    p = net(tmp_path, "[2, 6, 7, 7]", "{op: swish}", "{op: silu}")
    assert [la.op for la in p.layers] == ["swish", "silu"]  # as the spec wrote them
    for name in CONVENTIONS:
        a, b = count(p, name).values
        assert a == b, name
    assert count(p, "ptflops").values[0] == 2 * 6 * 7 * 7  # F.silu, patched, not averaged


def test_cost_ops_lists_the_new_ops() -> None:
    assert NEW_OPS <= set(ops.names())
    out = CliRunner().invoke(main, ["ops"]).output
    for name in NEW_OPS:
        assert f"\n{name} " in f"\n{out}", name
    assert "also named swish" in out


# --- whole specs: the numpy forward and torch ----------------------------------------------------


@pytest.mark.parametrize("path", NEW_SPECS, ids=[p.stem for p in NEW_SPECS])
def test_numpy_forward_agrees_with_the_engine(path: Path) -> None:
    p = cost.profile(cost.load(path))
    report = reference.check(p)
    assert report.ok, report.mismatches
    assert report.madds_executed == p.total.madds > 0


@pytest.mark.parametrize("path", NEW_SPECS, ids=[p.stem for p in NEW_SPECS])
def test_numpy_forward_matches_torch(path: Path) -> None:
    pytest.importorskip("torch")
    ours, y = numpy_and_torch(reference.bound(path))
    np.testing.assert_allclose(ours, y, rtol=1e-4, atol=1e-4 * float(np.abs(y).max()))
