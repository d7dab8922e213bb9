"""packed_self_attention against scaled_dot_product_attention on the split heads, and
MultiHeadAttention's packed self-attention path against its three-projection path.

The packed op runs the same attention functions on views of one array, so it agrees with the
split heads to float32 rounding (the matmuls read strided views); MultiHeadAttention(x, x) takes
the packed path and MultiHeadAttention(x, copy of x) the unfused one: outputs, gradients and
second derivatives agree.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from deltaw.autograd.replay import recording
from deltaw.keras import layers
from deltaw.nn import packed_self_attention, scaled_dot_product_attention

HEADS, KEY, VALUE = 3, 4, 5


def _split(qkv):
    b, n, _ = qkv.shape
    a, c = HEADS * KEY, 2 * HEADS * KEY
    return [dw.transpose(dw.reshape(p, (b, n, HEADS, d)), (0, 2, 1, 3))
            for p, d in ((qkv[..., :a], KEY), (qkv[..., a:c], KEY), (qkv[..., c:], VALUE))]


@pytest.mark.parametrize("kw", [{}, {"is_causal": True},
                                {"mask": np.random.default_rng(1).random((2, 1, 6, 6)) > 0.3},
                                {"dropout_rate": 0.3, "seed": 5}],
                         ids=["plain", "causal", "mask", "dropout"])
def test_packed_matches_split_heads(kw):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, HEADS * (2 * KEY + VALUE))).astype(np.float32)
    w = rng.normal(size=(2, 6, HEADS, VALUE)).astype(np.float32)
    packed_in, split_in = dw.tensor(x, requires_grad=True), dw.tensor(x, requires_grad=True)
    packed = packed_self_attention(packed_in, HEADS, KEY, VALUE, **kw)
    split = dw.transpose(scaled_dot_product_attention(*_split(split_in), **kw), (0, 2, 1, 3))
    np.testing.assert_allclose(packed.numpy(), split.numpy(), rtol=1e-5, atol=1e-6)
    g_packed = dw.grad((packed * dw.tensor(w)).sum(), [packed_in])[0]
    g_split = dw.grad((split * dw.tensor(w)).sum(), [split_in])[0]
    np.testing.assert_allclose(g_packed.numpy(), g_split.numpy(), rtol=1e-5, atol=1e-6)


def _mha(dtype="float32"):
    dw.random.seed(3)
    mha = layers.MultiHeadAttention(num_heads=HEADS, key_dim=KEY, value_dim=VALUE, dtype=dtype)
    return mha


def test_mha_self_attention_packed_path_matches_the_three_projections():
    x = np.random.default_rng(2).normal(size=(2, 5, 8)).astype(np.float32)
    mha = _mha()
    q = dw.tensor(x)
    with recording() as packed_ops:
        packed = mha(q, q, use_causal_mask=True)              # query is value: packed path
    with recording() as unfused_ops:
        unfused = mha(q, dw.tensor(x.copy()), use_causal_mask=True)
    assert "packed_self_attention" in {r[0].name for r in packed_ops}
    assert "scaled_dot_product_attention" in {r[0].name for r in unfused_ops}
    np.testing.assert_allclose(packed.numpy(), unfused.numpy(), rtol=1e-5, atol=1e-6)
    weights = mha.trainable_weights
    assert len(weights) == 8                                  # Keras' layout is unchanged
    g_packed = dw.grad((mha(q, q) ** 2).sum(), weights)
    g_unfused = dw.grad((mha(q, dw.tensor(x.copy())) ** 2).sum(), weights)
    for a, b, v in zip(g_packed, g_unfused, weights, strict=True):
        assert a.shape == v.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_mha_self_attention_second_order_matches_the_unfused_path():
    """create_graph through the packed op: d/dW of |d out / d x|^2, float64, both paths."""
    x = np.random.default_rng(4).normal(size=(1, 4, 6))
    mha = _mha("float64")
    mha(dw.tensor(x), dw.tensor(x))                           # build
    results = []
    for packed in (True, False):
        xt = dw.tensor(x, requires_grad=True)
        out = mha(xt, xt) if packed else mha(xt, xt * 1.0)    # xt * 1.0: another Tensor
        (gx,) = dw.grad((out ** 2).sum(), [xt], create_graph=True)
        results.append([g.numpy() for g in dw.grad((gx ** 2).sum(), mha.trainable_weights)])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
