"""`keras.models.clone_model`: the same architecture with new layers (and so new weights).

A Sequential model is rebuilt from clones of its layers; a functional model by replaying its
recorded calls on clones of its layers, from new Inputs; a subclassed model from its config.
"""

from __future__ import annotations

from deltaw.keras.layers import nest
from deltaw.keras.layers.core import Input, InputLayer
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.models.functional import Functional
from deltaw.keras.models.model import Model
from deltaw.keras.models.sequential import Sequential

__all__ = ["clone_model"]


def _clone_layer(layer):
    """Keras' default clone_function: a new layer of the same class from the layer's config."""
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with `model`'s architecture and newly initialized weights.

    Args:
        model: A Sequential, functional or subclassed Model.
        input_tensors: Optional KerasTensor(s) from `Input(...)` to build a functional or
            Sequential clone on, instead of new Inputs of the same shapes.
        clone_function: `layer -> new layer`, called once per layer of a Sequential or
            functional model; defaults to `type(layer).from_config(layer.get_config())`.
            Returning the layer itself shares it (and its weights) with the clone.
        call_function: Optional `(layer, *args, **kwargs) -> outputs`, run instead of each layer
            call while a functional model is replayed.
        recursive: Whether nested Sequential and functional models are cloned with the same
            functions (otherwise clone_function sees them as single layers).

    Returns:
        The clone, not compiled (as in Keras).

    Raises:
        ValueError: clone_function, call_function or input_tensors for a subclassed model, which
            has no graph to rebuild (Keras refuses them too), or unknown keyword arguments.
    """
    if kwargs:
        raise ValueError(f"clone_model: unexpected arguments {sorted(kwargs)}.")
    clone_function = clone_function or _clone_layer
    if recursive:
        inner = clone_function

        def clone_function(layer):
            if isinstance(layer, Sequential | Functional):
                return clone_model(layer, clone_function=inner, call_function=call_function,
                                   recursive=True)
            return inner(layer)

    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function, call_function)
    if not isinstance(model, Model):
        raise ValueError(f"clone_model: expected a keras Model; got {type(model).__name__}.")
    if input_tensors is not None or clone_function is not _clone_layer or call_function:
        raise ValueError(f"clone_model: model '{model.name}' is subclassed, so it has no layer "
                         "graph to rebuild; expected no input_tensors, clone_function or "
                         "call_function. Hint: clone a functional or Sequential model instead.")
    return _clone_layer(model)


def _clone_sequential(model, input_tensors, clone_function):
    layers = [clone_function(layer) for layer in model.layers]
    first = model._layers[0] if model._layers else None
    if input_tensors is not None:
        layers.insert(0, nest.flatten(input_tensors)[0]._keras_history.operation)
    elif isinstance(first, InputLayer):
        layers.insert(0, InputLayer(batch_shape=first.batch_shape, dtype=first.dtype,
                                    name=first.name))
    clone = Sequential(layers, name=model.name, trainable=model.trainable)
    if not clone.built and model.built and model._build_shapes is not None:
        clone.build(model._build_shapes)
    return clone


def _clone_functional(model, input_tensors, clone_function, call_function):
    if input_tensors is None:
        new_inputs = [Input(batch_shape=kt.shape, dtype=kt.dtype, name=_input_name(kt))
                      for kt in model._flat_inputs]
    else:
        new_inputs = nest.flatten(input_tensors)
        if len(new_inputs) != len(model._flat_inputs):
            raise ValueError(f"clone_model: model '{model.name}' takes "
                             f"{len(model._flat_inputs)} inputs; got {len(new_inputs)} "
                             "input_tensors.")
    values = {id(old): new for old, new in zip(model._flat_inputs, new_inputs, strict=True)}
    clones = {}
    for node in model._exec_nodes:
        layer = node.operation
        if id(layer) not in clones:
            clones[id(layer)] = clone_function(layer)
        args, kwargs = node.resolve(values)
        new_layer = clones[id(layer)]
        outputs = (call_function(new_layer, *args, **kwargs) if call_function
                   else new_layer(*args, **kwargs))
        for old, new in zip(node.output_tensors, nest.flatten(outputs), strict=True):
            values[id(old)] = new

    def new(x):
        return values[id(x)] if isinstance(x, KerasTensor) else x

    return Functional(nest.map_structure(new, model._inputs_struct),
                      nest.map_structure(new, model._outputs_struct), name=model.name,
                      trainable=model.trainable)


def _input_name(kt) -> str:
    return kt._keras_history.operation.name
