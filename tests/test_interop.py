"""cost.interop: torchvision models imported from torch and from their ONNX export, against
FlopCounterMode and sum(p.numel()); the tools' conventions on imported specs against the tools on
the models; diff, export round trips, and bad sources.

Each torchvision model is built once per session (weights not downloaded: counts do not depend on
them), at batch 1. ONNX exports are the slow part (seconds each on a small machine), so the ONNX
checks run at 224 on every model and at a second size on the small ones.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
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
          "mnasnet1_0", "regnet_x_400mf", "googlenet"]
ODD = 240  # not a multiple of 32; AlexNet's and VGG's adaptive pools stay the identity there
SMALL_ONNX = ["resnet18", "squeezenet1_1", "shufflenet_v2_x0_5", "mobilenet_v3_small"]
_built: dict[str, torch.nn.Module] = {}


def model(name: str) -> torch.nn.Module:
    if name not in _built:
        kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
        torch.manual_seed(0)
        _built[name] = getattr(torchvision.models, name)(**kwargs).eval()
    return _built[name]


def oracle(net: torch.nn.Module, r: int) -> tuple[int, int]:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 3, r, r))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2, sum(p.numel() for p in net.parameters())


def imported(name: str, r: int) -> cost.Profile:
    return cost.profile(cost.from_torch(model(name), (1, 3, r, r), name).with_bindings())


@pytest.mark.parametrize("r", [224, ODD])
@pytest.mark.parametrize("name", MODELS)
def test_torch_import_counts_exactly(name: str, r: int) -> None:
    p = imported(name, r)
    assert (p.total.madds, p.total.params) == oracle(model(name), r)


def _onnx(name: str, r: int, tmp: Path) -> Path:
    path = tmp / f"{name}_{r}.onnx"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model(name), (torch.zeros(1, 3, r, r),), str(path), dynamo=False,
                              training=torch.onnx.TrainingMode.PRESERVE)
    return path


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.mark.parametrize("name,r", [(m, 224) for m in MODELS] + [(m, ODD) for m in SMALL_ONNX])
def test_onnx_import_counts_exactly(name: str, r: int, onnx_dir: Path) -> None:
    text = spec_writer.write(onnx_import.read(_onnx(name, r, onnx_dir)))
    p = cost.profile(spec_writer.load_text(text))
    assert (p.total.madds, p.total.params) == oracle(model(name), r)


@pytest.mark.parametrize("name", MODELS)
def test_conventions_on_imported_spec_equal_the_tools(name: str) -> None:
    from test_tools_agree import TOOLS, quiet

    r = 224
    p = imported(name, r)
    x = torch.zeros(1, 3, r, r)
    with quiet():
        found = {tool: run(model(name), x) for tool, run in TOOLS.items()}
    assert found == {tool: conventions.count(p, tool).total for tool in TOOLS}


def test_resnet18_folds_into_blocks_with_repeat_and_keeps_r() -> None:
    text = cost.from_torch(model("resnet18"), (1, 3, 224, 224), "resnet18", text=True)
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
    from cost.interop.export import export
    from cost.reference.torch_module import translates

    p = cost.profile(cost.load(path))
    if p.symbolic or not all(translates(type(x.node)) for x in p.layers):
        pytest.skip("symbolic or an op without a torch module")
    out = export(p, "onnx", tmp_path / "m.onnx")
    q = cost.profile(spec_writer.load_text(spec_writer.write(onnx_import.read(out))))
    assert (q.total.madds, q.total.params, q.total.mem) == \
        (p.total.madds, p.total.params, p.total.mem)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cost", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("source,needle", [
    ("missing.onnx", "no such file"),
    ("corrupt.onnx", "not a readable ONNX model"),
    ("no_such_package.models:net", "cannot import"),
    ("torch_dyn.py", ""),
])
def test_bad_sources_exit_2_with_one_message(tmp_path: Path, source: str, needle: str) -> None:
    (tmp_path / "corrupt.onnx").write_bytes(b"\x00not onnx at all\xff" * 10)
    if source == "torch_dyn.py":
        (tmp_path / "dyn.py").write_text(
            "import torch\nclass Net(torch.nn.Module):\n"
            "    def forward(self, x):\n        return x if x.sum() > 0 else -x\n"
            "def net():\n    return Net()\n")
        source, needle = "dyn:net", "cannot trace"
    result = cli("import", source, "-o", "out.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr
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
