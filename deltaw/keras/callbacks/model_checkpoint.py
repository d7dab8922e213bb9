"""ModelCheckpoint: save the model or its weights during training."""

from __future__ import annotations

import os
import warnings

import numpy as np

from deltaw.keras.callbacks.callback import (
    Callback,
    check_mode,
    check_state_keys,
    decode_float,
    encode_float,
    infer_direction,
)
from deltaw.keras.distribution.distribution_lib import data_parallel, is_chief

__all__ = ["ModelCheckpoint"]

_STATE_KEYS = ("best", "current_epoch", "batches_seen_since_last_saving", "last_batch_seen")


class ModelCheckpoint(Callback):
    """Saves the model (`model.save`) or its weights (`model.save_weights`) during training.

    Args:
        filepath: Path (str or PathLike) of the file to write. It may hold format fields,
            filled with `epoch` (1-based), `batch` (1-based, when saving every N batches) and
            the log keys: `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"` gives `ckpt-03-0.41.keras`.
            deltaw accepts any file name (Keras 3 requires '.keras' or, with
            `save_weights_only`, '.weights.h5'). Missing parent folders are created.
        monitor: Log key compared when `save_best_only=True`. Defaults to 'val_loss'.
        verbose: 1 prints a line for each save (or skipped save).
        save_best_only: Save only when the monitored value improves on the best so far. With a
            fixed `filepath` the best model is overwritten; with format fields each best is kept.
        save_weights_only: Call `model.save_weights(path, overwrite=True)` instead of
            `model.save(path, overwrite=True)`.
        mode: 'auto', 'min' or 'max', as in EarlyStopping.
        save_freq: 'epoch' (save at each epoch's end) or a positive int N (save every N
            training batches, counted across epochs).
        initial_value_threshold: Initial best value for `save_best_only`: the first save needs
            a value better than it.

    Behaviour on odd logs, as in Keras: with `save_best_only`, a missing monitor warns and
    saves; a non-scalar monitor value warns and saves. deltaw only resolves `mode='auto'` when
    `save_best_only` needs it (Keras also does so otherwise, raising for an unknown name).

    State (deltaw): `get_state()` / `set_state(state)` hold the best value and the batch
    counters as a JSON-safe dict.

    Raises:
        ValueError: If `save_freq` is neither 'epoch' nor a positive integer.
        KeyError: If `filepath` names a field that is neither `epoch`, `batch` nor a log key.
        IsADirectoryError: If the formatted path is an existing directory.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer; "
                f"got {save_freq!r}."
            )
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self.monitor_op = None
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0

    def get_state(self):
        """Returns the best value and batch counters as a JSON-safe dict."""
        return {"best": encode_float(self.best), "current_epoch": self._current_epoch,
                "batches_seen_since_last_saving": self._batches_seen_since_last_saving,
                "last_batch_seen": self._last_batch_seen}

    def set_state(self, state):
        """Restores a dict returned by `get_state`."""
        check_state_keys("ModelCheckpoint", state, _STATE_KEYS)
        self.best = decode_float(state["best"])
        self._current_epoch = int(state["current_epoch"])
        self._batches_seen_since_last_saving = int(state["batches_seen_since_last_saving"])
        self._last_batch_seen = int(state["last_batch_seen"])

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        # A batch index that does not grow means a new epoch began: count from its start.
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=4)
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=4,
            )
            return True
        if self.monitor_op is None:
            direction = infer_direction("ModelCheckpoint", self.monitor, self.mode, self.model)
            self.monitor_op = np.less if direction == "min" else np.greater
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self.best is None or self.monitor_op(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        # every rank tracks the best value; a data-parallel run's rank 0 alone writes
        if not self._should_save_model(epoch, logs, filepath):
            return
        if not self.save_weights_only and data_parallel() is not None:
            from deltaw.keras.distribution.data_parallel import gather_optimizer_state

            gather_optimizer_state(self.model)   # every rank: whole again if it is sharded
        if not is_chief():
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint: filepath must name a file; got the existing directory "
                f"'{filepath}'."
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: cannot format filepath '{self.filepath}'; expected its "
                f"fields among {sorted(fields)}, got the unknown field {e}."
            ) from None
