"""`cost sweep ... --report DIR`: a self-contained HTML report, the rows as CSV, and a summary.

DIR receives exactly three files:

* `index.html`: led by the Pareto front of the sweep's objectives (default madds:min,
  params:max; `--pareto OBJECTIVES` chooses): a table of the front's points, then the plots
  (the objectives against each other, madds vs params, madds vs mem, each metric vs each swept
  name), then the summary; PNGs embedded as base64 (no other file, no network);
* `sweep.csv`: the rows the command would print (`cost.render.sweep.to_csv`);
* `summary.md`: the front and the summary as markdown.

Plots: markers coloured by a swept name (a colour bar names it), axes logarithmic where the
values span more than `LOG_SPAN` (1.5 decades), tick labels as K/M/G counts
(`cost.render.format.format_count`, never a `1e8` offset), figures as wide as the page (CSS
width 100%, two per row on a wide screen).

Writing is atomic: everything is rendered in memory, written to a new hidden directory next to
DIR, and renamed to DIR; an interrupted sweep leaves either no report or the previous one.
An existing DIR is replaced only if it is empty or holds nothing but these three files.
Plots show at most `MAX_PLOTTED` valid points (a seeded sample, Pareto points always included);
the captions say how many.

>>> write_report(sweep(spec, {"g": (1, 2, 3, 4, 8)}), "out/report")  # doctest: +SKIP
PosixPath('out/report')
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cost.errors import SpecError
from cost.measures import convention_line
from cost.render.format import exact, format_count, significant, value_text
from cost.render.sweep import header, objectives_text, summary_lines, to_csv

FILES = ("index.html", "sweep.csv", "summary.md")
MAX_PLOTTED = 20_000
MAX_PARETO_ROWS = 500
PLOTTED = ("madds", "params", "mem", "intensity")  # against each swept name, and the
OPTIONAL = ("peak_mem", "latency")  # metrics a sweep carries when it computes them
LOG_SPAN = 10 ** 1.5  # max / min past which an axis (or a colour bar) is logarithmic
DISCRETE = 12  # a swept name with at most this many values is coloured value by value


class ReportError(SpecError):
    """The report directory cannot be written as asked."""


def write_report(sweep: Any, directory: str | os.PathLike) -> Path:
    """Render the report for `sweep` and move it into place as `directory` (see module doc)."""
    given = os.fspath(directory)
    if not given or "\0" in given:
        raise ReportError("--report: not a usable directory name")
    target = Path(os.path.abspath(given))  # `.` and `a/..` become real names
    _check_target(target, given)
    files = {"index.html": render_html(sweep), "sweep.csv": to_csv(sweep),
             "summary.md": render_summary(sweep)}
    staging = old = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name[:64]}.", suffix=".tmp",
                                        dir=target.parent))
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if target.exists() or target.is_symlink():
            _check_target(target, given)
            old = staging.with_suffix(".old")
            os.rename(target, old)
            os.rename(staging, target)
            staging = None
            _remove_report(old)
        else:
            os.rename(staging, target)
            staging = None
    except OSError as e:
        raise ReportError(f"--report {given}: cannot write: "
                          f"{e.strerror or type(e).__name__}") from None
    finally:
        if staging is not None:
            _remove_report(staging)
    return Path(given)


def _remove_report(directory: Path) -> None:
    """Remove a directory holding only report files (never anything else: no rmtree)."""
    for name in FILES:
        with contextlib.suppress(OSError):
            (directory / name).unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()


def _check_target(target: Path, given: str) -> None:
    try:
        _check_existing(target, given)
    except OSError as e:  # a name too long, a path through a file
        raise ReportError(f"--report {given}: {e.strerror or 'cannot be written'}") from None


def _check_existing(target: Path, given: str) -> None:
    if target.is_symlink():
        raise ReportError(f"--report {given}: is a symbolic link; cost does not replace links",
                          hint="name a directory itself")
    if not target.exists():
        return
    if not target.is_dir():
        raise ReportError(f"--report {given}: exists and is not a directory")
    try:
        entries = list(target.iterdir())
    except OSError as e:
        raise ReportError(f"--report {given}: {e.strerror or 'cannot be read'}") from None
    other = sorted(p.name for p in entries
                   if p.name not in FILES or p.is_symlink() or not p.is_file())
    if other:
        raise ReportError(f"--report {given}: the directory holds other files "
                          f"({', '.join(other[:3])}{', ...' if len(other) > 3 else ''}); "
                          "it is replaced only when empty or a previous report",
                          hint="choose a new directory")


# --- tables --------------------------------------------------------------------------------------


def _goal(sweep: Any) -> Any:
    from cost.design.reduce import Goal

    return sweep.goal if getattr(sweep, "goal", None) is not None else Goal.of(None, sweep.grid)


def _front_order(sweep: Any, idx: np.ndarray) -> np.ndarray:
    """The front's points by their first objective, best first (exact), then point order."""
    from fractions import Fraction

    from cost.design.reduce import objective_values

    goal = _goal(sweep)
    first = goal.objectives[0]
    v = objective_values(sweep.block(idx), first.name, sweep.grid)
    if isinstance(v, tuple):
        num, den = v
        den = np.broadcast_to(np.asarray(den, dtype=object), np.shape(num)).tolist()
        keys = [Fraction(int(a), int(b)) if b else Fraction(10**400) * (1 if a > 0 else -1)
                for a, b in zip(np.asarray(num).tolist(), den, strict=True)]
    else:
        keys = np.asarray(v).tolist()
    sign = 1 if first.direction == "min" else -1
    order = sorted(range(len(idx)), key=lambda j: (sign * keys[j], idx[j]))
    return idx[np.array(order, np.int64)] if order else idx


