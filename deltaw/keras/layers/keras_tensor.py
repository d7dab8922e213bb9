"""Symbolic tensors and the call records of the functional API.

`Input(shape)` returns a `KerasTensor`: a shape (batch axis None) and a dtype, with no data.
Calling a layer on KerasTensors runs no math: the layer builds its weights, infers its output
shape, and records a `Node` (the layer, the call's arguments, its output KerasTensors) in its
`_inbound_nodes`. Each output remembers where it came from in `_keras_history`. A functional
`Model(inputs, outputs)` walks these records back from the outputs to find the graph it runs.
"""

from __future__ import annotations

import collections

import numpy as np

from deltaw.autograd import mode
from deltaw.keras import backend
from deltaw.keras.layers import nest
from deltaw.tensor import Tensor

__all__ = ["KerasHistory", "KerasTensor", "Node", "any_symbolic", "is_keras_tensor", "placeholder",
           "spec_by_running"]

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])


def _standardize_shape(shape) -> tuple:
    return tuple(None if d is None else int(d) for d in shape)


class KerasTensor:
    """A symbolic tensor: the shape and dtype of a value a functional model will compute.

    Args:
        shape: Tuple of ints and None (None: unknown, e.g. the batch axis).
        dtype: Dtype name; defaults to `backend.floatx()`.
        name: Optional name; defaults to 'keras_tensor', 'keras_tensor_1', ...

    Python operators (`x + y`, `-x`, `x[:, 0]`, `x @ w`, comparisons) and `keras.ops` calls on
    KerasTensors record an operation node of the graph, as in Keras 3 (see operation_layer.py).
    Conversion to data (`np.asarray`, `bool`, `len`, iteration) is an error: a KerasTensor has none.
    """

    __slots__ = ("shape", "dtype", "name", "_keras_history", "__weakref__")

    def __init__(self, shape, dtype=None, name=None):
        self.shape = _standardize_shape(shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name or backend.unique_name("keras_tensor")
        self._keras_history = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    __hash__ = object.__hash__

    def _no_data(self, *args, **kwargs):
        raise TypeError(
            f"KerasTensor '{self.name}': a symbolic tensor holds no data to convert; expected "
            "a layer or keras.ops call on it. Hint: call the model on real data to get values.")

    __array__ = __bool__ = __len__ = __iter__ = numpy = _no_data

    # Operators record operation nodes; the reflected forms put the other operand first.
    def __add__(self, other): return _record("add", self, other)
    def __radd__(self, other): return _record("add", other, self)
    def __sub__(self, other): return _record("subtract", self, other)
    def __rsub__(self, other): return _record("subtract", other, self)
    def __mul__(self, other): return _record("multiply", self, other)
    def __rmul__(self, other): return _record("multiply", other, self)
    def __truediv__(self, other): return _record("divide", self, other)
    def __rtruediv__(self, other): return _record("divide", other, self)
    def __matmul__(self, other): return _record("matmul", self, other)
    def __rmatmul__(self, other): return _record("matmul", other, self)
    def __pow__(self, other): return _record("power", self, other)
    def __rpow__(self, other): return _record("power", other, self)
    def __neg__(self): return _record("negative", self)
    def __abs__(self): return _record("abs", self)
    def __getitem__(self, key): return _record("get_item", self, key)
    def __lt__(self, other): return _record("less", self, other)
    def __le__(self, other): return _record("less_equal", self, other)
    def __gt__(self, other): return _record("greater", self, other)
    def __ge__(self, other): return _record("greater_equal", self, other)


def _record(name, *args):
    from deltaw.keras.layers.operation_layer import symbolic_operation  # imports this module

    return symbolic_operation(name, args)


def is_keras_tensor(x) -> bool:
    return isinstance(x, KerasTensor)


def _has_keras_tensor(x) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, list | tuple):
        return any(_has_keras_tensor(item) for item in x)
    if isinstance(x, dict):
        return any(_has_keras_tensor(item) for item in x.values())
    return False


def any_symbolic(inputs, args, kwargs) -> bool:
    """True when any tensor in a layer call's arguments is a KerasTensor."""
    if isinstance(inputs, KerasTensor):
        return True
    if type(inputs) is not Tensor and _has_keras_tensor(inputs):
        return True
    for value in args:
        if _has_keras_tensor(value):
            return True
    for value in kwargs.values():
        if value is not None and type(value) is not bool and _has_keras_tensor(value):
            return True
    return False


class Node:
    """One call of a layer on KerasTensors: the layer, the call's arguments and its outputs.

    Creating a Node appends it to `layer._inbound_nodes` and stamps every output's
    `_keras_history` with (layer, node index, output index).
    """

    __slots__ = ("operation", "call_args", "call_kwargs", "outputs", "input_tensors",
                 "output_tensors")

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = [x for x in nest.flatten((self.call_args, self.call_kwargs))
                              if isinstance(x, KerasTensor)]
        self.output_tensors = nest.flatten(outputs)
        index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for i, kt in enumerate(self.output_tensors):
            kt._keras_history = KerasHistory(operation, index, i)

    @property
    def layer(self):
        return self.operation

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list:
        """The nodes that produced this node's inputs."""
        parents = []
        for kt in self.input_tensors:
            if kt._keras_history is not None:
                op, node_index, _ = kt._keras_history
                node = op._inbound_nodes[node_index]
                if node not in parents:
                    parents.append(node)
        return parents

    def resolve(self, values: dict):
        """The call's args and kwargs with each KerasTensor replaced by `values[id(tensor)]`."""
        def sub(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        return nest.map_structure(sub, self.call_args), nest.map_structure(sub, self.call_kwargs)

    def __repr__(self):
        return f"<Node of {self.operation.name!r}: {len(self.input_tensors)} inputs>"


def placeholder(kt: KerasTensor) -> np.ndarray:
    """Zeros with `kt`'s dtype and shape, unknown axes set to 1 (to infer shapes by running)."""
    return np.zeros(tuple(1 if d is None else d for d in kt.shape), dtype=kt.dtype)


def spec_by_running(layer, inputs, args, kwargs):
    """Output KerasTensors of `layer` found by calling it once on zeros (no gradient recorded).

    The fallback of `compute_output_spec` for layers without `compute_output_shape`; an unknown
    batch axis in the inputs stays unknown in the outputs.
    """
    def concrete(x):
        return Tensor(placeholder(x)) if isinstance(x, KerasTensor) else x

    batch_unknown = any(isinstance(x, KerasTensor) and x.shape and x.shape[0] is None
                        for x in nest.flatten(inputs))
    # The zeros are placeholders: 0/0 or log(0) there says nothing about real data, so stay quiet.
    with mode.no_grad(), np.errstate(all="ignore"):
        out = layer(nest.map_structure(concrete, inputs), *nest.map_structure(concrete, args),
                    **nest.map_structure(concrete, kwargs))

    def spec(t):
        shape = list(t.shape)
        if batch_unknown and shape:
            shape[0] = None
        return KerasTensor(shape, t.dtype)

    return nest.map_structure(spec, out)
