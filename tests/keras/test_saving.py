"""Model.save / load_model / save_weights / load_weights: nothing lost, nothing executed."""

import json
import os

import numpy as np
import pytest

import deltaw as dw
from deltaw.io import ModelFileError
from deltaw.io import safetensors as st
from deltaw.keras import layers, models, optimizers
from deltaw.keras.models import load_model, saving


def data(n=32, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.standard_normal((n, k)).astype(np.float32)
    return x, y


def sequential(d=4, k=3):
    return models.Sequential([layers.Input((d,)), layers.Dense(8, activation="relu"),
                              layers.Dense(k)])


def functional(d=4, k=3):
    inputs = layers.Input((d,), name="x")
    h = layers.Dense(6, activation="tanh", name="hidden")(inputs)
    skip = layers.Dense(6, name="skip")(inputs)
    merged = layers.Concatenate(name="concat")([h, skip])
    outputs = layers.Dense(k, name="out")(merged)
    return models.Model(inputs, outputs, name="func")


def trained(build, optimizer, epochs=2):
    model = build()
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return model


def assert_weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for p, q in zip(wa, wb, strict=True):
        assert p.dtype == q.dtype and p.shape == q.shape
        assert p.tobytes() == q.tobytes()


def optimizer_state(model):
    return [np.asarray(v.data).copy() for v in model.optimizer.variables]


def read_info(path):
    return json.loads(st.load_file(path)[1]["deltaw"])


def rewrite_info(path, edit):
    tensors, metadata = st.load_file(path)
    info = json.loads(metadata["deltaw"])
    edit(info)
    st.save_file(tensors, path, {"deltaw": json.dumps(info)})


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("build", [sequential, functional], ids=["sequential", "functional"])
def test_round_trip_predictions_are_bitwise_equal(build, tmp_path):
    model = trained(build, "adam")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    assert_weights_equal(loaded, model)
    x, _ = data(seed=1)
    assert loaded.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()


@pytest.mark.parametrize("optimizer", [
    lambda: optimizers.Adam(learning_rate=0.01),
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    lambda: optimizers.RMSprop(learning_rate=0.01),
    lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.01),
], ids=["adam", "sgd-momentum", "rmsprop", "adamw"])
@pytest.mark.parametrize("build", [sequential, functional], ids=["sequential", "functional"])
def test_training_continues_bitwise_as_if_never_saved(build, optimizer, tmp_path):
    model = trained(build, optimizer())
    path = tmp_path / "ckpt"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(optimizer_state(loaded), optimizer_state(model), strict=True):
        assert a.tobytes() == b.tobytes()
    x, y = data(seed=2)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_weights_equal(loaded, model)
    assert int(loaded.optimizer.iterations.data) == int(model.optimizer.iterations.data)


def test_a_changed_learning_rate_is_restored(tmp_path):
    model = trained(sequential, optimizers.Adam(learning_rate=0.01))
    model.optimizer.learning_rate = 0.00125  # what ReduceLROnPlateau does
    model.save(tmp_path / "m")
    assert load_model(tmp_path / "m").optimizer.learning_rate == 0.00125


def test_compiled_but_untrained_model_round_trips(tmp_path):
    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.compiled and type(loaded.optimizer) is optimizers.SGD
    assert_weights_equal(loaded, model)


def test_uncompiled_model_round_trips(tmp_path):
    model = functional()
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert not loaded.compiled
    assert read_info(tmp_path / "m")["compile_config"] is None
    assert_weights_equal(loaded, model)


def test_compile_false_and_include_optimizer_false(tmp_path):
    model = trained(sequential, "adam")
    model.save(tmp_path / "full")
    assert not load_model(tmp_path / "full", compile=False).compiled
    saving.save_model(model, tmp_path / "bare", include_optimizer=False)
    info = read_info(tmp_path / "bare")
    assert info["compile_config"] is None and info["optimizer_variables"] == []
    assert_weights_equal(load_model(tmp_path / "bare"), model)


@pytest.mark.parametrize("name", ["model", "model.keras", "model.h5", "weights.weights.h5",
                                  "dir with space/m.bin"])
def test_any_file_name_works(name, tmp_path):
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    model = trained(sequential, "adam", epochs=1)
    model.save(str(path))
    assert_weights_equal(load_model(str(path)), model)
    other = sequential()
    model.save_weights(path)
    other.load_weights(path)
    assert_weights_equal(other, model)


