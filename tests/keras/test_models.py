"""Models: Sequential, functional and subclassed; graphs, weights, freezing, summary, configs."""

import json
import re

import numpy as np
import pytest

import deltaw as dw
from deltaw.keras import backend, layers
from deltaw.keras.layers import (
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Input,
    InputLayer,
    Layer,
)
from deltaw.keras.models import Functional, Model, Sequential, model_from_config, model_from_json


@pytest.fixture(autouse=True)
def _fresh_names():
    backend.clear_session()


def _captured_summary(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    assert len(out) == 1                                  # Keras 3 calls print_fn once
    return out[0]


# ----------------------------------------------------------------------------- Sequential


def test_sequential_with_input_shape_builds_at_once():
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    assert model.built and [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.inputs[0].shape == (None, 3) and model.outputs[0].shape == (None, 2)
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    assert model(np.ones((5, 3))).shape == (5, 2)


@pytest.mark.parametrize("first", [
    lambda: Input((3,)), lambda: InputLayer(shape=(3,)), lambda: Dense(4, input_dim=3),
    lambda: Dense(4, batch_input_shape=(None, 3)),
], ids=["Input", "InputLayer", "input_dim", "batch_input_shape"])
def test_sequential_ways_to_fix_the_input(first):
    model = Sequential([first(), Dense(2)])
    assert model.built
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)
    assert model.inputs[0].shape == (None, 3)


def test_sequential_lazy_build_on_first_call_like_keras():
    model = Sequential([Dense(4), Dense(2)])
    assert not model.built and model.weights == []
    text = _captured_summary(model)
    assert "0 (unbuilt)" in text and "│ ?" in text
    model(np.zeros((5, 3), np.float32))
    assert model.built and len(model.weights) == 4
    assert "(5, 4)" in _captured_summary(model)             # Keras 3 keeps the first batch size
    assert model(np.zeros((7, 3))).shape == (7, 2)          # other batch sizes still run


def test_sequential_add_and_pop():
    model = Sequential()
    model.add(Input((3,)))
    model.add(Dense(4))
    assert model.built and model.output_shape == (None, 4)
    model.add(Dense(1))
    assert model.output_shape == (None, 1)
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    assert [layer.name for layer in model.layers] == ["dense"]


def test_sequential_errors():
    model = Sequential([Input((3,)), Dense(2, name="d")])
    with pytest.raises(ValueError, match=r"Sequential 'sequential': layer names must be unique; "
                                         r"'d' is already the name of a layer"):
        model.add(Dense(1, name="d"))
    with pytest.raises(ValueError, match=r"Sequential 'sequential': the model already has an "
                                         r"input of shape \(None, 3\); expected no second Input"):
        model.add(Input((3,)))
    with pytest.raises(TypeError, match=r"Sequential 'sequential': add\(\) takes a Layer; got "
                                        r"int"):
        model.add(3)
    with pytest.raises(ValueError, match=r"pop\(\) needs a layer to remove"):
        Sequential().pop()


def test_model_input_shape_is_checked_at_call_time():
    model = Sequential([Dense(4, input_shape=(30,))])
    with pytest.raises(ValueError, match=r"Model 'sequential': expected input shape \(None, 30\), "
                                         r"got \(32, 12\)\."):
        model(np.ones((32, 12)))
    with pytest.raises(ValueError, match=r"Model 'sequential': expected input shape"):
        model.predict(np.ones((4, 12)), verbose=0)


def test_trailing_size_one_axis_is_squeezed_or_added_like_keras():
    model = Sequential([Input((1,)), Dense(2)])
    assert model(np.ones(5)).shape == (5, 2)
    other = Sequential([Input((3,)), Dense(2)])
    assert other(np.ones((5, 3, 1))).shape == (5, 2)


# ----------------------------------------------------------------------------- functional


def _two_in_two_out():
    a, b = Input((3,), name="a"), Input((4,), name="b")
    merged = Concatenate()([a, b])
    return Model([a, b], [Dense(2, name="o1")(merged), Dense(1, name="o2")(merged)])


def test_model_constructor_returns_functional():
    x = Input((3,))
    model = Model(x, Dense(2)(x))
    assert type(model) is Functional and isinstance(model, Model)
    assert model.name == "functional"
    model2 = Model(inputs=x, outputs=Dense(2)(x), name="named")
    assert model2.name == "named"


def test_functional_layers_include_inputs_and_follow_keras_order():
    model = _two_in_two_out()
    assert [layer.name for layer in model.layers] == ["a", "b", "concatenate", "o1", "o2"]
    assert [w.shape for w in model.weights] == [(7, 2), (2,), (7, 1), (1,)]
    assert model.output_names == ["o1", "o2"] and model.input_names == ["a", "b"]
    out = model([np.ones((5, 3)), np.ones((5, 4))])
    assert isinstance(out, list) and [o.shape for o in out] == [(5, 2), (5, 1)]


def test_functional_dict_inputs_and_outputs():
    a, b = Input((2,), name="a"), Input((3,), name="b")
    merged = Concatenate()([a, b])
    model = Model({"a": a, "b": b}, {"y": Dense(1)(merged), "z": Dense(2)(merged)})
    out = model({"a": np.ones((4, 2)), "b": np.ones((4, 3))})
    assert set(out) == {"y", "z"} and out["y"].shape == (4, 1) and out["z"].shape == (4, 2)


def test_list_model_accepts_dict_keyed_by_input_names():
    model = _two_in_two_out()
    out = model({"a": np.ones((2, 3)), "b": np.ones((2, 4))})
    assert out[0].shape == (2, 2)
    with pytest.raises(ValueError, match=r"Model 'functional': the input dict lacks keys \['b'\]"):
        model({"a": np.ones((2, 3))})


def test_functional_input_check_names_the_input():
    model = _two_in_two_out()
    with pytest.raises(ValueError, match=r"Model 'functional': expected input 1 \('b'\) shape "
                                         r"\(None, 4\), got \(2, 5\)\."):
        model([np.ones((2, 3)), np.ones((2, 5))])
    with pytest.raises(ValueError, match=r"Model 'functional': expected 2 inputs, got 1\."):
        model([np.ones((2, 3))])


def test_shared_layer_shares_weights():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(2, name="shared")
    model = Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.weights) == 2 and len(shared._inbound_nodes) == 2
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model([x, x]).numpy(), 2 * shared(x).numpy(), rtol=1e-6)
    text = _captured_summary(model, line_length=76)
    assert "│ a[0][0], b[0][0]  │" in text and "│ shared[1][0]      │" in text


