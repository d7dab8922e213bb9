"""check_layer(): the one-call test of a Keras layer configuration (STYLE.md §8).

It builds the layer on data, checks its weights, output shape and dtype, runs it symbolically in
a functional model, round-trips its config through JSON, gradchecks the output with respect to
the inputs and the trainable weights in float64 (`dw.gradcheck`), and checks that one gradient
step on a squared-error loss lowers the loss.
"""

from __future__ import annotations

import json

import numpy as np

import deltaw as dw
from deltaw.keras.layers import Input, nest
from deltaw.keras.models import Model

__all__ = ["check_layer"]


def _make_inputs(input_shape, input_data, rng, low, high):
    if input_data is not None:
        return input_data
    return nest.map_shape_structure(
        lambda s: rng.uniform(low, high, s).astype(np.float32), input_shape)


def _weight_slots(layer):
    """{id(variable): (owner layer, attribute)} for every weight held in a layer attribute."""
    slots = {}
    for owner in layer._flatten_layers():
        for attr, value in owner.__dict__.items():
            if isinstance(value, dw.Variable):
                slots.setdefault(id(value), (owner, attr))
    return slots


def _call_with_weights(layer, x, weights, call_kwargs, values):
    """Call `layer` on `x` with its trainable weights replaced by the Tensors `values`."""
    slots = _weight_slots(layer)
    saved = []
    for w, v in zip(weights, values, strict=True):
        owner, attr = slots[id(w)]
        saved.append((owner, attr, owner.__dict__[attr]))
        object.__setattr__(owner, attr, v)
    try:
        return layer(x, **call_kwargs)
    finally:
        for owner, attr, original in saved:
            object.__setattr__(owner, attr, original)


def _check_weights(layer, n_trainable, n_frozen, weight_shapes):
    assert len(layer.trainable_weights) == n_trainable, [w.name for w in layer.trainable_weights]
    assert len(layer.non_trainable_weights) == n_frozen, [w.name for w in
                                                          layer.non_trainable_weights]
    if weight_shapes is not None:
        assert [tuple(w.shape) for w in layer.weights] == [tuple(s) for s in weight_shapes]
    for w in layer.weights:
        assert w.dtype == np.dtype(layer.dtype), (w.name, w.dtype)


def _check_symbolic(layer_cls, init_kwargs, call_kwargs, x, out):
    shapes = nest.map_structure(lambda a: (None, *np.shape(a)[1:]), x)
    inputs = nest.map_shape_structure(lambda s: Input(batch_shape=s), shapes)
    symbolic = layer_cls(**init_kwargs)(inputs, **call_kwargs)
    expected = nest.map_structure(lambda o: (None, *o.shape[1:]), out)
    got = nest.map_structure(lambda kt: kt.shape, symbolic)
    assert got == expected, f"symbolic output shape {got}; eager output shape {expected}"
    model = Model(inputs, symbolic)
    y = model(x, **call_kwargs)
    assert nest.map_structure(lambda t: t.shape, y) == nest.map_structure(lambda t: t.shape, out)


def _check_config(layer, x, call_kwargs, out, deterministic):
    config = layer.get_config()
    text = json.dumps(config)  # JSON-safe
    clone = type(layer).from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text
    if deterministic:
        clone(x, **call_kwargs)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(clone(x, **call_kwargs).numpy(), out.numpy(), rtol=1e-6,
                                   atol=1e-6)


def _check_gradients(layer_cls, init_kwargs, call_kwargs, x, layer, rtol, atol):
    layer64 = layer_cls(**{**init_kwargs, "dtype": "float64"})
    x64 = nest.map_structure(lambda a: dw.tensor(np.asarray(a, np.float64), requires_grad=True),
                             x)
    layer64(x64, **call_kwargs)
    layer64.set_weights(layer.get_weights())
    weights = layer64.trainable_weights
    flat_x = nest.flatten(x64)

    def fn(*tensors):
        xs = nest.pack_sequence_as(x64, list(tensors[: len(flat_x)]))
        return _call_with_weights(layer64, xs, weights, call_kwargs, tensors[len(flat_x):])

    wrt = [*flat_x, *(dw.tensor(w.data, requires_grad=True) for w in weights)]
    assert dw.gradcheck(fn, wrt, rtol=rtol, atol=atol)


def _check_training_step(layer, x, call_kwargs, rng):
    weights = layer.trainable_weights
    out = layer(x, **call_kwargs)
    target = dw.tensor(rng.normal(size=out.shape).astype(np.float32))

    def loss():
        y = layer(x, **call_kwargs)
        return dw.mean((y - target) * (y - target)) + sum(layer.losses, dw.tensor(0.0))

    before = loss()
    grads = dw.grad(before, weights)
    with dw.no_grad():
        for w, g in zip(weights, grads, strict=True):
            if g is not None:
                w.assign_sub(0.01 * g.numpy())
    after = loss()
    assert after.item() < before.item(), f"loss went from {before.item()} to {after.item()}"


def check_layer(layer_cls, init_kwargs=None, input_shape=(2, 3), input_data=None,
                call_kwargs=None, expected_output_shape=None, expected_output_dtype="float32",
                expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                expected_weight_shapes=None, gradcheck=True, train=True, symbolic=True,
                deterministic=True, input_range=(-2.0, 2.0), rtol=1e-3, atol=1e-5):
    """Run the standard checks on one layer configuration; returns the built layer.

    Args:
        layer_cls: The layer class.
        init_kwargs: Constructor arguments.
        input_shape: Shape of the test input (batch axis included), or a list of shapes for
            multi-input layers.
        input_data: Explicit input array(s) instead of uniform samples in `input_range`.
        call_kwargs: Extra call arguments (e.g. `{"training": True}`).
        expected_output_shape: The eager output's shape (None: not checked).
        expected_output_dtype: The output dtype name.
        expected_num_trainable_weights, expected_num_non_trainable_weights: Weight counts.
        expected_weight_shapes: Shapes of `layer.weights`, in order.
        gradcheck: Gradcheck in float64 w.r.t. the inputs and trainable weights.
        train: Check one SGD step lowers a squared error (skipped without trainable weights).
        symbolic: Check the functional (KerasTensor) path against the eager one.
        deterministic: Whether repeated calls give equal outputs (config clone compared).
    """
    init_kwargs, call_kwargs = dict(init_kwargs or {}), dict(call_kwargs or {})
    rng = np.random.default_rng(0)
    x = _make_inputs(input_shape, input_data, rng, *input_range)
    layer = layer_cls(**init_kwargs)
    assert not layer.built
    out = layer(x, **call_kwargs)
    assert layer.built
    _check_weights(layer, expected_num_trainable_weights, expected_num_non_trainable_weights,
                   expected_weight_shapes)
    assert isinstance(out, dw.Tensor), type(out)
    if expected_output_shape is not None:
        assert out.shape == tuple(expected_output_shape), out.shape
    assert out.dtype == np.dtype(expected_output_dtype), out.dtype
    if symbolic:
        _check_symbolic(layer_cls, init_kwargs, call_kwargs, x, out)
    _check_config(layer, x, call_kwargs, out, deterministic)
    if gradcheck:
        _check_gradients(layer_cls, init_kwargs, call_kwargs, x, layer, rtol, atol)
    if train and layer.trainable_weights:
        _check_training_step(layer, x, call_kwargs, rng)
    return layer
