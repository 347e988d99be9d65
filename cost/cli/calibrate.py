"""`cost calibrate`: fit a device profile to micro-benchmarks on this machine (registered lazily
by `cost.cli.main.LazyGroup`).

    cost calibrate -o device.yaml
    cost calibrate --threads 2 -o device-2t.yaml --points micro.csv
"""

from __future__ import annotations

import click

from cost.cli.main import echo, user_errors


@click.command("calibrate")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the device profile (YAML).")
@click.option("--runtime", type=click.Choice(("onnxruntime", "torch")), default="onnxruntime",
              show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--optimization", type=click.Choice(("basic", "extended", "all")),
              default="extended", show_default=True,
              help="onnxruntime graph optimization level (recorded in the profile).")
@click.option("--repeat", type=click.IntRange(min=1), default=7, show_default=True,
              help="Timed repeats per micro-benchmark.")
@click.option("--reduced", is_flag=True, help="A few small micro-benchmarks only (a smoke test).")
@click.option("--points", "points_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the measured micro-benchmarks as CSV.")
@click.option("--force", is_flag=True,
              help="Replace existing files even if cost did not write them (and a symbolic "
                   "link itself, never what it points to).")
@user_errors
def calibrate_command(output: str, runtime: str, threads: int, optimization: str, repeat: int,
                      reduced: bool, points_path: str | None, force: bool) -> None:
    """Run the micro-benchmark suite (pointwise, grouped, depthwise and dense convs, linear,
    element-wise, pooling, concat, split, shuffle at a grid of sizes) and random network-like
    architectures, fit each kernel kind's latency model and how kernels slow down inside a
    network, and write the device profile. Takes about half a minute."""
    from cost.bench.calibrate import calibrate
    from cost.render.latency import render_calibration
    from cost.safe_write import Output, check_target, starts_with, write_files

    profile_head = b"device: "  # the first line of every device profile cost writes
    check_target(output, "--output", starts_with(profile_head), force=force)  # before the work
    if points_path:
        check_target(points_path, "--points", starts_with(b"name,kind,"), force=force)
    device, points = calibrate(runtime, threads, optimization=optimization, reduced=reduced,
                               repeat=repeat)
    outputs = [Output(output, device.to_yaml().encode("utf-8"), "--output",
                      starts_with(profile_head))]
    if points_path:
        import pandas as pd

        text = pd.DataFrame([p.as_dict() for p in points]).to_csv(index=False).encode("utf-8")
        outputs.append(Output(points_path, text, "--points", starts_with(b"name,kind,")))
    write_files(outputs, force=force)
    echo(render_calibration(device, output))
