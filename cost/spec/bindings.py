"""Binding a spec: which names have numbers, which stay symbols, and what the lets evaluate to.

Precedence, lowest first: symbol defaults < the spec's `bind:` < the chosen preset < the user's
bindings (`--set`). Names in `keep` stay free sympy symbols whatever binds them; with `symbolic`,
every symbol that only has its default stays free.

A symbol with `multiple_of: m` that stays free is walked as m·q with q a positive integer
(shown as `r/32`), so sizes like floor((r + 2 − 3)/2) + 1 simplify to r/2 and no floor reaches a
total. A let that depends on a free symbol stays a named symbol in the formulas (`c`, `stem`), its
definition kept in `definitions` (a table keyed by a free symbol becomes a Piecewise).

>>> from cost.spec.parse import read_spec  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cost.errors import BindingError, CostError, SpecError, did_you_mean
from cost.spec.expr import Expr
from cost.spec.parse import LetDecl, Spec, SymbolDecl
from cost.symbolic import is_concrete, normalize, render, sp, to_sympy


@dataclass
class Environment:
    """What a walk needs: the value of every name, and how to bind what is left free."""

    names: dict[str, Any]  # name -> number, sympy expression, or list (table rows)
    bound: dict[str, Any]  # concrete values of declared symbols and overridden lets
    free: dict[str, Any] = field(default_factory=dict)  # kept name -> walk symbol
    multiples: dict[str, int] = field(default_factory=dict)  # kept name -> its multiple_of
    display: dict[Any, Any] = field(default_factory=dict)  # walk symbol -> display expression
    definitions: dict[Any, Any] = field(default_factory=dict)  # let symbol -> definition
    preset: str | None = None

    def substitution(self, values: dict[str, Any]) -> dict[Any, Any]:
        """sympy substitution that binds free names to numbers (checking multiple_of)."""
        unknown = [k for k in values if k not in self.free]
        if unknown:
            raise BindingError(f"{unknown[0]!r} is not a free symbol of this profile",
                               hint=did_you_mean(unknown[0], self.free))
        mapping = {}
        for name, value in values.items():
            value = exact(value)
            if self.free[name].is_integer and not isinstance(value, int):  # declared kind: int
                raise BindingError(f"{name} = {render(value)} must be a whole number",
                                   hint=f"{name} is declared kind: int")
            m = self.multiples.get(name)
            if m:
                if not isinstance(value, int) or value % m:
                    raise BindingError(f"{name} = {render(value)} is not a multiple of {m}")
                value = value // m
            mapping[self.free[name]] = to_sympy(value)
        return mapping


MAX_VALUE = 10**15  # a bound symbol: far above any size, far below what floats cannot show


def _number_value(name: str, value: Any, source: str) -> Any:
    try:
        value = normalize(value)
    except (TypeError, ValueError):
        raise BindingError(f"{name} = {value!r} is not a number ({source})") from None
    if not is_concrete(value):
        raise BindingError(f"{name} must be bound to a number ({source})")
    if abs(value) > MAX_VALUE:
        raise BindingError(f"{name} is bound to a number above 10**15 ({source})",
                           hint="allowed: numbers up to 10**15")
    return value


def check_binding(spec: Spec, name: str, value: Any, source: str, *,
                  free_let: bool = False) -> Any:
    """The one check of a value bound to a name, for `load` (--set, presets) and `Profile.subs`.

    A symbol gets its declaration's rules (positive, whole for kind int, multiple_of); a let
    gets a number, and a positive whole number when it was kept free (its symbol is one).
    """
    if name in spec.symbols:
        return _check_symbol_value(spec.symbols[name], value, source)
    value = _number_value(name, value, source)
    if free_let and (not isinstance(value, int) or value <= 0):
        raise BindingError(f"{name} = {render(value)} must be a positive whole number ({source})")
    return value


def _check_symbol_value(decl: SymbolDecl, value: Any, source: str) -> Any:
    value = _number_value(decl.name, value, source)
    if value <= 0:
        raise BindingError(f"{decl.name} = {render(value)} must be positive ({source})")
    if decl.kind == "int" and not isinstance(value, int):
        raise BindingError(f"{decl.name} = {render(value)} must be a whole number ({source})",
                           hint=f"{decl.name} is declared kind: int; "
                           "use kind: real for a multiplier")
    if decl.multiple_of and value % decl.multiple_of:
        raise BindingError(
            f"{decl.name} = {value} is not a multiple of {decl.multiple_of} ({source})",
            hint=f"allowed: {decl.name} = {decl.multiple_of}·k, e.g. "
            f"{value - value % decl.multiple_of or decl.multiple_of}")
    return value


def _let_order(lets: dict[str, LetDecl]) -> list[str]:
    """Lets in dependency order; a cycle is an error naming it."""
    def deps(decl: LetDecl) -> set[str]:
        exprs: list[Expr] = [decl.value] if decl.value is not None else []
        for row in (decl.table or {}).values():
            exprs.extend(row if isinstance(row, list) else [row])
        names = set().union(*(e.names for e in exprs)) if exprs else set()
        if decl.key:
            names.add(decl.key)
        return {n for n in names if n in lets}

    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in lets:  # depth-first, iterative: a chain of thousands of lets is fine
        if state.get(root) == 2:
            continue
        path: list[str] = [root]
        todo: list[list[str]] = [sorted(deps(lets[root]))]
        state[root] = 1
        while path:
            if not todo[-1]:
                done = path.pop()
                todo.pop()
                state[done] = 2
                order.append(done)
                continue
            d = todo[-1].pop(0)
            if state.get(d) == 2:
                continue
            if state.get(d) == 1:
                cycle = " -> ".join([*path[path.index(d):], d])
                raise lets[d].at.error(f"lets refer to each other in a cycle: {cycle}")
            state[d] = 1
            path.append(d)
            todo.append(sorted(deps(lets[d])))
    return order


def _free_symbol(name: str, *, integer: bool, multiple: int | None = None) -> tuple[Any, Any, Any]:
    """(value in the walk, the symbol to bind, the symbol shown) for a free name.

    With multiple_of m the walk sees m·q, q = Symbol("r/32") a positive integer; r is shown.
    A real symbol is not declared non-integer: s = 1 must stay possible (tables keyed by s).
    """
    s = sp()
    shown = s.Symbol(name, positive=True, integer=True if integer else None)
    if multiple:
        q = s.Symbol(f"{name}/{multiple}", positive=True, integer=True)
        return multiple * q, q, shown
    return shown, shown, shown


def _evaluate_let(decl: LetDecl, names: dict[str, Any]) -> Any:
    try:
        if decl.value is not None:
            return decl.value.evaluate(names)
        key = names[decl.key] if decl.key in names else None
        if key is None:
            raise BindingError(f"table key {decl.key!r} is not a symbol or let",
                               hint=did_you_mean(decl.key, names))
        def row(value: Any) -> Any:
            return [e.evaluate(names) for e in value] if isinstance(value, list) \
                else value.evaluate(names)
        if isinstance(key, list):
            raise BindingError(f"table key {decl.key!r} is itself a table row")
        if is_concrete(key):
            if key not in decl.table:
                raise BindingError(
                    f"{decl.key} = {render(key)} is not in table {decl.name!r}",
                    hint="allowed: " + ", ".join(render(k) for k in decl.table))
            return row(decl.table[key])
        s = sp()
        rows = {k: row(v) for k, v in decl.table.items()}
        lengths = {len(v) if isinstance(v, list) else None for v in rows.values()}
        if len(lengths) != 1:
            raise BindingError(f"table {decl.name!r} mixes single values and lists")
        def piecewise(pick: Any) -> Any:
            return s.Piecewise(*((to_sympy(pick(v)), s.Eq(key, to_sympy(k)))
                                 for k, v in rows.items()))
        (length,) = lengths
        if length is None:
            return piecewise(lambda v: v)
        return [piecewise(lambda v, i=i: v[i]) for i in range(length)]
    except SpecError as e:
        raise e.locate(file=decl.at.file, line=decl.at.line, where=f"let {decl.name}") from None


def environment(spec: Spec) -> Environment:
    """Bind the spec's names as its `bind`, preset, bindings, keep and symbolic flags say."""
    known = {**spec.symbols, **spec.lets}
    layers: list[tuple[str, dict[str, Any]]] = [("the spec's bind", spec.bind)]
    if spec.preset is not None:
        if spec.preset not in spec.presets:
            raise BindingError(f"unknown preset {spec.preset!r}", file=spec.path,
                               hint=did_you_mean(spec.preset, spec.presets) if spec.presets
                               else "this spec defines no presets (a `presets:` mapping of "
                               "named bindings); bind symbols with --set NAME=VALUE")
        layers.append((f"preset {spec.preset}", spec.presets[spec.preset]))
    layers.append(("--set", spec.bindings))
    chosen: dict[str, tuple[Any, str]] = {}
    for source, values in layers:
        for name, value in values.items():
            if name not in known:
                raise BindingError(f"unknown symbol {name!r} ({source})", file=spec.path,
                                   hint=did_you_mean(name, known))
            chosen[name] = (value, source)
    for name in spec.keep:
        if name not in known:
            raise BindingError(f"unknown symbol {name!r} (keep)", file=spec.path,
                               hint=did_you_mean(name, known))
    keep = set(spec.keep)
    if spec.symbolic:
        keep |= {name for name in spec.symbols if name not in chosen}

    env = Environment(names={}, bound={}, preset=spec.preset)
    for name, decl in spec.symbols.items():
        if name in keep:
            walk, key, shown = _free_symbol(name, integer=decl.kind == "int",
                                            multiple=decl.multiple_of)
            env.names[name] = walk
            env.free[name] = key
            if decl.multiple_of:
                env.multiples[name] = decl.multiple_of
                env.display[env.free[name]] = shown / decl.multiple_of
            continue
        value, source = chosen.get(name, (decl.default, "default"))
        try:
            value = check_binding(spec, name, value, source)
        except SpecError as e:
            raise e.locate(file=spec.path) from None
        env.names[name] = value
        env.bound[name] = value
    for name in _let_order(spec.lets):
        decl = spec.lets[name]
        if name in keep:
            walk, _, _ = _free_symbol(name, integer=True)
            env.names[name] = env.free[name] = walk
        elif name in chosen:
            try:
                value = check_binding(spec, name, *chosen[name])
            except SpecError as e:
                raise e.locate(file=spec.path) from None
            env.names[name] = env.bound[name] = value
        else:
            value = _evaluate_let(decl, env.names)
            env.names[name] = _name_symbolic(name, value, env)
    return env


