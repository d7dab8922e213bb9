"""Model-level gradient check: model.check_gradients(x, y) and dw.gradcheck(model, x, y)."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from deltaw import keras


class ScaledTanh(keras.layers.Layer):
    """tanh(x * w) with a hand-written backward; `wrong=True` drops the factor x from dL/dw."""

    def __init__(self, wrong=False, **kwargs):
        super().__init__(**kwargs)
        self.wrong = wrong

    def build(self, input_shape):
        self.w = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        wrong = self.wrong

        @dw.ops.custom_gradient
        def scaled_tanh(x, w):
            out = dw.tanh(x * w)

            def grad_fn(g):
                local = g * (1 - out * out)
                gw = (local if wrong else local * x).sum(axis=0)   # the bug: d/dw misses x
                return local * w, gw

            return out, grad_fn

        return scaled_tanh(inputs, self.w)


def _data(shape=(8, 5), outputs=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape).astype("float32"),
            rng.standard_normal((shape[0], outputs)).astype("float32"))


def _model(*layers, input_shape=(5,)):
    model = keras.Sequential([keras.Input(input_shape), *layers])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_a_wrong_hand_written_backward_is_caught_and_named():
    x, y = _data()
    model = _model(keras.layers.Dense(4, name="first"), ScaledTanh(wrong=True, name="custom"),
                   keras.layers.Dense(3, name="last"))
    with pytest.raises(dw.GradcheckError,
                       match=r"layer 'custom', weight 'scale' of shape \(4,\).*backprop gives "
                             r"[-0-9.e]+, finite differences give [-0-9.e]+"):
        model.check_gradients(x, y)
    with pytest.raises(dw.GradcheckError, match="layer 'custom'"):
        dw.gradcheck(model, x, y)


def test_the_same_layer_with_the_right_backward_passes():
    x, y = _data()
    model = _model(keras.layers.Dense(4), ScaledTanh(), keras.layers.Dense(3))
    assert model.check_gradients(x, y)


def test_the_weights_and_dtypes_are_restored_bit_for_bit():
    x, y = _data()
    model = _model(keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3))
    before = [w.numpy().copy() for w in model.weights]
    assert dw.gradcheck(model, x, y)
    for w, b in zip(model.weights, before, strict=True):
        assert w.dtype == np.float32
        np.testing.assert_array_equal(w.numpy(), b)
    assert model.predict(x, verbose=0).dtype == np.float32


@pytest.mark.parametrize("name", ["dense", "conv", "lstm"])
def test_healthy_models_pass(name):
    if name == "dense":
        x, y = _data()
        model = _model(keras.layers.Dense(6, activation="tanh", kernel_regularizer="l2"),
                       keras.layers.Dense(3))
    elif name == "conv":
        x, y = _data((4, 6, 6, 2), outputs=2)
        model = _model(keras.layers.Conv2D(3, 3, activation="relu"),
                       keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                       keras.layers.Dense(2), input_shape=(6, 6, 2))
    else:
        x, y = _data((4, 5, 3), outputs=2)
        model = _model(keras.layers.LSTM(4), keras.layers.Dense(2), input_shape=(5, 3))
    assert model.check_gradients(x, y, directions=2)


def test_extra_arguments_for_a_function_are_rejected():
    x = dw.tensor([0.5], requires_grad=True)
    with pytest.raises(TypeError, match="unexpected arguments"):
        dw.gradcheck(dw.tanh, [x], 1.0)
