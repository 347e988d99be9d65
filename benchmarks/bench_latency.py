"""Predicted against measured latency: every bundled spec and >= 40 swept design points.

    python benchmarks/bench_latency.py [--repeat 15] [--out benchmarks/results] [--device D.yaml]

1. Calibrates a device profile on the micro-benchmark suite and random network-like
   architectures (`cost calibrate`; never on the evaluated networks), unless --device gives one.
2. Measures every bundled spec (cost/specs/*.yaml at its defaults; a spec that cannot be
   exported to ONNX is skipped, with the reason) and design points drawn from sweeps: ShuffleNet
   v1 (groups g, width s), ShuffleNet v2 (width s) and MobileNet v2 (width s), at resolutions
   128-288, with onnxruntime on 1 thread (`cost bench`: warm-up, K repeats, median, IQR).
3. Predicts each network's latency with the device profile (`cost latency`).
4. Prints, for the prediction and for three baselines fitted by least squares (relative error)
   on the networks themselves (madds only, memory access only, madds + memory access, each with
   an intercept): the share of networks within ±10% and ±20%, the median absolute error and
   Spearman's rho; and the spread of the measurements (IQR / median).

5. Re-measures ShuffleNet V2's guideline experiments (Tables 1-4, the paper's ARM/CPU networks)
   here and prints, per table, whether the guideline holds and what ranks the speeds best.

Targets (issue 14): >= 80% within ±10%, rho >= 0.97, better than every baseline.
Writes DIR/latency_device.yaml, DIR/latency_micro.csv, DIR/latency_networks.csv and
DIR/latency_guidelines.csv (what notebooks/08_latency.ipynb reads).
Timing needs a quiet machine: the load average is printed before and after, and one network is
measured at the start and at the end (the machine's drift over the run).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

import cost
from cost.bench.bench import bench
from cost.bench.calibrate import calibrate
from cost.errors import CostError
from cost.latency import latency, load_device
from cost.papers.experiments import spearman

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "cost" / "specs"
RESOLUTIONS = (128, 160, 192, 224, 256, 288)


def design_points(count: int, seed: int = 0) -> list[tuple[str, dict]]:
    """Valid points of three sweeps, `count` drawn at random (seeded), spread over the families."""
    grids = {
        "shufflenet_v1": [{"g": g, "s": s, "r": r} for g in (1, 2, 3, 4, 8)
                          for s in (Fraction(1, 2), 1, Fraction(3, 2)) for r in RESOLUTIONS],
        "shufflenet_v2": [{"s": s, "r": r} for s in (Fraction(1, 2), 1, Fraction(3, 2), 2)
                          for r in RESOLUTIONS],
        "mobilenet_v2": [{"s": s, "r": r} for s in (Fraction(7, 20), Fraction(1, 2),
                                                     Fraction(3, 4), 1, Fraction(7, 5))
                         for r in RESOLUTIONS],
    }
    rng = random.Random(seed)
    out = []
    per = -(-count // len(grids))
    for spec, points in grids.items():
        valid = []
        for bind in points:
            try:
                cost.profile(cost.load(SPECS / f"{spec}.yaml", **bind))
            except CostError:
                continue
            if bind.get("r") == 224 and bind.get("s") == 1 and bind.get("g", 3) == 3:
                continue  # the bundled default, measured already
            valid.append(bind)
        out += [(spec, b) for b in rng.sample(valid, min(per, len(valid)))]
    return out


def label(spec: str, bind: dict) -> str:
    return spec + "".join(f" {k}={v}" for k, v in bind.items())


def fit_baseline(columns: list[np.ndarray], t: np.ndarray) -> np.ndarray:
    """Least squares on relative error with an intercept: t ≈ c0 + sum(ci · xi)."""
    x = np.stack([np.ones_like(t), *columns], axis=1) / t[:, None]
    coef, *_ = np.linalg.lstsq(x, np.ones_like(t), rcond=None)
    return np.stack([np.ones_like(t), *columns], axis=1) @ coef


def figures(pred: np.ndarray, t: np.ndarray, rank_by: np.ndarray | None = None) -> dict:
    err = pred / t - 1
    rho = spearman(list(t), list(pred if rank_by is None else rank_by))
    return {"within_10": float(np.mean(np.abs(err) <= 0.10)),
            "within_20": float(np.mean(np.abs(err) <= 0.20)),
            "median_abs_error": float(np.median(np.abs(err))), "rho": rho}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--points", type=int, default=45, help="design points (>= 40)")
    ap.add_argument("--device", default=None, help="use this profile instead of calibrating")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-guidelines", action="store_true", help="skip step 5")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: thread CPU time, for development on a busy machine")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")

    start = time.perf_counter()
    reference = drift_reference(args)  # the machine's speed at the start, to compare at the end
    if args.device:
        device = load_device(args.device)
        print(f"device: {args.device} ({device.name})")
    else:
        device, points = calibrate("onnxruntime", args.threads, clock=args.clock)
        device.save(out / "latency_device.yaml")
        pd.DataFrame([p.as_dict() for p in points]).to_csv(out / "latency_micro.csv",
                                                            index=False)
        print(f"calibrated on {len(points)} micro-benchmarks in "
              f"{device.calibration['seconds']} s -> {out / 'latency_device.yaml'}")

    networks = [(p.stem, {}) for p in sorted(SPECS.glob("*.yaml"))]
    networks += design_points(args.points)
    rows, skipped = [], []
    for spec, bind in networks:
        name = label(spec, bind)
        try:
            p = cost.profile(cost.load(SPECS / f"{spec}.yaml", **bind))
            result = bench(p, "onnxruntime", args.threads, repeat=args.repeat, nodes=False,
                           clock=args.clock)
        except CostError as e:
            skipped.append((name, str(e).splitlines()[0]))
            print(f"skip {name}: {skipped[-1][1]}", file=sys.stderr)
            continue
        s = result.stats
        rows.append({"network": name, "spec": spec, "bundled": not bind,
                     **{k: str(v) for k, v in bind.items()},
                     "madds": int(p.total.madds), "mem": int(p.total.mem),
                     "measured": s.median, "q1": s.q1, "q3": s.q3, "spread": s.spread,
                     "repeats": len(s.samples), "predicted": float(latency(p, device)),
                     "load": result.load[0]})
        print(f"{name:45s} measured {s.median * 1e3:9.3f} ms (IQR {s.spread:6.1%})  "
              f"predicted {rows[-1]['predicted'] * 1e3:9.3f} ms", flush=True)
    df = pd.DataFrame(rows)
    t = df.measured.to_numpy()
    madds, mem = df.madds.to_numpy(float), df["mem"].to_numpy(float)
    models = {
        "predicted (device profile)": (df.predicted.to_numpy(), None),
        "baseline: madds only": (fit_baseline([madds], t), madds),
        "baseline: memory access only": (fit_baseline([mem], t), mem),
        "baseline: madds + memory access": (fit_baseline([madds, mem], t), None),
    }
    for column, (pred, _) in zip(("predicted", "fit_madds", "fit_mem", "fit_madds_mem"),
                                 models.values(), strict=True):
        df[column] = pred
    df.to_csv(out / "latency_networks.csv", index=False)

    load_after = os.getloadavg()
    print()
    print(f"{len(df)} networks ({int(df.bundled.sum())} bundled specs, "
          f"{int((~df.bundled).sum())} design points); skipped {len(skipped)}:")
    for name, why in skipped:
        print(f"  {name}: {why}")
    print(f"onnxruntime {args.threads} thread(s), {args.repeat} repeats each; "
          f"{time.perf_counter() - start:.0f} s; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}")
    print()
    print(f"{'model':34s} {'±10%':>6s} {'±20%':>6s} {'median |err|':>13s} {'rho':>7s}")
    for key, (pred, rank_by) in models.items():
        f = figures(pred, t, rank_by)
        print(f"{key:34s} {f['within_10']:6.1%} {f['within_20']:6.1%} "
              f"{f['median_abs_error']:13.1%} {f['rho']:7.3f}")
    spread = df.spread.to_numpy()
    print()
    print(f"measurement spread (IQR / median over {args.repeat} repeats): median "
          f"{np.median(spread):.1%}, 90th percentile {np.quantile(spread, 0.9):.1%}, max "
          f"{spread.max():.1%}")
    end = drift_reference(args)
    print(f"machine drift: the reference network (shufflenet_v2) ran in {reference * 1e3:.3f} ms "
          f"at the start and {end * 1e3:.3f} ms at the end ({end / reference - 1:+.1%})")
    bundled = df[df.bundled]
    fb = figures(bundled.predicted.to_numpy(), bundled.measured.to_numpy())
    print(f"bundled specs alone: {fb['within_10']:.0%} within ±10%, {fb['within_20']:.0%} "
          f"within ±20%, median |err| {fb['median_abs_error']:.1%}, rho {fb['rho']:.3f}")
    if not args.no_guidelines:
        guidelines(device, args, out)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


def drift_reference(args: argparse.Namespace) -> float:
    """The median time of one fixed network: the same before calibrating and after measuring
    tells the machine's speed did not drift in between (these machines are shared)."""
    p = cost.profile(cost.load(SPECS / "shufflenet_v2.yaml"))
    return bench(p, "onnxruntime", args.threads, repeat=args.repeat, nodes=False,
                 clock=args.clock).stats.median


