"""Inputs of the token layers (Hashing, StringLookup, IntegerLookup, TextVectorization).

deltaw has no string tensors: string inputs are NumPy arrays or (nested) lists of `str` (or
UTF-8 `bytes`), and string outputs are NumPy arrays of `str`. These layers therefore take
their inputs as arrays, unconverted by `Layer.__call__`, and are used eagerly (on data before
`fit`, or as the first step of a model called on arrays).
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.tensor import Tensor

__all__ = ["ArrayInputs", "as_array_input", "as_string_array", "output_spec"]


def as_array_input(inputs) -> np.ndarray:
    """A Tensor's data, or any array-like as a NumPy array (strings as `str`)."""
    if isinstance(inputs, Tensor):
        return inputs.data
    array = np.asarray(inputs)
    if array.dtype.kind in "SO":
        return as_string_array(array)
    return array


def as_string_array(array) -> np.ndarray:
    """An array of `str`: bytes are decoded as UTF-8, other objects are converted with str()."""
    array = np.asarray(array)
    if array.dtype.kind == "U":
        return array
    flat = [item.decode("utf-8") if isinstance(item, bytes) else str(item)
            for item in array.ravel().tolist()]
    return np.array(flat, dtype=str).reshape(array.shape) if flat else \
        np.zeros(array.shape, dtype=str)


class ArrayInputs:
    """Mixin: `Layer.__call__` hands `call` a NumPy array instead of converting to a Tensor."""

    # computes on arrays or draws outside dw ops: a recorded train step cannot stand for later
    # ones (see keras/trainers/compiled_step.py)
    _computes_outside_ops = True

    def _convert_inputs(self, inputs):
        return as_array_input(inputs)


def output_spec(layer, inputs, dtype) -> KerasTensor:
    """The symbolic output of an index-producing layer: its shape, and the dtype it really
    returns (int indices or str tokens), not the layer's float dtype."""
    return KerasTensor(layer.compute_output_shape(tuple(inputs.shape)), dtype)
