"""Callback base class, CallbackList, and the helpers shared by the monitoring callbacks.

A callback hooks into `fit`, `evaluate` and `predict` through Keras 3's 16 hook names and touches
training only through `logs` and public model attributes (`model.stop_training`,
`model.optimizer.learning_rate`, `get_weights`/`set_weights`, `save`/`save_weights`).
"""

from __future__ import annotations

import base64
import math
import warnings

import numpy as np

__all__ = ["Callback", "CallbackList"]

# Keras 3's hook names, in the order a reader meets them in a training loop.
HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class for objects that hook into `fit`, `evaluate` and `predict`.

    Subclass it and override the hooks you need; the defaults do nothing, except that
    `on_train_batch_begin`/`on_train_batch_end` call the backwards-compatible aliases
    `on_batch_begin`/`on_batch_end`, as in Keras.

    Attributes:
        params: Dict of training parameters set by `fit` (`{'verbose', 'epochs', 'steps'}`),
            or None before training.
        model: The model being trained (read-only property, set by `set_model`).

    deltaw extension: stateful subclasses (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint)
    implement `get_state()` -> JSON-safe dict and `set_state(state)` so a backup callback can
    checkpoint them exactly. The base class has no state: `get_state()` returns `{}`.

    Example:
        >>> from deltaw.keras.callbacks import Callback, CallbackList
        >>> class Count(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         self.seen = epoch + 1
        >>> counter = Count()
        >>> CallbackList([counter]).on_epoch_end(2, {"loss": 0.5})
        >>> counter.seen
        3
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        """Stores the training parameters (`{'verbose', 'epochs', 'steps'}` in `fit`)."""
        self.params = params

    def set_model(self, model):
        """Attaches the model that is being trained, evaluated or used for prediction."""
        self._model = model

    @property
    def model(self):
        """The model set by `set_model` (None before)."""
        # getattr: a subclass that forgot super().__init__() still gets None, not AttributeError.
        return getattr(self, "_model", None)

    def get_state(self):
        """Returns the callback's mutable state as a JSON-safe dict (empty: no state)."""
        return {}

    def set_state(self, state):
        """Restores a state returned by `get_state` (nothing to restore for this class)."""
        check_state_keys(type(self).__name__, state, ())

    def on_batch_begin(self, batch, logs=None):
        """Backwards-compatible alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Backwards-compatible alias of `on_train_batch_end`."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based) in `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with the epoch's metrics (`val_`-prefixed ones too)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch; `logs` holds the running metric results."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of `evaluate` (and of validation inside `fit`)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of `evaluate` with the running metric results."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of `predict`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of `predict`."""

    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` (and of each validation pass)."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate` with its final logs."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


def _overrides(callback, name):
    """Whether `callback` replaces the base class's (empty) hook `name`."""
    if name in vars(callback):  # set on the instance, as LambdaCallback does
        return True
    return getattr(type(callback), name, None) is not getattr(Callback, name)


# Batch hook -> the hooks whose override makes a callback need it. The train batch hooks call the
# on_batch_* aliases by default, so overriding only an alias still needs the call.
_BATCH_HOOK_USERS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


class CallbackList(Callback):
    """Calls a list of callbacks at once, as `fit`, `evaluate` and `predict` do.

    Args:
        callbacks: A Callback or a list of them (None for none).
        add_history: Append a `History` callback unless one is in `callbacks`.
        add_progbar: Append a `ProgbarLogger` unless one is in `callbacks`.
        model: The model, passed to every callback's `set_model`; when a History is present it
            also becomes `model.history`.
        **params: Passed as one dict to every callback's `set_params` (in `fit`: `verbose`,
            `epochs`, `steps`).

    The default callbacks go after the user's, in Keras' order (user callbacks, History,
    ProgbarLogger), so values a callback adds to `logs` in `on_epoch_end` (such as
    ReduceLROnPlateau's `learning_rate`) reach the history and the progress bar. Callbacks that
    checkpoint the others (BackupAndRestore, whose class sets `_runs_last = True`) are moved
    after all of them (a deltaw difference), so every hook has run when they save, and they are
    handed the list (`_callback_list`) to read the others' `get_state()`.

    Batch hooks are dispatched only to callbacks that override them (a deltaw speed-up; the
    calls made are the same as Keras'). The set is recomputed by `append` and at every
    `on_*_begin`, so callbacks added to `self.callbacks` directly are seen from the next phase.

    Raises:
        TypeError: If an entry of `callbacks` is not a Callback.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        for i, cb in enumerate(self.callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"CallbackList: every callback must be a deltaw.keras.callbacks.Callback; "
                    f"got {type(cb).__name__} at index {i}."
                )
        self._add_default_callbacks(add_history, add_progbar)
        last = [cb for cb in self.callbacks if getattr(cb, "_runs_last", False)]
        if last:
            self.callbacks = [cb for cb in self.callbacks if cb not in last] + last
            for cb in last:
                cb._callback_list = self
        self._refresh_batch_hooks()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        # Imported here: history.py and progbar.py import this module.
        from deltaw.keras.callbacks.history import History
        from deltaw.keras.callbacks.progbar import ProgbarLogger

        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_batch_hooks(self):
        self._batch_callbacks = {
            hook: [cb for cb in self.callbacks if any(_overrides(cb, n) for n in users)]
            for hook, users in _BATCH_HOOK_USERS.items()
        }

    def append(self, callback):
        """Adds a callback at the end of the list."""
        self.callbacks.append(callback)
        self._refresh_batch_hooks()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    # Logs are passed on as the same dict (never copied) so that one callback's additions reach
    # the callbacks after it and the caller, as in Keras.

    def _call_all(self, hook, logs):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            getattr(cb, hook)(logs)

    def _call_epoch(self, hook, epoch, logs):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            getattr(cb, hook)(epoch, logs)

    def _call_batch(self, hook, batch, logs):
        logs = {} if logs is None else logs
        for cb in self._batch_callbacks[hook]:
            getattr(cb, hook)(batch, logs=logs)

    def on_train_begin(self, logs=None):
        self._refresh_batch_hooks()
        self._call_all("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call_all("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._refresh_batch_hooks()
        self._call_all("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call_all("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._refresh_batch_hooks()
        self._call_all("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call_all("on_predict_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_epoch("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_epoch("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)


# ---------------------------------------------------------------------------------------------
# Helpers shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.

def check_mode(owner, mode):
    """Returns `mode`, or 'auto' with a warning when it is unknown (Keras falls back, too)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(
            f"{owner}: unknown mode {mode!r}; expected 'auto', 'min' or 'max'. "
            "Falling back to 'auto'.",
            stacklevel=3,
        )
        return "auto"
    return mode


# Fallback for metrics that do not say their direction: name fragments of Keras' built-in
# metrics, grouped by the `_direction` Keras gives them. Checked after the 'loss' names and the
# model's own metrics.
_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2",
              "cosine_similarity", "true_positives", "true_negatives")
