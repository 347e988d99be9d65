"""Latency: the device profile, the per-kernel prediction (exactly the roofline formula), latency
as a metric in sweep, solve and frontier, and (with onnxruntime installed) the bench pipeline and
a reduced calibration. No test asserts a wall time."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main
from cost.latency import KINDS, Device, DeviceError, latency, predict
from cost.latency.device import load_device
from cost.latency.predict import groups_of, kernel_layers, kind_of

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "cost" / "specs"
TINY = """spec: 1
name: tiny
input: [1, 8, 12, 12]
network:
  - {op: conv, out: 16, k: 3, pad: 1}
  - {op: bn}
  - {op: relu}
  - {id: split, op: channel_split, parts: 2}
  - {op: conv, in: split.1, k: 3, pad: 1, groups: depthwise}
  - {op: concat, in: [split.0, prev]}
  - {op: channel_shuffle, groups: 2}
  - {op: global_avgpool}
  - {op: flatten}
  - {op: linear, out: 10}
"""


def hand_device(**changes: object) -> Device:
    """Every kind: roofline or additive by turns; rates whose inverses are exact on the
    attosecond grid (1/(2·10^10) s per madd = 50 as), so the formula holds exactly."""
    kinds = {k: {"form": "roofline" if i % 2 == 0 else "additive",
                 "peak": float(10**10 * 2 ** (i % 3)), "bandwidth": float(10**9 * 5 ** (i % 3)),
                 "overhead": float(f"{i + 1}e-6"),
                 "group_overhead": 1e-7 if k in ("depthwise", "grouped") else 0}
             for i, k in enumerate(KINDS)}
    doc = {"device": 1, "name": "hand", "run_overhead": 5e-6, "weight_bandwidth": 1e10,
           "kinds": kinds, **changes}
    return Device.from_dict(doc)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def device_file(tmp_path: Path) -> Path:
    return hand_device().save(tmp_path / "device.yaml")


# --- the device profile ----------------------------------------------------------------------


def test_device_round_trips_through_yaml() -> None:
    d = hand_device()
    again = Device.from_yaml(d.to_yaml())
    assert again == d
    assert again.kinds["depthwise"].group_overhead == 1e-7


@pytest.mark.parametrize("change, message", [
    ({"kinds": {"pointwize": {"peak": 1, "bandwidth": 1}}}, "unknown kernel kind"),
    ({"kinds": {"pointwise": {"peak": -1, "bandwidth": 1}}}, "peak must be positive"),
    ({"kinds": {"pointwise": {"form": "max", "peak": 1, "bandwidth": 1}}}, "unknown model form"),
    ({"device": 7}, "not a device profile"),
])
def test_device_errors_say_what_is_wrong(change: dict, message: str) -> None:
    doc = {"device": 1, "name": "x", "kinds": {"pointwise": {"peak": 1, "bandwidth": 1}}}
    with pytest.raises(DeviceError, match=message):
        Device.from_dict({**doc, **change})


# --- the prediction is the roofline formula, exactly -------------------------------------------


def test_prediction_equals_the_formula_per_kernel_exactly(tiny: Path) -> None:
    d = hand_device()
    p = cost.profile(cost.load(tiny))
    pred = predict(p, d)
    layers = kernel_layers(p)
    assert [k.path for k in pred.kernels] == [layer.path for layer, _ in layers]
    # fusion: bn and relu into the first conv; flatten is a view, no kernel
    assert pred.kernels[0].folded == ("bn", "relu")
    assert "flatten" not in [k.path for k in pred.kernels]
    kinds = [k.kind for k in pred.kernels]
    assert kinds == ["dense", "scatter", "depthwise", "gather", "permute", "global_pool", "linear"]
    total = Fraction(5, 10**6)
    for k, (layer, _) in zip(pred.kernels, layers, strict=True):
        m = d.kinds[k.kind]
        madds, nbytes = Fraction(layer.cost.madds), Fraction(layer.cost.mem * 4)
        compute, memory = madds / Fraction(m.peak), nbytes / Fraction(m.bandwidth)
        top = max(compute, memory) if m.form == "roofline" else compute + memory
        groups = Fraction(groups_of(layer))
        fixed = Fraction(str(m.overhead)) + groups * Fraction(str(m.group_overhead))
        weights = Fraction(layer.cost.params * 4) / Fraction(d.weight_bandwidth)
        expected = max(top, weights) + fixed
        assert k.time == expected, k.path
        assert k.bound == max(("compute", compute), ("memory", max(memory, weights)),
                              ("overhead", fixed), key=lambda x: x[1])[0]
        total += expected
    assert pred.total == total == latency(p, d)
    assert groups_of(layers[2][0]) == 8  # the depthwise conv on 8 channels


def test_kinds_come_from_what_ops_declare() -> None:
    p = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", g=3))
    kinds = {str(kind_of(layer)) for layer, _ in kernel_layers(p)}
    assert {"grouped", "depthwise", "dense", "pool", "gather", "permute", "linear"} <= kinds
    free = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", keep=("g",)))
    undecided = [kind_of(layer) for layer, _ in kernel_layers(free)
                 if not isinstance(kind_of(layer), str)]
    assert undecided  # the 1×1 group convs: pointwise at g = 1, grouped otherwise


def test_symbolic_then_bind_equals_bind_then_predict() -> None:
    d = hand_device()
    free = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", keep=("g",)))
    assert not isinstance(latency(free, d), Fraction)  # a closed form in g
    for g in (1, 3, 8):
        bound = cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", g=g))
        assert latency(free.subs(g=g), d) == latency(bound, d)


# --- latency as a metric ------------------------------------------------------------------------


def test_latency_in_sweep_equals_cost_latency_and_filters(device_file: Path) -> None:
    from cost.design.sweep import sweep

    d = load_device(device_file)
    spec = cost.load(SPECS / "shufflenet_v1.yaml")
    result = sweep(spec, {"g": (1, 8), "s": (Fraction(1, 2), 1)}, device=d)
    num, den = result.exact("latency")
    for i in range(result.size):
        if not result.valid[i]:
            continue
        g, s = int(result.values("g")[i]), result.grid["s"][result.indices("s")[i]]
        expected = latency(cost.profile(cost.load(SPECS / "shufflenet_v1.yaml", g=g, s=s)), d)
        assert Fraction(int(num[i]), int(den if isinstance(den, int) else den[i])) == expected
    lat = result.latency()
    cut = float(sorted(lat[result.valid])[1])
    kept = sweep(spec, {"g": (1, 8), "s": (Fraction(1, 2), 1)}, device=d,
                 where=f"latency <= {cut}")
    assert kept.kept.sum() == 2
    assert "latency" in kept.frame().columns


def test_sweep_cli_with_device(device_file: Path) -> None:
    r = CliRunner().invoke(main, ["sweep", str(SPECS / "shufflenet_v2.yaml"), "--grid",
                                  "s=0.5,1", "--device", str(device_file), "--format", "csv"])
    assert r.exit_code == 0, r.output
    header, *rows = r.output.strip().splitlines()
    assert header.endswith(",latency") and len(rows) == 2
    assert all(float(row.split(",")[-1]) > 0 for row in rows)


def test_sweep_report_plots_latency_against_each_swept_name(device_file: Path,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "rep"
    r = CliRunner().invoke(main, ["sweep", str(SPECS / "shufflenet_v2.yaml"), "--grid",
                                  "s=0.5,1,1.5", "--grid", "r=160,224", "--device",
                                  str(device_file), "--report", str(target), "-q"])
    assert r.exit_code == 0, r.output
    page = (target / "index.html").read_text()
    assert 'alt="latency vs s' in page and 'alt="latency vs r' in page


def test_where_latency_without_device_is_one_error() -> None:
    r = CliRunner().invoke(main, ["sweep", str(SPECS / "shufflenet_v2.yaml"), "--grid",
                                  "s=0.5,1", "--where", "latency <= 20e-3"])
    assert r.exit_code == 2
    assert "needs a device profile" in r.output and "Traceback" not in r.output


GRID = {"g": (1, 2, 3, 4, 8), "s": (Fraction(1, 2), 1, Fraction(3, 2)), "r": (128, 224)}


@pytest.fixture(scope="module")
def v1_form() -> object:
    """ShuffleNet v1's closed form over GRID's names with hand_device's latency (walked once)."""
    from cost.design.closed_form import closed_form

    return closed_form(cost.load(SPECS / "shufflenet_v1.yaml"), tuple(GRID), hand_device())


