"""RNN with SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and user cells: gradients,
agreement with the fused layers, masks, states, dropout, configs and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import layers as L
from deltaw.keras.models import Model, model_from_json
from tests.keras.harness import check_layer


@pytest.mark.parametrize("cell_cls, kwargs, out_shape, weights", [
    (L.SimpleRNNCell, {"units": 2}, (2, 2), [(2, 2), (2, 2), (2,)]),
    (L.LSTMCell, {"units": 2}, (2, 3, 2), [(2, 8), (2, 8), (8,)]),
    (L.GRUCell, {"units": 2}, (2, 2), [(2, 6), (2, 6), (2, 6)]),
    (L.GRUCell, {"units": 2, "reset_after": False, "use_bias": False}, (2, 3, 2),
     [(2, 6), (2, 6)]),
], ids=["simple", "lstm-sequences", "gru", "gru-reset-before"])
def test_rnn_harness(cell_cls, kwargs, out_shape, weights):
    class CellRNN(L.RNN):  # the harness builds the layer from keyword arguments only
        def __init__(self, cell=None, **kw):
            if cell is None:  # the cell computes in the RNN's dtype (float64 for gradcheck)
                cell = cell_cls(**kwargs, dtype=kw.get("dtype"))
            super().__init__(cell, **kw)

    check_layer(CellRNN, {"return_sequences": len(out_shape) == 3}, input_shape=(2, 3, 2),
                expected_output_shape=out_shape, expected_num_trainable_weights=len(weights),
                expected_weight_shapes=weights)


@pytest.mark.parametrize("fused, cell", [
    (lambda: L.SimpleRNN(3, return_sequences=True), lambda: L.SimpleRNNCell(3)),
    (lambda: L.LSTM(3, return_sequences=True), lambda: L.LSTMCell(3)),
    (lambda: L.GRU(3, return_sequences=True), lambda: L.GRUCell(3)),
    (lambda: L.GRU(3, return_sequences=True, reset_after=False),
     lambda: L.GRUCell(3, reset_after=False)),
], ids=["simple", "lstm", "gru", "gru-reset-before"])
def test_rnn_with_a_cell_equals_the_fused_layer(fused, cell):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    fast, slow = fused(), L.RNN(cell(), return_sequences=True)
    fast(x)
    slow(x)
    slow.set_weights(fast.get_weights())
    np.testing.assert_allclose(slow(x, mask=mask).numpy(), fast(x, mask=mask).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_lstm_cell_forget_bias_starts_at_one():
    cell = L.LSTMCell(2)
    L.RNN(cell)(np.ones((1, 2, 3), np.float32))
    np.testing.assert_array_equal(cell.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    no_ones = L.LSTMCell(2, unit_forget_bias=False)
    L.RNN(no_ones)(np.ones((1, 2, 3), np.float32))
    assert not no_ones.bias.numpy().any()


def test_initial_state_and_return_state():
    x = np.random.default_rng(1).normal(size=(2, 3, 2)).astype(np.float32)
    layer = L.RNN(L.LSTMCell(2), return_state=True)
    out, h, c = layer(x, initial_state=[np.ones((2, 2)), np.zeros((2, 2))])
    np.testing.assert_array_equal(out.numpy(), h.numpy())
    other, _, _ = layer(x)
    assert not np.allclose(other.numpy(), out.numpy())
    with pytest.raises(ValueError, match=r"RNN '.*': initial_state must hold 2 state\(s\); got 1"):
        layer(x, initial_state=np.zeros((2, 2)))


def test_masked_steps_keep_states_and_repeat_outputs():
    x = np.random.default_rng(2).normal(size=(1, 4, 2)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0]], bool)
    layer = L.RNN(L.SimpleRNNCell(3), return_sequences=True, return_state=True)
    seq, h = layer(x, mask=mask)
    seq = seq.numpy()
    np.testing.assert_array_equal(seq[:, 2], seq[:, 1])
    np.testing.assert_array_equal(h.numpy(), seq[:, 1])
    zeroed = L.RNN(layer.cell, return_sequences=True, zero_output_for_mask=True)(x, mask=mask)
    assert not zeroed.numpy()[:, 2:].any()


def test_dropout_masks_are_the_same_at_every_step_and_fresh_per_sequence():
    cell = L.SimpleRNNCell(2, dropout=0.5, recurrent_dropout=0.5, seed=0,
                           kernel_initializer="ones", recurrent_initializer="zeros")
    layer = L.RNN(cell, return_sequences=True)
    x = np.ones((4, 3, 6), np.float32)
    out = layer(x, training=True).numpy()
    np.testing.assert_allclose(out[:, 0], out[:, 1], rtol=1e-6)    # same input mask each step
    assert not np.allclose(layer(x, training=True).numpy(), out)   # a new mask per sequence
    np.testing.assert_allclose(layer(x).numpy(), np.tanh(np.full((4, 3, 2), 6.0)), rtol=1e-6)


def test_stacked_cells_and_a_list_of_cells():
    layer = L.RNN([L.SimpleRNNCell(4), L.GRUCell(2)], return_state=True)
    out, s1, s2 = layer(np.ones((2, 3, 5), np.float32))
    assert out.shape == (2, 2) and s1[0].shape == (2, 4) and s2[0].shape == (2, 2)
    assert isinstance(layer.cell, L.StackedRNNCells)
    assert layer.cell.state_size == [4, 2] and layer.cell.output_size == 2
    assert len(layer.weights) == 6


def test_a_user_cell_runs_and_trains():
    class MinimalCell(L.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
            self.built = True

        def call(self, inputs, states):
            h = dw.tanh(inputs @ self.kernel + states[0])
            return h, [h]

    layer = L.RNN(MinimalCell(3))
    x = dw.tensor(np.ones((2, 4, 2), np.float32))
    out = layer(x)
    (g,) = dw.grad(dw.sum(out), layer.trainable_weights)
    assert out.shape == (2, 3) and g.shape == (2, 3) and np.abs(g.numpy()).sum() > 0


def test_model_with_rnn_round_trips_through_json():
    inp = L.Input((4, 3))
    out = L.RNN([L.LSTMCell(2), L.GRUCell(2)], return_sequences=True)(inp)
    model = Model(inp, out)
    clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(3).normal(size=(2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)
    config = json.loads(model.to_json())["config"]["layers"][1]["config"]
    assert config["cell"]["class_name"] == "StackedRNNCells"


@pytest.mark.parametrize("make, error, message", [
    (lambda: L.RNN("lstm"), ValueError, r"RNN '.*': cell must have a state_size"),
    (lambda: L.RNN(L.LSTMCell(2), stateful=True), NotImplementedError, r"stateful"),
    (lambda: L.LSTMCell(0), ValueError, r"LSTMCell '.*': units must be a positive integer"),
    (lambda: L.GRUCell(2, dropout=1.0), ValueError, r"GRUCell '.*': dropout must be a float"),
    (lambda: L.SimpleRNNCell(2, seed="x"), TypeError, r"SimpleRNNCell '.*': seed must be"),
    (lambda: L.StackedRNNCells([]), ValueError, r"StackedRNNCells '.*': cells must be"),
    (lambda: L.RNN(L.GRUCell(2))(np.ones((2, 3))), ValueError, r"expected ndim=3|rank 3"),
    (lambda: L.RNN(L.GRUCell(2))(np.ones((2, 0, 3))), ValueError, r"sequence is empty"),
    (lambda: L.LSTMCell(2)(np.ones((1, 3)), [np.zeros((1, 2))]), ValueError,
     r"LSTMCell '.*': expected 2 state tensor\(s\); got 1"),
])
def test_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", [
    (L.ConvLSTM1D, {"filters": 2, "kernel_size": 2}, (2, 3, 4, 1), (2, 3, 2)),
    (L.ConvLSTM2D, {"filters": 1, "kernel_size": 2, "padding": "same",
                    "return_sequences": True}, (1, 2, 3, 3, 1), (1, 2, 3, 3, 1)),
    (L.ConvLSTM3D, {"filters": 1, "kernel_size": 2}, (1, 2, 2, 3, 2, 1), (1, 1, 2, 1, 1)),
], ids=["1d", "2d-same-sequences", "3d"])
def test_conv_lstm_harness(cls, kwargs, shape, out_shape):
    layer = check_layer(cls, kwargs, input_shape=shape, expected_output_shape=out_shape,
                        expected_num_trainable_weights=3)
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.filters == kwargs["filters"]


def test_conv_lstm_is_an_lstm_for_one_by_one_kernels():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 1, 1, 4)).astype(np.float32)  # 1x1 images: no spatial mixing
    conv = L.ConvLSTM2D(3, 1, return_sequences=True)
    lstm = L.LSTM(3, return_sequences=True)
    conv(x)
    lstm(x[:, :, 0, 0])
    lstm.set_weights([w.reshape(w.shape[-2:]) if w.ndim > 2 else w
                      for w in conv.get_weights()])
    np.testing.assert_allclose(conv(x).numpy()[:, :, 0, 0], lstm(x[:, :, 0, 0]).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: L.ConvLSTM2D(2, 3)(np.ones((1, 2, 5, 5))), r"expected ndim=5|rank 5"),
    (lambda: L.ConvLSTM2D(2, 4)(np.ones((1, 2, 3, 3, 1))), r"the kernel is larger than the "
                                                           r"input"),
    (lambda: L.ConvLSTM1D(2, (2, 2)), r"kernel_size must be"),
    (lambda: L.ConvLSTM3D(2, 2, padding="causal"), r"padding must be"),
])
def test_conv_lstm_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
