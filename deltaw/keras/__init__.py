"""deltaw.keras: the tf.keras API on deltaw's engine.

`from deltaw.keras.models import Sequential` or `import deltaw as tf; tf.keras.layers.Dense(...)`.
Submodules load on first use, so importing deltaw stays fast.
"""

import importlib

_SUBMODULES = (
    "activations", "applications", "backend", "callbacks", "config", "constraints", "datasets",
    "distribution", "export", "initializers", "layers", "losses", "metrics", "models", "ops",
    "optimizers",
    "random", "regularizers", "saving", "utils",
)
_NAMES = {"Input": "layers", "Model": "models", "Sequential": "models", "Layer": "layers",
          "KerasTensor": "layers", "InputSpec": "layers", "Loss": "losses", "Metric": "metrics",
          "Optimizer": "optimizers", "Initializer": "initializers", "Regularizer": "regularizers",
          "name_scope": "scopes", "DTypePolicy": "dtype_policies",
          "FloatDTypePolicy": "dtype_policies", "Operation": "operations",
          "Function": "operations"}

_KERAS_VERSION = "3.15.1"

__all__ = [*_SUBMODULES, *_NAMES, "Variable", "version"]


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f"deltaw.keras.{name}")
    elif name == "Variable":
        from deltaw.tensor import Variable as value  # keras.Variable: deltaw's trainable tensor
    elif name == "version":
        def value():
            """The Keras API version deltaw.keras follows (keras.version())."""
            return _KERAS_VERSION
    elif name in _NAMES:
        value = getattr(importlib.import_module(f"deltaw.keras.{_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module 'deltaw.keras' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
