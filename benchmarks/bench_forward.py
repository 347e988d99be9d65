"""Numpy reference forward vs PyTorch eager CPU on the same network, side by side in one run.

    python benchmarks/bench_forward.py [SPEC] [--reps 30] [--threads 1] [--set NAME=VALUE]

Batch 1, 224×224 by default (the spec's defaults: specs/shufflenet_g3.yaml). Both forwards use
the same weights (`cost.reference.torch_module` copies the numpy ones); repetitions alternate
between the
two so that load from other processes hits both alike. Prints the median time of each, the ratio
numpy/torch (target: within 3×), and the numpy forward's peak memory (tracemalloc, weights and
input included; target: under 1 GB).

`--threads N` (default 1) gives both sides N threads: torch.set_num_threads and
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, set before numpy loads. `--threads 0` leaves each library
its default; then torch's OpenMP threads and OpenBLAS's threads busy-wait against each other in
one process (on a 2-core machine shared with other work, both sides slow down by up to 100×,
erratically), which measures the machine rather than the kernels.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc

TARGET_RATIO = 3
TARGET_PEAK = 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default="specs/shufflenet_g3.yaml")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="0: each library's default")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    if args.threads:
        if "numpy" in sys.modules:
            raise SystemExit("--threads must be applied before numpy is imported")
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)

    import numpy as np
    import torch

    import cost
    import cost.reference.forward as reference
    from cost.reference.torch_module import to_module

    if args.threads:
        torch.set_num_threads(args.threads)
    bindings = dict(item.split("=", 1) for item in args.sets)
    p = reference.bound(cost.load(args.spec, **bindings))
    weights = reference.random_weights(p)
    x = reference.random_input(p)
    net = to_module(p, weights)
    xt = torch.from_numpy(x)

    with torch.no_grad():
        y_torch = net(xt).numpy()
        y_numpy = reference.run(p, x, weights).output
        scale = float(np.abs(y_torch).max())
        error = float(np.abs(y_numpy - y_torch).max()) / scale
        for _ in range(3):  # warm-up: allocator, BLAS and torch's kernels
            net(xt)
            reference.run(p, x, weights)
        times_numpy, times_torch = [], []
        for _ in range(args.reps):
            times_numpy.append(reference.run(p, x, weights).seconds)
            start = time.perf_counter()
            net(xt)
            times_torch.append(time.perf_counter() - start)

    tracemalloc.start()
    reference.run(p, seed=0)  # creates its own weights and input: all of it is counted
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    t_numpy, t_torch = statistics.median(times_numpy), statistics.median(times_torch)
    ratio = t_numpy / t_torch
    shape = "x".join(str(d) for d in x.shape)
    threads = args.threads or "default"
    print(f"{p.spec.name}  input {shape}  {len(p.layers)} layers  {p.total.madds:,} madds  "
          f"reps {args.reps}  threads {threads} (torch: {torch.get_num_threads()})")
    print(f"max |numpy - torch| / max |torch|: {error:.1e}")
    print(f"numpy reference   median {t_numpy * 1e3:8.2f} ms   "
          f"(min {min(times_numpy) * 1e3:.2f}, max {max(times_numpy) * 1e3:.2f})")
    print(f"torch eager CPU   median {t_torch * 1e3:8.2f} ms   "
          f"(min {min(times_torch) * 1e3:.2f}, max {max(times_torch) * 1e3:.2f})")
    print(f"ratio numpy/torch {ratio:.2f}x   (target <= {TARGET_RATIO}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"numpy peak memory {peak / 2**20:.1f} MiB   (target < 1 GiB: "
          f"{'met' if peak < TARGET_PEAK else 'NOT met'})")


if __name__ == "__main__":
    main()
