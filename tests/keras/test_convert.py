"""`deltaw convert SRC DST` (and `deltaw.keras.saving.convert`): every readable format to every
writable one, the model unchanged; weights-only sources with --config; bad input refused with
the file named and nothing written."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.keras import layers, models
from deltaw.keras.saving.convert import convert

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


@pytest.fixture
def model():
    m = models.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"),
                           layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    m.fit(X, np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]], epochs=1, verbose=0)
    return m


@pytest.mark.parametrize("chain", [(".keras", ".h5", ".safetensors", ".keras"),
                                   (".h5", ".keras"), (".safetensors", ".h5")])
def test_formats_convert_into_each_other_with_the_same_predictions(model, chain, tmp_path):
    paths = [tmp_path / f"m{i}{suffix}" for i, suffix in enumerate(chain)]
    model.save(paths[0])
    for src, dst in zip(paths, paths[1:]):
        line = convert(src, dst)
        assert line.startswith(f"converted {src} (") and f"-> {dst} (" in line
        assert line.endswith("3 layers, 63 parameters")   # 25 + 4 * 5 + 18
    loaded = models.load_model(paths[-1])
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6)
    for got, want in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(got.data), np.asarray(want.data))


def test_weights_only_source_needs_a_config(model, tmp_path):
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ModelFileError, match=r"w\.weights\.h5' is a Keras 3 \.weights\.h5 file, "
                                             r"which holds weights only.*--config MODEL\.json"):
        convert(tmp_path / "w.weights.h5", tmp_path / "out.keras")
    assert not (tmp_path / "out.keras").exists()
    (tmp_path / "model.json").write_text(model.to_json())
    line = convert(tmp_path / "w.weights.h5", tmp_path / "out.keras",
                   config=tmp_path / "model.json")
    assert "(a Keras 3 .weights.h5 file) ->" in line
    np.testing.assert_allclose(models.load_model(tmp_path / "out.keras").predict(X, verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deltaw", "convert", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_command_line_converts_to_onnx(model, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model.save(tmp_path / "m.keras")
    done = _cli(tmp_path / "m.keras", tmp_path / "m.onnx")
    assert done.returncode == 0, done.stderr
    assert "(a Keras 3 .keras file) ->" in done.stdout
    assert done.stdout.strip().endswith(f"(ONNX): model '{model.name}', 3 layers, 63 parameters")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    (out,) = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(out, model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_command_line_refuses_a_file_that_is_no_model(tmp_path):
    (tmp_path / "notes.keras").write_text("not a model")
    done = _cli(tmp_path / "notes.keras", tmp_path / "out.h5")
    assert done.returncode == 1
    assert done.stderr.startswith("deltaw convert: ") and "notes.keras" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.h5").exists()
    missing = _cli(tmp_path / "nowhere.keras", tmp_path / "out.h5")
    assert missing.returncode == 1 and "nowhere.keras" in missing.stderr
