"""Expressions in specs, parsed with an allow-list: never `eval`, never `sympify` of user text.

Grammar: numbers, names, `+ - * / // % **`, unary `-`/`+`, parentheses, a constant index into
a table value (`widths[2]`), and calls of the functions in `FUNCTIONS`. With `comparisons=True`
(filters such as `madds <= 150e6`) also `< <= > >= == !=`, `and`, `or`, `not`.
Anything else (attribute access, lambdas, strings, keywords, comprehensions) is rejected with the
construct named. The text is parsed by Python's own `ast` module, which only builds a tree; the
tree is then walked node by node against the allow-list, so nothing is ever executed.

Numbers are exact: `0.5` is Fraction(1, 2), `/` divides exactly, `150e6` is the integer 150000000.

>>> parse("cout/4 - 1").evaluate({"cout": 240})
59
>>> parse("make_divisible(32 * 0.75, 8)").evaluate({})
24
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cost.errors import ExprError, did_you_mean
from cost.symbolic import ceildiv, div, floordiv, is_concrete, normalize, sp, to_sympy

MAX_LENGTH = 2_000  # characters in one expression
MAX_DEPTH = 60  # nesting of the syntax tree
MAX_EXPONENT = 64  # |b| in a ** b when b is a number: 10**10**10 must fail fast, not hang
MAX_DIGITS = 80  # exact values (and their denominators) stay below 10**80: far past any size
LIMIT = 10**MAX_DIGITS
_LIMIT_BITS = LIMIT.bit_length()


def _min(*args: Any) -> Any:
    if all(is_concrete(a) for a in args):
        return min(args)
    return normalize(sp().Min(*(to_sympy(a) for a in args)))


def _max(*args: Any) -> Any:
    if all(is_concrete(a) for a in args):
        return max(args)
    return normalize(sp().Max(*(to_sympy(a) for a in args)))


def _floor(x: Any) -> Any:
    return floordiv(x, 1)


def _ceil(x: Any) -> Any:
    return ceildiv(x, 1)


def _round(x: Any) -> Any:
    """Round half up: round(2.5) = 3 (not Python's banker's rounding), for symbols too."""
    return floordiv(x + Fraction(1, 2), 1)


def make_divisible(v: Any, divisor: Any = 8, min_value: Any = None) -> Any:
    """TF/torchvision `_make_divisible`: nearest multiple of `divisor`, never below 90% of v.

    new_v = max(min_value or divisor, floor(v/divisor + 1/2)·divisor); if new_v < 0.9·v add divisor.
    >>> make_divisible(24 * Fraction(3, 4), 8), make_divisible(116, 8)
    (24, 112)
    """
    floor_to = min_value if min_value is not None else divisor
    nearest = floordiv(v + div(divisor, 2), divisor) * divisor
    if all(is_concrete(a) for a in (v, divisor, floor_to)):
        new_v = max(floor_to, nearest)
        return new_v + divisor if new_v < Fraction(9, 10) * v else new_v
    s = sp()
    new_v = s.Max(to_sympy(floor_to), to_sympy(nearest))
    return normalize(
        s.Piecewise((new_v + divisor, new_v < s.Rational(9, 10) * to_sympy(v)), (new_v, True))
    )


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (function, least, most arguments)
    "min": (_min, 2, 16),
    "max": (_max, 2, 16),
    "floor": (_floor, 1, 1),
    "ceil": (_ceil, 1, 1),
    "round": (_round, 1, 1),
    "make_divisible": (make_divisible, 1, 3),
}

_ARITHMETIC = {
    ast.Add: lambda a, b: normalize(a + b),
    ast.Sub: lambda a, b: normalize(a - b),
    ast.Mult: lambda a, b: normalize(a * b),
    ast.Div: div,
    ast.FloorDiv: floordiv,
    ast.Mod: lambda a, b: normalize(a % b) if is_concrete(a) and is_concrete(b)
    else normalize(sp().Mod(to_sympy(a), to_sympy(b))),
    ast.Pow: None,  # checked below
}
_COMPARE = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}
_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.Call: "call",
    ast.Subscript: "subscript",
    ast.ListComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment",
    ast.Starred: "star argument",
}


def _compare(op: type, a: Any, b: Any) -> Any:
    """A comparison: a bool for numbers, a sympy relation for expressions, numpy arrays as is."""
    if is_concrete(a) and is_concrete(b):
        return bool(_COMPARE[op](a, b))
    if hasattr(a, "__array__") or hasattr(b, "__array__"):
        return _COMPARE[op](a, b)
    s = sp()
    a, b = to_sympy(a), to_sympy(b)
    relation = {ast.Eq: s.Eq, ast.NotEq: s.Ne}.get(op)
    return relation(a, b) if relation else _COMPARE[op](a, b)


def truth(v: Any) -> Any:
    """Numbers are true when non-zero (a 0/1 parameter can stand for a yes/no choice)."""
    if is_concrete(v):
        return v != 0
    if isinstance(v, bool) or hasattr(v, "__array__"):
        return v
    s = sp()
    return v if isinstance(v, s.logic.boolalg.Boolean) else s.Ne(v, 0)


def _combine(values: list, conjunction: bool) -> Any:
    """`and` (conjunction) or `or` of truth values: bools, numpy arrays or sympy relations."""
    values = [truth(v) for v in values]
    if all(isinstance(v, bool) for v in values):
        return all(values) if conjunction else any(values)
    if any(hasattr(v, "__array__") for v in values):
        return functools.reduce(operator.and_ if conjunction else operator.or_, values)
    return sp().And(*values) if conjunction else sp().Or(*values)


def _all(values: list) -> Any:
    return _combine(values, conjunction=True)


def _any(values: list) -> Any:
    return _combine(values, conjunction=False)


def _not(v: Any) -> Any:
    v = truth(v)
    if isinstance(v, bool):
        return not v
    return ~v


def too_large(text: str | None) -> ExprError:
    """The error for an exact value past the magnitude limit (its digits are not printed)."""
    where = f"a value in {text!r}" if text is not None else "a number"
    return ExprError(f"{where} has more than {MAX_DIGITS} digits",
                     hint=f"allowed: numbers below 10**{MAX_DIGITS} "
                     f"(and denominators below 10**{MAX_DIGITS})")


def bounded(value: Any, text: str | None = None) -> Any:
    """`value` itself if it is within the magnitude limit; sympy values have no inf/nan in them.

    Every value an expression computes goes through here, so no later step (str(), float(),
    a power) meets a number with thousands of digits.
    """
    if isinstance(value, int):
        if -LIMIT < value < LIMIT:
            return value
        raise too_large(text)
    if isinstance(value, Fraction):
        if -LIMIT < value.numerator < LIMIT and value.denominator < LIMIT:
            return value
        raise too_large(text)
    if isinstance(value, (list, bool)) or hasattr(value, "__array__"):
        return value
    s = sp()
    if isinstance(value, s.Basic):
        if value.has(s.zoo, s.nan, s.oo, -s.oo):
            raise ExprError(f"division by zero in {text!r}")
        for number in value.atoms(s.Rational):
            if not (-LIMIT < number.p < LIMIT and number.q < LIMIT):
                raise too_large(text)
    return value


def _power(a: Any, b: Any, text: str) -> Any:
    if is_concrete(b):
        if isinstance(b, Fraction) or abs(b) > MAX_EXPONENT:
            raise ExprError(f"exponent {b} is not allowed; "
                            f"allowed: whole numbers up to {MAX_EXPONENT}")
        if is_concrete(a):
            a = Fraction(a)
            bits = max(abs(a.numerator).bit_length(), a.denominator.bit_length())
            if (bits - 1) * abs(b) > _LIMIT_BITS:  # refused before it is computed
                raise too_large(text)
            return normalize(a ** b)
    return normalize(to_sympy(a) ** to_sympy(b))


@dataclass(frozen=True)
class Expr:
    """A parsed expression: `evaluate(env)` walks the checked tree with exact arithmetic."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        try:
            return _Evaluator(self.text, env).visit(self.tree)
        except ZeroDivisionError:  # 0**-1, make_divisible(8, 0), x % 0
            raise ExprError(f"division by zero in {self.text!r}") from None

    def __str__(self) -> str:
        return self.text


