"""Convolution and fully connected layers: the only ops with madds in the paper convention."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.errors import ShapeError
from cost.ops.base import Op, feature_map, flag, size, window_out
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, div, render_shape, sint

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally


@dataclass(frozen=True)
class _Contraction(Op):
    """A layer of multiply-adds over a weight tensor, with an optional `bias` field."""

    kind = "contraction"
    absorbs_affine = True  # a following bn folds into its weights and bias (cost.engine.fusion)

    def with_bias(self) -> Op:
        return self if self.bias else dataclasses.replace(self, bias=True)


@register("conv")
@dataclass(frozen=True)
class Conv(_Contraction):
    """2-D convolution, NCHW; `groups: depthwise` means groups = in-channels (and out = in).

    madds  = n·h'·w' · k² · (cin/g) · cout       one multiply-add per weight per output pixel;
                                                 the bias add is not a multiply-add
    params = k²·(cin/g)·cout (+ cout with bias)  PyTorch's weight (cout, cin/g, k, k) and bias
    Padding positions count as real multiply-adds, as in fvcore and torch's counter.

    >>> x = (1, 240, 28, 28)
    >>> Conv(out=240, k=1, groups=3).madds([x], [x]) == 28*28 * 240 * 240 // 3
    True
    """

    out: sint | None = size(None, doc="output channels (default: input channels)")
    k: sint = size(1, doc="kernel size (square)")
    stride: sint = size(1)
    pad: sint = size(0, minimum=0, doc="zero padding on each side")
    dilation: sint = size(1)
    groups: sint | str = size(1, keywords=("depthwise",), doc="groups, or depthwise")
    bias: bool = flag(False, doc="learnable bias (default off: a BN follows in efficient CNNs)")

    def group_count(self, cin: sint) -> sint:
        return cin if self.groups == "depthwise" else self.groups

    def channels_out(self, cin: sint) -> sint:
        return cin if self.out is None else self.out

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, cin, h, w = feature_map(xs[0], "conv")
        g, cout = self.group_count(cin), self.channels_out(cin)
        check.divisible(cin, g, f"groups={g} must divide in-channels {cin}")
        check.divisible(cout, g, f"groups={g} must divide out-channels {cout}")
        ho = window_out(h, self.k, self.stride, self.pad, self.dilation)
        wo = window_out(w, self.k, self.stride, self.pad, self.dilation)
        check.whole(ho, "output height")
        check.whole(wo, "output width")
        return (n, cout, ho, wo)

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        cin = xs[0][1]
        cout, g = self.channels_out(cin), self.group_count(cin)
        tensors = {"weight": (cout, div(cin, g), self.k, self.k)}
        if self.bias:
            tensors["bias"] = (cout,)
        return tensors

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        _, cin, _, _ = xs[0]
        n, cout, ho, wo = ys[0]
        per_pixel = self.k * self.k * div(cin, self.group_count(cin)) * cout
        return n * ho * wo * per_pixel

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """im2col with a group axis, one batched product (`cost.ops.kernels.conv2d`)."""
        from cost.ops.kernels import conv2d

        x = xs[0]
        y = conv2d(x, weights["weight"], self.stride, self.pad, self.dilation,
                   self.group_count(x.shape[1]), tally)
        if self.bias:
            y += weights["bias"][:, None, None]
        return (y,)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        import torch

        cin = in_shape[1]
        return torch.nn.Conv2d(cin, self.channels_out(cin), self.k, self.stride, self.pad,
                               self.dilation, self.group_count(cin), bias=self.bias)

    def is_pointwise(self) -> bool:
        return self.k == 1

    def is_depthwise(self, xs: Sequence[Shape]) -> bool:
        """One input channel per group: cin/g = 1, so k² multiply-adds per output element."""
        cin = xs[0][1]
        return div(cin, self.group_count(cin)) == 1


@register("linear")
@dataclass(frozen=True)
class Linear(_Contraction):
    """Fully connected layer on (n, features); flatten a feature map first.

    madds  = n · fin · out
    params = fin·out (+ out with bias, PyTorch's default)

    >>> Linear(out=1000).madds([(1, 960)], [(1, 1000)])
    960000
    """

    out: sint = size(doc="output features")
    bias: bool = flag(True, doc="learnable bias (default on, as torch.nn.Linear)")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        x = xs[0]
        if len(x) != 2:
            raise ShapeError(
                f"linear expects (n, features), got {render_shape(x)}",
                hint="add {op: flatten} before the linear layer",
            )
        return (x[0], self.out)

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        tensors = {"weight": (self.out, xs[0][1])}
        if self.bias:
            tensors["bias"] = (self.out,)
        return tensors

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        n, fin = xs[0]
        return n * fin * self.out

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """x @ weightᵀ (+ bias), weight (out, fin) as torch.nn.Linear."""
        y = tally.matmul(xs[0], weights["weight"].T)
        if self.bias:
            y += weights["bias"]
        return (y,)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        import torch

        return torch.nn.Linear(in_shape[1], self.out, bias=self.bias)
