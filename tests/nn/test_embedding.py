"""embedding: lookup, scatter-added gradients for repeated ids, id validation."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw


def test_lookup_and_shape():
    table = np.arange(12.0).reshape(4, 3)
    ids = np.array([[3, 0], [1, 1]])
    out = dw.nn.embedding(ids, dw.tensor(table))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), table[ids])
    assert out.dtype == np.float64
    assert dw.nn.embedding(ids, dw.ones((4, 3))).dtype == np.float32


def test_repeated_ids_add_their_gradients():
    table = dw.tensor(np.zeros((5, 2)), requires_grad=True)
    ids = np.array([1, 3, 1, 1, 0])
    weights = np.arange(10.0).reshape(5, 2)
    (g,) = dw.grad((dw.nn.embedding(ids, table) * dw.tensor(weights)).sum(), [table])
    expected = np.zeros((5, 2))
    for i, row in zip(ids, weights, strict=True):
        expected[i] += row
    np.testing.assert_array_equal(g.numpy(), expected)
    assert not g.numpy()[2].any() and not g.numpy()[4].any()      # unused rows get zeros


def test_ids_tensor_and_integral_floats():
    table = dw.tensor(np.eye(3))
    np.testing.assert_array_equal(dw.nn.embedding(dw.tensor([2, 0]), table).numpy(),
                                  np.eye(3)[[2, 0]])
    np.testing.assert_array_equal(dw.nn.embedding(np.array([2.0, 1.0]), table).numpy(),
                                  np.eye(3)[[2, 1]])                # Keras casts float ids


@pytest.mark.parametrize("bad", [4, 100, -1])
def test_out_of_range_id_names_the_id_and_input_dim(bad):
    with pytest.raises(ValueError, match=rf"embedding: id {bad} is out of range; expected "
                       rf"0 <= id < input_dim = 4, got id {bad}\."):
        dw.nn.embedding(np.array([[0, 1], [bad, 2]]), dw.ones((4, 3)))


def test_other_errors():
    with pytest.raises(TypeError, match=r"embedding: ids must be integers; expected an integer "
                       r"\(or integral float\) array, got dtype float64"):
        dw.nn.embedding(np.array([0.5]), dw.ones((4, 3)))
    with pytest.raises(ValueError, match=r"embedding: table must be 2-D \(input_dim, "
                       r"output_dim\); got table shape \(4,\)"):
        dw.nn.embedding(np.array([0]), dw.ones(4))


def test_matches_torch_gradient():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    table, ids = rng.normal(size=(7, 4)), rng.integers(0, 7, size=(5, 6))
    w = rng.normal(size=(5, 6, 4))
    t = dw.tensor(table, requires_grad=True)
    (g,) = dw.grad((dw.nn.embedding(ids, t) * dw.tensor(w)).sum(), [t])
    tt = torch.tensor(table, requires_grad=True)
    out = torch.nn.functional.embedding(torch.tensor(ids), tt)
    (rg,) = torch.autograd.grad((out * torch.tensor(w)).sum(), [tt])
    np.testing.assert_allclose(g.numpy(), rg.numpy(), atol=1e-13)
