"""Pooling and resizing on channels-last inputs: max_pool1d/2d/3d avg_pool1d/2d/3d
global_average_pool1d/2d/3d global_max_pool1d/2d/3d upsampling2d.

Window ops use the same strided views and Keras/TF 'same' padding as deltaw.nn.conv. Forward
passes loop over the window taps (pool_h * pool_w strided element-wise ops over the output), so
no window matrix is materialised. All are primitives, for speed: a composite would record one
node per tap. Max pooling of float inputs runs compiled kernels when numba is installed (see
deltaw.nn._kernels); the NumPy code below stays the fallback and the reference.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw.autograd.op import primitive
from deltaw.nn import _kernels
from deltaw.nn.conv import (
    _patch_index,
    crop_spatial,
    pad_spatial,
    spatial_tuple,
    taps,
    window_geometry,
)
from deltaw.ops.indexing import index_add

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "global_average_pool1d",
           "global_average_pool2d", "global_max_pool1d", "global_max_pool2d", "upsampling2d",
           "max_pool3d", "avg_pool3d", "global_average_pool3d", "global_max_pool3d"]

_LAYOUT = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
           3: "(batch, d1, d2, d3, channels)"}


def _pool_setup(where, x, nd, pool_size, strides, padding):
    if x.ndim != nd + 2:
        raise ValueError(f"{where}: expected an input of rank {nd + 2} {_LAYOUT[nd]}; got input "
                         f"shape {x.shape}.")
    pool = spatial_tuple(where, "pool_size", pool_size, nd)
    strides = pool if strides is None else spatial_tuple(where, "strides", strides, nd)
    pads, outs = window_geometry(where, padding, x.shape, None, pool, strides, (1,) * nd,
                                 what="pool window")
    return pool, strides, pads, outs


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _scatter_windows(xp, contrib, x_shape, pool, strides, pads, outs):
    """Add per-tap contributions (N, *O, P, C) (P = taps, row-major) back onto the input grid.

    Non-overlapping windows (strides == pool_size) need no adds: the contributions are the input
    grid itself after one transpose-reshape. Overlapping windows take one strided add per tap.
    """
    nd = len(pool)
    n, c = x_shape[0], x_shape[-1]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[1:-1], pads, strict=True))
    if strides == pool:
        blocks = contrib.reshape(n, *outs, *pool, c)
        order = (0, *(j for i in range(nd) for j in (1 + i, 1 + nd + i)), 1 + 2 * nd)
        covered = tuple(o * p for o, p in zip(outs, pool, strict=True))
        grid = blocks.transpose(order).reshape(n, *covered, c)
        if covered == padded:
            dxpad = grid
        else:
            dxpad = xp.zeros((n, *padded, c), contrib.dtype)
            dxpad[(slice(None), *(slice(0, k) for k in covered))] = grid
    else:
        dxpad = xp.zeros((n, *padded, c), contrib.dtype)
        for t, (_, sl) in enumerate(taps(outs, pool, strides, (1,) * nd)):
            dxpad[(slice(None), *sl)] += contrib[..., t, :]
    return crop_spatial(dxpad, pads, x_shape[1:-1])


# ----------------------------------------------------------------------------- max pooling

def _max_pool(xp, where, x, nd, pool_size, strides, padding):
    pool, strides, pads, outs = _pool_setup(where, x, nd, pool_size, strides, padding)
    # the compiled kernels are written for 1-D and 2-D windows
    kernels = _kernels.get() if xp is np and x.dtype.kind == "f" and nd < 3 else None
    if kernels is not None:
        return _max_pool_compiled(kernels, x, pool, strides, pads, outs)
    xpad = pad_spatial(xp, x, pads, value=_lowest(x.dtype))
    out = None
    for _, sl in taps(outs, pool, strides, (1,) * nd):
        window = xpad[(slice(None), *sl)]
        out = window.copy() if out is None else xp.maximum(out, window, out=out)
    return out, (x, out, None, pool, strides, pads)


def _as_2d(a):
    """(N, T, C) as (N, 1, T, C), a view: the compiled kernels are written for 2-D windows."""
    return a if a.ndim == 4 else a[:, None]


def _max_pool_compiled(kernels, x, pool, strides, pads, outs):
    """One pass (numba) that also records each window's winning tap for the backward pass."""
    x4 = _as_2d(np.ascontiguousarray(x))
    pool2, strides2 = (1,) * (4 - x.ndim) + pool, (1,) * (4 - x.ndim) + strides
    lows = (0,) * (4 - x.ndim) + tuple(lo for lo, _ in pads)
    out = np.empty((x.shape[0], *outs, x.shape[-1]), x.dtype)
    arg = np.empty(out.shape, np.uint8 if math.prod(pool) <= 256 else np.int32)
    kernels.max_pool_forward(x4, *pool2, *strides2, *lows, _as_2d(out), _as_2d(arg))
    return out, (x.shape, None, arg, pool, strides, pads)  # the backward needs only arg


