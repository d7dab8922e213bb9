"""The reverse sweep: accumulation, retain_graph, freeing, non-scalar outputs, dw.grad, depth."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw


def test_gradients_accumulate_across_backward_calls():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 3, 4 + 3])


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = dw.tensor([1.0, -2.0], requires_grad=True)
    y = x * 2
    (y * y + y).sum().backward()  # d/dx (4x^2 + 2x) = 8x + 2
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, -14.0])


def test_an_intermediate_used_by_an_op_and_by_that_op_s_input_gets_both_paths():
    # y feeds `add` directly and through `multiply`: its node must be processed after both
    x = dw.tensor(np.ones(3), requires_grad=True)
    y = dw.tanh(x)
    (g,) = dw.grad(dw.sum(y + y * 2.0), [x])
    np.testing.assert_allclose(g.numpy(), 3 * (1 - np.tanh(1.0) ** 2))

    def rnn_like(t):                         # states that are also outputs (a diamond per step)
        steps = [dw.tanh(t)]
        for _ in range(3):
            steps.append(dw.tanh(steps[-1] * 0.5 + t))
        return dw.stack(steps)

    assert dw.gradcheck(rnn_like, [dw.tensor(np.array([0.3, -0.7]), requires_grad=True)])


def test_retain_graph_allows_a_second_backward():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_backward_over_a_freed_graph_raises():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"^backward: the graph was freed by an earlier "
                                           r"backward; pass retain_graph=True to the first "
                                           r"call\.$"):
        y.backward()


def test_non_scalar_backward_needs_grad():
    x = dw.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"^backward: output has shape \(4, 2\); pass grad= "
                                           r"for a non-scalar output\.$"):
        y.backward()
    y.backward(grad=np.ones((4, 2), dtype=np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((4, 2), 2.0))


def test_backward_grad_with_the_wrong_shape_raises():
    y = dw.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"backward: grad must have the output's shape; "
                                         r"expected \(2,\), got \(3,\)"):
        y.backward(grad=np.ones(3))


def test_backward_without_a_graph_raises():
    with pytest.raises(RuntimeError, match="backward: this tensor does not require grad"):
        (dw.tensor([1.0]) * 2).sum().backward()


def test_backward_on_a_leaf_sets_its_grad():
    x = dw.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_grad_returns_gradients_without_touching_dot_grad():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    w = dw.tensor([3.0, 4.0], requires_grad=True)
    unused = dw.tensor([5.0], requires_grad=True)
    loss = (x * w).sum()
    gx, gw, gu = dw.grad(loss, [x, w, unused])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    assert gu is None
    assert x.grad is None and w.grad is None and unused.grad is None
    assert not gx.requires_grad


def test_grad_of_a_single_input_returns_one_tensor():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    g = dw.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_grad_with_respect_to_an_intermediate_tensor():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    g = dw.grad((h * h).sum(), [h])[0]
    np.testing.assert_array_equal(g.numpy(), [6.0, 12.0])


def test_grad_rejects_non_tensors():
    x = dw.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"grad: inputs\[1\] must be a Tensor; got list"):
        dw.grad((x * x).sum(), [x, [1.0]])


def test_ten_thousand_op_chain_backpropagates_without_recursion_error():
    x = dw.tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_gradient_of_a_broadcast_input_has_the_input_shape():
    b = dw.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = dw.ones((4, 3))
    (x * b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 4.0, 4.0])


def test_inputs_that_do_not_require_grad_get_none():
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    c = dw.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_a_tensor_used_directly_and_through_a_later_op_gets_both_gradients():
    # x + f(x) with x produced by an op: x must wait for f's node before passing its gradient on
    t = dw.tensor(np.array([0.5, -1.2]), requires_grad=True)
    p = dw.tensor(np.array([0.1, 0.3]), requires_grad=True)
    x = p - t
    (x + x * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [-3.0, -3.0])
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 3.0])


def test_node_used_directly_and_through_a_later_consumer_gets_both_gradients():
    # `a` is add's first parent and also feeds the multiply: the sweep must wait for the
    # multiply's gradient before processing `a` (the order once finished `a` too early)
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    a = dw.exp(x)
    (a + a * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    y = dw.tensor([0.5], requires_grad=True)
    b = y * 1.0
    c = b * 2.0
    (b - c * b + c).sum().backward()    # d/dy (b - 2 b^2 + 2 b) = 3 - 4 y
    np.testing.assert_allclose(y.grad.numpy(), [1.0], rtol=1e-6)
def test_a_node_used_by_an_earlier_and_a_later_consumer_gets_every_gradient():
    # a feeds `add` directly and, deeper, `subtract`: the sweep must reach a after both.
    x = dw.tensor([1.0, 2.0], requires_grad=True)
    a, b = x[0:1], x[1:2]
    (g,) = dw.grad(dw.sum(a + (b - a) * 0.5), [x])
    np.testing.assert_array_equal(g.numpy(), [0.5, 0.5])

