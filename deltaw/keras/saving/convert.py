"""`deltaw convert SRC DST`: a model file from one format to another, without writing Python.

Reads whatever `load_model` reads (Keras 3 `.keras`, legacy `.h5`, deltaw's own files; the
format comes from the first bytes) or, with `config`, a weights-only file (`.weights.h5`, a
legacy weights file, deltaw's weights) into the architecture that config describes. Writes the
format the destination's name asks for, as `model.save` does: `.keras` (Keras 3), `.h5`
(legacy HDF5), `.weights.h5` (Keras 3 weights only), `.onnx` (`model.export`), any other name
deltaw's own format. Reading is as safe as `load_model`: nothing in a file is ever run.
"""

from __future__ import annotations

import os

from deltaw.io import formats
from deltaw.io.errors import ModelFileError

__all__ = ["convert", "describe"]

def describe(data) -> tuple[str, bool]:
    """(what the file is, in words; whether it holds weights only), from its bytes."""
    from deltaw.io import safetensors as st
    from deltaw.io.hdf5 import H5Reader
    from deltaw.keras.saving import keras_format

    kind = formats.sniff(data)
    if kind == formats.KERAS_ZIP:
        return "a Keras 3 .keras file", False
    if kind == formats.HDF5:
        with H5Reader(data, where="convert") as reader:
            h5 = keras_format.hdf5_kind(reader)
        return {keras_format.LEGACY_MODEL: ("a legacy HDF5 model", False),
                keras_format.LEGACY_WEIGHTS: ("a legacy HDF5 weights file", True),
                keras_format.KERAS_WEIGHTS: ("a Keras 3 .weights.h5 file", True)}.get(
                    h5, ("an HDF5 file that is no Keras file", False))
    if kind == formats.DELTAW:
        _, metadata = st.deserialize(data, where="convert")
        info = st.loads_json((metadata or {}).get("deltaw", "{}"), where="convert",
                             what="the deltaw metadata")
        weights_only = isinstance(info, dict) and info.get("kind") == "weights"
        return ("deltaw's weights file" if weights_only else "deltaw's model file"), weights_only
    return "a file of no known model format", False


def _destination_kind(path: str) -> str:
    if path.endswith(".onnx"):
        return "ONNX"
    if path.endswith(".weights.h5"):
        return "Keras 3 weights (.weights.h5)"
    if path.endswith(".keras"):
        return "Keras 3 (.keras)"
    if path.endswith(".h5"):
        return "legacy HDF5 (.h5)"
    return "deltaw's format"


def _read(source: str, data: bytes, config: str | None, custom_objects):
    from deltaw.keras.models import saving
    from deltaw.keras.models.config import model_from_json

    what, weights_only = describe(data)
    if weights_only and config is None:
        raise ModelFileError(f"convert: {source!r} is {what}, which holds weights only; "
                             "expected a whole-model file. Hint: pass the architecture with "
                             "--config MODEL.json (what model.to_json() writes).")
    if config is None:
        return saving._load_model_bytes(data, f"convert: {source!r}", custom_objects), what
    with open(config, encoding="utf-8") as f:
        model = model_from_json(f.read(), custom_objects=custom_objects)
    model.load_weights(source)
    return model, what


def convert(source, destination, config=None, custom_objects=None) -> str:
    """Read `source`, write `destination` in the format its name asks for.

    Args:
        source: A model file (any format `load_model` reads), or a weights-only file when
            `config` is given.
        destination: The file to write; its name picks the format (see the module docstring).
        config: Path of a JSON model config (`model.to_json()`), for weights-only sources.
        custom_objects: Dict of name -> class or function, as for `load_model`.

    Returns:
        One line saying what was converted: formats, model, layers and parameters.

    Raises:
        FileNotFoundError: `source` or `config` does not exist.
        ModelFileError: `source` is not a model file deltaw reads (nothing is written then).
    """
    source, destination = os.fspath(source), os.fspath(destination)
    with open(source, "rb") as f:
        data = f.read()
    model, what = _read(source, data, config, custom_objects)
    kind = _destination_kind(destination)
    if kind == "ONNX":
        model.export(destination, format="onnx")
    elif destination.endswith(".weights.h5"):
        model.save_weights(destination)
    else:
        model.save(destination)
    params = sum(int(w.data.size) for w in model.weights)
    return (f"converted {source} ({what}) -> {destination} ({kind}): model '{model.name}', "
            f"{len(model.layers)} layers, {params:,} parameters")
