"""MultiHeadAttention and Attention: harness rows, Keras 3's weight layout, a NumPy reference,
masks, scores and errors."""

import json

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Model
from deltaw.keras.layers import Attention, Embedding, MultiHeadAttention
from tests.keras.harness import check_layer


class SelfAttention(MultiHeadAttention):
    """MultiHeadAttention(x, x) behind the one-input call the harness makes."""

    def call(self, inputs, training=None):
        return super().call(inputs, inputs, training=training)

    def compute_output_spec(self, inputs, training=None):
        return super().compute_output_spec(inputs, inputs)


def _softmax(s, allowed=None):
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _reference_mha(layer, query, value, key=None, allowed=None):
    """Keras' math on the layer's weights, in float64."""
    key = value if key is None else key
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype(np.float64) for w in layer.get_weights())
    q = np.einsum("btd,dnh->bnth", query, wq) + bq[None, :, None]
    k = np.einsum("bsd,dnh->bnsh", key, wk) + bk[None, :, None]
    v = np.einsum("bsd,dnh->bnsh", value, wv) + bv[None, :, None]
    probs = _softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(layer.key_dim), allowed)
    return np.einsum("bnth,nhe->bte", probs @ v, wo) + bo, probs


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ----------------------------------------------------------------------------- MultiHeadAttention
@pytest.mark.parametrize("kwargs, n_weights", [
    ({"num_heads": 2, "key_dim": 3}, 8),
    ({"num_heads": 1, "key_dim": 2, "value_dim": 3, "output_shape": 4}, 8),
    ({"num_heads": 2, "key_dim": 2, "use_bias": False}, 4),
    ({"num_heads": 2, "key_dim": 2, "use_gate": True}, 10),
], ids=["default", "value-dim-output-shape", "no-bias", "gate"])
def test_multi_head_attention_harness(kwargs, n_weights):
    out_dim = kwargs.get("output_shape", 5)
    check_layer(SelfAttention, kwargs, input_shape=(2, 4, 5), expected_output_shape=(2, 4, out_dim),
                expected_num_trainable_weights=n_weights)


def test_weights_have_keras_3_layout_and_order():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6)
    layer(_x((1, 5, 7)), _x((1, 2, 8)), _x((1, 2, 9)))
    assert [w.shape for w in layer.weights] == [(7, 2, 3), (2, 3), (9, 2, 3), (2, 3),
                                                (8, 2, 4), (2, 4), (2, 4, 6), (6,)]
    assert [w.name for w in layer.weights] == ["kernel", "bias"] * 4
    assert [sub.name for sub in layer._sublayers()] == ["query", "key", "value",
                                                        "attention_output"]
    assert layer.query_dense is layer._sublayers()[0]


def test_matches_the_numpy_reference():
    query, value = _x((2, 3, 6), 1), _x((2, 5, 4), 2)
    layer = MultiHeadAttention(num_heads=3, key_dim=2)
    out, scores = layer(query, value, return_attention_scores=True)
    ref, probs = _reference_mha(layer, query, value)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), probs, rtol=1e-5, atol=1e-6)
    assert scores.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(layer(query, value).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_masks_combine_with_and():
    query, value = _x((2, 4, 6), 3), _x((2, 5, 6), 4)
    value_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    attention_mask = np.random.default_rng(5).random((2, 4, 5)) > 0.3
    attention_mask[:, :, 0] = True
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = layer(query, value, value_mask=value_mask, attention_mask=attention_mask,
                        use_causal_mask=True, return_attention_scores=True)
    allowed = attention_mask & value_mask[:, None, :] & np.tri(4, 5, dtype=bool)
    ref, probs = _reference_mha(layer, query, value, allowed=allowed[:, None])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), probs, rtol=1e-5, atol=1e-6)
    assert np.all(scores.numpy()[~np.broadcast_to(allowed[:, None], scores.shape)] == 0)


