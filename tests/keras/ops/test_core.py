"""deltaw.keras.ops core functions without Keras: conversion, casting, slicing, scattering,
control flow and custom gradients."""

import numpy as np
import pytest

import deltaw as dw
import deltaw.keras as dk
import deltaw.keras.ops as ops


def test_convert_to_tensor_follows_keras_defaults():
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1.0, 2]).dtype == np.float32
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64  # arrays keep their dtype
    assert ops.convert_to_tensor(True).dtype == np.bool_
    x = dw.tensor([1.0])
    assert ops.convert_to_tensor(x) is x
    assert ops.convert_to_tensor(x, "float64").dtype == np.float64


def test_convert_to_tensor_rejects_sparse_and_objects():
    with pytest.raises(ValueError, match=r"^convert_to_tensor: deltaw tensors are dense"):
        ops.convert_to_tensor([1.0], sparse=True)
    with pytest.raises(TypeError, match=r"^convert_to_tensor: cannot convert list of objects"):
        ops.convert_to_tensor([object()])


def test_introspection():
    x = dw.tensor(np.ones((2, 3), np.float32))
    assert ops.shape(x) == (2, 3) and ops.shape(np.ones(4)) == (4,)
    assert ops.dtype(x) == "float32" and ops.dtype([1, 2]) == "int32"
    assert ops.is_tensor(x) and not ops.is_tensor(np.ones(2))
    assert isinstance(ops.convert_to_numpy(x), np.ndarray)


def test_cast_is_differentiable_between_floats():
    x = dw.tensor([1.5, 2.5], requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.dtype == np.float64
    (g,) = dw.grad(ops.sum(y * 2.0), [x])
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])
    assert ops.cast(x, "int32").dtype == np.int32


def test_saturate_cast_clips_to_the_target_range():
    out = ops.saturate_cast(np.array([-5.0, 300.0, 20.7], np.float32), "uint8")
    np.testing.assert_array_equal(out.numpy(), [0, 255, 20])
    out = ops.saturate_cast(np.array([1e10, -1e10]), "int32")
    np.testing.assert_array_equal(out.numpy(), [2**31 - 1, -(2**31)])


def test_stop_gradient_blocks_the_gradient():
    x = dw.tensor([2.0], requires_grad=True)
    (g,) = dw.grad(ops.sum(x * ops.stop_gradient(x)), [x])
    np.testing.assert_array_equal(g.numpy(), [2.0])


def test_slice_and_slice_update():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ops.slice(x, (1, 1), (2, -1)).numpy(), x[1:3, 1:])
    upd = ops.slice_update(x, (1, 2), np.zeros((2, 2)))
    expected = x.copy()
    expected[1:3, 2:4] = 0
    np.testing.assert_array_equal(upd.numpy(), expected)
    a = dw.tensor(np.ones((3, 4)), requires_grad=True)
    b = dw.tensor(np.ones((2, 2)), requires_grad=True)
    assert dw.gradcheck(lambda a, b: ops.slice_update(a, (0, 1), b), [a, b])


def test_slice_errors():
    with pytest.raises(ValueError, match=r"^slice: expected one start index and size per axis"):
        ops.slice(np.ones((2, 2)), (0,), (1,))
    with pytest.raises(ValueError, match=r"^slice_update: updates of shape \(3, 3\) do not fit"):
        ops.slice_update(np.ones((2, 2)), (0, 0), np.ones((3, 3)))


def test_scatter_adds_repeated_indices():
    out = ops.scatter([[0, 1], [2, 2], [0, 1]], np.array([1.0, 2.0, 3.0]), (3, 3))
    expected = np.zeros((3, 3))
    expected[0, 1], expected[2, 2] = 4.0, 2.0
    np.testing.assert_array_equal(out.numpy(), expected)
    with pytest.raises(TypeError, match=r"^scatter: indices must be integers"):
        ops.scatter([[0.5]], np.ones(1), (2,))


