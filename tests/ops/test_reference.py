"""Every op-table row's forward against its NumPy reference, in float32 and float64.

Values must agree, and so must shape and dtype: a float32 input gives a float32 output.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops.op_table import OP_TABLE

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _cases():
    cases = []
    for spec in OP_TABLE:
        if spec.ref is None:
            continue
        for sample in spec.samples(np.random.default_rng(0)):
            for dtype in (np.float32, np.float64):
                name = "-".join(p for p in (spec.op, spec.variant, sample.name,
                                            np.dtype(dtype).name) if p)
                cases.append(pytest.param(spec, sample, dtype, id=name))
    return cases


def _cast(args, dtype):
    # generators may hand out a NumPy float scalar for shape (); treat it as a 0-d array
    args = [np.asarray(a) if isinstance(a, np.floating) else a for a in args]
    return [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in args]


def _tensors(arrays):
    return [dw.tensor(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in arrays]


@pytest.mark.parametrize("spec, sample, dtype", _cases())
def test_matches_numpy(spec, sample, dtype):
    arrays = _cast(sample.args, dtype)
    expected = np.asarray(spec.ref(*arrays, **sample.kwargs))
    got = spec.fn(*_tensors(arrays), **sample.kwargs)
    assert isinstance(got, dw.Tensor)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    if got.dtype.kind == "f" and spec.op != "astype":
        assert got.dtype == dtype  # float32 in, float32 out; float64 stays float64
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got.numpy(), expected, **TOLERANCE[dtype])
    else:
        np.testing.assert_array_equal(got.numpy(), expected)
