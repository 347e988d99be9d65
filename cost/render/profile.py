"""Rendering: numbers become text only here (and in the CLI and plots).

`format_count` gives three significant figures with K/M/G, as fvcore and torchinfo do; totals are
printed exactly with thousands separators.

>>> format_count(137_460_672), format_count(8_128_512), format_count(648)
('137M', '8.13M', '648')
"""

from __future__ import annotations

import json
from typing import Any

from cost.measures import convention_line
from cost.symbolic import is_concrete, render, render_shape

COLUMNS = ("madds", "params", "mem_read", "mem_write", "mem")


def assumptions(profile) -> list[str]:  # noqa: ANN001
    """Named modelling assumptions a profile was computed under (e.g. deployment fusion)."""
    return list(profile.assumptions)


def format_count(v: Any) -> str:
    """3 significant figures with a K/M/G/T suffix; expressions are printed as they are."""
    if not is_concrete(v):
        return str(v)
    if abs(v) >= 10**15:  # exact, whatever the size (float() overflows past 1e308)
        digits = str(abs(int(v)))
        return f"{'-' if v < 0 else ''}{digits[0]}.{digits[1:3]}e{len(digits) - 1}"
    v = float(v)
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            x = v / div
            text = f"{x:.3g}"
            if "e" in text:  # 1000 of a unit rounds up to the next
                text = f"{x:.0f}"
            return text + suffix
    return f"{v:.3g}" if v != int(v) else f"{int(v)}"


def _ratio(v: Any) -> str:
    try:
        return f"{float(v):.2f}"
    except OverflowError:
        return format_count(v)