def _name_symbolic(name: str, value: Any, env: Environment) -> Any:
    """Concrete lets pass through; a symbolic let becomes a named symbol with its definition."""
    if isinstance(value, list):
        return [_name_symbolic(f"{name}[{i}]", v, env) for i, v in enumerate(value)]
    if is_concrete(value):
        return value
    s = sp()
    expr = to_sympy(value)
    if expr.is_Symbol:
        return expr
    symbol = s.Symbol(name, positive=bool(expr.is_positive) or None,
                      integer=bool(expr.is_integer) or None)
    env.definitions[symbol] = expr
    return symbol


def exact(value: Any) -> int | Fraction:
    """A binding value from the CLI or Python as an exact number ('3/2', 0.5, 2)."""
    from cost.spec.expr import evaluate

    if not isinstance(value, (str, bool)):
        try:
            value = normalize(value)  # ints, floats, Fractions, sympy Rationals
        except (TypeError, ValueError):
            pass
    return evaluate(value, {})


# --- NAME=VALUE from the command line and the data files ----------------------------------------

NUMBER_HINT = "values are numbers such as 8, 0.5 or 3/2"


def parse_assignment(text: str, *, option: str, form: str = "NAME=VALUE", hint: str | None = None,
                     error: type[SpecError] = BindingError) -> tuple[str, str]:
    """One NAME=VALUE (`--set g=8`, `--grid s=0.5:2:0.5`, `--target madds=40e6`, a data file's
    `bind`) split at its first '=', both sides stripped; an item without '=' or with an empty side
    is an `error` that names the option and the form expected.

    >>> parse_assignment(" s = 3/2 ", option="--set")
    ('s', '3/2')
    >>> parse_assignment("g", option="--set", hint="e.g. --set g=8")
    Traceback (most recent call last):
    cost.errors.BindingError: --set 'g' is not NAME=VALUE
      hint: e.g. --set g=8
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise error(f"{option} {text!r} is not {form}", hint=hint)
    return name.strip(), value.strip()


def parse_number(text: str, *, option: str, item: str | None = None) -> int | Fraction:
    """An option's value as an exact number (`exact`); a bad one is an error naming the option
    and the `item` it came from (the value itself by default)."""
    try:
        return exact(text.strip())
    except CostError as e:
        raise BindingError(f"{option} {text if item is None else item!r}: "
                           f"{getattr(e, 'message', e)}", hint=NUMBER_HINT) from None


def parse_bindings(items: Iterable[str], *, option: str,
                   hint: str | None = None) -> dict[str, int | Fraction]:
    """NAME=VALUE items as {name: exact number}: `--set g=8 --set s=3/2` -> {"g": 8, "s": 3/2}.

    >>> parse_bindings(["g=8", "s=3/2"], option="--set")
    {'g': 8, 's': Fraction(3, 2)}
    """
    out: dict[str, int | Fraction] = {}
    for item in items:
        name, value = parse_assignment(item, option=option, hint=hint)
        out[name] = parse_number(value, option=option, item=item)
    return out
