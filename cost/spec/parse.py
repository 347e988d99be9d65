"""The spec format: YAML -> checked, frozen declarations (symbols, lets, presets, blocks, layers).

A spec is a YAML mapping (format version `spec: 1`):

    spec: 1
    name: shufflenet_v1
    extends: family.yaml          # optional: start from another spec, override by key
    symbols:                      # free sizes with defaults: {default, doc, kind, multiple_of}
      r: {default: 224, multiple_of: 32, doc: input resolution}
      s: {default: 1, kind: real, doc: width multiplier}
    let:                          # derived values: an expression, or a table keyed by a symbol
      stem: 24*s
      c: {table: g, values: {1: 144, 3: 240}, doc: Table 1}
    presets: {g8: {g: 8}}         # named bindings (--preset g8)
    bind: {g: 3}                  # bindings this spec fixes
    input: [n, 3, r, r]           # NCHW
    blocks:                       # parameterised sub-graphs, used like ops
      unit: {params: {g: g, cout: null}, layers: [...]}   # null = required
    network: [...]                # one layer per line: {id, op, in, repeat, ...op arguments}
    expect: [...]                 # numbers the spec must reproduce, with their source
    accuracy: {top1: 71.3, source: "my run, 90 epochs"}   # or a list, one per preset/bind;
                                  # drawn by `cost frontier` (this file's own, not inherited)

Layers are `{op: conv, out: cin/4, k: 1, groups: g}`: keyword arguments only; `in:` names earlier
layers by `id` (`prev`, the default, is the previous layer; `x` is the block's input; `split.1` is
output 1 of a multi-output layer). Inside a block, `cin`, `hin`, `win` are its input's size.
`repeat: units - 1` unrolls a layer; `when: stride == 1 and cin == cout` keeps a layer only where
the condition holds (comparisons, `and`, `or`, `not`; a number is true when non-zero).
Only the parsing and merging live here; binding is `cost.spec.bindings`, walking is
`cost.engine.walk`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from cost.errors import SpecError, did_you_mean
from cost.spec.expr import Expr, parse
from cost.spec.yamlio import YList, YMap, load_yaml

FORMAT_VERSION = 1
TOP_KEYS = ("spec", "name", "doc", "extends", "symbols", "let", "presets", "bind", "input",
            "blocks", "network", "expect", "accuracy")
SYMBOL_KEYS = ("default", "doc", "kind", "multiple_of")
LAYER_KEYS = ("id", "op", "in", "repeat", "when")
EXPECT_KEYS = ("preset", "bind", "madds", "params", "mem", "source", "note")
ACCURACY_KEYS = ("top1", "source", "preset", "bind", "label")
IMPLICIT = ("cin", "hin", "win", "prev", "x")  # names a block provides; not for symbols or ids
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # always used with fullmatch
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
# names the sweep and its filters give to results: a symbol or let of that name would be shadowed
RESULT_NAMES = ("madds", "flops", "params", "mem_read", "mem_write", "mem", "intensity",
                "valid", "reason", "pareto")
MAX_EXTENDS = 16
SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Where:
    """A place in a spec file: used for every error about the thing declared there."""

    file: str
    line: int | None

    def error(self, message: str, *, where: str | None = None,
              hint: str | None = None) -> SpecError:
        return SpecError(message, file=self.file, line=self.line, where=where, hint=hint)


@dataclass(frozen=True)
class SymbolDecl:
    name: str
    default: Any  # int | Fraction
    doc: str
    kind: str  # "int" (positive whole number) or "real" (positive number)
    multiple_of: int | None
    at: Where


@dataclass(frozen=True)
class LetDecl:
    """`value` is an Expr, or for tables `key` names a symbol and `table` maps key -> Expr/list."""

    name: str
    doc: str
    at: Where
    value: Expr | None = None
    key: str | None = None
    table: dict | None = None


@dataclass(frozen=True)
class LayerDecl:
    op: str
    id: str | None
    inputs: tuple[str, ...] | None
    repeat: Expr | None
    args: dict[str, Any]
    at: Where
    arg_lines: dict[str, int | None] = field(default_factory=dict)
    when: Expr | None = None  # a condition (comparisons allowed): the layer exists only if true


@dataclass(frozen=True)
class BlockDecl:
    name: str
    params: dict[str, Expr | None]  # None: required
    layers: tuple[LayerDecl, ...]
    doc: str
    at: Where


@dataclass(frozen=True)
class Expected:
    """A number the spec must reproduce: exact, or within a tolerance of a reported figure."""

    value: Fraction | int
    within: Fraction | int = 0  # absolute tolerance
    relative: bool = False  # within is a fraction of value (from "1%")

    def holds(self, actual: int) -> bool:
        tolerance = self.within * abs(self.value) if self.relative else self.within
        return abs(actual - self.value) <= tolerance

    def __str__(self) -> str:
        if not self.within:
            return f"{self.value:,}"
        tol = f"{float(self.within) * 100:g}%" if self.relative else f"{self.within:,}"
        return f"{float(self.value):,.0f} ± {tol}"


@dataclass(frozen=True)
class Expectation:
    preset: str | None
    bind: dict[str, Any]
    metrics: dict[str, Expected]
    source: str
    note: str
    at: Where


@dataclass(frozen=True)
class Accuracy:
    """A measured top-1 accuracy of one variant of the spec (for `cost frontier`), with where
    it comes from."""

    top1: float  # ImageNet top-1, in %
    source: str  # a paper and table, a training run, ...
    preset: str | None = None
    bind: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the point's label on the plot (default: preset or bindings)
    at: Where | None = None


@dataclass(frozen=True)
class Spec:
    """A parsed spec, with `extends` already merged. Bindings chosen by the user ride along."""

    path: str
    name: str
    doc: str
    symbols: dict[str, SymbolDecl]
    lets: dict[str, LetDecl]
    presets: dict[str, dict[str, Any]]
    bind: dict[str, Any]
    input: tuple[Expr, ...]
    input_at: Where
    blocks: dict[str, BlockDecl]
    network: tuple[LayerDecl, ...]
    expect: tuple[Expectation, ...]
    # chosen at load time (cost.load / the CLI), applied by cost.spec.bindings:
    preset: str | None = None
    bindings: dict[str, Any] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    symbolic: bool = False
    accuracy: tuple[Accuracy, ...] = ()  # this file's own `accuracy:` entries (not inherited)

    def with_bindings(self, *, preset: str | None = None, keep: tuple[str, ...] = (),
                      symbolic: bool = False, **bindings: Any) -> Spec:
        """A copy with more bindings (later ones win), a preset and the symbols to keep free."""
        return replace(self, preset=preset if preset is not None else self.preset,
                       bindings={**self.bindings, **bindings},
                       keep=tuple(dict.fromkeys((*self.keep, *keep))),
                       symbolic=symbolic or self.symbolic)


# --- parsing ------------------------------------------------------------------------------------


def _mapping(value: Any, what: str, at: Where) -> YMap:
    if not isinstance(value, dict):
        raise at.error(f"{what} must be a mapping, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {dict: "a mapping", YMap: "a mapping", list: "a list", YList: "a list",
            str: f"the text {value!r}"}.get(type(value), repr(value))


def _line(container: Any, key: Any) -> int | None:
    return container.line_of(key) if isinstance(container, (YMap, YList)) else None


def _check_keys(mapping: dict, allowed: tuple[str, ...], what: str, at: Where) -> None:
    for key in mapping:
        if key not in allowed:
            raise Where(at.file, _line(mapping, key) or at.line).error(
                f"unknown key {key!r} in {what}", hint=did_you_mean(str(key), allowed))


def _name(value: Any, what: str, at: Where) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise at.error(f"{what} {value!r} is not a valid name",
                       hint="names are letters, digits and _, starting with a letter")
    return value


def _expr(value: Any, what: str, at: Where) -> Expr:
    """A scalar as an expression: numbers are kept exactly, strings are parsed (allow-list)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise at.error(f"{what} must be a number or an expression, got {_kind(value)}")
    text = value if isinstance(value, str) else repr(value)
    try:
        return parse(text)
    except SpecError as e:
        raise e.locate(file=at.file, line=at.line, where=what) from None


