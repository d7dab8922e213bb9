"""Convolutions on channels-last inputs: conv1d conv2d conv2d_transpose depthwise_conv2d
separable_conv2d.

Layouts follow Keras: inputs are (batch, *spatial, channels); kernels are (*kernel_size,
in_channels // groups, filters) for convolutions, (*kernel_size, filters, in_channels) for
transposed convolutions and (*kernel_size, in_channels, depth_multiplier) for depthwise ones.
Bias is not part of these ops: the layers add it.

Every op is a primitive (a fused forward and backward) for speed and memory. A convolution is
lowered to one GEMM: a strided *view* of the padded input lists every window (im2col without a
Python loop), a single reshape copies it into the (positions, kernel_taps * channels) matrix, and
one matmul with the reshaped kernel gives the output. The backward pass computes
dkernel = cols^T @ g and dx = col2im(g @ kernel^T), where col2im is one strided add per kernel tap
(kh * kw adds in 2-D, never a loop over pixels). When the im2col matrix of a whole batch would
exceed `IM2COL_BUDGET_BYTES`, the batch is processed in chunks so memory stays bounded; the
backward pass rebuilds the columns chunk by chunk instead of keeping them from the forward pass.

For speed, batches are also cut into chunks of about `CACHE_BLOCK_BYTES` of columns, so each
GEMM reads its columns back from cache; inputs with few channels (an image's 1 or 3) build the
columns tap-major, whole output rows per copy; and with numba installed (the `fast` extra,
deltaw.nn._kernels) 2-D col2im is one compiled pass. Measured on the W3 benchmark (64 MNIST-sized
images, one thread): the first layer's im2col 1.5 ms -> 0.17 ms, the second layer's forward
7.5 ms -> 5 ms, col2im 3-5 ms -> 0.5 ms.

'same' padding follows Keras/TensorFlow: along each spatial axis
pad_total = max((ceil(size / stride) - 1) * stride + (k - 1) * dilation + 1 - size, 0),
with pad_total // 2 before and the rest (one more when odd) after.
"""

from __future__ import annotations

import math

import numpy as np

from deltaw.autograd import mode
from deltaw.autograd.op import primitive
from deltaw.nn import _kernels
from deltaw.ops.indexing import index_add

__all__ = ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d",
           "IM2COL_BUDGET_BYTES", "CACHE_BLOCK_BYTES", "GRAD_BLOCK_BYTES"]

IM2COL_BUDGET_BYTES = 256 * 2**20
"""Largest im2col (or col2im) matrix built at once; bigger batches are processed in chunks."""

CACHE_BLOCK_BYTES = 2 * 2**20
"""Target size of one chunk's im2col matrix, for speed (it stays in cache for its GEMM)."""

KEEP_COLUMNS_BYTES = 32 * 2**20
"""Largest im2col matrix (all chunks together; never more than IM2COL_BUDGET_BYTES) that a
forward pass under gradient recording keeps for its backward pass, whose kernel gradient then
reuses it instead of copying every window again (W3: ~1 ms a step); larger ones are rebuilt
chunk by chunk."""


# ----------------------------------------------------------------------------- shared helpers
# (pooling.py uses them too)

def spatial_tuple(where, name, value, nd):
    """`value` (an int or a sequence of `nd` ints, all >= 1) as a tuple of `nd` Python ints."""
    items = (value,) * nd if isinstance(value, int | np.integer) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != nd
            or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1
                       for v in items)):
        raise ValueError(f"{where}: {name} must be a positive int or a tuple of {nd} positive "
                         f"ints; got {name}={value!r}.")
    return tuple(int(v) for v in items)


def effective_size(k, d):
    """Extent of a kernel of `k` taps spaced `d` apart."""
    return (k - 1) * d + 1


