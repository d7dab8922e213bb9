"""Tensor behaviour: NumPy interop, repr, comparisons, the NumPy-named methods."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw


def test_np_asarray_gives_the_data():
    t = dw.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = np.asarray(t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_repr_is_readable():
    assert repr(dw.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(dw.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(dw.tensor(np.array([1, 2]))) == "tensor([1, 2], dtype=int64)"
    assert "\n" in repr(dw.ones((2, 2)))


def test_comparisons_give_bool_tensors_without_grad():
    x = dw.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])
    np.testing.assert_array_equal((x == 2).numpy(), [False, True, False])


def test_bool_of_a_multi_element_tensor_raises():
    with pytest.raises(ValueError, match=r"bool: the truth value of a tensor of shape \(2,\) is "
                                         r"ambiguous"):
        bool(dw.tensor([1.0, 2.0]))
    assert bool(dw.tensor([1.0]))


def test_iteration_and_len_use_getitem():
    x = dw.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(x) == 2 and rows[1].shape == (2,)
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0], [1.0, 1.0]])


METHODS = [
    ("sum", lambda t: t.sum(axis=0), lambda a: a.sum(axis=0)),
    ("mean", lambda t: t.mean(1, True), lambda a: a.mean(1, keepdims=True)),
    ("var", lambda t: t.var(), lambda a: a.var()),
    ("std", lambda t: t.std(0, 1), lambda a: a.std(0, ddof=1)),
    ("max", lambda t: t.max(axis=1), lambda a: a.max(axis=1)),
    ("min", lambda t: t.min(), lambda a: a.min()),
    ("prod", lambda t: t.prod(0), lambda a: a.prod(0)),
    ("cumsum", lambda t: t.cumsum(1), lambda a: a.cumsum(1)),
    ("argmax", lambda t: t.argmax(1), lambda a: a.argmax(1)),
    ("argmin", lambda t: t.argmin(), lambda a: a.argmin()),
    ("reshape", lambda t: t.reshape(3, 2), lambda a: a.reshape(3, 2)),
    ("reshape-tuple", lambda t: t.reshape((-1,)), lambda a: a.reshape((-1,))),
    ("flatten", lambda t: t.flatten(), lambda a: a.flatten()),
    ("transpose", lambda t: t.transpose(), lambda a: a.transpose()),
    ("transpose-axes", lambda t: t.transpose(1, 0), lambda a: a.transpose(1, 0)),
    ("T", lambda t: t.T, lambda a: a.T),
    ("swapaxes", lambda t: t.swapaxes(0, 1), lambda a: a.swapaxes(0, 1)),
    ("squeeze", lambda t: t[None].squeeze(0), lambda a: a[None].squeeze(0)),
    ("repeat", lambda t: t.repeat(2, axis=1), lambda a: a.repeat(2, axis=1)),
    ("clip", lambda t: t.clip(1.5, 4.5), lambda a: a.clip(1.5, 4.5)),
    ("astype", lambda t: t.astype("float64"), lambda a: a.astype("float64")),
    ("getitem", lambda t: t[1, ::-1], lambda a: a[1, ::-1]),
    ("abs", lambda t: abs(-t), lambda a: abs(-a)),
    ("matmul", lambda t: t @ t.T, lambda a: a @ a.T),
]


@pytest.mark.parametrize("name, method, reference", METHODS, ids=[m[0] for m in METHODS])
def test_numpy_named_methods_resolve(name, method, reference):
    data = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], dtype=np.float32)
    got = method(dw.tensor(data))
    expected = reference(data)
    assert isinstance(got, dw.Tensor)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_reductions_of_a_0d_tensor_accept_axis_0():
    # the one axis _checks admits for a 0-d tensor (as torch) reduces the whole tensor
    x = dw.tensor(2.0, requires_grad=True)
    for fn in (dw.sum, dw.mean, dw.max, dw.min, dw.prod, dw.logsumexp):
        out = fn(x, axis=0)
        assert out.shape == () and out.item() == 2.0
    assert dw.flip(x, axis=0).item() == 2.0
    (dw.sum(x, axis=0) + dw.max(x, axis=0, keepdims=True)).backward()
    assert x.grad.item() == 2.0
