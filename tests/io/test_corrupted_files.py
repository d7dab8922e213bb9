"""A corpus of corrupted, forged and hostile files: each loads correctly or raises ModelFileError.

Every variant (see tests/io/corpus.py) must, within a generous 0.5 s (the parser aims at < 100 ms;
the maximum is printed), either

- raise `ModelFileError` (never another exception type), or
- load, and then give exactly what an independent naive decoder reads from the same bytes. This is
  what happens to bit flips inside the data section (they only change values: a flipped float is
  still a float), to swapped offsets of two tensors of the same size, and to hostile strings that
  are only data (a tensor named "/etc/passwd" is a name, not a path).

No variant may run code: the payloads (pickles, `__import__('os').system(...)` strings, "module":
"os" entries) would all create a sentinel file, which must never appear.
"""

import itertools
import json
import time

import numpy as np
import pytest

from deltaw.io import ModelFileError
from deltaw.io import safetensors as st
from tests.io import corpus

# CPU time of this process, not wall time: a shared machine's load must not fail the bound,
# a file that makes the loader work (a bomb, a huge allocation) must
MAX_SECONDS = 0.5
ALWAYS_REFUSED = ("truncate", "header-length", "json-", "pickle-file", "pickle-after-header",
                  "npy-", "zip-", "hdf5-", "empty-file", "extended-")


def io_base_file() -> bytes:
    rng = np.random.default_rng(0)
    config = {"format_version": 1, "model_config": {"class_name": "Sequential", "config": {
        "name": "sequential", "layers": [{"class_name": "Dense", "config": {"units": 3}}]}},
        "weight_names": ["dense/kernel", "dense/bias"], "optimizer_variables": ["iterations"]}
    tensors = {
        "weights/0000": rng.standard_normal((4, 3)).astype(np.float32),
        "weights/0001": rng.standard_normal(3).astype(np.float32),
        "weights/0002": rng.standard_normal(3).astype(np.float32),  # same size: swappable
        "optimizer/0000": np.array(5, np.int64),
        "optimizer/0001": rng.standard_normal(2).astype(np.float16),
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 2), np.float32),
    }
    return st.serialize(tensors, {"deltaw": json.dumps(config)}, backend="deltaw")


def assert_bitwise_equal(got: dict, want: dict, label: str):
    assert list(got) == list(want), label
    for name in want:
        a, b = np.asarray(got[name]), np.asarray(want[name])
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, (label, name)
        assert a.tobytes() == np.ascontiguousarray(b, a.dtype).tobytes(), (label, name)


def run_corpus(items, load, check_loaded, sentinel, prepare=lambda blob: blob):
    """Load every variant (`load(prepare(blob))`, only `load` timed); returns (count, loaded
    labels, max seconds, label of the slowest)."""
    count, loaded, worst, worst_label = 0, [], 0.0, ""
    for label, blob in items:
        count += 1
        source = prepare(blob)
        start = time.process_time()
        try:
            result = load(source)
        except ModelFileError:
            result = None
        except Exception as exc:  # noqa: BLE001 - the point is to catch any other type
            pytest.fail(f"{label}: raised {type(exc).__name__} instead of ModelFileError: {exc}")
        elapsed = time.process_time() - start
        if elapsed > worst:
            worst, worst_label = elapsed, label
        assert elapsed < MAX_SECONDS, f"{label}: took {elapsed:.3f} s"
        if result is not None:
            assert not label.startswith(ALWAYS_REFUSED), f"{label}: loaded a broken file"
            check_loaded(label, blob, result)
            loaded.append(label)
        assert not sentinel.exists(), f"{label}: a payload ran"
    return count, loaded, worst, worst_label


