"""Every check of tests/test_interop.py on every torchvision classification model, ONNX included:
the exhaustive sweep the test module samples (its ONNX exports take seconds each).

    python benchmarks/check_torchvision_import.py [MODEL ...] [--odd 240] [--tools-r 64]

For each model: the spec imported from torch at 224 and at ODD (madds = FlopCounterMode / 2 and
params = sum(p.numel()), exactly); the spec imported from its ONNX export at both sizes (the
same); and the five tools (fvcore, thop, ptflops, torchinfo, FlopCounterMode) on the model at
TOOLS_R against their conventions on the spec imported at 224, bound to r = TOOLS_R. Prints one
row per model (ok, or what differs) and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tools' runners: tests/test_tools_agree.py

MODELS = ["alexnet", "vgg11", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet101",
          "resnext50_32x4d", "wide_resnet50_2", "squeezenet1_0", "squeezenet1_1",
          "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
          "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mnasnet0_5",
          "mnasnet1_0", "efficientnet_b0", "efficientnet_b1", "regnet_x_400mf",
          "regnet_y_400mf", "googlenet"]


def build(name: str):  # a torch module
    import torch
    import torchvision

    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(**kwargs).eval()


def check(name: str, odd: int, tools_r: int, tmp: Path) -> dict[str, str]:
    import torch
    from test_interop import oracle
    from test_tools_agree import TOOLS, quiet

    import cost
    from cost import conventions
    from cost.interop import onnx_import, spec_writer

    net = build(name)
    row: dict[str, str] = {}

    def attempt(key: str, fn) -> None:
        try:
            found, expected = fn()
            row[key] = "ok" if found == expected else f"{found} != {expected}"
        except Exception as e:  # a failure is a row entry, not the end of the sweep
            row[key] = f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"

    texts: dict[int, str] = {}
    for r in (224, odd):
        def from_torch(r: int = r) -> tuple:
            texts[r] = cost.from_torch(net, (1, 3, r, r), name, text=True)
            p = cost.profile(spec_writer.load_text(texts[r]).with_bindings())
            return (p.total.madds, p.total.params), oracle(net, r)
        attempt(f"torch {r}", from_torch)

    for r in (224, odd):
        def from_onnx(r: int = r) -> tuple:
            path = tmp / f"{name}_{r}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(net, (torch.zeros(1, 3, r, r),), str(path), dynamo=False,
                                  training=torch.onnx.TrainingMode.PRESERVE)
            try:
                p = cost.profile(spec_writer.load_text(spec_writer.write(onnx_import.read(path))))
            finally:
                path.unlink()
            return (p.total.madds, p.total.params), oracle(net, r)
        attempt(f"onnx {r}", from_onnx)

    def tools() -> tuple:
        p = cost.profile(spec_writer.load_text(texts[224]).with_bindings(r=tools_r))
        x = torch.zeros(1, 3, tools_r, tools_r)
        with quiet():
            found = {tool: run(net, x) for tool, run in TOOLS.items()}
        expected = {tool: conventions.count(p, tool).total for tool in TOOLS}
        return found, expected
    attempt(f"tools {tools_r}", tools)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--odd", type=int, default=240)
    parser.add_argument("--tools-r", type=int, default=64)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # real forwards (ONNX export, the tools): faster on a shared box
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            t0 = time.perf_counter()
            row = check(name, args.odd, args.tools_r, Path(tmp))
            bad = {k: v for k, v in row.items() if v != "ok"}
            failed += bool(bad)
            cells = "  ".join(f"{k}: {'ok' if v == 'ok' else 'FAIL'}" for k, v in row.items())
            print(f"{name:20} {cells}  ({time.perf_counter() - t0:.1f} s)", flush=True)
            for k, v in bad.items():
                print(f"    {k}: {v}", flush=True)
    print(f"{len(args.models) - failed} of {len(args.models)} models pass every check")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
