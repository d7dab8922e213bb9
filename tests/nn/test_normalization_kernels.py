"""The layer-normalization kernels (deltaw.nn._kernels.normalization_numba) against NumPy.

`layer_norm` runs twice on the same float32 inputs, with the kernels and with
`_kernels.set_enabled(False)`: outputs and gradients agree to a few float32 ulps (the row sums
run in another order), beta's gradient exactly (the same additions in the same order).
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from deltaw.nn import _kernels
from deltaw.nn._kernels import normalization_numba
from deltaw.nn.normalization import layer_norm

needs_numba = pytest.mark.skipif(
    _kernels.get() is None,
    reason=f"numba kernels unavailable: {_kernels.status()} (pip install deltaw[fast])")

TOL = 1e-6      # relative to the largest entry of each array


def _run(use_kernels, x_shape, param_shape, dtype=np.float32, scale=3.0):
    previous = _kernels.set_enabled(use_kernels)
    try:
        rng = np.random.default_rng(0)
        x = dw.tensor((scale * rng.normal(size=x_shape) + 1).astype(dtype), requires_grad=True)
        gamma, beta = (dw.tensor(rng.normal(size=param_shape).astype(dtype), requires_grad=True)
                       for _ in range(2))
        out = layer_norm(x, gamma, beta)
        w = dw.tensor(rng.normal(size=out.shape).astype(dtype))
        grads = dw.grad((out * w).sum(), [x, gamma, beta])
    finally:
        _kernels.set_enabled(previous)
    return [out.numpy()] + [g.numpy() for g in grads]


@needs_numba
@pytest.mark.parametrize("x_shape, param_shape", [
    ((32, 64, 128), (128,)),       # W6's LayerNormalization
    ((5, 7), (7,)),                # rows shorter than a vector register, odd
    ((3, 2, 33), (33,)),
    ((4, 6), (1, 6)),              # a (1, C) gamma: the kernel forward, NumPy's backward
])
def test_layer_norm_kernel_matches_numpy(x_shape, param_shape):
    got, want = _run(True, x_shape, param_shape), _run(False, x_shape, param_shape)
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), got, want, strict=True):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL * np.abs(b).max(), err_msg=name)
    if len(param_shape) == 1:
        np.testing.assert_array_equal(got[3], want[3])    # dbeta: the same sums in order


@needs_numba
def test_layer_norm_kernel_propagates_nan_like_numpy():
    x = np.ones((3, 4), np.float32)
    x[1, 2] = np.nan
    gamma, beta = np.ones(4, np.float32), np.zeros(4, np.float32)
    with_kernels = layer_norm(x, gamma, beta).numpy()
    previous = _kernels.set_enabled(False)
    try:
        reference = layer_norm(x, gamma, beta).numpy()
    finally:
        _kernels.set_enabled(previous)
    np.testing.assert_array_equal(with_kernels, reference)
    assert np.isnan(with_kernels[1]).all() and np.isfinite(with_kernels[[0, 2]]).all()


def test_kernel_sources_run_as_plain_python():
    """Plain Python until numba compiles them: the closed forms on a tiny input."""
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=5)
    out, xhat, inv = np.empty_like(x), np.empty_like(x), np.empty(3)
    normalization_numba.layer_norm_forward(x, gamma, beta, 1e-3, out, xhat, inv)
    want_hat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(xhat, want_hat, rtol=1e-12)
    np.testing.assert_allclose(out, want_hat * gamma + beta, rtol=1e-12)
    g = rng.normal(size=(3, 5))
    dx, dgamma, dbeta = np.empty_like(x), np.empty(5), np.empty(5)
    normalization_numba.layer_norm_backward(g, xhat, inv, gamma, dx, dgamma, dbeta)
    d = g * gamma
    want_dx = inv[:, None] * (d - d.mean(1, keepdims=True)
                              - xhat * (d * xhat).mean(1, keepdims=True))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, (g * xhat).sum(0), rtol=1e-12)
    np.testing.assert_allclose(dbeta, g.sum(0), rtol=1e-12)