def test_nested_models_share_layers_and_weights():
    inner_in = Input((3,))
    inner = Model(inner_in, Dense(4, name="inner_dense")(inner_in), name="inner")
    x = Input((3,))
    outer = Model(x, Dense(1, name="head")(inner(x)), name="outer")
    assert [layer.name for layer in outer.layers] == [outer.layers[0].name, "inner", "head"]
    assert len(outer.weights) == 4
    assert outer.weights[0] is inner.weights[0]
    y = outer(np.ones((2, 3)))
    assert y.shape == (2, 1)
    seq = Sequential([inner, Dense(1)])
    assert seq.built and seq(np.ones((2, 3))).shape == (2, 1)


def test_graph_disconnected_and_bad_inputs():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"graph disconnected; layer 'add' needs tensor 'b'"):
        Model(a, out)
    with pytest.raises(TypeError, match=r"every value of `inputs` must be a KerasTensor"):
        Model(np.ones((1, 3)), out)


def test_an_input_made_by_a_layer_starts_the_model_at_a_new_input():
    # Keras 3 (clone_graph_nodes): the intermediate tensor becomes an Input named '<name>CLONE'
    # and the layers after it are shared; the layers before it are not part of the model
    a = Input((3,), name="a")
    first, head = Dense(3, name="first"), Dense(1, name="head")
    h = first(a)
    out = head(h)
    model = Model(h, out)
    assert [layer.name for layer in model.layers] == [f"{h.name}CLONE", "head"]
    assert model.weights == head.weights
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(model(x).numpy(), head(x).numpy())
    config = model.get_config()
    assert config["input_layers"] == [f"{h.name}CLONE", 0, 0]
    assert [layer.__class__.__name__ for layer in Model.from_config(config).layers] == \
        ["InputLayer", "Dense"]
    assert [layer.name for layer in Model(a, out).layers] == ["a", "first", "head"]


def test_duplicate_layer_names_in_a_graph_are_rejected():
    x = Input((2,))
    y = Dense(2, name="same")(Dense(2, name="same")(x))
    with pytest.raises(ValueError, match=r"the layer name 'same' is used more than once"):
        Model(x, y)


