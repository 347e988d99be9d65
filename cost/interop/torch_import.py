"""A `torch.nn.Module` as a `cost.interop.graph.Graph`: traced with torch.fx, shapes from one
forward without arithmetic (`ShapeProp` on meta tensors, or fake ones where a model's forward
needs them), each module or function mapped to a registered op.

Modules: Conv2d, Linear, BatchNorm1d/2d, ReLU, ReLU6, Sigmoid, Hardsigmoid, Hardswish (and any
activation registered under the names of `ACTIVATIONS`), Dropout, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d, Flatten, ChannelShuffle, Identity. Functions: `+`, `*` (and torch.add/mul),
torch.cat on channels, torch.flatten, chunk on channels, F.relu & co. (kept `functional`),
F.adaptive_avg_pool2d(x, 1), x.mean((2, 3)) (op `mean`), view/transpose/view as channel shuffle,
contiguous and stochastic depth (identities at inference). Anything else is a `SourceError` naming
the fx node, what it calls, and what is supported; never a silent zero.

torch is imported inside the functions: `import cost` never loads it.
"""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Any

from cost.interop.graph import INPUT, Graph, Node, SourceError, unique

ACTIVATIONS = {  # torch.nn class -> op; F.<function> -> op
    "ReLU": "relu", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Hardsigmoid": "hard_sigmoid",
    "Hardswish": "hard_swish", "SiLU": "silu", "GELU": "gelu",
}
FUNCTIONS = {"relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid",
             "hardsigmoid": "hard_sigmoid", "hardswish": "hard_swish", "silu": "silu",
             "gelu": "gelu"}
SUPPORTED = ("modules Conv2d, Linear, BatchNorm1d/2d, ReLU, ReLU6, Sigmoid, Hardsigmoid, "
             "Hardswish, Dropout, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, "
             "ChannelShuffle, Identity; functions +, *, torch.cat(dim=1), torch.flatten(x, 1), "
             "chunk(dim=1), F.relu/relu6/sigmoid/hardsigmoid/hardswish, "
             "F.adaptive_avg_pool2d(x, 1), x.mean((2, 3)), view-transpose-view channel shuffle")


