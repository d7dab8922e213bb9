"""Attention kernels for numba: the masked softmax of the scores and its backward, row by row.

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
it on first use. The two matrix products on each side of the softmax stay NumPy's (BLAS) in
`deltaw.nn.attention`; these kernels replace what NumPy does between them in five to seven
passes over the (batch, heads, Lq, Lk) scores (scale, mask, row maximum, subtract, exp, row sum,
divide; NumPy's reductions over rows of 64 are slow) by one visit of each row while it is in
cache. In W6 (32 x 4 heads x 64 x 64 scores) that is 0.5 ms instead of 1.5-3 ms per step.

Exp: numba has no vectorized exp without Intel's SVML, and a scalar expf per score costs more
than NumPy's whole softmax, so `_exp_row` evaluates Cephes' expf (Cody-Waite range reduction,
degree-5 polynomial, 2^n built in the exponent bits) in a loop LLVM vectorizes. Against float64
its softmax is within 4e-7 relative (NumPy's float32 path: 6e-7), and the row sums accumulate in
a different order (fastmath 'reassoc' lets them vectorize): the two paths agree to about 1e-6
relative, not bit for bit. Exponents below -87 (exp < 1.6e-38, the float32 normal range) give 0
where NumPy gives a denormal: no denormal ever reaches the next GEMM. Masked keys give exactly 0
and a row with no allowed key gives zeros, as the NumPy path. A row with a NaN or infinite
score is not computed here: `softmax_forward` reports it and the caller takes the NumPy path.
"""

from __future__ import annotations

import sys

import numpy as np

from deltaw.nn._kernels._numba import compile_module

KERNELS = ("softmax_forward", "softmax_backward")
HELPERS = ("_exp_row",)

_LOG2E = np.float32(1.44269504088896341)
_LN2_HI = np.float32(0.693359375)        # Cody-Waite: ln 2 = HI + LO, HI exact in few bits
_LN2_LO = np.float32(-2.12194440e-4)
# Cephes expf's polynomial: exp(y) ~ 1 + y + y^2 (P5 + y (P4 + ...)) on |y| <= ln(2) / 2
_P0, _P1, _P2 = (np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3))
_P3, _P4, _P5 = (np.float32(c) for c in (4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_LOWEST = np.float32(-87.0)              # exp(-87) = 1.6e-38: below it the result is 0


def _exp_row(x, top, out, bits):
    """out[j] = exp(x[j] - top) for one row (float32; 0 below exp(-87) and for x = -inf).

    bits: an int32 scratch row of the same length (2^n is written into its exponent bits)."""
    half, one, zero = np.float32(0.5), np.float32(1), np.float32(0)
    pow2 = bits.view(np.float32)
    for j in range(x.shape[0]):
        d = x[j] - top
        t = d if d > _LOWEST else _LOWEST
        n = np.floor(t * _LOG2E + half)
        y = t - n * _LN2_HI
        y = y - n * _LN2_LO
        p = ((((_P0 * y + _P1) * y + _P2) * y + _P3) * y + _P4) * y + _P5
        out[j] = (p * (y * y) + y + one) if d > _LOWEST else zero
        bits[j] = (np.int32(n) + np.int32(127)) << np.int32(23)
    for j in range(x.shape[0]):
        out[j] = out[j] * pow2[j]


def softmax_forward(s, scale, allowed, masked, bits, buf):
    """s <- softmax(s * scale) over each row, in place; keys where `allowed` is False get 0.

    s: (R, L) float32, C-contiguous (the scores, R = batch * heads * Lq); scale: float32;
    allowed: (R, L) bool, read only when `masked`; bits: (L,) int32 and buf: (L,) float32
    scratch rows.
    Returns the number of rows left unfinished because a score was NaN or infinite (the caller
    then recomputes with NumPy); 0 otherwise.
    """
    rows, n = s.shape
    zero, one = np.float32(0), np.float32(1)
    inf = np.float32(np.inf)
    ninf = -inf
    bad = 0
    for r in range(rows):
        row = s[r]
        finite = True
        for j in range(n):
            v = row[j] * scale
            finite &= abs(v) < inf          # False for NaN and +-inf (a comparison, not v - v,
            row[j] = v                      # which 'reassoc' may fold to 0)
        if not finite:
            bad += 1
            continue
        if masked:
            ok = allowed[r]
            for j in range(n):
                row[j] = row[j] if ok[j] else ninf
        top = ninf
        for j in range(n):
            top = max(top, row[j])
        if top == ninf:                     # no allowed key: zeros, as the NumPy path
            for j in range(n):
                row[j] = zero
            continue
        _exp_row(row, top, buf, bits)     # into a scratch row: aliasing would stop vectorizing
        total = zero
        for j in range(n):
            total += buf[j]
        inv = one / total
        for j in range(n):
            row[j] = buf[j] * inv
    return bad


def softmax_backward(p, dp, scale):
    """dp <- p * (dp - sum_j dp_j p_j) * scale over each row, in place: the scores' gradient.

    p, dp: (R, L) float32, C-contiguous; scale: float32.
    """
    rows, n = p.shape
    for r in range(rows):
        pr, dr = p[r], dp[r]
        dot = np.float32(0)
        for j in range(n):
            dot += dr[j] * pr[j]
        for j in range(n):
            dr[j] = pr[j] * (dr[j] - dot) * scale


def load():
    """The compiled kernels (a namespace), or None for the NumPy path (see `_numba`).

    fastmath 'reassoc' and 'contract' only (never 'nnan' / 'ninf': the -inf of masked keys and
    the NaN check must keep their IEEE meaning): they let the row loops vectorize."""
    return compile_module(sys.modules[__name__], KERNELS, HELPERS, nogil=True,
                          error_model="numpy", fastmath={"reassoc", "nsz", "contract"})
