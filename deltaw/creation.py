"""Tensor constructors: tensor, zeros, ones, full, zeros_like, ones_like, arange."""

from __future__ import annotations

import numpy as np

from deltaw.dtypes import DEFAULT_FLOAT, as_array
from deltaw.tensor import Tensor


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A new leaf Tensor. Python floats become float32; NumPy arrays keep their dtype.

    Example:
        >>> dw.tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    if isinstance(data, Tensor):
        data = data.data.copy()
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def zeros(shape, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.zeros(shape, dtype or DEFAULT_FLOAT), requires_grad=requires_grad)


def ones(shape, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.ones(shape, dtype or DEFAULT_FLOAT), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    value = as_array(fill_value, dtype=dtype)
    return Tensor(np.full(shape, value, value.dtype), requires_grad=requires_grad)


def zeros_like(x, dtype=None, requires_grad=False) -> Tensor:
    x = x.data if isinstance(x, Tensor) else as_array(x)
    return Tensor(np.zeros_like(x, dtype=dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False) -> Tensor:
    x = x.data if isinstance(x, Tensor) else as_array(x)
    return Tensor(np.ones_like(x, dtype=dtype), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Evenly spaced values as np.arange; float bounds give float32 unless `dtype` is given."""
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        data = data.astype(dtype)
    elif data.dtype == np.float64:
        data = data.astype(DEFAULT_FLOAT)
    return Tensor(data, requires_grad=requires_grad)
