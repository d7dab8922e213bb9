"""Metrics read at an operating point of a binary classifier: the best value of one rate among
the thresholds where another rate reaches a target (SensitivityAtSpecificity,
SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision).

They count TP/FP/TN/FN at `num_thresholds` thresholds evenly spread over [0, 1] (0 and 1
included, no epsilon), with the bucket method of deltaw.keras.metrics.confusion, as Keras 3 does.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.metrics.confusion import update_confusion
from deltaw.keras.metrics.metric import Metric, divide_no_nan

__all__ = ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity"]


class _OperatingPoint(Metric):
    """TP/FP/TN/FN at each threshold; subclasses say which rate is constrained to `value`."""

    _target = ""  # the constructor argument holding the target rate

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        cls = type(self).__name__
        if not 0 <= value <= 1:
            raise ValueError(f"{cls}: {self._target} must be in [0, 1]; expected a value in "
                             f"[0, 1], got {value}.")
        if not isinstance(num_thresholds, int | np.integer) or num_thresholds <= 0:
            raise ValueError(f"{cls}: num_thresholds must be an integer > 0; got "
                             f"{num_thresholds!r}.")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + inner + [1.0], True
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        state = {"tp": self.true_positives, "fp": self.false_positives,
                 "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion(state, y_true, y_pred, np.asarray(self.thresholds), self._evenly,
                         class_id=self.class_id, sample_weight=sample_weight)

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def _best(self, constrained, dependent):
        """The largest `dependent` rate where the `constrained` rate >= value (0 if none)."""
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return float(np.max(np.where(feasible, rates[dependent], 0.0), initial=0.0))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._target: self.value}


class SensitivityAtSpecificity(_OperatingPoint):
    """The best sensitivity (recall, TP / (TP + FN)) where specificity (TN / (TN + FP)) is at
    least `specificity`.

    Args:
        specificity: Target in [0, 1].
        num_thresholds: Thresholds evenly spread over [0, 1]. Defaults to 200.
        class_id: Optional class to evaluate (one column of the predictions).
        name, dtype: As Metric.

    Example:
        >>> m = SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> m.result()
        0.5
    """

    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = specificity

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_OperatingPoint):
    """The best specificity where sensitivity is at least `sensitivity` (arguments as
    `SensitivityAtSpecificity`)."""

    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = sensitivity

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_OperatingPoint):
    """The best precision where recall is at least `recall` (arguments as
    `SensitivityAtSpecificity`)."""

    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = recall

    def result(self):
        return self._best("recall", "precision")


class RecallAtPrecision(_OperatingPoint):
    """The best recall where precision is at least `precision` (arguments as
    `SensitivityAtSpecificity`); 0 when no threshold reaches that precision."""

    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = precision

    def result(self):
        return self._best("precision", "recall")
