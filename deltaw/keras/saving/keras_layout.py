"""Where Keras 3 puts things: weight paths in `model.weights.h5` and the config wrapping.

Keras 3 addresses a variable in its HDF5 weight file by the object tree, not by names chosen at
run time: a model's layers are `layers/<class name in snake_case>` (a counter suffix `_1`,
`_2`, ... for repeated classes, in layer order), a layer's own variables are `vars/0`,
`vars/1`, ... (trainable first, then non-trainable, in creation order), and sublayers sit under
the attribute that holds them. deltaw's layers hold some weights differently from Keras'
(its recurrent layers have no separate cell, its MultiHeadAttention names its projections
`_query_dense`), so this module is the one place that translates: `weight_paths(model)` gives,
for each of `model.weights`, its Keras path. Every writer and reader of Keras' layout uses it.

The same goes for configs: deltaw's `get_config` writes Keras 3's keys, so what is left to
translate is the top-level wrapping (`model_record`), the keys Keras refuses (`KERAS_REFUSES`)
and the compile arguments (`compile_record` / `plain_compile_config`).
"""

from __future__ import annotations

import re

__all__ = ["KERAS_REFUSES", "KERAS_VERSION", "compile_record", "model_record",
           "plain_compile_config", "snake_case", "weight_paths"]

KERAS_VERSION = "3.15.1"  # the Keras release whose file layout deltaw writes (and was tested on)
_RECURRENT = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell"}
_ATTENTION_PROJECTIONS = (("query_dense", "_query_dense"), ("key_dense", "_key_dense"),
                          ("value_dense", "_value_dense"), ("gate_dense", "_gate_dense"),
                          ("output_dense", "_output_dense"))


def snake_case(name: str) -> str:
    """Keras' snake_case of a class name: 'MultiHeadAttention' -> 'multi_head_attention'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _is_model(layer) -> bool:
    from deltaw.keras.models.model import Model

    return isinstance(layer, Model)


def _own_variables(layer) -> list:
    return list(layer._trainable_variables) + list(layer._non_trainable_variables)


def _vars(layer, group: str, name: str, paths: dict, groups: dict) -> None:
    groups[f"{group}vars"] = {"name": name}
    for i, variable in enumerate(_own_variables(layer)):
        paths[id(variable)] = f"{group}vars/{i}"


def _container(layers, prefix: str, paths: dict, groups: dict) -> None:
    used: dict[str, int] = {}
    for layer in layers:
        key = snake_case(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        if not _visited(layer, paths):   # Keras counts a layer met before, but saves it once
            _layer(layer, f"{prefix}{key}/", paths, groups)


def _layer(layer, group: str, paths: dict, groups: dict) -> None:
    cls = type(layer).__name__
    if _is_model(layer):
        _vars(layer, group, layer.name, paths, groups)
        _container(layer.layers, f"{group}layers/", paths, groups)
    elif cls in _RECURRENT:
        groups[f"{group}vars"] = {"name": layer.name}
        _vars(layer, f"{group}cell/", _RECURRENT[cls], paths, groups)
    elif cls == "Bidirectional":
        groups[f"{group}vars"] = {"name": layer.name}
        _layer(layer.forward_layer, f"{group}forward_layer/", paths, groups)
        _layer(layer.backward_layer, f"{group}backward_layer/", paths, groups)
    elif cls == "TimeDistributed":
        groups[f"{group}vars"] = {"name": layer.name}
        _layer(layer.layer, f"{group}layer/", paths, groups)
    elif cls == "MultiHeadAttention":
        groups[f"{group}vars"] = {"name": layer.name}
        for key, attribute in _ATTENTION_PROJECTIONS:
            sub = getattr(layer, attribute, None)
            if sub is not None:
                _vars(sub, f"{group}{key}/", sub.name, paths, groups)
    else:
        _vars(layer, group, layer.name, paths, groups)
        _attributes(layer, group, paths, groups)


def _attribute_order(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name   # Keras visits private ones last


def _attributes(layer, group: str, paths: dict, groups: dict) -> None:
    """A custom layer's sublayers where Keras' saving_lib puts them: under the attribute that
    holds them (`patch_encoder/projection/vars`), public attributes first, a list's layers by
    class name; a layer met twice keeps its first place."""
    from deltaw.keras.layers.layer import Layer

    for name in sorted(vars(layer), key=_attribute_order):
        value = vars(layer)[name]
        if isinstance(value, Layer):
            if not _visited(value, paths):
                _layer(value, f"{group}{name}/", paths, groups)
        elif isinstance(value, list | tuple | dict):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            _container([item for item in items if isinstance(item, Layer)],
                       f"{group}{name}/", paths, groups)


def _visited(layer, paths: dict) -> bool:
    return any(id(v) in paths for v in layer.weights)


def weight_paths(model) -> tuple[list[str], dict[str, dict]]:
    """The Keras 3 HDF5 path of each of `model.weights`, and the groups Keras writes.

    Returns:
        (paths, groups): `paths[i]` is where `model.weights[i]` lives ("layers/dense/vars/0");
        `groups` maps each `.../vars` group to its attributes ({"name": layer name}).

    Raises:
        ValueError: A weight has no known place in Keras' layout (a custom layer that keeps its
            weights in sublayers Keras would address by attribute name).
    """
    paths, groups = {}, {}
    _vars(model, "", model.name, paths, groups)
    if _is_model(model):
        _container(model.layers, "layers/", paths, groups)
    else:  # a layer saved on its own (keras.utils.FeatureSpace): Keras walks its attributes
        _attributes(model, "", paths, groups)
    out = []
    for variable in model.weights:
        path = paths.get(id(variable))
        if path is None:
            raise ValueError(f"Keras format: weight '{variable.name}' of model '{model.name}' "
                             "has no place in Keras 3's weight layout; expected weights created "
                             "by the layers themselves. Hint: save in deltaw's own format "
                             "(a '.safetensors' path).")
        out.append(path)
    return out, groups


# ----------------------------------------------------------------------------------- configs


# Keys deltaw's get_config writes that Keras 3's constructor of the class refuses (found by
# comparing both libraries' configs of every layer class; tests/keras/test_keras_files_parity.py).
KERAS_REFUSES = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",),
                 "SpatialDropout3D": ("trainable",)}


def _keras_keys(value):
    if isinstance(value, list):
        return [_keras_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _keras_keys(v) for k, v in value.items()}
    refused = KERAS_REFUSES.get(out.get("class_name")) if isinstance(out.get("config"),
                                                                    dict) else None
    if refused:
        out["config"] = {k: v for k, v in out["config"].items() if k not in refused}
    return out


def model_record(model, build_config, compile_config) -> dict:
    """config.json's content: the model serialized as Keras 3 writes it."""
    from deltaw.keras.models.config import serialize_layer

    record = _keras_keys(serialize_layer(model))
    if record["registered_name"] is None and type(model).__name__ == "Functional":
        # Keras writes its functional class by its source module, with a registered name.
        record.update(module="keras.src.models.functional", registered_name="Functional")
    if getattr(type(model), "_keras_module", None):  # a class Keras exports elsewhere
        record["module"] = type(model)._keras_module
    record["build_config"] = build_config
    record["compile_config"] = compile_config
    return record


