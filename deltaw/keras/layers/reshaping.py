"""Reshaping layers: Flatten, Reshape, Permute and RepeatVector. All keep the batch axis."""

from __future__ import annotations

import math
import numbers

from deltaw.keras import backend
from deltaw.keras.layers.input_spec import InputSpec
from deltaw.keras.layers.layer import Layer
from deltaw.ops import expand_dims, repeat, reshape, transpose

__all__ = ["Flatten", "Permute", "RepeatVector", "Reshape"]


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(batch, d1, d2, ...)` -> `(batch, d1*d2*...)`.

    Args:
        data_format: 'channels_last' (default, from `backend.image_data_format()`) or
            'channels_first'; with 'channels_first', inputs of rank >= 3 have their channel axis
            moved last before flattening, so the result matches a channels_last model's.
        **kwargs: Base Layer arguments.

    Input shape:
        `(batch, ...)`; a rank-1 input `(batch,)` gives `(batch, 1)`.

    Example:
        >>> Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Flatten '{self.name}': data_format must be 'channels_last' or "
                             f"'channels_first'; got {data_format!r}.")

    def call(self, inputs):
        rank = inputs.ndim
        if self.data_format == "channels_first" and rank > 2:
            inputs = transpose(inputs, (0, *range(2, rank), 1))
        return reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape`; the batch axis is kept.

    Args:
        target_shape: Tuple of ints, the shape of one sample. One entry may be -1: it is
            inferred from the number of elements per sample.
        **kwargs: Base Layer arguments.

    Raises:
        ValueError: at construction for a malformed target; at call time when a sample's
            element count does not fit the target (naming the layer and both shapes).

    Example:
        >>> Reshape((3, -1))(np.zeros((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        where = f"Reshape '{self.name}'"
        try:
            shape = (int(target_shape),) if isinstance(target_shape, int) else tuple(
                int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: target_shape must be a tuple of ints; got "
                             f"{target_shape!r}.") from None
        if shape.count(-1) > 1 or any(d == 0 or d < -1 for d in shape):
            raise ValueError(f"{where}: target_shape must have positive sizes and at most one "
                             f"-1; got {shape}.")
        self.target_shape = shape

    def _resolve(self, input_shape) -> tuple:
        """The target with -1 filled in for samples of shape `input_shape[1:]`."""
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size, known = math.prod(rest), math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                self._mismatch(input_shape, size)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            self._mismatch(input_shape, size)
        return self.target_shape

    def _mismatch(self, input_shape, size):
        raise ValueError(f"Reshape '{self.name}': cannot reshape an input of shape "
                         f"{tuple(input_shape)} to target shape {self.target_shape}; expected a "
                         f"target that holds the {size} elements of each sample.")

    def call(self, inputs):
        return reshape(inputs, (inputs.shape[0], *self._resolve(inputs.shape)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(input_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the axes of each sample: `dims` is a permutation of 1..rank-1.

    Args:
        dims: Tuple of ints, 1-based (the batch axis is 0 and stays first); e.g. `(2, 1)` swaps
            the two axes of a `(batch, steps, features)` input.
        **kwargs: Base Layer arguments.

    Example:
        >>> Permute((2, 1))(np.zeros((2, 3, 4))).shape
        (2, 4, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            self.dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise ValueError(f"Permute '{self.name}': dims must be a tuple of ints; got "
                             f"dims={dims!r}.") from None
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute '{self.name}': dims must be a permutation of 1..{len(dims)}"
                             f" (the batch axis 0 is not permuted); got dims={dims!r}.")

    def _check(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': expected an input of rank "
                             f"{len(self.dims) + 1} for dims={self.dims}; got input shape "
                             f"{tuple(input_shape)}.")

    def call(self, inputs):
        self._check(inputs.shape)
        return transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: `(batch, n, features)`.

    Args:
        n: Positive int, the number of repetitions.
        **kwargs: Base Layer arguments.

    Example:
        >>> RepeatVector(3)(np.zeros((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"RepeatVector '{self.name}': n must be an int; got n={n!r}.")
        if n <= 0:
            raise ValueError(f"RepeatVector '{self.name}': n must be a positive int; got n={n}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return repeat(expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
