"""Keras 3 files that are corrupted, forged or hostile: ModelFileError naming the file, quickly.

Two parts:

- Keras' own loader CVEs as regression tests: each hostile file is refused with a clear message,
  and nothing it asks for happens (no bytecode run, no module imported, no file opened).
- A generated corpus (tests/io/keras_corpus.py) of variants of a real `.keras` file: the zip
  container, the HDF5 weights and config.json. Each variant loads (bit flips inside weight data
  only change values) or raises `ModelFileError` (never another exception), within
  MAX_SECONDS, and no payload runs.
"""

import base64
import builtins
import io
import json
import marshal
import sys
import time

import h5py
import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.keras import layers, models
from deltaw.keras.models import load_model, saving
from tests.io import keras_corpus
from tests.io.test_corrupted_files import MAX_SECONDS, hostile_descriptions


@pytest.fixture(scope="module")
def base_file(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("base") / "base.keras"
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"),
                               layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((4, 4)).astype(np.float32),
              rng.standard_normal((4, 2)).astype(np.float32), epochs=1, verbose=0)
    model.save(path)
    return path.read_bytes()


def load(blob, **kwargs):
    return saving._load_model_bytes(blob, "load_model: 'victim.keras'", **kwargs)


def with_config(base, edit):
    members = keras_corpus.unzip(base)
    record = json.loads(members["config.json"])
    edit(record)
    members["config.json"] = json.dumps(record).encode()
    return keras_corpus.rezip(members)


def lambda_payload(sentinel) -> dict:
    code = compile(f"__import__('os').system('touch {sentinel}')", "<evil>", "eval")
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "evil_lambda", "function": {
                "class_name": "__lambda__",
                "config": {"code": base64.b64encode(marshal.dumps(code)).decode(),
                           "defaults": None, "closure": None}}}}


def add_layer(entry):
    return lambda record: record["config"]["layers"].append(entry)


# ---------------------------------------------------------------------------------------------
# Keras' loader CVEs


def test_cve_2024_3660_lambda_bytecode_is_never_run(base_file, tmp_path):
    sentinel = tmp_path / "ran"
    blob = with_config(base_file, add_layer(lambda_payload(sentinel)))
    with pytest.raises(ModelFileError, match=r"victim.keras.*'evil_lambda'.*bytecode.*never runs"
                                             r".*custom_objects"):
        load(blob)
    with pytest.raises(ModelFileError, match="bytecode"):
        load(blob, custom_objects={"Lambda": layers.Dense})  # even with a Lambda provided
    assert not sentinel.exists()


def test_cve_2025_1550_module_named_in_config_is_never_imported(base_file, tmp_path,
                                                                monkeypatch):
    sentinel = tmp_path / "imported"
    (tmp_path / "evil_module_1550.py").write_text(
        f"open({str(sentinel)!r}, 'w').close()\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = [{"module": "evil_module_1550", "class_name": "Evil", "config": {},
                "registered_name": "evil_module_1550>Evil"},
               {"module": "os", "class_name": "system", "config": {"command": f"touch {sentinel}"},
                "registered_name": None},
               {"module": "evil_module_1550", "class_name": "function", "config": "Evil",
                "registered_name": None}]
    for entry in entries:
        with pytest.raises(ModelFileError, match=r"victim.keras.*(unknown layer class|"
                                                 r"could not rebuild)"):
            load(with_config(base_file, add_layer(entry)))
    as_loss = with_config(base_file, lambda r: r["compile_config"].update(loss=entries[0]))
    with pytest.raises(ModelFileError, match="could not compile"):
        load(as_loss)
    assert "evil_module_1550" not in sys.modules and not sentinel.exists()


def test_cve_2025_9906_config_cannot_switch_safe_mode_off(base_file, tmp_path):
    sentinel = tmp_path / "ran"
    unsafe = {"module": "keras.config", "class_name": "function",
              "config": "enable_unsafe_deserialization", "registered_name": None}

    def edit(record):
        record["config"]["layers"].insert(0, {"module": "keras.layers", "class_name": "Lambda",
                                              "config": {"name": "switch", "function": unsafe},
                                              "registered_name": None})
        record["config"]["layers"].append(lambda_payload(sentinel))
        record["safe_mode"] = False
    for safe_mode in (True, False):
        with pytest.raises(ModelFileError, match="bytecode"):
            path = tmp_path / "m.keras"
            path.write_bytes(with_config(base_file, edit))
            load_model(path, safe_mode=safe_mode)
    assert not sentinel.exists()


def legacy_h5(model_config: dict) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["model_config"] = json.dumps(model_config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.create_group("model_weights").attrs["layer_names"] = np.array([], "S1")
    return buffer.getvalue()


def test_cve_2025_9905_legacy_h5_goes_through_the_safe_parser(tmp_path):
    sentinel = tmp_path / "ran"
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        lambda_payload(sentinel)]}}
    path = tmp_path / "legacy.h5"
    path.write_bytes(legacy_h5(config))
    with pytest.raises(ModelFileError, match=r"legacy.h5.*(bytecode|legacy)"):
        load_model(path)
    with pytest.raises(ModelFileError, match=r"legacy.h5"):
        models.Sequential([layers.Input((2,)), layers.Dense(1)]).load_weights(path)
    assert not sentinel.exists()


