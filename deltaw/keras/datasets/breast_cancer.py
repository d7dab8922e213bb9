"""Breast Cancer Wisconsin (Diagnostic) dataset, shipped with deltaw (no download).

569 fine-needle-aspirate images of breast masses, each described by 30 real-valued features of
the cell nuclei (the mean, standard error and "worst" value of ten measurements such as radius,
texture and concavity). The file is scikit-learn's `breast_cancer.csv`, a copy of the UCI data
of Wolberg, Street and Mangasarian; see `data/LICENSES.md` for sources and licences.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.datasets._data import load_xy, split

__all__ = ["load_data"]

_SEED = 569


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Breast Cancer Wisconsin (Diagnostic) dataset with a fixed train/test split.

    The features are the raw measurements, not scaled: they range from about 0.001 to 4254, so
    standardize them (with statistics from `x_train` only) before training. Labels follow
    scikit-learn: 0 = malignant (212 examples), 1 = benign (357 examples).

    The split is fixed: `np.random.default_rng(569).permutation(569)`, whose first 455 indices
    give the training set and last 114 (`ceil(0.2 * 569)`) the test set. It is not stratified.
    Each call returns new arrays, so they may be modified freely.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` float32 of shape `(n, 30)`, `y` int64 of
        shape `(n,)` with values 0 and 1; `n` is 455 for train and 114 for test.

    Example:
        >>> from deltaw.keras.datasets import breast_cancer
        >>> (x_train, y_train), (x_test, y_test) = breast_cancer.load_data()
        >>> x_train.shape, x_test.shape, x_train.dtype, y_train.dtype
        ((455, 30), (114, 30), dtype('float32'), dtype('int64'))
    """
    x, y = load_xy(
        "breast_cancer.csv", skiprows=1, x_dtype=np.float32, y_dtype=np.int64, x_shape=(30,)
    )
    return split(x, y, seed=_SEED)