def test_layer_without_compute_output_shape_is_traced_by_running():
    class Double(Layer):
        def call(self, inputs):
            return inputs * 2.0

    x = Input((3,))
    y = Double()(x)
    assert y.shape == (None, 3)
    model = Model(x, Dense(1)(y))
    assert model(np.ones((4, 3))).shape == (4, 1)


# ----------------------------------------------------------------------------- subclassed


class TwoLayer(Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(units, activation="relu")
        self.dropout = Dropout(0.5)
        self.out = Dense(1)

    def call(self, inputs, training=False):
        return self.out(self.dropout(self.hidden(inputs), training=training))


def test_subclassed_model_tracks_layers_and_builds_lazily():
    model = TwoLayer()
    assert model.name == "two_layer" and not model.weights
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"]
    model(np.ones((2, 3)))
    assert [w.shape for w in model.weights] == [(3, 4), (4,), (4, 1), (1,)]
    text = _captured_summary(model)
    assert "dense (Dense)" in text and "(2, 4)" in text and "Total params: 21 (84.00 B)" in text


def test_subclassed_build_with_shape():
    model = TwoLayer()
    model.build((None, 5))
    assert model.built and model.weights[0].shape == (5, 4)


def test_subclassed_model_trains_with_fit():
    model = TwoLayer(units=8)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_tracking_of_lists_dicts_and_variables():
    class Stack(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            self.heads = {"a": Dense(1), "b": Dense(2)}
            self.scale = dw.Variable(np.ones(1, np.float32), name="scale")
            self.frozen = dw.Variable(np.zeros(1, np.float32), trainable=False, name="frozen")

        def build(self, input_shape):
            self.blocks.append(Dense(3))                      # appended after assignment
            self.blocks += [Dense(3)]

        def call(self, inputs):
            for block in self.blocks:
                inputs = block(inputs)
            return self.heads["a"](inputs) * self.scale + self.frozen

    stack = Stack()
    stack(np.ones((2, 3)))
    assert len(stack._tracked_layers) == 4                 # heads a, b, then the two blocks
    assert [w.shape for w in stack.weights] == [(1,), (1,), (3, 1), (1,), (3, 3), (3,), (3, 3),
                                                (3,)]
    assert [w.name for w in stack.non_trainable_weights] == ["frozen"]
    stack.blocks.pop()
    assert len(stack._tracked_layers) == 3


def test_reassigning_an_attribute_replaces_the_tracked_layer():
    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Dense(1)
            self.inner = Dense(2)

    assert [layer.units for layer in Holder()._tracked_layers] == [2]


# ----------------------------------------------------------------------------- weights, freezing


def test_get_and_set_weights_in_keras_order():
    model = Sequential([Input((3,)), Dense(2), BatchNormalization(), Dense(1)])
    names = [w.name for w in model.weights]
    assert names == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
                     "kernel", "bias"]
    new = [np.full(w.shape, i, np.float32) for i, w in enumerate(model.weights)]
    model.set_weights(new)
    for w, v in zip(model.get_weights(), new, strict=True):
        np.testing.assert_array_equal(w, v)


def test_set_weights_errors_name_model_weight_and_shapes():
    model = Sequential([Input((3,)), Dense(2)])
    with pytest.raises(ValueError, match=r"Sequential 'sequential': set_weights expects 2 arrays "
                                         r"\(kernel \(3, 2\), bias \(2,\)\); got 1\."):
        model.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"Sequential 'sequential': weight 'kernel' expects shape "
                                         r"\(3, 2\); got \(2, 3\)\."):
        model.set_weights([np.ones((2, 3)), np.ones(2)])


def test_freezing_a_layer_excludes_its_weights_from_training():
    model = Sequential([Input((3,)), Dense(4, name="base"), Dense(1, name="head")])
    model.get_layer("base").trainable = False
    assert [w.shape for w in model.trainable_weights] == [(4, 1), (1,)]
    assert len(model.non_trainable_weights) == 2
    before = model.get_layer("base").get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=2, verbose=0)
    for a, b in zip(before, model.get_layer("base").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4


def test_model_losses_gather_sublayer_penalties():
    model = Sequential([Input((3,)), Dense(2, kernel_regularizer="l2"),
                        Dense(1, activity_regularizer="l1")])
    model(np.ones((4, 3)))
    assert len(model.losses) == 2
    assert all(loss.shape == () for loss in model.losses)


# ----------------------------------------------------------------------------- get_layer


def test_get_layer():
    model = Sequential([Input((3,)), Dense(2, name="a"), Dense(1, name="b")])
    assert model.get_layer("b").name == "b" and model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match=r"Model 'sequential': no layer named 'c'; expected one "
                                         r"of \['a', 'b'\]"):
        model.get_layer("c")
    with pytest.raises(ValueError, match=r"layer index 5 is out of range; the model has 2 "
                                         r"layers"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match=r"get_layer takes a name or an index"):
        model.get_layer()


