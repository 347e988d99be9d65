"""Data movement without arithmetic: channel split, channel shuffle, flatten."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.ops.base import Op, feature_map, size
from cost.ops.registry import register
from cost.symbolic import Checker, Shape, div, numel, sint

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally


@register("channel_split")
@dataclass(frozen=True)
class ChannelSplit(Op):
    """Split channels into `parts` equal parts (ShuffleNet V2); refer to them as `id.0`, `id.1`.

    >>> ChannelSplit().outputs([(1, 116, 28, 28)], Checker())
    ((1, 58, 28, 28), (1, 58, 28, 28))
    """

    kind = "data_movement"
    parts: sint = size(2)

    def outputs(self, xs: Sequence[Shape], check: Checker) -> tuple[Shape, ...]:
        n, c, h, w = feature_map(xs[0], "channel_split")
        check.divisible(c, self.parts, f"parts={self.parts} must divide channels {c}")
        part = (n, div(c, self.parts), h, w)
        return tuple(part for _ in range(self.parts))

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """Consecutive channel ranges (views), as torch.chunk: part i holds channels
        [i·c/p, (i+1)·c/p)."""
        x = xs[0]
        n, c, h, w = x.shape
        parts = x.reshape(n, self.parts, c // self.parts, h, w)
        return tuple(parts[:, i] for i in range(self.parts))

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        """torch.chunk along channels, in a module of its own (torch.nn has none)."""
        return _torch_chunk()(self.parts)


@register("channel_shuffle")
@dataclass(frozen=True)
class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle: reshape (g, c/g), transpose, flatten. Shape unchanged.

    >>> ChannelShuffle(groups=3).output([(1, 60, 56, 56)], Checker())
    (1, 60, 56, 56)
    """

    kind = "data_movement"
    groups: sint = size(doc="groups g; must divide the channels")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        _, c, _, _ = feature_map(xs[0], "channel_shuffle")
        check.divisible(c, self.groups, f"groups={self.groups} must divide channels {c}")
        return xs[0]

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """As the paper: reshape (n, g, c/g, h, w), transpose to (n, c/g, g, h, w), flatten."""
        x = xs[0]
        n, c, h, w = x.shape
        g = self.groups
        return (x.reshape(n, g, c // g, h, w).transpose(0, 2, 1, 3, 4).reshape(n, c, h, w),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return nn.ChannelShuffle(self.groups)


@register("flatten")
@dataclass(frozen=True)
class Flatten(Op):
    """(n, c, h, w) -> (n, c·h·w), before a linear layer. A view: no memory traffic."""

    kind = "view"

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        x = xs[0]
        return (x[0], numel(x[1:]))

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (xs[0].reshape(xs[0].shape[0], -1),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return nn.Flatten()


@functools.cache
def _torch_chunk() -> type:
    """The torch module of channel_split: torch.chunk(x, parts, dim=1); made on first use."""
    import torch
    from torch import nn

    class Chunk(nn.Module):
        def __init__(self, parts: int) -> None:
            super().__init__()
            self.parts = parts

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return torch.chunk(x, self.parts, dim=1)

    return Chunk
