"""History: the record of epoch logs that `fit` returns."""

import numpy as np

from deltaw.keras.callbacks.callback import (
    Callback,
    check_state_keys,
    decode_arrays,
    encode_arrays,
    encode_float,
)

__all__ = ["History"]


class History(Callback):
    """Records every epoch's logs; `fit` adds one automatically and returns it.

    Attributes:
        history: Dict mapping each log key (`'loss'`, `'val_accuracy'`, ...) to the list of its
            per-epoch values.
        epoch: List of the epoch indices recorded (0-based; starts at `initial_epoch`).
        params: The `fit` parameters (`{'verbose', 'epochs', 'steps'}`).

    As in Keras, `history` is not cleared by a new `fit` call; `epoch` is.

    State (deltaw): `get_state()` returns `{'history', 'epoch'}` as a JSON-safe dict (non-finite
    floats as strings, arrays as base64 bytes), `set_state(state)` restores it, so a run resumed
    by BackupAndRestore returns the whole record.

    Example:
        >>> from deltaw.keras.callbacks import History
        >>> h = History()
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5})
        >>> h.on_epoch_end(1, {"loss": 0.25})
        >>> h.history, h.epoch
        ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Re-attached every epoch so model.history is this record even when the list was built
        # without the model (Keras does the same).
        if self.model is not None:
            self.model.history = self

    def plot(self, keys=None):
        """A matplotlib Figure of the loss and metrics per epoch, training and validation, one
        panel per quantity (deltaw; needs matplotlib: `pip install deltaw[plot]`).

        Args:
            keys: Optional list of quantities ('loss', 'accuracy', ...); None draws them all.
        """
        from deltaw.diagnostics.plot import plot_history

        return plot_history(self, keys)

    def get_state(self):
        """Returns the record as a JSON-safe dict (see the class docstring)."""
        return {"history": {k: [_encode(v) for v in vals] for k, vals in self.history.items()},
                "epoch": [int(e) for e in self.epoch]}

    def set_state(self, state):
        """Restores a dict returned by `get_state`."""
        check_state_keys("History", state, ("history", "epoch"))
        self.history = {k: [_decode(v) for v in vals] for k, vals in state["history"].items()}
        self.epoch = [int(e) for e in state["epoch"]]


def _encode(value):
    if isinstance(value, np.ndarray) and value.ndim:
        return encode_arrays([value])[0]
    if isinstance(value, np.generic | np.ndarray):
        value = value.item()
    return encode_float(value) if isinstance(value, float) else value


def _decode(value):
    if isinstance(value, dict):
        return decode_arrays([value])[0]
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value