def _number(value: Any, what: str, at: Where) -> int | Fraction:
    """A literal number, or a constant expression such as 3/2."""
    expr = _expr(value, what, at)
    if expr.names:
        raise at.error(f"{what} must be a number, got {value!r}")
    try:
        return expr.evaluate({})
    except SpecError as e:
        raise e.locate(file=at.file, line=at.line, where=what) from None


def _declarations(raw: Any, what: str, at: Where):  # yields (name, decl, here)
    """The entries of a `symbols:` or `let:` mapping, each with a checked name and its line."""
    raw = _mapping(raw, what, at)
    for name, decl in raw.items():
        here = Where(at.file, _line(raw, name))
        _name(name, what, here)
        if name in IMPLICIT:
            raise here.error(f"{name!r} is reserved for block inputs; choose another name")
        if name in RESULT_NAMES:
            raise here.error(f"{what}: {name!r} is the name of a result (the sweep's columns and "
                             "--where use it); choose another name",
                             hint="reserved: " + ", ".join(RESULT_NAMES))
        yield name, decl, here


def _symbols(raw: Any, at: Where) -> dict[str, SymbolDecl]:
    out = {}
    for name, decl, here in _declarations(raw, "symbols", at):
        if not isinstance(decl, dict):
            decl = YMap({"default": decl})
        _check_keys(decl, SYMBOL_KEYS, f"symbol {name!r}", here)
        if "default" not in decl:
            raise here.error(f"symbol {name!r} needs a default")
        kind = decl.get("kind", "int")
        if kind not in ("int", "real"):
            raise here.error(f"symbol {name!r}: kind {kind!r} is not allowed; allowed: int, real")
        default = _number(decl["default"], f"symbol {name!r} default", here)
        if default <= 0 or (kind == "int" and not isinstance(default, int)):
            allowed = "a positive whole number" if kind == "int" else "a positive number"
            raise here.error(f"symbol {name!r} default {default} is not {allowed}")
        multiple = decl.get("multiple_of")
        if multiple is not None and (isinstance(multiple, bool) or not isinstance(multiple, int)
                                     or multiple < 1 or kind != "int"):
            raise here.error(f"symbol {name!r}: multiple_of must be a positive whole number "
                             "on an int symbol")
        if multiple and default % multiple:
            raise here.error(f"symbol {name!r} default {default} is not a multiple of {multiple}")
        out[name] = SymbolDecl(name, default, str(decl.get("doc", "")), kind, multiple, here)
    return out


