"""Saving and loading whole models and their weights, in Keras' formats and deltaw's own.

`model.save(path)` / `load_model(path)` keep the architecture, the weights and the training state
(compile arguments and every optimizer variable: iteration count, learning rate, slots), so that
training continues after loading exactly as it would have without saving. `model.save_weights` /
`model.load_weights` keep the weights only.

Which format is written depends on the name, as in Keras 3:

- `"*.keras"`: Keras 3's zip (metadata.json, config.json, model.weights.h5), which real Keras
  loads (`deltaw.keras.saving.keras_format`);
- `save_weights("*.h5")` (so `"*.weights.h5"`): Keras 3's HDF5 weight layout;
- `save("*.h5")`: the legacy HDF5 file of tf.keras 2 / Keras 3's legacy writer
  (`deltaw.keras.saving.legacy_h5`), which real Keras loads;
- any other name, documented as `"*.safetensors"`: deltaw's own format, described below.

Which format is read depends on the file's first bytes, never on its name
(`deltaw.io.formats.sniff`): a zip is a `.keras` file, an HDF5 file is a Keras 3 weights file
or a legacy tf.keras 2 `.h5` file (`deltaw.keras.saving.legacy_h5`), anything else goes to
deltaw's own parser; so every file saved before keeps loading under any name. A file of a kind
the function cannot use (a weights file given to `load_model`) gets an error naming its kind and
the function to call.

deltaw's own format:

File content: tensors `weights/0000`, `weights/0001`, ... (`model.get_weights()` order) and
`optimizer/0000`, ... (`model.optimizer.variables` order), plus one metadata entry "deltaw", a
JSON string:

    {"format_version": 1, "kind": "model" | "weights", "deltaw_version": "0.1.0",
     "model_config": {"class_name": "Sequential", "config": model.get_config()},
     "build_config": model.get_build_config(),
     "compile_config": {"optimizer": {"class_name": "Adam", "config": {...}}, "loss": "mse",
                        "metrics": ["mae"], "weighted_metrics": null, "loss_weights": null} | null,
     "weight_names": ["dense/kernel", ...], "optimizer_variables": ["iteration", ...]}

Weights-only files have no model_config/compile_config and no optimizer tensors.

Security: loading never runs code from the file. Every read goes through one validating parser;
class names resolve only through deltaw's closed registries (layers, optimizers, losses,
metrics) and the caller's `custom_objects`; no pickle, eval or import, and no path in the file is
opened. Any problem in the file (including a config that cannot be rebuilt, or weights whose
count, shapes or dtypes do not fit the architecture) raises `ModelFileError`. The model is rebuilt
and every weight and optimizer variable is checked before the first value is assigned, so a failed
load never leaves a half-loaded model; `load_weights` into an existing model is all-or-nothing.
Writes are atomic (`deltaw.io.atomic_write`): a crash mid-save leaves the previous file intact.

Differences from Keras 3 (deliberate): `save` accepts any file name (not only `.keras`/`.h5`)
and `zipped` is ignored; `safe_mode=False` enables nothing, since no file format deltaw reads is
allowed to carry code (Keras' Lambda bytecode is refused); a custom loss or metric *function*
is saved by its `__name__` and needs `custom_objects` to load.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from deltaw.io import formats
from deltaw.io import safetensors as st
from deltaw.io.atomic import atomic_write
from deltaw.io.errors import ModelFileError
from deltaw.io.limits import allocation_budget
from deltaw.keras.saving import object_registration

__all__ = ["FORMAT_VERSION", "load_model", "load_weights", "save_model", "save_weights"]

FORMAT_VERSION = 1
METADATA_KEY = "deltaw"
_BUDGET_SLACK = 1 << 16  # bytes a rebuilt model may create beyond the file's weights
_OBJECT_KEYS = {"class_name", "config"}
KERAS_SUFFIX, H5_SUFFIX = ".keras", ".h5"  # Keras' formats; any other name: deltaw's own
NATIVE_SUFFIX = ".safetensors"  # the documented suffix of deltaw's own format


# ----------------------------------------------------------------------------------------------
# Writing


def _ask_to_overwrite(filepath: str) -> bool:
    # Keras 3's prompt (keras.src.utils.io_utils.ask_to_proceed_with_overwrite); no stdin means no.
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    except EOFError:
        return False
    if answer == "y":
        print("[TIP] Next time specify overwrite=True!")
    return answer == "y"


def _weight_name(variable, index: int) -> str:
    return str(getattr(variable, "path", None) or getattr(variable, "name", None) or index)


def _serialize_value(value, where: str):
    """A compile argument (loss, metric, nested list/dict of them) as JSON-safe values."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_serialize_value(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _serialize_value(v, where) for k, v in value.items()}
    if hasattr(value, "get_config") and not isinstance(value, type):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    name = getattr(value, "__name__", None) or getattr(value, "name", None)
    if isinstance(name, str) and name != "<lambda>":
        return name  # a function: restored by name (built-in) or through custom_objects
    raise TypeError(f"{where}: cannot save the compile argument {value!r}; expected names, "
                    "objects with get_config() or named functions. Hint: pass "
                    "include_optimizer=False to save without the training configuration.")


