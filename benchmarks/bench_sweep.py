"""Sweep throughput over the ShuffleNet v1 family, against profiling each point separately.

    python benchmarks/bench_sweep.py [--points-n 800] [--sample 40]
    python benchmarks/bench_sweep.py --stream [--huge-n 781250] [--csv-n 2500]

Prints, measured in this run: the time to build the closed form (one symbolic walk + compiling
it for numpy), the evaluation throughput of a >= 1,000,000-point grid g × s × r × n (best of 3;
the broadcast layout `cost sweep` uses, and a flat layout with one value per point, as a plain
list of configurations would be), the Pareto-front time, the mean time of `cost.engine.profile` per
point on a random sample of the same grid (the baseline), and the per-point speed-up. A few
sampled points are also checked to agree exactly with `cost.engine.profile`.

Targets (issue 6): >= 1,000,000 points/s after the build; >= 1,000x per point.

`--stream` (issue 16) instead runs the `cost sweep` command under `/usr/bin/time -v` (GNU time;
`apt-get install time`) and reports wall time, CPU time and peak resident memory (the largest
of the process and its workers) of:

* 1,000,000,000 points, g (5) × s (8) × r (32) × n (781,250), with --where "madds >= 100e6 and
  madds <= 600e6" and --pareto, with --workers 1 and --workers 2 (one after the other, in this
  run; the load average before each is printed, since other programs share the cores);
* 10,100,000 points, g (5) × s (8) × r (101) × n (2,500), unfiltered, written as CSV
  (--output, every row).

Targets (issue 16): peak resident memory < 1 GB for both; --workers 2 >= 1.6x the points/s of
--workers 1 (on a 2-core machine).
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
WHERE = "madds >= 100e6 and madds <= 600e6"  # the --stream sweep's filter


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


def timed(argv: list[str]) -> dict[str, float]:
    """Run argv under GNU time -v: wall seconds, CPU seconds and peak resident memory (MB)."""
    import os
    import subprocess

    load = os.getloadavg()[0]
    r = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{r.stderr[-2000:]}")
    fields = dict(line.strip().rsplit(": ", 1) for line in r.stderr.splitlines()
                  if ": " in line and line.startswith("\t"))
    h, _, rest = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].rpartition(":")
    wall = float(rest) + 60 * sum(float(x) * 60**i for i, x in
                                  enumerate(reversed(h.split(":"))) if x)
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    return {"wall": wall, "cpu": cpu, "rss_mb": int(fields["Maximum resident set size (kbytes)"])
            / 1024, "load": load, "stdout": r.stdout}


def streaming(args: argparse.Namespace) -> int:
    import tempfile

    cli = [sys.executable, "-m", "cost", "sweep", str(SPEC), "--grid", "g=1,2,3,4,8",
           "--grid", "s=0.25:2:0.25", "-q"]
    huge = [*cli, "--grid", "r=32:1024:32", "--grid", f"n=1:{args.huge_n}:1",
            "--where", WHERE, "--pareto"]
    points = 5 * 8 * 32 * args.huge_n
    print(f"{points:,} points: g (5) × s (8) × r (32) × n ({args.huge_n:,}), "
          f"--where {WHERE!r} --pareto")
    rates, peak = {1: 0.0, 2: 0.0}, 0.0
    for _ in range(args.repeat):  # alternate, so both see the same load; keep the best
        for workers in (1, 2):
            m = timed([*huge, "--workers", str(workers)])
            rates[workers] = max(rates[workers], points / m["wall"])
            peak = max(peak, m["rss_mb"])
            print(f"  --workers {workers}: {m['wall']:.1f} s wall, {m['cpu']:.1f} s CPU, "
                  f"{points / m['wall'] / 1e6:.1f} M points/s, peak RSS {m['rss_mb']:.0f} MB "
                  f"(load average before: {m['load']:.2f})")
            front = [line for line in m["stdout"].splitlines() if line.startswith("points:")]
            print(f"    {front[0] if front else ''}")
    speedup = rates[2] / rates[1]
    print(f"  speed-up of --workers 2 (best of {args.repeat} each): {speedup:.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep.csv"
        n_csv = 5 * 8 * 101 * args.csv_n
        m = timed([*cli, "--grid", "r=32:3232:32", "--grid", f"n=1:{args.csv_n}:1",
                   "--output", str(out), "--workers", str(args.csv_workers)])
        size = out.stat().st_size
        print(f"{n_csv:,} points: g (5) × s (8) × r (101) × n ({args.csv_n:,}) unfiltered, "
              f"--output sweep.csv (--workers {args.csv_workers}): {m['wall']:.1f} s wall, "
              f"{m['cpu']:.1f} s CPU, {size / 1e9:.2f} GB written, peak RSS "
              f"{m['rss_mb']:.0f} MB (load average before: {m['load']:.2f})")
        peak = max(peak, m["rss_mb"])
    ok = peak < 1024
    print(f"targets (peak RSS < 1 GB; --workers 2 >= 1.6x): "
          f"memory {'met' if ok else 'NOT met'}, speed-up {'met' if speedup >= 1.6 else 'NOT met'}")
    return 0 if ok and speedup >= 1.6 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points-n", type=int, default=800, help="values of n (batch) in the grid")
    ap.add_argument("--sample", type=int, default=40, help="points profiled one by one")
    ap.add_argument("--stream", action="store_true",
                    help="measure the streamed 10^9-point and 10.1 M-point CSV sweeps instead")
    ap.add_argument("--huge-n", type=int, default=781_250, help="values of n, --stream sweep")
    ap.add_argument("--csv-n", type=int, default=2_500, help="values of n, --stream CSV sweep")
    ap.add_argument("--csv-workers", type=int, default=2, help="--workers of the CSV sweep")
    ap.add_argument("--repeat", type=int, default=1,
                    help="--stream: runs of each --workers setting, alternated; the best counts")
    args = ap.parse_args()
    if args.stream:
        return streaming(args)

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
    print(f"Pareto front (default objectives madds:min, params:max; valid points): "
          f"{pareto_s:.3f} s; whole sweep "
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
