"""Golden checks for the MobileNet v1/v2/v3 and GhostNet specs, written as arithmetic.

Each number is derived in its comment from the paper or the official code; where a relation needs
no golden value (scaling with r², a cost ratio), the relation is checked instead.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import cost

SPECS = Path(__file__).resolve().parent.parent / "specs"


def run(name: str, **bindings: object) -> cost.Profile:
    return cost.profile(cost.load(SPECS / name, **bindings))


def block(p: cost.Profile, prefix: str) -> cost.Cost:
    """Summed cost of the layers under one path prefix (one block call)."""
    return cost.Cost.sum(layer.cost for layer in p.layers if layer.path.startswith(prefix + "/"))


def probe(tmp_path: Path, parent: str, input_shape: list, network: list[str]) -> Path:
    """A spec that reuses `parent`'s blocks on a chosen input (expect: is not inherited)."""
    text = (f"spec: 1\nextends: {SPECS / parent}\nname: probe\n"
            f"input: {input_shape}\nnetwork:\n" + "".join(f"  - {line}\n" for line in network))
    path = tmp_path / "probe.yaml"
    path.write_text(text)
    return path


# --- MobileNet v1 --------------------------------------------------------------------------------


@pytest.mark.parametrize("s,h,madds,params", [
    # MNv1 Table 3: one 14×14×512 -> 512 layer, 3×3. Depthwise separable: 14²·(9·512 + 512·512)
    # = 52,283,392 ("52.3" Million Mult-Adds), weights 9·512 + 512² = 266,752 ("0.27" M).
    (1, 14, 14 * 14 * (9 * 512 + 512 * 512), 9 * 512 + 512 * 512),
    # α = 0.75: 384 channels: 14²·(9·384 + 384²) = 29,578,752 ("29.6"), 150,912 ("0.15").
    ("0.75", 14, 14 * 14 * (9 * 384 + 384 * 384), 9 * 384 + 384 * 384),
    # ρ = 0.714: 14 -> 10: 10²·(9·384 + 384²) = 15,091,200 ("15.1"), params unchanged.
    ("0.75", 10, 10 * 10 * (9 * 384 + 384 * 384), 9 * 384 + 384 * 384),
])
def test_mnv1_table3_depthwise_separable_layer(tmp_path, s, h, madds, params):
    path = probe(tmp_path, "mobilenet_v1.yaml", ["n", "max(floor(512*s), 8)", h, h],
                 ["{id: layer, op: dw_separable, c: 512}"])
    p = cost.profile(cost.load(path, s=s))
    bn = sum(layer.cost.params for layer in p.layers if layer.op == "bn")
    assert p.total.madds == madds
    assert p.total.params - bn == params                  # Table 3 counts conv weights only


def test_mnv1_depthwise_separable_cost_ratio(tmp_path):
    # MNv1 Eq. (5): (Dk²·M·DF² + M·N·DF²) / (Dk²·M·N·DF²) = 1/N + 1/Dk², here N = M = 512, Dk = 3.
    sep = probe(tmp_path, "mobilenet_v1.yaml", ["n", 512, 14, 14],
                ["{id: layer, op: dw_separable, c: 512}"])
    separable = cost.profile(cost.load(sep)).total.madds
    full = probe(tmp_path, "mobilenet_v1.yaml", ["n", 512, 14, 14],
                 ["{id: layer, op: conv, out: 512, k: 3, pad: 1}"])
    standard = cost.profile(cost.load(full)).total.madds
    assert standard == 14 * 14 * 9 * 512 * 512            # MNv1 Table 3 "Conv" row: 462M
    assert Fraction(separable, standard) == Fraction(1, 512) + Fraction(1, 9)


