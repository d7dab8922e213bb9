"""EinsumDense, AdditiveAttention and GroupedQueryAttention: shapes, weights, gradients,
configs and errors."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import layers as L
from tests.keras.harness import check_layer


@pytest.mark.parametrize("kwargs, shape, out_shape, weights", [
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (3, 5), (3, 4),
     [(5, 4), (4,)]),
    ({"equation": "abc,cde->abde", "output_shape": (3, 4, 2), "bias_axes": "e",
      "activation": "tanh"}, (2, 3, 5), (2, 3, 4, 2), [(5, 4, 2), (2,)]),
    ({"equation": "...b,bc->...c", "output_shape": 3}, (2, 3, 4, 5), (2, 3, 4, 3), [(5, 3)]),
    ({"equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"}, (2, 3, 5),
     (2, 4, 5), [(3, 4), (4, 1)]),
], ids=["matrix", "heads", "left-ellipsis", "right-ellipsis"])
def test_einsum_dense_harness(kwargs, shape, out_shape, weights):
    layer = check_layer(L.EinsumDense, kwargs, input_shape=shape, expected_output_shape=out_shape,
                        expected_num_trainable_weights=len(weights),
                        expected_weight_shapes=weights)
    assert [w.name for w in layer.weights] == ["kernel", "bias"][:len(weights)]
    assert layer.compute_output_shape(shape) == out_shape


def test_einsum_dense_is_dense_for_a_matrix_equation():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    layer = L.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")
    layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(layer(x).numpy(), x @ kernel + bias, rtol=1e-6)


def test_einsum_dense_fans_come_from_the_equation():
    # glorot over fan_in 5 (contracted c) and fan_out 8 (d, e), not the last two kernel axes
    layer = L.EinsumDense("abc,cde->abde", output_shape=(None, 4, 2),
                          kernel_initializer=dw.keras.initializers.VarianceScaling(
                              1.0, "fan_avg", "uniform", seed=0))
    layer(np.ones((1, 2, 5)))
    limit = np.sqrt(3.0 / ((5 + 8) / 2))
    assert np.abs(layer.kernel.numpy()).max() <= limit
    assert np.abs(layer.kernel.numpy()).max() > 0.8 * limit


@pytest.mark.parametrize("kwargs, shape, message", [
    ({"equation": "ab,bc", "output_shape": 4}, (2, 3), r"equation must have the form"),
    ({"equation": "...ab,bc->ac...", "output_shape": 4}, (2, 3), r"equation must have the form"),
    ({"equation": "ab,bc->ac", "output_shape": 4}, (2, 3, 4),
     r"the equation's input spec 'ab' has 2 axes; expected an input of that rank"),
    ({"equation": "ab,bc->acd", "output_shape": (4, 2)}, (2, 3),
     r"output axis 'd' appears in neither"),
    ({"equation": "ab,bcd->ac", "output_shape": 4}, (2, 3), r"kernel axis 'd' appears in"),
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "x"}, (2, 3),
     r"bias_axes must be letters of the output spec 'ac'"),
    ({"equation": "ab,bc->ac", "output_shape": (4, 2)}, (2, 3),
     r"output_shape \(4, 2\) does not fit the equation's output spec 'ac'; expected 1 sizes"),
    ({"equation": "abc,cd->abd", "output_shape": (5, 2)}, (2, 3, 4),
     r"the input and output shapes differ at shared axis 'b'"),
])
def test_einsum_dense_errors(kwargs, shape, message):
    with pytest.raises(ValueError, match=rf"EinsumDense '.*': {message}"):
        L.EinsumDense(**kwargs)(np.ones(shape))


def test_einsum_dense_refuses_lora():
    with pytest.raises(ValueError, match=r"EinsumDense '.*': LoRA and quantization"):
        L.EinsumDense("ab,bc->ac", 4, lora_rank=2)


@pytest.mark.parametrize("kwargs, shapes", [
    ({}, [(2, 3, 4), (2, 5, 4)]),
    ({"use_scale": False}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
], ids=["scaled", "with-key"])
def test_additive_attention_harness(kwargs, shapes):
    layer = check_layer(L.AdditiveAttention, kwargs, input_shape=shapes,
                        expected_output_shape=(2, 3, 4),
                        expected_num_trainable_weights=int(kwargs.get("use_scale", True)))
    if layer.weights:
        assert layer.weights[0].name == "scale" and layer.weights[0].shape == (4,)


def test_additive_attention_scores_are_bahdanau_scores():
    rng = np.random.default_rng(0)
    q, v = rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 4, 3))
    layer = L.AdditiveAttention()
    out, weights = layer([q, v], return_attention_scores=True)
    scale = layer.scale.numpy()
    scores = (scale * np.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(-1)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(out.numpy(), expected @ v, rtol=1e-5)
    assert "score_mode" not in layer.get_config()


def test_grouped_query_attention_shapes_weights_and_config():
    layer = L.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    out, scores = layer(np.ones((2, 3, 8)), np.ones((2, 5, 6)), return_attention_scores=True)
    assert out.shape == (2, 3, 8) and scores.shape == (2, 4, 3, 5)
    assert [tuple(w.shape) for w in layer.weights] == [
        (8, 4, 4), (4, 4), (6, 2, 4), (2, 4), (6, 2, 4), (2, 4), (4, 4, 8), (8,)]
    clone = L.GroupQueryAttention.from_config(layer.get_config())
    assert clone.get_config() == {**layer.get_config(), "name": clone.name}
    sym = layer(L.Input((3, 8)), L.Input((5, 6)))
    assert sym.shape == (None, 3, 8)


def test_grouped_query_attention_with_one_group_per_head_is_multi_head_attention():
    rng = np.random.default_rng(1)
    q, v = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 4, 6))
    gqa = L.GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=2)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    gqa(q, v)
    mha(q, v)
    mha.set_weights(gqa.get_weights())
    np.testing.assert_allclose(gqa(q, v).numpy(), mha(q, v).numpy(), rtol=1e-6)


def test_grouped_query_attention_shares_keys_across_a_group():
    rng = np.random.default_rng(2)
    q = rng.normal(size=(1, 2, 4)).astype(np.float32)
    layer = L.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    layer(q, q)
    weights = layer.get_weights()
    weights[0][:, 1] = weights[0][:, 0]          # both query heads project alike
    weights[1][1] = weights[1][0]
    layer.set_weights(weights)
    _, scores = layer(q, q, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy()[:, 0], scores.numpy()[:, 1], rtol=1e-6)


def test_grouped_query_attention_gradients():
    rng = np.random.default_rng(3)
    q = dw.tensor(rng.normal(size=(1, 2, 4)), requires_grad=True)
    layer = L.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1,
                                  dtype="float64")
    layer(q, q)
    assert dw.gradcheck(lambda x: layer(x, x), [q])


@pytest.mark.parametrize("kwargs, message", [
    ({"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 2},
     r"num_query_heads must be a multiple of num_key_value_heads; got 3 and 2"),
    ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 0},
     r"num_key_value_heads must be a positive integer"),
])
def test_grouped_query_attention_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.GroupQueryAttention(**kwargs)


def test_additive_attention_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"AdditiveAttention 'add': expected a list \[query, "
                                         r"value\] or \[query, value, key\]; got 1 inputs"):
        L.AdditiveAttention(name="add")([np.ones((1, 2, 3))])
