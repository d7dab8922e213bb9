"""keras.ops inside Keras programs: a custom layer written only with ops trains with fit, and
its weights receive gradients through ops (the way keras.io's custom-layer examples use them)."""

import numpy as np

import deltaw as dw
import deltaw.keras as keras
from deltaw.keras import layers, ops


class RBFLayer(layers.Layer):
    """Radial basis features exp(-|scale| * |x - c|^2), written with keras.ops only."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.centers = self.add_weight(shape=(self.units, input_shape[-1]),
                                       initializer="random_normal", name="centers")
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

    def call(self, inputs):
        diff = ops.expand_dims(inputs, 1) - ops.expand_dims(self.centers, 0)
        dist = ops.sum(ops.square(diff), axis=-1)
        return ops.exp(-dist * ops.abs(self.scale))


def test_a_layer_written_with_ops_trains_with_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (ops.convert_to_numpy(ops.norm(x, axis=1)) < 1.0).astype("float32")[:, None]
    model = keras.Sequential([keras.Input((2,)), RBFLayer(8),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    losses = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_gradients_of_an_ops_loss_reach_the_weights():
    layer = RBFLayer(3)
    out = layer(ops.convert_to_tensor(np.ones((4, 2), np.float32)))
    loss = ops.mean(ops.square(out - 0.5))
    g_centers, g_scale = dw.grad(loss, [layer.centers, layer.scale])
    assert g_centers.shape == (3, 2) and np.isfinite(g_centers.numpy()).all()
    assert g_scale.shape == (3,) and np.abs(g_scale.numpy()).sum() > 0
