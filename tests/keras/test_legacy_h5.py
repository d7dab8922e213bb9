"""Legacy HDF5 `.h5` files (tf.keras 2.x layout) loaded into deltaw, without TensorFlow.

The files are built by hand with h5py in the layout tf.keras 2 writes (`model_config` and
`training_config` attributes, `model_weights/<layer>/<weight name>` datasets listed by
`layer_names` / `weight_names`, `optimizer_weights`), with tf.keras 2's config keys
(`batch_input_shape`, `time_major`, `fused`, "Custom>Adam", list-style `inbound_nodes`). The
comparison with files written by Keras 3's own legacy writer is in
tests/keras/test_keras_files_parity.py.
"""

import json

import h5py
import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.keras import layers, models
from deltaw.keras.models import load_model

RNG = np.random.default_rng(0)


def init(name):
    return {"class_name": name, "config": {"seed": None} if name != "Zeros" else {}}


def tf2_dense(name, units, activation="linear", **extra):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "activation": activation, "use_bias": True,
        "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None, **extra}}


def tf2_sequential():
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        tf2_dense("dense", 5, "relu"), tf2_dense("dense_1", 2)]}}


def tf2_functional():
    lstm = {"class_name": "LSTM", "name": "lstm", "inbound_nodes": [[["seq", 0, 0, {}]]],
            "config": {"name": "lstm", "trainable": True, "dtype": "float32", "units": 3,
                       "activation": "tanh", "recurrent_activation": "sigmoid",
                       "use_bias": True, "return_sequences": True, "return_state": False,
                       "go_backwards": False, "stateful": False, "unroll": False,
                       "time_major": False, "implementation": 2, "unit_forget_bias": True,
                       "dropout": 0.0, "recurrent_dropout": 0.0,
                       "kernel_initializer": init("GlorotUniform"),
                       "recurrent_initializer": {"class_name": "Orthogonal",
                                                 "config": {"gain": 1.0, "seed": None}},
                       "bias_initializer": init("Zeros")}}
    norm = {"class_name": "BatchNormalization", "name": "bn",
            "inbound_nodes": [[["lstm", 0, 0, {}]]],
            "config": {"name": "bn", "trainable": True, "dtype": "float32", "axis": [2],
                       "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                       "fused": None, "renorm": False, "renorm_clipping": None,
                       "renorm_momentum": 0.99, "virtual_batch_size": None, "adjustment": None,
                       "beta_initializer": init("Zeros"),
                       "gamma_initializer": {"class_name": "Ones", "config": {}},
                       "moving_mean_initializer": init("Zeros"),
                       "moving_variance_initializer": {"class_name": "Ones", "config": {}}}}
    flat = {"class_name": "Flatten", "name": "flatten", "inbound_nodes": [[["bn", 0, 0, {}]]],
            "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                       "data_format": "channels_last"}}
    out = {**tf2_dense("out", 2), "name": "out", "inbound_nodes": [[["flatten", 0, 0, {}]]]}
    return {"class_name": "Functional", "config": {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "seq", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 5, 2], "dtype": "float32",
                        "sparse": False, "ragged": False, "name": "seq"}},
            lstm, norm, flat, out],
        "input_layers": [["seq", 0, 0]], "output_layers": [["out", 0, 0]]}}


def deltaw_twin(kind):
    if kind == "sequential":
        return models.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"),
                                  layers.Dense(2)])
    x = layers.Input((5, 2))
    h = layers.BatchNormalization()(layers.LSTM(3, return_sequences=True)(x))
    return models.Model(x, layers.Dense(2)(layers.Flatten()(h)))


def weight_table(model, names):
    """tf.keras 2 weight names per layer, and random values of the right shapes."""
    table = []
    for layer, layer_names in zip([lay for lay in model.layers if lay.weights], names,
                                  strict=True):
        values = [RNG.standard_normal(w.data.shape).astype(np.float32) for w in layer.weights]
        if layer.name.startswith("batch") or "bn" in layer_names[0]:
            values[3] = np.abs(values[3]) + 0.5  # a variance
        table.append((layer_names[0].split("/")[0], layer_names, values))
    return table


def write_tf2(path, model_config, table, training_config=None, optimizer=None,
              weights_only=False):
    with h5py.File(path, "w") as f:
        if not weights_only:
            f.attrs["model_config"] = json.dumps(model_config)
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
            if training_config is not None:
                f.attrs["training_config"] = json.dumps(training_config)
        root = f if weights_only else f.create_group("model_weights")
        root.attrs["layer_names"] = np.array([name.encode() for name, _, _ in table])
        for layer, names, values in table:
            group = root.create_group(layer)
            group.attrs["weight_names"] = np.array([n.encode() for n in names])
            for name, value in zip(names, values, strict=True):
                group.create_dataset(name, data=value)
        if optimizer is not None:
            group = f.create_group("optimizer_weights")
            group.attrs["weight_names"] = np.array([n.encode() for n, _ in optimizer])
            for name, value in optimizer:
                group.create_dataset(name, data=value)


