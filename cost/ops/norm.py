"""Normalization: batch norm (inference: folded into the preceding conv, so 0 madds) and layer
norm (statistics of each position, computed at inference; 0 madds too, as the papers count)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cost.errors import ShapeError
from cost.ops.base import Op, choice, number
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, render_shape

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally

EPS = 1e-5  # added to the running variance; PyTorch's BatchNorm2d default


@register("bn")
@dataclass(frozen=True)
class BatchNorm(Op):
    """Batch norm over channels (dim 1). params = 2·c (scale and shift; running stats are buffers).

    >>> BatchNorm().weights([(1, 24, 112, 112)])
    {'weight': (24,), 'bias': (24,)}
    """

    kind = "norm"
    folds_into_previous = True  # a per-channel affine map: folds into the conv before it

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        c = xs[0][1]
        return {"weight": (c,), "bias": (c,)}

    def buffers(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        c = xs[0][1]
        return {"running_mean": (c,), "running_var": (c,)}

    def calibrate(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
        """Running mean = the mean of the whole input; running variance = the per-channel
        variance plus the whole input's variance. Outputs are then O(1) at any depth, and no
        channel is divided by ~0 or has its mean cancel its values (a channel of one element,
        after a global pool at batch 1, would turn float rounding into O(1) differences)."""
        import numpy as np

        x = xs[0]
        c = x.shape[1]
        per_channel = x.var(axis=tuple(i for i in range(x.ndim) if i != 1))
        return {**weights, "running_mean": np.full(c, x.mean(), dtype=x.dtype),
                "running_var": (per_channel + x.var()).astype(x.dtype)}

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Inference: (x − mean)/sqrt(var + eps)·weight + bias per channel, as one scale and shift
        (the folding that makes BN cost 0 madds: element-wise, not a contraction)."""
        import numpy as np

        scale = weights["weight"] / np.sqrt(weights["running_var"] + np.float32(EPS))
        shift = weights["bias"] - weights["running_mean"] * scale
        x = xs[0]
        per_channel = (-1,) + (1,) * (x.ndim - 2)  # (c, 1, 1) for NCHW, (c,) for (n, c)
        return (x * scale.reshape(per_channel) + shift.reshape(per_channel),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        """BatchNorm2d on a feature map, BatchNorm1d on (n, c); eval mode uses the buffers."""
        from torch import nn

        return nn.BatchNorm2d(in_shape[1]) if len(in_shape) == 4 else nn.BatchNorm1d(in_shape[1])


@register("layernorm")
@dataclass(frozen=True)
class LayerNorm(Op):
    """Layer norm over one dimension: channels of NCHW (channels_first) or the last (channels_last).

    ConvNeXt's two forms (its `LayerNorm(data_format=...)`): `channels_first` normalizes the C
    values of each position of an NCHW map (torchvision's and timm's LayerNorm2d), or of an
    (n, c) input; `channels_last` normalizes the last dimension, as torch.nn.LayerNorm(d) on
    a (..., d) input (the head of ConvNeXt after pooling and flatten; on an NCHW map that is W).
    y = (x − mean)/sqrt(var + eps)·weight + bias, mean and biased variance over that dimension.

    madds  = 0 in the paper convention, as bn: no contraction (the statistics are sums, the affine
             map a multiply and an add per element); unlike bn it does not fold into the conv
             before it, since its statistics depend on the input
    params = 2·d, weight and bias over the normalized dimension d (elementwise_affine)
    The tools' counts (cost.conventions.tools): fvcore 5/element (aten::layer_norm with affine),
    thop 4/element (count_normalization), ptflops 1/element for nn.LayerNorm (its hook looks for
    `affine`, which LayerNorm calls `elementwise_affine`) but 0 for LayerNorm2d (hooks match
    exact types), torchinfo n·2d (parameters × batch), torch's counter 0.

    >>> LayerNorm().weights([(1, 96, 56, 56)])
    {'weight': (96,), 'bias': (96,)}
    """

    kind = "norm"
    data_format: str = choice("channels_first", ("channels_first", "channels_last"),
                              doc="normalize over C of NCHW, or over the last dimension")
    eps: object = number(Fraction(1, 10**5), low=0, high=1,
                         doc="added to the variance (torch's 1e-5; ConvNeXt uses 1e-6)")

    def axis(self, x: Shape) -> int:
        """The normalized dimension of input shape `x`."""
        return 1 if self.data_format == "channels_first" else len(x) - 1

    def variant(self) -> str:
        return self.data_format

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        if len(xs[0]) < 2:
            raise ShapeError(f"layernorm expects (n, c, ...), got {render_shape(xs[0])}")
        return xs[0]

    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        d = xs[0][self.axis(xs[0])]
        return {"weight": (d,), "bias": (d,)}

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Per-position statistics (cost.ops.kernels.layer_norm); element-wise, 0 madds."""
        from cost.ops.kernels import layer_norm

        x = xs[0]
        return (layer_norm(x, self.axis(x.shape), weights["weight"], weights["bias"],
                           float(self.eps)),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        """channels_last: nn.LayerNorm(d); channels_first: LayerNorm2d, a subclass of
        nn.LayerNorm that moves C last, applies F.layer_norm and moves it back (torchvision's
        ConvNeXt LayerNorm2d, with movedim so that (n, c) inputs work too)."""
        from torch import nn

        d = in_shape[self.axis(in_shape)]
        if self.data_format == "channels_last":
            return nn.LayerNorm(d, eps=float(self.eps))
        return _layer_norm_2d()(d, eps=float(self.eps))


@functools.cache
def _layer_norm_2d() -> type:
    """torchvision.models.convnext.LayerNorm2d, made on first use (torch imported then)."""
    import torch
    from torch import nn
    from torch.nn import functional

    class LayerNorm2d(nn.LayerNorm):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.movedim(1, -1)
            x = functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.movedim(-1, 1)

    return LayerNorm2d
