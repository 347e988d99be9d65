"""The named counting conventions (cost.conventions, cost.conventions.counting) and `cost compare`.

No profiler is needed here: the golden numbers are arithmetic from each tool's formula (cited in
cost/conventions/tools.py). tests/test_tools_agree.py runs the tools themselves.
"""

from __future__ import annotations

import doctest
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

import cost
from cost import measures, ops
from cost.cli.main import main
from cost.conventions import CONVENTIONS, count, counting
from cost.conventions import tools as conventions
from cost.conventions.counting import difference
from cost.errors import CostError, SpecError
from cost.symbolic import total

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob("*.yaml"))

# A small network touching the ops whose counts differ between conventions.
TINY = """\
spec: 1
name: tiny
symbols:
  n: {default: 1}
input: [n, 8, 10, 10]
network:
  - {op: conv, out: 4, k: 3, pad: 1, bias: true}   # (n, 4, 10, 10)
  - {op: bn}
  - {op: relu}
  - {op: avgpool, k: 3, stride: 2, pad: 1}         # (n, 4, 5, 5)
  - {op: global_avgpool}                           # (n, 4, 1, 1)
  - {op: flatten}
  - {op: linear, out: 5}
"""
# At n = 1 (derivations: tools' formulas, cost/conventions/tools.py):
CONV = 10 * 10 * 4 * 8 * 9                     # n·h'·w' · cout·cin·k² = 28,800
CONV_BIAS = 4 * 10 * 10                        # one add per output element
MAP = 4 * 10 * 10                              # elements into bn and relu and avgpool
WINDOWS = 4 * (5 * 3) * (5 * 3)                # n·c · (h'·k)·(w'·k): no ceil_mode overhang
POOLED = 4 * 5 * 5                             # avgpool output = global_avgpool input
LINEAR, LINEAR_BIAS = 4 * 5, 5
GOLDEN = {
    "paper": CONV + LINEAR,
    "fvcore": CONV + 2 * MAP + POOLED + LINEAR,               # bn 2/elem, adaptive pool 1/in
    "thop": CONV + 4 * MAP + (WINDOWS + POOLED) + (POOLED + 4) + LINEAR,
    "ptflops": (CONV + CONV_BIAS) + 2 * MAP + 2 * MAP + 2 * MAP + 2 * POOLED
    + (LINEAR + LINEAR_BIAS),                                 # relu, pools: hook + function
    "torchinfo": (CONV + CONV_BIAS) + 2 * 4 + (LINEAR + LINEAR_BIAS),  # bn: n·2c
    "torch": 2 * (CONV + LINEAR),
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_every_registered_op_has_a_rule_in_every_convention() -> None:
    """Every registered op resolves to a rule (its override or its kind's) in every convention;
    every kind has a rule in every table; no override names an op that is not registered."""
    assert conventions.gaps() == []
    for c in CONVENTIONS.values():
        assert set(c.kinds) == set(ops.KINDS), c.name
        assert set(c.overrides) <= set(ops.names()), c.name
        for name in ops.names():
            assert c.rule(name, ops.get(name).kind) is not None, (c.name, name)


def test_golden_totals(tiny: Path) -> None:
    p = cost.profile(cost.load(tiny))
    assert {name: count(p, name).total for name in CONVENTIONS} == GOLDEN


def test_batch_scales_every_convention_but_ptflops_functional_part(tiny: Path) -> None:
    """At n = 2 every count doubles, except ptflops: its module hooks are averaged over the
    batch (unchanged), its patched functions (relu, avgpool, global_avgpool) are not."""
    p = cost.profile(cost.load(tiny, n=2))
    for name, value in GOLDEN.items():
        if name != "ptflops":
            assert count(p, name).total == 2 * value, name
    functional = MAP + MAP + POOLED  # F.relu, F.avg_pool2d, F.adaptive_avg_pool2d: input numel
    assert count(p, "ptflops").total == GOLDEN["ptflops"] + functional


def test_per_layer_and_by_op(tiny: Path) -> None:
    p = cost.profile(cost.load(tiny))
    c = count(p, "thop")
    assert len(c) == len(p.layers) and c.ops == tuple(la.op for la in p.layers)
    assert list(c.values) == [CONV, 4 * MAP, 0, WINDOWS + POOLED, POOLED + 4, 0, LINEAR]
    assert c.by_op()["avgpool"] == WINDOWS + POOLED
    assert conventions.get("thop").of(p.layers[1]) == 4 * MAP


def test_difference_breakdown(tiny: Path) -> None:
    p = cost.profile(cost.load(tiny))
    delta, parts = difference(count(p, "thop"), count(p, "paper"))
    assert delta == GOLDEN["thop"] - GOLDEN["paper"]
    assert parts == {"bn": 4 * MAP, "avgpool": WINDOWS + POOLED, "global_avgpool": POOLED + 4}
    assert list(parts) == ["bn", "avgpool", "global_avgpool"]  # largest first


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_paper_is_the_engines_madds_and_torch_twice_that(path: Path) -> None:
    """Layer by layer: paper = Op.madds; torch counts conv and linear only, 2 per madd."""
    p = cost.profile(cost.load(path))
    paper, torch = count(p, "paper"), count(p, "torch")
    assert list(paper.values) == [la.cost.madds for la in p.layers]
    assert list(torch.values) == [2 * la.cost.madds for la in p.layers]
    # they all add to the paper's count, but fvcore, which counts 0 for a conv with
    # padding='same' (aten::_convolution_mode has no handle)
    unseen = total(la.cost.madds for la in p.layers if la.node.variant() == "pad_same")
    for name in ("fvcore", "thop", "ptflops", "torchinfo"):
        assert count(p, name).total >= paper.total - (unseen if name == "fvcore" else 0) > 0


def test_ceil_mode_window_sum_matches_a_direct_walk() -> None:
    """window_inputs with ceil_mode against the windows walked one by one: size 10, k 3,
    stride 2, no pad -> outputs 5 (ceil((10-3)/2)+1), windows [0,3) [2,5) [4,7) [6,9) [8,10)."""
    from types import SimpleNamespace

    from cost.ops.pool import AvgPool

    layer = SimpleNamespace(node=AvgPool(k=3, stride=2, ceil_mode=True), path="p",
                            in_shapes=((1, 1, 10, 10),), out_shapes=((1, 1, 5, 5),))
    assert counting.window_inputs(layer) == (3 + 3 + 3 + 3 + 2) ** 2


def test_adaptive_bin_sum_matches_a_direct_walk() -> None:
    """bin_inputs(L, s) = L + s − gcd(L, s) against PyTorch's bins walked one by one:
    [floor(i·L/s), ceil((i+1)·L/s)) for i < s, e.g. 7 -> 3: [0,3) [2,5) [4,7) = 9."""
    for length in range(1, 30):
        for size in range(1, 12):
            walked = sum(-(-(i + 1) * length // size) - i * length // size for i in range(size))
            assert counting.bin_inputs(length, size) == walked, (length, size)


def test_adaptive_pool_thop_count() -> None:
    """AlexNet at r = 256: pool5 leaves 7×7, pooled to 6×6 in bins of 2 rows (7 + 6 − gcd 1 = 12
    inputs per axis): n·c·12·12 adds + n·c·6·6 divides, as count_adap_avgpool walks them."""
    p = cost.profile(cost.load(ROOT / "specs" / "alexnet.yaml", r=256))
    (i,) = [i for i, la in enumerate(p.layers) if la.op == "adaptive_avgpool"]
    assert p.layers[i].in_shapes == ((1, 256, 7, 7),)
    assert count(p, "thop")[i] == 256 * 12 * 12 + 256 * 6 * 6
    assert count(p, "fvcore")[i] == 256 * 7 * 7               # 1 per input element
    assert count(p, "ptflops")[i] == 2 * 256 * 7 * 7          # module hook + F.adaptive_avg_pool2d
    assert count(p, "paper")[i] == count(p, "torchinfo")[i] == count(p, "torch")[i] == 0


def test_adaptive_pool_of_one_counts_as_global_avgpool(tmp_path: Path) -> None:
    """Both are nn.AdaptiveAvgPool2d in the translator (size 1 for global_avgpool): every
    convention counts them alike."""
    path = tmp_path / "pools.yaml"
    path.write_text("spec: 1\nname: pools\ninput: [2, 6, 9, 5]\nnetwork:\n"
                    "  - {id: a, op: adaptive_avgpool, size: 1}\n"
                    "  - {id: g, op: global_avgpool, in: x}\n")
    p = cost.profile(cost.load(path))
    for name in CONVENTIONS:
        adaptive, global_ = count(p, name).values
        assert adaptive == global_, name


@pytest.mark.parametrize("spec,r", [("mobilenet_v2.yaml", 160), ("vgg16.yaml", 256),
                                    ("vgg16.yaml", 224)])
def test_symbolic_counts_bind_to_the_bound_counts(spec: str, r: int) -> None:
    """VGG-16's adaptive pool (r/32 -> 7) makes thop's count depend on gcd(r/32, 7): a Piecewise
    that binds to 7 at r = 224 (7×7 map) and to 1 at r = 256 (8×8)."""
    free = cost.profile(cost.load(ROOT / "specs" / spec, keep=("r",)))
    bound = cost.profile(cost.load(ROOT / "specs" / spec, r=r))
    for name in CONVENTIONS:
        formula = free.show(count(free, name).total, expand_lets=True)
        symbol = next(s for s in formula.free_symbols if s.name == "r")
        assert formula.subs(symbol, r) == count(bound, name).total, name


def test_symbolic_adaptive_pool_size_is_a_clear_error() -> None:
    import sympy

    s = sympy.Symbol("s", positive=True, integer=True)
    with pytest.raises(SpecError, match="needs a number for its size"):
        counting.bin_inputs(13, s)


def test_symbolic_ceil_mode_window_is_a_clear_error() -> None:
    from types import SimpleNamespace

    import sympy

    from cost.ops.pool import AvgPool

    h = sympy.Symbol("h", positive=True, integer=True)
    layer = SimpleNamespace(node=AvgPool(k=3, stride=2, ceil_mode=True), path="pool",
                            in_shapes=((1, 1, h, h),), out_shapes=((1, 1, h, h),))
    with pytest.raises(SpecError, match="needs numbers"):
        counting.window_inputs(layer)


def test_unknown_convention_and_missing_rule(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = cost.profile(cost.load(tiny))
    with pytest.raises(SpecError, match="unknown convention 'tohp'") as e:
        count(p, "tohp")
    assert "thop" in str(e.value)
    kinds = {kind: r for kind, r in CONVENTIONS["thop"].kinds.items() if kind != "norm"}
    partial = replace(CONVENTIONS["thop"], name="partial", kinds=kinds)
    monkeypatch.setitem(CONVENTIONS, "partial", partial)
    with pytest.raises(CostError, match="op 'bn' has no rule in convention 'partial'") as e:
        count(p, "partial")
    assert "'norm'" in str(e.value)  # the hint names the kind that lacks the rule
    assert "op 'bn' (kind 'norm') has no rule in convention 'partial'" in conventions.gaps(
        [partial])


def test_rules_are_read_only() -> None:
    with pytest.raises(TypeError):
        CONVENTIONS["thop"].kinds["norm"] = counting.zero  # type: ignore[index]
    with pytest.raises(TypeError):
        CONVENTIONS["thop"].overrides["bn"] = counting.zero  # type: ignore[index]


def test_overrides_come_before_kinds() -> None:
    """ptflops singles out relu (module hook + patched F.relu) and relu6 (hook only) among the
    activations; thop singles out avgpool (count_avgpool) among the window pools."""
    ptflops, thop = CONVENTIONS["ptflops"], CONVENTIONS["thop"]
    assert ptflops.rule("relu", "activation") is ptflops.overrides["relu"]
    assert ptflops.rule("sigmoid", "activation") is ptflops.kinds["activation"] is counting.zero
    assert thop.rule("avgpool", "pool") is thop.overrides["avgpool"]
    assert thop.rule("maxpool", "pool") is counting.zero


def test_contractions_are_counted_by_the_ops_own_madds() -> None:
    """No second copy of conv's or linear's formula: the tools that count contractions build on
    `own_madds` (Op.madds)."""
    for name in ("paper", "fvcore", "thop"):
        assert CONVENTIONS[name].kinds["contraction"] is counting.own_madds, name
    assert not hasattr(counting, "conv_madds") and not hasattr(counting, "linear_madds")


def test_convention_lines_name_tool_and_version() -> None:
    line = CONVENTIONS["thop"].line()
    assert line.startswith("convention thop:") and "ultralytics-thop 2.2.3" in line
    assert CONVENTIONS["paper"].line().startswith("convention paper: multiply-adds")


def test_existing_names_and_doctests() -> None:
    assert measures.FLOPS_PER_MADD == 2 and measures.DEFAULT_DTYPE_BYTES == 1
    assert measures.convention_line().startswith("convention: madds = multiply-adds")
    assert measures.memory_access([(1, 2, 3, 3)], [(1, 2, 3, 3)], 4) == (22, 18)
    for module in (measures, conventions, counting):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# --- cost compare -------------------------------------------------------------------------------


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_compare_table(tiny: Path) -> None:
    out = invoke("compare", str(tiny))
    header = next(line for line in out.splitlines() if line.startswith("op "))
    assert header.split() == ["op", *CONVENTIONS]
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert total.split()[1:] == [f"{v:,}" for v in GOLDEN.values()]
    thop = GOLDEN["thop"] - GOLDEN["paper"]  # 2,704 = 1,600 bn + 1,000 avgpool + 104 gap
    assert (f"thop − paper = +2.7K (+{100 * thop / GOLDEN['paper']:.3g}%), of which "
            "bn +1.6K, avgpool +1K, global_avgpool +104") in out
    assert "convention ptflops:" in out and "ptflops 0.7.5" in out


def test_compare_formats(tiny: Path) -> None:
    doc = json.loads(invoke("compare", str(tiny), "--format", "json"))
    assert doc["total"] == GOLDEN and doc["base"] == "paper"
    assert doc["difference"]["torch"]["total"] == GOLDEN["paper"]  # 2x - 1x
    assert doc["by_op"]["thop"]["bn"] == 4 * MAP
    rows = invoke("compare", str(tiny), "--format", "csv", "--conventions", "thop,paper")
    assert rows.splitlines()[0] == "op,thop,paper"
    assert rows.splitlines()[-1] == f"total,{GOLDEN['thop']},{GOLDEN['paper']}"
    md = invoke("compare", str(tiny), "--format", "markdown", "--set", "n=2")
    total = next(line for line in md.splitlines() if line.startswith("| total"))
    assert [cell.strip() for cell in total.strip("|").split("|")][1] == f"{2 * GOLDEN['paper']:,}"
    assert "- thop − paper = " in md and "n=2" in md


def test_compare_errors(tiny: Path) -> None:
    assert "unknown convention 'bogus'" in invoke("compare", str(tiny), "--conventions",
                                                  "paper,bogus", code=2)
    assert "--conventions names none" in invoke("compare", str(tiny), "--conventions", ",",
                                                code=2)