def _lets(raw: Any, at: Where) -> dict[str, LetDecl]:
    out = {}
    for name, decl, here in _declarations(raw, "let", at):
        if not isinstance(decl, dict):
            out[name] = LetDecl(name, "", here, value=_expr(decl, f"let {name!r}", here))
            continue
        if "table" in decl:
            _check_keys(decl, ("table", "values", "doc"), f"let {name!r}", here)
            key = _name(decl["table"], f"let {name!r}: table key", here)
            values = _mapping(decl.get("values"), f"let {name!r}: values", here)
            table = {}
            for k, v in values.items():
                row = Where(at.file, _line(values, k))
                k = _number(k, f"let {name!r}: table key", row)
                if isinstance(v, list):
                    table[k] = [_expr(item, f"let {name!r}[{k}]", row) for item in v]
                else:
                    table[k] = _expr(v, f"let {name!r}[{k}]", row)
            if not table:
                raise here.error(f"let {name!r}: the table has no values")
            out[name] = LetDecl(name, str(decl.get("doc", "")), here, key=key, table=table)
        else:
            _check_keys(decl, ("value", "doc"), f"let {name!r}", here)
            if "value" not in decl:
                raise here.error(f"let {name!r} needs a value or a table")
            out[name] = LetDecl(name, str(decl.get("doc", "")), here,
                                value=_expr(decl["value"], f"let {name!r}", here))
    return out


def _bindings(raw: Any, what: str, at: Where) -> dict[str, Any]:
    raw = _mapping(raw, what, at)
    out = {}
    for name, value in raw.items():
        here = Where(at.file, _line(raw, name))
        _name(name, f"{what}: name", here)
        out[name] = _number(value, f"{what}: {name}", here)
    return out


