"""Regression metrics (MSE, MAE, RMSE, MAPE) and the loss-valued probabilistic metrics.

The regression functions are NumPy versions of the Keras losses (means over the last axis, after
aligning a trailing size-1 axis); the cross-entropy metrics evaluate the deltaw.keras.losses
functions under `no_grad`, so metric and loss values agree exactly.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras import losses as _losses
from deltaw.keras.metrics.metric import (
    Mean,
    MeanMetricWrapper,
    as_array,
    divide_no_nan,
    numpy_function,
    squeeze_or_expand,
    to_result,
)

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "RootMeanSquaredError",
    "SparseCategoricalCrossentropy", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error",
]


def _pair(y_true, y_pred):
    y_pred = as_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    return squeeze_or_expand(as_array(y_true, y_pred.dtype), y_pred)


@numpy_function
def mean_squared_error(y_true, y_pred):
    """Per-sample `mean((y_true - y_pred)**2, axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


@numpy_function
def mean_absolute_error(y_true, y_pred):
    """Per-sample `mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


@numpy_function
def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample `100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)`."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), 1e-7))
    return 100.0 * np.mean(diff, axis=-1)


class MeanSquaredError(MeanMetricWrapper):
    """Mean over samples of `mean((y_true - y_pred)**2, axis=-1)`.

    Example:
        >>> m = MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean over samples of `mean(abs(y_true - y_pred), axis=-1)`.

    Example:
        >>> m = MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean over samples of the mean absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """`sqrt(mean((y_true - y_pred)**2))` over every element seen.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return to_result(np.sqrt(divide_no_nan(self.total.data, self.count.data)))


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean of `keras.losses.binary_crossentropy` over samples (from_logits, label_smoothing)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean of `keras.losses.categorical_crossentropy` over samples."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(_losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean of `keras.losses.sparse_categorical_crossentropy` over samples."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(_losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)
        self.from_logits = from_logits
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "axis": self.axis}


