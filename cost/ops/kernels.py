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


Pair = int | tuple[int, int]  # one value for both spatial axes, or (rows, columns)


def _pair(v: Pair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pad_hw(x: np.ndarray, before: Pair, after: Pair, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an NCHW array: `before` rows/columns on top/left, `after`
    on bottom/right (each one number, or (rows, columns)), filled with `value`."""
    (top, left), (bottom, right) = _pair(before), _pair(after)
    if top == left == bottom == right == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def windows(x: np.ndarray, k: Pair, stride: Pair, dilation: Pair = 1) -> np.ndarray:
    """All kh×kw windows of an (already padded) NCHW array as a strided view
    (n, c, ho, wo, kh, kw).

    Windows start at every `stride`-th position where the dilated window (span d·(k−1)+1) fits:
    nothing is copied, and the output size follows from where windows fit, not from a formula.
    """
    (kh, kw), (sh, sw), (dh, dw) = _pair(k), _pair(stride), _pair(dilation)
    view = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def conv2d(x: np.ndarray, weight: np.ndarray, stride: Pair, pad: Pair, dilation: Pair,
           groups: int, tally: Tally, pad_after: Pair | None = None) -> np.ndarray:
    """Grouped 2-D convolution as one batched product over a group axis (im2col).

    x (n, cin, h, w), weight (cout, cin/g, kh, kw) as PyTorch. The columns are (n, g,
    cin/g·kh·kw, ho·wo) and the weights (g, cout/g, cin/g·kh·kw), so the product is (n, g,
    cout/g, ho·wo), which is already (n, cout, ho, wo) in memory. `pad` pads top/left and
    `pad_after` (default: `pad`) bottom/right. A 1×1 stride-1 conv needs no column copy at all.
    """
    n, cin, _, _ = x.shape
    cout, cg, kh, kw = weight.shape
    g = groups
    win = windows(pad_hw(x, pad, pad if pad_after is None else pad_after), (kh, kw), stride,
                  dilation)
    ho, wo = win.shape[2:4]
    cols = (win.reshape(n, g, cg, ho, wo, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
            .reshape(n, g, cg * kh * kw, ho * wo))
    y = tally.matmul(weight.reshape(g, cout // g, cg * kh * kw), cols)
    return y.reshape(n, cout, ho, wo)


def conv_transpose2d(x: np.ndarray, weight: np.ndarray, stride: Pair, pad: Pair,
                     output_padding: Pair, dilation: Pair, groups: int,
                     tally: Tally) -> np.ndarray:
    """Grouped transposed convolution (torch's conv_transpose2d) as one batched product and a
    scatter-add (col2im), without loops over taps, pixels or channels.

    x (n, cin, h, w), weight (cin, cout/g, kh, kw) as PyTorch. Each input pixel's contribution
    to its kh×kw output taps is (g, cout/g·kh·kw, cin/g) @ (n, g, cin/g, h·w): n·h·w · kh·kw ·
    cin·cout/g multiply-adds, the count torch's FlopCounterMode and fvcore give. The taps are
    then added at rows i·s + a·d (columns likewise) of the full output, which is cropped by
    `pad` on each side; `output_padding` extra rows/columns at the end receive no tap.
    """
    n, cin, h, w = x.shape
    _, cg_out, kh, kw = weight.shape
    g = groups
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = (_pair(v) for v in (stride, pad, output_padding,
                                                                     dilation))
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (w - 1) * sw + dw * (kw - 1) + 1 + opw
    wg = weight.reshape(g, cin // g, cg_out * kh * kw).transpose(0, 2, 1)  # (g, cout/g·k², cin/g)
    cols = tally.matmul(wg, x.reshape(n, g, cin // g, h * w))  # (n, g, cout/g·kh·kw, h·w)
    cols = cols.reshape(n, g * cg_out, kh * kw * h * w)
    rows = (np.arange(h)[None, :] * sh + np.arange(kh)[:, None] * dh)  # (kh, h)
    columns = (np.arange(w)[None, :] * sw + np.arange(kw)[:, None] * dw)  # (kw, w)
    target = (rows[:, None, :, None] * full_w + columns[None, :, None, :]).reshape(-1)
    out = np.zeros((n, g * cg_out, full_h * full_w), dtype=x.dtype)
    np.add.at(out, (slice(None), slice(None), target), cols)
    out = out.reshape(n, g * cg_out, full_h, full_w)
    return np.ascontiguousarray(out[:, :, ph:full_h - ph, pw:full_w - pw])


def pool_windows(x: np.ndarray, k: Pair, stride: Pair, pad: Pair, ceil_mode: bool,
                 fill: float) -> tuple[np.ndarray, int, int]:
    """Pooling windows (n, c, ho, wo, kh, kw) of x padded with `fill`, PyTorch's placement.

    Windows start at 0, s, 2s, ... in the padded map. Without ceil_mode a window must fit in the
    padded map; with ceil_mode it may run past the right edge (the overhang is filled too) as long
    as it starts inside the input or the left padding. Also returns the padded height and width,
    which the average needs for its divisor.
    """
    _, _, h, w = x.shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    hp, wp = h + 2 * ph, w + 2 * pw
    extra_h, extra_w = (sh - 1, sw - 1) if ceil_mode else (0, 0)  # room for one more window
    win = windows(pad_hw(x, (ph, pw), (ph + extra_h, pw + extra_w), fill), k, (sh, sw))
    if ceil_mode:
        starts_h = np.arange(win.shape[2]) * sh
        starts_w = np.arange(win.shape[3]) * sw
        win = win[:, :, : int(np.sum(starts_h < h + ph)), : int(np.sum(starts_w < w + pw))]
    return win, hp, wp


def taps_first(win: np.ndarray) -> np.ndarray:
    """The windows (n, c, ho, wo, kh, kw) copied to (kh·kw, n, c, ho, wo): reducing over the
    first axis then combines kh·kw contiguous maps element-wise, ~25× faster than reducing the
    strided window axes of the view directly (benchmarks/bench_forward.py times the network)."""
    n, c, ho, wo, kh, kw = win.shape
    return win.transpose(4, 5, 0, 1, 2, 3).reshape(kh * kw, n, c, ho, wo)


def maxpool2d(x: np.ndarray, k: Pair, stride: Pair, pad: Pair, ceil_mode: bool) -> np.ndarray:
    win, _, _ = pool_windows(x, k, stride, pad, ceil_mode, -np.inf)
    return taps_first(win).max(axis=0)


def avgpool2d(x: np.ndarray, k: Pair, stride: Pair, pad: Pair, ceil_mode: bool) -> np.ndarray:
    """Average over each window; the divisor counts the padding but not a ceil_mode overhang
    (PyTorch's count_include_pad=True, its default)."""
    win, hp, wp = pool_windows(x, k, stride, pad, ceil_mode, 0.0)
    (kh, kw), (sh, sw) = _pair(k), _pair(stride)
    ho, wo = win.shape[2:4]
    rows = np.minimum(np.arange(ho) * sh + kh, hp) - np.arange(ho) * sh
    cols = np.minimum(np.arange(wo) * sw + kw, wp) - np.arange(wo) * sw
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


def silu(x: np.ndarray) -> np.ndarray:
    return x * sigmoid(x)


def gelu(x: np.ndarray) -> np.ndarray:
    """x·Φ(x) = x/2 · (1 + erf(x/√2)), the exact form (torch's GELU default, not its tanh
    approximation), computed in float64."""
    return (0.5 * x * (1 + erf(x.astype(np.float64) / math.sqrt(2)))).astype(x.dtype)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element-wise in float64 to ~1e-15 (numpy has none; math.erf is
    scalar). |x| <= 2: its Maclaurin series 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)), 40 terms;
    |x| > 2: 1 − erfc(|x|), erfc from its continued fraction
    e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), 60 levels evaluated from the
    bottom; odd in x.

    >>> bool(np.allclose(erf(np.array([0.0, 0.5, -1.0, 2.0, 3.0])),
    ...                  [math.erf(v) for v in (0.0, 0.5, -1.0, 2.0, 3.0)], rtol=1e-14))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = np.minimum(a, 2.0)
    term, series = small.copy(), small.copy()
    for n in range(1, 40):
        term = term * -(small * small) / n
        series = series + term / (2 * n + 1)
    near = 2 / math.sqrt(math.pi) * series
    far_x = np.maximum(a, 2.0)
    fraction = far_x.copy()
    for k in range(60, 0, -1):
        fraction = far_x + (k / 2) / fraction
    far = 1 - np.exp(-far_x * far_x) / math.sqrt(math.pi) / fraction
    return np.sign(x) * np.where(a <= 2.0, near, far)


# --- resampling and normalization ------------------------------------------------------------


def source_scale(size_in: int, size_out: int, scale: int | None) -> np.float32:
    """The input step per output step, as torch computes it in float32
    (UpSample.h compute_scales_value / area_pixel_compute_scale, align_corners false):
    1/scale_factor when a scale factor was given, else size_in/size_out."""
    if scale is not None:
        return np.float32(1.0 / scale)
    return np.float32(size_in) / np.float32(size_out)


def upsample_nearest(x: np.ndarray, size: tuple[int, int],
                     scales: tuple[int | None, int | None]) -> np.ndarray:
    """torch's nearest mode: output i reads input min(floor(i·step), size_in − 1) on each axis
    (float32 arithmetic, as torch's kernel), rows then columns gathered with index arrays."""
    out = x
    for axis, size_out, scale in ((2, size[0], scales[0]), (3, size[1], scales[1])):
        size_in = x.shape[axis]
        step = source_scale(size_in, size_out, scale)
        index = np.minimum(np.floor(np.arange(size_out, dtype=np.float32) * step).astype(int),
                           size_in - 1)
        out = out.take(index, axis=axis)
    return out


def upsample_bilinear(x: np.ndarray, size: tuple[int, int],
                      scales: tuple[int | None, int | None]) -> np.ndarray:
    """torch's bilinear mode with align_corners false, one axis at a time (it is separable):
    output i reads source position max((i + 0.5)·step − 0.5, 0), between inputs i0 = floor of
    it and i0 + 1 (clamped at the last input), weighted by their distances."""
    out = x
    for axis, size_out, scale in ((2, size[0], scales[0]), (3, size[1], scales[1])):
        size_in = x.shape[axis]
        step = source_scale(size_in, size_out, scale)
        src = np.maximum((np.arange(size_out, dtype=np.float32) + np.float32(0.5)) * step
                         - np.float32(0.5), np.float32(0))
        i0 = src.astype(int)
        i1 = np.minimum(i0 + 1, size_in - 1)
        frac = (src - i0).astype(x.dtype)
        shape = (-1, 1) if axis == 2 else (-1,)
        out = (out.take(i0, axis=axis) * (1 - frac).reshape(shape)
               + out.take(i1, axis=axis) * frac.reshape(shape))
    return out


def layer_norm(x: np.ndarray, axis: int, weight: np.ndarray, bias: np.ndarray,
               eps: float) -> np.ndarray:
    """(x − mean)/sqrt(var + eps)·weight + bias, mean and (biased) variance over `axis` of
    each position, weight and bias along that axis (F.layer_norm over one dimension)."""
    mean = x.mean(axis=axis, keepdims=True, dtype=np.float64)
    var = ((x - mean) ** 2).mean(axis=axis, keepdims=True)
    shape = [1] * x.ndim
    shape[axis] = -1
    y = (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)
    return y.astype(x.dtype)
