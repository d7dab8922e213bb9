"""Max/average pooling (1-D, 2-D) and global pooling: harness rows, Keras' shape formulas,
values, masking, and the errors."""

import numpy as np
import pytest

from deltaw.keras.layers import (
    LAYERS,
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
)
from deltaw.keras.layers.conv_arguments import ChannelsFirstError
from tests.keras.harness import check_layer


def _distinct(shape, seed=0):
    """Inputs without ties, so max pooling's gradient has no kink to trip gradcheck."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) / n).astype(np.float32)


@pytest.mark.parametrize("cls, kwargs, input_shape, out_shape", [
    (MaxPooling2D, {}, (2, 4, 5, 2), (2, 2, 2, 2)),
    (MaxPooling2D, {"pool_size": 3, "strides": 1}, (2, 4, 4, 1), (2, 2, 2, 1)),
    (MaxPooling2D, {"pool_size": (2, 3), "strides": 2, "padding": "same"}, (2, 5, 5, 2),
     (2, 3, 3, 2)),
    (AveragePooling2D, {}, (2, 4, 4, 2), (2, 2, 2, 2)),
    (AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 1),
     (2, 3, 2, 1)),
    (MaxPooling1D, {}, (2, 5, 3), (2, 2, 3)),
    (MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 2), (2, 3, 2)),
    (AveragePooling1D, {"pool_size": 3, "strides": 1}, (2, 5, 2), (2, 3, 2)),
    (AveragePooling1D, {"padding": "same"}, (2, 5, 2), (2, 3, 2)),
], ids=["max2d", "max2d-overlap", "max2d-same", "avg2d", "avg2d-same", "max1d", "max1d-same",
        "avg1d-overlap", "avg1d-same"])
def test_pooling_harness(cls, kwargs, input_shape, out_shape):
    check_layer(cls, kwargs, input_data=_distinct(input_shape), expected_output_shape=out_shape)


@pytest.mark.parametrize("cls, kwargs, input_shape, out_shape", [
    (GlobalAveragePooling2D, {}, (2, 3, 4, 2), (2, 2)),
    (GlobalAveragePooling2D, {"keepdims": True}, (2, 3, 4, 2), (2, 1, 1, 2)),
    (GlobalMaxPooling2D, {}, (2, 3, 4, 2), (2, 2)),
    (GlobalMaxPooling2D, {"keepdims": True}, (2, 3, 3, 2), (2, 1, 1, 2)),
    (GlobalAveragePooling1D, {}, (2, 5, 3), (2, 3)),
    (GlobalAveragePooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3)),
    (GlobalMaxPooling1D, {}, (2, 5, 3), (2, 3)),
], ids=["gap2d", "gap2d-keepdims", "gmp2d", "gmp2d-keepdims", "gap1d", "gap1d-keepdims",
        "gmp1d"])
def test_global_pooling_harness(cls, kwargs, input_shape, out_shape):
    check_layer(cls, kwargs, input_data=_distinct(input_shape), expected_output_shape=out_shape)


def test_values_match_numpy():
    x = _distinct((2, 4, 6, 3))
    blocks = x.reshape(2, 2, 2, 3, 2, 3)
    np.testing.assert_array_equal(MaxPooling2D()(x).numpy(), blocks.max(axis=(2, 4)))
    np.testing.assert_allclose(AveragePooling2D()(x).numpy(), blocks.mean(axis=(2, 4)),
                               rtol=1e-6)
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-6)
    np.testing.assert_array_equal(GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    seq = x.reshape(2, 24, 3)
    np.testing.assert_array_equal(MaxPooling1D(3)(seq).numpy(),
                                  seq.reshape(2, 8, 3, 3).max(axis=2))


def test_same_average_pooling_leaves_padding_out_of_the_mean():
    x = np.arange(3, dtype=np.float32).reshape(1, 3, 1)
    np.testing.assert_allclose(AveragePooling1D(padding="same")(x).numpy().ravel(), [0.5, 2.0])


def test_defaults_match_keras():
    assert MaxPooling2D().pool_size == (2, 2) and MaxPooling2D().strides == (2, 2)
    assert MaxPooling1D().pool_size == (2,) and MaxPooling1D(3).strides == (3,)
    assert AveragePooling2D(3, strides=1).get_config()["strides"] == (1, 1)
    config = MaxPooling2D().get_config()
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert GlobalAveragePooling2D().get_config()["keepdims"] is False
    for cls in (MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
                GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                GlobalMaxPooling2D):
        assert LAYERS[cls.__name__] is cls


def test_global_average_pooling1d_mask_averages_unmasked_steps_only():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[True, False, True], [False, True, False]])
    out = GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[2.0, 3.0], [8.0, 9.0]])
    layer = GlobalAveragePooling1D(keepdims=True)
    assert layer(x, mask=mask).shape == (2, 1, 2)
    assert layer.compute_mask(x, mask) is None                # the steps axis is gone


def test_symbolic_shapes():
    assert MaxPooling2D(3, strides=2, padding="same")(Input((7, None, 4))).shape == \
        (None, 4, None, 4)
    assert AveragePooling1D(3, strides=2)(Input((9, 2))).shape == (None, 4, 2)
    assert GlobalMaxPooling2D(keepdims=True)(Input((None, None, 5))).shape == (None, 1, 1, 5)


# ----------------------------------------------------------------------------- errors

def test_channels_first_raises():
    with pytest.raises(ChannelsFirstError, match=r"MaxPooling2D 'p': data_format="
                                                 r"'channels_first' is not supported"):
        MaxPooling2D(data_format="channels_first", name="p")
    with pytest.raises(ChannelsFirstError, match=r"GlobalAveragePooling2D 'g': data_format="):
        GlobalAveragePooling2D(data_format="channels_first", name="g")


@pytest.mark.parametrize("kwargs, match", [
    ({"pool_size": 0}, r"pool_size must be a positive int or a tuple of 2 positive ints; got "
                       r"pool_size=0"),
    ({"strides": (2,)}, r"strides must be a positive int or a tuple of 2"),
    ({"padding": "causal"}, r"padding must be 'valid' or 'same'; got padding='causal'"),
], ids=["pool-size", "strides", "padding"])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=rf"MaxPooling2D 'p': {match}"):
        MaxPooling2D(name="p", **kwargs)


def test_wrong_rank_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': expected an input of rank 4, got "
                                         r"input shape \(2, 4, 4\)\."):
        MaxPooling2D(name="p")(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D 'g': expected an input of "
                                         r"rank 3, got input shape \(None, 4, 4, 1\)\."):
        GlobalAveragePooling1D(name="g")(Input((4, 4, 1)))


def test_window_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': the pool window is larger than the "
                                         r"input with padding='valid'.*got input shape "
                                         r"\(None, 2, 4, 1\)\."):
        MaxPooling2D(3, name="p")(Input((2, 4, 1)))
    layer = AveragePooling1D(3, name="a")
    layer(np.ones((1, 4, 1)))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'a': avg_pool1d: the pool window is "
                                         r"larger than the input"):
        layer(np.ones((1, 2, 1)))
