"""Turn what users pass to fit/evaluate/predict into data the epoch iterator can batch.

Accepted data, as in Keras 3:

- NumPy arrays, deltaw Tensors, nested Python lists of numbers (one array);
- lists or tuples of arrays (one per model input or output), dicts of arrays keyed by input or
  output name;
- Python generators or other iterators of batches `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`,
  used with `steps_per_epoch` (or run until exhausted);
- a `keras.utils.PyDataset` (or `Sequence`): batches read by index, a full pass each epoch.

Arrays are validated and converted once, up front: floating arrays become float32 (the layers'
dtype), so no conversion happens per batch; integer and bool arrays keep their dtype (labels,
token ids). `validation_split` takes the LAST fraction of the samples, before any shuffling.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from deltaw._checks import truncate
from deltaw.dtypes import DEFAULT_FLOAT
from deltaw.tensor import Tensor

__all__ = [
    "ArrayData",
    "GeneratorData",
    "SequenceData",
    "adapt",
    "adapt_validation_data",
    "check_finite",
    "class_weight_to_sample_weights",
    "make_fit_data",
    "pack_x_y_sample_weight",
    "split_validation",
    "unpack_x_y_sample_weight",
]


# ----------------------------------------------------------------------------- batch tuples
def unpack_x_y_sample_weight(data):
    """Split a batch `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` into three values.

    The helper to use in an overridden `train_step`/`test_step` (as `keras.utils.
    unpack_x_y_sample_weight`). A list is treated like a tuple.

    Returns:
        `(x, y, sample_weight)`, with None for the parts that are absent.

    Example:
        >>> unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"unpack_x_y_sample_weight: expected a batch x, (x,), (x, y) or "
                     f"(x, y, sample_weight); got a tuple of {len(data)} elements.")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch Keras builds: `x` (`(x,)` for a list/tuple `x`), `(x, y)` or `(x, y, sw)`.

    Example:
        >>> pack_x_y_sample_weight(1, 2)
        (1, 2)
    """
    if y is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


# ----------------------------------------------------------------------------- structures
def _map(fn, value):
    """Apply `fn` to every leaf of a structure of lists, tuples and dicts (None passes through)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_map(fn, v) for v in value)
    return fn(value)


def _leaves(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _is_array_like(value) -> bool:
    return isinstance(value, np.ndarray | Tensor) or hasattr(value, "__array__")


def _is_structure(value) -> bool:
    """A list/tuple of arrays (or dicts) is several inputs; a list of numbers or lists is one."""
    return isinstance(value, list | tuple) and any(
        _is_array_like(v) or isinstance(v, dict) for v in value)


def _to_array(value, where: str, name: str, strings: bool = False) -> np.ndarray:
    arr = value.data if isinstance(value, Tensor) else value
    if not isinstance(arr, np.ndarray):
        try:
            arr = np.asarray(arr)
        except (ValueError, TypeError) as e:   # ragged lists
            raise ValueError(f"{where}: {name} cannot be converted to an array; expected a "
                             f"rectangular array of numbers; got {type(value).__name__} "
                             f"({e}).") from None
    # inputs may be strings (they feed lookup and hashing layers); targets and weights may not
    if arr.dtype.kind not in ("fiubU" if strings else "fiub"):
        raise TypeError(f"{where}: {name} has dtype {arr.dtype}, which is not numeric; expected "
                        "an array of numbers (float, int or bool).")
    if arr.ndim == 0:
        raise ValueError(f"{where}: {name} must have a leading batch axis; expected an array of "
                         f"shape (num_samples, ...), got a scalar.")
    if arr.dtype.kind == "f" and arr.dtype != DEFAULT_FLOAT and arr.dtype.itemsize > 4:
        arr = arr.astype(DEFAULT_FLOAT)   # once, here, never per batch
    return arr


def _convert(value, where: str, name: str, strings: bool = False):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _convert(v, where, f"{name}[{k!r}]", strings) for k, v in value.items()}
    if _is_structure(value):
        items = [_convert(v, where, f"{name}[{i}]", strings) for i, v in enumerate(value)]
        return items[0] if len(items) == 1 else type(value)(items)
    return _to_array(value, where, name, strings)


