"""Initializers: Keras 3 formulas checked through the statistics of large draws, and seeding."""

import math

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import initializers as I

SHAPE = (400, 300)  # fan_in 400, fan_out 300; 120k samples: std estimates within ~0.5%


def _uniform_limit(scale, fan):
    return math.sqrt(3.0 * scale / fan)


@pytest.mark.parametrize("name, scale, fan", [
    ("glorot_uniform", 1.0, 350.0), ("he_uniform", 2.0, 400.0), ("lecun_uniform", 1.0, 400.0),
])
def test_variance_scaling_uniform(name, scale, fan):
    w = I.get(name)(SHAPE)
    limit = _uniform_limit(scale, fan)
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert -limit <= w.min() and w.max() <= limit and w.max() > 0.99 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.01 * limit
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize("name, scale, fan", [
    ("glorot_normal", 1.0, 350.0), ("he_normal", 2.0, 400.0), ("lecun_normal", 1.0, 400.0),
])
def test_variance_scaling_truncated_normal(name, scale, fan):
    w = I.get(name)(SHAPE)
    std = math.sqrt(scale / fan)                 # the target: the truncation is corrected for
    assert abs(w.std() - std) < 0.01 * std
    raw = std / 0.87962566103423978              # the pre-truncation stddev
    assert np.abs(w).max() <= 2 * raw * (1 + 1e-6)


def test_untruncated_normal_and_modes():
    w = I.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal")(SHAPE)
    assert abs(w.std() - math.sqrt(3.0 / 300)) < 0.01 * math.sqrt(3.0 / 300)
    assert np.abs(w).max() > 3 * math.sqrt(3.0 / 300)   # not truncated


def test_random_normal_uniform_truncated_defaults():
    n = I.RandomNormal()(SHAPE)
    assert abs(n.std() - 0.05) < 0.0005 and abs(n.mean()) < 0.0005
    u = I.RandomUniform()(SHAPE)
    assert -0.05 <= u.min() and u.max() < 0.05
    t = I.TruncatedNormal(mean=1.0, stddev=0.1)(SHAPE)
    assert np.abs(t - 1.0).max() <= 0.2 + 1e-6 and abs(t.mean() - 1.0) < 0.001
    # a normal truncated at 2 sigma keeps 0.8796 of its stddev
    assert abs(t.std() - 0.1 * 0.87962566103423978) < 0.001


def test_compute_fans_for_conv_kernels():
    assert I.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert I.compute_fans((5, 8, 4)) == (40, 20)
    assert I.compute_fans((7,)) == (7, 7) and I.compute_fans(()) == (1, 1)
    w = I.HeUniform()((3, 3, 16, 32))
    assert np.abs(w).max() <= math.sqrt(6.0 / 144)


def test_constants():
    np.testing.assert_array_equal(I.get("zeros")((2, 3)), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(I.get("ones")((2,)), [1.0, 1.0])
    np.testing.assert_array_equal(I.Constant(0.5)((2,), dtype="float64"), [0.5, 0.5])
    assert I.Constant(0.5)((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    with pytest.raises(ValueError, match=r"Identity: can only initialize 2-D matrices; got shape"):
        I.Identity()((2, 2, 2))


def test_orthogonal():
    for shape in [(6, 4), (4, 6), (3, 2, 5)]:
        w = I.Orthogonal(gain=1.5)(shape).astype(np.float64)
        flat = w.reshape(-1, shape[-1])
        small = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
        np.testing.assert_allclose(small, 2.25 * np.eye(len(small)), atol=1e-5)
    with pytest.raises(ValueError, match="Orthogonal: the shape must have at least 2 axes"):
        I.Orthogonal()((4,))


def test_seeded_initializers_repeat_and_unseeded_follow_the_global_seed():
    a = I.GlorotUniform(seed=3)
    np.testing.assert_array_equal(a((4, 4)), a((4, 4)))
    np.testing.assert_array_equal(a((4, 4)), I.GlorotUniform(seed=3)((4, 4)))
    assert not np.array_equal(a((4, 4)), I.GlorotUniform(seed=4)((4, 4)))
    dw.random.seed(11)
    first = I.RandomNormal()((5,))
    second = I.RandomNormal()((5,))
    dw.random.seed(11)
    np.testing.assert_array_equal(I.RandomNormal()((5,)), first)
    assert not np.array_equal(first, second)


def test_get_names_configs_and_errors():
    assert isinstance(I.get("GlorotUniform"), I.GlorotUniform)
    assert isinstance(I.get("glorot_uniform"), I.GlorotUniform)
    assert isinstance(I.get("uniform"), I.RandomUniform)
    assert I.get(None) is None
    init = I.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform", seed=1)
    clone = I.get(I.serialize(init))
    assert clone.get_config() == init.get_config()
    np.testing.assert_array_equal(clone((3, 3)), init((3, 3)))
    assert I.HeNormal(seed=5).get_config() == {"seed": 5}
    fixed = I.get(np.arange(4.0).reshape(2, 2))
    np.testing.assert_array_equal(fixed((2, 2)), [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="expected the weight's shape"):
        fixed((3,))
    with pytest.raises(ValueError, match=r"unknown initializer 'glorot'\. Known: constant, "):
        I.get("glorot")
    with pytest.raises(ValueError, match="VarianceScaling: invalid mode 'fan'"):
        I.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="VarianceScaling: scale must be a positive float"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="RandomNormal: seed must be an int or None"):
        I.RandomNormal(seed="a")
