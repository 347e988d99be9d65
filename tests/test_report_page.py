"""The HTML sweep report as a browser shows it (issue 15): led by the Pareto front, plots as wide
as the page, markers coloured by a swept name, log axes where values span decades, K/M/G tick
labels and no `1e8` offset; rendered in headless Chromium (Debian's `chromium`, which CI
installs), whose screenshot must have the requested size and whose images must all load.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.design.sweep import sweep
from cost.render.html import LOG_SPAN, figures

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "shufflenet_v1.yaml")
GRID = ["--grid", "g=1,2,3,4,8", "--grid", "s=0.25:2:0.25", "--grid", "r=32:512:32"]
WIDTH, HEIGHT = 1280, 2000
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COUNT_TICK = re.compile(r"^-?(0|\d+(\.\d+)?[KMGT]?)$")  # format_count's labels: 500K, 2M, 1.5


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "rep"
    r = CliRunner().invoke(main, ["sweep", SPEC, *GRID, "--report", str(target), "-q"])
    assert r.exit_code == 0, r.output
    assert "Pareto front (madds:min, params:max): 19" in r.stdout
    return target


def test_the_report_leads_with_the_front(report: Path) -> None:
    page = (report / "index.html").read_text()
    front = page.index("<h2 id=\"front\">Pareto front (madds:min, params:max): 19 of 640")
    assert front < page.index("<table>") < page.index("<img") < page.index("<h2>Summary")
    # madds vs params, vs mem; 5 metrics (madds, params, mem, intensity, peak_mem) x 3 names
    assert page.count("<img") == 2 + 3 * 5
    assert 'alt="peak_mem vs r' in page
    summary = (report / "summary.md").read_text()
    assert summary.index("## Pareto front (madds:min, params:max)") < summary.index("## Summary")


def test_report_objectives_from_pareto(tmp_path: Path) -> None:
    target = tmp_path / "rep"
    r = CliRunner().invoke(main, ["sweep", SPEC, "--grid", "g=1,2,3,4,8", "--grid",
                                  "s=0.5,1,2", "--pareto", "intensity:max,params:max",
                                  "--report", str(target), "-q"])
    assert r.exit_code == 0, r.output
    page = (target / "index.html").read_text()
    assert "Pareto front (intensity:max, params:max)" in page
    # the objectives' own plot comes first when they are not madds vs params or mem
    assert page.index('alt="params (max) vs intensity (max)') < page.index('alt="madds vs params')


def test_plots_colour_log_axes_and_count_ticks() -> None:
    result = sweep(cost.load(SPEC), {"g": (1, 2, 3, 4, 8), "s": (0.25, 0.5, 1, 2),
                                     "r": tuple(range(32, 513, 32))})
    figs = figures(result)
    caption, fig = figs[0]
    assert caption.startswith("madds vs params")
    ax, bar = fig.axes
    assert bar.get_ylabel() == "g"  # the colour bar names the swept symbol
    assert [t.get_text() for t in bar.get_yticklabels()] == ["1", "2", "3", "4", "8"]
    madds = result.number("madds")[result.valid]
    assert madds.max() / madds.min() > LOG_SPAN and ax.get_yscale() == "log"
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for _, fig in figs:
        FigureCanvasAgg(fig).draw()
        main_ax = fig.axes[0]
        for axis in (main_ax.xaxis, main_ax.yaxis):
            assert axis.get_offset_text().get_text() == ""  # no 1e8 multiplier
            labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
            assert labels and all(COUNT_TICK.match(t) for t in labels), labels


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _chromium(*args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="cost-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
             *args], capture_output=True, text=True, timeout=60, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.dataset.images = images.length;
  document.body.dataset.broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  document.body.dataset.widest = Math.max(...images.map(i => i.getBoundingClientRect().width));
});
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs Debian's "
                                              "chromium package: apt-get install chromium)")
def test_the_page_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    index = report / "index.html"
    shot = tmp_path / "page.png"
    r = _chromium(f"--screenshot={shot}", index.as_uri())
    assert shot.exists(), r.stderr[-2000:]
    assert _png_size(shot) == (WIDTH, HEIGHT)
    assert len(set(shot.read_bytes()[64:])) > 64  # not a blank page
    probe = tmp_path / "probe.html"
    probe.write_text(index.read_text().replace("</body>", PROBE))
    r = _chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    body = re.search(r"<body([^>]*)>", r.stdout)
    assert body, r.stderr[-2000:]
    attrs = dict(re.findall(r'data-(\w+)="([^"]*)"', body.group(1)))
    assert attrs.get("broken") == "0" and int(attrs["images"]) == 2 + 3 * 5, attrs
    # two plots per row on a 1280-pixel page: each about half the page wide, not a thumbnail
    assert float(attrs["widest"]) > 0.4 * WIDTH, attrs
    assert np.isfinite(float(attrs["widest"]))
