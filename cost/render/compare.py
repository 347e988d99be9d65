"""`cost compare`: one profile counted under several conventions, as a table (one column per
convention, one row per op type, the totals), markdown, CSV or JSON, with each convention's
difference from the first one split by op type:

    thop − paper = +12.9M (+9.41%), of which bn +12M, avgpool +894K, global_avgpool +48K

The counts are `cost.conventions`; numbers and JSON values are written by `cost.render.format`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cost.conventions.counting import difference, table_rows
from cost.render.format import dumps, exact, signed_count, significant
from cost.render.profile import header

if TYPE_CHECKING:
    from cost.conventions import Convention
    from cost.conventions.counting import Count
    from cost.engine.profile import Profile


def difference_lines(found: list[Count]) -> list[str]:
    """"b − a = +X (+p%), of which op +Y, ..." for every convention b after the first, a."""
    base, lines = found[0], []
    for other in found[1:]:
        delta, parts = difference(other, base)
        share = f" ({significant(100 * delta / base.total, 3, sign=True)}%)" if base.total else ""
        text = f"{other.convention} − {base.convention} = {signed_count(delta)}{share}"
        if parts:
            text += ", of which " + ", ".join(f"{op} {signed_count(d)}" for op, d in parts.items())
        lines.append(text)
    return lines


def render_text(p: Profile, chosen: list[Convention], found: list[Count], fmt: str) -> str:
    from tabulate import tabulate

    rows = [[op, *map(exact, values)] for op, values in table_rows(found)]
    rows.append(["total", *(exact(c.total) for c in found)])
    names = [c.name for c in chosen]
    style = "github" if fmt == "markdown" else "simple"
    body = tabulate(rows, headers=["op", *names], tablefmt=style, disable_numparse=True,
                    colalign=("left", *("right" for _ in names)))
    notes = difference_lines(found) + [c.line() for c in chosen]
    if fmt == "markdown":
        return "\n".join([header(p), "", body, "", *(f"- {x}" for x in notes)])
    return "\n".join([header(p), "", body, "", *notes])


def to_csv(found: list[Count]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["op", *(c.convention for c in found)])
    for op, values in table_rows(found):
        writer.writerow([op, *values])
    writer.writerow(["total", *(c.total for c in found)])
    return out.getvalue()


def to_json(p: Profile, chosen: list[Convention], found: list[Count]) -> str:
    base = found[0]
    doc = {
        "spec": p.spec.path, "name": p.spec.name, "bindings": p.bindings,
        "preset": p.env.preset,
        "conventions": [{"name": c.name, "unit": c.unit, "tool": c.tool, "version": c.version,
                         "line": c.line()} for c in chosen],
        "total": {c.convention: c.total for c in found},
        "by_op": {c.convention: c.by_op() for c in found},
        "base": base.convention,
        "difference": {},
    }
    for c in found[1:]:
        delta, parts = difference(c, base)
        doc["difference"][c.convention] = {"total": delta, "by_op": parts}
    return dumps(doc)


def render_comparison(p: Profile, chosen: list[Convention], found: list[Count],
                      fmt: str = "table") -> str:
    """The comparison in `fmt`: table, markdown, csv or json."""
    if fmt == "json":
        return to_json(p, chosen, found)
    if fmt == "csv":
        return to_csv(found)
    return render_text(p, chosen, found, fmt)
