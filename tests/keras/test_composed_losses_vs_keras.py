"""The losses composed of dw ops against Keras 3 (torch backend): values, reductions, sample
weights, gradients' absence of NaN, and configs with Keras' keys. Skipped without keras/torch."""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
              pytest.mark.filterwarnings("ignore::UserWarning:keras")]

RNG = np.random.default_rng(7)
PROBS = RNG.uniform(0.05, 0.95, (4, 3)).astype("float32")
SOFT = RNG.uniform(0, 1, (4, 3)).astype("float32")
BINARY = (RNG.random((4, 3)) < 0.5).astype("float32")
ONE_HOT = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
SIGNED = RNG.normal(size=(4, 3)).astype("float32")
IDS = np.array([0, 0, 1, 1, 2, 2])
EMB = RNG.normal(size=(6, 4)).astype("float32")
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
SEG_T = (RNG.random((2, 4, 4, 1)) < 0.5).astype("float32")
SEG_P = RNG.uniform(0.05, 0.95, (2, 4, 4, 1)).astype("float32")
CTC_T = np.array([[1, 2, 2, 0], [3, 0, 0, 0], [2, 1, 3, 1], [1, 1, 0, 0]])
CTC_P = RNG.normal(size=(4, 9, 4)).astype("float32")

# (class name, constructor kwargs, y_true, y_pred)
CASES = [
    ("KLDivergence", {}, SOFT, PROBS),
    ("Poisson", {}, SOFT * 3, PROBS * 2),
    ("LogCosh", {}, SIGNED, SOFT),
    ("CosineSimilarity", {}, SIGNED, SOFT - 0.5),
    ("CosineSimilarity", {"axis": 0}, SIGNED, SOFT - 0.5),
    ("Hinge", {}, BINARY, SIGNED),
    ("Hinge", {}, BINARY * 2 - 1, SIGNED),
    ("SquaredHinge", {}, BINARY, SIGNED),
    ("CategoricalHinge", {}, ONE_HOT, SIGNED),
    ("MeanAbsolutePercentageError", {}, SIGNED, SOFT),
    ("MeanSquaredLogarithmicError", {}, SOFT, SIGNED),
    ("BinaryFocalCrossentropy", {}, BINARY, PROBS),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                 "from_logits": True, "label_smoothing": 0.1}, BINARY, SIGNED),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 3.0, "from_logits": True,
                                      "label_smoothing": 0.2}, ONE_HOT, SIGNED),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, IDS[:4] % 3,
     PROBS / PROBS.sum(-1, keepdims=True)),
    ("Dice", {}, SEG_T, SEG_P),
    ("Dice", {"axis": (1, 2, 3)}, SEG_T, SEG_P),
    ("Tversky", {"alpha": 0.7, "beta": 0.3}, SEG_T, SEG_P),
    ("Tversky", {"axis": (1, 2)}, SEG_T, SEG_P),
    ("CTC", {}, CTC_T, CTC_P),
    ("Circle", {}, IDS, EMB),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, IDS, EMB),
]
IDS_OF = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", None, "mean_with_sample_weight"]


def _both(name, kwargs, reduction="sum_over_batch_size"):
    return (getattr(keras.losses, name)(reduction=reduction, **kwargs),
            getattr(dk.losses, name)(reduction=reduction, **kwargs))


def _torch_safe(y):
    # keras' CategoricalGeneralizedCrossEntropy multiplies a NumPy array by a torch tensor
    return keras.ops.convert_to_tensor(y)


@pytest.mark.parametrize("case", CASES, ids=IDS_OF)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_values_match_keras(case, reduction):
    name, kwargs, y_true, y_pred = case
    k_loss, d_loss = _both(name, kwargs, reduction)
    expected = kr.to_numpy(k_loss(y_true, _torch_safe(y_pred)))
    got = d_loss(y_true, y_pred).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in ("Dice", "Tversky")],
                         ids=[i for c, i in zip(CASES, IDS_OF, strict=True)
                              if c[0] not in ("Dice", "Tversky")])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean_with_sample_weight", None])
def test_sample_weights_match_keras(case, reduction):
    name, kwargs, y_true, y_pred = case
    k_loss, d_loss = _both(name, kwargs, reduction)
    weights = np.linspace(0.5, 2.0, len(y_pred)).astype("float32")
    if kwargs.get("axis") == 0:
        weights = weights[:y_pred.shape[1]]
    expected = kr.to_numpy(k_loss(y_true, _torch_safe(y_pred), sample_weight=weights))
    got = d_loss(y_true, y_pred, sample_weight=weights).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)


FUNCTIONS = [
    ("kl_divergence", {}, SOFT, PROBS), ("poisson", {}, SOFT, PROBS),
    ("log_cosh", {}, SIGNED, SOFT), ("cosine_similarity", {"axis": -1}, SIGNED, SOFT),
    ("hinge", {}, BINARY, SIGNED), ("squared_hinge", {}, BINARY, SIGNED),
    ("categorical_hinge", {}, ONE_HOT, SIGNED),
    ("mean_absolute_percentage_error", {}, SIGNED, SOFT),
    ("mean_squared_logarithmic_error", {}, SOFT, SIGNED),
    ("binary_focal_crossentropy", {"gamma": 3.0}, BINARY, PROBS),
    ("categorical_focal_crossentropy", {"from_logits": True}, ONE_HOT, SIGNED),
    ("dice", {"axis": (1, 2)}, SEG_T, SEG_P), ("tversky", {"alpha": 0.2}, SEG_T, SEG_P),
    ("circle", {"gamma": 20}, IDS, EMB), ("ctc", {}, CTC_T, CTC_P),
]


@pytest.mark.parametrize("case", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_functions_match_keras(case):
    name, kwargs, y_true, y_pred = case
    expected = kr.to_numpy(getattr(keras.losses, name)(y_true, y_pred, **kwargs))
    got = getattr(dk.losses, name)(y_true, y_pred, **kwargs).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS_OF)
def test_config_matches_keras(case):
    name, kwargs, _, _ = case
    k_loss, d_loss = _both(name, kwargs, "sum")
    k_config, d_config = k_loss.get_config(), d_loss.get_config()
    assert d_config == k_config
    again = type(d_loss).from_config(d_config)
    assert again.get_config() == d_config
    assert dk.losses.deserialize(dk.losses.serialize(d_loss)).get_config() == d_config


def test_aliases_resolve_like_keras():
    for alias in ("kld", "KLD", "mape", "MAPE", "msle", "MSLE"):
        k_fn = keras.losses.get(alias)
        d_loss = dk.losses.get(alias)
        expected = kr.to_numpy(keras.ops.mean(k_fn(SOFT, PROBS)))
        np.testing.assert_allclose(float(d_loss(SOFT, PROBS)), expected, rtol=2e-6)
