"""The expression allow-list: exact arithmetic, the allowed functions, and what is refused."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cost.errors import ExprError
from cost.spec.expr import make_divisible, parse


@pytest.mark.parametrize("text,env,value", [
    ("cout/4 - 1", {"cout": 240}, 59),
    ("0.1 + 0.2", {}, Fraction(3, 10)),               # exact: no float rounding
    ("150e6", {}, 150_000_000),
    ("7 // 2 + 7 % 2", {}, 4),
    ("2**10", {}, 1024),
    ("min(3, x) + max(1, 2)", {"x": 5}, 5),
    ("floor(7/2) + ceil(7/2)", {}, 7),
    ("round(2.5) + round(3.5)", {}, 7),               # half up: 3 + 4 (not banker's 2 + 4)
    ("widths[2]", {"widths": [24, 116, 232]}, 232),
    ("-s*c", {"s": Fraction(1, 2), "c": 240}, -120),
])
def test_values(text: str, env: dict, value: object) -> None:
    assert parse(text).evaluate(env) == value


@pytest.mark.parametrize("text,fragment", [
    ("__import__('os')", "not allowed"),
    ("x.__class__", "attribute access is not allowed"),
    ("(lambda: 1)()", "not allowed"),
    ("'a' * 3", "only numbers"),
    ("[i for i in x]", "not allowed"),
    ("open('f')", "call of 'open' is not allowed"),
    ("min(a=1, b=2)", "keyword arguments"),
    ("10**10**10", "exponent"),
    ("x if y else z", "conditional expression is not allowed"),
    ("a < b", "Compare is not allowed"),
    ("_x + 1", "names starting with '_'"),
    ("1 +", "cannot parse"),
    ("y", "unknown name 'y'"),
    ("1/0", "division by zero"),
])
def test_refused(text: str, fragment: str) -> None:
    with pytest.raises(ExprError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse(text).evaluate({"x": 1})


def test_comparisons_only_in_filters() -> None:
    assert parse("madds <= 150e6 and params < 2e6", comparisons=True).evaluate(
        {"madds": 137_460_672, "params": 1_864_728}) is True


def reference_make_divisible(v: Fraction, divisor: int, min_value: int | None = None) -> int:
    """torchvision/TF `_make_divisible`, written with floats as they do (for comparison)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


@given(st.fractions(min_value=1, max_value=4000, max_denominator=8),
       st.sampled_from([1, 2, 4, 8, 16]))
def test_make_divisible_matches_torchvision(v: Fraction, divisor: int) -> None:
    assert make_divisible(v, divisor) == reference_make_divisible(v, divisor)


def test_make_divisible_symbolic_then_bound() -> None:
    import sympy as sp

    x = sp.Symbol("x", positive=True)
    expr = make_divisible(x * 32, 8)
    for value in (Fraction(1, 4), Fraction(7, 20), 1, Fraction(3, 2)):
        assert expr.subs(x, sp.Rational(value.numerator if isinstance(value, Fraction) else value,
                                        value.denominator if isinstance(value, Fraction) else 1)
                         ) == make_divisible(32 * value, 8)