class _Evaluator:
    def __init__(self, text: str, env: Mapping[str, Any]) -> None:
        self.text = text
        self.env = env

    def visit(self, node: ast.AST) -> Any:
        return bounded(self._visit(node), self.text)

    def _visit(self, node: ast.AST) -> Any:  # one branch per allowed node type
        if isinstance(node, ast.Constant):
            return normalize(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.env:
                raise ExprError(
                    f"unknown name {node.id!r} in {self.text!r}",
                    hint=did_you_mean(node.id, [k for k in self.env if not k.startswith("_")]),
                )
            return self.env[node.id]
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            _reject_lists(a, b, self.text)
            if isinstance(node.op, ast.Pow):
                return _power(a, b, self.text)
            return _ARITHMETIC[type(node.op)](a, b)
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return _not(v)
            return normalize(-v) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call):
            name = node.func.id  # checked by _check: a plain allowed name
            function, least, most = FUNCTIONS[name]
            if not least <= len(node.args) <= most:
                raise ExprError(
                    f"{name}() takes {least} to {most} arguments, got {len(node.args)} in "
                    f"{self.text!r}"
                )
            return function(*(self.visit(a) for a in node.args))
        if isinstance(node, ast.Subscript):
            table = self.visit(node.value)
            index = self.visit(node.slice)
            if not isinstance(table, list):
                raise ExprError(f"only table values can be indexed, in {self.text!r}")
            if not isinstance(index, int) or not -len(table) <= index < len(table):
                raise ExprError(
                    f"index {index} out of range in {self.text!r}; allowed: 0 to {len(table) - 1}"
                )
            return table[index]
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            parts = []
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.visit(right_node)
                parts.append(_compare(type(op), left, right))
                left = right
            return _all(parts)
        if isinstance(node, ast.BoolOp):
            values = [self.visit(v) for v in node.values]
            return _all(values) if isinstance(node.op, ast.And) else _any(values)
        raise ExprError(f"unsupported syntax in {self.text!r}")  # unreachable after _check


