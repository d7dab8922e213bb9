"""The `@primitive` decorator, the OPS registry and `apply`, the forward fast path of every op."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from deltaw.autograd import anomaly, mode
from deltaw.autograd.node import Node
from deltaw.dtypes import as_array

OPS: dict[str, Op] = {}


class Op:
    """A registered primitive: its forward, its backward rule, and how many array inputs it takes.

    `nin` is the number of leading positional arguments that are arrays; -1 means every positional
    argument is (variadic ops such as concatenate).
    """

    __slots__ = ("name", "forward", "backward", "differentiable", "nin")

    def __init__(self, name, forward, differentiable, nin):
        self.name = name
        self.forward = forward
        self.backward = None
        self.differentiable = differentiable
        self.nin = nin

    def __repr__(self):
        return f"<Op {self.name}>"


def _count_array_inputs(forward) -> int:
    params = list(inspect.signature(forward).parameters.values())[1:]  # drop xp
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return -1
    return sum(1 for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)


def primitive(name: str, differentiable: bool = True, nin: int | None = None):
    """Register `forward(xp, *arrays, **params) -> (out, saved)` as the op `name`.

    Returns the public callable (the forward's signature without `xp`); its `.backward` decorator
    attaches `backward(xp, g, saved, needs) -> tuple of gradients`. `nin` overrides the count of
    array inputs, which is otherwise read from the forward's signature (the parameters after `xp`
    without defaults; all of them when it takes *arrays).
    """

    def decorate(forward):
        if name in OPS:
            raise ValueError(f"primitive: an op named {name!r} is already registered.")
        op = Op(name, forward, differentiable, _count_array_inputs(forward) if nin is None else nin)
        OPS[name] = op

        def public(*args, **params):
            return apply(op, args, params)

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


def apply(op: Op, args: tuple, params: dict):
    """Run `op` forward on raw arrays and, when a gradient is needed, record a Node."""
    nin = op.nin if op.nin >= 0 else len(args)
    inputs = args[:nin]
    like = _reference_dtype(inputs)
    arrays = [a.data if isinstance(a, Tensor) else as_array(a, like=like) for a in inputs]
    out, saved = op.forward(np, *arrays, *args[nin:], **params)
    if mode._anomaly:
        anomaly.check_forward(op, out, arrays)
    if not (mode._enabled and op.differentiable):
        return Tensor._from_op(out, None)
    parents, needs, versions, recorded = [], [], [], False
    for a in inputs:
        if isinstance(a, Tensor) and a.requires_grad:
            node = a._node
            parents.append(node if node is not None else a)
            versions.append(None if node is not None else a._version)
            needs.append(True)
            recorded = True
        else:
            parents.append(None)
            versions.append(None)
            needs.append(False)
    if not recorded:
        return Tensor._from_op(out, None)
    node = Node(op, parents, [x.shape for x in arrays], saved, tuple(needs), versions)
    if mode._anomaly:
        anomaly.tag(node)
    return Tensor._from_op(out, node)


from deltaw.tensor import Tensor  # noqa: E402  (tensor.py imports this module's users at its end)
