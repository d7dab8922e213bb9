"""Op-table rows for deltaw.nn's composed activations (deltaw/nn/composed_activations.py).

References are float64 NumPy written from each formula; samples keep away from the breakpoints
of the piecewise functions (their gradient there is the underlying op's convention).
"""

from __future__ import annotations

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.rows_nn import _in_dtype
from tests.ops.samples import ErrorCase, Sample

nn = dw.nn
_SHAPES = [(5,), (2, 4), (2, 1, 4)]


def _away(points, low=-3.0, high=3.0, gap=0.1, shapes=_SHAPES):
    """Samples in [low, high] at least `gap` away from every breakpoint in `points`."""
    def make(rng):
        out = []
        for s in shapes:
            x = rng.uniform(low, high, s)
            for p in points:
                near = np.abs(x - p) < gap
                x = np.where(near, p + np.where(x >= p, gap, -gap) * 2, x)
            out.append(Sample((x,), name="x".join(map(str, s))))
        return out
    return make


def _sparsemax_ref(x, axis=-1):
    z = -np.sort(-x, axis=axis)
    cs = np.cumsum(z, axis=axis)
    r = np.arange(1, x.shape[axis] + 1)
    k = np.sum(z - (cs - 1) / r > 0, axis=axis, keepdims=True)
    tau = (np.take_along_axis(cs, k - 1, axis=axis) - 1) / k
    return np.maximum(x - tau, 0)


def _sparsemax_samples(rng):
    # spread-out values, so no entry sits at the support's edge (x == tau)
    return [Sample((rng.permutation(np.linspace(-1.5, 1.5, 6)) + rng.uniform(0, 0.01),),
                   name="6"),
            Sample((rng.uniform(-1, 1, (3, 4)) * np.array([1.0, 3.0, 0.2, 2.0]),), name="3x4")]


ROWS = [
    OpSpec("celu", nn.celu, _in_dtype(lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
           _away([0.0])),
    OpSpec("celu", lambda x: nn.celu(x, alpha=0.5),
           _in_dtype(lambda x: np.maximum(x, 0) + 0.5 * np.expm1(np.minimum(x, 0) / 0.5)),
           _away([0.0]), variant="alpha0.5"),
    OpSpec("glu", nn.glu, _in_dtype(lambda x: x[..., :x.shape[-1] // 2] /
                                    (1 + np.exp(-x[..., x.shape[-1] // 2:]))),
           _away([], shapes=[(4,), (2, 6), (2, 1, 4)]), errors=(ErrorCase((np.ones(3),), ValueError,
                                        r"glu: the size of axis -1 must be even"),)),
    OpSpec("hard_shrink", nn.hard_shrink,
           _in_dtype(lambda x: np.where(np.abs(x) > 0.5, x, 0)), _away([-0.5, 0.5])),
    OpSpec("hard_tanh", nn.hard_tanh, _in_dtype(lambda x: np.clip(x, -1, 1)),
           _away([-1.0, 1.0])),
    OpSpec("log_sigmoid", nn.log_sigmoid, _in_dtype(lambda x: -np.logaddexp(0, -x)),
           _away([])),
    OpSpec("soft_shrink", nn.soft_shrink,
           _in_dtype(lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
           _away([-0.5, 0.5])),
    OpSpec("sparse_plus", nn.sparse_plus,
           _in_dtype(lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x))),
           _away([-1.0, 1.0])),
    OpSpec("sparse_sigmoid", nn.sparse_sigmoid, _in_dtype(lambda x: np.clip((x + 1) / 2, 0, 1)),
           _away([-1.0, 1.0])),
    OpSpec("squareplus", nn.squareplus, _in_dtype(lambda x: (x + np.sqrt(x * x + 4)) / 2),
           _away([])),
    OpSpec("tanh_shrink", nn.tanh_shrink, _in_dtype(lambda x: x - np.tanh(x)), _away([])),
    OpSpec("threshold", lambda x: nn.threshold(x, 0.3, -2.0),
           _in_dtype(lambda x: np.where(x > 0.3, x, -2.0)), _away([0.3])),
    OpSpec("sparsemax", nn.sparsemax, _in_dtype(_sparsemax_ref), _sparsemax_samples),
]
