"""Property tests: for random broadcastable shape pairs, each binary op's gradients have the
inputs' shapes (the engine undoes broadcasting) and agree with finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import deltaw as dw

OPS = {
    "add": dw.add,
    "multiply": dw.multiply,
    "subtract": dw.subtract,
    "divide": dw.divide,
    "maximum": dw.maximum,
}

SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None)


def _inputs(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2.0, 2.0, shapes[0])
    if name == "divide":
        b = rng.uniform(0.5, 2.0, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])
    elif name == "maximum":  # two interleaved grids never tie (a tie is a kink, tested elsewhere)
        a = rng.integers(-10, 10, shapes[0]) * 0.2
        b = rng.integers(-10, 10, shapes[1]) * 0.2 + 0.1
    else:
        b = rng.uniform(-2.0, 2.0, shapes[1])
    return (dw.tensor(np.asarray(a), requires_grad=True),
            dw.tensor(np.asarray(b), requires_grad=True))


@pytest.mark.parametrize("name", sorted(OPS))
@SETTINGS
@given(shapes=SHAPES, seed=st.integers(0, 2**16))
def test_broadcast_gradients(name, shapes, seed):
    fn = OPS[name]
    x1, x2 = _inputs(name, shapes.input_shapes, seed)
    out = fn(x1, x2)
    assert out.shape == shapes.result_shape
    g1, g2 = dw.grad(out.sum(), [x1, x2])
    assert g1.shape == x1.shape and g2.shape == x2.shape
    assert g1.dtype == x1.dtype and g2.dtype == x2.dtype
    assert dw.gradcheck(fn, [x1, x2])
