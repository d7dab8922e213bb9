"""Recurrence kernels for numba: the gate arithmetic of one LSTM step, forward and backward.

`deltaw.nn.recurrent` runs the time loop in Python and every GEMM with NumPy's BLAS: the input
projection of all steps, each step's recurrent product (h_{t-1} @ U forward, dz_t @ U^T
backward) and [dkernel; drecurrent_kernel]. What NumPy does badly is the rest of a step, a dozen
element-wise calls on (N, U) arrays with their temporaries; each kernel here does it in one
call, written in place. A compiled recurrent GEMM was tried and dropped: at W4's size,
(64 x 128) @ (128 x 512), OpenBLAS's single-thread kernel is 2-3x faster than what LLVM makes
of a blocked dot-product loop, and its second thread helps further on a quiet machine.

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
the functions in KERNELS (and first the HELPERS they call) on first use. Only float32 with
Keras' default activations (tanh, and a sigmoid recurrent activation) comes here; every other
case runs the NumPy path, which is also the reference the tests compare against.

NumPy's tanh does not vectorise inside numba, so tanh is a rational approximation (Eigen's and
XLA's float32 tanh: odd degree-13 over even degree-6 polynomials on [-7.9, 7.9], within a few
float32 ulp of tanh; clamping there costs < 3e-7). sigmoid(z) = (1 + tanh(z / 2)) / 2, which
cannot overflow. `error_model='numpy'` drops the division checks that would block vectorising.
"""

from __future__ import annotations

import sys

import numpy as np

from deltaw.nn._kernels._numba import compile_module

KERNELS = ("lstm_step_forward", "lstm_step_backward")
HELPERS = ("tanh32",)

_F = np.float32
_ZERO, _HALF, _ONE = _F(0.0), _F(0.5), _F(1.0)
_CLAMP = _F(7.90531110763549805)
_A1, _A3, _A5, _A7 = _F(4.89352455891786e-03), _F(6.37261928875436e-04), \
    _F(1.48572235717979e-05), _F(5.12229709037114e-08)
_A9, _A11, _A13 = _F(-8.60467152213735e-11), _F(2.00018790482477e-13), \
    _F(-2.76076847742355e-16)
_B0, _B2, _B4, _B6 = _F(4.89352518554385e-03), _F(2.26843463243900e-03), \
    _F(1.18534705686654e-04), _F(1.19825839466702e-06)


def tanh32(x):
    """tanh of a float32 scalar by a rational approximation (vectorisable; NaN stays NaN)."""
    x = -_CLAMP if x < -_CLAMP else x      # comparisons, not min/max: a NaN must pass through
    x = _CLAMP if x > _CLAMP else x
    x2 = x * x
    p = x2 * _A13 + _A11
    p = p * x2 + _A9
    p = p * x2 + _A7
    p = p * x2 + _A5
    p = p * x2 + _A3
    p = p * x2 + _A1
    q = x2 * _B6 + _B4
    q = q * x2 + _B2
    q = q * x2 + _B0
    return x * p / q


def lstm_step_forward(t, gates, rec, bias, hs, cs, tcs, mask, scale, shift):
    """Step t of the LSTM forward pass, given rec = h_{t-1} @ U (N, 4U) from BLAS.

    gates[t] (the input projection x_t @ W, without the bias) becomes the activated gates:
    gate j is shift[j] + scale[j] * tanh(z_j + bias_j + rec_j), all three already scaled (the
    caller halved the weights of the sigmoid gates: sigmoid(z) = 1/2 + tanh(z / 2) / 2). Then
    c_t, tanh(c_t) and h_t; a masked sample (mask[t, n] False) carries both states. Each inner
    loop writes one array: LLVM vectorises those and gave up on one fused loop (too many
    pointers that might alias), 3x slower.
    """
    u4 = gates.shape[2]
    u = u4 // 4
    masked = mask.shape[0] > 0
    for n in range(gates.shape[1]):
        z = gates[t, n]
        r = rec[n]
        for j in range(u4):
            z[j] = shift[j] + scale[j] * tanh32(z[j] + bias[j] + r[j])
        c_prev = cs[t, n]
        c_new = cs[t + 1, n]
        tc = tcs[t, n]
        h_new = hs[t + 1, n]
        for j in range(u):
            c_new[j] = z[u + j] * c_prev[j] + z[j] * z[2 * u + j]   # c_t = f c_{t-1} + i c~
        for j in range(u):
            tc[j] = tanh32(c_new[j])
        for j in range(u):
            h_new[j] = z[3 * u + j] * tc[j]                        # h_t = o tanh(c_t)
        if masked and not mask[t, n]:          # a masked step carries the states
            h_prev = hs[t, n]
            for j in range(u):
                c_new[j] = c_prev[j]
            for j in range(u):
                h_new[j] = h_prev[j]


def lstm_step_backward(t, gates, cs, tcs, g_t, seen, mask, dh, dskip, dc, dgates):
    """Step t of the LSTM backward pass: dgates[t], and dc carried back to c_{t-1}.

    dh (N, U): on entry the gradient reaching h_t through step t + 1 (the caller's BLAS product
    dz_{t+1} @ U^T); this adds the output's gradient g_t (N, U) (times seen[t]: zero before a
    sample's first unmasked step) and what skipped masked steps (dskip). dc: the gradient of
    c_t, updated in place to that of c_{t-1}. A masked sample's gradients skip the step (its
    dgates row is zero).
    """
    u = dh.shape[1]
    masked = mask.shape[0] > 0
    for n in range(dh.shape[0]):
        z = gates[t, n]
        dz = dgates[t, n]
        gn = g_t[n]
        dhn = dh[n]
        dcn = dc[n]
        if masked:
            dsn = dskip[n]
            w = _ONE if seen[t, n] else _ZERO
            for j in range(u):
                dhn[j] += dsn[j] + w * gn[j]
            if not mask[t, n]:                 # the states skipped this step: so does dh
                for j in range(u):
                    dsn[j] = dhn[j]
                for j in range(4 * u):
                    dz[j] = _ZERO
                continue
            for j in range(u):
                dsn[j] = _ZERO
        else:
            for j in range(u):
                dhn[j] += gn[j]
        c_prev = cs[t, n]
        tc = tcs[t, n]
        for j in range(u):                                      # h = o tanh(c)
            dcn[j] += dhn[j] * z[3 * u + j] * (_ONE - tc[j] * tc[j])
        for j in range(u):                                      # c = f c_prev + i c~
            dz[j] = dcn[j] * z[2 * u + j] * z[j] * (_ONE - z[j])
        for j in range(u):
            dz[u + j] = dcn[j] * c_prev[j] * z[u + j] * (_ONE - z[u + j])
        for j in range(u):
            dz[2 * u + j] = dcn[j] * z[j] * (_ONE - z[2 * u + j] * z[2 * u + j])
        for j in range(u):
            dz[3 * u + j] = dhn[j] * tc[j] * z[3 * u + j] * (_ONE - z[3 * u + j])
        for j in range(u):
            dcn[j] *= z[u + j]


def load():
    """The compiled kernels (a namespace), or None for the NumPy path (see `_numba`)."""
    return compile_module(sys.modules[__name__], KERNELS, HELPERS, nogil=True,
                          error_model="numpy", fastmath={"contract"})
