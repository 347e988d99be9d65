"""`--where`: a condition over the metrics and the swept names, evaluated exactly per point.

The condition is parsed with the allow-listed expression language (`cost.spec.expr`), e.g.
`madds <= 150e6 and g >= 3`, checked once when the sweep is set up, and compiled with
`cost.design.vectorize` where it is evaluated (a `Filter` pickles as its sympy condition; each
worker compiles it once). A condition that names a metric is not true at an invalid point, so
those rows are dropped; a condition on the swept names only keeps invalid rows that match it.
`latency` (seconds) is a name where the sweep has a device profile (`ClosedForm.device`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from cost.design.grid import Axis, SweepError
from cost.design.vectorize import Compiler, Context, Node, Val, add_vals, mul
from cost.errors import SpecError, did_you_mean
from cost.symbolic import sp

if TYPE_CHECKING:
    from cost.design.chunks import Chunk
    from cost.design.closed_form import ClosedForm

WHERE_NAMES = ("madds", "flops", "params", "mem_read", "mem_write", "mem", "peak_mem", "intensity",
               "latency")
NEEDS_DEVICE = "add --device device.yaml (written by cost calibrate)"


def user_names(text: str) -> str:
    """A message about a --where condition with the internal `_madds`, `_g` shown as `madds`."""
    return re.sub(r"(?<![\w.])_([A-Za-z]\w*)", r"\1", text)


class Filter:
    """A --where condition, as a sympy Boolean over metrics and names, compiled exactly."""

    def __init__(self, text: str, form: ClosedForm, axes: list[Axis]) -> None:
        from cost.spec.expr import parse

        s = sp()
        expr = parse(text, comparisons=True)
        self.text = text
        self.symbols = {m: s.Symbol(f"_{m}") for m in WHERE_NAMES}
        self.names = {a.name: s.Symbol(f"_{a.name}") for a in axes}
        known = {**self.symbols, **self.names}
        constants = {k: v for k, v in form.fixed.items() if k not in known}
        unknown = sorted(n for n in expr.names if n not in known and n not in constants)
        if unknown:
            raise SweepError(f"unknown name {unknown[0]!r} in --where {text!r}",
                             hint=did_you_mean(unknown[0], [*known, *constants]))
        self.uses_metrics = bool(expr.names & set(WHERE_NAMES))
        if "latency" in expr.names and "latency" not in form.totals:
            raise SweepError(f"--where {text!r} names latency, which needs a device profile",
                             hint=NEEDS_DEVICE)
        try:
            condition = s.sympify(expr.evaluate({**known, **constants}))
        except SpecError as e:
            raise SweepError(f"--where {text!r}: {e.message}", hint=e.hint) from None
        if not isinstance(condition, s.logic.boolalg.Boolean):
            raise SweepError(f"--where {text!r} is not a condition",
                             hint="compare a metric, e.g. madds <= 150e6")
        self.condition = condition
        self.dens = {a.name: a.user_den for a in axes}
        self._node: Node | bool | None = None
        try:  # compile now: a condition that cannot be compiled fails here
            self.node  # noqa: B018
        except SpecError as e:  # in the user's names: `madds`, not the internal `_madds`
            raise SweepError(f"--where {text!r}: {user_names(e.message)}",
                             hint=user_names(e.hint) if e.hint else
                             "compare a metric, e.g. madds <= 150e6") from None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_node": None}  # compiled where it is evaluated

    @property
    def node(self) -> Node | bool:
        if self._node is None:
            variables = {self.symbols[m]: None for m in ("madds", "params", "mem_read",
                                                         "mem_write", "mem", "peak_mem",
                                                         "intensity", "latency")}
            variables |= {self.names[n]: den for n, den in self.dens.items()}
            definitions = {self.symbols["flops"]: 2 * self.symbols["madds"]}
            self._node = Compiler(variables, definitions).condition(self.condition)
        return self._node

    def evaluate(self, values: dict[str, Val], axes: list[Axis], chunk: Chunk,
                 valid: np.ndarray) -> np.ndarray:
        node = self.node
        if isinstance(node, bool):
            ok: Any = node
        else:
            mem = add_vals(values["mem_read"], values["mem_write"])
            zero = np.asarray(mem.num) == 0
            intensity = Val(mul(values["madds"].num, mem.den),
                            np.where(zero, 1, mul(mem.num, values["madds"].den)))
            variables = {self.symbols[m]: values[m] for m in values}
            variables[self.symbols["mem"]] = mem
            variables[self.symbols["intensity"]] = intensity
            variables |= {self.names[a.name]: Val(a.user_num[i], a.user_den)
                          for a, i in zip(axes, chunk.index, strict=True)}
            ok = node.evaluate(Context(variables))
        ok = np.broadcast_to(np.asarray(ok, bool), chunk.shape)
        return ok & valid if self.uses_metrics else ok
