"""Feature-scaling preprocessing layers: Normalization (with `adapt`) and Rescaling.

Both are plain dw arithmetic, so gradients flow through them to their inputs, as in Keras.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from deltaw.keras import backend
from deltaw.keras.layers.layer import Layer
from deltaw.ops import add, astype, divide, maximum, multiply, reshape, sqrt, subtract
from deltaw.tensor import Tensor

__all__ = ["Normalization", "Rescaling"]


def _where(layer) -> str:
    return f"{type(layer).__name__} '{layer.name}'"


def _as_float(layer, inputs):
    return inputs if inputs.data.dtype == layer._np_dtype else astype(inputs, layer._np_dtype)


def _batch_array(batch) -> np.ndarray:
    """One batch of `adapt` data as an array; an (x, y[, sample_weight]) tuple gives x."""
    if isinstance(batch, tuple):
        batch = batch[0]
    return batch.data if isinstance(batch, Tensor) else np.asarray(batch)


def adapt_batches(where, data):
    """`data` (an array, a Tensor, or an iterable of batches) as an iterator of arrays."""
    if isinstance(data, np.ndarray | Tensor):
        return iter([_batch_array(data)])
    if isinstance(data, str | bytes) or not hasattr(data, "__iter__"):
        raise TypeError(f"{where}: adapt expects an array, a Tensor or an iterable of batches; "
                        f"got {type(data).__name__}.")
    batches = map(_batch_array, data)
    first = next(batches, None)
    if first is None:
        raise ValueError(f"{where}: adapt received an empty iterable; expected at least one "
                         "batch.")
    return itertools.chain([first], batches)


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: `(x - mean) / sqrt(variance)`.

    The mean and variance are given (`mean=`, `variance=`) or computed from data by `adapt`.
    The divisor is `max(sqrt(variance), epsilon())` so a constant feature does not divide by
    zero, as in Keras.

    Args:
        axis: The axis or axes that keep their own mean and variance (default -1, the
            features); the others are reduced. None gives one mean and variance for everything.
        mean, variance: Optional values (scalars or arrays broadcast along `axis`); either both
            or neither. Given values are constants, not weights.
        invert: Apply the inverse, `mean + x * sqrt(variance)`.
        **kwargs: Base Layer arguments.

    Weights (only when `mean` is not given, as Keras): non-trainable `mean` and `variance`
    with the kept axes' shape (zeros and ones until `adapt`), and an int `count` (kept at 0,
    as Keras 3, for compatibility with saved files).

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0], [2.0]]))
        >>> layer(np.array([[2.0]])).numpy()
        array([[1.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        where = _where(self)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise ValueError(f"{where}: axis must be None, an int or a tuple of ints; got "
                             f"axis={axis!r}.")
        if (mean is None) != (variance is None):
            raise ValueError(f"{where}: when setting values directly, both mean and variance "
                             f"must be set; got mean={mean!r} and variance={variance!r}.")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"{where}: mean and variance must have the same shape; got "
                                 f"{np.shape(mean)} and {np.shape(variance)}.")
            if np.ndim(mean) > len(axis):
                raise ValueError(f"{where}: the rank of mean must be at most the number of "
                                 f"axes ({len(axis)}); got mean shape {np.shape(mean)} for "
                                 f"axis={axis}.")
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self.mean = self.variance = None
        self.adapt_mean = self.adapt_variance = self.count = None

    def build(self, input_shape):
        where, ndim = _where(self), len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"{where}: every axis must be in [-{ndim}, {ndim}) for inputs of "
                             f"rank {ndim}; got axis={self.axis}.")
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(f"{where}: the kept axes must have known sizes; got input "
                                 f"shape {tuple(input_shape)} with axis={self.axis}.")
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in keep)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            shape = self._mean_and_var_shape
            self.adapt_mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False, dtype="int32")
            return
        self.mean = self._broadcast_given(self.input_mean)
        self.variance = self._broadcast_given(self.input_variance)

    def _broadcast_given(self, value):
        """A given mean or variance aligned right to left with the kept axes, as Keras."""
        value = np.asarray(value, dtype=self._np_dtype)
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            shape[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(shape), self._broadcast_shape).copy()

    def adapt(self, data):
        """Compute the mean and variance of `data` along the reduced axes.

        Args:
            data: An array, a Tensor, or an iterable of batches (arrays, or (x, y) tuples);
                batches are combined exactly (the pooled mean and variance).
        """
        where = _where(self)
        batches = adapt_batches(where, data)
        first = next(batches)
        if not self.built:
            self._maybe_build(first.shape)
        if self.input_mean is not None:
            raise ValueError(f"{where}: adapt cannot change a mean and variance given to the "
                             "constructor; expected mean=None and variance=None.")
        total_mean = total_var = None
        total_count = 0
        for batch in itertools.chain([first], batches):
            if batch.ndim != len(self._build_input_shape) or any(
                    batch.shape[d] != self._build_input_shape[d] for d in self._keep_axis):
                raise ValueError(f"{where}: adapt got a batch of shape {batch.shape}; expected "
                                 f"a shape compatible with {self._build_input_shape}.")
            batch = batch.astype(np.float64)
            mean = batch.mean(axis=self._reduce_axis)
            var = batch.var(axis=self._reduce_axis)
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            # pooled variance: the within-batch and between-batch sums of squares
            total_count += count
            w_new = count / total_count
            new_mean = total_mean * (1 - w_new) + mean * w_new
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w_new)
                         + (var + (mean - new_mean) ** 2) * w_new)
            total_mean = new_mean
        self.adapt_mean.assign(np.asarray(total_mean, self._np_dtype))
        self.adapt_variance.assign(np.asarray(total_var, self._np_dtype))

    def call(self, inputs):
        inputs = _as_float(self, inputs)
        if self.input_mean is None:
            mean = reshape(self.adapt_mean, self._broadcast_shape)
            variance = reshape(self.adapt_variance, self._broadcast_shape)
        else:
            mean, variance = self.mean, self.variance
        scale = maximum(sqrt(variance), backend.epsilon())
        if self.invert:
            return add(mean, multiply(inputs, scale))
        return divide(subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)


def _serialize_number(value):
    if isinstance(value, np.ndarray | list | tuple):
        return np.asarray(value).tolist()
    return value


def _deserialize_number(value):
    """A scale or offset from a config; Keras writes arrays as {'class_name': '__numpy__'}."""
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        return np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
    return value


class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`: `x * scale + offset`.

    Args:
        scale: Float, or an array broadcast against the input (e.g. one value per channel).
        offset: Float or array, added after scaling.
        **kwargs: Base Layer arguments.

    Integer inputs (e.g. uint8 images) are cast to the layer dtype first.

    Example:
        >>> Rescaling(1 / 255)(np.array([[255]], dtype="uint8")).numpy()
        array([[1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        scale, offset = _deserialize_number(scale), _deserialize_number(offset)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{_where(self)}: {name} must be a number or an array of "
                                 f"numbers; got {name}={value!r}.") from None
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self._np_dtype
        scale, offset = np.asarray(self.scale, dtype), np.asarray(self.offset, dtype)
        if scale.ndim > 0 and backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return add(multiply(_as_float(self, inputs), scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _serialize_number(self.scale),
                "offset": _serialize_number(self.offset)}
