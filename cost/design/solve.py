"""Budget solving: the value of one symbol (or let) at which a metric meets a target.

`cost solve specs/shufflenet_v1.yaml --target madds=140e6 --for c --set g=8` walks the spec once
with `c` free, solves madds(c) = 140,000,000 and lists the nearest *valid* values of c on both
sides (every constraint holds there: channels whole, groups dividing channels), with their
metrics. That is how ShuffleNet's Table 1 widths come out (tests/test_sweep.py):

    g = 8: madds(c) = 140e6 at c = -4763/196 + sqrt(6484389081)/196 ≈ 386.54;
           valid c are the multiples of 32 (4g), so below: 384 (138,365,952), above: 416.

Conventions:

* Exact where sympy can: when the metric's numerator is a polynomial in the symbol, its positive
  real roots are exact algebraic numbers. Otherwise (table lookups, floor, max) the valid
  candidates are scanned in order and the crossing is refined by bisection where the metric is
  defined between them ("numeric").
* Candidates are the symbol's lattice: whole numbers (or multiples, for `multiple_of`) for int
  symbols and lets; for real symbols the lattice 1/L implied by the whole-number constraints
  that are linear in it (24·s whole and 60·s whole give s ∈ Z/120), or `step` if given.
* `below` is the largest valid value <= the solution, `above` the smallest valid value > it;
  `step` is their distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from cost.design.closed_form import ClosedForm, closed_form
from cost.design.grid import Num
from cost.design.sweep import sweep
from cost.design.vectorize import mul
from cost.errors import CostError, SpecError, did_you_mean
from cost.spec.parse import Spec
from cost.symbolic import render, sp

TARGETS = ("madds", "flops", "params", "mem", "mem_read", "mem_write", "peak_mem", "latency")
MAX_WINDOW = 1 << 14  # lattice steps searched on each side of a solution, and scanned upwards
RECORDED = ("madds", "params", "mem", "mem_read", "mem_write", "peak_mem")


class SolveError(SpecError):
    """A budget that cannot be solved as asked (no solution, no valid neighbour, bad target)."""


@dataclass
class Neighbour:
    """A valid value of the symbol next to a solution, and the metrics there."""

    value: Num
    metrics: dict[str, int]


@dataclass
class Root:
    """One solution: exact (a sympy number) when solved exactly, else a float or a bracket."""

    exact: Any | None  # sympy number in the user's units, None when numeric
    value: float | None  # None: the metric is only defined on the lattice (crossing bracketed)
    below: Neighbour | None
    above: Neighbour | None

    @property
    def step(self) -> Num | None:
        """Distance between the valid neighbours (the valid step around the solution)."""
        if self.below is None or self.above is None:
            return None
        return _num(Fraction(self.above.value) - Fraction(self.below.value))

    def nearest(self, target: int | Fraction, metric: str) -> Neighbour | None:
        """The neighbour whose metric is closest to the target (below wins a tie)."""
        sides = [n for n in (self.below, self.above) if n is not None]
        if not sides:
            return None
        return min(sides, key=lambda n: abs(Fraction(n.metrics[metric]) - Fraction(target)))


@dataclass
class Solution:
    spec: Spec
    name: str
    metric: str
    target: int | Fraction
    formula: Any  # the metric as a closed form in the symbol (display names; lets kept named
    #               when they are table lookups, then defined in `where`)
    method: str  # "exact" or "numeric"
    roots: list[Root]
    fixed: dict[str, Any] = field(default_factory=dict)
    lattice: Fraction | None = None  # candidates are the multiples of this
    where: dict[Any, Any] = field(default_factory=dict)  # lets named in `formula`


def parse_target(text: str) -> tuple[str, int | Fraction]:
    """`madds=140e6` -> ("madds", 140000000)."""
    from cost.spec.bindings import exact, parse_assignment

    metric, value = parse_assignment(text, option="--target", form="METRIC=VALUE",
                                     hint="e.g. madds=140e6", error=SolveError)
    if metric not in TARGETS:
        raise SolveError(f"--target: unknown metric {metric!r}", hint=did_you_mean(metric, TARGETS))
    try:
        number = exact(value.strip())
    except CostError as e:
        raise SolveError(f"--target {text!r}: {getattr(e, 'message', e)}") from None
    if number <= 0:
        raise SolveError(f"--target {text!r}: the value must be positive")
    return metric, number


def solve(spec: Spec, name: str, metric: str, target: Any, *,
          step: Any = None, device: Any = None) -> Solution:
    """Solve metric(name) = target with every other name bound (see the module docstring).

    `latency` (seconds) needs a `device` (`cost.latency.Device`); its closed form has `Max`
    terms, so it is solved numerically.
    """
    if metric not in TARGETS:
        raise SolveError(f"unknown metric {metric!r}", hint=did_you_mean(metric, TARGETS))
    if metric == "latency" and device is None:
        raise SolveError("--target latency needs a device profile",
                         hint="add --device device.yaml (written by cost calibrate)")
    target = _num(Fraction(target))
    form = closed_form(spec, (name,), device)
    s = sp()
    x = form.symbols[name]
    m = form.multiples.get(name, 1)
    f = _metric(form, metric)
    extra = f.free_symbols - {x}
    if extra:
        raise SolveError(f"{metric} still depends on {', '.join(sorted(map(str, extra)))}",
                         hint="bind them with --set")
    lattice = _lattice(form, name, step)
    formula, where = _display(form, metric, f, x, name, m)
    roots = _exact_roots(f, x, target)
    if roots is not None:
        method = "exact"
        found = [r * m for r in roots]
        out = [Root(r, float(r), *_neighbours(form, name, r, lattice)) for r in found]
    else:
        method = "numeric"
        out = _numeric(form, name, f, x, m, metric, target, lattice)
    if not out:
        raise SolveError(f"{metric} = {render(target)} has no solution with {name} > 0",
                         hint=f"{metric}({name}) = {s.expand(formula)}")
    return Solution(spec, name, metric, target, formula, method, out, dict(form.fixed), lattice,
                    where)


def _num(v: Fraction | int) -> Num:
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


def _total(form: ClosedForm, metric: str) -> Any:
    """The metric's total with lets still named (c, stem)."""
    s = sp()
    t = form.totals
    if metric == "mem":
        return s.sympify(t["mem_read"]) + t["mem_write"]
    if metric == "flops":
        return 2 * s.sympify(t["madds"])
    return s.sympify(t[metric])


