"""compile_utils: the 'accuracy' rule, name resolution, per-output losses and metric naming."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import metrics
from deltaw.keras.trainers import compile_utils as cu


@pytest.mark.parametrize("t_shape, p_shape, expected", [
    ((8,), (8, 1), (True, True)),         # binary wins (checked first)
    ((8, 1), (8, 1), (True, False)),
    ((8,), (8, 10), (False, True)),       # targets with one axis fewer: sparse ids
    ((8, 1), (8, 10), (False, True)),     # a last axis of 1 against several units: sparse ids
    ((8, 10), (8, 10), (False, False)),   # one-hot: categorical
    ((8, 5, 1), (8, 5, 4), (False, True)),
])
def test_shape_rule_is_keras_3s(t_shape, p_shape, expected):
    assert cu.is_binary_or_sparse_categorical(np.zeros(t_shape), np.zeros(p_shape)) == expected


@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
@pytest.mark.parametrize("t_shape, p_shape, cls", [
    ((8,), (8, 1), "BinaryAccuracy"),
    ((8, 1), (8, 1), "BinaryAccuracy"),
    ((8,), (8, 10), "SparseCategoricalAccuracy"),
    ((8, 1), (8, 10), "SparseCategoricalAccuracy"),
    ((8, 10), (8, 10), "CategoricalAccuracy"),
])
def test_accuracy_resolution_keeps_the_users_name(name, t_shape, p_shape, cls):
    m = cu.get_metric(name, np.zeros(t_shape), np.zeros(p_shape))
    assert type(m).__name__ == cls and m.name == name


@pytest.mark.parametrize("name, cls", [
    ("mse", "MeanSquaredError"), ("mae", "MeanAbsoluteError"),
    ("binary_accuracy", "BinaryAccuracy"), ("categorical_accuracy", "CategoricalAccuracy"),
    ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"), ("AUC", "AUC"),
    ("precision", "Precision"), ("recall", "Recall"),
])
def test_metric_names_resolve_and_are_kept(name, cls):
    m = cu.get_metric(name, np.zeros((4, 3)), np.zeros((4, 3)))
    assert type(m).__name__ == cls and m.name == name


def test_metric_objects_and_functions():
    obj = metrics.Precision(name="prec")
    assert cu.get_metric(obj, np.zeros(2), np.zeros(2)) is obj and obj.name == "prec"

    def my_metric(y_true, y_pred):
        return dw.mean(dw.abs(y_pred - y_true), axis=-1)

    m = cu.get_metric(my_metric, np.zeros((2, 1)), np.zeros((2, 1)))
    assert m.name == "my_metric"


def test_unknown_names_carry_compile_context():
    with pytest.raises(ValueError, match=r"^compile: unknown optimizer 'adamm'\. Did you mean "
                                         r"'adam'.*\? Known: .*adam"):
        cu.resolve_optimizer("adamm")
    with pytest.raises(TypeError, match=r"compile: optimizer must be a name, a config dict or an "
                                        r"Optimizer; got int\."):
        cu.resolve_optimizer(3)


def test_unknown_loss_and_metric_names():
    with pytest.raises(ValueError, match=r"^compile: .*'msee'.*mse"):
        cu.CompileLoss("msee")
    with pytest.raises(ValueError, match=r"^compile: .*'acuracy'"):
        cu.CompileMetrics(["acuracy"], None)


def test_metrics_must_be_a_list():
    with pytest.raises(ValueError, match=r"compile: metrics must be a list, tuple or dict; got "
                                         r"'accuracy' \(str\)\. Hint: metrics=\['accuracy'\]\."):
        cu.CompileMetrics("accuracy", None)


def test_loss_must_be_a_name_or_callable():
    with pytest.raises(TypeError, match=r"compile: loss must be a name, a Loss or a function"):
        cu.CompileLoss(3)


def test_mean_tracker_is_a_weighted_mean():
    t = cu.MeanTracker("loss")
    assert t.result() == 0.0
    t.update_state(dw.tensor(2.0), 32)
    t.update_state(np.float32(4.0), 16)
    assert t.result() == pytest.approx((2 * 32 + 4 * 16) / 48)
    t.reset_state()
    assert t.result() == 0.0 and t.name == "loss"


def squared(y_true, y_pred):
    return dw.mean(dw.square(y_pred - np.asarray(y_true, np.float32)), axis=-1)


def absolute(y_true, y_pred):
    return dw.mean(dw.abs(y_pred - np.asarray(y_true, np.float32)), axis=-1)


def test_multi_output_loss_list_with_weights_and_trackers():
    y = [np.ones((4, 1), np.float32), np.zeros((4, 2), np.float32)]
    pred = [dw.tensor(np.full((4, 1), 3.0)), dw.tensor(np.full((4, 2), 0.5))]
    loss = cu.CompileLoss([squared, absolute], loss_weights=[1.0, 0.5], output_names=["a", "b"])
    total = loss(y, pred)
    assert float(total) == pytest.approx(4.0 + 0.5 * 0.5)
    assert [m.name for m in loss.metrics] == ["a_loss", "b_loss"]
    assert [m.result() for m in loss.metrics] == pytest.approx([4.0, 0.5])


def test_multi_output_loss_dict_and_missing_outputs():
    y = {"a": np.ones((4, 1), np.float32), "b": np.zeros((4, 2), np.float32)}
    pred = [dw.tensor(np.full((4, 1), 3.0)), dw.tensor(np.full((4, 2), 0.5))]
    loss = cu.CompileLoss({"b": absolute}, loss_weights={"b": 2.0}, output_names=["a", "b"])
    assert float(loss(y, pred)) == pytest.approx(1.0)
    assert loss.metrics == []                             # one loss: no per-output entries
    shared = cu.CompileLoss(squared, output_names=["a", "b"])
    assert float(shared(y, pred)) == pytest.approx(4.0 + 0.25)


def test_multi_output_spec_errors():
    y = [np.ones((4, 1)), np.ones((4, 1))]
    pred = [dw.tensor(np.ones((4, 1))), dw.tensor(np.ones((4, 1)))]
    with pytest.raises(ValueError, match=r"compile: loss has 3 entries; expected one per model "
                                         r"output \(2: \['a', 'b'\]\)\."):
        cu.CompileLoss([squared] * 3, output_names=["a", "b"]).build(y, pred)
    with pytest.raises(ValueError, match=r"compile: loss has keys \['c'\] that are not output "
                                         r"names; expected keys among \['a', 'b'\]\."):
        cu.CompileLoss({"c": squared}, output_names=["a", "b"]).build(y, pred)
    with pytest.raises(ValueError, match=r"fit: the model has 2 outputs but y is a single array"):
        cu.CompileLoss(squared, output_names=["a", "b"]).build(np.ones((4, 1)), pred)
    with pytest.raises(ValueError, match=r"fit: y is a dict with keys \['x'\]; expected one "
                                         r"entry per model output: \['a', 'b'\]\."):
        cu.CompileLoss(squared, output_names=["a", "b"]).build({"x": np.ones(4)}, pred)


def test_crossentropy_alias_follows_the_shape_rule():
    binary = cu.get_loss("crossentropy", np.zeros((4, 1)), np.zeros((4, 1)))
    sparse = cu.get_loss("ce", np.zeros(4), np.zeros((4, 3)))
    onehot = cu.get_loss("ce", np.zeros((4, 3)), np.zeros((4, 3)))
    assert [type(x).__name__ for x in (binary, sparse, onehot)] == [
        "BinaryCrossentropy", "SparseCategoricalCrossentropy", "CategoricalCrossentropy"]


def test_compile_metrics_names_duplicates_and_weighted():
    y, pred = np.array([1.0, 0.0]), dw.tensor([[0.9], [0.2]])
    cm = cu.CompileMetrics(["acc", "acc"], ["acc"])
    cm.update_state(y, pred, np.array([1.0, 0.0]))
    assert list(cm.result()) == ["acc", "acc_1", "weighted_acc"]
    assert cm.name == "compile_metrics" and len(cm.metrics) == 3


def test_compile_metrics_multi_output_prefixes_output_names():
    y = [np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]])]
    pred = [dw.tensor([[0.9], [0.2]]), dw.tensor([[0.9, 0.1], [0.8, 0.2]])]
    cm = cu.CompileMetrics({"a": ["accuracy"], "b": ["accuracy", "mse"]}, None,
                           output_names=["a", "b"])
    cm.update_state(y, pred)
    result = cm.result()
    assert list(result) == ["a_accuracy", "b_accuracy", "b_mse"]
    assert result["a_accuracy"] == pytest.approx(1.0) and result["b_accuracy"] == 0.5
    per_output = cu.CompileMetrics(["accuracy", "mse"], None, output_names=["a", "b"])
    per_output.update_state(y, pred)
    assert list(per_output.result()) == ["a_accuracy", "b_mse"]     # Keras 3: one per output
