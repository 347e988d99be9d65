"""The walk: expand blocks and repeats, resolve `in:` names, apply each op's shape rule and costs.

The engine knows no op by name. It looks every `op:` up in the spec's blocks, then in the
registry (`cost.ops`), evaluates the layer's arguments by the kinds the op declares, and asks the
op for its output shapes and its `Cost`. Sizes are exact numbers when everything is bound and
sympy expressions in the free symbols otherwise; both go through the same code.

Paths name layers the way a reader would: `stage3/unit2/pw1`. A layer's name is its `id`, or its
op's name (numbered when the op occurs more than once in the same block: `bn1`, `bn2`); a repeated
layer is numbered from 1 (`unit1`, `unit2`, ...).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from cost import ops
from cost.errors import ShapeError, SpecError, did_you_mean
from cost.measures import Cost
from cost.ops.base import Op
from cost.spec.bindings import Environment
from cost.spec.expr import evaluate, truth
from cost.spec.parse import BlockDecl, LayerDecl, Spec
from cost.symbolic import Checker, Constraint, Shape, decide, is_concrete, render, render_shape

MAX_LAYERS = 100_000  # a walk that would create more layers fails fast
MAX_STEPS = 2 * MAX_LAYERS  # layers, block calls and layers skipped by `when`: work, not output
MAX_NESTING = 64  # block calls inside block calls
Value = tuple  # (shape, (producing layer index, output index)): a tensor flowing in the walk


@dataclass(frozen=True)
class Layer:
    """One op application in the expanded graph, with its shapes and cost."""

    path: str
    op: str
    node: Op
    in_shapes: tuple[Shape, ...]
    out_shapes: tuple[Shape, ...]
    cost: Cost
    blocks: tuple[tuple[str, str], ...]  # enclosing block calls (path, block name), outermost first
    file: str
    line: int | None
    sources: tuple[tuple[int, int], ...] = ()  # per input: (producing layer index, output index);
    #                                            layer index -1 is the network input

    @property
    def out_shape(self) -> Shape:
        """The output shape (the first one for multi-output ops such as channel_split)."""
        return self.out_shapes[0]


@cache
def _fields(cls: type[Op]) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _auto_names(layers: Sequence[LayerDecl]) -> list[str]:
    """id, or op name, numbered where an op occurs more than once without an id."""
    counts = Counter(d.op for d in layers if d.id is None)
    seen: Counter = Counter()
    taken = {d.id for d in layers if d.id is not None}
    names = []
    for d in layers:
        if d.id is not None:
            names.append(d.id)
            continue
        seen[d.op] += 1
        name = d.op if counts[d.op] == 1 else f"{d.op}{seen[d.op]}"
        while name in taken:
            name += "_"
        taken.add(name)
        names.append(name)
    return names


def _implicit(x: Shape) -> dict[str, Any]:
    """The names a block (or the network) sees for its input: cin, hin, win."""
    names = {"cin": x[1]} if len(x) >= 2 else {}
    if len(x) == 4:
        names |= {"hin": x[2], "win": x[3]}
    return names


class _Walk:
    def __init__(self, spec: Spec, env: Environment) -> None:
        self.spec = spec
        self.env = env
        self.layers: list[Layer] = []
        self.constraints: list[Constraint] = []
        self.stack: list[str] = []
        self.steps = 0
        self.whole_dims: set = set()  # symbolic sizes already checked to be whole and >= 1

    # --- the network ---------------------------------------------------------------------------
    def run(self) -> None:
        check = Checker(self.constraints)
        at = self.spec.input_at
        check.file, check.line, check.where = at.file, at.line, "input"
        try:
            x = tuple(check.whole(d.evaluate(self.env.names), f"input[{i}]")
                      for i, d in enumerate(self.spec.input))
        except SpecError as e:
            raise e.locate(file=check.file, line=check.line, where="input") from None
        self.sequence(self.spec.network, self.env.names, (x, (-1, 0)), "", ())

    def sequence(self, decls: Sequence[LayerDecl], names: dict[str, Any], x: Value,
                 prefix: str, blocks: tuple[tuple[str, str], ...]) -> tuple[Value, ...]:
        """Walk a list of layers fed by `x`; return the last layer's outputs."""
        scope_names = {**names, **_implicit(x[0])}
        outputs: dict[str, tuple[Value, ...]] = {"x": (x,)}
        prev: tuple[Value, ...] = (x,)
        for decl, base in zip(decls, _auto_names(decls), strict=True):
            where = f"{prefix}{base} ({decl.op})"
            try:
                reps = self.count(decl, scope_names)
                if not reps:
                    self.step()
                for i in range(reps):
                    self.step()
                    name = base if decl.repeat is None else f"{base}{i + 1}"
                    path = prefix + name
                    where = f"{path} ({decl.op})"
                    ins = self.inputs(decl, outputs, prev)
                    if decl.op in self.spec.blocks:
                        out = self.call(self.spec.blocks[decl.op], decl, scope_names, ins, path,
                                        blocks)
                    else:
                        out = self.apply(decl, scope_names, ins, path, blocks)
                    outputs[name] = prev = out
                if decl.id is not None:
                    outputs[decl.id] = prev
            except SpecError as e:
                raise e.locate(file=decl.at.file, line=decl.at.line, where=where) from None
        return prev

    def step(self) -> None:
        """Count work: every layer and block call, and every layer `when` leaves out."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise SpecError(f"the network takes more than {MAX_STEPS:,} steps to expand "
                            "(layers, block calls and layers left out by when)",
                            hint=f"at most {MAX_LAYERS:,} layers; lower the repeat counts")

    # --- one layer -----------------------------------------------------------------------------
    def count(self, decl: LayerDecl, names: dict[str, Any]) -> int:
        """How many times the layer occurs: 0 if its `when` is false, else its `repeat`."""
        if decl.when is not None:
            holds = decide(truth(decl.when.evaluate(names)))
            if holds is None:
                raise SpecError(f"when = {decl.when} depends on free symbols",
                                hint="bind the symbols it uses (--set)")
            if not holds:
                return 0
        if decl.repeat is None:
            return 1
        n = decl.repeat.evaluate(names)
        if not is_concrete(n):
            raise SpecError(f"repeat = {decl.repeat} = {n} must be a number once bound",
                            hint="bind the symbols it uses (--set)")
        if not isinstance(n, int) or n < 0:
            raise SpecError(f"repeat = {decl.repeat} = {render(n)}; allowed: a whole number >= 0")
        if n + len(self.layers) > MAX_LAYERS:
            raise SpecError(f"repeat = {n:,} would make more than {MAX_LAYERS:,} layers")
        return n

    def inputs(self, decl: LayerDecl, outputs: dict[str, tuple[Value, ...]],
               prev: tuple[Value, ...]) -> tuple[Value, ...]:
        values = []
        for ref in decl.inputs or ("prev",):
            name, _, index = ref.partition(".")
            found = prev if name == "prev" else outputs.get(name)
            if found is None:
                available = ["prev", *outputs]
                raise SpecError(f"in: {ref!r} names no earlier layer of this block",
                                hint=did_you_mean(name, available))
            if index:
                if not (index.isascii() and index.isdigit()) or int(index) >= len(found):
                    raise SpecError(f"in: {ref!r}: {name} has {len(found)} output(s); "
                                    f"allowed: {name}.0 to {name}.{len(found) - 1}")
                values.append(found[int(index)])
            elif len(found) > 1:
                raise SpecError(f"in: {ref!r} has {len(found)} outputs; name one",
                                hint=", ".join(f"{name}.{i}" for i in range(len(found))))
            else:
                values.append(found[0])
        return tuple(values)

    def argument(self, op: str, key: str, f: dataclasses.Field, raw: Any,
                 names: dict[str, Any], check: Checker) -> Any:
        kind = f.metadata.get("kind")
        if kind == "flag":
            if not isinstance(raw, bool):
                raise SpecError(f"{key} = {raw!r}; allowed: true or false")
            return raw
        keywords = f.metadata.get("keywords", ())
        if isinstance(raw, str) and raw in keywords:
            return raw
        if kind == "choice":
            raise SpecError(f"{key} = {raw!r}; allowed: {', '.join(keywords)}")
        if f.metadata.get("pair") and isinstance(raw, list):  # [h, w]: one value per axis
            if len(raw) != 2:
                raise SpecError(f"{key} = {raw!r}; allowed: a value or a pair [h, w]")
            h, w = (self.scalar(f"{key}[{i}]", f, v, names, check) for i, v in enumerate(raw))
            return h if h == w else (h, w)
        return self.scalar(key, f, raw, names, check)

    @staticmethod
    def scalar(key: str, f: dataclasses.Field, raw: Any, names: dict[str, Any],
               check: Checker) -> Any:
        """One number or expression, checked as the field's kind says."""
        try:
            value = evaluate(raw, names)
        except SpecError as e:
            keywords = f.metadata.get("keywords", ())
            if keywords and isinstance(raw, str) and raw.isidentifier():
                e.hint = f"allowed: a number, an expression, or {', '.join(keywords)}"
            raise e.locate(where=f"{check.where}, argument {key}") from None
        if isinstance(value, list):
            raise SpecError(f"{key} = {raw!r} is a table row; index it, e.g. {raw}[0]")
        if f.metadata.get("kind") == "number":
            low, high = f.metadata["low"], f.metadata["high"]
            if not is_concrete(value) or (low is not None and value < low) or (
                    high is not None and value >= high):
                raise SpecError(f"{key} = {render(value)}; allowed: a number in [{low}, {high})")
            return value
        return check.whole(value, key, minimum=f.metadata.get("minimum", 1))

    def apply(self, decl: LayerDecl, names: dict[str, Any], values: tuple[Value, ...],
              path: str, blocks: tuple[tuple[str, str], ...]) -> tuple[Value, ...]:
        ins = tuple(shape for shape, _ in values)
        cls = ops.get(decl.op, also_known=tuple(self.spec.blocks))
        fields = _fields(cls)
        check = Checker(self.constraints)
        check.file, check.line, check.where = decl.at.file, decl.at.line, f"{path} ({decl.op})"
        kwargs = {}
        for key, raw in decl.args.items():
            if key not in fields:
                raise SpecError(f"{decl.op} has no argument {key!r}",
                                hint=did_you_mean(key, [*fields, "id", "in", "repeat"]))
            kwargs[key] = self.argument(decl.op, key, fields[key], raw, names, check)
        missing = [k for k, f in fields.items()
                   if k not in kwargs and f.default is dataclasses.MISSING]
        if missing:
            raise SpecError(f"{decl.op} needs {', '.join(missing)}",
                            hint=f"{{op: {decl.op}, {missing[0]}: ...}}")
        self.check_arity(cls, ins)
        node = cls(**kwargs)
        outs = node.outputs(ins, check)
        for y in outs:
            for i, d in enumerate(y):
                if (type(d) is int and 1 <= d) or (not is_concrete(d) and d in self.whole_dims):
                    continue  # the common cases, without building the label
                check.whole(d, f"output dimension {i} of {render_shape(y)}")
                if not is_concrete(d):  # checked (or its constraint recorded) once is enough
                    self.whole_dims.add(d)
        index = len(self.layers)
        self.layers.append(Layer(path, decl.op, node, ins, outs, node.cost(ins, outs), blocks,
                                 decl.at.file, decl.at.line,
                                 tuple(source for _, source in values)))
        if len(self.layers) > MAX_LAYERS:
            raise SpecError(f"the network has more than {MAX_LAYERS:,} layers")
        return tuple((y, (index, i)) for i, y in enumerate(outs))

    @staticmethod
    def check_arity(cls: type[Op], ins: tuple[Shape, ...]) -> None:
        if cls.arity is None and len(ins) < 2:
            raise ShapeError(f"{cls.name} takes two or more inputs, got {len(ins)}",
                             hint=f"{{op: {cls.name}, in: [prev, x]}}")
        if cls.arity is not None and len(ins) != cls.arity:
            raise ShapeError(f"{cls.name} takes {cls.arity} input(s), got {len(ins)}")

    # --- blocks --------------------------------------------------------------------------------
    def call(self, block: BlockDecl, decl: LayerDecl, names: dict[str, Any],
             ins: tuple[Value, ...], path: str,
             blocks: tuple[tuple[str, str], ...]) -> tuple[Value, ...]:
        if block.name in self.stack:
            chain = " -> ".join([*self.stack, block.name])
            raise SpecError(f"block {block.name!r} uses itself: {chain}")
        if len(self.stack) >= MAX_NESTING:
            raise SpecError(f"blocks nest deeper than {MAX_NESTING} levels: "
                            f"{' -> '.join(self.stack[:3])} -> ... -> {block.name}")
        if len(ins) != 1:
            raise ShapeError(f"block {block.name!r} takes one input, got {len(ins)}")
        for key in decl.args:
            if key not in block.params:
                raise SpecError(f"block {block.name!r} has no parameter {key!r}",
                                hint=did_you_mean(key, block.params) if block.params
                                else f"block {block.name!r} takes no parameters")
        (x,) = ins
        inner = {**self.env.names, **_implicit(x[0])}
        for key, default in block.params.items():
            if key in decl.args:
                try:
                    inner[key] = evaluate(decl.args[key], names)
                except SpecError as e:
                    raise e.locate(where=f"{path} ({block.name}) parameter {key}") from None
            elif default is None:
                raise SpecError(f"block {block.name!r} needs parameter {key!r}",
                                hint=f"{{op: {block.name}, {key}: ...}}")
            else:
                try:
                    inner[key] = default.evaluate(inner)
                except SpecError as e:
                    raise e.locate(file=block.at.file, line=block.at.line,
                                   where=f"block {block.name} parameter {key}") from None
        self.stack.append(block.name)
        try:
            return self.sequence(block.layers, inner, x, path + "/",
                                 (*blocks, (path, block.name)))
        finally:
            self.stack.pop()


def walk(spec: Spec, env: Environment) -> tuple[list[Layer], list[Constraint]]:
    """Expand and evaluate the spec's network under `env`: the layers and pending constraints."""
    w = _Walk(spec, env)
    w.run()
    return w.layers, w.constraints
