"""The reverse sweep: order the recorded nodes, apply each backward rule, accumulate gradients."""

from __future__ import annotations

import numpy as np

from deltaw.autograd import anomaly, mode
from deltaw.autograd.node import FREED, Node


def sum_to_shape(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum `g` down to `shape`. The one place this happens."""
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _reverse_topological(root: Node) -> list[Node]:
    """Nodes reachable from `root`, each after every node that consumes it.

    Iterative, so a long chain cannot hit the recursion limit. A node is marked when it is
    expanded, not when it is pushed: marking at push time let a node reached by two paths
    (y in `y + y * 2`) be finished before one of its consumers, whose gradient was then lost.
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node.parents:
            if type(parent) is Node and parent not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _check_versions(node: Node) -> None:
    for parent, version in zip(node.parents, node.versions):
        if version is not None and parent._version != version:
            name = f" '{parent.name}'" if parent.name else ""
            raise RuntimeError(
                f"backward: tensor{name} of shape {parent.shape} was modified in place after "
                f"{node.op.name} used it; expected version {version}, got {parent._version}. "
                "Hint: update weights after backward, or compute the loss again.")


def _sweep(root, grad, retain_graph, capture):
    """Backpropagate `grad` from `root`.

    Without `capture`, leaf gradients are added into `.grad`. With `capture` (a dict from
    id(node or leaf) to slot), the gradients reaching those tensors are returned in a list and
    `.grad` is untouched.
    """
    results = None if capture is None else [None] * len(set(capture.values()))
    node = root._node
    if node is None:
        if capture is not None and id(root) in capture:
            results[capture[id(root)]] = grad
            return results
        if capture is None and root.requires_grad:  # a leaf: d(leaf)/d(leaf) = 1, as torch
            _accumulate_leaf(root, grad)
            return results
        raise RuntimeError("backward: this tensor does not require grad and has no recorded "
                           "graph; set requires_grad=True on the inputs before computing it.")
    pending = {node: grad}
    for node in _reverse_topological(root._node):
        g = pending.pop(node, None)
        if g is None:
            continue
        if capture is not None and id(node) in capture:
            _add_result(results, capture[id(node)], g)
        if node.saved is FREED:
            raise RuntimeError("backward: the graph was freed by an earlier backward; "
                               "pass retain_graph=True to the first call.")
        if node.versions is not None:
            _check_versions(node)
        grads = node.op.backward(np, g, node.saved, node.needs)
        if mode._anomaly:
            anomaly.check_backward(node, grads)
        for parent, shape, gp in zip(node.parents, node.in_shapes, grads):
            if gp is None or parent is None:
                continue
            if gp.shape != shape:
                gp = sum_to_shape(gp, shape)
            if type(parent) is Node:
                pending[parent] = pending[parent] + gp if parent in pending else gp
            elif capture is None:
                _accumulate_leaf(parent, gp)
            elif id(parent) in capture:
                _add_result(results, capture[id(parent)], gp)
        if not retain_graph:
            node.saved = FREED
    return results


def _add_result(results, slot, g):
    results[slot] = g if results[slot] is None else results[slot] + g


def _accumulate_leaf(leaf, g):
    # never in place: `g` may be shared with another gradient
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
    if leaf.grad is not None:
        g = leaf.grad.data + g
    leaf.grad = Tensor._from_op(_as_ndarray(g), None)


def _as_ndarray(g):
    # arithmetic on 0-d arrays gives NumPy scalars; a Tensor always holds an array
    return np.asarray(g) if isinstance(g, np.generic) else g


def _initial_grad(root, grad, where):
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"{where}: output has shape {root.shape}; "
                               "pass grad= for a non-scalar output.")
        return np.ones_like(root.data)
    g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.data.dtype)
    if g.shape != root.shape:
        raise ValueError(f"{where}: grad must have the output's shape; expected {root.shape}, "
                         f"got {g.shape}.")
    return g.astype(root.data.dtype, copy=False)


def backward(root, grad=None, retain_graph=False) -> None:
    """Add d(root)/d(leaf) into `.grad` of every leaf that requires grad."""
    _sweep(root, _initial_grad(root, grad, "backward"), retain_graph, None)


def grad(output, inputs, grad_output=None, retain_graph=False):
    """Gradients of `output` with respect to each of `inputs`, as a list; `.grad` is not touched.

    An input that `output` does not depend on gets None (as tf.GradientTape.gradient).
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] must be a Tensor; got {type(t).__name__}.")
    capture = {}
    for t in inputs:
        capture.setdefault(id(t._node) if t._node is not None else id(t), len(capture))
    slots = [capture[id(t._node) if t._node is not None else id(t)] for t in inputs]
    results = _sweep(output, _initial_grad(output, grad_output, "grad"), retain_graph, capture)
    out = [None if results[s] is None else Tensor._from_op(_as_ndarray(results[s]), None)
           for s in slots]
    return out[0] if single else out


from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports the engine lazily)
