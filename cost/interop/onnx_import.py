"""An ONNX file as a `cost.interop.graph.Graph`, read with the `onnx` package.

Shapes follow from the input's (set to the size asked for) by the ops' own shape rules; shape
arithmetic (Shape, Gather, Unsqueeze, Concat, Div, ... on sizes) is evaluated with numpy and never
becomes a layer. Ops: Conv, Gemm, MatMul on 2-D, BatchNormalization, Relu, Clip (0, 6: relu6),
Sigmoid, HardSigmoid, HardSwish, x * Sigmoid(x) (silu), Add, Mul, Concat (channels), Split and
Slice pairs on channels (channel_split), Reshape/Transpose/Reshape (channel shuffle), Flatten,
Reshape to (n, -1), GlobalAveragePool, AveragePool, MaxPool, ReduceMean over H, W, Dropout,
Identity. Anything else is a `SourceError` naming the node and its op type.

Node names of PyTorch's exporter (`/layer1/layer1.0/conv1/Conv`) give module paths, so the folding
into blocks finds the same sub-structures as an import from torch; other files fold by the
structure alone.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from cost.errors import SpecError
from cost.interop.graph import INPUT, Graph, Node, SourceError, unique

SUPPORTED = ("Conv, Gemm, MatMul (2-D), BatchNormalization, Relu, Clip (relu6), Sigmoid, "
             "HardSigmoid, HardSwish, x * Sigmoid(x) (silu), Add, Mul, Concat, Split, Slice "
             "(channel split), Reshape/Transpose (channel shuffle), Flatten, GlobalAveragePool, "
             "AveragePool, MaxPool, ReduceMean over H, W, Dropout, Identity")
SHAPE_OPS = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Div", "Mul", "Add", "Sub",
             "Cast", "Slice", "Constant", "Floor", "ConstantOfShape", "Range", "Reshape",
             "Identity", "ReduceProd", "Equal", "Where", "Expand"}
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "HardSwish": "hard_swish"}


def _attrs(node: Any) -> dict[str, Any]:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _square(values: Any, what: str, where: str) -> int:
    values = list(values)
    if len(set(values)) != 1:
        raise SourceError(f"{what} = {values} is not square / symmetric", where=where,
                          hint="the spec format has square kernels, strides and pads")
    return int(values[0])


def _scopes(name: str) -> list[str]:
    """Module paths from an exporter node name: /layer1/layer1.0/conv1/Conv ->
    [layer1, layer1.0, layer1.0.conv1] (the last part, the op, dropped)."""
    parts = [p for p in name.split("/") if p][:-1]
    full: list[str] = []
    for i, part in enumerate(parts):
        if i and part.startswith(parts[i - 1] + "."):
            base = full[i - 2] if i >= 2 else ""
        else:
            base = full[i - 1] if i else ""
        full.append(f"{base}.{part}" if base else part)
    return full


def _silu_pairs(nodes: list[Any]) -> dict[str, tuple[str, str]]:
    """x * Sigmoid(x), the exporter's nn.SiLU / F.silu, as {Mul node name: (Sigmoid node name,
    x)} when the Sigmoid's output is read by that Mul alone (a gate, x * sigmoid(s), is not one)."""
    readers: dict[str, int] = {}
    for node in nodes:
        for i in node.input:
            readers[i] = readers.get(i, 0) + 1
    sigmoids = {node.output[0]: node for node in nodes if node.op_type == "Sigmoid"}
    pairs: dict[str, tuple[str, str]] = {}
    for node in nodes:
        if node.op_type != "Mul" or len(node.input) != 2 or not node.name:
            continue
        a, b = node.input
        for x, s in ((a, b), (b, a)):
            sig = sigmoids.get(s)
            if sig is not None and sig.name and sig.input[0] == x and readers.get(s) == 1:
                pairs[node.name] = (sig.name, x)
                break
    return pairs


def read(path: str | Path, input_shape: tuple[int, ...] | None = None) -> Graph:
    import onnx
    from google.protobuf.message import DecodeError

    source = str(path)
    if not Path(path).is_file():
        raise SourceError(f"no such file: {source}", hint="give an .onnx file, a spec, or "
                                                          "package.module:factory")
    try:
        model = onnx.load(source)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise SourceError(f"not a readable ONNX model: {str(e).splitlines()[0] if str(e) else e}",
                          file=source) from None
    return _Reader(model, source, input_shape).run()


