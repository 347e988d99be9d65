"""A bound spec as a `torch.nn.Module` with the reference forward's weights: the test oracle.

Only tests and benchmarks use this module; torch is imported inside the functions, so `cost`
never needs it at run time. Each layer becomes the module its op builds (`Op.torch_module`: the
stock PyTorch module, or a small one of the op's own), and the module runs the layers in walk
order with the engine's `Layer.sources`, exactly as `cost.reference.forward.run` does, so the two
forwards can be compared layer by layer. No op is named here.

>>> import cost.reference.forward, cost.reference.torch_module  # doctest: +SKIP
>>> p = cost.reference.forward.bound("specs/shufflenet_g3.yaml")  # doctest: +SKIP
>>> weights = cost.reference.forward.random_weights(p)  # doctest: +SKIP
>>> net = cost.reference.torch_module.to_module(p, weights)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cost.errors import SpecError
from cost.ops.base import Op

if TYPE_CHECKING:
    import numpy as np
    import torch

    from cost.engine.profile import Profile


def translates(op: type[Op]) -> bool:
    """Whether the op class builds a torch module (defines `Op.torch_module`)."""
    return op.torch_module is not Op.torch_module


def to_module(p: Profile, weights: Mapping[str, Mapping[str, np.ndarray]]) -> torch.nn.Module:
    """An eval-mode `torch.nn.Module` computing the bound profile `p` with `weights` (by layer
    path, as `cost.reference.forward.random_weights` makes them: learnable tensors and BN
    buffers)."""
    import torch

    layers = []
    for layer in p.layers:
        if not translates(type(layer.node)):
            raise SpecError(f"op {layer.op!r} has no PyTorch translation", where=layer.path,
                            hint="define `torch_module` on the op's class in cost/ops")
        with torch.device("meta"):  # no storage and no init: every tensor is copied below
            module = layer.node.torch_module(tuple(int(d) for d in layer.in_shapes[0]))
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
