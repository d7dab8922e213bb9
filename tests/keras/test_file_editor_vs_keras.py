"""keras.saving.KerasFileEditor on deltaw against Keras' own, on the same files."""

import numpy as np
import pytest

import deltaw.keras as dk
from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras", reason=kr.SKIP_REASON)
kr.require_torch_backend(keras)


def _model(lib, units=3):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(units, name="first"),
                           lib.layers.BatchNormalization(name="norm"),
                           lib.layers.Dense(2, name="last")], name="m")


def _same_tree(a, b):
    assert list(a) == list(b)
    for key in a:
        if isinstance(a[key], dict):
            _same_tree(a[key], b[key])
        else:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


@pytest.fixture
def keras_file(tmp_path):
    path = tmp_path / "model.keras"
    with kr.quiet():
        model = _model(keras)
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=1, verbose=0)
        model.save(path)
    return path, model


def test_reads_a_keras_file_as_keras_does(keras_file, capsys):
    path, _ = keras_file
    ours = dk.saving.KerasFileEditor(path)
    with kr.quiet():
        theirs = keras.saving.KerasFileEditor(str(path))
    _same_tree(ours.weights_dict, theirs.weights_dict)
    assert ours.config == theirs.config and ours.metadata == theirs.metadata
    assert "layers" in ours.weights_dict and "optimizer" in ours.weights_dict
    assert f"Keras model file '{path}'" in capsys.readouterr().out


def _edit(editor, new_bias):
    editor.delete_object("optimizer")
    # Keras' files name the layers by class ('dense', 'dense_1'), not by layer name
    editor.add_weights("dense_1", {"1": new_bias})
    editor.rename_object("layers/dense", "renamed")
    editor.rename_object("renamed", "dense")        # by its (unique) bare name
    with pytest.raises(ValueError, match="not found"):
        editor.delete_weight("batch_normalization", "9")


def test_edits_save_a_file_both_libraries_load(keras_file, tmp_path):
    path, model = keras_file
    out_ours, out_theirs = tmp_path / "ours.weights.h5", tmp_path / "theirs.weights.h5"
    editors = [dk.saving.KerasFileEditor(path)]
    with kr.quiet():
        editors.append(keras.saving.KerasFileEditor(str(path)))
    new_bias = np.full(2, 0.5, "float32")
    for editor in editors:
        with kr.quiet():                    # Keras' editor trips NumPy 2 deprecations
            _edit(editor, new_bias)
    editors[0].save(out_ours)
    editors[1].save(str(out_theirs))
    _same_tree(dk.saving.KerasFileEditor(out_ours).weights_dict,
               dk.saving.KerasFileEditor(out_theirs).weights_dict)
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    with kr.quiet():
        fresh = _model(keras)
        fresh.load_weights(out_ours)                      # Keras loads deltaw's file
        bias = fresh.layers[-1].get_weights()[1]
        expected = kr.to_numpy(fresh.predict(x, verbose=0))
    np.testing.assert_array_equal(bias, new_bias)
    ours_model = _model(dk)
    ours_model.load_weights(out_ours)                     # and deltaw too
    np.testing.assert_allclose(ours_model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_names_and_paths_are_checked_as_keras(keras_file):
    path, _ = keras_file
    for lib in (dk, keras):
        with kr.quiet():
            editor = lib.saving.KerasFileEditor(str(path))
        with pytest.raises(ValueError, match="not found in model"):
            editor.delete_object("layers/nothing")
        with pytest.raises(ValueError, match="does not appear"):
            editor.rename_object("nothing", "x")
        with pytest.raises(ValueError, match="leaf name"):
            editor.rename_object("dense", "a/b")
        with pytest.raises(ValueError, match="should be a dict"):
            editor.add_object("layers/extra", [np.ones(2)])
        editor.add_object("layers/extra", {"0": np.ones(2)})
        assert list(editor.weights_dict["layers"]["extra"]) == ["0"]
        with pytest.raises(ValueError, match="weights.h5"):
            editor.save(str(path))


def test_compare_counts_matches_and_mismatches(keras_file, capsys):
    path, _ = keras_file
    editor = dk.saving.KerasFileEditor(path)
    editor.delete_object("optimizer")
    same = editor.compare(_model(dk))
    assert same == {"status": "success", "error_count": 0, "match_count": 8}
    other = editor.compare(_model(dk, units=5))
    # dense's kernel and bias, the four statistics of the norm, dense_1's kernel differ
    assert other == {"status": "error", "error_count": 7, "match_count": 1}
    assert "shape (4, 3) in the file, (4, 5) in the model" in capsys.readouterr().out


def test_refuses_other_extensions(tmp_path):
    (tmp_path / "m.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="expected a `.keras` `.weights.h5` extension"):
        dk.saving.KerasFileEditor(tmp_path / "m.h5")
