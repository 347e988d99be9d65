"""Seeded mutation fuzzer for specs (issue 17): no input may crash, hang or fool `cost`.

    python benchmarks/fuzz_specs.py --cases 50000 --budget 3600 --seed 17

Every bundled spec (cost/specs/**/*.yaml) is mutated by a few random edits: lines deleted,
duplicated or swapped; a number set to 0, negative, huge, a float or text; an op name or a key
changed. Each mutant is run in-process through click's CliRunner (`cost profile`, sometimes with
`--symbolic` or `--format json`), in a forked worker watched by the parent: a case that takes
more than `--timeout` seconds of CPU (or six times that on the wall clock, for a loaded machine)
is a hang (the worker is killed and a new one carries on).

Outcomes: `ok` (exit 0), `clean` (exit 2: one of the project's own errors), `crash` (anything
else: a traceback, another exit code) and `hang`. Crashes and hangs are grouped by exception and
place, and one reproducer of each is saved under `--save` (default: fuzz_out/).

The same mutator drives the quick fuzz test of the suite (tests/test_hostile.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "cost" / "specs"

HUGE = ("10**64", "99999999999999999999", "1e308", "123456789012345678901234567890", "2**64",
        "99999", "100000", "1" * 60)
NUMBERS = ("0", "-1", "-7", "0.5", "1.5", "1e-9", "abc", "'x'", "3/0", "0**-1", "nan", "inf",
           "-0", "1:30", "010", "0x10", "1_000", "true", "null", "[]", "{}", "' '", *HUGE)
OPS = ("conv", "bn", "relu", "add", "concat", "linear", "maxpool", "avgpool", "global_avgpool",
       "flatten", "channel_shuffle", "channel_split", "dropout", "convv", "unit", "stage", "x",
       "prev", "sigmoid", "hswish", "se", "madds", "", "'op'")
KEYS = ("id", "op", "in", "repeat", "when", "out", "k", "stride", "pad", "groups", "bias",
        "symbols", "let", "blocks", "network", "input", "params", "layers", "default", "table",
        "values", "multiple_of", "kind", "extends", "preset", "bind", "expect", "madds", "junk",
        "dilation", "ratio", "spec", "name", "value", "within")
TEXTS = ("prev", "x", "cin", "cin/0", "cin**64", "((2**64)**64)**64", "s.1", "'a\\x1b[31m'",
         "depthwise", "r/32", "make_divisible(8, 0)", "min(1)", "__import__('os')", "a.b",
         "1 if 1 else 2", "[1, 2]", "{a: 1}", "!!python/object:os.system", "*anchor", "&a 1",
         "'\\ud800'", "\"\\x00\"", "..", "/etc/passwd")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
OP = re.compile(r"(\bop:\s*)([A-Za-z_][\w]*)")
KEY = re.compile(r"(^|[{,\s])([A-Za-z_][\w]*)(:\s)")
VALUE = re.compile(r"(:\s*)([^,{}\[\]\n#]+)")


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of a spec's text."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(("delete", "duplicate", "swap", "number", "number", "number", "op",
                           "key", "value"))
        if kind in ("delete", "duplicate", "swap") and len(lines) > 2:
            i = rng.randrange(len(lines))
            if kind == "delete":
                del lines[i]
            elif kind == "duplicate":
                lines.insert(i, lines[i])
            else:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            continue
        candidates = [i for i, line in enumerate(lines)
                      if line.strip() and not line.lstrip().startswith("#")]
        if not candidates:
            continue
        i = rng.choice(candidates)
        line = lines[i]
        pattern = {"number": NUMBER, "op": OP, "key": KEY, "value": VALUE}[kind]
        matches = list(pattern.finditer(line))
        if not matches:
            continue
        m = rng.choice(matches)
        if kind == "number":
            new = line[:m.start()] + rng.choice(NUMBERS) + line[m.end():]
        elif kind == "op":
            new = line[:m.start(2)] + rng.choice(OPS) + line[m.end(2):]
        elif kind == "key":
            new = line[:m.start(2)] + rng.choice(KEYS) + line[m.end(2):]
        else:
            new = line[:m.start(2)] + rng.choice(TEXTS + NUMBERS) + line[m.end(2):]
        lines[i] = new
    return "\n".join(lines)


def spec_files() -> list[Path]:
    return sorted(SPECS.rglob("*.yaml"))


def case(seed: int, index: int, files: list[Path]) -> tuple[Path, str, list[str]]:
    """The `index`-th case of a run: (original spec, mutated text, extra CLI arguments)."""
    rng = random.Random(f"{seed}:{index}")
    original = files[index % len(files)]
    text = mutate(original.read_text(encoding="utf-8"), rng)
    extra = rng.choice(([], [], [], [], ["--symbolic"], ["--format", "json"],
                        ["--format", "csv"], ["--fuse"]))
    return original, text, extra


def run_cli(path: Path, extra: list[str]) -> tuple[str, str]:
    """(outcome, detail) of `cost profile PATH EXTRA` run in-process."""
    from click.testing import CliRunner

    from cost.cli.main import main

    result = CliRunner().invoke(main, ["profile", str(path), *extra])
    code = result.exit_code
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = traceback.extract_tb(result.exc_info[2])
        frame = tb[-1] if tb else None
        place = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        return "crash", f"{type(exc).__name__} at {place}: {str(exc)[:120]}"
    if code == 0:
        return "ok", ""
    if code == 2:
        return "clean", ""
    return "crash", f"exit code {code}: {result.output[-200:]}"


class Workspace:
    """A private copy of the bundled specs, so that `extends:` of a mutant finds its parent."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cost-fuzz-"))
        shutil.copytree(SPECS, self.dir / "specs")

    def write(self, original: Path, text: str) -> Path:
        path = self.dir / "specs" / original.relative_to(SPECS).parent / "_mutant.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return path

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process `pid` so far, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _worker(seed: int, start: int, stop: int, files: list[Path], out: int) -> None:
    ws = Workspace()
    try:
        for index in range(start, stop):
            os.write(out, f"S {index}\n".encode())
            original, text, extra = case(seed, index, files)
            path = ws.write(original, text)
            t0 = time.process_time()
            outcome, detail = run_cli(path, extra)
            line = json.dumps([index, outcome, detail, round(time.process_time() - t0, 3)])
            os.write(out, f"R {line}\n".encode())
    finally:
        ws.close()


