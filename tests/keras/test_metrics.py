"""keras.metrics: Keras 3's documented examples, Keras-computed AUC values, state and lookup."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import metrics as M


def _run(metric, *batches):
    for batch in batches:
        metric.update_state(*batch)
    return metric.result()


# ----------------------------------------------------------------------------- Keras' examples
def test_binary_accuracy_documented_example():
    m = M.BinaryAccuracy()
    args = ([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert _run(m, args) == 0.75
    m.reset_state()
    assert _run(m, (*args, [1, 0, 0, 1])) == 0.5
    assert M.BinaryAccuracy(threshold=0.7)([[1], [0]], [[0.65], [0.2]]) == 0.5


def test_categorical_accuracies_documented_examples():
    y_onehot, y_ids = [[0, 0, 1], [0, 1, 0]], [[2], [1]]
    pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert _run(M.CategoricalAccuracy(), (y_onehot, pred)) == 0.5
    assert _run(M.CategoricalAccuracy(), (y_onehot, pred, [0.7, 0.3])) == pytest.approx(0.3)
    sparse_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    assert _run(M.SparseCategoricalAccuracy(), (y_ids, sparse_pred)) == 0.5
    assert _run(M.SparseCategoricalAccuracy(), (y_ids, sparse_pred, [0.7, 0.3])) == \
        pytest.approx(0.3)
    assert _run(M.TopKCategoricalAccuracy(k=1), (y_onehot, pred)) == 0.5
    assert _run(M.TopKCategoricalAccuracy(k=1), (y_onehot, pred, [0.7, 0.3])) == \
        pytest.approx(0.3)
    assert _run(M.SparseTopKCategoricalAccuracy(k=1), ([2, 1], pred)) == 0.5
    sorted_ids = M.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    assert _run(sorted_ids, ([2, 1], [[1, 0, 3], [1, 2, 3]])) == 0.5


def test_top_k_counts_ties_at_the_kth_value_as_inside():
    assert M.TopKCategoricalAccuracy(k=1)([[0, 1, 0]], [[0.5, 0.5, 0.0]]) == 1.0
    assert M.TopKCategoricalAccuracy()([[0, 1]], [[0.9, 0.1]]) == 1.0   # k=5 > classes


def test_precision_recall_documented_examples():
    y, p = [0, 1, 1, 1], [1, 0, 1, 1]
    assert _run(M.Precision(), (y, p)) == pytest.approx(0.6666667)
    assert _run(M.Precision(), (y, p, [0, 0, 1, 0])) == 1.0
    assert _run(M.Precision(top_k=2), ([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0
    assert _run(M.Precision(top_k=4), ([0, 0, 1, 1], [1, 1, 1, 1])) == 0.5
    assert _run(M.Recall(), (y, p)) == pytest.approx(0.6666667)
    assert _run(M.Recall(), (y, p, [0, 0, 1, 0])) == 1.0


def test_auc_documented_example():
    m = M.AUC(num_thresholds=3)
    assert _run(m, ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == pytest.approx(0.75)
    m.reset_state()
    assert _run(m, ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1])) == pytest.approx(1.0)


def test_regression_documented_examples():
    y, p = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
    assert _run(M.MeanSquaredError(), (y, p)) == 0.25
    assert _run(M.MeanAbsoluteError(), (y, p)) == 0.25
    assert _run(M.MeanAbsoluteError(), (y, p, [1, 0])) == 0.5
    assert _run(M.RootMeanSquaredError(), (y, p)) == 0.5
    assert _run(M.RootMeanSquaredError(), (y, p, [1, 0])) == pytest.approx(0.70710677)


def test_mean_and_sum_documented_examples():
    assert _run(M.Mean(), ([1, 3, 5, 7],)) == 4.0
    assert _run(M.Mean(), ([1, 3, 5, 7], [1, 1, 0, 0])) == 2.0
    assert _run(M.Sum(), ([1, 3, 5, 7],)) == 16.0
    assert _run(M.Sum(), ([1, 3, 5, 7], [1, 1, 0, 0])) == 4.0
    assert M.Mean().result() == 0.0                 # nothing seen: 0, not NaN


# ----------------------------------------------------------------------------- Keras' AUC values
def _auc_data():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 60).astype(np.float32)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 60), 0, 1).astype(np.float32)
    w = rng.uniform(0, 1, 60).astype(np.float32)
    ym = rng.integers(0, 2, (60, 3)).astype(np.float32)
    pm = rng.uniform(0, 1, (60, 3)).astype(np.float32)
    return y, p, w, ym, pm


# values printed by Keras 3.15 (torch backend) for the data above
@pytest.mark.parametrize("kwargs, weighted, multi, want", [
    ({}, False, False, 0.8348416090011597),
    ({}, True, False, 0.846022367477417),
    ({"curve": "PR"}, False, False, 0.8724825382232666),
    ({"curve": "PR"}, True, False, 0.869797945022583),
    ({"num_thresholds": 10, "summation_method": "minoring"}, False, False, 0.7748868465423584),
    ({"multi_label": True}, False, True, 0.5664277672767639),
    ({"curve": "PR", "multi_label": True, "label_weights": [0.2, 1, 3]}, False, True,
     0.5265192985534668),
])
def test_auc_matches_keras(kwargs, weighted, multi, want):
    y, p, w, ym, pm = _auc_data()
    yy, pp = (ym, pm) if multi else (y, p)
    m = M.AUC(**kwargs)
    m.update_state(yy[:25], pp[:25], w[:25] if weighted else None)   # two batches
    m.update_state(yy[25:], pp[25:], w[25:] if weighted else None)
    assert m.result() == pytest.approx(want, abs=2e-6)


def test_precision_recall_with_several_thresholds_match_keras():
    y, p, w, _, _ = _auc_data()
    prec = _run(M.Precision(thresholds=[0.2, 0.5, 0.8]), (y, p, w))
    rec = _run(M.Recall(thresholds=[0.2, 0.5, 0.8]), (y, p, w))
    np.testing.assert_allclose(prec, [0.6469579935073853, 0.7745292782783508, 1.0], atol=2e-6)
    np.testing.assert_allclose(rec, [1.0, 0.6447723507881165, 0.21270059049129486], atol=2e-6)


def test_auc_perfect_and_from_logits():
    y = np.array([0, 0, 1, 1])
    assert _run(M.AUC(), (y, [0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    assert _run(M.AUC(from_logits=True), (y, [-3.0, -1.0, 2.0, 4.0])) == pytest.approx(1.0)
    assert _run(M.AUC(), (y, [0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.0)


def test_confusion_counts_and_class_id():
    y, p = [0, 1, 1, 0], [0.7, 0.9, 0.3, 0.1]
    assert _run(M.TruePositives(), (y, p)) == 1.0
    assert _run(M.FalsePositives(), (y, p)) == 1.0
    assert _run(M.TrueNegatives(), (y, p)) == 1.0
    np.testing.assert_array_equal(_run(M.FalseNegatives(thresholds=[0.2, 0.5]), (y, p)), [0, 1])
    onehot = [[1, 0], [0, 1], [0, 1]]
    probs = [[0.6, 0.4], [0.3, 0.7], [0.8, 0.2]]
    assert _run(M.Recall(class_id=1), (onehot, probs)) == 0.5
    assert _run(M.Precision(class_id=0), (onehot, probs)) == 0.5


# ----------------------------------------------------------------------------- state
def test_state_accumulates_over_batches_and_resets():
    m = M.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])       # 1 of 2
    m.update_state([1, 1], [[0.1, 0.9], [0.2, 0.8]])       # 2 of 2
    assert m.result() == 0.75 and isinstance(m.result(), float)
    m.reset_state()
    assert m.result() == 0.0
    assert [v.name for v in m.variables] == ["total", "count"]


def test_tensor_predictions_are_accepted_without_recording():
    pred = dw.tensor([[0.2, 0.8]], requires_grad=True)
    m = M.CategoricalCrossentropy()
    m.update_state([[0.0, 1.0]], pred)
    assert m.result() == pytest.approx(-np.log(0.8), rel=1e-6)
    assert M.CategoricalAccuracy()([[0.0, 1.0]], pred) == 1.0


def test_mean_metric_wrapper_with_a_custom_function():
    def abs_err(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).mean(axis=-1)

    m = M.MeanMetricWrapper(abs_err)
    assert m.name == "abs_err"
    assert _run(m, ([[1.0, 2.0]], [[0.0, 0.0]])) == 1.5


def test_default_names_and_configs():
    assert M.BinaryAccuracy().threshold == 0.5 and M.AUC().num_thresholds == 200
    assert M.AUC().curve == "ROC" and M.AUC().summation_method == "interpolation"
    assert M.TopKCategoricalAccuracy().k == 5
    p1, p2 = M.Precision(), M.Precision()
    assert p1.name.startswith("precision") and p1.name != p2.name
    auc = M.AUC(curve="PR", thresholds=[0.25, 0.5], name="pr")
    clone = M.deserialize(M.serialize(auc))
    assert clone.get_config() == auc.get_config() and clone.num_thresholds == 4
    assert M.BinaryAccuracy.from_config(M.BinaryAccuracy(threshold=0.3).get_config()).threshold \
        == 0.3


# ----------------------------------------------------------------------------- lookup
@pytest.mark.parametrize("name, cls", [
    ("mse", M.MeanSquaredError), ("mae", M.MeanAbsoluteError),
    ("mean_squared_error", M.MeanSquaredError), ("binary_accuracy", M.BinaryAccuracy),
    ("categorical_accuracy", M.CategoricalAccuracy),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy), ("AUC", M.AUC), ("auc", M.AUC),
    ("precision", M.Precision), ("recall", M.Recall), ("Precision", M.Precision),
    ("Accuracy", M.Accuracy), ("root_mean_squared_error", M.RootMeanSquaredError),
    ("binary_crossentropy", M.BinaryCrossentropy),
])
def test_get_by_name(name, cls):
    assert type(M.get(name)) is cls


def test_get_refuses_shape_dependent_accuracy_and_unknown_names():
    with pytest.raises(ValueError, match="'accuracy' depends on the loss and the output shape"):
        M.get("accuracy")
    with pytest.raises(ValueError, match="'acc' depends on the loss"):
        M.get("acc")
    with pytest.raises(ValueError, match=r"unknown metric 'precison'\. Known: "):
        M.get("precison")
    m = M.AUC()
    assert M.get(m) is m and M.get(None) is None
    assert M.get(M.binary_accuracy) is M.binary_accuracy
    assert isinstance(M.get(M.Recall), M.Recall)
