"""Golden checks for the SqueezeNet and reference-net specs (AlexNet, VGG-16, ResNet-50, GoogLeNet).

Every number is written as arithmetic from the architecture, with the derivation beside it, so a
wrong spec and a wrong engine both fail here. The `expect:` entries in the specs check the totals
against the published figures; these tests check the parts (one block, one difference) that add up
to them. Convention: cost.measures (madds = conv + linear multiply-adds).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from spec_cases import smallest

import cost
from cost.measures import Cost

SPECS = Path(__file__).resolve().parent.parent / "specs"


def run(name: str, **kw) -> cost.Profile:
    return cost.profile(cost.load(SPECS / name, **kw))


def group(p: cost.Profile, path: str) -> Cost:
    """Summed cost of the layers under one top-level path (a block call)."""
    (g,) = [g for g in p.groups(1) if g.path == path]
    return g.cost


# --- SqueezeNet -------------------------------------------------------------------------------


def fire_costs(hw: int, cin: int, s1: int, e1: int, e3: int) -> tuple[int, int]:
    """(madds, params) of one Fire module on an hw-pixel map: squeeze 1×1, expand 1×1 and 3×3."""
    madds = hw * (cin * s1 + s1 * e1 + 9 * s1 * e3)
    params = (cin * s1 + s1) + (s1 * e1 + e1) + (9 * s1 * e3 + e3)  # weights + biases
    return madds, params


def test_fire_module() -> None:
    p = run("squeezenet_v1_0.yaml")  # r = 227: fire2 sees pool1's 55×55 map, 96 channels
    fire2 = group(p, "fire2")
    assert fire2.madds == 55 * 55 * (96 * 16 + 16 * 64 + 9 * 16 * 64) == 35_622_400
    assert fire2.params == (96 * 16 + 16) + (16 * 64 + 64) + (9 * 16 * 64 + 64) == 11_920
    # fire9: 13×13, 512 -> 64 -> 256 + 256; papers.md's per-layer table: 197,184
    fire9 = group(p, "fire9")
    assert (fire9.madds, fire9.params) == fire_costs(13 * 13, 512, 64, 256, 256)
    assert fire9.params == 32_832 + 16_640 + 147_712


def test_squeezenet_v1_0_layer_by_layer() -> None:
    """The whole network from Table 1 widths: conv1, eight Fire modules, conv10 (no FC)."""
    fires = [(16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128),
             (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]
    maps = [55, 55, 55, 27, 27, 27, 27, 13]  # r = 227: pools after conv1, fire4, fire8
    madds, params = 111 * 111 * 96 * 7 * 7 * 3, 96 * 7 * 7 * 3 + 96  # conv1 7×7/2: 111×111
    cin = 96
    for (s1, e1, e3), h in zip(fires, maps, strict=True):
        m, q = fire_costs(h * h, cin, s1, e1, e3)
        madds, params, cin = madds + m, params + q, e1 + e3
    madds, params = madds + 13 * 13 * 512 * 1000, params + 512 * 1000 + 1000  # conv10
    p = run("squeezenet_v1_0.yaml")
    assert (p.total.madds, p.total.params) == (madds, params) == (832_667_936, 1_248_424)


def test_squeezenet_224_vs_227() -> None:
    """Only conv1 (111² vs 109²) and fire2-fire4 (55² vs 54²) differ; from pool4 on both are 27²."""
    conv1 = (111 * 111 - 109 * 109) * 96 * 147
    fires = (55 * 55 - 54 * 54) * (96 * 16 + 16 * 64 + 9 * 16 * 64      # fire2
                                   + 128 * 16 + 16 * 64 + 9 * 16 * 64   # fire3
                                   + 128 * 32 + 32 * 128 + 9 * 32 * 128)  # fire4
    at227, at224 = run("squeezenet_v1_0.yaml"), run("squeezenet_v1_0.yaml", preset="torchvision")
    assert at227.total.madds - at224.total.madds == conv1 + fires == 13_743_360
    assert at224.total.madds == 818_924_576  # torchvision _ops 0.819
    assert at227.total.params == at224.total.params  # no FC: parameters do not depend on r


def test_squeezenet_caffe_conv10_padding() -> None:
    """deploy.prototxt's conv10 has pad 1: a 1×1 conv on 13×13 padded to 15×15."""
    plain, caffe = run("squeezenet_v1_0.yaml"), run("squeezenet_v1_0.yaml", preset="caffe")
    assert caffe.total.madds - plain.total.madds == (15 * 15 - 13 * 13) * 512 * 1000
    assert caffe.total.params == plain.total.params


