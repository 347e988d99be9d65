"""`cost sweep` and `cost solve` (registered lazily by `cost.cli.main.LazyGroup`).

    cost sweep specs/shufflenet_v1.yaml --grid g=1,2,3,4,8 --grid s=0.5:2:0.5
    cost sweep specs/shufflenet_v1.yaml --grid g=1,2,3,4,8 --grid r=96:512:32 \\
        --where "madds <= 150e6" --report out/sweep
    cost solve specs/shufflenet_v1.yaml --target madds=140e6 --for c --set g=8

Everything is computed before anything is printed or written, so an error prints one message
and exits with code 2 (`cost.cli.main.user_errors`), with no partial output.
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, parse_sets, user_errors


@click.command("sweep")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--grid", "grids", multiple=True, required=True, metavar="NAME=VALUES",
              help="A swept symbol or let (repeatable): a list g=1,2,3,4,8 or a range "
                   "start:stop:step, e.g. s=0.25:2:0.25 (stop included where it lands).")
@binding_options
@click.option("--where", default=None, metavar="EXPR",
              help='Keep points where the condition holds, e.g. "madds <= 150e6 and g >= 3" '
                   "(names: madds, flops, params, mem, mem_read, mem_write, intensity and the "
                   "swept names).")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="A device profile (cost calibrate): adds the predicted latency in seconds as "
                   "a column and a --where name.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              metavar="DIR", help="Write index.html (plots embedded), sweep.csv and summary.md "
                                  "to DIR (atomically) and print the summary only.")
@user_errors
def sweep_command(spec: str, grids: tuple[str, ...], sets: tuple[str, ...], preset: str | None,
                  where: str | None, device_path: str | None, fmt: str,
                  report_dir: str | None) -> None:
    """Evaluate SPEC at every point of a grid of symbol values, from its closed forms.

    One row per point: the bindings, madds, params, mem, intensity (madds per element moved),
    valid, reason (the first broken constraint) and pareto (on the front minimising madds,
    params and mem among the valid points shown).
    """
    import cost
    from cost.design.sweep import parse_grid, sweep
    from cost.render.sweep import render_sweep, report_lines

    grid = parse_grid(grids)
    loaded = cost.load(spec, preset=preset, **parse_sets(sets))
    device = _device(device_path)
    result = sweep(loaded, grid, where=where, progress=None, device=device)
    if report_dir is not None:
        from cost.render.html import write_report

        path = write_report(result, report_dir)
        click.echo("\n".join(report_lines(result, path / "index.html")))
        return
    click.echo(render_sweep(result, fmt).rstrip("\n"))


@click.command("solve")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--target", required=True, metavar="METRIC=VALUE",
              help="The budget, e.g. madds=140e6 (metrics: madds, flops, params, mem, "
                   "mem_read, mem_write; latency in seconds with --device).")
@click.option("--for", "name", required=True, metavar="SYMBOL",
              help="The symbol or let to solve for (e.g. c, s, r).")
@binding_options
@click.option("--step", default=None, metavar="STEP",
              help="Spacing of candidate values (default: 1 or multiple_of for whole numbers; "
                   "for real symbols, implied by the whole-number constraints).")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="A device profile (cost calibrate), for --target latency=SECONDS.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@user_errors
def solve_command(spec: str, target: str, name: str, sets: tuple[str, ...], preset: str | None,
                  step: str | None, device_path: str | None, fmt: str) -> None:
    """Solve METRIC(SYMBOL) = VALUE for SYMBOL, and list the nearest valid values on both sides.

    Exact (sympy) when the metric is a polynomial in SYMBOL, numeric otherwise; valid values
    are those at which every constraint of SPEC holds.
    """
    import cost
    from cost.design.solve import parse_target, solve
    from cost.render.sweep import render_solution
    from cost.spec.bindings import parse_number

    metric, value = parse_target(target)
    step_value = None if step is None else parse_number(step, option="--step")
    loaded = cost.load(spec, preset=preset, **parse_sets(sets))
    solution = solve(loaded, name.strip(), metric, value, step=step_value,
                     device=_device(device_path))
    click.echo(render_solution(solution, fmt).rstrip("\n"))


def _device(path: str | None) -> object:
    if path is None:
        return None
    from cost.latency import load_device

    return load_device(path)
