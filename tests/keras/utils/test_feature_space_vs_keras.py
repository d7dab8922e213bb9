"""keras.utils.FeatureSpace compared with real Keras 3.15 (torch backend).

Keras' FeatureSpace needs TensorFlow for `adapt` (tf.data), for calling it on data, and for its
lookup, hashing and crossing layers; TensorFlow is not installed. What runs without it is
compared here: the float feature types ('float', 'float_rescaled', 'float_normalized',
'float_discretized'), whose Keras preprocessors are adapted by hand on the same batches of 32
Keras' adapt reads (`Normalization.adapt`, `Discretization.update_state`/`finalize_state`),
then `FeatureSpace._is_adapted` is set (a private flag: Keras' adapt itself needs tf.data) and
Keras' symbolic model (`get_inputs` -> `get_encoded_features`) is run on the data; the
configs; and the `.keras` files, each library reading the other's. The categorical types are
checked against Keras' documented layouts in test_feature_space.py.
"""

import json
import zipfile

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)

N = 70  # three adapt batches: 32, 32, 6


def data():
    rng = np.random.default_rng(3)
    return {name: rng.normal(1.0, 2.0, N).astype("float32") for name in ("a", "b", "c", "d")}


def spec(lib, output_mode="concat"):
    fs = lib.utils.FeatureSpace
    return fs({"c": fs.float_discretized(num_bins=4, name="c"), "a": "float_normalized",
               "d": fs.float_rescaled(scale=2.0, offset=0.5, name="d"), "b": "float"},
              output_mode=output_mode)


def keras_adapted(values, output_mode="concat"):
    space = spec(keras, output_mode)
    column = values["a"][:, None]
    space.preprocessors["a"].adapt(column)
    discretization = space.preprocessors["c"]
    for i in range(0, N, 32):
        discretization.update_state(values["c"][i:i + 32, None])
    discretization.finalize_state()
    space._is_adapted = True  # Keras' own adapt needs tf.data
    return space


def keras_outputs(space, values):
    model = keras.Model(space.get_inputs(), space.get_encoded_features())
    with kr.quiet():  # Keras warns about the order of the input dict's keys
        out = model.predict({k: v[:, None] for k, v in values.items()}, verbose=0)
    return out if isinstance(out, np.ndarray) else {k: kr.to_numpy(v) for k, v in out.items()}


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_float_features_encode_as_keras(output_mode):
    values = data()
    theirs = keras_adapted(values, output_mode)
    ours = spec(dk, output_mode)
    ours.adapt(values)
    assert ours.preprocessors["c"].bin_boundaries == pytest.approx(
        theirs.preprocessors["c"].bin_boundaries, rel=1e-6)
    want, got = keras_outputs(theirs, values), ours(values)
    if output_mode == "concat":
        assert got.shape == want.shape == (N, 1 + 1 + 4 + 1)  # a, b, c (one-hot), d
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    else:
        assert list(got) == list(want) == ["a", "b", "c", "d"]
        for name in want:
            np.testing.assert_allclose(got[name].numpy(), want[name], rtol=1e-5, atol=1e-5)
    assert sorted(ours.one_hot_encoders) == sorted(theirs.one_hot_encoders) == ["c"]


def _plain(config):
    """A config with Keras' dtype policies written as dtype names."""
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy":
            return config["config"]["name"]
        return {k: _plain(v) for k, v in config.items()}
    if isinstance(config, list | tuple):
        return [_plain(v) for v in config]
    return config


def test_config_matches_keras():
    values = data()
    ours, theirs = spec(dk), keras_adapted(values)
    ours.adapt(values)
    ours.get_encoded_features()
    mine = json.loads(json.dumps(ours.get_config()))
    keras_config = _plain(json.loads(json.dumps(theirs.get_config())))
    assert set(mine) - {"name"} == set(keras_config)
    for name, feature in keras_config["features"].items():
        ours_feature = mine["features"][name]
        for key in ("module", "class_name", "registered_name"):
            assert ours_feature[key] == feature[key]
        assert ours_feature["config"]["dtype"] == feature["config"]["dtype"]
        assert ours_feature["config"]["output_mode"] == feature["config"]["output_mode"]
        pre, keras_pre = ours_feature["config"]["preprocessor"], feature["config"]["preprocessor"]
        assert (pre["class_name"], pre["module"], pre["config"]["name"]) == \
            (keras_pre["class_name"], keras_pre["module"], keras_pre["config"]["name"])
    cross = dk.utils.FeatureSpace.cross(("a", "b"), crossing_dim=8)
    assert cross.get_config() == keras.utils.FeatureSpace.cross(("a", "b"), 8).get_config()
    assert cross.name == "a_X_b"


def test_keras_file_loads_in_deltaw(tmp_path):
    values = data()
    theirs = keras_adapted(values)
    want = keras_outputs(theirs, values)
    path = str(tmp_path / "keras_space.keras")
    with kr.quiet():
        theirs.save(path)
    loaded = dk.saving.load_model(path)
    assert isinstance(loaded, dk.utils.FeatureSpace)
    np.testing.assert_allclose(loaded(values).numpy(), want, rtol=1e-5, atol=1e-5)


def test_deltaw_file_loads_in_keras(tmp_path):
    values = data()
    ours = spec(dk)
    ours.adapt(values)
    path = str(tmp_path / "deltaw_space.keras")
    ours.save(path)
    with zipfile.ZipFile(path) as archive:
        record = json.loads(archive.read("config.json"))
    assert (record["module"], record["class_name"]) == ("keras.utils", "FeatureSpace")
    with kr.quiet():
        loaded = keras.saving.load_model(path)
    assert type(loaded).__name__ == "FeatureSpace"
    np.testing.assert_allclose(keras_outputs(loaded, values), ours(values).numpy(),
                               rtol=1e-5, atol=1e-5)
