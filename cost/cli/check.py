"""`cost check`: run the numpy reference forward and hold the engine to it, layer by layer.

    cost check specs/shufflenet_g3.yaml
    cost check specs/shufflenet_v1.yaml --preset megvii-0.5x-g8 --batch 2 --format json

Exit code 0 when every layer's output shape(s) and executed multiply-adds equal the engine's;
2 otherwise (the first disagreeing layer path and both values go to stderr), and 2 for any user
error. The comparison itself is `cost.reference.forward.check`; its text and JSON:
`cost.render.check`.
"""

from __future__ import annotations

import sys

import click

from cost.cli.main import binding_options, echo, load_spec, user_errors


@click.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Batch size: binds the spec's symbol n.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random weights and input.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True)
@click.option("--threads", type=click.IntRange(min=0), default=1, show_default=True,
              metavar="N", help="BLAS threads of the forward (0: the libraries' default); "
              "1 is the fastest measured here (cost.reference.forward).")
@user_errors
def check_command(spec: str, sets: tuple[str, ...], preset: str | None, batch: int | None,
                  seed: int, fmt: str, threads: int) -> None:
    """Run SPEC's numpy reference forward on random weights and input; check every layer's
    output shape and executed multiply-adds against the engine's."""
    from cost.errors import BindingError
    from cost.reference import forward as reference
    from cost.render.check import render_check

    loaded = load_spec(spec, sets, preset)
    if batch is not None:
        if "n" not in loaded.symbols:
            raise BindingError("--batch binds the symbol n, which this spec does not declare",
                               file=spec, hint="declare it and use it: input: [n, 3, r, r]")
        if "n" in loaded.bindings and loaded.bindings["n"] != batch:
            raise BindingError(f"--batch {batch} and --set n={loaded.bindings['n']} disagree")
        loaded = loaded.with_bindings(n=batch)
    report = reference.check(loaded, seed=seed, threads=threads)
    echo(render_check(report, fmt))
    if not report.ok:
        echo(f"error: {report.mismatches[0]}", err=True)
        sys.exit(2)
