"""Loss kernel for numba: binary cross-entropy on probabilities, forward and backward passes.

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
it on first use. NumPy's form (`deltaw.nn.losses.binary_cross_entropy`) is a dozen calls each
way, and once a sigmoid output saturates to exactly 0 or 1 (which a float32 sigmoid does for
|logits| > 17, early in most trainings) the guarded form with its clamped logs takes a dozen
more. On the (batch, 1) outputs of a binary classifier every call is overhead; this is one
call each way. Same formulas, same clamps, same float32 operation order as NumPy's form: the
results differ from it only where NumPy's vectorised log and the C library's logf round
differently (an ulp); the tests compare the two.
"""

from __future__ import annotations

import sys

import numpy as np

from deltaw.nn._kernels._numba import compile_module

KERNELS = ("bce_forward", "bce_backward")


def bce_forward(t, p, floor, floor_at, subnormal, elem):
    """elem = -(t log p) - (1 - t) log(1 - p) with each log clamped at `floor` (max(log(max(v,
    subnormal)), floor)); returns whether no log was clamped (p (1 - p) > floor_at everywhere,
    NumPy's test for its plain form). t, p, elem: flat arrays of one float dtype."""
    one = p.dtype.type(1)
    plain = True
    for i in range(p.size):
        pi = p[i]
        qi = one - pi
        plain = plain and pi * qi > floor_at
        lp = np.log(pi if not pi < subnormal else subnormal)      # NaN passes through
        lq = np.log(qi if not qi < subnormal else subnormal)
        lp = lp if not lp < floor else floor
        lq = lq if not lq < floor else floor
        elem[i] = -(t[i] * lp) - (one - t[i]) * lq
    return plain


def bce_backward(t, p, gs, plain, floor_at, tiny, gp):
    """gp = dL/dp: gs (p - t) / (p (1 - p)) when no log was clamped, else
    gs ((1 - t) dlog(1 - p) - t dlog(p)) with dlog(v) = [v > floor_at] / max(v, tiny)."""
    one, zero = p.dtype.type(1), p.dtype.type(0)
    for i in range(p.size):
        pi, ti = p[i], t[i]
        qi = one - pi
        if plain:
            gp[i] = (pi - ti) / (pi * qi) * gs[i]
        else:
            dq = (one if qi > floor_at else zero) / (qi if not qi < tiny else tiny)
            dp = (one if pi > floor_at else zero) / (pi if not pi < tiny else tiny)
            gp[i] = gs[i] * ((one - ti) * dq - ti * dp)


def load():
    """The compiled kernels (a namespace), or None for the NumPy path (see `_numba`)."""
    return compile_module(sys.modules[__name__], KERNELS, nogil=True, error_model="numpy")