def _compile_config(model, where: str):
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    raw = (model.get_compile_config() if hasattr(model, "get_compile_config") else None) or {}
    optimizer = model.optimizer
    return {
        "optimizer": {"class_name": type(optimizer).__name__, "config": optimizer.get_config()},
        "loss": _serialize_value(raw.get("loss", getattr(model, "loss", None)), where),
        "metrics": _serialize_value(raw.get("metrics"), where),
        "weighted_metrics": _serialize_value(raw.get("weighted_metrics"), where),
        "loss_weights": _serialize_value(raw.get("loss_weights"), where),
    }


def _json_default(value):
    # NumPy scalars and arrays in configs (a np.float32 learning rate, a shape from .shape)
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _to_json(info: dict, model, where: str) -> str:
    try:
        return json.dumps(info, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: the configuration of model '{model.name}' is not "
                        f"JSON-serializable ({exc}); expected get_config() to return plain "
                        "values. Hint: give custom layers a get_config() returning numbers, "
                        "strings, lists and dicts.") from None


def _write_bytes(path: str, blob: bytes, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path) and not _ask_to_overwrite(path):
        return
    atomic_write(path, blob)


def _write(filepath, tensors: dict, info: dict, model, overwrite: bool, where: str) -> None:
    path = os.fspath(filepath)
    if not overwrite and os.path.exists(path) and not _ask_to_overwrite(path):
        return
    blob = st.serialize(tensors, {METADATA_KEY: _to_json(info, model, where)})
    atomic_write(path, blob)


def _keras_format():
    from deltaw.keras.saving import keras_format

    return keras_format


def _weight_paths(model) -> dict[int, str]:
    """id(variable) -> 'layer/weight' path ('inner_model/dense/kernel' for nested models)."""
    paths = {}

    def visit(layer, prefix):
        for sub in getattr(layer, "layers", None) or ():  # sublayers first: deepest path wins
            visit(sub, f"{prefix}{sub.name}/")
        for w in layer.weights:
            paths.setdefault(id(w), getattr(w, "path", None) or f"{prefix}{w.name}")

    visit(model, "")
    return paths


def _weights_and_names(model):
    paths = _weight_paths(model)
    names = [paths.get(id(v)) or _weight_name(v, i) for i, v in enumerate(model.weights)]
    arrays = [np.asarray(a) for a in model.get_weights()]
    return arrays, names


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True, **kwargs):
    """Save a whole model (architecture, weights, compile arguments, optimizer state) to one file.

    Args:
        model: The model (Sequential, functional or subclassed with get_config/from_config).
        filepath: Path (str or os.PathLike). '.keras' writes Keras 3's zip and '.h5' the legacy
            HDF5 file (real Keras loads both); any other name deltaw's own format
            ('.safetensors' by convention).
        overwrite: When False and the file exists, ask on stdin first (Keras 3's prompt).
        zipped: Accepted for Keras 3 compatibility and ignored.
        include_optimizer: Also save the compile arguments and optimizer variables.
        **kwargs: Only `save_format` (None, "keras", "h5" or "deltaw"; ignored).

    Raises:
        TypeError: The config is not JSON-serializable, or an unknown keyword was given.
        OSError: The folder is missing or not writable (the old file is then left intact).
    """
    where = "save_model"
    _check_kwargs(where, kwargs, save_format=(None, "keras", "h5", "deltaw"))
    path = os.fspath(filepath)
    if str(path).endswith(KERAS_SUFFIX):
        _keras_format().save_keras(model, path, include_optimizer, overwrite)
        return
    if str(path).endswith(H5_SUFFIX):
        from deltaw.keras.saving import legacy_h5

        _write_bytes(path, legacy_h5.model_file(model, include_optimizer, where), overwrite)
        return
    arrays, names = _weights_and_names(model)
    tensors = {f"weights/{i:04d}": a for i, a in enumerate(arrays)}
    compile_config = _compile_config(model, where) if include_optimizer else None
    optimizer_names = []
    if compile_config is not None:
        for i, v in enumerate(model.optimizer.variables):
            tensors[f"optimizer/{i:04d}"] = np.asarray(v.data)
            optimizer_names.append(_weight_name(v, i))
    build_config = model.get_build_config() if hasattr(model, "get_build_config") else None
    info = {
        "format_version": FORMAT_VERSION, "kind": "model", "deltaw_version": _version(),
        "model_config": {"class_name": type(model).__name__, "config": model.get_config()},
        "build_config": build_config, "compile_config": compile_config,
        "weight_names": names, "optimizer_variables": optimizer_names,
    }
    _write(filepath, tensors, info, model, overwrite, where)


