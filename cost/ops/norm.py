"""Batch normalization (inference): folded into the preceding conv, so 0 madds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.ops.base import Op
from cost.ops.registry import register
from cost.symbolic import Checker, Shape

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
