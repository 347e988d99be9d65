"""Convolution and fully connected layers: the only ops with madds in the paper convention."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.errors import ShapeError
from cost.ops.base import Op, feature_map, flag, pair, size, window_out
from cost.ops.registry import register
from cost.symbolic import (
    Checker,
    Shape,
    div,
    floordiv,
    is_concrete,
    normalize,
    render_shape,
    sint,
)

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

    madds  = n·h'·w' · kh·kw · (cin/g) · cout    one multiply-add per weight per output pixel;
                                                 the bias add is not a multiply-add
    params = kh·kw·(cin/g)·cout (+ cout with bias)  PyTorch's weight (cout, cin/g, kh, kw), bias
    Padding positions count as real multiply-adds, as in fvcore and torch's counter.

    `k`, `stride`, `pad` and `dilation` take one value or a pair [h, w] (Inception-v3's 1×7 and
    7×1 convs: `k: [1, 7], pad: [0, 3]`). `pad: same` pads so that h' = h and w' = w: it needs
    stride 1 (torch's rule for padding='same'), and pads d·(k−1) per axis, the odd one at the
    end (bottom/right) when that is odd, as torch does.

    >>> x = (1, 240, 28, 28)
    >>> Conv(out=240, k=1, groups=3).madds([x], [x]) == 28*28 * 240 * 240 // 3
    True
    >>> Conv(out=8, k=(1, 7), pad=(0, 3)).output([(1, 4, 17, 17)], Checker())
    (1, 8, 17, 17)
    """

    out: sint | None = size(None, doc="output channels (default: input channels)")
    k: sint | tuple = size(1, pair=True, doc="kernel size, or [kh, kw]")
    stride: sint | tuple = size(1, pair=True)
    pad: sint | tuple | str = size(0, minimum=0, pair=True, keywords=("same",),
                                   doc="zero padding on each side, [h, w], or same")
    dilation: sint | tuple = size(1, pair=True)
    groups: sint | str = size(1, keywords=("depthwise",), doc="groups, or depthwise")
    bias: bool = flag(False, doc="learnable bias (default off: a BN follows in efficient CNNs)")

    def group_count(self, cin: sint) -> sint:
        return cin if self.groups == "depthwise" else self.groups

    def channels_out(self, cin: sint) -> sint:
        return cin if self.out is None else self.out

    def variant(self) -> str:
        """"pad_same" for `pad: same` (torch's padding='same', which runs as another aten op,
        aten::_convolution_mode, that fvcore has no handle for), else ""."""
        return "pad_same" if self.pad == "same" else ""

    def padding(self) -> tuple[tuple[sint, sint], tuple[sint, sint]]:
        """((top, left), (bottom, right)): `pad` on both sides, or `same`'s split of d·(k−1)."""
        if self.pad != "same":
            return pair(self.pad), pair(self.pad)
        spans = [normalize(d * (k - 1)) for k, d in zip(pair(self.k), pair(self.dilation),
                                                         strict=True)]
        before = tuple(floordiv(s, 2) for s in spans)
        return before, tuple(normalize(s - b) for s, b in zip(spans, before, strict=True))

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, cin, h, w = feature_map(xs[0], "conv")
        g, cout = self.group_count(cin), self.channels_out(cin)
        check.divisible(cin, g, f"groups={g} must divide in-channels {cin}")
        check.divisible(cout, g, f"groups={g} must divide out-channels {cout}")
        if self.pad == "same":
            for s in pair(self.stride):
                check.equal(s, 1, "pad: same needs stride 1 (torch's padding='same')")
        before, after = self.padding()
        ho, wo = (window_out(size_in, k, s, p, d, pad_after=a)
                  for size_in, k, s, p, d, a in zip((h, w), pair(self.k), pair(self.stride),
                                                    before, pair(self.dilation), after,
                                                    strict=True))
        check.whole(ho, "output height")
        check.whole(wo, "output width")
        return (n, cout, ho, wo)

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        cin = xs[0][1]
        cout, g = self.channels_out(cin), self.group_count(cin)
        tensors = {"weight": (cout, div(cin, g), *pair(self.k))}
        if self.bias:
            tensors["bias"] = (cout,)
        return tensors

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        _, cin, _, _ = xs[0]
        n, cout, ho, wo = ys[0]
        kh, kw = pair(self.k)
        per_pixel = kh * kw * div(cin, self.group_count(cin)) * cout
        return n * ho * wo * per_pixel

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """im2col with a group axis, one batched product (`cost.ops.kernels.conv2d`)."""
        from cost.ops.kernels import conv2d

        x = xs[0]
        before, after = self.padding()
        y = conv2d(x, weights["weight"], pair(self.stride), before, pair(self.dilation),
                   self.group_count(x.shape[1]), tally, pad_after=after)
        if self.bias:
            y += weights["bias"][:, None, None]
        return (y,)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        import torch

        cin = in_shape[1]
        pad = "same" if self.pad == "same" else pair(self.pad)
        return torch.nn.Conv2d(cin, self.channels_out(cin), pair(self.k), pair(self.stride), pad,
                               pair(self.dilation), self.group_count(cin), bias=self.bias)

    def is_pointwise(self) -> bool:
        return pair(self.k) == (1, 1)

    def is_depthwise(self, xs: Sequence[Shape]) -> bool:
        """One input channel per group: cin/g = 1, so k² multiply-adds per output element."""
        cin = xs[0][1]
        return div(cin, self.group_count(cin)) == 1