def _square(value: Any, what: str, where: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            raise SourceError(f"{what} = {tuple(value)} is not square", where=where,
                              hint="the spec format has square kernels, strides and pads")
        value = value[0]
    if not isinstance(value, int):
        raise SourceError(f"{what} = {value!r}; allowed: a whole number", where=where)
    return value


def _fraction(p: float) -> str:
    return str(Fraction(str(p)))


def _registered(op: str, where: str, what: str) -> str:
    from cost import ops

    if not ops.is_registered(op):
        raise SourceError(f"{what} has no op in cost's op set (wanted {op!r})", where=where,
                          hint="supported: " + SUPPORTED)
    return op


def _conv(m: Any, cin: int, where: str) -> dict[str, Any]:
    if m.padding_mode != "zeros":
        raise SourceError(f"Conv2d padding_mode={m.padding_mode!r}; allowed: 'zeros'",
                          where=where)
    if isinstance(m.padding, str):
        raise SourceError(f"Conv2d padding={m.padding!r}; allowed: numbers", where=where)
    k, stride = _square(m.kernel_size, "kernel_size", where), _square(m.stride, "stride", where)
    pad, dilation = _square(m.padding, "padding", where), _square(m.dilation, "dilation", where)
    args: dict[str, Any] = {}
    if m.groups == cin == m.out_channels and m.groups > 1:
        args["groups"] = "depthwise"
    else:
        args["out"] = m.out_channels
    args["k"] = k
    if stride != 1:
        args["stride"] = stride
    if pad:
        args["pad"] = pad
    if dilation != 1:
        args["dilation"] = dilation
    if m.groups != 1 and "out" in args:
        args["groups"] = m.groups
    if m.bias is not None:
        args["bias"] = True
    return args


def _pool(m: Any, where: str) -> dict[str, Any]:
    k = _square(m.kernel_size, "kernel_size", where)
    stride = _square(m.stride if m.stride is not None else k, "stride", where)
    pad = _square(m.padding, "padding", where)
    if _square(getattr(m, "dilation", 1), "dilation", where) != 1:
        raise SourceError("MaxPool2d dilation is not supported", where=where)
    if not getattr(m, "count_include_pad", True) or getattr(m, "divisor_override", None):
        raise SourceError("AvgPool2d needs count_include_pad=True and no divisor_override",
                          where=where)
    args: dict[str, Any] = {"k": k}
    if stride != k:
        args["stride"] = stride
    if pad:
        args["pad"] = pad
    if m.ceil_mode:
        args["ceil_mode"] = True
    return args


def _module_op(m: Any, in_shape: tuple[int, ...], where: str) -> tuple[str, dict] | None:
    """(op, args) of a leaf module, None for the identity."""
    from torch import nn

    name = type(m).__name__
    if isinstance(m, nn.Conv2d) and type(m) is nn.Conv2d:
        return "conv", _conv(m, in_shape[1], where)
    if isinstance(m, nn.Linear):
        if len(in_shape) != 2:
            raise SourceError(f"Linear on a {len(in_shape)}-d input; allowed: (n, features)",
                              where=where)
        return "linear", {"out": m.out_features, **({} if m.bias is not None else
                                                    {"bias": False})}
    if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        if not m.affine:
            raise SourceError("BatchNorm without affine is not supported", where=where)
        return "bn", {}
    if name in ACTIVATIONS and type(m).__module__.startswith("torch.nn"):
        return _registered(ACTIVATIONS[name], where, f"nn.{name}"), {}
    if isinstance(m, nn.Dropout):
        return "dropout", {"p": _fraction(m.p)}
    if isinstance(m, nn.MaxPool2d):
        return "maxpool", _pool(m, where)
    if isinstance(m, nn.AvgPool2d):
        return "avgpool", _pool(m, where)
    if isinstance(m, nn.AdaptiveAvgPool2d):
        size = _square(m.output_size, "output_size", where)
        return ("global_avgpool", {}) if size == 1 else ("adaptive_avgpool", {"size": size})
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise SourceError("Flatten must flatten from dim 1 to the end", where=where)
        return "flatten", {}
    if isinstance(m, nn.ChannelShuffle):
        return "channel_shuffle", {"groups": m.groups}
    if isinstance(m, nn.Identity):
        return None
    raise SourceError(f"module {type(m).__module__}.{name} is not supported", where=where,
                      hint="supported: " + SUPPORTED)


def _arg(node: Any, index: int, key: str, default: Any = None) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(key, default)


def _dims(value: Any, rank: int) -> tuple[int, ...]:
    values = value if isinstance(value, (tuple, list)) else (value,)
    return tuple(sorted(v % rank for v in values))


def trace(model: Any, input_shape: tuple[int, ...], name: str | None = None,
          source: str = "") -> Graph:
    """The graph of `model` (put in eval mode) on an input of `input_shape` (NCHW)."""
    import torch
    from torch import fx
    from torch.fx.passes.shape_prop import ShapeProp

    model.eval()
    title = name or type(model).__name__
    tracer = fx.Tracer()
    try:
        traced = tracer.trace(model)
    except Exception as e:  # fx raises many kinds; all mean "cannot trace"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(f"torch.fx cannot trace {title}: {first}", file=source or None,
                          hint="control flow on tensor values, or calls fx cannot follow; "
                               "trace a model without them") from None
    gm = fx.GraphModule(tracer.root, traced)
    try:
        try:
            _shapes_on_meta(gm, input_shape)
        except Exception:  # a forward that makes tensors of its own on the CPU, ...
            from torch._subclasses.fake_tensor import FakeTensorMode

            fake = FakeTensorMode(allow_non_fake_inputs=True)
            with torch.no_grad():  # shapes only: fake tensors, no arithmetic
                ShapeProp(gm, fake_mode=fake).propagate(
                    fake.from_tensor(torch.zeros(input_shape)))
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(f"{title} does not run on an input of shape {list(input_shape)}: "
                          f"{first}", file=source or None,
                          hint="give the input the model expects: --input n,c,h,w") from None
    return _Converter(gm, input_shape, title, source).run()