def _object(value, module: str):
    """A compile argument as Keras 3 serializes it (names stay names)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_object(v, module) for v in value]
    if isinstance(value, dict):
        if set(value) == {"class_name", "config"}:  # deltaw's own form of an object
            builtin = _is_builtin(module, value["class_name"])
            return {"module": f"keras.{module}" if builtin else None, **value,
                    "registered_name": None if builtin else value["class_name"]}
        return {k: _object(v, module) for k, v in value.items()}
    return value


def _is_builtin(module: str, class_name: str) -> bool:
    from deltaw.keras import losses, metrics, optimizers

    registry = {"losses": losses, "metrics": metrics, "optimizers": optimizers}[module]
    cls = getattr(registry, class_name, None)
    return isinstance(cls, type)


def compile_record(plain: dict | None) -> dict | None:
    """deltaw's compile config (`saving._compile_config`) in Keras 3's form."""
    if plain is None:
        return None
    return {"optimizer": _object(plain["optimizer"], "optimizers"),
            "loss": _object(plain["loss"], "losses"),
            "loss_weights": plain["loss_weights"],
            "metrics": _object(plain["metrics"], "metrics"),
            "weighted_metrics": _object(plain["weighted_metrics"], "metrics"),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _plain(value, custom_objects):
    if isinstance(value, list):
        return [_plain(v, custom_objects) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and "config" in value:
        name = value["class_name"]
        registered = value.get("registered_name")
        if name == "function" and isinstance(value["config"], str):
            return value["config"]  # a Keras function by its name ('mean_squared_error')
        if isinstance(registered, str) and registered in (custom_objects or {}):
            name = registered
        return {"class_name": name, "config": value["config"]}
    return {k: _plain(v, custom_objects) for k, v in value.items()}


def plain_compile_config(record: dict, custom_objects=None) -> dict:
    """Keras 3's compile_config in deltaw's form ({'class_name', 'config'} objects).

    Keys Keras writes that deltaw ignores: run_eagerly, steps_per_execution, jit_compile,
    auto_scale_loss (deltaw always runs its own step).
    """
    if not isinstance(record, dict):
        raise ValueError(f"expected compile_config to be an object; got {str(record)[:80]}")
    return {key: _plain(record.get(key), custom_objects)
            for key in ("optimizer", "loss", "metrics", "weighted_metrics", "loss_weights")}