def save_weights(model, filepath, overwrite=True):
    """Save only the model's weights to one file: Keras 3's `.weights.h5` layout for names
    ending in '.h5', deltaw's own format (`get_weights()` order) for any other name.

    Raises:
        OSError: The folder is missing or not writable (the old file is then left intact).
    """
    path = os.fspath(filepath)
    if str(path).endswith(H5_SUFFIX):
        _keras_format().save_weights_h5(model, path, overwrite)
        return
    arrays, names = _weights_and_names(model)
    info = {"format_version": FORMAT_VERSION, "kind": "weights", "deltaw_version": _version(),
            "weight_names": names}
    _write(filepath, {f"weights/{i:04d}": a for i, a in enumerate(arrays)}, info, model,
           overwrite, "save_weights")


def _version() -> str:
    from deltaw import __version__

    return __version__


def _check_kwargs(where: str, kwargs: dict, **allowed) -> None:
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(f"{where}: unexpected keyword argument {key!r}; expected one of "
                            f"{', '.join(allowed) or 'none'}.")
        if value not in allowed[key]:
            raise ValueError(f"{where}: {key}={value!r} is not supported; expected one of "
                             f"{allowed[key]}.")


# ----------------------------------------------------------------------------------------------
# Reading: the file's description


def _fail(label: str, what: str):
    raise ModelFileError(f"{label}: {what}")


def _string_list(info: dict, key: str, label: str) -> list[str]:
    value = info.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(label, f"the deltaw metadata's {key!r} must be a list of strings; got "
                     f"{str(value)[:80]}.")
    return value


def _read_info(metadata, label: str, need_model: bool) -> dict:
    if not metadata or METADATA_KEY not in metadata:
        _fail(label, "the file has no 'deltaw' metadata; expected a file written by deltaw's "
                     "Model.save or Model.save_weights.")
    info = st.loads_json(metadata[METADATA_KEY], where=label, what="the deltaw metadata")
    if not isinstance(info, dict):
        _fail(label, f"the deltaw metadata must be a JSON object; got {type(info).__name__}.")
    version = info.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        hint = " Hint: the file was written by a newer deltaw." \
            if type(version) is int and version > FORMAT_VERSION else ""
        _fail(label, f"unsupported format_version {str(version)[:40]}; expected "
                     f"{FORMAT_VERSION}.{hint}")
    kind = info.get("kind")
    if kind not in ("model", "weights"):
        _fail(label, f"unknown file kind {str(kind)[:40]!r}; expected 'model' or 'weights'.")
    if need_model and kind != "model":
        _fail(label, "this file holds weights only (written by save_weights); expected a whole "
                     "model. Hint: build the model and call model.load_weights(path).")
    info["weight_names"] = _string_list(info, "weight_names", label)
    info["optimizer_variables"] = _string_list(info, "optimizer_variables", label)
    if kind == "model":
        config = info.get("model_config")
        if not (isinstance(config, dict) and isinstance(config.get("class_name"), str)
                and isinstance(config.get("config"), dict)):
            _fail(label, "the deltaw metadata's 'model_config' must be {'class_name': str, "
                         f"'config': dict}}; got {str(config)[:80]}.")
        for key in ("compile_config", "build_config"):
            if not isinstance(info.get(key), dict | None):
                _fail(label, f"the deltaw metadata's {key!r} must be an object or null; got "
                             f"{str(info.get(key))[:80]}.")
    return info


