"""Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017), downloaded from Keras' origin.

70,000 28x28 grayscale images of 10 kinds of clothing, in the IDX format of the original MNIST
files (gzip-compressed): an 8-byte header before the labels, a 16-byte header before the
images. The copyright of Fashion-MNIST is held by Zalando SE (MIT licence).
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from deltaw.keras.datasets._remote import KERAS_BASE, fetch

__all__ = ["load_data"]

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
# Keras checks no hash for these files; a mapping from file name to sha256 may be set here.
FILE_HASHES: dict[str, str] = {}


def _read_idx(path, offset, magic, shape):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < offset or int.from_bytes(raw[:4], "big") != magic:
        raise ValueError(f"fashion_mnist.load_data: {path} is not an IDX file; expected the magic "
                         f"number {magic}, got {int.from_bytes(raw[:4], 'big')}.")
    data = np.frombuffer(raw, np.uint8, offset=offset)
    return data.reshape(-1, *shape) if shape else data


def load_data():
    """Loads Fashion-MNIST, as `keras.datasets.fashion_mnist.load_data`.

    Labels: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
    7 sneaker, 8 bag, 9 ankle boot. The files are cached in `~/.keras/datasets/fashion-mnist/`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 of shape `(n, 28, 28)`, `y` uint8 of
        shape `(n,)`; 60,000 training and 10,000 test images.

    Raises:
        ValueError: a downloaded file is not in the IDX format.
        DownloadError: a file is not cached and cannot be downloaded.
    """
    paths = [fetch(name, KERAS_BASE + name, FILE_HASHES.get(name),
                   cache_subdir=os.path.join("datasets", "fashion-mnist")) for name in FILES]
    y_train = _read_idx(paths[0], 8, 2049, ())
    x_train = _read_idx(paths[1], 16, 2051, (28, 28))
    y_test = _read_idx(paths[2], 8, 2049, ())
    x_test = _read_idx(paths[3], 16, 2051, (28, 28))
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if len(x) != len(y):
            raise ValueError(f"fashion_mnist.load_data: {len(x)} images but {len(y)} labels; "
                             "expected as many of each.")
    return (x_train, y_train), (x_test, y_test)
