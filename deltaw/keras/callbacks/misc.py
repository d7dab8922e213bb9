"""Small callbacks: TerminateOnNaN, CSVLogger and LambdaCallback."""

from __future__ import annotations

import collections.abc
import csv
import math
import os

import numpy as np

from deltaw.keras.callbacks.callback import HOOKS, Callback
from deltaw.keras.distribution.distribution_lib import is_chief

__all__ = ["CSVLogger", "LambdaCallback", "TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    By default it prints `Batch 3: Invalid loss, terminating training` and sets
    `model.stop_training = True`, so `fit` ends after that batch and every callback's
    `on_epoch_end` and `on_train_end` still run.

    Args:
        raise_error: If True, raise RuntimeError at once instead (the remaining hooks, such as
            `on_train_end`, do not run). Defaults to False.

    Raises:
        RuntimeError: With `raise_error=True`, when the loss is NaN or infinite.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"TerminateOnNaN: NaN or Inf loss encountered at batch {batch}; "
                f"loss={loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


def _csv_value(value):
    # Iterables (per-class arrays) are written as one quoted "[a, b]" cell, as in Keras.
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file.

    The file starts with a header `epoch,<log keys sorted>` and gets one row per epoch (the
    0-based epoch index, then the values), flushed at once so it can be read while training
    runs. When the first epoch's logs have no 'val_' key, 'val_' columns for every key are added
    anyway and hold 'NA' (Keras does this so a later validation run fits the same columns).
    Rows end in '\\r\\n' (the csv module's excel dialect, as in Keras).

    Args:
        filename: Path (str or PathLike) of the CSV file.
        separator: Delimiter between cells. Defaults to ','.
        append: If True, append to an existing file (no second header when it already has
            content); if False, overwrite it.

    Example:
        >>> import os, tempfile
        >>> from deltaw.keras.callbacks import CSVLogger
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> logger = CSVLogger(path)
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
        >>> logger.on_train_end()
        >>> with open(path, newline="") as f:
        ...     f.read()
        'epoch,loss,val_loss\\r\\n0,0.5,0.75\\r\\n'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if not is_chief():   # data-parallel ranks other than 0 write nothing
            return
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        self._close()
        # newline="": the csv module writes its own line endings.
        self.csv_file = open(self.filename, mode, newline="")  # closed in on_train_end
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        if self.csv_file is None:   # not rank 0 of a data-parallel run
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend("val_" + k for k in list(self.keys))
        if self.writer is None:
            dialect = type("_Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _csv_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


class LambdaCallback(Callback):
    """A callback made of plain functions, for quick one-off hooks.

    Args:
        on_epoch_begin, on_epoch_end: Called as `f(epoch, logs)`.
        on_train_begin, on_train_end: Called as `f(logs)`.
        on_train_batch_begin, on_train_batch_end: Called as `f(batch, logs=logs)`.
        **kwargs: Any other hook of `Callback` by name (`on_test_end=f`, `on_batch_end=f`, ...),
            called with that hook's arguments. deltaw raises TypeError for a name that is not a
            hook (Keras stores it silently).

    Example:
        >>> from deltaw.keras.callbacks import CallbackList, LambdaCallback
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]))
        >>> CallbackList([cb]).on_epoch_end(0, {"loss": 0.5})
        >>> seen
        [0.5]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback: unexpected argument {unknown[0]!r}; expected one of the "
                f"callback hooks ({', '.join(HOOKS)})."
            )
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)  # an instance attribute shadows the base hook
