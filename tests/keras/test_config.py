"""keras.config and the keras.backend additions (result_type, is_*_dtype, is_keras_tensor)."""

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras import backend, config


def test_config_is_a_view_of_backend():
    assert config.floatx is backend.floatx and config.epsilon() == 1e-7
    assert config.backend() == "deltaw"
    config.set_floatx("float64")
    try:
        assert backend.floatx() == "float64" and config.dtype_policy().name == "float64"
    finally:
        config.set_floatx("float32")


def test_recorded_settings_have_keras_defaults():
    assert config.is_flash_attention_enabled() is None
    assert config.is_interactive_logging_enabled() is True
    assert config.is_traceback_filtering_enabled() is True
    assert config.is_nnx_enabled() is False
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(3)
    try:
        assert config.max_epochs() == 3
    finally:
        config.set_max_epochs(None)


def test_unsupported_settings_raise():
    with pytest.raises(ValueError, match="set_backend: deltaw runs Keras programs on its own"):
        config.set_backend("jax")
    with pytest.raises(ValueError, match="set_dtype_policy: deltaw supports the plain float"):
        config.set_dtype_policy("mixed_float16")


def test_result_type_follows_keras_promotion():
    assert backend.result_type("int32", "float32") == "float32"
    assert backend.result_type("uint8", "int8") == "int16"
    assert backend.result_type("int64", "float16") == "float16"
    assert backend.result_type("float64") == "float32"  # Keras narrows 64-bit results
    assert backend.result_type("int8", int) == "int8" and backend.result_type(float) == "float32"
    assert backend.result_type() == "float32"


def test_dtype_predicates_and_keras_tensor():
    assert backend.is_float_dtype("float16") and not backend.is_float_dtype("int32")
    assert backend.is_int_dtype(np.uint8) and not backend.is_int_dtype("bool")
    assert backend.is_keras_tensor(dk.Input((2,))) and not backend.is_keras_tensor(np.ones(2))