def test_scatter_update_replaces_and_last_repeated_update_wins():
    out = ops.scatter_update(np.zeros(3), [[0], [2], [0]], np.array([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(out.numpy(), [5.0, 0.0, 2.0])
    rows = ops.scatter_update(np.zeros((2, 3)), [[1]], np.ones((1, 3)))
    np.testing.assert_array_equal(rows.numpy(), [[0, 0, 0], [1, 1, 1]])
    added = ops.scatter_update(np.ones(3), [[1], [1]], np.array([2.0, 3.0]), reduction="add")
    np.testing.assert_array_equal(added.numpy(), [1.0, 6.0, 1.0])
    maxed = ops.scatter_update(np.ones(3), [[1], [2]], np.array([4.0, 0.0]), reduction="max")
    np.testing.assert_array_equal(maxed.numpy(), [1.0, 4.0, 1.0])
    with pytest.raises(ValueError, match=r"^scatter_update: unknown reduction 'avg'"):
        ops.scatter_update(np.ones(3), [[1]], np.ones(1), reduction="avg")


def test_scatter_update_gradients():
    x = dw.tensor(np.random.default_rng(0).uniform(size=(3, 4)), requires_grad=True)
    u = dw.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    idx = np.array([[0, 1], [2, 3], [0, 1]])
    assert dw.gradcheck(lambda x, u: ops.scatter_update(x, idx, u), [x, u])
    assert dw.gradcheck(lambda x, u: ops.scatter_update(x, idx, u, reduction="add"), [x, u])


def test_unstack():
    parts = ops.unstack(np.arange(6.0).reshape(2, 3), axis=1)
    assert [p.numpy().tolist() for p in parts] == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    with pytest.raises(ValueError, match=r"^unstack: num must equal the size of axis 0"):
        ops.unstack(np.ones((2, 3)), num=3)


def test_cond_switch_and_loops():
    assert ops.cond(dw.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda x: x + 1, lambda x: x - 1], 1.0) == 0.0  # clamped, as Keras
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    i, j = ops.while_loop(lambda i, j: i < 3, lambda i, j: (i + 1, j * 2), (0, 1))
    assert (i.item(), j.item()) == (3, 8) and i.dtype == np.int32
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=4).item() == 4
    with pytest.raises(ValueError, match=r"^while_loop: body must return as many values"):
        ops.while_loop(lambda i, j: i < 3, lambda i, j: i + 1, (0, 1))


def test_gradients_flow_through_loops():
    x = dw.tensor(1.5, requires_grad=True)
    y = ops.fori_loop(0, 3, lambda i, v: v * x, dw.tensor(1.0))
    (g,) = dw.grad(y, [x])
    assert np.isclose(g.item(), 3 * 1.5**2)


def test_map_scan_and_associative_scan():
    doubled = ops.map(lambda v: v * 2, np.arange(3.0))
    np.testing.assert_array_equal(doubled.numpy(), [0.0, 2.0, 4.0])
    pairs = ops.map(lambda d: d["a"] + d["b"], {"a": np.ones(2), "b": np.arange(2.0)})
    np.testing.assert_array_equal(pairs.numpy(), [1.0, 2.0])
    carry, ys = ops.scan(lambda c, v: (c + v, c * v), 0.0, np.arange(4.0))
    assert carry.item() == 6.0
    np.testing.assert_array_equal(ys.numpy(), [0.0, 0.0, 2.0, 9.0])
    carry, ys = ops.scan(lambda c, v: (c + v, c), 0.0, np.arange(3.0), reverse=True)
    np.testing.assert_array_equal(ys.numpy(), [3.0, 2.0, 0.0])
    prefix = ops.associative_scan(lambda a, b: a + b, np.arange(5.0))
    np.testing.assert_array_equal(prefix.numpy(), [0.0, 1.0, 3.0, 6.0, 10.0])
    suffix = ops.associative_scan(lambda a, b: a * b, np.arange(1.0, 4.0), reverse=True)
    np.testing.assert_array_equal(suffix.numpy(), [6.0, 6.0, 3.0])
    np.testing.assert_array_equal(ops.vectorized_map(lambda v: v.sum(), np.ones((2, 3))).numpy(),
                                  [3.0, 3.0])
    with pytest.raises(ValueError, match=r"^scan: expected xs or length"):
        ops.scan(lambda c, v: (c, v), 0.0)


def test_custom_gradient_uses_the_given_rule():
    @ops.custom_gradient
    def clip_gradient(x):
        def grad(upstream):
            return ops.clip(upstream, -0.1, 0.1)
        return x * 1.0, grad

    x = dw.tensor([1.0, 2.0], requires_grad=True)
    (g,) = dw.grad(ops.sum(clip_gradient(x) * 5.0), [x])
    np.testing.assert_allclose(g.numpy(), [0.1, 0.1])


def test_custom_gradient_errors():
    bad = ops.custom_gradient(lambda x: (x, None))
    with pytest.raises(TypeError, match=r"^custom_gradient: .*callable grad_fn"):
        bad(dw.tensor([1.0], requires_grad=True))
    two = ops.custom_gradient(lambda x: (x * 1.0, lambda g: (g, g)))
    y = two(dw.tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match=r"^custom_gradient: grad_fn must return one gradient"):
        y.sum().backward()


def test_ops_is_a_keras_submodule():
    assert dk.ops is ops and "ops" in dir(dk)
    assert ops.add.__wrapped__ is ops.numpy.add and ops.inv.__wrapped__ is ops.linalg.inv
    assert ops.cast.__wrapped__ is ops.core.cast


def test_rearrange_splits_merges_and_permutes():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.rearrange(x, "b h w -> b (w h)").numpy(),
                                  x.transpose(0, 2, 1).reshape(2, 12))
    np.testing.assert_array_equal(ops.rearrange(x, "b h (w1 w2) -> w2 b h w1", w2=2).numpy(),
                                  x.reshape(2, 3, 2, 2).transpose(3, 0, 1, 2))
    t = dw.tensor(x, requires_grad=True)
    assert dw.gradcheck(lambda v: ops.rearrange(v, "b h w -> (w b) h"), [t])


@pytest.mark.parametrize("pattern, lengths, match", [
    ("b h w", {}, r"^rearrange: the pattern must contain one '->'"),
    ("b h -> b h", {}, r"^rearrange: the pattern's input side names 2 axes"),
    ("b h w -> b h", {}, r"^rearrange: both sides must name the same axes once each"),
    ("b (h (w)) -> b h w", {}, r"^rearrange: nested parentheses"),
    ("b h (w -> b h w", {}, r"^rearrange: unbalanced parentheses"),
    ("b (h w) -> b h w", {}, r"^rearrange: cannot infer the sizes of \['h', 'w'\]"),
    ("b (h w) -> b h w", {"h": 5}, r"^rearrange: axes \[.h., .w.\] of sizes \[5, 2\] do not"),
    ("b 2h w -> b w 2h", {}, r"^rearrange: axis names must be identifiers"),
])
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.ones((2, 12)) if "(h w)" in pattern else np.ones((2, 3, 4)), pattern,
                      **lengths)
