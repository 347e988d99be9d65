"""`cost import`, `cost export`, `cost diff`: models in, models out, spec against model.

    cost import torchvision.models:resnet18 -o resnet18.yaml --keep r
    cost import model.onnx --input 1,3,224,224
    cost export specs/resnet50.yaml --to onnx -o resnet50.onnx
    cost diff specs/shufflenet_v2_torchvision.yaml torchvision.models:shufflenet_v2_x1_0

The work: `cost.interop`; the text: `cost.render.interop`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from cost.cli.main import binding_options, load_spec, user_errors


def _shape(text: str | None) -> tuple[int, ...] | None:
    from cost.errors import SpecError

    if text is None:
        return None
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise SpecError(f"--input {text}; allowed: four positive sizes n,c,h,w",
                        hint="e.g. --input 1,3,224,224")
    return shape


def _write(path: str, text: str) -> None:
    """All or nothing: a temporary file beside it, renamed into place."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                               suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, target)


@click.command("import")
@click.argument("source")
@click.option("-o", "--output", default=None, metavar="SPEC.yaml",
              help="Write the spec here (default: print it).")
@click.option("--input", "input_shape", default=None, metavar="SHAPE",
              help="Input size n,c,h,w (default: the ONNX file's, or 1,3,224,224 for torch).")
@click.option("--keep", default="", metavar="NAMES",
              help="Symbols to keep free in the totals printed (r, n): closed forms.")
@click.option("--name", default=None, help="The spec's name (default: the model's).")
@user_errors
def import_command(source: str, output: str | None, input_shape: str | None, keep: str,
                   name: str | None) -> None:
    """Import SOURCE (model.onnx or package.module:factory) as a spec: blocks, repeats, r and n
    as symbols. With -o, writes it and prints its totals (formulas in --keep symbols)."""
    import cost
    from cost.interop.source import spec_text
    from cost.interop.spec_writer import load_text
    from cost.render.interop import render_import

    text = spec_text(source, _shape(input_shape), name)
    names = tuple(k.strip() for k in keep.split(",") if k.strip())
    p = cost.profile(load_text(text, output or source).with_bindings(keep=names))
    if output is None:
        click.echo(text.rstrip("\n"))
        return
    _write(output, text)
    click.echo(render_import(p, output).rstrip("\n"))


@click.command("export")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--to", "to", type=click.Choice(("torch", "onnx")), required=True)
@click.option("-o", "--output", required=True, metavar="FILE")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the weights.")
@user_errors
def export_command(spec: str, sets: tuple[str, ...], preset: str | None, to: str, output: str,
                   seed: int) -> None:
    """Export SPEC as a torch module (torch.save) or an ONNX file, seeded random weights."""
    import cost
    from cost.interop.export import export

    p = cost.profile(load_spec(spec, sets, preset))
    export(p, to, output, seed)
    click.echo(f"wrote {output}")


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--input", "input_shape", default=None, metavar="SHAPE",
              help="Input size n,c,h,w of a model source.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True)
@user_errors
def diff_command(a: str, b: str, input_shape: str | None, fmt: str) -> None:
    """Compare two specs, or a spec and a model: layers aligned, the first difference, totals.
    Exit code 1 when they differ."""
    import cost
    from cost.interop.diff import diff
    from cost.interop.source import load
    from cost.render.interop import render_diff

    shape = _shape(input_shape)
    pa = cost.profile(load(a, shape))
    pb = cost.profile(load(b, shape))
    report = diff(pa, pb, a, b)
    click.echo(render_diff(report, fmt).rstrip("\n"))
    if not report.same:
        sys.exit(1)
