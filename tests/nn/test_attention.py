"""scaled_dot_product_attention: reference, masks, causal mode, fully masked rows (zeros, not
NaN), stability with huge scores, dropout, torch (when importable) and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops import op_table  # noqa: F401 - load the table first: it imports rows_vision
from tests.ops.rows_vision import ref_attention

sdpa = dw.nn.scaled_dot_product_attention


def _t(a, grad=False):
    return dw.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _qkv(rng, batch=(2, 3), lq=4, lk=5, d=3, dv=2):
    return (rng.normal(size=(*batch, lq, d)), rng.normal(size=(*batch, lk, d)),
            rng.normal(size=(*batch, lk, dv)))


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3},
                                {"mask": np.random.default_rng(9).uniform(size=(4, 5)) > 0.3}])
def test_matches_reference(kw):
    q, k, v = _qkv(np.random.default_rng(0))
    np.testing.assert_allclose(sdpa(_t(q), _t(k), _t(v), **kw).numpy(),
                               ref_attention(q, k, v, **kw), atol=1e-12)


def test_causal_equals_an_explicit_lower_triangular_mask():
    q, k, v = _qkv(np.random.default_rng(1), lq=5, lk=5)
    causal = sdpa(_t(q), _t(k), _t(v), is_causal=True).numpy()
    explicit = sdpa(_t(q), _t(k), _t(v), mask=np.tril(np.ones((5, 5), bool))).numpy()
    np.testing.assert_array_equal(causal, explicit)
    # the first query sees only the first key: its output is that key's value
    np.testing.assert_allclose(causal[..., 0, :], v[..., 0, :])


def test_fully_masked_rows_are_zero_with_zero_gradient():
    rng = np.random.default_rng(2)
    q, k, v = (_t(a, True) for a in _qkv(rng, batch=(2,), lq=3, lk=4))
    mask = np.array([[True, True, False, False], [False] * 4, [True, False, True, True]])
    out = sdpa(q, k, v, mask=mask)
    assert np.isfinite(out.numpy()).all()
    np.testing.assert_array_equal(out.numpy()[:, 1], 0.0)
    gq, gk, gv = dw.grad((out * out).sum() + out.sum(), [q, k, v])
    np.testing.assert_array_equal(gq.numpy()[:, 1], 0.0)
    assert all(np.isfinite(g.numpy()).all() for g in (gq, gk, gv))
    # an all-False mask everywhere: zeros everywhere, still no NaN and no warning
    assert not sdpa(q, k, v, mask=np.zeros((3, 4), bool)).numpy().any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_scores_do_not_overflow(dtype):
    q = dw.tensor(np.array([[300.0, 0.0], [-300.0, 0.0]], dtype), requires_grad=True)
    k = dw.tensor(np.array([[300.0, 0.0], [0.0, 300.0]], dtype), requires_grad=True)
    v = dw.tensor(np.array([[1.0, 0.0], [0.0, 1.0]], dtype))
    out = sdpa(q, k, v)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), [[1.0, 0.0], [0.0, 1.0]])
    gq, gk = dw.grad(out.sum(), [q, k])
    assert np.isfinite(gq.numpy()).all() and np.isfinite(gk.numpy()).all()


def test_dropout_is_reproducible_and_unbiased():
    rng = np.random.default_rng(3)
    q, k, v = (_t(a) for a in _qkv(rng, batch=(64,), lq=6, lk=6, dv=4))
    plain = sdpa(q, k, v).numpy()
    a = sdpa(q, k, v, dropout_rate=0.5, seed=7).numpy()
    b = sdpa(q, k, v, dropout_rate=0.5, seed=7).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain)
    # kept weights are scaled by 1 / (1 - rate): the mean over many samples stays close
    many = np.mean([sdpa(q, k, v, dropout_rate=0.5, seed=s).numpy() for s in range(200)],
                   axis=0)
    assert np.abs(many - plain).mean() < 0.1 * np.abs(plain).mean()
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_rate=0.0).numpy(), plain)


def test_dropout_gradient_uses_the_same_mask():
    rng = np.random.default_rng(4)
    q, k, v = (_t(a, True) for a in _qkv(rng, batch=(2,), lq=3, lk=3))
    assert dw.gradcheck(lambda a, b, c: sdpa(a, b, c, dropout_rate=0.3, seed=1), [q, k, v])


def test_errors():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query, key and value "
                       r"need rank >= 2"):
        sdpa(dw.ones(3), dw.ones((2, 3)), dw.ones((2, 3)))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: the batch axes of query, "
                       r"key and value do not broadcast"):
        sdpa(dw.ones((2, 3, 4)), dw.ones((3, 5, 4)), dw.ones((3, 5, 2)))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: dropout_rate must be in "
                       r"\[0, 1\); got dropout_rate=1.0"):
        sdpa(dw.ones((2, 3)), dw.ones((2, 3)), dw.ones((2, 3)), dropout_rate=1.0)


def test_matches_torch_values_and_grads():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    q, k, v = _qkv(rng)
    mask = rng.uniform(size=(2, 1, 4, 5)) > 0.2
    mask[..., 0] = True                              # torch gives NaN for fully masked rows
    ins = [_t(a, True) for a in (q, k, v)]
    out = sdpa(*ins, mask=mask, scale=0.7)
    w = rng.normal(size=out.shape)
    grads = dw.grad((out * dw.tensor(w)).sum(), ins)
    tins = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    ref = torch.nn.functional.scaled_dot_product_attention(*tins, attn_mask=torch.tensor(mask),
                                                           scale=0.7)
    rgrads = torch.autograd.grad((ref * torch.tensor(w)).sum(), tins)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
    for g, rg in zip(grads, rgrads, strict=True):
        np.testing.assert_allclose(g.numpy(), rg.numpy(), atol=1e-12)
