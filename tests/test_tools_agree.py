"""Each named convention of `cost.conventions` against the tool itself, on the same network.

For every bundled spec (and those of tests/specs/) the translator supports
(`cost.reference.torch_module`), the spec is built as a torch module and profiled with fvcore,
thop, ptflops (default backend), torchinfo and FlopCounterMode; cost's total under the
convention of that name must equal the tool's result exactly. Small resolutions keep this fast:
the first of `SMALL` the spec accepts.

Where a tool is inconsistent with itself, the convention reproduces it and says so in its table
(cost/conventions/tools.py), and a test here shows it in the tool's own numbers:
- ptflops counts nn.ReLU and every pooling module twice (module hook + the patched F.relu /
  F.*pool* it calls) but nn.ReLU6 once (F.hardtanh is not patched), and averages only its
  module-hook counts over the batch (`test_ptflops_counts_relu_twice_...`);
- fvcore, thop and ptflops count the translator's `x + y` and `x * y` (Tensor.__add__/__mul__)
  as 0: fvcore has no aten::add/aten::mul handle, thop no rule, ptflops patches only torch.add /
  Tensor.add / torch.mul / Tensor.mul (torch.add(x, y) would count there);
- thop's BN is 4 per element (2·numel, doubled when affine), fvcore's and ptflops' 2;
- fvcore counts a conv with padding='same' as 0 (it traces to aten::_convolution_mode, which has
  no handle), ptflops counts nn.LayerNorm 1 per element (its hook looks for `affine`) and
  torchvision's LayerNorm2d 0 (hooks match exact types), and ptflops' upsample hook reads
  output[0], the first image (`test_the_new_ops_quirks_in_the_tools_own_numbers`).
`test_ops_one_by_one` checks every op (with the arguments whole networks may not reach, batch 1
and 2) against the five tools.

Needs the test-only extras: torch (CPU), fvcore, ultralytics-thop, ptflops, torchinfo.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("fvcore")
pytest.importorskip("thop")
pytest.importorskip("ptflops")
pytest.importorskip("torchinfo")

import cost  # noqa: E402
from cost import conventions  # noqa: E402
from cost.errors import CostError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob("*.yaml"))
SMALL = (64, 96, 128, 160, 224)  # input sizes tried, smallest first, where the spec has `r`


# --- running the tools -------------------------------------------------------------------------


@contextlib.contextmanager
def quiet():
    """Silence the tools: their warnings, log records and prints."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(previous)


def run_fvcore(net: torch.nn.Module, x: torch.Tensor) -> int:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(net, (x,))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    return analysis.total()


def run_thop(net: torch.nn.Module, x: torch.Tensor) -> int:
    from thop import profile

    total, _ = profile(net, (x,), verbose=False)
    assert total == int(total)  # thop sums floats; exact while below 2**53
    return int(total)


def run_ptflops(net: torch.nn.Module, x: torch.Tensor) -> int:
    """The default call: input_res without a batch (ptflops adds a batch of 1); a batch > 1 goes
    through input_constructor."""
    from ptflops import get_model_complexity_info

    res = tuple(x.shape[1:])
    constructor = None if x.shape[0] == 1 else (lambda _: x)
    total, _ = get_model_complexity_info(net, res, as_strings=False, print_per_layer_stat=False,
                                         verbose=False, input_constructor=constructor)
    assert total is not None, "ptflops failed (it prints the exception and returns None)"
    return total


def run_torchinfo(net: torch.nn.Module, x: torch.Tensor) -> int:
    from torchinfo import summary

    return summary(net, input_data=x, verbose=0).total_mult_adds


def run_torch(net: torch.nn.Module, x: torch.Tensor) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    return counter.get_total_flops()


TOOLS: dict[str, Callable[[torch.nn.Module, torch.Tensor], int]] = {
    "fvcore": run_fvcore, "thop": run_thop, "ptflops": run_ptflops,
    "torchinfo": run_torchinfo, "torch": run_torch,
}


def tool_totals(p: cost.Profile) -> dict[str, int]:
    """Every tool's total on the translator's module of the bound profile `p`."""
    from cost.reference.forward import input_shape, random_weights
    from cost.reference.torch_module import to_module

    net = to_module(p, random_weights(p))  # counts do not depend on the values
    x = torch.zeros(input_shape(p))
    with quiet():
        return {name: run(net, x) for name, run in TOOLS.items()}


# --- the specs ---------------------------------------------------------------------------------


def small_profile(path: Path, **bindings: int) -> cost.Profile:
    """The spec at the smallest input size of SMALL it accepts (its default without `r`)."""
    for r in SMALL:
        try:
            p = cost.profile(cost.load(path, r=r, **bindings))
        except CostError:
            continue
        if not p.symbolic:
            return p
    return cost.profile(cost.load(path, **bindings))