def test_streamed_rows_and_files_carry_latency(v1_form: object, tmp_path: Path) -> None:
    """stream() (chunk by chunk, CSV and Parquet written as computed) gives the latency of the
    sweep held in memory, row for row."""
    from cost.design.sweep import stream, sweep

    spec, form = v1_form.spec, v1_form
    whole = sweep(spec, GRID, form=form)
    expected = whole.latency()
    stream(spec, GRID, form=form, chunk=7, output=tmp_path / "rows.csv")
    header, *rows = (tmp_path / "rows.csv").read_text().strip().splitlines()
    assert header.split(",")[-1] == "latency" and len(rows) == whole.size
    got = [float(r.rsplit(",", 1)[1]) if r.rsplit(",", 1)[1] else math.nan for r in rows]
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(got, expected,
                                                                           strict=True))
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    stream(spec, GRID, form=form, chunk=7, output=tmp_path / "rows.parquet")
    table = pq.read_table(tmp_path / "rows.parquet")
    assert str(table.schema.field("latency").type) == "double"
    column = table.column("latency").to_pylist()
    assert [None if math.isnan(x) else x for x in expected.tolist()] == column
    reduced = stream(spec, GRID, form=form, chunk=5, top=3, by="latency")
    assert reduced.summary()["latency"] == whole.summary()["latency"]
    best = sorted(expected[whole.valid].tolist())[:3]
    assert reduced.rows().latency().tolist() == best


