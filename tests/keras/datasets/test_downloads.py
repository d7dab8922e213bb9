"""The downloading loaders of keras.datasets, fed files of the real formats from 127.0.0.1.

Each test writes small files in the format of Keras' file, serves them from a local HTTP server,
points `DELTAW_DATASETS_MIRROR` at it and patches the loader's expected hash to the served file's.
"""

import os
import pickle

import numpy as np
import pytest

from deltaw.io.pickled_arrays import RefusedPickleError
from deltaw.keras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from deltaw.keras.utils.file_utils import DownloadError
from tests.keras.datasets import files


@pytest.fixture
def mirror(server, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DELTAW_DATASETS_MIRROR", server.url)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return server


def serve(srv, monkeypatch, module, name, data, attr="FILE_HASH"):
    srv.files[name] = data
    monkeypatch.setattr(module, attr, files.sha256(data))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_mnist_downloads_the_full_npz(mirror, monkeypatch, rng, tmp_path, capsys):
    arrays = {"x_train": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 7, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    monkeypatch.chdir(tmp_path)
    serve(mirror, monkeypatch, mnist, "mnist.npz", files.npz(**arrays))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for got, key in zip((x_train, y_train, x_test, y_test), arrays):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8
    cached = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    assert capsys.readouterr().out.endswith(f"mnist: using {cached}\n")
    mnist.load_data()
    assert mirror.hits["mnist.npz"] == 1


def test_mnist_corrupted_download_raises_instead_of_falling_back(mirror, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    mirror.files["mnist.npz"] = b"not the file"
    with pytest.raises(ValueError, match="incomplete or corrupted"):
        mnist.load_data()
    assert not (tmp_path / "keras_home" / "datasets" / "mnist.npz").exists()


def test_fashion_mnist_reads_idx_files(mirror, monkeypatch, rng):
    x_train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    y_train, y_test = rng.integers(0, 10, 5, dtype=np.uint8), rng.integers(0, 10, 2, dtype=np.uint8)
    data = [files.idx(y_train, 2049), files.idx(x_train, 2051), files.idx(y_test, 2049),
            files.idx(x_test, 2051)]
    for name, raw in zip(fashion_mnist.FILES, data):
        mirror.files[name] = raw
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {
        name: files.sha256(raw) for name, raw in zip(fashion_mnist.FILES, data)})
    (xa, ya), (xb, yb) = fashion_mnist.load_data()
    for got, want in ((xa, x_train), (ya, y_train), (xb, x_test), (yb, y_test)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8
    assert os.path.isfile(os.path.join(os.environ["KERAS_HOME"], "datasets", "fashion-mnist",
                                       "t10k-images-idx3-ubyte.gz"))
    mirror.files["t10k-labels-idx1-ubyte.gz"] = files.idx(y_test, 1234)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {})
    os.remove(os.path.join(os.environ["KERAS_HOME"], "datasets", "fashion-mnist",
                           "t10k-labels-idx1-ubyte.gz"))
    with pytest.raises(ValueError, match="is not an IDX file; expected the magic number 2049"):
        fashion_mnist.load_data()


def test_cifar10_shapes_dtypes_and_values(mirror, monkeypatch, rng):
    archive, x_train, y_train, x_test, y_test = files.cifar10(rng)
    serve(mirror, monkeypatch, cifar10, "cifar-10-python.tar.gz", archive)
    (xa, ya), (xb, yb) = cifar10.load_data()
    assert xa.shape == (20, 32, 32, 3) and xb.shape == (4, 32, 32, 3)
    assert ya.shape == (20, 1) and yb.shape == (4, 1)
    assert {a.dtype for a in (xa, ya, xb, yb)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(xa, x_train.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(xb, x_test.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(ya[:, 0], y_train)
    np.testing.assert_array_equal(yb[:, 0], y_test)
    folder = os.path.join(os.environ["KERAS_HOME"], "datasets", "cifar-10-batches-py-target")
    assert os.path.isdir(os.path.join(folder, "cifar-10-batches-py"))
    cifar10.load_data()                      # cached and extracted: no second request
    assert mirror.hits["cifar-10-python.tar.gz"] == 1


def test_cifar10_truncated_download_leaves_nothing(mirror, monkeypatch, rng):
    archive = files.cifar10(rng)[0]
    serve(mirror, monkeypatch, cifar10, "cifar-10-python.tar.gz", archive)
    mirror.truncate["cifar-10-python.tar.gz"] = len(archive) // 2
    with pytest.raises(DownloadError, match=r"connection closed after \d+ of \d+ bytes.*put it "
                                            r"at .*cifar-10-batches-py-target_archive"):
        cifar10.load_data()
    assert os.listdir(os.path.join(os.environ["KERAS_HOME"], "datasets")) == []


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_label_modes(mirror, monkeypatch, rng, label_mode):
    archive, parts = files.cifar100(rng)
    serve(mirror, monkeypatch, cifar100, "cifar-100-python.tar.gz", archive)
    (xa, ya), (xb, yb) = cifar100.load_data(label_mode=label_mode)
    column = 1 if label_mode == "fine" else 2
    assert xa.shape == (6, 32, 32, 3) and xa.dtype == np.uint8 and ya.shape == (6, 1)
    assert xb.shape == (3, 32, 32, 3) and yb.shape == (3, 1) and ya.dtype == np.int64
    np.testing.assert_array_equal(xa, parts["train"][0].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(ya[:, 0], parts["train"][column])
    np.testing.assert_array_equal(yb[:, 0], parts["test"][column])


def test_cifar100_bad_label_mode():
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'; got "
                                         "label_mode='medium'"):
        cifar100.load_data("medium")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo owned > /dev/null",))


def test_cifar_hostile_pickle_is_refused(mirror, monkeypatch):
    hostile = pickle.dumps({b"data": _Exploit(), b"labels": [0]}, protocol=2)
    archive = files.tar_gz({f"cifar-10-batches-py/{n}": hostile
                            for n in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]})
    serve(mirror, monkeypatch, cifar10, "cifar-10-python.tar.gz", archive)
    with pytest.raises(RefusedPickleError, match=r"refusing to unpickle the global posix\.system"):
        cifar10.load_data()


def _sequences(rng, n, vocab=30):
    return [rng.integers(1, vocab, rng.integers(2, 9)).tolist() for _ in range(n)]


def _imdb_file(rng):
    x_train, x_test = _sequences(rng, 10), _sequences(rng, 6)
    y_train, y_test = rng.integers(0, 2, 10), rng.integers(0, 2, 6)
    data = files.npz(x_train=files.object_array(x_train), y_train=y_train,
                     x_test=files.object_array(x_test), y_test=y_test)
    return data, x_train, y_train, x_test, y_test


def _reference_prepare(seqs, start_char, index_from, num_words, skip_top, oov_char):
    """Keras' documented steps written out plainly, for one list of sequences."""
    out = []
    for seq in seqs:
        seq = ([start_char] if start_char is not None else []) + [w + index_from for w in seq]
        if oov_char is not None:
            seq = [w if skip_top <= w < num_words else oov_char for w in seq]
        else:
            seq = [w for w in seq if skip_top <= w < num_words]
        out.append(seq)
    return out


def test_imdb_arguments(mirror, monkeypatch, rng):
    data, x_train, y_train, x_test, y_test = _imdb_file(rng)
    serve(mirror, monkeypatch, imdb, "imdb.npz", data)
    (xa, ya), (xb, yb) = imdb.load_data()
    assert xa.dtype == object and xa.shape == (10,) and xb.shape == (6,)
    assert ya.dtype == y_train.dtype and ya.shape == (10,)
    order = np.arange(10)
    shuffler = np.random.RandomState(113)
    shuffler.shuffle(order)
    test_order = np.arange(6)
    shuffler.shuffle(test_order)
    top = max(max(s) for s in x_train + x_test) + 3
    assert list(xa) == _reference_prepare([x_train[i] for i in order], 1, 3, top, 0, 2)
    np.testing.assert_array_equal(ya, y_train[order])
    np.testing.assert_array_equal(yb, y_test[test_order])
    (xa, _), (xb, _) = imdb.load_data(num_words=12, skip_top=5, start_char=None, oov_char=7,
                                      index_from=1)
    assert list(xb) == _reference_prepare([x_test[i] for i in test_order], None, 1, 12, 5, 7)
    (xa, _), _ = imdb.load_data(num_words=12, oov_char=None)
    assert all(all(w < 12 for w in s) for s in xa)
    assert list(xa) == _reference_prepare([x_train[i] for i in order], 1, 3, 12, 0, None)
    (xa, ya), (xb, yb) = imdb.load_data(maxlen=7)
    assert all(len(s) < 7 for s in list(xa) + list(xb)) and len(xa) == len(ya) < 10
    with pytest.raises(ValueError, match="no review is shorter than maxlen=1"):
        imdb.load_data(maxlen=1)


def test_imdb_hostile_object_array_is_refused(mirror, monkeypatch):
    arr = np.empty(1, dtype=object)
    arr[0] = _Exploit()
    data = files.npz(x_train=arr, y_train=np.zeros(1), x_test=arr, y_test=np.zeros(1))
    serve(mirror, monkeypatch, imdb, "imdb.npz", data)
    with pytest.raises(RefusedPickleError, match=r"imdb.load_data \(x_train.npy\): refusing to "
                                                 r"unpickle the global posix.system"):
        imdb.load_data()


def test_word_indexes(mirror, monkeypatch):
    raw = files.word_index(["the", "and", "a"])
    serve(mirror, monkeypatch, imdb, "imdb_word_index.json", raw, attr="WORD_INDEX_HASH")
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", files.hashlib.md5(raw).hexdigest())  # md5
    assert imdb.get_word_index() == {"the": 1, "and": 2, "a": 3}
    serve(mirror, monkeypatch, reuters, "reuters_word_index.json", raw, attr="WORD_INDEX_HASH")
    assert reuters.get_word_index()["a"] == 3
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"


def test_reuters_split_and_arguments(mirror, monkeypatch, rng):
    xs, ys = _sequences(rng, 20), rng.integers(0, 46, 20)
    serve(mirror, monkeypatch, reuters, "reuters.npz", files.npz(x=files.object_array(xs), y=ys))
    (xa, ya), (xb, yb) = reuters.load_data(test_split=0.25, num_words=15)
    assert len(xa) == 15 and len(xb) == 5 and xa.dtype == object
    order = np.arange(20)
    np.random.RandomState(113).shuffle(order)
    want = _reference_prepare([xs[i] for i in order], 1, 3, 15, 0, 2)
    assert list(xa) + list(xb) == want
    np.testing.assert_array_equal(np.concatenate([ya, yb]), ys[order])


@pytest.mark.parametrize("module, features, n", [(boston_housing, 13, 50),
                                                 (california_housing, 8, 40)])
def test_housing(mirror, monkeypatch, rng, module, features, n):
    x, y = rng.normal(size=(n, features)), rng.normal(size=n)
    name = f"{module.__name__.rsplit('.', 1)[1]}.npz"
    serve(mirror, monkeypatch, module, name, files.npz(x=x, y=y))
    (xa, ya), (xb, yb) = module.load_data(test_split=0.2, seed=3)
    order = np.arange(n)
    np.random.RandomState(3).shuffle(order)
    at = int(n * 0.8)
    np.testing.assert_array_equal(xa, x[order[:at]])
    np.testing.assert_array_equal(yb, y[order[at:]])
    assert xa.shape == (at, features) and xb.shape == (n - at, features) and ya.shape == (at,)
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\); got test_split=1"):
        module.load_data(test_split=1)


def test_california_small_version(mirror, monkeypatch, rng):
    x, y = rng.normal(size=(700, 8)), rng.normal(size=700)
    serve(mirror, monkeypatch, california_housing, "california_housing.npz", files.npz(x=x, y=y))
    (xa, _), (xb, _) = california_housing.load_data(version="small")
    assert len(xa) + len(xb) == 600
    with pytest.raises(ValueError, match="version must be 'small' or 'large'"):
        california_housing.load_data(version="medium")


def test_without_network_the_error_names_the_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DownloadError, match=rf"could not download file:///nonexistent-deltaw-test-"
                                            rf"mirror/boston_housing.npz .* put it at "
                                            rf"{tmp_path}/datasets/boston_housing.npz"):
        boston_housing.load_data()
