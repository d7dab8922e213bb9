"""detect_anomaly: the first op whose forward or backward gives NaN or Inf is named, with its
inputs' ranges; NumPy's warnings are replaced by the error and restored afterwards."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.autograd import anomaly, mode


def test_log_of_zero_names_the_op_and_the_input_range():
    x = dw.tensor([[0.0, 0.5], [1.0, 2.0]])
    with dw.detect_anomaly(), pytest.raises(
            dw.NonFiniteError,
            match=r"^log: forward produced -Inf \(1 of 4 values\); input 0: shape \(2, 2\), "
                  r"range \[0, 2\]\.$"):
        dw.log(x)


def test_overflowing_exp_names_exp_and_inf():
    x = dw.tensor([1.0, 100.0])
    with dw.detect_anomaly(), pytest.raises(
            dw.NonFiniteError, match=r"^exp: forward produced Inf \(1 of 2 values\); input 0: "
                                     r"shape \(2,\), range \[1, 100\]"):
        dw.exp(x)


def test_division_by_zero_names_divide_and_both_inputs():
    with dw.detect_anomaly(), pytest.raises(
            dw.NonFiniteError, match=r"^divide: forward produced NaN and Inf \(3 of 3 values\); "
                                     r"input 0: shape \(3,\), range \[0, 2\]; input 1: shape "
                                     r"\(\), range \[0, 0\]"):
        dw.tensor([0.0, 1.0, 2.0]) / 0.0


def test_non_finite_inputs_are_counted():
    x = dw.tensor([np.nan, 1.0, 3.0])
    with dw.detect_anomaly(), pytest.raises(
            dw.NonFiniteError, match=r"range \[1, 3\], 1 non-finite"):
        dw.exp(x)


def test_backward_of_sqrt_at_zero_is_named_in_backward():
    x = dw.tensor([0.0, 4.0], requires_grad=True)
    with dw.detect_anomaly():
        y = dw.sum(dw.sqrt(x))   # forward is finite: sqrt(0) = 0
        with pytest.raises(dw.NonFiniteError,
                           match=r"^sqrt: backward produced Inf \(1 of 2 values\) in the gradient "
                                 r"of input 0; forward input 0: shape \(2,\), range \[0, 4\]\.$"):
            dw.grad(y, [x])


def test_scope_names_where_the_op_ran():
    with dw.detect_anomaly(), anomaly.scope("loss", "my_loss"), pytest.raises(
            dw.NonFiniteError, match=r"^log in loss 'my_loss': forward produced"):
        dw.log(dw.tensor([0.0]))
    assert anomaly._context == []


def test_layer_context_gives_the_innermost_layer_and_its_path():
    anomaly._context.extend(["model", "block", "dense"])
    try:
        with dw.detect_anomaly(), pytest.raises(
                dw.NonFiniteError, match=r"^exp in layer 'dense' \(model/block/dense\): forward"):
            dw.exp(dw.tensor([1000.0]))
    finally:
        del anomaly._context[:]


def test_backward_message_names_the_layer_recorded_in_forward():
    x = dw.tensor([0.0], requires_grad=True)
    with dw.detect_anomaly():
        anomaly._context.append("root_layer")
        try:
            y = dw.sum(dw.sqrt(x))
        finally:
            anomaly._context.pop()
        with pytest.raises(dw.NonFiniteError, match=r"^sqrt in layer 'root_layer': backward"):
            dw.grad(y, [x])


def test_mode_and_numpy_error_state_are_restored_also_when_nested():
    before = np.geterr()
    with dw.detect_anomaly():
        with dw.detect_anomaly():
            assert mode._anomaly
            assert np.geterr()["divide"] == "ignore"
        assert mode._anomaly
    assert not mode._anomaly
    assert np.geterr() == before


def test_finite_values_pass_and_nothing_is_checked_outside():
    with dw.detect_anomaly():
        assert float(dw.log(dw.tensor(1.0))) == 0.0
    with np.errstate(divide="ignore"):
        assert float(dw.log(dw.tensor(0.0))) == -np.inf   # no error without the mode
