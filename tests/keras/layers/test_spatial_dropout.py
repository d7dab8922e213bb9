"""SpatialDropout1D/2D: whole channels dropped in training, identity otherwise."""

import numpy as np
import pytest

from deltaw.keras.layers import LAYERS, Input, SpatialDropout1D, SpatialDropout2D
from deltaw.keras.layers.conv_arguments import ChannelsFirstError
from tests.keras.harness import check_layer


@pytest.mark.parametrize("cls, shape", [(SpatialDropout1D, (2, 4, 3)),
                                        (SpatialDropout2D, (2, 3, 3, 2))], ids=["1d", "2d"])
def test_harness_inference_and_training(cls, shape):
    # identity at inference: no op is recorded, so there is nothing to gradcheck
    check_layer(cls, {"rate": 0.5}, input_shape=shape, expected_output_shape=shape,
                gradcheck=False)
    check_layer(cls, {"rate": 0.3, "seed": 1}, input_shape=shape, expected_output_shape=shape,
                call_kwargs={"training": True}, gradcheck=False, deterministic=False)


def test_1d_drops_whole_channels_over_all_steps():
    out = SpatialDropout1D(0.5, seed=0)(np.ones((64, 5, 8)), training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    np.testing.assert_allclose(np.unique(out), [0.0, 2.0])
    assert 0.35 < (out[:, 0, :] == 0).mean() < 0.65


def test_2d_drops_whole_feature_maps():
    out = SpatialDropout2D(0.25, seed=3)(np.ones((64, 3, 4, 6)), training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :1, :], out.shape))
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75], rtol=1e-6)


@pytest.mark.parametrize("training", [False, None])
def test_identity_outside_training(training):
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(SpatialDropout2D(0.9)(x, training=training).numpy(), x)


def test_config_matches_keras_keys():
    config = SpatialDropout2D(0.2, seed=4).get_config()
    assert {"rate", "seed", "data_format", "name", "dtype"} <= set(config)
    assert "noise_shape" not in config
    assert SpatialDropout1D.from_config(SpatialDropout1D(0.1).get_config()).rate == 0.1
    for cls in (SpatialDropout1D, SpatialDropout2D):
        assert LAYERS[cls.__name__] is cls


def test_errors():
    with pytest.raises(ValueError, match=r"SpatialDropout2D 's': expected an input of rank 4, "
                                         r"got input shape \(None, 3, 2\)\."):
        SpatialDropout2D(0.5, name="s")(Input((3, 2)))
    with pytest.raises(ValueError, match=r"SpatialDropout1D 's': expected an input of rank 3, "
                                         r"got input shape \(2, 3\)\."):
        SpatialDropout1D(0.5, name="s")(np.ones((2, 3)), training=True)
    with pytest.raises(ChannelsFirstError, match=r"SpatialDropout2D 's': data_format="):
        SpatialDropout2D(0.5, data_format="channels_first", name="s")
    with pytest.raises(ValueError, match=r"rate must be a float in \[0, 1\); got rate=1.5"):
        SpatialDropout1D(1.5)
