"""Legacy HDF5 files (`.h5` from tf.keras 2.x and Keras 3's legacy writer): read, and written
as Keras 3's legacy writer (`save_model_to_hdf5`) writes them, for `model.save("m.h5")`.

Layout (tf.keras 2's `save_model_to_hdf5` / `save_weights_to_hdf5_group`):

    root attrs      model_config (JSON: {"class_name", "config"}), training_config (JSON: loss,
                    metrics, optimizer_config), keras_version, backend      [whole-model files]
    model_weights/  (the root itself in weights-only files) attrs layer_names: [layer, ...]
      <layer>/      attrs weight_names: ["dense/kernel:0", ...]; each weight is the dataset
                    <layer>/<weight name>, in the layer's weight order
    optimizer_weights/  attrs weight_names; datasets at those names (iteration, then slots)

Weights load by position among the layers that have weights (as Keras does), or by layer name
with `by_name=True`. tf.keras 2 configs are translated to Keras 3's keys in `upgrade_config`, the
one place that knows the differences; the result goes through the same rebuilding as `.keras`
files (deltaw's registry and `custom_objects` only, bytecode refused, allocation budget), and
every dataset's shape is checked before it is read.
"""

from __future__ import annotations

import warnings

import numpy as np

from deltaw.io import safetensors as st
from deltaw.io.errors import ModelFileError

__all__ = ["IGNORED_KEYS", "load_model", "load_weights", "model_file", "upgrade_config"]

# tf.keras 2 config keys that Keras 3 (and deltaw) dropped, with the values that mean "the
# behaviour Keras 3 has anyway" (None: any value). Another value fails loudly.
IGNORED_KEYS = {
    "time_major": (False,), "implementation": None, "fused": None, "renorm": (False,),
    "renorm_clipping": (None,), "renorm_momentum": None, "virtual_batch_size": (None,),
    "adjustment": (None,), "input_length": None, "noise_shape": (None,),
}
_OPTIMIZER_IGNORED = {"decay": (0, 0.0), "jit_compile": None, "is_legacy_optimizer": (False,)}


def _fail(label: str, what: str):
    raise ModelFileError(f"{label}: {what}")


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return []
        value = value.reshape(-1).tolist()
    if isinstance(value, str):
        return [value]
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in value]


def _drop_ignored(config: dict, table: dict, where: str) -> dict:
    out = dict(config)
    for key, allowed in table.items():
        if key in out:
            value = out.pop(key)
            if allowed is not None and value not in allowed:
                raise ValueError(f"{where}: tf.keras 2 setting {key}={value!r} has no Keras 3 "
                                 f"equivalent; expected one of {allowed}.")
    return out


def upgrade_config(value, where: str = "layer"):
    """A tf.keras 2 config (layer, model or nested) with Keras 3's keys, recursively."""
    if isinstance(value, list):
        return [upgrade_config(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("class_name"), str) and isinstance(value.get("config"), dict):
        name = value["config"].get("name", value["class_name"])
        config = _drop_ignored(value["config"], IGNORED_KEYS, f"{value['class_name']} '{name}'")
        if value["class_name"] == "InputLayer" and "batch_input_shape" in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        axis = config.get("axis")
        if value["class_name"] == "BatchNormalization" and isinstance(axis, list) and \
                len(axis) == 1:
            config["axis"] = axis[0]  # tf.keras 2 wrote its one axis as a list
        value = {**value, "config": {k: upgrade_config(v, where) for k, v in config.items()}}
        if value["class_name"] == "Model":
            value["class_name"] = "Functional"
        for key in ("input_layers", "output_layers"):  # tf.keras 2: always a list of lists
            spec = value["config"].get(key)
            if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
                value["config"][key] = spec[0]
        return value
    return {k: upgrade_config(v, where) for k, v in value.items()}


def _metric_name(value):
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        config = value.get("config") or {}
        return config.get("fn") or config.get("name")
    if isinstance(value, list):
        flat = [_metric_name(v) for v in value]
        return flat[0] if len(flat) == 1 and isinstance(value[0], list) else flat
    return value


def _compile_config(training: dict) -> dict:
    optimizer = training.get("optimizer_config")
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("class_name"), str)):
        raise ValueError(f"expected optimizer_config {{'class_name', 'config'}}; got "
                         f"{str(optimizer)[:80]}")
    name = optimizer["class_name"].removeprefix("Custom>")
    config = _drop_ignored(optimizer.get("config") or {}, _OPTIMIZER_IGNORED, name)
    loss = training.get("loss")
    if isinstance(loss, dict) and isinstance(loss.get("config"), dict) and \
            loss["config"].get("reduction") == "auto":
        loss = {**loss, "config": {**loss["config"], "reduction": "sum_over_batch_size"}}
    return {"optimizer": {"class_name": name, "config": config}, "loss": loss,
            "metrics": _metric_name(training.get("metrics")),
            "weighted_metrics": _metric_name(training.get("weighted_metrics")),
            "loss_weights": training.get("loss_weights")}