def _expand_lets(value: Any, definitions: dict[Any, Any]) -> Any:
    for _ in range(len(definitions) + 1):  # lets may refer to lets, in chains of any length
        new = value.xreplace(definitions)
        if new == value:
            break
        value = new
    return value


def _metric(form: ClosedForm, metric: str) -> Any:
    return _expand_lets(_total(form, metric), form.definitions)


def _display(form: ClosedForm, metric: str, f: Any, x: Any, name: str,
             m: int) -> tuple[Any, dict[Any, Any]]:
    """The formula to print: expanded, in the user's name (r, not r/32); a table lookup stays
    a named let (c), defined in the returned `where`."""
    s = sp()
    shown = {x: s.Symbol(name, positive=True) / m} if m != 1 else {}
    if not f.has(s.Piecewise):
        return s.expand(f.xreplace(shown)), {}
    lets = {k: v.xreplace(shown) for k, v in form.definitions.items() if v.has(s.Piecewise)}
    rest = {k: v for k, v in form.definitions.items() if k not in lets}
    return s.expand(_expand_lets(_total(form, metric), rest).xreplace(shown)), lets


def _exact_roots(f: Any, x: Any, target: Any) -> list[Any] | None:
    """Positive real roots of f(x) = target when the numerator is a polynomial in x, else None."""
    s = sp()
    num, den = s.fraction(s.together(f - target))
    if not num.is_polynomial(x) or num.has(s.Piecewise, s.floor, s.ceiling, s.Max, s.Min, s.Mod):
        return None
    if not den.is_polynomial(x) or den.has(s.Piecewise):
        return None
    poly = s.Poly(num, x)
    if poly.degree() < 1:
        return []
    return [r for r in poly.real_roots() if r > 0 and den.xreplace({x: r}) != 0]


def _lattice(form: ClosedForm, name: str, step: Any) -> Fraction | None:
    """The spacing of the candidate values (user units)."""
    if step is not None:
        step = Fraction(step)
        if step <= 0:
            raise SolveError(f"--step {render(step)} must be positive")
        return step
    if form.integer[name]:
        return Fraction(form.multiples.get(name, 1))
    s = sp()
    x = form.symbols[name]
    lcm = None
    for check in form.checks:
        c = _expand_lets(check.condition, form.definitions)
        if not (isinstance(c, s.Eq) and isinstance(c.args[0], s.Mod) and c.args[1] == 0
                and c.args[0].args[1] == 1):
            continue
        e = c.args[0].args[0]
        if e.free_symbols != {x} or not e.is_polynomial(x) or s.degree(e, x) != 1:
            continue
        a, b = s.Poly(e, x).all_coeffs()
        if not (a.is_Rational and b.is_Rational):
            continue
        k = int(abs(a.p)) * int(b.q)
        lcm = k if lcm is None else math.lcm(lcm, k)
    return None if lcm is None else Fraction(1, lcm)


