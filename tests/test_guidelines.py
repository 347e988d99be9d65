"""Deployment fusion, the G1–G4 analysis, the paper's guideline experiments, and the guidelines'
formulas checked symbolically on the engine's own closed forms (issue 5)."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.engine.fusion import FUSION_ASSUMPTION, folded, fuse
from cost.errors import SpecError
from cost.guidelines import (
    analyze,
    avoidable_tolerance,
    g1_lower_bound,
    pointwise,
)
from cost.guidelines.analysis import is_depthwise
from cost.papers import experiments

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SNV1 = SPECS / "shufflenet_g3.yaml"
SNV2 = SPECS / "shufflenet_v2.yaml"
MNV2 = SPECS / "mobilenet_v2.yaml"
G = SPECS / "guidelines"


def write(tmp_path: Path, text: str, name: str = "net.yaml") -> Path:
    path = tmp_path / name
    path.write_text("spec: 1\n" + text)
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def report(path: Path, fused: bool = False, **kw: object):
    p = cost.profile(cost.load(path, **kw))
    return analyze(fuse(p) if fused else p, fused=fused)


# --- fusion -------------------------------------------------------------------------------------

CONV_BN_RELU = """
input: [1, 8, 10, 10]
network:
  - {id: pw, op: conv, out: 16, k: 1}
  - {op: bn}
  - {op: relu}
"""


def test_fusion_folds_bn_and_relu_into_the_conv(tmp_path: Path) -> None:
    p = cost.profile(cost.load(write(tmp_path, CONV_BN_RELU)))
    assert p.total.mem == (8*100 + 8*16 + 16*100) + (16*100 + 2*16 + 16*100) + 2 * 16*100
    f = fuse(p)
    assert [la.path for la in f.layers] == ["pw"] and folded(p) == {"pw": ("bn", "relu")}
    assert f.total.params == 8*16 + 16                 # weights + the bias BN leaves behind
    assert f.total.mem == 8*100 + (8*16 + 16) + 16*100  # in + weights and bias + out
    assert f.total.madds == p.total.madds == 100 * 8 * 16


def test_fusion_needs_a_single_consumer_and_a_bn_first(tmp_path: Path) -> None:
    shared = write(tmp_path, """
input: [1, 8, 10, 10]
network:
  - {id: pw, op: conv, out: 8, k: 1}
  - {id: bn, op: bn}
  - {op: add, in: [bn, pw]}                    # pw's output is also read here: BN cannot fold
  - {id: pw2, op: conv, out: 8, k: 1}
  - {op: relu}                                 # conv -> relu without a BN: left alone
