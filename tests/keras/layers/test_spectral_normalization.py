"""SpectralNormalization and the Wrapper base: the norm it enforces, gradients, config, errors."""

import json

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import layers as L


def _top_singular_value(kernel):
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


@pytest.mark.parametrize("make, x", [
    (lambda: L.Dense(4), np.ones((2, 3), np.float32)),
    (lambda: L.Conv1D(3, 2), np.ones((2, 5, 2), np.float32)),
    (lambda: L.Embedding(6, 3), np.array([[1, 2], [3, 4]])),
], ids=["dense", "conv1d", "embedding"])
def test_training_calls_drive_the_spectral_norm_to_one(make, x):
    layer = L.SpectralNormalization(make(), power_iterations=3)
    layer(x)
    kernel = layer.layer.weights[0]
    before = kernel.numpy().copy()
    np.testing.assert_array_equal(layer(x).numpy(), layer.layer(x).numpy())   # inference: as is
    np.testing.assert_array_equal(kernel.numpy(), before)
    for _ in range(10):
        layer(x, training=True)
    assert abs(_top_singular_value(kernel.numpy()) - 1.0) < 1e-4
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]


def test_gradients_reach_the_kernel_through_the_wrapped_layer():
    layer = L.SpectralNormalization(L.Dense(2))
    x = dw.tensor(np.ones((1, 3), np.float32))
    layer(x)
    grads = dw.grad(dw.sum(layer(x, training=True)), layer.trainable_weights)
    assert [g.shape for g in grads] == [(3, 2), (2,)]
    np.testing.assert_allclose(grads[0].numpy(), np.ones((3, 2)))


def test_all_zero_kernel_is_left_alone():
    layer = L.SpectralNormalization(L.Dense(2, kernel_initializer="zeros"))
    out = layer(np.ones((1, 3), np.float32), training=True)
    assert np.all(out.numpy() == 0) and np.all(np.isfinite(layer.vector_u.numpy()))


def test_config_round_trips_through_json():
    layer = L.SpectralNormalization(L.Dense(3, activation="relu"), power_iterations=2)
    layer(np.ones((1, 2), np.float32))
    clone = L.SpectralNormalization.from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.power_iterations == 2 and clone.layer.units == 3
    assert L.LAYERS["SpectralNormalization"] is L.SpectralNormalization
    assert L.LAYERS["Wrapper"] is L.Wrapper


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"SpectralNormalization 's': power_iterations must be"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0, name="s")
    with pytest.raises(ValueError, match=r"SpectralNormalization 's': the wrapped Dropout has no "
                                         r"'kernel' or 'embeddings' weight"):
        L.SpectralNormalization(L.Dropout(0.1), name="s")(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"layer must be a keras Layer instance"):
        L.SpectralNormalization("dense")


def test_wrapper_builds_the_wrapped_layer():
    class Twice(L.Wrapper):
        def call(self, inputs):
            return self.layer(inputs) * 2

    layer = Twice(L.Dense(2))
    layer.build((None, 3))
    assert layer.layer.built and layer.layer.kernel.shape == (3, 2)
