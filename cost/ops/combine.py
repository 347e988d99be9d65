"""Ops that join several inputs: add and mul (with broadcasting) and concat (along channels)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


@functools.cache
def _torch_modules() -> dict[str, type]:
    """The torch modules of add, mul and concat, which torch.nn has none for; made (and torch
    imported) on first use. Each takes the op's inputs as arguments. `x + y` and `x * y` are
    Tensor.__add__ / __mul__, which the tools count as cost.conventions.tools says."""
    import torch
    from torch import nn

    class Sum(nn.Module):
        def forward(self, *xs: torch.Tensor) -> torch.Tensor:
            out = xs[0]
            for x in xs[1:]:
                out = out + x
            return out

    class Product(nn.Module):
        def forward(self, *xs: torch.Tensor) -> torch.Tensor:
            out = xs[0]
            for x in xs[1:]:
                out = out * x
            return out

    class Concat(nn.Module):
        def forward(self, *xs: torch.Tensor) -> torch.Tensor:
            return torch.cat(xs, dim=1)

    return {"Sum": Sum, "Product": Product, "Concat": Concat}


@register("add")
@dataclass(frozen=True)
class Add(Op):
    """Element-wise sum of two or more tensors (residual shortcuts); shapes must broadcast."""

    arity = None
    kind = "elementwise_binary"

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return broadcast(xs, check, "add")

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (functools.reduce(operator.add, xs),)  # numpy broadcasting, like the shape rule

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        return _torch_modules()["Sum"]()


@register("mul")
@dataclass(frozen=True)
class Mul(Op):
    """Element-wise product with broadcasting: x (n,c,h,w) · gate (n,c,1,1) in squeeze-excitation.

    0 madds in the paper convention (a multiply without an add).
    """

    arity = None
    kind = "elementwise_binary"

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return broadcast(xs, check, "mul")

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (functools.reduce(operator.mul, xs),)  # element-wise: not a contraction, 0 madds

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        return _torch_modules()["Product"]()


@register("concat")
@dataclass(frozen=True)
class Concat(Op):
    """Concatenation along channels (dim 1); all other dimensions must agree. Pure data movement."""

    arity = None
    kind = "data_movement"

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

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        return _torch_modules()["Concat"]()