def translatable(p: cost.Profile) -> bool:
    from cost.reference.torch_module import translates

    return all(translates(type(layer.node)) for layer in p.layers)


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_convention_equals_its_tool(path: Path) -> None:
    p = small_profile(path)
    if not translatable(p):
        pytest.skip("an op the translator (cost.reference.torch_module) does not build")
    found = tool_totals(p)
    expected = {name: conventions.count(p, name).total for name in TOOLS}
    assert found == expected, f"{path.name} at {p.bindings}"
    # the rules are not all-zero and the paper convention is the engine's madds
    assert conventions.count(p, "paper").total == p.total.madds > 0


def test_ptflops_counts_relu_twice_and_averages_only_its_hooks(tmp_path: Path) -> None:
    """ptflops' own inconsistencies, in its own numbers: nn.ReLU of e elements counts e (module
    hook) + e (patched F.relu) at batch 1; at batch 2 the hook's 2e is averaged over the batch
    and the function's 2e is not: e + 2e. The other tools count the whole batch: 0 here."""
    path = tmp_path / "relu.yaml"
    e = 6 * 7 * 7
    for n, expected in ((1, e + e), (2, e + 2 * e)):
        path.write_text(f"spec: 1\nname: relu\ninput: [{n}, 6, 7, 7]\nnetwork:\n  - {{op: relu}}\n")
        p = cost.profile(cost.load(path))
        found = tool_totals(p)
        assert found == {"fvcore": 0, "thop": 0, "ptflops": expected, "torchinfo": 0, "torch": 0}
        assert conventions.count(p, "ptflops").total == expected


# --- op by op, with the arguments the whole networks may not reach ------------------------------

PROBES: dict[str, tuple[str, list[str]]] = {
    # name: (input shape, layers); `n` is the batch
    "conv_bias_dilated_grouped": ("[n, 8, 11, 11]", [
        "{op: conv, out: 12, k: 3, stride: 2, pad: 2, dilation: 2, groups: 4, bias: true}"]),
    "conv_depthwise": ("[n, 8, 10, 10]", [
        "{op: conv, k: 3, stride: 2, pad: 1, groups: depthwise}"]),
    "bn_activations": ("[n, 6, 7, 7]", [
        "{op: bn}", "{op: relu}", "{op: relu6}", "{op: sigmoid}", "{op: hard_sigmoid}",
        "{op: hard_swish}", "{op: dropout}"]),
    "maxpool_ceil_pad": ("[n, 4, 11, 11]", [
        "{op: maxpool, k: 3, stride: 2, pad: 1, ceil_mode: true}"]),
    "avgpool_pad": ("[n, 4, 10, 10]", ["{op: avgpool, k: 3, stride: 2, pad: 1}"]),
    "avgpool_ceil_overhang": ("[n, 4, 10, 10]", [
        "{op: avgpool, k: 3, stride: 2, ceil_mode: true}"]),
    "avgpool_ceil_pad_overhang": ("[n, 4, 12, 12]", [
        "{op: avgpool, k: 3, stride: 2, pad: 1, ceil_mode: true}"]),
    # adaptive bins: 13 -> 6 and 10 -> 6 overlap and differ in size; 5 -> 6 repeats inputs
    "adaptive_avgpool_overlap": ("[n, 4, 13, 10]", ["{op: adaptive_avgpool, size: 6}"]),
    "adaptive_avgpool_upsample": ("[n, 4, 5, 5]", ["{op: adaptive_avgpool, size: 6}"]),
    "head": ("[n, 6, 5, 5]", [
        "{op: global_avgpool}", "{op: flatten}", "{op: bn}", "{op: linear, out: 7}",
        "{op: dropout}", "{op: linear, out: 3, bias: false}"]),
    "joins": ("[n, 6, 4, 4]", [
        "{id: a, op: relu}", "{id: b, op: relu6, in: x}", "{op: add, in: [a, b, x]}",
        "{id: gate, op: global_avgpool}", "{op: sigmoid}", "{op: mul, in: [a, prev]}",
        "{op: concat, in: [prev, b]}", "{op: channel_shuffle, groups: 3}",
        "{id: split, op: channel_split, parts: 2}", "{op: concat, in: [split.1, split.0]}"]),
    # the ops of issue 15: ptflops counts gelu twice (hook + F.gelu) and silu once (F.silu)
    "silu_swish_gelu": ("[n, 6, 7, 7]", ["{op: silu}", "{op: swish}", "{op: gelu}"]),
    "layernorm_both_forms": ("[n, 6, 7, 5]", [
        "{op: layernorm}", "{op: layernorm, data_format: channels_last, eps: 1/1000000}"]),
    "layernorm_head": ("[n, 6, 3, 3]", [
        "{op: global_avgpool}", "{op: flatten}", "{op: layernorm}",
        "{op: layernorm, data_format: channels_last}"]),
    "upsample_nearest": ("[n, 4, 5, 3]", [
        "{op: upsample, scale: 2}", "{op: upsample, size: [13, 7]}"]),
    "upsample_bilinear": ("[n, 4, 5, 3]", [
        "{op: upsample, scale: [2, 3], mode: bilinear}",
        "{op: upsample, size: 9, mode: bilinear}"]),
    "conv_transpose": ("[n, 8, 5, 6]", [
        "{op: conv_transpose, out: 12, k: 3, stride: 2, pad: 1, output_padding: 1, groups: 4, "
        "bias: true}",
        "{op: conv_transpose, out: 6, k: [2, 3], stride: [2, 1], dilation: [1, 2]}"]),
    "conv_non_square": ("[n, 4, 9, 9]", [
        "{op: conv, out: 6, k: [1, 7], pad: [0, 3], bias: true}",
        "{op: conv, k: [3, 1], stride: [2, 1], pad: [1, 0], dilation: [2, 1]}"]),
    # fvcore counts 0 for padding='same' (aten::_convolution_mode); the others as any conv
    "conv_pad_same": ("[n, 4, 9, 8]", [
        "{op: conv, out: 6, k: 4, pad: same, dilation: [1, 2]}",
        "{op: conv, k: 3, pad: same, groups: depthwise, bias: true}"]),
    "pool_non_square_same": ("[n, 4, 9, 9]", [
        "{op: maxpool, k: [1, 3], stride: [1, 2], pad: [0, 1]}",
        "{op: avgpool, k: [3, 1], stride: [2, 1], pad: [1, 0], ceil_mode: true}",
        "{op: avgpool, k: 3, stride: 1, pad: same}", "{op: maxpool, k: [3, 5], stride: 1, "
        "pad: same}"]),
}


