"""Shared set-up of the modules that compare deltaw with Keras 3 on its PyTorch backend.

Importing this module selects Keras' torch backend, so a comparison module imports it before
keras. Each comparison module then imports keras itself, with `pytest.importorskip` (CI finds the
comparison modules by that call), inside `quiet()`, and passes it to `require_torch_backend`.
"""

import contextlib
import os
import warnings

import numpy as np
import pytest

import deltaw.keras as dk

os.environ["KERAS_BACKEND"] = "torch"      # read by keras at import time

SKIP_REASON = "keras is an optional comparison dependency"


@contextlib.contextmanager
def quiet():
    """Silences Keras' own warnings (input_shape= advice, NumPy 2 deprecations): not deltaw's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def require_torch_backend(keras):
    """Skips the calling module when keras was imported earlier with another backend."""
    if keras.backend.backend() != "torch":
        pytest.skip("keras was imported with another backend", allow_module_level=True)


def to_numpy(value):
    """A Keras output or weight (a torch tensor or an array) as a NumPy array."""
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def as_list(outputs):
    """A model's or layer's outputs as a list, whether it returned one tensor or several."""
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def copy_weights(k_obj, d_obj):
    """Gives a deltaw layer or model its Keras twin's weights; both must list them alike."""
    with quiet():
        weights = [to_numpy(w) for w in k_obj.get_weights()]
    assert [w.shape for w in d_obj.get_weights()] == [w.shape for w in weights]
    assert [w.name for w in d_obj.weights] == [w.name for w in k_obj.weights]
    d_obj.set_weights(weights)


def build_both(build):
    """Builds `build(keras)` and `build(deltaw.keras)`; copies Keras' weights into deltaw's."""
    import keras  # already imported by the calling module, with the torch backend

    with quiet():
        k_model = build(keras)
    d_model = build(dk)
    copy_weights(k_model, d_model)
    return k_model, d_model
