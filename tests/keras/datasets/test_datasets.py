"""Tests for the datasets shipped in deltaw.keras.datasets (no network, numpy and pytest only)."""

import gzip
import io
from importlib.resources import files

import numpy as np
import pytest

from deltaw.keras.datasets import breast_cancer, digits, iris, mnist

# module, file, header rows, seed, (n_train, n_test), example shape, class counts
TABULAR = [
    pytest.param(
        breast_cancer, "breast_cancer.csv", 1, 569, (455, 114), (30,), [212, 357], id="bc"
    ),
    pytest.param(iris, "iris.csv", 1, 150, (120, 30), (4,), [50, 50, 50], id="iris"),
    pytest.param(
        digits,
        "digits.csv.gz",
        0,
        1797,
        (1437, 360),
        (8, 8),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
        id="digits",
    ),
]
PARAMS = "module, name, skiprows, seed, sizes, shape, counts"


def _raw_table(name, skiprows, dtype=np.float64):
    """Parses a shipped file independently of the loaders, as rows with the label last."""
    raw = (files("deltaw.keras.datasets") / "data" / name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return np.loadtxt(io.StringIO(raw.decode()), delimiter=",", skiprows=skiprows, dtype=dtype)


def _sorted_rows(table):
    return table[np.lexsort(table.T[::-1])]


def _assert_partition(train, test, name, skiprows):
    """Train and test together are exactly the file's rows, each used once."""
    (x_train, y_train), (x_test, y_test) = train, test
    x = np.concatenate([x_train, x_test]).reshape(len(y_train) + len(y_test), -1)
    y = np.concatenate([y_train, y_test])
    ours = np.column_stack([x.astype(np.float64), y])
    ref = _raw_table(name, skiprows)
    ref[:, :-1] = ref[:, :-1].astype(x.dtype)  # same rounding as the loader
    np.testing.assert_array_equal(_sorted_rows(ours), _sorted_rows(ref))


@pytest.mark.parametrize(PARAMS, TABULAR)
def test_tabular_shapes_dtypes_and_labels(module, name, skiprows, seed, sizes, shape, counts):
    (x_train, y_train), (x_test, y_test) = module.load_data()
    assert (len(x_train), len(x_test)) == sizes
    assert x_train.shape[1:] == x_test.shape[1:] == shape
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert y_train.shape == (sizes[0],) and y_test.shape == (sizes[1],)
    y = np.concatenate([y_train, y_test])
    assert y.min() == 0 and y.max() == len(counts) - 1
    assert np.bincount(y).tolist() == counts


@pytest.mark.parametrize(PARAMS, TABULAR)
def test_tabular_split_is_a_fixed_partition(module, name, skiprows, seed, sizes, shape, counts):
    first, second = module.load_data(), module.load_data()
    for a, b in zip(first, second, strict=True):
        for array_a, array_b in zip(a, b, strict=True):
            np.testing.assert_array_equal(array_a, array_b)
    _assert_partition(*first, name, skiprows)


@pytest.mark.parametrize(PARAMS, TABULAR)
def test_split_is_the_documented_permutation(module, name, skiprows, seed, sizes, shape, counts):
    ref = _raw_table(name, skiprows)
    order = np.random.default_rng(seed).permutation(len(ref))
    for (x, y), rows in zip(
        module.load_data(), (order[: sizes[0]], order[sizes[0] :]), strict=True
    ):
        np.testing.assert_array_equal(x, ref[rows, :-1].astype(np.float32).reshape(-1, *shape))
        np.testing.assert_array_equal(y, ref[rows, -1])


def test_permutations_are_pinned():
    # The documented splits rely on default_rng's permutation stream; fail loudly if it changes.
    assert np.random.default_rng(569).permutation(569)[:6].tolist() == [
        192,
        334,
        442,
        533,
        133,
        225,
    ]
    assert np.random.default_rng(150).permutation(150)[:6].tolist() == [126, 27, 18, 3, 79, 22]
    assert np.random.default_rng(1797).permutation(1797)[:6].tolist() == [
        809,
        820,
        782,
        1228,
        1368,
        1099,
    ]
    assert np.random.default_rng(5000).permutation(5000)[:6].tolist() == [
        3362,
        4504,
        2397,
        3670,
        2300,
        834,
    ]


def test_breast_cancer_features_are_raw_and_labels_match_sklearn():
    (x_train, y_train), (x_test, y_test) = breast_cancer.load_data()
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    assert x.max() == 4254.0  # worst area, unscaled
    # Malignant tumours (0) are larger on average than benign ones (1).
    assert x[y == 0, 0].mean() > x[y == 1, 0].mean()


def test_digits_pixels_are_block_counts():
    (x_train, _), (x_test, _) = digits.load_data()
    x = np.concatenate([x_train, x_test])
    assert x.min() == 0 and x.max() == 16
    np.testing.assert_array_equal(x, np.round(x))


def test_returned_arrays_are_copies():
    (x_train, y_train), _ = iris.load_data()
    expected = x_train.copy()
    x_train[:] = -1
    y_train[:] = 7
    (x_again, y_again), _ = iris.load_data()
    np.testing.assert_array_equal(x_again, expected)
    assert y_again.max() <= 2


@pytest.fixture
def no_keras_cache(tmp_path, monkeypatch):
    """Points HOME at an empty directory and runs in it, so no mnist.npz can be found."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def test_mnist_falls_back_to_shipped_subset(no_keras_cache, capsys):
    train, test = mnist.load_data()
    out = capsys.readouterr().out
    expected_dir = no_keras_cache / ".keras" / "datasets"
    url = "file:///nonexistent-deltaw-test-mirror/mnist.npz"   # tests/conftest.py's mirror
    lines = out.splitlines()
    assert lines[0] == f"mnist: no mnist.npz in {expected_dir}; downloading it"
    assert lines[1] == f"Downloading data from {url}"
    assert lines[2].startswith(f"mnist: the download failed. get_file: could not download {url} (")
    assert lines[2].endswith(f"put it at {expected_dir / 'mnist.npz'}.")
    assert lines[3:] == [
        "mnist: using the shipped 5,000-image MNIST subset "
        f"(no mnist.npz found in {expected_dir})"
    ]
    (x_train, y_train), (x_test, y_test) = train, test
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [500] * 10
    assert x_train.max() == 255
    again = mnist.load_data()
    np.testing.assert_array_equal(again[1][0], x_test)
    np.testing.assert_array_equal(again[1][1], y_test)
    # The documented split: permutation by default_rng(5000), first 4,000 train, last 1,000 test.
    ref = _raw_table("mnist_5k.csv.gz", 0, dtype=np.uint8)
    order = np.random.default_rng(5000).permutation(5000)
    for (x, y), rows in zip((train, test), (order[:4000], order[4000:]), strict=True):
        np.testing.assert_array_equal(x.reshape(len(x), -1), ref[rows, :-1])
        np.testing.assert_array_equal(y, ref[rows, -1])


def _write_npz(path, n_train=3, n_test=2):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    np.savez(path, **arrays)
    return arrays


def _assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for key, value in zip(
        ("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test), strict=True
    ):
        np.testing.assert_array_equal(value, arrays[key])
        assert value.dtype == arrays[key].dtype


def test_mnist_reads_a_user_given_npz(no_keras_cache, tmp_path, capsys):
    path = tmp_path / "tiny_mnist.npz"
    arrays = _write_npz(path)
    _assert_loaded(mnist.load_data(str(path)), arrays)
    assert capsys.readouterr().out == f"mnist: using {path}\n"
    _assert_loaded(mnist.load_data(path), arrays)  # a pathlib.Path works too


def test_mnist_reads_the_keras_cache(no_keras_cache, capsys):
    cache = no_keras_cache / ".keras" / "datasets"
    cache.mkdir(parents=True)
    arrays = _write_npz(cache / "mnist.npz")
    _assert_loaded(mnist.load_data(), arrays)
    assert capsys.readouterr().out == f"mnist: using {cache / 'mnist.npz'}\n"


def test_mnist_honours_keras_home(no_keras_cache, tmp_path, monkeypatch, capsys):
    keras_home = tmp_path / "keras_home"
    (keras_home / "datasets").mkdir(parents=True)
    arrays = _write_npz(keras_home / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    _assert_loaded(mnist.load_data(), arrays)
    assert capsys.readouterr().out == f"mnist: using {keras_home / 'datasets' / 'mnist.npz'}\n"


def test_mnist_npz_missing_keys_raises(no_keras_cache, tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros((1, 28, 28), np.uint8), y_train=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match=r"mnist.load_data: '.*bad.npz' lacks x_test, y_test; "):
        mnist.load_data(path)