def _split_tensors(tensors: dict, info: dict, label: str):
    weights = [f"weights/{i:04d}" for i in range(len(info["weight_names"]))]
    slots = [f"optimizer/{i:04d}" for i in range(len(info["optimizer_variables"]))]
    expected = set(weights) | set(slots)
    if set(tensors) != expected:
        extra = sorted(set(tensors) - expected)[:5]
        missing = sorted(expected - set(tensors))[:5]
        _fail(label, f"the tensors do not match the deltaw metadata (unexpected: {extra}, "
                     f"missing: {missing}); expected weights/0000.. for {len(weights)} weights and "
                     f"optimizer/0000.. for {len(slots)} optimizer variables.")
    return [tensors[k] for k in weights], [tensors[k] for k in slots]


def _check_arrays(label: str, what: str, variables, arrays, names, skip_mismatch=False,
                  paths=None):
    """Indices of `variables` to assign from `arrays`; raises on any mismatch (unless skipped).

    Weights match by position (`get_weights()` order), so auto-generated layer names ('dense_3'
    in one session, 'dense' in another) do not matter; the weight's own name (the last part of
    its path: 'kernel', 'bias', 'gamma') must agree, as must its shape and dtype.
    """
    paths = paths or {}
    if len(variables) != len(arrays):
        _fail(label, f"the file holds {len(arrays)} {what}s but the model has {len(variables)}; "
                     "expected the same architecture.")
    keep = []
    for i, (v, a, saved_name) in enumerate(zip(variables, arrays, names, strict=True)):
        data, name = v.data, paths.get(id(v)) or _weight_name(v, i)
        if data.shape != a.shape or data.dtype != a.dtype:
            message = (f"{what} {i} ('{saved_name}') has shape {a.shape} and dtype {a.dtype} in "
                       f"the file; expected shape {data.shape} and dtype {data.dtype} (model "
                       f"variable '{name}').")
        elif saved_name.rsplit("/", 1)[-1] != name.rsplit("/", 1)[-1]:
            message = (f"{what} {i} is '{saved_name}' in the file but '{name}' in the model; "
                       "expected the same architecture.")
        else:
            keep.append(i)
            continue
        if not skip_mismatch:
            _fail(label, message)
        warnings.warn(f"{label}: skipping {message}", stacklevel=3)
    return keep


# ----------------------------------------------------------------------------------------------
# Reading: rebuilding from the (untrusted) config


def _build(model, build_config, expect_weights: bool) -> None:
    if not build_config or (model.built and model.weights):
        return
    model.build_from_config(build_config)
    if expect_weights and not model.weights and build_config.get("input_shape") is not None:
        # A subclassed model creates its weights only when called: run it once (Model.build),
        # as Keras 3's build_from_config does.
        from deltaw.keras.layers import nest

        model.build(nest.map_shape_structure(tuple, build_config["input_shape"]))


def _rebuild_model(info: dict, custom_objects, budget: int, label: str):
    from deltaw.keras import models

    try:
        with allocation_budget(budget + _BUDGET_SLACK, label):
            model = models.model_from_config(info["model_config"], custom_objects=custom_objects)
            _build(model, info.get("build_config"), expect_weights=budget > 0)
    except ModelFileError:
        raise
    except Exception as exc:  # a hostile config may trip anything; never let it escape raw
        raise ModelFileError(f"{label}: could not rebuild the model from its config "
                             f"({type(exc).__name__}: {str(exc)[:300]}).") from None
    return model


def _registry(module_name: str):
    from deltaw.keras import losses, metrics, optimizers

    return {"losses": losses, "metrics": metrics, "optimizers": optimizers}[module_name]


