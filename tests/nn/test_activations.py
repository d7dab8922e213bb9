"""dw.nn activations: values against Keras' documented formulas, exact kink conventions, erf."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.nn import activations

nn = dw.nn
X = np.array([-4.0, -3.0, -1.5, -0.5, 0.0, 0.5, 1.5, 3.0, 6.0, 7.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


# Keras 3's definitions (keras.activations / the numpy backend), written out by hand.
REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x])),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": lambda x: np.log(np.exp(x) + 1),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "hard_swish": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "exponential": np.exp,
    "linear": lambda x: x,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_keras_formulas(name, dtype):
    out = getattr(nn, name)(dw.tensor(X.astype(dtype)))
    assert out.dtype == dtype and out.shape == X.shape
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](X), rtol=rtol, atol=rtol)


def test_relu_keras_docstring_examples():
    x = dw.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_array_equal(nn.relu(x).numpy(), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(nn.relu(x, negative_slope=0.5).numpy(), [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(nn.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(nn.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])


def test_relu_with_threshold_below_zero_keeps_negative_values_like_keras():
    x = dw.tensor([-2.0, -0.5, 1.0])
    np.testing.assert_array_equal(nn.relu(x, threshold=-1.0).numpy(), [0.0, -0.5, 1.0])
    np.testing.assert_array_equal(nn.relu(x, threshold=-1.0, max_value=2.0).numpy(), [0, 0, 1])


def test_leaky_relu_default_slope_is_keras_0_2():
    assert nn.leaky_relu(dw.tensor([-1.0])).item() == pytest.approx(-0.2)


def test_leaky_relu_slope_above_one_is_a_where_not_a_max():
    np.testing.assert_allclose(nn.leaky_relu(dw.tensor([-1.0, 1.0]), 2.0).numpy(), [-2.0, 1.0])


def test_integer_inputs():
    x = dw.tensor([-2, 0, 3])
    assert nn.relu(x).dtype == np.int64  # max(x, 0) stays integer
    np.testing.assert_array_equal(nn.relu(x).numpy(), [0, 0, 3])
    assert nn.sigmoid(x).dtype == np.float32  # transcendental functions compute in float32
    assert nn.softmax(x).dtype == np.float32


# ---------------------------------------------------------------- kink conventions, exact


def _grad_at(fn, points):
    x = dw.tensor(np.array(points, dtype=np.float64), requires_grad=True)
    (g,) = dw.grad(fn(x).sum(), [x])
    return g.numpy()


KINKS = [
    ("relu", nn.relu, [0.0], [0.0]),
    ("relu6", nn.relu6, [0.0, 6.0], [0.0, 0.0]),
    ("leaky_relu", nn.leaky_relu, [0.0], [0.2]),
    ("relu-negative-slope", lambda x: nn.relu(x, negative_slope=0.1), [0.0], [0.1]),
    ("relu-threshold", lambda x: nn.relu(x, threshold=1.0), [1.0, 1.5], [0.0, 1.0]),
    ("relu-threshold-slope", lambda x: nn.relu(x, negative_slope=0.3, threshold=1.0),
     [0.5, 1.0, 1.5], [0.3, 0.3, 1.0]),
    ("relu-max", lambda x: nn.relu(x, max_value=2.0), [0.0, 1.0, 2.0, 3.0], [0, 1, 0, 0]),
    ("elu", nn.elu, [0.0], [1.0]),
    ("elu-alpha", lambda x: nn.elu(x, alpha=0.5), [0.0], [0.5]),
    ("selu", nn.selu, [0.0], [SELU_SCALE * SELU_ALPHA]),
    ("hard_sigmoid", nn.hard_sigmoid, [-3.0, 0.0, 3.0], [0.0, 1 / 6, 0.0]),
    ("hard_silu", nn.hard_silu, [-3.0, 0.0, 3.0], [0.0, 0.5, 1.0]),
    ("softsign", nn.softsign, [0.0], [1.0]),
]


@pytest.mark.parametrize("name, fn, points, expected", KINKS, ids=[k[0] for k in KINKS])
def test_gradient_at_kinks(name, fn, points, expected):
    np.testing.assert_allclose(_grad_at(fn, points), expected, rtol=1e-15, atol=0)


def test_every_primitive_documents_its_gradient():
    from deltaw.nn import losses
    for name in activations.__all__ + losses.__all__ + ["dropout"]:
        fn = getattr(nn, name)
        if hasattr(fn, "op"):  # a primitive: its docstring states the derivative and kinks
            assert "Gradient:" in fn.__doc__, f"dw.nn.{name} has no 'Gradient:' line."


# ---------------------------------------------------------------- erf, erfc and the normal CDF


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 2801), [1e-300, -1e-20, 1e-8, 0.4999, 0.5, 0.5001]])
    got = activations._erf(np, x)
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)


def test_erf_float32():
    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    got = activations._erf(np, x)
    assert got.dtype == np.float32
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_erfc_keeps_relative_precision_in_the_tail():
    z = np.concatenate([np.linspace(0, 6, 601), np.linspace(6, 26, 201)])
    expected = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(activations._erfc_nonneg(np, z), expected, rtol=1e-12, atol=0)
    z32 = np.linspace(0, 4, 401).astype(np.float32)
    expected32 = np.array([math.erfc(v) for v in z32.astype(np.float64)])
    np.testing.assert_allclose(activations._erfc_nonneg(np, z32), expected32, rtol=2e-6)


def test_normal_cdf():
    x = np.linspace(-37, 8, 901)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(activations._ndtr(np, x), expected, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- softmax family


def test_softmax_normalizes_along_axis_and_tuple_axes():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_allclose(nn.softmax(dw.tensor(x), axis=1).numpy().sum(axis=1), 1.0)
    np.testing.assert_allclose(nn.softmax(dw.tensor(x), axis=(0, 2)).numpy().sum(axis=(0, 2)),
                               1.0)
    np.testing.assert_allclose(nn.log_softmax(dw.tensor(x), axis=0).numpy(),
                               np.log(nn.softmax(dw.tensor(x), axis=0).numpy()), rtol=1e-12)


def test_softmax_axis_errors():
    with pytest.raises(dw.AxisError, match=r"softmax: axis 2 is out of range for a tensor of "
                                           r"ndim 2\."):
        nn.softmax(dw.ones((2, 3)), axis=2)
    with pytest.raises(dw.AxisError, match=r"log_softmax: axis -3 is out of range"):
        nn.log_softmax(dw.ones((2, 3)), axis=-3)


def test_softmax_gradient_rows_sum_to_zero():
    x = dw.tensor(np.random.default_rng(1).normal(size=(3, 5)), requires_grad=True)
    w = dw.tensor(np.random.default_rng(2).normal(size=(3, 5)))
    (g,) = dw.grad((nn.softmax(x) * w).sum(), [x])
    np.testing.assert_allclose(g.numpy().sum(axis=-1), 0.0, atol=1e-15)


# ---------------------------------------------------------------- aliases and delegation


def test_aliases_are_the_same_function():
    assert nn.swish is nn.silu
    assert nn.hard_swish is nn.hard_silu


def test_linear_is_the_identity():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    assert nn.linear(x) is x
    y = nn.linear(np.array([1.0, 2.0]))
    assert isinstance(y, dw.Tensor) and y.dtype == np.float64


def test_tanh_delegates_to_dw_tanh():
    x = dw.tensor([-1.0, 0.5], requires_grad=True)
    np.testing.assert_array_equal(nn.tanh(x).numpy(), dw.tanh(x).numpy())
    (g,) = dw.grad(nn.tanh(x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), 1 - np.tanh([-1.0, 0.5]) ** 2, rtol=1e-6)
