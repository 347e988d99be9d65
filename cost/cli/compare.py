"""`cost compare SPEC`: one spec counted under several conventions, side by side.

One column per convention (cost.conventions), one row per op type, the totals, and each
convention's difference from the first one, split by op type:

    cost compare specs/shufflenet_g3.yaml
    cost compare specs/mobilenet_v2.yaml --conventions paper,thop --set r=160 --format json

    thop − paper = +12.9M (+9.41%), of which bn +12M, avgpool +894K, global_avgpool +48K
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from cost.cli.main import FORMATS, binding_options, echo, load_spec, user_errors

if TYPE_CHECKING:
    from cost.conventions import Convention
    from cost.conventions.counting import Count
    from cost.engine.profile import Profile

DEFAULT_CONVENTIONS = "paper,fvcore,thop,ptflops,torchinfo,torch"


def counts(p: Profile, names: list[str]) -> tuple[list[Convention], list[Count]]:
    from cost.conventions import tools as conventions

    chosen = [conventions.get(name) for name in names]
    return chosen, [conventions.count(p, c.name) for c in chosen]


def _signed(v: Any) -> str:
    from cost.render.profile import format_count

    return ("+" if v > 0 else "") + format_count(v)


def difference_lines(found: list[Count]) -> list[str]:
    """"b − a = +X (+p%), of which op +Y, ..." for every convention b after the first, a."""
    from cost.conventions.counting import difference

    base, lines = found[0], []
    for other in found[1:]:
        delta, parts = difference(other, base)
        share = f" ({100 * delta / base.total:+.3g}%)" if base.total else ""
        text = f"{other.convention} − {base.convention} = {_signed(delta)}{share}"
        if parts:
            text += ", of which " + ", ".join(f"{op} {_signed(d)}" for op, d in parts.items())
        lines.append(text)
    return lines


def render(p: Profile, chosen: list[Convention], found: list[Count], fmt: str) -> str:
    from tabulate import tabulate

    from cost.conventions.counting import table_rows
    from cost.render.profile import exact, header

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

    from cost.conventions.counting import table_rows

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["op", *(c.convention for c in found)])
    for op, values in table_rows(found):
        writer.writerow([op, *values])
    writer.writerow(["total", *(c.total for c in found)])
    return out.getvalue()


def to_json(p: Profile, chosen: list[Convention], found: list[Count]) -> str:
    from cost.conventions.counting import difference

    base = found[0]
    doc = {
        "spec": p.spec.path, "name": p.spec.name, "bindings": {k: _plain(v) for k, v in
                                                              p.bindings.items()},
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
    return json.dumps(doc, indent=2)


def _plain(v: Any) -> Any:
    return v if isinstance(v, int) else str(v)


@click.command("compare")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--conventions", "names", default=DEFAULT_CONVENTIONS, show_default=True,
              metavar="NAMES", help="Comma-separated conventions; differences are from the first.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def compare_command(spec: str, sets: tuple[str, ...], preset: str | None, names: str,
                    fmt: str) -> None:
    """Totals of SPEC under several counting conventions (paper, fvcore, thop, ptflops,
    torchinfo, torch), per op type, and where each differs from the first."""
    import cost
    from cost.errors import SpecError

    p = cost.profile(load_spec(spec, sets, preset))
    if p.symbolic:
        raise SpecError(f"compare needs numbers, but {', '.join(p.env.free)} are free",
                        file=p.spec.path, hint="bind them with --set NAME=VALUE")
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        raise SpecError("--conventions names none", hint="e.g. --conventions paper,thop")
    chosen, found = counts(p, wanted)
    if fmt == "json":
        text = to_json(p, chosen, found)
    elif fmt == "csv":
        text = to_csv(found)
    else:
        text = render(p, chosen, found, fmt)
    echo(text.rstrip("\n"))
