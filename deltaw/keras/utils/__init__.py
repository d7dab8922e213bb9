"""keras.utils: data loading, preprocessing helpers and small conveniences, as Keras 3 names them.

- files: `get_file` (download, cache, hash check, safe extraction);
- sequences and arrays: `pad_sequences`, `to_categorical`, `normalize`;
- datasets: `PyDataset` (alias `Sequence`), `timeseries_dataset_from_array`,
  `image_dataset_from_directory`, `text_dataset_from_directory`, `audio_dataset_from_directory`,
  `split_dataset`;
- images: `load_img`, `img_to_array`, `array_to_img`, `save_img` (Pillow, imported when used);
- `plot_model` (a picture of the layers, drawn with Pillow), `model_to_dot` (pydot);
- structured data: `FeatureSpace`;
- `get_source_inputs`, `Config`;
- `Progbar`, `set_random_seed`, `pack_x_y_sample_weight`, `unpack_x_y_sample_weight`.

Names other than those of `general` load on first use: layers and initializers import this
package for naming helpers, and must not pull in the trainers (a circular import).
"""

import importlib

from deltaw.keras.utils.general import (  # the naming helpers are imported from here
    _auto_name,  # noqa: F401
    _to_snake_case,  # noqa: F401
    normalize,
    set_random_seed,
    to_categorical,
)

_LAZY = {
    "Config": "deltaw.keras.utils.config",
    "CustomObjectScope": "deltaw.keras.saving.object_registration",
    "FeatureSpace": "deltaw.keras.utils.feature_space",
    "clear_session": "deltaw.keras.backend",
    "custom_object_scope": "deltaw.keras.saving.object_registration",
    "deserialize_keras_object": "deltaw.keras.saving.object_registration",
    "disable_interactive_logging": "deltaw.keras.config",
    "enable_interactive_logging": "deltaw.keras.config",
    "get_custom_objects": "deltaw.keras.saving.object_registration",
    "get_registered_name": "deltaw.keras.saving.object_registration",
    "get_registered_object": "deltaw.keras.saving.object_registration",
    "is_interactive_logging_enabled": "deltaw.keras.config",
    "is_keras_tensor": "deltaw.keras.backend",
    "register_keras_serializable": "deltaw.keras.saving.object_registration",
    "serialize_keras_object": "deltaw.keras.saving.object_registration",
    "standardize_dtype": "deltaw.keras.backend",
    "Progbar": "deltaw.keras.callbacks.progbar",
    "PyDataset": "deltaw.keras.utils.py_dataset",
    "Sequence": "deltaw.keras.utils.py_dataset",
    "array_to_img": "deltaw.keras.utils.image_utils",
    "audio_dataset_from_directory": "deltaw.keras.utils.audio_dataset",
    "get_file": "deltaw.keras.utils.file_utils",
    "get_source_inputs": "deltaw.keras.utils.graph_utils",
    "image_dataset_from_directory": "deltaw.keras.utils.directory_datasets",
    "img_to_array": "deltaw.keras.utils.image_utils",
    "load_img": "deltaw.keras.utils.image_utils",
    "model_to_dot": "deltaw.keras.utils.model_dot",
    "pack_x_y_sample_weight": "deltaw.keras.trainers.data_adapter",
    "pad_sequences": "deltaw.keras.utils.sequence_utils",
    "plot_model": "deltaw.keras.utils.model_visualization",
    "save_img": "deltaw.keras.utils.image_utils",
    "split_dataset": "deltaw.keras.utils.dataset_utils",
    "text_dataset_from_directory": "deltaw.keras.utils.directory_datasets",
    "timeseries_dataset_from_array": "deltaw.keras.utils.dataset_utils",
    "unpack_x_y_sample_weight": "deltaw.keras.trainers.data_adapter",
}

__all__ = ["normalize", "set_random_seed", "to_categorical", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'deltaw.keras.utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