def test_pareto_latency_objective(v1_form: object, device_file: Path) -> None:
    """latency:min is an objective of the front with a device: the same front in memory,
    streamed and by brute force over exact values."""
    from cost.design.sweep import stream, sweep

    spec, form = v1_form.spec, v1_form
    whole = sweep(spec, GRID, form=form, objectives="latency:min,params:max")
    num, den = whole.exact("latency")
    ok = [i for i in range(whole.size) if whole.valid[i]]
    lat = {i: Fraction(int(num[i]), int(den if isinstance(den, int) else den[i])) for i in ok}
    params = whole.number("params")

    def front_of(points: list[int]) -> list[int]:
        return [i for i in points if not any(lat[j] <= lat[i] and params[j] >= params[i]
                                             and (lat[j], params[j]) != (lat[i], params[i])
                                             for j in points)]

    front = front_of(ok)
    assert whole.pareto.nonzero()[0].tolist() == front
    streamed = stream(spec, GRID, form=form, chunk=4, pareto=True,
                      objectives="latency:min,params:max")
    assert streamed.rows().index.tolist() == front
    r = CliRunner().invoke(main, ["sweep", str(SPECS / "shufflenet_v1.yaml"), "--grid",
                                  "g=1,2,3,4,8", "--set", "s=1", "--set", "r=224",
                                  "--device", str(device_file), "--pareto",
                                  "latency:min,params:max", "--format", "csv"])
    assert r.exit_code == 0, r.output
    header, *rows = r.output.strip().splitlines()
    at = front_of([i for i in ok if whole.grid["s"][whole.indices("s")[i]] == 1
                   and whole.grid["r"][whole.indices("r")[i]] == 224])
    assert header.endswith(",latency")
    assert [float(row.rsplit(",", 1)[1]) for row in rows] == \
        pytest.approx([float(lat[i]) for i in at], rel=1e-15)


@pytest.mark.parametrize("args", [["--pareto", "latency:min"], ["--top", "2", "--by", "latency"],
                                  ["--where", "latency <= 1", "--format", "csv"]])
def test_latency_options_without_device_are_one_error(args: list[str]) -> None:
    r = CliRunner().invoke(main, ["sweep", str(SPECS / "shufflenet_v2.yaml"), "--grid",
                                  "s=0.5,1", *args])
    assert r.exit_code == 2, r.output
    assert "needs a device profile" in r.output and "Traceback" not in r.output


