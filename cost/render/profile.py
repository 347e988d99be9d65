"""A profile as a terminal or markdown table, closed forms, JSON or CSV.

The rows come from `cost.engine.frame` (numbers unformatted); a tool's counting convention, if
asked for, is counted here (`cost.conventions.count`) and handed to the frame as one more
column. Numbers and JSON values are written by `cost.render.format`.
"""

from __future__ import annotations

from typing import Any

from cost.engine.frame import column_names, frame, intensity, scaled
from cost.measures import convention_line
from cost.render.format import dumps, exact, fixed, format_count, shape_text, table_text
from cost.symbolic import render


def assumptions(profile: Any) -> list[str]:
    """Named modelling assumptions a profile was computed under (e.g. deployment fusion)."""
    return list(profile.assumptions)


def rows(profile: Any, depth: int | None = None, dtype_bytes: int = 1,
         convention: str = "paper", sort: str | None = None, top: int | None = None) -> Any:
    """The profile's DataFrame (`cost.engine.frame.frame`); under another counting convention
    than `paper`, a column named after it follows madds. `sort` orders the rows by a column,
    largest first (text columns from A to Z); `top` keeps the first N rows."""
    extra = {}
    if convention != "paper":
        from cost.conventions import count

        extra[convention] = count(profile, convention).values
    df = frame(profile, depth, dtype_bytes, extra)
    if sort is not None:
        df = sort_rows(df, sort, dtype_bytes)
    return df if top is None else df.head(top)


SORT_KEYS = ("madds", "params", "mem_read", "mem_write", "mem", "intensity", "live", "path", "op")


def sort_rows(df: Any, column: str, dtype_bytes: int = 1) -> Any:
    """Rows ordered by `column` (a name of `SORT_KEYS`, a convention column, or the column's
    name in bytes such as mem_bytes): numbers largest first, text A to Z; ties keep walk order."""
    from cost.errors import OptionError, did_you_mean

    names = {**{c: c for c in df.columns if c not in ("in_shapes", "out_shape")},
             **{k: v for k, v in column_names(dtype_bytes).items() if v in df.columns}}
    if column not in names:
        raise OptionError(f"--sort {column!r} is not a column",
                          hint=did_you_mean(column, names))
    name = names[column]
    if name in ("path", "op"):
        return df.sort_values(name, kind="stable")
    if df[name].map(lambda v: isinstance(v, (int, float))).all():
        return df.sort_values(name, ascending=False, kind="stable")
    raise OptionError(f"--sort {column}: the values are expressions in free symbols",
                      hint="bind them (--set) to sort by a number")


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


def unit(dtype_bytes: int) -> tuple[str, str]:
    """(plural, singular) of what memory is counted in."""
    return ("elements", "element") if dtype_bytes == 1 else ("bytes", "byte")


def totals_lines(profile: Any, dtype_bytes: int = 1) -> list[str]:
    t = profile.total
    units, per = unit(dtype_bytes)
    peak = scaled(profile.peak_mem, dtype_bytes)
    if not profile.symbolic:
        activations = scaled(profile.peak_mem - t.params, dtype_bytes)
        return [
            f"total madds:  {exact(t.madds)} ({format_count(t.madds)}; "
            f"FLOPs(2x) {format_count(t.flops)})",
            f"total params: {exact(t.params)} ({format_count(t.params)})",
            f"total mem:    {exact(scaled(t.mem, dtype_bytes))} {units} "
            f"(read {format_count(scaled(t.mem_read, dtype_bytes))}, "
            f"write {format_count(scaled(t.mem_write, dtype_bytes))}); "
            f"intensity {fixed(intensity(t.madds, scaled(t.mem, dtype_bytes)), 2)} "
            f"madds per {per} moved",
            f"peak mem:     {exact(peak)} {units} ({format_count(peak)}: activations "
            f"{format_count(activations)} + params "
            f"{format_count(scaled(t.params, dtype_bytes))})",
        ]
    return [
        f"total madds  = {profile.formula('madds')}",
        f"total params = {profile.formula('params')}",
        f"total mem    = {profile.show(scaled(t.mem, dtype_bytes))} ({units})",
        f"peak mem     = {profile.show(peak)} ({units})",
    ]


def render_table(profile: Any, *, depth: int | None = None, fmt: str = "table",
                 dtype_bytes: int = 1, convention: str = "paper", sort: str | None = None,
                 top: int | None = None) -> str:
    """The profile as a terminal table or markdown: rows, totals, and the convention line."""
    df = rows(profile, depth, dtype_bytes, convention, sort, top)
    names = column_names(dtype_bytes)
    counted = convention != "paper"
    shown = [
        [r["path"], r["op"], shape_text(r["out_shape"]), format_count(r["madds"]),
         *([format_count(r[convention])] if counted else []), format_count(r["params"]),
         format_count(r[names["mem"]]), fixed(r[names["intensity"]], 1),
         format_count(r[names["live"]])]
        for r in df.to_dict("records")
    ]
    headers = ["path", "op", "out shape", "madds", *([convention] if counted else []), "params",
               *(("mem", "madds/mem", "live") if dtype_bytes == 1
                 else ("mem (B)", "madds/B", "live (B)"))]
    style = "github" if fmt == "markdown" else "simple"
    body = table_text(shown, headers, style,
                      ("left", "left", "left", *("right",) * (len(headers) - 3)))
    lines = [header(profile), "", body, ""]
    lines += selection_lines(profile, depth, len(df), sort)
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