def pareto_rows(sweep: Any) -> tuple[list[str], list[list[str]]]:
    """The front's points by their first objective, best first (at most MAX_PARETO_ROWS): the
    swept values, madds, params, mem, intensity and any other metric an objective names."""
    idx = np.flatnonzero(sweep.pareto)
    idx = _front_order(sweep, idx)[:MAX_PARETO_ROWS]
    names = list(sweep.grid)
    shown = ["madds", "params", "mem"]
    extra = [o.name for o in _goal(sweep).objectives
             if o.name in ("flops", "mem_read", "mem_write")]
    metrics = {m: sweep.number(m) for m in shown
               + [m for m in extra if m != "flops"]}
    intensity = sweep.intensity()
    rows = []
    for i in idx:
        row = [value_text(sweep.grid[n][sweep.indices(n)[i]]) for n in names]
        row += [exact(metrics[m][i]) for m in shown]
        row += [exact(2 * metrics["madds"][i]) if m == "flops" else exact(metrics[m][i])
                for m in extra]
        rows.append([*row, significant(intensity[i], 4)])
    return [*names, *shown, *extra, "intensity"], rows


def front_caption(sweep: Any) -> str:
    """What the front is, in words."""
    goal = _goal(sweep)
    parts = [f"{'fewest' if o.direction == 'min' else 'most'} {o.name}" for o in goal.objectives]
    return ("Valid points (passing --where) that no other point beats on "
            f"{objectives_text(sweep)}: no other point has at least as good a value of each "
            f"({', '.join(parts)}) and a better one of some. Sorted by {goal.objectives[0].name}, "
            "best first; choose with --pareto OBJECTIVES.")


def render_summary(sweep: Any) -> str:
    from tabulate import tabulate

    headers, rows = pareto_rows(sweep)
    lines = [f"# Sweep: {sweep.form.spec.name}", "", header(sweep), "",
             f"## Pareto front ({objectives_text(sweep)})", "", front_caption(sweep), ""]
    lines.append(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
                 if rows else "(no valid point)")
    if int(sweep.pareto.sum()) > len(rows):
        lines.append(f"\n(first {len(rows)} of {int(sweep.pareto.sum())})")
    lines += ["", "## Summary", "", *(f"- {x}" for x in summary_lines(sweep)),
              f"- {convention_line(1)}", "",
              "Files: index.html (plots), sweep.csv (one row per point), summary.md.", ""]
    return "\n".join(lines)


# --- plots ---------------------------------------------------------------------------------------


