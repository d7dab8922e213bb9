"""Keras utilities: `to_categorical`, `set_random_seed`, `normalize`, and object naming.

These are the `keras.utils` functions that tf.keras programs call most. Array work here is plain
NumPy: the results are data, not part of any graph.
"""

from __future__ import annotations

import random as _py_random
import re

import numpy as np

from deltaw import random as _dw_random

__all__ = ["normalize", "set_random_seed", "to_categorical"]


def to_categorical(x, num_classes=None):
    """Convert a vector of class indices to a one-hot matrix, as `keras.utils.to_categorical`.

    A trailing axis of size 1 is dropped first, so labels of shape `(n, 1)` give `(n, C)`.

    Args:
        x: Array-like of non-negative integer class indices.
        num_classes: Number of classes C. Defaults to `max(x) + 1`.

    Returns:
        A float32 NumPy array of shape `x.shape + (num_classes,)` (after the squeeze above).
        Keras 3 returns float64 here; deltaw returns float32 (tf.keras 2's default) so that
        one-hot targets never pull a float32 model's loss up to float64.

    Raises:
        ValueError: if a label is negative, not an integer, or not below `num_classes`.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if arr.dtype.kind == "f":
        bad = arr[~np.isfinite(arr) | (np.nan_to_num(arr) != np.round(np.nan_to_num(arr)))]
        if bad.size:
            raise ValueError(f"to_categorical: labels must be integers; got {bad.flat[0]}.")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: labels must be integers; got dtype {arr.dtype}.")
    arr = arr.astype(np.int64)
    shape = arr.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = arr.reshape(-1)
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative; got {int(flat.min())}.")
    if not num_classes:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    num_classes = int(num_classes)
    if flat.size and flat.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(flat.max())} is out of range; expected "
                         f"labels in [0, {num_classes}), got num_classes={num_classes}.")
    out = np.zeros((flat.size, num_classes), dtype=np.float32)
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale `x` to unit `order`-norm along `axis` (zero vectors stay zero), as Keras.

    Args:
        x: Array-like.
        axis: Axis along which to normalize.
        order: Norm order (2 for L2).

    Returns:
        A NumPy array of `x`'s shape (float32 unless `x` is float64).
    """
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    norm = np.atleast_1d(np.linalg.norm(arr, order, axis))
    norm[norm == 0] = 1
    return arr / np.expand_dims(norm, axis)


def set_random_seed(seed):
    """Seed every generator a training run uses: deltaw's, NumPy's legacy one and Python's.

    Args:
        seed: Non-negative int.

    Raises:
        ValueError: if `seed` is not a non-negative int.
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int; got {seed!r}.")
    _py_random.seed(int(seed))
    _dw_random.seed(int(seed))


# ----- naming (shared by optimizers and metrics; Keras' auto_name)
_uids: dict[str, int] = {}


def _to_snake_case(name: str) -> str:
    """'BatchNormalization' -> 'batch_normalization' (Keras' rule for automatic names).

    Example:
        >>> _to_snake_case("Conv2DTranspose"), _to_snake_case("LSTM")
        ('conv2d_transpose', 'lstm')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(class_name: str) -> str:
    """'Adam' -> 'adam', then 'adam_1', 'adam_2', ... as Keras names unnamed objects."""
    prefix = _to_snake_case(class_name)
    count = _uids.get(prefix, 0)
    _uids[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"