def _max_pool_backward(xp, g, saved, needs):
    x, out, arg, pool, strides, pads = saved
    if xp is not np:  # create_graph: g scattered through a constant one-hot of the winners
        shape = x if arg is not None else x.shape
        winner = arg if arg is not None else _first_winners(x.data, out.data, pool, strides, pads)
        onehot = np.arange(math.prod(pool)).reshape(-1, 1) == winner[..., None, :]
        return (_scatter_windows_graph(xp, g[..., None, :] * onehot, shape, pool, strides, pads),)
    if arg is not None:  # the forward ran the compiled kernel: route g to the recorded winners
        kernels = _kernels.load()
        dx = np.empty(x, g.dtype)  # x is the input's shape here
        lead = (1,) * (4 - len(x))
        pool2, strides2 = lead + pool, lead + strides
        lows = (0,) * len(lead) + tuple(lo for lo, _ in pads)
        kernels.max_pool_backward(_as_2d(np.ascontiguousarray(g)), _as_2d(arg), *pool2,
                                  *strides2, *lows, _as_2d(dx))
        return (dx,)
    nd = len(pool)
    outs = out.shape[1:-1]
    xpad = pad_spatial(xp, x, pads, value=_lowest(x.dtype))
    if strides == pool:
        return (_max_pool_backward_disjoint(xp, g, x.shape, xpad, out, pool, strides, pads),)
    # the first tap (row-major in the window) that attains the max takes the whole gradient
    winner = xp.full(out.shape, -1, np.int16 if math.prod(pool) < 2**15 else np.int64)
    for t, (_, sl) in enumerate(taps(outs, pool, strides, (1,) * nd)):
        hit = (xpad[(slice(None), *sl)] == out) & (winner < 0)
        winner[hit] = t
    contrib = (xp.arange(math.prod(pool)).reshape(-1, 1) == winner[..., None, :]) * g[..., None, :]
    return (_scatter_windows(xp, contrib.astype(g.dtype, copy=False), x.shape, pool, strides,
                             pads, outs),)


def _first_winners(x, out, pool, strides, pads):
    """The first tap (row-major in the window) attaining each window's maximum (arrays)."""
    xpad = pad_spatial(np, x, pads, value=_lowest(x.dtype))
    winner = np.full(out.shape, -1, np.int64)
    for t, (_, sl) in enumerate(taps(out.shape[1:-1], pool, strides, (1,) * len(pool))):
        winner[(xpad[(slice(None), *sl)] == out) & (winner < 0)] = t
    return winner


def _scatter_windows_graph(xp, contrib, x_shape, pool, strides, pads):
    """create_graph's _scatter_windows: per-tap contributions (N, *O, P, C) added onto the
    input grid with index_add, whose backward (a gather) is differentiable again."""
    nd = len(pool)
    outs = contrib.shape[1:1 + nd]
    contrib = contrib.reshape(contrib.shape[0], *outs, *pool, contrib.shape[-1])
    padded = (x_shape[0], *(s + lo + hi for s, (lo, hi) in zip(x_shape[1:-1], pads,
                                                                strict=True)), x_shape[-1])
    full = index_add(contrib, _patch_index(outs, pool, strides, (1,) * nd), padded)
    return full[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in
                                zip(x_shape[1:-1], pads, strict=True)), slice(None))]


