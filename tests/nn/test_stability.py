"""Numerical stability of dw.nn: extreme logits, probabilities of exactly 0 and 1, float32 edges.

pytest turns every warning into an error, so each test here also proves that no overflow, divide
or invalid-value warning is emitted on valid input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaw as dw

nn = dw.nn
FLOATS = (np.float32, np.float64)


def _grad(fn, *arrays, wrt=0):
    """Value and gradient of sum(fn(...)) with respect to argument `wrt`."""
    tensors = [dw.tensor(a, requires_grad=i == wrt) if np.asarray(a).dtype.kind == "f" else a
               for i, a in enumerate(arrays)]
    out = fn(*tensors)
    (g,) = dw.grad(out.sum(), [tensors[wrt]])
    return out.numpy(), g.numpy()


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_huge_logits_is_exact(dtype):
    out, g = _grad(nn.softmax, np.array([1000.0, 0.0, -1000.0], dtype))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])  # the sum of a softmax is constant


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_of_huge_logits_is_finite(dtype):
    out, g = _grad(nn.log_softmax, np.array([1000.0, 0.0, -1000.0], dtype))
    np.testing.assert_array_equal(out, [0.0, -1000.0, -2000.0])
    np.testing.assert_array_equal(g, [-2.0, 1.0, 1.0])  # 1 - 3 * softmax


def test_softmax_gives_masked_entries_exactly_zero():
    out, g = _grad(nn.softmax, np.array([[0.0, -np.inf, 1.0]]))
    assert out[0, 1] == 0.0 and np.isfinite(g).all()
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_cross_entropy_from_huge_logits_is_finite(dtype):
    loss, g = _grad(lambda y, x: nn.sparse_categorical_cross_entropy(y, x, from_logits=True),
                    np.array([2]), np.array([[1000.0, 0.0, -1000.0]], dtype), wrt=1)
    assert loss.dtype == dtype
    np.testing.assert_array_equal(loss, [2000.0])
    np.testing.assert_array_equal(g, [[1.0, 0.0, -1.0]])  # softmax - onehot


@pytest.mark.parametrize("dtype", FLOATS)
def test_categorical_cross_entropy_from_huge_logits_is_finite(dtype):
    loss, g = _grad(lambda y, x: nn.categorical_cross_entropy(y, x, from_logits=True),
                    np.array([[0.0, 0.0, 1.0]], dtype), np.array([[1000.0, 0.0, -1000.0]], dtype),
                    wrt=1)
    np.testing.assert_array_equal(loss, [2000.0])
    np.testing.assert_array_equal(g, [[1.0, 0.0, -1.0]])


def test_binary_cross_entropy_from_logits_exact_values():
    x = np.array([[100.0], [-100.0], [20.0], [0.0]])
    y = np.array([[0.0], [1.0], [0.0], [1.0]])
    expected = (np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))[:, 0]
    np.testing.assert_allclose(expected, [100.0, 100.0, 20.000000002061153, math.log(2)],
                               rtol=1e-15)
    loss, g = _grad(lambda t, p: nn.binary_cross_entropy(t, p, from_logits=True), y, x, wrt=1)
    assert loss.shape == (4,)
    np.testing.assert_array_equal(loss, expected)
    np.testing.assert_allclose(g[:, 0], [1.0, -1.0, 1 / (1 + math.exp(-20)), -0.5], rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_from_extreme_logits(dtype):
    x = np.array([[1e30], [-1e30], [1e30], [-1e30]], dtype)
    y = np.array([[1.0], [0.0], [0.0], [1.0]], dtype)
    loss, g = _grad(lambda t, p: nn.binary_cross_entropy(t, p, from_logits=True), y, x, wrt=1)
    np.testing.assert_array_equal(loss, np.array([0.0, 0.0, 1e30, 1e30], dtype))
    np.testing.assert_array_equal(g[:, 0], [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_of_probabilities_zero_and_one(dtype):
    # PyTorch's clamp: log(0) counts as -100, so a certain wrong answer costs exactly 100
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype)
    p = np.array([[0.0], [1.0], [0.0], [1.0]], dtype)
    loss, g = _grad(nn.binary_cross_entropy, y, p, wrt=1)
    np.testing.assert_array_equal(loss, [0.0, 0.0, 100.0, 100.0])
    assert not np.signbit(loss).any()  # +0.0 for a correct answer, not -0.0
    assert np.isfinite(g).all()
    np.testing.assert_array_equal(g[:2, 0], [1.0, -1.0])  # (1-y)/(1-p) and -y/p at the exact end
    _, gy = _grad(nn.binary_cross_entropy, y, p, wrt=0)
    np.testing.assert_array_equal(gy[:, 0], [100.0, -100.0, 100.0, -100.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_with_smoothing_at_zero_and_one_is_finite(dtype):
    y = np.array([[0.0], [1.0]], dtype)
    p = np.array([[0.0], [1.0]], dtype)
    loss, g = _grad(lambda t, q: nn.binary_cross_entropy(t, q, label_smoothing=0.1), y, p, wrt=1)
    np.testing.assert_allclose(loss, [5.0, 5.0], rtol=1e-6)  # 0.05 * 100
    assert np.isfinite(g).all()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", [nn.categorical_cross_entropy,
                                lambda y, p: nn.sparse_categorical_cross_entropy(y.argmax(-1), p)],
                         ids=["categorical", "sparse"])
def test_categorical_losses_of_probabilities_zero_and_one(fn, dtype):
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype)
    p = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype)
    loss, g = _grad(fn, y, p, wrt=1)
    np.testing.assert_array_equal(loss, [0.0, 100.0])
    assert np.isfinite(g).all()


def test_categorical_of_all_zero_probabilities_is_finite():
    loss, g = _grad(nn.categorical_cross_entropy, np.array([[0.0, 1.0]]), np.zeros((1, 2)), wrt=1)
    np.testing.assert_array_equal(loss, [100.0])
    assert np.isfinite(g).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_saturates_exactly(dtype):
    out, g = _grad(nn.sigmoid, np.array([-1000.0, -80.0, 80.0, 1000.0], dtype))
    np.testing.assert_array_equal(out[[0, 3]], [0.0, 1.0])
    np.testing.assert_allclose(out[1], math.exp(-80), rtol=1e-6)  # full relative precision
    assert out[2] == 1.0
    assert np.isfinite(g).all()


ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus",
               "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "mish", "softmax",
               "log_softmax", "tanh"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", [*ACTIVATIONS, "gelu-approximate"])
def test_activations_are_finite_at_extreme_inputs(name, dtype):
    big = 1e30 if dtype == np.float32 else 1e300
    x = np.array([-big, -1000.0, -30.0, 0.5, 30.0, 1000.0, big], dtype)
    fn = (lambda t: nn.gelu(t, approximate=True)) if name == "gelu-approximate" else (
        getattr(nn, name))
    out, g = _grad(fn, x)
    assert out.dtype == dtype and g.dtype == dtype
    assert np.isfinite(out).all() and np.isfinite(g).all(), (out, g)


def test_softplus_at_extremes_is_exact():
    out, g = _grad(nn.softplus, np.array([-1000.0, -40.0, 40.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, math.exp(-40), 40.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(g, [0.0, math.exp(-40), 1.0, 1.0], rtol=1e-12)


def test_gelu_is_accurate_in_the_negative_tail():
    # 0.5 x (1 + erf(x / sqrt 2)) cancels to 0 (or garbage) here; deltaw keeps relative precision
    x = np.array([-10.0, -20.0, -30.0])
    expected = x * 0.5 * np.array([math.erfc(-v / math.sqrt(2)) for v in x])
    out, _ = _grad(nn.gelu, x)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_gelu_exact_and_approximate_differ_as_expected():
    x = np.linspace(-6, 6, 1201)
    exact = nn.gelu(dw.tensor(x)).numpy()
    approx = nn.gelu(dw.tensor(x), approximate=True).numpy()
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(exact, 0.5 * x * (1 + erf), rtol=1e-12, atol=1e-15)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(approx, tanh_form, rtol=1e-12, atol=1e-15)
    gap = np.abs(exact - approx).max()
    assert 1e-4 < gap < 1e-3  # the tanh form is within ~5e-4 of the exact one, never equal
    assert exact[x == 1.0] == pytest.approx(0.8413447460685429, rel=1e-14)
    assert approx[x == 1.0] == pytest.approx(0.8411919906082768, rel=1e-14)


LOSSES = {
    "mean_squared_error": lambda y, p: nn.mean_squared_error(y, p),
    "mean_absolute_error": lambda y, p: nn.mean_absolute_error(y, p),
    "huber": lambda y, p: nn.huber(y, p),
    "binary_cross_entropy": lambda y, p: nn.binary_cross_entropy(y, p),
    "binary_cross_entropy_from_logits": lambda y, p: nn.binary_cross_entropy(y, p, True),
    "categorical_cross_entropy": lambda y, p: nn.categorical_cross_entropy(y, p),
    "categorical_cross_entropy_from_logits": lambda y, p: nn.categorical_cross_entropy(y, p, True),
    "sparse_categorical_cross_entropy":
        lambda y, p: nn.sparse_categorical_cross_entropy(y.argmax(-1), p),
    "sparse_categorical_cross_entropy_from_logits":
        lambda y, p: nn.sparse_categorical_cross_entropy(y.argmax(-1), p, True),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_float32_losses_stay_float32_with_float64_labels(name):
    y = np.eye(3)[[0, 2]]  # float64 labels, as NumPy data usually is
    p = dw.tensor(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], np.float32), requires_grad=True)
    out = LOSSES[name](dw.tensor(y, dtype="float64"), p)
    assert out.dtype == np.float32 and out.shape == (2,)
    (g,) = dw.grad(out.sum(), [p])
    assert g.dtype == np.float32


@pytest.mark.parametrize("name", ACTIVATIONS + ["exponential", "linear", "swish", "hard_swish"])
def test_float32_activations_stay_float32(name):
    x = dw.tensor(np.array([[-1.5, 0.5, 2.0]], np.float32), requires_grad=True)
    out = getattr(nn, name)(x)
    assert out.dtype == np.float32
    if name != "linear":
        (g,) = dw.grad(out.sum(), [x])
        assert g.dtype == np.float32


def test_float32_dropout_stays_float32():
    x = dw.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    out = nn.dropout(x, 0.5, seed=0)
    (g,) = dw.grad(out.sum(), [x])
    assert out.dtype == np.float32 and g.dtype == np.float32
