"""An op defined in one module (this one, at test time) is accepted everywhere without an edit
elsewhere: the registry lists it, every counting convention counts it by its declared kind, the
numpy reference forward and the PyTorch translation run it, and the completeness check of the
conventions passes with it. An op of a kind that some convention has no rule for is reported by
that check, naming the op and the convention.

The toy ops are registered only inside the `toy_ops` fixture and unregistered after it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from spec_cases import numpy_and_torch
from test_conventions import (
    test_every_registered_op_has_a_rule_in_every_convention as completeness_check,
)

import cost
from cost import ops
from cost.conventions import CONVENTIONS, count
from cost.conventions.tools import gaps
from cost.errors import SpecError
from cost.ops.base import KINDS, Op, feature_map, size
from cost.ops.kernels import Tally
from cost.symbolic import Checker, Shape, sint

# --- two toy ops, each declared in one place ----------------------------------------------------


@dataclass(frozen=True)
class Square(Op):
    """x², element-wise. An activation: no multiply-add (`Op.madds` is 0), traffic only."""

    kind = "activation"

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (xs[0] * xs[0],)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        class SquareModule(nn.Module):  # torch.nn has none: a small one of the op's own
            def forward(self, x: Any) -> Any:
                return x * x

        return SquareModule()


@dataclass(frozen=True)
class ChannelMix(Op):
    """A 1×1 contraction over channels without bias: (n, c, h, w) -> (n, out, h, w).

    madds = n·h·w · c·out; weight (out, c, 1, 1), PyTorch's Conv2d layout.
    """

    kind = "contraction"
    out: sint = size(doc="output channels")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, _, h, w = feature_map(xs[0], self.name)
        return (n, self.out, h, w)

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        return {"weight": (self.out, xs[0][1], 1, 1)}

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        n, c, h, w = xs[0]
        return n * h * w * c * self.out

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        y = tally.matmul(xs[0].transpose(0, 2, 3, 1), weights["weight"][:, :, 0, 0].T)
        return (np.ascontiguousarray(y.transpose(0, 3, 1, 2)),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return nn.Conv2d(in_shape[1], self.out, 1, bias=False)


TOYS = {"square": Square, "channel_mix": ChannelMix}




@pytest.fixture
def toy_ops() -> Iterator[None]:
    for name, cls in TOYS.items():
        ops.register(name)(cls)
    try:
        yield
    finally:
        for name in TOYS:
            ops.unregister(name)


SPEC = """\
spec: 1
name: toy
symbols:
  n: {default: 1}
input: [n, 4, 5, 5]
network:
  - {op: channel_mix, out: 6}
  - {op: square}
"""
MIX = 5 * 5 * 4 * 6  # n·h·w · c·out at n = 1; square: 0 madds, 0 in every convention
# by kind alone, the contraction's rules: its own madds, ptflops per image, torch 2 per madd
EXPECTED = {1: {"paper": MIX, "fvcore": MIX, "thop": MIX, "ptflops": MIX, "torchinfo": MIX,
                "torch": 2 * MIX},
            2: {"paper": 2 * MIX, "fvcore": 2 * MIX, "thop": 2 * MIX, "ptflops": MIX,
                "torchinfo": 2 * MIX, "torch": 4 * MIX}}


def toy_profile(tmp_path: Path, n: int = 1) -> cost.Profile:
    path = tmp_path / "toy.yaml"
    path.write_text(SPEC)
    return cost.profile(cost.load(path, n=n))


# --- accepted everywhere ------------------------------------------------------------------------


def test_registry_lists_it(toy_ops: None) -> None:
    assert {"square", "channel_mix"} <= set(ops.names())
    assert ops.get("square") is Square and Square.name == "square"
    assert Square.elementwise and not Square.view  # from its kind, not declared by hand
    assert not ChannelMix.elementwise and not ChannelMix.view


@pytest.mark.parametrize("n", [1, 2])
def test_every_convention_counts_it_by_its_kind(toy_ops: None, tmp_path: Path, n: int) -> None:
    p = toy_profile(tmp_path, n)
    assert [la.op for la in p.layers] == ["channel_mix", "square"]
    assert {name: count(p, name).total for name in CONVENTIONS} == EXPECTED[n]
    for name in CONVENTIONS:
        assert count(p, name).by_op()["square"] == 0, name


def test_completeness_check_accepts_it(toy_ops: None) -> None:
    assert gaps() == []
    completeness_check()  # tests/test_conventions.py's, with the toy ops registered


def test_numpy_forward_and_torch_module_run_it(toy_ops: None, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from cost.reference import forward as reference

    p = toy_profile(tmp_path)
    report = reference.check(p)
    assert report.ok and report.madds_executed == MIX
    ours, y = numpy_and_torch(p)
    np.testing.assert_allclose(ours, y, rtol=1e-4, atol=1e-5 * float(np.abs(y).max()))


@pytest.mark.parametrize("n", [1, 2])
def test_the_tools_agree_on_it(toy_ops: None, tmp_path: Path, n: int) -> None:
    """The kind's rules are the tools' own counts of the toy's torch modules."""
    for tool in ("torch", "fvcore", "thop", "ptflops", "torchinfo"):
        pytest.importorskip(tool)
    from test_tools_agree import tool_totals

    p = toy_profile(tmp_path, n)
    assert tool_totals(p) == {k: v for k, v in EXPECTED[n].items() if k != "paper"}