def _resolve_object(module_name: str, value: dict, custom_objects):
    name = value["class_name"]
    if not isinstance(name, str) or not isinstance(value["config"], dict):
        raise ValueError(f"expected {{'class_name': str, 'config': dict}}; got {str(value)[:80]}")
    custom = (custom_objects or {}).get(name)
    if custom is not None:
        return custom.from_config(value["config"]) if hasattr(custom, "from_config") \
            else custom(**value["config"])
    module = _registry(module_name)  # a closed set of deltaw modules, never a name from the file
    if hasattr(module, "deserialize"):
        return module.deserialize(value, custom_objects=custom_objects)
    return module.get(value)


def _decode_value(value, module_name: str, custom_objects):
    """Inverse of `_serialize_value`: names stay names (compile resolves them) unless custom."""
    if isinstance(value, str):
        return (custom_objects or {}).get(value, value)
    if isinstance(value, list):
        return [_decode_value(v, module_name, custom_objects) for v in value]
    if isinstance(value, dict):
        if set(value) == _OBJECT_KEYS:
            return _resolve_object(module_name, value, custom_objects)
        return {k: _decode_value(v, module_name, custom_objects) for k, v in value.items()}
    return value


def _compile_model(model, config: dict, custom_objects, label: str) -> None:
    try:
        optimizer = config.get("optimizer")
        if not isinstance(optimizer, dict) or set(optimizer) != _OBJECT_KEYS:
            raise ValueError(f"expected an optimizer {{'class_name', 'config'}}; got "
                             f"{str(optimizer)[:80]}")
        model.compile(
            optimizer=_resolve_object("optimizers", optimizer, custom_objects),
            loss=_decode_value(config.get("loss"), "losses", custom_objects),
            metrics=_decode_value(config.get("metrics"), "metrics", custom_objects),
            weighted_metrics=_decode_value(config.get("weighted_metrics"), "metrics",
                                           custom_objects),
            loss_weights=config.get("loss_weights"),
        )
    except Exception as exc:
        raise ModelFileError(f"{label}: could not compile the model from its saved compile "
                             f"arguments ({type(exc).__name__}: {str(exc)[:300]}). Hint: pass "
                             "custom_objects for custom losses and metrics, or compile=False."
                             ) from None


def _optimizer_variables(model, count: int, label: str) -> list:
    optimizer = model.optimizer
    if len(optimizer.variables) != count and not getattr(optimizer, "built", True):
        try:
            optimizer.build(model.trainable_variables)
        except Exception as exc:
            raise ModelFileError(f"{label}: could not build the optimizer's variables "
                                 f"({type(exc).__name__}: {str(exc)[:300]}).") from None
    return list(optimizer.variables)