def _named_leaves(value, name):
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _named_leaves(v, f"{name}[{k!r}]")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _named_leaves(v, f"{name}[{i}]")]
    return [] if value is None else [(name, value)]


# ----------------------------------------------------------------------------- class weights
def class_weight_to_sample_weights(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights from a `{class: weight}` dict, with Keras 3's rule.

    The class of a sample is `argmax` of a one-hot (or probability) row, the value itself for a
    1-D or `(n, 1)` label, rounded to the nearest integer. Classes missing from the dict get 1.0.
    """
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else y[..., 0]
    labels = np.round(y).astype(np.int64).reshape(len(y), -1)[:, 0]
    weights = np.ones(len(labels), dtype=DEFAULT_FLOAT)
    for cls, w in class_weight.items():
        weights[labels == int(cls)] = w
    return weights


# ----------------------------------------------------------------------------- array data
class ArrayData:
    """`x`, `y` and `sample_weight` held as arrays (or flat structures of arrays).

    `take(index)` slices every array with one index (a slice or an int array) and returns the
    Keras batch tuple; for a single-array `x` and `y` that is two NumPy indexing operations.
    """

    def __init__(self, x, y, sample_weight, num_samples: int):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = num_samples
        self._tx, self._ty, self._tw = _taker(x), _taker(y), _taker(sample_weight)

    def take(self, index):
        """The batch `x`, `(x, y)` or `(x, y, sample_weight)` at `index`."""
        x = self._tx(index)
        if self._ty is None:
            return (x,) if isinstance(x, list | tuple) else x
        if self._tw is None:
            return (x, self._ty(index))
        return (x, self._ty(index), self._tw(index))

    def split(self, at: int) -> tuple[ArrayData, ArrayData]:
        """The samples before `at` and from `at` on, as two ArrayData (views, not copies)."""
        head = _map(lambda a: a[:at], (self.x, self.y, self.sample_weight))
        tail = _map(lambda a: a[at:], (self.x, self.y, self.sample_weight))
        return ArrayData(*head, at), ArrayData(*tail, self.num_samples - at)


def _take(array, index):
    # ndarray.take is about 3x faster than fancy indexing for a batch of rows
    return array[index] if type(index) is slice else array.take(index, axis=0)


def _taker(value):
    """A function index -> the structure sliced at index; cheap for a single array."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return lambda index: value[index] if type(index) is slice else value.take(index, axis=0)
    return lambda index: _map(lambda a: _take(a, index), value)


class GeneratorData:
    """Batches drawn from a Python generator or iterator; the first batch is peeked for checks."""

    num_samples = None

    def __init__(self, iterator, where: str):
        self._iterator = iter(iterator)
        try:
            self.first = next(self._iterator)
        except StopIteration:
            raise ValueError(f"{where}: the generator yielded no batches; expected at least "
                             "one batch (x, y).") from None
        self._first_pending = True

    def __iter__(self):
        return self

    def __next__(self):
        if self._first_pending:
            self._first_pending = False
            return self.first
        return next(self._iterator)


class SequenceData:
    """Batches read by index from a `keras.utils.PyDataset`: each iteration is a new pass.

    `shuffle` (set by the epoch iterator from fit's argument) visits the batches in a new order
    each pass. `on_epoch_begin`/`on_epoch_end` of the dataset bracket every complete pass. Batch
    0 is read once more up front (`first`), to build and check the model before training.
    """

    num_samples = None

    def __init__(self, dataset, where: str):
        self.dataset = dataset
        self.num_batches = dataset.num_batches
        if self.num_batches is not None:
            self.num_batches = int(self.num_batches)
            if self.num_batches <= 0:
                raise ValueError(f"{where}: the PyDataset has {self.num_batches} batches; "
                                 "expected at least 1.")
        self.first = dataset[0]
        self.shuffle = False

    def __iter__(self):
        from deltaw import random

        n = self.num_batches
        self.dataset.on_epoch_begin()
        if n is None:
            order = itertools.count()
        else:
            order = random.generator().permutation(n) if self.shuffle else range(n)
        for index in order:
            yield self.dataset[int(index)]
        self.dataset.on_epoch_end()


def _is_py_dataset(value) -> bool:
    from deltaw.keras.utils.py_dataset import PyDataset

    return isinstance(value, PyDataset)


def _is_generator(value) -> bool:
    return hasattr(value, "__next__") or (
        hasattr(value, "__iter__") and not isinstance(value, list | tuple | dict | np.ndarray)
        and not isinstance(value, Tensor) and not hasattr(value, "__array__")
        and not hasattr(value, "__len__"))


# ----------------------------------------------------------------------------- entry points
def adapt(where: str, x, y=None, sample_weight=None, class_weight=None, strings=False):
    """Validate and convert user data into `ArrayData` or `GeneratorData`.

    Args:
        where: The API name used in error messages ("fit", "evaluate", "predict").
        x, y, sample_weight: As passed to fit/evaluate/predict.
        class_weight: Optional `{class: weight}` dict, folded into sample weights (single output).

    Raises:
        ValueError: empty data, mismatched sample counts, `class_weight` with `sample_weight`
            or with several outputs, `y` or `sample_weight` given with a generator.
        TypeError: non-numeric arrays.
    """
    if x is None:
        raise ValueError(f"{where}: x is None; expected input data (an array, a list or dict "
                         "of arrays, or a generator of batches).")
    if _is_py_dataset(x):
        if y is not None or sample_weight is not None or class_weight is not None:
            raise ValueError(f"{where}: y, sample_weight and class_weight must be None when x is "
                             "a PyDataset (its batches are (x, y) or (x, y, sample_weight)).")
        return SequenceData(x, where)
    if _is_generator(x):
        if y is not None or sample_weight is not None:
            raise ValueError(f"{where}: y and sample_weight must be None when x is a generator "
                             "(it yields (x, y) or (x, y, sample_weight) batches); got "
                             f"y={type(y).__name__}, sample_weight={type(sample_weight).__name__}.")
        return GeneratorData(x, where)
    x = _convert(x, where, "x", strings)
    y = _convert(y, where, "y")
    sample_weight = _convert(sample_weight, where, "sample_weight")
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError(f"{where}: class_weight and sample_weight cannot both be given; "
                             "fold the class weights into sample_weight.")
        if isinstance(y, list | tuple | dict):
            raise ValueError(f"{where}: class_weight is only supported for models with a single "
                             f"output; got y with {len(y)} outputs. Use sample_weight instead.")
        if y is None:
            raise ValueError(f"{where}: class_weight needs targets y; got y=None.")
        sample_weight = class_weight_to_sample_weights(y, class_weight)
    elif isinstance(y, list | tuple | dict) and isinstance(sample_weight, np.ndarray):
        sample_weight = _map(lambda _: sample_weight, y)   # one weight array for every output
    num_samples = _check_cardinality(where, x, y, sample_weight)
    return ArrayData(x, y, sample_weight, num_samples)


def _check_cardinality(where, x, y, sample_weight) -> int:
    named = (_named_leaves(x, "x") + _named_leaves(y, "y")
             + _named_leaves(sample_weight, "sample_weight"))
    first_name, first = named[0]
    n = len(first)
    for name, arr in named[1:]:
        if len(arr) != n:
            raise ValueError(f"{where}: x, y and sample_weight must have the same number of "
                             f"samples; expected {n} (from {first_name}), got {len(arr)} in "
                             f"{name}.")
    if n == 0:
        raise ValueError(f"{where}: the data is empty; expected at least 1 sample, got 0 in "
                         f"{first_name} of shape {first.shape}.")
    return n


def count_nonfinite(data) -> int:
    """The number of NaN and infinite values in the floating arrays of `data`'s x and y."""
    return sum(count for _, count, _ in _nonfinite_report(data, ""))


def _nonfinite_report(data, prefix):
    """`[(name, count, where), ...]` for each floating array of x and y with NaN or Inf."""
    if not isinstance(data, ArrayData):
        return []
    out = []
    for name, arr in _named_leaves(data.x, f"{prefix}x") + _named_leaves(data.y, f"{prefix}y"):
        if arr.dtype.kind != "f" or np.isfinite(arr).all():
            continue
        bad = ~np.isfinite(arr)
        where = f"rows {truncate(np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1)))}"
        if arr.ndim == 2:
            where += f"; columns {truncate(np.flatnonzero(bad.any(axis=0)))}"
        elif arr.ndim > 2:
            cells = np.flatnonzero(bad.reshape(len(arr), -1).any(axis=0))
            where += "; positions " + truncate(
                tuple(int(i) for i in idx) for idx in zip(*np.unravel_index(cells, arr.shape[1:])))
        out.append((name, int(bad.sum()), where))
    return out


def check_finite(where, datasets, raise_error: bool, stacklevel: int) -> None:
    """Warn (or raise with `raise_error`) when x or y holds NaN or infinite values.

    The message gives the count and, per array, the rows (samples) and columns (features) that
    hold them, long lists cut short. `datasets` is `(train, val)`; validation arrays are named
    'validation x' and 'validation y'.
    """
    report = []
    for data, prefix in zip(datasets, ("", "validation "), strict=False):
        report += _nonfinite_report(data, prefix)
    if not report:
        return
    bad = sum(count for _, count, _ in report)
    found = "; ".join(f"{count} in {name} ({rows})" for name, count, rows in report)
    msg = (f"{where}: the data contains {bad} NaN or infinite value{'s' * (bad != 1)} in x or y; "
           f"expected only finite values, got {found}. The loss would be NaN.")
    if raise_error:
        raise ValueError(msg)
    warnings.warn(msg + " Pass check_inputs=True to raise instead.", UserWarning,
                  stacklevel=stacklevel + 1)


def make_fit_data(x, y, sample_weight, class_weight, validation_split, validation_data,
                  strings=False):
    """The training and validation data of `fit`, as Keras 3 builds them.

    `validation_split` takes the last fraction of the (unshuffled) arrays; it is ignored when
    `validation_data` is given. Class weights apply to the training samples only.

    Returns:
        `(train, val)`; `val` is None without validation.
    """
    data = adapt("fit", x, y, sample_weight, class_weight, strings)
    train, val = split_validation("fit", data, validation_split if validation_data is None else 0)
    if val is not None and class_weight is not None:
        val = ArrayData(val.x, val.y, None, val.num_samples)
    if validation_data is not None:
        val = adapt_validation_data(validation_data, strings)
    return train, val


def takes_strings(model) -> bool:
    """Whether `model` has a string Input (lookup or FeatureSpace models): its x may then hold
    strings, as in Keras; any other model gets the 'not numeric' error up front."""
    return any(getattr(t, "dtype", None) == "string" for t in getattr(model, "_flat_inputs", ()))


def adapt_validation_data(validation_data, strings=False):
    """`(x_val, y_val)`, `(x_val, y_val, val_sample_weight)` or a generator of batches."""
    where = "fit (validation_data)"
    if _is_generator(validation_data) or _is_py_dataset(validation_data):
        return adapt(where, validation_data)
    if not isinstance(validation_data, list | tuple) or len(validation_data) not in (2, 3):
        got = (f"a {type(validation_data).__name__} of length {len(validation_data)}"
               if isinstance(validation_data, list | tuple) else type(validation_data).__name__)
        raise ValueError(f"fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), or a generator of batches; got {got}.")
    return adapt(where, *validation_data, strings=strings)


def split_validation(where: str, data, validation_split: float):
    """Split off the LAST `validation_split` fraction of the samples (before any shuffling).

    As Keras 3: the training set is the first `floor(n * (1 - validation_split))` samples.

    Returns:
        `(train, val)`; `val` is None when `validation_split` is 0.
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, int | float) or not (
            0 <= validation_split < 1):
        raise ValueError(f"{where}: validation_split must be a float in [0, 1); got "
                         f"validation_split={validation_split!r}.")
    if not validation_split:
        return data, None
    if not isinstance(data, ArrayData):
        raise ValueError(f"{where}: validation_split is only supported for array data; got a "
                         "generator. Pass validation_data=(x_val, y_val) instead.")
    n = data.num_samples
    at = int(math.floor(n * (1.0 - validation_split)))
    if at == 0 or at == n:
        raise ValueError(f"{where}: validation_split={validation_split} leaves {at} training and "
                         f"{n - at} validation samples out of {n}; expected at least 1 in each. "
                         "Provide more data or change validation_split.")
    return data.split(at)
