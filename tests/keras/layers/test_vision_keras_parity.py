"""Vision layers against Keras 3 (PyTorch backend): outputs, weights, configs, and a CNN fit.

Each layer case builds the same layer in both libraries on the same input, copies Keras' weights
into deltaw with `set_weights` (so the weight lists must have the same order and shapes), and
compares outputs to float32 rounding. Skipped without keras/torch.
"""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as ref  # selects the torch backend; import before keras

with ref.quiet():
    keras = pytest.importorskip("keras", reason=ref.SKIP_REASON)
ref.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

# (id, class name, constructor kwargs, input shape)
CASES = [
    ("conv2d", "Conv2D", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
    ("conv2d-same-stride2", "Conv2D", {"filters": 3, "kernel_size": (3, 2), "strides": 2,
                                       "padding": "same", "activation": "relu"}, (2, 7, 8, 2)),
    ("conv2d-dilated", "Conv2D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                                  "padding": "same"}, (2, 7, 7, 3)),
    ("conv2d-groups", "Conv2D", {"filters": 4, "kernel_size": 2, "groups": 2,
                                 "use_bias": False}, (2, 5, 5, 4)),
    ("conv1d", "Conv1D", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 9, 2)),
    ("conv1d-same", "Conv1D", {"filters": 3, "kernel_size": 4, "padding": "same"}, (2, 7, 2)),
    ("conv1d-causal", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal",
                                 "dilation_rate": 2}, (2, 8, 3)),
    ("conv2d-transpose", "Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2},
     (2, 3, 4, 2)),
    ("conv2d-transpose-same", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2,
                                                  "padding": "same"}, (2, 3, 3, 3)),
    ("conv2d-transpose-outpad", "Conv2DTranspose", {"filters": 2, "kernel_size": 3,
                                                    "strides": 2, "output_padding": 1},
     (2, 3, 3, 2)),
    ("depthwise", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 5, 3)),
    ("depthwise-same-stride", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2,
                                                  "padding": "same"}, (2, 7, 7, 2)),
    ("separable", "SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
     (2, 6, 6, 3)),
    ("maxpool2d", "MaxPooling2D", {}, (2, 6, 7, 3)),
    ("maxpool2d-same", "MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 6, 2)),
    # symmetric 'same' padding: for an odd total pad, Keras' torch backend averages replicated
    # edge values, while TF and JAX (and deltaw) leave the padding out of the mean
    ("avgpool2d-same", "AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 5, 2)),
    ("maxpool1d", "MaxPooling1D", {"pool_size": 3, "strides": 1}, (2, 7, 3)),
    ("avgpool1d", "AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 3)),
    ("gap2d", "GlobalAveragePooling2D", {}, (2, 4, 5, 3)),
    ("gmp2d-keepdims", "GlobalMaxPooling2D", {"keepdims": True}, (2, 4, 5, 3)),
    ("gap1d", "GlobalAveragePooling1D", {}, (2, 6, 3)),
    ("gmp1d", "GlobalMaxPooling1D", {}, (2, 6, 3)),
    ("upsampling", "UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("upsampling-bilinear", "UpSampling2D", {"interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("zeropadding", "ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 3, 4, 2)),
    ("cropping", "Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 2)),
    ("layernorm", "LayerNormalization", {}, (3, 4, 5)),
    ("layernorm-axes", "LayerNormalization", {"axis": [1, 2], "epsilon": 1e-5}, (3, 4, 5)),
    ("groupnorm", "GroupNormalization", {"groups": 2}, (2, 3, 3, 4)),
    ("groupnorm-instance", "GroupNormalization", {"groups": -1, "center": False},
     (2, 5, 4)),
]


def _random_weights(layer, rng):
    """Keras' initial weights, with zero biases and unit gammas replaced by random values."""
    return [rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()]


@pytest.mark.parametrize("cls_name, kwargs, shape", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_layer_matches_keras(cls_name, kwargs, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    k_layer = getattr(keras.layers, cls_name)(**kwargs)
    d_layer = getattr(dk.layers, cls_name)(**kwargs)
    k_layer(x)
    d_layer(x)
    k_layer.set_weights(_random_weights(k_layer, rng))
    ref.copy_weights(k_layer, d_layer)
    expected = keras.ops.convert_to_numpy(k_layer(x))
    got = d_layer(x).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert tuple(d_layer.compute_output_shape((None, *shape[1:]))) == \
        tuple(k_layer.compute_output_shape((None, *shape[1:])))


@pytest.mark.parametrize("cls_name, kwargs, shape", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_config_has_keras_keys_and_loads_keras_config(cls_name, kwargs, shape):
    k_config = getattr(keras.layers, cls_name)(**kwargs).get_config()
    d_config = getattr(dk.layers, cls_name)(**kwargs).get_config()
    assert set(k_config) - set(d_config) <= {"activity_regularizer"}
    restored = getattr(dk.layers, cls_name).from_config(k_config)     # Keras' config loads
    for key in ("kernel_size", "strides", "padding", "pool_size", "size", "groups", "axis"):
        if key in k_config:
            assert restored.get_config()[key] == d_config[key], key


def test_global_average_pooling1d_mask_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 2)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    expected = keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    got = dk.layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def _cnn(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 1)),
        L.Conv2D(6, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(8, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(10, activation="softmax"),
    ])


def test_small_cnn_fit_matches_keras_epoch_by_epoch():
    (x, y), _ = dk.datasets.digits.load_data()
    x, y = x[:96, :, :, None] / 16.0, y[:96]
    k_model, d_model = ref.build_both(_cnn)
    with ref.quiet():
        k_model.compile(optimizer=keras.optimizers.Adam(0.01),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    d_model.compile(optimizer=dk.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    kwargs = dict(epochs=2, batch_size=32, shuffle=False, verbose=0)
    with ref.quiet():
        k_hist = k_model.fit(x, y, **kwargs).history
    d_hist = d_model.fit(x, y, **kwargs).history
    np.testing.assert_allclose(d_hist["loss"], k_hist["loss"], rtol=1e-5)
    np.testing.assert_allclose(d_hist["accuracy"], k_hist["accuracy"], rtol=1e-6)
    for a, b in zip(d_model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
