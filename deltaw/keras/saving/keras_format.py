"""Keras 3's files: the `.keras` zip and the `.weights.h5` weight file, written and read.

A `.keras` file is a zip (`deltaw.io.keras_zip`) of `metadata.json`, `config.json` (the model
serialized as Keras 3 does: module, class_name, config, registered_name, build_config,
compile_config) and `model.weights.h5`, an HDF5 file (`deltaw.io.hdf5`) with each variable at
its Keras path (`keras_layout.weight_paths`) and the optimizer's variables at
`optimizer/vars/0..n` (iteration, learning rate, then the slots). A `.weights.h5` file is that
HDF5 file alone.

Reading is as strict as deltaw's own format: the archive is read in memory with size and count
limits; the config is parsed with depth limits and rebuilt only from deltaw's registries and
`custom_objects` (`module` fields are data, never imported; Python bytecode, which Keras writes
for `lambda` functions, is refused and never run); the model is rebuilt under an allocation
budget equal to the weights the file holds; every dataset's shape and dtype is compared with the
model before any data is read; nothing is assigned until everything has been checked. Every
problem raises `ModelFileError` naming the file.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from deltaw.io import keras_zip
from deltaw.io import safetensors as st
from deltaw.io.errors import ModelFileError
from deltaw.io.hdf5 import H5Reader, write_h5
from deltaw.keras.saving import keras_layout, legacy_h5

__all__ = ["hdf5_kind", "load_legacy_model_bytes", "load_model_bytes", "load_weights_bytes",
           "save_keras", "save_weights_h5"]

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
KERAS_WEIGHTS, LEGACY_MODEL, LEGACY_WEIGHTS, OTHER = ("keras weights", "legacy model",
                                                      "legacy weights", "other")


def _fail(label: str, what: str):
    raise ModelFileError(f"{label}: {what}")


# ----------------------------------------------------------------------------------- writing


def _weights_h5(model, include_optimizer: bool, where: str) -> bytes:
    from deltaw.keras.models import saving

    try:
        paths, groups = keras_layout.weight_paths(model)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    datasets = dict(zip(paths, (np.asarray(a) for a in model.get_weights()), strict=True))
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and saving._compile_config(model, where):
        groups["optimizer/vars"] = {"name": optimizer.name}
        for i, variable in enumerate(optimizer.variables):
            datasets[f"optimizer/vars/{i}"] = np.asarray(variable.data)
    return write_h5(datasets, groups, where=where)


def save_keras(model, path: str, include_optimizer: bool, overwrite: bool) -> None:
    """Write `model` to `path` as a Keras 3 `.keras` zip (see the module docstring)."""
    from deltaw.keras.models import saving

    where = "save_model"
    compile_config = saving._compile_config(model, where) if include_optimizer else None
    build_config = model.get_build_config() if hasattr(model, "get_build_config") else None
    record = keras_layout.model_record(model, build_config,
                                       keras_layout.compile_record(compile_config))
    # No "date_saved" (Keras writes one; no reader needs it): the same model gives the same bytes.
    metadata = {"keras_version": keras_layout.KERAS_VERSION, "deltaw_version": saving._version()}
    blob = keras_zip.write_archive({
        METADATA: json.dumps(metadata).encode(),
        CONFIG: saving._to_json(record, model, where).encode(),
        WEIGHTS: _weights_h5(model, include_optimizer, where),
    })
    saving._write_bytes(path, blob, overwrite)


def save_weights_h5(model, path: str, overwrite: bool) -> None:
    """Write `model`'s weights (and its optimizer's variables) as a Keras 3 `.weights.h5`."""
    from deltaw.keras.models import saving

    saving._write_bytes(path, _weights_h5(model, True, "save_weights"), overwrite)


# ----------------------------------------------------------------------------------- reading


def hdf5_kind(reader: H5Reader) -> str:
    """KERAS_WEIGHTS (Keras 3 layout), LEGACY_MODEL / LEGACY_WEIGHTS (tf.keras 2) or OTHER."""
    if reader.attr("", "model_config") is not None:
        return LEGACY_MODEL
    if reader.attr("", "layer_names") is not None or "model_weights" in reader.groups:
        return LEGACY_WEIGHTS
    if "vars" in reader.groups or "layers" in reader.groups:
        return KERAS_WEIGHTS
    return OTHER


def _refuse_legacy(kind: str, label: str):
    _fail(label, f"this is a legacy HDF5 {kind.split()[-1]} file (tf.keras 2 layout), which "
                 "holds weights only; expected a whole-model file. Hint: build the model and "
                 "call model.load_weights(path).")


def _guard(value, label: str, layer: str = "?", depth: int = 0) -> None:
    """Refuse what must never be acted on: Python bytecode (Keras' lambda serialization)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__":
            _fail(label, f"layer '{layer}' holds a Python lambda as bytecode; deltaw never runs "
                         "code from a file. Hint: define the function in your code and pass it "
                         "through custom_objects (by name).")
        config = value.get("config")
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            layer = config["name"][:80]
        for item in value.values():
            _guard(item, label, layer, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _guard(item, label, layer, depth + 1)


def _kind_matches(file_dtype: np.dtype, model_dtype: np.dtype) -> bool:
    kinds = {file_dtype.kind.replace("u", "i"), model_dtype.kind.replace("u", "i")}
    return len(kinds) == 1


def _check_datasets(reader: H5Reader, label: str, variables, paths, skip_mismatch: bool,
                    what: str = "weight") -> list[int]:
    """Indices of `variables` whose dataset at `paths[i]` fits (shape exact, same dtype kind)."""
    keep = []
    for i, (variable, path) in enumerate(zip(variables, paths, strict=True)):
        found = reader.datasets.get(path)
        data = variable.data
        if found is None:
            message = f"{what} '{variable.name}' has no dataset '{path}' in the file"
        elif found[0] != data.shape or not _kind_matches(found[1], data.dtype):
            message = (f"{what} '{variable.name}' ({path}) has shape {found[0]} and dtype "
                       f"{found[1]} in the file; expected shape {data.shape} and dtype "
                       f"{data.dtype}")
        else:
            keep.append(i)
            continue
        if not skip_mismatch:
            _fail(label, f"{message}; expected the saved architecture.")
        warnings.warn(f"{label}: skipping {message}.", stacklevel=4)
    return keep


def _model_weights(reader: H5Reader, model, label: str, skip_mismatch: bool):
    try:
        paths, _ = keras_layout.weight_paths(model)
    except ValueError as exc:
        raise ModelFileError(f"{label}: {exc}") from None
    extra = sorted(p for p in reader.datasets if not p.startswith("optimizer/")
                   and p not in set(paths))
    if extra and not skip_mismatch:
        _fail(label, f"the file holds weights the model does not have ({extra[:5]}); expected "
                     "the saved architecture.")
    variables = list(model.weights)
    keep = _check_datasets(reader, label, variables, paths, skip_mismatch)
    arrays = {i: reader.read(paths[i]).astype(variables[i].data.dtype, copy=False)
              for i in keep}
    return variables, arrays


def _optimizer_state(reader: H5Reader, model, label: str):
    from deltaw.keras.models import saving

    count = sum(1 for p in reader.datasets if p.startswith("optimizer/vars/"))
    if not count:
        return [], {}
    variables = saving._optimizer_variables(model, count, label)
    if count == 2 and len(variables) > 2:
        variables = variables[:2]  # saved before the first step: iteration and learning rate
    if len(variables) != count:
        _fail(label, f"the file holds {count} optimizer variables but the optimizer has "
                     f"{len(variables)}; expected the saved optimizer.")
    paths = [f"optimizer/vars/{i}" for i in range(count)]
    keep = _check_datasets(reader, label, variables, paths, False, "optimizer variable")
    return variables, {i: reader.read(paths[i]).astype(variables[i].data.dtype, copy=False)
                       for i in keep}


def _assign(variables, arrays: dict) -> None:
    for i, array in arrays.items():
        variables[i].assign(array)


def _read_record(members: dict, label: str) -> dict:
    for name in (CONFIG, WEIGHTS):
        if name not in members:
            _fail(label, f"the archive has no {name}; expected a Keras 3 '.keras' file "
                         "(metadata.json, config.json, model.weights.h5).")
    try:
        text = members[CONFIG].decode("utf-8")
    except UnicodeDecodeError:
        _fail(label, "config.json is not UTF-8 text; expected JSON.")
    record = st.loads_json(text, where=label, what="config.json")
    if not (isinstance(record, dict) and isinstance(record.get("class_name"), str)
            and isinstance(record.get("config"), dict)):
        _fail(label, "config.json must be an object with 'class_name' (a string) and 'config' "
                     f"(an object); got {text[:80]!r}.")
    for key in ("compile_config", "build_config"):
        if not isinstance(record.get(key), dict | None):
            _fail(label, f"config.json's {key!r} must be an object or null.")
    _guard(record, label)
    return record


def load_model_bytes(data, label: str, custom_objects=None, compile=True):
    """A model from a `.keras` file's bytes (the zip), ready to predict or continue training."""
    from deltaw.keras.models import saving

    members = keras_zip.read_archive(data, where=label, wanted={CONFIG, METADATA, WEIGHTS})
    record = _read_record(members, label)
    with H5Reader(members[WEIGHTS], where=f"{label} ({WEIGHTS})") as reader:
        if hdf5_kind(reader) not in (KERAS_WEIGHTS, OTHER):
            _fail(label, f"{WEIGHTS} is not in Keras 3's weight layout.")
        budget = sum(int(np.prod(shape, dtype=object)) * dtype.itemsize
                     for path, (shape, dtype) in reader.datasets.items()
                     if not path.startswith("optimizer/"))
        model_config = {k: v for k, v in record.items() if k != "compile_config"}
        info = {"model_config": model_config, "build_config": record.get("build_config")}
        model = saving._rebuild_model(info, custom_objects, budget, label)
        variables, arrays = _model_weights(reader, model, label, skip_mismatch=False)
        opt_variables, opt_arrays = [], {}
        if compile and record.get("compile_config"):
            try:
                plain = keras_layout.plain_compile_config(record["compile_config"],
                                                          custom_objects)
            except ValueError as exc:
                raise ModelFileError(f"{label}: {exc}.") from None
            saving._compile_model(model, plain, custom_objects, label)
            opt_variables, opt_arrays = _optimizer_state(reader, model, label)
    _assign(variables, arrays)
    _assign(opt_variables, opt_arrays)
    return model


def load_weights_bytes(model, data, label: str, skip_mismatch=False, from_zip=False,
                       by_name=False) -> None:
    """Load Keras 3 weights (a `.weights.h5` file, or a `.keras` zip's) into a built model."""
    if from_zip:
        if by_name:
            raise ValueError(f"{label}: by_name=True works only with legacy HDF5 files (as in "
                             "Keras 3); expected by_name=False for a '.keras' file.")
        members = keras_zip.read_archive(data, where=label, wanted={WEIGHTS})
        if WEIGHTS not in members:
            _fail(label, f"the archive has no {WEIGHTS}; expected a Keras 3 '.keras' file.")
        data = members[WEIGHTS]
    with H5Reader(data, where=label) as reader:
        if hdf5_kind(reader) in (LEGACY_MODEL, LEGACY_WEIGHTS):
            legacy_h5.load_weights(reader, model, label, skip_mismatch, by_name)
            return
        if by_name:
            raise ValueError(f"{label}: by_name=True works only with legacy HDF5 files (as in "
                             "Keras 3); expected by_name=False for a Keras 3 weights file.")
        variables, arrays = _model_weights(reader, model, label, skip_mismatch)
    _assign(variables, arrays)


def load_legacy_model_bytes(data, label: str, custom_objects=None, compile=True):
    """A model from a legacy whole-model `.h5` file's bytes (see `legacy_h5`)."""
    with H5Reader(data, where=label) as reader:
        kind = hdf5_kind(reader)
        if kind == LEGACY_MODEL:
            return legacy_h5.load_model(reader, label, custom_objects, compile)
    return kind
