"""CIFAR-100 (Krizhevsky, 2009), downloaded from its authors' site as Keras does.

60,000 32x32 colour images in 100 fine classes grouped into 20 coarse superclasses. The archive
`cifar-100-python.tar.gz` holds a `train` and a `test` batch, pickled dicts read by a restricted
unpickler.
"""

from __future__ import annotations

import os

import numpy as np

from deltaw.keras.datasets._remote import CIFAR_BASE, fetch
from deltaw.keras.datasets.cifar import load_batch, to_image_format

__all__ = ["load_data"]

ORIGIN = CIFAR_BASE + "cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Loads CIFAR-100, as `keras.datasets.cifar100.load_data`.

    Args:
        label_mode: `"fine"` for the 100 classes, `"coarse"` for the 20 superclasses.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 of shape `(n, 32, 32, 3)` (or
        channels first, as `image_data_format()` says), `y` of shape `(n, 1)` with values
        0..99 (0..19 for coarse labels); 50,000 training and 10,000 test images. `y` is int64,
        as Keras returns it (a list of Python ints reshaped).

    Raises:
        ValueError: `label_mode` is neither, a corrupted download, or batches of the wrong form.
        RefusedPickleError: a batch file is a pickle of anything but arrays and lists.
        DownloadError: the archive is not cached and cannot be downloaded.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError("cifar100.load_data: label_mode must be 'fine' or 'coarse'; got "
                         f"label_mode={label_mode!r}.")
    folder = fetch("cifar-100-python-target", ORIGIN, FILE_HASH, extract=True)
    folder = os.path.join(folder, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=key)
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (to_image_format(x_train), y_train), (to_image_format(x_test), y_test)
