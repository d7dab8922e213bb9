"""Dense kernel for numba: the backward pass's activation derivative and bias sum in one pass.

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
it on first use. NumPy's form (`deltaw.nn.dense`) is three to four calls on the (batch, units)
gradient: the derivative from the saved output, the product, and the bias sum as a BLAS dot.
On small layers (W1: batch 32, 64 units) each call costs more in overhead (2-4 us) than in
arithmetic; on large ones (W2: 128 x 512) each is a pass over memory. The forward pass's bias
and relu use `conv_numba.bias_act_forward`; its bias and sigmoid, `bias_sigmoid_forward`.

Same float32 operations in the same order as NumPy's form for the derivative; the bias sum
accumulates in float64 (NumPy's dot accumulates in float32, so the two differ by rounding). One
difference by design, as in `conv_numba.act_bias_backward`: relu's derivative selects instead
of multiplying, so a NaN or infinite gradient at an inactive unit gives 0, not NaN.
"""

from __future__ import annotations

import sys

import numpy as np

from deltaw.nn._kernels._numba import compile_module

KERNELS = ("dense_act_backward", "column_sums", "bias_sigmoid_forward")

ACTIVATION_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3}   # no activation: column_sums


def dense_act_backward(g, y, act, gz, db):
    """gz = g * act'(z), read from the output y; db = gz summed over the rows.

    g, y, gz: (M, F) C-contiguous, one float dtype; act: an ACTIVATION_CODES value; db: (F,),
    written (not accumulated into).
    """
    m, f_ = g.shape
    zero, one = g.dtype.type(0), g.dtype.type(1)
    acc = np.zeros(f_, np.float64)
    for r in range(m):
        gr, yr, zr = g[r], y[r], gz[r]
        if act == 1:
            for f in range(f_):
                zr[f] = gr[f] if yr[f] > zero else zero
        elif act == 2:
            for f in range(f_):
                zr[f] = gr[f] * yr[f] * (one - yr[f])
        else:                                   # 3, tanh
            for f in range(f_):
                zr[f] = gr[f] * (one - yr[f] * yr[f])
        for f in range(f_):
            acc[f] += zr[f]
    for f in range(f_):
        db[f] = acc[f]


def column_sums(g, db):
    """db = g summed over the rows, accumulated in float64 in row order (the bias sum of
    `dense_act_backward`, bit for bit): a layer without activation needs no copy of g."""
    m, f_ = g.shape
    acc = np.zeros(f_, np.float64)
    for r in range(m):
        gr = g[r]
        for f in range(f_):
            acc[f] += gr[f]
    for f in range(f_):
        db[f] = acc[f]


def bias_sigmoid_forward(out, b):
    """out = sigmoid(out + b) in place, out: (M, F), in the stable form of `dw.nn.sigmoid`:
    1 / (1 + e) for z >= 0 and e / (1 + e) below, e = exp(-|z|) (never overflows).

    One pass instead of NumPy's eight calls, which cost more than their arithmetic on a small
    output layer (W1's 32 x 1: 0.5-1 us each). exp is the C library's where NumPy uses its own
    SIMD exp: the two agree to an ulp or two of the result.
    """
    m, f_ = out.shape
    one = out.dtype.type(1)
    for r in range(m):
        row = out[r]
        for f in range(f_):
            z = row[f] + b[f]
            e = np.exp(-abs(z))
            row[f] = (one if z >= 0 else e) / (one + e)


def load():
    """The compiled kernel (a namespace), or None for the NumPy path (see `_numba`)."""
    return compile_module(sys.modules[__name__], KERNELS, nogil=True, error_model="numpy")
