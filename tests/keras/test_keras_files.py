"""Keras 3's files written and read by deltaw alone (no keras): `.keras` zips and `.weights.h5`.

The layout is checked with zipfile and h5py against what Keras 3 writes (see
tests/keras/test_keras_files_parity.py for the comparison with real Keras).
"""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

from deltaw.io import ModelFileError, formats
from deltaw.io import safetensors as st
from deltaw.keras import layers, models
from deltaw.keras.models import load_model
from deltaw.keras.saving import keras_layout


def data(shape=(8, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def dense_stack():
    return models.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"),
                              layers.Dense(6), layers.Dense(2)])


def functional_mix():
    inputs = layers.Input((6, 4), name="x")
    h = layers.LSTM(5, return_sequences=True)(inputs)
    h = layers.Bidirectional(layers.GRU(3, return_sequences=True))(h)
    h = layers.MultiHeadAttention(2, 4)(h, h)
    h = layers.BatchNormalization()(h)
    h = layers.LayerNormalization()(h)
    h = layers.Conv1D(3, 2)(h)
    h = layers.TimeDistributed(layers.Dense(2))(h)
    h = layers.SimpleRNN(3)(h)
    inner = models.Sequential([layers.Input((3,)), layers.Dense(4, name="hid")], name="inner")
    outputs = layers.Dense(2)(layers.Dropout(0.0)(inner(h)))
    return models.Model(inputs, outputs)


def trained(build, x, y, optimizer="adam"):
    model = build()
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model


def members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def h5_tree(blob):
    tree = {}
    with h5py.File(io.BytesIO(blob), "r") as f:
        f.visititems(lambda name, obj: tree.__setitem__(
            name, obj.shape if isinstance(obj, h5py.Dataset) else dict(obj.attrs)))
    return tree


def assert_same_state(a, b):
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        assert p.dtype == q.dtype and p.tobytes() == q.tobytes()
    if a.optimizer is not None:
        va, vb = a.optimizer.variables, b.optimizer.variables
        assert len(va) == len(vb)
        for p, q in zip(va, vb, strict=True):
            assert np.asarray(p.data).tobytes() == np.asarray(q.data).tobytes()


# ---------------------------------------------------------------------------------------------
# .keras: round trips and layout


@pytest.mark.parametrize("build, shape", [(dense_stack, (8, 4)), (functional_mix, (8, 6, 4))],
                         ids=["sequential", "functional-mix"])
def test_keras_zip_round_trip_restores_predictions_and_training(build, shape, tmp_path):
    x, y = data(shape), data((8, 2), seed=1)
    model = trained(build, x, y)
    model.save(tmp_path / "m.keras")
    assert formats.sniff((tmp_path / "m.keras").read_bytes()) == formats.KERAS_ZIP
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    assert_same_state(loaded, model)
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert_same_state(loaded, model)


def test_keras_zip_layout_matches_keras_3(tmp_path):
    x, y = data(), data((8, 2), seed=1)
    model = trained(dense_stack, x, y)
    model.save(tmp_path / "m.keras")
    files = members(tmp_path / "m.keras")
    assert sorted(files) == ["config.json", "metadata.json", "model.weights.h5"]
    assert json.loads(files["metadata.json"])["keras_version"].startswith("3.")
    record = json.loads(files["config.json"])
    assert {"module", "class_name", "config", "registered_name", "build_config",
            "compile_config"} <= set(record)
    assert (record["module"], record["class_name"], record["registered_name"]) == \
        ("keras", "Sequential", None)
    dense = record["config"]["layers"][1]
    assert dense["module"] == "keras.layers" and dense["class_name"] == "Dense"
    assert dense["build_config"] == {"input_shape": [None, 4]}
    compile_config = record["compile_config"]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert (compile_config["loss"], compile_config["metrics"]) == ("mse", ["mae"])
    tree = h5_tree(files["model.weights.h5"])
    # Keras 3 keys layers by class name (dense, dense_1, ...), not by the layer's own name
    assert tree["layers/dense/vars/0"] == (4, 6) and tree["layers/dense/vars/1"] == (6,)
    assert tree["layers/dense_1/vars/0"] == (6, 6) and tree["layers/dense_2/vars/0"] == (6, 2)
    assert tree["layers/dense/vars"] == {"name": model.layers[0].name}
    assert tree["vars"] == {"name": model.name}
    assert tree["optimizer/vars/0"] == () and tree["optimizer/vars/1"] == ()
    slots = [k for k in tree if k.startswith("optimizer/vars/")]
    assert len(slots) == len(model.optimizer.variables) == 2 + 2 * 6


