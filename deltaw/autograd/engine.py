"""The reverse sweep: order the recorded nodes, apply each backward rule, accumulate gradients.

One rule, two modes. Every backward rule is written once, as `rule(xp, g, saved, needs)`, against
a NumPy-named namespace `xp`:

- First order (the default, what training runs): the sweep passes arrays and `xp = numpy`. Nothing
  is recorded and nothing is added to the per-node work; this is the fast path.
- `create_graph=True` (`dw.grad(..., create_graph=True)`, `Tensor.backward(create_graph=True)`,
  nested `GradientTape`s): the sweep passes Tensors and `xp = higher_order.graph_numpy`, the dw
  ops under their NumPy names, with grad mode on. The same rule then records a graph of the
  backward pass, so its results can be differentiated again, to any order. The saved arrays that
  are the op's inputs or output come back as Tensors at their place in the graph
  (`higher_order.saved_tensors`, matched by identity through `Node.out_id`); other saved arrays
  (masks, indices) are constants of the backward pass, which is exactly right for relu, abs, max,
  clip and where: their second derivative is zero almost everywhere and comes out as zeros.

A rule is Tensor-ready when it uses only `xp.*` functions with dw equivalents, Tensor methods and
operators, and no in-place writes (`a[i] = ...`, `np.add.at`, `out=`). Where the fast path needs
those, or reads values the forward derived from its inputs (a fused op's saved probabilities,
statistics or activations), the rule branches on `xp is numpy`: the graph branch rebuilds the
derived values from the input Tensors, scatters with `index_add` (whose backward is a gather:
getitem, conv, pooling, embedding) or, for the recurrent ops, rebuilds the recurrence from dw ops
and differentiates it (`higher_order.composite_vjp`, which stops at the op's inputs:
`grad_within`). Ops whose rule is not Tensor-ready yet are listed, with the reason, in ONE place,
`higher_order.NOT_TWICE`; under create_graph they raise a clear error naming the op instead of
returning a wrong answer.
"""

from __future__ import annotations

import contextlib

import numpy as np

from deltaw.autograd import anomaly, higher_order, mode
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


def _reverse_topological_within(root: Node, stop: set) -> list[Node]:
    """`_reverse_topological`, not expanding the nodes whose id is in `stop` (kept apart so that
    the first-order path pays nothing for it)."""
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
        if id(node) in stop:
            continue
        for parent in node.parents:
            if type(parent) is Node and parent not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _sweep(root, grad, retain_graph, capture, create_graph=False, within=False):
    """Backpropagate `grad` from `root`.

    Without `capture`, leaf gradients are added into `.grad`. With `capture` (a dict from
    id(node or leaf) to slot), the gradients reaching those tensors are returned in a list and
    `.grad` is untouched. With `create_graph`, `grad` and every gradient are Tensors and the
    rules record (see the module docstring).
    """
    results = None if capture is None else [None] * len(set(capture.values()))
    node = root._node
    if node is None:
        if capture is not None and id(root) in capture:
            results[capture[id(root)]] = grad
            return results
        if capture is None and root.requires_grad:  # a leaf: d(leaf)/d(leaf) = 1, as torch
            _accumulate_leaf(root, grad, create_graph)
            return results
        raise RuntimeError("backward: this tensor does not require grad and has no recorded "
                           "graph; set requires_grad=True on the inputs before computing it.")
    pending = {node: grad}
    order = (_reverse_topological_within(root._node, set(capture)) if within
             else _reverse_topological(root._node))
    for node in order:
        g = pending.pop(node, None)
        if g is None:
            continue
        if capture is not None and id(node) in capture:
            _add_result(results, capture[id(node)], g)
            if within:
                continue  # an input of the op being differentiated: nothing beyond it
        if node.saved is FREED:
            raise RuntimeError("backward: the graph was freed by an earlier backward; "
                               "pass retain_graph=True to the first call.")
        if node.versions is not None:
            _check_versions(node)
        if create_graph:
            grads = higher_order.graph_backward(node, g)
        else:
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
                _accumulate_leaf(parent, gp, create_graph)
            elif id(parent) in capture:
                _add_result(results, capture[id(parent)], gp)
        if not retain_graph:
            node.saved = FREED
    return results


def _add_result(results, slot, g):
    results[slot] = g if results[slot] is None else results[slot] + g


def _accumulate_leaf(leaf, g, create_graph=False):
    if create_graph:  # .grad keeps its graph, as torch's does under create_graph
        g = g if isinstance(g, Tensor) else Tensor._from_op(_as_ndarray(g), None)
        if g.dtype != leaf.data.dtype:
            g = g.astype(leaf.data.dtype)
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        if not leaf.grad.requires_grad:
            leaf.grad = _tied(leaf.grad, leaf)
        return
    # never in place: `g` may be shared with another gradient
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
    if leaf.grad is not None:
        g = leaf.grad.data + g
    leaf.grad = Tensor._from_op(_as_ndarray(g), None)


def _as_ndarray(g):
    # arithmetic on 0-d arrays gives NumPy scalars; a Tensor always holds an array
    return np.asarray(g) if isinstance(g, np.generic) else g


