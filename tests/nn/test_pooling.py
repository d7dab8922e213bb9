"""Pooling and upsampling: forward against slow per-window references, Keras' 'same' averaging,
the documented max-pool tie rule, bilinear resizing against torch, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops import op_table  # noqa: F401 - load the table first: it imports rows_vision
from tests.ops.rows_vision import (
    ref_avg_pool,
    ref_max_pool,
    ref_upsampling2d,
    torch_avg_pool,
    torch_max_pool,
)


def _t(a, grad=False):
    return dw.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _grad(fn, x, weights=None):
    xt = _t(x, True)
    out = fn(xt)
    w = np.ones(out.shape) if weights is None else weights
    (g,) = dw.grad((out * dw.tensor(w)).sum(), [xt])
    return out.numpy(), g.numpy()


CONFIGS = [dict(pool_size=2), dict(pool_size=2, padding="same"),
           dict(pool_size=3, strides=1, padding="same"), dict(pool_size=(3, 2), strides=(2, 1)),
           dict(pool_size=(2, 3), strides=3, padding="same"), dict(pool_size=4, strides=2)]


@pytest.mark.parametrize("kw", CONFIGS)
def test_pool2d_matches_per_window_reference(kw):
    x = np.random.default_rng(0).normal(size=(2, 7, 9, 3))
    np.testing.assert_allclose(dw.nn.max_pool2d(_t(x), **kw).numpy(), ref_max_pool(x, **kw))
    np.testing.assert_allclose(dw.nn.avg_pool2d(_t(x), **kw).numpy(), ref_avg_pool(x, **kw),
                               atol=1e-14)


@pytest.mark.parametrize("kw", [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same"),
                                dict(pool_size=2, strides=1, padding="same")])
def test_pool1d_matches_reference(kw):
    x = np.random.default_rng(1).normal(size=(2, 9, 2))
    np.testing.assert_allclose(dw.nn.max_pool1d(_t(x), **kw).numpy(), ref_max_pool(x, **kw))
    np.testing.assert_allclose(dw.nn.avg_pool1d(_t(x), **kw).numpy(), ref_avg_pool(x, **kw),
                               atol=1e-14)


def test_same_average_divides_by_the_real_inputs_only():
    # Keras/TF: the padded zeros are not counted (3x3 input, 2x2 pool, stride 2 -> one row and
    # one column of padding at the bottom/right)
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    got = dw.nn.avg_pool2d(_t(x), 2, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(got, [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8]])
    _, g = _grad(lambda t: dw.nn.avg_pool2d(t, 2, padding="same"), x)
    np.testing.assert_array_equal(g[0, :, :, 0], [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5],
                                                  [0.5, 0.5, 1.0]])


def test_max_pool_gradient_goes_to_the_first_maximum():
    # ties: the first maximum in row-major window order takes the gradient (documented)
    x = np.array([[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 2.0, 2.0]]).reshape(1, 2, 4, 1)
    out, g = _grad(lambda t: dw.nn.max_pool2d(t, 2), x)              # non-overlapping path
    np.testing.assert_array_equal(out.ravel(), [3.0, 2.0])
    np.testing.assert_array_equal(g[0, :, :, 0], [[0, 1, 1, 0], [0, 0, 0, 0]])
    _, g = _grad(lambda t: dw.nn.max_pool2d(t, 2, strides=1), x)     # overlapping: sums up
    np.testing.assert_array_equal(g[0, :, :, 0], [[0, 2, 1, 0], [0, 0, 0, 0]])
    _, g = _grad(lambda t: dw.nn.global_max_pool2d(t), x)
    np.testing.assert_array_equal(g[0, :, :, 0], [[0, 1, 0, 0], [0, 0, 0, 0]])


def test_max_pool_same_padding_never_wins():
    x = -np.ones((1, 3, 3, 1)) * 5.0                               # all below the zero padding
    out = dw.nn.max_pool2d(_t(x), 2, padding="same").numpy()
    np.testing.assert_array_equal(out, -5.0 * np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("fn, ref", [(dw.nn.max_pool2d, ref_max_pool),
                                     (dw.nn.avg_pool2d, ref_avg_pool)])
def test_pool_gradient_matches_finite_differences_on_a_larger_case(fn, ref):
    rng = np.random.default_rng(2)
    x = rng.permutation(np.arange(2 * 6 * 5 * 2) * 0.1).reshape(2, 6, 5, 2)   # no near-ties
    inputs = [_t(x, True)]
    assert dw.gradcheck(lambda t: fn(t, 3, strides=2, padding="same"), inputs)


def test_float32_is_kept():
    x = dw.tensor(np.random.default_rng(3).normal(size=(2, 4, 4, 2)).astype(np.float32),
                  requires_grad=True)
    for fn in (dw.nn.max_pool2d, dw.nn.avg_pool2d, dw.nn.global_average_pool2d,
               dw.nn.global_max_pool2d, dw.nn.upsampling2d,
               lambda t: dw.nn.upsampling2d(t, interpolation="bilinear"),
               lambda t: dw.nn.avg_pool2d(t, 3, 1, "same")):
        y = fn(x)
        assert y.dtype == np.float32
        (g,) = dw.grad(y.sum(), [x])
        assert g.dtype == np.float32


@pytest.mark.parametrize("size", [(2, 2), (3, 1), (1, 4)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_upsampling_matches_reference(size, interpolation):
    x = np.random.default_rng(4).normal(size=(2, 3, 4, 2))
    got = dw.nn.upsampling2d(_t(x), size, interpolation).numpy()
    np.testing.assert_allclose(got, ref_upsampling2d(x, size, interpolation), atol=1e-14)


def test_bilinear_keeps_constants_and_edges():
    x = np.full((1, 3, 3, 1), 2.5)
    np.testing.assert_allclose(dw.nn.upsampling2d(_t(x), 3, "bilinear").numpy(), 2.5)
    ramp = np.arange(4.0).reshape(1, 1, 4, 1)
    row = dw.nn.upsampling2d(_t(ramp), (1, 2), "bilinear").numpy().ravel()
    np.testing.assert_allclose(row, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


def test_global_pools_and_keepdims():
    x = np.random.default_rng(5).normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(dw.nn.global_average_pool2d(_t(x)).numpy(), x.mean(axis=(1, 2)))
    assert dw.nn.global_max_pool2d(_t(x), keepdims=True).shape == (2, 1, 1, 5)
    assert dw.nn.global_average_pool1d(_t(x[:, 0])).shape == (2, 5)
    np.testing.assert_allclose(dw.nn.global_max_pool1d(_t(x[:, 0])).numpy(), x[:, 0].max(axis=1))


# ---------------------------------------------------------------- errors

def test_pool_errors():
    with pytest.raises(ValueError, match=r"max_pool2d: expected an input of rank 4 \(batch, "
                       r"height, width, channels\); got input shape \(4, 4, 2\)"):
        dw.nn.max_pool2d(dw.ones((4, 4, 2)))
    with pytest.raises(ValueError, match=r"avg_pool1d: the pool window is larger than the input "
                       r"with padding='valid' .*got input shape \(1, 2, 1\) and pool size \(3,\)"):
        dw.nn.avg_pool1d(dw.ones((1, 2, 1)), 3)
    with pytest.raises(ValueError, match=r"max_pool2d: strides must be a positive int or a tuple "
                       r"of 2 positive ints; got strides=\(1, 0\)"):
        dw.nn.max_pool2d(dw.ones((1, 4, 4, 1)), 2, strides=(1, 0))
    with pytest.raises(ValueError, match=r"upsampling2d: size must be a positive int"):
        dw.nn.upsampling2d(dw.ones((1, 2, 2, 1)), size=0)


# ---------------------------------------------------------------- torch (optional)

@pytest.mark.parametrize("kw", CONFIGS)
def test_pool2d_values_and_grads_match_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.permutation(np.arange(2 * 7 * 9 * 3) * 0.01).reshape(2, 7, 9, 3)
    for fn, tfn in ((dw.nn.max_pool2d, torch_max_pool), (dw.nn.avg_pool2d, torch_avg_pool)):
        out, g = _grad(lambda t, fn=fn: fn(t, **kw), x)
        xt = torch.tensor(x, requires_grad=True)
        ref = tfn(torch, xt, **kw)
        (rg,) = torch.autograd.grad(ref.sum(), [xt])
        np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-14)
        np.testing.assert_allclose(g, rg.numpy(), atol=1e-14)


@pytest.mark.parametrize("size", [(2, 2), (3, 2)])
def test_bilinear_matches_torch_half_pixel_resize(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).normal(size=(2, 5, 6, 3))
    out, g = _grad(lambda t: dw.nn.upsampling2d(t, size, "bilinear"), x)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.interpolate(xt.permute(0, 3, 1, 2), scale_factor=size,
                                          mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
    (rg,) = torch.autograd.grad(ref.sum(), [xt])
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(g, rg.numpy(), atol=1e-13)