def _shapes_on_meta(gm: Any, input_shape: tuple[int, ...]) -> None:
    """Every fx node's output shape (`ShapeProp`'s tensor_meta) from a run on meta tensors: the
    parameters and buffers swapped for meta ones of the same shapes for the call
    (`torch.func.functional_call`), so no arithmetic is done and no weight is copied; about 3x
    faster than fake tensors, which remain the fallback."""
    import torch
    from torch import nn
    from torch.fx.passes.shape_prop import ShapeProp

    class Run(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gm = gm

        def forward(self, x: Any) -> Any:
            return ShapeProp(self.gm).propagate(x)

    run = Run()
    state = {name: torch.empty_like(t, device="meta")
             for name, t in [*run.named_parameters(), *run.named_buffers()]}
    with torch.no_grad():
        torch.func.functional_call(run, state, (torch.zeros(input_shape, device="meta"),))


class _Converter:
    def __init__(self, gm: Any, input_shape: tuple[int, ...], name: str, source: str) -> None:
        self.gm = gm
        self.graph = Graph(name, tuple(input_shape), [], source)
        self.values: dict[Any, Any] = {}  # fx node -> ref, tuple of refs, or a pending shuffle
        self.taken: set[str] = set()

    def fail(self, node: Any, message: str) -> SourceError:
        return SourceError(message, file=self.graph.source or None,
                           where=f"fx node {node.name} ({node.op} {_target(node)})",
                           hint="supported: " + SUPPORTED)

    def run(self) -> Graph:
        out = None
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                if self.values:
                    raise self.fail(node, "the model takes more than one input")
                self.values[node] = (INPUT, 0)
            elif node.op == "output":
                out = node.args[0]
            elif node.op == "get_attr":
                if "tensor_meta" in node.meta:
                    raise self.fail(node, "a parameter used directly (functional layers with "
                                          "their own weights) is not supported")
            else:
                self.convert(node)
        result = self.values.get(out) if not isinstance(out, (tuple, list)) else None
        nodes = self.graph.nodes
        if not nodes or result != (nodes[-1].name, 0):
            raise SourceError(f"{self.graph.name}'s output is not its last layer's single output",
                              file=self.graph.source or None,
                              hint="a model returning one tensor, computed last")
        return self.graph

    def ref(self, node: Any, user: Any) -> tuple[str, int]:
        value = self.values.get(node)
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int)
                and isinstance(value[0], str)):
            raise self.fail(user, f"{getattr(node, 'name', node)!r} is not a tensor cost follows")
        return value

    def emit(self, node: Any, op: str, args: dict, inputs: list[Any], scope_drop: str = "",
             base: str | None = None, kind: str = "") -> None:
        stack = node.meta.get("nn_module_stack") or {}
        scope = []
        for key, value in stack.items():
            path = value[0] if isinstance(value, tuple) else key
            if scope_drop and (key == scope_drop or path == scope_drop):
                continue
            key = path if isinstance(path, str) else key
            cls = value[1] if isinstance(value, tuple) else value
            scope.append((key, cls.__name__ if isinstance(cls, type) else str(cls).split(".")[-1]))
        if base is None:
            prefix = scope[-1][0] + "." if scope else ""
            base = prefix + op
        name = unique(base, self.taken)
        meta = node.meta["tensor_meta"]
        single = hasattr(meta, "shape")
        metas = (meta,) if single else tuple(meta)
        shapes = tuple(tuple(int(d) for d in m.shape) for m in metas)
        refs = tuple(self.ref(i, node) for i in inputs)
        self.graph.nodes.append(Node(name, op, args, refs, tuple(scope), shapes,
                                     kind or _target(node)))
        self.graph.__dict__.pop("_by_name", None)
        if single:
            self.values[node] = (name, 0)
        else:
            self.values[node] = tuple((name, i) for i in range(len(shapes)))

    def convert(self, node: Any) -> None:
        if node.op == "call_function" and node.target is operator.getitem:
            parts = self.values.get(node.args[0]) if hasattr(node.args[0], "op") else None
            if isinstance(parts, tuple) and parts and isinstance(parts[0], tuple):
                return self.getitem(node)
        if "tensor_meta" not in node.meta:
            return  # sizes and other non-tensor values: shape arithmetic, not layers
        if node.op == "call_module":
            return self.module(node)
        return self.function(node)

    def getitem(self, node: Any) -> None:
        self.values[node] = self.values[node.args[0]][node.args[1]]

    def module(self, node: Any) -> None:
        m = self.gm.get_submodule(node.target)
        x = node.args[0]
        where = f"module {node.target} ({type(m).__name__})"
        in_shape = tuple(x.meta["tensor_meta"].shape) if hasattr(x, "meta") else ()
        found = _module_op(m, in_shape, where)
        if found is None:
            self.values[node] = self.ref(x, node)
            return
        op, args = found
        self.emit(node, op, args, [x], scope_drop=node.target, base=node.target,
                  kind=type(m).__name__)

    def function(self, node: Any) -> None:
        import torch

        target, name = node.target, _target(node)
        x = node.args[0] if node.args else None
        meta = node.meta["tensor_meta"]
        shape = tuple(meta.shape) if hasattr(meta, "shape") else ()
        pending = self.values.get(x) if hasattr(x, "op") else None
        if isinstance(pending, dict):  # a channel shuffle in progress: view, transpose, view
            return self.shuffle(node, name, pending, shape)
        if target in (operator.add, operator.iadd, torch.add) or name == "add":
            return self.binary(node, "add")
        if target in (operator.mul, operator.imul, torch.mul) or name == "mul":
            return self.binary(node, "mul")
        if target is torch.cat:
            tensors = list(node.args[0])
            dim = _arg(node, 1, "dim", 0)
            if dim % len(shape) != 1:
                raise self.fail(node, f"torch.cat along dim {dim}; allowed: channels (1)")
            return self.emit(node, "concat", {}, tensors)
        if name in ("flatten",):
            start = _arg(node, 1, "start_dim", 0)
            end = _arg(node, 2, "end_dim", -1)
            if start != 1 or end != -1:
                raise self.fail(node, "flatten must be from dim 1 to the end")
            return self.emit(node, "flatten", {}, [x])
        if name in ("chunk", "split"):
            return self.split(node, name, x)
        if name in FUNCTIONS and len(node.args) + len(node.kwargs) <= 2:
            op = _registered(FUNCTIONS[name], f"fx node {node.name}", name)
            return self.emit(node, op, {"functional": True}, [x])
        if name == "adaptive_avg_pool2d":
            size = _square(_arg(node, 1, "output_size"), "output_size", node.name)
            if size != 1:
                raise self.fail(node, "F.adaptive_avg_pool2d to more than 1×1")
            return self.emit(node, "global_avgpool", {"functional": True}, [x])
        if name == "dropout":
            return self.emit(node, "dropout", {"p": _fraction(_arg(node, 1, "p", 0.5))}, [x])
        if name == "mean":
            rank = len(x.meta["tensor_meta"].shape)
            if rank != 4 or _dims(_arg(node, 1, "dim"), rank) != (2, 3):
                raise self.fail(node, "mean over other dims than H, W (2, 3)")
            keep = bool(_arg(node, 2, "keepdim", False))
            return self.emit(node, "mean", {"keepdim": True} if keep else {}, [x])
        if name in ("contiguous", "stochastic_depth", "clone", "detach"):
            self.values[node] = self.ref(x, node)
            return None
        if name in ("view", "reshape"):
            in_shape = tuple(x.meta["tensor_meta"].shape)
            if len(in_shape) == 4 and len(shape) == 2 and shape[0] == in_shape[0]:
                return self.emit(node, "flatten", {}, [x])
            if len(in_shape) == 4 and len(shape) == 5 and shape[0] == in_shape[0] and \
                    shape[1] * shape[2] == in_shape[1] and shape[3:] == in_shape[2:]:
                self.values[node] = {"step": 1, "x": x, "groups": shape[1]}
                return None
        raise self.fail(node, f"{name} is not supported")

    def shuffle(self, node: Any, name: str, pending: dict, shape: tuple) -> None:
        step = pending["step"]
        dims = tuple(a for a in node.args[1:] if isinstance(a, int))
        if step == 1 and name in ("transpose", "permute") and (
                dims == (1, 2) or dims == (0, 2, 1, 3, 4)):
            self.values[node] = {**pending, "step": 2}
            return
        if step == 2 and name == "contiguous":
            self.values[node] = pending
            return
        x = pending["x"]
        if step == 2 and name in ("view", "reshape", "flatten") and \
                shape == tuple(x.meta["tensor_meta"].shape):
            self.emit(node, "channel_shuffle", {"groups": pending["groups"]}, [x])
            return
        raise self.fail(node, f"{name} after a 5-d view is not a channel shuffle")

    def binary(self, node: Any, op: str) -> None:
        tensors = [a for a in node.args if hasattr(a, "op")]
        if len(tensors) != 2 or len(node.args) != 2 or node.kwargs:
            raise self.fail(node, f"{op} of a tensor and a number is not supported")
        self.emit(node, op, {}, tensors)

    def split(self, node: Any, name: str, x: Any) -> None:
        rank = len(x.meta["tensor_meta"].shape)
        dim = _arg(node, 2, "dim", 0)
        metas = node.meta["tensor_meta"]
        shapes = {tuple(m.shape) for m in metas}
        if dim % rank != 1 or len(shapes) != 1:
            raise self.fail(node, f"{name} into unequal parts or along dim {dim}; allowed: "
                                  "equal parts along channels")
        self.emit(node, "channel_split", {"parts": len(metas)}, [x])


def _target(node: Any) -> str:
    t = node.target
    if isinstance(t, str):
        return t.split(".")[-1] if node.op == "call_module" else t
    return getattr(t, "__name__", str(t))
