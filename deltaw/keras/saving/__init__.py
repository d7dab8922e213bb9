"""keras.saving: whole-model and weight files, and custom objects (Keras 3's namespace).

The file functions are `deltaw.keras.models.saving`'s (loaded on first use); this package also
holds Keras' formats: `keras_format` (the `.keras` zip and `.weights.h5`), `keras_layout` (where
Keras puts each weight and how its config is wrapped), `legacy_h5` (tf.keras 2 `.h5` files) and
`object_registration` (the user's classes that configs may name).
"""

import importlib

from deltaw.keras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

_FILES = ("load_model", "load_weights", "save_model", "save_weights")
_LAZY = {"KerasFileEditor": "deltaw.keras.saving.file_editor"}

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "register_keras_serializable", "serialize_keras_object", "KerasFileEditor", *_FILES]


def __getattr__(name):
    if name in _FILES:  # models.saving imports the models, which import this package
        value = getattr(importlib.import_module("deltaw.keras.models.saving"), name)
        globals()[name] = value
        return value
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deltaw.keras.saving' has no attribute {name!r}")
