"""model.export(path, format="onnx"): every exported model runs in onnxruntime and gives what
`predict` gives (float32 rounding), at batch sizes 1 and 5. Skipped without onnx/onnxruntime."""

import sys

import numpy as np
import pytest

from deltaw.keras import layers, models

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(0)


def randomize(model):
    """Random weights (positive where a variance is expected): exports must not rely on
    initial values such as zero biases or unit variances."""
    values = []
    for w in model.weights:
        v = RNG.standard_normal(w.data.shape).astype(np.float32) * 0.5
        values.append(np.abs(v) + 0.5 if "variance" in w.name else v)
    model.set_weights(values)
    return model


def run_onnx(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs, strict=True))), session


def check(model, tmp_path, make_inputs, atol=2e-5):
    model = randomize(model)
    model.export(tmp_path / "m.onnx", format="onnx")
    for batch in (1, 5):
        inputs = make_inputs(batch)
        got, session = run_onnx(tmp_path / "m.onnx", inputs)
        want = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        want = want if isinstance(want, list) else [want]
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=atol, rtol=1e-4)
    return session


def floats(*shape):
    return lambda batch: [RNG.standard_normal((batch, *shape)).astype(np.float32)]


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus",
               "softsign", "exponential", "swish", "silu", "relu6", "leaky_relu",
               "hard_sigmoid", "hard_swish", "gelu", "mish", "linear"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_with_each_activation(name, tmp_path):
    model = models.Sequential([layers.Input((6,), name="features"),
                               layers.Dense(5, activation=name), layers.Activation(name),
                               layers.Dense(3, use_bias=False)])
    session = check(model, tmp_path, floats(6))
    assert session.get_inputs()[0].name == "features"
    assert session.get_inputs()[0].shape == ["batch", 6]


