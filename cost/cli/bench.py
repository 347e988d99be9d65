"""`cost bench`: measure a spec's network on this machine (registered lazily by
`cost.cli.main.LazyGroup`).

    cost bench specs/shufflenet_v2.yaml
    cost bench specs/shufflenet_v1.yaml --set g=8 --threads 1 --repeat 30 --format json
    cost bench specs/mobilenet_v2.yaml --runtime torch --device device.yaml
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, echo, parse_sets, user_errors


@click.command("bench")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--runtime", type=click.Choice(("onnxruntime", "torch")), default="onnxruntime",
              show_default=True, help="onnxruntime CPU (pip install \"cost[bench]\") or torch.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Intra-op threads (pinned: no spinning, sequential execution).")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Batch size: binds the spec's symbol n.")
@click.option("--repeat", type=click.IntRange(min=1), default=15, show_default=True,
              help="Timed repeats (each one or more runs, at least 10 ms).")
@click.option("--optimization", type=click.Choice(("basic", "extended", "all")),
              default="extended", show_default=True,
              help="onnxruntime graph optimization level.")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="A device profile (cost calibrate): also print the predicted latency.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def bench_command(spec: str, sets: tuple[str, ...], preset: str | None, runtime: str,
                  threads: int, batch: int | None, repeat: int, optimization: str,
                  device_path: str | None, fmt: str) -> None:
    """Measure SPEC's network: warm-up, REPEAT timed repeats, median and interquartile range,
    and per-node times from the runtime's profiler."""
    import cost
    from cost.bench.bench import bench
    from cost.errors import SpecError
    from cost.render.latency import render_bench

    values = parse_sets(sets)
    if batch is not None:
        values["n"] = batch
    loaded = cost.load(spec, preset=preset, **values)
    if batch is not None and "n" not in loaded.symbols:
        raise SpecError("--batch binds the symbol n, which the spec does not declare",
                        file=loaded.path)
    p = cost.profile(loaded)
    if p.symbolic:
        raise SpecError(f"bench needs numbers, but {', '.join(p.env.free)} are free",
                        file=loaded.path, hint="bind them with --set")
    predicted = None
    if device_path is not None:
        from cost.latency import latency, load_device

        predicted = float(latency(p, load_device(device_path)))
    result = bench(p, runtime, threads, repeat=repeat, optimization=optimization)
    echo(render_bench(result, fmt, predicted).rstrip("\n"))