def test_own_spec_rows_get_latency(device_file: Path, tmp_path: Path) -> None:
    from cost.papers.frontier import frontier_rows

    own = tmp_path / "mine.csv"
    own.write_text("spec,top1,source,bind\nshufflenet_v2,61.0,test,s=0.5\n")
    from cost.papers.frontier import read_accuracy

    d = load_device(device_file)
    rows = frontier_rows([SPECS / "shufflenet_v2.yaml"], accuracy=read_accuracy(own), device=d)
    mine = rows[rows.family.str.endswith("(yours)")]
    assert len(mine) == 1 and mine.status.iloc[0] == "ok"
    expected = latency(cost.profile(cost.load(SPECS / "shufflenet_v2.yaml", s=Fraction(1, 2))),
                       d)
    assert mine.latency.iloc[0] == float(expected)


def test_solve_for_a_latency_target(device_file: Path) -> None:
    from cost.design.solve import solve

    d = load_device(device_file)
    spec = cost.load(SPECS / "shufflenet_v2.yaml")
    at = {r: latency(cost.profile(cost.load(SPECS / "shufflenet_v2.yaml", r=r)), d)
          for r in (160, 192)}
    target = (at[160] + at[192]) / 2
    sol = solve(spec, "r", "latency", target, device=d)
    root = sol.roots[0]
    assert root.below.value == 160 and root.above.value == 192
    assert root.below.metrics["latency"] == at[160]
    r = CliRunner().invoke(main, ["solve", str(SPECS / "shufflenet_v2.yaml"), "--target",
                                  f"latency={float(target)}", "--for", "r", "--device",
                                  str(device_file)])
    assert r.exit_code == 0, r.output
    assert "Δ latency" in r.output


def test_frontier_rows_with_latency(device_file: Path) -> None:
    from cost.papers.frontier import frontier_rows

    rows = frontier_rows(families=["shufflenet_v2"], device=load_device(device_file))
    ok = rows[rows.status == "ok"]
    assert len(ok) >= 4 and (ok.latency > 0).all()
    assert list(ok.latency) == sorted(ok.latency)  # wider is slower


def test_latency_cli_table_and_json(tiny: Path, device_file: Path) -> None:
    import json

    r = CliRunner().invoke(main, ["latency", str(tiny), "--device", str(device_file)])
    assert r.exit_code == 0, r.output
    assert "predicted latency" in r.output and "bound" in r.output
    r = CliRunner().invoke(main, ["latency", str(tiny), "--device", str(device_file),
                                  "--format", "json"])
    doc = json.loads(r.output)
    assert math.isclose(doc["total_seconds"], float(latency(cost.profile(cost.load(tiny)),
                                                            hand_device())))
    r = CliRunner().invoke(main, ["latency", str(tiny), "--device", "nowhere.yaml"])
    assert r.exit_code == 2 and "cannot read the device profile" in r.output


# --- measuring (onnxruntime) --------------------------------------------------------------------


def test_bench_pipeline_returns_ordered_positive_statistics(tiny: Path) -> None:
    pytest.importorskip("onnxruntime")
    from cost.bench.bench import bench

    result = bench(cost.profile(cost.load(tiny)), repeat=5, warmup=1, min_time=0.001)
    s = result.stats
    assert 0 < s.min <= s.q1 <= s.median <= s.q3 <= s.max
    assert len(s.samples) == 5 and s.runs_per_sample >= 1
    assert result.runtime["name"] == "onnxruntime" and result.runtime["threads"] == 1
    layers = {n["layer"] for n in result.nodes}
    assert result.nodes and all(n["seconds"] >= 0 for n in result.nodes)
    assert "conv1" in layers  # profiler nodes map back to the spec's layer paths


def test_bench_cli_reports_spread(tiny: Path, device_file: Path) -> None:
    pytest.importorskip("onnxruntime")
    r = CliRunner().invoke(main, ["bench", str(tiny), "--repeat", "3", "--device",
                                  str(device_file)])
    assert r.exit_code == 0, r.output
    assert "IQR" in r.output and "3 repeats" in r.output and "predicted" in r.output


