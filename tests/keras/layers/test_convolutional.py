"""Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D: harness rows, Keras'
output-shape formulas, weight order and shapes, and the errors."""

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import backend
from deltaw.keras.layers import (
    LAYERS,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    Input,
    SeparableConv2D,
)
from deltaw.keras.layers.conv_arguments import ChannelsFirstError
from deltaw.keras.models import Sequential
from tests.keras.harness import check_layer


def _valid(n, k, s=1, d=1):
    return (n - (k - 1) * d - 1) // s + 1


def _same(n, s=1):
    return math.ceil(n / s)


CONV2D_ROWS = [
    ({"filters": 3, "kernel_size": 2}, (2, 4, 5, 2), (2, 3, 4, 3)),
    ({"filters": 2, "kernel_size": (3, 2), "strides": (2, 1)}, (2, 5, 4, 3),
     (2, _valid(5, 3, 2), _valid(4, 2), 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 6, 2),
     (2, _same(5, 2), _same(6, 2), 2)),
    ({"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (2, 5, 5, 2),
     (2, _valid(5, 2, 1, 2), _valid(5, 2, 1, 2), 2)),
    ({"filters": 2, "kernel_size": 3, "dilation_rate": (2, 1), "padding": "same"},
     (2, 5, 4, 1), (2, 5, 4, 2)),
    ({"filters": 4, "kernel_size": 2, "groups": 2, "activation": "tanh"}, (2, 3, 3, 4),
     (2, 2, 2, 4)),
    ({"filters": 2, "kernel_size": 1, "use_bias": False}, (2, 3, 3, 3), (2, 3, 3, 2)),
    ({"filters": 2, "kernel_size": 2, "kernel_regularizer": "l2", "bias_regularizer": "l1"},
     (2, 3, 3, 2), (2, 2, 2, 2)),
]


@pytest.mark.parametrize("kwargs, input_shape, out_shape", CONV2D_ROWS,
                         ids=["valid", "rect-stride", "same-stride2", "dilated", "same-dilated",
                              "groups-tanh", "1x1-no-bias", "regularized"])
def test_conv2d_harness(kwargs, input_shape, out_shape):
    kernel = kwargs["kernel_size"]
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    groups = kwargs.get("groups", 1)
    shapes = [(kh, kw, input_shape[-1] // groups, kwargs["filters"])]
    if kwargs.get("use_bias", True):
        shapes.append((kwargs["filters"],))
    check_layer(Conv2D, kwargs, input_shape=input_shape, expected_output_shape=out_shape,
                expected_num_trainable_weights=len(shapes), expected_weight_shapes=shapes)


@pytest.mark.parametrize("kwargs, input_shape, out_shape", [
    ({"filters": 3, "kernel_size": 2}, (2, 5, 2), (2, 4, 3)),
    ({"filters": 2, "kernel_size": 3, "strides": 2}, (2, 7, 2), (2, _valid(7, 3, 2), 2)),
    ({"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2}, (2, 5, 1),
     (2, 3, 2)),
    ({"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2}, (2, 5, 2),
     (2, 5, 2)),
    ({"filters": 4, "kernel_size": 2, "groups": 2}, (2, 4, 2), (2, 3, 4)),
], ids=["valid", "stride", "same", "causal-dilated", "groups"])
def test_conv1d_harness(kwargs, input_shape, out_shape):
    shapes = [(kwargs["kernel_size"], input_shape[-1] // kwargs.get("groups", 1),
               kwargs["filters"]), (kwargs["filters"],)]
    check_layer(Conv1D, kwargs, input_shape=input_shape, expected_output_shape=out_shape,
                expected_num_trainable_weights=2, expected_weight_shapes=shapes)


def _transpose_out(n, k, s, padding, output_padding=None, d=1):
    k_eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(k_eff, s) - k_eff if output_padding is None else output_padding
        return (n - 1) * s + k_eff + extra
    return n * s if output_padding is None else (n - 1) * s + k_eff % 2 + output_padding


@pytest.mark.parametrize("kwargs, input_shape", [
    ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2}, (2, 3, 2, 2)),
    ({"filters": 3, "kernel_size": 2, "strides": 3}, (2, 2, 2, 1)),          # stride > kernel
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 3, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 2, 3, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
     (2, 2, 2, 1)),
    ({"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (2, 3, 3, 1)),
], ids=["valid", "stride2", "stride-gt-kernel", "same", "output-padding",
        "same-output-padding", "dilated"])
def test_conv2d_transpose_harness(kwargs, input_shape):
    k, s = kwargs["kernel_size"], kwargs.get("strides", 1)
    padding, op = kwargs.get("padding", "valid"), kwargs.get("output_padding")
    d = kwargs.get("dilation_rate", 1)
    sizes = [_transpose_out(n, k, s, padding, op, d) for n in input_shape[1:3]]
    out = (input_shape[0], *sizes, kwargs["filters"])
    check_layer(Conv2DTranspose, kwargs, input_shape=input_shape, expected_output_shape=out,
                expected_num_trainable_weights=2,
                expected_weight_shapes=[(k, k, kwargs["filters"], input_shape[-1]),
                                        (kwargs["filters"],)])


@pytest.mark.parametrize("kwargs, input_shape, out_shape", [
    ({"kernel_size": 2}, (2, 4, 4, 2), (2, 3, 3, 2)),
    ({"kernel_size": 2, "depth_multiplier": 3}, (2, 3, 3, 2), (2, 2, 2, 6)),
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 2), (2, 3, 2, 2)),
    ({"kernel_size": 2, "dilation_rate": 2, "use_bias": False}, (2, 4, 4, 1), (2, 2, 2, 1)),
], ids=["valid", "multiplier", "same-stride", "dilated-no-bias"])
def test_depthwise_conv2d_harness(kwargs, input_shape, out_shape):
    k, m = kwargs["kernel_size"], kwargs.get("depth_multiplier", 1)
    shapes = [(k, k, input_shape[-1], m)]
    if kwargs.get("use_bias", True):
        shapes.append((input_shape[-1] * m,))
    check_layer(DepthwiseConv2D, kwargs, input_shape=input_shape,
                expected_output_shape=out_shape, expected_num_trainable_weights=len(shapes),
                expected_weight_shapes=shapes)


@pytest.mark.parametrize("kwargs, input_shape, out_shape", [
    ({"filters": 3, "kernel_size": 2}, (2, 4, 4, 2), (2, 3, 3, 3)),
    ({"filters": 2, "kernel_size": 3, "depth_multiplier": 2, "padding": "same",
      "strides": 2}, (2, 5, 5, 2), (2, 3, 3, 2)),
], ids=["valid", "same-multiplier"])
def test_separable_conv2d_harness(kwargs, input_shape, out_shape):
    k, m, f, c = kwargs["kernel_size"], kwargs.get("depth_multiplier", 1), kwargs["filters"], \
        input_shape[-1]
    check_layer(SeparableConv2D, kwargs, input_shape=input_shape,
                expected_output_shape=out_shape, expected_num_trainable_weights=3,
                expected_weight_shapes=[(k, k, c, m), (1, 1, c * m, f), (f,)])


def test_weight_names_and_order_follow_keras_3():
    x = np.ones((1, 5, 5, 2), np.float32)
    expected = {
        Conv2D(3, 2): ["kernel", "bias"],
        Conv2DTranspose(3, 2): ["kernel", "bias"],
        DepthwiseConv2D(2): ["kernel", "bias"],
        SeparableConv2D(3, 2): ["depthwise_kernel", "pointwise_kernel", "bias"],
    }
    for layer, names in expected.items():
        layer(x)
        assert [w.name for w in layer.weights] == names
    depthwise = DepthwiseConv2D(2)
    depthwise(x)
    assert depthwise.depthwise_kernel is depthwise.kernel        # the tf.keras 2 name


def test_conv2d_computes_cross_correlation_plus_bias():
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    layer = Conv2D(1, 2, activation="relu")
    layer(x)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]], np.float32).reshape(2, 2, 1, 1)
    layer.set_weights([kernel, np.array([5.0])])
    out = layer(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, np.maximum(x[0, :2, :2, 0] - x[0, 1:, 1:, 0] + 5, 0))


