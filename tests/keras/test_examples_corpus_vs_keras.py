"""The keras.io corpus on real Keras 3 and on deltaw: deltaw reaches what Keras reaches.

Both run the same program on the same data with the same seed; the figure each example reports
(accuracy, recall) must be no lower on deltaw than Keras' minus `TOLERANCE`, and Keras must pass
the same checks (which shows the checks are fair).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.keras import keras_reference as kr

keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

import deltaw.keras as dk  # noqa: E402
from tests.keras.examples_corpus.expectations import CHECKS, METRIC, NAMES, TOLERANCE  # noqa: E402
from tests.keras.test_examples_corpus import run_example  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_deltaw_reaches_what_keras_reaches(name, tmp_path, monkeypatch):
    (tmp_path / "keras").mkdir()
    (tmp_path / "deltaw").mkdir()
    monkeypatch.chdir(tmp_path / "keras")
    with kr.quiet():
        theirs = run_example(keras, name)
    CHECKS[name](theirs)
    monkeypatch.chdir(tmp_path / "deltaw")
    ours = run_example(dk, name)
    CHECKS[name](ours)
    metric = METRIC[name]
    if metric is not None:
        assert float(ours[metric]) >= float(theirs[metric]) - TOLERANCE, (
            f"{name}: deltaw's {metric} {float(ours[metric]):.3f}, Keras' "
            f"{float(theirs[metric]):.3f}")


def _siamese(lib):
    """The siamese example's network and loss (examples_corpus/siamese_contrastive.py)."""
    ops, layers = lib.ops, lib.layers

    def euclidean_distance(vects):
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, lib.backend.epsilon()))

    def contrastive_loss(y_true, y_pred):
        margin_square = ops.square(ops.maximum(1 - y_pred, 0))
        return ops.mean((1 - y_true) * ops.square(y_pred) + y_true * margin_square)

    inputs = layers.Input((28, 28, 1))
    x = layers.BatchNormalization()(inputs)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.BatchNormalization()(layers.Flatten()(x))
    tower = lib.Model(inputs, layers.Dense(10, activation="tanh")(x))
    left, right = layers.Input((28, 28, 1)), layers.Input((28, 28, 1))
    distance = layers.Lambda(euclidean_distance, output_shape=(1,))([tower(left), tower(right)])
    output = layers.Dense(1, activation="sigmoid")(layers.BatchNormalization()(distance))
    model = lib.Model([left, right], output)
    model.compile(loss=contrastive_loss, optimizer="RMSprop", metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_siamese_trains_as_keras_from_the_same_weights():
    """Why the siamese example's accuracy is not compared (it is bimodal in both libraries):
    from the same initial weights, deltaw trains this network on real MNIST pairs as Keras
    does, step for step (shared tower, BatchNormalization inside and outside it, Lambda)."""
    from tests.keras.examples_corpus import offline_data

    (x, y), _ = offline_data.mnist(n_train=160, n_test=1)
    rng = np.random.default_rng(0)
    partner = rng.permutation(len(x))
    pairs = [x[:, :, :, None].astype("float32"), x[partner, :, :, None].astype("float32")]
    labels = (y != y[partner]).astype("float32")
    keras.utils.set_random_seed(0)
    k_model, d_model = kr.build_both(_siamese)
    with kr.quiet():
        theirs = k_model.fit(pairs, labels, batch_size=16, epochs=2, shuffle=False,
                             verbose=0).history
    ours = d_model.fit(pairs, labels, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-4, err_msg=key)
    for got, want in zip(d_model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(got, kr.to_numpy(want), rtol=1e-3, atol=1e-3)
