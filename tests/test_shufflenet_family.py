"""Checks specific to the ShuffleNet family specs: ShuffleNet V2 (megvii and torchvision layouts),
ShuffleNet v1 with SE, the shallow v1, and SNv1 Table 4's comparison units (specs/units/).

Closed forms are checked symbolically on one block at a time (a two-line spec that extends the
family and feeds the block a symbolic input), totals against arithmetic written out with its
derivation, and the V2 and SE models against independent PyTorch rebuilds (parameters counted by
PyTorch, multiply-adds by torch.utils.flop_counter, which counts 2 FLOPs per multiply-add).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import cost
from cost.engine.walk import Layer

SPECS = Path(__file__).resolve().parent.parent / "specs"
V2 = SPECS / "shufflenet_v2.yaml"
V2_TV = SPECS / "shufflenet_v2_torchvision.yaml"
V1 = SPECS / "shufflenet_v1.yaml"
V1_SE = SPECS / "shufflenet_v1_se.yaml"
V1_SHALLOW = SPECS / "shufflenet_v1_shallow.yaml"
UNITS = SPECS / "units"

# SNv2 Table 5 = megvii network.py stage_out_channels: s -> [Stage2, Stage3, Stage4, Conv5]
V2_WIDTHS = {"1/2": [48, 96, 192, 1024], "1": [116, 232, 464, 1024],
             "3/2": [176, 352, 704, 1024], "2": [244, 488, 976, 2048]}


def total(path: Path, **bind) -> cost.Cost:
    return cost.profile(cost.load(path, **bind)).total


def plain(expr) -> sympy.Expr:
    """A formula with its symbols' assumptions dropped, so it compares with sympy.symbols(...)."""
    expr = sympy.sympify(expr)
    return expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols})


def one_block(tmp_path: Path, parent: Path, symbols: dict, input_: str, layer: str) -> cost.Profile:
    """Profile one block of `parent` on a symbolic input: every symbol stays free."""
    decls = "\n".join(f"  {k}: {{default: {v}}}" for k, v in symbols.items())
    text = (f"spec: 1\nextends: {parent}\nname: one_block\nsymbols:\n{decls}\n"
            f"input: {input_}\nnetwork:\n  - {layer}\n")
    path = tmp_path / "one_block.yaml"
    path.write_text(text, encoding="utf-8")
    return cost.profile(cost.load(path, symbolic=True))


def stage_units(layers: list[Layer]) -> dict[str, int]:
    """Number of block calls (units) directly inside each stage, from the layers' block paths."""
    units: dict[str, set[str]] = {}
    for layer in layers:
        for block_path, _ in layer.blocks:
            parts = block_path.split("/")
            if len(parts) == 2 and parts[0].startswith("stage"):
                units.setdefault(parts[0], set()).add(block_path)
    return {stage: len(paths) for stage, paths in sorted(units.items())}


# --- ShuffleNet V2: unit closed forms ---------------------------------------------------------


def test_v2_unit_closed_form(tmp_path: Path) -> None:
    # Fig. 3(c) on c channels, h×h: split to c/2; 1×1 (c/2)², 3×3 DW 9·c/2, 1×1 (c/2)² per pixel.
    p = one_block(tmp_path, V2, {"c": 116, "h": 28}, "[n, c, h, h]", "{op: unit}")
    n, c, h = sympy.symbols("n c h")
    assert sympy.expand(plain(p.total.madds) - n * h**2 * (c**2 / 2 + 9 * c / 2)) == 0
    # weights c²/4 + 9c/2 + c²/4, and three BNs of c/2 channels (scale + shift): 3·c
    assert sympy.expand(plain(p.total.params) - (c**2 / 2 + 9 * c / 2 + 3 * c)) == 0


def test_v2_stride2_unit_closed_form(tmp_path: Path) -> None:
    # Fig. 3(d), c -> 2c (Stages 3-4, both layouts): projection dw 9c + 1×1 c², main 1×1 at the
    # input resolution 4·c², dw 9c, 1×1 c², per output pixel of the h×h output.
    p = one_block(tmp_path, V2, {"c": 116, "h": 14}, "[n, c, 2*h, 2*h]",
                  "{op: unit_down, cout: 2*c}")
    n, c, h = sympy.symbols("n c h")
    assert p.layers[-1].out_shape[1:] == (2 * p.env.names["c"], p.env.names["h"], p.env.names["h"])
    assert sympy.expand(plain(p.total.madds) - n * h**2 * (6 * c**2 + 18 * c)) == 0
    # weights 9c + c² + c² + 9c + c², five BNs of c channels: 10·c
    assert sympy.expand(plain(p.total.params) - (3 * c**2 + 18 * c + 10 * c)) == 0