@pytest.mark.parametrize("r,reported", [(224, 317), (192, 233), (160, 162), (128, 104)])
def test_mnv1_tfslim_075_rows_leave_out_the_first_conv(r, reported):
    # tf-slim mobilenet_v1.md gives MobileNet_v1_0.75_{r} as 317/233/162/104 Million MACs: this
    # spec minus Conv2d_0 (24 filters of 3·3·3 on an (r/2)² map), rounded (see the spec's note).
    p = run("mobilenet_v1.yaml", s="0.75", r=r)
    conv0 = 24 * 27 * (r // 2) ** 2
    assert p.layers[0].path == "conv0" and p.layers[0].cost.madds == conv0
    assert round(Fraction(p.total.madds - conv0, 10**6)) == reported
    assert round(Fraction(p.total.madds, 10**6)) != reported   # the full count does not round to it


# --- MobileNet v2 --------------------------------------------------------------------------------


def test_mnv2_one_inverted_residual_block():
    # b2/unit1: 24 -> 24 channels at 56×56, t = 6 (hidden 144), stride 1, residual add.
    # expand 24·144, dw 9·144, project 144·24 multiply-adds per pixel; BN 2·(144 + 144 + 24).
    p = run("mobilenet_v2.yaml")
    unit = block(p, "b2/unit1")
    assert unit.madds == 56 * 56 * (24 * 144 + 9 * 144 + 144 * 24)        # 25,740,288
    assert unit.params == 24 * 144 + 9 * 144 + 144 * 24 + 2 * (144 + 144 + 24)
    ops = [layer.op for layer in p.layers if layer.path.startswith("b2/unit1/")]
    assert ops == ["conv", "bn", "relu6", "conv", "bn", "relu6", "conv", "bn", "add"]


def test_mnv2_first_block_has_no_expansion_and_adds_follow_the_rule():
    p = run("mobilenet_v2.yaml")
    first = [layer.path for layer in p.layers if layer.path.startswith("b1/")]
    assert not any("expand" in path for path in first)    # t = 1: no 1×1 expansion
    adds = [layer.path for layer in p.layers if layer.op == "add"]
    # stride 1 and cin = cout: every block but the first of each Table 2 row, 2+3+4+3+3 - 5 = 10
    assert len(adds) == (2 - 1) + (3 - 1) + (4 - 1) + (3 - 1) + (3 - 1)


def test_mnv2_madds_scale_with_r_squared_beyond_the_classifier():
    # Every map is r/2^k exactly for r a multiple of 32, so madds - fc (1280·1000) ∝ r².
    fc = 1280 * 1000
    m224 = run("mobilenet_v2.yaml", r=224).total.madds
    m96 = run("mobilenet_v2.yaml", r=96).total.madds
    assert (m224 - fc) * 96**2 == (m96 - fc) * 224**2


@pytest.mark.parametrize("s,reported", [("1.4", "6.06"), ("1.3", "5.34"), ("1.0", "3.47"),
                                        ("0.75", "2.61"), ("0.5", "1.95"), ("0.35", "1.66")])
def test_mnv2_tfslim_params_column_excludes_batch_norm(s, reported):
    # tf-slim mobilenet/README.md "Parameters (M)": this spec's count without BN scale and shift,
    # rounded to 0.01M, for all six widths (with BN: 3.50M at 1.0, torchvision's 3,504,872).
    p = run("mobilenet_v2.yaml", s=s)
    bn = sum(layer.cost.params for layer in p.layers if layer.op == "bn")
    assert round(Fraction(p.total.params - bn, 10**4)) == round(Fraction(reported) * 100)
    assert round(Fraction(p.total.params, 10**4)) != round(Fraction(reported) * 100)


def test_mnv2_thin_head_alternative():
    # tf-slim without finegrain_classification_mode thins the 1280 conv to 960 at s = 0.75: the
    # conv_last (240 -> 1280 vs 960 on 7×7) and fc (1280 vs 960 inputs) lose 240·320·49 + 320·1000.
    kept = run("mobilenet_v2.yaml", s="0.75").total
    thin = run("mobilenet_v2.yaml", s="0.75", last=960).total
    assert kept.madds - thin.madds == 240 * 320 * 49 + 320 * 1000
    assert kept.params - thin.params == 240 * 320 + 2 * 320 + 320 * 1000   # conv, BN, fc weights


def test_mnv2_width_rounding():
    # make_divisible(c·s, 8) (torchvision/tf-slim): at s = 0.35 the stem is 16 (11.2 rounds to 8,
    # below 90% of 11.2, so +8), Table 2's 24 becomes 8, 320 becomes 112; 1280 stays.
    p = run("mobilenet_v2.yaml", s="0.35")
    out = {layer.path: layer.out_shape[1] for layer in p.layers}
    assert out["conv1"] == 16
    assert out["b2/unit1/project"] == 8
    assert out["b7/first/project"] == 112
    assert out["conv_last"] == 1280
    assert run("mobilenet_v2.yaml", s="1.4").layers[-6].out_shape[1] == 1792   # 1280·1.4


# --- MobileNet v3 --------------------------------------------------------------------------------

# Squeeze-and-excite on pooled 1×1 maps: fc1 exp -> sq and fc2 sq -> exp, sq = make_divisible(
# exp // 4, 8): 72 -> 24 (18 rounds to 16, below 90% of 18), 120 -> 32, 480 -> 120, 672 -> 168,
# 960 -> 240 (Large); 16 -> 8, 96 -> 24, 240 -> 64, 120 -> 32, 144 -> 40, 288 -> 72, 576 -> 144.
SE_LARGE = 2 * (72 * 24 + 2 * 120 * 32 + 480 * 120 + 2 * 672 * 168 + 2 * 960 * 240)
SE_SMALL = 2 * (16 * 8 + 96 * 24 + 2 * 240 * 64 + 120 * 32 + 144 * 40 + 288 * 72 + 2 * 576 * 144)


@pytest.mark.parametrize("name,pooled", [
    # the layers on 1×1 maps do not scale with r: SE convs + classifier (last conv -> 1280/1024
    # -> 1000)
    ("mobilenet_v3_large.yaml", SE_LARGE + 960 * 1280 + 1280 * 1000),
    ("mobilenet_v3_small.yaml", SE_SMALL + 576 * 1024 + 1024 * 1000),
])
def test_mnv3_pooled_layers_and_r_squared_scaling(name, pooled):
    p = run(name)
    on_1x1 = sum(layer.cost.madds for layer in p.layers
                 if layer.op in ("conv", "linear") and len(layer.out_shape) == 2
                 or layer.op == "conv" and layer.out_shape[2:] == (1, 1))
    assert on_1x1 == pooled
    m224, m160 = p.total.madds, run(name, r=160).total.madds
    assert (m224 - pooled) * 160**2 == (m160 - pooled) * 224**2


@pytest.mark.parametrize("name,se,adds,expand", [
    # Table 1: SE on rows 4-6 and 11-15; adds where stride 1 and in = out: rows 1, 3, 5, 6, 8,
    # 9, 10, 12, 14, 15; the first row (exp 16 = in 16) has no expansion conv.
    ("mobilenet_v3_large.yaml", 8, 10, 14),
    # Table 2: SE on rows 1 and 4-11; adds on rows 3, 5, 6, 8, 10, 11; row 1 has exp 16 = in 16.
    ("mobilenet_v3_small.yaml", 9, 6, 10),
])
def test_mnv3_block_structure(name, se, adds, expand):
    p = run(name)
    calls = {path for layer in p.layers for path, block_name in layer.blocks}
    named = {path.rsplit("/", 1)[-1].rstrip("0123456789") for path in calls}
    assert {"se", "expand"} <= named
    assert len([c for c in calls if c.endswith("/se")]) == se
    assert len([c for c in calls if c.endswith("/expand")]) == expand
    assert len([layer for layer in p.layers if layer.op == "add"]) == adds


def test_mnv3_large_075_width_rules():
    # tf-slim (preset width-0.75): expansion = make_divisible(cin·exp/inp, 8) from the rounded
    # input; torchvision: make_divisible(exp·0.75, 8). Row 9 (in 80 -> 64 at 0.75, exp 184):
    # tf-slim 64·184/80 = 147.2 -> 144; torchvision 138 -> 136. The classifier: 1280 vs 960.
    tf = run("mobilenet_v3_large.yaml", preset="width-0.75")
    tv = run("mobilenet_v3_large.yaml", preset="torchvision-0.75")
    width = {name: {layer.path: layer.out_shape[1] for layer in p.layers}
             for name, p in (("tf", tf), ("tv", tv))}
    assert width["tf"]["bneck9/expand/conv"] == 144
    assert width["tv"]["bneck9/expand/conv"] == 136
    assert width["tf"]["fc1"] == 1280 and width["tv"]["fc1"] == 960


# --- GhostNet ------------------------------------------------------------------------------------


@pytest.mark.parametrize("c,out,h", [(112, 672, 14), (16, 48, 112), (960, 160, 7)])
def test_ghost_module_against_a_1x1_conv(tmp_path, c, out, h):
    # GN Sec. 3.1: a Ghost module (s = 2, d = 3) with a 1×1 primary conv costs
    # h·w·(c·out/2 + 9·out/2) against h·w·c·out for the ordinary 1×1 conv: speed-up
    # r = c·out / (c·out/2 + 9·out/2) = 2c / (c + 9), which tends to s = 2 as c grows.
    ghost = probe(tmp_path, "ghostnet.yaml", ["n", c, h, h], [f"{{id: g, op: ghost, out: {out}}}"])
    g = cost.profile(cost.load(ghost))
    assert g.total.madds == h * h * (c * out // 2 + 9 * out // 2)
    assert g.layers[-1].op == "concat" and g.layers[-1].out_shape == (1, out, h, h)
    plain = probe(tmp_path, "ghostnet.yaml", ["n", c, h, h], [f"{{op: conv, out: {out}, k: 1}}"])
    conv = cost.profile(cost.load(plain)).total.madds
    assert conv == h * h * c * out
    assert Fraction(conv, g.total.madds) == Fraction(2 * c, c + 9) < 2


def test_ghost_module_odd_width_is_an_error(tmp_path):
    # The official module slices concat(init, init) to `out`; this spec has no slice op, so an
    # odd `out` must fail loudly rather than give out + 1 channels.
    ghost = probe(tmp_path, "ghostnet.yaml", ["n", 16, 8, 8], ["{id: g, op: ghost, out: 15}"])
    with pytest.raises(cost.CostError, match="groups"):
        cost.profile(cost.load(ghost))


def test_ghostnet_shortcuts_and_widths():
    p = run("ghostnet.yaml")
    convs = {layer.path.split("/")[0] for layer in p.layers if "/shortcut/" in layer.path}
    # conv shortcut where the shape changes: b2, b4, b6, b12 (stride 2) and b10 (80 -> 112)
    assert convs == {"b2", "b4", "b6", "b10", "b12"}
    assert len([layer for layer in p.layers if layer.op == "add"]) == 16
    # s = 1.3: make_divisible(c·1.3, 4): 16 -> 20 (20.8), 960 -> 1248; the 1280 head stays.
    q = run("ghostnet.yaml", s="1.3")
    out = {layer.path: layer.out_shape[1] for layer in q.layers}
    assert out["conv_stem"] == 20 and out["conv_last"] == 1248 and out["conv_head"] == 1280
    # SE reduce at b14 (mid make_divisible(960·1.3, 4) = 1248): make_divisible(1248/4, 4) = 312
    assert out["b14/se/reduce"] == 312


def test_ghostnet_first_bottleneck():
    # b1: 16 -> 16 at 112×112, mid 16, stride 1, no SE, identity shortcut. Each Ghost module:
    # primary 1×1 16 -> 8 and cheap 3×3 dw on 8 channels.
    p = run("ghostnet.yaml")
    assert block(p, "b1").madds == 2 * 112 * 112 * (16 * 8 + 9 * 8)
    assert block(p, "b1").params == 2 * (16 * 8 + 9 * 8 + 2 * (8 + 8))
