"""Recurrence kernels for numba: the LSTM's forward and backward time loops, one call per pass.

`deltaw.nn.recurrent` computes the GEMMs over all steps at once with NumPy's BLAS (the input
projection, dx, and [dkernel; drecurrent_kernel]); the time loops live here. Each step is its
recurrent GEMM (h_{t-1} @ U, (N x U) @ (U x 4U)) and the gate arithmetic, fused, so a pass is
one call instead of 64 steps x (a BLAS call + a dozen NumPy calls). The batch is split into
row ranges, one per thread (`prange`), each running every step on its own: the threads meet
once per pass. That is the point on a shared machine: a 2-thread BLAS call per step waits for
the other thread at each internal barrier, a scheduler slice each when the cores are busy
(measured at load ~4: 20 ms per step GEMM against 0.11 ms single-threaded).

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
the functions in KERNELS (and first the HELPERS they call) on first use. Only float32 with
Keras' default activations (tanh, and a sigmoid recurrent activation) comes here; every other
case runs the NumPy path, which is also the reference the tests compare against.

NumPy's tanh does not vectorise inside numba, so tanh is a rational approximation (Eigen's and
XLA's float32 tanh: odd degree-13 over even degree-6 polynomials on [-7.9, 7.9], within a few
float32 ulp of tanh; clamping there costs < 3e-7). sigmoid(z) = (1 + tanh(z / 2)) / 2, which
cannot overflow. `error_model='numpy'` drops the division checks that would block vectorising;
fastmath 'reassoc' lets LLVM vectorise the GEMM's dot products (partial sums in registers).
"""

from __future__ import annotations

import sys

import numpy as np

KERNELS = ("lstm_forward", "lstm_backward")
HELPERS = ("tanh32", "matmul_rows", "lstm_gates_rows", "lstm_gate_grads_rows")

prange = range  # numba.prange once compiled in parallel (see load)

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


def matmul_rows(a, bt, out, lo, hi):
    """out[n, j] += sum_k a[n, k] * bt[j, k] for the rows n in [lo, hi) and every j.

    The recurrent GEMM of one step, on one worker's share of the batch: (32 x 128) @ (128 x 512)
    for W4, too small for BLAS to thread well, and called 128 times a batch. Blocks of 2 rows x
    4 columns keep 8 dot products in registers (vectorised over k with fastmath 'reassoc'), so
    each load feeds 4/3 multiply-adds; ~BLAS's single-thread speed at this size.
    """
    n_cols, depth = bt.shape
    cols4 = n_cols - n_cols % 4
    n = lo
    while n < hi:
        rows = 2 if n + 1 < hi else 1
        a0 = a[n]
        a1 = a[n + rows - 1]                   # = a0 for a last single row (its sums dropped)
        for j in range(0, cols4, 4):
            b0, b1, b2, b3 = bt[j], bt[j + 1], bt[j + 2], bt[j + 3]
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = _ZERO
            for k in range(depth):
                x0, x1 = a0[k], a1[k]
                s00 += x0 * b0[k]
                s01 += x0 * b1[k]
                s02 += x0 * b2[k]
                s03 += x0 * b3[k]
                s10 += x1 * b0[k]
                s11 += x1 * b1[k]
                s12 += x1 * b2[k]
                s13 += x1 * b3[k]
            o = out[n]
            o[j] += s00
            o[j + 1] += s01
            o[j + 2] += s02
            o[j + 3] += s03
            if rows == 2:
                o = out[n + 1]
                o[j] += s10
                o[j + 1] += s11
                o[j + 2] += s12
                o[j + 3] += s13
        for j in range(cols4, n_cols):        # columns left over when n_cols % 4 != 0
            b0 = bt[j]
            for r in range(rows):
                ar = a[n + r]
                acc = _ZERO
                for k in range(depth):
                    acc += ar[k] * b0[k]
                out[n + r, j] += acc
        n += rows


