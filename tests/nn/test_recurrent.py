"""lstm, gru, simple_rnn: step-loop references (masks, go_backwards, initial states), torch's
LSTM/GRU/RNN with the gate orders translated (when importable), stability, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import deltaw as dw
from tests.ops import op_table  # noqa: F401 - load the table first: it imports rows_vision
from tests.ops.rows_vision import ref_gru, ref_lstm, ref_simple_rnn, torch_gru, torch_lstm

MASK = np.array([[True, True, False, True, False],      # a gap and a masked end
                 [False, False, True, True, True],      # leading masked steps (pre-padding)
                 [False] * 5])                          # nothing at all: states stay h0


def _t(a, grad=False):
    return dw.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _weights(rng, gates, f=3, u=4, bias_shape=None):
    return (rng.normal(size=(f, gates * u)) * 0.6, rng.normal(size=(u, gates * u)) * 0.6,
            rng.normal(size=bias_shape or (gates * u,)) * 0.3)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask", [None, MASK])
def test_lstm_matches_step_loop(go_backwards, mask):
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    w = _weights(rng, 4)
    got = dw.nn.lstm(*(_t(a) for a in (x, *w, h0, c0)), go_backwards=go_backwards, mask=mask)
    ref = ref_lstm(x, *w, h0, c0, go_backwards=go_backwards, mask=mask)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g.numpy(), r, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards, mask", [(False, None), (True, MASK), (False, MASK)])
def test_gru_matches_step_loop(reset_after, go_backwards, mask):
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 4))
    w = _weights(rng, 3, bias_shape=(2, 12) if reset_after else (12,))
    got = dw.nn.gru(*(_t(a) for a in (x, *w, h0)), go_backwards=go_backwards, mask=mask,
                    reset_after=reset_after)
    ref = ref_gru(x, *w, h0, go_backwards=go_backwards, mask=mask, reset_after=reset_after)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g.numpy(), r, atol=1e-12)


@pytest.mark.parametrize("go_backwards, mask", [(False, None), (True, MASK)])
def test_simple_rnn_matches_step_loop(go_backwards, mask):
    rng = np.random.default_rng(2)
    x, h0 = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 4))
    w = _weights(rng, 1)
    got = dw.nn.simple_rnn(*(_t(a) for a in (x, *w, h0)), go_backwards=go_backwards, mask=mask)
    ref = ref_simple_rnn(x, *w, h0, go_backwards=go_backwards, mask=mask)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g.numpy(), r, atol=1e-12)


def test_masking_semantics():
    rng = np.random.default_rng(3)
    x, h0 = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 4))
    outs, h = dw.nn.simple_rnn(*(_t(a) for a in (x, *_weights(rng, 1), h0)), mask=MASK)
    outs, h = outs.numpy(), h.numpy()
    np.testing.assert_array_equal(outs[0, 2], outs[0, 1])           # a gap repeats the output
    np.testing.assert_array_equal(h[0], outs[0, 3])                 # the final state is carried
    np.testing.assert_array_equal(outs[1, :2], 0.0)                 # zeros before the first step
    np.testing.assert_array_equal(outs[2], 0.0)
    np.testing.assert_array_equal(h[2], h0[2])                      # fully masked: h0 stays


def test_defaults_no_bias_and_zero_initial_states():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 3))
    kernel, rec, _ = _weights(rng, 4)
    outs, h, c = dw.nn.lstm(_t(x), _t(kernel), _t(rec))
    ref = ref_lstm(x, kernel, rec)
    np.testing.assert_allclose(outs.numpy(), ref[0], atol=1e-12)
    np.testing.assert_allclose(c.numpy(), ref[2], atol=1e-12)
    np.testing.assert_array_equal(h.numpy(), outs.numpy()[:, -1])


def test_gradients_through_all_outputs():
    rng = np.random.default_rng(5)
    x, h0, c0 = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    w = _weights(rng, 4, f=2, u=2)
    ins = [_t(a, True) for a in (x, *w, h0, c0)]

    def loss(*ts):
        outs, h, c = dw.nn.lstm(*ts, mask=MASK[:2, :3])
        return outs * 1.0 + h[:, None, :] * 2.0 + c[:, None, :] * 3.0

    assert dw.gradcheck(loss, ins)


def test_lstm_gradients_of_some_inputs_match_those_of_all():
    # dkernel and drecurrent_kernel are one GEMM when both are needed, two otherwise
    rng = np.random.default_rng(9)
    arrays = (rng.normal(size=(3, 4, 2)), *_weights(rng, 4, f=2, u=3))
    ins = [_t(a, True) for a in arrays]
    every = dw.grad(dw.nn.lstm(*ins)[0].sum(), ins)
    for pick in ([1], [2], [0, 3], [1, 2]):
        ins = [_t(a, i in pick) for i, a in enumerate(arrays)]
        some = dw.grad(dw.nn.lstm(*ins)[0].sum(), [ins[i] for i in pick])
        for i, g in zip(pick, some, strict=True):
            np.testing.assert_allclose(g.numpy(), every[i].numpy(), atol=1e-12)


@pytest.mark.parametrize("fn, gates", [(dw.nn.lstm, 4), (dw.nn.gru, 3), (dw.nn.simple_rnn, 1)])
def test_float32_and_large_inputs_are_stable(fn, gates):
    # the sigmoid is 0.5 * (1 + tanh(z / 2)): no exp overflow warning for z = -1e4
    rng = np.random.default_rng(6)
    x = dw.tensor((rng.normal(size=(2, 6, 3)) * 1e4).astype(np.float32), requires_grad=True)
    w = [dw.tensor(a.astype(np.float32), requires_grad=True)
         for a in _weights(rng, gates, bias_shape=(2, 12) if gates == 3 else None)]
    result = fn(x, *w)
    assert all(r.dtype == np.float32 and np.isfinite(r.numpy()).all() for r in result)
    grads = dw.grad(result[0].sum(), [x, *w])
    assert all(g.dtype == np.float32 and np.isfinite(g.numpy()).all() for g in grads)


def test_other_activations_match_a_step_loop():
    rng = np.random.default_rng(7)
    x, h0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4))
    kernel, rec, bias = _weights(rng, 1)
    outs, _ = dw.nn.simple_rnn(_t(x), _t(kernel), _t(rec), _t(bias), _t(h0), activation="relu")
    h, expected = h0, []
    for t in range(4):
        h = np.maximum(x[:, t] @ kernel + bias + h @ rec, 0)
        expected.append(h)
    np.testing.assert_allclose(outs.numpy(), np.stack(expected, 1), atol=1e-12)
    kernel, rec, bias = _weights(rng, 4)
    args = [_t(a, True) for a in (x, kernel, rec, bias)]
    assert dw.gradcheck(lambda *ts: dw.nn.lstm(*ts, recurrent_activation="hard_sigmoid",
                                               activation="tanh")[0], args)


def test_errors():
    x, k, r = dw.ones((2, 3, 2)), dw.ones((2, 8)), dw.ones((2, 8))
    with pytest.raises(ValueError, match=r"lstm: the sequence is empty; expected at least 1 "
                       r"timestep, got input shape \(2, 0, 2\)"):
        dw.nn.lstm(dw.ones((2, 0, 2)), k, r)
    with pytest.raises(ValueError, match=r"lstm: recurrent_kernel must be \(units, 4 \* units\); "
                       r"got recurrent_kernel shape \(2, 6\)"):
        dw.nn.lstm(x, k, dw.ones((2, 6)))
    with pytest.raises(ValueError, match=r"lstm: c0 must be \(batch, units\) = \(2, 2\); got c0 "
                       r"shape \(3, 2\)"):
        dw.nn.lstm(x, k, r, None, dw.zeros((2, 2)), dw.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"gru: bias must have shape \(2, 6\) with "
                       r"reset_after=True; got bias shape \(6,\)"):
        dw.nn.gru(x, dw.ones((2, 6)), dw.ones((2, 6)), dw.ones(6))
    with pytest.raises(ValueError, match=r"simple_rnn: unsupported activation 'gelu' for the "
                       r"fused op; expected one of"):
        dw.nn.simple_rnn(x, dw.ones((2, 2)), dw.ones((2, 2)), activation="gelu")
    with pytest.raises(TypeError, match=r"gru: mask must be boolean"):
        dw.nn.gru(x, dw.ones((2, 6)), dw.ones((2, 6)), mask=np.ones((2, 3)))


# ---------------------------------------------------------------- torch (optional)

def test_lstm_and_gru_match_torch_modules():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, h0, c0 = rng.normal(size=(3, 6, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for fn, tfn, gates, bias_shape, states in (
            (dw.nn.lstm, torch_lstm, 4, (16,), (h0, c0)),
            (dw.nn.gru, torch_gru, 3, (2, 12), (h0,))):
        arrays = (x, *_weights(rng, gates, bias_shape=bias_shape), *states)
        ins = [_t(a, True) for a in arrays]
        ours = fn(*ins)
        tins = [torch.tensor(a, requires_grad=True) for a in arrays]
        theirs = tfn(torch, *tins)
        ws = [rng.normal(size=o.shape) for o in ours]
        loss = sum((o * dw.tensor(w)).sum() for o, w in zip(ours, ws, strict=True))
        tloss = sum((o * torch.tensor(w)).sum() for o, w in zip(theirs, ws, strict=True))
        grads = dw.grad(loss, ins)
        tgrads = torch.autograd.grad(tloss, tins)
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(o.numpy(), t.detach().numpy(), atol=1e-12)
        for g, t in zip(grads, tgrads, strict=True):
            np.testing.assert_allclose(g.numpy(), t.numpy(), atol=1e-11)
