"""CategoryEncoding, and the one encoder of integer indices that the index-producing layers
(Discretization, Hashing, the lookups, TextVectorization) share for their `output_mode`.

The outputs are integer or one-hot arrays: nothing is differentiated (as in Keras).
"""

from __future__ import annotations

import numbers

import numpy as np

from deltaw.keras.layers.layer import Layer
from deltaw.tensor import Tensor

__all__ = ["CategoryEncoding", "encode_categorical", "encoded_shape"]

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def _one_hot(indices, depth, dtype):
    # indices outside [0, depth) give all-zero rows (as Keras' one_hot)
    return (indices[..., None] == np.arange(depth)).astype(dtype)


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None) -> np.ndarray:
    """Integer `indices` (an array) encoded as Keras' `output_mode`.

    'int' returns them cast to `dtype`; 'one_hot' encodes each index (a trailing axis of size
    1 is replaced by the encoding); 'multi_hot' and 'count' mark, or count, the indices of each
    sample (along axis 1 of a batch, axis 0 of a single sample), optionally weighted by
    `count_weights` (count only).
    """
    indices = np.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return _one_hot(indices, depth, dtype)
    axis = 1 if indices.ndim > 1 else 0
    encoded = _one_hot(indices, depth, dtype)
    if output_mode == "multi_hot":
        return encoded.max(axis=axis)
    if count_weights is not None:
        encoded = encoded * np.asarray(count_weights)[..., None]
    return encoded.sum(axis=axis)


def encoded_shape(input_shape, output_mode, depth) -> tuple:
    """The shape `encode_categorical` gives for `input_shape` (Keras' compute_output_shape)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if input_shape[-1] == 1 and len(input_shape) > 1:
            return (*input_shape[:-1], depth)
        return (*input_shape, depth)
    return (*input_shape[:-1], depth)


def check_output_mode(where, output_mode, allowed) -> str:
    if output_mode not in allowed:
        raise ValueError(f"{where}: output_mode must be one of {allowed}; got "
                         f"output_mode={output_mode!r}.")
    return output_mode


def check_not_sparse(where, sparse) -> None:
    if sparse:
        raise ValueError(f"{where}: sparse=True is not supported (deltaw has no sparse "
                         "tensors); expected sparse=False.")


def as_index_array(inputs) -> np.ndarray:
    return inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)


class CategoryEncoding(Layer):
    """Encodes integer indices in [0, num_tokens) as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: The number of categories (the output's last axis).
        output_mode: 'multi_hot' (default; 'binary' is an alias), 'one_hot' or 'count'.
        sparse: Only False (deltaw has no sparse tensors).
        **kwargs: Base Layer arguments.

    Call arguments:
        inputs: Integer indices: `(batch,)`, `(batch, k)` or a scalar.
        count_weights: Optional weights of the same shape, summed instead of ones in
            'count' mode.

    Output: float (layer dtype) encodings; not differentiable (integer inputs).

    Example:
        >>> CategoryEncoding(4, output_mode="count")(np.array([[0, 1, 1]])).numpy()
        array([[1., 2., 0., 0.]], dtype=float32)
    """

    # computes on arrays or draws outside dw ops: a recorded train step cannot stand for later
    # ones (see keras/trainers/compiled_step.py)
    _computes_outside_ops = True

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        where = f"CategoryEncoding '{self.name}'"
        if output_mode == "binary":
            output_mode = "multi_hot"
        check_output_mode(where, output_mode, OUTPUT_MODES)
        check_not_sparse(where, sparse)
        if num_tokens is None:
            raise ValueError(f"{where}: num_tokens must be set; got None. Hint: use "
                             "IntegerLookup when the number of tokens is not known.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, numbers.Integral) or \
                num_tokens < 1:
            raise ValueError(f"{where}: num_tokens must be an int >= 1; got "
                             f"num_tokens={num_tokens!r}.")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs, count_weights=None):
        where = f"CategoryEncoding '{self.name}'"
        indices = as_index_array(inputs)
        if indices.dtype.kind not in "iuf":
            raise ValueError(f"{where}: expected integer indices; got dtype {indices.dtype}.")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_tokens):
            raise ValueError(f"{where}: every index must be in [0, {self.num_tokens}); got "
                             f"values in [{indices.min()}, {indices.max()}].")
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{where}: count_weights is used only with output_mode='count'; "
                             f"got output_mode={self.output_mode!r}.")
        if count_weights is not None:
            count_weights = as_index_array(count_weights).astype(self._np_dtype)
        return Tensor(encode_categorical(indices.astype(np.int64), self.output_mode,
                                         self.num_tokens, self._np_dtype, count_weights))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}
