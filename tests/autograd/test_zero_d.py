"""0-d tensors: every op keeps a 0-d ndarray in the Tensor (never a NumPy scalar), and
np.asarray works on every Tensor and gradient. The op table runs on 0-d inputs where the op
accepts them."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops.op_table import OP_TABLE


def _zero_d(args):
    """Each floating array argument replaced by its first element, as a 0-d float64 array."""
    return [np.asarray(a.reshape(-1)[0], dtype=np.float64)
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size else a for a in args]


def _tensors(out):
    if isinstance(out, dw.Tensor):
        return [out]
    if isinstance(out, list | tuple):
        return [t for o in out for t in _tensors(o)]
    return []


def _assert_array(t, what):
    assert type(t.data) is np.ndarray, f"{what}: .data is {type(t.data).__name__}"
    a = np.asarray(t)
    assert isinstance(a, np.ndarray) and a.shape == t.shape, what


def _cases():
    return [pytest.param(spec, id="-".join(p for p in (spec.op, spec.variant) if p))
            for spec in OP_TABLE if spec.samples(np.random.default_rng(0))]


ACCEPTED = []   # specs that ran on 0-d inputs, for the count test below


def _run_on_zero_d(spec):
    """(sample, inputs, output) for the first sample the op accepts in 0-d form, else None."""
    for sample in spec.samples(np.random.default_rng(0)):
        args = _zero_d(sample.args)
        inputs = [dw.tensor(a, requires_grad=i in spec.grad_args)
                  if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                  for i, a in enumerate(args)]
        try:
            return sample, inputs, spec.fn(*inputs, **sample.kwargs)
        except Exception:  # noqa: BLE001, S112 - an op needing rank >= 1 (or an axis) rejects it
            continue
    return None


@pytest.mark.parametrize("spec", _cases())
def test_op_on_zero_d_inputs(spec):
    ran = _run_on_zero_d(spec)
    if ran is None:
        pytest.skip(f"{spec.op} does not accept 0-d inputs")
    sample, inputs, out = ran
    ACCEPTED.append(spec.op)
    outs = _tensors(out)
    for t in outs:
        _assert_array(t, f"{spec.op} output")
    wrt = [t for t in inputs if isinstance(t, dw.Tensor) and t.requires_grad]
    floats = [t for t in outs if t.requires_grad and t.dtype.kind == "f"]
    if not wrt or not floats:
        return
    loss = floats[0].sum() if floats[0].ndim else floats[0]
    for g in dw.grad(loss, wrt):
        if g is not None:
            _assert_array(g, f"{spec.op} gradient")
    assert dw.gradcheck(lambda *xs: _first_float(spec.fn(*xs, **sample.kwargs)), inputs,
                        atol=spec.atol, rtol=spec.rtol)


def _first_float(out):
    return [t for t in _tensors(out) if t.dtype.kind == "f"][0]


def test_most_ops_accept_zero_d():
    # the element-wise, reduction and shape families at least (run after the cases above)
    if not ACCEPTED:
        pytest.skip("run together with test_op_on_zero_d_inputs")
    assert len(set(ACCEPTED)) >= 60, sorted(set(ACCEPTED))


def test_issue_example_scalar_arithmetic():
    b = dw.tensor(3.0, requires_grad=True)
    y = b * b + 1.0
    assert type(y.data) is np.ndarray and y.shape == ()
    y.backward()
    assert type(b.grad.data) is np.ndarray
    assert np.asarray(b.grad) == 6.0
    assert np.asarray(b.grad, dtype=np.float64).dtype == np.float64


def test_array_protocol_copy_flags():
    t = dw.tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert np.array(t, copy=True) is not t.data
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(t, dtype=np.float64, copy=False)
