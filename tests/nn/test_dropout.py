"""dw.nn.dropout: inverted dropout, identity at inference, reproducible masks and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw

nn = dw.nn


@pytest.mark.parametrize("kwargs", [{"training": False}, {"training": None}, {"rate": 0.0},
                                    {"rate": 0}])
def test_identity_at_inference_or_rate_zero(kwargs):
    x = dw.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert nn.dropout(x, **{"rate": 0.5, **kwargs}) is x


def test_identity_converts_arrays():
    y = nn.dropout(np.array([1.0, 2.0]), 0.5, training=False)
    assert isinstance(y, dw.Tensor) and y.dtype == np.float64


def test_expected_value_is_preserved():
    # 100_000 elements kept with p = 0.7 and scaled by 1/0.7: the mean's standard deviation is
    # sqrt(0.3 / 0.7 / 1e5) = 0.0021, so 0.01 is a ~5 sigma bound; the kept fraction likewise.
    x = dw.ones((200, 500))
    y = nn.dropout(x, 0.3).numpy()
    assert abs(y.mean() - 1.0) < 0.01
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)


def test_reproducible_with_dw_random_seed():
    x = dw.ones((4, 5))
    dw.random.seed(123)
    a = nn.dropout(x, 0.5).numpy()
    b = nn.dropout(x, 0.5).numpy()
    dw.random.seed(123)
    np.testing.assert_array_equal(nn.dropout(x, 0.5).numpy(), a)
    np.testing.assert_array_equal(nn.dropout(x, 0.5).numpy(), b)
    assert (a != b).any()  # the generator advances between calls


def test_reproducible_with_seed_argument():
    x = dw.ones((4, 5))
    a = nn.dropout(x, 0.5, seed=7).numpy()
    dw.random.seed(999)  # an int seed does not depend on (or advance) the global generator
    np.testing.assert_array_equal(nn.dropout(x, 0.5, seed=7).numpy(), a)
    assert (nn.dropout(x, 0.5, seed=8).numpy() != a).any()
    gen = np.random.default_rng(7)
    np.testing.assert_array_equal(nn.dropout(x, 0.5, seed=gen).numpy(), a)  # a Generator is used


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_mask_matches_forward_mask(dtype):
    rate = 0.4
    x = dw.tensor(np.random.default_rng(0).uniform(1, 2, (6, 7)).astype(dtype),
                  requires_grad=True)
    w = np.random.default_rng(1).uniform(1, 2, (6, 7)).astype(dtype)
    y = nn.dropout(x, rate)
    (g,) = dw.grad((y * dw.tensor(w)).sum(), [x])
    assert y.dtype == dtype and g.dtype == dtype
    kept = y.numpy() != 0
    assert kept.any() and (~kept).any()
    scale = dtype(1 / (1 - rate))
    np.testing.assert_array_equal(y.numpy(), np.where(kept, x.numpy() * scale, 0))
    np.testing.assert_array_equal(g.numpy(), np.where(kept, w * scale, 0))


def test_noise_shape_broadcasts_one_mask():
    x = dw.ones((3, 4, 5))
    y = nn.dropout(x, 0.5, noise_shape=(None, 1, 5), seed=0).numpy()
    assert y.shape == (3, 4, 5)
    assert (y == y[:, :1, :]).all()  # the same features dropped at every step
    assert (y == 0).any() and (y != 0).any()


def test_integer_input_becomes_float32():
    y = nn.dropout(np.ones((2, 3), dtype=np.int64), 0.5, seed=0)
    assert y.dtype == np.float32


def test_errors():
    x = dw.ones((2, 3))
    with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\); expected "
                                         r"0 <= rate < 1, got 1\.5\."):
        nn.dropout(x, 1.5)
    with pytest.raises(ValueError, match=r"got nan\."):
        nn.dropout(x, float("nan"))
    with pytest.raises(TypeError, match=r"dropout: rate must be a number; expected a float in "
                                        r"\[0, 1\), got True\."):
        nn.dropout(x, True)
    with pytest.raises(ValueError, match=r"dropout: noise_shape \(2,\) does not broadcast to the "
                                         r"input shape \(2, 3\); expected 2 entries, each 1, None "
                                         r"or the input's size, got \(2,\)\."):
        nn.dropout(x, 0.5, noise_shape=(2,))
    with pytest.raises(TypeError, match=r"dropout: seed must be None, a non-negative int or a "
                                        r"numpy Generator; got -1\."):
        nn.dropout(x, 0.5, seed=-1)