def test_conv1d_causal_output_sees_only_the_past():
    layer = Conv1D(1, 3, padding="causal", use_bias=False, kernel_initializer="ones")
    x = np.zeros((1, 6, 1), np.float32)
    x[0, 3, 0] = 1.0
    np.testing.assert_array_equal(layer(x).numpy().ravel(), [0, 0, 0, 1, 1, 1])


def test_defaults_match_keras():
    config = Conv2D(4, 3).get_config()
    assert config["strides"] == (1, 1) and config["dilation_rate"] == (1, 1)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert config["groups"] == 1 and config["activation"] == "linear" and config["use_bias"]
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert Conv1D(4, 3).get_config()["strides"] == (1,)
    assert Conv2DTranspose(4, 3).get_config()["output_padding"] is None
    assert DepthwiseConv2D(3).get_config()["depth_multiplier"] == 1
    assert Conv2D(4, 3, padding="SAME").padding == "same"                  # case-insensitive


def test_registered_in_layers_registry():
    for cls in (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D):
        assert LAYERS[cls.__name__] is cls


def test_integer_images_are_cast_to_float32():
    out = Conv2D(2, 3)(np.ones((1, 5, 5, 1), np.uint8))
    assert out.dtype == np.float32


def test_symbolic_shapes_with_unknown_spatial_sizes():
    assert Conv2D(4, 3, strides=2)(Input((None, None, 3))).shape == (None, None, None, 4)
    assert Conv2D(4, 3, strides=2)(Input((9, 8, 3))).shape == (None, 4, 3, 4)
    assert Conv2DTranspose(2, 3, strides=2)(Input((4, None, 3))).shape == (None, 9, None, 2)
    assert SeparableConv2D(5, 3, padding="same")(Input((6, 6, 2))).shape == (None, 6, 6, 5)