def _evaluate(form: ClosedForm, name: str, values: Sequence[Num]) -> Any:
    return sweep(form.spec, {name: values}, form=form)


def _row(result: Any, i: int) -> dict[str, Any]:
    out = {}
    for m in RECORDED:
        v = result.number(m)[i]
        out[m] = v.item() if isinstance(v, np.generic) else v
    out["flops"] = 2 * out["madds"]
    if "latency" in result.metrics:  # exact seconds (a Fraction over 10**18)
        num, den = result.exact("latency")
        out["latency"] = Fraction(int(num[i]), int(den if isinstance(den, int) else den[i]))
    return out


def _neighbours(form: ClosedForm, name: str, root: Any,
                lattice: Fraction | None) -> tuple[Neighbour | None, Neighbour | None]:
    """Largest valid lattice value <= root and smallest > root, widening the window."""
    s = sp()
    if lattice is None:
        return None, None
    unit = s.Rational(lattice.numerator, lattice.denominator)
    j_root = int(s.floor(root / unit))  # j·unit <= root exactly for j <= j_root
    below = above = None
    width = 64
    while width <= MAX_WINDOW and (below is None or above is None):
        lo, hi = max(1, j_root - width + 1), j_root + width
        values = [_num(j * lattice) for j in range(lo, hi + 1)]
        result = _evaluate(form, name, values)
        valid = np.flatnonzero(result.valid)
        left, right = valid[valid <= j_root - lo], valid[valid > j_root - lo]
        if below is None and left.size:
            below = Neighbour(values[left[-1]], _row(result, left[-1]))
        if above is None and right.size:
            above = Neighbour(values[right[0]], _row(result, right[0]))
        if lo == 1 and above is not None:
            break  # nothing valid below: there is no smaller candidate
        width *= 4
    return below, above


def _numeric(form: ClosedForm, name: str, f: Any, x: Any, m: int, metric: str, target: Any,
             lattice: Fraction | None) -> list[Root]:
    """Scan valid lattice values upwards for the first crossing of the target, then bisect."""
    if lattice is None:
        raise SolveError(f"{name} is real and no whole-number constraint fixes its steps",
                         hint="give --step, e.g. --step 0.125")
    t = Fraction(target)
    count = 256
    while count <= MAX_WINDOW:
        values = [_num(j * lattice) for j in range(1, count + 1)]
        result = _evaluate(form, name, values)
        points = np.flatnonzero(result.valid)
        num, den = result.exact("madds" if metric == "flops" else metric)
        column = num[points]
        den = den if isinstance(den, int) else den[points]
        column = mul(column, 2) if metric == "flops" else column
        sign = np.sign(np.asarray(mul(column, t.denominator) - mul(den, t.numerator)))
        crossing = np.flatnonzero((sign[:-1] == 0) | (sign[:-1] * sign[1:] < 0))
        if crossing.size:
            lo, hi = points[crossing[0]], points[crossing[0] + 1]
            value = _bisect(f, x, m, t, values[lo], values[hi])
            return [Root(None, value, Neighbour(values[lo], _row(result, lo)),
                         Neighbour(values[hi], _row(result, hi)))]
        count *= 4
    last = _num(MAX_WINDOW * lattice)
    raise SolveError(f"{metric} = {render(target)}: no crossing among the first {MAX_WINDOW:,} "
                     f"values of {name} (step {render(_num(lattice))}, up to {render(last)})",
                     hint="the search is bounded; give a larger --step or a nearer target")


def _bisect(f: Any, x: Any, m: int, target: Any, lo: Num, hi: Num) -> float | None:
    """The crossing between two lattice values, if the metric is defined in between."""
    s = sp()
    a, b = Fraction(lo), Fraction(hi)

    def at(v: Fraction) -> Fraction | None:
        y = f.xreplace({x: s.Rational(v.numerator, v.denominator) / m})
        return Fraction(int(y.p), int(y.q)) if y.is_Rational else None

    fa = at(a)
    if fa is None or at(b) is None:
        return None
    for _ in range(60):
        mid = (a + b) / 2
        fm = at(mid)
        if fm is None:
            return None
        if (fm - target) * (fa - target) <= 0:
            b = mid
        else:
            a, fa = mid, fm
    return float((a + b) / 2)
