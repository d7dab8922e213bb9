"""Dense, Activation, InputLayer/Input: harness rows plus the behaviours the harness can't see."""

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import backend, regularizers
from deltaw.keras.layers import Activation, Dense, Input, InputLayer, KerasTensor, Layer
from tests.keras.harness import check_layer


@pytest.mark.parametrize("kwargs, input_shape, out_shape", [
    ({"units": 4}, (3, 5), (3, 4)),
    ({"units": 2, "activation": "tanh"}, (3, 5), (3, 2)),
    ({"units": 3, "activation": "sigmoid", "use_bias": False}, (2, 4), (2, 3)),
    ({"units": 2, "activation": "softmax"}, (2, 3), (2, 2)),
    ({"units": 2}, (2, 3, 4), (2, 3, 2)),                         # N-D input: last axis only
    ({"units": 1, "kernel_regularizer": "l2"}, (4, 3), (4, 1)),
], ids=["linear", "tanh", "no-bias", "softmax", "3d", "l2"])
def test_dense_harness(kwargs, input_shape, out_shape):
    n = 2 if kwargs.get("use_bias", True) else 1
    check_layer(Dense, kwargs, input_shape=input_shape, expected_output_shape=out_shape,
                expected_num_trainable_weights=n)


def test_dense_weights_in_keras_order_and_shapes():
    layer = Dense(3)
    layer(np.ones((2, 5)))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(5, 3), (3,)]
    assert layer.bias.numpy().tolist() == [0.0, 0.0, 0.0]      # bias_initializer='zeros'


def test_dense_defaults_match_keras():
    layer = Dense(2)
    config = layer.get_config()
    assert config["activation"] == "linear" and config["use_bias"] is True
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"] is None and config["kernel_constraint"] is None


def test_dense_computes_matmul_plus_bias_then_activation():
    layer = Dense(2, activation="relu")
    x = np.array([[1.0, -2.0, 0.5]], np.float32)
    layer(x)
    layer.set_weights([np.arange(6, dtype=np.float32).reshape(3, 2) - 2, np.array([0.5, -9])])
    expected = np.maximum(x @ (np.arange(6).reshape(3, 2) - 2) + [0.5, -9], 0)
    np.testing.assert_allclose(layer(x).numpy(), expected)


def test_dense_float64_input_is_converted_to_float32():
    out = Dense(2)(np.ones((2, 3), np.float64))
    assert out.dtype == np.float32


def test_dense_integer_input_is_cast():
    out = Dense(2)(np.ones((2, 3), np.int64))
    assert out.dtype == np.float32


def test_dense_wrong_last_axis_names_layer_and_shapes():
    backend.clear_session()
    Dense(1), Dense(1)
    layer = Dense(4)
    assert layer.name == "dense_2"
    x = Input((10,))
    layer(x)
    with pytest.raises(ValueError, match=r"Dense 'dense_2': expected the input's last axis to "
                                         r"be 10, got input shape \(None, 12\)\."):
        layer(Input((12,)))
    with pytest.raises(ValueError, match=r"Dense 'dense_2': .* got input shape \(32, 12\)"):
        layer(np.ones((32, 12)))


def test_dense_rank_one_input_is_rejected():
    with pytest.raises(ValueError, match=r"Dense 'd': expected an input of rank >= 2, got input "
                                         r"shape \(5,\)"):
        Dense(2, name="d")(np.ones(5))


def test_dense_unknown_last_axis_cannot_build():
    with pytest.raises(ValueError, match=r"Dense 'd': the input's last axis must be known; got "
                                         r"input shape \(None, None\)"):
        Dense(2, name="d")(Input((None,)))


@pytest.mark.parametrize("units", [0, -1, 2.5, "3", True])
def test_dense_units_must_be_positive_int(units):
    with pytest.raises(ValueError, match=r"Dense '.*': units must be a positive integer; got "
                                         r"units="):
        Dense(units)


def test_unknown_keyword_raises_type_error_naming_class_and_argument():
    with pytest.raises(TypeError, match=r"Dense: got an unexpected keyword argument 'unitz'"):
        Dense(2, unitz=3)


