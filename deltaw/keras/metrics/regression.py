"""Regression metrics (MSE, MAE, RMSE, MAPE) and the loss-valued probabilistic metrics.

The regression functions are NumPy versions of the Keras losses (means over the last axis, after
aligning a trailing size-1 axis); the cross-entropy metrics evaluate the deltaw.keras.losses
functions under `no_grad`, so metric and loss values agree exactly.
"""

from __future__ import annotations

import warnings

import numpy as np

from deltaw.keras import losses as _losses
from deltaw.keras.metrics.metric import (
    Mean,
    MeanMetricWrapper,
    Metric,
    as_array,
    divide_no_nan,
    numpy_function,
    squeeze_or_expand,
    to_result,
)

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "R2Score", "RootMeanSquaredError",
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




class R2Score(Metric):
    """Coefficient of determination `1 - SS_res / SS_tot` per output column, accumulated over
    batches (Keras 3's R2Score).

    Per column: `SS_res = sum(w * (y_true - y_pred)**2)` and
    `SS_tot = sum(w * y_true**2) - sum(w * y_true)**2 / sum(w)`; a constant column
    (`SS_tot = 0`) scores 0 instead of -inf, or NaN when it is also predicted exactly (0 / 0),
    as in Keras.

    Args:
        class_aggregation: "uniform_average" (default: mean over columns),
            "variance_weighted_average" (weighted by SS_tot) or None (one score per column).
        num_regressors: p > 0 gives the adjusted score `1 - (1 - R2) (n - 1) / (n - p - 1)`,
            with n the number of values seen (falls back to R2, with a warning, when
            n - p - 1 <= 0).
        name, dtype: As Metric.

    Example:
        >>> m = R2Score()
        >>> m.update_state(np.array([[1.], [4.], [3.]]), np.array([[2.], [4.], [4.]]))
        >>> round(m.result(), 4)
        0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: invalid class_aggregation {class_aggregation!r}; "
                             "expected None, 'uniform_average' or 'variance_weighted_average'.")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0; got {num_regressors}.")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError("R2Score: expected 2-D inputs of shape (batch_size, output_dim); "
                             f"got y_true {true_shape} and y_pred {pred_shape}.")
        n = pred_shape[-1]
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        w = np.asarray(1.0 if sample_weight is None else as_array(sample_weight, np.float64))
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, y_true.shape)
        self.sum.data += np.sum(y_true * w, axis=0)
        self.squared_sum.data += np.sum(y_true * y_true * w, axis=0)
        self.total_mse.data += np.sum((y_true - y_pred) ** 2 * w, axis=0)
        self.count.data += np.sum(w, axis=0)
        self.num_samples.data += y_true.size

    def result(self):
        if not self._built:
            return 0.0
        total = self.squared_sum.data - self.sum.data * divide_no_nan(self.sum.data,
                                                                      self.count.data)
        with np.errstate(divide="ignore", invalid="ignore"):  # SS_tot = 0: Keras' 0 below
            raw = 1 - self.total_mse.data / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        n, p = float(self.num_samples.data), self.num_regressors
        if p:
            if p >= n - 1:
                warnings.warn("R2Score: the adjusted score needs num_samples - 1 > "
                              f"num_regressors; got {int(n)} samples and {p} regressors. "
                              "Falling back to the standard R2 score.", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return to_result(score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
