"""Op-table rows for the vision and sequence ops of deltaw.nn: convolutions, pooling,
normalization, attention, embedding and the recurrent networks.

The NumPy references here are deliberately slow and obvious (explicit loops over output pixels,
windows and time steps, float64 math); tests/nn/test_*.py reuse them. Tensors stay tiny (N=2,
5x5 images, 2 channels; T=3 steps, 2 units) so that gradcheck's per-element central differences
stay cheap. Max-pool samples hold well-separated values so no finite-difference step crosses a
tie; recurrent samples use smooth activations only.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import deltaw as dw
from deltaw.nn import (
    attention,
    conv,
    conv_fused,
    normalization,
    pooling,
    recurrent,
    sync_batch_norm,
)
from deltaw.nn.attention_packed import packed_self_attention
from deltaw.nn.embedding import embedding as _embedding  # dw.nn.embedding is the function
from tests.ops.op_table import OpSpec
from tests.ops.samples import ErrorCase, Sample

# ---------------------------------------------------------------- helpers


def _in_dtype(ref):
    """Compute a reference in float64, return it in the dtype of the first floating argument."""
    @functools.wraps(ref)
    def wrapped(*args, **kwargs):
        dtype = next((a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                     np.dtype(np.float64))
        wide = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in args]
        out = ref(*wide, **kwargs)
        return np.asarray(out).astype(dtype)
    return wrapped


def _pick(fn, index):
    """A multi-result op seen through one of its results (rows need one Tensor)."""
    def picked(*args, **kwargs):
        return fn(*args, **kwargs)[index]
    picked.__name__ = f"{getattr(fn, '__name__', 'fn')}[{index}]"
    return picked


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def keras_pads(size, k, stride, dilation, padding):
    """Keras/TF padding of one axis, written out: (before, after)."""
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return k_eff - 1, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def _samples(*cases):
    """cases: (name, arrays-builder(rng), kwargs)."""
    def make(rng):
        return [Sample(build(rng), kwargs, name) for name, build, kwargs in cases]
    return make


def _normal(*shape):
    return lambda rng: rng.normal(size=shape)


# ---------------------------------------------------------------- convolution references


def ref_conv(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """N-d convolution: one dot product per output pixel (loop over output positions)."""
    nd = x.ndim - 2
    s, d = _tuple(strides, nd), _tuple(dilation_rate, nd)
    ksize = kernel.shape[:nd]
    pads = [keras_pads(x.shape[1 + i], ksize[i], s[i], d[i], padding) for i in range(nd)]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    outs = [(xp.shape[1 + i] - ((ksize[i] - 1) * d[i] + 1)) // s[i] + 1 for i in range(nd)]
    cg, cout = kernel.shape[-2], kernel.shape[-1]
    og = cout // groups
    out = np.zeros((x.shape[0], *outs, cout))
    for pos in np.ndindex(*outs):
        window = xp[(slice(None), *(slice(p * s[i], p * s[i] + (ksize[i] - 1) * d[i] + 1, d[i])
                                    for i, p in enumerate(pos)))]
        for f in range(cout):
            grp = f // og
            patch = window[..., grp * cg:(grp + 1) * cg]
            out[(slice(None), *pos, f)] = (patch * kernel[..., f]).reshape(x.shape[0], -1).sum(1)
    return out


def keras_transpose_geometry(size, k, stride, dilation, padding, output_padding):
    """Keras' (jax backend) transposed-convolution padding rule: (left pad, output length)."""
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        op = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return k_eff - 1, (size - 1) * stride + k_eff + op
    pad_len = (stride + k_eff - 2 if output_padding is None
               else k_eff + k_eff % 2 - 2 + output_padding)
    left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
    right = pad_len - left
    return left, (size - 1) * stride + 1 + left + right - k_eff + 1


def ref_conv2d_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                         dilation_rate=1):
    """Scatter every input pixel through the kernel (loop over input pixels), then crop."""
    s, d = _tuple(strides, 2), _tuple(dilation_rate, 2)
    ops = (output_padding,) * 2 if output_padding is None or isinstance(output_padding, int) \
        else tuple(output_padding)
    kh, kw, cout, _ = kernel.shape
    n, h, w, _ = x.shape
    geo = [keras_transpose_geometry(size, k, st, dl, padding, op)
           for size, k, st, dl, op in zip((h, w), (kh, kw), s, d, ops, strict=True)]
    full_h = max((h - 1) * s[0] + (kh - 1) * d[0] + 1, (kh - 1) * d[0] - geo[0][0] + geo[0][1])
    full_w = max((w - 1) * s[1] + (kw - 1) * d[1] + 1, (kw - 1) * d[1] - geo[1][0] + geo[1][1])
    full = np.zeros((n, full_h, full_w, cout))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * s[0] + a * d[0], j * s[1] + b * d[1]] += x[:, i, j] @ kernel[a, b].T
    off = [(k - 1) * dl - left for k, dl, (left, _) in zip((kh, kw), d, geo, strict=True)]
    return full[:, off[0]:off[0] + geo[0][1], off[1]:off[1] + geo[1][1]]


def ref_depthwise_conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    kh, kw, c, m = kernel.shape
    # channel c, multiplier j -> output channel c * m + j: a grouped convolution, groups = c
    grouped = kernel.reshape(kh, kw, 1, c * m)
    return ref_conv(x, grouped, strides, padding, dilation_rate, groups=c)


def ref_separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                         dilation_rate=1):
    mid = ref_depthwise_conv2d(x, depthwise_kernel, strides, padding, dilation_rate)
    return ref_conv(mid, pointwise_kernel)


# ---------------------------------------------------------------- pooling references


