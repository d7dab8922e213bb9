"""Recorded computations replayed without the Python that built them.

`recording()` collects every op application made inside it. `Program.build` turns one such
recording into a flat list of forward calls and a backward plan: each op input is wired to an
earlier op's output, a step input, a Variable (read live at every run) or a constant. `run` then
executes the same forward functions and backward rules in the same order as the eager engine,
so its results are bit for bit the eager ones, without the layers, losses and Tensor/Node
bookkeeping around them. This is what fit() runs when Keras would run a compiled train step.

A recording can only stand for later steps if nothing in it depends on the data except through
the recorded ops: `Program.same_as` compares two recordings made on different batches (same ops,
parameters, wiring and constants), and only then is the program replayed.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from deltaw.autograd import mode
from deltaw.autograd.engine import _reverse_topological, sum_to_shape
from deltaw.autograd.node import Node
from deltaw.tensor import Tensor, Variable

# how an op input is wired: kind codes, then the target
_OP, _INPUT, _VARIABLE, _CONSTANT = range(4)


_lock = threading.Lock()


@contextlib.contextmanager
def recording():
    """Collect `(op, args, arrays, params, result)` for every op this thread applies inside the
    block (other threads' ops are not recorded: each may record its own)."""
    ident = threading.get_ident()
    records = []
    with _lock:
        active = mode._recording or {}
        if ident in active:
            raise RuntimeError("recording: already recording; recordings do not nest.")
        mode._recording = {**active, ident: records}   # replaced, never changed in place
    try:
        yield records
    finally:
        with _lock:
            rest = {k: v for k, v in mode._recording.items() if k != ident}
            mode._recording = rest or None


class Program:
    """One recording, wired for replay: forward calls, outputs, and the loss's backward plan."""

    __slots__ = ("forward", "outputs", "loss", "backward", "n_targets")

    def __init__(self, forward, outputs, loss, backward, n_targets):
        # [(index, op, wiring, extra args, params, array params, Variables it changes,
        #   whether backward needs its saved values, record indices whose values die after it)]
        self.forward = forward
        self.outputs = outputs        # record indices of the outputs, flat
        self.loss = loss              # record index of the scalar loss
        self.backward = backward      # [(index, op, needs, [(kind, target, shape)])]
        self.n_targets = n_targets

    @classmethod
    def build(cls, records, inputs, outputs, loss, targets):
        """The program of `records`, or None where it cannot be replayed.

        Args:
            records: from `recording()`.
            inputs: the step's input arrays; a recorded array that is one of them is read from
                the step's inputs at each run.
            outputs: flat list of output Tensors to return.
            loss: the scalar Tensor to differentiate.
            targets: the Variables to differentiate with respect to, in order.
        """
        produced = {id(r[4]): i for i, r in enumerate(records)}
        produced_data = {id(r[4].data): i for i, r in enumerate(records)}
        by_node = {id(r[4]._node): i for i, r in enumerate(records) if r[4]._node is not None}
        input_ids = {}
        for k, a in enumerate(inputs):
            input_ids.setdefault(id(a), k)
        out_idx = [produced.get(id(t)) for t in outputs]
        loss_idx = produced.get(id(loss))
        if None in out_idx or loss_idx is None or loss.data.size != 1:
            return None
        dynamic = [_dynamic_params(r[3], produced_data, input_ids) for r in records]
        updates = [i for i, r in enumerate(records) if r[0].mutates]   # run for their effect
        needed = _ancestors(records, produced, dynamic, out_idx + [loss_idx] + updates)
        backward = [] if loss._node is None else _backward_plan(loss._node, by_node, targets)
        if backward is None:
            return None
        differentiated = {entry[0] for entry in backward}
        wirings = {i: _wiring(records[i], produced, input_ids) for i in needed}
        dies_after = _last_uses(needed, wirings, dynamic, set(out_idx) | {loss_idx})
        forward = []
        for i in needed:
            op, args, arrays, params, _ = records[i]
            static = {k: v for k, v in params.items() if k not in dynamic[i]}
            forward.append((i, op, wirings[i], args[len(arrays):], static, dynamic[i],
                            tuple(mutated_variables(records[i])), i in differentiated,
                            dies_after.get(i, ())))
        return cls(forward, out_idx, loss_idx, backward, len(targets))

    def run(self, inputs):
        """`(outputs, loss, grads)` for new step inputs: arrays, the loss array, and per target
        its gradient array or None."""
        # as in the eager engine, an op's output lives until its last use and its saved values
        # until its backward rule has run (the peak memory is the eager one)
        values, saved = {}, {}
        for (index, op, wiring, extra, params, dynamic, mutated, differentiated,
             dies) in self.forward:
            arrays = [_resolve(w, values, inputs) for w in wiring]
            if dynamic:
                params = {**params, **{k: _resolve(w, values, inputs) for k, w in dynamic.items()}}
            if params or extra:
                out, kept = op.forward(np, *arrays, *extra, **params)
            else:
                out, kept = op.forward(np, *arrays)
            values[index] = out
            if differentiated:
                saved[index] = kept
            for variable in mutated:   # changed in place, counted as op.apply counts it
                variable._version += 1
            for done in dies:
                del values[done]
        loss = values[self.loss]
        return [values[i] for i in self.outputs], loss, self._grads(loss, saved)

    def _grads(self, loss, saved):
        grads = [None] * self.n_targets
        if not self.backward:
            return grads
        # a 0-d loss (the usual mean) seeds with np.array: ones_like is Python-level code
        seed = np.array(1, loss.dtype) if loss.ndim == 0 else np.ones_like(loss)
        pending = {self.loss: seed}
        for index, op, needs, parents in self.backward:
            g = pending.pop(index, None)
            if g is None:
                continue
            for (kind, target, shape), gp in zip(parents,
                                                 op.backward(np, g, saved.pop(index), needs)):
                if gp is None or kind is None:
                    continue
                if gp.shape != shape:
                    gp = sum_to_shape(gp, shape)
                if kind == _OP:
                    pending[target] = pending[target] + gp if target in pending else gp
                else:
                    grads[target] = gp if grads[target] is None else grads[target] + gp
        return grads

    def same_as(self, other) -> bool:
        """Whether `other`, recorded on another batch, is this program: then nothing in it
        depended on the data except through its ops."""
        return (self.outputs == other.outputs and self.loss == other.loss
                and self.n_targets == other.n_targets
                and _same(self.backward, other.backward)
                and _same(self.forward, other.forward))


def mutated_variables(record):
    """The Variables an op application changes in place (its op's `mutates` inputs)."""
    op, args, _, _, _ = record
    return [args[i] for i in op.mutates if isinstance(args[i], Variable)]


def _last_uses(order, wirings, dynamic, keep):
    """{record index: indices whose values no later record reads}, for the records in `order`;
    the indices in `keep` (outputs, loss) are never dropped."""
    last = {}
    for i in order:
        for kind, target in [*wirings[i], *dynamic[i].values()]:
            if kind == _OP:
                last[target] = i
    for i in order:   # a value nothing reads dies as soon as it is made
        last.setdefault(i, i)
    dies = {}
    for target, i in last.items():
        if target not in keep:
            dies.setdefault(i, []).append(target)
    return {i: tuple(targets) for i, targets in dies.items()}


def _ancestors(records, produced, dynamic, roots):
    """Indices of the records `roots` depend on, in recording order."""
    keep, stack = set(roots), list(roots)
    while stack:
        i = stack.pop()
        _, args, arrays, _, _ = records[i]
        sources = [produced.get(id(a)) if type(a) is Tensor else None for a in args[:len(arrays)]]
        sources += [target for kind, target in dynamic[i].values() if kind == _OP]
        for j in sources:
            if j is not None and j not in keep:
                keep.add(j)
                stack.append(j)
    return sorted(keep)


def _wiring(record, produced, input_ids):
    op, args, arrays, _, _ = record
    wiring = []
    for a, arr in zip(args, arrays):
        if isinstance(a, Tensor):
            if id(a) in produced:
                wiring.append((_OP, produced[id(a)]))
            elif isinstance(a, Variable):
                wiring.append((_VARIABLE, a))
            elif id(a.data) in input_ids:
                wiring.append((_INPUT, input_ids[id(a.data)]))
            else:
                wiring.append((_CONSTANT, a.data))
        elif arr is a and id(a) in input_ids:  # a step input passed as an array
            wiring.append((_INPUT, input_ids[id(a)]))
        else:
            wiring.append((_CONSTANT, arr))
    return wiring


def _dynamic_params(params, produced_data, input_ids):
    """{name: wire} for the array parameters that an earlier op computed or that are step
    inputs (a sequence mask): read anew at each run, and left out of the static parameters."""
    return {k: (_OP, produced_data[id(v)]) if id(v) in produced_data else (_INPUT, input_ids[id(v)])
            for k, v in params.items()
            if type(v) is np.ndarray and (id(v) in produced_data or id(v) in input_ids)}


def _resolve(wire, values, inputs):
    kind, target = wire
    if kind == _OP:
        return values[target]
    if kind == _INPUT:
        return inputs[target]
    if kind == _VARIABLE:
        return target.data
    return target


def _backward_plan(root, by_node, targets):
    """The engine's reverse sweep order from `root`, each parent wired to a record or a target."""
    target_pos = {id(v): k for k, v in enumerate(targets)}
    plan = []
    for node in _reverse_topological(root):
        index = by_node.get(id(node))
        if index is None:
            return None
        parents = []
        for parent, shape in zip(node.parents, node.in_shapes):
            if parent is None:
                parents.append((None, None, shape))
            elif type(parent) is Node:
                if id(parent) not in by_node:
                    return None
                parents.append((_OP, by_node[id(parent)], shape))
            else:  # a leaf: a gradient only for the targets, as engine.grad
                parents.append((_VARIABLE, target_pos[id(parent)], shape)
                               if id(parent) in target_pos else (None, None, shape))
        plan.append((index, node.op, tuple(node.needs), parents))
    return plan


def _same(a, b) -> bool:
    """Structural equality of recorded values: arrays by dtype, shape and contents; Variables and
    ops by identity; containers item by item."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Tensor):
        return a is b
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
