"""cost.interop: torchvision models imported from torch and from their ONNX export, against
FlopCounterMode and sum(p.numel()); the tools' conventions on imported specs against the tools on
the models; diff, export round trips, and bad sources.

What is shared, so that the module runs in about a minute on a small machine:
- each torchvision model is built once per session (weights not downloaded: counts do not depend
  on them), at batch 1, and imported from torch once per resolution (`imported_text`);
- the oracle runs FlopCounterMode on meta tensors (shapes only, no arithmetic: the counts are
  functions of the shapes; `test_meta_oracle_equals_a_real_forward` checks that on two models);
- the tools (fvcore, thop, ptflops, torchinfo, FlopCounterMode) run real forwards, so they run at
  TOOLS_R = 64, on the spec imported at 224 and bound to r = 64: their counts are as exact there,
  and the spec's closed forms in `r` are checked at a size it was not imported at;
- real forwards run on one thread (`one_thread`), much faster on a small shared machine;
- ONNX exports are the slowest step (a real forward, the exporter's passes, the weights written
  out: seconds for the big nets), so the ONNX checks run on one model per family at 224 and on
  the small ones at ODD too; benchmarks/check_torchvision_import.py runs every check on every
  model, ONNX included;
- the round trips run each bundled spec at the smallest r it takes (test_tools_agree's SMALL).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
onnx = pytest.importorskip("onnx")

import cost  # noqa: E402
from cost import conventions  # noqa: E402
from cost.errors import CostError  # noqa: E402
from cost.interop import onnx_import, spec_writer, torch_import  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["alexnet", "vgg16", "resnet18", "resnet50", "resnext50_32x4d", "squeezenet1_0",
          "squeezenet1_1", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
          "shufflenet_v2_x2_0", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
          "mnasnet1_0", "efficientnet_b0", "regnet_x_400mf", "googlenet"]
ODD = 240  # not a multiple of 32; AlexNet's and VGG's adaptive pools stay the identity there
TOOLS_R = 64  # the tools run real forwards: at a small size (AlexNet, VGG: adaptive pools grow)
# ONNX: one model per family at 224 (AlexNet for the plain nets; VGG16's 550 MB export is left
# to the benchmark), and the small ones at ODD too
ONNX_224 = ["alexnet", "resnet18", "squeezenet1_1", "shufflenet_v2_x0_5", "mobilenet_v2",
            "mobilenet_v3_small", "mnasnet1_0", "efficientnet_b0", "regnet_x_400mf",
            "googlenet"]
ONNX_ODD = ["resnet18", "squeezenet1_1", "shufflenet_v2_x0_5", "mobilenet_v3_small"]


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Real forwards (the tools, ONNX export's trace) on one intra-op thread: on a shared 2-core
    machine torch's default two threads made them several times slower (as `cost check`'s
    --threads default of 1 found for BLAS)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@functools.cache
def model(name: str) -> torch.nn.Module:
    """The torchvision model `name`, built once per session, in eval mode."""
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(**kwargs).eval()


def oracle(net: torch.nn.Module, r: int, real: bool = False) -> tuple[int, int]:
    """FlopCounterMode's total / 2 and sum(p.numel()). Run on meta tensors (parameters swapped
    for meta ones by torch.func.functional_call: shapes only, no arithmetic) unless `real`."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, 3, r, r)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        if real:
            net(x)
        else:
            state = {k: torch.empty_like(v, device="meta")
                     for k, v in [*net.named_parameters(), *net.named_buffers()]}
            torch.func.functional_call(net, state, (x.to("meta"),))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2, sum(p.numel() for p in net.parameters())


@functools.cache
def imported_text(name: str, r: int) -> str:
    """The spec text of torchvision's `name` imported from torch at r × r: once per session."""
    return cost.from_torch(model(name), (1, 3, r, r), name, text=True)


def imported(name: str, size: int, **bindings: int) -> cost.Profile:
    """The profile of the spec imported at `size`, bound to `bindings` (its defaults: `size`)."""
    return cost.profile(spec_writer.load_text(imported_text(name, size)).with_bindings(**bindings))


