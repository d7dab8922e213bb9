"""keras.losses: Keras 3's documented examples, reductions, sample weights, validation, lookup."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import losses as L

BCE_TRUE = np.array([[0, 1], [0, 0]])
BCE_LOGITS = np.array([[-18.6, 0.51], [2.94, -12.8]])
CCE_TRUE = np.array([[0, 1, 0], [0, 0, 1]])
CCE_PRED = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])


def _f(t):
    return float(t.numpy()) if t.ndim == 0 else t.numpy()


# ----------------------------------------------------------------------------- Keras' examples
def test_binary_crossentropy_documented_example():
    bce = L.BinaryCrossentropy(from_logits=True)
    assert _f(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])) == pytest.approx(0.8654, abs=1e-4)
    assert _f(bce(BCE_TRUE, BCE_LOGITS)) == pytest.approx(0.8654, abs=1e-4)
    assert _f(bce(BCE_TRUE, BCE_LOGITS, sample_weight=[0.8, 0.2])) == pytest.approx(0.243,
                                                                                     abs=1e-3)
    assert _f(L.BinaryCrossentropy(from_logits=True, reduction="sum")(
        BCE_TRUE, BCE_LOGITS)) == pytest.approx(1.730, abs=1e-3)
    np.testing.assert_allclose(_f(L.BinaryCrossentropy(from_logits=True, reduction=None)(
        BCE_TRUE, BCE_LOGITS)), [0.235, 1.496], atol=1e-3)


def test_binary_crossentropy_from_probabilities():
    # Keras: y_pred = [[0.6, 0.3], [0.2, 0.8]] with the labels above gives 0.8754 per element
    # mean; checked here against the formula
    p = np.array([[0.6, 0.3], [0.2, 0.8]])
    want = -(BCE_TRUE * np.log(p) + (1 - BCE_TRUE) * np.log(1 - p)).mean()
    assert _f(L.BinaryCrossentropy()(BCE_TRUE, p)) == pytest.approx(want, rel=1e-6)


def test_categorical_crossentropy_documented_example():
    cce = L.CategoricalCrossentropy()
    assert _f(cce(CCE_TRUE, CCE_PRED)) == pytest.approx(1.177, abs=1e-3)
    assert _f(cce(CCE_TRUE, CCE_PRED, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(
        0.814, abs=1e-3)
    assert _f(L.CategoricalCrossentropy(reduction="sum")(CCE_TRUE, CCE_PRED)) == pytest.approx(
        2.354, abs=1e-3)
    np.testing.assert_allclose(_f(L.CategoricalCrossentropy(reduction=None)(CCE_TRUE, CCE_PRED)),
                               [0.0513, 2.303], atol=1e-3)


def test_sparse_categorical_crossentropy_documented_example():
    scce = L.SparseCategoricalCrossentropy()
    assert _f(scce([1, 2], CCE_PRED)) == pytest.approx(1.177, abs=1e-3)
    assert _f(scce([1, 2], CCE_PRED, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(
        0.814, abs=1e-3)
    assert _f(scce(np.array([[1], [2]]), CCE_PRED)) == pytest.approx(1.177, abs=1e-3)


def test_regression_documented_examples():
    assert _f(L.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])) == pytest.approx(0.02)
    assert _f(L.MeanAbsoluteError()([1.0, 0.3, 1.0], [1.9, 0.3, 1.8])) == pytest.approx(
        0.5666667)
    assert _f(L.Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(0.155,
                                                                                     abs=1e-3)


def test_huber_linear_part_and_delta():
    # e = 3 with delta 1: 1 * 3 - 0.5; e = 0.5: 0.125
    assert _f(L.Huber(delta=1.0)([[0.0, 0.0]], [[3.0, 0.5]])) == pytest.approx((2.5 + 0.125) / 2)
    assert _f(L.Huber(delta=2.0)([[0.0]], [[3.0]])) == pytest.approx(2 * 3 - 2.0)


def test_label_smoothing():
    y, logits = np.array([[1.0, 0.0]]), np.array([[2.0, -1.0]])
    got = _f(L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)(y, logits))
    logp = logits - np.log(np.exp(logits).sum())
    assert got == pytest.approx(-(np.array([0.9, 0.1]) * logp).sum(), rel=1e-6)
    p = np.array([[0.7]])
    got = _f(L.BinaryCrossentropy(label_smoothing=0.2)([[1.0]], p))
    assert got == pytest.approx(-(0.9 * np.log(0.7) + 0.1 * np.log(0.3)), rel=1e-6)


# ----------------------------------------------------------------------------- reductions
VALUES_T = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]])
VALUES_P = np.zeros((3, 2))
PER_SAMPLE = np.array([2.5, 17.0, 0.0])            # mean of squares per row


@pytest.mark.parametrize("reduction, weight, want", [
    ("sum_over_batch_size", None, PER_SAMPLE.mean()),
    ("mean", None, PER_SAMPLE.mean()),
    ("sum", None, PER_SAMPLE.sum()),
    ("sum_over_batch_size", [1.0, 0.5, 2.0], (2.5 + 8.5) / 3),
    ("mean_with_sample_weight", [1.0, 0.5, 2.0], (2.5 + 8.5) / 3.5),
    ("sum", 2.0, 2 * PER_SAMPLE.sum()),
])
def test_reductions(reduction, weight, want):
    loss = L.MeanSquaredError(reduction=reduction)(VALUES_T, VALUES_P, sample_weight=weight)
    assert loss.ndim == 0 and float(loss) == pytest.approx(want)


def test_none_reduction_and_weight_shapes():
    none = L.MeanSquaredError(reduction="none")
    np.testing.assert_allclose(_f(none(VALUES_T, VALUES_P)), PER_SAMPLE)
    np.testing.assert_allclose(_f(none(VALUES_T, VALUES_P, [1.0, 2.0, 3.0])),
                               PER_SAMPLE * [1, 2, 3])
    # (batch, 1) weights against (batch,) values: Keras expands the values to (batch, 1)
    out = _f(none(VALUES_T, VALUES_P, np.array([[1.0], [2.0], [3.0]])))
    np.testing.assert_allclose(out, (PER_SAMPLE * [1, 2, 3])[:, None])


def test_per_sample_weights_on_sequence_losses():
    y = np.array([[0, 1, 2], [2, 2, 0]])
    logits = np.zeros((2, 3, 3))
    loss = L.SparseCategoricalCrossentropy(from_logits=True)
    assert _f(loss(y, logits, sample_weight=[1.0, 0.0])) == pytest.approx(np.log(3) / 2)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(4,\) does not broadcast"):
        loss(y, logits, sample_weight=[1.0, 0.0, 1.0, 1.0])


def test_ignore_class_is_left_out_of_the_mean():
    y = np.array([[0, 1, -1], [2, -1, -1]])
    logits = np.zeros((2, 3, 3))
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert _f(loss(y, logits)) == pytest.approx(np.log(3))       # 3 valid entries of log 3
    summed = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction="sum")
    assert _f(summed(y, logits)) == pytest.approx(3 * np.log(3))


def test_empty_batch_returns_the_empty_values_as_keras():
    assert L.MeanSquaredError()(np.zeros((0, 2)), np.zeros((0, 2))).shape == (0,)


# ----------------------------------------------------------------------------- tensors
def test_loss_differentiates_and_keeps_float32():
    logits = dw.tensor(np.array([[2.0, 0.5, -1.0]], np.float32), requires_grad=True)
    y = np.array([[0.0, 1.0, 0.0]])                 # float64 labels (e.g. to_categorical)
    loss = L.CategoricalCrossentropy(from_logits=True)(y, logits)
    assert loss.dtype == np.float32
    (g,) = dw.grad(loss, [logits])
    sm = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum()
    np.testing.assert_allclose(g.numpy(), sm - y, rtol=1e-5)


def test_arrays_are_converted_to_float32():
    assert L.MeanSquaredError()(np.ones(3), np.zeros(3)).dtype == np.float32


def test_functions_return_per_sample_values():
    assert L.binary_crossentropy(BCE_TRUE, BCE_LOGITS, from_logits=True).shape == (2,)
    np.testing.assert_allclose(L.categorical_crossentropy(CCE_TRUE, CCE_PRED).numpy(),
                               [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([1, 2], CCE_PRED).numpy(),
                               [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(L.mse(VALUES_T, VALUES_P).numpy(), PER_SAMPLE)
    np.testing.assert_allclose(L.mae([[1.0, -3.0]], [[0.0, 0.0]]).numpy(), [2.0])
    assert L.huber([[0.0]], [[3.0]], delta=1.0).numpy() == pytest.approx(2.5)


# ----------------------------------------------------------------------------- validation
def test_validate_sparse_labels():
    scce = L.SparseCategoricalCrossentropy()
    scce.validate(np.array([0, 9]), np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy: label 10 is out of "
                                         r"range for 10 classes; expected labels in \[0, 10\), "
                                         r"got 10\. Hint: the output layer needs at least 11"):
        scce.validate(np.array([0, 10]), np.zeros((2, 10)))
    with pytest.raises(ValueError, match="label -1 is out of range for 10 classes"):
        scce.validate(np.array([-1, 3]), (None, 10))
    with pytest.raises(ValueError, match="labels must be integer class ids; expected integral "
                                         "values, got 1.5"):
        scce.validate(np.array([1.5, 2.0]), np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels look one-hot"):
        scce.validate(np.eye(3), np.zeros((3, 3)))
    L.SparseCategoricalCrossentropy(ignore_class=-1).validate(np.array([-1, 2]), (None, 3))


def test_validate_one_hot_width_and_binary_range():
    cce = L.CategoricalCrossentropy()
    cce.validate(np.eye(4), np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"CategoricalCrossentropy: the one-hot width does not "
                                         r"match the model's output; expected labels of width "
                                         r"10 .*got width 3"):
        cce.validate(np.eye(3), (None, 10))
    with pytest.raises(ValueError, match="labels look like class ids.*sparse_categorical"):
        cce.validate(np.array([1, 2, 0]), (None, 3))
    bce = L.BinaryCrossentropy()
    bce.validate(np.array([[0.0], [1.0], [0.3]]), (None, 1))
    with pytest.raises(ValueError, match=r"BinaryCrossentropy: labels must be in \[0, 1\]; "
                                         r"expected values in \[0, 1\], got values in \[0, 3\]"):
        bce.validate(np.array([0, 3, 1]), (None, 1))


# ----------------------------------------------------------------------------- lookup and config
@pytest.mark.parametrize("name, cls", [
    ("binary_crossentropy", L.BinaryCrossentropy), ("bce", L.BinaryCrossentropy),
    ("categorical_crossentropy", L.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy),
    ("mse", L.MeanSquaredError), ("mean_squared_error", L.MeanSquaredError),
    ("MSE", L.MeanSquaredError), ("mae", L.MeanAbsoluteError),
    ("mean_absolute_error", L.MeanAbsoluteError), ("huber", L.Huber), ("huber_loss", L.Huber),
    ("CategoricalCrossentropy", L.CategoricalCrossentropy),
])
def test_get_by_name(name, cls):
    assert type(L.get(name)) is cls


def test_get_other_identifiers():
    loss = L.BinaryCrossentropy(from_logits=True)
    assert L.get(loss) is loss and L.get(None) is None
    assert isinstance(L.get(L.binary_crossentropy), L.BinaryCrossentropy)
    assert isinstance(L.get(L.mse), L.MeanSquaredError)
    cfg = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert L.get(cfg).from_logits is True

    def custom(y_true, y_pred):
        return (y_pred - y_true) * (y_pred - y_true)

    wrapped = L.get(custom)
    assert isinstance(wrapped, L.LossFunctionWrapper) and wrapped.name == "custom"
    assert float(wrapped(np.zeros(4), np.full(4, 2.0))) == 4.0
    with pytest.raises(ValueError, match=r"unknown loss 'msee'\. Known: bce, BCE, "):
        L.get("msee")


def test_config_round_trip_and_defaults():
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, reduction="sum",
                                           name="x")
    clone = L.deserialize(L.serialize(loss))
    assert clone.get_config() == loss.get_config()
    bce = L.BinaryCrossentropy()
    assert (bce.from_logits, bce.label_smoothing, bce.axis, bce.reduction, bce.name) == (
        False, 0.0, -1, "sum_over_batch_size", "binary_crossentropy")
    assert L.Huber().name == "huber_loss" and L.Huber().delta == 1.0
    with pytest.raises(ValueError, match="MeanSquaredError: invalid reduction 'avg'"):
        L.MeanSquaredError(reduction="avg")
