"""keras.ops.nn: activations, convolutions, pooling, losses, normalization and attention.

Keras 3's names, arguments and defaults over deltaw's differentiable ops (dw and dw.nn); the math
lives there, this module only maps Keras' conventions onto it (data_format, kernel layouts, the
rank of the input choosing 1-D, 2-D or 3-D). Everything accepts Tensors, NumPy arrays, lists and
scalars, and returns Tensors.

Differences from Keras: `polar` is absent (deltaw has no complex dtype); `flash_attention` of
`dot_product_attention` is accepted and ignored (deltaw's fused attention is always used);
`sparse=True` (one_hot, multi_hot) raises, since deltaw has no sparse tensors.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import deltaw as dw
from deltaw import nn as _nn
from deltaw._checks import normalize_axis
from deltaw.keras import backend as _backend
from deltaw.nn.conv import _transpose_geometry
from deltaw.tensor import Tensor

__all__ = [
    # activations
    "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold",
    # convolution and pooling
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "conv", "conv_transpose",
    "depth_to_space", "depthwise_conv", "fold", "max_pool", "separable_conv", "space_to_depth",
    "unfold",
    # encodings, losses, normalization, attention
    "batch_normalization", "binary_crossentropy", "categorical_crossentropy", "ctc_decode",
    "ctc_loss", "dot_product_attention", "layer_normalization", "moments", "multi_hot",
    "normalize", "one_hot", "psnr", "rms_normalization", "sparse_categorical_crossentropy",
]


def tensor(x, dtype=None) -> Tensor:
    """`x` as a Tensor: Tensors pass through; Python floats and float lists become floatx()."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else dw.astype(x, dtype)
    a = np.asarray(x)
    if dtype is not None:
        a = a.astype(dtype)
    elif a.dtype == np.float64 and not isinstance(x, np.ndarray | np.generic):
        a = a.astype(_backend.floatx())
    return Tensor(a)


def floating(x) -> Tensor:
    """`x` as a floating Tensor (integers and booleans become floatx())."""
    t = tensor(x)
    return t if t.dtype.kind == "f" else dw.astype(t, _backend.floatx())


def data_format_of(where, data_format):
    data_format = _backend.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{where}: unknown data_format {data_format!r}; expected "
                         "'channels_last' or 'channels_first'.")
    return data_format


def to_channels_last(x, data_format):
    return dw.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def from_channels_last(x, data_format):
    return dw.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def _tuple(where, name, value, nd):
    if isinstance(value, int | np.integer):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise ValueError(f"{where}: {name} must be an int or {nd} ints; got {value}.")
    return value


def _spatial_rank(where, x, lo=1, hi=3):
    nd = x.ndim - 2
    if not lo <= nd <= hi:
        raise ValueError(f"{where}: expected an input of rank {lo + 2} to {hi + 2} (batch, "
                         f"spatial axes, channels); got shape {x.shape}.")
    return nd


# ---------------------------------------------------------------- activations


def relu(x):
    """max(x, 0). Gradient: 0 at x = 0 (dw.nn.relu)."""
    return _nn.relu(floating(x))


def relu6(x):
    """min(max(x, 0), 6)."""
    return _nn.relu6(floating(x))


def sigmoid(x):
    """1 / (1 + exp(-x)), stable for large |x|."""
    return _nn.sigmoid(floating(x))


def softplus(x):
    """log(1 + exp(x)), stable."""
    return _nn.softplus(floating(x))


def softsign(x):
    """x / (1 + |x|)."""
    return _nn.softsign(floating(x))


def silu(x):
    """x * sigmoid(x). `swish` is the same function."""
    return _nn.silu(floating(x))


