"""Masking: harness row, the mask it produces, its outputs and gradients, and the mask reaching
a recurrent layer in Sequential and functional models."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Model, Sequential
from deltaw.keras.layers import LSTM, Dense, Masking, TimeDistributed
from tests.keras.harness import check_layer


def _data():
    x = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0          # padding at the end
    x[1, 0] = 0.0           # padding at the start
    x[2, 2, 0] = 0.0        # one zero feature only: NOT masked
    return x


@pytest.mark.parametrize("kwargs", [{}, {"mask_value": -1.0}], ids=["zero", "minus-one"])
def test_masking_harness(kwargs):
    # gradcheck would perturb the padding values across the mask's kink: checked exactly below
    check_layer(Masking, kwargs, input_data=_data(), expected_output_shape=(3, 5, 2),
                gradcheck=False)


def test_mask_marks_steps_whose_features_all_equal_mask_value():
    x = _data()
    expected = np.ones((3, 5), bool)
    expected[0, 3:] = expected[1, 0] = False
    np.testing.assert_array_equal(np.asarray(Masking().compute_mask(x)), expected)
    x[x == 0] = -1.0
    np.testing.assert_array_equal(np.asarray(Masking(mask_value=-1.0).compute_mask(x)), expected)


def test_output_zeroes_masked_steps_and_gradient_skips_them():
    x = _data()
    x[0, 3:] = 7.0                       # padding with mask_value 7 ...
    t = dw.tensor(x, requires_grad=True)
    out = Masking(mask_value=7.0)(t)
    expected = x.copy()
    expected[0, 3:] = 0.0                # ... comes out as zeros, as Keras
    np.testing.assert_array_equal(out.numpy(), expected)
    (grad,) = dw.grad(dw.sum(out), [t])
    keep = np.ones_like(x)
    keep[0, 3:] = 0.0
    np.testing.assert_array_equal(grad.numpy(), keep)


def test_mask_reaches_lstm_in_sequential_and_functional():
    x = _data()
    model = Sequential([Input((5, 2)), Masking(), LSTM(3)])
    lstm = model.layers[1]
    expected = lstm(x, mask=np.asarray(Masking().compute_mask(x))).numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, atol=1e-7)
    assert not np.allclose(lstm(x).numpy(), expected)
    inputs = Input((5, 2))
    functional = Model(inputs, lstm(Masking()(inputs)))
    np.testing.assert_allclose(functional(x).numpy(), expected, atol=1e-7)


def test_mask_passes_through_time_distributed_dense():
    x = _data()
    model = Sequential([Input((5, 2)), Masking(), TimeDistributed(Dense(4)), LSTM(3)])
    _, td, lstm = model.layers
    mask = np.asarray(Masking().compute_mask(x))
    expected = lstm(td(x), mask=mask).numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, atol=1e-6)


def test_config_round_trip_keeps_mask_value():
    layer = Masking(mask_value=-2.5)
    assert Masking.from_config(layer.get_config()).mask_value == -2.5
