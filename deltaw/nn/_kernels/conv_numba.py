"""Convolution kernels for numba: the bias and activation passes around the GEMM, and col2im.

Plain Python on purpose: this module imports without numba (NumPy stays the only dependency),
and `deltaw.nn._kernels.load` compiles the functions listed in KERNELS with `numba.njit`. Each
kernel writes into arrays its caller allocated with NumPy, so memory accounting (tracemalloc,
the im2col budget) sees every buffer. Loops over the batch use `prange`, which `load` rebinds to
`numba.prange`; here it is `range`, so the functions also run (slowly) as plain Python, which is
how a reader can step through them.

The kernels keep the NumPy path's conventions: relu's derivative is [y > 0], read from the
output (0 at 0). A direct convolution for few-channel inputs was tried and dropped: its inner
loops (one per tap over 32 filters) cost more in loop overhead than the tap-major im2col and
GEMM of the NumPy path (2.8 ms against 0.8 ms for W3's first layer). So was an im2col kernel:
NumPy's strided copy is already four times faster than numba's per-tap slice copies.
"""

from __future__ import annotations

import numpy as np

prange = range  # numba.prange once compiled (see deltaw.nn._kernels.load)

KERNELS = ("bias_act_forward", "act_bias_backward", "col2im_add")

# Written for LLVM's loop vectoriser: each innermost loop runs over the contiguous channel axis
# with one store stream (several stores to different arrays per iteration defeat it; float64
# accumulators beside float32 data halve its speed).


def bias_act_forward(out, b, relu):
    """out = act(out + b) in place, out: (M, F) (one pass instead of NumPy's two)."""
    m, f_ = out.shape
    zero = out.dtype.type(0)
    for r in prange(m):
        row = out[r]
        if relu:
            for f in range(f_):
                row[f] = max(row[f] + b[f], zero)
        else:
            for f in range(f_):
                row[f] += b[f]


def act_bias_backward(g, y, relu, gz, db_part):
    """gz = g * [y > 0] (or g), and the bias gradient's partial sums.

    g, y, gz: flat views of (M, F) arrays; db_part: (P, F) float64, zeroed, one row per worker
    (the caller sums them). Each worker adds its rows in blocks of 64 in the data's dtype, then
    adds the block's sum to its float64 row: vectorised and about as accurate as NumPy's
    pairwise sum.
    """
    parts, f_ = db_part.shape
    m = g.size // f_
    zero = g.dtype.type(0)
    for p in prange(parts):
        lo, hi = p * m // parts * f_, (p + 1) * m // parts * f_
        # slices, so that every loop counts up from 0: numba then knows no index is negative
        # and drops its wraparound check, which otherwise keeps the loop from vectorising
        gs, ys, zs = g[lo:hi], y[lo:hi], gz[lo:hi]
        if relu:
            for k in range(zs.size):
                zs[k] = gs[k] if ys[k] > zero else zero
        else:
            for k in range(zs.size):
                zs[k] = gs[k]
        rows = zs.reshape(zs.size // f_, f_)
        tmp = np.empty(f_, g.dtype)
        acc = db_part[p]
        for r0 in range(0, rows.shape[0], 64):
            tmp[:] = zero
            for r in range(r0, min(r0 + 64, rows.shape[0])):
                row = rows[r]
                for f in range(f_):
                    tmp[f] += row[f]
            for f in range(f_):
                acc[f] += tmp[f]


def col2im_add(cols, dx, sh, sw, dh, dw):
    """dx[n, i*sh + a*dh, j*sw + c2*dw, :] += cols[n, i, j, a, c2, :] for every window tap.

    cols: (N, OH, OW, KH, KW, C), the gradient of the im2col matrix; dx: (N, HP, WP, C), the
    padded input's gradient (zeroed by the caller). One pass over cols; each batch item is
    independent, so items run in parallel without races.
    """
    n_, oh, ow, kh, kw, c_ = cols.shape
    for n in prange(n_):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    r = i * sh + a * dh
                    for c2 in range(kw):
                        src = cols[n, i, j, a, c2]
                        dst = dx[n, r, j * sw + c2 * dw]
                        for c in range(c_):
                            dst[c] += src[c]
