"""Attention: scaled_dot_product_attention.

A fused primitive rather than a composite of matmul, softmax and where: for stability (the
masked softmax is shifted by the row maximum over the *allowed* keys, and a row with no allowed
key gives zeros instead of 0/0 = NaN) and for speed and memory (one graph node; backward keeps
only the attention probabilities, not the scores, the shifted scores and the exponentials).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from deltaw import random as _random
from deltaw.autograd.op import primitive
from deltaw.nn._kernels import attention_numba

__all__ = ["scaled_dot_product_attention"]


def _check_shapes(q, k, v):
    where = "scaled_dot_product_attention"
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{where}: query, key and value need rank >= 2 (..., length, depth); got "
                         f"query shape {q.shape}, key shape {k.shape}, value shape {v.shape}.")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{where}: query and key depths differ; expected key shape (..., Lk, "
                         f"{q.shape[-1]}), got query shape {q.shape} and key shape {k.shape}.")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{where}: key and value lengths differ; expected value shape (..., "
                         f"{k.shape[-2]}, dv), got key shape {k.shape} and value shape "
                         f"{v.shape}.")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{where}: the batch axes of query, key and value do not broadcast; got "
                         f"query shape {q.shape}, key shape {k.shape}, value shape "
                         f"{v.shape}.") from None


def _allowed(xp, mask, is_causal, lq, lk, score_shape):
    """Boolean (broadcastable) array of the keys each query may attend to, or None for all."""
    allowed = None
    if mask is not None:
        try:
            np.broadcast_shapes(mask.shape, score_shape)
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: mask does not broadcast to the "
                             f"scores; expected a shape broadcastable to {score_shape} "
                             f"(..., Lq, Lk), got mask shape {mask.shape}.") from None
        allowed = mask
    if is_causal:
        causal = xp.tril(xp.ones((lq, lk), dtype=bool))       # query i sees keys j <= i
        allowed = causal if allowed is None else allowed & causal
    return allowed


@primitive("scaled_dot_product_attention")
def _attention(xp, query, key, value, mask=None, is_causal=False, scale=None, keep=None):
    _check_shapes(query, key, value)
    out, probs, allowed = attend(xp, query, key, value, mask, is_causal, scale, keep)
    return out, (query, key, value, probs, keep, scale, allowed)


def attend(xp, query, key, value, mask, is_causal, scale, keep, out=None):
    """(output, probabilities, allowed) of the forward pass on arrays; `out` (optional) is the
    array the output is written into (a strided view is fine: the packed self-attention
    writes its heads' outputs in place)."""
    lq, lk = query.shape[-2], key.shape[-2]
    scores = xp.matmul(query, xp.swapaxes(key, -1, -2))
    allowed = _allowed(xp, mask, is_causal, lq, lk, scores.shape)
    probs = _softmax_compiled(xp, scores, scale, allowed)
    if probs is _UNFINISHED:     # a NaN or infinite score: NumPy's path defines those rows
        scores = xp.matmul(query, xp.swapaxes(key, -1, -2))
    if probs is None or probs is _UNFINISHED:
        probs = _softmax(xp, scores, scale, allowed)
    used = probs if keep is None else probs * keep
    return xp.matmul(used, value, out=out), probs, allowed


def _softmax(xp, scores, scale, allowed):
    """The masked softmax of scores * scale over the last axis (NumPy's form, the reference)."""
    scores *= scores.dtype.type(scale)
    if allowed is not None:
        scores = xp.where(allowed, scores, -xp.inf)
    top = scores.max(axis=-1, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)             # fully masked rows: avoid -inf - -inf
    probs = xp.exp(scores - top)                         # exp(-inf) = 0 for masked keys
    total = probs.sum(axis=-1, keepdims=True)
    probs /= xp.where(total > 0, total, 1)               # fully masked rows stay all zeros
    return probs


_UNFINISHED = object()


def _kernels_for(xp, *arrays):
    """attention_numba's kernels for float32 C-contiguous NumPy arrays, else None (float64,
    as in gradcheck, keeps the NumPy path: the reference the kernels are tested against)."""
    if xp is not np or any(a.dtype != np.float32 or not a.flags.c_contiguous for a in arrays):
        return None
    return attention_numba.load()


def _softmax_compiled(xp, scores, scale, allowed):
    """The same softmax by attention_numba's kernel, in place on `scores` (the fresh result of
    the matmul); None where the kernel does not apply (then `scores` is untouched), and
    _UNFINISHED where a score was NaN or infinite (then `scores` was partly overwritten)."""
    kernels = _kernels_for(xp, scores)
    if kernels is None or scores.ndim < 2 or scores.size == 0:
        return None
    n = scores.shape[-1]
    if allowed is None:
        flat_allowed = np.ones((1, 1), bool)              # not read
    else:
        flat_allowed = np.broadcast_to(allowed, scores.shape).reshape(-1, n)
    bad = kernels.softmax_forward(scores.reshape(-1, n), np.float32(scale), flat_allowed,
                                  allowed is not None, np.empty(n, np.int32),
                                  np.empty(n, np.float32))
    return _UNFINISHED if bad else scores


@_attention.backward
def _attention_backward(xp, g, saved, needs):
    query, key, value, probs, keep, scale, allowed = saved
    if xp is np:
        g = xp.ascontiguousarray(g)     # BLAS needs real strides; g may be a broadcast view
    else:  # create_graph: the probabilities rebuilt from query and key, so they are differentiated
        probs = _probabilities_graph(xp, query, key, scale, allowed)
    return attend_backward(xp, g, query, key, value, probs, keep, scale, needs)


def attend_backward(xp, g, query, key, value, probs, keep, scale, needs, outs=(None,) * 3):
    """(dq, dk, dv) from the output gradient `g` and the saved probabilities; `outs` (optional,
    NumPy only) are the arrays dq, dk and dv are written into."""
    kw = [{} if o is None else {"out": o} for o in outs]
    used = probs if keep is None else probs * keep
    dv = xp.matmul(xp.swapaxes(used, -1, -2), g, **kw[2]) if needs[2] else None  # dV = P^T g
    dq = dk = None
    if needs[0] or needs[1]:
        dp = xp.matmul(g, xp.swapaxes(value, -1, -2))                      # dP = g V^T
        if keep is not None:
            dp = dp * keep
        # softmax: dS = P * (dP - sum_j dP_j P_j), times the scale of S = q k^T * scale
        kernels = _kernels_for(xp, probs, dp) if dp.shape == probs.shape else None
        if kernels is not None:    # one pass per row, in place on dP (a fresh array)
            n = dp.shape[-1]
            kernels.softmax_backward(probs.reshape(-1, n), dp.reshape(-1, n), np.float32(scale))
            ds = dp
        else:
            ds = probs * (dp - (dp * probs).sum(axis=-1, keepdims=True))
            ds *= ds.dtype.type(scale)
        dq = xp.matmul(ds, key, **kw[0]) if needs[0] else None             # dq = dS k
        if needs[1]:                                                        # dk = dS^T q
            dk = xp.matmul(xp.swapaxes(ds, -1, -2), query, **kw[1])
    return dq, dk, dv


def _probabilities_graph(xp, query, key, scale, allowed):
    scores = xp.matmul(query, xp.swapaxes(key, -1, -2)) * scale
    if allowed is not None:
        scores = xp.where(allowed, scores, -np.inf)
    top = np.max(scores.data, axis=-1, keepdims=True)     # a constant shift: softmax ignores it
    top = np.where(np.isfinite(top), top, 0)
    probs = xp.exp(scores - top)
    total = probs.sum(axis=-1, keepdims=True)
    return probs / xp.where(total > 0, total, 1)          # fully masked rows stay all zeros


def scaled_dot_product_attention(query, key, value, mask=None, is_causal=False, scale=None,
                                 dropout_rate=0.0, seed=None):
    """softmax(query @ key^T * scale, masked) @ value, fused.

    Layout (..., length, depth), as torch.nn.functional.scaled_dot_product_attention: query
    (..., Lq, d), key (..., Lk, d), value (..., Lk, dv); the leading axes (batch, heads)
    broadcast. (keras.ops.dot_product_attention takes (batch, length, heads, depth) instead:
    transpose before calling.)

    Args:
        query, key, value: Tensors as above.
        mask: Optional boolean array broadcastable to (..., Lq, Lk); True means "may attend"
            (Keras' convention; the opposite of torch's boolean attn_mask for
            nn.MultiheadAttention, the same as F.scaled_dot_product_attention's). Not
            differentiable.
        is_causal: Query i attends only to keys j <= i (top-left aligned when Lq != Lk, as
            torch and Keras). Combined with `mask` by AND.
        scale: Multiplies the scores; default 1 / sqrt(d).
        dropout_rate: Probability of dropping each attention weight (after the softmax, the
            kept ones scaled by 1 / (1 - rate)), as torch's dropout_p: it applies whenever it is
            > 0, so pass 0 at inference.
        seed: None draws the dropout mask from deltaw.random's generator; an int or a numpy
            Generator makes it reproducible.

    Returns:
        Tensor (..., Lq, dv).

    Fully masked rows: a query with no allowed key gets an all-zero output row (and zero
    gradients), not NaN.

    Gradient: with respect to query, key and value.

    Example:
        >>> q = dw.tensor([[1.0, 0.0]])
        >>> kv = dw.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> dw.nn.scaled_dot_product_attention(q, kv, kv, mask=np.array([[False, True]]))
        tensor([[0., 1.]])
    """
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"scaled_dot_product_attention: mask must be boolean (True = attend); "
                            f"got dtype {mask.dtype}.")
    q_shape, k_shape = np.shape(query), np.shape(key)
    d = q_shape[-1] if q_shape else 1
    scale = 1.0 / math.sqrt(d) if scale is None else float(scale)
    keep = None
    if dropout_rate != 0 or isinstance(dropout_rate, bool):
        shape = np.broadcast_shapes(q_shape[:-2], k_shape[:-2]) + (q_shape[-2], k_shape[-2])
        keep = dropout_keep(shape, getattr(query, "dtype", np.float32), dropout_rate, seed)
    return _attention(query, key, value, mask=mask, is_causal=is_causal, scale=scale, keep=keep)


def dropout_keep(shape, dtype, dropout_rate, seed, where="scaled_dot_product_attention"):
    """The scaled keep mask (0 or 1 / (1 - rate)) of attention-weight dropout, or None at 0."""
    if isinstance(dropout_rate, bool) or not isinstance(dropout_rate, numbers.Real) \
            or not 0 <= dropout_rate < 1:
        raise ValueError(f"{where}: dropout_rate must be in [0, 1); got "
                         f"dropout_rate={dropout_rate!r}.")
    if dropout_rate == 0:
        return None
    gen = _random.generator() if seed is None else np.random.default_rng(seed)
    dtype = np.result_type(dtype, np.float32)
    return (gen.random(shape) >= dropout_rate).astype(dtype) / dtype.type(1 - dropout_rate)
