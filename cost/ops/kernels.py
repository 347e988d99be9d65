"""Vectorized numpy kernels for the reference forward pass, and the `Tally` of executed madds.

Every kernel works on float32 NCHW arrays without Python loops over pixels, channels, kernel taps,
groups or the batch: windows are strided views (`sliding_window_view`), convolutions are batched
matrix products with a group axis, pooling reduces over the window axes of the view, adaptive
pooling takes differences of prefix sums at its bins' ends.

`Tally` counts the multiply-adds a kernel really executes, from the shapes of the two arrays it
multiplies in a matrix product: a (..., M, K) @ (..., K, N) product does batch·M·K·N of them. Only
contractions (products summed into an output) count, which is the paper convention of
`cost.measures`; element-wise arithmetic (BN's scale and shift, pooling, activations) is not a
contraction and adds nothing. The tally never calls an op's `madds` formula: it is the witness the
formula is checked against.

>>> t = Tally()
>>> y = t.matmul(np.ones((3, 4, 5), np.float32), np.ones((5, 6), np.float32))
>>> y.shape, t.madds == 3 * 4*5*6      # batch · M·K·N
((3, 4, 6), True)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

DTYPE = np.float32


class Tally:
    """Multiply-adds executed so far, counted from the operands of each matrix product."""

    def __init__(self) -> None:
        self.madds = 0

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a @ b (numpy broadcasting over leading axes), adding batch·M·K·N to the tally."""
        (m, k), (k2, n) = a.shape[-2:], b.shape[-2:]
        if k != k2:
            raise ValueError(f"matmul operands do not fit: {a.shape} @ {b.shape}")
        batch = math.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        self.madds += batch * m * k * n
        return np.matmul(a, b)


def pad_hw(x: np.ndarray, before: int, after: int | tuple[int, int], value: float = 0.0
           ) -> np.ndarray:
    """Pad the two spatial axes of an NCHW array: `before` rows/columns on top/left, `after`
    (one number, or (rows, columns)) on bottom/right, filled with `value`."""
    after_h, after_w = (after, after) if isinstance(after, int) else after
    if before == 0 and after_h == 0 and after_w == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + before + after_h, w + before + after_w), value, dtype=x.dtype)
    out[:, :, before:before + h, before:before + w] = x
    return out


def windows(x: np.ndarray, k: int, stride: int, dilation: int = 1) -> np.ndarray:
    """All k×k windows of an (already padded) NCHW array as a strided view (n, c, ho, wo, k, k).

    Windows start at every `stride`-th position where the dilated window (span d·(k−1)+1) fits:
    nothing is copied, and the output size follows from where windows fit, not from a formula.
    """
    span = dilation * (k - 1) + 1
    view = sliding_window_view(x, (span, span), axis=(2, 3))
    return view[:, :, ::stride, ::stride, ::dilation, ::dilation]


