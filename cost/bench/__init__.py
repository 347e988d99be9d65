"""Measuring latency on this machine: build a network on a runtime (`runtime`), time it
(`bench`), and calibrate a device profile from micro-benchmarks (`calibrate`).

onnxruntime and torch are imported only inside these modules' functions.
"""
