"""dw.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp,
vhp on the same functions and inputs, in float64."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw

F = dw.autograd.functional
torch = pytest.importorskip("torch", reason="torch is an optional comparison dependency")
TF = torch.autograd.functional


def _pair(lib):
    """Functions written once for both libraries (lib is dw or torch)."""
    def scalar(x, w):           # a smooth scalar of two inputs
        return (lib.tanh(x @ w) * x.sum()).sum() + (w * w * w).sum()

    def vector(x, w):           # two outputs
        return lib.tanh(x @ w), x * x

    def single(x):
        return lib.sin(x) * x.sum()

    return scalar, vector, single


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3,)), rng.standard_normal((3, 2))


def _same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            _same(o, t)
        return
    assert isinstance(ours, dw.Tensor), type(ours)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)


def _both(*arrays):
    return (tuple(dw.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays))


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_products_match_torch(name):
    x, w = _inputs()
    scalar, vector, single = _pair(dw)
    scalar_t, vector_t, single_t = _pair(torch)
    ins, ins_t = _both(x, w)
    rng = np.random.default_rng(1)
    if name == "vjp":
        v, v_t = _both(rng.standard_normal(2), rng.standard_normal(3))
        _same(F.vjp(vector, ins, v), TF.vjp(vector_t, ins_t, v_t))
        (s,), (s_t,) = _both(rng.standard_normal(3))
        _same(F.vjp(single, ins[0], s), TF.vjp(single_t, ins_t[0], s_t))
    elif name == "jvp":
        v, v_t = _both(rng.standard_normal(3), rng.standard_normal((3, 2)))
        _same(F.jvp(vector, ins, v), TF.jvp(vector_t, ins_t, v_t))
        _same(F.jvp(scalar, ins, v), TF.jvp(scalar_t, ins_t, v_t))
    else:
        v, v_t = _both(rng.standard_normal(3), rng.standard_normal((3, 2)))
        fn, fn_t = getattr(F, name), getattr(TF, name)
        _same(fn(scalar, ins, v), fn_t(scalar_t, ins_t, v_t))


def test_jacobian_matches_torch():
    x, w = _inputs()
    _, vector, single = _pair(dw)
    _, vector_t, single_t = _pair(torch)
    ins, ins_t = _both(x, w)
    _same(F.jacobian(vector, ins), TF.jacobian(vector_t, ins_t))
    _same(F.jacobian(single, ins[0]), TF.jacobian(single_t, ins_t[0]))


def test_hessian_matches_torch():
    x, w = _inputs()
    scalar, _, _ = _pair(dw)
    scalar_t, _, _ = _pair(torch)
    ins, ins_t = _both(x, w)
    _same(F.hessian(scalar, ins), TF.hessian(scalar_t, ins_t))
    one = dw.tensor(x)
    _same(F.hessian(lambda t: (dw.exp(t) * t).sum() * t[0], one),
          TF.hessian(lambda t: (torch.exp(t) * t).sum() * t[0], torch.tensor(x)))


def test_create_graph_results_can_be_differentiated_again():
    x = dw.tensor(np.array([0.3, -0.8]), requires_grad=True)
    x_t = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    _, h = F.hvp(lambda t: (t * t * dw.sin(t)).sum(), x, dw.tensor(np.ones(2)), create_graph=True)
    _, h_t = TF.hvp(lambda t: (t * t * torch.sin(t)).sum(), x_t, torch.ones(2, dtype=torch.float64),
                    create_graph=True)
    (g,) = dw.grad(h.sum(), [x])
    (g_t,) = torch.autograd.grad(h_t.sum(), [x_t])
    np.testing.assert_allclose(g.numpy(), g_t.numpy(), rtol=1e-10)


def test_unused_inputs_give_zeros_or_raise_when_strict():
    x, y = dw.tensor(np.array([1.0, 2.0])), dw.tensor(np.array([3.0]))
    _, (gx, gy) = F.vjp(lambda a, b: (a * a).sum(), (x, y))
    np.testing.assert_array_equal(gy.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        F.vjp(lambda a, b: (a * a).sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="v can be None only"):
        F.vjp(lambda a: a * a, x)
