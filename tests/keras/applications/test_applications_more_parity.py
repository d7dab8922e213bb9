"""The architectures added for issue 13 against Keras 3 (weights=None): the same layer kinds and
names, the same weights (names, shapes, order), parameter counts and output shapes, and, with
Keras' weights copied over (batch-norm statistics moved away from 0 and 1), the same outputs.

Small inputs and the smallest members keep the module fast. The larger members share their
code paths with these and differ in the scaling tables only; B2 and V2B2 check width rounding.
(The big ones - EfficientNetB7, EfficientNetV2L, ConvNeXtXLarge - match Keras too, checked by
hand: 30-50 s each to build in both libraries.)"""

import re

import numpy as np
import pytest

from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

import deltaw.keras as dk  # noqa: E402

_NOTOP = {"include_top": False, "pooling": "avg"}
# (name, kwargs, compare outputs)
CASES = [
    ("MobileNet", {"input_shape": (64, 64, 3), "classes": 10}, True),
    ("MobileNet", {"alpha": 0.25, "depth_multiplier": 2, "input_shape": (32, 40, 3),
                   "include_top": False}, True),
    ("MobileNetV2", {"alpha": 0.35, "input_shape": (64, 64, 3), "include_top": False,
                     "pooling": "max"}, True),
    ("MobileNetV2", {"alpha": 1.3, "classes": 5}, False),
    ("MobileNetV3Small", {"input_shape": (64, 64, 3), "classes": 10,
                          "classifier_activation": None}, True),
    ("MobileNetV3Large", {"minimalistic": True, "input_shape": (64, 64, 3), **_NOTOP}, True),
    ("EfficientNetB0", {"input_shape": (64, 64, 3), **_NOTOP}, True),
    ("EfficientNetB2", {"include_top": False, "input_shape": (64, 64, 3)}, False),
    ("EfficientNetV2B0", {"input_shape": (64, 64, 3), "classes": 10,
                          "classifier_activation": None}, True),
    ("EfficientNetV2B2", {"include_top": False, "input_shape": (64, 64, 3)}, False),
    ("InceptionV3", {"input_shape": (75, 75, 3), **_NOTOP}, True),
    ("InceptionResNetV2", {"input_shape": (75, 75, 3), "include_top": False}, True),
    ("Xception", {"input_shape": (71, 71, 3), "include_top": False, "pooling": "max"}, True),
    ("ConvNeXtTiny", {"input_shape": (32, 32, 3), "classes": 10,
                      "classifier_activation": None}, True),
]


def _build(name, kwargs):
    # both name unnamed layers and weights from session counters: start them alike
    keras.backend.clear_session()
    dk.backend.clear_session()
    keras.utils.set_random_seed(0)   # the same initial weights whatever ran before
    with kr.quiet():
        theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    ours = getattr(dk.applications, name)(weights=None, **kwargs)
    return ours, theirs


def _weight_name(name):
    # Keras counts unnamed variables over the whole session ('variable_7'); deltaw per model
    return re.sub(r"^variable(_\d+)?$", "variable", name)


def _randomized(theirs, rng):
    """Keras' weights with the 1-D ones (biases, batch-norm parameters and statistics) moved
    off their initial zeros and ones, variances kept positive."""
    with kr.quiet():
        weights = [kr.to_numpy(w) for w in theirs.get_weights()]
    names = [w.name for w in theirs.weights]
    out = []
    for name, w in zip(names, weights, strict=True):
        if w.ndim == 1 and w.dtype.kind == "f":
            w = (w + rng.normal(0, 0.05, w.shape)).astype(w.dtype)
            if "variance" in name:
                w = np.abs(w) + 0.5
        out.append(w)
    return out


