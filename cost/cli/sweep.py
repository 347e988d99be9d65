"""`cost sweep` and `cost solve` (registered lazily by `cost.cli.main.LazyGroup`).

    cost sweep specs/shufflenet_v1.yaml --grid g=1,2,3,4,8 --grid s=0.5:2:0.5
    cost sweep specs/shufflenet_v1.yaml --grid g=1,2,3,4,8 --grid r=96:512:32 \\
        --where "madds <= 150e6" --report out/sweep
    cost solve specs/shufflenet_v1.yaml --target madds=140e6 --for c --set g=8

    cost sweep specs/shufflenet_v1.yaml --grid g=1,2,3,4,8 --grid s=0.25:2:0.25 \\
        --grid r=32:1024:32 --grid n=1:781250:1 --where "madds <= 600e6" --pareto --workers 2
    cost sweep ... --pareto "madds:min,s:max"   # the front of other objectives
    cost sweep ... --output sweep.parquet      # every kept row, written as it is computed
    cost sweep ... --device device.yaml --where "latency <= 2e-3" --pareto latency:min,params:max

Errors in the request (grids, --where, bindings) are found before anything is evaluated and
exit with code 2 (`cost.cli.main.user_errors`) with no output. Tables and JSON are printed once
computed; --output files appear (renamed from a temporary name) only when complete; only
`--format csv` to stdout prints rows as they are computed.
"""

from __future__ import annotations

import click

from cost.cli.main import FORMATS, binding_options, echo, parse_sets, user_errors
from cost.design.chunks import CHUNK
from cost.design.pareto import DEFAULT_OBJECTIVES


@click.command("sweep")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--grid", "grids", multiple=True, required=True, metavar="NAME=VALUES",
              help="A swept symbol or let (repeatable): a list g=1,2,3,4,8 or a range "
                   "start:stop:step, e.g. s=0.25:2:0.25 (stop included where it lands). "
                   "Limits: 100,000 values per name, 5,000,000 points in all.")
@binding_options
@click.option("--where", default=None, metavar="EXPR",
              help='Keep points where the condition holds, e.g. "madds <= 150e6 and g >= 3" '
                   "(names: madds, flops, params, mem, mem_read, mem_write, intensity, latency "
                   "with --device, and the swept names).")
@click.option("--device", "device_path", type=click.Path(dir_okay=False), default=None,
              help="A device profile (cost calibrate): adds the predicted latency in seconds as "
                   "a column, a --where name, a --pareto objective and a --by metric.")
@click.option("--pareto", "objectives", is_flag=False, flag_value=DEFAULT_OBJECTIVES,
              default=None, metavar="[OBJECTIVES]",
              help="Show only the Pareto front of the kept points for OBJECTIVES, METRIC:min or "
                   "METRIC:max separated by commas (metrics: madds, flops, params, mem, "
                   "mem_read, mem_write, intensity, latency with --device, and the swept "
                   f"names); bare: {DEFAULT_OBJECTIVES}, least cost for most capacity. With "
                   "--report: the front the report leads with.")
@click.option("--top", type=click.IntRange(min=1), default=None, metavar="K",
              help="Show only the K kept valid points least by --by (of the front with "
                   "--pareto).")
@click.option("--by", default="madds", show_default=True, metavar="METRIC",
              help="The metric --top ranks by (latency with --device); -METRIC for greatest "
                   "first, e.g. -intensity.")
@click.option("--sort", default=None, metavar="COLUMN",
              help="Order the shown rows by a metric (peak_mem, madds, ...; largest first) or a "
                   "swept name.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the rows to FILE.csv or FILE.parquet (pyarrow: cost[parquet]) as they "
                   "are computed, under a temporary name renamed at the end; print the summary.")
@click.option("--workers", type=click.IntRange(min=0), default=1, show_default=True,
              metavar="N", help="Evaluate chunks in N processes (0: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Evaluate chunks on a Dask cluster, e.g. tcp://host:8786 (cost[dask]).")
