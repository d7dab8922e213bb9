"""keras.config names and defaults, and keras.backend.result_type, against Keras 3."""

import itertools

import pytest

from deltaw.keras import backend, config
from tests.keras import keras_reference as kr  # selects the torch backend; import before keras

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)

DTYPES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float16",
          "bfloat16", "float32", "float64", int, float, None]


def test_config_names_and_defaults():
    assert set(config.__all__) == {n for n in dir(keras.config) if not n.startswith("_")}
    for name in ("epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
                 "is_interactive_logging_enabled", "is_traceback_filtering_enabled",
                 "is_nnx_enabled", "max_epochs", "max_steps_per_epoch"):
        assert getattr(config, name)() == getattr(keras.config, name)(), name
    assert config.dtype_policy().name == keras.config.dtype_policy().name


def test_backend_names():
    missing = {n for n in dir(keras.backend) if not n.startswith("_")} - set(backend.__all__)
    assert not missing


def test_result_type_pairs_match_keras():
    for a, b in itertools.product(DTYPES, repeat=2):
        assert backend.result_type(a, b) == keras.backend.result_type(a, b), (a, b)
    for a in DTYPES:
        assert backend.result_type(a) == keras.backend.result_type(a), a
