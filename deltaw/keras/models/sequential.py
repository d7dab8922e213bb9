"""Sequential: a plain stack of layers, each taking the previous layer's output."""

from __future__ import annotations

from deltaw.keras.layers import nest
from deltaw.keras.layers.core import InputLayer
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.layers.layer import Layer, _NoNodeError
from deltaw.keras.models.functional import _produces_mask, check_model_inputs
from deltaw.keras.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers (Keras 3 semantics).

    The input is fixed, and the weights created at once, when the first entry is `Input(...)`
    / an `InputLayer`, or when the first layer got `input_shape=` (or `input_dim=`,
    `batch_input_shape=`): the model then records an InputLayer first. Otherwise every layer
    builds on the first call (or `fit`), from the shape of that first batch. `model.layers`
    never includes the InputLayer.

    Args:
        layers: Optional list of layers (an `Input(...)` tensor may come first).
        trainable: Whether the weights are trainable.
        name: Model name; defaults to 'sequential', 'sequential_1', ...

    Example:
        >>> from deltaw.keras.layers import Dense
        >>> model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
        >>> [w.shape for w in model.get_weights()]
        [(3, 4), (4,), (4, 1), (1,)]
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._layers = []
        self._graph_output = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        if self._layers:
            self._maybe_rebuild()

    def _sublayers(self):
        return self.__dict__.get("_layers", [])

    @property
    def layers(self) -> list:
        layers = self._layers
        return list(layers[1:] if layers and isinstance(layers[0], InputLayer) else layers)

    def add(self, layer, rebuild=True) -> None:
        """Append a layer (or an `Input(...)` tensor, as the first entry) to the stack."""
        where = f"Sequential '{self.name}'"
        if not self._layers and getattr(layer, "_input_shape_arg", None) is not None:
            self.add(InputLayer(shape=layer._input_shape_arg, batch_size=layer._batch_size_arg,
                                dtype=layer.dtype), rebuild=False)
        if isinstance(layer, KerasTensor) and isinstance(
                getattr(layer._keras_history, "operation", None), InputLayer):
            layer = layer._keras_history.operation
        if not isinstance(layer, Layer):
            raise TypeError(f"{where}: add() takes a Layer; got {type(layer).__name__}.")
        if any(other.name == layer.name for other in self._layers):
            raise ValueError(f"{where}: layer names must be unique; '{layer.name}' is already "
                             "the name of a layer in this model. Hint: pass a unique name=.")
        if isinstance(layer, InputLayer) and self._layers and isinstance(self._layers[0],
                                                                         InputLayer):
            raise ValueError(f"{where}: the model already has an input of shape "
                             f"{self._layers[0].batch_shape}; expected no second Input.")
        self._layers = [*self._layers, layer]
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built, self._graph_output = False, None

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError(f"Sequential '{self.name}': pop() needs a layer to remove; the "
                             "model has none.")
        layer = self._layers[-1]
        self._layers = self._layers[:-1]
        self.built, self._graph_output = False, None
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        self.built, self._graph_output = False, None
        first = self._layers[0] if self._layers else None
        if isinstance(first, InputLayer) and len(self._layers) > 1:
            self.build(first.batch_shape)
        elif isinstance(first, Model) and len(self._layers) > 1:
            try:
                shape = first.input_shape
            except (AttributeError, ValueError):
                return
            if isinstance(shape, tuple):
                self.build(shape)

    def build(self, input_shape=None) -> None:
        """Record an InputLayer of `input_shape` (batch axis included) and build every layer."""
        where = f"Sequential '{self.name}'"
        if input_shape is None or not nest.is_shape(input_shape):
            return  # nested or unknown inputs: layers build on the first call instead
        input_shape = tuple(input_shape)
        if not self._layers:
            raise ValueError(f"{where}: cannot build a model with no layers; call "
                             "model.add(layer) first.")
        if isinstance(self._layers[0], InputLayer):
            if self._layers[0].batch_shape != input_shape:
                raise ValueError(f"{where}: the model's input shape is fixed; expected "
                                 f"{self._layers[0].batch_shape}, got {input_shape}.")
        else:
            self._layers = [InputLayer(batch_shape=input_shape, dtype=self._layers[0].dtype),
                            *self._layers]
        x = self._layers[0].output
        for layer in self._layers[1:]:
            x = layer(x)
        self._graph_output = x
        self._build_shapes = input_shape
        self.built = True

    def _input_layer(self):
        first = self._layers[0] if self._layers else None
        return first if isinstance(first, InputLayer) else None

    def _check_inputs(self, inputs) -> None:
        first = self._input_layer()
        if first is not None and not isinstance(inputs, list | tuple | dict):
            check_model_inputs(self, [inputs], [first.output])

    def call(self, inputs, training=None, mask=None):
        layers = self._layers
        first = layers[0] if layers and isinstance(layers[0], InputLayer) else None
        if first is not None and not isinstance(inputs, list | tuple | dict):
            (inputs,) = check_model_inputs(self, [inputs], [first.output], adjust=True)
        kwargs = {} if training is None else {"training": training}  # copied by each call
        x = inputs
        for layer in layers[1:] if first is not None else layers:
            if mask is None:
                out = layer(x, **kwargs)
                if _produces_mask(layer):
                    mask = layer.compute_mask(x, None)
            else:
                out = layer(x, **kwargs, mask=mask)
                mask = layer.compute_mask(x, mask)
            x = out
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self.layers:
            x = layer.compute_output_spec(x)
        return x

    def compute_output_shape(self, input_shape):
        specs = nest.map_shape_structure(lambda s: KerasTensor(s), input_shape)
        return nest.map_structure(lambda kt: kt.shape, self.compute_output_spec(specs))

    # ----- graph views (defined once the input is known)
    def _require_graph(self, what):
        if self._graph_output is None:
            raise _NoNodeError(f"Sequential '{self.name}': the model has no defined {what} yet; "
                               "give it an Input or call it on data first.")

    @property
    def inputs(self) -> list:
        self._require_graph("inputs")
        return [self._layers[0].output]

    @property
    def outputs(self) -> list:
        self._require_graph("outputs")
        return nest.flatten(self._graph_output)

    @property
    def input(self):
        self._require_graph("input")
        return self._layers[0].output

    @property
    def output(self):
        self._require_graph("output")
        return self._graph_output

    @property
    def input_names(self) -> list:
        return [x.name for x in self.inputs]

    @property
    def output_names(self) -> list:
        return [x._keras_history.operation.name for x in self.outputs]

    # ----- configuration
    def get_config(self) -> dict:
        from deltaw.keras.models.config import serialize_layer

        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                  "layers": [serialize_layer(layer) for layer in self._layers]}
        if self.built and self._build_shapes is not None:
            config["build_input_shape"] = self._build_shapes
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from deltaw.keras.models.config import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        if model._layers:
            model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and shape is not None and nest.is_shape(shape):
            model.build(tuple(shape))
        return model
