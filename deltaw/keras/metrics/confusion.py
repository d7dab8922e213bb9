"""Confusion-matrix metrics: Precision, Recall, AUC and the raw TP/FP/TN/FN counts.

They accumulate (weighted) counts of true/false positives/negatives at one or more thresholds:
a prediction is positive when `y_pred > threshold` (strictly, as Keras), a label is positive when
it is non-zero. The counting follows Keras 3's `update_confusion_matrix_variables`:

- thresholds evenly spread over [0, 1] (AUC's default) use Keras' bucket method: predictions are
  clipped to [0, 1] and put in bucket `ceil(p * (n - 1)) - 1`, computed in float32 as Keras does,
  so AUC results match Keras' exactly;
- other thresholds compare `y_pred > t` directly (in float32), by sorting once.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.metrics.metric import (
    Metric,
    as_array,
    divide_no_nan,
    squeeze_or_expand,
    to_result,
)

__all__ = [
    "AUC", "FalseNegatives", "FalsePositives", "Precision", "Recall", "TrueNegatives",
    "TruePositives",
]

NEG_INF = -1e10
_EPSILON = 1e-7  # Keras' backend.epsilon(): AUC's outer thresholds are -eps and 1 + eps
_KEYS = ("tp", "fp", "tn", "fn")


def _thresholds_list(where, thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple | np.ndarray) \
        else [thresholds]
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"{where}: thresholds must be in [0, 1]; got {bad}.")
    return [float(t) for t in values]


def _evenly_distributed(thresholds) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=_EPSILON))


def _filter_top_k(x, k):
    """Keep the k largest values of the last axis; set the others to NEG_INF."""
    if k >= x.shape[-1]:
        return x
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]  # ties: the first k, as Keras
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, idx, True, axis=-1)
    return np.where(keep, x, np.float32(NEG_INF))


def _prepare(y_true, y_pred, sample_weight, top_k=None, class_id=None):
    """Labels (bool), predictions (float32) and weights (float64), aligned as Keras."""
    y_pred = as_array(y_pred, np.float32)
    y_true = as_array(y_true, np.float32)
    y_pred, y_true = squeeze_or_expand(y_pred, y_true)
    if sample_weight is not None:
        sw = as_array(sample_weight, np.float64)[..., None]
        _, sw = squeeze_or_expand(y_true, sw, expand_rank_1=False)
    else:
        sw = None
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"class_id: y_pred must be 2-D (num_samples, num_classes) when "
                             f"class_id is given; got shape {y_pred.shape}.")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    w = np.ones(y_pred.shape) if sw is None else np.broadcast_to(sw, y_pred.shape)
    return y_true != 0, y_pred, w


def _counts_by_buckets(labels, preds, weights, num_thresholds, with_epsilon):
    """(tp, fp, total positive weight, total negative weight) per threshold; Keras' optimized
    path for evenly spread thresholds. The last axis of the inputs indexes labels when
    `labels` is 2-D (multi-label), else everything is flattened."""
    p = np.clip(preds, np.float32(0.0), np.float32(1.0))
    buckets = np.ceil(p * np.float32(num_thresholds - 1)).astype(np.int64) - 1
    if with_epsilon:
        buckets = np.maximum(buckets, 0)
    pos = weights * labels
    neg = weights * ~labels
    if not with_epsilon:  # p == 0 is below every threshold: in no bucket (Keras drops id -1)
        dropped = buckets < 0
        buckets = np.where(dropped, 0, buckets)
        pos_b, neg_b = np.where(dropped, 0.0, pos), np.where(dropped, 0.0, neg)
    else:
        pos_b, neg_b = pos, neg
    if labels.ndim == 1:
        tp = np.bincount(buckets, pos_b, minlength=num_thresholds)
        fp = np.bincount(buckets, neg_b, minlength=num_thresholds)
    else:  # multi-label: one column of counts per label
        n_labels = labels.shape[1]
        flat = (buckets * n_labels + np.arange(n_labels)).reshape(-1)
        size = num_thresholds * n_labels
        tp = np.bincount(flat, pos_b.reshape(-1), minlength=size).reshape(num_thresholds,
                                                                          n_labels)
        fp = np.bincount(flat, neg_b.reshape(-1), minlength=size).reshape(num_thresholds,
                                                                          n_labels)
    tp = np.cumsum(tp[::-1], axis=0)[::-1]
    fp = np.cumsum(fp[::-1], axis=0)[::-1]
    return tp, fp, pos.sum(axis=0), neg.sum(axis=0)


def _counts_by_comparison(labels, preds, weights, thresholds):
    """The same counts by comparing `preds > t` for each threshold t (float32)."""
    t = np.asarray(thresholds, dtype=np.float32)
    pos, neg = weights * labels, weights * ~labels
    if labels.ndim == 1:
        order = np.argsort(preds, kind="stable")
        sorted_p = preds[order]
        cum_pos = np.concatenate([[0.0], np.cumsum(pos[order])])
        cum_neg = np.concatenate([[0.0], np.cumsum(neg[order])])
        cut = np.searchsorted(sorted_p, t, side="right")  # entries <= t
        return (cum_pos[-1] - cum_pos[cut], cum_neg[-1] - cum_neg[cut], cum_pos[-1],
                cum_neg[-1])
    above = preds[None] > t[:, None, None]            # (thresholds, samples, labels)
    return ((above * pos[None]).sum(axis=1), (above * neg[None]).sum(axis=1), pos.sum(axis=0),
            neg.sum(axis=0))


def update_confusion(state: dict, y_true, y_pred, thresholds, evenly=False, top_k=None,
                     class_id=None, sample_weight=None, multi_label=False, label_weights=None):
    """Add the batch's TP/FP/TN/FN counts to the arrays in `state` (keys 'tp', 'fp', 'tn',
    'fn'; only the present keys are updated)."""
    labels, preds, weights = _prepare(y_true, y_pred, sample_weight, top_k, class_id)
    if label_weights is not None and not multi_label:
        weights = weights * np.broadcast_to(np.asarray(label_weights, np.float64), preds.shape)
    if multi_label:
        if preds.ndim != 2:
            raise ValueError(f"AUC: y_pred must be 2-D (num_samples, num_labels) when "
                             f"multi_label=True; got shape {preds.shape}.")
    else:
        labels, preds, weights = labels.reshape(-1), preds.reshape(-1), weights.reshape(-1)
    if evenly:
        with_eps = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        tp, fp, all_pos, all_neg = _counts_by_buckets(labels, preds, weights, len(thresholds),
                                                      with_eps)
    else:
        tp, fp, all_pos, all_neg = _counts_by_comparison(labels, preds, weights, thresholds)
    counts = {"tp": tp, "fp": fp, "tn": all_neg - fp, "fn": all_pos - tp}
    for key, var in state.items():
        var.data += counts[key]
        var._version += 1


class _ConfusionCount(Metric):
    """One raw count (TP, FP, TN or FN) at one or more thresholds."""

    _key = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds_list(type(self).__name__, thresholds, 0.5)
        self._evenly = _evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion({self._key: self.accumulator}, y_true, y_pred, self.thresholds,
                         self._evenly, sample_weight=sample_weight)

    def result(self):
        acc = self.accumulator.data
        return float(acc[0]) if len(self.thresholds) == 1 else acc.copy()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """Weighted count of positive labels predicted positive (`y_pred > thresholds`)."""

    _key = "tp"


class FalsePositives(_ConfusionCount):
    """Weighted count of negative labels predicted positive."""

    _key = "fp"


class TrueNegatives(_ConfusionCount):
    """Weighted count of negative labels predicted negative."""

    _key = "tn"


class FalseNegatives(_ConfusionCount):
    """Weighted count of positive labels predicted negative."""

    _key = "fn"


class _PrecisionRecall(Metric):
    """Shared by Precision and Recall: TP and one other count at each threshold."""

    _other = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _thresholds_list(type(self).__name__, thresholds, default)
        self._evenly = _evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        name = "false_positives" if self._other == "fp" else "false_negatives"
        self._other_var = self.add_variable((n,), name=name)
        setattr(self, name, self._other_var)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion({"tp": self.true_positives, self._other: self._other_var}, y_true,
                         y_pred, self.thresholds, self._evenly, top_k=self.top_k,
                         class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        tp = self.true_positives.data
        r = divide_no_nan(tp, tp + self._other_var.data)
        return float(r[0]) if len(self.thresholds) == 1 else r

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision, TP / (TP + FP), of the predictions `y_pred > threshold`.

    Args:
        thresholds: Float or list of floats in [0, 1] (one result per threshold). Defaults to
            0.5 (or -1e10, i.e. "in the top k", when `top_k` is set).
        top_k: Only the k highest predictions of each row count as positive.
        class_id: Compute the metric for this class (column) only.
        name: Defaults to "precision" (then "precision_1", ...).
        dtype: As Metric.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 7)
        0.6666667
    """

    _other = "fp"


