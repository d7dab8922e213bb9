"""Keras 3 callbacks: hooks into fit, evaluate and predict.

`from deltaw.keras.callbacks import EarlyStopping` (or `tf.keras.callbacks.EarlyStopping` after
`import deltaw as tf`). The `Progbar` utility lives in `deltaw.keras.callbacks.progbar`.
"""

from deltaw.keras.callbacks.backup_and_restore import BackupAndRestore
from deltaw.keras.callbacks.callback import Callback, CallbackList
from deltaw.keras.callbacks.early_stopping import EarlyStopping
from deltaw.keras.callbacks.history import History
from deltaw.keras.callbacks.lr import LearningRateScheduler, ReduceLROnPlateau
from deltaw.keras.callbacks.misc import CSVLogger, LambdaCallback, TerminateOnNaN
from deltaw.keras.callbacks.model_checkpoint import ModelCheckpoint
from deltaw.keras.callbacks.progbar import ProgbarLogger
from deltaw.keras.callbacks.remote_monitor import RemoteMonitor
from deltaw.keras.callbacks.swap_ema_weights import SwapEMAWeights

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
    "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger",
    "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN",
    "TrainingMonitor",
]

# The doctor's callbacks live in deltaw.diagnostics (which imports this package), so they are
# loaded on first use.
_LAZY = {"TensorBoard": "deltaw.diagnostics.tensorboard",
         "TrainingMonitor": "deltaw.diagnostics.monitor"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
