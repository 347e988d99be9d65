"""Build a bound spec as a runnable network: onnxruntime (default) or torch, with seeded weights.

onnxruntime and torch are imported inside the functions that need them, never by `import cost`
(`pip install "cost[bench]"` brings onnxruntime and onnx; torch is needed to export the ONNX
model until `cost.interop.export` lands, and for `--runtime torch`).

onnxruntime runs with `intra_op_num_threads = threads`, sequential execution, no spinning, and
graph optimizations at "extended" by default: constant folding, Conv+BN folded at export, and the
activation fused into the conv before it (FusedConv), so its kernels are the fused layers of
`cost.latency.predict`. "all" adds the NCHWc layout transform, whose reorder kernels have no layer
of their own (`--optimization all` measures it; the device profile records which was used).
Inputs and outputs are bound once (`IOBinding`), so a timed run copies no tensor.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cost.errors import CostError, SpecError

if TYPE_CHECKING:
    import numpy as np

    from cost.engine.profile import Profile

RUNTIMES = ("onnxruntime", "torch")
OPTIMIZATIONS = ("basic", "extended", "all")
OPSET = 17


class RuntimeMissingError(SpecError):
    """The runtime asked for is not installed."""


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RuntimeMissingError(f"{module} is not installed",
                                  hint=f'pip install "cost[{extra}]"') from None


# --- the ONNX model --------------------------------------------------------------------------
# The deployed graph: the reference torch module exported in eval mode with constant folding, so
# the exporter folds BN into the conv before it as a runtime would (`cost export --to onnx`
# keeps BN nodes instead, for a faithful round trip). Modules the exporter cannot translate are
# swapped by cost.interop.export.onnx_exportable.


def torch_network(p: Profile, seed: int = 0) -> Any:
    """The bound profile as an eval-mode torch module with the reference forward's seeded
    weights (`cost.reference.forward.random_weights`, BN statistics calibrated)."""
    _require("torch", "bench")
    from cost.reference.forward import random_weights
    from cost.reference.torch_module import to_module

    return to_module(p, random_weights(p, seed))


def _export_onnx(p: Profile, path: Path, seed: int = 0) -> Path:
    import warnings

    import torch

    from cost.interop.export import onnx_exportable
    from cost.reference.forward import random_input

    module = onnx_exportable(torch_network(p, seed))
    x = torch.from_numpy(random_input(p, seed))
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=["x"], output_names=["y"], do_constant_folding=True)
    return path


def export_onnx(p: Profile, path: str | Path | None = None, seed: int = 0) -> Path:
    """Write the bound profile as an ONNX model (opset 17); a temporary file if no path."""
    _require("onnx", "bench")
    if path is None:
        fd, name = tempfile.mkstemp(suffix=".onnx", prefix="cost-")
        os.close(fd)
        path = Path(name)
    try:
        return _export_onnx(p, Path(path), seed)
    except CostError:
        raise
    except Exception as e:  # the exporter's own errors: say which spec, keep one line
        raise SpecError(f"cannot export to ONNX: {type(e).__name__}: {str(e).splitlines()[0]}",
                        file=p.spec.path) from None


# --- runnable networks -----------------------------------------------------------------------


@dataclass
class Network:
    """A network ready to time: `run()` computes one forward pass on a fixed input."""

    runtime: str
    threads: int
    run: Callable[[], Any]
    info: dict[str, Any] = field(default_factory=dict)
    session: Any = None  # onnxruntime: the InferenceSession
    path: Path | None = None  # onnxruntime: the model file
    close: Callable[[], None] = lambda: None


def onnx_session(path: str | Path, threads: int = 1, optimization: str = "extended",
                 profiling: bool = False) -> Any:
    ort = _require("onnxruntime", "bench")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[optimization]
    so.log_severity_level = 3
    if profiling:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tempfile.gettempdir(), "cost-ort-profile")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _bound_run(session: Any, x: np.ndarray) -> Callable[[], Any]:
    """session.run with input and output bound once: no copy per run."""
    import numpy as np

    out = session.get_outputs()[0]
    y = np.empty([int(d) for d in session.run(None, {"x": x})[0].shape], dtype=np.float32)
    binding = session.io_binding()
    binding.bind_cpu_input("x", x)
    binding.bind_output(out.name, "cpu", 0, np.float32, list(y.shape), y.ctypes.data)

    def run() -> Any:
        session.run_with_iobinding(binding)
        return y

    run.keep = (x, y, binding)  # type: ignore[attr-defined]  # buffers live as long as run
    return run


def build(p: Profile, runtime: str = "onnxruntime", threads: int = 1, *,
          optimization: str = "extended", profiling: bool = False, seed: int = 0,
          path: str | Path | None = None) -> Network:
    """The bound profile as a runnable `Network` on `runtime` with `threads` threads."""
    from cost.reference.forward import random_input

    if runtime not in RUNTIMES:
        raise SpecError(f"unknown runtime {runtime!r}", hint="one of: " + ", ".join(RUNTIMES))
    x = random_input(p, seed)
    if runtime == "torch":
        torch = _require("torch", "bench")
        torch.set_num_threads(threads)
        module = torch_network(p, seed)
        tx = torch.from_numpy(x)

        def run() -> Any:
            with torch.inference_mode():
                return module(tx)

        return Network("torch", threads, run, runtime_info("torch", threads))
    temporary = path is None
    model = export_onnx(p, path, seed)
    session = onnx_session(model, threads, optimization, profiling)

    def close() -> None:
        if temporary:
            model.unlink(missing_ok=True)

    info = runtime_info("onnxruntime", threads, optimization)
    return Network("onnxruntime", threads, _bound_run(session, x), info, session, model, close)


def runtime_info(runtime: str, threads: int, optimization: str | None = None) -> dict[str, Any]:
    """Which runtime, its version and settings: recorded with every measurement."""
    import importlib.metadata as md

    info: dict[str, Any] = {"name": runtime, "version": md.version(runtime), "threads": threads}
    if runtime == "onnxruntime":
        info["optimization"] = optimization
        info["provider"] = "CPUExecutionProvider"
    return info


def machine_info() -> dict[str, Any]:
    """The machine a measurement ran on: CPU model, cores, OS, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system(),
            "release": platform.release(), "python": platform.python_version()}
