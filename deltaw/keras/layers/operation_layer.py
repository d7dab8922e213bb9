"""Operations on KerasTensors: `x + y`, `x[:, 0]`, `ops.mean(x)` while building a functional model.

Keras 3 lets a functional model's graph hold operations as well as layers: a Python operator or a
`keras.ops` call on symbolic tensors records an operation node. deltaw records such a call as an
`OperationLayer`: a weightless layer that holds the operation's name and its non-tensor arguments,
and is called on the list of KerasTensors the operation takes. It serializes like any layer (the
operation by name, its constants as JSON), and a config names only operations of
`deltaw.keras.ops` (or the few engine ops behind Python's operators): a file cannot name a function
to import.
"""

from __future__ import annotations

from deltaw import ops as dw_ops
from deltaw.keras import backend
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer

__all__ = ["OperationLayer", "symbolic_operation"]

# The engine ops behind Python's operators on KerasTensors (`x + y` is `add(x, y)`).
_OPERATOR_OPS = {
    "add": dw_ops.add, "subtract": dw_ops.subtract, "multiply": dw_ops.multiply,
    "divide": dw_ops.divide, "power": dw_ops.power, "negative": dw_ops.negative,
    "matmul": dw_ops.matmul, "get_item": dw_ops.getitem, "abs": dw_ops.abs,
    "less": dw_ops.less, "less_equal": dw_ops.less_equal, "greater": dw_ops.greater,
    "greater_equal": dw_ops.greater_equal,
}


def _operation(name: str):
    """The function an OperationLayer named `name` runs: a keras.ops export or an operator op."""
    if name in _OPERATOR_OPS:
        return _OPERATOR_OPS[name]
    from deltaw.keras import ops as keras_ops  # keras.ops is loaded only when an op is recorded

    if name in keras_ops.__all__ and callable(getattr(keras_ops, name)):
        return getattr(keras_ops, name)
    if name.startswith("image.") and name[6:] in keras_ops.image.__all__:
        return getattr(keras_ops.image, name[6:])
    raise ValueError(f"OperationLayer: unknown operation {name!r}; expected a function of "
                     "deltaw.keras.ops or a Python operator's op.")


# Constants of an operation call as JSON: slices, Ellipsis and tuples (index keys) are tagged.
def _encode(value, tensors: list):
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(value, slice):
        return {"__slice__": [_encode(v, tensors) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v, tensors) for k, v in value.items()}
    if hasattr(value, "tolist"):  # a NumPy array or scalar: JSON has lists and numbers
        return value.tolist()
    return value


def _decode(value, tensors):
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__slice__" in value:
            return slice(*(_decode(v, tensors) for v in value["__slice__"]))
        if "__ellipsis__" in value:
            return Ellipsis
        if "__tuple__" in value:
            return tuple(_decode(v, tensors) for v in value["__tuple__"])
        return {k: _decode(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    return value


class OperationLayer(Layer):
    """One operation of a functional graph, called on the KerasTensors it takes.

    Args:
        operation: Name of a `deltaw.keras.ops` function ('mean', 'image.resize') or of an
            operator op ('add', 'get_item', ...).
        args, kwargs: The call's arguments in JSON form: each tensor is `{'__tensor__': i}`, the
            i-th tensor of the list the layer is called on.

    Call arguments:
        inputs: The list of tensors the operation takes, in the order `args`/`kwargs` name them.
    """

    def __init__(self, operation, args=(), kwargs=None, **layer_kwargs):
        layer_kwargs.setdefault("name", backend.unique_name(operation.rsplit(".", 1)[-1]))
        super().__init__(**layer_kwargs)
        self.function = _operation(operation)
        self.operation = operation
        self.args = list(args)
        self.kwargs = dict(kwargs or {})

    def build(self, input_shape=None):
        self.built = True

    def call(self, inputs):
        args = _decode(self.args, inputs)
        kwargs = _decode(self.kwargs, inputs)
        return self.function(*args, **kwargs)

    def get_config(self):
        return {**super().get_config(), "operation": self.operation, "args": self.args,
                "kwargs": self.kwargs}


def symbolic_operation(name: str, args=(), kwargs=None):
    """Record `name(*args, **kwargs)` on KerasTensors as a graph node; returns its output(s)."""
    tensors: list = []
    layer = OperationLayer(name, _encode(list(args), tensors), _encode(kwargs or {}, tensors))
    return layer(tensors)