def test_unregistered_afterwards() -> None:
    assert not set(TOYS) & set(ops.names())


# --- what fails loudly ----------------------------------------------------------------------------


def test_an_op_of_a_kind_without_rules_is_reported(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """A new kind (in KINDS, so the registry takes it) that no convention has a rule for: the
    completeness check names the op and each convention, and counting it is an error."""
    monkeypatch.setitem(KINDS, "toy_kind", "a kind no convention counts yet")

    @dataclass(frozen=True)
    class Novel(Square):
        kind = "toy_kind"

    ops.register("novel")(Novel)
    try:
        found = gaps()
        for name in CONVENTIONS:
            assert f"op 'novel' (kind 'toy_kind') has no rule in convention {name!r}" in found
            assert f"kind 'toy_kind' has no rule in convention {name!r}" in found
        with pytest.raises(AssertionError):
            completeness_check()
        path = tmp_path / "novel.yaml"
        path.write_text("spec: 1\nname: novel\ninput: [1, 2, 3, 3]\nnetwork:\n  - {op: novel}\n")
        p = cost.profile(cost.load(path))
        with pytest.raises(SpecError, match="op 'novel' has no rule in convention 'thop'"):
            count(p, "thop")
    finally:
        ops.unregister("novel")
    assert not [gap for gap in gaps() if "novel" in gap]  # the kind stays until monkeypatch ends


def test_an_override_for_no_registered_op_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from cost.conventions.counting import zero

    stale = replace(CONVENTIONS["thop"], name="stale", overrides={"avgpool2d": zero})
    assert gaps([stale]) == ["convention 'stale' overrides 'avgpool2d', which is no registered op"]


def test_the_registry_refuses_an_op_without_a_kind() -> None:
    @dataclass(frozen=True)
    class Kindless(Square):
        kind = ""

    with pytest.raises(ValueError, match="op 'kindless' declares kind '', not one of"):
        ops.register("kindless")(Kindless)
    assert not ops.is_registered("kindless")


def test_elementwise_and_view_follow_the_kind() -> None:
    with pytest.raises(TypeError, match="sets 'view': declare its kind instead"):
        type("Viewish", (Square,), {"view": True})


def test_a_missing_torch_module_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from cost.reference.forward import random_weights
    from cost.reference.torch_module import to_module, translates

    @dataclass(frozen=True)
    class Untranslated(Square):
        torch_module = Op.torch_module

    assert all(translates(ops.get(name)) for name in ops.names())
    assert not translates(Untranslated)
    ops.register("untranslated")(Untranslated)
    try:
        path = tmp_path / "u.yaml"
        path.write_text("spec: 1\nname: u\ninput: [1, 2, 3, 3]\nnetwork:\n"
                        "  - {op: untranslated}\n")
        p = cost.profile(cost.load(path))
        with pytest.raises(SpecError, match="op 'untranslated' has no PyTorch translation"):
            to_module(p, random_weights(p))
    finally:
        ops.unregister("untranslated")


def test_import_cost_does_not_import_torch() -> None:
    """The torch modules are built inside `Op.torch_module`: importing every op, the conventions
    and the translator leaves torch unimported."""
    code = ("import sys, cost, cost.ops, cost.conventions, cost.reference.torch_module; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
