"""The `@primitive` decorator, the OPS registry and `apply`, the forward fast path of every op."""

from __future__ import annotations

import functools
import inspect
import operator
import threading

import numpy as np

from deltaw.autograd import anomaly, mode
from deltaw.autograd.node import Node
from deltaw.dtypes import as_array

OPS: dict[str, Op] = {}
_shape_of = operator.attrgetter("shape")  # C-level, for the hot path
_thread_id = threading.get_ident
_new_object = object.__new__
_ndarray, _scalar = np.ndarray, np.generic


class Op:
    """A registered primitive: its forward, its backward rule, and how many array inputs it takes.

    `nin` is the number of leading positional arguments that are arrays; -1 means every positional
    argument is (variadic ops such as concatenate). `mutates` lists the array inputs the forward
    updates in place (BatchNormalization's moving statistics): applying the op bumps those
    Tensors' versions, and a replayed recording runs such an op even when no output needs it.
    """

    __slots__ = ("name", "forward", "backward", "differentiable", "nin", "mutates")

    def __init__(self, name, forward, differentiable, nin, mutates=()):
        self.name = name
        self.forward = forward
        self.backward = None
        self.differentiable = differentiable
        self.nin = nin
        self.mutates = tuple(mutates)

    def __repr__(self):
        return f"<Op {self.name}>"


def _count_array_inputs(forward) -> int:
    params = list(inspect.signature(forward).parameters.values())[1:]  # drop xp
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return -1
    return sum(1 for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)


def primitive(name: str, differentiable: bool = True, nin: int | None = None, mutates=()):
    """Register `forward(xp, *arrays, **params) -> (out, saved)` as the op `name`.

    Returns the public callable (the forward's signature without `xp`); its `.backward` decorator
    attaches `backward(xp, g, saved, needs) -> tuple of gradients`. `nin` overrides the count of
    array inputs, which is otherwise read from the forward's signature (the parameters after `xp`
    without defaults; all of them when it takes *arrays). `mutates`: see `Op`.
    """

    def decorate(forward):
        if name in OPS:
            raise ValueError(f"primitive: an op named {name!r} is already registered.")
        op = Op(name, forward, differentiable, _count_array_inputs(forward) if nin is None else nin,
                mutates)
        OPS[name] = op

        public = _make_public(op)
        functools.update_wrapper(public, forward)
        del public.__wrapped__
        sig = inspect.signature(forward)
        public.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
        public.op = op

        def attach_backward(rule):
            op.backward = rule
            return rule

        public.backward = attach_backward
        return public

    return decorate


def _reference_dtype(inputs):
    """The dtype Python scalars adopt: the first floating tensor's, else the first tensor's."""
    like = None
    for a in inputs:
        if isinstance(a, Tensor):
            dt = a.data.dtype
            if dt.kind == "f":
                return dt
            if like is None:
                like = dt
    return like


def _convert(inputs, arrays):
    """Replace the non-Tensor inputs' slots in `arrays` with arrays made by deltaw's dtype rules."""
    like = _reference_dtype(inputs)
    for i, a in enumerate(inputs):
        if not isinstance(a, Tensor):
            arrays[i] = as_array(a, like=like)


def _make_public(op: Op):
    """The callable users call: runs `op` forward on raw arrays and, when a gradient is needed,
    records a Node.

    This is the hot path of every op, so it is one closure (no further call before the forward)
    with the op's facts bound once, and one pass over the inputs collects arrays and parents.
    """
    forward, differentiable, fixed_nin, mutates = op.forward, op.differentiable, op.nin, op.mutates
    ndarray, scalar, ident = _ndarray, _scalar, id  # closure cells: cheaper than global lookups

    def public(*args, **params):
        nin = fixed_nin if fixed_nin >= 0 else len(args)
        inputs = args if len(args) == nin else args[:nin]
        arrays, parents, needs = [], [], []
        recorded = leaf = foreign = False
        for a in inputs:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                if a.requires_grad:
                    node = a._node
                    parents.append(node or a)
                    needs.append(True)
                    recorded = True
                    leaf = leaf or node is None
                    continue
            else:
                arrays.append(None)
                foreign = True
            parents.append(None)
            needs.append(False)
        if foreign:
            _convert(inputs, arrays)
        if params or len(args) != nin:
            out, saved = forward(np, *arrays, *args[nin:], **params)
        else:
            out, saved = forward(np, *arrays)
        if out.__class__ is not ndarray and isinstance(out, scalar):
            out, saved = _as_0d(out, saved)
        if mode._anomaly:
            anomaly.check_forward(op, out, arrays)
        if mutates:
            _count_changes(inputs, mutates)
        result = _new_object(Tensor)  # Tensor._from_op, inlined: this runs once per op
        result.data = out
        if mode._recording is not None:
            records = mode._recording.get(_thread_id())
            if records is not None:
                records.append((op, args, arrays, params, result))
        if not (recorded and differentiable and mode._enabled):
            result._node, result.requires_grad = None, False
            return result
        versions = None
        if leaf:  # remember each leaf's version, to catch in-place changes before backward
            versions = [None if p is None or p.__class__ is Node else p._version for p in parents]
        node = _new_object(Node)  # Node.__init__, inlined: this runs once per recorded op
        node.op = op
        node.parents = parents
        node.in_shapes = tuple(map(_shape_of, arrays))
        node.saved = saved
        node.needs = needs
        node.versions = versions
        node.out_id = ident(out)
        if mode._anomaly:
            anomaly.tag(node)
        result._node, result.requires_grad = node, True
        return result

    return public


def _as_0d(out, saved):
    """NumPy reduces 0-d results to scalars; a Tensor holds arrays. The saved copy of the output
    becomes the same array, so create_graph still recognizes it as the output (Node.out_id)."""
    arr = np.asarray(out)
    if type(saved) is tuple:
        saved = tuple(arr if s is out else s for s in saved)
    return arr, saved


def _count_changes(inputs, mutates) -> None:
    """Bump the version of each Tensor input the op changed in place, as Variable.assign does,
    so that a backward pass that saved it notices."""
    for i in mutates:
        if isinstance(inputs[i], Tensor):
            inputs[i]._version += 1


from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports this module's users at its end)