def test_key_differs_from_value():
    query, value, key = _x((1, 2, 4), 6), _x((1, 3, 5), 7), _x((1, 3, 6), 8)
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    out = layer(query, value, key).numpy()
    ref, _ = _reference_mha(layer, query, value, key)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_dropout_applies_in_training_only():
    x = _x((2, 4, 6), 9)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=0)
    plain = layer(x, x).numpy()
    np.testing.assert_array_equal(layer(x, x, training=False).numpy(), plain)
    assert not np.allclose(layer(x, x, training=True).numpy(), plain)


def test_sliding_window_limits_the_keys():
    x = _x((1, 6, 4), 10)
    layer = MultiHeadAttention(num_heads=1, key_dim=2, sliding_window=2)
    _, scores = layer(x, x, return_attention_scores=True)
    far = np.abs(np.arange(6)[:, None] - np.arange(6)[None, :]) >= 2
    assert np.all(scores.numpy()[0, 0][far] == 0)


def test_embedding_mask_reaches_attention_in_a_functional_model():
    ids = np.array([[1, 2, 3, 0], [4, 0, 0, 0]])
    inputs = Input((4,), dtype="int32")
    embed = Embedding(5, 6, mask_zero=True)
    mha = MultiHeadAttention(num_heads=2, key_dim=3)
    h = embed(inputs)
    model = Model(inputs, mha(h, h))
    e = embed(ids)
    expected = mha(e, e, query_mask=ids != 0, value_mask=ids != 0).numpy()
    got = model(ids).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert not np.allclose(mha(e, e).numpy()[0, :3], got[0, :3])          # the mask matters


def test_symbolic_call_and_scores_shape():
    query, value = Input((3, 4)), Input((5, 6))
    out, scores = MultiHeadAttention(num_heads=2, key_dim=2)(query, value,
                                                             return_attention_scores=True)
    assert out.shape == (None, 3, 4) and scores.shape == (None, 2, 3, 5)


def test_config_round_trip_and_build_config():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, output_shape=5)
    layer(_x((1, 2, 4)), _x((1, 3, 4)))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["num_heads"] == 2 and config["key_dim"] == 3 and config["value_dim"] == 3
    assert config["output_shape"] == [5] and config["attention_axes"] is None
    clone = MultiHeadAttention.from_config(config)
    clone.build_from_config(json.loads(json.dumps(layer.get_build_config())))
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'm': num_heads must be a positive "
                                         r"integer; got num_heads=0\."):
        MultiHeadAttention(num_heads=0, key_dim=2, name="m")
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'm': dropout must be a float in "
                                         r"\[0, 1\); got dropout=1\."):
        MultiHeadAttention(num_heads=1, key_dim=2, dropout=1, name="m")
    with pytest.raises(NotImplementedError, match=r"MultiHeadAttention 'm': only the default "
                                                  r"attention_axes .* got "
                                                  r"attention_axes=\(1, 2\)\."):
        MultiHeadAttention(num_heads=1, key_dim=2, attention_axes=(1, 2), name="m")
    assert MultiHeadAttention(num_heads=1, key_dim=2, attention_axes=1).attention_axes == [1]
    layer = MultiHeadAttention(num_heads=1, key_dim=2, name="m")
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'm': query must be \(batch, "
                                         r"length, dim\) with a known dim; got query shape "
                                         r"\(2, 3, 4, 5\)\."):
        layer(_x((2, 3, 4, 5)), _x((2, 3, 5)))
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'k': value and key lengths differ; "
                                         r"expected equal, got value shape \(1, 3, 4\) and key "
                                         r"shape \(1, 2, 4\)\."):
        MultiHeadAttention(num_heads=1, key_dim=2, name="k")(_x((1, 2, 4)), _x((1, 3, 4)),
                                                             _x((1, 2, 4)))