@register("conv_transpose")
@dataclass(frozen=True)
class ConvTranspose(_Contraction):
    """2-D transposed convolution (torch.nn.ConvTranspose2d), NCHW: each input pixel scatters
    its kh×kw×(cout/g) products into the output (decoders, FCN/U-Net upsampling).

    h' = (h − 1)·stride − 2·pad + dilation·(kh − 1) + output_padding + 1 (w' likewise)
    madds  = n·h·w · kh·kw · cin · cout/g        one multiply-add per weight per INPUT pixel:
                                                 torch's FlopCounterMode, fvcore, thop and
                                                 ptflops all count it so; the bias add is not one
    params = kh·kw·cin·(cout/g) (+ cout with bias)  PyTorch's weight (cin, cout/g, kh, kw), bias

    `output_padding` (< stride or < dilation, torch's rule) resolves the sizes a strided conv
    maps to the same h'. Arguments take one value or a pair [h, w] as conv's.

    >>> ConvTranspose(out=4, k=4, stride=2, pad=1).output([(1, 8, 7, 7)], Checker())
    (1, 4, 14, 14)
    >>> ConvTranspose(out=4, k=4, stride=2, pad=1).madds([(1, 8, 7, 7)], [(1, 4, 14, 14)])
    25088
    """

    out: sint | None = size(None, doc="output channels (default: input channels)")
    k: sint | tuple = size(1, pair=True, doc="kernel size, or [kh, kw]")
    stride: sint | tuple = size(1, pair=True)
    pad: sint | tuple = size(0, minimum=0, pair=True, doc="cropped from each side of the output")
    output_padding: sint | tuple = size(0, minimum=0, pair=True,
                                        doc="extra rows/columns at the end (< stride)")
    dilation: sint | tuple = size(1, pair=True)
    groups: sint = size(1)
    bias: bool = flag(False, doc="learnable bias")

    def channels_out(self, cin: sint) -> sint:
        return cin if self.out is None else self.out

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, cin, h, w = feature_map(xs[0], "conv_transpose")
        g, cout = self.groups, self.channels_out(cin)
        check.divisible(cin, g, f"groups={g} must divide in-channels {cin}")
        check.divisible(cout, g, f"groups={g} must divide out-channels {cout}")
        dims = []
        for axis, size_in, k, s, p, op, d in zip(
                ("height", "width"), (h, w), pair(self.k), pair(self.stride), pair(self.pad),
                pair(self.output_padding), pair(self.dilation), strict=True):
            if all(is_concrete(v) for v in (op, s, d)) and op >= max(s, d):
                raise ShapeError(f"output_padding {op} must be smaller than stride {s} or "
                                 f"dilation {d} (torch's rule)")
            dims.append(check.whole(normalize((size_in - 1) * s - 2 * p + d * (k - 1) + op + 1),
                                    f"output {axis}"))
        return (n, cout, *dims)

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        cin = xs[0][1]
        tensors = {"weight": (cin, div(self.channels_out(cin), self.groups), *pair(self.k))}
        if self.bias:
            tensors["bias"] = (self.channels_out(cin),)
        return tensors

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        n, cin, h, w = xs[0]
        cout = ys[0][1]
        kh, kw = pair(self.k)
        return n * h * w * kh * kw * cin * div(cout, self.groups)

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """One batched product per input pixel and a scatter-add
        (`cost.ops.kernels.conv_transpose2d`)."""
        from cost.ops.kernels import conv_transpose2d

        y = conv_transpose2d(xs[0], weights["weight"], pair(self.stride), pair(self.pad),
                             pair(self.output_padding), pair(self.dilation), self.groups, tally)
        if self.bias:
            y += weights["bias"][:, None, None]
        return (y,)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        import torch

        cin = in_shape[1]
        return torch.nn.ConvTranspose2d(cin, self.channels_out(cin), pair(self.k),
                                        pair(self.stride), pair(self.pad),
                                        pair(self.output_padding), self.groups, bias=self.bias,
                                        dilation=pair(self.dilation))


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