def _layer(raw: Any, what: str, at: Where) -> LayerDecl:
    if not isinstance(raw, dict):
        raise at.error(f"{what} must be a mapping like {{op: conv, out: 64}}, got {_kind(raw)}")
    if "op" not in raw:
        raise at.error(f"{what} has no 'op'", hint="every layer names its op: {op: conv, ...}")
    op = _name(raw["op"], f"{what}: op", at)
    layer_id = raw.get("id")
    if layer_id is not None:
        _name(layer_id, f"{what}: id", at)
        if layer_id in IMPLICIT:
            raise at.error(f"{what}: id {layer_id!r} is reserved")
    inputs = raw.get("in")
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(inputs, list) or not inputs or not all(
                isinstance(i, str) for i in inputs):
            raise at.error(f"{what}: in must be a layer name or a list of names, got {inputs!r}",
                           hint="name layers with id: and refer to them by name (never by index)")
        inputs = tuple(inputs)
    repeat = raw.get("repeat")
    repeat = None if repeat is None else _expr(repeat, f"{what}: repeat", at)
    when = raw.get("when")
    if when is not None:
        if isinstance(when, bool):
            when = "1" if when else "0"
        try:
            when = parse(str(when), comparisons=True)
        except SpecError as e:
            raise e.locate(file=at.file, line=at.line, where=f"{what}: when") from None
    args = {k: v for k, v in raw.items() if k not in LAYER_KEYS}
    for k in args:
        if not isinstance(k, str):
            raise at.error(f"{what}: argument names must be text, got {k!r}")
    lines = {k: _line(raw, k) for k in args}
    return LayerDecl(op, layer_id, inputs, repeat, args, at, lines, when)


def _layers(raw: Any, what: str, at: Where) -> tuple[LayerDecl, ...]:
    if not isinstance(raw, list) or not raw:
        raise at.error(f"{what} must be a non-empty list of layers, got {_kind(raw)}")
    layers = tuple(_layer(item, f"{what}[{i}]", Where(at.file, _line(raw, i)))
                   for i, item in enumerate(raw))
    first: dict[str, LayerDecl] = {}
    for i, layer in enumerate(layers):
        if layer.id is None:
            continue
        if layer.id in first:
            raise layer.at.error(f"{what}[{i}]: id {layer.id!r} is already the id of the layer "
                                 f"on line {first[layer.id].at.line}",
                                 hint="ids name one layer each; `in:` could not tell them apart")
        first[layer.id] = layer
    return layers


def _blocks(raw: Any, at: Where) -> dict[str, BlockDecl]:
    raw = _mapping(raw, "blocks", at)
    out = {}
    for name, decl in raw.items():
        here = Where(at.file, _line(raw, name))
        _name(name, "block", here)
        decl = _mapping(decl, f"block {name!r}", here)
        _check_keys(decl, ("params", "layers", "doc"), f"block {name!r}", here)
        params = {}
        raw_params = decl.get("params") or YMap()
        raw_params = _mapping(raw_params, f"block {name!r}: params", here)
        for p, default in raw_params.items():
            p_here = Where(at.file, _line(raw_params, p))
            _name(p, f"block {name!r}: parameter", p_here)
            if p in IMPLICIT:
                raise p_here.error(f"block {name!r}: parameter {p!r} is reserved")
            params[p] = None if default is None else _expr(default, f"block {name!r}: {p}", p_here)
        layers = _layers(decl.get("layers"), f"block {name!r}: layers",
                         Where(at.file, _line(decl, "layers") or here.line))
        out[name] = BlockDecl(name, params, layers, str(decl.get("doc", "")), here)
    return out


def _metric(value: Any, what: str, at: Where) -> Expected:
    """`137_460_672` (exact) or `{value: 143e6, within: 1%}` / `{value: 138e6, within: 5e5}`."""
    if not isinstance(value, dict):
        return Expected(_number(value, what, at))
    _check_keys(value, ("value", "within"), what, at)
    if "value" not in value:
        raise at.error(f"{what} needs a value")
    within = value.get("within", 0)
    relative = isinstance(within, str) and within.strip().endswith("%")
    if relative:
        within = _number(within.strip()[:-1], f"{what}: within", at) / Fraction(100)
    else:
        within = _number(within, f"{what}: within", at)
    return Expected(_number(value["value"], what, at), within, relative)


def _expect(raw: Any, at: Where) -> tuple[Expectation, ...]:
    if not isinstance(raw, list):
        raise at.error(f"expect must be a list, got {_kind(raw)}")
    out = []
    for i, item in enumerate(raw):
        here = Where(at.file, _line(raw, i))
        item = _mapping(item, f"expect[{i}]", here)
        _check_keys(item, EXPECT_KEYS, f"expect[{i}]", here)
        metrics = {m: _metric(item[m], f"expect[{i}]: {m}", here)
                   for m in ("madds", "params", "mem") if m in item}
        if not metrics:
            raise here.error(f"expect[{i}] checks nothing", hint="give madds, params or mem")
        preset = item.get("preset")
        bind = _bindings(item.get("bind") or YMap(), f"expect[{i}]: bind", here)
        out.append(Expectation(None if preset is None else str(preset), bind, metrics,
                               str(item.get("source", "")), str(item.get("note", "")), here))
    return tuple(out)


