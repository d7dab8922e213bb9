"""Dtype rules through the engine: float32 by default, scalars never upcast, float64 stays."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match=f"tensor: only floating tensors can require grad; "
                                        f"got dtype {dtype}"):
        dw.tensor(np.array([1, 0]).astype(dtype), requires_grad=True)
    t = dw.tensor(np.array([1, 0]).astype(dtype))
    with pytest.raises(TypeError, match="requires_grad_: only floating tensors"):
        t.requires_grad_()


def test_python_float_scalars_do_not_upcast_float32():
    x = dw.tensor([1.0, -2.0], requires_grad=True)
    assert x.dtype == np.float32
    results = [x * 0.5, 0.5 * x, x + 1, 2.5 - x, x / 3.0, 1.0 / x, x**2.0, 2.0**x,
               dw.maximum(x, 0.1), dw.where(x > 0, x, 0.0), dw.clip(x, -1.5, 0.5),
               dw.pad(x, 1, constant_values=0.25), x.mean(), x.var(), dw.logsumexp(x)]
    for r in results:
        assert r.dtype == np.float32, r
    total = results[0]
    for r in results[1:]:
        total = total + r.sum()
    total.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_stays_float64():
    x = dw.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x.dtype == np.float64
    y = dw.tanh(x * 0.5 + 1).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_python_lists_default_to_float32():
    assert dw.tensor([1.0, 2.0]).dtype == np.float32
    assert (dw.tensor([1.0]) + np.float32(2)).dtype == np.float32


def test_astype_gradient_comes_back_in_the_input_dtype():
    x = dw.tensor([1.5, -2.0], requires_grad=True)
    y = x.astype("float64")
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -4.0])


def test_argmax_returns_int64_without_grad():
    x = dw.tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True)
    i = dw.argmax(x, axis=1)
    assert i.dtype == np.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.numpy(), [1, 0])
