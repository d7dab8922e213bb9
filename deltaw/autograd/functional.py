"""Functional transforms with torch.autograd.functional's names and meanings: vjp, jvp, jacobian,
hessian, hvp, vhp.

`func` takes Tensors (one per input) and returns a Tensor or a tuple of Tensors. `inputs` is a
Tensor or a tuple of them; results follow the same structure (a tuple where `inputs` was one).
With `create_graph=True` the results keep their graph and can be differentiated again;
otherwise they are plain (detached) Tensors. `strict=True` raises when an output does not depend
on an input (torch's meaning); otherwise such gradients are zeros.

How each is computed (all by reverse mode, on the engine's create_graph):
- vjp: one backward pass seeded with v.
- jvp: the double-vjp trick. g(u) = J^T u is linear in a dummy seed u, so the vjp of g with
  seed v is J v. Two backward passes; no forward-mode engine is needed.
- jacobian: one backward pass per output element (the rows of J).
- hessian: the jacobian of the gradient (first backward with create_graph).
- vhp: v^T H, the vjp of the gradient. hvp: H v. For a twice continuously differentiable
  function H is symmetric, so H v = (v^T H)^T and hvp is computed as vhp (torch computes it by
  double backward instead; the values agree).

Example:
    >>> x = dw.tensor([1.0, 2.0])
    >>> dw.autograd.functional.hessian(lambda t: (t * t * t).sum(), x)
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""

from __future__ import annotations

import numpy as np

from deltaw.autograd import engine, mode
from deltaw.tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, as torch.autograd.functional.vjp.

    `v` has the structure and shapes of func's output; it may be None only for an output with
    one element.
    """
    is_tuple, inputs = _as_tuple("vjp", "inputs", inputs)
    with mode.enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple("vjp", "func's output", func(*inputs))
        seeds = _seeds("vjp", v, outputs, "outputs")
        grads = _grads(outputs, inputs, seeds, create_graph, strict, "vjp")
    return _result(out_is_tuple, _finish(outputs, create_graph)), _result(is_tuple, grads)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, as torch.autograd.functional.jvp.

    Computed by the double-vjp trick (see the module docstring). `v` has the structure and
    shapes of `inputs`; it may be None only for an input with one element.
    """
    is_tuple, inputs = _as_tuple("jvp", "inputs", inputs)
    seeds = _seeds("jvp", v, inputs, "inputs")
    with mode.enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple("jvp", "func's output", func(*inputs))
        dummies = [Tensor(np.zeros_like(o.data), requires_grad=True) for o in outputs]
        g = _grads(outputs, inputs, dummies, True, strict, "jvp")          # J^T u, linear in u
        connected = [(gi, s) for gi, s in zip(g, seeds, strict=True) if gi.requires_grad]
        if connected:
            jv = engine.grad([gi for gi, _ in connected], dummies,
                             grad_outputs=[s for _, s in connected], create_graph=create_graph)
        else:
            jv = [None] * len(outputs)
    jv = [_zeros_like(o) if j is None else _finish_one(j, create_graph)
          for j, o in zip(jv, outputs, strict=True)]
    return _result(out_is_tuple, _finish(outputs, create_graph)), _result(out_is_tuple, jv)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of func at inputs, as torch.autograd.functional.jacobian.

    For one input and one output, a Tensor of shape `output.shape + input.shape`; otherwise
    nested tuples: `J[i][j]` is d output_i / d input_j (the outer level for the outputs, as
    torch). `vectorize` is accepted for compatibility and ignored; only
    strategy='reverse-mode' is supported (one backward pass per output element).
    """
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: only strategy='reverse-mode' is supported; got "
                         f"{strategy!r}.")
    is_tuple, inputs = _as_tuple("jacobian", "inputs", inputs)
    with mode.enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple("jacobian", "func's output", func(*inputs))
        blocks = [_jacobian_rows(o, inputs, create_graph, strict) for o in outputs]
    if not out_is_tuple:
        return _result(is_tuple, blocks[0])
    return tuple(_result(is_tuple, b) for b in blocks)