def test_dense_regularizer_losses_are_differentiable_penalties():
    layer = Dense(2, kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1",
                  activity_regularizer=regularizers.L1(0.5))
    out = layer(np.ones((4, 3)))
    kernel = layer.kernel.numpy()
    losses = layer.losses
    assert len(losses) == 3
    activity = 0.5 * np.abs(out.numpy()).sum() / 4                  # per sample, as Keras 3
    np.testing.assert_allclose(losses[0].item(), activity, rtol=1e-5)
    np.testing.assert_allclose(losses[1].item(), 0.1 * (kernel ** 2).sum(), rtol=1e-5)
    assert losses[1].requires_grad
    layer(np.ones((4, 3)))                                           # a new call replaces them
    assert len(layer.losses) == 3


def test_dense_constraints_are_accepted_and_kept_in_config():
    layer = Dense(2, kernel_constraint="non_neg")
    assert layer.get_config()["kernel_constraint"] == "non_neg"


def test_activation_layer():
    check_layer(Activation, {"activation": "relu"}, input_shape=(2, 3),
                input_data=np.array([[-1.0, 0.5, 2.0], [1.5, -0.25, 0.75]], np.float32),
                expected_output_shape=(2, 3))
    np.testing.assert_array_equal(Activation("relu")(np.array([[-1.0, 2.0]])).numpy(), [[0, 2]])


def test_activation_softmax_config_round_trip():
    layer = Activation("softmax")
    assert layer.get_config()["activation"] == "softmax"
    assert Activation.from_config(layer.get_config()).get_config() == layer.get_config()


def test_input_returns_keras_tensor_with_shape_and_dtype():
    x = Input(shape=(30,))
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 30) and x.dtype == "float32" and x.ndim == 2
    y = Input((3,), batch_size=8, dtype="int32", name="ids")
    assert y.shape == (8, 3) and y.dtype == "int32" and y.name == "ids"
    assert Input(batch_shape=(None, 4, 5)).shape == (None, 4, 5)
    assert Input(7).shape == (None, 7)


def test_input_layer_names_and_config():
    backend.clear_session()
    layer = InputLayer(shape=(3,))
    assert layer.name == "input_layer" and layer.built and layer.weights == []
    assert layer.get_config() == {"batch_shape": (None, 3), "dtype": "float32", "sparse": False,
                                  "ragged": False, "name": "input_layer", "optional": False}
    clone = InputLayer.from_config(layer.get_config())
    assert clone.batch_shape == (None, 3) and clone.output.shape == (None, 3)


def test_input_errors():
    with pytest.raises(ValueError, match=r"InputLayer '.*': an input needs a shape"):
        Input()
    with pytest.raises(ValueError, match=r"pass shape or batch_shape, not both"):
        Input(shape=(3,), batch_shape=(None, 3))
    with pytest.raises(ValueError, match=r"shape must be a tuple of ints or None; got 'abc'"):
        Input(shape="abc")
    with pytest.raises(ValueError, match=r"sparse, ragged and input_tensor inputs are not "
                                         r"supported"):
        Input((3,), sparse=True)


def test_keras_tensor_has_no_data():
    x = Input((3,), name="inp")  # math on it records operations: test_functional_operations.py
    with pytest.raises(TypeError, match=r"KerasTensor 'inp': a symbolic tensor holds no data"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"KerasTensor 'inp'"):
        len(x)


def test_layer_names_are_unique_per_class_and_reset_by_clear_session():
    backend.clear_session()
    assert [Dense(1).name, Dense(1).name, Activation("relu").name] == [
        "dense", "dense_1", "activation"]
    backend.clear_session()
    assert Dense(1).name == "dense"


def test_layer_name_cannot_contain_slash():
    with pytest.raises(ValueError, match=r"Dense: name must be a string without '/'; got 'a/b'"):
        Dense(1, name="a/b")


