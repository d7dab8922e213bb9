"""Normalization: references, the batch statistics handed to Keras' BatchNormalization, Keras'
defaults, degenerate inputs, torch (when importable) and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops import op_table  # noqa: F401 - load the table first: it imports rows_vision
from tests.ops.rows_vision import (
    ref_batch_norm,
    ref_batch_norm_train,
    ref_group_norm,
    ref_layer_norm,
)


def _t(a, grad=False):
    return dw.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_batch_norm_inference_formula():
    rng = np.random.default_rng(0)
    x, m, v, b, g = (rng.normal(size=(4, 3)), rng.normal(size=3), rng.uniform(0.5, 2, 3),
                     rng.normal(size=3), rng.normal(size=3))
    got = dw.nn.batch_norm(_t(x), _t(m), _t(v), _t(b), _t(g)).numpy()
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-3) * g + b)     # Keras' epsilon
    np.testing.assert_allclose(dw.nn.batch_norm(_t(x), _t(m), _t(v)).numpy(),
                               ref_batch_norm(x, m, v))


def test_batch_norm_train_returns_the_batch_statistics():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    out, mean, var = dw.nn.batch_norm_train_with_stats(dw.tensor(x), dw.ones(5), dw.zeros(5))
    assert isinstance(mean, np.ndarray) and isinstance(var, np.ndarray)
    assert mean.shape == var.shape == (5,) and mean.dtype == var.dtype == np.float32
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, x.var(axis=(0, 1, 2)), rtol=1e-5)     # biased, as Keras
    np.testing.assert_allclose(out.numpy(), ref_batch_norm_train(x), rtol=1e-4, atol=1e-5)
    assert out.dtype == np.float32


def test_batch_norm_train_channels_first_axis():
    x = np.random.default_rng(2).normal(size=(3, 4, 2, 2))
    out, mean, _ = dw.nn.batch_norm_train_with_stats(_t(x), axis=1)
    assert mean.shape == (4,)
    np.testing.assert_allclose(out.numpy(), ref_batch_norm_train(x, axis=1), atol=1e-12)


def test_batch_norm_train_gradient_flows_through_the_statistics():
    # sum over the batch of a normalized feature is constant (0), so its gradient wrt x is 0
    x = _t(np.random.default_rng(3).normal(size=(6, 2)), True)
    (g,) = dw.grad(dw.nn.batch_norm_train(x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), 0, atol=1e-12)


def test_constant_input_is_finite():
    # variance 0: out = beta, no division warnings (pytest turns warnings into errors)
    x = _t(np.full((4, 3), 7.0), True)
    for fn in (lambda t: dw.nn.batch_norm_train(t, None, _t([1.0, 2.0, 3.0])),
               lambda t: dw.nn.layer_norm(t), lambda t: dw.nn.group_norm(t, 3)):
        out = fn(x)
        assert np.isfinite(out.numpy()).all()
        (g,) = dw.grad((out * out).sum(), [x])
        assert np.isfinite(g.numpy()).all()
    np.testing.assert_allclose(dw.nn.batch_norm_train(x, None, _t([1.0, 2.0, 3.0])).numpy(),
                               np.tile([1.0, 2.0, 3.0], (4, 1)))


@pytest.mark.parametrize("axis", [-1, (1, 2), 1])
def test_layer_norm_matches_reference(axis):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 4))
    shape = tuple(x.shape[a] for a in ((axis,) if isinstance(axis, int) else axis))
    gamma, beta = rng.normal(size=shape), rng.normal(size=shape)
    got = dw.nn.layer_norm(_t(x), _t(gamma), _t(beta), axis=axis).numpy()
    np.testing.assert_allclose(got, ref_layer_norm(x, gamma, beta, axis), atol=1e-12)


@pytest.mark.parametrize("groups, axis", [(2, -1), (1, -1), (6, -1), (3, 1)])
def test_group_norm_matches_reference(groups, axis):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 6, 3, 6)) if axis == -1 else rng.normal(size=(2, 6, 3))
    c = x.shape[axis]
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    got = dw.nn.group_norm(_t(x), groups, _t(gamma), _t(beta), axis=axis).numpy()
    np.testing.assert_allclose(got, ref_group_norm(x, groups, gamma, beta, axis=axis),
                               atol=1e-12)


def test_float32_is_kept():
    x = dw.tensor(np.random.default_rng(6).normal(size=(4, 6)).astype(np.float32),
                  requires_grad=True)
    g32 = dw.ones(6, requires_grad=True)
    for fn in (lambda t: dw.nn.batch_norm_train(t, g32), lambda t: dw.nn.layer_norm(t, g32),
               lambda t: dw.nn.group_norm(t, 2, g32),
               lambda t: dw.nn.batch_norm(t, dw.zeros(6), dw.ones(6), None, g32)):
        y = fn(x)
        assert y.dtype == np.float32
        gx, gg = dw.grad((y * y).sum(), [x, g32])
        assert gx.dtype == np.float32 and gg.dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match=r"batch_norm: gamma does not match the input's feature "
                       r"axes; expected shape \(4,\), got gamma shape \(3,\) for input shape "
                       r"\(2, 4\)"):
        dw.nn.batch_norm(dw.ones((2, 4)), dw.zeros(4), dw.ones(4), None, dw.ones(3))
    with pytest.raises(ValueError, match=r"group_norm: the channels must split into equal "
                       r"groups; expected groups to be a positive divisor of 6, got groups=32"):
        dw.nn.group_norm(dw.ones((2, 6)))                          # Keras' default groups=32
    with pytest.raises(ValueError, match=r"group_norm: axis must not be the batch axis"):
        dw.nn.group_norm(dw.ones((2, 6)), 2, axis=0)
    with pytest.raises(dw.AxisError, match=r"layer_norm: axis 3 is out of range"):
        dw.nn.layer_norm(dw.ones((2, 6)), axis=3)


# ---------------------------------------------------------------- torch (optional)

def test_norms_match_torch_values_and_grads():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, gamma, beta = rng.normal(size=(3, 4, 5, 6)), rng.normal(size=6), rng.normal(size=6)
    cases = [
        (lambda a, g, b: dw.nn.batch_norm_train(a, g, b),
         lambda a, g, b: torch.nn.functional.batch_norm(
             a.movedim(-1, 1), None, None, g, b, training=True, eps=1e-3).movedim(1, -1)),
        (lambda a, g, b: dw.nn.layer_norm(a, g, b),
         lambda a, g, b: torch.nn.functional.layer_norm(a, (6,), g, b, eps=1e-3)),
        (lambda a, g, b: dw.nn.group_norm(a, 3, g, b),
         lambda a, g, b: torch.nn.functional.group_norm(
             a.movedim(-1, 1), 3, g, b, eps=1e-3).movedim(1, -1)),
    ]
    w = rng.normal(size=x.shape)
    for ours, theirs in cases:
        ins = [_t(a, True) for a in (x, gamma, beta)]
        out = ours(*ins)
        grads = dw.grad((out * dw.tensor(w)).sum(), ins)
        tins = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
        ref = theirs(*tins)
        rgrads = torch.autograd.grad((ref * torch.tensor(w)).sum(), tins)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
        for g, rg in zip(grads, rgrads, strict=True):
            np.testing.assert_allclose(g.numpy(), rg.numpy(), atol=1e-11)


def test_batch_norm_train_update_moves_the_statistics_in_place():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    mean, var = dw.Variable(np.zeros(3, np.float32)), dw.Variable(np.ones(3, np.float32))
    arrays, versions = (mean.data, var.data), (mean._version, var._version)
    out = dw.nn.batch_norm_train_update(dw.tensor(x), None, None, mean, var, momentum=0.9)
    expected, _, _ = dw.nn.batch_norm_train_with_stats(dw.tensor(x))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    np.testing.assert_allclose(mean.data, 0.1 * x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(var.data, 0.9 + 0.1 * x.var(axis=0), rtol=1e-6)
    assert mean.data is arrays[0] and var.data is arrays[1]   # changed in place
    assert (mean._version, var._version) == (versions[0] + 1, versions[1] + 1)
