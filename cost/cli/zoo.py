"""`cost zoo`: every reported figure a bundled spec reproduces, computed next to reported.

    cost zoo
    cost zoo --format markdown
    cost zoo --format csv > zoo.csv
    cost zoo --family mobilenet_v2
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, echo, user_errors


@click.command("zoo")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--family", "name", metavar="NAME", default=None,
              help="Only one model family (shufflenet_v1, mobilenet_v2, resnet, ...).")
@user_errors
def zoo_command(fmt: str, name: str | None) -> None:
    """Computed madds and params of each bundled spec variant next to the published figures, with
    the deviation in %; deviations beyond 1% are flagged and explained in footnotes."""
    from cost.papers.zoo import family, zoo
    from cost.render.zoo import render

    z = zoo()
    echo(render(z if name is None else family(z, name), fmt))
