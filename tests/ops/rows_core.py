"""Op-table rows for deltaw.ops (the NumPy-named ops)."""

from __future__ import annotations

import numpy as np

import deltaw as dw
from tests.ops.op_table import OpSpec
from tests.ops.samples import ErrorCase, binary_broadcast, unary  # noqa: F401

ROWS = [
    OpSpec("add", dw.add, np.add, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.add(a, b)),
    OpSpec("subtract", dw.subtract, np.subtract, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.sub(a, b)),
    OpSpec("multiply", dw.multiply, np.multiply, binary_broadcast(), grad_args=(0, 1),
           torch=lambda t, a, b: t.mul(a, b)),
    OpSpec("divide", dw.divide, np.divide, binary_broadcast(low2=0.5, high2=2.0),
           grad_args=(0, 1), torch=lambda t, a, b: t.div(a, b)),
    OpSpec("power", dw.power, np.power, binary_broadcast(0.5, 2.0, -1.5, 2.5), grad_args=(0, 1),
           torch=lambda t, a, b: t.pow(a, b)),
    OpSpec("negative", dw.negative, np.negative, unary(), torch=lambda t, a: t.neg(a)),
    OpSpec("maximum", dw.maximum, np.maximum, binary_broadcast(avoid_equal=True),
           grad_args=(0, 1), torch=lambda t, a, b: t.maximum(a, b)),
    OpSpec("minimum", dw.minimum, np.minimum, binary_broadcast(avoid_equal=True),
           grad_args=(0, 1), torch=lambda t, a, b: t.minimum(a, b)),
]
