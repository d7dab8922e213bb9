"""Reading CIFAR's Python batches (pickled dicts) without running pickled code."""

from __future__ import annotations

import numpy as np

from deltaw.io.pickled_arrays import load_pickle

__all__ = ["load_batch", "to_image_format"]


def load_batch(fpath, label_key="labels"):
    """Reads one CIFAR batch file: `(data, labels)` with data uint8 of shape `(n, 3, 32, 32)`.

    The file is a Python 2 pickle of a dict with the keys `data` (a uint8 array `(n, 3072)`),
    the label lists (`labels`, or `fine_labels` and `coarse_labels` in CIFAR-100),
    `batch_label` and `filenames`. It is read by `deltaw.io.pickled_arrays.load_pickle`, which
    refuses any pickle that names more than NumPy's array pieces.

    Raises:
        RefusedPickleError: the file is not such a pickle.
        ValueError: the dict lacks `data` or `label_key`, or the sizes disagree.
    """
    with open(fpath, "rb") as f:
        batch = load_pickle(f, where=f"cifar.load_batch({fpath})", encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"cifar.load_batch: {fpath} holds a {type(batch).__name__}; expected a "
                         "dict of arrays and lists.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    missing = [key for key in ("data", label_key) if key not in batch]
    if missing:
        raise ValueError(f"cifar.load_batch: {fpath} lacks {', '.join(missing)}; expected the keys "
                         f"data and {label_key}, got {', '.join(sorted(map(str, batch)))}.")
    data, labels = batch["data"], batch[label_key]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or data.shape[0] != len(labels):
        raise ValueError(f"cifar.load_batch: {fpath} has data of shape "
                         f"{getattr(data, 'shape', None)} and {len(labels)} labels; expected "
                         "(n, 3072) and n labels.")
    return data.reshape(len(data), 3, 32, 32), labels


def to_image_format(x):
    """Channels-first batches as the configured `image_data_format` wants them."""
    from deltaw.keras.backend import image_data_format

    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x