@click.option("--chunk", "chunk", type=click.IntRange(min=1), default=CHUNK, show_default=True,
              metavar="POINTS", help="Points evaluated together (bounds memory per worker).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              metavar="DIR", help="Write index.html (plots embedded), sweep.csv and summary.md "
                                  "to DIR (atomically) and print the summary only.")
@user_errors
def sweep_command(spec: str, grids: tuple[str, ...], sets: tuple[str, ...], preset: str | None,
                  where: str | None, device_path: str | None, objectives: str | None,
                  top: int | None, by: str, sort: str | None, fmt: str,
                  output: str | None, workers: int, scheduler: str | None, chunk: int,
                  quiet: bool, report_dir: str | None) -> None:
    """Evaluate SPEC at every point of a grid of symbol values, from its closed forms.

    One row per point: the bindings, madds, params, mem, intensity (madds per element moved),
    valid, reason (the first broken constraint) and pareto (on the Pareto front of the
    objectives among the valid points kept; by default madds:min,params:max: no other point
    has as few madds and as many params, and fewer or more of one).
    With --device, a last column: the predicted latency in seconds.

    With --pareto, --top, --output or --format csv the sweep streams: chunks are reduced as
    they are computed, in memory that does not grow with the grid (up to 10^15 points);
    otherwise every point is held (up to 20,000,000).
    """
    import sys

    import cost
    from cost.design.execute import tune_malloc
    from cost.design.grid import MAX_POINTS, MAX_STREAM_POINTS, SweepError
    from cost.design.sweep import check_sort, parse_grid, stream, sweep
    from cost.render.sweep import header, render_sweep, report_lines, summary_lines

    tune_malloc()  # this process is ours: keep chunk temporaries in the heap
    pareto = objectives is not None and report_dir is None  # show only the front
    streaming = bool(output or pareto or top is not None or fmt == "csv")
    if report_dir is not None and streaming:
        raise SweepError("--report shows every point: drop --top, --output and --format csv")
    grid = parse_grid(grids, MAX_STREAM_POINTS if streaming else MAX_POINTS)
    if sort is not None:
        check_sort(sort, grid, ("latency",) if device_path is not None else ())
        if output is not None or (fmt == "csv" and not pareto and top is None):
            raise SweepError("--sort orders the rows shown: with --output or --format csv "
                             "every row streams in grid order",
                             hint="add --top K or --pareto, or sort the file afterwards")
    loaded = cost.load(spec, preset=preset, **parse_sets(sets))
    progress = False if quiet else None
    run = {"where": where, "progress": progress, "workers": workers, "scheduler": scheduler,
           "chunk": chunk, "objectives": objectives, "device": _device(device_path)}
    if not streaming:
        result = sweep(loaded, grid, **run)
        if report_dir is not None:
            from cost.render.html import write_report

            path = write_report(result, report_dir)
            echo("\n".join(report_lines(result, path / "index.html")))
            return
        echo(render_sweep(result, fmt, sort).rstrip("\n"))
        return
    every_row = not pareto and top is None
    out = sys.stdout if fmt == "csv" and output is None else None
    result = stream(loaded, grid, pareto=pareto, top=top, by=by, output=output,
                    out=out if every_row else None, **run)
    if output is not None:
        echo("\n".join([header(result), *summary_lines(result), f"output: {output}"]))
    elif not every_row:
        echo(render_sweep(result, fmt, sort).rstrip("\n"))


@click.command("solve")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--target", required=True, metavar="METRIC=VALUE",
              help="The budget, e.g. madds=140e6 (metrics: madds, flops, params, mem, "
                   "mem_read, mem_write, peak_mem; latency in seconds with --device).")
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
    echo(render_solution(solution, fmt).rstrip("\n"))


def _device(path: str | None) -> object:
    if path is None:
        return None
    from cost.latency import load_device

    return load_device(path)
