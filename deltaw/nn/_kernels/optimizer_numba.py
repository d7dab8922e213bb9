"""Optimizer kernel for numba: Adam's update of the flat parameter buffer in one pass.

Plain Python, as the other kernel modules (this file imports without numba); `load()` compiles
it on first use. NumPy's form of the update (`deltaw.keras.optimizers.adam`) is eleven calls,
each a full pass over the parameters, gradients and slots: for W2's 535k parameters that is
~1.5 ms a step of memory traffic, and for W1's 2.8k parameters eleven call overheads. This loop
reads each array once and does the same float32 operations in the same order (no fastmath), so
its result equals NumPy's bit for bit; the tests compare the two.
"""

from __future__ import annotations

import sys

import numpy as np

from deltaw.nn._kernels._numba import compile_module

KERNELS = ("adam_update",)


def adam_update(grad, param, m, v, one_minus_b1, one_minus_b2, epsilon, alpha):
    """m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); param -= alpha m / (sqrt(v) + epsilon).

    All arrays 1-D float32 of one length; the scalars float32. Updates param, m and v in place.
    """
    for i in range(param.shape[0]):
        g = grad[i]
        mi = m[i] + (g - m[i]) * one_minus_b1
        vi = v[i] + (g * g - v[i]) * one_minus_b2
        m[i] = mi
        v[i] = vi
        param[i] -= mi / (np.sqrt(vi) + epsilon) * alpha


def load():
    """The compiled kernel (a namespace), or None for the NumPy path (see `_numba`)."""
    return compile_module(sys.modules[__name__], KERNELS, nogil=True, error_model="numpy")
