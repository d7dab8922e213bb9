"""Data in, against Keras 3: dataset loaders, get_file's paths, pad_sequences, normalize, image
helpers and the directory indexing of image_dataset_from_directory.

The dataset loaders of both libraries read the same small files of the real formats (Keras'
`get_file` is patched to return the file deltaw downloaded from 127.0.0.1), and must return the
same arrays. Keras builds its directory and time-series datasets with tf.data, which is not
installed here, so for those the comparison is of Keras' `index_directory` (file order, labels,
class names and validation split), the part that decides which files go where.
"""

import importlib
import os

import numpy as np
import pytest

from tests.keras import keras_reference as kr

with kr.quiet():
    keras = pytest.importorskip("keras")
kr.require_torch_backend(keras)

import deltaw.keras as dk  # noqa: E402
from deltaw.keras.utils.directory_datasets import IMAGE_FORMATS, index_directory  # noqa: E402
from tests.keras.datasets import files  # noqa: E402


@pytest.fixture
def mirror(server, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DELTAW_DATASETS_MIRROR", server.url)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return server


def _both(monkeypatch, mirror, name, served, call, deltaw_module, extra_files=None):
    """Serves `served` files, loads with deltaw, then with Keras reading deltaw's cached files."""
    for fname, data in served.items():
        mirror.files[fname] = data
    if len(served) == 1:
        monkeypatch.setattr(deltaw_module, "FILE_HASH", files.sha256(next(iter(served.values()))))
    ours = call(getattr(dk.datasets, name))
    cached = {}

    def fake_get_file(fname=None, origin=None, **kwargs):
        return cached[os.path.basename(origin)]

    home = os.path.join(os.environ["KERAS_HOME"], "datasets")
    for root, _, names in os.walk(home):
        for fname in names:
            cached[fname] = os.path.join(root, fname)
    for key, value in (extra_files or {}).items():
        cached[key] = os.path.join(home, value)
    keras_module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(keras_module, "get_file", fake_get_file)
    with kr.quiet():
        theirs = call(keras_module)
    return ours, theirs


def _assert_same(ours, theirs):
    for (a, b), (c, d) in zip(ours, theirs):
        for mine, ref in ((a, c), (b, d)):
            assert mine.dtype == ref.dtype and mine.shape == ref.shape
            if mine.dtype == object:
                assert [list(s) for s in mine] == [list(s) for s in ref]
            else:
                np.testing.assert_array_equal(mine, ref)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _lists(rng, n):
    return [rng.integers(1, 40, rng.integers(2, 12)).tolist() for _ in range(n)]


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 20, "skip_top": 4},
                                    {"maxlen": 8, "oov_char": None, "start_char": None},
                                    {"index_from": 0, "seed": 5}])
def test_imdb_matches_keras(mirror, monkeypatch, rng, kwargs):
    data = files.npz(x_train=files.object_array(_lists(rng, 12)), y_train=rng.integers(0, 2, 12),
                     x_test=files.object_array(_lists(rng, 9)), y_test=rng.integers(0, 2, 9))
    ours, theirs = _both(monkeypatch, mirror, "imdb", {"imdb.npz": data},
                         lambda m: m.load_data(**kwargs), dk.datasets.imdb)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 25, "test_split": 0.3},
                                    {"maxlen": 9, "skip_top": 3, "oov_char": 1}])
def test_reuters_matches_keras(mirror, monkeypatch, rng, kwargs):
    data = files.npz(x=files.object_array(_lists(rng, 20)), y=rng.integers(0, 46, 20))
    ours, theirs = _both(monkeypatch, mirror, "reuters", {"reuters.npz": data},
                         lambda m: m.load_data(**kwargs), dk.datasets.reuters)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("name, features", [("boston_housing", 13), ("california_housing", 8)])
def test_housing_matches_keras(mirror, monkeypatch, rng, name, features):
    data = files.npz(x=rng.normal(size=(31, features)), y=rng.normal(size=31))
    ours, theirs = _both(monkeypatch, mirror, name, {f"{name}.npz": data},
                         lambda m: m.load_data(test_split=0.3, seed=9),
                         getattr(dk.datasets, name))
    _assert_same(ours, theirs)


def test_cifar_batches_match_keras(tmp_path, rng):
    # Keras' cifar10.load_data assumes 10,000 images per batch, so the batch reader is compared
    from keras.src.datasets import cifar as keras_cifar

    from deltaw.keras.datasets import cifar

    path = tmp_path / "data_batch_1"
    path.write_bytes(files.cifar_batch(files.images(rng, 5), 3, labels=rng.integers(0, 10, 5)))
    (x, y), (kx, ky) = cifar.load_batch(path), keras_cifar.load_batch(str(path))
    assert x.dtype == kx.dtype and x.shape == kx.shape == (5, 3, 32, 32) and y == ky
    np.testing.assert_array_equal(x, kx)


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(mirror, monkeypatch, rng, label_mode):
    archive = files.cifar100(rng, protocol=3)[0]
    ours, theirs = _both(monkeypatch, mirror, "cifar100", {"cifar-100-python.tar.gz": archive},
                         lambda m: m.load_data(label_mode), dk.datasets.cifar100,
                         {"cifar-100-python.tar.gz": "cifar-100-python-target"})
    _assert_same(ours, theirs)