def test_io_corpus(tmp_path):
    base = io_base_file()
    sentinel = tmp_path / "PWNED"

    def check(label, blob, result):
        tensors, metadata = result
        ref_tensors, ref_metadata = corpus.reference_decode(blob)
        assert metadata == ref_metadata, label
        assert_bitwise_equal(tensors, ref_tensors, label)

    count, loaded, worst, worst_label = run_corpus(
        corpus.variants(base, str(sentinel)), st.deserialize, check, sentinel)
    flips = [x for x in loaded if x.startswith("bitflip")]
    print(f"\nio corpus: {count} variants, {len(loaded)} loaded ({len(flips)} bit flips in data), "
          f"{count - len(loaded)} refused with ModelFileError; max parse time "
          f"{worst * 1000:.2f} ms ({worst_label})")
    assert count >= 1000
    assert flips and len(loaded) < count // 2
    assert not sentinel.exists()


def test_the_payloads_are_live(tmp_path):
    """The sentinel mechanism works: unpickling the corpus' pickle really creates the file."""
    import pickle

    sentinel = tmp_path / "PWNED"
    payload = dict(corpus.foreign_payloads(io_base_file(), str(sentinel)))["pickle-file"]
    pickle.loads(payload)  # noqa: S301 - deliberately, to prove the payload is real
    assert sentinel.exists()


# ---------------------------------------------------------------------------------------------
# The same corpus against real saved models, plus hostile model descriptions


def model_base_file(tmp_path) -> bytes:
    from deltaw.keras import layers, models

    inputs = layers.Input((4,), name="x")
    h = layers.Dense(5, activation="relu", name="hidden")(inputs)
    skip = layers.Dense(5, name="skip")(inputs)  # same shapes as hidden: swappable offsets
    outputs = layers.Dense(2, name="out")(layers.Concatenate(name="concat")([h, skip]))
    model = models.Model(inputs, outputs, name="victim")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((8, 4)).astype(np.float32),
              rng.standard_normal((8, 2)).astype(np.float32), epochs=1, verbose=0)
    model.save(tmp_path / "base.safetensors")  # deltaw's own format
    return (tmp_path / "base.safetensors").read_bytes()