def test_v2_layouts_differ_by_the_square_of_the_branch_mismatch(tmp_path: Path) -> None:
    # Stride-2 unit cin -> 2m with projection width p: megvii's Stage 2 has p = cin, torchvision's
    # p = m. The gap is h²·(m − cin)² multiply-adds and (m − cin)² weights (BNs cancel).
    p = one_block(tmp_path, V2, {"a": 24, "m": 58, "q": 24, "h": 28},
                  "[n, a, 2*h, 2*h]", "{op: unit_down, cout: 2*m, proj: q}")
    n, cin, m, q, h = sympy.symbols("n a m q h")
    madds, params = plain(p.total.madds), plain(p.total.params)
    expected = n * h**2 * (9 * cin + cin * q + 4 * cin * m + 9 * m + m * (2 * m - q))
    assert sympy.expand(madds - expected) == 0
    gap = madds.subs(q, cin) - madds.subs(q, m)
    assert sympy.expand(gap - n * h**2 * (m - cin) ** 2) == 0
    assert sympy.expand(params.subs(q, cin) - params.subs(q, m) - (m - cin) ** 2) == 0


@pytest.mark.parametrize("s,mid", [("1/2", 24), ("1", 58), ("3/2", 88), ("2", 122)])
def test_v2_megvii_minus_torchvision(s: str, mid: int) -> None:
    megvii, tv = total(V2, s=s), total(V2_TV, s=s)
    assert megvii.madds - tv.madds == 28 * 28 * (mid - 24) ** 2        # Stage 2, 28×28 outputs
    assert megvii.params - tv.params == (mid - 24) ** 2 - 1000         # tv's FC has a bias


def test_v2_layouts_differ_only_in_stage2_first_unit_and_fc() -> None:
    megvii = cost.profile(cost.load(V2, s=1)).layers
    tv = cost.profile(cost.load(V2_TV, s=1)).layers
    assert [layer.path for layer in megvii] == [layer.path for layer in tv]
    differ = {a.path for a, b in zip(megvii, tv, strict=True)
              if a.cost != b.cost or a.out_shapes != b.out_shapes}
    assert differ == {"stage2/unit_down/proj_pw", "stage2/unit_down/bn2",
                      "stage2/unit_down/proj_relu", "stage2/unit_down/pw2",
                      "stage2/unit_down/bn5", "stage2/unit_down/relu2", "head/fc"}


def test_v2_total_closed_form_in_resolution() -> None:
    # madds = a·(r/32)² + 1024-or-2048·classes: every conv scales with the map area, the FC not.
    p = cost.profile(cost.load(V2, s=1, keep=("r",)))
    r = sympy.Symbol("r")
    formula = plain(p.formula("madds"))
    at_224 = 145_814_296
    fc = 1024 * 1000
    assert sympy.expand(formula - ((at_224 - fc) * (r / 224) ** 2 + fc)) == 0


# --- ShuffleNet V2: PyTorch rebuilds (megvii and torchvision layouts) --------------------------


def _torch():
    return pytest.importorskip("torch")


