"""TrainingMonitor: the doctor during `fit`, on a fixed probe batch, every few epochs."""

from __future__ import annotations

import warnings

from deltaw.diagnostics import rules
from deltaw.diagnostics.probe import DEFAULT_BATCH, diagnose
from deltaw.keras.callbacks.callback import Callback
from deltaw.keras.trainers.data_adapter import unpack_x_y_sample_weight

__all__ = ["TrainingMonitor"]

_ACTIONS = ("warn", "stop", "ignore")


class TrainingMonitor(Callback):
    """Runs `model.diagnose` on a fixed probe batch during `fit` and reports what it finds.

    Every `every_n_epochs` epochs it diagnoses the model (gradient flow, dead and saturated
    units, NaN/Inf, update sizes) and reads the training losses so far (`loss_plateau`: the
    loss stopped improving while still high; `loss_oscillation`: it swings without a trend).
    Every finding is kept in `findings` with its epoch; the latest diagnosis in `diagnosis`.

    Args:
        every_n_epochs: Positive int, how often to diagnose (1: after every epoch).
        on_finding: 'warn' (a UserWarning, once per kind and layer), 'stop' (also ends
            training, as EarlyStopping does, by setting `model.stop_training`) or 'ignore'
            (record only).
        probe: The probe batch, `(x, y)` or `(x, y, sample_weight)`; None takes the first
            256 training samples (the first batch of a generator) when training begins.

    Example:
        >>> monitor = TrainingMonitor(on_finding="stop")
        >>> monitor.findings
        []
    """

    def __init__(self, every_n_epochs=1, on_finding="warn", probe=None):
        super().__init__()
        if isinstance(every_n_epochs, bool) or not isinstance(every_n_epochs, int) or \
                every_n_epochs < 1:
            raise ValueError(f"TrainingMonitor: every_n_epochs must be a positive int; got "
                             f"every_n_epochs={every_n_epochs!r}.")
        if on_finding not in _ACTIONS:
            raise ValueError(f"TrainingMonitor: on_finding must be one of {list(_ACTIONS)}; "
                             f"got on_finding={on_finding!r}.")
        if probe is not None and not (isinstance(probe, tuple) and len(probe) in (2, 3)):
            raise ValueError("TrainingMonitor: probe must be None, (x, y) or (x, y, "
                             f"sample_weight); got {type(probe).__name__}.")
        self.every_n_epochs = every_n_epochs
        self.on_finding = on_finding
        self.probe = probe
        self.findings = []
        self.diagnosis = None
        self.losses = []
        self._warned = set()
        self._batch = None

    def on_train_begin(self, logs=None):
        self.losses = []
        self._batch = self.probe if self.probe is not None else _first_samples(self.model)

    def on_epoch_end(self, epoch, logs=None):
        if logs and "loss" in logs:
            self.losses.append(logs["loss"])
        if (epoch + 1) % self.every_n_epochs or self._batch is None:
            return
        x, y, sample_weight = unpack_x_y_sample_weight(self._batch)
        self.diagnosis = diagnose(self.model, x, y, sample_weight=sample_weight)
        found = self.diagnosis.findings + rules.find_in_losses(self.losses)
        for finding in found:
            finding.epoch = epoch
        self.findings.extend(found)
        self._act(found)

    def _act(self, found):
        if not found or self.on_finding == "ignore":
            return
        for f in found:
            key = (f.kind, f.layer)
            if key not in self._warned:
                self._warned.add(key)
                warnings.warn(f"TrainingMonitor: {f}", UserWarning, stacklevel=2)
        if self.on_finding == "stop":
            self.model.stop_training = True


def _first_samples(model):
    """The first training samples of the running fit (None outside fit)."""
    batches = getattr(model, "_epoch_iterator", None)
    if batches is None:
        return None
    data = batches.data
    if data.num_samples is None:
        return data.first
    return data.take(slice(0, min(DEFAULT_BATCH, data.num_samples)))
