"""keras.backend: floatx, epsilon, image data format, automatic names."""

import numpy as np
import pytest

from deltaw.keras import backend
from deltaw.keras.layers import Dense


def test_defaults():
    assert backend.floatx() == "float32" and backend.epsilon() == 1e-7
    assert backend.image_data_format() == "channels_last" and backend.backend() == "deltaw"


def test_set_floatx_changes_new_layers_and_is_validated():
    try:
        backend.set_floatx("float64")
        layer = Dense(2)
        assert layer(np.ones((1, 3))).dtype == np.float64 and layer.kernel.dtype == np.float64
    finally:
        backend.set_floatx("float32")
    assert Dense(2).dtype == "float32"
    with pytest.raises(ValueError, match=r"set_floatx: unknown float type 'int32'; expected one "
                                         r"of float16, float32, float64"):
        backend.set_floatx("int32")


def test_epsilon_and_image_data_format_setters():
    try:
        backend.set_epsilon(1e-5)
        backend.set_image_data_format("channels_first")
        assert backend.epsilon() == 1e-5 and backend.image_data_format() == "channels_first"
    finally:
        backend.set_epsilon(1e-7)
        backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match=r"set_image_data_format: unknown data format 'nhwc'"):
        backend.set_image_data_format("nhwc")


def test_standardize_dtype():
    assert backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype(np.float64) == "float64"
    assert backend.standardize_dtype({"class_name": "DTypePolicy",
                                      "config": {"name": "float16"}}) == "float16"
    with pytest.raises(ValueError, match=r"standardize_dtype: unknown dtype 'mixed_float16'"):
        backend.standardize_dtype("mixed_float16")


def test_clear_session_resets_name_counters():
    backend.clear_session()
    assert backend.get_uid("x") == 1 and backend.get_uid("x") == 2
    assert backend.unique_name("thing") == "thing" and backend.unique_name("thing") == "thing_1"
    backend.clear_session()
    assert backend.unique_name("thing") == "thing"
