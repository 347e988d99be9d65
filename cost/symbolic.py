"""Exact sizes that are numbers or sympy expressions (`sint`), and the constraints on them.

Every size, count and cost in `cost` is an `sint`: a Python `int`, an exact `Fraction` (a width
multiplier such as s = 3/2), or a sympy expression in the symbols left free. Numbers never become
floats. The same formula code serves both: `numel((n, c, h, w))` is an int once everything is
bound and a polynomial while `n, h, w` are free. sympy is imported only when a value is symbolic,
so profiling a fully bound spec never pays sympy's import time.

Branching on a symbolic value is never done with `if`: `decide` answers True, False or None
(undecidable), and a `Checker` turns undecidable conditions into `Constraint`s that are checked
again when the symbols are bound.

>>> numel((1, 24, 112, 112))
301056
>>> div(240, 4), div(3, 2)
(60, Fraction(3, 2))
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any, Union

from cost.errors import ShapeError

if TYPE_CHECKING:
    import sympy

Num = int | Fraction
sint = Union[int, Fraction, "sympy.Expr"]
Shape = tuple  # tuple[sint, ...], NCHW for feature maps, (n, features) after flatten


@cache
def sp():  # the sympy module, imported on first symbolic use
    import sympy

    return sympy


def is_concrete(v: Any) -> bool:
    """True for exact numbers (int, Fraction); False for sympy expressions."""
    return isinstance(v, (int, Fraction)) and not isinstance(v, bool)


def normalize(v: Any) -> sint:
    """Bring a value to its canonical exact form: int if whole, Fraction if rational, else Expr.

    Floats are read through their shortest decimal repr, so 0.1 becomes 1/10 exactly.
    """
    if isinstance(v, bool):
        raise TypeError("a boolean is not a size")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} is not a finite number")
        v = Fraction(repr(v))
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    s = sp()
    if isinstance(v, s.Basic):
        if v.is_Integer:
            return int(v)
        if v.is_Rational:
            return Fraction(int(v.p), int(v.q))
        return v
    raise TypeError(f"not a number or expression: {v!r}")


def to_sympy(v: sint) -> sympy.Expr:
    s = sp()
    if isinstance(v, Fraction):
        return s.Rational(v.numerator, v.denominator)
    return s.sympify(v) if isinstance(v, int) else v


def div(a: sint, b: sint) -> sint:
    """Exact division: 240/4 -> 60, 3/2 -> Fraction(3, 2), x/4 -> x/4 (sympy)."""
    if is_concrete(a) and is_concrete(b):
        return normalize(Fraction(a) / Fraction(b))
    return normalize(to_sympy(a) / to_sympy(b))


def floordiv(a: sint, b: sint) -> sint:
    """floor(a / b), exactly; symbolic values give sympy's floor, which simplifies on integers."""
    if is_concrete(a) and is_concrete(b):
        return math.floor(Fraction(a) / Fraction(b))
    return normalize(sp().floor(to_sympy(a) / to_sympy(b)))


def ceildiv(a: sint, b: sint) -> sint:
    if is_concrete(a) and is_concrete(b):
        return math.ceil(Fraction(a) / Fraction(b))
    return normalize(sp().ceiling(to_sympy(a) / to_sympy(b)))


def numel(shape: Sequence[sint]) -> sint:
    """Number of elements of a tensor shape (product of its dimensions)."""
    total: sint = 1
    for d in shape:
        total = total * d
    return normalize(total) if not is_concrete(total) else total


def total(values: Iterable[sint]) -> sint:
    """Exact sum; symbolic terms are summed in one sympy Add (fast for hundreds of terms)."""
    numbers: sint = 0
    exprs = []
    for v in values:
        if is_concrete(v):
            numbers += v
        else:
            exprs.append(v)
    if not exprs:
        return normalize(numbers)
    return normalize(sp().Add(to_sympy(numbers), *exprs))


def size_exceeds(v: Any, limit: int) -> bool:
    """True if the sympy expression `v` has more than `limit` nodes (stops counting there)."""
    if is_concrete(v) or not hasattr(v, "args"):
        return False
    from sympy import preorder_traversal

    for i, _ in enumerate(preorder_traversal(v)):
        if i >= limit:
            return True
    return False


def decide(condition: Any) -> bool | None:
    """True or False if the condition is decided, None if it depends on free symbols."""
    if isinstance(condition, bool):
        return condition
    s = sp()
    if condition is s.true:
        return True
    if condition is s.false:
        return False
    return None


def render(v: Any) -> str:
    """A size as text: ints plainly, fractions as p/q, expressions in sympy's compact form."""
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    return str(v)