def _max_pool_backward_disjoint(xp, g, x_shape, xpad, out, pool, strides, pads):
    """Non-overlapping windows: each tap's slice of dx is written once, in place.

    The taps are visited in row-major window order; `rest` holds the gradient not yet given to
    an earlier maximum, so a tie goes to the first tap (g * hit, then rest -= that share: exact,
    since each share is all or nothing).
    """
    nd = len(pool)
    outs = out.shape[1:-1]
    covered = tuple(o * p for o, p in zip(outs, pool, strict=True))
    make = xp.empty if covered == xpad.shape[1:-1] else xp.zeros  # zeros: rows no window reads
    dxpad = make(xpad.shape, g.dtype)
    tap_slices = [sl for _, sl in taps(outs, pool, strides, (1,) * nd)]
    rest = g
    for t, sl in enumerate(tap_slices):
        idx = (slice(None), *sl)
        share = xp.multiply(rest, xpad[idx] == out, out=dxpad[idx])
        if t == 0 and len(tap_slices) > 1:
            rest = g - share
        elif t < len(tap_slices) - 1:
            xp.subtract(rest, share, out=rest)
    return crop_spatial(dxpad, pads, x_shape[1:-1])


_MAX_DOC = """Max pooling over {what}, as Keras' {layer}.

    out[n, {idx}, c] = max over the window of x_padded; 'same' pads with -inf, so padding never
    wins.

    Args:
        x: {layout}.
        pool_size: {pool}.
        strides: Defaults to pool_size.
        padding: 'valid' or 'same' (Keras/TF semantics, the extra pad at the end).

    Returns:
        (batch, {out_axes}, channels).

    Gradient: each output's gradient goes to the FIRST maximum of its window (row-major order)
    when several inputs tie; overlapping windows add up.

    With numba installed (deltaw.nn._kernels) float inputs take compiled kernels: the forward
    pass records each window's winning tap, and the backward pass routes the gradient there in
    one pass (W3's two pools: ~8 ms of NumPy per step -> ~1.5 ms).
"""


@primitive("max_pool1d")
def max_pool1d(xp, x, pool_size=2, strides=None, padding="valid"):
    out, saved = _max_pool(xp, "max_pool1d", x, 1, pool_size, strides, padding)
    return out, saved


max_pool1d.__doc__ = _MAX_DOC.format(what="steps", layer="MaxPooling1D", idx="t",
                                     layout=_LAYOUT[1], pool="Int (Keras' default 2)",
                                     out_axes="new_steps")
max_pool1d.backward(_max_pool_backward)


@primitive("max_pool2d")
def max_pool2d(xp, x, pool_size=(2, 2), strides=None, padding="valid"):
    out, saved = _max_pool(xp, "max_pool2d", x, 2, pool_size, strides, padding)
    return out, saved


max_pool2d.__doc__ = _MAX_DOC.format(
    what="height and width", layer="MaxPooling2D", idx="i, j", layout=_LAYOUT[2],
    pool="Int or (ph, pw); Keras' default (2, 2)", out_axes="out_height, out_width") + """
    Example:
        >>> x = dw.tensor(np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1))
        >>> dw.nn.max_pool2d(x, 2).numpy()[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
"""
max_pool2d.backward(_max_pool_backward)


@primitive("max_pool3d")
def max_pool3d(xp, x, pool_size=(2, 2, 2), strides=None, padding="valid"):
    out, saved = _max_pool(xp, "max_pool3d", x, 3, pool_size, strides, padding)
    return out, saved


max_pool3d.__doc__ = _MAX_DOC.format(
    what="the three spatial axes", layer="MaxPooling3D", idx="i, j, l", layout=_LAYOUT[3],
    pool="Int or 3 ints; Keras' default (2, 2, 2)", out_axes="o1, o2, o3")
max_pool3d.backward(_max_pool_backward)


# ----------------------------------------------------------------------------- average pooling

def _window_counts(xp, x_shape, pool, strides, pads, outs, dtype):
    """How many real (unpadded) inputs each window covers, broadcastable to the output."""
    counts = None
    axes = zip(x_shape[1:-1], pool, strides, pads, outs, strict=True)
    for i, (n, p, s, (lo, _), o) in enumerate(axes):
        start = np.arange(o) * s - lo
        cnt = np.minimum(start + p, n) - np.maximum(start, 0)
        shape = [1] * (len(pool) + 2)
        shape[1 + i] = o
        cnt = cnt.reshape(shape)
        counts = cnt if counts is None else counts * cnt
    return xp.asarray(counts.astype(dtype))


