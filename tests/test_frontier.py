"""`cost frontier`: the right points, one artist per family, the CSV and the files."""

from __future__ import annotations

import doctest
import importlib
import math

import matplotlib
import pandas as pd
import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.errors import SpecError
from cost.papers.frontier import frontier_rows, pareto, select_families
from cost.papers.reported import reported
from cost.papers.zoo import parse_bind, specs_dir
from cost.render.plot import frontier, style

FEW = ["shufflenet_v2", "mobilenet_v2", "alexnet"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return frontier_rows()


@pytest.fixture(scope="module")
def figure(rows: pd.DataFrame):
    return frontier(rows=rows)


def artists(fig, prefix: str) -> dict[str, object]:
    ax = fig.axes[0]
    found: dict[str, list] = {}
    for line in ax.get_lines():
        gid = line.get_gid() or ""
        if gid.startswith(prefix):
            found.setdefault(gid.removeprefix(prefix), []).append(line)
    return found


def test_default_families_are_the_bundled_specs_with_accuracies(rows: pd.DataFrame) -> None:
    df = reported()
    head = df[df.frontier & (df.dataset == "ImageNet") & df.top1.notna() & (df.spec != "")]
    expected = {r.family for r in head.itertuples() if (specs_dir() / r.spec).is_file()}
    assert set(rows.family) == expected
    assert {"shufflenet_v1", "shufflenet_v2", "mobilenet_v2", "alexnet"} <= expected


def test_one_artist_per_family(figure, rows: pd.DataFrame) -> None:
    families = set(rows.family)
    per_family = artists(figure, "family:")
    assert set(per_family) == families
    assert all(len(lines) == 1 for lines in per_family.values())
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    for i, family in enumerate(dict.fromkeys(rows.family)):
        assert legend.count(style(family, i).name) == 1, family
    assert len({style(f).color for f in families}) == len(families), "two families, one colour"
    assert len(artists(figure, "pareto")) == 1


def test_points_are_the_reported_and_computed_values(figure, rows: pd.DataFrame) -> None:
    reported_lines = artists(figure, "family:")
    computed_lines = artists(figure, "computed:")
    for family, fam in rows.groupby("family", sort=False):
        xs, ys = reported_lines[family][0].get_data()
        drawn = fam[fam.reported_mflops.notna()].sort_values("reported_mflops")
        assert list(xs) == list(drawn.reported_mflops)  # joined in order of cost
        assert list(ys) == list(drawn.top1)
        ok = fam[fam.status == "ok"]
        cx, _ = computed_lines[family][0].get_data()
        assert sorted(cx) == sorted(m / 1e6 for m in ok.madds)


def test_rows_match_reported_data_and_specs(rows: pd.DataFrame) -> None:
    df = reported()
    for r in rows.itertuples():
        src = df[(df.model == r.model) & (df.source == r.source)].iloc[0]
        assert (src.top1, src.family, src.label) == (r.top1, r.family, r.label)
        assert src.reported_mflops == r.reported_mflops or math.isnan(src.reported_mflops)
        if r.status == "ok":
            spec = cost.load(specs_dir() / r.spec, preset=r.preset or None, **parse_bind(r.bind))
            total = cost.profile(spec).total
            assert (r.madds, r.params, r.mem) == (total.madds, total.params, total.mem)
            if r.reported_mflops == r.reported_mflops:
                assert r.madds_dev_pct == pytest.approx(
                    (r.madds - r.reported_mflops * 1e6) / (r.reported_mflops * 1e6) * 100)


def test_every_headline_variant_with_a_spec_is_computed(rows: pd.DataFrame) -> None:
    # a missing spec file fails tests/test_zoo.py::test_every_linked_spec_exists_and_profiles
    linked = rows[(rows.spec != "") & rows.spec.map(lambda s: (specs_dir() / s).is_file())]
    assert (linked.status == "ok").all(), linked[linked.status != "ok"][["model", "status"]]


@pytest.mark.parametrize("x", ["params", "mem"])
def test_computed_axes(rows: pd.DataFrame, x: str) -> None:
    fig = frontier(rows=rows, x=x, labels=False)
    per_family = artists(fig, "family:")
    for family, fam in rows[rows.status == "ok"].groupby("family", sort=False):
        xs, ys = per_family[family][0].get_data()
        assert sorted(xs) == sorted(v / 1e6 for v in getattr(fam, x))
    assert not artists(fig, "computed:"), "no reported values to set computed ones beside"
    assert "MAC" in fig.axes[0].get_xlabel() or x == "params"


def test_figure_is_not_shown_or_registered_with_pyplot(rows: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = frontier(rows=rows[rows.family.isin(FEW)])
    assert plt.get_fignums() == before
    assert isinstance(fig, matplotlib.figure.Figure)


def test_labels_do_not_collide(figure) -> None:
    from matplotlib.text import Text

    renderer = figure.canvas.get_renderer()
    boxes = []
    for t in figure.axes[0].texts:
        t.update_positions(renderer)
        boxes.append(Text.get_window_extent(t, renderer))  # the text alone, not its leader line
    assert len(boxes) >= 20
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "two labels overlap"


def test_pareto() -> None:
    points = [(13, 45.0), (38, 56.8), (41, 60.3), (140, 67.4), (149, 63.7), (146, 69.4)]
    front = pareto(points)
    assert front == [(13, 45.0), (38, 56.8), (41, 60.3), (140, 67.4), (146, 69.4)]
    for x, y in points:  # every point is matched by a frontier point no costlier
        assert any(fx <= x and fy >= y for fx, fy in front)


def test_selection_by_spec_and_family() -> None:
    chosen, _ = select_families([specs_dir() / "mobilenet_v2.yaml"], ["alexnet"])
    assert chosen == ["alexnet", "mobilenet_v2"]
    with pytest.raises(SpecError, match="no family 'shufflenet'"):
        select_families([], ["shufflenet"])
    with pytest.raises(SpecError, match="no reported accuracy"):
        select_families([specs_dir() / "shufflenet_g3.yaml"])


def test_a_users_copy_of_a_spec_is_matched_by_name(tmp_path) -> None:
    copy = tmp_path / "my_v2.yaml"
    copy.write_text((specs_dir() / "shufflenet_v2.yaml").read_text())
    chosen, files = select_families([copy])
    assert chosen == ["shufflenet_v2"] and files == {"shufflenet_v2.yaml": copy}


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_cli_writes_the_figure_and_the_csv(tmp_path, suffix: str) -> None:
    out, csv = tmp_path / f"f.{suffix}", tmp_path / "f.csv"
    result = CliRunner().invoke(main, ["frontier", "--families", ",".join(FEW), "--out",
                                       str(out), "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    back = pd.read_csv(csv, keep_default_na=False)
    expected = frontier_rows(families=FEW)
    assert list(back.model) == list(expected.model)
    assert [int(v) for v in back.madds] == list(expected.madds)
    dev = back.madds_dev_pct.replace("", float("nan")).astype(float)
    assert dev.tolist() == pytest.approx(expected.madds_dev_pct.astype(float).tolist(),
                                         nan_ok=True)


@pytest.mark.parametrize("args,message", [
    (["--out", "x.gif"], "cannot write this format"),
    (["--families", "nope"], "no family 'nope'"),
    (["--x", "flops"], "Invalid value"),
])
def test_cli_user_errors_exit_2(tmp_path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["frontier", *args])
    assert result.exit_code == 2 and message in result.output


def test_docstring_examples() -> None:
    # by name, not package attribute
    for name in ("cost.papers.frontier", "cost.render.labels", "cost.render.plot"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name