def selection_lines(profile: Any, depth: int | None, shown: int, sort: str | None) -> list[str]:
    """Which rows a sorted or cut table shows; the totals are always of the whole network."""
    count = len(profile.layers) if depth is None else len(profile.groups(depth))
    if sort is None and shown == count:
        return []
    order = f"largest {sort} first" if sort not in (None, "path", "op") else \
        f"by {sort}" if sort else "in walk order"
    return [f"rows: {shown} of {count}, {order}; totals are of all rows"]


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


def totals(profile: Any, dtype_bytes: int = 1) -> dict[str, Any]:
    """The totals as data, memory under its unit's names (`column_names`): exact integers,
    intensity a float (expressions while symbols are free)."""
    t = profile.total
    names = column_names(dtype_bytes)
    out = {names.get(k, k): profile.show(scaled(v, dtype_bytes) if k in names else v)
           for k, v in t.as_dict().items()}
    moved = scaled(t.mem, dtype_bytes)
    out[names["intensity"]] = profile.show(intensity(t.madds, moved)) if profile.symbolic \
        else intensity(t.madds, moved)
    out[names["peak_mem"]] = profile.show(scaled(profile.peak_mem, dtype_bytes))
    return out


def to_json(profile: Any, *, dtype_bytes: int = 1, depth: int | None = None,
            convention: str = "paper", sort: str | None = None, top: int | None = None) -> str:
    """JSON with integers (expressions as strings while symbols are free); memory in elements,
    or in bytes under names that say so (mem_bytes, madds_per_byte, ...)."""
    df = rows(profile, depth, dtype_bytes, convention, sort, top)
    counted = [convention] if convention != "paper" else []
    names = column_names(dtype_bytes)
    units, per = unit(dtype_bytes)
    doc = {
        "spec": profile.spec.path,
        "name": profile.spec.name,
        "bindings": profile.bindings,
        "preset": profile.env.preset,
        "free": list(profile.env.free),
        "convention": convention_line(dtype_bytes),
        "assumptions": assumptions(profile),
        "units": {"mem": units, "intensity": f"madds per {per} moved",
                  "live": f"{units} of activations held while the layer runs",
                  "peak_mem": f"{units}: the most activations held at once plus params"},
        "total": totals(profile, dtype_bytes),
        "layers": [
            {"path": r["path"], "op": r["op"], "in_shapes": r["in_shapes"],
             "out_shape": r["out_shape"],
             **{c: r[c] for c in ("madds", *counted, "params",
                                  *(names[m] for m in ("mem_read", "mem_write", "mem",
                                                       "intensity", "live")))}}
            for r in df.to_dict("records")
        ],
    }
    if counted:
        from cost.conventions import count, get

        doc["counting"] = {"convention": convention, "line": get(convention).line(),
                           "total": profile.show(count(profile, convention).total)}
    return dumps(doc)


def to_csv(profile: Any, *, dtype_bytes: int = 1, depth: int | None = None,
           convention: str = "paper", sort: str | None = None, top: int | None = None) -> str:
    """One row per layer (or group): numbers as numbers, memory columns named by unit."""
    df = rows(profile, depth, dtype_bytes, convention, sort, top)
    df["in_shapes"] = df["in_shapes"].map(lambda xs: " ".join(shape_text(x) for x in xs))
    df["out_shape"] = df["out_shape"].map(shape_text)
    return df.to_csv(index=False)


def render_profile(profile: Any, fmt: str = "table", *, depth: int | None = None,
                   dtype_bytes: int = 1, convention: str = "paper", sort: str | None = None,
                   top: int | None = None) -> str:
    """The profile in `fmt`: json, csv, or a table (markdown) of rows, or closed forms per block
    (`depth`, default 1) while symbols are free. `sort` and `top` select rows (`rows`)."""
    options = {"dtype_bytes": dtype_bytes, "convention": convention}
    rows_wanted = {"sort": sort, "top": top}
    if fmt == "json":
        return to_json(profile, depth=depth, **options, **rows_wanted)
    if fmt == "csv":
        return to_csv(profile, depth=depth, **options, **rows_wanted)
    if profile.symbolic:
        if sort is not None or top is not None:
            from cost.errors import OptionError

            raise OptionError("--sort and --top select table rows, which a symbolic profile "
                              "prints as closed forms per block",
                              hint="use --format json or csv, or bind the symbols")
        return render_symbolic(profile, depth=depth or 1, **options)
    return render_table(profile, depth=depth, fmt=fmt, **options, **rows_wanted)
