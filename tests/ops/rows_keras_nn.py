"""Op-table rows for the dw.nn functions behind keras.ops: Keras 3's newer activations
(composed_activations.py, here against independent NumPy references) and the special functions
(special.py). The CTC loss has its rows in rows_composed_losses.py.

References are written out in NumPy (float64 math); samples avoid each function's kinks
(+-threshold, +-1, 0), and sparsemax samples keep the support away from its boundaries.
"""

from __future__ import annotations

import math

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.rows_nn import _in_dtype
from tests.ops.samples import ErrorCase, Sample, fixed, unary

nn = dw.nn
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _soft_shrink(x, t=0.5):
    return np.where(x > t, x - t, np.where(x < -t, x + t, 0.0))


def _sparsemax(x, axis=-1):
    """The simplex projection by bisection on tau (independent of the sort-based forward)."""
    z = np.moveaxis(x, axis, -1)
    lo, hi = z.min(-1, keepdims=True) - 1, z.max(-1, keepdims=True)
    for _ in range(200):
        mid = (lo + hi) / 2
        over = np.maximum(z - mid, 0).sum(-1, keepdims=True) > 1
        lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
    return np.moveaxis(np.maximum(z - (lo + hi) / 2, 0), -1, axis)


def _glu(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)


def _erfinv(y):
    """Bisection on math.erf."""
    lo, hi = np.full(y.shape, -6.0), np.full(y.shape, 6.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        big = _erf(mid) > y
        lo, hi = np.where(big, lo, mid), np.where(big, mid, hi)
    return (lo + hi) / 2


def _sparsemax_samples(rng):
    return [Sample((np.array([0.1, 0.9, 0.6, -1.0]),), name="support2"),
            Sample((np.array([[0.3, 0.5, 0.45], [3.0, 0.0, 0.2]]),), name="rows"),
            Sample((np.array([[0.3, 2.0], [0.5, 0.1], [0.45, 0.0]]),), {"axis": 0},
                   name="axis0")]


def _logdet_samples(rng):
    a = rng.normal(size=(3, 3))
    b = rng.normal(size=(2, 2, 2))
    return [Sample((a @ a.T + 3 * np.eye(3),), name="spd"),
            Sample((np.array([[2.0, 1.0], [0.5, 3.0]]),), name="general"),
            Sample((b @ np.swapaxes(b, -1, -2) + 2 * np.eye(2),), name="batched")]


def _act(name, ref, low=-3.0, high=3.0, avoid=(), fn=None, variant="", **kw):
    return OpSpec(name, fn or getattr(nn, name), _in_dtype(ref), unary(low, high, avoid),
                  variant=variant, **kw)


ROWS = [
    _act("log_sigmoid", lambda x: -np.logaddexp(0, -x), -10, 10),
    _act("celu", lambda x: np.where(x > 0, x, np.expm1(x)), avoid=(0.0,)),
    _act("celu", lambda x: np.where(x > 0, x, 2 * np.expm1(x / 2)), avoid=(0.0,),
         fn=lambda x: nn.celu(x, alpha=2.0), variant="alpha2"),
    _act("hard_tanh", lambda x: np.clip(x, -1, 1), avoid=(-1.0, 1.0)),
    _act("hard_shrink", lambda x: np.where(np.abs(x) > 0.5, x, 0.0), avoid=(-0.5, 0.5)),
    _act("soft_shrink", _soft_shrink, avoid=(-0.5, 0.5)),
    _act("soft_shrink", lambda x: _soft_shrink(x, 1.0), avoid=(-1.0, 1.0),
         fn=lambda x: nn.soft_shrink(x, threshold=1.0), variant="threshold1"),
    _act("tanh_shrink", lambda x: x - np.tanh(x)),
    _act("squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2,
         errors=(ErrorCase((np.ones(2),), ValueError, r"squareplus: b must be non-negative",
                           {"b": -1}),)),
    _act("sparse_plus", lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
         avoid=(-1.0, 1.0)),
    _act("sparse_sigmoid", lambda x: np.clip((x + 1) / 2, 0, 1), avoid=(-1.0, 1.0)),
    _act("threshold", lambda x: np.where(x > 0.3, x, -1.0), avoid=(0.3,),
         fn=lambda x: nn.threshold(x, 0.3, -1.0)),
    OpSpec("glu", nn.glu, _in_dtype(_glu),
           fixed(Sample((np.linspace(-2, 2, 8).reshape(2, 4),), name="last"),
                 Sample((np.linspace(-2, 2, 12).reshape(2, 2, 3),), {"axis": 1}, "axis1")),
           errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                             r"glu: the size of axis -?\d+ must be even"),)),
    OpSpec("sparsemax", nn.sparsemax, _in_dtype(_sparsemax), _sparsemax_samples),
    _act("erf", _erf, -3, 3),
    _act("erfc", lambda x: 1 - _erf(x), -3, 3),
    _act("erfinv", _erfinv, -0.95, 0.95),
    OpSpec("logdet", nn.logdet, _in_dtype(lambda x: np.linalg.slogdet(x)[1]), _logdet_samples,
           errors=(ErrorCase((np.ones((2, 3)),), ValueError,
                             r"logdet: expected square matrices"),)),
]
