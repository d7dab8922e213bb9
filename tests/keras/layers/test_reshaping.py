"""Flatten and Reshape."""

import numpy as np
import pytest

from deltaw.keras.layers import Flatten, Input, Reshape
from tests.keras.harness import check_layer


@pytest.mark.parametrize("input_shape, out_shape", [
    ((2, 3, 4), (2, 12)), ((2, 3), (2, 3)), ((3,), (3, 1)), ((2, 2, 1, 3), (2, 6)),
], ids=["3d", "2d", "1d", "4d"])
def test_flatten_harness(input_shape, out_shape):
    check_layer(Flatten, input_shape=input_shape, expected_output_shape=out_shape)


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)              # (batch, channels, width)
    out = Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(out, x.transpose(0, 2, 1).reshape(2, -1))
    check_layer(Flatten, {"data_format": "channels_first"}, input_shape=(2, 3, 4),
                expected_output_shape=(2, 12))


def test_flatten_symbolic_unknown_axis_gives_none():
    assert Flatten()(Input((None, 3))).shape == (None, None)
    assert Flatten()(Input((4, 3))).shape == (None, 12)


def test_flatten_bad_data_format():
    with pytest.raises(ValueError, match=r"Flatten 'f': data_format must be 'channels_last' or "
                                         r"'channels_first'; got 'nhwc'"):
        Flatten(data_format="nhwc", name="f")


@pytest.mark.parametrize("target, input_shape, out_shape", [
    ((3, 4), (2, 12), (2, 3, 4)), ((-1, 2), (2, 3, 4), (2, 6, 2)), ((6,), (2, 2, 3), (2, 6)),
    ((2, -1, 3), (2, 12), (2, 2, 2, 3)),
], ids=["split", "infer-first", "merge", "infer-middle"])
def test_reshape_harness(target, input_shape, out_shape):
    check_layer(Reshape, {"target_shape": target}, input_shape=input_shape,
                expected_output_shape=out_shape)


def test_reshape_keeps_element_order():
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_array_equal(Reshape((3, 2))(x).numpy(), x.reshape(2, 3, 2))


def test_reshape_symbolic_shapes():
    assert Reshape((-1, 2))(Input((3, 4))).shape == (None, 6, 2)
    assert Reshape((-1, 2))(Input((None, 4))).shape == (None, None, 2)


def test_reshape_size_mismatch_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Reshape 'r': cannot reshape an input of shape "
                                         r"\(32, 12\) to target shape \(5, 3\); expected a target "
                                         r"that holds the 12 elements of each sample\."):
        Reshape((5, 3), name="r")(np.zeros((32, 12)))
    with pytest.raises(ValueError, match=r"Reshape 'r2': cannot reshape an input of shape "
                                         r"\(None, 12\) to target shape \(5, -1\)"):
        Reshape((5, -1), name="r2")(Input((12,)))


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (2, -2), "ab"])
def test_reshape_malformed_target(target):
    with pytest.raises(ValueError, match=r"Reshape '.*': target_shape must"):
        Reshape(target)


def test_reshape_config_is_a_tuple_and_round_trips():
    layer = Reshape([2, -1])
    assert layer.get_config()["target_shape"] == (2, -1)
    assert Reshape.from_config(layer.get_config()).target_shape == (2, -1)