def test_reduced_calibration_gives_a_valid_profile(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from cost.bench.calibrate import calibrate

    device, points = calibrate(reduced=True, repeat=2, min_time=0.001)
    assert {p.kind for p in points} == set(device.kinds) == {"pointwise", "depthwise",
                                                              "activation"}
    for m in device.kinds.values():
        assert m.peak > 0 and m.bandwidth > 0 and m.overhead >= 0
        assert m.fit["points"] == 2
    assert device.runtime["name"] == "onnxruntime" and device.fusion
    assert "relu" in device.epilogues and "hard_swish" not in device.epilogues  # detected
    again = load_device(device.save(tmp_path / "d.yaml"))
    assert again == device


# --- the guideline experiments, measured here ---------------------------------------------------


def test_verdicts_say_whether_each_guideline_holds_here() -> None:
    import dataclasses

    from cost.papers import experiments

    paper = [r for r in experiments.rows() if r.platform in ("ARM", "CPU")]
    here = []
    for r in paper:  # made-up speeds: fastest where the paper says, except in Table 1
        fast = (r.row == experiments.FAVOURED[r.table]) != (r.table == 1)
        here.append(dataclasses.replace(r, platform=experiments.HERE, speed=2.0 if fast else 1.0,
                                        seconds=0.5 if fast else 1.0, spread=0.01,
                                        predicted=r.mem * 1e-9))
    v = experiments.verdicts(paper + here)
    assert [v[t]["holds"] for t in (1, 2, 3, 4)] == [False, True, True, True]
    assert all(v[t]["rho_latency"] == pytest.approx(v[t]["rho_mem"]) for t in v)
    doc = experiments.to_dict(paper + here)
    assert set(doc["verdicts_here"]) == {"1", "2", "3", "4"}


def test_measure_builds_the_papers_networks_here() -> None:
    pytest.importorskip("onnxruntime")
    from cost.papers import experiments

    rows = [r for r in experiments.rows() if r.table == 4 and r.column == "c=32"
            and r.platform == "CPU"][:2]
    here = experiments.measure(rows, repeat=2, device=hand_device())
    assert [r.platform for r in here] == [experiments.HERE] * 2
    assert all(r.speed > 0 and r.seconds > 0 and r.predicted > 0 for r in here)


def test_guidelines_measure_needs_experiments() -> None:
    r = CliRunner().invoke(main, ["guidelines", str(SPECS / "shufflenet_g3.yaml"), "--measure"])
    assert r.exit_code == 2 and "--experiments" in r.output


# --- calibration: sub-models per window, the context, the random networks ----------------------


WINDOWS = """spec: 1
name: windows
input: [1, 16, 14, 14]
network:
  - {op: conv, k: 3, pad: 1, groups: depthwise}
  - {op: conv, k: 5, pad: 2, groups: depthwise}
  - {op: hard_swish}
"""


def test_a_window_or_op_model_times_its_layers_and_the_kind_model_the_rest(tmp_path: Path
                                                                           ) -> None:
    from cost.latency.predict import model_key, variant_of

    path = tmp_path / "windows.yaml"
    path.write_text(WINDOWS)
    p = cost.profile(cost.load(path))
    base = hand_device()
    slow = {"form": "additive", "peak": 1e9, "bandwidth": 1e9, "overhead": 7e-6}
    d = hand_device(kinds={**{k: m.as_dict() for k, m in base.kinds.items()},
                           "depthwise.k5": slow, "activation.hard_swish": slow})
    dw3, dw5, act = p.layers
    assert (variant_of(dw3), variant_of(dw5), variant_of(act)) == ("k3", "k5", None)
    assert model_key(d.kinds, "depthwise", dw3) == "depthwise"
    assert model_key(d.kinds, "depthwise", dw5) == "depthwise.k5"
    assert model_key(d.kinds, "activation", act) == "activation.hard_swish"
    pred, plain = predict(p, d), predict(p, base)
    assert pred.kernels[0].time == plain.kernels[0].time  # the 3×3 keeps the kind's model
    m = d.kinds["depthwise.k5"]
    k5 = pred.kernels[1]
    assert k5.time == (Fraction(dw5.cost.madds) / Fraction(m.peak)
                       + Fraction(dw5.cost.mem * 4) / Fraction(m.bandwidth)
                       + Fraction(str(m.overhead)) + Fraction(16) * 0)  # group_overhead 0
    assert load_device(d.save(tmp_path / "d.yaml")) == d  # the keys survive a round trip


def test_fit_gives_a_window_its_own_model_where_the_kind_model_misses_it() -> None:
    from cost.bench.calibrate import Point, fit

    points = []
    for c, r in ((32, 56), (64, 28), (96, 28), (128, 14), (256, 14), (512, 7), (144, 56),
                 (192, 28)):
        for k, slow in ((3, 1), (5, 2)):  # a 5×5 kernel: twice the time per multiply-add
            madds, nbytes = c * r * r * k * k, 4 * (2 * c * r * r + c * k * k)
            seconds = slow * madds / 2e10 + nbytes / 5e10 + 1e-6
            points.append(Point(f"dw{k}_{c}_{r}", "depthwise", madds, nbytes, c, seconds, 0.0,
                                op="conv", variant=f"k{k}"))
    models = fit(points, run_overhead=0.0)
    assert "depthwise.k5" in models and "depthwise.k3" in models
    for p in points:
        model = models[f"depthwise.k{p.variant[1]}"]
        predicted = (p.madds / model.peak + p.bytes / model.bandwidth + model.overhead
                     + p.groups * model.group_overhead)
        assert predicted == pytest.approx(p.seconds, rel=0.02), p.name


def test_context_recovers_how_much_slower_memory_moves_in_a_network() -> None:
    import random

    from cost.bench.calibrate import context

    rng = random.Random(3)
    chains = []
    for i in range(30):  # kernels: (form, compute, memory, fixed, weight bytes) alone
        kernels = [(rng.choice(("roofline", "additive")), rng.uniform(0, 50e-6),
                    rng.uniform(0, 50e-6), rng.uniform(1e-6, 5e-6), 0) for _ in range(40)]
        measured = sum((max(c, 1.3 * m) if form == "roofline" else c + 1.3 * m) + 0.8 * f
                       for form, c, m, f, _ in kernels)
        chains.append((f"net{i}", measured, kernels))
    found = context(chains)
    assert found.memory == pytest.approx(1.3, abs=0.02)
    assert found.overhead == pytest.approx(0.8, abs=0.02)
    assert found.per_weight_byte == 0  # no weight ceiling in these data


def test_random_networks_are_valid_seeded_and_cover_every_family(tmp_path: Path) -> None:
    from cost.bench.synthetic import FAMILIES, networks

    nets = networks(10, seed=5)
    assert networks(10, seed=5) == nets and networks(10, seed=6) != nets
    assert {n.name.split("_", 3)[3] for n in nets} == set(FAMILIES)
    for n in nets:
        body = "\n".join(f"  - {layer}" for layer in n.layers)
        path = tmp_path / f"{n.name}.yaml"
        path.write_text(f"spec: 1\nname: {n.name}\ninput: {list(n.input)}\nnetwork:\n{body}\n")
        p = cost.profile(cost.load(path))
        assert p.layers[-1].out_shapes[0] == (1, 1000)
        assert {str(kind_of(layer)) for layer, _ in kernel_layers(p)} >= {"dense", "linear"}


def test_calibrate_refuses_to_replace_a_file_it_did_not_write(tmp_path: Path) -> None:
    mine = tmp_path / "notes.yaml"
    mine.write_text("my notes\n")
    r = CliRunner().invoke(main, ["calibrate", "-o", str(mine)])
    assert r.exit_code == 2 and "was not written by cost" in r.output
    assert mine.read_text() == "my notes\n"  # refused before any measuring


def test_solve_json_gives_latency_as_seconds(device_file: Path) -> None:
    import json

    at = latency(cost.profile(cost.load(SPECS / "shufflenet_v2.yaml", r=192)),
                 load_device(device_file))
    r = CliRunner().invoke(main, ["solve", str(SPECS / "shufflenet_v2.yaml"), "--target",
                                  f"latency={float(at) * 0.99}", "--for", "r", "--device",
                                  str(device_file), "--format", "json"])
    assert r.exit_code == 0, r.output
    below = json.loads(r.output)["roots"][0]["below"]
    assert isinstance(below["latency"], float) and isinstance(below["madds"], int)
