"""Resampling: upsample, each map interpolated to another size (nearest or bilinear). No
parameters and no multiply-adds in the paper convention (no contraction over a weight tensor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.errors import SpecError
from cost.ops.base import Op, choice, feature_map, pair, size
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, normalize

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally


@register("upsample")
@dataclass(frozen=True)
class Upsample(Op):
    """Interpolate each map to (h·scale, w·scale) or to `size` (torch.nn.Upsample, FPN, U-Net).

    Give exactly one of `scale` (a whole factor, or a pair [sh, sw]) and `size` (h' = w', or a
    pair [h', w']). `mode: nearest` copies input floor(i·h/h') to output i (torch's `nearest`);
    `mode: bilinear` weighs the two nearest inputs of each axis with align_corners false (half-
    pixel centres, torch's default). madds 0 in the paper convention; the tools count it by mode
    (cost.conventions.tools: fvcore 1 or 4 per output, thop 0 or 11, ptflops per output twice).

    >>> Upsample(scale=2).output([(1, 8, 7, 5)], Checker())
    (1, 8, 14, 10)
    >>> Upsample(size=(9, 4), mode="bilinear").output([(1, 8, 7, 5)], Checker())
    (1, 8, 9, 4)
    """

    kind = "resample"
    scale: Any = size(None, pair=True, doc="whole scale factor, or [sh, sw]")
    # `size` on the right is cost.ops.base.size: the class body binds the field after the call
    size: Any = size(None, pair=True, doc="output size, or [h', w'] (instead of scale)")
    mode: str = choice("nearest", ("nearest", "bilinear"), doc="nearest or bilinear")

    def variant(self) -> str:
        return self.mode

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        n, c, h, w = feature_map(xs[0], "upsample")
        if (self.scale is None) == (self.size is None):
            raise SpecError("upsample needs exactly one of scale and size",
                            hint="{op: upsample, scale: 2}")
        if self.size is not None:
            return (n, c, *pair(self.size))
        sh, sw = pair(self.scale)
        return (n, c, normalize(h * sh), normalize(w * sw))

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Index arrays per axis, in torch's float32 arithmetic (cost.ops.kernels.upsample_*)."""
        from cost.ops import kernels

        x = xs[0]
        _, _, h, w = x.shape
        scales = (None, None) if self.scale is None else pair(self.scale)
        out = (h * scales[0], w * scales[1]) if self.size is None else pair(self.size)
        kernel = kernels.upsample_nearest if self.mode == "nearest" else kernels.upsample_bilinear
        return (kernel(x, out, scales),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        scale = None if self.scale is None else tuple(float(s) for s in pair(self.scale))
        out = None if self.size is None else pair(self.size)
        return nn.Upsample(size=out, scale_factor=scale, mode=self.mode,
                           align_corners=False if self.mode == "bilinear" else None)