@pytest.fixture
def no_file_access(monkeypatch):
    """Fails the test if loading opens any file or URL (the loader only reads given bytes)."""
    opened = []

    def refuse(*args, **kwargs):
        opened.append(args[:1])
        raise AssertionError(f"the loader opened {args[:1]}")
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield opened


@pytest.mark.parametrize("entry", [
    {"module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
     "config": {"name": "lookup", "vocabulary": "/etc/passwd"}},
    {"module": "keras.layers", "class_name": "TextVectorization", "registered_name": None,
     "config": {"name": "tv", "vocabulary": "https://example.com/vocab.txt"}},
    {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
     "config": {"name": "d", "units": 2, "kernel_initializer": {
         "module": "keras.initializers", "class_name": "Constant",
         "config": {"value": "/etc/passwd"}, "registered_name": None}}},
], ids=["lookup-local-file", "vectorization-url", "initializer-path"])
def test_cve_2025_12058_config_naming_a_file_or_url_opens_nothing(entry, base_file,
                                                                  no_file_access):
    blob = with_config(base_file, add_layer(entry))
    with pytest.raises(ModelFileError, match="victim.keras"):
        load(blob)
    assert no_file_access == []


@pytest.mark.parametrize("entry", [
    {"module": "keras.layers", "class_name": "TFSMLayer", "registered_name": None,
     "config": {"name": "ext", "filepath": "/tmp/other_model"}},
    {"module": "keras.src.saving.saving_api", "class_name": "function",
     "config": "load_model", "registered_name": None},
    {"module": "keras", "class_name": "Functional", "registered_name": None,
     "config": {"filepath": "https://example.com/model.keras"}},
], ids=["tfsm-layer", "load-model-function", "functional-from-url"])
def test_cve_2026_1462_config_pointing_at_an_external_model_loads_nothing(entry, base_file,
                                                                         no_file_access):
    blob = with_config(base_file, add_layer(entry))
    with pytest.raises(ModelFileError, match="victim.keras"):
        load(blob)
    assert no_file_access == []


# ---------------------------------------------------------------------------------------------
# The corpus


def run(items, sentinel, always_refused=("zip-", "hdf5-", "config-raw")):
    count, refused, worst, worst_label = 0, 0, 0.0, ""
    for label, blob in items:
        count += 1
        start = time.process_time()
        try:
            model = load(blob)
        except ModelFileError as exc:
            assert "victim.keras" in str(exc), f"{label}: the error does not name the file"
            refused += 1
            model = None
        except Exception as exc:  # noqa: BLE001 - the point is to catch any other type
            pytest.fail(f"{label}: raised {type(exc).__name__} instead of ModelFileError: {exc}")
        elapsed = time.process_time() - start
        if elapsed > worst:
            worst, worst_label = elapsed, label
        assert elapsed < MAX_SECONDS, f"{label}: took {elapsed:.3f} s"
        if model is not None:
            assert not label.startswith(always_refused) or label.startswith(
                "legacy-config-"), f"{label}: loaded a broken file"
            shape = (2, *model.inputs[0].shape[1:])
            outputs = model.predict(np.ones(shape, np.float32), verbose=0)
            assert outputs.shape[0] == 2
        assert not sentinel.exists(), f"{label}: a payload ran"
    return count, refused, worst, worst_label


def test_keras_zip_corpus(base_file, tmp_path):
    sentinel = tmp_path / "ran"
    items = [*keras_corpus.zip_variants(base_file), *keras_corpus.h5_variants(base_file),
             *keras_corpus.config_variants(base_file, hostile_descriptions(str(sentinel)))]
    count, refused, worst, worst_label = run(items, sentinel)
    print(f"\nkeras corpus: {count} variants, {refused} refused; slowest {worst * 1e3:.1f} ms "
          f"({worst_label})")
    assert count >= 1000


@pytest.fixture(scope="module")
def legacy_base(tmp_path_factory) -> bytes:
    from tests.keras import test_legacy_h5 as legacy

    path = tmp_path_factory.mktemp("legacy") / "base.h5"
    twin = legacy.deltaw_twin("sequential")
    legacy.write_tf2(path, legacy.tf2_sequential(), legacy.weight_table(twin, legacy.SEQ_NAMES))
    return path.read_bytes()


def test_legacy_h5_corpus(legacy_base, tmp_path):
    sentinel = tmp_path / "ran"
    items = list(keras_corpus.legacy_variants(legacy_base, hostile_descriptions(str(sentinel))))
    count, refused, worst, worst_label = run(items, sentinel, always_refused=("legacy-",))
    print(f"\nlegacy corpus: {count} variants, {refused} refused; slowest {worst * 1e3:.1f} ms "
          f"({worst_label})")
    assert count >= 300


def test_a_zip_bomb_fails_in_well_under_a_second(base_file):
    blob = dict(keras_corpus.zip_variants(base_file))["zip-bomb-20MB-of-zeros"]
    start = time.process_time()
    with pytest.raises(ModelFileError, match="zip bomb"):
        load(blob)
    assert time.process_time() - start < 0.1