""")
    p = cost.profile(cost.load(shared))
    assert folded(p) == {} and len(fuse(p).layers) == len(p.layers)


@pytest.mark.parametrize("path", [SNV1, SNV2, MNV2], ids=lambda p: p.stem)
def test_fusion_keeps_madds_and_a_consistent_graph(path: Path) -> None:
    p = cost.profile(cost.load(path))
    f = fuse(p)
    assert f.total.madds == p.total.madds
    bn_params = sum(la.cost.params for la in p.layers if la.op == "bn")
    biases = sum(la.cost.params for la in f.layers) - sum(
        la.cost.params for la in p.layers if la.op != "bn")
    assert f.total.params == p.total.params - bn_params + biases and 0 < biases < bn_params
    for layer in f.layers:                       # every source points at a producer of its shape
        for (src, out), shape in zip(layer.sources, layer.in_shapes, strict=True):
            if src >= 0:
                assert f.layers[src].out_shapes[out] == shape
    assert len(fuse(f).layers) == len(f.layers)   # nothing is left to fold


def test_fusion_of_a_symbolic_profile_binds_like_a_numeric_one() -> None:
    sym = fuse(cost.profile(cost.load(SNV1, keep=("s", "r")))).subs(s=1, r=224)
    assert sym.total == fuse(cost.profile(cost.load(SNV1))).total


# --- the paper's verdicts fall out of the analysis ----------------------------------------------

PAPER = [  # SNv2 Sec. 3: "ShuffleNet v1 ... violates G2 and G1", "MobileNet v2 ... G1 and G4",
    (SNV1, {"G1": True, "G2": True}),  # ShuffleNet v2 follows G1 and G2
    (MNV2, {"G1": True, "G4": True}),
    (SNV2, {"G1": False, "G2": False}),
]


@pytest.mark.parametrize("path,verdicts", PAPER, ids=[p.stem for p, _ in PAPER])
def test_paper_verdicts(path: Path, verdicts: dict[str, bool]) -> None:
    r = report(path)
    assert {g: r.verdicts[g].violated for g in verdicts} == verdicts


@pytest.mark.parametrize("path", [SNV1, MNV2, SNV2], ids=lambda p: p.stem)
def test_g1_g2_verdicts_do_not_depend_on_fusion(path: Path) -> None:
    plain, fused = report(path), report(path, fused=True)
    for g in ("G1", "G2"):
        assert plain.verdicts[g].violated == fused.verdicts[g].violated
    # fusion removes the separate BN/ReLU traffic that G4 charges: the share can only drop
    assert fused.verdicts["G4"].score < plain.verdicts["G4"].score


def test_snv1_g2_depends_on_its_groups() -> None:
    assert not report(SPECS / "shufflenet_v1.yaml", g=1).verdicts["G2"].violated
    g8 = report(SPECS / "shufflenet_v1.yaml", g=8).verdicts["G2"].score
    assert g8 > report(SNV1).verdicts["G2"].score     # more groups, more avoidable traffic


# --- G1, G2 formulas on single convs -------------------------------------------------------------


def test_g1_g2_numbers_of_a_shufflenet_v1_unit() -> None:
    p = cost.profile(cost.load(SNV1))
    convs = {la.path: pointwise(la) for la in p.layers}
    pw1, pw2 = convs["stage2/unit1/pw1"], convs["stage2/unit1/pw2"]  # 240 -> 60 -> 240, g = 3
    assert (pw1.c_in, pw1.c_out, pw1.groups, pw1.pixels) == (240, 60, 3, 28*28)
    assert pw1.mem == 28*28 * (240 + 60) + 240*60 // 3            # = 240,000
    # bound = 2P·sqrt(c1·c2) + c1c2/g = 2·784·120 + 4800 = 192,960
    assert sympy.simplify(pw1.bound - 192_960) == 0
    assert pw1.over_bound == sympy.Rational(240_000, 192_960)
    assert pw2.extra == 28*28 * 240 * (1 - Fraction(1, 3))       # P·c2·(1 - 1/g) = 125,440
    assert convs["stage2/unit1/dw"] is None and is_depthwise(
        next(la for la in p.layers if la.path == "stage2/unit1/dw"))


def test_balanced_conv_sits_on_the_bound_and_tolerance_is_a_doubling(tmp_path: Path) -> None:
    path = write(tmp_path, """
input: [1, 64, 56, 56]
network:
  - {id: same, op: conv, out: 64, k: 1}
  - {id: double, op: conv, out: 128, k: 1}