def test_functional_layout_and_wrapping(tmp_path):
    x, y = data((8, 6, 4)), data((8, 2), seed=1)
    model = trained(functional_mix, x, y)
    model.save(tmp_path / "m.keras")
    files = members(tmp_path / "m.keras")
    record = json.loads(files["config.json"])
    assert (record["module"], record["class_name"], record["registered_name"]) == \
        ("keras.src.models.functional", "Functional", "Functional")
    tree = h5_tree(files["model.weights.h5"])
    for path, shape in [("layers/lstm/cell/vars/0", (4, 20)),
                        ("layers/bidirectional/forward_layer/cell/vars/1", (3, 9)),
                        ("layers/bidirectional/backward_layer/cell/vars/2", (2, 9)),
                        ("layers/multi_head_attention/query_dense/vars/0", (6, 2, 4)),
                        ("layers/multi_head_attention/output_dense/vars/1", (6,)),
                        ("layers/batch_normalization/vars/3", (6,)),
                        ("layers/time_distributed/layer/vars/0", (3, 2)),
                        ("layers/simple_rnn/cell/vars/0", (2, 3)),
                        ("layers/sequential/layers/dense/vars/0", (3, 4)),
                        ("layers/dense/vars/0", (4, 2))]:
        assert tree[path] == shape, path
    assert "layers/input_layer/vars" in tree and "layers/dropout/vars" in tree


def test_snake_case_is_keras_naming():
    assert [keras_layout.snake_case(n) for n in
            ["Conv2D", "LSTM", "SimpleRNN", "MultiHeadAttention", "PReLU", "Conv2DTranspose"]] \
        == ["conv2d", "lstm", "simple_rnn", "multi_head_attention", "p_re_lu",
            "conv2d_transpose"]


def test_uncompiled_and_include_optimizer_false(tmp_path):
    x, y = data(), data((8, 2), seed=1)
    model = dense_stack()
    model.save(tmp_path / "a.keras")
    assert "optimizer/vars" not in h5_tree(members(tmp_path / "a.keras")["model.weights.h5"])
    loaded = load_model(tmp_path / "a.keras")
    assert loaded.optimizer is None
    assert loaded.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    model = trained(dense_stack, x, y)
    model.save(tmp_path / "b.keras", include_optimizer=False)
    assert json.loads(members(tmp_path / "b.keras")["config.json"])["compile_config"] is None
    assert load_model(tmp_path / "b.keras").optimizer is None
    assert load_model(tmp_path / "b.keras", compile=False).optimizer is None


def test_compiled_but_never_trained_loads_iteration_and_learning_rate(tmp_path):
    model = dense_stack()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == "SGD"
    assert int(loaded.optimizer.iterations.data) == 0


# ---------------------------------------------------------------------------------------------
# .weights.h5


def test_weights_h5_round_trip_and_layout(tmp_path):
    x, y = data(), data((8, 2), seed=1)
    model = trained(dense_stack, x, y)
    model.save_weights(tmp_path / "m.weights.h5")
    blob = (tmp_path / "m.weights.h5").read_bytes()
    assert formats.sniff(blob) == formats.HDF5
    tree = h5_tree(blob)
    assert tree["layers/dense_2/vars/1"] == (2,) and "optimizer/vars/0" in tree
    other = dense_stack()
    other.load_weights(tmp_path / "m.weights.h5")
    assert other.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()


def test_load_weights_from_a_keras_zip(tmp_path):
    x, y = data(), data((8, 2), seed=1)
    model = trained(dense_stack, x, y)
    model.save(tmp_path / "m.keras")
    other = dense_stack()
    other.load_weights(tmp_path / "m.keras")
    assert other.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()