class Recall(_PrecisionRecall):
    """Recall, TP / (TP + FN), of the predictions `y_pred > threshold`.

    Args:
        thresholds, top_k, class_id, name, dtype: As `Precision` (name defaults to "recall").

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 7)
        0.6666667
    """

    _other = "fn"


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds (Keras 3).

    TP/FP/TN/FN are accumulated at `num_thresholds` thresholds
    `[-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps]`; the curve's points are then summed with
    trapezoids ("interpolation"), or the lower ("minoring") or upper ("majoring") rectangles. PR
    with interpolation uses Davis & Goadrich's interpolation, as Keras.

    Args:
        num_thresholds: Defaults to 200.
        curve: "ROC" (default), "PR" or "PRGAIN".
        summation_method: "interpolation" (default), "minoring" or "majoring".
        name: Defaults to "auc".
        dtype: As Metric.
        thresholds: Optional explicit thresholds in [0, 1] (then -eps and 1 + eps are added).
        multi_label: Treat each column as its own label and average their AUCs.
        num_labels: Number of labels (multi_label only; otherwise from the first batch).
        label_weights: Per-label weights (averaging weights with multi_label).
        from_logits: Apply a sigmoid to `y_pred` first.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve_name = str(getattr(curve, "value", curve)).upper()
        if curve_name not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f"AUC: invalid curve {curve!r}; expected one of 'ROC', 'PR', "
                             "'PRGAIN'.")
        method = str(getattr(summation_method, "value", summation_method)).lower()
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid summation_method {summation_method!r}; expected "
                             "one of 'interpolation', 'majoring', 'minoring'.")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds_list("AUC", thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed(np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1; got "
                                 f"num_thresholds={num_thresholds}.")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - _EPSILON] + inner + [1.0 + _EPSILON])
        self.curve = curve_name
        self.summation_method = method
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights,
                                                                           np.float64)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build(num_labels)
        else:
            if num_labels:
                raise ValueError("AUC: num_labels is only used with multi_label=True; got "
                                 f"num_labels={num_labels} and multi_label=False.")
            self._build(None)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                   num_labels)
        self._variables = []
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, np.float32)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC: y_pred must be 2-D (num_samples, num_labels) when "
                                 f"multi_label=True; got shape {y_pred.shape}.")
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = _sigmoid(y_pred)
        state = {"tp": self.true_positives, "fp": self.false_positives,
                 "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion(state, y_true, y_pred, self._thresholds, self._evenly,
                         sample_weight=sample_weight, multi_label=self.multi_label,
                         label_weights=None if self.multi_label else self.label_weights)

    def _average(self, terms):
        if not self.multi_label:
            return to_result(terms.sum())
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return to_result(by_label.mean())
        return to_result(divide_no_nan((by_label * self.label_weights).sum(),
                                       self.label_weights.sum()))

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives.data, self.false_positives.data, \
            self.false_negatives.data
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        terms = divide_no_nan(slope * (dtp + intercept * np.log(np.where(both, ratio, 1.0))),
                              np.maximum(tp[1:] + fn[1:], 0))
        return self._average(terms)

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
            precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
            x, y = np.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype)
