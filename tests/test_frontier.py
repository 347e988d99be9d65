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
from cost.papers.frontier import frontier_rows, pareto, read_accuracy, select_families
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


def _own_spec(tmp_path, accuracy: str = "") -> str:
    """A ShuffleNet variant of the user's (another name: linked to no reported row)."""
    (tmp_path / "shufflenet_v1.yaml").write_text((specs_dir() / "shufflenet_v1.yaml").read_text())
    path = tmp_path / "mine.yaml"
    path.write_text("spec: 1\nextends: shufflenet_v1.yaml\nname: my_shufflenet\n" + accuracy)
    return str(path)


def test_own_spec_with_accuracy_is_drawn_beside_the_papers(tmp_path) -> None:
    spec = _own_spec(tmp_path, "accuracy:\n"
                     "  - {top1: 66.0, source: \"my run\", bind: {g: 3}, label: \"1.0x\"}\n"
                     "  - {top1: 59.0, source: \"my run\", preset: megvii-0.5x-g3}\n")
    assert [a.top1 for a in cost.load(spec).accuracy] == [66.0, 59.0]
    out = tmp_path / "f.png"
    result = CliRunner().invoke(main, ["frontier", spec, "--out", str(out), "--csv",
                                       str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(tmp_path / "f.csv")
    mine = got[got.family == "my_shufflenet (yours)"]
    assert list(mine.madds) == [37_589_856, 137_460_672] and list(mine.top1) == [59.0, 66.0]
    assert set(mine.source) == {"my run"} and mine.reported_mflops.isna().all()
    assert {"shufflenet_v1", "mobilenet_v2"} <= set(got.family)  # the papers are drawn too
    fig = frontier(rows=frontier_rows([spec]))
    (line,) = artists(fig, "family:")["my_shufflenet (yours)"]
    assert list(line.get_xdata()) == [37.589856, 137.460672]


def test_accuracy_csv_and_its_errors(tmp_path) -> None:
    spec = _own_spec(tmp_path)
    bare = CliRunner().invoke(main, ["frontier", spec, "--out", str(tmp_path / "f.png")])
    assert bare.exit_code == 2 and "accuracy:" in bare.stderr and "--accuracy" in bare.stderr
    table = tmp_path / "acc.csv"
    table.write_text("spec,top1,source,bind,label\nmy_shufflenet,61.5,notebook,s=0.5;g=3,half\n")
    rows = frontier_rows([spec], accuracy=read_accuracy(table))
    mine = rows[rows.family == "my_shufflenet (yours)"]
    assert mine.label.tolist() == ["half"] and mine.madds.tolist() == [37_589_856]
    table.write_text("top1,source\n61.5,\n")
    result = CliRunner().invoke(main, ["frontier", spec, "--accuracy", str(table), "--out",
                                       str(tmp_path / "f.png")])
    assert result.exit_code == 2 and "acc.csv:2" in result.stderr and "source" in result.stderr
    bad = _own_spec(tmp_path, "accuracy: {top1: 66}\n")
    result = CliRunner().invoke(main, ["frontier", bad, "--out", str(tmp_path / "f.png")])
    assert result.exit_code == 2 and "needs source" in result.stderr
    assert "Traceback" not in result.stderr