@pytest.mark.parametrize("r", [224, ODD])
@pytest.mark.parametrize("name", MODELS)
def test_torch_import_counts_exactly(name: str, r: int) -> None:
    p = imported(name, r)
    assert (p.total.madds, p.total.params) == oracle(model(name), r)


def test_fake_tensor_fallback_gives_the_same_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes come from meta tensors; a model whose forward cannot run on them (tensors made on
    the CPU inside forward) falls back to fake tensors, with the same result."""
    def refuse(*args: object) -> None:
        raise RuntimeError("no meta run")

    monkeypatch.setattr(torch_import, "_shapes_on_meta", refuse)
    assert cost.from_torch(model("resnet18"), (1, 3, ODD, ODD), "resnet18", text=True) == \
        imported_text("resnet18", ODD)


@pytest.mark.parametrize("name", ["squeezenet1_1", "mobilenet_v3_small"])
def test_meta_oracle_equals_a_real_forward(name: str) -> None:
    assert oracle(model(name), ODD) == oracle(model(name), ODD, real=True)


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


def _onnx(name: str, r: int, tmp: Path) -> Path:
    path = tmp / f"{name}_{r}.onnx"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model(name), (torch.zeros(1, 3, r, r),), str(path), dynamo=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
    return path


@pytest.mark.parametrize("name,r", [(m, 224) for m in ONNX_224] + [(m, ODD) for m in ONNX_ODD])
def test_onnx_import_counts_exactly(name: str, r: int, onnx_dir: Path) -> None:
    text = spec_writer.write(onnx_import.read(_onnx(name, r, onnx_dir)))
    p = cost.profile(spec_writer.load_text(text))
    assert (p.total.madds, p.total.params) == oracle(model(name), r)


@pytest.mark.parametrize("name", MODELS)
def test_conventions_on_imported_spec_equal_the_tools(name: str) -> None:
    from test_tools_agree import TOOLS, quiet

    p = imported(name, 224, r=TOOLS_R)
    x = torch.zeros(1, 3, TOOLS_R, TOOLS_R)
    with quiet():
        found = {tool: run(model(name), x) for tool, run in TOOLS.items()}
    assert found == {tool: conventions.count(p, tool).total for tool in TOOLS}


def test_efficientnet_b0_keeps_silu_and_se_and_drops_stochastic_depth() -> None:
    text = imported_text("efficientnet_b0", 224)
    for op in ("silu", "sigmoid", "mul", "add", "global_avgpool"):
        assert f"op: {op}" in text, op
    assert "stochastic" not in text and "dropout" in text  # stochastic depth: identity in eval


@pytest.mark.parametrize("spec,name", [("efficientnet_b0", "efficientnet_b0"),
                                       ("resnet18", "resnet18"), ("mnasnet", "mnasnet1_0"),
                                       ("regnet_x_400mf", "regnet_x_400mf")])
def test_bundled_specs_have_no_difference_from_torchvision(spec: str, name: str) -> None:
    from cost.interop.diff import diff

    report = diff(cost.profile(cost.load(spec)), imported(name, 224))
    assert report.same and report.pairs > 10, report.first


def test_resnet18_folds_into_blocks_with_repeat_and_keeps_r() -> None:
    text = imported_text("resnet18", 224)
    assert "blocks:" in text and "repeat: 2" in text and len(text.splitlines()) < 60
    p = cost.profile(spec_writer.load_text(text).with_bindings(keep=("r",)))
    assert str(p.formula("madds")) == "36144*r**2 + 512000"


def test_diff_hand_written_shufflenet_against_torchvision(tmp_path: Path) -> None:
    from cost.interop.diff import diff

    tv = imported("shufflenet_v2_x1_0", 224)
    hand = cost.profile(cost.load("specs/shufflenet_v2_torchvision.yaml"))
    assert diff(hand, tv).same
    wrong = (ROOT / "specs/shufflenet_v2_torchvision.yaml").read_text().replace(
        "stem: 24", "stem: 24\n  proj2x: 1") + "\n"
    spec = tmp_path / "wrong.yaml"
    base = (ROOT / "specs/shufflenet_v2.yaml").read_text()
    (tmp_path / "shufflenet_v2.yaml").write_text(
        base.replace("      1: [116, 232, 464, 1024]", "      1: [116, 240, 464, 1024]"))
    spec.write_text(wrong)
    report = diff(cost.profile(cost.load(spec)), tv)
    assert not report.same
    assert report.first.a.path == "stage3/unit_down/proj_pw"


BUNDLED = sorted(p for p in (ROOT / "cost/specs").rglob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_round_trip_spec_onnx_import(path: Path, tmp_path: Path) -> None:
    from test_tools_agree import small_profile

    from cost.interop.export import export
    from cost.reference.torch_module import translates

    p = small_profile(path)  # the smallest r it takes: export traces a real forward
    if any(x.op == "adaptive_avgpool" for x in p.layers):  # AlexNet, VGG: ONNX has no
        p = cost.profile(cost.load(path))  # adaptive pool from 1x1 to 6x6 (at r = 64)
    if p.symbolic or not all(translates(type(x.node)) for x in p.layers):
        pytest.skip("symbolic or an op without a torch module")
    out = export(p, "onnx", tmp_path / "m.onnx")
    q = cost.profile(spec_writer.load_text(spec_writer.write(onnx_import.read(out))))
    assert (q.total.madds, q.total.params, q.total.mem) == \
        (p.total.madds, p.total.params, p.total.mem)


def test_export_the_onnx_exporter_refuses_is_one_message(tmp_path: Path) -> None:
    from cost.interop.export import export

    spec = tmp_path / "grow.yaml"
    spec.write_text("spec: 1\ninput: [1, 3, 8, 8]\nnetwork:\n"
                    "  - {op: conv, out: 4, k: 4, stride: 4}\n"
                    "  - {op: adaptive_avgpool, size: 3}\n")
    with pytest.raises(CostError, match="cannot export grow.*adaptive_avg_pool2d"):
        export(cost.profile(cost.load(spec)), "onnx", tmp_path / "grow.onnx")
    assert not (tmp_path / "grow.onnx").exists()


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cost", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("source,needle", [
    ("missing.onnx", "no such file"),
    ("corrupt.onnx", "not a readable ONNX model"),
    ("no_such_package.models:net", "cannot import"),
])
def test_bad_sources_exit_2_with_one_message(tmp_path: Path, source: str, needle: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """In process (click's runner: any other exception than the one message would be exit 1)."""
    from click.testing import CliRunner

    from cost.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "corrupt.onnx").write_bytes(b"\x00not onnx at all\xff" * 10)
    result = CliRunner().invoke(main, ["import", source, "-o", "out.yaml"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.startswith("error:") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # the message, its where and hint
    assert not (tmp_path / "out.yaml").exists()


def test_untraceable_model_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """End to end, in a process of its own: `python -m cost import dyn:net`."""
    (tmp_path / "dyn.py").write_text(
        "import torch\nclass Net(torch.nn.Module):\n"
        "    def forward(self, x):\n        return x if x.sum() > 0 else -x\n"
        "def net():\n    return Net()\n")
    result = cli("import", "dyn:net", "-o", "out.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "cannot trace" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("error:")
    assert not (tmp_path / "out.yaml").exists()


def test_unsupported_onnx_op_names_the_node(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    node = helper.make_node("Softplus", ["x"], ["y"], name="soft")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 3, 8, 8])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, 3, 8, 8])])
    path = tmp_path / "soft.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(CostError, match="Softplus"):
        onnx_import.read(path)


def test_import_does_not_load_torch_or_onnx() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import cost"],
                         capture_output=True, text=True).stderr
    assert " torch" not in out and " onnx" not in out


def test_torch_path_without_module_fails(tmp_path: Path) -> None:
    with pytest.raises(CostError):
        torch_import.trace(torch.nn.Softplus(), (1, 3, 8, 8))
