"""EarlyStopping: stop training when a monitored quantity stops improving."""

from __future__ import annotations

import numpy as np

from deltaw.keras.callbacks.callback import (
    Callback,
    check_mode,
    check_state_keys,
    decode_arrays,
    decode_float,
    encode_arrays,
    encode_float,
    infer_direction,
    missing_monitor_warning,
)

__all__ = ["EarlyStopping"]

_STATE_KEYS = ("wait", "stopped_epoch", "best", "best_epoch", "best_weights")


class EarlyStopping(Callback):
    """Stops training when a monitored metric has stopped improving (Keras 3 semantics).

    At the end of each epoch from `start_from_epoch` on, the monitored value counts as an
    improvement when it beats the best so far by more than `min_delta` (the first value always
    does). `wait` counts the epochs since the last improvement that also beat `baseline`
    (when given); once `wait >= patience` (and the epoch is not the first) training stops:
    `model.stop_training = True` and `stopped_epoch` records the epoch.

    Args:
        monitor: Log key to monitor. Defaults to 'val_loss'.
        min_delta: Minimum absolute change that counts as an improvement. Defaults to 0.
        patience: Epochs without improvement after which training stops. Defaults to 0.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: 'min', 'max' or 'auto'. 'auto' minimizes losses, uses the direction of the
            model's metric of that name, then of Keras' built-in metric names ('accuracy',
            'auc', ... are maximized; 'mse', 'mae', ... minimized), else raises ValueError.
        baseline: Value the monitored quantity must beat for `wait` to reset. None for none.
        restore_best_weights: At the end of training, restore the weights of the best epoch
            (with Keras 3, also when training ran to the end without stopping early). The best
            epoch is the one with the best monitored value, even when no epoch beat
            `baseline`.
        start_from_epoch: Number of warm-up epochs that are not monitored. Defaults to 0.

    Attributes:
        wait, stopped_epoch, best, best_epoch, best_weights: Progress of the monitoring.

    State (deltaw): `get_state()` returns `{'wait', 'stopped_epoch', 'best', 'best_epoch',
    'best_weights'}` as a JSON-safe dict (non-finite floats as strings, weights as base64
    bytes with dtype and shape, so they restore bit for bit); `set_state(state)` restores it.
    A state set before `fit` survives the next `on_train_begin` (which otherwise resets the
    progress), so a backup callback may restore it before or after that hook.

    Warns (UserWarning) when `monitor` is missing from the logs, listing the available keys.

    Example:
        >>> from deltaw.keras.callbacks import EarlyStopping
        >>> class Model:
        ...     stop_training = False
        >>> stopper = EarlyStopping(monitor="loss", patience=1)
        >>> stopper.set_model(Model())
        >>> stopper.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7]):
        ...     stopper.on_epoch_end(epoch, {"loss": loss})
        ...     if stopper.model.stop_training:
        ...         break
        >>> stopper.stopped_epoch, stopper.best
        (2, 0.5)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("EarlyStopping", mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.monitor_op = None  # set on the first epoch end, once the model's metrics exist
        self._keep_state = False
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _set_monitor_op(self):
        direction = infer_direction("EarlyStopping", self.monitor, self.mode, self.model)
        self.monitor_op = np.less if direction == "min" else np.greater
        # The sign that moves a value "against" the direction, so improvement needs > min_delta.
        self._signed_delta = -self.min_delta if direction == "min" else self.min_delta

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self._signed_delta, reference))

    def get_state(self):
        """Returns the monitoring progress as a JSON-safe dict (see the class docstring)."""
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch,
                "best": encode_float(self.best), "best_epoch": self.best_epoch,
                "best_weights": encode_arrays(self.best_weights)}

    def set_state(self, state):
        """Restores a dict returned by `get_state`."""
        check_state_keys("EarlyStopping", state, _STATE_KEYS)
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best = decode_float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.best_weights = decode_arrays(state["best_weights"])
        self._keep_state = True

    def on_train_begin(self, logs=None):
        # Reset so an instance can be reused across fit calls, unless set_state just ran.
        if not self._keep_state:
            self._reset()
        self._keep_state = False

    def on_epoch_end(self, epoch, logs=None):
        self._keep_state = False
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing saved yet: the current weights are the best known.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the value beats both the previous best and baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """Returns `logs[monitor]`, or None with a warning listing the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            missing_monitor_warning("Early stopping", self.monitor, logs)
        return value