def test_file_layout_is_documented_safetensors(tmp_path):
    model = trained(sequential, "adam", epochs=1)
    model.save(tmp_path / "m")
    tensors, metadata = st.load_file(tmp_path / "m")
    info = json.loads(metadata["deltaw"])
    assert info["format_version"] == 1 and info["kind"] == "model"
    assert info["model_config"]["class_name"] == "Sequential"
    assert info["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert info["compile_config"]["loss"] == "mse"
    assert info["compile_config"]["metrics"] == ["mae"]
    assert len(info["weight_names"]) == 4 and all("/" in n or n for n in info["weight_names"])
    n_opt = len(model.optimizer.variables)
    assert len(info["optimizer_variables"]) == n_opt
    assert sorted(tensors) == [f"optimizer/{i:04d}" for i in range(n_opt)] + [
        f"weights/{i:04d}" for i in range(4)]


@pytest.mark.skipif(not st.has_safetensors_package(), reason="no safetensors package")
def test_the_safetensors_package_reads_saved_models(tmp_path):
    import safetensors.numpy

    model = trained(sequential, "adam", epochs=1)
    model.save(tmp_path / "m")
    loaded = safetensors.numpy.load_file(str(tmp_path / "m"))
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(loaded[f"weights/{i:04d}"], w)


def test_numpy_only_writer_gives_the_same_model_file(tmp_path, monkeypatch):
    model = trained(functional, "adam", epochs=1)
    model.save(tmp_path / "default")  # the safetensors package when installed
    monkeypatch.setattr(st, "has_safetensors_package", lambda: False)
    model.save(tmp_path / "numpy_only")
    assert (tmp_path / "default").read_bytes() == (tmp_path / "numpy_only").read_bytes()


# ---------------------------------------------------------------------------------------------
# Weights only


def test_save_weights_load_weights(tmp_path):
    model = trained(functional, "adam")
    model.save_weights(tmp_path / "w")
    other = functional()
    other.load_weights(tmp_path / "w")
    assert_weights_equal(other, model)
    info = read_info(tmp_path / "w")
    assert info["kind"] == "weights" and "model_config" not in info


def test_load_weights_from_a_whole_model_file(tmp_path):
    model = trained(sequential, "adam")
    model.save(tmp_path / "m")
    other = sequential()
    other.load_weights(tmp_path / "m")
    assert_weights_equal(other, model)


def test_load_model_refuses_a_weights_only_file(tmp_path):
    sequential().save_weights(tmp_path / "w")
    with pytest.raises(ModelFileError, match=r"this file holds weights only \(written by "
                                             r"save_weights\); expected a whole model"):
        load_model(tmp_path / "w")


def test_load_weights_is_all_or_nothing(tmp_path):
    source = models.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(5)])
    source.save_weights(tmp_path / "w")
    target = sequential()  # same first layer, different last layer
    before = target.get_weights()
    with pytest.raises(ModelFileError, match=r"load_weights: '.*w': weight 2 \('.*'\) has shape "
                                             r"\(8, 5\) and dtype float32 in the file; expected "
                                             r"shape \(8, 3\) and dtype float32"):
        target.load_weights(tmp_path / "w")
    for a, b in zip(target.get_weights(), before, strict=True):
        assert a.tobytes() == b.tobytes()  # not even the matching first layer was assigned


def test_load_weights_checks_weight_names_not_layer_names(tmp_path):
    models.Sequential([layers.Input((4,)), layers.Dense(4, name="first")]).save_weights(
        tmp_path / "w")
    renamed = models.Sequential([layers.Input((4,)), layers.Dense(4, name="other")])
    renamed.load_weights(tmp_path / "w")  # layer names differ: still the same architecture
    different = models.Sequential([layers.Input((4,)), layers.Dense(4, use_bias=False),
                                   Scale(name="s")])
    with pytest.raises(ModelFileError, match=r"weight 1 is 'first/bias' in the file but "
                                             r"'s/scale' in the model; expected the same "
                                             r"architecture"):
        different.load_weights(tmp_path / "w")


def test_load_weights_count_mismatch(tmp_path):
    models.Sequential([layers.Input((4,)), layers.Dense(3)]).save_weights(tmp_path / "w")
    with pytest.raises(ModelFileError, match=r"the file holds 2 weights but the model has 4; "
                                             r"expected the same architecture"):
        sequential().load_weights(tmp_path / "w")


def test_load_weights_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = models.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dense(5)])
    source.save_weights(tmp_path / "w")
    target = sequential()
    last = [w.copy() for w in target.get_weights()[2:]]
    with pytest.warns(UserWarning, match=r"skipping weight") as record:
        target.load_weights(tmp_path / "w", skip_mismatch=True)
    assert [str(r.message).split(": skipping ")[1][:8] for r in record] == ["weight 2", "weight 3"]
    for a, b in zip(target.get_weights()[:2], source.get_weights()[:2], strict=True):
        assert a.tobytes() == b.tobytes()
    for a, b in zip(target.get_weights()[2:], last, strict=True):
        assert a.tobytes() == b.tobytes()


