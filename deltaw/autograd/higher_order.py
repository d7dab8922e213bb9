"""Backward rules run on Tensors: what `create_graph=True` needs (see engine.py's docstring).

Three things live here:

- `GraphNumpy`, the namespace a rule gets as `xp` when a graph of the backward pass is wanted: the
  NumPy names of the dw ops (dw ops are NumPy-named), so `xp.where(c, g, 0)` in a rule records a
  `where` node instead of computing an array. `deltaw.ops` installs the functions (the engine may
  not import the ops: they sit above it). A NumPy name with no dw op raises AttributeError naming
  it, so a rule that is not Tensor-ready fails loudly instead of leaving the graph.
- `saved_tensors(node)`: the node's saved values with every array that is one of the op's inputs
  or its output replaced by a Tensor at that place in the graph (the parent's node, the leaf, or
  the node itself), so second derivatives flow through them. Arrays identified with neither (masks,
  indices) stay arrays: constants of the backward pass.
- `NOT_TWICE`: THE list of ops whose backward cannot yet run on Tensors, with the reason. Under
  create_graph they raise a clear error naming the op, never a wrong answer. The op table's
  coverage test fails for an op that has neither a second-order row nor an entry here.
"""

from __future__ import annotations

from deltaw.autograd import mode
from deltaw.autograd.node import Node

# Every other registered op's rule is Tensor-ready (tests/ops/test_gradgradcheck.py checks each
# against finite differences). A new op whose rule is not goes here, with the reason, until it
# is; the coverage test fails for an op with neither a second-order row nor an entry.
NOT_TWICE: dict[str, str] = {
    "sync_batch_norm_train_update": "its backward sums statistics over the MPI ranks with an "
                                    "allreduce on arrays; a Tensor form needs a differentiable "
                                    "allreduce",
}


class GraphNumpy:
    """`xp` for rules that record: NumPy names bound to dw ops (installed by deltaw.ops)."""

    def __getattr__(self, name):
        raise AttributeError(
            f"create_graph: a backward rule called numpy.{name}, which has no Tensor "
            f"equivalent in deltaw's graph namespace; this op cannot be differentiated twice "
            f"yet. Add it to deltaw.autograd.higher_order.NOT_TWICE or give the rule a "
            f"Tensor-ready form.")


graph_numpy = GraphNumpy()


def install(**functions) -> None:
    """Bind NumPy names to dw functions in `graph_numpy` (called once by deltaw.ops)."""
    for name, fn in functions.items():
        setattr(graph_numpy, name, fn)


def graph_backward(node, g):
    """Run `node`'s backward rule on Tensors, recording its own graph."""
    op = node.op
    reason = NOT_TWICE.get(op.name)
    if reason is not None:
        raise RuntimeError(f"create_graph: the op '{op.name}' cannot be differentiated twice yet "
                           f"({reason}); expected only ops outside "
                           "deltaw.autograd.higher_order.NOT_TWICE under create_graph=True.")
    saved = saved_tensors(node)
    with mode.enable_grad():
        return op.backward(graph_numpy, g, saved, node.needs)


def composite_vjp(composite, inputs, needs, g):
    """The gradients of `composite(*inputs)` (an op's forward rebuilt from dw ops) with seed `g`,
    for the inputs that `needs` marks, as graph Tensors: the create_graph form of a fused op's
    backward whose rule cannot run on Tensors (the recurrent ops). `inputs` are the op's inputs
    at their graph positions (Tensors) or constants (arrays)."""
    wrt = [x for x, need in zip(inputs, needs, strict=True)
           if need and isinstance(x, Tensor) and x.requires_grad]
    with mode.enable_grad():
        out = composite(*inputs)
    grads = iter(engine.grad_within(out, wrt, g) if wrt and out.requires_grad
                 else [None] * len(wrt))
    return tuple(next(grads) if need and isinstance(x, Tensor) and x.requires_grad else None
                 for x, need in zip(inputs, needs, strict=True))


def saved_tensors(node):
    """`node.saved` with arrays that are its inputs or output replaced by graph Tensors."""
    known = {node.out_id: node}
    for parent in node.parents:
        if parent is None:
            continue
        if type(parent) is Node:
            known[parent.out_id] = parent
        else:  # a leaf Tensor
            known[id(parent.data)] = parent
    return _replace(node.saved, known)


def _replace(value, known):
    if isinstance(value, tuple | list):
        items = [_replace(v, known) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        owner = known.get(id(value))
        if owner is None:
            return value
        if type(owner) is Node:
            return Tensor._from_op(value, owner)
        return owner  # the leaf itself
    return value


from deltaw.autograd import engine  # noqa: E402  (the engine imports this module)
from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports the engine at its end)