def test_squeezenet_v1_1_differs_from_v1_0_only_in_stem_and_pools() -> None:
    v10, v11 = run("squeezenet_v1_0.yaml"), run("squeezenet_v1_1.yaml")
    # params: conv1 96·7·7·3+96 -> 64·3·3·3+64, and fire2's squeeze sees 64 channels, not 96
    assert v10.total.params - v11.total.params == (14_208 - 1_792) + (96 - 64) * 16
    # at 224 (torchvision): conv1 111², fire2-3 55², fire4-5 27², fire6-9 and conv10 13²
    fires = [(55, 64, 16, 64, 64), (55, 128, 16, 64, 64), (27, 128, 32, 128, 128),
             (27, 256, 32, 128, 128), (13, 256, 48, 192, 192), (13, 384, 48, 192, 192),
             (13, 384, 64, 256, 256), (13, 512, 64, 256, 256)]
    madds = 111 * 111 * 64 * 27 + sum(fire_costs(h * h, c, s, a, b)[0] for h, c, s, a, b in fires)
    madds += 13 * 13 * 512 * 1000
    assert run("squeezenet_v1_1.yaml", preset="torchvision").total.madds == madds == 349_151_936


def test_squeezenet_metaparameters() -> None:
    """SR scales every squeeze layer (Sec. 5.1): SR = 0.75 gives s1x1 = 96, 96, 192, ..., 384;
    pct3x3 splits the expand layer (Sec. 5.2): 0.25 gives e1x1/e3x3 = 96/32 in fire2."""
    p = run("squeezenet_v1_0.yaml", sr="3/4")
    assert group(p, "fire2").params == (96 * 96 + 96) + (96 * 64 + 64) + (9 * 96 * 64 + 64)
    squeeze9 = [layer for layer in p.layers if layer.path == "fire9/squeeze"][0]
    assert squeeze9.out_shape == (1, 384, 13, 13)  # 0.75·512
    q = run("squeezenet_v1_0.yaml", pct3x3="1/4")
    assert group(q, "fire2").params == (96 * 16 + 16) + (16 * 96 + 96) + (9 * 16 * 32 + 32)


def test_bypass_variants() -> None:
    vanilla = run("squeezenet_v1_0.yaml").total
    simple = run("squeezenet_v1_0_bypass_simple.yaml").total
    complex_ = run("squeezenet_v1_0_bypass_complex.yaml").total
    # simple bypass: identity adds, "without increasing model size" (Sec. 6)
    assert (simple.madds, simple.params) == (vanilla.madds, vanilla.params)
    # complex bypass: 1×1 conv (with bias) around fire2 (96->128) and fire4 (128->256) at 55²,
    # fire6 (256->384) and fire8 (384->512) at 27²
    assert complex_.params - vanilla.params == (96 * 128 + 128) + (128 * 256 + 256) \
        + (256 * 384 + 384) + (384 * 512 + 512) == 341_248
    assert complex_.madds - vanilla.madds == 55 * 55 * (96 * 128 + 128 * 256) \
        + 27 * 27 * (256 * 384 + 384 * 512)
    # the four identity adds join equal shapes (in = out channels, Sec. 6)
    layers = run("squeezenet_v1_0_bypass_simple.yaml").layers
    adds = [layer for layer in layers if layer.op == "add"]
    assert [layer.path for layer in adds] == ["bypass3", "bypass5", "bypass7", "bypass9"]
    assert all(a.in_shapes[0] == a.in_shapes[1] == a.out_shape for a in adds)


# --- AlexNet, VGG-16 ---------------------------------------------------------------------------


