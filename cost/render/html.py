"""`cost sweep ... --report DIR`: a self-contained HTML report, the rows as CSV, and a summary.

DIR receives exactly three files:

* `index.html`: the sweep summary, the Pareto-optimal configurations and the plots (madds vs
  params, madds vs mem, each metric vs each swept name), PNGs embedded as base64 (no other file,
  no network);
* `sweep.csv`: the rows the command would print (`cost.render.sweep.to_csv`);
* `summary.md`: the summary and the Pareto configurations as markdown.

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
from cost.render.format import exact, significant, value_text
from cost.render.sweep import header, summary_lines, to_csv

FILES = ("index.html", "sweep.csv", "summary.md")
MAX_PLOTTED = 20_000
MAX_PARETO_ROWS = 500
PLOTTED = ("madds", "params", "mem", "intensity")


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


def pareto_rows(sweep: Any) -> tuple[list[str], list[list[str]]]:
    """The Pareto-optimal configurations, by increasing madds (at most MAX_PARETO_ROWS)."""
    idx = np.flatnonzero(sweep.pareto)
    madds = np.asarray(sweep.number("madds")[idx])
    idx = idx[np.argsort(madds, kind="stable")][:MAX_PARETO_ROWS]
    names = list(sweep.grid)
    metrics = {m: sweep.number(m) for m in ("madds", "params", "mem")}
    intensity = sweep.intensity()
    rows = []
    for i in idx:
        rows.append([*(value_text(sweep.grid[n][sweep.indices(n)[i]]) for n in names),
                     *(exact(metrics[m][i]) for m in metrics), significant(intensity[i], 4)])
    return [*names, "madds", "params", "mem", "intensity"], rows


def render_summary(sweep: Any) -> str:
    from tabulate import tabulate

    headers, rows = pareto_rows(sweep)
    lines = [f"# Sweep: {sweep.form.spec.name}", "", header(sweep), "",
             *(f"- {x}" for x in summary_lines(sweep)), f"- {convention_line(1)}", "",
             "## Pareto-optimal configurations", "",
             "Valid points (passing --where) that no other point beats in madds, params and "
             "mem at once.", ""]
    lines.append(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
                 if rows else "(no valid point)")
    if int(sweep.pareto.sum()) > len(rows):
        lines.append(f"\n(first {len(rows)} of {int(sweep.pareto.sum())}, by madds)")
    lines += ["", "Files: index.html (plots), sweep.csv (one row per point), summary.md.", ""]
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
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _axis_scale(ax: Any, which: str, values: np.ndarray) -> None:
    v = values[np.isfinite(values) & (values > 0)]
    if v.size and v.max() / v.min() > 50:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def _scatter(x: np.ndarray, y: np.ndarray, front: np.ndarray, xlabel: str, ylabel: str,
             title: str) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.8))
    ax = fig.add_subplot()
    ax.scatter(x[~front], y[~front], s=6, alpha=0.35, color="#4a7bb7", linewidths=0,
               label="valid")
    if front.any():
        ax.scatter(x[front], y[front], s=22, color="#d6452b", label="Pareto-optimal", zorder=3)
    _axis_scale(ax, "x", x)
    _axis_scale(ax, "y", y)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def plots(sweep: Any) -> list[tuple[str, str]]:
    """(caption, base64 PNG) for madds vs params, madds vs mem, each metric vs each name."""
    idx = _sample(sweep)
    if not idx.size:
        return []
    front = sweep.pareto[idx]
    data = {m: np.asarray(sweep.number(m)[idx], dtype=np.float64)
            for m in ("madds", "params", "mem")}
    data["intensity"] = sweep.intensity()[idx]
    shown = f"{exact(len(idx))} of {exact(int((sweep.valid & sweep.kept).sum()))} valid points"
    out = [(f"madds vs params ({shown})",
            _scatter(data["params"], data["madds"], front, "params", "madds", "madds vs params")),
           (f"madds vs mem ({shown})",
            _scatter(data["mem"], data["madds"], front, "mem (elements)", "madds",
                     "madds vs memory access"))]
    for name in sweep.grid:
        x = np.asarray(sweep.values(name)[idx], dtype=np.float64)
        for metric in PLOTTED:
            out.append((f"{metric} vs {name} ({shown})",
                        _scatter(x, data[metric], front, name, metric, f"{metric} vs {name}")))
    return out


# --- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f3f3f3; } td.left, th.left { text-align: left; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-size: 0.8em; color: #555; }
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
    figures = "\n".join(
        f'<figure><img alt="{html.escape(c)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>" for c, png in plots(sweep))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>cost sweep: {html.escape(sweep.form.spec.name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Sweep: {html.escape(sweep.form.spec.name)}</h1>",
        f"<p>{html.escape(header(sweep))}</p>",
        "<h2>Summary</h2><ul>",
        *(f"<li>{html.escape(x)}</li>" for x in summary_lines(sweep)),
        f"<li>{html.escape(convention_line(1))}</li></ul>",
        _table_html(["name", "values", "grid"], grid, left=1),
    ]
    if reasons:
        parts += ["<h3>Why points are invalid</h3>",
                  _table_html(["first broken check", "points"], reasons, left=1)]
    parts += ["<h2>Pareto-optimal configurations</h2>",
              '<p class="muted">Valid points (passing --where) that no other point beats in '
              "madds, params and mem at once, by increasing madds.</p>",
              _table_html(headers, rows) if rows else "<p>(no valid point)</p>"]
    if s["pareto"] > len(rows):
        parts.append(f'<p class="muted">first {len(rows)} of {exact(s["pareto"])}</p>')
    parts += ["<h2>Plots</h2>", f'<div class="plots">{figures}</div>',
              '<p class="muted">Data: sweep.csv next to this file.</p>', "</body></html>"]
    return "\n".join(parts)
