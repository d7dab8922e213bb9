"""Optical recognition of handwritten digits (8x8), shipped with deltaw (no download).

1,797 handwritten digits 0-9 from the UCI dataset of Alpaydin and Kaynak. Each 32x32 bitmap was
divided into non-overlapping 4x4 blocks and the "on" pixels of each block counted, giving an 8x8
image of integers 0..16. The file is scikit-learn's `digits.csv.gz` (the UCI test set); see
`data/LICENSES.md` for sources and licences.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.datasets._data import load_xy, split

__all__ = ["load_data"]

_SEED = 1797


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the 8x8 handwritten digits dataset with a fixed train/test split.

    Pixel values are the block counts 0..16 as stored, as float32; divide by 16 to scale them
    to [0, 1]. Labels are the digits 0..9 (174 to 183 examples each).

    The split is fixed: `np.random.default_rng(1797).permutation(1797)`, whose first 1437
    indices give the training set and last 360 (`ceil(0.2 * 1797)`) the test set. It is not
    stratified. Each call returns new arrays, so they may be modified freely.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` float32 of shape `(n, 8, 8)`, `y` int64 of
        shape `(n,)` with values 0..9; `n` is 1437 for train and 360 for test.

    Example:
        >>> from deltaw.keras.datasets import digits
        >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
        >>> x_train.shape, x_test.shape, x_train.dtype, y_train.dtype
        ((1437, 8, 8), (360, 8, 8), dtype('float32'), dtype('int64'))
    """
    x, y = load_xy(
        "digits.csv.gz", skiprows=0, x_dtype=np.float32, y_dtype=np.int64, x_shape=(8, 8)
    )
    return split(x, y, seed=_SEED)
