"""Fisher's iris dataset, shipped with deltaw (no download).

150 iris flowers, 50 from each of three species, described by four measurements in cm: sepal
length, sepal width, petal length and petal width. The file is scikit-learn's `iris.csv`, which
follows Fisher's (1936) paper; see `data/LICENSES.md` for sources and licences.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.datasets._data import load_xy, split

__all__ = ["load_data"]

_SEED = 150


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the iris dataset with a fixed train/test split.

    Labels: 0 = setosa, 1 = versicolor, 2 = virginica (50 examples each). The features are the
    raw measurements in cm, not scaled.

    The split is fixed: `np.random.default_rng(150).permutation(150)`, whose first 120 indices
    give the training set and last 30 (`0.2 * 150`) the test set. It is not stratified, so the
    classes are only roughly balanced within each part. Each call returns new arrays, so they
    may be modified freely.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` float32 of shape `(n, 4)`, `y` int64 of
        shape `(n,)` with values 0, 1 and 2; `n` is 120 for train and 30 for test.

    Example:
        >>> from deltaw.keras.datasets import iris
        >>> (x_train, y_train), (x_test, y_test) = iris.load_data()
        >>> x_train.shape, x_test.shape, x_train.dtype, y_train.dtype
        ((120, 4), (30, 4), dtype('float32'), dtype('int64'))
    """
    x, y = load_xy("iris.csv", skiprows=1, x_dtype=np.float32, y_dtype=np.int64, x_shape=(4,))
    return split(x, y, seed=_SEED)