def test_model_with_every_conv_trains():
    model = Sequential([Input((6, 6, 2)), Conv2D(4, 3, padding="same", activation="relu"),
                        DepthwiseConv2D(3), SeparableConv2D(3, 2), Conv2DTranspose(2, 2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype(np.float32)
    y = np.zeros((4, 4, 4, 2), np.float32)
    losses = model.fit(x, y, epochs=3, batch_size=4, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


# ----------------------------------------------------------------------------- errors

def test_channels_first_raises_clearly():
    with pytest.raises(ChannelsFirstError, match=r"Conv2D 'c': data_format='channels_first' is "
                                                 r"not supported by deltaw.*expected "
                                                 r"data_format='channels_last' or None"):
        Conv2D(2, 3, data_format="channels_first", name="c")
    assert issubclass(ChannelsFirstError, NotImplementedError)
    assert issubclass(ChannelsFirstError, ValueError)
    backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ChannelsFirstError, match=r"from backend.image_data_format\(\)"):
            Conv1D(2, 3)
    finally:
        backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match=r"Conv2D 'c': data_format must be 'channels_last' or "
                                         r"'channels_first'; got data_format='nhwc'"):
        Conv2D(2, 3, data_format="nhwc", name="c")


@pytest.mark.parametrize("cls, kwargs, match", [
    (Conv2D, {"filters": 0, "kernel_size": 3}, r"filters must be a positive integer; got "
                                              r"filters=0"),
    (Conv2D, {"filters": 3, "kernel_size": (3, 0)}, r"kernel_size must be a positive int or a "
                                                    r"tuple of 2 positive ints; got "
                                                    r"kernel_size=\(3, 0\)"),
    (Conv2D, {"filters": 3, "kernel_size": 3, "strides": (1, 2, 3)}, r"strides must be"),
    (Conv2D, {"filters": 3, "kernel_size": 3, "padding": "full"},
     r"padding must be 'valid' or 'same'; got padding='full'"),
    (Conv2D, {"filters": 3, "kernel_size": 3, "padding": "causal"},
     r"padding must be 'valid' or 'same'"),
    (Conv1D, {"filters": 3, "kernel_size": 3, "padding": "full"},
     r"padding must be 'valid' or 'same' or 'causal'"),
    (Conv2D, {"filters": 3, "kernel_size": 3, "groups": 2},
     r"filters must be divisible by groups; expected a multiple of groups=2, got filters=3"),
    (Conv2D, {"filters": 3, "kernel_size": 3, "groups": 0}, r"groups must be a positive"),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 2},
     r"output_padding must be smaller than strides; expected each entry < \(2, 2\), got "
     r"output_padding=\(2, 2\)"),
    (DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 0},
     r"depth_multiplier must be a positive integer"),
    (SeparableConv2D, {"filters": -1, "kernel_size": 3}, r"filters must be a positive"),
], ids=["filters", "kernel-zero", "strides-len", "padding", "causal-2d", "padding-1d",
        "groups-filters", "groups-zero", "output-padding", "multiplier", "separable-filters"])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=rf"{cls.__name__} 'bad': {match}"):
        cls(name="bad", **kwargs)


