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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def guidelines_command(spec: str | None, sets: tuple[str, ...], preset: str | None, fuse: bool,
                       experiments: bool, fmt: str) -> None:
    """ShuffleNet V2's guidelines G1-G4 per block of SPEC, with a verdict and evidence for each."""
    if experiments:
        if spec or sets or preset or fuse:
            raise SpecError("--experiments takes no SPEC, --set, --preset or --fuse",
                            hint="cost guidelines --experiments [--format ...]")
        from cost.papers.experiments import rows
        from cost.render.experiments import render_experiments

        echo(render_experiments(rows(), fmt).rstrip("\n"))
        return
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

