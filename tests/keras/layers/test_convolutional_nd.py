"""Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D, SeparableConv1D, 3-D and adaptive
pooling: shapes, weights, gradients, configs, aliases and errors."""

import numpy as np
import pytest

from deltaw.keras import layers as L
from tests.keras.harness import check_layer


@pytest.mark.parametrize("cls, kwargs, shape, out_shape, weights", [
    (L.Conv3D, {"filters": 2, "kernel_size": 2}, (2, 3, 3, 2, 2), (2, 2, 2, 1, 2),
     [(2, 2, 2, 2, 2), (2,)]),
    (L.Conv3D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "groups": 2,
                "activation": "tanh"}, (1, 3, 3, 3, 2), (1, 2, 2, 2, 2),
     [(2, 2, 2, 1, 2), (2,)]),
    (L.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 3, 2), (2, 7, 2),
     [(3, 2, 2), (2,)]),
    (L.Conv1DTranspose, {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same",
                         "use_bias": False}, (2, 3, 2), (2, 6, 3), [(2, 3, 2)]),
    (L.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 2, 2, 1, 2),
     (1, 4, 4, 2, 2), [(2, 2, 2, 2, 2), (2,)]),
    (L.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 2), (2, 3, 4),
     [(3, 2, 2), (4,)]),
    (L.SeparableConv1D, {"filters": 3, "kernel_size": 2, "padding": "same"}, (2, 4, 2),
     (2, 4, 3), [(2, 2, 1), (1, 2, 3), (3,)]),
], ids=["conv3d", "conv3d-groups", "conv1dt", "conv1dt-same", "conv3dt", "depthwise1d",
        "separable1d"])
def test_convolution_harness(cls, kwargs, shape, out_shape, weights):
    check_layer(cls, kwargs, input_shape=shape, expected_output_shape=out_shape,
                expected_num_trainable_weights=len(weights), expected_weight_shapes=weights)


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", [
    (L.MaxPooling3D, {}, (2, 4, 4, 2, 2), (2, 2, 2, 1, 2)),
    (L.AveragePooling3D, {"pool_size": 2, "strides": 1, "padding": "same"}, (1, 3, 2, 3, 2),
     (1, 3, 2, 3, 2)),
    (L.GlobalAveragePooling3D, {}, (2, 2, 3, 2, 3), (2, 3)),
    (L.GlobalMaxPooling3D, {"keepdims": True}, (2, 2, 3, 2, 3), (2, 1, 1, 1, 3)),
    (L.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 2), (2, 3, 2)),
    (L.AdaptiveMaxPooling2D, {"output_size": (2, 3)}, (2, 5, 4, 2), (2, 2, 3, 2)),
    (L.AdaptiveAveragePooling3D, {"output_size": 2}, (1, 3, 4, 3, 2), (1, 2, 2, 2, 2)),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_pooling_harness(cls, kwargs, shape, out_shape):
    rng = np.random.default_rng(0)
    # distinct values: no max ties for gradcheck's differences to cross
    x = rng.permutation(np.arange(np.prod(shape)) * 0.1).reshape(shape).astype(np.float32)
    check_layer(cls, kwargs, input_data=x, expected_output_shape=out_shape)


def test_adaptive_pooling_windows():
    x = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    # 5 inputs to 3 outputs: windows [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(L.AdaptiveAveragePooling1D(3)(x).numpy().ravel(), [0.5, 2, 3.5])
    np.testing.assert_allclose(L.AdaptiveMaxPooling1D(3)(x).numpy().ravel(), [1, 3, 4])


def test_conv1d_transpose_is_the_gradient_of_conv1d():
    import deltaw as dw

    rng = np.random.default_rng(0)
    x = dw.tensor(rng.normal(size=(1, 7, 2)).astype(np.float32), requires_grad=True)
    kernel = rng.normal(size=(3, 2, 4)).astype(np.float32)
    g = rng.normal(size=(1, 3, 4)).astype(np.float32)
    y = dw.nn.conv1d(x, dw.tensor(kernel), strides=2)
    (dx,) = dw.grad(dw.sum(y * dw.tensor(g)), [x])
    layer = L.Conv1DTranspose(2, 3, strides=2, use_bias=False)
    layer(g)
    layer.set_weights([kernel])      # conv1d (k, in, out) is the transpose (k, filters, in)
    np.testing.assert_allclose(layer(g).numpy(), dx.numpy(), rtol=1e-5, atol=1e-6)


def test_aliases_are_the_same_classes():
    assert L.Convolution3D is L.Conv3D and L.Convolution1DTranspose is L.Conv1DTranspose
    assert L.Convolution3DTranspose is L.Conv3DTranspose
    assert L.SeparableConvolution1D is L.SeparableConv1D
    assert L.MaxPool3D is L.MaxPooling3D and L.AvgPool3D is L.AveragePooling3D
    assert L.GlobalAvgPool3D is L.GlobalAveragePooling3D
    assert L.GlobalMaxPool3D is L.GlobalMaxPooling3D
    for name in ("Conv3D", "Conv1DTranspose", "MaxPooling3D", "AdaptiveMaxPooling2D"):
        assert L.LAYERS[name] is getattr(L, name)


@pytest.mark.parametrize("make, message", [
    (lambda: L.Conv3D(2, (2, 2)), r"Conv3D '.*': kernel_size must be a positive int or a tuple "
                                  r"of 3"),
    (lambda: L.Conv3D(2, 3)(np.ones((1, 2, 4, 4, 1))), r"Conv3D '.*': the kernel is larger than "
                                                       r"the input"),
    (lambda: L.Conv3D(2, 2)(np.ones((1, 4, 4, 1))), r"expected ndim=5|rank 5"),
    (lambda: L.Conv1DTranspose(2, 3, strides=2, output_padding=2),
     r"Conv1DTranspose '.*': output_padding must be smaller than strides"),
    (lambda: L.Conv3DTranspose(2, 3, output_padding=(0, 0)),
     r"Conv3DTranspose '.*': output_padding must be"),
    (lambda: L.DepthwiseConv1D(3, padding="causal"), r"DepthwiseConv1D '.*': padding must be"),
    (lambda: L.SeparableConv1D(0, 3), r"SeparableConv1D '.*': filters must be a positive"),
    (lambda: L.MaxPooling3D(pool_size=(2, 2)), r"MaxPooling3D '.*': pool_size must be"),
    (lambda: L.MaxPooling3D()(np.ones((1, 1, 4, 4, 1))), r"MaxPooling3D '.*': the pool window is "
                                                         r"larger than the input"),
    (lambda: L.AdaptiveMaxPooling2D((2, 0)), r"AdaptiveMaxPooling2D '.*': output_size must be"),
    (lambda: L.AdaptiveAveragePooling3D(2, data_format="channels_first"),
     r"data_format='channels_first' is not supported"),
])
def test_bad_arguments_and_inputs(make, message):
    with pytest.raises(ValueError, match=message):
        make()
