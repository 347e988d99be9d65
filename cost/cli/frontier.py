"""`cost frontier`: accuracy against cost, the papers' reported points and cost's computed ones.

    cost frontier                                   # every bundled spec with a reported accuracy
    cost frontier specs/mobilenet_v2.yaml specs/ghostnet.yaml --out mine.svg
    cost frontier --families shufflenet_v1,shufflenet_v2 --x mem --csv mem.csv
    cost frontier my.yaml                           # its `accuracy:` entries beside the papers
    cost frontier my.yaml --accuracy my_runs.csv    # or accuracies from a CSV (top1, source, ...)
"""

from __future__ import annotations

from pathlib import Path

import click

from cost.cli.main import echo, user_errors

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
              help="Also write the plotted rows (a .csv file): reported and computed values, "
                   "deviation in %.")
@click.option("--accuracy", "accuracy_path", default=None, metavar="FILE.csv",
              help="Top-1 accuracies of your SPECs: columns top1, source, and optionally spec, "
                   "preset, bind (s=0.5;r=160), label.")
@click.option("--force", is_flag=True,
              help="Replace existing files even if cost did not write them (and a symbolic "
                   "link itself, never what it points to).")
@user_errors
def frontier_command(specs: tuple[str, ...], families: str, x: str, device_path: str | None,
                     out: str, csv_path: str | None, accuracy_path: str | None,
                     force: bool) -> None:
    """Top-1 accuracy against cost for SPECs' families (default: all bundled specs that have
    reported accuracies): each family's variants joined in order of cost, the Pareto frontier,
    and for every variant with a spec the computed value beside the reported one. A SPEC of your
    own is drawn with the accuracy it gives (`accuracy:`) or --accuracy gives it."""
    from cost.errors import SpecError
    from cost.papers.frontier import frontier_rows, read_accuracy
    from cost.render.plot import figure_bytes, frontier, written_lines
    from cost.safe_write import Output, check_target, has_mark, starts_with, write_files

    if Path(out).suffix.lower() not in SUFFIXES:
        raise SpecError(f"--out {out}: cannot write this format",
                        hint="use a file ending in " + ", ".join(SUFFIXES))
    if csv_path is not None and Path(csv_path).suffix.lower() != ".csv":
        raise SpecError(f"--csv {csv_path}: the file name must end in .csv")
    check_target(out, "--out", has_mark, force=force)  # before the work, and again before writing
    names = [n.strip() for n in families.split(",") if n.strip()]
    device = None
    if device_path is not None:
        from cost.latency import load_device

        device = load_device(device_path)
    elif x == "latency":
        raise SpecError("--x latency needs a device profile",
                        hint="add --device device.yaml (written by cost calibrate)")
    table = read_accuracy(accuracy_path) if accuracy_path else []
    rows = frontier_rows(specs, names, accuracy=table, device=device)
    fig = frontier(x=x, rows=rows)
    outputs = [Output(out, figure_bytes(fig, Path(out).suffix.lower().lstrip(".")), "--out",
                      has_mark)]
    if csv_path:
        text = rows.to_csv(index=False).encode("utf-8")
        outputs.append(Output(csv_path, text, "--csv", starts_with(text.split(b"\n", 1)[0])))
    write_files(outputs, force=force)
    notes, written = written_lines(rows, x, out, csv_path)
    for note in notes:
        echo(note, err=True)
    echo(written)
