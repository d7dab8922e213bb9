"""SimpleRNN, LSTM, GRU: harness rows, output structure, Keras' weights, masking semantics
against a slow step-by-step reference written here, and the errors."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Model, Sequential
from deltaw.keras.layers import GRU, LSTM, Dense, Embedding, SimpleRNN
from deltaw.keras.optimizers import Adam
from tests.keras.harness import check_layer

RNNS = {"SimpleRNN": (SimpleRNN, 1, 1), "LSTM": (LSTM, 4, 2), "GRU": (GRU, 3, 1)}


# ----------------------------------------------------------------------------- harness rows
@pytest.mark.parametrize("cls, kwargs, out_shape", [
    (SimpleRNN, {"units": 3}, (2, 3)),
    (SimpleRNN, {"units": 2, "activation": "relu", "return_sequences": True}, (2, 4, 2)),
    (LSTM, {"units": 3}, (2, 3)),
    (LSTM, {"units": 2, "return_sequences": True, "go_backwards": True}, (2, 4, 2)),
    (LSTM, {"units": 2, "use_bias": False, "recurrent_activation": "hard_sigmoid"}, (2, 2)),
    (GRU, {"units": 3, "return_sequences": True}, (2, 4, 3)),
    (GRU, {"units": 2, "reset_after": False, "go_backwards": True}, (2, 2)),
    (LSTM, {"units": 2, "kernel_regularizer": "l2"}, (2, 2)),
], ids=["rnn", "rnn-relu-seq", "lstm", "lstm-seq-backwards", "lstm-nobias-hard", "gru-seq",
        "gru-reset-before-backwards", "lstm-l2"])
def test_recurrent_harness(cls, kwargs, out_shape):
    n = 3 if kwargs.get("use_bias", True) else 2
    check_layer(cls, kwargs, input_shape=(2, 4, 3), expected_output_shape=out_shape,
                expected_num_trainable_weights=n, input_range=(-1.0, 1.0))


def test_return_state_harness_outputs_a_tuple():
    # the harness checks one output; the tuple structure is checked here, eagerly and symbolically
    for name, (cls, _, n_states) in RNNS.items():
        out = cls(4, return_sequences=True, return_state=True)(np.ones((2, 5, 3)))
        assert isinstance(out, tuple) and len(out) == 1 + n_states, name
        assert out[0].shape == (2, 5, 4) and all(s.shape == (2, 4) for s in out[1:]), name
        symbolic = cls(4, return_state=True)(Input((5, 3)))
        assert [t.shape for t in symbolic] == [(None, 4)] * (1 + n_states), name


@pytest.mark.parametrize("name", RNNS)
def test_weights_have_keras_names_shapes_and_order(name):
    cls, k, _ = RNNS[name]
    layer = cls(4)
    layer(np.ones((2, 5, 3)))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    bias = (2, 12) if name == "GRU" else (4 * k,)
    assert [w.shape for w in layer.weights] == [(3, 4 * k), (4, 4 * k), bias]


def test_gru_reset_before_has_flat_bias():
    layer = GRU(4, reset_after=False)
    layer(np.ones((1, 2, 3)))
    assert layer.bias.shape == (12,)


def test_lstm_unit_forget_bias_initializes_forget_gate_to_one():
    layer = LSTM(3)
    layer(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(layer.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    layer = LSTM(3, unit_forget_bias=False)
    layer(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(12))


def test_recurrent_kernel_is_orthogonal_by_default():
    layer = SimpleRNN(5)
    layer(np.ones((1, 2, 3)))
    u = layer.recurrent_kernel.numpy()
    np.testing.assert_allclose(u @ u.T, np.eye(5), atol=1e-5)


def test_defaults_match_keras():
    config = LSTM(2).get_config()
    assert config["activation"] == "tanh" and config["recurrent_activation"] == "sigmoid"
    assert config["unit_forget_bias"] is True and config["use_bias"] is True
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert not any(config[k] for k in ("return_sequences", "return_state", "go_backwards",
                                       "stateful", "unroll"))
    assert config["dropout"] == 0.0 and config["recurrent_dropout"] == 0.0
    assert GRU(2).get_config()["reset_after"] is True
    assert "recurrent_activation" not in SimpleRNN(2).get_config()


# ----------------------------------------------------------------------------- reference loops
def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _step_lstm(x_t, states, w, u, b):
    h, c = states
    units = u.shape[0]
    z = x_t @ w + h @ u + b
    i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units:2 * units])
    cc, o = np.tanh(z[:, 2 * units:3 * units]), _sigmoid(z[:, 3 * units:])
    c = f * c + i * cc
    h = o * np.tanh(c)
    return h, [h, c]


def _step_gru(x_t, states, w, u, b):
    (h,) = states
    units = u.shape[0]
    xz = x_t @ w + b[0]
    hz = h @ u + b[1]
    z = _sigmoid(xz[:, :units] + hz[:, :units])
    r = _sigmoid(xz[:, units:2 * units] + hz[:, units:2 * units])
    hh = np.tanh(xz[:, 2 * units:] + r * hz[:, 2 * units:])
    h = z * h + (1 - z) * hh
    return h, [h]


def _step_rnn(x_t, states, w, u, b):
    h = np.tanh(x_t @ w + states[0] @ u + b)
    return h, [h]


STEPS = {"LSTM": _step_lstm, "GRU": _step_gru, "SimpleRNN": _step_rnn}


def _reference(name, x, weights, mask, go_backwards=False, initial=None):
    """Keras' RNN loop: masked steps keep the states and repeat the previous output."""
    w, u, b = (w.astype(np.float64) for w in weights)
    n, steps = x.shape[:2]
    n_states = RNNS[name][2]
    states = [np.zeros((n, u.shape[0]))] * n_states if initial is None else list(initial)
    prev, outputs = np.zeros((n, u.shape[0])), []
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        out, new = STEPS[name](x[:, t].astype(np.float64), states, w, u, b)
        keep = mask[:, t:t + 1]
        states = [np.where(keep, s_new, s) for s_new, s in zip(new, states)]
        prev = np.where(keep, out, prev)
        outputs.append(prev)
    return np.stack(outputs, axis=1), states


