"""Numbers become text here, and values become JSON here: every renderer of `cost.render` uses
these functions, so a count looks the same in every table, line and document.

Counts: `format_count` gives three significant figures with K/M/G/T, as fvcore and torchinfo do;
`exact` gives the whole integer with thousands separators (expressions as sympy prints them).

>>> format_count(137_460_672), format_count(8_128_512), format_count(648), exact(137_460_672)
('137M', '8.13M', '648', '137,460,672')
>>> signed_count(12_900_000), signed_count(-48_000), value_text(Fraction(1, 3))
('+12.9M', '-48K', '1/3')
>>> fixed(5.2968, 2), fixed(-1234.5, 0, sign=True, grouped=True), significant(9.4105, 3, sign=True)
('5.30', '-1,234', '+9.41')
>>> percent(0.147), shape_text((1, 24, 112, 112)), shape_text([[1, 2], [1, 3]])
('14.7%', '[1, 24, 112, 112]', '[1, 2] [1, 3]')

JSON: `jsonable` keeps ints exact (never floats, however large), bools and None as they are,
floats as floats (NaN, pandas' missing value, as null), numpy scalars and arrays as the Python
values they hold, and writes Fractions and sympy expressions as text ("3/2", "43527*r**2/16 +
960000"); lists, tuples and dicts are converted item by item. `dumps` writes it indented by 2.

>>> print(dumps({"s": Fraction(3, 2), "madds": 137460672, "shape": (1, 960), "ok": True}))
{
  "s": "3/2",
  "madds": 137460672,
  "shape": [
    1,
    960
  ],
  "ok": true
}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from cost.symbolic import decimal_text as value_text  # the exact text of a value
from cost.symbolic import is_concrete, render

# --- numbers as text ---------------------------------------------------------------------------


def format_count(v: Any) -> str:
    """3 significant figures with a K/M/G/T suffix; expressions are printed as they are."""
    v = _python(v)
    if not is_concrete(v):
        return str(v)
    if abs(v) >= 10**15:  # exact, whatever the size (float() overflows past 1e308)
        digits = str(abs(int(v)))
        return f"{'-' if v < 0 else ''}{digits[0]}.{digits[1:3]}e{len(digits) - 1}"
    v = float(v)
    rounded = float(f"{v:.3g}")  # the unit follows the rounded value: 999,500 is 1M, not 1000K
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(rounded) >= div:
            x = v / div
            text = f"{x:.3g}"
            if "e" in text:  # past the largest unit: thousands of T
                text = f"{x:.0f}"
            return text + suffix
    return f"{v:.3g}" if v != int(v) else f"{int(v)}"


def signed_count(v: Any) -> str:
    """`format_count` with a + before positive values (differences): +12.9M, -48K, 0."""
    return ("+" if v > 0 else "") + format_count(v)


def exact(v: Any) -> str:
    """An int with thousands separators (137,460,672); anything else as `cost.symbolic.render`."""
    v = _python(v)
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else render(v)


def _python(v: Any) -> Any:
    """A numpy scalar as the Python number it holds (an int64 count formats as an int)."""
    return v.item() if hasattr(v, "dtype") and getattr(v, "shape", None) == () else v


def decimal_value(v: Any) -> Any:
    """A binding value for JSON where decimals read best: a Fraction that is a short decimal
    becomes that float (0.25), any other Fraction its text ("1/3"); other values pass through.

    >>> decimal_value(Fraction(1, 4)), decimal_value(Fraction(1, 3)), decimal_value(8)
    (0.25, '1/3', 8)
    """
    if isinstance(v, Fraction):
        text = value_text(v)
        return float(text) if "/" not in text else text
    return v


def fixed(v: Any, digits: int, *, sign: bool = False, grouped: bool = False) -> str:
    """`digits` decimals (a ratio, seconds, millions); + before non-negative values with `sign`,
    thousands separators with `grouped`."""
    try:
        number = float(v)
    except OverflowError:  # an exact value past float range (1e308): its magnitude instead
        return format_count(v)
    return format(number, f"{'+' if sign else ''}{',' if grouped else ''}.{digits}f")


def significant(v: Any, digits: int, *, sign: bool = False) -> str:
    """`digits` significant figures (intensity, a solution's numeric value, a relative change)."""
    return format(float(v), f"{'+' if sign else ''}.{digits}g")


def percent(share: Any, digits: int = 1) -> str:
    """A share (0.147) as a percentage with `digits` decimals (14.7%)."""
    return format(float(share), f".{digits}%")


def duration(seconds: Any) -> str:
    """A time in seconds with 3 significant figures and a unit: s, ms, µs or ns.

    >>> duration(0.0037017), duration(1.25e-5), duration(2), duration(0)
    ('3.70 ms', '12.5 µs', '2.00 s', '0 s')
    """
    v = float(seconds)
    if v == 0:
        return "0 s"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if abs(v) >= scale * 0.9995:
            return f"{v / scale:#.3g} {unit}".replace(". ", " ")
    return f"{v / 1e-9:#.3g} ns".replace(". ", " ")


def rate(v: Any, unit: str) -> str:
    """A rate with 3 significant figures and T/G/M (a device's peak, its bandwidth); "-" for an
    unbounded one.

    >>> rate(2.5e10, "madd/s"), rate(1.234e9, "B/s"), rate(512, "B/s"), rate(math.inf, "B/s")
    ('25 Gmadd/s', '1.23 GB/s', '512 B/s', '-')
    """
    v = float(v)
    if math.isinf(v):
        return "-"
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if v >= scale:
            return f"{v / scale:.3g} {prefix}{unit}"
    return f"{v:.3g} {unit}"


def shape_text(shape: Any) -> str:
    """A shape as [1, 24, 112, 112]; several shapes (a list of shapes) separated by spaces."""
    if shape and isinstance(shape[0], (list, tuple)):
        return " ".join(shape_text(s) for s in shape)
    return "[" + ", ".join(render(d) for d in shape) + "]"


# --- values as JSON ----------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """`value` with only JSON types left (see the module docstring for each kind)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy scalars and arrays
        return jsonable(value.tolist())
    return render(value)  # Fraction 3/2, sympy expressions


def _key(k: Any) -> Any:
    return k if k is None or isinstance(k, (str, int, float, bool)) else render(k)


COMPACT_ROWS = 10_000  # a list this long is written one compact row a line (see `dumps`)


def dumps(doc: Any) -> str:
    """`doc` as JSON text, indented by 2 (`jsonable` first).

    A top-level list of more than `COMPACT_ROWS` entries (a profile of 100,000 layers) is
    written one entry a line, each entry compact: the same JSON value, written by the C encoder
    (indentation falls back to Python's, 5 s for such a profile).
    """
    value = jsonable(doc)
    if not isinstance(value, dict) or not any(
            isinstance(v, list) and len(v) > COMPACT_ROWS for v in value.values()):
        return json.dumps(value, indent=2)
    parts = []
    for key, v in value.items():
        if isinstance(v, list) and len(v) > COMPACT_ROWS:
            rows = ",\n    ".join(json.dumps(x) for x in v)
            parts.append(f"  {json.dumps(key)}: [\n    {rows}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: " + json.dumps(v, indent=2).replace("\n", "\n  "))
    return "{\n" + ",\n".join(parts) + "\n}"


def table_text(rows: list[list[str]], headers: list[str], style: str,
               align: tuple[str, ...]) -> str:
    """tabulate's `simple` or `github` table of text cells, written directly when every cell is
    plain ASCII (tabulate takes ~10 s for 100,000 rows; this takes well under one)."""
    cells = [*headers, *(c for row in rows for c in row)]
    if not all(c.isascii() and c.isprintable() for c in cells):
        from tabulate import tabulate

        return tabulate(rows, headers=headers, tablefmt=style, disable_numparse=True,
                        colalign=align)
    widths = [len(h) + 2 for h in headers]
    for row in rows:
        for i, c in enumerate(row):
            if len(c) > widths[i]:
                widths[i] = len(c)

    def line(row: list[str]) -> list[str]:
        return [c.ljust(w) if a == "left" else c.rjust(w)
                for c, w, a in zip(row, widths, align, strict=True)]

    if style == "github":
        out = ["| " + " | ".join(line(headers)) + " |",
               "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += ["| " + " | ".join(line(row)) + " |" for row in rows]
    else:
        out = ["  ".join(line(headers)).rstrip(), "  ".join("-" * w for w in widths)]
        out += ["  ".join(line(row)).rstrip() for row in rows]
    return "\n".join(out)
