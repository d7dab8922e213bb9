"""Gradient conventions at kinks and ties, with exact values (the op table avoids these points)."""

from __future__ import annotations

import numpy as np

import deltaw as dw


def _grad(fn, values, dtype="float64"):
    x = dw.tensor(np.array(values, dtype=dtype), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


def test_abs_gradient_at_zero_is_zero():
    np.testing.assert_array_equal(_grad(dw.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


def test_sign_is_not_differentiable():
    x = dw.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    s = dw.sign(x)
    assert not s.requires_grad
    np.testing.assert_array_equal(s.numpy(), [-1.0, 0.0, 1.0])


def test_max_ties_split_the_gradient_equally():
    np.testing.assert_array_equal(_grad(dw.max, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(_grad(dw.max, [2.0, 2.0, 2.0, 2.0]), [0.25] * 4)
    got = _grad(lambda x: dw.max(x, axis=1), [[1.0, 4.0, 4.0], [5.0, 0.0, 5.0]])
    np.testing.assert_array_equal(got, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    got = _grad(lambda x: dw.max(x, axis=0, keepdims=True), [[1.0, 4.0], [1.0, 2.0]])
    np.testing.assert_array_equal(got, [[0.5, 1.0], [0.5, 0.0]])


def test_min_ties_split_the_gradient_equally():
    np.testing.assert_array_equal(_grad(dw.min, [0.0, 0.0, 1.0, 0.0]), [1 / 3, 1 / 3, 0, 1 / 3])


def test_maximum_and_minimum_ties_split_between_inputs():
    a = dw.tensor([1.0, 2.0], requires_grad=True)
    b = dw.tensor([1.0, 0.0], requires_grad=True)
    (dw.maximum(a, b) + dw.minimum(a, b)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])  # 0.5 + 0.5 at the tie
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_clip_gradient_is_one_on_the_boundary_and_zero_outside():
    got = _grad(lambda x: dw.clip(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(got, [0.0, 1.0, 1.0, 1.0, 0.0])
    got = _grad(lambda x: dw.clip(x, None, 0.0), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(got, [1.0, 1.0, 0.0])
    got = _grad(lambda x: dw.clip(x, 2.0, 1.0), [0.0, 1.5, 3.0])  # a_min > a_max: all a_max
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0])


def test_where_gradient_goes_to_the_chosen_branch():
    a = dw.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = dw.tensor([10.0, 20.0, 30.0], requires_grad=True)
    dw.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 1.0, 0.0])


def test_prod_gradient_with_zeros_is_exact():
    np.testing.assert_array_equal(_grad(dw.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(_grad(dw.prod, [0.0, 0.0, 3.0]), [0.0, 0.0, 0.0])
    got = _grad(lambda x: dw.prod(x, axis=0), [[0.0, 2.0], [5.0, 3.0]])
    np.testing.assert_array_equal(got, [[5.0, 3.0], [0.0, 2.0]])


def test_std_of_a_constant_has_zero_gradient():
    got = _grad(lambda x: dw.std(x, axis=1), [[2.0, 2.0, 2.0], [1.0, 3.0, 2.0]])
    np.testing.assert_array_equal(got[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(got[1], np.array([-1.0, 1.0, 0.0]) / (3 * np.sqrt(2 / 3)))


def test_sqrt_gradient_at_zero_is_inf_without_a_warning():
    got = _grad(dw.sqrt, [0.0, 4.0])  # pytest turns warnings into errors
    assert got[0] == np.inf and got[1] == 0.25


def test_logsumexp_is_stable_and_handles_minus_inf_rows():
    x = dw.tensor([[1000.0, 1000.0], [-np.inf, -np.inf], [-np.inf, 0.0]])
    out = dw.logsumexp(x, axis=1).numpy()
    np.testing.assert_allclose(out, [1000.0 + np.log(2.0), -np.inf, 0.0])
    np.testing.assert_allclose(_grad(lambda t: dw.logsumexp(t, axis=1),
                                     [[1000.0, 1000.0], [-1000.0, -1001.0]], dtype="float32"),
                               [[0.5, 0.5], [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))]],
                               rtol=1e-6)  # float32 near 1000: the shift must not lose bits


def test_repeated_integer_indices_add_their_gradients():
    np.testing.assert_array_equal(_grad(lambda x: x[[0, 0, 2, 0]], [1.0, 2.0, 3.0]),
                                  [3.0, 0.0, 1.0])  # the 1-D bincount path
    got = _grad(lambda x: x[np.array([1, 1, -1])] * np.array([[1.0], [2.0], [4.0]]),
                [[1.0, 2.0], [3.0, 4.0]])  # the 2-D add.at path
    np.testing.assert_array_equal(got, [[0.0, 0.0], [7.0, 7.0]])
    got = _grad(lambda x: x[dw.tensor([2, 2])], [1.0, 2.0, 3.0])  # an int Tensor index
    np.testing.assert_array_equal(got, [0.0, 0.0, 2.0])


def test_boolean_mask_gradient_scatters_back():
    got = _grad(lambda x: x[x > 0] * 3, [[-1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(got, [[0.0, 3.0], [3.0, 0.0]])


def test_einsum_trace_and_diagonal_gradients():
    np.testing.assert_array_equal(_grad(lambda x: dw.einsum("ii->", x), np.ones((3, 3))),
                                  np.eye(3))
    np.testing.assert_array_equal(_grad(lambda x: dw.einsum("ij->", x), np.ones((2, 3))),
                                  np.ones((2, 3)))