def probe_spec(tmp_path: Path, name: str, n: int) -> cost.Profile:
    shape, layers = PROBES[name]
    text = "\n".join([f"spec: 1\nname: {name}\nsymbols:\n  n: {{default: {n}}}",
                      f"input: {shape}", "network:", *(f"  - {x}" for x in layers)])
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + "\n")
    return cost.profile(cost.load(path))


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("name", list(PROBES))
def test_ops_one_by_one(tmp_path: Path, name: str, n: int) -> None:
    p = probe_spec(tmp_path, name, n)
    found = tool_totals(p)
    assert found == {tool: conventions.count(p, tool).total for tool in TOOLS}


def test_installed_versions_are_the_documented_ones() -> None:
    """The rules were read from these versions' source; another version needs a new reading."""
    from importlib.metadata import version

    for c in conventions.CONVENTIONS.values():
        if c.package:
            assert version(c.package).split("+")[0] == c.version, c.name


def test_probes_cover_every_op() -> None:
    ops = {line.split("op: ")[1].split(",")[0].rstrip("}")
           for _, layers in PROBES.values() for line in layers}
    assert ops == set(cost.ops.names())


def test_the_new_ops_quirks_in_the_tools_own_numbers(tmp_path: Path) -> None:
    """The tools' quirks on the ops of issue 15, in their own numbers at batch 2 (e elements):
    fvcore counts a `pad: same` conv as 0; ptflops counts nn.LayerNorm e/n (no `affine`),
    LayerNorm2d 0, and upsample's output e/n² (hook on output[0], averaged) + e (F.interpolate);
    fvcore's layer_norm is 5/element, thop's 4."""
    def totals(shape: str, layer: str) -> dict[str, int]:
        path = tmp_path / "one.yaml"
        path.write_text(f"spec: 1\nname: one\ninput: {shape}\nnetwork:\n  - {layer}\n")
        p = cost.profile(cost.load(path))
        found = tool_totals(p)
        assert found == {tool: conventions.count(p, tool).total for tool in TOOLS}
        return found

    e = 2 * 6 * 7 * 5
    same = totals("[2, 6, 7, 5]", "{op: conv, k: 3, pad: same}")
    assert same["fvcore"] == 0 and same["torch"] == 2 * e * 9 * 6
    first = totals("[2, 6, 7, 5]", "{op: layernorm}")
    last = totals("[2, 6, 7, 5]", "{op: layernorm, data_format: channels_last}")
    assert (first["fvcore"], first["thop"], first["ptflops"]) == (5 * e, 4 * e, 0)
    assert (last["fvcore"], last["thop"], last["ptflops"]) == (5 * e, 4 * e, e // 2)
    up = totals("[2, 6, 7, 5]", "{op: upsample, scale: 2}")
    assert up == {"fvcore": 4 * e, "thop": 0, "ptflops": 4 * e / 4 + 4 * e, "torchinfo": 0,
                  "torch": 0}
