"""Latency as a metric: a device profile (`device`) and the per-kernel prediction (`predict`).

Measuring and calibrating (which need a runtime: onnxruntime or torch) live in `cost.bench`; this
package is plain arithmetic on a profile, so `cost.design` and `cost.guidelines` can use it.
"""

from cost.latency.device import KINDS, Device, DeviceError, load_device
from cost.latency.predict import Prediction, latency, predict

__all__ = ["KINDS", "Device", "DeviceError", "Prediction", "latency", "load_device", "predict"]