SEQ_NAMES = [["dense/kernel:0", "dense/bias:0"], ["dense_1/kernel:0", "dense_1/bias:0"]]
FUNC_NAMES = [["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0",
               "lstm/lstm_cell/bias:0"],
              ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"],
              ["out/kernel:0", "out/bias:0"]]


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_tf2_whole_model_file_predicts_like_its_weights(kind, tmp_path):
    twin = deltaw_twin(kind)
    config = tf2_sequential() if kind == "sequential" else tf2_functional()
    table = weight_table(twin, SEQ_NAMES if kind == "sequential" else FUNC_NAMES)
    write_tf2(tmp_path / "m.h5", config, table)
    model = load_model(tmp_path / "m.h5")
    twin.set_weights([v for _, _, values in table for v in values])
    x = RNG.standard_normal((3, *twin.inputs[0].shape[1:])).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), twin.predict(x, verbose=0))
    assert model.optimizer is None


def test_tf2_training_config_and_optimizer_state_are_restored(tmp_path):
    twin = deltaw_twin("sequential")
    table = weight_table(twin, SEQ_NAMES)
    slots = []
    for _, names, values in table:
        for name, value in zip(names, values, strict=True):
            stem = name.removesuffix(":0")
            slots += [(f"Adam/{stem}/m:0", np.full_like(value, 0.01)),
                      (f"Adam/{stem}/v:0", np.full_like(value, 0.02))]
    training = {"loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}]],
        "weighted_metrics": None, "loss_weights": None,
        "optimizer_config": {"class_name": "Custom>Adam", "config": {
            "name": "Adam", "learning_rate": 0.005, "decay": 0.0, "beta_1": 0.9,
            "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False, "jit_compile": True,
            "is_legacy_optimizer": False}}}
    write_tf2(tmp_path / "m.h5", tf2_sequential(), table, training,
              [("Adam/iter:0", np.array(7, np.int64)), *slots])
    model = load_model(tmp_path / "m.h5")
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.005)
    assert int(model.optimizer.iterations.data) == 7
    velocity = [v for v in model.optimizer.variables if v.name.endswith("velocity")][0]
    assert np.all(velocity.data == np.float32(0.02))
    x = RNG.standard_normal((4, 4)).astype(np.float32)
    model.fit(x, x[:, :2], verbose=0)  # training continues
    assert int(model.optimizer.iterations.data) == 8
    assert load_model(tmp_path / "m.h5", compile=False).optimizer is None


@pytest.mark.parametrize("by_name", [False, True])
def test_tf2_weights_only_file(by_name, tmp_path):
    twin = deltaw_twin("sequential")
    table = weight_table(twin, SEQ_NAMES)
    write_tf2(tmp_path / "w.h5", None, table, weights_only=True)
    model = models.Sequential([layers.Input((4,)),
                               layers.Dense(5, activation="relu", name="dense"),
                               layers.Dense(2, name="dense_1")])
    model.load_weights(tmp_path / "w.h5", by_name=by_name)
    for got, (_, _, values) in zip([lay for lay in model.layers], table, strict=True):
        for w, v in zip(got.get_weights(), values, strict=True):
            np.testing.assert_array_equal(w, v)


def test_by_name_skips_layers_the_file_lacks(tmp_path):
    twin = deltaw_twin("sequential")
    table = weight_table(twin, SEQ_NAMES)[:1]
    write_tf2(tmp_path / "w.h5", None, table, weights_only=True)
    model = models.Sequential([layers.Input((4,)), layers.Dense(5, name="dense"),
                               layers.Dense(2, name="other")])
    before = model.layers[1].get_weights()
    model.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], table[0][2][0])
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], before[0])
    with pytest.raises(ModelFileError, match=r"w.h5.*1 layers.*2 layers with weights.*by_name"):
        model.load_weights(tmp_path / "w.h5")


def test_legacy_weights_file_given_to_load_model(tmp_path):
    write_tf2(tmp_path / "w.h5", None, weight_table(deltaw_twin("sequential"), SEQ_NAMES),
              weights_only=True)
    with pytest.raises(ModelFileError, match=r"w.h5.*legacy HDF5 weights file.*load_weights"):
        load_model(tmp_path / "w.h5")


def test_legacy_shape_mismatch_and_unsupported_settings(tmp_path):
    twin = deltaw_twin("sequential")
    table = weight_table(twin, SEQ_NAMES)
    table[0][2][0] = np.zeros((4, 6), np.float32)
    write_tf2(tmp_path / "bad.h5", tf2_sequential(), table)
    with pytest.raises(ModelFileError, match=r"bad.h5.*shape \(4, 6\).*expected \(4, 5\)"):
        load_model(tmp_path / "bad.h5")
    config = tf2_functional()
    config["config"]["layers"][1]["config"]["time_major"] = True
    write_tf2(tmp_path / "tm.h5", config, weight_table(deltaw_twin("functional"), FUNC_NAMES))
    with pytest.raises(ModelFileError, match=r"tm.h5.*time_major=True has no Keras 3"):
        load_model(tmp_path / "tm.h5")


def test_save_h5_writes_the_legacy_file_and_reads_it_back(tmp_path):
    """`model.save("m.h5")` writes the legacy HDF5 layout (not deltaw's own format), with the
    training configuration and the optimizer's variables; loading restores both."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")
    model = models.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"),
                           layers.BatchNormalization(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        names = [n.decode() for n in f["model_weights"].attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        batchnorm = f["model_weights"][names[1]].attrs["weight_names"]
        assert len(batchnorm) == 4   # gamma, beta, then the moving mean and variance
        assert len(f["optimizer_weights"].attrs["weight_names"]) == len(model.optimizer.variables)
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for got, want in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(got.data), np.asarray(want.data))
    np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)
