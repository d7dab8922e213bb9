"""Small stand-ins for a model and a training loop, so callbacks are tested on scripted logs."""

import numpy as np

from deltaw.keras.callbacks import Callback, CallbackList


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """Has what callbacks may touch: stop_training, optimizer, weights, save, save_weights."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros((2, 3), np.float32), np.zeros(3, np.float32)]
        self.saved = []  # (method, path) in call order

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def set_weights_to_epoch(self, epoch):
        """Makes the weights identify the epoch, with values float32 must keep exactly."""
        self.weights = [np.full((2, 3), epoch + 0.1, np.float32),
                        np.arange(3, dtype=np.float32) * (epoch + 1) / 3]

    def save(self, filepath, overwrite=True):
        self.saved.append(("save", filepath))
        with open(filepath, "w") as f:
            f.write("model")

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("save_weights", filepath))
        with open(filepath, "w") as f:
            f.write("weights")


def run_fit(callbacks, model, epoch_logs, steps=3, batch_logs=None, verbose=0, val=None):
    """Drives callbacks as Keras 3's fit does, with scripted logs.

    Args:
        epoch_logs: List of dicts, one per epoch (its length is `epochs`).
        batch_logs: Function (epoch, step) -> dict; defaults to the epoch's logs without 'val_'.
        val: Function epoch -> dict of validation results, run through the test hooks.

    Returns:
        (CallbackList, number of epochs run).
    """
    epochs = len(epoch_logs)
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    logs, ran = {}, 0
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            blogs = (batch_logs(epoch, step) if batch_logs else
                     {k: v for k, v in epoch_logs[epoch].items() if not k.startswith("val_")})
            cbs.on_train_batch_end(step, blogs)
            if model.stop_training:
                break
        logs = dict(epoch_logs[epoch])
        if val is not None:
            cbs.on_test_begin()
            cbs.on_test_batch_begin(0)
            cbs.on_test_batch_end(0, val(epoch))
            cbs.on_test_end(val(epoch))
        cbs.on_epoch_end(epoch, logs)
        ran += 1
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return cbs, ran


def fit_calls(epochs, steps):
    """The hook calls (as `Recorder` logs them) of a fit with one validation batch per epoch."""
    calls = [("on_train_begin",)]
    for epoch in range(epochs):
        calls.append(("on_epoch_begin", epoch))
        for step in range(steps):
            calls += [("on_train_batch_begin", step), ("on_batch_begin", step),
                      ("on_train_batch_end", step), ("on_batch_end", step)]
        calls += [("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
                  ("on_test_end",), ("on_epoch_end", epoch)]
    return calls + [("on_train_end",)]


ALL_HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
]


class Recorder(Callback):
    """Records every hook call as (hook, index) or (hook,)."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(name):
    if name.endswith(("_batch_begin", "_batch_end")) or name.startswith("on_epoch"):
        def hook(self, index, logs=None):
            self.calls.append((name, index))
            if name in ("on_train_batch_begin", "on_train_batch_end"):
                getattr(Callback, name)(self, index, logs)  # keep the alias behaviour
    else:
        def hook(self, logs=None):
            self.calls.append((name,))
    return hook


for _name in ALL_HOOKS:
    setattr(Recorder, _name, _recording(_name))
