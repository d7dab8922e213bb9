"""Python operators on KerasTensors record operation nodes of a functional graph (Keras 3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deltaw.keras as dk
from deltaw.keras.layers import OperationLayer


def _graph():
    inp = dk.Input((4,))
    x = dk.layers.Dense(3)(inp)
    out = 2 * x - x[:, :1] + abs(-x) ** 2 / (1.0 + x @ np.ones((3, 3), "float32"))
    return dk.Model(inp, out)


def _reference(model, a):
    dense = model.layers[1]
    h = a @ dense.kernel.numpy() + dense.bias.numpy()
    return 2 * h - h[:, :1] + np.abs(-h) ** 2 / (1.0 + h @ np.ones((3, 3), "float32"))


def test_operators_compute_what_numpy_computes():
    model = _graph()
    a = np.random.default_rng(0).random((5, 4), dtype=np.float32)
    np.testing.assert_allclose(model.predict(a, verbose=0), _reference(model, a), rtol=1e-5)


def test_operations_are_nodes_not_layers():
    model = _graph()
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    names = [op.name for op in model.operations if isinstance(op, OperationLayer)]
    assert {n.rstrip("_0123456789") for n in names} == {
        "multiply", "get_item", "subtract", "negative", "abs", "power", "add", "matmul",
        "divide"}


def test_graph_with_operations_round_trips_through_json():
    model = _graph()
    clone = dk.models.model_from_json(json.dumps(json.loads(model.to_json())))
    clone.set_weights(model.get_weights())
    a = np.random.default_rng(1).random((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(clone.predict(a, verbose=0), model.predict(a, verbose=0))


def test_gradients_flow_through_operations():
    inp = dk.Input((2,))
    x = dk.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inp)
    model = dk.Model(inp, x * x)
    model.compile("sgd", "mse")
    before = model.get_weights()[0].copy()
    model.fit(np.ones((4, 2), "float32"), np.zeros((4, 1), "float32"), epochs=1, verbose=0)
    # d/dw mean((w.x)^2)^2 with x = (1, 1), w = (1, 1): 4 (w.x)^3 x = 32 per weight; lr 0.01
    np.testing.assert_allclose(model.get_weights()[0], before - 0.01 * 32.0, rtol=1e-5)


def test_symbolic_tensor_has_no_data():
    x = dk.Input((3,))
    with pytest.raises(TypeError, match="KerasTensor .* holds no data"):
        np.asarray(x)
    with pytest.raises(TypeError, match="holds no data"):
        bool(x)


def test_config_cannot_name_an_unknown_function():
    with pytest.raises(ValueError, match="unknown operation 'os.system'"):
        OperationLayer.from_config({"name": "evil", "operation": "os.system", "args": []})


def test_keras_ops_calls_on_keras_tensors_are_recorded():
    from deltaw.keras import ops

    dk.backend.clear_session()  # names below are the first of their kind in this session
    inp = dk.Input((6, 4))
    x = dk.layers.Dense(3)(inp)
    pooled = ops.concatenate([ops.mean(x, axis=1), ops.max(x, axis=1)], axis=-1)
    model = dk.Model(inp, ops.softmax(pooled))
    assert [op.name for op in model.operations][2:] == ["mean", "max", "concatenate", "softmax"]
    a = np.random.default_rng(2).random((2, 6, 4), dtype=np.float32)
    dense = model.layers[1]
    h = a @ dense.kernel.numpy() + dense.bias.numpy()
    z = np.concatenate([h.mean(1), h.max(1)], -1)
    expected = np.exp(z - z.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(a, verbose=0), expected, rtol=1e-5)
    clone = dk.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(a, verbose=0), model.predict(a, verbose=0))


def test_image_ops_are_recorded_by_their_qualified_name():
    from deltaw.keras import ops

    images = dk.Input((8, 8, 1))
    model = dk.Model(images, ops.image.resize(images, (4, 4)))
    assert model.operations[-1].operation == "image.resize"
    assert model.predict(np.ones((1, 8, 8, 1)), verbose=0).shape == (1, 4, 4, 1)
