"""`cost compare SPEC`: one spec counted under several conventions, side by side.

    cost compare specs/shufflenet_g3.yaml
    cost compare specs/mobilenet_v2.yaml --conventions paper,thop --set r=160 --format json

The counts: `cost.conventions`; the table, the differences and the JSON: `cost.render.compare`.
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, echo, load_spec, user_errors

DEFAULT_CONVENTIONS = "paper,fvcore,thop,ptflops,torchinfo,torch"


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
    from cost.conventions import count, get
    from cost.errors import SpecError
    from cost.render.compare import render_comparison

    p = cost.profile(load_spec(spec, sets, preset))
    if p.symbolic:
        raise SpecError(f"compare needs numbers, but {', '.join(p.env.free)} are free",
                        file=p.spec.path, hint="bind them with --set NAME=VALUE")
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        raise SpecError("--conventions names none", hint="e.g. --conventions paper,thop")
    chosen = [get(name) for name in wanted]
    found = [count(p, c.name) for c in chosen]
    echo(render_comparison(p, chosen, found, fmt).rstrip("\n"))
