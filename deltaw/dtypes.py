"""Dtype rules: float32 by default, and a Python scalar never upcasts a tensor.

Every conversion of user input into an array goes through `as_array`.
"""

from __future__ import annotations

import numbers

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

DEFAULT_FLOAT = float32


def as_array(value, dtype=None, like=None) -> np.ndarray:
    """Convert user input to an ndarray following deltaw's dtype rules.

    - an explicit `dtype` wins;
    - ndarrays keep their dtype (float64 stays float64);
    - a Python scalar takes the dtype of `like` when `like` is floating, so `x * 0.5` stays float32;
    - other Python floats and float lists become float32; ints stay integer, bools stay bool.
    """
    if dtype is not None:
        return np.asarray(value, dtype=dtype)
    kind = type(value)
    if kind is float or kind is int:  # checked by type first: this runs for every `x * 0.5`
        if like is not None and (like.kind == "f" or (kind is int and like.kind in "iu")):
            return like.type(value)  # a NumPy scalar: cheaper than a 0-d array, same promotion
        return np.asarray(value, dtype=DEFAULT_FLOAT if kind is float else None)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic | bool):
        return np.asarray(value)
    if isinstance(value, numbers.Real):  # float and int subclasses
        return as_array(float(value) if isinstance(value, float) else int(value), like=like)
    arr = np.asarray(value)
    if arr.dtype == float64:
        return arr.astype(DEFAULT_FLOAT)
    if arr.dtype == object:
        raise TypeError(f"tensor: cannot convert {type(value).__name__} of objects to a numeric "
                        f"array; got {_preview(value)}.")
    return arr


def _preview(value, limit=60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