def same_pads(size, k_eff, stride):
    """Keras/TF 'same' padding for one axis: (before, after), the extra one after."""
    total = max((-(-size // stride) - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def window_geometry(where, padding, x_shape, kernel_shape, ksize, strides, dilation,
                    causal_ok=False, what="kernel"):
    """Per-axis (before, after) paddings and output sizes of a sliding-window op."""
    mode = padding.lower() if isinstance(padding, str) else padding
    allowed = ("valid", "same", "causal") if causal_ok else ("valid", "same")
    if mode not in allowed:
        names = " or ".join(repr(a) for a in allowed)
        raise ValueError(f"{where}: padding must be {names}; got padding={padding!r}.")
    pads, outs = [], []
    for i, (n, k, s, d) in enumerate(zip(x_shape[1:-1], ksize, strides, dilation, strict=True)):
        k_eff = effective_size(k, d)
        if mode == "same":
            lo, hi = same_pads(n, k_eff, s)
        elif mode == "causal":
            lo, hi = k_eff - 1, 0
        else:
            lo, hi = 0, 0
        if n + lo + hi < k_eff:
            shape_info = (f"got input shape {tuple(x_shape)} and {what} shape "
                          f"{tuple(kernel_shape)}" if kernel_shape is not None
                          else f"got input shape {tuple(x_shape)} and pool size {tuple(ksize)}")
            raise ValueError(
                f"{where}: the {what} is larger than the input with padding={padding!r} (the "
                f"output would be empty); expected spatial axis {i + 1} to have size >= {k_eff} "
                f"(the {what}'s extent with dilation {d}), {shape_info}.")
        pads.append((lo, hi))
        outs.append((n + lo + hi - k_eff) // s + 1)
    return tuple(pads), tuple(outs)


def pad_spatial(xp, x, pads, value=0):
    """Pad the spatial axes of (N, *S, C) (no copy when there is nothing to pad)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    return xp.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def windows(xp, a, out_sizes, ksize, strides, dilation):
    """Read-only strided view (N, *out_sizes, *ksize, C) of every window of `a` (N, *S, C)."""
    st = a.strides
    nd = len(ksize)
    shape = (a.shape[0], *out_sizes, *ksize, a.shape[-1])
    steps = (st[0], *(st[1 + i] * strides[i] for i in range(nd)),
             *(st[1 + i] * dilation[i] for i in range(nd)), st[-1])
    if xp is np and a.flags.c_contiguous:
        # the same view, built directly (as_strided's Python wrapper costs ~25 us a call);
        # NumPy checks that it stays inside a's buffer
        view = np.ndarray(shape, a.dtype, buffer=a, strides=steps)
        view.flags.writeable = False
        return view
    return xp.lib.stride_tricks.as_strided(a, shape, steps, writeable=False)


def taps(out_sizes, ksize, strides, dilation):
    """(tap index, spatial slices): where each kernel tap reads its inputs, one pair per tap."""
    for tap in np.ndindex(*ksize):
        yield tap, tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                         for k, d, o, s in zip(tap, dilation, out_sizes, strides, strict=True))


def crop_spatial(a, pads, sizes):
    """a[:, lo:lo+size, ..., :] along every spatial axis."""
    spatial = (slice(lo, lo + n) for (lo, _), n in zip(pads, sizes, strict=True))
    return a[(slice(None), *spatial, slice(None))]


def batch_chunks(n, bytes_per_item, budget=None, cols_per_item=0):
    """Split range(n) into consecutive (start, stop) chunks whose temporaries fit the budget.

    `bytes_per_item` counts every temporary one sample needs at once (columns, their gradient,
    a contiguous copy of the output gradient); a single sample is never split. With
    `cols_per_item` (the im2col bytes of one sample), chunks are also kept near
    `CACHE_BLOCK_BYTES` of columns, so that the GEMM reads them back from cache rather than
    from memory (W3's second convolution: 5.5 ms forward instead of 7.5 ms).
    """
    budget = IM2COL_BUDGET_BYTES if budget is None else budget
    step = max(1, int(budget // max(bytes_per_item, 1)))
    if cols_per_item:
        per_chunk = -(-n // max(1, -(-n * cols_per_item // CACHE_BLOCK_BYTES)))  # even chunks
        step = min(step, per_chunk)
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _check_rank(where, x, kernel, nd, x_layout, k_layout):
    if x.ndim != nd + 2 or kernel.ndim != nd + 2:
        raise ValueError(f"{where}: expected an input of rank {nd + 2} {x_layout} and a kernel of "
                         f"rank {nd + 2} {k_layout}; got input shape {x.shape} and kernel shape "
                         f"{kernel.shape}.")


# ----------------------------------------------------------------------------- GEMM lowering

def _group_kernel(kernel, groups):
    """(*K, cg, out) -> (K*cg, out), or (G, K*cg, out/G) for grouped convolutions."""
    *ksize, cg, cout = kernel.shape
    kp = math.prod(ksize)
    if groups == 1:
        return kernel.reshape(kp * cg, cout)
    w = kernel.reshape(kp, cg, groups, cout // groups).transpose(2, 0, 1, 3)
    return w.reshape(groups, kp * cg, cout // groups)


def _ungroup_kernel(w, kernel_shape, groups):
    if groups == 1:
        return w.reshape(kernel_shape)
    *ksize, cg, cout = kernel_shape
    w = w.reshape(groups, math.prod(ksize), cg, cout // groups).transpose(1, 2, 0, 3)
    return w.reshape(kernel_shape)


_TAP_MAJOR_CHANNELS = 8
"""Inputs with fewer channels are copied into the im2col matrix tap by tap (see _im2col)."""


def _im2col(xp, a, out_sizes, ksize, strides, dilation, groups):
    """(n, *S, C) padded input -> (n*O, K*C) columns, or (G, n*O, K*C/G): the one copy.

    With few channels (an image's 1 or 3) the row-major copy would move runs of C values; the
    columns are then built tap-major, (K*C, n*O), where each copy moves whole output rows, and
    returned transposed: an F-ordered view that BLAS takes as it is (no second copy).
    """
    view = windows(xp, a, out_sizes, ksize, strides, dilation)
    m, kp, c = a.shape[0] * math.prod(out_sizes), math.prod(ksize), a.shape[-1]
    if groups == 1:
        if c >= _TAP_MAJOR_CHANNELS:
            return view.reshape(m, kp * c)
        nd = len(ksize)
        tap_major = xp.moveaxis(view, tuple(range(1 + nd, 2 + 2 * nd)), tuple(range(1 + nd)))
        return xp.ascontiguousarray(tap_major).reshape(kp * c, m).T
    view = view.reshape(*view.shape[:-1], groups, c // groups)
    view = xp.moveaxis(view, -2, 0)
    return view.reshape(groups, m, kp * (c // groups))


def _col2im(xp, cols, n, padded_sizes, channels, out_sizes, ksize, strides, dilation, groups,
            into=None):
    """Sum columns back onto the (padded) input grid: one strided add per kernel tap.

    `into`, when given, must be zeros of shape (n, *padded_sizes, channels). 2-D float inputs
    take the compiled kernel when numba is available (one pass instead of kh * kw adds).
    """
    nd = len(ksize)
    buf = xp.zeros((n, *padded_sizes, channels), cols.dtype) if into is None else into
    kernels = (_kernels.get() if xp is np and nd == 2 and groups == 1 and cols.dtype.kind == "f"
               and buf.dtype == cols.dtype and buf.flags.c_contiguous else None)
    if kernels is not None:
        cols = np.ascontiguousarray(cols).reshape(n, *out_sizes, *ksize, channels)
        kernels.col2im_add(cols, buf, *strides, *dilation)
        return buf
    if groups == 1:
        cols = cols.reshape(n, *out_sizes, *ksize, channels)
        target = buf
    else:
        cols = xp.moveaxis(cols.reshape(groups, n, *out_sizes, *ksize, channels // groups), 0, -2)
        target = buf.reshape(n, *padded_sizes, groups, channels // groups)
    lead = (slice(None),) * (1 + nd)
    for tap, sl in taps(out_sizes, ksize, strides, dilation):
        target[(slice(None), *sl)] += cols[lead + tap]
    return buf


def _conv_forward(xp, x, kernel, strides, dilation, pads, out_sizes, groups):
    """(output, kept): kept is [(start, stop, columns), ...] per batch chunk when the columns
    are kept for the backward pass (see KEEP_COLUMNS_BYTES), else None."""
    nd = x.ndim - 2
    n, c = x.shape[0], x.shape[-1]
    ksize, cout = kernel.shape[:nd], kernel.shape[-1]
    w = _group_kernel(kernel, groups)
    dtype = xp.result_type(x, kernel)
    out = xp.empty((n, *out_sizes, cout), dtype)
    per_item = math.prod(out_sizes) * math.prod(ksize) * c * x.itemsize       # the columns
    keep_limit = min(KEEP_COLUMNS_BYTES, IM2COL_BUDGET_BYTES)
    kept = [] if mode.is_grad_enabled() and n * per_item <= keep_limit else None
    for a, b in batch_chunks(n, per_item, cols_per_item=per_item):
        cols = _im2col(xp, pad_spatial(xp, x[a:b], pads), out_sizes, ksize, strides, dilation,
                       groups)
        o = out[a:b].reshape(-1, cout)
        if groups == 1:
            xp.matmul(cols, w, out=o)
        else:
            o.reshape(o.shape[0], groups, -1)[...] = xp.matmul(cols, w).transpose(1, 0, 2)
        if kept is not None:
            kept.append((a, b, cols))
    return out, kept


def _conv_backward(xp, g, saved, needs):
    x, kernel, strides, dilation, pads, groups, kept = saved
    return conv_grads(xp, g, x, kernel, strides, dilation, pads, groups, needs, kept)


def conv_grads(xp, g, x, kernel, strides, dilation, pads, groups, needs, kept=None,
               grad_block=None):
    """(dx, dkernel) of a convolution given its output gradient `g` (None where not needed).

    Shared with the fused conv2d_bias_activation, which passes the gradient after its
    activation's derivative, or `grad_block`: a function (a, b) -> the contiguous
    (rows, filters) gradient of batch items a:b, which it then computes block by block (see
    `_grad_blocks`). `kept`: the forward pass's columns per batch chunk, or None.
    """
    if xp is not np:
        return _conv_grads_graph(xp, g, x, kernel, strides, dilation, pads, groups, needs)
    nd = x.ndim - 2
    n, c = x.shape[0], x.shape[-1]
    ksize, cout = kernel.shape[:nd], kernel.shape[-1]
    out_sizes = g.shape[1:-1]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[1:-1], pads, strict=True))
    unpadded = padded == x.shape[1:-1]
    w = _group_kernel(kernel, groups)
    # without padding, col2im adds straight into dx (zeros); otherwise into a padded buffer
    dx = (xp.zeros_like(x) if unpadded else xp.empty_like(x)) if needs[0] else None
    dw = xp.zeros(w.shape, w.dtype) if needs[1] else None
    # columns and their gradient, plus a contiguous copy of g
    cols_per_item = math.prod(out_sizes) * math.prod(ksize) * c * x.itemsize
    per_item = 2 * cols_per_item + math.prod(out_sizes) * cout * x.itemsize
    chunks = kept or [(a, b, None) for a, b in batch_chunks(n, per_item,
                                                            cols_per_item=cols_per_item)]
    if grad_block is None:
        # contiguous for BLAS: g may be a broadcast view (zero strides), e.g. from sum's backward
        def grad_block(a, b):
            return xp.ascontiguousarray(g[a:b]).reshape(-1, cout)
    rows = math.prod(out_sizes)
    thin = math.prod(ksize) * c // groups <= _THIN_COLUMNS
    for a, b, cols in chunks:
        if needs[1] and cols is None:
            cols = _im2col(xp, pad_spatial(xp, x[a:b], pads), out_sizes, ksize, strides,
                           dilation, groups)
        for a2, b2 in _grad_blocks(a, b, rows * cout * x.itemsize if thin else 0):
            gc = grad_block(a2, b2)
            if groups > 1:
                gc = gc.reshape(gc.shape[0], groups, -1).transpose(1, 0, 2)
            if needs[1]:
                block = cols[..., (a2 - a) * rows:(b2 - a) * rows, :]
                dw += xp.matmul(xp.swapaxes(block, -1, -2), gc)      # dK = cols^T g
            if needs[0]:
                _input_grad(xp, gc, w, dx, a2, b2, x, padded, pads, out_sizes, ksize, strides,
                            dilation, groups, unpadded)
    dkernel = _ungroup_kernel(dw, kernel.shape, groups) if needs[1] else None
    return dx, dkernel


_THIN_COLUMNS = 32
"""Columns this narrow (taps * channels, e.g. 9 for a 3x3 kernel over one channel) make a
GEMM that reads the output gradient at memory speed; conv_grads then takes that gradient in
blocks of about GRAD_BLOCK_BYTES, which `grad_block` writes and the GEMM reads back while they
are in cache (W3's first layer, its whole backward: 1.3 -> 0.9-1.1 ms on one thread)."""

GRAD_BLOCK_BYTES = 256 * 2**10
"""Target size of one block of output gradient for thin columns (see _THIN_COLUMNS): it and
its GEMM's read stay in a core's L2 cache (1-2 MiB on current x86)."""


def _grad_blocks(a, b, bytes_per_item):
    """Batch items a:b as consecutive (start, stop) blocks of about GRAD_BLOCK_BYTES of output
    gradient, or one block when `bytes_per_item` is 0."""
    step = max(1, GRAD_BLOCK_BYTES // bytes_per_item) if bytes_per_item else b - a
    return [(i, min(i + step, b)) for i in range(a, b, step)]


def _input_grad(xp, gc, w, dx, a, b, x, padded, pads, out_sizes, ksize, strides, dilation,
                groups, unpadded):
    """dx[a:b] = col2im(g K^T) for the gradient block `gc` of batch items a:b."""
    dcols = xp.matmul(gc, xp.swapaxes(w, -1, -2))       # dcols = g K^T
    c = x.shape[-1]
    if unpadded:
        _col2im(xp, dcols, b - a, padded, c, out_sizes, ksize, strides, dilation, groups,
                into=dx[a:b])
    else:
        buf = _col2im(xp, dcols, b - a, padded, c, out_sizes, ksize, strides, dilation,
                      groups)
        dx[a:b] = crop_spatial(buf, pads, x.shape[1:-1])


def _conv_grads_graph(xp, g, x, kernel, strides, dilation, pads, groups, needs):
    """create_graph's form of conv_grads, from ops that are differentiable again: the patches
    are a gather (getitem) from the padded input, the GEMMs are einsums and col2im is index_add,
    whose backward is the gather again."""
    nd = x.ndim - 2
    out_sizes = g.shape[1:-1]
    ksize, cg, cout = kernel.shape[:nd], kernel.shape[-2], kernel.shape[-1]
    index = _patch_index(out_sizes, ksize, strides, dilation)
    o, k = "hij"[:nd], "rst"[:nd]             # output and tap labels (n G c f are taken)
    grouped = kernel.reshape(*ksize, cg, groups, cout // groups)
    g_grouped = g.reshape(*g.shape[:-1], groups, cout // groups)
    dx = dk = None
    if needs[1]:
        padded = xp.pad(x, [(0, 0), *pads, (0, 0)])
        cols = padded[index]                                   # (n, *O, *K, C)
        cols = cols.reshape(*cols.shape[:-1], groups, cg)
        dk = xp.einsum(f"n{o}{k}Gc,n{o}Gf->{k}cGf", cols, g_grouped).reshape(kernel.shape)
    if needs[0]:
        dcols = xp.einsum(f"n{o}Gf,{k}cGf->n{o}{k}Gc", g_grouped, grouped)
        dcols = dcols.reshape(*dcols.shape[:-2], groups * cg)
        dx = _uncrop_add(dcols, index, x.shape, pads)
    return dx, dk


def _uncrop_add(cols, index, x_shape, pads):
    """Patch gradients (n, *O, *K, C) added back onto the padded grid (index_add, differentiable
    again), then the padding cropped off: col2im for create_graph."""
    padded = (x_shape[0], *(s + lo + hi for s, (lo, hi) in zip(x_shape[1:-1], pads, strict=True)),
              x_shape[-1])
    full = index_add(cols, index, padded)
    return full[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in
                                zip(x_shape[1:-1], pads, strict=True)), slice(None))]


def _patch_index(out_sizes, ksize, strides, dilation):
    """The index picking patches (n, *O, *K, C) out of a padded (n, *S, C) input."""
    nd = len(out_sizes)
    parts = []
    for d in range(nd):
        shape_o = [1] * (2 * nd)
        shape_o[d] = out_sizes[d]
        shape_k = [1] * (2 * nd)
        shape_k[nd + d] = ksize[d]
        parts.append(np.arange(out_sizes[d]).reshape(shape_o) * strides[d]
                     + np.arange(ksize[d]).reshape(shape_k) * dilation[d])
    return (slice(None), *parts, slice(None))


def _prepare_conv(where, x, kernel, nd, strides, padding, dilation_rate, groups,
                  causal_ok=False):
    layouts = {1: ("(batch, steps, channels)", "(k, in_channels // groups, filters)"),
               2: ("(batch, height, width, channels)",
                   "(kh, kw, in_channels // groups, filters)"),
               3: ("(batch, d1, d2, d3, channels)",
                   "(k1, k2, k3, in_channels // groups, filters)")}
    _check_rank(where, x, kernel, nd, *layouts[nd])
    if not isinstance(groups, int | np.integer) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive int; got groups={groups!r}.")
    cg, cout = kernel.shape[-2], kernel.shape[-1]
    if x.shape[-1] != cg * groups:
        raise ValueError(
            f"{where}: the input's channels do not match the kernel; expected "
            f"{cg * groups} channels (kernel in_channels {cg} x groups {groups}), got input shape "
            f"{x.shape} and kernel shape {kernel.shape}.")
    if cout % groups:
        raise ValueError(f"{where}: the kernel's filters must be divisible by groups; expected a "
                         f"multiple of {groups}, got kernel shape {kernel.shape}.")
    strides = spatial_tuple(where, "strides", strides, nd)
    dilation = spatial_tuple(where, "dilation_rate", dilation_rate, nd)
    ksize = kernel.shape[:nd]
    pads, out_sizes = window_geometry(where, padding, x.shape, kernel.shape, ksize, strides,
                                      dilation, causal_ok=causal_ok)
    return strides, dilation, pads, out_sizes


# ----------------------------------------------------------------------------- conv1d / conv2d

@primitive("conv1d")
def conv1d(xp, x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """1-D convolution (cross-correlation, as Keras) of a channels-last sequence.

    out[n, t, f] = sum over taps j and channels c of the group of f of
    x_padded[n, t * strides + j * dilation_rate, c] * kernel[j, c, f].

    Args:
        x: (batch, steps, channels).
        kernel: (kernel_size, channels // groups, filters), as Keras' Conv1D stores it.
        strides: Positive int (or a 1-tuple).
        padding: 'valid', 'same' (Keras/TF semantics, the extra pad at the end) or 'causal'
            ((kernel_size - 1) * dilation_rate zeros at the start, so out[t] sees only
            x[:t + 1]; stride 1 keeps the length).
        dilation_rate: Positive int, spacing between kernel taps.
        groups: Channel groups; `channels` and `filters` must both be divisible by it.

    Returns:
        (batch, new_steps, filters): new_steps = ceil(steps / strides) for 'same', and
        (padded_steps - (kernel_size - 1) * dilation_rate - 1) // strides + 1 otherwise.

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> x = dw.tensor(np.arange(5.0, dtype="float32").reshape(1, 5, 1))
        >>> dw.nn.conv1d(x, dw.ones((2, 1, 1))).numpy()[0, :, 0]
        array([1., 3., 5., 7.], dtype=float32)
    """
    strides, dilation, pads, outs = _prepare_conv("conv1d", x, kernel, 1, strides, padding,
                                                  dilation_rate, groups, causal_ok=True)
    out, kept = _conv_forward(xp, x, kernel, strides, dilation, pads, outs, groups)
    return out, (x, kernel, strides, dilation, pads, groups, kept)


conv1d.backward(_conv_backward)


@primitive("conv2d")
def conv2d(xp, x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """2-D convolution (cross-correlation, as Keras) of a channels-last image batch.

    out[n, i, j, f] = sum over taps (a, b) and the channels c of f's group of
    x_padded[n, i * sh + a * dh, j * sw + b * dw, c] * kernel[a, b, c, f].

    Lowered to one GEMM per batch chunk (see the module docstring), so memory stays within
    `IM2COL_BUDGET_BYTES` plus the input and output.

    Args:
        x: (batch, height, width, channels).
        kernel: (kh, kw, channels // groups, filters), as Keras' Conv2D stores it.
        strides: Int or (sh, sw).
        padding: 'valid' or 'same' (Keras/TF: the odd extra pad goes to the bottom/right).
        dilation_rate: Int or (dh, dw), spacing between kernel taps.
        groups: Channel groups; `channels` and `filters` must both be divisible by it.

    Returns:
        (batch, out_height, out_width, filters): ceil(size / stride) per axis for 'same',
        (size - (k - 1) * dilation - 1) // stride + 1 for 'valid'.

    Raises:
        ValueError: wrong ranks, channels that don't match the kernel, a kernel larger than a
            'valid' input, or bad strides/dilation/padding.

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> x = dw.ones((1, 3, 3, 1))
        >>> dw.nn.conv2d(x, dw.ones((2, 2, 1, 1)), padding="same").numpy()[0, :, :, 0]
        array([[4., 4., 2.],
               [4., 4., 2.],
               [2., 2., 1.]], dtype=float32)
    """
    strides, dilation, pads, outs = _prepare_conv("conv2d", x, kernel, 2, strides, padding,
                                                  dilation_rate, groups)
    out, kept = _conv_forward(xp, x, kernel, strides, dilation, pads, outs, groups)
    return out, (x, kernel, strides, dilation, pads, groups, kept)


conv2d.backward(_conv_backward)


# ----------------------------------------------------------------------------- transposed

def _transpose_geometry(where, x_shape, kernel_shape, strides, dilation, padding, output_padding):
    """Keras' Conv*Transpose output sizes and where they sit in the 'full' transposed output.

    The full output (every tap of every input position) has (size - 1) * stride + k_eff
    entries per axis; Keras keeps `out` of them starting at `offset` (zeros beyond the end).
    """
    nd = len(strides)
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"{where}: padding must be 'valid' or 'same'; got padding={padding!r}.")
    if output_padding is None:
        ops = (None,) * nd
    else:
        ops = (output_padding,) * nd if isinstance(output_padding, int | np.integer) \
            else tuple(output_padding)
        if len(ops) != nd or not all(isinstance(p, int | np.integer) and p >= 0 for p in ops):
            raise ValueError(f"{where}: output_padding must be None, a non-negative int or a "
                             f"tuple of {nd} of them; got output_padding={output_padding!r}.")
        for p, s in zip(ops, strides, strict=True):
            if p >= s:
                raise ValueError(f"{where}: output_padding must be smaller than strides; "
                                 f"expected each < {tuple(strides)}, got "
                                 f"output_padding={output_padding!r}.")
    offsets, outs, buffers = [], [], []
    for i in range(nd):
        n, k, s, d, op = x_shape[1 + i], kernel_shape[i], strides[i], dilation[i], ops[i]
        k_eff = effective_size(k, d)
        if mode == "valid":
            op = max(k_eff, s) - k_eff if op is None else op
            left, out = k_eff - 1, (n - 1) * s + k_eff + op
        else:
            pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
            out = n * s if op is None else (n - 1) * s + k_eff % 2 + op
        if out < 1:
            raise ValueError(f"{where}: the output would be empty; expected a positive size along "
                             f"spatial axis {i + 1}, got {out} (input shape {tuple(x_shape)}, "
                             f"kernel shape {tuple(kernel_shape)}, output_padding={op}).")
        offset = k_eff - 1 - left
        offsets.append(offset)
        outs.append(out)
        buffers.append(max((n - 1) * s + k_eff, offset + out))
    return tuple(offsets), tuple(outs), tuple(buffers)


def conv_transpose_forward(xp, where, nd, x, kernel, strides, padding, output_padding,
                           dilation_rate):
    """(output, saved) of an `nd`-D transposed convolution (conv2d_transpose's forward, shared
    with conv3d_transpose); its backward is `conv_transpose_backward`."""
    layouts = {2: ("(batch, height, width, channels)", "(kh, kw, filters, in_channels)"),
               3: ("(batch, d1, d2, d3, channels)", "(k1, k2, k3, filters, in_channels)")}
    _check_rank(where, x, kernel, nd, *layouts[nd])
    if x.shape[-1] != kernel.shape[-1]:
        raise ValueError(f"{where}: the input's channels do not match the kernel; expected "
                         f"{kernel.shape[-1]} channels (the kernel's last axis), got input shape "
                         f"{x.shape} and kernel shape {kernel.shape}.")
    strides = spatial_tuple(where, "strides", strides, nd)
    dilation = spatial_tuple(where, "dilation_rate", dilation_rate, nd)
    offsets, outs, buffers = _transpose_geometry(where, x.shape, kernel.shape, strides, dilation,
                                                 padding, output_padding)
    ksize, cout, cin = kernel.shape[:nd], kernel.shape[-2], kernel.shape[-1]
    in_sizes = x.shape[1:-1]
    wt = xp.moveaxis(kernel, -1, 0).reshape(cin, -1)            # (cin, kh*kw*cout)
    out = xp.empty((x.shape[0], *outs, cout), xp.result_type(x, kernel))
    crop = tuple((o, 0) for o in offsets)
    # the scattered columns and the uncropped output buffer
    per_item = (math.prod(in_sizes) * wt.shape[1] + math.prod(buffers) * cout) * x.itemsize
    for a, b in batch_chunks(x.shape[0], per_item):
        cols = xp.matmul(x[a:b].reshape(-1, cin), wt)
        buf = _col2im(xp, cols, b - a, buffers, cout, in_sizes, ksize, strides, dilation, 1)
        out[a:b] = crop_spatial(buf, crop, outs)
    return out, (x, kernel, strides, dilation, offsets, buffers)


@primitive("conv2d_transpose")
def conv2d_transpose(xp, x, kernel, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input), as Keras'
    Conv2DTranspose.

    Every input pixel scatters x[n, i, j, :] @ kernel[a, b, :, :]^T onto output position
    (i * sh + a * dh, j * sw + b * dw) of the full output, which is then cropped to Keras' size:
    'valid': (size - 1) * stride + k_eff + output_padding (output_padding defaults to
    max(k_eff, stride) - k_eff); 'same': size * stride, or (size - 1) * stride + k_eff % 2 +
    output_padding when output_padding is given (k_eff = (k - 1) * dilation + 1).

    Args:
        x: (batch, height, width, in_channels).
        kernel: (kh, kw, filters, in_channels), as Keras' Conv2DTranspose stores it.
        strides: Int or (sh, sw).
        padding: 'valid' or 'same'.
        output_padding: None, an int or (ph, pw), each smaller than the stride.
        dilation_rate: Int or (dh, dw).

    Returns:
        (batch, out_height, out_width, filters).

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> x = dw.tensor(np.ones((1, 2, 2, 1)))
        >>> k = dw.tensor(np.ones((2, 2, 1, 1)))
        >>> dw.nn.conv2d_transpose(x, k, strides=2).shape
        (1, 4, 4, 1)
    """
    return conv_transpose_forward(xp, "conv2d_transpose", 2, x, kernel, strides, padding,
                                  output_padding, dilation_rate)


def conv_transpose_backward(xp, g, saved, needs):
    """Backward of `conv_transpose_forward` (any number of spatial axes)."""
    x, kernel, strides, dilation, offsets, buffers = saved
    ksize, cout, cin = kernel.shape[:-2], kernel.shape[-2], kernel.shape[-1]
    in_sizes = x.shape[1:-1]
    if xp is not np:  # create_graph: g padded back to the full buffer, then a plain convolution
        nd = len(ksize)
        gfull = xp.pad(g, [(0, 0), *((o, b - o - s) for o, b, s in
                                     zip(offsets, buffers, g.shape[1:-1], strict=True)), (0, 0)])
        cols = gfull[_patch_index(in_sizes, ksize, strides, dilation)]   # (n, *I, *K, cout)
        i, k = "hij"[:nd], "rst"[:nd]
        dx = xp.einsum(f"n{i}{k}o,{k}oc->n{i}c", cols, kernel) if needs[0] else None
        dk = xp.einsum(f"n{i}c,n{i}{k}o->{k}oc", x, cols) if needs[1] else None
        return dx, dk
    wt = xp.moveaxis(kernel, -1, 0).reshape(cin, -1)
    dx = xp.empty_like(x) if needs[0] else None
    dwt = xp.zeros(wt.shape, wt.dtype) if needs[1] else None
    per_item = (math.prod(in_sizes) * wt.shape[1] + math.prod(buffers) * cout) * x.itemsize
    for a, b in batch_chunks(x.shape[0], per_item):
        if any(offsets) or g.shape[1:-1] != buffers:
            gfull = xp.zeros((b - a, *buffers, cout), g.dtype)
            crop_spatial(gfull, tuple((o, 0) for o in offsets), g.shape[1:-1])[...] = g[a:b]
        else:
            gfull = xp.ascontiguousarray(g[a:b])     # BLAS needs real strides (g may broadcast)
        # the transposed op's backward is a plain convolution of g (im2col + GEMM)
        cols = _im2col(xp, gfull, in_sizes, ksize, strides, dilation, 1)
        if needs[0]:
            dx[a:b] = xp.matmul(cols, wt.T).reshape(b - a, *in_sizes, cin)   # dx = cols W^T
        if needs[1]:
            dwt += xp.matmul(x[a:b].reshape(-1, cin).T, cols)                # dW = x^T cols
    dkernel = xp.moveaxis(dwt.reshape(cin, *ksize, cout), 0, -1) if needs[1] else None
    return dx, dkernel


conv2d_transpose.backward(conv_transpose_backward)


# ----------------------------------------------------------------------------- depthwise

@primitive("depthwise_conv2d")
def depthwise_conv2d(xp, x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D convolution, as Keras' DepthwiseConv2D: each input channel is convolved with
    its own `depth_multiplier` filters.

    out[n, i, j, c * depth_multiplier + m] =
    sum over taps (a, b) of x_padded[n, i * sh + a * dh, j * sw + b * dw, c] * kernel[a, b, c, m].

    Computed as one multiply-add per kernel tap over the whole output (no im2col matrix, whose
    tiny per-channel GEMMs would be slower), forward and backward.

    Args:
        x: (batch, height, width, channels).
        kernel: (kh, kw, channels, depth_multiplier).
        strides: Int or (sh, sw).
        padding: 'valid' or 'same'.
        dilation_rate: Int or (dh, dw).

    Returns:
        (batch, out_height, out_width, channels * depth_multiplier).

    Gradient: with respect to `x` and `kernel`.

    Example:
        >>> x = dw.tensor(np.ones((1, 3, 3, 2)))
        >>> dw.nn.depthwise_conv2d(x, dw.tensor(np.ones((2, 2, 2, 3)))).shape
        (1, 2, 2, 6)
    """
    where = "depthwise_conv2d"
    _check_rank(where, x, kernel, 2, "(batch, height, width, channels)",
                "(kh, kw, channels, depth_multiplier)")
    if x.shape[-1] != kernel.shape[2]:
        raise ValueError(f"{where}: the input's channels do not match the kernel; expected "
                         f"{kernel.shape[2]} channels (the kernel's third axis), got input shape "
                         f"{x.shape} and kernel shape {kernel.shape}.")
    strides = spatial_tuple(where, "strides", strides, 2)
    dilation = spatial_tuple(where, "dilation_rate", dilation_rate, 2)
    pads, outs = window_geometry(where, padding, x.shape, kernel.shape, kernel.shape[:2],
                                 strides, dilation)
    xpad = pad_spatial(xp, x, pads)
    n, c, m = x.shape[0], x.shape[-1], kernel.shape[-1]
    out = xp.zeros((n, *outs, c, m), xp.result_type(x, kernel))
    tmp = xp.empty_like(out)
    for tap, sl in taps(outs, kernel.shape[:2], strides, dilation):
        out += xp.multiply(xpad[(slice(None), *sl)][..., None], kernel[tap], out=tmp)
    return out.reshape(n, *outs, c * m), (x, kernel, strides, dilation, pads)


@depthwise_conv2d.backward
def _depthwise_conv2d_backward(xp, g, saved, needs):
    x, kernel, strides, dilation, pads = saved
    c, m = kernel.shape[2], kernel.shape[3]
    outs = g.shape[1:-1]
    g = g.reshape(*g.shape[:-1], c, m)
    if xp is not np:  # create_graph: patches by gather, taps by einsum, col2im by index_add
        index = _patch_index(outs, kernel.shape[:2], strides, dilation)
        dx = dk = None
        if needs[1]:
            patches = xp.pad(x, [(0, 0), *pads, (0, 0)])[index]           # (n, h, w, r, s, c)
            dk = xp.einsum("nhwrsc,nhwcm->rscm", patches, g)
        if needs[0]:
            dcols = xp.einsum("nhwcm,rscm->nhwrsc", g, kernel)
            dx = _uncrop_add(dcols, index, x.shape, pads)
        return dx, dk
    xpad = pad_spatial(xp, x, pads)
    dxpad = xp.zeros(xpad.shape, g.dtype) if needs[0] else None
    dk = xp.empty_like(kernel) if needs[1] else None
    for tap, sl in taps(outs, kernel.shape[:2], strides, dilation):
        idx = (slice(None), *sl)
        if needs[1]:
            dk[tap] = xp.einsum("nhwc,nhwcm->cm", xpad[idx], g)    # dK[tap] = sum x_tap g
        if needs[0]:
            dxpad[idx] += xp.einsum("nhwcm,cm->nhwc", g, kernel[tap])   # dx_tap += g K[tap]
    dx = crop_spatial(dxpad, pads, x.shape[1:-1]) if needs[0] else None
    return dx, dk


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     dilation_rate=1):
    """Depthwise then 1x1 convolution, as Keras' SeparableConv2D (without bias).

    Composite of `depthwise_conv2d` and `conv2d`; its gradient comes from theirs.

    Args:
        x: (batch, height, width, channels).
        depthwise_kernel: (kh, kw, channels, depth_multiplier).
        pointwise_kernel: (1, 1, channels * depth_multiplier, filters).
        strides, padding, dilation_rate: As `depthwise_conv2d` (the pointwise step has none).

    Returns:
        (batch, out_height, out_width, filters).
    """
    mid = depthwise_conv2d(x, depthwise_kernel, strides=strides, padding=padding,
                           dilation_rate=dilation_rate)
    return conv2d(mid, pointwise_kernel)