def _reject_lists(a: Any, b: Any, text: str) -> None:
    if isinstance(a, list) or isinstance(b, list):
        raise ExprError(f"a table of values must be indexed before arithmetic, in {text!r}")


def _check(node: ast.AST, text: str, comparisons: bool, depth: int = 0) -> set[str]:
    """Walk the tree against the allow-list; return the names it uses."""
    if depth > MAX_DEPTH:
        raise ExprError(f"expression nested too deeply (more than {MAX_DEPTH} levels): {text!r}")
    names: set[str] = set()
    allowed: tuple[type, ...] = (ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.Call,
                                 ast.Subscript, ast.Load)
    if comparisons:
        allowed += (ast.Compare, ast.BoolOp)
    if not isinstance(node, allowed + tuple(_ARITHMETIC) + (ast.USub, ast.UAdd, ast.Not)
                      + tuple(_COMPARE) + (ast.And, ast.Or)):
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        raise ExprError(
            f"{what} is not allowed in expressions: {text!r}",
            hint="allowed: numbers, names, + - * / // % **, ( ), table[i], "
            + ", ".join(f"{f}()" for f in FUNCTIONS),
        )
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExprError(
                f"only numbers are allowed as constants, got {node.value!r} in {text!r}")
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise ExprError(f"{node.value} is not a finite number in {text!r}")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExprError(f"names starting with '_' are not allowed: {node.id!r} in {text!r}")
        names.add(node.id)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and not comparisons:
        raise ExprError(f"'not' is only allowed in filters, in {text!r}")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExprError(
                f"call of {called!r} is not allowed in {text!r}",
                hint="allowed functions: " + ", ".join(sorted(FUNCTIONS)),
            )
        if node.keywords:
            raise ExprError(f"keyword arguments are not allowed in {text!r}")
        for a in node.args:
            names |= _check(a, text, comparisons, depth + 1)
        return names
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)
               for side in (node.left, node.right) for n in ast.walk(side)):
            raise ExprError(f"nested powers are not allowed in {text!r}: neither the base nor "
                            "the exponent of ** may hold another **",
                            hint="write one power: 2**(3*4), not (2**3)**4")
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name) or not isinstance(node.slice, ast.Constant):
            raise ExprError(f"only name[number] indexing is allowed, in {text!r}")
    for child in ast.iter_child_nodes(node):
        names |= _check(child, text, comparisons, depth + 1)
    return names


@lru_cache(maxsize=4096)
def parse(text: str, *, comparisons: bool = False) -> Expr:
    """Parse and check an expression string (cached: specs repeat the same strings)."""
    if not isinstance(text, str):
        raise ExprError(f"an expression must be text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        hint = None
        if text.count("(") > text.count(")") or text.count("[") > text.count("]"):
            hint = ("an expression with a comma inside a YAML flow mapping {...} is cut at the "
                    "comma: quote it, e.g. {out: \"max(1, cin//4)\"}")
        raise ExprError(f"cannot parse expression {text!r}: {e.msg}", hint=hint) from None
    except (ValueError, RecursionError):
        raise ExprError(f"cannot parse expression {text!r}") from None
    names = _check(tree, text, comparisons)
    return Expr(text, tree, frozenset(names))


def evaluate(value: Any, env: Mapping[str, Any]) -> Any:
    """A YAML scalar as a size: numbers pass through exactly, strings are parsed expressions."""
    if isinstance(value, bool):
        raise ExprError(f"expected a number or an expression, got {value!r}")
    if isinstance(value, (int, float, Fraction)):
        try:
            return bounded(normalize(value))
        except ValueError as e:
            raise ExprError(str(e)) from None
    if isinstance(value, str):
        return parse(value).evaluate(env)
    raise ExprError(f"expected a number or an expression, got {value!r}")
