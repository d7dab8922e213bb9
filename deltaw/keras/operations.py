"""keras.Operation and keras.Function: Keras 3's symbolic operation base and graph of operations.

In Keras every Layer is an Operation. deltaw's Layer already does an Operation's work (a call on
tensors, a recorded node on KerasTensors, `compute_output_spec`), so `Operation` is a Layer that
keeps its inputs' dtypes (an Operation does not autocast) and `isinstance(layer, Operation)` is
true for every deltaw layer, as in Keras. `Function(inputs, outputs)` runs the graph between
them; it is deltaw's functional graph without a model's training machinery.
"""

from __future__ import annotations

from deltaw.keras import backend
from deltaw.keras.layers import nest
from deltaw.keras.layers.layer import Layer
from deltaw.tensor import Tensor

__all__ = ["Function", "Operation"]


class _OperationType(type):
    """Makes every Layer count as an Operation (`isinstance(Dense(2), Operation)`), as in Keras."""

    def __instancecheck__(cls, obj):
        if cls is Operation:
            return isinstance(obj, Layer)
        return type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub):
        if cls is Operation:
            return issubclass(sub, Layer)
        return type.__subclasscheck__(cls, sub)


class Operation(Layer, metaclass=_OperationType):
    """Base of a custom symbolic operation: override `call` (and `compute_output_spec`, else the
    output spec is found by running `call` once on zeros).

    Args:
        name: Defaults to the snake-case class name, made unique.

    Calls take any number of positional arguments (`op(x, y)`); tensors keep their dtypes.
    """

    def __init__(self, name=None):
        super().__init__(name=name)

    def _convert_one(self, x):
        if x is None or isinstance(x, Tensor):
            return x
        return Tensor(x)

    def _convert_inputs(self, inputs):
        return nest.map_structure(self._convert_one, inputs)


class Function:
    """The computation from `inputs` to `outputs` (KerasTensors), callable on tensors or on
    KerasTensors (keras.Function).

    Args:
        inputs: The input KerasTensor(s) (a structure of them).
        outputs: The output KerasTensor(s) computed from them.
        name: Defaults to 'function', made unique.
    """

    def __init__(self, inputs, outputs, name=None):
        from deltaw.keras.models.functional import Functional  # models import layers: lazy

        self.name = name or backend.unique_name("function")
        self._graph = Functional(inputs, outputs, name=self.name)
        self._inputs_struct, self._outputs_struct = inputs, outputs

    @property
    def operations(self) -> list:
        """The graph's operations (input layers first), in execution order."""
        return list(self._graph._operations)

    @property
    def inputs(self) -> list:
        return nest.flatten(self._inputs_struct)

    @property
    def outputs(self) -> list:
        return nest.flatten(self._outputs_struct)

    def call(self, inputs):
        return self._graph(inputs)

    def __call__(self, inputs):
        return self._graph(inputs)

    def compute_output_spec(self, inputs):
        """The output KerasTensors for KerasTensor `inputs` (records nothing)."""
        return self._graph.compute_output_spec(inputs)

    def __repr__(self):
        return f"<Function name={self.name}>"