def test_vision_stack(tmp_path):
    model = models.Sequential([
        layers.Input((12, 12, 3)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.Conv2D(4, 3, strides=2, padding="valid", dilation_rate=1),
        layers.BatchNormalization(),
        layers.ZeroPadding2D(((1, 2), (0, 1))),
        layers.DepthwiseConv2D(2, depth_multiplier=2, padding="same"),
        layers.SeparableConv2D(5, 3, padding="same", activation="tanh"),
        layers.MaxPooling2D(2, padding="same"), layers.UpSampling2D(2),
        layers.AveragePooling2D(3, strides=2, padding="same"),
        layers.SpatialDropout2D(0.2), layers.Dropout(0.5),
        layers.Conv2D(6, 2, dilation_rate=2, padding="same"),
        layers.Flatten(), layers.Dense(3, activation="softmax")])
    check(model, tmp_path, floats(12, 12, 3))


@pytest.mark.parametrize("pooling", [layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D])
def test_global_pooling_2d(pooling, tmp_path):
    model = models.Sequential([layers.Input((6, 5, 2)), layers.Conv2D(3, 2), pooling(),
                               layers.Dense(2)])
    check(model, tmp_path, floats(6, 5, 2))


def test_sequence_1d_stack(tmp_path):
    model = models.Sequential([
        layers.Input((16, 3)), layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
        layers.Conv1D(4, 3, strides=2, activation="gelu"), layers.MaxPooling1D(2),
        layers.AveragePooling1D(2, padding="same"), layers.LayerNormalization(),
        layers.SpatialDropout1D(0.1), layers.Reshape((2, 4)), layers.GlobalMaxPooling1D(),
        layers.Dense(2)])
    check(model, tmp_path, floats(16, 3))


def test_functional_several_inputs_outputs_nested_and_merging(tmp_path):
    tokens = layers.Input((5,), dtype="int32", name="tokens")
    values = layers.Input((5, 4), name="values")
    embedded = layers.Embedding(10, 4)(tokens)
    inner = models.Sequential([layers.Input((5, 4)), layers.Dense(4, activation="relu")],
                              name="inner")
    a, v = inner(embedded), layers.Dense(4)(values)
    merged = layers.Concatenate(axis=-1)([layers.Add()([a, v]), layers.Subtract()([a, v]),
                                          layers.Multiply()([a, v]), layers.Average()([a, v]),
                                          layers.Maximum()([a, v]), layers.Minimum()([a, v])])
    pooled = layers.GlobalAveragePooling1D()(merged)
    first = layers.Dense(2, name="first")(pooled)
    second = layers.BatchNormalization(axis=1, name="second")(layers.Flatten()(merged))
    model = models.Model([tokens, values], [first, second])

    def make(batch):
        return [RNG.integers(0, 10, (batch, 5)).astype(np.int32),
                RNG.standard_normal((batch, 5, 4)).astype(np.float32)]
    session = check(model, tmp_path, make)
    assert [o.name for o in session.get_outputs()] == ["first", "second"]
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert proto.opset_import[0].version == 17


def test_a_layer_without_onnx_form_is_named(tmp_path):
    model = models.Sequential([layers.Input((4, 3)), layers.Masking()])
    with pytest.raises(ValueError, match=r"export: layer 'masking\w*' \(Masking\) has no "
                                         r"ONNX form"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_format_arguments_and_settings(tmp_path):
    model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"format='tf_saved_model' is not available"):
        model.export(tmp_path / "m")
    with pytest.raises(ValueError, match="opset_version=13 is too old"):
        model.export(tmp_path / "m.onnx", format="onnx", opset_version=13)
    with pytest.raises(TypeError, match="unexpected keyword argument 'dynamic'"):
        model.export(tmp_path / "m.onnx", format="onnx", dynamic=True)
    model.export(tmp_path / "m.onnx", format="onnx", opset_version=18)
    assert onnx.load(str(tmp_path / "m.onnx")).opset_import[0].version == 18
    odd = models.Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    odd.layers[0].activation = np.cos  # a callable with no Keras name
    with pytest.raises(ValueError, match=r"activation 'cos' of layer '\w+' has no ONNX form"):
        odd.export(tmp_path / "odd.onnx", format="onnx")


def test_missing_onnx_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    with pytest.raises(ImportError, match=r"pip install 'deltaw\[onnx\]'"):
        model.export(tmp_path / "m.onnx", format="onnx")


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_layers(kind, tmp_path):
    cls = getattr(layers, kind)
    extra = {"reset_after": False} if kind == "GRU" else {}
    model = models.Sequential([
        layers.Input((7, 3)), cls(4, return_sequences=True),
        layers.Bidirectional(cls(3, return_sequences=True, **extra)),
        layers.TimeDistributed(layers.Dense(3)),
        layers.Bidirectional(cls(2), merge_mode="sum"), layers.Dense(2)])
    check(model, tmp_path, floats(7, 3))


def test_recurrent_last_output_backwards_and_cropping(tmp_path):
    model = models.Sequential([layers.Input((6, 5, 2)), layers.Cropping2D(((1, 0), (1, 2))),
                               layers.Reshape((5, 4)), layers.GRU(3, go_backwards=True),
                               layers.Dense(2)])
    check(model, tmp_path, floats(6, 5, 2))


def test_recurrent_settings_without_onnx_form(tmp_path):
    for layer in (layers.LSTM(2, return_sequences=True, go_backwards=True),
                  layers.SimpleRNN(2, activation="linear"),
                  layers.Bidirectional(layers.LSTM(2), merge_mode="mul")):
        model = models.Sequential([layers.Input((4, 3)), layer])
        with pytest.raises(ValueError, match=rf"export: .*'{layer.name}'"):
            model.export(tmp_path / "m.onnx", format="onnx")


@pytest.mark.parametrize("call", ["positional", "keywords", "with-key"])
def test_multi_head_attention_block(call, tmp_path):
    x = layers.Input((6, 8), name="tokens")
    other = layers.Input((4, 5), name="memory")
    attention = layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=7)
    if call == "positional":
        h = attention(x, x)
    elif call == "keywords":
        h = attention(x, value=other)
    else:
        h = attention(x, other, layers.Dense(5)(other))
    h = layers.LayerNormalization()(layers.Dense(8)(h))
    model = models.Model([x, other], layers.Dense(2)(layers.Flatten()(layers.Add()([x, h]))))

    def make(batch):
        return [RNG.standard_normal((batch, 6, 8)).astype(np.float32),
                RNG.standard_normal((batch, 4, 5)).astype(np.float32)]
    check(model, tmp_path, make)


