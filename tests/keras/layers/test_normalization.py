"""BatchNormalization: Keras 3's statistics, moving-average updates, weights and errors."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras.layers import BatchNormalization, Dense, Input
from deltaw.keras.models import Sequential
from tests.keras.harness import check_layer


@pytest.mark.parametrize("kwargs, call_kwargs, input_shape", [
    ({}, {"training": True}, (4, 3)),
    ({}, {}, (4, 3)),
    ({"axis": 1}, {"training": True}, (3, 2, 4)),
    ({"center": False}, {"training": True}, (5, 2)),
    ({"scale": False, "momentum": 0.5}, {"training": True}, (5, 2)),
], ids=["train", "inference", "axis1-3d", "no-center", "no-scale"])
def test_batch_norm_harness(kwargs, call_kwargs, input_shape):
    n_trainable = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    check_layer(BatchNormalization, kwargs, input_shape=input_shape, call_kwargs=call_kwargs,
                expected_output_shape=input_shape, expected_num_trainable_weights=n_trainable,
                expected_num_non_trainable_weights=2)


def test_weights_in_keras_order():
    bn = BatchNormalization()
    bn(np.ones((2, 3)))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert not bn.moving_mean.requires_grad


def test_training_normalizes_with_biased_batch_statistics_and_updates_moving_ones():
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, (8, 3)).astype(np.float32)
    bn = BatchNormalization(momentum=0.9, epsilon=1e-3)
    out = bn(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)                                   # biased (ddof=0)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    assert bn.moving_mean.dtype == np.float32


def test_inference_uses_moving_statistics():
    bn = BatchNormalization(epsilon=0.0)
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    bn(x)
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, 2.0]),
                    np.array([4.0, 1.0])])
    np.testing.assert_allclose(bn(x).numpy(), [[0.5, 0.0], [2.5, 4.0]])
    before = bn.get_weights()
    bn(x, training=False)
    for a, b in zip(before, bn.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_frozen_layer_runs_in_inference_mode_and_keeps_statistics():
    bn = BatchNormalization()
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    bn(x)
    bn.trainable = False
    out = bn(x, training=True)
    np.testing.assert_allclose(out.numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0.0, 0.0])
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    assert not bn.gamma.requires_grad
    bn.trainable = True
    assert bn.gamma.requires_grad and [w.name for w in bn.trainable_weights] == ["gamma", "beta"]


def test_gradient_flows_through_batch_statistics():
    # with gamma=1, beta=0 the normalized batch sums to 0, so d(sum(out))/dx is 0
    x = dw.tensor(np.random.default_rng(0).normal(size=(5, 2)), requires_grad=True)
    bn = BatchNormalization(dtype="float64")
    bn(x, training=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.0, atol=1e-10)


def test_fit_updates_moving_statistics_and_predict_does_not():
    model = Sequential([Input((2,)), BatchNormalization(momentum=0.5), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(3.0, 1.0, (16, 2)).astype(np.float32)
    model.fit(x, np.zeros((16, 1)), batch_size=16, epochs=1, verbose=0)
    moving_mean = model.layers[0].moving_mean.numpy().copy()
    assert np.all(moving_mean > 1.0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.layers[0].moving_mean.numpy(), moving_mean)


def test_symbolic_shape_and_input_spec():
    bn = BatchNormalization(axis=1)
    assert bn(Input((4, 5))).shape == (None, 4, 5)
    with pytest.raises(ValueError, match=r"BatchNormalization '.*': expected axis 1 of the input "
                                         r"to be 4, got input shape \(2, 3, 5\)"):
        bn(np.ones((2, 3, 5)))


def test_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization 'b': axis 2 is out of range for an "
                                         r"input of rank 2; got input shape \(3, 4\)"):
        BatchNormalization(axis=2, name="b")(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'b2': axis -1 of the input must be "
                                         r"known; got input shape \(None, None\)"):
        BatchNormalization(name="b2")(Input((None,)))
    with pytest.raises(ValueError, match=r"batch renormalization is not supported"):
        BatchNormalization(renorm=True)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]; got momentum=1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(TypeError, match=r"axis must be an int; got axis=\[1, 2\]"):
        BatchNormalization(axis=[1, 2])


def test_config_keys_match_keras():
    config = BatchNormalization().get_config()
    assert list(config) == [
        "name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
        "beta_initializer", "gamma_initializer", "moving_mean_initializer",
        "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
        "gamma_constraint", "synchronized", "renorm", "renorm_clipping", "renorm_momentum"]
    assert (config["momentum"], config["epsilon"], config["axis"]) == (0.99, 0.001, -1)