def _assign(variables, arrays, indices) -> None:
    for i in indices:
        variables[i].assign(arrays[i])


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by `model.save` / `save_model`, ready to predict or continue training.

    Reads Keras 3 `.keras` files, legacy tf.keras 2 whole-model `.h5` files and deltaw's own
    files, whichever the name: the format comes from the file's first bytes.

    Args:
        filepath: Path of the file (any name).
        custom_objects: Dict of name -> class or function for custom layers, losses, metrics and
            optimizers. With the objects registered by `register_keras_serializable` and those of
            an active `custom_object_scope`, the only way a file can name a class outside
            deltaw's registries.
        compile: Also compile the model with the saved arguments and restore the optimizer state.
        safe_mode: Accepted for Keras 3 compatibility and ignored: loading is always safe
            (no code from a file is ever run, whatever the file or its config says).

    Returns:
        The model, with its weights (and, when compiled, its optimizer variables) restored.

    Raises:
        FileNotFoundError: `filepath` does not exist.
        ModelFileError: The file is corrupted or forged, names an unknown class, or holds
            weights that do not fit the architecture. Nothing was partially loaded.

    Example:
        >>> model.save("model.keras")                                      # doctest: +SKIP
        >>> model = deltaw.keras.models.load_model("model.keras")         # doctest: +SKIP
    """
    path = os.fspath(filepath)
    with open(path, "rb") as f:
        data = f.read()
    custom_objects = object_registration.resolve_custom_objects(custom_objects)
    return _load_model_bytes(data, f"load_model: {path!r}", custom_objects, compile)


def _wrong_file(label: str, kind: str, call: str):
    raise ModelFileError(f"{label}: this is {kind}; expected {call}")


def _load_model_bytes(data, label: str, custom_objects=None, compile=True):
    """`load_model` on a file's bytes (the corpus tests feed thousands of variants this way).

    The format comes from the first bytes: a zip is a Keras 3 `.keras` file, an HDF5 file is a
    Keras weights file (refused with a hint) and anything else goes to deltaw's own parser.
    """
    kind = formats.sniff(data)
    if kind == formats.KERAS_ZIP:
        return _keras_format().load_model_bytes(data, label, custom_objects, compile)
    if kind == formats.HDF5:
        model = _keras_format().load_legacy_model_bytes(data, label, custom_objects, compile)
        if not isinstance(model, str):
            return model
        _refuse_hdf5_model(model, label)
    tensors, metadata = st.deserialize(data, where=label)
    info = _read_info(metadata, label, need_model=True)
    weights, slots = _split_tensors(tensors, info, label)
    model = _rebuild_model(info, custom_objects, sum(a.nbytes for a in weights), label)
    variables = list(model.weights)
    keep = _check_arrays(label, "weight", variables, weights, info["weight_names"],
                         paths=_weight_paths(model))
    opt_variables, opt_keep = [], []
    if compile and info.get("compile_config") is not None:
        _compile_model(model, info["compile_config"], custom_objects, label)
        if slots:
            opt_variables = _optimizer_variables(model, len(slots), label)
            opt_keep = _check_arrays(label, "optimizer variable", opt_variables, slots,
                                     info["optimizer_variables"])
    # Everything is checked: assign (nothing above touched a value).
    _assign(variables, weights, keep)
    _assign(opt_variables, slots, opt_keep)
    return model


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by `save_weights` or `save` into an existing, built model.

    Reads Keras 3 `.weights.h5` and `.keras` files, legacy tf.keras 2 `.h5` files and deltaw's
    own files (the format comes from the first bytes). All-or-nothing: every weight's shape and
    dtype is checked before the first is assigned.

    Args:
        model: A built model with the saved architecture.
        filepath: Path of the file (any name; a whole-model file works too).
        skip_mismatch: Skip (with a warning) weights whose shape or dtype differ, instead of
            raising. A different number of weights always raises (except with by_name).
        **kwargs: `by_name` (legacy HDF5 files only, as in Keras 3): match layers by name.

    Raises:
        FileNotFoundError: `filepath` does not exist.
        ValueError: The model is not built.
        ModelFileError: The file is corrupted, or its weights do not fit the model.
    """
    _check_kwargs("load_weights", kwargs, by_name=(True, False))
    path = os.fspath(filepath)
    label = f"load_weights: {path!r}"
    if not model.built:
        raise ValueError(f"load_weights: model '{model.name}' is not built; expected a built "
                         "model. Hint: call the model on a batch, or give it an Input, first.")
    with open(path, "rb") as f:
        data = f.read()
    _load_weights_bytes(model, data, label, skip_mismatch, kwargs.get("by_name", False))


def _refuse_hdf5_model(kind: str, label: str):
    keras_format = _keras_format()
    if kind == keras_format.KERAS_WEIGHTS:
        _wrong_file(label, "a Keras 3 weights file (.weights.h5, weights only)", "a whole-model "
                    "file. Hint: build the model and call model.load_weights(path).")
    if kind == keras_format.LEGACY_WEIGHTS:
        keras_format._refuse_legacy(kind, label)
    _wrong_file(label, "an HDF5 file without Keras' layout", "a '.keras' file or a deltaw "
                "model file.")


def _load_weights_bytes(model, data, label: str, skip_mismatch=False, by_name=False) -> None:
    """`load_weights` on a file's bytes; the format comes from the first bytes."""
    kind = formats.sniff(data)
    if kind in (formats.KERAS_ZIP, formats.HDF5):
        _keras_format().load_weights_bytes(model, data, label, skip_mismatch,
                                           from_zip=kind == formats.KERAS_ZIP, by_name=by_name)
        return
    if by_name:
        raise ValueError(f"{label}: by_name=True works only with legacy HDF5 files (as in "
                         "Keras 3); expected by_name=False for a deltaw file.")
    tensors, metadata = st.deserialize(data, where=label)
    info = _read_info(metadata, label, need_model=False)
    weights, _ = _split_tensors(tensors, info, label)
    variables = list(model.weights)
    keep = _check_arrays(label, "weight", variables, weights, info["weight_names"], skip_mismatch,
                         _weight_paths(model))
    _assign(variables, weights, keep)
