"""Exact vectorized evaluation of sympy closed forms over numpy arrays of design points.

A compiled expression evaluates to a pair of integer arrays `(num, den)`, the exact rational
value num/den at every point (den > 0), never a float. Rational functions of the variables are
brought to one fraction P/Q with integer coefficients once, at compile time (`sympy.together`),
and P and Q are lambdified for numpy; `floor`, `ceiling`, `Mod`, `Min`, `Max`, `Abs`,
`Piecewise` and relations are evaluated exactly on the (num, den) pairs of their arguments.
Conditions (`Eq`, `>=`, `And`, ...) evaluate to boolean arrays.

Integers are int64 while they provably fit: before a polynomial is evaluated, the sum over its
monomials of |coefficient|·Π max|variable|^exponent bounds every intermediate result; past 2**63
the chunk is evaluated with Python integers (numpy object arrays) instead, exact and slower.

Each variable is given as a `Val` per evaluation; its denominator is declared at compile time,
either a constant (1 for whole numbers, 4 for s in quarters) or `None` for a per-point array.
Arrays broadcast as numpy arrays do, so a grid can be evaluated as an outer product.

>>> import sympy
>>> x, s = sympy.symbols("x s", positive=True)
>>> c = Compiler({x: 1, s: 4})
>>> f = c.number(x**2 * s / 3)
>>> v = f.evaluate(Context({x: Val(np.array([3, 6])), s: Val(np.array([2]), 4)}))
>>> (v.num // v.den).tolist(), (v.num % v.den == 0).tolist()  # 9·(2/4)/3 = 3/2, 36·(2/4)/3 = 6
([1, 6], [False, True])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cost.errors import SpecError
from cost.symbolic import sp

INT64_LIMIT = 2**63  # every intermediate of an int64 evaluation stays strictly below this
Array = Any  # np.ndarray (int64 or object), a numpy scalar or a Python int


class VectorizeError(SpecError):
    """A closed form uses a construct that cannot be evaluated exactly over arrays."""


@dataclass
class Val:
    """An exact rational value per point: num / den with den > 0 (den may be a plain int)."""

    num: Array
    den: Array = 1
    _bounds: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    def bounds(self) -> tuple[int, int]:
        """(max |num|, max |den|), at least 1 each; computed once per value."""
        if self._bounds is None:
            self._bounds = (max_abs(self.num), max_abs(self.den))
        return self._bounds

    def whole(self) -> Array:
        """True where the value is a whole number."""
        return True if _is_one(self.den) else self.num % self.den == 0


def _is_one(a: Array) -> bool:
    return isinstance(a, (int, np.integer)) and int(a) == 1


def max_abs(a: Array) -> int:
    """The largest |element| as a Python int (1 at least, so products of bounds only grow)."""
    if isinstance(a, (int, np.integer)):
        return max(1, abs(int(a)))
    if a.size == 0:
        return 1
    if a.dtype == object:
        return max(1, int(np.abs(a).max()))
    return max(1, int(a.max()), -int(a.min()))  # two reductions, no temporary array


def as_object(a: Array) -> Array:
    """Python-integer (object) version of an integer array, for evaluation past int64."""
    if isinstance(a, np.ndarray):
        return a if a.dtype == object else a.astype(object)
    return int(a)


def mul(a: Array, b: Array) -> Array:
    """a·b exactly: int64 while |a|·|b| < 2**63, Python integers beyond."""
    if max_abs(a) * max_abs(b) < INT64_LIMIT:
        return a * b
    return as_object(a) * as_object(b)


def add(a: Array, b: Array) -> Array:
    if max_abs(a) + max_abs(b) < INT64_LIMIT:
        return a + b
    return as_object(a) + as_object(b)


def _gcd(a: Array, b: Array) -> Array:
    if object in (getattr(a, "dtype", None), getattr(b, "dtype", None)):
        return np.frompyfunc(math.gcd, 2, 1)(a, b)
    return np.gcd(a, b)


def reduce(v: Val) -> Val:
    """num/den in lowest terms (den > 0)."""
    if _is_one(v.den):
        return v
    g = _gcd(v.num, v.den)
    g = np.where(g == 0, 1, g)
    return Val(v.num // g, v.den // g)


def add_vals(a: Val, b: Val) -> Val:
    """a + b exactly."""
    if _is_one(a.den) and _is_one(b.den):
        return Val(add(a.num, b.num))
    return reduce(Val(add(mul(a.num, b.den), mul(b.num, a.den)), mul(a.den, b.den)))


def _positive_den(num: Array, den: Array) -> tuple[Array, Array]:
    """Make den > 0 (flip signs where negative; a zero den, possible only at points already
    rejected by a binding check, becomes 1 so nothing divides by zero)."""
    if isinstance(den, (int, np.integer)):
        den = int(den)
        return (-num, -den) if den < 0 else (num, den or 1)
    negative = den < 0
    if negative.any():
        num = np.where(negative, -num, num)
        den = np.where(negative, -den, den)
    zero = den == 0
    if zero.any():
        den = np.where(zero, 1, den)
    return num, den


class Context:
    """The values of the variables for one evaluation, and the results computed so far."""

    def __init__(self, variables: dict[Any, Val]) -> None:
        self.variables = variables
        self.cache: dict[int, Any] = {}


class Node:
    """A compiled expression: `evaluate(ctx)` gives a `Val` (numbers) or a bool array."""

    den: int | None = None  # the denominator if it is the same constant at every point

    def evaluate(self, ctx: Context) -> Any:
        key = id(self)
        if key not in ctx.cache:
            ctx.cache[key] = self._evaluate(ctx)
        return ctx.cache[key]

    def _evaluate(self, ctx: Context) -> Any:
        raise NotImplementedError


class _Variable(Node):
    def __init__(self, symbol: Any, den: int | None) -> None:
        self.symbol = symbol
        self.den = den

    def _evaluate(self, ctx: Context) -> Val:
        return ctx.variables[self.symbol]


class _Constant(Node):
    def __init__(self, num: int, den: int) -> None:
        self.num, self.den = num, den

    def _evaluate(self, ctx: Context) -> Val:
        return Val(self.num, self.den)


class _Rational(Node):
    """P/Q for a rational function of leaf nodes; P and Q lambdified with integer coefficients."""

    def __init__(self, leaves: list[Node], args: list[Any], p: Any, q: Any) -> None:
        s = sp()
        self.leaves = leaves  # leaf i contributes args[2i] (numerator) and args[2i+1] (den or None)
        used = [a for a in args if a is not None]
        self.used, self.p, self.q = used, p, q
        self.p_func = s.lambdify(used, p, "numpy", cse=True)
        self.p_bound = _bound_terms(p, used)
        self.q_const = int(q) if q.is_Integer else None
        if self.q_const is None:
            self.q_func = s.lambdify(used, q, "numpy", cse=True)
            self.q_bound = _bound_terms(q, used)
        self.den = self.q_const
        self.args = args
        self._by_shape: dict[tuple, Callable] = {}

    def _func(self, which: str, values: list) -> Callable:
        """P or Q lambdified in Horner form in the arguments that are arrays, largest first, so
        the terms in the others are evaluated once, on their smaller broadcast shape (for a
        sweep chunk where g, s, r are one value and n is 10^5 values: one multiply-add per
        point instead of one per monomial). Same value; every intermediate is a partial sum of
        monomials, so the int64 bound of `_call` still holds."""
        sizes = [np.size(v) for v in values]
        big = tuple(sorted((i for i, n in enumerate(sizes) if n > 1), key=lambda i: -sizes[i]))
        if not big:
            return self.p_func if which == "p" else self.q_func
        key = (which, big)
        func = self._by_shape.get(key)
        if func is None:
            s = sp()
            expr = _horner(self.p if which == "p" else self.q, [self.used[i] for i in big])
            func = self._by_shape[key] = s.lambdify(self.used, expr, "numpy", cse=True)
        return func

    def _evaluate(self, ctx: Context) -> Val:
        values, bounds = [], []
        for i, leaf in enumerate(self.leaves):
            v = leaf.evaluate(ctx)
            num_bound, den_bound = v.bounds()
            values.append(v.num)
            bounds.append(num_bound)
            if self.args[2 * i + 1] is not None:
                values.append(v.den)
                bounds.append(den_bound)
        num = _call(self._func("p", values), self.p_bound, values, bounds)
        if self.q_const is not None:
            return Val(num, self.q_const)
        den = _call(self._func("q", values), self.q_bound, values, bounds)
        return Val(*_positive_den(num, den))


def _horner(expr: Any, gens: list[Any]) -> Any:
    """expr as nested c_d·x^d + ... + c_0 = ((c_d·x + c_(d-1))·x + ...)·x + c_0 in gens[0], the
    coefficients likewise in gens[1:]."""
    if not gens:
        return expr
    s = sp()
    x, rest = gens[0], gens[1:]
    coeffs = s.Poly(expr, x).all_coeffs()
    out = _horner(coeffs[0], rest)
    for c in coeffs[1:]:
        out = out * x + _horner(c, rest)
    return out


def _bound_terms(poly: Any, args: list[Any]) -> list[tuple[int, tuple[int, ...]]]:
    s = sp()
    if not args:
        return [(abs(int(poly)), ())]
    return [(abs(int(c)), e) for e, c in s.Poly(poly, *args).terms()]


def _call(func: Callable, terms: list, values: list, bounds: list[int]) -> Array:
    bound = 0
    for coef, exps in terms:
        m = coef
        for b, e in zip(bounds, exps, strict=True):
            if e:
                m *= b**e
        bound += m
    if bound < INT64_LIMIT:
        return func(*values)
    return func(*(as_object(v) for v in values))


class _Floor(Node):
    den = 1

    def __init__(self, child: Node, ceiling: bool) -> None:
        self.child, self.ceiling = child, ceiling

    def _evaluate(self, ctx: Context) -> Val:
        v = self.child.evaluate(ctx)
        if _is_one(v.den):
            return Val(v.num)
        if self.ceiling:
            return Val(-((-v.num) // v.den))
        return Val(v.num // v.den)


class _Mod(Node):
    """Mod(a, b) with the sign of b, as sympy and numpy define it: (a·qb mod b·qa) / (qa·qb)."""

    def __init__(self, a: Node, b: Node) -> None:
        self.a, self.b = a, b
        if a.den is not None and b.den is not None:
            self.den = a.den * b.den

    def _evaluate(self, ctx: Context) -> Val:
        a, b = self.a.evaluate(ctx), self.b.evaluate(ctx)
        if _is_one(b.num) and _is_one(b.den):  # Mod(x, 1): the fractional part, x = p/q
            return Val(a.num % a.den, a.den)
        modulus = mul(b.num, a.den)
        if isinstance(modulus, np.ndarray):
            if not modulus.all():  # Mod(x, 0) only where a binding check already failed
                modulus = np.where(modulus == 0, 1, modulus)
        else:
            modulus = modulus or 1
        return Val(mul(a.num, b.den) % modulus, mul(a.den, b.den))


class _Abs(Node):
    def __init__(self, child: Node) -> None:
        self.child = child
        self.den = child.den

    def _evaluate(self, ctx: Context) -> Val:
        v = self.child.evaluate(ctx)
        return Val(abs(v.num), v.den)


class _Extremum(Node):
    def __init__(self, args: list[Node], largest: bool) -> None:
        self.items, self.largest = args, largest

    def _evaluate(self, ctx: Context) -> Val:
        best = self.items[0].evaluate(ctx)
        for node in self.items[1:]:
            v = node.evaluate(ctx)
            left, right = mul(v.num, best.den), mul(best.num, v.den)
            better = left > right if self.largest else left < right
            best = Val(np.where(better, v.num, best.num), np.where(better, v.den, best.den))
        return best


class _Piecewise(Node):
    """First branch whose condition holds (numpy.select); `matched(ctx)` says where one did."""

    def __init__(self, values: list[Node], conditions: list[Node | bool]) -> None:
        self.values, self.conditions = values, conditions
        dens = [v.den for v in values]
        self.den = math.lcm(*dens) if all(d is not None for d in dens) else None
        self.total = any(c is True for c in conditions)

    def matched(self, ctx: Context) -> Any:
        out: Any = False
        for c in self.conditions:
            out = out | (c if isinstance(c, bool) else c.evaluate(ctx))
        return out

    def _evaluate(self, ctx: Context) -> Val:
        conds = [np.asarray(c if isinstance(c, bool) else c.evaluate(ctx))
                 for c in self.conditions]
        vals = [v.evaluate(ctx) for v in self.values]
        if self.den is not None:
            nums = [mul(v.num, self.den // v.den) for v in vals]
            return Val(np.select(conds, nums, 0), self.den)
        return Val(np.select(conds, [v.num for v in vals], 0),
                   np.select(conds, [v.den for v in vals], 1))


_RELATIONS = {
    "==": lambda p: p == 0, "!=": lambda p: p != 0, "<": lambda p: p < 0,
    "<=": lambda p: p <= 0, ">": lambda p: p > 0, ">=": lambda p: p >= 0,
}


class _Relation(Node):
    """lhs OP rhs, decided by the sign of the numerator of lhs − rhs (den > 0)."""

    def __init__(self, difference: Node, op: str) -> None:
        self.difference, self.test = difference, _RELATIONS[op]

    def _evaluate(self, ctx: Context) -> Any:
        return self.test(self.difference.evaluate(ctx).num)


class _Logic(Node):
    def __init__(self, op: str, args: list[Node | bool]) -> None:
        self.op, self.items = op, args

    def _evaluate(self, ctx: Context) -> Any:
        values = [a if isinstance(a, bool) else a.evaluate(ctx) for a in self.items]
        if self.op == "not":
            return np.logical_not(values[0])
        out = values[0]
        for v in values[1:]:
            out = (out & v) if self.op == "and" else (out | v)
        return out


class Compiler:
    """Compiles sympy expressions over declared variables into `Node`s (shared subexpressions
    are compiled, and evaluated, once).

    `variables` maps each symbol to its denominator: an int if constant, None if per point.
    `definitions` maps further symbols (lets) to the expressions they stand for.
    """

    def __init__(self, variables: dict[Any, int | None],
                 definitions: dict[Any, Any] | None = None) -> None:
        self.variables = variables
        self.definitions = definitions or {}
        self.nodes: dict[Any, Node] = {}

    def number(self, expr: Any) -> Node:
        """A numeric expression -> node giving `Val`s."""
        s = sp()
        expr = s.sympify(expr)
        if expr in self.nodes:
            return self.nodes[expr]
        node = self._number(expr)
        self.nodes[expr] = node
        return node

    def condition(self, expr: Any) -> Node | bool:
        """A sympy Boolean -> node giving bool arrays (or a plain bool if decided)."""
        s = sp()
        if expr is True or expr is s.true:
            return True
        if expr is False or expr is s.false:
            return False
        key = ("condition", expr)
        if key in self.nodes:
            return self.nodes[key]
        node = self._condition(expr)
        self.nodes[key] = node
        return node

    # --- numbers ------------------------------------------------------------------------------
    def _number(self, expr: Any) -> Node:
        s = sp()
        if expr.is_Rational:
            return _Constant(int(expr.p), int(expr.q))
        if expr.is_Symbol:
            if expr in self.variables:
                return _Variable(expr, self.variables[expr])
            if expr in self.definitions:
                return self.number(self.definitions[expr])
            raise VectorizeError(f"symbol {expr} has no value in this evaluation")
        if expr.func in (s.floor, s.ceiling):
            return _Floor(self.number(expr.args[0]), ceiling=expr.func is s.ceiling)
        if expr.func is s.Mod:
            return _Mod(self.number(expr.args[0]), self.number(expr.args[1]))
        if expr.func is s.Abs:
            return _Abs(self.number(expr.args[0]))
        if expr.func in (s.Max, s.Min):
            return _Extremum([self.number(a) for a in expr.args], largest=expr.func is s.Max)
        if isinstance(expr, s.Piecewise):
            return _Piecewise([self.number(e) for e, _ in expr.args],
                              [self.condition(c) for _, c in expr.args])
        if expr.is_Add or expr.is_Mul or expr.is_Pow:
            return self._rational(expr)
        raise VectorizeError(f"cannot evaluate {expr} exactly over arrays",
                             hint="supported: + - * / integer powers, floor, ceiling, Mod, "
                                  "Min, Max, Abs, Piecewise")

    def _rational(self, expr: Any) -> Node:
        s = sp()
        leaves: dict[Any, tuple[Any, Node]] = {}  # leaf expression -> (placeholder, node)

        def opaque(e: Any) -> Any:  # replace variables, lets and non-rational terms by leaves
            if e.is_Rational:
                return e
            if e.is_Add or e.is_Mul:
                return e.func(*(opaque(a) for a in e.args))
            if e.is_Pow:
                if not e.exp.is_Integer:
                    raise VectorizeError(f"cannot evaluate {e} exactly: the exponent is not a "
                                         "whole number")
                return opaque(e.base) ** e.exp
            if e not in leaves:
                leaves[e] = (s.Symbol(f"_leaf{len(leaves)}"), self.number(e))
            return leaves[e][0]

        replaced = opaque(expr)
        args: list[Any] = []  # per leaf: numerator symbol, then denominator symbol or None
        subs = {}
        for i, (placeholder, node) in enumerate(leaves.values()):
            n_sym = s.Symbol(f"_n{i}")
            if node.den is None:
                d_sym = s.Symbol(f"_d{i}")
                args += [n_sym, d_sym]
                subs[placeholder] = n_sym / d_sym
            else:
                args += [n_sym, None]
                subs[placeholder] = n_sym / node.den
        p, q = s.fraction(s.together(replaced.xreplace(subs)))
        used = [a for a in args if a is not None]
        scale = 1  # clear rational coefficients so P and Q are integer polynomials
        for poly in (p, q):
            coeffs = s.Poly(poly, *used).coeffs() if used else [poly]
            scale = math.lcm(scale, *(int(s.Rational(c).q) for c in coeffs))
        p, q = s.expand(p * scale), s.expand(q * scale)
        if q.is_Integer and q < 0:
            p, q = -p, -q
        if q.is_Integer and p.is_Integer:
            g = math.gcd(int(p), int(q)) or 1
            return _Constant(int(p) // g, int(q) // g)
        return _Rational([node for _, node in leaves.values()], args, p, q)

    # --- conditions ---------------------------------------------------------------------------
    def _condition(self, expr: Any) -> Node:
        s = sp()
        relations = {s.Eq: "==", s.Ne: "!=", s.StrictLessThan: "<", s.LessThan: "<=",
                     s.StrictGreaterThan: ">", s.GreaterThan: ">="}
        if expr.func in relations:
            lhs, rhs = expr.args
            return _Relation(self.number(lhs - rhs), relations[expr.func])
        if expr.func in (s.And, s.Or):
            return _Logic("and" if expr.func is s.And else "or",
                          [self.condition(a) for a in expr.args])
        if expr.func is s.Not:
            return _Logic("not", [self.condition(expr.args[0])])
        raise VectorizeError(f"cannot evaluate the condition {expr} over arrays")