def test_wrong_rank_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2D 'c': expected an input of rank 4, got input "
                                         r"shape \(2, 5, 5\)\."):
        Conv2D(2, 3, name="c")(np.ones((2, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv1D 'c1': expected an input of rank 3, got input "
                                         r"shape \(None, 5, 5, 1\)\."):
        Conv1D(2, 3, name="c1")(Input((5, 5, 1)))


def test_wrong_channel_count_after_build_names_layer_and_shapes():
    layer = Conv2D(2, 3, name="c")
    layer(np.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'c': expected the input's last axis to be 3, "
                                         r"got input shape \(1, 5, 5, 4\)\."):
        layer(np.ones((1, 5, 5, 4)))


def test_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"Conv2D 'c': the input's channels must be divisible "
                                         r"by groups; expected a multiple of groups=2, got "
                                         r"input shape \(1, 5, 5, 3\)\."):
        Conv2D(4, 3, groups=2, name="c")(np.ones((1, 5, 5, 3)))


def test_kernel_larger_than_valid_input_at_build():
    with pytest.raises(ValueError, match=r"Conv2D 'c': the kernel is larger than the input with "
                                         r"padding='valid'.*expected spatial axis 2 of the input "
                                         r"to have size >= 5 \(kernel_size \(3, 3\), "
                                         r"dilation_rate \(1, 2\)\), got input shape "
                                         r"\(None, 8, 4, 1\)\."):
        Conv2D(2, 3, dilation_rate=(1, 2), name="c")(Input((8, 4, 1)))
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'd': the kernel is larger"):
        DepthwiseConv2D(4, name="d")(np.ones((1, 3, 3, 1)))


def test_kernel_larger_than_valid_input_at_call_names_the_layer():
    layer = Conv2D(2, 3, name="c")
    layer(np.ones((1, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"Conv2D 'c': conv2d\w*: the kernel is larger than the "
                                         r"input with padding='valid'.*got input shape "
                                         r"\(1, 2, 5, 1\)"):
        layer(np.ones((1, 2, 5, 1)))
    same = Conv2D(2, 3, padding="same")
    assert same(np.ones((1, 2, 1, 1))).shape == (1, 2, 1, 2)         # 'same' always fits


def test_gradient_reaches_inputs_and_kernel():
    x = dw.tensor(np.random.default_rng(0).normal(size=(1, 4, 4, 2)), requires_grad=True)
    layer = Conv2D(3, 2)
    layer(x).sum().backward()
    assert x.grad.shape == (1, 4, 4, 2)
    assert layer.kernel.grad.shape == (2, 2, 2, 3)
