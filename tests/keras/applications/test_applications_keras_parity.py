"""keras.applications against Keras 3 (weights=None): the same layers with the same names, the
same weights with the same names, shapes and order, the same parameter counts, and, with Keras'
weights copied over, the same outputs."""

import numpy as np
import pytest

from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

import deltaw.keras as dk  # noqa: E402

# ResNet101/152, their V2s and DenseNet169/201 differ from these only in block counts (same code
# paths); left out to keep the module's time down (a 45-60M-weight model takes seconds to build).
CASES = [
    ("VGG16", {"include_top": False, "input_shape": (32, 32, 3)}),
    ("VGG19", {"include_top": False, "pooling": "avg", "input_shape": (32, 32, 3)}),
    ("ResNet50", {}),
    ("ResNet50", {"include_top": False, "pooling": "max", "input_shape": (64, 64, 3)}),
    ("ResNet50V2", {"classes": 7, "classifier_activation": None}),
    ("DenseNet121", {"include_top": False, "pooling": "avg", "input_shape": (32, 32, 3)}),
]


def _build(name, kwargs):
    # both name unnamed layers from global counters: start them alike
    keras.backend.clear_session()
    dk.backend.clear_session()
    with kr.quiet():
        theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    ours = getattr(dk.applications, name)(weights=None, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_structure_matches_keras(name, kwargs):
    ours, theirs = _build(name, kwargs)
    assert ours.name == theirs.name
    # Keras names unnamed layers (inputs, V2's stride pools, DenseNet's paddings) with global
    # counters, so only their kinds are compared
    named = [(type(layer).__name__, layer.name) for layer in theirs.layers]
    mine = [(type(layer).__name__, layer.name) for layer in ours.layers]
    assert [k for k, _ in mine] == [k for k, _ in named]
    unnamed = ("InputLayer", "MaxPooling2D", "ZeroPadding2D")
    assert [n for (k, n) in mine if k not in unnamed] == [n for (k, n) in named if k not in unnamed]
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == \
        [(w.name, tuple(w.shape)) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape


@pytest.mark.parametrize("name", ["ResNet50", "ResNet50V2", "VGG16", "DenseNet121"])
def test_outputs_match_keras(name):
    kwargs = {"include_top": False, "pooling": "avg", "input_shape": (32, 32, 3)}
    ours, theirs = _build(name, kwargs)
    rng = np.random.default_rng(0)
    with kr.quiet():
        weights = [kr.to_numpy(w) for w in theirs.get_weights()]
    # non-trivial batch-norm statistics, so inference uses them
    weights = [w + rng.normal(0, 0.05, w.shape).astype(w.dtype) if w.ndim == 1 else w
               for w in weights]
    weights = [np.abs(w) + 0.5 if w.ndim == 1 and i % 4 == 3 else w
               for i, w in enumerate(weights)]
    with kr.quiet():
        theirs.set_weights(weights)
    ours.set_weights(weights)
    x = rng.random((2, 32, 32, 3), dtype=np.float32) * 255
    x = dk.applications.imagenet_utils.preprocess_input(x.copy())
    with kr.quiet():
        expected = kr.to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format):
    from keras.src.applications import imagenet_utils

    x = np.random.default_rng(1).random((2, 3, 4, 3)).astype(np.float32) * 255
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    expected = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    ours = dk.applications.imagenet_utils.preprocess_input(x.copy(), data_format=data_format,
                                                           mode=mode)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-4)