def _sample(sweep: Any) -> np.ndarray:
    ok = np.flatnonzero(sweep.valid & sweep.kept)
    if len(ok) <= MAX_PLOTTED:
        return ok
    rng = np.random.default_rng(0)
    chosen = rng.choice(ok, MAX_PLOTTED, replace=False)
    return np.union1d(chosen, np.flatnonzero(sweep.pareto))


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _spans_decades(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return bool(v.size) and v.min() > 0 and v.max() / v.min() > LOG_SPAN


def _tick(value: float, _pos: Any = None) -> str:
    return format_count(int(value) if float(value).is_integer() else value)


def _axis(ax: Any, which: str, values: np.ndarray, label: str) -> None:
    """Log where the values span decades; K/M/G tick labels (no offset or 1e8 multiplier)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    if _spans_decades(values):
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(FuncFormatter(_tick))
    axis.set_label_text(label)


def _colours(values: np.ndarray, name: str, grid_values: tuple) -> dict[str, Any]:
    """Scatter colour arguments for markers coloured by swept name `name`."""
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, LogNorm, Normalize

    distinct = sorted({float(v) for v in grid_values})
    if len(distinct) <= DISCRETE:
        cmap = colormaps["viridis"].resampled(max(len(distinct), 2))
        codes = np.searchsorted(distinct, values)
        return {"c": codes, "cmap": cmap,
                "norm": BoundaryNorm(np.arange(-0.5, max(len(distinct), 2)), cmap.N),
                "ticks": list(range(len(distinct))),
                "labels": [value_text(v) for v in sorted(grid_values, key=float)]}
    norm = (LogNorm if _spans_decades(np.array(distinct)) else Normalize)(
        vmin=distinct[0], vmax=distinct[-1])
    return {"c": values, "cmap": colormaps["viridis"], "norm": norm, "ticks": None,
            "labels": None}


def scatter_figure(x: np.ndarray, y: np.ndarray, front: np.ndarray, xlabel: str, ylabel: str,
                   title: str, colour: tuple[str, np.ndarray, tuple] | None = None,
                   front_label: str = "Pareto front", step: bool = False) -> Any:
    """A wide scatter: markers coloured by `colour` (name, values per point, grid values) with
    a colour bar naming it, the front ringed in red (joined by a step line with `step`)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter

    fig = Figure(figsize=(8.0, 4.4))
    ax = fig.add_subplot()
    if colour is not None:
        name, values, grid_values = colour
        c = _colours(values, name, grid_values)
        points = ax.scatter(x, y, s=14, c=c["c"], cmap=c["cmap"], norm=c["norm"],
                            alpha=0.8, linewidths=0, zorder=2)
        bar = fig.colorbar(points, ax=ax, pad=0.02, fraction=0.05)
        bar.set_label(name)
        if c["ticks"] is not None:
            bar.set_ticks(c["ticks"], labels=c["labels"])
        else:
            bar.ax.yaxis.set_major_formatter(FuncFormatter(_tick))
            bar.ax.yaxis.set_minor_locator(FixedLocator([]))
    else:
        ax.scatter(x, y, s=14, color="#4a7bb7", alpha=0.6, linewidths=0, zorder=2)
    if front.any():
        if step:
            order = np.argsort(x[front], kind="stable")
            ax.plot(x[front][order], y[front][order], color="#d6452b", lw=1, alpha=0.7,
                    drawstyle="steps-post", zorder=3)
        ax.scatter(x[front], y[front], s=48, facecolors="none", edgecolors="#d6452b",
                   linewidths=1.4, label=front_label, zorder=4)
        ax.legend(fontsize=8, loc="best")
    _axis(ax, "x", x, xlabel)
    _axis(ax, "y", y, ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3, which="major")
    return fig


def _values(sweep: Any, name: str, idx: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
    if name in data:
        return data[name]
    if name == "flops":
        return 2 * data["madds"]
    if name in sweep.grid:
        return np.asarray(sweep.values(name)[idx], dtype=np.float64)
    return np.asarray(sweep.number(name)[idx], dtype=np.float64)


def plots(sweep: Any) -> list[tuple[str, str]]:
    """(caption, base64 PNG): the objectives against each other, madds vs params, madds vs mem,
    each metric (madds, params, mem, intensity, and peak_mem and latency where the sweep has
    them) vs each swept name."""
    return [(caption, _png(fig)) for caption, fig in figures(sweep)]


def figures(sweep: Any) -> list[tuple[str, Any]]:
    """(caption, matplotlib Figure) for `plots`."""
    idx = _sample(sweep)
    if not idx.size:
        return []
    front = sweep.pareto[idx]
    data = {m: np.asarray(sweep.number(m)[idx], dtype=np.float64)
            for m in ("madds", "params", "mem")}
    data["intensity"] = sweep.intensity()[idx]
    for m in OPTIONAL:
        if m in sweep.metrics:
            data[m] = sweep.latency()[idx] if m == "latency" else np.asarray(
                sweep.number(m)[idx], dtype=np.float64)
    plotted = [m for m in (*PLOTTED, *OPTIONAL) if m in data]
    names = list(sweep.grid)
    swept = {n: np.asarray(sweep.values(n)[idx], dtype=np.float64) for n in names}

    def colour(*avoid: str) -> tuple[str, np.ndarray, tuple] | None:
        name = next((n for n in names if n not in avoid), names[0])
        return name, swept[name], sweep.grid[name]

    shown = f"{exact(len(idx))} of {exact(int((sweep.valid & sweep.kept).sum()))} valid points"
    label = f"Pareto front ({objectives_text(sweep)})"
    out = []
    objectives = _goal(sweep).objectives
    if len(objectives) >= 2:
        a, b = objectives[0], objectives[1]
        pair = {(a.name, b.name), (b.name, a.name)}
        if not pair & {("madds", "params"), ("madds", "mem")}:
            title = f"{b.name} ({b.direction}) vs {a.name} ({a.direction})"
            out.append((f"{title}: the objectives ({shown})", scatter_figure(
                _values(sweep, a.name, idx, data), _values(sweep, b.name, idx, data), front,
                a.name, b.name, title, colour(a.name, b.name), label, step=True)))
    step = {o.name for o in objectives[:2]} == {"madds", "params"} and len(objectives) == 2
    out.append((f"madds vs params ({shown})", scatter_figure(
        data["params"], data["madds"], front, "params", "madds", "madds vs params",
        colour(), label, step=step)))
    out.append((f"madds vs mem ({shown})", scatter_figure(
        data["mem"], data["madds"], front, "mem (elements)", "madds", "madds vs memory access",
        colour(), label)))
    for name in names:
        for metric in plotted:
            out.append((f"{metric} vs {name} ({shown})", scatter_figure(
                swept[name], data[metric], front, name, metric, f"{metric} vs {name}",
                colour(name), label)))
    return out


# --- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f3f3f3; } td.left, th.left { text-align: left; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(34em, 1fr));
         gap: 1.2em; }
figure { margin: 0; } figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 0.8em; color: #555; }
.muted { color: #666; font-size: 0.9em; }
"""


def _table_html(headers: list[str], rows: list[list[str]], left: int = 0) -> str:
    def cell(tag: str, text: str, i: int) -> str:
        cls = ' class="left"' if i < left else ""
        return f"<{tag}{cls}>{html.escape(str(text))}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(r)) + "</tr>"
                     for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def render_html(sweep: Any) -> str:
    s = sweep.summary()
    headers, rows = pareto_rows(sweep)
    reasons = [[r, exact(n)] for r, n in s["invalid_reasons"].items()]
    grid = [[n, exact(len(v)), ", ".join(value_text(x) for x in v[:12])
             + (", ..." if len(v) > 12 else "")] for n, v in sweep.grid.items()]
    figures_html = "\n".join(
        f'<figure><img alt="{html.escape(c)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>" for c, png in plots(sweep))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>cost sweep: {html.escape(sweep.form.spec.name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Sweep: {html.escape(sweep.form.spec.name)}</h1>",
        f"<p>{html.escape(header(sweep))}</p>",
        f'<h2 id="front">Pareto front ({html.escape(objectives_text(sweep))}): '
        f"{exact(s['pareto'])} of {exact(s['kept'])} kept valid points</h2>",
        f'<p class="muted">{html.escape(front_caption(sweep))}</p>',
        _table_html(headers, rows) if rows else "<p>(no valid point)</p>",
    ]
    if s["pareto"] > len(rows):
        parts.append(f'<p class="muted">first {len(rows)} of {exact(s["pareto"])}</p>')
    parts += ["<h2>Plots</h2>",
              '<p class="muted">Markers are coloured by a swept name (the colour bar names '
              "it); the front is ringed in red; axes spanning more than 1.5 decades are "
              "logarithmic.</p>",
              f'<div class="plots">{figures_html}</div>',
              "<h2>Summary</h2><ul>",
              *(f"<li>{html.escape(x)}</li>" for x in summary_lines(sweep)),
              f"<li>{html.escape(convention_line(1))}</li></ul>",
              _table_html(["name", "values", "grid"], grid, left=1)]
    if reasons:
        parts += ["<h3>Why points are invalid</h3>",
                  _table_html(["first broken check", "points"], reasons, left=1)]
    parts += ['<p class="muted">Data: sweep.csv next to this file.</p>', "</body></html>"]
    return "\n".join(parts)