def _avg_pool(xp, where, x, nd, pool_size, strides, padding):
    pool, strides, pads, outs = _pool_setup(where, x, nd, pool_size, strides, padding)
    xpad = pad_spatial(xp, x, pads)
    total = None
    for _, sl in taps(outs, pool, strides, (1,) * nd):
        window = xpad[(slice(None), *sl)]
        total = window.copy() if total is None else xp.add(total, window, out=total)
    if any(lo or hi for lo, hi in pads):
        counts = _window_counts(xp, x.shape, pool, strides, pads, outs, x.dtype)
    else:
        counts = math.prod(pool)
    return total / counts, (x.shape, pool, strides, pads, counts)


def _avg_pool_backward(xp, g, saved, needs):
    x_shape, pool, strides, pads, counts = saved
    share = g / counts                          # d out / d x = 1 / count for each x in the window
    contrib = xp.broadcast_to(share[..., None, :], (*g.shape[:-1], math.prod(pool), g.shape[-1]))
    if xp is not np:  # create_graph
        return (_scatter_windows_graph(xp, contrib, x_shape, pool, strides, pads),)
    return (_scatter_windows(xp, contrib, x_shape, pool, strides, pads, g.shape[1:-1]),)


_AVG_DOC = """Average pooling over {what}, as Keras' {layer}.

    With padding='same' each window is divided by the number of REAL inputs it covers, not by
    the padded window size (Keras/TF semantics; PyTorch's count_include_pad=False).

    Args:
        x: {layout}.
        pool_size: {pool}.
        strides: Defaults to pool_size.
        padding: 'valid' or 'same'.

    Returns:
        (batch, {out_axes}, channels).

    Gradient: each input in a window receives g / count.
"""


@primitive("avg_pool1d")
def avg_pool1d(xp, x, pool_size=2, strides=None, padding="valid"):
    return _avg_pool(xp, "avg_pool1d", x, 1, pool_size, strides, padding)


avg_pool1d.__doc__ = _AVG_DOC.format(what="steps", layer="AveragePooling1D", layout=_LAYOUT[1],
                                     pool="Int (Keras' default 2)", out_axes="new_steps")
avg_pool1d.backward(_avg_pool_backward)


@primitive("avg_pool2d")
def avg_pool2d(xp, x, pool_size=(2, 2), strides=None, padding="valid"):
    return _avg_pool(xp, "avg_pool2d", x, 2, pool_size, strides, padding)


avg_pool2d.__doc__ = _AVG_DOC.format(
    what="height and width", layer="AveragePooling2D", layout=_LAYOUT[2],
    pool="Int or (ph, pw); Keras' default (2, 2)", out_axes="out_height, out_width") + """
    Example:
        >>> x = dw.tensor(np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1))
        >>> dw.nn.avg_pool2d(x, 2, strides=2, padding="same").numpy()[0, :, :, 0]
        array([[2. , 3.5],
               [6.5, 8. ]], dtype=float32)
"""
avg_pool2d.backward(_avg_pool_backward)


@primitive("avg_pool3d")
def avg_pool3d(xp, x, pool_size=(2, 2, 2), strides=None, padding="valid"):
    return _avg_pool(xp, "avg_pool3d", x, 3, pool_size, strides, padding)


avg_pool3d.__doc__ = _AVG_DOC.format(what="the three spatial axes", layer="AveragePooling3D",
                                     layout=_LAYOUT[3], pool="Int or 3 ints",
                                     out_axes="o1, o2, o3")
avg_pool3d.backward(_avg_pool_backward)


# ----------------------------------------------------------------------------- global pooling

def _global_setup(where, x, nd):
    if x.ndim != nd + 2:
        raise ValueError(f"{where}: expected an input of rank {nd + 2} {_LAYOUT[nd]}; got input "
                         f"shape {x.shape}.")
    return tuple(range(1, nd + 1))


