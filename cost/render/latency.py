"""Text and JSON for latency: `cost latency` (predicted per kernel), `cost bench` (measured, with
spread) and `cost calibrate` (the fitted device profile). Numbers are written by
`cost.render.format`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cost.render.format import dumps, duration, exact, percent, rate, value_text

if TYPE_CHECKING:
    from cost.latency.device import Device
    from cost.latency.predict import Prediction

STYLES = {"table": "simple", "markdown": "github"}


def _bindings(bindings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={value_text(v)}" for k, v in bindings.items())


def _table(rows: list[list[Any]], headers: list[str], fmt: str) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt=STYLES[fmt], disable_numparse=True)


def _csv(rows: list[list[Any]], headers: list[str]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


# --- cost latency --------------------------------------------------------------------------------


def prediction_doc(pred: Prediction) -> dict[str, Any]:
    d = pred.device
    total = float(pred.total)
    return {
        "spec": pred.profile.spec.name, "bindings": pred.profile.bindings,
        "device": d.name, "runtime": d.runtime, "total_seconds": total,
        "run_overhead_seconds": float(pred.run_overhead),
        "by_bound": {k: float(v) for k, v in pred.by_bound().items()},
        "by_kind": {k: float(v) for k, v in pred.by_kind().items()},
        "kernels": [{"path": k.path, "op": k.op, "kind": str(k.kind), "folded": list(k.folded),
                     "madds": k.madds, "bytes": k.bytes, "compute_seconds": float(k.compute),
                     "memory_seconds": float(k.memory), "overhead_seconds": float(k.overhead),
                     "seconds": float(k.time), "bound": k.bound} for k in pred.kernels],
        "fusion": list(d.fusion),
    }


def render_prediction(pred: Prediction, fmt: str) -> str:
    """Per kernel: kind, madds, bytes, the three terms, time, share and bound; then totals."""
    if fmt == "json":
        return dumps(prediction_doc(pred))
    total = float(pred.total)
    headers = ["kernel", "kind", "madds", "bytes", "compute", "memory", "overhead", "time",
               "share", "bound"]
    if fmt == "csv":
        rows = [[k.path, str(k.kind), k.madds, k.bytes, float(k.compute), float(k.memory),
                 float(k.overhead), float(k.time), float(k.time) / total, k.bound]
                for k in pred.kernels]
        return _csv(rows, headers)
    rows = [[k.path + (f" (+{len(k.folded)})" if k.folded else ""), str(k.kind), exact(k.madds),
             exact(k.bytes), duration(k.compute), duration(k.memory), duration(k.overhead),
             duration(k.time), percent(float(k.time) / total), k.bound] for k in pred.kernels]
    rows.append(["run overhead", "", "", "", "", "", duration(pred.run_overhead),
                 duration(pred.run_overhead), percent(float(pred.run_overhead) / total), ""])
    bound = ", ".join(f"{b} {percent(float(v) / total)}" for b, v in pred.by_bound().items())
    lines = [f"{pred.profile.spec.name} ({_bindings(pred.profile.bindings)}) on "
             f"{pred.device.name}", "", _table(rows, headers, fmt), "",
             f"predicted latency: {duration(total)} ({len(pred.kernels)} kernels; time by "
             f"bound: {bound})"]
    lines += [f"fusion: {rule}" for rule in pred.device.fusion]
    if pred.device.epilogues is not None:
        lines.append("fusion: activations the runtime was seen to fuse: "
                     + (", ".join(pred.device.epilogues) or "none"))
    return "\n".join(lines)


# --- cost bench ----------------------------------------------------------------------------------


def render_bench(result: Any, fmt: str, predicted: float | None = None) -> str:
    """A measurement: median, IQR, min, max, repeats, load; per-node times where available."""
    doc = result.as_dict()
    if predicted is not None:
        doc["predicted_seconds"] = predicted
    if fmt == "json":
        return dumps(doc)
    s = result.stats
    headers = ["node", "op", "layer", "time", "share"]
    node_total = sum(n["seconds"] for n in result.nodes) or 1.0
    if fmt == "csv":
        rows = [[n["node"], n["op_type"], n["layer"], n["seconds"], n["seconds"] / node_total]
                for n in result.nodes]
        return _csv(rows, headers)
    rt = result.runtime
    settings = ", ".join(f"{k}={v}" for k, v in rt.items() if k not in ("name", "version"))
    lines = [f"{result.name} ({_bindings(result.bindings)}) on {rt['name']} {rt['version']} "
             f"({settings}), {result.machine.get('cpu', '')}",
             f"latency: median {duration(s.median)}, IQR {duration(s.q1)} – {duration(s.q3)} "
             f"({percent(s.spread)} of the median), min {duration(s.min)}, max "
             f"{duration(s.max)}; {len(s.samples)} repeats of {s.runs_per_sample} run(s); "
             f"load average {result.load[0]:.2f}"]
    if predicted is not None:
        lines.append(f"predicted: {duration(predicted)} ({percent(predicted / s.median - 1)} "
                     "from the measured median)")
    if result.nodes:
        rows = [[n["node"], n["op_type"], n["layer"], duration(n["seconds"]),
                 percent(n["seconds"] / node_total)] for n in result.nodes]
        lines += ["", "per node (profiler, median of 5 runs; sums to "
                      f"{duration(node_total)}):", _table(rows, headers, fmt)]
    return "\n".join(lines)


# --- cost calibrate ------------------------------------------------------------------------------


def render_calibration(device: Device, path: str) -> str:
    """The fitted kinds, one line each, and where the profile was written."""
    rows = []
    for kind, m in device.kinds.items():
        rows.append([kind, m.form, rate(m.peak, "madd/s"), rate(m.bandwidth, "B/s"),
                     duration(m.overhead), m.fit.get("points", ""),
                     percent(m.fit.get("median_abs_error", float("nan")))])
    body = _table(rows, ["kind", "form", "peak", "bandwidth", "overhead", "points",
                         "median |error|"], "table")
    c = device.calibration
    return "\n".join([f"{device.name}: {c.get('micro_benchmarks')} micro-benchmarks in "
                      f"{c.get('seconds')} s (load average {c.get('load_average')})",
                      f"run overhead {duration(device.run_overhead)}", "", body, "",
                      f"wrote {path}"])
