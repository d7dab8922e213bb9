"""The attention softmax kernels (deltaw.nn._kernels.attention_numba) against the NumPy path.

`scaled_dot_product_attention` runs twice on the same float32 inputs, with the kernels and with
`_kernels.set_enabled(False)`: outputs and gradients agree to the documented tolerance (the
kernel's exp is Cephes' polynomial and its row sums run in another order: about 1e-6 relative,
not bit for bit); masked keys and fully masked rows are exactly zero in both; a NaN or infinite
score sends the op to the NumPy path, so both give the same NaNs.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from deltaw.nn import _kernels
from deltaw.nn._kernels import attention_numba
from deltaw.nn.attention import scaled_dot_product_attention

needs_numba = pytest.mark.skipif(
    _kernels.get() is None,
    reason=f"numba kernels unavailable: {_kernels.status()} (pip install deltaw[fast])")

# relative to the largest entry of each array: the kernel's exp and sums differ from NumPy's
# by a few float32 ulps, which the matmuls around the softmax carry into every output
TOL = 2e-6


def _run(use_kernels, shapes, **kw):
    previous = _kernels.set_enabled(use_kernels)
    try:
        rng = np.random.default_rng(0)
        q, k, v = (dw.tensor(rng.normal(size=s).astype(np.float32), requires_grad=True)
                   for s in shapes)
        out = scaled_dot_product_attention(q, k, v, **kw)
        w = dw.tensor(rng.normal(size=out.shape).astype(np.float32))
        grads = dw.grad((out * w).sum(), [q, k, v])
    finally:
        _kernels.set_enabled(previous)
    return out.numpy(), [g.numpy() for g in grads]


def _assert_close(a, b):
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL * max(np.abs(b).max(), 1e-30))


W6 = [(4, 4, 16, 8)] * 3            # (batch, heads, length, depth), W6's layout at a small size
MASK = np.random.default_rng(3).random((4, 1, 16, 16)) > 0.4
MASK[0, 0, 2] = False               # a query with no allowed key
CASES = {
    "plain": (W6, {}),
    "causal": (W6, {"is_causal": True}),
    "mask-with-empty-row": (W6, {"mask": MASK}),
    "mask-and-causal": (W6, {"mask": MASK, "is_causal": True, "scale": 0.3}),
    "dropout": (W6, {"dropout_rate": 0.25, "seed": 7}),
    "broadcast-heads": ([(2, 1, 5, 4), (1, 3, 7, 4), (1, 3, 7, 6)], {}),
    "odd-length": ([(3, 5, 4), (3, 13, 4), (3, 13, 2)], {}),
}


@needs_numba
@pytest.mark.parametrize("name", CASES)
def test_attention_kernel_matches_numpy(name):
    shapes, kw = CASES[name]
    (out_k, grads_k), (out_n, grads_n) = _run(True, shapes, **kw), _run(False, shapes, **kw)
    _assert_close(out_k, out_n)
    for gk, gn in zip(grads_k, grads_n, strict=True):
        _assert_close(gk, gn)


@needs_numba
def test_fully_masked_rows_and_masked_keys_are_exactly_zero():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(2, 3, 4)).astype(np.float32), rng.normal(size=(2, 5, 4))
    eye = np.eye(5, dtype=np.float32)      # value = I returns the probabilities themselves
    mask = np.array([[True, False, True, False, True], [False] * 5, [True] * 5])
    probs = scaled_dot_product_attention(q, k.astype(np.float32), eye, mask=mask).numpy()
    assert np.all(probs[:, 1] == 0) and np.all(probs[:, 0, [1, 3]] == 0)
    np.testing.assert_allclose(probs[:, [0, 2]].sum(-1), 1, rtol=1e-6)


@needs_numba
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_scores_take_the_numpy_path(bad):
    shapes = [(2, 3, 4), (2, 5, 4), (2, 5, 3)]
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=s).astype(np.float32) for s in shapes]
    arrays[0][1, 2, 0] = bad
    outs = []
    for use_kernels in (True, False):
        previous = _kernels.set_enabled(use_kernels)
        try:
            with np.errstate(invalid="ignore"):     # NumPy's softmax warns on inf / inf
                outs.append(scaled_dot_product_attention(*arrays).numpy())
        finally:
            _kernels.set_enabled(previous)
    np.testing.assert_array_equal(outs[0], outs[1])     # NaN where NumPy gives NaN
    assert np.isnan(outs[0][1, 2]).all() and np.isfinite(outs[0][0]).all()


@needs_numba
def test_kernel_softmax_is_accurate_over_the_float32_exponent_range():
    """Against float64: within 5e-7 relative wherever exp(x - max) is a normal float32, and
    exactly 0 below exp(-87) (NumPy's float32 exp gives denormals there)."""
    x = np.linspace(-100, 0, 64 * 512).astype(np.float32).reshape(512, 64)
    x[:, 0] = 0
    got = x.copy()
    kernels = attention_numba.load()
    bad = kernels.softmax_forward(got, np.float32(1), np.ones((1, 1), bool), False,
                                  np.empty(64, np.int32), np.empty(64, np.float32))
    assert bad == 0
    want = np.exp(x.astype(np.float64))
    want /= want.sum(-1, keepdims=True)
    normal = x > -87
    assert (np.abs(got - want)[normal] / want[normal]).max() < 5e-7
    assert np.all(got[~normal] == 0)


def test_kernel_sources_run_as_plain_python():
    """Plain Python until numba compiles them: the same results on a tiny input."""
    rng = np.random.default_rng(2)
    s = rng.normal(size=(3, 5)).astype(np.float32)
    allowed = np.array([[True] * 5, [False] * 5, [True, False, True, False, True]])
    p = s.copy()
    assert attention_numba.softmax_forward(p, np.float32(0.5), allowed, True,
                                           np.empty(5, np.int32), np.empty(5, np.float32)) == 0
    want = np.where(allowed, np.exp(0.5 * s - (0.5 * s).max(-1, keepdims=True)), 0)
    want /= np.maximum(want.sum(-1, keepdims=True), 1e-30)
    np.testing.assert_allclose(p, want, rtol=1e-6, atol=1e-7)
    dp = rng.normal(size=(3, 5)).astype(np.float32)
    ds = dp.copy()
    attention_numba.softmax_backward(p, ds, np.float32(0.5))
    np.testing.assert_allclose(ds, p * (dp - (dp * p).sum(-1, keepdims=True)) * 0.5,
                               rtol=1e-5, atol=1e-7)