def _json_attr(reader, name: str, label: str):
    text = reader.attr("", name)
    if text is None:
        return None
    if not isinstance(text, str):
        _fail(label, f"the root attribute {name!r} must be a JSON string; got "
                     f"{type(text).__name__}.")
    return st.loads_json(text, where=label, what=f"the {name} attribute")


def _layer_weights(reader, root: str, label: str) -> dict[str, list[str]]:
    """Layer name -> dataset paths of its weights, in the file's order."""
    prefix = f"{root}/" if root else ""
    out = {}
    for layer in _strings(reader.attr(root, "layer_names")):
        group = f"{prefix}{layer}"
        if group not in reader.groups:
            _fail(label, f"layer_names lists {layer[:80]!r} but the file has no group for it.")
        paths = [f"{group}/{w}" for w in _strings(reader.attr(group, "weight_names"))]
        for path in paths:
            if path not in reader.datasets:
                _fail(label, f"weight {path[:80]!r} is listed but missing; expected a dataset.")
        out[layer] = paths
    return out


def _pairs(model, saved: dict[str, list[str]], by_name: bool, label: str):
    """(variable, dataset path) pairs: by position among layers with weights, or by name."""
    layers = [layer for layer in model.layers if layer.weights]
    if by_name:
        chosen = [(layer, saved[layer.name]) for layer in layers if layer.name in saved]
    else:
        files = [(name, paths) for name, paths in saved.items() if paths]
        if len(files) != len(layers):
            _fail(label, f"the file holds weights for {len(files)} layers but the model has "
                         f"{len(layers)} layers with weights; expected the saved architecture "
                         "(or pass by_name=True to match layers by name).")
        chosen = [(layer, paths) for layer, (_, paths) in zip(layers, files, strict=True)]
    pairs = []
    for layer, paths in chosen:
        if len(paths) != len(layer.weights):
            _fail(label, f"layer '{layer.name}' has {len(layer.weights)} weights but the file "
                         f"holds {len(paths)} for it; expected the saved architecture.")
        pairs.extend(zip(layer.weights, paths, strict=True))
    return pairs


def _read_pairs(reader, pairs, label: str, skip_mismatch: bool) -> list:
    out = []
    for variable, path in pairs:
        shape, dtype = reader.datasets[path]
        if shape != variable.data.shape or dtype.kind not in "fiub":
            message = (f"weight '{variable.name}' ({path}) has shape {shape} in the file; "
                       f"expected {variable.data.shape}")
            if not skip_mismatch:
                _fail(label, f"{message}.")
            warnings.warn(f"{label}: skipping {message}.", stacklevel=4)
            continue
        out.append((variable, reader.read(path).astype(variable.data.dtype, copy=False)))
    return out


def load_weights(reader, model, label: str, skip_mismatch=False, by_name=False) -> None:
    """Load a legacy file's weights (whole-model or weights-only) into a built model."""
    root = "model_weights" if "model_weights" in reader.groups else ""
    values = _read_pairs(reader, _pairs(model, _layer_weights(reader, root, label), by_name,
                                        label), label, skip_mismatch)
    for variable, array in values:
        variable.assign(array)


def _optimizer_values(reader, model, label: str):
    if "optimizer_weights" not in reader.groups:
        return []
    paths = [f"optimizer_weights/{w}" for w in
             _strings(reader.attr("optimizer_weights", "weight_names"))]
    if any(p not in reader.datasets for p in paths):
        _fail(label, "optimizer_weights lists a weight the file does not hold.")
    from deltaw.keras.models import saving

    variables = saving._optimizer_variables(model, len(paths), label)
    if len(paths) == len(variables) - 1:  # tf.keras 2: no learning-rate variable
        variables = variables[:1] + variables[2:]
    if len(paths) != len(variables) or any(
            reader.datasets[p][0] != v.data.shape for p, v in zip(paths, variables)):
        warnings.warn(f"{label}: the saved optimizer state does not fit the optimizer "
                      f"({len(paths)} variables, {len(variables)} expected); the optimizer "
                      "starts fresh (as Keras 3 does).", stacklevel=3)
        return []
    return [(v, reader.read(p).astype(v.data.dtype, copy=False))
            for v, p in zip(variables, paths, strict=True)]


