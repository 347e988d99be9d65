"""A SOURCE argument to a graph or a profile: `model.onnx`, `package.module:factory` (a callable
returning a torch module, e.g. `torchvision.models:resnet18`) or a spec file.

>>> kind("model.onnx"), kind("torchvision.models:resnet18"), kind("specs/resnet50.yaml")
('onnx', 'torch', 'spec')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cost.interop.graph import Graph, SourceError

FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def kind(source: str) -> str:
    if source.endswith(".onnx"):
        return "onnx"
    if source.endswith((".yaml", ".yml")):
        return "spec"
    if FACTORY.match(source):
        return "torch"
    raise SourceError(f"source {source!r} is not a model cost can read",
                      hint="give model.onnx, package.module:factory "
                           "(torchvision.models:resnet18) or spec.yaml")


def factory(source: str) -> Any:
    """The torch module `package.module:factory` builds (called without arguments)."""
    import importlib

    module_name, _, attr = source.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:
        raise SourceError(f"cannot import {module_name!r}: {e}", hint="package.module:factory, "
                          "e.g. torchvision.models:resnet18") from None
    build = getattr(module, attr, None)
    if not callable(build):
        raise SourceError(f"{module_name} has no callable {attr!r}",
                          hint="package.module:factory, e.g. torchvision.models:resnet18")
    try:
        model = build()
    except Exception as e:
        raise SourceError(f"{source}() fails: {e}") from None
    return model


def graph(source: str, input_shape: tuple[int, ...] | None = None) -> Graph:
    """The graph of an ONNX file or a torch factory."""
    found = kind(source)
    if found == "onnx":
        from cost.interop.onnx_import import read

        return read(source, input_shape)
    if found == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            raise SourceError("importing a PyTorch model needs torch",
                              hint='pip install "cost[torch]"') from None
        from cost.interop.torch_import import trace

        g = trace(factory(source), input_shape or (1, 3, 224, 224),
                  source.partition(":")[2], source)
        return g
    raise SourceError(f"{source} is a spec, not a model", hint="cost profile it, or diff it")


def spec_text(source: str, input_shape: tuple[int, ...] | None = None,
              name: str | None = None) -> str:
    """The spec text `cost import` writes for `source`, checked by reading it back."""
    from cost.interop.spec_writer import load_text, write

    text = write(graph(source, input_shape), name)
    load_text(text, source)  # a spec that does not read back is a bug, never written
    return text


def load(source: str, input_shape: tuple[int, ...] | None = None, **bindings: Any) -> Any:
    """A bound `Spec` of any source: a spec file as `cost.load` reads it, a model imported."""
    from cost.spec import load as load_spec

    if kind(source) == "spec":
        if not Path(source).is_file():
            from cost.spec.bundled import resolve

            resolve(source)  # raises the usual error, or finds a bundled spec
        return load_spec(source, **bindings)
    from cost.interop.spec_writer import load_text

    spec = load_text(spec_text(source, input_shape), source)
    return spec.with_bindings(**bindings)