class _Reader:
    def __init__(self, model: Any, source: str, input_shape: tuple[int, ...] | None) -> None:
        from onnx import numpy_helper

        self.source = source
        graph = model.graph
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        inputs = [i for i in graph.input if i.name not in inits]
        if len(inputs) != 1:
            raise SourceError(f"the model has {len(inputs)} inputs; allowed: one", file=source)
        dims = inputs[0].type.tensor_type.shape.dim
        declared = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
        shape = tuple(input_shape) if input_shape else declared
        if len(shape) != 4 or any(d is None or d < 1 for d in shape):
            raise SourceError(f"input {inputs[0].name!r} has shape {list(declared)}; cost needs "
                              "four known sizes (n, c, h, w)", file=source,
                              hint="give them: --input 1,3,224,224")
        for d, v in zip(dims, shape, strict=True):
            d.ClearField("dim_param")
            d.dim_value = v
        self.model = model
        # every tensor's shape follows from the input's by the ops' own shape rules (cost.ops),
        # and sizes computed in the graph (Shape -> Gather -> Concat -> Reshape) by evaluating
        # them: no shape inference needed, and a file with a symbolic input size reads the same
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.static: dict[str, Any] = dict(inits)
        self.data: dict[str, Any] = {inputs[0].name: (INPUT, 0)}
        self.shapes[inputs[0].name] = shape
        name = Path(source).stem
        self.graph = Graph(name, shape, [], source)
        self.taken: set[str] = set()
        self.pending: dict[str, dict] = {}  # shuffle in progress
        self.slices: dict[str, dict] = {}

    def fail(self, node: Any, message: str) -> SourceError:
        return SourceError(message, file=self.source,
                           where=f"node {node.name or node.output[0]!r} ({node.op_type})",
                           hint="supported: " + SUPPORTED)

    def run(self) -> Graph:
        nodes = list(self.model.graph.node)
        self.silu = _silu_pairs(nodes)
        fused = {sigmoid for sigmoid, _ in self.silu.values()}
        nodes = [n for n in nodes if n.name not in fused or not n.name]
        self.leaf_scopes = self._leaf_scopes(nodes)
        for node in nodes:
            ins = [i for i in node.input if i]
            if not any(i in self.data or i in self.pending for i in ins):
                self.evaluate(node)
                continue
            self.convert(node)
        out = self.model.graph.output[0].name
        last = self.graph.nodes[-1] if self.graph.nodes else None
        if last is None or self.data.get(out) != (last.name, 0):
            raise SourceError("the graph's output is not its last layer's output",
                              file=self.source)
        return self.graph

    def _leaf_scopes(self, nodes: list[Any]) -> set[str]:
        count: dict[str, int] = {}
        parents: set[str] = set()
        for node in nodes:
            if node.op_type in SHAPE_OPS - {"Concat", "Mul", "Add", "Reshape", "Identity"}:
                continue
            scopes = _scopes(node.name)
            if scopes:
                count[scopes[-1]] = count.get(scopes[-1], 0) + 1
                parents.update(scopes[:-1])
        leaves = {s for s, c in count.items() if c == 1 and s not in parents}
        self.direct = {s for s in count if s not in leaves}  # scopes holding layers themselves
        for s in leaves:
            if "." in s:
                self.direct.add(s.rsplit(".", 1)[0])
        return leaves

    # --- sizes: evaluated, never layers ------------------------------------------------------
    def evaluate(self, node: Any) -> None:
        import numpy as np
        from onnx import numpy_helper

        a = _attrs(node)
        op = node.op_type
        vals = [self.static.get(i) if i else None for i in node.input]
        if op == "Constant":
            self.static[node.output[0]] = numpy_helper.to_array(a["value"]) if "value" in a \
                else np.array(a.get("value_ints", a.get("value_int", 0)))
            return
        if any(v is None for v, i in zip(vals, node.input, strict=True) if i):
            if op == "Shape":
                return
            raise self.fail(node, "reads a value that is neither a constant nor a tensor")
        x = vals[0]
        try:
            if op == "Gather":
                y = np.take(x, vals[1], axis=a.get("axis", 0))
            elif op == "Unsqueeze":
                axes = a.get("axes", vals[1] if len(vals) > 1 else None)
                y = np.expand_dims(x, tuple(int(v) for v in np.atleast_1d(axes)))
            elif op == "Squeeze":
                y = np.squeeze(x)
            elif op == "Concat":
                y = np.concatenate([np.atleast_1d(v) for v in vals], axis=a.get("axis", 0))
            elif op in ("Div",):
                y = x // vals[1] if np.issubdtype(np.asarray(x).dtype, np.integer) else x / vals[1]
            elif op in ("Mul", "Add", "Sub"):
                y = {"Mul": np.multiply, "Add": np.add, "Sub": np.subtract}[op](x, vals[1])
            elif op in ("Cast", "Identity", "Floor"):
                y = np.floor(x) if op == "Floor" else x
            elif op == "Reshape":
                y = np.reshape(x, vals[1])
            elif op == "Slice":
                y = x[int(vals[1][0]):int(vals[2][0])]
            else:
                y = None
        except Exception:
            y = None
        if y is None:
            raise self.fail(node, f"{op} on constants is not supported")
        self.static[node.output[0]] = np.asarray(y)

    # --- layers ----------------------------------------------------------------------------
    def emit(self, node: Any, op: str, args: dict, inputs: list[str],
             outputs: list[str] | None = None) -> None:
        scopes = _scopes(node.name)
        base_op = op
        if scopes and scopes[-1] in self.leaf_scopes:
            base = scopes.pop()
        else:
            base = (scopes[-1] + "." if scopes else "") + base_op
        name = unique(base, self.taken)
        outs = outputs or [node.output[0]]
        from cost import ops
        from cost.symbolic import Checker

        try:
            shapes = ops.get(op)(**args).outputs([self.shapes[i] for i in inputs], Checker())
        except SpecError as e:
            raise self.fail(node, f"{op}: {e.message}") from None
        self.shapes.update(zip(outs, shapes, strict=True))
        # a scope with no layer of its own (a Sequential of modules) is transparent, as in torch
        scope = tuple((s, "block" if s in self.direct else "Sequential") for s in scopes)
        refs = []
        for i in inputs:
            if i not in self.data:
                raise self.fail(node, f"input {i!r} is not a tensor cost follows")
            refs.append(self.data[i])
        self.graph.nodes.append(Node(name, op, args, tuple(refs), scope, tuple(shapes),
                                     node.op_type))
        for k, o in enumerate(outs):
            self.data[o] = (name, k)

    def convert(self, node: Any) -> None:
        op, a = node.op_type, _attrs(node)
        x = node.input[0]
        where = node.name or node.output[0]
        if x in self.pending:
            return self.shuffle(node)
        if op == "Shape":  # the sizes of a tensor: known, a constant from here on
            import numpy as np

            self.static[node.output[0]] = np.array(self.shapes[x], dtype=np.int64)
            return None
        if op == "Conv":
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise self.fail(node, "auto_pad is not supported")
            w = self.static[node.input[1]].shape
            k = _square(a.get("kernel_shape", w[2:]), "kernel_shape", where)
            stride = _square(a.get("strides", [1, 1]), "strides", where)
            pad = _square(a.get("pads", [0, 0, 0, 0]), "pads", where)
            dilation = _square(a.get("dilations", [1, 1]), "dilations", where)
            g = int(a.get("group", 1))
            cin = self.shapes[x][1]
            args: dict[str, Any] = {}
            if g == cin == w[0] and g > 1:
                args["groups"] = "depthwise"
            else:
                args["out"] = int(w[0])
            args["k"] = k
            for key, v, default in (("stride", stride, 1), ("pad", pad, 0),
                                    ("dilation", dilation, 1)):
                if v != default:
                    args[key] = v
            if g != 1 and "out" in args:
                args["groups"] = g
            if len(node.input) > 2 and node.input[2]:
                args["bias"] = True
            return self.emit(node, "conv", args, [x])
        if op == "Gemm":
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise self.fail(node, "Gemm with transA, alpha or beta is not supported")
            w = self.static[node.input[1]].shape
            out = int(w[0] if a.get("transB", 0) else w[1])
            bias = len(node.input) > 2 and bool(node.input[2])
            return self.emit(node, "linear", {"out": out, **({} if bias else {"bias": False})},
                             [x])
        if op == "MatMul" and node.input[1] in self.static:
            w = self.static[node.input[1]].shape
            if len(w) != 2 or len(self.shapes[x]) != 2:
                raise self.fail(node, "MatMul other than (n, f) × (f, out)")
            return self.emit(node, "linear", {"out": int(w[1]), "bias": False}, [x])
        if op == "BatchNormalization":
            return self.emit(node, "bn", {}, [x])
        if op in ACTIVATIONS:
            return self.emit(node, ACTIVATIONS[op], {}, [x])
        if op == "HardSigmoid":
            if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
                raise self.fail(node, "HardSigmoid other than relu6(x + 3) / 6")
            return self.emit(node, "hard_sigmoid", {}, [x])
        if op == "Clip":
            lo = a.get("min", self.static.get(node.input[1]) if len(node.input) > 1 else None)
            hi = a.get("max", self.static.get(node.input[2]) if len(node.input) > 2 else None)
            if lo is not None and hi is not None and float(lo) == 0 and float(hi) == 6:
                return self.emit(node, "relu6", {}, [x])
            if lo is not None and float(lo) == 0 and hi is None:
                return self.emit(node, "relu", {}, [x])
            raise self.fail(node, f"Clip({lo}, {hi}); allowed: (0, 6) as relu6")
        if op == "Mul" and node.name and node.name in self.silu:
            return self.emit(node, "silu", {}, [self.silu[node.name][1]])
        if op in ("Add", "Mul"):
            ins = [i for i in node.input if i in self.data]
            if len(ins) == 2:
                return self.emit(node, op.lower(), {}, ins)
            last = self.graph.nodes[-1] if self.graph.nodes else None
            if op == "Add" and last is not None and last.op == "linear" and \
                    not last.args.get("bias", True) and self.data.get(x) == (last.name, 0):
                last.args.pop("bias")  # MatMul + Add: a linear layer with a bias
                self.data[node.output[0]] = self.data[x]
                return None
            raise self.fail(node, f"{op} of a tensor and a constant is not supported")
        if op == "Concat":
            if a.get("axis", 0) % len(self.shapes[x]) != 1:
                raise self.fail(node, "Concat along other than channels")
            return self.emit(node, "concat", {}, list(node.input))
        if op == "Split":
            shapes = {self.shapes.get(o) for o in node.output}
            if a.get("axis", 0) % len(self.shapes[x]) != 1 or len(shapes) != 1:
                raise self.fail(node, "Split into unequal parts or along other than channels")
            return self.emit(node, "channel_split", {"parts": len(node.output)}, [x],
                             list(node.output))
        if op == "Slice":
            return self.slice(node)
        if op == "Flatten":
            if a.get("axis", 1) != 1:
                raise self.fail(node, "Flatten with axis other than 1")
            return self.emit(node, "flatten", {}, [x])
        if op == "Reshape":
            src, dst = self.shapes[x], self._target(node)
            if len(src) == 4 and len(dst) == 2 and dst[0] == src[0]:
                return self.emit(node, "flatten", {}, [x])
            if len(src) == 4 and len(dst) == 5 and dst[1] * dst[2] == src[1] and \
                    dst[3:] == src[2:]:
                self.pending[node.output[0]] = {"x": x, "groups": dst[1], "step": 1}
                self.shapes[node.output[0]] = dst
                return None
            raise self.fail(node, f"Reshape {list(src)} -> {list(dst)}")
        if op == "GlobalAveragePool":
            return self.emit(node, "global_avgpool", {}, [x])
        if op in ("AveragePool", "MaxPool"):
            k = _square(a["kernel_shape"], "kernel_shape", where)
            stride = _square(a.get("strides", [k, k]), "strides", where)
            pad = _square(a.get("pads", [0, 0, 0, 0]), "pads", where)
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                raise self.fail(node, "dilated pooling is not supported")
            if op == "AveragePool" and pad and not a.get("count_include_pad", 0):
                raise self.fail(node, "AveragePool with padding needs count_include_pad=1")
            args = {"k": k}
            if stride != k:
                args["stride"] = stride
            if pad:
                args["pad"] = pad
            if a.get("ceil_mode", 0):
                args["ceil_mode"] = True
            return self.emit(node, "avgpool" if op == "AveragePool" else "maxpool", args, [x])
        if op == "ReduceMean":
            axes = a.get("axes")
            if axes is None and len(node.input) > 1:
                axes = list(self.static[node.input[1]])
            rank = len(self.shapes[x])
            if rank != 4 or sorted(int(v) % rank for v in (axes or ())) != [2, 3]:
                raise self.fail(node, "ReduceMean over other axes than H, W")
            return self.emit(node, "mean", {"keepdim": True} if a.get("keepdims", 1) else {},
                             [x])
        if op in ("Dropout", "Identity"):
            self.data[node.output[0]] = self.data[x]
            self.shapes.setdefault(node.output[0], self.shapes[x])
            return None
        raise self.fail(node, f"op type {op} is not supported")

    def _target(self, node: Any) -> tuple[int, ...]:
        """The shape a Reshape makes: its shape input, with 0 (copy) and -1 (the rest)."""
        import math

        target = self.static.get(node.input[1])
        if target is None:
            return self.shapes.get(node.output[0], ())
        src = self.shapes.get(node.input[0]) or self.shapes[self.pending[node.input[0]]["x"]]
        dims = [int(d) if int(d) != 0 else src[i] for i, d in enumerate(target)]
        if -1 in dims:
            known = math.prod(d for d in dims if d != -1)
            dims[dims.index(-1)] = math.prod(src) // known
        return tuple(dims)

    def shuffle(self, node: Any) -> None:
        pending = self.pending[node.input[0]]
        a = _attrs(node)
        if node.op_type == "Transpose" and pending["step"] == 1 and \
                list(a.get("perm", [])) == [0, 2, 1, 3, 4]:
            self.pending[node.output[0]] = {**pending, "step": 2}
            d = self.shapes[node.input[0]]
            self.shapes[node.output[0]] = (d[0], d[2], d[1], d[3], d[4])
            return
        if node.op_type == "Reshape" and pending["step"] == 2 and \
                self._target(node) == self.shapes[pending["x"]]:
            self.emit(node, "channel_shuffle", {"groups": pending["groups"]}, [pending["x"]])
            return
        raise self.fail(node, "after a 5-d Reshape, only Transpose (0, 2, 1, 3, 4) and a "
                              "Reshape back make a channel shuffle")

    def slice(self, node: Any) -> None:
        """Slices of one tensor along channels that cut it into equal consecutive parts: one
        channel_split (made at the first, its parts handed out as the slices come)."""
        x = node.input[0]
        vals = [self.static.get(i) for i in node.input[1:]]
        if any(v is None for v in vals[:2]):
            raise self.fail(node, "Slice bounds that are not constants")
        starts, ends = [int(v) for v in vals[0]], [int(v) for v in vals[1]]
        axes = [int(v) for v in vals[2]] if len(vals) > 2 and vals[2] is not None else [0]
        steps = [int(v) for v in vals[3]] if len(vals) > 3 and vals[3] is not None else [1]
        c = self.shapes[x][1]
        if axes != [1] or steps != [1] or len(starts) != 1:
            raise self.fail(node, "Slice other than a channel range")
        start, end = starts[0], min(ends[0], c)
        width = end - start
        if width <= 0 or c % width or start % width:
            raise self.fail(node, "Slice that is not an equal part of the channels")
        split = self.slices.get(x)
        if split is None or split["parts"] != c // width:
            part = (*self.shapes[x][:1], width, *self.shapes[x][2:])
            self.shapes.update({f"{x}#part{i}": part for i in range(c // width)})
            self.emit(node, "channel_split", {"parts": c // width}, [x],
                      [f"{x}#part{i}" for i in range(c // width)])
            split = self.slices[x] = {"parts": c // width}
        self.data[node.output[0]] = self.data[f"{x}#part{start // width}"]
        self.shapes.setdefault(node.output[0], self.shapes[f"{x}#part{start // width}"])


__all__ = ["Fraction", "read"]