def _initial_grad(root, grad, where, create_graph=False):
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"{where}: output has shape {root.shape}; "
                               "pass grad= for a non-scalar output.")
        g = np.ones_like(root.data)
    elif create_graph and isinstance(grad, Tensor):
        if grad.shape != root.shape:
            raise ValueError(f"{where}: grad must have the output's shape; expected "
                             f"{root.shape}, got {grad.shape}.")
        # the seed keeps its own graph: d/d(seed) of the result is how jvp works (double vjp)
        return grad if grad.dtype == root.data.dtype else grad.astype(root.data.dtype)
    else:
        g = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.data.dtype)
        if g.shape != root.shape:
            raise ValueError(f"{where}: grad must have the output's shape; expected "
                             f"{root.shape}, got {g.shape}.")
        g = g.astype(root.data.dtype, copy=False)
    return Tensor._from_op(g, None) if create_graph else g


def backward(root, grad=None, retain_graph=None, create_graph=False) -> None:
    """Add d(root)/d(leaf) into `.grad` of every leaf that requires grad.

    `create_graph=True` makes the added gradients Tensors with their own graph (differentiable
    again); `retain_graph` defaults to `create_graph`, as in PyTorch.
    """
    retain_graph = create_graph if retain_graph is None else retain_graph
    g = _initial_grad(root, grad, "backward", create_graph)
    with mode.enable_grad() if create_graph else _NOTHING:
        _sweep(root, g, retain_graph, None, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, *,
         grad_output=None):
    """Gradients of `outputs` with respect to each of `inputs`; `.grad` is not touched.

    PyTorch's torch.autograd.grad: `outputs` is a Tensor or a sequence of them (their gradients
    add up), `grad_outputs` the matching seeds (None: ones for a one-element output).
    `create_graph=True` returns gradients with their own graph, which can be differentiated
    again; `retain_graph` defaults to `create_graph`. `grad_output=` is the older spelling of
    `grad_outputs` for one output.

    Differences from PyTorch: an input that `outputs` does not depend on gets None (torch
    raises unless allow_unused=True; TensorFlow returns None), and the result is a list, or a
    single Tensor when `inputs` is a single Tensor.
    """
    if grad_output is not None:
        if grad_outputs is not None:
            raise TypeError("grad: got both grad_outputs and grad_output; expected one of them.")
        grad_outputs = grad_output
    retain_graph = create_graph if retain_graph is None else retain_graph
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] must be a Tensor; got {type(t).__name__}.")
    outputs, grad_outputs = _pair_outputs(outputs, grad_outputs)
    capture = {}
    for t in inputs:
        capture.setdefault(id(t._node) if t._node is not None else id(t), len(capture))
    slots = [capture[id(t._node) if t._node is not None else id(t)] for t in inputs]
    total = [None] * len(capture)
    with mode.enable_grad() if create_graph else _NOTHING:
        for k, (out, seed) in enumerate(zip(outputs, grad_outputs, strict=True)):
            g = _initial_grad(out, seed, "grad", create_graph)
            keep = retain_graph or k < len(outputs) - 1
            for i, r in enumerate(_sweep(out, g, keep, capture, create_graph)):
                if r is not None:
                    total[i] = r if total[i] is None else total[i] + r
    result = [_as_result(total[s], create_graph, t) for s, t in zip(slots, inputs, strict=True)]
    return result[0] if single else result


def grad_within(output, inputs, grad_output):
    """create_graph gradients of `output` with respect to `inputs`, without looking past them.

    For `higher_order.composite_vjp`: the inputs are the graph positions of an op's inputs and
    `output` a composite rebuilt from them, so the partial derivatives stop at the inputs (the
    sweep would otherwise walk on through the rest of the original graph).
    """
    capture = {}
    for t in inputs:
        capture.setdefault(id(t._node) if t._node is not None else id(t), len(capture))
    g = _initial_grad(output, grad_output, "grad", True)
    with mode.enable_grad():
        results = _sweep(output, g, True, capture, True, within=True)
    return [results[capture[id(t._node) if t._node is not None else id(t)]] for t in inputs]


def _pair_outputs(outputs, grad_outputs):
    if isinstance(outputs, Tensor):
        if isinstance(grad_outputs, list | tuple) and len(grad_outputs) == 1 and isinstance(
                grad_outputs[0], Tensor):
            grad_outputs = grad_outputs[0]  # torch's grad_outputs=[v] for one output
        return [outputs], [grad_outputs]
    outputs = list(outputs)
    if grad_outputs is None:
        return outputs, [None] * len(outputs)
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: grad_outputs must match outputs; expected {len(outputs)} "
                         f"seeds, got {len(grad_outputs)}.")
    return outputs, grad_outputs


def _as_result(g, create_graph, source):
    if g is None:
        return None
    if not isinstance(g, Tensor):
        g = Tensor._from_op(_as_ndarray(g), None)
    if create_graph and not g.requires_grad and source.requires_grad:
        g = _tied(g, source)
    return g


def _tied(g, source):
    """A gradient that came out constant (every path through it is piecewise linear: relu, abs,
    clip, where, max...) tied to its source with a zero derivative, where(True, g, source), so
    differentiating it again gives the correct zeros rather than an error (as torch)."""
    if g.shape != source.shape:
        return g
    return _where(np.ones(g.shape, dtype=bool), g, source)


_NOTHING = contextlib.nullcontext()


from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports the engine lazily)


def _where(condition, x1, x2):
    return higher_order.graph_numpy.where(condition, x1, x2)  # dw.where (installed by the ops)