def test_dense_float64_layer_keeps_float64():
    layer = Dense(2, dtype="float64")
    out = layer(np.ones((1, 3), np.float32))
    assert out.dtype == np.float64 and layer.kernel.dtype == np.float64


def test_anomaly_context_names_the_layer():
    layer = Dense(1, name="bad")
    layer(np.ones((1, 2)))
    layer.kernel.assign(np.full((2, 1), np.inf, np.float32))
    with dw.detect_anomaly(), pytest.raises(dw.NonFiniteError, match=r"in layer 'bad'"):
        layer(np.ones((1, 2)) * -1.0 + np.array([[1.0, 1.0]]) * 2)


def test_input_spec_messages():
    from deltaw.keras.layers import InputSpec

    class Probe(Layer):
        def call(self, inputs):
            return inputs

    probe = Probe(name="p")
    cases = [
        (InputSpec(ndim=3), (2, 3), r"Probe 'p': expected an input of rank 3, got input shape "
                                    r"\(2, 3\)\."),
        (InputSpec(max_ndim=2), (2, 3, 4), r"expected an input of rank <= 2"),
        (InputSpec(axes={1: 4}), (2, 3), r"expected axis 1 of the input to be 4"),
        (InputSpec(shape=(None, 5)), (2, 3), r"expected input shape \(None, 5\), got \(2, 3\)"),
    ]
    for spec, shape, message in cases:
        probe.input_spec = spec
        with pytest.raises(ValueError, match=message):
            probe(np.ones(shape))
    probe.input_spec = [InputSpec(ndim=2), InputSpec(ndim=2)]
    with pytest.raises(ValueError, match=r"Probe 'p': expected 2 inputs, got 3"):
        probe([np.ones((1, 1))] * 3)
    assert "ndim=2" in repr(InputSpec(ndim=2))
    assert InputSpec.from_config(InputSpec(min_ndim=2).get_config()).min_ndim == 2


def test_add_weight_accepts_both_signatures_and_validates():
    layer = Layer(name="w")
    a = layer.add_weight("a", (2, 3), "ones")                        # deltaw / tf.keras 2 order
    b = layer.add_weight((4,), "zeros", trainable=False, name="b")   # Keras 3 order
    c = layer.add_weight(shape=(), initializer="ones", dtype="float64", name="c")
    assert (a.name, a.shape, a.numpy().sum()) == ("a", (2, 3), 6.0)
    assert (b.name, b.trainable, b.requires_grad) == ("b", False, False)
    assert c.dtype == np.float64 and c.shape == ()
    assert [w.name for w in layer.weights] == ["a", "c", "b"]        # trainable ones first
    with pytest.raises(TypeError, match=r"Layer.add_weight: got an unexpected keyword argument "
                                        r"'shpe'"):
        layer.add_weight("d", shpe=(2,))
    with pytest.raises(TypeError, match=r"Layer.add_weight: got multiple values for argument "
                                        r"'name'"):
        layer.add_weight("d", (2,), name="e")
    with pytest.raises(TypeError, match=r"Layer.add_weight: too many positional arguments"):
        layer.add_weight("d", (2,), "ones", None, True, "float32", None, 1)


def test_base_layer_call_and_count_params_errors():
    with pytest.raises(NotImplementedError, match=r"Layer 'l': call\(\) is not implemented"):
        Layer(name="l")(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"Dense 'd': count_params needs a built layer"):
        Dense(2, name="d").count_params()


def test_layer_repr_and_build_config_round_trip():
    layer = Dense(2)
    assert repr(layer) == "<Dense name=dense_x, built=False>".replace("dense_x", layer.name)
    layer(np.ones((1, 3)))
    clone = Dense.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert clone.built and clone.kernel.shape == (3, 2)


def test_build_called_directly_records_shape_and_sets_built():
    class Scale(Layer):
        def build(self, input_shape):                     # forgets self.built = True
            self.w = self.add_weight("w", (input_shape[-1],), "ones")

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 3)}
    dense = Dense(2)
    dense.build((None, 4))
    assert dense.built and dense.kernel.shape == (4, 2)
