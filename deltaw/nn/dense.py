"""Dense: `activation(x @ kernel + bias)` as one primitive, the math of a fully connected layer.

Fused for speed. As a composite, a dense layer records three ops (matmul, add, activation), so
the engine pays its per-op cost three times forward and three times backward, the bias gradient
goes through the engine's generic broadcast reduction, and the forward makes two temporaries the
size of the output. Here the bias add and the activation run in place on the matmul's result and
the backward is one rule. On small layers (a 10 -> 64 -> 32 -> 1 MLP at batch 32) the engine's
per-op overhead is most of a training step; on large ones the in-place passes save memory traffic.

Only activations whose derivative is cheap from the output are fused: None / 'linear', 'relu',
'sigmoid' and 'tanh' (names, or the `dw.nn` functions themselves). `deltaw.keras.layers.Dense`
calls `dense` for those and falls back to matmul + add + activation for any other.
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.op import primitive
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.nn import _kernels
from deltaw.nn import activations as _act
from deltaw.nn._kernels import dense_numba

__all__ = ["FUSED_ACTIVATIONS", "dense"]

# Every accepted spelling of a fused activation -> its canonical name (None: the identity).
# Keyed by id() for the functions, so a lookup never hashes an arbitrary user callable.
_CANONICAL = {None: None, "linear": None, "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
FUSED_ACTIVATIONS = {id(_act.linear): None, id(_act.relu): "relu", id(_act.sigmoid): "sigmoid",
                     id(_act.tanh): "tanh"}
"""`id(fn) -> name` for the `dw.nn` activation functions `dense` can fuse (the Keras layer's
lookup: `FUSED_ACTIVATIONS.get(id(fn), missing)`)."""


def fused_activation_name(activation, where="dense"):
    """The canonical name of a fusable activation (None for the identity), for the fused op
    `where` (dense, conv2d_bias_activation); ValueError naming `where` for any other."""
    if isinstance(activation, str) or activation is None:
        if activation in _CANONICAL:
            return _CANONICAL[activation]
    elif id(activation) in FUSED_ACTIVATIONS:
        return FUSED_ACTIVATIONS[id(activation)]
    raise ValueError(f"{where}: unsupported activation {activation!r}; expected one of None, "
                     "'linear', 'relu', 'sigmoid', 'tanh' (or the dw.nn function). Hint: apply "
                     f"other activations to {where}(..., activation=None).")


def _check(x, kernel, bias):
    if kernel.ndim != 2:
        raise ValueError(f"dense: kernel must be 2-D (input_dim, units); got shape "
                         f"{kernel.shape}.")
    if x.ndim == 0 or x.shape[-1] != kernel.shape[0]:
        raise ValueError(f"dense: the input's last axis must match the kernel's first axis; "
                         f"expected an input of shape (..., {kernel.shape[0]}), got "
                         f"{x.shape}.")
    if bias is not None and bias.shape != kernel.shape[1:]:
        raise ValueError(f"dense: bias must have one entry per unit; expected shape "
                         f"({kernel.shape[1]},), got {bias.shape}.")


@primitive("dense", nin=-1)
def _dense(xp, *arrays, activation=None):
    x, kernel = arrays[0], arrays[1]
    bias = arrays[2] if len(arrays) == 3 else None
    # one combined test on the common path (2-D input, shapes that fit); _check raises
    if x.ndim != 2 or kernel.ndim != 2 or x.shape[1] != kernel.shape[0] or (
            bias is not None and bias.shape != kernel.shape[1:]):
        _check(x, kernel, bias)
    x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    out = x2 @ kernel  # a fresh array: the bias add and the activation below work in place on it
    if out.dtype.kind != "f":
        out = out.astype(DEFAULT_FLOAT)
    kernels = _compiled(xp, out, bias)
    if kernels is not None and activation in (None, "relu"):
        kernels.bias_act_forward(out, bias, activation == "relu")   # one pass, in place
    elif kernels is not None and activation == "sigmoid" and out.flags.c_contiguous:
        dense_numba.load().bias_sigmoid_forward(out, bias)           # one pass, in place
    else:
        out = bias_activation(xp, out, bias, activation)
    result = out if x.ndim == 2 else out.reshape(x.shape[:-1] + kernel.shape[1:])
    # the output is saved (not the pre-activation): each fused derivative is cheapest from it
    return result, (x2, kernel, out if activation else None, activation, x.shape, x, result)


def bias_activation(xp, out, bias, activation):
    """activation(out + bias), in place where the dtypes allow (NumPy's form; the fused conv
    shares it)."""
    if bias is not None:
        if bias.dtype == out.dtype:
            out += bias
        else:
            out = out + bias  # keep NumPy's type promotion (e.g. a float64 bias)
    if activation == "relu":
        xp.maximum(out, 0, out=out)
    elif activation == "sigmoid":
        out = _act._sigmoid(xp, out)  # the stable form of dw.nn.sigmoid: exp only of -|z|
    elif activation == "tanh":
        xp.tanh(out, out=out)
    return out


@_dense.backward
def _dense_backward(xp, g, saved, needs):
    x2, kernel, out, activation, x_shape, x, result = saved
    if xp is not np:
        return _dense_backward_graph(g, kernel, activation, x, result, needs)
    g = g if g.ndim == 2 else g.reshape(-1, kernel.shape[1])
    gb = None
    kernels = _compiled(xp, g, out if activation else g) if len(needs) == 3 else None
    if kernels is not None and g.flags.c_contiguous:   # derivative and bias sum in one pass
        gb = xp.empty(g.shape[1], g.dtype)
        if activation is None:                          # no derivative: g itself, summed
            dense_numba.load().column_sums(g, gb)
        else:
            gz = xp.empty_like(g)
            dense_numba.load().dense_act_backward(g, out, dense_numba.ACTIVATION_CODES[activation],
                                                  gz, gb)
            g = gz
    else:
        g = activation_derivative(g, out, activation)
    gx = None
    if needs[0]:
        gx = g @ kernel.T  # dL/dx = dL/dz kernel^T
        if gx.shape != x_shape:
            gx = gx.reshape(x_shape)
    gk = x2.T @ g if needs[1] else None  # dL/dkernel = x^T dL/dz, summed over every batch axis
    if len(needs) == 2:
        return gx, gk
    if gb is None and needs[2]:
        # The bias is broadcast inside this op, so summing over the batch is part of its
        # derivative. As ones @ dL/dz: a BLAS dot costs half of NumPy's reduction over axis 0
        # on small batches.
        gb = xp.dot(_ones(xp, g.shape[0], g.dtype), g)
    return gx, gk, gb if needs[2] else None


def _dense_backward_graph(g, kernel, activation, x, result, needs):
    """create_graph: the same derivatives from the op's own input and output Tensors (x and the
    result, not their 2-D views), so that they are differentiated again."""
    units = kernel.shape[1]
    g = activation_derivative(g.reshape(-1, units), result.reshape(-1, units), activation)
    gx = (g @ kernel.T).reshape(x.shape) if needs[0] else None
    gk = x.reshape(-1, x.shape[-1]).T @ g if needs[1] else None
    if len(needs) == 2:
        return gx, gk
    return gx, gk, g.sum(axis=0) if needs[2] else None


def activation_derivative(g, y, activation):
    """dL/dz for y = activation(z), from the output y (NumPy's form; the fused conv shares it)."""
    if activation == "relu":
        return g * (y > 0)  # y' = [z > 0] (0 at z == 0, as dw.nn.relu)
    if activation == "sigmoid":
        return g * y * (1 - y)  # y' = y (1 - y)
    if activation == "tanh":
        return g * (1 - y * y)  # y' = 1 - y^2
    return g


def _compiled(xp, a, b):
    """The numba kernels (deltaw's `fast` extra) for float32 arrays a and b (None: NumPy path).

    float32 only: float64 (gradcheck) keeps the NumPy path, the reference the kernels are
    tested against.
    """
    if xp is not np or b is None or a.dtype != np.float32 or b.dtype != np.float32:
        return None
    return _kernels.get()


_ONES: dict = {}


def _ones(xp, n, dtype):
    """A read-only vector of n ones, kept for reuse (the batch size rarely changes)."""
    key = (xp.__name__, n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = xp.ones(n, dtype=dtype)
        ones.flags.writeable = False
    return ones


def dense(x, kernel, bias=None, activation=None):
    """Fully connected layer: `activation(x @ kernel + bias)`, one fused primitive.

    Fused for speed (see the module docstring): one recorded op instead of three, the bias add
    and the activation in place, one backward rule.

    Gradient: the activation's derivative comes from the output: [y > 0] for relu (0 at 0, as
    `dw.nn.relu`), y (1 - y) for sigmoid, 1 - y^2 for tanh.

    Args:
        x: Tensor of shape `(..., input_dim)`; leading axes are batch axes.
        kernel: Tensor of shape `(input_dim, units)`.
        bias: Optional Tensor of shape `(units,)`.
        activation: None or 'linear' (identity), 'relu', 'sigmoid' or 'tanh', or the
            corresponding `dw.nn` function.

    Returns:
        Tensor of shape `(..., units)`.

    Raises:
        ValueError: the shapes do not fit, or the activation is not one of the fused ones.

    Example:
        >>> x = dw.tensor([[1.0, -2.0]])
        >>> dw.nn.dense(x, dw.tensor([[1.0], [1.0]]), dw.tensor([0.5]), activation="relu")
        tensor([[0.]])
    """
    name = fused_activation_name(activation)
    if bias is None:
        return _dense(x, kernel, activation=name)
    return _dense(x, kernel, bias, activation=name)
