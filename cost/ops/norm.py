"""Batch normalization (inference): folded into the preceding conv, so 0 madds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cost.ops import register
from cost.ops.base import Op
from cost.symbolic import Checker, Shape


@register("bn")
@dataclass(frozen=True)
class BatchNorm(Op):
    """Batch norm over channels (dim 1). params = 2·c (scale and shift; running stats are buffers).

    >>> BatchNorm().weights([(1, 24, 112, 112)])
    {'weight': (24,), 'bias': (24,)}
    """

    elementwise = True

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        c = xs[0][1]
        return {"weight": (c,), "bias": (c,)}