def _accuracy(raw: Any, at: Where) -> tuple[Accuracy, ...]:
    """`accuracy: {top1: 71.3, source: ...}` or a list of them, one per variant (`preset`,
    `bind`)."""
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        what = "accuracy" if not isinstance(raw, list) else f"accuracy[{i}]"
        here = Where(at.file, _line(raw, i)) if isinstance(raw, list) else at
        item = _mapping(item, what, here)
        _check_keys(item, ACCURACY_KEYS, what, here)
        for key in ("top1", "source"):
            if key not in item:
                raise here.error(f"{what} needs {key}",
                                 hint="e.g. accuracy: {top1: 71.3, source: \"my run, 90 epochs\"}")
        top1 = item["top1"]
        if isinstance(top1, bool) or not isinstance(top1, (int, float)) or not 0 < top1 <= 100:
            raise here.error(f"{what}: top1 = {top1!r}; allowed: a percentage in (0, 100]")
        source = item["source"]
        if not isinstance(source, str) or not source.strip():
            raise here.error(f"{what}: source must say where the accuracy comes from")
        preset = item.get("preset")
        bind = _bindings(item.get("bind") or YMap(), f"{what}: bind", here)
        out.append(Accuracy(float(top1), source.strip(), None if preset is None else str(preset),
                            bind, str(item.get("label", "")), here))
    return tuple(out)


def _extends_path(path: Path, name: Any, at: Where) -> Path:
    """The file `extends:` names, if it can be a spec: a .yaml file name, an existing file."""
    if not isinstance(name, str) or not name.strip():
        raise at.error("extends must be a file name")
    if len(name) > 1024 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise at.error("extends must be a file name (at most 1,024 characters, no control "
                       "characters)")
    if not name.lower().endswith(SPEC_SUFFIXES):
        raise at.error(f"extends {name!r}: not a spec file name",
                       hint="extends names another spec: a file ending in .yaml or .yml")
    try:
        resolved = (path.parent / name).resolve()
        is_file = resolved.is_file()
        exists = resolved.exists()
    except (OSError, ValueError, RuntimeError) as e:
        reason = getattr(e, "strerror", None) or "not a usable path"
        raise at.error(f"extends {name!r}: {reason}") from None
    if not exists:
        raise at.error(f"extends {name!r}: file not found")
    if not is_file:
        raise at.error(f"extends {name!r}: not a file")
    return resolved


