"""Custom objects: register_keras_serializable, custom_object_scope, serialize/deserialize."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras import saving


class Scale(dk.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _model(layer):
    model = dk.Sequential([dk.Input((3,)), dk.layers.Dense(2), layer])
    model.compile("adam", "mse")
    return model


@pytest.fixture
def registered():
    name = "TestPkg>Scale"
    saving.register_keras_serializable(package="TestPkg")(Scale)
    yield Scale
    saving.get_custom_objects().pop(name, None)


@pytest.mark.parametrize("filename", ["m.keras", "m.safetensors"])
def test_a_registered_class_loads_without_custom_objects(registered, tmp_path, filename):
    model = _model(Scale(3.0))
    model.save(tmp_path / filename)
    loaded = dk.models.load_model(tmp_path / filename)
    assert type(loaded.layers[-1]) is Scale and loaded.layers[-1].factor == 3.0
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_registered_name_is_written_in_configs(registered):
    assert saving.get_registered_name(Scale) == "TestPkg>Scale"
    assert saving.serialize_keras_object(Scale(1.0))["registered_name"] == "TestPkg>Scale"
    assert saving.get_registered_object("TestPkg>Scale") is Scale


def test_an_unregistered_class_needs_a_scope_or_custom_objects():
    config = _model(Scale(2.0)).to_json()
    with pytest.raises(ValueError, match="unknown layer class 'Scale'"):
        dk.models.model_from_json(config)
    with saving.custom_object_scope({"Scale": Scale}):
        assert type(dk.models.model_from_json(config).layers[-1]) is Scale
    assert type(dk.models.model_from_json(config, {"Scale": Scale}).layers[-1]) is Scale


def test_serialize_and_deserialize_builtin_objects():
    loss = saving.deserialize_keras_object(saving.serialize_keras_object(
        dk.losses.Huber(delta=2.0)))
    assert type(loss).__name__ == "Huber" and loss.get_config()["delta"] == 2.0
    assert saving.deserialize_keras_object("relu") is dk.activations.relu
    layer = dk.layers.deserialize(dk.layers.serialize(dk.layers.Dense(4, name="d")))
    assert isinstance(layer, dk.layers.Dense) and layer.units == 4


def test_deserialize_never_imports_a_named_module():
    with pytest.raises(ValueError, match="unknown class 'system'"):
        saving.deserialize_keras_object({"module": "os", "class_name": "system", "config": {}})


def test_package_may_not_contain_the_separator():
    with pytest.raises(ValueError, match="must not contain '>'"):
        saving.register_keras_serializable(package="a>b")
