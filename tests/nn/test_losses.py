"""dw.nn losses: Keras' documented values and formulas, label checks, shapes, y_true gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaw as dw

nn = dw.nn

# The data of the keras.losses docstring examples (Huber, BinaryCrossentropy).
Y2 = np.array([[0.0, 1.0], [0.0, 0.0]])
P2 = np.array([[0.6, 0.4], [0.4, 0.6]])


def _values(fn, *args, **kwargs):
    return fn(*[dw.tensor(a) if np.asarray(a).dtype.kind == "f" else a for a in args],
              **kwargs).numpy()


def test_regression_losses_by_hand():
    np.testing.assert_allclose(_values(nn.mse, Y2, P2), [0.36, 0.26], rtol=1e-6)
    np.testing.assert_allclose(_values(nn.mae, Y2, P2), [0.6, 0.5], rtol=1e-6)
    # Keras' Huber() example averages these two to 0.155
    np.testing.assert_allclose(_values(nn.huber, Y2, P2), [0.18, 0.13], rtol=1e-6)


def test_huber_linear_branch_and_delta():
    # |d| = 3 > delta = 1: delta * |d| - delta^2 / 2
    np.testing.assert_allclose(_values(nn.huber, [[0.0]], [[3.0]]), [2.5])
    np.testing.assert_allclose(_values(nn.huber, [[0.0]], [[3.0]], delta=2.0), [4.0])
    with pytest.raises(ValueError, match=r"huber: delta must be positive; expected delta > 0, "
                                         r"got 0\.0\."):
        nn.huber([0.0], [1.0], delta=0.0)


def test_binary_cross_entropy_keras_example():
    np.testing.assert_allclose(_values(nn.binary_cross_entropy, Y2, P2), [0.916291, 0.713558],
                               rtol=1e-6)


def test_categorical_and_sparse_keras_examples():
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    expected = [-math.log(0.95), -math.log(0.1)]
    np.testing.assert_allclose(_values(nn.categorical_cross_entropy, y, p), expected, rtol=1e-12)
    np.testing.assert_allclose(_values(nn.sparse_categorical_cross_entropy, np.array([1, 2]), p),
                               expected, rtol=1e-12)


def test_probabilities_are_renormalized_as_in_keras():
    # Keras divides y_pred by its sum along the class axis before taking the log
    p = np.array([[2.0, 6.0]])
    np.testing.assert_allclose(_values(nn.categorical_cross_entropy, [[0.0, 1.0]], p),
                               [-math.log(0.75)], rtol=1e-12)
    np.testing.assert_allclose(_values(nn.sparse_categorical_cross_entropy, [0], p),
                               [-math.log(0.25)], rtol=1e-12)


def test_from_logits_equals_from_probabilities():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    probs = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    labels = rng.integers(0, 5, 4)
    onehot = np.eye(5)[labels]
    for fn, y in ((nn.categorical_cross_entropy, onehot),
                  (nn.sparse_categorical_cross_entropy, labels)):
        np.testing.assert_allclose(_values(fn, y, x, from_logits=True), _values(fn, y, probs),
                                   rtol=1e-12)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(_values(nn.binary_cross_entropy, onehot, x, from_logits=True),
                               _values(nn.binary_cross_entropy, onehot, sig), rtol=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_label_smoothing_formula(from_logits):
    y = np.array([[0.0, 1.0, 1.0]])
    p = np.array([[0.2, 0.7, 0.9]]) if not from_logits else np.array([[-1.0, 0.5, 2.0]])
    smoothed = y * (1 - 0.2) + 0.5 * 0.2
    np.testing.assert_allclose(
        _values(nn.binary_cross_entropy, y, p, from_logits=from_logits, label_smoothing=0.2),
        _values(nn.binary_cross_entropy, smoothed, p, from_logits=from_logits), rtol=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_label_smoothing_formula(from_logits):
    y = np.array([[0.0, 1.0, 0.0, 0.0]])
    p = np.array([[0.1, 0.6, 0.2, 0.1]]) if not from_logits else np.array([[1.0, 2.0, 0.0, -1.0]])
    smoothed = y * (1 - 0.1) + 0.1 / 4
    np.testing.assert_allclose(
        _values(nn.categorical_cross_entropy, y, p, from_logits=from_logits, label_smoothing=0.1),
        _values(nn.categorical_cross_entropy, smoothed, p, from_logits=from_logits), rtol=1e-12)


@pytest.mark.parametrize("fn", [nn.binary_cross_entropy, nn.categorical_cross_entropy])
def test_label_smoothing_out_of_range(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: label_smoothing must be in \[0, 1\]; "
                                         r"expected a value in \[0, 1\], got -0\.1\."):
        fn([[0.0, 1.0]], [[0.5, 0.5]], label_smoothing=-0.1)


# ---------------------------------------------------------------- shapes


def test_labels_of_shape_n_against_predictions_of_shape_n_1():
    # Keras aligns ranks: four losses, never a (4, 4) broadcast
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = dw.tensor(np.array([[1.5], [2.0], [2.0], [5.0]]), requires_grad=True)
    for fn in (nn.mse, nn.mae, nn.huber, nn.binary_cross_entropy):
        out = fn(y / 5, p / 5)
        assert out.shape == (4,), fn.__name__
    out = nn.mse(y, p)
    np.testing.assert_allclose(out.numpy(), [0.25, 0.0, 1.0, 1.0])
    (g,) = dw.grad(out.sum(), [p])
    assert g.shape == (4, 1)
    np.testing.assert_allclose(g.numpy()[:, 0], [1.0, 0.0, -2.0, 2.0])


def test_per_sample_reduction_over_the_last_axis():
    y = np.zeros((2, 3, 4))
    for fn in (nn.mse, nn.mae, nn.huber, nn.binary_cross_entropy, nn.categorical_cross_entropy):
        assert fn(y, np.full((2, 3, 4), 0.25)).shape == (2, 3), fn.__name__
    assert nn.binary_cross_entropy(y, np.full((2, 3, 4), 0.25), axis=1).shape == (2, 4)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"mean_absolute_error: y_true and y_pred must have "
                                         r"broadcastable shapes; expected y_true of shape "
                                         r"\(4, 5\), got \(2, 3\)\."):
        nn.mae(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"categorical_cross_entropy: y_pred must have a class "
                                         r"axis; expected ndim >= 1, got a scalar\."):
        nn.categorical_cross_entropy(1.0, 0.5)
    with pytest.raises(ValueError, match=r"sparse_categorical_cross_entropy: y_pred must have a "
                                         r"class axis"):
        nn.sparse_categorical_cross_entropy(0, 0.5)


def test_categorical_with_one_class_warns_like_keras():
    with pytest.warns(SyntaxWarning, match=r"categorical_cross_entropy: expected y_pred of shape "
                                           r"\(batch_size, num_classes\) with num_classes > 1"):
        nn.categorical_cross_entropy(np.ones((2, 1)), np.ones((2, 1)))


# ---------------------------------------------------------------- sparse labels


def _scce(labels, p=None, **kwargs):
    p = np.full((len(np.atleast_1d(labels)), 3), 1 / 3) if p is None else p
    return nn.sparse_categorical_cross_entropy(labels, dw.tensor(p), **kwargs)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_label_out_of_range(from_logits):
    with pytest.raises(ValueError, match=r"^sparse_categorical_cross_entropy: label 3 is out of "
                                         r"range for 3 classes; expected 0 <= label < 3, got 3\.$"):
        _scce(np.array([0, 3]), from_logits=from_logits)
    with pytest.raises(ValueError, match=r"label -2 is out of range for 3 classes"):
        _scce(np.array([-2, 1]), from_logits=from_logits)
    with pytest.raises(ValueError, match=r"label 7 is out of range for 3 classes"):
        _scce(np.array([7.0, 1.0]), from_logits=from_logits)  # integral floats are checked too


def test_sparse_non_integer_labels():
    with pytest.raises(TypeError, match=r"sparse_categorical_cross_entropy: labels must be "
                                        r"integer class ids; expected integral values, got 1\.5\."):
        _scce(np.array([0.0, 1.5]))
    with pytest.raises(TypeError, match=r"expected integral values, got nan\."):
        _scce(np.array([np.nan, 1.0]))
    with pytest.raises(TypeError, match=r"expected an integer dtype, got <U1\."):
        _scce(np.array(["a", "b"]))


def test_sparse_accepts_lists_integral_floats_bools_and_a_trailing_axis():
    expected = _scce(np.array([0, 1])).numpy()
    np.testing.assert_array_equal(_scce([0, 1]).numpy(), expected)
    np.testing.assert_array_equal(_scce(np.array([0.0, 1.0])).numpy(), expected)
    np.testing.assert_array_equal(_scce(np.array([False, True])).numpy(), expected)
    np.testing.assert_array_equal(_scce(np.array([[0], [1]])).numpy(), expected)


def test_sparse_ignore_class():
    x = dw.tensor(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.0, 0.0, 0.0]]),
                  requires_grad=True)
    labels = np.array([2, 255, 1])  # 255 is not range-checked: it is ignored
    out = nn.sparse_categorical_cross_entropy(labels, x, from_logits=True, ignore_class=255)
    full = nn.sparse_categorical_cross_entropy(np.array([2, 0, 1]), x, from_logits=True)
    np.testing.assert_array_equal(out.numpy(), full.numpy() * [1, 0, 1])
    (g,) = dw.grad(out.sum(), [x])
    np.testing.assert_array_equal(g.numpy()[1], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"label 255 is out of range for 3 classes"):
        nn.sparse_categorical_cross_entropy(labels, x, ignore_class=-1)


def test_sparse_gradient_is_softmax_minus_onehot():
    x = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    t = dw.tensor(x, requires_grad=True)
    (g,) = dw.grad(nn.sparse_categorical_cross_entropy([2, 0], t, from_logits=True).sum(), [t])
    softmax = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    np.testing.assert_allclose(g.numpy(), softmax - np.eye(3)[[2, 0]], rtol=1e-14, atol=1e-16)


def test_sparse_labels_get_no_gradient_and_integer_labels_need_none():
    x = dw.tensor(np.zeros((2, 3)), requires_grad=True)
    y = dw.tensor(np.array([0.0, 1.0]), requires_grad=True)
    out = nn.sparse_categorical_cross_entropy(y, x)
    gy, gx = dw.grad(out.sum(), [y, x])
    assert gy is None and gx is not None


# ---------------------------------------------------------------- y_true gradients, kinks


def test_y_true_gets_a_gradient():
    y = dw.tensor(np.array([[0.2, 0.8]]), requires_grad=True)
    p = dw.tensor(np.array([[0.5, 0.5]]), requires_grad=True)
    gy, gp = dw.grad(nn.mse(y, p).sum(), [y, p])
    np.testing.assert_allclose(gp.numpy(), [[0.3, -0.3]])
    np.testing.assert_allclose(gy.numpy(), [[-0.3, 0.3]])
    (gy,) = dw.grad(nn.categorical_cross_entropy(y, p).sum(), [y])
    np.testing.assert_allclose(gy.numpy(), [[math.log(2), math.log(2)]])


def test_mae_gradient_at_zero_error_is_zero():
    p = dw.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    (g,) = dw.grad(nn.mae(np.array([[1.0, 1.0]]), p).sum(), [p])
    np.testing.assert_array_equal(g.numpy(), [[0.0, 0.5]])


def test_huber_gradient_is_continuous_at_delta():
    p = dw.tensor(np.array([[1.0, -1.0, 3.0]]), requires_grad=True)
    (g,) = dw.grad(nn.huber(np.zeros((1, 3)), p).sum(), [p])
    np.testing.assert_allclose(g.numpy(), [[1 / 3, -1 / 3, 1 / 3]], rtol=1e-15)
