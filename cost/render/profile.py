"""A profile as a terminal or markdown table, closed forms, JSON or CSV.

The rows come from `cost.engine.frame` (numbers unformatted); a tool's counting convention, if
asked for, is counted here (`cost.conventions.count`) and handed to the frame as one more
column. Numbers and JSON values are written by `cost.render.format`.
"""

from __future__ import annotations

from typing import Any

from cost.engine.frame import frame, scaled
from cost.measures import convention_line
from cost.render.format import dumps, exact, fixed, format_count, shape_text
from cost.symbolic import render


def assumptions(profile: Any) -> list[str]:
    """Named modelling assumptions a profile was computed under (e.g. deployment fusion)."""
    return list(profile.assumptions)


def rows(profile: Any, depth: int | None = None, dtype_bytes: int = 1,
         convention: str = "paper") -> Any:
    """The profile's DataFrame (`cost.engine.frame.frame`); under another counting convention
    than `paper`, a column named after it follows madds."""
    extra = {}
    if convention != "paper":
        from cost.conventions import count

        extra[convention] = count(profile, convention).values
    return frame(profile, depth, dtype_bytes, extra)


def header(profile: Any) -> str:
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


def totals_lines(profile: Any, dtype_bytes: int = 1) -> list[str]:
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
            f"intensity {fixed(t.intensity, 2)} madds per element moved",
        ]
    return [
        f"total madds  = {profile.formula('madds')}",
        f"total params = {profile.formula('params')}",
        f"total mem    = {profile.show(scaled(t.mem, dtype_bytes))} ({mem_unit})",
    ]


def render_table(profile: Any, *, depth: int | None = None, fmt: str = "table",
                 dtype_bytes: int = 1, convention: str = "paper") -> str:
    """The profile as a terminal table or markdown: rows, totals, and the convention line."""
    from tabulate import tabulate

    df = rows(profile, depth, dtype_bytes, convention)
    counted = convention != "paper"
    shown = [
        [r["path"], r["op"], shape_text(r["out_shape"]), format_count(r["madds"]),
         *([format_count(r[convention])] if counted else []), format_count(r["params"]),
         format_count(r["mem"]), fixed(r["intensity"], 1)]
        for r in df.to_dict("records")
    ]
    headers = ["path", "op", "out shape", "madds", *([convention] if counted else []), "params",
               "mem", "madds/mem"]
    style = "github" if fmt == "markdown" else "simple"
    body = tabulate(shown, headers=headers, tablefmt=style, disable_numparse=True,
                    colalign=("left", "left", "left", *("right",) * (len(headers) - 3)))
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


def counted_lines(profile: Any, convention: str) -> list[str]:
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


def render_symbolic(profile: Any, *, depth: int = 1, dtype_bytes: int = 1,
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


def to_json(profile: Any, *, dtype_bytes: int = 1, depth: int | None = None,
            convention: str = "paper") -> str:
    """JSON with integers (expressions as strings while symbols are free)."""
    df = rows(profile, depth, dtype_bytes, convention)
    counted = [convention] if convention != "paper" else []
    t = profile.total
    doc = {
        "spec": profile.spec.path,
        "name": profile.spec.name,
        "bindings": profile.bindings,
        "preset": profile.env.preset,
        "free": list(profile.env.free),
        "convention": convention_line(dtype_bytes),
        "assumptions": assumptions(profile),
        "total": {k: profile.show(scaled(v, dtype_bytes) if k.startswith("mem") else v)
                  for k, v in t.as_dict().items()},
        "layers": [
            {"path": r["path"], "op": r["op"], "in_shapes": r["in_shapes"],
             "out_shape": r["out_shape"],
             **{c: r[c] for c in ("madds", *counted, "params", "mem_read", "mem_write")}}
            for r in df.to_dict("records")
        ],
    }
    if counted:
        from cost.conventions import count, get

        doc["counting"] = {"convention": convention, "line": get(convention).line(),
                           "total": profile.show(count(profile, convention).total)}
    return dumps(doc)


def to_csv(profile: Any, *, dtype_bytes: int = 1, depth: int | None = None,
           convention: str = "paper") -> str:
    df = rows(profile, depth, dtype_bytes, convention)
    df["in_shapes"] = df["in_shapes"].map(lambda xs: " ".join(shape_text(x) for x in xs))
    df["out_shape"] = df["out_shape"].map(shape_text)
    return df.to_csv(index=False)


def render_profile(profile: Any, fmt: str = "table", *, depth: int | None = None,
                   dtype_bytes: int = 1, convention: str = "paper") -> str:
    """The profile in `fmt`: json, csv, or a table (markdown) of rows, or closed forms per block
    (`depth`, default 1) while symbols are free."""
    options = {"dtype_bytes": dtype_bytes, "convention": convention}
    if fmt == "json":
        return to_json(profile, depth=depth, **options)
    if fmt == "csv":
        return to_csv(profile, depth=depth, **options)
    if profile.symbolic:
        return render_symbolic(profile, depth=depth or 1, **options)
    return render_table(profile, depth=depth, fmt=fmt, **options)
