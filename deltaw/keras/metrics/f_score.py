"""F-scores of multi-label or one-hot predictions: FBetaScore and F1Score (Keras 3's)."""

from __future__ import annotations

import numpy as np

from deltaw.keras.metrics.metric import Metric, as_array, to_result

__all__ = ["F1Score", "FBetaScore"]

_EPSILON = 1e-7  # keras.backend.epsilon()


class FBetaScore(Metric):
    """F-beta score per class: `(1 + beta**2) * P * R / (beta**2 * P + R)`.

    Predictions count as positive where `y_pred > threshold`; with `threshold=None`, the largest
    value of each row (if it is not ~0) is the positive one. Inputs are 2-D
    `(batch, classes)`; the counts are weighted by `sample_weight` (one weight per sample).
    Epsilons as Keras: `P = TP / (TP + FP + 1e-7)`, `R = TP / (TP + FN + 1e-7)` and 1e-7 in the
    final denominator.

    Args:
        average: None (a score per class), "micro" (counts pooled over classes), "macro" (the
            mean of the per-class scores) or "weighted" (their mean weighted by the number of
            true labels per class).
        beta: Positive float: the weight of recall. Defaults to 1.0.
        threshold: Float in (0, 1] or None (see above).
        name, dtype: As Metric.

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
        ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
        >>> np.round(m.result(), 4)
        array([0.3846, 0.9091, 0.8333])
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        cls = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{cls}: invalid average {average!r}; expected one of None, "
                             "'micro', 'macro', 'weighted'.")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"{cls}: beta must be a positive Python float; got {beta!r}.")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{cls}: threshold must be a Python float in (0, 1] or None; got "
                             f"{threshold!r}.")
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(f"{type(self).__name__}: expected 2-D inputs of shape (batch_size, "
                             f"output_dim); got y_true {true_shape} and y_pred {pred_shape}.")
        shape = () if self.average == "micro" else (pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = as_array(y_true, np.float64), as_array(y_pred, np.float32)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            positive = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > self.threshold
        pred = positive.astype(np.float64)
        w = None if sample_weight is None else as_array(sample_weight, np.float64)[:, None]

        def weighted_sum(v):
            return np.sum(v if w is None else v * w, axis=self.axis)
        self.true_positives.data += weighted_sum(pred * y_true)
        self.false_positives.data += weighted_sum(pred * (1 - y_true))
        self.false_negatives.data += weighted_sum((1 - pred) * y_true)
        self.intermediate_weights.data += weighted_sum(y_true)

    def result(self):
        if not self._built:
            return 0.0 if self.average is not None else np.zeros(0)
        tp = self.true_positives.data
        precision = tp / (tp + self.false_positives.data + _EPSILON)
        recall = tp / (tp + self.false_negatives.data + _EPSILON)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + _EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = np.sum(score * weights / (np.sum(weights) + _EPSILON))
        elif self.average is not None:
            score = np.mean(score)
        return to_result(score)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score: `FBetaScore` with beta = 1 (harmonic mean of precision and recall).

    `beta` is not a constructor argument nor part of the config, as in Keras.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
