"""Speed of `cost profile` (issue 2 targets), measured against baselines taken in the same run.

    python benchmarks/bench_profile.py

Prints: in-process profile time of every bundled spec (target < 0.3 s), the whole
`cost profile specs/shufflenet_g3.yaml` process against a bare `python -c pass` (target < 1.5 s),
and synthetic N-layer specs (target: 1,000 layers < 5 s, time linear in N: the ratio of
t(1000)/t(100) should be near 10).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median_time

ROOT = Path(__file__).resolve().parent.parent


def synthetic(layers: int) -> str:
    """A plain chain of conv-bn-relu triples with a residual add every triple."""
    units = layers // 4
    return f"""spec: 1
symbols: {{n: {{default: 1}}, r: {{default: 56}}}}
input: [n, 32, r, r]
blocks:
  unit:
    layers:
      - {{op: conv, out: cin, k: 3, pad: 1}}
      - {{op: bn}}
      - {{op: relu}}
      - {{op: add, in: [prev, x]}}
network:
  - {{op: unit, repeat: {units}}}
"""


def main() -> None:
    import cost

    print("in-process profile of each bundled spec (target < 0.3 s):")
    for path in sorted((ROOT / "specs").rglob("*.yaml")):
        t = median_time(lambda p=path: cost.profile(cost.load(p)), repeat=3)
        print(f"  {path.relative_to(ROOT)!s:48} {t * 1000:7.1f} ms")

    bare = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    cli = median_time(lambda: subprocess.run(
        [sys.executable, "-m", "cost", "profile", str(ROOT / "specs/shufflenet_g3.yaml")],
        check=True, capture_output=True))
    print(f"\nwhole process `cost profile specs/shufflenet_g3.yaml`: {cli:.3f} s "
          f"(target < 1.5 s); bare `python -c pass`: {bare:.3f} s; ratio {cli / bare:.1f}x")

    print("\nsynthetic specs (layers -> seconds; linear growth expected):")
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layers in (100, 1000, 4000):
            path = Path(tmp) / f"chain{layers}.yaml"
            path.write_text(synthetic(layers))
            times[layers] = median_time(lambda p=path: cost.profile(cost.load(p)), repeat=3)
            count = len(cost.profile(cost.load(path)).layers)
            print(f"  {count:5} layers: {times[layers]:.3f} s")
    print(f"  t(1000)/t(100) = {times[1000] / times[100]:.1f} (10 = linear); "
          f"t(4000)/t(1000) = {times[4000] / times[1000]:.1f} (4 = linear)")


if __name__ == "__main__":
    main()
