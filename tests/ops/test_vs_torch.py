"""Every op-table row with a torch reference: values and gradients against torch, in float64."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops.op_table import OP_TABLE

torch = pytest.importorskip("torch", reason="torch is an optional comparison dependency")


def _cases():
    cases = []
    for spec in OP_TABLE:
        if spec.torch is None:
            continue
        for sample in spec.samples(np.random.default_rng(0)):
            name = "-".join(p for p in (spec.op, spec.variant, sample.name) if p)
            cases.append(pytest.param(spec, sample, id=name))
    return cases


def _is_float(a):
    return isinstance(a, np.ndarray | np.floating) and np.asarray(a).dtype.kind == "f"


def _to_torch(obj):
    if isinstance(obj, np.ndarray | np.generic):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, tuple):
        return tuple(_to_torch(o) for o in obj)
    return obj


def run_both(spec, sample):
    """The op on float64 copies of the sample in deltaw and in torch: (our inputs, torch's
    inputs, the positions of the inputs that need a gradient, our output, torch's output)."""
    ours, theirs, wrt = [], [], []
    for i, a in enumerate(sample.args):
        if _is_float(a):
            a = np.asarray(a, dtype=np.float64)
            needs = i in spec.grad_args
            ours.append(dw.tensor(a, requires_grad=needs))
            theirs.append(torch.tensor(a, requires_grad=needs))
            if needs:
                wrt.append(i)
        else:
            ours.append(a)
            theirs.append(_to_torch(a))
    kwargs_t = {k: _to_torch(v) for k, v in sample.kwargs.items()}
    return (ours, theirs, wrt, spec.fn(*ours, **sample.kwargs),
            spec.torch(torch, *theirs, **kwargs_t))


@pytest.mark.parametrize("spec, sample", _cases())
def test_matches_torch(spec, sample):
    rng = np.random.default_rng(1)
    ours, theirs, wrt, out, ref = run_both(spec, sample)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    if not wrt or out.dtype.kind != "f":
        return
    weights = rng.uniform(0.5, 1.5, out.shape)
    grads = dw.grad((out * dw.tensor(weights)).sum(), [ours[i] for i in wrt])
    ref_grads = torch.autograd.grad((ref * torch.tensor(weights)).sum(), [theirs[i] for i in wrt],
                                    allow_unused=True)
    for i, g, rg in zip(wrt, grads, ref_grads, strict=True):
        expected = np.zeros(sample.args[i].shape) if rg is None else rg.numpy()
        got = np.zeros(np.shape(sample.args[i])) if g is None else g.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12,
                                   err_msg=f"gradient of input {i}")