@primitive("global_average_pool1d")
def global_average_pool1d(xp, x, keepdims=False):
    """Mean over the steps axis, as Keras' GlobalAveragePooling1D: (batch, steps, channels) ->
    (batch, channels), or (batch, 1, channels) with keepdims=True."""
    axes = _global_setup("global_average_pool1d", x, 1)
    return x.mean(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


@primitive("global_average_pool2d")
def global_average_pool2d(xp, x, keepdims=False):
    """Mean over height and width, as Keras' GlobalAveragePooling2D: (batch, h, w, channels) ->
    (batch, channels), or (batch, 1, 1, channels) with keepdims=True.

    Example:
        >>> dw.nn.global_average_pool2d(dw.tensor(np.ones((2, 3, 3, 4)))).shape
        (2, 4)
    """
    axes = _global_setup("global_average_pool2d", x, 2)
    return x.mean(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


def _global_average_backward(xp, g, saved, needs):
    shape, axes, keepdims = saved
    count = math.prod(shape[a] for a in axes)
    g = g if keepdims else xp.expand_dims(g, axes)
    return (xp.broadcast_to(g / count, shape),)      # d mean / dx = 1 / count


@primitive("global_average_pool3d")
def global_average_pool3d(xp, x, keepdims=False):
    """Mean over the three spatial axes, as Keras' GlobalAveragePooling3D:
    (batch, d1, d2, d3, channels) -> (batch, channels), or (batch, 1, 1, 1, channels) with
    keepdims=True."""
    axes = _global_setup("global_average_pool3d", x, 3)
    return x.mean(axis=axes, keepdims=keepdims), (x.shape, axes, keepdims)


global_average_pool1d.backward(_global_average_backward)
global_average_pool2d.backward(_global_average_backward)
global_average_pool3d.backward(_global_average_backward)


def _global_max(xp, where, x, nd, keepdims):
    _global_setup(where, x, nd)
    flat = x.reshape(x.shape[0], -1, x.shape[-1])
    first = flat.argmax(axis=1)          # the first maximum (row-major) takes the gradient
    out = xp.take_along_axis(flat, first[:, None, :], axis=1)[:, 0, :]
    if keepdims:
        out = out.reshape(x.shape[0], *(1,) * nd, x.shape[-1])
    return out, (x.shape, first, keepdims)


def _global_max_backward(xp, g, saved, needs):
    shape, first, keepdims = saved
    positions = math.prod(shape[1:-1])
    g = g.reshape(shape[0], 1, shape[-1])
    onehot = np.arange(positions).reshape(1, -1, 1) == first[:, None, :]   # a constant
    return ((onehot * g).reshape(shape),)


@primitive("global_max_pool1d")
def global_max_pool1d(xp, x, keepdims=False):
    """Max over the steps axis, as Keras' GlobalMaxPooling1D: (batch, steps, channels) ->
    (batch, channels), or (batch, 1, channels) with keepdims=True.

    Gradient: goes to the first maximum when several steps tie."""
    return _global_max(xp, "global_max_pool1d", x, 1, keepdims)


@primitive("global_max_pool2d")
def global_max_pool2d(xp, x, keepdims=False):
    """Max over height and width, as Keras' GlobalMaxPooling2D: (batch, h, w, channels) ->
    (batch, channels), or (batch, 1, 1, channels) with keepdims=True.

    Gradient: goes to the first maximum (row-major) when several positions tie."""
    return _global_max(xp, "global_max_pool2d", x, 2, keepdims)


@primitive("global_max_pool3d")
def global_max_pool3d(xp, x, keepdims=False):
    """Max over the three spatial axes, as Keras' GlobalMaxPooling3D:
    (batch, d1, d2, d3, channels) -> (batch, channels), or (batch, 1, 1, 1, channels) with
    keepdims=True.

    Gradient: goes to the first maximum (row-major) when several positions tie."""
    return _global_max(xp, "global_max_pool3d", x, 3, keepdims)


global_max_pool1d.backward(_global_max_backward)
global_max_pool2d.backward(_global_max_backward)
global_max_pool3d.backward(_global_max_backward)


# ----------------------------------------------------------------------------- upsampling

def _linear_weights(n_in, n_out):
    """Half-pixel-centre linear interpolation along one axis: (lo, hi, w_hi) per output.

    Source coordinate (o + 0.5) * n_in / n_out - 0.5, clamped at the edges: the result of
    jax.image.resize / tf.image.resize(half_pixel_centers=True) 'bilinear' without antialiasing
    when upsampling, and of torch's interpolate(align_corners=False).
    """
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, src - lo


def _segment_sum(xp, v, idx, n, axis):
    """Sum slices of `v` along `axis` into `n` bins; `idx` (sorted) gives each slice's bin."""
    starts = np.searchsorted(idx, np.arange(n), side="left")
    ends = np.searchsorted(idx, np.arange(n), side="right")
    present = np.nonzero(ends > starts)[0]
    sums = xp.add.reduceat(v, starts[present], axis=axis)
    if present.size == n:
        return sums
    shape = list(v.shape)
    shape[axis] = n
    out = xp.zeros(shape, v.dtype)
    index = [slice(None)] * v.ndim
    index[axis] = present
    out[tuple(index)] = sums
    return out


def _lerp(xp, x, axis, lo, hi, w):
    shape = [1] * x.ndim
    shape[axis] = -1
    w = xp.asarray(w.astype(x.dtype).reshape(shape))
    a, b = xp.take(x, xp.asarray(lo), axis=axis), xp.take(x, xp.asarray(hi), axis=axis)
    return a + (b - a) * w


def _lerp_backward(xp, g, axis, n_in, lo, hi, w):
    shape = [1] * g.ndim
    shape[axis] = -1
    if xp is not np:  # create_graph: the segment sums as index_add (a gather backward)
        gw = g * w.astype(g.dtype).reshape(shape)
        target = g.shape[:axis] + (n_in,) + g.shape[axis + 1:]
        at = (slice(None),) * axis
        return index_add(g - gw, at + (lo,), target) + index_add(gw, at + (hi,), target)
    w = xp.asarray(w.astype(g.dtype).reshape(shape))
    gw = g * w
    # lo and hi are sorted (the source coordinate grows with the output index)
    return _segment_sum(xp, g - gw, lo, n_in, axis) + _segment_sum(xp, gw, hi, n_in, axis)


@primitive("upsampling2d")
def upsampling2d(xp, x, size=(2, 2), interpolation="nearest"):
    """Upsample height and width by integer factors, as Keras' UpSampling2D.

    'nearest' repeats every pixel size[0] x size[1] times. 'bilinear' matches Keras 3
    (ops.image.resize, i.e. jax.image.resize / tf.image.resize with half-pixel centres): output
    pixel o samples the input at (o + 0.5) / factor - 0.5, clamped to the edges, interpolating
    linearly along each axis.

    Args:
        x: (batch, height, width, channels).
        size: Int or (factor_h, factor_w).
        interpolation: 'nearest' or 'bilinear'.

    Returns:
        (batch, height * factor_h, width * factor_w, channels).

    Example:
        >>> x = dw.tensor([[1.0, 2.0]]).reshape(1, 1, 2, 1)
        >>> dw.nn.upsampling2d(x, (1, 2), "bilinear").numpy().ravel()
        array([1.  , 1.25, 1.75, 2.  ], dtype=float32)
    """
    where = "upsampling2d"
    if x.ndim != 4:
        raise ValueError(f"{where}: expected an input of rank 4 {_LAYOUT[2]}; got input shape "
                         f"{x.shape}.")
    fh, fw = spatial_tuple(where, "size", size, 2)
    n, h, w, c = x.shape
    if interpolation == "nearest":
        out = xp.broadcast_to(x[:, :, None, :, None, :], (n, h, fh, w, fw, c))
        return out.reshape(n, h * fh, w * fw, c), (interpolation, x.shape, (fh, fw), None)
    if interpolation != "bilinear":
        raise ValueError(f"{where}: interpolation must be 'nearest' or 'bilinear'; got "
                         f"interpolation={interpolation!r}.")
    plan = (_linear_weights(h, h * fh), _linear_weights(w, w * fw))
    out = _lerp(xp, _lerp(xp, x, 1, *plan[0]), 2, *plan[1])
    return out, (interpolation, x.shape, (fh, fw), plan)


@upsampling2d.backward
def _upsampling2d_backward(xp, g, saved, needs):
    interpolation, (n, h, w, c), (fh, fw), plan = saved
    if interpolation == "nearest":
        return (g.reshape(n, h, fh, w, fw, c).sum(axis=(2, 4)),)   # each copy passes g back
    g = _lerp_backward(xp, g, 2, w, *plan[1])
    return (_lerp_backward(xp, g, 1, h, *plan[0]),)