def _mask():
    mask = np.ones((4, 6), bool)
    mask[0, 4:] = False          # right padding
    mask[1, :2] = False          # left padding
    mask[2, 3] = False           # a hole
    mask[3, :] = False           # nothing at all
    return mask


@pytest.mark.parametrize("name", RNNS)
@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backward"])
def test_masked_steps_carry_state_like_the_reference_loop(name, go_backwards):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6, 3)).astype(np.float32)
    mask = _mask()
    layer = RNNS[name][0](5, return_sequences=True, return_state=True, go_backwards=go_backwards)
    out, *states = layer(x, mask=mask)
    ref_out, ref_states = _reference(name, x, layer.get_weights(), mask, go_backwards)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=2e-6)
    for got, want in zip(states, ref_states, strict=True):
        np.testing.assert_allclose(got.numpy(), want, atol=2e-6)


def test_masked_last_output_is_the_last_unmasked_output():
    x = np.random.default_rng(2).normal(size=(4, 6, 3)).astype(np.float32)
    mask = _mask()
    layer = LSTM(3, return_sequences=True)
    seq = layer(x, mask=mask).numpy()
    last = LSTM.from_config(layer.get_config() | {"return_sequences": False})
    last(x)
    last.set_weights(layer.get_weights())
    got = last(x, mask=mask).numpy()
    np.testing.assert_allclose(got[0], seq[0, 3], atol=1e-7)     # right padding: step 3
    np.testing.assert_array_equal(got[3], np.zeros(3))           # fully masked: zeros


def test_initial_state_is_used_and_checked():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    h0, c0 = rng.normal(size=(2, 2, 5)).astype(np.float32)
    layer = LSTM(5, return_sequences=True)
    out = layer(x, initial_state=[h0, c0]).numpy()
    ref, _ = _reference("LSTM", x, layer.get_weights(), np.ones((2, 4), bool), initial=[h0, c0])
    np.testing.assert_allclose(out, ref, atol=2e-6)
    with pytest.raises(ValueError, match=r"LSTM 'lstm\w*': initial_state must hold 2 tensor\(s\) "
                                         r"\(h, c\); got 1\."):
        layer(x, initial_state=[h0])


@pytest.mark.parametrize("name", RNNS)
def test_go_backwards_reads_the_reversed_sequence(name):
    x = np.random.default_rng(4).normal(size=(2, 5, 3)).astype(np.float32)
    backward = RNNS[name][0](4, return_sequences=True, go_backwards=True)
    forward = RNNS[name][0](4, return_sequences=True)
    backward(x), forward(x)
    forward.set_weights(backward.get_weights())
    # outputs come in processing order, as Keras returns them
    np.testing.assert_allclose(backward(x).numpy(), forward(x[:, ::-1]).numpy(), atol=1e-6)