def test_load_weights_into_an_unbuilt_model(tmp_path):
    sequential().save_weights(tmp_path / "w")
    unbuilt = models.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"load_weights: model '.*' is not built; expected a "
                                         r"built model"):
        unbuilt.load_weights(tmp_path / "w")


def test_load_weights_unknown_keyword(tmp_path):
    sequential().save_weights(tmp_path / "w")
    with pytest.raises(TypeError, match=r"load_weights: unexpected keyword argument 'by_nam'"):
        sequential().load_weights(tmp_path / "w", by_nam=True)
    # by_name exists in Keras 3 for legacy HDF5 files only (tests/keras/test_legacy_h5.py)
    with pytest.raises(ValueError, match=r"by_name=True works only with legacy HDF5 files"):
        sequential().load_weights(tmp_path / "w", by_name=True)


# ---------------------------------------------------------------------------------------------
# Custom objects and unknown names


class Scale(layers.Layer):
    """A user layer: multiplies by a learned per-feature scale."""

    def __init__(self, init=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],),
                                     initializer="ones")
        self.scale.assign(np.full(input_shape[-1], self.init, np.float32))

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def custom_model():
    return models.Sequential([layers.Input((4,)), Scale(3.0, name="scale"), layers.Dense(2)])


def test_custom_objects_for_a_user_layer(tmp_path):
    model = custom_model()
    model.save(tmp_path / "m")
    with pytest.raises(ModelFileError, match=r"could not rebuild the model from its config .*"
                                             r"Scale"):
        load_model(tmp_path / "m")
    loaded = load_model(tmp_path / "m", custom_objects={"Scale": Scale})
    assert_weights_equal(loaded, model)
    x, _ = data(seed=3)
    assert loaded.predict(x, verbose=0).tobytes() == model.predict(x, verbose=0).tobytes()


