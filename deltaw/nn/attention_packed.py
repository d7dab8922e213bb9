"""Self-attention on one packed projection: q, k and v read as views of a single array.

Fused for speed. In self-attention (MultiHeadAttention(x, x)) the query, key and value
projections share their input, so they are one GEMM against the three kernels side by side
(N = heads * (2 key_dim + value_dim) instead of three GEMMs of N = heads * key_dim; W6's
2,048 x 128 x 384 on one core: 2.0 ms instead of 3.4 ms; torch's nn.MultiheadAttention does
the same with its `in_proj_weight`). Taken apart with `split` and `transpose`, the packed
result would cost three scatter-into-zeros backward passes, their sum and three transposed
copies; this primitive instead reads each head's q, k and v as strided views of the packed array
(no copy), writes its output straight in the (batch, length, heads, value_dim) layout the
output projection reads, and writes dq, dk and dv into one gradient of the packed array.

The attention itself (masked softmax, dropout, backward) is `deltaw.nn.attention`'s: the same
functions on the same values, so the results are those of `scaled_dot_product_attention` on
the split heads (tests/nn/test_attention_packed.py).
"""

from __future__ import annotations

import math

import numpy as np

from deltaw import second_core
from deltaw.autograd.op import primitive
from deltaw.nn import attention as _attention
from deltaw.nn.attention import attend, attend_backward

__all__ = ["packed_self_attention"]

# Below this many scores (batch x heads x length^2) one core is faster than two: the split's
# fixed cost (~0.1 ms) is more than half of the attention's time.
_SPLIT_SCORES = 1 << 18


def _check(qkv, num_heads, key_dim, value_dim):
    width = num_heads * (2 * key_dim + value_dim)
    if qkv.ndim != 3 or qkv.shape[-1] != width:
        raise ValueError(f"packed_self_attention: expected a packed projection of shape (batch, "
                         f"length, {width}) = heads {num_heads} x (2 x key_dim {key_dim} + "
                         f"value_dim {value_dim}); got shape {qkv.shape}.")


def _heads(qkv, num_heads, key_dim, value_dim):
    """q, k (batch, heads, length, key_dim) and v (..., value_dim): views of qkv."""
    b, n, _ = qkv.shape
    a, c = num_heads * key_dim, 2 * num_heads * key_dim
    parts = ((qkv[..., :a], key_dim), (qkv[..., a:c], key_dim), (qkv[..., c:], value_dim))
    return tuple(p.reshape(b, n, num_heads, d).transpose(0, 2, 1, 3) for p, d in parts)


@primitive("packed_self_attention")
def _packed(xp, qkv, num_heads=1, key_dim=1, value_dim=1, mask=None, is_causal=False,
            scale=None, keep=None):
    _check(qkv, num_heads, key_dim, value_dim)
    b, n, _ = qkv.shape
    sizes = (num_heads, key_dim, value_dim)
    allowed = _attention._allowed(xp, mask, is_causal, n, n, (b, num_heads, n, n))
    out = xp.empty((b, n, num_heads, value_dim), qkv.dtype)

    def forward(lo, hi):
        q, k, v = _heads(qkv[lo:hi], *sizes)
        return attend(xp, q, k, v, _rows(allowed, lo, hi, b), False, scale,
                      _rows(keep, lo, hi, b), out=out[lo:hi].transpose(0, 2, 1, 3))[1]

    pieces = _pieces(xp, b, num_heads * n * n)
    probs = second_core.run(forward, pieces)
    return out, (qkv, pieces, probs, keep, scale, allowed, sizes)


@_packed.backward
def _packed_backward(xp, g, saved, needs):
    qkv, pieces, probs, keep, scale, allowed, sizes = saved
    if xp is not np:
        return (_packed_backward_graph(xp, g, qkv, keep, scale, allowed, sizes),)
    g = np.ascontiguousarray(g).transpose(0, 2, 1, 3)   # real strides for BLAS, heads first
    dqkv = np.empty_like(qkv)
    b = qkv.shape[0]

    def backward(lo, hi, piece_probs):
        q, k, v = _heads(qkv[lo:hi], *sizes)
        # dq, dk, dv written straight into their columns of the packed gradient
        attend_backward(xp, g[lo:hi], q, k, v, piece_probs, _rows(keep, lo, hi, b), scale,
                        (True,) * 3, outs=_heads(dqkv[lo:hi], *sizes))

    second_core.run(backward, pieces, probs)
    return (dqkv,)


