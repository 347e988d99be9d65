"""`cost guidelines`: ShuffleNet V2's G1–G4 verdicts for a spec, or the paper's experiments.

    cost guidelines specs/shufflenet_g3.yaml
    cost guidelines specs/shufflenet_v2.yaml --fuse --format json
    cost guidelines --experiments --format markdown

The analysis and its thresholds: `cost.guidelines.analysis`; the experiments:
`cost.papers.experiments`; their text and JSON: `cost.render.guidelines`,
`cost.render.experiments`.
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, echo, load_spec, user_errors
from cost.errors import SpecError


@click.command("guidelines")
@click.argument("spec", type=click.Path(dir_okay=False), required=False)
@binding_options
@click.option("--fuse", is_flag=True,
              help="Fold bn (and the activation after it) into the conv before them, as "
                   "deployed; the assumption is printed.")
@click.option("--experiments", is_flag=True,
              help="Instead of SPEC: ShuffleNet V2 Tables 1-4, computed FLOPs and memory access "
                   "next to the measured speeds, with rank correlations.")
@click.option("--measure", is_flag=True,
              help="With --experiments: also build the paper's ARM/CPU networks and measure "
                   "them here (platform 'here': onnxruntime, 1 thread by default).")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="With --measure: a device profile (cost calibrate), to rank by predicted "
                   "latency too.")
@click.option("--repeat", type=click.IntRange(min=1), default=10, show_default=True,
              help="With --measure: timed repeats per network.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --measure: runtime threads.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def guidelines_command(spec: str | None, sets: tuple[str, ...], preset: str | None, fuse: bool,
                       experiments: bool, measure: bool, device_path: str | None, repeat: int,
                       threads: int, fmt: str) -> None:
    """ShuffleNet V2's guidelines G1-G4 per block of SPEC, with a verdict and evidence for each."""
    if experiments:
        if spec or sets or preset or fuse:
            raise SpecError("--experiments takes no SPEC, --set, --preset or --fuse",
                            hint="cost guidelines --experiments [--format ...]")
        from cost.papers.experiments import rows
        from cost.render.experiments import render_experiments

        found = rows()
        if measure:
            from cost.papers.experiments import measure as measured

            device = None
            if device_path is not None:
                from cost.latency import load_device

                device = load_device(device_path)
            found = found + measured(found, threads=threads, repeat=repeat, device=device)
        echo(render_experiments(found, fmt).rstrip("\n"))
        return
    if measure or device_path:
        raise SpecError("--measure and --device go with --experiments",
                        hint="cost guidelines --experiments --measure [--device device.yaml]")
    if spec is None:
        raise SpecError("no SPEC given", hint="cost guidelines specs/shufflenet_g3.yaml, "
                                              "or cost guidelines --experiments")
    import cost
    from cost.engine.fusion import FUSION_ASSUMPTION
    from cost.engine.fusion import fuse as fold
    from cost.guidelines import analyze
    from cost.render import guidelines as out

    profile = cost.profile(load_spec(spec, sets, preset))
    if fuse:
        profile = fold(profile)
    report = analyze(profile, fused=fuse)
    if fmt == "json" and fuse:
        echo(FUSION_ASSUMPTION, err=True)  # keeps stdout to the JSON document
    echo(out.render_guidelines(report, fmt).rstrip("\n"))