def _pool_ref(x, pool_size, strides, padding, reduce):
    nd = x.ndim - 2
    p = _tuple(pool_size, nd)
    s = p if strides is None else _tuple(strides, nd)
    sizes = x.shape[1:-1]
    pads = [keras_pads(sizes[i], p[i], s[i], 1, padding) for i in range(nd)]
    outs = [(sizes[i] + sum(pads[i]) - p[i]) // s[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        # the window on the UNPADDED input: padding never counts
        sl = tuple(slice(max(q * s[i] - pads[i][0], 0), min(q * s[i] - pads[i][0] + p[i], sizes[i]))
                   for i, q in enumerate(pos))
        window = x[(slice(None), *sl)]
        out[(slice(None), *pos)] = reduce(window.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


def ref_max_pool(x, pool_size=2, strides=None, padding="valid"):
    return _pool_ref(x, pool_size, strides, padding, np.max)


def ref_avg_pool(x, pool_size=2, strides=None, padding="valid"):
    return _pool_ref(x, pool_size, strides, padding, np.mean)


def ref_upsampling2d(x, size=(2, 2), interpolation="nearest"):
    fh, fw = _tuple(size, 2)
    n, h, w, c = x.shape
    out = np.zeros((n, h * fh, w * fw, c))
    for i in range(h * fh):
        for j in range(w * fw):
            if interpolation == "nearest":
                out[:, i, j] = x[:, i // fh, j // fw]
                continue
            # half-pixel centres, clamped at the borders
            sy = min(max((i + 0.5) / fh - 0.5, 0), h - 1)
            sx = min(max((j + 0.5) / fw - 0.5, 0), w - 1)
            y0, x0 = int(math.floor(sy)), int(math.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            wy, wx = sy - y0, sx - x0
            out[:, i, j] = ((1 - wy) * (1 - wx) * x[:, y0, x0] + (1 - wy) * wx * x[:, y0, x1]
                            + wy * (1 - wx) * x[:, y1, x0] + wy * wx * x[:, y1, x1])
    return out


# ---------------------------------------------------------------- normalization references


def _feature_view(p, x, axes):
    if np.ndim(p) == 0:
        return p
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return np.reshape(p, shape)


def ref_batch_norm(x, mean, variance, beta=None, gamma=None, epsilon=1e-3, axis=-1):
    ax = (axis % x.ndim,)
    gamma = 1.0 if gamma is None else gamma
    beta = 0.0 if beta is None else beta
    v = [_feature_view(p, x, ax) for p in (mean, variance, beta, gamma)]
    return (x - v[0]) / np.sqrt(v[1] + epsilon) * v[3] + v[2]


def ref_batch_norm_train(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    ax = axis % x.ndim
    others = tuple(a for a in range(x.ndim) if a != ax)
    mean, var = x.mean(axis=others, keepdims=True), x.var(axis=others, keepdims=True)
    gamma = 1.0 if gamma is None else _feature_view(gamma, x, (ax,))
    beta = 0.0 if beta is None else _feature_view(beta, x, (ax,))
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def ref_layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    gamma = 1.0 if gamma is None else _feature_view(gamma, x, axes)
    beta = 0.0 if beta is None else _feature_view(beta, x, axes)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def ref_group_norm(x, groups=32, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    ax = axis % x.ndim
    out = np.empty_like(x)
    c = x.shape[ax]
    per = c // groups
    for n in range(x.shape[0]):
        for grp in range(groups):
            idx = [slice(None)] * x.ndim
            idx[0], idx[ax] = n, slice(grp * per, (grp + 1) * per)
            block = x[tuple(idx)]
            out[tuple(idx)] = (block - block.mean()) / np.sqrt(block.var() + epsilon)
    gamma = 1.0 if gamma is None else _feature_view(gamma, x, (ax,))
    beta = 0.0 if beta is None else _feature_view(beta, x, (ax,))
    return out * gamma + beta


# ---------------------------------------------------------------- attention / embedding references


def ref_attention(query, key, value, mask=None, is_causal=False, scale=None):
    lq, lk = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ np.swapaxes(key, -1, -2) * scale
    allowed = np.ones(scores.shape, bool)
    if mask is not None:
        allowed = allowed & mask
    if is_causal:
        allowed = allowed & np.tril(np.ones((lq, lk), bool))
    batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    q, k, v = (np.broadcast_to(a, batch + a.shape[-2:]) for a in (query, key, value))
    allowed = np.broadcast_to(allowed, batch + (lq, lk))
    out = np.zeros(batch + (lq, value.shape[-1]))
    for b in np.ndindex(*batch):
        for i in range(lq):
            keys = np.flatnonzero(allowed[b][i])
            if keys.size == 0:
                continue                                   # fully masked row: zeros
            s = q[b][i] @ k[b][keys].T * scale
            w = np.exp(s - s.max())
            out[b][i] = (w / w.sum()) @ v[b][keys]
    return out


def ref_embedding(ids, table):
    return np.stack([table[i] for i in np.asarray(ids).reshape(-1)]).reshape(
        *np.shape(ids), table.shape[1])


# ---------------------------------------------------------------- recurrent references


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _rnn_loop(x, h0, mask, go_backwards, step, states):
    """Keras' masked time loop: masked steps keep the states; outputs repeat the previous output
    (zeros before the first unmasked step)."""
    n, t, _ = x.shape
    order = range(t - 1, -1, -1) if go_backwards else range(t)
    prev_out = np.zeros_like(h0)
    outs = []
    for k in order:
        new = step(x[:, k], states)
        if mask is None:
            keep = np.ones((n, 1), bool)
        else:
            keep = mask[:, k][:, None]
        states = [np.where(keep, a, b) for a, b in zip(new, states, strict=True)]
        prev_out = np.where(keep, new[0], prev_out)
        outs.append(prev_out)
    return np.stack(outs, axis=1), states


def ref_lstm(x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, go_backwards=False,
             mask=None):
    u = recurrent_kernel.shape[0]
    h0 = np.zeros((x.shape[0], u)) if h0 is None else h0
    c0 = np.zeros((x.shape[0], u)) if c0 is None else c0
    bias = 0 if bias is None else bias

    def step(xt, states):
        h, c = states
        z = xt @ kernel + h @ recurrent_kernel + bias
        i, f, cc, o = (z[:, j * u:(j + 1) * u] for j in range(4))
        c = _sig(f) * c + _sig(i) * np.tanh(cc)
        return [_sig(o) * np.tanh(c), c]

    outs, (h, c) = _rnn_loop(x, h0, mask, go_backwards, step, [h0, c0])
    return outs, h, c


def ref_gru(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False, mask=None,
            reset_after=True):
    u = recurrent_kernel.shape[0]
    h0 = np.zeros((x.shape[0], u)) if h0 is None else h0
    if bias is None:
        b_in, b_rec = 0, 0
    elif reset_after:
        b_in, b_rec = bias[0], bias[1]
    else:
        b_in, b_rec = bias, 0

    def step(xt, states):
        (h,) = states
        xz, xr, xh = np.split(xt @ kernel + b_in, 3, axis=1)
        if reset_after:
            rz, rr, rh = np.split(h @ recurrent_kernel + b_rec, 3, axis=1)
            z, r = _sig(xz + rz), _sig(xr + rr)
            hh = np.tanh(xh + r * rh)
        else:
            uz, ur, uh = np.split(recurrent_kernel, 3, axis=1)
            z, r = _sig(xz + h @ uz), _sig(xr + h @ ur)
            hh = np.tanh(xh + (r * h) @ uh)
        return [z * h + (1 - z) * hh]

    outs, (h,) = _rnn_loop(x, h0, mask, go_backwards, step, [h0])
    return outs, h


def ref_simple_rnn(x, kernel, recurrent_kernel, bias=None, h0=None, go_backwards=False,
                   mask=None):
    u = recurrent_kernel.shape[0]
    h0 = np.zeros((x.shape[0], u)) if h0 is None else h0
    bias = 0 if bias is None else bias

    def step(xt, states):
        return [np.tanh(xt @ kernel + bias + states[0] @ recurrent_kernel)]

    outs, (h,) = _rnn_loop(x, h0, mask, go_backwards, step, [h0])
    return outs, h


# ---------------------------------------------------------------- torch references


def _torch_pad(t, x, pads, value=0.0):
    """Pad the spatial axes of a channels-first torch tensor with per-axis (before, after)."""
    flat = []
    for lo, hi in reversed(pads):
        flat += [lo, hi]
    return t.nn.functional.pad(x, flat, value=value)


def _cf(t, x):
    """channels-last -> channels-first."""
    return x.movedim(-1, 1)


def _cl(t, x):
    return x.movedim(1, -1)


def torch_conv(t, x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    nd = x.ndim - 2
    s, d = _tuple(strides, nd), _tuple(dilation_rate, nd)
    pads = [keras_pads(x.shape[1 + i], kernel.shape[i], s[i], d[i], padding) for i in range(nd)]
    w = kernel.permute(nd + 1, nd, *range(nd))               # (out, in/groups, *k)
    fn = t.nn.functional.conv1d if nd == 1 else t.nn.functional.conv2d
    y = fn(_torch_pad(t, _cf(t, x), pads), w, stride=s, dilation=d, groups=groups)
    return _cl(t, y)


def torch_conv2d_transpose(t, x, kernel, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1):
    s, d = _tuple(strides, 2), _tuple(dilation_rate, 2)
    ops = (output_padding,) * 2 if output_padding is None or isinstance(output_padding, int) \
        else tuple(output_padding)
    full = t.nn.functional.conv_transpose2d(_cf(t, x), kernel.permute(3, 2, 0, 1), stride=s,
                                            dilation=d)
    per_axis = zip(x.shape[1:3], kernel.shape[:2], s, d, ops, strict=True)
    for axis, (size, k, st, dl, op) in enumerate(per_axis):
        left, length = keras_transpose_geometry(size, k, st, dl, padding, op)
        offset = (k - 1) * dl - left
        extra = offset + length - full.shape[2 + axis]
        if extra > 0:
            pad = [0, 0, 0, 0]
            pad[2 * (1 - axis) + 1] = extra
            full = t.nn.functional.pad(full, pad)
        full = full.narrow(2 + axis, offset, length)
    return _cl(t, full)


def torch_depthwise(t, x, kernel, strides=1, padding="valid", dilation_rate=1):
    kh, kw, c, m = kernel.shape
    return torch_conv(t, x, kernel.reshape(kh, kw, 1, c * m), strides, padding, dilation_rate,
                      groups=c)


def torch_max_pool(t, x, pool_size=2, strides=None, padding="valid"):
    nd = x.ndim - 2
    p = _tuple(pool_size, nd)
    s = p if strides is None else _tuple(strides, nd)
    pads = [keras_pads(x.shape[1 + i], p[i], s[i], 1, padding) for i in range(nd)]
    fn = t.nn.functional.max_pool1d if nd == 1 else t.nn.functional.max_pool2d
    return _cl(t, fn(_torch_pad(t, _cf(t, x), pads, -math.inf), p, s))


def torch_avg_pool(t, x, pool_size=2, strides=None, padding="valid"):
    nd = x.ndim - 2
    p = _tuple(pool_size, nd)
    s = p if strides is None else _tuple(strides, nd)
    pads = [keras_pads(x.shape[1 + i], p[i], s[i], 1, padding) for i in range(nd)]
    fn = t.nn.functional.avg_pool1d if nd == 1 else t.nn.functional.avg_pool2d
    xc = _cf(t, x)
    total = fn(_torch_pad(t, xc, pads), p, s)
    count = fn(_torch_pad(t, t.ones_like(xc[:1, :1]), pads), p, s)   # real inputs per window
    return _cl(t, total / count)


def torch_upsampling2d(t, x, size=(2, 2), interpolation="nearest"):
    kw = {"align_corners": False} if interpolation == "bilinear" else {}
    y = t.nn.functional.interpolate(_cf(t, x), scale_factor=_tuple(size, 2), mode=interpolation,
                                    **kw)
    return _cl(t, y)


def _packed_heads(qkv, num_heads, key_dim, value_dim):
    """(q, k, v) as (batch, heads, length, depth) from the packed projection (either library)."""
    b, n, _ = qkv.shape
    a, c = num_heads * key_dim, 2 * num_heads * key_dim
    return tuple(p.reshape(b, n, num_heads, d).permute(0, 2, 1, 3) if hasattr(p, "permute")
                 else p.reshape(b, n, num_heads, d).transpose(0, 2, 1, 3)
                 for p, d in ((qkv[..., :a], key_dim), (qkv[..., a:c], key_dim),
                              (qkv[..., c:], value_dim)))


def ref_packed_attention(qkv, num_heads, key_dim, value_dim, **kw):
    return ref_attention(*_packed_heads(qkv, num_heads, key_dim, value_dim),
                         **kw).transpose(0, 2, 1, 3)


def torch_packed_attention(t, qkv, num_heads, key_dim, value_dim, mask=None, is_causal=False,
                           scale=None):
    # written out (no fused kernel: torch's CPU flash attention has no second derivative)
    q, k, v = _packed_heads(qkv, num_heads, key_dim, value_dim)
    scores = q @ k.transpose(-1, -2) * (1 / math.sqrt(key_dim) if scale is None else scale)
    n = qkv.shape[1]
    allowed = t.ones(n, n, dtype=t.bool) if mask is None else t.as_tensor(mask)
    if is_causal:
        allowed = allowed & t.ones(n, n, dtype=t.bool).tril()
    probs = t.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    return (probs @ v).permute(0, 2, 1, 3)


def torch_attention(t, q, k, v, mask=None, is_causal=False, scale=None):
    lq, lk = q.shape[-2], k.shape[-2]
    allowed = None if mask is None else t.as_tensor(mask)
    if is_causal:
        causal = t.ones(lq, lk, dtype=t.bool).tril()
        allowed = causal if allowed is None else allowed & causal
    return t.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=scale)


def _keras_to_torch_gru(a):
    """Keras' gate order (z, r, h) -> torch's (r, z, n) along the last axis."""
    u = a.shape[-1] // 3
    return a[..., [*range(u, 2 * u), *range(u), *range(2 * u, 3 * u)]]


def torch_lstm(t, x, kernel, recurrent_kernel, bias, h0, c0):
    u = recurrent_kernel.shape[0]
    module = t.nn.LSTM(x.shape[-1], u, batch_first=True).double()
    params = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent_kernel.T, "bias_ih_l0": bias,
              "bias_hh_l0": t.zeros(4 * u, dtype=bias.dtype)}
    out, (h, c) = t.func.functional_call(module, params, (x, (h0[None], c0[None])))
    return out, h[0], c[0]


def torch_gru(t, x, kernel, recurrent_kernel, bias, h0):
    u = recurrent_kernel.shape[0]
    module = t.nn.GRU(x.shape[-1], u, batch_first=True).double()
    params = {"weight_ih_l0": _keras_to_torch_gru(kernel).T,
              "weight_hh_l0": _keras_to_torch_gru(recurrent_kernel).T,
              "bias_ih_l0": _keras_to_torch_gru(bias[0]),
              "bias_hh_l0": _keras_to_torch_gru(bias[1])}
    out, h = t.func.functional_call(module, params, (x, h0[None]))
    return out, h[0]


def torch_simple_rnn(t, x, kernel, recurrent_kernel, bias, h0):
    u = recurrent_kernel.shape[0]
    module = t.nn.RNN(x.shape[-1], u, batch_first=True).double()
    params = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent_kernel.T, "bias_ih_l0": bias,
              "bias_hh_l0": t.zeros(u, dtype=bias.dtype)}
    out, h = t.func.functional_call(module, params, (x, h0[None]))
    return out, h[0]


# ---------------------------------------------------------------- sample builders


def _distinct(*shape):
    """Well-separated values (a shuffled grid, step 0.1): max pooling never meets a near-tie."""
    def build(rng):
        return rng.permutation(np.arange(math.prod(shape)) * 0.1 - 2.0).reshape(shape)
    return build


def _arrays(*builders):
    return lambda rng: tuple(b(rng) for b in builders)


def _positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _conv_errors(name, nd):
    x_bad = np.ones((5,) * (nd + 1))
    k = np.ones((3,) * nd + (2, 3))
    x = np.ones((2,) + (5,) * nd + (3,))
    small = np.ones((2,) + (2,) * nd + (2,))
    k_shape = re_shape(k.shape)
    return (
        ErrorCase((x_bad, k), ValueError,
                  rf"{name}: expected an input of rank {nd + 2} .*got input shape "
                  rf"{re_shape(x_bad.shape)} and kernel shape {k_shape}"),
        ErrorCase((x, k), ValueError,
                  rf"{name}: the input's channels do not match the kernel; expected 2 channels.*"
                  rf"got input shape {re_shape(x.shape)} and kernel shape {k_shape}"),
        ErrorCase((small, k), ValueError,
                  rf"{name}: the kernel is larger than the input with padding='valid'"),
        ErrorCase((np.ones((2,) + (5,) * nd + (2,)), k), ValueError,
                  rf"{name}: padding must be 'valid' or 'same'", {"padding": "full"}),
        ErrorCase((np.ones((2,) + (5,) * nd + (2,)), k), ValueError,
                  rf"{name}: strides must be a positive int", {"strides": 0}),
        ErrorCase((np.ones((2,) + (5,) * nd + (4,)), k), ValueError,
                  rf"{name}: the kernel's filters must be divisible by groups", {"groups": 2}),
    )


def re_shape(shape):
    return "\\(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + "\\)"


# ---------------------------------------------------------------- rows: convolutions

_X2 = _normal(2, 5, 5, 2)

CONV_ROWS = [
    OpSpec("conv2d", conv.conv2d, _in_dtype(ref_conv), _samples(
        ("valid", _arrays(_X2, _normal(3, 3, 2, 3)), {}),
        ("same-stride2", _arrays(_X2, _normal(3, 3, 2, 3)), {"strides": 2, "padding": "same"}),
        ("same-dilation2", _arrays(_X2, _normal(3, 3, 2, 3)),
         {"dilation_rate": 2, "padding": "same"}),
        ("valid-stride21-dilation12", _arrays(_X2, _normal(2, 2, 2, 3)),
         {"strides": (2, 1), "dilation_rate": (1, 2)}),
        ("same-groups2", _arrays(_X2, _normal(3, 3, 1, 4)), {"groups": 2, "padding": "same"}),
        ("valid-groups2-stride2", _arrays(_normal(2, 5, 5, 4), _normal(2, 2, 2, 2)),
         {"groups": 2, "strides": 2}),
        ("same-even-kernel", _arrays(_normal(2, 4, 5, 2), _normal(2, 2, 2, 3)),
         {"padding": "same"}),
    ), grad_args=(0, 1), errors=_conv_errors("conv2d", 2), torch=torch_conv),
    OpSpec("conv1d", conv.conv1d, _in_dtype(ref_conv), _samples(
        ("valid", _arrays(_normal(2, 7, 2), _normal(3, 2, 3)), {}),
        ("same-stride2", _arrays(_normal(2, 7, 2), _normal(3, 2, 3)),
         {"strides": 2, "padding": "same"}),
        ("causal-dilation2", _arrays(_normal(2, 7, 2), _normal(3, 2, 3)),
         {"padding": "causal", "dilation_rate": 2}),
        ("same-groups2", _arrays(_normal(2, 6, 2), _normal(3, 1, 4)),
         {"padding": "same", "groups": 2}),
    ), grad_args=(0, 1), errors=_conv_errors("conv1d", 1), torch=torch_conv),
    OpSpec("conv2d_transpose", conv.conv2d_transpose, _in_dtype(ref_conv2d_transpose), _samples(
        ("valid", _arrays(_normal(2, 3, 3, 2), _normal(3, 3, 3, 2)), {}),
        ("valid-stride2", _arrays(_normal(2, 3, 3, 2), _normal(3, 3, 3, 2)), {"strides": 2}),
        ("same-stride2", _arrays(_normal(2, 3, 3, 2), _normal(3, 3, 3, 2)),
         {"strides": 2, "padding": "same"}),
        ("same-stride2-output_padding1", _arrays(_normal(2, 3, 3, 2), _normal(3, 3, 3, 2)),
         {"strides": 2, "padding": "same", "output_padding": 1}),
        ("valid-stride3-output_padding", _arrays(_normal(2, 2, 3, 2), _normal(2, 2, 3, 2)),
         {"strides": 3, "output_padding": (2, 1)}),
        ("same-stride21-kernel23", _arrays(_normal(2, 3, 3, 2), _normal(2, 3, 3, 2)),
         {"strides": (2, 1), "padding": "same"}),
        ("valid-dilation2", _arrays(_normal(2, 3, 3, 2), _normal(2, 2, 3, 2)),
         {"dilation_rate": 2}),
        ("same-stride1-even-kernel", _arrays(_normal(2, 3, 4, 2), _normal(4, 2, 3, 2)),
         {"padding": "same"}),
    ), grad_args=(0, 1), torch=torch_conv2d_transpose, errors=(
        ErrorCase((np.ones((2, 3, 3, 2)), np.ones((3, 3, 3, 2))), ValueError,
                  r"conv2d_transpose: output_padding must be smaller than strides",
                  {"strides": 2, "output_padding": 2}),
        ErrorCase((np.ones((1, 1, 1, 1)), np.ones((2, 2, 1, 1))), ValueError,
                  r"conv2d_transpose: the output would be empty; expected a positive size",
                  {"padding": "same", "output_padding": 0}),
        ErrorCase((np.ones((2, 3, 3, 3)), np.ones((3, 3, 4, 2))), ValueError,
                  r"conv2d_transpose: the input's channels do not match the kernel; expected 2 "
                  r"channels .*got input shape \(2, 3, 3, 3\) and kernel shape \(3, 3, 4, 2\)"),
        ErrorCase((np.ones((3, 3, 2)), np.ones((3, 3, 4, 2))), ValueError,
                  r"conv2d_transpose: expected an input of rank 4"),
    )),
    OpSpec("depthwise_conv2d", conv.depthwise_conv2d, _in_dtype(ref_depthwise_conv2d), _samples(
        ("valid", _arrays(_X2, _normal(3, 3, 2, 2)), {}),
        ("same-stride2", _arrays(_X2, _normal(3, 3, 2, 1)), {"strides": 2, "padding": "same"}),
        ("same-dilation2", _arrays(_X2, _normal(2, 3, 2, 3)),
         {"padding": "same", "dilation_rate": 2}),
    ), grad_args=(0, 1), torch=torch_depthwise, errors=(
        ErrorCase((np.ones((2, 5, 5, 3)), np.ones((3, 3, 2, 1))), ValueError,
                  r"depthwise_conv2d: the input's channels do not match the kernel; expected 2 "
                  r"channels .*got input shape \(2, 5, 5, 3\) and kernel shape \(3, 3, 2, 1\)"),
    )),
    OpSpec("separable_conv2d", conv.separable_conv2d, _in_dtype(ref_separable_conv2d), _samples(
        ("same", _arrays(_X2, _normal(3, 3, 2, 2), _normal(1, 1, 4, 3)), {"padding": "same"}),
    ), grad_args=(0, 1, 2)),
]

# ---------------------------------------------------------------- rows: fused conv layer

_CONV_ACTS = {None: lambda z: z, "relu": lambda z: np.maximum(z, 0),
              "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}
_CONV_ACTS_TORCH = {None: lambda t, z: z, "relu": lambda t, z: t.relu(z),
                    "sigmoid": lambda t, z: t.sigmoid(z), "tanh": lambda t, z: t.tanh(z)}


def ref_conv2d_bias_activation(x, kernel, bias=None, activation=None, **kw):
    z = ref_conv(x, kernel, **kw)
    return _CONV_ACTS[activation](z if bias is None else z + bias)


def torch_conv2d_bias_activation(t, x, kernel, bias=None, activation=None, **kw):
    z = torch_conv(t, x, kernel, **kw)
    return _CONV_ACTS_TORCH[activation](t, z if bias is None else z + bias)


def _conv_act_samples(*cases):
    """(x, kernel[, bias]) whose pre-activations stay 0.1 away from 0 (relu's kink): redrawn
    until they do. cases: (name, x shape, kernel shape, with bias, kwargs)."""
    def make(rng):
        out = []
        for name, xs, ks, with_bias, kw in cases:
            while True:
                args = (rng.normal(size=xs), rng.normal(size=ks),
                        *((rng.normal(size=ks[-1]),) if with_bias else ()))
                conv_kw = {k: v for k, v in kw.items() if k != "activation"}
                if np.abs(ref_conv2d_bias_activation(*args, **conv_kw)).min() > 0.1:
                    break
            out.append(Sample(args, kw, name))
        return out
    return make


def _conv_act_row(activation, cases, errors=()):
    name = "linear" if activation is None else activation
    with_bias = cases[0][3]
    return OpSpec("conv2d_bias_activation", conv_fused.conv2d_bias_activation,
                  _in_dtype(ref_conv2d_bias_activation),
                  _conv_act_samples(*((n, xs, ks, b, {**kw, "activation": activation})
                                      for n, xs, ks, b, kw in cases)),
                  variant=f"{name}-{'bias' if with_bias else 'no-bias'}",
                  grad_args=(0, 1, 2) if with_bias else (0, 1), errors=errors,
                  torch=torch_conv2d_bias_activation)


_CONV_ACT_CASES = [
    ("valid", (2, 5, 5, 2), (3, 3, 2, 3), True, {}),
    ("one-channel", (2, 6, 5, 1), (3, 3, 1, 4), True, {}),     # an image's first layer
    ("same-stride2", (2, 5, 5, 2), (3, 3, 2, 3), True, {"strides": 2, "padding": "same"}),
    ("same-groups2", (2, 5, 5, 2), (3, 3, 1, 4), True, {"groups": 2, "padding": "same"}),
    ("valid-dilation2", (2, 6, 6, 2), (2, 2, 2, 3), True, {"dilation_rate": 2}),
]

CONV_FUSED_ROWS = [
    _conv_act_row("relu", _CONV_ACT_CASES, errors=(
        ErrorCase((np.ones((2, 5, 5, 2)), np.ones((3, 3, 2, 3)), np.ones(4)), ValueError,
                  r"conv2d_bias_activation: bias must have one entry per filter; expected "
                  r"shape \(3,\), got \(4,\)"),
        ErrorCase((np.ones((2, 5, 5, 2)), np.ones((3, 3, 2, 3))), ValueError,
                  r"conv2d_bias_activation: unsupported activation 'gelu'; expected one of "
                  r"None, 'linear', 'relu', 'sigmoid', 'tanh'", {"activation": "gelu"}),
        ErrorCase((np.ones((2, 5, 5, 3)), np.ones((3, 3, 2, 3))), ValueError,
                  r"conv2d_bias_activation: the input's channels do not match the kernel"),
    )),
    _conv_act_row(None, [(n, xs, ks, False, kw) for n, xs, ks, _, kw in _CONV_ACT_CASES[:3]]),
    _conv_act_row("relu", [(n, xs, ks, False, kw) for n, xs, ks, _, kw in _CONV_ACT_CASES[:2]]),
    _conv_act_row("sigmoid", _CONV_ACT_CASES[:3]),
    _conv_act_row("tanh", _CONV_ACT_CASES[:3]),
]

# ---------------------------------------------------------------- rows: pooling

_POOL2 = [
    ("pool2-valid", {"pool_size": 2}),                        # windows don't overlap (+ remainder)
    ("pool2-same", {"pool_size": 2, "padding": "same"}),      # padded, still no overlap
    ("pool3-stride1-same", {"pool_size": 3, "strides": 1, "padding": "same"}),   # overlapping
    ("pool23-stride12-valid", {"pool_size": (2, 3), "strides": (1, 2)}),
    ("pool2-stride3-valid", {"pool_size": 2, "strides": 3}),  # gaps between windows
]
_POOL1 = [
    ("pool2-valid", {"pool_size": 2}),
    ("pool3-stride2-same", {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("pool2-stride1-same", {"pool_size": 2, "strides": 1, "padding": "same"}),
]


def _pool_errors(name, nd):
    return (
        ErrorCase((np.ones((5,) * (nd + 1)),), ValueError,
                  rf"{name}: expected an input of rank {nd + 2} .*got input shape"),
        ErrorCase((np.ones((2,) + (2,) * nd + (2,)),), ValueError,
                  rf"{name}: the pool window is larger than the input with padding='valid'",
                  {"pool_size": 3}),
        ErrorCase((np.ones((2,) + (4,) * nd + (2,)),), ValueError,
                  rf"{name}: pool_size must be a positive int", {"pool_size": -1}),
    )


POOL_ROWS = [
    OpSpec("max_pool2d", pooling.max_pool2d, _in_dtype(ref_max_pool),
           _samples(*((n, _arrays(_distinct(2, 5, 5, 2)), kw) for n, kw in _POOL2)),
           errors=_pool_errors("max_pool2d", 2), torch=torch_max_pool),
    OpSpec("max_pool1d", pooling.max_pool1d, _in_dtype(ref_max_pool),
           _samples(*((n, _arrays(_distinct(2, 7, 2)), kw) for n, kw in _POOL1)),
           errors=_pool_errors("max_pool1d", 1), torch=torch_max_pool),
    OpSpec("avg_pool2d", pooling.avg_pool2d, _in_dtype(ref_avg_pool),
           _samples(*((n, _arrays(_X2), kw) for n, kw in _POOL2)),
           errors=_pool_errors("avg_pool2d", 2), torch=torch_avg_pool),
    OpSpec("avg_pool1d", pooling.avg_pool1d, _in_dtype(ref_avg_pool),
           _samples(*((n, _arrays(_normal(2, 7, 2)), kw) for n, kw in _POOL1)),
           errors=_pool_errors("avg_pool1d", 1), torch=torch_avg_pool),
    OpSpec("global_average_pool2d", pooling.global_average_pool2d,
           _in_dtype(lambda x, keepdims=False: x.mean(axis=(1, 2), keepdims=keepdims)), _samples(
               ("", _arrays(_normal(2, 3, 4, 2)), {}),
               ("keepdims", _arrays(_normal(2, 3, 4, 2)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3, 2)),), ValueError,
                             r"global_average_pool2d: expected an input of rank 4"),),
           torch=lambda t, x, keepdims=False: x.mean(dim=(1, 2), keepdim=keepdims)),
    OpSpec("global_average_pool1d", pooling.global_average_pool1d,
           _in_dtype(lambda x, keepdims=False: x.mean(axis=1, keepdims=keepdims)), _samples(
               ("", _arrays(_normal(2, 5, 3)), {}),
               ("keepdims", _arrays(_normal(2, 5, 3)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3, 2, 2)),), ValueError,
                             r"global_average_pool1d: expected an input of rank 3"),)),
    OpSpec("global_max_pool2d", pooling.global_max_pool2d,
           _in_dtype(lambda x, keepdims=False: x.max(axis=(1, 2), keepdims=keepdims)), _samples(
               ("", _arrays(_distinct(2, 3, 4, 2)), {}),
               ("keepdims", _arrays(_distinct(2, 3, 4, 2)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                             r"global_max_pool2d: expected an input of rank 4"),),
           torch=lambda t, x, keepdims=False: x.amax(dim=(1, 2), keepdim=keepdims)),
    OpSpec("global_max_pool1d", pooling.global_max_pool1d,
           _in_dtype(lambda x, keepdims=False: x.max(axis=1, keepdims=keepdims)), _samples(
               ("", _arrays(_distinct(2, 5, 3)), {}),
               ("keepdims", _arrays(_distinct(2, 5, 3)), {"keepdims": True})),
           errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                             r"global_max_pool1d: expected an input of rank 3"),)),
    OpSpec("upsampling2d", pooling.upsampling2d, _in_dtype(ref_upsampling2d), _samples(
        ("nearest-2x2", _arrays(_normal(2, 3, 3, 2)), {}),
        ("nearest-1x3", _arrays(_normal(2, 3, 2, 2)), {"size": (1, 3)}),
        ("bilinear-2x2", _arrays(_normal(2, 3, 3, 2)), {"interpolation": "bilinear"}),
        ("bilinear-3x2", _arrays(_normal(2, 3, 2, 2)),
         {"size": (3, 2), "interpolation": "bilinear"}),
    ), torch=torch_upsampling2d, errors=(
        ErrorCase((np.ones((2, 3, 3, 2)),), ValueError,
                  r"upsampling2d: interpolation must be 'nearest' or 'bilinear'; got "
                  r"interpolation='bicubic'", {"interpolation": "bicubic"}),
        ErrorCase((np.ones((3, 3, 2)),), ValueError,
                  r"upsampling2d: expected an input of rank 4"),
    )),
]

# ---------------------------------------------------------------- rows: normalization


def _bn_args(shape, c):
    return _arrays(_normal(*shape), _normal(c), _positive(c), _normal(c), _normal(c))


def torch_batch_norm(t, x, mean, var, beta=None, gamma=None, epsilon=1e-3, axis=-1):
    # written out: F.batch_norm gives no gradient for its running statistics
    shape = [1] * x.ndim
    shape[axis] = -1
    mean, var, beta, gamma = (p.reshape(shape) for p in (mean, var, beta, gamma))
    return (x - mean) * t.rsqrt(var + epsilon) * gamma + beta


def torch_batch_norm_train(t, x, gamma, beta, axis=-1, epsilon=1e-3):
    xc = x.movedim(axis, 1)
    y = t.nn.functional.batch_norm(xc, None, None, gamma, beta, training=True, eps=epsilon)
    return y.movedim(1, axis)


def torch_layer_norm(t, x, gamma, beta, axis=-1, epsilon=1e-3):
    axes = (axis,) if isinstance(axis, int) else axis
    shape = tuple(x.shape[a] for a in axes)                 # trailing axes only
    return t.nn.functional.layer_norm(x, shape, gamma.reshape(shape), beta.reshape(shape),
                                      eps=epsilon)


def torch_group_norm(t, x, gamma, beta, groups=32, epsilon=1e-3, axis=-1):
    y = t.nn.functional.group_norm(x.movedim(axis, 1), groups, gamma, beta, eps=epsilon)
    return y.movedim(1, axis)


def _group_norm(x, gamma, beta, **kwargs):
    return normalization.group_norm(x, gamma=gamma, beta=beta, **kwargs)


def _ref_group_norm(x, gamma, beta, **kwargs):
    return ref_group_norm(x, gamma=gamma, beta=beta, **kwargs)


NORM_ROWS = [
    OpSpec("batch_norm", normalization.batch_norm, _in_dtype(ref_batch_norm), _samples(
        ("channels-last", _bn_args((2, 3, 2, 3), 3), {}),
        ("axis1-eps0.1", _bn_args((2, 3, 2, 2), 3), {"axis": 1, "epsilon": 0.1}),
    ), grad_args=(0, 1, 2, 3, 4), torch=torch_batch_norm, errors=(
        ErrorCase((np.ones((2, 3)), np.ones(4), np.ones(3)), ValueError,
                  r"batch_norm: mean does not match the input's feature axes; expected shape "
                  r"\(3,\), got mean shape \(4,\) for input shape \(2, 3\)"),
    )),
    OpSpec("batch_norm", lambda x, m, v: normalization.batch_norm(x, m, v),
           _in_dtype(lambda x, m, v: ref_batch_norm(x, m, v)), _samples(
               ("no-affine", _arrays(_normal(4, 3), _normal(3), _positive(3)), {})),
           variant="center-scale-false", grad_args=(0, 1, 2)),
    OpSpec("batch_norm_train", normalization.batch_norm_train, _in_dtype(ref_batch_norm_train),
           _samples(
               ("2d", _arrays(_normal(5, 3), _normal(3), _normal(3)), {}),
               ("4d", _arrays(_normal(2, 3, 2, 2), _normal(2), _normal(2)), {}),
               ("axis1", _arrays(_normal(2, 3, 4), _normal(3), _normal(3)), {"axis": 1}),
           ), grad_args=(0, 1, 2), torch=torch_batch_norm_train, errors=(
               ErrorCase((np.ones((2, 3)), np.ones(2)), ValueError,
                         r"batch_norm_train: gamma does not match the input's feature axes"),
               ErrorCase((np.ones((2, 3)),), dw.AxisError, r"batch_norm_train: axis 2",
                         {"axis": 2}),
           )),
    OpSpec("batch_norm_train_with_stats", _pick(normalization.batch_norm_train_with_stats, 0),
           _in_dtype(ref_batch_norm_train),
           _samples(("2d", _arrays(_normal(5, 3), _normal(3), _normal(3)), {})),
           grad_args=(0, 1, 2)),
    # the moving statistics live in the closure: updated in place at every call, they do not
    # enter the output, which is batch_norm_train's
    OpSpec("batch_norm_train_update",
           lambda x, g, b, **kw: normalization.batch_norm_train_update(
               x, g, b, np.zeros(x.shape[-1]), np.ones(x.shape[-1]), **kw),
           _in_dtype(lambda *a, momentum=None, **kw: ref_batch_norm_train(*a, **kw)), _samples(
               ("2d", _arrays(_normal(5, 3), _normal(3), _normal(3)), {"momentum": 0.9}),
               ("4d", _arrays(_normal(2, 3, 2, 2), _normal(2), _normal(2)), {}),
           ), grad_args=(0, 1, 2)),
    # one process: the global batch is the local one (tests/distributed checks several ranks)
    OpSpec("sync_batch_norm_train_update",
           lambda x, g, b, **kw: sync_batch_norm.sync_batch_norm_train_update(
               x, g, b, np.zeros(x.shape[-1]), np.ones(x.shape[-1]), **kw),
           _in_dtype(lambda *a, momentum=None, **kw: ref_batch_norm_train(*a, **kw)), _samples(
               ("2d", _arrays(_normal(5, 3), _normal(3), _normal(3)), {"momentum": 0.9}),
               ("4d", _arrays(_normal(2, 3, 2, 2), _normal(2), _normal(2)), {}),
           ), grad_args=(0, 1, 2)),
    OpSpec("layer_norm", normalization.layer_norm, _in_dtype(ref_layer_norm), _samples(
        ("last-axis", _arrays(_normal(2, 3, 4), _normal(4), _normal(4)), {}),
        ("axes12", _arrays(_normal(2, 3, 4), _normal(3, 4), _normal(3, 4)), {"axis": (1, 2)}),
    ), grad_args=(0, 1, 2), torch=torch_layer_norm, errors=(
        ErrorCase((np.ones((2, 3)), np.ones(2), np.ones(3)), ValueError,
                  r"layer_norm: gamma does not match the input's feature axes; expected shape "
                  r"\(3,\), got gamma shape \(2,\)"),
    )),
    OpSpec("layer_norm", normalization.layer_norm, _in_dtype(ref_layer_norm), _samples(
        ("axis0", _arrays(_normal(3, 4), _normal(3), _normal(3)), {"axis": 0})),
        variant="leading-axis", grad_args=(0, 1, 2)),
    OpSpec("group_norm", _group_norm, _in_dtype(_ref_group_norm), _samples(
        ("groups2", _arrays(_normal(2, 3, 2, 4), _normal(4), _normal(4)), {"groups": 2}),
        ("groups4-instance", _arrays(_normal(2, 3, 2, 4), _normal(4), _normal(4)),
         {"groups": 4}),
        ("groups1", _arrays(_normal(2, 3, 4), _normal(4), _normal(4)), {"groups": 1}),
        ("axis1", _arrays(_normal(2, 4, 3), _normal(4), _normal(4)), {"groups": 2, "axis": 1}),
    ), grad_args=(0, 1, 2), torch=torch_group_norm, errors=(
        ErrorCase((np.ones((2, 3, 6)), np.ones(6), np.ones(6)), ValueError,
                  r"group_norm: the channels must split into equal groups; expected groups to "
                  r"be a positive divisor of 6, got groups=4", {"groups": 4}),
    )),
]

# ---------------------------------------------------------------- rows: attention, embedding

_MASK = np.array([[True, False, True, True], [True, True, False, False],
                  [False, True, True, True]])
_MASK_EMPTY_ROW = np.array([[True, False, True, True], [False, False, False, False],
                            [False, True, True, True]])


def _qkv(batch=(2,), lq=3, lk=4, d=2, dv=3):
    return _arrays(_normal(*batch, lq, d), _normal(*batch, lk, d), _normal(*batch, lk, dv))


ATTENTION_ROWS = [
    OpSpec("scaled_dot_product_attention", attention.scaled_dot_product_attention,
           _in_dtype(ref_attention), _samples(
               ("plain", _qkv(), {}),
               ("causal", _qkv(), {"is_causal": True}),
               ("mask", _qkv(), {"mask": _MASK}),
               ("mask-and-causal-scale0.5", _qkv(lk=3), {"mask": _MASK[:, :3],
                                                         "is_causal": True, "scale": 0.5}),
               ("heads-broadcast", lambda rng: (rng.normal(size=(2, 1, 3, 2)),
                                                rng.normal(size=(1, 2, 4, 2)),
                                                rng.normal(size=(1, 2, 4, 3))), {}),
           ), grad_args=(0, 1, 2), torch=torch_attention, errors=(
               ErrorCase((np.ones((2, 3, 2)), np.ones((2, 4, 3)), np.ones((2, 4, 3))),
                         ValueError, r"scaled_dot_product_attention: query and key depths "
                         r"differ; expected key shape \(\.\.\., Lk, 2\), got query shape "
                         r"\(2, 3, 2\) and key shape \(2, 4, 3\)"),
               ErrorCase((np.ones((2, 3, 2)), np.ones((2, 4, 2)), np.ones((2, 5, 3))),
                         ValueError, r"scaled_dot_product_attention: key and value lengths "
                         r"differ"),
               ErrorCase((np.ones((2, 3, 2)), np.ones((2, 4, 2)), np.ones((2, 4, 3))),
                         ValueError, r"scaled_dot_product_attention: mask does not broadcast",
                         {"mask": np.ones((3, 3), bool)}),
               ErrorCase((np.ones((2, 3, 2)), np.ones((2, 4, 2)), np.ones((2, 4, 3))),
                         TypeError, r"scaled_dot_product_attention: mask must be boolean",
                         {"mask": np.ones((3, 4))}),
           )),
    OpSpec("packed_self_attention", packed_self_attention, _in_dtype(ref_packed_attention),
           _samples(
               ("heads2", _arrays(_normal(2, 3, 14)),
                {"num_heads": 2, "key_dim": 2, "value_dim": 3}),
               ("causal-scale", _arrays(_normal(1, 4, 12)),
                {"num_heads": 2, "key_dim": 2, "value_dim": 2, "is_causal": True,
                 "scale": 0.7}),
               ("mask", _arrays(_normal(2, 3, 7)),
                {"num_heads": 1, "key_dim": 2, "value_dim": 3, "mask": _MASK[None, None, :, :3]}),
           ), grad_args=(0,), torch=torch_packed_attention, errors=(
               ErrorCase((np.ones((2, 3, 13)),), ValueError,
                         r"packed_self_attention: expected a packed projection of shape "
                         r"\(batch, length, 14\)", {"num_heads": 2, "key_dim": 2,
                                                      "value_dim": 3}),
           )),
    # torch gives NaN for a query with no allowed key; deltaw defines that row as zeros
    OpSpec("scaled_dot_product_attention", attention.scaled_dot_product_attention,
           _in_dtype(ref_attention),
           _samples(("fully-masked-row", _qkv(), {"mask": _MASK_EMPTY_ROW})),
           variant="fully-masked-row", grad_args=(0, 1, 2)),
]

_IDS = np.array([[0, 3, 0], [2, 3, 3]])          # repeated ids: their gradients must add up

EMBEDDING_ROWS = [
    OpSpec("embedding", _embedding, _in_dtype(ref_embedding), _samples(
        ("repeated-ids", lambda rng: (_IDS, rng.normal(size=(4, 3))), {}),
        ("scalar-id", lambda rng: (np.array(2), rng.normal(size=(4, 3))), {}),
    ), grad_args=(1,), torch=lambda t, ids, table: t.nn.functional.embedding(ids, table),
        errors=(
            ErrorCase((np.array([[0, 5]]), np.ones((4, 3))), ValueError,
                      r"embedding: id 5 is out of range; expected 0 <= id < input_dim = 4, "
                      r"got id 5"),
            ErrorCase((np.array([1, -1]), np.ones((4, 3))), ValueError,
                      r"embedding: id -1 is out of range; expected 0 <= id < input_dim = 4"),
            ErrorCase((np.array([0.5]), np.ones((4, 3))), TypeError,
                      r"embedding: ids must be integers"),
        )),
]

# ---------------------------------------------------------------- rows: recurrent

_RNN_MASK = np.array([[True, False, True], [False, True, True]])
_RNN_KWARGS = [("", {}), ("go_backwards", {"go_backwards": True}), ("mask", {"mask": _RNN_MASK}),
               ("mask-go_backwards", {"mask": _RNN_MASK, "go_backwards": True})]


def _rnn_samples(gates, bias_shape, states, kwarg_sets):
    def build(rng):
        return (rng.normal(size=(2, 3, 2)), rng.normal(size=(2, gates * 2)),
                rng.normal(size=(2, gates * 2)), rng.normal(size=bias_shape),
                *(rng.normal(size=(2, 2)) for _ in range(states)))
    return _samples(*((name, build, kw) for name, kw in kwarg_sets))


def _rnn_errors(name, gates, states):
    good = (np.ones((2, 3, 2)), np.ones((2, gates * 2)), np.ones((2, gates * 2)))
    return (
        ErrorCase((np.ones((2, 0, 2)), *good[1:]), ValueError,
                  rf"{name}: the sequence is empty; expected at least 1 timestep, got input "
                  rf"shape \(2, 0, 2\)"),
        ErrorCase((np.ones((2, 3, 5)), *good[1:]), ValueError,
                  rf"{name}: kernel does not match the input; expected shape \(5, {gates * 2}\) "
                  rf".*got input shape \(2, 3, 5\) and kernel shape \(2, {gates * 2}\)"),
        ErrorCase((np.ones((2, 3)), *good[1:]), ValueError,
                  rf"{name}: expected an input of rank 3 \(batch, timesteps, features\)"),
        ErrorCase(good, ValueError, rf"{name}: mask must be \(batch, timesteps\) = \(2, 3\)",
                  {"mask": np.ones((2, 4), bool)}),
    )


def _torch_rnn(fn, index):
    return lambda t, *args, **kwargs: fn(t, *args, **kwargs)[index]


RECURRENT_ROWS = []
for _index, _part in enumerate(("outputs", "h", "c")):
    RECURRENT_ROWS.append(OpSpec(
        "lstm", _pick(recurrent.lstm, _index), _in_dtype(_pick(ref_lstm, _index)),
        _rnn_samples(4, (8,), 2, _RNN_KWARGS), variant=_part, grad_args=(0, 1, 2, 3, 4, 5),
        errors=_rnn_errors("lstm", 4, 2) if _part == "outputs" else ()))
# return_sequences=False: only the last output is packed and backpropagated
for _name, _fn, _ref, _gates, _bias, _states in (
        ("lstm", recurrent.lstm, ref_lstm, 4, (8,), 2),
        ("gru", recurrent.gru, ref_gru, 3, (2, 6), 1),
        ("simple_rnn", recurrent.simple_rnn, ref_simple_rnn, 1, (2,), 1)):
    RECURRENT_ROWS.append(OpSpec(
        _name, _pick(functools.partial(_fn, return_sequences=False), 0),
        _in_dtype(lambda *a, _ref=_ref, **k: _ref(*a, **k)[0][:, -1]),
        _rnn_samples(_gates, _bias, _states, _RNN_KWARGS), variant="last-output",
        grad_args=tuple(range(4 + _states))))
for _index, _part in enumerate(("outputs", "h")):
    RECURRENT_ROWS += [
        OpSpec("gru", _pick(recurrent.gru, _index), _in_dtype(_pick(ref_gru, _index)),
               _rnn_samples(3, (2, 6), 1, _RNN_KWARGS), variant=_part,
               grad_args=(0, 1, 2, 3, 4),
               errors=_rnn_errors("gru", 3, 1) if _part == "outputs" else ()),
        OpSpec("gru", _pick(functools.partial(recurrent.gru, reset_after=False), _index),
               _in_dtype(_pick(functools.partial(ref_gru, reset_after=False), _index)),
               _rnn_samples(3, (6,), 1, _RNN_KWARGS[:3]), variant=f"reset_before-{_part}",
               grad_args=(0, 1, 2, 3, 4)),
        OpSpec("simple_rnn", _pick(recurrent.simple_rnn, _index),
               _in_dtype(_pick(ref_simple_rnn, _index)),
               _rnn_samples(1, (2,), 1, _RNN_KWARGS), variant=_part, grad_args=(0, 1, 2, 3, 4),
               errors=_rnn_errors("simple_rnn", 1, 1) if _part == "outputs" else ()),
    ]
# torch's LSTM/GRU/RNN (no masking, no go_backwards in torch): outputs and final states
for _index, _part in enumerate(("outputs", "h", "c")):
    RECURRENT_ROWS.append(OpSpec(
        "lstm", _pick(recurrent.lstm, _index), None, _rnn_samples(4, (8,), 2, _RNN_KWARGS[:1]),
        variant=f"torch-{_part}", grad_args=(0, 1, 2, 3, 4, 5),
        torch=_torch_rnn(torch_lstm, _index)))
for _index, _part in enumerate(("outputs", "h")):
    RECURRENT_ROWS += [
        OpSpec("gru", _pick(recurrent.gru, _index), None, _rnn_samples(3, (2, 6), 1,
                                                                       _RNN_KWARGS[:1]),
               variant=f"torch-{_part}", grad_args=(0, 1, 2, 3, 4),
               torch=_torch_rnn(torch_gru, _index)),
        OpSpec("simple_rnn", _pick(recurrent.simple_rnn, _index), None,
               _rnn_samples(1, (2,), 1, _RNN_KWARGS[:1]), variant=f"torch-{_part}",
               grad_args=(0, 1, 2, 3, 4), torch=_torch_rnn(torch_simple_rnn, _index)),
    ]

ROWS = [*CONV_ROWS, *CONV_FUSED_ROWS, *POOL_ROWS, *NORM_ROWS, *ATTENTION_ROWS, *EMBEDDING_ROWS,
        *RECURRENT_ROWS]
