"""Layers and models against Keras 3 (PyTorch backend): weights, predictions, summary, configs.

Each case builds the same model in both libraries, copies Keras' weights into deltaw with
`set_weights` (so the weight lists must have the same order and shapes), and compares
predictions to float32 precision. Skipped without keras/torch.
"""

import json

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras.models import model_from_json
from tests.keras import keras_reference as ref  # selects the torch backend; import before keras

with ref.quiet():
    keras = pytest.importorskip("keras", reason=ref.SKIP_REASON)
ref.require_torch_backend(keras)

ATOL = 1e-5
# Keras' own warnings (input_shape= advice, NumPy 2 copy= deprecations) are not deltaw's.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
              pytest.mark.filterwarnings("ignore::UserWarning:keras")]


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()
    dk.backend.clear_session()


def _summary(model):
    out = []
    model.summary(print_fn=out.append, line_length=76)
    return out[0]


def _mlp(lib):
    L = lib.layers
    return lib.Sequential([L.Dense(16, activation="relu", input_shape=(6,)),
                           L.BatchNormalization(), L.Dropout(0.3),
                           L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")],
                          name="mlp")


def _conv_free_image(lib):
    L = lib.layers
    inp = lib.Input((4, 3, 2), name="img")
    x = L.Flatten()(inp)
    x = L.Dense(12, activation="sigmoid")(x)
    x = L.Reshape((3, 4))(x)
    x = L.Dense(2)(x)                                   # Dense on a 3-D tensor
    x = L.Activation("relu")(x)
    return lib.Model(inp, L.Flatten()(x), name="img_net")


def _branches(lib):
    L = lib.layers
    a, b = lib.Input((5,), name="a"), lib.Input((5,), name="b")
    shared = L.Dense(4, name="shared")
    sa, sb = shared(a), shared(b)
    merged = L.Concatenate()([L.Add()([sa, sb]), L.Multiply()([sa, sb]),
                              L.Subtract()([sa, sb]), L.Average()([sa, sb]),
                              L.Maximum()([sa, sb]), L.Minimum()([sa, sb])])
    out1 = L.Dense(2, activation="softmax", name="probs")(merged)
    out2 = L.Dense(1, name="value")(L.BatchNormalization(axis=-1)(merged))
    return lib.Model([a, b], [out1, out2], name="branches")


CASES = {"mlp": (_mlp, [(10, 6)]), "image": (_conv_free_image, [(10, 4, 3, 2)]),
         "branches": (_branches, [(10, 5), (10, 5)])}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=s).astype(np.float32) for s in shapes]
    return xs[0] if len(xs) == 1 else xs


@pytest.mark.parametrize("case", list(CASES))
def test_predictions_weights_and_summary_match(case):
    build, shapes = CASES[case]
    km, dm = ref.build_both(build)
    x = _inputs(shapes)
    kp, dp = km.predict(x, verbose=0), dm.predict(x, verbose=0)
    for k, d in zip(ref.as_list(kp), ref.as_list(dp), strict=True):
        np.testing.assert_allclose(d, k, atol=ATOL, rtol=1e-5)
    assert [layer.name for layer in dm.layers] == [layer.name for layer in km.layers]
    assert km.count_params() == dm.count_params()
    assert _summary(dm) == _summary(km)


def test_batch_norm_training_step_matches_keras():
    x = _inputs([(16, 5)])
    kb, db = keras.layers.BatchNormalization(momentum=0.8), dk.layers.BatchNormalization(
        momentum=0.8)
    kb.build((None, 5))
    db.build((None, 5))
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, 5).astype(np.float32) for _ in range(4)]
    kb.set_weights(weights)
    db.set_weights(weights)
    for training in (True, True, False):
        k_out = keras.ops.convert_to_numpy(kb(x, training=training))
        np.testing.assert_allclose(db(x, training=training).numpy(), k_out, atol=ATOL)
    for k, d in zip(kb.get_weights(), db.get_weights(), strict=True):
        np.testing.assert_allclose(d, k, rtol=1e-6)


def test_lazy_sequential_summary_matches_keras():
    def build(lib):
        return lib.Sequential([lib.layers.Dense(3), lib.layers.Dense(1)], name="lazy")

    with ref.quiet():
        km = build(keras)
    dm = build(dk)
    assert _summary(dm) == _summary(km)                  # unbuilt: '?' and '0 (unbuilt)'
    km(np.ones((7, 4), np.float32))
    dm(np.ones((7, 4), np.float32))
    assert _summary(dm) == _summary(km)


@pytest.mark.parametrize("layer_name, kwargs", [
    ("Dense", {"units": 3}), ("BatchNormalization", {}), ("Dropout", {"rate": 0.2}),
    ("Flatten", {}), ("Reshape", {"target_shape": (2, -1)}), ("Concatenate", {"axis": 1}),
    ("Add", {}), ("Activation", {"activation": "relu"}),
])
def test_config_keys_match_keras(layer_name, kwargs):
    keys_k = set(getattr(keras.layers, layer_name)(**kwargs).get_config())
    keys_d = set(getattr(dk.layers, layer_name)(**kwargs).get_config())
    assert keys_d == keys_k - {"quantization_config"}


def test_keras_json_loads_in_deltaw():
    with ref.quiet():
        km = _branches(keras)
        seq = _mlp(keras)
    for model in (km, seq):
        dm = model_from_json(model.to_json())
        dm.set_weights(model.get_weights())
        x = _inputs([(4,) + tuple(t.shape[1:]) for t in model.inputs])
        kp, dp = model.predict(x, verbose=0), dm.predict(x, verbose=0)
        for k, d in zip(ref.as_list(kp), ref.as_list(dp), strict=True):
            np.testing.assert_allclose(d, k, atol=ATOL, rtol=1e-5)


def test_deltaw_sequential_json_loads_in_keras():
    dm = _mlp(dk)
    config = json.loads(dm.to_json())
    with ref.quiet():
        km = keras.models.model_from_json(json.dumps(config))
    km.set_weights(dm.get_weights())
    x = _inputs([(5, 6)])
    np.testing.assert_allclose(dm.predict(x, verbose=0), km.predict(x, verbose=0), atol=ATOL)
