"""The layers added for issue 11 against Keras 3 (PyTorch backend): outputs, weights, configs.

Each case builds the same layer in both libraries on the same input, gives Keras' layer random
weights and copies them into deltaw's with `set_weights` (so names, order and shapes must
agree), and compares outputs to float32 rounding, output shapes and config keys. Keras' own
config must load into deltaw. Skipped without keras/torch.
"""

from tests.keras import keras_reference as kr  # noqa: I001 (selects the torch backend; import before keras)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import deltaw.keras as dk  # noqa: E402

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

# (id, class name, constructor kwargs, input shape or list of shapes)
CASES = [
    ("relu", "ReLU", {}, (3, 5)),
    ("relu-options", "ReLU", {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.3},
     (3, 5)),
    ("leaky-relu", "LeakyReLU", {}, (3, 5)),
    ("leaky-relu-slope", "LeakyReLU", {"negative_slope": 0.05}, (3, 5)),
    ("prelu", "PReLU", {}, (2, 3, 4)),
    ("prelu-shared", "PReLU", {"shared_axes": [1, 2]}, (2, 3, 4, 2)),
    ("elu", "ELU", {"alpha": 0.7}, (3, 5)),
    ("softmax", "Softmax", {}, (3, 5)),
    ("softmax-axis", "Softmax", {"axis": 1}, (2, 3, 4)),
    ("softmax-axes", "Softmax", {"axis": [1, 2]}, (2, 3, 4)),
    ("identity", "Identity", {}, (2, 3)),
    ("permute", "Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("repeat-vector", "RepeatVector", {"n": 3}, (2, 4)),
    ("dot", "Dot", {"axes": 1}, [(2, 4), (2, 4)]),
    ("dot-3d", "Dot", {"axes": (2, 2)}, [(2, 3, 4), (2, 5, 4)]),
    ("dot-normalize", "Dot", {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 5, 4)]),
    ("dot-mixed", "Dot", {"axes": [1, 2]}, [(2, 3, 4), (2, 5, 3)]),
    ("cropping1d", "Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    ("cropping3d", "Cropping3D", {"cropping": ((1, 0), (0, 2), 1)}, (2, 4, 5, 6, 2)),
    ("zeropadding1d", "ZeroPadding1D", {"padding": (2, 1)}, (2, 3, 2)),
    ("zeropadding3d", "ZeroPadding3D", {"padding": (1, 2, (0, 1))}, (1, 2, 3, 2, 2)),
    ("upsampling1d", "UpSampling1D", {"size": 3}, (2, 4, 2)),
    ("upsampling3d", "UpSampling3D", {"size": (2, 1, 3)}, (1, 2, 3, 2, 2)),
    ("gaussian-noise", "GaussianNoise", {"stddev": 0.2}, (2, 3)),
    ("gaussian-dropout", "GaussianDropout", {"rate": 0.3}, (2, 3)),
    ("alpha-dropout", "AlphaDropout", {"rate": 0.3}, (2, 3)),
    ("activity-regularization", "ActivityRegularization", {"l1": 0.1, "l2": 0.2}, (2, 3)),
    ("unit-norm", "UnitNormalization", {}, (2, 3, 4)),
    ("unit-norm-axes", "UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    ("rms-norm", "RMSNormalization", {}, (2, 3, 4)),
    ("rms-norm-axes", "RMSNormalization", {"axis": [-2, -1], "epsilon": 1e-3}, (2, 3, 4)),
    ("spatial-dropout3d", "SpatialDropout3D", {"rate": 0.3}, (1, 2, 2, 2, 3)),
    # convolutions
    ("conv3d", "Conv3D", {"filters": 3, "kernel_size": 2}, (2, 3, 4, 3, 2)),
    ("conv3d-same-stride2", "Conv3D", {"filters": 2, "kernel_size": (3, 2, 3), "strides": 2,
                                       "padding": "same", "activation": "relu"}, (2, 4, 5, 3, 2)),
    ("conv3d-groups-dilated", "Conv3D", {"filters": 4, "kernel_size": 2, "groups": 2,
                                         "dilation_rate": (1, 2, 1)}, (1, 3, 4, 3, 4)),
    ("conv1d-transpose", "Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2},
     (2, 4, 2)),
    ("conv1d-transpose-same", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2,
                                                  "padding": "same"}, (2, 4, 3)),
    ("conv1d-transpose-outpad", "Conv1DTranspose", {"filters": 2, "kernel_size": 3,
                                                    "strides": 2, "output_padding": 1},
     (2, 4, 2)),
    ("conv3d-transpose", "Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2},
     (1, 2, 3, 2, 3)),
    ("conv3d-transpose-same", "Conv3DTranspose", {"filters": 2, "kernel_size": 3,
                                                  "strides": (2, 1, 2), "padding": "same"},
     (1, 2, 3, 2, 2)),
    ("depthwise1d", "DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 3)),
    ("depthwise1d-same-stride", "DepthwiseConv1D", {"kernel_size": 3, "strides": 2,
                                                    "padding": "same"}, (2, 7, 2)),
    ("separable1d", "SeparableConv1D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
     (2, 6, 3)),
    ("separable1d-same", "SeparableConv1D", {"filters": 2, "kernel_size": 2, "padding": "same",
                                             "activation": "tanh"}, (2, 5, 3)),
    # pooling
    ("maxpool3d", "MaxPooling3D", {}, (2, 4, 5, 4, 2)),
    ("maxpool3d-same", "MaxPooling3D", {"pool_size": 3, "strides": 2, "padding": "same"},
     (1, 5, 4, 5, 2)),
    ("avgpool3d", "AveragePooling3D", {"pool_size": 2}, (2, 4, 5, 4, 2)),
    ("avgpool3d-stride1", "AveragePooling3D", {"pool_size": (2, 3, 2), "strides": 1},
     (1, 3, 4, 3, 2)),
    ("gap3d", "GlobalAveragePooling3D", {}, (2, 2, 3, 4, 3)),
    ("gmp3d-keepdims", "GlobalMaxPooling3D", {"keepdims": True}, (2, 2, 3, 4, 3)),
    ("adaptive-avg1d", "AdaptiveAveragePooling1D", {"output_size": 3}, (2, 7, 2)),
    ("adaptive-max1d", "AdaptiveMaxPooling1D", {"output_size": 4}, (2, 6, 2)),
    ("adaptive-avg2d", "AdaptiveAveragePooling2D", {"output_size": (2, 3)}, (2, 5, 7, 2)),
    ("adaptive-max2d", "AdaptiveMaxPooling2D", {"output_size": 3}, (2, 7, 5, 2)),
    ("adaptive-avg3d", "AdaptiveAveragePooling3D", {"output_size": (2, 2, 3)}, (1, 5, 4, 4, 2)),
    ("adaptive-max3d", "AdaptiveMaxPooling3D", {"output_size": 2}, (1, 3, 5, 4, 2)),
    # dense and attention
    ("einsum-dense", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                     "bias_axes": "c"}, (3, 5)),
    ("einsum-dense-3d", "EinsumDense", {"equation": "abc,cde->abde",
                                        "output_shape": (None, 4, 2), "bias_axes": "de",
                                        "activation": "relu"}, (2, 3, 5)),
    ("einsum-dense-left-ellipsis", "EinsumDense", {"equation": "...b,bc->...c",
                                                   "output_shape": 3, "bias_axes": "c"},
     (2, 4, 5)),
    ("einsum-dense-right-ellipsis", "EinsumDense", {"equation": "ab...,bc->ac...",
                                                    "output_shape": 4, "bias_axes": "c"},
     (2, 3, 5)),
    ("einsum-dense-no-bias", "EinsumDense", {"equation": "abc,cd->abd",
                                             "output_shape": (None, 6)}, (2, 3, 4)),
    ("additive-attention", "AdditiveAttention", {}, [(2, 3, 4), (2, 5, 4)]),
    ("additive-attention-key", "AdditiveAttention", {"use_scale": False},
     [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
]


def _inputs(shape, rng):
    if isinstance(shape, list):
        return [rng.normal(size=s).astype(np.float32) for s in shape]
    return rng.normal(size=shape).astype(np.float32)


def _symbolic_shape(shape):
    if isinstance(shape, list):
        return [(None, *s[1:]) for s in shape]
    return (None, *shape[1:])


@pytest.mark.parametrize("cls_name, kwargs, shape", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_layer_matches_keras(cls_name, kwargs, shape):
    rng = np.random.default_rng(0)
    x = _inputs(shape, rng)
    with kr.quiet():
        k_layer = getattr(keras.layers, cls_name)(**kwargs)
        expected = kr.to_numpy(k_layer(x))
    d_layer = getattr(dk.layers, cls_name)(**kwargs)
    d_layer(x)
    if k_layer.weights:
        with kr.quiet():
            k_layer.set_weights([rng.normal(size=w.shape).astype(np.float32)
                                 for w in k_layer.get_weights()])
            expected = kr.to_numpy(k_layer(x))
    kr.copy_weights(k_layer, d_layer)
    got = d_layer(x).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    sym = _symbolic_shape(shape)
    assert tuple(d_layer.compute_output_shape(sym)) == tuple(k_layer.compute_output_shape(sym))
    if cls_name == "ActivityRegularization":
        np.testing.assert_allclose(d_layer.losses[0].numpy(), kr.to_numpy(k_layer.losses[0]),
                                   rtol=1e-5)


@pytest.mark.parametrize("cls_name, kwargs, shape", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_config_has_keras_keys_and_loads_keras_config(cls_name, kwargs, shape):
    with kr.quiet():
        k_config = getattr(keras.layers, cls_name)(**kwargs).get_config()
    d_config = getattr(dk.layers, cls_name)(**kwargs).get_config()
    assert set(k_config) - set(d_config) <= {"activity_regularizer", "quantization_config"}
    assert set(d_config) - set(k_config) <= {"name", "trainable"}
    restored = getattr(dk.layers, cls_name).from_config(k_config)      # Keras' config loads
    for key, value in d_config.items():
        if key not in ("name", "dtype") and not isinstance(value, dict):
            assert restored.get_config()[key] == value, key


def test_softmax_mask_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    mask = rng.random((2, 3, 4)) > 0.3
    with kr.quiet():
        expected = kr.to_numpy(keras.layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(dk.layers.Softmax()(x, mask=mask).numpy(), expected, atol=1e-6)


def test_lambda_config_names_the_function_as_keras():
    def double(x):
        return x * 2

    with kr.quiet():
        k_config = keras.layers.Lambda(double).get_config()
    d_config = dk.layers.Lambda(double).get_config()
    assert set(k_config) - set(d_config) == set()
    assert d_config["function"]["config"] == k_config["function"]["config"] == "double"
    restored = dk.layers.Lambda.from_config(k_config, custom_objects={"double": double})
    np.testing.assert_array_equal(restored(np.ones((1, 2))).numpy(), [[2.0, 2.0]])


def test_keras_lambda_bytecode_config_is_refused():
    with kr.quiet():
        k_config = keras.layers.Lambda(lambda x: x + 1).get_config()
    with pytest.raises(ValueError, match="bytecode"):
        dk.layers.Lambda.from_config(k_config)


@pytest.mark.parametrize("kwargs", [
    {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
    {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1, "use_gate": True,
     "use_bias": False},
    {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 3, "sliding_window": 2},
], ids=["grouped", "gate-no-bias", "sliding"])
def test_grouped_query_attention_matches_keras(kwargs):
    rng = np.random.default_rng(2)
    q = rng.normal(size=(2, 3, 6)).astype(np.float32)
    v = rng.normal(size=(2, 4, 5)).astype(np.float32)
    mask = rng.random((2, 4)) > 0.2
    mask[:, 0] = True                       # every query sees a key (see the deviation)
    with kr.quiet():
        k_layer = keras.layers.GroupQueryAttention(**kwargs)
        k_layer(q, v)
        k_layer.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5
                             for w in k_layer.get_weights()])
        expected, k_scores = (kr.to_numpy(t) for t in k_layer(
            q, v, value_mask=mask, return_attention_scores=True))
        causal = kr.to_numpy(k_layer(q, q[:, :, :5], use_causal_mask=True))
        k_config = k_layer.get_config()
    d_layer = dk.layers.GroupQueryAttention(**kwargs)
    d_layer(q, v)
    kr.copy_weights(k_layer, d_layer)
    got, d_scores = d_layer(q, v, value_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d_scores.numpy(), k_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_layer(q, q[:, :, :5], use_causal_mask=True).numpy(), causal,
                               rtol=1e-5, atol=1e-5)
    d_config = d_layer.get_config()
    assert set(k_config) - set(d_config) <= {"flash_attention"}
    assert set(d_config) - set(k_config) == set()
    restored = dk.layers.GroupQueryAttention.from_config(k_config)
    assert restored.get_config()["num_key_value_heads"] == kwargs["num_key_value_heads"]
    assert type(k_layer).__name__ == type(d_layer).__name__ == "GroupedQueryAttention"


def test_additive_attention_masks_match_keras():
    rng = np.random.default_rng(3)
    q, v = (rng.normal(size=s).astype(np.float32) for s in ((2, 3, 4), (2, 5, 4)))
    mask = [np.array([[1, 1, 0], [1, 1, 1]], bool), np.array([[1, 0, 1, 1, 0], [1] * 5], bool)]
    with kr.quiet():
        k_layer = keras.layers.AdditiveAttention()
        expected = kr.to_numpy(k_layer([q, v], mask=mask))
    d_layer = dk.layers.AdditiveAttention()
    d_layer([q, v])
    kr.copy_weights(k_layer, d_layer)
    np.testing.assert_allclose(d_layer([q, v], mask=mask).numpy(), expected, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("make, x", [
    (lambda lib: lib.layers.Dense(4), np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)),
    (lambda lib: lib.layers.Conv2D(2, 2), np.linspace(-1, 1, 36, dtype=np.float32).reshape(
        1, 3, 4, 3)),
], ids=["dense", "conv2d"])
def test_spectral_normalization_matches_keras(make, x):
    with kr.quiet():
        k_layer = keras.layers.SpectralNormalization(make(keras), power_iterations=2)
        k_layer(x)
    d_layer = dk.layers.SpectralNormalization(make(dk), power_iterations=2)
    d_layer(x)
    kr.copy_weights(k_layer, d_layer)
    for _ in range(2):
        with kr.quiet():
            expected = kr.to_numpy(k_layer(x, training=True))
        np.testing.assert_allclose(d_layer(x, training=True).numpy(), expected, rtol=1e-5,
                                   atol=1e-6)
    with kr.quiet():
        k_weights = [kr.to_numpy(w) for w in k_layer.get_weights()]
        k_config = k_layer.get_config()
    for got, want in zip(d_layer.get_weights(), k_weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    d_config = d_layer.get_config()
    assert set(k_config) == set(d_config)
    restored = dk.layers.SpectralNormalization.from_config(k_config)
    assert restored.power_iterations == 2 and type(restored.layer) is type(d_layer.layer)


def _cells(lib, kind):
    L = lib.layers
    return {
        "simple": lambda: L.SimpleRNNCell(3),
        "lstm": lambda: L.LSTMCell(3),
        "gru": lambda: L.GRUCell(3),
        "gru-reset-before": lambda: L.GRUCell(3, reset_after=False, activation="relu"),
        "stacked": lambda: [L.LSTMCell(3), L.SimpleRNNCell(2)],
    }[kind]()


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "gru-reset-before", "stacked"])
@pytest.mark.parametrize("options", [
    {"return_sequences": True},
    {"return_state": True, "go_backwards": True},
    {"return_sequences": True, "zero_output_for_mask": True},
], ids=["sequences", "state-backwards", "zero-masked"])
def test_rnn_with_cells_matches_keras(kind, options):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    with kr.quiet():
        k_layer = keras.layers.RNN(_cells(keras, kind), **options)
        k_layer(x)
        k_layer.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5
                             for w in k_layer.get_weights()])
        expected = [kr.to_numpy(t) for t in keras.tree.flatten(k_layer(x, mask=mask))]
        k_config = k_layer.get_config()
    d_layer = dk.layers.RNN(_cells(dk, kind), **options)
    d_layer(x)
    kr.copy_weights(k_layer, d_layer)
    got = [t.numpy() for t in dk.layers.nest.flatten(d_layer(x, mask=mask))]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    assert set(k_config) == set(d_config := d_layer.get_config())
    cell_configs = k_config["cell"]["config"].get("cells") or [k_config["cell"]]
    d_cells = d_config["cell"]["config"].get("cells") or [d_config["cell"]]
    for k_cell, d_cell in zip(cell_configs, d_cells, strict=True):
        assert set(k_cell["config"]) - set(d_cell["config"]) == set()
    restored = dk.layers.RNN.from_config(k_config)
    restored(x)
    restored.set_weights(d_layer.get_weights())
    np.testing.assert_allclose(dk.layers.nest.flatten(restored(x, mask=mask))[0].numpy(),
                               expected[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"tie_weights": False, "logit_soft_cap": 2.0}],
                         ids=["tied", "untied-capped"])
def test_reversible_embedding_matches_keras(kwargs):
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 7, size=(2, 3))
    vectors = rng.normal(size=(2, 3, 4)).astype(np.float32)
    with kr.quiet():
        k_layer = keras.layers.ReversibleEmbedding(7, 4, **kwargs)
        k_layer(ids)
        k_layer.set_weights([rng.normal(size=w.shape).astype(np.float32)
                             for w in k_layer.get_weights()])
        expected = kr.to_numpy(k_layer(ids))
        expected_logits = kr.to_numpy(k_layer(vectors, reverse=True))
        k_config = k_layer.get_config()
    d_layer = dk.layers.ReversibleEmbedding(7, 4, **kwargs)
    d_layer(ids)
    kr.copy_weights(k_layer, d_layer)
    np.testing.assert_allclose(d_layer(ids).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(d_layer(vectors, reverse=True).numpy(), expected_logits,
                               rtol=1e-5, atol=1e-6)
    assert set(k_config) - set(d_config := d_layer.get_config()) <= {"quantization_config"}
    assert set(d_config) - set(k_config) == set()
    assert dk.layers.ReversibleEmbedding.from_config(k_config).tie_weights == \
        kwargs.get("tie_weights", True)


@pytest.mark.parametrize("cls_name, kwargs, shape", [
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "return_sequences": True}, (2, 3, 5, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_state": True},
     (1, 3, 4, 4, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "strides": 2, "go_backwards": True},
     (2, 2, 5, 4, 1)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2}, (1, 2, 3, 3, 3, 1)),
], ids=["1d-sequences", "2d-same-state", "2d-stride-backwards", "3d"])
def test_conv_lstm_matches_keras(cls_name, kwargs, shape):
    rng = np.random.default_rng(6)
    x = rng.normal(size=shape).astype(np.float32)
    with kr.quiet():
        k_layer = getattr(keras.layers, cls_name)(**kwargs)
        k_layer(x)
        k_layer.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.3
                             for w in k_layer.get_weights()])
        expected = [kr.to_numpy(t) for t in keras.tree.flatten(k_layer(x))]
        k_config = k_layer.get_config()
    d_layer = getattr(dk.layers, cls_name)(**kwargs)
    d_layer(x)
    kr.copy_weights(k_layer, d_layer)
    got = [t.numpy() for t in dk.layers.nest.flatten(d_layer(x))]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    sym = (None, *shape[1:])
    assert dk.layers.nest.flatten(d_layer.compute_output_shape(sym)) == \
        dk.layers.nest.flatten(k_layer.compute_output_shape(sym))
    assert set(k_config) == set(d_layer.get_config())
    restored = getattr(dk.layers, cls_name).from_config(k_config)
    assert restored.get_config()["kernel_size"] == d_layer.get_config()["kernel_size"]