def hostile_descriptions(sentinel: str):
    """(label, mutation of the "deltaw" metadata dict) pairs: forged and code-carrying configs."""
    import base64
    import marshal

    payload = f"__import__('os').system('touch {sentinel}')"
    code = base64.b64encode(marshal.dumps(compile(payload, "<evil>", "eval"))).decode()
    lambda_layer = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                    "config": {"name": "lam", "function": {"class_name": "__lambda__",
                                                           "config": {"code": code}}}}
    command = {"module": "os", "class_name": "system", "config": {"command": f"touch {sentinel}"},
               "registered_name": "os>system"}

    def layer(i, **changes):
        def mutate(info):
            info["model_config"]["config"]["layers"][i].update(changes)
            return info
        return mutate

    def layer_config(i, **changes):
        def mutate(info):
            info["model_config"]["config"]["layers"][i]["config"].update(changes)
            return info
        return mutate

    def set_path(*keys, value):
        def mutate(info):
            target = info
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = value
            return info
        return mutate

    out = []
    for value in [payload, "os.system", "subprocess.Popen", "eval", "exec", "Lambda",
                  "TFOpLambda", "NoSuchLayer", "", None, 123, ["Dense"], {"a": 1}, "Functional",
                  "Sequential", "Model", "InputLayer", "__keras_tensor__", "/etc/passwd"]:
        out.append((f"layer-class-{value!r}", layer(1, class_name=value)))
        out.append((f"model-class-{value!r}", set_path("model_config", "class_name", value=value)))
    for key, value in [("module", "os"), ("registered_name", "os>system"),
                       ("registered_name", payload), ("registered_name", ["x"]),
                       ("config", payload), ("config", None), ("config", [1]),
                       ("inbound_nodes", payload), ("inbound_nodes", [[["nowhere", 0, 0, {}]]]),
                       ("inbound_nodes", [{"args": [command]}]), ("name", "/etc/passwd"),
                       ("build_config", {"input_shape": [None, 10**9]}),
                       ("build_config", command)]:
        out.append((f"layer-{key}-{str(value)[:40]}", layer(1, **{key: value})))
    out.append(("lambda-layer-with-marshalled-code",
                lambda info: info["model_config"]["config"]["layers"].append(lambda_layer) or info))
    out.append(("os-system-layer",
                lambda info: info["model_config"]["config"]["layers"].append(command) or info))
    for key, value in [("units", -1), ("units", 0), ("units", 1.5), ("units", "5"),
                       ("units", 6), ("units", 10**30), ("units", 2**63),
                       ("units", 10**4000), ("units", True), ("units", None),
                       ("activation", payload), ("activation", "os.system"),
                       ("activation", command), ("activation", {"class_name": "__lambda__",
                                                                "config": {"code": code}}),
                       ("kernel_initializer", command), ("kernel_initializer", payload),
                       ("kernel_initializer", {"class_name": "Constant",
                                               "config": {"value": payload}}),
                       ("kernel_regularizer", command), ("dtype", "object"),
                       ("dtype", {"class_name": "DTypePolicy", "config": {"name": payload}}),
                       ("name", "../../outside"), ("trainable", payload),
                       ("use_bias", False), ("function", command), ("__class__", payload),
                       ("nested", json.loads("[" * 60 + "1" + "]" * 60))]:
        out.append((f"dense-{key}-{str(value)[:40]}", layer_config(1, **{key: value})))
    for key, value in [("batch_shape", [None, 10**9]), ("batch_shape", [None, -1]),
                       ("batch_shape", "x"), ("batch_shape", [None, 4, 4]),
                       ("dtype", payload), ("sparse", payload)]:
        out.append((f"input-{key}-{str(value)[:30]}", layer_config(0, **{key: value})))
    for keys, value in [
        (("model_config", "config", "layers"), payload),
        (("model_config", "config", "layers"), []),
        (("model_config", "config", "layers"), [command] * 3),
        (("model_config", "config", "input_layers"), [["nowhere", 0, 0]]),
        (("model_config", "config", "output_layers"), [["x", 99, 0]]),
        (("model_config", "config", "output_layers"), payload),
        (("model_config", "config"), None),
        (("compile_config", "optimizer", "class_name"), payload),
        (("compile_config", "optimizer", "class_name"), "os.system"),
        (("compile_config", "optimizer", "config"), command),
        (("compile_config", "optimizer", "config", "learning_rate"), command),
        (("compile_config", "optimizer", "config", "learning_rate"), -1.0),
        (("compile_config", "optimizer", "config", "learning_rate"), payload),
        (("compile_config", "optimizer"), payload),
        (("compile_config", "loss"), payload),
        (("compile_config", "loss"), command),
        (("compile_config", "loss"), {"class_name": "os.system", "config": {}}),
        (("compile_config", "metrics"), [payload]),
        (("compile_config", "metrics"), [command]),
        (("compile_config", "loss_weights"), payload),
        (("compile_config",), payload),
        (("format_version",), 2), (("format_version",), "1"), (("format_version",), None),
        (("kind",), "weights"), (("kind",), payload),
        (("weight_names",), []), (("weight_names",), payload),
        (("optimizer_variables",), []), (("optimizer_variables",), [payload] * 30),
        (("model_config",), None),
    ]:
        out.append((f"set-{'.'.join(keys)}-{str(value)[:30]}",
                    set_path(*keys, value=value)))
    for units in (10**6, 10**7, 10**9):  # refused by the allocation budget before allocating
        out.append((f"dense-units-{units}", layer_config(1, units=units)))
    out.append(("cyclic-graph", _cyclic))
    out.append(("swap-layer-order", lambda info: info["model_config"]["config"].update(
        layers=info["model_config"]["config"]["layers"][::-1]) or info))
    for text in ["not json", "", "[]", "null", payload, "[" * 10_000 + "]" * 10_000,
                 '{"format_version": 1, "kind": "model", "model_config": ' + "[" * 70 +
                 "]" * 70 + "}"]:
        out.append((f"raw-{text[:20]!r}", lambda info, text=text: text))
    return out


def _cyclic(info):
    # Every layer waits for a tensor of the next one: no layer can ever be called.
    layers = info["model_config"]["config"]["layers"]
    names = [entry["name"] for entry in layers]
    for i, entry in enumerate(layers):
        entry["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
            "shape": [None, 4], "dtype": "float32",
            "keras_history": [names[(i + 1) % len(names)], 0, 0]}}], "kwargs": {}}]
    return info


