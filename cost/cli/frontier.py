"""`cost frontier`: accuracy against cost, the papers' reported points and cost's computed ones.

    cost frontier                                   # every bundled spec with a reported accuracy
    cost frontier specs/mobilenet_v2.yaml specs/ghostnet.yaml --out mine.svg
    cost frontier --families shufflenet_v1,shufflenet_v2 --x mem --csv mem.csv
"""

from __future__ import annotations

from pathlib import Path

import click

from cost.cli.main import user_errors

SUFFIXES = (".png", ".svg", ".pdf")


@click.command("frontier")
@click.argument("specs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--families", default="", metavar="NAMES",
              help="Comma-separated families from the reported data (e.g. shufflenet_v2,ghostnet).")
@click.option("--x", "x", type=click.Choice(("madds", "params", "mem", "latency")),
              default="madds", show_default=True,
              help="madds: reported MFLOPs with the computed madds beside them; params, mem: "
                   "computed by cost (variants with a bundled spec only); latency: predicted on "
                   "--device.")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="A device profile (cost calibrate), for --x latency.")
@click.option("--out", default="frontier.png", show_default=True, metavar="FILE",
              help="Figure to write: .png, .svg or .pdf.")
@click.option("--csv", "csv_path", default=None, metavar="FILE",
              help="Also write the plotted rows: reported and computed values, deviation in %.")
@user_errors
def frontier_command(specs: tuple[str, ...], families: str, x: str, device_path: str | None,
                     out: str, csv_path: str | None) -> None:
    """Top-1 accuracy against cost for SPECs' families (default: all bundled specs that have
    reported accuracies): each family's variants joined in order of cost, the Pareto frontier,
    and for every variant with a spec the computed value beside the reported one."""
    from cost.errors import SpecError
    from cost.papers.frontier import frontier_rows
    from cost.render.plot import frontier, save, written_lines

    if Path(out).suffix.lower() not in SUFFIXES:
        raise SpecError(f"--out {out}: cannot write this format",
                        hint="use a file ending in " + ", ".join(SUFFIXES))
    names = [n.strip() for n in families.split(",") if n.strip()]
    device = None
    if device_path is not None:
        from cost.latency import load_device

        device = load_device(device_path)
    elif x == "latency":
        raise SpecError("--x latency needs a device profile",
                        hint="add --device device.yaml (written by cost calibrate)")
    rows = frontier_rows(specs, names, device=device)
    fig = frontier(x=x, rows=rows)
    if csv_path:
        rows.to_csv(csv_path, index=False)
    save(fig, out)
    notes, written = written_lines(rows, x, out, csv_path)
    for note in notes:
        click.echo(note, err=True)
    click.echo(written)
