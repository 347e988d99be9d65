"""The closed form of a sweep: one symbolic walk with the swept names kept free.

`closed_form(spec, names)` walks the spec once (`cost.load(..., keep=names)`) and keeps the totals
(madds, params, mem_read, mem_write), every pending constraint and the tables as sympy
expressions of the swept names. With a `device` (`cost.latency.Device`), the predicted latency
in seconds (`cost.latency.predict`: a sum of per-kernel `Max` terms over 10**18) is one more
total, `totals["latency"]`, evaluated exactly like the others. `ClosedForm.compiled(dens)`
compiles them for numpy with `cost.design.vectorize` (exact integers). A `ClosedForm` pickles
(sympy expressions, the spec and the device); its compiled form does not (lambdified functions),
so a worker process or a Dask worker receives the closed form once and compiles it itself
(`cost.design.chunks.Plan`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cost.design.grid import SweepError
from cost.design.vectorize import Compiler
from cost.errors import did_you_mean
from cost.measures import METRICS
from cost.spec.parse import Spec
from cost.symbolic import sp


@dataclass(frozen=True)
class Check:
    """A condition every valid point meets, and what to say where it does not."""

    condition: Any  # sympy Boolean in the walk symbols and lets
    message: str


@dataclass
class ClosedForm:
    """The totals and constraints of one symbolic walk, as sympy expressions of the kept names."""

    spec: Spec
    names: tuple[str, ...]  # swept names, in grid order
    symbols: dict[str, Any]  # name -> symbol of the walk (r/32 for r with multiple_of 32)
    multiples: dict[str, int]
    integer: dict[str, bool]  # name -> must be a whole number
    fixed: dict[str, Any]  # the bound names and their values
    totals: dict[str, Any]  # metric -> int or sympy expression
    definitions: dict[Any, Any]  # let symbol -> expression (tables are Piecewise)
    checks: list[Check]
    tables: list[tuple[str, Any]]  # (let name, Piecewise without a default)
    seconds: float = 0.0  # time of the walk
    device: Any = None  # the cost.latency.Device behind totals["latency"], if any
    _compiled: dict[tuple, Compiled] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_compiled": {}}  # compiled numpy code does not pickle

    def compiled(self, dens: dict[str, int]) -> Compiled:
        """Numpy evaluators for these denominators of the swept values (cached)."""
        key = tuple(dens[n] for n in self.names)
        if key not in self._compiled:
            self._compiled[key] = Compiled(self, dens)
        return self._compiled[key]


def closed_form(spec: Spec, names: Sequence[str], device: Any = None) -> ClosedForm:
    """Walk `spec` once with `names` free (they may be symbols or lets); with a `device`
    (`cost.latency.Device`), the predicted latency is one more total."""
    from cost.engine.profile import profile

    names = tuple(names)
    both = [n for n in names if n in spec.bindings]
    if both:
        raise SweepError(f"{both[0]!r} is both swept (--grid) and set (--set)")
    known = {**spec.symbols, **spec.lets}
    for n in names:
        if n not in known:
            raise SweepError(f"unknown symbol {n!r} in --grid", file=spec.path,
                             hint=did_you_mean(n, known))
    start = time.perf_counter()
    p = profile(spec.with_bindings(keep=names))
    seconds = time.perf_counter() - start
    extra = [n for n in p.env.free if n not in names]
    if extra:
        raise SweepError(f"{extra[0]!r} is free but not swept",
                         hint="bind it (--set) or add a --grid for it")
    symbols = {n: p.env.free[n] for n in names}
    integer = {n: bool(symbols[n].is_integer) for n in names}
    checks = []
    seen = set()
    for c in p.constraints:
        if c.condition in seen:
            continue
        seen.add(c.condition)
        checks.append(Check(c.condition, f"{c.where}: {c.message}" if c.where else c.message))
    tables = []
    s = sp()
    for symbol, definition in p.env.definitions.items():
        if isinstance(definition, s.Piecewise) and not any(
                cond is s.true for _, cond in definition.args):
            tables.append((str(symbol), definition))
    totals = {m: getattr(p.total, m) for m in METRICS}
    totals["peak_mem"] = p.peak_mem  # a sympy Max (kept whole past MAX_SIMPLIFIED_TERMS)
    if device is not None:
        from cost.latency.predict import latency

        totals["latency"] = latency(p, device)
    return ClosedForm(spec, names, symbols, dict(p.env.multiples), integer, dict(p.env.bound),
                      totals, dict(p.env.definitions), checks, tables, seconds, device)


class Compiled:
    """The closed form compiled for numpy: metric nodes and (code, condition) checks."""

    def __init__(self, form: ClosedForm, dens: dict[str, int]) -> None:
        start = time.perf_counter()
        variables = {form.symbols[n]: dens[n] for n in form.names}
        self.compiler = Compiler(variables, form.definitions)
        self.metrics = {m: self.compiler.number(v) for m, v in form.totals.items()}
        self.tables = [(name, self.compiler.number(pw)) for name, pw in form.tables]
        self.checks = [(c.message, self.compiler.condition(c.condition)) for c in form.checks]
        self.seconds = time.perf_counter() - start
