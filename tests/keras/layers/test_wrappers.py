"""Bidirectional and TimeDistributed: harness rows, merge modes against the two directions run by
hand, states, weights order, masks, configs and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Model, Sequential
from deltaw.keras.layers import (
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    SimpleRNN,
    TimeDistributed,
)
from tests.keras.harness import check_layer


def _x(shape=(3, 5, 4), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ----------------------------------------------------------------------------- Bidirectional
@pytest.mark.parametrize("kwargs, out_shape", [
    ({"layer": LSTM(2)}, (2, 4)),
    ({"layer": GRU(2, return_sequences=True), "merge_mode": "sum"}, (2, 4, 2)),
    ({"layer": SimpleRNN(3), "merge_mode": "ave"}, (2, 3)),
    ({"layer": SimpleRNN(2, return_sequences=True), "merge_mode": "mul"}, (2, 4, 2)),
], ids=["lstm-concat", "gru-seq-sum", "rnn-ave", "rnn-seq-mul"])
def test_bidirectional_harness(kwargs, out_shape):
    # the wrapped layer keeps its own dtype (as Keras), so the float64 gradcheck is done below
    check_layer(Bidirectional, kwargs, input_shape=(2, 4, 3), expected_output_shape=out_shape,
                expected_num_trainable_weights=6, gradcheck=False, input_range=(-1.0, 1.0))


def test_bidirectional_gradcheck_in_float64():
    layer = Bidirectional(LSTM(2, return_sequences=True, dtype="float64"), dtype="float64")
    x = dw.tensor(_x((2, 3, 2)).astype(np.float64), requires_grad=True)
    layer(x)
    mask = np.array([[True, True, False], [False, True, True]])
    assert dw.gradcheck(lambda t: layer(t, mask=mask), [x])


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "seq"])
def test_merge_modes_combine_forward_and_flipped_backward(merge_mode, return_sequences):
    x = _x()
    layer = Bidirectional(GRU(3, return_sequences=return_sequences), merge_mode=merge_mode)
    out = layer(x)
    y = layer.forward_layer(x).numpy()
    y_rev = layer.backward_layer(x).numpy()
    if return_sequences:
        y_rev = y_rev[:, ::-1]                          # back into input order
    expected = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev,
                "ave": (y + y_rev) / 2, "mul": y * y_rev}.get(merge_mode)
    if merge_mode is None:
        assert isinstance(out, list) and len(out) == 2
        np.testing.assert_allclose(out[0].numpy(), y, rtol=1e-6)
        np.testing.assert_allclose(out[1].numpy(), y_rev, rtol=1e-6)
    else:
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_backward_direction_reads_the_sequence_reversed():
    x = _x()
    layer = Bidirectional(SimpleRNN(2))
    layer(x)
    assert layer.forward_layer.name.startswith("forward_")
    assert layer.backward_layer.name.startswith("backward_")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    twin = SimpleRNN(2)
    twin(x)
    twin.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy()[:, 2:], twin(x[:, ::-1]).numpy(), rtol=1e-6)


def test_weights_are_forward_then_backward():
    layer = Bidirectional(LSTM(3))
    layer(_x())
    fwd, bwd = layer.forward_layer, layer.backward_layer
    assert [id(w) for w in layer.weights] == [id(w) for w in fwd.weights + bwd.weights]
    assert [w.shape for w in layer.weights] == [(4, 12), (3, 12), (12,)] * 2


def test_return_state_gives_forward_then_backward_states():
    x = _x()
    out = Bidirectional(LSTM(2, return_state=True))(x)
    assert len(out) == 5 and out[0].shape == (3, 4)
    assert all(s.shape == (3, 2) for s in out[1:])
    out = Bidirectional(GRU(2, return_sequences=True, return_state=True), merge_mode=None)(x)
    assert [t.shape for t in out] == [(3, 5, 2), (3, 5, 2), (3, 2), (3, 2)]
    symbolic = Bidirectional(GRU(2, return_state=True))(Input((5, 4)))
    assert [t.shape for t in symbolic] == [(None, 4), (None, 2), (None, 2)]


def test_initial_state_is_split_between_directions():
    x = _x()
    layer = Bidirectional(GRU(2))
    layer(x)
    h_f, h_b = np.ones((3, 2), np.float32), -np.ones((3, 2), np.float32)
    out = layer(x, initial_state=[h_f, h_b]).numpy()
    np.testing.assert_allclose(out[:, :2], layer.forward_layer(x, initial_state=h_f).numpy())
    np.testing.assert_allclose(out[:, 2:], layer.backward_layer(x, initial_state=h_b).numpy())


def test_masked_sequences_output_zeros_at_masked_steps():
    ids = np.array([[1, 2, 3, 0, 0], [0, 4, 4, 1, 2]])
    model = Sequential([Input((5,), dtype="int32"), Embedding(5, 3, mask_zero=True),
                        Bidirectional(LSTM(2, return_sequences=True))])
    out = model(ids).numpy()
    assert np.all(out[ids == 0] == 0) and np.all(out[ids != 0] != 0)
    embed, bi = model.layers
    np.testing.assert_allclose(out, bi(embed(ids), mask=ids != 0).numpy(), atol=1e-7)
    assert bi.compute_mask(None, ids != 0) is not None


def test_explicit_backward_layer():
    layer = Bidirectional(LSTM(2), backward_layer=GRU(3, go_backwards=True))
    assert layer(_x()).shape == (3, 5)
    assert len(layer.weights) == 6


def test_config_round_trip_rebuilds_both_directions():
    layer = Bidirectional(GRU(2, return_sequences=True), merge_mode="ave")
    layer(_x())
    config = json.loads(json.dumps(layer.get_config()))
    assert config["layer"]["class_name"] == "GRU" and config["merge_mode"] == "ave"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = Bidirectional.from_config(config)
    clone(_x())
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(_x()).numpy(), layer(_x()).numpy(), rtol=1e-6)
    assert clone.forward_layer.name == layer.forward_layer.name


def test_bidirectional_in_a_functional_model_saves_weights_order():
    inputs = Input((5, 4))
    model = Model(inputs, Dense(1)(Bidirectional(SimpleRNN(2))(inputs)))
    assert [w.shape for w in model.get_weights()] == [(4, 2), (2, 2), (2,)] * 2 + [(4, 1), (1,)]


def test_bidirectional_errors():
    with pytest.raises(ValueError, match=r"Bidirectional 'b': invalid merge_mode 'max'; expected "
                                         r"one of 'sum', 'mul', 'ave', 'concat' or None\."):
        Bidirectional(LSTM(2), merge_mode="max", name="b")
    with pytest.raises(ValueError, match=r"Bidirectional 'b': layer must be a keras Layer "
                                         r"instance; got str 'lstm'\."):
        Bidirectional("lstm", name="b")
    with pytest.raises(ValueError, match=r"Bidirectional 'b': the forward and backward layers "
                                         r"must have different go_backwards; got False for "
                                         r"both\."):
        Bidirectional(LSTM(2), backward_layer=LSTM(2), name="b")
    with pytest.raises(ValueError, match=r"Bidirectional 'b': the forward and backward layers "
                                         r"must have the same return_sequences; got False for "
                                         r"the forward layer and True for the backward layer\."):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True),
                      name="b")


# ----------------------------------------------------------------------------- TimeDistributed
@pytest.mark.parametrize("inner, shape, out_shape, n_weights", [
    (lambda: Dense(2), (2, 4, 3), (2, 4, 2), 2),
    (lambda: Dense(3, activation="tanh"), (2, 3, 2, 4), (2, 3, 2, 3), 2),
    (lambda: Flatten(), (2, 3, 2, 2), (2, 3, 4), 0),
    (lambda: Activation("sigmoid"), (2, 3, 4), (2, 3, 4), 0),
], ids=["dense", "dense-4d", "flatten", "activation"])
def test_time_distributed_harness(inner, shape, out_shape, n_weights):
    check_layer(TimeDistributed, {"layer": inner()}, input_shape=shape,
                expected_output_shape=out_shape, expected_num_trainable_weights=n_weights,
                gradcheck=False)


def test_time_distributed_gradcheck_in_float64():
    layer = TimeDistributed(Dense(2, activation="tanh", dtype="float64"), dtype="float64")
    x = dw.tensor(_x((2, 3, 4)).astype(np.float64), requires_grad=True)
    layer(x)
    kernel = dw.tensor(layer.layer.kernel.numpy(), requires_grad=True)

    def fn(t, k):
        layer.layer.__dict__["kernel"] = k
        try:
            return layer(t)
        finally:
            layer.layer.__dict__["kernel"] = layer.layer._trainable_variables[0]

    assert dw.gradcheck(fn, [x, kernel])


def test_time_distributed_dense_equals_dense_at_every_step():
    x = _x()
    dense = Dense(3)
    out = TimeDistributed(dense)(x).numpy()
    for t in range(x.shape[1]):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]).numpy(), rtol=1e-6)


def test_time_distributed_passes_training():
    layer = TimeDistributed(Dropout(0.5, seed=0))
    x = np.ones((2, 3, 4), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert not np.array_equal(layer(x, training=True).numpy(), x)


def test_time_distributed_symbolic_shape_and_weights():
    inputs = Input((None, 4))
    td = TimeDistributed(Dense(2))
    out = td(inputs)
    assert out.shape == (None, None, 2)
    assert [w.shape for w in td.weights] == [(4, 2), (2,)]
    model = Model(inputs, out)
    assert model(_x()).shape == (3, 5, 2)


def test_time_distributed_errors():
    with pytest.raises(ValueError, match=r"TimeDistributed 't': expected an input of rank >= 3 "
                                         r"\(batch, time, \.\.\.\); got input shape \(2, 3\)\."):
        TimeDistributed(Dense(2), name="t")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"TimeDistributed 't': layer must be a keras Layer "
                                         r"instance; got int 3\."):
        TimeDistributed(3, name="t")


def test_model_of_sequence_layers_saves_and_loads(tmp_path):
    from deltaw.keras.layers import MultiHeadAttention
    from deltaw.keras.models import load_model

    inputs = Input((6,), dtype="int32")
    x = Embedding(10, 4, mask_zero=True)(inputs)
    x = Bidirectional(LSTM(3, return_sequences=True))(x)
    x = MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
    x = TimeDistributed(Dense(2))(x)
    model = Model(inputs, GRU(2)(x))
    ids = np.random.default_rng(0).integers(0, 10, size=(3, 6))
    path = tmp_path / "sequence.keras"
    model.save(path)
    loaded = load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "InputLayer", "Embedding", "Bidirectional", "MultiHeadAttention", "TimeDistributed",
        "GRU"]
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               atol=1e-7)
