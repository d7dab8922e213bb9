"""The metrics added for the full Keras 3 set, against Keras 3 (torch backend): results after
several batches (with and without sample weights), configs, and state variable names.
Skipped without keras/torch."""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:keras"),
              pytest.mark.filterwarnings("ignore::UserWarning:keras")]

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()
    dk.backend.clear_session()



def _batches(kind, n=3):
    out = []
    for _ in range(n):
        if kind == "probs":
            t, p = RNG.uniform(0, 1, (5, 3)), RNG.uniform(0.05, 0.95, (5, 3))
        elif kind == "binary":
            t, p = (RNG.random((6, 3)) < 0.5) * 1.0, RNG.uniform(0, 1, (6, 3))
        elif kind == "binary1d":
            t, p = (RNG.random(8) < 0.5) * 1.0, RNG.uniform(0, 1, 8)
        elif kind == "signed":
            t, p = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 4))
        elif kind == "onehot":
            t, p = np.eye(3)[RNG.integers(0, 3, 6)], RNG.uniform(0, 1, (6, 3))
        elif kind == "ids":
            t, p = RNG.integers(-1, 4, (2, 5)), RNG.integers(0, 4, (2, 5))
        elif kind == "regression":
            t = RNG.normal(size=(6, 2))
            p = t + 0.5 * RNG.normal(size=(6, 2))
        out.append((t.astype("float32") if t.dtype.kind == "f" else t,
                    p.astype("float32") if p.dtype.kind == "f" else p,
                    RNG.uniform(0.2, 2.0, t.shape if kind == "ids" else len(t)).astype("float32")))
    return out


# (class name, kwargs, batches kind, use weights)
CASES = [
    ("KLDivergence", {}, "probs", True), ("Poisson", {}, "probs", True),
    ("Hinge", {}, "binary", True), ("SquaredHinge", {}, "binary", True),
    ("CategoricalHinge", {}, "onehot", True),
    ("MeanSquaredLogarithmicError", {}, "probs", True), ("LogCoshError", {}, "signed", True),
    ("CosineSimilarity", {}, "signed", True), ("CosineSimilarity", {"axis": 0}, "signed", False),
    ("PearsonCorrelation", {}, "signed", True), ("ConcordanceCorrelation", {}, "signed", True),
    ("F1Score", {}, "onehot", False), ("F1Score", {"average": "macro"}, "onehot", True),
    ("F1Score", {"average": "micro", "threshold": 0.4}, "binary", True),
    ("FBetaScore", {"beta": 2.0, "average": "weighted"}, "binary", True),
    ("FBetaScore", {"beta": 0.5, "threshold": 0.6}, "binary", False),
    ("R2Score", {}, "regression", False), ("R2Score", {}, "regression", True),
    ("R2Score", {"class_aggregation": None}, "regression", True),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2},
     "regression", False),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "ids", False),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 3}, "ids", False),
    ("MeanIoU", {"num_classes": 4}, "ids", False),
    ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, "ids", True),
    ("BinaryIoU", {}, "binary1d", False),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, "binary1d",
     True),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 1]}, "onehot", False),
    ("OneHotMeanIoU", {"num_classes": 3}, "onehot", False),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary1d", True),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 7}, "binary1d", True),
    ("SensitivityAtSpecificity", {"specificity": 0.4}, "binary1d", False),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 1}, "binary1d", True),
    ("PrecisionAtRecall", {"recall": 0.5, "class_id": 1}, "binary", True),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_results_match_keras(case):
    name, kwargs, kind, weighted = case
    k_metric = getattr(keras.metrics, name)(**kwargs)
    d_metric = getattr(dk.metrics, name)(**kwargs)
    for t, p, w in _batches(kind):
        k_metric.update_state(t, p, sample_weight=w if weighted else None)
        d_metric.update_state(t, p, sample_weight=w if weighted else None)
    expected = kr.to_numpy(k_metric.result())
    np.testing.assert_allclose(np.asarray(d_metric.result()), expected, rtol=2e-5, atol=2e-6)
    d_metric.reset_state()
    k_metric.reset_state()
    t, p, _ = _batches(kind, 1)[0]
    k_metric.update_state(t, p)
    d_metric.update_state(t, p)
    np.testing.assert_allclose(np.asarray(d_metric.result()), kr.to_numpy(k_metric.result()),
                               rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_and_variables_match_keras(case):
    name, kwargs, kind, _ = case
    k_metric = getattr(keras.metrics, name)(**kwargs)
    d_metric = getattr(dk.metrics, name)(**kwargs)
    t, p, _ = _batches(kind, 1)[0]
    k_metric.update_state(t, p)
    d_metric.update_state(t, p)
    assert d_metric.get_config() == k_metric.get_config()
    assert [v.name for v in d_metric.variables] == [v.name for v in k_metric.variables]
    assert [tuple(v.shape) for v in d_metric.variables] == \
        [tuple(v.shape) for v in k_metric.variables]
    again = type(d_metric).from_config(d_metric.get_config())
    assert again.get_config() == d_metric.get_config()


FUNCTIONS = ["pearson_correlation", "concordance_correlation", "hinge", "squared_hinge",
             "categorical_hinge", "kl_divergence", "poisson", "log_cosh",
             "mean_squared_logarithmic_error", "huber", "binary_focal_crossentropy",
             "categorical_focal_crossentropy"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_match_keras(name):
    t, p, _ = _batches("probs", 1)[0]
    expected = kr.to_numpy(getattr(keras.metrics, name)(t, p))
    got = getattr(dk.metrics, name)(t, p)
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)