def conv2d(x: np.ndarray, weight: np.ndarray, stride: int, pad: int, dilation: int, groups: int,
           tally: Tally) -> np.ndarray:
    """Grouped 2-D convolution as one batched product over a group axis (im2col).

    x (n, cin, h, w), weight (cout, cin/g, k, k) as PyTorch. The columns are (n, g, cin/g·k·k,
    ho·wo) and the weights (g, cout/g, cin/g·k·k), so the product is (n, g, cout/g, ho·wo), which
    is already (n, cout, ho, wo) in memory. A 1×1 stride-1 conv needs no column copy at all.
    """
    n, cin, _, _ = x.shape
    cout, cg, k, _ = weight.shape
    g = groups
    win = windows(pad_hw(x, pad, pad), k, stride, dilation)
    ho, wo = win.shape[2:4]
    cols = (win.reshape(n, g, cg, ho, wo, k, k).transpose(0, 1, 2, 5, 6, 3, 4)
            .reshape(n, g, cg * k * k, ho * wo))
    y = tally.matmul(weight.reshape(g, cout // g, cg * k * k), cols)
    return y.reshape(n, cout, ho, wo)


def pool_windows(x: np.ndarray, k: int, stride: int, pad: int, ceil_mode: bool,
                 fill: float) -> tuple[np.ndarray, int, int]:
    """Pooling windows (n, c, ho, wo, k, k) of x padded with `fill`, PyTorch's placement.

    Windows start at 0, s, 2s, ... in the padded map. Without ceil_mode a window must fit in the
    padded map; with ceil_mode it may run past the right edge (the overhang is filled too) as long
    as it starts inside the input or the left padding. Also returns the padded height and width,
    which the average needs for its divisor.
    """
    _, _, h, w = x.shape
    hp, wp = h + 2 * pad, w + 2 * pad
    extra = stride - 1 if ceil_mode else 0  # room for one more, partly outside, window
    win = windows(pad_hw(x, pad, (pad + extra, pad + extra), fill), k, stride)
    if ceil_mode:
        starts_h = np.arange(win.shape[2]) * stride
        starts_w = np.arange(win.shape[3]) * stride
        win = win[:, :, : int(np.sum(starts_h < h + pad)), : int(np.sum(starts_w < w + pad))]
    return win, hp, wp


def taps_first(win: np.ndarray) -> np.ndarray:
    """The windows (n, c, ho, wo, k, k) copied to (k·k, n, c, ho, wo): reducing over the first
    axis then combines k·k contiguous maps element-wise, ~25× faster than reducing the strided
    window axes of the view directly (benchmarks/bench_forward.py times the whole network)."""
    n, c, ho, wo, k, _ = win.shape
    return win.transpose(4, 5, 0, 1, 2, 3).reshape(k * k, n, c, ho, wo)


def maxpool2d(x: np.ndarray, k: int, stride: int, pad: int, ceil_mode: bool) -> np.ndarray:
    win, _, _ = pool_windows(x, k, stride, pad, ceil_mode, -np.inf)
    return taps_first(win).max(axis=0)


def avgpool2d(x: np.ndarray, k: int, stride: int, pad: int, ceil_mode: bool) -> np.ndarray:
    """Average over each window; the divisor counts the padding but not a ceil_mode overhang
    (PyTorch's count_include_pad=True, its default)."""
    win, hp, wp = pool_windows(x, k, stride, pad, ceil_mode, 0.0)
    ho, wo = win.shape[2:4]
    rows = np.minimum(np.arange(ho) * stride + k, hp) - np.arange(ho) * stride
    cols = np.minimum(np.arange(wo) * stride + k, wp) - np.arange(wo) * stride
    count = (rows[:, None] * cols[None, :]).astype(x.dtype)
    return taps_first(win).sum(axis=0) / count


def adaptive_bins(length: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive-pooling bins of one axis: output i averages [start_i, end_i) with
    start_i = floor(i·length/size), end_i = ceil((i+1)·length/size). Bins overlap and differ in
    size when `size` does not divide `length`, and repeat inputs when size > length.

    >>> adaptive_bins(7, 3)
    (array([0, 2, 4]), array([3, 5, 7]))
    """
    i = np.arange(size)
    return (i * length) // size, -((-(i + 1) * length) // size)


def adaptive_avgpool2d(x: np.ndarray, size: int) -> np.ndarray:
    """nn.AdaptiveAvgPool2d(size): the mean of each bin of `adaptive_bins` (rows × columns).

    Separable, one axis at a time: a prefix sum along the axis (accumulated in float64, so the
    differences of large prefix sums lose nothing float32 would keep), then each bin's sum is
    the difference of the prefix sums at its two ends, taken with index arrays for all bins at
    once, divided by the bin's length. The mean over a rectangle is the mean over its rows of
    the means over its columns, so two passes give the 2-D average.
    """
    out = x.astype(np.float64)
    for axis in (2, 3):
        starts, ends = adaptive_bins(x.shape[axis], size)
        prefix = np.cumsum(out, axis=axis)
        prefix = np.concatenate([np.zeros_like(prefix.take([0], axis=axis)), prefix], axis=axis)
        sums = prefix.take(ends, axis=axis) - prefix.take(starts, axis=axis)
        lengths = (ends - starts).reshape((-1, 1) if axis == 2 else (-1,))
        out = sums / lengths
    return out.astype(x.dtype)


# --- element-wise activations (cost.ops.activation: one function per op, by the op's name) -----


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0, 6)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))  # = 1/(1 + e^-x), without overflow in float32


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    return relu6(x + 3) / 6


def hard_swish(x: np.ndarray) -> np.ndarray:
    return x * relu6(x + 3) / 6
