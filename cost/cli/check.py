"""`cost check`: run the numpy reference forward and hold the engine to it, layer by layer.

    cost check specs/shufflenet_g3.yaml
    cost check specs/shufflenet_v1.yaml --preset megvii-0.5x-g8 --batch 2 --format json

Exit code 0 when every layer's output shape(s) and executed multiply-adds equal the engine's;
2 otherwise (the first disagreeing layer path and both values go to stderr), and 2 for any user
error. The comparison itself is `cost.reference.forward.check`.
"""

from __future__ import annotations

import json
import sys

import click

from cost.cli.main import binding_options, echo, load_spec, user_errors

LISTED = 10  # mismatches shown in the table format (all of them are in the JSON)


def render_report(report) -> str:  # noqa: ANN001 - cost.reference.forward.Report (numpy imported late)
    from cost.symbolic import render

    bindings = ", ".join(f"{k}={render(v)}" for k, v in report.bindings.items()) or "(none)"
    verdict = ("every output shape and madds count agrees with the engine" if report.ok
               else f"{len(report.mismatches)} disagreement(s) with the engine")
    lines = [
        f"spec            {report.spec}",
        f"bindings        {bindings}",
        f"layers checked  {report.layers_checked}: {verdict}",
        f"madds           {report.madds_executed:,} executed, {report.madds_counted:,} counted",
        f"forward         {report.forward_seconds:.3f} s, peak {report.peak_bytes / 2**20:.1f} MiB"
        " (tracemalloc)",
    ]
    for m in report.mismatches[:LISTED]:
        lines.append(f"  mismatch      {m}")
    if len(report.mismatches) > LISTED:
        lines.append(f"  ... and {len(report.mismatches) - LISTED} more (--format json lists all)")
    return "\n".join(lines)


@click.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Batch size: binds the spec's symbol n.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random weights and input.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True)
@user_errors
def check_command(spec: str, sets: tuple[str, ...], preset: str | None, batch: int | None,
                  seed: int, fmt: str) -> None:
    """Run SPEC's numpy reference forward on random weights and input; check every layer's
    output shape and executed multiply-adds against the engine's."""
    from cost.errors import BindingError
    from cost.reference import forward as reference

    loaded = load_spec(spec, sets, preset)
    if batch is not None:
        if "n" not in loaded.symbols:
            raise BindingError("--batch binds the symbol n, which this spec does not declare",
                               file=spec, hint="declare it and use it: input: [n, 3, r, r]")
        if "n" in loaded.bindings and loaded.bindings["n"] != batch:
            raise BindingError(f"--batch {batch} and --set n={loaded.bindings['n']} disagree")
        loaded = loaded.with_bindings(n=batch)
    report = reference.check(loaded, seed=seed)
    if fmt == "json":
        echo(json.dumps(report.as_dict(), indent=2))
    else:
        echo(render_report(report))
    if not report.ok:
        echo(f"error: {report.mismatches[0]}", err=True)
        sys.exit(2)
