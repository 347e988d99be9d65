"""Pooling: max, average, adaptive average and global average. No multiply-adds, no parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cost.errors import ShapeError
from cost.ops.base import Op, feature_map, flag, pair, size, window_out
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, decide, div, render, sint

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally


@dataclass(frozen=True)
class _WindowPool(Op):
    """Pooling over kh×kw windows. `k`, `stride` and `pad` take one value or a pair [h, w].
    `pad: same` keeps h and w: it needs stride 1 and an odd kernel, padding (k − 1)/2 on each
    side (torch's pooling pads both sides alike, so an even kernel has no `same`)."""

    kind = "pool"
    torch_class: ClassVar[str] = ""  # the torch.nn module: MaxPool2d, AvgPool2d
    k: sint | tuple = size(pair=True, doc="window size, or [kh, kw]")
    stride: sint | tuple | None = size(None, pair=True, doc="default: k, as in PyTorch")
    pad: sint | tuple | str = size(0, minimum=0, pair=True, keywords=("same",),
                                   doc="padding on each side, [h, w], or same")
    ceil_mode: bool = flag(False, doc="round the output size up (Caffe's pooling, SqueezeNet)")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, c, h, w = feature_map(xs[0], self.name)
        k, stride, pad, ceil_mode = self.window_args()
        if self.pad == "same":
            for kk, s in zip(k, stride, strict=True):
                check.equal(s, 1, "pad: same needs stride 1")
                check.divisible(kk - 1, 2, f"pad: same needs an odd kernel, not {kk} "
                                           "(torch's pooling pads both sides alike)")
        for kk, p in zip(k, pad, strict=True):  # symbolic pads are left to the sizes' checks
            if decide(2 * p > kk) is True:
                raise ShapeError(f"pad = {render(p)} is more than half the window k = "
                                 f"{render(kk)}; allowed: pad <= k/2 (as PyTorch requires)")
        ho, wo = (window_out(size_in, kk, s, p, 1, ceil_mode)
                  for size_in, kk, s, p in zip((h, w), k, stride, pad, strict=True))
        check.whole(ho, "output height")
        check.whole(wo, "output width")
        return (n, c, ho, wo)

    def window_args(self) -> tuple[tuple[sint, sint], tuple[sint, sint], tuple[sint, sint],
                                   bool]:
        """((kh, kw), (sh, sw), (ph, pw), ceil_mode) for the kernels of cost.ops.kernels and the
        window sums of cost.conventions.counting; `same` resolved to (k − 1)/2."""
        k = pair(self.k)
        stride = k if self.stride is None else pair(self.stride)
        pad = (tuple(div(kk - 1, 2) for kk in k) if self.pad == "same" else pair(self.pad))
        return k, stride, pad, self.ceil_mode

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        k, stride, pad, ceil_mode = self.window_args()
        return getattr(nn, self.torch_class)(k, stride, pad, ceil_mode=ceil_mode)


@register("maxpool")
@dataclass(frozen=True)
class MaxPool(_WindowPool):
    """Max pooling over k×k (or kh×kw) windows (NCHW). 0 madds: comparisons are not multiply-adds.

    >>> MaxPool(k=3, stride=2, pad=1).output([(1, 24, 112, 112)], Checker())
    (1, 24, 56, 56)
    """

    torch_class = "MaxPool2d"

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Max over each window of a strided view; padding is −inf, as in PyTorch."""
        from cost.ops.kernels import maxpool2d

        return (maxpool2d(xs[0], *self.window_args()),)


@register("avgpool")
@dataclass(frozen=True)
class AvgPool(_WindowPool):
    """Average pooling over k×k (or kh×kw) windows (NCHW). 0 madds in the paper convention.

    The divisor counts zero padding but not a ceil_mode overhang: PyTorch's AvgPool2d default
    (count_include_pad=True), which megvii's ShuffleNet uses.
    """

    torch_class = "AvgPool2d"

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        from cost.ops.kernels import avgpool2d

        return (avgpool2d(xs[0], *self.window_args()),)


@register("global_avgpool")
@dataclass(frozen=True)
class GlobalAvgPool(Op):
    """Average over the whole map: (n, c, h, w) -> (n, c, 1, 1)."""

    kind = "global_pool"

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, c, _, _ = feature_map(xs[0], "global_avgpool")
        return (n, c, 1, 1)

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (xs[0].mean(axis=(2, 3), keepdims=True),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        """nn.AdaptiveAvgPool2d(1), as torchvision builds it (not x.mean((2, 3)), which the tools
        count differently: cost.conventions.tools)."""
        from torch import nn

        return nn.AdaptiveAvgPool2d(1)


@register("adaptive_avgpool")
@dataclass(frozen=True)
class AdaptiveAvgPool(Op):
    """PyTorch's nn.AdaptiveAvgPool2d(size): (n, c, h, w) -> (n, c, size, size) for any h, w.

    Output row i averages input rows [floor(i·h/size), ceil((i+1)·h/size)), columns likewise:
    the bins overlap and differ in size when size does not divide h, and size > h repeats
    inputs (upsampling). size = 1 is `global_avgpool`. 0 madds in the paper convention (adds
    and one divide per output); memory: the input read, the output written.

    >>> AdaptiveAvgPool(size=6).output([(1, 256, 7, 7)], Checker())
    (1, 256, 6, 6)
    """

    kind = "adaptive_pool"
    # `size` on the right is cost.ops.base.size: the class body binds the field after the call
    size: sint = size(doc="output height = width")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, c, _, _ = feature_map(xs[0], self.name)
        return (n, c, self.size, self.size)

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Bin sums from prefix sums, all bins at once (cost.ops.kernels.adaptive_avgpool2d)."""
        from cost.ops.kernels import adaptive_avgpool2d

        return (adaptive_avgpool2d(xs[0], self.size),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return nn.AdaptiveAvgPool2d(self.size)
