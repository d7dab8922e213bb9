"""Max-pooling kernels for numba: the forward pass records which tap won, the backward pass
routes each gradient there.

Plain Python, compiled by `deltaw.nn._kernels.load` (see conv_numba.py for why). Conventions are
the NumPy path's: the first maximum in row-major window order wins ties; padding never wins (it
is skipped, as NumPy's -inf padding never wins); a NaN in a window makes the output NaN.
"""

from __future__ import annotations

prange = range  # numba.prange once compiled

KERNELS = ("max_pool_forward", "max_pool_backward")


def max_pool_forward(x, ph, pw, sh, sw, lo_h, lo_w, out, arg):
    """out[n, i, j, :] = max of the window at (i*sh - lo_h, j*sw - lo_w) of x (N, H, W, C).

    arg receives the winning tap a * pw + b per output (the first one on ties). Windows that
    stick out of the input (padding) skip the missing taps. The common 2x2 / stride 2 window
    without padding takes an unrolled loop: one pass over the channels per output row.
    """
    n_, h, w = x.shape[0], x.shape[1], x.shape[2]
    _, oh, ow, c_ = out.shape
    if (ph == 2 and pw == 2 and sh == 2 and sw == 2 and lo_h == 0 and lo_w == 0
            and 2 * oh <= h and 2 * ow <= w):  # every window inside x
        for n in prange(n_):
            for i in range(oh):
                r0, r1, o, win = x[n, 2 * i], x[n, 2 * i + 1], out[n, i], arg[n, i]
                for j in range(ow):
                    for c in range(c_):
                        best, t = r0[2 * j, c], 0
                        v = r0[2 * j + 1, c]
                        # strictly greater wins (first maximum); a NaN, once in, stays
                        take = (best == best) & ~(v <= best)
                        best, t = (v, 1) if take else (best, t)
                        v = r1[2 * j, c]
                        take = (best == best) & ~(v <= best)
                        best, t = (v, 2) if take else (best, t)
                        v = r1[2 * j + 1, c]
                        take = (best == best) & ~(v <= best)
                        best, t = (v, 3) if take else (best, t)
                        o[j, c] = best
                        win[j, c] = t
        return
    for n in prange(n_):
        for i in range(oh):
            r0 = i * sh - lo_h
            for j in range(ow):
                s0 = j * sw - lo_w
                best, win = out[n, i, j], arg[n, i, j]
                first = True
                for a in range(max(0, -r0), min(ph, h - r0)):
                    for b in range(max(0, -s0), min(pw, w - s0)):
                        t = a * pw + b
                        v = x[n, r0 + a, s0 + b]
                        if first:
                            best[:] = v
                            win[:] = t
                            first = False
                        else:
                            for c in range(c_):
                                cur = best[c]
                                take = (cur == cur) & ~(v[c] <= cur)
                                best[c] = v[c] if take else cur
                                win[c] = t if take else win[c]


def max_pool_backward(g, arg, ph, pw, sh, sw, lo_h, lo_w, dx):
    """dx (N, H, W, C) = g routed to each output's winning tap, zeros elsewhere.

    Non-overlapping windows (strides == pool size) are gathered: every element of dx is
    written once, in order, from the output that owns it (one store stream, which vectorises;
    scattering g into four strided places per window runs eight times slower). Overlapping
    windows zero dx and add each gradient at its winner.
    """
    n_, h, w, c_ = dx.shape
    _, oh, ow, _ = g.shape
    zero = g.dtype.type(0)
    if sh == ph and sw == pw:
        for n in prange(n_):
            for r in range(h):
                i = (r + lo_h) // ph
                a = r + lo_h - i * ph
                for s in range(w):
                    d = dx[n, r, s]
                    j = (s + lo_w) // pw
                    if i >= oh or j >= ow:  # the remainder no window covers
                        d[:] = zero
                        continue
                    t0 = a * pw + (s + lo_w - j * pw)
                    gv, win = g[n, i, j], arg[n, i, j]
                    for c in range(c_):
                        d[c] = gv[c] if win[c] == t0 else zero
        return
    for n in prange(n_):
        dx[n] = zero
        for i in range(oh):
            r0 = i * sh - lo_h
            for j in range(ow):
                s0 = j * sw - lo_w
                gv, win = g[n, i, j], arg[n, i, j]
                for c in range(c_):
                    t = win[c]
                    dx[n, r0 + t // pw, s0 + t % pw, c] += gv[c]