def _parse_file(path: Path, chain: tuple[str, ...]) -> dict[str, Any]:
    """Parsed sections of one spec file, with what it `extends` merged under it (child wins)."""
    where = str(path)
    if len(chain) > MAX_EXTENDS:
        raise SpecError(f"extends chain longer than {MAX_EXTENDS}", file=where)
    raw = load_yaml(path)
    if not isinstance(raw, dict):  # the content is not echoed: it may be any file
        kind = "a list" if isinstance(raw, list) else "a single value"
        raise SpecError(f"not a spec: the top level must be a mapping, got {kind}", file=where,
                        hint="a spec is a YAML mapping with spec:, input: and network:")
    if len(chain) > 1 and not any(isinstance(k, str) and k in TOP_KEYS for k in raw):
        raise SpecError("not a spec: none of its keys is a spec's", file=where,
                        hint="allowed keys: " + ", ".join(TOP_KEYS))
    _check_keys(raw, TOP_KEYS, "the spec", Where(where, 1))
    at = {key: Where(where, raw.line_of(key)) for key in raw}
    version = raw.get("spec", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise at["spec"].error(
            f"spec format version {version!r} is not supported; allowed: {FORMAT_VERSION}")
    parts: dict[str, Any] = {}
    if "symbols" in raw:
        parts["symbols"] = _symbols(raw["symbols"], at["symbols"])
    if "let" in raw:
        parts["let"] = _lets(raw["let"], at["let"])
        for name, decl in parts["let"].items():
            if name in parts.get("symbols", {}):
                s_at = parts["symbols"][name].at
                raise decl.at.error(f"{name!r} is both a symbol (line {s_at.line}) and a let; "
                                    "the let would hide the symbol's value",
                                    hint="rename one of them, or bind the symbol (bind:, --set)")
    if "presets" in raw:
        presets = _mapping(raw["presets"], "presets", at["presets"])
        parts["presets"] = {}
        for name, binding in presets.items():
            here = Where(where, _line(presets, name))
            if not isinstance(name, str) or not PRESET_NAME.fullmatch(name):
                raise here.error(f"preset name {name!r} is not valid")
            parts["presets"][name] = _bindings(binding, f"preset {name!r}", here)
    if "bind" in raw:
        parts["bind"] = _bindings(raw["bind"], "bind", at["bind"])
    if "blocks" in raw:
        parts["blocks"] = _blocks(raw["blocks"], at["blocks"])
    if "input" in raw:
        shape = raw["input"]
        if not isinstance(shape, list) or not 2 <= len(shape) <= 4:
            raise at["input"].error(
                f"input must be a list of 2 to 4 sizes (NCHW), got {shape!r}")
        parts["input"] = (tuple(_expr(d, f"input[{i}]", at["input"]) for i, d in enumerate(shape)),
                          at["input"])
    if "network" in raw:
        parts["network"] = _layers(raw["network"], "network", at["network"])
    if "expect" in raw:
        parts["expect"] = _expect(raw["expect"], at["expect"])
    if "accuracy" in raw:
        parts["accuracy"] = _accuracy(raw["accuracy"], at["accuracy"])
    parts["name"] = str(raw.get("name", path.stem))
    parts["doc"] = str(raw.get("doc", ""))

    parent_name = raw.get("extends")
    if parent_name is None:
        return parts
    parent_path = _extends_path(path, parent_name, at["extends"])
    if str(parent_path) in chain:
        raise at["extends"].error("extends makes a cycle: "
                                  + " -> ".join([*chain, str(parent_path)]))
    try:
        parent = _parse_file(parent_path, (*chain, str(parent_path)))
    except SpecError as e:
        if e.message in ("file not found", "not a file") and e.file == str(parent_path):
            raise at["extends"].error(f"extends {parent_name!r}: {e.message}") from None
        raise
    merged = {k: v for k, v in parent.items() if k not in ("expect", "accuracy", "name", "doc")}
    for key, value in parts.items():
        if key in ("symbols", "let", "presets", "bind", "blocks") and key in parent:
            merged[key] = {**parent[key], **value}
        else:
            merged[key] = value
    # a name the child declares replaces the parent's, even as the other kind (symbol <-> let)
    for key, other in (("symbols", "let"), ("let", "symbols")):
        if key in parts and other in merged:
            merged[other] = {k: v for k, v in merged[other].items() if k not in parts[key]}
    return merged


def read_spec(path: str | Path) -> Spec:
    """Parse and check a spec file (and what it extends). Raises SpecError with file and line."""
    import os

    from cost import ops  # the registry: a block may not shadow an op
    from cost.spec.bundled import resolve

    if not isinstance(path, (str, os.PathLike)):
        raise SpecError(f"a spec is named by a file path, got {type(path).__name__}")
    try:
        path = resolve(path)
        parts = _parse_file(path, (str(path.resolve()),))
    except (OSError, ValueError) as e:  # a NUL byte, a name too long, a loop of links
        reason = getattr(e, "strerror", None) or "not a usable file path"
        raise SpecError(f"cannot read the spec: {reason}", file=repr(str(path))[1:-1]) from None
    top = Where(str(path), 1)
    if "input" not in parts:
        raise top.error("the spec has no input shape", hint="add input: [n, 3, r, r]")
    if "network" not in parts:
        raise top.error("the spec has no network", hint="add network: [{op: conv, ...}, ...]")
    blocks = parts.get("blocks", {})
    for name, block in blocks.items():
        if ops.is_registered(name):
            raise block.at.error(f"block {name!r} has the name of a built-in op",
                                 hint="rename the block")
    shape, input_at = parts["input"]
    return Spec(str(path), parts["name"], parts["doc"], parts.get("symbols", {}),
                parts.get("let", {}), parts.get("presets", {}), parts.get("bind", {}), shape,
                input_at, blocks, parts["network"], parts.get("expect", ()),
                accuracy=parts.get("accuracy", ()))
