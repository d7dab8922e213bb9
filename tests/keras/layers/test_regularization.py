"""Dropout: inactive at inference, inverted dropout in training, seeds and noise_shape."""

import numpy as np
import pytest

from deltaw.keras.layers import Dense, Dropout, Input, Layer
from deltaw.keras.models import Model, Sequential
from tests.keras.harness import check_layer


def test_dropout_harness_inference():
    # identity at inference: no op is recorded, so there is nothing to gradcheck
    check_layer(Dropout, {"rate": 0.5}, input_shape=(3, 4), expected_output_shape=(3, 4),
                gradcheck=False)


def test_dropout_harness_training():
    check_layer(Dropout, {"rate": 0.3, "seed": 1}, input_shape=(3, 4),
                call_kwargs={"training": True}, expected_output_shape=(3, 4), gradcheck=False,
                deterministic=False)


@pytest.mark.parametrize("training", [False, None])
def test_inactive_outside_training(training):
    x = np.ones((4, 5), np.float32)
    np.testing.assert_array_equal(Dropout(0.9)(x, training=training).numpy(), x)


def test_training_zeroes_a_fraction_and_scales_the_rest():
    out = Dropout(0.25, seed=0)(np.ones((200, 50)), training=True).numpy()
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((out == 0).mean() - 0.25) < 0.02


def test_seeded_layers_repeat_their_sequence_and_calls_differ():
    x = np.ones((4, 8))
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    first_a, first_b = a(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, a(x, training=True).numpy())


def test_noise_shape_shares_the_mask_along_size_one_axes():
    out = Dropout(0.5, noise_shape=(None, 1), seed=3)(np.ones((64, 6)), training=True).numpy()
    assert np.all(out == out[:, :1])


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", True])
def test_rate_must_be_in_unit_interval(rate):
    with pytest.raises(ValueError, match=r"Dropout 'd': rate must be a float in \[0, 1\); got "
                                         r"rate="):
        Dropout(rate, name="d")


def test_seed_must_be_int():
    with pytest.raises(TypeError, match=r"Dropout 'd': seed must be None or an int; got "
                                        r"seed=1.5"):
        Dropout(0.5, seed=1.5, name="d")


def test_training_flag_reaches_dropout_in_models():
    x = np.ones((8, 4), np.float32)
    model = Sequential([Input((4,)), Dropout(0.5, seed=0)])
    np.testing.assert_array_equal(model(x).numpy(), x)
    assert (model(x, training=True).numpy() == 0).any()
    inp = Input((4,))
    functional = Model(inp, Dropout(0.5, seed=0)(inp))
    assert (functional(x, training=True).numpy() == 0).any()
    np.testing.assert_array_equal(functional(x, training=False).numpy(), x)


def test_training_flag_propagates_into_nested_calls():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.dense = Dense(4, kernel_initializer="ones")
            self.dropout = Dropout(0.5, seed=0)

        def call(self, inputs):
            return self.dropout(self.dense(inputs))                   # no training argument

    block = Block()
    x = np.ones((8, 4), np.float32)
    assert (block(x, training=True).numpy() == 0).any()
    assert not (block(x).numpy() == 0).any()


def test_config_keys_match_keras():
    assert Dropout(0.2, seed=3).get_config() | {"name": "x"} == {
        "name": "x", "trainable": True, "dtype": "float32", "rate": 0.2, "seed": 3,
        "noise_shape": None}
