"""CIFAR-10 (Krizhevsky, 2009), downloaded from its authors' site as Keras does.

60,000 32x32 colour images in 10 classes (airplane, automobile, bird, cat, deer, dog, frog,
horse, ship, truck). The archive `cifar-10-python.tar.gz` holds five training batches and one
test batch of 10,000 images each, as pickled dicts read by a restricted unpickler.
"""

from __future__ import annotations

import os

import numpy as np

from deltaw.keras.datasets._remote import CIFAR_BASE, fetch
from deltaw.keras.datasets.cifar import load_batch, to_image_format

__all__ = ["load_data"]

ORIGIN = CIFAR_BASE + "cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Loads CIFAR-10, as `keras.datasets.cifar10.load_data`.

    The archive is cached as `~/.keras/datasets/cifar-10-batches-py-target_archive` and
    extracted beside it (Keras' names).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 of shape `(n, 32, 32, 3)` (or
        `(n, 3, 32, 32)` with `image_data_format() == "channels_first"`), `y` uint8 of shape
        `(n, 1)` with values 0..9; 50,000 training and 10,000 test images.

    Raises:
        ValueError: a corrupted download, or batches of the wrong form.
        RefusedPickleError: a batch file is a pickle of anything but arrays and lists.
        DownloadError: the archive is not cached and cannot be downloaded.
    """
    folder = fetch("cifar-10-batches-py-target", ORIGIN, FILE_HASH, extract=True)
    folder = os.path.join(folder, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype(np.uint8, copy=False)
    y_train = np.concatenate([np.asarray(y, np.uint8) for _, y in parts]).reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    y_test = np.asarray(y_test, np.uint8).reshape(-1, 1)
    return ((to_image_format(x_train), y_train),
            (to_image_format(x_test.astype(np.uint8, copy=False)), y_test))