_MIN_HINTS = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge",
              "divergence", "poisson", "logcosh", "false_positives", "false_negatives")


def _model_metric_direction(model, name):
    """The `_direction` ('up'/'down') of the model's metric called `name`, or None."""
    stack, seen = list(getattr(model, "metrics", None) or ()), set()
    while stack:
        metric = stack.pop()
        if id(metric) in seen:
            continue
        seen.add(id(metric))
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None):
            return metric._direction
        inner = getattr(metric, "metrics", None)  # containers of compiled metrics
        if isinstance(inner, (list, tuple)):
            stack.extend(inner)
    return None


def infer_direction(owner, monitor, mode, model):
    """Returns 'min' or 'max' for `monitor`, following Keras 3's 'auto' rule.

    Keras 3: 'min'/'max' as given; in 'auto', 'loss' (with or without 'val_') is minimized,
    otherwise the direction of the model's metric of that name (`metric._direction`). deltaw
    then falls back to the names of Keras' built-in metrics (`_MAX_HINTS`, `_MIN_HINTS`) and
    treats any '<output>_loss' as a loss, before giving up with Keras' ValueError.
    """
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    direction = _model_metric_direction(model, name)
    if direction is not None:
        return "max" if direction == "up" else "min"
    lowered = name.lower()
    if any(hint in lowered for hint in _MAX_HINTS):
        return "max"
    if any(hint in lowered for hint in _MIN_HINTS):
        return "min"
    raise ValueError(
        f"{owner}: cannot tell whether monitor={monitor!r} should be minimized or maximized; "
        f"expected a loss or a known metric name, got {monitor!r}. "
        "Hint: pass mode='min' or mode='max'."
    )


def missing_monitor_warning(what, monitor, logs):
    """Warns that `monitor` is not in `logs`, listing the keys that are (Keras' message)."""
    warnings.warn(
        f"{what} conditioned on metric `{monitor}` which is not available. "
        f"Available metrics are: {','.join(logs)}",
        stacklevel=3,
    )


# JSON-safe encodings for get_state(). Floats stay floats except non-finite ones, which JSON
# cannot hold; arrays travel as base64 bytes so they come back bit for bit.

def encode_float(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else repr(value)  # 'inf', '-inf', 'nan'


def decode_float(value):
    return None if value is None else float(value)


def encode_arrays(arrays):
    if arrays is None:
        return None
    out = []
    for a in arrays:
        a = np.ascontiguousarray(a)
        out.append({"dtype": a.dtype.str, "shape": list(a.shape),
                    "data": base64.b64encode(a.tobytes()).decode("ascii")})
    return out


def decode_arrays(encoded):
    if encoded is None:
        return None
    return [np.frombuffer(base64.b64decode(e["data"]), dtype=np.dtype(e["dtype"]))
            .reshape(e["shape"]).copy() for e in encoded]


def check_state_keys(owner, state, keys):
    if not isinstance(state, dict) or set(state) != set(keys):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"{owner}.set_state: state must be a dict from get_state(); expected keys "
            f"{sorted(keys)}, got {got}."
        )
