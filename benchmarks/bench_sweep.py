"""Sweep throughput over the ShuffleNet v1 family, against profiling each point separately.

    python benchmarks/bench_sweep.py [--points-n 800] [--sample 40]

Prints, measured in this run: the time to build the closed form (one symbolic walk + compiling
it for numpy), the evaluation throughput of a >= 1,000,000-point grid g × s × r × n (best of 3;
the broadcast layout `cost sweep` uses, and a flat layout with one value per point, as a plain
list of configurations would be), the Pareto-front time, the mean time of `cost.engine.profile` per
point on a random sample of the same grid (the baseline), and the per-point speed-up. A few
sampled points are also checked to agree exactly with `cost.engine.profile`.

Targets (issue 6): >= 1,000,000 points/s after the build; >= 1,000x per point.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import cost
from cost.design.sweep import closed_form, parse_grid, sweep

SPEC = Path(__file__).resolve().parent.parent / "specs" / "shufflenet_v1.yaml"


def best_of(runs: int, f):
    best, out = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - start)
    return best, out


def table_lookup_seconds(form, grid, dens):
    """Best-of-5 time of evaluating the table let alone on one flat chunk of the grid."""
    import math

    import numpy as np

    from cost.design.sweep import CHUNK, chunks
    from cost.design.vectorize import Context, Val

    compiled = form.compiled(dens)
    (_, table), = compiled.tables
    chunk = next(chunks([len(v) for v in grid.values()], CHUNK, broadcast=False))
    variables = {}
    for (name, values), index in zip(grid.items(), chunk.index, strict=True):
        walk = [v * dens[name] / form.multiples.get(name, 1) for v in values]
        variables[form.symbols[name]] = Val(np.array([int(w) for w in walk])[index], dens[name])
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        table.evaluate(Context(variables))
        best = min(best, time.perf_counter() - start)
    return best, math.prod(chunk.shape)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points-n", type=int, default=800, help="values of n (batch) in the grid")
    ap.add_argument("--sample", type=int, default=40, help="points profiled one by one")
    args = ap.parse_args()

    spec = cost.load(SPEC)
    items = ["g=1,2,3,4,8", "s=0.25:2:0.25", "r=32:1024:32", f"n=1:{args.points_n}:1"]
    grid = parse_grid(items)
    names = tuple(grid)

    start = time.perf_counter()
    form = closed_form(spec, names)
    walk = time.perf_counter() - start
    dens = {"g": 1, "s": 4, "r": 1, "n": 1}  # s in quarters
    start = time.perf_counter()
    form.compiled(dens)
    compile_s = time.perf_counter() - start
    build = walk + compile_s

    runs = [sweep(spec, grid, form=form) for _ in range(3)]
    flats = [sweep(spec, grid, form=form, broadcast=False) for _ in range(3)]
    result, flat = runs[0], flats[0]
    n = result.size
    only_eval_b = min(r.seconds["evaluate"] for r in runs)
    only_eval_f = min(r.seconds["evaluate"] for r in flats)
    pareto_s = min(r.seconds["pareto"] for r in runs)
    assert (flat.metrics["madds"] == result.metrics["madds"]).all()
    assert (flat.reason == result.reason).all()
    lookup_s, lookup_points = table_lookup_seconds(form, grid, dens)

    rng = random.Random(0)
    picks = [rng.randrange(n) for _ in range(args.sample)]
    per_point = []
    checked = valid = 0
    for i in picks:
        bindings = {name: grid[name][result.indices(name)[i]] for name in names}
        t0 = time.perf_counter()
        try:
            p = cost.profile(cost.load(SPEC, **bindings))
        except cost.SpecError:
            p = None
        per_point.append(time.perf_counter() - t0)
        if p is not None:
            valid += 1
            assert result.valid[i] and result.metrics["madds"][i] == p.total.madds, bindings
            checked += 1
        else:
            assert not result.valid[i], bindings
    profile_s = sum(per_point) / len(per_point)

    rate_b, rate_f = n / only_eval_b, n / only_eval_f
    print(f"spec: {SPEC.name}; grid {' × '.join(f'{k} ({len(v)})' for k, v in grid.items())}"
          f" = {n:,} points, {int(result.valid.sum()):,} valid")
    print(f"closed form build: walk {walk:.3f} s + compile {compile_s:.3f} s = {build:.3f} s")
    print(f"evaluate, broadcast layout: {only_eval_b:.3f} s -> {rate_b / 1e6:.1f} M points/s")
    print(f"evaluate, flat layout:      {only_eval_f:.3f} s -> {rate_f / 1e6:.1f} M points/s")
    print(f"  of which the table let c (g -> width, a Piecewise via numpy.select), flat: "
          f"{lookup_s / lookup_points * 1e9:.1f} ns/point "
          f"({lookup_s / lookup_points / (only_eval_f / n):.0%} of the flat evaluation)")
    print(f"Pareto front (madds, params, mem; valid points): {pareto_s:.3f} s; whole sweep "
          f"after the build: {only_eval_b + pareto_s:.3f} s")
    print(f"baseline: cost.engine.profile per point, {len(picks)} random grid points "
          f"({valid} valid, {checked} checked equal): {profile_s * 1e3:.2f} ms/point")
    speedup_b = profile_s / (only_eval_b / n)
    speedup_f = profile_s / (only_eval_f / n)
    print(f"speed-up per point: {speedup_b:,.0f}x (broadcast), {speedup_f:,.0f}x (flat)")
    print(f"break-even: the build costs as much as profiling {build / profile_s:.0f} points")
    ok = rate_f >= 1e6 and speedup_f >= 1000
    print(f"targets (>= 1,000,000 points/s, >= 1,000x), flat layout included: "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
