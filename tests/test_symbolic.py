"""Closed forms: the engine's symbolic totals equal the papers' formulas (sympy equality), and
symbolic-then-bind equals bind-then-numeric."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

import cost

HERE = Path(__file__).resolve().parent
SPECS = HERE.parent / "specs"
h, w, c, m, g, s, n, r = sp.symbols("h w c m g s n r", positive=True)


def closed_form(name: str, metric: str = "madds") -> sp.Expr:
    p = cost.profile(cost.load(HERE / "specs" / name, symbolic=True))
    return p.formula(metric)


def test_shufflenet_unit_is_hw_2cm_over_g_plus_9m() -> None:
    # SNv1 Sec 3.2: 1×1 GConv c->m (hw·c·m/g) + 3×3 DWConv (hw·9m) + 1×1 GConv m->c (hw·m·c/g)
    got = closed_form("shufflenet_unit.yaml")
    assert sp.simplify(got.subs(_plain(got)) - h * w * (2 * c * m / g + 9 * m)) == 0


def test_resnet_bottleneck_is_hw_2cm_plus_9m2() -> None:
    got = closed_form("resnet_bottleneck.yaml")
    assert sp.simplify(got.subs(_plain(got)) - h * w * (2 * c * m + 9 * m**2)) == 0


def test_resnext_unit_is_hw_2cm_plus_9m2_over_g() -> None:
    got = closed_form("resnext_unit.yaml")
    assert sp.simplify(got.subs(_plain(got)) - h * w * (2 * c * m + 9 * m**2 / g)) == 0


def test_group_count_reduces_only_the_grouped_pointwise_term() -> None:
    # The paper's argument: at fixed c, m the unit's cost falls with g only through 2cm/g.
    got = closed_form("shufflenet_unit.yaml")
    got = got.subs(_plain(got))
    assert sp.simplify(sp.diff(got, g) + 2 * h * w * c * m / g**2) == 0


def _plain(expr: sp.Expr) -> dict:
    """Map the engine's symbols (with integer assumptions) to this module's plain ones."""
    plain = {str(x): x for x in (h, w, c, m, g, s, n, r)}
    return {sym: plain[sym.name] for sym in expr.free_symbols if sym.name in plain}


def test_shufflenet_v1_closed_form() -> None:
    # style-anchors §5: with r = 32·q and stem = 24·s,
    # madds = n·[q²(128c²s² − 96cs²)/g + q²(384cs² + 324cs + 165888s) + 4000cs]
    # params (conv + fc weights) = (179c²s²/4 − 6cs²)/g + 6cs² + 4081cs + 648s
    p = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", symbolic=True, keep=("c",),
                               classes=1000))
    madds = p.formula("madds", expand_lets=True)
    madds = madds.subs(_plain(madds))
    q = r / 32
    expected = n * (q**2 * (128 * c**2 * s**2 - 96 * c * s**2) / g
                    + q**2 * (384 * c * s**2 + 324 * c * s + 165888 * s) + 4000 * c * s)
    assert sp.simplify(madds - expected) == 0
    weights = sum((cst.params for op, cst in p.by_op().items() if op in ("conv", "linear")),
                  start=sp.Integer(0))
    weights = p.show(weights, expand_lets=True)
    weights = weights.subs(_plain(weights))
    expected_params = (sp.Rational(179, 4) * c**2 * s**2 - 6 * c * s**2) / g \
        + 6 * c * s**2 + 4081 * c * s + 648 * s
    assert sp.simplify(weights - expected_params) == 0
    # At s=1, c=240, g=3, r=224, n=1: 137,460,672 madds and 1,840,248 weights (megvii 1.0x g3).
    at = {s: 1, c: 240, g: 3, r: 224, n: 1}
    assert madds.subs(at) == 137_460_672 and weights.subs(at) == 1_840_248


@pytest.mark.parametrize("bind", [
    {"s": 1, "g": 3, "r": 224, "n": 1},
    {"s": sp.Rational(1, 2), "g": 3, "r": 160, "n": 2},
    {"s": 2, "g": 8, "r": 224, "n": 1},
    {"s": 1, "g": 1, "r": 96, "n": 1},
])
def test_symbolic_then_bind_equals_bind_then_numeric(bind: dict) -> None:
    symbolic = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", symbolic=True, classes=1000))
    numeric = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", **bind))
    bound = symbolic.subs(**bind)
    assert bound.total == numeric.total
    assert not bound.symbolic and not bound.constraints
    for a, b in zip(bound.layers, numeric.layers, strict=True):
        assert (a.path, a.out_shapes, a.cost) == (b.path, b.out_shapes, b.cost)


def test_binding_that_breaks_a_carried_constraint_fails() -> None:
    symbolic = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", symbolic=True, classes=1000))
    assert symbolic.constraints  # e.g. groups divide s·c/4: undecidable while s, g are free
    # s = 1/2 with g = 8 and the default stem 24·s = 12: stage 2's pw2 has 192 − 12 = 180
    # channels, not divisible by 8 (the official 0.5x g8 model uses stem 16 for this reason).
    with pytest.raises(cost.ShapeError, match="(?s)pw2.*divisor = 8, dividend = 180"):
        symbolic.subs(s=sp.Rational(1, 2), g=8, r=224, n=1)


def test_multiple_of_removes_floors_from_the_totals() -> None:
    p = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", symbolic=True))
    assert not p.formula("madds", expand_lets=True).has(sp.floor)
    shape = p.layers[0].out_shape  # conv1: floor((r + 2 − 3)/2) + 1 = r/2 for r = 32q
    height = p.show(shape[2])
    (resolution,) = height.free_symbols  # the spec's own r (an integer symbol), not this file's
    assert resolution.name == "r" and height == resolution / 2


def test_subs_takes_the_same_values_as_load() -> None:
    symbolic = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", symbolic=True, classes=1000))
    by_text = symbolic.subs(s="1/2", g=3, r=224, n=1).total.madds
    assert by_text == symbolic.subs(s=0.5, g=3, r=224, n=1).total.madds == 37_589_856  # megvii 0.5x
    with pytest.raises(cost.SpecError, match="unknown name 'half'"):
        symbolic.subs(s="half", g=3, r=224, n=1)