def guidelines(device: object, args: argparse.Namespace, out: Path) -> None:
    from cost.papers import experiments

    paper = experiments.rows()
    here = experiments.measure(paper, threads=args.threads, repeat=args.repeat, device=device,
                               clock=args.clock)
    pd.DataFrame([{"table": r.table, "column": r.column, "row": r.row, "spec": r.spec,
                   "preset": r.preset, "bind": ";".join(f"{k}={v}" for k, v in r.bind.items()),
                   "madds": r.madds, "mem": r.mem, "seconds": r.seconds, "spread": r.spread,
                   "predicted": r.predicted, "speed": r.speed} for r in here]
                 ).to_csv(out / "latency_guidelines.csv", index=False)
    print()
    print("SNv2 Tables 1-4 re-measured here (the paper's ARM/CPU networks):")
    for table, v in experiments.verdicts(paper + here).items():
        rhos = ", ".join(f"{k} {v[f'rho_{k}']:+.2f}" for k in ("mem", "madds", "latency")
                         if f"rho_{k}" in v)
        print(f"  G{table}: {'holds' if v['holds'] else 'does not hold'} ({v['favoured']!r} "
              f"fastest in {v['fastest_in']}/{v['series']} series); mean rho(speed, ·): {rhos}; "
              f"best ranking: {v['best_ranking']}")


if __name__ == "__main__":
    sys.exit(main())