# ----------------------------------------------------------------------------- summary


SEQUENTIAL_SUMMARY = '''\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,984 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 64)             │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 1)              │            65 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,305 (9.00 KB)
 Trainable params: 2,177 (8.50 KB)
 Non-trainable params: 128 (512.00 B)
'''


def test_summary_text_matches_keras_3():
    model = Sequential([Dense(64, input_shape=(30,)), BatchNormalization(), Dense(1)])
    assert _captured_summary(model, line_length=76) == SEQUENTIAL_SUMMARY


def test_summary_of_a_branching_graph_has_connections():
    text = _captured_summary(_two_in_two_out(), line_length=76)
    assert "Connected to" in text and "concatenate[0][0]" in text
    assert "a[0][0], b[0][0]" in text


def test_summary_prints_to_stdout_by_default(capsys):
    Sequential([Input((2,)), Dense(1)]).summary()
    assert 'Model: "sequential"' in capsys.readouterr().out


def test_summary_options():
    model = Sequential([Input((3,)), Dense(2), Dense(1, trainable=False)])
    text = _captured_summary(model, line_length=90, show_trainable=True)
    assert "Train…" in text and re.search(r"dense_1 \(Dense\) .*│   N    │", text)
    ranged = _captured_summary(model, layer_range=["dense_1", "dense_1"])
    assert "dense_1" in ranged and "dense (Dense)" not in ranged
    with pytest.raises(ValueError, match=r"summary: the columns are too narrow"):
        model.summary(line_length=8, print_fn=lambda s: None)


def test_summary_expands_nested_models():
    inner = Sequential([Input((3,)), Dense(2, name="in_dense")], name="inner")
    outer = Sequential([inner, Dense(1)])
    assert "in_dense" not in _captured_summary(outer)
    assert "└ in_dense (Dense)" in _captured_summary(outer, expand_nested=True)


# ----------------------------------------------------------------------------- configs


