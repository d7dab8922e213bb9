"""California housing prices (Pace and Barry, 1997), downloaded from Keras' origin.

20,640 census block groups of the 1990 census, 8 attributes each (median income, house age,
rooms, bedrooms, population, occupancy, latitude, longitude), with the median house value in
dollars as the target. The file is Keras' `california_housing.npz` (arrays `x`, `y`).
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.datasets._remote import KERAS_BASE, fetch
from deltaw.keras.datasets._split import check_test_split, shuffled_indices, train_test

__all__ = ["load_data"]

ORIGIN = KERAS_BASE + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing dataset, as `keras.datasets.california_housing.load_data`.

    Args:
        version: `"large"` for all 20,640 examples, `"small"` for the first 600.
        path: File name in the cache (`~/.keras/datasets/`).
        test_split: Fraction of the examples kept for testing, in [0, 1).
        seed: Seed of the shuffle made before splitting.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` of shape `(n, 8)` and `y` of shape `(n,)`,
        with the dtypes stored in Keras' file; 16,512 and 4,128 examples with the defaults.

    Raises:
        ValueError: `test_split` or `version` out of range, or a corrupted download.
        DownloadError: the file is not cached and cannot be downloaded.
    """
    where = "california_housing.load_data"
    check_test_split(where, test_split)
    if version not in ("small", "large"):
        raise ValueError(f"{where}: version must be 'small' or 'large'; got version={version!r}.")
    file = fetch(path, ORIGIN, FILE_HASH)
    with np.load(file, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    order = shuffled_indices(len(x), seed)
    return train_test(x[order], y[order], test_split)
