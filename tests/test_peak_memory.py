"""Peak memory footprint (`cost.engine.memory`, `Profile.peak_mem`, the per-layer `live`
column): hand-derived values on small graphs, closed forms, and the numpy forward's traced
allocations (issue 15)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.reference import forward as reference

ROOT = Path(__file__).resolve().parent.parent

# A residual block on a 1x8x4x4 input (128 elements per tensor): x -> conv a -> relu -> conv b,
# then b + x. The input lives until the add reads it.
RESIDUAL = """spec: 1
name: residual
symbols:
  c: {default: 8, doc: channels}
input: [1, c, 4, 4]
network:
  - {op: conv, out: c, k: 3, pad: 1}
  - {op: relu}
  - {op: conv, out: c, k: 3, pad: 1}
  - {op: add, in: [prev, x]}
"""
# Three 1x1 branches of one 1x4x8x8 input (256 elements), widths 2, 4, 6, then their concat.
CONCAT = """spec: 1
name: concat3
input: [1, 4, 8, 8]
network:
  - {op: conv, id: b1, out: 2}
  - {op: conv, id: b2, in: x, out: 4}
  - {op: conv, id: b3, in: x, out: 6}
  - {op: concat, in: [b1, b2, b3]}
  - {op: flatten}
"""


def write(tmp_path: Path, text: str, name: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def test_residual_block_by_hand(tmp_path: Path) -> None:
    p = cost.profile(cost.load(write(tmp_path, RESIDUAL, "residual")))
    t = 8 * 4 * 4  # every tensor of the block
    # conv a: x, a | relu: x, a, r | conv b: x, r, b | add: x, b, sum (the output, kept)
    assert p.live == [2 * t, 3 * t, 3 * t, 3 * t]
    params = 2 * 8 * 8 * 3 * 3
    assert p.total.params == params and p.peak_mem == 3 * t + params
    assert list(p.table()["live"]) == p.live


def test_concat_of_three_branches_by_hand(tmp_path: Path) -> None:
    p = cost.profile(cost.load(write(tmp_path, CONCAT, "concat3")))
    x, b1, b2, b3 = 256, 128, 256, 384
    cat = b1 + b2 + b3
    # b1: x, b1 | b2: x, b1, b2 | b3: x, b1, b2, b3 (x's last use) | concat: the branches and
    # its output | flatten: a view of the concat's output, nothing new
    assert p.live == [x + b1, x + b1 + b2, x + b1 + b2 + b3, 2 * cat, cat]
    params = 4 * 2 + 4 * 4 + 4 * 6
    assert p.peak_mem == 2 * cat + params


def test_peak_is_a_closed_form_while_symbols_are_free(tmp_path: Path) -> None:
    spec = write(tmp_path, RESIDUAL, "residual")
    p = cost.profile(cost.load(spec, keep=("c",)))
    c = cost.symbolic.sp().Symbol("c", positive=True, integer=True)
    assert cost.symbolic.sp().simplify(p.formula("peak_mem") - (48 * c + 18 * c**2)) == 0
    for value in (1, 3, 8):
        bound = cost.profile(cost.load(spec, c=value))
        assert p.subs(c=value).peak_mem == bound.peak_mem == 48 * value + 18 * value**2
    doc = json.loads(CliRunner().invoke(main, ["profile", spec, "--keep", "c", "--format",
                                               "json"]).stdout)
    assert doc["total"]["peak_mem"] == "18*c**2 + 48*c"


def test_peak_in_totals_json_and_csv() -> None:
    g3 = str(ROOT / "specs" / "shufflenet_g3.yaml")
    p = cost.profile(cost.load(g3))
    # conv1's output and bn's (24x112x112 each) is the largest live set
    assert max(p.live) == 2 * 24 * 112 * 112
    assert p.peak_mem == 2 * 24 * 112 * 112 + 1_864_728
    out = CliRunner().invoke(main, ["profile", g3]).stdout
    assert "peak mem:     2,466,840 elements (2.47M: activations 602K + params 1.86M)" in out
    doc = json.loads(CliRunner().invoke(main, ["profile", g3, "--format", "json",
                                               "--dtype-bytes", "4"]).stdout)
    assert doc["total"]["peak_mem_bytes"] == 4 * p.peak_mem
    assert [layer["live_bytes"] for layer in doc["layers"]] == [4 * v for v in p.live]
    header = CliRunner().invoke(main, ["profile", g3, "--format", "csv"]).stdout.splitlines()[0]
    assert header.endswith(",live")


def scratch_elements(layer: cost.engine.walk.Layer) -> int:
    """What a layer's numpy kernel allocates besides its inputs and outputs, in elements, bounded
    from above: a padded copy of the input and the im2col / pooling window copy (kh·kw·n·c·ho·wo)
    for convs and pools, a float64 copy with its prefix sums (4 float32 maps' worth) for
    global and adaptive pools, and two output-sized temporaries for element-wise arithmetic
    (BN's (x - mean)·scale + shift)."""
    out = sum(math.prod(y) for y in layer.out_shapes)
    extra = 2 * out
    node = layer.node
    if layer.op in ("conv", "maxpool", "avgpool"):
        n, c, h, w = layer.in_shapes[0]
        _, _, ho, wo = layer.out_shapes[0]
        kh, kw = node.k if isinstance(node.k, tuple) else (node.k, node.k)
        ph, pw = node.pad if isinstance(node.pad, tuple) else (node.pad, node.pad)
        extra += n * c * (h + 2 * ph + 1) * (w + 2 * pw + 1) + n * c * kh * kw * ho * wo
    if layer.op in ("global_avgpool", "adaptive_avgpool"):
        extra += 4 * math.prod(layer.in_shapes[0])
    return extra


@pytest.mark.parametrize("spec", ["shufflenet_g3", "mobilenet_v2", "squeezenet_v1_0"])
def test_the_forward_never_holds_more_than_predicted_plus_scratch(spec: str) -> None:
    """tracemalloc's peak over the numpy forward (weights drawn, input made, every layer run,
    each tensor freed after its last consumer) lies between the predicted peak and the predicted
    peak plus the largest scratch any one kernel needs (`scratch_elements`), in float32."""
    p = reference.bound(cost.load(str(ROOT / "specs" / f"{spec}.yaml")))
    traced = reference.check(p).peak_bytes
    predicted = 4 * p.peak_mem
    scratch = 4 * max(scratch_elements(layer) for layer in p.layers)
    assert predicted <= traced <= predicted + scratch, (predicted, traced, scratch)


PYTHON_OBJECTS = 256 * 1024  # bytes of Python objects a forward pass allocates besides arrays
# The same graphs with maps of 128 x 128 and 256 x 256: a tensor is then 0.5-3 MB, so the Python
# objects (threadpoolctl's scan of the BLAS libraries, per-layer records and dicts, ~80-240 KiB) are
# small beside one tensor and a tensor held too long cannot hide among them.
LARGE = {"residual": ("[1, c, 4, 4]", "[1, c, 128, 128]"),
         "concat3": ("[1, 4, 8, 8]", "[1, 4, 256, 256]")}


def test_small_graphs_in_the_forward(tmp_path: Path) -> None:
    for text, name in ((RESIDUAL, "residual"), (CONCAT, "concat3")):
        p = reference.bound(cost.load(write(tmp_path, text.replace(*LARGE[name]), name)))
        reference.check(p)  # once first: imports and caches allocate only then
        traced = reference.check(p).peak_bytes
        predicted = 4 * p.peak_mem
        scratch = 4 * max(scratch_elements(layer) for layer in p.layers)
        smallest = 4 * min(math.prod(layer.out_shape) for layer in p.layers)
        assert PYTHON_OBJECTS < smallest  # every tensor outweighs the allowance
        assert predicted <= traced <= predicted + scratch + PYTHON_OBJECTS, \
            (name, predicted, traced, scratch)


def test_a_peak_of_many_symbolic_sizes_is_kept_whole_and_binds_exactly(tmp_path: Path) -> None:
    """20 layers of distinct widths give 20 distinct live sizes in r: more than sympy may compare
    pairwise (`MAX_SIMPLIFIED_TERMS`), so the Max stays whole (the fuzzer found a mutant whose
    floor-laden sizes took minutes to compare), and binding it gives the bound walk's peak."""
    from cost.engine.memory import MAX_SIMPLIFIED_TERMS

    layers = "\n".join(f"  - {{op: conv, out: {c}, k: 3, pad: 1}}" for c in range(8, 48, 2))
    text = f"spec: 1\nname: widths\nsymbols:\n  r: {{default: 32, doc: size}}\n" \
           f"input: [1, 3, r, r]\nnetwork:\n{layers}\n"
    path = write(tmp_path, text, "widths")
    symbolic = cost.profile(cost.load(path, keep=("r",)))
    (whole,) = symbolic.peak_mem.atoms(sympy.Max)
    assert len(whole.args) > MAX_SIMPLIFIED_TERMS
    assert symbolic.formula("peak_mem").has(sympy.Max)  # shown without being re-evaluated
    for r in (7, 32, 100):
        assert symbolic.subs(r=r).peak_mem == cost.profile(cost.load(path, r=r)).peak_mem