def test_alexnet_layers() -> None:
    p = run("alexnet.yaml")
    by_op = p.by_op()
    assert by_op["conv"].madds == (55 * 55 * 64 * 11 * 11 * 3 + 27 * 27 * 192 * 64 * 5 * 5
                                   + 13 * 13 * (384 * 192 + 256 * 384 + 256 * 256) * 3 * 3)
    fc_params = (256 * 6 * 6 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000  # with biases
    assert by_op["linear"].params == fc_params
    assert p.total.params == 61_100_840


def test_alexnet_at_256_pools_7x7_to_6x6() -> None:
    """At r = 256 AlexNet's last map is 7×7 (conv1 floor((256 + 4 − 11)/4) + 1 = 63, pools
    63 -> 31 -> 15 -> 7): the adaptive pool makes it 6×6, so the FC input stays 256·6·6 and the
    parameters are those of r = 224."""
    p = run("alexnet.yaml", r=256)
    (pool,) = [layer for layer in p.layers if layer.op == "adaptive_avgpool"]
    assert (pool.in_shapes, pool.out_shape) == (((1, 256, 7, 7),), (1, 256, 6, 6))
    fc6 = [layer for layer in p.layers if layer.path == "fc6"][0]
    assert fc6.in_shapes == ((1, 256 * 6 * 6),)
    assert p.total.params == 61_100_840
    assert p.total.madds == (63 * 63 * 64 * 363 + 31 * 31 * 192 * 1600
                             + 15 * 15 * (384 * 1728 + 256 * 3456 + 256 * 2304)
                             + 9216 * 4096 + 4096 * 4096 + 4096 * 1000) == 927_124_160


def test_adaptive_pool_lets_alexnet_and_vgg16_run_small() -> None:
    """The forward-pass tests run each spec at its smallest r (tests/spec_cases.py): AlexNet at
    64 (pool5 leaves 1×1, pooled up to 6×6), VGG-16 at 32 (1×1 -> 7×7), not 224."""
    assert smallest(SPECS / "alexnet.yaml", None).bindings["r"] == 64
    assert smallest(SPECS / "vgg16.yaml", None).bindings["r"] == 32


def test_vgg16_conv_and_fc() -> None:
    """The papers' 15300 M is the conv layers; the FC layers add 123.6M (torchvision: 15.47 G)."""
    by_op = run("vgg16.yaml").by_op()
    conv = 9 * (224**2 * (3 * 64 + 64 * 64) + 112**2 * (64 * 128 + 128 * 128)
                + 56**2 * (128 * 256 + 2 * 256 * 256) + 28**2 * (256 * 512 + 2 * 512 * 512)
                + 14**2 * 3 * 512 * 512)
    assert by_op["conv"].madds == conv == 15_346_630_656
    assert by_op["linear"].madds == 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000


def test_vgg16_at_256() -> None:
    """r = 256: the 8×8 map is pooled to 7×7 in overlapping bins of 2; convs scale by (256/224)²,
    the FC layers do not."""
    p = run("vgg16.yaml", r=256)
    assert p.total.madds == 15_346_630_656 * 256**2 // 224**2 + 123_633_664 == 20_168_212_480
    assert p.total.params == 138_357_544


def test_vgg16_symbolic_resolution() -> None:
    """Convs scale with r²; the FC input stays 512·7·7 behind the adaptive pool."""
    p = run("vgg16.yaml", keep=("r",))
    assert p.subs(r=224).total.madds == 15_346_630_656 + 123_633_664
    r = sympy.Symbol("r", positive=True, integer=True)
    assert sympy.expand(p.formula("madds") - (15_346_630_656 * r**2 / 224**2 + 123_633_664)) == 0


# --- ResNet-50 ---------------------------------------------------------------------------------

# One identity bottleneck costs the same in every stage: the map area quarters as widths double.
# layer1 (56², 256 -> 64 -> 256): 56²·(256·64 + 9·64·64 + 64·256)
IDENTITY = 56 * 56 * (256 * 64 + 9 * 64 * 64 + 64 * 256)
# The first block of layer2-4 (v1.5): 1×1 on the full map, 3×3/2, 1×1 and the 1×1/2 projection,
# e.g. layer2: 56²·256·128 + 28²·(9·128·128 + 128·512 + 256·512)
FIRST_STRIDED = 56 * 56 * 256 * 128 + 28 * 28 * (9 * 128 * 128 + 128 * 512 + 256 * 512)


def test_resnet50_bottleneck() -> None:
    p = run("resnet50.yaml")
    identity = [g for g in p.groups(2) if g.path == "layer3/bottleneck1"][0].cost
    assert identity.madds == 14 * 14 * (1024 * 256 + 9 * 256 * 256 + 256 * 1024) == IDENTITY
    assert identity.params == (1024 * 256 + 9 * 256 * 256 + 256 * 1024) + 2 * (256 + 256 + 1024)
    first = [g for g in p.groups(2) if g.path == "layer1/bottleneck_down"][0].cost
    # 56²·(64·64 + 9·64·64 + 64·256 + 64·256 projection); BN on 64, 64, 256 and 256 channels
    assert first.madds == 56 * 56 * (64 * 64 + 9 * 64 * 64 + 64 * 256 + 64 * 256) == 231_211_008
    assert first.params == (64 * 64 + 9 * 64 * 64 + 64 * 256 + 64 * 256) + 2 * (64 + 64 + 256 + 256)


def test_resnet50_total_from_blocks() -> None:
    """conv1 + layer1's first block + three strided first blocks + 12 identity blocks + fc."""
    conv1 = 112 * 112 * 7 * 7 * 3 * 64
    layer1_first = 56 * 56 * (64 * 64 + 9 * 64 * 64 + 64 * 256 + 64 * 256)
    fc = 2048 * 1000
    blocks = (3 - 1) + (4 - 1) + (6 - 1) + (3 - 1)
    p = run("resnet50.yaml")
    assert p.total.madds == conv1 + layer1_first + 3 * FIRST_STRIDED + blocks * IDENTITY + fc
    assert p.total.madds == 4_089_184_256  # torchvision _ops 4.089


def test_resnet50_v1_vs_v1_5() -> None:
    """v1 runs the strided stages' first 1×1 on the half-size map: (H² − (H/2)²)·cin·width less."""
    v15, v1 = run("resnet50.yaml").total, run("resnet50.yaml", preset="v1").total
    saved = (56**2 - 28**2) * 256 * 128 + (28**2 - 14**2) * 512 * 256 + (14**2 - 7**2) * 1024 * 512
    assert v15.madds - v1.madds == saved == 231_211_008
    assert v15.params == v1.params


def test_resnet50_symbolic_resolution() -> None:
    """Every conv scales with (r/224)²; only the fc does not: madds(r) = 81456·r² + 2048000."""
    p = run("resnet50.yaml", keep=("r",))
    r = sympy.Symbol("r", positive=True, integer=True)
    assert (4_089_184_256 - 2_048_000) % (224 * 224) == 0
    assert sympy.expand(p.formula("madds") - ((4_089_184_256 - 2_048_000) // (224 * 224) * r**2
                                           + 2_048_000)) == 0


# --- GoogLeNet ---------------------------------------------------------------------------------


def test_inception_module() -> None:
    """inception3a, 28×28×192: 1×1 64 ‖ 1×1 96 -> 3×3 128 ‖ 1×1 16 -> "5×5" 32 ‖ pool, 1×1 32."""
    p = run("googlenet.yaml")
    per_pixel = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 9 * 16 * 32 + 192 * 32
    a3 = group(p, "inception3a")
    assert a3.madds == 28 * 28 * per_pixel == 121_626_624
    assert a3.params == per_pixel + 2 * (64 + 96 + 128 + 16 + 32 + 32)  # BN scale + shift
    k5 = group(run("googlenet.yaml", preset="k5x5"), "inception3a")
    assert k5.madds - a3.madds == 28 * 28 * (25 - 9) * 16 * 32


def test_googlenet_shape_walk() -> None:
    """torchvision's comments: 112, 56, 28, 14, 7; concat widths 256, 480, 512, 512, 512, 528,
    832, 832, 1024."""
    shapes = {g.path: g.out_shapes[0] for g in run("googlenet.yaml").groups(1)}
    assert shapes["conv1"] == (1, 64, 112, 112)
    assert shapes["maxpool1"][2:] == (56, 56) and shapes["maxpool2"][2:] == (28, 28)
    widths = [shapes[f"inception{m}"][1] for m in
              ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
    assert widths == [256, 480, 512, 512, 512, 528, 832, 832, 1024]
    assert shapes["maxpool3"][2:] == (14, 14) and shapes["maxpool4"][2:] == (7, 7)


# --- cross-check against PyTorch modules built from the papers' definitions ------------------


def test_fire_and_bottleneck_match_torch() -> None:
    """torch counts the same parameters; its flop counter counts 2 FLOPs per multiply-add."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    from torch.utils.flop_counter import FlopCounterMode

    def torch_costs(module, shape):
        module.eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            module(torch.zeros(shape))
        return counter.get_total_flops() // 2, sum(t.numel() for t in module.parameters())

    class Fire(nn.Module):
        def __init__(self, cin: int, s1: int, e1: int, e3: int) -> None:
            super().__init__()
            self.squeeze = nn.Conv2d(cin, s1, 1)
            self.expand1x1 = nn.Conv2d(s1, e1, 1)
            self.expand3x3 = nn.Conv2d(s1, e3, 3, padding=1)

        def forward(self, x):
            x = torch.relu(self.squeeze(x))
            return torch.cat([torch.relu(self.expand1x1(x)), torch.relu(self.expand3x3(x))], 1)

    fire2 = group(run("squeezenet_v1_0.yaml"), "fire2")
    assert torch_costs(Fire(96, 16, 64, 64), (1, 96, 55, 55)) == (fire2.madds, fire2.params)

    def conv_bn(cin: int, cout: int, k: int, stride: int = 1):
        return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]

    class Down(nn.Module):  # layer2's first bottleneck, stride on the 3×3 (v1.5)
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(*conv_bn(256, 128, 1), nn.ReLU(), *conv_bn(128, 128, 3, 2),
                                      nn.ReLU(), *conv_bn(128, 512, 1))
            self.proj = nn.Sequential(*conv_bn(256, 512, 1, 2))

        def forward(self, x):
            return torch.relu(self.body(x) + self.proj(x))

    down = [g for g in run("resnet50.yaml").groups(2) if g.path == "layer2/bottleneck_down"][0]
    assert torch_costs(Down(), (1, 256, 56, 56)) == (down.cost.madds, down.cost.params)
    assert down.cost.madds == FIRST_STRIDED