def test_zero_output_for_mask_zeroes_masked_steps():
    x = np.random.default_rng(5).normal(size=(4, 6, 3)).astype(np.float32)
    mask = _mask()
    out = GRU(3, return_sequences=True, zero_output_for_mask=True)(x, mask=mask).numpy()
    assert np.all(out[~mask] == 0) and np.all(out[mask] != 0)


def test_one_recurrent_node_per_call():
    layer = LSTM(3, return_sequences=True)
    out = layer(dw.tensor(np.ones((2, 7, 3), np.float32)))
    names, stack = [], [out._node]
    while stack:
        node = stack.pop()
        if node is not None and hasattr(node, "op"):
            names.append(node.op.name)
            stack.extend(node.parents)
    assert names.count("lstm") == 1 and len(names) <= 3, names


def test_dropout_is_applied_in_training_only():
    x = np.random.default_rng(6).normal(size=(3, 4, 8)).astype(np.float32)
    layer = LSTM(4, dropout=0.5, seed=1)
    plain = layer(x).numpy()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), plain)
    assert not np.allclose(layer(x, training=True).numpy(), plain)


def test_dropout_drops_the_same_features_at_every_step():
    # with a linear activation and an identity-free setup, a dropped feature contributes nothing
    # at ANY step: compare against the layer run on inputs with that feature zeroed throughout
    x = np.ones((1, 5, 6), np.float32)
    layer = SimpleRNN(3, dropout=0.5, seed=3, activation="linear")
    dw.random.seed(0)
    layer(x)
    got = layer(x, training=True).numpy()
    # find the mask the layer drew: it is one of the 2**6 feature subsets, scaled by 2
    candidates = []
    for bits in range(64):
        keep = np.array([(bits >> i) & 1 for i in range(6)], np.float32) * 2
        if np.allclose(layer(x * keep, training=False).numpy(), got, atol=1e-5):
            candidates.append(bits)
    assert candidates, "the training output is not the inference output of a per-feature mask"


# ----------------------------------------------------------------------------- mask plumbing
def test_embedding_mask_reaches_lstm_in_sequential_and_functional():
    ids = np.array([[3, 1, 2, 0, 0], [0, 0, 4, 2, 1]])
    seq = Sequential([Input((5,), dtype="int32"), Embedding(6, 3, mask_zero=True), LSTM(4)])
    embed, lstm = seq.layers
    expected = lstm(embed(ids), mask=ids != 0).numpy()
    np.testing.assert_allclose(seq(ids).numpy(), expected, atol=1e-7)
    assert not np.allclose(lstm(embed(ids)).numpy(), expected)        # the mask matters
    inputs = Input((5,), dtype="int32")
    model = Model(inputs, lstm(embed(inputs)))
    np.testing.assert_allclose(model(ids).numpy(), expected, atol=1e-7)


def test_return_sequences_passes_the_mask_on_and_last_output_drops_it():
    ids = np.array([[3, 1, 0, 0], [2, 2, 2, 1]])
    model = Sequential([Input((4,), dtype="int32"), Embedding(5, 3, mask_zero=True),
                        GRU(3, return_sequences=True), SimpleRNN(2), Dense(1)])
    embed, gru, rnn, dense = model.layers
    h = gru(embed(ids), mask=ids != 0)
    expected = dense(rnn(h, mask=ids != 0)).numpy()
    np.testing.assert_allclose(model(ids).numpy(), expected, atol=1e-6)
    assert gru.compute_mask(None, ids != 0) is not None
    assert rnn.compute_mask(None, ids != 0) is None


def test_encoder_states_initialize_a_decoder_in_a_functional_model():
    # the Keras seq2seq pattern: symbolic states passed as initial_state
    enc_in, dec_in = Input((None, 3)), Input((None, 2))
    encoder, decoder = LSTM(4, return_state=True), LSTM(4, return_sequences=True)
    _, h, c = encoder(enc_in)
    model = Model([enc_in, dec_in], decoder(dec_in, initial_state=[h, c]))
    rng = np.random.default_rng(8)
    x_enc = rng.normal(size=(2, 5, 3)).astype(np.float32)
    x_dec = rng.normal(size=(2, 3, 2)).astype(np.float32)
    _, h_val, c_val = encoder(x_enc)
    expected = decoder(x_dec, initial_state=[h_val, c_val]).numpy()
    np.testing.assert_allclose(model([x_enc, x_dec]).numpy(), expected, atol=1e-6)


