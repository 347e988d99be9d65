"""`cost latency`: predicted latency per kernel and in total on a calibrated device (registered
lazily by `cost.cli.main.LazyGroup`).

    cost latency specs/shufflenet_v2.yaml --device device.yaml
    cost latency specs/shufflenet_v1.yaml --set g=8 --device device.yaml --format csv
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, echo, load_spec, user_errors


@click.command("latency")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--device", "device_path", required=True, type=click.Path(dir_okay=False),
              help="The device profile written by cost calibrate.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def latency_command(spec: str, sets: tuple[str, ...], preset: str | None, device_path: str,
                    fmt: str) -> None:
    """Predicted time of every kernel of SPEC (after fusion) and in total, and which bound
    (compute, memory, overhead) dominates each."""
    import cost
    from cost.errors import SpecError
    from cost.latency import load_device, predict
    from cost.render.latency import render_prediction

    device = load_device(device_path)
    p = cost.profile(load_spec(spec, sets, preset))
    if p.symbolic:
        raise SpecError(f"latency needs numbers, but {', '.join(p.env.free)} are free",
                        file=p.spec.path, hint="bind them with --set, or sweep with "
                                               "cost sweep --device")
    echo(render_prediction(predict(p, device), fmt).rstrip("\n"))
