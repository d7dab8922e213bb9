"""LayerNormalization and GroupNormalization: harness rows, statistics, weights, errors."""

import numpy as np
import pytest

from deltaw.keras.layers import LAYERS, GroupNormalization, Input, LayerNormalization
from tests.keras.harness import check_layer


@pytest.mark.parametrize("kwargs, input_shape, weight_shape", [
    ({}, (3, 4), (4,)),
    ({}, (2, 3, 4), (4,)),
    ({"axis": 1}, (2, 3, 4), (3,)),
    ({"axis": [1, 2]}, (2, 3, 4), (3, 4)),
    ({"axis": (-2, -1), "epsilon": 1e-5}, (2, 2, 3, 2), (3, 2)),
    ({"center": False}, (3, 4), (4,)),
    ({"scale": False}, (3, 4), (4,)),
], ids=["2d", "3d", "axis1", "axes12", "neg-axes", "no-center", "no-scale"])
def test_layer_norm_harness(kwargs, input_shape, weight_shape):
    n = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    check_layer(LayerNormalization, kwargs, input_shape=input_shape,
                expected_output_shape=input_shape, expected_num_trainable_weights=n,
                expected_weight_shapes=[weight_shape] * n)


@pytest.mark.parametrize("kwargs, input_shape", [
    ({"groups": 2}, (2, 3, 4)),
    ({"groups": 1}, (2, 3, 3, 2)),
    ({"groups": -1}, (2, 3, 4)),
    ({"groups": 2, "axis": 1}, (2, 4, 3)),
    ({"groups": 3, "center": False}, (2, 2, 2, 6)),
], ids=["groups2", "groups1-4d", "instance", "axis1", "no-center"])
def test_group_norm_harness(kwargs, input_shape):
    n = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    channels = input_shape[kwargs.get("axis", -1)]
    check_layer(GroupNormalization, kwargs, input_shape=input_shape,
                expected_output_shape=input_shape, expected_num_trainable_weights=n,
                expected_weight_shapes=[(channels,)] * n)


def test_layer_norm_normalizes_each_sample_with_biased_variance():
    x = np.random.default_rng(0).normal(3.0, 2.0, (4, 6)).astype(np.float32)
    out = LayerNormalization()(x).numpy()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)


def test_layer_norm_weights_scale_and_shift():
    layer = LayerNormalization(epsilon=0.0)
    x = np.array([[1.0, 3.0]], np.float32)
    layer(x)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    layer.set_weights([np.array([2.0, 3.0]), np.array([0.5, -0.5])])
    np.testing.assert_allclose(layer(x).numpy(), [[-1.5, 2.5]])


def test_group_norm_normalizes_groups_over_space_and_channels():
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 4)).astype(np.float32)
    out = GroupNormalization(groups=2, epsilon=0.0)(x).numpy()
    grouped = x.reshape(2, 3, 3, 2, 2)
    mean = grouped.mean(axis=(1, 2, 4), keepdims=True)
    std = grouped.std(axis=(1, 2, 4), keepdims=True)
    np.testing.assert_allclose(out, ((grouped - mean) / std).reshape(x.shape), rtol=1e-4,
                               atol=1e-5)


def test_defaults_and_configs_match_keras():
    ln = LayerNormalization().get_config()
    assert ln["axis"] == -1 and ln["epsilon"] == 1e-3 and ln["center"] and ln["scale"]
    assert ln["rms_scaling"] is False
    assert ln["gamma_initializer"]["class_name"] == "Ones"
    assert LayerNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]
    gn = GroupNormalization().get_config()
    assert gn["groups"] == 32 and gn["axis"] == -1 and gn["epsilon"] == 1e-3
    layer = GroupNormalization(groups=-1)
    layer(np.ones((2, 3, 4)))
    assert layer.get_config()["groups"] == -1                     # unchanged by build
    assert LayerNormalization.from_config({**ln, "rms_scaling": False}).axis == -1
    for cls in (LayerNormalization, GroupNormalization):
        assert LAYERS[cls.__name__] is cls
        assert cls().supports_masking


def test_symbolic_shapes():
    assert LayerNormalization()(Input((None, 5))).shape == (None, None, 5)
    assert GroupNormalization(groups=2)(Input((None, None, 4))).shape == (None, None, None, 4)


# ----------------------------------------------------------------------------- errors

def test_layer_norm_errors():
    with pytest.raises(TypeError, match=r"LayerNormalization 'n': axis must be an int or a list "
                                        r"of ints; got axis='x'"):
        LayerNormalization(axis="x", name="n")
    with pytest.raises(ValueError, match=r"LayerNormalization 'n': rms_scaling=True is not "
                                         r"supported"):
        LayerNormalization(rms_scaling=True, name="n")
    with pytest.raises(ValueError, match=r"LayerNormalization 'n': axis 3 is out of range for an "
                                         r"input of rank 3; expected axes in \[-3, 2\]"):
        LayerNormalization(axis=3, name="n")(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"LayerNormalization 'n': the normalized axes -1 of the "
                                         r"input must be known; got input shape \(None, None\)"):
        LayerNormalization(name="n")(Input((None,)))
    layer = LayerNormalization(name="n2")
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"LayerNormalization 'n2': expected the input's last "
                                         r"axis to be 4, got input shape \(2, 5\)\."):
        layer(np.ones((2, 5)))


def test_group_norm_errors():
    with pytest.raises(ValueError, match=r"GroupNormalization 'g': groups must be a positive int "
                                         r"\(or -1 for instance normalization\); got groups=0"):
        GroupNormalization(groups=0, name="g")
    with pytest.raises(ValueError, match=r"GroupNormalization 'g': the channels must split into "
                                         r"equal groups; expected a multiple of groups=32 "
                                         r"channels along axis -1, got input shape \(2, 3, 4\)"):
        GroupNormalization(name="g")(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"GroupNormalization 'g': axis 0 is not a feature axis"):
        GroupNormalization(groups=1, axis=0, name="g")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"GroupNormalization 'g': axis -1 of the input must be "
                                         r"known"):
        GroupNormalization(groups=1, name="g")(Input((3, None)))
    with pytest.raises(TypeError, match=r"GroupNormalization 'g': axis must be an int"):
        GroupNormalization(axis=[1], name="g")
    layer = GroupNormalization(groups=2, name="g2")
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"GroupNormalization 'g2': expected an input of rank 3, "
                                         r"got input shape \(2, 4\)\."):
        layer(np.ones((2, 4)))