def exact(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else render(v)


def shapes_text(shapes: tuple) -> str:
    if len(shapes) == 1:
        return render_shape(shapes[0])
    return " ".join(render_shape(s) for s in shapes)


def scaled(value: Any, dtype_bytes: int) -> Any:
    return value * dtype_bytes if dtype_bytes != 1 else value


def frame(profile, depth: int | None = None, dtype_bytes: int = 1,  # noqa: ANN001, ANN201
          convention: str = "paper"):
    """Rows of a Profile as a DataFrame: path, op, in/out shapes, madds, params, mem columns.

    Under another counting convention than `paper` a column named after it follows madds.
    """
    import pandas as pd

    rows, columns = records(profile, depth, dtype_bytes, convention)
    return pd.DataFrame(rows, columns=columns)


def records(profile, depth: int | None = None, dtype_bytes: int = 1,  # noqa: ANN001
            convention: str = "paper") -> tuple[list[dict], list[str]]:
    """The rows of `frame` as plain dicts, and its columns (no pandas: fast for big networks)."""
    from cost.conventions import get
    from cost.symbolic import total

    counted = get(convention) if convention != "paper" else None
    rows = []
    if depth is None:
        items = [(la.path, la.op, la.in_shapes, la.out_shapes, la.cost, [la])
                 for la in profile.layers]
    else:
        items = [(g.path, g.op, g.layers[0].in_shapes, g.out_shapes, g.cost, g.layers)
                 for g in profile.groups(depth)]
    for path, op, ins, outs, cost, layers in items:
        values = cost.as_dict()
        extra = {} if counted is None else {
            convention: profile.show(total(counted.of(la) for la in layers))}
        rows.append({
            "path": path, "op": op,
            "in_shapes": [list(map(profile.show, x)) for x in ins],
            "out_shape": [profile.show(d) for d in outs[0]] if len(outs) == 1
            else [[profile.show(d) for d in y] for y in outs],
            **{c: profile.show(scaled(values[c], dtype_bytes) if c.startswith("mem") else values[c])
               for c in COLUMNS},
            "intensity": profile.show(cost.intensity),
            **extra,
        })
    columns = ["path", "op", "in_shapes", "out_shape", "madds", *([convention] if counted else []),
               *COLUMNS[1:], "intensity"]
    return rows, columns


def header(profile) -> str:  # noqa: ANN001
    spec = profile.spec
    bound = ", ".join(f"{k}={render(v)}" for k, v in profile.bindings.items())
    free = ", ".join(profile.env.free)
    parts = [f"{spec.name} ({spec.path})"]
    if profile.env.preset:
        parts.append(f"preset {profile.env.preset}")
    if bound:
        parts.append(bound)
    if free:
        parts.append(f"free: {free}")
    return " · ".join(parts)


def totals_lines(profile, dtype_bytes: int = 1) -> list[str]:  # noqa: ANN001
    t = profile.total
    mem_unit = "elements" if dtype_bytes == 1 else "bytes"
    if not profile.symbolic:
        return [
            f"total madds:  {exact(t.madds)} ({format_count(t.madds)}; "
            f"FLOPs(2x) {format_count(t.flops)})",
            f"total params: {exact(t.params)} ({format_count(t.params)})",
            f"total mem:    {exact(scaled(t.mem, dtype_bytes))} {mem_unit} "
            f"(read {format_count(scaled(t.mem_read, dtype_bytes))}, "
            f"write {format_count(scaled(t.mem_write, dtype_bytes))}); "
            f"intensity {_ratio(t.intensity)} madds per element moved",
        ]
    return [
        f"total madds  = {profile.formula('madds')}",
        f"total params = {profile.formula('params')}",
        f"total mem    = {profile.show(scaled(t.mem, dtype_bytes))} ({mem_unit})",
    ]


def render_table(profile, *, depth: int | None = None, fmt: str = "table",  # noqa: ANN001
                 dtype_bytes: int = 1, convention: str = "paper") -> str:
    """The profile as a terminal table or markdown: rows, totals, and the convention line."""
    rows, _ = records(profile, depth, dtype_bytes, convention)
    counted = convention != "paper"
    shown = [
        [r["path"], r["op"], _shape_cell(r["out_shape"]), format_count(r["madds"]),
         *([format_count(r[convention])] if counted else []), format_count(r["params"]),
         format_count(r["mem"]), f"{float(r['intensity']):.1f}"]
        for r in rows
    ]
    headers = ["path", "op", "out shape", "madds", *([convention] if counted else []), "params",
               "mem", "madds/mem"]
    style = "github" if fmt == "markdown" else "simple"
    body = table_text(shown, headers, style,
                      ("left", "left", "left", *("right",) * (len(headers) - 3)))
    lines = [header(profile), "", body, ""]
    lines += totals_lines(profile, dtype_bytes)
    lines += counted_lines(profile, convention)
    if profile.constraints:
        lines.append(f"pending constraints: {len(profile.constraints)} (checked when bound)")
    lines.append(convention_line(dtype_bytes))
    lines += convention_note(convention)
    lines += [f"assumption: {a}" for a in assumptions(profile)]
    if fmt == "markdown":
        lines = [lines[0], "", *lines[2:3], "", *(f"- {x}" for x in lines[4:])]
    return "\n".join(lines)


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


def counted_lines(profile, convention: str) -> list[str]:  # noqa: ANN001
    """The total under a named counting convention other than `paper` (cost.conventions)."""
    if convention == "paper":
        return []
    from cost.conventions import count

    value = count(profile, convention).total
    if not profile.symbolic:
        return [f"total {convention}: {exact(value)} ({format_count(value)})"]
    return [f"total {convention} = {profile.show(value)}"]


def convention_note(convention: str) -> list[str]:
    if convention == "paper":
        return []
    from cost.conventions import get

    return [get(convention).line()]


def render_symbolic(profile, *, depth: int = 1, dtype_bytes: int = 1,  # noqa: ANN001
                    convention: str = "paper") -> str:
    """Closed forms per block (path prefix of `depth` parts) and in total."""
    lines = [header(profile), ""]
    for g in profile.groups(depth):
        c = g.cost
        if c.madds == 0 and c.params == 0:
            continue
        lines.append(f"{g.path} ({g.op})")
        lines.append(f"  madds  = {profile.show(c.madds)}")
        lines.append(f"  params = {profile.show(c.params)}")
    lines.append("")
    lines += totals_lines(profile, dtype_bytes)
    lines += counted_lines(profile, convention)
    for symbol, definition in profile.env.definitions.items():
        lines.append(f"where {symbol} = {profile.show(definition)}")
    if profile.constraints:
        lines.append(f"pending constraints: {len(profile.constraints)} (checked when bound)")
    lines.append(convention_line(dtype_bytes))
    lines += convention_note(convention)
    lines += [f"assumption: {a}" for a in assumptions(profile)]
    return "\n".join(lines)


def _shape_cell(shape: Any) -> str:
    if shape and isinstance(shape[0], list):
        return " ".join("[" + ", ".join(map(str, s)) + "]" for s in shape)
    return "[" + ", ".join(map(str, shape)) + "]"


def _jsonable(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return render(v)


def to_json(profile, *, dtype_bytes: int = 1, depth: int | None = None,  # noqa: ANN001
            convention: str = "paper") -> str:
    """JSON with integers (expressions as strings while symbols are free)."""
    df = frame(profile, depth, dtype_bytes, convention)
    counted = [convention] if convention != "paper" else []
    t = profile.total
    doc = {
        "spec": profile.spec.path,
        "name": profile.spec.name,
        "bindings": {k: _jsonable(v) for k, v in profile.bindings.items()},
        "preset": profile.env.preset,
        "free": list(profile.env.free),
        "convention": convention_line(dtype_bytes),
        "assumptions": assumptions(profile),
        "total": {k: _jsonable(profile.show(scaled(v, dtype_bytes) if k.startswith("mem") else v))
                  for k, v in t.as_dict().items()},
        "layers": [
            {"path": r["path"], "op": r["op"], "in_shapes": _jsonable(r["in_shapes"]),
             "out_shape": _jsonable(r["out_shape"]),
             **{c: _jsonable(r[c])
                for c in ("madds", *counted, "params", "mem_read", "mem_write")}}
            for r in df.to_dict("records")
        ],
    }
    if counted:
        from cost.conventions import count, get

        doc["counting"] = {"convention": convention, "line": get(convention).line(),
                           "total": _jsonable(profile.show(count(profile, convention).total))}
    return json.dumps(doc, indent=2)


def to_csv(profile, *, dtype_bytes: int = 1, depth: int | None = None,  # noqa: ANN001
           convention: str = "paper") -> str:
    df = frame(profile, depth, dtype_bytes, convention)
    df["in_shapes"] = df["in_shapes"].map(lambda xs: " ".join(_shape_cell(x) for x in xs))
    df["out_shape"] = df["out_shape"].map(_shape_cell)
    return df.to_csv(index=False)