def _pieces(xp, batch, scores_per_sample):
    """The batch's rows [(lo, hi)]: two halves for the two cores when the attention is large
    enough to repay the hand-over (about 0.1 ms), else one piece."""
    if xp is not np or batch * scores_per_sample < _SPLIT_SCORES:
        return [(0, batch)]
    return second_core.halves(batch)


def _rows(array, lo, hi, batch):
    """Rows lo:hi of a per-sample array (mask, dropout mask); one that broadcasts over the
    batch (fewer than 4 axes, or a leading axis of 1) serves every piece as it is."""
    if array is None or array.ndim < 4 or array.shape[0] != batch:
        return array
    return array[lo:hi]


def _packed_backward_graph(xp, g, qkv, keep, scale, allowed, sizes):
    """create_graph: the same rule on Tensors (heads sliced with dw ops), so that it is
    differentiated again."""
    num_heads, key_dim, value_dim = sizes
    b, n, _ = qkv.shape
    a, c = num_heads * key_dim, 2 * num_heads * key_dim
    q, k, v = (xp.transpose(xp.reshape(p, (b, n, num_heads, d)), (0, 2, 1, 3)) for p, d in (
        (qkv[..., :a], key_dim), (qkv[..., a:c], key_dim), (qkv[..., c:], value_dim)))
    probs = _attention._probabilities_graph(xp, q, k, scale, allowed)
    grads = attend_backward(xp, xp.transpose(g, (0, 2, 1, 3)), q, k, v, probs, keep, scale,
                            (True,) * 3)
    return xp.concatenate([xp.reshape(xp.transpose(d, (0, 2, 1, 3)), (b, n, -1))
                           for d in grads], axis=-1)


def packed_self_attention(qkv, num_heads, key_dim, value_dim=None, mask=None, is_causal=False,
                          scale=None, dropout_rate=0.0, seed=None):
    """Multi-head self-attention on the packed output of the q, k and v projections.

    qkv is (batch, length, heads * (2 key_dim + value_dim)): all heads' queries, then all keys,
    then all values, each head's `key_dim` (or `value_dim`) entries together (the layout of
    `x @ concatenate([Wq, Wk, Wv], axis=1)` with each kernel (dim, heads * depth)). Each head
    computes `scaled_dot_product_attention(q_h, k_h, v_h, ...)`.

    Args:
        qkv: Tensor as above.
        num_heads, key_dim: Heads, and the depth of each head's query and key.
        value_dim: Depth of each head's value; defaults to key_dim.
        mask, is_causal, scale, dropout_rate, seed: As `scaled_dot_product_attention` (mask
            broadcastable to (batch, heads, length, length); scale defaults to
            1 / sqrt(key_dim)).

    Returns:
        Tensor (batch, length, heads, value_dim).

    Gradient: with respect to qkv.

    Example:
        >>> x = dw.ones((1, 3, 2 * (2 * 4 + 4)))
        >>> dw.nn.packed_self_attention(x, num_heads=2, key_dim=4).shape
        (1, 3, 2, 4)
    """
    value_dim = key_dim if value_dim is None else value_dim
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"packed_self_attention: mask must be boolean (True = attend); got "
                            f"dtype {mask.dtype}.")
    scale = 1.0 / math.sqrt(key_dim) if scale is None else float(scale)
    shape = np.shape(qkv)
    keep = _attention.dropout_keep(shape[:1] + (num_heads, shape[1], shape[1]),
                                   getattr(qkv, "dtype", np.float32), dropout_rate, seed,
                                   where="packed_self_attention")
    return _packed(qkv, num_heads=num_heads, key_dim=key_dim, value_dim=value_dim, mask=mask,
                   is_causal=is_causal, scale=scale, keep=keep)