""")
    same, double = (pointwise(la) for la in cost.profile(cost.load(path)).layers)
    assert same.over_bound == 1 and same.waste == 0
    # c -> 2c wastes 1 - (2·sqrt(2)·P·c + 2c²)/(3P·c + 2c²), just under the tolerance, which it
    # approaches as the map grows (the weights' share vanishes)
    assert 0 < double.waste / double.mem < avoidable_tolerance()
    assert sympy.nsimplify(avoidable_tolerance() - (1 - 2 * sympy.sqrt(2) / 3)) == 0


# --- G3, G4 on the experiment specs (exact) ---------------------------------------------------


def test_g3_branches_and_verdict() -> None:
    four = report(G / "g3_parallel.yaml", preset="4-fragment-parallel")
    assert four.verdicts["G3"].violated and four.verdicts["G3"].score == 4
    two = report(G / "g3_parallel.yaml", preset="2-fragment-parallel")
    assert not two.verdicts["G3"].violated and two.verdicts["G3"].score == 2
    series = report(G / "g3_fragments.yaml", preset="4-fragment-series")
    assert series.verdicts["G3"].score == 1 and {b.ops for b in series.blocks} == {4}
    assert report(G / "g4_bottleneck.yaml", preset="relu-shortcut").verdicts["G3"].score == 2
    assert report(G / "g4_bottleneck.yaml", preset="plain").verdicts["G3"].score == 1


def test_g4_share_of_the_bottleneck() -> None:
    r = report(G / "g4_bottleneck.yaml", preset="relu-shortcut")   # c = 32, px = 56²
    px = 56 * 56
    relus = 2 * px*8 + 2 * px*8 + 2 * px*32                            # read + write each map
    add = 3 * px*32                                                  # two reads, one write
    convs = (px*(32 + 8) + 256) + (px*(8 + 8) + 576) + (px*(8 + 32) + 256)
    assert r.verdicts["G4"].score == Fraction(relus + add, relus + add + convs)
    assert r.verdicts["G4"].violated                                # 602,112 of 904,256: 66.6%


def test_units_are_the_calls_that_hold_ops(tmp_path: Path) -> None:
    path = write(tmp_path, """
input: [1, 16, 8, 8]
blocks:
  conv_bn: {layers: [{op: conv, k: 1}, {op: bn}]}
  unit: {layers: [{op: conv_bn}, {op: conv_bn}, {op: add, in: [prev, x]}]}
  stage: {layers: [{op: unit, repeat: 2}]}
network:
  - {op: conv, k: 1}
  - {id: s1, op: stage}