def test_lstm_trains_in_a_model():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 6, 2)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.float32)     # needs every step
    model = Sequential([Input((6, 2)), LSTM(8), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(0.02), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


# ----------------------------------------------------------------------------- errors
def test_wrong_rank_names_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"LSTM 'l': expected an input of rank 3 \(batch, "
                                         r"timesteps, features\); got input shape \(2, 3\)\."):
        LSTM(2, name="l")(np.ones((2, 3)))
    layer = GRU(2, name="g")
    layer(np.ones((1, 4, 3)))
    with pytest.raises(ValueError, match=r"GRU 'g': expected an input of rank 3, got input shape "
                                         r"\(1, 4, 3, 1\)\."):
        layer(np.ones((1, 4, 3, 1)))
    with pytest.raises(ValueError, match=r"GRU 'g': expected the input's last axis to be 3, got "
                                         r"input shape \(1, 4, 5\)\."):
        layer(np.ones((1, 4, 5)))


def test_empty_sequence_is_a_clear_error():
    with pytest.raises(ValueError, match=r"SimpleRNN 's': the input sequence is empty; expected "
                                         r"at least 1 timestep, got input shape \(2, 0, 3\)\."):
        SimpleRNN(2, name="s")(np.ones((2, 0, 3)))


def test_unsupported_options_raise():
    with pytest.raises(NotImplementedError, match=r"LSTM 'l': recurrent_dropout is not supported"
                                                  r".*expected recurrent_dropout=0.0, got 0.2"):
        LSTM(2, recurrent_dropout=0.2, name="l")
    with pytest.raises(NotImplementedError, match=r"GRU 'g': stateful recurrent layers are not "
                                                  r"supported by deltaw; expected "
                                                  r"stateful=False, got True\."):
        GRU(2, stateful=True, name="g")
    with pytest.raises(ValueError, match=r"SimpleRNN 's': activation 'gelu' is not supported by "
                                         r"deltaw's fused recurrent layers; expected one of "
                                         r"hard_sigmoid, linear, relu, sigmoid, tanh\."):
        SimpleRNN(2, activation="gelu", name="s")
    with pytest.raises(ValueError, match=r"LSTM 'l': recurrent_activation 'softmax' is not "):
        LSTM(2, recurrent_activation="softmax", name="l")


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match=r"LSTM 'l': units must be a positive integer; got "
                                         r"units=0\."):
        LSTM(0, name="l")
    with pytest.raises(ValueError, match=r"GRU 'g': dropout must be a float in \[0, 1\); got "
                                         r"dropout=1\.5\."):
        GRU(2, dropout=1.5, name="g")
    with pytest.raises(TypeError, match=r"SimpleRNN 's': seed must be None or an int; got "
                                        r"seed='x'\."):
        SimpleRNN(2, seed="x", name="s")
    with pytest.raises(ValueError, match=r"GRU 'g': invalid use_cudnn 'yes'; expected one of "
                                         r"'auto', True, False\."):
        GRU(2, use_cudnn="yes", name="g")
    with pytest.raises(TypeError, match=r"LSTM: got an unexpected keyword argument 'foo'"):
        LSTM(2, foo=1)


def test_keras_only_arguments_are_accepted():
    # unroll is ignored; use_cudnn and tf.keras 2's `implementation` are accepted
    layer = LSTM(2, unroll=True, use_cudnn=False, implementation=1)
    assert layer(np.ones((1, 3, 2))).shape == (1, 2)


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_one_hot_bool_inputs_give_what_float_inputs_give(cls):
    """keras.io's character LSTM feeds bool one-hot arrays: the result is that of floats
    (the LSTM's fused gate form once took its dtype from x, and bool made 0.5 into 1)."""
    x = np.eye(4, dtype=bool)[np.random.default_rng(0).integers(0, 4, (8, 5))]
    model = Sequential([Input((5, 4)), cls(3)])
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.predict(x.astype("float32"), verbose=0), atol=1e-6)
