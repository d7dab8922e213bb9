"""Learning-rate callbacks: ReduceLROnPlateau and LearningRateScheduler.

Both act through `model.optimizer.learning_rate` (read as a float, set to a float) and add the
rate used during the epoch to the epoch's logs as `'learning_rate'`, as Keras 3 does, so it shows
in the progress bar and in `history.history['learning_rate']`.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from deltaw.keras.callbacks.callback import (
    Callback,
    check_mode,
    check_state_keys,
    decode_float,
    encode_float,
    missing_monitor_warning,
)

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]

_PLATEAU_STATE_KEYS = ("wait", "cooldown_counter", "best")


def _current_lr(model):
    return float(model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a metric has stopped improving (Keras 3 semantics).

    At each epoch's end: while in cooldown the counter goes down and `wait` stays 0. A value
    better than `best` by more than `min_delta` becomes `best` and resets `wait`; otherwise,
    outside cooldown, `wait` grows and once it reaches `patience` the rate becomes
    `max(lr * factor, min_lr)` (if lr is above `min_lr`), `wait` resets and `cooldown` epochs
    of cooldown begin.

    Args:
        monitor: Log key to monitor. Defaults to 'val_loss'.
        factor: New rate = rate * factor; must be < 1. Defaults to 0.1.
        patience: Epochs without improvement before a reduction. Defaults to 10.
        verbose: 1 prints a message at each reduction.
        mode: 'min', 'max' or 'auto'. 'auto' is Keras 3's rule for this callback: 'max' when
            the monitor's name contains 'acc', else 'min'.
        min_delta: Threshold for a change to count as an improvement. Defaults to 1e-4.
        cooldown: Epochs after a reduction during which `wait` does not grow. Defaults to 0.
        min_lr: Lower bound of the learning rate. Defaults to 0.

    State (deltaw): `get_state()` returns `{'wait', 'cooldown_counter', 'best'}` as a JSON-safe
    dict (an infinite `best` as the string 'inf' or '-inf'); `set_state(state)` restores it. A
    state set before `fit` survives the next `on_train_begin`, which otherwise resets it.

    Raises:
        ValueError: If `factor >= 1`.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau: factor must be < 1.0; got factor={factor}."
            )
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("ReduceLROnPlateau", mode)
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._keep_state = False
        self._reset()

    def _minimizes(self):
        return self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor)

    def _reset(self):
        if self._minimizes():
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        """Whether a reduction happened less than `cooldown` epochs ago."""
        return self.cooldown_counter > 0

    def get_state(self):
        """Returns the plateau progress as a JSON-safe dict (see the class docstring)."""
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter,
                "best": encode_float(self.best)}

    def set_state(self, state):
        """Restores a dict returned by `get_state`."""
        check_state_keys("ReduceLROnPlateau", state, _PLATEAU_STATE_KEYS)
        self.wait = int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.best = decode_float(state["best"])
        self._keep_state = True

    def on_train_begin(self, logs=None):
        if not self._keep_state:
            self._reset()
        self._keep_state = False

    def on_epoch_end(self, epoch, logs=None):
        self._keep_state = False
        logs = {} if logs is None else logs
        logs["learning_rate"] = _current_lr(self.model)
        current = logs.get(self.monitor)
        if current is None:
            missing_monitor_warning("Learning rate reduction", self.monitor, logs)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        old_lr = _current_lr(self.model)
        # Compared in float32: a rate stored in float32 may sit a hair above min_lr.
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


def _accepts_lr(schedule):
    """Whether `schedule` takes (epoch, lr) rather than the legacy (epoch)."""
    try:
        params = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: use the current API
        return True
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in positional for p in params) >= 2


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule(epoch, lr)`.

    Args:
        schedule: Function of the epoch index (0-based) and the current rate (float) that
            returns the new rate. A one-argument `schedule(epoch)` is accepted too (legacy).
        verbose: 1 prints the rate set at each epoch.

    deltaw differences: the arity of `schedule` is read from its signature (Keras calls it with
    two arguments and retries with one on any TypeError, which hides TypeErrors raised inside
    the schedule); an int result is accepted and converted to float (Keras accepts only floats).

    Raises:
        ValueError: If the schedule returns something that is not a real number.

    Example:
        >>> from deltaw.keras.callbacks import LearningRateScheduler
        >>> class Opt:
        ...     learning_rate = 0.1
        >>> class Model:
        ...     optimizer = Opt()
        >>> cb = LearningRateScheduler(lambda epoch, lr: lr / 2)
        >>> cb.set_model(Model())
        >>> cb.on_epoch_begin(0)
        >>> Model.optimizer.learning_rate
        0.05
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_lr(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self._takes_lr:
            lr = self.schedule(epoch, _current_lr(self.model))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(
                f"LearningRateScheduler: the schedule must return a float; got {lr!r} "
                f"({type(lr).__name__}) for epoch {epoch}."
            )
        lr = float(lr)
        optimizer.learning_rate = lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_lr(self.model)
