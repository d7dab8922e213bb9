"""Small files in the formats of Keras' dataset files, made by the tests (no real data needed).

Each writer returns the file's bytes; the arrays it holds are returned alongside so tests can
check what the loaders give back.
"""

import gzip
import hashlib
import io
import json
import pickle
import tarfile

import numpy as np


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    for i, seq in enumerate(lists):
        out[i] = list(seq)
    return out


def idx(array: np.ndarray, magic: int) -> bytes:
    """gzip-compressed IDX: a big-endian magic number, the sizes, then the uint8 data."""
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def cifar_batch(images: np.ndarray, protocol=2, **labels) -> bytes:
    """A CIFAR batch: a pickle of a dict with bytes keys, as the Python 2 files.

    Protocol 2 stores bytes through `_codecs.encode` in Python 3; protocol 3 as BINBYTES (which
    Keras' own restricted unpickler also accepts).
    """
    batch = {b"batch_label": b"testing batch", b"data": images.reshape(len(images), -1),
             b"filenames": [f"img_{i}.png".encode() for i in range(len(images))]}
    batch.update({key.encode(): list(map(int, value)) for key, value in labels.items()})
    return pickle.dumps(batch, protocol=protocol)


def tar_gz(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def images(rng, n):
    return rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)


def cifar10(rng, per_batch=4, protocol=2):
    """The archive and the arrays (channels first) of its 5 training batches and test batch."""
    members, xs, ys = {}, [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x, y = images(rng, per_batch), rng.integers(0, 10, per_batch)
        members[f"cifar-10-batches-py/{name}"] = cifar_batch(x, protocol, labels=y)
        xs.append(x)
        ys.append(y)
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": []}, protocol=2)
    return tar_gz(members), np.concatenate(xs[:5]), np.concatenate(ys[:5]), xs[5], ys[5]


def cifar100(rng, n_train=6, n_test=3, protocol=2):
    members, parts = {}, {}
    for name, n in (("train", n_train), ("test", n_test)):
        x, fine, coarse = images(rng, n), rng.integers(0, 100, n), rng.integers(0, 20, n)
        members[f"cifar-100-python/{name}"] = cifar_batch(x, protocol, fine_labels=fine,
                                                          coarse_labels=coarse)
        parts[name] = (x, fine, coarse)
    return tar_gz(members), parts


def word_index(words) -> bytes:
    return json.dumps({w: i + 1 for i, w in enumerate(words)}).encode()