class TwoLayer(models.Model):
    """A subclassed model: its weights exist only after the first call."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(5, activation="relu")
        self.out = layers.Dense(units)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_round_trip_with_custom_objects(tmp_path):
    model = trained(TwoLayer, "adam")
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m", custom_objects={"TwoLayer": TwoLayer})
    assert type(loaded) is TwoLayer and loaded.units == 3
    assert_weights_equal(loaded, model)
    x, y = data(seed=4)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_weights_equal(loaded, model)


def test_custom_loss_function_needs_custom_objects(tmp_path):
    def my_loss(y_true, y_pred):
        return dw.mean((y_true - y_pred) ** 2, axis=-1)

    model = sequential()
    model.compile(optimizer="adam", loss=my_loss)
    model.save(tmp_path / "m")
    assert read_info(tmp_path / "m")["compile_config"]["loss"] == "my_loss"
    with pytest.raises(ModelFileError, match=r"could not compile the model .*Hint: pass "
                                             r"custom_objects"):
        load_model(tmp_path / "m")
    assert load_model(tmp_path / "m", custom_objects={"my_loss": my_loss}).compiled
    assert not load_model(tmp_path / "m", compile=False).compiled


@pytest.mark.parametrize("class_name", ["NoSuchLayer", "__import__('os').system('true')",
                                        "os.system", "Lambda"])
def test_unknown_class_name_raises_model_file_error(class_name, tmp_path):
    sequential().save(tmp_path / "m")

    def edit(info):
        info["model_config"]["config"]["layers"][-1]["class_name"] = class_name
        info["model_config"]["config"]["layers"][-1]["module"] = "os"

    rewrite_info(tmp_path / "m", edit)
    with pytest.raises(ModelFileError, match=r"load_model: '.*m': could not rebuild the model"):
        load_model(tmp_path / "m")


def test_unknown_optimizer_raises_model_file_error(tmp_path):
    trained(sequential, "adam", epochs=1).save(tmp_path / "m")
    rewrite_info(tmp_path / "m", lambda info: info["compile_config"]["optimizer"].update(
        class_name="EvilOptimizer"))
    with pytest.raises(ModelFileError, match=r"could not compile the model .*EvilOptimizer"):
        load_model(tmp_path / "m")


def test_architecture_and_weights_that_disagree(tmp_path):
    sequential().save(tmp_path / "m")
    rewrite_info(tmp_path / "m", lambda info: info["model_config"]["config"]["layers"][-1][
        "config"].update(units=5))
    with pytest.raises(ModelFileError, match=r"weight 2 \('.*'\) has shape \(8, 3\) and dtype "
                                             r"float32 in the file; expected shape \(8, 5\)"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("units", [2_000_000, 10**9, 10**30])
def test_oversized_config_is_refused_before_allocating(units, tmp_path):
    sequential().save(tmp_path / "m")
    rewrite_info(tmp_path / "m", lambda info: info["model_config"]["config"]["layers"][-1][
        "config"].update(units=units))
    with pytest.raises(ModelFileError, match=r"the model config asks Dense '.*' for weight "
                                             r"'kernel' of shape \(8, \d+\) .*beyond the \d+ "
                                             r"bytes of weights the file holds"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("edit, match", [
    (lambda i: i.update(format_version=2), r"unsupported format_version 2; expected 1. Hint: the "
                                           r"file was written by a newer deltaw"),
    (lambda i: i.update(format_version="1"), r"unsupported format_version 1; expected 1"),
    (lambda i: i.update(kind="pickle"), r"unknown file kind 'pickle'"),
    (lambda i: i.update(weight_names="abc"), r"'weight_names' must be a list of strings"),
    (lambda i: i.update(model_config=[]), r"'model_config' must be \{'class_name': str"),
    (lambda i: i.update(compile_config=[]), r"'compile_config' must be an object or null"),
    (lambda i: i["weight_names"].pop(), r"the tensors do not match the deltaw metadata "
                                        r"\(unexpected: \['weights/0003'\], missing: \[\]\)"),
])
def test_malformed_descriptions(edit, match, tmp_path):
    sequential().save(tmp_path / "m")
    rewrite_info(tmp_path / "m", edit)
    with pytest.raises(ModelFileError, match=match):
        load_model(tmp_path / "m")


def test_file_without_deltaw_metadata(tmp_path):
    st.save_file({"a": np.ones(2, np.float32)}, tmp_path / "plain.safetensors")
    with pytest.raises(ModelFileError, match=r"the file has no 'deltaw' metadata"):
        load_model(tmp_path / "plain.safetensors")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope")


# ---------------------------------------------------------------------------------------------
# Writing: atomic, overwrite, unsupported arguments


def test_a_crash_during_save_leaves_the_previous_file(tmp_path, monkeypatch):
    from deltaw.io import atomic

    model = trained(sequential, "adam", epochs=1)
    model.save(tmp_path / "m")
    before = (tmp_path / "m").read_bytes()
    model.fit(*data(), epochs=1, verbose=0)

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        model.save(tmp_path / "m")
    with pytest.raises(OSError, match="simulated crash"):
        model.save_weights(tmp_path / "m")
    assert (tmp_path / "m").read_bytes() == before
    assert os.listdir(tmp_path) == ["m"]


def test_overwrite_false_asks_first(tmp_path, monkeypatch, capsys):
    model = sequential()
    model.save(tmp_path / "m")
    before = (tmp_path / "m").read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    trained(sequential, "adam", epochs=1).save(tmp_path / "m", overwrite=False)
    assert (tmp_path / "m").read_bytes() == before
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    trained(sequential, "adam", epochs=1).save(tmp_path / "m", overwrite=False)
    assert (tmp_path / "m").read_bytes() != before
    assert "[TIP] Next time specify overwrite=True!" in capsys.readouterr().out


def test_save_rejects_unknown_arguments(tmp_path):
    with pytest.raises(TypeError, match=r"save_model: unexpected keyword argument 'foo'"):
        sequential().save(tmp_path / "m", foo=1)
    with pytest.raises(ValueError, match=r"save_model: save_format='tf' is not supported"):
        sequential().save(tmp_path / "m", save_format="tf")


def test_numpy_values_in_compile_arguments_are_saved_as_numbers(tmp_path):
    model = sequential()
    model.compile(optimizer=optimizers.SGD(learning_rate=np.float32(0.5)), loss="mse",
                  loss_weights=np.float64(2.0))
    model.save(tmp_path / "m")
    assert read_info(tmp_path / "m")["compile_config"]["loss_weights"] == 2.0
    assert load_model(tmp_path / "m").optimizer.learning_rate == 0.5


def test_unserializable_config_is_a_type_error_at_save(tmp_path):
    class Opaque(layers.Layer):
        def __init__(self, thing=None, **kwargs):
            super().__init__(**kwargs)
            self.thing = thing

        def call(self, inputs):
            return inputs

        def get_config(self):
            return {**super().get_config(), "thing": object()}

    model = models.Sequential([layers.Input((2,)), Opaque()])
    with pytest.raises(TypeError, match=r"save_model: the configuration of model '.*' is not "
                                        r"JSON-serializable"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()