def _layer_name(entry) -> str:
    config = entry.get("config")
    return str(entry.get("name") or (config.get("name") if isinstance(config, dict) else ""))


def assert_same_config(got, want, label, path="config"):
    """Equal, except that keys present on one side only are allowed (a flipped key name is an
    unknown key the model ignores, plus a missing one it defaults), and "module" and
    "registered_name" may differ: they are informational, deltaw never imports a module by name
    (and registered_name only selects among the caller's custom_objects). The shape and dtype
    recorded for a tensor in a call ("__keras_tensor__") are recomputed from the graph, and a
    functional config may list its layers in any order."""
    if isinstance(got, dict) and isinstance(want, dict):
        derived = {"shape", "dtype"} if path.endswith("__keras_tensor__") else set()
        tensor = got.get("class_name") == "__keras_tensor__"
        for key in set(got) & set(want) - {"module", "registered_name"} - derived:
            if tensor and key == "config":
                assert_same_config(got[key], want[key], label, f"{path}.__keras_tensor__")
                continue
            assert_same_config(got[key], want[key], label, f"{path}.{key}")
    elif isinstance(got, list) and isinstance(want, list):
        assert len(got) == len(want), (label, path)
        if path.endswith(".layers"):  # a graph's layers may be listed in any order
            got, want = (sorted(x, key=_layer_name) for x in (got, want))
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_same_config(a, b, label, f"{path}[{i}]")
    elif isinstance(got, bool) and not isinstance(want, bool):
        # Layer(trainable=<any value>) keeps bool(value), as Keras does: still a faithful reading
        assert got == bool(want), (label, path, got, want)
    else:
        assert got == want, (label, path, got, want)


def check_loaded_model(label, blob, model):
    tensors, metadata = corpus.reference_decode(blob)
    info = json.loads(metadata["deltaw"])
    weights = [tensors[f"weights/{i:04d}"] for i in range(len(info["weight_names"]))]
    assert_bitwise_equal(dict(enumerate(model.get_weights())), dict(enumerate(weights)), label)
    assert_same_config(json.loads(json.dumps(model.get_config())), info["model_config"]["config"],
                       label)
    if model.compiled and info["optimizer_variables"]:
        state = [tensors[f"optimizer/{i:04d}"] for i in range(len(info["optimizer_variables"]))]
        got = [v.data for v in model.optimizer.variables]
        assert_bitwise_equal(dict(enumerate(got)), dict(enumerate(state)), label)


def test_model_corpus(tmp_path):
    from deltaw.keras.models import load_model, saving

    base = model_base_file(tmp_path)
    sentinel = tmp_path / "PWNED"
    target = tmp_path / "variant.keras"

    def prepare(blob):
        # Every 20th variant goes through a real file and the public load_model; the others
        # through the same code on the bytes, since writing 8,000 files costs more than loading.
        if next(counter) % 20:
            return blob
        target.write_bytes(blob)
        return target

    def load(source):
        if isinstance(source, bytes):
            return saving._load_model_bytes(source, "load_model: 'variant.keras'")
        return load_model(source)

    counter = itertools.count()
    items = [*corpus.variants(base, str(sentinel)),
             *corpus.metadata_variants(base, "deltaw", hostile_descriptions(str(sentinel)))]
    count, loaded, worst, worst_label = run_corpus(items, load, check_loaded_model, sentinel,
                                                   prepare)
    flips = [x for x in loaded if x.startswith("bitflip")]
    print(f"\nmodel corpus: {count} variants, {len(loaded)} loaded ({len(flips)} bit flips), "
          f"{count - len(loaded)} refused with ModelFileError; max load time "
          f"{worst * 1000:.2f} ms ({worst_label}); loaded hostile descriptions: "
          f"{[x for x in loaded if x.startswith('metadata-')]}")
    assert count >= 1000
    assert not sentinel.exists()
