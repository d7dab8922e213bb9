"""Second order from the op table: every differentiable row's gradient is differentiated again
(create_graph=True) and checked against finite differences of first-order gradients, in float64,
as torch.autograd.gradgradcheck. Ops listed in higher_order.NOT_TWICE must raise a clear error
instead, and the list must stay current."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
import deltaw.nn  # noqa: F401 - registers the dw.nn primitives in OPS
from deltaw.autograd.higher_order import NOT_TWICE
from deltaw.autograd.op import OPS
from tests.ops.op_table import OP_TABLE
from tests.ops.test_gradcheck import to_inputs

SAMPLES_PER_ROW = 2   # the first samples of each row (first order checks them all)
NOT_YET = "cannot be differentiated twice yet"


def _cases():
    cases = []
    for spec in OP_TABLE:
        if not spec.grad_args:
            continue
        for sample in spec.samples(np.random.default_rng(0))[:SAMPLES_PER_ROW]:
            name = "-".join(p for p in (spec.op, spec.variant, sample.name) if p)
            cases.append(pytest.param(spec, sample, id=name))
    return cases


def _check(spec, sample):
    inputs = to_inputs(sample.args, spec.grad_args)
    return dw.gradgradcheck(lambda *xs: spec.fn(*xs, **sample.kwargs), inputs,
                            atol=spec.atol, rtol=spec.rtol)


@pytest.mark.parametrize("spec, sample", _cases())
def test_gradgradcheck(spec, sample):
    try:
        assert _check(spec, sample)
    except RuntimeError as e:
        if NOT_YET not in str(e):
            raise
        named = str(e).split("'")[1]
        assert named in NOT_TWICE, str(e)
        pytest.skip(f"uses {named}, not yet twice-differentiable: {NOT_TWICE[named]}")


def test_every_differentiable_op_has_a_second_order_row_or_a_reason():
    rows = {spec.op for spec in OP_TABLE if spec.grad_args}
    missing = sorted(name for name, op in OPS.items()
                     if op.differentiable and name not in rows and name not in NOT_TWICE)
    assert not missing, (f"differentiable ops with no second-order row: {missing}. Give them a "
                         "differentiable row in tests/ops/rows_*.py, or an entry with the reason "
                         "in deltaw.autograd.higher_order.NOT_TWICE.")


def test_not_twice_names_real_ops():
    unknown = sorted(set(NOT_TWICE) - set(OPS))
    assert not unknown, f"NOT_TWICE names no registered op: {unknown}"


@pytest.mark.parametrize("name", sorted(NOT_TWICE))
def test_not_twice_ops_raise_a_clear_error(name):
    rows = [spec for spec in OP_TABLE if spec.op == name and spec.grad_args]
    if not rows:
        pytest.skip(f"{name} has no differentiable row")
    spec = rows[0]
    sample = spec.samples(np.random.default_rng(0))[0]
    with pytest.raises(RuntimeError, match=f"create_graph: the op '{name}' {NOT_YET}"):
        _check(spec, sample)