def test_attention_masks_have_no_onnx_form(tmp_path):
    x = layers.Input((6, 8))
    model = models.Model(x, layers.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True))
    with pytest.raises(ValueError, match=r"MultiHeadAttention '\w+': masks \(\['use_causal"):
        model.export(tmp_path / "m.onnx", format="onnx")


@pytest.mark.parametrize("kernel, strides, padding", [(3, 2, "same"), (2, 2, "same"),
                                                      (3, 1, "same"), (1, 3, "same"),
                                                      (3, 2, "valid"), (4, 3, "valid")])
def test_conv_2d_transpose(kernel, strides, padding, tmp_path):
    model = models.Sequential([layers.Input((5, 6, 2)),
                               layers.Conv2DTranspose(3, kernel, strides=strides,
                                                      padding=padding, activation="relu")])
    check(model, tmp_path, floats(5, 6, 2))


def test_group_normalization_and_dot_attention(tmp_path):
    x = layers.Input((5, 6), name="seq")
    h = layers.GroupNormalization(3)(layers.Dense(6)(x))
    scaled = layers.Attention(use_scale=True)([h, x])
    plain = layers.Attention()([x, h, layers.Dense(6)(h)])
    image = layers.Reshape((5, 6, 1))(layers.Add()([scaled, plain]))
    out = layers.GroupNormalization(1)(layers.Conv2D(4, 2)(image))
    check(models.Model(x, layers.Flatten()(out)), tmp_path, floats(5, 6))


SMALL_LAYERS = {
    "relu-defaults": ((6,), lambda: layers.ReLU()),
    "relu-every-argument": ((6,), lambda: layers.ReLU(max_value=0.8, negative_slope=0.1,
                                                      threshold=0.2)),
    "leaky_relu": ((6,), lambda: layers.LeakyReLU(negative_slope=0.25)),
    "elu": ((6,), lambda: layers.ELU(alpha=0.7)),
    "softmax-axis-1": ((3, 4), lambda: layers.Softmax(axis=1)),
    "prelu-shared": ((5, 3), lambda: layers.PReLU(shared_axes=[1])),
    "rescaling": ((6,), lambda: layers.Rescaling(1 / 255, offset=-0.5)),
    "permute": ((3, 4, 2), lambda: layers.Permute((3, 1, 2))),
    "repeat_vector": ((4,), lambda: layers.RepeatVector(3)),
    "cropping_1d": ((7, 2), lambda: layers.Cropping1D((1, 2))),
    "zero_padding_1d": ((5, 2), lambda: layers.ZeroPadding1D((2, 1))),
    "up_sampling_1d": ((4, 3), lambda: layers.UpSampling1D(3)),
    "identity-at-inference": ((6,), lambda: layers.GaussianNoise(0.5)),
    "conv_3d": ((5, 6, 4, 2), lambda: layers.Conv3D(3, 2, padding="same", activation="relu")),
    "max_pooling_3d": ((4, 4, 4, 2), lambda: layers.MaxPooling3D(2)),
    "global_average_pooling_3d": ((4, 4, 4, 2), lambda: layers.GlobalAveragePooling3D()),
}


@pytest.mark.parametrize("name", SMALL_LAYERS)
def test_small_layers(name, tmp_path):
    shape, make = SMALL_LAYERS[name]
    model = models.Sequential([layers.Input(shape), layers.Dense(shape[-1]), make()])
    check(model, tmp_path, floats(*shape))