""")
    r = report(path)
    assert [(b.path, b.name, len(b.layers), b.branches) for b in r.blocks] == [
        ("s1/unit1", "unit", 5, 2), ("s1/unit2", "unit", 5, 2)]
    assert len(r.network.layers) == 11


def test_symbolic_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="need numbers"):
        analyze(cost.profile(cost.load(SNV1, keep=("s",))))


# --- output -------------------------------------------------------------------------------------


def test_json_schema_and_values() -> None:
    code, out, _ = invoke("guidelines", str(SNV1), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"spec", "bindings", "guidelines", "blocks"}
    assert doc["bindings"] == {"n": 1, "r": 224, "s": 1, "g": 3, "classes": 1000}
    assert set(doc["guidelines"]) == {"G1", "G2", "G3", "G4"}
    for entry in doc["guidelines"].values():
        assert set(entry) == {"violated", "applicable", "score", "worst"}
        assert isinstance(entry["violated"], bool) and isinstance(entry["score"], (int, float))
        assert 0 < len(entry["worst"]) <= 3 and all("block" in w for w in entry["worst"])
    assert doc["guidelines"]["G2"]["worst"][0]["convs"][1]["mem_over_g1"] == 125_440
    assert len(doc["blocks"]) == 16 and doc["blocks"][1]["block"] == "stage2/unit1"


def test_table_markdown_csv_and_fuse() -> None:
    code, out, _ = invoke("guidelines", str(SNV1))
    assert code == 0 and "G2 excessive group convolution increases memory access: VIOLATED" in out
    assert "(network)" in out and "convention: madds" in out
    code, out, _ = invoke("guidelines", str(SNV1), "--fuse", "--format", "markdown")
    assert code == 0 and "**VIOLATED**" in out and FUSION_ASSUMPTION in out
    code, _, err = invoke("guidelines", str(SNV1), "--fuse", "--format", "json")
    assert code == 0 and FUSION_ASSUMPTION in err
    code, out, _ = invoke("guidelines", str(SNV1), "--format", "csv")
    assert code == 0 and len(list(csv.DictReader(out.splitlines()))) == 16


@pytest.mark.parametrize("args", [["guidelines"], ["guidelines", str(SNV1), "--experiments"],
                                  ["guidelines", str(SNV1), "--set", "g=7"]])
def test_user_errors_exit_2(args: list[str]) -> None:
    code, _, err = invoke(*args)
    assert code == 2 and err.startswith("error:")


# --- experiments ----------------------------------------------------------------------------------


def test_spearman() -> None:
    assert experiments.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1)
    # ties take the average rank: y ranks 1, 2.5, 2.5, 4 -> rho = 4.5/sqrt(5·4.5) = 3/sqrt(10)
    assert experiments.spearman([1, 2, 3, 4], [1, 7, 7, 9]) == pytest.approx(3 / 10**0.5)
    assert experiments.spearman([3, 1, 2], [4, 4, 4]) is None


@pytest.fixture(scope="module")
def rows() -> list[experiments.Row]:
    return experiments.rows()


def test_speed_data_covers_the_four_tables_with_sources(rows: list[experiments.Row]) -> None:
    assert len(rows) == 24 + 24 + 30 + 24
    for r in rows:
        assert r.source.startswith(f"SNv2 Table {r.table}") and r.speed > 0
    # every series has the table's rows once: 4, 4, 5, 4
    for s in experiments.series(rows):
        assert len(s.rows) == {1: 4, 2: 4, 3: 5, 4: 4}[s.table]
        assert len({r.row for r in s.rows}) == len(s.rows)


def test_experiment_networks_match_the_closed_forms(rows: list[experiments.Row]) -> None:
    px = 56 * 56
    presets = {name: cost.load(G / spec).presets[name] for spec in
               ("g1_channel_ratio.yaml", "g2_groups.yaml") for name in cost.load(G / spec).presets}
    for r in rows:
        s = r.bind.get("s")
        if r.table == 1:    # 10 blocks of c1 -> c2 -> c1 (SNv2 Sec. 2: B = hwc1c2)
            c1, c2 = (s * presets[r.preset][k] for k in ("c1", "c2"))
            assert (r.madds, r.mem) == (20 * px*c1*c2, 20 * (px*(c1 + c2) + c1*c2))
        if r.table == 2:    # 10 convs c -> c, g groups (Eq. 2)
            c, g = s * presets[r.preset]["c"], presets[r.preset]["g"]
            assert (r.madds, r.mem) == (10 * px*c*c // g, 10 * (2*px*c + c*c // g))


def test_flops_are_fixed_within_each_series_up_to_rounding(rows: list[experiments.Row]) -> None:
    # the paper fixes FLOPs across a series; its own channel pairs differ by up to 5.8%
    # (ARM: 32·32 = 1024 vs 22·44 = 968); our choices (c = 184 for the paper's 180 at g = 8,
    # round(c/sqrt(2)) in 2-fragment-series) must stay within that
    paper_spread = Fraction(32 * 32, 22 * 44)
    for s in experiments.series(rows):
        madds = [r.madds for r in s.rows]
        assert Fraction(max(madds), min(madds)) <= paper_spread


def test_memory_access_ranks_the_speeds_and_flops_do_not(rows: list[experiments.Row]) -> None:
    all_series = experiments.series(rows)
    for s in all_series:
        if s.table in (1, 2):
            assert s.rho_mem == pytest.approx(-1)   # more memory access, always slower
        assert s.rho_mem < -0.7
    summary = experiments.table_summary(all_series)
    for e in summary.values():
        assert e["rho_madds"] is None or e["rho_mem"] < e["rho_madds"] - 0.5
    assert summary[4]["defined_madds"] == 0          # ReLU and add have 0 madds: all tied


def test_experiments_cli() -> None:
    code, out, _ = invoke("guidelines", "--experiments", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"rows", "series", "tables"} and len(doc["rows"]) == 102
    code, out, _ = invoke("guidelines", "--experiments")
    assert code == 0 and "rho(speed, mem)" in out and "Table 4 (G4)" in out


# --- symbolic: the guidelines' formulas are what the engine computes ---------------------------

POINTWISE = """
symbols:
  h: {default: 56}
  w: {default: 56}
  c1: {default: 64}
  c2: {default: 64}
  g: {default: 1}
