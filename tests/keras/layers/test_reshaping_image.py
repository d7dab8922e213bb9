"""UpSampling2D, ZeroPadding2D, Cropping2D: harness rows, values, argument forms, errors."""

import numpy as np
import pytest

from deltaw.keras.layers import LAYERS, Cropping2D, Input, UpSampling2D, ZeroPadding2D
from deltaw.keras.layers.conv_arguments import ChannelsFirstError
from tests.keras.harness import check_layer


@pytest.mark.parametrize("cls, kwargs, input_shape, out_shape", [
    (UpSampling2D, {}, (2, 2, 3, 2), (2, 4, 6, 2)),
    (UpSampling2D, {"size": (1, 3)}, (2, 2, 2, 1), (2, 2, 6, 1)),
    (UpSampling2D, {"size": 2, "interpolation": "bilinear"}, (2, 2, 3, 2), (2, 4, 6, 2)),
    (ZeroPadding2D, {}, (2, 2, 3, 2), (2, 4, 5, 2)),
    (ZeroPadding2D, {"padding": 2}, (2, 2, 2, 1), (2, 6, 6, 1)),
    (ZeroPadding2D, {"padding": ((1, 0), (0, 2))}, (2, 2, 3, 1), (2, 3, 5, 1)),
    (Cropping2D, {}, (2, 3, 3, 2), (2, 3, 3, 2)),
    (Cropping2D, {"cropping": 1}, (2, 4, 5, 2), (2, 2, 3, 2)),
    (Cropping2D, {"cropping": (1, 2)}, (2, 4, 5, 1), (2, 2, 1, 1)),
    (Cropping2D, {"cropping": ((0, 1), (2, 0))}, (2, 4, 5, 1), (2, 3, 3, 1)),
], ids=["up", "up-rect", "up-bilinear", "pad", "pad-int", "pad-pairs", "crop-none", "crop-int",
        "crop-sym", "crop-pairs"])
def test_harness(cls, kwargs, input_shape, out_shape):
    check_layer(cls, kwargs, input_shape=input_shape, expected_output_shape=out_shape)


def test_values():
    x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(UpSampling2D()(x).numpy()[0, :, :, 0],
                                  [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(ZeroPadding2D(((1, 0), (0, 1)))(x).numpy()[0, :, :, 0],
                                  [[0, 0, 0], [0, 1, 0], [2, 3, 0]])
    y = np.arange(20, dtype=np.float32).reshape(1, 4, 5, 1)
    np.testing.assert_array_equal(Cropping2D(((1, 2), (0, 3)))(y).numpy(), y[:, 1:2, 0:2, :])


def test_bilinear_matches_half_pixel_resize():
    x = np.array([1.0, 2.0], np.float32).reshape(1, 1, 2, 1)
    out = UpSampling2D((1, 2), interpolation="bilinear")(x).numpy().ravel()
    np.testing.assert_allclose(out, [1.0, 1.25, 1.75, 2.0])


def test_configs_use_keras_forms():
    assert UpSampling2D(3).get_config()["size"] == (3, 3)
    assert UpSampling2D(interpolation="BILINEAR").interpolation == "bilinear"
    assert ZeroPadding2D().get_config()["padding"] == ((1, 1), (1, 1))
    assert ZeroPadding2D((2, 3)).padding == ((2, 2), (3, 3))
    assert Cropping2D().get_config()["cropping"] == ((0, 0), (0, 0))
    for cls in (UpSampling2D, ZeroPadding2D, Cropping2D):
        assert LAYERS[cls.__name__] is cls


def test_symbolic_shapes_with_unknown_sizes():
    assert UpSampling2D((2, 3))(Input((None, 4, 2))).shape == (None, None, 12, 2)
    assert ZeroPadding2D(((1, 2), (3, 4)))(Input((None, 4, 2))).shape == (None, None, 11, 2)
    assert Cropping2D(((1, 0), (1, 1)))(Input((None, 4, 2))).shape == (None, None, 2, 2)


def test_errors():
    with pytest.raises(ValueError, match=r"UpSampling2D 'u': interpolation must be 'nearest' or "
                                         r"'bilinear' \(deltaw supports these two\); got "
                                         r"interpolation='bicubic'"):
        UpSampling2D(interpolation="bicubic", name="u")
    with pytest.raises(ValueError, match=r"UpSampling2D 'u': size must be a positive int"):
        UpSampling2D(size=0, name="u")
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'z': padding must be an int, a tuple of "
                                         r"2 ints or a tuple of 2 pairs.*got padding=\(1, 2, 3\)"):
        ZeroPadding2D((1, 2, 3), name="z")
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'z': padding\[1\] must be a "
                                         r"non-negative int"):
        ZeroPadding2D((1, -1), name="z")
    with pytest.raises(ChannelsFirstError, match=r"Cropping2D 'c': data_format="):
        Cropping2D(data_format="channels_first", name="c")
    with pytest.raises(ValueError, match=r"Cropping2D 'c': the cropping must leave part of every "
                                         r"axis.*got cropping=\(\(2, 2\), \(0, 0\)\) for input "
                                         r"shape \(1, 4, 5, 1\)"):
        Cropping2D(((2, 2), (0, 0)), name="c")(np.ones((1, 4, 5, 1)))
    layer = Cropping2D(1, name="c2")
    layer(np.ones((1, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"Cropping2D 'c2': the cropping must leave part"):
        layer(np.ones((1, 2, 4, 1)))
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'z': expected an input of rank 4, got "
                                         r"input shape \(2, 3, 3\)\."):
        ZeroPadding2D(name="z")(np.ones((2, 3, 3)))
