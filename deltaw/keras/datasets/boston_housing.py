"""Boston housing prices (Harrison and Rubinfeld, 1978), downloaded from Keras' origin.

506 census tracts of Boston, 13 attributes each, with the median home value in k$ as the
target. The file is Keras' `boston_housing.npz` (arrays `x`, `y`), checked against Keras' sha256.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.datasets._remote import KERAS_BASE, fetch
from deltaw.keras.datasets._split import check_test_split, shuffled_indices, train_test

__all__ = ["load_data"]

ORIGIN = KERAS_BASE + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing dataset, as `keras.datasets.boston_housing.load_data`.

    Args:
        path: File name in the cache (`~/.keras/datasets/`).
        test_split: Fraction of the examples kept for testing, in [0, 1).
        seed: Seed of the shuffle made before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` float64 of shape `(n, 13)`, `y` float64 of
        shape `(n,)`; 404 training and 102 test examples with the defaults.

    Raises:
        ValueError: `test_split` out of range, or a corrupted download.
        DownloadError: the file is not cached and cannot be downloaded.
    """
    check_test_split("boston_housing.load_data", test_split)
    file = fetch(path, ORIGIN, FILE_HASH)
    with np.load(file, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = shuffled_indices(len(x), seed)
    return train_test(x[order], y[order], test_split)
