"""Accuracy metrics: how often predictions match labels (Keras 3 semantics).

Each metric is the mean over samples of a per-sample function (also exported, as Keras does):
`binary_accuracy` thresholds probabilities, `categorical_accuracy` compares arg-maxes of one-hot
labels, `sparse_categorical_accuracy` compares integer labels with the arg-max, and the top-k
variants check whether the label is among the k largest scores (ties at the k-th value count as
inside, as Keras' `in_top_k`).
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.metrics.metric import (
    MeanMetricWrapper,
    as_array,
    numpy_function,
    squeeze_or_expand,
)

__all__ = [
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


@numpy_function
def accuracy(y_true, y_pred):
    """1.0 where `y_pred == y_true` (after aligning a trailing size-1 axis), else 0.0."""
    y_pred = as_array(y_pred)
    y_true, y_pred = squeeze_or_expand(as_array(y_true, y_pred.dtype), y_pred)
    return (y_true == y_pred).astype(np.float32)


@numpy_function
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold) == y_true`, else 0.0."""
    y_true, y_pred = squeeze_or_expand(as_array(y_true), as_array(y_pred))
    return (y_true == (y_pred > threshold).astype(y_true.dtype)).astype(np.float32)


@numpy_function
def categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_pred, -1) == argmax(y_true, -1)` (one-hot labels), else 0.0."""
    return (np.argmax(as_array(y_true), axis=-1)
            == np.argmax(as_array(y_pred), axis=-1)).astype(np.float32)


@numpy_function
def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_pred, -1) == y_true` (integer labels, shape (n,) or (n, 1))."""
    y_pred, y_true = as_array(y_pred), as_array(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    matches = (y_true == np.argmax(y_pred, axis=-1)).astype(np.float32)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target's score is >= the k-th largest score of its row (ties count)."""
    targets = targets.astype(np.intp).reshape(-1)
    predictions = predictions.reshape(-1, predictions.shape[-1])
    if k >= predictions.shape[-1]:
        return np.ones(targets.shape, dtype=bool)
    kth = np.partition(predictions, -k, axis=-1)[:, -k]
    return np.take_along_axis(predictions, targets[:, None], axis=-1)[:, 0] >= kth


@numpy_function
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the `k` largest scores, else 0.0."""
    y_true = np.argmax(as_array(y_true), axis=-1)
    return _in_top_k(y_true, as_array(y_pred), k).astype(np.float32).reshape(y_true.shape)


@numpy_function
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` largest scores (or, with
    `from_sorted_ids=True`, among the first `k` ids of `y_pred`), else 0.0."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    shape = y_true.shape
    if from_sorted_ids:
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        matches = (ids == y_true.reshape(-1, 1)).any(axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    return matches.astype(np.float32).reshape(shape)


class Accuracy(MeanMetricWrapper):
    """How often `y_pred` equals `y_true` exactly (for class-id predictions).

    `compile(metrics=['accuracy'])` does not use this class: the trainer picks binary,
    categorical or sparse accuracy from the shapes, as Keras 3.

    Example:
        >>> m = Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> m.result()
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often `(y_pred > threshold)` matches binary labels.

    Args:
        name: Defaults to "binary_accuracy".
        dtype: As Metric.
        threshold: Defaults to 0.5.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> m.result()
        0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` matches the arg-max of one-hot `y_true`.

    Example:
        >>> m = CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` equals the integer label.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the `k` highest scores.

    Args:
        k: Defaults to 5.
        name: Defaults to "top_k_categorical_accuracy".
        dtype: As Metric.

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest scores.

    Args:
        k: Defaults to 5.
        name: Defaults to "sparse_top_k_categorical_accuracy".
        dtype: As Metric.
        from_sorted_ids: `y_pred` holds class ids sorted by score instead of scores.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
