"""Sequence layers against Keras 3 (PyTorch backend): Keras' weights copied in with set_weights
give Keras' outputs to float32 rounding, masks included; an LSTM model trains to the same losses.
Skipped without keras/torch.
"""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as ref  # selects the torch backend; import before keras

with ref.quiet():
    keras = pytest.importorskip("keras", reason=ref.SKIP_REASON)
ref.require_torch_backend(keras)

ATOL = 1e-5
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]


def _compare(make, *args, **call):
    """Build `make(keras.layers)` and `make(dk.layers)`, copy Keras' weights, compare outputs."""
    k_layer, d_layer = make(keras.layers), make(dk.layers)
    k_out = ref.as_list(k_layer(*args, **call))
    d_layer(*args, **call)
    ref.copy_weights(k_layer, d_layer)
    d_out = ref.as_list(d_layer(*args, **call))
    assert len(k_out) == len(d_out)
    for k, d in zip(k_out, d_out, strict=True):
        np.testing.assert_allclose(d.numpy(), ref.to_numpy(k), atol=ATOL, rtol=1e-5)


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _mask():
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[1, :2] = False
    mask[2, 3] = False
    return mask


def test_embedding():
    ids = np.random.default_rng(1).integers(0, 10, size=(3, 6))
    _compare(lambda L: L.Embedding(10, 4), ids)


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences, go_backwards, masked", [
    (False, False, False), (True, False, True), (False, True, True), (True, True, False),
], ids=["last", "seq-masked", "backwards-masked", "seq-backwards"])
def test_recurrent_layers(cls, return_sequences, go_backwards, masked):
    call = {"mask": _mask()} if masked else {}
    _compare(lambda L: getattr(L, cls)(4, return_sequences=return_sequences, return_state=True,
                                       go_backwards=go_backwards), _x((3, 6, 5)), **call)


def test_gru_reset_before_and_activations():
    _compare(lambda L: L.GRU(3, reset_after=False, return_sequences=True), _x((3, 6, 5)),
             mask=_mask())
    _compare(lambda L: L.LSTM(3, activation="relu", recurrent_activation="hard_sigmoid"),
             _x((3, 6, 5)))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional(merge_mode):
    _compare(lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=merge_mode),
             _x((3, 6, 5)), mask=_mask())


def test_bidirectional_return_state():
    _compare(lambda L: L.Bidirectional(L.GRU(3, return_state=True)), _x((3, 6, 5)))


@pytest.mark.parametrize("kwargs, call", [
    ({"num_heads": 2, "key_dim": 3}, {}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 5, "output_shape": 4},
     {"return_attention_scores": True, "use_causal_mask": True, "value_mask": "mask"}),
    ({"num_heads": 3, "key_dim": 2, "use_bias": False}, {"key": "key"}),
    ({"num_heads": 2, "key_dim": 3}, {"attention_mask": "attention"}),
    ({"num_heads": 2, "key_dim": 3, "use_gate": True}, {}),
], ids=["default", "scores-causal-value-mask", "key-no-bias", "attention-mask", "gate"])
def test_multi_head_attention(kwargs, call):
    query, value = _x((2, 4, 6), 2), _x((2, 5, 7), 3)
    rng = np.random.default_rng(4)
    value_mask = np.ones((2, 5), bool)
    value_mask[0, 3:] = False
    attention = rng.random((2, 4, 5)) > 0.3
    attention[:, :, 0] = True
    extra = {"mask": value_mask, "key": _x((2, 5, 3), 5), "attention": attention}
    call = {k: extra[v] if isinstance(v, str) else v for k, v in call.items()}
    _compare(lambda L: L.MultiHeadAttention(**kwargs), query, value, **call)


@pytest.mark.parametrize("score_mode", ["dot", "concat"])
@pytest.mark.parametrize("use_scale", [False, True])
def test_attention(score_mode, use_scale):
    value_mask = np.ones((2, 5), bool)
    value_mask[1, 3:] = False          # every query keeps an allowed key (see the deviation note)
    _compare(lambda L: L.Attention(use_scale=use_scale, score_mode=score_mode),
             [_x((2, 4, 6), 6), _x((2, 5, 6), 7)], mask=[None, value_mask],
             return_attention_scores=True, use_causal_mask=True)


def _predict_both(build, x):
    k_model, d_model = ref.build_both(build)
    with ref.quiet():
        return k_model.predict(x, verbose=0), d_model.predict(x, verbose=0)


def _ids():
    ids = np.random.default_rng(8).integers(1, 9, size=(4, 7))
    ids[0, 5:] = 0
    ids[1, :3] = 0
    ids[2, 3] = 0
    return ids


def test_mask_propagation_in_sequential():
    def build(lib):
        return lib.Sequential([lib.Input((7,), dtype="int32"),
                               lib.layers.Embedding(9, 4, mask_zero=True),
                               lib.layers.LSTM(5, return_sequences=True), lib.layers.GRU(3)])

    k_out, d_out = _predict_both(build, _ids())
    np.testing.assert_allclose(d_out, k_out, atol=ATOL)


def test_mask_propagation_in_functional_model():
    def build(lib):
        inputs = lib.Input((7,), dtype="int32")
        x = lib.layers.Embedding(9, 4, mask_zero=True)(inputs)
        x = lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True))(x)
        x = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
        return lib.Model(inputs, lib.layers.SimpleRNN(2)(x))

    k_out, d_out = _predict_both(build, _ids())
    np.testing.assert_allclose(d_out, k_out, atol=ATOL)


def test_masking_layer_in_sequential():
    def build(lib):
        return lib.Sequential([lib.Input((6, 5)), lib.layers.Masking(), lib.layers.LSTM(4)])

    x = _x((3, 6, 5))
    x[~_mask()] = 0.0
    k_out, d_out = _predict_both(build, x)
    np.testing.assert_allclose(d_out, k_out, atol=ATOL)


def test_lstm_model_fit_gives_keras_losses_epoch_by_epoch():
    rng = np.random.default_rng(9)
    ids = rng.integers(1, 12, size=(64, 8))
    ids[:16, 6:] = 0
    y = (ids[:, 0] < ids[:, -1]).astype(np.float32)

    def build(lib):
        return lib.Sequential([lib.Input((8,), dtype="int32"),
                               lib.layers.Embedding(12, 4, mask_zero=True),
                               lib.layers.LSTM(6), lib.layers.Dense(1, activation="sigmoid")])

    histories = []
    keras.utils.set_random_seed(0)
    k_model, d_model = ref.build_both(build)
    with ref.quiet():
        for lib, model in ((keras, k_model), (dk, d_model)):
            model.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy",
                          metrics=["accuracy"])
            histories.append(model.fit(ids, y, epochs=2, batch_size=16, shuffle=False,
                                       verbose=0).history)
    k_hist, d_hist = histories
    np.testing.assert_allclose(d_hist["loss"], k_hist["loss"], rtol=1e-5)
    np.testing.assert_allclose(d_hist["accuracy"], k_hist["accuracy"], rtol=1e-6)