def render_shape(shape: Sequence[sint]) -> str:
    return "[" + ", ".join(render(d) for d in shape) + "]"


@dataclass(frozen=True)
class Constraint:
    """A condition on free symbols that must hold once they are bound.

    `condition` is a sympy Boolean; `message` says what must hold in the user's words.
    """

    condition: Any
    message: str
    file: str | None = None
    line: int | None = None
    where: str | None = None
    terms: tuple = ()  # (label, expression) pairs shown with their bound values on failure

    def check(self, substitute) -> None:  # substitute: Expr -> sint
        verdict = decide(substitute(self.condition))
        if verdict is False:
            values = ", ".join(f"{label} = {render(normalize(substitute(to_sympy(v))))}"
                               for label, v in self.terms)
            message = self.message + (f" (bound: {values})" if values else "")
            raise ShapeError(message, file=self.file, line=self.line, where=self.where)


class Checker:
    """Checks the conditions a shape rule relies on, now if it can, later if it must.

    A decided failure raises `ShapeError` at once (the caller adds the location). An undecidable
    condition becomes a `Constraint` appended to `pending`, checked when the symbols are bound.
    """

    def __init__(self, pending: list[Constraint] | None = None) -> None:
        self.pending: list[Constraint] = [] if pending is None else pending
        self.file: str | None = None
        self.line: int | None = None
        self.where: str | None = None

    def _require(self, ok: bool | None, condition: Any, message: str, terms: tuple = ()) -> None:
        if ok is False:
            raise ShapeError(message)
        if ok is None and not any(c.condition == condition for c in self.pending[-64:]):
            self.pending.append(
                Constraint(condition, message, self.file, self.line, self.where, terms))

    def whole(self, v: sint, what: str, *, minimum: int = 1) -> sint:
        """`v` must be a whole number >= minimum (a channel count, a kernel size, a stride)."""
        if is_concrete(v):
            if isinstance(v, Fraction):
                raise ShapeError(f"{what} = {render(v)} is not a whole number")
            if v < minimum:
                raise ShapeError(f"{what} = {v} must be at least {minimum}")
            return v
        s = sp()
        e = to_sympy(v)
        self._require(
            decide(s.Eq(s.Mod(e, 1), 0)) if e.is_integer is None else bool(e.is_integer),
            s.Eq(s.Mod(e, 1), 0),
            f"{what} = {v} must be a whole number", ((what, v),),
        )
        self._require(decide(e >= minimum), e >= minimum,
                      f"{what} = {v} must be at least {minimum}", ((what, v),))
        return v

    def divisible(self, a: sint, b: sint, what: str) -> None:
        """`b` must divide `a` (e.g. groups divide channels)."""
        if is_concrete(a) and is_concrete(b):
            if Fraction(a) % Fraction(b) != 0:
                raise ShapeError(f"{what}: {render(b)} does not divide {render(a)}")
            return
        s = sp()
        quotient = to_sympy(a) / to_sympy(b)
        condition = s.Eq(s.Mod(quotient, 1), 0)
        ok = True if quotient.is_integer else decide(condition)
        self._require(ok, condition, what, (("divisor", b), ("dividend", a)))

    def equal(self, a: sint, b: sint, what: str) -> None:
        """`a` and `b` must be equal (e.g. spatial sizes meeting at an add or concat)."""
        if is_concrete(a) and is_concrete(b):
            if a != b:
                raise ShapeError(f"{what}: {render(a)} != {render(b)}")
            return
        s = sp()
        difference = to_sympy(a) - to_sympy(b)
        try:
            difference = s.simplify(difference)
        except (s.core.evalf.PrecisionExhausted, RecursionError):
            pass  # sympy cannot decide (nested ceilings): a constraint checked once bound
        ok = True if difference == 0 else (False if difference.is_number else None)
        self._require(ok, s.Eq(difference, 0), f"{what}: {a} != {b}", (("left", a), ("right", b)))


def decimal_text(v: Any) -> str:
    """An exact binding value: ints plainly, finite decimals as decimals, else p/q.

    Data files (sweep CSV and Parquet) write bindings this way; `cost.render.format.value_text`
    is this function.

    >>> decimal_text(Fraction(1, 4)), decimal_text(Fraction(1, 3)), decimal_text(224)
    ('0.25', '1/3', '224')
    """
    if isinstance(v, Fraction):
        q = v.denominator
        for p in (2, 5):
            while q % p == 0:
                q //= p
        if q == 1:
            text = f"{float(v):.15g}"
            if Fraction(text) == v:
                return text
        return render(v)
    return str(v)
