"""Datasets of batches that `fit` consumes: `timeseries_dataset_from_array`, `split_dataset`, and
the base shared with `image_dataset_from_directory` and `text_dataset_from_directory`.

Keras builds these as `tf.data.Dataset`s. deltaw has no tf.data: each function returns a
`BatchDataset`, a `keras.utils.PyDataset` of NumPy batches that `fit`, `evaluate` and `predict`
take directly, that can be iterated (`for x, y in ds:`), and that offers the few `tf.data`
methods tutorials chain onto these datasets: `take`, `batch`, `map`, `prefetch`, `cache`,
`as_numpy_iterator`.
"""

from __future__ import annotations

import numpy as np

from deltaw.keras.utils.py_dataset import PyDataset

__all__ = ["BatchDataset", "split_dataset", "timeseries_dataset_from_array"]


def _stack(items):
    """A batch from a list of samples: tuples are stacked element-wise, arrays along a new axis."""
    first = items[0]
    if isinstance(first, tuple):
        return tuple(_stack([item[i] for item in items]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack([item[key] for item in items]) for key in first}
    return np.stack([np.asarray(item) for item in items])


class BatchDataset(PyDataset):
    """A dataset of `num_samples` samples, `get(i)` each, served in batches of `batch_size`.

    Args:
        num_samples: Number of samples.
        get: Function `index -> sample` (an array, or a tuple of arrays such as `(x, y)`).
        batch_size: Samples per batch; None serves single samples (no batch axis), as Keras'
            `batch_size=None`.
        shuffle: Visit the samples in a new random order each epoch (after the first).
        seed: Seed of that order.
        order: Initial order of the samples (default: 0..num_samples-1).
    """

    def __init__(self, num_samples, get, batch_size=None, shuffle=False, seed=None, order=None):
        super().__init__()
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"BatchDataset: batch_size must be a positive int or None; got "
                             f"batch_size={batch_size!r}.")
        self._n, self._get, self.batch_size = int(num_samples), get, batch_size
        self._order = np.arange(self._n) if order is None else np.asarray(order)
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        if self.batch_size is None:
            return self._n
        return -(-self._n // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"BatchDataset: batch index {index} is out of range for a dataset of "
                             f"{len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            return self._get(int(self._order[index]))
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return _stack([self._get(int(i)) for i in rows])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(self._order)

    # ----- the tf.data methods tutorials use on these datasets
    def take(self, count):
        """The first `count` batches, as a list."""
        return [self[i] for i in range(min(int(count), len(self)))]

    def batch(self, batch_size):
        """The same samples in batches of `batch_size` (for a dataset of single samples)."""
        if self.batch_size is not None:
            raise ValueError(f"BatchDataset.batch: the dataset is already batched (batch_size="
                             f"{self.batch_size}); expected a dataset made with batch_size=None.")
        out = BatchDataset(self._n, self._get, batch_size, self._shuffle, order=self._order)
        out._rng = self._rng
        _copy_attributes(self, out)
        return out

    def map(self, fn):
        """A dataset whose items are `fn(*item)` for tuple items, else `fn(item)`."""
        return _MappedDataset(self, fn)

    def prefetch(self, buffer_size=None):
        """Returns the dataset itself: batches are made when asked for."""
        return self

    def cache(self, filename=""):
        """Returns the dataset itself (files are read again each epoch)."""
        return self

    def as_numpy_iterator(self):
        return iter(self)


def _copy_attributes(src, dst):
    for name in ("class_names", "file_paths"):
        if hasattr(src, name):
            setattr(dst, name, getattr(src, name))


class _MappedDataset(PyDataset):
    def __init__(self, base, fn):
        super().__init__()
        self._base, self._fn = base, fn
        _copy_attributes(base, self)

    def __len__(self):
        return len(self._base)

    def __getitem__(self, index):
        item = self._base[index]
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def on_epoch_begin(self):
        self._base.on_epoch_begin()

    def on_epoch_end(self):
        self._base.on_epoch_end()

    take, map, prefetch, cache, as_numpy_iterator = (
        BatchDataset.take, BatchDataset.map, BatchDataset.prefetch, BatchDataset.cache,
        BatchDataset.as_numpy_iterator)


# ----------------------------------------------------------------------------- time series
def _check_below(where, name, value, length):
    if value >= length:
        raise ValueError(f"{where}: {name} must be lower than the length of the data ({length}); "
                         f"got {name}={value}.")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Sliding windows over a series, as `keras.utils.timeseries_dataset_from_array`.

    Window `i` starts at `start_index + p_i`, with `p_i = i * sequence_stride`, and holds
    `data[start + p_i + k * sampling_rate]` for `k < sequence_length`; its target is
    `targets[start_index + p_i]`. Only windows that end before `end_index` are made.

    Args:
        data: Array (or list) of time steps, axis 0 the time axis.
        targets: Targets per time step (same length as `data` or less), or None.
        sequence_length: Time steps per window.
        sequence_stride: Steps between the starts of two windows.
        sampling_rate: Steps between two time steps of a window.
        batch_size: Windows per batch; None gives single windows.
        shuffle: Shuffle the windows (`np.random.RandomState(seed).shuffle` of the starts, as
            Keras; Keras' further tf.data shuffle buffer is not reproduced).
        seed: Seed of the shuffle.
        start_index, end_index: Use `data[start_index:end_index]` only.

    Returns:
        A `BatchDataset` of `(windows, targets)` batches (or windows alone when `targets` is
        None); windows have shape `(batch, sequence_length, *data.shape[1:])`.

    Raises:
        ValueError: a bound or stride out of range (Keras' checks).

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
        ...                                    sequence_stride=3, batch_size=2)
        >>> [b.tolist() for b in ds]
        [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8]]]
    """
    where = "timeseries_dataset_from_array"
    data = np.asarray(data)
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"{where}: start_index must be 0 or greater; got "
                             f"start_index={start_index}.")
        _check_below(where, "start_index", start_index, n)
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"{where}: end_index must be higher than start_index; got "
                             f"start_index={start_index}, end_index={end_index}.")
        _check_below(where, "end_index", end_index, n)
        if end_index <= 0:
            raise ValueError(f"{where}: end_index must be higher than 0; got "
                             f"end_index={end_index}.")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"{where}: {name} must be higher than 0; got {name}={value}.")
        _check_below(where, name, value, n)
    start = start_index or 0
    stop = end_index if end_index is not None else n
    num_seqs = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(int(1e6))
        np.random.RandomState(seed).shuffle(positions)
    window = np.arange(sequence_length) * sampling_rate
    series = data[start:stop]
    labels = None if targets is None else targets[start:stop]

    def get(i):
        p = positions[i]
        return series[p + window] if labels is None else (series[p + window], labels[p])

    return BatchDataset(len(positions), get, batch_size)


# ----------------------------------------------------------------------------- splitting
def _split_sizes(left_size, right_size, total):
    """Keras' rules: ints are counts, floats fractions (rounded); one side may be None."""
    where = "split_dataset"
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"{where}: {name} must be an int, a float or None; got "
                            f"{type(size).__name__}.")
        if (type(size) is int and not 0 < size < total) or (type(size) is float
                                                             and not 0 < size < 1):
            raise ValueError(f"{where}: {name} must be a positive int below {total} or a float "
                             f"in (0, 1); got {name}={size}.")
    if left_size is None and right_size is None:
        raise ValueError(f"{where}: at least one of left_size and right_size must be given; got "
                         "both None.")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"{where}: left_size + right_size must be at most 1; got "
                         f"{left_size} + {right_size}.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ValueError(f"{where}: a dataset of {total} samples split into left={left} and "
                         f"right={right}; expected two non-empty parts that fit.")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits samples into two datasets, as `keras.utils.split_dataset`.

    Args:
        dataset: An array, a tuple or list of arrays with a common first axis (e.g. `(x, y)`), or
            a `BatchDataset` made with `batch_size=None` (single samples).
        left_size, right_size: Size of each part: an int count or a float fraction (rounded);
            one may be None to take the rest.
        shuffle: Shuffle the samples before splitting.
        seed: Seed of the shuffle.

    Returns:
        `(left, right)`: two `BatchDataset`s of single samples; call `.batch(n)` on them to
        train (as with Keras' `tf.data` result).

    Example:
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> len(left), len(right), [int(v) for v in right]
        (8, 2, [8, 9])
    """
    if isinstance(dataset, BatchDataset):
        if dataset.batch_size is not None:
            raise ValueError("split_dataset: expected a dataset of single samples; got one in "
                             f"batches of {dataset.batch_size}. Make it with batch_size=None.")
        total, get = len(dataset), dataset.__getitem__
    elif isinstance(dataset, list | tuple):
        arrays = [np.asarray(a) for a in dataset]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"split_dataset: the arrays must have the same length; got lengths "
                             f"{[len(a) for a in arrays]}.")
        total = lengths.pop()
        get = lambda i: tuple(a[i] for a in arrays)   # noqa: E731
    else:
        array = np.asarray(dataset)
        total, get = len(array), array.__getitem__
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    left_part = BatchDataset(left, lambda i: get(int(order[i])))
    right_part = BatchDataset(right, lambda i: get(int(order[left + i])))
    return left_part, right_part
