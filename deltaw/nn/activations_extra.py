"""Keras 3's newer activations (keras.ops.nn): celu, glu, hard_tanh, the shrink family,
squareplus, sparse_plus, sparse_sigmoid, sparsemax, log_sigmoid and threshold.

Each is a composite of dw ops (their gradients come from those ops), except `log_sigmoid`, which
reuses the stable `softplus` primitive. They sit in their own module, beside activations.py,
because they need no hand-written backward.
"""

from __future__ import annotations

import numpy as np

from deltaw import ops as _ops
from deltaw._checks import normalize_axis
from deltaw.nn.activations import sigmoid, softplus
from deltaw.tensor import Tensor

__all__ = [
    "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]


def _tensor(x):
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    return Tensor(a if a.dtype.kind == "f" else a.astype(np.float32))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|.

    Example:
        >>> dw.nn.log_sigmoid(dw.tensor([0.0])).numpy().round(4)
        array([-0.6931], dtype=float32)
    """
    return _ops.negative(softplus(_ops.negative(_tensor(x))))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: max(x, 0) + min(0, alpha * (exp(x / alpha) - 1)).

    Gradient: 1 for x > 0, exp(x / alpha) for x < 0 (both 1 at 0, so no kink).

    Example:
        >>> dw.nn.celu(dw.tensor([1.0, 0.0]))
        tensor([1., 0.])
    """
    x = _tensor(x)
    neg = _ops.expm1(_ops.minimum(x, 0.0) / alpha) * alpha
    return _ops.where(x.data > 0, x, neg)


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b), where a and b are the two halves of x along `axis`.

    Raises:
        ValueError: the length of `axis` is odd.

    Example:
        >>> dw.nn.glu(dw.tensor([2.0, 0.0]))
        tensor([1.])
    """
    x = _tensor(x)
    ax = normalize_axis("glu", axis, x.ndim)
    if x.shape[ax] % 2:
        raise ValueError(f"glu: the axis to split must have an even length; expected an even "
                         f"size, got {x.shape[ax]} (axis {axis} of shape {x.shape}).")
    a, b = _ops.split(x, 2, axis=ax)
    return a * sigmoid(b)


def hard_tanh(x):
    """clip(x, -1, 1).

    Gradient: 1 inside (-1, 1), 0 outside; at exactly +-1 it is 1 (dw.clip's convention).

    Example:
        >>> dw.nn.hard_tanh(dw.tensor([-2.0, 0.5, 3.0]))
        tensor([-1. ,  0.5,  1. ])
    """
    return _ops.clip(_tensor(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0.

    Gradient: 1 where |x| > threshold, else 0.

    Example:
        >>> dw.nn.hard_shrink(dw.tensor([-1.0, 0.2, 0.7]))
        tensor([-1. ,  0. ,  0.7])
    """
    x = _tensor(x)
    return _ops.where(np.abs(x.data) > threshold, x, 0.0)


def soft_shrink(x, threshold=0.5):
    """x - threshold where x > threshold, x + threshold where x < -threshold, else 0.

    Gradient: 1 outside [-threshold, threshold], 0 inside.

    Example:
        >>> dw.nn.soft_shrink(dw.tensor([-1.0, 0.2, 0.75]))
        tensor([-0.5 ,  0.  ,  0.25])
    """
    x = _tensor(x)
    shrunk = x - _ops.clip(x, -threshold, threshold)
    return _ops.where(np.abs(x.data) > threshold, shrunk, 0.0)


def tanh_shrink(x):
    """x - tanh(x).

    Example:
        >>> dw.nn.tanh_shrink(dw.tensor([0.0]))
        tensor([0.])
    """
    x = _tensor(x)
    return x - _ops.tanh(x)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2, a smooth ReLU (b >= 0).

    Example:
        >>> dw.nn.squareplus(dw.tensor([0.0]))
        tensor([1.])
    """
    if b < 0:
        raise ValueError(f"squareplus: b must be non-negative; expected b >= 0, got {b!r}.")
    x = _tensor(x)
    return (x + _ops.sqrt(_ops.square(x) + b)) * 0.5


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1 (a once-differentiable ReLU).

    Example:
        >>> dw.nn.sparse_plus(dw.tensor([-2.0, 0.0, 2.0]))
        tensor([0.  , 0.25, 2.  ])
    """
    x = _tensor(x)
    mid = _ops.square(_ops.clip(x, -1.0, 1.0) + 1.0) * 0.25
    return _ops.where(x.data >= 1, x, mid)


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1.

    Gradient: 1/2 inside (-1, 1), 0 outside; at exactly +-1 it is 1/2 (dw.clip's convention).

    Example:
        >>> dw.nn.sparse_sigmoid(dw.tensor([-2.0, 0.0, 2.0]))
        tensor([0. , 0.5, 1. ])
    """
    return (_ops.clip(_tensor(x), -1.0, 1.0) + 1.0) * 0.5


def threshold(x, threshold, default_value):  # noqa: A002 - Keras' argument name
    """x where x > threshold, else `default_value`.

    Gradient: 1 where x > threshold, 0 elsewhere.

    Example:
        >>> dw.nn.threshold(dw.tensor([1.0, 3.0]), 2.0, 0.0)
        tensor([0., 3.])
    """
    x = _tensor(x)
    return _ops.where(x.data > threshold, x, _ops.astype(_tensor(default_value), x.dtype))


def sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of x onto the simplex.

    out = max(x - tau, 0), where tau is chosen along `axis` so that the outputs sum to 1. The
    support (which entries are positive) is found on the data; tau is then the differentiable
    (sum of x over the support - 1) / |support|, so the gradient is the projection's Jacobian.

    Example:
        >>> dw.nn.sparsemax(dw.tensor([0.0, 2.0]))
        tensor([0., 1.])
    """
    x = _tensor(x)
    ax = normalize_axis("sparsemax", axis, x.ndim)
    z = np.moveaxis(x.data, ax, -1)
    zs = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    bound = 1 + k * zs > np.cumsum(zs, axis=-1)
    size = bound.sum(axis=-1, keepdims=True)  # the support holds the `size` largest entries
    kth = np.take_along_axis(zs, size - 1, axis=-1)
    support = np.moveaxis(z >= kth, -1, ax)
    count = np.moveaxis(size, -1, ax).astype(x.dtype)
    tau = (_ops.sum(_ops.where(support, x, 0.0), axis=ax, keepdims=True) - 1.0) / count
    return _ops.maximum(x - tau, 0.0)
