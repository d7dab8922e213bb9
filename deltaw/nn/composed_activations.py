"""Activations composed of dw ops: Keras 3's celu, glu, hard_shrink, hard_tanh, log_sigmoid,
soft_shrink, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink and threshold.

None needs a hand-written backward; each gradient comes from the ops it is made of. Piecewise
functions use `where`/`clip`/`maximum`, whose gradient at a breakpoint follows the op's own
convention (stated per function on a "Gradient:" line).
"""

from __future__ import annotations

import numpy as np

from deltaw import ops
from deltaw.nn.activations import sigmoid, softplus
from deltaw.tensor import Tensor

__all__ = [
    "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]


def _tensor(x):
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def celu(x, alpha=1.0):
    """`max(x, 0) + alpha * expm1(min(x, 0) / alpha)` (continuously differentiable ELU).

    Example:
        >>> dw.nn.celu(dw.tensor([-1.0, 2.0])).numpy().round(4)
        array([-0.6321,  2.    ], dtype=float32)
    """
    x = _tensor(x)
    return ops.maximum(x, 0.0) + alpha * ops.expm1(ops.minimum(x, 0.0) / alpha)


def glu(x, axis=-1):
    """Gated linear unit: `a * sigmoid(b)` where `a, b` are the halves of `x` along `axis`.

    Raises:
        ValueError: when the size of `axis` is odd.

    Example:
        >>> dw.nn.glu(dw.tensor([1.0, 2.0, 0.0, 0.0])).numpy()
        array([0.5, 1. ], dtype=float32)
    """
    x = _tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even; got shape {x.shape}.")
    a, b = ops.split(x, 2, axis=axis)
    return a * sigmoid(b)


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0.

    Example:
        >>> dw.nn.hard_shrink(dw.tensor([-1.0, 0.3, 0.7])).numpy()
        array([-1. ,  0. ,  0.7], dtype=float32)
    """
    x = _tensor(x)
    return ops.where(np.abs(x.data) > threshold, x, 0.0)


def hard_tanh(x):
    """`clip(x, -1, 1)`.

    Gradient: clip's convention at -1 and 1.

    Example:
        >>> dw.nn.hard_tanh(dw.tensor([-2.0, 0.5, 3.0])).numpy()
        array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return ops.clip(_tensor(x), -1.0, 1.0)


def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, finite for large |x|.

    Example:
        >>> dw.nn.log_sigmoid(dw.tensor([0.0, -100.0])).numpy().round(4)
        array([  -0.6931, -100.    ], dtype=float32)
    """
    return -softplus(-_tensor(x))


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0.

    Example:
        >>> dw.nn.soft_shrink(dw.tensor([-1.0, 0.3, 0.75])).numpy()
        array([-0.5 ,  0.  ,  0.25], dtype=float32)
    """
    x = _tensor(x)
    d = x.data
    return ops.where(d > threshold, x - threshold, ops.where(d < -threshold, x + threshold, 0.0))


def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1` (a smooth
    softplus with compact support).

    Example:
        >>> dw.nn.sparse_plus(dw.tensor([-2.0, 0.0, 2.0])).numpy()
        array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = _tensor(x)
    d = x.data
    return ops.where(d <= -1, 0.0, ops.where(d < 1, ops.square(x + 1.0) * 0.25, x))


def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` in between, 1 for `x >= 1`.

    Gradient: 0 at -1 and 1.

    Example:
        >>> dw.nn.sparse_sigmoid(dw.tensor([-2.0, 0.0, 0.5])).numpy()
        array([0.  , 0.5 , 0.75], dtype=float32)
    """
    x = _tensor(x)
    d = x.data
    return ops.where(d <= -1, 0.0, ops.where(d >= 1, 1.0, (x + 1.0) * 0.5))


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2` (a softplus made of square roots).

    Example:
        >>> dw.nn.squareplus(dw.tensor([0.0, 1.5])).numpy()
        array([1., 2.], dtype=float32)
    """
    if b < 0:  # sqrt(x**2 + b) would be nan near 0: say so instead
        raise ValueError(f"squareplus: b must be non-negative; got b={b}.")
    x = _tensor(x)
    return (x + ops.sqrt(ops.square(x) + b)) / 2.0


def tanh_shrink(x):
    """`x - tanh(x)`.

    Example:
        >>> dw.nn.tanh_shrink(dw.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.2384], dtype=float32)
    """
    x = _tensor(x)
    return x - ops.tanh(x)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`.

    Example:
        >>> dw.nn.threshold(dw.tensor([0.5, 2.0]), 1.0, -1.0).numpy()
        array([-1.,  2.], dtype=float32)
    """
    x = _tensor(x)
    return ops.where(x.data > threshold, x, default_value)


def sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of `x` onto the
    probability simplex along `axis`, `max(x - tau, 0)`, where tau makes the result sum to 1.

    The support (which entries stay positive) is found on the values; tau is then computed
    from the entries of the support with dw ops, so the gradient is sparsemax's Jacobian.

    Differs from Keras 3.15, whose tau is `(sum of the cumulative sums over the support - 1)
    / k` instead of `(cumulative sum at k - 1) / k`: the two agree when one entry dominates
    (k = 1); otherwise Keras' output does not sum to 1, and deltaw keeps the definition.

    Example:
        >>> dw.nn.sparsemax(dw.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])).numpy().round(4)
        array([[0.    , 1.    , 0.    ],
               [0.3333, 0.3333, 0.3333]], dtype=float32)
    """
    x = _tensor(x)
    d = x.data
    ordered = -np.sort(-d, axis=axis)
    cumsum = np.cumsum(ordered, axis=axis)
    shape = [1] * d.ndim
    shape[axis] = -1
    rank = np.arange(1, d.shape[axis] + 1).reshape(shape)
    k = np.sum(ordered - (cumsum - 1) / rank > 0, axis=axis, keepdims=True)
    tau = (np.take_along_axis(cumsum, k - 1, axis=axis) - 1) / k
    support = d > tau
    tau_t = (ops.sum(ops.where(support, x, 0.0), axis=axis, keepdims=True) - 1.0) / \
        k.astype(d.dtype)
    return ops.maximum(x - tau_t, 0.0)
