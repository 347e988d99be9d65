"""A spec as a model: a `torch.nn.Module` (`cost.reference.torch_module`) with seeded random
weights, saved whole with `torch.save`, or exported to ONNX with `torch.onnx.export`.

The ONNX file keeps BatchNormalization nodes (no folding into the convolutions), so that it counts
the same parameters as the spec, and names its nodes by the spec's layer paths, so that
`cost import` of the file finds the spec's blocks again.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from cost.errors import SpecError
from cost.interop.graph import SourceError

TARGETS = ("torch", "onnx")


def module(p: Any, seed: int = 0) -> Any:
    """The eval-mode torch module of the bound profile `p`, weights drawn with `seed`."""
    from cost.reference.forward import random_weights
    from cost.reference.torch_module import to_module

    if p.symbolic:
        raise SpecError(f"export needs numbers, but {', '.join(p.env.free)} are free",
                        file=p.spec.path, hint="bind them with --set NAME=VALUE")
    return to_module(p, random_weights(p, seed))


def export(p: Any, to: str, out: str | Path, seed: int = 0) -> Path:
    """Write the model of `p` to `out` as `to` (torch or onnx); nothing is left half-written."""
    import torch

    from cost.reference.forward import input_shape

    if to not in TARGETS:
        raise SpecError(f"--to {to}; allowed: {', '.join(TARGETS)}")
    net = module(p, seed)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(suffix=out.suffix, dir=out.parent if out.parent.exists() else None)
    os.close(fd)
    try:
        if to == "torch":
            torch.save(net, tmp)
        else:
            onnx_exportable(net)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    torch.onnx.export(net, (torch.zeros(input_shape(p)),), tmp, dynamo=False,
                                      training=torch.onnx.TrainingMode.PRESERVE,
                                      input_names=["x"], output_names=["y"])
                except (torch.onnx.errors.OnnxExporterError, RuntimeError) as e:
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    raise SourceError(f"torch.onnx.export cannot export {p.spec.name}: {first}",
                                      file=p.spec.path,
                                      hint="e.g. adaptive pools whose output size does not "
                                           "divide their input's: try another --set r=...") \
                        from None
        os.replace(tmp, out)
    except OSError as e:
        raise SourceError(f"cannot write {out}: {e.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def onnx_exportable(net: Any) -> Any:
    """`net` with what the TorchScript ONNX exporter cannot translate swapped for an equivalent:
    nn.ChannelShuffle has no ONNX export, so the same reshape-transpose-reshape written out
    (what `cost import` reads back as channel_shuffle). Also used by `cost.bench`."""
    import torch
    from torch import nn

    class Shuffle(nn.Module):
        def __init__(self, groups: int) -> None:
            super().__init__()
            self.groups = groups

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n, c, h, w = x.shape
            x = x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).contiguous()
            return x.view(n, c, h, w)

    for i, layer in enumerate(net.layers):
        if isinstance(layer, nn.ChannelShuffle):
            net.layers[i] = Shuffle(layer.groups)
    return net