def test_sequential_config_round_trip_through_json():
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dropout(0.1),
                        Dense(2, activation="softmax")], name="clf")
    clone = model_from_json(model.to_json())
    assert type(clone) is Sequential and clone.name == "clf" and clone.built
    assert [type(layer) for layer in clone.layers] == [Dense, Dropout, Dense]
    assert json.dumps(clone.get_config()) == json.dumps(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_lazy_sequential_config_keeps_build_input_shape():
    model = Sequential([Dense(2)])
    model(np.ones((3, 5)))
    config = model.get_config()
    assert config["build_input_shape"] == (3, 5)
    assert Sequential.from_config(config).weights[0].shape == (5, 2)


def test_functional_config_round_trip_with_shared_and_nested_layers():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(2, name="shared")
    inner_in = Input((2,))
    inner = Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    out = Dense(1, name="head")(Concatenate()([inner(shared(a)), shared(b)]))
    model = Model([a, b], out, name="net")
    config = json.loads(json.dumps(model.get_config()))
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == ["head", 0, 0]
    backend.clear_session()
    clone = Model.from_config(config)
    assert type(clone) is Functional and [layer.name for layer in clone.layers] == [
        layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 3)), np.full((2, 3), 0.5)]
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_model_from_config_resolves_custom_objects_only_by_registry():
    class Scale(Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def compute_output_shape(self, input_shape):
            return input_shape

    model = Sequential([Input((2,)), Scale(3.0)])
    config = json.loads(model.to_json())
    with pytest.raises(ValueError, match=r"deserialize: unknown layer class 'Scale'; expected a "
                                         r"deltaw.keras layer or a key of custom_objects"):
        model_from_config(config)
    clone = model_from_config(config, custom_objects={"Scale": Scale})
    assert clone.layers[0].factor == 3.0                  # auto config from __init__ arguments
    with pytest.raises(ValueError, match=r"model_from_config: expected a dict with 'class_name'"):
        model_from_config({"layers": []})


def test_auto_config_refuses_unserializable_arguments():
    class Holder(Layer):
        def __init__(self, thing, **kwargs):
            super().__init__(**kwargs)
            self.thing = thing

    with pytest.raises(NotImplementedError, match=r"Holder '.*': get_config cannot serialize"):
        Holder(object()).get_config()


def test_layer_input_and_output_before_and_after_symbolic_calls():
    layer = Dense(2)
    with pytest.raises(AttributeError, match=r"has never been called on symbolic inputs"):
        _ = layer.output
    x = Input((3,))
    y = layer(x)
    assert layer.input is x and layer.output is y


# ----------------------------------------------------------------------------- masks, errors


class _MaskFromZeros(Layer):
    """Marks zero entries as padding (as Embedding(mask_zero=True) does)."""

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return inputs.numpy() != 0

    def compute_output_shape(self, input_shape):
        return input_shape


class _MaskProbe(Layer):
    supports_masking = True
    seen = []

    def call(self, inputs, mask=None):
        _MaskProbe.seen.append(None if mask is None else np.asarray(mask).tolist())
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_masks_propagate_through_sequential_and_functional_models():
    x = np.array([[1.0, 0.0, 2.0]], np.float32)
    _MaskProbe.seen.clear()
    Sequential([Input((3,)), _MaskFromZeros(), Dense(3, kernel_initializer="ones"),
                _MaskProbe()])(x)
    inp = Input((3,))
    Model(inp, _MaskProbe()(_MaskFromZeros()(inp)))(x)
    assert _MaskProbe.seen == [[[True, False, True]], [[True, False, True]]]


def test_sequential_build_errors_and_undefined_graph():
    model = Sequential([Input((3,)), Dense(2)])
    with pytest.raises(ValueError, match=r"Sequential 'sequential': the model's input shape is "
                                         r"fixed; expected \(None, 3\), got \(None, 4\)"):
        model.build((None, 4))
    with pytest.raises(ValueError, match=r"cannot build a model with no layers"):
        Sequential().build((None, 3))
    lazy = Sequential([Dense(2)], name="lazy")
    with pytest.raises(AttributeError, match=r"Sequential 'lazy': the model has no defined "
                                             r"inputs yet"):
        _ = lazy.inputs
    assert getattr(lazy, "output_names", None) is None


def test_model_subclass_may_pass_a_graph_to_init():
    class Wrapped(Model):  # Keras 3 makes such a subclass functional (tests/keras/test_cloning.py)
        def __init__(self, inputs, outputs):
            super().__init__(inputs, outputs)

    x = Input((2,))
    model = Wrapped(x, Dense(1)(x))
    assert isinstance(model, Wrapped) and model.predict(np.ones((3, 2)), verbose=0).shape == (3, 1)


def test_merge_batch_size_mismatch_and_concatenate_needs_a_list():
    with pytest.raises(ValueError, match=r"Add 'add': inputs have different batch sizes"):
        layers.Add()([Input((3,), batch_size=2), Input((3,), batch_size=4)])
    with pytest.raises(ValueError, match=r"Concatenate 'c': expected a list of inputs"):
        Concatenate(name="c")(Input((3,)))


def test_from_config_errors():
    config = _two_in_two_out().get_config()
    config["layers"] = [layer for layer in config["layers"] if layer["name"] != "concatenate"]
    with pytest.raises(ValueError, match=r"Functional.from_config: cannot rebuild the graph; "
                                         r"layers \['o1', 'o2'\] wait for tensors"):
        Functional.from_config(config)
    with pytest.raises(ValueError, match=r"deserialize: expected a dict with 'class_name' and "
                                         r"'config'"):
        Sequential.from_config({"name": "s", "layers": [{"config": {}}]})


def test_summary_layer_range_errors():
    model = Sequential([Input((3,)), Dense(2)])
    with pytest.raises(ValueError, match=r"summary: layer_range \['x', 'y'\] matches no layer "
                                         r"name"):
        model.summary(layer_range=["x", "y"], print_fn=lambda s: None)
    with pytest.raises(ValueError, match=r"summary: layer_range must be two layer names"):
        model.summary(layer_range=["dense"], print_fn=lambda s: None)


def test_summary_lists_optimizer_params_after_training():
    model = Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    text = _captured_summary(model)
    assert "Optimizer params:" in text
