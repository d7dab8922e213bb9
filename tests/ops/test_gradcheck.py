"""Every differentiable op in the table, gradchecked in float64 against central differences."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops.op_table import OP_TABLE


def _cases():
    cases = []
    for spec in OP_TABLE:
        if not spec.grad_args:
            continue
        for sample in spec.samples(np.random.default_rng(0)):
            name = "-".join(p for p in (spec.op, spec.variant, sample.name) if p)
            cases.append(pytest.param(spec, sample, id=name))
    return cases


def to_inputs(args, grad_args, dtype=np.float64):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(dw.tensor(a.astype(dtype), requires_grad=i in grad_args))
        else:
            out.append(a)
    return out


@pytest.mark.parametrize("spec, sample", _cases())
def test_gradcheck(spec, sample):
    inputs = to_inputs(sample.args, spec.grad_args)
    assert dw.gradcheck(lambda *xs: spec.fn(*xs, **sample.kwargs), inputs,
                        atol=spec.atol, rtol=spec.rtol)