def run(cases: int, seed: int, timeout: float, budget: float, save: Path) -> dict:
    import cost.cli.main  # noqa: F401 - imported once, before forking
    import cost.engine.profile  # noqa: F401
    import cost.render.profile  # noqa: F401

    files = spec_files()
    counts: Counter = Counter()
    groups: dict[str, list[int]] = {}
    slowest = (0.0, -1)
    t_start = time.perf_counter()
    index = 0
    save.mkdir(parents=True, exist_ok=True)

    def record(i: int, outcome: str, detail: str) -> None:
        counts[outcome] += 1
        if outcome in ("crash", "hang"):
            key = f"{outcome}: {detail.split(': ')[0]}"
            if key not in groups:
                original, text, extra = case(seed, i, files)
                (save / f"{outcome}-{i}.yaml").write_text(
                    f"# from {original.relative_to(SPECS)}; args {extra}; {detail}\n" + text,
                    encoding="utf-8", errors="surrogatepass")
            groups.setdefault(key, []).append(i)

    while index < cases and time.perf_counter() - t_start < budget:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            code = 0
            try:
                _worker(seed, index, cases, files, write)
            except BaseException:  # report and leave: any exception is a finding
                traceback.print_exc()
                code = 1
            os._exit(code)
        os.close(write)
        buffer = b""
        current = index
        started = time.perf_counter()
        cpu_started = _cpu_seconds(pid)
        with os.fdopen(read, "rb", buffering=0) as pipe:
            while True:
                if time.perf_counter() - t_start > budget:
                    os.kill(pid, signal.SIGKILL)
                    break
                ready, _, _ = select.select([pipe], [], [], 0.5)
                if not ready:
                    cpu = _cpu_seconds(pid) - cpu_started
                    if cpu > timeout or time.perf_counter() - started > 6 * timeout:
                        os.kill(pid, signal.SIGKILL)
                        record(current, "hang", f"over {timeout} s of CPU")
                        index = current + 1
                        break
                    continue
                chunk = pipe.read(65536)
                if not chunk:  # the worker ended
                    index = cases if current >= cases - 1 else current + 1
                    break
                buffer += chunk
                *done, buffer = buffer.split(b"\n")
                for raw in done:
                    tag, _, payload = raw.decode().partition(" ")
                    if tag == "S":
                        current = int(payload)
                        started = time.perf_counter()
                        cpu_started = _cpu_seconds(pid)
                    else:
                        i, outcome, detail, seconds = json.loads(payload)
                        record(i, outcome, detail)
                        slowest = max(slowest, (seconds, i))
                        index = i + 1
        os.waitpid(pid, 0)
    elapsed = time.perf_counter() - t_start
    total = sum(counts.values())
    return {"seed": seed, "cases": total, "ok": counts["ok"], "clean_errors": counts["clean"],
            "crashes": counts["crash"], "hangs": counts["hang"], "seconds": round(elapsed, 1),
            "slowest_case": {"seconds": slowest[0], "index": slowest[1]},
            "groups": {k: {"count": len(v), "first": v[0]} for k, v in
                       sorted(groups.items(), key=lambda kv: -len(kv[1]))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per case")
    parser.add_argument("--budget", type=float, default=3600.0, help="seconds in all")
    parser.add_argument("--save", type=Path, default=Path("fuzz_out"))
    args = parser.parse_args()
    report = run(args.cases, args.seed, args.timeout, args.budget, args.save)
    json.dump(report, sys.stdout, indent=2)
    print()
    sys.exit(1 if report["crashes"] or report["hangs"] else 0)


if __name__ == "__main__":
    main()
