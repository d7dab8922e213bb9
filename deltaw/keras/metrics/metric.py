"""The Metric base class and the reduction metrics (Mean, Sum, MeanMetricWrapper).

Metrics are stateful: `update_state(y_true, y_pred, sample_weight=None)` accumulates,
`result()` reads (a Python float, or a NumPy array for metrics with several thresholds) and
`reset_state()` clears. State lives in float64 Variables (Keras uses float32; float64 keeps long
epochs exact) and everything runs on NumPy arrays under `no_grad`: predictions may be Tensors.
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd.mode import no_grad
from deltaw.keras.utils import _auto_name
from deltaw.tensor import Tensor, Variable

__all__ = ["Mean", "MeanMetricWrapper", "Metric", "Sum"]

_NUMPY_FUNCTIONS: set = set()  # ids of metric functions marked by numpy_function


def numpy_function(fn):
    """Mark a metric function as pure NumPy (it records no dw op), so `MeanMetricWrapper` calls
    it without entering `no_grad`, which costs more than the function itself on a small batch."""
    _NUMPY_FUNCTIONS.add(id(fn))
    return fn


def as_array(x, dtype=None) -> np.ndarray:
    """A NumPy array from a Tensor, array or list (no copy when possible)."""
    arr = x.data if isinstance(x, Tensor) else np.asarray(x)
    return arr if dtype is None else arr.astype(dtype, copy=False)


def squeeze_or_expand(x1: np.ndarray, x2: np.ndarray, expand_rank_1=True):
    """Keras' `squeeze_or_expand_to_same_rank` on arrays: ranks differing by a trailing 1."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 and expand_rank_1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 and expand_rank_1 else (x1, x2[..., 0])
    return x1, x2


def divide_no_nan(a, b):
    """a / b, with 0 where b == 0 (no warning)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    np.divide(a, b, out=out, where=b != 0)
    return out


def to_result(x):
    """A Python float for a scalar result, else the array."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x


class Metric:
    """Base class of the Keras metrics.

    Subclasses create their state with `add_variable` in `__init__` and implement
    `update_state`, `result` (and `reset_state` when zeros are not the initial state).

    Args:
        name: Defaults to the snake-case class name ('precision', then 'precision_1', ...).
        dtype: Reported dtype. Defaults to "float32"; the state is kept in float64.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self.dtype = np.dtype(dtype).name if dtype is not None else "float32"
        self._variables: list[Variable] = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None) -> Variable:
        """A state Variable of zeros (or ones / a constant value), tracked for reset_state."""
        value = {"zeros": 0.0, "ones": 1.0}.get(initializer, initializer)
        var = Variable(np.full(shape, value, dtype=dtype or np.float64), trainable=False,
                       name=name)
        self._variables.append(var)
        return var

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def reset_state(self) -> None:
        for v in self._variables:
            v.data[...] = 0
            v._version += 1

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: update_state is not implemented.")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__}: result is not implemented.")

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result (as a Keras metric called directly)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def reduce_to_samplewise(values, sample_weight, reduce_fn):
    """Keras' `reduce_to_samplewise_values`: one value (and weight) per sample."""
    values = as_array(values, np.float64)
    if sample_weight is not None:
        sw = as_array(sample_weight, np.float64)
        values, sw = squeeze_or_expand(values, sw)
        weight_ndim = sw.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sw = np.broadcast_to(sw, values.shape)
        values = values * sw
        if weight_ndim > 1:
            sw = reduce_fn(sw, axis=tuple(range(1, weight_ndim)))
        sample_weight = sw
    if values.ndim > 1:
        if values.size == len(values):  # one value per sample already: (batch, 1, ...)
            values = values.reshape(len(values))
        else:
            values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values passed to `update_state(values, sample_weight=None)`.

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise(values, sample_weight, np.sum)
        self.total.data += values.sum()

    def result(self):
        return float(self.total.data)


class Mean(Metric):
    """The (weighted) mean of the values passed to `update_state(values, sample_weight=None)`.

    Values of shape `(batch, ...)` are first averaged per sample; the mean is over samples.

    Example:
        >>> m = Mean()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise(values, sample_weight, np.mean)
        self.total.data += values.sum()
        if sample_weight is not None:
            self.count.data += np.sum(sample_weight)
        else:
            self.count.data += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        total, count = self.total.data, self.count.data
        if total.ndim == 0 and count.ndim == 0:  # the usual case, in Python floats
            count = float(count)
            return float(total) / count if count else 0.0
        return to_result(divide_no_nan(total, count))


class MeanMetricWrapper(Mean):
    """The mean over samples of `fn(y_true, y_pred, **kwargs)` (per-sample values).

    `fn` may return an array or a Tensor; it runs under `no_grad`.

    Args:
        fn: The metric function.
        name: Defaults to `fn.__name__`.
        dtype: As Metric.
        **kwargs: Passed to `fn`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        if id(self._fn) in _NUMPY_FUNCTIONS:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        else:
            with no_grad():
                values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config.update(fn=getattr(self._fn, "__name__", repr(self._fn)), **self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper and isinstance(config.get("fn"), str):
            from deltaw.keras import metrics

            config["fn"] = metrics._FUNCTIONS[config["fn"]]
        return cls(**config)
