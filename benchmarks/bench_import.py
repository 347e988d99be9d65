"""Speed of `cost import` (issue 13 targets) on torchvision's ResNet-50, with the baseline taken
in the same run:

    python benchmarks/bench_import.py [--repeat 5] [--model resnet50] [--threads N]

- from ONNX: read the file, fold, write the spec, read it back and profile it (what `cost import
  model.onnx` does after its imports); target under 1 s;
- from torch: trace with torch.fx, shapes on fake tensors, the same folding and profile; target
  within 2x of one fvcore `FlopCountAnalysis(model, x).total()` on the same model and input.

Medians of `--repeat` runs after one warm-up run each (imports and first-call caches are not
what is measured). Prints seconds and the ratios to the targets.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

from timing import median_time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/test_tools_agree.py: fvcore run quietly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's); fvcore runs a forward")
    args = parser.parse_args()

    import torch
    import torchvision
    from test_tools_agree import quiet, run_fvcore

    import cost
    from cost.interop.source import spec_text
    from cost.interop.spec_writer import load_text

    if args.threads:
        torch.set_num_threads(args.threads)
    net = getattr(torchvision.models, args.model)().eval()
    shape = (1, 3, 224, 224)
    x = torch.zeros(shape)

    def from_torch() -> None:
        cost.profile(cost.from_torch(net, shape, args.model).with_bindings())

    def fvcore() -> None:
        with quiet():
            run_fvcore(net, x)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.model}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (x,), str(path), dynamo=False,
                              training=torch.onnx.TrainingMode.PRESERVE)

        def from_onnx() -> None:
            cost.profile(load_text(spec_text(str(path))).with_bindings())

        t_onnx = median_time(from_onnx, args.repeat, warmup=True)
    t_torch = median_time(from_torch, args.repeat, warmup=True)
    t_fvcore = median_time(fvcore, args.repeat, warmup=True)

    print(f"{args.model} at 224, medians of {args.repeat} (torch threads: "
          f"{torch.get_num_threads()})")
    print(f"  import from ONNX   {t_onnx:7.3f} s   target < 1 s: {t_onnx:.2f}x of it")
    print(f"  import from torch  {t_torch:7.3f} s")
    print(f"  fvcore total()     {t_fvcore:7.3f} s   torch import / fvcore = "
          f"{t_torch / t_fvcore:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