swish = silu


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return _nn.log_sigmoid(floating(x))


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return _nn.leaky_relu(floating(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return _nn.hard_sigmoid(floating(x))


def hard_silu(x):
    """x * hard_sigmoid(x). `hard_swish` is the same function."""
    return _nn.hard_silu(floating(x))


hard_swish = hard_silu


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _nn.elu(floating(x), alpha=alpha)


def selu(x):
    """Scaled ELU with Keras' constants."""
    return _nn.selu(floating(x))


def gelu(x, approximate=True):
    """GELU; keras.ops.gelu defaults to the tanh approximation (approximate=True), unlike
    keras.activations.gelu."""
    return _nn.gelu(floating(x), approximate=approximate)


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _nn.celu(floating(x), alpha=alpha)


def glu(x, axis=-1):
    """a * sigmoid(b), a and b the halves of x along `axis`."""
    return _nn.glu(floating(x), axis=axis)


def hard_tanh(x):
    """clip(x, -1, 1)."""
    return _nn.hard_tanh(floating(x))


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    return _nn.hard_shrink(floating(x), threshold=threshold)


def soft_shrink(x, threshold=0.5):
    """x -+ threshold outside [-threshold, threshold], else 0."""
    return _nn.soft_shrink(floating(x), threshold=threshold)


def tanh_shrink(x):
    """x - tanh(x)."""
    return _nn.tanh_shrink(floating(x))


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    return _nn.squareplus(floating(x), b=b)


def sparse_plus(x):
    """0, (x + 1)^2 / 4 or x, split at -1 and 1."""
    return _nn.sparse_plus(floating(x))


def sparse_sigmoid(x):
    """0, (x + 1) / 2 or 1, split at -1 and 1."""
    return _nn.sparse_sigmoid(floating(x))


def sparsemax(x, axis=-1):
    """The projection of x onto the probability simplex along `axis`."""
    return _nn.sparsemax(floating(x), axis=axis)


def threshold(x, threshold, default_value):  # noqa: A002 - Keras' argument name
    """x where x > threshold, else default_value."""
    return _nn.threshold(floating(x), threshold, default_value)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (an int, a tuple, or None for all axes)."""
    x = floating(x)
    return _nn.softmax(x, axis=tuple(range(x.ndim)) if axis is None else axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis` (an int, a tuple, or None for all axes)."""
    x = floating(x)
    return _nn.log_softmax(x, axis=tuple(range(x.ndim)) if axis is None else axis)


# ---------------------------------------------------------------- convolution


def _same_pads(size, k_eff, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def _conv3d(x, kernel, strides, padding, dilation):
    """3-D convolution as a sum over the depth taps of 2-D convolutions on depth slices."""
    kd = kernel.shape[0]
    sd, dd = strides[0], dilation[0]
    k_eff = (kd - 1) * dd + 1
    if padding == "same":
        x = dw.pad(x, ((0, 0), _same_pads(x.shape[1], k_eff, sd), (0, 0), (0, 0), (0, 0)))
    depth = (x.shape[1] - k_eff) // sd + 1
    if depth <= 0:
        raise ValueError(f"conv: the kernel's depth {kd} (dilated {k_eff}) exceeds the input's "
                         f"depth {x.shape[1]}; expected a smaller kernel or padding='same'.")
    out = None
    for tap in range(kd):
        start = tap * dd
        s = x[:, start:start + (depth - 1) * sd + 1:sd]
        n, d, h, w, c = s.shape
        y = _nn.conv2d(dw.reshape(s, (n * d, h, w, c)), kernel[tap], strides=strides[1:],
                       padding=padding, dilation_rate=dilation[1:],
                       groups=c // kernel.shape[-2])
        y = dw.reshape(y, (n, d, *y.shape[1:]))
        out = y if out is None else out + y
    return out


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation), N = 1, 2 or 3 from the input's rank.

    Args:
        inputs: (batch, *spatial, channels) ('channels_last') or (batch, channels, *spatial).
        kernel: (*kernel_spatial, channels // groups, filters); groups = channels /
            kernel.shape[-2], so a kernel with fewer input channels is a grouped convolution.
        strides, dilation_rate: Int or one per spatial axis.
        padding: 'valid' or 'same' (TF semantics: the extra pad at the end). 'causal' for 1-D.
        data_format: 'channels_last' or 'channels_first' (default: image_data_format()).

    Returns:
        The convolution, in `data_format`.
    """
    fmt = data_format_of("conv", data_format)
    x, kernel = to_channels_last(floating(inputs), fmt), floating(kernel)
    nd = _spatial_rank("conv", x)
    if kernel.ndim != nd + 2 or x.shape[-1] % kernel.shape[-2]:
        raise ValueError(f"conv: kernel shape {kernel.shape} does not fit input shape "
                         f"{x.shape}; expected {nd + 2} axes (*kernel_size, in_channels // "
                         f"groups, filters) with in_channels // groups dividing {x.shape[-1]}.")
    groups = x.shape[-1] // kernel.shape[-2]
    padding = padding.lower()
    strides = _tuple("conv", "strides", strides, nd)
    dilation = _tuple("conv", "dilation_rate", dilation_rate, nd)
    if nd == 1:
        out = _nn.conv1d(x, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                         groups=groups)
    elif nd == 2:
        out = _nn.conv2d(x, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                         groups=groups)
    else:
        if groups != 1:
            raise ValueError(f"conv: grouped 3-D convolution is not supported; expected kernel "
                             f"in_channels {x.shape[-1]}, got {kernel.shape[-2]}.")
        out = _conv3d(x, kernel, strides, padding, dilation)
    return from_channels_last(out, fmt)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution (1-D or 2-D): kernel (*kernel_spatial, channels, multiplier)."""
    fmt = data_format_of("depthwise_conv", data_format)
    x, kernel = to_channels_last(floating(inputs), fmt), floating(kernel)
    nd = _spatial_rank("depthwise_conv", x, 1, 2)
    strides = _tuple("depthwise_conv", "strides", strides, nd)
    dilation = _tuple("depthwise_conv", "dilation_rate", dilation_rate, nd)
    if nd == 1:
        out = _nn.depthwise_conv2d(dw.expand_dims(x, 1), dw.expand_dims(kernel, 0),
                                   strides=(1, *strides), padding=padding.lower(),
                                   dilation_rate=(1, *dilation))
        out = dw.squeeze(out, 1)
    else:
        out = _nn.depthwise_conv2d(x, kernel, strides=strides, padding=padding.lower(),
                                   dilation_rate=dilation)
    return from_channels_last(out, fmt)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution, then a 1x1 convolution with `pointwise_kernel`."""
    fmt = data_format_of("separable_conv", data_format)
    mid = depthwise_conv(inputs, depthwise_kernel, strides, padding, fmt, dilation_rate)
    return conv(mid, pointwise_kernel, 1, "valid", fmt, 1)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (1-D, 2-D or 3-D): kernel (*kernel_spatial, filters,
    in_channels).

    Output sizes as Keras' Conv*Transpose (see dw.nn.conv2d_transpose).
    """
    fmt = data_format_of("conv_transpose", data_format)
    x, kernel = to_channels_last(floating(inputs), fmt), floating(kernel)
    nd = _spatial_rank("conv_transpose", x)
    strides = _tuple("conv_transpose", "strides", strides, nd)
    dilation = _tuple("conv_transpose", "dilation_rate", dilation_rate, nd)
    if output_padding is not None:
        output_padding = _tuple("conv_transpose", "output_padding", output_padding, nd)
    if nd == 1:
        out = _nn.conv2d_transpose(
            dw.expand_dims(x, 1), dw.expand_dims(kernel, 0), strides=(1, *strides),
            padding=padding.lower(), dilation_rate=(1, *dilation),
            output_padding=None if output_padding is None else (0, *output_padding))
        out = dw.squeeze(out, 1)
    elif nd == 2:
        out = _nn.conv2d_transpose(x, kernel, strides=strides, padding=padding.lower(),
                                   output_padding=output_padding, dilation_rate=dilation)
    else:
        out = _conv3d_transpose(x, kernel, strides, padding.lower(), output_padding, dilation)
    return from_channels_last(out, fmt)


def _conv3d_transpose(x, kernel, strides, padding, output_padding, dilation):
    """3-D transposed convolution: 2-D transposed convolutions of the depth slices, one per
    depth tap, scattered to depth i * stride + tap * dilation and cropped as Keras."""
    n, depth = x.shape[:2]
    s, d, kd = strides[0], dilation[0], kernel.shape[0]
    (offset,), (size,), (buffer,) = _transpose_geometry(
        "conv_transpose", (n, depth, 0), (kd,), (s,), (d,), padding,
        None if output_padding is None else (output_padding[0],))
    flat = dw.reshape(x, (n * depth, *x.shape[2:]))
    out = None
    for tap in range(kd):
        y = _nn.conv2d_transpose(flat, kernel[tap], strides=strides[1:], padding=padding,
                                 output_padding=None if output_padding is None
                                 else output_padding[1:], dilation_rate=dilation[1:])
        y = dw.reshape(y, (n, depth, 1, *y.shape[1:]))
        rest = [(0, 0)] * (y.ndim - 3)
        y = dw.pad(y, [(0, 0), (0, 0), (0, s - 1), *rest])  # stride the slices apart
        y = dw.reshape(y, (n, depth * s, *y.shape[3:]))[:, :(depth - 1) * s + 1]
        start = tap * d
        y = dw.pad(y, [(0, 0), (start, buffer - start - y.shape[1]), *rest])
        out = y if out is None else out + y
    return out[:, offset:offset + size]


# ---------------------------------------------------------------- pooling


def _pool_depth(x, pool, stride, padding, reduce):
    """Pool axis 1 of x (n, D, ...) with windows of `pool` every `stride`: max, or the mean of
    the real (unpadded) entries, as Keras' 'same' padding counts them."""
    size = x.shape[1]
    lo = hi = 0
    if padding == "same":
        lo, hi = _same_pads(size, pool, stride)
    out = (size + lo + hi - pool) // stride + 1
    if reduce == "max":
        low = float(np.finfo(x.dtype).min)
        x = dw.pad(x, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2), constant_values=low)
    else:
        x = dw.pad(x, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2))
    taps = [x[:, t:t + (out - 1) * stride + 1:stride] for t in range(pool)]
    if reduce == "max":
        result = taps[0]
        for tap in taps[1:]:
            result = dw.maximum(result, tap)
        return result
    start = np.arange(out) * stride - lo
    counts = (np.minimum(start + pool, size) - np.maximum(start, 0)).astype(x.dtype)
    total = taps[0]
    for tap in taps[1:]:
        total = total + tap
    return total / Tensor(counts.reshape((1, out) + (1,) * (x.ndim - 2)))


def _pool(where, pool2d, pool1d, inputs, pool_size, strides, padding, data_format, reduce):
    fmt = data_format_of(where, data_format)
    x = to_channels_last(floating(inputs), fmt)
    nd = _spatial_rank(where, x)
    pool_size = _tuple(where, "pool_size", pool_size, nd)
    strides = pool_size if strides is None else _tuple(where, "strides", strides, nd)
    padding = padding.lower()
    if nd == 1:
        out = pool1d(x, pool_size[0], strides[0], padding)
    elif nd == 2:
        out = pool2d(x, pool_size, strides, padding)
    else:
        # 3-D: pool each depth slice in 2-D, then pool across depth (both are separable)
        n, d = x.shape[:2]
        flat = pool2d(dw.reshape(x, (n * d, *x.shape[2:])), pool_size[1:], strides[1:], padding)
        out = _pool_depth(dw.reshape(flat, (n, d, *flat.shape[1:])), pool_size[0], strides[0],
                          padding, reduce)
    return from_channels_last(out, fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1-D, 2-D or 3-D); strides default to pool_size."""
    return _pool("max_pool", _nn.max_pool2d, _nn.max_pool1d, inputs, pool_size, strides,
                 padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1-D, 2-D or 3-D); with 'same' padding the padded zeros are not
    counted."""
    return _pool("average_pool", _nn.avg_pool2d, _nn.avg_pool1d, inputs, pool_size, strides,
                 padding, data_format, "mean")


def _adaptive_pool(where, reduce, inputs, output_size, data_format):
    fmt = data_format_of(where, data_format)
    x = to_channels_last(floating(inputs), fmt)
    nd = _spatial_rank(where, x)
    sizes = _tuple(where, "output_size", output_size, nd)
    for axis, n_out in enumerate(sizes, start=1):
        n_in = x.shape[axis]
        # torch's bins: [floor(i * n_in / n_out), ceil((i + 1) * n_in / n_out))
        bins = [reduce(x[(slice(None),) * axis + (slice(i * n_in // n_out,
                                                        -(-(i + 1) * n_in // n_out)),)],
                       axis) for i in range(n_out)]
        x = dw.stack(bins, axis=axis)
    return from_channels_last(x, fmt)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average over torch's adaptive bins, so the spatial size becomes `output_size`."""
    return _adaptive_pool("adaptive_average_pool", lambda a, ax: dw.mean(a, axis=ax), inputs,
                          output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max over torch's adaptive bins, so the spatial size becomes `output_size`."""
    return _adaptive_pool("adaptive_max_pool", lambda a, ax: dw.max(a, axis=ax), inputs,
                          output_size, data_format)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move blocks of channels into space: (n, h, w, c * b^2) -> (n, h * b, w * b, c) (DCR order,
    as TensorFlow's depth_to_space)."""
    fmt = data_format_of("depth_to_space", data_format)
    x = to_channels_last(tensor(x), fmt)
    n, h, w, c = x.shape
    b = int(block_size)
    if c % (b * b):
        raise ValueError(f"depth_to_space: channels must be divisible by block_size^2; expected "
                         f"a multiple of {b * b}, got {c}.")
    y = dw.reshape(x, (n, h, w, b, b, c // (b * b)))
    y = dw.reshape(dw.transpose(y, (0, 1, 3, 2, 4, 5)), (n, h * b, w * b, c // (b * b)))
    return from_channels_last(y, fmt)


def space_to_depth(x, block_size, data_format="channels_last"):
    """The inverse of depth_to_space: (n, h * b, w * b, c) -> (n, h, w, c * b^2)."""
    fmt = data_format_of("space_to_depth", data_format)
    x = to_channels_last(tensor(x), fmt)
    n, h, w, c = x.shape
    b = int(block_size)
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height and width must be divisible by block_size; "
                         f"expected multiples of {b}, got {h} and {w}.")
    y = dw.reshape(x, (n, h // b, b, w // b, b, c))
    y = dw.reshape(dw.transpose(y, (0, 1, 3, 2, 4, 5)), (n, h // b, w // b, b * b * c))
    return from_channels_last(y, fmt)


def _pair(where, name, value):
    return _tuple(where, name, value, 2)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """torch's unfold (im2col) on channels-first images: (n, c, h, w) -> (n, c * kh * kw, L),
    L the number of sliding positions."""
    x = tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (n, c, h, w); got shape {x.shape}.")
    (kh, kw), (dh, dwid) = _pair("unfold", "kernel_size", kernel_size), _pair(
        "unfold", "dilation", dilation)
    (ph, pw), (sh, sw) = _pair("unfold", "padding", padding), _pair("unfold", "stride", stride)
    x = dw.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = x.shape
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dwid - 1) // sw + 1
    taps = [x[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dwid:j * dwid + (ow - 1) * sw + 1:sw]
            for i in range(kh) for j in range(kw)]
    return dw.reshape(dw.stack(taps, axis=2), (n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch's fold (col2im), the adjoint of unfold: (n, c * kh * kw, L) -> (n, c, h, w);
    overlapping entries add up."""
    x = tensor(x)
    (oh_full, ow_full) = _pair("fold", "output_size", output_size)
    (kh, kw), (dh, dwid) = _pair("fold", "kernel_size", kernel_size), _pair(
        "fold", "dilation", dilation)
    (ph, pw), (sh, sw) = _pair("fold", "padding", padding), _pair("fold", "stride", stride)
    h, w = oh_full + 2 * ph, ow_full + 2 * pw
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dwid - 1) // sw + 1
    n, ckk, length = x.shape
    if ckk % (kh * kw) or length != oh * ow:
        raise ValueError(f"fold: input shape {x.shape} does not match the geometry; expected "
                         f"(n, c * {kh * kw}, {oh * ow}).")
    c = ckk // (kh * kw)
    cols = dw.reshape(x, (n, c, kh * kw, oh, ow))
    out = None
    for t, (i, j) in enumerate(itertools.product(range(kh), range(kw))):
        # scatter tap t onto rows i*dh + sh*r, cols j*dwid + sw*q: dilate by the stride, then pad
        v = cols[:, :, t]
        if sh > 1 or sw > 1:
            v = _dilate(v, sh, sw)
        top, left = i * dh, j * dwid
        part = dw.pad(v, ((0, 0), (0, 0), (top, h - top - v.shape[2]),
                          (left, w - left - v.shape[3])))
        out = part if out is None else out + part
    return out[:, :, ph:ph + oh_full, pw:pw + ow_full]


def _dilate(v, sh, sw):
    """Insert sh - 1 (sw - 1) zero rows (columns) between the rows (columns) of v."""
    n, c, a, b = v.shape
    v = dw.reshape(v, (n, c, a, 1, b, 1))
    v = dw.pad(v, ((0, 0), (0, 0), (0, 0), (0, sh - 1), (0, 0), (0, sw - 1)))
    v = dw.reshape(v, (n, c, a * sh, b * sw))
    return v[:, :, :(a - 1) * sh + 1, :(b - 1) * sw + 1]


# ---------------------------------------------------------------- encodings


def _check_sparse(where, sparse):
    if sparse:
        raise ValueError(f"{where}: deltaw has no sparse tensors; expected sparse=False, got "
                         "sparse=True.")


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer ids along a new axis `axis`; out-of-range ids (including negative
    ones) give all-zero vectors. Not differentiable."""
    _check_sparse("one_hot", sparse)
    ids = np.asarray(tensor(x).data)
    if ids.dtype.kind not in "iub" and not (ids.dtype.kind == "f"
                                            and np.all(ids == np.round(ids))):
        raise ValueError(f"one_hot: expected integer class ids; got dtype {ids.dtype}.")
    ids = ids.astype(np.int64)
    out = (ids[..., None] == np.arange(int(num_classes))).astype(
        _backend.standardize_dtype(dtype))
    if axis != -1:
        out = np.moveaxis(out, -1, normalize_axis("one_hot", axis, out.ndim))
    return Tensor(out)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 at every class id present in each row of `inputs` (the last axis holds the ids of one
    sample; a 1-D input is one sample). Not differentiable."""
    _check_sparse("multi_hot", sparse)
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs or num_classes is None:
        raise ValueError(f"multi_hot: expected num_classes; got num_classes={num_classes!r} and "
                         f"extra arguments {sorted(kwargs)}.")
    hot = one_hot(inputs, num_classes, dtype=dtype).data
    out = hot.max(axis=-2) if hot.ndim > 1 else hot
    if axis != -1:
        out = np.moveaxis(out, -1, normalize_axis("multi_hot", axis, out.ndim))
    return Tensor(out)


# ---------------------------------------------------------------- losses


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross entropy (no mean over an axis, unlike keras.losses)."""
    t, p = floating(target), floating(output)
    t, p = dw.expand_dims(t, -1), dw.expand_dims(p, -1)
    return _nn.binary_cross_entropy(t, p, from_logits=from_logits, axis=-1)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross entropy along `axis` with one-hot (or soft) targets; probabilities are renormalized
    to sum to 1 and clipped to [epsilon, 1 - epsilon], as Keras."""
    return _nn.categorical_cross_entropy(floating(target), floating(output),
                                         from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross entropy along `axis` with integer class ids as targets."""
    return _nn.sparse_categorical_cross_entropy(tensor(target), floating(output),
                                                from_logits=from_logits, axis=axis)


# ---------------------------------------------------------------- normalization


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of x over `axes` (biased variance). `synchronized` is accepted (deltaw
    runs one replica per process; the distributed average happens in train_step)."""
    x = floating(x)
    axes = axes if isinstance(axes, int) else tuple(axes)
    return dw.mean(x, axis=axes, keepdims=keepdims), dw.var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, statistics given (shape (C,) for
    the feature axis `axis`)."""
    return _nn.batch_norm(floating(x), floating(mean), floating(variance),
                          beta=None if offset is None else floating(offset),
                          gamma=None if scale is None else floating(scale), epsilon=epsilon,
                          axis=axis)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(||x||_order, epsilon) along `axis` (order 2: x * rsqrt(max(sum x^2, epsilon)))."""
    x = floating(x)
    eps = _backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        return x / dw.sqrt(dw.maximum(dw.sum(dw.square(x), axis=axis, keepdims=True), eps))
    if order == 1:
        norm = dw.sum(dw.abs(x), axis=axis, keepdims=True)
    elif order in (np.inf, "inf"):
        norm = dw.max(dw.abs(x), axis=axis, keepdims=True)
    else:
        norm = dw.sum(dw.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    return x / dw.maximum(norm, eps)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over `axis` (epsilon default:
    backend.epsilon(), 1e-7, unlike the LayerNormalization layer's 1e-3).

    `rms_scaling=True` (Keras' older keyword) gives the RMS form.
    """
    if kwargs.pop("rms_scaling", False):
        return rms_normalization(x, gamma, axis, epsilon)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    x = floating(x)
    eps = _backend.epsilon() if epsilon is None else epsilon
    return _nn.layer_norm(x, None if gamma is None else floating(gamma),
                          None if beta is None else floating(beta), axis=axis, epsilon=eps)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2, axis) + epsilon) * scale (epsilon default: backend.epsilon())."""
    x = floating(x)
    eps = _backend.epsilon() if epsilon is None else epsilon
    out = x / dw.sqrt(dw.mean(dw.square(x), axis=axis, keepdims=True) + eps)
    return out if scale is None else out * floating(scale)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio: 20 log10(max_val) - 10 log10(mean((x1 - x2)^2)), in dB."""
    x1, x2 = floating(x1), floating(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: the inputs must have the same shape; got {x1.shape} and "
                         f"{x2.shape}.")
    mse = dw.mean(dw.square(x1 - x2))
    return 20.0 * math.log10(max_val) - 10.0 / math.log(10.0) * dw.log(mse)


# ---------------------------------------------------------------- attention


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(query key^T * scale + bias, masked) value, Keras' layout (batch, length, heads,
    depth) (or (batch, length, depth)).

    mask is boolean, True = attend, broadcastable to (batch, heads, Lq, Lk); bias adds to the
    scaled logits; attn_logits_soft_cap c caps them as c * tanh(logits / c). A query allowed no
    key gets the plain average of the values, as Keras (not dw.nn's zeros).
    """
    q, k, v = floating(query), floating(key), floating(value)
    if q.ndim not in (3, 4) or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"dot_product_attention: expected query, key and value of rank 3 or 4 "
                         f"(batch, length, [heads,] depth); got {q.shape}, {k.shape}, {v.shape}.")
    three = q.ndim == 3
    if three:
        q, k, v = (dw.expand_dims(t, 2) for t in (q, k, v))
    q, k, v = (dw.transpose(t, (0, 2, 1, 3)) for t in (q, k, v))  # (B, N, L, H)
    if k.shape[1] != q.shape[1]:  # grouped-query attention: repeat key/value heads
        reps = q.shape[1] // k.shape[1]
        k, v = dw.repeat(k, reps, axis=1), dw.repeat(v, reps, axis=1)
    if mask is not None:
        mask = np.asarray(tensor(mask).data).astype(bool)
        if three and mask.ndim == 3:
            mask = mask[:, None]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    allowed = np.ones((q.shape[-2], k.shape[-2]), dtype=bool)
    if mask is not None:
        allowed = allowed & mask
    if is_causal:
        allowed = allowed & np.tril(np.ones(allowed.shape[-2:], dtype=bool))
    # a query that may attend to no key: Keras averages all values uniformly (its masked logits
    # are the lowest float, all equal); dw.nn's fused kernel returns zeros, so compose instead
    fully_masked = not allowed.any(axis=-1).all()
    if bias is None and attn_logits_soft_cap is None and not fully_masked:
        out = _nn.scaled_dot_product_attention(q, k, v, mask=mask, is_causal=is_causal,
                                               scale=scale)
    else:
        logits = dw.matmul(q, dw.swapaxes(k, -1, -2)) * scale
        if bias is not None:
            b = floating(bias)
            logits = logits + (dw.expand_dims(b, 1) if three and b.ndim == 3 else b)
        if attn_logits_soft_cap is not None:
            cap = float(attn_logits_soft_cap)
            logits = dw.tanh(logits / cap) * cap
        low = np.finfo(logits.dtype).min
        weights = _nn.softmax(dw.where(allowed, logits, low), axis=-1)
        out = dw.matmul(weights, v)
    out = dw.transpose(out, (0, 2, 1, 3))
    return dw.squeeze(out, 2) if three else out


# ---------------------------------------------------------------- CTC


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per sample.

    Args:
        target: (batch, max_label_length) integer labels (padding ignored past target_length).
        output: (batch, max_length, num_classes) logits (log_softmax is applied).
        target_length, output_length: (batch,) integer lengths.
        mask_index: The blank class.

    Returns:
        (batch,) negative log-likelihoods.
    """
    return _nn.ctc_loss(target, output, target_length, output_length, mask_index=mask_index)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Greedy CTC decoding: the best class per step, repeats merged, blanks dropped.

    Args:
        inputs: (batch, max_length, num_classes) scores (logits or log-probabilities).
        sequence_lengths: (batch,) valid steps per sample.
        merge_repeated: Merge a class repeated on consecutive steps into one.
        mask_index: The blank class.

    Returns:
        (decoded, log_probability): decoded (1, batch, max_length) integer ids padded with -1,
        log_probability (batch, 1) = minus the sum over the valid steps of the best score, as
        Keras. Only strategy='greedy' is supported (beam search is not provided).
    """
    if strategy != "greedy":
        raise ValueError(f"ctc_decode: only strategy='greedy' is supported on deltaw; got "
                         f"strategy={strategy!r}.")
    scores = floating(inputs).data
    lengths = np.asarray(tensor(sequence_lengths).data).astype(np.int64)
    best = scores.argmax(axis=-1)
    steps = np.arange(scores.shape[1])[None, :] < lengths[:, None]
    total = -np.where(steps, scores.max(axis=-1), 0).sum(axis=1, keepdims=True)
    keep = steps & (best != mask_index)
    if merge_repeated:
        keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    decoded = np.full(best.shape, -1, dtype=np.int32)
    for i in range(best.shape[0]):
        ids = best[i][keep[i]]
        decoded[i, :len(ids)] = ids
    return Tensor(decoded[None]), Tensor(total.astype(scores.dtype))