def lstm_gates_rows(t, gates, hs, cs, tcs, mask, scale, shift, lo, hi):
    """Step t of the LSTM forward pass for the rows [lo, hi), after gates[t] += h_{t-1} @ U.

    Gate j becomes shift[j] + scale[j] * tanh(z_j), z_j already scaled (the caller halved the
    weights of the sigmoid gates: sigmoid(z) = 1/2 + tanh(z / 2) / 2). Then c_t, tanh(c_t) and
    h_t; a masked sample (mask[t, n] False) carries both states. Each inner loop writes one
    array: LLVM vectorises those and gave up on one fused loop (too many pointers that might
    alias), 3x slower.
    """
    u4 = gates.shape[2]
    u = u4 // 4
    masked = mask.shape[0] > 0
    for n in range(lo, hi):
        z = gates[t, n]
        for j in range(u4):
            z[j] = shift[j] + scale[j] * tanh32(z[j])
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


def lstm_gate_grads_rows(t, gates, cs, tcs, g, seen, mask, dh, dskip, dc, dgates, lo, hi):
    """Step t of the LSTM backward pass for the rows [lo, hi): dgates[t], and dc carried back.

    dh (N, U): on entry the gradient reaching h_t through step t + 1; this adds the output's
    gradient g[:, t] (times seen[t]: zero before a sample's first unmasked step) and what
    skipped masked steps (dskip). dc: the gradient of c_t, updated in place to that of
    c_{t-1}. A masked sample's gradients skip the step (its dgates row is zero).
    """
    u = dh.shape[1]
    masked = mask.shape[0] > 0
    for n in range(lo, hi):
        z = gates[t, n]
        dz = dgates[t, n]
        gn = g[n, t]
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


def lstm_forward(gates, ut, hs, cs, tcs, mask, scale, shift, parts):
    """The LSTM forward recurrence over all steps (see `lstm_gates_rows` for the arrays).

    ut (4U, U): the (scaled) recurrent kernel, transposed and contiguous. The batch is split
    into `parts` row ranges, one per thread, each running all T steps on its own: the threads
    meet once per call, not once per step (a step is ~0.1 ms; on a busy machine a thread that
    waits for another one each step loses a scheduler slice each time).
    """
    steps, n_ = gates.shape[0], gates.shape[1]
    for p in prange(parts):
        lo, hi = p * n_ // parts, (p + 1) * n_ // parts
        for t in range(steps):
            matmul_rows(hs[t], ut, gates[t], lo, hi)            # z_t += h_{t-1} U
            lstm_gates_rows(t, gates, hs, cs, tcs, mask, scale, shift, lo, hi)


def lstm_backward(gates, cs, tcs, g, seen, mask, rk, dh, dskip, dc, dgates, parts):
    """The LSTM backward recurrence over all steps (see `lstm_gate_grads_rows`).

    rk (U, 4U): the recurrent kernel (unscaled). On return dgates holds the pre-activation
    gradients of every step, dh the gradient of h0 less dskip, dc that of c0.
    """
    steps, n_ = gates.shape[0], gates.shape[1]
    for p in prange(parts):
        lo, hi = p * n_ // parts, (p + 1) * n_ // parts
        for t in range(steps - 1, -1, -1):
            lstm_gate_grads_rows(t, gates, cs, tcs, g, seen, mask, dh, dskip, dc, dgates, lo, hi)
            for n in range(lo, hi):
                dh[n, :] = _ZERO
            matmul_rows(dgates[t], rk, dh, lo, hi)              # dh_{t-1} = dz_t U^T


def parts_for(rows):
    """How many threads the recurrence kernels split a batch of `rows` samples over."""
    from deltaw.nn import _kernels

    ns = _kernels.get()
    if ns is None or not getattr(ns, "parallel", False):
        return 1
    import numba

    return max(1, min(numba.get_num_threads(), rows // 8))


def load():
    """The compiled kernels (a namespace), or None for the NumPy path (see `_numba`)."""
    from deltaw.nn import _kernels
    from deltaw.nn._kernels._numba import compile_module

    module = sys.modules[__name__]
    ns = _kernels.get()
    if ns is not None and getattr(ns, "parallel", False):
        import numba

        module.prange = numba.prange           # resolved as a global when the kernels compile
    return compile_module(module, KERNELS, HELPERS, nogil=True, error_model="numpy",
                          fastmath={"contract", "reassoc"},
                          parallel=bool(ns is not None and getattr(ns, "parallel", False)))