# ----------------------------------------------------------------------------- Attention
@pytest.mark.parametrize("kwargs, shapes, n_weights", [
    ({}, [(2, 3, 4), (2, 5, 4)], 0),
    ({"use_scale": True}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], 1),
    ({"score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)], 1),
    ({"score_mode": "concat", "use_scale": True}, [(2, 2, 3), (2, 4, 3)], 2),
], ids=["dot", "dot-scale-key", "concat", "concat-scale"])
def test_attention_harness(kwargs, shapes, n_weights):
    check_layer(Attention, kwargs, input_shape=shapes,
                expected_output_shape=(*shapes[0][:2], shapes[1][-1]),
                expected_num_trainable_weights=n_weights)


def test_attention_matches_the_numpy_reference():
    q, v, k = _x((2, 3, 4), 11), _x((2, 5, 6), 12), _x((2, 5, 4), 13)
    layer = Attention(use_scale=True)
    layer([q, v, k])
    layer.set_weights([np.float32(0.7)])
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], bool)
    out, weights = layer([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True,
                         use_causal_mask=True)
    allowed = v_mask[:, None, :] & np.tri(3, 5, dtype=bool)
    probs = _softmax(0.7 * q.astype(np.float64) @ np.swapaxes(k, -1, -2), allowed)
    np.testing.assert_allclose(weights.numpy(), probs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out.numpy(), (probs @ v) * q_mask[..., None], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(layer([q, v, k], mask=[q_mask, v_mask],
                                     use_causal_mask=True).numpy(), out.numpy(), atol=1e-6)


def test_attention_concat_scores_match_the_numpy_reference():
    q, v = _x((1, 2, 3), 14), _x((1, 4, 3), 15)
    layer = Attention(score_mode="concat")
    out, weights = layer([q, v], return_attention_scores=True)
    scores = np.tanh(q[:, :, None, :] + v[:, None, :, :]).sum(-1)
    np.testing.assert_allclose(weights.numpy(), _softmax(scores), rtol=1e-5)
    np.testing.assert_allclose(out.numpy(), _softmax(scores) @ v, rtol=1e-5, atol=1e-6)


def test_fully_masked_query_rows_get_zero_weights():
    # the documented deviation from Keras (whose -1e9 softmax gives such rows uniform weights)
    q = _x((1, 2, 3), 17)
    value_mask = np.array([[False, True]])
    _, weights = Attention()([q, q], mask=[None, value_mask], use_causal_mask=True,
                             return_attention_scores=True)
    np.testing.assert_array_equal(weights.numpy()[0, 0], [0.0, 0.0])
    np.testing.assert_allclose(weights.numpy()[0, 1], [0.0, 1.0])
    mha = MultiHeadAttention(num_heads=1, key_dim=2)
    out, scores = mha(q, q, value_mask=value_mask, use_causal_mask=True,
                      return_attention_scores=True)
    np.testing.assert_array_equal(scores.numpy()[0, 0, 0], [0.0, 0.0])
    np.testing.assert_allclose(out.numpy()[0, 0], mha.output_dense.bias.numpy())


def test_attention_mask_propagates_from_the_query():
    layer = Attention()
    q_mask = np.array([[True, False]])
    assert layer.compute_mask([None, None], [q_mask, None]) is q_mask
    assert layer.compute_mask([None, None], None) is None


def test_attention_symbolic_scores_shape():
    out, weights = Attention()([Input((3, 4)), Input((5, 4))], return_attention_scores=True)
    assert out.shape == (None, 3, 4) and weights.shape == (None, 3, 5)


def test_attention_dropout_training_only():
    q = _x((2, 3, 4), 16)
    layer = Attention(dropout=0.5, seed=1)
    plain = layer([q, q]).numpy()
    assert not np.allclose(layer([q, q], training=True).numpy(), plain)
    np.testing.assert_array_equal(layer([q, q], training=False).numpy(), plain)


def test_attention_errors():
    with pytest.raises(ValueError, match=r"Attention 'a': invalid score_mode 'add'; expected one "
                                         r"of 'dot', 'concat'\."):
        Attention(score_mode="add", name="a")
    with pytest.raises(ValueError, match=r"Attention 'a': expected a list \[query, value\] or "
                                         r"\[query, value, key\]; got Tensor\."):
        Attention(name="a")(dw.tensor(_x((1, 2, 3))))
    with pytest.raises(ValueError, match=r"Attention 'a': expected a list .*; got 1 inputs\."):
        Attention(name="a")([_x((1, 2, 3))])