def _jacobian_rows(output, inputs, create_graph, strict):
    """d output / d each input, each of shape output.shape + input.shape."""
    n = output.data.size
    rows = [[] for _ in inputs]
    for k in range(n):
        seed = np.zeros(n, dtype=output.data.dtype)
        seed[k] = 1
        grads = _grads([output], inputs, [Tensor(seed.reshape(output.shape))], create_graph,
                       strict, "jacobian", retain=True)
        for r, g in zip(rows, grads, strict=True):
            r.append(g)
    blocks = []
    for inp, r in zip(inputs, rows, strict=True):
        shape = output.shape + inp.shape
        if not r:
            blocks.append(Tensor(np.zeros(shape, dtype=inp.data.dtype)))
        elif create_graph:
            blocks.append(_stack(r).reshape(shape))
        else:
            blocks.append(Tensor(np.stack([g.data for g in r]).reshape(shape)))
    return blocks


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func at inputs, as torch.autograd.functional.hessian.

    For one input a Tensor of shape `input.shape + input.shape`; for several, `H[i][j]` of shape
    `input_i.shape + input_j.shape`.
    """
    is_tuple, inputs = _as_tuple("hessian", "inputs", inputs)

    def gradient(*xs):
        out = _scalar_output("hessian", func(*xs))
        return tuple(_grads([out], list(xs), [None], True, strict, "hessian"))

    result = jacobian(gradient, tuple(inputs), create_graph, strict, vectorize,
                      outer_jacobian_strategy)
    return result if is_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func, as torch.autograd.functional.vhp."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func, as torch.autograd.functional.hvp (computed as
    vhp: H is symmetric, see the module docstring)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(where, func, inputs, v, create_graph, strict):
    is_tuple, inputs = _as_tuple(where, "inputs", inputs)
    seeds = _seeds(where, v, inputs, "inputs")
    with mode.enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = _scalar_output(where, func(*inputs))
        grads = _grads([out], inputs, [None], True, strict, where)
        connected = [(g, s) for g, s in zip(grads, seeds, strict=True) if g.requires_grad]
        if connected:
            prod = _grads([g for g, _ in connected], inputs, [s for _, s in connected],
                          create_graph, strict, where)
        else:
            prod = [_zeros_like(x) for x in inputs]
    return _finish_one(out, create_graph), _result(is_tuple, prod)


# ----------------------------------------------------------------------------- helpers


def _as_tuple(where, what, value):
    if isinstance(value, tuple | list):
        items = tuple(value)
        is_tuple = True
    else:
        items, is_tuple = (value,), False
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: {what} must be Tensors; got {type(t).__name__} at "
                            f"position {i}.")
    return is_tuple, items


def _prepare(inputs, create_graph):
    """Inputs the transform can differentiate with respect to: fresh leaves, or (with
    create_graph, for inputs with a graph) the same values still connected to it."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.reshape(x.shape))   # a new node over x: gradients still reach x's graph
        else:
            out.append(Tensor(x.data, requires_grad=x.data.dtype.kind == "f"))
    return out


def _seeds(where, v, like, what):
    if v is None:
        if any(t.data.size != 1 for t in like):
            raise RuntimeError(f"{where}: v can be None only when every one of the {what} has "
                               f"a single element; got shapes {[t.shape for t in like]}.")
        return [Tensor(np.ones_like(t.data)) for t in like]
    _, vs = _as_tuple(where, "v", v)
    if len(vs) != len(like):
        raise RuntimeError(f"{where}: v must match the {what}; expected {len(like)} Tensors, "
                           f"got {len(vs)}.")
    for i, (s, t) in enumerate(zip(vs, like, strict=True)):
        if s.shape != t.shape:
            raise RuntimeError(f"{where}: v[{i}] must have the shape of {what}[{i}]; expected "
                               f"{t.shape}, got {s.shape}.")
    return list(vs)


def _grads(outputs, inputs, seeds, create_graph, strict, where, retain=None):
    live = [(o, s) for o, s in zip(outputs, seeds, strict=True) if o.requires_grad]
    if not live:
        grads = [None] * len(inputs)
    else:
        grads = engine.grad([o for o, _ in live], list(inputs),
                            grad_outputs=[s for _, s in live],
                            retain_graph=True if retain else None, create_graph=create_graph)
    if strict and any(g is None for g in grads):
        i = next(i for i, g in enumerate(grads) if g is None)
        raise RuntimeError(f"{where}: the output does not depend on input {i}; strict=True "
                           "requires every input to be used.")
    return [_zeros_like(x) if g is None else g for g, x in zip(grads, inputs, strict=True)]


def _scalar_output(where, out):
    if not isinstance(out, Tensor) or out.data.size != 1:
        shape = out.shape if isinstance(out, Tensor) else type(out).__name__
        raise RuntimeError(f"{where}: func must return a single-element Tensor; got {shape}.")
    return out


def _zeros_like(x):
    return Tensor(np.zeros_like(x.data))


def _stack(tensors):
    from deltaw.autograd.higher_order import graph_numpy  # dw.stack, installed by the ops

    return graph_numpy.stack(tensors, axis=0)


def _finish_one(t, create_graph):
    return t if create_graph else t.detach()


def _finish(tensors, create_graph):
    return [_finish_one(t, create_graph) for t in tensors]


def _result(is_tuple, items):
    return tuple(items) if is_tuple else items[0]
