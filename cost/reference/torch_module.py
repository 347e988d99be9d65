"""A bound spec as a `torch.nn.Module` with the reference forward's weights: the test oracle.

Only tests and benchmarks use this module; torch is imported inside the functions, so `cost`
never needs it at run time. Each layer becomes the stock PyTorch module (or functional call) for
its op, and the module runs the layers in walk order with the engine's `Layer.sources`, exactly
as `cost.reference.forward.run` does, so the two forwards can be compared layer by layer.

>>> import cost.reference.forward, cost.reference.torch_module  # doctest: +SKIP
>>> p = cost.reference.forward.bound("specs/shufflenet_g3.yaml")  # doctest: +SKIP
>>> weights = cost.reference.forward.random_weights(p)  # doctest: +SKIP
>>> net = cost.reference.torch_module.to_module(p, weights)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cost.errors import SpecError
from cost.ops.base import Op

if TYPE_CHECKING:
    import numpy as np
    import torch

    from cost.engine.profile import Profile


def _conv(node: Op, in_shape: tuple[int, ...]) -> Any:
    import torch

    cin = in_shape[1]
    return torch.nn.Conv2d(cin, node.channels_out(cin), node.k, node.stride, node.pad,
                           node.dilation, node.group_count(cin), bias=node.bias)


def _pool(cls_name: str) -> Callable[[Op, tuple[int, ...]], Any]:
    def make(node: Op, in_shape: tuple[int, ...]) -> Any:
        import torch

        return getattr(torch.nn, cls_name)(node.k, node.stride, node.pad,
                                           ceil_mode=node.ceil_mode)

    return make


def _plain(factory: Callable[[], Any]) -> Callable[[Op, tuple[int, ...]], Any]:
    return lambda node, in_shape: factory()


def _builders() -> dict[str, Callable[[Op, tuple[int, ...]], Any]]:
    """op name -> (node, input shape) -> torch module taking the op's inputs as arguments."""
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

    class Chunk(nn.Module):
        def __init__(self, parts: int) -> None:
            super().__init__()
            self.parts = parts

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return torch.chunk(x, self.parts, dim=1)

    return {
        "conv": _conv,
        "linear": lambda node, s: nn.Linear(s[1], node.out, bias=node.bias),
        "bn": lambda node, s: nn.BatchNorm2d(s[1]) if len(s) == 4 else nn.BatchNorm1d(s[1]),
        "relu": _plain(nn.ReLU),
        "relu6": _plain(nn.ReLU6),
        "sigmoid": _plain(nn.Sigmoid),
        "hard_sigmoid": _plain(nn.Hardsigmoid),
        "hard_swish": _plain(nn.Hardswish),
        "dropout": lambda node, s: nn.Dropout(float(node.p)),
        "maxpool": _pool("MaxPool2d"),
        "avgpool": _pool("AvgPool2d"),
        "adaptive_avgpool": lambda node, s: nn.AdaptiveAvgPool2d(node.size),
        "global_avgpool": lambda node, s: nn.AdaptiveAvgPool2d(1),
        "flatten": _plain(nn.Flatten),
        "channel_shuffle": lambda node, s: nn.ChannelShuffle(node.groups),
        "channel_split": lambda node, s: Chunk(node.parts),
        "add": _plain(Sum),
        "mul": _plain(Product),
        "concat": _plain(Concat),
    }


def to_module(p: Profile, weights: Mapping[str, Mapping[str, np.ndarray]]) -> torch.nn.Module:
    """An eval-mode `torch.nn.Module` computing the bound profile `p` with `weights` (by layer
    path, as `cost.reference.forward.random_weights` makes them: learnable tensors and BN
    buffers)."""
    import torch

    builders = _builders()
    layers = []
    for layer in p.layers:
        if layer.op not in builders:
            raise SpecError(f"op {layer.op!r} has no PyTorch translation",
                            where=layer.path, hint="add it to cost/torch_bridge.py")
        with torch.device("meta"):  # no storage and no init: every tensor is copied below
            module = builders[layer.op](layer.node, tuple(int(d) for d in layer.in_shapes[0]))
        module = module.to_empty(device="cpu")
        given = weights.get(layer.path, {})
        state = module.state_dict()
        expected = {name: tuple(array.shape) for name, array in given.items()}
        actual = {name: tuple(v.shape) for name, v in state.items()
                  if not name.endswith("num_batches_tracked")}
        if expected != actual:  # the op's declared weights must be PyTorch's, name and layout
            raise SpecError(f"{layer.op} declares weights {expected}, PyTorch has {actual}",
                            where=layer.path)
        with torch.no_grad():
            for name, array in given.items():
                state[name].copy_(torch.from_numpy(array))
        layers.append(module)
    return _graph(layers, [layer.sources for layer in p.layers],
                  [layer.path for layer in p.layers]).eval()


def _graph(layers: list[Any], sources: list[tuple[tuple[int, int], ...]],
           paths: list[str]) -> torch.nn.Module:
    """The module running `layers` in order, each fed by its (layer, output) sources."""
    import torch

    class _Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)
            self.sources = sources
            self.paths = paths

        def forward(self, x: torch.Tensor, activations: bool = False) -> Any:
            values: dict[tuple[int, int], torch.Tensor] = {(-1, 0): x}
            kept = {}
            for i, (module, srcs) in enumerate(zip(self.layers, self.sources, strict=True)):
                out = module(*(values[s] for s in srcs))
                outs = out if isinstance(out, tuple) else (out,)
                for j, y in enumerate(outs):
                    values[i, j] = y
                    if activations:
                        kept[self.paths[i] if len(outs) == 1 else f"{self.paths[i]}.{j}"] = y
            y = values[len(self.layers) - 1, 0]
            return (y, kept) if activations else y

    return _Graph()
