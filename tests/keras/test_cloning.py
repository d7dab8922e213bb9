"""clone_model, and Model subclasses that pass inputs and outputs to Model.__init__ (Keras 3)."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw.keras as dk


def _functional():
    inp = dk.Input((4,), name="features")
    hidden = dk.layers.Dense(8, activation="relu")(inp)
    return dk.Model(inp, [dk.layers.Dense(2)(hidden), hidden * 2.0])


def test_clone_has_the_architecture_and_new_weights():
    model = _functional()
    clone = dk.models.clone_model(model)
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Dense", "Dense"]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not any(np.array_equal(a, b) for a, b in zip(clone.get_weights()[::2],
                                                         model.get_weights()[::2]))
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    for ours, theirs in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(ours, theirs)


def test_clone_function_may_share_layers():
    model = dk.Sequential([dk.Input((3,)), dk.layers.Dense(2), dk.layers.Dense(1)])
    clone = dk.models.clone_model(model, clone_function=lambda layer: layer)
    assert clone.layers[0] is model.layers[0] and clone is not model


def test_clone_of_sequential_is_built_like_the_original():
    model = dk.Sequential([dk.Input((3,)), dk.layers.Dense(2)])
    clone = dk.models.clone_model(model)
    assert clone.built and [w.shape for w in clone.get_weights()] == [(3, 2), (2,)]


def test_call_function_replaces_each_call():
    calls = []

    def call(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    dk.models.clone_model(_functional(), call_function=call)
    assert len(calls) == 3  # two Dense calls and the recorded multiply


def test_subclass_passing_inputs_and_outputs_is_functional():
    class TwoLayers(dk.Model):
        def __init__(self, units=3, **kwargs):
            inputs = dk.Input((4,))
            outputs = dk.layers.Dense(units)(inputs)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)
            self.units = units

    model = TwoLayers()
    assert isinstance(model, TwoLayers) and isinstance(model, dk.models.Functional)
    assert type(model).__name__ == "TwoLayers"
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 4)), np.zeros((8, 3)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert type(TwoLayers()) is type(model)  # the functional subclass is made once


def test_clone_of_a_subclassed_model_refuses_a_clone_function():
    class Plain(dk.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = dk.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="subclassed, so it has no layer graph"):
        dk.models.clone_model(Plain(), clone_function=lambda layer: layer)