def test_weights_h5_mismatch_raises_or_skips(tmp_path):
    model = dense_stack()
    model.save_weights(tmp_path / "m.weights.h5")
    wider = models.Sequential([layers.Input((4,)), layers.Dense(7, activation="relu"),
                               layers.Dense(6), layers.Dense(2)])
    before = [w.copy() for w in wider.get_weights()]
    with pytest.raises(ModelFileError, match=r"m.weights.h5.*layers/dense/vars/0.*shape \(4, 6\)"):
        wider.load_weights(tmp_path / "m.weights.h5")
    assert all(a.tobytes() == b.tobytes() for a, b in zip(before, wider.get_weights()))
    with pytest.warns(UserWarning, match="skipping weight"):
        wider.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    assert wider.get_weights()[4].tobytes() == model.get_weights()[4].tobytes()
    shorter = models.Sequential([layers.Input((4,)), layers.Dense(6), layers.Dense(2)])
    with pytest.raises(ModelFileError, match="weights the model does not have"):
        shorter.load_weights(tmp_path / "m.weights.h5")


def test_by_name_is_refused_as_in_keras_3(tmp_path):
    model = dense_stack()
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.keras")
    for name in ("m.weights.h5", "m.keras"):
        with pytest.raises(ValueError, match="by_name=True works only with legacy HDF5"):
            model.load_weights(tmp_path / name, by_name=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'by_nam'"):
        model.load_weights(tmp_path / "m.keras", by_nam=True)


# ---------------------------------------------------------------------------------------------
# Format detection: by content, not by name


def test_other_names_keep_deltaw_format_and_old_files_load_under_any_name(tmp_path):
    x, y = data(), data((8, 2), seed=1)
    model = trained(dense_stack, x, y)
    for name in ("m.safetensors", "m", "m.bin"):
        model.save(tmp_path / name)
        assert formats.sniff((tmp_path / name).read_bytes()) == formats.DELTAW
    os.replace(tmp_path / "m.safetensors", tmp_path / "old.keras")  # written before this change
    assert_same_state(load_model(tmp_path / "old.keras"), model)
    model.save_weights(tmp_path / "w.safetensors")
    os.replace(tmp_path / "w.safetensors", tmp_path / "w.weights.h5")
    other = dense_stack()
    other.load_weights(tmp_path / "w.weights.h5")
    assert other.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    assert st.load_file(tmp_path / "m")[1]["deltaw"]


def test_a_keras_file_renamed_still_loads(tmp_path):
    model = dense_stack()
    model.save(tmp_path / "m.keras")
    os.replace(tmp_path / "m.keras", tmp_path / "model.bin")
    assert_same_state(load_model(tmp_path / "model.bin"), model)


def test_weights_file_given_to_load_model_says_what_to_call(tmp_path):
    dense_stack().save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ModelFileError, match=r"m.weights.h5.*Keras 3 weights file.*"
                                             r"load_weights"):
        load_model(tmp_path / "m.weights.h5")


def test_a_safetensors_file_from_elsewhere_names_its_problem(tmp_path):
    st.save_file({"w": np.zeros(3, np.float32)}, tmp_path / "x.safetensors")
    with pytest.raises(ModelFileError, match="no 'deltaw' metadata"):
        load_model(tmp_path / "x.safetensors")


def test_custom_layers_and_subclassed_models_through_keras_zip(tmp_path):
    from tests.keras.test_saving import Scale, TwoLayer, custom_model

    x, y = data(), data((8, 3), seed=1)
    model = custom_model()
    model.save(tmp_path / "custom.keras")
    record = json.loads(members(tmp_path / "custom.keras")["config.json"])
    scale = record["config"]["layers"][1]
    assert (scale["class_name"], scale["registered_name"]) == ("Scale", "Scale")
    with pytest.raises(ModelFileError, match=r"custom.keras.*Scale"):
        load_model(tmp_path / "custom.keras")
    loaded = load_model(tmp_path / "custom.keras", custom_objects={"Scale": Scale})
    assert loaded.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()
    sub = TwoLayer()
    sub.compile(optimizer="adam", loss="mse")
    sub.fit(x, y, batch_size=4, epochs=1, verbose=0)
    sub.save(tmp_path / "sub.keras")
    loaded = load_model(tmp_path / "sub.keras", custom_objects={"TwoLayer": TwoLayer})
    assert_same_state(loaded, sub)
