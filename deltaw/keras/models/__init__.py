"""keras.models: Model (functional and subclassed), Sequential, and rebuilding from configs.

`load_model` / `save_model` come from `deltaw.keras.models.saving` and load on first use.
"""

import importlib

from deltaw.keras.models.cloning import clone_model
from deltaw.keras.models.config import model_from_config, model_from_json
from deltaw.keras.models.functional import Functional
from deltaw.keras.models.model import Model
from deltaw.keras.models.sequential import Sequential

_SAVING = ("load_model", "save_model")

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "save_model"]


def __getattr__(name):
    if name in _SAVING:
        module = importlib.import_module("deltaw.keras.models.saving")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deltaw.keras.models' has no attribute {name!r}")
