"""Configs of layers and models: JSON-safe dicts in Keras 3's format, and rebuilding from them.

A serialized layer is `{'module', 'class_name', 'config', 'registered_name'}` (plus
'build_config' once built). Rebuilding resolves `class_name` through `custom_objects`, then the
closed registry `deltaw.keras.layers.LAYERS` and the three model classes: no config ever causes
an import by name. Functional configs list each layer with the calls ('inbound_nodes') that
connect it, each input written as `{'class_name': '__keras_tensor__', 'config': {'shape',
'dtype', 'keras_history': [layer name, node index, tensor index]}}`, as Keras 3 writes them.
"""

from __future__ import annotations

import inspect
import json

from deltaw.keras.layers import LAYERS, nest
from deltaw.keras.layers.core import InputLayer
from deltaw.keras.layers.keras_tensor import KerasTensor
from deltaw.keras.saving import object_registration

__all__ = ["deserialize_layer", "model_from_config", "model_from_json", "serialize_layer"]


def _models() -> dict:
    from deltaw.keras.models.functional import Functional
    from deltaw.keras.models.model import Model
    from deltaw.keras.models.sequential import Sequential
    from deltaw.keras.utils.feature_space import FeatureSpace  # saved as a file on its own

    return {"Functional": Functional, "Model": Model, "Sequential": Sequential,
            "FeatureSpace": FeatureSpace}


def serialize_layer(layer) -> dict:
    """`layer` (or model) as Keras 3's serialized dict."""
    models = _models()
    cls = type(layer)
    builtin = LAYERS.get(cls.__name__) is cls or models.get(cls.__name__) is cls
    is_model = isinstance(layer, models["Model"])
    data = {"module": ("keras" if is_model else "keras.layers") if builtin else cls.__module__,
            "class_name": cls.__name__, "config": layer.get_config(),
            "registered_name": None if builtin else object_registration.get_registered_name(cls)}
    build = None if is_model else layer.get_build_config()
    if build is not None:
        data["build_config"] = build
    return data


def deserialize_layer(data: dict, custom_objects=None):
    """Rebuild a layer or model from `serialize_layer`'s dict.

    Raises:
        ValueError: a malformed dict or a class name that is neither a deltaw.keras layer nor in
            `custom_objects`.
    """
    if not isinstance(data, dict) or "class_name" not in data:
        raise ValueError(f"deserialize: expected a dict with 'class_name' and 'config' (as "
                         f"get_config/to_json write); got {str(data)[:80]!r}.")
    name, custom = data["class_name"], object_registration.resolve_custom_objects(custom_objects)
    cls = custom.get(name) or custom.get(data.get("registered_name")) or LAYERS.get(name) \
        or _models().get(name)
    if cls is None:
        raise ValueError(f"deserialize: unknown layer class {name!r}; expected a deltaw.keras "
                         f"layer or a key of custom_objects. Hint: pass "
                         f"custom_objects={{'{name}': {name}}}.")
    config = data.get("config", {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        layer = cls.from_config(config, custom_objects=custom_objects)
    else:
        layer = cls.from_config(config)
    if data.get("build_config") and not layer.built:
        layer.build_from_config(data["build_config"])
    return layer


def model_from_config(config: dict, custom_objects=None):
    """A model (or layer) from a serialized dict such as `json.loads(model.to_json())`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"model_from_config: expected a dict with 'class_name' and 'config' "
                         f"(as model.to_json() writes); got {str(config)[:80]!r}.")
    return deserialize_layer(config, custom_objects)


def model_from_json(json_string: str, custom_objects=None):
    """A model from `model.to_json()`'s string (architecture only: weights are new)."""
    return model_from_config(json.loads(json_string), custom_objects)


# ----------------------------------------------------------------------------- functional


def functional_config(model) -> dict:
    """Keras 3's config of a functional model: its layers, their calls, inputs and outputs."""
    index = {}  # id(node) -> the node's index among its layer's nodes inside this model
    for op in model._operations:
        kept = 0
        for node in op._inbound_nodes:
            if id(node) in model._network_nodes:
                index[id(node)] = kept
                kept += 1

    def history(x):
        op, node_index, tensor_index = x._keras_history
        return [op.name, index[id(op._inbound_nodes[node_index])], tensor_index]

    def arg(x):
        if isinstance(x, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": x.shape, "dtype": x.dtype, "keras_history": history(x)}}
        return x

    layers = []
    for op in model._operations:
        data = serialize_layer(op)
        data["name"] = op.name
        data["inbound_nodes"] = [
            {"args": nest.map_structure(arg, list(node.call_args)),
             "kwargs": nest.map_structure(arg, node.call_kwargs)}
            for node in op._inbound_nodes if id(node) in model._network_nodes and not
            node.is_input]
        layers.append(data)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": nest.map_structure(history, model._inputs_struct),
            "output_layers": nest.map_structure(history, model._outputs_struct)}


class _Missing(Exception):
    """A node's input tensor is not rebuilt yet."""


def _resolve(value, outputs_of):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            found = outputs_of.get((name, node_index))
            if found is None:
                raise _Missing
            return found[tensor_index]
        return {k: _resolve(v, outputs_of) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, outputs_of) for v in value]
    return value


def _node_call(node, outputs_of):
    """(args, kwargs) of a serialized call; tf.keras 2's list format is accepted too."""
    if isinstance(node, list):  # tf.keras 2: [[layer_name, node_index, tensor_index, kwargs]...]
        tensors = []
        for name, node_index, tensor_index, *_ in node:
            found = outputs_of.get((name, node_index))
            if found is None:
                raise _Missing
            tensors.append(found[tensor_index])
        kwargs = node[0][3] if node and len(node[0]) > 3 else {}
        return (tensors[0] if len(tensors) == 1 else tensors,), dict(kwargs)
    return (tuple(_resolve(node.get("args", []), outputs_of)),
            _resolve(node.get("kwargs", {}), outputs_of))


def _tensors(spec, outputs_of):
    if isinstance(spec, dict):
        return {k: _tensors(v, outputs_of) for k, v in spec.items()}
    if spec and isinstance(spec[0], str):
        name, node_index, tensor_index = spec[:3]
        return outputs_of[(name, node_index)][tensor_index]
    return [_tensors(s, outputs_of) for s in spec]


def functional_from_config(cls, config: dict, custom_objects=None):
    """Rebuild a functional model by creating its layers and replaying their calls."""
    outputs_of, pending = {}, []
    for data in config["layers"]:
        layer = deserialize_layer(data, custom_objects)
        name = data.get("name") or layer.name
        if isinstance(layer, InputLayer):
            outputs_of[(name, 0)] = [layer.output]
        for i, node in enumerate(data.get("inbound_nodes", [])):
            pending.append((layer, name, i, node))
    while pending:
        waiting = []
        for layer, name, i, node in pending:
            try:
                args, kwargs = _node_call(node, outputs_of)
            except _Missing:
                waiting.append((layer, name, i, node))
                continue
            outputs_of[(name, i)] = nest.flatten(layer(*args, **kwargs))
        if len(waiting) == len(pending):
            names = sorted({name for _, name, _, _ in waiting})
            raise ValueError(f"{cls.__name__}.from_config: cannot rebuild the graph; layers "
                             f"{names} wait for tensors that no layer produces.")
        pending = waiting
    inputs = _tensors(config["input_layers"], outputs_of)
    outputs = _tensors(config["output_layers"], outputs_of)
    return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
