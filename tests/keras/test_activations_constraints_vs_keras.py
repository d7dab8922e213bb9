"""The activations, initializers, regularizer and constraints added for the full Keras 3 set,
against Keras 3 (torch backend): values to float32 rounding and configs. Skipped without
keras/torch."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
              pytest.mark.filterwarnings("ignore::UserWarning:keras")]

X = np.random.default_rng(2).uniform(-3, 3, (4, 6)).astype("float32")
ACTIVATIONS = [("celu", {}), ("celu", {"alpha": 0.5}), ("glu", {}), ("hard_shrink", {}),
               ("hard_shrink", {"threshold": 1.0}), ("hard_tanh", {}), ("log_sigmoid", {}),
               ("soft_shrink", {"threshold": 0.8}), ("sparse_plus", {}), ("sparse_sigmoid", {}),
               ("squareplus", {"b": 2}), ("tanh_shrink", {}),
               ("threshold", {"threshold": 0.5, "default_value": -1.0})]


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
def test_activations_match_keras(name, kwargs):
    expected = kr.to_numpy(getattr(keras.activations, name)(keras.ops.convert_to_tensor(X),
                                                            **kwargs))
    got = getattr(dk.activations, name)(X, **kwargs).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)
    assert dk.activations.get(name) is getattr(dk.activations, name)


def test_sparsemax_matches_keras_where_one_entry_dominates():
    # Keras 3.15's tau differs from the definition when k > 1 (see dw.nn.sparsemax); with k = 1
    # both give the one-hot of the largest entry.
    x = np.array([[3.0, 0.5, -1.0, 1.0], [-2.0, 0.0, 2.5, 1.2]], dtype="float32")
    expected = kr.to_numpy(keras.activations.sparsemax(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(dk.activations.sparsemax(x).numpy(), expected, atol=1e-7)
    np.testing.assert_allclose(dk.activations.sparsemax(X).numpy().sum(-1), 1.0, rtol=1e-6)


# Keras needs scipy for named windows (not installed here), so the windows are passed as arrays;
# deltaw's named windows are checked against NumPy's in test_initializers_added.py.
WINDOW = np.hanning(16).astype("float32")


@pytest.mark.parametrize("kwargs", [{"window": WINDOW}, {"side": "imag", "window": WINDOW},
                                    {"window": WINDOW, "scaling": "spectrum"},
                                    {"window": None, "scaling": None}])
def test_stft_initializer_matches_keras(kwargs):
    shape = (16, 1, 9)
    expected = kr.to_numpy(keras.initializers.STFT(**kwargs)(shape))
    got = dk.initializers.STFT(**kwargs)(shape)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    k_config = keras.initializers.STFT(**kwargs).get_config()
    d_config = dk.initializers.STFT(**kwargs).get_config()
    assert set(d_config) == set(k_config) and d_config["side"] == k_config["side"]


def test_initializer_aliases():
    assert dk.initializers.IdentityInitializer is dk.initializers.Identity
    assert dk.initializers.OrthogonalInitializer is dk.initializers.Orthogonal
    assert dk.initializers.STFTInitializer is dk.initializers.STFT is dk.initializers.stft


@pytest.mark.parametrize("kwargs, shape", [({}, (5, 3)), ({"factor": 0.3, "mode": "columns"},
                                                          (3, 5))])
def test_orthogonal_regularizer_matches_keras(kwargs, shape):
    w = np.random.default_rng(4).normal(size=shape).astype("float32")
    expected = float(kr.to_numpy(keras.regularizers.OrthogonalRegularizer(**kwargs)(
        keras.ops.convert_to_tensor(w))))
    got = float(dk.regularizers.OrthogonalRegularizer(**kwargs)(dw.tensor(w)))
    assert got == pytest.approx(expected, rel=1e-5)
    d_config = dk.regularizers.OrthogonalRegularizer(**kwargs).get_config()
    k_config = keras.regularizers.OrthogonalRegularizer(**kwargs).get_config()
    assert set(d_config) == set(k_config)
    assert d_config["mode"] == k_config["mode"]
    assert d_config["factor"] == pytest.approx(k_config["factor"])


CONSTRAINTS = [("MaxNorm", {}), ("MaxNorm", {"max_value": 0.5, "axis": 1}),
               ("MinMaxNorm", {}), ("MinMaxNorm", {"min_value": 2.0, "max_value": 3.0,
                                                   "rate": 0.3, "axis": [0, 1]}),
               ("NonNeg", {}), ("UnitNorm", {}), ("UnitNorm", {"axis": -1})]


@pytest.mark.parametrize("name, kwargs", CONSTRAINTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONSTRAINTS)])
def test_constraints_match_keras(name, kwargs):
    w = np.random.default_rng(6).normal(size=(3, 4, 2)).astype("float32")
    k_c = getattr(keras.constraints, name)(**kwargs)
    d_c = getattr(dk.constraints, name)(**kwargs)
    expected = kr.to_numpy(k_c(keras.ops.convert_to_tensor(w)))
    np.testing.assert_allclose(d_c(w).numpy(), expected, rtol=2e-6, atol=2e-6)
    assert d_c.get_config() == k_c.get_config()
    assert type(dk.constraints.get(keras.constraints.serialize(k_c))) is type(d_c)


def test_dense_constraint_training_matches_keras():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")

    def build(lib):
        model = lib.models.Sequential([
            lib.layers.Input((4,)),
            lib.layers.Dense(3, kernel_constraint=lib.constraints.MaxNorm(0.5),
                             bias_constraint=lib.constraints.NonNeg())])
        model.compile(optimizer=lib.optimizers.SGD(0.2), loss="mse")
        return model
    k_model, d_model = build(keras), build(dk)
    d_model.set_weights([kr.to_numpy(w) for w in k_model.get_weights()])
    k_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    d_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(d_model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, kr.to_numpy(b), rtol=1e-5, atol=1e-6)
