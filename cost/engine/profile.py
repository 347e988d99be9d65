"""`Profile`: the per-layer shapes and costs of a walked spec, and their totals.

Numbers stay numbers (ints, or sympy expressions while symbols are free) until they are rendered
by `cost.render.profile`; `table` gives them as a DataFrame (`cost.engine.frame`). A symbolic
profile binds later with `subs`, and its totals are closed forms (`formula`), so one walk answers
a whole design space.

>>> import cost
>>> p = cost.profile(cost.load("specs/shufflenet_g3.yaml", s=1, r=224, n=1))  # doctest: +SKIP
>>> p.total.madds  # doctest: +SKIP
137460672
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cost.engine.memory import MAX_SIMPLIFIED_TERMS, live, peak
from cost.engine.walk import Layer, walk
from cost.measures import Cost
from cost.spec.bindings import Environment, check_binding, environment, exact
from cost.spec.parse import Spec
from cost.symbolic import Constraint, is_concrete, normalize, sp, to_sympy, total

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Profile:
    """Per-layer shapes and costs, totals, and the constraints still waiting for bindings."""

    spec: Spec
    env: Environment
    layers: list[Layer]
    constraints: list[Constraint] = field(default_factory=list)
    assumptions: tuple[str, ...] = ()  # named modelling assumptions, e.g. deployment fusion

    def __post_init__(self) -> None:
        self.total = Cost.sum(layer.cost for layer in self.layers)

    # --- reading ------------------------------------------------------------------------------
    @property
    def symbolic(self) -> bool:
        """True while some symbol is free (costs are then sympy expressions)."""
        return bool(self.env.free)

    @property
    def bindings(self) -> dict[str, Any]:
        return dict(self.env.bound)

    @functools.cached_property
    def live(self) -> list[Any]:
        """Elements of activations held while each layer runs (`cost.engine.memory.live`)."""
        return live(self.layers)

    @property
    def peak_mem(self) -> Any:
        """Peak memory footprint in elements: the most activations held at once over the walk
        order plus every parameter (`cost.engine.memory`); a sympy Max while symbols are free."""
        return total([peak(self.live), self.total.params])

    def formula(self, metric: str = "madds", *, expand_lets: bool = False) -> Any:
        """The total of `metric` (madds, params, mem_read, mem_write, mem, flops, peak_mem) as a
        closed form.

        Free symbols appear by their names (`r`, not the internal `r/32`); lets that depend on
        free symbols stay named (`c`) unless `expand_lets`.
        """
        value = self.peak_mem if metric == "peak_mem" else getattr(self.total, metric)
        return self.show(value, expand_lets=expand_lets)

    def show(self, value: Any, *, expand_lets: bool = False) -> Any:
        """A value in display form: internal multiple-of symbols replaced by `r/32` etc."""
        if is_concrete(value):
            return value
        s = sp()
        expr = to_sympy(value)
        if expand_lets:
            expr = _fixpoint(expr, self.env.definitions)
        if any(len(m.args) > MAX_SIMPLIFIED_TERMS for m in expr.atoms(s.Max)):
            # a peak kept whole (cost.engine.memory): rebuilding it would compare its terms
            with s.core.parameters.evaluate(False):
                return expr.xreplace(self.env.display)
        expr = expr.xreplace(self.env.display)
        return expr if expr.has(s.Piecewise) else s.expand(expr)

    def by_op(self) -> dict[str, Cost]:
        """Total cost per op type (conv, bn, ...), in order of first appearance."""
        groups: dict[str, list[Cost]] = {}
        for layer in self.layers:
            groups.setdefault(layer.op, []).append(layer.cost)
        return {op: Cost.sum(costs) for op, costs in groups.items()}

    def groups(self, depth: int) -> list[Group]:
        """Layers aggregated by the first `depth` parts of their path (blocks summed)."""
        out: dict[str, Group] = {}
        for layer in self.layers:
            parts = layer.path.split("/")
            key = "/".join(parts[:depth])
            if key not in out:
                op = layer.op
                for block_path, block_name in layer.blocks:
                    if block_path == key:
                        op = block_name
                out[key] = Group(key, op, [])
            out[key].layers.append(layer)
        return list(out.values())

    def table(self, depth: int | None = None) -> pd.DataFrame:
        """Per-layer (or per-group, with depth) rows as a pandas DataFrame; numbers unformatted."""
        from cost.engine.frame import frame

        return frame(self, depth)

    # --- binding -----------------------------------------------------------------------------
    def subs(self, **values: Any) -> Profile:
        """Bind free symbols to numbers; constraints are checked; fully bound gives exact ints.

        Symbolic-then-bind equals bind-then-walk: tests/test_symbolic.py checks it.
        """
        values = {k: exact(v) for k, v in values.items()}  # 2, 0.5, Fraction(1, 2) or "1/2"
        values = {k: check_binding(self.spec, k, v, "subs", free_let=k not in self.spec.symbols)
                  if k in self.env.free else v for k, v in values.items()}  # as load checks
        mapping = self.env.substitution(values)
        definitions = {k: v.xreplace(mapping) for k, v in self.env.definitions.items()}
        full = {**mapping}
        remaining = {k: v for k, v in definitions.items()}
        for _ in range(len(remaining) + 1):
            settled = {k: v for k, v in remaining.items() if not (v.free_symbols & set(remaining))}
            full.update({k: _fixpoint(v, full) for k, v in settled.items()})
            remaining = {k: v for k, v in remaining.items() if k not in settled}
            if not remaining:
                break

        def bind(v: Any) -> Any:
            return v if is_concrete(v) else normalize(_fixpoint(to_sympy(v), full))

        free = {k: v for k, v in self.env.free.items() if k not in values}
        env = Environment(
            names={}, bound={**self.env.bound, **{k: normalize(v) for k, v in values.items()}},
            free=free, multiples={k: m for k, m in self.env.multiples.items() if k in free},
            display={k: v for k, v in self.env.display.items() if k in free.values()},
            definitions={k: v for k, v in definitions.items()
                         if not is_concrete(bind(k))}, preset=self.env.preset)
        pending = []
        for c in self.constraints:
            c.check(lambda cond: cond.xreplace(full))
            if free:
                pending.append(dataclasses.replace(c, condition=c.condition.xreplace(full)))
        layers = [
            dataclasses.replace(
                layer,
                node=_bind_node(layer.node, bind),
                in_shapes=tuple(tuple(bind(d) for d in x) for x in layer.in_shapes),
                out_shapes=tuple(tuple(bind(d) for d in y) for y in layer.out_shapes),
                cost=layer.cost.map(bind),
            )
            for layer in self.layers
        ]
        return Profile(self.spec, env, layers, [c for c in pending if c.condition is not True],
                       self.assumptions)


@dataclass
class Group:
    """Layers under one path prefix (a block call, or a single top-level layer)."""

    path: str
    op: str
    layers: list[Layer]

    @property
    def cost(self) -> Cost:
        return Cost.sum(layer.cost for layer in self.layers)

    @property
    def out_shapes(self) -> tuple:
        return self.layers[-1].out_shapes


def _fixpoint(expr: Any, mapping: dict) -> Any:
    """Substitute until nothing in `mapping` is left (lets may refer to lets, in any chain)."""
    for _ in range(len(mapping) + 1):
        new = expr.xreplace(mapping)
        if new == expr:
            return new
        expr = new
    return expr


def _bind_node(node: Any, bind: Any) -> Any:
    def value(v: Any) -> Any:  # a pair argument (k: [1, 7]) binds value by value
        return tuple(bind(d) for d in v) if isinstance(v, tuple) else bind(v)

    changes = {f.name: value(getattr(node, f.name)) for f in dataclasses.fields(node)
               if not isinstance(getattr(node, f.name), (bool, str, type(None)))
               and not is_concrete(getattr(node, f.name))}
    return dataclasses.replace(node, **changes) if changes else node


def profile(spec: Spec) -> Profile:
    """Walk the spec's layer graph under its bindings and return per-layer shapes and costs.

    Sizes stay symbolic where the spec was loaded with `keep=` or `symbolic=True`.
    """
    env = environment(spec)
    layers, constraints = walk(spec, env)
    return Profile(spec, env, layers, constraints)