@pytest.mark.parametrize("name, kwargs, outputs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, kwargs, outputs):
    ours, theirs = _build(name, kwargs)
    assert ours.name == theirs.name
    assert [(type(x).__name__, x.name) for x in ours.layers] == \
        [(type(x).__name__, x.name) for x in theirs.layers]
    assert [(_weight_name(w.name), tuple(w.shape), w.trainable) for w in ours.weights] == \
        [(_weight_name(w.name), tuple(w.shape), w.trainable) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape
    if not outputs:
        return
    rng = np.random.default_rng(0)
    weights = _randomized(theirs, rng)
    with kr.quiet():
        theirs.set_weights(weights)
    ours.set_weights(weights)
    shape = tuple(64 if s is None else s for s in theirs.input_shape[1:])
    x = rng.random((2, *shape), dtype=np.float32) * 255
    with kr.quiet():
        expected = kr.to_numpy(theirs(x, training=False))
    assert np.ptp(expected) > 1e-3   # a real signal, not a collapsed output
    got = ours.predict(x, verbose=0)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


# Small NASNets with NASNetMobile's (skip_reduction=False) and NASNetLarge's settings, through
# Keras' NASNet function, since Keras 3 refuses NASNetMobile on its torch backend. (The full
# NASNetMobile, 4.3M weights, matches Keras too, checked by hand: 20 s.)
NASNETS = {
    "mobile-like": {"penultimate_filters": 384, "num_blocks": 1, "stem_block_filters": 32,
                    "skip_reduction": False, "default_size": 224},
    "large-like": {"penultimate_filters": 384, "num_blocks": 2, "stem_block_filters": 32,
                   "skip_reduction": True, "default_size": 331},
}


@pytest.mark.parametrize("config", sorted(NASNETS))
def test_nasnet_matches_keras(config):
    from keras.src.applications import nasnet

    from deltaw.keras.applications import nasnet as ours_nasnet

    kwargs = {**NASNETS[config], "input_shape": (64, 64, 3), "include_top": False,
              "pooling": "avg", "weights": None, "name": "nasnet"}
    keras.backend.clear_session()
    dk.backend.clear_session()
    keras.utils.set_random_seed(0)
    with kr.quiet():
        theirs = nasnet.NASNet(**kwargs)
    ours = ours_nasnet.NASNet(**kwargs)
    assert [(type(x).__name__, x.name) for x in ours.layers] == \
        [(type(x).__name__, x.name) for x in theirs.layers]
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == \
        [(w.name, tuple(w.shape)) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    rng = np.random.default_rng(0)
    weights = _randomized(theirs, rng)
    with kr.quiet():
        theirs.set_weights(weights)
    ours.set_weights(weights)
    x = rng.random((2, 64, 64, 3), dtype=np.float32) * 2 - 1
    with kr.quiet():
        expected = kr.to_numpy(theirs(x, training=False))
    assert np.ptp(expected) > 1e-3
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def test_nasnet_mobile_and_large_are_the_documented_settings():
    mobile = dk.applications.NASNetMobile(weights=None, include_top=False, pooling="avg",
                                          input_shape=(64, 64, 3))
    assert mobile.name == "nasnet_mobile" and mobile.output_shape == (None, 1056)
    with pytest.raises(ValueError, match="NASNetLarge: ImageNet weights need a static "
                                         "input_shape"):
        dk.applications.NASNetLarge(include_top=False, input_shape=(None, None, 3))


@pytest.mark.parametrize("module, mode", [("mobilenet", "tf"), ("mobilenet_v2", "tf"),
                                          ("inception_v3", "tf"), ("xception", "tf"),
                                          ("inception_resnet_v2", "tf"), ("nasnet", "tf"),
                                          ("mobilenet_v3", None), ("efficientnet", None),
                                          ("efficientnet_v2", None), ("convnext", None)])
def test_module_preprocess_input_matches_keras(module, mode):
    x = np.random.default_rng(1).random((2, 4, 4, 3)).astype(np.float32) * 255
    ours = getattr(dk.applications, module).preprocess_input(x.copy())
    with kr.quiet():
        theirs = getattr(keras.applications, module).preprocess_input(x.copy())
    np.testing.assert_allclose(ours, kr.to_numpy(theirs), rtol=1e-6, atol=1e-5)
    if mode is None:  # the models preprocess their input themselves
        np.testing.assert_array_equal(ours, x)