input: [1, c1, h, w]
network:
  - {id: pw, op: conv, out: c2, k: 1, groups: g}
"""


@pytest.fixture(scope="module")
def pointwise_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("sym"), POINTWISE)


def _free(p: cost.Profile) -> dict[str, sympy.Symbol]:
    return {s.name: s for s in p.formula("mem").free_symbols | p.formula("madds").free_symbols}


def test_engine_mem_is_the_papers_mac(pointwise_spec: Path) -> None:
    p = cost.profile(cost.load(pointwise_spec, keep=("h", "w", "c1", "c2", "g")))
    s = _free(p)
    h, w, c1, c2, g = (s[k] for k in ("h", "w", "c1", "c2", "g"))
    assert sympy.simplify(p.formula("mem") - (h*w*(c1 + c2) + c1*c2/g)) == 0   # SNv2 Eq. (2)
    assert sympy.simplify(p.formula("madds") - h*w*c1*c2/g) == 0               # B = hwc1c2/g


def test_g1_mem_at_fixed_flops_is_least_at_equal_widths(pointwise_spec: Path) -> None:
    p = cost.profile(cost.load(pointwise_spec, keep=("h", "w", "c1", "c2")))   # g = 1
    s = _free(p)
    h, w, c1, c2 = (s[k] for k in ("h", "w", "c1", "c2"))
    B = sympy.Symbol("B", positive=True)  # noqa: N806 - the paper's name for the FLOPs
    mem = p.formula("mem").subs(c2, B / (h*w*c1))        # c2 chosen so that madds = B
    assert sympy.simplify(p.formula("madds").subs(c2, B / (h*w*c1)) - B) == 0
    (best,) = sympy.solve(sympy.diff(mem, c1), c1)
    assert sympy.simplify(best - sympy.sqrt(B / (h*w))) == 0
    assert sympy.simplify(B / (h*w*best) - best) == 0     # the other width: c2 = c1
    assert sympy.diff(mem, c1, 2).subs(c1, best).is_positive
    # the minimum is the paper's bound (Eq. 1), and the gap is hw·(sqrt(c1) - sqrt(c2))² >= 0
    assert sympy.simplify(mem.subs(c1, best) - g1_lower_bound(h*w, B)) == 0
    madds = p.formula("madds")
    gap = p.formula("mem") - g1_lower_bound(h*w, madds)
    assert sympy.simplify(gap - h*w*(sympy.sqrt(c1) - sympy.sqrt(c2))**2) == 0


def test_g1_bound_is_the_engines_value_at_equal_widths(pointwise_spec: Path) -> None:
    p = cost.profile(cost.load(pointwise_spec, keep=("h", "w", "c1", "c2")))
    s = _free(p)
    h, w, c1, c2 = (s[k] for k in ("h", "w", "c1", "c2"))
    same = {c2: c1}
    bound = g1_lower_bound(h*w, p.formula("madds").subs(same))
    assert sympy.simplify(p.formula("mem").subs(same) - bound) == 0


def test_g2_mem_at_fixed_flops_grows_with_groups(pointwise_spec: Path) -> None:
    p = cost.profile(cost.load(pointwise_spec, keep=("h", "w", "c1", "c2", "g")))
    s = _free(p)
    h, w, c1, c2, g = (s[k] for k in ("h", "w", "c1", "c2", "g"))
    B = sympy.Symbol("B", positive=True)  # noqa: N806 - the paper's name for the FLOPs
    mem = p.formula("mem").subs(c2, g*B / (h*w*c1))      # B fixed, c1 and hw fixed
    assert sympy.simplify(mem - (h*w*c1 + B*g/c1 + B/(h*w))) == 0   # SNv2 Eq. (2), right side
    slope = sympy.simplify(sympy.diff(mem, g))
    assert slope == B / c1 and slope.is_positive
    # and the bound-at-the-same-g of G1 grows with g as well: 2·sqrt(g·hw·B) + B/hw
    assert sympy.diff(g1_lower_bound(h*w, B, g), g).is_positive
