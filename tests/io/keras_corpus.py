"""Corrupted, forged and hostile variants of a Keras 3 `.keras` file (zip + JSON + HDF5).

`zip_variants(base)` forges the zip container (truncations, bit flips, forged sizes, zip bombs,
duplicate, missing, encrypted and too many members); `h5_variants(base)` rebuilds valid zips
around a damaged or hostile `model.weights.h5` (truncations and bit flips of the HDF5 bytes,
links to other files, external storage, non-numeric and oversized datasets, missing, extra and
reshaped datasets); `config_variants(base, mutations)` applies the native corpus' hostile
descriptions (tests/io/test_corrupted_files.py) to config.json. Every variant is `(label, bytes)`.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile

import h5py
import numpy as np

WEIGHTS = "model.weights.h5"


def unzip(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(members, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on the duplicate names forged on purpose
        with zipfile.ZipFile(buffer, "w", compression=compression) as z:
            for name, payload in (members.items() if isinstance(members, dict) else members):
                z.writestr(name, payload)
    return buffer.getvalue()


def _with(members: dict, **changes) -> bytes:
    out = dict(members)
    for name, payload in changes.items():
        name = {"weights": WEIGHTS, "config": "config.json", "metadata": "metadata.json"}[name]
        if payload is None:
            out.pop(name)
        else:
            out[name] = payload
    return rezip(out)


def _flip(blob: bytes, rng, count=1) -> bytes:
    data = bytearray(blob)
    for _ in range(count):
        i = int(rng.integers(len(data)))
        data[i] ^= 1 << int(rng.integers(8))
    return bytes(data)


def _central_directory(blob: bytes) -> int:
    return blob.rindex(b"PK\x01\x02", 0, blob.rindex(b"PK\x05\x06"))


def zip_variants(base: bytes, seed: int = 0):
    members = unzip(base)
    rng = np.random.default_rng(seed)
    n = len(base)
    cuts = set(range(0, min(n, 64))) | set(range(max(0, n - 200), n)) | set(range(0, n, 16))
    for cut in sorted(cuts):
        yield f"zip-truncate@{cut}", base[:cut]
    for i in range(150):
        yield f"flip-zip-{i}", _flip(base, rng)
    # forged declared sizes in the last central-directory entry (the weights member)
    cd = _central_directory(base)
    for size in (0, 1, 2**31, 2**32 - 1):
        forged = bytearray(base)
        forged[cd + 24:cd + 28] = struct.pack("<I", size)
        yield f"zip-forged-size-{size}", bytes(forged)
    encrypted = bytearray(base)
    encrypted[cd + 8] |= 1
    yield "zip-encrypted-flag", bytes(encrypted)
    method = bytearray(base)
    method[cd + 10:cd + 12] = struct.pack("<H", 14)  # LZMA, never written by Keras
    yield "zip-unknown-method", bytes(method)
    yield "zip-bomb-20MB-of-zeros", rezip([*members.items(), ("assets/zeros", bytes(20 << 20))],
                                          compression=zipfile.ZIP_DEFLATED)
    yield "zip-too-many-members", rezip([*members.items(), *((f"assets/{i}", b"")
                                                             for i in range(1001))])
    yield "zip-duplicate-config", rezip([*members.items(), ("config.json", b"{}")])
    for name in list(members):  # metadata.json is informative only: Keras does not need it
        prefix = "lenient" if name == "metadata.json" else "zip"
        yield f"{prefix}-missing-{name}", rezip({k: v for k, v in members.items() if k != name})
    yield "lenient-traversal-names", rezip([*members.items(), ("../../evil.py", b"x"),
                                        ("/etc/passwd", b"x")])
    yield "zip-empty-archive", rezip({})
    yield "zip-nested-zip-as-weights", _with(members, weights=base)
    yield "zip-json-as-weights", _with(members, weights=b"{}")


def _h5(build) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build(f)
    return buffer.getvalue()


def _copy_into(source: bytes):
    def build(f):
        with h5py.File(io.BytesIO(source), "r") as src:
            for key in src:
                src.copy(src[key], f, name=key)
            for key, value in src.attrs.items():
                f.attrs[key] = value
    return build


def _edited(source: bytes, edit):
    def build(f):
        _copy_into(source)(f)
        edit(f)
    return _h5(build)


def _replace(path, **kwargs):
    def edit(f):
        del f[path]
        f.create_dataset(path, **kwargs)
    return edit


def h5_variants(base: bytes, seed: int = 0):
    members = unzip(base)
    h5 = members[WEIGHTS]
    rng = np.random.default_rng(seed)
    n = len(h5)
    cuts = set(range(0, 16)) | set(rng.integers(16, n, 80).tolist())
    for cut in sorted(cuts):
        yield f"hdf5-truncate@{cut}", _with(members, weights=h5[:cut])
    for i in range(60):  # most flips land in weight data and load (~40 ms each): a sample
        yield f"h5-bitflip-{i}", _with(members, weights=_flip(h5, rng))
    kernel = "layers/dense/vars/0"
    shape = h5py.File(io.BytesIO(h5), "r")[kernel].shape
    edits = {
        "hdf5-soft-link": lambda f: (f.__delitem__(kernel),
                                     f.__setitem__(kernel, h5py.SoftLink("/layers/dense/vars/1"))),
        "hdf5-external-link": lambda f: (f.__delitem__(kernel), f.__setitem__(
            kernel, h5py.ExternalLink("/etc/passwd", "/x"))),
        "hdf5-external-storage": _replace(kernel, shape=shape, dtype="f4",
                                          external=[("/etc/passwd", 0, h5py.h5f.UNLIMITED)]),
        "hdf5-string-dataset": _replace(kernel, data=np.array([b"__import__('os')"] *
                                                              int(np.prod(shape)))),
        "hdf5-compound-dataset": _replace(kernel, shape=shape,
                                          dtype=np.dtype([("a", "f4"), ("b", "i4")])),
        "hdf5-huge-chunked-dataset": _replace(kernel, shape=(2**20, 2**20), dtype="f8",
                                              chunks=(1, 1)),
        "hdf5-wrong-shape": _replace(kernel, data=np.zeros((shape[0] + 1, shape[1]), "f4")),
        "hdf5-int-for-float": _replace(kernel, data=np.zeros(shape, "i4")),
        "hdf5-scalar-for-matrix": _replace(kernel, data=np.float32(1)),
        "hdf5-missing-dataset": lambda f: f.__delitem__(kernel),
        "hdf5-extra-dataset": lambda f: f.create_dataset("layers/dense/vars/9", data=[1.0]),
        "hdf5-extra-layer": lambda f: f.create_dataset("layers/conv2d/vars/0", data=[1.0]),
        "hdf5-missing-optimizer-slot": lambda f: f.__delitem__("optimizer/vars/3"),
        "hdf5-optimizer-wrong-shape": _replace("optimizer/vars/3", data=np.zeros(7, "f4")),
        "hdf5-legacy-attrs": lambda f: f.attrs.__setitem__("model_config", "{}"),
        "hdf5-object-reference": lambda f: f.create_dataset(
            "layers/dense/vars/ref", data=f["vars"].ref, dtype=h5py.ref_dtype),
        "lenient-many-groups": lambda f: [f.create_group(f"layers/g{i}") for i in range(300)],
    }
    for label, edit in edits.items():
        yield label, _with(members, weights=_edited(h5, edit))
    yield "hdf5-empty-file", _with(members, weights=_h5(lambda f: None))


def config_variants(base: bytes, mutations):
    """The native corpus' hostile descriptions, applied to config.json's record."""
    members = unzip(base)
    record = json.loads(members["config.json"])
    for label, mutate in mutations:
        info = {"model_config": {k: v for k, v in record.items() if k != "compile_config"},
                "compile_config": record["compile_config"], "format_version": 1,
                "kind": "model", "weight_names": [], "optimizer_variables": []}
        info = json.loads(json.dumps(info))
        try:
            result = mutate(info)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # a mutation aimed at a part the Keras record does not have
        if isinstance(result, str):
            text = result
        else:
            out = result["model_config"] if isinstance(result.get("model_config"), dict) \
                else {"class_name": None, "config": result.get("model_config")}
            out = {**out, "compile_config": result.get("compile_config")}
            text = json.dumps(out)
        yield f"config-{label}", _with(members, config=text.encode())


def legacy_variants(base: bytes, mutations, seed: int = 0):
    """Variants of a legacy tf.keras 2 whole-model `.h5` file (`base`, HDF5 bytes)."""
    rng = np.random.default_rng(seed)
    for cut in sorted(set(range(0, 16)) | set(range(16, len(base), 32))):
        yield f"legacy-truncate@{cut}", base[:cut]
    for i in range(40):
        yield f"flip-legacy-{i}", _flip(base, rng)
    source = h5py.File(io.BytesIO(base), "r")
    config = json.loads(source.attrs["model_config"])
    layer = source["model_weights"].attrs["layer_names"][0].decode()
    weight = source[f"model_weights/{layer}"].attrs["weight_names"][0].decode()
    kernel = f"model_weights/{layer}/{weight}"
    shape = source[kernel].shape
    source.close()
    edits = {
        "legacy-config-not-json": lambda f: f.attrs.__setitem__("model_config", "{not json"),
        "legacy-config-number": lambda f: f.attrs.__setitem__("model_config", np.arange(3)),
        "legacy-config-deep": lambda f: f.attrs.__setitem__("model_config",
                                                            "[" * 5000 + "]" * 5000),
        "legacy-training-config-bad": lambda f: f.attrs.__setitem__(
            "training_config", json.dumps({"optimizer_config": "os.system"})),
        "legacy-layer-names-missing-group": lambda f: f["model_weights"].attrs.__setitem__(
            "layer_names", np.array([b"nowhere", b"dense_1"])),
        "legacy-weight-names-missing-dataset": lambda f: f[f"model_weights/{layer}"].attrs
        .__setitem__("weight_names", np.array([b"nothing:0", b"nothing_else:0"])),
        "legacy-soft-link": lambda f: (f.__delitem__(kernel),
                                       f.__setitem__(kernel, h5py.SoftLink("/model_weights"))),
        "legacy-external-link": lambda f: (f.__delitem__(kernel), f.__setitem__(
            kernel, h5py.ExternalLink("/etc/passwd", "/x"))),
        "legacy-wrong-shape": _replace(kernel, data=np.zeros((shape[0] + 1, *shape[1:]), "f4")),
        "legacy-string-weight": _replace(kernel, data=np.array([b"x"] * int(np.prod(shape)))),
        "legacy-huge-weight": _replace(kernel, shape=(2**20, 2**20), dtype="f8", chunks=(1, 1)),
    }
    for label, edit in edits.items():
        yield label, _edited(base, edit)
    for label, mutate in mutations:
        info = json.loads(json.dumps({"model_config": config, "compile_config": None,
                                      "format_version": 1, "kind": "model"}))
        try:
            result = mutate(info)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
        text = result if isinstance(result, str) else json.dumps(result.get("model_config"))
        yield f"legacy-config-{label}", _edited(
            base, lambda f, text=text: f.attrs.__setitem__("model_config", text))
