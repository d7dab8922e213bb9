"""Intersection-over-union metrics from a confusion matrix: IoU, MeanIoU, BinaryIoU, OneHotIoU,
OneHotMeanIoU (Keras 3's).

Each accumulates a `(num_classes, num_classes)` confusion matrix (rows: true class, columns:
predicted class). For a class, `IoU = TP / (TP + FP + FN)`; the result is the mean over the
target classes that occurred (a class whose denominator is 0 is left out of the mean).
Labels or predictions outside [0, num_classes), and labels equal to `ignore_class`, are not
counted.

As in Keras, the default dtype is "int32": sample weights are then truncated to integers
(a warning says so when they are floats); pass `dtype="float32"` for fractional weights.
"""

from __future__ import annotations

import warnings

import numpy as np

from deltaw.keras.metrics.metric import Metric, as_array

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]

_EPSILON = 1e-7  # keras.backend.epsilon()


class IoU(Metric):
    """Mean intersection-over-union of the classes in `target_class_ids`.

    Args:
        num_classes: Number of classes (the confusion matrix is num_classes x num_classes).
        target_class_ids: Class ids whose IoU is averaged.
        name: Defaults to "io_u" (Keras' snake case of the class name).
        dtype: Defaults to "int32" (see the module docstring).
        ignore_class: Optional label whose entries are not counted.
        sparse_y_true: Whether labels are class ids (True) or one-hot/probabilities (argmax).
        sparse_y_pred: The same for predictions.
        axis: The class axis for the argmax of dense inputs. Defaults to -1.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        if not isinstance(num_classes, int | np.integer) or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be a positive int; got "
                             f"{num_classes!r}.")
        target_class_ids = list(target_class_ids)
        if target_class_ids and max(target_class_ids) >= num_classes:
            raise ValueError(f"{type(self).__name__}: target class id {max(target_class_ids)} "
                             f"is out of range; expected ids in [0, {num_classes}).")
        super().__init__(name=name, dtype=dtype if dtype is not None else "int32")
        self.num_classes = int(num_classes)
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        integer = np.dtype(self.dtype).kind in "iu"
        y_true = y_true.astype(self.dtype if integer else np.float64).reshape(-1)
        y_pred = y_pred.astype(self.dtype if integer else np.float64).reshape(-1)
        if sample_weight is None:
            weights = np.ones(y_true.shape)
        else:
            weights = as_array(sample_weight)
            if integer and weights.dtype.kind == "f":
                warnings.warn(f"{type(self).__name__}: sample_weight is float but the metric's "
                              f"dtype is {self.dtype}; the weights are truncated to integers. "
                              "Hint: pass integer weights or dtype='float32'.", stacklevel=2)
            weights = np.broadcast_to(weights.astype(self.dtype).reshape(-1) if weights.ndim
                                      else weights.astype(self.dtype), y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & \
            (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        cm = np.zeros((self.num_classes, self.num_classes))
        np.add.at(cm, (y_true[keep].astype(np.int64), y_pred[keep].astype(np.int64)),
                  weights[keep].astype(np.float64))
        self.total_cm.data += cm
        self.total_cm._version += 1

    def _class_ious(self):
        cm = self.total_cm.data
        tp = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        return tp, denominator

    def result(self):
        tp, denominator = self._class_ious()
        ids = np.asarray(self.target_class_ids, dtype=np.int64)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + _EPSILON), 0.0)
        return float(np.sum(iou) / (np.sum(valid) + _EPSILON))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class MeanIoU(IoU):
    """IoU averaged over every class (`IoU` with `target_class_ids=range(num_classes)`).

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of binary predictions: `y_pred >= threshold` is class 1.

    Args:
        target_class_ids: Any of 0 and 1. Defaults to (0, 1), the mean of both.
        threshold: Defaults to 0.5.
        name, dtype: As `IoU`.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = (as_array(y_pred, np.float32) >= self.threshold).astype(np.int64)
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class OneHotIoU(IoU):
    """IoU for one-hot labels and per-class scores (argmax of both by default)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """MeanIoU for one-hot labels and per-class scores."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
