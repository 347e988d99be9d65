"""Ops that join several inputs: add and mul (with broadcasting) and concat (along channels)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cost.errors import ShapeError
from cost.ops.base import Op
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, render_shape, total

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally

AXES = "nchw"


def broadcast(xs: Sequence[Shape], check: Checker, op: str) -> Shape:
    """NumPy broadcasting of equal-rank shapes: each dimension equal, or 1 on one side."""
    ranks = {len(x) for x in xs}
    if len(ranks) != 1:
        raise ShapeError(f"{op} inputs differ in rank: " + ", ".join(render_shape(x) for x in xs))
    out = list(xs[0])
    for x in xs[1:]:
        for i, d in enumerate(x):
            axis = AXES[i] if len(x) == 4 else str(i)
            if d == 1:
                continue
            if out[i] == 1:
                out[i] = d
                continue
            check.equal(out[i], d, f"{op} inputs differ in dimension {axis}")
    return tuple(out)


@register("add")
@dataclass(frozen=True)
class Add(Op):
    """Element-wise sum of two or more tensors (residual shortcuts); shapes must broadcast."""

    arity = None
    elementwise = True

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return broadcast(xs, check, "add")

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (functools.reduce(operator.add, xs),)  # numpy broadcasting, like the shape rule


@register("mul")
@dataclass(frozen=True)
class Mul(Op):
    """Element-wise product with broadcasting: x (n,c,h,w) · gate (n,c,1,1) in squeeze-excitation.

    0 madds in the paper convention (a multiply without an add).
    """

    arity = None
    elementwise = True

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return broadcast(xs, check, "mul")

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (functools.reduce(operator.mul, xs),)  # element-wise: not a contraction, 0 madds


@register("concat")
@dataclass(frozen=True)
class Concat(Op):
    """Concatenation along channels (dim 1); all other dimensions must agree. Pure data movement."""

    arity = None

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        ranks = {len(x) for x in xs}
        if len(ranks) != 1 or ranks == {1}:
            raise ShapeError("concat inputs must have equal rank >= 2: "
                             + ", ".join(render_shape(x) for x in xs))
        first = xs[0]
        for x in xs[1:]:
            for i, (a, b) in enumerate(zip(first, x, strict=True)):
                if i != 1:
                    axis = AXES[i] if len(x) == 4 else str(i)
                    check.equal(a, b, f"concat inputs differ in dimension {axis}")
        return (first[0], total(x[1] for x in xs), *first[2:])

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        import numpy as np

        return (np.concatenate(xs, axis=1),)
