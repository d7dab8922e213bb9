"""Keras' shuffled split of the downloaded tabular and sequence datasets."""

from __future__ import annotations

import numpy as np

__all__ = ["check_test_split", "shuffled_indices", "train_test"]


def check_test_split(where: str, test_split) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"{where}: test_split must be in [0, 1); got test_split={test_split}.")


def shuffled_indices(n: int, seed) -> np.ndarray:
    """Keras' order: `np.random.RandomState(seed).shuffle(np.arange(n))`."""
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)
    return indices


def train_test(x, y, test_split):
    """The first `int(n * (1 - test_split))` rows for training, the rest for testing (copies)."""
    at = int(len(x) * (1 - test_split))
    return (np.array(x[:at]), np.array(y[:at])), (np.array(x[at:]), np.array(y[at:]))