def test_fashion_mnist_matches_keras(mirror, monkeypatch, rng):
    x = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 4, dtype=np.uint8)
    served = dict(zip(dk.datasets.fashion_mnist.FILES,
                      [files.idx(y, 2049), files.idx(x, 2051), files.idx(y[:2], 2049),
                       files.idx(x[:2], 2051)]))
    ours, theirs = _both(monkeypatch, mirror, "fashion_mnist", served, lambda m: m.load_data(),
                         dk.datasets.fashion_mnist)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("fname, kwargs", [
    ("arch.tar.gz", {"extract": True}), ("arch", {"extract": True}), (None, {"extract": True}),
    ("arch", {"untar": True}), ("plain.tar.gz", {}),
])
def test_get_file_paths_match_keras(server, tmp_path, fname, kwargs):  # noqa: F811
    server.files["arch.tar.gz"] = files.tar_gz({"top/a.txt": b"A"})
    url = server.url + "arch.tar.gz"
    (tmp_path / "ours").mkdir()
    (tmp_path / "keras").mkdir()   # Keras falls back to /tmp/.keras for a missing cache_dir
    ours = dk.utils.get_file(fname, url, cache_dir=tmp_path / "ours", **kwargs)
    with kr.quiet():
        theirs = keras.utils.get_file(fname, url, cache_dir=str(tmp_path / "keras"), **kwargs)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "keras")
    if kwargs:
        assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))


@pytest.mark.parametrize("kwargs", [
    {}, {"maxlen": 3}, {"maxlen": 3, "padding": "post"}, {"maxlen": 2, "truncating": "post"},
    {"maxlen": 5, "value": -1.5, "dtype": "float32"}, {"dtype": "int64", "padding": "post"},
])
def test_pad_sequences_matches_keras(kwargs):
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    ours, theirs = dk.utils.pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    steps = [np.arange(6.0).reshape(3, 2), np.ones((1, 2))]
    np.testing.assert_array_equal(dk.utils.pad_sequences(steps, **kwargs),
                                  keras.utils.pad_sequences(steps, **kwargs))


# Keras' normalize turns axis=0 into -1 (`axis = axis or -1`), so axis 0 is not compared.
@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (-1, 1)])
def test_normalize_matches_keras(axis, order):
    x = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
    x[1] = 0
    with kr.quiet():
        theirs = kr.to_numpy(keras.utils.normalize(x, axis=axis, order=order))
    np.testing.assert_allclose(dk.utils.normalize(x, axis=axis, order=order), theirs, rtol=1e-6)


@pytest.fixture
def image_folder(tmp_path):
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(2)
    for name in ("b_class", "a_class", "c_class"):
        (tmp_path / name / "nested").mkdir(parents=True)
        for i in range(int(rng.integers(2, 6))):
            image.fromarray(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)).save(
                tmp_path / name / f"img{i}.png")
        image.fromarray(rng.integers(0, 256, (5, 5), dtype=np.uint8)).save(
            tmp_path / name / "nested" / "z.bmp")
    return tmp_path


@pytest.mark.parametrize("kwargs", [
    {"shuffle": False}, {"shuffle": True, "seed": 11},
    {"shuffle": True, "seed": 3, "class_names": ["c_class", "a_class"]},
])
def test_directory_index_matches_keras(image_folder, kwargs, capsys):
    from keras.src.utils import dataset_utils

    ours = index_directory(str(image_folder), "inferred", IMAGE_FORMATS, **kwargs)
    theirs = dataset_utils.index_directory(str(image_folder), "inferred", IMAGE_FORMATS, **kwargs)
    assert ours[0] == theirs[0] and ours[2] == theirs[2]
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[1].dtype == theirs[1].dtype
    for subset in ("training", "validation"):
        paths, labels = dataset_utils.get_training_or_validation_split(theirs[0], theirs[1], 0.3,
                                                                       subset)
        with kr.quiet():
            ds = dk.utils.image_dataset_from_directory(
                image_folder, validation_split=0.3, subset=subset, image_size=(4, 4),
                verbose=False, **{"seed": 1, **kwargs})
        assert ds.file_paths == paths
        np.testing.assert_array_equal(np.concatenate([y for _, y in ds]), labels)
    capsys.readouterr()


def test_image_helpers_match_keras(image_folder):
    path = image_folder / "a_class" / "img0.png"
    for kwargs in ({}, {"color_mode": "grayscale"}, {"target_size": (4, 6)},
                   {"target_size": (5, 3), "keep_aspect_ratio": True, "interpolation": "bilinear"},
                   {"color_mode": "rgba", "target_size": (8, 8), "interpolation": "bicubic"}):
        ours, theirs = dk.utils.load_img(path, **kwargs), keras.utils.load_img(path, **kwargs)
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(dk.utils.img_to_array(ours),
                                      keras.utils.img_to_array(theirs))
    x = np.random.default_rng(4).normal(size=(3, 5, 3)).astype(np.float32)
    for scale in (True, False):
        y = x if scale else np.abs(x) * 40
        np.testing.assert_array_equal(np.asarray(dk.utils.array_to_img(y, scale=scale)),
                                      np.asarray(keras.utils.array_to_img(y, scale=scale)))
