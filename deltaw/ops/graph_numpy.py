"""The NumPy-named namespace backward rules get as `xp` under create_graph (engine.py's docstring).

Each name is the dw op of the same name, so a rule written as `xp.where(mask, g, 0)` records a
node when it runs on Tensors. Installed once into `deltaw.autograd.higher_order.graph_numpy`
(the engine sits below the ops and cannot import them).
"""

from __future__ import annotations

import types

import numpy as np

from deltaw import creation
from deltaw.autograd import higher_order
from deltaw.ops import (
    arithmetic,
    decompositions,
    linalg,
    reduction,
    selection,
    shape,
    trigonometric,
    unary,
)
from deltaw.tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _einsum(subscripts, *operands, optimize=False):
    return linalg.einsum(subscripts, *operands)  # the path search is the forward's business


def _isfinite(x):
    return np.isfinite(_data(x))  # a mask: a constant of the backward pass


def _logical_and(a, b):
    return np.logical_and(_data(a), _data(b))  # masks: constants of the backward pass


def _copysign(x1, x2):
    # |x1| with the sign of x2: the sign is a constant of the backward pass
    return unary.abs(x1) * np.where(np.signbit(_data(x2)), -1.0, 1.0).astype(_data(x1).dtype)


def _triangle(lower):
    def triangle(a, k=0):
        # a constant mask of the lower (upper) triangle of the last two axes
        n, m = a.shape[-2:]
        mask = np.tril(np.ones((n, m), bool), k) if lower else np.triu(np.ones((n, m), bool), k)
        return a * mask
    return triangle


def _eye(n, m=None, k=0, dtype=float):
    return Tensor._from_op(np.eye(n, m, k, dtype=dtype), None)


def _zeros(shape, dtype=None):
    return creation.zeros(shape, dtype=dtype)


def _ones(shape, dtype=None):
    return creation.ones(shape, dtype=dtype)


def _full(shape, fill_value, dtype=None):
    return creation.full(shape, fill_value, dtype=dtype)


def _like(fill):
    def like(x, dtype=None):
        arr = _data(x)
        return Tensor._from_op(np.full_like(arr, fill, dtype=dtype), None)
    return like


def _cumprod(x, axis=None):
    return reduction.cumprod(x, axis)


def _cumsum(x, axis=None):
    return reduction.cumsum(x, axis)


FUNCTIONS = {
    # element-wise
    "add": arithmetic.add, "subtract": arithmetic.subtract, "multiply": arithmetic.multiply,
    "divide": arithmetic.divide, "power": arithmetic.power, "negative": arithmetic.negative,
    "maximum": arithmetic.maximum, "minimum": arithmetic.minimum,
    "exp": unary.exp, "log": unary.log, "log1p": unary.log1p, "expm1": unary.expm1,
    "sqrt": unary.sqrt, "square": unary.square, "abs": unary.abs, "sign": unary.sign,
    "tanh": unary.tanh, "sin": unary.sin, "cos": unary.cos, "tan": trigonometric.tan,
    "sinh": trigonometric.sinh, "cosh": trigonometric.cosh, "arctan": trigonometric.arctan,
    "where": selection.where, "clip": selection.clip, "isfinite": _isfinite,
    "logical_and": _logical_and, "copysign": _copysign,
    # reductions
    "sum": reduction.sum, "mean": reduction.mean, "max": reduction.max, "min": reduction.min,
    "cumsum": _cumsum, "cumprod": _cumprod,
    # shape
    "reshape": shape.reshape, "transpose": shape.transpose, "swapaxes": shape.swapaxes,
    "moveaxis": shape.moveaxis, "expand_dims": shape.expand_dims, "squeeze": shape.squeeze,
    "broadcast_to": shape.broadcast_to, "concatenate": shape.concatenate, "stack": shape.stack,
    "pad": shape.pad, "flip": shape.flip, "tile": shape.tile, "repeat": shape.repeat,
    # linear algebra
    "matmul": linalg.matmul, "einsum": _einsum,
    "tril": _triangle(True), "triu": _triangle(False),
    "linalg": types.SimpleNamespace(inv=decompositions.inv, solve=decompositions.solve),
    # creation: constants of the backward pass
    "eye": _eye,
    "zeros": _zeros, "ones": _ones, "full": _full, "zeros_like": _like(0), "ones_like": _like(1),
    "inf": np.inf, "nan": np.nan, "newaxis": None,
}

higher_order.install(**FUNCTIONS)
