"""Embedding: harness row, Keras' defaults, masks, gradients and errors."""

import warnings

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import Input, Sequential
from deltaw.keras.layers import Embedding, GlobalAveragePooling1D
from tests.keras.harness import check_layer


@pytest.mark.parametrize("kwargs, ids, out_shape", [
    ({"input_dim": 5, "output_dim": 3}, np.array([[1, 2, 0, 4]]), (1, 4, 3)),
    ({"input_dim": 7, "output_dim": 2, "mask_zero": True}, np.array([[1, 6], [0, 3]]), (2, 2, 2)),
    ({"input_dim": 4, "output_dim": 2, "embeddings_regularizer": "l2"}, np.array([[3, 3, 1]]),
     (1, 3, 2)),
], ids=["plain", "mask-zero", "l2"])
def test_embedding_harness(kwargs, ids, out_shape):
    # ids are not differentiable, so the float64 gradcheck (which perturbs the inputs) is off;
    # the table's gradient is checked below and by dw.nn.embedding's op-table row
    check_layer(Embedding, kwargs, input_data=ids, expected_output_shape=out_shape,
                expected_num_trainable_weights=1, gradcheck=False)


def test_lookup_picks_rows():
    layer = Embedding(4, 2)
    layer.build()
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer.set_weights([table])
    ids = np.array([[3, 0], [1, 1]])
    np.testing.assert_array_equal(layer(ids).numpy(), table[ids])


def test_default_initializer_is_uniform_005():
    layer = Embedding(200, 50)
    layer.build()
    config = layer.get_config()["embeddings_initializer"]
    assert config["class_name"] == "RandomUniform"
    assert config["config"]["minval"] == -0.05 and config["config"]["maxval"] == 0.05
    values = layer.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.02


def test_weights_and_config_match_keras():
    layer = Embedding(10, 3)
    layer(np.array([[1]]))
    assert [(w.name, w.shape) for w in layer.weights] == [("embeddings", (10, 3))]
    config = layer.get_config()
    assert config["input_dim"] == 10 and config["output_dim"] == 3
    assert config["mask_zero"] is False and config["embeddings_regularizer"] is None


def test_repeated_ids_add_their_gradients():
    layer = Embedding(3, 2)
    out = layer(np.array([[2, 0, 2, 2]]))
    (grad,) = dw.grad(dw.sum(out), [layer.embeddings])
    np.testing.assert_array_equal(grad.numpy(), [[1, 1], [0, 0], [3, 3]])


def test_float_ids_holding_integers_are_accepted():
    layer = Embedding(5, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]])).numpy(),
                                  layer(np.array([[1, 4]])).numpy())


def test_mask_zero_produces_the_padding_mask():
    ids = np.array([[3, 0, 1], [0, 0, 2]])
    mask = Embedding(4, 2, mask_zero=True).compute_mask(ids)
    np.testing.assert_array_equal(np.asarray(mask), ids != 0)
    assert Embedding(4, 2).compute_mask(ids) is None
    assert Embedding(4, 2, mask_zero=True).supports_masking
    assert not Embedding(4, 2).supports_masking


def test_mask_zero_mask_reaches_a_masked_average():
    ids = np.array([[1, 2, 0, 0]])
    model = Sequential([Input((4,), dtype="int32"), Embedding(3, 2, mask_zero=True),
                        GlobalAveragePooling1D()])
    table = model.layers[0].embeddings.numpy()
    np.testing.assert_allclose(model(ids).numpy(), table[[1, 2]].mean(axis=0, keepdims=True),
                               rtol=1e-6)


def test_input_length_is_accepted_with_keras_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = Embedding(10, 2, input_length=5)
    assert any("input_length" in str(w.message) for w in caught)
    assert "input_length" not in layer.get_config()
    assert layer(np.ones((1, 7), int)).shape == (1, 7, 2)       # the length is not enforced


def test_initial_weights_argument():
    table = np.ones((3, 2), np.float32)
    layer = Embedding(3, 2, weights=table)
    assert layer.built
    np.testing.assert_array_equal(layer.embeddings.numpy(), table)
    np.testing.assert_array_equal(Embedding(3, 2, weights=[table]).embeddings.numpy(), table)


def test_regularizer_adds_a_loss():
    layer = Embedding(3, 2, embeddings_regularizer="l2")
    layer(np.array([[1]]))
    assert len(layer.losses) == 1 and layer.losses[0].item() > 0


def test_out_of_range_id_names_the_id():
    with pytest.raises(ValueError, match=r"embedding: id 7 is out of range; expected 0 <= id < "
                                         r"input_dim = 5, got id 7\."):
        Embedding(5, 2)(np.array([[1, 7]]))


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match=r"Embedding 'e': input_dim must be a positive integer; "
                                         r"got input_dim=0\."):
        Embedding(0, 2, name="e")
    with pytest.raises(ValueError, match=r"Embedding 'e': output_dim must be a positive integer; "
                                         r"got output_dim=2\.5\."):
        Embedding(3, 2.5, name="e")
    with pytest.raises(NotImplementedError, match=r"Embedding 'e': LoRA is not supported"):
        Embedding(3, 2, lora_rank=4, name="e")