def load_model(reader, label: str, custom_objects=None, compile=True):
    """A model from a legacy whole-model HDF5 file (an open `H5Reader`)."""
    from deltaw.keras.models import saving
    from deltaw.keras.saving.keras_format import _guard

    record = _json_attr(reader, "model_config", label)
    if not (isinstance(record, dict) and isinstance(record.get("class_name"), str)
            and isinstance(record.get("config"), dict)):
        _fail(label, "the model_config attribute must be {'class_name': str, 'config': dict}.")
    _guard(record, label)
    try:
        record = upgrade_config(record)
    except ValueError as exc:
        raise ModelFileError(f"{label}: {exc}") from None
    budget = sum(int(np.prod(shape, dtype=object)) * dtype.itemsize
                 for path, (shape, dtype) in reader.datasets.items()
                 if not path.startswith("optimizer_weights/"))
    model = saving._rebuild_model({"model_config": record, "build_config": None},
                                  custom_objects, budget, label)
    root = "model_weights" if "model_weights" in reader.groups else ""
    values = _read_pairs(reader, _pairs(model, _layer_weights(reader, root, label), False,
                                        label), label, False)
    training = _json_attr(reader, "training_config", label) if compile else None
    if isinstance(training, dict):
        try:
            plain = _compile_config(training)
        except ValueError as exc:
            raise ModelFileError(f"{label}: could not read the training configuration "
                                 f"({exc}). Hint: pass compile=False.") from None
        saving._compile_model(model, plain, custom_objects, label)
        values += _optimizer_values(reader, model, label)
    for variable, array in values:
        variable.assign(array)
    return model


# ----------------------------------------------------------------------------------- writing


def _unique_names(prefix: str, variables) -> list[bytes]:
    """Dataset names for a group's variables: `layer/kernel`, with a suffix where two variables
    share a name (HDF5 needs distinct paths; every reader loads by position)."""
    names, seen = [], {}
    for variable in variables:
        name = f"{prefix}/{variable.name}"
        seen[name] = seen.get(name, -1) + 1
        names.append((name if seen[name] == 0 else f"{name}_{seen[name]}").encode())
    return names


def _subset(root: str, names: list[bytes], variables, datasets: dict, groups: dict) -> None:
    groups[root] = {"weight_names": np.asarray(names, dtype=bytes) if names else
                    np.zeros(0, "S1")}
    for name, variable in zip(names, variables, strict=True):
        datasets[f"{root}/{name.decode()}"] = np.asarray(variable.data)


def _training_config(model, where: str):
    from deltaw.keras.models import saving

    plain = saving._compile_config(model, where)
    if plain is None:
        return None
    return {"loss": plain["loss"], "metrics": plain["metrics"],
            "weighted_metrics": plain["weighted_metrics"], "loss_weights": plain["loss_weights"],
            "optimizer_config": plain["optimizer"]}


def model_file(model, include_optimizer: bool, where: str) -> bytes:
    """`model` as a whole-model legacy HDF5 file (bytes), in the layout of the module docstring:
    real Keras 3 loads it with `keras.models.load_model`, and so does deltaw."""
    from deltaw.io.hdf5 import write_h5
    from deltaw.keras.models import saving
    from deltaw.keras.saving import keras_layout

    root = {"keras_version": keras_layout.KERAS_VERSION, "backend": "deltaw",
            "model_config": saving._to_json({"class_name": type(model).__name__,
                                             "config": model.get_config()}, model, where)}
    training = _training_config(model, where) if include_optimizer else None
    if training is not None:
        root["training_config"] = saving._to_json(training, model, where)
    groups = {"": root, "model_weights": {
        "layer_names": np.asarray([layer.name.encode() for layer in model.layers], dtype=bytes),
        "backend": "deltaw", "keras_version": keras_layout.KERAS_VERSION}}
    datasets = {}
    for layer in model.layers:
        variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
        _subset(f"model_weights/{layer.name}", _unique_names(layer.name, variables), variables,
                datasets, groups)
    own = list(model._trainable_variables) + list(model._non_trainable_variables)
    _subset("model_weights/top_level_model_weights", _unique_names(model.name, own), own,
            datasets, groups)
    if training is not None and model.optimizer.variables:
        variables = model.optimizer.variables
        _subset("optimizer_weights", _unique_names(model.optimizer.name, variables), variables,
                datasets, groups)
    return write_h5(datasets, groups, where=where)
