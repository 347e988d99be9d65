"""Element-wise activations, made by one factory: same shape out, 0 madds, traffic only.

Formulas (for the reference forward): relu max(x, 0); relu6 min(max(x, 0), 6);
sigmoid 1/(1+e^-x); hard_sigmoid relu6(x+3)/6; hard_swish x·relu6(x+3)/6; dropout is the
identity at inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, make_dataclass
from fractions import Fraction

from cost.ops import register
from cost.ops.base import Op, number
from cost.symbolic import Checker, Shape


@dataclass(frozen=True)
class Elementwise(Op):
    """A unary element-wise op: output shape = input shape."""

    elementwise = True

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]


def elementwise(name: str, doc: str) -> type[Op]:
    cls = make_dataclass(name.title().replace("_", ""), [], bases=(Elementwise,), frozen=True)
    cls.__doc__ = doc
    return register(name)(cls)


elementwise("relu", "max(x, 0).")
elementwise("relu6", "min(max(x, 0), 6) (MobileNet v2).")
elementwise("sigmoid", "1 / (1 + exp(-x)) (squeeze-and-excitation gates).")
elementwise("hard_sigmoid", "relu6(x + 3) / 6 (MobileNet v3).")
elementwise("hard_swish", "x · relu6(x + 3) / 6 (MobileNet v3).")


@register("dropout")
@dataclass(frozen=True)
class Dropout(Elementwise):
    """Dropout: the identity at inference; `p` is recorded for the record (and for PyTorch)."""

    elementwise = False  # no work at inference: a no-op, not an element-wise kernel
    view = True
    p: object = number(Fraction(1, 2), low=0, high=1, doc="drop probability (training only)")
