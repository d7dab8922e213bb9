"""conv2d_bias_activation: `activation(conv2d(x, kernel) + bias)` as one primitive, the math of
Keras' Conv2D layer.

Fused for speed, like `dw.nn.dense`. As a composite, a convolution layer records three ops
(conv2d, add, activation): the bias add and the activation each make a temporary the size of
the output, and the backward pass runs three rules, with the bias gradient going through the
engine's generic broadcast reduction. Here the bias and the activation are applied in place on
the convolution's output, and the backward pass applies the activation's derivative, sums the
bias gradient and computes dx and dkernel in one rule (shared with `conv2d`).

With numba installed (the `fast` extra; see deltaw.nn._kernels) the float path runs the bias
and relu passes as one compiled pass each, forward (in place) and backward (relu's mask and the
bias gradient together), and col2im as one compiled pass; the GEMMs stay NumPy's. The backward
pass hands its derivative to conv_grads block by block, so that for thin columns (a first
layer's 3x3 taps over 1-3 channels) the GEMM reads each block back from cache (see
conv._THIN_COLUMNS).
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.nn import _kernels
from deltaw.nn.conv import _conv_forward, _prepare_conv, conv_grads
from deltaw.nn.dense import activation_derivative, bias_activation, fused_activation_name

__all__ = ["conv2d_bias_activation"]

def _compiled(xp, x, kernel, bias, activation):
    """The numba kernels when this call can use them (float arrays of one dtype), else None."""
    if (xp is not np or x.dtype.kind != "f" or kernel.dtype != x.dtype
            or (bias is not None and bias.dtype != x.dtype) or activation not in (None, "relu")):
        return None
    return _kernels.get()


@primitive("conv2d_bias_activation", nin=-1)
def _conv2d_bias_activation(xp, *arrays, activation=None, strides=1, padding="valid",
                            dilation_rate=1, groups=1):
    x, kernel = arrays[0], arrays[1]
    bias = arrays[2] if len(arrays) == 3 else None
    where = "conv2d_bias_activation"
    strides, dilation, pads, outs = _prepare_conv(where, x, kernel, 2, strides, padding,
                                                  dilation_rate, groups)
    cout = kernel.shape[-1]
    if bias is not None and bias.shape != (cout,):
        raise ValueError(f"{where}: bias must have one entry per filter; expected shape "
                         f"({cout},), got {bias.shape}.")
    kernels = _compiled(xp, x, kernel, bias, activation)
    relu = activation == "relu"
    out, kept = _conv_forward(xp, x, kernel, strides, dilation, pads, outs, groups)
    if out.dtype.kind != "f":
        out = out.astype(DEFAULT_FLOAT)
    if kernels is not None and (bias is not None or relu):
        b = bias if bias is not None else np.zeros(cout, x.dtype)
        kernels.bias_act_forward(out.reshape(-1, cout), b, relu)  # one pass, in place
    else:
        out = bias_activation(xp, out, bias, activation)
    # the output is saved (not the pre-activation): each fused derivative is cheapest from it
    return out, (x, kernel, strides, dilation, pads, groups, out if activation else None,
                 activation, bias is not None, kept)


@_conv2d_bias_activation.backward
def _conv2d_bias_activation_backward(xp, g, saved, needs):
    x, kernel, strides, dilation, pads, groups, y, activation, has_bias, kept = saved
    need_bias = has_bias and needs[2]
    if xp is not np:  # create_graph: the output Tensor is the op's own (y is x-shaped already)
        gz = activation_derivative(g, y, activation)
        dx, dk = conv_grads(xp, gz, x, kernel, strides, dilation, pads, groups, needs[:2])
        db = gz.reshape(-1, g.shape[-1]).sum(axis=0) if need_bias else None
        return (dx, dk) if len(needs) == 2 else (dx, dk, db)
    kernels = (_kernels.get() if xp is np and g.dtype.kind == "f" and g.dtype == x.dtype
               and activation in (None, "relu") else None)
    if kernels is not None and (activation == "relu" or need_bias):
        block, db = _compiled_grad_blocks(kernels, g, y, activation == "relu")
        dx, dk = conv_grads(xp, g, x, kernel, strides, dilation, pads, groups, needs[:2], kept,
                            grad_block=block)
        db = db.sum(axis=0)
    else:
        gz, db = _activation_backward(xp, g, y, activation, need_bias)
        dx, dk = conv_grads(xp, gz, x, kernel, strides, dilation, pads, groups, needs[:2],
                            kept)
    if len(needs) == 2:
        return dx, dk
    # the bias is broadcast inside this op, so its sum over batch and pixels is part of the rule
    return dx, dk, db.astype(g.dtype, copy=False) if need_bias else None


def _partials(kernels, n):
    """How many per-worker partial sums a parallel reduction kernel uses."""
    return max(1, min(n // 64, kernels.threads())) if kernels.parallel else 1


def _compiled_grad_blocks(kernels, g, y, relu):
    """(grad_block, db_part) for conv_grads: grad_block(a, b) runs the compiled pass (relu's
    mask from the saved output y, and the bias sum into db_part's float64 rows) over batch
    items a:b, into one reused buffer; conv_grads consumes each block before asking for the
    next, so the block is still in cache for its GEMMs."""
    cout = g.shape[-1]
    gc = np.ascontiguousarray(g)
    yc = gc if y is None else y
    db = np.zeros((_partials(kernels, gc.size // cout), cout))   # float64 partial sums
    buf = np.empty(0, g.dtype)

    def grad_block(a, b):
        nonlocal buf
        ga = gc[a:b].reshape(-1)
        if buf.size < ga.size:
            buf = np.empty(ga.size, g.dtype)
        gz = buf[:ga.size]
        kernels.act_bias_backward(ga, yc[a:b].reshape(-1), relu, gz, db)
        return gz.reshape(-1, cout)
    return grad_block, db


def _activation_backward(xp, g, y, activation, need_bias):
    """(dL/dz, dL/dbias or None) for z = conv + bias and the saved output y = act(z)."""
    gz = activation_derivative(g, y, activation)
    db = gz.reshape(-1, g.shape[-1]).sum(axis=0) if need_bias else None
    return gz, db


def conv2d_bias_activation(x, kernel, bias=None, activation=None, strides=1, padding="valid",
                           dilation_rate=1, groups=1):
    """`activation(conv2d(x, kernel, ...) + bias)`, one fused primitive (Keras' Conv2D math).

    Fused for speed (see the module docstring): one recorded op instead of three, the bias add
    and the activation in place, one backward rule; compiled kernels when numba is installed.

    Gradient: as `conv2d` for x and kernel; the activation's derivative comes from the output:
    [y > 0] for relu (0 at 0, as `dw.nn.relu`), y (1 - y) for sigmoid, 1 - y^2 for tanh.

    Args:
        x: (batch, height, width, channels).
        kernel: (kh, kw, channels // groups, filters), as Keras' Conv2D stores it.
        bias: Optional (filters,).
        activation: None or 'linear' (identity), 'relu', 'sigmoid' or 'tanh', or the
            corresponding `dw.nn` function.
        strides, padding, dilation_rate, groups: As `dw.nn.conv2d`.

    Returns:
        (batch, out_height, out_width, filters).

    Raises:
        ValueError: as `conv2d`, a bias that is not (filters,), or an activation that is not
            one of the fused ones.

    Example:
        >>> x = dw.tensor(np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1))
        >>> k = dw.ones((2, 2, 1, 1))
        >>> dw.nn.conv2d_bias_activation(x, k, dw.tensor([-10.0]), "relu").numpy()[0, :, :, 0]
        array([[ 0.,  2.],
               [10., 14.]], dtype=float32)
    """
    name = fused_activation_name(activation, "conv2d_bias_activation")
    kw = dict(activation=name, strides=strides, padding=padding, dilation_rate=dilation_rate,
              groups=groups)
    if bias is None:
        return _conv2d_bias_activation(x, kernel, **kw)
    return _conv2d_bias_activation(x, kernel, bias, **kw)