def _v2_model(widths: list[int], layout: str):
    """ShuffleNet V2 as megvii's network.py/blocks.py (layout "megvii") or torchvision's
    shufflenetv2.py ("tv") describe it; written here from those files' structure."""
    torch = _torch()
    nn = torch.nn

    def cbr(cin, cout, k=1, stride=1, groups=1, relu=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        return layers + [nn.ReLU()] if relu else layers

    def shuffle(x):
        n, c, h, w = x.shape
        return x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)

    class Down(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            mid = cout // 2
            proj = cin if layout == "megvii" else mid
            self.proj = nn.Sequential(*cbr(cin, cin, 3, 2, cin, relu=False), *cbr(cin, proj))
            self.main = nn.Sequential(*cbr(cin, mid), *cbr(mid, mid, 3, 2, mid, relu=False),
                                      *cbr(mid, cout - proj))

        def forward(self, x):
            return shuffle(torch.cat([self.proj(x), self.main(x)], 1))

    class Unit(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.main = nn.Sequential(*cbr(c // 2, c // 2), *cbr(c // 2, c // 2, 3, 1, c // 2,
                                                                  relu=False), *cbr(c // 2, c // 2))

        def forward(self, x):
            a, b = x.chunk(2, 1)
            return shuffle(torch.cat([a, self.main(b)], 1))

    layers, cin = [*cbr(3, 24, 3, 2), nn.MaxPool2d(3, 2, 1)], 24
    for cout, units in zip(widths[:3], (4, 8, 4), strict=True):
        layers += [Down(cin, cout), *(Unit(cout) for _ in range(units - 1))]
        cin = cout
    layers += [*cbr(cin, widths[3]), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(widths[3], 1000, bias=layout == "tv")]
    return nn.Sequential(*layers)


def _torch_counts(model) -> tuple[int, int]:
    torch = _torch()
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(1, 3, 224, 224))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2, sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("s", list(V2_WIDTHS))
@pytest.mark.parametrize("layout,path", [("megvii", V2), ("tv", V2_TV)])
def test_v2_matches_pytorch_rebuild(s: str, layout: str, path: Path) -> None:
    madds, params = _torch_counts(_v2_model(V2_WIDTHS[s], layout))
    spec = total(path, s=s)
    assert (spec.madds, spec.params) == (madds, params)


# --- ShuffleNet v1 with SE ---------------------------------------------------------------------


def test_se_block_closed_form(tmp_path: Path) -> None:
    # avg-pool, 1×1 c -> c/16 and c/16 -> c (with biases) on a 1×1 map, sigmoid, x·gate
    p = one_block(tmp_path, V1_SE, {"c": 480, "h": 28}, "[n, c, h, h]", "{op: se, ratio: 16}")
    n, c = sympy.symbols("n c")
    madds, params = plain(p.total.madds), plain(p.total.params)
    floor = sympy.floor(c / 16)
    assert sympy.simplify(madds - n * 2 * c * floor) == 0
    assert sympy.simplify(params - (2 * c * floor + floor + c)) == 0
    assert [layer.op for layer in p.layers] == ["global_avgpool", "conv", "relu", "conv",
                                                "sigmoid", "mul"]


def test_se_adds_2c_squared_over_16_per_unit() -> None:
    # 2.0× g = 3 (widths 480 / 960 / 1920, conv1 48). Residual-branch widths per unit:
    # Stage 2: 480 − 48 = 432, then 3 × 480; Stage 3: 960 − 480 = 480, then 7 × 960;
    # Stage 4: 1920 − 960 = 960, then 3 × 1920. SE adds 2·c·(c/16) multiply-adds each.
    branch = [432, *[480] * 3, 480, *[960] * 7, 960, *[1920] * 3]
    with_se = total(V1_SE, preset="se-2.0x-g3")
    plain_v1 = total(V1, preset="megvii-2.0x-g3")
    assert plain_v1.madds == 524_045_184
    assert with_se.madds - plain_v1.madds == sum(2 * c * (c // 16) for c in branch) == 2_442_528
    assert with_se.params - plain_v1.params == sum(2 * c * (c // 16) + c // 16 + c
                                                   for c in branch) == 2_459_307


def test_se_sits_on_the_residual_branch_before_the_join() -> None:
    layers = cost.profile(cost.load(V1_SE, preset="se-2.0x-g3")).layers
    scale = [i for i, layer in enumerate(layers) if layer.path.endswith("/se/scale")]
    assert len(scale) == 4 + 8 + 4                                     # one SE per unit
    for i in scale:
        after = layers[i + 1]
        if "unit_down" in after.path:                                  # Fig. 2(c): relu, concat
            assert (after.op, layers[i + 2].op) == ("relu", "concat")
        else:                                                          # Fig. 2(b): add, relu
            assert after.op == "add"
        assert layers[i - 1].path.rsplit("/", 1)[0] + "/scale" == layers[i].path  # inside se/
        assert layers[i].in_shapes[0] == layers[i].out_shape           # x · gate keeps x's shape


def test_se_ratio_choices_around_527() -> None:
    # Table 5: 527 MFLOPs. Ratio 16 is closest: 526.49M; 8: 528.93M; 4: 533.82M.
    got = {r: total(V1_SE, preset="se-2.0x-g3", reduction=r).madds for r in (4, 8, 16)}
    assert got == {16: 526_487_712, 8: 528_930_240, 4: 533_815_296}
    assert min(got, key=lambda r: abs(got[r] - 527e6)) == 16


def _se_v1_model():
    """ShuffleNet v1 2× g = 3 (megvii blocks.py layout) with SE on the residual branch."""
    torch = _torch()
    nn = torch.nn
    g = 3

    def shuffle(x):
        n, c, h, w = x.shape
        return x.view(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w)

    class SE(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.f = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c // 16, 1), nn.ReLU(),
                                   nn.Conv2d(c // 16, c, 1), nn.Sigmoid())

        def forward(self, x):
            return x * self.f(x)

    class Unit(nn.Module):
        def __init__(self, cin, cout, stride, g1):
            super().__init__()
            mid, out = cout // 4, cout - cin if stride == 2 else cout
            self.stride = stride
            self.a = nn.Sequential(nn.Conv2d(cin, mid, 1, groups=g1, bias=False),
                                   nn.BatchNorm2d(mid), nn.ReLU())
            self.b = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                                   nn.BatchNorm2d(mid),
                                   nn.Conv2d(mid, out, 1, groups=g, bias=False),
                                   nn.BatchNorm2d(out), SE(out))

        def forward(self, x):
            y = self.b(shuffle(self.a(x)))
            if self.stride == 2:
                return torch.cat([nn.functional.avg_pool2d(x, 3, 2, 1), torch.relu(y)], 1)
            return torch.relu(x + y)

    layers = [nn.Conv2d(3, 48, 3, 2, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    cin = 48
    for i, (cout, units) in enumerate(zip((480, 960, 1920), (4, 8, 4), strict=True)):
        layers.append(Unit(cin, cout, 2, 1 if i == 0 else g))
        layers += [Unit(cout, cout, 1, g) for _ in range(units - 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1920, 1000, bias=False)]
    return nn.Sequential(*layers)


def test_se_v1_matches_pytorch_rebuild() -> None:
    madds, params = _torch_counts(_se_v1_model())
    spec = total(V1_SE, preset="se-2.0x-g3")
    assert (spec.madds, spec.params) == (madds, params) == (526_487_712, 7_909_083)


# --- ShuffleNet v1 shallow ---------------------------------------------------------------------


def weighted_depth(layers: list[Layer]) -> int:
    """The paper's layer count: conv and FC layers (every ShuffleNet unit has three)."""
    return sum(layer.op in ("conv", "linear") for layer in layers)


def test_shallow_has_half_the_units_and_26_layers() -> None:
    full = cost.profile(cost.load(V1, g=3, s="7/10", stem=18)).layers
    shallow = cost.profile(cost.load(V1_SHALLOW, preset="shallow-0.5x-g3")).layers
    assert stage_units(full) == {"stage2": 4, "stage3": 8, "stage4": 4}
    assert stage_units(shallow) == {"stage2": 2, "stage3": 4, "stage4": 2}
    assert (weighted_depth(full), weighted_depth(shallow)) == (50, 26)   # SNv1 Sec. 4.3


def test_shallow_is_the_full_net_minus_the_removed_units() -> None:
    # Same widths (conv1 18, Stage 2 168 = 0.7 × 240, g = 3); each removed stride-1 unit on C
    # channels at h×h costs h²·(C·C/4/g + 9·C/4 + C/4·C/g) = h²·(C²/(2g) + 9C/4).
    full = total(V1, g=3, s="7/10", stem=18)
    shallow = total(V1_SHALLOW, preset="shallow-0.5x-g3")
    removed = (2 * 28**2 * (168**2 // 6 + 9 * 168 // 4)
               + 4 * 14**2 * (336**2 // 6 + 9 * 336 // 4)
               + 2 * 7**2 * (672**2 // 6 + 9 * 672 // 4))
    assert removed == 7_968_576 + 15_344_448 + 7_524_048 == 30_837_072
    assert full.madds - shallow.madds == removed
    assert shallow.madds == 39_778_704


def test_shallow_width_from_the_closed_form() -> None:
    # At g = 3, units 2/4/2 and conv1 = 24·s the total is 64,350,720·s² + 10,993,632·s; 40M needs
    # s = 0.7076 ≈ 1/√2 (half the depth, √2 the width).
    p = cost.profile(cost.load(V1_SHALLOW, g=3, keep=("s",)))
    s = sympy.Symbol("s")
    formula = plain(p.formula("madds", expand_lets=True))
    assert sympy.expand(formula - (64_350_720 * s**2 + 10_993_632 * s)) == 0
    root = max(sympy.solve(formula - 40_000_000, s))
    assert abs(float(root) - 2**-0.5) < 1e-3


# --- SNv1 Table 4 comparison units --------------------------------------------------------------

STAGE4_AT_38M = {"vgg_like": 50, "resnet": 192, "resnext": 192, "xception_like": 288}  # Sec. 4.2


@pytest.mark.parametrize("unit,channels", STAGE4_AT_38M.items())
def test_table4_stage4_width_at_38_mflops(unit: str, channels: int) -> None:
    layers = cost.profile(cost.load(UNITS / f"{unit}.yaml", preset="38M")).layers
    stage4 = [layer for layer in layers if layer.path.startswith("stage4/")]
    assert stage4[-1].out_shape == (1, channels, 7, 7)


@pytest.mark.parametrize("unit", STAGE4_AT_38M)
def test_table4_widths_double_per_stage(unit: str) -> None:
    for budget in (140, 38, 13):
        layers = cost.profile(cost.load(UNITS / f"{unit}.yaml", budget=budget)).layers
        width = {s: [x for x in layers if x.path.startswith(s + "/")][-1].out_shape[1]
                 for s in ("stage2", "stage3", "stage4")}
        if (unit, budget) == ("vgg_like", 38):                         # 50 / 2 / 2 = 12.5
            assert (width["stage2"], width["stage3"], width["stage4"]) == (12, 25, 50)
        else:
            assert width["stage3"] == 2 * width["stage2"] and width["stage4"] == 4 * width["stage2"]


def _closed_form(unit: str, keep: tuple[str, ...], **bind) -> sympy.Expr:
    p = cost.profile(cost.load(UNITS / f"{unit}.yaml", keep=keep, **bind))
    return plain(p.formula("madds"))


def test_table4_closed_forms() -> None:
    c, stem, w2, w3, w4, k2, k3, k4 = sympy.symbols("c stem w2 w3 w4 card2 card3 card4")
    forms = {
        "resnet": (("c", "stem"), 13720 * c**2 + 980 * c * stem + 4000 * c + 338688 * stem),
        "resnext": (("c", "stem", "card2", "card3", "card4"),
                    12544 * c**2 + 7056 * c**2 / k2 + 14112 * c**2 / k3 + 7056 * c**2 / k4
                    + 1176 * c * stem + 4000 * c + 338688 * stem),
        "xception_like": (("c", "stem"), 6272 * c**2 + 588 * c * stem + 19876 * c + 338688 * stem),
        "vgg_like": (("w2", "w3", "w4", "stem"),
                     49392 * w2**2 + 7056 * w2 * stem + 1764 * w2 * w3 + 26460 * w3**2
                     + 441 * w3 * w4 + 3087 * w4**2 + 1000 * w4 + 338688 * stem),
    }
    for unit, (keep, expected) in forms.items():
        assert sympy.simplify(_closed_form(unit, keep) - expected) == 0, unit


def test_resnet_stride_placement_knob() -> None:
    # Moving the stride from the first 1×1 to the 3×3 runs each stride-2 unit's first 1×1 at the
    # input resolution: 3/4 more of 4·h²·cin·cout/4 per stage. At 38M (conv1 12, 48/96/192):
    # Stage 2: 3·28²·12·12 (input 12 channels), Stage 3: 3·14²·48·24, Stage 4: 3·7²·96·48.
    at_1x1 = total(UNITS / "resnet.yaml", preset="38M").madds
    at_3x3 = total(UNITS / "resnet.yaml", preset="38M", down1x1=1).madds
    assert at_3x3 - at_1x1 == 3 * 28**2 * 12 * 12 + 3 * 14**2 * 48 * 24 + 3 * 7**2 * 96 * 48
    assert (at_1x1, at_3x3) == (36_431_616, 38_125_056)


@pytest.mark.parametrize("budget,s,stem", [(140, 1, 24), (38, "1/2", 12), (13, "1/4", 12)])
def test_xception_like_is_shufflenet_g1_without_shuffle(budget: int, s, stem: int) -> None:
    xc = cost.profile(cost.load(UNITS / "xception_like.yaml", budget=budget))
    sn = cost.profile(cost.load(V1, g=1, s=s, stem=stem))
    assert (xc.total.madds, xc.total.params) == (sn.total.madds, sn.total.params)
    shuffles = [layer for layer in sn.layers if layer.op == "channel_shuffle"]
    assert len(shuffles) == 16 and not any(x.op == "channel_shuffle" for x in xc.layers)
    assert sn.total.mem - xc.total.mem == sum(layer.cost.mem for layer in shuffles)
